//! Elliptic-curve arithmetic for PACE (ICAO 9303-11 §4.4; BSI TR-03110-3 §A.3.4.1 Generic
//! Mapping) and Chip Authentication (ICAO 9303-11 §6.2), over byte encodings.
//!
//! One small, dyn-free API ([`Curve`]) covers the standardized domain parameters of ICAO 9303-11
//! §9.5.1 (Table 6; BSI TR-03110-3 Table 4) that are elliptic curves over prime fields:
//!
//! | id | curve           | bytes | implementation                                   |
//! |----|-----------------|-------|--------------------------------------------------|
//! | 12 | NIST P-256      | 32    | `p256`                                           |
//! | 13 | brainpoolP256r1 | 32    | `bp256::r1`                                      |
//! | 15 | NIST P-384      | 48    | `p384`                                           |
//! | 16 | brainpoolP384r1 | 48    | `bp384::r1`                                      |
//! | 17 | brainpoolP512r1 | 64    | `ec/bp512.rs`, on `primefield` + `primeorder`    |
//! | 18 | NIST P-521      | 66    | `p521`                                           |
//!
//! The other elliptic-curve ids of that table — 8–11 (192- and 224-bit NIST and brainpool
//! curves) and 14 (brainpoolP320r1) — are not offered: [`Curve::from_parameter_id`] returns
//! `None` for them (ids 0–2 are MODP groups, not curves).
//!
//! # Encodings
//! - **Points** are SEC1 *uncompressed* octet strings `04 || x || y`, each coordinate exactly
//!   [`Curve::field_len`] bytes — the encoding of the public key data objects of ICAO 9303-11
//!   §9.4 (BSI TR-03110-3 Appendix D.3, elliptic curve public point, tag 86) on the wire. Every
//!   point taken as input is decoded with `elliptic-curve`'s SEC1 decoder, which rejects
//!   coordinates ≥ p and points off the curve; the point at infinity is rejected
//!   ([`EcError::IdentityPoint`]). Compressed (`02`/`03`) and hybrid (`06`/`07`) encodings are
//!   rejected: PACE and CA never use them, and refusing them avoids square roots on
//!   attacker-chosen input. All six curves have cofactor 1, so a point on
//!   the curve is in the prime-order group; no subgroup check is needed.
//! - **Scalars** (private keys) are big-endian integers of 1 to [`Curve::order_len`] bytes and
//!   must lie in [1, n−1]; anything else (zero, ≥ n, longer) is [`EcError::InvalidScalar`]. Keys
//!   are never silently reduced, so an out-of-range key is a visible bug, not a different key.
//! - **The PACE nonce** `s` is the exception (see [`Curve::map_generator`]).
//!
//! # Side channels and secrets
//! Scalar multiplication is the crates' constant-time windowed multiplication
//! (`primeorder::ProjectivePoint` `Mul`), never a hand-written double-and-add. Secret scalars,
//! shared points and shared x-coordinates are held in [`Zeroizing`] buffers. Point validation is
//! done on public values only.

pub(crate) mod bp512;

use elliptic_curve::array::typenum::Unsigned;
use elliptic_curve::group::Curve as _;
use elliptic_curve::point::AffineCoordinates;
use elliptic_curve::sec1::{FromSec1Point, ModulusSize, Sec1Point};
use elliptic_curve::{CurveArithmetic, Field, FieldBytes, FieldBytesSize, Group, PrimeField};
use zeroize::{Zeroize, Zeroizing};

use crate::protocol::access::Rng;

/// How many times [`Curve::random_scalar`] draws before giving up on a random source that keeps
/// producing values outside [1, n−1] (each draw succeeds with probability > 1/2 for these curves,
/// so an honest source fails with probability < 2⁻¹²⁸).
const MAX_RANDOM_DRAWS: usize = 128;

/// SEC1 tag of an uncompressed point (SEC 1 v2 §2.3.3).
const SEC1_UNCOMPRESSED: u8 = 0x04;

/// Errors of the elliptic-curve operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcError {
    /// The bytes are not an uncompressed SEC1 point on the curve (wrong length, wrong tag,
    /// coordinate ≥ p, or not satisfying the curve equation).
    #[error("not a valid point on the curve")]
    InvalidPoint,
    /// The point is (or an operation produced) the point at infinity.
    #[error("point at infinity")]
    IdentityPoint,
    /// A scalar is empty, too long, zero or not below the group order n.
    #[error("scalar out of range")]
    InvalidScalar,
    /// The operation cannot be carried out (e.g. the random source failed).
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}

/// Standardized domain parameters (ICAO 9303-11 §9.5.1, Table 6/BSI TR-03110-3 Table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256 (secp256r1), parameter id 12.
    NistP256,
    /// brainpoolP256r1 (RFC 5639), parameter id 13.
    BrainpoolP256r1,
    /// NIST P-384 (secp384r1), parameter id 15.
    NistP384,
    /// brainpoolP384r1 (RFC 5639), parameter id 16.
    BrainpoolP384r1,
    /// brainpoolP512r1 (RFC 5639), parameter id 17.
    BrainpoolP512r1,
    /// NIST P-521 (secp521r1), parameter id 18.
    NistP521,
}

/// Runs a generic function with the RustCrypto curve type of a [`Curve`].
macro_rules! on_curve {
    ($curve:expr, $f:ident ( $($arg:expr),* )) => {
        match $curve {
            Curve::NistP256 => $f::<p256::NistP256>($($arg),*),
            Curve::BrainpoolP256r1 => $f::<bp256::r1::BrainpoolP256r1>($($arg),*),
            Curve::NistP384 => $f::<p384::NistP384>($($arg),*),
            Curve::BrainpoolP384r1 => $f::<bp384::r1::BrainpoolP384r1>($($arg),*),
            Curve::BrainpoolP512r1 => $f::<bp512::BrainpoolP512r1>($($arg),*),
            Curve::NistP521 => $f::<p521::NistP521>($($arg),*),
        }
    };
}

impl Curve {
    /// All supported curves, in parameter-id order.
    pub const ALL: [Curve; 6] = [
        Curve::NistP256,
        Curve::BrainpoolP256r1,
        Curve::NistP384,
        Curve::BrainpoolP384r1,
        Curve::BrainpoolP512r1,
        Curve::NistP521,
    ];

    /// The curve with a standardized domain parameter id (ICAO 9303-11 §9.5.1): 12, 13, 15,
    /// 16, 17 or 18; `None` for any other id (including the deprecated 8–11 and 14).
    pub fn from_parameter_id(id: u8) -> Option<Curve> {
        Some(match id {
            12 => Curve::NistP256,
            13 => Curve::BrainpoolP256r1,
            15 => Curve::NistP384,
            16 => Curve::BrainpoolP384r1,
            17 => Curve::BrainpoolP512r1,
            18 => Curve::NistP521,
            _ => return None,
        })
    }

    /// The standardized domain parameter id (ICAO 9303-11 §9.5.1).
    pub fn parameter_id(self) -> u8 {
        match self {
            Curve::NistP256 => 12,
            Curve::BrainpoolP256r1 => 13,
            Curve::NistP384 => 15,
            Curve::BrainpoolP384r1 => 16,
            Curve::BrainpoolP512r1 => 17,
            Curve::NistP521 => 18,
        }
    }

    /// The curve's usual name, e.g. "brainpoolP256r1" or "NIST P-256".
    pub fn name(self) -> &'static str {
        match self {
            Curve::NistP256 => "NIST P-256",
            Curve::BrainpoolP256r1 => "brainpoolP256r1",
            Curve::NistP384 => "NIST P-384",
            Curve::BrainpoolP384r1 => "brainpoolP384r1",
            Curve::BrainpoolP512r1 => "brainpoolP512r1",
            Curve::NistP521 => "NIST P-521",
        }
    }

    /// Bytes per coordinate (⌈log₂ p / 8⌉): 32, 32, 48, 48, 64, 66.
    pub fn field_len(self) -> usize {
        match self {
            Curve::NistP256 | Curve::BrainpoolP256r1 => 32,
            Curve::NistP384 | Curve::BrainpoolP384r1 => 48,
            Curve::BrainpoolP512r1 => 64,
            Curve::NistP521 => 66,
        }
    }

    /// Bytes of the group order n (⌈log₂ n / 8⌉); equal to [`Curve::field_len`] for these curves.
    pub fn order_len(self) -> usize {
        self.field_len()
    }

    /// Bit length of the group order n.
    fn order_bits(self) -> usize {
        match self {
            Curve::NistP256 | Curve::BrainpoolP256r1 => 256,
            Curve::NistP384 | Curve::BrainpoolP384r1 => 384,
            Curve::BrainpoolP512r1 => 512,
            Curve::NistP521 => 521,
        }
    }

    /// Length of an uncompressed point: 1 + 2 · field_len.
    pub fn point_len(self) -> usize {
        1 + 2 * self.field_len()
    }

    /// The base point G, uncompressed SEC1 (`04 || x || y`).
    pub fn generator(self) -> Vec<u8> {
        on_curve!(self, generator_of())
    }

    /// A uniformly random scalar in [1, n−1], big-endian, exactly [`Curve::order_len`] bytes
    /// (rejection sampling on the bit length of n). Fails only when `rng` fails or keeps producing
    /// out-of-range values ([`EcError::Unsupported`]).
    pub fn random_scalar(self, rng: &mut dyn Rng) -> Result<Zeroizing<Vec<u8>>, EcError> {
        let len = self.order_len();
        let top_bits = self.order_bits() - 8 * (len - 1);
        let top_mask = u8::try_from((1u16 << top_bits) - 1).unwrap_or(0xFF);
        let mut buf = Zeroizing::new(vec![0u8; len]);
        for _ in 0..MAX_RANDOM_DRAWS {
            rng.fill(&mut buf).map_err(|_| EcError::Unsupported("the random source failed"))?;
            if let Some(first) = buf.first_mut() {
                *first &= top_mask;
            }
            match on_curve!(self, check_scalar(&buf)) {
                Ok(_) => return Ok(buf),
                Err(EcError::InvalidScalar) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(EcError::Unsupported("the random source keeps producing out-of-range scalars"))
    }

    /// `secret · G`, uncompressed. `secret` must be in [1, n−1] (1 to order_len bytes, big-endian).
    pub fn public_key(self, secret: &[u8]) -> Result<Vec<u8>, EcError> {
        on_curve!(self, public_key_of(secret))
    }

    /// `scalar · point`, uncompressed, wiped on drop (it is usually a shared secret). The point is
    /// validated (on the curve, not the identity) and `scalar` must be in [1, n−1]; the result is
    /// then never the identity (prime order, cofactor 1), which is still checked.
    ///
    /// Also serves for multiplication by a mapped generator G' (PACE ephemeral keys,
    /// ICAO 9303-11 §4.4.1 step 3c) and for ECDH with the chip's static key (Chip Authentication,
    /// ICAO 9303-11 §6.2).
    pub fn mul(self, point: &[u8], scalar: &[u8]) -> Result<Zeroizing<Vec<u8>>, EcError> {
        on_curve!(self, mul_of(point, scalar))
    }

    /// `a + b`, uncompressed; both points validated, the identity as a result is an error.
    pub fn add(self, a: &[u8], b: &[u8]) -> Result<Vec<u8>, EcError> {
        on_curve!(self, add_of(a, b))
    }

    /// Checks an uncompressed SEC1 point: length, tag 04, coordinates < p, on the curve, not the
    /// identity. Every operation here validates its input points this way, so a chip cannot make
    /// the terminal compute on an invalid curve (the classic invalid-curve attack on ECDH).
    pub fn validate(self, point: &[u8]) -> Result<(), EcError> {
        on_curve!(self, validate_of(point))
    }

    /// The x-coordinate of a validated point, [`Curve::field_len`] bytes — the ECDH shared
    /// secret K of PACE and Chip Authentication (ICAO 9303-11 §4.4.1 step 3c and §9.6: elliptic
    /// curve key agreement per BSI TR-03111 keeps the x-coordinate of the shared point).
    pub fn x_coordinate(self, point: &[u8]) -> Result<Zeroizing<Vec<u8>>, EcError> {
        self.validate(point)?;
        let x = point.get(1..1 + self.field_len()).ok_or(EcError::InvalidPoint)?;
        Ok(Zeroizing::new(x.to_vec()))
    }

    /// Generic Mapping: G' = s·G + H (ICAO 9303-11 §4.4.3.3.1; BSI TR-03110-3 §A.3.4.1), with
    /// `nonce_s` the decrypted nonce and `h` = SK_map · PK_map(other side), uncompressed.
    ///
    /// The specifications define s as the integer whose big-endian encoding is the decrypted nonce
    /// (OS2I of BSI TR-03111) and multiply G by that integer. Because G has order n,
    /// s·G = (s mod n)·G, so `s` is reduced modulo n here: exactly the specified result, not a
    /// deviation, and no reason to reject a chip. (The nonce is a cipher block or two — 16 bytes
    /// in the Appendix G example, always < n then; a 32-byte s can be ≥ n on brainpoolP256r1.)
    /// Rejected: an empty nonce, one longer than [`Curve::order_len`] bytes (no PACE cipher
    /// produces one), s ≡ 0 mod n (G' would be H and no longer depend on the password — a chance
    /// of 2⁻¹²⁸ for an honest chip), an invalid `h`, and a mapped generator at infinity.
    pub fn map_generator(self, nonce_s: &[u8], h: &[u8]) -> Result<Vec<u8>, EcError> {
        if nonce_s.is_empty() || nonce_s.len() > self.order_len() {
            return Err(EcError::InvalidScalar);
        }
        on_curve!(self, map_generator_of(nonce_s, h))
    }
}

impl std::fmt::Display for Curve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The RustCrypto curves this module drives: prime-order short Weierstrass curves with SEC1
/// point decoding.
trait EcCurve: CurveArithmetic<FieldBytesSize: ModulusSize, AffinePoint: FromSec1Point<Self>> {}

impl<C> EcCurve for C where C: CurveArithmetic<FieldBytesSize: ModulusSize, AffinePoint: FromSec1Point<C>> {}

/// Decodes and validates an uncompressed point (tag 04, coordinates < p, on the curve, not the
/// identity).
fn decode<C: EcCurve>(bytes: &[u8]) -> Result<C::ProjectivePoint, EcError> {
    match bytes.first() {
        Some(&SEC1_UNCOMPRESSED) => {}
        // SEC1's one-byte encoding of the point at infinity.
        Some(0x00) if bytes.len() == 1 => return Err(EcError::IdentityPoint),
        _ => return Err(EcError::InvalidPoint),
    }
    if bytes.len() != 1 + 2 * FieldBytesSize::<C>::USIZE {
        return Err(EcError::InvalidPoint);
    }
    let encoded = Sec1Point::<C>::from_bytes(bytes).map_err(|_| EcError::InvalidPoint)?;
    let affine = C::AffinePoint::from_sec1_point(&encoded).into_option().ok_or(EcError::InvalidPoint)?;
    let point = C::ProjectivePoint::from(affine);
    if bool::from(point.is_identity()) {
        return Err(EcError::IdentityPoint);
    }
    Ok(point)
}

/// Encodes a point as `04 || x || y`; the identity has no such encoding.
fn encode<C: EcCurve>(point: &C::ProjectivePoint) -> Result<Vec<u8>, EcError> {
    if bool::from(point.is_identity()) {
        return Err(EcError::IdentityPoint);
    }
    let affine = Zeroizing::new(point.to_affine());
    let mut x: FieldBytes<C> = affine.x();
    let mut y: FieldBytes<C> = affine.y();
    let mut out = Vec::with_capacity(1 + x.len() + y.len());
    out.push(SEC1_UNCOMPRESSED);
    out.extend_from_slice(&x);
    out.extend_from_slice(&y);
    x.as_mut_slice().zeroize();
    y.as_mut_slice().zeroize();
    Ok(out)
}

/// Parses a big-endian scalar of 1 to order_len bytes in [1, n−1].
fn parse_scalar<C: EcCurve>(bytes: &[u8]) -> Result<Zeroizing<C::Scalar>, EcError> {
    let mut repr = FieldBytes::<C>::default();
    let offset = FieldBytesSize::<C>::USIZE.checked_sub(bytes.len()).ok_or(EcError::InvalidScalar)?;
    if bytes.is_empty() {
        return Err(EcError::InvalidScalar);
    }
    repr.get_mut(offset..).ok_or(EcError::InvalidScalar)?.copy_from_slice(bytes);
    let scalar = C::Scalar::from_repr(repr).into_option();
    repr.as_mut_slice().zeroize();
    let scalar = Zeroizing::new(scalar.ok_or(EcError::InvalidScalar)?);
    if bool::from(scalar.is_zero()) {
        return Err(EcError::InvalidScalar);
    }
    Ok(scalar)
}

/// Checks that bytes are a valid scalar (see [`parse_scalar`]).
fn check_scalar<C: EcCurve>(bytes: &[u8]) -> Result<(), EcError> {
    parse_scalar::<C>(bytes).map(|_| ())
}

/// The integer of a big-endian byte string, reduced modulo n (Horner's rule in the scalar field,
/// constant time in the value).
fn reduce_mod_n<C: EcCurve>(bytes: &[u8]) -> Zeroizing<C::Scalar> {
    let radix = C::Scalar::from(256u64);
    let mut acc = Zeroizing::new(C::Scalar::ZERO);
    for &b in bytes {
        *acc = *acc * radix + C::Scalar::from(u64::from(b));
    }
    acc
}

fn generator_of<C: EcCurve>() -> Vec<u8> {
    // The generator is never the identity.
    encode::<C>(&C::ProjectivePoint::generator()).unwrap_or_default()
}

fn public_key_of<C: EcCurve>(secret: &[u8]) -> Result<Vec<u8>, EcError> {
    let k = parse_scalar::<C>(secret)?;
    let point = Zeroizing::new(C::ProjectivePoint::mul_by_generator(&k));
    encode::<C>(&point)
}

fn mul_of<C: EcCurve>(point: &[u8], scalar: &[u8]) -> Result<Zeroizing<Vec<u8>>, EcError> {
    let p = decode::<C>(point)?;
    let k = parse_scalar::<C>(scalar)?;
    // By reference, so no unwiped copy of the secret scalar is made.
    #[allow(clippy::op_ref)]
    let product = Zeroizing::new(p * &*k);
    encode::<C>(&product).map(Zeroizing::new)
}

fn validate_of<C: EcCurve>(point: &[u8]) -> Result<(), EcError> {
    decode::<C>(point).map(|_| ())
}

fn add_of<C: EcCurve>(a: &[u8], b: &[u8]) -> Result<Vec<u8>, EcError> {
    let sum = decode::<C>(a)? + decode::<C>(b)?;
    encode::<C>(&sum)
}

fn map_generator_of<C: EcCurve>(nonce_s: &[u8], h: &[u8]) -> Result<Vec<u8>, EcError> {
    let h = decode::<C>(h)?;
    let s = reduce_mod_n::<C>(nonce_s);
    if bool::from(s.is_zero()) {
        return Err(EcError::InvalidScalar);
    }
    let mapped = Zeroizing::new(C::ProjectivePoint::mul_by_generator(&s) + h);
    encode::<C>(&mapped)
}

#[cfg(test)]
mod tests;
