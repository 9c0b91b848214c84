//! DG11, additional personal details (ICAO 9303-10 §4.7.11).
//!
//! ```text
//! DG11 ::= [APPLICATION 11] (tag 6B) {
//!     5C    tag list                  the tags of the elements present (required, first)
//!     5F0E  full name                 primary and secondary identifiers in full, `<<` between
//!     A0    other names {             content-specific template:
//!               02    count           one byte, the number of 5F0F that follow
//!               5F0F  other name      (count times)
//!           }
//!     5F10  personal number
//!     5F2B  full date of birth        yyyymmdd: 8 ASCII digits (some chips: 4 BCD bytes)
//!     5F11  place of birth            fields separated by `<`
//!     5F42  permanent address         fields separated by `<`
//!     5F12  telephone
//!     5F13  profession
//!     5F14  title
//!     5F15  personal summary
//!     5F16  proof of citizenship      image (ISO/IEC 10918 JPEG)
//!     5F17  other valid travel document numbers, separated by `<`
//!     5F18  custody information
//! }
//! ```
//!
//! Every element but the tag list is optional. The parser is strict about
//! structure (outer tag, lengths inside their containers, `5C` first, no
//! element twice, the `A0` count equal to the names that follow) and lenient
//! about content: elements with unknown tags are skipped, the tag list is kept
//! but not enforced, a bare `5F0F` outside an `A0` is taken as an other name.
//!
//! # Text
//! ICAO 9303-10 gives these fields as UTF-8 text. A value that is not valid
//! UTF-8 is decoded as ISO/IEC 8859-1 instead of being rejected: that never
//! fails, loses no information (every byte maps to one character), and is the
//! likeliest encoding of legacy chips; the raw file stays available to clients
//! anyway. Values are trimmed of surrounding whitespace and NUL padding; `<`
//! separators are kept as stored. Dates are returned as the digits stored
//! (`yyyymmdd`, BCD unpacked); see [`crate::protocol::mrz::full_date_iso`].
//!
//! DG11 is personal data: [`Dg11`] is wiped on drop and its `Debug` prints
//! only which tags are present.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::protocol::error::Malformed;
use crate::protocol::tlv::{Reader, Tlv, children, read_tag, single_tlv};

/// Tag of DG11's outer TLV.
pub const TAG_DG11: u32 = 0x6B;
/// Tag of the tag list (DG11 and DG12).
pub const TAG_TAG_LIST: u32 = 0x5C;
/// Tag of the content-specific template holding counted lists (DG11 other names, DG12 other persons).
pub const TAG_LIST_TEMPLATE: u32 = 0xA0;
/// Tag of the count inside [`TAG_LIST_TEMPLATE`].
pub const TAG_COUNT: u32 = 0x02;
/// Full name of the holder.
pub const TAG_FULL_NAME: u32 = 0x5F0E;
/// Other name (inside [`TAG_LIST_TEMPLATE`]).
pub const TAG_OTHER_NAME: u32 = 0x5F0F;
/// Personal number.
pub const TAG_PERSONAL_NUMBER: u32 = 0x5F10;
/// Full date of birth, yyyymmdd.
pub const TAG_FULL_DATE_OF_BIRTH: u32 = 0x5F2B;
/// Place of birth.
pub const TAG_PLACE_OF_BIRTH: u32 = 0x5F11;
/// Permanent address.
pub const TAG_PERMANENT_ADDRESS: u32 = 0x5F42;
/// Telephone.
pub const TAG_TELEPHONE: u32 = 0x5F12;
/// Profession.
pub const TAG_PROFESSION: u32 = 0x5F13;
/// Title.
pub const TAG_TITLE: u32 = 0x5F14;
/// Personal summary.
pub const TAG_PERSONAL_SUMMARY: u32 = 0x5F15;
/// Proof of citizenship (image).
pub const TAG_PROOF_OF_CITIZENSHIP: u32 = 0x5F16;
/// Other valid travel document numbers.
pub const TAG_OTHER_TD_NUMBERS: u32 = 0x5F17;
/// Custody information.
pub const TAG_CUSTODY_INFORMATION: u32 = 0x5F18;

/// The largest DG11 we parse (it may hold a proof-of-citizenship image).
pub const MAX_DG11_SIZE: usize = 256 * 1024;
/// The most entries a counted list (other names, other persons) may hold.
pub const MAX_LIST_ENTRIES: usize = 32;
/// The most tags a tag list may hold (DG11 defines 14 elements, DG12 9).
pub const MAX_TAG_LIST_ENTRIES: usize = 64;

/// The parsed contents of DG11. `None` / empty where the chip holds nothing.
#[derive(Clone, PartialEq, Eq, Default, Zeroize, ZeroizeOnDrop)]
pub struct Dg11 {
    /// The tags listed in `5C`, as stored.
    pub tag_list: Vec<u32>,
    /// `5F0E`: the full name, `<<` between primary and secondary identifiers.
    pub full_name: Option<String>,
    /// `5F0F`: other names, in order.
    pub other_names: Vec<String>,
    /// `5F10`: personal number.
    pub personal_number: Option<String>,
    /// `5F2B`: full date of birth as stored digits, normally `yyyymmdd`.
    pub full_date_of_birth: Option<String>,
    /// `5F11`: place of birth (`<`-separated fields).
    pub place_of_birth: Option<String>,
    /// `5F42`: permanent address (`<`-separated fields).
    pub permanent_address: Option<String>,
    /// `5F12`: telephone.
    pub telephone: Option<String>,
    /// `5F13`: profession.
    pub profession: Option<String>,
    /// `5F14`: title.
    pub title: Option<String>,
    /// `5F15`: personal summary.
    pub personal_summary: Option<String>,
    /// `5F16`: proof of citizenship, the image bytes as stored.
    pub proof_of_citizenship: Option<Vec<u8>>,
    /// `5F17`: other valid travel document numbers (`<`-separated).
    pub other_travel_document_numbers: Option<String>,
    /// `5F18`: custody information.
    pub custody_information: Option<String>,
}

impl fmt::Debug for Dg11 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dg11").field("tag_list", &HexTags(&self.tag_list)).field("data", &"<redacted>").finish()
    }
}

/// Prints tags as hex (`[5F0E, 5F10]`).
pub(crate) struct HexTags<'a>(pub(crate) &'a [u32]);

impl fmt::Debug for HexTags<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter().map(|&t| HexTag(t))).finish()
    }
}

struct HexTag(u32);

impl fmt::Debug for HexTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}", self.0)
    }
}

/// Parses DG11 (ICAO 9303-10 §4.7.11; grammar and leniency in the [module docs](self)).
pub fn parse(bytes: &[u8]) -> Result<Dg11, Malformed> {
    const WHAT: &str = "DG11";
    let template = Template::parse(bytes, TAG_DG11, MAX_DG11_SIZE, WHAT)?;
    let mut dg = Dg11::default();
    dg.tag_list = template.tag_list;
    for element in template.elements {
        let v = element.value;
        match element.tag {
            TAG_FULL_NAME => dg.full_name = Some(decode_text(v)),
            TAG_LIST_TEMPLATE => dg.other_names.extend(counted_list(v, TAG_OTHER_NAME, "DG11 other names")?),
            TAG_OTHER_NAME => dg.other_names.push(decode_text(v)),
            TAG_PERSONAL_NUMBER => dg.personal_number = Some(decode_text(v)),
            TAG_FULL_DATE_OF_BIRTH => dg.full_date_of_birth = Some(decode_date(v, 8)),
            TAG_PLACE_OF_BIRTH => dg.place_of_birth = Some(decode_text(v)),
            TAG_PERMANENT_ADDRESS => dg.permanent_address = Some(decode_text(v)),
            TAG_TELEPHONE => dg.telephone = Some(decode_text(v)),
            TAG_PROFESSION => dg.profession = Some(decode_text(v)),
            TAG_TITLE => dg.title = Some(decode_text(v)),
            TAG_PERSONAL_SUMMARY => dg.personal_summary = Some(decode_text(v)),
            TAG_PROOF_OF_CITIZENSHIP => dg.proof_of_citizenship = Some(v.to_vec()),
            TAG_OTHER_TD_NUMBERS => dg.other_travel_document_numbers = Some(decode_text(v)),
            TAG_CUSTODY_INFORMATION => dg.custody_information = Some(decode_text(v)),
            _ => {}
        }
        if dg.other_names.len() > MAX_LIST_ENTRIES {
            return Err(Malformed::Invalid { what: WHAT, reason: "more other names than MAX_LIST_ENTRIES" });
        }
    }
    Ok(dg)
}

/// The common shape of DG11 and DG12: an outer template whose first element
/// is the tag list, followed by the data elements.
pub(crate) struct Template<'a> {
    /// The tags of the tag list.
    pub(crate) tag_list: Vec<u32>,
    /// The data elements after the tag list, in order; no tag twice, except
    /// `repeatable` ones.
    pub(crate) elements: Vec<Tlv<'a>>,
}

impl<'a> Template<'a> {
    /// Parses `outer { 5C tag-list, elements... }`, rejecting a file larger
    /// than `max_size`, a missing or misplaced tag list and repeated elements
    /// (other than the bare list entries [`TAG_OTHER_NAME`] and `5F1A`).
    pub(crate) fn parse(bytes: &'a [u8], outer: u32, max_size: usize, what: &'static str) -> Result<Self, Malformed> {
        if bytes.len() > max_size {
            return Err(Malformed::Invalid { what, reason: "larger than the size limit" });
        }
        let value = single_tlv(bytes, outer, what)?;
        let mut items = children(value, what);
        let first = items.next().ok_or(Malformed::Invalid { what, reason: "tag list (5C) missing" })??;
        if first.tag != TAG_TAG_LIST {
            return Err(Malformed::UnexpectedTag { what, expected: TAG_TAG_LIST, found: first.tag });
        }
        let mut tag_list = Vec::new();
        let mut r = Reader::new(first.value);
        while !r.is_empty() {
            if tag_list.len() >= MAX_TAG_LIST_ENTRIES {
                return Err(Malformed::Invalid { what, reason: "tag list longer than MAX_TAG_LIST_ENTRIES" });
            }
            tag_list.push(read_tag(&mut r, what)?);
        }
        let mut elements: Vec<Tlv<'a>> = Vec::new();
        for item in items {
            let item = item?;
            let repeatable = matches!(item.tag, TAG_OTHER_NAME | 0x5F1A);
            if item.tag == TAG_TAG_LIST || (!repeatable && elements.iter().any(|e| e.tag == item.tag)) {
                return Err(Malformed::Invalid { what, reason: "an element appears twice" });
            }
            elements.push(item);
        }
        Ok(Self { tag_list, elements })
    }
}

/// A counted list `A0 { 02 count, entry_tag value (count times) }`
/// (ICAO 9303-10 §4.7.11 other names, §4.7.12 other persons).
pub(crate) fn counted_list(value: &[u8], entry_tag: u32, what: &'static str) -> Result<Vec<String>, Malformed> {
    let mut items = children(value, what);
    let count = items.next().ok_or(Malformed::Truncated(what))??;
    if count.tag != TAG_COUNT {
        return Err(Malformed::UnexpectedTag { what, expected: TAG_COUNT, found: count.tag });
    }
    let n = match count.value {
        [n] => usize::from(*n),
        _ => return Err(Malformed::Invalid { what, reason: "count is not one byte" }),
    };
    if n > MAX_LIST_ENTRIES {
        return Err(Malformed::Invalid { what, reason: "count larger than MAX_LIST_ENTRIES" });
    }
    let mut out = Vec::with_capacity(n);
    for item in items {
        let item = item?;
        if item.tag != entry_tag {
            return Err(Malformed::UnexpectedTag { what, expected: entry_tag, found: item.tag });
        }
        if out.len() == n {
            return Err(Malformed::Invalid { what, reason: "more entries than the count" });
        }
        out.push(decode_text(item.value));
    }
    if out.len() != n {
        out.zeroize();
        return Err(Malformed::Invalid { what, reason: "fewer entries than the count" });
    }
    Ok(out)
}

fn is_padding(b: &u8) -> bool {
    b.is_ascii_whitespace() || *b == 0
}

/// Text as UTF-8, or ISO/IEC 8859-1 if it is not valid UTF-8 (module docs);
/// surrounding whitespace and NULs removed.
pub(crate) fn decode_text(bytes: &[u8]) -> String {
    let start = bytes.iter().position(|b| !is_padding(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_padding(b)).map_or(start, |i| i + 1);
    let bytes = bytes.get(start..end).unwrap_or(&[]);
    match core::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// A date (or date-time) of `digits` digits: ASCII digits as stored, or
/// `digits / 2` bytes of packed BCD (seen on some French passports) unpacked
/// to ASCII digits. Anything else is kept as text ([`decode_text`]).
pub(crate) fn decode_date(bytes: &[u8], digits: usize) -> String {
    let bcd = bytes.len() * 2 == digits && bytes.iter().all(|b| b >> 4 <= 9 && b & 0x0F <= 9);
    if bcd {
        bytes.iter().flat_map(|b| [char::from(b'0' + (b >> 4)), char::from(b'0' + (b & 0x0F))]).collect()
    } else {
        decode_text(bytes)
    }
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

    fn sample() -> Vec<u8> {
        let tag_list = [0x5F, 0x0E, 0x5F, 0x0F, 0x5F, 0x10, 0x5F, 0x2B, 0x5F, 0x11, 0x5F, 0x42, 0x5F, 0x16];
        let others = cat(&[tlv(0x02, &[2]), tlv(0x5F0F, b"ERIKSSON<<ANNA"), tlv(0x5F0F, b"SVENSSON<<ANNA<MARIA")]);
        tlv(
            TAG_DG11,
            &cat(&[
                tlv(0x5C, &tag_list),
                tlv(0x5F0E, "NGUYỄN<<VĂN<AN".as_bytes()),
                tlv(0xA0, &others),
                tlv(0x5F10, b"001095012345"),
                tlv(0x5F2B, b"19950312"),
                tlv(0x5F11, b"HA NOI<VIET NAM"),
                tlv(0x5F42, b" 1 TRANG TIEN<HOAN KIEM<HA NOI \0\0"),
                tlv(0x5F16, &[0xFF, 0xD8, 0xFF, 0xE0]),
                tlv(0x5F7F, b"unknown, skipped"),
            ]),
        )
    }

    #[test]
    fn full_dg11() {
        let dg = parse(&sample()).unwrap();
        assert_eq!(dg.tag_list, vec![0x5F0E, 0x5F0F, 0x5F10, 0x5F2B, 0x5F11, 0x5F42, 0x5F16]);
        assert_eq!(dg.full_name.as_deref(), Some("NGUYỄN<<VĂN<AN"));
        assert_eq!(dg.other_names, vec!["ERIKSSON<<ANNA", "SVENSSON<<ANNA<MARIA"]);
        assert_eq!(dg.personal_number.as_deref(), Some("001095012345"));
        assert_eq!(dg.full_date_of_birth.as_deref(), Some("19950312"));
        assert_eq!(dg.place_of_birth.as_deref(), Some("HA NOI<VIET NAM"));
        assert_eq!(dg.permanent_address.as_deref(), Some("1 TRANG TIEN<HOAN KIEM<HA NOI"));
        assert_eq!(dg.proof_of_citizenship.as_deref(), Some(&[0xFF, 0xD8, 0xFF, 0xE0][..]));
        assert_eq!(dg.telephone, None);
        assert_eq!(dg.custody_information, None);
        let debug = format!("{dg:?}");
        assert_eq!(debug, r#"Dg11 { tag_list: [5F0E, 5F0F, 5F10, 5F2B, 5F11, 5F42, 5F16], data: "<redacted>" }"#);
    }

    #[test]
    fn every_text_field() {
        let fields: [(u32, &[u8]); 8] = [
            (0x5F12, b"+84 24 1234"),
            (0x5F13, b"ENGINEER"),
            (0x5F14, b"DR"),
            (0x5F15, b"SUMMARY"),
            (0x5F17, b"C1234567<B7654321"),
            (0x5F18, b"CUSTODY"),
            (0x5F0F, b"BARE<<NAME"),
            (0x5F2B, &[0x19, 0x74, 0x08, 0x12]),
        ];
        let body: Vec<Vec<u8>> =
            std::iter::once(tlv(0x5C, &[])).chain(fields.iter().map(|(t, v)| tlv(*t, v))).collect();
        let dg = parse(&tlv(TAG_DG11, &cat(&body))).unwrap();
        assert_eq!(dg.telephone.as_deref(), Some("+84 24 1234"));
        assert_eq!(dg.profession.as_deref(), Some("ENGINEER"));
        assert_eq!(dg.title.as_deref(), Some("DR"));
        assert_eq!(dg.personal_summary.as_deref(), Some("SUMMARY"));
        assert_eq!(dg.other_travel_document_numbers.as_deref(), Some("C1234567<B7654321"));
        assert_eq!(dg.custody_information.as_deref(), Some("CUSTODY"));
        assert_eq!(dg.other_names, vec!["BARE<<NAME"]);
        assert_eq!(dg.full_date_of_birth.as_deref(), Some("19740812"), "BCD date unpacked");
        assert!(dg.tag_list.is_empty());
    }

    #[test]
    fn text_decoding() {
        assert_eq!(decode_text("Hà Nội".as_bytes()), "Hà Nội");
        assert_eq!(decode_text(b"M\xDCLLER"), "MÜLLER", "ISO 8859-1 fallback");
        assert_eq!(decode_text(b"\0 x \0"), "x");
        assert_eq!(decode_text(b""), "");
        assert_eq!(decode_date(&[0x20, 0x21, 0x06, 0x01], 8), "20210601");
        assert_eq!(decode_date(&[0x20, 0x2A, 0x06, 0x01], 8), "*\u{6}\u{1}", "not BCD: kept as text");
        assert_eq!(decode_date(b"19950312", 8), "19950312");
        assert_eq!(decode_date(b"95", 8), "95");
        // Four bytes are read as BCD even when they look like ASCII: the length decides.
        assert_eq!(decode_date(b"1995", 8), "31393935");
    }

    #[test]
    fn structure_errors() {
        let wrap = |parts: &[Vec<u8>]| tlv(TAG_DG11, &cat(parts));
        assert_eq!(
            parse(&tlv(0x6C, &tlv(0x5C, &[]))),
            Err(Malformed::UnexpectedTag { what: "DG11", expected: 0x6B, found: 0x6C })
        );
        assert_eq!(
            parse(&wrap(&[tlv(0x5F0E, b"A")])),
            Err(Malformed::UnexpectedTag { what: "DG11", expected: 0x5C, found: 0x5F0E })
        );
        assert!(matches!(parse(&wrap(&[])), Err(Malformed::Invalid { what: "DG11", .. })));
        let twice = wrap(&[tlv(0x5C, &[]), tlv(0x5F10, b"1"), tlv(0x5F10, b"2")]);
        assert!(matches!(parse(&twice), Err(Malformed::Invalid { reason: "an element appears twice", .. })));
        let list_twice = wrap(&[tlv(0x5C, &[]), tlv(0x5C, &[])]);
        assert!(matches!(parse(&list_twice), Err(Malformed::Invalid { reason: "an element appears twice", .. })));
        // Tag list with a truncated two-byte tag.
        assert_eq!(parse(&wrap(&[tlv(0x5C, &[0x5F])])), Err(Malformed::Truncated("DG11")));
        // Child longer than the parent.
        let mut overrun = wrap(&[tlv(0x5C, &[]), tlv(0x5F10, b"12345")]);
        let n = overrun.len();
        overrun[n - 6] = 0x06;
        assert_eq!(parse(&overrun), Err(Malformed::Overrun("DG11")));
        assert!(matches!(parse(&vec![0u8; MAX_DG11_SIZE + 1]), Err(Malformed::Invalid { what: "DG11", .. })));
        let mut trailing = wrap(&[tlv(0x5C, &[])]);
        trailing.push(0);
        assert_eq!(parse(&trailing), Err(Malformed::TrailingBytes("DG11")));
    }

    #[test]
    fn counted_list_errors() {
        let with = |a0: Vec<u8>| parse(&tlv(TAG_DG11, &cat(&[tlv(0x5C, &[]), tlv(0xA0, &a0)])));
        let name = tlv(0x5F0F, b"X<<Y");
        assert_eq!(with(cat(&[tlv(0x02, &[1]), name.clone()])).unwrap().other_names, vec!["X<<Y"]);
        assert_eq!(with(tlv(0x02, &[0])).unwrap().other_names, Vec::<String>::new());
        let invalid = |r: Result<Dg11, Malformed>, reason: &str| matches!(r, Err(Malformed::Invalid { what: "DG11 other names", reason: got }) if got == reason);
        assert!(invalid(with(cat(&[tlv(0x02, &[2]), name.clone()])), "fewer entries than the count"));
        assert!(invalid(with(cat(&[tlv(0x02, &[1]), name.clone(), name.clone()])), "more entries than the count"));
        assert!(invalid(with(cat(&[tlv(0x02, &[0, 1]), name.clone()])), "count is not one byte"));
        assert!(invalid(with(tlv(0x02, &[200])), "count larger than MAX_LIST_ENTRIES"));
        assert_eq!(
            with(name.clone()),
            Err(Malformed::UnexpectedTag { what: "DG11 other names", expected: 0x02, found: 0x5F0F })
        );
        assert_eq!(
            with(cat(&[tlv(0x02, &[1]), tlv(0x5F10, b"1")])),
            Err(Malformed::UnexpectedTag { what: "DG11 other names", expected: 0x5F0F, found: 0x5F10 })
        );
        assert_eq!(with(vec![]), Err(Malformed::Truncated("DG11 other names")));
        // Bare entries beyond the cap.
        let many: Vec<Vec<u8>> =
            std::iter::once(tlv(0x5C, &[])).chain((0..=MAX_LIST_ENTRIES).map(|_| name.clone())).collect();
        assert!(matches!(parse(&tlv(TAG_DG11, &cat(&many))), Err(Malformed::Invalid { what: "DG11", .. })));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn never_panics_inside_a_valid_frame(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&tlv(TAG_DG11, &cat(&[tlv(0x5C, &[0x5F, 0x0E]), body.clone()])));
            let _ = parse(&tlv(TAG_DG11, &cat(&[tlv(0x5C, &[]), tlv(0xA0, &body)])));
        }
    }
}
