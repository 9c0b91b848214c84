//! DG1, the machine-readable zone as stored on the chip (ICAO 9303-10 §4.7.1).
//!
//! ```text
//! DG1 ::= [APPLICATION 1] (tag 61) {
//!     5F1F  MRZ data   the MRZ as one string of 90 (TD1), 72 (TD2) or 88 (TD3)
//!                      characters, no line breaks
//! }
//! ```
//!
//! The MRZ is parsed with [`Mrz::parse_unchecked`]: check-digit failures are
//! reported in [`Dg1::check_digit_failures`], not rejected, because DG1's
//! integrity is vouched for by its hash in EF.SOD, not by its check digits.
//! Anything else that is wrong (structure, length, characters outside
//! `A-Z 0-9 <`) makes the file [`Malformed`].

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::protocol::error::{InputError, Malformed};
use crate::protocol::mrz::Mrz;
use crate::protocol::tlv::{Reader, expect_tlv, single_tlv};

/// Tag of DG1's outer TLV.
pub const TAG_DG1: u32 = 0x61;
/// Tag of the MRZ data element.
pub const TAG_MRZ: u32 = 0x5F1F;
/// The largest DG1 we parse: a TD1 MRZ (90 bytes) with headers is under 100 bytes.
pub const MAX_DG1_SIZE: usize = 256;

/// The parsed contents of DG1.
#[derive(Debug, Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Dg1 {
    /// The MRZ (personal data: wiped on drop, redacted in `Debug`).
    pub mrz: Mrz,
    /// The [`crate::protocol::mrz::field`] names whose check digits do not
    /// hold; empty for a well-formed document.
    #[zeroize(skip)]
    pub check_digit_failures: Vec<&'static str>,
}

/// Parses DG1 (ICAO 9303-10 §4.7.1; grammar in the [module docs](self)).
///
/// Errors: outer tag not `61`, `5F1F` missing or followed by anything, a
/// length outside its container, the file larger than [`MAX_DG1_SIZE`], MRZ
/// data that is not 90, 72 or 88 ASCII characters of the MRZ alphabet, or an
/// invalid sex field.
pub fn parse(bytes: &[u8]) -> Result<Dg1, Malformed> {
    const WHAT: &str = "DG1";
    if bytes.len() > MAX_DG1_SIZE {
        return Err(Malformed::Invalid { what: WHAT, reason: "larger than MAX_DG1_SIZE" });
    }
    let value = single_tlv(bytes, TAG_DG1, WHAT)?;
    let mut r = Reader::new(value);
    let mrz = expect_tlv(&mut r, TAG_MRZ, "DG1 MRZ")?;
    r.expect_end(WHAT)?;
    if !matches!(mrz.len(), 90 | 72 | 88) {
        return Err(Malformed::Invalid { what: WHAT, reason: "MRZ data is not 90, 72 or 88 characters" });
    }
    let text = core::str::from_utf8(mrz)
        .ok()
        .filter(|s| s.is_ascii())
        .ok_or(Malformed::Invalid { what: WHAT, reason: "MRZ data is not ASCII" })?;
    let (mrz, check_digit_failures) = Mrz::parse_unchecked(text).map_err(|e| Malformed::Invalid {
        what: WHAT,
        reason: match e {
            InputError::Character { field: "sex", .. } => "MRZ sex field is not M, F, X or <",
            InputError::Character { .. } => "MRZ data holds a character outside A-Z, 0-9 and <",
            _ => "MRZ data does not parse",
        },
    })?;
    Ok(Dg1 { mrz, check_digit_failures })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::protocol::mrz::{MrzFormat, field};
    use crate::protocol::tlv::tlv;
    use proptest::prelude::*;

    const CCCD: &str = "IDVNM0930470641001093047064<<29301054M3301052VNM<<<<<<<<<<<8UNG<<HOANG<HIEP<<<<<<<<<<<<<<<";
    const TD3: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10";

    fn dg1(mrz: &[u8]) -> Vec<u8> {
        tlv(TAG_DG1, &tlv(TAG_MRZ, mrz))
    }

    #[test]
    fn cccd_dg1() {
        let bytes = dg1(CCCD.as_bytes());
        assert_eq!(&bytes[..5], &[0x61, 0x5D, 0x5F, 0x1F, 0x5A]);
        let d = parse(&bytes).unwrap();
        assert!(d.check_digit_failures.is_empty());
        assert_eq!(d.mrz.format, MrzFormat::Td1);
        assert_eq!(d.mrz.document_number, "093047064");
        assert_eq!(d.mrz.given_names, "HOANG HIEP");
        assert_eq!(d.mrz.lines, vec![&CCCD[..30], &CCCD[30..60], &CCCD[60..]]);
    }

    #[test]
    fn td3_dg1_and_check_digit_failures_are_reported() {
        let d = parse(&dg1(TD3.as_bytes())).unwrap();
        assert_eq!(d.mrz.format, MrzFormat::Td3);
        assert_eq!(d.mrz.surname, "ERIKSSON");
        let bad = TD3.replacen("7408122", "7408123", 1);
        let d = parse(&dg1(bad.as_bytes())).unwrap();
        assert_eq!(d.check_digit_failures, vec![field::DATE_OF_BIRTH, field::COMPOSITE]);
        assert_eq!(d.mrz.date_of_birth, "740812");
    }

    #[test]
    fn malformed_dg1() {
        let invalid = |b: &[u8]| matches!(parse(b), Err(Malformed::Invalid { what: "DG1", .. }));
        assert!(invalid(&dg1(&CCCD.as_bytes()[..89])), "wrong length");
        assert!(invalid(&dg1(CCCD.to_lowercase().as_bytes())), "lowercase");
        let mut latin1 = CCCD.as_bytes().to_vec();
        latin1[70] = 0xC9;
        assert!(invalid(&dg1(&latin1)), "not ASCII");
        let newline = format!("{}\n{}", &TD3[..44], &TD3[45..]);
        assert!(invalid(&dg1(newline.as_bytes())), "line break");
        assert!(invalid(&vec![0x61; 300]), "too large");
        assert_eq!(
            parse(&tlv(0x60, &tlv(TAG_MRZ, CCCD.as_bytes()))),
            Err(Malformed::UnexpectedTag { what: "DG1", expected: 0x61, found: 0x60 })
        );
        assert_eq!(
            parse(&tlv(TAG_DG1, &tlv(0x5F1E, CCCD.as_bytes()))),
            Err(Malformed::UnexpectedTag { what: "DG1 MRZ", expected: 0x5F1F, found: 0x5F1E })
        );
        let mut trailing = tlv(TAG_MRZ, CCCD.as_bytes());
        trailing.extend_from_slice(&[0x53, 0x00]);
        assert_eq!(parse(&tlv(TAG_DG1, &trailing)), Err(Malformed::TrailingBytes("DG1")));
        let mut outer_trailing = dg1(CCCD.as_bytes());
        outer_trailing.push(0);
        assert_eq!(parse(&outer_trailing), Err(Malformed::TrailingBytes("DG1")));
        // Inner length larger than the outer container.
        let mut overrun = dg1(CCCD.as_bytes());
        overrun[4] = 0x5B;
        assert_eq!(parse(&overrun), Err(Malformed::Overrun("DG1 MRZ")));
        // The 4 GB length of HOSTILE.md case 3.
        assert_eq!(parse(&[0x61, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x5F, 0x1F]), Err(Malformed::Overrun("DG1")));
        assert_eq!(parse(&[]), Err(Malformed::Truncated("DG1")));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn never_panics_on_well_framed_mrz_bytes(mrz in proptest::collection::vec(prop_oneof![Just(b'<'), b'0'..=b'9', b'A'..=b'Z', any::<u8>()], 88..=90)) {
            let _ = parse(&dg1(&mrz));
        }
    }
}
