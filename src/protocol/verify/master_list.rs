//! CSCA master lists (ICAO 9303-12 §8.2.2 "CSCA Master List"; the ICAO PKD
//! and national lists, e.g. Germany's and the Netherlands', which carry
//! Vietnam's CSCA). Pure: bytes in, certificates and a verdict out.
//!
//! ```text
//! ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }   -- RFC 5652 §3
//! SignedData ::= SEQUENCE { version INTEGER, digestAlgorithms SET OF AlgorithmIdentifier,
//!   encapContentInfo SEQUENCE { eContentType id-icao-cscaMasterList (2.23.136.1.1.2),
//!                               eContent [0] EXPLICIT OCTET STRING },
//!   certificates [0] IMPLICIT SET OF Certificate OPTIONAL,     -- the master list signer (and its CSCA)
//!   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
//!   signerInfos SET OF SignerInfo }                             -- RFC 5652 §5.3, as in EF.SOD
//! CscaMasterList ::= SEQUENCE { version INTEGER (v0), certList SET OF Certificate }
//! ```
//!
//! [`MasterList::verify`] checks the list's own signature (RFC 5652 §5.4:
//! contentType and messageDigest signed attributes, the signature over their
//! DER `SET` encoding) with the master list signer's certificate, then that
//! the signer certificate was issued by a CSCA — one in the list itself (the
//! usual case: a state signs its list under its own CSCA), in the SignedData
//! `certificates`, or already trusted. The result is
//! [`MasterListSignature::Verified`], `Invalid` (a signature or digest that
//! does not verify: the list must not be used) or `Unverifiable` (an
//! unsupported algorithm, no signer certificate, or a signer whose issuer is
//! unknown).
//!
//! DER only (the crate's [`Reader`]); caps [`MAX_MASTER_LIST_SIZE`],
//! [`MAX_MASTER_LIST_CERTIFICATES`]. A certificate in the list that does not
//! parse is skipped and counted, never fatal.

use super::chain::{self, TrustAnchors, names_match, parse_certificate};
use super::der::{self, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE, TAG_SET};
use super::signature::{self, KeyError, SignatureCheck};
use crate::protocol::crypto::ct_eq;
use crate::protocol::error::Malformed;
use crate::protocol::lds::sod::{DigestAlgorithm, SignerIdentifier};
use crate::protocol::tlv::{Reader, children, expect_tlv, read_tlv, single_tlv, tlv};

/// The largest master list file accepted (the German list is about 1 MB).
pub const MAX_MASTER_LIST_SIZE: usize = 16 * 1024 * 1024;
/// The most certificates taken from one master list.
pub const MAX_MASTER_LIST_CERTIFICATES: usize = 5_000;
/// The most certificates accepted in the SignedData `certificates` field.
pub const MAX_SIGNED_DATA_CERTIFICATES: usize = 32;
/// The most SignerInfos accepted.
pub const MAX_SIGNER_INFOS: usize = 4;
/// The most signed attributes accepted in one SignerInfo.
pub const MAX_SIGNED_ATTRIBUTES: usize = 32;

/// id-signedData (RFC 5652 §5.1).
const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// id-icao-cscaMasterList (ICAO 9303-12 §8.2.2).
pub const OID_CSCA_MASTER_LIST: &str = "2.23.136.1.1.2";
const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";

/// The verdict on a master list's own signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MasterListSignature {
    /// The signature verifies and the signer was issued by a known CSCA.
    Verified,
    /// The signature or the messageDigest does not verify: do not use the list.
    Invalid,
    /// Could not be checked (the reason).
    Unverifiable(&'static str),
}

impl MasterListSignature {
    /// `verified`, `invalid` or `unverifiable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Invalid => "invalid",
            Self::Unverifiable(_) => "unverifiable",
        }
    }
}

/// A parsed master list.
#[derive(Debug, Clone)]
pub struct MasterList {
    /// The DER of each certificate of `certList` that parses as X.509.
    pub certificates: Vec<Vec<u8>>,
    /// Entries of `certList` that did not parse (skipped).
    pub skipped: usize,
    signer_certificates: Vec<Vec<u8>>,
    e_content: Vec<u8>,
    signer: Signer,
}

#[derive(Debug, Clone)]
struct Signer {
    sid: SignerIdentifier,
    digest: DigestAlgorithm,
    signed_attrs_der: Option<Vec<u8>>,
    content_type: Option<String>,
    message_digest: Option<Vec<u8>>,
    algorithm_oid: String,
    algorithm_params: Option<Vec<u8>>,
    signature: Vec<u8>,
}

/// Parses a master list file (DER `ContentInfo`; see the [module docs](self)).
pub fn parse(bytes: &[u8]) -> Result<MasterList, Malformed> {
    const WHAT: &str = "master list";
    if bytes.len() > MAX_MASTER_LIST_SIZE {
        return Err(Malformed::Invalid { what: WHAT, reason: "larger than MAX_MASTER_LIST_SIZE" });
    }
    let mut r = Reader::new(single_tlv(bytes, TAG_SEQUENCE, "master list ContentInfo")?);
    if der::oid_string(expect_tlv(&mut r, TAG_OID, WHAT)?, WHAT)? != OID_SIGNED_DATA {
        return Err(Malformed::Invalid { what: WHAT, reason: "not id-signedData" });
    }
    let signed_data = single_tlv(expect_tlv(&mut r, 0xA0, WHAT)?, TAG_SEQUENCE, "master list SignedData")?;
    r.expect_end(WHAT)?;

    let mut r = Reader::new(signed_data);
    der::small_uint(expect_tlv(&mut r, TAG_INTEGER, WHAT)?, WHAT)?;
    expect_tlv(&mut r, TAG_SET, "master list digestAlgorithms")?;
    let mut encap = Reader::new(expect_tlv(&mut r, TAG_SEQUENCE, "master list encapContentInfo")?);
    if der::oid_string(expect_tlv(&mut encap, TAG_OID, WHAT)?, WHAT)? != OID_CSCA_MASTER_LIST {
        return Err(Malformed::Invalid { what: WHAT, reason: "eContentType is not id-icao-cscaMasterList" });
    }
    let e_content = single_tlv(expect_tlv(&mut encap, 0xA0, WHAT)?, TAG_OCTET_STRING, "master list eContent")?;
    encap.expect_end(WHAT)?;

    let mut next = read_tlv(&mut r, WHAT)?;
    let mut signer_certificates = Vec::new();
    if next.tag == 0xA0 {
        for cert in children(next.value, "master list certificates") {
            let cert = cert?;
            if cert.tag == TAG_SEQUENCE {
                if signer_certificates.len() >= MAX_SIGNED_DATA_CERTIFICATES {
                    return Err(Malformed::Invalid { what: WHAT, reason: "too many SignedData certificates" });
                }
                signer_certificates.push(tlv(TAG_SEQUENCE, cert.value));
            }
        }
        next = read_tlv(&mut r, WHAT)?;
    }
    if next.tag == 0xA1 {
        next = read_tlv(&mut r, WHAT)?;
    }
    if next.tag != TAG_SET {
        return Err(Malformed::UnexpectedTag { what: "master list signerInfos", expected: TAG_SET, found: next.tag });
    }
    r.expect_end(WHAT)?;
    let mut signer = None;
    for (i, si) in children(next.value, "master list signerInfos").enumerate() {
        let si = si?;
        if i >= MAX_SIGNER_INFOS || si.tag != TAG_SEQUENCE {
            return Err(Malformed::Invalid { what: WHAT, reason: "signerInfos" });
        }
        let parsed = parse_signer_info(si.value)?;
        signer.get_or_insert(parsed);
    }
    let signer = signer.ok_or(Malformed::Invalid { what: WHAT, reason: "no SignerInfo" })?;

    // CscaMasterList.
    let mut l = Reader::new(single_tlv(e_content, TAG_SEQUENCE, "CscaMasterList")?);
    der::small_uint(expect_tlv(&mut l, TAG_INTEGER, "CscaMasterList version")?, "CscaMasterList")?;
    let cert_list = expect_tlv(&mut l, TAG_SET, "CscaMasterList certList")?;
    l.expect_end("CscaMasterList")?;
    let mut certificates = Vec::new();
    let mut skipped = 0;
    for cert in children(cert_list, "CscaMasterList certList") {
        let cert = cert?;
        if certificates.len() >= MAX_MASTER_LIST_CERTIFICATES {
            return Err(Malformed::Invalid { what: WHAT, reason: "more than MAX_MASTER_LIST_CERTIFICATES" });
        }
        let der = tlv(cert.tag, cert.value);
        if cert.tag == TAG_SEQUENCE && parse_certificate(&der).is_some() {
            certificates.push(der);
        } else {
            skipped += 1;
        }
    }
    Ok(MasterList { certificates, skipped, signer_certificates, e_content: e_content.to_vec(), signer })
}

/// A SignerInfo (RFC 5652 §5.3), as in EF.SOD.
fn parse_signer_info(si: &[u8]) -> Result<Signer, Malformed> {
    const WHAT: &str = "master list SignerInfo";
    let mut r = Reader::new(si);
    der::small_uint(expect_tlv(&mut r, TAG_INTEGER, WHAT)?, WHAT)?;
    let sid = read_tlv(&mut r, WHAT)?;
    let sid = match sid.tag {
        TAG_SEQUENCE => {
            let mut s = Reader::new(sid.value);
            let issuer = expect_tlv(&mut s, TAG_SEQUENCE, WHAT)?;
            let serial = expect_tlv(&mut s, TAG_INTEGER, WHAT)?;
            s.expect_end(WHAT)?;
            SignerIdentifier::IssuerAndSerialNumber {
                der: tlv(TAG_SEQUENCE, sid.value),
                issuer: tlv(TAG_SEQUENCE, issuer),
                serial: serial.to_vec(),
            }
        }
        0x80 => SignerIdentifier::SubjectKeyIdentifier(sid.value.to_vec()),
        found => return Err(Malformed::UnexpectedTag { what: WHAT, expected: TAG_SEQUENCE, found }),
    };
    let digest = der::algorithm_identifier(expect_tlv(&mut r, TAG_SEQUENCE, WHAT)?, WHAT)?;
    let mut signed_attrs_der = None;
    let mut content_type = None;
    let mut message_digest = None;
    if r.peek() == Some(0xA0) {
        let attrs = expect_tlv(&mut r, 0xA0, WHAT)?;
        signed_attrs_der = Some(tlv(TAG_SET, attrs));
        for (i, attr) in children(attrs, WHAT).enumerate() {
            let attr = attr?;
            if i >= MAX_SIGNED_ATTRIBUTES || attr.tag != TAG_SEQUENCE {
                return Err(Malformed::Invalid { what: WHAT, reason: "signed attributes" });
            }
            let mut a = Reader::new(attr.value);
            let kind = der::oid_string(expect_tlv(&mut a, TAG_OID, WHAT)?, WHAT)?;
            let values = expect_tlv(&mut a, TAG_SET, WHAT)?;
            a.expect_end(WHAT)?;
            let mut v = Reader::new(values);
            let first = read_tlv(&mut v, WHAT)?;
            let single = v.is_empty();
            match kind.as_str() {
                OID_CONTENT_TYPE if single && first.tag == TAG_OID && content_type.is_none() => {
                    content_type = Some(der::oid_string(first.value, WHAT)?);
                }
                OID_MESSAGE_DIGEST if single && first.tag == TAG_OCTET_STRING && message_digest.is_none() => {
                    message_digest = Some(first.value.to_vec());
                }
                OID_CONTENT_TYPE | OID_MESSAGE_DIGEST => {
                    return Err(Malformed::Invalid { what: WHAT, reason: "contentType/messageDigest attribute" });
                }
                _ => {}
            }
        }
    }
    let algorithm = der::algorithm_identifier(expect_tlv(&mut r, TAG_SEQUENCE, WHAT)?, WHAT)?;
    let signature = expect_tlv(&mut r, TAG_OCTET_STRING, WHAT)?.to_vec();
    if !r.is_empty() {
        expect_tlv(&mut r, 0xA1, WHAT)?;
    }
    r.expect_end(WHAT)?;
    Ok(Signer {
        sid,
        digest: DigestAlgorithm::from_oid(&digest.oid),
        signed_attrs_der,
        content_type,
        message_digest,
        algorithm_oid: algorithm.oid,
        algorithm_params: algorithm.params.map(<[u8]>::to_vec),
        signature,
    })
}

fn matches_sid(cert_der: &[u8], sid: &SignerIdentifier) -> bool {
    let mut single = TrustAnchors::new();
    single.add_certificate(cert_der).is_ok() && single.find_by_signer_identifier(sid).is_some()
}

impl MasterList {
    /// Checks the list's signature and its signer's issuer (see the [module
    /// docs](self)); `trusted` are CSCAs already loaded.
    pub fn verify(&self, trusted: &TrustAnchors) -> MasterListSignature {
        let s = &self.signer;
        let all_certs = || self.signer_certificates.iter().chain(&self.certificates);
        let Some(signer_cert) = all_certs()
            .find(|c| matches_sid(c, &s.sid))
            .map(Vec::as_slice)
            .or_else(|| trusted.find_by_signer_identifier(&s.sid))
        else {
            return MasterListSignature::Unverifiable("no master list signer certificate");
        };
        let message: &[u8] = match &s.signed_attrs_der {
            Some(attrs) => {
                let Some(hash) = s.digest.supported() else {
                    return MasterListSignature::Unverifiable("unsupported digest algorithm");
                };
                let digest_ok = s.message_digest.as_deref().is_some_and(|md| ct_eq(&hash.digest(&self.e_content), md));
                if s.content_type.as_deref() != Some(OID_CSCA_MASTER_LIST) || !digest_ok {
                    return MasterListSignature::Invalid;
                }
                attrs
            }
            None => &self.e_content,
        };
        let scheme = match signature::scheme(&s.algorithm_oid, s.algorithm_params.as_deref(), s.digest.supported()) {
            Ok(scheme) => scheme,
            Err(KeyError::Unsupported(_)) => {
                return MasterListSignature::Unverifiable("unsupported signature algorithm");
            }
            Err(KeyError::Malformed(_)) => return MasterListSignature::Invalid,
        };
        let Some(spki) = signature::certificate_spki(signer_cert) else {
            return MasterListSignature::Invalid;
        };
        let key = match signature::parse_spki(spki) {
            Ok(key) => key,
            Err(KeyError::Unsupported(_)) => return MasterListSignature::Unverifiable("unsupported signer key"),
            Err(KeyError::Malformed(_)) => return MasterListSignature::Invalid,
        };
        if signature::verify(&key, scheme, message, &s.signature) != SignatureCheck::Valid {
            return MasterListSignature::Invalid;
        }
        // The signer's issuer: a CA among the list, the SignedData certificates or the trusted ones.
        let Some(signer) = parse_certificate(signer_cert) else {
            return MasterListSignature::Invalid;
        };
        let issuer_name = signer.issuer().as_raw();
        let issued = all_certs()
            .map(Vec::as_slice)
            .chain(trusted.cscas())
            .filter(|ca| parse_certificate(ca).is_some_and(|c| names_match(c.subject().as_raw(), issuer_name)))
            .any(|ca| chain::issued_by(signer_cert, ca) == Ok(true));
        if issued {
            MasterListSignature::Verified
        } else {
            MasterListSignature::Unverifiable("master list signer not issued by a known CSCA")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_is_malformed_not_a_panic() {
        assert!(parse(b"").is_err());
        assert!(parse(b"\x30\x00").is_err());
        assert!(parse(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_err());
        // id-signedData with an SOD's eContentType is refused.
        let sd = tlv(
            TAG_SEQUENCE,
            &[
                tlv(TAG_INTEGER, &[3]),
                tlv(TAG_SET, &[]),
                tlv(
                    TAG_SEQUENCE,
                    &[tlv(TAG_OID, &[0x67, 0x81, 0x08, 0x01, 0x01, 0x01]), tlv(0xA0, &tlv(TAG_OCTET_STRING, &[]))]
                        .concat(),
                ),
                tlv(TAG_SET, &[]),
            ]
            .concat(),
        );
        let ci = tlv(
            TAG_SEQUENCE,
            &[tlv(TAG_OID, &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]), tlv(0xA0, &sd)].concat(),
        );
        assert!(matches!(parse(&ci), Err(Malformed::Invalid { reason, .. }) if reason.contains("cscaMasterList")));
        assert_eq!(MasterListSignature::Unverifiable("x").as_str(), "unverifiable");
    }
}
