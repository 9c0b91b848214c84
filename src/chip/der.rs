//! A few DER (ITU-T X.690 §10) writers for the certificates, EF.SOD and DG14/DG15.
//!
//! Hand-written on top of [`crate::protocol::tlv`]: the structures the chip
//! emits are small and fixed, and writing them element by element keeps every
//! byte visible next to the ASN.1 it encodes (the `der` crate's derive-based
//! encoder would need a type per structure for the same result).

use crate::protocol::tlv::{Tag, tlv};

/// `SEQUENCE` (tag `30`) of the already encoded `parts`.
pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// `SET` (tag `31`) of the already encoded `parts`, kept in the given order
/// (for a `SET` of different types, or a `SET OF` whose order the caller fixed).
pub(crate) fn set(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x31, &parts.concat())
}

/// DER `SET OF` (tag `31`): elements sorted by their encodings (X.690 §11.6).
pub(crate) fn set_of(parts: &[&[u8]]) -> Vec<u8> {
    let mut sorted: Vec<&[u8]> = parts.to_vec();
    sorted.sort();
    tlv(0x31, &sorted.concat())
}

/// A context-specific tag `[n]`, constructed (EXPLICIT, or IMPLICIT over a constructed type).
pub(crate) fn ctx(n: u8, value: &[u8]) -> Vec<u8> {
    tlv(Tag::from(0xA0 | (n & 0x1F)), value)
}

/// A context-specific primitive tag `[n]` IMPLICIT.
pub(crate) fn ctx_primitive(n: u8, value: &[u8]) -> Vec<u8> {
    tlv(Tag::from(0x80 | (n & 0x1F)), value)
}

/// `OBJECT IDENTIFIER` (X.690 §8.19) from its arcs; the first two arcs are combined.
pub(crate) fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    let (first, rest) = match arcs {
        [a, b, rest @ ..] => (a * 40 + b, rest),
        [a] => (a * 40, &[][..]),
        [] => (0, &[][..]),
    };
    for arc in core::iter::once(first).chain(rest.iter().copied()) {
        let mut groups = Vec::new();
        let mut v = arc;
        loop {
            groups.push((v & 0x7F) as u8);
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        groups.reverse();
        let last = groups.len() - 1;
        for (i, g) in groups.iter().enumerate() {
            body.push(if i < last { g | 0x80 } else { *g });
        }
    }
    tlv(0x06, &body)
}

/// `INTEGER` from an unsigned value.
pub(crate) fn int(value: u64) -> Vec<u8> {
    uint(&value.to_be_bytes())
}

/// `INTEGER` from unsigned big-endian magnitude bytes (minimal, with a leading
/// zero where the high bit would make it negative).
pub(crate) fn uint(be: &[u8]) -> Vec<u8> {
    let skip = be.iter().take_while(|&&b| b == 0).count();
    let significant = be.get(skip..).unwrap_or(&[]);
    let mut body = Vec::with_capacity(significant.len() + 1);
    if significant.first().is_none_or(|&b| b & 0x80 != 0) {
        body.push(0);
    }
    body.extend_from_slice(significant);
    tlv(0x02, &body)
}

/// `BOOLEAN TRUE`.
pub(crate) fn bool_true() -> Vec<u8> {
    tlv(0x01, &[0xFF])
}

/// `NULL`.
pub(crate) fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

/// `OCTET STRING`.
pub(crate) fn octets(value: &[u8]) -> Vec<u8> {
    tlv(0x04, value)
}

/// `BIT STRING` with no unused bits.
pub(crate) fn bits(value: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(value.len() + 1);
    body.push(0);
    body.extend_from_slice(value);
    tlv(0x03, &body)
}

/// `BIT STRING` holding named bits (X.690 §11.2.2: trailing zero bits removed).
pub(crate) fn named_bits(first_byte: u8) -> Vec<u8> {
    if first_byte == 0 {
        return tlv(0x03, &[0]);
    }
    let unused = first_byte.trailing_zeros() as u8;
    tlv(0x03, &[unused, first_byte])
}

/// `UTF8String`.
pub(crate) fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0C, s.as_bytes())
}

/// `PrintableString` (the caller passes only A–Z a–z 0–9 space and `'()+,-./:=?`).
pub(crate) fn printable(s: &str) -> Vec<u8> {
    tlv(0x13, s.as_bytes())
}

/// `UTCTime` (`YYMMDDhhmmssZ`) for a date at midnight, years 1950..=2049 (RFC 5280 §4.1.2.5.1).
pub(crate) fn utc_time(date: Date) -> Vec<u8> {
    let s = format!("{:02}{:02}{:02}000000Z", date.year % 100, date.month, date.day);
    tlv(0x17, s.as_bytes())
}

/// A calendar date for certificate validity and signing times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year, 1950..=2049 (the `UTCTime` range).
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day, 1..=31.
    pub day: u8,
}

impl Date {
    /// A date (not range-checked beyond what `UTCTime` prints).
    pub const fn new(year: u16, month: u8, day: u8) -> Self {
        Self { year, month, day }
    }
}

/// The object identifiers the chip writes.
pub(crate) mod oids {
    /// id-sha1 (FIPS 180-4; RFC 3279).
    pub const SHA1: &[u64] = &[1, 3, 14, 3, 2, 26];
    /// id-sha224 (RFC 5754).
    pub const SHA224: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 4];
    /// id-sha256.
    pub const SHA256: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 1];
    /// id-sha384.
    pub const SHA384: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 2];
    /// id-sha512.
    pub const SHA512: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 3];
    /// rsaEncryption (RFC 8017 Appendix C).
    pub const RSA_ENCRYPTION: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
    /// sha1WithRSAEncryption.
    pub const SHA1_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 5];
    /// sha224WithRSAEncryption.
    pub const SHA224_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 14];
    /// sha256WithRSAEncryption.
    pub const SHA256_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
    /// sha384WithRSAEncryption.
    pub const SHA384_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 12];
    /// sha512WithRSAEncryption.
    pub const SHA512_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 13];
    /// id-RSASSA-PSS.
    pub const RSASSA_PSS: &[u64] = &[1, 2, 840, 113549, 1, 1, 10];
    /// id-mgf1.
    pub const MGF1: &[u64] = &[1, 2, 840, 113549, 1, 1, 8];
    /// id-ecPublicKey (RFC 5480).
    pub const EC_PUBLIC_KEY: &[u64] = &[1, 2, 840, 10045, 2, 1];
    /// prime256v1 / secp256r1 (RFC 5480).
    pub const PRIME256V1: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
    /// ecdsa-with-SHA1 (RFC 3279).
    pub const ECDSA_SHA1: &[u64] = &[1, 2, 840, 10045, 4, 1];
    /// ecdsa-with-SHA224 (RFC 5758).
    pub const ECDSA_SHA224: &[u64] = &[1, 2, 840, 10045, 4, 3, 1];
    /// ecdsa-with-SHA256.
    pub const ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
    /// ecdsa-with-SHA384.
    pub const ECDSA_SHA384: &[u64] = &[1, 2, 840, 10045, 4, 3, 3];
    /// ecdsa-with-SHA512.
    pub const ECDSA_SHA512: &[u64] = &[1, 2, 840, 10045, 4, 3, 4];
    /// id-signedData (RFC 5652 §5.1).
    pub const SIGNED_DATA: &[u64] = &[1, 2, 840, 113549, 1, 7, 2];
    /// id-contentType (RFC 5652 §11.1).
    pub const CONTENT_TYPE: &[u64] = &[1, 2, 840, 113549, 1, 9, 3];
    /// id-messageDigest (RFC 5652 §11.2).
    pub const MESSAGE_DIGEST: &[u64] = &[1, 2, 840, 113549, 1, 9, 4];
    /// id-signingTime (RFC 5652 §11.3).
    pub const SIGNING_TIME: &[u64] = &[1, 2, 840, 113549, 1, 9, 5];
    /// id-icao-mrtd-security-ldsSecurityObject (ICAO 9303-10 §4.6.2.1).
    pub const LDS_SECURITY_OBJECT: &[u64] = &[2, 23, 136, 1, 1, 1];
    /// id-icao-mrtd-security-aaProtocolObject (ICAO 9303-11 §6.1).
    pub const ICAO_AA: &[u64] = &[2, 23, 136, 1, 1, 5];
    /// ecdsa-plain-SHA256 (BSI TR-03111 §5.2.1).
    pub const ECDSA_PLAIN_SHA256: &[u64] = &[0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3];
    /// id-PK-ECDH (BSI TR-03110-3 §A.1.1.2; ICAO 9303-11 §9.2.6).
    pub const PK_ECDH: &[u64] = &[0, 4, 0, 127, 0, 7, 2, 2, 1, 2];
    /// id-CA-ECDH-AES-CBC-CMAC-128 (ICAO 9303-11 §9.2.5).
    pub const CA_ECDH_AES_CBC_CMAC_128: &[u64] = &[0, 4, 0, 127, 0, 7, 2, 2, 3, 2, 2];
    /// id-TA (BSI TR-03110-3 §A.1.1.3; ICAO 9303-11 §9.2.7).
    pub const TA: &[u64] = &[0, 4, 0, 127, 0, 7, 2, 2, 2];
    /// id-PACE-ECDH-GM (BSI TR-03110-3 §A.1.1.1; ICAO 9303-11 §9.2.3); the
    /// cipher suite is one more arc: 1 3DES-CBC-CBC, 2 AES-CBC-CMAC-128, 3 -192, 4 -256.
    pub const PACE_ECDH_GM: &[u64] = &[0, 4, 0, 127, 0, 7, 2, 2, 4, 2];
    /// id-at-countryName (X.520).
    pub const COUNTRY_NAME: &[u64] = &[2, 5, 4, 6];
    /// id-at-organizationName.
    pub const ORGANIZATION_NAME: &[u64] = &[2, 5, 4, 10];
    /// id-at-commonName.
    pub const COMMON_NAME: &[u64] = &[2, 5, 4, 3];
    /// id-ce-subjectKeyIdentifier (RFC 5280 §4.2.1.2).
    pub const SUBJECT_KEY_IDENTIFIER: &[u64] = &[2, 5, 29, 14];
    /// id-ce-keyUsage (RFC 5280 §4.2.1.3).
    pub const KEY_USAGE: &[u64] = &[2, 5, 29, 15];
    /// id-ce-basicConstraints (RFC 5280 §4.2.1.9).
    pub const BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
    /// id-ce-authorityKeyIdentifier (RFC 5280 §4.2.1.1).
    pub const AUTHORITY_KEY_IDENTIFIER: &[u64] = &[2, 5, 29, 35];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_encoding() {
        assert_eq!(oid(oids::SHA256), [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]);
        assert_eq!(oid(oids::LDS_SECURITY_OBJECT), [0x06, 0x06, 0x67, 0x81, 0x08, 0x01, 0x01, 0x01]);
        // CCCD.md: DG13's 1.0.10646.1.0.8 is `06 06 28 D3 16 01 00 08`.
        assert_eq!(oid(&[1, 0, 10646, 1, 0, 8]), [0x06, 0x06, 0x28, 0xD3, 0x16, 0x01, 0x00, 0x08]);
        assert_eq!(oid(oids::RSA_ENCRYPTION), [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]);
    }

    #[test]
    fn integers_and_bits() {
        assert_eq!(int(0), [0x02, 0x01, 0x00]);
        assert_eq!(int(127), [0x02, 0x01, 0x7F]);
        assert_eq!(int(128), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[0, 0, 1, 0]), [0x02, 0x02, 0x01, 0x00]);
        // keyUsage keyCertSign | cRLSign = bits 5 and 6 → `03 02 01 06`.
        assert_eq!(named_bits(0x06), [0x03, 0x02, 0x01, 0x06]);
        // digitalSignature = bit 0 → `03 02 07 80`.
        assert_eq!(named_bits(0x80), [0x03, 0x02, 0x07, 0x80]);
        assert_eq!(utc_time(Date::new(2021, 6, 1)), b"\x17\x0d210601000000Z");
    }

    #[test]
    fn set_of_is_sorted() {
        assert_eq!(set_of(&[&[0x04, 0x01, 0x02], &[0x02, 0x01, 0x05]]), [0x31, 6, 0x02, 0x01, 0x05, 0x04, 0x01, 0x02]);
    }
}
