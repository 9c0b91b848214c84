//! Running reads: choosing the reader, one read per reader at a time, the
//! wait for a card, the deadline, events, and the response.
//!
//! A read is finite blocking work on its own thread (`spawn_blocking`); the
//! protocol core checks the read's cancellation flag between APDUs, so a
//! deadline or a shutdown stops it within one APDU. Reads on different readers
//! run in parallel. Nothing of a read is kept once its response is built: the
//! `DocumentRead` (zeroized on drop) dies on the read's thread.

use crate::api::{self, Event, ReadRequest};
use crate::protocol::extended_length::{Decision, ExtendedLength, Hints};
use crate::protocol::lds::{DataGroup, FileId};
use crate::protocol::read::{ReadHooks, ReadLimits};
use crate::protocol::session::{AccessKey, ReadOptions, read_document};
use crate::protocol::transceive::Transceive;
use crate::protocol::verify::{ChainMode, TrustAnchors, verify_sod};
use crate::service::backend::{Availability, Backend};
use crate::service::config::{Config, ExtendedLengthSetting};
use crate::service::convert;
use crate::service::error::ServiceError;
use crate::service::events::EventBus;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Bytes of the read thread's stack overwritten once a read is over ([`scrub_stack`]).
pub const STACK_SCRUB_BYTES: usize = 256 * 1024;

/// Overwrites [`STACK_SCRUB_BYTES`] of stack below the caller with zeros.
///
/// Heap copies are wiped by their types and by the binaries' wiping
/// allocator, but stack frames are not: the cipher crates' `KeyInit::new_from_slice`
/// copies a key into an array on the stack that nothing wipes, and the frames
/// of a read's deepest calls stay in the (reused, long-lived) blocking
/// thread's stack until overwritten. Evidence: tests/e2e_memory.rs found the
/// last BAC session's `KS_Enc` in the daemon's memory after the read, with
/// the cipher crates' `zeroize` features on, and nothing once this runs at
/// the end of every read. A read's deepest stack (X.509 parsing, PACE
/// arithmetic) is far below the bound; the blocking threads have 2 MiB.
#[inline(never)]
fn scrub_stack() {
    let mut stack = [0u8; STACK_SCRUB_BYTES];
    zeroize::Zeroize::zeroize(&mut stack[..]);
    std::hint::black_box(&stack);
}

/// Runs [`scrub_stack`] when dropped: at the end of a read's thread work,
/// also when it unwinds.
struct ScrubStackOnDrop;

impl Drop for ScrubStackOnDrop {
    fn drop(&mut self) {
        scrub_stack();
    }
}

/// Upper bound on the data groups a request may name.
pub const MAX_REQUESTED_GROUPS: usize = 16;
/// Largest key field accepted (an MRZ is 92 characters; a QR text well under 1 KiB).
pub const MAX_KEY_FIELD: usize = 1024;

/// Runs reads for the HTTP layer.
pub struct Reads {
    backend: Arc<dyn Backend>,
    events: EventBus,
    config: Config,
    /// Readers with a read in progress.
    busy: Mutex<HashSet<String>>,
    /// Reads in progress (for shutdown).
    in_flight: AtomicUsize,
    /// Set on shutdown: new reads are refused, running ones cancelled after the grace period.
    shutting_down: AtomicBool,
    /// Cancel flags of the running reads.
    cancels: Mutex<Vec<Arc<AtomicBool>>>,
    /// Source of read ids.
    next_id: AtomicU64,
    /// The trust anchors of passive authentication, replaced on SIGHUP.
    trust: RwLock<Arc<TrustAnchors>>,
    /// Extended-length decisions remembered per reader for the card of that ATR
    /// (so only a card's first read spends an APDU on EF.ATR/INFO).
    extended: Mutex<HashMap<String, (Vec<u8>, Decision)>>,
}

/// Readers whose extended-length decision is remembered at most (one entry per reader).
const MAX_REMEMBERED_READERS: usize = 64;

/// Marks a reader busy for as long as it lives.
struct BusyGuard<'a> {
    reads: &'a Reads,
    reader: String,
    cancel: Arc<AtomicBool>,
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.reads.busy.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.reader);
        self.reads.cancels.lock().unwrap_or_else(|p| p.into_inner()).retain(|c| !Arc::ptr_eq(c, &self.cancel));
        self.reads.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Progress and cancellation for the core: events out, deadline in.
struct Hooks {
    events: EventBus,
    read_id: String,
    cancel: Arc<AtomicBool>,
    deadline: Instant,
}

impl ReadHooks for Hooks {
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed) || Instant::now() >= self.deadline
    }
    fn progress(&mut self, file: FileId, bytes: usize, total: usize) {
        self.events.publish(Event::ReadProgress {
            read_id: self.read_id.clone(),
            file: file.name().into(),
            bytes,
            total,
        });
    }
}

impl Reads {
    /// A read manager over `backend`.
    pub fn new(backend: Arc<dyn Backend>, events: EventBus, config: Config) -> Self {
        Self {
            backend,
            events,
            config,
            busy: Mutex::new(HashSet::new()),
            in_flight: AtomicUsize::new(0),
            shutting_down: AtomicBool::new(false),
            cancels: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            trust: RwLock::new(Arc::new(TrustAnchors::new())),
            extended: Mutex::new(HashMap::new()),
        }
    }

    /// The extended-length policy for a read on `reader` with `atr` over `t`
    /// ([`crate::protocol::extended_length`]): from the configuration, or
    /// detected with the transport's ATR and largest APDU and what an earlier
    /// read of a card with the same ATR in this reader found.
    ///
    /// A decision is remembered by (reader, ATR) rather than per insertion: a
    /// card of the same ATR is the same chip product, whose support does not
    /// change; a read that fails forgets it, so a wrong memory costs one read.
    fn extended_policy(&self, reader: &str, atr: Option<Vec<u8>>, t: &dyn Transceive) -> ExtendedLength {
        match self.config.extended_length {
            ExtendedLengthSetting::Off => ExtendedLength::Off,
            ExtendedLengthSetting::On => ExtendedLength::On,
            ExtendedLengthSetting::Auto => {
                let remembered = self
                    .extended
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(reader)
                    .and_then(|(seen, d)| (atr.as_deref() == Some(seen.as_slice())).then_some(*d));
                ExtendedLength::Auto(Hints { atr, reader_max_apdu: t.max_apdu(), remembered })
            }
        }
    }

    /// Remembers (or, after a failed read, forgets) the decision for `reader`.
    fn remember_extended(&self, reader: &str, atr: Option<Vec<u8>>, decision: Option<Decision>) {
        let mut map = self.extended.lock().unwrap_or_else(|p| p.into_inner());
        match (atr, decision) {
            (Some(atr), Some(d)) if self.config.extended_length == ExtendedLengthSetting::Auto => {
                if map.len() >= MAX_REMEMBERED_READERS && !map.contains_key(reader) {
                    map.clear();
                }
                map.insert(reader.to_owned(), (atr, d));
            }
            _ => {
                map.remove(reader);
            }
        }
    }

    /// Replaces the trust anchors (start-up and SIGHUP); reads in progress keep the old set.
    pub fn set_trust(&self, anchors: TrustAnchors) {
        *self.trust.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(anchors);
    }

    /// The current trust anchors.
    pub fn trust(&self) -> Arc<TrustAnchors> {
        self.trust.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Whether `reader` has a read in progress.
    pub fn is_busy(&self, reader: &str) -> bool {
        self.busy.lock().unwrap_or_else(|p| p.into_inner()).contains(reader)
    }

    /// Reads in progress.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Refuses new reads from now on.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// Cancels every running read (they stop at their next APDU).
    pub fn cancel_all(&self) {
        for c in self.cancels.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            c.store(true, Ordering::SeqCst);
        }
    }

    fn new_read_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut salt = [0u8; 4];
        let _ = getrandom::fill(&mut salt);
        format!("r{n}-{}", hex::encode(salt))
    }

    /// Picks the reader: the one named, else the only one holding a card (or
    /// the only one at all when the client is willing to wait for a card, or
    /// the backend's default when several hold one).
    fn choose_reader(&self, request: &ReadRequest) -> Result<String, ServiceError> {
        if self.backend.availability() == Availability::Unavailable {
            return Err(ServiceError::PcscUnavailable);
        }
        let readers = self.backend.readers();
        if let Some(name) = &request.reader {
            return readers
                .iter()
                .find(|r| &r.name == name)
                .map(|r| r.name.clone())
                .ok_or_else(|| ServiceError::ReaderNotFound("no reader of that name".into()));
        }
        let with_card: Vec<_> = readers.iter().filter(|r| r.card_present).collect();
        match (with_card.as_slice(), readers.as_slice()) {
            ([one], _) => Ok(one.name.clone()),
            ([], []) => Err(ServiceError::ReaderNotFound("no reader is attached".into())),
            ([], [only]) if request.wait_for_card_ms > 0 => Ok(only.name.clone()),
            ([], _) => Err(ServiceError::NoCard),
            _ => self
                .backend
                .default_reader()
                .ok_or_else(|| ServiceError::BadRequest("several readers hold a card: name one in `reader`".into())),
        }
    }

    /// Runs one read to its response. Personal data leaves only in the returned value.
    ///
    /// The read runs in a task of its own: a client that goes away mid-read
    /// does not cut it short, so the reader stays busy until the card is
    /// released and the read's final event is published; the response is then
    /// dropped unsent.
    pub async fn read(self: &Arc<Self>, request: ReadRequest) -> Result<api::ReadResponse, ServiceError> {
        let this = Arc::clone(self);
        match tokio::spawn(async move { this.read_to_end(request).await }).await {
            Ok(outcome) => outcome,
            Err(e) => Err(ServiceError::Internal(format!("read task: {e}"))),
        }
    }

    async fn read_to_end(self: &Arc<Self>, request: ReadRequest) -> Result<api::ReadResponse, ServiceError> {
        if self.shutting_down.load(Ordering::SeqCst) {
            return Err(ServiceError::ShuttingDown);
        }
        let key = access_key(&request.key)?;
        let data_groups = data_groups(request.data_groups.as_deref())?;
        let wait = Duration::from_millis(request.wait_for_card_ms.min(self.config.max_wait_for_card_ms));
        let reader = self.choose_reader(&request)?;
        let cancel = Arc::new(AtomicBool::new(false));
        {
            let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
            if !busy.insert(reader.clone()) {
                return Err(ServiceError::Busy);
            }
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            self.cancels.lock().unwrap_or_else(|p| p.into_inner()).push(cancel.clone());
        }
        let guard = BusyGuard { reads: self, reader: reader.clone(), cancel: cancel.clone() };
        let read_id = self.new_read_id();
        self.events.publish(Event::ReadStarted { read_id: read_id.clone(), reader: reader.clone() });
        tracing::info!(read_id, reader, "read started");

        let this = Arc::clone(self);
        let (rid, rdr, cancel2) = (read_id.clone(), reader.clone(), cancel.clone());
        let options = ReadOptions {
            data_groups,
            limits: ReadLimits { max_file_size: self.config.max_file_size, ..ReadLimits::default() },
            ..ReadOptions::default()
        };
        let read_timeout = Duration::from_millis(self.config.read_timeout_ms);
        let trust = self.trust();
        let mode = if self.config.strict_pki { ChainMode::Strict } else { ChainMode::Lenient };
        let started = Instant::now();
        let task = tokio::task::spawn_blocking(move || {
            // Declared first, dropped last: after the response is built and the read's values are gone.
            let _scrub = ScrubStackOnDrop;
            let mut hooks = Hooks {
                events: this.events.clone(),
                read_id: rid.clone(),
                cancel: cancel2.clone(),
                // The deadline counts from the start of the read proper, after any wait for a card.
                deadline: Instant::now() + wait + read_timeout,
            };
            let mut atr = None;
            let result = this.backend.with_card(&rdr, wait, &cancel2, &mut |t| {
                // One SCardStatus per read: the ATR serves the policy and the memory after it.
                atr = t.atr();
                let policy = this.extended_policy(&rdr, atr.clone(), &*t);
                let options = ReadOptions { extended_length: policy, ..options.clone() };
                read_document(t, &key, &options, &mut hooks)
            });
            let decision = result.as_ref().ok().map(|doc| doc.extended_length);
            if let Some(d) = decision {
                tracing::debug!(reader = rdr, extended = d.enabled, source = d.source.as_str(), "extended length");
            }
            this.remember_extended(&rdr, atr, decision);
            let elapsed = started.elapsed();
            // Passive authentication (signature and chain), then the response, built here on the
            // read's thread; the DocumentRead is zeroized when it drops.
            result.map(|doc| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                    .unwrap_or(0);
                let issuing_state = doc.dg1.as_ref().map(|d| d.mrz.issuing_state.as_str());
                let passive = verify_sod(&doc.sod, &trust, now, issuing_state, mode);
                convert::response(&rid, &rdr, &doc, &passive, elapsed.as_millis().try_into().unwrap_or(u64::MAX))
            })
        });
        let outcome = match task.await {
            Ok(r) => r,
            Err(e) => Err(ServiceError::Internal(format!("read task ended abnormally: {e}"))),
        };
        let outcome = match outcome {
            Err(ServiceError::Chip(crate::protocol::Error::Cancelled)) if self.shutting_down.load(Ordering::SeqCst) => {
                Err(ServiceError::ShuttingDown)
            }
            Err(ServiceError::Chip(crate::protocol::Error::Cancelled)) => {
                Err(ServiceError::Timeout("the read took longer than its deadline"))
            }
            other => other,
        };
        drop(guard);
        let ms = started.elapsed().as_millis();
        match &outcome {
            Ok(response) => {
                tracing::info!(read_id, reader, ms, status = %response.verification.status, apdus = response.stats.apdus, "read finished");
                self.events.publish(Event::ReadFinished { read_id, status: response.verification.status.clone() });
            }
            Err(e) => {
                tracing::info!(read_id, reader, ms, code = e.code().as_str(), "read failed");
                self.events.publish(Event::ReadFailed { read_id, code: e.code() });
            }
        }
        outcome
    }
}

/// The access key of a request: exactly one of the contract's four forms.
fn access_key(key: &api::Key) -> Result<AccessKey, ServiceError> {
    let bad = |m: &str| ServiceError::BadRequest(m.into());
    let fields = [&key.mrz, &key.document_number, &key.date_of_birth, &key.date_of_expiry, &key.can, &key.cccd_qr];
    if fields.iter().flat_map(|f| f.as_ref()).any(|v| v.len() > MAX_KEY_FIELD) {
        return Err(bad("a key field is too long"));
    }
    let triple = key.document_number.is_some() || key.date_of_birth.is_some() || key.date_of_expiry.is_some();
    let forms = [key.mrz.is_some(), triple, key.can.is_some(), key.cccd_qr.is_some()].iter().filter(|b| **b).count();
    if forms != 1 {
        return Err(bad(
            "`key` must hold exactly one of: mrz; document_number + date_of_birth + date_of_expiry; can; cccd_qr",
        ));
    }
    if let Some(mrz) = &key.mrz {
        let mrz =
            crate::protocol::mrz::Mrz::parse(mrz).map_err(|e| ServiceError::BadRequest(format!("key.mrz: {e}")))?;
        return Ok(AccessKey::Mrz(mrz.bac_key()));
    }
    if triple {
        let (Some(doc), Some(dob), Some(doe)) = (&key.document_number, &key.date_of_birth, &key.date_of_expiry) else {
            return Err(bad("key: document_number, date_of_birth and date_of_expiry go together"));
        };
        let k = crate::protocol::mrz::BacKey::new(doc, dob, doe)
            .map_err(|e| ServiceError::BadRequest(format!("key: {e}")))?;
        return Ok(AccessKey::Mrz(k));
    }
    if let Some(can) = &key.can {
        if can.len() != 6 || !can.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("key.can: the card access number is 6 digits"));
        }
        return Ok(AccessKey::Can(Zeroizing::new(can.clone())));
    }
    let text = key.cccd_qr.as_deref().unwrap_or_default();
    let qr = crate::protocol::cccd_qr::CccdQr::parse(text)
        .map_err(|e| ServiceError::BadRequest(format!("key.cccd_qr: {e}")))?;
    Ok(AccessKey::CccdQr(Box::new(qr)))
}

/// `data_groups` of a request (`"DG1"`..`"DG16"`).
fn data_groups(names: Option<&[String]>) -> Result<Option<Vec<DataGroup>>, ServiceError> {
    let Some(names) = names else { return Ok(None) };
    if names.len() > MAX_REQUESTED_GROUPS {
        return Err(ServiceError::BadRequest("data_groups: at most 16".into()));
    }
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let dg: DataGroup =
            name.parse().map_err(|()| ServiceError::BadRequest("data_groups: names are DG1 to DG16".into()))?;
        if !out.contains(&dg) {
            out.push(dg);
        }
    }
    // DG14 and DG15 hold the chip's public keys (no personal data): always
    // read, so Chip and Active Authentication run whatever the client asked for.
    for dg in [DataGroup::DG14, DataGroup::DG15] {
        if !out.contains(&dg) {
            out.push(dg);
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(json: &str) -> Result<AccessKey, ServiceError> {
        access_key(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn every_key_form_and_its_errors() {
        assert!(matches!(key(r#"{"can":"012345"}"#), Ok(AccessKey::Can(_))));
        assert!(matches!(
            key(
                r#"{"mrz":"IDVNM0950123455001095012345<<6\n9503124M3503122VNM<<<<<<<<<<<0\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"}"#
            ),
            Ok(AccessKey::Mrz(_))
        ));
        assert!(matches!(
            key(r#"{"document_number":"095012345","date_of_birth":"950312","date_of_expiry":"350312"}"#),
            Ok(AccessKey::Mrz(_))
        ));
        assert!(matches!(
            key(r#"{"cccd_qr":"001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021"}"#),
            Ok(AccessKey::CccdQr(_))
        ));
        for bad in [
            r#"{}"#,
            r#"{"can":"12345"}"#,
            r#"{"can":"01234a"}"#,
            r#"{"can":"012345","cccd_qr":"x"}"#,
            r#"{"document_number":"095012345","date_of_birth":"950312"}"#,
            r#"{"mrz":"IDVNM0950123455001095012345<<7\n9503124M3503122VNM<<<<<<<<<<<0\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"}"#,
            r#"{"cccd_qr":"00109501234||x|12031995|Nam|a|01062021"}"#,
            r#"{"can":"012345\n"}"#,
        ] {
            let e = key(bad).unwrap_err();
            assert_eq!(e.code(), api::ErrorCode::BadRequest, "{bad}");
            assert!(!e.message().contains("012345"), "never echo key material: {}", e.message());
        }
    }

    #[test]
    fn data_group_names() {
        assert_eq!(
            data_groups(Some(&["DG1".into(), "DG13".into(), "DG1".into()])).unwrap(),
            Some(vec![DataGroup::DG1, DataGroup::DG13, DataGroup::DG14, DataGroup::DG15])
        );
        assert!(data_groups(Some(&["DG17".into()])).is_err());
        assert!(data_groups(Some(&["EF.COM".into()])).is_err());
        assert_eq!(data_groups(None).unwrap(), None);
    }
}
