//! Command and response APDUs (ISO/IEC 7816-4 §5.1) and status words (§5.6).

use crate::protocol::error::{Error, Malformed, TransportError};
use core::fmt;
use zeroize::Zeroize;

/// Largest data field of a short command APDU (Lc ≤ 255).
pub const MAX_SHORT_LC: usize = 255;
/// Largest Ne of a short APDU (Le = `00` means 256).
pub const MAX_SHORT_LE: usize = 256;
/// Largest Ne of an extended APDU (Le = `0000` means 65 536).
pub const MAX_EXTENDED_LE: usize = 65_536;

/// A two-byte status word, SW1-SW2.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `9000`: normal processing.
    pub const OK: Self = Self(0x9000);
    /// `6282`: end of file reached before reading Ne bytes.
    pub const END_OF_FILE: Self = Self(0x6282);
    /// `6300`: verification failed (a wrong PACE/BAC password on many chips).
    pub const VERIFICATION_FAILED: Self = Self(0x6300);
    /// `6700`: wrong length.
    pub const WRONG_LENGTH: Self = Self(0x6700);
    /// `6982`: security status not satisfied (no access without BAC/PACE, or TA needed).
    pub const SECURITY_STATUS_NOT_SATISFIED: Self = Self(0x6982);
    /// `6983`: authentication method blocked.
    pub const AUTH_METHOD_BLOCKED: Self = Self(0x6983);
    /// `6984`: reference data not usable.
    pub const REFERENCE_DATA_NOT_USABLE: Self = Self(0x6984);
    /// `6985`: conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: Self = Self(0x6985);
    /// `6986`: command not allowed (no current EF).
    pub const COMMAND_NOT_ALLOWED: Self = Self(0x6986);
    /// `6987`: expected secure-messaging data objects missing.
    pub const SM_OBJECTS_MISSING: Self = Self(0x6987);
    /// `6988`: incorrect secure-messaging data objects.
    pub const SM_OBJECTS_INCORRECT: Self = Self(0x6988);
    /// `6A80`: incorrect parameters in the data field.
    pub const WRONG_DATA: Self = Self(0x6A80);
    /// `6A82`: file or application not found.
    pub const FILE_NOT_FOUND: Self = Self(0x6A82);
    /// `6A86`: incorrect P1-P2.
    pub const INCORRECT_P1P2: Self = Self(0x6A86);
    /// `6A88`: referenced data not found.
    pub const DATA_NOT_FOUND: Self = Self(0x6A88);
    /// `6B00`: wrong parameters P1-P2 (offset beyond the end of the file).
    pub const WRONG_PARAMETERS: Self = Self(0x6B00);
    /// `6D00`: instruction not supported.
    pub const INS_NOT_SUPPORTED: Self = Self(0x6D00);
    /// `6E00`: class not supported.
    pub const CLA_NOT_SUPPORTED: Self = Self(0x6E00);
    /// `6F00`: no precise diagnosis.
    pub const UNKNOWN: Self = Self(0x6F00);

    /// Builds a status word from SW1 and SW2.
    pub fn new(sw1: u8, sw2: u8) -> Self {
        Self(u16::from(sw1) << 8 | u16::from(sw2))
    }
    /// SW1.
    pub fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }
    /// SW2.
    pub fn sw2(self) -> u8 {
        self.0 as u8
    }
    /// `9000`.
    pub fn is_ok(self) -> bool {
        self == Self::OK
    }
    /// `61xx`: xx more bytes are available with GET RESPONSE.
    pub fn bytes_available(self) -> Option<usize> {
        (self.sw1() == 0x61).then(|| if self.sw2() == 0 { 256 } else { usize::from(self.sw2()) })
    }
    /// `6Cxx`: wrong Le, the chip has exactly xx bytes.
    pub fn exact_length(self) -> Option<usize> {
        (self.sw1() == 0x6C).then(|| if self.sw2() == 0 { 256 } else { usize::from(self.sw2()) })
    }
    /// `62xx`/`63xx`: a warning, data may still be present (ISO/IEC 7816-4 §5.6).
    pub fn is_warning(self) -> bool {
        matches!(self.sw1(), 0x62 | 0x63)
    }
    /// `6987`/`6988`: the chip reports a secure-messaging error (ICAO 9303-11 §9.8.6).
    pub fn is_sm_error(self) -> bool {
        self == Self::SM_OBJECTS_MISSING || self == Self::SM_OBJECTS_INCORRECT
    }
    /// The ISO/IEC 7816-4 name of the status word.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x9000 => "normal processing",
            0x6282 => "end of file reached before Ne bytes",
            0x6300 => "verification failed",
            0x6581 => "memory failure",
            0x6700 => "wrong length",
            0x6882 => "secure messaging not supported",
            0x6982 => "security status not satisfied",
            0x6983 => "authentication method blocked",
            0x6984 => "reference data not usable",
            0x6985 => "conditions of use not satisfied",
            0x6986 => "command not allowed",
            0x6987 => "expected secure messaging data objects missing",
            0x6988 => "incorrect secure messaging data objects",
            0x6A80 => "incorrect parameters in the data field",
            0x6A81 => "function not supported",
            0x6A82 => "file or application not found",
            0x6A86 => "incorrect parameters P1-P2",
            0x6A88 => "referenced data not found",
            0x6B00 => "wrong parameters P1-P2",
            0x6D00 => "instruction not supported",
            0x6E00 => "class not supported",
            0x6F00 => "no precise diagnosis",
            _ => match self.sw1() {
                0x61 => "more data available",
                0x62 | 0x63 => "warning",
                0x6C => "wrong Le",
                _ => "error",
            },
        }
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.name())
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// A command APDU (ISO/IEC 7816-4 §5.1). `le` is Ne: `None` for no response data expected.
#[derive(Clone, PartialEq, Eq, Zeroize)]
pub struct CommandApdu {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data field (may hold key material: zeroized on drop).
    pub data: Vec<u8>,
    /// Ne, the maximum number of response bytes expected (1..=65 536).
    pub le: Option<usize>,
}

impl Drop for CommandApdu {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl fmt::Debug for CommandApdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The data field may hold key material or personal data: never printed.
        write!(
            f,
            "CommandApdu({:02X} {:02X} {:02X} {:02X}, lc={}, le={:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

impl CommandApdu {
    /// A command with no data and no response data.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self { cla, ins, p1, p2, data: Vec::new(), le: None }
    }
    /// Sets the data field.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }
    /// Sets Ne.
    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }
    /// True when the command needs the extended length form (Lc > 255 or Ne > 256).
    pub fn is_extended(&self) -> bool {
        self.data.len() > MAX_SHORT_LC || self.le.is_some_and(|le| le > MAX_SHORT_LE)
    }
    /// Serializes the command in the four ISO cases, short or extended as needed.
    ///
    /// Fails when Lc > 65 535 or Ne is 0 or > 65 536.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let lc = self.data.len();
        if lc > 65_535 {
            return Err(Error::Limit { what: "command data", limit: 65_535 });
        }
        if self.le.is_some_and(|le| le == 0 || le > MAX_EXTENDED_LE) {
            return Err(Error::Limit { what: "Ne", limit: MAX_EXTENDED_LE });
        }
        let mut out = Vec::with_capacity(4 + 3 + lc + 3);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let extended = self.is_extended();
        if lc > 0 {
            if extended {
                out.push(0);
                out.extend_from_slice(&(lc as u16).to_be_bytes());
            } else {
                out.push(lc as u8);
            }
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            if extended {
                if lc == 0 {
                    out.push(0);
                }
                out.extend_from_slice(&((le % MAX_EXTENDED_LE) as u16).to_be_bytes());
            } else {
                out.push((le % MAX_SHORT_LE) as u8);
            }
        }
        Ok(out)
    }
}

/// A response APDU: data field and status word. The data is zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseApdu {
    /// The response data field.
    pub data: Vec<u8>,
    /// SW1-SW2.
    pub sw: StatusWord,
}

impl Drop for ResponseApdu {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl fmt::Debug for ResponseApdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResponseApdu({} bytes, {:?})", self.data.len(), self.sw)
    }
}

impl ResponseApdu {
    /// Splits raw response bytes into data and status word. Fewer than two bytes
    /// is a transport error: every response carries SW1-SW2.
    pub fn from_bytes(mut raw: Vec<u8>) -> Result<Self, TransportError> {
        let n = raw.len();
        if n < 2 {
            raw.zeroize();
            return Err(TransportError::ShortResponse(n));
        }
        let sw = StatusWord::new(raw.get(n - 2).copied().unwrap_or(0), raw.get(n - 1).copied().unwrap_or(0));
        raw.truncate(n - 2);
        Ok(Self { data: raw, sw })
    }
    /// A response with no data.
    pub fn status(sw: StatusWord) -> Self {
        Self { data: Vec::new(), sw }
    }
    /// Serializes data || SW1 SW2.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.push(self.sw.sw1());
        out.push(self.sw.sw2());
        out
    }
    /// `Ok(self)` for `9000`, otherwise [`Error::Status`] naming the step.
    pub fn ok(self, during: &'static str) -> Result<Self, Error> {
        if self.sw.is_ok() { Ok(self) } else { Err(Error::Status { during, sw: self.sw }) }
    }
}

/// Parses a command APDU from its bytes (used by the software chip: its input
/// is whatever the terminal sends, so this is bounds-checked too).
pub fn parse_command(bytes: &[u8]) -> Result<CommandApdu, Malformed> {
    use crate::protocol::tlv::Reader;
    const WHAT: &str = "command APDU";
    let mut r = Reader::new(bytes);
    let header = r.take(4).ok_or(Malformed::Truncated(WHAT))?;
    let (cla, ins, p1, p2) = match header {
        [a, b, c, d] => (*a, *b, *c, *d),
        _ => return Err(Malformed::Truncated(WHAT)),
    };
    let mut cmd = CommandApdu::new(cla, ins, p1, p2);
    let rest = r.rest();
    match rest {
        [] => {}
        [le] => cmd.le = Some(if *le == 0 { MAX_SHORT_LE } else { usize::from(*le) }),
        [0, hi, lo] => {
            let le = usize::from(*hi) << 8 | usize::from(*lo);
            cmd.le = Some(if le == 0 { MAX_EXTENDED_LE } else { le });
        }
        [0, hi, lo, tail @ ..] => {
            let lc = usize::from(*hi) << 8 | usize::from(*lo);
            let data = tail.get(..lc).ok_or(Malformed::Truncated(WHAT))?;
            cmd.data = data.to_vec();
            match tail.get(lc..).unwrap_or(&[]) {
                [] => {}
                [hi, lo] => {
                    let le = usize::from(*hi) << 8 | usize::from(*lo);
                    cmd.le = Some(if le == 0 { MAX_EXTENDED_LE } else { le });
                }
                _ => return Err(Malformed::Invalid { what: WHAT, reason: "bad extended Le" }),
            }
        }
        [lc, tail @ ..] => {
            let lc = usize::from(*lc);
            let data = tail.get(..lc).ok_or(Malformed::Truncated(WHAT))?;
            cmd.data = data.to_vec();
            match tail.get(lc..).unwrap_or(&[]) {
                [] => {}
                [le] => cmd.le = Some(if *le == 0 { MAX_SHORT_LE } else { usize::from(*le) }),
                _ => return Err(Malformed::TrailingBytes(WHAT)),
            }
        }
    }
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn four_cases_short_and_extended() {
        assert_eq!(CommandApdu::new(0, 0x84, 0, 0).with_le(8).to_bytes().unwrap(), [0, 0x84, 0, 0, 8]);
        assert_eq!(
            CommandApdu::new(0, 0xA4, 2, 0x0C).with_data([1, 0x1E]).to_bytes().unwrap(),
            [0, 0xA4, 2, 0x0C, 2, 1, 0x1E]
        );
        assert_eq!(CommandApdu::new(0, 0xB0, 0, 0).with_le(256).to_bytes().unwrap(), [0, 0xB0, 0, 0, 0]);
        assert_eq!(CommandApdu::new(0, 0xB0, 0, 0).with_le(1000).to_bytes().unwrap(), [0, 0xB0, 0, 0, 0, 0x03, 0xE8]);
        assert_eq!(
            CommandApdu::new(0, 0xB1, 0, 0).with_data([0x54, 1, 0]).with_le(65_536).to_bytes().unwrap(),
            [0, 0xB1, 0, 0, 0, 0, 3, 0x54, 1, 0, 0, 0]
        );
        assert!(CommandApdu::new(0, 0xB0, 0, 0).with_le(0).to_bytes().is_err());
    }

    #[test]
    fn short_response_is_a_transport_error() {
        assert_eq!(ResponseApdu::from_bytes(vec![0x90]), Err(TransportError::ShortResponse(1)));
        assert_eq!(ResponseApdu::from_bytes(vec![]), Err(TransportError::ShortResponse(0)));
        let r = ResponseApdu::from_bytes(vec![1, 2, 0x90, 0]).unwrap();
        assert_eq!((r.data.as_slice(), r.sw), (&[1u8, 2][..], StatusWord::OK));
    }

    #[test]
    fn status_word_classes() {
        assert_eq!(StatusWord(0x6110).bytes_available(), Some(16));
        assert_eq!(StatusWord(0x6C00).exact_length(), Some(256));
        assert!(StatusWord::SM_OBJECTS_INCORRECT.is_sm_error());
        assert_eq!(format!("{:?}", StatusWord::FILE_NOT_FOUND), "6A82 (file or application not found)");
    }

    proptest! {
        #[test]
        fn command_round_trip(cla: u8, ins: u8, p1: u8, p2: u8, data in proptest::collection::vec(any::<u8>(), 0..400), le in proptest::option::of(1usize..=65_536)) {
            let cmd = CommandApdu { cla, ins, p1, p2, data, le };
            let back = parse_command(&cmd.to_bytes().unwrap()).unwrap();
            prop_assert!(back == cmd);
        }
        #[test]
        fn parse_command_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_command(&bytes);
        }
    }
}
