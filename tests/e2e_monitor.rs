//! The PC/SC backend of the daemon (`mrtdd::service::pcsc_backend`) against
//! a real pcscd: reader and card events from its monitor thread, reads
//! through `with_card`, a card removed mid-read, and pcscd missing at
//! start-up or restarted under a running backend (no leaked descriptors or
//! threads afterwards).
//!
//! The card is the project's software chip attached to vpcd's second reader
//! (`mrtdd::chip::vpcd`, TCP 35964 = `Virtual PCD 00 01`).
//!
//! Needs `MRTDD_E2E=1` and pcscd with vpcd running (scripts/test.sh does
//! both). The tests that stop and start pcscd also need
//! `MRTDD_PCSCD_PIDFILE` (the file naming the running pcscd),
//! `MRTDD_PCSCD_BIN` and optionally `MRTDD_PCSCD_LOG`, all exported by
//! scripts/test.sh: they stop the pcscd the file names and write the PID of
//! the one they start back into it, so the script's cleanup stops the right
//! process. Without the file they skip.
#![cfg(feature = "software-chip")]

use mrtdd::api::{ErrorCode, Event};
use mrtdd::chip::{ATR, Document, Fault, SoftwareChip};
use mrtdd::protocol::error::TransportError;
use mrtdd::protocol::read::NoHooks;
use mrtdd::protocol::session::{AccessKey, DocumentRead, ReadOptions, read_document};
use mrtdd::protocol::transceive::Transceive;
use mrtdd::service::backend::{Availability, Backend};
use mrtdd::service::error::ServiceError;
use mrtdd::service::events::EventBus;
use mrtdd::service::pcsc_backend::PcscBackend;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast::{self, error::TryRecvError};
use zeroize::Zeroizing;

#[path = "support/e2e.rs"]
mod e2e;
#[path = "support/pcscd.rs"]
mod pcscd;

use e2e::{VpcdCard, say};
use pcscd::Pcscd;

/// vpcd's second reader (the first is used by the vicc tests).
const READER: &str = "Virtual PCD 00 01";
/// vpcd's first reader: also listed, never holds a card in these tests.
const OTHER_READER: &str = "Virtual PCD 00 00";
const CARD_ADDR: &str = "127.0.0.1:35964";
/// How long an event may take: pcscd polls vpcd every 400 ms.
const EVENT_TIMEOUT: Duration = Duration::from_millis(1500);
/// A little over pcscd's 400 ms poll of vpcd: a removal must be seen before the next insertion.
const VPCD_POLL_PERIOD: Duration = Duration::from_millis(500);
/// Longest wait for pcscd to exit or to come up.
const PCSCD_TIMEOUT: Duration = Duration::from_secs(10);
const CAN: &str = "012345";
/// One test at a time: they share the reader and pcscd.
static LOCK: Mutex<()> = Mutex::new(());

fn enabled(test: &str) -> bool {
    if std::env::var_os("MRTDD_E2E").is_some() {
        // The backend's logs, for debugging: MRTDD_TEST_LOG=debug (a tracing filter).
        if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("MRTDD_TEST_LOG") {
            let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        }
        return true;
    }
    say(format_args!("skipping {test}: set MRTDD_E2E=1 with pcscd (vpcd) running (scripts/test.sh)"));
    false
}

fn can_key() -> AccessKey {
    AccessKey::Can(Zeroizing::new(CAN.into()))
}

fn read_can(backend: &PcscBackend, wait: Duration) -> Result<DocumentRead, ServiceError> {
    let cancel = AtomicBool::new(false);
    backend
        .with_card(READER, wait, &cancel, &mut |t| read_document(t, &can_key(), &ReadOptions::default(), &mut NoHooks))
}

fn assert_demo(read: &DocumentRead) {
    assert_eq!(read.dg1.as_ref().map(|d| d.mrz.document_number.as_str()), Some("095012345"));
    assert_eq!(read.cccd.as_ref().and_then(|c| c.id_number.as_deref()), Some("001095012345"));
}

/// Every event published on the bus, in order.
struct Events {
    rx: broadcast::Receiver<Event>,
}

impl Events {
    fn new(bus: &EventBus) -> Self {
        Self { rx: bus.subscribe() }
    }

    /// Waits for the first event matching `want`; returns it and how long it took.
    /// Events before it are returned too, for the caller to check.
    fn until(&mut self, timeout: Duration, want: impl Fn(&Event) -> bool) -> (Vec<Event>, Duration) {
        let started = Instant::now();
        let mut before = Vec::new();
        loop {
            match self.rx.try_recv() {
                Ok(e) if want(&e) => {
                    before.push(e);
                    return (before, started.elapsed());
                }
                Ok(e) => before.push(e),
                Err(TryRecvError::Empty) => {
                    assert!(started.elapsed() < timeout, "no matching event within {timeout:?}; got {before:?}");
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("event bus: {e:?}"),
            }
        }
    }

    /// Everything published within `quiet`.
    fn drain(&mut self, quiet: Duration) -> Vec<Event> {
        std::thread::sleep(quiet);
        let mut got = Vec::new();
        while let Ok(e) = self.rx.try_recv() {
            got.push(e);
        }
        got
    }
}

fn is(reader: &str) -> impl Fn(&Event) -> bool + '_ {
    move |e| match e {
        Event::CardInserted { reader: r, .. }
        | Event::CardRemoved { reader: r }
        | Event::ReaderAdded { reader: r }
        | Event::ReaderRemoved { reader: r } => r == reader,
        _ => false,
    }
}

fn card_inserted(e: &Event) -> bool {
    matches!(e, Event::CardInserted { reader, .. } if reader == READER)
}
fn card_removed(e: &Event) -> bool {
    matches!(e, Event::CardRemoved { reader } if reader == READER)
}
fn pcsc_status(status: &'static str) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::PcscStatus { pcsc } if pcsc == status)
}

/// The software chip in the virtual reader until removed or dropped.
struct Card(VpcdCard);

impl Card {
    /// Puts `chip` into the reader (it must be empty, as the backend sees it).
    fn insert(backend: &PcscBackend, chip: SoftwareChip) -> Self {
        assert_eq!(reader_state(backend), Some(false), "{READER} must be listed and empty");
        Self(VpcdCard::place(chip, CARD_ADDR))
    }

    /// Takes the card away; returns the chip (its bridge thread has ended).
    fn remove(mut self) -> SoftwareChip {
        self.0.take()
    }
}

/// `Some(card_present)` for [`READER`] in the backend's list.
fn reader_state(backend: &PcscBackend) -> Option<bool> {
    backend.readers().iter().find(|r| r.name == READER).map(|r| r.card_present)
}

/// Waits until the backend shows [`READER`] empty, then for vpcd's poll (the
/// stuck-empty reader pitfall of TESTSTACK.md).
fn wait_empty(backend: &PcscBackend) {
    let started = Instant::now();
    while reader_state(backend) != Some(false) {
        assert!(started.elapsed() < PCSCD_TIMEOUT, "{READER} did not become empty: {:?}", backend.readers());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(VPCD_POLL_PERIOD);
}

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or_else(|e| panic!("{dir}: {e}"))
}

/// Open file descriptors and threads of this process.
fn resources() -> (usize, usize) {
    (count("/proc/self/fd"), count("/proc/self/task"))
}

// ---- pcscd control (only with the PID file of scripts/test.sh) ----

impl Pcscd {
    fn pid(&self) -> u32 {
        let text = std::fs::read_to_string(&self.pidfile).unwrap_or_else(|e| panic!("{}: {e}", self.pidfile.display()));
        text.trim().parse().unwrap_or_else(|e| panic!("{}: {e}", self.pidfile.display()))
    }

    /// Stops the running pcscd (SIGTERM) and waits until it is gone.
    fn stop(&self) {
        self.terminate(self.pid(), PCSCD_TIMEOUT);
    }

    /// Starts pcscd, records its PID in the PID file, waits for vpcd's ports.
    fn start(&self) {
        self.start_vpcd(PCSCD_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    }
}

// ---- the tests ----

#[test]
fn card_events_and_reads() {
    if !enabled("card_events_and_reads") {
        return;
    }
    let _lock = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let bus = EventBus::new();
    let mut events = Events::new(&bus);
    let started = Instant::now();
    let backend = PcscBackend::start(bus.clone());
    let start_ms = started.elapsed().as_millis();
    assert_eq!(backend.availability(), Availability::Ok);
    let names: Vec<String> = backend.readers().into_iter().map(|r| r.name).collect();
    assert!(names.iter().any(|n| n == READER) && names.iter().any(|n| n == OTHER_READER), "{names:?}");
    // The readers present at start are announced.
    let (got, _) = events.until(EVENT_TIMEOUT, |e| matches!(e, Event::ReaderAdded { reader } if reader == READER));
    assert!(got.iter().all(|e| matches!(e, Event::ReaderAdded { .. })), "{got:?}");

    let card = Card::insert(&backend, SoftwareChip::new(Document::cccd_demo().unwrap()));
    let (got, inserted_after) = events.until(EVENT_TIMEOUT, card_inserted);
    assert_eq!(got.last(), Some(&Event::CardInserted { reader: READER.into(), atr: hex::encode_upper(ATR) }));
    let snapshot = backend.readers().into_iter().find(|r| r.name == READER).unwrap();
    assert!(snapshot.card_present);
    assert_eq!(snapshot.atr.as_deref(), Some(&ATR[..]));

    let read_started = Instant::now();
    let read = read_can(&backend, Duration::ZERO).unwrap();
    let read_ms = read_started.elapsed().as_millis();
    assert_demo(&read);
    // The read (ending with a card reset) is not a card swap.
    let quiet = events.drain(Duration::from_millis(900));
    assert!(quiet.iter().all(|e| !is(READER)(e)), "events after a read: {quiet:?}");
    // A second read works too (handles were released).
    assert_demo(&read_can(&backend, Duration::ZERO).unwrap());

    let removed_at = Instant::now();
    let chip = card.remove();
    let (got, removed_after) = events.until(EVENT_TIMEOUT, card_removed);
    assert!(got.iter().all(|e| !matches!(e, Event::ReaderRemoved { .. })), "{got:?}");
    assert_eq!(reader_state(&backend), Some(false));
    assert_eq!(chip.pace_attempts(), 2);
    let removed_ms = removed_at.elapsed().as_millis();

    let stopping = Instant::now();
    backend.shutdown();
    let shutdown_ms = stopping.elapsed().as_millis();
    assert!(shutdown_ms < 1000, "shutdown took {shutdown_ms} ms");
    say(format_args!(
        "monitor: start {start_ms} ms; card_inserted after {} ms; PACE-CAN read {read_ms} ms ({} APDUs); \
         card_removed after {} ms ({removed_ms} ms incl. bridge stop); shutdown {shutdown_ms} ms",
        inserted_after.as_millis(),
        read.stats.apdus,
        removed_after.as_millis()
    ));
}

#[test]
fn with_card_errors_and_waiting() {
    if !enabled("with_card_errors_and_waiting") {
        return;
    }
    let _lock = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let backend = PcscBackend::start(EventBus::new());
    let mut never =
        |_: &mut dyn mrtdd::protocol::transceive::Transceive| -> Result<DocumentRead, mrtdd::protocol::Error> {
            panic!("no card session expected")
        };
    let cancel = AtomicBool::new(false);

    let err = backend.with_card("No Such Reader 00 00", Duration::ZERO, &cancel, &mut never).unwrap_err();
    assert!(matches!(err, ServiceError::ReaderNotFound(_)), "{err:?}");
    assert_eq!(err.code(), ErrorCode::ReaderNotFound);

    // Empty reader: no card within the wait.
    let started = Instant::now();
    let err = backend.with_card(READER, Duration::from_millis(300), &cancel, &mut never).unwrap_err();
    let no_card_ms = started.elapsed().as_millis();
    assert_eq!(err, ServiceError::NoCard);
    assert!((300..1000).contains(&no_card_ms), "NoCard after {no_card_ms} ms");
    let err = backend.with_card(READER, Duration::ZERO, &cancel, &mut never).unwrap_err();
    assert_eq!(err, ServiceError::NoCard);

    // Cancelled while waiting: within a slice (100 ms) of the flag.
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        flag.store(true, Ordering::SeqCst);
    });
    let started = Instant::now();
    let err = backend.with_card(READER, Duration::from_secs(10), &cancel, &mut never).unwrap_err();
    let cancel_ms = started.elapsed().as_millis();
    setter.join().unwrap();
    assert_eq!(err, ServiceError::Timeout("cancelled while waiting for a card"));
    assert_eq!(err.code(), ErrorCode::Timeout);
    assert!((200..500).contains(&cancel_ms), "cancelled after {cancel_ms} ms");

    // A card placed while the read waits for one.
    let placer = {
        let chip = SoftwareChip::new(Document::cccd_demo().unwrap());
        assert_eq!(reader_state(&backend), Some(false));
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            Card::insert_unchecked(chip)
        })
    };
    let started = Instant::now();
    let read = read_can(&backend, Duration::from_secs(5)).unwrap();
    let waited_ms = started.elapsed().as_millis();
    assert_demo(&read);
    let card = placer.join().unwrap();
    let _ = card.remove();
    wait_empty(&backend);
    backend.shutdown();
    say(format_args!(
        "with_card: NoCard after {no_card_ms} ms (wait 300); cancel seen after {cancel_ms} ms (set at 200); \
         card placed at 300 ms, read done at {waited_ms} ms"
    ));
}

impl Card {
    /// Like [`Card::insert`] without the backend's view (for a card placed from another thread).
    fn insert_unchecked(chip: SoftwareChip) -> Self {
        Self(VpcdCard::place(chip, CARD_ADDR))
    }
}

#[test]
fn card_removed_mid_read_then_next_read_works() {
    if !enabled("card_removed_mid_read_then_next_read_works") {
        return;
    }
    let _lock = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let bus = EventBus::new();
    let mut events = Events::new(&bus);
    let backend = PcscBackend::start(bus.clone());
    // The chip leaves the field at its 20th APDU: after PACE, while files are read.
    let chip = SoftwareChip::with_faults(Document::cccd_demo().unwrap(), [Fault::CardRemoved.at_apdu(20)]);
    let card = Card::insert(&backend, chip);
    events.until(EVENT_TIMEOUT, card_inserted);
    let started = Instant::now();
    let err = read_can(&backend, Duration::from_secs(2)).unwrap_err();
    let failed_ms = started.elapsed().as_millis();
    assert_eq!(err.code(), ErrorCode::CardRemoved, "{err:?}");
    let (_, removed_after) = events.until(EVENT_TIMEOUT, card_removed);
    let chip = card.remove();
    assert!(chip.apdu_count() >= 20, "the card left before the read started ({} APDUs)", chip.apdu_count());

    wait_empty(&backend);
    let card = Card::insert(&backend, SoftwareChip::new(Document::cccd_demo().unwrap()));
    events.until(EVENT_TIMEOUT, card_inserted);
    let read = read_can(&backend, Duration::from_secs(2)).unwrap();
    assert_demo(&read);
    let _ = card.remove();
    events.until(EVENT_TIMEOUT, card_removed);
    wait_empty(&backend);
    backend.shutdown();
    say(format_args!(
        "card removed mid-read: {err:?} after {failed_ms} ms; card_removed event {} ms later",
        removed_after.as_millis()
    ));
}

#[test]
fn pcscd_restarted_under_a_running_backend() {
    if !enabled("pcscd_restarted_under_a_running_backend") {
        return;
    }
    let Some(pcscd) = Pcscd::from_env("pcscd_restarted_under_a_running_backend") else { return };
    let _lock = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let bus = EventBus::new();
    let mut events = Events::new(&bus);
    let backend = PcscBackend::start(bus.clone());
    // The card stays in the reader through the restarts: the bridge reconnects to the new vpcd.
    let card = Card::insert(&backend, SoftwareChip::new(Document::cccd_demo().unwrap()));
    events.until(EVENT_TIMEOUT, card_inserted);
    assert_demo(&read_can(&backend, Duration::from_secs(2)).unwrap());
    let _ = events.drain(Duration::from_millis(100));
    let before = resources();

    for cycle in 1..=2 {
        let stopped_at = Instant::now();
        pcscd.stop();
        let (got, unavailable_after) = events.until(EVENT_TIMEOUT, pcsc_status("unavailable"));
        assert!(got.iter().all(|e| !matches!(e, Event::PcscStatus { pcsc } if pcsc == "ok")), "{got:?}");
        assert_eq!(backend.availability(), Availability::Unavailable);
        // Every reader is reported gone, the card first.
        let gone = events.drain(Duration::from_millis(200));
        assert!(gone.contains(&Event::CardRemoved { reader: READER.into() }), "{gone:?}");
        assert!(gone.contains(&Event::ReaderRemoved { reader: READER.into() }), "{gone:?}");
        assert!(gone.contains(&Event::ReaderRemoved { reader: OTHER_READER.into() }), "{gone:?}");
        assert!(backend.readers().is_empty());
        let err = read_can(&backend, Duration::ZERO).unwrap_err();
        assert_eq!(err, ServiceError::PcscUnavailable);
        assert_eq!(err.code(), ErrorCode::PcscUnavailable);
        // pcscd stays away long enough for the backoff to grow (100, 200, 400, 800 ms ...).
        std::thread::sleep(Duration::from_millis(1500));
        assert!(events.drain(Duration::ZERO).is_empty(), "no events while pcscd is away");

        let restarted_at = Instant::now();
        pcscd.start();
        let pcscd_up_ms = restarted_at.elapsed().as_millis();
        let (_, ok_after) = events.until(Duration::from_secs(8), pcsc_status("ok"));
        assert_eq!(backend.availability(), Availability::Ok);
        let (got, card_after) = events.until(EVENT_TIMEOUT * 2, card_inserted);
        assert!(got.contains(&Event::ReaderAdded { reader: READER.into() }), "{got:?}");
        let read_started = Instant::now();
        assert_demo(&read_can(&backend, Duration::from_secs(2)).unwrap());
        say(format_args!(
            "pcscd restart {cycle}: unavailable {} ms after the stop; pcscd up in {pcscd_up_ms} ms; \
             ok {} ms after that; card back {} ms later; read {} ms; cycle {} ms",
            unavailable_after.as_millis(),
            ok_after.as_millis() + pcscd_up_ms,
            card_after.as_millis(),
            read_started.elapsed().as_millis(),
            stopped_at.elapsed().as_millis()
        ));
    }

    let _ = events.drain(Duration::from_millis(100));
    let after = resources();
    say(format_args!("fds/threads before the restarts {before:?}, after {after:?}"));
    assert_eq!(before, after, "file descriptors or threads leaked across pcscd restarts");
    let _ = card.remove();
    wait_empty(&backend);
    backend.shutdown();
}

#[test]
fn pcscd_missing_at_start_up() {
    if !enabled("pcscd_missing_at_start_up") {
        return;
    }
    let Some(pcscd) = Pcscd::from_env("pcscd_missing_at_start_up") else { return };
    let _lock = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    pcscd.stop();
    let bus = EventBus::new();
    let mut events = Events::new(&bus);
    let started = Instant::now();
    let backend = PcscBackend::start(bus.clone());
    let start_ms = started.elapsed().as_millis();
    assert_eq!(backend.availability(), Availability::Unavailable);
    assert!(backend.readers().is_empty());
    let (got, _) = events.until(EVENT_TIMEOUT, pcsc_status("unavailable"));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(read_can(&backend, Duration::ZERO).unwrap_err(), ServiceError::PcscUnavailable);

    // Shutdown is prompt while the monitor backs off.
    let probe = PcscBackend::start(EventBus::new());
    std::thread::sleep(Duration::from_millis(300));
    let stopping = Instant::now();
    probe.shutdown();
    let probe_shutdown_ms = stopping.elapsed().as_millis();
    assert!(probe_shutdown_ms < 200, "shutdown during backoff took {probe_shutdown_ms} ms");
    drop(probe);

    std::thread::sleep(Duration::from_millis(700));
    let restarted_at = Instant::now();
    pcscd.start();
    let pcscd_up_ms = restarted_at.elapsed().as_millis();
    let (got, ok_after) = events.until(Duration::from_secs(8), pcsc_status("ok"));
    assert_eq!(got.len(), 1, "one pcsc_status unavailable only: {got:?}");
    let (got, added_after) =
        events.until(EVENT_TIMEOUT, |e| matches!(e, Event::ReaderAdded { reader } if reader == READER));
    assert!(got.iter().all(|e| matches!(e, Event::ReaderAdded { .. })), "{got:?}");
    assert_eq!(backend.availability(), Availability::Ok);
    assert_eq!(reader_state(&backend), Some(false));

    let card = Card::insert(&backend, SoftwareChip::new(Document::cccd_demo().unwrap()));
    events.until(EVENT_TIMEOUT, card_inserted);
    assert_demo(&read_can(&backend, Duration::from_secs(2)).unwrap());
    let _ = card.remove();
    wait_empty(&backend);
    backend.shutdown();
    say(format_args!(
        "pcscd missing at start-up: start {start_ms} ms; pcscd up in {pcscd_up_ms} ms; ok {} ms after that; \
         reader_added {} ms later; shutdown during backoff {probe_shutdown_ms} ms",
        ok_after.as_millis(),
        added_after.as_millis()
    ));
}

/// A transport that runs `at` just before its `n`-th APDU.
struct Interrupt<'a> {
    inner: &'a mut dyn Transceive,
    n: usize,
    sent: usize,
    at: &'a dyn Fn(),
}

impl Transceive for Interrupt<'_> {
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.sent += 1;
        if self.sent == self.n {
            (self.at)();
        }
        self.inner.transceive(command)
    }
}

#[test]
fn pcscd_stopping_mid_read() {
    if !enabled("pcscd_stopping_mid_read") {
        return;
    }
    let Some(pcscd) = Pcscd::from_env("pcscd_stopping_mid_read") else { return };
    let _lock = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let bus = EventBus::new();
    let mut events = Events::new(&bus);
    let backend = PcscBackend::start(bus.clone());
    let card = Card::insert(&backend, SoftwareChip::new(Document::cccd_demo().unwrap()));
    events.until(EVENT_TIMEOUT, card_inserted);
    let _ = events.drain(Duration::from_millis(100));
    let before = resources();

    // pcscd stops (and has exited) just before the 20th APDU of the read.
    let cancel = AtomicBool::new(false);
    let stop = || pcscd.stop();
    let started = Instant::now();
    let err = backend
        .with_card(READER, Duration::ZERO, &cancel, &mut |t| {
            let mut t = Interrupt { inner: t, n: 20, sent: 0, at: &stop };
            read_document(&mut t, &can_key(), &ReadOptions::default(), &mut NoHooks)
        })
        .unwrap_err();
    let failed_ms = started.elapsed().as_millis();
    assert_eq!(err, ServiceError::PcscUnavailable);
    events.until(EVENT_TIMEOUT, pcsc_status("unavailable"));

    pcscd.start();
    events.until(Duration::from_secs(8), pcsc_status("ok"));
    events.until(EVENT_TIMEOUT, card_inserted);
    assert_demo(&read_can(&backend, Duration::from_secs(2)).unwrap());
    let _ = events.drain(Duration::from_millis(100));
    let after = resources();
    assert_eq!(before, after, "file descriptors or threads leaked by a read cut by pcscd stopping");
    let _ = card.remove();
    wait_empty(&backend);
    backend.shutdown();
    say(format_args!(
        "pcscd stopped mid-read: {err:?} after {failed_ms} ms (incl. stopping pcscd); fds/threads {after:?}"
    ));
}
