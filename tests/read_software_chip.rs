//! Full reads of every software-chip document through the protocol core:
//! BAC, 3DES secure messaging, file reading, parsing and hash verification.
#![cfg(feature = "software-chip")]

use mrtdd::chip::{Document, DocumentBuilder, HashAlgorithm, SignerKind, SoftwareChip, dg_fid};
use mrtdd::protocol::lds::dg2::ImageType;
use mrtdd::protocol::lds::{DataGroup, FileId};
use mrtdd::protocol::mrz::Mrz;
use mrtdd::protocol::read::{NoHooks, ReadHooks, ReadLimits};
use mrtdd::protocol::session::{Access, AccessKey, AccessMethod, DocumentRead, KeyUsed, ReadOptions, read_document};
use mrtdd::protocol::verify::HashCheck;

fn key(doc: &Document) -> AccessKey {
    AccessKey::Mrz(Mrz::parse(doc.mrz()).expect("the document's MRZ parses").bac_key())
}

fn read(doc: Document, options: &ReadOptions) -> (DocumentRead, SoftwareChip) {
    let key = key(&doc);
    let mut chip = SoftwareChip::new(doc);
    let read = read_document(&mut chip, &key, options, &mut NoHooks).expect("the read succeeds");
    (read, chip)
}

fn assert_all_hashes_valid(read: &DocumentRead) {
    assert!(read.hashes.algorithm_supported);
    assert!(!read.hashes.data_groups.is_empty());
    for (dg, check) in &read.hashes.data_groups {
        assert_eq!(*check, HashCheck::Valid, "{dg}");
    }
    assert!(read.hashes.listed_but_not_read.is_empty(), "{:?}", read.hashes.listed_but_not_read);
    assert!(read.com_sod_mismatch.is_empty());
}

#[test]
fn demo_cccd_full_read() {
    let doc = Document::cccd_demo().unwrap();
    let portrait_file = doc.file(dg_fid(2)).unwrap().to_vec();
    let (read, chip) = read(doc, &ReadOptions::default());
    // The demo CCCD offers PACE: the MRZ key opens it with PACE-MRZ.
    assert_eq!(read.access, Access { method: AccessMethod::Pace, key: KeyUsed::Mrz });
    assert_all_hashes_valid(&read);
    // DG3 is listed but Terminal Authentication protected: not read by default.
    let read_dgs: Vec<DataGroup> = read.hashes.data_groups.keys().copied().collect();
    assert_eq!(read_dgs, [DataGroup::DG1, DataGroup::DG2, DataGroup::DG13, DataGroup::DG14, DataGroup::DG15]);

    let dg1 = read.dg1.as_ref().unwrap();
    assert!(dg1.check_digit_failures.is_empty());
    let mrz = &dg1.mrz;
    assert_eq!(mrz.document_code, "ID");
    assert_eq!(mrz.issuing_state, "VNM");
    assert_eq!(mrz.document_number, "095012345");
    assert_eq!(mrz.surname, "NGUYEN");
    assert_eq!(mrz.given_names, "VAN AN");
    assert_eq!(mrz.nationality, "VNM");
    assert_eq!(mrz.date_of_birth, "950312");
    assert_eq!(mrz.sex, "M");
    assert_eq!(mrz.date_of_expiry, "350312");
    assert!(mrz.optional_data.starts_with("001095012345"), "{}", mrz.optional_data.len());

    let cccd = read.cccd.as_ref().unwrap();
    assert_eq!(cccd.id_number.as_deref(), Some("001095012345"));
    assert_eq!(cccd.full_name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(cccd.date_of_birth.as_deref(), Some("1995-03-12"));
    assert_eq!(cccd.sex.as_deref(), Some("Nam"));
    assert_eq!(cccd.nationality.as_deref(), Some("Việt Nam"));
    assert_eq!(cccd.date_of_issue.as_deref(), Some("2021-06-01"));
    assert_eq!(cccd.date_of_expiry.as_deref(), Some("2035-03-12"));
    assert!(cccd.father_name.is_some() && cccd.mother_name.is_some());
    assert_eq!(cccd.spouse_name, None);

    let portrait = read.portrait.as_ref().unwrap();
    assert_eq!(portrait.image_type, ImageType::Jpeg);
    assert_eq!(portrait.image_type.mime_type(), "image/jpeg");
    assert_eq!(mrtdd::chip::jpeg_dimensions(&portrait.image), Some((portrait.width, portrait.height)));
    // The image bytes are exactly the ones inside the chip's DG2.
    assert!(portrait_file.windows(portrait.image.len()).any(|w| w == portrait.image.as_slice()));
    assert_eq!(read.file(FileId::Dg(DataGroup::DG2)), Some(portrait_file.as_slice()));

    assert!(read.parse_errors.is_empty(), "{:?}", read.parse_errors);
    assert_eq!(read.stats.apdus, chip.apdu_count());
    assert_eq!(read.stats.reauthentications, 0);
    let total: usize = read.files.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(read.stats.bytes_read, total);
}

#[test]
fn td3_specimen_full_read() {
    let (read, _) = read(Document::td3_specimen().unwrap(), &ReadOptions::default());
    assert_all_hashes_valid(&read);
    let mrz = &read.dg1.as_ref().unwrap().mrz;
    assert_eq!(mrz.document_code, "P");
    assert_eq!(mrz.issuing_state, "UTO");
    assert_eq!(mrz.surname, "ERIKSSON");
    assert_eq!(mrz.given_names, "ANNA MARIA");
    assert_eq!(mrz.document_number, "L898902C3");
    assert_eq!((mrz.date_of_birth.as_str(), mrz.sex.as_str(), mrz.date_of_expiry.as_str()), ("740812", "F", "120415"));
    assert!(read.portrait.is_some());
    assert!(read.dg11.is_some());
    assert!(read.dg12.is_some());
    assert!(read.cccd.is_none());
}

#[test]
fn every_signer_and_digest_reads_valid() {
    let cases = [
        (SignerKind::RsaPkcs1v15, HashAlgorithm::Sha1),
        (SignerKind::RsaPss, HashAlgorithm::Sha224),
        (SignerKind::EcdsaP256, HashAlgorithm::Sha256),
        (SignerKind::EcdsaP256, HashAlgorithm::Sha384),
        (SignerKind::RsaPkcs1v15, HashAlgorithm::Sha512),
    ];
    for (signer, hash) in cases {
        let doc = DocumentBuilder::td3_specimen().signer(signer).sod_hash(hash).build().unwrap();
        let (read, _) = read(doc, &ReadOptions::default());
        assert_all_hashes_valid(&read);
    }
}

/// A DG2 over 32 KB needs odd-INS READ BINARY past offset 32 767.
#[test]
fn large_portrait_uses_odd_ins_and_reads_valid() {
    let doc = DocumentBuilder::td3_specimen().large_dg2(40_000).build().unwrap();
    let dg2_len = doc.file(dg_fid(2)).unwrap().len();
    assert!(dg2_len > 32_768);
    let (read, _) = read(doc, &ReadOptions::default());
    assert_all_hashes_valid(&read);
    assert_eq!(read.file(FileId::Dg(DataGroup::DG2)).unwrap().len(), dg2_len);
    assert!(read.portrait.is_some());
}

#[test]
fn extended_length_reads_need_fewer_apdus() {
    let doc = || DocumentBuilder::td3_specimen().large_dg2(40_000).build().unwrap();
    let (short, _) = read(doc(), &ReadOptions::default());
    let options =
        ReadOptions { limits: ReadLimits { extended_length: true, ..ReadLimits::default() }, ..ReadOptions::default() };
    let (extended, _) = read(doc(), &options);
    assert_all_hashes_valid(&extended);
    assert_eq!(short.files.len(), extended.files.len());
    assert!(extended.stats.apdus * 4 < short.stats.apdus, "{} vs {}", extended.stats.apdus, short.stats.apdus);
}

/// EF.ATR/INFO (`2F01`) saying "extended Lc/Le, responses up to `max_response` bytes"
/// (ISO/IEC 7816-4 §12.7.1): card capabilities `47` and extended length information `7F66`.
fn ef_atr_info(max_response: u16) -> Vec<u8> {
    let [hi, lo] = max_response.to_be_bytes();
    vec![0x47, 0x03, 0x00, 0x00, 0x40, 0x7F, 0x66, 0x08, 0x02, 0x02, 0x0F, 0xFF, 0x02, 0x02, hi, lo]
}

#[test]
fn extended_length_is_detected_from_ef_atr_info_and_remembered() {
    use mrtdd::protocol::extended_length::{Decision, ExtendedLength, Hints, Source};
    let with_info = || DocumentBuilder::td3_specimen().large_dg2(40_000).mf_file(0x2F01, ef_atr_info(0x1000)).build();
    let without_info = || DocumentBuilder::td3_specimen().large_dg2(40_000).build();
    let auto = |remembered: Option<Decision>| ReadOptions {
        extended_length: ExtendedLength::Auto(Hints { remembered, ..Hints::default() }),
        ..ReadOptions::default()
    };
    let forced =
        ReadOptions { limits: ReadLimits { extended_length: true, ..ReadLimits::default() }, ..ReadOptions::default() };

    let (short, _) = read(without_info().unwrap(), &ReadOptions::default());
    let (always, _) = read(with_info().unwrap(), &forced);
    // The chip says yes in EF.ATR/INFO: one more APDU (that READ BINARY), then extended reads
    // in chunks that fit its 4 096-byte responses.
    let (detected, _) = read(with_info().unwrap(), &auto(None));
    assert_all_hashes_valid(&detected);
    assert_eq!(
        detected.extended_length,
        Decision { enabled: true, max_response: Some(0x1000), source: Source::AtrInfo }
    );
    assert!(detected.stats.apdus <= always.stats.apdus + 1, "{} vs {}", detected.stats.apdus, always.stats.apdus);
    assert!(detected.stats.apdus * 4 < short.stats.apdus, "{} vs {}", detected.stats.apdus, short.stats.apdus);
    // Remembered for the card: no EF.ATR/INFO read the second time.
    let (again, _) = read(with_info().unwrap(), &auto(Some(detected.extended_length)));
    assert_all_hashes_valid(&again);
    assert_eq!(again.extended_length.source, Source::Remembered);
    assert_eq!(again.stats.apdus + 1, detected.stats.apdus);
    // No EF.ATR/INFO: short APDUs, at the cost of that one READ BINARY (answered 6A82).
    let (undetected, _) = read(without_info().unwrap(), &auto(None));
    assert_all_hashes_valid(&undetected);
    assert_eq!(
        undetected.extended_length,
        Decision { enabled: false, max_response: None, source: Source::NoIndication }
    );
    assert_eq!(undetected.stats.apdus, short.stats.apdus + 1);
    // A reader that passes only short APDUs rules it out before any APDU.
    let small_reader = ReadOptions {
        extended_length: ExtendedLength::Auto(Hints { reader_max_apdu: Some(261), ..Hints::default() }),
        ..ReadOptions::default()
    };
    let (by_reader, _) = read(with_info().unwrap(), &small_reader);
    assert_eq!(by_reader.extended_length.source, Source::Reader);
    assert_eq!(by_reader.stats.apdus, short.stats.apdus);
}

#[test]
fn extended_length_chunks_fit_the_chips_largest_response() {
    use mrtdd::protocol::extended_length::{ExtendedLength, Hints};
    // Responses of at most 1 024 bytes: chunks shrink to fit, so more APDUs than with 4 096.
    let doc =
        |max| DocumentBuilder::td3_specimen().large_dg2(40_000).mf_file(0x2F01, ef_atr_info(max)).build().unwrap();
    let auto = ReadOptions { extended_length: ExtendedLength::Auto(Hints::default()), ..ReadOptions::default() };
    let (small, _) = read(doc(1024), &auto);
    let (large, _) = read(doc(0x1000), &auto);
    assert_all_hashes_valid(&small);
    assert_eq!(small.extended_length.max_response, Some(1024));
    assert!(small.stats.apdus > large.stats.apdus + 20, "{} vs {}", small.stats.apdus, large.stats.apdus);
}

#[test]
fn only_requested_data_groups_are_read() {
    let options = ReadOptions { data_groups: Some(vec![DataGroup::DG1, DataGroup::DG13]), ..ReadOptions::default() };
    let (read, _) = read(Document::cccd_demo().unwrap(), &options);
    let read_dgs: Vec<DataGroup> = read.hashes.data_groups.keys().copied().collect();
    assert_eq!(read_dgs, [DataGroup::DG1, DataGroup::DG13]);
    assert!(read.portrait.is_none());
}

#[test]
fn dg3_asked_for_is_denied_not_fatal() {
    let options = ReadOptions { data_groups: Some(vec![DataGroup::DG1, DataGroup::DG3]), ..ReadOptions::default() };
    let (read, _) = read(Document::cccd_demo().unwrap(), &options);
    assert_eq!(read.denied, [FileId::Dg(DataGroup::DG3)]);
    assert_eq!(read.hashes.data_groups.get(&DataGroup::DG1), Some(&HashCheck::Valid));
}

#[test]
fn missing_data_group_is_recorded_as_absent() {
    // DG15 removed from the chip but still listed in EF.COM and the SOD.
    let doc = DocumentBuilder::cccd_demo().remove_file(dg_fid(15)).build().unwrap();
    let (read, _) = read(doc, &ReadOptions::default());
    assert_eq!(read.absent, [FileId::Dg(DataGroup::DG15)]);
    assert_eq!(read.hashes.listed_but_not_read, [DataGroup::DG15]);
}

struct Recorder {
    events: Vec<(FileId, usize, usize)>,
    cancel_after: Option<usize>,
}

impl ReadHooks for Recorder {
    fn cancelled(&self) -> bool {
        self.cancel_after.is_some_and(|n| self.events.len() >= n)
    }
    fn progress(&mut self, file: FileId, bytes: usize, total: usize) {
        self.events.push((file, bytes, total));
    }
}

#[test]
fn progress_is_reported_and_cancellation_stops_between_apdus() {
    let doc = Document::cccd_demo().unwrap();
    let key = key(&doc);
    let mut chip = SoftwareChip::new(doc);
    let mut hooks = Recorder { events: vec![], cancel_after: None };
    read_document(&mut chip, &key, &ReadOptions::default(), &mut hooks).unwrap();
    assert_eq!(hooks.events.first().map(|e| e.0), Some(FileId::CardAccess));
    for w in hooks.events.windows(2) {
        if w[0].0 == w[1].0 {
            assert!(w[1].1 > w[0].1, "progress grows within a file");
        }
    }
    let dg2: Vec<_> = hooks.events.iter().filter(|e| e.0 == FileId::Dg(DataGroup::DG2)).collect();
    assert!(dg2.len() > 2);
    assert_eq!(dg2.last().map(|e| e.1), dg2.last().map(|e| e.2));

    let doc = Document::cccd_demo().unwrap();
    let key = mrtdd::protocol::session::AccessKey::Mrz(Mrz::parse(doc.mrz()).unwrap().bac_key());
    let mut chip = SoftwareChip::new(doc);
    let mut hooks = Recorder { events: vec![], cancel_after: Some(3) };
    let err = read_document(&mut chip, &key, &ReadOptions::default(), &mut hooks).unwrap_err();
    assert_eq!(err, mrtdd::protocol::Error::Cancelled);
    let sent = chip.apdu_count();
    assert!(sent < 20, "stopped early: {sent}");
}

#[test]
fn wrong_key_is_access_denied() {
    let doc = Document::cccd_demo().unwrap();
    let mut chip = SoftwareChip::new(doc);
    let key = AccessKey::Mrz(mrtdd::protocol::mrz::BacKey::new("095012346", "950312", "350312").unwrap());
    let err = read_document(&mut chip, &key, &ReadOptions::default(), &mut NoHooks).unwrap_err();
    assert_eq!(err, mrtdd::protocol::Error::AccessDenied(mrtdd::protocol::apdu::StatusWord::VERIFICATION_FAILED));
}
