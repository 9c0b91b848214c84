//! Where cards come from: PC/SC readers or the built-in software reader.
//!
//! A backend is used from blocking threads (a read is finite blocking work):
//! it reports the readers it knows, and runs one read with exclusive access
//! to one card.

use crate::protocol::transceive::Transceive;
use crate::service::error::ServiceError;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// What a reader holds right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderSnapshot {
    /// The reader's name.
    pub name: String,
    /// A card is present.
    pub card_present: bool,
    /// The card's ATR, when present.
    pub atr: Option<Vec<u8>>,
}

/// Whether the card source is reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// pcscd answers (or the software reader is in use).
    Ok,
    /// pcscd is not reachable; the monitor is retrying.
    Unavailable,
}

/// A source of readers and cards.
pub trait Backend: Send + Sync + 'static {
    /// The readers known now (kept current by the backend's monitor).
    fn readers(&self) -> Vec<ReaderSnapshot>;
    /// Whether pcscd is reachable.
    fn availability(&self) -> Availability;
    /// True for the built-in software reader.
    fn simulated(&self) -> bool;
    /// The reader to use when a request names none and several hold a card
    /// (the software reader's demo CCCD); `None`: the client must choose.
    fn default_reader(&self) -> Option<String> {
        None
    }
    /// Waits up to `wait` for a card in `reader` (checking `cancel` at least
    /// every 100 ms), connects to it, and runs `read` with exclusive access
    /// (a PC/SC transaction held for the whole read).
    ///
    /// Errors: [`ServiceError::ReaderNotFound`], [`ServiceError::NoCard`] when
    /// no card came within `wait`, [`ServiceError::PcscUnavailable`],
    /// [`ServiceError::Timeout`] when cancelled while waiting. The result of
    /// `read` itself is returned as it is.
    fn with_card(
        &self,
        reader: &str,
        wait: Duration,
        cancel: &AtomicBool,
        read: &mut dyn FnMut(
            &mut dyn Transceive,
        ) -> Result<crate::protocol::session::DocumentRead, crate::protocol::Error>,
    ) -> Result<crate::protocol::session::DocumentRead, ServiceError>;
}
