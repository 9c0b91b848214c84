//! PC/SC failures, grouped by cause, and their one mapping to [`TransportError`].
//!
//! Every `pcsc::Error` the adapter sees goes through [`Cause::of`]; both
//! [`PcscError`] (for the adapter's own calls: establish, list, connect,
//! begin transaction) and [`TransportError`] (for the protocol core, via
//! `From<PcscError>`) are derived from it, so the two can never disagree.

use crate::protocol::error::{Error, TransportError};

/// What a PC/SC error code means for the caller, independent of the call that returned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The resource manager (pcscd) is not reachable, or our handles predate its restart.
    ServiceUnavailable,
    /// The named reader does not exist (any more), or there are no readers.
    ReaderNotFound,
    /// The reader is there but holds no card.
    NoCard,
    /// The card we were talking to left, or lost its state.
    CardRemoved,
    /// Anything else: a bug, a resource problem, a reader/driver fault.
    Other,
}

impl Cause {
    /// Classifies a PC/SC return code. Each arm documents why.
    pub(crate) fn of(code: pcsc::Error) -> Self {
        use pcsc::Error as E;
        match code {
            // SCARD_E_NO_SERVICE: pcscd is not running (the client library
            // cannot reach its socket). SCARD_E_SERVICE_STOPPED: it shut down
            // under us. SCARD_P_SHUTDOWN: an operation aborted because the
            // server is exiting.
            E::NoService | E::ServiceStopped | E::Shutdown => Cause::ServiceUnavailable,
            // SCARD_E_INVALID_HANDLE: after pcscd restarts, every context and
            // card handle from before is invalid (measured: TESTSTACK). Our
            // code never fabricates handles, so this is a service restart,
            // and the cure is the same: establish a new context.
            E::InvalidHandle => Cause::ServiceUnavailable,
            // The reader was unplugged (SCARD_E_READER_UNAVAILABLE), the name
            // is unknown (SCARD_E_UNKNOWN_READER), or no reader is attached
            // at all (SCARD_E_NO_READERS_AVAILABLE).
            E::ReaderUnavailable | E::UnknownReader | E::NoReadersAvailable => Cause::ReaderNotFound,
            // SCARD_E_NO_SMARTCARD: the reader is empty (connect), or the
            // card went away between calls.
            E::NoSmartcard => Cause::NoCard,
            // SCARD_W_REMOVED_CARD: the card was removed. SCARD_W_UNPOWERED_CARD:
            // power was removed from it; for a contactless card this is
            // leaving the field.
            E::RemovedCard | E::UnpoweredCard => Cause::CardRemoved,
            // SCARD_W_RESET_CARD: another process reset the card. The chip has
            // lost its selected application and secure-messaging session, so
            // for a read this is the same as a removal and re-insertion: the
            // session must start over.
            E::ResetCard => Cause::CardRemoved,
            // SCARD_E_NOT_TRANSACTED: pcsc-lite returns it from SCardTransmit
            // when the reader driver could not exchange the APDU with the
            // card. Measured with vpcd: after the emulator dies
            // mid-transaction, further transmits give this code and then the
            // reader shows empty. With a contactless reader it is the card
            // leaving the field mid-exchange ("tearing").
            E::NotTransacted => Cause::CardRemoved,
            _ => Cause::Other,
        }
    }
}

/// A failed PC/SC call: the cause group, the call and its return code.
///
/// Carries no APDU data and no personal data; safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PcscError {
    /// pcscd is not running, stopped, or restarted (old handles are invalid): start it,
    /// or establish a new context.
    #[error("the PC/SC service is unavailable ({call}: {})", describe(*code))]
    ServiceUnavailable {
        /// The PC/SC function that failed.
        call: &'static str,
        /// Its return code.
        code: pcsc::Error,
    },
    /// The reader does not exist (any more), or no reader is attached.
    #[error("the reader was not found ({call}: {})", describe(*code))]
    ReaderNotFound {
        /// The PC/SC function that failed.
        call: &'static str,
        /// Its return code.
        code: pcsc::Error,
    },
    /// The reader holds no card.
    #[error("no card in the reader ({call}: {})", describe(*code))]
    NoCard {
        /// The PC/SC function that failed.
        call: &'static str,
        /// Its return code.
        code: pcsc::Error,
    },
    /// The card was removed or reset while we were using it.
    #[error("the card was removed or reset ({call}: {})", describe(*code))]
    CardRemoved {
        /// The PC/SC function that failed.
        call: &'static str,
        /// Its return code.
        code: pcsc::Error,
    },
    /// Any other PC/SC failure.
    #[error("{call} failed: {}", describe(*code))]
    Other {
        /// The PC/SC function that failed.
        call: &'static str,
        /// Its return code.
        code: pcsc::Error,
    },
}

/// `NoService (0x8010001D)`: the variant name and the raw PC/SC code, as pcsc-lite documents them.
fn describe(code: pcsc::Error) -> String {
    format!("{code:?} (0x{:08X})", code as u32)
}

impl PcscError {
    /// Classifies the failure of `call` with `code` (the table in the
    /// [adapter's documentation](crate::pcsc#errors)).
    pub fn new(call: &'static str, code: pcsc::Error) -> Self {
        match Cause::of(code) {
            Cause::ServiceUnavailable => PcscError::ServiceUnavailable { call, code },
            Cause::ReaderNotFound => PcscError::ReaderNotFound { call, code },
            Cause::NoCard => PcscError::NoCard { call, code },
            Cause::CardRemoved => PcscError::CardRemoved { call, code },
            Cause::Other => PcscError::Other { call, code },
        }
    }

    /// The PC/SC function that failed (`SCardTransmit`, ...).
    pub fn call(&self) -> &'static str {
        match *self {
            PcscError::ServiceUnavailable { call, .. }
            | PcscError::ReaderNotFound { call, .. }
            | PcscError::NoCard { call, .. }
            | PcscError::CardRemoved { call, .. }
            | PcscError::Other { call, .. } => call,
        }
    }

    /// The PC/SC return code.
    pub fn code(&self) -> pcsc::Error {
        match *self {
            PcscError::ServiceUnavailable { code, .. }
            | PcscError::ReaderNotFound { code, .. }
            | PcscError::NoCard { code, .. }
            | PcscError::CardRemoved { code, .. }
            | PcscError::Other { code, .. } => code,
        }
    }
}

/// The protocol core's view: the session cannot go on, and why.
///
/// A reader that is gone maps to [`TransportError::ReaderGone`]; an empty
/// reader mid-session means the card left, so [`PcscError::NoCard`] maps to
/// [`TransportError::CardRemoved`] like a removal does.
impl From<PcscError> for TransportError {
    fn from(e: PcscError) -> Self {
        match e {
            PcscError::ServiceUnavailable { .. } => TransportError::ServiceUnavailable,
            PcscError::ReaderNotFound { .. } => TransportError::ReaderGone,
            PcscError::NoCard { .. } | PcscError::CardRemoved { .. } => TransportError::CardRemoved,
            PcscError::Other { call, code } => TransportError::Other(format!("{call}: {}", describe(code))),
        }
    }
}

/// For callers that run the protocol core inside [`with_transaction`](crate::pcsc::with_transaction)
/// and want one error type: a PC/SC failure is a transport failure.
impl From<PcscError> for Error {
    fn from(e: PcscError) -> Self {
        Error::Transport(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcsc::Error as E;

    fn transport(code: pcsc::Error) -> TransportError {
        PcscError::new("SCardTransmit", code).into()
    }

    #[test]
    fn card_gone_codes_map_to_card_removed() {
        for code in [E::RemovedCard, E::NoSmartcard, E::ResetCard, E::UnpoweredCard, E::NotTransacted] {
            assert_eq!(transport(code), TransportError::CardRemoved, "{code:?}");
        }
        assert!(matches!(PcscError::new("SCardConnect", E::NoSmartcard), PcscError::NoCard { .. }));
        assert!(matches!(PcscError::new("SCardTransmit", E::RemovedCard), PcscError::CardRemoved { .. }));
    }

    #[test]
    fn reader_codes_map_to_reader_gone() {
        for code in [E::ReaderUnavailable, E::UnknownReader, E::NoReadersAvailable] {
            assert_eq!(transport(code), TransportError::ReaderGone, "{code:?}");
            assert!(matches!(PcscError::new("SCardConnect", code), PcscError::ReaderNotFound { .. }));
        }
    }

    #[test]
    fn service_codes_map_to_service_unavailable() {
        for code in [E::NoService, E::ServiceStopped, E::InvalidHandle, E::Shutdown] {
            assert_eq!(transport(code), TransportError::ServiceUnavailable, "{code:?}");
            assert!(matches!(PcscError::new("SCardEstablishContext", code), PcscError::ServiceUnavailable { .. }));
        }
    }

    #[test]
    fn other_codes_name_the_call_and_the_code() {
        assert_eq!(
            transport(E::InsufficientBuffer),
            TransportError::Other("SCardTransmit: InsufficientBuffer (0x80100008)".into())
        );
        assert_eq!(transport(E::CommError), TransportError::Other("SCardTransmit: CommError (0x80100013)".into()));
        let e = PcscError::new("SCardBeginTransaction", E::SharingViolation);
        assert_eq!(e.call(), "SCardBeginTransaction");
        assert_eq!(e.code(), E::SharingViolation);
        assert_eq!(e.to_string(), "SCardBeginTransaction failed: SharingViolation (0x8010000B)");
    }

    #[test]
    fn core_error_wraps_the_transport_error() {
        assert_eq!(
            Error::from(PcscError::new("SCardBeginTransaction", E::RemovedCard)),
            Error::Transport(TransportError::CardRemoved)
        );
    }

    #[test]
    fn messages_name_the_cause_call_and_code() {
        assert_eq!(
            PcscError::new("SCardEstablishContext", E::NoService).to_string(),
            "the PC/SC service is unavailable (SCardEstablishContext: NoService (0x8010001D))"
        );
        assert_eq!(
            PcscError::new("SCardConnect", E::NoSmartcard).to_string(),
            "no card in the reader (SCardConnect: NoSmartcard (0x8010000C))"
        );
    }
}
