//! The HTTP API (docs/api.md): routes, JSON bodies, errors, the
//! Server-Sent Events stream, and the HTTP/1.1 server loop with its
//! per-connection limits ([`serve`]).

use crate::api::{self, ErrorBody, ErrorCode, ErrorDetail, Event};
use crate::protocol::read::append_zeroizing;
use crate::service::backend::Availability;
use crate::service::error::ServiceError;
use crate::service::events::EventBus;
use crate::service::reads::Reads;
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::Listener;
use axum::{Json, Router};
use bytes::Bytes;
use futures_util::Stream;
use futures_util::StreamExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use zeroize::Zeroizing;

/// How long a client may take to send a request head (request line and
/// headers). It also bounds an idle keep-alive connection: the timer runs
/// whenever the server waits for the next request head. Without it a client
/// sending a request a byte at a time ("slow loris"), or just connecting and
/// staying silent, would hold one of the `max_connections` slots for ever.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request body once its head is in
/// (a read request is under 2 KiB; a stalled body would hold a slot).
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head hyper buffers (its default is ~400 KiB); a
/// larger head gets a bare `431` and the connection is closed.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Serves `app` on `listener` (HTTP/1.1 only) until `shutdown` completes,
/// then stops accepting, lets every connection finish its current request
/// (event streams end on the same signal) and returns when all are closed.
///
/// This is `axum::serve` with what it does not offer: hyper's header read
/// timeout (axum sets no timer, so hyper's 30 s default never runs) and a
/// smaller head buffer. (hyper's `server` and hyper-util's `service`
/// features come with axum's default `tokio` feature.)
pub async fn serve<L>(mut listener: L, app: Router, shutdown: impl Future<Output = ()>)
where
    L: Listener,
{
    let (stop_tx, stop_rx) = watch::channel(false);
    let (closed_tx, closed_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let io = tokio::select! {
            (io, _addr) = listener.accept() => io,
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let mut stop = stop_rx.clone();
        let closed = closed_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            // No half_close (hyper's default): the end of the client's sending side is taken as the
            // client gone, so an event stream whose subscriber left is dropped at once instead of at
            // its next write. A client must not shut down its side before the answer (docs/api.md).
            builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).max_buf_size(MAX_HEAD_BYTES);
            let mut conn = pin!(builder.serve_connection(TokioIo::new(io), service));
            let result = tokio::select! {
                result = conn.as_mut() => result,
                () = async { let _ = stop.wait_for(|stop| *stop).await; } => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                // Malformed HTTP, a header timeout, a client gone mid-request: the connection ends.
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(closed);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(closed_rx);
    closed_tx.closed().await;
}

/// What every handler shares.
pub struct AppState {
    /// Reads and readers.
    pub reads: Arc<Reads>,
    /// The event bus.
    pub events: EventBus,
    /// CSCA certificates in the trust store (for `/v1/health`).
    pub trust_anchors: AtomicUsize,
    /// Flips to `true` at shutdown: event streams end.
    pub shutdown: watch::Receiver<bool>,
    /// The socket file the daemon created (none under socket activation), for `/v1/health`.
    pub socket: Option<Arc<crate::service::listen::OwnSocket>>,
    /// The largest request body accepted (`max_request_bytes`; 413 above).
    pub max_request_bytes: usize,
}

/// An API error response.
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(self.0.code(), self.0.message())
    }
}

/// `{"error": {"code", "message"}}` with the code's status.
pub fn error_response(code: ErrorCode, message: String) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(ErrorBody { error: ErrorDetail { code, message } })).into_response()
}

/// The router, with a body limit of `max_request_bytes`.
pub fn router(state: Arc<AppState>) -> Router {
    let max_request_bytes = state.max_request_bytes;
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/readers", get(readers))
        .route("/v1/read", post(read))
        .route("/v1/events", get(events))
        .fallback(not_found)
        .layer(middleware::from_fn(json_errors))
        .layer(DefaultBodyLimit::max(max_request_bytes))
        .with_state(state)
}

/// Turns axum's plain-text rejections (405, 413, ...) into contract errors.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/event-stream"));
    if response.status().is_success() || is_json {
        return response;
    }
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            error_response(ErrorCode::PayloadTooLarge, "the request body is too large".into())
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            error_response(ErrorCode::NotFound, "this endpoint does not take that method".into())
        }
        status if status.is_client_error() => error_response(ErrorCode::BadRequest, format!("bad request ({status})")),
        _ => error_response(ErrorCode::Internal, "internal error: see the daemon's log".into()),
    }
}

async fn not_found() -> Response {
    error_response(ErrorCode::NotFound, "no such endpoint: the API lives under /v1 (docs/api.md)".into())
}

async fn health(State(state): State<Arc<AppState>>) -> Json<api::Health> {
    let backend = state.reads.backend();
    Json(api::Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        pcsc: match backend.availability() {
            Availability::Ok => "ok",
            Availability::Unavailable => "unavailable",
        }
        .into(),
        readers: backend.readers().len(),
        simulated: backend.simulated(),
        trust_anchors: state.trust_anchors.load(Ordering::Relaxed),
        socket: Some(if state.socket.as_ref().is_some_and(|s| s.is_lost()) { "lost" } else { "ok" }.into()),
    })
}

async fn readers(State(state): State<Arc<AppState>>) -> Result<Json<api::Readers>, ApiError> {
    let backend = state.reads.backend();
    if backend.availability() == Availability::Unavailable {
        return Err(ServiceError::PcscUnavailable.into());
    }
    let readers = backend
        .readers()
        .into_iter()
        .map(|r| api::Reader {
            busy: state.reads.is_busy(&r.name),
            atr: r.atr.map(hex::encode_upper),
            card_present: r.card_present,
            name: r.name,
        })
        .collect();
    Ok(Json(api::Readers { readers }))
}

async fn read(State(state): State<Arc<AppState>>, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let is_json =
        parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(is_json_content_type);
    if !is_json {
        return Err(ApiError(ServiceError::BadRequest(
            "the body must be JSON (Content-Type: application/json)".to_owned(),
        )));
    }
    let body = tokio::time::timeout(BODY_READ_TIMEOUT, api::collect_wiped(body, state.max_request_bytes))
        .await
        .map_err(|_| {
            ApiError(ServiceError::BadRequest(format!(
                "the request body did not arrive within {} s",
                BODY_READ_TIMEOUT.as_secs()
            )))
        })?
        .map_err(|e| match e {
            api::Collect::TooLarge => ApiError(ServiceError::PayloadTooLarge),
            api::Collect::Body(_) => ApiError(ServiceError::BadRequest("the body could not be read".to_owned())),
        })?;
    let Json(request) = Json::<api::ReadRequest>::from_bytes(&body).map_err(|rejection| {
        let why = match &rejection {
            JsonRejection::JsonSyntaxError(_) => "the body is not valid JSON".to_owned(),
            JsonRejection::JsonDataError(e) => {
                format!("the body does not match the read request: {}", describe_data_error(&e.body_text()))
            }
            _ => "the body could not be read".to_owned(),
        };
        ApiError(ServiceError::BadRequest(why))
    })?;
    drop(body);
    let response = state.reads.read(request).await?;
    wiped_json(&response)
}

/// axum's rule for a JSON body: `application/json` or `application/<name>+json`, any parameters.
fn is_json_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    }
}

/// A `200` JSON response whose body is wiped once hyper has sent it: the
/// JSON is written in one pass into a buffer that grows through
/// [`append_zeroizing`] (each outgrown buffer wiped, unlike
/// `serde_json::to_vec`'s), and that buffer is the owner of the body's
/// `Bytes`, so it is zeroized when hyper drops the last reference after
/// writing it.
fn wiped_json<T: serde::Serialize>(value: &T) -> Result<Response, ApiError> {
    /// An `io::Write` into a wiped buffer.
    struct Wiped(Zeroizing<Vec<u8>>);
    impl std::io::Write for Wiped {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            append_zeroizing(&mut self.0, b, None);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Wiped(Zeroizing::new(Vec::new()));
    serde_json::to_writer(&mut out, value)
        .map_err(|_| ApiError(ServiceError::Internal("the response could not be serialised".to_owned())))?;
    let body = Body::from(Bytes::from_owner(out.0));
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// serde's description of a body that is JSON but not a read request, without
/// the values it quotes (`invalid type: string "<the client's MRZ>", expected
/// struct Key`): the path (from axum's `serde_path_to_error`) when it is made
/// of plain names, what was expected, field names only when they are plain
/// identifiers, and where.
fn describe_data_error(text: &str) -> String {
    const HEADS: [&str; 6] =
        ["unknown field `", "missing field `", "duplicate field `", "invalid type", "invalid value", "invalid length"];
    let text = text.strip_prefix("Failed to deserialize the JSON body into the target type: ").unwrap_or(text);
    let (text, position) = match text.rfind(" at line ") {
        Some(i) => (&text[..i], text[i + 1..].replace("at line ", "line ").replace(" column ", ", column ")),
        None => (text, String::new()),
    };
    // serde_path_to_error writes "<path>: <message>" (no path at the top level).
    let head = HEADS
        .iter()
        .filter_map(|h| if text.starts_with(h) { Some(0) } else { text.find(&format!(": {h}")).map(|i| i + 2) })
        .min();
    let (path, message) = match head {
        Some(0) | None => ("", text),
        Some(i) => (text[..i - 2].trim(), &text[i..]),
    };
    let plain = |s: &str, extra: &[u8]| {
        (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || extra.contains(&b))
    };
    let name = |m: &str, head: &str| -> Option<String> {
        let name = m.strip_prefix(head)?.split('`').next()?;
        Some(if plain(name, b"") { format!("`{name}`") } else { "(not shown)".to_owned() })
    };
    let expected = |m: &str| m.rsplit_once(", expected ").map(|(_, e)| e.to_owned()).unwrap_or_default();
    let what = if let Some(name) = name(message, "unknown field `") {
        format!("unknown field {name}")
    } else if let Some(name) = name(message, "missing field `") {
        format!("missing field {name}")
    } else if let Some(name) = name(message, "duplicate field `") {
        format!("duplicate field {name}")
    } else if message.starts_with("invalid type") {
        format!("wrong type, expected {}", expected(message))
    } else if message.starts_with("invalid value") || message.starts_with("invalid length") {
        format!("invalid value, expected {}", expected(message))
    } else {
        "unexpected content".to_owned()
    };
    let mut out = if plain(path, b".[]") { format!("{path}: {what}") } else { what };
    if !position.is_empty() {
        out.push_str(&format!(" ({position})"));
    }
    out
}

async fn events(
    State(state): State<Arc<AppState>>,
) -> Sse<impl Stream<Item = Result<sse::Event, std::convert::Infallible>>> {
    let mut shutdown = state.shutdown.clone();
    let stream = BroadcastStream::new(state.events.subscribe())
        .map(|item| {
            let event = match item {
                Ok(event) => event,
                Err(BroadcastStreamRecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "an event subscriber lagged and lost events");
                    Event::EventsLost { missed }
                }
            };
            Ok(sse::Event::default().event(event.kind()).data(event.data_json()))
        })
        .take_until(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wiped_json_body_is_the_json_of_the_value() {
        let value =
            api::ErrorBody { error: ErrorDetail { code: ErrorCode::CardRemoved, message: "Nguyễn \"x\"\n".into() } };
        let response = wiped_json(&value).unwrap_or_else(|_| panic!("serialises"));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
        assert_eq!(body, serde_json::to_vec(&value).unwrap());
    }

    #[tokio::test]
    async fn a_request_body_is_capped_before_and_while_it_is_read() {
        let ok = api::collect_wiped(Body::from("{\"key\":{}}"), 16).await.unwrap_or_else(|_| panic!("fits"));
        assert_eq!(&ok[..], b"{\"key\":{}}");
        assert_eq!(ok.capacity(), ok.len(), "sized from Content-Length: no reallocation");
        let too_large =
            |r: Result<Zeroizing<Vec<u8>>, api::Collect<axum::Error>>| matches!(r, Err(api::Collect::TooLarge));
        // Declared too large, and it is: refused once the limit is passed.
        assert!(too_large(api::collect_wiped(Body::from("0123456789abcdefg"), 16).await));
        // Not declared (chunked) and too large: refused while reading.
        let chunks = futures_util::stream::iter(["0123456789", "0123456789"].map(Ok::<_, std::io::Error>));
        assert!(too_large(api::collect_wiped(Body::from_stream(chunks), 16).await));
        let chunks = futures_util::stream::iter(["01234", "56789"].map(Ok::<_, std::io::Error>));
        let ok = api::collect_wiped(Body::from_stream(chunks), 16).await.unwrap_or_else(|_| panic!("fits"));
        assert_eq!(&ok[..], b"0123456789");
    }

    #[test]
    fn json_content_types_follow_axum_s_rule() {
        for yes in
            ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/problem+json"]
        {
            assert!(is_json_content_type(yes), "{yes}");
        }
        for no in ["", "text/json", "application/jsonx", "application", "text/plain; application/json"] {
            assert!(!is_json_content_type(no), "{no}");
        }
    }

    #[test]
    fn data_errors_keep_paths_and_expectations_but_never_values() {
        let prefix = "Failed to deserialize the JSON body into the target type: ";
        for (serde, want) in [
            (
                "key: invalid type: string \"IDVNM0950123455001095012345<<6\", expected struct Key at line 1 column 40",
                "key: wrong type, expected struct Key (line 1, column 40)",
            ),
            (
                "invalid type: string \"012345, expected a string\", expected struct ReadRequest at line 1 column 9",
                "wrong type, expected struct ReadRequest (line 1, column 9)",
            ),
            (
                "wait_for_card_ms: invalid value: integer `-1`, expected u64 at line 1 column 5",
                "wait_for_card_ms: invalid value, expected u64 (line 1, column 5)",
            ),
            (
                "key.pin: unknown field `pin`, expected one of `mrz`, `can` at line 1 column 28",
                "key.pin: unknown field `pin` (line 1, column 28)",
            ),
            (
                "Nguyen Van An: unknown field `Nguyen Van An`, expected one of `reader` at line 1 column 16",
                "unknown field (not shown) (line 1, column 16)",
            ),
            ("missing field `key` at line 1 column 2", "missing field `key` (line 1, column 2)"),
            (
                "data_groups[0]: invalid type: integer `1`, expected a string",
                "data_groups[0]: wrong type, expected a string",
            ),
            ("something else entirely", "unexpected content"),
        ] {
            assert_eq!(describe_data_error(&format!("{prefix}{serde}")), want, "{serde}");
        }
    }
}
