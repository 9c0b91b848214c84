//! What the end-to-end tests through pcscd share (tests/e2e_faults.rs,
//! tests/e2e_daemon_pcscd.rs, tests/e2e_monitor.rs): progress lines on
//! stderr, the personal-data check of a log, an SSE subscriber on a thread,
//! and the software chip placed in a vpcd reader.
#![allow(dead_code)]

use mrtdd::api::Event;
use mrtdd::chip::{SoftwareChip, vpcd};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A progress line, written to the stderr handle (not with eprintln!, so the harness does not capture it).
pub fn say(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// None of `secrets` in `text` (each line's leading timestamp left out: its
/// microseconds could spell a date or a CAN by chance).
pub fn assert_no_personal_data(text: &str, secrets: &[&str], what: &str) {
    for line in text.lines() {
        let rest = match line.split_once(' ') {
            Some((first, rest)) if first.starts_with("20") && first.contains('T') => rest,
            _ => line,
        };
        for secret in secrets {
            assert!(!rest.contains(secret), "{what} contains {secret:?}: {line}");
        }
    }
}

/// Subscribes to `GET /v1/events`; a thread parses the stream into the
/// returned channel (it ends when the daemon closes the stream) and appends
/// each event to `capture`.
pub fn subscribe(socket: &Path, capture: PathBuf) -> mpsc::Receiver<Event> {
    let mut s = UnixStream::connect(socket).unwrap();
    s.write_all(b"GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n").unwrap();
    let mut lines = BufReader::new(s);
    let mut line = String::new();
    loop {
        line.clear();
        assert!(lines.read_line(&mut line).unwrap() > 0, "event stream closed before its head ended");
        if line == "\r\n" {
            break;
        }
    }
    let mut file = std::fs::File::create(capture).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut kind, mut data) = (String::new(), String::new());
        let mut line = String::new();
        loop {
            line.clear();
            match lines.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let l = line.trim_end_matches(['\r', '\n']);
            if let Some(k) = l.strip_prefix("event:") {
                kind = k.trim().to_owned();
            } else if let Some(d) = l.strip_prefix("data:") {
                data = d.trim().to_owned();
            } else if l.is_empty() && !kind.is_empty() {
                let _ = writeln!(file, "event: {kind}\ndata: {data}\n");
                let event = Event::from_sse(&kind, &data).unwrap_or_else(|| panic!("bad event {kind} {data}"));
                kind.clear();
                if tx.send(event).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// Events up to and including the first matching `want`; panics after `timeout`.
pub fn until(rx: &mpsc::Receiver<Event>, timeout: Duration, want: impl Fn(&Event) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(e) => {
                let done = want(&e);
                got.push(e);
                if done {
                    return got;
                }
            }
            Err(e) => panic!("no matching event within {timeout:?} ({e}); got {got:?}"),
        }
    }
}

/// The software chip served to vpcd at `addr` (a reader's card side) until
/// taken away or dropped.
pub struct VpcdCard {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<std::io::Result<SoftwareChip>>>,
}

impl VpcdCard {
    /// Puts `chip` into the reader (no waiting).
    pub fn place(chip: SoftwareChip, addr: &'static str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || vpcd::serve(chip, addr, flag));
        Self { stop, thread: Some(thread) }
    }

    /// Takes the card away; returns the chip (its bridge thread has ended).
    pub fn take(&mut self) -> SoftwareChip {
        self.stop.store(true, Ordering::SeqCst);
        let thread = self.thread.take().unwrap_or_else(|| panic!("card thread already taken"));
        thread.join().unwrap_or_else(|_| panic!("card thread panicked")).unwrap_or_else(|e| panic!("vpcd bridge: {e}"))
    }

    /// Stops the bridge if it still runs (its outcome ignored); true if it did.
    pub fn stop(&mut self) -> bool {
        self.stop.store(true, Ordering::SeqCst);
        match self.thread.take() {
            Some(t) => {
                let _ = t.join();
                true
            }
            None => false,
        }
    }
}

impl Drop for VpcdCard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Stops an emulator process: SIGTERM, then SIGKILL if it is still running
/// after 3 s; reaps it.
pub fn stop_gently(mut child: std::process::Child) {
    let _ = std::process::Command::new("kill").arg(child.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// A temporary directory `<tmp>/mrtdd-<prefix>-<pid>-<tag>` holding a
/// document's files, named by FID (`011E.bin`...); removed on drop.
pub struct FileDir(pub PathBuf);

impl FileDir {
    pub fn new(prefix: &str, tag: &str, files: &[(u16, Vec<u8>)]) -> Self {
        let dir = std::env::temp_dir().join(format!("mrtdd-{prefix}-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        for (fid, data) in files {
            let path = dir.join(format!("{fid:04X}.bin"));
            std::fs::write(&path, data).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        }
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for FileDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Debian's interpreter: the first python3 on PATH may lack Debian's modules.
pub const PYTHON: &str = "/usr/bin/python3";

/// Starts tests/vicc/launch_vicc.py (Debian's vicc emulating the files in
/// `files` on vpcd's `port`); returns the process and a channel that gets the
/// first line it prints (see [`wait_ready`]).
pub fn launch_vicc(files: &Path, port: u16, mrz_info: Option<&str>) -> (std::process::Child, mpsc::Receiver<String>) {
    use std::process::{Command, Stdio};
    let launcher = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vicc/launch_vicc.py");
    let mut command = Command::new(PYTHON);
    command
        .arg(launcher)
        .arg("--files")
        .arg(files)
        .arg("--port")
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(info) = mrz_info {
        command.arg("--mrz-info").arg(info);
    }
    let mut child = command.spawn().unwrap_or_else(|e| panic!("starting {PYTHON} {launcher}: {e}"));
    // The "ready" line is read on a thread: reads block.
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    (child, rx)
}

/// Panics unless the launcher reports `ready` within `timeout`.
pub fn wait_ready(ready: mpsc::Receiver<String>, timeout: Duration) {
    match ready.recv_timeout(timeout) {
        Ok(line) if line.trim() == "ready" => {}
        other => panic!("the vicc launcher did not report ready: {other:?}"),
    }
}
