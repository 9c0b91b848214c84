//! HOSTILE.md cases 1–18 (and related faults) against the software chip:
//! each ends in the specific typed error or status — never a panic, a hang
//! or an unbounded allocation — and nothing unverified is reported valid.
#![cfg(feature = "software-chip")]

use mrtdd::chip::{Document, DocumentBuilder, Fault, Injection, SoftwareChip, dg_fid};
use mrtdd::protocol::apdu::StatusWord;
use mrtdd::protocol::error::{Error, Malformed, Misbehaviour, TransportError};
use mrtdd::protocol::lds::{DataGroup, FileId};
use mrtdd::protocol::mrz::Mrz;
use mrtdd::protocol::read::{DEFAULT_MAX_FILE_SIZE, NoHooks};
use mrtdd::protocol::session::{AccessKey, DocumentRead, ReadOptions, read_document};
use mrtdd::protocol::tlv;
use mrtdd::protocol::verify::HashCheck;

const EF_COM: u16 = 0x011E;

fn key(doc: &Document) -> AccessKey {
    AccessKey::Mrz(Mrz::parse(doc.mrz()).unwrap().bac_key())
}

/// Reads `doc` on a chip with `faults`; returns the outcome and the chip.
fn run(doc: Document, faults: Vec<Injection>) -> (Result<DocumentRead, Error>, SoftwareChip) {
    let key = key(&doc);
    let mut chip = SoftwareChip::with_faults(doc, faults);
    let r = read_document(&mut chip, &key, &ReadOptions::default(), &mut NoHooks);
    (r, chip)
}

fn passport() -> DocumentBuilder {
    DocumentBuilder::td3_specimen()
}

fn original(fid: u16) -> Vec<u8> {
    Document::td3_specimen().unwrap().file(fid).unwrap().to_vec()
}

fn all_valid(read: &DocumentRead) -> bool {
    read.hashes.data_groups.values().all(|c| *c == HashCheck::Valid)
        && read.hashes.listed_but_not_read.is_empty()
        && read.com_sod_mismatch.is_empty()
}

// ---- 1–6: hostile files (signed, so only the parsers and the reader stand in the way) ----

#[test]
fn case_01_ef_com_with_tag_61() {
    let mut com = original(EF_COM);
    com[0] = 0x61;
    let (r, _) = run(passport().file(EF_COM, com).build().unwrap(), vec![]);
    assert_eq!(r.unwrap_err(), Error::Misbehaving(Misbehaviour::WrongFile("EF.COM")));
}

#[test]
fn case_02_ef_com_length_too_big_is_a_truncated_file() {
    let mut com = original(EF_COM);
    com[1] += 3;
    let (r, _) = run(passport().file(EF_COM, com).build().unwrap(), vec![]);
    assert!(matches!(r, Err(Error::Malformed(Malformed::Invalid { what: "EF.COM", .. }))), "{r:?}");
}

#[test]
fn case_02_ef_com_length_too_small_fails_without_over_read() {
    // 60 14 ... → 60 0D: the tag list is cut off. Whatever EF.COM still says,
    // it must not match the SOD, and nothing past the declared end is kept.
    let mut com = original(EF_COM);
    let declared = 0x0D;
    com[1] = declared as u8;
    let (r, _) = run(passport().file(EF_COM, com).build().unwrap(), vec![]);
    match r {
        Err(Error::Malformed(_)) => {}
        Ok(read) => {
            assert_eq!(read.file(FileId::Com).unwrap().len(), 2 + declared);
            assert!(!all_valid(&read));
        }
        Err(e) => panic!("unexpected {e:?}"),
    }
}

#[test]
fn case_03_dg1_four_gigabyte_length_is_refused_before_allocation() {
    let mut dg1 = vec![0x61, 0x84, 0xFF, 0xFF, 0xFF, 0xFF];
    dg1.extend_from_slice(&original(dg_fid(1))[2..]);
    let (r, _) = run(passport().file(dg_fid(1), dg1).build().unwrap(), vec![]);
    assert_eq!(r.unwrap_err(), Error::Limit { what: "DG1", limit: DEFAULT_MAX_FILE_SIZE });
}

#[test]
fn case_04_dg2_larger_than_the_cap() {
    let doc = passport().large_dg2(DEFAULT_MAX_FILE_SIZE + 1000).build().unwrap();
    let (r, chip) = run(doc, vec![]);
    assert_eq!(r.unwrap_err(), Error::Limit { what: "DG2", limit: DEFAULT_MAX_FILE_SIZE });
    // Refused on the header of the first chunk: no further DG2 reads.
    assert!(chip.apdu_count() < 20, "{}", chip.apdu_count());
}

#[test]
fn case_05_nested_child_longer_than_parent() {
    // DG1 = 61 5B { 5F1F 58 <88 bytes> } with the inner length raised past the parent.
    let mut dg1 = original(dg_fid(1));
    dg1[4] = dg1[4].wrapping_add(4);
    let (r, _) = run(passport().file(dg_fid(1), dg1).build().unwrap(), vec![]);
    let read = r.unwrap();
    assert!(read.dg1.is_none());
    assert!(
        matches!(read.parse_errors.as_slice(), [(FileId::Dg(DataGroup::DG1), Malformed::Overrun(_))]),
        "{:?}",
        read.parse_errors
    );
}

#[test]
fn case_06_indefinite_length_is_rejected() {
    let mut dg1 = original(dg_fid(1));
    dg1[1] = 0x80;
    let (r, _) = run(passport().file(dg_fid(1), dg1).build().unwrap(), vec![]);
    assert_eq!(r.unwrap_err(), Error::Malformed(Malformed::BadLength("DG1")));
}

#[test]
fn case_06_five_byte_and_non_minimal_lengths_are_rejected() {
    let body = &original(dg_fid(1))[2..];
    let mut five = vec![0x61, 0x85, 0, 0, 0, 0, body.len() as u8];
    five.extend_from_slice(body);
    let (r, _) = run(passport().file(dg_fid(1), five).build().unwrap(), vec![]);
    assert_eq!(r.unwrap_err(), Error::Malformed(Malformed::BadLength("DG1")));

    let mut non_minimal = vec![0x61, 0x81, body.len() as u8];
    non_minimal.extend_from_slice(body);
    assert!(body.len() < 0x80);
    let (r, _) = run(passport().file(dg_fid(1), non_minimal).build().unwrap(), vec![]);
    assert_eq!(r.unwrap_err(), Error::Malformed(Malformed::BadLength("DG1")));
}

// ---- 7–13: READ BINARY answers ----

#[test]
fn case_07_early_end_of_file_stops_at_the_declared_length() {
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadEarlyEof.nth(4)]);
    assert!(
        matches!(
            r,
            Err(Error::Malformed(Malformed::Invalid { reason: "the file ends before its declared length", .. }))
        ),
        "{r:?}"
    );
}

#[test]
fn case_08_wrong_parameters_mid_file() {
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadWrongParameters.nth(4)]);
    assert!(matches!(r, Err(Error::Malformed(Malformed::Invalid { .. }))), "{r:?}");
}

#[test]
fn case_08_wrong_parameters_on_the_first_read_falls_back_to_a_header_read() {
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadWrongParameters.nth(1)]);
    assert!(all_valid(&r.unwrap()));
}

#[test]
fn case_09_wrong_le_is_retried_once_with_the_chips_length() {
    // The first READ BINARY (EF.COM, 231 asked, 22 there): 6C16, then Le = 22 succeeds.
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadWrongLe.nth(1)]);
    assert!(all_valid(&r.unwrap()));
    // A chip that keeps answering 6Cxx: one retry, then its status is the error.
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadWrongLe.always()]);
    assert!(matches!(r, Err(Error::Status { during: "READ BINARY", sw }) if sw.sw1() == 0x6C), "{r:?}");
}

#[test]
fn case_10_empty_answers_end_in_no_progress() {
    let (r, chip) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadEmpty.always()]);
    assert!(matches!(r, Err(Error::Misbehaving(Misbehaviour::NoProgress("EF.COM")))), "{r:?}");
    assert!(chip.apdu_count() < 12);
    // One empty answer is tolerated.
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadEmpty.nth(3)]);
    assert!(all_valid(&r.unwrap()));
}

#[test]
fn case_10_one_byte_answers_are_bounded() {
    let (r, chip) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadAtMost(1).always()]);
    assert!(matches!(r, Err(Error::Misbehaving(Misbehaviour::NoProgress(_)))), "{r:?}");
    assert!(chip.apdu_count() < 200, "{}", chip.apdu_count());
    // A chip that answers in smaller chunks than asked is slow but fine.
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadAtMost(100).always()]);
    assert!(all_valid(&r.unwrap()));
}

#[test]
fn case_11_more_bytes_than_le_is_rejected() {
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadTooMuch.nth(2)]);
    assert!(matches!(r, Err(Error::Misbehaving(Misbehaviour::TooMuchData { .. }))), "{r:?}");
}

#[test]
fn case_12_odd_ins_without_or_with_truncated_do53() {
    for fault in [Fault::OddInsWithoutDo53, Fault::OddInsTruncatedDo53] {
        let doc = passport().large_dg2(40_000).build().unwrap();
        let (r, _) = run(doc, vec![fault.clone().nth(1)]);
        assert!(
            matches!(
                r,
                Err(Error::Malformed(
                    Malformed::UnexpectedTag { .. } | Malformed::Overrun(_) | Malformed::Truncated(_)
                ))
            ),
            "{fault:?}: {r:?}"
        );
    }
}

#[test]
fn case_12_odd_ins_answer_in_do87_is_accepted() {
    let doc = passport().large_dg2(40_000).build().unwrap();
    let (r, _) = run(doc, vec![Fault::OddInsResponseInDo87.always()]);
    assert!(all_valid(&r.unwrap()));
}

#[test]
fn case_13_dg2_without_image_is_accepted_with_no_portrait() {
    // 75 { 7F61 { 02 01 01, 7F60 { A1 { 81 01 02 }, 5F2E 00 } } }
    let header = tlv::tlv(0xA1, &tlv::tlv(0x81, &[0x02]));
    let mut bit = header.clone();
    bit.extend(tlv::tlv(0x5F2E, &[]));
    let mut group = tlv::tlv(0x02, &[1]);
    group.extend(tlv::tlv(0x7F60, &bit));
    let dg2 = tlv::tlv(0x75, &tlv::tlv(0x7F61, &group));
    let (r, _) = run(passport().file(dg_fid(2), dg2).build().unwrap(), vec![]);
    let read = r.unwrap();
    assert!(read.portrait.is_none());
    assert!(read.parse_errors.is_empty(), "{:?}", read.parse_errors);
    assert_eq!(read.hashes.data_groups.get(&DataGroup::DG2), Some(&HashCheck::Valid));
}

#[test]
fn wrong_file_is_detected() {
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::WrongFile.nth(2)]);
    assert_eq!(r.unwrap_err(), Error::Misbehaving(Misbehaviour::WrongFile("EF.SOD")));
}

#[test]
fn length_6700_at_end_of_file_falls_back() {
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadWrongLengthAtEof.always()]);
    assert!(all_valid(&r.unwrap()));
}

// ---- 14–17: secure messaging faults: the session is lost, re-established once, resumed ----

fn recovers_once_then_fails_twice(fault: Fault) {
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![fault.clone().nth(5)]);
    let read = r.unwrap_or_else(|e| panic!("{fault:?} once: {e:?}"));
    assert!(all_valid(&read), "{fault:?}");
    assert_eq!(read.stats.reauthentications, 1, "{fault:?}");

    let (r, _) = run(Document::td3_specimen().unwrap(), vec![fault.clone().always()]);
    let err = r.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Misbehaving(
                Misbehaviour::SessionLostTwice
                    | Misbehaviour::SecureMessaging(_)
                    | Misbehaviour::SecureMessagingAborted(_)
            )
        ),
        "{fault:?} always: {err:?}"
    );
}

#[test]
fn case_14_response_without_do8e() {
    recovers_once_then_fails_twice(Fault::ResponseWithoutMac);
}

#[test]
fn case_15_wrong_mac() {
    recovers_once_then_fails_twice(Fault::ResponseMacWrong);
}

#[test]
fn case_15_wrong_cryptogram_and_bad_padding() {
    recovers_once_then_fails_twice(Fault::ResponseCryptogramWrong);
    recovers_once_then_fails_twice(Fault::ResponseBadPadding);
}

#[test]
fn case_15_responses_without_do99_are_accepted() {
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ResponseWithoutDo99.always()]);
    assert!(all_valid(&r.unwrap()));
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::OuterStatusMirrorsDo99.always()]);
    assert!(all_valid(&r.unwrap()));
}

#[test]
fn case_16_plain_sm_errors_mid_read() {
    recovers_once_then_fails_twice(Fault::SmError(StatusWord::SM_OBJECTS_INCORRECT));
    recovers_once_then_fails_twice(Fault::SmError(StatusWord::SM_OBJECTS_MISSING));
}

#[test]
fn case_17_ssc_desync() {
    recovers_once_then_fails_twice(Fault::SscSkip);
}

#[test]
fn session_lost_in_the_middle_of_a_large_file_resumes_at_the_same_offset() {
    let doc = passport().large_dg2(40_000).build().unwrap();
    let dg2 = doc.file(dg_fid(2)).unwrap().to_vec();
    // Well inside DG2, after odd-INS reads have begun.
    let (r, _) = run(doc, vec![Fault::ResponseMacWrong.nth(170)]);
    let read = r.unwrap();
    assert_eq!(read.stats.reauthentications, 1);
    assert_eq!(read.file(FileId::Dg(DataGroup::DG2)), Some(dg2.as_slice()));
    assert!(all_valid(&read));
}

// ---- 18: BAC ----

#[test]
fn case_18_external_authenticate_failures() {
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ExternalAuthenticateRejected.always()]);
    assert_eq!(r.unwrap_err(), Error::AccessDenied(StatusWord::VERIFICATION_FAILED));
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ExternalAuthenticateWrongMac.always()]);
    assert!(matches!(r, Err(Error::Misbehaving(Misbehaviour::Authentication(_)))), "{r:?}");
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ExternalAuthenticateWrongRndIfd.always()]);
    assert!(matches!(r, Err(Error::Misbehaving(Misbehaviour::Authentication(_)))), "{r:?}");
}

// ---- transport ----

/// The card taken away at every APDU of a full read: always `CardRemoved`, never a panic.
#[test]
fn card_removed_at_every_apdu_index() {
    let doc = Document::cccd_demo().unwrap();
    let (r, chip) = run(doc.clone(), vec![]);
    r.unwrap();
    let total = chip.apdu_count();
    assert!(total > 10);
    for n in 1..=total {
        let (r, chip) = run(doc.clone(), vec![Fault::CardRemoved.at_apdu(n)]);
        assert_eq!(r.unwrap_err(), Error::Transport(TransportError::CardRemoved), "removed at APDU {n}");
        assert_eq!(chip.apdu_count(), n, "nothing is sent after the removal");
    }
}

#[test]
fn a_chip_that_stops_answering_fails_the_read() {
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::Timeout.at_apdu(8)]);
    assert!(matches!(r, Err(Error::Transport(TransportError::Other(_)))), "{r:?}");
}

// ---- 19–20 at the hash level (signature and chain come with passive authentication) ----

#[test]
fn case_19_tampered_dg2_is_invalid_for_dg2_only() {
    let mut dg2 = original(dg_fid(2));
    let last = dg2.len() - 3;
    dg2[last] ^= 0x01;
    let (r, _) = run(passport().tamper_file(dg_fid(2), dg2).build().unwrap(), vec![]);
    let read = r.unwrap();
    assert_eq!(read.hashes.data_groups.get(&DataGroup::DG2), Some(&HashCheck::Invalid));
    assert_eq!(read.hashes.data_groups.get(&DataGroup::DG1), Some(&HashCheck::Valid));
}

#[test]
fn case_20_sod_lists_a_group_the_chip_lacks() {
    let (r, _) = run(passport().sod_extra_hash(10).build().unwrap(), vec![]);
    let read = r.unwrap();
    assert_eq!(read.absent, [FileId::Dg(DataGroup::new(10).unwrap())]);
    assert_eq!(read.hashes.listed_but_not_read, [DataGroup::new(10).unwrap()]);
    assert_eq!(read.com_sod_mismatch, [DataGroup::new(10).unwrap()]);
}

#[test]
fn case_20_a_group_missing_from_the_sod_is_not_in_sod() {
    let (r, _) = run(passport().sod_omit_hash(11).build().unwrap(), vec![]);
    let read = r.unwrap();
    assert_eq!(read.hashes.data_groups.get(&DataGroup::DG11), Some(&HashCheck::NotInSod));
    assert_eq!(read.com_sod_mismatch, [DataGroup::DG11]);
}
