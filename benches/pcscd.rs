//! PC/SC benchmark (issue 8): the software chip behind a real pcscd and the
//! vpcd virtual reader, read through the daemon (`mrtdd`, release build, over
//! its Unix socket) and through the protocol library directly
//! (`mrtdd::pcsc` + `read_document`, no daemon). Measures:
//!
//! * time per full read (median, p90 over N reads): the CCCD demo with PACE
//!   (CAN), TD3 passports with ~20 KB and ~60 KB DG2 with BAC (MRZ);
//! * the daemon's resident memory (VmRSS) idle and sampled every 5 ms during
//!   reads, and its peak (VmHWM);
//! * the daemon's CPU time (utime + stime, /proc/<pid>/stat) over 10 s idle,
//!   with no card and with a card in a reader;
//! * the time from the card connecting to vpcd to the `card_inserted` event
//!   on `/v1/events` (pcscd polls vpcd every 400 ms);
//! * two reads on vpcd's two readers at once vs one after the other, with
//!   the chips answering at once (CPU-bound) and after 5 ms per APDU
//!   (link-bound, like a real reader).
//!
//! Run (pcscd with vpcd must be running, as scripts/test.sh starts it; the
//! bench uses both vpcd readers, so nothing else may use them meanwhile):
//!
//! ```text
//! pcscd --foreground & cargo bench --bench pcscd; kill %1
//! ```
//!
//! `MRTDD_BENCH_N=50` sets the reads per case (default 20). Without pcscd or
//! vpcd it says so and exits 0. Results go to stdout and
//! `target/bench-pcscd.txt`. Figures are reported, never asserted.
//!
//! `cargo test --all-targets` also runs this binary (without `--bench`): with
//! `MRTDD_E2E=1` (pcscd is the tests' own) as a short smoke run — 2 reads per
//! case, 1 s idle windows, nothing written; without it, it skips, since pcscd
//! and its readers may belong to someone else.

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mrtdd::chip::{Document, DocumentBuilder, SoftwareChip, vpcd};
use mrtdd::protocol::mrz::Mrz;
use mrtdd::protocol::read::NoHooks;
use mrtdd::protocol::session::{AccessKey, ReadOptions, read_document};
use zeroize::Zeroizing;

#[path = "../tests/support/http.rs"]
mod http;
#[path = "../tests/support/pcscd.rs"]
mod pcscd;

use http::{parse, request_head};
use pcscd::{PCSCD_SOCKET, VPCD_PORTS_HEX, listening};

type BenchResult<T> = Result<T, Box<dyn StdError>>;

/// vpcd's readers and their card-side addresses.
const READERS: [(&str, &str); 2] = [("Virtual PCD 00 01", "127.0.0.1:35964"), ("Virtual PCD 00 00", "127.0.0.1:35963")];
/// pcscd's polling of vpcd (a card insertion or removal shows within it).
const VPCD_POLL: Duration = Duration::from_millis(500);
const WAIT: Duration = Duration::from_secs(10);
/// How long the idle CPU time is measured (`cargo bench`; 1 s in a smoke run).
const IDLE_WINDOW: Duration = Duration::from_secs(10);
/// Per-APDU delay of the card side in the link-bound two-reader run.
const LINK_LATENCY: Duration = Duration::from_millis(5);
/// RSS sampling period during reads.
const RSS_SAMPLE: Duration = Duration::from_millis(5);
const CAN: &str = "012345";

fn main() -> BenchResult<()> {
    let bench = std::env::args().any(|a| a == "--bench");
    if !bench && std::env::var_os("MRTDD_E2E").is_none() {
        println!("bench pcscd: skipped under cargo test without MRTDD_E2E=1 (pcscd may not be ours)");
        return Ok(());
    }
    if let Some(why) = not_ready() {
        println!("bench pcscd: skipped — {why} (start pcscd with vsmartcard-vpcd installed; see the file's header)");
        return Ok(());
    }
    let n: usize =
        if bench { std::env::var("MRTDD_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(20).max(1) } else { 2 };
    let idle_window = if bench { IDLE_WINDOW } else { Duration::from_secs(1) };
    let cases = cases()?;
    let mut out = String::new();
    writeln!(out, "mrtdd PC/SC benchmark: software chip in vpcd behind pcscd; {n} reads per case")?;
    writeln!(out, "pcscd: {}; {}", command_line("pcscd", &["--version"]), machine())?;
    writeln!(out)?;

    // ---- the protocol library directly (no daemon) ----
    writeln!(out, "Full read through pcscd, protocol library directly (mrtdd::pcsc + read_document):")?;
    writeln!(out, "  (connect, one transaction, the read, disconnect with reset; per read)")?;
    let mut library = Vec::new();
    for case in &cases {
        let card = Card::place(READERS[0].1, case.document.clone());
        wait_present(READERS[0].0, true)?;
        let mut times = Vec::with_capacity(n);
        let mut apdus = 0;
        for _ in 0..n {
            let started = Instant::now();
            apdus = library_read(READERS[0].0, &case.key())?;
            times.push(started.elapsed());
        }
        card.remove();
        wait_present(READERS[0].0, false)?;
        std::thread::sleep(VPCD_POLL);
        let s = Summary::of(&mut times);
        writeln!(out, "  {:<44} {apdus:>4} APDUs  {s}", case.name)?;
        library.push(s);
    }
    writeln!(out)?;

    // ---- the daemon ----
    let daemon = Daemon::start()?;
    let events = Events::connect(&daemon.socket)?;
    std::thread::sleep(Duration::from_secs(1));
    let rss_start = daemon.memory()?;
    let idle_empty = daemon.cpu_over(idle_window)?;

    // card placed -> card_inserted
    let mut inserted = Vec::with_capacity(n);
    for _ in 0..n {
        let _ = events.drain();
        let placed = Instant::now();
        let card = Card::place(READERS[0].1, Document::cccd_demo()?);
        let at = events.wait(|kind, data| kind == "card_inserted" && data.contains(READERS[0].0))?;
        inserted.push(at.duration_since(placed));
        card.remove();
        events.wait(|kind, data| kind == "card_removed" && data.contains(READERS[0].0))?;
        std::thread::sleep(VPCD_POLL);
    }

    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    writeln!(out, "Full read through pcscd and the daemon (POST /v1/read over its Unix socket, {profile} build):")?;
    let mut rss_peak_reads = 0;
    let mut through_daemon = Vec::new();
    for (case, lib) in cases.iter().zip(&library) {
        let card = Card::place(READERS[0].1, case.document.clone());
        daemon.wait_present(READERS[0].0, true)?;
        let sampler = RssSampler::start(daemon.pid());
        let mut times = Vec::with_capacity(n);
        let mut apdus = 0;
        for _ in 0..n {
            let started = Instant::now();
            apdus = daemon.read(READERS[0].0, &case.request())?;
            times.push(started.elapsed());
        }
        rss_peak_reads = rss_peak_reads.max(sampler.stop());
        if case.name.starts_with("CCCD") {
            // The daemon's idle CPU with a card present in a reader.
            std::thread::sleep(Duration::from_millis(500));
            let idle_card = daemon.cpu_over(idle_window)?;
            through_daemon.push(("idle with a card in a reader", idle_card));
        }
        card.remove();
        daemon.wait_present(READERS[0].0, false)?;
        std::thread::sleep(VPCD_POLL);
        let s = Summary::of(&mut times);
        let over = s.median.saturating_sub(lib.median);
        writeln!(out, "  {:<44} {apdus:>4} APDUs  {s}  (+{} ms over the library)", case.name, ms(over))?;
    }
    writeln!(out)?;

    // two readers: in parallel vs one after the other, CPU-bound (no link
    // latency) and link-bound (LINK_LATENCY per APDU, like a real reader)
    let rounds = n.div_ceil(2).max(3);
    for latency in [Duration::ZERO, LINK_LATENCY] {
        let (seq, par) = two_readers(&daemon, rounds, latency)?;
        let link = if latency.is_zero() {
            "no added latency: bound by the CPU (2 cores for the daemon, pcscd and both chips)".to_owned()
        } else {
            format!("{} ms per APDU added by the card side, like a reader and radio link", latency.as_millis())
        };
        writeln!(out, "Two readers, one CCCD demo read (PACE) on each, {rounds} rounds; {link}:")?;
        writeln!(out, "  one after the other  {seq}")?;
        writeln!(out, "  at the same time     {par}")?;
        writeln!(
            out,
            "  parallel / sequential (medians): {:.2} (1.00 = no overlap, 0.50 = fully parallel)",
            par.median.as_secs_f64() / seq.median.as_secs_f64().max(f64::EPSILON)
        )?;
        writeln!(out)?;
    }

    let rss_end = daemon.memory()?;
    let s = Summary::of(&mut inserted);
    writeln!(out, "Card placed (software chip connects to vpcd) -> card_inserted event, {n} insertions:")?;
    writeln!(out, "  {s}  (pcscd polls vpcd every 400 ms)")?;
    writeln!(out)?;
    writeln!(out, "Daemon resident memory (VmRSS):")?;
    writeln!(out, "  idle after start-up            {:>7} KiB", rss_start.rss_kib)?;
    writeln!(out, "  during reads (max of samples)  {:>7} KiB", rss_peak_reads)?;
    writeln!(out, "  idle after all reads           {:>7} KiB", rss_end.rss_kib)?;
    writeln!(out, "  peak (VmHWM)                   {:>7} KiB", rss_end.hwm_kib)?;
    writeln!(out)?;
    writeln!(out, "Daemon CPU time (utime + stime) over {} s:", idle_window.as_secs())?;
    writeln!(out, "  idle, no card                  {}", idle_empty)?;
    for (what, cpu) in through_daemon {
        writeln!(out, "  {what:<30} {cpu}")?;
    }
    daemon.stop()?;

    print!("{out}");
    if !bench {
        println!("(smoke run under cargo test: target/bench-pcscd.txt not written)");
        return Ok(());
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("bench-pcscd.txt"), &out)?;
    Ok(())
}

/// Reads the CCCD demo on both readers `rounds` times, one after the other
/// and at the same time; the chips answer each APDU after `latency`.
fn two_readers(daemon: &Daemon, rounds: usize, latency: Duration) -> BenchResult<(Summary, Summary)> {
    let cccd = Document::cccd_demo()?;
    let cards: Vec<Card> =
        READERS.iter().map(|(_, addr)| Card::place_with_latency(addr, cccd.clone(), latency)).collect();
    for (reader, _) in READERS {
        daemon.wait_present(reader, true)?;
    }
    let request = Case::cccd(cccd).request();
    let (mut sequential, mut parallel) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let started = Instant::now();
        for (reader, _) in READERS {
            daemon.read(reader, &request)?;
        }
        sequential.push(started.elapsed());
        let started = Instant::now();
        let threads: Vec<_> = READERS
            .iter()
            .map(|(reader, _)| {
                let (socket, body) = (daemon.socket.clone(), with_reader(&request, reader));
                std::thread::spawn(move || post_read(&socket, &body).map_err(|e| e.to_string()))
            })
            .collect();
        for t in threads {
            t.join().map_err(|_| "read thread panicked")??;
        }
        parallel.push(started.elapsed());
    }
    for card in cards {
        card.remove();
    }
    for (reader, _) in READERS {
        daemon.wait_present(reader, false)?;
    }
    std::thread::sleep(VPCD_POLL);
    Ok((Summary::of(&mut sequential), Summary::of(&mut parallel)))
}

// ---- cases ----

struct Case {
    name: &'static str,
    document: Document,
    /// PACE with the CAN (the CCCD), else BAC with the MRZ.
    pace: bool,
}

impl Case {
    fn cccd(document: Document) -> Self {
        Self { name: "CCCD demo, PACE (CAN)", document, pace: true }
    }

    fn key(&self) -> AccessKey {
        if self.pace {
            AccessKey::Can(Zeroizing::new(CAN.into()))
        } else {
            AccessKey::Mrz(Mrz::parse(self.document.mrz()).map(|m| m.bac_key()).unwrap_or_else(|e| panic!("{e}")))
        }
    }

    fn request(&self) -> serde_json::Value {
        if self.pace {
            serde_json::json!({"key": {"can": CAN}})
        } else {
            serde_json::json!({"key": {"mrz": self.document.mrz()}})
        }
    }
}

fn cases() -> BenchResult<Vec<Case>> {
    Ok(vec![
        Case::cccd(Document::cccd_demo()?),
        Case {
            name: "TD3 passport, ~20 KB DG2, BAC (MRZ)",
            document: DocumentBuilder::td3_specimen().large_dg2(20_000).build()?,
            pace: false,
        },
        Case {
            name: "TD3 passport, ~60 KB DG2, BAC (MRZ)",
            document: DocumentBuilder::td3_specimen().large_dg2(60_000).build()?,
            pace: false,
        },
    ])
}

fn with_reader(request: &serde_json::Value, reader: &str) -> serde_json::Value {
    let mut r = request.clone();
    if let Some(o) = r.as_object_mut() {
        o.insert("reader".into(), reader.into());
    }
    r
}

// ---- the card ----

/// The software chip in a vpcd reader until removed.
struct Card {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<std::io::Result<SoftwareChip>>>,
}

impl Card {
    fn place(addr: &str, document: Document) -> Self {
        Self::place_with_latency(addr, document, Duration::ZERO)
    }

    fn place_with_latency(addr: &str, document: Document, latency: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, addr) = (stop.clone(), addr.to_owned());
        let thread =
            std::thread::spawn(move || vpcd::serve_with_latency(SoftwareChip::new(document), &addr, flag, latency));
        Self { stop, thread: Some(thread) }
    }

    fn remove(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---- the library directly ----

/// One read as the daemon does it, without the daemon; returns the APDUs sent.
fn library_read(reader: &str, key: &AccessKey) -> BenchResult<usize> {
    let ctx = mrtdd::pcsc::establish()?;
    let mut card = mrtdd::pcsc::connect(&ctx, reader)?;
    let read =
        mrtdd::pcsc::with_transaction(&mut card, |t| read_document(t, key, &ReadOptions::default(), &mut NoHooks));
    mrtdd::pcsc::disconnect(card);
    Ok(read??.stats.apdus)
}

fn wait_present(reader: &str, present: bool) -> BenchResult<()> {
    let ctx = mrtdd::pcsc::establish()?;
    let started = Instant::now();
    while mrtdd::pcsc::reader_info(&ctx, reader)?.card_present != present {
        if started.elapsed() > WAIT {
            return Err(format!("{reader}: card_present != {present} after {WAIT:?}").into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

// ---- the daemon ----

struct Daemon {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
}

/// Resident memory of the daemon, KiB.
struct Memory {
    rss_kib: u64,
    hwm_kib: u64,
}

impl Daemon {
    fn start() -> BenchResult<Self> {
        let dir = std::env::temp_dir().join(format!("mrtdd-bench-pcscd-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let socket = dir.join("mrtdd.sock");
        let config = dir.join("mrtdd.toml");
        std::fs::write(&config, format!("socket = {socket:?}\nlog_level = \"warn\"\n"))?;
        let child = Command::new(env!("CARGO_BIN_EXE_mrtdd"))
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let d = Self { child, dir, socket };
        let started = Instant::now();
        while !READERS.iter().all(|(r, _)| d.card_present(r) == Some(false)) {
            if started.elapsed() > WAIT {
                return Err("the daemon did not list both vpcd readers (empty)".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(d)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn card_present(&self, reader: &str) -> Option<bool> {
        let (status, body) = request(&self.socket, "GET", "/v1/readers", None).ok()?;
        if status != 200 {
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(&body).ok()?;
        v["readers"].as_array()?.iter().find(|r| r["name"] == reader)?["card_present"].as_bool()
    }

    fn wait_present(&self, reader: &str, present: bool) -> BenchResult<()> {
        let started = Instant::now();
        while self.card_present(reader) != Some(present) {
            if started.elapsed() > WAIT {
                return Err(format!("daemon: {reader} card_present != {present} after {WAIT:?}").into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// One read on `reader`; returns the APDUs it took.
    fn read(&self, reader: &str, request: &serde_json::Value) -> BenchResult<usize> {
        post_read(&self.socket, &with_reader(request, reader))
    }

    fn memory(&self) -> BenchResult<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        Ok(Memory { rss_kib: status_kib(&status, "VmRSS:"), hwm_kib: status_kib(&status, "VmHWM:") })
    }

    /// CPU time used over `window` while nothing is asked of the daemon.
    fn cpu_over(&self, window: Duration) -> BenchResult<Cpu> {
        let before = cpu_ticks(self.pid())?;
        std::thread::sleep(window);
        let ticks = cpu_ticks(self.pid())?.saturating_sub(before);
        Ok(Cpu { ticks, window })
    }

    fn stop(mut self) -> BenchResult<()> {
        Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status()?;
        let status = self.child.wait()?;
        let _ = std::fs::remove_dir_all(&self.dir);
        if !status.success() {
            return Err(format!("mrtdd exited with {status}").into());
        }
        Ok(())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn status_kib(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> BenchResult<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).ok_or("malformed /proc/pid/stat")?;
    // After the command: state (field 3) ... utime is field 14, stime field 15.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<u64>().ok()).ok_or("malformed /proc/pid/stat");
    Ok(field(14)? + field(15)?)
}

/// CPU used over a window.
struct Cpu {
    ticks: u64,
    window: Duration,
}

impl std::fmt::Display for Cpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hz = clock_ticks_per_second();
        let cpu_ms = self.ticks * 1000 / hz;
        let share = cpu_ms as f64 / self.window.as_millis().max(1) as f64 * 100.0;
        write!(f, "{cpu_ms} ms ({} ticks of 1/{hz} s) = {share:.3} % of one core", self.ticks)
    }
}

fn clock_ticks_per_second() -> u64 {
    command_line("getconf", &["CLK_TCK"]).trim().parse().unwrap_or(100)
}

/// Samples the daemon's VmRSS until stopped; returns the largest sample (KiB).
struct RssSampler {
    stop: Arc<AtomicBool>,
    max: Arc<Mutex<u64>>,
    thread: Option<JoinHandle<()>>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let max = Arc::new(Mutex::new(0));
        let (s, m) = (stop.clone(), max.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                    let rss = status_kib(&status, "VmRSS:");
                    let mut max = m.lock().unwrap_or_else(|p| p.into_inner());
                    *max = (*max).max(rss);
                }
                std::thread::sleep(RSS_SAMPLE);
            }
        });
        Self { stop, max, thread: Some(thread) }
    }

    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        *self.max.lock().unwrap_or_else(|p| p.into_inner())
    }
}

// ---- HTTP and events over the Unix socket ----

/// `POST /v1/read`; returns the APDUs of a successful read.
fn post_read(socket: &Path, body: &serde_json::Value) -> BenchResult<usize> {
    let (status, bytes) = request(socket, "POST", "/v1/read", Some(body))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)?;
    if status != 200 {
        return Err(format!("read failed: {status} {}", v["error"]["code"]).into());
    }
    Ok(v["stats"]["apdus"].as_u64().unwrap_or(0).try_into()?)
}

fn request(socket: &Path, method: &str, path: &str, body: Option<&serde_json::Value>) -> BenchResult<(u16, Vec<u8>)> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut s = UnixStream::connect(socket)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let content_type = (!body.is_empty()).then_some("application/json");
    s.write_all(request_head(method, path, content_type, body.len()).as_bytes())?;
    s.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let (status, _, body) = parse(&raw).ok_or("incomplete HTTP response")?;
    Ok((status, body))
}

/// `/v1/events`: (arrival time, event kind, data line) per event.
struct Events {
    rx: mpsc::Receiver<(Instant, String, String)>,
}

impl Events {
    fn connect(socket: &Path) -> BenchResult<Self> {
        let mut s = UnixStream::connect(socket)?;
        s.write_all(b"GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")?;
        let mut lines = BufReader::new(s);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut kind = String::new();
            let mut line = String::new();
            while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
                let l = line.trim_end_matches(['\r', '\n']);
                if let Some(k) = l.strip_prefix("event:") {
                    kind = k.trim().to_owned();
                } else if let Some(d) = l.strip_prefix("data:")
                    && !kind.is_empty()
                    && tx.send((Instant::now(), std::mem::take(&mut kind), d.trim().to_owned())).is_err()
                {
                    return;
                }
                line.clear();
            }
        });
        Ok(Self { rx })
    }

    fn drain(&self) -> usize {
        self.rx.try_iter().count()
    }

    /// Arrival time of the first event matching `want`.
    fn wait(&self, want: impl Fn(&str, &str) -> bool) -> BenchResult<Instant> {
        let deadline = Instant::now() + WAIT;
        loop {
            let (at, kind, data) = self.rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))?;
            if want(&kind, &data) {
                return Ok(at);
            }
        }
    }
}

// ---- figures ----

struct Summary {
    median: Duration,
    p90: Duration,
    min: Duration,
    max: Duration,
}

impl Summary {
    fn of(times: &mut [Duration]) -> Self {
        times.sort_unstable();
        Self {
            median: percentile(times, 50),
            p90: percentile(times, 90),
            min: times.first().copied().unwrap_or_default(),
            max: times.last().copied().unwrap_or_default(),
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "median {:>7.1} ms  p90 {:>7.1} ms  (min {:.1}, max {:.1})",
            self.median.as_secs_f64() * 1e3,
            self.p90.as_secs_f64() * 1e3,
            self.min.as_secs_f64() * 1e3,
            self.max.as_secs_f64() * 1e3
        )
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// Nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    sorted.get(rank - 1).copied().unwrap_or_default()
}

// ---- environment ----

/// Why the bench cannot run here, if it cannot.
fn not_ready() -> Option<String> {
    if !Path::new(PCSCD_SOCKET).exists() {
        return Some(format!("pcscd is not running ({PCSCD_SOCKET} missing)"));
    }
    if mrtdd::pcsc::establish().is_err() {
        return Some("pcscd does not answer".into());
    }
    let missing: Vec<&str> = VPCD_PORTS_HEX.iter().copied().filter(|p| !listening(p)).collect();
    if !missing.is_empty() {
        return Some(format!("vpcd is not listening (ports 0x{})", missing.join(", 0x")));
    }
    None
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| {
            let text = if o.stdout.is_empty() { o.stderr } else { o.stdout };
            String::from_utf8_lossy(&text).lines().next().unwrap_or_default().trim().to_owned()
        })
        .unwrap_or_else(|_| "unknown".into())
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} CPUs ({model})")
}
