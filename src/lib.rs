//! mrtdd: a trustworthy reader of electronic identity documents.
//!
//! # Layout
//! The folders follow the pipeline, from the chip outwards:
//! - [`protocol`]: the synchronous, I/O-free protocol core — APDUs, TLV, MRZ,
//!   BAC, secure messaging, reading files, LDS parsing, hash verification.
//!   It reaches a chip only through [`protocol::transceive::Transceive`].
//! - [`pcsc`]: the PC/SC adapter, the only code that uses the `pcsc` crate.
//! - [`trust`]: the trust store — CSCA certificates, master lists and CRLs
//!   read from a directory (file I/O) into [`protocol::verify::TrustAnchors`].
//! - [`chip`]: the software eMRTD chip (feature `software-chip`), behind the
//!   same `Transceive` trait, for tests and `mrtdd --simulate`.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod api;
#[cfg(feature = "software-chip")]
pub mod chip;
pub mod client;
pub mod pcsc;
pub mod protocol;
pub mod service;
pub mod trust;
