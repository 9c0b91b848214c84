//! EF.COM, the common data elements (ICAO 9303-10 §4.6.1).
//!
//! ```text
//! EF.COM ::= [APPLICATION 0] (tag 60) {
//!     5F01  LDS version      4 digits "aabb" (version aa, update level bb), e.g. "0107"
//!     5F36  Unicode version  6 digits "aabbcc", e.g. "040000"
//!     5C    tag list         one byte per data group: the DG's outer tag (61 = DG1, 75 = DG2, ...)
//! }
//! ```
//!
//! EF.COM is not covered by the security object, so nothing here is trusted: the
//! tag list is only a hint of which data groups to read. The parser is strict
//! about structure (outer tag `60`, every length inside its container, no
//! trailing bytes, each element at most once, `5C` present) and lenient about
//! content that does not matter: elements other than the three above are
//! skipped, unknown tags in the tag list are ignored and repeated ones dropped.

use crate::protocol::error::Malformed;
use crate::protocol::lds::DataGroup;
use crate::protocol::tlv::{children, single_tlv};

/// The largest EF.COM we parse. A full EF.COM (16 tags) is under 40 bytes.
pub const MAX_COM_SIZE: usize = 256;

/// Tag of EF.COM's outer TLV.
pub const TAG_COM: u32 = 0x60;
/// Tag of the LDS version element.
pub const TAG_LDS_VERSION: u32 = 0x5F01;
/// Tag of the Unicode version element.
pub const TAG_UNICODE_VERSION: u32 = 0x5F36;
/// Tag of the tag list element.
pub const TAG_TAG_LIST: u32 = 0x5C;

/// The parsed contents of EF.COM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EfCom {
    /// The LDS version as stored: four digits `aabb`, e.g. `"0107"` for LDS 1.7.
    pub lds_version: Option<String>,
    /// The Unicode version as stored: six digits `aabbcc`, e.g. `"040000"`.
    pub unicode_version: Option<String>,
    /// The data groups the chip says it holds, in tag-list order, without repeats.
    pub data_groups: Vec<DataGroup>,
}

/// Parses EF.COM (ICAO 9303-10 §4.6.1; grammar in the [module docs](self)).
///
/// Errors: the outer tag is not `60` (ICAO LDS test LDS_A_01), a length is
/// too small or too large for its container (LDS_A_02/03), the file exceeds
/// [`MAX_COM_SIZE`], an element appears twice, a version is not all digits of
/// the right length, or the tag list is missing.
pub fn parse(bytes: &[u8]) -> Result<EfCom, Malformed> {
    const WHAT: &str = "EF.COM";
    if bytes.len() > MAX_COM_SIZE {
        return Err(Malformed::Invalid { what: WHAT, reason: "larger than MAX_COM_SIZE" });
    }
    let value = single_tlv(bytes, TAG_COM, WHAT)?;
    let mut lds_version = None;
    let mut unicode_version = None;
    let mut tag_list: Option<&[u8]> = None;
    for child in children(value, WHAT) {
        let child = child?;
        match child.tag {
            TAG_LDS_VERSION => set_once(&mut lds_version, digits(child.value, 4, "EF.COM LDS version")?)?,
            TAG_UNICODE_VERSION => set_once(&mut unicode_version, digits(child.value, 6, "EF.COM Unicode version")?)?,
            TAG_TAG_LIST => set_once(&mut tag_list, child.value)?,
            _ => {}
        }
    }
    let tag_list = tag_list.ok_or(Malformed::Invalid { what: WHAT, reason: "tag list (5C) missing" })?;
    let mut data_groups: Vec<DataGroup> = Vec::with_capacity(16);
    for dg in tag_list.iter().filter_map(|&t| DataGroup::from_tag(t)) {
        if !data_groups.contains(&dg) {
            data_groups.push(dg);
        }
    }
    Ok(EfCom { lds_version, unicode_version, data_groups })
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<(), Malformed> {
    if slot.is_some() {
        return Err(Malformed::Invalid { what: "EF.COM", reason: "element present twice" });
    }
    *slot = Some(value);
    Ok(())
}

fn digits(value: &[u8], len: usize, what: &'static str) -> Result<String, Malformed> {
    if value.len() != len || !value.iter().all(u8::is_ascii_digit) {
        return Err(Malformed::Invalid { what, reason: "not a string of digits of the required length" });
    }
    Ok(value.iter().map(|&b| char::from(b)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::tlv::tlv;
    use proptest::prelude::*;

    fn com(tags: &[u8]) -> Vec<u8> {
        let mut v = tlv(0x5F01, b"0107");
        v.extend(tlv(0x5F36, b"040000"));
        v.extend(tlv(0x5C, tags));
        tlv(0x60, &v)
    }

    #[test]
    fn parses_the_cccd_tag_list() {
        // EF.COM of a CCCD: DG1, DG2, DG3, DG13, DG14, DG15.
        let bytes = com(&[0x61, 0x75, 0x63, 0x6D, 0x6E, 0x6F]);
        assert_eq!(
            bytes,
            hex_literal::hex!("60 18 5F01 04 30313037 5F36 06 303430303030 5C 06 61 75 63 6D 6E 6F").to_vec()
        );
        let c = parse(&bytes).unwrap();
        assert_eq!(c.lds_version.as_deref(), Some("0107"));
        assert_eq!(c.unicode_version.as_deref(), Some("040000"));
        let n: Vec<u8> = c.data_groups.iter().map(|d| d.number()).collect();
        assert_eq!(n, [1, 2, 3, 13, 14, 15]);
    }

    #[test]
    fn unknown_tags_ignored_duplicates_removed() {
        let c = parse(&com(&[0x61, 0x77, 0x61, 0x75, 0x00, 0x75, 0xFF])).unwrap();
        assert_eq!(c.data_groups, [DataGroup::DG1, DataGroup::DG2]);
    }

    #[test]
    fn versions_optional_tag_list_required() {
        let c = parse(&tlv(0x60, &tlv(0x5C, &[0x61]))).unwrap();
        assert_eq!(c, EfCom { lds_version: None, unicode_version: None, data_groups: vec![DataGroup::DG1] });
        assert!(matches!(parse(&tlv(0x60, &tlv(0x5F01, b"0107"))), Err(Malformed::Invalid { .. })));
        assert!(matches!(parse(&tlv(0x60, &tlv(0x5F01, b"01a7"))), Err(Malformed::Invalid { .. })));
    }

    #[test]
    fn duplicate_element_rejected() {
        let mut v = tlv(0x5C, &[0x61]);
        v.extend(tlv(0x5C, &[0x75]));
        assert!(matches!(parse(&tlv(0x60, &v)), Err(Malformed::Invalid { .. })));
    }

    /// HOSTILE 1 (LDS_A_01): tag 61 instead of 60.
    #[test]
    fn hostile_1_wrong_outer_tag() {
        let mut bytes = com(&[0x61, 0x75]);
        bytes[0] = 0x61;
        assert_eq!(parse(&bytes), Err(Malformed::UnexpectedTag { what: "EF.COM", expected: 0x60, found: 0x61 }));
    }

    /// HOSTILE 2 (LDS_A_02/03): the outer length one too small or one too big.
    #[test]
    fn hostile_2_wrong_outer_length() {
        let good = com(&[0x61, 0x75]);
        let mut small = good.clone();
        small[1] -= 1;
        // The last tag-list byte now lies outside the outer TLV: the 5C child
        // overruns its parent, or the outer TLV has trailing bytes.
        assert!(matches!(parse(&small), Err(Malformed::TrailingBytes(_) | Malformed::Overrun(_))));
        let mut big = good.clone();
        big[1] += 1;
        assert_eq!(parse(&big), Err(Malformed::Overrun("EF.COM")));
        // A huge length is an overrun, not an allocation.
        let mut huge = vec![0x60, 0x84, 0x7F, 0xFF, 0xFF, 0xFF];
        huge.extend_from_slice(&good[2..]);
        assert_eq!(parse(&huge), Err(Malformed::Overrun("EF.COM")));
        // Inner length too big (child longer than its parent, HOSTILE 5).
        let mut inner = good.clone();
        let pos = inner.len() - 3; // the 5C length byte
        assert_eq!(inner[pos - 1], 0x5C);
        inner[pos] += 1;
        assert_eq!(parse(&inner), Err(Malformed::Overrun("EF.COM")));
    }

    /// HOSTILE 6: indefinite, 5-byte and non-minimal lengths.
    #[test]
    fn hostile_6_length_forms() {
        let body = tlv(0x5C, &[0x61]);
        let mut indefinite = vec![0x60, 0x80];
        indefinite.extend(&body);
        indefinite.extend([0, 0]);
        assert_eq!(parse(&indefinite), Err(Malformed::BadLength("EF.COM")));
        let mut five = vec![0x60, 0x85, 0, 0, 0, 0, 3];
        five.extend(&body);
        assert_eq!(parse(&five), Err(Malformed::BadLength("EF.COM")));
        let mut non_minimal = vec![0x60, 0x81, 0x03];
        non_minimal.extend(&body);
        assert_eq!(parse(&non_minimal), Err(Malformed::BadLength("EF.COM")));
    }

    #[test]
    fn size_cap() {
        let big = tlv(0x60, &tlv(0x5C, &[0x61; 300]));
        assert!(matches!(parse(&big), Err(Malformed::Invalid { .. })));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn never_panics_with_valid_prefix(tail in proptest::collection::vec(any::<u8>(), 0..40), len in any::<u8>()) {
            let mut bytes = vec![0x60, len];
            bytes.extend(tail);
            let _ = parse(&bytes);
        }
    }
}
