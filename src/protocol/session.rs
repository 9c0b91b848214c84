//! The whole read of a document, from an access key to parsed, hash-checked
//! data groups (ICAO 9303-11 §4 and §5.1; the inspection procedure of
//! ICAO 9303-11 §7.1 without the signature and chain steps, which belong to
//! passive authentication proper).
//!
//! 1. Decide on extended-length reads ([`extended_length`]: configuration,
//!    remembered result, reader, ATR, else EF.ATR/INFO read in the clear), then
//!    read EF.CardAccess in the clear: does the chip offer PACE?
//! 2. Access control by the key policy of [`open`]: PACE with the CAN or the
//!    MRZ where offered, else BAC; then SELECT the eMRTD application.
//! 3. Read EF.COM and EF.SOD; the data groups to read are those the SOD
//!    lists, cross-checked with EF.COM, less DG3/DG4 (Terminal
//!    Authentication) unless asked for, and less any not requested.
//! 4. DG14 first (when it is to be read), then Chip Authentication
//!    (ICAO 9303-11 §6.2, [`ca`]) with its key — DG14's hash
//!    checked against EF.SOD before its key is trusted. When it passes, the
//!    rest is read under the new session keys.
//! 5. Read each other data group; a missing file (`6A82`) is recorded as absent,
//!    a refused one (`6982`) as denied — neither fails the read.
//! 6. Active Authentication (ICAO 9303-11 §6.1, [`aa`]) last,
//!    with the key of DG15 (when DG15 was read and its hash checks out).
//! 7. Parse what was read; a data group that does not parse is recorded
//!    with its error (its hash is still checked).
//! 8. Hash every data group read and compare with the SOD.
//!
//! Chip and Active Authentication never fail the read: their outcome is a
//! [`ChipCheck`]. Only transport failures and cancellation during them end
//! the read (HOSTILE 31: nothing is published from a card that left).
//! They need DG14 / DG15, so they are [`ChipCheck::NotPerformed`] when the
//! caller's `data_groups` leave those out (they hold keys, no personal data).
//!
//! Session keys after Chip Authentication: a lost session is re-established
//! by PACE or BAC *and then Chip Authentication again*, so reading always
//! continues under chip-authenticated keys; if that second Chip
//! Authentication fails, `chip_authentication` becomes `failed` and the read
//! continues under the PACE/BAC keys. When Chip Authentication fails the
//! first time, the session is re-established with PACE/BAC alone (unless the
//! chip merely refused the protocol under a still-working session).
//!
//! Keys and file buffers are zeroized when the read ends, successful or not.

use crate::protocol::access::bac::bac;
use crate::protocol::access::pace::{PaceParams, Password, pace};
use crate::protocol::access::{OsRng, Rng};
use crate::protocol::apdu::{CommandApdu, StatusWord};
use crate::protocol::authenticity::{ChipCheck, aa, ca};
use crate::protocol::cccd_qr::CccdQr;
use crate::protocol::crypto::ec::Curve;
use crate::protocol::error::{Error, Malformed};
use crate::protocol::extended_length::{self, AtrInfo, Decision, ExtendedLength, Source, Step};
use crate::protocol::lds::card_access::{self, CardAccess};
use crate::protocol::lds::security_infos::{KeyAgreement, Mapping};
use crate::protocol::lds::{self, DataGroup, FileId, com::EfCom, dg1::Dg1, dg2::Portrait, dg13::CccdData, sod::Sod};
use crate::protocol::mrz::BacKey;
use crate::protocol::read::{
    Channel, EMRTD_AID, FileContent, PlainChip, ReadHooks, ReadLimits, Reauthenticate, SecureChip, Stats,
};
use crate::protocol::transceive::Transceive;
use crate::protocol::verify::{self, HashCheck, HashReport};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use zeroize::Zeroizing;

/// Upper bound on BAC attempts with keys guessed from a CCCD's QR code (one per expiry candidate).
pub const MAX_QR_BAC_ATTEMPTS: usize = 4;

/// The key the caller gives to open the chip.
#[derive(Debug, Clone)]
pub enum AccessKey {
    /// The MRZ-derived key (document number, date of birth, date of expiry): PACE-MRZ or BAC.
    Mrz(BacKey),
    /// The card access number printed on the document: PACE-CAN.
    Can(Zeroizing<String>),
    /// The QR code on the front of a Vietnamese CCCD: PACE with its CAN, else
    /// BAC with the document number, date of birth and guessed expiry dates.
    CccdQr(Box<CccdQr>),
}

/// The access-control protocol that opened the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMethod {
    /// Basic Access Control (ICAO 9303-11 §4.3).
    Bac,
    /// PACE v2 (ICAO 9303-11 §4.4).
    Pace,
}

impl AccessMethod {
    /// The API name: `"bac"` or `"pace"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bac => "bac",
            Self::Pace => "pace",
        }
    }
}

/// Which secret opened the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUsed {
    /// The card access number.
    Can,
    /// The MRZ information.
    Mrz,
}

impl KeyUsed {
    /// The API name: `"can"` or `"mrz"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Can => "can",
            Self::Mrz => "mrz",
        }
    }
}

/// How the chip was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The protocol.
    pub method: AccessMethod,
    /// The secret.
    pub key: KeyUsed,
}

/// What to read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The data groups to read; `None` = every one the chip lets us read
    /// (DG3 and DG4 only when named here, as they need Terminal Authentication).
    pub data_groups: Option<Vec<DataGroup>>,
    /// File-size and APDU limits.
    pub limits: ReadLimits,
    /// Run Chip Authentication (ICAO 9303-11 §6.2) when DG14 offers it (default: yes).
    pub chip_authentication: bool,
    /// Run Active Authentication (ICAO 9303-11 §6.1) when DG15 is present (default: yes).
    pub active_authentication: bool,
    /// Extended-length reads: off, on, or detected for this card
    /// ([`extended_length`]). `limits.extended_length = true` forces them on.
    pub extended_length: ExtendedLength,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            data_groups: None,
            limits: ReadLimits::default(),
            chip_authentication: true,
            active_authentication: true,
            extended_length: ExtendedLength::Off,
        }
    }
}

/// Everything read from a document, parsed and hash-checked. Personal data is
/// wiped when this is dropped.
#[derive(Debug)]
pub struct DocumentRead {
    /// The access control used.
    pub access: Access,
    /// EF.CardAccess, when the chip has a readable one that parses.
    pub card_access: Option<CardAccess>,
    /// The raw bytes of every file read, in reading order.
    pub files: Vec<(FileId, Zeroizing<Vec<u8>>)>,
    /// Files asked for that the chip does not have (`6A82`).
    pub absent: Vec<FileId>,
    /// Files the chip refused to give (`6982`, e.g. DG3).
    pub denied: Vec<FileId>,
    /// EF.COM.
    pub com: EfCom,
    /// EF.SOD, parsed down to the LDS security object.
    pub sod: Sod,
    /// DG1, if read and parsed.
    pub dg1: Option<Dg1>,
    /// The portrait of DG2, if read and present.
    pub portrait: Option<Portrait>,
    /// DG11, if read and parsed.
    pub dg11: Option<lds::dg11::Dg11>,
    /// DG12, if read and parsed.
    pub dg12: Option<lds::dg12::Dg12>,
    /// The Vietnamese DG13, if read and in that layout.
    pub cccd: Option<CccdData>,
    /// Data groups that were read but did not parse, with the reason.
    pub parse_errors: Vec<(FileId, Malformed)>,
    /// Data groups listed by EF.COM but not by the SOD, or the other way round
    /// (ICAO 9303-10 §4.6.1; TR-03135 §5.6.4.4.1): a verification failure.
    pub com_sod_mismatch: Vec<DataGroup>,
    /// Per-DG hash results.
    pub hashes: HashReport,
    /// Chip Authentication (ICAO 9303-11 §6.2; API.md `verification.chip_authentication`).
    pub chip_authentication: ChipCheck,
    /// Active Authentication (ICAO 9303-11 §6.1; API.md `verification.active_authentication`).
    pub active_authentication: ChipCheck,
    /// APDUs, bytes and re-authentications.
    pub stats: Stats,
    /// Whether extended-length reads were used, and why (for the caller to remember for this card).
    pub extended_length: Decision,
}

impl DocumentRead {
    /// The raw bytes of `file`, if it was read.
    pub fn file(&self, file: FileId) -> Option<&[u8]> {
        self.files.iter().find(|(f, _)| *f == file).map(|(_, b)| b.as_slice())
    }
}

/// Reads a document with OS randomness. See the module documentation.
pub fn read_document(
    t: &mut dyn Transceive,
    key: &AccessKey,
    options: &ReadOptions,
    hooks: &mut dyn ReadHooks,
) -> Result<DocumentRead, Error> {
    read_document_with_rng(t, key, options, hooks, &mut OsRng)
}

/// [`read_document`] with a caller-supplied random source (worked examples,
/// tests, the fuzz harness): every random byte the terminal draws in the read
/// comes from `rng` — access control, Chip and Active Authentication, and any
/// re-authentication after a lost session — so a reproducible `rng` (and chip)
/// reproduces the whole exchange.
pub fn read_document_with_rng(
    t: &mut dyn Transceive,
    key: &AccessKey,
    options: &ReadOptions,
    hooks: &mut dyn ReadHooks,
    rng: &mut dyn Rng,
) -> Result<DocumentRead, Error> {
    if hooks.cancelled() {
        return Err(Error::Cancelled);
    }
    let mut plain = PlainChip::new(t);
    let (decision, mf_selected) = decide_extended_length(&mut plain, options)?;
    let options = &ReadOptions {
        limits: ReadLimits {
            extended_length: decision.enabled,
            max_response: decision.max_response.or(options.limits.max_response),
            ..options.limits
        },
        ..options.clone()
    };
    let card_access_bytes = read_card_access(&mut plain, mf_selected, &options.limits, hooks)?;
    let card_access = card_access_bytes.as_ref().and_then(|bytes| match card_access::parse(bytes) {
        Ok(ca) => Some(ca),
        Err(e) => {
            tracing::warn!(error = %e, "EF.CardAccess does not parse; PACE is not attempted");
            None
        }
    });
    let pace_params = card_access.as_ref().and_then(choose_pace);
    let mut rng = SharedRng(Rc::new(RefCell::new(rng)));
    let (mut chip, access) = open(plain, key, pace_params, &mut rng)?;
    let mut doc = read_files(&mut chip, access, options, hooks, &mut rng)?;
    if let Some(bytes) = card_access_bytes {
        doc.files.insert(0, (FileId::CardAccess, bytes));
    }
    doc.card_access = card_access;
    doc.extended_length = decision;
    Ok(doc)
}

/// The caller's random source, shared by every step of one read — access
/// control, Chip and Active Authentication — and by the re-authentications
/// that may run in the middle of it (stored in the [`SecureChip`]), so that
/// the terminal's random bytes all come from the source the caller chose and
/// a reproducible source reproduces the whole session, re-authentications
/// included (the fuzz seeds and their replay as tests depend on it).
#[derive(Clone)]
struct SharedRng<'a>(Rc<RefCell<&'a mut dyn Rng>>);

impl Rng for SharedRng<'_> {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        // Never borrowed twice: no generator calls back into the session.
        let mut rng = self.0.try_borrow_mut().map_err(|_| Error::Unsupported("the random source is in use"))?;
        rng.fill(buf)
    }
}

/// Decides on extended-length reads ([`extended_length`]): from the
/// configuration, a remembered result, the reader or the ATR; else by reading
/// EF.ATR/INFO in the clear (after SELECT MF, so the caller need not select it
/// again: the second value says whether that SELECT was sent). Only transport
/// failures and cancellation end the read; an unreadable EF.ATR/INFO means
/// "no indication".
fn decide_extended_length(plain: &mut PlainChip<'_>, options: &ReadOptions) -> Result<(Decision, bool), Error> {
    if options.limits.extended_length {
        let on = Decision { enabled: true, max_response: options.limits.max_response, source: Source::Configured };
        return Ok((on, false));
    }
    let policy = &options.extended_length;
    let decision = match extended_length::decide_before_reading(policy) {
        Step::Decided(d) => return Ok((d, false)),
        Step::ReadAtrInfo => {
            match plain.select_master_file() {
                Err(e @ (Error::Transport(_) | Error::Cancelled)) => return Err(e),
                Err(e) => tracing::debug!(error = %e, "SELECT MF failed before EF.ATR/INFO"),
                Ok(_) => {}
            }
            let info = read_atr_info(plain)?;
            extended_length::decide_with_atr_info(policy, info.as_ref())
        }
    };
    tracing::debug!(
        extended = decision.enabled,
        max_response = decision.max_response,
        source = decision.source.as_str(),
        "extended length decided"
    );
    Ok((decision, true))
}

/// One short READ BINARY of EF.ATR/INFO by its SFI (ICAO 9303-10 §3.11.1);
/// `None` when the chip has none or the answer is not usable.
fn read_atr_info(plain: &mut PlainChip<'_>) -> Result<Option<AtrInfo>, Error> {
    let cmd = CommandApdu::new(0x00, 0xB0, 0x80 | extended_length::EF_ATR_INFO_SFI, 0x00)
        .with_le(extended_length::EF_ATR_INFO_READ_LEN);
    let r = match plain.exchange(cmd) {
        Ok(r) => r,
        Err(e @ (Error::Transport(_) | Error::Cancelled)) => return Err(e),
        Err(e) => {
            tracing::debug!(error = %e, "EF.ATR/INFO not read");
            return Ok(None);
        }
    };
    // READ BINARY by SFI selects the file (ISO/IEC 7816-4 §7.2.2).
    plain.file_state().forget_selection();
    if !matches!(r.sw, StatusWord::OK | StatusWord::END_OF_FILE) {
        tracing::debug!(sw = %r.sw, "no EF.ATR/INFO");
        return Ok(None);
    }
    match extended_length::parse_atr_info(&r.data) {
        Ok(info) => Ok(Some(info)),
        Err(e) => {
            tracing::info!(error = %e, "EF.ATR/INFO does not parse; taken as no indication");
            Ok(None)
        }
    }
}

/// Reads EF.CardAccess from the master file in the clear (ICAO 9303-11 §4.2,
/// 9303-10 §3.11.3): SELECT MF — refused with `6D00` by the CCCD, which is
/// tolerated — then READ BINARY by SFI `1C`, or SELECT `011C` where SFIs are
/// refused. A missing or unreadable file means "no PACE" (a CCCD has been seen
/// to answer `6982`, CCCD.md); only transport failures and cancellation end the read.
fn read_card_access(
    plain: &mut PlainChip<'_>,
    mf_selected: bool,
    limits: &ReadLimits,
    hooks: &mut dyn ReadHooks,
) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
    let selected = if mf_selected { Ok(true) } else { plain.select_master_file() };
    let outcome = selected.and_then(|_| plain.read_file(FileId::CardAccess, limits, hooks));
    match outcome {
        Ok(FileContent::Read(bytes)) => Ok(Some(bytes)),
        Ok(FileContent::NotPresent) => Ok(None),
        Ok(FileContent::Denied(sw)) => {
            tracing::info!(sw = %sw, "EF.CardAccess not readable; PACE is not attempted");
            Ok(None)
        }
        Err(e @ (Error::Transport(_) | Error::Cancelled)) => Err(e),
        Err(e) => {
            tracing::info!(error = %e, "EF.CardAccess could not be read; PACE is not attempted");
            Ok(None)
        }
    }
}

/// The first PACEInfo (in file order) this crate can run: version 2, Generic
/// Mapping, ECDH on a standardized curve of [`Curve`].
fn choose_pace(card_access: &CardAccess) -> Option<PaceParams> {
    let infos = card_access.pace_infos();
    let ambiguous = infos.len() > 1;
    infos.into_iter().find_map(|info| {
        if info.version != 2
            || info.protocol.mapping != Mapping::Generic
            || info.protocol.agreement != KeyAgreement::Ecdh
        {
            return None;
        }
        let curve = info.parameter_id.and_then(Curve::from_parameter_id)?;
        Some(PaceParams {
            protocol_oid: info.protocol.oid_bytes().to_vec(),
            cipher: info.protocol.cipher.key_kind(),
            curve,
            parameter_id: if ambiguous { info.parameter_id } else { None },
        })
    })
}

/// A PACE password that outlives the caller's key (for re-authentication).
enum Secret {
    Mrz(Zeroizing<Vec<u8>>),
    Can(Zeroizing<String>),
}

impl Secret {
    fn password(&self) -> Password<'_> {
        match self {
            Self::Mrz(info) => Password::Mrz(info),
            Self::Can(can) => Password::Can(can),
        }
    }
    fn key_used(&self) -> KeyUsed {
        match self {
            Self::Mrz(_) => KeyUsed::Mrz,
            Self::Can(_) => KeyUsed::Can,
        }
    }
}

/// True when the chip refused the password: never retried and no fallback,
/// as repeated wrong attempts can block a chip (ICAO 9303-11 §4.4; TR-03110-2 §3.5).
fn password_rejected(e: &Error) -> bool {
    matches!(e, Error::AccessDenied(_))
}

/// True when a failed PACE may be followed by BAC with the same key.
fn may_fall_back(e: &Error) -> bool {
    !password_rejected(e) && !matches!(e, Error::Transport(_) | Error::Cancelled)
}

/// Opens the chip with `key` under the key policy:
/// * a CAN: PACE (a chip without PACE cannot be opened with a CAN);
/// * an MRZ key: PACE-MRZ when the chip offers PACE, else BAC;
/// * a CCCD QR code: PACE with its CAN, else BAC with the keys it implies,
///   one expiry candidate after another while the chip rejects them.
///
/// When PACE fails for any reason other than a rejected password, BAC
/// follows where the key allows it. A rejected password ends the read.
fn open<'a>(
    mut plain: PlainChip<'a>,
    key: &AccessKey,
    pace_params: Option<PaceParams>,
    rng: &mut SharedRng<'a>,
) -> Result<(SecureChip<'a>, Access), Error> {
    let pace_secret = match key {
        AccessKey::Mrz(bac_key) => Secret::Mrz(bac_key.mrz_information()),
        AccessKey::Can(can) => Secret::Can(can.clone()),
        AccessKey::CccdQr(qr) => Secret::Can(Zeroizing::new(qr.can())),
    };
    if let Some(params) = pace_params {
        match pace(plain.transport(), &params, pace_secret.password(), rng) {
            Ok(channel) => {
                let access = Access { method: AccessMethod::Pace, key: pace_secret.key_used() };
                tracing::debug!(curve = params.curve.name(), "PACE established");
                let mut rng = rng.clone();
                let reauth = Box::new(move |t: &mut dyn Transceive| pace(t, &params, pace_secret.password(), &mut rng));
                let mut chip = plain.into_secure(channel, reauth, true);
                // PACE runs in the master file; the application is selected under secure messaging.
                chip.select_application()?;
                return Ok((chip, access));
            }
            Err(e) if may_fall_back(&e) && !matches!(key, AccessKey::Can(_)) => {
                tracing::warn!(error = %e, "PACE failed; falling back to BAC");
            }
            Err(e) => return Err(e),
        }
    } else if matches!(key, AccessKey::Can(_)) {
        return Err(Error::Unsupported("the chip does not offer PACE, which a CAN needs"));
    }
    let bac_keys: Vec<BacKey> = match key {
        AccessKey::Mrz(k) => vec![k.clone()],
        AccessKey::CccdQr(qr) => qr.bac_keys().into_iter().take(MAX_QR_BAC_ATTEMPTS).collect(),
        AccessKey::Can(_) => Vec::new(),
    };
    plain.select_application()?;
    let mut last = Error::AccessDenied(StatusWord::VERIFICATION_FAILED);
    for (attempt, bac_key) in bac_keys.iter().enumerate() {
        let info = bac_key.mrz_information();
        match bac(plain.transport(), &info, rng) {
            Ok(channel) => {
                tracing::debug!(attempt, "BAC established");
                let mut rng = rng.clone();
                let reauth = Box::new(move |t: &mut dyn Transceive| bac(t, &info, &mut rng));
                return Ok((
                    plain.into_secure(channel, reauth, false),
                    Access { method: AccessMethod::Bac, key: KeyUsed::Mrz },
                ));
            }
            Err(e) if password_rejected(&e) && matches!(key, AccessKey::CccdQr(_)) => {
                tracing::info!(attempt, "BAC key guessed from the QR code rejected; trying the next expiry date");
                last = e;
            }
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

fn read_files<'a>(
    chip: &mut SecureChip<'a>,
    access: Access,
    options: &ReadOptions,
    hooks: &mut dyn ReadHooks,
    rng: &mut SharedRng<'a>,
) -> Result<DocumentRead, Error> {
    let limits = &options.limits;
    let mut files = Vec::new();
    let com_bytes = match chip.read_file(FileId::Com, limits, hooks)? {
        FileContent::Read(b) => b,
        FileContent::NotPresent => {
            return Err(Malformed::Invalid { what: "EF.COM", reason: "the chip has no EF.COM" }.into());
        }
        FileContent::Denied(sw) => return Err(Error::Status { during: "reading EF.COM", sw }),
    };
    let com = lds::com::parse(&com_bytes)?;
    files.push((FileId::Com, com_bytes));
    let sod_bytes = match chip.read_file(FileId::Sod, limits, hooks)? {
        FileContent::Read(b) => b,
        FileContent::NotPresent => {
            return Err(Malformed::Invalid { what: "EF.SOD", reason: "the chip has no EF.SOD" }.into());
        }
        FileContent::Denied(sw) => return Err(Error::Status { during: "reading EF.SOD", sw }),
    };
    let sod = lds::sod::parse(&sod_bytes)?;
    files.push((FileId::Sod, sod_bytes));

    let in_sod: Vec<DataGroup> = sod.data_group_hashes.iter().map(|(dg, _)| *dg).collect();
    let mut com_sod_mismatch: Vec<DataGroup> =
        com.data_groups.iter().filter(|dg| !in_sod.contains(dg)).copied().collect();
    com_sod_mismatch.extend(in_sod.iter().filter(|dg| !com.data_groups.contains(dg)));
    com_sod_mismatch.sort();
    com_sod_mismatch.dedup();

    let mut wanted: Vec<DataGroup> = in_sod.iter().chain(com.data_groups.iter()).copied().collect();
    wanted.sort();
    wanted.dedup();
    match &options.data_groups {
        Some(asked) => wanted.retain(|dg| asked.contains(dg)),
        None => wanted.retain(|dg| !dg.needs_terminal_authentication()),
    }

    let mut absent = Vec::new();
    let mut denied = Vec::new();
    let mut read = |chip: &mut SecureChip<'_>, dg: DataGroup, files: &mut Vec<(FileId, Zeroizing<Vec<u8>>)>| {
        match chip.read_file(FileId::Dg(dg), limits, hooks)? {
            FileContent::Read(bytes) => files.push((FileId::Dg(dg), bytes)),
            FileContent::NotPresent => absent.push(FileId::Dg(dg)),
            FileContent::Denied(_) => denied.push(FileId::Dg(dg)),
        }
        Ok::<(), Error>(())
    };

    // DG14 first: Chip Authentication uses its key, and the rest is read under the keys it gives.
    let listed = |dg: DataGroup| in_sod.contains(&dg) || com.data_groups.contains(&dg);
    let mut chip_authentication = if !options.chip_authentication {
        ChipCheck::NotPerformed
    } else {
        precondition(listed(DataGroup::DG14), &wanted, DataGroup::DG14)
    };
    let ca_lost_later = Rc::new(Cell::new(false));
    if wanted.contains(&DataGroup::DG14) {
        read(chip, DataGroup::DG14, &mut files)?;
        if options.chip_authentication {
            chip_authentication = match file_of(&files, DataGroup::DG14) {
                Some(bytes) => run_chip_authentication(chip, bytes, &sod, rng, &ca_lost_later)?,
                None => ChipCheck::NotSupported,
            };
        }
    }
    for dg in wanted.iter().copied().filter(|dg| *dg != DataGroup::DG14) {
        read(chip, dg, &mut files)?;
    }

    // Active Authentication last (ICAO 9303-11 §7.2 inspection order: after the data is read).
    let mut active_authentication = if !options.active_authentication {
        ChipCheck::NotPerformed
    } else {
        precondition(listed(DataGroup::DG15), &wanted, DataGroup::DG15)
    };
    if options.active_authentication
        && let Some(dg15) = file_of(&files, DataGroup::DG15)
    {
        let dg14 = file_of(&files, DataGroup::DG14).and_then(|b| lds::dg14::parse(b).ok());
        active_authentication = run_active_authentication(chip, dg15, dg14.as_ref(), &sod, rng)?;
    } else if options.active_authentication && wanted.contains(&DataGroup::DG15) {
        // Listed but not on the chip, or refused.
        active_authentication = ChipCheck::NotSupported;
    }
    if ca_lost_later.get() && chip_authentication == ChipCheck::Passed {
        chip_authentication = ChipCheck::Failed;
    }

    let mut hashes = verify::check_hashes(
        &sod,
        files.iter().filter_map(|(f, b)| match f {
            FileId::Dg(dg) => Some((*dg, b.as_slice())),
            _ => None,
        }),
    );
    // Data groups skipped by choice (not requested, DG3/DG4) or refused by the
    // chip's access control are not integrity failures; listed-but-absent ones are.
    hashes.listed_but_not_read.retain(|dg| absent.contains(&FileId::Dg(*dg)));
    let mut doc = DocumentRead {
        access,
        card_access: None,
        absent,
        denied,
        com,
        dg1: None,
        portrait: None,
        dg11: None,
        dg12: None,
        cccd: None,
        parse_errors: Vec::new(),
        com_sod_mismatch,
        hashes,
        sod,
        files: Vec::new(),
        chip_authentication,
        active_authentication,
        stats: chip.stats(),
        extended_length: Decision {
            enabled: options.limits.extended_length,
            max_response: None,
            source: Source::Configured,
        },
    };
    for (file, bytes) in &files {
        let FileId::Dg(dg) = file else { continue };
        let result = match *dg {
            DataGroup::DG1 => lds::dg1::parse(bytes).map(|v| doc.dg1 = Some(v)),
            DataGroup::DG2 => lds::dg2::parse(bytes).map(|v| doc.portrait = v),
            DataGroup::DG11 => lds::dg11::parse(bytes).map(|v| doc.dg11 = Some(v)),
            DataGroup::DG12 => lds::dg12::parse(bytes).map(|v| doc.dg12 = Some(v)),
            DataGroup::DG13 => lds::dg13::parse(bytes).map(|v| doc.cccd = Some(v)),
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(file = %file, error = %e, "data group does not parse");
            doc.parse_errors.push((*file, e));
        }
    }
    doc.files = files;
    Ok(doc)
}

/// The outcome of a chip-authenticity protocol on data group `dg` while it has
/// not run: not performed when the chip lists `dg` but the caller's
/// `data_groups` leave it out; otherwise not supported (no such file — and
/// overwritten once the file is read).
fn precondition(listed: bool, wanted: &[DataGroup], dg: DataGroup) -> ChipCheck {
    if listed && !wanted.contains(&dg) { ChipCheck::NotPerformed } else { ChipCheck::NotSupported }
}

/// The bytes of data group `dg`, if it was read.
fn file_of(files: &[(FileId, Zeroizing<Vec<u8>>)], dg: DataGroup) -> Option<&[u8]> {
    files.iter().find(|(f, _)| *f == FileId::Dg(dg)).map(|(_, b)| b.as_slice())
}

/// Whether DG14/DG15 may be trusted for a chip-authenticity protocol: its
/// hash must match EF.SOD (a key from a tampered file proves nothing).
fn authenticated(sod: &Sod, dg: DataGroup, bytes: &[u8]) -> Result<(), ChipCheck> {
    match verify::check_hashes(sod, [(dg, bytes)]).data_groups.get(&dg) {
        Some(HashCheck::Valid) => Ok(()),
        Some(HashCheck::Undetermined) => {
            tracing::info!(file = %dg, "cannot be checked against EF.SOD; chip authenticity not attempted");
            Err(ChipCheck::NotPerformed)
        }
        _ => {
            tracing::warn!(file = %dg, "does not match EF.SOD; its key proves nothing");
            Err(ChipCheck::Failed)
        }
    }
}

/// True for errors that end the read whatever step they occur in.
fn fatal(e: &Error) -> bool {
    matches!(e, Error::Transport(_) | Error::Cancelled)
}

/// Chip Authentication with DG14's key (ICAO 9303-11 §6.2), replacing the
/// session keys on success and making every later re-authentication redo it
/// (a failure there sets `lost_later`; see the module documentation).
fn run_chip_authentication<'a>(
    chip: &mut SecureChip<'a>,
    dg14_bytes: &[u8],
    sod: &Sod,
    rng: &mut SharedRng<'a>,
    lost_later: &Rc<Cell<bool>>,
) -> Result<ChipCheck, Error> {
    let dg14 = match lds::dg14::parse(dg14_bytes) {
        Ok(dg14) => dg14,
        Err(e) => {
            tracing::warn!(error = %e, "DG14 does not parse; chip authentication failed");
            return Ok(ChipCheck::Failed);
        }
    };
    if let Err(check) = authenticated(sod, DataGroup::DG14, dg14_bytes) {
        return Ok(check);
    }
    let params = match ca::choose(&dg14) {
        Ok(params) => params,
        Err(e) => {
            tracing::info!(error = %e, "chip authentication not run");
            return Ok(e.check());
        }
    };
    match chip.rekey(|t, channel| ca::chip_authentication(t, channel, &params, rng)) {
        Ok(()) => {
            tracing::info!(protocol = %params.protocol, curve = %params.curve, "chip authentication passed");
            let reselect = chip.reselects_application();
            let lost_later = Rc::clone(lost_later);
            let rng = rng.clone();
            chip.wrap_reauthentication(move |base| redo_chip_authentication(base, params, reselect, lost_later, rng));
            Ok(ChipCheck::Passed)
        }
        Err(e) if fatal(&e) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "chip authentication failed");
            // A refusal under the old keys leaves the session usable; anything later has killed it.
            if !matches!(e, Error::Status { .. }) {
                chip.reauthenticate()?;
            }
            Ok(ChipCheck::Failed)
        }
    }
}

/// The re-authentication after Chip Authentication: PACE or BAC (`base`),
/// SELECT of the application under it after PACE, then Chip Authentication
/// again. If that fails, `lost_later` is set and the PACE/BAC session is used.
fn redo_chip_authentication<'a>(
    mut base: Box<Reauthenticate<'a>>,
    params: ca::CaParams,
    reselect: bool,
    lost_later: Rc<Cell<bool>>,
    mut rng: SharedRng<'a>,
) -> Box<Reauthenticate<'a>> {
    Box::new(move |t: &mut dyn Transceive| {
        let mut channel = base(t)?;
        if reselect {
            let select = CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(EMRTD_AID);
            ca::protected(t, &mut channel, &select, "SELECT eMRTD application")?.ok("SELECT eMRTD application")?;
        }
        match ca::chip_authentication(t, &mut channel, &params, &mut rng) {
            Ok(next) => Ok(next),
            Err(e) if fatal(&e) => Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "chip authentication failed after re-authentication");
                lost_later.set(true);
                if matches!(e, Error::Status { .. }) { Ok(channel) } else { base(t) }
            }
        }
    })
}

/// Where a lost session during Active Authentication is recovered (an offset no file read reaches).
const AA_RECOVERY_POINT: usize = usize::MAX;

/// Active Authentication with DG15's key (ICAO 9303-11 §6.1), retried once
/// after re-authentication when the session is lost during it.
fn run_active_authentication(
    chip: &mut SecureChip<'_>,
    dg15_bytes: &[u8],
    dg14: Option<&lds::dg14::Dg14>,
    sod: &Sod,
    rng: &mut dyn Rng,
) -> Result<ChipCheck, Error> {
    let dg15 = match lds::dg15::parse(dg15_bytes) {
        Ok(dg15) => dg15,
        Err(e) => {
            tracing::warn!(error = %e, "DG15 does not parse; active authentication failed");
            return Ok(ChipCheck::Failed);
        }
    };
    if let Err(check) = authenticated(sod, DataGroup::DG15, dg15_bytes) {
        return Ok(check);
    }
    let key = match aa::AaKey::from_dg15(&dg15, dg14) {
        Ok(key) => key,
        Err(e) => {
            tracing::warn!(error = %e, "active authentication not run");
            return Ok(e.check());
        }
    };
    let cause = match aa::active_authentication(chip, &key, rng) {
        Ok(check) => return Ok(check),
        Err(e) if fatal(&e) => return Err(e),
        Err(e) => e,
    };
    match chip.recover(FileId::Dg(DataGroup::DG15), AA_RECOVERY_POINT, cause) {
        Ok(()) => {}
        Err(e) if fatal(&e) => return Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "active authentication failed");
            return Ok(ChipCheck::Failed);
        }
    }
    match aa::active_authentication(chip, &key, rng) {
        Ok(check) => Ok(check),
        Err(e) if fatal(&e) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "active authentication failed after re-authentication");
            Ok(ChipCheck::Failed)
        }
    }
}
