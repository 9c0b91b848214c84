//! The protocol core's error type.
//!
//! Errors are grouped by cause, after rustls: what the chip sent could not be
//! parsed ([`Malformed`]), the chip broke the protocol ([`Misbehaviour`]), the
//! chip refused us ([`Error::AccessDenied`], [`Error::Status`]), the transport
//! failed ([`TransportError`]), the caller's input was bad ([`InputError`]), or
//! we hit one of our own limits ([`Error::Limit`]). The service layer maps each
//! variant to exactly one API error code.

use crate::protocol::apdu::StatusWord;

/// A failure of the link to the chip, reported by a [`Transceive`](crate::protocol::transceive::Transceive) implementation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The card left the field (PC/SC `SCARD_W_REMOVED_CARD`, `SCARD_E_NO_SMARTCARD`, ...).
    #[error("the card was removed")]
    CardRemoved,
    /// The reader disappeared (unplugged, or pcscd went away).
    #[error("the reader is no longer available")]
    ReaderGone,
    /// The PC/SC service is not running or its handles became invalid.
    #[error("the PC/SC service is unavailable")]
    ServiceUnavailable,
    /// The chip sent fewer than the two status bytes every response carries.
    #[error("response of {0} bytes is shorter than a status word")]
    ShortResponse(usize),
    /// Any other transport failure; the text names the failing call and code.
    #[error("transport failure: {0}")]
    Other(String),
}

/// The chip sent bytes that do not parse. Every variant names what was being parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// Input ended before a complete element.
    #[error("{0}: truncated")]
    Truncated(&'static str),
    /// A BER length form we do not accept (indefinite, 5+ bytes, non-minimal).
    #[error("{0}: unsupported or invalid BER length encoding")]
    BadLength(&'static str),
    /// A declared length is larger than its container.
    #[error("{0}: element longer than its container")]
    Overrun(&'static str),
    /// A tag other than the one the grammar requires.
    #[error("{what}: expected tag {expected:#x}, found {found:#x}")]
    UnexpectedTag {
        /// What was being parsed.
        what: &'static str,
        /// The tag the grammar requires.
        expected: u32,
        /// The tag found.
        found: u32,
    },
    /// A tag longer than [`crate::protocol::tlv::MAX_TAG_BYTES`].
    #[error("{0}: tag too long")]
    TagTooLong(&'static str),
    /// Bytes left over after a complete element where none may be.
    #[error("{0}: trailing bytes")]
    TrailingBytes(&'static str),
    /// TLV nesting deeper than [`crate::protocol::tlv::MAX_TLV_DEPTH`].
    #[error("{0}: nesting too deep")]
    TooDeep(&'static str),
    /// A value that is structurally valid TLV but not valid for its field.
    #[error("{what}: {reason}")]
    Invalid {
        /// What was being parsed.
        what: &'static str,
        /// Why it is invalid.
        reason: &'static str,
    },
}

/// The chip broke the protocol (secure messaging, authentication, reading).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Misbehaviour {
    /// A secure-messaging response failed its MAC check, lacked DO'8E', or
    /// did not decrypt and unpad. The session is lost.
    #[error("secure messaging error: {0}")]
    SecureMessaging(&'static str),
    /// The chip signalled a secure-messaging error (`6987`/`6988`).
    #[error("the chip reported a secure messaging error ({0})")]
    SecureMessagingAborted(StatusWord),
    /// A response to a mutual-authentication step failed its check (MAC, echo of our nonce).
    #[error("authentication response invalid: {0}")]
    Authentication(&'static str),
    /// The chip returned more data than was asked for.
    #[error("the chip returned {got} bytes for Le = {asked}")]
    TooMuchData {
        /// Ne of the command.
        asked: usize,
        /// Bytes returned.
        got: usize,
    },
    /// Reads stopped progressing (repeated empty answers).
    #[error("reading {0} made no progress")]
    NoProgress(&'static str),
    /// The chip returned a file other than the one asked for.
    #[error("{0}: the chip returned a different file than was asked for")]
    WrongFile(&'static str),
    /// The secure-messaging session was lost again after one re-authentication.
    #[error("the secure messaging session was lost twice")]
    SessionLostTwice,
}

/// Bad input from the caller (a key, an MRZ). Names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// Wrong length for the named field or the whole input.
    #[error("{field}: expected {expected} characters, got {got}")]
    Length {
        /// The field.
        field: &'static str,
        /// The required length.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A character outside the allowed set for the field.
    #[error("{field}: invalid character at position {position}")]
    Character {
        /// The field.
        field: &'static str,
        /// 0-based position of the character in the field or line.
        position: usize,
    },
    /// A check digit did not match.
    #[error("{field}: check digit mismatch")]
    CheckDigit {
        /// The field whose check digit failed.
        field: &'static str,
    },
    /// A value that is not valid for its field.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why it is invalid.
        reason: &'static str,
    },
}

/// Errors of the synchronous protocol core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The link to the chip failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The chip sent bytes that do not parse.
    #[error("malformed data from the chip: {0}")]
    Malformed(#[from] Malformed),
    /// The chip broke the protocol.
    #[error("the chip misbehaved: {0}")]
    Misbehaving(#[from] Misbehaviour),
    /// The chip rejected the access key (BAC/PACE password wrong).
    #[error("the chip rejected the access key ({0})")]
    AccessDenied(StatusWord),
    /// The chip refused a command with this status word.
    #[error("{during}: the chip answered {sw}")]
    Status {
        /// The step that failed.
        during: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// The caller's input is invalid.
    #[error("invalid input: {0}")]
    Input(#[from] InputError),
    /// A named limit of ours was exceeded (file size, reads, nesting).
    #[error("{what} exceeds the limit of {limit}")]
    Limit {
        /// What exceeded the limit.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The document or an algorithm it uses is not supported.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// The read was cancelled by the caller (deadline, shutdown).
    #[error("cancelled")]
    Cancelled,
}

/// Result alias for the core.
pub type Result<T, E = Error> = core::result::Result<T, E>;
