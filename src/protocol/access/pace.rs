//! PACE v2 with ECDH Generic Mapping (ICAO 9303-11 §4.4; BSI TR-03110-2 §3.2,
//! TR-03110-3 §A.3): the terminal side.
//!
//! 1. MSE:Set AT (`00 22 C1 A4`): the protocol OID (`80`), the password
//!    reference (`83`: 1 = MRZ, 2 = CAN) and, when needed, the domain
//!    parameter id (`84`).
//! 2. GENERAL AUTHENTICATE (chained, CLA `10`), step 1: the chip's encrypted
//!    nonce `z`; `s` = D(`k_pi`, `z`), `k_pi` = KDF(π, 3) (§9.7.3) where π is
//!    the CAN's ASCII digits or SHA-1 of the MRZ information.
//! 3. Step 2, mapping: exchange `pk_map` keys; `h` = `sk_map`·`pk_map_icc`;
//!    the mapped generator `g'` = `s`·G + `h` (§4.4.3.3.1).
//! 4. Step 3, key agreement on `g'`: exchange ephemeral keys (the chip's
//!    must differ from ours); `k` = x(`sk_eph`·`pk_eph_icc`); `ks_enc`,
//!    `ks_mac` = KDF(`k`, 1/2).
//! 5. Step 4 (CLA `00`), mutual authentication: `t_ifd` = MAC(`ks_mac`,
//!    `7F49 { 06 oid, 86 pk_eph_icc }`) goes to the chip; its `t_icc` must
//!    equal MAC(`ks_mac`, `7F49 { 06 oid, 86 pk_eph_ifd }`) (§4.4.3.4, §9.7.4).
//! 6. Secure messaging with the session keys and an SSC of zero.
//!
//! Secrets (π, `k_pi`, `s`, private keys, `k`) live in `Zeroizing` buffers.

use crate::protocol::access::Rng;
use crate::protocol::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::protocol::crypto::ec::Curve;
use crate::protocol::crypto::{self, KDF_ENC, KDF_MAC, KDF_PACE, KeyKind};
use crate::protocol::error::{Error, Misbehaviour};
use crate::protocol::sm::SecureChannel;
use crate::protocol::tlv::{self, Reader};
use crate::protocol::transceive::{Transceive, transmit};
use digest::Digest;
use zeroize::Zeroizing;

/// The password PACE is run with (ICAO 9303-11 §4.4.1, Table 2).
#[derive(Clone, Copy)]
pub enum Password<'a> {
    /// The MRZ information (document number, birth and expiry dates with check digits).
    Mrz(&'a [u8]),
    /// The card access number, as printed (ASCII digits).
    Can(&'a str),
}

impl core::fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Mrz(_) => "Password::Mrz(<redacted>)",
            Self::Can(_) => "Password::Can(<redacted>)",
        })
    }
}

impl Password<'_> {
    /// The password reference of MSE:Set AT, tag `83` (1 = MRZ, 2 = CAN).
    pub fn reference(&self) -> u8 {
        match self {
            Self::Mrz(_) => 1,
            Self::Can(_) => 2,
        }
    }

    /// π: SHA-1 of the MRZ information, or the CAN's bytes (ICAO 9303-11 §9.7.3).
    pub fn pi(&self) -> Zeroizing<Vec<u8>> {
        match self {
            Self::Mrz(info) => Zeroizing::new(sha1::Sha1::digest(info).to_vec()),
            Self::Can(can) => Zeroizing::new(can.as_bytes().to_vec()),
        }
    }
}

/// The PACE variant to run, from the chip's PACEInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceParams {
    /// The value bytes of the protocol OID (e.g. id-PACE-ECDH-GM-AES-CBC-CMAC-128).
    pub protocol_oid: Vec<u8>,
    /// The key kind the OID names (3DES, AES-128/192/256).
    pub cipher: KeyKind,
    /// The standardized domain parameters.
    pub curve: Curve,
    /// Sent as tag `84` of MSE:Set AT when present (needed when the chip offers
    /// several parameter sets; omitted otherwise, as in the ICAO worked example).
    pub parameter_id: Option<u8>,
}

/// Upper bound on one dynamic authentication data object from the chip.
const MAX_DYNAMIC_AUTH_DATA: usize = 512;

/// Runs PACE and returns the secure channel it establishes.
///
/// Errors: a non-`9000` MSE:Set AT is [`Error::Status`] (PACE not usable: the
/// caller may fall back to BAC); `6300` in any step, any refusal of our token,
/// and a chip token that does not verify are [`Error::AccessDenied`] — the
/// password is wrong, and must not be retried; malformed or invalid points are
/// [`Misbehaviour::Authentication`].
pub fn pace<T: Transceive + ?Sized>(
    t: &mut T,
    params: &PaceParams,
    password: Password<'_>,
    rng: &mut dyn Rng,
) -> Result<SecureChannel, Error> {
    let curve = params.curve;
    // 1. MSE:Set AT
    let mut set_at = tlv::tlv(0x80, &params.protocol_oid);
    tlv::write_tlv(0x83, &[password.reference()], &mut set_at);
    if let Some(id) = params.parameter_id {
        tlv::write_tlv(0x84, &[id], &mut set_at);
    }
    transmit(t, &CommandApdu::new(0x00, 0x22, 0xC1, 0xA4).with_data(set_at))?.ok("MSE:Set AT")?;

    // 2. Encrypted nonce
    let z = general_authenticate(t, 0x10, &[], 0x80)?;
    let block = if params.cipher == KeyKind::Des3 { 8 } else { 16 };
    if z.is_empty() || z.len() % block != 0 {
        return Err(Misbehaviour::Authentication("PACE encrypted nonce has a wrong length").into());
    }
    let k_pi = crypto::kdf(&password.pi(), KDF_PACE, params.cipher);
    let mut s = Zeroizing::new(z.to_vec());
    decrypt(params.cipher, &k_pi, &mut s)?;

    // 3. Generic Mapping
    let sk_map = curve.random_scalar(rng).map_err(ec_error)?;
    let pk_map_ifd = curve.public_key(&sk_map).map_err(ec_error)?;
    let pk_map_icc = general_authenticate(t, 0x10, &tlv::tlv(0x81, &pk_map_ifd), 0x82)?;
    let h = curve.mul(&pk_map_icc, &sk_map).map_err(ec_error)?;
    let g_mapped = curve.map_generator(&s, &h).map_err(ec_error)?;

    // 4. Key agreement on the mapped generator
    let sk_eph = curve.random_scalar(rng).map_err(ec_error)?;
    let pk_eph_ifd = curve.mul(&g_mapped, &sk_eph).map_err(ec_error)?;
    let pk_eph_icc = general_authenticate(t, 0x10, &tlv::tlv(0x83, &pk_eph_ifd), 0x84)?;
    if crypto::ct_eq(&pk_eph_icc, &pk_eph_ifd) {
        return Err(Misbehaviour::Authentication("the chip echoed our ephemeral PACE key").into());
    }
    let shared = curve.mul(&pk_eph_icc, &sk_eph).map_err(ec_error)?;
    let k = curve.x_coordinate(&shared).map_err(ec_error)?;
    let ks_enc = crypto::kdf(&k, KDF_ENC, params.cipher);
    let ks_mac = crypto::kdf(&k, KDF_MAC, params.cipher);

    // 5. Mutual authentication
    let t_ifd = token(params, &ks_mac, &pk_eph_icc)?;
    let response = transmit(t, &ga_command(0x00, &tlv::tlv(0x85, &t_ifd)))?;
    if !response.sw.is_ok() {
        return Err(Error::AccessDenied(response.sw));
    }
    let t_icc = dynamic_object(&response, 0x86)?;
    let expected = token(params, &ks_mac, &pk_eph_ifd)?;
    if !crypto::ct_eq(&t_icc, &expected) {
        // A failed token check is a rejected password (ICAO 9303-11 §4.4.3.4):
        // reported like the chip's own `6300`, so it is never retried.
        tracing::info!("the chip's PACE authentication token does not verify");
        return Err(Error::AccessDenied(StatusWord::VERIFICATION_FAILED));
    }

    // 6. Secure messaging, SSC = 0
    match params.cipher {
        KeyKind::Des3 => SecureChannel::des3(&ks_enc, &ks_mac, [0; 8]),
        _ => SecureChannel::aes(&ks_enc, &ks_mac, [0; 16]),
    }
}

fn ec_error(e: crate::protocol::crypto::ec::EcError) -> Error {
    tracing::debug!(error = %e, "PACE elliptic-curve step failed");
    Misbehaviour::Authentication("PACE: invalid elliptic-curve point from the chip").into()
}

fn decrypt(kind: KeyKind, key: &[u8], data: &mut [u8]) -> Result<(), Error> {
    let r = match kind {
        KeyKind::Des3 => crypto::des3_cbc_decrypt(key, &[0; 8], data),
        _ => crypto::aes_cbc_decrypt(key, &[0; 16], data),
    };
    r.map_err(|_| Misbehaviour::Authentication("PACE encrypted nonce does not decrypt").into())
}

/// The authentication token (ICAO 9303-11 §9.7.4): a MAC over the public key
/// data object `7F49 { 06 <protocol OID>, 86 <point> }` of the other side's key.
pub fn token(params: &PaceParams, ks_mac: &[u8], point: &[u8]) -> Result<[u8; 8], Error> {
    let mut body = tlv::tlv(0x06, &params.protocol_oid);
    tlv::write_tlv(0x86, point, &mut body);
    let input = tlv::tlv(0x7F49, &body);
    let mut out = [0u8; 8];
    match params.cipher {
        KeyKind::Des3 => {
            out =
                crypto::retail_mac(ks_mac, &crypto::pad(&input, 8)).map_err(|_| Error::Unsupported("PACE MAC key"))?;
        }
        _ => {
            let full = crypto::aes_cmac(ks_mac, &input).map_err(|_| Error::Unsupported("PACE MAC key"))?;
            out.copy_from_slice(full.get(..8).unwrap_or(&[0; 8]));
        }
    }
    Ok(out)
}

/// A GENERAL AUTHENTICATE command (`xx 86 00 00`) with dynamic authentication data `7C { data }`.
fn ga_command(cla: u8, data: &[u8]) -> CommandApdu {
    CommandApdu::new(cla, 0x86, 0x00, 0x00).with_data(tlv::tlv(0x7C, data)).with_le(256)
}

/// Sends one chained step and returns the value of the expected response object.
fn general_authenticate<T: Transceive + ?Sized>(
    t: &mut T,
    cla: u8,
    data: &[u8],
    expect: u32,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let response = transmit(t, &ga_command(cla, data))?;
    if response.sw == StatusWord::VERIFICATION_FAILED {
        return Err(Error::AccessDenied(response.sw));
    }
    let response = response.ok("PACE GENERAL AUTHENTICATE")?;
    dynamic_object(&response, expect)
}

/// Parses `7C L { <tag> L value }` (other objects after it are ignored, e.g.
/// CARs in the last step) and returns the value of `tag`.
fn dynamic_object(response: &ResponseApdu, tag: u32) -> Result<Zeroizing<Vec<u8>>, Error> {
    const WHAT: &str = "PACE dynamic authentication data";
    if response.data.len() > MAX_DYNAMIC_AUTH_DATA {
        return Err(Error::Limit { what: WHAT, limit: MAX_DYNAMIC_AUTH_DATA });
    }
    let outer = tlv::single_tlv(&response.data, 0x7C, WHAT)?;
    let mut r = Reader::new(outer);
    let value = tlv::expect_tlv(&mut r, tag, WHAT)?;
    Ok(Zeroizing::new(value.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::TransportError;
    use hex_literal::hex;
    use std::collections::VecDeque;

    /// Replays the chip's side of a transcript and checks every command byte for byte.
    struct Transcript(VecDeque<(Vec<u8>, Vec<u8>)>);

    impl Transceive for Transcript {
        fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            let (expected, response) = self.0.pop_front().ok_or(TransportError::CardRemoved)?;
            assert_eq!(hex::encode_upper(command), hex::encode_upper(&expected));
            Ok(response)
        }
    }

    struct Fixed(VecDeque<Vec<u8>>);
    impl Rng for Fixed {
        fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error> {
            let v = self.0.pop_front().ok_or(Error::Cancelled)?;
            buf.copy_from_slice(&v);
            Ok(())
        }
    }

    const OID_ECDH_GM_AES_128: [u8; 10] = hex!("04007F00070202040202");

    fn g1_params() -> PaceParams {
        PaceParams {
            protocol_oid: OID_ECDH_GM_AES_128.to_vec(),
            cipher: KeyKind::Aes128,
            curve: Curve::BrainpoolP256r1,
            parameter_id: None,
        }
    }

    /// ICAO 9303-11 Appendix G.1: PACE, ECDH Generic Mapping on brainpoolP256r1,
    /// AES-128, MRZ password of T22000129 / 640812 / 101031 — every APDU and the session keys.
    #[test]
    fn appendix_g1_worked_example() {
        let mrz_information = b"T22000129364081251010318";
        let mut chip = g1_transcript(&hex!("7C0A86083ABB9674BCE93C089000"));
        let mut rng = g1_rng();
        // K_pi and the decrypted nonce of the example.
        let pi = Password::Mrz(mrz_information).pi();
        assert_eq!(&crypto::kdf(&pi, KDF_PACE, KeyKind::Aes128)[..], hex!("89DED1B26624EC1E634C1989302849DD"));
        let channel = pace(&mut chip, &g1_params(), Password::Mrz(mrz_information), &mut rng).unwrap();
        assert!(chip.0.is_empty());
        assert_eq!(channel.ssc(), [0u8; 16]);
        // The session keys are KS_enc = F5F0E35C…, KS_mac = FE251C78…: the token of step 4 matched,
        // which is a MAC under KS_mac; check both directly too.
        let t = token(&g1_params(), &hex!("FE251C7858B356B24514B3BD5F4297D1"), &hex!("049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094")).unwrap();
        assert_eq!(t, hex!("C2B0BD78D94BA866"));
    }

    #[test]
    fn mapped_generator_of_the_worked_example() {
        let h = hex!(
            "0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD50840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181"
        );
        let g = Curve::BrainpoolP256r1.map_generator(&hex!("3F00C4D39D153F2B2A214A078D899B22"), &h).unwrap();
        assert_eq!(
            g,
            hex!(
                "048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E28C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
            )
        );
    }

    /// The G.1 exchange, with the chip's answer to the last command replaced.
    fn g1_transcript(last_response: &[u8]) -> Transcript {
        Transcript(VecDeque::from([
            (hex!("0022C1A40F800A04007F00070202040202830101").to_vec(), hex!("9000").to_vec()),
            (hex!("10860000027C0000").to_vec(), hex!("7C12801095A3A016522EE98D01E76CB6B98B42C39000").to_vec()),
            (
                hex!("10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00").to_vec(),
                hex!("7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000").to_vec(),
            ),
            (
                hex!("10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200").to_vec(),
                hex!("7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000").to_vec(),
            ),
            (hex!("008600000C7C0A8508C2B0BD78D94BA86600").to_vec(), last_response.to_vec()),
        ]))
    }

    fn g1_rng() -> Fixed {
        Fixed(VecDeque::from([
            hex!("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99").to_vec(),
            hex!("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595").to_vec(),
        ]))
    }

    /// A chip that rejects our token (the password it holds differs) answers `6300`:
    /// access denied, and nothing more is sent.
    #[test]
    fn rejected_token_is_access_denied() {
        let mut chip = g1_transcript(&hex!("6300"));
        let err = pace(&mut chip, &g1_params(), Password::Mrz(b"T22000129364081251010318"), &mut g1_rng()).unwrap_err();
        assert_eq!(err, Error::AccessDenied(StatusWord::VERIFICATION_FAILED));
        assert!(chip.0.is_empty());
    }

    /// A chip whose own token does not verify is not trusted.
    #[test]
    fn wrong_chip_token_is_refused() {
        let mut chip = g1_transcript(&hex!("7C0A86083ABB9674BCE93C099000"));
        let err = pace(&mut chip, &g1_params(), Password::Mrz(b"T22000129364081251010318"), &mut g1_rng()).unwrap_err();
        assert_eq!(err, Error::AccessDenied(StatusWord::VERIFICATION_FAILED));
    }

    #[test]
    fn off_curve_points_from_the_chip_are_refused() {
        let mut chip = Transcript(VecDeque::from([
            (hex!("0022C1A40F800A04007F00070202040202830101").to_vec(), hex!("9000").to_vec()),
            (hex!("10860000027C0000").to_vec(), hex!("7C12801095A3A016522EE98D01E76CB6B98B42C39000").to_vec()),
            (
                hex!("10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00").to_vec(),
                hex!("7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C559000").to_vec(),
            ),
        ]));
        let mut rng =
            Fixed(VecDeque::from([hex!("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99").to_vec()]));
        let err = pace(&mut chip, &g1_params(), Password::Mrz(b"T22000129364081251010318"), &mut rng).unwrap_err();
        assert!(matches!(err, Error::Misbehaving(Misbehaviour::Authentication(_))), "{err:?}");
    }
}
