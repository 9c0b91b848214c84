//! The HTTP API (docs/api.md): routes, JSON bodies, errors, and the
//! Server-Sent Events stream.

use crate::api::{self, ErrorBody, ErrorCode, ErrorDetail, Event};
use crate::service::backend::Availability;
use crate::service::error::ServiceError;
use crate::service::events::EventBus;
use crate::service::reads::Reads;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::watch;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

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
pub fn router(state: Arc<AppState>, max_request_bytes: usize) -> Router {
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

async fn read(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<api::ReadRequest>, JsonRejection>,
) -> Result<Json<api::ReadResponse>, ApiError> {
    let Json(request) = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError(ServiceError::PayloadTooLarge);
        }
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let why = match &rejection {
            JsonRejection::MissingJsonContentType(_) => {
                "the body must be JSON (Content-Type: application/json)".to_owned()
            }
            JsonRejection::JsonSyntaxError(_) => "the body is not valid JSON".to_owned(),
            // serde's message names the field; values are never echoed by it for these types.
            JsonRejection::JsonDataError(e) => format!("the body does not match the read request: {}", e.body_text()),
            _ if !is_json => "the body must be JSON (Content-Type: application/json)".to_owned(),
            _ => "the body could not be read".to_owned(),
        };
        ApiError(ServiceError::BadRequest(why))
    })?;
    Ok(Json(state.reads.read(request).await?))
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
