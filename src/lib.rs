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

/// The global allocator of both binaries (`#[global_allocator] static A:
/// WipingAllocator = WIPING_ALLOCATOR;` in `src/bin/`; not set here, so that
/// test binaries keep their own). Every heap block is wiped when it is freed
/// or moved by a reallocation (docs/security.md#zeroization): the types that
/// hold personal data and keys wipe themselves, and this catches the copies
/// made where no type of ours is in charge — inside hyper, serde_json,
/// `format!`. Evidence: tests/e2e_memory.rs finds the last read's key in the
/// daemon's memory without it, and nothing with it.
pub type WipingAllocator = zeroizing_alloc::ZeroAlloc<std::alloc::System>;
/// The value of [`WipingAllocator`] the binaries declare.
pub const WIPING_ALLOCATOR: WipingAllocator = zeroizing_alloc::ZeroAlloc(std::alloc::System);
