//! Active Authentication (ICAO 9303-11 §6.1; ICAO 9303-11 §9.2.4 for
//! `ActiveAuthenticationInfo`; ISO/IEC 9796-2 for RSA, BSI TR-03111 for ECDSA).
//!
//! ```text
//! INTERNAL AUTHENTICATE   00 88 00 00 08 <RND.IFD: 8 random bytes> Le     (under secure messaging)
//!                      →  <signature> 90 00
//! ```
//!
//! The chip signs the terminal's fresh challenge with the private key whose
//! public key is DG15's `SubjectPublicKeyInfo`:
//!
//! - **RSA** — ISO/IEC 9796-2 digital signature scheme 1 with partial message
//!   recovery: M = M1 ‖ M2 with M2 = RND.IFD, the chip choosing M1. The
//!   terminal computes F = s^e mod n (RSAVP1, RFC 8017 §5.2.2) and takes F apart:
//!
//!   ```text
//!   F = header ‖ padding ‖ M1 ‖ D ‖ trailer                   (k = modulus length in bytes)
//!   header  : the two bits 01, then the "more data" bit 1 (partial recovery): F[0] = 0x6_
//!   padding : nibbles B…B then A — the low nibble of F[0] and bytes BB…BA (none: F[0] = 0x6A)
//!   D       : hash(M1 ‖ M2), as long as the hash
//!   trailer : BC (hash implicit: SHA-1) or xx CC with xx the ISO/IEC 10118-3 hash
//!             identifier: 33 SHA-1, 34 SHA-256, 35 SHA-512, 36 SHA-384, 38 SHA-224
//!   ```
//!
//!   and compares D with hash(M1 ‖ RND.IFD) in constant time.
//!
//! - **ECDSA** — a signature over RND.IFD with the hash of the algorithm
//!   DG14's `ActiveAuthenticationInfo` names (`ecdsa-plain-SHA1/224/256/384/512`,
//!   BSI TR-03111 §5.2.1), in the plain format r ‖ s (each as long as the group
//!   order). The curve is the DG15 key's, named or given by explicit parameters
//!   equal to a named curve ([`crate::protocol::verify::signature::parse_spki`]).
//!
//! # Why ISO/IEC 9796-2 is hand-written
//! No Rust crate implements ISO/IEC 9796-2 (RustCrypto's `rsa` has PKCS#1 v1.5
//! and PSS only). The RSA arithmetic is the `rsa` crate's
//! (`rsa::hazmat::rsa_encrypt`, the raw public operation, on `crypto-bigint`);
//! only the decoding of the recovered representative — a few byte
//! comparisons — is written here, every step checked and no step indexing
//! unchecked.
//!
//! # Results
//! A wrong signature, a malformed representative (header, padding, trailer —
//! HOSTILE 30), a refused INTERNAL AUTHENTICATE or a DG14 naming something
//! other than an ECDSA signature algorithm (HOSTILE 30) is
//! [`ChipCheck::Failed`]; a key or hash this reader does not implement is
//! [`ChipCheck::NotSupported`]. Nothing here panics on what the chip sends.

use crate::protocol::access::Rng;
use crate::protocol::apdu::{CommandApdu, MAX_EXTENDED_LE, MAX_SHORT_LE, StatusWord};
use crate::protocol::authenticity::ChipCheck;
use crate::protocol::crypto::ct_eq;
use crate::protocol::error::Error;
use crate::protocol::lds::dg14::Dg14;
use crate::protocol::lds::dg15::Dg15;
use crate::protocol::lds::sod::HashAlgorithm;
use crate::protocol::read::Channel;
use crate::protocol::verify::signature::{self, KeyError, PublicKey, Scheme, SignatureCheck};
use zeroize::Zeroizing;

/// Length of RND.IFD, the challenge of INTERNAL AUTHENTICATE (ICAO 9303-11 §6.1).
pub const CHALLENGE_LEN: usize = 8;
/// The longest signature accepted: an RSA-8192 signature (the `rsa` crate's largest modulus).
pub const MAX_SIGNATURE_LEN: usize = 1024;
/// Secure-messaging overhead around a response of n bytes, at most: DO'87'
/// (tag, up to 3 length bytes, padding indicator, up to one block of padding),
/// DO'99' (4 bytes), DO'8E' (10 bytes).
const SM_RESPONSE_OVERHEAD: usize = 1 + 3 + 1 + 16 + 4 + 10;

/// The `xx CC` hash identifiers of ISO/IEC 9796-2 trailers (ISO/IEC 10118-3 numbering).
mod trailer {
    /// One-byte trailer: the hash is implicit (SHA-1 for ICAO 9303-11 Active Authentication).
    pub const IMPLICIT: u8 = 0xBC;
    /// Second byte of a two-byte trailer `xx CC`.
    pub const EXPLICIT: u8 = 0xCC;
    pub const RIPEMD160: u8 = 0x31;
    pub const RIPEMD128: u8 = 0x32;
    pub const SHA1: u8 = 0x33;
    pub const SHA256: u8 = 0x34;
    pub const SHA512: u8 = 0x35;
    pub const SHA384: u8 = 0x36;
    pub const WHIRLPOOL: u8 = 0x37;
    pub const SHA224: u8 = 0x38;
}

/// Why Active Authentication cannot pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AaError {
    /// The chip's answer or security data is wrong: a signature that does not
    /// verify, a malformed ISO/IEC 9796-2 representative, an invalid algorithm.
    #[error("active authentication failed: {0}")]
    Invalid(&'static str),
    /// A key, curve or hash this reader does not implement.
    #[error("active authentication not supported: {0}")]
    Unsupported(&'static str),
}

impl AaError {
    /// The result this error stands for: [`ChipCheck::Failed`] or [`ChipCheck::NotSupported`].
    pub fn check(self) -> ChipCheck {
        match self {
            Self::Invalid(_) => ChipCheck::Failed,
            Self::Unsupported(_) => ChipCheck::NotSupported,
        }
    }
}

/// The Active Authentication key of DG15 with its signature scheme.
#[derive(Debug, Clone)]
pub enum AaKey {
    /// RSA: ISO/IEC 9796-2 digital signature scheme 1 (the hash is named by the trailer).
    Rsa(Box<rsa::PublicKey>),
    /// ECDSA over the challenge.
    Ecdsa {
        /// The key (an [`PublicKey::Ec`]).
        key: PublicKey,
        /// The hash named by DG14's `ActiveAuthenticationInfo`; `None` when DG14
        /// has none (non-conformant, ICAO 9303-11 §9.2.4): each of SHA-1/224/256/384/512
        /// is then tried, which only a holder of the private key can satisfy.
        hash: Option<HashAlgorithm>,
    },
}

impl AaKey {
    /// The key of DG15 and, for an EC key, the hash of DG14's
    /// `ActiveAuthenticationInfo` (ICAO 9303-11 §9.2.4):
    ///
    /// ```text
    /// ActiveAuthenticationInfo ::= SEQUENCE { protocol id-AA, version INTEGER (1),
    ///                                         signatureAlgorithm OBJECT IDENTIFIER }
    /// ```
    ///
    /// `signatureAlgorithm` must be `ecdsa-plain-SHA*` (BSI TR-03111 §5.2.1.1);
    /// the X9.62 `ecdsa-with-SHA*` OIDs are accepted as naming the hash too.
    /// Anything else — an RSA scheme, an unknown or malformed OID — is
    /// [`AaError::Invalid`] (HOSTILE 30).
    pub fn from_dg15(dg15: &Dg15, dg14: Option<&Dg14>) -> Result<Self, AaError> {
        let key = signature::parse_spki(&dg15.subject_public_key_info).map_err(|e| match e {
            KeyError::Unsupported(what) => AaError::Unsupported(what),
            KeyError::Malformed(_) => AaError::Invalid("DG15 public key is malformed"),
        })?;
        match key {
            PublicKey::Rsa(rsa) => Ok(Self::Rsa(rsa)),
            key @ PublicKey::Ec { .. } => {
                let hash = match dg14.and_then(Dg14::active_authentication) {
                    None => {
                        tracing::info!("DG14 has no ActiveAuthenticationInfo for the EC key of DG15; trying each hash");
                        None
                    }
                    Some(info) => {
                        if info.version != 1 {
                            tracing::info!(version = info.version, "ActiveAuthenticationInfo version is not 1");
                        }
                        match signature::scheme(&info.signature_algorithm, None, None) {
                            Ok(Scheme::Ecdsa { hash, .. }) => Some(hash),
                            Ok(_) => {
                                return Err(AaError::Invalid("ActiveAuthenticationInfo names a non-ECDSA algorithm"));
                            }
                            Err(_) => {
                                return Err(AaError::Invalid(
                                    "ActiveAuthenticationInfo names no ECDSA signature algorithm",
                                ));
                            }
                        }
                    }
                };
                Ok(Self::Ecdsa { key, hash })
            }
        }
    }

    /// The length of a signature: the modulus length k for RSA, 2 × the order length for ECDSA.
    pub fn signature_len(&self) -> usize {
        use rsa::traits::PublicKeyParts;
        match self {
            Self::Rsa(k) => k.size(),
            Self::Ecdsa { key: PublicKey::Ec { curve, .. }, .. } => 2 * curve.order_len(),
            Self::Ecdsa { .. } => 0,
        }
    }

    /// Verifies the chip's answer to `challenge`.
    pub fn verify(&self, challenge: &[u8], signature: &[u8]) -> Result<(), AaError> {
        if signature.len() > MAX_SIGNATURE_LEN {
            return Err(AaError::Invalid("signature longer than MAX_SIGNATURE_LEN"));
        }
        match self {
            Self::Rsa(key) => verify_iso9796_2(key, signature, challenge),
            Self::Ecdsa { key, hash } => {
                let plain = signature.len() == self.signature_len();
                let hashes: &[HashAlgorithm] = match hash {
                    Some(h) => core::slice::from_ref(h),
                    None => &ALL_HASHES,
                };
                let ok = hashes.iter().any(|&hash| {
                    signature::verify(key, Scheme::Ecdsa { hash, plain }, challenge, signature) == SignatureCheck::Valid
                });
                if ok { Ok(()) } else { Err(AaError::Invalid("ECDSA signature does not verify")) }
            }
        }
    }
}

const ALL_HASHES: [HashAlgorithm; 5] =
    [HashAlgorithm::Sha1, HashAlgorithm::Sha224, HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512];

/// The INTERNAL AUTHENTICATE command (ICAO 9303-11 §6.1; ISO/IEC 7816-4 §11.5.2):
/// `00 88 00 00 08 <challenge> Le`. Ne is 256 (`00`) when the protected answer
/// to a `signature_len`-byte signature fits a short response, else 65 536
/// (`00 00`, extended length: an RSA-2048 signature is 256 bytes before the
/// secure-messaging objects).
pub fn internal_authenticate(challenge: &[u8; CHALLENGE_LEN], signature_len: usize) -> CommandApdu {
    let le = if signature_len + SM_RESPONSE_OVERHEAD > MAX_SHORT_LE { MAX_EXTENDED_LE } else { MAX_SHORT_LE };
    CommandApdu::new(0x00, 0x88, 0x00, 0x00).with_data(challenge.to_vec()).with_le(le)
}

/// Runs Active Authentication over `chip` (which must be under secure
/// messaging) with a fresh challenge from `rng`.
///
/// `Ok` carries the result: [`ChipCheck::Passed`], or [`ChipCheck::Failed`]
/// when the chip refuses INTERNAL AUTHENTICATE or its signature does not
/// verify, or [`ChipCheck::NotSupported`]. `Err` is for what ends or
/// interrupts the exchange itself — transport, cancellation, a lost
/// secure-messaging session — which the caller handles.
pub fn active_authentication<C: Channel + ?Sized>(
    chip: &mut C,
    key: &AaKey,
    rng: &mut dyn Rng,
) -> Result<ChipCheck, Error> {
    let mut challenge = [0u8; CHALLENGE_LEN];
    rng.fill(&mut challenge)?;
    let response = chip.exchange(internal_authenticate(&challenge, key.signature_len()))?;
    if response.sw != StatusWord::OK {
        tracing::warn!(sw = %response.sw, "the chip refused INTERNAL AUTHENTICATE though DG15 holds a key");
        return Ok(ChipCheck::Failed);
    }
    Ok(match key.verify(&challenge, &response.data) {
        Ok(()) => ChipCheck::Passed,
        Err(e) => {
            tracing::warn!(error = %e, "active authentication did not pass");
            e.check()
        }
    })
}

/// The parts of an ISO/IEC 9796-2 scheme 1 representative with partial recovery.
#[derive(Debug)]
pub struct Recovered {
    /// The recoverable part M1 of the message (chosen by the chip).
    pub m1: Zeroizing<Vec<u8>>,
    /// The hash named by the trailer.
    pub hash: HashAlgorithm,
    /// D = hash(M1 ‖ M2), as carried in the representative.
    pub digest: Vec<u8>,
}

/// The hash an ISO/IEC 9796-2 two-byte trailer `id CC` names.
fn trailer_hash(id: u8) -> Result<HashAlgorithm, AaError> {
    Ok(match id {
        trailer::SHA1 => HashAlgorithm::Sha1,
        trailer::SHA224 => HashAlgorithm::Sha224,
        trailer::SHA256 => HashAlgorithm::Sha256,
        trailer::SHA384 => HashAlgorithm::Sha384,
        trailer::SHA512 => HashAlgorithm::Sha512,
        trailer::RIPEMD160 | trailer::RIPEMD128 | trailer::WHIRLPOOL => {
            return Err(AaError::Unsupported("ISO/IEC 9796-2 trailer names a hash this reader does not implement"));
        }
        _ => return Err(AaError::Invalid("ISO/IEC 9796-2 trailer names no hash function")),
    })
}

/// Opens an ISO/IEC 9796-2 scheme 1 signature (partial recovery): F =
/// s^e mod n, then header, padding, M1, D and trailer as laid out in the
/// [module documentation](self).
///
/// Errors ([`AaError::Invalid`]): a signature longer than the modulus or not
/// below it, a header other than `01` + partial recovery, padding other than
/// `B…BA`, a trailer other than `BC` / `xx CC`, no room for M1.
pub fn recover_iso9796_2(key: &rsa::PublicKey, signature: &[u8]) -> Result<Recovered, AaError> {
    use rsa::BoxedUint;
    use rsa::traits::PublicKeyParts;
    let k = key.size();
    if signature.is_empty() || signature.len() > k {
        return Err(AaError::Invalid("RSA signature length differs from the modulus length"));
    }
    let s = BoxedUint::from_be_slice(signature, key.n_bits_precision())
        .map_err(|_| AaError::Invalid("RSA signature does not fit the modulus"))?;
    // RSAVP1 (RFC 8017 §5.2.2) step 1: the representative must be below n.
    if s >= *key.n().as_ref() {
        return Err(AaError::Invalid("RSA signature representative not below the modulus"));
    }
    let f = rsa::hazmat::rsa_encrypt(key, &s).map_err(|_| AaError::Invalid("RSA public operation failed"))?;
    let full = Zeroizing::new(f.to_be_bytes().into_vec());
    // The representative F, k bytes (the limb-aligned encoding may carry leading zero bytes).
    let skip = full.len().checked_sub(k).ok_or(AaError::Invalid("RSA representative length"))?;
    let f = full.get(skip..).ok_or(AaError::Invalid("RSA representative length"))?;

    let (&first, _) = f.split_first().ok_or(AaError::Invalid("empty representative"))?;
    // Header: bits 01 (ISO/IEC 9796-2 §8.1.2), then the "more data" bit: 1 = partial recovery.
    if first & 0xC0 != 0x40 {
        return Err(AaError::Invalid("ISO/IEC 9796-2 header is not 01"));
    }
    if first & 0x20 == 0 {
        return Err(AaError::Invalid("ISO/IEC 9796-2 header announces total recovery, not partial recovery"));
    }
    // Padding: nibbles B…B ending with A, starting in the low nibble of the first byte.
    let m1_start = match first & 0x0F {
        0x0A => 1,
        0x0B => {
            let rest = f.get(1..).unwrap_or(&[]);
            let end = rest.iter().position(|&b| b != 0xBB).ok_or(AaError::Invalid("ISO/IEC 9796-2 padding"))?;
            if rest.get(end) != Some(&0xBA) {
                return Err(AaError::Invalid("ISO/IEC 9796-2 padding does not end with A"));
            }
            end + 2
        }
        _ => return Err(AaError::Invalid("ISO/IEC 9796-2 padding")),
    };
    // Trailer.
    let (&last, before) = f.split_last().ok_or(AaError::Invalid("empty representative"))?;
    let (hash, trailer_len) = match last {
        trailer::IMPLICIT => (HashAlgorithm::Sha1, 1),
        trailer::EXPLICIT => {
            let &id = before.last().ok_or(AaError::Invalid("ISO/IEC 9796-2 trailer"))?;
            (trailer_hash(id)?, 2)
        }
        _ => return Err(AaError::Invalid("ISO/IEC 9796-2 trailer is neither BC nor xx CC")),
    };
    let digest_end = k.checked_sub(trailer_len).ok_or(AaError::Invalid("representative too short"))?;
    let digest_start = digest_end.checked_sub(hash.output_len()).ok_or(AaError::Invalid("representative too short"))?;
    if digest_start <= m1_start {
        return Err(AaError::Invalid("ISO/IEC 9796-2 representative has no room for M1"));
    }
    let m1 = f.get(m1_start..digest_start).ok_or(AaError::Invalid("representative too short"))?;
    let digest = f.get(digest_start..digest_end).ok_or(AaError::Invalid("representative too short"))?;
    Ok(Recovered { m1: Zeroizing::new(m1.to_vec()), hash, digest: digest.to_vec() })
}

/// Verifies an ISO/IEC 9796-2 scheme 1 signature with partial recovery over
/// M = M1 ‖ `m2` (ICAO 9303-11 §6.1: M2 = RND.IFD): D = hash(M1 ‖ M2),
/// compared in constant time.
pub fn verify_iso9796_2(key: &rsa::PublicKey, signature: &[u8], m2: &[u8]) -> Result<(), AaError> {
    let recovered = recover_iso9796_2(key, signature)?;
    let mut message = Zeroizing::new(Vec::with_capacity(recovered.m1.len() + m2.len()));
    message.extend_from_slice(&recovered.m1);
    message.extend_from_slice(m2);
    if ct_eq(&recovered.hash.digest(&message), &recovered.digest) {
        Ok(())
    } else {
        Err(AaError::Invalid("ISO/IEC 9796-2 digest does not match hash(M1 ‖ challenge)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::BoxedUint;
    use rsa::traits::PublicKeyParts;
    use std::sync::OnceLock;

    /// One 1024-bit test key per test run (key generation is the slow part).
    fn key() -> &'static rsa::PrivateKey {
        static KEY: OnceLock<rsa::PrivateKey> = OnceLock::new();
        KEY.get_or_init(|| rsa::PrivateKey::new(&mut getrandom::SysRng, 1024).unwrap())
    }

    /// Signs a representative F with the raw private operation (RSASP1, RFC 8017 §5.2.1).
    fn raw_sign(key: &rsa::PrivateKey, f: &[u8]) -> Vec<u8> {
        let m = BoxedUint::from_be_slice(f, key.n_bits_precision()).unwrap();
        let s = rsa::hazmat::rsa_decrypt(None::<&mut getrandom::SysRng>, key, &m).unwrap();
        let bytes = s.to_be_bytes();
        bytes[bytes.len() - key.size()..].to_vec()
    }

    /// F = 6A ‖ M1 ‖ hash(M1 ‖ m2) ‖ trailer, M1 filling the rest (as chips do).
    fn representative(k: usize, hash: HashAlgorithm, trailer: &[u8], m2: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let m1_len = k - 1 - hash.output_len() - trailer.len();
        let m1: Vec<u8> = (0..m1_len).map(|i| (i * 7 + 3) as u8).collect();
        let d = hash.digest(&[m1.as_slice(), m2].concat());
        ([&[0x6A][..], &m1, &d, trailer].concat(), m1)
    }

    const CHALLENGE: [u8; 8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];

    #[test]
    fn implicit_sha1_trailer() {
        let key = key();
        let (f, m1) = representative(key.size(), HashAlgorithm::Sha1, &[0xBC], &CHALLENGE);
        let sig = raw_sign(key, &f);
        let public = key.to_public_key();
        let rec = recover_iso9796_2(&public, &sig).unwrap();
        assert_eq!(rec.hash, HashAlgorithm::Sha1);
        assert_eq!(&rec.m1[..], &m1[..]);
        assert_eq!(rec.m1.len(), 128 - 1 - 20 - 1);
        assert_eq!(verify_iso9796_2(&public, &sig, &CHALLENGE), Ok(()));
        // Another challenge: the digest no longer matches.
        let mut other = CHALLENGE;
        other[7] ^= 1;
        assert!(matches!(verify_iso9796_2(&public, &sig, &other), Err(AaError::Invalid(_))));
    }

    #[test]
    fn explicit_trailers_name_the_hash() {
        let key = key();
        let public = key.to_public_key();
        for (id, hash) in [
            (0x33, HashAlgorithm::Sha1),
            (0x38, HashAlgorithm::Sha224),
            (0x34, HashAlgorithm::Sha256),
            (0x36, HashAlgorithm::Sha384),
            (0x35, HashAlgorithm::Sha512),
        ] {
            let (f, _) = representative(key.size(), hash, &[id, 0xCC], &CHALLENGE);
            let sig = raw_sign(key, &f);
            assert_eq!(recover_iso9796_2(&public, &sig).unwrap().hash, hash);
            assert_eq!(verify_iso9796_2(&public, &sig, &CHALLENGE), Ok(()), "{hash:?}");
        }
    }

    #[test]
    fn padding_nibbles() {
        let key = key();
        let public = key.to_public_key();
        let k = key.size();
        // 6B BB BA ‖ M1 ‖ D ‖ BC: two bytes of padding.
        let m1: Vec<u8> = vec![0x42; k - 3 - 20 - 1];
        let d = HashAlgorithm::Sha1.digest(&[m1.as_slice(), &CHALLENGE].concat());
        let f = [&[0x6B, 0xBB, 0xBA][..], &m1, &d, &[0xBC]].concat();
        let sig = raw_sign(key, &f);
        assert_eq!(&recover_iso9796_2(&public, &sig).unwrap().m1[..], &m1[..]);
        assert_eq!(verify_iso9796_2(&public, &sig, &CHALLENGE), Ok(()));
        // Padding that never ends with A.
        let bad = [&[0x6B, 0xBB, 0xBB][..], &m1, &d, &[0xBC]].concat();
        assert!(matches!(recover_iso9796_2(&public, &raw_sign(key, &bad)), Err(AaError::Invalid(_))));
        // A padding nibble that is neither A nor B.
        let bad = [&[0x6C][..], &m1, &[0, 0], &d, &[0xBC]].concat();
        assert!(matches!(recover_iso9796_2(&public, &raw_sign(key, &bad)), Err(AaError::Invalid(_))));
    }

    /// HOSTILE 30: a wrong trailer fails, never panics.
    #[test]
    fn wrong_trailers_fail() {
        let key = key();
        let public = key.to_public_key();
        for trailer in [&[0xBD][..], &[0x33, 0xCD], &[0x99, 0xCC], &[0x00, 0x00]] {
            let (f, _) = representative(key.size(), HashAlgorithm::Sha1, trailer, &CHALLENGE);
            let err = verify_iso9796_2(&public, &raw_sign(key, &f), &CHALLENGE).unwrap_err();
            assert!(matches!(err, AaError::Invalid(_)), "{trailer:02X?}: {err:?}");
            assert_eq!(err.check(), ChipCheck::Failed);
        }
        // RIPEMD-160 is a real ISO/IEC 10118-3 hash we do not implement: not supported.
        let (f, _) = representative(key.size(), HashAlgorithm::Sha1, &[0x31, 0xCC], &CHALLENGE);
        assert_eq!(
            verify_iso9796_2(&public, &raw_sign(key, &f), &CHALLENGE).unwrap_err().check(),
            ChipCheck::NotSupported
        );
    }

    #[test]
    fn wrong_headers_fail() {
        let key = key();
        let public = key.to_public_key();
        let (mut f, _) = representative(key.size(), HashAlgorithm::Sha1, &[0xBC], &CHALLENGE);
        f[0] = 0x4A; // total recovery
        assert!(verify_iso9796_2(&public, &raw_sign(key, &f), &CHALLENGE).is_err());
        f[0] = 0x2A; // header 00
        assert!(verify_iso9796_2(&public, &raw_sign(key, &f), &CHALLENGE).is_err());
        // Padding up to the digest: no M1.
        let k = key.size();
        let d = HashAlgorithm::Sha1.digest(&CHALLENGE);
        let no_m1 = [&[0x6B][..], &vec![0xBB; k - 23], &[0xBA], &d, &[0xBC]].concat();
        assert_eq!(no_m1.len(), k);
        assert!(recover_iso9796_2(&public, &raw_sign(key, &no_m1)).is_err());
    }

    #[test]
    fn garbage_signatures_never_panic() {
        let public = key().to_public_key();
        let n = public.n_bytes();
        for sig in [vec![], vec![0], vec![0xFF; 128], vec![0xFF; 129], n.to_vec(), vec![1; 5], vec![0; 128]] {
            assert!(verify_iso9796_2(&public, &sig, &CHALLENGE).is_err());
        }
    }

    proptest::proptest! {
        /// Whatever the chip answers, decoding never panics and never passes by accident.
        #[test]
        fn arbitrary_signatures_never_panic(sig in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let public = key().to_public_key();
            proptest::prop_assert!(verify_iso9796_2(&public, &sig, &CHALLENGE).is_err());
            let ec = AaKey::Ecdsa {
                key: PublicKey::Ec {
                    curve: crate::protocol::crypto::ec::Curve::NistP256,
                    point: crate::protocol::crypto::ec::Curve::NistP256.generator(),
                },
                hash: None,
            };
            proptest::prop_assert!(ec.verify(&CHALLENGE, &sig).is_err());
        }
    }

    #[test]
    fn command_format() {
        let short = internal_authenticate(&CHALLENGE, 64);
        assert_eq!(short.to_bytes().unwrap(), hex::decode("0088000008112233445566778800").unwrap());
        // RSA-1024 fits a short protected response; RSA-2048 needs extended length.
        assert_eq!(internal_authenticate(&CHALLENGE, 128).le, Some(256));
        let long = internal_authenticate(&CHALLENGE, 256);
        assert_eq!(long.le, Some(MAX_EXTENDED_LE));
        assert_eq!(long.to_bytes().unwrap(), hex::decode("0088000000000811223344556677880000").unwrap());
    }
}
