//! The daemon (`mrtdd --simulate`) spawned with a configuration and driven
//! with plain HTTP/1.1 over its Unix socket, for the API tests
//! (tests/daemon_simulated.rs, tests/daemon_bad_requests.rs,
//! tests/openapi_served.rs, tests/client_examples.rs): start it, send one
//! request per connection, parse and de-chunk a response, read an SSE stream.
//!
//! Test-log convention: the daemon's standard error and any captured event
//! text go to `target/test-logs/<test file>-<tag>...`, kept after the test for
//! scripts/scan-pii.sh (the whole-suite personal-data scan).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// `target/test-logs/<name>` (the directory created).
pub fn test_log(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-logs");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A running `mrtdd --config`, killed on drop (its directory removed);
/// with `terminate_on_drop`, given SIGTERM and up to 10 s first.
///
/// The test files add their own methods (`impl Daemon` with
/// `use http::Spawned as Daemon`).
pub struct Spawned {
    pub child: Child,
    pub dir: PathBuf,
    pub socket: PathBuf,
    /// The daemon's standard error.
    pub log: PathBuf,
    pub tag: String,
    pub terminate_on_drop: bool,
}

impl Spawned {
    /// Starts `mrtdd` in a fresh `<tmp>/mrtdd-<prefix>-<pid>-<tag>` with the
    /// configuration `socket = "<dir>/mrtdd.sock"` followed by `config`, its
    /// standard error to `log`; waits (at most 20 s) until the socket answers.
    pub fn spawn(prefix: &str, tag: &str, config: &str, log: PathBuf) -> Self {
        Self::spawn_with(prefix, tag, config, log, |_| {})
    }

    /// As [`spawn`](Self::spawn), with a hook on the command (arguments, stdin).
    /// Panics, with the log, if the daemon exits before its socket answers.
    pub fn spawn_with(prefix: &str, tag: &str, config: &str, log: PathBuf, hook: impl FnOnce(&mut Command)) -> Self {
        let dir = std::env::temp_dir().join(format!("mrtdd-{prefix}-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("mrtdd.sock");
        let config_file = dir.join("mrtdd.toml");
        std::fs::write(&config_file, format!("socket = {socket:?}\n{config}")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_mrtdd"));
        command.arg("--config").arg(&config_file).stdout(Stdio::null()).stderr(std::fs::File::create(&log).unwrap());
        hook(&mut command);
        let child = command.spawn().expect("start mrtdd");
        let mut me = Self { child, dir, socket, log, tag: tag.to_owned(), terminate_on_drop: false };
        let started = Instant::now();
        while UnixStream::connect(&me.socket).is_err() {
            if let Ok(Some(status)) = me.child.try_wait() {
                let log = std::fs::read_to_string(&me.log).unwrap_or_default();
                panic!("mrtdd exited at start-up with {status}: {log}");
            }
            assert!(started.elapsed() < Duration::from_secs(20), "mrtdd did not create its socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        me
    }

    /// `kill -TERM <pid>` (the outcome ignored).
    pub fn sigterm(&self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
    }

    /// SIGTERM, then the exit status; panics unless it exits within 10 s.
    pub fn stop_within_10s(&mut self) -> ExitStatus {
        self.sigterm();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "mrtdd did not stop within 10 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM and up to 10 s for the exit (for a `Drop`: never panics).
    pub fn terminate(&mut self) {
        self.sigterm();
        let started = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.terminate_on_drop {
            self.terminate();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The head of an HTTP/1.1 request with `Connection: close` (and a
/// `Content-Type` when given), up to and including the blank line.
pub fn request_head(method: &str, path: &str, content_type: Option<&str>, body_len: usize) -> String {
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {body_len}\r\n");
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// One HTTP/1.1 request with `Connection: close` on a new connection (30 s
/// read timeout); returns the status, the lower-cased head and the body.
pub fn request(
    socket: &Path,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    request_within(socket, Duration::from_secs(30), method, path, content_type, body)
}

/// As [`request`], with the read timeout given.
pub fn request_within(
    socket: &Path,
    read_timeout: Duration,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(read_timeout)).unwrap();
    s.write_all(request_head(method, path, content_type, body.len()).as_bytes()).unwrap();
    // The daemon may answer (413) and close before it has read a large body:
    // the answer is still there to read.
    match s.write_all(body) {
        Err(e) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) => {}
        other => other.unwrap(),
    }
    let mut raw = Vec::new();
    if let Err(e) = s.read_to_end(&mut raw) {
        assert!(e.kind() == ErrorKind::ConnectionReset && !raw.is_empty(), "{e}");
    }
    parse(&raw).expect("a complete HTTP response")
}

/// A JSON request (`Content-Type: application/json` when `body` is given),
/// 60 s read timeout; returns the status and the body.
pub fn request_json(socket: &Path, method: &str, path: &str, body: Option<&serde_json::Value>) -> (u16, Vec<u8>) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let content_type = (!body.is_empty()).then_some("application/json");
    let (status, _, body) =
        request_within(socket, Duration::from_secs(60), method, path, content_type, body.as_bytes());
    (status, body)
}

/// Status, lower-cased head and (de-chunked) body of a raw HTTP response.
pub fn parse(raw: &[u8]) -> Option<(u16, String, Vec<u8>)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Some((status, head, body))
}

/// The payload of a chunked body (stops at the last chunk or at the first
/// incomplete one).
pub fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let Ok(size) = usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16) else { break };
        if size == 0 || data.len() < eol + 2 + size + 2 {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
    out
}

/// `GET /v1/events` on its own connection: every line read after the
/// response head is also written to a capture file (the personal-data scan).
pub struct EventStream {
    lines: BufReader<UnixStream>,
    capture: std::fs::File,
}

impl EventStream {
    /// Connects, sends the request and reads the response head; returns the
    /// stream and the head's lines (status line first, blank line excluded).
    pub fn connect(socket: &Path, read_timeout: Duration, capture: &Path) -> (Self, Vec<String>) {
        let mut s = UnixStream::connect(socket).unwrap();
        s.set_read_timeout(Some(read_timeout)).unwrap();
        s.write_all(b"GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n").unwrap();
        let mut lines = BufReader::new(s);
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            lines.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            head.push(line);
        }
        let capture = std::fs::File::create(capture).unwrap();
        (Self { lines, capture }, head)
    }

    /// The next event as (type, data text); chunked framing lines and
    /// keep-alive comments skipped.
    pub fn next_raw(&mut self) -> (String, String) {
        let (mut kind, mut data) = (String::new(), String::new());
        let mut line = String::new();
        loop {
            line.clear();
            assert!(self.lines.read_line(&mut line).unwrap() > 0, "event stream closed");
            self.capture.write_all(line.as_bytes()).unwrap();
            if sse_line(&line, &mut kind, &mut data) {
                return (kind, data);
            }
        }
    }
}

/// One line of an SSE stream: keeps its `event:` or `data:` field; true at
/// the blank line that ends an event (chunk framing lines and keep-alive
/// comments are neither, and are passed over).
pub fn sse_line(line: &str, kind: &mut String, data: &mut String) -> bool {
    let l = line.trim_end_matches(['\r', '\n']);
    if let Some(k) = l.strip_prefix("event:") {
        *kind = k.trim().to_owned();
    } else if let Some(d) = l.strip_prefix("data:") {
        *data = d.trim().to_owned();
    } else {
        return l.is_empty() && !kind.is_empty();
    }
    false
}

/// A `POST /v1/read` answer: the response on 200, else the status and error body.
pub fn parse_read((status, bytes): (u16, Vec<u8>)) -> Result<mrtdd::api::ReadResponse, (u16, mrtdd::api::ErrorBody)> {
    if status == 200 {
        Ok(serde_json::from_slice(&bytes).unwrap())
    } else {
        Err((
            status,
            serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("{status}: {}", String::from_utf8_lossy(&bytes))),
        ))
    }
}
