//! The real daemon (`mrtdd --simulate`) for the fault and access-control
//! tests (tests/daemon_faults.rs, tests/daemon_access.rs): start it with a
//! configuration, talk HTTP over its socket, count its file descriptors and
//! threads, stop it with SIGTERM.
//!
//! Its standard error goes to `target/test-logs/<test file>-<tag>.log`, kept
//! after the test for scripts/scan-pii.sh (the whole-suite personal-data scan).
#![allow(dead_code)]

use mrtdd::api::{ErrorBody, Event, ReadResponse};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

#[path = "http.rs"]
mod http;

pub use http::parse_read;
use http::sse_line;

pub const CCCD_READER: &str = "mrtdd Simulated Reader (demo CCCD) 00 00";
pub const PASSPORT_READER: &str = "mrtdd Simulated Reader (ICAO specimen passport) 00 01";

/// `target/test-logs/` (created).
pub fn test_logs() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-logs");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Where the daemon's standard error goes.
pub enum Stderr {
    /// `target/test-logs/<file>-<tag>.log`.
    LogFile,
    /// `/dev/full`: every write fails with ENOSPC.
    DevFull,
    /// A pipe whose reading end is closed: every write fails with EPIPE.
    ClosedPipe,
}

/// A running `mrtdd`, killed on drop if the test did not stop it.
pub struct Daemon {
    pub child: Child,
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub log: Option<PathBuf>,
}

impl Daemon {
    /// Starts `mrtdd --config` with `simulate = true`, the socket in a fresh
    /// directory and `extra` appended to the configuration.
    pub fn start(file: &str, tag: &str, extra: &str) -> Self {
        Self::start_with(file, tag, extra, Stderr::LogFile, |_| {})
    }

    /// As [`start`](Self::start), run as `uid`/`gid` (the caller is root): a
    /// copy of the binary in the daemon's directory (the build tree may not be
    /// reachable by that user) and a socket directory it owns.
    pub fn start_as(file: &str, tag: &str, extra: &str, uid: u32, gid: u32) -> Self {
        Self::start_inner(file, tag, extra, Stderr::LogFile, Some((uid, gid)), |_| {})
    }

    /// As [`start`](Self::start), with stderr chosen and a hook on the command.
    pub fn start_with(file: &str, tag: &str, extra: &str, stderr: Stderr, hook: impl FnOnce(&mut Command)) -> Self {
        Self::start_inner(file, tag, extra, stderr, None, hook)
    }

    fn start_inner(
        file: &str,
        tag: &str,
        extra: &str,
        stderr: Stderr,
        user: Option<(u32, u32)>,
        hook: impl FnOnce(&mut Command),
    ) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("mrtdd-{file}-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("run")).unwrap();
        // Readable and traversable by everyone, whatever the umask (other-user tests).
        for d in [&dir, &dir.join("run")] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let socket = dir.join("run/mrtdd.sock");
        let config = dir.join("mrtdd.toml");
        std::fs::write(&config, format!("socket = {socket:?}\nsimulate = true\nlog_level = \"debug\"\n{extra}"))
            .unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut program = PathBuf::from(env!("CARGO_BIN_EXE_mrtdd"));
        if let Some((uid, _)) = user {
            let copy = dir.join("mrtdd");
            std::fs::copy(&program, &copy).unwrap();
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
            program = copy;
            nix::unistd::chown(&dir.join("run"), Some(nix::unistd::Uid::from_raw(uid)), None).unwrap();
        }
        let mut command = Command::new(&program);
        if let Some((uid, gid)) = user {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
        }
        command.arg("--config").arg(&config).stdout(Stdio::null()).stdin(Stdio::null());
        let mut log = None;
        let mut pipe_reader = None;
        match stderr {
            Stderr::LogFile => {
                let path = test_logs().join(format!("{file}-{tag}.log"));
                command.stderr(std::fs::File::create(&path).unwrap());
                log = Some(path);
            }
            Stderr::DevFull => {
                let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
                command.stderr(full()).stdout(full());
            }
            Stderr::ClosedPipe => {
                let (reader, writer) = std::io::pipe().unwrap();
                command.stdout(writer.try_clone().unwrap()).stderr(writer);
                pipe_reader = Some(reader);
            }
        }
        hook(&mut command);
        let child = command.spawn().expect("start mrtdd");
        // The reading end closes now: from here on the daemon's stderr is a broken pipe.
        drop(pipe_reader);
        drop(command);
        let d = Self { child, dir, socket, log };
        d.wait_for_socket();
        d
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the socket answers.
    pub fn wait_for_socket(&self) {
        let started = Instant::now();
        while UnixStream::connect(&self.socket).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "mrtdd did not create its socket");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        request(&self.socket, method, path, body)
    }

    pub fn read(&self, body: serde_json::Value) -> Result<ReadResponse, (u16, ErrorBody)> {
        parse_read(self.request("POST", "/v1/read", body.to_string().as_bytes()))
    }

    /// Open file descriptors (`/proc/<pid>/fd`).
    pub fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).unwrap().count()
    }

    /// Threads (`/proc/<pid>/task`).
    pub fn threads(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/task", self.pid())).unwrap().count()
    }

    /// What each descriptor points at (`socket:[..]`, `pipe:[..]`, paths...).
    pub fn fd_targets(&self) -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        out.sort();
        out
    }

    /// (fds, threads) once the daemon is idle: waits until both equal `baseline`
    /// (idle blocking threads of finished reads exit after tokio's 10 s keep-alive),
    /// or returns what it last saw after 20 s.
    pub fn settle_to(&self, baseline: (usize, usize)) -> (usize, usize) {
        let started = Instant::now();
        loop {
            let now = (self.fds(), self.threads());
            if now == baseline || started.elapsed() > Duration::from_secs(20) {
                return now;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The idle (fds, threads): sampled until stable for a second.
    pub fn idle_counts(&self) -> (usize, usize) {
        let mut last = (self.fds(), self.threads());
        let mut stable_since = Instant::now();
        let started = Instant::now();
        while stable_since.elapsed() < Duration::from_secs(1) && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(100));
            let now = (self.fds(), self.threads());
            if now != last {
                last = now;
                stable_since = Instant::now();
            }
        }
        last
    }

    pub fn sigterm(&self) {
        let status = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit (at most `limit`).
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < limit, "mrtdd did not exit within {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, exit status 0 within 10 s, the socket removed; returns the log ("" without one).
    pub fn stop(mut self) -> String {
        self.sigterm();
        let status = self.wait_exit(Duration::from_secs(10));
        assert!(status.success(), "mrtdd exited with {status}");
        assert!(!self.socket.exists(), "the socket file is removed at shutdown");
        self.log_text()
    }

    pub fn log_text(&self) -> String {
        self.log.as_ref().map(|p| std::fs::read_to_string(p).unwrap()).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One HTTP/1.1 request with `Connection: close` on a new connection.
pub fn request(socket: &Path, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    exchange(&mut s, method, path, &[], body, true)
}

/// Writes one request on `s` and reads its response (by Content-Length or
/// chunked framing, so the connection can stay open when `close` is false).
pub fn exchange(
    s: &mut (impl Read + Write),
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    close: bool,
) -> (u16, Vec<u8>) {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n", body.len());
    if close {
        head.push_str("Connection: close\r\n");
    }
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    read_response(s)
}

fn read_response(s: &mut impl Read) -> (u16, Vec<u8>) {
    let mut r = BufReader::new(s);
    let mut status_line = String::new();
    r.read_line(&mut status_line).unwrap();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("no HTTP response: {status_line:?}"))
        .parse()
        .unwrap();
    let (mut length, mut chunked) = (None, false);
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = Some(v.trim().parse::<usize>().unwrap());
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        r.read_exact(&mut body).unwrap();
    } else {
        r.read_to_end(&mut body).unwrap();
    }
    (status, body)
}

/// An SSE subscriber on its own connection; every line it receives is also
/// written to `target/test-logs/<file>-<tag>.events` for the personal-data scan.
pub struct Subscriber {
    lines: BufReader<UnixStream>,
    capture: std::fs::File,
}

impl Subscriber {
    pub fn connect(socket: &Path, file: &str, tag: &str) -> Self {
        let mut s = UnixStream::connect(socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(b"GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n").unwrap();
        let capture = std::fs::File::create(test_logs().join(format!("{file}-{tag}.events"))).unwrap();
        let mut me = Self { lines: BufReader::new(s), capture };
        loop {
            if me.line() == "\r\n" {
                break;
            }
        }
        me
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        assert!(self.lines.read_line(&mut line).unwrap() > 0, "event stream closed");
        self.capture.write_all(line.as_bytes()).unwrap();
        line
    }

    /// The next event (chunk framing lines and keep-alive comments skipped).
    pub fn next(&mut self) -> Event {
        let (mut kind, mut data) = (String::new(), String::new());
        loop {
            let line = self.line();
            if sse_line(&line, &mut kind, &mut data) {
                return Event::from_sse(&kind, &data).unwrap_or_else(|| panic!("bad event {kind} {data}"));
            }
        }
    }
}

pub fn can_read() -> serde_json::Value {
    serde_json::json!({"reader": CCCD_READER, "key": {"can": "012345"}})
}

pub fn passport_read() -> serde_json::Value {
    serde_json::json!({
        "reader": PASSPORT_READER,
        "key": {"document_number": "L898902C3", "date_of_birth": "740812", "date_of_expiry": "120415"}
    })
}
