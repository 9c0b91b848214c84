//! An async client of mrtdd's v1 API (docs/api.md) over its Unix socket: used
//! by `mrtdctl` and by the daemon's end-to-end tests.
//!
//! One HTTP/1.1 connection per call (hyper's low-level `client::conn`), so a
//! [`Client`] is only a socket path and a timeout: cheap to clone, no pool,
//! nothing shared between calls.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mrtdd::client::ClientError> {
//! use futures_util::StreamExt;
//! use mrtdd::api::{Key, ReadRequest};
//! use mrtdd::client::Client;
//!
//! let client = Client::new("/run/mrtdd/mrtdd.sock");
//! let mut events = client.events().await?; // subscribe first: no event of the read is missed
//! let request = ReadRequest { key: Key::from_can("012345"), ..ReadRequest::default() };
//! let response = client.read(&request).await?;
//! println!("{} {}", response.read_id, response.verification.status);
//! while let Some(event) = events.next().await {
//!     println!("{}", event?.kind());
//! }
//! # Ok(()) }
//! ```
//!
//! Errors are a [`ClientError`]: [`ClientError::Api`] holds the daemon's
//! [`ErrorBody`] when it answered one. Response bodies are bounded by
//! [`MAX_RESPONSE_BYTES`], events by the limits of [`sse`].

pub mod format;
pub mod sse;

use crate::api::{ErrorBody, ErrorCode, Event, Health, PREFIX, ReadRequest, ReadResponse, Readers};
use futures_util::Stream;
use http_body_util::Full;
use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use sse::{SseError, SseEvent, SseParser};
use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::task::JoinHandle;
use zeroize::Zeroizing;

/// The daemon's default socket.
pub const DEFAULT_SOCKET: &str = "/run/mrtdd/mrtdd.sock";

/// Largest response body accepted (a read response holds every file read,
/// base64, and the portrait: well under a megabyte for real documents).
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// What went wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The socket could not be reached (no daemon, no permission, ...).
    #[error("cannot connect to mrtdd at {}: {source}", path.display())]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// The OS error (`NotFound`, `ConnectionRefused`, `PermissionDenied`, ...).
        #[source]
        source: std::io::Error,
    },
    /// The daemon answered an error of the contract.
    #[error("mrtdd answered {status} {}: {}", error.error.code.as_str(), error.error.message)]
    Api {
        /// The HTTP status.
        status: u16,
        /// The error body.
        error: ErrorBody,
    },
    /// The daemon answered a non-success status without an error body this client understands
    /// (for example a code newer than this client).
    #[error("mrtdd answered HTTP {status}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// The HTTP status.
        status: u16,
        /// The `error.code` of the body, when it had one.
        code: Option<String>,
        /// The `error.message` of the body, when it had one.
        message: Option<String>,
    },
    /// The HTTP exchange failed (connection closed, protocol error).
    #[error("HTTP exchange with mrtdd failed: {0}")]
    Http(#[from] hyper::Error),
    /// No complete answer within the client's timeout.
    #[error("no answer from mrtdd within {} s", .0.as_secs_f32())]
    Timeout(Duration),
    /// The answer is not the JSON expected (the detail never quotes the body).
    #[error("mrtdd's answer is not a valid {what}: {detail}")]
    Decode {
        /// What was expected.
        what: &'static str,
        /// Where the parse failed.
        detail: String,
    },
    /// The answer is larger than [`MAX_RESPONSE_BYTES`].
    #[error("mrtdd's answer is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The event stream broke a limit of the parser.
    #[error("event stream: {0}")]
    Sse(#[from] SseError),
    /// The request could not be built.
    #[error("cannot build the request: {0}")]
    Request(String),
}

impl ClientError {
    /// The contract's error code, when the daemon answered one.
    pub fn code(&self) -> Option<ErrorCode> {
        self.error_body().map(|b| b.error.code)
    }

    /// The daemon's error body, when it answered one.
    pub fn error_body(&self) -> Option<&ErrorBody> {
        match self {
            Self::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The HTTP status, when the daemon answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    fn decode(what: &'static str, e: &serde_json::Error) -> Self {
        // `serde_json::Error`'s message may quote the offending value (personal data): keep only where.
        let kind = match e.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "JSON syntax error",
            serde_json::error::Category::Data => "unexpected JSON shape",
            serde_json::error::Category::Eof => "JSON cut short",
        };
        Self::Decode { what, detail: format!("{kind} at line {} column {}", e.line(), e.column()) }
    }
}

/// A successful (2xx) answer, body kept as received.
pub struct RawResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body (wiped on drop: a read response holds personal data).
    pub body: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawResponse({}, {} bytes)", self.status, self.body.len())
    }
}

impl RawResponse {
    /// Parses the body as `T`; `what` names it in errors.
    pub fn json<T: DeserializeOwned>(&self, what: &'static str) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::decode(what, &e))
    }
}

/// A client of one daemon socket.
#[derive(Debug, Clone)]
pub struct Client {
    /// The daemon's Unix socket.
    socket: PathBuf,
    /// Bound on each call (connect, request, whole answer); for [`Client::events`], on getting the stream.
    timeout: Option<Duration>,
}

impl Client {
    /// A client of the daemon listening on `socket_path`, with no timeout.
    pub fn new(socket_path: impl Into<PathBuf>) -> Self {
        Self { socket: socket_path.into(), timeout: None }
    }

    /// The same client with a bound on each call (`None`: wait for ever).
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The socket path.
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    /// The timeout of each call.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// `GET /v1/health`.
    pub async fn health(&self) -> Result<Health, ClientError> {
        self.get_raw("/health").await?.json("health response")
    }

    /// `GET /v1/readers`.
    pub async fn readers(&self) -> Result<Readers, ClientError> {
        self.get_raw("/readers").await?.json("readers response")
    }

    /// `POST /v1/read`: reads the document; the response holds personal data.
    pub async fn read(&self, request: &ReadRequest) -> Result<ReadResponse, ClientError> {
        self.read_raw(request).await?.json("read response")
    }

    /// `POST /v1/read`, the body kept as received (for printing it unchanged).
    pub async fn read_raw(&self, request: &ReadRequest) -> Result<RawResponse, ClientError> {
        let body = Zeroizing::new(serde_json::to_vec(request).map_err(|e| ClientError::Request(e.to_string()))?);
        self.request_raw(Method::POST, "/read", Some(&body)).await
    }

    /// `GET /v1/events`: the typed events, in order. Events this client does
    /// not know (added by a newer daemon) are skipped; see [`Client::events_raw`].
    pub async fn events(&self) -> Result<EventStream, ClientError> {
        Ok(EventStream { raw: self.events_raw().await? })
    }

    /// `GET /v1/events`: every event as its `event:` type and `data:` text.
    pub async fn events_raw(&self) -> Result<RawEventStream, ClientError> {
        let (response, conn) = self.with_timeout_of(self.send(Method::GET, "/events", None)).await?;
        if !response.status().is_success() {
            let status = response.status().as_u16();
            let body = read_body(response.into_body()).await?;
            return Err(error_from(status, &body));
        }
        let is_sse = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/event-stream"));
        if !is_sse {
            return Err(ClientError::Decode {
                what: "event stream",
                detail: "content type is not text/event-stream".into(),
            });
        }
        Ok(RawEventStream {
            body: response.into_body(),
            parser: SseParser::new(),
            queue: VecDeque::new(),
            done: false,
            _conn: conn,
        })
    }

    /// `GET /v1<path>`: the body of a success, or the error.
    pub async fn get_raw(&self, path: &str) -> Result<RawResponse, ClientError> {
        self.request_raw(Method::GET, path, None).await
    }

    /// Any call: `path` is below `/v1` (`"/readers"`); `body` is JSON.
    pub async fn request_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<RawResponse, ClientError> {
        self.with_timeout_of(async {
            let (response, _conn) = self.send(method, path, body).await?;
            let status = response.status().as_u16();
            let body = read_body(response.into_body()).await?;
            if (200..300).contains(&status) { Ok(RawResponse { status, body }) } else { Err(error_from(status, &body)) }
        })
        .await
    }

    async fn with_timeout_of<T>(&self, fut: impl Future<Output = Result<T, ClientError>>) -> Result<T, ClientError> {
        match self.timeout {
            Some(limit) => tokio::time::timeout(limit, fut).await.unwrap_or(Err(ClientError::Timeout(limit))),
            None => fut.await,
        }
    }

    /// Connects, sends one request and returns the response head with the
    /// task driving the connection (aborted when dropped).
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<(Response<Incoming>, ConnTask), ClientError> {
        let stream = UnixStream::connect(&self.socket)
            .await
            .map_err(|source| ClientError::Connect { path: self.socket.clone(), source })?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let conn = ConnTask(tokio::spawn(async move {
            // The error, if any, reaches the caller through the request or the body.
            let _ = connection.await;
        }));
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{PREFIX}{path}"))
            .header(HOST, "localhost")
            .header(ACCEPT, if path == "/events" { "text/event-stream" } else { "application/json" });
        if body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::copy_from_slice(body.unwrap_or_default())))
            .map_err(|e| ClientError::Request(e.to_string()))?;
        let response = sender.send_request(request).await?;
        Ok((response, conn))
    }
}

/// The task driving one connection; aborted on drop so nothing outlives its stream.
struct ConnTask(JoinHandle<()>);

impl Drop for ConnTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads a whole body, at most [`MAX_RESPONSE_BYTES`] (refused at once when declared larger).
async fn read_body(body: Incoming) -> Result<Zeroizing<Vec<u8>>, ClientError> {
    if usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX) > MAX_RESPONSE_BYTES {
        return Err(ClientError::TooLarge { limit: MAX_RESPONSE_BYTES });
    }
    crate::api::collect_wiped(body, MAX_RESPONSE_BYTES).await.map_err(|e| match e {
        crate::api::Collect::TooLarge => ClientError::TooLarge { limit: MAX_RESPONSE_BYTES },
        crate::api::Collect::Body(e) => e.into(),
    })
}

/// The error of a non-success answer: the contract's body when it is one.
fn error_from(status: u16, body: &[u8]) -> ClientError {
    if let Ok(error) = serde_json::from_slice::<ErrorBody>(body) {
        return ClientError::Api { status, error };
    }
    let value: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        value.as_ref().and_then(|v| v.get("error")).and_then(|e| e.get(name)).and_then(|m| m.as_str()).map(String::from)
    };
    ClientError::Status { status, code: field("code"), message: field("message") }
}

/// The raw events of `GET /v1/events` ([`SseEvent`]s), as a [`Stream`].
///
/// Ends (`None`) when the daemon closes the stream. Dropping it closes the connection.
pub struct RawEventStream {
    /// The response body, chunk by chunk.
    body: Incoming,
    /// The SSE parser.
    parser: SseParser,
    /// Events parsed and not yet taken.
    queue: VecDeque<SseEvent>,
    /// The body ended or failed.
    done: bool,
    /// The connection task (aborted on drop).
    _conn: ConnTask,
}

impl fmt::Debug for RawEventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawEventStream(queued {}, done {})", self.queue.len(), self.done)
    }
}

impl Stream for RawEventStream {
    type Item = Result<SseEvent, ClientError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(event) = this.queue.pop_front() {
                return Poll::Ready(Some(Ok(event)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => this.done = true,
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e.into())));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        match this.parser.push(&data) {
                            Ok(events) => this.queue.extend(events),
                            Err(e) => {
                                this.done = true;
                                return Poll::Ready(Some(Err(e.into())));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The typed events of `GET /v1/events`, as a [`Stream`] of [`Event`]s.
///
/// Events this client does not know are skipped. Ends (`None`) when the daemon closes the stream.
#[derive(Debug)]
pub struct EventStream {
    /// The raw stream underneath.
    raw: RawEventStream,
}

impl EventStream {
    /// The raw stream underneath (to see unknown events too).
    pub fn into_raw(self) -> RawEventStream {
        self.raw
    }
}

impl Stream for EventStream {
    type Item = Result<Event, ClientError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let raw = &mut self.get_mut().raw;
        loop {
            match std::task::ready!(Pin::new(&mut *raw).poll_next(cx)) {
                Some(Ok(sse)) => {
                    if let Some(event) = Event::from_sse(&sse.event, &sse.data) {
                        return Poll::Ready(Some(Ok(event)));
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }
}
