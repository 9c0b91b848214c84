//! A bounds-checked cursor and a BER-TLV reader/writer (ISO/IEC 7816-4 §5.2, ISO/IEC 8825-1).
//!
//! Everything the chip sends is parsed through [`Reader`]: `take(n)` returns
//! `None` instead of reading past the end, so no parser indexes untrusted bytes.
//!
//! Accepted length forms (ICAO 9303-10 §4.4.2, DER): short form `0x00..=0x7F`,
//! and long forms `0x81`–`0x84` with the minimal number of length bytes.
//! Indefinite length (`0x80`), five or more length bytes and non-minimal forms
//! (such as `81 05`) are rejected unless [`LengthRules::lenient`] is chosen.
//! Lengths are then checked against the container before anything else.

use crate::protocol::error::Malformed;

/// The longest tag we accept, in bytes (eMRTD tags are at most 2 bytes, e.g. `5F1F`, `7F61`).
pub const MAX_TAG_BYTES: usize = 3;
/// The deepest nesting any parser in this crate descends into.
pub const MAX_TLV_DEPTH: usize = 16;

/// A bounds-checked read cursor over untrusted bytes.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    /// The next `n` bytes, or `None` if fewer remain (the cursor does not move then).
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }
    /// The next byte.
    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|b| b.first().copied())
    }
    /// The next two bytes as a big-endian integer.
    pub fn u16_be(&mut self) -> Option<u16> {
        self.take(2).map(|b| b.iter().fold(0u16, |a, &x| (a << 8) | u16::from(x)))
    }
    /// The next four bytes as a big-endian integer.
    pub fn u32_be(&mut self) -> Option<u32> {
        self.take(4).map(|b| b.iter().fold(0u32, |a, &x| (a << 8) | u32::from(x)))
    }
    /// The next byte without consuming it.
    pub fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }
    /// Everything not yet read (the cursor moves to the end).
    pub fn rest(&mut self) -> &'a [u8] {
        let out = self.buf.get(self.pos..).unwrap_or(&[]);
        self.pos = self.buf.len();
        out
    }
    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    /// True when everything has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }
    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.pos
    }
    /// Err([`Malformed::TrailingBytes`]) unless everything has been read.
    pub fn expect_end(&self, what: &'static str) -> Result<(), Malformed> {
        if self.is_empty() { Ok(()) } else { Err(Malformed::TrailingBytes(what)) }
    }
}

/// How strictly BER length octets are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LengthRules {
    /// Accept non-minimal long forms such as `81 05` (never indefinite or 5+ bytes).
    pub lenient: bool,
}

/// A BER tag, kept as its encoded bytes packed big-endian (`0x5F1F`, `0x61`).
pub type Tag = u32;

/// One decoded TLV element borrowing its value from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag, as encoded (e.g. `0x5F1F`).
    pub tag: Tag,
    /// The value bytes.
    pub value: &'a [u8],
}

impl Tlv<'_> {
    /// True if the tag's constructed bit (b6 of the first tag byte) is set.
    pub fn is_constructed(&self) -> bool {
        let first = first_tag_byte(self.tag);
        first & 0x20 != 0
    }
}

fn first_tag_byte(tag: Tag) -> u8 {
    let mut t = tag;
    while t > 0xFF {
        t >>= 8;
    }
    t as u8
}

/// Reads a tag (ISO/IEC 8825-1 §8.1.2): low-tag-number form, or `x1F` followed
/// by continuation bytes with b8 set, up to [`MAX_TAG_BYTES`].
pub fn read_tag(r: &mut Reader<'_>, what: &'static str) -> Result<Tag, Malformed> {
    let first = r.u8().ok_or(Malformed::Truncated(what))?;
    let mut tag = Tag::from(first);
    if first & 0x1F != 0x1F {
        return Ok(tag);
    }
    for i in 1..MAX_TAG_BYTES {
        let b = r.u8().ok_or(Malformed::Truncated(what))?;
        tag = (tag << 8) | Tag::from(b);
        if b & 0x80 == 0 {
            return Ok(tag);
        }
        if i + 1 == MAX_TAG_BYTES {
            break;
        }
    }
    Err(Malformed::TagTooLong(what))
}

/// Reads BER length octets (ISO/IEC 8825-1 §8.1.3) under `rules`.
pub fn read_length(r: &mut Reader<'_>, what: &'static str, rules: LengthRules) -> Result<usize, Malformed> {
    let first = r.u8().ok_or(Malformed::Truncated(what))?;
    if first < 0x80 {
        return Ok(usize::from(first));
    }
    let n = usize::from(first & 0x7F);
    if n == 0 || n > 4 {
        return Err(Malformed::BadLength(what));
    }
    let bytes = r.take(n).ok_or(Malformed::Truncated(what))?;
    let mut len: usize = 0;
    for &b in bytes {
        len = (len << 8) | usize::from(b);
    }
    let minimal = match n {
        1 => len >= 0x80,
        _ => bytes.first().is_some_and(|&b| b != 0),
    };
    if !minimal && !rules.lenient {
        return Err(Malformed::BadLength(what));
    }
    Ok(len)
}

/// Reads one TLV whose value must lie inside the reader's remaining bytes.
pub fn read_tlv<'a>(r: &mut Reader<'a>, what: &'static str) -> Result<Tlv<'a>, Malformed> {
    read_tlv_with(r, what, LengthRules::default())
}

/// [`read_tlv`] with explicit length rules.
pub fn read_tlv_with<'a>(r: &mut Reader<'a>, what: &'static str, rules: LengthRules) -> Result<Tlv<'a>, Malformed> {
    let tag = read_tag(r, what)?;
    let len = read_length(r, what, rules)?;
    let value = r.take(len).ok_or(Malformed::Overrun(what))?;
    Ok(Tlv { tag, value })
}

/// Reads one TLV and requires its tag to be `expected`.
pub fn expect_tlv<'a>(r: &mut Reader<'a>, expected: Tag, what: &'static str) -> Result<&'a [u8], Malformed> {
    let tlv = read_tlv(r, what)?;
    if tlv.tag != expected {
        return Err(Malformed::UnexpectedTag { what, expected, found: tlv.tag });
    }
    Ok(tlv.value)
}

/// Parses `bytes` as exactly one TLV with tag `expected` and nothing after it.
pub fn single_tlv<'a>(bytes: &'a [u8], expected: Tag, what: &'static str) -> Result<&'a [u8], Malformed> {
    let mut r = Reader::new(bytes);
    let value = expect_tlv(&mut r, expected, what)?;
    r.expect_end(what)?;
    Ok(value)
}

/// The header of a TLV whose value may not be fully present yet: used to learn
/// a file's total length from its first chunk (ICAO 9303-10 §3.x: every LDS
/// elementary file is one TLV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The tag.
    pub tag: Tag,
    /// Bytes taken by tag and length octets.
    pub header_len: usize,
    /// The declared value length.
    pub value_len: usize,
}

impl Header {
    /// Header plus value: the total length of the element, or `None` on overflow.
    pub fn total_len(&self) -> Option<usize> {
        self.header_len.checked_add(self.value_len)
    }
}

/// Parses a TLV header from the start of `bytes` without requiring the value.
pub fn read_header(bytes: &[u8], what: &'static str) -> Result<Header, Malformed> {
    let mut r = Reader::new(bytes);
    let tag = read_tag(&mut r, what)?;
    let value_len = read_length(&mut r, what, LengthRules::default())?;
    Ok(Header { tag, header_len: r.position(), value_len })
}

/// Iterates over the TLVs that make up `bytes` (a constructed value).
pub fn children<'a>(bytes: &'a [u8], what: &'static str) -> Children<'a> {
    Children { r: Reader::new(bytes), what, failed: false }
}

/// Iterator returned by [`children`]; yields an error once and then stops.
#[derive(Debug, Clone)]
pub struct Children<'a> {
    r: Reader<'a>,
    what: &'static str,
    failed: bool,
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<Tlv<'a>, Malformed>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.r.is_empty() {
            return None;
        }
        let item = read_tlv(&mut self.r, self.what);
        self.failed = item.is_err();
        Some(item)
    }
}

/// The longest OBJECT IDENTIFIER accepted, in content octets.
pub const MAX_OID_LEN: usize = 64;

/// Checks OBJECT IDENTIFIER content octets (ISO/IEC 8825-1 §8.19): non-empty,
/// at most [`MAX_OID_LEN`] bytes, minimal subidentifiers, last one complete.
pub fn check_oid(content: &[u8], what: &'static str) -> Result<(), Malformed> {
    let bad = Malformed::Invalid { what, reason: "invalid OBJECT IDENTIFIER" };
    if content.is_empty() || content.len() > MAX_OID_LEN || content.last().is_some_and(|&b| b & 0x80 != 0) {
        return Err(bad);
    }
    let mut at_start = true;
    for &b in content {
        if at_start && b == 0x80 {
            return Err(bad);
        }
        at_start = b & 0x80 == 0;
    }
    Ok(())
}

/// OBJECT IDENTIFIER content octets as dotted text, after [`check_oid`].
pub fn oid_string(content: &[u8], what: &'static str) -> Result<String, Malformed> {
    check_oid(content, what)?;
    Ok(asn1_rs::Oid::new(std::borrow::Cow::Borrowed(content)).to_id_string())
}

/// Appends BER length octets in minimal form.
pub fn write_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = (len as u64).to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let significant = bytes.get(skip..).unwrap_or(&[]);
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// Appends a tag's bytes (as packed in [`Tag`]).
pub fn write_tag(tag: Tag, out: &mut Vec<u8>) {
    let bytes = tag.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    out.extend_from_slice(bytes.get(skip..).unwrap_or(&[]));
}

/// Appends a whole TLV.
pub fn write_tlv(tag: Tag, value: &[u8], out: &mut Vec<u8>) {
    write_tag(tag, out);
    write_length(value.len(), out);
    out.extend_from_slice(value);
}

/// A TLV as a new vector.
pub fn tlv(tag: Tag, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    write_tlv(tag, value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn length_forms() {
        let ok = |b: &[u8]| read_length(&mut Reader::new(b), "t", LengthRules::default());
        assert_eq!(ok(&[0x05]), Ok(5));
        assert_eq!(ok(&[0x81, 0x80]), Ok(0x80));
        assert_eq!(ok(&[0x82, 0x01, 0x00]), Ok(0x100));
        assert_eq!(ok(&[0x80]), Err(Malformed::BadLength("t")), "indefinite");
        assert_eq!(ok(&[0x85, 1, 2, 3, 4, 5]), Err(Malformed::BadLength("t")), "5-byte");
        assert_eq!(ok(&[0x81, 0x05]), Err(Malformed::BadLength("t")), "non-minimal");
        assert_eq!(ok(&[0x82, 0x00, 0x90]), Err(Malformed::BadLength("t")), "non-minimal");
        let lenient = LengthRules { lenient: true };
        assert_eq!(read_length(&mut Reader::new(&[0x81, 0x05]), "t", lenient), Ok(5));
        assert_eq!(ok(&[0x82, 0x01]), Err(Malformed::Truncated("t")));
    }

    #[test]
    fn four_gigabyte_length_is_an_overrun_not_an_allocation() {
        let dg1 = [0x61, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x5F, 0x1F];
        assert_eq!(read_tlv(&mut Reader::new(&dg1), "DG1"), Err(Malformed::Overrun("DG1")));
        let h = read_header(&dg1, "DG1").unwrap();
        assert_eq!(h.value_len, 0xFFFF_FFFF);
    }

    #[test]
    fn multi_byte_tags() {
        let mut r = Reader::new(&[0x5F, 0x1F, 0x01, 0xAA, 0x7F, 0x61, 0x00]);
        assert_eq!(read_tlv(&mut r, "t").unwrap(), Tlv { tag: 0x5F1F, value: &[0xAA] });
        let t = read_tlv(&mut r, "t").unwrap();
        assert_eq!(t.tag, 0x7F61);
        assert!(t.is_constructed());
        assert_eq!(read_tag(&mut Reader::new(&[0x5F, 0x80, 0x80, 0x01]), "t"), Err(Malformed::TagTooLong("t")));
    }

    #[test]
    fn child_longer_than_parent_is_rejected() {
        let parent = [0x61, 0x04, 0x5F, 0x1F, 0x05, 0x41];
        let value = single_tlv(&parent, 0x61, "DG1").unwrap();
        assert_eq!(read_tlv(&mut Reader::new(value), "MRZ"), Err(Malformed::Overrun("MRZ")));
    }

    proptest! {
        #[test]
        fn tlv_round_trip(tag in prop_oneof![0x01u32..0x1F, 0x5F01u32..0x5F7F, 0x7F01u32..0x7F7F], value in proptest::collection::vec(any::<u8>(), 0..70_000)) {
            let encoded = tlv(tag, &value);
            let mut r = Reader::new(&encoded);
            let back = read_tlv(&mut r, "p").unwrap();
            prop_assert_eq!(back.tag, tag);
            prop_assert_eq!(back.value, &value[..]);
            prop_assert!(r.is_empty());
            let h = read_header(&encoded, "p").unwrap();
            prop_assert_eq!(h.total_len(), Some(encoded.len()));
        }

        #[test]
        fn tlv_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut r = Reader::new(&bytes);
            while let Ok(t) = read_tlv(&mut r, "p") {
                let _ = children(t.value, "c").count();
                if r.is_empty() { break; }
            }
        }
    }
}
