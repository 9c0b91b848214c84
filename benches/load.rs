//! Load test (issue 7): the real daemon (`mrtdd --simulate`) on its Unix
//! socket under many concurrent clients and event subscribers.
//!
//! `MRTDD_LOAD_CLIENTS` clients (default 56) issue a mix of `GET /v1/health`,
//! `GET /v1/readers`, `POST /v1/read` with every key form on both simulated
//! readers (`busy` answers are expected: two readers, one read each at a
//! time), and a few bad requests with known answers; half of the clients keep
//! their connection alive, half open one per request. Four subscribers follow
//! `GET /v1/events`: two read at full speed, one reads slowly (and so loses
//! events), and one stalls — it never reads — from half-time on. The read
//! latency before and after the stalled subscriber arrives is compared.
//!
//! The run fails on any transport error or unexpected status/code, if the
//! daemon's file descriptors or threads do not return to their start values
//! once the load is over, if its resident memory grows by more than
//! [`RSS_GROWTH_BOUND`], if the stalled subscriber is not told it lost events,
//! or if the daemon does not stop cleanly on SIGTERM.
//!
//! - `cargo bench --bench load`: `MRTDD_LOAD_SECS` seconds (default 300) on
//!   the release binary.
//! - `cargo test --all-targets` runs this binary once without `--bench`: a
//!   short run (default 15 s) with the same checks.
//!
//! Results go to stdout and `target/load-report.txt`; the daemon's log to
//! `target/test-logs/load-<bench|test>.log`. Plain threads and std sockets,
//! no HTTP client crate: what is measured is the daemon.

use mrtdd::api::{ErrorBody, ReadResponse};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

const CCCD_READER: &str = "mrtdd Simulated Reader (demo CCCD) 00 00";
const PASSPORT_READER: &str = "mrtdd Simulated Reader (ICAO specimen passport) 00 01";
const DEMO_MRZ: &str = "IDVNM0950123455001095012345<<6\n9503124M3503122VNM<<<<<<<<<<<0\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";
const SPECIMEN_MRZ: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";
const DEMO_QR: &str = "001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021";

/// Largest growth of the daemon's resident memory from start to end (after
/// the load): allocator arenas of the worker and blocking threads, and
/// buffers kept for reuse; a leak of one read's data would pass it within a
/// few thousand reads.
const RSS_GROWTH_BOUND_KIB: u64 = 48 * 1024;
/// [`RSS_GROWTH_BOUND_KIB`] as a name for the docs.
const RSS_GROWTH_BOUND: &str = "48 MiB";
/// Largest growth of resident memory between the sample at a quarter of the
/// run and the last sample under load (the warm-up is over by then).
const RSS_DRIFT_BOUND_KIB: u64 = 16 * 1024;
/// How long the daemon gets after the load to close connections and retire
/// idle blocking threads (tokio keeps them 10 s).
const SETTLE_LIMIT: Duration = Duration::from_secs(40);
/// The slow subscriber's pause after each line it reads.
const SLOW_SUBSCRIBER_PAUSE: Duration = Duration::from_millis(2);

/// What a request is, for the tallies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Health,
    Readers,
    Read,
    BadRead,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Health => "GET /v1/health",
            Kind::Readers => "GET /v1/readers",
            Kind::Read => "POST /v1/read",
            Kind::BadRead => "POST /v1/read (bad)",
        }
    }
}

/// One request's outcome.
struct Sample {
    kind: Kind,
    /// `200`, or the API error code.
    outcome: String,
    latency_us: u32,
    /// When it finished, from the start of the load.
    at_ms: u32,
}

/// A client's tallies.
#[derive(Default)]
struct Tally {
    samples: Vec<Sample>,
    /// Unexpected answers and transport errors, with what happened.
    failures: Vec<String>,
    read_status: BTreeMap<String, u64>,
}

/// Minimal HTTP/1.1 over the Unix socket: one request, its status and body.
struct Http {
    socket: PathBuf,
    keep_alive: bool,
    conn: Option<BufReader<UnixStream>>,
}

impl Http {
    fn request(&mut self, method: &str, path: &str, body: Option<&str>) -> Result<(u16, Vec<u8>), String> {
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => {
                let s = UnixStream::connect(&self.socket).map_err(|e| format!("connect: {e}"))?;
                s.set_read_timeout(Some(Duration::from_secs(60))).map_err(|e| e.to_string())?;
                BufReader::new(s)
            }
        };
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: {}\r\n",
            if self.keep_alive { "keep-alive" } else { "close" }
        );
        if let Some(b) = body {
            write!(head, "Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()).unwrap();
        }
        head.push_str("\r\n");
        head.push_str(body.unwrap_or_default());
        conn.get_mut().write_all(head.as_bytes()).map_err(|e| format!("write: {e}"))?;
        let mut line = String::new();
        conn.read_line(&mut line).map_err(|e| format!("read status: {e}"))?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let (mut length, mut chunked, mut close) = (None, false, !self.keep_alive);
        loop {
            line.clear();
            conn.read_line(&mut line).map_err(|e| format!("read head: {e}"))?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            } else if lower.starts_with("connection:") && lower.contains("close") {
                close = true;
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                conn.read_line(&mut line).map_err(|e| format!("read chunk: {e}"))?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(|_| format!("bad chunk {line:?}"))?;
                let mut chunk = vec![0; size + 2];
                conn.read_exact(&mut chunk).map_err(|e| format!("read chunk: {e}"))?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            conn.read_exact(&mut body).map_err(|e| format!("read body: {e}"))?;
        } else {
            conn.read_to_end(&mut body).map_err(|e| format!("read body: {e}"))?;
            close = true;
        }
        if !close {
            self.conn = Some(conn);
        }
        Ok((status, body))
    }
}

/// xorshift64*: a reproducible request mix per client.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) % n
    }
}

/// The read requests: every key form, on both readers (and the default one).
fn read_bodies() -> Vec<String> {
    use serde_json::json;
    [
        json!({"reader": CCCD_READER, "key": {"can": "012345"}}),
        json!({"key": {"mrz": DEMO_MRZ}}),
        json!({"reader": CCCD_READER, "key": {"document_number": "095012345", "date_of_birth": "950312", "date_of_expiry": "350312"}}),
        json!({"key": {"cccd_qr": DEMO_QR}}),
        json!({"reader": CCCD_READER, "key": {"can": "012345"}, "data_groups": ["DG1"]}),
        json!({"reader": PASSPORT_READER, "key": {"document_number": "L898902C3", "date_of_birth": "740812", "date_of_expiry": "120415"}}),
        json!({"reader": PASSPORT_READER, "key": {"mrz": SPECIMEN_MRZ}}),
    ]
    .iter()
    .map(|v| v.to_string())
    .collect()
}

/// Bad requests with the code each must get.
fn bad_bodies() -> Vec<(String, &'static str)> {
    use serde_json::json;
    vec![
        (json!({"key": {"can": "12345"}}).to_string(), "bad_request"),
        (json!({"reader": "no such reader", "key": {"can": "012345"}}).to_string(), "reader_not_found"),
        ("{not json".to_owned(), "bad_request"),
    ]
}

fn client(id: u64, socket: PathBuf, stop: Arc<AtomicBool>, t0: Instant, think_ms: u64) -> Tally {
    let mut http = Http { socket, keep_alive: id.is_multiple_of(2), conn: None };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (id + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let reads = read_bodies();
    let bad = bad_bodies();
    let mut tally = Tally::default();
    while !stop.load(Ordering::Relaxed) {
        let roll = rng.below(100);
        let (kind, method, path, body, expected): (Kind, &str, &str, Option<&str>, &[&str]) = match roll {
            0..35 => (Kind::Health, "GET", "/v1/health", None, &["200"]),
            35..65 => (Kind::Readers, "GET", "/v1/readers", None, &["200"]),
            65..95 => {
                let body = &reads[rng.below(reads.len() as u64) as usize];
                (Kind::Read, "POST", "/v1/read", Some(body.as_str()), &["200", "busy"])
            }
            _ => {
                let (body, code) = &bad[rng.below(bad.len() as u64) as usize];
                (Kind::BadRead, "POST", "/v1/read", Some(body.as_str()), std::slice::from_ref(code))
            }
        };
        let started = Instant::now();
        let result = http.request(method, path, body);
        let latency_us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        let at_ms = u32::try_from(t0.elapsed().as_millis()).unwrap_or(u32::MAX);
        let outcome = match result {
            Err(e) => {
                tally.failures.push(format!("{} transport error: {e}", kind.name()));
                http.conn = None;
                "transport_error".to_owned()
            }
            Ok((200, bytes)) => {
                if kind == Kind::Read {
                    match serde_json::from_slice::<ReadResponse>(&bytes) {
                        Ok(r) => *tally.read_status.entry(r.verification.status.clone()).or_default() += 1,
                        Err(e) => tally.failures.push(format!("read: 200 with a body that is not a read: {e}")),
                    }
                }
                "200".to_owned()
            }
            Ok((status, bytes)) => match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(e) if e.error.code.http_status() == status => e.error.code.as_str().to_owned(),
                Ok(e) => {
                    tally.failures.push(format!("{}: {status} with code {}", kind.name(), e.error.code.as_str()));
                    format!("{status}")
                }
                Err(_) => {
                    tally.failures.push(format!("{}: {status} without an error body", kind.name()));
                    format!("{status}")
                }
            },
        };
        if !expected.contains(&outcome.as_str()) && outcome != "transport_error" {
            tally.failures.push(format!("{}: unexpected {outcome}", kind.name()));
        }
        tally.samples.push(Sample { kind, outcome, latency_us, at_ms });
        if think_ms > 0 {
            std::thread::sleep(Duration::from_millis(rng.below(2 * think_ms + 1)));
        }
    }
    tally
}

/// An event subscriber's tallies.
#[derive(Default, Debug)]
struct SubTally {
    events: BTreeMap<String, u64>,
    missed: u64,
}

/// Follows `/v1/events`, pausing `pause` after every line, until `stop`.
/// Sends on `subscribed` once the answer's head is in: the daemon subscribes
/// before it answers, so from then on no event is missed.
fn subscriber(
    socket: &Path,
    stop: Arc<AtomicBool>,
    pause: Duration,
    subscribed: std::sync::mpsc::Sender<()>,
) -> Result<SubTally, String> {
    let s = UnixStream::connect(socket).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut w = s.try_clone().map_err(|e| e.to_string())?;
    w.write_all(b"GET /v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n").map_err(|e| e.to_string())?;
    let mut lines = BufReader::new(s);
    let mut line = String::new();
    lines.read_line(&mut line).map_err(|e| format!("read status: {e}"))?;
    if !line.starts_with("HTTP/1.1 200") {
        return Err(format!("answer {line:?}"));
    }
    while line != "\r\n" {
        line.clear();
        if lines.read_line(&mut line).map_err(|e| format!("read head: {e}"))? == 0 {
            return Err("the event stream ended in its head".into());
        }
    }
    line.clear();
    let _ = subscribed.send(());
    lines.get_ref().set_read_timeout(Some(Duration::from_millis(500))).map_err(|e| e.to_string())?;
    let mut tally = SubTally::default();
    let mut kind = String::new();
    while !stop.load(Ordering::Relaxed) {
        match lines.read_line(&mut line) {
            Ok(0) => return Err("the event stream ended".into()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
            Err(e) => return Err(format!("read: {e}")),
        }
        // A line may arrive in pieces across a timeout: only handle complete ones.
        if !line.ends_with('\n') {
            continue;
        }
        let l = line.trim_end();
        if let Some(k) = l.strip_prefix("event: ") {
            kind = k.to_owned();
            *tally.events.entry(kind.clone()).or_default() += 1;
        } else if let Some(d) = l.strip_prefix("data: ")
            && kind == "events_lost"
        {
            let v: serde_json::Value = serde_json::from_str(d).map_err(|e| e.to_string())?;
            tally.missed += v["missed"].as_u64().unwrap_or(0);
        }
        line.clear();
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
    Ok(tally)
}

/// The daemon's VmRSS (KiB), open file descriptors and threads.
#[derive(Debug, Clone, Copy)]
struct Resources {
    rss_kib: u64,
    fds: usize,
    threads: u64,
}

fn resources(pid: u32) -> BenchResult<Resources> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> BenchResult<u64> {
        let line = status.lines().find(|l| l.starts_with(name)).ok_or(format!("no {name} in /proc/{pid}/status"))?;
        Ok(line.split_whitespace().nth(1).ok_or("empty field")?.parse()?)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))?.count();
    Ok(Resources { rss_kib: field("VmRSS:")?, fds, threads: field("Threads:")? })
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

fn latency_line(label: &str, mut v: Vec<u32>) -> String {
    v.sort_unstable();
    format!(
        "  {label:<34} {:>8}  p50 {:>8.2}  p90 {:>8.2}  p99 {:>8.2}  max {:>8.2} ms",
        v.len(),
        percentile(&v, 0.50),
        percentile(&v, 0.90),
        percentile(&v, 0.99),
        v.last().map_or(0.0, |m| f64::from(*m) / 1000.0)
    )
}

struct Daemon {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
}

impl Daemon {
    fn start(log: &Path, max_connections: usize) -> BenchResult<Self> {
        let dir = std::env::temp_dir().join(format!("mrtdd-load-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let socket = dir.join("mrtdd.sock");
        let config = dir.join("mrtdd.toml");
        std::fs::write(
            &config,
            format!(
                "socket = {socket:?}\nsimulate = true\nlog_level = \"info\"\nmax_connections = {max_connections}\n"
            ),
        )?;
        let child = Command::new(env!("CARGO_BIN_EXE_mrtdd"))
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log)?)
            .spawn()?;
        let started = Instant::now();
        while UnixStream::connect(&socket).is_err() {
            if started.elapsed() > Duration::from_secs(20) {
                return Err("mrtdd did not create its socket".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self { child, dir, socket })
    }

    /// SIGTERM, and the exit status within 10 s.
    fn stop(&mut self) -> BenchResult<std::process::ExitStatus> {
        Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status()?;
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if started.elapsed() > Duration::from_secs(10) {
                return Err("mrtdd did not stop within 10 s of SIGTERM".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn env_u64(name: &str, default: u64) -> BenchResult<u64> {
    match std::env::var(name) {
        Ok(v) => Ok(v.parse().map_err(|_| format!("{name}={v:?} is not a number"))?),
        Err(_) => Ok(default),
    }
}

fn main() -> BenchResult<()> {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs benches once without it.
    let bench = std::env::args().any(|a| a == "--bench");
    let tag = if bench { "bench" } else { "test" };
    let secs = env_u64("MRTDD_LOAD_SECS", if bench { 300 } else { 15 })?.max(4);
    let clients = env_u64("MRTDD_LOAD_CLIENTS", 56)?.max(1);
    let think_ms = env_u64("MRTDD_LOAD_THINK_MS", 5)?;
    let duration = Duration::from_secs(secs);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(root.join("test-logs"))?;
    let log = root.join(format!("test-logs/load-{tag}.log"));
    // Every client and subscriber holds a connection at the same time, plus the checks' own.
    let max_connections = usize::try_from(clients)? + 16;
    let mut daemon = Daemon::start(&log, max_connections)?;
    let pid = daemon.child.id();
    std::thread::sleep(Duration::from_secs(1));
    let start = resources(pid)?;
    println!(
        "load: {clients} clients + 4 subscribers for {secs} s on {} (pid {pid}); start {start:?}",
        daemon.socket.display()
    );

    let stop_clients = Arc::new(AtomicBool::new(false));
    let stop_subs = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let (subscribed_tx, subscribed) = std::sync::mpsc::channel();
    let subs: Vec<_> = [("fast #1", Duration::ZERO), ("fast #2", Duration::ZERO), ("slow", SLOW_SUBSCRIBER_PAUSE)]
        .into_iter()
        .map(|(name, pause)| {
            let (socket, stop, tx) = (daemon.socket.clone(), stop_subs.clone(), subscribed_tx.clone());
            (name, std::thread::spawn(move || subscriber(&socket, stop, pause, tx)))
        })
        .collect();
    // Every subscriber sees every read from the first one on.
    for _ in 0..subs.len() {
        subscribed.recv_timeout(Duration::from_secs(20)).map_err(|_| "a subscriber did not get its stream")?;
    }
    let workers: Vec<_> = (0..clients)
        .map(|id| {
            let (socket, stop) = (daemon.socket.clone(), stop_clients.clone());
            std::thread::spawn(move || client(id, socket, stop, t0, think_ms))
        })
        .collect();

    // Resource samples every 5 s; the stalled subscriber arrives at half-time.
    let mut series: Vec<(u64, Resources)> = Vec::new();
    let mut stalled: Option<(UnixStream, u64)> = None;
    let mut middle = None;
    while t0.elapsed() < duration {
        std::thread::sleep(Duration::from_secs(5).min(duration.saturating_sub(t0.elapsed())));
        let now = t0.elapsed().as_secs();
        let r = resources(pid)?;
        series.push((now, r));
        if stalled.is_none() && t0.elapsed() >= duration / 2 {
            middle = Some(r);
            let mut s = UnixStream::connect(&daemon.socket)?;
            s.write_all(b"GET /v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
            stalled = Some((s, u64::try_from(t0.elapsed().as_millis())?));
            println!("  {now:>4} s  {r:?}  (stalled subscriber connected)");
        } else {
            println!("  {now:>4} s  {r:?}");
        }
    }
    stop_clients.store(true, Ordering::Relaxed);
    let tallies: Vec<Tally> = workers.into_iter().map(|w| w.join().expect("client thread")).collect();
    let elapsed = t0.elapsed().as_secs_f64();
    let under_load = resources(pid)?;
    // The last reads' events are published before their answers: give the fast subscribers a moment.
    std::thread::sleep(Duration::from_secs(1));
    stop_subs.store(true, Ordering::Relaxed);
    let sub_results: Vec<(&str, Result<SubTally, String>)> =
        subs.into_iter().map(|(name, h)| (name, h.join().expect("subscriber thread"))).collect();

    // The stalled subscriber now reads what it left: the events buffered in
    // the socket, then `events_lost` for the ones the daemon dropped for it.
    let (stalled_stream, stalled_at_ms) = stalled.ok_or("the run was too short for the stalled subscriber")?;
    stalled_stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut stalled_lines = BufReader::new(stalled_stream);
    let mut stalled_lost = None;
    let mut line = String::new();
    let drain_started = Instant::now();
    while drain_started.elapsed() < Duration::from_secs(20) {
        line.clear();
        if stalled_lines.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if line.trim_end() == "event: events_lost" {
            line.clear();
            stalled_lines.read_line(&mut line)?;
            let v: serde_json::Value = serde_json::from_str(line.trim_end().trim_start_matches("data: "))?;
            stalled_lost = v["missed"].as_u64();
            break;
        }
    }
    drop(stalled_lines);

    // Settle: every connection is closed; idle blocking threads retire after 10 s.
    let settle_started = Instant::now();
    let mut end = resources(pid)?;
    while (end.fds != start.fds || end.threads > start.threads) && settle_started.elapsed() < SETTLE_LIMIT {
        std::thread::sleep(Duration::from_millis(500));
        end = resources(pid)?;
    }
    let settled_after = settle_started.elapsed().as_secs_f64();
    let exit = daemon.stop()?;
    let daemon_log = std::fs::read_to_string(&log)?;

    // Tallies.
    let mut failures: Vec<String> = Vec::new();
    let mut by_kind: BTreeMap<Kind, BTreeMap<String, u64>> = BTreeMap::new();
    let mut latencies: BTreeMap<(Kind, bool), Vec<u32>> = BTreeMap::new();
    let mut read_ok_before = Vec::new();
    let mut read_ok_after = Vec::new();
    let mut read_status: BTreeMap<String, u64> = BTreeMap::new();
    for t in &tallies {
        failures.extend(t.failures.iter().cloned());
        for (k, v) in &t.read_status {
            *read_status.entry(k.clone()).or_default() += v;
        }
        for s in &t.samples {
            *by_kind.entry(s.kind).or_default().entry(s.outcome.clone()).or_default() += 1;
            let ok = s.outcome == "200";
            latencies.entry((s.kind, ok)).or_default().push(s.latency_us);
            if s.kind == Kind::Read && ok {
                if u64::from(s.at_ms) < stalled_at_ms {
                    read_ok_before.push(s.latency_us);
                } else {
                    read_ok_after.push(s.latency_us);
                }
            }
        }
    }
    let total: u64 = by_kind.values().flat_map(|m| m.values()).sum();
    let reads_ok = by_kind.get(&Kind::Read).and_then(|m| m.get("200")).copied().unwrap_or(0);

    let mut report = String::new();
    let w = &mut report;
    writeln!(w, "mrtdd load test ({tag}): `mrtdd --simulate` over its Unix socket")?;
    writeln!(
        w,
        "clients {clients} (half keep-alive, half a connection per request), think time 0-{} ms; subscribers: 2 fast, 1 slow ({} ms per line), 1 stalled from {:.0} s",
        2 * think_ms,
        SLOW_SUBSCRIBER_PAUSE.as_millis(),
        stalled_at_ms as f64 / 1000.0
    )?;
    writeln!(w, "duration {elapsed:.1} s, requests {total} ({:.0}/s)", total as f64 / elapsed)?;
    writeln!(w, "\nrequests served, by endpoint and answer:")?;
    for (kind, outcomes) in &by_kind {
        let n: u64 = outcomes.values().sum();
        let detail: Vec<String> = outcomes.iter().map(|(o, c)| format!("{o} {c}")).collect();
        writeln!(w, "  {:<22} {n:>9}  ({})", kind.name(), detail.join(", "))?;
    }
    writeln!(
        w,
        "\nread throughput: {reads_ok} reads ({:.1}/s on 2 simulated readers); verdicts {read_status:?}",
        reads_ok as f64 / elapsed
    )?;
    writeln!(w, "\nlatency (client side, request written to answer read):")?;
    for ((kind, ok), v) in &latencies {
        let label = format!("{} {}", kind.name(), if *ok { "200" } else { "errors" });
        writeln!(w, "{}", latency_line(&label, v.clone()))?;
    }
    writeln!(w, "\nstalled subscriber: successful reads before and after it connected:")?;
    writeln!(w, "{}", latency_line("without it (first half)", read_ok_before.clone()))?;
    writeln!(w, "{}", latency_line("with it (second half)", read_ok_after.clone()))?;
    writeln!(w, "  it was told events_lost (missed {stalled_lost:?}) when it finally read")?;
    writeln!(w, "\nsubscribers:")?;
    for (name, r) in &sub_results {
        match r {
            Ok(t) => writeln!(w, "  {name:<8} events {:?}, missed {}", t.events, t.missed)?,
            Err(e) => writeln!(w, "  {name:<8} FAILED: {e}")?,
        }
    }
    writeln!(w, "\ndaemon resources (VmRSS KiB, fds, threads):")?;
    writeln!(w, "  start          {:>8} {:>5} {:>4}", start.rss_kib, start.fds, start.threads)?;
    if let Some(m) = middle {
        writeln!(w, "  middle         {:>8} {:>5} {:>4}", m.rss_kib, m.fds, m.threads)?;
    }
    writeln!(w, "  end of load    {:>8} {:>5} {:>4}", under_load.rss_kib, under_load.fds, under_load.threads)?;
    writeln!(w, "  settled        {:>8} {:>5} {:>4}  (after {settled_after:.1} s)", end.rss_kib, end.fds, end.threads)?;
    let series_text: Vec<String> = series.iter().map(|(t, r)| format!("{t}s:{}", r.rss_kib / 1024)).collect();
    writeln!(w, "  VmRSS MiB every 5 s: {}", series_text.join(" "))?;
    let warn_lines = daemon_log.lines().filter(|l| l.contains(" WARN ")).count();
    let error_lines = daemon_log.lines().filter(|l| l.contains(" ERROR ") || l.contains("panicked")).count();
    writeln!(
        w,
        "\ndaemon log: {} lines, {warn_lines} WARN, {error_lines} ERROR/panic; exit {exit}",
        daemon_log.lines().count()
    )?;

    // Checks.
    if reads_ok == 0 {
        failures.push("no read succeeded".into());
    }
    for (name, r) in &sub_results {
        if let Err(e) = r {
            failures.push(format!("subscriber {name}: {e}"));
        }
    }
    // A subscriber that kept up saw every read: one read_started and one read_finished each.
    for (name, r) in &sub_results {
        if let Ok(t) = r
            && t.missed == 0
            && name.starts_with("fast")
        {
            let count = |k: &str| t.events.get(k).copied().unwrap_or(0);
            if (count("read_started"), count("read_finished")) != (reads_ok, reads_ok) {
                failures.push(format!("subscriber {name} saw {:?} for {reads_ok} reads", t.events));
            }
        }
    }
    if stalled_lost.is_none_or(|m| m == 0) {
        failures.push("the stalled subscriber was not told it lost events".into());
    }
    if end.fds != start.fds {
        failures.push(format!("file descriptors: {} at start, {} after the load", start.fds, end.fds));
    }
    if end.threads > start.threads {
        failures.push(format!("threads: {} at start, {} after the load", start.threads, end.threads));
    }
    let growth = end.rss_kib.saturating_sub(start.rss_kib);
    if growth > RSS_GROWTH_BOUND_KIB {
        failures.push(format!("VmRSS grew by {} KiB (bound {RSS_GROWTH_BOUND})", growth));
    }
    let quarter = series.iter().find(|(t, _)| *t >= secs / 4).map(|(_, r)| r.rss_kib);
    if let (Some(q), Some((_, last))) = (quarter, series.last())
        && secs >= 60
        && last.rss_kib.saturating_sub(q) > RSS_DRIFT_BOUND_KIB
    {
        failures.push(format!("VmRSS drifted from {q} KiB at a quarter to {} KiB at the end", last.rss_kib));
    }
    if !exit.success() {
        failures.push(format!("mrtdd exited with {exit}"));
    }
    if error_lines > 0 {
        failures.push(format!("{error_lines} ERROR/panic lines in the daemon's log"));
    }
    writeln!(
        w,
        "\nchecks: fds and threads back to start, VmRSS growth {} KiB (bound {RSS_GROWTH_BOUND}), stalled subscriber told, clean exit: {}",
        growth,
        if failures.is_empty() { "ok" } else { "FAILED" }
    )?;
    failures.sort();
    failures.dedup();
    for f in failures.iter().take(30) {
        writeln!(w, "  FAILURE: {f}")?;
    }
    print!("{report}");
    std::fs::write(root.join("load-report.txt"), &report)?;
    if failures.is_empty() { Ok(()) } else { Err(format!("{} failures (see above)", failures.len()).into()) }
}
