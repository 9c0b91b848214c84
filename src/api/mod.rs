//! The v1 wire types of the local HTTP API (docs/api.md, docs/openapi.yaml),
//! shared by the daemon and `mrtdctl`, so both read and write exactly the same
//! JSON. Names and shapes follow the v1 contract: fields may be added, never
//! renamed or removed.
//!
//! Types that carry personal data (`ReadResponse`, `Document`, `Cccd`,
//! `Portrait`, `ReadRequest` keys) have redacted `Debug` output and wipe
//! themselves (`zeroize`) when dropped.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Why [`collect_wiped`] gave up.
#[derive(Debug)]
pub enum Collect<E> {
    /// The body is longer than the limit.
    TooLarge,
    /// The body could not be read.
    Body(E),
}

/// Reads a whole HTTP body — a request with a key, a response with a
/// document — into a buffer that is wiped when dropped, refusing more than
/// `limit` bytes. Shared by the daemon (request bodies) and the client
/// (response bodies). The buffer is sized from the body's size hint
/// (`Content-Length`), at most `limit`, so a body of declared length is
/// never reallocated; a chunked body grows it through
/// [`append_zeroizing`](crate::protocol::read::append_zeroizing), which wipes
/// what it outgrows. A body declared over the limit is still read up to it
/// before the refusal, so a client that writes its whole body before
/// reading gets the refusal rather than a broken pipe.
pub async fn collect_wiped<B>(body: B, limit: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, Collect<B::Error>>
where
    B: hyper::body::Body<Data = bytes::Bytes> + Unpin,
{
    use http_body_util::BodyExt;
    let hint = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
    let mut buf = zeroize::Zeroizing::new(Vec::with_capacity(hint.min(limit)));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.map_err(Collect::Body)?.into_data() {
            if buf.len().saturating_add(data.len()) > limit {
                return Err(Collect::TooLarge);
            }
            crate::protocol::read::append_zeroizing(&mut buf, &data, Some(limit));
        }
    }
    Ok(buf)
}

/// The API version prefix of every path.
pub const PREFIX: &str = "/v1";

/// `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `"ok"` when the daemon answers.
    pub status: String,
    /// The daemon's version.
    pub version: String,
    /// `"ok"` or `"unavailable"` (pcscd not reachable; `"simulated"` never appears here).
    pub pcsc: String,
    /// Readers currently known.
    #[serde(default)]
    pub readers: usize,
    /// `true` when the daemon serves the built-in software reader (`--simulate`).
    #[serde(default)]
    pub simulated: bool,
    /// Trust store summary: CSCA certificates loaded (0 when none is configured).
    #[serde(default)]
    pub trust_anchors: usize,
    /// `"ok"`, or `"lost"` while the socket path does not lead to this daemon
    /// (its file was replaced by another, or deleted and not re-created); absent from older daemons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket: Option<String>,
}

/// One reader in `GET /v1/readers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reader {
    /// The reader's name, as PC/SC reports it.
    pub name: String,
    /// A card is present.
    pub card_present: bool,
    /// The card's ATR in upper-case hex, when a card is present.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub atr: Option<String>,
    /// A read is running on this reader.
    pub busy: bool,
}

/// `GET /v1/readers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readers {
    /// Every reader known.
    pub readers: Vec<Reader>,
}

/// The key of a read: exactly one of the four forms of the contract. Wiped on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct Key {
    /// The MRZ as printed, lines separated by `\n` (TD1, TD2 or TD3).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mrz: Option<String>,
    /// Document number (with `date_of_birth` and `date_of_expiry`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub document_number: Option<String>,
    /// Date of birth, `YYMMDD`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date_of_birth: Option<String>,
    /// Date of expiry, `YYMMDD`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date_of_expiry: Option<String>,
    /// The 6-digit card access number (PACE).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub can: Option<String>,
    /// The raw text of the QR code on the front of a Vietnamese CCCD.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cccd_qr: Option<String>,
}

/// One constructor per key form. `Key` wipes itself on drop, so it cannot be
/// built with `..Key::default()`.
impl Key {
    /// The MRZ as printed (BAC, or PACE with the MRZ).
    pub fn from_mrz(mrz: impl Into<String>) -> Self {
        let mut key = Self::default();
        key.mrz = Some(mrz.into());
        key
    }

    /// Document number, date of birth and date of expiry (`YYMMDD`).
    pub fn from_document_data(
        document_number: impl Into<String>,
        date_of_birth: impl Into<String>,
        date_of_expiry: impl Into<String>,
    ) -> Self {
        let mut key = Self::default();
        key.document_number = Some(document_number.into());
        key.date_of_birth = Some(date_of_birth.into());
        key.date_of_expiry = Some(date_of_expiry.into());
        key
    }

    /// The card access number (PACE).
    pub fn from_can(can: impl Into<String>) -> Self {
        let mut key = Self::default();
        key.can = Some(can.into());
        key
    }

    /// The raw text of a CCCD's QR code.
    pub fn from_cccd_qr(cccd_qr: impl Into<String>) -> Self {
        let mut key = Self::default();
        key.cccd_qr = Some(cccd_qr.into());
        key
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let forms: Vec<&str> = [
            self.mrz.as_ref().map(|_| "mrz"),
            self.document_number.as_ref().map(|_| "document_number"),
            self.can.as_ref().map(|_| "can"),
            self.cccd_qr.as_ref().map(|_| "cccd_qr"),
        ]
        .into_iter()
        .flatten()
        .collect();
        write!(f, "Key({})", forms.join("+"))
    }
}

/// `POST /v1/read` request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// The reader; default: the only reader that holds a card.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reader: Option<String>,
    /// The access key.
    pub key: Key,
    /// Data groups to read (`"DG1"`, `"DG2"`, ...); default: every one the chip lets us read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub data_groups: Option<Vec<String>>,
    /// How long to wait for a card to be placed, in milliseconds (0: it must be there).
    #[serde(default)]
    pub wait_for_card_ms: u64,
}

/// How the chip was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// `"pace"` or `"bac"`.
    pub method: String,
    /// `"can"` or `"mrz"`.
    pub key: String,
}

/// The MRZ fields of DG1. Wiped on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default, Zeroize, ZeroizeOnDrop)]
pub struct Document {
    /// Document code (`"ID"`, `"P"`, ...).
    #[serde(rename = "type")]
    pub document_type: String,
    /// Issuing state (ICAO 9303-3 code).
    pub issuing_state: String,
    /// Document number.
    pub document_number: String,
    /// Primary identifier.
    pub surname: String,
    /// Secondary identifier.
    pub given_names: String,
    /// Nationality.
    pub nationality: String,
    /// `YYYY-MM-DD`, or the text the chip holds when it is not a date.
    pub date_of_birth: String,
    /// `"M"`, `"F"` or `"X"`.
    pub sex: String,
    /// `YYYY-MM-DD`, or the text the chip holds.
    pub date_of_expiry: String,
    /// Optional data as printed (fillers inside kept).
    pub optional_data: String,
    /// The MRZ lines joined by `\n`.
    pub mrz: String,
    /// Check digits that do not hold (empty for a well-formed MRZ).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check_digit_failures: Vec<String>,
}

/// The Vietnamese personal data of DG13 (null where the chip does not hold a field). Wiped on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default, Zeroize, ZeroizeOnDrop)]
pub struct Cccd {
    /// 12-digit personal ID number.
    pub id_number: Option<String>,
    /// Full name with diacritics.
    pub full_name: Option<String>,
    /// `YYYY-MM-DD` (or as held).
    pub date_of_birth: Option<String>,
    /// `"Nam"` / `"Nữ"`.
    pub sex: Option<String>,
    /// Nationality.
    pub nationality: Option<String>,
    /// Ethnicity (sensitive personal data).
    pub ethnicity: Option<String>,
    /// Religion (sensitive personal data).
    pub religion: Option<String>,
    /// Place of origin (quê quán).
    pub place_of_origin: Option<String>,
    /// Place of residence (nơi thường trú).
    pub place_of_residence: Option<String>,
    /// Personal identification features.
    pub personal_identification: Option<String>,
    /// `YYYY-MM-DD` (or as held).
    pub date_of_issue: Option<String>,
    /// `YYYY-MM-DD`, or the text held for cards with no expiry.
    pub date_of_expiry: Option<String>,
    /// Father's name.
    pub father_name: Option<String>,
    /// Mother's name.
    pub mother_name: Option<String>,
    /// Spouse's name.
    pub spouse_name: Option<String>,
    /// Old 9-digit ID (CMND).
    pub old_id_number: Option<String>,
}

/// The portrait of DG2, never re-encoded. Wiped on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Portrait {
    /// `"image/jpeg"` or `"image/jp2"`.
    pub mime_type: String,
    /// The image bytes, base64.
    pub data: String,
    /// Width in pixels (from the facial record header).
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
}

/// The authenticity verdict (BSI TR-03135-1 result model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// `"passed"`, `"failed"` or `"undetermined"`.
    pub status: String,
    /// Per data group: `"valid"`, `"invalid"`, `"not_in_sod"` (and `"undetermined"` when the SOD's digest is unsupported).
    pub data_groups: BTreeMap<String, String>,
    /// `"valid"`, `"invalid"`, `"unsupported_algorithm"`, or `"undetermined"` (added: no document signer certificate anywhere).
    pub sod_signature: String,
    /// `"trusted"`, `"untrusted"`, `"unknown_issuer"`, `"expired"`.
    pub certificate_chain: String,
    /// `"passed"`, `"failed"`, `"not_supported"`, `"not_performed"`.
    pub chip_authentication: String,
    /// `"passed"`, `"failed"`, `"not_supported"`, `"not_performed"`.
    pub active_authentication: String,
    /// Data groups the SOD lists that the chip does not have.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_data_groups: Vec<String>,
    /// Conformance warnings and details (codes, no personal data).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Counts of one read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Command APDUs sent.
    pub apdus: usize,
    /// File bytes read.
    pub bytes_read: usize,
    /// Wall time of the read, milliseconds.
    pub duration_ms: u64,
}

/// `POST /v1/read` response 200. Its personal data (document, DG13,
/// portrait, raw files) is wiped on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadResponse {
    /// Opaque id of the read (also in its events).
    pub read_id: String,
    /// The reader used.
    pub reader: String,
    /// How the chip was opened.
    pub access: Access,
    /// DG1's MRZ fields (absent when DG1 was not read or did not parse).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub document: Option<Document>,
    /// The Vietnamese DG13, present only for documents that carry it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cccd: Option<Cccd>,
    /// The portrait, when DG2 was read and holds one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub portrait: Option<Portrait>,
    /// Raw bytes (base64) of every file read, by name (`EF.COM`, `DG1`, ...).
    pub files: BTreeMap<String, String>,
    /// The authenticity verdict.
    pub verification: Verification,
    /// Counts.
    pub stats: Stats,
}

/// Wipes the personal data: the document, DG13, the portrait and the raw
/// files (their names, the verdict and the counts stay).
impl Zeroize for ReadResponse {
    fn zeroize(&mut self) {
        self.document.zeroize();
        self.cccd.zeroize();
        self.portrait.zeroize();
        for file in self.files.values_mut() {
            file.zeroize();
        }
    }
}

impl Drop for ReadResponse {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for ReadResponse {}

impl fmt::Debug for ReadResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadResponse")
            .field("read_id", &self.read_id)
            .field("reader", &self.reader)
            .field("status", &self.verification.status)
            .field("data", &"<redacted>")
            .finish()
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Document(<redacted>)")
    }
}

impl fmt::Debug for Cccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cccd(<redacted>)")
    }
}

impl fmt::Debug for Portrait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Portrait({}, {}x{})", self.mime_type, self.width, self.height)
    }
}

/// Every error code of the contract, with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request is malformed or a key is invalid.
    BadRequest,
    /// 404: no such reader (or no reader at all).
    ReaderNotFound,
    /// 409: no card in the reader.
    NoCard,
    /// 409: a read is already running on the reader.
    Busy,
    /// 422: the chip rejected the key.
    WrongKey,
    /// 422: the card left the reader during the read.
    CardRemoved,
    /// 422: the chip refused access or failed to authenticate.
    AccessDenied,
    /// 422: not an eMRTD, or an algorithm we do not support.
    UnsupportedDocument,
    /// 504: the read or the wait for a card took too long.
    Timeout,
    /// 503: pcscd is not reachable.
    PcscUnavailable,
    /// 500: anything else.
    Internal,
    /// 401 (loopback TCP listener only): missing or wrong bearer token.
    Unauthorized,
    /// 403 (loopback TCP listener only): Origin not allowed.
    Forbidden,
    /// 404: no such endpoint.
    NotFound,
    /// 413: the request body is too large.
    PayloadTooLarge,
    /// 503: the daemon is shutting down.
    ShuttingDown,
}

impl ErrorCode {
    /// The HTTP status of the code.
    pub fn http_status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::ReaderNotFound | Self::NotFound => 404,
            Self::NoCard | Self::Busy => 409,
            Self::PayloadTooLarge => 413,
            Self::WrongKey | Self::CardRemoved | Self::AccessDenied | Self::UnsupportedDocument => 422,
            Self::Internal => 500,
            Self::PcscUnavailable | Self::ShuttingDown => 503,
            Self::Timeout => 504,
        }
    }

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::ReaderNotFound => "reader_not_found",
            Self::NoCard => "no_card",
            Self::Busy => "busy",
            Self::WrongKey => "wrong_key",
            Self::CardRemoved => "card_removed",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedDocument => "unsupported_document",
            Self::Timeout => "timeout",
            Self::PcscUnavailable => "pcsc_unavailable",
            Self::Internal => "internal",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::PayloadTooLarge => "payload_too_large",
            Self::ShuttingDown => "shutting_down",
        }
    }
}

/// The body of every error: `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// The stable code.
    pub code: ErrorCode,
    /// What happened and what to do (never personal data).
    pub message: String,
}

/// An event of `GET /v1/events`: its `event:` line is [`Event::kind`], its `data:` line the JSON of the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// A reader was attached.
    ReaderAdded {
        /// The reader.
        reader: String,
    },
    /// A reader was detached.
    ReaderRemoved {
        /// The reader.
        reader: String,
    },
    /// A card was placed on a reader.
    CardInserted {
        /// The reader.
        reader: String,
        /// The card's ATR, hex.
        atr: String,
    },
    /// A card left a reader.
    CardRemoved {
        /// The reader.
        reader: String,
    },
    /// A read began.
    ReadStarted {
        /// The read.
        read_id: String,
        /// The reader.
        reader: String,
    },
    /// A chunk of a file was read.
    ReadProgress {
        /// The read.
        read_id: String,
        /// The file (`EF.COM`, `DG2`, ...).
        file: String,
        /// Bytes of the file read so far.
        bytes: usize,
        /// The file's length.
        total: usize,
    },
    /// A read ended with a result (the result itself goes only to its client; this event carries just the status).
    ReadFinished {
        /// The read.
        read_id: String,
        /// The verification status.
        status: String,
    },
    /// A read ended with an error.
    ReadFailed {
        /// The read.
        read_id: String,
        /// The error code.
        code: ErrorCode,
    },
    /// This subscriber was too slow and missed events (added to the contract).
    EventsLost {
        /// How many.
        missed: u64,
    },
    /// pcscd became unavailable or available again (added to the contract).
    PcscStatus {
        /// `"ok"` or `"unavailable"`.
        pcsc: String,
    },
}

impl Event {
    /// The `event:` line.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ReaderAdded { .. } => "reader_added",
            Self::ReaderRemoved { .. } => "reader_removed",
            Self::CardInserted { .. } => "card_inserted",
            Self::CardRemoved { .. } => "card_removed",
            Self::ReadStarted { .. } => "read_started",
            Self::ReadProgress { .. } => "read_progress",
            Self::ReadFinished { .. } => "read_finished",
            Self::ReadFailed { .. } => "read_failed",
            Self::EventsLost { .. } => "events_lost",
            Self::PcscStatus { .. } => "pcsc_status",
        }
    }

    /// The `data:` line: the payload as a JSON object.
    pub fn data_json(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut map)) => map.remove("data").map(|v| v.to_string()).unwrap_or_default(),
            _ => String::from("{}"),
        }
    }

    /// Rebuilds an event from its `event:` and `data:` lines (for clients).
    pub fn from_sse(kind: &str, data: &str) -> Option<Self> {
        let data: serde_json::Value = serde_json::from_str(data).ok()?;
        serde_json::from_value(serde_json::json!({ "event": kind, "data": data })).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_sse_lines() {
        let e = Event::ReadProgress { read_id: "r1".into(), file: "DG2".into(), bytes: 10, total: 20 };
        assert_eq!(e.kind(), "read_progress");
        let v: serde_json::Value = serde_json::from_str(&e.data_json()).unwrap();
        assert_eq!(v, serde_json::json!({"read_id": "r1", "file": "DG2", "bytes": 10, "total": 20}));
        assert_eq!(Event::from_sse(e.kind(), &e.data_json()), Some(e));
        let f = Event::ReadFailed { read_id: "r2".into(), code: ErrorCode::CardRemoved };
        let v: serde_json::Value = serde_json::from_str(&f.data_json()).unwrap();
        assert_eq!(v, serde_json::json!({"read_id": "r2", "code": "card_removed"}));
    }

    #[test]
    fn error_body_matches_the_contract() {
        let body = ErrorBody { error: ErrorDetail { code: ErrorCode::WrongKey, message: "m".into() } };
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"error":{"code":"wrong_key","message":"m"}}"#);
        for code in [ErrorCode::BadRequest, ErrorCode::Busy, ErrorCode::Timeout, ErrorCode::PcscUnavailable] {
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::Value::String(code.as_str().into()));
        }
    }

    #[test]
    fn read_request_rejects_unknown_fields_and_takes_defaults() {
        let r: ReadRequest = serde_json::from_str(r#"{"key":{"can":"123456"}}"#).unwrap();
        assert_eq!(r.wait_for_card_ms, 0);
        assert!(serde_json::from_str::<ReadRequest>(r#"{"key":{"can":"1"},"x":1}"#).is_err());
        assert!(serde_json::from_str::<ReadRequest>(r#"{"key":{"pin":"1"}}"#).is_err());
        assert_eq!(format!("{:?}", r.key), "Key(can)");
    }

    #[test]
    fn zeroize_wipes_a_responses_personal_data_and_keeps_the_verdict() {
        let mut document = Document::default();
        document.surname = "NGUYEN".into();
        let mut cccd = Cccd::default();
        cccd.full_name = Some("Nguyễn Văn An".into());
        let mut r = ReadResponse {
            read_id: "r1".into(),
            reader: "R".into(),
            access: Access { method: "pace".into(), key: "can".into() },
            document: Some(document),
            cccd: Some(cccd),
            portrait: Some(Portrait { mime_type: "image/jpeg".into(), data: "AAEC".into(), width: 1, height: 1 }),
            files: BTreeMap::from([("DG1".to_owned(), "YV8fWw==".to_owned())]),
            verification: Verification {
                status: "passed".into(),
                data_groups: BTreeMap::new(),
                sod_signature: "valid".into(),
                certificate_chain: "trusted".into(),
                chip_authentication: "passed".into(),
                active_authentication: "not_supported".into(),
                missing_data_groups: vec![],
                warnings: vec![],
            },
            stats: Stats { apdus: 1, bytes_read: 2, duration_ms: 3 },
        };
        r.zeroize();
        assert!(r.document.is_none() && r.cccd.is_none() && r.portrait.is_none());
        assert_eq!(r.files.get("DG1").map(String::as_str), Some(""));
        assert_eq!((r.read_id.as_str(), r.verification.status.as_str()), ("r1", "passed"));

        let mut key = Key::from_document_data("C01X00T47", "740812", "120415");
        key.zeroize();
        assert_eq!(key, Key::default());
    }
}
