//! DG15, the Active Authentication public key (ICAO 9303-10 §4.7.15;
//! ICAO 9303-11 §6.1), and the `SubjectPublicKeyInfo` reader shared with
//! the Chip Authentication keys of DG14.
//!
//! ```text
//! DG15 ::= [APPLICATION 15] (tag 6F) SubjectPublicKeyInfo
//!
//! SubjectPublicKeyInfo ::= SEQUENCE {            -- RFC 5280 §4.1.2.7
//!     algorithm         AlgorithmIdentifier,
//!     subjectPublicKey  BIT STRING }
//! AlgorithmIdentifier ::= SEQUENCE {
//!     algorithm   OBJECT IDENTIFIER,
//!     parameters  ANY DEFINED BY algorithm OPTIONAL }
//!
//! rsaEncryption   1.2.840.113549.1.1.1  parameters NULL (or absent)    RFC 8017 App. C; RFC 3279 §2.3.1
//!     RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
//! id-ecPublicKey  1.2.840.10045.2.1     parameters ECParameters        RFC 5480 §2.1.1; RFC 3279 §2.3.5
//!     ECParameters ::= CHOICE { specifiedCurve SEQUENCE, namedCurve OBJECT IDENTIFIER, implicitCA NULL }
//!     subjectPublicKey = ECPoint (SEC 1 §2.3.3: 04 ‖ X ‖ Y, or 02/03 ‖ X)
//! dhpublicnumber  1.2.840.10046.2.1     parameters DomainParameters    RFC 3279 §2.3.3 (DH Chip Authentication keys)
//! ```
//!
//! The SPKI is walked with the project's TLV [`Reader`] rather than through
//! x509-parser: it is a three-element structure, and walking it by hand keeps
//! the exact DER bytes of the parameters, the same strict length rules as
//! every other parser here, and the named size caps. (x509-parser cross-checks
//! the result in the tests.)
//!
//! A public key is not secret, but a chip-individual key is a stable
//! identifier of the document, so the `Debug` output shows only its length.

use core::fmt;

use crate::protocol::error::Malformed;
use crate::protocol::lds::security_infos::{
    TAG_BIT_STRING, TAG_INTEGER, TAG_NULL, TAG_OID, TAG_SEQUENCE, check_oid, oid_string, read_element,
};
use crate::protocol::tlv::{Reader, expect_tlv, single_tlv};

/// Tag of DG15's outer TLV (ICAO 9303-10 Table 37).
pub const TAG_DG15: u32 = 0x6F;
/// The largest DG15 we parse. An RSA-4096 key is about 550 bytes and a P-521
/// key with explicit parameters about 700; this leaves ample room.
pub const MAX_DG15_SIZE: usize = 8 * 1024;
/// The largest `SubjectPublicKeyInfo` we parse (DG15's or a Chip Authentication key's).
pub const MAX_SPKI_SIZE: usize = 8 * 1024;

/// rsaEncryption (RFC 8017 Appendix C).
pub const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// id-ecPublicKey (RFC 5480 §2.1.1).
pub const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// dhpublicnumber (ANSI X9.42; RFC 3279 §2.3.3).
pub const OID_DH_PUBLIC_NUMBER: &str = "1.2.840.10046.2.1";

/// The algorithm of a public key, from its `AlgorithmIdentifier`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKeyAlgorithm {
    /// An RSA key (rsaEncryption); Active Authentication with ISO/IEC 9796-2.
    Rsa {
        /// Bits of the modulus (e.g. 2048).
        modulus_bits: usize,
    },
    /// An elliptic-curve key (id-ecPublicKey); Active Authentication with ECDSA,
    /// or ECDH Chip Authentication.
    Ec(EcParameters),
    /// A Diffie-Hellman key (dhpublicnumber), used for DH Chip Authentication.
    Dh {
        /// The DER `DomainParameters` (RFC 3279 §2.3.3), kept as sent.
        parameters: Vec<u8>,
    },
    /// Any other algorithm, by dotted OID (kept, never an error).
    Other {
        /// The algorithm OID.
        oid: String,
    },
}

/// The domain parameters of an elliptic-curve key (RFC 3279 §2.3.5 `ECParameters`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EcParameters {
    /// `namedCurve`: the curve's dotted OID (e.g. `1.2.840.10045.3.1.7` for P-256).
    Named {
        /// The curve OID.
        oid: String,
    },
    /// `specifiedCurve`: explicit parameters (as ICAO 9303-12 requires for
    /// certificates and TR-03110 for Chip Authentication keys), the whole DER
    /// `SEQUENCE` kept as sent.
    Explicit {
        /// The DER `SpecifiedECDomain` / `ECParameters` SEQUENCE.
        der: Vec<u8>,
    },
}

impl EcParameters {
    /// The conventional name of a named curve this crate knows (NIST P-256/384/521
    /// per SEC 2 §2; brainpoolP256r1/384r1/512r1 per RFC 5639 §4.1); `None` otherwise
    /// and for explicit parameters.
    pub fn curve_name(&self) -> Option<&'static str> {
        let Self::Named { oid } = self else { return None };
        Some(match oid.as_str() {
            "1.2.840.10045.3.1.7" => "P-256",
            "1.3.132.0.34" => "P-384",
            "1.3.132.0.35" => "P-521",
            "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
            "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
            "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
            _ => return None,
        })
    }
}

/// A `SubjectPublicKeyInfo` taken apart, borrowing from the input.
#[derive(Clone, PartialEq, Eq)]
pub struct Spki<'a> {
    /// The key's algorithm and parameters.
    pub algorithm: PublicKeyAlgorithm,
    /// The content of `subjectPublicKey` without the unused-bits octet: the DER
    /// `RSAPublicKey`, the EC point, or the DH public value.
    pub public_key: &'a [u8],
}

impl fmt::Debug for Spki<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spki")
            .field("algorithm", &self.algorithm)
            .field("public_key", &format_args!("<{} bytes>", self.public_key.len()))
            .finish()
    }
}

/// Parses one DER `SubjectPublicKeyInfo` (grammar in the [module docs](self)),
/// which must fill `der` exactly.
///
/// Errors: not a SEQUENCE of AlgorithmIdentifier and BIT STRING, larger than
/// [`MAX_SPKI_SIZE`], a bad OID, a BIT STRING with unused bits, an RSA key
/// whose `RSAPublicKey` does not parse, an EC key without parameters, with
/// `implicitCA` or with an empty or non-SEC 1 point, a DH key without
/// parameters. Unknown algorithms are [`PublicKeyAlgorithm::Other`].
pub fn parse_spki(der: &[u8]) -> Result<Spki<'_>, Malformed> {
    const WHAT: &str = "SubjectPublicKeyInfo";
    if der.len() > MAX_SPKI_SIZE {
        return Err(Malformed::Invalid { what: WHAT, reason: "larger than MAX_SPKI_SIZE" });
    }
    let body = single_tlv(der, TAG_SEQUENCE, WHAT)?;
    let mut r = Reader::new(body);
    let alg_id = expect_tlv(&mut r, TAG_SEQUENCE, "SubjectPublicKeyInfo algorithm")?;
    let bits = expect_tlv(&mut r, TAG_BIT_STRING, "SubjectPublicKeyInfo subjectPublicKey")?;
    r.expect_end(WHAT)?;
    let public_key = match bits {
        [0, key @ ..] => key,
        [] => return Err(Malformed::Truncated("SubjectPublicKeyInfo subjectPublicKey")),
        _ => {
            return Err(Malformed::Invalid {
                what: "SubjectPublicKeyInfo subjectPublicKey",
                reason: "BIT STRING with unused bits",
            });
        }
    };

    const ALG: &str = "AlgorithmIdentifier";
    let mut a = Reader::new(alg_id);
    let oid = expect_tlv(&mut a, TAG_OID, ALG)?;
    check_oid(oid, ALG)?;
    let oid = oid_string(oid);
    let params = if a.is_empty() { None } else { Some(read_element(alg_id, &mut a, ALG)?) };
    a.expect_end(ALG)?;

    let algorithm = match oid.as_str() {
        OID_RSA_ENCRYPTION => {
            if let Some((p, _)) = params
                && (p.tag != TAG_NULL || !p.value.is_empty())
            {
                return Err(Malformed::Invalid { what: ALG, reason: "rsaEncryption parameters other than NULL" });
            }
            PublicKeyAlgorithm::Rsa { modulus_bits: rsa_modulus_bits(public_key)? }
        }
        OID_EC_PUBLIC_KEY => {
            let (p, raw) = params.ok_or(Malformed::Invalid { what: ALG, reason: "EC key without parameters" })?;
            let parameters = match p.tag {
                TAG_OID => {
                    check_oid(p.value, "ECParameters namedCurve")?;
                    EcParameters::Named { oid: oid_string(p.value) }
                }
                TAG_SEQUENCE => EcParameters::Explicit { der: raw.to_vec() },
                TAG_NULL => {
                    return Err(Malformed::Invalid { what: ALG, reason: "implicitCA EC parameters are not usable" });
                }
                found => return Err(Malformed::UnexpectedTag { what: "ECParameters", expected: TAG_SEQUENCE, found }),
            };
            if !matches!(public_key.first(), Some(0x02..=0x04)) {
                return Err(Malformed::Invalid { what: "ECPoint", reason: "not a SEC 1 point encoding" });
            }
            PublicKeyAlgorithm::Ec(parameters)
        }
        OID_DH_PUBLIC_NUMBER => {
            let (p, raw) = params.ok_or(Malformed::Invalid { what: ALG, reason: "DH key without parameters" })?;
            if p.tag != TAG_SEQUENCE {
                return Err(Malformed::UnexpectedTag {
                    what: "DomainParameters",
                    expected: TAG_SEQUENCE,
                    found: p.tag,
                });
            }
            PublicKeyAlgorithm::Dh { parameters: raw.to_vec() }
        }
        _ => PublicKeyAlgorithm::Other { oid },
    };
    Ok(Spki { algorithm, public_key })
}

/// The bit length of the modulus of a DER `RSAPublicKey` (RFC 8017 §A.1.1):
/// `SEQUENCE { modulus INTEGER, publicExponent INTEGER }`, both positive.
fn rsa_modulus_bits(der: &[u8]) -> Result<usize, Malformed> {
    const WHAT: &str = "RSAPublicKey";
    let body = single_tlv(der, TAG_SEQUENCE, WHAT)?;
    let mut r = Reader::new(body);
    let modulus = expect_tlv(&mut r, TAG_INTEGER, "RSAPublicKey modulus")?;
    let exponent = expect_tlv(&mut r, TAG_INTEGER, "RSAPublicKey publicExponent")?;
    r.expect_end(WHAT)?;
    let positive = |v: &[u8]| match v {
        [] => false,
        [first, ..] if first & 0x80 != 0 => false,
        [0, second, ..] => second & 0x80 != 0,
        [0] => false,
        _ => true,
    };
    if !positive(modulus) || !positive(exponent) {
        return Err(Malformed::Invalid { what: WHAT, reason: "modulus or exponent not a positive minimal INTEGER" });
    }
    let significant = match modulus {
        [0, rest @ ..] => rest,
        all => all,
    };
    let leading = significant.first().map_or(0, |b| b.leading_zeros() as usize);
    Ok(significant.len() * 8 - leading)
}

/// The parsed contents of DG15.
#[derive(Clone, PartialEq, Eq)]
pub struct Dg15 {
    /// The whole DER `SubjectPublicKeyInfo`, as stored (for a verifier such as the `rsa` or `p256` crates).
    pub subject_public_key_info: Vec<u8>,
    /// The key's algorithm and parameters.
    pub algorithm: PublicKeyAlgorithm,
    /// The `subjectPublicKey` content: the DER `RSAPublicKey` or the EC point.
    pub public_key: Vec<u8>,
}

impl fmt::Debug for Dg15 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dg15")
            .field("algorithm", &self.algorithm)
            .field("subject_public_key_info", &format_args!("<{} bytes>", self.subject_public_key_info.len()))
            .finish()
    }
}

/// Parses DG15 (ICAO 9303-10 §4.7.15; grammar in the [module docs](self)):
/// `6F L SubjectPublicKeyInfo` and nothing else.
///
/// Errors: the outer tag is not `6F`, the file exceeds [`MAX_DG15_SIZE`],
/// bytes follow the key, or [`parse_spki`] rejects the key.
pub fn parse(bytes: &[u8]) -> Result<Dg15, Malformed> {
    const WHAT: &str = "DG15";
    if bytes.len() > MAX_DG15_SIZE {
        return Err(Malformed::Invalid { what: WHAT, reason: "larger than MAX_DG15_SIZE" });
    }
    let value = single_tlv(bytes, TAG_DG15, WHAT)?;
    // The SPKI must be the only element: take its extent first so trailing bytes are reported as such.
    let mut r = Reader::new(value);
    let spki_der = read_element(value, &mut r, WHAT)?.1;
    r.expect_end(WHAT)?;
    let spki = parse_spki(spki_der)?;
    Ok(Dg15 {
        subject_public_key_info: spki_der.to_vec(),
        algorithm: spki.algorithm,
        public_key: spki.public_key.to_vec(),
    })
}

/// Builders for tests (this module's, DG14's and the fuzz seeds).
#[cfg(test)]
pub(crate) mod build {
    use crate::protocol::tlv::tlv;
    use hex_literal::hex;

    /// An SPKI: id-ecPublicKey on prime256v1 (named) with the given point.
    pub fn ec_spki(point: &[u8]) -> Vec<u8> {
        let alg = tlv(0x30, &[tlv(0x06, &hex!("2A8648CE3D0201")), tlv(0x06, &hex!("2A8648CE3D030107"))].concat());
        tlv(0x30, &[alg, tlv(0x03, &[&[0u8][..], point].concat())].concat())
    }

    /// A made-up uncompressed P-256-sized point (04 ‖ 64 bytes).
    pub fn point() -> Vec<u8> {
        [&[0x04u8][..], &[0x11; 64]].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::build::{ec_spki, point};
    use super::*;
    use crate::protocol::tlv::tlv;
    use hex_literal::hex;
    use proptest::prelude::*;
    use x509_parser::prelude::FromDer;
    use x509_parser::x509::SubjectPublicKeyInfo;

    fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
        let alg = tlv(0x30, &[tlv(0x06, &hex!("2A864886F70D010101")), vec![0x05, 0x00]].concat());
        let key = tlv(0x30, &[tlv(0x02, modulus), tlv(0x02, exponent)].concat());
        tlv(0x30, &[alg, tlv(0x03, &[&[0u8][..], &key].concat())].concat())
    }

    #[test]
    fn ec_named_curve() {
        let spki = ec_spki(&point());
        let dg15 = parse(&tlv(0x6F, &spki)).unwrap();
        assert_eq!(dg15.algorithm, PublicKeyAlgorithm::Ec(EcParameters::Named { oid: "1.2.840.10045.3.1.7".into() }));
        let PublicKeyAlgorithm::Ec(params) = &dg15.algorithm else { unreachable!() };
        assert_eq!(params.curve_name(), Some("P-256"));
        assert_eq!(dg15.subject_public_key_info, spki);
        assert_eq!(dg15.public_key, point());
        // x509-parser agrees on the structure.
        let (rest, x) = SubjectPublicKeyInfo::from_der(&spki).unwrap();
        assert!(rest.is_empty());
        assert_eq!(&*x.subject_public_key.data, &point()[..]);
        assert!(!format!("{dg15:?}").contains("1111"), "Debug shows no key bytes");
    }

    #[test]
    fn ec_explicit_parameters_kept_raw() {
        let explicit = tlv(
            0x30,
            &[tlv(0x02, &[1]), tlv(0x30, &[tlv(0x06, &hex!("2A8648CE3D0101")), tlv(0x02, &[0x7F])].concat())].concat(),
        );
        let alg = tlv(0x30, &[tlv(0x06, &hex!("2A8648CE3D0201")), explicit.clone()].concat());
        let spki = tlv(0x30, &[alg, tlv(0x03, &[&[0u8][..], &point()].concat())].concat());
        let dg15 = parse(&tlv(0x6F, &spki)).unwrap();
        assert_eq!(dg15.algorithm, PublicKeyAlgorithm::Ec(EcParameters::Explicit { der: explicit }));
    }

    #[test]
    fn rsa_modulus_bits_counted() {
        let mut modulus = vec![0x00, 0xC1];
        modulus.extend([0x5A; 255]); // 2048-bit modulus with a leading 00
        let dg15 = parse(&tlv(0x6F, &rsa_spki(&modulus, &[0x01, 0x00, 0x01]))).unwrap();
        assert_eq!(dg15.algorithm, PublicKeyAlgorithm::Rsa { modulus_bits: 2048 });
        let dg15 = parse(&tlv(0x6F, &rsa_spki(&[0x3F, 0xFF], &[0x03]))).unwrap();
        assert_eq!(dg15.algorithm, PublicKeyAlgorithm::Rsa { modulus_bits: 14 });
        assert!(parse(&tlv(0x6F, &rsa_spki(&[0x80, 0x01], &[0x03]))).is_err(), "negative modulus");
        assert!(parse(&tlv(0x6F, &rsa_spki(&[0x00, 0x01], &[0x03]))).is_err(), "non-minimal modulus");
    }

    #[test]
    fn unknown_algorithm_is_kept() {
        let alg = tlv(0x30, &tlv(0x06, &hex!("2B0601040182370A030C")));
        let spki = tlv(0x30, &[alg, tlv(0x03, &[0, 1, 2, 3])].concat());
        let dg15 = parse(&tlv(0x6F, &spki)).unwrap();
        assert_eq!(dg15.algorithm, PublicKeyAlgorithm::Other { oid: "1.3.6.1.4.1.311.10.3.12".into() });
        assert_eq!(dg15.public_key, [1, 2, 3]);
    }

    #[test]
    fn rejects_bad_structure() {
        let good = tlv(0x6F, &ec_spki(&point()));
        assert!(parse(&good).is_ok());
        // Wrong outer tag, trailing byte inside and after, truncated, indefinite length.
        let mut wrong_tag = good.clone();
        wrong_tag[0] = 0x6E;
        assert!(matches!(parse(&wrong_tag), Err(Malformed::UnexpectedTag { .. })));
        let inner_trailing = tlv(0x6F, &[ec_spki(&point()), vec![0x00]].concat());
        assert_eq!(parse(&inner_trailing), Err(Malformed::TrailingBytes("DG15")));
        let mut after = good.clone();
        after.push(0);
        assert_eq!(parse(&after), Err(Malformed::TrailingBytes("DG15")));
        assert!(parse(&good[..good.len() - 1]).is_err());
        let indefinite = [&[0x6F, 0x80][..], &ec_spki(&point()), &[0, 0]].concat();
        assert_eq!(parse(&indefinite), Err(Malformed::BadLength("DG15")));
        // Unused bits, compressed-looking garbage point, missing EC parameters, implicitCA.
        let mut unused = ec_spki(&point());
        let bit_string_at = unused.len() - point().len() - 1;
        unused[bit_string_at] = 1;
        assert!(parse(&tlv(0x6F, &unused)).is_err());
        assert!(parse(&tlv(0x6F, &ec_spki(&[0x05, 1, 2]))).is_err());
        let no_params = tlv(0x30, &[tlv(0x30, &tlv(0x06, &hex!("2A8648CE3D0201"))), tlv(0x03, &[0, 4, 1])].concat());
        assert!(parse(&tlv(0x6F, &no_params)).is_err());
        let implicit = tlv(
            0x30,
            &[tlv(0x30, &[tlv(0x06, &hex!("2A8648CE3D0201")), vec![5, 0]].concat()), tlv(0x03, &[0, 4, 1])].concat(),
        );
        assert!(parse(&tlv(0x6F, &implicit)).is_err());
        // Over the size cap.
        let huge = tlv(0x6F, &ec_spki(&[&[4u8][..], &vec![1; MAX_DG15_SIZE]].concat()));
        assert!(matches!(parse(&huge), Err(Malformed::Invalid { .. })));
    }

    #[cfg(feature = "software-chip")]
    #[test]
    fn software_chip_dg15() {
        let doc = crate::chip::Document::cccd_demo().unwrap();
        let dg15 = parse(doc.file(0x010F).unwrap()).unwrap();
        assert_eq!(dg15.algorithm, PublicKeyAlgorithm::Ec(EcParameters::Named { oid: "1.2.840.10045.3.1.7".into() }));
        let key = doc.active_authentication_key().unwrap();
        assert_eq!(dg15.public_key, key.to_sec1_point(false).as_bytes());
        let (rest, x) = SubjectPublicKeyInfo::from_der(&dg15.subject_public_key_info).unwrap();
        assert!(rest.is_empty());
        assert_eq!(x.algorithm.algorithm.to_id_string(), OID_EC_PUBLIC_KEY);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse(&bytes);
            let _ = parse_spki(&bytes);
        }

        #[test]
        fn mutated_dg15_never_panics(at in 0usize..90, byte in any::<u8>()) {
            let mut dg15 = tlv(0x6F, &ec_spki(&point()));
            if let Some(b) = dg15.get_mut(at) { *b = byte; }
            let _ = parse(&dg15);
        }
    }
}
