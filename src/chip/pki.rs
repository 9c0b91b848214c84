//! A throw-away PKI for software documents: a CSCA, a document signer and EF.SOD.
//!
//! - Certificates are X.509 v3 (RFC 5280) profiled after ICAO 9303-12 §7.1:
//!   the CSCA is self-signed with basicConstraints CA, keyUsage keyCertSign +
//!   cRLSign and a subject key identifier; the document signer (DS) is issued
//!   by it with keyUsage digitalSignature and an authority key identifier.
//! - EF.SOD is `77 L ContentInfo` holding a CMS SignedData (RFC 5652, profiled
//!   by ICAO 9303-10 §4.6.2) whose encapsulated content is the
//!   LDSSecurityObject with one hash per data group.
//!
//! Keys: RSA-2048 (PKCS#1 v1.5 or PSS, `rsa`) or ECDSA P-256 (`p256`). Key
//! generation is slow for RSA, so one CSCA key and one DS key per kind are
//! generated per process and cached in [`OnceLock`]s; certificates, serial
//! numbers and SODs are fresh for every document.

use super::BuildError;
use super::der::{self, Date, oids};
use crate::protocol::crypto::random_bytes;
use crate::protocol::tlv::tlv;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use sha2::Digest;
use std::sync::OnceLock;

/// A hash algorithm for EF.SOD (the data group hashes and the signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1 (still found on older passports).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// Every algorithm, for tests that loop over them.
    pub const ALL: [Self; 5] = [Self::Sha1, Self::Sha224, Self::Sha256, Self::Sha384, Self::Sha512];

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha224 => sha2::Sha224::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// The digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    pub(crate) fn oid(self) -> &'static [u64] {
        match self {
            Self::Sha1 => oids::SHA1,
            Self::Sha224 => oids::SHA224,
            Self::Sha256 => oids::SHA256,
            Self::Sha384 => oids::SHA384,
            Self::Sha512 => oids::SHA512,
        }
    }

    /// `AlgorithmIdentifier` with absent parameters (RFC 5754 §2).
    pub(crate) fn algorithm_identifier(self) -> Vec<u8> {
        der::seq(&[&der::oid(self.oid())])
    }

    /// `AlgorithmIdentifier` with `NULL` parameters (RFC 8017 DigestInfo, RFC 4055 PSS parameters).
    fn algorithm_identifier_null(self) -> Vec<u8> {
        der::seq(&[&der::oid(self.oid()), &der::null()])
    }
}

/// The key and signature scheme of a CSCA or document signer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignerKind {
    /// RSA-2048, RSASSA-PKCS1-v1_5 (RFC 8017 §8.2), `shaNWithRSAEncryption`.
    RsaPkcs1v15,
    /// RSA-2048, RSASSA-PSS (RFC 8017 §8.1) with MGF1 over the same hash and a salt of the hash length.
    RsaPss,
    /// ECDSA on NIST P-256 (FIPS 186-4), `ecdsa-with-SHAn`, signature as DER `Ecdsa-Sig-Value`.
    EcdsaP256,
    /// ECDSA on NIST P-384 (named curve secp384r1).
    EcdsaP384,
    /// ECDSA on NIST P-521 (named curve secp521r1).
    EcdsaP521,
    /// ECDSA on brainpoolP256r1 (RFC 5639).
    EcdsaBrainpoolP256r1,
    /// ECDSA on brainpoolP384r1 (RFC 5639).
    EcdsaBrainpoolP384r1,
    /// ECDSA on brainpoolP512r1 (RFC 5639): the Vietnamese CSCA's curve; with
    /// explicit parameters in the CSCA's key like Vietnam's, see
    /// [`DocumentBuilder::csca_explicit_curve_parameters`](super::DocumentBuilder::csca_explicit_curve_parameters).
    EcdsaBrainpoolP512r1,
}

impl SignerKind {
    /// Every kind, for tests that loop over them.
    pub const ALL: [Self; 8] = [
        Self::RsaPkcs1v15,
        Self::RsaPss,
        Self::EcdsaP256,
        Self::EcdsaP384,
        Self::EcdsaP521,
        Self::EcdsaBrainpoolP256r1,
        Self::EcdsaBrainpoolP384r1,
        Self::EcdsaBrainpoolP512r1,
    ];
}

/// Which cached key a certificate belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Csca,
    DocumentSigner,
}

/// A private key from the per-process cache.
#[derive(Clone, Copy)]
pub(crate) enum SignerKey {
    Rsa(&'static rsa::PrivateKey),
    Ec(&'static p256::ecdsa::SigningKey),
    /// ECDSA on the other curves (P-384, P-521, brainpool).
    EcOther(&'static other_ec::EcSecret),
}

static RSA_KEYS: [OnceLock<rsa::PrivateKey>; 2] = [OnceLock::new(), OnceLock::new()];
static EC_KEYS: [OnceLock<p256::ecdsa::SigningKey>; 2] = [OnceLock::new(), OnceLock::new()];

/// RSA modulus size of the throw-away keys.
const RSA_BITS: usize = 2048;

fn cached_key(kind: SignerKind, role: Role) -> Result<SignerKey, BuildError> {
    let slot = match role {
        Role::Csca => 0,
        Role::DocumentSigner => 1,
    };
    match kind {
        SignerKind::RsaPkcs1v15 | SignerKind::RsaPss => {
            let cell = RSA_KEYS.get(slot).ok_or(BuildError::KeyGeneration("no key slot"))?;
            if cell.get().is_none() {
                let key = rsa::PrivateKey::new(&mut getrandom::SysRng, RSA_BITS)
                    .map_err(|_| BuildError::KeyGeneration("RSA key generation failed"))?;
                // Another thread may have won the race: either key is fine.
                let _ = cell.set(key);
            }
            cell.get().map(SignerKey::Rsa).ok_or(BuildError::KeyGeneration("RSA key cache"))
        }
        SignerKind::EcdsaP384
        | SignerKind::EcdsaP521
        | SignerKind::EcdsaBrainpoolP256r1
        | SignerKind::EcdsaBrainpoolP384r1
        | SignerKind::EcdsaBrainpoolP512r1 => other_ec::cached(kind, slot).map(SignerKey::EcOther),
        SignerKind::EcdsaP256 => {
            let cell = EC_KEYS.get(slot).ok_or(BuildError::KeyGeneration("no key slot"))?;
            if cell.get().is_none() {
                let _ = cell.set(new_p256_key()?);
            }
            cell.get().map(SignerKey::Ec).ok_or(BuildError::KeyGeneration("EC key cache"))
        }
    }
}

/// A fresh P-256 key from the operating system's random source (for DG14/DG15).
pub(crate) fn new_p256_key() -> Result<p256::ecdsa::SigningKey, BuildError> {
    use p256::elliptic_curve::Generate;
    p256::ecdsa::SigningKey::try_generate().map_err(|_| BuildError::KeyGeneration("no operating-system random source"))
}

/// `SubjectPublicKeyInfo` of a P-256 key (RFC 5480 §2: id-ecPublicKey, namedCurve prime256v1, uncompressed point).
pub(crate) fn p256_spki(key: &p256::ecdsa::VerifyingKey) -> Vec<u8> {
    let point = key.to_sec1_point(false);
    der::seq(&[&der::seq(&[&der::oid(oids::EC_PUBLIC_KEY), &der::oid(oids::PRIME256V1)]), &der::bits(point.as_bytes())])
}

/// NIST P-256 domain parameters (FIPS 186-4 §D.1.2.3 / SEC 2 §2.4.2), big-endian,
/// to check [`P256_DOMAIN`] and the base point against the curve crate.
#[cfg(test)]
mod p256_domain {
    pub const P: [u8; 32] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ];
    pub const A: [u8; 32] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFC,
    ];
    pub const G: [u8; 65] = [
        0x04, 0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40, 0xF2, 0x77,
        0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2, 0x96, 0x4F, 0xE3, 0x42,
        0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16, 0x2B, 0xCE, 0x33, 0x57, 0x6B,
        0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51, 0xF5,
    ];
    pub const N: [u8; 32] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6,
        0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ];
}

/// `SubjectPublicKeyInfo` of a P-256 key with *explicit* domain parameters
/// (RFC 3279 §2.3.5 `SpecifiedECDomain`, see [`explicit_parameters`]), as some
/// states' signers use (HOSTILE 27); `tweak_b` and `compressed` as there.
pub(crate) fn p256_spki_explicit(key: &p256::ecdsa::VerifyingKey, tweak_b: bool, compressed: bool) -> Vec<u8> {
    let parameters = explicit_parameters(&P256_DOMAIN, tweak_b, compressed);
    let point = key.to_sec1_point(false);
    der::seq(&[&der::seq(&[&der::oid(oids::EC_PUBLIC_KEY), &parameters]), &der::bits(point.as_bytes())])
}

/// `SubjectPublicKeyInfo` of an RSA key (RFC 8017 Appendix A.1.1: rsaEncryption, `RSAPublicKey`).
fn rsa_spki(key: &rsa::PrivateKey) -> Vec<u8> {
    use rsa::traits::PublicKeyParts;
    let public = key.to_public_key();
    let rsa_public_key = der::seq(&[&der::uint(&public.n().to_be_bytes()), &der::uint(&public.e().to_be_bytes())]);
    der::seq(&[&der::seq(&[&der::oid(oids::RSA_ENCRYPTION), &der::null()]), &der::bits(&rsa_public_key)])
}

impl SignerKey {
    fn spki(self) -> Vec<u8> {
        match self {
            Self::Rsa(k) => rsa_spki(k),
            Self::Ec(k) => p256_spki(k.verifying_key()),
            Self::EcOther(k) => k.spki(false, false),
        }
    }

    /// Signs `message` with `kind` over `hash`; returns the signature
    /// `AlgorithmIdentifier` and the signature bytes.
    pub(crate) fn sign(
        self,
        kind: SignerKind,
        hash: HashAlgorithm,
        message: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), BuildError> {
        let digest = hash.digest(message);
        match (self, kind) {
            (Self::Rsa(key), SignerKind::RsaPkcs1v15) => {
                // EMSA-PKCS1-v1_5 over our own DigestInfo (RFC 8017 §9.2), so no
                // `AssociatedOid` impls are needed for the five hashes.
                let digest_info = der::seq(&[&hash.algorithm_identifier_null(), &der::octets(&digest)]);
                let signature = key
                    .sign(rsa::Pkcs1v15Sign::new_unprefixed(), &digest_info)
                    .map_err(|_| BuildError::Signing("RSA PKCS#1 v1.5"))?;
                let oid = match hash {
                    HashAlgorithm::Sha1 => oids::SHA1_WITH_RSA,
                    HashAlgorithm::Sha224 => oids::SHA224_WITH_RSA,
                    HashAlgorithm::Sha256 => oids::SHA256_WITH_RSA,
                    HashAlgorithm::Sha384 => oids::SHA384_WITH_RSA,
                    HashAlgorithm::Sha512 => oids::SHA512_WITH_RSA,
                };
                Ok((der::seq(&[&der::oid(oid), &der::null()]), signature))
            }
            (Self::Rsa(key), SignerKind::RsaPss) => {
                use rsa::pss::Pss;
                let mut rng = getrandom::SysRng;
                let signature = match hash {
                    HashAlgorithm::Sha1 => key.sign_with_rng(&mut rng, Pss::<sha1::Sha1>::new(), &digest),
                    HashAlgorithm::Sha224 => key.sign_with_rng(&mut rng, Pss::<sha2::Sha224>::new(), &digest),
                    HashAlgorithm::Sha256 => key.sign_with_rng(&mut rng, Pss::<sha2::Sha256>::new(), &digest),
                    HashAlgorithm::Sha384 => key.sign_with_rng(&mut rng, Pss::<sha2::Sha384>::new(), &digest),
                    HashAlgorithm::Sha512 => key.sign_with_rng(&mut rng, Pss::<sha2::Sha512>::new(), &digest),
                }
                .map_err(|_| BuildError::Signing("RSA-PSS"))?;
                // RSASSA-PSS-params (RFC 4055 §3.1): hashAlgorithm [0], maskGenAlgorithm [1], saltLength [2].
                let hash_id = hash.algorithm_identifier_null();
                let params = der::seq(&[
                    &der::ctx(0, &hash_id),
                    &der::ctx(1, &der::seq(&[&der::oid(oids::MGF1), &hash_id])),
                    &der::ctx(2, &der::int(hash.output_len() as u64)),
                ]);
                Ok((der::seq(&[&der::oid(oids::RSASSA_PSS), &params]), signature))
            }
            (Self::Ec(key), SignerKind::EcdsaP256) => {
                // FIPS 186-4 §6.4: a longer digest is truncated to the curve order's bit length.
                let signature: p256::ecdsa::Signature =
                    key.sign_prehash(&digest).map_err(|_| BuildError::Signing("ECDSA"))?;
                let oid = match hash {
                    HashAlgorithm::Sha1 => oids::ECDSA_SHA1,
                    HashAlgorithm::Sha224 => oids::ECDSA_SHA224,
                    HashAlgorithm::Sha256 => oids::ECDSA_SHA256,
                    HashAlgorithm::Sha384 => oids::ECDSA_SHA384,
                    HashAlgorithm::Sha512 => oids::ECDSA_SHA512,
                };
                Ok((der::seq(&[&der::oid(oid)]), signature.to_der().as_bytes().to_vec()))
            }
            (Self::EcOther(key), kind) if key.kind == kind => {
                let (r, s) = key.sign(&digest)?;
                let signature = der::seq(&[&der::uint(&r), &der::uint(&s)]);
                Ok((der::seq(&[&der::oid(ecdsa_oid(hash))]), signature))
            }
            _ => Err(BuildError::Signing("key does not match the signer kind")),
        }
    }

    /// ECDSA in the plain format `r ‖ s` (BSI TR-03111 §5.2.1), with the
    /// `ecdsa-plain-SHAn` AlgorithmIdentifier.
    pub(crate) fn sign_plain(
        self,
        kind: SignerKind,
        hash: HashAlgorithm,
        message: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), BuildError> {
        let digest = hash.digest(message);
        let signature = match (self, kind) {
            (Self::Ec(key), SignerKind::EcdsaP256) => {
                let signature: p256::ecdsa::Signature =
                    key.sign_prehash(&digest).map_err(|_| BuildError::Signing("ECDSA"))?;
                signature.to_bytes().to_vec()
            }
            (Self::EcOther(key), kind) if key.kind == kind => {
                let (r, s) = key.sign(&digest)?;
                [r, s].concat()
            }
            _ => return Err(BuildError::Signing("plain signatures are ECDSA only")),
        };
        let arc = match hash {
            HashAlgorithm::Sha1 => 1,
            HashAlgorithm::Sha224 => 2,
            HashAlgorithm::Sha256 => 3,
            HashAlgorithm::Sha384 => 4,
            HashAlgorithm::Sha512 => 5,
        };
        Ok((der::seq(&[&der::oid(&[0, 4, 0, 127, 0, 7, 1, 1, 4, 1, arc])]), signature))
    }
}

fn ecdsa_oid(hash: HashAlgorithm) -> &'static [u64] {
    match hash {
        HashAlgorithm::Sha1 => oids::ECDSA_SHA1,
        HashAlgorithm::Sha224 => oids::ECDSA_SHA224,
        HashAlgorithm::Sha256 => oids::ECDSA_SHA256,
        HashAlgorithm::Sha384 => oids::ECDSA_SHA384,
        HashAlgorithm::Sha512 => oids::ECDSA_SHA512,
    }
}

/// ECDSA keys on P-384, P-521 and the brainpool curves: generic over the
/// RustCrypto curve types (`p384`, `p521`, `bp256`, `bp384`, and the crate's
/// brainpoolP512r1 on `primeorder`), signing with RFC 6979 nonces
/// (`ecdsa::hazmat::sign_prehashed_rfc6979`). One key per (curve, role) per
/// process, like the others.
pub(crate) mod other_ec {
    use super::{BuildError, SignerKind, der, oids};
    use crate::protocol::crypto::ec::bp512::BrainpoolP512r1;
    use elliptic_curve::sec1::{ModulusSize, ToSec1Point};
    use elliptic_curve::{CurveArithmetic, FieldBytes, Group, NonZeroScalar};
    use std::sync::OnceLock;
    use zeroize::Zeroizing;

    /// A secret scalar (big-endian, order length) and its public point.
    pub(crate) struct EcSecret {
        pub kind: SignerKind,
        scalar: Zeroizing<Vec<u8>>,
        /// `04 ‖ x ‖ y`.
        pub point: Vec<u8>,
    }

    type Slots = [OnceLock<EcSecret>; 2];
    static KEYS: [Slots; 5] = [const { [const { OnceLock::new() }; 2] }; 5];

    macro_rules! on_curve {
        ($kind:expr, $f:ident ( $($arg:expr),* )) => {
            match $kind {
                SignerKind::EcdsaP384 => $f::<p384::NistP384>($($arg),*),
                SignerKind::EcdsaP521 => $f::<p521::NistP521>($($arg),*),
                SignerKind::EcdsaBrainpoolP256r1 => $f::<bp256::r1::BrainpoolP256r1>($($arg),*),
                SignerKind::EcdsaBrainpoolP384r1 => $f::<bp384::r1::BrainpoolP384r1>($($arg),*),
                SignerKind::EcdsaBrainpoolP512r1 => $f::<BrainpoolP512r1>($($arg),*),
                _ => Err(BuildError::Signing("not an other-curve ECDSA kind")),
            }
        };
    }

    fn index(kind: SignerKind) -> Option<usize> {
        Some(match kind {
            SignerKind::EcdsaP384 => 0,
            SignerKind::EcdsaP521 => 1,
            SignerKind::EcdsaBrainpoolP256r1 => 2,
            SignerKind::EcdsaBrainpoolP384r1 => 3,
            SignerKind::EcdsaBrainpoolP512r1 => 4,
            _ => return None,
        })
    }

    pub(crate) fn cached(kind: SignerKind, slot: usize) -> Result<&'static EcSecret, BuildError> {
        let cell = index(kind)
            .and_then(|i| KEYS.get(i))
            .and_then(|slots| slots.get(slot))
            .ok_or(BuildError::KeyGeneration("no key slot"))?;
        if cell.get().is_none() {
            let (scalar, point) = on_curve!(kind, generate())?;
            let _ = cell.set(EcSecret { kind, scalar, point });
        }
        cell.get().ok_or(BuildError::KeyGeneration("EC key cache"))
    }

    fn generate<C>() -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), BuildError>
    where
        C: CurveArithmetic<FieldBytesSize: ModulusSize, AffinePoint: ToSec1Point<C>>,
    {
        for _ in 0..64 {
            let mut repr = FieldBytes::<C>::default();
            crate::protocol::crypto::random_bytes(&mut repr)
                .map_err(|_| BuildError::KeyGeneration("no operating-system random source"))?;
            // P-521: the order has 521 bits; clear the excess top bits of the 66-byte string.
            if repr.len() == 66
                && let Some(first) = repr.first_mut()
            {
                *first &= 0x01;
            }
            let Some(d) = NonZeroScalar::<C>::from_repr(repr).into_option() else {
                continue;
            };
            let point = (C::ProjectivePoint::generator() * *d).into();
            let point: C::AffinePoint = point;
            let encoded = point.to_sec1_point(false).as_bytes().to_vec();
            return Ok((Zeroizing::new(repr.to_vec()), encoded));
        }
        Err(BuildError::KeyGeneration("no scalar in range"))
    }

    fn sign_on<C>(scalar: &[u8], digest: &[u8]) -> Result<(Vec<u8>, Vec<u8>), BuildError>
    where
        C: ecdsa::EcdsaCurve + CurveArithmetic,
    {
        let mut repr = FieldBytes::<C>::default();
        let offset = repr.len().checked_sub(scalar.len()).ok_or(BuildError::Signing("scalar"))?;
        repr.get_mut(offset..).ok_or(BuildError::Signing("scalar"))?.copy_from_slice(scalar);
        let d = NonZeroScalar::<C>::from_repr(repr).into_option().ok_or(BuildError::Signing("scalar"))?;
        let (signature, _) = ecdsa::hazmat::sign_prehashed_rfc6979::<C, sha2::Sha512>(&d, digest, &[]);
        let (r, s) = signature.split_bytes();
        Ok((r.to_vec(), s.to_vec()))
    }

    impl EcSecret {
        /// ECDSA over a digest (FIPS 186-4 §6.4: a longer digest is truncated); (r, s) big-endian,
        /// order length each.
        pub(crate) fn sign(&self, digest: &[u8]) -> Result<(Vec<u8>, Vec<u8>), BuildError> {
            on_curve!(self.kind, sign_on(&self.scalar, digest))
        }

        /// `SubjectPublicKeyInfo` with the named curve (RFC 5480 §2.1.1.1), or for
        /// brainpoolP256r1 and brainpoolP512r1 with `explicit` domain parameters
        /// (RFC 3279 §2.3.5), as Vietnam's CSCA has them, the base point
        /// `compressed` if asked.
        pub(crate) fn spki(&self, explicit: bool, compressed: bool) -> Vec<u8> {
            let parameters = match self.kind {
                SignerKind::EcdsaBrainpoolP256r1 if explicit => {
                    super::explicit_parameters(&super::BP256_DOMAIN, false, compressed)
                }
                SignerKind::EcdsaBrainpoolP512r1 if explicit => {
                    super::explicit_parameters(&super::BP512_DOMAIN, false, compressed)
                }
                SignerKind::EcdsaP384 => der::oid(&[1, 3, 132, 0, 34]),
                SignerKind::EcdsaP521 => der::oid(&[1, 3, 132, 0, 35]),
                SignerKind::EcdsaBrainpoolP256r1 => der::oid(&[1, 3, 36, 3, 3, 2, 8, 1, 1, 7]),
                SignerKind::EcdsaBrainpoolP384r1 => der::oid(&[1, 3, 36, 3, 3, 2, 8, 1, 1, 11]),
                _ => der::oid(&[1, 3, 36, 3, 3, 2, 8, 1, 1, 13]),
            };
            der::seq(&[&der::seq(&[&der::oid(oids::EC_PUBLIC_KEY), &parameters]), &der::bits(&self.point)])
        }
    }
}

/// The base point `04 || x || y` as given, or `compressed` (X9.62 §4.3.6:
/// `02` or `03` by the parity of y, then x).
fn base_point(uncompressed: &[u8], compressed: bool) -> Vec<u8> {
    if !compressed {
        return uncompressed.to_vec();
    }
    let xy = uncompressed.get(1..).unwrap_or_default();
    let (x, y) = xy.split_at(xy.len() / 2);
    [&[0x02 | (y.last().copied().unwrap_or_default() & 1)][..], x].concat()
}

/// Explicit prime-field domain parameters (big-endian hex, RFC 5639 / SEC 2).
pub(crate) struct ExplicitDomain {
    p: &'static str,
    a: &'static str,
    b: &'static str,
    gx: &'static str,
    gy: &'static str,
    n: &'static str,
}

/// brainpoolP512r1 (RFC 5639 §3.7), written out here — not taken from the
/// curve code — so the verifier's matching is checked against the RFC.
pub(crate) const BP512_DOMAIN: ExplicitDomain = ExplicitDomain {
    p: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3",
    a: "7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
    b: "3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723",
    gx: "81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822",
    gy: "7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892",
    n: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069",
};

/// brainpoolP256r1 (RFC 5639 §3.4).
pub(crate) const BP256_DOMAIN: ExplicitDomain = ExplicitDomain {
    p: "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
    a: "7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
    b: "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
    gx: "8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262",
    gy: "547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
    n: "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7",
};

/// `SpecifiedECDomain` (RFC 3279 §2.3.5) of `d`; `tweak_b` flips the last bit
/// of b, giving parameters that match no named curve (HOSTILE 27); the base
/// point `compressed` if asked.
pub(crate) fn explicit_parameters(d: &ExplicitDomain, tweak_b: bool, compressed: bool) -> Vec<u8> {
    const PRIME_FIELD: &[u64] = &[1, 2, 840, 10045, 1, 1];
    let h = |s: &str| hex::decode(s).unwrap_or_default();
    let mut b = h(d.b);
    if tweak_b && let Some(last) = b.last_mut() {
        *last ^= 1;
    }
    let g = base_point(&[vec![0x04], h(d.gx), h(d.gy)].concat(), compressed);
    der::seq(&[
        &der::int(1),
        &der::seq(&[&der::oid(PRIME_FIELD), &der::uint(&h(d.p))]),
        &der::seq(&[&der::octets(&h(d.a)), &der::octets(&b)]),
        &der::octets(&g),
        &der::uint(&h(d.n)),
        &der::int(1),
    ])
}

/// What the PKI for one document looks like.
#[derive(Debug, Clone)]
pub(crate) struct PkiOptions {
    /// ISO 3166-1 alpha-2 country of the CSCA and DS (`VN`, `UT` for Utopia).
    pub country: String,
    /// Organisation name in both subjects.
    pub organization: String,
    /// Kind of the CSCA key.
    pub csca_kind: SignerKind,
    /// Kind of the DS key (and of the SOD signature).
    pub ds_kind: SignerKind,
    /// CSCA validity.
    pub csca_validity: (Date, Date),
    /// DS validity.
    pub ds_validity: (Date, Date),
    /// Whether the DS certificate carries its extensions (keyUsage, AKI, SKI).
    pub ds_extensions: bool,
    /// Whether an ECDSA DS key is given with explicit curve parameters (P-256,
    /// brainpoolP256r1 and brainpoolP512r1; the other curves stay named).
    pub ds_explicit_parameters: bool,
    /// Further variations (HOSTILE 25–27, master lists, CRLs).
    pub extra: PkiExtra,
}

/// Variations of the PKI beyond [`PkiOptions`]' original ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct PkiExtra {
    /// The CSCA's EC key with explicit domain parameters (brainpoolP512r1 as
    /// Vietnam's CSCA, or P-256).
    pub csca_explicit_parameters: bool,
    /// The DS's P-256 key with explicit parameters whose b matches no curve (HOSTILE 27).
    pub ds_unknown_curve: bool,
    /// The CSCA's common name (default "mrtdd demo CSCA (synthetic)"), e.g. to
    /// make the DS issuer differ from a trusted CSCA (HOSTILE 26).
    pub csca_common_name: Option<String>,
    /// The CRL revokes the DS certificate (HOSTILE 25).
    pub revoke_ds: bool,
    /// The master list's digest and signature hash (default SHA-256).
    pub master_list_hash: Option<HashAlgorithm>,
    /// The CRL's nextUpdate (default 2045-01-01); an earlier date makes it stale.
    pub crl_next_update: Option<Date>,
    /// The CSCA's basicConstraints without cA (the issuer is then no CA).
    pub csca_not_ca: bool,
    /// The CSCA's keyUsage with cRLSign only, without keyCertSign.
    pub csca_without_cert_sign: bool,
    /// Explicit curve parameters (CSCA's or DS's) give the base point compressed.
    pub compressed_base_point: bool,
}

/// A CSCA and a document signer, ready to sign an SOD.
pub(crate) struct Pki {
    /// The CSCA certificate (DER).
    pub csca_cert: Vec<u8>,
    /// The DS certificate (DER).
    pub ds_cert: Vec<u8>,
    /// The DS key.
    pub ds_key: SignerKey,
    /// The DS kind.
    pub ds_kind: SignerKind,
    /// The DS certificate's issuer `Name` (DER), for IssuerAndSerialNumber.
    pub ds_issuer: Vec<u8>,
    /// The DS certificate's serial number as an encoded `INTEGER`.
    pub ds_serial: Vec<u8>,
    /// A CRL signed by the CSCA (RFC 5280 §5), revoking the DS if asked.
    pub crl: Vec<u8>,
    /// A CSCA master list holding the CSCA certificate (ICAO 9303-12 §8.2.2),
    /// signed by a master list signer the CSCA issued.
    pub master_list: Vec<u8>,
}

fn name(country: &str, organization: &str, common_name: &str) -> Vec<u8> {
    let rdn = |oid: &[u64], value: Vec<u8>| der::set(&[&der::seq(&[&der::oid(oid), &value])]);
    der::seq(&[
        &rdn(oids::COUNTRY_NAME, der::printable(country)),
        &rdn(oids::ORGANIZATION_NAME, der::utf8(organization)),
        &rdn(oids::COMMON_NAME, der::utf8(common_name)),
    ])
}

fn serial_number() -> Result<Vec<u8>, BuildError> {
    let mut serial = [0u8; 8];
    random_bytes(&mut serial).map_err(|_| BuildError::KeyGeneration("no operating-system random source"))?;
    serial[0] = (serial[0] & 0x7F) | 0x01;
    Ok(der::uint(&serial))
}

/// RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value.
fn key_identifier(spki: &[u8]) -> Vec<u8> {
    use crate::protocol::tlv::{Reader, read_tlv};
    let public_key = (|| {
        let outer = crate::protocol::tlv::single_tlv(spki, 0x30, "SPKI").ok()?;
        let mut r = Reader::new(outer);
        read_tlv(&mut r, "algorithm").ok()?;
        let bits = read_tlv(&mut r, "subjectPublicKey").ok()?;
        bits.value.get(1..)
    })()
    .unwrap_or(spki);
    sha1::Sha1::digest(public_key).to_vec()
}

fn extension(oid: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        der::seq(&[&der::oid(oid), &der::bool_true(), &der::octets(value)])
    } else {
        der::seq(&[&der::oid(oid), &der::octets(value)])
    }
}

struct CertificateRequest<'a> {
    serial: &'a [u8],
    issuer: &'a [u8],
    subject: &'a [u8],
    validity: (Date, Date),
    spki: &'a [u8],
    extensions: Vec<Vec<u8>>,
}

fn certificate(
    req: &CertificateRequest<'_>,
    issuer_key: SignerKey,
    issuer_kind: SignerKind,
) -> Result<Vec<u8>, BuildError> {
    // The signature AlgorithmIdentifier appears inside the TBS and again outside it.
    let algorithm = certificate_signature_algorithm(issuer_kind);
    let mut tbs_parts: Vec<Vec<u8>> = vec![
        der::ctx(0, &der::int(2)),
        req.serial.to_vec(),
        algorithm.clone(),
        req.issuer.to_vec(),
        der::seq(&[&der::utc_time(req.validity.0), &der::utc_time(req.validity.1)]),
        req.subject.to_vec(),
        req.spki.to_vec(),
    ];
    if !req.extensions.is_empty() {
        let exts: Vec<&[u8]> = req.extensions.iter().map(Vec::as_slice).collect();
        tbs_parts.push(der::ctx(3, &der::seq(&exts)));
    }
    let parts: Vec<&[u8]> = tbs_parts.iter().map(Vec::as_slice).collect();
    let tbs = der::seq(&parts);
    let (signed_algorithm, signature) = issuer_key.sign(issuer_kind, HashAlgorithm::Sha256, &tbs)?;
    if signed_algorithm != algorithm {
        return Err(BuildError::Signing("signature algorithm changed while signing"));
    }
    Ok(der::seq(&[&tbs, &algorithm, &der::bits(&signature)]))
}

/// The signature `AlgorithmIdentifier` certificates use (always over SHA-256).
fn certificate_signature_algorithm(kind: SignerKind) -> Vec<u8> {
    let hash = HashAlgorithm::Sha256;
    match kind {
        SignerKind::RsaPkcs1v15 => der::seq(&[&der::oid(oids::SHA256_WITH_RSA), &der::null()]),
        SignerKind::RsaPss => {
            let hash_id = hash.algorithm_identifier_null();
            der::seq(&[
                &der::oid(oids::RSASSA_PSS),
                &der::seq(&[
                    &der::ctx(0, &hash_id),
                    &der::ctx(1, &der::seq(&[&der::oid(oids::MGF1), &hash_id])),
                    &der::ctx(2, &der::int(hash.output_len() as u64)),
                ]),
            ])
        }
        SignerKind::EcdsaP256
        | SignerKind::EcdsaP384
        | SignerKind::EcdsaP521
        | SignerKind::EcdsaBrainpoolP256r1
        | SignerKind::EcdsaBrainpoolP384r1
        | SignerKind::EcdsaBrainpoolP512r1 => der::seq(&[&der::oid(oids::ECDSA_SHA256)]),
    }
}

/// Issues a CSCA and a DS certificate for one document.
pub(crate) fn issue(options: &PkiOptions) -> Result<Pki, BuildError> {
    let csca_key = cached_key(options.csca_kind, Role::Csca)?;
    let ds_key = cached_key(options.ds_kind, Role::DocumentSigner)?;

    let compressed = options.extra.compressed_base_point;
    let csca_cn = options.extra.csca_common_name.as_deref().unwrap_or("mrtdd demo CSCA (synthetic)");
    let csca_name = name(&options.country, &options.organization, csca_cn);
    let csca_spki = match csca_key {
        SignerKey::EcOther(k) if options.extra.csca_explicit_parameters => k.spki(true, compressed),
        SignerKey::Ec(k) if options.extra.csca_explicit_parameters => {
            p256_spki_explicit(k.verifying_key(), false, compressed)
        }
        _ => csca_key.spki(),
    };
    let csca_ski = key_identifier(&csca_spki);
    let csca_serial = serial_number()?;
    let csca_cert = certificate(
        &CertificateRequest {
            serial: &csca_serial,
            issuer: &csca_name,
            subject: &csca_name,
            validity: options.csca_validity,
            spki: &csca_spki,
            extensions: vec![
                extension(oids::SUBJECT_KEY_IDENTIFIER, false, &der::octets(&csca_ski)),
                extension(oids::AUTHORITY_KEY_IDENTIFIER, false, &der::seq(&[&der::ctx_primitive(0, &csca_ski)])),
                // keyCertSign and cRLSign (0x06), or cRLSign only.
                extension(
                    oids::KEY_USAGE,
                    true,
                    &der::named_bits(if options.extra.csca_without_cert_sign { 0x02 } else { 0x06 }),
                ),
                extension(
                    oids::BASIC_CONSTRAINTS,
                    true,
                    &if options.extra.csca_not_ca {
                        der::seq(&[])
                    } else {
                        der::seq(&[&der::bool_true(), &der::int(0)])
                    },
                ),
            ],
        },
        csca_key,
        options.csca_kind,
    )?;

    let ds_name = name(&options.country, &options.organization, "mrtdd demo Document Signer (synthetic)");
    let ds_spki = match ds_key {
        SignerKey::Ec(k) if options.extra.ds_unknown_curve => p256_spki_explicit(k.verifying_key(), true, compressed),
        SignerKey::Ec(k) if options.ds_explicit_parameters => p256_spki_explicit(k.verifying_key(), false, compressed),
        SignerKey::EcOther(k) if options.ds_explicit_parameters => k.spki(true, compressed),
        _ => ds_key.spki(),
    };
    let ds_serial = serial_number()?;
    let extensions = if options.ds_extensions {
        vec![
            extension(oids::AUTHORITY_KEY_IDENTIFIER, false, &der::seq(&[&der::ctx_primitive(0, &csca_ski)])),
            extension(oids::SUBJECT_KEY_IDENTIFIER, false, &der::octets(&key_identifier(&ds_spki))),
            extension(oids::KEY_USAGE, true, &der::named_bits(0x80)),
        ]
    } else {
        Vec::new()
    };
    let ds_cert = certificate(
        &CertificateRequest {
            serial: &ds_serial,
            issuer: &csca_name,
            subject: &ds_name,
            validity: options.ds_validity,
            spki: &ds_spki,
            extensions,
        },
        csca_key,
        options.csca_kind,
    )?;
    let crl = crl(
        &csca_name,
        &csca_ski,
        options.extra.revoke_ds.then_some(ds_serial.as_slice()),
        options.extra.crl_next_update.unwrap_or(Date::new(2045, 1, 1)),
        csca_key,
        options.csca_kind,
    )?;
    let master_list = master_list(&csca_cert, &csca_name, &csca_ski, csca_key, options, ds_key, &ds_spki)?;
    Ok(Pki { csca_cert, ds_cert, ds_key, ds_kind: options.ds_kind, ds_issuer: csca_name, ds_serial, crl, master_list })
}

/// NIST P-256 as [`ExplicitDomain`] (SEC 2 §2.4.2), for the no-curve variant.
const P256_DOMAIN: ExplicitDomain = ExplicitDomain {
    p: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
    a: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC",
    b: "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B",
    gx: "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296",
    gy: "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
    n: "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
};

/// A CRL of the CSCA (RFC 5280 §5.1), listing `revoked` (an encoded INTEGER) if given,
/// issued 2024-01-01 with `next_update`:
///
/// ```text
/// CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
/// TBSCertList ::= SEQUENCE { version v2, signature, issuer Name, thisUpdate, nextUpdate,
///     revokedCertificates SEQUENCE OF SEQUENCE { userCertificate, revocationDate } OPTIONAL,
///     crlExtensions [0] { authorityKeyIdentifier, cRLNumber } }
/// ```
fn crl(
    issuer: &[u8],
    issuer_ski: &[u8],
    revoked: Option<&[u8]>,
    next_update: Date,
    key: SignerKey,
    kind: SignerKind,
) -> Result<Vec<u8>, BuildError> {
    let algorithm = certificate_signature_algorithm(kind);
    let mut parts = vec![
        der::int(1),
        algorithm.clone(),
        issuer.to_vec(),
        der::utc_time(Date::new(2024, 1, 1)),
        der::utc_time(next_update),
    ];
    if let Some(serial) = revoked {
        parts.push(der::seq(&[&der::seq(&[serial, &der::utc_time(Date::new(2023, 1, 1))])]));
    }
    let extensions = der::seq(&[
        &extension(oids::AUTHORITY_KEY_IDENTIFIER, false, &der::seq(&[&der::ctx_primitive(0, issuer_ski)])),
        &extension(&[2, 5, 29, 20], false, &der::int(1)),
    ]);
    parts.push(der::ctx(0, &extensions));
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    let tbs = der::seq(&refs);
    let (signed_algorithm, signature) = key.sign(kind, HashAlgorithm::Sha256, &tbs)?;
    if signed_algorithm != algorithm {
        return Err(BuildError::Signing("signature algorithm changed while signing"));
    }
    Ok(der::seq(&[&tbs, &algorithm, &der::bits(&signature)]))
}

/// A CSCA master list (ICAO 9303-12 §8.2.2) holding the CSCA certificate,
/// signed by a master list signer whose certificate the CSCA issued (the
/// signer reuses the DS key, `signer_spki` as the DS certificate gives it,
/// explicit curve parameters included: a throw-away PKI):
///
/// ```text
/// ContentInfo { id-signedData, [0] SignedData { version 3, { sha256 (or the hash asked for) },
///     { id-icao-cscaMasterList, [0] OCTET STRING CscaMasterList { version 0, certList { CSCA } } },
///     certificates [0] { master list signer }, signerInfos { SignerInfo } } }
/// ```
fn master_list(
    csca_cert: &[u8],
    csca_name: &[u8],
    csca_ski: &[u8],
    csca_key: SignerKey,
    options: &PkiOptions,
    signer_key: SignerKey,
    signer_spki: &[u8],
) -> Result<Vec<u8>, BuildError> {
    const CSCA_MASTER_LIST: &[u64] = &[2, 23, 136, 1, 1, 2];
    let signer_serial = serial_number()?;
    let signer_cert = certificate(
        &CertificateRequest {
            serial: &signer_serial,
            issuer: csca_name,
            subject: &name(&options.country, &options.organization, "mrtdd demo Master List Signer (synthetic)"),
            validity: options.csca_validity,
            spki: signer_spki,
            extensions: vec![
                extension(oids::AUTHORITY_KEY_IDENTIFIER, false, &der::seq(&[&der::ctx_primitive(0, csca_ski)])),
                extension(oids::KEY_USAGE, true, &der::named_bits(0x80)),
            ],
        },
        csca_key,
        options.csca_kind,
    )?;
    let e_content = der::seq(&[&der::int(0), &der::set_of(&[csca_cert])]);
    let hash = options.extra.master_list_hash.unwrap_or(HashAlgorithm::Sha256);
    let attribute = |oid: &[u64], value: Vec<u8>| der::seq(&[&der::oid(oid), &der::set(&[&value])]);
    let attributes = [
        attribute(oids::CONTENT_TYPE, der::oid(CSCA_MASTER_LIST)),
        attribute(oids::MESSAGE_DIGEST, der::octets(&hash.digest(&e_content))),
    ];
    let signed_attrs = der::set_of(&[&attributes[0], &attributes[1]]);
    let (signature_algorithm, signature) = signer_key.sign(options.ds_kind, hash, &signed_attrs)?;
    let mut signed_attrs_implicit = signed_attrs;
    if let Some(tag) = signed_attrs_implicit.first_mut() {
        *tag = 0xA0;
    }
    let signer_info = der::seq(&[
        &der::int(1),
        &der::seq(&[csca_name, &signer_serial]),
        &hash.algorithm_identifier(),
        &signed_attrs_implicit,
        &signature_algorithm,
        &der::octets(&signature),
    ]);
    let signed_data = der::seq(&[
        &der::int(3),
        &der::set_of(&[&hash.algorithm_identifier()]),
        &der::seq(&[&der::oid(CSCA_MASTER_LIST), &der::ctx(0, &der::octets(&e_content))]),
        &der::ctx(0, &signer_cert),
        &der::set_of(&[&signer_info]),
    ]);
    Ok(der::seq(&[&der::oid(oids::SIGNED_DATA), &der::ctx(0, &signed_data)]))
}

/// How EF.SOD is to be made (including the deliberate defects of hostile documents).
#[derive(Debug, Clone)]
pub(crate) struct SodOptions {
    /// Hash of the data groups, of the signed attributes and of the signature.
    pub hash: HashAlgorithm,
    /// Data group numbers with their hash values, in this order.
    pub hashes: Vec<(u8, Vec<u8>)>,
    /// The signingTime attribute, if any.
    pub signing_time: Option<Date>,
    /// Put the DS certificate into `certificates` (ICAO: it SHOULD be there).
    pub include_certificate: bool,
    /// Flip one bit of the signature (HOSTILE 21).
    pub corrupt_signature: bool,
    /// Make messageDigest differ from hash(eContent) (HOSTILE 21), with a valid signature.
    pub wrong_message_digest: bool,
    /// Further variations.
    pub extra: SodExtra,
}

/// Variations of EF.SOD beyond [`SodOptions`]' original ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct SodExtra {
    /// ECDSA signature as plain `r ‖ s` under `ecdsa-plain-SHAn` (BSI TR-03111).
    pub plain_ecdsa: bool,
    /// Replaces the digest AlgorithmIdentifier OID everywhere (LDSSecurityObject,
    /// SignerInfo, SignedData), e.g. MD5 (HOSTILE 23); the values stay as computed.
    pub digest_oid: Option<Vec<u64>>,
    /// Replaces the SignerInfo's signatureAlgorithm OID (no parameters).
    pub signature_oid: Option<Vec<u64>>,
}

/// Builds EF.SOD: `77 L ContentInfo` (ICAO 9303-10 §4.6.2.2).
///
/// ```text
/// ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }
/// SignedData ::= SEQUENCE { version 3, digestAlgorithms SET OF AlgorithmIdentifier,
///     encapContentInfo SEQUENCE { eContentType id-icao-ldsSecurityObject, eContent [0] EXPLICIT OCTET STRING },
///     certificates [0] IMPLICIT SET OF Certificate, signerInfos SET OF SignerInfo }
/// SignerInfo ::= SEQUENCE { version 1, sid IssuerAndSerialNumber, digestAlgorithm,
///     signedAttrs [0] IMPLICIT SET OF Attribute, signatureAlgorithm, signature OCTET STRING }
/// LDSSecurityObject ::= SEQUENCE { version 0, hashAlgorithm AlgorithmIdentifier,
///     dataGroupHashValues SEQUENCE OF SEQUENCE { dataGroupNumber INTEGER, dataGroupHashValue OCTET STRING } }
/// ```
/// The signature covers the DER `SET OF` encoding of the signed attributes (RFC 5652 §5.4).
pub(crate) fn build_sod(pki: &Pki, options: &SodOptions) -> Result<Vec<u8>, BuildError> {
    let hash = options.hash;
    let digest_algorithm = match &options.extra.digest_oid {
        Some(oid) => der::seq(&[&der::oid(oid)]),
        None => hash.algorithm_identifier(),
    };
    let dg_hashes: Vec<Vec<u8>> =
        options.hashes.iter().map(|(n, h)| der::seq(&[&der::int(u64::from(*n)), &der::octets(h)])).collect();
    let dg_refs: Vec<&[u8]> = dg_hashes.iter().map(Vec::as_slice).collect();
    let lds_security_object = der::seq(&[&der::int(0), &digest_algorithm, &der::seq(&dg_refs)]);

    let mut message_digest = hash.digest(&lds_security_object);
    if options.wrong_message_digest
        && let Some(b) = message_digest.first_mut()
    {
        *b ^= 0x01;
    }
    let attribute = |oid: &[u64], value: Vec<u8>| der::seq(&[&der::oid(oid), &der::set(&[&value])]);
    let mut attributes = vec![
        attribute(oids::CONTENT_TYPE, der::oid(oids::LDS_SECURITY_OBJECT)),
        attribute(oids::MESSAGE_DIGEST, der::octets(&message_digest)),
    ];
    if let Some(date) = options.signing_time {
        attributes.push(attribute(oids::SIGNING_TIME, der::utc_time(date)));
    }
    let attr_refs: Vec<&[u8]> = attributes.iter().map(Vec::as_slice).collect();
    let signed_attrs_set = der::set_of(&attr_refs);
    let (mut signature_algorithm, mut signature) = if options.extra.plain_ecdsa {
        pki.ds_key.sign_plain(pki.ds_kind, hash, &signed_attrs_set)?
    } else {
        pki.ds_key.sign(pki.ds_kind, hash, &signed_attrs_set)?
    };
    if let Some(oid) = &options.extra.signature_oid {
        signature_algorithm = der::seq(&[&der::oid(oid)]);
    }
    if options.corrupt_signature
        && let Some(b) = signature.last_mut()
    {
        *b ^= 0x01;
    }
    // Stored as [0] IMPLICIT: the same contents under tag A0.
    let mut signed_attrs_implicit = signed_attrs_set;
    if let Some(tag) = signed_attrs_implicit.first_mut() {
        *tag = 0xA0;
    }

    let signer_info = der::seq(&[
        &der::int(1),
        &der::seq(&[&pki.ds_issuer, &pki.ds_serial]),
        &digest_algorithm,
        &signed_attrs_implicit,
        &signature_algorithm,
        &der::octets(&signature),
    ]);
    let encap = der::seq(&[&der::oid(oids::LDS_SECURITY_OBJECT), &der::ctx(0, &der::octets(&lds_security_object))]);
    let mut signed_data_parts = vec![der::int(3), der::set_of(&[&digest_algorithm]), encap];
    if options.include_certificate {
        signed_data_parts.push(der::ctx(0, &pki.ds_cert));
    }
    signed_data_parts.push(der::set_of(&[&signer_info]));
    let parts: Vec<&[u8]> = signed_data_parts.iter().map(Vec::as_slice).collect();
    let signed_data = der::seq(&parts);
    let content_info = der::seq(&[&der::oid(oids::SIGNED_DATA), &der::ctx(0, &signed_data)]);
    Ok(tlv(0x77, &content_info))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use x509_parser::prelude::*;

    pub(crate) fn verify_with_spki(spki_der: &[u8], algorithm_oid: &str, message: &[u8], signature: &[u8]) -> bool {
        use rsa::pkcs8::DecodePublicKey;
        use sha2::Digest as _;
        let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der).unwrap();
        let hash_of = |oid: &str| -> Option<HashAlgorithm> {
            Some(match oid {
                "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" => HashAlgorithm::Sha1,
                "1.2.840.113549.1.1.14" | "1.2.840.10045.4.3.1" => HashAlgorithm::Sha224,
                "1.2.840.113549.1.1.11" | "1.2.840.10045.4.3.2" => HashAlgorithm::Sha256,
                "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => HashAlgorithm::Sha384,
                "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => HashAlgorithm::Sha512,
                _ => return None,
            })
        };
        match spki.algorithm.algorithm.to_id_string().as_str() {
            "1.2.840.113549.1.1.1" => {
                let key = rsa::PublicKey::from_public_key_der(spki_der).unwrap();
                if algorithm_oid == "1.2.840.113549.1.1.10" {
                    // The tests sign PSS over SHA-256 (certificates) or the SOD hash; try SHA-256 then all.
                    return HashAlgorithm::ALL.iter().any(|h| {
                        let d = h.digest(message);
                        match h {
                            HashAlgorithm::Sha1 => key.verify(rsa::pss::Pss::<sha1::Sha1>::new(), &d, signature),
                            HashAlgorithm::Sha224 => key.verify(rsa::pss::Pss::<sha2::Sha224>::new(), &d, signature),
                            HashAlgorithm::Sha256 => key.verify(rsa::pss::Pss::<sha2::Sha256>::new(), &d, signature),
                            HashAlgorithm::Sha384 => key.verify(rsa::pss::Pss::<sha2::Sha384>::new(), &d, signature),
                            HashAlgorithm::Sha512 => key.verify(rsa::pss::Pss::<sha2::Sha512>::new(), &d, signature),
                        }
                        .is_ok()
                    });
                }
                let h = hash_of(algorithm_oid).unwrap();
                let scheme = match h {
                    HashAlgorithm::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                    HashAlgorithm::Sha224 => rsa::Pkcs1v15Sign::new::<sha2::Sha224>(),
                    HashAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    HashAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    HashAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                };
                key.verify(scheme, &h.digest(message), signature).is_ok()
            }
            "1.2.840.10045.2.1" => {
                use p256::ecdsa::signature::hazmat::PrehashVerifier;
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&spki.subject_public_key.data).unwrap();
                let sig = p256::ecdsa::Signature::from_der(signature).unwrap();
                let _ = sha2::Sha256::digest(b"");
                key.verify_prehash(&hash_of(algorithm_oid).unwrap().digest(message), &sig).is_ok()
            }
            other => panic!("unexpected key algorithm {other}"),
        }
    }

    fn options(kind: SignerKind) -> PkiOptions {
        PkiOptions {
            country: "VN".into(),
            organization: "mrtdd test".into(),
            csca_kind: kind,
            ds_kind: kind,
            csca_validity: (Date::new(2020, 1, 1), Date::new(2040, 1, 1)),
            ds_validity: (Date::new(2021, 1, 1), Date::new(2036, 1, 1)),
            ds_extensions: true,
            ds_explicit_parameters: false,
            extra: PkiExtra::default(),
        }
    }

    pub(crate) fn check_chain(csca_der: &[u8], ds_der: &[u8], country: &str) {
        let (rest, csca) = X509Certificate::from_der(csca_der).unwrap();
        assert!(rest.is_empty());
        let (rest, ds) = X509Certificate::from_der(ds_der).unwrap();
        assert!(rest.is_empty());
        assert_eq!(csca.version(), X509Version::V3);
        assert_eq!(csca.subject(), csca.issuer());
        assert_eq!(ds.issuer(), csca.subject());
        let c = csca.subject().iter_country().next().unwrap().as_str().unwrap().to_string();
        assert_eq!(c, country);
        let bc = csca.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && bc.value.ca);
        let ku = csca.key_usage().unwrap().unwrap();
        assert!(ku.critical && ku.value.key_cert_sign() && ku.value.crl_sign() && !ku.value.digital_signature());
        let ds_ku = ds.key_usage().unwrap().unwrap();
        assert!(ds_ku.value.digital_signature() && !ds_ku.value.key_cert_sign());
        // AKI of the DS = SKI of the CSCA.
        let ski = csca
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
                _ => None,
            })
            .unwrap();
        let aki = ds
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().map(|k| k.0.to_vec()),
                _ => None,
            })
            .unwrap();
        assert_eq!(ski, aki);
        assert_eq!(ski.len(), 20);
        // Both signatures verify with the CSCA key.
        let csca_spki = csca.tbs_certificate.subject_pki.raw;
        for cert in [&csca, &ds] {
            let alg = cert.signature_algorithm.algorithm.to_id_string();
            assert!(
                verify_with_spki(csca_spki, &alg, cert.tbs_certificate.as_ref(), &cert.signature_value.data),
                "certificate signature ({alg})"
            );
        }
        // And a flipped bit does not.
        let mut tampered = ds.tbs_certificate.as_ref().to_vec();
        tampered[10] ^= 1;
        let alg = ds.signature_algorithm.algorithm.to_id_string();
        assert!(!verify_with_spki(csca_spki, &alg, &tampered, &ds.signature_value.data));
    }

    #[test]
    fn certificates_parse_and_chain_for_every_kind() {
        for kind in [SignerKind::EcdsaP256, SignerKind::RsaPkcs1v15, SignerKind::RsaPss] {
            let pki = issue(&options(kind)).unwrap();
            check_chain(&pki.csca_cert, &pki.ds_cert, "VN");
        }
    }

    #[test]
    fn mixed_kinds_chain() {
        let mut o = options(SignerKind::EcdsaP256);
        o.csca_kind = SignerKind::RsaPkcs1v15;
        let pki = issue(&o).unwrap();
        check_chain(&pki.csca_cert, &pki.ds_cert, "VN");
        let (_, ds) = X509Certificate::from_der(&pki.ds_cert).unwrap();
        assert_eq!(ds.signature_algorithm.algorithm.to_id_string(), "1.2.840.113549.1.1.11");
        assert_eq!(ds.public_key().algorithm.algorithm.to_id_string(), "1.2.840.10045.2.1");
    }

    #[test]
    fn explicit_p256_parameters() {
        // The base point is the public key of the scalar 1; the order is the first invalid scalar.
        let mut one = [0u8; 32];
        one[31] = 1;
        let k1 = p256::ecdsa::SigningKey::from_slice(&one).unwrap();
        assert_eq!(k1.verifying_key().to_sec1_point(false).as_bytes(), p256_domain::G);
        assert!(p256::ecdsa::SigningKey::from_slice(&p256_domain::N).is_err());
        let mut n_minus_1 = p256_domain::N;
        n_minus_1[31] -= 1;
        assert!(p256::ecdsa::SigningKey::from_slice(&n_minus_1).is_ok());
        // a = p - 3.
        assert_eq!(p256_domain::A[..31], p256_domain::P[..31]);
        assert_eq!(p256_domain::A[31] + 3, p256_domain::P[31]);

        let mut o = options(SignerKind::EcdsaP256);
        o.ds_explicit_parameters = true;
        let pki = issue(&o).unwrap();
        check_chain(&pki.csca_cert, &pki.ds_cert, "VN");
        let (_, ds) = X509Certificate::from_der(&pki.ds_cert).unwrap();
        let params = ds.public_key().algorithm.parameters.as_ref().unwrap();
        assert_eq!(params.tag(), asn1_rs::Tag::Sequence, "explicit parameters, not a named curve");
        let (_, csca) = X509Certificate::from_der(&pki.csca_cert).unwrap();
        assert_eq!(csca.public_key().algorithm.parameters.as_ref().unwrap().tag(), asn1_rs::Tag::Oid);

        // The compressed base point: 02 or 03 by y's parity (G's y ends in F5: odd), then x.
        assert_eq!(base_point(&p256_domain::G, true), [&[0x03][..], &p256_domain::G[1..33]].concat());
        assert_eq!(base_point(&p256_domain::G, false), p256_domain::G);
        o.extra.compressed_base_point = true;
        let pki = issue(&o).unwrap();
        check_chain(&pki.csca_cert, &pki.ds_cert, "VN");
        let g = der::octets(&base_point(&p256_domain::G, true));
        assert!(pki.ds_cert.windows(g.len()).any(|w| w == g.as_slice()), "compressed G in the DS key");
    }

    #[test]
    fn ds_without_extensions() {
        let mut o = options(SignerKind::EcdsaP256);
        o.ds_extensions = false;
        let pki = issue(&o).unwrap();
        let (_, ds) = X509Certificate::from_der(&pki.ds_cert).unwrap();
        assert!(ds.extensions().is_empty());
        assert!(ds.key_usage().unwrap().is_none());
    }
}
