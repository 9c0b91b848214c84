//! [`SoftwareChip`]: a [`Document`] behind the [`Transceive`] seam, answering
//! APDUs as a real eMRTD chip does.
//!
//! Commands (ISO/IEC 7816-4; ICAO 9303-10 §3, 9303-11 §4.3, §6.1, §9.8):
//!
//! | INS | command | notes |
//! |---|---|---|
//! | `A4` | SELECT | P1 `04` AID, P1 `02` EF by FID, P1 `00` MF (`3F00`) or FID; P2 `0C`/`00`/`04` |
//! | `B0` | READ BINARY | P1 `80`+SFI with P2 offset, or a 15-bit offset in P1-P2 |
//! | `B1` | READ BINARY (odd) | P1-P2 `0000` current EF, `00 sfi`, or a FID; offset in DO'54'; data in DO'53' |
//! | `84` | GET CHALLENGE | Le `08` |
//! | `82` | EXTERNAL AUTHENTICATE | BAC mutual authentication |
//! | `88` | INTERNAL AUTHENTICATE | Active Authentication with the DG15 key (ECDSA P-256, plain r‖s; or RSA ISO/IEC 9796-2), under SM |
//! | `22` | MSE:Set AT | P1-P2 `C1 A4`: selects the PACE protocol, password and parameters ([`pace`](super::pace)) |
//! | `22` | MSE:Set AT / KAT | under SM, P1-P2 `41 A4` / `41 A6`: Chip Authentication ([`super::authenticity`]) |
//! | `86` | GENERAL AUTHENTICATE | the four PACE steps; CLA `10` (chained) for steps 1–3, `00` for step 4; under SM, Chip Authentication |
//!
//! A command with CLA `0C` is unwrapped by the secure-messaging session and its
//! answer wrapped; a plain command while a session is up ends the session
//! first (ICAO 9303-11 §9.8.6). Command chaining (CLA b5) is accepted for
//! GENERAL AUTHENTICATE only (`6884` otherwise). BAC and PACE are done in
//! plain: under secure messaging they answer `6985`. Chip Authentication is
//! done under secure messaging: its answer goes out under the old keys, then
//! the session continues with the new ones. Anything else answers
//! `6D00` / `6E00`.

use super::authenticity::{self, CaOutcome, CaPending};
use super::bac::{self, EXTERNAL_AUTHENTICATE_LEN, Outcome};
use super::document::{Document, FID_CARD_ACCESS};
use super::faults::{Fault, Faults, Fired, Injection, Site};
use super::fs::{self, Access, Df, EMRTD_AID, FileSystem};
use super::mrz::BacKeys;
use super::pace::{self, GaOutcome, Pace, PaceSuite, Passwords};
use super::rng::{ChipRng, Randomness};
use super::script::ScriptedAnswer;
use super::sm::SmSession;
use crate::protocol::apdu::{CommandApdu, ResponseApdu, StatusWord, parse_command};
use crate::protocol::crypto::SecretBytes;
use crate::protocol::error::TransportError;
use crate::protocol::transceive::Transceive;
use core::fmt;
use std::collections::VecDeque;

/// The state a chip keeps between APDUs.
#[derive(Default)]
struct State {
    /// The current dedicated file (the MF after reset).
    df: Option<Df>,
    /// The current elementary file (index into the file system).
    ef: Option<usize>,
    /// RND.ICC of the last GET CHALLENGE, consumed by EXTERNAL AUTHENTICATE.
    challenge: Option<[u8; 8]>,
    /// The secure-messaging session, once BAC or PACE succeeded.
    sm: Option<SmSession>,
    /// How the last session was established.
    origin: Option<SessionOrigin>,
    /// The PACE run in progress.
    pace: Pace,
    /// Chip Authentication between MSE:Set AT and GENERAL AUTHENTICATE.
    ca: Option<CaPending>,
    /// The current session's keys come from Chip Authentication.
    chip_authenticated: bool,
}

/// How the chip's secure-messaging session was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionOrigin {
    /// Basic Access Control (ICAO 9303-11 §4.3): 3DES secure messaging.
    Bac,
    /// PACE (ICAO 9303-11 §4.4) with this protocol and curve.
    Pace(PaceSuite),
}

/// A software eMRTD chip. See the [module documentation](self).
pub struct SoftwareChip {
    document: Document,
    fs: FileSystem,
    bac_keys: BacKeys,
    state: State,
    faults: Faults,
    rng: ChipRng,
    apdus: usize,
    pace_attempts: usize,
    /// Answers to protected commands given from outside ([`script`](Self::script)).
    script: VecDeque<ScriptedAnswer>,
    /// The plain answers to protected commands, with their INS, while recording.
    recording: Option<Vec<(u8, ResponseApdu)>>,
    /// Set once the card was "removed" or stopped answering: every later APDU fails the same way.
    gone: Option<TransportError>,
    /// `KS_Enc` and `KS_MAC` of every session established ([`shared_keys`](Self::shared_keys)).
    session_keys: Vec<SecretBytes>,
}

impl fmt::Debug for SoftwareChip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareChip")
            .field("document", &self.document)
            .field("secure_messaging", &self.state.sm.is_some())
            .field("apdus", &self.apdus)
            .field("faults", &self.faults.list())
            .finish_non_exhaustive()
    }
}

/// The answer to reset a PC/SC reader reports for the chip (PC/SC Part 3 §3.1.3.2.3:
/// a contactless ISO/IEC 14443-4 card, `3B 88 80 01`, eight historical bytes, TCK).
pub const ATR: [u8; 13] = [0x3B, 0x88, 0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x09];

fn status(sw: StatusWord) -> ResponseApdu {
    ResponseApdu::status(sw)
}

impl SoftwareChip {
    /// A chip holding `document`, freshly powered (MF selected, no session).
    pub fn new(document: Document) -> Self {
        let fs = FileSystem::new(&document.files(), &document.mf_files());
        let bac_keys = BacKeys::from_mrz_information(document.mrz_information());
        Self {
            document,
            fs,
            bac_keys,
            state: State::default(),
            faults: Faults::default(),
            rng: ChipRng::default(),
            apdus: 0,
            pace_attempts: 0,
            script: VecDeque::new(),
            recording: None,
            gone: None,
            session_keys: Vec::new(),
        }
    }

    /// A chip with faults injected from the start.
    pub fn with_faults(document: Document, faults: impl IntoIterator<Item = Injection>) -> Self {
        let mut chip = Self::new(document);
        for f in faults {
            chip.inject(f);
        }
        chip
    }

    /// Adds a fault (a bare [`Fault`] fires [`Always`](super::Trigger::Always)).
    pub fn inject(&mut self, injection: impl Into<Injection>) {
        self.faults.add(injection.into());
    }

    /// Removes every injected fault (a removed card stays removed until [`reset`](Self::reset)).
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// The injected faults with their counters.
    pub fn faults(&self) -> &[Injection] {
        self.faults.list()
    }

    /// Answers the next protected commands with `answers`, one each, in order,
    /// instead of executing them (see [`ScriptedAnswer`]). Access control, plain
    /// commands and the unwrapping of protected commands stay genuine, so a
    /// terminal meets arbitrary answers under valid secure messaging (the
    /// fuzz target `session_sm`). Once the script is used up the chip answers
    /// genuinely again.
    pub fn script(&mut self, answers: impl IntoIterator<Item = ScriptedAnswer>) {
        self.script.extend(answers);
    }

    /// Starts keeping the plain answer (before wrapping) to every protected
    /// command, with the command's INS, until [`take_recording`](Self::take_recording)
    /// (fuzz seeds for the script of [`script`](Self::script)).
    pub fn record_protected_answers(&mut self) {
        self.recording = Some(Vec::new());
    }

    /// The answers recorded since [`record_protected_answers`](Self::record_protected_answers); stops recording.
    pub fn take_recording(&mut self) -> Vec<(u8, ResponseApdu)> {
        self.recording.take().unwrap_or_default()
    }

    /// Scripted answers not yet given.
    pub fn script_left(&self) -> usize {
        self.script.len()
    }

    /// The number of APDUs received so far (every call of `transceive`).
    pub fn apdu_count(&self) -> usize {
        self.apdus
    }

    /// True while a secure-messaging session is established.
    pub fn secure_messaging_active(&self) -> bool {
        self.state.sm.is_some()
    }

    /// How the current secure-messaging session was established (`None` without one).
    pub fn session_origin(&self) -> Option<SessionOrigin> {
        self.state.sm.as_ref().and(self.state.origin)
    }

    /// True while the secure-messaging session runs on keys from Chip
    /// Authentication (ICAO 9303-11 §6.2) rather than from BAC or PACE.
    pub fn chip_authenticated(&self) -> bool {
        self.state.sm.is_some() && self.state.chip_authenticated
    }

    /// How many PACE runs the chip started: GENERAL AUTHENTICATE step 1
    /// answered with an encrypted nonce (kept across [`reset`](Self::reset)).
    /// A terminal with a wrong CAN should stop after one.
    pub fn pace_attempts(&self) -> usize {
        self.pace_attempts
    }

    /// Where the chip takes its random bytes from from now on (challenges,
    /// BAC keys, PACE nonces and keys); the default is the operating system.
    pub fn set_randomness(&mut self, randomness: Randomness) {
        self.rng = ChipRng::new(randomness);
    }

    /// Every key this chip has shared with a terminal, in order: the BAC
    /// keys `K_Enc` and `K_MAC` (derived from the MRZ, whether BAC was run or
    /// not), then `KS_Enc` and `KS_MAC` of each secure-messaging session it
    /// established (BAC, PACE, Chip Authentication). For tests that look for
    /// keys in a terminal's memory after a read (tests/e2e_memory.rs).
    pub fn shared_keys(&self) -> Vec<SecretBytes> {
        let mut keys = vec![self.bac_keys.k_enc.clone(), self.bac_keys.k_mac.clone()];
        keys.extend(self.session_keys.iter().cloned());
        keys
    }

    /// Makes `session` the current secure-messaging session, noting its keys.
    fn start_session(&mut self, session: SmSession) {
        let (ks_enc, ks_mac) = session.keys();
        self.session_keys.extend([ks_enc, ks_mac]);
        self.state.sm = Some(session);
    }

    /// The document the chip holds.
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// Power cycle (the card taken out and put back): session and selection are
    /// lost, a removed card is back; faults and the APDU counter stay.
    pub fn reset(&mut self) {
        self.state = State::default();
        self.gone = None;
    }

    /// Handles one parsed command.
    fn process(&mut self, cmd: &CommandApdu) -> Vec<u8> {
        // CLA: b8-b6 must be 0 (interindustry, channel 0); b5 chaining (PACE only); b4-b3 = 11 for SM.
        if cmd.cla & 0xE3 != 0 {
            return status(StatusWord::CLA_NOT_SUPPORTED).to_bytes();
        }
        if cmd.cla & 0x10 != 0 && cmd.ins != 0x86 {
            return status(StatusWord::new(0x68, 0x84)).to_bytes(); // command chaining not supported
        }
        let protected = cmd.cla & 0x0C == 0x0C;
        if cmd.cla & 0x0C != 0 && !protected {
            return status(StatusWord::new(0x68, 0x82)).to_bytes(); // SM mode not supported
        }
        if !protected {
            // A plain command ends any session (ICAO 9303-11 §9.8.6.1).
            self.state.sm = None;
            return self.execute(cmd).to_bytes();
        }
        let Some(session) = self.state.sm.as_mut() else {
            return status(StatusWord::SM_OBJECTS_INCORRECT).to_bytes();
        };
        let inner = match session.unwrap_command(cmd) {
            Ok(inner) => inner,
            Err(sw) => {
                self.state.sm = None;
                return status(sw).to_bytes();
            }
        };
        let fired = self.faults.fire(Site::SmCommand, self.apdus);
        if let Some(Fault::SmError(sw)) = fired.iter().find(|f| matches!(f, Fault::SmError(_))) {
            self.state.sm = None;
            return status(*sw).to_bytes();
        }
        match self.script.pop_front() {
            Some(ScriptedAnswer::Raw(bytes)) => {
                self.state.sm = None;
                return bytes;
            }
            Some(ScriptedAnswer::Protected(answer)) => {
                let fired = self.faults.fire(Site::SmResponse, self.apdus);
                return match self.state.sm.as_mut() {
                    Some(session) => session.wrap_response(&answer, inner.ins & 1 == 1, &fired),
                    None => answer.to_bytes(),
                };
            }
            Some(ScriptedAnswer::Genuine) | None => {}
        }
        // BAC and PACE are done in plain; protected, they are refused (wrapped).
        // MSE and GENERAL AUTHENTICATE under secure messaging are Chip Authentication.
        let mut next_session = None;
        let answer = match inner.ins {
            0x82 => status(StatusWord::CONDITIONS_NOT_SATISFIED),
            0x22 | 0x86 => match self.chip_authentication(&inner) {
                CaOutcome::Answer(answer) => answer,
                CaOutcome::Established(answer, session) => {
                    next_session = Some(session);
                    answer
                }
            },
            _ => self.execute(&inner),
        };
        if let Some(recording) = self.recording.as_mut() {
            recording.push((inner.ins, answer.clone()));
        }
        let fired = self.faults.fire(Site::SmResponse, self.apdus);
        let out = match self.state.sm.as_mut() {
            Some(session) => session.wrap_response(&answer, inner.ins & 1 == 1, &fired),
            None => answer.to_bytes(),
        };
        // The answer went out under the old keys; the new ones start now, SSC = 0 (ICAO 9303-11 §6.2).
        if let Some(session) = next_session {
            self.start_session(session);
            self.state.chip_authenticated = true;
        }
        out
    }

    /// Executes a plain (or unwrapped) command.
    fn execute(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        match cmd.ins {
            0xA4 => self.select(cmd),
            0xB0 | 0xB1 => self.read_binary(cmd),
            0x84 => self.get_challenge(cmd),
            0x82 => self.external_authenticate(cmd),
            0x88 => self.internal_authenticate(cmd),
            0x22 => self.mse_set_at(cmd),
            0x86 => self.general_authenticate(cmd),
            _ => status(StatusWord::INS_NOT_SUPPORTED),
        }
    }

    fn df(&self) -> Df {
        self.state.df.unwrap_or(Df::Mf)
    }

    /// Makes file `index` current if access allows (`6982` otherwise); `WrongFile` may swap it.
    fn make_current(&mut self, index: usize) -> Result<usize, StatusWord> {
        let file = self.fs.get(index).ok_or(StatusWord::FILE_NOT_FOUND)?;
        if file.access != Access::Always && self.state.sm.is_none() {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let fired = self.faults.fire(Site::Select, self.apdus);
        if fired.iter().any(|f| matches!(f, Fault::CardRemovedOnSelect(fid) if *fid == file.fid)) {
            // The card leaves as the file is selected: no answer to this command or any later one.
            self.state = State::default();
            self.gone = Some(TransportError::CardRemoved);
            return Err(StatusWord::FILE_NOT_FOUND);
        }
        if let Some(sw) = fired.status() {
            return Err(sw);
        }
        let index = if fired.has(&Fault::WrongFile) { self.fs.other_than(index).unwrap_or(index) } else { index };
        self.state.ef = Some(index);
        Ok(index)
    }

    fn select(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        if !matches!(cmd.p2, 0x00 | 0x04 | 0x0C) {
            return status(StatusWord::INCORRECT_P1P2);
        }
        match cmd.p1 {
            0x04 => {
                if cmd.data == EMRTD_AID {
                    self.state.df = Some(Df::Application);
                    self.state.ef = None;
                    status(StatusWord::OK)
                } else {
                    status(StatusWord::FILE_NOT_FOUND)
                }
            }
            0x00 if cmd.data.is_empty() || cmd.data == [0x3F, 0x00] => {
                if self.document.select_mf_unsupported() {
                    return status(StatusWord::INS_NOT_SUPPORTED);
                }
                self.state.df = Some(Df::Mf);
                self.state.ef = None;
                status(StatusWord::OK)
            }
            0x00 | 0x02 => {
                let [hi, lo] = cmd.data.as_slice() else {
                    return status(StatusWord::WRONG_LENGTH);
                };
                let fid = u16::from_be_bytes([*hi, *lo]);
                let df = self.df();
                // Without a session the application's files do not even admit they exist.
                let Some(index) = self.fs.by_fid(df, fid) else {
                    let hidden = df == Df::Application && self.state.sm.is_none();
                    return status(if hidden {
                        StatusWord::SECURITY_STATUS_NOT_SATISFIED
                    } else {
                        StatusWord::FILE_NOT_FOUND
                    });
                };
                if self.card_access_blocked(index) {
                    return status(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
                }
                match self.make_current(index) {
                    Ok(_) => status(StatusWord::OK),
                    Err(sw) => status(sw),
                }
            }
            _ => status(StatusWord::INCORRECT_P1P2),
        }
    }

    fn read_binary(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let odd = cmd.ins == 0xB1;
        let Some(ne) = cmd.le else {
            return status(StatusWord::WRONG_LENGTH);
        };
        let (target, offset) = if odd {
            let Some(offset) = fs::odd_ins_offset(&cmd.data) else {
                return status(StatusWord::WRONG_DATA);
            };
            let target = match (cmd.p1, cmd.p2) {
                (0, 0) => None,
                (0, sfi) if sfi & 0xE0 == 0 => Some(self.fs.by_sfi(self.df(), sfi)),
                (hi, lo) => Some(self.fs.by_fid(self.df(), u16::from_be_bytes([hi, lo]))),
            };
            (target, offset)
        } else if cmd.p1 & 0x80 != 0 {
            if cmd.p1 & 0x60 != 0 {
                return status(StatusWord::INCORRECT_P1P2);
            }
            (Some(self.fs.by_sfi(self.df(), cmd.p1 & 0x1F)), usize::from(cmd.p2))
        } else {
            (None, usize::from(cmd.p1) << 8 | usize::from(cmd.p2))
        };
        let index = match target {
            Some(Some(index)) => match self.make_current(index) {
                Ok(index) => index,
                Err(sw) => return status(sw),
            },
            Some(None) => {
                let hidden = self.df() == Df::Application && self.state.sm.is_none();
                return status(if hidden {
                    StatusWord::SECURITY_STATUS_NOT_SATISFIED
                } else {
                    StatusWord::FILE_NOT_FOUND
                });
            }
            None => match self.state.ef {
                Some(index) => index,
                None => return status(StatusWord::COMMAND_NOT_ALLOWED),
            },
        };
        if self.card_access_blocked(index) {
            return status(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let Some(file) = self.fs.get(index) else {
            return status(StatusWord::COMMAND_NOT_ALLOWED);
        };
        match file.access {
            Access::TerminalAuthentication => return status(StatusWord::SECURITY_STATUS_NOT_SATISFIED),
            Access::SecureMessaging if self.state.sm.is_none() => {
                return status(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
            }
            _ => {}
        }
        let read_faults = self.faults.fire(Site::ReadBinary, self.apdus);
        let odd_faults = if odd { self.faults.fire(Site::OddInsRead, self.apdus) } else { Fired::default() };
        let Some(file) = self.fs.get(index) else {
            return status(StatusWord::COMMAND_NOT_ALLOWED);
        };
        fs::read(&file.data, offset, ne, odd, &read_faults, &odd_faults)
    }

    /// True if file `index` is EF.CardAccess and [`Fault::CardAccessUnreadable`] fires.
    fn card_access_blocked(&mut self, index: usize) -> bool {
        let is_card_access = self.fs.get(index).is_some_and(|f| f.df == Df::Mf && f.fid == FID_CARD_ACCESS);
        is_card_access && self.faults.fire(Site::CardAccess, self.apdus).has(&Fault::CardAccessUnreadable)
    }

    /// MSE:Set AT for PACE (ICAO 9303-11 §4.4.4.1); see [`pace`](super::pace).
    fn mse_set_at(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        if (cmd.p1, cmd.p2) != (0xC1, 0xA4) {
            return status(StatusWord::INCORRECT_P1P2);
        }
        // A new MSE:Set AT abandons any run in progress.
        self.state.pace = Pace::Idle;
        if self.faults.fire(Site::MseSetAt, self.apdus).has(&Fault::PaceRejectMseSetAt) {
            return status(StatusWord::WRONG_DATA);
        }
        let passwords = Passwords { mrz_information: self.document.mrz_information(), can: self.document.can() };
        match pace::mse_set_at(&cmd.data, self.document.pace_suites(), &passwords) {
            Ok(ready) => {
                self.state.pace = ready;
                status(StatusWord::OK)
            }
            Err(sw) => status(sw),
        }
    }

    /// GENERAL AUTHENTICATE: one PACE step; see [`pace`](super::pace).
    fn general_authenticate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let cx = pace::Context {
            rng: &mut self.rng,
            faults: &mut self.faults,
            apdu: self.apdus,
            attempts: &mut self.pace_attempts,
        };
        match pace::general_authenticate(&mut self.state.pace, cmd, cx) {
            GaOutcome::Answer(answer) => answer,
            GaOutcome::Established(answer, session, suite) => {
                self.start_session(session);
                self.state.origin = Some(SessionOrigin::Pace(suite));
                self.state.chip_authenticated = false;
                self.state.ca = None;
                answer
            }
        }
    }

    fn get_challenge(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return status(StatusWord::INCORRECT_P1P2);
        }
        if cmd.le != Some(8) || !cmd.data.is_empty() {
            return status(StatusWord::WRONG_LENGTH);
        }
        let mut rnd = [0u8; 8];
        if self.rng.fill(&mut rnd).is_err() {
            return status(StatusWord::UNKNOWN);
        }
        self.state.challenge = Some(rnd);
        ResponseApdu { data: rnd.to_vec(), sw: StatusWord::OK }
    }

    fn external_authenticate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return status(StatusWord::INCORRECT_P1P2);
        }
        if cmd.data.len() != EXTERNAL_AUTHENTICATE_LEN {
            return status(StatusWord::WRONG_LENGTH);
        }
        // One EXTERNAL AUTHENTICATE per challenge; a failed attempt leaves no session.
        let Some(rnd_icc) = self.state.challenge.take() else {
            return status(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        self.state.sm = None;
        let fired = self.faults.fire(Site::ExternalAuthenticate, self.apdus);
        match bac::external_authenticate(&self.bac_keys, &rnd_icc, &cmd.data, &fired, &mut self.rng) {
            Outcome::Established(answer, session) => {
                self.start_session(session);
                self.state.origin = Some(SessionOrigin::Bac);
                self.state.chip_authenticated = false;
                self.state.ca = None;
                answer
            }
            Outcome::Refused(answer) => answer,
        }
    }

    /// Active Authentication (ICAO 9303-11 §6.1) with the chip's AA key over
    /// the 8-byte challenge: ECDSA, plain r ‖ s (BSI TR-03111 §5.2.1), or RSA
    /// with ISO/IEC 9796-2 scheme 1 ([`authenticity`](super::authenticity)).
    fn internal_authenticate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return status(StatusWord::INCORRECT_P1P2);
        }
        if !self.document.chip_keys().has_active_authentication() {
            return status(StatusWord::INS_NOT_SUPPORTED);
        }
        if self.state.sm.is_none() {
            return status(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if cmd.data.len() != 8 {
            return status(StatusWord::WRONG_LENGTH);
        }
        let fired = self.faults.fire(Site::InternalAuthenticate, self.apdus);
        authenticity::internal_authenticate(self.document.chip_keys(), &cmd.data, &fired, &mut self.rng)
    }

    /// Chip Authentication under secure messaging (ICAO 9303-11 §6.2): MSE:Set
    /// AT / Set KAT, then GENERAL AUTHENTICATE.
    fn chip_authentication(&mut self, cmd: &CommandApdu) -> CaOutcome {
        if cmd.ins == 0x22 {
            let fired = self.faults.fire(Site::ChipAuthentication, self.apdus);
            authenticity::mse(self.document.chip_keys(), cmd, &mut self.state.ca, &fired)
        } else {
            authenticity::general_authenticate(self.document.chip_keys(), cmd, &mut self.state.ca)
        }
    }
}

impl Transceive for SoftwareChip {
    /// The [`ATR`] the chip also gives vpcd (so callers can remember per-card decisions).
    fn atr(&self) -> Option<Vec<u8>> {
        Some(ATR.to_vec())
    }

    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.apdus = self.apdus.saturating_add(1);
        if let Some(gone) = &self.gone {
            return Err(gone.clone());
        }
        let fired = self.faults.fire(Site::Transport, self.apdus);
        if fired.has(&Fault::EndlessGetResponse) {
            let mut answer = vec![0xA5; 255];
            answer.extend([0x61, 0xFF]);
            return Ok(answer);
        }
        if let Some(fault) = fired.iter().next() {
            let error = match fault {
                Fault::CardRemoved => TransportError::CardRemoved,
                _ => TransportError::Other("timeout".into()),
            };
            self.state = State::default();
            self.gone = Some(error.clone());
            return Err(error);
        }
        match parse_command(command) {
            Ok(cmd) => {
                let answer = self.process(&cmd);
                // A fault took the card away while the command ran: no answer.
                match &self.gone {
                    Some(gone) => Err(gone.clone()),
                    None => Ok(answer),
                }
            }
            // ISO/IEC 7816-3: a malformed length is a wrong length.
            Err(_) => Ok(status(StatusWord::WRONG_LENGTH).to_bytes()),
        }
    }
}
