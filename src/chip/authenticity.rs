//! The chip side of Active Authentication (ICAO 9303-11 §6.1) and Chip
//! Authentication (ICAO 9303-11 §6.2; BSI TR-03110-2 §3.4 version 1,
//! TR-03110-3 §B.11), and the DG14/DG15 contents that go with them.
//!
//! ```text
//! INTERNAL AUTHENTICATE  0C 88 00 00 … { 8-byte challenge }    → the signature      (under SM)
//! MSE:Set AT (CA)        0C 22 41 A4 … { 80 id-CA-ECDH-<cipher> [84 keyId] } → 9000
//! GENERAL AUTHENTICATE   0C 86 00 00 … { 7C { 80 PK_eph } }    → 7C 00, then new keys
//! MSE:Set KAT (3DES CA)  0C 22 41 A6 … { 91 PK_eph [84 keyId] } → 9000, then new keys
//! ```
//!
//! - **Active Authentication** signs the challenge with the chip's AA key:
//!   ECDSA P-256 over the hash DG14's `ActiveAuthenticationInfo` names, plain
//!   r ‖ s (BSI TR-03111 §5.2.1); or RSA with ISO/IEC 9796-2 digital signature
//!   scheme 1, partial recovery: F = `6A` ‖ M1 ‖ hash(M1 ‖ challenge) ‖ trailer
//!   with M1 random and as long as the modulus allows, trailer `BC` (SHA-1) or
//!   `xx CC` (the ISO/IEC 10118-3 hash identifier), s = F^d mod n. The
//!   representative is built here by hand — no crate implements ISO/IEC
//!   9796-2 — and the RSA private operation is `rsa::hazmat::rsa_decrypt`
//!   (with blinding).
//! - **Chip Authentication** with the chip's static ECDH key on P-256:
//!   K = x(SK_chip · PK_eph), KS_enc/KS_mac = KDF(K, 1/2) for the protocol's
//!   cipher (ICAO 9303-11 §9.7.1), answered under the old session keys, then
//!   secure messaging restarts with the new keys and SSC = 0.
//!
//! A *cloned* chip ([`DocumentBuilder::cloned_chip`]) holds the genuine
//! DG14/DG15 (and so a genuine EF.SOD) but other private keys, as a copy of
//! a real chip's files would: its AA signatures and CA keys do not match.

use super::BuildError;
use super::der::{self, oids};
use super::document::DocumentBuilder;
use super::ec::PaceCurve;
use super::faults::{Fault, Fired};
use super::pace::PaceCipher;
use super::pki::{self, HashAlgorithm};
use super::rng::ChipRng;
use super::sm::{SmCipher, SmSession};
use crate::protocol::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::protocol::crypto::{KDF_ENC, KDF_MAC, KeyKind, kdf};
use crate::protocol::tlv::{Reader, read_tlv, tlv};
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// The Active Authentication key of a software document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActiveAuthentication {
    /// ECDSA on NIST P-256; DG14's `ActiveAuthenticationInfo` names
    /// `ecdsa-plain-<hash>` (BSI TR-03111 §5.2.1.1). The demo CCCD's: SHA-256.
    Ecdsa(HashAlgorithm),
    /// RSA with ISO/IEC 9796-2 scheme 1 (DG14 needs no entry for it).
    Rsa {
        /// Modulus bits: 1024 or 2048 (2048 needs extended-length APDUs under SM).
        bits: usize,
        /// `None`: SHA-1 with the implicit trailer `BC`; `Some(h)`: `h` with the trailer `xx CC`.
        hash: Option<HashAlgorithm>,
    },
}

/// What a builder asked for about DG14/DG15 and the chip's keys.
#[derive(Debug, Clone)]
pub(crate) struct AuthenticitySpec {
    aa: ActiveAuthentication,
    aa_signature_oid: Option<Vec<u64>>,
    ca: bool,
    ca_cipher: PaceCipher,
    ca_info: bool,
    cloned: bool,
    dg14: Option<bool>,
    dg15: Option<bool>,
    /// Derive the EC keys of DG14/DG15 from this seed instead of the OS.
    key_seed: Option<u64>,
}

impl Default for AuthenticitySpec {
    fn default() -> Self {
        Self {
            aa: ActiveAuthentication::Ecdsa(HashAlgorithm::Sha256),
            aa_signature_oid: None,
            ca: true,
            ca_cipher: PaceCipher::Aes128,
            ca_info: true,
            cloned: false,
            dg14: None,
            dg15: None,
            key_seed: None,
        }
    }
}

impl AuthenticitySpec {
    /// The document's data groups with DG14/DG15 added or removed as asked, sorted.
    pub(crate) fn data_groups(&self, persona: &[u8]) -> Vec<u8> {
        let mut out = persona.to_vec();
        for (n, want) in [(14u8, self.dg14), (15, self.dg15)] {
            match want {
                Some(true) if !out.contains(&n) => out.push(n),
                Some(false) => out.retain(|&m| m != n),
                _ => {}
            }
        }
        out.sort_unstable();
        out
    }
}

/// Builder options for Active and Chip Authentication.
impl DocumentBuilder {
    /// Gives the document DG15 with an Active Authentication key of this kind
    /// (the demo CCCD has ECDSA/SHA-256; the passport has none by default).
    ///
    /// ```
    /// use mrtdd::chip::{ActiveAuthentication, DocumentBuilder};
    /// let passport = DocumentBuilder::td3_specimen()
    ///     .active_authentication(ActiveAuthentication::Rsa { bits: 1024, hash: None })
    ///     .build()?;
    /// assert!(passport.file(0x010F).is_some());
    /// # Ok::<(), mrtdd::chip::BuildError>(())
    /// ```
    pub fn active_authentication(mut self, kind: ActiveAuthentication) -> Self {
        self.authenticity.aa = kind;
        self.authenticity.dg15 = Some(true);
        self
    }

    /// Derives the chip's keys (Chip Authentication, Active Authentication —
    /// ECDSA or RSA — and their clones) from `seed` instead of the operating
    /// system's random source, so that a session recorded in one process
    /// replays in another: the fuzz seeds of `session_sm` hold DG14 and DG15
    /// as read, and Chip and Active Authentication only succeed on replay if
    /// the chip still holds the private keys of those public keys. Not
    /// secret, never for real use. (A seeded RSA key is generated once per
    /// process and kept.)
    ///
    /// ```
    /// use mrtdd::chip::DocumentBuilder;
    /// let a = DocumentBuilder::cccd_demo().chip_key_seed(7).build()?;
    /// let b = DocumentBuilder::cccd_demo().chip_key_seed(7).build()?;
    /// assert_eq!(a.chip_authentication_key(), b.chip_authentication_key());
    /// assert_eq!(a.file(0x010E), b.file(0x010E));
    /// # Ok::<(), mrtdd::chip::BuildError>(())
    /// ```
    pub fn chip_key_seed(mut self, seed: u64) -> Self {
        self.authenticity.key_seed = Some(seed);
        self
    }

    /// No DG15: the chip does not do Active Authentication (INTERNAL AUTHENTICATE answers `6D00`).
    pub fn without_active_authentication(mut self) -> Self {
        self.authenticity.dg15 = Some(false);
        self
    }

    /// DG14's `ActiveAuthenticationInfo` names this signature algorithm instead
    /// of `ecdsa-plain-<hash>` (HOSTILE 30: an invalid signature OID).
    pub fn aa_signature_algorithm(mut self, oid_arcs: &[u64]) -> Self {
        self.authenticity.aa_signature_oid = Some(oid_arcs.to_vec());
        self
    }

    /// Gives the document DG14 with a Chip Authentication key (P-256) and
    /// `ChipAuthenticationInfo` for `cipher` (the demo CCCD: AES-128). With
    /// [`PaceCipher::Des3`] the chip expects MSE:Set KAT.
    pub fn chip_authentication(mut self, cipher: PaceCipher) -> Self {
        self.authenticity.ca = true;
        self.authenticity.ca_cipher = cipher;
        self.authenticity.dg14 = Some(true);
        self
    }

    /// DG14 without a Chip Authentication key: the chip does not do Chip
    /// Authentication (DG14 stays for the ECDSA `ActiveAuthenticationInfo`).
    pub fn without_chip_authentication(mut self) -> Self {
        self.authenticity.ca = false;
        self
    }

    /// DG14 with the Chip Authentication key but no `ChipAuthenticationInfo`
    /// (early chips): the terminal must assume 3DES, so the chip's CA cipher becomes 3DES.
    pub fn without_chip_authentication_info(mut self) -> Self {
        self.authenticity.ca_info = false;
        self.authenticity.ca_cipher = PaceCipher::Des3;
        self
    }

    /// A cloned chip: DG14, DG15 and EF.SOD are the genuine ones, but the chip
    /// holds other private keys — its Active Authentication signatures and
    /// Chip Authentication key agreement do not match DG15/DG14.
    pub fn cloned_chip(mut self) -> Self {
        self.authenticity.cloned = true;
        self
    }
}

/// The chip's Active Authentication private key.
#[derive(Clone)]
pub(crate) enum AaPrivate {
    Ecdsa { key: p256::ecdsa::SigningKey, hash: HashAlgorithm },
    Rsa { key: &'static rsa::PrivateKey, hash: Option<HashAlgorithm> },
}

/// The chip's Chip Authentication static key and the cipher of its protocol.
#[derive(Clone)]
pub(crate) struct CaPrivate {
    key: p256::ecdsa::SigningKey,
    cipher: PaceCipher,
}

/// The private keys the chip computes with (for a clone, not those of DG14/DG15).
#[derive(Clone, Default)]
pub(crate) struct ChipKeys {
    aa: Option<AaPrivate>,
    ca: Option<CaPrivate>,
}

impl ChipKeys {
    /// True if the chip answers INTERNAL AUTHENTICATE.
    pub(crate) fn has_active_authentication(&self) -> bool {
        self.aa.is_some()
    }
}

/// What [`issue`] makes for a document.
pub(crate) struct Issued {
    /// DG14, when the document has it.
    pub(crate) dg14: Option<Vec<u8>>,
    /// DG15, when the document has it.
    pub(crate) dg15: Option<Vec<u8>>,
    /// The EC key of DG15 (genuine), for [`Document::active_authentication_key`](super::Document::active_authentication_key).
    pub(crate) aa_public: Option<p256::ecdsa::SigningKey>,
    /// The key of DG14 (genuine), for [`Document::chip_authentication_key`](super::Document::chip_authentication_key).
    pub(crate) ca_public: Option<p256::ecdsa::SigningKey>,
    /// What the chip computes with.
    pub(crate) keys: ChipKeys,
}

/// RSA Active Authentication keys, generated once per process (slow):
/// [1024 genuine, 1024 clone, 2048 genuine, 2048 clone].
static RSA_AA_KEYS: [OnceLock<rsa::PrivateKey>; 4] =
    [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];

/// The most distinct seeded RSA keys one process keeps (each lives as long
/// as the process, like the unseeded ones; tests use one or two seeds).
const MAX_SEEDED_RSA_AA_KEYS: usize = 16;

/// RSA Active Authentication keys drawn from a [`DocumentBuilder::chip_key_seed`]
/// stream, by (seed, bits, clone).
type SeededRsaKeys = Vec<((u64, usize, bool), &'static rsa::PrivateKey)>;
static SEEDED_RSA_AA_KEYS: std::sync::Mutex<SeededRsaKeys> = std::sync::Mutex::new(Vec::new());

/// The RSA Active Authentication key of `bits` (the clone's if `clone`):
/// per process, or derived from `seed` (the same key in every process).
fn rsa_aa_key(bits: usize, clone: bool, seed: Option<u64>) -> Result<&'static rsa::PrivateKey, BuildError> {
    let slot = match bits {
        1024 => 0,
        2048 => 2,
        _ => return Err(BuildError::Invalid("RSA Active Authentication keys are 1024 or 2048 bits")),
    } + usize::from(clone);
    if let Some(seed) = seed {
        return seeded_rsa_aa_key(seed, bits, clone);
    }
    let cell = RSA_AA_KEYS.get(slot).ok_or(BuildError::KeyGeneration("no key slot"))?;
    if cell.get().is_none() {
        let key = rsa::PrivateKey::new(&mut getrandom::SysRng, bits)
            .map_err(|_| BuildError::KeyGeneration("RSA key generation failed"))?;
        // Another thread may have won the race: either key is fine.
        let _ = cell.set(key);
    }
    cell.get().ok_or(BuildError::KeyGeneration("RSA key cache"))
}

/// The RSA key generated from the seeded stream of (`seed`, `bits`, `clone`).
/// RSA key generation draws its prime candidates from the generator it is
/// given, so the same stream gives the same key.
fn seeded_rsa_aa_key(seed: u64, bits: usize, clone: bool) -> Result<&'static rsa::PrivateKey, BuildError> {
    let id = (seed, bits, clone);
    let mut keys = SEEDED_RSA_AA_KEYS.lock().map_err(|_| BuildError::KeyGeneration("RSA key cache"))?;
    if let Some((_, key)) = keys.iter().find(|(k, _)| *k == id) {
        return Ok(key);
    }
    if keys.len() >= MAX_SEEDED_RSA_AA_KEYS {
        return Err(BuildError::KeyGeneration("too many seeded RSA keys in one process"));
    }
    let stream_seed = seed ^ ((bits as u64) << 32) ^ u64::from(clone);
    let key = rsa::PrivateKey::new(&mut super::rng::SeededStream::new(stream_seed), bits)
        .map_err(|_| BuildError::KeyGeneration("RSA key generation failed"))?;
    let key: &'static rsa::PrivateKey = Box::leak(Box::new(key));
    keys.push((id, key));
    Ok(key)
}

/// `SubjectPublicKeyInfo` of an RSA key (RFC 8017 Appendix A.1.1: rsaEncryption, NULL, `RSAPublicKey`).
fn rsa_spki(key: &rsa::PrivateKey) -> Vec<u8> {
    use rsa::traits::PublicKeyParts;
    let rsa_public_key = der::seq(&[&der::uint(&key.n_bytes()), &der::uint(&key.e_bytes())]);
    der::seq(&[&der::seq(&[&der::oid(oids::RSA_ENCRYPTION), &der::null()]), &der::bits(&rsa_public_key)])
}

/// The last arc of an ecdsa-plain-<hash> OID (BSI TR-03111 §5.2.1.1).
fn ecdsa_plain_oid(hash: HashAlgorithm) -> Vec<u64> {
    let mut arcs = oids::ECDSA_PLAIN_SHA256.to_vec();
    if let Some(last) = arcs.last_mut() {
        *last = match hash {
            HashAlgorithm::Sha1 => 1,
            HashAlgorithm::Sha224 => 2,
            HashAlgorithm::Sha256 => 3,
            HashAlgorithm::Sha384 => 4,
            HashAlgorithm::Sha512 => 5,
        };
    }
    arcs
}

/// The last arc of id-CA-ECDH-<cipher> (ICAO 9303-11 §9.2.7).
fn cipher_arc(cipher: PaceCipher) -> u64 {
    match cipher {
        PaceCipher::Des3 => 1,
        PaceCipher::Aes128 => 2,
        PaceCipher::Aes192 => 3,
        PaceCipher::Aes256 => 4,
    }
}

fn key_kind(cipher: PaceCipher) -> KeyKind {
    match cipher {
        PaceCipher::Des3 => KeyKind::Des3,
        PaceCipher::Aes128 => KeyKind::Aes128,
        PaceCipher::Aes192 => KeyKind::Aes192,
        PaceCipher::Aes256 => KeyKind::Aes256,
    }
}

/// id-CA-ECDH-<cipher>'s arcs.
fn ca_oid(cipher: PaceCipher) -> Vec<u64> {
    let mut arcs = oids::CA_ECDH_AES_CBC_CMAC_128.to_vec();
    if let Some(last) = arcs.last_mut() {
        *last = cipher_arc(cipher);
    }
    arcs
}

/// The content octets of id-CA-ECDH-<cipher> (what MSE:Set AT's `80` carries).
fn ca_oid_content(cipher: PaceCipher) -> Vec<u8> {
    der::oid(&ca_oid(cipher)).get(2..).unwrap_or(&[]).to_vec()
}

/// Makes the keys, DG14 and DG15 of a document.
///
/// DG14 (ICAO 9303-11 §9.2; BSI TR-03110-3 §A.1.1): `6E L SecurityInfos` with
///
/// ```text
/// ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol id-PK-ECDH, chipAuthenticationPublicKey SubjectPublicKeyInfo }
/// ChipAuthenticationInfo ::= SEQUENCE { protocol id-CA-ECDH-<cipher>, version INTEGER (1) }            -- unless left out
/// ActiveAuthenticationInfo ::= SEQUENCE { protocol id-AA, version INTEGER (1), signatureAlgorithm ecdsa-plain-<hash> }  -- EC AA keys
/// ```
///
/// DG15 (ICAO 9303-10 §4.7.15): `6F L SubjectPublicKeyInfo` of the AA key.
pub(crate) fn issue(spec: &AuthenticitySpec, dg14: bool, dg15: bool) -> Result<Issued, BuildError> {
    let mut p256_keys = P256Keys::new(spec.key_seed);
    let mut keys = ChipKeys::default();
    let mut aa_public = None;
    let mut dg15_bytes = None;
    let mut aa_info = None;
    if dg15 {
        match spec.aa {
            ActiveAuthentication::Ecdsa(hash) => {
                let genuine = p256_keys.next()?;
                let chip_key = if spec.cloned { p256_keys.next()? } else { genuine.clone() };
                dg15_bytes = Some(tlv(0x6F, &pki::p256_spki(genuine.verifying_key())));
                let oid = spec.aa_signature_oid.clone().unwrap_or_else(|| ecdsa_plain_oid(hash));
                aa_info = Some(der::seq(&[&der::oid(oids::ICAO_AA), &der::int(1), &der::oid(&oid)]));
                keys.aa = Some(AaPrivate::Ecdsa { key: chip_key, hash });
                aa_public = Some(genuine);
            }
            ActiveAuthentication::Rsa { bits, hash } => {
                let genuine = rsa_aa_key(bits, false, spec.key_seed)?;
                let chip_key = if spec.cloned { rsa_aa_key(bits, true, spec.key_seed)? } else { genuine };
                dg15_bytes = Some(tlv(0x6F, &rsa_spki(genuine)));
                if let Some(oid) = &spec.aa_signature_oid {
                    aa_info = Some(der::seq(&[&der::oid(oids::ICAO_AA), &der::int(1), &der::oid(oid)]));
                }
                keys.aa = Some(AaPrivate::Rsa { key: chip_key, hash });
            }
        }
    }
    let mut ca_public = None;
    let mut dg14_bytes = None;
    if dg14 {
        let mut infos = Vec::new();
        if spec.ca {
            let genuine = p256_keys.next()?;
            let chip_key = if spec.cloned { p256_keys.next()? } else { genuine.clone() };
            infos.push(der::seq(&[&der::oid(oids::PK_ECDH), &pki::p256_spki(genuine.verifying_key())]));
            if spec.ca_info {
                infos.push(der::seq(&[&der::oid(&ca_oid(spec.ca_cipher)), &der::int(1)]));
            }
            keys.ca = Some(CaPrivate { key: chip_key, cipher: spec.ca_cipher });
            ca_public = Some(genuine);
        }
        infos.extend(aa_info);
        let refs: Vec<&[u8]> = infos.iter().map(Vec::as_slice).collect();
        dg14_bytes = Some(tlv(0x6E, &der::set_of(&refs)));
    }
    Ok(Issued { dg14: dg14_bytes, dg15: dg15_bytes, aa_public, ca_public, keys })
}

/// Where [`issue`] takes its P-256 keys: the operating system, or with
/// [`DocumentBuilder::chip_key_seed`] the seeded stream of [`ChipRng`].
struct P256Keys(Option<ChipRng>);

impl P256Keys {
    fn new(seed: Option<u64>) -> Self {
        Self(seed.map(|seed| ChipRng::new(super::Randomness::Seeded(seed))))
    }

    fn next(&mut self) -> Result<p256::ecdsa::SigningKey, BuildError> {
        let Some(rng) = &mut self.0 else { return pki::new_p256_key() };
        let d = PaceCurve::NistP256.random_scalar(rng).map_err(|_| BuildError::KeyGeneration("seeded stream"))?;
        p256::ecdsa::SigningKey::from_slice(&d).map_err(|_| BuildError::KeyGeneration("P-256 scalar"))
    }
}

/// The ISO/IEC 10118-3 identifier of a hash in an ISO/IEC 9796-2 trailer `xx CC`.
fn trailer_id(hash: HashAlgorithm) -> u8 {
    match hash {
        HashAlgorithm::Sha1 => 0x33,
        HashAlgorithm::Sha256 => 0x34,
        HashAlgorithm::Sha512 => 0x35,
        HashAlgorithm::Sha384 => 0x36,
        HashAlgorithm::Sha224 => 0x38,
    }
}

/// INTERNAL AUTHENTICATE (ICAO 9303-11 §6.1): the signature over `challenge`,
/// or the status to answer. `keys` must hold an AA key (the caller answers `6D00` otherwise).
pub(crate) fn internal_authenticate(
    keys: &ChipKeys,
    challenge: &[u8],
    fired: &Fired,
    rng: &mut ChipRng,
) -> ResponseApdu {
    if fired.has(&Fault::AaRefused) {
        return ResponseApdu::status(StatusWord::INS_NOT_SUPPORTED);
    }
    if let Some(n) = fired.aa_signature_length() {
        return ResponseApdu { data: vec![0x5A; n], sw: StatusWord::OK };
    }
    let signature = match &keys.aa {
        None => return ResponseApdu::status(StatusWord::INS_NOT_SUPPORTED),
        Some(AaPrivate::Ecdsa { key, hash }) => sign_ecdsa(key, *hash, challenge),
        Some(AaPrivate::Rsa { key, hash }) => sign_iso9796_2(key, *hash, challenge, fired, rng),
    };
    match signature {
        Ok(mut signature) => {
            if fired.has(&Fault::AaSignatureCorrupted)
                && let Some(b) = signature.last_mut()
            {
                *b ^= 0x01;
            }
            ResponseApdu { data: signature, sw: StatusWord::OK }
        }
        Err(sw) => ResponseApdu::status(sw),
    }
}

/// ECDSA over hash(challenge), plain r ‖ s (BSI TR-03111 §5.2.1).
fn sign_ecdsa(key: &p256::ecdsa::SigningKey, hash: HashAlgorithm, challenge: &[u8]) -> Result<Vec<u8>, StatusWord> {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    let signature: p256::ecdsa::Signature =
        key.sign_prehash(&hash.digest(challenge)).map_err(|_| StatusWord::UNKNOWN)?;
    Ok(signature.to_bytes().to_vec())
}

/// ISO/IEC 9796-2 scheme 1 with partial recovery: F = 6A ‖ M1 ‖ hash(M1 ‖ challenge) ‖ trailer, s = F^d mod n.
fn sign_iso9796_2(
    key: &rsa::PrivateKey,
    hash: Option<HashAlgorithm>,
    challenge: &[u8],
    fired: &Fired,
    rng: &mut ChipRng,
) -> Result<Vec<u8>, StatusWord> {
    use rsa::BoxedUint;
    use rsa::traits::PublicKeyParts;
    let k = key.size();
    let (hash, mut trailer) = match hash {
        None => (HashAlgorithm::Sha1, vec![0xBC]),
        Some(h) => (h, vec![trailer_id(h), 0xCC]),
    };
    if fired.has(&Fault::AaWrongTrailer)
        && let Some(last) = trailer.last_mut()
    {
        *last = last.wrapping_add(1);
    }
    let m1_len = k.checked_sub(1 + hash.output_len() + trailer.len()).ok_or(StatusWord::UNKNOWN)?;
    let mut m1 = Zeroizing::new(vec![0u8; m1_len]);
    rng.fill(&mut m1).map_err(|_| StatusWord::UNKNOWN)?;
    let mut message = Zeroizing::new(m1.to_vec());
    message.extend_from_slice(challenge);
    let digest = hash.digest(&message);
    let mut f = Zeroizing::new(Vec::with_capacity(k));
    f.push(0x6A);
    f.extend_from_slice(&m1);
    f.extend_from_slice(&digest);
    f.extend_from_slice(&trailer);
    let m = BoxedUint::from_be_slice(&f, key.n_bits_precision()).map_err(|_| StatusWord::UNKNOWN)?;
    let s = rsa::hazmat::rsa_decrypt(Some(&mut getrandom::SysRng), key, &m).map_err(|_| StatusWord::UNKNOWN)?;
    let bytes = s.to_be_bytes();
    let skip = bytes.len().checked_sub(k).ok_or(StatusWord::UNKNOWN)?;
    Ok(bytes.get(skip..).unwrap_or(&[]).to_vec())
}

/// Chip Authentication between MSE:Set AT and GENERAL AUTHENTICATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CaPending {
    cipher: PaceCipher,
}

/// The answer to a Chip Authentication command, and the session that replaces the current one after it.
pub(crate) enum CaOutcome {
    /// An answer; the session stays.
    Answer(ResponseApdu),
    /// The answer (sent under the old keys), then the new session.
    Established(ResponseApdu, SmSession),
}

fn answer(sw: StatusWord) -> CaOutcome {
    CaOutcome::Answer(ResponseApdu::status(sw))
}

/// The data objects of MSE:Set KAT / Set AT and of GENERAL AUTHENTICATE's `7C`.
struct Objects {
    /// `91` (Set KAT: the ephemeral public key), `80` (Set AT: the protocol OID; GA: the key).
    main: Option<Vec<u8>>,
    /// `84`: the key reference.
    reference: Option<Vec<u8>>,
}

/// Parses `data` into the `main_tag` object and an optional `84`; anything else is `6A80`.
fn parse_objects(data: &[u8], main_tag: u32) -> Result<Objects, StatusWord> {
    let mut r = Reader::new(data);
    let mut out = Objects { main: None, reference: None };
    while !r.is_empty() {
        let t = read_tlv(&mut r, "MSE data").map_err(|_| StatusWord::WRONG_DATA)?;
        match t.tag {
            tag if tag == main_tag && out.main.is_none() => out.main = Some(t.value.to_vec()),
            0x84 if out.reference.is_none() => out.reference = Some(t.value.to_vec()),
            _ => return Err(StatusWord::WRONG_DATA),
        }
    }
    Ok(out)
}

/// MSE:Set AT (`41 A4`) or Set KAT (`41 A6`) for Chip Authentication under
/// secure messaging (TR-03110-3 §B.11.1). The chip's key has no keyId, so any
/// `84` is refused with `6A88` (referenced data not found).
pub(crate) fn mse(keys: &ChipKeys, cmd: &CommandApdu, pending: &mut Option<CaPending>, fired: &Fired) -> CaOutcome {
    *pending = None;
    let Some(ca) = &keys.ca else {
        return answer(StatusWord::CONDITIONS_NOT_SATISFIED);
    };
    if fired.has(&Fault::CaRefused) {
        return answer(StatusWord::WRONG_DATA);
    }
    match (cmd.p1, cmd.p2) {
        (0x41, 0xA4) => match parse_objects(&cmd.data, 0x80) {
            Ok(Objects { reference: Some(_), .. }) => answer(StatusWord::DATA_NOT_FOUND),
            Ok(Objects { main: Some(oid), .. }) if oid == ca_oid_content(ca.cipher) => {
                *pending = Some(CaPending { cipher: ca.cipher });
                answer(StatusWord::OK)
            }
            Ok(_) => answer(StatusWord::WRONG_DATA),
            Err(sw) => answer(sw),
        },
        // Set KAT is the 3DES form (ICAO 9303-11 §6.2.4.1).
        (0x41, 0xA6) if ca.cipher == PaceCipher::Des3 => match parse_objects(&cmd.data, 0x91) {
            Ok(Objects { reference: Some(_), .. }) => answer(StatusWord::DATA_NOT_FOUND),
            Ok(Objects { main: Some(point), .. }) => agree(ca, &point, ResponseApdu::status(StatusWord::OK)),
            Ok(_) => answer(StatusWord::WRONG_DATA),
            Err(sw) => answer(sw),
        },
        (0x41, 0xA6) => answer(StatusWord::WRONG_DATA),
        // PACE's MSE:Set AT (C1 A4) is done in plain, never under secure messaging.
        _ => answer(StatusWord::CONDITIONS_NOT_SATISFIED),
    }
}

/// GENERAL AUTHENTICATE for Chip Authentication (TR-03110-3 §B.11.2):
/// `7C { 80 PK_eph }` → `7C 00`, then the new session.
pub(crate) fn general_authenticate(keys: &ChipKeys, cmd: &CommandApdu, pending: &mut Option<CaPending>) -> CaOutcome {
    let (Some(_), Some(ca)) = (pending.take(), &keys.ca) else {
        return answer(StatusWord::CONDITIONS_NOT_SATISFIED);
    };
    if (cmd.p1, cmd.p2) != (0, 0) {
        return answer(StatusWord::INCORRECT_P1P2);
    }
    let mut r = Reader::new(&cmd.data);
    let point = match read_tlv(&mut r, "GA data") {
        Ok(t) if t.tag == 0x7C && r.is_empty() => match parse_objects(t.value, 0x80) {
            Ok(Objects { main: Some(point), reference: None }) => point,
            _ => return answer(StatusWord::WRONG_DATA),
        },
        _ => return answer(StatusWord::WRONG_DATA),
    };
    agree(ca, &point, ResponseApdu { data: tlv(0x7C, &[]), sw: StatusWord::OK })
}

/// K = x(SK_chip · PK_eph) on P-256, the new session keys, SSC = 0.
fn agree(ca: &CaPrivate, point: &[u8], ok: ResponseApdu) -> CaOutcome {
    let secret = Zeroizing::new(ca.key.to_bytes().to_vec());
    let Some(shared) = PaceCurve::NistP256.mul(point, &secret).map(Zeroizing::new) else {
        return answer(StatusWord::WRONG_DATA);
    };
    let Some(k) = PaceCurve::NistP256.x_coordinate(&shared).map(Zeroizing::new) else {
        return answer(StatusWord::WRONG_DATA);
    };
    let kind = key_kind(ca.cipher);
    let cipher = if kind == KeyKind::Des3 { SmCipher::Des3 } else { SmCipher::Aes };
    let session = SmSession::new(cipher, kdf(&k, KDF_ENC, kind), kdf(&k, KDF_MAC, kind), &[]);
    CaOutcome::Established(ok, session)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::lds::{dg14, dg15};

    #[test]
    fn default_cccd_security_data() {
        let issued = issue(&AuthenticitySpec::default(), true, true).unwrap();
        let d14 = dg14::parse(issued.dg14.as_ref().unwrap()).unwrap();
        assert_eq!(d14.chip_authentication_public_keys().len(), 1);
        assert_eq!(d14.chip_authentication_infos()[0].protocol.oid, "0.4.0.127.0.7.2.2.3.2.2");
        assert_eq!(
            d14.active_authentication().unwrap().signature_algorithm,
            "0.4.0.127.0.7.1.1.4.1.3" // ecdsa-plain-SHA256
        );
        let d15 = dg15::parse(issued.dg15.as_ref().unwrap()).unwrap();
        assert_eq!(d15.public_key, issued.aa_public.unwrap().verifying_key().to_sec1_point(false).as_bytes());
        assert_eq!(ca_oid_content(PaceCipher::Des3), [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x01]);
    }

    #[test]
    fn rsa_dg15_without_aa_info() {
        let spec = AuthenticitySpec {
            aa: ActiveAuthentication::Rsa { bits: 1024, hash: None },
            dg15: Some(true),
            ..AuthenticitySpec::default()
        };
        let issued = issue(&spec, false, true).unwrap();
        let d15 = dg15::parse(issued.dg15.as_ref().unwrap()).unwrap();
        assert_eq!(d15.algorithm, dg15::PublicKeyAlgorithm::Rsa { modulus_bits: 1024 });
        assert!(issued.dg14.is_none() && issued.aa_public.is_none());
        assert_eq!(spec.data_groups(&[1, 2, 11, 12]), [1, 2, 11, 12, 15]);
    }

    #[test]
    fn cloned_keys_differ() {
        let spec = AuthenticitySpec { cloned: true, ..AuthenticitySpec::default() };
        let issued = issue(&spec, true, true).unwrap();
        let Some(AaPrivate::Ecdsa { key, .. }) = &issued.keys.aa else { panic!("EC AA key") };
        assert_ne!(key.verifying_key(), issued.aa_public.as_ref().unwrap().verifying_key());
        let ca = issued.keys.ca.as_ref().unwrap();
        assert_ne!(ca.key.verifying_key(), issued.ca_public.as_ref().unwrap().verifying_key());
    }
}
