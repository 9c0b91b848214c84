//! The built-in software reader (`mrtdd --simulate`): two readers, each with a
//! card always in place — the demo CCCD and the ICAO specimen passport — served
//! by the project's software chip behind the same [`Backend`] as PC/SC.
//!
//! `simulate_apdu_delay_ms` slows every APDU down, as a slow link or a slow
//! chip would: for trying progress bars and timeouts by hand, and for the
//! tests that need a read to be in flight (SIGTERM mid-read).

use crate::chip::{Document, SoftwareChip};
use crate::protocol::error::TransportError;
use crate::protocol::session::DocumentRead;
use crate::protocol::transceive::Transceive;
use crate::service::backend::{Availability, Backend, ReaderSnapshot};
use crate::service::error::ServiceError;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The reader holding the demo CCCD.
pub const CCCD_READER: &str = "mrtdd Simulated Reader (demo CCCD) 00 00";
/// The reader holding the specimen passport.
pub const PASSPORT_READER: &str = "mrtdd Simulated Reader (ICAO specimen passport) 00 01";

/// Software readers with their cards.
pub struct SimulatedBackend {
    readers: Vec<(String, Mutex<SoftwareChip>)>,
    /// The CSCA certificates (DER) that signed the simulated documents: `--simulate` trusts them.
    csca: Vec<Vec<u8>>,
    /// Added to every APDU (`simulate_apdu_delay_ms`).
    apdu_delay: Duration,
}

/// How often a delayed APDU looks at the read's cancel flag.
const DELAY_SLICE: Duration = Duration::from_millis(10);

/// The software chip seen through a slow link: each APDU waits `delay` first
/// (in slices, so a cancelled read stops waiting at once).
struct Slow<'a, T: ?Sized> {
    inner: &'a mut T,
    delay: Duration,
    cancel: &'a AtomicBool,
}

impl<T: Transceive + ?Sized> Transceive for Slow<'_, T> {
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let until = std::time::Instant::now() + self.delay;
        while !self.cancel.load(Ordering::Relaxed) {
            let left = until.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(DELAY_SLICE));
        }
        self.inner.transceive(command)
    }
}

impl SimulatedBackend {
    /// Builds the two documents (keys are generated once per process);
    /// every APDU takes at least `apdu_delay`.
    pub fn new(apdu_delay: Duration) -> Result<Self, ServiceError> {
        let cccd = Document::cccd_demo().map_err(|e| ServiceError::Internal(format!("demo CCCD: {e}")))?;
        let passport = Document::td3_specimen().map_err(|e| ServiceError::Internal(format!("specimen: {e}")))?;
        let csca = vec![cccd.csca_certificate().to_vec(), passport.csca_certificate().to_vec()];
        Ok(Self {
            readers: vec![
                (CCCD_READER.to_owned(), Mutex::new(SoftwareChip::new(cccd))),
                (PASSPORT_READER.to_owned(), Mutex::new(SoftwareChip::new(passport))),
            ],
            csca,
            apdu_delay,
        })
    }

    /// The CSCA certificates of the simulated documents.
    pub fn csca_certificates(&self) -> &[Vec<u8>] {
        &self.csca
    }
}

impl Backend for SimulatedBackend {
    fn readers(&self) -> Vec<ReaderSnapshot> {
        self.readers
            .iter()
            .map(|(name, _)| ReaderSnapshot {
                name: name.clone(),
                card_present: true,
                atr: Some(crate::chip::ATR.to_vec()),
            })
            .collect()
    }

    fn availability(&self) -> Availability {
        Availability::Ok
    }

    fn simulated(&self) -> bool {
        true
    }

    fn default_reader(&self) -> Option<String> {
        Some(CCCD_READER.to_owned())
    }

    fn with_card(
        &self,
        reader: &str,
        _wait: Duration,
        cancel: &AtomicBool,
        read: &mut dyn FnMut(&mut dyn Transceive) -> Result<DocumentRead, crate::protocol::Error>,
    ) -> Result<DocumentRead, ServiceError> {
        let (_, chip) = self
            .readers
            .iter()
            .find(|(name, _)| name == reader)
            .ok_or_else(|| ServiceError::ReaderNotFound(format!("no reader named {reader:?}")))?;
        let mut chip = chip.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // A fresh power-up for every read, as a card placed on a reader.
        chip.reset();
        if self.apdu_delay.is_zero() {
            return Ok(read(&mut *chip)?);
        }
        Ok(read(&mut Slow { inner: &mut *chip, delay: self.apdu_delay, cancel })?)
    }
}
