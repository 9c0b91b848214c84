//! The software eMRTD chip (feature `software-chip`): a complete chip behind
//! the [`Transceive`](crate::protocol::transceive::Transceive) seam, for the
//! protocol tests, fault-injection tests and `mrtdd --simulate`.
//!
//! # Layout
//! - [`document`]: [`Document`] (MRZ, LDS files, CSCA) and [`DocumentBuilder`];
//!   the fixed demo CCCD and ICAO specimen passport, and hostile variants.
//! - [`pki`]: the throw-away CSCA and document signer, X.509 and EF.SOD (CMS).
//! - [`card`]: [`SoftwareChip`], the APDU dispatcher and access control.
//! - `fs`: files, SELECT and READ BINARY (`B0`/`B1`).
//! - `bac`, [`pace`], `sm`: the chip sides of BAC, PACE (ECDH Generic Mapping;
//!   `ec` holds the curves) and secure messaging (3DES and AES).
//! - [`authenticity`]: Active Authentication (ECDSA, RSA ISO/IEC 9796-2) and
//!   Chip Authentication (ECDH, AES or 3DES), their DG14/DG15, cloned chips.
//! - `rng`: the chip's randomness, replaceable by a script ([`Randomness`]) so
//!   tests can replay the ICAO worked examples.
//! - [`vpcd`]: a bridge that plugs the chip into the `vpcd` virtual reader of
//!   pcscd, for end-to-end tests through a real PC/SC stack.
//! - [`faults`]: [`Fault`], [`Trigger`], [`Injection`]: misbehaviour on demand.
//! - [`script`]: [`ScriptedAnswer`]: arbitrary answers under genuine secure
//!   messaging ([`SoftwareChip::script`]), for fuzzing the reader's session.
//! - `mrz`, `der`: the chip's own MRZ arithmetic and DER writers — kept apart
//!   from the terminal side on purpose, so each checks the other.
//!
//! The chip behaves like real chips where they differ from the vsmartcard
//! emulator (TESTSTACK.md): access control before BAC (`6982`), `6300` for a
//! wrong BAC key, DO'99' in every SM response, errors under SM protected,
//! `6B00`/`6282` at the end of a file, odd-INS READ BINARY for files over 32 KB.

pub mod authenticity;
mod bac;
pub mod card;
pub(crate) mod der;
pub mod document;
mod ec;
pub mod faults;
mod fs;
mod mrz;
pub mod pace;
#[cfg(test)]
mod pace_terminal;
#[cfg(test)]
mod pace_tests;
pub mod pki;
mod rng;
pub mod script;
mod sm;
#[cfg(test)]
mod terminal;
#[cfg(test)]
mod tests;
pub mod vpcd;

pub use authenticity::ActiveAuthentication;
pub use card::{ATR, SessionOrigin, SoftwareChip};
pub use der::Date;
pub use document::{Document, DocumentBuilder, dg_fid, jpeg_dimensions};
pub use ec::PaceCurve;
pub use faults::{Fault, Injection, Site, Trigger};
pub use fs::EMRTD_AID;
pub use pace::{PaceCipher, PaceSuite};
pub use pki::{HashAlgorithm, SignerKind};
pub use rng::Randomness;
pub use script::ScriptedAnswer;
pub use sm::SmCipher;

/// Why a software document could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No key could be generated (no random source, or the RSA generator failed).
    #[error("key generation failed: {0}")]
    KeyGeneration(&'static str),
    /// A signature could not be made.
    #[error("signing failed: {0}")]
    Signing(&'static str),
    /// The builder was asked for something that cannot exist.
    #[error("invalid document: {0}")]
    Invalid(&'static str),
}
