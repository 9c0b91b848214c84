//! The real daemon binary (`mrtdd --simulate`) driven over its Unix socket:
//! the API contract end to end — health, readers, every key form, errors,
//! one read per reader, events, a slow subscriber, shutdown — and a check that
//! the daemon's log holds none of the demo documents' personal data.
#![cfg(feature = "software-chip")]

use mrtdd::api::{ErrorBody, ErrorCode, Event, Health, ReadResponse, Readers};
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "support/http.rs"]
mod http;

use http::{EventStream, Spawned as Daemon, parse_read, test_log};

const CCCD_READER: &str = "mrtdd Simulated Reader (demo CCCD) 00 00";
const PASSPORT_READER: &str = "mrtdd Simulated Reader (ICAO specimen passport) 00 01";
const DEMO_QR: &str = "001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021";

/// The daemon, killed on drop; its stderr goes to a log file.
impl Daemon {
    fn start(tag: &str, extra_config: &str) -> Self {
        let log = test_log(&format!("daemon_simulated-{tag}.log"));
        Self::spawn("daemon", tag, &format!("simulate = true\nlog_level = \"debug\"\n{extra_config}"), log)
    }

    fn request(&self, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> (u16, Vec<u8>) {
        request(&self.socket, method, path, content_type, body)
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.request("GET", path, None, b"");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }

    fn read(&self, body: serde_json::Value) -> Result<ReadResponse, (u16, ErrorBody)> {
        parse_read(self.request("POST", "/v1/read", Some("application/json"), body.to_string().as_bytes()))
    }

    fn stop(mut self) -> String {
        let status = self.stop_within_10s();
        assert!(status.success(), "mrtdd exited with {status}");
        assert!(!self.socket.exists(), "the socket file is removed at shutdown");
        std::fs::read_to_string(&self.log).unwrap()
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns the status and body.
fn request(socket: &Path, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> (u16, Vec<u8>) {
    let (status, _, body) = http::request(socket, method, path, content_type, body);
    (status, body)
}

/// An SSE subscriber on its own connection.
struct Subscriber(EventStream);

impl Subscriber {
    fn connect(socket: &Path, tag: &str) -> Self {
        let capture = test_log(&format!("daemon_simulated-{tag}.events"));
        Self(EventStream::connect(socket, Duration::from_secs(10), &capture).0)
    }

    /// The next event (chunked framing lines and keep-alive comments skipped).
    fn next(&mut self) -> Event {
        let (kind, data) = self.0.next_raw();
        Event::from_sse(&kind, &data).unwrap_or_else(|| panic!("bad event {kind} {data}"))
    }
}

fn can() -> serde_json::Value {
    serde_json::json!({"reader": CCCD_READER, "key": {"can": "012345"}})
}

#[test]
fn health_readers_and_a_verified_read_with_every_key_form() {
    let d = Daemon::start("keys", "");
    let h: Health = d.get("/v1/health");
    assert_eq!((h.status.as_str(), h.pcsc.as_str(), h.simulated, h.readers), ("ok", "ok", true, 2));
    let r: Readers = d.get("/v1/readers");
    assert_eq!(r.readers.len(), 2);
    assert!(r.readers.iter().all(|r| r.card_present && !r.busy && r.atr.is_some()));

    let demo = mrtdd::chip::Document::cccd_demo().unwrap();
    let portrait = {
        let dg2 = demo.file(0x0102).unwrap();
        mrtdd::protocol::lds::dg2::parse(dg2).unwrap().unwrap()
    };
    let keys = [
        (serde_json::json!({"can": "012345"}), "pace", "can"),
        (serde_json::json!({"cccd_qr": DEMO_QR}), "pace", "can"),
        (serde_json::json!({"mrz": demo.mrz()}), "pace", "mrz"),
        (
            serde_json::json!({"document_number": "095012345", "date_of_birth": "950312", "date_of_expiry": "350312"}),
            "pace",
            "mrz",
        ),
    ];
    for (key, method, used) in keys {
        // No reader named: the simulator's default (the demo CCCD).
        let read = d.read(serde_json::json!({ "key": key })).unwrap_or_else(|e| panic!("{key}: {e:?}"));
        assert_eq!((read.access.method.as_str(), read.access.key.as_str()), (method, used), "{key}");
        assert_eq!(read.reader, CCCD_READER);
        let doc = read.document.as_ref().unwrap();
        assert_eq!(
            (doc.document_type.as_str(), doc.issuing_state.as_str(), doc.document_number.as_str()),
            ("ID", "VNM", "095012345")
        );
        assert_eq!((doc.surname.as_str(), doc.given_names.as_str()), ("NGUYEN", "VAN AN"));
        assert_eq!(
            (doc.date_of_birth.as_str(), doc.date_of_expiry.as_str(), doc.sex.as_str()),
            ("1995-03-12", "2035-03-12", "M")
        );
        let cccd = read.cccd.as_ref().unwrap();
        assert_eq!(cccd.id_number.as_deref(), Some("001095012345"));
        assert_eq!(cccd.full_name.as_deref(), Some("Nguyễn Văn An"));
        assert_eq!(cccd.spouse_name, None);
        let p = read.portrait.as_ref().unwrap();
        assert_eq!(p.mime_type, "image/jpeg");
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(&p.data).unwrap();
        assert_eq!(bytes, *portrait.image, "the portrait is the chip's bytes, not re-encoded");
        assert_eq!((p.width, p.height), (portrait.width, portrait.height));
        for name in ["EF.CardAccess", "EF.COM", "EF.SOD", "DG1", "DG2", "DG13", "DG14", "DG15"] {
            assert!(read.files.contains_key(name), "{name}");
        }
        assert!(read.verification.data_groups.values().all(|v| v == "valid"));
        assert_ne!(read.verification.status, "failed");
        assert!(read.stats.apdus > 10 && read.stats.bytes_read > 9_000);
    }
    let passport = d.read(serde_json::json!({
        "reader": PASSPORT_READER,
        "key": {"document_number": "L898902C3", "date_of_birth": "740812", "date_of_expiry": "120415"}
    }));
    let passport = passport.unwrap();
    assert_eq!(passport.access.method, "bac");
    assert_eq!(passport.document.as_ref().unwrap().surname, "ERIKSSON");
    assert!(passport.cccd.is_none());
    d.stop();
}

#[test]
fn every_error_code_this_backend_can_produce() {
    let d = Daemon::start("errors", "max_request_bytes = 2048\n");
    let expect = |r: Result<ReadResponse, (u16, ErrorBody)>, code: ErrorCode| {
        let (status, body) = r.expect_err("an error");
        assert_eq!((status, body.error.code), (code.http_status(), code), "{}", body.error.message);
        assert!(!body.error.message.is_empty());
    };
    expect(d.read(serde_json::json!({"key": {"can": "999999"}})), ErrorCode::WrongKey);
    expect(d.read(serde_json::json!({"key": {"can": "12345"}})), ErrorCode::BadRequest);
    expect(d.read(serde_json::json!({"key": {"can": "012345", "mrz": "x"}})), ErrorCode::BadRequest);
    expect(d.read(serde_json::json!({"key": {"pin": "1234"}})), ErrorCode::BadRequest);
    expect(d.read(serde_json::json!({"key": {"can": "012345"}, "data_groups": ["DG99"]})), ErrorCode::BadRequest);
    expect(d.read(serde_json::json!({"reader": "nope", "key": {"can": "012345"}})), ErrorCode::ReaderNotFound);
    // A passport opened with a CAN: no PACE on it.
    expect(
        d.read(serde_json::json!({"reader": PASSPORT_READER, "key": {"can": "012345"}})),
        ErrorCode::UnsupportedDocument,
    );
    // Bad bodies.
    let (status, body) = d.request("POST", "/v1/read", Some("application/json"), b"{not json");
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let (status, _) = d.request("POST", "/v1/read", Some("text/plain"), br#"{"key":{"can":"012345"}}"#);
    assert_eq!(status, 400);
    let (status, body) = d.request("POST", "/v1/read", Some("application/json"), &vec![b' '; 4096]);
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(e.error.code, ErrorCode::PayloadTooLarge);
    let (status, body) = d.request("GET", "/v1/nothing", None, b"");
    assert_eq!(status, 404);
    assert!(serde_json::from_slice::<ErrorBody>(&body).is_ok());
    let (status, _) = d.request("DELETE", "/v1/read", None, b"");
    assert!(status == 404 || status == 405);
    // The daemon is still healthy after all of it.
    let h: Health = d.get("/v1/health");
    assert_eq!(h.status, "ok");
    d.read(can()).unwrap();
    d.stop();
}

#[test]
fn one_read_per_reader_and_parallel_readers_and_events() {
    let d = Daemon::start("busy", "");
    let mut sub = Subscriber::connect(&d.socket, "busy");
    // A slow subscriber that never reads: reads must not stall.
    let stalled = UnixStream::connect(&d.socket).unwrap();
    let mut stalled_w = stalled.try_clone().unwrap();
    stalled_w.write_all(b"GET /v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();

    let socket = d.socket.clone();
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let socket = socket.clone();
            std::thread::spawn(move || {
                let reader = if i % 2 == 0 { CCCD_READER } else { PASSPORT_READER };
                let key = if i % 2 == 0 {
                    serde_json::json!({"can": "012345"})
                } else {
                    serde_json::json!({"document_number": "L898902C3", "date_of_birth": "740812", "date_of_expiry": "120415"})
                };
                let body = serde_json::json!({"reader": reader, "key": key}).to_string();
                request(&socket, "POST", "/v1/read", Some("application/json"), body.as_bytes()).0
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    assert!(statuses.iter().filter(|s| **s == 200).count() >= 2, "both readers served: {statuses:?}");
    assert!(statuses.contains(&409), "concurrent reads on one reader: busy: {statuses:?}");

    // Another read now works; the subscriber sees started → progress → finished for it.
    let read = d.read(can()).unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match sub.next() {
            Event::ReadFinished { read_id, status } if read_id == read.read_id => {
                assert_eq!(status, read.verification.status);
                seen.push("finished");
                break;
            }
            Event::ReadStarted { read_id, reader } if read_id == read.read_id => {
                assert_eq!(reader, CCCD_READER);
                seen.push("started");
            }
            Event::ReadProgress { read_id, file, bytes, total } if read_id == read.read_id => {
                assert!(bytes <= total && !file.is_empty());
                if seen.last() != Some(&"progress") {
                    seen.push("progress");
                }
            }
            _ => {}
        }
    }
    assert_eq!(seen, ["started", "progress", "finished"]);
    drop(stalled);
    let log = d.stop();
    assert!(log.contains("read finished"));
}

#[test]
fn many_clients_and_a_clean_shutdown_with_no_personal_data_in_the_log() {
    let d = Daemon::start("load", "");
    let socket = d.socket.clone();
    let threads: Vec<_> = (0..20)
        .map(|i| {
            let socket = socket.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    let (status, _) = if i % 2 == 0 {
                        request(&socket, "GET", "/v1/health", None, b"")
                    } else {
                        request(&socket, "GET", "/v1/readers", None, b"")
                    };
                    assert_eq!(status, 200);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let read = d.read(can()).unwrap();
    let qr = d.read(serde_json::json!({"key": {"cccd_qr": DEMO_QR}})).unwrap();
    assert_eq!(read.cccd.as_ref().unwrap().id_number, qr.cccd.as_ref().unwrap().id_number);
    let log = d.stop();
    assert!(log.contains("SIGTERM") && log.contains("mrtdd stopped"), "{log}");
    // Names, numbers, dates, the CAN and DG13 text of the test documents never reach the log.
    for secret in [
        "Nguyễn",
        "NGUYEN",
        "012345",
        "095012345",
        "001095012345",
        "950312",
        "350312",
        "1995-03-12",
        "2035-03-12",
        "Kinh",
        "Không",
        "Hà Nội",
        "ERIKSSON",
        "L898902C3",
        "740812",
    ] {
        assert!(!log.contains(secret), "the log contains {secret:?}");
    }
}

/// `extended_length = "auto"` (the default): the first read of a card spends one
/// READ BINARY on EF.ATR/INFO (the demo CCCD has none: short APDUs), which the
/// daemon remembers for that reader and ATR, so later reads do not repeat it;
/// `"off"` never spends it.
#[test]
fn extended_length_detection_is_remembered_per_card() {
    let d = Daemon::start("extended-auto", "");
    let apdus = |d: &Daemon| d.read(can()).expect("the demo CCCD reads").stats.apdus;
    let first = apdus(&d);
    let second = apdus(&d);
    let third = apdus(&d);
    assert_eq!(second + 1, first, "the EF.ATR/INFO read happens once");
    assert_eq!(third, second);
    d.stop();
    let off = Daemon::start("extended-off", "extended_length = \"off\"\n");
    assert_eq!(apdus(&off), second, "off: no EF.ATR/INFO read");
    off.stop();
}
