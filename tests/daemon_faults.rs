//! Faults around the real daemon (`mrtdd --simulate`), issue 7: SIGTERM while
//! a read is in flight, the socket file deleted or replaced while running, and
//! logs that cannot be written (stderr on a full disk, stderr a closed pipe).
//!
//! In each case the daemon stays up (or stops cleanly when told to), the next
//! read works, and its file descriptors (`/proc/<pid>/fd`) and threads
//! (`/proc/<pid>/task`) are back to their idle count afterwards. Figures are
//! printed (`--nocapture`) for docs/reliability.md.
#![cfg(feature = "software-chip")]

#[path = "support/daemon.rs"]
mod daemon;

use daemon::{Daemon, Stderr, Subscriber, can_read, exchange, passport_read};
use mrtdd::api::{ErrorCode, Event};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::time::{Duration, Instant};

const FILE: &str = "daemon_faults";

/// Personal data of the two simulated documents that must never reach the log.
const SECRETS: &[&str] = &[
    "Nguyễn",
    "NGUYEN",
    "012345",
    "095012345",
    "001095012345",
    "950312",
    "1995-03-12",
    "ERIKSSON",
    "L898902C3",
    "740812",
];

fn assert_no_pii(log: &str) {
    for s in SECRETS {
        assert!(!log.contains(s), "the log holds {s:?}");
    }
}

/// Waits until `check` holds (at most 10 s).
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < Duration::from_secs(10), "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn is_socket(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// A socket file that accepts connections (bind creates the file a moment before listen).
fn serving(path: &Path) -> bool {
    is_socket(path) && UnixStream::connect(path).is_ok()
}

/// The daemon writes no file: every descriptor it holds is a socket, a pipe,
/// an anonymous inode (epoll, eventfd, inotify), /dev/null or /dev/full, or its
/// log; its directory holds only the configuration and the socket.
fn assert_writes_no_files(d: &Daemon) {
    for target in d.fd_targets() {
        let expected = target.starts_with("socket:")
            || target.starts_with("pipe:")
            || target.starts_with("anon_inode:")
            || target == "/dev/null"
            || target == "/dev/full"
            || d.log.as_ref().is_some_and(|l| Path::new(&target) == l);
        assert!(expected, "mrtdd holds an unexpected file open: {target}");
    }
    let mut files = Vec::new();
    for entry in walk(&d.dir) {
        files.push(entry.strip_prefix(&d.dir).unwrap().to_string_lossy().into_owned());
    }
    files.sort();
    assert_eq!(files, ["mrtdd.toml", "run/mrtdd.sock"], "files in the daemon's directory");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// `socket` of `/v1/health`, asked on an open connection.
fn health_socket(conn: &mut UnixStream) -> Option<String> {
    let (status, body) = exchange(conn, "GET", "/v1/health", &[], b"", false);
    assert_eq!(status, 200);
    serde_json::from_slice::<mrtdd::api::Health>(&body).unwrap().socket
}

/// Counts before the fault (idle, just started), after it and a successful
/// read (once idle: a finished read's blocking thread exits after tokio's 10 s
/// keep-alive), asserted equal.
fn assert_flat(tag: &str, d: &Daemon, before: (usize, usize)) {
    let after = d.settle_to(before);
    println!("{tag}: fds {} -> {}, threads {} -> {}", before.0, after.0, before.1, after.1);
    assert_eq!(after, before, "{tag}: (fds, threads) before the fault and after it, once idle");
}

#[test]
fn sigterm_mid_read_waits_for_the_grace_period_then_cancels() {
    // ~40 ms per APDU: the CAN read takes several seconds, the grace period 300 ms.
    let mut d = Daemon::start(FILE, "sigterm-cancel", "simulate_apdu_delay_ms = 40\nshutdown_grace_ms = 300\n");
    let mut events = Subscriber::connect(&d.socket, FILE, "sigterm-cancel");
    let socket = d.socket.clone();
    let client = std::thread::spawn(move || {
        daemon::parse_read(daemon::request(&socket, "POST", "/v1/read", can_read().to_string().as_bytes()))
    });
    // In flight: the read has started and is transferring files.
    loop {
        if let Event::ReadProgress { .. } = events.next() {
            break;
        }
    }
    let signalled = Instant::now();
    d.sigterm();
    let outcome = client.join().unwrap();
    let answered = signalled.elapsed();
    let (status, body) = outcome.expect_err("a read cancelled by shutdown");
    assert_eq!((status, body.error.code), (503, ErrorCode::ShuttingDown), "{}", body.error.message);
    // The subscriber sees the read fail with the same code, then its stream ends.
    let mut failed = None;
    while failed.is_none() {
        if let Event::ReadFailed { code, .. } = events.next() {
            failed = Some(code);
        }
    }
    assert_eq!(failed, Some(ErrorCode::ShuttingDown));
    let status = d.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status {status}");
    assert!(!d.socket.exists(), "the socket file is removed");
    let log = d.log_text();
    assert!(log.contains("cancelling reads still running after the grace period"), "{log}");
    assert!(log.contains("mrtdd stopped"));
    assert_no_pii(&log);
    println!("sigterm mid-read (grace 300 ms, 40 ms/APDU): 503 shutting_down {answered:?} after SIGTERM, exit 0");
}

#[test]
fn sigterm_mid_read_lets_the_read_finish_within_the_grace_period() {
    let mut d = Daemon::start(FILE, "sigterm-finish", "simulate_apdu_delay_ms = 5\nshutdown_grace_ms = 30000\n");
    let mut events = Subscriber::connect(&d.socket, FILE, "sigterm-finish");
    let socket = d.socket.clone();
    let client = std::thread::spawn(move || {
        daemon::parse_read(daemon::request(&socket, "POST", "/v1/read", passport_read().to_string().as_bytes()))
    });
    loop {
        if let Event::ReadProgress { .. } = events.next() {
            break;
        }
    }
    d.sigterm();
    // Refused at once while stopping: no new reads.
    let read = client.join().unwrap().expect("the read in flight completes");
    assert_eq!(read.document.as_ref().unwrap().document_number, "L898902C3");
    let status = d.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status {status}");
    assert!(!d.socket.exists());
    let log = d.log_text();
    assert!(!log.contains("cancelling reads"), "{log}");
    assert_no_pii(&log);
}

#[test]
fn a_deleted_socket_file_is_re_created_with_its_mode() {
    let d = Daemon::start(FILE, "socket-deleted", "socket_mode = 0o600\n");
    let before = d.idle_counts();
    d.read(can_read()).unwrap();
    for round in 0..3 {
        std::fs::remove_file(&d.socket).unwrap();
        wait_until("the socket is re-created", || serving(&d.socket));
        let mode = std::fs::metadata(&d.socket).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "round {round}: the configured mode");
        let read = d.read(can_read()).unwrap();
        assert_eq!(read.document.as_ref().unwrap().document_number, "095012345");
    }
    // The socket's directory moved away: both come back.
    let moved = d.dir.join("run.moved");
    std::fs::rename(d.socket.parent().unwrap(), &moved).unwrap();
    wait_until("the socket is re-created in a new directory", || serving(&d.socket));
    std::fs::remove_dir_all(&moved).unwrap();
    d.read(can_read()).unwrap();
    // And deleted once more: the new directory is watched too.
    std::fs::remove_file(&d.socket).unwrap();
    wait_until("the socket is re-created again", || serving(&d.socket));
    d.read(passport_read()).unwrap();
    assert_flat("socket deleted x4, directory moved x1", &d, before);
    assert_writes_no_files(&d);
    let log = d.stop();
    assert_eq!(log.matches("the socket file was deleted: re-created it").count(), 5, "{log}");
    assert_no_pii(&log);
}

#[test]
fn a_socket_path_taken_by_a_regular_file_is_left_alone() {
    let d = Daemon::start(FILE, "socket-regular-file", "");
    let before = d.idle_counts();
    // A client connected before the fault keeps its connection.
    let mut kept = UnixStream::connect(&d.socket).unwrap();
    kept.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    assert_eq!(exchange(&mut kept, "GET", "/v1/health", &[], b"", false).0, 200);

    let impostor = d.dir.join("impostor");
    std::fs::write(&impostor, b"not mrtdd's").unwrap();
    std::fs::rename(&impostor, &d.socket).unwrap();
    wait_until("the daemon notices", || d.log_text().contains("the socket path was taken"));
    assert_eq!(std::fs::read(&d.socket).unwrap(), b"not mrtdd's", "the file is not touched");
    assert!(UnixStream::connect(&d.socket).is_err(), "a regular file cannot be connected to");
    // The open connection is still served, reads included, and health says the path is lost.
    let (status, body) = exchange(&mut kept, "POST", "/v1/read", &[], can_read().to_string().as_bytes(), false);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(health_socket(&mut kept).as_deref(), Some("lost"));

    // The path is freed: the daemon's socket comes back.
    std::fs::remove_file(&d.socket).unwrap();
    wait_until("the socket is re-created", || serving(&d.socket));
    d.read(passport_read()).unwrap();
    assert_eq!(health_socket(&mut kept).as_deref(), Some("ok"));
    drop(kept);
    assert_flat("socket replaced by a regular file, then freed", &d, before);
    assert_writes_no_files(&d);
    let log = d.stop();
    assert_no_pii(&log);
}

#[test]
fn a_socket_path_taken_by_another_live_socket_is_left_alone_even_at_shutdown() {
    let mut d = Daemon::start(FILE, "socket-foreign", "");
    let before = d.idle_counts();
    let mut kept = UnixStream::connect(&d.socket).unwrap();
    kept.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    assert_eq!(exchange(&mut kept, "GET", "/v1/health", &[], b"", false).0, 200);

    // Another process's socket renamed over ours.
    let foreign_path = d.dir.join("foreign.sock");
    let foreign = UnixListener::bind(&foreign_path).unwrap();
    std::fs::rename(&foreign_path, &d.socket).unwrap();
    wait_until("the daemon notices", || d.log_text().contains("the socket path was taken"));
    // New clients reach the other process, not mrtdd; mrtdd serves its open connection.
    let _client = UnixStream::connect(&d.socket).unwrap();
    foreign.set_nonblocking(false).unwrap();
    let (_accepted, _) = foreign.accept().unwrap();
    let (status, _) = exchange(&mut kept, "POST", "/v1/read", &[], passport_read().to_string().as_bytes(), false);
    assert_eq!(status, 200);
    assert_eq!(health_socket(&mut kept).as_deref(), Some("lost"));

    // The other process goes away and removes its socket: mrtdd's is re-created.
    drop(foreign);
    std::fs::remove_file(&d.socket).unwrap();
    wait_until("the socket is re-created", || serving(&d.socket));
    d.read(can_read()).unwrap();
    drop(kept);
    assert_flat("socket replaced by another process's socket, then freed", &d, before);

    // Taken again, then SIGTERM: the other socket file survives mrtdd's shutdown.
    let foreign = UnixListener::bind(&foreign_path).unwrap();
    std::fs::rename(&foreign_path, &d.socket).unwrap();
    wait_until("the daemon notices again", || d.log_text().matches("the socket path was taken").count() == 2);
    d.sigterm();
    let status = d.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status {status}");
    assert!(is_socket(&d.socket), "the other process's socket is not removed");
    let _still_reaches_it = UnixStream::connect(&d.socket).unwrap();
    drop(foreign);
    let log = d.log_text();
    assert!(log.contains("left in place"), "{log}");
    assert_no_pii(&log);
}

/// Reads, errors and many log lines while nothing can be written to stderr/stdout.
fn survives_unwritable_logs(tag: &str, stderr: Stderr) {
    let d = Daemon::start_with(FILE, tag, "", stderr, |_| {});
    let before = d.idle_counts();
    for _ in 0..5 {
        let read = d.read(can_read()).unwrap();
        assert_eq!(read.document.as_ref().unwrap().surname, "NGUYEN");
        d.read(passport_read()).unwrap();
        // An error is logged too (at info), and a refused body.
        let (status, _) = d.read(serde_json::json!({"key": {"can": "999999"}})).unwrap_err();
        assert_eq!(status, 422);
        assert_eq!(d.request("POST", "/v1/read", b"{").0, 400);
    }
    assert_eq!(d.request("GET", "/v1/health", b"").0, 200);
    assert_flat(tag, &d, before);
    assert_writes_no_files(&d);
    d.stop();
}

#[test]
fn logs_to_a_full_disk() {
    // /dev/full behind stderr and stdout: every write fails with ENOSPC.
    survives_unwritable_logs("stderr-dev-full", Stderr::DevFull);
}

#[test]
fn logs_to_a_closed_pipe() {
    // A pipe whose reader has gone (a dead log collector): every write fails with EPIPE.
    survives_unwritable_logs("stderr-closed-pipe", Stderr::ClosedPipe);
}
