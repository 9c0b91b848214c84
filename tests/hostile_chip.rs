//! HOSTILE.md cases 1–18 (and related faults) against the software chip:
//! each ends in the specific typed error or status — never a panic, a hang
//! or an unbounded allocation — and nothing unverified is reported valid.
//! Beyond the list: one-byte and never-ending files, a DG2 declaring 16 MB,
//! TLV nested 1000 deep, an endless `61xx` chain, duplicate and huge SOD hash
//! lists, an EF.CardAccess with thousands of PACEInfos, off-curve PACE and CA
//! points, Active Authentication signatures of absurd length, garbage status
//! words, non-UTF-8 DG11/DG13 text and a non-ASCII MRZ.
//!
//! Every read goes through [`run`], which measures the bytes allocated on the
//! reading thread with a counting global allocator and asserts the peak stays
//! under [`READ_PEAK_BOUND`] (tighter bounds where a case says so), and checks
//! that every data group reported valid really hashes to the SOD's value.
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
use mrtdd::service::convert;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

const EF_COM: u16 = 0x011E;
/// "Today" for the API conversion's century window.
const TODAY: (i32, u32, u32) = (2026, 1, 1);

// ---- bounded memory: a counting allocator, per thread ----

/// Counts the bytes allocated by each thread (current and peak), so that the
/// tests, which run in parallel threads, each measure their own read.
struct Counting;

thread_local! {
    static CURRENT: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    let _ = CURRENT.try_with(|c| {
        let now = c.get() + delta;
        c.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// bookkeeping only touches const-initialised thread-locals without destructors.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        account(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            account(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most bytes it had allocated at
/// once on this thread (beyond what was allocated before it started).
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = CURRENT.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    let peak = PEAK.with(Cell::get) - base;
    (r, peak.max(0) as usize)
}

/// The most a read of a hostile document may allocate at once, chip included:
/// the per-file cap (a file is held whole, once, and buffers are reserved
/// from its declared length, never beyond the cap) four times over, for the
/// reader's file, the chip's copy of its answer, the SM wrapping and the
/// parsed result. A read that tried to honour a 16 MB or 4 GB declaration
/// would blow it at once.
const READ_PEAK_BOUND: usize = 4 * DEFAULT_MAX_FILE_SIZE;

fn key(doc: &Document) -> AccessKey {
    AccessKey::Mrz(Mrz::parse(doc.mrz()).unwrap().bac_key())
}

/// Reads `doc` on a chip with `faults`; returns the outcome and the chip.
fn run(doc: Document, faults: Vec<Injection>) -> (Result<DocumentRead, Error>, SoftwareChip) {
    let key = key(&doc);
    run_with(doc, faults, &key, &ReadOptions::default())
}

/// [`run`] with a key and options; returns the outcome and the chip, having
/// checked the memory bound and that nothing unverified is reported valid.
fn run_with(
    doc: Document,
    faults: Vec<Injection>,
    key: &AccessKey,
    options: &ReadOptions,
) -> (Result<DocumentRead, Error>, SoftwareChip) {
    let (r, chip, peak) = measured(doc, faults, key, options);
    assert!(peak < READ_PEAK_BOUND, "peak allocation {peak} bytes");
    (r, chip)
}

/// A read with its peak allocation (see [`peak_during`]).
fn measured(
    doc: Document,
    faults: Vec<Injection>,
    key: &AccessKey,
    options: &ReadOptions,
) -> (Result<DocumentRead, Error>, SoftwareChip, usize) {
    let mut chip = SoftwareChip::with_faults(doc, faults);
    let (r, peak) = peak_during(|| read_document(&mut chip, key, options, &mut NoHooks));
    if let Ok(read) = &r {
        assert_valid_means_verified(read);
    }
    (r, chip, peak)
}

/// Nothing unverified reported as verified: a data group is `Valid` only if it
/// was read and its bytes hash to the SOD's value under a supported algorithm.
fn assert_valid_means_verified(read: &DocumentRead) {
    for (dg, check) in &read.hashes.data_groups {
        if *check == HashCheck::Valid {
            let algorithm = read.sod.digest_algorithm.supported().expect("a supported digest");
            let bytes = read.file(FileId::Dg(*dg)).expect("a valid data group was read");
            assert_eq!(read.sod.hash_of(*dg), Some(algorithm.digest(bytes).as_slice()), "{dg}");
        }
    }
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
    // 60 14 ... → 60 0D: only the declared 13 bytes are parsed (nothing past
    // them is read or kept), and the tag list inside runs past them.
    let mut com = original(EF_COM);
    let declared = 0x0D;
    com[1] = declared as u8;
    let (r, _) = run(passport().file(EF_COM, com).build().unwrap(), vec![]);
    // The tag list's own length now runs past the declared end of EF.COM.
    assert_eq!(r.unwrap_err(), Error::Malformed(Malformed::Overrun("EF.COM")));
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
    assert_eq!(
        r.unwrap_err(),
        Error::Malformed(Malformed::Invalid { what: "EF.SOD", reason: "the file ends before its declared length" })
    );
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
        const WHAT: &str = "odd-INS READ BINARY response (DO'53')";
        match fault {
            Fault::OddInsWithoutDo53 => assert!(
                matches!(r, Err(Error::Malformed(Malformed::UnexpectedTag { what: WHAT, expected: 0x53, .. }))),
                "{r:?}"
            ),
            _ => assert_eq!(r.unwrap_err(), Error::Malformed(Malformed::Overrun(WHAT))),
        }
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
    // Lost again at the same point after the one re-authentication: given up.
    assert_eq!(r.unwrap_err(), Error::Misbehaving(Misbehaviour::SessionLostTwice), "{fault:?} always");
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
    assert_eq!(r.unwrap_err(), Error::Misbehaving(Misbehaviour::Authentication("EXTERNAL AUTHENTICATE response MAC")));
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ExternalAuthenticateWrongRndIfd.always()]);
    assert_eq!(
        r.unwrap_err(),
        Error::Misbehaving(Misbehaviour::Authentication("EXTERNAL AUTHENTICATE echoed the wrong nonce"))
    );
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
    assert_eq!(r.unwrap_err(), Error::Transport(TransportError::Other("timeout".into())));
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
    // What the API publishes: no portrait from the failing DG2; DG1 still.
    assert!(read.portrait.is_some(), "parsed, but ...");
    assert!(convert::portrait(&read).is_none(), "... not published");
    assert!(convert::document(&read, TODAY).is_some());
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

/// HOSTILE 19 on the CCCD: a DG13 whose hash fails is parsed but not
/// published, and neither is anything of a DG1 that failed.
#[test]
fn case_19_unverified_groups_are_not_published() {
    for dg in [1u8, 13] {
        let mut bytes = Document::cccd_demo().unwrap().file(dg_fid(dg)).unwrap().to_vec();
        let last = bytes.len() - 2;
        bytes[last] ^= 0x01;
        let (r, _) = run(cccd().tamper_file(dg_fid(dg), bytes).build().unwrap(), vec![]);
        let read = r.unwrap();
        let group = DataGroup::new(dg).unwrap();
        assert_eq!(read.hashes.data_groups.get(&group), Some(&HashCheck::Invalid));
        assert!(!all_valid(&read));
        match dg {
            1 => {
                assert!(convert::document(&read, TODAY).is_none());
                assert!(convert::cccd(&read).is_some());
            }
            _ => {
                assert!(convert::cccd(&read).is_none());
                assert!(convert::document(&read, TODAY).is_some());
            }
        }
        assert!(convert::portrait(&read).is_some());
    }
}

// ---- beyond the list: what else a hostile chip tries ----

fn cccd() -> DocumentBuilder {
    DocumentBuilder::cccd_demo()
}

fn can_key() -> AccessKey {
    AccessKey::Can(zeroize::Zeroizing::new("012345".into()))
}

/// `inner` wrapped `depth` times in constructed `tag`.
fn nested(tag: u32, inner: &[u8], depth: usize) -> Vec<u8> {
    let mut v = inner.to_vec();
    for _ in 0..depth {
        v = tlv::tlv(tag, &v);
    }
    v
}

/// HOSTILE 4 (odd-INS unsupported): a chip that answers `B1` with `6D00`
/// cannot give a file past 32 767 bytes: its status is the error.
#[test]
fn case_04_dg2_over_32767_bytes_without_odd_ins_support() {
    let doc = passport().large_dg2(40_000).build().unwrap();
    let (r, _) = run(doc, vec![Fault::OddInsUnsupported.always()]);
    assert_eq!(r.unwrap_err(), Error::Status { during: "READ BINARY", sw: StatusWord::INS_NOT_SUPPORTED });
}

/// HOSTILE 4: a (signed) DG2 declaring 16 MB is refused on its header,
/// before any buffer of that size exists — with the default cap and with
/// the largest cap a configuration may set.
#[test]
fn case_04_dg2_declaring_16_megabytes_is_refused_before_allocation() {
    use mrtdd::protocol::read::MAX_FILE_SIZE_LIMIT;
    /// What this read may allocate at most: a small fraction of the declaration.
    const BOUND: usize = 1024 * 1024;
    let declared = 16 * 1024 * 1024;
    let mut dg2 = vec![0x75, 0x84];
    dg2.extend((declared as u32).to_be_bytes());
    dg2.extend(&original(dg_fid(2))[4..]);
    let doc = passport().file(dg_fid(2), dg2).build().unwrap();
    let k = key(&doc);
    let (r, _, peak) = measured(doc.clone(), vec![], &k, &ReadOptions::default());
    assert_eq!(r.unwrap_err(), Error::Limit { what: "DG2", limit: DEFAULT_MAX_FILE_SIZE });
    assert!(peak < BOUND, "peak {peak}");
    eprintln!("figure: DG2 declaring 16 MiB, default cap: peak allocation {peak} bytes");

    let mut options = ReadOptions::default();
    options.limits.max_file_size = MAX_FILE_SIZE_LIMIT;
    let (r, _, peak) = measured(doc, vec![], &k, &options);
    assert_eq!(r.unwrap_err(), Error::Limit { what: "DG2", limit: MAX_FILE_SIZE_LIMIT });
    assert!(peak < BOUND, "peak {peak}");
    eprintln!("figure: DG2 declaring 16 MiB + 6, largest cap: peak allocation {peak} bytes");
}

/// A declared length under the cap reserves nothing by itself: the buffer
/// grows with the bytes the chip sends. A DG2 declaring 150 000 bytes (and,
/// with the largest cap, one declaring 16 MiB − 1 KiB) that holds a few
/// hundred ends in a clean error with a peak allocation of a few kilobytes.
#[test]
fn declared_length_under_the_cap_does_not_size_the_buffer() {
    use mrtdd::protocol::read::MAX_FILE_SIZE_LIMIT;
    /// A few chunks and the read's own bookkeeping; far below either declaration.
    const BOUND: usize = 64 * 1024;
    for (declared, max_file_size) in
        [(150_000usize, DEFAULT_MAX_FILE_SIZE), (MAX_FILE_SIZE_LIMIT - 1024, MAX_FILE_SIZE_LIMIT)]
    {
        let mut dg2 = vec![0x75, 0x83];
        dg2.extend(&(declared as u32).to_be_bytes()[1..]);
        dg2.extend(&original(dg_fid(2))[4..400]);
        let doc = passport().file(dg_fid(2), dg2).build().unwrap();
        let k = key(&doc);
        let mut options = ReadOptions::default();
        options.limits.max_file_size = max_file_size;
        let (r, _, peak) = measured(doc, vec![], &k, &options);
        assert!(
            matches!(
                r,
                Err(Error::Malformed(Malformed::Invalid {
                    what: "DG2",
                    reason: "the file ends before its declared length"
                }))
            ),
            "{r:?}"
        );
        assert!(peak < BOUND, "declared {declared}: peak {peak}");
        eprintln!("figure: DG2 declaring {declared} bytes, holding 400: peak allocation {peak} bytes");
    }
}

/// A chip that never finishes a file: 15 bytes per READ BINARY of a 150 kB
/// DG2 (fewer than the reader's smallest useful chunk) runs into the read
/// budget of the file — a bounded number of APDUs, then `NoProgress`.
#[test]
fn a_file_that_never_finishes_is_bounded() {
    use mrtdd::protocol::read::MIN_CHUNK;
    let doc = passport().large_dg2(150_000).build().unwrap();
    let dg2_len = doc.file(dg_fid(2)).unwrap().len();
    let (r, chip) = run(doc, vec![Fault::ReadAtMost(15).always()]);
    assert_eq!(r.unwrap_err(), Error::Misbehaving(Misbehaviour::NoProgress("DG2")));
    eprintln!("figure: 15-byte answers to a {dg2_len}-byte DG2: gave up after {} APDUs", chip.apdu_count());
    // The budget: 16 + declared / MIN_CHUNK reads for DG2, plus the files before it.
    assert!(chip.apdu_count() < 16 + dg2_len / MIN_CHUNK + 1_000, "{}", chip.apdu_count());
}

/// The bound holds for genuine reads too, with room to spare (figures printed
/// for docs/reliability.md: `cargo test --test hostile_chip -- --nocapture`).
#[test]
fn genuine_reads_stay_under_the_bound() {
    for (what, doc) in [
        ("ICAO specimen passport", Document::td3_specimen().unwrap()),
        ("demo CCCD (PACE, CA, AA)", Document::cccd_demo().unwrap()),
        ("passport with a 60 kB DG2", passport().large_dg2(60_000).build().unwrap()),
        ("passport with a 150 kB DG2", passport().large_dg2(150_000).build().unwrap()),
    ] {
        let k = key(&doc);
        let (r, chip, peak) = measured(doc, vec![], &k, &ReadOptions::default());
        assert!(all_valid(&r.unwrap()), "{what}");
        assert!(peak < READ_PEAK_BOUND, "{what}: {peak}");
        eprintln!("figure: genuine read, {what}: {} APDUs, peak allocation {peak} bytes", chip.apdu_count());
    }
}

/// A chip that answers every READ BINARY with one byte: bounded (HOSTILE 10's
/// rule), for a small and a large file alike.
#[test]
fn one_byte_answers_on_a_large_file_are_bounded() {
    let doc = passport().large_dg2(60_000).build().unwrap();
    let (r, chip) = run(doc, vec![Fault::ReadAtMost(1).from_apdu(12)]);
    assert!(matches!(r, Err(Error::Misbehaving(Misbehaviour::NoProgress(_)))), "{r:?}");
    assert!(chip.apdu_count() < 16 + 60_100 / 16 + 100, "{}", chip.apdu_count());
}

/// A chip that answers a READ BINARY of DG1 with DG2's content (tag 75, not 61).
#[test]
fn a_different_file_than_asked_is_wrong_file() {
    let (r, _) = run(passport().tamper_file(dg_fid(1), original(dg_fid(2))).build().unwrap(), vec![]);
    assert_eq!(r.unwrap_err(), Error::Misbehaving(Misbehaviour::WrongFile("DG1")));
}

/// TLV nested 1000 levels deep inside signed data groups: a parse error for
/// that group (its hash still checks out), no stack overflow.
#[test]
fn tlv_nested_1000_deep() {
    // DG13 of the CCCD: a value nested in 1000 SEQUENCEs.
    let deep = nested(0x30, &tlv::tlv(0x0C, b"x"), 1000);
    let dg13 = tlv::tlv(0x6D, &tlv::tlv(0x30, &[tlv::tlv(0x02, &[2]), deep.clone()].concat()));
    let (r, _) = run(cccd().file(dg_fid(13), dg13).build().unwrap(), vec![]);
    let read = r.unwrap();
    assert!(read.cccd.is_none());
    assert_eq!(read.parse_errors, [(FileId::Dg(DataGroup::DG13), Malformed::TooDeep("DG13"))]);
    assert_eq!(read.hashes.data_groups.get(&DataGroup::DG13), Some(&HashCheck::Valid));

    // DG11: an element of unknown tag, 1000 deep, is skipped without descending into it.
    let dg11 = tlv::tlv(0x6B, &[tlv::tlv(0x5C, &[0x5F, 0x0E]), nested(0x30, &tlv::tlv(0x5F0E, b"A"), 1000)].concat());
    let (r, _) = run(passport().file(dg_fid(11), dg11).build().unwrap(), vec![]);
    let read = r.unwrap();
    assert_eq!(read.dg11.as_ref().map(|d| d.full_name.clone()), Some(None));
    assert!(all_valid(&read));

    // DG14: Chip Authentication cannot use it; the read goes on.
    let dg14 = tlv::tlv(0x6E, &nested(0x31, &[], 1000));
    let (r, _) = run(cccd().file(dg_fid(14), dg14).build().unwrap(), vec![]);
    let read = r.unwrap();
    assert_eq!(read.chip_authentication, mrtdd::protocol::authenticity::ChipCheck::Failed);
    assert!(all_valid(&read));

    // EF.SOD: the read cannot go on without it.
    let sod = tlv::tlv(0x77, &nested(0x30, &[], 1000));
    let (r, _) = run(passport().file(0x011D, sod).build().unwrap(), vec![]);
    assert_eq!(
        r.unwrap_err(),
        Error::Malformed(Malformed::UnexpectedTag { what: "SOD contentType", expected: 0x06, found: 0x30 })
    );
}

/// A chip that answers `61FF` (with data) forever: GET RESPONSE is bounded by
/// [`MAX_GET_RESPONSE_ROUNDS`](mrtdd::protocol::transceive::MAX_GET_RESPONSE_ROUNDS).
#[test]
fn endless_61xx_chain_is_bounded() {
    use mrtdd::protocol::transceive::{MAX_CHAINED_RESPONSE, MAX_GET_RESPONSE_ROUNDS};
    let doc = Document::td3_specimen().unwrap();
    let k = key(&doc);
    let (r, chip, peak) = measured(doc, vec![Fault::EndlessGetResponse.from_apdu(8)], &k, &ReadOptions::default());
    assert_eq!(r.unwrap_err(), Error::Limit { what: "GET RESPONSE rounds", limit: MAX_GET_RESPONSE_ROUNDS });
    assert_eq!(chip.apdu_count(), 8 + MAX_GET_RESPONSE_ROUNDS);
    assert!(peak < 4 * MAX_CHAINED_RESPONSE, "peak {peak}");
    eprintln!("figure: endless 61FF chain: {} APDUs, peak allocation {peak} bytes", chip.apdu_count());
}

/// A (signed) SOD listing a data group twice, or a thousand hashes: malformed,
/// the read fails on EF.SOD.
#[test]
fn sod_with_duplicate_or_huge_hash_lists() {
    let listed_twice = Malformed::Invalid { what: "DataGroupHash", reason: "data group listed twice" };
    let (r, _) = run(passport().sod_extra_hash(1).build().unwrap(), vec![]);
    assert_eq!(r.unwrap_err(), Error::Malformed(listed_twice.clone()));
    let mut huge = passport();
    for n in 0..1000u32 {
        huge = huge.sod_extra_hash((n % 16 + 1) as u8);
    }
    let (r, _) = run(huge.build().unwrap(), vec![]);
    assert_eq!(r.unwrap_err(), Error::Malformed(listed_twice));
    let (r, _) = run(passport().sod_extra_hash(17).build().unwrap(), vec![]);
    assert_eq!(
        r.unwrap_err(),
        Error::Malformed(Malformed::Invalid { what: "DataGroupHash", reason: "data group number outside 1..=16" })
    );
}

/// EF.CardAccess with 5000 PACEInfos: over the entry cap, so PACE is not
/// attempted — BAC with the MRZ; a CAN, which needs PACE, is refused.
#[test]
fn card_access_with_thousands_of_pace_infos() {
    use mrtdd::protocol::lds::security_infos::MAX_SECURITY_INFOS;
    use mrtdd::protocol::session::AccessMethod;
    let doc = cccd().build().unwrap();
    let card_access = doc.card_access().unwrap();
    // The SET's first entry (a PACEInfo), repeated.
    let set = tlv::single_tlv(card_access, 0x31, "EF.CardAccess").unwrap();
    let first = tlv::children(set, "SecurityInfos").next().unwrap().unwrap();
    let info = tlv::tlv(first.tag, first.value);
    let count = 5000;
    assert!(count > MAX_SECURITY_INFOS);
    let many = tlv::tlv(0x31, &info.repeat(count));
    assert!(many.len() < DEFAULT_MAX_FILE_SIZE);
    let doc = cccd().mf_file(0x011C, many).build().unwrap();
    let (r, _) = run(doc.clone(), vec![]);
    let read = r.unwrap();
    assert_eq!(read.access.method, AccessMethod::Bac);
    assert!(read.card_access.is_none());
    assert!(all_valid(&read));
    let (r, _) = run_with(doc, vec![], &can_key(), &ReadOptions::default());
    assert!(matches!(r, Err(Error::Unsupported(_))), "{r:?}");
}

/// PACE with off-curve or malformed points from the chip: PACE fails, never
/// panics; with the MRZ the read falls back to BAC, with a CAN it cannot.
#[test]
fn pace_with_invalid_points() {
    use mrtdd::protocol::session::AccessMethod;
    for fault in [Fault::PaceBadMappingPoint, Fault::PaceBadKeyAgreementPoint, Fault::PaceTruncatedMappingPoint] {
        let doc = Document::cccd_demo().unwrap();
        let (r, _) = run(doc.clone(), vec![fault.clone().always()]);
        let read = r.unwrap_or_else(|e| panic!("{fault:?}: {e:?}"));
        assert_eq!(read.access.method, AccessMethod::Bac, "{fault:?}");
        assert!(all_valid(&read), "{fault:?}");
        let (r, chip) = run_with(doc, vec![fault.clone().always()], &can_key(), &ReadOptions::default());
        assert_eq!(
            r.unwrap_err(),
            Error::Misbehaving(Misbehaviour::Authentication("PACE: invalid elliptic-curve point from the chip")),
            "{fault:?}"
        );
        assert!(!chip.secure_messaging_active(), "{fault:?}");
    }
}

/// Chip Authentication with an off-curve static key in a (signed) DG14:
/// failed, never passed, and the read goes on.
#[test]
fn chip_authentication_with_an_off_curve_key() {
    use mrtdd::protocol::authenticity::ChipCheck;
    let mut dg14 = Document::cccd_demo().unwrap().file(dg_fid(14)).unwrap().to_vec();
    // The uncompressed point of the CA key: BIT STRING 03 42 00 04 <x> <y>; flip the last bit of y.
    let at = dg14.windows(4).position(|w| w == [0x03, 0x42, 0x00, 0x04]).expect("a P-256 point");
    dg14[at + 3 + 64] ^= 0x01;
    let (r, _) = run(cccd().file(dg_fid(14), dg14).build().unwrap(), vec![]);
    let read = r.unwrap();
    assert_eq!(read.chip_authentication, ChipCheck::Failed);
    assert!(all_valid(&read));
}

/// Active Authentication answered with signatures of absurd length (empty,
/// one byte, 4000 bytes): failed, never passed; the read goes on.
#[test]
fn active_authentication_signature_of_absurd_length() {
    use mrtdd::protocol::authenticity::ChipCheck;
    for n in [0, 1, 4000] {
        let (r, _) = run(Document::cccd_demo().unwrap(), vec![Fault::AaSignatureOfLength(n).always()]);
        let read = r.unwrap_or_else(|e| panic!("{n}: {e:?}"));
        assert_eq!(read.active_authentication, ChipCheck::Failed, "{n}");
        assert!(all_valid(&read), "{n}");
    }
}

/// Status words that mean nothing here, as the answer to a READ BINARY in the
/// middle of EF.SOD, or to making EF.COM current: the status is the error.
#[test]
fn garbage_status_words() {
    for sw in [0x6F00, 0x9999, 0x0000, 0x6400, 0x6581, 0x6E00, 0x6A86, 0x6A82, 0x61FF, 0x9001] {
        let sw = StatusWord(sw);
        let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::ReadStatus(sw).nth(3)]);
        assert_eq!(r.unwrap_err(), Error::Status { during: "READ BINARY", sw }, "{sw}");
    }
    for sw in [0x6F00, 0x9999, 0x0000, 0x6400, 0x6E00] {
        let sw = StatusWord(sw);
        let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::SelectStatus(sw).always()]);
        assert_eq!(r.unwrap_err(), Error::Status { during: "READ BINARY", sw }, "{sw}");
    }
    // "Wrong parameters" to the read by SFI makes the reader SELECT by FID; garbage there too.
    let sw = StatusWord(0x6A86);
    let (r, _) = run(Document::td3_specimen().unwrap(), vec![Fault::SelectStatus(sw).always()]);
    assert_eq!(r.unwrap_err(), Error::Status { during: "SELECT file", sw });
}

/// DG11 text that is not UTF-8 is read as ISO/IEC 8859-1 (the module's
/// documented choice); DG13 text that is not UTF-8 is a DG13 parse error.
/// Either way the hash is checked and the read succeeds.
#[test]
fn non_utf8_dg11_and_dg13_text() {
    let dg11 = tlv::tlv(0x6B, &[tlv::tlv(0x5C, &[0x5F, 0x0E]), tlv::tlv(0x5F0E, &[0xC9, 0x52, 0xFF])].concat());
    let (r, _) = run(passport().file(dg_fid(11), dg11).build().unwrap(), vec![]);
    let read = r.unwrap();
    assert_eq!(read.dg11.as_ref().and_then(|d| d.full_name.as_deref()), Some("ÉRÿ"));
    assert!(all_valid(&read));

    let mut dg13 = Document::cccd_demo().unwrap().file(dg_fid(13)).unwrap().to_vec();
    // The name's UTF8String ("Nguyễn Văn An") starts with a lone continuation byte.
    let at = dg13.windows(4).position(|w| w == b"Nguy").expect("the name");
    assert_eq!(dg13[at - 2], 0x0C);
    dg13[at] = 0x80;
    let (r, _) = run(cccd().file(dg_fid(13), dg13).build().unwrap(), vec![]);
    let read = r.unwrap();
    assert!(read.cccd.is_none());
    let not_utf8 = Malformed::Invalid { what: "DG13", reason: "UTF8String is not valid UTF-8" };
    assert_eq!(read.parse_errors, [(FileId::Dg(DataGroup::DG13), not_utf8)]);
    assert_eq!(read.hashes.data_groups.get(&DataGroup::DG13), Some(&HashCheck::Valid));
}

/// A DG1 whose MRZ is not ASCII (a Latin-1 `É`, and a UTF-8 `É` that changes
/// its length): a DG1 parse error, nothing of DG1 published, hash still checked.
#[test]
fn non_ascii_mrz_in_dg1() {
    let td3 = Document::td3_specimen().unwrap();
    let mrz: Vec<u8> = td3.mrz().replace('\n', "").into_bytes();
    let at = mrz.iter().position(|&b| b == b'E').unwrap();
    let mut latin1 = mrz.clone();
    latin1[at] = 0xC9;
    let mut utf8 = mrz.clone();
    utf8.splice(at..at + 1, "É".bytes());
    for (what, text, reason) in
        [("latin-1", latin1, "MRZ data is not ASCII"), ("utf-8", utf8, "MRZ data is not 90, 72 or 88 characters")]
    {
        let dg1 = tlv::tlv(0x61, &tlv::tlv(0x5F1F, &text));
        let (r, _) = run(passport().file(dg_fid(1), dg1).build().unwrap(), vec![]);
        let read = r.unwrap();
        assert!(read.dg1.is_none(), "{what}");
        let error = Malformed::Invalid { what: "DG1", reason };
        assert_eq!(read.parse_errors, [(FileId::Dg(DataGroup::DG1), error)], "{what}");
        assert_eq!(read.hashes.data_groups.get(&DataGroup::DG1), Some(&HashCheck::Valid), "{what}");
    }
}

// ---- keys wiped ----

fn zeroize_on_drop<T: zeroize::ZeroizeOnDrop + ?Sized>() {}

/// Every type that holds a key, a password or personal data wipes itself when
/// dropped (HOSTILE: "wipes keys"). Checked by the compiler: a type that lost
/// `ZeroizeOnDrop` (or a `Zeroizing` field type) stops this file compiling.
#[test]
fn key_and_personal_data_types_are_wiped_on_drop() {
    use mrtdd::protocol::cccd_qr::CccdQr;
    use mrtdd::protocol::crypto::SecretBytes;
    use mrtdd::protocol::lds::{dg1::Dg1, dg2::Portrait, dg11::Dg11, dg12::Dg12, dg13::CccdData};
    use mrtdd::protocol::mrz::BacKey;
    use mrtdd::protocol::sm::SecureChannel;
    use zeroize::Zeroizing;
    // Session keys and SSC (BAC, PACE, Chip Authentication all end in a SecureChannel).
    zeroize_on_drop::<SecureChannel>();
    // BAC / PACE key material: K_seed, K_enc/K_mac, PACE's K_π and shared secret are SecretBytes.
    zeroize_on_drop::<SecretBytes>();
    // The caller's keys: MRZ (BAC key and PACE-MRZ password), CAN, CCCD QR.
    zeroize_on_drop::<BacKey>();
    zeroize_on_drop::<Mrz>();
    zeroize_on_drop::<Zeroizing<String>>();
    zeroize_on_drop::<CccdQr>();
    // DocumentRead: its file buffers, and every parsed group with personal data.
    zeroize_on_drop::<Zeroizing<Vec<u8>>>();
    zeroize_on_drop::<Option<Dg1>>();
    zeroize_on_drop::<Option<Portrait>>();
    zeroize_on_drop::<Option<Dg11>>();
    zeroize_on_drop::<Option<Dg12>>();
    zeroize_on_drop::<Option<CccdData>>();
    fn fields_of(read: &DocumentRead) {
        fn wiped<T: zeroize::ZeroizeOnDrop>(_: &T) {}
        for (_, bytes) in &read.files {
            wiped(bytes);
        }
        wiped(&read.dg1);
        wiped(&read.portrait);
        wiped(&read.dg11);
        wiped(&read.dg12);
        wiped(&read.cccd);
    }
    let (r, _) = run(Document::cccd_demo().unwrap(), vec![]);
    fields_of(&r.unwrap());
    // The key given to the read is wiped with it.
    match key(&Document::td3_specimen().unwrap()) {
        AccessKey::Mrz(k) => {
            fn wiped<T: zeroize::ZeroizeOnDrop>(_: &T) {}
            wiped(&k);
        }
        _ => unreachable!(),
    }
}
