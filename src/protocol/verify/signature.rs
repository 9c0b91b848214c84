//! The SOD signature (passive authentication, ICAO 9303-11 §5.1 step 2; the
//! CMS signature of RFC 5652 §5.4, §5.6) and the signature primitives the
//! certificate chain reuses.
//!
//! # What is checked
//! With signed attributes (ICAO 9303-10 §4.6.2.2 requires them):
//! 1. the contentType attribute is id-icao-mrtd-security-ldsSecurityObject and
//!    the messageDigest attribute equals hash(eContent) under the SignerInfo's
//!    digestAlgorithm ([`super::check_signed_attributes`]);
//! 2. the signature verifies over the signed attributes *re-encoded as a DER
//!    `SET OF`* (tag `31`, not the stored `[0] IMPLICIT` tag `A0`; RFC 5652
//!    §5.4 — HOSTILE 22), as [`SignerInfo::signed_attrs_der`] holds them.
//!
//! Without signed attributes, the signature covers the eContent itself.
//!
//! # Algorithms
//! | signatureAlgorithm | scheme |
//! |---|---|
//! | `sha{1,224,256,384,512}WithRSAEncryption` (RFC 8017 App. C) | RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) |
//! | `rsaEncryption` (RFC 3370 §3.2) | RSASSA-PKCS1-v1_5 with the SignerInfo's digestAlgorithm |
//! | `id-RSASSA-PSS` (RFC 4055 §3.1) | RSASSA-PSS (RFC 8017 §8.1); hash, MGF1 hash, salt length and trailer from `RSASSA-PSS-params`, RFC 4055 defaults (SHA-1, MGF1-SHA-1, 20, 1) where absent |
//! | `ecdsa-with-SHA{1,224,256,384,512}` (RFC 5758 §3.2, RFC 3279) | ECDSA, DER `Ecdsa-Sig-Value` |
//! | `id-ecPublicKey` as signature algorithm (seen in SODs) | ECDSA with the SignerInfo's digestAlgorithm |
//! | `ecdsa-plain-SHA{1,224,256,384,512}` (BSI TR-03111 §5.2.1) | ECDSA, plain `r ‖ s` |
//!
//! ECDSA keys on NIST P-256/P-384/P-521 and brainpoolP256r1/P384r1/P512r1 (RFC
//! 5480 / RFC 5639 named curves, or *explicit* domain parameters equal to one of
//! them: see [`curve_from_explicit_parameters`]). ECDSA with a hash longer than
//! the group order is truncated to its bit length (FIPS 186-4 §6.4), shorter
//! hashes are used as they are — done by `ecdsa::hazmat::verify_prehashed`.
//!
//! Anything else — MD5, SHA-3, RIPEMD, DSA, an unknown OID, a curve we do not
//! have, PSS with an MGF1 hash different from the message hash (the `rsa` crate
//! ties them together; ICAO 9303-12 profiles use the same hash) — is
//! [`SignatureCheck::UnsupportedAlgorithm`], never a pass and never a panic
//! (HOSTILE 23).
//!
//! # Crates
//! RSA: `rsa` 0.10 (RustCrypto; PKCS#1 v1.5 with DigestInfo prefix, PSS with
//! explicit salt length). ECDSA: `ecdsa` 0.17's `hazmat::verify_prehashed`
//! over `p256`, `p384`, `p521`, `bp256`, `bp384` and the crate's own
//! brainpoolP512r1 (`crypto/ec/bp512.rs`, on `primeorder`), so one generic
//! code path serves all six curves. Hashes: `sha1`/`sha2` 0.11.

use elliptic_curve::ff::{Field, PrimeField};
use elliptic_curve::hazmat::FieldArithmetic;
use elliptic_curve::sec1::{FromSec1Point, ModulusSize, Sec1Point};
use elliptic_curve::{CurveArithmetic, FieldBytes};
use primeorder::PrimeCurveParams;

use super::der::{self, TAG_BIT_STRING, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE};
use crate::protocol::crypto::ec::{Curve, bp512};
use crate::protocol::error::Malformed;
use crate::protocol::lds::sod::{HashAlgorithm, SignerInfo, Sod};
use crate::protocol::tlv::{Reader, expect_tlv, read_tlv, single_tlv};

/// The outcome of checking the SOD signature (API.md `sod_signature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureCheck {
    /// The signed attributes match the eContent and the signature verifies.
    Valid,
    /// The signature does not verify, a signed attribute is wrong or missing,
    /// or the signer's certificate or key is malformed.
    Invalid,
    /// The digest or signature algorithm, or the key's curve, is not one we
    /// implement: not checked (HOSTILE 23).
    UnsupportedAlgorithm,
    /// No document signer certificate — neither in the SOD nor in the trust
    /// store — so there is no key to check with (HOSTILE 24; BSI TR-03135
    /// Table 5.30). An addition to API.md's three values: `undetermined`.
    Undetermined,
}

impl SignatureCheck {
    /// The API spelling: `valid`, `invalid`, `unsupported_algorithm`, `undetermined`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::Undetermined => "undetermined",
        }
    }
    /// True only for [`SignatureCheck::Valid`].
    pub fn is_valid(self) -> bool {
        self == Self::Valid
    }
}

/// Why a public key or algorithm cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A well-formed key or algorithm that we do not implement.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// A malformed key or algorithm encoding.
    #[error("malformed: {0}")]
    Malformed(#[from] Malformed),
}

/// A signature verification key, from a SubjectPublicKeyInfo.
#[derive(Clone)]
pub enum PublicKey {
    /// An RSA key (rsaEncryption or id-RSASSA-PSS).
    Rsa(Box<rsa::PublicKey>),
    /// An EC point (validated: on the curve, not the identity), uncompressed SEC1.
    Ec {
        /// The curve, named or recognized from explicit parameters.
        curve: Curve,
        /// `04 ‖ x ‖ y`.
        point: Vec<u8>,
    },
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                write!(f, "PublicKey::Rsa({} bits)", k.size() * 8)
            }
            Self::Ec { curve, .. } => write!(f, "PublicKey::Ec({curve})"),
        }
    }
}

/// A signature scheme with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2).
    RsaPkcs1v15(HashAlgorithm),
    /// RSASSA-PSS (RFC 8017 §8.1) with MGF1 over the same hash.
    RsaPss {
        /// Message hash (and MGF1 hash).
        hash: HashAlgorithm,
        /// Salt length in bytes.
        salt_len: usize,
    },
    /// ECDSA (FIPS 186-4 §6.4; BSI TR-03111 §4.2.1).
    Ecdsa {
        /// Message hash.
        hash: HashAlgorithm,
        /// `r ‖ s` (BSI TR-03111 §5.2.1) instead of DER `Ecdsa-Sig-Value`.
        plain: bool,
    },
}

/// The largest PSS salt we accept (longer than any modulus we accept allows).
const MAX_PSS_SALT: u32 = 1024;

/// Object identifiers (dotted) of the algorithms.
mod oid {
    pub const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
    pub const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
    pub const MGF1: &str = "1.2.840.113549.1.1.8";
    pub const SHA1_RSA: &str = "1.2.840.113549.1.1.5";
    pub const SHA224_RSA: &str = "1.2.840.113549.1.1.14";
    pub const SHA256_RSA: &str = "1.2.840.113549.1.1.11";
    pub const SHA384_RSA: &str = "1.2.840.113549.1.1.12";
    pub const SHA512_RSA: &str = "1.2.840.113549.1.1.13";
    pub const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
    pub const ECDSA_SHA1: &str = "1.2.840.10045.4.1";
    pub const ECDSA_SHA224: &str = "1.2.840.10045.4.3.1";
    pub const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
    pub const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
    pub const ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";
    /// ecdsa-plain-signatures (BSI TR-03111 §5.2.1); the hash is one more arc 1..=5.
    pub const ECDSA_PLAIN_PREFIX: &str = "0.4.0.127.0.7.1.1.4.1.";
    pub const PRIME_FIELD: &str = "1.2.840.10045.1.1";
    pub const PRIME256V1: &str = "1.2.840.10045.3.1.7";
    pub const SECP384R1: &str = "1.3.132.0.34";
    pub const SECP521R1: &str = "1.3.132.0.35";
    pub const BRAINPOOL_P256R1: &str = "1.3.36.3.3.2.8.1.1.7";
    pub const BRAINPOOL_P384R1: &str = "1.3.36.3.3.2.8.1.1.11";
    pub const BRAINPOOL_P512R1: &str = "1.3.36.3.3.2.8.1.1.13";
}

/// The curve of an RFC 5480 / RFC 5639 namedCurve OID, if we have it.
pub fn curve_from_oid(dotted: &str) -> Option<Curve> {
    Some(match dotted {
        oid::PRIME256V1 => Curve::NistP256,
        oid::SECP384R1 => Curve::NistP384,
        oid::SECP521R1 => Curve::NistP521,
        oid::BRAINPOOL_P256R1 => Curve::BrainpoolP256r1,
        oid::BRAINPOOL_P384R1 => Curve::BrainpoolP384r1,
        oid::BRAINPOOL_P512R1 => Curve::BrainpoolP512r1,
        _ => return None,
    })
}

/// Parses a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7):
///
/// ```text
/// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
/// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }     -- RFC 8017 A.1.1
/// ECParameters ::= CHOICE { namedCurve OBJECT IDENTIFIER,                    -- RFC 5480 §2.1.1
///                           specifiedCurve SpecifiedECDomain, implicitCurve NULL }
/// ```
/// RSA moduli of 1024 to 8192 bits (the `rsa` crate's limits); EC points
/// uncompressed and validated on the curve.
pub fn parse_spki(spki: &[u8]) -> Result<PublicKey, KeyError> {
    const WHAT: &str = "SubjectPublicKeyInfo";
    let content = single_tlv(spki, TAG_SEQUENCE, WHAT)?;
    let mut r = Reader::new(content);
    let algorithm = der::algorithm_identifier(expect_tlv(&mut r, TAG_SEQUENCE, WHAT)?, WHAT)?;
    let key = der::bit_string_octets(expect_tlv(&mut r, TAG_BIT_STRING, WHAT)?, WHAT)?;
    r.expect_end(WHAT)?;
    match algorithm.oid.as_str() {
        oid::RSA_ENCRYPTION | oid::RSASSA_PSS => {
            use rsa::pkcs1::DecodeRsaPublicKey;
            let key = rsa::PublicKey::from_pkcs1_der(key)
                .map_err(|_| KeyError::Malformed(Malformed::Invalid { what: WHAT, reason: "RSA public key" }))?;
            Ok(PublicKey::Rsa(Box::new(key)))
        }
        oid::EC_PUBLIC_KEY => {
            let params = algorithm.params.ok_or(KeyError::Unsupported("EC key without curve parameters"))?;
            let mut p = Reader::new(params);
            let t = read_tlv(&mut p, "ECParameters")?;
            p.expect_end("ECParameters")?;
            let curve = match t.tag {
                TAG_OID => curve_from_oid(&der::oid_string(t.value, "ECParameters namedCurve")?)
                    .ok_or(KeyError::Unsupported("EC named curve"))?,
                TAG_SEQUENCE => curve_from_explicit_parameters(t.value)?,
                _ => return Err(KeyError::Unsupported("EC parameters neither named nor explicit")),
            };
            match key.first() {
                Some(0x02 | 0x03) => return Err(KeyError::Unsupported("compressed EC public key")),
                Some(0x04) => {}
                _ => return Err(Malformed::Invalid { what: WHAT, reason: "EC public key encoding" }.into()),
            }
            curve.validate(key).map_err(|_| {
                KeyError::Malformed(Malformed::Invalid { what: WHAT, reason: "EC point not on the curve" })
            })?;
            Ok(PublicKey::Ec { curve, point: key.to_vec() })
        }
        _ => Err(KeyError::Unsupported("public key algorithm")),
    }
}

/// One curve's domain parameters as unsigned big-endian integers without
/// leading zeros.
struct Domain {
    p: Vec<u8>,
    a: Vec<u8>,
    b: Vec<u8>,
    gx: Vec<u8>,
    gy: Vec<u8>,
    n: Vec<u8>,
}

fn strip(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.get(zeros..).unwrap_or(&[])
}

/// `x + 1` on a big-endian unsigned integer.
fn plus_one(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for b in out.iter_mut().rev() {
        let (sum, carry) = b.overflowing_add(1);
        *b = sum;
        if !carry {
            return strip(&out).to_vec();
        }
    }
    let mut grown = vec![1];
    grown.extend(out);
    strip(&grown).to_vec()
}

/// The domain parameters of a curve, taken from the curve crate itself (so no
/// second copy of the constants can drift): p = (−1 mod p) + 1, n = (−1 mod n)
/// + 1, a, b and G from `primeorder::PrimeCurveParams`.
fn domain_of<C: PrimeCurveParams>() -> Domain {
    let p_minus_one = (-<C as FieldArithmetic>::FieldElement::ONE).to_repr();
    let n_minus_one = (-<C as CurveArithmetic>::Scalar::ONE).to_repr();
    let (gx, gy) = C::GENERATOR;
    Domain {
        p: plus_one(&p_minus_one),
        a: strip(&C::EQUATION_A.to_repr()).to_vec(),
        b: strip(&C::EQUATION_B.to_repr()).to_vec(),
        gx: strip(&gx.to_repr()).to_vec(),
        gy: strip(&gy.to_repr()).to_vec(),
        n: plus_one(&n_minus_one),
    }
}

fn domain(curve: Curve) -> Domain {
    match curve {
        Curve::NistP256 => domain_of::<p256::NistP256>(),
        Curve::BrainpoolP256r1 => domain_of::<bp256::r1::BrainpoolP256r1>(),
        Curve::NistP384 => domain_of::<p384::NistP384>(),
        Curve::BrainpoolP384r1 => domain_of::<bp384::r1::BrainpoolP384r1>(),
        Curve::BrainpoolP512r1 => domain_of::<bp512::BrainpoolP512r1>(),
        Curve::NistP521 => domain_of::<p521::NistP521>(),
    }
}

/// The named curve that explicit domain parameters equal (HOSTILE 27; the
/// Vietnamese CSCA's brainpoolP512r1 key is given this way):
///
/// ```text
/// SpecifiedECDomain ::= SEQUENCE {                                  -- SEC 1 v2 §C.2; RFC 3279 §2.3.5
///   version   INTEGER { ecdpVer1(1), ecdpVer2(2), ecdpVer3(3) },
///   fieldID   SEQUENCE { fieldType OBJECT IDENTIFIER (prime-field), parameters INTEGER (p) },
///   curve     SEQUENCE { a OCTET STRING, b OCTET STRING, seed BIT STRING OPTIONAL },
///   base      OCTET STRING,                                         -- G, SEC1-encoded
///   order     INTEGER,                                              -- n
///   cofactor  INTEGER OPTIONAL,                                     -- h
///   hash      AlgorithmIdentifier OPTIONAL }
/// ```
/// p, a, b, G, n (and h when present, which must be 1) are compared as
/// integers with every supported curve's. G may be uncompressed or compressed
/// (compared by x and the parity of y, so no square root is taken). Parameters
/// equal to no supported curve — including characteristic-two fields — are
/// [`KeyError::Unsupported`]: the signature is then `unsupported_algorithm`.
pub fn curve_from_explicit_parameters(content: &[u8]) -> Result<Curve, KeyError> {
    const WHAT: &str = "SpecifiedECDomain";
    let mut r = Reader::new(content);
    let version = der::small_uint(expect_tlv(&mut r, TAG_INTEGER, WHAT)?, WHAT)?;
    if !(1..=3).contains(&version) {
        return Err(Malformed::Invalid { what: WHAT, reason: "version" }.into());
    }
    let mut field = Reader::new(expect_tlv(&mut r, TAG_SEQUENCE, "SpecifiedECDomain fieldID")?);
    let field_type = der::oid_string(expect_tlv(&mut field, TAG_OID, WHAT)?, WHAT)?;
    if field_type != oid::PRIME_FIELD {
        return Err(KeyError::Unsupported("EC field other than a prime field"));
    }
    let p = der::unsigned(expect_tlv(&mut field, TAG_INTEGER, WHAT)?, WHAT)?;
    field.expect_end(WHAT)?;
    let mut curve = Reader::new(expect_tlv(&mut r, TAG_SEQUENCE, "SpecifiedECDomain curve")?);
    let a = expect_tlv(&mut curve, TAG_OCTET_STRING, WHAT)?;
    let b = expect_tlv(&mut curve, TAG_OCTET_STRING, WHAT)?;
    if !curve.is_empty() {
        expect_tlv(&mut curve, TAG_BIT_STRING, "SpecifiedECDomain seed")?;
    }
    curve.expect_end(WHAT)?;
    let base = expect_tlv(&mut r, TAG_OCTET_STRING, "SpecifiedECDomain base")?;
    let n = der::unsigned(expect_tlv(&mut r, TAG_INTEGER, WHAT)?, WHAT)?;
    if r.peek() == Some(0x02) {
        let h = der::unsigned(expect_tlv(&mut r, TAG_INTEGER, WHAT)?, WHAT)?;
        if h != [1] {
            return Err(KeyError::Unsupported("EC cofactor other than 1"));
        }
    }
    if !r.is_empty() {
        // hash AlgorithmIdentifier OPTIONAL (ecdpVer2/3): informative only.
        expect_tlv(&mut r, TAG_SEQUENCE, "SpecifiedECDomain hash")?;
    }
    r.expect_end(WHAT)?;

    let (p, a, b, n) = (strip(p), strip(a), strip(b), strip(n));
    for candidate in Curve::ALL {
        let d = domain(candidate);
        if d.p != p || d.a != a || d.b != b || d.n != n {
            continue;
        }
        let len = candidate.field_len();
        let g_matches = match base {
            [0x04, xy @ ..] if xy.len() == 2 * len => {
                let (x, y) = xy.split_at(len);
                strip(x) == d.gx && strip(y) == d.gy
            }
            [tag @ (0x02 | 0x03), x @ ..] if x.len() == len => {
                let y_odd = d.gy.last().is_some_and(|b| b & 1 == 1);
                strip(x) == d.gx && (*tag == 0x03) == y_odd
            }
            _ => false,
        };
        if g_matches {
            return Ok(candidate);
        }
    }
    Err(KeyError::Unsupported("explicit EC parameters matching no supported curve"))
}

fn hash_from_arc(arc: &str) -> Option<HashAlgorithm> {
    Some(match arc {
        "1" => HashAlgorithm::Sha1,
        "2" => HashAlgorithm::Sha224,
        "3" => HashAlgorithm::Sha256,
        "4" => HashAlgorithm::Sha384,
        "5" => HashAlgorithm::Sha512,
        _ => return None,
    })
}

/// The scheme named by a signature AlgorithmIdentifier (`params`: the
/// parameters' whole TLV, `None` if absent or NULL). `digest` is the CMS
/// SignerInfo's digestAlgorithm, used where the OID names no hash
/// (`rsaEncryption`, `id-ecPublicKey`); pass `None` for certificates and CRLs.
pub fn scheme(algorithm_oid: &str, params: Option<&[u8]>, digest: Option<HashAlgorithm>) -> Result<Scheme, KeyError> {
    let pkcs1 = |h| Ok(Scheme::RsaPkcs1v15(h));
    let ecdsa = |h| Ok(Scheme::Ecdsa { hash: h, plain: false });
    let needs_digest = KeyError::Unsupported("digest algorithm for a hash-less signature OID");
    match algorithm_oid {
        oid::SHA1_RSA => pkcs1(HashAlgorithm::Sha1),
        oid::SHA224_RSA => pkcs1(HashAlgorithm::Sha224),
        oid::SHA256_RSA => pkcs1(HashAlgorithm::Sha256),
        oid::SHA384_RSA => pkcs1(HashAlgorithm::Sha384),
        oid::SHA512_RSA => pkcs1(HashAlgorithm::Sha512),
        oid::RSA_ENCRYPTION => digest.map(Scheme::RsaPkcs1v15).ok_or(needs_digest),
        oid::RSASSA_PSS => pss_params(params),
        oid::ECDSA_SHA1 => ecdsa(HashAlgorithm::Sha1),
        oid::ECDSA_SHA224 => ecdsa(HashAlgorithm::Sha224),
        oid::ECDSA_SHA256 => ecdsa(HashAlgorithm::Sha256),
        oid::ECDSA_SHA384 => ecdsa(HashAlgorithm::Sha384),
        oid::ECDSA_SHA512 => ecdsa(HashAlgorithm::Sha512),
        oid::EC_PUBLIC_KEY => digest.map(|hash| Scheme::Ecdsa { hash, plain: false }).ok_or(needs_digest),
        other => match other.strip_prefix(oid::ECDSA_PLAIN_PREFIX).and_then(hash_from_arc) {
            Some(hash) => Ok(Scheme::Ecdsa { hash, plain: true }),
            None => Err(KeyError::Unsupported("signature algorithm")),
        },
    }
}

/// `RSASSA-PSS-params` (RFC 4055 §3.1; RFC 8017 Appendix A.2.3):
///
/// ```text
/// RSASSA-PSS-params ::= SEQUENCE {
///   hashAlgorithm     [0] HashAlgorithm     DEFAULT sha1,
///   maskGenAlgorithm  [1] MaskGenAlgorithm  DEFAULT mgf1SHA1,   -- { id-mgf1, HashAlgorithm }
///   saltLength        [2] INTEGER           DEFAULT 20,
///   trailerField      [3] TrailerField      DEFAULT trailerFieldBC (1) }
/// ```
/// Absent parameters mean all defaults.
fn pss_params(params: Option<&[u8]>) -> Result<Scheme, KeyError> {
    const WHAT: &str = "RSASSA-PSS-params";
    let mut hash = HashAlgorithm::Sha1;
    let mut mgf_hash = HashAlgorithm::Sha1;
    let mut salt_len = 20u32;
    if let Some(params) = params {
        let content = single_tlv(params, TAG_SEQUENCE, WHAT)?;
        let mut r = Reader::new(content);
        let mut last_tag = 0u32;
        while !r.is_empty() {
            let t = read_tlv(&mut r, WHAT)?;
            if t.tag <= last_tag {
                return Err(Malformed::Invalid { what: WHAT, reason: "fields out of order" }.into());
            }
            last_tag = t.tag;
            match t.tag {
                0xA0 => hash = hash_algorithm(single_tlv(t.value, TAG_SEQUENCE, WHAT)?)?,
                0xA1 => {
                    let mgf = der::algorithm_identifier(single_tlv(t.value, TAG_SEQUENCE, WHAT)?, WHAT)?;
                    if mgf.oid != oid::MGF1 {
                        return Err(KeyError::Unsupported("PSS mask generation function other than MGF1"));
                    }
                    let inner = mgf.params.ok_or(Malformed::Invalid { what: WHAT, reason: "MGF1 without a hash" })?;
                    mgf_hash = hash_algorithm(single_tlv(inner, TAG_SEQUENCE, WHAT)?)?;
                }
                0xA2 => salt_len = der::small_uint(single_tlv(t.value, TAG_INTEGER, WHAT)?, WHAT)?,
                0xA3 => {
                    if der::small_uint(single_tlv(t.value, TAG_INTEGER, WHAT)?, WHAT)? != 1 {
                        return Err(KeyError::Unsupported("PSS trailer field other than 0xBC"));
                    }
                }
                _ => return Err(Malformed::Invalid { what: WHAT, reason: "unknown field" }.into()),
            }
        }
    }
    if mgf_hash != hash {
        return Err(KeyError::Unsupported("PSS with an MGF1 hash different from the message hash"));
    }
    if salt_len > MAX_PSS_SALT {
        return Err(Malformed::Invalid { what: WHAT, reason: "salt length" }.into());
    }
    Ok(Scheme::RsaPss { hash, salt_len: salt_len as usize })
}

/// A hash AlgorithmIdentifier's content (parameters absent or NULL, RFC 5754 §2).
fn hash_algorithm(content: &[u8]) -> Result<HashAlgorithm, KeyError> {
    let alg = der::algorithm_identifier(content, "HashAlgorithm")?;
    if alg.params.is_some() {
        return Err(Malformed::Invalid { what: "HashAlgorithm", reason: "parameters" }.into());
    }
    HashAlgorithm::from_oid(&alg.oid).ok_or(KeyError::Unsupported("hash algorithm"))
}

/// Verifies `signature` over `message` with `key` and `scheme`. A key that
/// does not fit the scheme (an EC key with an RSA scheme) is
/// [`SignatureCheck::Invalid`].
pub fn verify(key: &PublicKey, scheme: Scheme, message: &[u8], signature: &[u8]) -> SignatureCheck {
    let ok = match (key, scheme) {
        (PublicKey::Rsa(k), Scheme::RsaPkcs1v15(hash)) => verify_pkcs1v15(k, hash, message, signature),
        (PublicKey::Rsa(k), Scheme::RsaPss { hash, salt_len }) => verify_pss(k, hash, salt_len, message, signature),
        (PublicKey::Ec { curve, point }, Scheme::Ecdsa { hash, plain }) => {
            verify_ecdsa(*curve, point, &hash.digest(message), signature, plain)
        }
        _ => false,
    };
    if ok { SignatureCheck::Valid } else { SignatureCheck::Invalid }
}

fn verify_pkcs1v15(key: &rsa::PublicKey, hash: HashAlgorithm, message: &[u8], signature: &[u8]) -> bool {
    use rsa::Pkcs1v15Sign;
    let scheme = match hash {
        HashAlgorithm::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
        HashAlgorithm::Sha224 => Pkcs1v15Sign::new::<sha2::Sha224>(),
        HashAlgorithm::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
        HashAlgorithm::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
        HashAlgorithm::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
    };
    key.verify(scheme, &hash.digest(message), signature).is_ok()
}

fn verify_pss(key: &rsa::PublicKey, hash: HashAlgorithm, salt: usize, message: &[u8], signature: &[u8]) -> bool {
    use rsa::pss::Pss;
    let digest = hash.digest(message);
    match hash {
        HashAlgorithm::Sha1 => key.verify(Pss::<sha1::Sha1>::new_with_salt(salt), &digest, signature),
        HashAlgorithm::Sha224 => key.verify(Pss::<sha2::Sha224>::new_with_salt(salt), &digest, signature),
        HashAlgorithm::Sha256 => key.verify(Pss::<sha2::Sha256>::new_with_salt(salt), &digest, signature),
        HashAlgorithm::Sha384 => key.verify(Pss::<sha2::Sha384>::new_with_salt(salt), &digest, signature),
        HashAlgorithm::Sha512 => key.verify(Pss::<sha2::Sha512>::new_with_salt(salt), &digest, signature),
    }
    .is_ok()
}

/// Splits an ECDSA signature into r and s (magnitudes, at most `len` bytes each):
/// DER `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279
/// §2.2.3), or plain `r ‖ s` of exactly 2·`len` bytes (BSI TR-03111 §5.2.1).
fn split_ecdsa(signature: &[u8], len: usize, plain: bool) -> Option<(&[u8], &[u8])> {
    if plain {
        if signature.len() != 2 * len {
            return None;
        }
        let (r, s) = signature.split_at(len);
        return Some((strip(r), strip(s)));
    }
    let content = single_tlv(signature, TAG_SEQUENCE, "Ecdsa-Sig-Value").ok()?;
    let mut rd = Reader::new(content);
    let r = der::unsigned(expect_tlv(&mut rd, TAG_INTEGER, "Ecdsa-Sig-Value r").ok()?, "r").ok()?;
    let s = der::unsigned(expect_tlv(&mut rd, TAG_INTEGER, "Ecdsa-Sig-Value s").ok()?, "s").ok()?;
    rd.expect_end("Ecdsa-Sig-Value").ok()?;
    (r.len() <= len && s.len() <= len).then_some((r, s))
}

fn verify_ecdsa(curve: Curve, point: &[u8], digest: &[u8], signature: &[u8], plain: bool) -> bool {
    let Some((r, s)) = split_ecdsa(signature, curve.order_len(), plain) else {
        return false;
    };
    match curve {
        Curve::NistP256 => ecdsa_on::<p256::NistP256>(point, digest, r, s),
        Curve::BrainpoolP256r1 => ecdsa_on::<bp256::r1::BrainpoolP256r1>(point, digest, r, s),
        Curve::NistP384 => ecdsa_on::<p384::NistP384>(point, digest, r, s),
        Curve::BrainpoolP384r1 => ecdsa_on::<bp384::r1::BrainpoolP384r1>(point, digest, r, s),
        Curve::BrainpoolP512r1 => ecdsa_on::<bp512::BrainpoolP512r1>(point, digest, r, s),
        Curve::NistP521 => ecdsa_on::<p521::NistP521>(point, digest, r, s),
    }
}

/// ECDSA verification on one curve: r and s must lie in [1, n−1]
/// (`Signature::from_scalars`), the point on the curve.
fn ecdsa_on<C>(point: &[u8], digest: &[u8], r: &[u8], s: &[u8]) -> bool
where
    C: ecdsa::EcdsaCurve + CurveArithmetic<FieldBytesSize: ModulusSize, AffinePoint: FromSec1Point<C>>,
{
    let Ok(encoded) = Sec1Point::<C>::from_bytes(point) else {
        return false;
    };
    let Some(affine) = C::AffinePoint::from_sec1_point(&encoded).into_option() else {
        return false;
    };
    let q = C::ProjectivePoint::from(affine);
    let pad = |v: &[u8]| -> Option<FieldBytes<C>> {
        let mut out = FieldBytes::<C>::default();
        let offset = out.len().checked_sub(v.len())?;
        out.get_mut(offset..)?.copy_from_slice(v);
        Some(out)
    };
    let (Some(r), Some(s)) = (pad(r), pad(s)) else {
        return false;
    };
    let Ok(signature) = ecdsa::Signature::<C>::from_scalars(r, s) else {
        return false;
    };
    ecdsa::hazmat::verify_prehashed::<C>(&q, digest, &signature).is_ok()
}

/// The message a SignerInfo signs and its scheme, after the signed-attribute
/// checks: `Err` carries the verdict when it is already decided.
fn signed_message<'a>(sod: &'a Sod, si: &'a SignerInfo) -> Result<(&'a [u8], Scheme), SignatureCheck> {
    let message: &[u8] = match &si.signed_attrs_der {
        Some(attrs) => match super::check_signed_attributes(sod) {
            None => return Err(SignatureCheck::UnsupportedAlgorithm),
            Some(false) => return Err(SignatureCheck::Invalid),
            Some(true) => attrs,
        },
        None => &sod.encapsulated_content,
    };
    let params = si.signature_algorithm_params.as_deref();
    match scheme(&si.signature_algorithm_oid, params, si.digest_algorithm.supported()) {
        Ok(scheme) => Ok((message, scheme)),
        Err(KeyError::Unsupported(_)) => Err(SignatureCheck::UnsupportedAlgorithm),
        Err(KeyError::Malformed(_)) => Err(SignatureCheck::Invalid),
    }
}

/// The SubjectPublicKeyInfo (whole DER) of a certificate.
pub(crate) fn certificate_spki(certificate: &[u8]) -> Option<&[u8]> {
    use x509_parser::prelude::FromDer;
    let (rest, cert) = x509_parser::certificate::X509Certificate::from_der(certificate).ok()?;
    rest.is_empty().then_some(cert.tbs_certificate.subject_pki.raw)
}

/// Passive authentication step 2 (ICAO 9303-11 §5.1): the SOD's signature
/// with the document signer certificate `ds_certificate` (DER; from the SOD
/// or the trust store — `None`: [`SignatureCheck::Undetermined`]).
///
/// An undecodable certificate or key is [`SignatureCheck::Invalid`]; an
/// unsupported digest, signature algorithm or curve is
/// [`SignatureCheck::UnsupportedAlgorithm`]. This does not say the
/// certificate is trusted: that is the chain's job ([`super::chain`]).
pub fn verify_sod_signature(sod: &Sod, ds_certificate: Option<&[u8]>) -> SignatureCheck {
    let Some(certificate) = ds_certificate else {
        return SignatureCheck::Undetermined;
    };
    let si = &sod.signer_info;
    let (message, scheme) = match signed_message(sod, si) {
        Ok(m) => m,
        Err(verdict) => return verdict,
    };
    let Some(spki) = certificate_spki(certificate) else {
        return SignatureCheck::Invalid;
    };
    match parse_spki(spki) {
        Ok(key) => verify(&key, scheme, message, &si.signature),
        Err(KeyError::Unsupported(_)) => SignatureCheck::UnsupportedAlgorithm,
        Err(KeyError::Malformed(_)) => SignatureCheck::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::tlv::tlv;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// The crate-derived domain parameters equal the published ones
    /// (RFC 5639 §3.4 and §3.7; SEC 2 §2.4.2 / FIPS 186-4 §D.1.2.3).
    #[test]
    fn domain_parameters_match_the_standards() {
        let bp256 = domain(Curve::BrainpoolP256r1);
        assert_eq!(bp256.p, hex("a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377"));
        assert_eq!(bp256.a, hex("7d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9"));
        assert_eq!(bp256.b, hex("26dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b6"));
        assert_eq!(bp256.gx, hex("8bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262"));
        assert_eq!(bp256.gy, hex("547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997"));
        assert_eq!(bp256.n, hex("a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7"));
        let bp512 = domain(Curve::BrainpoolP512r1);
        assert_eq!(
            bp512.p,
            hex(concat!(
                "aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca703308717d4d9b009bc66842aecda12ae6a380e6",
                "2881ff2f2d82c68528aa6056583a48f3"
            ))
        );
        assert_eq!(
            bp512.n,
            hex(concat!(
                "aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330870553e5c414ca92619418661197fac1047",
                "1db1d381085ddaddb58796829ca90069"
            ))
        );
        let p256 = domain(Curve::NistP256);
        assert_eq!(p256.p, hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"));
        assert_eq!(p256.b, hex("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b"));
        assert_eq!(p256.n, hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"));
        let p521 = domain(Curve::NistP521);
        assert_eq!(p521.p.len(), 66);
        assert_eq!(p521.p.first(), Some(&0x01));
        assert!(p521.p.iter().skip(1).all(|&b| b == 0xFF));
        for c in Curve::ALL {
            let d = domain(c);
            let g = c.generator();
            assert_eq!(strip(&g[1..1 + c.field_len()]), d.gx, "{c}");
            assert_eq!(d.n.len(), c.order_len(), "{c}");
        }
    }

    fn explicit(curve: Curve, tweak_b: bool, compressed: bool) -> Vec<u8> {
        let d = domain(curve);
        let len = curve.field_len();
        let fixed = |v: &[u8]| {
            let mut out = vec![0u8; len - v.len()];
            out.extend_from_slice(v);
            out
        };
        let int = |v: &[u8]| {
            let mut body = if v.first().is_some_and(|b| b & 0x80 != 0) { vec![0] } else { vec![] };
            body.extend_from_slice(v);
            tlv(TAG_INTEGER, &body)
        };
        let mut b = fixed(&d.b);
        if tweak_b && let Some(last) = b.last_mut() {
            *last ^= 1;
        }
        let base = if compressed {
            let tag = if d.gy.last().unwrap() & 1 == 1 { 3 } else { 2 };
            [vec![tag], fixed(&d.gx)].concat()
        } else {
            [vec![4], fixed(&d.gx), fixed(&d.gy)].concat()
        };
        let prime_field = tlv(TAG_OID, &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x01, 0x01]);
        [
            tlv(TAG_INTEGER, &[1]),
            tlv(TAG_SEQUENCE, &[prime_field, int(&d.p)].concat()),
            tlv(TAG_SEQUENCE, &[tlv(TAG_OCTET_STRING, &fixed(&d.a)), tlv(TAG_OCTET_STRING, &b)].concat()),
            tlv(TAG_OCTET_STRING, &base),
            int(&d.n),
            tlv(TAG_INTEGER, &[1]),
        ]
        .concat()
    }

    /// HOSTILE 27: explicit parameters equal to a named curve map to it; others are unsupported.
    #[test]
    fn explicit_parameters() {
        for c in Curve::ALL {
            assert_eq!(curve_from_explicit_parameters(&explicit(c, false, false)), Ok(c), "{c}");
            assert_eq!(curve_from_explicit_parameters(&explicit(c, false, true)), Ok(c), "{c} compressed G");
            assert!(
                matches!(curve_from_explicit_parameters(&explicit(c, true, false)), Err(KeyError::Unsupported(_))),
                "{c} with a different b"
            );
        }
        assert!(matches!(curve_from_explicit_parameters(&[0x02, 0x01]), Err(KeyError::Malformed(_))));
    }

    #[test]
    fn schemes() {
        assert_eq!(scheme("1.2.840.113549.1.1.11", None, None), Ok(Scheme::RsaPkcs1v15(HashAlgorithm::Sha256)));
        assert_eq!(
            scheme("1.2.840.113549.1.1.1", None, Some(HashAlgorithm::Sha384)),
            Ok(Scheme::RsaPkcs1v15(HashAlgorithm::Sha384))
        );
        assert!(matches!(scheme("1.2.840.113549.1.1.1", None, None), Err(KeyError::Unsupported(_))));
        assert!(matches!(scheme("1.2.840.113549.1.1.4", None, None), Err(KeyError::Unsupported(_))), "MD5 with RSA");
        assert_eq!(
            scheme("0.4.0.127.0.7.1.1.4.1.5", None, None),
            Ok(Scheme::Ecdsa { hash: HashAlgorithm::Sha512, plain: true })
        );
        assert!(matches!(scheme("0.4.0.127.0.7.1.1.4.1.6", None, None), Err(KeyError::Unsupported(_))), "RIPEMD");
        // RSASSA-PSS: defaults, and explicit SHA-256 / MGF1-SHA-256 / 32.
        assert_eq!(
            scheme("1.2.840.113549.1.1.10", None, None),
            Ok(Scheme::RsaPss { hash: HashAlgorithm::Sha1, salt_len: 20 })
        );
        assert_eq!(
            scheme("1.2.840.113549.1.1.10", Some(&[0x30, 0x00]), None),
            Ok(Scheme::RsaPss { hash: HashAlgorithm::Sha1, salt_len: 20 })
        );
        let sha256 = tlv(TAG_SEQUENCE, &tlv(TAG_OID, &hex("608648016503040201")));
        let sha512 = tlv(TAG_SEQUENCE, &tlv(TAG_OID, &hex("608648016503040203")));
        let mgf = |h: &[u8]| tlv(TAG_SEQUENCE, &[tlv(TAG_OID, &hex("2a864886f70d010108")), h.to_vec()].concat());
        let params = |h: &[u8], m: &[u8], salt: u8| {
            tlv(TAG_SEQUENCE, &[tlv(0xA0, h), tlv(0xA1, &mgf(m)), tlv(0xA2, &tlv(TAG_INTEGER, &[salt]))].concat())
        };
        assert_eq!(
            scheme("1.2.840.113549.1.1.10", Some(&params(&sha256, &sha256, 32)), None),
            Ok(Scheme::RsaPss { hash: HashAlgorithm::Sha256, salt_len: 32 })
        );
        assert!(matches!(
            scheme("1.2.840.113549.1.1.10", Some(&params(&sha256, &sha512, 32)), None),
            Err(KeyError::Unsupported(_))
        ));
        let trailer2 = tlv(TAG_SEQUENCE, &tlv(0xA3, &tlv(TAG_INTEGER, &[2])));
        assert!(matches!(scheme("1.2.840.113549.1.1.10", Some(&trailer2), None), Err(KeyError::Unsupported(_))));
        let out_of_order = tlv(TAG_SEQUENCE, &[tlv(0xA2, &tlv(TAG_INTEGER, &[1])), tlv(0xA0, &sha256)].concat());
        assert!(matches!(scheme("1.2.840.113549.1.1.10", Some(&out_of_order), None), Err(KeyError::Malformed(_))));
    }

    #[test]
    fn names() {
        let all = [
            SignatureCheck::Valid,
            SignatureCheck::Invalid,
            SignatureCheck::UnsupportedAlgorithm,
            SignatureCheck::Undetermined,
        ];
        let names: Vec<&str> = all.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, ["valid", "invalid", "unsupported_algorithm", "undetermined"]);
    }

    /// ECDSA on every curve, DER and plain, with hashes longer and shorter than
    /// the order; tampering and out-of-range r/s fail. Keys are from the curve
    /// API, signatures from `ecdsa::hazmat` with RFC 6979 nonces.
    #[test]
    fn ecdsa_every_curve_and_hash() {
        use crate::protocol::crypto::ec::Curve as C;
        fn sign<Cv>(secret: &[u8], z: &[u8]) -> (Vec<u8>, Vec<u8>)
        where
            Cv: ecdsa::EcdsaCurve + CurveArithmetic,
        {
            let mut repr = FieldBytes::<Cv>::default();
            let off = repr.len() - secret.len();
            repr[off..].copy_from_slice(secret);
            let d = elliptic_curve::NonZeroScalar::<Cv>::from_repr(repr).unwrap();
            let (sig, _) = ecdsa::hazmat::sign_prehashed_rfc6979::<Cv, sha2::Sha256>(&d, z, &[]);
            let (r, s) = sig.split_bytes();
            (r.to_vec(), s.to_vec())
        }
        struct NoRng;
        impl crate::protocol::access::Rng for NoRng {
            fn fill(&mut self, buf: &mut [u8]) -> Result<(), crate::protocol::Error> {
                for (i, b) in buf.iter_mut().enumerate() {
                    *b = (i as u8).wrapping_mul(37).wrapping_add(11);
                }
                Ok(())
            }
        }
        for curve in C::ALL {
            let secret = curve.random_scalar(&mut NoRng).unwrap();
            let point = curve.public_key(&secret).unwrap();
            let key = PublicKey::Ec { curve, point };
            for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha256, HashAlgorithm::Sha512] {
                let message = b"signed attributes";
                let z = hash.digest(message);
                let (r, s) = match curve {
                    C::NistP256 => sign::<p256::NistP256>(&secret, &z),
                    C::BrainpoolP256r1 => sign::<bp256::r1::BrainpoolP256r1>(&secret, &z),
                    C::NistP384 => sign::<p384::NistP384>(&secret, &z),
                    C::BrainpoolP384r1 => sign::<bp384::r1::BrainpoolP384r1>(&secret, &z),
                    C::BrainpoolP512r1 => sign::<bp512::BrainpoolP512r1>(&secret, &z),
                    C::NistP521 => sign::<p521::NistP521>(&secret, &z),
                };
                let plain = [r.clone(), s.clone()].concat();
                let int = |v: &[u8]| {
                    let v = strip(v);
                    let mut body = if v.first().is_some_and(|b| b & 0x80 != 0) { vec![0] } else { vec![] };
                    body.extend_from_slice(v);
                    tlv(TAG_INTEGER, &body)
                };
                let der_sig = tlv(TAG_SEQUENCE, &[int(&r), int(&s)].concat());
                let der_scheme = Scheme::Ecdsa { hash, plain: false };
                let plain_scheme = Scheme::Ecdsa { hash, plain: true };
                assert_eq!(verify(&key, der_scheme, message, &der_sig), SignatureCheck::Valid, "{curve} {hash:?}");
                assert_eq!(verify(&key, plain_scheme, message, &plain), SignatureCheck::Valid, "{curve} {hash:?}");
                assert_eq!(verify(&key, der_scheme, b"other", &der_sig), SignatureCheck::Invalid);
                assert_eq!(verify(&key, plain_scheme, message, &der_sig), SignatureCheck::Invalid);
                assert_eq!(verify(&key, der_scheme, message, &plain), SignatureCheck::Invalid);
                let mut flipped = plain.clone();
                *flipped.last_mut().unwrap() ^= 1;
                assert_eq!(verify(&key, plain_scheme, message, &flipped), SignatureCheck::Invalid);
                let zero_r = [vec![0u8; curve.order_len()], s.clone()].concat();
                assert_eq!(verify(&key, plain_scheme, message, &zero_r), SignatureCheck::Invalid);
                let wrong_scheme = Scheme::RsaPkcs1v15(hash);
                assert_eq!(verify(&key, wrong_scheme, message, &der_sig), SignatureCheck::Invalid);
            }
        }
    }

    #[test]
    fn spki_parsing() {
        // A P-256 key by named curve, and the same point under explicit parameters.
        let curve = Curve::NistP256;
        let point = curve.generator();
        let alg = |params: Vec<u8>| tlv(TAG_SEQUENCE, &[tlv(TAG_OID, &hex("2a8648ce3d0201")), params].concat());
        let spki = |params: Vec<u8>, key: &[u8]| {
            tlv(TAG_SEQUENCE, &[alg(params), tlv(TAG_BIT_STRING, &[&[0u8][..], key].concat())].concat())
        };
        let named = spki(tlv(TAG_OID, &hex("2a8648ce3d030107")), &point);
        assert!(matches!(parse_spki(&named), Ok(PublicKey::Ec { curve: Curve::NistP256, .. })));
        let specified = spki(
            tlv(TAG_SEQUENCE, &explicit(Curve::BrainpoolP512r1, false, false)),
            &Curve::BrainpoolP512r1.generator(),
        );
        assert!(matches!(parse_spki(&specified), Ok(PublicKey::Ec { curve: Curve::BrainpoolP512r1, .. })));
        let unknown = spki(tlv(TAG_SEQUENCE, &explicit(Curve::NistP256, true, false)), &point);
        assert!(matches!(parse_spki(&unknown), Err(KeyError::Unsupported(_))));
        let secp256k1 = spki(tlv(TAG_OID, &hex("2b8104000a")), &point);
        assert!(matches!(parse_spki(&secp256k1), Err(KeyError::Unsupported(_))));
        let implicit = spki(vec![0x05, 0x00], &point);
        assert!(matches!(parse_spki(&implicit), Err(KeyError::Unsupported(_))));
        let mut off_curve = point.clone();
        *off_curve.last_mut().unwrap() ^= 1;
        assert!(matches!(
            parse_spki(&spki(tlv(TAG_OID, &hex("2a8648ce3d030107")), &off_curve)),
            Err(KeyError::Malformed(_))
        ));
        let compressed = [&[0x02][..], &point[1..33]].concat();
        assert!(matches!(
            parse_spki(&spki(tlv(TAG_OID, &hex("2a8648ce3d030107")), &compressed)),
            Err(KeyError::Unsupported(_))
        ));
        let dsa = tlv(
            TAG_SEQUENCE,
            &[tlv(TAG_SEQUENCE, &tlv(TAG_OID, &hex("2a8648ce380401"))), tlv(TAG_BIT_STRING, &[0, 1])].concat(),
        );
        assert!(matches!(parse_spki(&dsa), Err(KeyError::Unsupported(_))));
        assert!(matches!(parse_spki(&[0x30, 0x03, 0x02]), Err(KeyError::Malformed(_))));
    }
}
