//! Small DER (ITU-T X.690 §10) readers shared by the signature, chain and
//! master-list code: object identifiers, unsigned INTEGERs, BIT STRINGs,
//! `AlgorithmIdentifier` (RFC 5280 §4.1.1.2) and the outer `SIGNED{}` shape of
//! certificates and CRLs (RFC 5280 §4.1, §5.1). All on the crate's
//! bounds-checked [`Reader`]; nothing here panics or allocates by a wire length.

use crate::protocol::error::Malformed;
use crate::protocol::tlv::{Reader, Tlv, expect_tlv, read_tlv, single_tlv};

pub(crate) const TAG_INTEGER: u32 = 0x02;
pub(crate) const TAG_BIT_STRING: u32 = 0x03;
pub(crate) const TAG_OCTET_STRING: u32 = 0x04;
pub(crate) const TAG_NULL: u32 = 0x05;
pub(crate) const TAG_OID: u32 = 0x06;
pub(crate) const TAG_SEQUENCE: u32 = 0x30;
pub(crate) const TAG_SET: u32 = 0x31;

/// Dotted OIDs, checked: the one implementation is in [`crate::protocol::tlv`].
pub(crate) use crate::protocol::tlv::oid_string;

/// The magnitude of a non-negative DER INTEGER (X.690 §8.3): leading zero octets
/// removed (an INTEGER 0 gives an empty slice). Negative or non-minimal → error.
pub(crate) fn unsigned<'a>(content: &'a [u8], what: &'static str) -> Result<&'a [u8], Malformed> {
    match content {
        [] => Err(Malformed::Invalid { what, reason: "empty INTEGER" }),
        [first, ..] if first & 0x80 != 0 => Err(Malformed::Invalid { what, reason: "negative INTEGER" }),
        [0, second, ..] if second & 0x80 == 0 => Err(Malformed::Invalid { what, reason: "non-minimal INTEGER" }),
        [0, rest @ ..] => Ok(rest),
        _ => Ok(content),
    }
}

/// A small non-negative INTEGER (at most 4 content octets).
pub(crate) fn small_uint(content: &[u8], what: &'static str) -> Result<u32, Malformed> {
    let magnitude = unsigned(content, what)?;
    if magnitude.len() > 4 {
        return Err(Malformed::Invalid { what, reason: "INTEGER too large" });
    }
    Ok(magnitude.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
}

/// A BIT STRING's content without the unused-bits octet, which must be 0
/// (keys and signatures are whole octets).
pub(crate) fn bit_string_octets<'a>(content: &'a [u8], what: &'static str) -> Result<&'a [u8], Malformed> {
    match content {
        [0, rest @ ..] => Ok(rest),
        [] => Err(Malformed::Truncated(what)),
        _ => Err(Malformed::Invalid { what, reason: "BIT STRING with unused bits" }),
    }
}

/// A parsed `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AlgorithmId<'a> {
    /// The dotted OID.
    pub oid: String,
    /// The parameters' whole TLV; `None` when absent or NULL.
    pub params: Option<&'a [u8]>,
}

/// Parses the *content* of an AlgorithmIdentifier SEQUENCE.
pub(crate) fn algorithm_identifier<'a>(content: &'a [u8], what: &'static str) -> Result<AlgorithmId<'a>, Malformed> {
    let mut r = Reader::new(content);
    let oid = oid_string(expect_tlv(&mut r, TAG_OID, what)?, what)?;
    let params = if r.is_empty() {
        None
    } else {
        let (t, raw) = read_raw(&mut r, content, what)?;
        match (t.tag, t.value) {
            (TAG_NULL, []) => None,
            (TAG_NULL, _) => return Err(Malformed::Invalid { what, reason: "NULL with content" }),
            _ => Some(raw),
        }
    };
    r.expect_end(what)?;
    Ok(AlgorithmId { oid, params })
}

/// Reads one TLV and also returns its whole encoding (tag and length included).
pub(crate) fn read_raw<'a>(
    r: &mut Reader<'a>,
    whole: &'a [u8],
    what: &'static str,
) -> Result<(Tlv<'a>, &'a [u8]), Malformed> {
    let start = r.position();
    let t = read_tlv(r, what)?;
    let raw = whole.get(start..r.position()).ok_or(Malformed::Truncated(what))?;
    Ok((t, raw))
}

/// The three parts of a signed X.509 object (RFC 5280 §4.1.1, §5.1.1):
/// `SEQUENCE { tbs, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }`.
#[derive(Debug, Clone)]
pub(crate) struct Signed<'a> {
    /// The DER of the to-be-signed part, exactly as signed.
    pub tbs: &'a [u8],
    /// The outer signature algorithm.
    pub algorithm: AlgorithmId<'a>,
    /// The signature value's octets.
    pub signature: &'a [u8],
}

/// Splits a certificate or CRL into its signed part, algorithm and signature.
pub(crate) fn signed<'a>(der: &'a [u8], what: &'static str) -> Result<Signed<'a>, Malformed> {
    let outer = single_tlv(der, TAG_SEQUENCE, what)?;
    let mut r = Reader::new(outer);
    let (tbs_tlv, tbs) = read_raw(&mut r, outer, what)?;
    if tbs_tlv.tag != TAG_SEQUENCE {
        return Err(Malformed::UnexpectedTag { what, expected: TAG_SEQUENCE, found: tbs_tlv.tag });
    }
    let algorithm = algorithm_identifier(expect_tlv(&mut r, TAG_SEQUENCE, what)?, what)?;
    let signature = bit_string_octets(expect_tlv(&mut r, TAG_BIT_STRING, what)?, what)?;
    r.expect_end(what)?;
    Ok(Signed { tbs, algorithm, signature })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::tlv::tlv;

    #[test]
    fn oids_and_integers() {
        assert_eq!(oid_string(&[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01], "t").unwrap(), "1.2.840.10045.2.1");
        assert!(oid_string(&[0x2A, 0x80, 0x01], "t").is_err());
        assert!(oid_string(&[0x2A, 0x86], "t").is_err());
        assert!(oid_string(&[], "t").is_err());
        assert_eq!(unsigned(&[0x00, 0x80], "t").unwrap(), [0x80]);
        assert_eq!(unsigned(&[0x00], "t").unwrap(), [] as [u8; 0]);
        assert!(unsigned(&[0x00, 0x01], "t").is_err());
        assert!(unsigned(&[0xFF], "t").is_err());
        assert_eq!(small_uint(&[0x01, 0x00], "t").unwrap(), 256);
        assert!(small_uint(&[1, 2, 3, 4, 5], "t").is_err());
        assert_eq!(bit_string_octets(&[0, 1, 2], "t").unwrap(), [1, 2]);
        assert!(bit_string_octets(&[1, 0x80], "t").is_err());
    }

    #[test]
    fn algorithm_identifiers() {
        let with_null =
            [tlv(TAG_OID, &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B]), vec![0x05, 0x00]].concat();
        let a = algorithm_identifier(&with_null, "t").unwrap();
        assert_eq!(a.oid, "1.2.840.113549.1.1.11");
        assert_eq!(a.params, None);
        let with_params = [tlv(TAG_OID, &[0x2A]), tlv(TAG_SEQUENCE, &[])].concat();
        assert_eq!(algorithm_identifier(&with_params, "t").unwrap().params, Some(&[0x30, 0x00][..]));
        let bad_null = [tlv(TAG_OID, &[0x2A]), vec![0x05, 0x01, 0x00]].concat();
        assert!(algorithm_identifier(&bad_null, "t").is_err());
    }

    #[test]
    fn signed_objects() {
        let tbs = tlv(TAG_SEQUENCE, &tlv(TAG_INTEGER, &[1]));
        let alg = tlv(TAG_SEQUENCE, &tlv(TAG_OID, &[0x2A]));
        let sig = tlv(TAG_BIT_STRING, &[0, 9, 9]);
        let der = tlv(TAG_SEQUENCE, &[tbs.clone(), alg, sig].concat());
        let s = signed(&der, "t").unwrap();
        assert_eq!(s.tbs, tbs.as_slice());
        assert_eq!(s.algorithm.oid, "1.2");
        assert_eq!(s.signature, [9, 9]);
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(signed(&trailing, "t").is_err());
    }
}
