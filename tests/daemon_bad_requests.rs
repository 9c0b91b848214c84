//! Bad requests against the real daemon (`mrtdd --simulate`) over its Unix
//! socket (issue 7): malformed HTTP, slow and stalled clients, huge bodies,
//! wrong content types, invalid JSON, JSON of the wrong shape, every key form
//! with invalid content, unknown readers, wrong methods and unknown paths.
//!
//! Each case asserts the exact HTTP status and API error code, and that
//! nothing else happens: an event subscriber (opened first) sees no
//! `read_started`, no reader is left busy, a valid read right after succeeds,
//! and the daemon stays up. The daemon's log and the captured event text go to
//! `target/test-logs/daemon_bad_requests-<tag>.log`.
#![cfg(feature = "software-chip")]

use mrtdd::api::{ErrorBody, ErrorCode, Health, ReadResponse, Readers};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "support/http.rs"]
mod http;

use http::{Spawned as Daemon, parse, request_head, test_log};

const CCCD_READER: &str = "mrtdd Simulated Reader (demo CCCD) 00 00";
const PASSPORT_READER: &str = "mrtdd Simulated Reader (ICAO specimen passport) 00 01";
const DEMO_MRZ: &str = "IDVNM0950123455001095012345<<6\n9503124M3503122VNM<<<<<<<<<<<0\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";
const SPECIMEN_MRZ: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";
const DEMO_QR: &str = "001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021";
/// `HEADER_READ_TIMEOUT` and `BODY_READ_TIMEOUT` of `service::http`, plus slack for a loaded machine.
const SERVER_TIMEOUT_BOUND: Duration = Duration::from_secs(25);

/// The daemon, given SIGTERM (then killed) on drop; stderr to `target/test-logs/daemon_bad_requests-<tag>.log`.
impl Daemon {
    fn start(tag: &str, extra_config: &str) -> Self {
        let log = test_log(&format!("daemon_bad_requests-{tag}.log"));
        let mut d = Self::spawn("badreq", tag, &format!("simulate = true\nlog_level = \"debug\"\n{extra_config}"), log);
        d.terminate_on_drop = true;
        d
    }

    fn request(&self, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> (u16, Vec<u8>) {
        let head = request_head(method, path, content_type, body.len());
        let mut raw = head.into_bytes();
        raw.extend_from_slice(body);
        // Connection: close ends the answer; the request side stays open (the daemon takes a
        // half-close before the answer as the client gone).
        let response = self.raw(&raw, false);
        let (status, _, body) = parse(&response).unwrap_or_else(|| panic!("no response to {method} {path}"));
        (status, body)
    }

    /// Sends `bytes` as they are (then half-closes when `close_write`) and returns everything the daemon sent.
    fn raw(&self, bytes: &[u8], close_write: bool) -> Vec<u8> {
        let mut s = UnixStream::connect(&self.socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        // The daemon may answer and close before it has read everything (413, 431): a failed write is fine.
        let _ = s.write_all(bytes);
        if close_write {
            let _ = s.shutdown(Shutdown::Write);
        }
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    }

    /// POST /v1/read with a JSON body: the status and the error body (panics on 200).
    fn read_error(&self, body: &[u8]) -> (u16, ErrorBody) {
        let (status, bytes) = self.request("POST", "/v1/read", Some("application/json"), body);
        let text = String::from_utf8_lossy(&bytes).to_string();
        assert_ne!(status, 200, "{}: a read was made", String::from_utf8_lossy(body));
        (status, serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("{status}: not an error body: {text}")))
    }

    fn read_ok(&self, body: Value) -> ReadResponse {
        let (status, bytes) = self.request("POST", "/v1/read", Some("application/json"), body.to_string().as_bytes());
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        serde_json::from_slice(&bytes).unwrap()
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.request("GET", path, None, b"");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }

    /// The daemon is up, answers, and no reader is busy.
    fn assert_healthy_and_idle(&self) {
        let h: Health = self.get("/v1/health");
        assert_eq!(h.status, "ok");
        let r: Readers = self.get("/v1/readers");
        assert_eq!(r.readers.len(), 2);
        assert!(r.readers.iter().all(|r| !r.busy), "a reader was left busy");
        assert!(self.child_alive(), "the daemon died");
    }

    fn child_alive(&self) -> bool {
        Command::new("kill").arg("-0").arg(self.child.id().to_string()).status().unwrap().success()
    }
}

/// An event subscriber on a thread of its own: every event's type, in order.
/// The raw stream is appended to the daemon's test log.
struct Events {
    kinds: Arc<Mutex<Vec<String>>>,
}

impl Events {
    fn subscribe(d: &Daemon) -> Self {
        let mut s = UnixStream::connect(&d.socket).unwrap();
        s.write_all(b"GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n").unwrap();
        let mut lines = BufReader::new(s);
        let mut line = String::new();
        lines.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        while line != "\r\n" {
            line.clear();
            lines.read_line(&mut line).unwrap();
        }
        let kinds = Arc::new(Mutex::new(Vec::new()));
        let sink = kinds.clone();
        let log = test_log(&format!("daemon_bad_requests-{}-events.log", d.tag));
        std::thread::spawn(move || {
            let mut log = std::fs::File::create(log).unwrap();
            let mut line = String::new();
            while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
                let _ = log.write_all(line.as_bytes());
                if let Some(kind) = line.trim_end().strip_prefix("event: ") {
                    sink.lock().unwrap().push(kind.to_owned());
                }
                line.clear();
            }
        });
        Self { kinds }
    }

    fn count(&self, kind: &str) -> usize {
        self.kinds.lock().unwrap().iter().filter(|k| *k == kind).count()
    }

    /// Waits (bounded) until `n` events of `kind` have arrived.
    fn wait_for(&self, kind: &str, n: usize) {
        let started = Instant::now();
        while self.count(kind) < n {
            assert!(started.elapsed() < Duration::from_secs(10), "no {kind} event #{n}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// After a batch of bad requests: no read was started, no reader is busy,
/// the daemon is up, and a valid read works (and is the only one started).
fn nothing_else_happened(d: &Daemon, events: &Events) {
    // Bad requests are answered before any event could be published; a short
    // pause lets a wrongly published event reach the subscriber.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(events.count("read_started"), 0, "a bad request started a read: {:?}", events.kinds.lock().unwrap());
    d.assert_healthy_and_idle();
    let read = d.read_ok(json!({"reader": CCCD_READER, "key": {"can": "012345"}}));
    assert_eq!(read.reader, CCCD_READER);
    events.wait_for("read_finished", 1);
    assert_eq!(events.count("read_started"), 1);
    assert_eq!(events.count("read_failed"), 0);
}

fn expect_error(d: &Daemon, what: &str, body: &[u8], code: ErrorCode, secret: Option<&str>) {
    let (status, e) = d.read_error(body);
    assert_eq!((status, e.error.code), (code.http_status(), code), "{what}: {}", e.error.message);
    assert!(!e.error.message.is_empty(), "{what}");
    if let Some(secret) = secret {
        assert!(!e.error.message.contains(secret), "{what}: the message echoes the value: {}", e.error.message);
    }
}

#[test]
fn malformed_http_is_refused_and_nothing_else_happens() {
    let d = Daemon::start("http", "");
    let events = Events::subscribe(&d);
    // (name, bytes, status hyper answers with before closing; none: closed without an answer)
    let long_header =
        [b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Long: ".as_slice(), &vec![b'a'; 200_000], b"\r\n\r\n"].concat();
    let many_headers = [
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\n".to_vec(),
        (0..200).flat_map(|i| format!("X-H{i}: a\r\n").into_bytes()).collect(),
        b"\r\n".to_vec(),
    ]
    .concat();
    let cases: Vec<(&str, Vec<u8>, Option<u16>)> = vec![
        ("garbage bytes", b"\x00\x01\x02\xff garbage\r\n\r\n".to_vec(), Some(400)),
        ("request line without a target", b"GET\r\n\r\n".to_vec(), Some(400)),
        ("HTTP/0.9 request line", b"GET /v1/health\r\n\r\n".to_vec(), Some(400)),
        ("unknown HTTP version", b"GET /v1/health HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(), Some(400)),
        ("space in a header name", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n".to_vec(), Some(400)),
        ("header without a colon", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n".to_vec(), Some(400)),
        ("NUL in a header value", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n".to_vec(), Some(400)),
        ("bare LF in a header value", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n".to_vec(), Some(400)),
        ("200 KB header", long_header, Some(431)),
        ("200 headers", many_headers, Some(431)),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(), None),
        (
            "Content-Length not a number",
            b"POST /v1/read HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n"
                .to_vec(),
            Some(400),
        ),
        (
            "two different Content-Lengths",
            b"POST /v1/read HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}"
                .to_vec(),
            Some(400),
        ),
    ];
    for (name, bytes, want) in cases {
        let response = d.raw(&bytes, false);
        match want {
            Some(status) => {
                let (got, head, body) = parse(&response).unwrap_or_else(|| panic!("{name}: no answer"));
                assert_eq!(got, status, "{name}");
                assert!(head.contains("connection: close"), "{name}: the connection is closed after it");
                assert!(body.is_empty(), "{name}: hyper's bare answer (there is no request to answer)");
            }
            None => assert!(response.is_empty(), "{name}: closed without an answer"),
        }
    }

    // Bodies that are broken at the HTTP level are the read request's problem: a JSON `bad_request`.
    // Only the first needs the client's sending side shut (its body ends there). The others end
    // on their own and ask for `Connection: close` instead: the daemon takes a shut sending side
    // as the client gone (no half-close, docs/api.md), so with a complete request also shut, the
    // answer raced hyper's close of the connection and was sometimes never written (seen once in CI).
    let broken_bodies: [(&str, &[u8], bool); 3] = [
        (
            "Content-Length larger than the body, then close",
            b"POST /v1/read HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"key\":",
            true,
        ),
        (
            "chunked garbage",
            b"POST /v1/read HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
            false,
        ),
        (
            // RFC 9112 §6.3: Transfer-Encoding wins; the empty chunked body is not JSON.
            "Content-Length and Transfer-Encoding both",
            b"POST /v1/read HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            false,
        ),
    ];
    for (name, bytes, close_write) in broken_bodies {
        let response = d.raw(bytes, close_write);
        let (status, _, body) = parse(&response).unwrap_or_else(|| panic!("{name}: no answer"));
        let e: ErrorBody = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{name}: not JSON"));
        assert_eq!((status, e.error.code), (400, ErrorCode::BadRequest), "{name}");
    }
    nothing_else_happened(&d, &events);
}

#[test]
fn slow_and_silent_clients_cannot_hold_the_connection_slots() {
    // Four slots: four slow-loris clients would take them all.
    let d = Daemon::start("slow", "max_connections = 4\n");
    let events = Events::subscribe(&d); // holds one slot for the whole test
    let started = Instant::now();
    let mut hogs = Vec::new();
    // A request head sent a byte at a time, never finished.
    let mut loris = UnixStream::connect(&d.socket).unwrap();
    loris.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n").unwrap();
    hogs.push(("slow-loris head", loris, None));
    // Connected, never a byte.
    hogs.push(("silent", UnixStream::connect(&d.socket).unwrap(), None));
    // A body announced as 100 bytes, 7 sent, then nothing: answered 400 after the body timeout.
    let mut stalled = UnixStream::connect(&d.socket).unwrap();
    stalled
        .write_all(b"POST /v1/read HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"key\":")
        .unwrap();
    hogs.push(("stalled body", stalled, Some(400)));

    // Every slot is taken now; a well-behaved client waits in the accept queue
    // until the daemon closes the hogs, and is then served.
    let socket = d.socket.clone();
    let waiting = std::thread::spawn(move || {
        let mut s = UnixStream::connect(&socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        s.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        (parse(&out).map(|(status, _, _)| status), started.elapsed())
    });
    // Keep the slow-loris trickling: the timeout bounds the whole head, not the gap between bytes.
    let trickle = hogs[0].1.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut trickle = trickle;
        for _ in 0..40 {
            std::thread::sleep(Duration::from_millis(500));
            if trickle.write_all(b"X").is_err() {
                break;
            }
        }
    });
    for (name, mut s, want) in hogs {
        s.set_read_timeout(Some(SERVER_TIMEOUT_BOUND)).unwrap();
        let mut out = Vec::new();
        let r = s.read_to_end(&mut out);
        assert!(r.is_ok() || out.is_empty(), "{name}: {r:?}");
        assert!(started.elapsed() < SERVER_TIMEOUT_BOUND, "{name}: the daemon did not close the connection");
        match want {
            None => assert!(out.is_empty(), "{name}: closed without an answer"),
            Some(status) => {
                let (got, _, body) = parse(&out).unwrap_or_else(|| panic!("{name}: no answer"));
                let e: ErrorBody = serde_json::from_slice(&body).unwrap();
                assert_eq!((got, e.error.code), (status, ErrorCode::BadRequest), "{name}");
                assert!(e.error.message.contains("did not arrive"), "{}", e.error.message);
            }
        }
    }
    let (status, waited) = waiting.join().unwrap();
    assert_eq!(status, Some(200), "the queued client is served once the hogs are gone");
    assert!(waited < SERVER_TIMEOUT_BOUND, "served after {waited:?}");
    nothing_else_happened(&d, &events);
}

#[test]
fn bodies_content_types_and_json() {
    let d = Daemon::start("bodies", "max_request_bytes = 4096\n");
    let events = Events::subscribe(&d);
    let can = br#"{"key":{"can":"012345"}}"#;

    // Huge bodies: 413 payload_too_large, whether the length is announced or chunked.
    for size in [4097, 100_000, 8_000_000] {
        let mut body = br#"{"key":{"can":"012345"},"reader":""#.to_vec();
        body.resize(size - 2, b'a');
        body.extend_from_slice(b"\"}");
        expect_error(&d, &format!("{size}-byte body"), &body, ErrorCode::PayloadTooLarge, None);
    }
    let chunk = [b"1000\r\n".as_slice(), &[b' '; 0x1000], b"\r\n"].concat();
    let chunked = [
        b"POST /v1/read HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            .to_vec(),
        chunk.repeat(4),
        b"0\r\n\r\n".to_vec(),
    ]
    .concat();
    let (status, _, body) = parse(&d.raw(&chunked, false)).unwrap();
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, e.error.code), (413, ErrorCode::PayloadTooLarge));

    // Content types: only JSON (application/json, parameters allowed, or application/*+json).
    for ct in [
        None,
        Some("text/plain"),
        Some("text/json"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonx"),
        Some("application/xml"),
        Some(""),
        Some("application"),
    ] {
        let (status, bytes) = d.request("POST", "/v1/read", ct, can);
        let e: ErrorBody = serde_json::from_slice(&bytes).unwrap();
        assert_eq!((status, e.error.code), (400, ErrorCode::BadRequest), "{ct:?}");
        assert!(e.error.message.contains("Content-Type"), "{ct:?}: {}", e.error.message);
    }

    // Not JSON.
    // Within the 4 KiB body limit, far beyond serde_json's recursion limit (128).
    let deep = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
    let deep_key = format!("{{\"key\":{}0{}}}", "{\"a\":".repeat(400), "}".repeat(400));
    let not_json: Vec<(&str, Vec<u8>)> = vec![
        ("empty body", b"".to_vec()),
        ("truncated", b"{\"key\":{\"can\":\"0123".to_vec()),
        ("not JSON", b"{not json}".to_vec()),
        ("single quotes", b"{'key':{'can':'012345'}}".to_vec()),
        ("trailing garbage", b"{\"key\":{\"can\":\"012345\"}} x".to_vec()),
        ("two documents", b"{\"key\":{\"can\":\"012345\"}}{\"key\":{\"can\":\"012345\"}}".to_vec()),
        ("invalid UTF-8 in a string", b"{\"key\":{\"can\":\"01234\xff\"}}".to_vec()),
        ("lone surrogate escape", b"{\"key\":{\"can\":\"\\ud800\"}}".to_vec()),
        ("raw control character in a string", b"{\"key\":{\"can\":\"0123\n45\"}}".to_vec()),
        ("NaN", b"{\"key\":{\"can\":\"012345\"},\"wait_for_card_ms\":NaN}".to_vec()),
        ("nesting 2000 deep", deep.into_bytes()),
        ("UTF-16", "{\"key\":{\"can\":\"012345\"}}".encode_utf16().flat_map(u16::to_le_bytes).collect()),
    ];
    for (name, body) in &not_json {
        expect_error(&d, name, body, ErrorCode::BadRequest, None);
    }
    // Deep nesting inside `key` is refused too (by serde_json's recursion limit, not a stack overflow).
    expect_error(&d, "nesting 400 deep in key", deep_key.as_bytes(), ErrorCode::BadRequest, None);

    // JSON of the wrong shape, and unknown fields; messages never quote values.
    let wrong_shape: Vec<(&str, Value, Option<&str>)> = vec![
        ("array", json!([DEMO_MRZ]), Some("0950123455")),
        ("string", json!(DEMO_MRZ), Some("0950123455")),
        ("number", json!(12345), None),
        ("null", Value::Null, None),
        ("true", json!(true), None),
        ("empty object", json!({}), None),
        ("key as a string", json!({"key": DEMO_MRZ}), Some("0950123455")),
        ("key as an array", json!({"key": ["012345"]}), Some("012345")),
        ("key null", json!({"key": null}), None),
        ("can as a number", json!({"key": {"can": 12345}}), Some("12345")),
        ("can as an array", json!({"key": {"can": ["012345"]}}), Some("012345")),
        ("mrz as an object", json!({"key": {"mrz": {"line1": DEMO_MRZ}}}), Some("0950123455")),
        ("reader as a number", json!({"reader": 5, "key": {"can": "012345"}}), None),
        ("data_groups as a string", json!({"key": {"can": "012345"}, "data_groups": "DG1"}), None),
        ("data_groups of numbers", json!({"key": {"can": "012345"}, "data_groups": [1, 2]}), None),
        ("wait_for_card_ms negative", json!({"key": {"can": "012345"}, "wait_for_card_ms": -1}), None),
        ("wait_for_card_ms fractional", json!({"key": {"can": "012345"}, "wait_for_card_ms": 1.5}), None),
        ("wait_for_card_ms a string", json!({"key": {"can": "012345"}, "wait_for_card_ms": "10"}), None),
        ("wait_for_card_ms 1e30", json!({"key": {"can": "012345"}, "wait_for_card_ms": 1e30}), None),
        ("unknown top-level field", json!({"key": {"can": "012345"}, "pin": "1234"}), None),
        ("unknown key field", json!({"key": {"can": "012345", "pin": "1234"}}), None),
        ("personal data as a field name", json!({"key": {"can": "012345"}, "NGUYEN VAN AN 950312": 1}), Some("NGUYEN")),
        ("key in upper case", json!({"KEY": {"can": "012345"}}), None),
    ];
    for (name, body, secret) in &wrong_shape {
        expect_error(&d, name, body.to_string().as_bytes(), ErrorCode::BadRequest, *secret);
    }
    let (_, e) = d.read_error(br#"{"key":{"can":"012345"},"key":{"can":"012345"}}"#);
    assert_eq!(e.error.code, ErrorCode::BadRequest, "a duplicate field");
    let (_, e) = d.read_error(json!({"key": {"can": "012345"}, "pin": "1"}).to_string().as_bytes());
    assert!(e.error.message.contains("unknown field `pin`"), "names the field: {}", e.error.message);
    let (_, e) = d.read_error(json!({"key": {"can": 1}}).to_string().as_bytes());
    assert!(e.error.message.contains("key.can"), "names the path: {}", e.error.message);

    nothing_else_happened(&d, &events);
    // JSON with a charset parameter or a +json type is accepted.
    for ct in ["application/json; charset=utf-8", "application/merge-patch+json", "Application/JSON"] {
        let (status, body) = d.request("POST", "/v1/read", Some(ct), can);
        assert_eq!(status, 200, "{ct}: {}", String::from_utf8_lossy(&body));
    }
}

#[test]
fn every_key_form_with_invalid_content() {
    let d = Daemon::start("keys", "");
    let events = Events::subscribe(&d);
    let long = "1".repeat(1025);
    let mrz_lines: Vec<&str> = DEMO_MRZ.lines().collect();
    let with_line = |i: usize, line: &str| {
        let mut l = mrz_lines.clone();
        l[i] = line;
        l.join("\n")
    };
    // Each demo-MRZ check digit broken in turn (document number, birth, expiry, composite).
    let bad_doc_cd = with_line(0, "IDVNM0950123454001095012345<<6");
    let bad_dob_cd = with_line(1, "9503125M3503122VNM<<<<<<<<<<<0");
    let bad_doe_cd = with_line(1, "9503124M3503123VNM<<<<<<<<<<<0");
    let bad_composite = with_line(1, "9503124M3503122VNM<<<<<<<<<<<1");
    let bad_td3 = SPECIMEN_MRZ.replace("ZE184226B<<<<<10", "ZE184226B<<<<<11");
    let short_line = with_line(2, "NGUYEN<<VAN<AN<<<<<<<<<<<<<<<");
    let lower = DEMO_MRZ.replace("NGUYEN", "nguyen");
    let accented = DEMO_MRZ.replace("NGUYEN<<VAN<AN<<", "NGUYỄN<<VĂN<AN<<");
    let with_nul = DEMO_MRZ.replacen('\n', "\0", 1);
    let with_tab = DEMO_MRZ.replacen('\n', "\t", 1);
    let four_lines = format!("{DEMO_MRZ}\n<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<");
    let injected = DEMO_MRZ.replacen("\n", "\nX-Injected: 1\r\n", 1);
    let long_mrz = format!("{DEMO_MRZ}{}", "<".repeat(1024));
    let mrz_cases: Vec<(&str, &str)> = vec![
        ("document number check digit", &bad_doc_cd),
        ("birth date check digit", &bad_dob_cd),
        ("expiry date check digit", &bad_doe_cd),
        ("composite check digit", &bad_composite),
        ("TD3 composite check digit", &bad_td3),
        ("a line of 29", &short_line),
        ("lower case", &lower),
        ("non-ASCII letters", &accented),
        ("NUL as the line separator", &with_nul),
        ("tab as the line separator", &with_tab),
        ("a fourth line", &four_lines),
        ("an injected header line", &injected),
        ("empty", ""),
        ("blank lines only", "\n\r\n\n"),
        ("one line of TD1 only", mrz_lines[0]),
        ("over 1024 characters", &long_mrz),
    ];
    for (name, mrz) in mrz_cases {
        expect_error(
            &d,
            &format!("mrz: {name}"),
            json!({"key": {"mrz": mrz}}).to_string().as_bytes(),
            ErrorCode::BadRequest,
            Some("0950123455"),
        );
    }

    let triples: Vec<(&str, &str, &str, &str)> = vec![
        ("empty document number", "", "950312", "350312"),
        ("24-character document number", "095012345095012345095012", "950312", "350312"),
        ("lower-case document number", "l898902c3", "740812", "120415"),
        ("non-ASCII document number", "09501234５", "950312", "350312"),
        ("document number with a newline", "095012345\n", "950312", "350312"),
        ("document number with CR LF", "0950\r\n12345", "950312", "350312"),
        ("document number with NUL", "095012345\0", "950312", "350312"),
        ("document number with a space", "095 012345", "950312", "350312"),
        ("document number over 1024", &long, "950312", "350312"),
        ("month 13", "095012345", "951312", "350312"),
        ("day 32", "095012345", "950332", "350312"),
        ("day 0", "095012345", "950300", "350312"),
        ("five-digit date", "095012345", "95031", "350312"),
        ("seven-digit date", "095012345", "9503120", "350312"),
        ("letter O for zero", "095012345", "95O312", "350312"),
        ("full-width digits", "095012345", "９５０３１２", "350312"),
        ("date with a newline", "095012345", "950312", "35031\n"),
        ("date with NUL", "095012345", "950312", "3503\u{0}2"),
        ("ISO date", "095012345", "1995-03-12", "350312"),
        ("empty date", "095012345", "950312", ""),
    ];
    for (name, doc, dob, doe) in triples {
        expect_error(
            &d,
            &format!("triple: {name}"),
            json!({"key": {"document_number": doc, "date_of_birth": dob, "date_of_expiry": doe}})
                .to_string()
                .as_bytes(),
            ErrorCode::BadRequest,
            Some("095012345"),
        );
    }
    // Parts of the triple, and mixed forms.
    for key in [
        json!({"document_number": "095012345", "date_of_birth": "950312"}),
        json!({"document_number": "095012345"}),
        json!({"date_of_birth": "950312", "date_of_expiry": "350312"}),
        json!({"document_number": "095012345", "date_of_birth": "950312", "date_of_expiry": "350312", "can": "012345"}),
        json!({"mrz": DEMO_MRZ, "can": "012345"}),
        json!({"can": "012345", "cccd_qr": DEMO_QR}),
        json!({"mrz": DEMO_MRZ, "cccd_qr": DEMO_QR}),
        json!({}),
        json!({"can": null}),
    ] {
        expect_error(
            &d,
            &format!("key {key}"),
            json!({"key": key}).to_string().as_bytes(),
            ErrorCode::BadRequest,
            None,
        );
    }

    for (name, can) in [
        ("five digits", "12345"),
        ("seven digits", "0123456"),
        ("a letter", "01234a"),
        ("full-width digits", "０１２３４５"),
        ("Arabic-Indic digits", "٠١٢٣٤٥"),
        ("a trailing newline", "012345\n"),
        ("a trailing CR LF", "012345\r\n"),
        ("an embedded NUL", "012\u{0}345"),
        ("a leading space", " 012345"),
        ("a sign", "+12345"),
        ("empty", ""),
        ("over 1024", long.as_str()),
    ] {
        expect_error(
            &d,
            &format!("can: {name}"),
            json!({"key": {"can": can}}).to_string().as_bytes(),
            ErrorCode::BadRequest,
            Some("12345"),
        );
    }

    let long_qr = format!("{DEMO_QR}|{}", "x".repeat(1024));
    for (name, qr) in [
        ("11-digit ID", "00109501234||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021".to_owned()),
        ("13-digit ID", "0010950123456||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021".to_owned()),
        ("letters in the ID", "00109501234X||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021".to_owned()),
        (
            "full-width digits in the ID",
            "００１０９５０１２３４５||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021".to_owned(),
        ),
        ("six fields", "001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội".to_owned()),
        ("one field", "001095012345".to_owned()),
        ("empty", String::new()),
        ("newline in the ID", "001095\n012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021".to_owned()),
        ("NUL in the ID", "001095\u{0}12345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021".to_owned()),
        ("over 1024", long_qr),
    ] {
        expect_error(
            &d,
            &format!("cccd_qr: {name}"),
            json!({"key": {"cccd_qr": qr}}).to_string().as_bytes(),
            ErrorCode::BadRequest,
            Some("095012345"),
        );
    }

    // data_groups with bad names or too many.
    let seventeen: Vec<String> = (1..=17).map(|i| format!("DG{}", (i % 16) + 1)).collect();
    for groups in [
        json!(["DG0"]),
        json!(["DG17"]),
        json!(["EF.COM"]),
        json!(["DG1\n"]),
        json!([""]),
        json!(["DG01"]),
        json!(["DG+1"]),
        json!(["Dg1"]),
        json!(["ＤＧ１"]),
        json!(seventeen),
    ] {
        let body = json!({"reader": CCCD_READER, "key": {"can": "012345"}, "data_groups": groups});
        expect_error(&d, &format!("data_groups {groups}"), body.to_string().as_bytes(), ErrorCode::BadRequest, None);
    }

    // Unknown readers: 404 reader_not_found, before the key is tried.
    let long_name = "R".repeat(10_000);
    for reader in [
        "nope",
        "",
        "mrtdd simulated reader (demo cccd) 00 00",
        "mrtdd Simulated Reader (demo CCCD) 00 00 ",
        "mrtdd Simulated Reader (demo CCCD) 00 00\n",
        "mrtdd Simulated Reader (demo CCCD) 00 00\r\nX-Injected: 1",
        "mrtdd Simulated Reader (demo CCCD) 00 00\0",
        "mrtdd Simulated Reader (demo CCCD)",
        "mrtdd Simulated Reader (demo CCCD) 00 0\u{30a}",
        long_name.as_str(),
    ] {
        let body = json!({"reader": reader, "key": {"can": "012345"}});
        expect_error(&d, &format!("reader {reader:?}"), body.to_string().as_bytes(), ErrorCode::ReaderNotFound, None);
    }
    // A bad key on an unknown reader: the key is checked first (nothing reaches a reader either way).
    let body = json!({"reader": "nope", "key": {"can": "1"}});
    expect_error(&d, "bad key, unknown reader", body.to_string().as_bytes(), ErrorCode::BadRequest, None);

    nothing_else_happened(&d, &events);
    // The keys these cases broke do work when intact.
    d.read_ok(json!({"key": {"mrz": DEMO_MRZ}}));
    d.read_ok(json!({"reader": PASSPORT_READER, "key": {"mrz": SPECIMEN_MRZ}}));
    d.read_ok(json!({"key": {"cccd_qr": DEMO_QR}}));
    d.read_ok(json!({"key": {"mrz": DEMO_MRZ.replace('\n', "\r\n")}}));
}

#[test]
fn wrong_methods_and_unknown_paths_are_json_404s() {
    let d = Daemon::start("paths", "");
    let events = Events::subscribe(&d);
    let routes = [("/v1/health", "GET"), ("/v1/readers", "GET"), ("/v1/read", "POST"), ("/v1/events", "GET")];
    for (path, allowed) in routes {
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get"] {
            if method == allowed {
                continue;
            }
            let (status, body) = d.request(method, path, Some("application/json"), br#"{"key":{"can":"012345"}}"#);
            let e: ErrorBody = serde_json::from_slice(&body)
                .unwrap_or_else(|_| panic!("{method} {path}: {status} {}", String::from_utf8_lossy(&body)));
            assert_eq!((status, e.error.code), (404, ErrorCode::NotFound), "{method} {path}");
        }
    }
    let long_path = format!("/v1/{}", "a".repeat(8000));
    for path in [
        "/",
        "/v1",
        "/v1/",
        "/v2/health",
        "/v1/health/",
        "/V1/HEALTH",
        "//v1/health",
        "/v1/read/../health",
        "/v1/%72eaders",
        "/v1/health%00",
        "/v1/read/1",
        "/v1/reads",
        "*",
        long_path.as_str(),
    ] {
        for method in ["GET", "POST"] {
            let (status, body) = d.request(method, path, Some("application/json"), b"{}");
            let e: ErrorBody = serde_json::from_slice(&body)
                .unwrap_or_else(|_| panic!("{method} {path}: {status} {}", String::from_utf8_lossy(&body)));
            assert_eq!((status, e.error.code), (404, ErrorCode::NotFound), "{method} {path}");
        }
    }
    // HEAD is GET without the body (RFC 9110 §9.3.2); a query string is ignored.
    let (status, _) = d.request("HEAD", "/v1/health", None, b"");
    assert_eq!(status, 200);
    let h: Health = d.get("/v1/health?verbose=1&x=%00");
    assert_eq!(h.status, "ok");
    nothing_else_happened(&d, &events);
}
