//! Chip authenticity against the software chip: Active Authentication (ICAO
//! 9303-11 §6.1: ECDSA and RSA ISO/IEC 9796-2) and Chip Authentication (§6.2:
//! ECDH with AES or 3DES), in whole reads through `read_document` — passing on
//! genuine chips, failing on a cloned chip (right data, other keys) and on
//! HOSTILE 30, not supported where DG14/DG15 are absent.
#![cfg(feature = "software-chip")]

use mrtdd::chip::{
    ActiveAuthentication, Document, DocumentBuilder, Fault, HashAlgorithm, Injection, PaceCipher, SoftwareChip, dg_fid,
};
use mrtdd::protocol::authenticity::ChipCheck;
use mrtdd::protocol::error::{Error, TransportError};
use mrtdd::protocol::lds::{DataGroup, FileId};
use mrtdd::protocol::mrz::Mrz;
use mrtdd::protocol::read::NoHooks;
use mrtdd::protocol::session::{AccessKey, AccessMethod, DocumentRead, ReadOptions, read_document};
use mrtdd::protocol::transceive::Transceive;
use mrtdd::protocol::verify::HashCheck;
use zeroize::Zeroizing;

fn can() -> AccessKey {
    AccessKey::Can(Zeroizing::new("012345".to_owned()))
}

fn mrz_key(doc: &Document) -> AccessKey {
    AccessKey::Mrz(Mrz::parse(doc.mrz()).unwrap().bac_key())
}

/// A transport that records every command APDU it passes to the chip.
struct Recorder {
    chip: SoftwareChip,
    commands: Vec<Vec<u8>>,
}

impl Transceive for Recorder {
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.commands.push(command.to_vec());
        self.chip.transceive(command)
    }
}

fn read_with(
    doc: Document,
    key: &AccessKey,
    options: &ReadOptions,
    faults: Vec<Injection>,
) -> (DocumentRead, Recorder) {
    let mut t = Recorder { chip: SoftwareChip::with_faults(doc, faults), commands: Vec::new() };
    let read = read_document(&mut t, key, options, &mut NoHooks).expect("the read succeeds");
    (read, t)
}

fn run(doc: Document, key: &AccessKey, faults: Vec<Injection>) -> (DocumentRead, Recorder) {
    read_with(doc, key, &ReadOptions::default(), faults)
}

fn assert_hashes_valid(read: &DocumentRead) {
    assert!(read.hashes.data_groups.values().all(|c| *c == HashCheck::Valid), "{:?}", read.hashes);
    assert!(read.hashes.listed_but_not_read.is_empty(), "{:?}", read.hashes.listed_but_not_read);
}

/// The protected INTERNAL AUTHENTICATE commands sent (CLA 0C, INS 88).
fn internal_authenticates(t: &Recorder) -> Vec<&Vec<u8>> {
    t.commands.iter().filter(|c| c.get(..2) == Some(&[0x0C, 0x88][..])).collect()
}

#[test]
fn demo_cccd_passes_chip_and_active_authentication() {
    let (read, t) = run(Document::cccd_demo().unwrap(), &can(), vec![]);
    assert_eq!(read.chip_authentication, ChipCheck::Passed);
    assert_eq!(read.active_authentication, ChipCheck::Passed);
    assert_eq!((read.chip_authentication.as_str(), read.active_authentication.as_str()), ("passed", "passed"));
    assert_hashes_valid(&read);
    assert_eq!(read.stats.reauthentications, 0);
    // Reading went on — and ended — under the Chip Authentication keys.
    assert!(t.chip.chip_authenticated());
    // DG14 was read right after EF.SOD, before the other data groups.
    let order: Vec<FileId> = read.files.iter().map(|(f, _)| *f).collect();
    let dg14_at = order.iter().position(|f| *f == FileId::Dg(DataGroup::DG14)).unwrap();
    let dg1_at = order.iter().position(|f| *f == FileId::Dg(DataGroup::DG1)).unwrap();
    assert!(dg14_at < dg1_at, "{order:?}");
    // Chip Authentication: MSE:Set AT (41 A4) and GENERAL AUTHENTICATE under SM, after PACE's plain ones.
    assert!(t.commands.iter().any(|c| c.get(..4) == Some(&[0x0C, 0x22, 0x41, 0xA4][..])));
    assert!(t.commands.iter().any(|c| c.get(..4) == Some(&[0x0C, 0x86, 0x00, 0x00][..])));
    // One INTERNAL AUTHENTICATE, the last command of the read; ECDSA P-256 fits a short APDU.
    let ia = internal_authenticates(&t);
    assert_eq!(ia.len(), 1);
    assert_eq!(t.commands.last(), Some(ia[0]));
    assert_ne!(ia[0].get(4), Some(&0x00), "short Lc");
}

#[test]
fn chip_authentication_after_bac_switches_to_aes() {
    // Without PACE the MRZ key opens the chip with BAC (3DES); CA brings AES-128 keys.
    let doc = DocumentBuilder::cccd_demo().without_pace().build().unwrap();
    let key = mrz_key(&doc);
    let (read, t) = run(doc, &key, vec![]);
    assert_eq!(read.access.method, AccessMethod::Bac);
    assert_eq!(read.chip_authentication, ChipCheck::Passed);
    assert_eq!(read.active_authentication, ChipCheck::Passed);
    assert_hashes_valid(&read);
    assert!(t.chip.chip_authenticated());
    // The chip's session changed cipher: AES protected commands carry 16-byte-block cryptograms,
    // e.g. READ BINARY has no data but INTERNAL AUTHENTICATE's 8-byte challenge pads to 16.
    let ia = internal_authenticates(&t);
    assert_eq!(ia[0].get(5..8), Some(&[0x87, 0x11, 0x01][..]), "{:02X?}", ia[0]);

    // A session lost under the CA keys: BAC (no application re-selection), then CA again.
    let doc = DocumentBuilder::cccd_demo().without_pace().build().unwrap();
    let (read, t) = run(doc, &key, vec![Fault::ResponseMacWrong.nth(40)]);
    assert_eq!(read.stats.reauthentications, 1);
    assert_eq!(read.chip_authentication, ChipCheck::Passed);
    assert_eq!(read.active_authentication, ChipCheck::Passed);
    assert!(t.chip.chip_authenticated());
    assert_hashes_valid(&read);
}

#[test]
fn chip_authentication_with_3des_uses_mse_set_kat() {
    let doc = DocumentBuilder::cccd_demo().chip_authentication(PaceCipher::Des3).build().unwrap();
    let (read, t) = run(doc, &can(), vec![]);
    assert_eq!(read.chip_authentication, ChipCheck::Passed);
    assert!(t.commands.iter().any(|c| c.get(..4) == Some(&[0x0C, 0x22, 0x41, 0xA6][..])));
    assert!(!t.commands.iter().any(|c| c.get(..4) == Some(&[0x0C, 0x22, 0x41, 0xA4][..])));
    assert!(t.chip.chip_authenticated());
    assert_hashes_valid(&read);

    // DG14 with the key but no ChipAuthenticationInfo: 3DES is assumed.
    let doc = DocumentBuilder::cccd_demo().without_chip_authentication_info().build().unwrap();
    let (read, t) = run(doc, &can(), vec![]);
    assert_eq!(read.chip_authentication, ChipCheck::Passed);
    assert!(t.commands.iter().any(|c| c.get(..4) == Some(&[0x0C, 0x22, 0x41, 0xA6][..])));
}

#[test]
fn rsa_active_authentication_on_a_passport() {
    // The ICAO specimen with an RSA-2048 AA key: ISO/IEC 9796-2, trailer BC (SHA-1).
    let doc = DocumentBuilder::td3_specimen()
        .active_authentication(ActiveAuthentication::Rsa { bits: 2048, hash: None })
        .build()
        .unwrap();
    let key = mrz_key(&doc);
    let (read, t) = run(doc, &key, vec![]);
    assert_eq!(read.active_authentication, ChipCheck::Passed);
    // No DG14: no Chip Authentication.
    assert_eq!(read.chip_authentication, ChipCheck::NotSupported);
    assert_hashes_valid(&read);
    assert!(read.file(FileId::Dg(DataGroup::DG15)).is_some());
    // A 256-byte signature under SM does not fit a short response: extended Lc/Le (00 Lc1 Lc2 … 00 00).
    let ia = internal_authenticates(&t);
    assert_eq!(ia.len(), 1);
    assert_eq!(ia[0].get(4), Some(&0x00), "extended length: {:02X?}", ia[0]);
    assert_eq!(ia[0].get(ia[0].len() - 2..), Some(&[0x00, 0x00][..]));

    // RSA-1024 with SHA-256 and the trailer 34 CC: short APDUs suffice.
    let doc = DocumentBuilder::td3_specimen()
        .active_authentication(ActiveAuthentication::Rsa { bits: 1024, hash: Some(HashAlgorithm::Sha256) })
        .build()
        .unwrap();
    let key = mrz_key(&doc);
    let (read, t) = run(doc, &key, vec![]);
    assert_eq!(read.active_authentication, ChipCheck::Passed);
    assert_ne!(internal_authenticates(&t)[0].get(4), Some(&0x00));
}

#[test]
fn ecdsa_active_authentication_with_each_hash() {
    for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha224, HashAlgorithm::Sha384, HashAlgorithm::Sha512] {
        let doc =
            DocumentBuilder::cccd_demo().active_authentication(ActiveAuthentication::Ecdsa(hash)).build().unwrap();
        let (read, _) = run(doc, &can(), vec![]);
        assert_eq!(read.active_authentication, ChipCheck::Passed, "{hash:?}");
    }
}

#[test]
fn cloned_chip_fails_both() {
    // Right data (every hash valid), wrong private keys.
    let (read, t) = run(DocumentBuilder::cccd_demo().cloned_chip().build().unwrap(), &can(), vec![]);
    assert_hashes_valid(&read);
    assert_eq!(read.chip_authentication, ChipCheck::Failed);
    assert_eq!(read.active_authentication, ChipCheck::Failed);
    // CA killed the session: one re-authentication (PACE alone), then the read went on.
    assert_eq!(read.stats.reauthentications, 1);
    assert!(!t.chip.chip_authenticated());
    assert!(read.cccd.is_some() && read.portrait.is_some());

    // An RSA clone.
    let doc = DocumentBuilder::td3_specimen()
        .active_authentication(ActiveAuthentication::Rsa { bits: 1024, hash: None })
        .cloned_chip()
        .build()
        .unwrap();
    let key = mrz_key(&doc);
    let (read, _) = run(doc, &key, vec![]);
    assert_eq!(read.active_authentication, ChipCheck::Failed);
    assert_hashes_valid(&read);
}

#[test]
fn specimen_without_dg14_and_dg15_is_not_supported() {
    let doc = Document::td3_specimen().unwrap();
    let key = mrz_key(&doc);
    let (read, t) = run(doc, &key, vec![]);
    assert_eq!(read.chip_authentication, ChipCheck::NotSupported);
    assert_eq!(read.active_authentication, ChipCheck::NotSupported);
    assert_eq!(read.chip_authentication.as_str(), "not_supported");
    assert!(internal_authenticates(&t).is_empty());
    assert!(!t.commands.iter().any(|c| c.get(1) == Some(&0x22)));
}

/// HOSTILE 30: a wrong ISO/IEC 9796-2 trailer → failed.
#[test]
fn hostile_30_wrong_iso9796_2_trailer() {
    for hash in [None, Some(HashAlgorithm::Sha256)] {
        let doc = DocumentBuilder::td3_specimen()
            .active_authentication(ActiveAuthentication::Rsa { bits: 1024, hash })
            .build()
            .unwrap();
        let key = mrz_key(&doc);
        let (read, _) = run(doc, &key, vec![Fault::AaWrongTrailer.always()]);
        assert_eq!(read.active_authentication, ChipCheck::Failed, "{hash:?}");
        assert_hashes_valid(&read);
    }
}

/// HOSTILE 30: an invalid signature OID in DG14's ActiveAuthenticationInfo → failed.
#[test]
fn hostile_30_invalid_aa_signature_oid() {
    // An arc that is no ecdsa-plain hash, an unknown OID, and an RSA signature OID for an EC key.
    for arcs in [&[0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 9][..], &[1, 2, 3, 4], &[1, 2, 840, 113549, 1, 1, 11]] {
        let doc = DocumentBuilder::cccd_demo().aa_signature_algorithm(arcs).build().unwrap();
        let (read, t) = run(doc, &can(), vec![]);
        assert_eq!(read.active_authentication, ChipCheck::Failed, "{arcs:?}");
        // Decided from DG14 alone: no INTERNAL AUTHENTICATE.
        assert!(internal_authenticates(&t).is_empty());
        // Chip Authentication is unaffected.
        assert_eq!(read.chip_authentication, ChipCheck::Passed);
    }
}

#[test]
fn refused_or_corrupted_active_authentication_fails() {
    for fault in [Fault::AaRefused, Fault::AaSignatureCorrupted] {
        let (read, _) = run(Document::cccd_demo().unwrap(), &can(), vec![fault.clone().always()]);
        assert_eq!(read.active_authentication, ChipCheck::Failed, "{fault:?}");
        assert_eq!(read.chip_authentication, ChipCheck::Passed);
    }
}

#[test]
fn refused_chip_authentication_fails_and_the_read_goes_on() {
    let (read, t) = run(Document::cccd_demo().unwrap(), &can(), vec![Fault::CaRefused.always()]);
    assert_eq!(read.chip_authentication, ChipCheck::Failed);
    // Refused under a working session: no re-authentication needed.
    assert_eq!(read.stats.reauthentications, 0);
    assert!(!t.chip.chip_authenticated());
    assert_eq!(read.active_authentication, ChipCheck::Passed);
    assert_hashes_valid(&read);
}

#[test]
fn tampered_dg14_fails_chip_authentication_without_running_it() {
    // DG14 replaced after signing (by the DG14 of another chip): its hash no longer matches EF.SOD.
    let other = Document::cccd_demo().unwrap().file(dg_fid(14)).unwrap().to_vec();
    let doc = DocumentBuilder::cccd_demo().tamper_file(dg_fid(14), other).build().unwrap();
    let (read, t) = run(doc, &can(), vec![]);
    assert_eq!(read.hashes.data_groups.get(&DataGroup::DG14), Some(&HashCheck::Invalid));
    assert_eq!(read.chip_authentication, ChipCheck::Failed);
    assert!(!t.commands.iter().any(|c| c.get(..4) == Some(&[0x0C, 0x22, 0x41, 0xA4][..])));
}

#[test]
fn options_and_data_group_choices() {
    let options = ReadOptions { chip_authentication: false, active_authentication: false, ..ReadOptions::default() };
    let (read, t) = read_with(Document::cccd_demo().unwrap(), &can(), &options, vec![]);
    assert_eq!(read.chip_authentication, ChipCheck::NotPerformed);
    assert_eq!(read.active_authentication, ChipCheck::NotPerformed);
    assert!(!t.chip.chip_authenticated());
    assert!(internal_authenticates(&t).is_empty());
    assert_hashes_valid(&read);

    // DG14 and DG15 left out by the caller: not performed (the chip has them).
    let options = ReadOptions { data_groups: Some(vec![DataGroup::DG1]), ..ReadOptions::default() };
    let (read, _) = read_with(Document::cccd_demo().unwrap(), &can(), &options, vec![]);
    assert_eq!(read.chip_authentication, ChipCheck::NotPerformed);
    assert_eq!(read.active_authentication, ChipCheck::NotPerformed);

    // Only DG15 asked for: AA runs (without DG14 the hash of ECDSA is found by trying each).
    let options = ReadOptions { data_groups: Some(vec![DataGroup::DG15]), ..ReadOptions::default() };
    let (read, _) = read_with(Document::cccd_demo().unwrap(), &can(), &options, vec![]);
    assert_eq!(read.chip_authentication, ChipCheck::NotPerformed);
    assert_eq!(read.active_authentication, ChipCheck::Passed);

    // A chip without Chip Authentication key in DG14 (AA info only).
    let doc = DocumentBuilder::cccd_demo().without_chip_authentication().build().unwrap();
    let (read, _) = run(doc, &can(), vec![]);
    assert_eq!(read.chip_authentication, ChipCheck::NotSupported);
    assert_eq!(read.active_authentication, ChipCheck::Passed);
    // And one without DG15.
    let doc = DocumentBuilder::cccd_demo().without_active_authentication().build().unwrap();
    let (read, _) = run(doc, &can(), vec![]);
    assert_eq!(read.chip_authentication, ChipCheck::Passed);
    assert_eq!(read.active_authentication, ChipCheck::NotSupported);
}

/// The number of APDUs of a clean read, to aim faults at the end of it.
fn clean_apdus(doc: &Document) -> usize {
    let (read, t) = run(doc.clone(), &can(), vec![]);
    assert_eq!(read.stats.apdus, t.commands.len());
    t.commands.len()
}

#[test]
fn a_session_lost_after_chip_authentication_redoes_it() {
    // A MAC error in the middle of DG2 (read under the CA keys): PACE, SELECT, CA again, resume.
    let doc = Document::cccd_demo().unwrap();
    let (read, t) = run(doc, &can(), vec![Fault::ResponseMacWrong.nth(40)]);
    assert_eq!(read.stats.reauthentications, 1);
    assert_eq!(read.chip_authentication, ChipCheck::Passed);
    assert_eq!(read.active_authentication, ChipCheck::Passed);
    assert!(t.chip.chip_authenticated());
    assert_hashes_valid(&read);
    let ca_runs = t.commands.iter().filter(|c| c.get(..4) == Some(&[0x0C, 0x22, 0x41, 0xA4][..])).count();
    assert_eq!(ca_runs, 2);
}

#[test]
fn chip_authentication_refused_after_a_lost_session_is_failed() {
    // CA passes, the session is lost in DG2, the redone CA is refused: failed, the read goes on under PACE keys.
    let doc = Document::cccd_demo().unwrap();
    let (read, t) = run(doc, &can(), vec![Fault::ResponseMacWrong.nth(40), Fault::CaRefused.nth(2)]);
    assert_eq!(read.stats.reauthentications, 1);
    assert_eq!(read.chip_authentication, ChipCheck::Failed);
    assert!(!t.chip.chip_authenticated());
    assert_eq!(read.active_authentication, ChipCheck::Passed);
    assert_hashes_valid(&read);
}

#[test]
fn a_session_lost_during_active_authentication_is_recovered() {
    let doc = Document::cccd_demo().unwrap();
    let last = clean_apdus(&doc);
    // The answer to INTERNAL AUTHENTICATE (the last APDU) comes back with a wrong MAC.
    let (read, t) = run(doc, &can(), vec![Fault::ResponseMacWrong.at_apdu(last)]);
    assert_eq!(read.stats.reauthentications, 1);
    assert_eq!(read.active_authentication, ChipCheck::Passed);
    assert_eq!(read.chip_authentication, ChipCheck::Passed);
    assert_eq!(internal_authenticates(&t).len(), 2);
}

#[test]
fn card_removed_during_authenticity_ends_the_read() {
    let doc = Document::cccd_demo().unwrap();
    let last = clean_apdus(&doc);
    let mut chip = SoftwareChip::with_faults(doc, [Fault::CardRemoved.at_apdu(last)]);
    let err = read_document(&mut chip, &can(), &ReadOptions::default(), &mut NoHooks).unwrap_err();
    assert_eq!(err, Error::Transport(TransportError::CardRemoved));
}

/// A reproducible terminal random source (a linear congruential stream; not for real use).
struct CountingRng(u64);

impl mrtdd::protocol::access::Rng for CountingRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        for b in buf.iter_mut() {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            *b = (self.0 >> 56) as u8;
        }
        Ok(())
    }
}

#[test]
fn the_callers_random_source_drives_re_authentication_too() {
    use mrtdd::chip::Randomness;
    use mrtdd::protocol::session::read_document_with_rng;
    // The session is lost under the CA keys in DG2: PACE, SELECT and CA run again mid-read.
    // With a reproducible terminal source (and chip), two reads send the same bytes — the
    // PACE and CA key shares of the re-authentication included, which once came from the OS.
    let doc = DocumentBuilder::cccd_demo().chip_key_seed(3).build().unwrap();
    let read_once = |seed: u64| {
        let mut chip = SoftwareChip::with_faults(doc.clone(), [Fault::ResponseMacWrong.nth(40)]);
        chip.set_randomness(Randomness::Seeded(9));
        let mut t = Recorder { chip, commands: Vec::new() };
        let read =
            read_document_with_rng(&mut t, &can(), &ReadOptions::default(), &mut NoHooks, &mut CountingRng(seed))
                .expect("the read succeeds");
        assert_eq!(read.stats.reauthentications, 1);
        assert_eq!((read.chip_authentication, read.active_authentication), (ChipCheck::Passed, ChipCheck::Passed));
        assert_hashes_valid(&read);
        t.commands
    };
    let first = read_once(1);
    // Two PACE runs (GENERAL AUTHENTICATE, CLA 10/00 INS 86) and two CA runs (protected, CLA 0C INS 86).
    let general_authenticates = first.iter().filter(|c| c.get(1) == Some(&0x86)).count();
    assert_eq!(general_authenticates, 2 * 4 + 2, "{general_authenticates}");
    assert_eq!(read_once(1), first);
    assert_ne!(read_once(2), first);
}
