//! Watching readers: the blocking `SCardGetStatusChange` loop of a reader
//! monitor, with PnP notification for readers attached and detached.
//!
//! The pattern is the pcsc-lite one (and pcsc-rust's `monitor.rs` example):
//! list the readers, add a `SCARD_READERSTATE` for each new one with
//! `SCARD_STATE_UNAWARE` (so the next call reports it at once), drop those
//! no longer listed, copy every reported state into the "current" state
//! (`sync_current_state`) and block in `SCardGetStatusChange` until one of
//! them differs. The pseudo-reader `\\?PnP?\Notification` is in the list too:
//! pcsc-lite keeps the number of readers in the high 16 bits of its state
//! and wakes the call when that number changes.
//!
//! The call is ended from another thread with `SCardCancel` through a
//! [`Canceller`] (a clone of the watcher's context): that is the one
//! cross-thread use of a context pcsc-lite allows. pcsc-lite only cancels a
//! call that is *already* blocking; a cancel that comes just before the call
//! is lost, so the stopping thread repeats it until the watcher's thread
//! ends (see `PcscBackend::shutdown` in the service layer).
//!
//! pcsc-lite also counts card insertions and removals per reader in the high
//! 16 bits of the reported state; [`ReaderStatus::card_events`] exposes the
//! count so a caller can notice a card swapped between two wake-ups.

use super::{PcscError, ReaderInfo, failed, info_of};
use std::time::Duration;

/// How often [`Watcher::wait`] lists the readers again when one vanished
/// between the listing and `SCardGetStatusChange` (`SCARD_E_UNKNOWN_READER`)
/// before giving up with [`PcscError::ReaderNotFound`].
pub const WATCH_ATTEMPTS: usize = 3;

/// One reader as last reported by `SCardGetStatusChange`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderStatus {
    /// Name, card presence and ATR.
    pub info: ReaderInfo,
    /// pcsc-lite's per-reader count of card insertions and removals (the
    /// high 16 bits of `dwEventState`); it changes when a card was swapped
    /// even if both states show a card present.
    pub card_events: u32,
}

/// What ended one [`Watcher::wait`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// A reader's state (or the number of readers) changed.
    Changed,
    /// Nothing changed within the timeout.
    TimedOut,
    /// [`Canceller::cancel`] ended the call.
    Cancelled,
}

/// A blocking watch over every reader and the PnP pseudo-reader, on one
/// context. Use it from one thread; stop it from another with its
/// [`Canceller`].
pub struct Watcher {
    /// The context the watch runs on; released when the watcher (and every
    /// [`Canceller`] made from it) is dropped.
    ctx: pcsc::Context,
    /// `SCARD_READERSTATE`s: the PnP pseudo-reader first, then one per reader
    /// listed by the last refresh.
    states: Vec<pcsc::ReaderState>,
}

impl core::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Watcher").field("readers", &self.states.len().saturating_sub(1)).finish_non_exhaustive()
    }
}

impl Watcher {
    /// A watcher on `ctx` (from [`establish`](super::establish)), knowing no reader yet.
    pub fn new(ctx: pcsc::Context) -> Self {
        Self { ctx, states: vec![pcsc::ReaderState::new(pcsc::PNP_NOTIFICATION(), pcsc::State::UNAWARE)] }
    }

    /// A handle that ends a blocking [`wait`](Self::wait) from another thread.
    pub fn canceller(&self) -> Canceller {
        Canceller { ctx: self.ctx.clone() }
    }

    /// Lists the readers, then blocks until a reader's state or the number
    /// of readers differs from what was last reported, for at most `timeout`.
    ///
    /// The first call after a reader appears returns at once with its state.
    /// Errors: the classified PC/SC failure ([`PcscError::ServiceUnavailable`]
    /// when pcscd stopped or restarted; the watcher is then useless and must
    /// be dropped).
    pub fn wait(&mut self, timeout: Duration) -> Result<Wake, PcscError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.refresh()?;
            match self.ctx.get_status_change(timeout, &mut self.states) {
                Ok(()) => return Ok(Wake::Changed),
                Err(pcsc::Error::Timeout) => return Ok(Wake::TimedOut),
                Err(pcsc::Error::Cancelled) => return Ok(Wake::Cancelled),
                // A reader left between the listing and the call: list again.
                Err(pcsc::Error::UnknownReader) if attempt < WATCH_ATTEMPTS => continue,
                Err(code) => return Err(watch_failed("SCardGetStatusChange", code)),
            }
        }
    }

    /// The readers as last reported (the PnP pseudo-reader, readers pcscd no
    /// longer knows, and readers not reported yet are left out).
    pub fn readers(&self) -> Vec<ReaderStatus> {
        self.states
            .iter()
            .filter(|s| s.name() != pcsc::PNP_NOTIFICATION())
            // A state never filled in by SCardGetStatusChange says nothing yet.
            .filter(|s| s.event_state() != pcsc::State::UNAWARE)
            .filter_map(|s| info_of(s).map(|info| ReaderStatus { info, card_events: s.event_count() }))
            .collect()
    }

    /// Brings the reader states in line with pcscd's list and marks every
    /// reported state as known.
    fn refresh(&mut self) -> Result<(), PcscError> {
        let names = match self.ctx.list_readers_owned() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(code) => return Err(watch_failed("SCardListReaders", code)),
        };
        self.states.retain(|s| s.name() == pcsc::PNP_NOTIFICATION() || names.iter().any(|n| n.as_c_str() == s.name()));
        for name in names {
            if !self.states.iter().any(|s| s.name() == name.as_c_str()) {
                tracing::debug!(reader = %name.to_string_lossy(), "watching reader");
                self.states.push(pcsc::ReaderState::new(name, pcsc::State::UNAWARE));
            }
        }
        for state in &mut self.states {
            state.sync_current_state();
        }
        Ok(())
    }
}

/// Classifies a failure of the watch's calls. They talk to pcscd only, never
/// to a reader, so `SCARD_F_COMM_ERROR` means the link to pcscd broke:
/// measured with pcsc-lite 1.9.9, a `SCardGetStatusChange` blocked when
/// pcscd exits returns exactly that. It is reported as
/// [`PcscError::ServiceUnavailable`] here (the adapter's general table keeps
/// it as `Other`, since from `SCardTransmit` it can be a reader fault).
fn watch_failed(call: &'static str, code: pcsc::Error) -> PcscError {
    match failed(call, code) {
        PcscError::Other { code: pcsc::Error::CommError, .. } => PcscError::ServiceUnavailable { call, code },
        other => other,
    }
}

/// Ends a [`Watcher::wait`] blocking on another thread (`SCardCancel` on a
/// clone of the watcher's context). Holding one keeps that context alive.
#[derive(Clone)]
pub struct Canceller {
    /// A clone of the watcher's context.
    ctx: pcsc::Context,
}

impl core::fmt::Debug for Canceller {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Canceller").finish_non_exhaustive()
    }
}

impl Canceller {
    /// Cancels the blocking call in progress on the context, if any (a
    /// cancel with no call in progress does nothing, per pcsc-lite).
    pub fn cancel(&self) -> Result<(), PcscError> {
        // pcsc-lite's SCardCancel opens a connection of its own to pcscd.
        let _guard = crate::pcsc::link::connecting();
        self.ctx.cancel().map_err(|code| failed("SCardCancel", code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_link_to_pcscd_is_service_unavailable() {
        let e = watch_failed("SCardGetStatusChange", pcsc::Error::CommError);
        assert_eq!(e, PcscError::ServiceUnavailable { call: "SCardGetStatusChange", code: pcsc::Error::CommError });
        assert!(matches!(
            watch_failed("SCardListReaders", pcsc::Error::NoService),
            PcscError::ServiceUnavailable { .. }
        ));
        assert!(matches!(
            watch_failed("SCardGetStatusChange", pcsc::Error::UnknownReader),
            PcscError::ReaderNotFound { .. }
        ));
        assert!(matches!(watch_failed("SCardGetStatusChange", pcsc::Error::NoMemory), PcscError::Other { .. }));
    }
}
