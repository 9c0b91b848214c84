//! Checking data groups against the security object: the hash step of passive
//! authentication (ICAO 9303-11 §5.1, steps 3–4; result model after BSI
//! TR-03135-1 §5.6.4.4: per data group "identical", "not identical", "not
//! present in the SOD").
//!
//! Each data group read from the chip is hashed, whole file as read (tag,
//! length and value), with the SOD's hash algorithm and compared in constant
//! time with the value the SOD lists for it. The SOD's signature and the
//! certificate chain are checked elsewhere; a matching hash proves nothing
//! until the signature over the SOD is valid.
//!
//! Decisions:
//! - A data group read but not listed in the SOD is [`HashCheck::NotInSod`]
//!   (a failure: HOSTILE 20). Listed but not read goes to
//!   [`HashReport::listed_but_not_read`] (not an error: DG3 is normally
//!   unreadable without Terminal Authentication).
//! - If the SOD's hash algorithm is not one we implement, no data group can
//!   be checked: listed ones are [`HashCheck::Undetermined`] and
//!   [`HashReport::algorithm_supported`] is false (HOSTILE 23). Nothing is
//!   ever reported valid without a computed, matching hash.
//! - A listed hash whose length differs from the algorithm's output is
//!   [`HashCheck::Invalid`].
//! - If the same data group is passed twice, any mismatch makes it invalid.
//!
//! # The rest of passive authentication (docs/pki.md)
//! - [`signature`]: the SOD signature (ICAO 9303-11 §5.1 step 2; RFC 5652
//!   §5.4) — RSA PKCS#1 v1.5 and PSS, ECDSA on the six ICAO curves, explicit
//!   EC parameters mapped to named curves;
//! - [`chain`]: the CSCA → document signer path, CRLs and profile checks
//!   against [`TrustAnchors`] (step 1);
//! - [`master_list`]: CSCA master lists and their own signatures;
//! - [`assess`]: the overall [`Status`] and [`verify_sod`], which the session calls.

pub mod assess;
pub mod chain;
mod der;
pub mod master_list;
pub mod signature;

pub use assess::{PassiveReport, Status, assess, verify_sod};
pub use chain::{ChainCheck, ChainMode, ChainReport, ChainWarning, TrustAnchors};
pub use signature::SignatureCheck;

use std::collections::BTreeMap;

use crate::protocol::crypto::ct_eq;
use crate::protocol::lds::DataGroup;
use crate::protocol::lds::sod::Sod;

/// The outcome of checking one data group's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashCheck {
    /// The hash matches the SOD.
    Valid,
    /// The hash differs from the SOD's (the data group must not be trusted).
    Invalid,
    /// The SOD lists no hash for this data group (a failure).
    NotInSod,
    /// The SOD lists it, but its hash algorithm is not supported: not checked.
    Undetermined,
}

impl HashCheck {
    /// The API spelling: `valid`, `invalid`, `not_in_sod`, `undetermined`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::NotInSod => "not_in_sod",
            Self::Undetermined => "undetermined",
        }
    }
    /// True only for [`HashCheck::Valid`].
    pub fn is_valid(self) -> bool {
        self == Self::Valid
    }
}

/// The hash checks of one read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HashReport {
    /// One entry per data group read.
    pub data_groups: BTreeMap<DataGroup, HashCheck>,
    /// Data groups the SOD lists that were not read (in SOD order).
    pub listed_but_not_read: Vec<DataGroup>,
    /// False when the SOD's hash algorithm is not implemented (nothing could be checked).
    pub algorithm_supported: bool,
}

impl HashReport {
    /// True if every data group read was checked and matches.
    pub fn all_valid(&self) -> bool {
        self.algorithm_supported && self.data_groups.values().all(|c| c.is_valid())
    }
    /// True if some data group is invalid or not in the SOD.
    pub fn any_failed(&self) -> bool {
        self.data_groups.values().any(|c| matches!(c, HashCheck::Invalid | HashCheck::NotInSod))
    }
}

/// Checks the data groups `read` (number and whole file bytes) against `sod`.
pub fn check_hashes<'a>(sod: &Sod, read: impl IntoIterator<Item = (DataGroup, &'a [u8])>) -> HashReport {
    let algorithm = sod.digest_algorithm.supported();
    let mut data_groups: BTreeMap<DataGroup, HashCheck> = BTreeMap::new();
    for (dg, bytes) in read {
        let check = match (sod.hash_of(dg), algorithm) {
            (None, _) => HashCheck::NotInSod,
            (Some(_), None) => HashCheck::Undetermined,
            (Some(expected), Some(h)) => {
                if ct_eq(&h.digest(bytes), expected) {
                    HashCheck::Valid
                } else {
                    HashCheck::Invalid
                }
            }
        };
        let entry = data_groups.entry(dg).or_insert(check);
        if check != HashCheck::Valid {
            *entry = check;
        }
    }
    let listed_but_not_read =
        sod.data_group_hashes.iter().map(|(dg, _)| *dg).filter(|dg| !data_groups.contains_key(dg)).collect();
    HashReport { data_groups, listed_but_not_read, algorithm_supported: algorithm.is_some() }
}

/// Checks the SignerInfo's signed attributes against the eContent (RFC 5652
/// §5.3–§5.4, §11.1–§11.2; ICAO conformity test LDS_D_17, HOSTILE 21): the
/// messageDigest attribute must equal the hash of the eContent under the
/// SignerInfo's digest algorithm, and the contentType attribute must name the
/// LDS security object.
///
/// - `None`: nothing to check (no signed attributes: the signature covers the
///   eContent itself) or not checkable (the digest algorithm is unsupported —
///   undetermined, never a pass).
/// - `Some(false)`: signed attributes without messageDigest or contentType,
///   a wrong content type, or a digest mismatch.
/// - `Some(true)`: both attributes present and right. The signature over
///   [`SignerInfo::signed_attrs_der`](crate::protocol::lds::sod::SignerInfo::signed_attrs_der)
///   must still be verified.
pub fn check_signed_attributes(sod: &Sod) -> Option<bool> {
    let si = &sod.signer_info;
    si.signed_attrs_der.as_ref()?;
    let algorithm = si.digest_algorithm.supported()?;
    let (Some(expected), Some(content_type)) = (&si.message_digest, &si.content_type) else {
        return Some(false);
    };
    if content_type != LDS_SECURITY_OBJECT_OID {
        return Some(false);
    }
    Some(ct_eq(&algorithm.digest(&sod.encapsulated_content), expected))
}

/// id-icao-mrtd-security-ldsSecurityObject (ICAO 9303-10 §4.6.2.2), dotted.
const LDS_SECURITY_OBJECT_OID: &str = "2.23.136.1.1.1";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::lds::sod::build::{self, MD5, SHA256};
    use crate::protocol::lds::sod::{self, HashAlgorithm};

    const DG1: &[u8] = b"\x61\x03\x5F\x1F\x00";
    const DG2: &[u8] = b"\x75\x02\x7F\x61";

    fn sod_for(files: &[(u32, &[u8])]) -> Sod {
        sod::parse(&build::sod(files)).unwrap()
    }

    #[test]
    fn matching_hashes_are_valid() {
        let s = sod_for(&[(1, DG1), (2, DG2), (3, b"dg3")]);
        let r = check_hashes(&s, [(DataGroup::DG1, DG1), (DataGroup::DG2, DG2)]);
        assert_eq!(r.data_groups.get(&DataGroup::DG1), Some(&HashCheck::Valid));
        assert_eq!(r.data_groups.get(&DataGroup::DG2), Some(&HashCheck::Valid));
        assert_eq!(r.listed_but_not_read, [DataGroup::DG3]);
        assert!(r.algorithm_supported);
        assert!(r.all_valid());
        assert!(!r.any_failed());
    }

    /// HOSTILE 19: a wrong DG2 hash fails DG2 only.
    #[test]
    fn hostile_19_wrong_dg2_hash_fails_dg2_only() {
        let s = sod_for(&[(1, DG1), (2, DG2)]);
        let mut tampered = DG2.to_vec();
        tampered[3] ^= 1;
        let r = check_hashes(&s, [(DataGroup::DG1, DG1), (DataGroup::DG2, tampered.as_slice())]);
        assert_eq!(r.data_groups.get(&DataGroup::DG1), Some(&HashCheck::Valid));
        assert_eq!(r.data_groups.get(&DataGroup::DG2), Some(&HashCheck::Invalid));
        assert!(r.any_failed() && !r.all_valid());
    }

    /// HOSTILE 20: a data group read but not in the SOD fails.
    #[test]
    fn hostile_20_not_in_sod() {
        let s = sod_for(&[(1, DG1)]);
        let r = check_hashes(&s, [(DataGroup::DG1, DG1), (DataGroup::DG13, b"x".as_slice())]);
        assert_eq!(r.data_groups.get(&DataGroup::DG13), Some(&HashCheck::NotInSod));
        assert_eq!(HashCheck::NotInSod.as_str(), "not_in_sod");
        assert!(r.any_failed());
    }

    /// HOSTILE 23: an unsupported algorithm never yields "valid".
    #[test]
    fn hostile_23_unsupported_algorithm_is_undetermined() {
        let e = build::lds_security_object(MD5, &[(1, vec![0; 16])], false);
        let s = sod::parse(&build::sod_with(&e, None, &build::signer_info(None, &[1]))).unwrap();
        let r = check_hashes(&s, [(DataGroup::DG1, DG1), (DataGroup::DG2, DG2)]);
        assert!(!r.algorithm_supported);
        assert_eq!(r.data_groups.get(&DataGroup::DG1), Some(&HashCheck::Undetermined));
        assert_eq!(r.data_groups.get(&DataGroup::DG2), Some(&HashCheck::NotInSod));
        assert!(r.data_groups.values().all(|c| !c.is_valid()));
        assert!(!r.all_valid());
    }

    #[test]
    fn wrong_length_hash_is_invalid() {
        let truncated = HashAlgorithm::Sha256.digest(DG1)[..20].to_vec();
        let e = build::lds_security_object(SHA256, &[(1, truncated)], false);
        let s = sod::parse(&build::sod_with(&e, None, &build::signer_info(None, &[1]))).unwrap();
        let r = check_hashes(&s, [(DataGroup::DG1, DG1)]);
        assert_eq!(r.data_groups.get(&DataGroup::DG1), Some(&HashCheck::Invalid));
    }

    #[test]
    fn duplicate_input_any_mismatch_wins() {
        let s = sod_for(&[(1, DG1)]);
        let r = check_hashes(&s, [(DataGroup::DG1, DG1), (DataGroup::DG1, b"other".as_slice()), (DataGroup::DG1, DG1)]);
        assert_eq!(r.data_groups.get(&DataGroup::DG1), Some(&HashCheck::Invalid));
    }

    /// HOSTILE 21 (second half): messageDigest ≠ hash(eContent) fails.
    #[test]
    fn signed_attributes_against_econtent() {
        let s = sod_for(&[(1, DG1)]);
        assert_eq!(check_signed_attributes(&s), Some(true));
        let e = build::lds_security_object(SHA256, &[(1, vec![0; 32])], false);
        let wrong = build::signed_attrs_content(&HashAlgorithm::Sha256.digest(b"something else"));
        let s = sod::parse(&build::sod_with(&e, None, &build::signer_info(Some(&wrong), &[1]))).unwrap();
        assert_eq!(check_signed_attributes(&s), Some(false));
        // No signed attributes: nothing to check here.
        let s = sod::parse(&build::sod_with(&e, None, &build::signer_info(None, &[1]))).unwrap();
        assert_eq!(check_signed_attributes(&s), None);
        // Signed attributes without messageDigest.
        let only_ct = build::signed_attrs_content(&[0; 32]);
        let only_ct = &only_ct[..only_ct.len() - 49]; // drop the messageDigest attribute (49 bytes)
        let s = sod::parse(&build::sod_with(&e, None, &build::signer_info(Some(only_ct), &[1]))).unwrap();
        assert_eq!(s.signer_info.message_digest, None);
        assert!(s.signer_info.content_type.is_some());
        assert_eq!(check_signed_attributes(&s), Some(false));
    }

    #[test]
    fn names() {
        let names: Vec<&str> = [HashCheck::Valid, HashCheck::Invalid, HashCheck::NotInSod, HashCheck::Undetermined]
            .iter()
            .map(|c| c.as_str())
            .collect();
        assert_eq!(names, ["valid", "invalid", "not_in_sod", "undetermined"]);
    }
}

/// Cross-checks the LDS parsers and the hash check against the software
/// chip's documents (an independent writer of EF.COM, DG1/2/13 and a really
/// signed EF.SOD).
#[cfg(test)]
#[cfg(feature = "software-chip")]
mod software_chip_documents {
    use super::*;
    use crate::chip::{Document, DocumentBuilder, HashAlgorithm as ChipHash};
    use crate::protocol::lds::{self, FileId, sod::HashAlgorithm};

    fn check(doc: &Document) -> (Sod, HashReport) {
        let com = lds::com::parse(doc.file(FileId::Com.fid()).unwrap()).unwrap();
        let sod = lds::sod::parse(doc.file(FileId::Sod.fid()).unwrap()).unwrap();
        let read: Vec<(DataGroup, &[u8])> =
            com.data_groups.iter().filter_map(|dg| doc.file(dg.fid()).map(|b| (*dg, b))).collect();
        assert!(!read.is_empty());
        let report = check_hashes(&sod, read);
        // The messageDigest attribute is the hash of the eContent.
        let si = &sod.signer_info;
        let h = si.digest_algorithm.supported().unwrap();
        assert_eq!(si.message_digest.as_deref(), Some(h.digest(&sod.encapsulated_content).as_slice()));
        assert_eq!(si.content_type.as_deref(), Some("2.23.136.1.1.1"));
        assert_eq!(si.signed_attrs_der.as_ref().and_then(|d| d.first()), Some(&0x31));
        (sod, report)
    }

    #[test]
    fn demo_cccd_parses_and_every_hash_matches() {
        let doc = Document::cccd_demo().unwrap();
        let (sod, report) = check(&doc);
        assert!(report.all_valid(), "{report:?}");
        assert!(report.data_groups.contains_key(&DataGroup::DG13));
        assert_eq!(sod.document_signer.as_deref(), Some(doc.document_signer_certificate()));
        let cccd = lds::dg13::parse(doc.file(DataGroup::DG13.fid()).unwrap()).unwrap();
        assert_eq!(cccd.id_number.as_deref(), Some("001095012345"));
        assert_eq!(cccd.full_name.as_deref(), Some("Nguyễn Văn An"));
        assert_eq!(cccd.date_of_birth.as_deref(), Some("1995-03-12"));
        assert_eq!(cccd.date_of_issue.as_deref(), Some("2021-06-01"));
        assert_eq!(cccd.date_of_expiry.as_deref(), Some("2035-03-12"));
        let portrait = lds::dg2::parse(doc.file(DataGroup::DG2.fid()).unwrap()).unwrap().unwrap();
        assert_eq!(portrait.image_type.mime_type(), "image/jpeg");
        assert_eq!(crate::chip::jpeg_dimensions(&portrait.image), Some((portrait.width, portrait.height)));
    }

    #[test]
    fn specimen_passport_and_every_hash_algorithm() {
        let (_, report) = check(&Document::td3_specimen().unwrap());
        assert!(report.all_valid(), "{report:?}");
        for (chip_hash, ours) in ChipHash::ALL.into_iter().zip([
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha224,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ]) {
            let doc = DocumentBuilder::cccd_demo().sod_hash(chip_hash).build().unwrap();
            let (sod, report) = check(&doc);
            assert_eq!(sod.digest_algorithm.supported(), Some(ours));
            assert!(report.all_valid(), "{ours:?}: {report:?}");
        }
    }

    #[test]
    fn signed_attributes_of_chip_documents() {
        let (sod, _) = check(&Document::cccd_demo().unwrap());
        assert_eq!(check_signed_attributes(&sod), Some(true));
        let doc = DocumentBuilder::cccd_demo().wrong_message_digest().build().unwrap();
        let sod = lds::sod::parse(doc.file(FileId::Sod.fid()).unwrap()).unwrap();
        assert_eq!(check_signed_attributes(&sod), Some(false));
    }

    /// The SOD signature and chain of the chip's documents, with their CSCA trusted.
    #[test]
    fn signature_and_chain_of_chip_documents() {
        use crate::protocol::verify::chain::{ChainCheck, ChainMode, TrustAnchors};
        let doc = Document::cccd_demo().unwrap();
        let (sod, report) = check(&doc);
        let mut trust = TrustAnchors::new();
        trust.add_certificate(doc.csca_certificate()).unwrap();
        // 2026-01-01: within the demo PKI's validity.
        let now = 1_767_225_600;
        let passive = verify_sod(&sod, &trust, now, Some("VNM"), ChainMode::Strict);
        assert_eq!(passive.signature, SignatureCheck::Valid);
        assert_eq!(passive.chain.result, ChainCheck::Trusted, "{:?}", passive.chain);
        assert!(passive.chain.warnings.is_empty(), "{:?}", passive.chain);
        assert_eq!(assess(&report, &[], passive.signature, &passive.chain), Status::Passed);
        let untrusted = verify_sod(&sod, &TrustAnchors::new(), now, Some("VNM"), ChainMode::Lenient);
        assert_eq!(untrusted.chain.result, ChainCheck::UnknownIssuer);
        assert_eq!(assess(&report, &[], untrusted.signature, &untrusted.chain), Status::Undetermined);
    }

    #[test]
    fn tampered_dg2_is_invalid() {
        let doc = Document::cccd_demo().unwrap();
        let mut dg2 = doc.file(DataGroup::DG2.fid()).unwrap().to_vec();
        let last = dg2.len() - 3;
        dg2[last] ^= 1;
        let doc = DocumentBuilder::cccd_demo().tamper_file(DataGroup::DG2.fid(), dg2).build().unwrap();
        let (_, report) = check(&doc);
        assert_eq!(report.data_groups.get(&DataGroup::DG2), Some(&HashCheck::Invalid));
        assert_eq!(report.data_groups.get(&DataGroup::DG1), Some(&HashCheck::Valid));
    }
}

/// Writes the named seed files of the fuzz corpus (`fuzz/corpus/<target>/`)
/// from this crate's test builders. Seeds named `valid-*` must parse (EF.SOD:
/// with indefinite lengths allowed) and `invalid-*` must not (checked by `tests/fuzz_corpus.rs`); run with
/// `cargo test --lib write_fuzz_seeds -- --ignored` after changing a builder.
#[cfg(test)]
mod fuzz_seeds {
    use crate::protocol::lds::sod::build as sod;
    use crate::protocol::lds::{dg2::build as dg2, dg13::build as dg13};
    use crate::protocol::tlv::tlv;

    fn com(tags: &[u8]) -> Vec<u8> {
        tlv(0x60, &[tlv(0x5F01, b"0107"), tlv(0x5F36, b"040000"), tlv(0x5C, tags)].concat())
    }

    fn dg1(mrz: &str) -> Vec<u8> {
        tlv(0x61, &tlv(0x5F1F, mrz.as_bytes()))
    }

    /// A counted list `A0 { 02 count, entry_tag entry... }` (ICAO 9303-10 §4.7.11, §4.7.12).
    fn counted_list(entry_tag: u32, count: u8, entries: &[&[u8]]) -> Vec<u8> {
        let entries: Vec<u8> = entries.iter().flat_map(|e| tlv(entry_tag, e)).collect();
        tlv(0xA0, &[tlv(0x02, &[count]), entries].concat())
    }

    /// DG11 (ICAO 9303-10 §4.7.11) with the other names as a counted list
    /// and the full date of birth in packed BCD.
    fn dg11_other_names(count: u8, names: &[&[u8]]) -> Vec<u8> {
        tlv(
            0x6B,
            &[
                tlv(0x5C, &[0x5F, 0x0E, 0xA0, 0x5F, 0x2B]),
                tlv(0x5F0E, b"ERIKSSON<<ANNA<MARIA"),
                counted_list(0x5F0F, count, names),
                tlv(0x5F2B, &[0x19, 0x74, 0x08, 0x12]),
            ]
            .concat(),
        )
    }

    /// DG12 (§4.7.12) with the other persons as a counted list and the date of issue in packed BCD.
    fn dg12_other_persons(count: u8, persons: &[&[u8]]) -> Vec<u8> {
        tlv(
            0x6C,
            &[
                tlv(0x5C, &[0x5F, 0x19, 0xA0, 0x5F, 0x26]),
                tlv(0x5F19, b"UTOPIA PASSPORT OFFICE"),
                counted_list(0x5F1A, count, persons),
                tlv(0x5F26, &[0x20, 0x12, 0x04, 0x15]),
            ]
            .concat(),
        )
    }

    /// A response to the `sm_unwrap` harness's SELECT (ICAO 9303-11 Appendix
    /// D.4 keys, response SSC `...C228`), protected as a chip would: DO'87'
    /// holding `cryptogram` (3DES-CBC, IV 0, after the padding-content
    /// indicator 01) if given, DO'99' if given, and a valid DO'8E' over both
    /// (§9.8.6). Without a valid MAC, mutation never gets past the MAC check
    /// to the decryption, unpadding and cryptogram-length checks. Not the
    /// software chip's `SmSession::wrap_response`: it cannot put a MAC on a
    /// cryptogram of a partial block or of none.
    fn protected_response(cryptogram: Option<&[u8]>, status: Option<[u8; 2]>) -> Vec<u8> {
        use crate::protocol::crypto::{pad, retail_mac};
        let ks_mac = [0xF1, 0xCB, 0x1F, 0x1F, 0xB5, 0xAD, 0xF2, 0x08, 0x80, 0x6B, 0x89, 0xDC, 0x57, 0x9D, 0xC1, 0xF8];
        let ssc = [0x88, 0x70, 0x22, 0x12, 0x0C, 0x06, 0xC2, 0x28];
        let mut objects = Vec::new();
        if let Some(c) = cryptogram {
            objects.extend(tlv(0x87, &[&[0x01][..], c].concat()));
        }
        if let Some(sw) = status {
            objects.extend(tlv(0x99, &sw));
        }
        let mac = retail_mac(&ks_mac, &pad(&[&ssc[..], &objects].concat(), 8)).unwrap();
        [objects, tlv(0x8E, &mac), vec![0x90, 0x00]].concat()
    }

    /// `plain` encrypted under the `sm_unwrap` harness's KS_Enc (3DES-CBC, IV 0), unpadded.
    fn des3_cryptogram(plain: &[u8]) -> Vec<u8> {
        let ks_enc = [0x97, 0x9E, 0xC1, 0x3B, 0x1C, 0xBF, 0xE9, 0xDC, 0xD0, 0x1A, 0xB0, 0xFE, 0xD3, 0x07, 0xEA, 0xE5];
        let mut out = plain.to_vec();
        crate::protocol::crypto::des3_cbc_encrypt(&ks_enc, &[0; 8], &mut out).unwrap();
        out
    }

    fn with_outer_len(mut bytes: Vec<u8>, delta: i8) -> Vec<u8> {
        bytes[1] = bytes[1].wrapping_add_signed(delta);
        bytes
    }

    fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
        let cccd_com = com(&[0x61, 0x75, 0x63, 0x6D, 0x6E, 0x6F]);
        let td1 = "IDVNM0930470641001093047064<<29301054M3301052VNM<<<<<<<<<<<8UNG<<HOANG<HIEP<<<<<<<<<<<<<<<";
        let td3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10";
        let jpeg = dg2::dg2(Some(&dg2::facial_record(0, 480, 640, 0, &dg2::fake_jpeg(300))));
        let jp2_image = [&[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A][..], &[7; 60]].concat();
        let jp2 = dg2::dg2(Some(&dg2::facial_record(1, 240, 320, 2, &jp2_image)));
        let mut dg2_overrun = jpeg.clone();
        dg2_overrun[6] += 1; // the 7F61 length
        let mut dg2_huge_block = dg2::facial_record(0, 1, 1, 0, &dg2::fake_jpeg(40));
        dg2_huge_block[14..18].copy_from_slice(&[0xFF; 4]);
        let demo13 = dg13::demo();
        let both = tlv(0x30, &[dg13::utf8("Ưng Văn Cha"), dg13::utf8("Lê Thị Mẹ")].concat());
        let mut deep = dg13::utf8("x");
        for _ in 0..40 {
            deep = tlv(0x30, &deep);
        }
        let sod_ok = sod::sod(&[(1, &dg1(td1)), (2, &jpeg), (13, &demo13)]);
        let md5 = sod::lds_security_object(sod::MD5, &[(1, vec![1; 16])], false);
        let dg17 = sod::lds_security_object(sod::SHA256, &[(17, vec![1; 32])], false);
        let mut sod_trailing = sod_ok.clone();
        sod_trailing.push(0);
        let lds_v1 = sod::lds_security_object(sod::SHA256, &[(1, vec![1; 32]), (16, vec![2; 32])], true);
        let empty_hash = sod::lds_security_object(sod::SHA256, &[(1, Vec::new())], false);
        let mut sod_too_large = sod_ok.clone();
        sod_too_large.resize(crate::protocol::lds::sod::MAX_SOD_SIZE + 1, 0);
        let ef_com_plain = crate::protocol::crypto::pad(&cccd_com, 8);
        let mut sod_indefinite = vec![0x77, 0x80];
        sod_indefinite.extend_from_slice(&sod_ok[4..]);
        sod_indefinite.extend([0, 0]);
        // A contactless ATR (PC/SC Part 3 §3.1.3.2.3.1) around historical bytes, with its TCK.
        let atr = |hist: &[u8]| {
            let mut atr = [&[0x3B, 0x80 | hist.len() as u8, 0x80, 0x01][..], hist].concat();
            atr.push(atr.iter().skip(1).fold(0, |a, b| a ^ b));
            atr
        };
        // EF.ATR/INFO's extended length information (ISO/IEC 7816-4 §12.7.1): largest command and response.
        let ext_info =
            |command: &[u8], response: &[u8]| tlv(0x7F66, &[tlv(0x02, command), tlv(0x02, response)].concat());
        vec![
            ("com", "valid-cccd", cccd_com.clone()),
            ("com", "valid-passport", com(&[0x61, 0x75, 0x6F, 0x6E])),
            ("com", "valid-tag-list-only", tlv(0x60, &tlv(0x5C, &[0x61, 0x75, 0x61, 0x99]))),
            ("com", "invalid-hostile-1-tag-61", [&[0x61], &cccd_com[1..]].concat()),
            ("com", "invalid-hostile-2-length-too-small", with_outer_len(cccd_com.clone(), -1)),
            ("com", "invalid-hostile-2-length-too-big", with_outer_len(cccd_com.clone(), 1)),
            ("com", "invalid-hostile-6-indefinite", [&[0x60, 0x80], &cccd_com[2..], &[0, 0]].concat()),
            ("com", "invalid-hostile-6-five-byte-length", [&[0x60, 0x85, 0, 0, 0, 0, 0x18], &cccd_com[2..]].concat()),
            ("com", "invalid-hostile-6-non-minimal", [&[0x60, 0x81, 0x18], &cccd_com[2..]].concat()),
            ("tlv", "valid-com", cccd_com.clone()),
            ("tlv", "valid-dg2", jpeg.clone()),
            ("tlv", "valid-sod", sod_ok.clone()),
            ("tlv", "invalid-hostile-3-4gb-length", vec![0x61, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x5F, 0x1F]),
            ("tlv", "invalid-hostile-5-child-overrun", vec![0x61, 0x04, 0x5F, 0x1F, 0x05, 0x41]),
            ("tlv", "invalid-hostile-6-indefinite", vec![0x61, 0x80, 0x5F, 0x1F, 0x01, 0x41, 0x00, 0x00]),
            ("tlv", "invalid-long-tag", vec![0x5F, 0x80, 0x80, 0x01, 0x00]),
            ("dg1", "valid-cccd-td1", dg1(td1)),
            ("dg1", "valid-td3", dg1(td3)),
            ("dg1", "invalid-hostile-3-4gb-length", vec![0x61, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x5F, 0x1F]),
            ("dg1", "invalid-wrong-tag", [&[0x60], &dg1(td1)[1..]].concat()),
            ("dg1", "invalid-short-mrz", dg1(&td1[..89])),
            ("dg2", "valid-jpeg", jpeg.clone()),
            ("dg2", "valid-jpeg2000", jp2),
            ("dg2", "valid-hostile-13-image-size-0", dg2::dg2(Some(&dg2::facial_record(0, 480, 640, 0, &[])))),
            ("dg2", "valid-hostile-13-no-5f2e", dg2::dg2(None)),
            ("dg2", "invalid-hostile-5-child-overrun", dg2_overrun),
            ("dg2", "invalid-block-length-4gb", dg2::dg2(Some(&dg2_huge_block))),
            ("dg13", "valid-demo", demo13.clone()),
            ("dg13", "valid-parents-one-sequence", dg13::dg13(&[dg13::field(13, &both)])),
            ("dg13", "valid-printable", dg13::dg13(&[dg13::field(1, &dg13::printable("001095012345"))])),
            ("dg13", "invalid-deep-nesting", dg13::dg13(&[dg13::field(2, &deep)])),
            (
                "dg13",
                "invalid-duplicate-key",
                dg13::dg13(&[dg13::field(2, &dg13::utf8("A")), dg13::field(2, &dg13::utf8("B"))]),
            ),
            ("dg13", "invalid-bad-utf8", dg13::dg13(&[dg13::field(2, &tlv(0x0C, &[0xC3, 0x28]))])),
            ("sod", "valid-sha256", sod_ok.clone()),
            ("sod", "valid-hostile-23-md5", sod::sod_with(&md5, None, &sod::signer_info(None, &[1]))),
            ("sod", "invalid-dg17", sod::sod_with(&dg17, None, &sod::signer_info(None, &[1]))),
            ("sod", "invalid-trailing-byte", sod_trailing),
            ("sod", "valid-hostile-6-77-indefinite-lenient", sod_indefinite),
            ("sod", "valid-ber-envelope-lenient", sod::ber_sod(&[(1, b"a"), (2, b"b")], None, true).0),
            ("sod", "valid-ber-envelope-no-eoc-lenient", sod::ber_sod(&[(1, b"a")], None, false).0),
            // LDS 1.8: LDSSecurityObject version 1 with ldsVersionInfo (ICAO 9303-10 §4.6.2.2).
            ("sod", "valid-v1-lds-version-info", sod::sod_with(&lds_v1, None, &sod::signer_info(None, &[1]))),
            ("sod", "invalid-empty-hash", sod::sod_with(&empty_hash, None, &sod::signer_info(None, &[1]))),
            ("sod", "invalid-larger-than-max-sod-size", sod_too_large),
            ("dg11", "valid-other-names-counted-bcd-date", dg11_other_names(2, &[b"ANNA", b"MARIA"])),
            ("dg11", "invalid-other-names-fewer-than-count", dg11_other_names(3, &[b"ANNA", b"MARIA"])),
            ("dg11", "invalid-other-names-more-than-count", dg11_other_names(1, &[b"ANNA", b"MARIA"])),
            ("dg12", "valid-other-persons-counted-bcd-date", dg12_other_persons(2, &[b"DOE<<JANE", b"DOE<<JOHN"])),
            ("dg12", "invalid-other-persons-fewer-than-count", dg12_other_persons(3, &[b"DOE<<JANE"])),
            (
                "sm_unwrap",
                "valid-do87-ef-com",
                protected_response(Some(&des3_cryptogram(&ef_com_plain)), Some([0x90, 0x00])),
            ),
            ("sm_unwrap", "valid-do87-without-do99", protected_response(Some(&des3_cryptogram(&ef_com_plain)), None)),
            ("sm_unwrap", "valid-do99-warning-6282", protected_response(None, Some([0x62, 0x82]))),
            (
                "sm_unwrap",
                "invalid-do87-bad-padding",
                protected_response(Some(&des3_cryptogram(&[0x41; 16])), Some([0x90, 0x00])),
            ),
            ("sm_unwrap", "invalid-do87-partial-block", protected_response(Some(&[0x41; 7]), Some([0x90, 0x00]))),
            ("sm_unwrap", "invalid-do87-empty", protected_response(Some(&[]), Some([0x90, 0x00]))),
            ("atr_info", "valid-atr-capabilities-extended", atr(&[0x80, 0x73, 0x00, 0x00, 0x40])),
            ("atr_info", "valid-atr-capabilities-short-only", atr(&[0x80, 0x73, 0x00, 0x00, 0x80])),
            ("atr_info", "valid-atr-service-data-first", atr(&[0x80, 0x31, 0xB0, 0x73, 0xF0, 0x00, 0xC0])),
            ("atr_info", "valid-atr-category-00-status", atr(&[0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x90, 0x00])),
            (
                "atr_info",
                "valid-atr-contact-t1",
                vec![0x3B, 0xF5, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45, 0x80, 0x73, 0x00, 0x00, 0x40, 0x5E],
            ),
            ("atr_info", "invalid-atr-no-historical-bytes", atr(&[])),
            ("atr_info", "invalid-atr-td2-missing", vec![0x3B, 0x8F, 0x80]),
            ("atr_info", "invalid-atr-capabilities-two-bytes", atr(&[0x80, 0x72, 0x00, 0x00])),
            (
                "atr_info",
                "valid-ef-atr-info-capabilities-and-lengths",
                [tlv(0x47, &[0x00, 0x00, 0x40]), ext_info(&[0x0F, 0xFF], &[0x10, 0x00]), vec![0x00, 0x00]].concat(),
            ),
            ("atr_info", "valid-ef-atr-info-lengths-only", ext_info(&[0x01, 0x00, 0x00], &[0x01, 0x00, 0x00])),
            ("atr_info", "valid-ef-atr-info-response-too-small", ext_info(&[0x01, 0x00], &[0x01, 0x00])),
            ("atr_info", "valid-ef-atr-info-capabilities-say-no", tlv(0x47, &[0x00, 0x00, 0x00])),
            (
                "atr_info",
                "valid-ef-atr-info-other-objects-ff-padding",
                [tlv(0x4F, &[0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]), tlv(0x47, &[0, 0, 0x40]), vec![0xFF; 4]]
                    .concat(),
            ),
            ("atr_info", "invalid-ef-atr-info-empty", Vec::new()),
            ("atr_info", "invalid-ef-atr-info-length-integer-5-bytes", ext_info(&[1, 0, 0, 0, 0], &[1, 0, 0, 0, 0])),
            ("atr_info", "invalid-ef-atr-info-7f66-without-response", tlv(0x7F66, &tlv(0x02, &[0x10, 0x00]))),
            ("atr_info", "invalid-ef-atr-info-truncated", vec![0x47, 0x03, 0x00]),
            ("response_apdu", "valid-9000", vec![0x90, 0x00]),
            ("response_apdu", "valid-data-9000", [&cccd_com[..], &[0x90, 0x00]].concat()),
            ("response_apdu", "valid-select-ef-com", vec![0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1E]),
            ("response_apdu", "valid-read-binary-extended", vec![0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00]),
            ("response_apdu", "invalid-one-byte", vec![0x90]),
        ]
    }

    /// Files of the software chip's demo CCCD and specimen passport (real JPEG, really signed SOD).
    #[cfg(feature = "software-chip")]
    fn chip_seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
        use crate::chip::Document;
        use crate::protocol::lds::{DataGroup, FileId};
        let cccd = Document::cccd_demo().unwrap();
        let td3 = Document::td3_specimen().unwrap();
        let file = |d: &Document, f: FileId| d.file(f.fid()).unwrap().to_vec();
        vec![
            ("com", "valid-chip-cccd", file(&cccd, FileId::Com)),
            ("dg1", "valid-chip-cccd", file(&cccd, FileId::Dg(DataGroup::DG1))),
            ("dg1", "valid-chip-td3", file(&td3, FileId::Dg(DataGroup::DG1))),
            ("dg2", "valid-chip-cccd", file(&cccd, FileId::Dg(DataGroup::DG2))),
            ("dg13", "valid-chip-cccd", file(&cccd, FileId::Dg(DataGroup::DG13))),
            ("sod", "valid-chip-cccd", file(&cccd, FileId::Sod)),
            ("sod", "valid-chip-td3", file(&td3, FileId::Sod)),
        ]
    }

    #[cfg(not(feature = "software-chip"))]
    fn chip_seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
        Vec::new()
    }

    #[test]
    #[ignore = "writes files; run after changing a builder"]
    fn write_fuzz_seeds() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        let sse = crate::client::sse::fuzz_seeds::fuzz_seeds().into_iter().map(|(name, bytes)| ("sse", name, bytes));
        for (target, name, bytes) in seeds().into_iter().chain(chip_seeds()).chain(sse) {
            let dir = root.join(target);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("{name}.bin")), bytes).unwrap();
        }
    }

    #[test]
    fn seeds_are_well_labelled() {
        use crate::protocol::lds;
        for (target, name, bytes) in seeds().into_iter().chain(chip_seeds()) {
            let ok = match target {
                "com" => lds::com::parse(&bytes).is_ok(),
                "dg1" => lds::dg1::parse(&bytes).is_ok(),
                "dg2" => lds::dg2::parse(&bytes).is_ok(),
                "dg13" => lds::dg13::parse(&bytes).is_ok(),
                "dg11" => lds::dg11::parse(&bytes).is_ok(),
                "dg12" => lds::dg12::parse(&bytes).is_ok(),
                // As in fuzz/harness.rs: an indication in the ATR or in EF.ATR/INFO.
                "atr_info" => {
                    use crate::protocol::extended_length as el;
                    el::atr_card_capabilities(&bytes).is_some()
                        || el::parse_atr_info(&bytes)
                            .is_ok_and(|i| i.extended_lc_le.is_some() || i.max_response.is_some())
                }
                // As in fuzz/harness.rs: indefinite lengths allowed.
                "sod" => lds::sod::parse_with(&bytes, lds::sod::SodOptions { indefinite_lengths: true }).is_ok(),
                _ => continue,
            };
            assert_eq!(ok, name.starts_with("valid-"), "{target}/{name}");
        }
    }
}
