//! The test terminal's side of PACE (ICAO 9303-11 §4.4, ECDH Generic Mapping),
//! written on the RustCrypto curve types directly — independently of the
//! chip's `ec`/`pace` modules, which it exists to check.

use super::terminal::{Session, Terminal};
use crate::protocol::crypto::{self, KDF_ENC, KDF_MAC, KDF_PACE, KeyKind, kdf};
use crate::protocol::tlv::{Reader, read_tlv, tlv};
use p256::elliptic_curve::{
    CurveArithmetic, FieldBytes, FieldBytesSize, Group, NonZeroScalar,
    group::Curve as _,
    point::AffineCoordinates,
    sec1::{FromSec1Point, ModulusSize, ToSec1Point},
};
use sha1::Digest;

/// What the terminal asks for.
#[derive(Debug, Clone)]
pub(crate) struct PaceRequest {
    /// Last arc of id-PACE-ECDH-GM-*: 1 3DES, 2 AES-128, 3 AES-192, 4 AES-256.
    pub cipher_arc: u8,
    /// Standardized domain parameter ID: 12, 13, 15, 16, 18.
    pub parameter_id: u8,
    /// Send DO'84' with the parameter ID.
    pub send_parameter_id: bool,
    /// 1 MRZ, 2 CAN.
    pub password_ref: u8,
    /// The password as typed: the MRZ information or the CAN.
    pub password: String,
    /// Fixed terminal private keys (SK_map,PCD, SK_eph,PCD); random when `None`.
    pub keys: Option<(Vec<u8>, Vec<u8>)>,
}

impl PaceRequest {
    pub(crate) fn can(cipher_arc: u8, parameter_id: u8, can: &str) -> Self {
        Self { cipher_arc, parameter_id, send_parameter_id: true, password_ref: 2, password: can.into(), keys: None }
    }

    pub(crate) fn mrz(cipher_arc: u8, parameter_id: u8, mrz_information: &str) -> Self {
        Self { password_ref: 1, password: mrz_information.into(), ..Self::can(cipher_arc, parameter_id, "") }
    }

    /// The protocol OID's content octets: 0.4.0.127.0.7.2.2.4.2.arc.
    pub(crate) fn oid(&self) -> Vec<u8> {
        vec![0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, self.cipher_arc]
    }

    fn kind(&self) -> KeyKind {
        match self.cipher_arc {
            1 => KeyKind::Des3,
            2 => KeyKind::Aes128,
            3 => KeyKind::Aes192,
            _ => KeyKind::Aes256,
        }
    }

    /// The MSE:Set AT command.
    pub(crate) fn mse_set_at(&self) -> Vec<u8> {
        let mut data = tlv(0x80, &self.oid());
        data.extend_from_slice(&tlv(0x83, &[self.password_ref]));
        if self.send_parameter_id {
            data.extend_from_slice(&tlv(0x84, &[self.parameter_id]));
        }
        let mut apdu = vec![0x00, 0x22, 0xC1, 0xA4, data.len() as u8];
        apdu.extend_from_slice(&data);
        apdu
    }
}

/// How a PACE run failed, seen from the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PaceError {
    /// A command was refused: which one, and the status word.
    Status(&'static str, u16),
    /// The chip's response did not have the expected `7C { tag … }` shape.
    Malformed(&'static str),
    /// PK_map,PICC or PK_eph,PICC is not a valid point.
    BadChipPoint(&'static str),
    /// T_PICC did not verify.
    BadChipToken,
}

/// One GENERAL AUTHENTICATE: `CLA 86 00 00 Lc 7C{tag value} 00`, answer's `7C{answer_tag …}` value.
fn general_authenticate(
    t: &mut Terminal,
    step: &'static str,
    last: bool,
    tag: u32,
    value: &[u8],
    answer_tag: u32,
) -> Result<Vec<u8>, PaceError> {
    let data = if tag == 0 { tlv(0x7C, &[]) } else { tlv(0x7C, &tlv(tag, value)) };
    let mut apdu = vec![if last { 0x00 } else { 0x10 }, 0x86, 0x00, 0x00, data.len() as u8];
    apdu.extend_from_slice(&data);
    apdu.push(0x00);
    let answer = t.plain(&apdu);
    if answer.sw != 0x9000 {
        return Err(PaceError::Status(step, answer.sw));
    }
    let mut r = Reader::new(&answer.data);
    let outer = read_tlv(&mut r, "7C").map_err(|_| PaceError::Malformed(step))?;
    if outer.tag != 0x7C || !r.is_empty() {
        return Err(PaceError::Malformed(step));
    }
    let mut r = Reader::new(outer.value);
    let inner = read_tlv(&mut r, "DO").map_err(|_| PaceError::Malformed(step))?;
    if inner.tag != answer_tag || !r.is_empty() {
        return Err(PaceError::Malformed(step));
    }
    Ok(inner.value.to_vec())
}

/// Runs PACE; on success the terminal holds the new session.
pub(crate) fn pace(t: &mut Terminal, req: &PaceRequest) -> Result<(), PaceError> {
    match req.parameter_id {
        12 => pace_on::<p256::NistP256>(t, req),
        13 => pace_on::<bp256::r1::BrainpoolP256r1>(t, req),
        15 => pace_on::<p384::NistP384>(t, req),
        16 => pace_on::<bp384::r1::BrainpoolP384r1>(t, req),
        18 => pace_on::<p521::NistP521>(t, req),
        other => panic!("test terminal has no curve {other}"),
    }
}

fn random_key<C: CurveArithmetic>() -> NonZeroScalar<C> {
    loop {
        let mut bytes = FieldBytes::<C>::default();
        crypto::random_bytes(&mut bytes).unwrap();
        if bytes.len() == 66 {
            bytes[0] &= 0x01; // P-521
        }
        if let Some(k) = NonZeroScalar::<C>::from_repr(bytes).into_option() {
            return k;
        }
    }
}

fn key_from<C: CurveArithmetic>(bytes: &[u8]) -> NonZeroScalar<C> {
    let mut repr = FieldBytes::<C>::default();
    let n = repr.len();
    repr[n - bytes.len()..].copy_from_slice(bytes);
    NonZeroScalar::<C>::from_repr(repr).into_option().expect("valid private key")
}

fn pace_on<C>(t: &mut Terminal, req: &PaceRequest) -> Result<(), PaceError>
where
    C: CurveArithmetic,
    C::AffinePoint: FromSec1Point<C> + ToSec1Point<C> + AffineCoordinates<FieldRepr = FieldBytes<C>>,
    FieldBytesSize<C>: ModulusSize,
{
    let kind = req.kind();
    let aes = kind != KeyKind::Des3;
    // π (ICAO 9303-11 §9.7.3): SHA-1 of the MRZ information, or the CAN itself.
    let pi = if req.password_ref == 1 {
        sha1::Sha1::digest(req.password.as_bytes()).to_vec()
    } else {
        req.password.clone().into_bytes()
    };
    let k_pi = kdf(&pi, KDF_PACE, kind);
    let sw = t.plain(&req.mse_set_at()).sw;
    if sw != 0x9000 {
        return Err(PaceError::Status("MSE:Set AT", sw));
    }
    // Step 1: the encrypted nonce.
    let mut s = general_authenticate(t, "GA1", false, 0, &[], 0x80)?;
    if aes {
        crypto::aes_cbc_decrypt(&k_pi, &[0; 16], &mut s).map_err(|_| PaceError::Malformed("nonce"))?;
    } else {
        crypto::des3_cbc_decrypt(&k_pi, &[0; 8], &mut s).map_err(|_| PaceError::Malformed("nonce"))?;
    }
    let (sk_map, sk_eph) = match &req.keys {
        Some((a, b)) => (key_from::<C>(a), key_from::<C>(b)),
        None => (random_key::<C>(), random_key::<C>()),
    };
    let encode = |p: C::ProjectivePoint| p.to_affine().to_sec1_point(false).as_bytes().to_vec();
    let decode = |b: &[u8], what| {
        C::AffinePoint::from_sec1_bytes(b).map(C::ProjectivePoint::from).map_err(|_| PaceError::BadChipPoint(what))
    };
    // Step 2: Generic Mapping. G' = s·G + SK_map,PCD·PK_map,PICC.
    let g = C::ProjectivePoint::generator();
    let pk_map_picc = general_authenticate(t, "GA2", false, 0x81, &encode(g * *sk_map), 0x82)?;
    let h = decode(&pk_map_picc, "PK_map,PICC")? * *sk_map;
    let s_scalar = key_from::<C>(&s);
    let g_hat = g * *s_scalar + h;
    // Step 3: key agreement on G'.
    let pk_eph_pcd = encode(g_hat * *sk_eph);
    let pk_eph_picc = general_authenticate(t, "GA3", false, 0x83, &pk_eph_pcd, 0x84)?;
    let shared = (decode(&pk_eph_picc, "PK_eph,PICC")? * *sk_eph).to_affine();
    let k = shared.x().to_vec();
    let ks_enc = kdf(&k, KDF_ENC, kind).to_vec();
    let ks_mac = kdf(&k, KDF_MAC, kind).to_vec();
    // Step 4: tokens over 7F49 { 06 OID, 86 the other side's key }.
    let token = |point: &[u8]| -> Vec<u8> {
        let input = tlv(0x7F49, &[tlv(0x06, &req.oid()), tlv(0x86, point)].concat());
        if aes {
            crypto::aes_cmac(&ks_mac, &input).unwrap()[..8].to_vec()
        } else {
            crypto::retail_mac(&ks_mac, &crypto::pad(&input, 8)).unwrap().to_vec()
        }
    };
    let t_picc = general_authenticate(t, "GA4", true, 0x85, &token(&pk_eph_picc), 0x86)?;
    if t_picc != token(&pk_eph_pcd) {
        return Err(PaceError::BadChipToken);
    }
    t.set_session(Session::new(ks_enc, ks_mac, 0, aes));
    Ok(())
}
