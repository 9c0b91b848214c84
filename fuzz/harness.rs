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
pub const TARGETS: &[&str] = &["tlv", "response_apdu", "dg1", "dg2", "dg13", "com", "sod"];

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
