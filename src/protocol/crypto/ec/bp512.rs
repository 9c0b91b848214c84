//! brainpoolP512r1 (RFC 5639 §3.7; ICAO 9303-11 §9.5.1 / BSI TR-03110-3 Table 4, parameter id 17)
//! on RustCrypto's generic curve machinery.
//!
//! Hand-assembled here because no crate provides this curve (RustCrypto publishes `bp256` and
//! `bp384` only). Nothing below is hand-written arithmetic:
//!
//! - the base field and the scalar field are `primefield`'s Montgomery field elements over
//!   `crypto-bigint`'s `U512` (the constant-time "bigint" backend that `bp384` also offers as an
//!   alternative to its fiat-crypto code);
//! - the group law and scalar multiplication are `primeorder`'s complete projective formulas for
//!   short Weierstrass curves with a generic `a` (Renes–Costello–Batina), with its constant-time
//!   windowed multiplication;
//! - SEC1 encoding/decoding comes from `elliptic-curve`.
//!
//! This module only supplies the domain parameters (RFC 5639 §3.7), checked by the tests below:
//! the generator is on the curve, `n·G` is the identity, and the RFC 7027 ECDH vector in
//! `super::tests` reproduces.
//!
//! `MULTIPLICATIVE_GENERATOR` (required by `ff::PrimeField`) is the smallest quadratic
//! non-residue of each field (2 for p, 7 for n). Square roots (the only consumer; used for point
//! decompression, which this crate does not accept) only need a non-residue; that it generates
//! the whole multiplicative group could not be confirmed without factoring p−1 and n−1, and it
//! does generate the 2-Sylow subgroup, which is what Tonelli–Shanks uses. `primefield`'s own
//! constant tests run on both fields below.

use elliptic_curve::bigint::{Odd, U512};
use elliptic_curve::consts::U64;
use elliptic_curve::hazmat::FieldArithmetic;
use elliptic_curve::{CurveArithmetic, PrimeCurveArithmetic};
use primeorder::{PrimeCurveParams, mul_backend, point_arithmetic};

/// Group order n of brainpoolP512r1 (RFC 5639 §3.7, `q`), big-endian hex.
const ORDER_HEX: &str = concat!(
    "aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330870",
    "553e5c414ca92619418661197fac10471db1d381085ddaddb58796829ca90069"
);

/// Group order n as an odd 512-bit integer.
const ORDER: Odd<U512> = Odd::<U512>::from_be_hex(ORDER_HEX);

/// Prime p of the base field (RFC 5639 §3.7), big-endian hex.
const MODULUS_HEX: &str = concat!(
    "aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330871",
    "7d4d9b009bc66842aecda12ae6a380e62881ff2f2d82c68528aa6056583a48f3"
);

/// The brainpoolP512r1 curve: y² = x³ + a·x + b over GF(p), cofactor 1.
#[derive(Copy, Clone, Debug, Default, Eq, PartialEq, PartialOrd, Ord)]
pub struct BrainpoolP512r1;

impl elliptic_curve::Curve for BrainpoolP512r1 {
    type FieldBytesSize = U64;
    type Uint = U512;
    const ORDER: Odd<U512> = ORDER;
}

impl elliptic_curve::PrimeCurve for BrainpoolP512r1 {}

/// ECDSA (`ecdsa::hazmat::verify_prehashed`) on this curve, for SOD and certificate signatures
/// (BSI TR-03111 §4.2.1; the Vietnamese CSCA signs with brainpoolP512r1). Signatures are not
/// low-S normalized (as for `bp256`/`bp384`).
impl ecdsa::EcdsaCurve for BrainpoolP512r1 {
    const NORMALIZE_S: bool = false;
}

impl elliptic_curve::point::PointCompression for BrainpoolP512r1 {
    const COMPRESS_POINTS: bool = false;
}

/// The base field GF(p).
#[allow(deprecated)] // primefield 0.14's macros call crypto-bigint's deprecated `Uint::bits`
mod field {
    use super::MODULUS_HEX;
    use elliptic_curve::bigint::U512;
    use elliptic_curve::ff::PrimeField;
    use elliptic_curve::subtle::{Choice, ConstantTimeEq, CtOption};

    primefield::monty_field_params! {
        name: FieldParams,
        modulus: MODULUS_HEX,
        uint: U512,
        byte_order: primefield::ByteOrder::BigEndian,
        multiplicative_generator: 2,
        doc: "Montgomery parameters for the brainpoolP512r1 base field"
    }

    primefield::monty_field_element! {
        name: FieldElement,
        params: FieldParams,
        uint: U512,
        doc: "Element of the brainpoolP512r1 base field GF(p)"
    }

    primefield::monty_field_arithmetic! {
        name: FieldElement,
        params: FieldParams,
        uint: U512
    }

    impl elliptic_curve::ops::BatchInvert for FieldElement {}

    #[cfg(test)]
    mod tests {
        use super::{FieldElement, U512};
        primefield::test_primefield!(FieldElement, U512);
    }
}

/// The scalar field GF(n).
#[allow(deprecated)] // primefield 0.14's macros call crypto-bigint's deprecated `Uint::bits`
mod scalar {
    use super::{BrainpoolP512r1, ORDER, ORDER_HEX};
    use elliptic_curve::bigint::U512;
    use elliptic_curve::ff::PrimeField;
    use elliptic_curve::scalar::{FromUintUnchecked, IsHigh};
    use elliptic_curve::subtle::{Choice, ConstantTimeEq, ConstantTimeGreater, CtOption};

    primefield::monty_field_params! {
        name: ScalarParams,
        modulus: ORDER_HEX,
        uint: U512,
        byte_order: primefield::ByteOrder::BigEndian,
        multiplicative_generator: 7,
        doc: "Montgomery parameters for the brainpoolP512r1 scalar field"
    }

    primefield::monty_field_element! {
        name: Scalar,
        params: ScalarParams,
        uint: U512,
        doc: "Element of the brainpoolP512r1 scalar field GF(n)"
    }

    primefield::monty_field_arithmetic! {
        name: Scalar,
        params: ScalarParams,
        uint: U512
    }

    primefield::monty_field_reduce! {
        name: Scalar,
        params: ScalarParams,
        uint: U512,
    }

    elliptic_curve::scalar_impls!(BrainpoolP512r1, Scalar);

    primeorder::wnaf::impl_wnaf_size_for_scalar!(Scalar);

    impl AsRef<Scalar> for Scalar {
        fn as_ref(&self) -> &Scalar {
            self
        }
    }

    impl FromUintUnchecked for Scalar {
        type Uint = U512;

        fn from_uint_unchecked(uint: U512) -> Self {
            Self::from_uint_unchecked(uint)
        }
    }

    impl IsHigh for Scalar {
        fn is_high(&self) -> Choice {
            const HALF_ORDER: U512 = ORDER.as_ref().shr_vartime(1);
            self.to_canonical().ct_gt(&HALF_ORDER)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::{Scalar, U512};
        primefield::test_primefield!(Scalar, U512);
    }
}

pub use field::FieldElement;
pub use scalar::Scalar;

/// Affine point on brainpoolP512r1.
pub type AffinePoint = primeorder::AffinePoint<BrainpoolP512r1>;
/// Projective point on brainpoolP512r1.
pub type ProjectivePoint = primeorder::ProjectivePoint<BrainpoolP512r1>;

impl CurveArithmetic for BrainpoolP512r1 {
    type AffinePoint = AffinePoint;
    type ProjectivePoint = ProjectivePoint;
    type Scalar = Scalar;
}

impl FieldArithmetic for BrainpoolP512r1 {
    type FieldElement = FieldElement;
}

impl PrimeCurveArithmetic for BrainpoolP512r1 {
    type CurveGroup = ProjectivePoint;
}

impl PrimeCurveParams for BrainpoolP512r1 {
    type PointArithmetic = point_arithmetic::EquationAIsGeneric;
    type Backend = mul_backend::VariableOnly;

    const EQUATION_A: FieldElement = FieldElement::from_hex_vartime(concat!(
        "7830a3318b603b89e2327145ac234cc594cbdd8d3df91610a83441caea9863bc",
        "2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94ca"
    ));
    const EQUATION_B: FieldElement = FieldElement::from_hex_vartime(concat!(
        "3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a7",
        "2bf2c7b9e7c1ac4d77fc94cadc083e67984050b75ebae5dd2809bd638016f723"
    ));
    const GENERATOR: (FieldElement, FieldElement) = (
        FieldElement::from_hex_vartime(concat!(
            "81aee4bdd82ed9645a21322e9c4c6a9385ed9f70b5d916c1b43b62eef4d0098e",
            "ff3b1f78e2d0d48d50d1687b93b97d5f7c6d5047406a5e688b352209bcb9f822"
        )),
        FieldElement::from_hex_vartime(concat!(
            "7dde385d566332ecc0eabfa9cf7822fdf209f70024a57b1aa000c55b881f8111",
            "b2dcde494a5f485e5bca4bd88a2763aed1ca2b2fa8f0540678cd1e0f3ad80892"
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use elliptic_curve::Group;
    use elliptic_curve::sec1::{FromSec1Point, ToSec1Point};

    #[test]
    fn generator_is_on_the_curve_and_has_order_n() {
        let g = AffinePoint::GENERATOR;
        // Round trip through SEC1 decoding, which checks y² = x³ + ax + b.
        let encoded = g.to_sec1_point(false);
        let decoded = AffinePoint::from_sec1_point(&encoded).into_option();
        assert_eq!(decoded, Some(g));
        // n·G = O: (n−1)·G = −G.
        let n_minus_one = -Scalar::ONE;
        assert_eq!(ProjectivePoint::generator() * n_minus_one, -ProjectivePoint::generator());
        assert!(bool::from((ProjectivePoint::generator() * n_minus_one + ProjectivePoint::generator()).is_identity()));
    }
}
