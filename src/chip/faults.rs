//! Fault injection: misbehaviour of real chips, on demand (HOSTILE.md cases 4, 7–18, 30, 31; PACE, AA, CA;
//! garbage status words, endless response chains).
//!
//! A [`Fault`] says *what* goes wrong; a [`Trigger`] says *when*. Together they
//! are an [`Injection`], added at construction ([`SoftwareChip::with_faults`])
//! or at any time ([`SoftwareChip::inject`]):
//!
//! ```
//! use mrtdd::chip::{Document, Fault, SoftwareChip};
//! let mut chip = SoftwareChip::new(Document::td3_specimen()?);
//! chip.inject(Fault::ResponseMacWrong.nth(3)); // the third protected response
//! chip.inject(Fault::CardRemoved.at_apdu(40)); // gone from the 40th APDU on
//! # Ok::<(), mrtdd::chip::BuildError>(())
//! ```
//!
//! Each fault acts at one place in the chip (its [`Site`]); a trigger counts
//! only the commands that reach that place, so `Fault::ReadEmpty.nth(2)` is the
//! second READ BINARY, whatever came before it. Files with hostile *content*
//! are made with [`DocumentBuilder`](super::DocumentBuilder) instead.
//!
//! [`SoftwareChip::with_faults`]: super::SoftwareChip::with_faults
//! [`SoftwareChip::inject`]: super::SoftwareChip::inject

use crate::protocol::apdu::StatusWord;

/// One kind of misbehaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    // ---- secure messaging (responses to protected commands) ----
    /// The response's DO'8E' MAC has one bit flipped (HOSTILE 15, ISO7816_D_05).
    ResponseMacWrong,
    /// The response carries no DO'8E' (HOSTILE 14, ISO7816_D_02).
    ResponseWithoutMac,
    /// The last block of the DO'87'/DO'85' cryptogram is altered and the MAC
    /// computed over the altered bytes: the MAC verifies, decryption yields
    /// garbage (almost always with invalid padding) (HOSTILE 15, ISO7816_D_06).
    ResponseCryptogramWrong,
    /// The response data is padded with `81 00..` instead of `80 00..` before
    /// encryption; the MAC is valid, unpadding must fail (HOSTILE 15).
    ResponseBadPadding,
    /// DO'99' is left out (valid MAC over DO'87' alone): older chips do this and
    /// the data must still be readable (HOSTILE 15, ISO7816_D_04).
    ResponseWithoutDo99,
    /// The response to an odd-INS command carries its cryptogram in DO'87'
    /// (with padding indicator) instead of DO'85' (a valid variant).
    OddInsResponseInDo87,
    /// The plain status word after the SM objects copies DO'99' instead of
    /// being `9000` (a valid variant seen on many chips).
    OuterStatusMirrorsDo99,
    /// Instead of answering, the chip returns this plain status word (use
    /// `6987` or `6988`) and drops its session keys (HOSTILE 16).
    SmError(StatusWord),
    /// The chip skips one send sequence counter value before wrapping the
    /// response, so its MAC fails at the terminal (HOSTILE 17).
    SscSkip,

    // ---- BAC (EXTERNAL AUTHENTICATE) ----
    /// EXTERNAL AUTHENTICATE answers `6300` even with the right key (HOSTILE 18).
    ExternalAuthenticateRejected,
    /// EXTERNAL AUTHENTICATE returns a wrong M_ICC (HOSTILE 18).
    ExternalAuthenticateWrongMac,
    /// EXTERNAL AUTHENTICATE's E_ICC echoes a wrong RND.IFD (with a valid MAC) (HOSTILE 18).
    ExternalAuthenticateWrongRndIfd,

    // ---- READ BINARY (the plain answer, wrapped by SM as usual) ----
    /// Fewer bytes than asked (half, at least one) with `6282`, though the
    /// file goes on: a file cut short (HOSTILE 7).
    ReadEarlyEof,
    /// `6B00` (HOSTILE 8).
    ReadWrongParameters,
    /// `6Cxx` with xx = the number of bytes the chip has left (at most 256);
    /// a read with exactly that Le is answered normally unless the trigger
    /// fires again (HOSTILE 9).
    ReadWrongLe,
    /// `9000` with no data (HOSTILE 10).
    ReadEmpty,
    /// Four bytes more than Le (HOSTILE 11).
    ReadTooMuch,
    /// At most this many bytes per READ BINARY, with `9000` (a slow but valid chip).
    ReadAtMost(usize),
    /// `6700` where a normal chip returns the remaining bytes with `6282`.
    ReadWrongLengthAtEof,
    /// The odd-INS (`B1`) answer is the raw bytes without DO'53' (HOSTILE 12).
    OddInsWithoutDo53,
    /// The odd-INS answer's DO'53' length claims more bytes than it holds (HOSTILE 12).
    OddInsTruncatedDo53,
    /// SELECT (by FID, or by SFI in READ BINARY) makes a *different* file current.
    WrongFile,
    /// READ BINARY is answered with this status word and no data, whatever it
    /// means (garbage such as `6F00`, `9999` or `0000` included).
    ReadStatus(StatusWord),
    /// Making an EF current (SELECT by FID, or READ BINARY by SFI) is answered
    /// with this status word and no data.
    SelectStatus(StatusWord),
    /// Odd-INS READ BINARY (`B1`) is answered `6D00`: a chip without support
    /// for files over 32 767 bytes (HOSTILE 4).
    OddInsUnsupported,

    // ---- PACE and EF.CardAccess ----
    /// MSE:Set AT for PACE answers `6A80`, as if PACE were not supported.
    PaceRejectMseSetAt,
    /// GENERAL AUTHENTICATE step 2 returns a PK_map,PICC that is not on the
    /// curve (the last bit of y flipped); the chip itself goes on with its real key.
    PaceBadMappingPoint,
    /// GENERAL AUTHENTICATE step 3 returns a PK_eph,PICC that is not on the
    /// curve (the last bit of y flipped); the chip goes on with its real key.
    PaceBadKeyAgreementPoint,
    /// GENERAL AUTHENTICATE step 2 returns a mapping "point" of the wrong
    /// length (the uncompressed encoding cut by one byte).
    PaceTruncatedMappingPoint,
    /// GENERAL AUTHENTICATE step 4 returns a wrong T_PICC (one bit flipped);
    /// the chip's session keys are right, so the terminal must refuse the chip.
    PaceTokenWrong,
    /// SELECT and READ BINARY of EF.CardAccess answer `6982` (reported on some
    /// CCCDs before a BAC fallback); PACE itself still works.
    CardAccessUnreadable,

    // ---- Active and Chip Authentication (ICAO 9303-11 §6.1, §6.2) ----
    /// INTERNAL AUTHENTICATE with an RSA key: the ISO/IEC 9796-2 trailer is
    /// altered before signing (`BC` → `BD`, `xx CC` → `xx CD`) (HOSTILE 30).
    AaWrongTrailer,
    /// INTERNAL AUTHENTICATE answers with one bit of its signature flipped.
    AaSignatureCorrupted,
    /// INTERNAL AUTHENTICATE answers `6D00` though DG15 holds a key.
    AaRefused,
    /// INTERNAL AUTHENTICATE answers with a "signature" of this many bytes
    /// (`5A` repeated): absurdly short or long.
    AaSignatureOfLength(usize),
    /// MSE:Set AT / Set KAT for Chip Authentication answers `6A80`.
    CaRefused,

    // ---- transport ----
    /// `Err(TransportError::CardRemoved)` for this APDU and every later one (HOSTILE 31).
    CardRemoved,
    /// `Err(TransportError::Other("timeout"))` for this APDU and every later one:
    /// a chip that stopped answering.
    Timeout,
    /// The card leaves the field when the terminal makes the EF with this FID
    /// current (SELECT by FID, or READ BINARY by SFI): that command and every
    /// later one fail with `Err(TransportError::CardRemoved)`. With `0x0102`:
    /// the card taken away after DG1 and before DG2 (HOSTILE 31).
    CardRemovedOnSelect(u16),
    /// Instead of answering, 255 filler bytes and `61FF` ("255 more bytes"),
    /// and the same for the GET RESPONSE that follows: a response chain that
    /// never ends (ISO/IEC 7816-4 §5.3.4).
    EndlessGetResponse,
}

/// Where in the chip a fault acts; triggers count the commands reaching it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// Every APDU, before it is parsed.
    Transport,
    /// A protected command that unwrapped correctly.
    SmCommand,
    /// Wrapping the response to a protected command.
    SmResponse,
    /// EXTERNAL AUTHENTICATE with an outstanding challenge.
    ExternalAuthenticate,
    /// READ BINARY (`B0` or `B1`) of a readable file.
    ReadBinary,
    /// READ BINARY with odd INS (`B1`) of a readable file.
    OddInsRead,
    /// Making an EF current (SELECT by FID, or READ BINARY by SFI).
    Select,
    /// MSE:Set AT for PACE (`00 22 C1 A4`).
    MseSetAt,
    /// GENERAL AUTHENTICATE step 2 (mapping), once the chip answers it.
    PaceMapping,
    /// GENERAL AUTHENTICATE step 3 (key agreement), once the chip answers it.
    PaceKeyAgreement,
    /// GENERAL AUTHENTICATE step 4 (mutual authentication), once T_PCD verified.
    PaceMutualAuthentication,
    /// SELECT of EF.CardAccess, or READ BINARY of it (by SFI or as the current file).
    CardAccess,
    /// INTERNAL AUTHENTICATE (Active Authentication) with an 8-byte challenge under secure messaging.
    InternalAuthenticate,
    /// MSE:Set AT / Set KAT for Chip Authentication under secure messaging.
    ChipAuthentication,
}

impl Fault {
    /// The place where this fault acts.
    pub fn site(&self) -> Site {
        match self {
            Self::ResponseMacWrong
            | Self::ResponseWithoutMac
            | Self::ResponseCryptogramWrong
            | Self::ResponseBadPadding
            | Self::ResponseWithoutDo99
            | Self::OddInsResponseInDo87
            | Self::OuterStatusMirrorsDo99
            | Self::SscSkip => Site::SmResponse,
            Self::SmError(_) => Site::SmCommand,
            Self::ExternalAuthenticateRejected
            | Self::ExternalAuthenticateWrongMac
            | Self::ExternalAuthenticateWrongRndIfd => Site::ExternalAuthenticate,
            Self::ReadEarlyEof
            | Self::ReadWrongParameters
            | Self::ReadWrongLe
            | Self::ReadEmpty
            | Self::ReadTooMuch
            | Self::ReadAtMost(_)
            | Self::ReadWrongLengthAtEof
            | Self::ReadStatus(_) => Site::ReadBinary,
            Self::OddInsWithoutDo53 | Self::OddInsTruncatedDo53 | Self::OddInsUnsupported => Site::OddInsRead,
            Self::CardRemovedOnSelect(_) | Self::WrongFile | Self::SelectStatus(_) => Site::Select,
            Self::PaceRejectMseSetAt => Site::MseSetAt,
            Self::PaceBadMappingPoint | Self::PaceTruncatedMappingPoint => Site::PaceMapping,
            Self::PaceBadKeyAgreementPoint => Site::PaceKeyAgreement,
            Self::PaceTokenWrong => Site::PaceMutualAuthentication,
            Self::CardAccessUnreadable => Site::CardAccess,
            Self::AaWrongTrailer | Self::AaSignatureCorrupted | Self::AaRefused | Self::AaSignatureOfLength(_) => {
                Site::InternalAuthenticate
            }
            Self::CaRefused => Site::ChipAuthentication,
            Self::CardRemoved | Self::Timeout | Self::EndlessGetResponse => Site::Transport,
        }
    }

    /// This fault every time its site is reached.
    pub fn always(self) -> Injection {
        Injection::new(self, Trigger::Always)
    }
    /// This fault only when its site is reached during APDU number `n` (1-based, as [`apdu_count`](super::SoftwareChip::apdu_count)).
    pub fn at_apdu(self, n: usize) -> Injection {
        Injection::new(self, Trigger::AtApdu(n))
    }
    /// This fault whenever its site is reached from APDU number `n` on.
    pub fn from_apdu(self, n: usize) -> Injection {
        Injection::new(self, Trigger::FromApdu(n))
    }
    /// This fault the `n`-th time (1-based) its site is reached.
    pub fn nth(self, n: usize) -> Injection {
        Injection::new(self, Trigger::Nth(n))
    }
    /// This fault the first `k` times its site is reached.
    pub fn first(self, k: usize) -> Injection {
        Injection::new(self, Trigger::FirstTimes(k))
    }
}

/// When an injected fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Every time the fault's site is reached.
    Always,
    /// Only within APDU number n (1-based).
    AtApdu(usize),
    /// Within APDU number n and every later one.
    FromApdu(usize),
    /// The n-th time (1-based) the fault's site is reached.
    Nth(usize),
    /// The first k times the fault's site is reached.
    FirstTimes(usize),
}

/// A fault with its trigger and counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// What goes wrong.
    pub fault: Fault,
    /// When.
    pub trigger: Trigger,
    /// How often the fault's site was reached.
    seen: usize,
    /// How often the fault fired.
    fired: usize,
}

impl Injection {
    /// A fault with a trigger.
    pub fn new(fault: Fault, trigger: Trigger) -> Self {
        Self { fault, trigger, seen: 0, fired: 0 }
    }
    /// The card leaves the field after `n` answered APDUs (APDU `n + 1` fails).
    pub fn card_removed_after(n: usize) -> Self {
        Self::new(Fault::CardRemoved, Trigger::FromApdu(n.saturating_add(1)))
    }
    /// How many times the fault fired so far.
    pub fn fired(&self) -> usize {
        self.fired
    }

    fn fires(&mut self, apdu: usize) -> bool {
        self.seen = self.seen.saturating_add(1);
        let fire = match self.trigger {
            Trigger::Always => true,
            Trigger::AtApdu(n) => apdu == n,
            Trigger::FromApdu(n) => apdu >= n,
            Trigger::Nth(n) => self.seen == n,
            Trigger::FirstTimes(k) => self.seen <= k,
        };
        if fire {
            self.fired = self.fired.saturating_add(1);
        }
        fire
    }
}

impl From<Fault> for Injection {
    fn from(fault: Fault) -> Self {
        fault.always()
    }
}

/// The chip's injected faults.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    injections: Vec<Injection>,
}

impl Faults {
    pub(crate) fn add(&mut self, injection: Injection) {
        self.injections.push(injection);
    }

    pub(crate) fn clear(&mut self) {
        self.injections.clear();
    }

    pub(crate) fn list(&self) -> &[Injection] {
        &self.injections
    }

    /// The faults of `site` that fire now, in the order they were injected.
    /// Every injection of that site counts this visit.
    pub(crate) fn fire(&mut self, site: Site, apdu: usize) -> Fired {
        let mut fired = Vec::new();
        for inj in self.injections.iter_mut().filter(|i| i.fault.site() == site) {
            if inj.fires(apdu) {
                fired.push(inj.fault.clone());
            }
        }
        Fired(fired)
    }
}

/// The faults that fired at one site.
#[derive(Debug, Default)]
pub(crate) struct Fired(Vec<Fault>);

impl Fired {
    pub(crate) fn has(&self, fault: &Fault) -> bool {
        self.0.contains(fault)
    }
    /// The status word of the first [`Fault::ReadStatus`] / [`Fault::SelectStatus`] that fired.
    pub(crate) fn status(&self) -> Option<StatusWord> {
        self.0.iter().find_map(|f| match f {
            Fault::ReadStatus(sw) | Fault::SelectStatus(sw) => Some(*sw),
            _ => None,
        })
    }
    /// The length of the first [`Fault::AaSignatureOfLength`] that fired.
    pub(crate) fn aa_signature_length(&self) -> Option<usize> {
        self.0.iter().find_map(|f| match f {
            Fault::AaSignatureOfLength(n) => Some(*n),
            _ => None,
        })
    }
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Fault> {
        self.0.iter()
    }
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_count_their_site_only() {
        let mut f = Faults::default();
        f.add(Fault::ReadEmpty.nth(2));
        f.add(Fault::ResponseMacWrong.first(2));
        f.add(Fault::CardRemoved.at_apdu(5));
        assert!(f.fire(Site::ReadBinary, 1).is_empty());
        assert!(f.fire(Site::SmResponse, 1).has(&Fault::ResponseMacWrong));
        assert!(f.fire(Site::ReadBinary, 2).has(&Fault::ReadEmpty));
        assert!(f.fire(Site::ReadBinary, 3).is_empty());
        assert!(f.fire(Site::SmResponse, 3).has(&Fault::ResponseMacWrong));
        assert!(f.fire(Site::SmResponse, 4).is_empty());
        assert!(f.fire(Site::Transport, 4).is_empty());
        assert!(f.fire(Site::Transport, 5).has(&Fault::CardRemoved));
        assert_eq!(f.list().iter().map(Injection::fired).collect::<Vec<_>>(), [1, 2, 1]);
    }

    #[test]
    fn from_apdu_and_always() {
        let mut f = Faults::default();
        f.add(Injection::card_removed_after(3));
        f.add(Fault::WrongFile.into());
        assert!(f.fire(Site::Transport, 3).is_empty());
        assert!(f.fire(Site::Transport, 4).has(&Fault::CardRemoved));
        assert!(f.fire(Site::Transport, 9).has(&Fault::CardRemoved));
        assert!(f.fire(Site::Select, 1).has(&Fault::WrongFile));
    }
}
