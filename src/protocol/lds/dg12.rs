//! DG12, additional document details (ICAO 9303-10 §4.7.12).
//!
//! ```text
//! DG12 ::= [APPLICATION 12] (tag 6C) {
//!     5C    tag list                        the tags of the elements present (required, first)
//!     5F19  issuing authority
//!     5F26  date of issue                   yyyymmdd: 8 ASCII digits (some chips: 4 BCD bytes)
//!     A0    other persons {                 content-specific template:
//!               02    count                 one byte, the number of 5F1A that follow
//!               5F1A  name of other person  (count times), MRZ name format
//!           }
//!     5F1B  endorsements and observations
//!     5F1C  tax / exit requirements
//!     5F1D  image of the front of the document (ISO/IEC 10918 JPEG)
//!     5F1E  image of the rear of the document
//!     5F55  date and time of personalization  yyyymmddhhmmss (14 digits, or 7 BCD bytes)
//!     5F56  serial number of the personalization system
//! }
//! ```
//!
//! Structure rules, leniency and text decoding are those of DG11 (see
//! [`super::dg11`]): `5C` first, no element twice, the `A0` count equal to the
//! names that follow, unknown tags skipped, a bare `5F1A` outside `A0`
//! accepted, text as UTF-8 with an ISO/IEC 8859-1 fallback, trimmed.
//!
//! DG12 names other persons and holds images of the document: [`Dg12`] is
//! wiped on drop and its `Debug` prints only which tags are present.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::protocol::error::Malformed;
use crate::protocol::lds::dg11::{
    HexTags, MAX_LIST_ENTRIES, TAG_LIST_TEMPLATE, Template, counted_list, decode_date, decode_text,
};

/// Tag of DG12's outer TLV.
pub const TAG_DG12: u32 = 0x6C;
/// Issuing authority.
pub const TAG_ISSUING_AUTHORITY: u32 = 0x5F19;
/// Date of issue, yyyymmdd.
pub const TAG_DATE_OF_ISSUE: u32 = 0x5F26;
/// Name of another person (inside the `A0` template).
pub const TAG_OTHER_PERSON: u32 = 0x5F1A;
/// Endorsements and observations.
pub const TAG_ENDORSEMENTS: u32 = 0x5F1B;
/// Tax / exit requirements.
pub const TAG_TAX_EXIT_REQUIREMENTS: u32 = 0x5F1C;
/// Image of the front of the document.
pub const TAG_IMAGE_FRONT: u32 = 0x5F1D;
/// Image of the rear of the document.
pub const TAG_IMAGE_REAR: u32 = 0x5F1E;
/// Date and time of personalization, yyyymmddhhmmss.
pub const TAG_PERSONALIZATION_TIME: u32 = 0x5F55;
/// Serial number of the personalization system.
pub const TAG_PERSONALIZATION_DEVICE: u32 = 0x5F56;

/// The largest DG12 we parse (it may hold two images of the document).
pub const MAX_DG12_SIZE: usize = 256 * 1024;

/// The parsed contents of DG12. `None` / empty where the chip holds nothing.
#[derive(Clone, PartialEq, Eq, Default, Zeroize, ZeroizeOnDrop)]
pub struct Dg12 {
    /// The tags listed in `5C`, as stored.
    pub tag_list: Vec<u32>,
    /// `5F19`: issuing authority.
    pub issuing_authority: Option<String>,
    /// `5F26`: date of issue as stored digits, normally `yyyymmdd`
    /// (see [`crate::protocol::mrz::full_date_iso`]).
    pub date_of_issue: Option<String>,
    /// `5F1A`: names of other persons, in order.
    pub other_persons: Vec<String>,
    /// `5F1B`: endorsements and observations.
    pub endorsements: Option<String>,
    /// `5F1C`: tax / exit requirements.
    pub tax_exit_requirements: Option<String>,
    /// `5F1D`: image of the front of the document, bytes as stored.
    pub image_front: Option<Vec<u8>>,
    /// `5F1E`: image of the rear of the document, bytes as stored.
    pub image_rear: Option<Vec<u8>>,
    /// `5F55`: date and time of personalization as stored digits, normally `yyyymmddhhmmss`.
    pub personalization_time: Option<String>,
    /// `5F56`: serial number of the personalization system.
    pub personalization_device_serial: Option<String>,
}

impl fmt::Debug for Dg12 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dg12").field("tag_list", &HexTags(&self.tag_list)).field("data", &"<redacted>").finish()
    }
}

/// Parses DG12 (ICAO 9303-10 §4.7.12; grammar in the [module docs](self)).
pub fn parse(bytes: &[u8]) -> Result<Dg12, Malformed> {
    const WHAT: &str = "DG12";
    let template = Template::parse(bytes, TAG_DG12, MAX_DG12_SIZE, WHAT)?;
    let mut dg = Dg12::default();
    dg.tag_list = template.tag_list;
    for element in template.elements {
        let v = element.value;
        match element.tag {
            TAG_ISSUING_AUTHORITY => dg.issuing_authority = Some(decode_text(v)),
            TAG_DATE_OF_ISSUE => dg.date_of_issue = Some(decode_date(v, 8)),
            TAG_LIST_TEMPLATE => dg.other_persons.extend(counted_list(v, TAG_OTHER_PERSON, "DG12 other persons")?),
            TAG_OTHER_PERSON => dg.other_persons.push(decode_text(v)),
            TAG_ENDORSEMENTS => dg.endorsements = Some(decode_text(v)),
            TAG_TAX_EXIT_REQUIREMENTS => dg.tax_exit_requirements = Some(decode_text(v)),
            TAG_IMAGE_FRONT => dg.image_front = Some(v.to_vec()),
            TAG_IMAGE_REAR => dg.image_rear = Some(v.to_vec()),
            TAG_PERSONALIZATION_TIME => dg.personalization_time = Some(decode_date(v, 14)),
            TAG_PERSONALIZATION_DEVICE => dg.personalization_device_serial = Some(decode_text(v)),
            _ => {}
        }
        if dg.other_persons.len() > MAX_LIST_ENTRIES {
            return Err(Malformed::Invalid { what: WHAT, reason: "more other persons than MAX_LIST_ENTRIES" });
        }
    }
    Ok(dg)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::protocol::tlv::tlv;
    use proptest::prelude::*;

    fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn full_dg12() {
        let tag_list = [
            0x5F, 0x19, 0x5F, 0x26, 0x5F, 0x1A, 0x5F, 0x1B, 0x5F, 0x1C, 0x5F, 0x1D, 0x5F, 0x1E, 0x5F, 0x55, 0x5F, 0x56,
        ];
        let persons = cat(&[tlv(0x02, &[1]), tlv(0x5F1A, b"NGUYEN<<THI<BINH")]);
        let bytes = tlv(
            TAG_DG12,
            &cat(&[
                tlv(0x5C, &tag_list),
                tlv(0x5F19, "CỤC CẢNH SÁT QLHC VỀ TTXH".as_bytes()),
                tlv(0x5F26, b"20210601"),
                tlv(0xA0, &persons),
                tlv(0x5F1B, b"NONE"),
                tlv(0x5F1C, b"EXIT OK"),
                tlv(0x5F1D, &[0xFF, 0xD8, 0x01]),
                tlv(0x5F1E, &[0xFF, 0xD8, 0x02]),
                tlv(0x5F55, &[0x20, 0x21, 0x06, 0x01, 0x13, 0x45, 0x59]),
                tlv(0x5F56, b"SN-0042 "),
                tlv(0x5F57, b"unknown"),
            ]),
        );
        let dg = parse(&bytes).unwrap();
        assert_eq!(dg.tag_list.len(), 9);
        assert_eq!(dg.tag_list[0], 0x5F19);
        assert_eq!(dg.issuing_authority.as_deref(), Some("CỤC CẢNH SÁT QLHC VỀ TTXH"));
        assert_eq!(dg.date_of_issue.as_deref(), Some("20210601"));
        assert_eq!(dg.other_persons, vec!["NGUYEN<<THI<BINH"]);
        assert_eq!(dg.endorsements.as_deref(), Some("NONE"));
        assert_eq!(dg.tax_exit_requirements.as_deref(), Some("EXIT OK"));
        assert_eq!(dg.image_front.as_deref(), Some(&[0xFF, 0xD8, 0x01][..]));
        assert_eq!(dg.image_rear.as_deref(), Some(&[0xFF, 0xD8, 0x02][..]));
        assert_eq!(dg.personalization_time.as_deref(), Some("20210601134559"), "BCD date-time unpacked");
        assert_eq!(dg.personalization_device_serial.as_deref(), Some("SN-0042"));
        assert!(!format!("{dg:?}").contains("BINH"));
    }

    #[test]
    fn minimal_and_ascii_dates() {
        let dg =
            parse(&tlv(TAG_DG12, &cat(&[tlv(0x5C, &[0x5F, 0x26]), tlv(0x5F26, &[0x20, 0x21, 0x06, 0x01])]))).unwrap();
        assert_eq!(dg.date_of_issue.as_deref(), Some("20210601"), "BCD date unpacked");
        assert_eq!(dg.issuing_authority, None);
        assert!(dg.other_persons.is_empty());
        let dg = parse(&tlv(TAG_DG12, &cat(&[tlv(0x5C, &[]), tlv(0x5F55, b"20210601134559")]))).unwrap();
        assert_eq!(dg.personalization_time.as_deref(), Some("20210601134559"));
        let dg = parse(&tlv(TAG_DG12, &cat(&[tlv(0x5C, &[]), tlv(0x5F1A, b"A<<B"), tlv(0x5F1A, b"C<<D")]))).unwrap();
        assert_eq!(dg.other_persons, vec!["A<<B", "C<<D"], "bare entries");
    }

    #[test]
    fn structure_errors() {
        assert_eq!(
            parse(&tlv(TAG_DG12 - 1, &tlv(0x5C, &[]))),
            Err(Malformed::UnexpectedTag { what: "DG12", expected: 0x6C, found: 0x6B })
        );
        let twice = tlv(TAG_DG12, &cat(&[tlv(0x5C, &[]), tlv(0x5F1D, &[1]), tlv(0x5F1D, &[2])]));
        assert!(matches!(parse(&twice), Err(Malformed::Invalid { what: "DG12", reason: "an element appears twice" })));
        let bad_count = tlv(TAG_DG12, &cat(&[tlv(0x5C, &[]), tlv(0xA0, &cat(&[tlv(0x02, &[2]), tlv(0x5F1A, b"A")]))]));
        assert!(matches!(parse(&bad_count), Err(Malformed::Invalid { what: "DG12 other persons", .. })));
        let wrong_entry =
            tlv(TAG_DG12, &cat(&[tlv(0x5C, &[]), tlv(0xA0, &cat(&[tlv(0x02, &[1]), tlv(0x5F0F, b"A")]))]));
        assert_eq!(
            parse(&wrong_entry),
            Err(Malformed::UnexpectedTag { what: "DG12 other persons", expected: 0x5F1A, found: 0x5F0F })
        );
        assert!(matches!(parse(&tlv(TAG_DG12, &[])), Err(Malformed::Invalid { what: "DG12", .. })));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn never_panics_inside_a_valid_frame(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&tlv(TAG_DG12, &cat(&[tlv(0x5C, &[]), body.clone()])));
            let _ = parse(&tlv(TAG_DG12, &cat(&[tlv(0x5C, &[]), tlv(0xA0, &body)])));
        }
    }
}
