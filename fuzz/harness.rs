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
pub const TARGETS: &[&str] =
    &["tlv", "response_apdu", "dg1", "dg2", "dg13", "com", "sod", "sm_unwrap", "card_access", "dg14", "dg15"];

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
