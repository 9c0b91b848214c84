//! DG13 of the Vietnamese CCCD (chip ID card): the citizen's personal data in a
//! proprietary layout. ICAO 9303-10 §4.7.13 leaves DG13 ("optional details") to
//! the issuing state; Vietnam's layout is not published and is known from
//! public reader projects.
//!
//! ```text
//! DG13 ::= 6D {                                  [APPLICATION 13]
//!   30 {                                         SEQUENCE
//!     02 01 01                                   INTEGER version 1
//!     06 06 28 D3 16 01 00 08                    OID 1.0.10646.1.0.8 (UTF-8 text)
//!     31 {                                       SET OF field
//!       30 { 02 01 n, value }                    one field, keyed by n
//!       ...
//!     }
//!   }
//! }
//! value ::= UTF8String (0C) | PrintableString (13) | SEQUENCE nesting those
//!
//!  n  field                              n  field
//!  1  12-digit ID number                 9  place of residence
//!  2  full name                         10  personal identification features
//!  3  date of birth, dd/mm/yyyy         11  date of issue, dd/mm/yyyy
//!  4  sex (Nam / Nữ)                    12  date of expiry (or text if none)
//!  5  nationality                       13  parents: 30{02 01 0D, 30{0C father}, 30{0C mother}}
//!  6  ethnicity                             or 30{02 01 0D, 30{0C father, 0C mother}}
//!  7  religion                          14  spouse: 30 03 02 01 0E when none
//!  8  place of origin                   15  old 9-digit ID (CMND); 16 unknown
//! ```
//!
//! Decisions (the layout rests on few sources, so the parser is lenient about
//! structure and strict about bytes):
//! - Fields are found by their key `n`, never by position, and any may be
//!   missing. The walk accepts the header SEQUENCE with or without its
//!   version/OID, fields directly in `6D` or in the SET, fields as
//!   `30 { 02 n, value }` and as a flat run `02 n, value, 02 n, value` — a
//!   SEQUENCE or run that contains an OID or a SET is a container, not a field.
//!   Keys outside 1..=16 and values of other ASN.1 types are ignored.
//! - Every TLV must lie inside its parent; nesting is limited to
//!   [`MAX_TLV_DEPTH`]; the file to [`MAX_DG13_SIZE`]. A key seen twice is
//!   malformed (which of two names is the holder's is not ours to guess).
//!   UTF8String must be valid UTF-8, PrintableString ASCII.
//! - Text is trimmed of surrounding whitespace; an empty value is absent.
//! - Dates `dd/mm/yyyy` that name a real day become ISO `yyyy-mm-dd`; anything
//!   else (e.g. a card with no expiry) is kept as the text the chip holds.
//!
//! Ethnicity, religion and all other fields are sensitive personal data
//! (Vietnam's Law on Personal Data Protection): [`CccdData`] is zeroized on drop
//! and its `Debug` shows only which fields are present.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::protocol::error::Malformed;
use crate::protocol::tlv::{MAX_TLV_DEPTH, Tlv, children, single_tlv};

/// The largest DG13 we parse. Real CCCD DG13s are about 1 KB.
pub const MAX_DG13_SIZE: usize = 32 * 1024;
/// Outer tag of DG13.
pub const TAG_DG13: u32 = 0x6D;
/// The OID 1.0.10646.1.0.8 in the header, content octets (for reference; not required).
pub const OID_UTF8_TEXT: &[u8] = &[0x28, 0xD3, 0x16, 0x01, 0x00, 0x08];

const TAG_INTEGER: u32 = 0x02;
const TAG_OID: u32 = 0x06;
const TAG_UTF8_STRING: u32 = 0x0C;
const TAG_PRINTABLE_STRING: u32 = 0x13;
const TAG_SEQUENCE: u32 = 0x30;
const TAG_SET: u32 = 0x31;
const WHAT: &str = "DG13";

/// The personal data of a Vietnamese CCCD's DG13. Every field is optional.
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct CccdData {
    /// 1: the 12-digit personal identification number (số định danh).
    pub id_number: Option<String>,
    /// 2: full name, with diacritics.
    pub full_name: Option<String>,
    /// 3: date of birth, ISO `yyyy-mm-dd` when it parses, else as stored.
    pub date_of_birth: Option<String>,
    /// 4: sex as written on the card (`Nam` / `Nữ`).
    pub sex: Option<String>,
    /// 5: nationality (`Việt Nam`).
    pub nationality: Option<String>,
    /// 6: ethnicity (sensitive).
    pub ethnicity: Option<String>,
    /// 7: religion (sensitive).
    pub religion: Option<String>,
    /// 8: place of origin (quê quán).
    pub place_of_origin: Option<String>,
    /// 9: place of residence (nơi thường trú).
    pub place_of_residence: Option<String>,
    /// 10: personal identification features.
    pub personal_identification: Option<String>,
    /// 11: date of issue, ISO when it parses, else as stored.
    pub date_of_issue: Option<String>,
    /// 12: date of expiry, ISO when it parses, else as stored (cards with no expiry hold text).
    pub date_of_expiry: Option<String>,
    /// 13: father's name.
    pub father_name: Option<String>,
    /// 13: mother's name.
    pub mother_name: Option<String>,
    /// 14: spouse's name; absent when the card says "none".
    pub spouse_name: Option<String>,
    /// 15: the old 9-digit ID number (CMND).
    pub old_id_number: Option<String>,
    /// 16: a 16-character string of uncertain meaning, kept as stored.
    pub field_16: Option<String>,
}

impl CccdData {
    /// True if no field was found.
    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, v)| v.is_none())
    }

    fn fields(&self) -> [(&'static str, &Option<String>); 17] {
        [
            ("id_number", &self.id_number),
            ("full_name", &self.full_name),
            ("date_of_birth", &self.date_of_birth),
            ("sex", &self.sex),
            ("nationality", &self.nationality),
            ("ethnicity", &self.ethnicity),
            ("religion", &self.religion),
            ("place_of_origin", &self.place_of_origin),
            ("place_of_residence", &self.place_of_residence),
            ("personal_identification", &self.personal_identification),
            ("date_of_issue", &self.date_of_issue),
            ("date_of_expiry", &self.date_of_expiry),
            ("father_name", &self.father_name),
            ("mother_name", &self.mother_name),
            ("spouse_name", &self.spouse_name),
            ("old_id_number", &self.old_id_number),
            ("field_16", &self.field_16),
        ]
    }

    fn slot(&mut self, n: u8) -> Option<&mut Option<String>> {
        Some(match n {
            1 => &mut self.id_number,
            2 => &mut self.full_name,
            3 => &mut self.date_of_birth,
            4 => &mut self.sex,
            5 => &mut self.nationality,
            6 => &mut self.ethnicity,
            7 => &mut self.religion,
            8 => &mut self.place_of_origin,
            9 => &mut self.place_of_residence,
            10 => &mut self.personal_identification,
            11 => &mut self.date_of_issue,
            12 => &mut self.date_of_expiry,
            14 => &mut self.spouse_name,
            15 => &mut self.old_id_number,
            16 => &mut self.field_16,
            _ => return None,
        })
    }
}

impl fmt::Debug for CccdData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("CccdData");
        for (name, value) in self.fields() {
            s.field(name, &if value.is_some() { "<redacted>" } else { "None" });
        }
        s.finish()
    }
}

/// Parses a CCCD's DG13 (grammar and decisions in the [module docs](self)).
pub fn parse(bytes: &[u8]) -> Result<CccdData, Malformed> {
    if bytes.len() > MAX_DG13_SIZE {
        return Err(Malformed::Invalid { what: WHAT, reason: "larger than MAX_DG13_SIZE" });
    }
    let value = single_tlv(bytes, TAG_DG13, WHAT)?;
    let mut walk = Walk { data: CccdData::default(), seen: [false; 17] };
    walk.items(&kids(value)?, 1)?;
    Ok(walk.data)
}

struct Walk {
    data: CccdData,
    seen: [bool; 17],
}

fn kids(value: &[u8]) -> Result<Vec<Tlv<'_>>, Malformed> {
    children(value, WHAT).collect()
}

fn too_deep(depth: usize) -> Result<(), Malformed> {
    if depth > MAX_TLV_DEPTH { Err(Malformed::TooDeep(WHAT)) } else { Ok(()) }
}

/// The key `n` of `02 01 n`, if `t` is a one-byte INTEGER.
fn key(t: &Tlv<'_>) -> Option<u8> {
    match (t.tag, t.value) {
        (TAG_INTEGER, [n]) => Some(*n),
        _ => None,
    }
}

impl Walk {
    /// A list of elements: SEQUENCEs, SETs, and flat `02 n, value...` runs.
    fn items(&mut self, items: &[Tlv<'_>], depth: usize) -> Result<(), Malformed> {
        too_deep(depth)?;
        let mut rest = items;
        while let Some((first, tail)) = rest.split_first() {
            rest = tail;
            match first.tag {
                TAG_INTEGER => {
                    let end = tail.iter().position(|t| t.tag == TAG_INTEGER).unwrap_or(tail.len());
                    let (values, after) = tail.split_at(end);
                    rest = after;
                    self.keyed(key(first), values, depth)?;
                }
                TAG_SEQUENCE => self.sequence(first.value, depth + 1)?,
                TAG_SET => self.items(&kids(first.value)?, depth + 1)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn sequence(&mut self, value: &[u8], depth: usize) -> Result<(), Malformed> {
        too_deep(depth)?;
        let items = kids(value)?;
        match items.split_first() {
            Some((first, values)) if first.tag == TAG_INTEGER => self.keyed(key(first), values, depth),
            _ => self.items(&items, depth),
        }
    }

    /// `INTEGER n` followed by `values`: a field, or the header/a container
    /// when the values hold an OID or a SET.
    fn keyed(&mut self, n: Option<u8>, values: &[Tlv<'_>], depth: usize) -> Result<(), Malformed> {
        if values.iter().any(|t| t.tag == TAG_OID || t.tag == TAG_SET) {
            return self.items(values, depth + 1);
        }
        let Some(n) = n.filter(|n| (1..=16).contains(n)) else { return Ok(()) };
        let seen = self.seen.get_mut(usize::from(n)).ok_or(Malformed::Invalid { what: WHAT, reason: "bad key" })?;
        if *seen {
            return Err(Malformed::Invalid { what: WHAT, reason: "a field key appears twice" });
        }
        *seen = true;
        if n == 13 {
            let (father, mother) = parents(values, depth + 1)?;
            self.data.father_name = father;
            self.data.mother_name = mother;
            return Ok(());
        }
        let mut text = first_string(values, depth + 1)?;
        if matches!(n, 3 | 11 | 12) {
            text = text.map(iso_date);
        }
        if let Some(slot) = self.data.slot(n) {
            *slot = text;
        }
        Ok(())
    }
}

/// Field 13: either one SEQUENCE per parent, or the names together.
fn parents(values: &[Tlv<'_>], depth: usize) -> Result<(Option<String>, Option<String>), Malformed> {
    let seqs: Vec<&Tlv<'_>> = values.iter().filter(|t| t.tag == TAG_SEQUENCE).collect();
    if let [father, mother, ..] = seqs.as_slice() {
        let father = first_string(&kids(father.value)?, depth + 1)?;
        let mother = first_string(&kids(mother.value)?, depth + 1)?;
        return Ok((father, mother));
    }
    let mut all = Vec::new();
    strings(values, depth, &mut all, 2)?;
    let mut it = all.into_iter();
    Ok((it.next(), it.next()))
}

fn first_string(values: &[Tlv<'_>], depth: usize) -> Result<Option<String>, Malformed> {
    let mut out = Vec::new();
    strings(values, depth, &mut out, 1)?;
    Ok(out.into_iter().next())
}

/// Collects up to `limit` non-empty strings, depth first.
fn strings(values: &[Tlv<'_>], depth: usize, out: &mut Vec<String>, limit: usize) -> Result<(), Malformed> {
    too_deep(depth)?;
    for t in values {
        if out.len() >= limit {
            break;
        }
        match t.tag {
            TAG_UTF8_STRING | TAG_PRINTABLE_STRING => {
                if let Some(s) = text(t)? {
                    out.push(s);
                }
            }
            TAG_SEQUENCE => strings(&kids(t.value)?, depth + 1, out, limit)?,
            _ => {}
        }
    }
    Ok(())
}

fn text(t: &Tlv<'_>) -> Result<Option<String>, Malformed> {
    if t.tag == TAG_PRINTABLE_STRING && !t.value.is_ascii() {
        return Err(Malformed::Invalid { what: WHAT, reason: "PrintableString with non-ASCII bytes" });
    }
    let s = core::str::from_utf8(t.value)
        .map_err(|_| Malformed::Invalid { what: WHAT, reason: "UTF8String is not valid UTF-8" })?
        .trim();
    Ok((!s.is_empty()).then(|| s.to_owned()))
}

/// `dd/mm/yyyy` naming a real day → `yyyy-mm-dd`; anything else unchanged.
fn iso_date(s: String) -> String {
    match parse_dmy(&s) {
        Some((d, m, y)) => format!("{y:04}-{m:02}-{d:02}"),
        None => s,
    }
}

fn parse_dmy(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = s.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || d.len() != 2 || m.len() != 2 || y.len() != 4 {
        return None;
    }
    let num = |p: &str| p.bytes().all(|b| b.is_ascii_digit()).then(|| p.parse::<u32>().ok()).flatten();
    let (d, m, y) = (num(d)?, num(m)?, num(y)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (y >= 1 && (1..=days).contains(&d)).then_some((d, m, y))
}

/// Builders of DG13 files, for tests.
#[cfg(test)]
pub(crate) mod build {
    use crate::protocol::tlv::tlv;

    /// `30 { 02 01 n, value }`.
    pub fn field(n: u8, value: &[u8]) -> Vec<u8> {
        tlv(0x30, &[tlv(0x02, &[n]), value.to_vec()].concat())
    }
    /// A UTF8String.
    pub fn utf8(s: &str) -> Vec<u8> {
        tlv(0x0C, s.as_bytes())
    }
    /// A PrintableString.
    pub fn printable(s: &str) -> Vec<u8> {
        tlv(0x13, s.as_bytes())
    }
    /// The full layout: `6D { 30 { 02 01 01, 06 OID, 31 { fields } } }`.
    pub fn dg13(fields: &[Vec<u8>]) -> Vec<u8> {
        let mut header = tlv(0x02, &[1]);
        header.extend(tlv(0x06, super::OID_UTF8_TEXT));
        header.extend(tlv(0x31, &fields.concat()));
        tlv(0x6D, &tlv(0x30, &header))
    }
    /// The demo card's DG13 (synthetic data).
    pub fn demo() -> Vec<u8> {
        dg13(&[
            field(1, &printable("001095012345")),
            field(2, &utf8("Nguyễn Văn An")),
            field(3, &utf8("12/03/1995")),
            field(4, &utf8("Nam")),
            field(5, &utf8("Việt Nam")),
            field(6, &utf8("Kinh")),
            field(7, &utf8("Không")),
            field(8, &utf8("Phường Hàng Bạc, Hoàn Kiếm, Hà Nội")),
            field(9, &utf8("Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội")),
            field(10, &utf8("Nốt ruồi C:1cm trên trước mép trái")),
            field(11, &utf8("01/06/2021")),
            field(12, &utf8("12/03/2035")),
            field(13, &[tlv(0x30, &utf8("Nguyễn Văn Bình")), tlv(0x30, &utf8("Trần Thị Cúc"))].concat()),
            tlv(0x30, &tlv(0x02, &[14])),
            field(15, &printable("012345678")),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::protocol::tlv::tlv;
    use proptest::prelude::*;

    #[test]
    fn parses_the_demo_card() {
        let bytes = demo();
        // The spouse "none" element is exactly 30 03 02 01 0E.
        assert!(bytes.windows(5).any(|w| w == [0x30, 0x03, 0x02, 0x01, 0x0E]));
        let d = parse(&bytes).unwrap();
        assert_eq!(d.id_number.as_deref(), Some("001095012345"));
        assert_eq!(d.full_name.as_deref(), Some("Nguyễn Văn An"));
        assert_eq!(d.date_of_birth.as_deref(), Some("1995-03-12"));
        assert_eq!(d.sex.as_deref(), Some("Nam"));
        assert_eq!(d.nationality.as_deref(), Some("Việt Nam"));
        assert_eq!(d.ethnicity.as_deref(), Some("Kinh"));
        assert_eq!(d.religion.as_deref(), Some("Không"));
        assert_eq!(d.place_of_origin.as_deref(), Some("Phường Hàng Bạc, Hoàn Kiếm, Hà Nội"));
        assert_eq!(d.place_of_residence.as_deref(), Some("Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội"));
        assert_eq!(d.personal_identification.as_deref(), Some("Nốt ruồi C:1cm trên trước mép trái"));
        assert_eq!(d.date_of_issue.as_deref(), Some("2021-06-01"));
        assert_eq!(d.date_of_expiry.as_deref(), Some("2035-03-12"));
        assert_eq!(d.father_name.as_deref(), Some("Nguyễn Văn Bình"));
        assert_eq!(d.mother_name.as_deref(), Some("Trần Thị Cúc"));
        assert_eq!(d.spouse_name, None);
        assert_eq!(d.old_id_number.as_deref(), Some("012345678"));
        assert_eq!(d.field_16, None);
        assert!(!d.is_empty());
    }

    #[test]
    fn parents_in_one_sequence() {
        let both = tlv(0x30, &[utf8("Ưng Văn Cha"), utf8("Lê Thị Mẹ")].concat());
        let d = parse(&dg13(&[field(13, &both)])).unwrap();
        assert_eq!(d.father_name.as_deref(), Some("Ưng Văn Cha"));
        assert_eq!(d.mother_name.as_deref(), Some("Lê Thị Mẹ"));
        // Parents as two SEQUENCEs, the father's empty.
        let sep = [tlv(0x30, &[]), tlv(0x30, &utf8("Lê Thị Mẹ"))].concat();
        let d = parse(&dg13(&[field(13, &sep)])).unwrap();
        assert_eq!(d.father_name, None);
        assert_eq!(d.mother_name.as_deref(), Some("Lê Thị Mẹ"));
        // Strings directly in the field.
        let flat = [utf8("A"), utf8("B")].concat();
        let d = parse(&dg13(&[field(13, &flat)])).unwrap();
        assert_eq!((d.father_name.as_deref(), d.mother_name.as_deref()), (Some("A"), Some("B")));
    }

    #[test]
    fn spouse_present() {
        let d = parse(&dg13(&[field(14, &tlv(0x30, &utf8("Phạm Thị Dung")))])).unwrap();
        assert_eq!(d.spouse_name.as_deref(), Some("Phạm Thị Dung"));
        let d = parse(&dg13(&[field(14, &utf8("Phạm Thị Dung"))])).unwrap();
        assert_eq!(d.spouse_name.as_deref(), Some("Phạm Thị Dung"));
    }

    #[test]
    fn fields_keyed_not_positional_and_all_optional() {
        let d = parse(&dg13(&[field(16, &printable("ABCDEFGH12345678")), field(2, &utf8("Nguyễn Văn An"))])).unwrap();
        assert_eq!(d.full_name.as_deref(), Some("Nguyễn Văn An"));
        assert_eq!(d.field_16.as_deref(), Some("ABCDEFGH12345678"));
        assert_eq!(d.id_number, None);
        assert_eq!(d.date_of_birth, None);
        let empty = parse(&dg13(&[])).unwrap();
        assert!(empty.is_empty());
        // Unknown keys and non-string values ignored.
        let d = parse(&dg13(&[field(17, &utf8("x")), field(0, &utf8("y")), field(4, &tlv(0x04, b"Nam"))])).unwrap();
        assert!(d.is_empty());
    }

    #[test]
    fn printable_and_utf8_both_accepted() {
        let d = parse(&dg13(&[field(1, &utf8("001095012345")), field(15, &printable("012345678"))])).unwrap();
        assert_eq!(d.id_number.as_deref(), Some("001095012345"));
        assert_eq!(d.old_id_number.as_deref(), Some("012345678"));
        let bad = dg13(&[field(2, &tlv(0x13, "Nữ".as_bytes()))]);
        assert!(matches!(parse(&bad), Err(Malformed::Invalid { .. })));
        let bad = dg13(&[field(2, &tlv(0x0C, &[0xC3, 0x28]))]);
        assert!(matches!(parse(&bad), Err(Malformed::Invalid { .. })));
    }

    #[test]
    fn dates() {
        assert_eq!(iso_date("05/01/1993".into()), "1993-01-05");
        assert_eq!(iso_date("29/02/2024".into()), "2024-02-29");
        assert_eq!(iso_date("29/02/2023".into()), "29/02/2023");
        assert_eq!(iso_date("29/02/1900".into()), "29/02/1900");
        assert_eq!(iso_date("29/02/2000".into()), "2000-02-29");
        assert_eq!(iso_date("31/04/2020".into()), "31/04/2020");
        assert_eq!(iso_date("00/01/2020".into()), "00/01/2020");
        assert_eq!(iso_date("1/1/2020".into()), "1/1/2020");
        assert_eq!(iso_date("+1/01/2020".into()), "+1/01/2020");
        assert_eq!(iso_date("Không thời hạn".into()), "Không thời hạn");
        let d = parse(&dg13(&[field(12, &utf8("Không thời hạn")), field(11, &utf8(" 15/04/2021 "))])).unwrap();
        assert_eq!(d.date_of_expiry.as_deref(), Some("Không thời hạn"));
        assert_eq!(d.date_of_issue.as_deref(), Some("2021-04-15"));
    }

    #[test]
    fn lenient_structures() {
        // Fields directly under 6D, no header.
        let d = parse(&tlv(0x6D, &[field(2, &utf8("An")), field(4, &utf8("Nữ"))].concat())).unwrap();
        assert_eq!((d.full_name.as_deref(), d.sex.as_deref()), (Some("An"), Some("Nữ")));
        // A flat run inside the SET: 02 n value 02 n value.
        let flat = [tlv(0x02, &[2]), utf8("An"), tlv(0x02, &[4]), utf8("Nam")].concat();
        let mut header = tlv(0x02, &[1]);
        header.extend(tlv(0x06, OID_UTF8_TEXT));
        header.extend(tlv(0x31, &flat));
        let d = parse(&tlv(0x6D, &tlv(0x30, &header))).unwrap();
        assert_eq!((d.full_name.as_deref(), d.sex.as_deref()), (Some("An"), Some("Nam")));
        // Header without the OID: the SET marks it as a container, so version 1 is not field 1.
        let header = [tlv(0x02, &[1]), tlv(0x31, &field(2, &utf8("An")))].concat();
        let d = parse(&tlv(0x6D, &tlv(0x30, &header))).unwrap();
        assert_eq!(d.id_number, None);
        assert_eq!(d.full_name.as_deref(), Some("An"));
    }

    #[test]
    fn errors() {
        assert!(matches!(parse(&tlv(0x6E, &[])), Err(Malformed::UnexpectedTag { .. })));
        let dup = dg13(&[field(2, &utf8("A")), field(2, &utf8("B"))]);
        assert!(matches!(parse(&dup), Err(Malformed::Invalid { .. })));
        // A child longer than its parent (HOSTILE 5).
        let mut bad = dg13(&[field(2, &utf8("An"))]);
        let n = bad.len();
        bad[n - 3] += 1; // the UTF8String length
        assert_eq!(parse(&bad), Err(Malformed::Overrun("DG13")));
        // Nesting deeper than MAX_TLV_DEPTH.
        let mut deep = utf8("x");
        for _ in 0..40 {
            deep = tlv(0x30, &deep);
        }
        assert_eq!(parse(&dg13(&[field(2, &deep)])), Err(Malformed::TooDeep("DG13")));
        let mut deep_sets = field(2, &utf8("x"));
        for _ in 0..40 {
            deep_sets = tlv(0x31, &deep_sets);
        }
        assert_eq!(parse(&tlv(0x6D, &deep_sets)), Err(Malformed::TooDeep("DG13")));
        assert!(matches!(parse(&vec![0u8; MAX_DG13_SIZE + 1]), Err(Malformed::Invalid { .. })));
    }

    #[test]
    fn debug_is_redacted() {
        let s = format!("{:?}", parse(&demo()).unwrap());
        assert!(!s.contains("Nguy") && !s.contains("0010"), "{s}");
        assert!(s.contains("full_name: \"<redacted>\"") && s.contains("spouse_name: \"None\""), "{s}");
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn never_panics_on_mutations(pos in 0usize..2000, val in any::<u8>()) {
            let mut bytes = demo();
            let len = bytes.len();
            bytes[pos % len] = val;
            let _ = parse(&bytes);
        }

        #[test]
        fn any_text_round_trips(s in "\\PC{1,40}", n in 1u8..=16) {
            prop_assume!(n != 13 && !matches!(n, 3 | 11 | 12));
            let d = parse(&dg13(&[field(n, &utf8(&s))])).unwrap();
            let got = d.fields().iter().find_map(|(_, v)| (*v).clone());
            let trimmed = s.trim();
            prop_assert_eq!(got.as_deref(), (!trimmed.is_empty()).then_some(trimmed));
        }
    }
}
