//! The chip's elliptic-curve arithmetic for PACE: the standardized domain
//! parameters it supports (ICAO 9303-11 §9.5.1, Table "Standardized Domain
//! Parameters") on the RustCrypto curve crates.
//!
//! Points travel as uncompressed SEC1 octet strings `04 ‖ x ‖ y` (BSI TR-03110-3
//! §A.2.1.1 / ICAO 9303-11 §9.4.1: the public point `86` of an EC public key is
//! uncompressed); scalars as big-endian octet strings. Every received point is
//! decoded with full validation (right length, on the curve, not the point at
//! infinity); all curves here have cofactor 1, so on-curve is in-group.
//!
//! Kept apart from the terminal's EC code on purpose: the chip is the oracle.
//! brainpoolP512r1 (parameter 17) is missing: no RustCrypto crate implements it.

use super::rng::{ChipRng, NoRandomness};
use p256::elliptic_curve::{
    CurveArithmetic, FieldBytes, FieldBytesSize, Group,
    ff::PrimeField,
    group::Curve as _,
    sec1::{FromSec1Point, ModulusSize, ToSec1Point},
};
use zeroize::Zeroizing;

/// A PACE curve: one of the standardized domain parameters of ICAO 9303-11
/// §9.5.1 that the software chip implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PaceCurve {
    /// NIST P-256 (secp256r1), parameter ID 12.
    NistP256,
    /// brainpoolP256r1 (RFC 5639), parameter ID 13: the CCCD's.
    BrainpoolP256r1,
    /// NIST P-384 (secp384r1), parameter ID 15.
    NistP384,
    /// brainpoolP384r1, parameter ID 16.
    BrainpoolP384r1,
    /// NIST P-521 (secp521r1), parameter ID 18.
    NistP521,
}

/// Calls the generic function `$f::<Curve>(args)` for the concrete curve.
macro_rules! on_curve {
    ($curve:expr, $f:ident ( $($arg:expr),* )) => {
        match $curve {
            PaceCurve::NistP256 => $f::<p256::NistP256>($($arg),*),
            PaceCurve::BrainpoolP256r1 => $f::<bp256::r1::BrainpoolP256r1>($($arg),*),
            PaceCurve::NistP384 => $f::<p384::NistP384>($($arg),*),
            PaceCurve::BrainpoolP384r1 => $f::<bp384::r1::BrainpoolP384r1>($($arg),*),
            PaceCurve::NistP521 => $f::<p521::NistP521>($($arg),*),
        }
    };
}

impl PaceCurve {
    /// Every curve the chip supports.
    pub const ALL: [PaceCurve; 5] = [
        PaceCurve::NistP256,
        PaceCurve::BrainpoolP256r1,
        PaceCurve::NistP384,
        PaceCurve::BrainpoolP384r1,
        PaceCurve::NistP521,
    ];

    /// The standardized domain parameter ID (ICAO 9303-11 §9.5.1), as in
    /// PACEInfo's `parameterId` and MSE:Set AT's DO'84'.
    pub fn parameter_id(self) -> u8 {
        match self {
            Self::NistP256 => 12,
            Self::BrainpoolP256r1 => 13,
            Self::NistP384 => 15,
            Self::BrainpoolP384r1 => 16,
            Self::NistP521 => 18,
        }
    }

    /// The curve of a standardized domain parameter ID, if the chip supports it.
    pub fn from_parameter_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.parameter_id() == id)
    }

    /// The curve's usual name.
    pub fn name(self) -> &'static str {
        match self {
            Self::NistP256 => "NIST P-256",
            Self::BrainpoolP256r1 => "brainpoolP256r1",
            Self::NistP384 => "NIST P-384",
            Self::BrainpoolP384r1 => "brainpoolP384r1",
            Self::NistP521 => "NIST P-521",
        }
    }

    /// Length of a field element (one coordinate) in bytes.
    pub fn field_len(self) -> usize {
        on_curve!(self, field_len())
    }

    /// The uncompressed encoding of the curve's generator G.
    pub(crate) fn generator(self) -> Vec<u8> {
        on_curve!(self, generator())
    }

    /// True if `point` is the uncompressed encoding of a point on the curve
    /// other than the point at infinity.
    pub(crate) fn is_point(self, point: &[u8]) -> bool {
        on_curve!(self, valid_point(point))
    }

    /// k·P, or `None` if P is not a valid point, k not a valid scalar
    /// (0 < k < n) or the result is the point at infinity.
    pub(crate) fn mul(self, point: &[u8], k: &[u8]) -> Option<Vec<u8>> {
        on_curve!(self, mul(point, k))
    }

    /// s·G + H (the Generic Mapping, ICAO 9303-11 §4.4.3.3.1), `None` on an
    /// invalid H or s, or if the result is the point at infinity.
    pub(crate) fn generic_map(self, s: &[u8], h: &[u8]) -> Option<Vec<u8>> {
        on_curve!(self, generic_map(s, h))
    }

    /// True if `k` is a scalar 0 < k < n (at most one field element long).
    pub(crate) fn is_scalar(self, k: &[u8]) -> bool {
        on_curve!(self, valid_scalar(k))
    }

    /// A random private key 0 < k < n, drawn as one field element (with the
    /// bits above the order's length cleared) and redrawn until it is valid.
    pub(crate) fn random_scalar(self, rng: &mut ChipRng) -> Result<Zeroizing<Vec<u8>>, NoRandomness> {
        // The order has as many bits as the field for all curves here but P-521
        // (521 bits in 66 bytes).
        let top_mask = if self == Self::NistP521 { 0x01 } else { 0xFF };
        for _ in 0..MAX_SCALAR_DRAWS {
            let mut k = Zeroizing::new(vec![0u8; self.field_len()]);
            rng.fill(&mut k)?;
            if let Some(b) = k.first_mut() {
                *b &= top_mask;
            }
            if self.is_scalar(&k) {
                return Ok(k);
            }
        }
        Err(NoRandomness)
    }

    /// The x-coordinate of an uncompressed point (the ECDH shared secret of
    /// ICAO 9303-11 §9.6 / BSI TR-03110-3 §A.3.4.1: x, one field element).
    pub(crate) fn x_coordinate(self, point: &[u8]) -> Option<Vec<u8>> {
        let n = self.field_len();
        point.get(1..1 + n).map(<[u8]>::to_vec)
    }
}

/// Draws of a random scalar before giving up (each fails with probability < 2⁻³²
/// for these curves, so this is never reached with a working generator).
const MAX_SCALAR_DRAWS: usize = 64;

fn field_len<C: CurveArithmetic>() -> usize {
    FieldBytes::<C>::default().len()
}

fn encode<C>(p: &C::ProjectivePoint) -> Option<Vec<u8>>
where
    C: CurveArithmetic,
    C::AffinePoint: ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    if bool::from(p.is_identity()) {
        return None;
    }
    Some(p.to_affine().to_sec1_point(false).as_bytes().to_vec())
}

fn generator<C>() -> Vec<u8>
where
    C: CurveArithmetic,
    C::AffinePoint: ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    encode::<C>(&C::ProjectivePoint::generator()).unwrap_or_default()
}

/// Strict decoding: only the uncompressed form, on the curve, not infinity.
fn decode<C>(bytes: &[u8]) -> Option<C::ProjectivePoint>
where
    C: CurveArithmetic,
    C::AffinePoint: FromSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    if bytes.len() != 1 + 2 * field_len::<C>() || bytes.first() != Some(&0x04) {
        return None;
    }
    let point = C::AffinePoint::from_sec1_bytes(bytes).ok()?;
    let point = C::ProjectivePoint::from(point);
    (!bool::from(point.is_identity())).then_some(point)
}

/// A scalar from big-endian bytes (at most one field element), 0 < k < n.
fn scalar<C: CurveArithmetic>(bytes: &[u8]) -> Option<C::Scalar> {
    let mut repr = FieldBytes::<C>::default();
    let skip = repr.len().checked_sub(bytes.len())?;
    repr.get_mut(skip..)?.copy_from_slice(bytes);
    let k = C::Scalar::from_repr_vartime(repr)?;
    (!bool::from(p256::elliptic_curve::Field::is_zero(&k))).then_some(k)
}

fn valid_point<C>(bytes: &[u8]) -> bool
where
    C: CurveArithmetic,
    C::AffinePoint: FromSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    decode::<C>(bytes).is_some()
}

fn valid_scalar<C: CurveArithmetic>(bytes: &[u8]) -> bool {
    scalar::<C>(bytes).is_some()
}

fn mul<C>(point: &[u8], k: &[u8]) -> Option<Vec<u8>>
where
    C: CurveArithmetic,
    C::AffinePoint: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let p = decode::<C>(point)?;
    let k = scalar::<C>(k)?;
    encode::<C>(&(p * k))
}

fn generic_map<C>(s: &[u8], h: &[u8]) -> Option<Vec<u8>>
where
    C: CurveArithmetic,
    C::AffinePoint: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let h = decode::<C>(h)?;
    let s = scalar::<C>(s)?;
    encode::<C>(&(C::ProjectivePoint::generator() * s + h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn parameter_ids_round_trip() {
        for c in PaceCurve::ALL {
            assert_eq!(PaceCurve::from_parameter_id(c.parameter_id()), Some(c));
            let g = c.generator();
            assert_eq!(g.len(), 1 + 2 * c.field_len());
            assert!(c.is_point(&g));
        }
        assert_eq!(PaceCurve::from_parameter_id(17), None, "brainpoolP512r1 is not implemented");
        assert_eq!(PaceCurve::NistP521.field_len(), 66);
    }

    /// brainpoolP256r1's generator from RFC 5639 §3.4.
    #[test]
    fn brainpool_p256_generator() {
        assert_eq!(
            PaceCurve::BrainpoolP256r1.generator(),
            hex!(
                "04 8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262"
                "547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997"
            )
        );
    }

    #[test]
    fn invalid_points_and_scalars_are_refused() {
        let c = PaceCurve::NistP256;
        let mut g = c.generator();
        assert!(!c.is_point(&g[..64]));
        assert!(!c.is_point(&[0x00]));
        let mut compressed = vec![0x02 | (g[64] & 1)];
        compressed.extend_from_slice(&g[1..33]);
        assert!(!c.is_point(&compressed), "compressed points are not accepted");
        g[64] ^= 1;
        assert!(!c.is_point(&g), "off-curve");
        assert!(!c.is_scalar(&[0; 32]));
        assert!(!c.is_scalar(&[0xFF; 32]), "k >= n");
        assert!(!c.is_scalar(&[1; 33]));
        assert!(c.is_scalar(&[1]));
        assert_eq!(c.mul(&c.generator(), &[1]), Some(c.generator()));
        assert_eq!(c.mul(&g, &[1]), None);
    }

    #[test]
    fn diffie_hellman_agrees_on_every_curve() {
        let mut rng = ChipRng::new(super::super::Randomness::Seeded(1));
        for c in PaceCurve::ALL {
            let a = c.random_scalar(&mut rng).unwrap();
            let b = c.random_scalar(&mut rng).unwrap();
            let pa = c.mul(&c.generator(), &a).unwrap();
            let pb = c.mul(&c.generator(), &b).unwrap();
            assert_eq!(c.mul(&pb, &a), c.mul(&pa, &b), "{}", c.name());
            assert_eq!(c.x_coordinate(&pa).unwrap().len(), c.field_len());
        }
    }
}
