//! `mrtdd::client` and the `mrtdctl` binary against a tiny fake daemon (axum
//! on a temporary Unix socket) that answers the v1 contract with canned data:
//! every endpoint, error bodies of every code, answers outside the contract,
//! a slow answer, and an event stream cut into awkward chunks.
//!
//! The real daemon's end-to-end tests live in tests/e2e_*.rs.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use mrtdd::api::{ErrorCode, Event, Health, Key, ReadRequest};
use mrtdd::client::{Client, ClientError};
use serde_json::json;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// The portrait bytes of the fixture (a JPEG header and filler).
const PORTRAIT: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00synthetic portrait\xFF\xD9";

/// The codes in the order of the fake's `9000NN` CANs.
const CODES: [ErrorCode; 16] = [
    ErrorCode::BadRequest,
    ErrorCode::ReaderNotFound,
    ErrorCode::NoCard,
    ErrorCode::Busy,
    ErrorCode::WrongKey,
    ErrorCode::CardRemoved,
    ErrorCode::AccessDenied,
    ErrorCode::UnsupportedDocument,
    ErrorCode::Timeout,
    ErrorCode::PcscUnavailable,
    ErrorCode::Internal,
    ErrorCode::Unauthorized,
    ErrorCode::Forbidden,
    ErrorCode::NotFound,
    ErrorCode::PayloadTooLarge,
    ErrorCode::ShuttingDown,
];

#[derive(Clone)]
struct Fake {
    /// What `/v1/health` says of pcscd.
    pcsc: &'static str,
    /// `/v1/events` ends after its canned events instead of following reads.
    finite_events: bool,
    /// Events of reads, to the subscribers.
    events: broadcast::Sender<(String, String)>,
    /// Every `/v1/read` body received.
    requests: Arc<Mutex<Vec<serde_json::Value>>>,
    /// Reads served.
    reads: Arc<AtomicUsize>,
}

fn read_response(read_id: &str) -> serde_json::Value {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    json!({
        "read_id": read_id,
        "reader": "Fake Reader 00",
        "access": {"method": "pace", "key": "can"},
        "document": {
            "type": "ID", "issuing_state": "VNM", "document_number": "095012345",
            "surname": "NGUYEN", "given_names": "VAN AN", "nationality": "VNM",
            "date_of_birth": "1995-03-12", "sex": "M", "date_of_expiry": "2035-03-12",
            "optional_data": "001095012345<<4",
            "mrz": "IDVNM0950123457001095012345<<4\n9503122M3503128VNM<<<<<<<<<<<4\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"
        },
        "cccd": {
            "id_number": "001095012345", "full_name": "Nguyễn Văn An", "date_of_birth": "1995-03-12",
            "sex": "Nam", "nationality": "Việt Nam", "ethnicity": "Kinh", "religion": "Không",
            "place_of_origin": "Hà Nội", "place_of_residence": "Hà Nội", "personal_identification": null,
            "date_of_issue": "2021-06-01", "date_of_expiry": "2035-03-12", "father_name": null,
            "mother_name": null, "spouse_name": null, "old_id_number": null
        },
        "portrait": {"mime_type": "image/jpeg", "data": b64(PORTRAIT), "width": 480, "height": 640},
        "files": {"EF.COM": b64(b"\x60\x00"), "DG1": b64(b"\x61\x00"), "DG2": b64(PORTRAIT)},
        "verification": {
            "status": "passed", "data_groups": {"DG1": "valid", "DG2": "valid"}, "sod_signature": "valid",
            "certificate_chain": "trusted", "chip_authentication": "passed", "active_authentication": "not_supported"
        },
        "stats": {"apdus": 97, "bytes_read": 21034, "duration_ms": 412},
        "a_field_added_later": true
    })
}

fn json_response(status: u16, body: serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn health(State(fake): State<Fake>) -> Response {
    json_response(200, json!({"status": "ok", "version": "0.1.0", "pcsc": fake.pcsc, "readers": 2}))
}

async fn readers() -> Response {
    json_response(
        200,
        json!({"readers": [
            {"name": "Fake Reader 00", "card_present": true, "atr": "3B8880010000000000000000", "busy": false},
            {"name": "Empty Reader 01", "card_present": false, "busy": false}
        ]}),
    )
}

async fn read(State(fake): State<Fake>, body: String) -> Response {
    let Ok(request) = serde_json::from_str::<ReadRequest>(&body) else {
        return json_response(400, json!({"error": {"code": "bad_request", "message": "not a read request"}}));
    };
    if let Ok(value) = serde_json::from_str(&body) {
        fake.requests.lock().unwrap().push(value);
    }
    let n = fake.reads.fetch_add(1, Ordering::SeqCst);
    let read_id = format!("read-{n}");
    let send = |kind: &str, data: serde_json::Value| {
        let _ = fake.events.send((kind.to_string(), data.to_string()));
    };
    send("read_started", json!({"read_id": read_id, "reader": "Fake Reader 00"}));
    let can = request.key.can.clone().unwrap_or_default();
    if let Some(code) = can.strip_prefix("9000").and_then(|i| i.parse::<usize>().ok()).and_then(|i| CODES.get(i)) {
        send("read_failed", json!({"read_id": read_id, "code": code.as_str()}));
        return json_response(
            code.http_status(),
            json!({"error": {"code": code.as_str(), "message": format!("fake {}", code.as_str())}}),
        );
    }
    match can.as_str() {
        "555555" => json_response(422, json!({"error": {"code": "future_code", "message": "from the future"}})),
        "222222" => (StatusCode::BAD_GATEWAY, "plain text, not JSON").into_response(),
        "333333" => json_response(200, json!({"read_id": "x", "reader": "NGUYEN VAN AN"})),
        "444444" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            json_response(200, read_response(&read_id))
        }
        "888888" => {
            let mut r = read_response(&read_id);
            r["portrait"] = serde_json::Value::Null;
            r["verification"]["status"] = json!("undetermined");
            json_response(200, r)
        }
        _ => {
            send("read_progress", json!({"read_id": read_id, "file": "DG1", "bytes": 93, "total": 93}));
            send("future_event", json!({"anything": 1}));
            send("read_progress", json!({"read_id": read_id, "file": "DG2", "bytes": 1000, "total": 2000}));
            send("read_finished", json!({"read_id": read_id, "status": "passed"}));
            json_response(200, read_response(&read_id))
        }
    }
}

/// An event as SSE text, cut in two inside its data line.
fn sse_chunks(kind: &str, data: &str) -> Vec<Result<String, std::io::Error>> {
    let text = format!("event: {kind}\r\ndata: {data}\r\n\r\n");
    let cut = text.find("data: ").map(|i| i + 9).unwrap_or(0);
    vec![Ok(text[..cut].to_string()), Ok(text[cut..].to_string())]
}

async fn events(State(fake): State<Fake>) -> Response {
    let prelude: Vec<Result<String, std::io::Error>> = vec![
        Ok(": welcome\n\nevent: reader_add".into()),
        Ok("ed\ndata: {\"reader\":".into()),
        Ok("\"Fake Reader 00\"}\n".into()),
        Ok("\nevent: card_inserted\ndata: {\"reader\":\"Fake Reader 00\",\"atr\":\"3B88\"}\n\n".into()),
    ];
    let body = if fake.finite_events {
        let mut chunks = prelude;
        chunks.extend(sse_chunks("read_started", r#"{"read_id":"r1","reader":"Fake Reader 00"}"#));
        chunks.extend(sse_chunks("read_progress", r#"{"read_id":"r1","file":"DG2","bytes":10,"total":20}"#));
        chunks.extend(sse_chunks("events_lost", r#"{"missed":4}"#));
        chunks.extend(sse_chunks("future_event", r#"{"x":1}"#));
        chunks.extend(sse_chunks("read_finished", r#"{"read_id":"r1","status":"passed"}"#));
        Body::from_stream(futures_util::stream::iter(chunks))
    } else {
        let rx = fake.events.subscribe();
        let live = futures_util::stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok((kind, data)) => {
                        return Some((futures_util::stream::iter(sse_chunks(&kind, &data)), rx));
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .flatten();
        Body::from_stream(futures_util::stream::iter(prelude).chain(live))
    };
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

/// A fake daemon on a temporary socket, stopped (and its folder removed) on drop.
struct Daemon {
    dir: PathBuf,
    socket: PathBuf,
    fake: Fake,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

async fn daemon(pcsc: &'static str, finite_events: bool) -> Daemon {
    let dir = std::env::temp_dir().join(format!(
        "mrtdctl-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("mrtdd.sock");
    let fake =
        Fake { pcsc, finite_events, events: broadcast::channel(64).0, requests: Arc::default(), reads: Arc::default() };
    let app = Router::new()
        .route("/v1/health", get(health))
        .route("/v1/readers", get(readers))
        .route("/v1/read", post(read))
        .route("/v1/events", get(events))
        .with_state(fake.clone());
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Daemon { dir, socket, fake, task }
}

fn can(can: &str) -> ReadRequest {
    ReadRequest { key: Key::from_can(can), ..ReadRequest::default() }
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn client_futures_and_streams_are_send() {
    // The daemon's tests spawn them on a multi-thread runtime.
    let client = Client::new("/nonexistent");
    let request = can("012345");
    assert_send(&client.health());
    assert_send(&client.readers());
    assert_send(&client.read(&request));
    assert_send(&client.events());
    assert_send(&client.events_raw());
    fn stream_is_send_and_unpin<T: Send + Unpin + 'static>() {}
    stream_is_send_and_unpin::<mrtdd::client::EventStream>();
    stream_is_send_and_unpin::<mrtdd::client::RawEventStream>();
    fn sync<T: Send + Sync>() {}
    sync::<Client>();
    sync::<ClientError>();
}

#[tokio::test]
async fn client_health_and_readers() {
    let d = daemon("ok", false).await;
    let client = Client::new(&d.socket);
    let h = client.health().await.unwrap();
    assert_eq!(
        h,
        Health {
            status: "ok".into(),
            version: "0.1.0".into(),
            pcsc: "ok".into(),
            readers: 2,
            simulated: false,
            trust_anchors: 0,
            // The fake daemon sends no `socket` (as older daemons): absent is None.
            socket: None,
        }
    );
    let r = client.readers().await.unwrap();
    assert_eq!(r.readers.len(), 2);
    assert_eq!(r.readers[0].atr.as_deref(), Some("3B8880010000000000000000"));
    assert!(r.readers[0].card_present);
    assert_eq!(r.readers[1].atr, None);
    let raw = client.get_raw("/readers").await.unwrap();
    assert_eq!(raw.status, 200);
    assert!(raw.body.starts_with(b"{\"readers\""));
}

#[tokio::test]
async fn client_read_with_events() {
    let d = daemon("ok", false).await;
    let client = Client::new(&d.socket).with_timeout(Some(Duration::from_secs(10)));
    let mut events = client.events().await.unwrap();
    // The canned prelude, split across chunks.
    assert_eq!(events.next().await.unwrap().unwrap(), Event::ReaderAdded { reader: "Fake Reader 00".into() });
    assert_eq!(
        events.next().await.unwrap().unwrap(),
        Event::CardInserted { reader: "Fake Reader 00".into(), atr: "3B88".into() }
    );

    let response = client.read(&can("012345")).await.unwrap();
    assert_eq!(response.read_id, "read-0");
    assert_eq!(response.access.method, "pace");
    let doc = response.document.as_ref().unwrap();
    assert_eq!(doc.surname, "NGUYEN");
    assert_eq!(doc.date_of_birth, "1995-03-12");
    let cccd = response.cccd.as_ref().unwrap();
    assert_eq!(cccd.full_name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(cccd.spouse_name, None);
    assert_eq!(response.portrait.as_ref().unwrap().width, 480);
    assert_eq!(response.verification.data_groups.get("DG2").map(String::as_str), Some("valid"));
    assert_eq!(response.stats.apdus, 97);
    assert_eq!(
        d.fake.requests.lock().unwrap().first(),
        Some(&json!({"key": {"can": "012345"}, "wait_for_card_ms": 0}))
    );

    // The read's events, in order; the unknown `future_event` is skipped.
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        let event = event.unwrap();
        let last = matches!(event, Event::ReadFinished { .. });
        seen.push(event);
        if last {
            break;
        }
    }
    assert_eq!(
        seen,
        vec![
            Event::ReadStarted { read_id: "read-0".into(), reader: "Fake Reader 00".into() },
            Event::ReadProgress { read_id: "read-0".into(), file: "DG1".into(), bytes: 93, total: 93 },
            Event::ReadProgress { read_id: "read-0".into(), file: "DG2".into(), bytes: 1000, total: 2000 },
            Event::ReadFinished { read_id: "read-0".into(), status: "passed".into() },
        ]
    );

    // The raw stream shows the unknown event too.
    let mut raw = client.events_raw().await.unwrap();
    for _ in 0..2 {
        raw.next().await.unwrap().unwrap(); // prelude
    }
    client.read(&can("012345")).await.unwrap();
    let mut kinds = Vec::new();
    for _ in 0..5 {
        let next = tokio::time::timeout(Duration::from_secs(5), raw.next()).await.unwrap();
        kinds.push(next.unwrap().unwrap().event);
    }
    assert_eq!(kinds, ["read_started", "read_progress", "future_event", "read_progress", "read_finished"]);
}

#[tokio::test]
async fn client_errors() {
    let d = daemon("ok", false).await;
    let client = Client::new(&d.socket).with_timeout(Some(Duration::from_secs(2)));
    for (i, code) in CODES.iter().enumerate() {
        let err = client.read(&can(&format!("9000{i:02}"))).await.unwrap_err();
        assert_eq!(err.code(), Some(*code), "{err}");
        assert_eq!(err.status(), Some(code.http_status()));
        assert_eq!(err.error_body().unwrap().error.message, format!("fake {}", code.as_str()));
    }
    match client.read(&can("555555")).await.unwrap_err() {
        ClientError::Status { status: 422, code, message } => {
            assert_eq!(code.as_deref(), Some("future_code"));
            assert_eq!(message.as_deref(), Some("from the future"));
        }
        other => panic!("{other:?}"),
    }
    match client.read(&can("222222")).await.unwrap_err() {
        ClientError::Status { status: 502, code: None, message: None } => {}
        other => panic!("{other:?}"),
    }
    let err = client.read(&can("333333")).await.unwrap_err();
    assert!(matches!(err, ClientError::Decode { what: "read response", .. }), "{err:?}");
    assert!(!err.to_string().contains("NGUYEN"), "the error quotes the body: {err}");
    let err = client.read(&can("444444")).await.unwrap_err();
    assert!(matches!(err, ClientError::Timeout(t) if t == Duration::from_secs(2)), "{err:?}");

    let missing = Client::new(d.dir.join("absent.sock"));
    match missing.health().await.unwrap_err() {
        ClientError::Connect { path, source } => {
            assert_eq!(path, d.dir.join("absent.sock"));
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    let err = missing.events().await.unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }));
}

/// Runs `mrtdctl` with `args` (and `MRTDD_SOCKET` unset unless given).
async fn mrtdctl(args: &[&str], env_socket: Option<&Path>) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env_socket = env_socket.map(Path::to_path_buf);
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mrtdctl"));
        cmd.args(&args).env_remove("MRTDD_SOCKET").stdin(std::process::Stdio::null());
        if let Some(s) = env_socket {
            cmd.env("MRTDD_SOCKET", s);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_health_readers_and_read() {
    let d = daemon("ok", false).await;
    let s = d.socket.to_str().unwrap();

    let o = mrtdctl(&["health"], Some(&d.socket)).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "mrtdd 0.1.0: ok; pcsc: ok; readers: 2; trust anchors: 0\n");
    let o = mrtdctl(&["--json", "health", "--socket", s], None).await;
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "0.1.0");

    let o = mrtdctl(&["readers", "--socket", s], None).await;
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        text(&o.stdout),
        "NAME             CARD  BUSY  ATR\n\
         Fake Reader 00   yes   no    3B8880010000000000000000\n\
         Empty Reader 01  no    no    -\n"
    );

    let face = d.dir.join("face.jpg");
    let f = face.to_str().unwrap();
    let o = mrtdctl(&["read", "--socket", s, "--can", "012345", "--portrait", f], None).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for want in [
        "PACE with the CAN",
        "Surname:",
        "NGUYEN",
        "Nguyễn Văn An",
        "Verification: PASSED",
        "DG1 valid, DG2 valid",
        "Stats: 97 APDUs, 21034 bytes read, 412 ms",
    ] {
        assert!(out.contains(want), "{want:?} missing from:\n{out}");
    }
    assert!(out.contains(&format!("480x640, {} bytes, saved to {f}", PORTRAIT.len())), "{out}");
    assert_eq!(std::fs::read(&face).unwrap(), PORTRAIT);
    assert_eq!(std::fs::metadata(&face).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!text(&o.stderr).contains("NGUYEN"), "personal data on stderr");

    // The file exists: refused before any read, unless --force.
    std::fs::write(&face, b"keep").unwrap();
    let reads = d.fake.reads.load(Ordering::SeqCst);
    let o = mrtdctl(&["read", "--socket", s, "--can", "012345", "--portrait", f], None).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--force"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&face).unwrap(), b"keep");
    assert_eq!(d.fake.reads.load(Ordering::SeqCst), reads);
    let o = mrtdctl(&["read", "--socket", s, "--can", "012345", "--portrait", f, "--force", "--json"], None).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&face).unwrap(), PORTRAIT);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["a_field_added_later"], true, "--json prints the body unchanged");

    // The MRZ key as typed, with options.
    let o = mrtdctl(
        &[
            "read",
            "--socket",
            s,
            "--mrz",
            "IDVNM0950123457001095012345<<4\\n9503122M3503128VNM<<<<<<<<<<<4\\nnguyen<<van<an<<<<<<<<<<<<<<<<",
            "--reader",
            "Fake Reader 00",
            "--wait",
            "5",
            "--dg",
            "DG1,DG2,DG13",
        ],
        None,
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        d.fake.requests.lock().unwrap().last(),
        Some(&json!({
            "reader": "Fake Reader 00",
            "key": {"mrz": "IDVNM0950123457001095012345<<4\n9503122M3503128VNM<<<<<<<<<<<4\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"},
            "data_groups": ["DG1", "DG2", "DG13"],
            "wait_for_card_ms": 5000
        }))
    );

    // No portrait in the answer: the result is printed, the missing file is an error.
    let absent = d.dir.join("none.jpg");
    let o = mrtdctl(&["read", "--socket", s, "--can", "888888", "--portrait", absent.to_str().unwrap()], None).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("Portrait (DG2): none"));
    assert!(!absent.exists());
    let o = mrtdctl(&["read", "--socket", s, "--can", "888888", "--require-passed"], None).await;
    assert_eq!(o.status.code(), Some(11));
    assert!(text(&o.stderr).contains("undetermined"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_exit_statuses() {
    let d = daemon("unavailable", false).await;
    let s = d.socket.to_str().unwrap();
    let o = mrtdctl(&["health", "--socket", s], None).await;
    assert_eq!(o.status.code(), Some(9));
    assert!(text(&o.stdout).contains("pcsc: unavailable"));

    let expected: [(ErrorCode, i32, &str); 11] = [
        (ErrorCode::BadRequest, 2, "check the key"),
        (ErrorCode::ReaderNotFound, 8, "mrtdctl readers"),
        (ErrorCode::NoCard, 5, "place the document"),
        (ErrorCode::Busy, 7, "another read is running on this reader"),
        (ErrorCode::WrongKey, 4, "the chip rejected the key: check the MRZ/CAN"),
        (ErrorCode::CardRemoved, 5, "left the reader"),
        (ErrorCode::AccessDenied, 4, "refused access"),
        (ErrorCode::UnsupportedDocument, 10, "not a supported eMRTD"),
        (ErrorCode::Timeout, 6, "took too long"),
        (ErrorCode::PcscUnavailable, 9, "pcscd is not running: start it (systemctl start pcscd)"),
        (ErrorCode::Internal, 1, "journalctl"),
    ];
    for (code, status, hint) in expected {
        let i = CODES.iter().position(|c| *c == code).unwrap();
        let o = mrtdctl(&["read", "--socket", s, "--can", &format!("9000{i:02}")], None).await;
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(status), "{code:?}: {err}");
        assert!(err.contains(hint) && err.contains(code.as_str()), "{code:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(o.stdout.is_empty());
    }

    let o = mrtdctl(&["read", "--socket", s, "--can", "222222"], None).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("HTTP 502"));
    let o = mrtdctl(&["--timeout", "1", "read", "--socket", s, "--can", "444444"], None).await;
    assert_eq!(o.status.code(), Some(6), "{}", text(&o.stderr));

    let absent = d.dir.join("absent.sock");
    let o = mrtdctl(&["readers", "--socket", absent.to_str().unwrap()], None).await;
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        text(&o.stderr),
        format!(
            "mrtdctl: cannot connect to mrtdd at {}: is it running? (mrtdd --simulate to try without a reader)\n",
            absent.display()
        )
    );
    let o = mrtdctl(&["watch"], Some(&absent)).await;
    assert_eq!(o.status.code(), Some(3));

    let o = mrtdctl(&["read", "--can", "12"], Some(&d.socket)).await;
    assert_eq!(o.status.code(), Some(2));
    let o = mrtdctl(&["read", "--can", "012345", "--qr", "x"], Some(&d.socket)).await;
    assert_eq!(o.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_watch_prints_events_until_the_stream_ends() {
    let d = daemon("ok", true).await;
    let o = mrtdctl(&["watch"], Some(&d.socket)).await;
    assert_eq!(o.status.code(), Some(3), "the fake ends the stream: {}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().map(|l| l.split_once(' ').map(|(_, rest)| rest).unwrap_or("")).collect();
    assert_eq!(
        lines,
        [
            r#"reader_added reader="Fake Reader 00""#,
            r#"card_inserted reader="Fake Reader 00" atr=3B88"#,
            r#"read_started read_id=r1 reader="Fake Reader 00""#,
            "read_progress read_id=r1 file=DG2 bytes=10 total=20",
            "events_lost missed=4",
            r#"future_event {"x":1}"#,
            "read_finished read_id=r1 status=passed",
        ]
    );
    assert!(out.lines().all(|l| l.len() > 24 && l.as_bytes()[23] == b'Z'), "timestamps: {out}");
    let err = text(&o.stderr);
    assert!(err.contains("dropped 4 events"), "{err}");
    assert!(err.contains("closed the event stream"), "{err}");

    let o = mrtdctl(&["watch", "--json"], Some(&d.socket)).await;
    let values: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(values.len(), 7);
    assert_eq!(values[0], json!({"event": "reader_added", "data": {"reader": "Fake Reader 00"}}));
    assert_eq!(values[6], json!({"event": "read_finished", "data": {"read_id": "r1", "status": "passed"}}));
}
