//! Access control: opening a secure channel with the chip (ICAO 9303-11 §4).
//!
//! - [`bac`]: Basic Access Control with the MRZ key (§4.3).
//! - [`pace`]: PACE v2 with ECDH Generic Mapping and the CAN or MRZ password (§4.4).

pub mod bac;
pub mod pace;

use crate::protocol::crypto;
use crate::protocol::error::Error;

/// Source of randomness for nonces and key shares (the OS in production, fixed bytes in the worked examples).
pub trait Rng {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error>;
}

/// The operating system's random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        crypto::random_bytes(buf)
    }
}
