//! The real daemon binary (`mrtdd`, without `--simulate`: the PC/SC backend)
//! driven over its Unix socket, with a real pcscd and the vpcd virtual
//! reader underneath:
//!
//! * Debian's `vicc` ePass emulator as the card on `Virtual PCD 00 00`
//!   (BAC reads of the demo CCCD, TD1, and the ICAO specimen passport, TD3);
//! * the project's software chip on `Virtual PCD 00 01` (PACE with the CAN
//!   and with the CCCD's QR text, passive authentication with and without a
//!   trust store, a card removed mid-read);
//! * pcscd stopped and restarted under the running daemon;
//! * the error codes only a PC/SC backend produces (`no_card`,
//!   `reader_not_found`, `pcsc_unavailable`) and `wait_for_card_ms`.
//!
//! After every test the daemon stops cleanly on SIGTERM (exit 0, socket
//! removed) and its log (level debug) holds none of the documents' personal
//! data. The log is kept as `target/test-logs/e2e_daemon_pcscd-<tag>.log`,
//! and the events a test received as `...-<tag>-events.log`.
//!
//! Needs `MRTDD_E2E=1` and pcscd with vpcd running (scripts/test.sh does
//! both); otherwise each test says why it is skipped and passes. The pcscd
//! restart test also needs `MRTDD_PCSCD_PIDFILE` (and `MRTDD_PCSCD_BIN`,
//! optionally `MRTDD_PCSCD_LOG`), exported by scripts/test.sh: it stops the
//! pcscd the file names and writes the PID of the one it starts back into
//! it, exactly like tests/e2e_monitor.rs. Without the file it skips.
//!
//! The tests of this binary share pcscd and both readers: they run one at a
//! time ([`LOCK`]).
#![cfg(feature = "software-chip")]

use base64::Engine;
use mrtdd::api::{ErrorBody, ErrorCode, Event, Health, ReadResponse, Readers};
use mrtdd::chip::{Document, Fault, SoftwareChip};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[path = "support/e2e.rs"]
mod e2e;
#[path = "support/http.rs"]
mod http;
#[path = "support/pcscd.rs"]
mod pcscd;

use e2e::{FileDir, VpcdCard, launch_vicc, say, stop_gently, wait_ready};
use http::{Spawned as Daemon, parse_read, request_json, test_log};
use pcscd::{Pcscd, alive};

/// vpcd's first reader: vicc is the card here (card side on TCP 35963).
const VICC_READER: &str = "Virtual PCD 00 00";
const VICC_PORT: u16 = 35963;
/// vpcd's second reader: the software chip is the card here.
const CHIP_READER: &str = "Virtual PCD 00 01";
const CHIP_ADDR: &str = "127.0.0.1:35964";
/// How long the emulator may take to connect to vpcd.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a card insertion or removal may take to show in `/v1/readers`
/// (pcscd polls vpcd every 400 ms; the daemon's monitor follows pcscd).
const CARD_STATE_TIMEOUT: Duration = Duration::from_secs(8);
/// A little over pcscd's 400 ms poll of vpcd: a removal must be seen before the next insertion.
const VPCD_POLL_PERIOD: Duration = Duration::from_millis(500);
/// Longest wait for pcscd to exit or to come up, and for the daemon to see it.
const PCSCD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an event may take to reach a subscriber.
const EVENT_TIMEOUT: Duration = Duration::from_secs(8);

/// `target/test-logs/e2e_daemon_pcscd-<name>.log` (the directory created).
fn log_path(name: &str) -> PathBuf {
    test_log(&format!("e2e_daemon_pcscd-{name}.log"))
}

const DEMO_CAN: &str = "012345";
const DEMO_QR: &str = "001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021";

/// The documents' personal data: none of it may reach the daemon's log.
const SECRETS: [&str; 19] = [
    "NGUYEN",
    "Nguyễn",
    "VAN AN",
    "095012345",
    "001095012345",
    "012345",
    "950312",
    "350312",
    "1995-03-12",
    "2035-03-12",
    "Hà Nội",
    "ERIKSSON",
    "ANNA MARIA",
    "L898902C3",
    "740812",
    "120415",
    "1974-08-12",
    "ZE184226B",
    "IDVNM",
];

/// One test at a time: they share pcscd, both readers and the daemon's view of them.
static LOCK: Mutex<()> = Mutex::new(());

/// True when the end-to-end tests should run; otherwise says why not.
fn enabled(test: &str) -> bool {
    if std::env::var_os("MRTDD_E2E").is_some() {
        return true;
    }
    say(format_args!(
        "skipping {test}: set MRTDD_E2E=1 with pcscd (vpcd) running to run the end-to-end tests \
         (scripts/test.sh does both)"
    ));
    false
}

fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

// ---- the daemon ----

/// The daemon on the PC/SC backend, stopped with SIGTERM by [`Daemon::stop`]
/// (killed on drop otherwise); its stderr goes to a log file.
impl Daemon {
    /// Starts `mrtdd --config` (log level debug) with `args`, and waits until
    /// it answers, sees pcscd, and lists both vpcd readers.
    fn start(tag: &str, extra_config: &str, args: &[&std::ffi::OsStr]) -> Self {
        let config = format!("log_level = \"debug\"\n{extra_config}");
        let started = Instant::now();
        let daemon = Self::spawn_with("e2e-daemon", tag, &config, log_path(tag), |c| {
            c.args(args).stdin(Stdio::null());
        });
        daemon.wait_until("pcsc ok and both vpcd readers listed", PCSCD_TIMEOUT, |d| {
            let h: Health = d.get("/v1/health");
            let r: Readers = d.get("/v1/readers");
            h.pcsc == "ok" && [VICC_READER, CHIP_READER].iter().all(|n| r.readers.iter().any(|r| r.name == *n))
        });
        say(format_args!("{tag}: daemon ready in {} ms", started.elapsed().as_millis()));
        daemon
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn request(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> (u16, Vec<u8>) {
        request_json(&self.socket, method, path, body)
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.request("GET", path, None);
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }

    fn health(&self) -> Health {
        self.get("/v1/health")
    }

    fn read(&self, body: serde_json::Value) -> Result<ReadResponse, (u16, ErrorBody)> {
        read(&self.socket, &body)
    }

    /// Expects the read to fail with `code` (and its HTTP status).
    fn read_err(&self, body: serde_json::Value, code: ErrorCode) -> ErrorBody {
        let (status, e) = self.read(body).map(|_| ()).expect_err("the read must fail");
        assert_eq!((status, e.error.code), (code.http_status(), code), "{}", e.error.message);
        assert!(!e.error.message.is_empty());
        e
    }

    /// `Some(card_present)` of `reader` in `/v1/readers`.
    fn card_present(&self, reader: &str) -> Option<bool> {
        let r: Readers = self.get("/v1/readers");
        r.readers.iter().find(|r| r.name == reader).map(|r| r.card_present)
    }

    /// Polls until `ready` holds; panics after `timeout`. Returns how long it took.
    fn wait_until(&self, what: &str, timeout: Duration, ready: impl Fn(&Self) -> bool) -> Duration {
        let started = Instant::now();
        while !ready(self) {
            assert!(started.elapsed() < timeout, "not within {timeout:?}: {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
        started.elapsed()
    }

    /// Waits until the daemon shows `reader` with (or without) a card.
    fn wait_card(&self, reader: &str, present: bool) -> Duration {
        let what = format!("{reader} card_present = {present}");
        self.wait_until(&what, CARD_STATE_TIMEOUT, |d| d.card_present(reader) == Some(present))
    }

    /// Waits until `reader` is empty, then for vpcd's poll (a card connecting
    /// before pcscd saw the last removal leaves the reader stuck empty).
    fn wait_empty(&self, reader: &str) {
        self.wait_card(reader, false);
        std::thread::sleep(VPCD_POLL_PERIOD);
    }

    /// SIGTERM; the daemon must exit 0 within 10 s and remove its socket.
    /// Returns its log, checked for personal data.
    fn stop(mut self) -> String {
        let started = Instant::now();
        let status = self.stop_within_10s();
        assert!(status.success(), "mrtdd exited with {status}: {}", self.log_text());
        let stop_ms = started.elapsed().as_millis();
        assert!(!self.socket.exists(), "the socket file is removed at shutdown");
        let log = self.log_text();
        assert!(log.contains("mrtdd stopped"), "{log}");
        assert_no_personal_data(&log);
        say(format_args!("daemon stopped on SIGTERM in {stop_ms} ms; log {} bytes, no personal data", log.len()));
        log
    }
}

/// The log holds none of [`SECRETS`]. Each line's leading timestamp is left
/// out: its microseconds could spell a date or a CAN by chance.
fn assert_no_personal_data(log: &str) {
    e2e::assert_no_personal_data(log, &SECRETS, "the daemon's log");
}

/// `POST /v1/read`: the response, or the status and error body.
fn read(socket: &Path, body: &serde_json::Value) -> Result<ReadResponse, (u16, ErrorBody)> {
    parse_read(request_json(socket, "POST", "/v1/read", Some(body)))
}

/// An SSE subscriber: a thread parses the stream into a channel (it ends
/// when the daemon closes the stream).
struct Subscriber {
    rx: mpsc::Receiver<Event>,
}

impl Subscriber {
    /// Subscribes to `daemon`'s events; each one is also appended to
    /// `e2e_daemon_pcscd-<tag>-events.log`.
    fn connect(daemon: &Daemon) -> Self {
        Self { rx: e2e::subscribe(&daemon.socket, log_path(&format!("{}-events", daemon.tag))) }
    }

    /// Events up to and including the first matching `want`; panics after `timeout`.
    fn until(&self, timeout: Duration, want: impl Fn(&Event) -> bool) -> Vec<Event> {
        e2e::until(&self.rx, timeout, want)
    }
}

// ---- the cards ----

/// Debian's vicc emulating `doc` in [`VICC_READER`] until stopped.
struct Vicc {
    child: Option<Child>,
    _files: FileDir,
}

impl Vicc {
    /// Starts the launcher (the reader must be empty) and waits until the daemon sees the card.
    fn insert(daemon: &Daemon, tag: &str, doc: &Document) -> Self {
        assert_eq!(daemon.card_present(VICC_READER), Some(false), "{VICC_READER} must be empty");
        let files = FileDir::new("e2e-daemon-files", tag, &doc.files());
        let (child, ready) = launch_vicc(files.path(), VICC_PORT, None);
        let vicc = Self { child: Some(child), _files: files };
        wait_ready(ready, READY_TIMEOUT);
        daemon.wait_card(VICC_READER, true);
        vicc
    }

    /// Stops the emulator (SIGTERM, then SIGKILL after 3 s) and waits until the daemon shows the reader empty.
    fn remove(mut self, daemon: &Daemon) {
        self.kill();
        daemon.wait_empty(VICC_READER);
    }

    fn kill(&mut self) {
        if let Some(child) = self.child.take() {
            stop_gently(child);
        }
    }
}

impl Drop for Vicc {
    fn drop(&mut self) {
        self.kill();
        // A failed test must not leave the reader stuck for the next one.
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The software chip in [`CHIP_READER`] until removed or dropped.
struct Card(VpcdCard);

impl Card {
    /// Puts `chip` into the reader without waiting (for a card placed while a read waits).
    fn place(chip: SoftwareChip) -> Self {
        Self(VpcdCard::place(chip, CHIP_ADDR))
    }

    /// Puts `chip` into the (empty) reader and waits until the daemon sees it.
    fn insert(daemon: &Daemon, chip: SoftwareChip) -> Self {
        assert_eq!(daemon.card_present(CHIP_READER), Some(false), "{CHIP_READER} must be empty");
        let card = Self::place(chip);
        daemon.wait_card(CHIP_READER, true);
        card
    }

    /// Takes the card away (its bridge thread ends) and waits until the daemon shows the reader empty.
    fn remove(mut self, daemon: &Daemon) -> SoftwareChip {
        let chip = self.0.take();
        daemon.wait_empty(CHIP_READER);
        chip
    }
}

impl Drop for Card {
    fn drop(&mut self) {
        if self.0.stop() {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

fn demo_chip() -> SoftwareChip {
    SoftwareChip::new(Document::cccd_demo().unwrap())
}

fn can_read(reader: &str) -> serde_json::Value {
    serde_json::json!({"reader": reader, "key": {"can": DEMO_CAN}})
}

// ---- checks ----

/// The portrait of the response is the image inside `doc`'s DG2, byte for byte.
fn assert_portrait(read: &ReadResponse, doc: &Document) {
    let dg2 = doc.file(0x0102).expect("DG2 on the card");
    let expected = mrtdd::protocol::lds::dg2::parse(dg2).unwrap().expect("an image in DG2");
    let p = read.portrait.as_ref().expect("a portrait");
    assert_eq!(p.mime_type, "image/jpeg");
    let bytes = base64::engine::general_purpose::STANDARD.decode(&p.data).unwrap();
    assert_eq!(bytes, *expected.image, "the portrait is the chip's bytes, not re-encoded");
    assert_eq!((p.width, p.height), (expected.width, expected.height));
    let file = base64::engine::general_purpose::STANDARD.decode(&read.files["DG2"]).unwrap();
    assert_eq!(file, dg2, "files.DG2 is DG2 as the card holds it");
}

/// `files` holds exactly `names`, and every data group read has a valid hash.
fn assert_files_and_hashes(read: &ReadResponse, names: &[&str]) {
    let got: Vec<&str> = read.files.keys().map(String::as_str).collect();
    let mut want = names.to_vec();
    want.sort_unstable();
    let mut got_sorted = got.clone();
    got_sorted.sort_unstable();
    assert_eq!(got_sorted, want, "files read");
    let dgs: Vec<&str> = names.iter().copied().filter(|n| n.starts_with("DG")).collect();
    let mut checked: Vec<&str> = read.verification.data_groups.keys().map(String::as_str).collect();
    checked.sort_unstable();
    let mut dgs_sorted = dgs.clone();
    dgs_sorted.sort_unstable();
    assert_eq!(checked, dgs_sorted, "data groups checked");
    for (dg, v) in &read.verification.data_groups {
        assert_eq!(v, "valid", "{dg}");
    }
    assert!(read.verification.missing_data_groups.is_empty(), "{:?}", read.verification.missing_data_groups);
}

/// The demo CCCD's DG1 and DG13 as the response shows them.
fn assert_demo_cccd(read: &ReadResponse) {
    let doc = read.document.as_ref().expect("DG1");
    assert_eq!(
        (doc.document_type.as_str(), doc.issuing_state.as_str(), doc.document_number.as_str()),
        ("ID", "VNM", "095012345")
    );
    assert_eq!((doc.surname.as_str(), doc.given_names.as_str(), doc.nationality.as_str()), ("NGUYEN", "VAN AN", "VNM"));
    assert_eq!(
        (doc.date_of_birth.as_str(), doc.date_of_expiry.as_str(), doc.sex.as_str()),
        ("1995-03-12", "2035-03-12", "M")
    );
    assert_eq!(doc.optional_data, "001095012345<<6");
    assert!(doc.check_digit_failures.is_empty());
    assert_eq!(doc.mrz.lines().count(), 3, "TD1: three lines");
    let cccd = read.cccd.as_ref().expect("DG13");
    assert_eq!(cccd.id_number.as_deref(), Some("001095012345"));
    assert_eq!(cccd.full_name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(cccd.date_of_birth.as_deref(), Some("1995-03-12"));
}

/// The ICAO specimen's DG1.
fn assert_specimen(read: &ReadResponse) {
    let doc = read.document.as_ref().expect("DG1");
    assert_eq!(
        (doc.document_type.as_str(), doc.issuing_state.as_str(), doc.document_number.as_str()),
        ("P", "UTO", "L898902C3")
    );
    assert_eq!(
        (doc.surname.as_str(), doc.given_names.as_str(), doc.nationality.as_str()),
        ("ERIKSSON", "ANNA MARIA", "UTO")
    );
    assert_eq!(
        (doc.date_of_birth.as_str(), doc.date_of_expiry.as_str(), doc.sex.as_str()),
        ("1974-08-12", "2012-04-15", "F")
    );
    assert_eq!(doc.optional_data, "ZE184226B");
    assert!(doc.check_digit_failures.is_empty());
    assert_eq!(doc.mrz.lines().count(), 2, "TD3: two lines");
    assert!(read.cccd.is_none());
}

// ---- pcscd control (only with the PID file of scripts/test.sh) ----

impl Pcscd {
    fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(&self.pidfile).ok()?.trim().parse().ok()
    }

    /// Stops the running pcscd (SIGTERM) and waits until it is gone.
    fn stop(&self) {
        let pid = self.pid().unwrap_or_else(|| panic!("no PID in {}", self.pidfile.display()));
        self.terminate(pid, PCSCD_TIMEOUT);
    }

    /// Starts pcscd, records its PID in the PID file, waits for vpcd's ports.
    fn start(&self) -> Result<(), String> {
        self.start_vpcd(PCSCD_TIMEOUT)
    }
}

/// Starts pcscd again if a failed test left it stopped (the next tests need it).
struct RestorePcscd<'a>(&'a Pcscd);

impl Drop for RestorePcscd<'_> {
    fn drop(&mut self) {
        if !self.0.pid().is_some_and(alive)
            && let Err(e) = self.0.start()
        {
            say(format_args!("could not restart pcscd after a failed test: {e}"));
        }
    }
}

// ---- the tests ----

#[test]
fn vicc_bac_reads_of_td1_and_td3_through_the_daemon() {
    if !enabled("vicc_bac_reads_of_td1_and_td3_through_the_daemon") {
        return;
    }
    let _lock = lock();
    let cccd = Document::cccd_demo().unwrap();
    let specimen = Document::td3_specimen().unwrap();
    // Both documents' CSCAs trusted: the verdict then turns on the chip alone.
    let store = TrustStore::new("vicc", &[cccd.csca_certificate(), specimen.csca_certificate()]);
    let d = Daemon::start("vicc", "", &store.args());
    assert!(d.health().trust_anchors >= 1);
    let cases: [ViccCase<'_>; 2] = [
        // vicc cannot do Chip or Active Authentication: with the demo CCCD's
        // DG14 and DG15 on it, it is a chip holding copied files without their
        // keys — a clone — and the verdict must fail although every hash and
        // the SOD signature hold.
        ViccCase(
            "cccd-td1",
            &cccd,
            serde_json::json!({"document_number": "095012345", "date_of_birth": "950312", "date_of_expiry": "350312"}),
            &["EF.COM", "EF.SOD", "DG1", "DG2", "DG13", "DG14", "DG15"],
            ["failed", "failed", "failed"],
        ),
        // The specimen has no DG14/DG15: passive authentication decides.
        ViccCase(
            "specimen-td3",
            &specimen,
            serde_json::json!({"document_number": "L898902C3", "date_of_birth": "740812", "date_of_expiry": "120415"}),
            &["EF.COM", "EF.SOD", "DG1", "DG2", "DG11", "DG12"],
            ["not_supported", "not_supported", "passed"],
        ),
    ];
    for ViccCase(tag, doc, triple, files, [ca, aa, status]) in cases {
        let vicc = Vicc::insert(&d, tag, doc);
        for key in [serde_json::json!({"mrz": doc.mrz()}), triple.clone()] {
            let form = if key.get("mrz").is_some() { "mrz" } else { "document_number/date_of_birth/date_of_expiry" };
            let started = Instant::now();
            let read = d
                .read(serde_json::json!({"reader": VICC_READER, "key": key}))
                .unwrap_or_else(|e| panic!("{tag} ({form}): {e:?}"));
            let ms = started.elapsed().as_millis();
            assert_eq!(read.reader, VICC_READER);
            assert_eq!((read.access.method.as_str(), read.access.key.as_str()), ("bac", "mrz"), "{tag}");
            if tag == "cccd-td1" {
                assert_demo_cccd(&read);
            } else {
                assert_specimen(&read);
            }
            assert_portrait(&read, doc);
            assert_files_and_hashes(&read, files);
            let v = &read.verification;
            assert_eq!((v.sod_signature.as_str(), v.certificate_chain.as_str()), ("valid", "trusted"), "{tag}: {v:?}");
            assert_eq!(
                (v.chip_authentication.as_str(), v.active_authentication.as_str(), v.status.as_str()),
                (ca, aa, status),
                "{tag}: {v:?}"
            );
            assert!(read.stats.apdus > 10 && read.stats.bytes_read > 5_000, "{:?}", read.stats);
            say(format_args!(
                "{tag} via vicc, key {form}: {ms} ms ({} APDUs, {} bytes); verification {}",
                read.stats.apdus, read.stats.bytes_read, v.status
            ));
        }
        vicc.remove(&d);
    }
    d.stop();
}

/// One vicc case: tag, document, its document_number/date_of_birth/date_of_expiry key, the files
/// expected, and the expected chip authentication, active authentication and verdict.
struct ViccCase<'a>(&'a str, &'a Document, serde_json::Value, &'a [&'a str], [&'a str; 3]);

/// A temporary trust store directory of DER certificates; removed on drop.
struct TrustStore(PathBuf);

impl TrustStore {
    fn new(tag: &str, certificates: &[&[u8]]) -> Self {
        let dir = std::env::temp_dir().join(format!("mrtdd-e2e-daemon-trust-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, der) in certificates.iter().enumerate() {
            std::fs::write(dir.join(format!("csca-{i}.der")), der).unwrap();
        }
        Self(dir)
    }

    /// `--trust-store DIR`.
    fn args(&self) -> [&std::ffi::OsStr; 2] {
        [std::ffi::OsStr::new("--trust-store"), self.0.as_os_str()]
    }
}

impl Drop for TrustStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn software_chip_pace_with_can_and_qr_with_and_without_a_trust_store() {
    if !enabled("software_chip_pace_with_can_and_qr_with_and_without_a_trust_store") {
        return;
    }
    let _lock = lock();
    let doc = Document::cccd_demo().unwrap();
    let store = TrustStore::new("pace", &[doc.csca_certificate()]);

    // Without a trust store.
    let d = Daemon::start("pace", "", &[]);
    assert_eq!(d.health().trust_anchors, 0);
    let card = Card::insert(&d, SoftwareChip::new(doc.clone()));
    for (form, key) in
        [("can", serde_json::json!({"can": DEMO_CAN})), ("cccd_qr", serde_json::json!({"cccd_qr": DEMO_QR}))]
    {
        let started = Instant::now();
        let read = d.read(serde_json::json!({"reader": CHIP_READER, "key": key})).unwrap();
        let ms = started.elapsed().as_millis();
        assert_eq!((read.access.method.as_str(), read.access.key.as_str()), ("pace", "can"));
        assert_eq!(read.reader, CHIP_READER);
        assert_demo_cccd(&read);
        assert_portrait(&read, &doc);
        assert_files_and_hashes(&read, &["EF.CardAccess", "EF.COM", "EF.SOD", "DG1", "DG2", "DG13", "DG14", "DG15"]);
        let v = &read.verification;
        assert_eq!((v.status.as_str(), v.certificate_chain.as_str()), ("undetermined", "unknown_issuer"), "{v:?}");
        assert_eq!(v.sod_signature, "valid");
        say(format_args!("PACE via the daemon, no trust store, key {form}: {ms} ms, {} APDUs", read.stats.apdus));
    }
    d.stop();

    // With the document's CSCA in the trust store (the card stays in the reader).
    let d = Daemon::start("pace-trusted", "", &store.args());
    assert_eq!(d.health().trust_anchors, 1);
    assert_eq!(d.card_present(CHIP_READER), Some(true));
    for key in [serde_json::json!({"can": DEMO_CAN}), serde_json::json!({"cccd_qr": DEMO_QR})] {
        let read = d.read(serde_json::json!({"reader": CHIP_READER, "key": key})).unwrap();
        assert_eq!((read.access.method.as_str(), read.access.key.as_str()), ("pace", "can"));
        assert_demo_cccd(&read);
        let v = &read.verification;
        assert_eq!((v.status.as_str(), v.certificate_chain.as_str()), ("passed", "trusted"), "{v:?}");
        assert_eq!(v.sod_signature, "valid");
        assert_eq!(v.chip_authentication, "passed");
    }
    let chip = card.remove(&d);
    assert_eq!(chip.pace_attempts(), 4);
    d.stop();
}

#[test]
fn card_removed_mid_read_then_the_next_read_works() {
    if !enabled("card_removed_mid_read_then_the_next_read_works") {
        return;
    }
    let _lock = lock();
    let d = Daemon::start("removed", "", &[]);
    let events = Subscriber::connect(&d);
    // The chip leaves the field at its 20th APDU: after PACE, while files are read.
    let chip = SoftwareChip::with_faults(Document::cccd_demo().unwrap(), [Fault::CardRemoved.at_apdu(20)]);
    let card = Card::insert(&d, chip);
    events.until(EVENT_TIMEOUT, |e| matches!(e, Event::CardInserted { reader, .. } if reader == CHIP_READER));

    let started = Instant::now();
    let e = d.read_err(can_read(CHIP_READER), ErrorCode::CardRemoved);
    let failed_ms = started.elapsed().as_millis();
    assert!(!e.error.message.contains(DEMO_CAN));
    let h = d.health();
    assert_eq!((h.status.as_str(), h.pcsc.as_str()), ("ok", "ok"));
    let got = events.until(EVENT_TIMEOUT, |e| matches!(e, Event::ReadFailed { .. }));
    let Some(Event::ReadFailed { read_id, code }) = got.last() else { unreachable!() };
    assert_eq!(*code, ErrorCode::CardRemoved);
    assert!(
        got.iter()
            .any(|e| matches!(e, Event::ReadStarted { read_id: r, reader } if r == read_id && reader == CHIP_READER)),
        "{got:?}"
    );
    assert!(got.iter().any(|e| matches!(e, Event::ReadProgress { read_id: r, .. } if r == read_id)), "{got:?}");
    // The card's leaving shows as an event (before or after read_failed) and in /v1/readers.
    if !got.iter().any(|e| matches!(e, Event::CardRemoved { reader } if reader == CHIP_READER)) {
        events.until(EVENT_TIMEOUT, |e| matches!(e, Event::CardRemoved { reader } if reader == CHIP_READER));
    }
    let chip = card.remove(&d);
    assert!(chip.apdu_count() >= 20, "the card left before the read got far ({} APDUs)", chip.apdu_count());

    // The card placed again: the next read works.
    let card = Card::insert(&d, demo_chip());
    events.until(EVENT_TIMEOUT, |e| matches!(e, Event::CardInserted { reader, .. } if reader == CHIP_READER));
    let read = d.read(can_read(CHIP_READER)).unwrap();
    assert_demo_cccd(&read);
    let got =
        events.until(EVENT_TIMEOUT, |e| matches!(e, Event::ReadFinished { read_id, .. } if *read_id == read.read_id));
    assert!(got.iter().any(|e| matches!(e, Event::ReadStarted { read_id, .. } if *read_id == read.read_id)));
    let _ = card.remove(&d);
    events.until(EVENT_TIMEOUT, |e| matches!(e, Event::CardRemoved { reader } if reader == CHIP_READER));
    d.stop();
    say(format_args!("card removed mid-read: card_removed (422) after {failed_ms} ms; the next read worked"));
}

#[test]
fn pcscd_restarted_under_the_running_daemon() {
    if !enabled("pcscd_restarted_under_the_running_daemon") {
        return;
    }
    let Some(pcscd) = Pcscd::from_env("pcscd_restarted_under_the_running_daemon") else { return };
    let _lock = lock();
    let _restore = RestorePcscd(&pcscd);
    let d = Daemon::start("restart", "", &[]);
    let events = Subscriber::connect(&d);
    // The card stays in the reader through the restart: the bridge reconnects to the new vpcd.
    let card = Card::insert(&d, demo_chip());
    assert_demo_cccd(&d.read(can_read(CHIP_READER)).unwrap());

    let stopped_at = Instant::now();
    pcscd.stop();
    let unavailable_after =
        d.wait_until("health: pcsc unavailable", PCSCD_TIMEOUT, |d| d.health().pcsc == "unavailable");
    let h = d.health();
    assert_eq!(h.status, "ok", "the daemon itself stays up");
    // The reader list cannot be known meanwhile.
    let (status, body) = d.request("GET", "/v1/readers", None);
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, e.error.code), (503, ErrorCode::PcscUnavailable));
    events.until(EVENT_TIMEOUT, |e| matches!(e, Event::PcscStatus { pcsc } if pcsc == "unavailable"));
    let refused_at = Instant::now();
    d.read_err(can_read(CHIP_READER), ErrorCode::PcscUnavailable);
    d.read_err(serde_json::json!({"key": {"can": DEMO_CAN}}), ErrorCode::PcscUnavailable);
    let refused_ms = refused_at.elapsed().as_millis();
    assert!(refused_ms < 1000, "pcsc_unavailable is answered at once, not after {refused_ms} ms");
    // Away long enough for the daemon's backoff to grow.
    std::thread::sleep(Duration::from_millis(1500));
    d.read_err(can_read(CHIP_READER), ErrorCode::PcscUnavailable);

    let restarted_at = Instant::now();
    pcscd.start().unwrap();
    let pcscd_up_ms = restarted_at.elapsed().as_millis();
    let ok_after = d.wait_until("health: pcsc ok after the restart", PCSCD_TIMEOUT, |d| d.health().pcsc == "ok");
    // The monitor's backoff is capped at 5 s: back within a few seconds.
    assert!(ok_after < Duration::from_secs(6), "pcsc ok only {ok_after:?} after pcscd came back");
    events.until(EVENT_TIMEOUT, |e| matches!(e, Event::PcscStatus { pcsc } if pcsc == "ok"));
    let card_after = d.wait_card(CHIP_READER, true);
    let read_started = Instant::now();
    let read = d.read(can_read(CHIP_READER)).unwrap();
    assert_demo_cccd(&read);
    say(format_args!(
        "pcscd restart under the daemon: health unavailable {} ms after the stop; pcscd up in {pcscd_up_ms} ms; \
         health ok {} ms later; card back {} ms later; read {} ms; whole cycle {} ms",
        unavailable_after.as_millis(),
        ok_after.as_millis(),
        card_after.as_millis(),
        read_started.elapsed().as_millis(),
        stopped_at.elapsed().as_millis()
    ));
    let _ = card.remove(&d);
    d.stop();
}

#[test]
fn no_card_wait_for_card_and_reader_not_found() {
    if !enabled("no_card_wait_for_card_and_reader_not_found") {
        return;
    }
    let _lock = lock();
    let d = Daemon::start("errors", "", &[]);
    assert_eq!(d.card_present(CHIP_READER), Some(false));

    d.read_err(
        serde_json::json!({"reader": "No Such Reader 00 00", "key": {"can": DEMO_CAN}}),
        ErrorCode::ReaderNotFound,
    );

    let started = Instant::now();
    d.read_err(can_read(CHIP_READER), ErrorCode::NoCard);
    let no_wait_ms = started.elapsed().as_millis();
    assert!(no_wait_ms < 1000, "no_card without a wait took {no_wait_ms} ms");
    let started = Instant::now();
    d.read_err(
        serde_json::json!({"reader": CHIP_READER, "key": {"can": DEMO_CAN}, "wait_for_card_ms": 300}),
        ErrorCode::NoCard,
    );
    let waited_ms = started.elapsed().as_millis();
    assert!((300..1500).contains(&waited_ms), "no_card after {waited_ms} ms (wait 300)");
    // No reader named and no card anywhere.
    d.read_err(serde_json::json!({"key": {"can": DEMO_CAN}}), ErrorCode::NoCard);

    // A card placed while the read waits for one is read.
    let placer = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(700));
        Card::place(demo_chip())
    });
    let started = Instant::now();
    let read =
        d.read(serde_json::json!({"reader": CHIP_READER, "key": {"can": DEMO_CAN}, "wait_for_card_ms": 8000})).unwrap();
    let read_ms = started.elapsed().as_millis();
    let card = placer.join().unwrap();
    assert!(read_ms >= 700, "read done after {read_ms} ms, before the card was placed");
    assert_demo_cccd(&read);

    // The same card with a wrong CAN: wrong_key; with no reader named, the only card is found.
    d.read_err(serde_json::json!({"reader": CHIP_READER, "key": {"can": "999999"}}), ErrorCode::WrongKey);
    let read = d.read(serde_json::json!({"key": {"can": DEMO_CAN}})).unwrap();
    assert_eq!(read.reader, CHIP_READER);
    let _ = card.remove(&d);
    d.stop();
    say(format_args!(
        "errors: no_card after {no_wait_ms} ms (wait 0) and {waited_ms} ms (wait 300); \
         card placed at 700 ms during an 8 s wait, read done at {read_ms} ms"
    ));
}
