//! The Logical Data Structure (ICAO 9303-10): file identifiers and parsers.
//!
//! Every parser is a pure function from the file's bytes to a typed value; the
//! ASN.1/TLV grammar and the spec clause sit in its doc comment.

pub mod card_access;
pub mod com;
pub mod dg1;
pub mod dg11;
pub mod dg12;
pub mod dg13;
pub mod dg14;
pub mod dg15;
pub mod dg2;
pub mod security_infos;
pub mod sod;

use core::fmt;

/// A data group number, DG1..=DG16 (ICAO 9303-10 §4.6.2, Table 37).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DataGroup(u8);

impl DataGroup {
    /// DG1: the MRZ.
    pub const DG1: Self = Self(1);
    /// DG2: the encoded face.
    pub const DG2: Self = Self(2);
    /// DG3: fingerprints (Terminal Authentication protected).
    pub const DG3: Self = Self(3);
    /// DG4: irises (Terminal Authentication protected).
    pub const DG4: Self = Self(4);
    /// DG11: additional personal details.
    pub const DG11: Self = Self(11);
    /// DG12: additional document details.
    pub const DG12: Self = Self(12);
    /// DG13: optional details (the Vietnamese personal data on a CCCD).
    pub const DG13: Self = Self(13);
    /// DG14: security options (Chip Authentication, PACE infos).
    pub const DG14: Self = Self(14);
    /// DG15: the Active Authentication public key.
    pub const DG15: Self = Self(15);

    /// Data group `n`, for 1..=16.
    pub fn new(n: u8) -> Option<Self> {
        (1..=16).contains(&n).then_some(Self(n))
    }
    /// The number, 1..=16.
    pub fn number(self) -> u8 {
        self.0
    }
    /// The file identifier `01nn` (ICAO 9303-10 Table 37).
    pub fn fid(self) -> u16 {
        0x0100 | u16::from(self.0)
    }
    /// The short file identifier (equal to the number).
    pub fn sfi(self) -> u8 {
        self.0
    }
    /// The tag of the data group's outer TLV (ICAO 9303-10 Table 37).
    pub fn tag(self) -> u8 {
        match self.0 {
            1 => 0x61,
            2 => 0x75,
            3 => 0x63,
            4 => 0x76,
            5 => 0x65,
            6 => 0x66,
            7 => 0x67,
            8 => 0x68,
            9 => 0x69,
            10 => 0x6A,
            11 => 0x6B,
            12 => 0x6C,
            13 => 0x6D,
            14 => 0x6E,
            15 => 0x6F,
            _ => 0x70,
        }
    }
    /// The data group whose outer tag is `tag` (as listed in EF.COM's tag list).
    pub fn from_tag(tag: u8) -> Option<Self> {
        (1..=16).map(Self).find(|dg| dg.tag() == tag)
    }
    /// True for DG3 and DG4, which need Terminal Authentication.
    pub fn needs_terminal_authentication(self) -> bool {
        matches!(self.0, 3 | 4)
    }
}

impl fmt::Debug for DataGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DG{}", self.0)
    }
}

impl fmt::Display for DataGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DG{}", self.0)
    }
}

impl core::str::FromStr for DataGroup {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let n = s.strip_prefix("DG").or_else(|| s.strip_prefix("dg")).ok_or(())?;
        // Exactly `DG1`..`DG16`: no sign or leading zero (`u8::from_str` would take "+1" and "01").
        if n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(());
        }
        n.parse::<u8>().ok().and_then(Self::new).ok_or(())
    }
}

/// An elementary file of the eMRTD application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileId {
    /// EF.COM (`011E`, SFI `1E`).
    Com,
    /// EF.SOD (`011D`, SFI `1D`).
    Sod,
    /// EF.CardAccess (`011C`, SFI `1C`), in the master file, readable without keys.
    CardAccess,
    /// A data group.
    Dg(DataGroup),
}

impl FileId {
    /// The file identifier.
    pub fn fid(self) -> u16 {
        match self {
            Self::Com => 0x011E,
            Self::Sod => 0x011D,
            Self::CardAccess => 0x011C,
            Self::Dg(dg) => dg.fid(),
        }
    }
    /// The short file identifier.
    pub fn sfi(self) -> u8 {
        match self {
            Self::Com => 0x1E,
            Self::Sod => 0x1D,
            Self::CardAccess => 0x1C,
            Self::Dg(dg) => dg.sfi(),
        }
    }
    /// The tag of the file's outer TLV.
    pub fn tag(self) -> u8 {
        match self {
            Self::Com => 0x60,
            Self::Sod => 0x77,
            // A DER SET OF SecurityInfo (ICAO 9303-11 §9.2.11).
            Self::CardAccess => 0x31,
            Self::Dg(dg) => dg.tag(),
        }
    }
    /// The name used in the API (`EF.COM`, `EF.SOD`, `DG1`, ...).
    pub fn name(self) -> &'static str {
        const DG_NAMES: [&str; 16] = [
            "DG1", "DG2", "DG3", "DG4", "DG5", "DG6", "DG7", "DG8", "DG9", "DG10", "DG11", "DG12", "DG13", "DG14",
            "DG15", "DG16",
        ];
        match self {
            Self::Com => "EF.COM",
            Self::Sod => "EF.SOD",
            Self::CardAccess => "EF.CardAccess",
            Self::Dg(dg) => DG_NAMES.get(usize::from(dg.number()).saturating_sub(1)).copied().unwrap_or("DG?"),
        }
    }
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
