//! Selecting the eMRTD application and reading its elementary files
//! (ICAO 9303-10 §3.6 and §3.10; ISO/IEC 7816-4 §11.2 READ BINARY).
//!
//! The chip moves through two states, as types: [`PlainChip`] (no keys) and,
//! after access control, [`SecureChip`] (secure messaging). A `SecureChip`
//! owns the way to re-authenticate, so when the secure-messaging session is
//! lost mid-file it authenticates once more and resumes at the same offset.
//!
//! Reading a file:
//! * by short file identifier (`B0`, P1 = `80|SFI`), which selects it — no SELECT
//!   round trip — falling back to SELECT by FID when the chip refuses SFIs;
//! * the first chunk is as large as one short protected response allows
//!   ([`Suite::max_short_chunk`]: 231 bytes under 3DES); its TLV header gives
//!   the file's length, so there is no separate header read. If the chip rejects
//!   an over-long first read (`6700`, `6B00`, an unprotected `6282`), one short
//!   header read ([`HEADER_READ_LEN`]) follows;
//! * then chunks at explicit offsets, odd-INS `B1` with an offset in DO'54' at
//!   32 768 and beyond; never past the declared end; `6Cxx` retried once with
//!   the length the chip names (here, in [`SecureChip::exchange`] and
//!   [`PlainChip::exchange`], via [`retry_wrong_le`] — the only place);
//! * every file is capped by [`ReadLimits::max_file_size`], checked on the
//!   declared length before any allocation; reads that stop progressing or
//!   return more than asked are errors; cancellation is checked before every APDU;
//! * the buffer grows with the bytes the chip actually sent, never with its
//!   declaration alone ([`append_zeroizing`]), and every buffer it outgrows is
//!   wiped before it is freed.

use crate::protocol::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::protocol::error::{Error, Malformed, Misbehaviour, TransportError};
use crate::protocol::lds::FileId;
use crate::protocol::sm::{SecureChannel, Suite, Unwrapped};
use crate::protocol::tlv::{self, Reader};
use crate::protocol::transceive::{Transceive, transmit};
use zeroize::Zeroizing;

/// The eMRTD application identifier (ICAO 9303-10 §3.6.2): `A0 00 00 02 47 10 01`.
pub const EMRTD_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];
/// Bytes asked for when the first read must be a header read: tag (1) + length (up to 1 + 3... see below).
/// Four bytes cover a one-byte tag with lengths up to 65 535 (`82 xx xx`); longer headers read on.
pub const HEADER_READ_LEN: usize = 4;
/// Default cap on one file (a DG2 with a large portrait is 20–60 KB; DG3 may be larger but is not read by default).
pub const DEFAULT_MAX_FILE_SIZE: usize = 200 * 1024;
/// Absolute cap on one file, whatever the configuration.
pub const MAX_FILE_SIZE_LIMIT: usize = 16 * 1024 * 1024;
/// Consecutive READ BINARY answers without data tolerated before giving up.
pub const MAX_ZERO_PROGRESS_READS: usize = 3;
/// Smallest chunk we shrink to when the chip keeps answering `6700`.
pub const MIN_CHUNK: usize = 16;
/// Re-authentications allowed in one read of a document (each only after progress).
pub const MAX_REAUTHENTICATIONS: usize = 4;
/// Largest offset of even-INS READ BINARY (15 bits, ISO/IEC 7816-4 §11.2.3).
pub const MAX_B0_OFFSET: usize = 0x7FFF;
/// The largest DO'53' header (tag and three length bytes) around odd-INS READ BINARY data.
const ODD_INS_HEADER_MAX: usize = 4;
/// Le of an extended-length READ BINARY when extended length is enabled.
pub const EXTENDED_CHUNK: usize = 0x0F00;

/// Limits for reading files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest file accepted, checked against the declared TLV length before any allocation.
    pub max_file_size: usize,
    /// Use extended-length READ BINARY (larger chunks) — only for chips and readers known to support it
    /// ([`crate::protocol::extended_length`] decides this per card).
    pub extended_length: bool,
    /// With `extended_length`: the largest response APDU (data and SW) chip and reader accept, when known;
    /// chunks shrink to fit it (never above [`EXTENDED_CHUNK`]).
    pub max_response: Option<usize>,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self { max_file_size: DEFAULT_MAX_FILE_SIZE, extended_length: false, max_response: None }
    }
}

impl ReadLimits {
    /// The first chunk to ask for on `chip`.
    fn chunk<C: Channel + ?Sized>(&self, chip: &C) -> usize {
        let short = chip.max_short_chunk();
        if !self.extended_length {
            return short;
        }
        match self.max_response {
            Some(n) => chip.max_chunk_for_response(n.saturating_sub(2)).clamp(short, EXTENDED_CHUNK),
            None => EXTENDED_CHUNK,
        }
    }
}

/// Callbacks from a read: cancellation (checked between APDUs) and progress.
pub trait ReadHooks {
    /// True when the read must stop (deadline, shutdown, client gone).
    fn cancelled(&self) -> bool {
        false
    }
    /// Called after every chunk of `file`: `bytes` of `total` read.
    fn progress(&mut self, _file: FileId, _bytes: usize, _total: usize) {}
}

/// Hooks that never cancel and ignore progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHooks;
impl ReadHooks for NoHooks {}

/// What one read costs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Command APDUs sent (GET RESPONSE included).
    pub apdus: usize,
    /// File bytes read.
    pub bytes_read: usize,
    /// Times the secure channel was re-established after a secure-messaging error.
    pub reauthentications: usize,
}

/// The outcome of reading one file.
#[derive(Debug)]
pub enum FileContent {
    /// The whole file (zeroized on drop).
    Read(Zeroizing<Vec<u8>>),
    /// The chip has no such file (`6A82`).
    NotPresent,
    /// The chip refused access (`6982`: e.g. DG3 without Terminal Authentication).
    Denied(StatusWord),
}

/// A transport that counts APDUs.
struct Counted<'a> {
    inner: &'a mut dyn Transceive,
    apdus: usize,
}

impl Transceive for Counted<'_> {
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.apdus += 1;
        self.inner.transceive(command)
    }
}

/// Sends `cmd` through `send`; on `6Cxx` (wrong Le, ISO/IEC 7816-4 §5.6) with
/// xx below the Ne asked for, sends it once more with Ne = xx. This is the only
/// place `6Cxx` is handled.
pub fn retry_wrong_le(
    cmd: CommandApdu,
    mut send: impl FnMut(&CommandApdu) -> Result<ResponseApdu, Error>,
) -> Result<ResponseApdu, Error> {
    let response = send(&cmd)?;
    match response.sw.exact_length() {
        // Only a shorter length is honoured: a chip naming more bytes than were
        // asked for gets its status passed up (a larger Le could overflow the
        // response the caller budgeted for).
        Some(xx) if cmd.le.is_some_and(|le| xx < le) => {
            let mut retry = cmd.clone();
            retry.le = Some(xx);
            send(&retry)
        }
        _ => Ok(response),
    }
}

/// What a chip remembers about files between commands, kept by both states.
#[derive(Debug, Default)]
pub struct FileState {
    /// The chip answered an SFI read with "function/parameters not supported": SELECT by FID from now on.
    sfi_refused: bool,
    /// The file currently selected on the chip (None after re-authentication or a DF change).
    selected: Option<FileId>,
    /// File bytes read so far.
    bytes_read: usize,
}

impl FileState {
    /// Forgets which file is selected (after a command that selected another one implicitly).
    pub fn forget_selection(&mut self) {
        self.selected = None;
    }
}

/// A chip that files can be read from: [`PlainChip`] or [`SecureChip`].
pub trait Channel {
    /// Sends one command (with the `6Cxx` retry) and returns the response.
    fn exchange(&mut self, cmd: CommandApdu) -> Result<ResponseApdu, Error>;
    /// The file-selection state.
    fn file_state(&mut self) -> &mut FileState;
    /// The largest READ BINARY chunk that fits one short response on this channel.
    fn max_short_chunk(&self) -> usize;
    /// The largest READ BINARY chunk whose response data fits `response_data` bytes on this channel.
    fn max_chunk_for_response(&self, response_data: usize) -> usize;
    /// Recovers from `cause` at `offset` of `file` so the read can go on, or
    /// returns the error that ends it. Only a secure channel can recover (by
    /// re-authenticating); a plain one returns `cause`.
    fn recover(&mut self, file: FileId, offset: usize, cause: Error) -> Result<(), Error>;

    /// SELECT the eMRTD application by AID (ICAO 9303-10 §3.6.2, `00 A4 04 0C 07 A0000002471001`).
    fn select_application(&mut self) -> Result<(), Error> {
        let r = self.exchange(CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(EMRTD_AID))?;
        self.file_state().selected = None;
        match r.sw {
            StatusWord::OK => Ok(()),
            StatusWord::FILE_NOT_FOUND => Err(Error::Unsupported("the chip has no eMRTD application")),
            sw => Err(Error::Status { during: "SELECT eMRTD application", sw }),
        }
    }

    /// SELECT the master file (`00 A4 00 0C 02 3F 00`). Some chips refuse it —
    /// the CCCD answers `6D00` (CCCD.md) — so a refusal is returned as `false`,
    /// not as an error; the files of the MF are then reached by SFI.
    fn select_master_file(&mut self) -> Result<bool, Error> {
        let r = self.exchange(CommandApdu::new(0x00, 0xA4, 0x00, 0x0C).with_data([0x3F, 0x00]))?;
        self.file_state().selected = None;
        if !r.sw.is_ok() {
            tracing::debug!(sw = %r.sw, "SELECT MF refused; continuing with SFI reads");
        }
        Ok(r.sw.is_ok())
    }

    /// Reads a whole elementary file (see the module documentation for the strategy).
    fn read_file(&mut self, file: FileId, limits: &ReadLimits, hooks: &mut dyn ReadHooks) -> Result<FileContent, Error>
    where
        Self: Sized,
    {
        read_file(self, file, limits, hooks)
    }
}

/// A chip with no secure channel yet.
pub struct PlainChip<'a> {
    t: Counted<'a>,
    files: FileState,
}

/// The chunk of a plain READ BINARY (no secure-messaging overhead; kept at
/// the `DF` common to eMRTD readers rather than 256, which some readers mishandle).
pub const PLAIN_CHUNK: usize = 0xDF;

impl<'a> PlainChip<'a> {
    /// Wraps a transport.
    pub fn new(t: &'a mut dyn Transceive) -> Self {
        Self { t: Counted { inner: t, apdus: 0 }, files: FileState::default() }
    }

    /// The transport, for access-control protocols run on it.
    pub fn transport(&mut self) -> &mut dyn Transceive {
        self.files.selected = None;
        &mut self.t
    }

    /// APDUs sent so far.
    pub fn apdus(&self) -> usize {
        self.t.apdus
    }

    /// Moves to the secure state with an established channel; `reauth` re-runs
    /// the same access control when the session is lost.
    /// `reselect` says whether the application must be selected again after a
    /// re-authentication (PACE runs in the master file; BAC inside the application).
    pub fn into_secure(
        self,
        channel: SecureChannel,
        reauth: Box<Reauthenticate<'a>>,
        reselect: bool,
    ) -> SecureChip<'a> {
        SecureChip {
            t: self.t,
            channel,
            reauth,
            reselect,
            files: FileState { selected: None, ..self.files },
            reauthentications: 0,
            reauth_points: Vec::new(),
        }
    }
}

impl Channel for PlainChip<'_> {
    fn exchange(&mut self, cmd: CommandApdu) -> Result<ResponseApdu, Error> {
        let t = &mut self.t;
        retry_wrong_le(cmd, |c| transmit(t, c))
    }
    fn file_state(&mut self) -> &mut FileState {
        &mut self.files
    }
    fn max_short_chunk(&self) -> usize {
        PLAIN_CHUNK
    }
    fn max_chunk_for_response(&self, response_data: usize) -> usize {
        response_data
    }
    fn recover(&mut self, _file: FileId, _offset: usize, cause: Error) -> Result<(), Error> {
        Err(cause)
    }
}

/// Re-runs access control on the transport and returns a fresh channel.
pub type Reauthenticate<'a> = dyn FnMut(&mut dyn Transceive) -> Result<SecureChannel, Error> + 'a;

/// A chip under secure messaging.
pub struct SecureChip<'a> {
    t: Counted<'a>,
    channel: SecureChannel,
    reauth: Box<Reauthenticate<'a>>,
    /// Select the application again after re-authenticating (PACE).
    reselect: bool,
    files: FileState,
    /// Times the channel was re-established.
    reauthentications: usize,
    /// Where re-authentications happened: a second one at the same point fails the read.
    reauth_points: Vec<(FileId, usize)>,
}

/// True for errors after which the chip has dropped its session keys.
fn session_lost(e: &Error) -> bool {
    matches!(e, Error::Misbehaving(Misbehaviour::SecureMessaging(_) | Misbehaviour::SecureMessagingAborted(_)))
}

impl SecureChip<'_> {
    /// The counts of this read so far.
    pub fn stats(&self) -> Stats {
        Stats { apdus: self.t.apdus, bytes_read: self.files.bytes_read, reauthentications: self.reauthentications }
    }

    /// The cipher suite of the secure channel.
    pub fn suite(&self) -> Suite {
        self.channel.suite()
    }
}

impl<'a> SecureChip<'a> {
    /// Runs a protocol that replaces the session keys — Chip Authentication
    /// (ICAO 9303-11 §6.2) — under the current channel: `f` gets the
    /// (counted) transport and the current channel and returns the channel
    /// that replaces it. On error the current channel stays (it may be dead:
    /// the caller decides whether to [`reauthenticate`](Self::reauthenticate)).
    /// The current EF is forgotten either way.
    pub fn rekey(
        &mut self,
        f: impl FnOnce(&mut dyn Transceive, &mut SecureChannel) -> Result<SecureChannel, Error>,
    ) -> Result<(), Error> {
        self.files.selected = None;
        self.channel = f(&mut self.t, &mut self.channel)?;
        Ok(())
    }

    /// Replaces the re-authentication procedure by `f(current)`, e.g. to run
    /// Chip Authentication again after PACE or BAC when the session is lost.
    pub fn wrap_reauthentication(&mut self, f: impl FnOnce(Box<Reauthenticate<'a>>) -> Box<Reauthenticate<'a>>) {
        let unavailable: Box<Reauthenticate<'a>> =
            Box::new(|_: &mut dyn Transceive| Err(Error::Unsupported("re-authentication unavailable")));
        let current = core::mem::replace(&mut self.reauth, unavailable);
        self.reauth = f(current);
    }

    /// Re-establishes the session now with the re-authentication procedure
    /// (selecting the application again after PACE), counted as a re-authentication.
    pub fn reauthenticate(&mut self) -> Result<(), Error> {
        self.files.selected = None;
        self.channel = (self.reauth)(&mut self.t)?;
        self.reauthentications += 1;
        if self.reselect {
            self.select_application()?;
        }
        Ok(())
    }

    /// True when the application is selected again after a re-authentication (PACE, in the master file).
    pub fn reselects_application(&self) -> bool {
        self.reselect
    }
}

impl Channel for SecureChip<'_> {
    /// Sends a command under secure messaging (with the `6Cxx` retry). An
    /// unprotected status from the chip comes back as a response with no data.
    fn exchange(&mut self, cmd: CommandApdu) -> Result<ResponseApdu, Error> {
        let t = &mut self.t;
        let channel = &mut self.channel;
        retry_wrong_le(cmd, |c| {
            let wrapped = channel.wrap(c)?;
            let response = transmit(t, &wrapped)?;
            match channel.unwrap(response)? {
                Unwrapped::Authentic(r) => Ok(r),
                Unwrapped::Unprotected(sw) => {
                    tracing::debug!(sw = %sw, "unprotected status under secure messaging");
                    Ok(ResponseApdu::status(sw))
                }
            }
        })
    }

    fn file_state(&mut self) -> &mut FileState {
        &mut self.files
    }

    fn max_short_chunk(&self) -> usize {
        self.channel.suite().max_short_chunk()
    }

    fn max_chunk_for_response(&self, response_data: usize) -> usize {
        self.channel.suite().max_chunk_for_response(response_data)
    }

    fn recover(&mut self, file: FileId, offset: usize, cause: Error) -> Result<(), Error> {
        if !session_lost(&cause) {
            return Err(cause);
        }
        let point = (file, offset);
        if self.reauth_points.contains(&point) || self.reauth_points.len() >= MAX_REAUTHENTICATIONS {
            tracing::warn!(file = %file, offset, error = %cause, "secure messaging lost again; giving up");
            return Err(Misbehaviour::SessionLostTwice.into());
        }
        tracing::info!(file = %file, offset, error = %cause, "secure messaging lost; re-authenticating");
        self.reauth_points.push(point);
        self.files.selected = None;
        self.channel = (self.reauth)(&mut self.t)?;
        self.reauthentications += 1;
        if self.reselect {
            self.select_application()?;
        }
        Ok(())
    }
}

/// SELECT an elementary file by FID (`00 A4 02 0C 02 <fid>`).
fn select<C: Channel + ?Sized>(chip: &mut C, file: FileId) -> Result<Option<FileContent>, Error> {
    let r = chip.exchange(CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(file.fid().to_be_bytes()))?;
    match r.sw {
        StatusWord::OK => {
            chip.file_state().selected = Some(file);
            Ok(None)
        }
        StatusWord::FILE_NOT_FOUND => Ok(Some(FileContent::NotPresent)),
        StatusWord::SECURITY_STATUS_NOT_SATISFIED => Ok(Some(FileContent::Denied(r.sw))),
        sw => Err(Error::Status { during: "SELECT file", sw }),
    }
}

/// One READ BINARY at `offset` for up to `le` bytes of `file`, choosing SFI,
/// plain offset or odd-INS form. `Ok(Err(content))` ends the file early
/// (not present / denied); data and the status otherwise.
fn read_chunk<C: Channel + ?Sized>(
    chip: &mut C,
    file: FileId,
    offset: usize,
    le: usize,
) -> Result<Result<ResponseApdu, FileContent>, Error> {
    let sfi_possible = offset <= 0xFF && !chip.file_state().sfi_refused;
    if chip.file_state().selected != Some(file)
        && !sfi_possible
        && let Some(content) = select(chip, file)?
    {
        return Ok(Err(content));
    }
    let (cmd, odd) = if chip.file_state().selected != Some(file) {
        // P1 = 1000 0 SFI, P2 = offset (ISO/IEC 7816-4 §11.2.3); selects the file.
        (CommandApdu::new(0x00, 0xB0, 0x80 | file.sfi(), offset as u8).with_le(le), false)
    } else if offset <= MAX_B0_OFFSET {
        let [hi, lo] = (offset as u16).to_be_bytes();
        (CommandApdu::new(0x00, 0xB0, hi, lo).with_le(le), false)
    } else {
        // Odd INS: offset in DO'54' on the current file, data in DO'53'.
        let off = (offset as u32).to_be_bytes();
        let skip = off.iter().take_while(|&&b| b == 0).count().min(3);
        let data = tlv::tlv(0x54, off.get(skip..).unwrap_or(&[0]));
        let mut header = vec![0x53];
        tlv::write_length(le, &mut header);
        (CommandApdu::new(0x00, 0xB1, 0x00, 0x00).with_data(data).with_le(le + header.len()), true)
    };
    let via_sfi = cmd.ins == 0xB0 && cmd.p1 & 0x80 != 0;
    let mut r = chip.exchange(cmd)?;
    if via_sfi {
        match r.sw {
            StatusWord::OK | StatusWord::END_OF_FILE => chip.file_state().selected = Some(file),
            StatusWord::FILE_NOT_FOUND => return Ok(Err(FileContent::NotPresent)),
            StatusWord::SECURITY_STATUS_NOT_SATISFIED => return Ok(Err(FileContent::Denied(r.sw))),
            StatusWord::INCORRECT_P1P2
            | StatusWord::WRONG_PARAMETERS
            | StatusWord(0x6A81)
            | StatusWord::INS_NOT_SUPPORTED
                if offset == 0 =>
            {
                tracing::info!(sw = %r.sw, "chip refused a read by short file identifier; selecting by FID");
                chip.file_state().sfi_refused = true;
                return read_chunk(chip, file, offset, le);
            }
            _ => {}
        }
    }
    if odd && !r.data.is_empty() {
        let inner = {
            let mut rd = Reader::new(&r.data);
            let v = tlv::expect_tlv(&mut rd, 0x53, "odd-INS READ BINARY response (DO'53')")?;
            rd.expect_end("odd-INS READ BINARY response (DO'53')")?;
            v.to_vec()
        };
        r = ResponseApdu { data: inner, sw: r.sw };
    }
    Ok(Ok(r))
}

/// Smallest capacity a file buffer grows to: one short protected chunk or two.
const MIN_FILE_BUFFER: usize = 512;

/// Appends `data` to a file buffer (or, in the service, a request body), growing it with what was received, not
/// with what the chip declared: a chip declaring a file at the cap and
/// sending a few hundred bytes makes the reader hold a few hundred bytes.
///
/// `Vec`'s own growth would free the outgrown buffer unwiped, leaving a copy
/// of the file (personal data) in freed memory. Here the larger buffer is
/// allocated and filled first, and the outgrown one is zeroized when it is
/// dropped. Capacity doubles (so a file costs O(log n) copies) but never
/// exceeds the declared length `total` once it is known, so a genuine file
/// ends in a buffer of exactly its size.
pub(crate) fn append_zeroizing(buf: &mut Zeroizing<Vec<u8>>, data: &[u8], total: Option<usize>) {
    let needed = buf.len().saturating_add(data.len());
    if needed > buf.capacity() {
        let doubled = buf.capacity().saturating_mul(2).max(MIN_FILE_BUFFER);
        let capacity = match total {
            Some(t) => doubled.min(t),
            None => doubled,
        }
        .max(needed);
        let mut grown = Zeroizing::new(Vec::with_capacity(capacity));
        grown.extend_from_slice(buf);
        *buf = grown;
    }
    buf.extend_from_slice(data);
}

/// Reads a whole elementary file (see the module documentation for the strategy).
pub fn read_file<C: Channel + ?Sized>(
    chip: &mut C,
    file: FileId,
    limits: &ReadLimits,
    hooks: &mut dyn ReadHooks,
) -> Result<FileContent, Error> {
    let max_size = limits.max_file_size.min(MAX_FILE_SIZE_LIMIT);
    let mut chunk = limits.chunk(chip);
    let mut buf: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
    let mut total: Option<usize> = None;
    let mut zero_reads = 0;
    let mut reads = 0usize;
    let mut header_only = false;
    loop {
        if total.is_some_and(|t| buf.len() >= t) {
            break;
        }
        if hooks.cancelled() {
            return Err(Error::Cancelled);
        }
        let offset = buf.len();
        // Past 32 767 the data comes wrapped in DO'53' (up to 4 header bytes), which must fit too.
        let room = if offset > MAX_B0_OFFSET { chunk - ODD_INS_HEADER_MAX } else { chunk };
        let want = match total {
            Some(t) => room.min(t - offset),
            None if header_only => HEADER_READ_LEN.max(offset + 2) - offset,
            None => chunk,
        };
        reads += 1;
        let max_reads = 16 + total.unwrap_or(0) / MIN_CHUNK;
        if reads > max_reads {
            return Err(Misbehaviour::NoProgress(file.name()).into());
        }
        let response = match read_chunk(chip, file, offset, want) {
            Ok(Ok(r)) => r,
            Ok(Err(content)) => return Ok(content),
            Err(e) => {
                chip.recover(file, offset, e)?;
                continue;
            }
        };
        match response.sw {
            StatusWord::OK | StatusWord::END_OF_FILE => {}
            StatusWord::WRONG_LENGTH | StatusWord::WRONG_PARAMETERS if total.is_none() && !header_only => {
                header_only = true;
                continue;
            }
            StatusWord::WRONG_LENGTH if chunk > MIN_CHUNK => {
                chunk = (chunk / 2).max(MIN_CHUNK);
                continue;
            }
            StatusWord::WRONG_PARAMETERS => {
                return Err(Malformed::Invalid {
                    what: file.name(),
                    reason: "the file ends before its declared length",
                }
                .into());
            }
            sw => return Err(Error::Status { during: "READ BINARY", sw }),
        }
        let got = response.data.len();
        if got > want {
            return Err(Misbehaviour::TooMuchData { asked: want, got }.into());
        }
        if got == 0 {
            if response.sw == StatusWord::END_OF_FILE && total.is_none() && !header_only {
                header_only = true;
                continue;
            }
            zero_reads += 1;
            if zero_reads >= MAX_ZERO_PROGRESS_READS {
                return Err(Misbehaviour::NoProgress(file.name()).into());
            }
            continue;
        }
        zero_reads = 0;
        append_zeroizing(&mut buf, &response.data, total);
        if total.is_none() {
            match tlv::read_header(&buf, file.name()) {
                Ok(h) => {
                    if h.tag != u32::from(file.tag()) {
                        return Err(Misbehaviour::WrongFile(file.name()).into());
                    }
                    let t = h.total_len().ok_or(Error::Limit { what: file.name(), limit: max_size })?;
                    if t > max_size {
                        return Err(Error::Limit { what: file.name(), limit: max_size });
                    }
                    total = Some(t);
                }
                Err(Malformed::Truncated(_)) if buf.len() < 8 => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(t) = total {
            // Never keep bytes past the declared end of the file.
            buf.truncate(t);
            if response.sw == StatusWord::END_OF_FILE && buf.len() < t {
                return Err(Malformed::Invalid {
                    what: file.name(),
                    reason: "the file ends before its declared length",
                }
                .into());
            }
            hooks.progress(file, buf.len(), t);
        }
    }
    chip.file_state().bytes_read += buf.len();
    Ok(FileContent::Read(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_buffer_grows_with_what_arrives_and_stops_at_the_declared_length() {
        let mut buf = Zeroizing::new(Vec::new());
        append_zeroizing(&mut buf, &[1; 231], None);
        assert_eq!(buf.capacity(), MIN_FILE_BUFFER);
        // A declaration of 16 MiB reserves nothing by itself.
        append_zeroizing(&mut buf, &[2; 231], Some(MAX_FILE_SIZE_LIMIT));
        assert_eq!(buf.capacity(), MIN_FILE_BUFFER);
        append_zeroizing(&mut buf, &[3; 231], Some(MAX_FILE_SIZE_LIMIT));
        assert_eq!(buf.capacity(), 2 * MIN_FILE_BUFFER);
        assert_eq!(buf.len(), 3 * 231);
        assert!(buf[..231].iter().all(|&b| b == 1) && buf[462..].iter().all(|&b| b == 3));
        // Near the end the capacity is the declared length, not the next power of two.
        let declared = 1500;
        append_zeroizing(&mut buf, &[4; 500], Some(declared));
        assert_eq!(buf.capacity(), declared);
        assert_eq!(buf.len(), 3 * 231 + 500);
    }

    #[test]
    fn a_chunk_larger_than_double_the_buffer_fits_at_once() {
        let mut buf = Zeroizing::new(Vec::new());
        append_zeroizing(&mut buf, &[7; EXTENDED_CHUNK], Some(100_000));
        assert_eq!(buf.len(), EXTENDED_CHUNK);
        assert_eq!(buf.capacity(), EXTENDED_CHUNK);
    }
}
