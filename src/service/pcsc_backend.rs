//! The PC/SC backend: a reader monitor on its own thread, and card sessions
//! on the callers' blocking threads.
//!
//! # Threads and contexts
//! pcsc-lite wants one context per thread, so there are two kinds of
//! contexts here, never shared:
//! - the **monitor** thread (`pcsc-monitor`) owns a [`Watcher`] on its own
//!   context and blocks in `SCardGetStatusChange` over every reader and the
//!   PnP pseudo-reader. After each wake-up it compares what it saw with what
//!   it saw before ([`diff`]), publishes `reader_added`, `reader_removed`,
//!   `card_inserted` and `card_removed`, and stores the new list for
//!   [`Backend::readers`]. [`PcscBackend::shutdown`] stops it: a stop flag,
//!   then `SCardCancel` on a clone of its context (repeated until the thread
//!   ends, because pcsc-lite drops a cancel that arrives before the blocking
//!   call starts), then `join`.
//! - every [`Backend::with_card`] call establishes its **own** context on
//!   the caller's thread, waits for a card in slices of [`CARD_WAIT_SLICE`]
//!   (checking the caller's cancel flag between them), connects in shared
//!   mode, runs the read inside one PC/SC transaction, disconnects with a
//!   card reset and releases the context — on every path (they are RAII
//!   handles; nothing outlives the call).
//! - while a card session runs, a **watchdog** thread (`pcsc-watchdog`,
//!   scoped to the session) waits for the read's deadline. The protocol core
//!   checks the deadline between APDUs, but a PC/SC call can block for ever
//!   (measured: vpcd waits for a silent card with no time limit; see
//!   [`crate::pcsc::PcscLink`]). If the session is still running
//!   [`DEADLINE_GRACE`] after the deadline, or [`CANCEL_GRACE`] after the
//!   caller's cancel flag was set (shutdown), the watchdog cuts the
//!   session's connection to pcscd: the blocked call returns at once, the
//!   session releases its handles, and the read ends as cancelled (`timeout`,
//!   or `shutting_down` during shutdown). The reader itself stays blocked in
//!   pcscd until the card answers or leaves; later reads on it meet the same
//!   deadline instead of hanging.
//!
//! # When pcscd is away
//! pcscd not running at start-up, or stopping later (`SCARD_E_NO_SERVICE`,
//! `SCARD_E_SERVICE_STOPPED`, `SCARD_E_INVALID_HANDLE` after a restart, ...):
//! the monitor drops its context, reports [`Availability::Unavailable`]
//! (one `pcsc_status` event `"unavailable"`), reports every reader it knew as
//! removed (after `card_removed` for those holding a card), and establishes a
//! new context after [`BACKOFF_INITIAL`], doubling the delay up to
//! [`BACKOFF_MAX`]. When pcscd answers again it reports
//! [`Availability::Ok`] (`pcsc_status` `"ok"`), then `reader_added` (and
//! `card_inserted`) for each reader. The waits are condition-variable waits
//! that shutdown interrupts; nothing polls.
//!
//! # Logging
//! Reader names, PC/SC return codes and timings; never APDU data.

use crate::api::Event;
use crate::pcsc::{self as adapter, Canceller, PcscError, ReaderStatus, Wake, Watcher};
use crate::protocol::Error as CoreError;
use crate::protocol::error::TransportError;
use crate::protocol::session::DocumentRead;
use crate::protocol::transceive::Transceive;
use crate::service::backend::{Availability, Backend, ReaderSnapshot};
use crate::service::error::ServiceError;
use crate::service::events::EventBus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// First delay before establishing a context again after pcscd went away.
pub const BACKOFF_INITIAL: Duration = Duration::from_millis(100);
/// Longest delay between attempts to reach pcscd (the doubling stops here).
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Longest single `SCardGetStatusChange` of the monitor. Changes and
/// cancels end it sooner; the limit only bounds how long a lost wake-up
/// could go unnoticed.
pub const STATUS_WAIT_LIMIT: Duration = Duration::from_secs(30);
/// Longest single wait for a card in [`Backend::with_card`]: the caller's
/// cancel flag is checked at least this often.
pub const CARD_WAIT_SLICE: Duration = Duration::from_millis(100);
/// Longest wait for a card [`Backend::with_card`] accepts (longer waits are
/// cut to it). Only a guard against `Instant` overflow: the service caps
/// waits far lower (`max_wait_for_card_ms`).
pub const MAX_CARD_WAIT: Duration = Duration::from_secs(24 * 60 * 60);
/// How long [`PcscBackend::start`] waits for the monitor's first look at
/// pcscd, so that [`Backend::readers`] and [`Backend::availability`] are
/// right from the start.
pub const START_WAIT: Duration = Duration::from_secs(2);
/// How often [`PcscBackend::shutdown`] repeats `SCardCancel` until the
/// monitor thread has ended.
pub const SHUTDOWN_CANCEL_INTERVAL: Duration = Duration::from_millis(10);
/// How long [`PcscBackend::shutdown`] waits for the monitor thread before
/// leaving it behind (with a warning).
pub const SHUTDOWN_LIMIT: Duration = Duration::from_secs(5);
/// How long a card session may run past the read's deadline before the
/// watchdog cuts its connection to pcscd. The protocol core stops at the
/// deadline between two APDUs; this margin leaves it that chance first.
pub const DEADLINE_GRACE: Duration = Duration::from_millis(250);
/// How long a card session may run after its cancel flag was set before the
/// watchdog cuts its connection to pcscd (a wait for a card sees the flag
/// within [`CARD_WAIT_SLICE`], a read within one APDU).
pub const CANCEL_GRACE: Duration = Duration::from_millis(500);

/// PC/SC readers watched by a monitor thread; cards read on the callers' threads.
pub struct PcscBackend {
    /// State shared with the monitor thread.
    shared: Arc<Shared>,
    /// The deadline of one read from the end of its wait for a card
    /// (`read_timeout_ms`); the session watchdog enforces it.
    read_timeout: Duration,
    /// The monitor thread, until [`shutdown`](Self::shutdown) joins it.
    monitor: Mutex<Option<JoinHandle<()>>>,
}

impl core::fmt::Debug for PcscBackend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PcscBackend")
            .field("availability", &self.availability())
            .field("readers", &self.readers().len())
            .finish_non_exhaustive()
    }
}

/// What the monitor thread and the backend's callers share.
struct Shared {
    /// The readers as last seen by the monitor (empty while pcscd is away).
    readers: RwLock<Vec<ReaderSnapshot>>,
    /// pcscd answered the monitor's last attempt. Starts `true` so that pcscd
    /// missing at start-up is a change, published once.
    available: AtomicBool,
    /// Set by shutdown; the condition variable wakes the monitor's backoff waits.
    stop: Mutex<bool>,
    /// Signals `stop` and `first_pass`.
    signal: Condvar,
    /// The monitor finished its first look at pcscd (successful or not).
    first_pass: Mutex<bool>,
    /// Cancels the monitor's current blocking call; `None` between contexts.
    canceller: Mutex<Option<Canceller>>,
    /// Where reader and availability events go.
    events: EventBus,
}

/// Locks a mutex whose data stays consistent even if a holder panicked.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn stopped(&self) -> bool {
        *lock(&self.stop)
    }

    /// Sleeps `d` unless shutdown comes first; true when stopped.
    fn sleep(&self, d: Duration) -> bool {
        let guard = lock(&self.stop);
        let (guard, _) =
            self.signal.wait_timeout_while(guard, d, |stop| !*stop).unwrap_or_else(PoisonError::into_inner);
        *guard
    }

    /// Makes `canceller` the one shutdown uses; false (and not registered) if already stopping.
    fn register(&self, canceller: Canceller) -> bool {
        let mut slot = lock(&self.canceller);
        if self.stopped() {
            return false;
        }
        *slot = Some(canceller);
        true
    }

    fn unregister(&self) {
        lock(&self.canceller).take();
    }

    fn first_pass_done(&self) {
        let mut done = lock(&self.first_pass);
        if !*done {
            *done = true;
            self.signal.notify_all();
        }
    }

    fn publish_all(&self, events: Vec<Event>) {
        for event in events {
            self.events.publish(event);
        }
    }

    /// pcscd answered: publish `pcsc_status: ok` if it was away.
    fn now_available(&self) {
        if !self.available.swap(true, Ordering::SeqCst) {
            tracing::info!("pcscd is available again");
            self.events.publish(Event::PcscStatus { pcsc: "ok".into() });
        }
    }

    /// pcscd is away: publish `pcsc_status: unavailable` once, and every known reader as removed.
    fn now_unavailable(&self, seen: &mut Vec<ReaderStatus>, why: &PcscError) {
        if self.available.swap(false, Ordering::SeqCst) {
            tracing::warn!(call = why.call(), code = ?why.code(), "pcscd is unavailable; retrying with backoff");
            self.events.publish(Event::PcscStatus { pcsc: "unavailable".into() });
        }
        self.update(seen, Vec::new());
    }

    /// Publishes the difference between `seen` and `now`, then remembers `now`.
    fn update(&self, seen: &mut Vec<ReaderStatus>, now: Vec<ReaderStatus>) {
        let events = diff(seen, &now);
        if events.is_empty() {
            return;
        }
        for event in &events {
            match event {
                Event::ReaderAdded { reader } => tracing::info!(reader, "reader attached"),
                Event::ReaderRemoved { reader } => tracing::info!(reader, "reader detached"),
                Event::CardInserted { reader, atr } => {
                    tracing::info!(reader, "card placed");
                    tracing::debug!(reader, atr, "ATR of the card placed");
                }
                Event::CardRemoved { reader } => tracing::info!(reader, "card removed"),
                _ => {}
            }
        }
        *self.readers.write().unwrap_or_else(PoisonError::into_inner) = now.iter().map(snapshot).collect();
        *seen = now;
        self.publish_all(events);
    }
}

/// The API's view of a reader.
fn snapshot(status: &ReaderStatus) -> ReaderSnapshot {
    ReaderSnapshot {
        name: status.info.name.clone(),
        card_present: status.info.card_present,
        atr: status.info.atr.clone(),
    }
}

/// The events that turn the reader list `old` into `new`, in the order a UI
/// wants them: for a reader that left, its card first (`card_removed`) then
/// the reader (`reader_removed`); for a new reader, the reader
/// (`reader_added`) then its card (`card_inserted`). A card present in both
/// whose ATR or insertion/removal count changed was swapped:
/// `card_removed` then `card_inserted`.
pub(crate) fn diff(old: &[ReaderStatus], new: &[ReaderStatus]) -> Vec<Event> {
    let mut events = Vec::new();
    let inserted = |s: &ReaderStatus| Event::CardInserted {
        reader: s.info.name.clone(),
        atr: s.info.atr.as_deref().map(hex::encode_upper).unwrap_or_default(),
    };
    for gone in old.iter().filter(|o| !new.iter().any(|n| n.info.name == o.info.name)) {
        if gone.info.card_present {
            events.push(Event::CardRemoved { reader: gone.info.name.clone() });
        }
        events.push(Event::ReaderRemoved { reader: gone.info.name.clone() });
    }
    for now in new {
        match old.iter().find(|o| o.info.name == now.info.name) {
            None => {
                events.push(Event::ReaderAdded { reader: now.info.name.clone() });
                if now.info.card_present {
                    events.push(inserted(now));
                }
            }
            Some(before) => {
                let (was, is) = (before.info.card_present, now.info.card_present);
                let swapped = was && is && (before.info.atr != now.info.atr || before.card_events != now.card_events);
                if was && (!is || swapped) {
                    events.push(Event::CardRemoved { reader: now.info.name.clone() });
                }
                if is && (!was || swapped) {
                    events.push(inserted(now));
                }
            }
        }
    }
    events
}

/// Exponential backoff: `initial`, doubling, capped at `max`.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    /// The delay [`next`](Self::next) returns.
    next: Duration,
    initial: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(initial: Duration, max: Duration) -> Self {
        Self { next: initial, initial, max }
    }

    /// The delay before the next attempt; doubles the one after.
    pub(crate) fn next(&mut self) -> Duration {
        let d = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        d
    }

    /// Back to `initial` (pcscd answered).
    pub(crate) fn reset(&mut self) {
        self.next = self.initial;
    }
}

/// Why a watch on one context ended.
enum Ended {
    /// Shutdown.
    Stopped,
    /// The context failed: pcscd stopped or restarted, or another PC/SC failure.
    Failed(PcscError),
}

/// The monitor thread: establish, watch until the context fails, back off, again.
fn monitor(shared: &Shared) {
    tracing::debug!("reader monitor started");
    let mut seen: Vec<ReaderStatus> = Vec::new();
    let mut backoff = Backoff::new(BACKOFF_INITIAL, BACKOFF_MAX);
    while !shared.stopped() {
        let failure = match adapter::establish() {
            Ok(ctx) => {
                let mut watcher = Watcher::new(ctx);
                if !shared.register(watcher.canceller()) {
                    break;
                }
                let ended = watch(shared, &mut watcher, &mut seen, &mut backoff);
                shared.unregister();
                // The watcher and its context are released here, before any wait.
                drop(watcher);
                match ended {
                    Ended::Stopped => break,
                    Ended::Failed(e) => e,
                }
            }
            Err(e) => e,
        };
        if matches!(failure, PcscError::ServiceUnavailable { .. }) || !shared.available.load(Ordering::SeqCst) {
            shared.now_unavailable(&mut seen, &failure);
        } else {
            // Not pcscd going away (that would be ServiceUnavailable): keep what
            // we know and try a fresh context after the first backoff step.
            tracing::warn!(call = failure.call(), code = ?failure.code(), "reader monitor: PC/SC call failed; new context");
        }
        shared.first_pass_done();
        let delay = backoff.next();
        tracing::debug!(delay_ms = delay.as_millis(), "reader monitor: waiting before reaching pcscd again");
        if shared.sleep(delay) {
            break;
        }
    }
    shared.unregister();
    tracing::debug!("reader monitor stopped");
}

/// Watches on one context until it fails or shutdown.
fn watch(shared: &Shared, watcher: &mut Watcher, seen: &mut Vec<ReaderStatus>, backoff: &mut Backoff) -> Ended {
    // The first look does not block: with no reader attached, a blocking
    // call would only return at the next change.
    let mut timeout = Duration::ZERO;
    loop {
        if shared.stopped() {
            return Ended::Stopped;
        }
        match watcher.wait(timeout) {
            Ok(Wake::Cancelled) => continue,
            Ok(Wake::Changed | Wake::TimedOut) => {}
            Err(e) => return Ended::Failed(e),
        }
        if timeout.is_zero() {
            // pcscd answered a full listing and status query on this context.
            shared.now_available();
            backoff.reset();
            timeout = STATUS_WAIT_LIMIT;
        }
        shared.update(seen, watcher.readers());
        shared.first_pass_done();
    }
}

impl PcscBackend {
    /// Starts the reader monitor thread, publishing reader, card and pcscd
    /// events on `events`, and waits (up to [`START_WAIT`]) for its first
    /// look at pcscd.
    ///
    /// If the thread cannot be created (out of resources) the failure is
    /// logged and the backend stays [`Availability::Unavailable`] with no
    /// readers; reads then fail with `pcsc_unavailable`.
    ///
    /// Card sessions are held to the default `read_timeout_ms`
    /// ([`Config::default`](crate::service::config::Config)); see
    /// [`start_with_read_timeout`](Self::start_with_read_timeout).
    pub fn start(events: EventBus) -> Arc<PcscBackend> {
        let read_timeout = Duration::from_millis(crate::service::config::Config::default().read_timeout_ms);
        Self::start_with_read_timeout(events, read_timeout)
    }

    /// [`start`](Self::start), with card sessions held to `read_timeout`
    /// (the configuration's `read_timeout_ms`): a session still running
    /// [`DEADLINE_GRACE`] after `wait + read_timeout` is cut off by its
    /// watchdog (see the [module documentation](self)).
    pub fn start_with_read_timeout(events: EventBus, read_timeout: Duration) -> Arc<PcscBackend> {
        let shared = Arc::new(Shared {
            readers: RwLock::new(Vec::new()),
            available: AtomicBool::new(true),
            stop: Mutex::new(false),
            signal: Condvar::new(),
            first_pass: Mutex::new(false),
            canceller: Mutex::new(None),
            events,
        });
        let for_thread = Arc::clone(&shared);
        let handle = std::thread::Builder::new().name("pcsc-monitor".into()).spawn(move || monitor(&for_thread));
        let handle = match handle {
            Ok(handle) => {
                let done = lock(&shared.first_pass);
                let (done, _) = shared
                    .signal
                    .wait_timeout_while(done, START_WAIT, |done| !*done)
                    .unwrap_or_else(PoisonError::into_inner);
                if !*done {
                    tracing::warn!(ms = START_WAIT.as_millis(), "pcscd did not answer the reader monitor in time");
                }
                Some(handle)
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot start the reader monitor thread");
                shared.available.store(false, Ordering::SeqCst);
                None
            }
        };
        Arc::new(PcscBackend { shared, read_timeout, monitor: Mutex::new(handle) })
    }

    /// Stops the reader monitor and joins its thread (at most
    /// [`SHUTDOWN_LIMIT`]). Idempotent; also run on drop.
    pub fn shutdown(&self) {
        let Some(handle) = lock(&self.monitor).take() else { return };
        {
            let mut stop = lock(&self.shared.stop);
            *stop = true;
            self.shared.signal.notify_all();
        }
        let started = Instant::now();
        while !handle.is_finished() {
            if let Some(canceller) = lock(&self.shared.canceller).as_ref() {
                // A cancel with no blocking call in progress is dropped by
                // pcsc-lite: repeat until the thread is gone.
                if let Err(e) = canceller.cancel() {
                    tracing::debug!(code = ?e.code(), "SCardCancel failed");
                }
            }
            if started.elapsed() > SHUTDOWN_LIMIT {
                tracing::warn!(ms = SHUTDOWN_LIMIT.as_millis(), "the reader monitor did not stop in time; leaving it");
                return;
            }
            std::thread::sleep(SHUTDOWN_CANCEL_INTERVAL);
        }
        if handle.join().is_err() {
            tracing::error!("the reader monitor thread panicked");
        }
        tracing::debug!(ms = started.elapsed().as_millis(), "reader monitor joined");
    }
}

impl Drop for PcscBackend {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The service's view of a PC/SC failure around a read (waiting, connecting,
/// beginning the transaction). Failures inside the read come back through
/// the protocol core as [`TransportError`]s instead.
fn service_error(reader: &str, e: PcscError) -> ServiceError {
    match e {
        PcscError::ServiceUnavailable { .. } => ServiceError::PcscUnavailable,
        PcscError::ReaderNotFound { .. } => ServiceError::ReaderNotFound(format!("no reader named {reader:?}")),
        PcscError::NoCard { .. } => ServiceError::NoCard,
        other => ServiceError::Chip(CoreError::Transport(TransportError::from(other))),
    }
}

/// Waits for a card in `reader` until `deadline`, in slices of
/// [`CARD_WAIT_SLICE`], honouring `cancel` between slices.
fn wait_for_card(
    ctx: &adapter::Context,
    reader: &str,
    deadline: Instant,
    cancel: &AtomicBool,
) -> Result<(), ServiceError> {
    loop {
        if cancel.load(Ordering::SeqCst) {
            return Err(ServiceError::Timeout("cancelled while waiting for a card"));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match adapter::wait_for_card(ctx, reader, true, left.min(CARD_WAIT_SLICE)) {
            Ok(Some(_)) => return Ok(()),
            Ok(None) if left <= CARD_WAIT_SLICE => return Err(ServiceError::NoCard),
            Ok(None) => {}
            Err(e) => return Err(service_error(reader, e)),
        }
    }
}

/// One card session on the caller's thread, with its own context: wait,
/// connect, transaction, read, under a [`watchdog`]. Every handle is
/// released when this returns.
fn card_session(
    reader: &str,
    wait: Duration,
    read_timeout: Duration,
    cancel: &AtomicBool,
    read: &mut dyn FnMut(&mut dyn Transceive) -> Result<DocumentRead, CoreError>,
) -> Result<DocumentRead, ServiceError> {
    let started = Instant::now();
    let deadline = started + wait.min(MAX_CARD_WAIT);
    let (ctx, link) = adapter::establish_with_link().map_err(|e| match e {
        PcscError::ServiceUnavailable { .. } => ServiceError::PcscUnavailable,
        other => ServiceError::Internal(other.to_string()),
    })?;
    // An unrepresentable deadline (a read timeout near Duration::MAX) is a day after the wait.
    let limit = deadline
        .checked_add(read_timeout.saturating_add(DEADLINE_GRACE))
        .or_else(|| deadline.checked_add(MAX_CARD_WAIT))
        .unwrap_or(deadline);
    let (outcome, cut) = watched(link.as_ref(), limit, cancel, || session(&ctx, reader, deadline, cancel, read));
    // Released only now: the watchdog thread, which may use the link, has ended.
    drop(ctx);
    match (outcome, cut) {
        (Ok(document), _) => Ok(document),
        (Err(e), Some(why)) => {
            tracing::warn!(
                reader,
                why = why.as_str(),
                ms = started.elapsed().as_millis(),
                error = %e,
                "card session cut off: a PC/SC call did not return; its connection to pcscd was closed"
            );
            Err(ServiceError::Chip(CoreError::Cancelled))
        }
        (Err(e), None) => Err(e),
    }
}

/// Why the watchdog cut a card session off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// [`DEADLINE_GRACE`] past the read's deadline.
    Deadline,
    /// [`CANCEL_GRACE`] after the cancel flag was set.
    Cancelled,
}

impl Cut {
    fn as_str(self) -> &'static str {
        match self {
            Cut::Deadline => "deadline",
            Cut::Cancelled => "cancelled",
        }
    }
}

/// Runs `f` (a card session) on this thread while a scoped watchdog thread
/// waits for `limit` or for `cancel` to stay set for [`CANCEL_GRACE`]; then
/// it severs `link`, which ends any PC/SC call blocked on it. Returns `f`'s
/// result and why the watchdog cut in, if it did. Without a link (or if the
/// thread cannot be created) `f` simply runs.
fn watched<T>(
    link: Option<&adapter::PcscLink>,
    limit: Instant,
    cancel: &AtomicBool,
    f: impl FnOnce() -> T,
) -> (T, Option<Cut>) {
    let Some(link) = link else { return (f(), None) };
    let done = Mutex::new(false);
    let wake = Condvar::new();
    std::thread::scope(|scope| {
        let dog = std::thread::Builder::new()
            .name("pcsc-watchdog".into())
            .spawn_scoped(scope, || watchdog(link, limit, cancel, &done, &wake));
        let result = f();
        *lock(&done) = true;
        wake.notify_all();
        let cut = match dog {
            Ok(dog) => dog.join().unwrap_or(None),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start a card session watchdog; the session ran without one");
                None
            }
        };
        (result, cut)
    })
}

/// The watchdog's body (see [`watched`]). Between checks it sleeps on `wake`
/// (set when the session ends) for at most [`CARD_WAIT_SLICE`], to see the
/// cancel flag, which has no notification of its own.
fn watchdog(
    link: &adapter::PcscLink,
    limit: Instant,
    cancel: &AtomicBool,
    done: &Mutex<bool>,
    wake: &Condvar,
) -> Option<Cut> {
    let mut finished = lock(done);
    let mut cancelled_at: Option<Instant> = None;
    let cut = loop {
        if *finished {
            return None;
        }
        let now = Instant::now();
        if now >= limit {
            break Cut::Deadline;
        }
        if cancel.load(Ordering::SeqCst) {
            let at = *cancelled_at.get_or_insert(now);
            if now.duration_since(at) >= CANCEL_GRACE {
                break Cut::Cancelled;
            }
        }
        let sleep = limit.saturating_duration_since(now).min(CARD_WAIT_SLICE);
        finished = wake.wait_timeout(finished, sleep).unwrap_or_else(PoisonError::into_inner).0;
    };
    drop(finished);
    let severed = link.sever();
    tracing::debug!(why = cut.as_str(), severed, "card session watchdog fired");
    Some(cut)
}

/// The session proper, on `ctx`: wait, connect, transaction, read, disconnect.
fn session(
    ctx: &adapter::Context,
    reader: &str,
    deadline: Instant,
    cancel: &AtomicBool,
    read: &mut dyn FnMut(&mut dyn Transceive) -> Result<DocumentRead, CoreError>,
) -> Result<DocumentRead, ServiceError> {
    let started = Instant::now();
    let mut card = loop {
        wait_for_card(ctx, reader, deadline, cancel)?;
        match adapter::connect(ctx, reader) {
            Ok(card) => break card,
            // The card left between the wait and the connect: wait again while there is time.
            Err(PcscError::NoCard { .. } | PcscError::CardRemoved { .. }) if Instant::now() < deadline => continue,
            Err(PcscError::NoCard { .. } | PcscError::CardRemoved { .. }) => return Err(ServiceError::NoCard),
            Err(e) => return Err(service_error(reader, e)),
        }
    };
    let connected = Instant::now();
    tracing::debug!(reader, waited_ms = connected.duration_since(started).as_millis(), "card connected");
    let outcome = adapter::with_transaction(&mut card, |transport| read(transport));
    adapter::disconnect(card);
    let read_ms = connected.elapsed().as_millis();
    match outcome {
        Ok(Ok(document)) => {
            tracing::debug!(reader, read_ms, "card session ended");
            Ok(document)
        }
        Ok(Err(CoreError::Transport(TransportError::ServiceUnavailable))) => {
            tracing::debug!(reader, read_ms, "card session failed: pcscd went away");
            Err(ServiceError::PcscUnavailable)
        }
        Ok(Err(e)) if transport_failure(&e) && pcscd_unreachable() => {
            tracing::debug!(reader, read_ms, error = %e, "card session failed: pcscd went away");
            Err(ServiceError::PcscUnavailable)
        }
        Ok(Err(e)) => {
            tracing::debug!(reader, read_ms, error = %e, "card session failed");
            Err(ServiceError::Chip(e))
        }
        Err(e) => {
            tracing::debug!(reader, call = e.call(), code = ?e.code(), "could not begin the transaction");
            Err(service_error(reader, e))
        }
    }
}

/// A read failure that says "the link broke" without saying where: a
/// transmit that failed with an unclassified code (`SCARD_F_COMM_ERROR`, ...)
/// or returned no status word. Clear causes (card removed, reader gone,
/// pcscd gone) are not in this set.
fn transport_failure(e: &CoreError) -> bool {
    matches!(e, CoreError::Transport(TransportError::Other(_) | TransportError::ShortResponse(_)))
}

/// True when pcscd does not accept a new context now: after an ambiguous
/// transport failure this tells "pcscd stopped mid-read" (`pcsc_unavailable`)
/// from "the card left" (`card_removed`). The probe's context is released at once.
///
/// Any failure to establish counts, not only `SCARD_E_NO_SERVICE`: measured
/// with pcsc-lite 1.9.9, when pcscd is killed (SIGKILL) mid-read the blocked
/// `SCardTransmit` returns `SCARD_E_SECURITY_VIOLATION`, and so does a
/// `SCardEstablishContext` made right after (the process is still being torn
/// down); `SCARD_E_NO_SERVICE` only comes ~100 ms later.
fn pcscd_unreachable() -> bool {
    match adapter::establish() {
        Ok(_) => false,
        Err(e) => {
            tracing::debug!(call = e.call(), code = ?e.code(), "probe: pcscd does not accept a new context");
            true
        }
    }
}

impl Backend for PcscBackend {
    fn readers(&self) -> Vec<ReaderSnapshot> {
        self.shared.readers.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn availability(&self) -> Availability {
        if self.shared.available.load(Ordering::SeqCst) { Availability::Ok } else { Availability::Unavailable }
    }

    fn simulated(&self) -> bool {
        false
    }

    /// See [`Backend::with_card`]. Runs on the caller's thread with a context
    /// of its own. Errors: [`ServiceError::PcscUnavailable`] when pcscd is
    /// not reachable; [`ServiceError::ReaderNotFound`] for an unknown reader;
    /// [`ServiceError::NoCard`] when no card came within `wait`;
    /// [`ServiceError::Timeout`] when `cancel` was set while waiting; a
    /// failure to begin the transaction as the matching transport error; the
    /// read's own error as [`ServiceError::Chip`] (a card removed mid-read is
    /// `TransportError::CardRemoved` or `ShortResponse` from the adapter),
    /// except that pcscd stopping mid-read is [`ServiceError::PcscUnavailable`]
    /// (the transmit said so, or an ambiguous transport failure came while
    /// pcscd refuses new contexts). A session its watchdog cut off (a PC/SC
    /// call still blocked [`DEADLINE_GRACE`] past `wait` + the read timeout,
    /// or [`CANCEL_GRACE`] after `cancel` was set) is
    /// `ServiceError::Chip(CoreError::Cancelled)`, like a read the protocol
    /// core stopped at its deadline.
    fn with_card(
        &self,
        reader: &str,
        wait: Duration,
        cancel: &AtomicBool,
        read: &mut dyn FnMut(&mut dyn Transceive) -> Result<DocumentRead, CoreError>,
    ) -> Result<DocumentRead, ServiceError> {
        card_session(reader, wait, self.read_timeout, cancel, read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcsc::ReaderInfo;

    fn reader(name: &str, atr: Option<&[u8]>, card_events: u32) -> ReaderStatus {
        ReaderStatus {
            info: ReaderInfo { name: name.into(), card_present: atr.is_some(), atr: atr.map(<[u8]>::to_vec) },
            card_events,
        }
    }

    const ATR_A: &[u8] = &[0x3B, 0x88, 0x80, 0x01];
    const ATR_B: &[u8] = &[0x3B, 0x8A, 0x80, 0x01, 0xFF];

    fn added(r: &str) -> Event {
        Event::ReaderAdded { reader: r.into() }
    }
    fn removed(r: &str) -> Event {
        Event::ReaderRemoved { reader: r.into() }
    }
    fn card_in(r: &str, atr: &str) -> Event {
        Event::CardInserted { reader: r.into(), atr: atr.into() }
    }
    fn card_out(r: &str) -> Event {
        Event::CardRemoved { reader: r.into() }
    }

    #[test]
    fn nothing_changed_is_no_event() {
        let list = [reader("R0", None, 0), reader("R1", Some(ATR_A), 1)];
        assert_eq!(diff(&list, &list), vec![]);
        assert_eq!(diff(&[], &[]), vec![]);
    }

    #[test]
    fn readers_appear_with_their_cards() {
        let new = [reader("R0", None, 0), reader("R1", Some(ATR_A), 1)];
        assert_eq!(diff(&[], &new), vec![added("R0"), added("R1"), card_in("R1", "3B888001")]);
    }

    #[test]
    fn readers_leave_after_their_cards() {
        let old = [reader("R0", None, 0), reader("R1", Some(ATR_A), 1)];
        assert_eq!(diff(&old, &[]), vec![removed("R0"), card_out("R1"), removed("R1")]);
        // Only the one that left.
        assert_eq!(diff(&old, &old[..1]), vec![card_out("R1"), removed("R1")]);
    }

    #[test]
    fn cards_inserted_and_removed() {
        let empty = [reader("R0", None, 0)];
        let full = [reader("R0", Some(ATR_B), 1)];
        assert_eq!(diff(&empty, &full), vec![card_in("R0", "3B8A8001FF")]);
        assert_eq!(diff(&full, &[reader("R0", None, 2)]), vec![card_out("R0")]);
    }

    #[test]
    fn a_swapped_card_is_removed_then_inserted() {
        // Different ATR.
        let before = [reader("R0", Some(ATR_A), 1)];
        assert_eq!(diff(&before, &[reader("R0", Some(ATR_B), 1)]), vec![card_out("R0"), card_in("R0", "3B8A8001FF")]);
        // Same ATR, but pcsc-lite counted a removal and an insertion in between.
        assert_eq!(diff(&before, &[reader("R0", Some(ATR_A), 3)]), vec![card_out("R0"), card_in("R0", "3B888001")]);
        // An empty reader whose count moved (a card came and went unseen): nothing to say.
        assert_eq!(diff(&[reader("R0", None, 0)], &[reader("R0", None, 2)]), vec![]);
    }

    #[test]
    fn mixed_changes_in_one_step() {
        let old = [reader("A", Some(ATR_A), 1), reader("B", None, 0)];
        let new = [reader("B", Some(ATR_B), 1), reader("C", None, 0)];
        assert_eq!(diff(&old, &new), vec![card_out("A"), removed("A"), card_in("B", "3B8A8001FF"), added("C")]);
    }

    #[test]
    fn a_card_without_atr_is_reported_with_an_empty_one() {
        let mute =
            ReaderStatus { info: ReaderInfo { name: "R".into(), card_present: true, atr: None }, card_events: 1 };
        assert_eq!(diff(&[], &[mute]), vec![added("R"), card_in("R", "")]);
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut b = Backoff::new(BACKOFF_INITIAL, BACKOFF_MAX);
        let ms: Vec<u128> = (0..9).map(|_| b.next().as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        b.reset();
        assert_eq!(b.next(), Duration::from_millis(100));
        assert_eq!(b.next(), Duration::from_millis(200));
    }

    #[test]
    fn backoff_never_overflows() {
        let mut b = Backoff::new(Duration::from_secs(u64::MAX / 2), Duration::MAX);
        for _ in 0..4 {
            let _ = b.next();
        }
        assert_eq!(b.next(), Duration::MAX);
    }

    #[test]
    fn pcsc_failures_map_to_service_errors() {
        use pcsc_codes::*;
        assert_eq!(service_error("R", unavailable()), ServiceError::PcscUnavailable);
        assert_eq!(service_error("R", unknown_reader()), ServiceError::ReaderNotFound("no reader named \"R\"".into()));
        assert_eq!(service_error("R", no_card()), ServiceError::NoCard);
        assert_eq!(service_error("R", removed_card()).code(), crate::api::ErrorCode::CardRemoved);
    }

    /// PC/SC failures built through the adapter's classification (the
    /// service layer names no `pcsc` type).
    mod pcsc_codes {
        use crate::pcsc::PcscError;
        pub(super) fn unavailable() -> PcscError {
            PcscError::new("SCardEstablishContext", pcsc::Error::NoService)
        }
        pub(super) fn unknown_reader() -> PcscError {
            PcscError::new("SCardGetStatusChange", pcsc::Error::UnknownReader)
        }
        pub(super) fn no_card() -> PcscError {
            PcscError::new("SCardConnect", pcsc::Error::NoSmartcard)
        }
        pub(super) fn removed_card() -> PcscError {
            PcscError::new("SCardBeginTransaction", pcsc::Error::RemovedCard)
        }
    }

    #[test]
    fn shared_state_publishes_availability_once_per_change() {
        let bus = EventBus::new();
        let mut rx = bus.subscribe();
        let shared = Shared {
            readers: RwLock::new(Vec::new()),
            available: AtomicBool::new(true),
            stop: Mutex::new(false),
            signal: Condvar::new(),
            first_pass: Mutex::new(false),
            canceller: Mutex::new(None),
            events: bus,
        };
        let mut seen = Vec::new();
        shared.update(&mut seen, vec![reader("R", Some(ATR_A), 1)]);
        assert_eq!(shared.readers.read().unwrap_or_else(PoisonError::into_inner).len(), 1);
        let why = pcsc_codes::unavailable();
        shared.now_unavailable(&mut seen, &why);
        shared.now_unavailable(&mut seen, &why);
        shared.now_available();
        shared.now_available();
        let mut got = Vec::new();
        while let Ok(e) = rx.try_recv() {
            got.push(e);
        }
        assert_eq!(
            got,
            vec![
                added("R"),
                card_in("R", "3B888001"),
                Event::PcscStatus { pcsc: "unavailable".into() },
                card_out("R"),
                removed("R"),
                Event::PcscStatus { pcsc: "ok".into() },
            ]
        );
        assert!(seen.is_empty());
        assert!(shared.readers.read().unwrap_or_else(PoisonError::into_inner).is_empty());
    }

    #[test]
    fn an_endless_wait_does_not_overflow() {
        // With or without pcscd: cancelled before any wait, or pcscd unavailable; never a panic.
        let cancel = AtomicBool::new(true);
        let mut never = |_: &mut dyn Transceive| -> Result<DocumentRead, CoreError> { Err(CoreError::Cancelled) };
        let err = card_session("Virtual PCD 00 01", Duration::MAX, Duration::MAX, &cancel, &mut never).unwrap_err();
        assert!(
            matches!(err, ServiceError::PcscUnavailable | ServiceError::Timeout("cancelled while waiting for a card")),
            "{err:?}"
        );
    }

    #[test]
    fn the_watchdog_ends_a_blocked_call_at_the_deadline_or_after_a_cancel() {
        use std::io::Read;
        use std::os::fd::AsRawFd;
        use std::os::unix::net::UnixStream;
        // A read on a socket nobody writes to stands for a PC/SC call that never returns.
        let blocked = |cancel: &AtomicBool, limit: Instant| {
            let (mut a, _b) = UnixStream::pair().unwrap();
            let link = adapter::PcscLink::of_fd(a.as_raw_fd()).unwrap();
            let started = Instant::now();
            let (n, cut) = watched(Some(&link), limit, cancel, || a.read(&mut [0u8; 1]).unwrap());
            assert_eq!(n, 0, "the severed socket reads as closed");
            (cut, started.elapsed())
        };
        let (cut, took) = blocked(&AtomicBool::new(false), Instant::now() + Duration::from_millis(150));
        assert_eq!(cut, Some(Cut::Deadline));
        assert!(took >= Duration::from_millis(150) && took < Duration::from_secs(3), "{took:?}");
        let (cut, took) = blocked(&AtomicBool::new(true), Instant::now() + Duration::from_secs(60));
        assert_eq!(cut, Some(Cut::Cancelled));
        assert!(took >= CANCEL_GRACE && took < Duration::from_secs(3), "{took:?}");
        // A session that ends by itself is left alone, and so is one without a link.
        let (a, _b) = UnixStream::pair().unwrap();
        let link = adapter::PcscLink::of_fd(a.as_raw_fd()).unwrap();
        let never = AtomicBool::new(false);
        assert_eq!(watched(Some(&link), Instant::now() + Duration::from_secs(60), &never, || 7), (7, None));
        assert_eq!(watched(None, Instant::now(), &AtomicBool::new(true), || 8), (8, None));
    }

    #[test]
    fn sleep_returns_early_on_stop() {
        let shared = Arc::new(Shared {
            readers: RwLock::new(Vec::new()),
            available: AtomicBool::new(true),
            stop: Mutex::new(false),
            signal: Condvar::new(),
            first_pass: Mutex::new(false),
            canceller: Mutex::new(None),
            events: EventBus::new(),
        });
        assert!(!shared.sleep(Duration::from_millis(1)));
        let other = Arc::clone(&shared);
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            *lock(&other.stop) = true;
            other.signal.notify_all();
        });
        let started = Instant::now();
        assert!(shared.sleep(Duration::from_secs(10)));
        assert!(started.elapsed() < Duration::from_secs(5));
        t.join().unwrap_or_else(|_| panic!("stopper thread"));
    }
}
