//! The service layer's error type, and the one place where every failure —
//! the service's own and the protocol core's — becomes an API error code.

use crate::api::ErrorCode;
use crate::protocol::apdu::StatusWord;
use crate::protocol::error::{Error as CoreError, Misbehaviour, TransportError};

/// Errors of the daemon, grouped by cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The request is malformed (names the field, never echoes its value).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request body is larger than `max_request_bytes`.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// No reader of that name, or no reader at all.
    #[error("{0}")]
    ReaderNotFound(String),
    /// The reader holds no card.
    #[error("no card on the reader")]
    NoCard,
    /// A read is already running on the reader.
    #[error("another read is running on this reader")]
    Busy,
    /// pcscd is not reachable.
    #[error("the PC/SC service (pcscd) is unavailable")]
    PcscUnavailable,
    /// The read's deadline passed, or no card came within the wait.
    #[error("{0}")]
    Timeout(&'static str),
    /// The daemon is shutting down.
    #[error("the daemon is shutting down")]
    ShuttingDown,
    /// The protocol core failed.
    #[error(transparent)]
    Chip(#[from] CoreError),
    /// A bug or an unexpected failure inside the daemon (the text names the step).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// The API code of this error: the single mapping of the whole daemon.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            Self::ReaderNotFound(_) => ErrorCode::ReaderNotFound,
            Self::NoCard => ErrorCode::NoCard,
            Self::Busy => ErrorCode::Busy,
            Self::PcscUnavailable => ErrorCode::PcscUnavailable,
            Self::Timeout(_) => ErrorCode::Timeout,
            Self::ShuttingDown => ErrorCode::ShuttingDown,
            Self::Internal(_) => ErrorCode::Internal,
            Self::Chip(e) => core_code(e),
        }
    }

    /// The message for the client: what happened and what to do (no personal data).
    pub fn message(&self) -> String {
        match self {
            Self::BadRequest(m) => format!("bad request: {m}"),
            Self::PayloadTooLarge => "the request body is too large (max_request_bytes)".into(),
            Self::ReaderNotFound(m) => format!("{m} (GET /v1/readers lists the readers)"),
            Self::NoCard => "no card on the reader: place the document on it (or set wait_for_card_ms)".into(),
            Self::Busy => "another read is running on this reader: wait for it to finish".into(),
            Self::PcscUnavailable => {
                "the PC/SC service (pcscd) is unavailable: start it (systemctl start pcscd)".into()
            }
            Self::Timeout(m) => format!("{m}: keep the document still on the reader and try again"),
            Self::ShuttingDown => "the daemon is shutting down: retry when it is back".into(),
            Self::Internal(m) => format!("internal error ({m}): see the daemon's log"),
            Self::Chip(e) => core_message(e),
        }
    }
}

fn core_code(e: &CoreError) -> ErrorCode {
    match e {
        CoreError::Transport(
            TransportError::CardRemoved | TransportError::ShortResponse(_) | TransportError::Other(_),
        ) => ErrorCode::CardRemoved,
        CoreError::Transport(TransportError::ReaderGone) => ErrorCode::ReaderNotFound,
        CoreError::Transport(TransportError::ServiceUnavailable) => ErrorCode::PcscUnavailable,
        CoreError::AccessDenied(_) => ErrorCode::WrongKey,
        CoreError::Misbehaving(Misbehaviour::Authentication(_)) => ErrorCode::AccessDenied,
        CoreError::Misbehaving(
            Misbehaviour::SecureMessaging(_) | Misbehaviour::SecureMessagingAborted(_) | Misbehaviour::SessionLostTwice,
        ) => ErrorCode::AccessDenied,
        CoreError::Misbehaving(_) | CoreError::Malformed(_) | CoreError::Limit { .. } | CoreError::Unsupported(_) => {
            ErrorCode::UnsupportedDocument
        }
        CoreError::Status { sw, .. } if *sw == StatusWord::SECURITY_STATUS_NOT_SATISFIED => ErrorCode::AccessDenied,
        CoreError::Status { .. } => ErrorCode::UnsupportedDocument,
        CoreError::Input(_) => ErrorCode::BadRequest,
        CoreError::Cancelled => ErrorCode::Timeout,
    }
}

fn core_message(e: &CoreError) -> String {
    match core_code(e) {
        ErrorCode::CardRemoved => {
            "the card left the reader (or stopped answering): place it again and hold it still".into()
        }
        ErrorCode::WrongKey => "the chip rejected the access key: check the MRZ, the CAN or the QR text".into(),
        ErrorCode::AccessDenied => format!("the chip refused access or failed to authenticate ({e})"),
        ErrorCode::UnsupportedDocument => format!("the document could not be read ({e})"),
        ErrorCode::BadRequest => format!("bad request: {e}"),
        ErrorCode::Timeout => "the read was cancelled at its deadline".into(),
        ErrorCode::ReaderNotFound => "the reader disappeared during the read".into(),
        ErrorCode::PcscUnavailable => "the PC/SC service went away during the read".into(),
        _ => format!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::{InputError, Malformed};

    #[test]
    fn every_core_error_has_a_code() {
        let cases = [
            (CoreError::Transport(TransportError::CardRemoved), ErrorCode::CardRemoved),
            (CoreError::Transport(TransportError::ServiceUnavailable), ErrorCode::PcscUnavailable),
            (CoreError::Transport(TransportError::ReaderGone), ErrorCode::ReaderNotFound),
            (CoreError::AccessDenied(StatusWord::VERIFICATION_FAILED), ErrorCode::WrongKey),
            (CoreError::Misbehaving(Misbehaviour::SessionLostTwice), ErrorCode::AccessDenied),
            (CoreError::Malformed(Malformed::Truncated("DG1")), ErrorCode::UnsupportedDocument),
            (CoreError::Unsupported("x"), ErrorCode::UnsupportedDocument),
            (CoreError::Input(InputError::CheckDigit { field: "date_of_birth" }), ErrorCode::BadRequest),
            (CoreError::Cancelled, ErrorCode::Timeout),
        ];
        for (e, code) in cases {
            assert_eq!(ServiceError::Chip(e.clone()).code(), code, "{e:?}");
            assert!(!ServiceError::Chip(e).message().is_empty());
        }
        assert_eq!(ServiceError::Busy.code().http_status(), 409);
    }
}
