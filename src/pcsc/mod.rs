//! The PC/SC adapter: the only code in the crate that uses the `pcsc` crate.
//!
//! # Layout
//! - [`PcscTransport`]: the protocol core's [`Transceive`] over a card, built
//!   from a `pcsc::Transaction` so every APDU of a read is inside one
//!   transaction. [`with_transaction`] opens one, runs a closure, closes it.
//! - [`establish`], [`list_readers`], [`reader_info`], [`wait_for_card`],
//!   [`connect`]: the calls a session needs around a read.
//! - [`PcscError`]: failures grouped by cause; the single classification of
//!   PC/SC return codes, and their mapping to [`TransportError`].
//! - [`establish_with_link`] and [`PcscLink`] (module `link`): a context
//!   whose connection to pcscd another thread can cut, to end a call that
//!   never returns (vpcd waits for a silent card forever; see the module).
//! - [`Watcher`] (module `watch`): a reader monitor's blocking
//!   `SCardGetStatusChange` over every reader and the PnP pseudo-reader,
//!   ended from another thread by its [`Canceller`]. [`disconnect`] ends a
//!   card session.
//!
//! # Errors
//! Every PC/SC return code is classified once, by cause:
//!
//! | PC/SC code | [`PcscError`] | [`TransportError`] | why |
//! |---|---|---|---|
//! | `NO_SERVICE`, `SERVICE_STOPPED`, `P_SHUTDOWN` | `ServiceUnavailable` | `ServiceUnavailable` | pcscd is not running or stopped |
//! | `INVALID_HANDLE` | `ServiceUnavailable` | `ServiceUnavailable` | handles from before a pcscd restart |
//! | `READER_UNAVAILABLE`, `UNKNOWN_READER`, `NO_READERS_AVAILABLE` | `ReaderNotFound` | `ReaderGone` | unplugged or unknown reader |
//! | `NO_SMARTCARD` | `NoCard` | `CardRemoved` | empty reader (mid-session: the card left) |
//! | `W_REMOVED_CARD`, `W_UNPOWERED_CARD` | `CardRemoved` | `CardRemoved` | the card left the field |
//! | `W_RESET_CARD` | `CardRemoved` | `CardRemoved` | another client reset the card: the chip's session is gone |
//! | `NOT_TRANSACTED` | `CardRemoved` | `CardRemoved` | the reader could not exchange the APDU with the card (the card side vanished mid-transaction) |
//! | anything else | `Other` | `Other("<call>: <code>")` | |
//!
//! A transmit that "succeeds" with fewer than two bytes is
//! [`TransportError::ShortResponse`](crate::protocol::error::TransportError::ShortResponse):
//! pcsc-lite with vpcd returns success with 0 bytes when the card side dies
//! while an APDU is in flight.
//!
//! # Threads
//! PC/SC calls block. pcsc-lite wants one `pcsc::Context` per thread; a
//! blocking [`wait_for_card`] is ended from another thread with
//! `pcsc::Context::cancel` on a clone of its context.
//!
//! # Logging
//! Only reader names, status words and PC/SC return codes are logged (with
//! `tracing`); never APDU data.
//!
//! # Readers that differ from real ones
//! vpcd (the virtual reader of the end-to-end tests) does not support
//! `SCardGetAttrib`, so the ATR is taken from `SCardGetStatusChange`, which
//! every reader supports.
//!
//! [`Transceive`]: crate::protocol::transceive::Transceive
//! [`TransportError`]: crate::protocol::error::TransportError

mod error;
mod link;
mod transport;
mod watch;

pub use error::PcscError;
pub use link::{PcscLink, establish_with_link};
pub use transport::{PcscTransport, RECEIVE_BUFFER_SIZE};
pub use watch::{Canceller, ReaderStatus, WATCH_ATTEMPTS, Wake, Watcher};

/// The PC/SC handles the functions here take and return, re-exported so that
/// callers need not name the `pcsc` crate: a context with pcscd
/// ([`establish`]) and a connection to a card ([`connect`]).
pub use pcsc::{Card, Context};

use std::ffi::CString;
use std::time::{Duration, Instant};

/// What a reader holds right now, from `SCardGetStatusChange`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderInfo {
    /// The reader's name as pcscd reports it (e.g. `Virtual PCD 00 00`).
    pub name: String,
    /// A card is in the reader (or in its field).
    pub card_present: bool,
    /// The card's ATR (or the ATS-derived ATR of a contactless card), when a card is present.
    pub atr: Option<Vec<u8>>,
}

/// Opens a context with pcscd (`SCardEstablishContext`, user scope).
///
/// [`PcscError::ServiceUnavailable`] when pcscd is not running.
pub fn establish() -> Result<pcsc::Context, PcscError> {
    let _guard = link::connecting();
    establish_unlocked()
}

/// [`establish`] for callers that hold [`link::connecting`].
fn establish_unlocked() -> Result<pcsc::Context, PcscError> {
    pcsc::Context::establish(pcsc::Scope::User).map_err(|code| failed("SCardEstablishContext", code))
}

/// Every reader pcscd knows, with its card state and ATR.
///
/// No readers is an empty list, not an error. A reader unplugged between the
/// listing and the status query makes the query fail for all of them; the
/// listing is then retried (up to [`LIST_ATTEMPTS`] times).
pub fn list_readers(ctx: &pcsc::Context) -> Result<Vec<ReaderInfo>, PcscError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let names = match ctx.list_readers_owned() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
            Err(code) => return Err(failed("SCardListReaders", code)),
        };
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut states: Vec<pcsc::ReaderState> =
            names.into_iter().map(|name| pcsc::ReaderState::new(name, pcsc::State::UNAWARE)).collect();
        match ctx.get_status_change(Duration::ZERO, &mut states) {
            Ok(()) => return Ok(states.iter().filter_map(info_of).collect()),
            Err(pcsc::Error::UnknownReader) if attempt < LIST_ATTEMPTS => continue,
            Err(code) => return Err(failed("SCardGetStatusChange", code)),
        }
    }
}

/// How often [`list_readers`] lists again when a reader vanished mid-listing.
pub const LIST_ATTEMPTS: usize = 3;

/// The state of one reader.
///
/// [`PcscError::ReaderNotFound`] when pcscd does not know `reader`.
pub fn reader_info(ctx: &pcsc::Context, reader: &str) -> Result<ReaderInfo, PcscError> {
    let mut states = [pcsc::ReaderState::new(reader_name(reader, "SCardGetStatusChange")?, pcsc::State::UNAWARE)];
    ctx.get_status_change(Duration::ZERO, &mut states).map_err(|code| failed("SCardGetStatusChange", code))?;
    states
        .first()
        .and_then(info_of)
        .ok_or(PcscError::ReaderNotFound { call: "SCardGetStatusChange", code: pcsc::Error::UnknownReader })
}

/// Blocks until `reader` holds a card (`present = true`) or is empty
/// (`present = false`), for at most `timeout`.
///
/// Returns the reader's state when it matches, `None` on timeout. Ended
/// early by `pcsc::Context::cancel` on a clone of `ctx` (then
/// [`PcscError::Other`] with `pcsc::Error::Cancelled`).
pub fn wait_for_card(
    ctx: &pcsc::Context,
    reader: &str,
    present: bool,
    timeout: Duration,
) -> Result<Option<ReaderInfo>, PcscError> {
    let deadline = Instant::now() + timeout;
    let mut states = [pcsc::ReaderState::new(reader_name(reader, "SCardGetStatusChange")?, pcsc::State::UNAWARE)];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match ctx.get_status_change(left, &mut states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => return Ok(None),
            Err(code) => return Err(failed("SCardGetStatusChange", code)),
        }
        let Some(state) = states.first_mut() else { return Ok(None) };
        match info_of(state) {
            Some(info) if info.card_present == present => return Ok(Some(info)),
            Some(_) => {}
            None => {
                return Err(PcscError::ReaderNotFound {
                    call: "SCardGetStatusChange",
                    code: pcsc::Error::UnknownReader,
                });
            }
        }
        state.sync_current_state();
        if left.is_zero() {
            return Ok(None);
        }
    }
}

/// Connects to the card in `reader` (`SCardConnect`, shared mode, T=0 or T=1).
///
/// Shared mode lets other clients (a monitor, `pcsc_scan`) keep watching the
/// reader; a read is protected from them by its transaction instead.
/// [`PcscError::NoCard`] when the reader is empty.
pub fn connect(ctx: &pcsc::Context, reader: &str) -> Result<pcsc::Card, PcscError> {
    let name = reader_name(reader, "SCardConnect")?;
    let card = ctx
        .connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .map_err(|code| failed("SCardConnect", code))?;
    tracing::debug!(reader, "connected to the card");
    Ok(card)
}

/// Runs `f` with a [`PcscTransport`] inside one PC/SC transaction on `card`.
///
/// Begins the transaction (`SCardBeginTransaction`); if another process
/// reset the card since we connected (`SCARD_W_RESET_CARD`), reconnects once
/// and retries. Ends it with `SCARD_LEAVE_CARD` after `f` returns; a failure
/// to end it is logged, not returned: `f`'s result already says whether the
/// exchange worked, and pcscd ends the transaction itself when the card or
/// the handle goes away.
///
/// Errors: only the failure to begin the transaction. Errors inside the
/// exchange are `f`'s to return.
pub fn with_transaction<T>(card: &mut pcsc::Card, f: impl FnOnce(&mut PcscTransport<'_>) -> T) -> Result<T, PcscError> {
    let transaction = match card.transaction2() {
        Ok(transaction) => transaction,
        Err((card, pcsc::Error::ResetCard)) => {
            tracing::debug!("card was reset by another client; reconnecting");
            card.reconnect(pcsc::ShareMode::Shared, pcsc::Protocols::ANY, pcsc::Disposition::LeaveCard)
                .map_err(|code| failed("SCardReconnect", code))?;
            card.transaction().map_err(|code| failed("SCardBeginTransaction", code))?
        }
        Err((_, code)) => return Err(failed("SCardBeginTransaction", code)),
    };
    let mut transport = PcscTransport::new(&transaction);
    let result = f(&mut transport);
    drop(transport);
    if let Err((_, code)) = transaction.end(pcsc::Disposition::LeaveCard) {
        tracing::debug!(code = ?code, "SCardEndTransaction failed");
    }
    Ok(result)
}

/// Ends a card session: `SCardDisconnect` with `SCARD_RESET_CARD`, so the
/// chip loses its selected application and secure-messaging keys and no
/// later client can ride on the session. A failure (the card or pcscd already
/// gone) is logged, not returned: the handle is released either way.
pub fn disconnect(card: pcsc::Card) {
    if let Err((card, code)) = card.disconnect(pcsc::Disposition::ResetCard) {
        tracing::debug!(code = ?code, "SCardDisconnect failed");
        // Dropping it disconnects (again with SCARD_RESET_CARD) and releases the handle.
        drop(card);
    }
}

/// Classifies a failed call and logs its code (never data).
fn failed(call: &'static str, code: pcsc::Error) -> PcscError {
    let error = PcscError::new(call, code);
    tracing::debug!(call, code = ?code, "PC/SC call failed");
    error
}

/// A reader name as PC/SC wants it; a name with a NUL byte cannot exist.
fn reader_name(reader: &str, call: &'static str) -> Result<CString, PcscError> {
    CString::new(reader).map_err(|_| PcscError::ReaderNotFound { call, code: pcsc::Error::UnknownReader })
}

/// [`ReaderInfo`] of a reader state reported by `SCardGetStatusChange`; `None`
/// if pcscd does not know the reader (`UNKNOWN`) or asked to ignore it.
fn info_of(state: &pcsc::ReaderState) -> Option<ReaderInfo> {
    let event = state.event_state();
    if event.intersects(pcsc::State::UNKNOWN | pcsc::State::IGNORE) {
        return None;
    }
    let card_present = event.contains(pcsc::State::PRESENT);
    let atr = state.atr();
    Some(ReaderInfo {
        name: state.name().to_string_lossy().into_owned(),
        card_present,
        atr: (card_present && !atr.is_empty()).then(|| atr.to_vec()),
    })
}
