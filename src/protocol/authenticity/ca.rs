//! Chip Authentication (ICAO 9303-11 §6.2; BSI TR-03110-2 §3.4, version 1;
//! key derivation ICAO 9303-11 §9.7.1; secure messaging §9.8).
//!
//! An ephemeral-static key agreement with the chip's static key from DG14:
//! only a chip that holds the private key derives the same session keys, so a
//! chip that keeps answering correctly under them is genuine (and the
//! session is no longer keyed from a password or the MRZ).
//!
//! ```text
//! DG14: ChipAuthenticationPublicKeyInfo { id-PK-ECDH, SubjectPublicKeyInfo, keyId? }
//!       ChipAuthenticationInfo { id-CA-ECDH-<cipher>, version 1, keyId? }    (absent: 3DES, see below)
//!
//! 1. SK_eph random in [1, n−1], PK_eph = SK_eph · G on the chip key's curve
//! 2a. 3DES  MSE:Set KAT  00 22 41 A6 Lc { 91 <PK_eph> [84 <keyId>] }                   (TR-03110-3 §B.11.1)
//! 2b. AES   MSE:Set AT   00 22 41 A4 Lc { 80 <CA protocol OID> [84 <keyId>] }           (TR-03110-3 §B.11.1)
//!           GENERAL AUTHENTICATE  00 86 00 00 Lc 7C { 80 <PK_eph> } 00  → 7C 00       (TR-03110-3 §B.11.2)
//!     (both under the current secure messaging; the chip answers under the old keys)
//! 3. K = x(SK_eph · PK_chip)       (ECKA, BSI TR-03111 §4.3.1; the chip's point validated first)
//!    KS_enc = KDF(K, 1), KS_mac = KDF(K, 2) for the protocol's cipher; SSC = 0
//! 4. Secure messaging restarts with the new keys. Proof: the chip's answer to
//!    the next command (READ BINARY of one byte of EF.COM) must verify under them.
//! ```
//!
//! Points are uncompressed (`04 ‖ x ‖ y`), as in the public key data objects of
//! ICAO 9303-11 §9.4. The key reference `84` is sent whenever DG14 gives a
//! keyId (it must, when the chip has several keys). A DG14 with a Chip
//! Authentication public key but no `ChipAuthenticationInfo` is an early
//! (TR-03110 v1.0) chip: id-CA-ECDH-3DES-CBC-CBC is assumed, as the ICAO
//! profile of that time prescribed.
//!
//! Diffie-Hellman (id-PK-DH) keys are reported as not supported; so are EC keys
//! on a curve [`Curve`] does not have.

use crate::protocol::access::Rng;
use crate::protocol::apdu::{CommandApdu, MAX_SHORT_LE, ResponseApdu, StatusWord};
use crate::protocol::crypto::ec::{Curve, EcError};
use crate::protocol::crypto::{KDF_ENC, KDF_MAC, KeyKind, kdf};
use crate::protocol::error::{Error, Misbehaviour};
use crate::protocol::lds::FileId;
use crate::protocol::lds::dg14::Dg14;
use crate::protocol::lds::security_infos::{
    ChipAuthenticationProtocol, ChipAuthenticationPublicKeyInfo, KeyAgreement, PaceCipher,
};
use crate::protocol::sm::{SecureChannel, Unwrapped};
use crate::protocol::tlv::{self, Reader};
use crate::protocol::transceive::{Transceive, transmit};
use crate::protocol::verify::signature::{self, KeyError, PublicKey};

use super::ChipCheck;

/// Tag of the ephemeral public key in MSE:Set KAT (TR-03110-3 §B.11.1).
const TAG_KAT_PUBLIC_KEY: u32 = 0x91;
/// Tag of the key reference (keyId) in MSE:Set KAT / Set AT.
const TAG_KEY_REFERENCE: u32 = 0x84;
/// Tag of the cryptographic mechanism reference (the protocol OID) in MSE:Set AT.
const TAG_MECHANISM: u32 = 0x80;
/// Tag of the dynamic authentication data of GENERAL AUTHENTICATE.
const TAG_DYNAMIC_AUTHENTICATION: u32 = 0x7C;
/// Tag of the ephemeral public key inside the dynamic authentication data.
const TAG_GA_PUBLIC_KEY: u32 = 0x80;
/// The largest GENERAL AUTHENTICATE answer accepted (CA v1 answers `7C 00`).
const MAX_GA_RESPONSE: usize = 256;

/// Why Chip Authentication cannot be run or did not pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaError {
    /// DG14 offers nothing this reader can run (no key, DH, an unknown curve or version).
    #[error("chip authentication not supported: {0}")]
    Unsupported(&'static str),
    /// DG14's Chip Authentication data is unusable (a malformed key).
    #[error("chip authentication data invalid: {0}")]
    Invalid(&'static str),
}

impl CaError {
    /// The result this error stands for.
    pub fn check(self) -> ChipCheck {
        match self {
            Self::Unsupported(_) => ChipCheck::NotSupported,
            Self::Invalid(_) => ChipCheck::Failed,
        }
    }
}

/// What Chip Authentication runs with, chosen from DG14 by [`choose`].
#[derive(Clone, PartialEq, Eq)]
pub struct CaParams {
    /// The protocol (key agreement and the cipher of the new session).
    pub protocol: ChipAuthenticationProtocol,
    /// The key reference sent in tag `84`, when DG14 gives one.
    pub key_id: Option<u32>,
    /// The curve of the chip's static key.
    pub curve: Curve,
    /// The chip's static public key, uncompressed and validated on `curve`.
    pub chip_public_key: Vec<u8>,
    /// True when DG14 has no `ChipAuthenticationInfo` and 3DES was assumed.
    pub assumed: bool,
}

impl core::fmt::Debug for CaParams {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The static key is a stable identifier of the document: not printed.
        f.debug_struct("CaParams")
            .field("protocol", &self.protocol.oid)
            .field("key_id", &self.key_id)
            .field("curve", &self.curve)
            .field("assumed", &self.assumed)
            .finish_non_exhaustive()
    }
}

/// The first Chip Authentication DG14 offers that this reader can run, in
/// file order of the `ChipAuthenticationInfo`s (ICAO 9303-11 §9.2.5–9.2.6):
/// version 1, ECDH, the key matched by keyId (or, without keyIds, the first
/// key of the same agreement), on a curve of [`Curve`] (named, or explicit
/// parameters equal to one). Without any `ChipAuthenticationInfo`, each key
/// with id-CA-(EC)DH-3DES-CBC-CBC.
///
/// Errors: [`CaError::Unsupported`] when DG14 has no Chip Authentication key or
/// only ones this reader cannot use; [`CaError::Invalid`] when the only
/// candidates have malformed keys.
pub fn choose(dg14: &Dg14) -> Result<CaParams, CaError> {
    let keys = dg14.chip_authentication_public_keys();
    if keys.is_empty() {
        return Err(CaError::Unsupported("DG14 has no Chip Authentication public key"));
    }
    let infos = dg14.chip_authentication_infos();
    let mut candidates: Vec<(ChipAuthenticationProtocol, Option<u32>, &ChipAuthenticationPublicKeyInfo, bool)> =
        Vec::new();
    if infos.is_empty() {
        for key in &keys {
            if let Some(protocol) = ChipAuthenticationProtocol::ALL
                .into_iter()
                .find(|p| p.agreement == key.protocol && p.cipher == PaceCipher::Des3)
            {
                candidates.push((protocol, key.key_id, key, true));
            }
        }
    }
    for info in &infos {
        if info.version != 1 {
            tracing::info!(version = info.version, "ChipAuthenticationInfo version other than 1 skipped");
            continue;
        }
        let key = match info.key_id {
            Some(id) => keys.iter().find(|k| k.key_id == Some(id)),
            None => keys.iter().find(|k| k.protocol == info.protocol.agreement),
        };
        match key {
            Some(key) if key.protocol == info.protocol.agreement => {
                candidates.push((info.protocol, info.key_id.or(key.key_id), key, false));
            }
            _ => tracing::info!(protocol = %info.protocol, "no matching Chip Authentication key in DG14"),
        }
    }
    let mut error = CaError::Unsupported("no Chip Authentication protocol of DG14 is supported");
    for (protocol, key_id, key, assumed) in candidates {
        if protocol.agreement != KeyAgreement::Ecdh {
            tracing::info!(protocol = %protocol, "Diffie-Hellman Chip Authentication is not supported");
            continue;
        }
        match signature::parse_spki(&key.subject_public_key_info) {
            Ok(PublicKey::Ec { curve, point }) => {
                return Ok(CaParams { protocol, key_id, curve, chip_public_key: point, assumed });
            }
            Ok(PublicKey::Rsa(_)) => error = CaError::Invalid("Chip Authentication key is an RSA key"),
            Err(KeyError::Malformed(e)) => {
                tracing::warn!(error = %e, "Chip Authentication public key is malformed");
                error = CaError::Invalid("Chip Authentication public key is malformed");
            }
            Err(KeyError::Unsupported(what)) => tracing::info!(what, "Chip Authentication key not supported"),
        }
    }
    Err(error)
}

/// The minimal big-endian encoding of a key reference (at least one byte).
fn key_reference(id: u32) -> Vec<u8> {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    bytes.get(skip..).unwrap_or(&[0]).to_vec()
}

/// MSE:Set KAT (`00 22 41 A6`; TR-03110-3 §B.11.1): Chip Authentication with 3DES,
/// the ephemeral public key in `91` and the key reference in `84`.
pub fn mse_set_kat(ephemeral_public_key: &[u8], key_id: Option<u32>) -> CommandApdu {
    let mut data = tlv::tlv(TAG_KAT_PUBLIC_KEY, ephemeral_public_key);
    if let Some(id) = key_id {
        tlv::write_tlv(TAG_KEY_REFERENCE, &key_reference(id), &mut data);
    }
    CommandApdu::new(0x00, 0x22, 0x41, 0xA6).with_data(data)
}

/// MSE:Set AT for Chip Authentication (`00 22 41 A4`; TR-03110-3 §B.11.1): the
/// protocol OID's content in `80`, the key reference in `84`.
pub fn mse_set_at(protocol: &ChipAuthenticationProtocol, key_id: Option<u32>) -> CommandApdu {
    let mut data = tlv::tlv(TAG_MECHANISM, &protocol.oid_bytes());
    if let Some(id) = key_id {
        tlv::write_tlv(TAG_KEY_REFERENCE, &key_reference(id), &mut data);
    }
    CommandApdu::new(0x00, 0x22, 0x41, 0xA4).with_data(data)
}

/// GENERAL AUTHENTICATE for Chip Authentication (`00 86 00 00`; TR-03110-3
/// §B.11.2): `7C { 80 <ephemeral public key> }`, Ne 256.
pub fn general_authenticate(ephemeral_public_key: &[u8]) -> CommandApdu {
    let data = tlv::tlv(TAG_DYNAMIC_AUTHENTICATION, &tlv::tlv(TAG_GA_PUBLIC_KEY, ephemeral_public_key));
    CommandApdu::new(0x00, 0x86, 0x00, 0x00).with_data(data).with_le(MAX_SHORT_LE)
}

/// The command whose protected answer proves the chip derived the new keys:
/// READ BINARY of one byte of EF.COM by its short file identifier.
pub fn proof_command() -> CommandApdu {
    CommandApdu::new(0x00, 0xB0, 0x80 | FileId::Com.sfi(), 0x00).with_le(1)
}

/// One command under `channel` (for steps run on a bare channel, before it is
/// handed to a [`SecureChip`](crate::protocol::read::SecureChip)); an
/// unprotected answer is an [`Error::Status`] (it proves nothing), a
/// secure-messaging failure the error of [`SecureChannel::unwrap`].
pub fn protected(
    t: &mut dyn Transceive,
    channel: &mut SecureChannel,
    cmd: &CommandApdu,
    during: &'static str,
) -> Result<ResponseApdu, Error> {
    let wrapped = channel.wrap(cmd)?;
    let response = transmit(t, &wrapped)?;
    match channel.unwrap(response)? {
        Unwrapped::Authentic(r) => Ok(r),
        Unwrapped::Unprotected(sw) => Err(Error::Status { during, sw }),
    }
}

fn ec_error(e: EcError) -> Error {
    tracing::debug!(error = %e, "Chip Authentication elliptic-curve step failed");
    Misbehaviour::Authentication("Chip Authentication: elliptic-curve key agreement failed").into()
}

/// Runs Chip Authentication under `channel` (see the [module documentation](self))
/// and returns the new channel, which has already carried the chip's proof.
///
/// Errors: transport failures and cancellation as they are; a refused MSE or
/// GENERAL AUTHENTICATE is [`Error::Status`] (the old session may still be
/// usable); an answer that does not verify under the new keys — a chip
/// without the private key, a clone — is the secure-messaging error of
/// [`SecureChannel::unwrap`] or an [`Error::Status`] for an unprotected
/// answer: in both cases the old session is gone too.
pub fn chip_authentication(
    t: &mut dyn Transceive,
    channel: &mut SecureChannel,
    params: &CaParams,
    rng: &mut dyn Rng,
) -> Result<SecureChannel, Error> {
    let curve = params.curve;
    let sk_eph = curve.random_scalar(rng).map_err(ec_error)?;
    let pk_eph = curve.public_key(&sk_eph).map_err(ec_error)?;
    let shared = curve.mul(&params.chip_public_key, &sk_eph).map_err(ec_error)?;
    let k = curve.x_coordinate(&shared).map_err(ec_error)?;
    drop(shared);

    let kind = params.protocol.cipher.key_kind();
    if kind == KeyKind::Des3 {
        let r = protected(t, channel, &mse_set_kat(&pk_eph, params.key_id), "MSE:Set KAT (Chip Authentication)")?;
        r.ok("MSE:Set KAT (Chip Authentication)")?;
    } else {
        let r =
            protected(t, channel, &mse_set_at(&params.protocol, params.key_id), "MSE:Set AT (Chip Authentication)")?;
        r.ok("MSE:Set AT (Chip Authentication)")?;
        let r = protected(t, channel, &general_authenticate(&pk_eph), "GENERAL AUTHENTICATE (Chip Authentication)")?;
        let r = r.ok("GENERAL AUTHENTICATE (Chip Authentication)")?;
        check_ga_response(&r.data);
    }

    let ks_enc = kdf(&k, KDF_ENC, kind);
    let ks_mac = kdf(&k, KDF_MAC, kind);
    let mut next = match kind {
        KeyKind::Des3 => SecureChannel::des3(&ks_enc, &ks_mac, [0; 8])?,
        _ => SecureChannel::aes(&ks_enc, &ks_mac, [0; 16])?,
    };
    let proof = protected(t, &mut next, &proof_command(), "the first command after Chip Authentication")?;
    if proof.sw != StatusWord::OK {
        // Authentic all the same: the chip derived the keys.
        tracing::info!(sw = %proof.sw, "first command after Chip Authentication answered with a warning or error");
    }
    Ok(next)
}

/// CA v1 answers GENERAL AUTHENTICATE with an empty `7C 00` (TR-03110-3
/// §B.11.2); anything else is only logged — the proof is the next command.
fn check_ga_response(data: &[u8]) {
    if data.is_empty() {
        return;
    }
    if data.len() > MAX_GA_RESPONSE {
        tracing::info!(len = data.len(), "long GENERAL AUTHENTICATE answer to Chip Authentication ignored");
        return;
    }
    let mut r = Reader::new(data);
    if tlv::expect_tlv(&mut r, TAG_DYNAMIC_AUTHENTICATION, "Chip Authentication dynamic authentication data").is_err() {
        tracing::info!("GENERAL AUTHENTICATE answer to Chip Authentication is not 7C; ignored");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::lds::dg14;
    use crate::protocol::lds::security_infos::build::{info, int, oid, set};
    use crate::protocol::tlv::tlv;
    use hex_literal::hex;

    const OID_PK_ECDH: [u8; 9] = hex!("04007F000702020102");
    const OID_CA_ECDH_AES128: [u8; 10] = hex!("04007F00070202030202");
    const OID_CA_DH_3DES: [u8; 10] = hex!("04007F00070202030101");
    const OID_PK_DH: [u8; 9] = hex!("04007F000702020101");

    /// A P-256 SPKI with a real point (the generator, 2·G is as good as any).
    fn p256_spki() -> Vec<u8> {
        let point = Curve::NistP256.generator();
        let alg = tlv(0x30, &[tlv(0x06, &hex!("2A8648CE3D0201")), tlv(0x06, &hex!("2A8648CE3D030107"))].concat());
        tlv(0x30, &[alg, tlv(0x03, &[&[0u8][..], &point].concat())].concat())
    }

    fn dg14_of(entries: &[Vec<u8>]) -> Dg14 {
        dg14::parse(&tlv(0x6E, &set(entries))).unwrap()
    }

    #[test]
    fn chooses_the_aes_protocol_and_its_key() {
        let dg14 = dg14_of(&[info(&[oid(&OID_PK_ECDH), p256_spki()]), info(&[oid(&OID_CA_ECDH_AES128), int(1)])]);
        let p = choose(&dg14).unwrap();
        assert_eq!(p.protocol.oid, "0.4.0.127.0.7.2.2.3.2.2");
        assert_eq!((p.curve, p.key_id, p.assumed), (Curve::NistP256, None, false));
        assert_eq!(p.chip_public_key, Curve::NistP256.generator());
        assert!(!format!("{p:?}").contains("6B17D1F2"), "Debug hides the key");
    }

    #[test]
    fn key_ids_pick_the_key_and_are_sent() {
        let other = {
            let alg = tlv(0x30, &[tlv(0x06, &hex!("2A8648CE3D0201")), tlv(0x06, &hex!("2B2403030208010107"))].concat());
            let g = Curve::BrainpoolP256r1.generator();
            tlv(0x30, &[alg, tlv(0x03, &[&[0u8][..], &g].concat())].concat())
        };
        let dg14 = dg14_of(&[
            info(&[oid(&OID_PK_ECDH), p256_spki(), int(1)]),
            info(&[oid(&OID_PK_ECDH), other, int(2)]),
            info(&[oid(&OID_CA_ECDH_AES128), int(1), int(2)]),
        ]);
        let p = choose(&dg14).unwrap();
        assert_eq!((p.curve, p.key_id), (Curve::BrainpoolP256r1, Some(2)));
        let cmd = mse_set_at(&p.protocol, p.key_id);
        assert_eq!(cmd.to_bytes().unwrap(), hex!("0022 41A4 0F 800A04007F00070202030202 840102"));
    }

    #[test]
    fn without_info_3des_is_assumed() {
        let dg14 = dg14_of(&[info(&[oid(&OID_PK_ECDH), p256_spki()])]);
        let p = choose(&dg14).unwrap();
        assert_eq!(p.protocol.oid, "0.4.0.127.0.7.2.2.3.2.1");
        assert!(p.assumed);
    }

    #[test]
    fn unsupported_and_invalid() {
        // No CA key at all (the AA-only DG14 of a passport).
        let aa_only = dg14_of(&[info(&[oid(&hex!("678108010105")), int(1), oid(&hex!("04007F00070101040103"))])]);
        assert_eq!(choose(&aa_only).unwrap_err().check(), ChipCheck::NotSupported);
        // DH: not supported.
        let dh_params = tlv(0x30, &[tlv(0x02, &[0x17]), tlv(0x02, &[0x05])].concat());
        let dh_alg = tlv(0x30, &[tlv(0x06, &hex!("2A8648CE3E0201")), dh_params].concat());
        let dh_spki = tlv(0x30, &[dh_alg, tlv(0x03, &[0, 2, 0x01, 0x03])].concat());
        let dh = dg14_of(&[info(&[oid(&OID_PK_DH), dh_spki]), info(&[oid(&OID_CA_DH_3DES), int(1)])]);
        assert_eq!(choose(&dh).unwrap_err().check(), ChipCheck::NotSupported);
        // An EC point not on the curve: the key is malformed → failed.
        let mut bad = p256_spki();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let invalid = dg14_of(&[info(&[oid(&OID_PK_ECDH), bad]), info(&[oid(&OID_CA_ECDH_AES128), int(1)])]);
        assert_eq!(choose(&invalid).unwrap_err().check(), ChipCheck::Failed);
        // A version-2 info only: not supported.
        let v2 = dg14_of(&[info(&[oid(&OID_PK_ECDH), p256_spki()]), info(&[oid(&OID_CA_ECDH_AES128), int(2)])]);
        assert_eq!(choose(&v2).unwrap_err().check(), ChipCheck::NotSupported);
    }

    proptest::proptest! {
        /// A mutated DG14 either does not parse or yields a choice or an error — never a panic.
        #[test]
        fn mutated_dg14_never_panics(at in 0usize..120, byte in proptest::prelude::any::<u8>()) {
            let mut bytes = tlv(0x6E, &set(&[
                info(&[oid(&OID_PK_ECDH), p256_spki(), int(1)]),
                info(&[oid(&OID_CA_ECDH_AES128), int(1), int(1)]),
            ]));
            if let Some(b) = bytes.get_mut(at) {
                *b = byte;
            }
            if let Ok(dg14) = dg14::parse(&bytes) {
                let _ = choose(&dg14);
            }
        }
    }

    #[test]
    fn command_formats() {
        let pk = [0x04u8, 0xAA, 0xBB];
        assert_eq!(mse_set_kat(&pk, None).to_bytes().unwrap(), hex!("002241A6 05 910304AABB"));
        assert_eq!(mse_set_kat(&pk, Some(0x0102)).to_bytes().unwrap(), hex!("002241A6 09 910304AABB 84020102"));
        assert_eq!(general_authenticate(&pk).to_bytes().unwrap(), hex!("00860000 07 7C05 800304AABB 00"));
        assert_eq!(proof_command().to_bytes().unwrap(), hex!("00B09E0001"));
        assert_eq!(key_reference(0), [0]);
        assert_eq!(key_reference(0x010000), [1, 0, 0]);
    }
}
