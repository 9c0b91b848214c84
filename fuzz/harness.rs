//! Fuzz harnesses: one function per parser, shared by the cargo-fuzz targets
//! (`fuzz/fuzz_targets/*.rs`) and the corpus replay test
//! (`tests/fuzz_corpus.rs`), so both exercise exactly the same code.
//!
//! Each harness returns whether the input parsed and asserts invariants of a
//! successful parse; a panic anywhere is a bug.
#![allow(dead_code)]

use mrtdd::protocol::apdu::{ResponseApdu, parse_command};
use mrtdd::protocol::lds;
use mrtdd::protocol::tlv::{MAX_TLV_DEPTH, Reader, children, read_header, read_tlv};

/// Every target, by the name of its corpus folder and fuzz binary.
pub const TARGETS: &[&str] = &[
    "tlv",
    "response_apdu",
    "command_apdu",
    "atr_info",
    "dg1",
    "dg2",
    "dg11",
    "dg12",
    "dg13",
    "com",
    "sod",
    "sm_unwrap",
    "card_access",
    "security_infos",
    "dg14",
    "dg15",
    "mrz",
    "cccd_qr",
    "verify_der",
    "master_list",
    "trust_store",
    "passive_authentication",
    "session_plain",
    "session_sm",
    "sse",
];

/// Runs the harness called `target`; `None` for an unknown name.
pub fn run(target: &str, data: &[u8]) -> Option<bool> {
    Some(match target {
        "tlv" => tlv(data),
        "response_apdu" => response_apdu(data),
        "dg1" => dg1(data),
        "dg2" => dg2(data),
        "dg13" => dg13(data),
        "com" => com(data),
        "sod" => sod(data),
        "sm_unwrap" => sm_unwrap(data),
        "card_access" => card_access(data),
        "dg14" => dg14(data),
        "dg15" => dg15(data),
        "command_apdu" => command_apdu(data),
        "atr_info" => atr_info(data),
        "dg11" => dg11(data),
        "dg12" => dg12(data),
        "security_infos" => security_infos(data),
        "mrz" => mrz(data),
        "cccd_qr" => cccd_qr(data),
        "verify_der" => verify_der(data),
        "master_list" => master_list(data),
        "trust_store" => trust_store(data),
        "passive_authentication" => passive_authentication(data),
        "session_plain" => session_plain(data),
        "session_sm" => session_sm(data),
        "sse" => sse(data),
        _ => return None,
    })
}

/// `read_tlv` over the whole input, then the `children` loop into every
/// constructed value; checks `read_header` agrees with `read_tlv`.
pub fn tlv(data: &[u8]) -> bool {
    let mut r = Reader::new(data);
    while !r.is_empty() {
        let start = r.position();
        let Ok(t) = read_tlv(&mut r, "fuzz") else { return false };
        let h = read_header(&data[start..], "fuzz").expect("the header of a TLV that parsed");
        assert_eq!(h.tag, t.tag);
        assert_eq!(h.value_len, t.value.len());
        assert_eq!(h.total_len(), Some(r.position() - start));
        if t.is_constructed() && !walk(t.value, 1) {
            return false;
        }
    }
    true
}

fn walk(value: &[u8], depth: usize) -> bool {
    if depth > MAX_TLV_DEPTH {
        return true;
    }
    for child in children(value, "fuzz") {
        let Ok(child) = child else { return false };
        if child.is_constructed() && !walk(child.value, depth + 1) {
            return false;
        }
    }
    true
}

/// A response APDU (must round-trip) and the same bytes as a command APDU;
/// true if either parses.
pub fn response_apdu(data: &[u8]) -> bool {
    let response = ResponseApdu::from_bytes(data.to_vec());
    if let Ok(resp) = &response {
        assert_eq!(resp.to_bytes(), data);
    }
    let command = parse_command(data);
    if let Ok(cmd) = &command {
        let _ = cmd.to_bytes();
    }
    response.is_ok() || command.is_ok()
}

/// DG1.
pub fn dg1(data: &[u8]) -> bool {
    lds::dg1::parse(data).is_ok()
}

/// DG2: a portrait, if any, is a non-empty part of the input.
pub fn dg2(data: &[u8]) -> bool {
    match lds::dg2::parse(data) {
        Ok(Some(p)) => {
            assert!(!p.image.is_empty() && p.image.len() < data.len());
            true
        }
        Ok(None) => true,
        Err(_) => false,
    }
}

/// DG13 of the Vietnamese CCCD.
pub fn dg13(data: &[u8]) -> bool {
    lds::dg13::parse(data).is_ok()
}

/// EF.COM: the data group list has no repeats.
pub fn com(data: &[u8]) -> bool {
    let Ok(c) = lds::com::parse(data) else { return false };
    let mut dgs = c.data_groups.clone();
    dgs.sort();
    dgs.dedup();
    assert_eq!(dgs.len(), c.data_groups.len());
    true
}

/// EF.SOD, strict and with indefinite lengths allowed: whatever parses
/// strictly parses the same leniently; signed attributes come back as a SET;
/// at most 16 data groups. True if the lenient parse succeeds.
pub fn sod(data: &[u8]) -> bool {
    let strict = lds::sod::parse(data);
    let lenient = lds::sod::parse_with(data, lds::sod::SodOptions { indefinite_lengths: true });
    if let Ok(s) = &strict {
        assert_eq!(lenient.as_ref(), Ok(s));
    }
    let Ok(s) = lenient else { return false };
    if let Some(der) = &s.signer_info.signed_attrs_der {
        assert_eq!(der.first(), Some(&0x31));
    }
    assert!(s.data_group_hashes.len() <= 16);
    true
}

/// A protected response to the ICAO 9303-11 Appendix D.4 SELECT EF.COM,
/// unwrapped by a channel with the worked example's session keys: true if
/// its MAC verified and it decrypted.
pub fn sm_unwrap(data: &[u8]) -> bool {
    use mrtdd::protocol::apdu::CommandApdu;
    use mrtdd::protocol::sm::{SecureChannel, Unwrapped};
    let ks_enc = [0x97, 0x9E, 0xC1, 0x3B, 0x1C, 0xBF, 0xE9, 0xDC, 0xD0, 0x1A, 0xB0, 0xFE, 0xD3, 0x07, 0xEA, 0xE5];
    let ks_mac = [0xF1, 0xCB, 0x1F, 0x1F, 0xB5, 0xAD, 0xF2, 0x08, 0x80, 0x6B, 0x89, 0xDC, 0x57, 0x9D, 0xC1, 0xF8];
    let ssc = [0x88, 0x70, 0x22, 0x12, 0x0C, 0x06, 0xC2, 0x26];
    let Ok(mut channel) = SecureChannel::des3(&ks_enc, &ks_mac, ssc) else { return false };
    let select = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data([0x01, 0x1E]);
    if channel.wrap(&select).is_err() {
        return false;
    }
    let Ok(response) = ResponseApdu::from_bytes(data.to_vec()) else { return false };
    matches!(channel.unwrap(response), Ok(Unwrapped::Authentic(_)))
}

/// Invariants of a parsed `SecurityInfos`: within the entry cap; every typed
/// PACE / Chip Authentication protocol round-trips through its OID bytes;
/// every Chip Authentication key re-parses as an SPKI; unknown entries keep
/// their whole SEQUENCE.
fn check_security_infos(infos: &[lds::security_infos::SecurityInfo]) {
    use lds::security_infos::{ChipAuthenticationProtocol, MAX_SECURITY_INFOS, PaceProtocol, SecurityInfo};
    assert!(infos.len() <= MAX_SECURITY_INFOS);
    for info in infos {
        match info {
            SecurityInfo::Pace(p) => {
                assert_eq!(PaceProtocol::from_oid_bytes(&p.protocol.oid_bytes()), Some(p.protocol));
            }
            SecurityInfo::ChipAuthentication(c) => {
                assert_eq!(ChipAuthenticationProtocol::from_oid_bytes(&c.protocol.oid_bytes()), Some(c.protocol));
            }
            SecurityInfo::ChipAuthenticationPublicKey(k) => {
                let spki = lds::dg15::parse_spki(&k.subject_public_key_info).expect("a key that parsed once");
                assert_eq!(spki.algorithm, k.algorithm);
            }
            SecurityInfo::Unknown { der, .. } => assert_eq!(der.first(), Some(&0x30)),
            _ => {}
        }
        assert!(!info.protocol_oid().is_empty());
    }
}

/// EF.CardAccess (a bare `SecurityInfos` SET): the usable PACE infos are a subset.
pub fn card_access(data: &[u8]) -> bool {
    let Ok(ca) = lds::card_access::parse(data) else { return false };
    check_security_infos(&ca.infos);
    assert!(ca.pace_infos().len() <= ca.infos.len());
    true
}

/// DG14: the same entries as its inner SET parsed on its own.
pub fn dg14(data: &[u8]) -> bool {
    let Ok(d) = lds::dg14::parse(data) else { return false };
    check_security_infos(&d.infos);
    let inner = mrtdd::protocol::tlv::single_tlv(data, 0x6E, "DG14").expect("the wrapper of a DG14 that parsed");
    assert_eq!(lds::security_infos::parse_security_infos(inner).as_ref(), Ok(&d.infos));
    true
}

/// DG15: the SPKI is a strict part of the input and re-parses to the same key.
pub fn dg15(data: &[u8]) -> bool {
    let Ok(d) = lds::dg15::parse(data) else { return false };
    assert!(d.subject_public_key_info.len() < data.len());
    let spki = lds::dg15::parse_spki(&d.subject_public_key_info).expect("the SPKI of a DG15 that parsed");
    assert_eq!(spki.public_key, &d.public_key[..]);
    assert_eq!(spki.algorithm, d.algorithm);
    true
}

/// A command APDU alone: whatever parses serializes back to the same bytes
/// (or to the canonical form, which parses to the same command).
pub fn command_apdu(data: &[u8]) -> bool {
    let Ok(cmd) = parse_command(data) else { return false };
    let bytes = cmd.to_bytes().expect("a command that parsed serializes");
    assert_eq!(parse_command(&bytes).as_ref(), Ok(&cmd));
    true
}

/// The extended-length indications a chip controls
/// (`protocol::extended_length`): the input as an ATR (its historical bytes
/// and card capabilities) and as the content of EF.ATR/INFO, then the
/// decision the daemon's default `auto` policy takes from each, with every
/// reader limit kind (unknown, too small, small, large). Whatever the bytes
/// say, extended length is never chosen with room for less than
/// `MIN_USEFUL_RESPONSE`, nor above the reader's limit. True if either form
/// carried an indication that parsed.
pub fn atr_info(data: &[u8]) -> bool {
    use mrtdd::protocol::extended_length::{
        self as el, Decision, ExtendedLength, Hints, MIN_USEFUL_RESPONSE, Source, Step,
    };
    let hist = el::historical_bytes(data);
    if let Some(hist) = hist {
        // T0's low nibble is K, the number of historical bytes (ISO/IEC 7816-3 §8.2.2).
        assert_eq!(data.get(1).map(|t0| usize::from(t0 & 0x0F)), Some(hist.len()));
    }
    let capabilities = el::atr_card_capabilities(data);
    assert!(capabilities.is_none() || hist.is_some(), "capabilities outside the historical bytes");
    let info = el::parse_atr_info(data);
    let check = |d: Decision, reader: Option<usize>| {
        if let Some(n) = d.max_response {
            assert!(d.enabled, "a response limit for short APDUs");
            assert!(n >= MIN_USEFUL_RESPONSE, "extended length with room for {n} bytes");
            assert!(reader.is_none_or(|r| n <= r), "above the reader's limit");
        }
    };
    for reader in [None, Some(261), Some(1_024), Some(65_544)] {
        let policy =
            ExtendedLength::Auto(Hints { atr: Some(data.to_vec()), reader_max_apdu: reader, remembered: None });
        match el::decide_before_reading(&policy) {
            Step::Decided(d) => {
                assert!(matches!(d.source, Source::Reader | Source::Atr));
                assert_eq!(
                    d.source == Source::Atr,
                    capabilities.is_some() && reader.is_none_or(|r| r >= MIN_USEFUL_RESPONSE)
                );
                if d.source == Source::Atr {
                    assert_eq!(Some(d.enabled), capabilities, "the ATR's answer decides");
                }
                check(d, reader);
            }
            Step::ReadAtrInfo => {
                assert!(capabilities.is_none());
                let d = el::decide_with_atr_info(&policy, info.as_ref().ok());
                match &info {
                    Err(_) => {
                        assert_eq!(d, Decision { enabled: false, max_response: None, source: Source::NoIndication })
                    }
                    Ok(i) if i.extended_lc_le == Some(false) => assert!(!d.enabled, "card capabilities say no"),
                    Ok(_) => {}
                }
                check(d, reader);
            }
        }
    }
    capabilities.is_some() || info.is_ok_and(|i| i.extended_lc_le.is_some() || i.max_response.is_some())
}

/// DG11.
pub fn dg11(data: &[u8]) -> bool {
    lds::dg11::parse(data).is_ok()
}

/// DG12.
pub fn dg12(data: &[u8]) -> bool {
    lds::dg12::parse(data).is_ok()
}

/// A bare `SecurityInfos` SET (EF.CardAccess's content, DG14's inner SET).
pub fn security_infos(data: &[u8]) -> bool {
    let Ok(infos) = lds::security_infos::parse_security_infos(data) else { return false };
    check_security_infos(&infos);
    true
}

/// MRZ text as a client types it (`Mrz::parse`, `parse_unchecked`) and the
/// three parts of a BAC key separated by `|` (`BacKey::new`): a checked MRZ
/// parses unchecked too, with no complaints, and its key is MRZ characters.
/// Each `|`-separated part also goes through the API's date conversions.
pub fn mrz(data: &[u8]) -> bool {
    use mrtdd::protocol::mrz::{BacKey, Mrz, birth_date_iso, expiry_date_iso, full_date_iso};
    let Ok(text) = std::str::from_utf8(data) else { return false };
    let parts: Vec<&str> = text.split('|').collect();
    let key_ok = match parts.as_slice() {
        [number, birth, expiry] => BacKey::new(number, birth, expiry).is_ok(),
        _ => false,
    };
    // The API's ISO dates, made from DG1's MRZ dates and DG11/DG12 full
    // dates (chip data): any text in, a real calendar date or None out.
    for part in &parts {
        let today = (2026, 1, 1);
        for iso in
            [birth_date_iso(part, today), expiry_date_iso(part, today), full_date_iso(part)].into_iter().flatten()
        {
            let b = iso.as_bytes();
            assert!(b.len() == 10 && b[4] == b'-' && b[7] == b'-', "{iso}");
            assert!(b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()), "{iso}");
        }
    }
    let unchecked = Mrz::parse_unchecked(text);
    let Ok(mrz) = Mrz::parse(text) else { return key_ok };
    let (_, complaints) = unchecked.expect("a valid MRZ parses unchecked");
    assert!(complaints.is_empty(), "{complaints:?}");
    let key = mrz.bac_key();
    let info = key.mrz_information();
    assert!(info.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'<'));
    true
}

/// The text of a CCCD's QR code: the CAN is six digits, and the BAC keys it
/// implies are MRZ fields (nine-character number, six-character dates of MRZ
/// characters: a card that never expires has `<<<<<<`, which `BacKey::new`
/// rightly refuses from a client — the first fuzz finding, a wrong invariant
/// here, kept as `corpus/cccd_qr/crash-never-expiring-bac-key`).
pub fn cccd_qr(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else { return false };
    let Ok(qr) = mrtdd::protocol::cccd_qr::parse(text) else { return false };
    let can = qr.can();
    assert!(can.len() == 6 && can.bytes().all(|b| b.is_ascii_digit()), "{} CAN digits", can.len());
    let mrz_chars = |s: &str| s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<');
    for key in qr.bac_keys() {
        assert_eq!(key.document_number().len(), 9);
        assert_eq!((key.date_of_birth().len(), key.date_of_expiry().len()), (6, 6));
        assert!(mrz_chars(key.document_number()) && mrz_chars(key.date_of_birth()) && mrz_chars(key.date_of_expiry()));
    }
    let _ = qr.warnings();
    true
}

/// The DER readers of passive authentication: a SubjectPublicKeyInfo, explicit
/// EC parameters, a certificate and a CRL for the trust anchors.
pub fn verify_der(data: &[u8]) -> bool {
    use mrtdd::protocol::verify::{TrustAnchors, signature};
    let spki = signature::parse_spki(data).is_ok();
    let params = signature::curve_from_explicit_parameters(data).is_ok();
    let mut anchors = TrustAnchors::new();
    let certificate = anchors.add_certificate(data).is_ok();
    if certificate {
        assert_eq!(anchors.csca_count() + anchors.document_signer_count(), 1);
    }
    let crl = anchors.add_crl(data).is_ok();
    spki || params || certificate || crl
}

/// The fixed trust of the passive-authentication target: the CSCA of the
/// software chip's demo CCCD as it was when the seeds were written.
const FIXTURE_CSCA: &[u8] = include_bytes!("fixtures/csca.der");
/// 2026-01-01T00:00:00Z, inside the fixture CSCA's and DS's validity.
const FIXTURE_NOW: i64 = 1_767_225_600;

fn fixture_anchors() -> mrtdd::protocol::verify::TrustAnchors {
    let mut anchors = mrtdd::protocol::verify::TrustAnchors::new();
    anchors.add_certificate(FIXTURE_CSCA).expect("the fixture CSCA");
    anchors
}

/// A CSCA master list (CMS SignedData), verified against an empty store and
/// the fixture CSCA (a list signed under a CSCA it carries verifies against
/// either: the verdict is about the list's integrity, not trust): at most the
/// certificate cap, every kept certificate within the certificate size cap.
pub fn master_list(data: &[u8]) -> bool {
    use mrtdd::protocol::verify::TrustAnchors;
    use mrtdd::protocol::verify::master_list::{self, MAX_MASTER_LIST_CERTIFICATES};
    let Ok(list) = master_list::parse(data) else { return false };
    assert!(list.certificates.len() <= MAX_MASTER_LIST_CERTIFICATES);
    let _ = list.verify(&TrustAnchors::new());
    let _ = list.verify(&fixture_anchors());
    true
}

/// One trust-store file from memory (`trust::load_bytes`): the first byte
/// chooses the kind (certificates, master list, CRL), the rest is the file.
/// Whatever was added is counted in the report.
pub fn trust_store(data: &[u8]) -> bool {
    use mrtdd::trust::{FileKind, load_bytes};
    let Some((&kind, file)) = data.split_first() else { return false };
    let kind = match kind % 3 {
        0 => FileKind::Certificates,
        1 => FileKind::MasterList,
        _ => FileKind::Crl,
    };
    let mut anchors = fixture_anchors();
    let report = load_bytes(kind, file, &mut anchors);
    let certificates = anchors.csca_count() + anchors.document_signer_count();
    assert_eq!(certificates, 1 + report.cscas + report.document_signers, "{report:?}");
    assert_eq!(anchors.crl_count(), report.crls);
    report.errors.is_empty()
}

/// The most certificates and CRLs a `passive_authentication` input adds to the trust anchors.
const PA_MAX_ANCHORS: usize = 4;

/// EF.SOD through passive authentication (signature, chain, both modes):
/// true only when it passes. The input is the SOD (one TLV), then optionally
/// up to [`PA_MAX_ANCHORS`] more TLVs — certificates and CRLs trusted beside
/// the fixture CSCA — so that a SOD signed under another CSCA can reach the
/// whole chain: the issuer's signature on the DS, its key usage and
/// validity, and the revocation check against the CSCA's CRL. A SOD whose
/// signature is valid has a messageDigest equal to hash(eContent), and a
/// document with an invalid signature or an untrusted chain never passes.
pub fn passive_authentication(data: &[u8]) -> bool {
    use mrtdd::protocol::verify::{ChainCheck, ChainMode, SignatureCheck, Status, assess, check_hashes, verify_sod};
    let Some(sod_len) = read_header(data, "fuzz").ok().and_then(|h| h.total_len()) else { return false };
    let Some((sod, trusted)) = data.split_at_checked(sod_len) else { return false };
    let Ok(sod) = lds::sod::parse(sod) else { return false };
    let mut anchors = fixture_anchors();
    let mut r = Reader::new(trusted);
    for _ in 0..PA_MAX_ANCHORS {
        let start = r.position();
        if read_tlv(&mut r, "fuzz").is_err() {
            break;
        }
        let Some(der) = trusted.get(start..r.position()) else { break };
        if anchors.add_certificate(der).is_err() {
            let _ = anchors.add_crl(der);
        }
    }
    let mut passed = true;
    for mode in [ChainMode::Lenient, ChainMode::Strict] {
        let report = verify_sod(&sod, &anchors, FIXTURE_NOW, Some("VNM"), mode);
        if report.signature == SignatureCheck::Valid && sod.signer_info.signed_attrs_der.is_some() {
            assert_eq!(mrtdd::protocol::verify::check_signed_attributes(&sod), Some(true));
        }
        if report.chain.revoked() {
            assert_ne!(report.chain.result, ChainCheck::Trusted, "a revoked DS is never trusted");
        }
        // No data group read: every listed one is "listed but not read".
        let hashes = check_hashes(&sod, std::iter::empty());
        let status = assess(&hashes, &[], report.signature, &report.chain);
        if !sod.data_group_hashes.is_empty() {
            assert_ne!(status, Status::Passed);
        }
        passed &= report.signature == SignatureCheck::Valid && report.chain.result == ChainCheck::Trusted;
    }
    passed
}

// ---- the chip session ----

use mrtdd::protocol::access::Rng;
use mrtdd::protocol::error::{Error, TransportError};
use mrtdd::protocol::read::{NoHooks, ReadLimits};

use mrtdd::protocol::session::{AccessKey, DocumentRead, ReadOptions, read_document_with_rng};
use mrtdd::protocol::transceive::Transceive;

/// A reproducible random source for the terminal (a counter through SHA-256 would do; this is enough).
struct CountingRng(u64);

impl Rng for CountingRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        for b in buf.iter_mut() {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            *b = (self.0 >> 33) as u8;
        }
        Ok(())
    }
}

/// Splits fuzz input into records `len_hi len_lo bytes…` (a short last record is cut to what is left).
fn records(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let [hi, lo, rest @ ..] = data {
        let n = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        out.push(&rest[..n]);
        data = &rest[n..];
    }
    out
}

/// The options chosen by one byte: bit 0 extended length forced on (the
/// `limits` override), bit 1 no Chip Authentication, bit 2 no Active
/// Authentication, bit 3 only DG1 and DG2; bits 4–6 the extended-length
/// policy ([`extended_length_policy`]).
pub fn options(flags: u8) -> ReadOptions {
    use mrtdd::protocol::lds::DataGroup;
    ReadOptions {
        data_groups: (flags & 8 != 0).then(|| vec![DataGroup::DG1, DataGroup::DG2]),
        limits: ReadLimits { extended_length: flags & 1 != 0, ..ReadLimits::default() },
        chip_authentication: flags & 2 == 0,
        active_authentication: flags & 4 == 0,
        extended_length: extended_length_policy((flags >> 4) & 7),
    }
}

/// The extended-length policy of the session targets, by number: 0 off (as
/// before these were added, so older inputs keep their meaning), 1 on, and
/// 2–7 the daemon's default `auto` with the hints a PC/SC reader gives: none
/// (so EF.ATR/INFO is read, in `session_plain` from the fuzz input), a reader
/// too small for extended APDUs, an ATR whose card capabilities say yes (with
/// a 1 KiB reader, so the chunk follows the reader's limit) or no, an ATR
/// without them (EF.ATR/INFO again, with a large reader), a decision
/// remembered from an earlier read.
fn extended_length_policy(n: u8) -> mrtdd::protocol::extended_length::ExtendedLength {
    use mrtdd::protocol::extended_length::{Decision, ExtendedLength, Hints, Source};
    /// A contactless ATR (PC/SC Part 3 §3.1.3.2.3.1) around historical bytes
    /// `80 73 00 00 cc`: category 80, card capabilities with third byte `cc`.
    fn atr(third: u8) -> Vec<u8> {
        let mut atr = vec![0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, third];
        atr.push(atr.iter().skip(1).fold(0, |a, b| a ^ b));
        atr
    }
    let auto = |atr: Option<Vec<u8>>, reader_max_apdu, remembered| {
        ExtendedLength::Auto(Hints { atr, reader_max_apdu, remembered })
    };
    match n {
        0 => ExtendedLength::Off,
        1 => ExtendedLength::On,
        2 => auto(None, None, None),
        3 => auto(Some(atr(0x40)), Some(261), None),
        4 => auto(Some(atr(0x40)), Some(1_024), None),
        5 => auto(Some(atr(0x00)), None, None),
        6 => auto(Some(vec![0x3B, 0x80, 0x80, 0x01, 0x01]), Some(65_544), None),
        _ => auto(None, None, Some(Decision { enabled: true, max_response: Some(600), source: Source::Atr })),
    }
}

/// What a finished read must hold whatever the chip said: files within the
/// cap, and every data group reported valid really hashes to the SOD's value
/// (nothing unverified reported as verified).
fn check_read(read: &DocumentRead, limits: &ReadLimits) {
    use mrtdd::protocol::lds::FileId;
    use mrtdd::protocol::verify::HashCheck;
    for (_, bytes) in &read.files {
        assert!(bytes.len() <= limits.max_file_size);
    }
    for (dg, check) in &read.hashes.data_groups {
        if *check == HashCheck::Valid {
            let algorithm = read.sod.digest_algorithm.supported().expect("a valid hash has a known algorithm");
            let bytes = read.file(FileId::Dg(*dg)).expect("a valid data group was read");
            assert_eq!(read.sod.hash_of(*dg), Some(algorithm.digest(bytes).as_slice()));
        }
    }
}

/// The keys of `session_plain`: the specimen passport's MRZ key (key 0), the
/// demo CCCD's CAN (1) and a QR text of the demo CCCD (2).
pub const SESSION_MRZ: (&str, &str, &str) = ("L898902C3", "740812", "120415");
/// See [`SESSION_MRZ`].
pub const SESSION_CAN: &str = "012345";
/// See [`SESSION_MRZ`].
pub const SESSION_QR: &str = "001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021";

/// The terminal's random source in the session targets (and their seeds).
pub fn session_rng() -> impl Rng {
    CountingRng(1)
}

/// The chip's random source in the session targets (and their seeds).
pub const SESSION_CHIP_RANDOMNESS: u64 = 7;

/// A chip that is nothing but the fuzz input: each APDU is answered with
/// the next record as raw response bytes; after the last, the card is gone.
struct ScriptedTransport<'a> {
    answers: std::vec::IntoIter<&'a [u8]>,
}

impl Transceive for ScriptedTransport<'_> {
    fn transceive(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.answers.next().map(<[u8]>::to_vec).ok_or(TransportError::CardRemoved)
    }
}

/// The whole session (`read_document`) against a chip whose every answer is
/// fuzz input: byte 0 picks the key (MRZ, CAN, CCCD QR), byte 1 the options,
/// the rest are the answers. The fuzzer cannot forge BAC/PACE's MACs, so this
/// explores EF.CardAccess, the choice of PACE, the PACE and BAC steps and
/// their failure paths — and, from seeds recorded from the software chip with
/// the same deterministic randomness, whole genuine sessions whose answers
/// it can cut short or alter. True if the read succeeded.
pub fn session_plain(data: &[u8]) -> bool {
    session_plain_outcome(data).is_some_and(|read| read.is_ok())
}

/// The outcome of [`session_plain`]'s read of `data` (`None` for an input
/// under two bytes); a read that succeeded is checked as there.
pub fn session_plain_outcome(data: &[u8]) -> Option<Result<DocumentRead, Error>> {
    use mrtdd::protocol::mrz::BacKey;
    let [key, flags, rest @ ..] = data else { return None };
    let key = match key % 3 {
        0 => AccessKey::Mrz(BacKey::new(SESSION_MRZ.0, SESSION_MRZ.1, SESSION_MRZ.2).expect("the specimen key")),
        1 => AccessKey::Can(zeroize::Zeroizing::new(SESSION_CAN.to_owned())),
        _ => AccessKey::CccdQr(Box::new(mrtdd::protocol::cccd_qr::parse(SESSION_QR).expect("a valid QR text"))),
    };
    let options = options(*flags);
    let mut chip = ScriptedTransport { answers: records(rest).into_iter() };
    let read = read_document_with_rng(&mut chip, &key, &options, &mut NoHooks, &mut session_rng());
    if let Ok(read) = &read {
        check_read(read, &options.limits);
    }
    Some(read)
}

/// The software chip's documents, built once per process (key generation is
/// slow): the specimen passport (BAC, no Chip or Active Authentication), the
/// demo CCCD (PACE; Chip Authentication AES-128, ECDSA Active
/// Authentication), and two that take the other arms of both protocols: the
/// passport with Chip Authentication in 3DES, RSA-1024 Active
/// Authentication (SHA-1, trailer `BC`), a DG2 past offset `7FFF` (read
/// with the odd-INS READ BINARY) and EF.ATR/INFO ([`SESSION_EF_ATR_INFO`]), and the CCCD with Chip Authentication in
/// AES-256 and RSA-1024 Active Authentication with SHA-256 named in the
/// trailer (`34 CC`).
pub fn session_documents() -> &'static [mrtdd::chip::Document; 4] {
    use mrtdd::chip::{ActiveAuthentication, DocumentBuilder, HashAlgorithm, PaceCipher};
    static DOCS: std::sync::OnceLock<[mrtdd::chip::Document; 4]> = std::sync::OnceLock::new();
    DOCS.get_or_init(|| {
        let rsa = |hash| ActiveAuthentication::Rsa { bits: 1024, hash };
        [
            DocumentBuilder::td3_specimen(),
            DocumentBuilder::cccd_demo(),
            DocumentBuilder::td3_specimen()
                .chip_authentication(PaceCipher::Des3)
                .active_authentication(rsa(None))
                .large_dg2(SESSION_LARGE_DG2)
                .mf_file(0x2F01, SESSION_EF_ATR_INFO.to_vec()),
            DocumentBuilder::cccd_demo()
                .chip_authentication(PaceCipher::Aes256)
                .active_authentication(rsa(Some(HashAlgorithm::Sha256))),
        ]
        .map(|builder| builder.chip_key_seed(SESSION_CHIP_KEY_SEED).build().expect("a session document"))
    })
}

/// EF.ATR/INFO of the third session document (ISO/IEC 7816-4 §12.7.1):
/// card capabilities `47` with "extended Lc and Le", and extended length
/// information `7F66` (commands up to `0FFF`, responses up to `1000` bytes),
/// read when the extended-length policy is `auto` without an ATR indication.
pub const SESSION_EF_ATR_INFO: [u8; 16] =
    [0x47, 0x03, 0x00, 0x00, 0x40, 0x7F, 0x66, 0x08, 0x02, 0x02, 0x0F, 0xFF, 0x02, 0x02, 0x10, 0x00];

/// The least DG2 size of the third session document: past the last offset
/// the even-INS READ BINARY can address (`MAX_B0_OFFSET`).
const SESSION_LARGE_DG2: usize = mrtdd::protocol::read::MAX_B0_OFFSET + 1_000;

/// The seed of the session documents' Chip and Active Authentication keys:
/// the same keys in every process, so a recorded session's DG14/DG15 match
/// the keys the chip proves and Chip Authentication succeeds on replay.
pub const SESSION_CHIP_KEY_SEED: u64 = 14;

/// The most APDUs one `session_sm` run may send (re-authentications included).
const SESSION_MAX_APDUS: usize = 4_000;

/// The software chip with a script, which stops answering (card removed)
/// when a protected command finds the script used up, or after
/// [`SESSION_MAX_APDUS`].
struct ScriptedChip {
    chip: mrtdd::chip::SoftwareChip,
}

impl Transceive for ScriptedChip {
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let protected = command.first().is_some_and(|cla| cla & 0x0C == 0x0C);
        if (protected && self.chip.script_left() == 0) || self.chip.apdu_count() >= SESSION_MAX_APDUS {
            return Err(TransportError::CardRemoved);
        }
        self.chip.transceive(command)
    }
}

/// The session past access control: the software chip does real BAC (the
/// specimen passport) or PACE (the demo CCCD, PACE-MRZ) with the right key,
/// then answers every protected command with the next fuzz record under
/// valid secure messaging. Byte 0 modulo 4 picks the document ([`session_documents`]); byte 1 the
/// options; then records whose first byte says what the chip does: 0 wrap
/// the rest (data ‖ SW; a record under two bytes is its data with `9000`),
/// 1 send the rest raw without SM (the chip drops its session: re-BAC /
/// re-PACE follow, genuinely), 2 answer genuinely (Chip/Active
/// Authentication steps). This reaches EF.COM/EF.SOD/DG parsing, the read
/// loop's chunking, retries and recovery, Chip and Active Authentication on
/// arbitrary DG14/DG15 and answers, and the hash checks. True if the read succeeded.
pub fn session_sm(data: &[u8]) -> bool {
    session_sm_read(data).is_some()
}

/// The read [`session_sm`] makes of `data`, when it succeeds (checked as there).
pub fn session_sm_read(data: &[u8]) -> Option<DocumentRead> {
    session_sm_outcome(data)?.ok()
}

/// The outcome of [`session_sm`]'s read of `data` (`None` for an input under
/// two bytes); a read that succeeded is checked as there.
pub fn session_sm_outcome(data: &[u8]) -> Option<Result<DocumentRead, Error>> {
    use mrtdd::chip::{Randomness, ScriptedAnswer, SoftwareChip};
    use mrtdd::protocol::apdu::{ResponseApdu, StatusWord};
    use mrtdd::protocol::mrz::Mrz;
    let [doc, flags, rest @ ..] = data else { return None };
    let document = &session_documents()[usize::from(doc % 4)];
    let script = records(rest).into_iter().map(|record| match record.split_first() {
        Some((kind, body)) if kind % 3 == 1 => ScriptedAnswer::Raw(body.to_vec()),
        Some((kind, _)) if kind % 3 == 2 => ScriptedAnswer::Genuine,
        Some((_, body)) if body.len() >= 2 => {
            let (data, sw) = body.split_at(body.len() - 2);
            ScriptedAnswer::Protected(ResponseApdu { data: data.to_vec(), sw: StatusWord::new(sw[0], sw[1]) })
        }
        Some((_, body)) => ScriptedAnswer::Protected(ResponseApdu { data: body.to_vec(), sw: StatusWord::OK }),
        None => ScriptedAnswer::Protected(ResponseApdu::status(StatusWord::OK)),
    });
    let mut chip = SoftwareChip::new(document.clone());
    chip.set_randomness(Randomness::Seeded(SESSION_CHIP_RANDOMNESS));
    chip.script(script);
    let key = AccessKey::Mrz(Mrz::parse(document.mrz()).expect("the document's MRZ").bac_key());
    let options = options(*flags);
    let mut chip = ScriptedChip { chip };
    let read = read_document_with_rng(&mut chip, &key, &options, &mut NoHooks, &mut session_rng());
    if let Ok(read) = &read {
        check_read(read, &options.limits);
    }
    Some(read)
}

/// Encodes a `session_sm` input: document, option flags, and the script.
pub fn session_sm_input(document: u8, flags: u8, script: &[mrtdd::chip::ScriptedAnswer]) -> Vec<u8> {
    use mrtdd::chip::ScriptedAnswer;
    let mut out = vec![document, flags];
    for answer in script {
        let record: Vec<u8> = match answer {
            ScriptedAnswer::Protected(r) => [&[0u8][..], &r.to_bytes()].concat(),
            ScriptedAnswer::Raw(bytes) => [&[1u8][..], bytes].concat(),
            ScriptedAnswer::Genuine => vec![2],
        };
        out.extend((record.len() as u16).to_be_bytes());
        out.extend(record);
    }
    out
}

/// The client's `text/event-stream` parser (`client::sse::SseParser`, what
/// `mrtdctl events` reads from the daemon's socket): byte 0 picks a chunk
/// size, the rest is the stream. Fed whole, one byte at a time and in chunks
/// of `1 + byte 0 % 61` bytes, it must dispatch the same events or break the
/// same limit; a parser that failed stays failed; no event type is empty or
/// holds a line end, no data holds a CR or exceeds `MAX_EVENT_BYTES`. True if
/// an event was dispatched.
pub fn sse(data: &[u8]) -> bool {
    use mrtdd::client::sse::{MAX_EVENT_BYTES, SseError, SseEvent, SseParser};
    let [k, stream @ ..] = data else { return false };
    let feed = |size: usize| -> (Vec<SseEvent>, Option<SseError>) {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        for chunk in stream.chunks(size.max(1)) {
            match parser.push(chunk) {
                Ok(more) => events.extend(more),
                Err(e) => {
                    assert_eq!(parser.push(b"\n\n"), Err(e), "a failed parser stays failed");
                    return (events, Some(e));
                }
            }
        }
        (events, None)
    };
    let (events, error) = feed(stream.len());
    for size in [1, 1 + usize::from(*k) % 61] {
        let (other, other_error) = feed(size);
        assert_eq!(other_error, error, "chunks of {size}");
        if error.is_none() {
            assert_eq!(other, events, "chunks of {size}");
        }
    }
    for e in &events {
        assert!(!e.event.is_empty() && !e.event.contains(['\r', '\n']));
        assert!(!e.data.contains('\r') && e.data.len() <= MAX_EVENT_BYTES);
    }
    !events.is_empty()
}
