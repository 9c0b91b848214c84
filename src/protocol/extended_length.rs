//! Whether to read with extended-length APDUs, decided per card and reader.
//!
//! Extended Le (ISO/IEC 7816-4 §5.1) lets one READ BINARY return kilobytes
//! instead of a short response's 231 (3DES) or 223 (AES) plaintext bytes: a
//! 20 KB portrait then takes 6 round trips instead of 90. Both the reader and
//! the chip must support it, and a wrong guess costs more than it saves (a
//! chip that does not support it answers `6700`, which under secure messaging
//! ends the session). ICAO 9303-10 §3.11.1 has a chip that supports extended
//! length say so in its ATR/ATS or in EF.ATR/INFO, so it is detected in that
//! order, never by trial:
//!
//! 1. a result remembered for this card (the service keeps one per reader and
//!    ATR while the card stays, so only a card's first read pays for step 3);
//! 2. the reader: a transport that knows its largest APDU (PC/SC
//!    `SCARD_ATTR_MAXINPUT`) and is too small rules extended length out;
//! 3. the ATR's historical bytes (ISO/IEC 7816-3 §8.2; for a contactless card
//!    the reader builds them from the ATS, PC/SC Part 3 §3.1.3.2.3): the card
//!    capabilities data object (compact-TLV tag `7`, ISO/IEC 7816-4 §12.1.1.9),
//!    third software function table, b7 = "extended Lc and Le fields";
//! 4. otherwise EF.ATR/INFO (`2F01`, SFI `01`, in the master file, readable in
//!    the clear: ICAO 9303-10 §3.11.1), one READ BINARY: its card capabilities
//!    (`47`) and extended length information (`7F66`: the largest command and
//!    response APDU, ISO/IEC 7816-4 §12.7.1), which also caps the chunk size.
//!
//! No indication anywhere means short APDUs.

use crate::protocol::error::Malformed;
use crate::protocol::tlv::{self, Reader};

/// The short file identifier of EF.ATR/INFO (`2F01`; ICAO 9303-10 Table 37 note).
pub const EF_ATR_INFO_SFI: u8 = 0x01;
/// Bytes asked for when reading EF.ATR/INFO (one short READ BINARY, Le = `00`).
pub const EF_ATR_INFO_READ_LEN: usize = 256;
/// A response APDU this large (data and SW) is the least worth going extended for:
/// smaller ones carry no more than a short response.
pub const MIN_USEFUL_RESPONSE: usize = 512;
/// Card capabilities, third software function table: extended Lc and Le fields (ISO/IEC 7816-4 Table 118, b7).
const CAPABILITY_EXTENDED_LC_LE: u8 = 0x40;
/// Compact-TLV tag of card capabilities in historical bytes (ISO/IEC 7816-4 §12.1.1.9).
const COMPACT_TAG_CARD_CAPABILITIES: u8 = 0x7;
/// BER tag of card capabilities in EF.ATR/INFO (the compact tag `7` as interindustry `47`).
const TAG_CARD_CAPABILITIES: u32 = 0x47;
/// BER tag of extended length information (ISO/IEC 7816-4 §12.7.1).
const TAG_EXTENDED_LENGTH_INFO: u32 = 0x7F66;
/// Most interface-byte groups an ATR may have before its historical bytes
/// (TD chains longer than this are malformed; ISO/IEC 7816-3 allows 4 in practice).
const MAX_INTERFACE_GROUPS: usize = 8;

/// The configured policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ExtendedLength {
    /// Short APDUs only: works with every reader and chip.
    #[default]
    Off,
    /// Extended length always (the caller knows both sides support it).
    On,
    /// Detect it for this card and reader (see the module documentation).
    Auto(Hints),
}

/// What the caller knows before talking to the chip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    /// The card's ATR (for a contactless card, the one the reader built from its ATS).
    pub atr: Option<Vec<u8>>,
    /// The largest APDU the reader passes (PC/SC `SCARD_ATTR_MAXINPUT`), when it says.
    pub reader_max_apdu: Option<usize>,
    /// The decision of an earlier read of this same card in this reader.
    pub remembered: Option<Decision>,
}

/// Where a decision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The configuration (`off` or `on`).
    Configured,
    /// An earlier read of the same card.
    Remembered,
    /// The reader's largest APDU is too small.
    Reader,
    /// The ATR's card capabilities.
    Atr,
    /// EF.ATR/INFO.
    AtrInfo,
    /// No indication anywhere: short APDUs.
    NoIndication,
}

impl Source {
    /// A stable name for logs and benchmark output.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Configured => "configured",
            Source::Remembered => "remembered",
            Source::Reader => "reader",
            Source::Atr => "atr",
            Source::AtrInfo => "ef_atr_info",
            Source::NoIndication => "no_indication",
        }
    }
}

/// The outcome: extended length or not, and the largest response APDU to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Read with extended Le.
    pub enabled: bool,
    /// The largest response APDU (data and SW) the chip and reader accept, when known.
    pub max_response: Option<usize>,
    /// Why.
    pub source: Source,
}

impl Decision {
    fn off(source: Source) -> Self {
        Self { enabled: false, max_response: None, source }
    }
}

/// The first step: decided already, or EF.ATR/INFO must be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing needs to be read.
    Decided(Decision),
    /// Read EF.ATR/INFO and call [`decide_with_atr_info`].
    ReadAtrInfo,
}

/// Decides from the policy and what is known before any APDU.
pub fn decide_before_reading(policy: &ExtendedLength) -> Step {
    let hints = match policy {
        ExtendedLength::Off => return Step::Decided(Decision::off(Source::Configured)),
        ExtendedLength::On => {
            return Step::Decided(Decision { enabled: true, max_response: None, source: Source::Configured });
        }
        ExtendedLength::Auto(h) => h,
    };
    if let Some(d) = hints.remembered {
        return Step::Decided(Decision { source: Source::Remembered, ..d });
    }
    if hints.reader_max_apdu.is_some_and(|n| n < MIN_USEFUL_RESPONSE) {
        return Step::Decided(Decision::off(Source::Reader));
    }
    match hints.atr.as_deref().and_then(atr_card_capabilities) {
        Some(extended) => Step::Decided(Decision {
            enabled: extended,
            max_response: if extended { hints.reader_max_apdu } else { None },
            source: Source::Atr,
        }),
        None => Step::ReadAtrInfo,
    }
}

/// Decides from EF.ATR/INFO (`None`: the chip has none or it could not be read).
pub fn decide_with_atr_info(policy: &ExtendedLength, atr_info: Option<&AtrInfo>) -> Decision {
    let reader_max = match policy {
        ExtendedLength::Auto(h) => h.reader_max_apdu,
        _ => None,
    };
    let Some(info) = atr_info else { return Decision::off(Source::NoIndication) };
    // 7F66 alone implies support (a chip without it has nothing to say there);
    // a capabilities byte, when present, has the last word.
    let extended = info.extended_lc_le.unwrap_or(info.max_response.is_some());
    let max_response = match (info.max_response, reader_max) {
        (Some(c), Some(r)) => Some(c.min(r)),
        (c, r) => c.or(r),
    };
    if !extended || max_response.is_some_and(|n| n < MIN_USEFUL_RESPONSE) {
        return Decision::off(Source::AtrInfo);
    }
    Decision { enabled: true, max_response, source: Source::AtrInfo }
}

/// The historical bytes of an ATR (ISO/IEC 7816-3 §8.2): after TS, T0 and the
/// interface bytes that T0 and each TDi announce; `None` if the ATR is too short.
pub fn historical_bytes(atr: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(atr);
    let _ts = r.u8()?;
    let t0 = r.u8()?;
    let k = usize::from(t0 & 0x0F);
    let mut y = t0 >> 4;
    for _ in 0..MAX_INTERFACE_GROUPS {
        // TAi, TBi, TCi present per bits 5..7 of Y; TDi per bit 8.
        let count = (y & 0x7).count_ones() as usize;
        r.take(count)?;
        if y & 0x8 == 0 {
            return r.take(k);
        }
        let td = r.u8()?;
        y = td >> 4;
    }
    None
}

/// The card capabilities' "extended Lc and Le" bit from an ATR's historical
/// bytes (ISO/IEC 7816-4 §12.1.1): category `00` or `80` followed by
/// compact-TLV objects; `None` when the ATR does not say.
pub fn atr_card_capabilities(atr: &[u8]) -> Option<bool> {
    let hist = historical_bytes(atr)?;
    let mut r = Reader::new(hist);
    let objects = match r.u8()? {
        // Category 00: the last three bytes are a status indicator, not compact-TLV.
        0x00 => hist.get(1..hist.len().checked_sub(3)?)?,
        0x80 => r.rest(),
        _ => return None,
    };
    let mut r = Reader::new(objects);
    while let Some(head) = r.u8() {
        let value = r.take(usize::from(head & 0x0F))?;
        if head >> 4 == COMPACT_TAG_CARD_CAPABILITIES {
            return capabilities_bit(value);
        }
    }
    None
}

/// Third software function table, b7; `None` when the object is shorter than three bytes.
fn capabilities_bit(value: &[u8]) -> Option<bool> {
    value.get(2).map(|b| b & CAPABILITY_EXTENDED_LC_LE != 0)
}

/// What EF.ATR/INFO says about lengths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AtrInfo {
    /// Card capabilities (`47`), third software function table b7, when present.
    pub extended_lc_le: Option<bool>,
    /// Extended length information (`7F66`): the largest command APDU.
    pub max_command: Option<usize>,
    /// Extended length information (`7F66`): the largest response APDU.
    pub max_response: Option<usize>,
}

/// Parses EF.ATR/INFO: a sequence of interindustry BER-TLV data objects
/// (ISO/IEC 7816-4 §8.2.1.1); objects other than `47` and `7F66` are skipped.
pub fn parse_atr_info(bytes: &[u8]) -> Result<AtrInfo, Malformed> {
    const WHAT: &str = "EF.ATR/INFO";
    let mut info = AtrInfo::default();
    let mut r = Reader::new(bytes);
    while !r.is_empty() {
        // Padding after the objects (`00` or `FF`, ISO/IEC 7816-4 §6.3) ends the file.
        if matches!(r.peek(), Some(0x00 | 0xFF)) {
            break;
        }
        let t = tlv::read_tlv(&mut r, WHAT)?;
        match t.tag {
            TAG_CARD_CAPABILITIES => info.extended_lc_le = capabilities_bit(t.value),
            TAG_EXTENDED_LENGTH_INFO => {
                let mut inner = Reader::new(t.value);
                let command = tlv::expect_tlv(&mut inner, 0x02, WHAT)?;
                let response = tlv::expect_tlv(&mut inner, 0x02, WHAT)?;
                info.max_command = Some(unsigned(command, WHAT)?);
                info.max_response = Some(unsigned(response, WHAT)?);
            }
            _ => {}
        }
    }
    Ok(info)
}

/// A small unsigned INTEGER value (at most four bytes: APDU lengths fit in three).
fn unsigned(value: &[u8], what: &'static str) -> Result<usize, Malformed> {
    if value.is_empty() || value.len() > 4 {
        return Err(Malformed::Invalid { what, reason: "length INTEGER of an unexpected size" });
    }
    Ok(value.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PC/SC contactless ATR (PC/SC Part 3 §3.1.3.2.3.1): `3B 8n 80 01`, the
    /// ATS historical bytes, TCK.
    fn contactless_atr(hist: &[u8]) -> Vec<u8> {
        let mut atr = vec![0x3B, 0x80 | hist.len() as u8, 0x80, 0x01];
        atr.extend_from_slice(hist);
        let tck = atr[1..].iter().fold(0, |a, b| a ^ b);
        atr.push(tck);
        atr
    }

    #[test]
    fn historical_bytes_follow_the_interface_bytes() {
        let atr = contactless_atr(&[0x80, 0x73, 0x00, 0x00, 0x40]);
        assert_eq!(historical_bytes(&atr), Some(&[0x80, 0x73, 0x00, 0x00, 0x40][..]));
        // A contact ATR with TA1, TB1, TC1, TD1 (T=1), TA2... : 3B F8 13 00 00 81 31 FE 45 + 8 historical + TCK.
        let contact = [
            0x3B, 0xF8, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45, 0x4A, 0x43, 0x4F, 0x50, 0x76, 0x32, 0x34, 0x31, 0xB7,
        ];
        assert_eq!(historical_bytes(&contact), Some(&contact[9..17]));
        assert_eq!(historical_bytes(&[0x3B]), None);
        assert_eq!(historical_bytes(&[0x3B, 0x8F, 0x80]), None, "TD2 missing");
        assert_eq!(historical_bytes(&[0x3B, 0x05, 0x01]), None, "fewer historical bytes than T0 says");
    }

    #[test]
    fn card_capabilities_in_the_atr() {
        // Category 80, card capabilities (73) with b7 of the third byte set.
        assert_eq!(atr_card_capabilities(&contactless_atr(&[0x80, 0x73, 0x00, 0x00, 0x40])), Some(true));
        assert_eq!(atr_card_capabilities(&contactless_atr(&[0x80, 0x73, 0x00, 0x00, 0x80])), Some(false));
        // Other objects first (31 = card service data), then capabilities.
        assert_eq!(atr_card_capabilities(&contactless_atr(&[0x80, 0x31, 0xB0, 0x73, 0xF0, 0x00, 0xC0])), Some(true));
        // Category 00: status indicator in the last three bytes.
        assert_eq!(
            atr_card_capabilities(&contactless_atr(&[0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x90, 0x00])),
            Some(true)
        );
        // Capabilities with fewer than three bytes say nothing about lengths.
        assert_eq!(atr_card_capabilities(&contactless_atr(&[0x80, 0x72, 0x00, 0x00])), None);
        // Proprietary category, truncated object, the software chip's ATR.
        assert_eq!(atr_card_capabilities(&contactless_atr(&[0x41, 0x73, 0x00, 0x00, 0x40])), None);
        assert_eq!(atr_card_capabilities(&contactless_atr(&[0x80, 0x73, 0x00])), None);
        assert_eq!(atr_card_capabilities(&contactless_atr(&[0; 8])), None);
    }

    #[test]
    fn ef_atr_info_lengths() {
        // 47 03 00 00 40, 7F66 08 (02 02 0F FF) (02 02 10 00), padding.
        let file = [
            0x47, 0x03, 0x00, 0x00, 0x40, 0x7F, 0x66, 0x08, 0x02, 0x02, 0x0F, 0xFF, 0x02, 0x02, 0x10, 0x00, 0x00, 0x00,
        ];
        let info = parse_atr_info(&file).unwrap();
        assert_eq!(info, AtrInfo { extended_lc_le: Some(true), max_command: Some(0x0FFF), max_response: Some(0x1000) });
        let auto = ExtendedLength::Auto(Hints::default());
        let d = decide_with_atr_info(&auto, Some(&info));
        assert_eq!(d, Decision { enabled: true, max_response: Some(0x1000), source: Source::AtrInfo });
        // The reader's smaller limit wins.
        let small_reader = ExtendedLength::Auto(Hints { reader_max_apdu: Some(1024), ..Hints::default() });
        assert_eq!(decide_with_atr_info(&small_reader, Some(&info)).max_response, Some(1024));
        // 7F66 alone implies support; capabilities saying no win over it.
        let only_lengths = parse_atr_info(&file[5..]).unwrap();
        assert!(decide_with_atr_info(&auto, Some(&only_lengths)).enabled);
        let says_no = AtrInfo { extended_lc_le: Some(false), ..info };
        assert!(!decide_with_atr_info(&auto, Some(&says_no)).enabled);
        // A chip whose largest response is short gains nothing.
        let tiny = AtrInfo { max_response: Some(261), ..info };
        assert!(!decide_with_atr_info(&auto, Some(&tiny)).enabled);
        assert_eq!(decide_with_atr_info(&auto, None), Decision::off(Source::NoIndication));
        // Malformed files are errors, not panics.
        assert!(parse_atr_info(&[0x7F, 0x66, 0x02, 0x02, 0x05]).is_err());
        assert!(parse_atr_info(&[0x7F, 0x66, 0x04, 0x02, 0x00, 0x02, 0x00]).is_err());
    }

    #[test]
    fn order_of_the_sources() {
        let yes_atr = contactless_atr(&[0x80, 0x73, 0x00, 0x00, 0x40]);
        let auto = |h: Hints| decide_before_reading(&ExtendedLength::Auto(h));
        assert_eq!(decide_before_reading(&ExtendedLength::Off), Step::Decided(Decision::off(Source::Configured)));
        assert!(matches!(decide_before_reading(&ExtendedLength::On), Step::Decided(Decision { enabled: true, .. })));
        let remembered = Decision { enabled: true, max_response: Some(2048), source: Source::AtrInfo };
        assert_eq!(
            auto(Hints { remembered: Some(remembered), ..Hints::default() }),
            Step::Decided(Decision { source: Source::Remembered, ..remembered })
        );
        assert_eq!(
            auto(Hints { atr: Some(yes_atr.clone()), reader_max_apdu: Some(261), remembered: None }),
            Step::Decided(Decision::off(Source::Reader))
        );
        assert_eq!(
            auto(Hints { atr: Some(yes_atr), reader_max_apdu: Some(65_546), remembered: None }),
            Step::Decided(Decision { enabled: true, max_response: Some(65_546), source: Source::Atr })
        );
        assert_eq!(auto(Hints { atr: Some(contactless_atr(&[0; 8])), ..Hints::default() }), Step::ReadAtrInfo);
        assert_eq!(auto(Hints::default()), Step::ReadAtrInfo);
    }
}
