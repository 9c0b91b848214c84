//! The protocol core: synchronous, no I/O. It talks to a chip only through
//! [`transceive::Transceive`].
//!
//! # Layout
//! - [`tlv`]: the bounds-checked cursor and BER-TLV.
//! - [`apdu`], [`transceive`]: command/response APDUs, status words, the seam to a chip.
//! - [`mrz`]: machine-readable zone parsing and the BAC key seed input.
//! - [`cccd_qr`]: the QR code on a Vietnamese CCCD, and BAC keys guessed from it.
//! - [`crypto`]: key derivation, padding, 3DES/AES, MACs.
//! - [`sm`]: secure messaging (ICAO 9303-11 §9.8).
//! - [`access`]: BAC (and PACE) — opening a secure channel.
//! - [`read`]: selecting the application and reading elementary files.
//! - [`lds`]: parsers for EF.COM, the data groups and EF.SOD.
//! - [`verify`]: checking data groups against the security object.
//! - [`authenticity`]: Active and Chip Authentication — is the chip genuine, not a clone.
//! - [`session`]: the whole read, from key to verified data groups.

pub mod access;
pub mod apdu;
pub mod authenticity;
pub mod cccd_qr;
pub mod crypto;
pub mod error;
pub mod extended_length;
pub mod lds;
pub mod mrz;
pub mod read;
pub mod session;
pub mod sm;
pub mod tlv;
pub mod transceive;
pub mod verify;

pub use error::{Error, Result};
