//! The chip side of PACE v2 with ECDH Generic Mapping (ICAO 9303-11 §4.4;
//! BSI TR-03110-2 §3.2 and TR-03110-3 §A.3, §B.1, §D.3).
//!
//! ```text
//! MSE:Set AT   00 22 C1 A4 Lc { 80 <protocol OID content>, 83 <password ref>, [84 <parameter ID>] }  → 9000
//! GA step 1    10 86 00 00 02 7C 00 00                  → 7C 12 80 10 <z = E(K_π, s)>           9000
//! GA step 2    10 86 00 00 Lc 7C L 81 L <PK_map,PCD> 00  → 7C L 82 L <PK_map,PICC>              9000
//! GA step 3    10 86 00 00 Lc 7C L 83 L <PK_eph,PCD> 00  → 7C L 84 L <PK_eph,PICC>              9000
//! GA step 4    00 86 00 00 0C 7C 0A 85 08 <T_PCD> 00     → 7C 0A 86 08 <T_PICC>                 9000
//! ```
//!
//! - Passwords (§9.7.3): MRZ (reference 01), π = SHA-1(MRZ information);
//!   CAN (reference 02), π = the CAN's ASCII digits. K_π = KDF(π, 3).
//! - The nonce s is one cipher block (16 bytes AES, 8 bytes 3DES), sent as
//!   z = E(K_π, s) in CBC mode with a zero IV (§4.4.3.1).
//! - Generic Mapping (§4.4.3.3.1): H = SK_map,PICC · PK_map,PCD, G' = s·G + H.
//! - Key agreement on G' (§4.4.3.3.2): K = x(SK_eph,PICC · PK_eph,PCD);
//!   KS_enc = KDF(K, 1), KS_mac = KDF(K, 2) (§9.7.1).
//! - Tokens (§4.4.3.4; TR-03110-3 §D.3.4): T = MAC(KS_mac, 7F49 { 06 OID,
//!   86 PK_eph of the *other* side }); MAC = AES-CMAC/8, or the retail MAC
//!   over padded data for 3DES.
//! - Secure messaging then starts with KS_enc, KS_mac and SSC = 0 (§9.8).
//!
//! As on real chips: every received point is validated (on the curve, not the
//! point at infinity, uncompressed); an ephemeral PCD key equal to the chip's
//! own is refused; a wrong T_PCD — which is what a wrong password looks like —
//! answers `6300` and the run is forgotten; a command out of order answers
//! `6985` and the run is forgotten too (so is any other error: every failed
//! GENERAL AUTHENTICATE sends the terminal back to MSE:Set AT).

use super::ec::PaceCurve;
use super::faults::{Fault, Faults, Site};
use super::rng::ChipRng;
use super::sm::{SmCipher, SmSession};
use crate::protocol::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::protocol::crypto::{self, KDF_ENC, KDF_MAC, KDF_PACE, KeyKind, SecretBytes, kdf};
use crate::protocol::tlv::{Reader, read_tlv, tlv};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

/// The symmetric part of a PACE protocol: cipher, MAC and key length
/// (ICAO 9303-11 §9.2.3; BSI TR-03110-3 §A.1.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaceCipher {
    /// 2-key 3DES-CBC with the retail MAC (`…-3DES-CBC-CBC`, arc 1).
    Des3,
    /// AES-128-CBC with CMAC (`…-AES-CBC-CMAC-128`, arc 2): the CCCD's.
    Aes128,
    /// AES-192-CBC with CMAC (`…-AES-CBC-CMAC-192`, arc 3).
    Aes192,
    /// AES-256-CBC with CMAC (`…-AES-CBC-CMAC-256`, arc 4).
    Aes256,
}

impl PaceCipher {
    /// The last arc of the protocol OID.
    fn arc(self) -> u64 {
        match self {
            Self::Des3 => 1,
            Self::Aes128 => 2,
            Self::Aes192 => 3,
            Self::Aes256 => 4,
        }
    }

    fn key_kind(self) -> KeyKind {
        match self {
            Self::Des3 => KeyKind::Des3,
            Self::Aes128 => KeyKind::Aes128,
            Self::Aes192 => KeyKind::Aes192,
            Self::Aes256 => KeyKind::Aes256,
        }
    }

    fn sm(self) -> SmCipher {
        match self {
            Self::Des3 => SmCipher::Des3,
            _ => SmCipher::Aes,
        }
    }

    /// The block size: nonce length and SSC length.
    fn block(self) -> usize {
        self.sm().block()
    }
}

/// A PACE protocol the chip offers: ECDH Generic Mapping with a cipher suite
/// on a standardized curve, i.e. one PACEInfo of EF.CardAccess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaceSuite {
    /// Cipher and MAC.
    pub cipher: PaceCipher,
    /// The standardized domain parameters.
    pub curve: PaceCurve,
}

impl PaceSuite {
    /// The CCCD's: id-PACE-ECDH-GM-AES-CBC-CMAC-128 on brainpoolP256r1 (parameter ID 13).
    pub const CCCD: PaceSuite = PaceSuite { cipher: PaceCipher::Aes128, curve: PaceCurve::BrainpoolP256r1 };

    /// ECDH Generic Mapping with `cipher` on `curve`.
    pub const fn new(cipher: PaceCipher, curve: PaceCurve) -> Self {
        Self { cipher, curve }
    }

    /// The protocol object identifier's arcs, e.g. 0.4.0.127.0.7.2.2.4.2.2.
    pub fn oid_arcs(self) -> Vec<u64> {
        let mut arcs = super::der::oids::PACE_ECDH_GM.to_vec();
        arcs.push(self.cipher.arc());
        arcs
    }

    /// The OID's content octets (what MSE:Set AT's DO'80' carries), e.g.
    /// `04 00 7F 00 07 02 02 04 02 02`.
    pub fn oid_content(self) -> Vec<u8> {
        let der = super::der::oid(&self.oid_arcs());
        // The writer emits `06 L content` with a one-byte length.
        der.get(2..).unwrap_or(&[]).to_vec()
    }

    /// The standardized domain parameter ID (PACEInfo's parameterId).
    pub fn parameter_id(self) -> u8 {
        self.curve.parameter_id()
    }

    /// PACEInfo (ICAO 9303-11 §9.2.1; TR-03110-3 §A.1.1.1):
    /// `SEQUENCE { protocol OBJECT IDENTIFIER, version INTEGER (2), parameterId INTEGER }`.
    pub(crate) fn pace_info(self) -> Vec<u8> {
        use super::der;
        der::seq(&[&der::oid(&self.oid_arcs()), &der::int(2), &der::int(u64::from(self.parameter_id()))])
    }
}

/// The passwords of a document: the MRZ information and the CAN.
pub(crate) struct Passwords<'a> {
    pub mrz_information: &'a str,
    pub can: Option<&'a str>,
}

/// The password reference of MSE:Set AT's DO'83' (ICAO 9303-11 §4.4.4.1 Table).
const PASSWORD_MRZ: u8 = 0x01;
const PASSWORD_CAN: u8 = 0x02;

/// Where a PACE run stands. Secrets are wiped when the state is replaced.
#[derive(Default)]
pub(crate) enum Pace {
    /// No run: GENERAL AUTHENTICATE answers `6985`.
    #[default]
    Idle,
    /// MSE:Set AT accepted: K_π derived, waiting for step 1.
    Ready { suite: PaceSuite, k_pi: SecretBytes },
    /// The encrypted nonce was sent: waiting for PK_map,PCD.
    NonceSent { suite: PaceSuite, s: SecretBytes },
    /// G' computed and PK_map,PICC sent: waiting for PK_eph,PCD.
    Mapped { suite: PaceSuite, g_hat: Vec<u8> },
    /// Session keys agreed: waiting for T_PCD.
    Agreed { suite: PaceSuite, ks_enc: SecretBytes, ks_mac: SecretBytes, pk_pcd: Vec<u8>, pk_picc: Vec<u8> },
}

/// The result of MSE:Set AT.
pub(crate) fn mse_set_at(data: &[u8], suites: &[PaceSuite], passwords: &Passwords<'_>) -> Result<Pace, StatusWord> {
    const WHAT: &str = "MSE:Set AT";
    let wrong = StatusWord::WRONG_DATA;
    let (mut oid, mut reference, mut parameter) = (None, None, None);
    let mut r = Reader::new(data);
    while !r.is_empty() {
        let t = read_tlv(&mut r, WHAT).map_err(|_| wrong)?;
        let slot = match t.tag {
            0x80 => &mut oid,
            0x83 => &mut reference,
            0x84 => &mut parameter,
            _ => return Err(wrong),
        };
        if slot.replace(t.value).is_some() {
            return Err(wrong);
        }
    }
    let (Some(oid), Some(reference)) = (oid, reference) else {
        return Err(wrong);
    };
    let mut candidates = suites.iter().filter(|s| s.oid_content() == oid);
    let suite = match parameter {
        Some([id]) => candidates.find(|s| s.parameter_id() == *id).copied().ok_or(wrong)?,
        Some(_) => return Err(wrong),
        None => {
            // Without DO'84' the parameters must be unambiguous (ICAO 9303-11 §4.4.4.1).
            let first = candidates.next().copied().ok_or(wrong)?;
            if candidates.next().is_some() {
                return Err(wrong);
            }
            first
        }
    };
    let pi: Zeroizing<Vec<u8>> = match reference {
        [PASSWORD_MRZ] => Zeroizing::new(Sha1::digest(passwords.mrz_information.as_bytes()).to_vec()),
        [PASSWORD_CAN] => match passwords.can {
            Some(can) => Zeroizing::new(can.as_bytes().to_vec()),
            None => return Err(StatusWord::DATA_NOT_FOUND),
        },
        // PIN and PUK (03, 04) are not eMRTD passwords; anything else is not a reference.
        [0x03 | 0x04] => return Err(StatusWord::DATA_NOT_FOUND),
        _ => return Err(wrong),
    };
    Ok(Pace::Ready { suite, k_pi: kdf(&pi, KDF_PACE, suite.cipher.key_kind()) })
}

/// What GENERAL AUTHENTICATE produced.
pub(crate) enum GaOutcome {
    /// An answer; the run goes on (9000) or is over (an error).
    Answer(ResponseApdu),
    /// PACE succeeded: the plain answer with T_PICC and the new session.
    Established(ResponseApdu, SmSession, PaceSuite),
}

/// What the chip needs from its surroundings during GENERAL AUTHENTICATE.
pub(crate) struct Context<'a> {
    pub rng: &'a mut ChipRng,
    pub faults: &'a mut Faults,
    pub apdu: usize,
    pub attempts: &'a mut usize,
}

fn answer(sw: StatusWord) -> GaOutcome {
    GaOutcome::Answer(ResponseApdu::status(sw))
}

fn dynamic_authentication_data(tag: u32, value: &[u8]) -> GaOutcome {
    GaOutcome::Answer(ResponseApdu { data: tlv(0x7C, &tlv(tag, value)), sw: StatusWord::OK })
}

/// The authentication token (ICAO 9303-11 §4.4.3.4): MAC over the public key
/// data object `7F49 { 06 OID, 86 point }` (TR-03110-3 §D.3.4, "context" not used).
pub(crate) fn token(suite: PaceSuite, ks_mac: &[u8], point: &[u8]) -> Option<[u8; 8]> {
    let mut body = tlv(0x06, &suite.oid_content());
    body.extend_from_slice(&tlv(0x86, point));
    let input = tlv(0x7F49, &body);
    match suite.cipher {
        PaceCipher::Des3 => crypto::retail_mac(ks_mac, &crypto::pad(&input, 8)).ok(),
        _ => {
            let full = crypto::aes_cmac(ks_mac, &input).ok()?;
            let mut out = [0u8; 8];
            out.copy_from_slice(full.get(..8)?);
            Some(out)
        }
    }
}

/// GENERAL AUTHENTICATE (`86`) in state `pace`; `pace` is left `Idle` after
/// any error and after success.
pub(crate) fn general_authenticate(pace: &mut Pace, cmd: &CommandApdu, cx: Context<'_>) -> GaOutcome {
    let state = core::mem::take(pace);
    if cmd.p1 != 0 || cmd.p2 != 0 {
        return answer(StatusWord::INCORRECT_P1P2);
    }
    // Dynamic Authentication Data: exactly `7C L { one data object }`.
    let mut r = Reader::new(&cmd.data);
    let Ok(outer) = read_tlv(&mut r, "7C") else {
        return answer(StatusWord::WRONG_DATA);
    };
    if outer.tag != 0x7C || !r.is_empty() {
        return answer(StatusWord::WRONG_DATA);
    }
    let inner = if outer.value.is_empty() {
        None
    } else {
        let mut r = Reader::new(outer.value);
        match read_tlv(&mut r, "PACE data object") {
            Ok(t) if r.is_empty() => Some(t),
            _ => return answer(StatusWord::WRONG_DATA),
        }
    };
    let step = match inner.as_ref().map(|t| (t.tag, t.value.is_empty())) {
        None | Some((0x80, true)) => 1,
        Some((0x81, false)) => 2,
        Some((0x83, false)) => 3,
        Some((0x85, _)) => 4,
        _ => return answer(StatusWord::WRONG_DATA),
    };
    let value = inner.map(|t| t.value).unwrap_or(&[]);
    let expected = match &state {
        Pace::Idle => 0,
        Pace::Ready { .. } => 1,
        Pace::NonceSent { .. } => 2,
        Pace::Mapped { .. } => 3,
        Pace::Agreed { .. } => 4,
    };
    // Steps 1-3 are chained (CLA b5 set); step 4 is the last command of the chain.
    let chained = cmd.cla & 0x10 != 0;
    if step != expected || chained != (step < 4) {
        return answer(StatusWord::CONDITIONS_NOT_SATISFIED);
    }
    match state {
        Pace::Ready { suite, k_pi } => {
            let mut s = Zeroizing::new(vec![0u8; suite.cipher.block()]);
            if cx.rng.fill(&mut s).is_err() {
                return answer(StatusWord::UNKNOWN);
            }
            let mut z = s.to_vec();
            let encrypted = match suite.cipher {
                PaceCipher::Des3 => crypto::des3_cbc_encrypt(&k_pi, &[0; 8], &mut z),
                _ => crypto::aes_cbc_encrypt(&k_pi, &[0; 16], &mut z),
            };
            if encrypted.is_err() {
                return answer(StatusWord::UNKNOWN);
            }
            *cx.attempts = cx.attempts.saturating_add(1);
            *pace = Pace::NonceSent { suite, s };
            dynamic_authentication_data(0x80, &z)
        }
        Pace::NonceSent { suite, s } => {
            let curve = suite.curve;
            if !curve.is_point(value) {
                return answer(StatusWord::WRONG_DATA);
            }
            let Ok(sk_map) = curve.random_scalar(cx.rng) else {
                return answer(StatusWord::UNKNOWN);
            };
            let (Some(mut pk_map), Some(h)) =
                (curve.mul(&curve.generator(), &sk_map), curve.mul(value, &sk_map).map(Zeroizing::new))
            else {
                return answer(StatusWord::WRONG_DATA);
            };
            let Some(g_hat) = curve.generic_map(&s, &h) else {
                return answer(StatusWord::WRONG_DATA);
            };
            let fired = cx.faults.fire(Site::PaceMapping, cx.apdu);
            if fired.has(&Fault::PaceBadMappingPoint) {
                // Flip the last bit of y: (x, y ^ 1) is on the curve only if y ^ 1 = p - y,
                // which no odd prime allows.
                if let Some(b) = pk_map.last_mut() {
                    *b ^= 0x01;
                }
            }
            if fired.has(&Fault::PaceTruncatedMappingPoint) {
                pk_map.pop();
            }
            *pace = Pace::Mapped { suite, g_hat };
            dynamic_authentication_data(0x82, &pk_map)
        }
        Pace::Mapped { suite, g_hat } => {
            let curve = suite.curve;
            if !curve.is_point(value) {
                return answer(StatusWord::WRONG_DATA);
            }
            let Ok(sk_eph) = curve.random_scalar(cx.rng) else {
                return answer(StatusWord::UNKNOWN);
            };
            let Some(pk_picc) = curve.mul(&g_hat, &sk_eph) else {
                return answer(StatusWord::WRONG_DATA);
            };
            // ICAO 9303-11 §4.4.3.3.2: the chip checks PK_eph,PCD ≠ PK_eph,PICC.
            if crypto::ct_eq(&pk_picc, value) {
                return answer(StatusWord::WRONG_DATA);
            }
            let Some(k) = curve.mul(value, &sk_eph).and_then(|p| curve.x_coordinate(&p)).map(Zeroizing::new) else {
                return answer(StatusWord::WRONG_DATA);
            };
            let kind = suite.cipher.key_kind();
            *pace = Pace::Agreed {
                suite,
                ks_enc: kdf(&k, KDF_ENC, kind),
                ks_mac: kdf(&k, KDF_MAC, kind),
                pk_pcd: value.to_vec(),
                pk_picc: pk_picc.clone(),
            };
            let mut sent = pk_picc;
            if cx.faults.fire(Site::PaceKeyAgreement, cx.apdu).has(&Fault::PaceBadKeyAgreementPoint)
                && let Some(b) = sent.last_mut()
            {
                // Off the curve, as for PaceBadMappingPoint.
                *b ^= 0x01;
            }
            dynamic_authentication_data(0x84, &sent)
        }
        Pace::Agreed { suite, ks_enc, ks_mac, pk_pcd, pk_picc } => {
            let expected = token(suite, &ks_mac, &pk_picc);
            if !expected.is_some_and(|t| crypto::ct_eq(&t, value)) {
                // A wrong password shows here: the PCD's keys differ from ours.
                return answer(StatusWord::VERIFICATION_FAILED);
            }
            let Some(mut t_picc) = token(suite, &ks_mac, &pk_pcd) else {
                return answer(StatusWord::UNKNOWN);
            };
            if cx.faults.fire(Site::PaceMutualAuthentication, cx.apdu).has(&Fault::PaceTokenWrong) {
                t_picc[7] ^= 0x01;
            }
            let session = SmSession::new(suite.cipher.sm(), ks_enc, ks_mac, &[]);
            GaOutcome::Established(
                ResponseApdu { data: tlv(0x7C, &tlv(0x86, &t_picc)), sw: StatusWord::OK },
                session,
                suite,
            )
        }
        Pace::Idle => answer(StatusWord::CONDITIONS_NOT_SATISFIED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn oids_and_pace_info() {
        assert_eq!(PaceSuite::CCCD.oid_content(), hex!("04007F00070202040202"));
        assert_eq!(PaceSuite::CCCD.oid_arcs(), [0, 4, 0, 127, 0, 7, 2, 2, 4, 2, 2]);
        assert_eq!(PaceSuite::new(PaceCipher::Aes256, PaceCurve::NistP256).oid_content(), hex!("04007F00070202040204"));
        assert_eq!(PaceSuite::new(PaceCipher::Des3, PaceCurve::NistP256).oid_content(), hex!("04007F00070202040201"));
        // ICAO 9303-11 Appendix G.1: EF.CardAccess = SET { this PACEInfo }.
        assert_eq!(
            super::super::der::set_of(&[&PaceSuite::CCCD.pace_info()]),
            hex!("31143012060A04007F0007020204020202010202010D")
        );
    }

    fn passwords() -> Passwords<'static> {
        Passwords { mrz_information: "T22000129364081251010318", can: Some("123456") }
    }

    /// ICAO 9303-11 Appendix G.1: K_π from the MRZ password.
    #[test]
    fn mse_set_at_derives_k_pi() {
        let suites = [PaceSuite::CCCD];
        match mse_set_at(&hex!("800A04007F00070202040202830101"), &suites, &passwords()) {
            Ok(Pace::Ready { suite, k_pi }) => {
                assert_eq!(suite, PaceSuite::CCCD);
                assert_eq!(&k_pi[..], hex!("89DED1B26624EC1E634C1989302849DD"));
            }
            _ => panic!("refused"),
        }
        assert!(mse_set_at(&hex!("800A04007F00070202040202830102840113"), &suites, &passwords()).is_err());
        assert!(matches!(
            mse_set_at(&hex!("800A04007F0007020204020283010284010D"), &suites, &passwords()),
            Ok(Pace::Ready { .. })
        ));
        let err = |data: &[u8], suites: &[PaceSuite]| match mse_set_at(data, suites, &passwords()) {
            Err(sw) => sw,
            Ok(_) => StatusWord::OK,
        };
        // Unknown protocol, missing DOs, duplicate DOs, unknown tags, bad references.
        assert_eq!(err(&hex!("800A04007F00070202040203830101"), &suites), StatusWord::WRONG_DATA);
        assert_eq!(err(&hex!("830101"), &suites), StatusWord::WRONG_DATA);
        assert_eq!(err(&hex!("800A04007F00070202040202"), &suites), StatusWord::WRONG_DATA);
        assert_eq!(err(&hex!("800A04007F00070202040202830101830101"), &suites), StatusWord::WRONG_DATA);
        assert_eq!(err(&hex!("800A04007F000702020402028301017F4C00"), &suites), StatusWord::WRONG_DATA);
        assert_eq!(err(&hex!("800A04007F00070202040202830103"), &suites), StatusWord::DATA_NOT_FOUND);
        assert_eq!(err(&hex!("800A04007F00070202040202830109"), &suites), StatusWord::WRONG_DATA);
        assert_eq!(err(&hex!("800A04007F0007020204020283010284020D00"), &suites), StatusWord::WRONG_DATA);
        assert_eq!(err(&hex!("800A04007F000702020402028301"), &suites), StatusWord::WRONG_DATA);
        // Two PACEInfos with the same protocol: DO'84' is required.
        let two = [PaceSuite::CCCD, PaceSuite::new(PaceCipher::Aes128, PaceCurve::NistP256)];
        assert_eq!(err(&hex!("800A04007F00070202040202830101"), &two), StatusWord::WRONG_DATA);
        assert_eq!(err(&hex!("800A04007F0007020204020283010184010C"), &two), StatusWord::OK);
        // No CAN on the document.
        let no_can = Passwords { mrz_information: "X", can: None };
        assert!(matches!(
            mse_set_at(&hex!("800A04007F00070202040202830102"), &suites, &no_can),
            Err(StatusWord::DATA_NOT_FOUND)
        ));
    }
}
