//! PACE and the key policy against the software chip: full reads of the demo
//! CCCD with the CAN alone, the QR text alone and the MRZ, on every curve and
//! cipher the chip offers; the fallbacks to BAC; wrong passwords.
#![cfg(feature = "software-chip")]

use mrtdd::chip::{Document, DocumentBuilder, Fault, Injection, PaceCipher, PaceCurve, PaceSuite, SoftwareChip};
use mrtdd::protocol::apdu::StatusWord;
use mrtdd::protocol::cccd_qr::CccdQr;
use mrtdd::protocol::error::Error;
use mrtdd::protocol::lds::{DataGroup, FileId};
use mrtdd::protocol::mrz::{BacKey, Mrz};
use mrtdd::protocol::read::NoHooks;
use mrtdd::protocol::session::{Access, AccessKey, AccessMethod, DocumentRead, KeyUsed, ReadOptions, read_document};
use mrtdd::protocol::verify::HashCheck;
use zeroize::Zeroizing;

/// The QR text of the demo CCCD (API.md): ID, no old ID, name, DOB, sex, address, issue date.
const DEMO_QR: &str =
    "001095012345||Nguyễn Văn An|12031995|Nam|Số 12 Phố Hàng Bông, Phường Hàng Gai, Quận Hoàn Kiếm, Hà Nội|01062021";

fn can() -> AccessKey {
    AccessKey::Can(Zeroizing::new("012345".to_owned()))
}

fn mrz_key(doc: &Document) -> AccessKey {
    AccessKey::Mrz(Mrz::parse(doc.mrz()).unwrap().bac_key())
}

fn qr(text: &str) -> AccessKey {
    AccessKey::CccdQr(Box::new(CccdQr::parse(text).unwrap()))
}

fn run(doc: Document, key: &AccessKey, faults: Vec<Injection>) -> (Result<DocumentRead, Error>, SoftwareChip) {
    let mut chip = SoftwareChip::with_faults(doc, faults);
    let r = read_document(&mut chip, key, &ReadOptions::default(), &mut NoHooks);
    (r, chip)
}

fn assert_demo_read(read: &DocumentRead, access: Access) {
    assert_eq!(read.access, access);
    assert!(read.hashes.data_groups.values().all(|c| *c == HashCheck::Valid), "{:?}", read.hashes);
    assert!(read.hashes.listed_but_not_read.is_empty());
    let cccd = read.cccd.as_ref().expect("DG13");
    assert_eq!(cccd.id_number.as_deref(), Some("001095012345"));
    assert_eq!(cccd.full_name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(read.dg1.as_ref().unwrap().mrz.document_number, "095012345");
    assert!(read.portrait.is_some());
}

const PACE_CAN: Access = Access { method: AccessMethod::Pace, key: KeyUsed::Can };
const PACE_MRZ: Access = Access { method: AccessMethod::Pace, key: KeyUsed::Mrz };
const BAC: Access = Access { method: AccessMethod::Bac, key: KeyUsed::Mrz };

#[test]
fn demo_cccd_with_the_can_alone() {
    let (r, chip) = run(Document::cccd_demo().unwrap(), &can(), vec![]);
    let read = r.unwrap();
    assert_demo_read(&read, PACE_CAN);
    assert_eq!(chip.pace_attempts(), 1);
    // EF.CardAccess is part of the files returned, and parsed.
    assert!(read.file(FileId::CardAccess).is_some());
    let ca = read.card_access.as_ref().unwrap();
    assert_eq!(ca.pace_infos().first().and_then(|p| p.parameter_id), Some(13));
}

#[test]
fn demo_cccd_with_the_qr_text_alone() {
    let (r, _) = run(Document::cccd_demo().unwrap(), &qr(DEMO_QR), vec![]);
    assert_demo_read(&r.unwrap(), PACE_CAN);
}

#[test]
fn demo_cccd_with_the_mrz_uses_pace_mrz() {
    let doc = Document::cccd_demo().unwrap();
    let key = mrz_key(&doc);
    let (r, _) = run(doc, &key, vec![]);
    assert_demo_read(&r.unwrap(), PACE_MRZ);
}

/// Every curve and cipher the chip offers, with the CAN and with the MRZ.
#[test]
fn every_curve_and_cipher() {
    let ciphers = [PaceCipher::Des3, PaceCipher::Aes128, PaceCipher::Aes192, PaceCipher::Aes256];
    for curve in PaceCurve::ALL {
        for cipher in ciphers {
            let doc = DocumentBuilder::cccd_demo().pace(PaceSuite::new(cipher, curve)).build().unwrap();
            let key = mrz_key(&doc);
            let (r, _) = run(doc.clone(), &can(), vec![]);
            let read = r.unwrap_or_else(|e| panic!("{curve:?} {cipher:?} CAN: {e:?}"));
            assert_demo_read(&read, PACE_CAN);
            let (r, _) = run(doc, &key, vec![]);
            assert_eq!(r.unwrap_or_else(|e| panic!("{curve:?} {cipher:?} MRZ: {e:?}")).access, PACE_MRZ);
        }
    }
}

/// With several PACEInfos the first usable one is chosen and its parameter id sent.
#[test]
fn several_pace_infos() {
    let doc = DocumentBuilder::cccd_demo()
        .pace(PaceSuite::new(PaceCipher::Aes256, PaceCurve::NistP384))
        .add_pace(PaceSuite::CCCD)
        .build()
        .unwrap();
    let (r, _) = run(doc, &can(), vec![]);
    assert_demo_read(&r.unwrap(), PACE_CAN);
}

#[test]
fn wrong_can_is_wrong_key_after_exactly_one_attempt() {
    let key = AccessKey::Can(Zeroizing::new("012346".to_owned()));
    let (r, chip) = run(Document::cccd_demo().unwrap(), &key, vec![]);
    assert_eq!(r.unwrap_err(), Error::AccessDenied(StatusWord::VERIFICATION_FAILED));
    assert_eq!(chip.pace_attempts(), 1);
}

#[test]
fn wrong_mrz_with_pace_is_wrong_key_without_bac_fallback() {
    let key = AccessKey::Mrz(BacKey::new("095012345", "950312", "350313").unwrap());
    let (r, chip) = run(Document::cccd_demo().unwrap(), &key, vec![]);
    assert_eq!(r.unwrap_err(), Error::AccessDenied(StatusWord::VERIFICATION_FAILED));
    assert_eq!(chip.pace_attempts(), 1);
}

#[test]
fn a_bad_chip_token_is_wrong_key_and_not_retried() {
    let doc = Document::cccd_demo().unwrap();
    let key = mrz_key(&doc);
    let (r, chip) = run(doc, &key, vec![Fault::PaceTokenWrong.always()]);
    assert_eq!(r.unwrap_err(), Error::AccessDenied(StatusWord::VERIFICATION_FAILED));
    assert_eq!(chip.pace_attempts(), 1);
}

// ---- fallbacks ----

#[test]
fn no_pace_on_the_chip_means_bac_for_the_mrz_and_the_qr() {
    let doc = DocumentBuilder::cccd_demo().without_pace().build().unwrap();
    let key = mrz_key(&doc);
    let (r, chip) = run(doc.clone(), &key, vec![]);
    assert_demo_read(&r.unwrap(), BAC);
    assert_eq!(chip.pace_attempts(), 0);
    let (r, _) = run(doc.clone(), &qr(DEMO_QR), vec![]);
    assert_demo_read(&r.unwrap(), BAC);
    // A CAN cannot open a chip without PACE.
    let (r, _) = run(doc, &can(), vec![]);
    assert!(matches!(r, Err(Error::Unsupported(_))), "{r:?}");
}

#[test]
fn pace_refused_or_broken_falls_back_to_bac() {
    for fault in [Fault::PaceRejectMseSetAt, Fault::PaceBadMappingPoint, Fault::CardAccessUnreadable] {
        let doc = Document::cccd_demo().unwrap();
        let key = mrz_key(&doc);
        let (r, _) = run(doc, &key, vec![fault.clone().always()]);
        let read = r.unwrap_or_else(|e| panic!("{fault:?}: {e:?}"));
        assert_demo_read(&read, BAC);
    }
    // With a CAN there is nothing to fall back to.
    let (r, _) = run(Document::cccd_demo().unwrap(), &can(), vec![Fault::PaceRejectMseSetAt.always()]);
    assert!(matches!(r, Err(Error::Status { during: "MSE:Set AT", .. })), "{r:?}");
}

/// The QR text's first expiry guess is wrong (issued at 38: the rule says the
/// card runs to 60); BAC is rejected, and the adjacent milestone (40) opens it.
#[test]
fn qr_bac_fallback_tries_the_adjacent_milestone() {
    let doc = DocumentBuilder::cccd_demo().without_pace().build().unwrap();
    let text = DEMO_QR.replace("|01062021", "|01062033");
    let key = qr(&text);
    if let AccessKey::CccdQr(q) = &key {
        let first = q.bac_keys().into_iter().next().unwrap();
        assert_ne!(first.date_of_expiry(), "350312", "the first guess must be wrong for this test");
    }
    let (r, _) = run(doc, &key, vec![]);
    assert_demo_read(&r.unwrap(), BAC);
}

// ---- secure messaging under AES ----

/// A lost AES session is re-established with PACE (and the application re-selected), once.
#[test]
fn aes_session_lost_mid_read_recovers_with_pace() {
    let (r, chip) = run(Document::cccd_demo().unwrap(), &can(), vec![Fault::ResponseMacWrong.nth(12)]);
    let read = r.unwrap();
    assert_demo_read(&read, PACE_CAN);
    assert_eq!(read.stats.reauthentications, 1);
    assert_eq!(chip.pace_attempts(), 2);
    let (r, _) = run(Document::cccd_demo().unwrap(), &can(), vec![Fault::ResponseMacWrong.always()]);
    assert!(r.is_err());
}

#[test]
fn only_requested_groups_under_pace() {
    let options = ReadOptions { data_groups: Some(vec![DataGroup::DG13]), ..ReadOptions::default() };
    let mut chip = SoftwareChip::new(Document::cccd_demo().unwrap());
    let read = read_document(&mut chip, &can(), &options, &mut NoHooks).unwrap();
    assert_eq!(read.hashes.data_groups.keys().copied().collect::<Vec<_>>(), [DataGroup::DG13]);
}
