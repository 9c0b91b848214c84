//! The chip's source of randomness: the operating system's by default, or a
//! fixed script / seeded stream so that tests can replay published worked
//! examples (ICAO 9303-11 Appendix G) byte for byte.
//!
//! Everything the chip draws comes from here: RND.ICC and K.ICC of BAC, the
//! PACE nonce `s` and the PACE key pairs, in the order the protocol needs them.

use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use zeroize::Zeroize;

/// Where a [`SoftwareChip`](super::SoftwareChip) takes its random bytes from
/// (set with [`SoftwareChip::set_randomness`](super::SoftwareChip::set_randomness)).
///
/// ```
/// use mrtdd::chip::{Document, Randomness, SoftwareChip};
/// let mut chip = SoftwareChip::new(Document::cccd_demo()?);
/// // The next PACE run uses this nonce (16 bytes for AES) and then OS randomness.
/// chip.set_randomness(Randomness::Script(vec![0x3F; 16]));
/// # Ok::<(), mrtdd::chip::BuildError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum Randomness {
    /// The operating system's generator (the default).
    Os,
    /// A reproducible stream: SHA-256(seed ‖ counter) blocks, for tests that
    /// want the same chip behaviour on every run. Not secret, never for real use.
    Seeded(u64),
    /// These bytes first, in the order the chip asks for them, then the
    /// operating system's generator. A private key drawn from the script is
    /// used as given if it is a valid scalar (0 < k < n; on P-521 the bits
    /// above the 521st are cleared first); otherwise the chip draws again.
    Script(Vec<u8>),
}

impl core::fmt::Debug for Randomness {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Os => f.write_str("Os"),
            Self::Seeded(_) => f.write_str("Seeded(..)"),
            Self::Script(bytes) => write!(f, "Script({} bytes)", bytes.len()),
        }
    }
}

/// The chip's generator; see [`Randomness`].
pub(crate) struct ChipRng {
    script: VecDeque<u8>,
    seed: Option<u64>,
    counter: u64,
    block: Vec<u8>,
}

impl Default for ChipRng {
    fn default() -> Self {
        Self::new(Randomness::Os)
    }
}

impl Drop for ChipRng {
    fn drop(&mut self) {
        for b in self.script.iter_mut() {
            b.zeroize();
        }
        self.block.zeroize();
    }
}

/// The operating system's generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NoRandomness;

impl ChipRng {
    pub(crate) fn new(randomness: Randomness) -> Self {
        let (script, seed) = match randomness {
            Randomness::Os => (VecDeque::new(), None),
            Randomness::Seeded(seed) => (VecDeque::new(), Some(seed)),
            Randomness::Script(bytes) => (VecDeque::from(bytes), None),
        };
        Self { script, seed, counter: 0, block: Vec::new() }
    }

    /// Fills `buf`: script bytes first, then the seeded stream or the OS.
    pub(crate) fn fill(&mut self, buf: &mut [u8]) -> Result<(), NoRandomness> {
        let mut filled = 0;
        while filled < buf.len() {
            let Some(b) = self.script.pop_front() else { break };
            if let Some(slot) = buf.get_mut(filled) {
                *slot = b;
            }
            filled += 1;
        }
        let rest = buf.get_mut(filled..).unwrap_or(&mut []);
        if rest.is_empty() {
            return Ok(());
        }
        match self.seed {
            Some(seed) => {
                self.stream(seed, rest);
                Ok(())
            }
            None => crate::protocol::crypto::random_bytes(rest).map_err(|_| NoRandomness),
        }
    }

    /// Fills `out` from the seeded stream: SHA-256(seed ‖ counter) blocks.
    fn stream(&mut self, seed: u64, out: &mut [u8]) {
        for slot in out.iter_mut() {
            if self.block.is_empty() {
                let mut h = Sha256::new();
                h.update(seed.to_be_bytes());
                h.update(self.counter.to_be_bytes());
                self.counter = self.counter.wrapping_add(1);
                self.block = h.finalize().to_vec();
                self.block.reverse(); // popped from the end: first byte first
            }
            *slot = self.block.pop().unwrap_or(0);
        }
    }
}

/// The seeded stream of [`Randomness::Seeded`] as a `rand_core` generator,
/// for key generation that takes one (RSA). It cannot fail, which is what
/// `rand_core::CryptoRng` asks; it is reproducible, not secret: test keys only.
pub(crate) struct SeededStream {
    rng: ChipRng,
    seed: u64,
}

impl SeededStream {
    pub(crate) fn new(seed: u64) -> Self {
        Self { rng: ChipRng::new(Randomness::Seeded(seed)), seed }
    }
}

impl rand_core::TryRng for SeededStream {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.rng.stream(self.seed, dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for SeededStream {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_then_os() {
        let mut rng = ChipRng::new(Randomness::Script(vec![1, 2, 3]));
        let mut a = [0u8; 2];
        rng.fill(&mut a).unwrap();
        assert_eq!(a, [1, 2]);
        let mut b = [0u8; 40];
        rng.fill(&mut b).unwrap();
        assert_eq!(b[0], 3);
        assert!(b[1..].iter().any(|&x| x != 0));
    }

    #[test]
    fn seeded_is_reproducible_and_seed_dependent() {
        let draw = |seed| {
            let mut rng = ChipRng::new(Randomness::Seeded(seed));
            let mut out = [0u8; 50];
            rng.fill(&mut out[..7]).unwrap();
            rng.fill(&mut out[7..]).unwrap();
            out
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let first: [u8; 32] =
            Sha256::new().chain_update(7u64.to_be_bytes()).chain_update(0u64.to_be_bytes()).finalize().into();
        assert_eq!(draw(7)[..32], first);
        assert_eq!(format!("{:?}", Randomness::Script(vec![9; 4])), "Script(4 bytes)");
    }

    #[test]
    fn seeded_stream_is_the_seeded_randomness_and_makes_the_same_rsa_key() {
        use rand_core::Rng;
        let mut chip = ChipRng::new(Randomness::Seeded(3));
        let mut expected = [0u8; 44];
        chip.fill(&mut expected).unwrap();
        let mut stream = SeededStream::new(3);
        let mut got = [0u8; 44];
        stream.fill_bytes(&mut got[..4]);
        got[4..12].copy_from_slice(&stream.next_u64().to_le_bytes());
        stream.fill_bytes(&mut got[12..]);
        assert_eq!(got, expected);
        // RSA key generation draws only from the generator it is given.
        let key = |seed| rsa::PrivateKey::new(&mut SeededStream::new(seed), 1024).unwrap();
        assert_eq!(key(5), key(5));
        assert_ne!(key(5), key(6));
    }
}
