//! Passive authentication end to end against the software chip's documents:
//! the SOD signature for every algorithm, the CSCA → DS chain, the overall
//! verdict, and the trust store loader. HOSTILE.md cases 19–29, each with its
//! expected result (ICAO 9303-11 §5.1; BSI TR-03135-1 §5.6).
#![cfg(feature = "software-chip")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use mrtdd::chip::{Date, Document, DocumentBuilder, HashAlgorithm, SignerKind};
use mrtdd::protocol::lds::{self, DataGroup, FileId};
use mrtdd::protocol::verify::chain::{ChainWarning, DocumentSignerSource};
use mrtdd::protocol::verify::master_list::MasterListSignature;
use mrtdd::protocol::verify::signature;
use mrtdd::protocol::verify::{
    ChainCheck, ChainMode, HashCheck, HashReport, PassiveReport, SignatureCheck, Status, TrustAnchors, assess,
    check_hashes, verify_sod,
};
use mrtdd::trust::{FileKind, TrustStore};

/// 2026-01-01T00:00:00Z: inside the demo PKI's validity (CSCA 2020–2045, DS 2021–2036).
const NOW: i64 = 1_767_225_600;

/// What a read of `doc` would report: hashes (with listed-but-absent data
/// groups, as the session keeps them), COM/SOD mismatch, signature and chain.
struct Outcome {
    hashes: HashReport,
    passive: PassiveReport,
    status: Status,
}

fn outcome(doc: &Document, trust: &TrustAnchors, mode: ChainMode) -> Outcome {
    let com = lds::com::parse(doc.file(FileId::Com.fid()).unwrap()).unwrap();
    let sod = lds::sod::parse(doc.file(FileId::Sod.fid()).unwrap()).unwrap();
    let in_sod: Vec<DataGroup> = sod.data_group_hashes.iter().map(|(dg, _)| *dg).collect();
    let mut mismatch: Vec<DataGroup> = com.data_groups.iter().filter(|dg| !in_sod.contains(dg)).copied().collect();
    mismatch.extend(in_sod.iter().filter(|dg| !com.data_groups.contains(dg)));
    let mut wanted: Vec<DataGroup> = in_sod.iter().chain(&com.data_groups).copied().collect();
    wanted.sort();
    wanted.dedup();
    wanted.retain(|dg| *dg != DataGroup::new(3).unwrap()); // DG3 needs Terminal Authentication
    let read: Vec<(DataGroup, &[u8])> = wanted.iter().filter_map(|dg| doc.file(dg.fid()).map(|b| (*dg, b))).collect();
    let absent: Vec<DataGroup> = wanted.iter().filter(|dg| doc.file(dg.fid()).is_none()).copied().collect();
    let mut hashes = check_hashes(&sod, read);
    hashes.listed_but_not_read.retain(|dg| absent.contains(dg));
    let dg1 = lds::dg1::parse(doc.file(DataGroup::DG1.fid()).unwrap()).unwrap();
    let passive = verify_sod(&sod, trust, NOW, Some(&dg1.mrz.issuing_state), mode);
    let status = assess(&hashes, &mismatch, passive.signature, &passive.chain);
    Outcome { hashes, passive, status }
}

fn trusting(doc: &Document) -> TrustAnchors {
    let mut t = TrustAnchors::new();
    t.add_certificate(doc.csca_certificate()).unwrap();
    t
}

fn assert_passes(doc: &Document, what: &str) {
    for mode in [ChainMode::Lenient, ChainMode::Strict] {
        let o = outcome(doc, &trusting(doc), mode);
        assert_eq!(o.passive.signature, SignatureCheck::Valid, "{what}");
        assert_eq!(o.passive.chain.result, ChainCheck::Trusted, "{what}: {:?}", o.passive.chain);
        assert!(o.passive.chain.warnings.is_empty(), "{what}: {:?}", o.passive.chain);
        assert!(o.hashes.all_valid(), "{what}");
        assert_eq!(o.status, Status::Passed, "{what}");
    }
}

/// A genuine SOD for every signer kind and hash passes with the right CSCA.
#[test]
fn genuine_sod_for_every_algorithm_passes() {
    use HashAlgorithm::*;
    use SignerKind::*;
    let cases = [
        (RsaPkcs1v15, Sha1),
        (RsaPkcs1v15, Sha256),
        (RsaPkcs1v15, Sha512),
        (RsaPss, Sha224),
        (RsaPss, Sha384),
        (EcdsaP256, Sha256),
        (EcdsaP256, Sha512), // a hash longer than the order: truncated (FIPS 186-4 §6.4)
        (EcdsaP384, Sha384),
        (EcdsaP384, Sha224),
        (EcdsaP521, Sha512), // a hash shorter than the order
        (EcdsaP521, Sha1),
        (EcdsaBrainpoolP256r1, Sha256),
        (EcdsaBrainpoolP384r1, Sha384),
        (EcdsaBrainpoolP512r1, Sha512),
        (EcdsaBrainpoolP512r1, Sha256),
    ];
    for (kind, hash) in cases {
        let doc = DocumentBuilder::cccd_demo().signer(kind).sod_hash(hash).build().unwrap();
        assert_passes(&doc, &format!("{kind:?} {hash:?}"));
    }
    // Every kind as CSCA over an ECDSA P-256 signer, and the passport.
    for kind in SignerKind::ALL {
        let doc = DocumentBuilder::cccd_demo().csca_signer(kind).build().unwrap();
        assert_passes(&doc, &format!("CSCA {kind:?}"));
    }
    assert_passes(&Document::td3_specimen().unwrap(), "TD3 specimen (UTO)");
    assert_passes(&Document::cccd_demo().unwrap(), "demo CCCD");
}

/// ECDSA in the plain r ‖ s format (BSI TR-03111 ecdsa-plain-SHAn).
#[test]
fn plain_ecdsa_signatures_pass() {
    for kind in [SignerKind::EcdsaP256, SignerKind::EcdsaBrainpoolP256r1, SignerKind::EcdsaP521] {
        let doc = DocumentBuilder::cccd_demo().signer(kind).plain_ecdsa_signature().build().unwrap();
        let sod = lds::sod::parse(doc.file(FileId::Sod.fid()).unwrap()).unwrap();
        assert!(sod.signer_info.signature_algorithm_oid.starts_with("0.4.0.127.0.7.1.1.4.1."));
        assert_passes(&doc, &format!("plain {kind:?}"));
    }
}

/// The Vietnamese case (CCCD.md): a brainpoolP512r1 CSCA with explicit domain
/// parameters signing with SHA-512, and a DS with explicit brainpoolP256r1.
#[test]
fn vietnam_like_explicit_brainpool_p512_csca() {
    use x509_parser::prelude::*;
    let doc = DocumentBuilder::cccd_demo()
        .csca_signer(SignerKind::EcdsaBrainpoolP512r1)
        .csca_explicit_curve_parameters()
        .signer(SignerKind::EcdsaBrainpoolP256r1)
        .ds_explicit_curve_parameters()
        .sod_hash(HashAlgorithm::Sha512)
        .build()
        .unwrap();
    for der in [doc.csca_certificate(), doc.document_signer_certificate()] {
        let (_, cert) = X509Certificate::from_der(der).unwrap();
        let params = cert.public_key().algorithm.parameters.as_ref().unwrap();
        assert_eq!(params.tag(), asn1_rs::Tag::Sequence, "explicit parameters, not a named curve");
    }
    assert_passes(&doc, "bp512 explicit CSCA");
}

/// HOSTILE 19: a wrong DG2 hash with a valid signature fails DG2 only.
#[test]
fn hostile_19_wrong_dg2_hash() {
    let genuine = Document::cccd_demo().unwrap();
    let mut dg2 = genuine.file(DataGroup::DG2.fid()).unwrap().to_vec();
    let last = dg2.len() - 3;
    dg2[last] ^= 1;
    let doc = DocumentBuilder::cccd_demo().tamper_file(DataGroup::DG2.fid(), dg2).build().unwrap();
    let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
    assert_eq!(o.hashes.data_groups[&DataGroup::DG2], HashCheck::Invalid);
    assert_eq!(o.hashes.data_groups[&DataGroup::DG1], HashCheck::Valid);
    assert_eq!(o.hashes.data_groups[&DataGroup::DG13], HashCheck::Valid);
    assert_eq!(o.passive.signature, SignatureCheck::Valid);
    assert_eq!(o.passive.chain.result, ChainCheck::Trusted);
    assert_eq!(o.status, Status::Failed);
}

/// HOSTILE 20: a data group the SOD lists but the chip lacks, and a SOD
/// listing data groups EF.COM does not, both fail.
#[test]
fn hostile_20_listed_but_absent_and_com_mismatch() {
    let doc = DocumentBuilder::cccd_demo().remove_file(DataGroup::DG13.fid()).build().unwrap();
    let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
    assert_eq!(o.hashes.listed_but_not_read, [DataGroup::DG13]);
    assert_eq!(o.passive.signature, SignatureCheck::Valid);
    assert_eq!(o.status, Status::Failed);

    let doc = DocumentBuilder::cccd_demo().sod_extra_hash(10).build().unwrap();
    let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
    assert_eq!(o.passive.signature, SignatureCheck::Valid);
    assert_eq!(o.status, Status::Failed);
}

/// HOSTILE 21: one bit of the signature flipped, or a messageDigest that is
/// not hash(eContent), makes the signature invalid and the read failed.
#[test]
fn hostile_21_signature_and_message_digest() {
    for (what, builder) in [
        ("bit flipped", DocumentBuilder::cccd_demo().corrupt_sod_signature()),
        ("bit flipped RSA", DocumentBuilder::td3_specimen().corrupt_sod_signature()),
        ("bit flipped PSS", DocumentBuilder::cccd_demo().signer(SignerKind::RsaPss).corrupt_sod_signature()),
        (
            "bit flipped bp512",
            DocumentBuilder::cccd_demo().signer(SignerKind::EcdsaBrainpoolP512r1).corrupt_sod_signature(),
        ),
        ("messageDigest", DocumentBuilder::cccd_demo().wrong_message_digest()),
    ] {
        let doc = builder.build().unwrap();
        let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
        assert_eq!(o.passive.signature, SignatureCheck::Invalid, "{what}");
        assert!(o.hashes.all_valid(), "{what}: integrity of the data groups is still reported");
        assert_eq!(o.passive.chain.result, ChainCheck::Trusted, "{what}");
        assert_eq!(o.status, Status::Failed, "{what}");
    }
}

/// HOSTILE 22: the signature covers the signed attributes re-encoded as a DER
/// SET (tag 31); verifying the stored [0] IMPLICIT bytes (tag A0) would fail
/// a genuine document.
#[test]
fn hostile_22_signed_attributes_as_set() {
    let doc = Document::cccd_demo().unwrap();
    assert_passes(&doc, "genuine");
    let sod = lds::sod::parse(doc.file(FileId::Sod.fid()).unwrap()).unwrap();
    let set = sod.signer_info.signed_attrs_der.clone().unwrap();
    assert_eq!(set[0], 0x31);
    let key = signature::parse_spki(
        x509_parser::parse_x509_certificate(doc.document_signer_certificate())
            .unwrap()
            .1
            .tbs_certificate
            .subject_pki
            .raw,
    )
    .unwrap();
    let scheme = signature::scheme(&sod.signer_info.signature_algorithm_oid, None, None).unwrap();
    assert_eq!(signature::verify(&key, scheme, &set, &sod.signer_info.signature), SignatureCheck::Valid);
    let mut implicit = set.clone();
    implicit[0] = 0xA0;
    assert_eq!(signature::verify(&key, scheme, &implicit, &sod.signer_info.signature), SignatureCheck::Invalid);
}

/// HOSTILE 23: MD5 or an unknown digest / signature OID is unsupported and
/// the read undetermined — never a crash, never a pass.
#[test]
fn hostile_23_unsupported_algorithms() {
    const MD5: &[u64] = &[1, 2, 840, 113549, 2, 5];
    let doc = DocumentBuilder::cccd_demo().sod_digest_algorithm_oid(MD5).build().unwrap();
    let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
    assert_eq!(o.passive.signature, SignatureCheck::UnsupportedAlgorithm);
    assert_eq!(o.passive.signature.as_str(), "unsupported_algorithm");
    assert!(!o.hashes.algorithm_supported);
    assert!(o.hashes.data_groups.values().all(|c| *c == HashCheck::Undetermined));
    assert_eq!(o.passive.chain.result, ChainCheck::Trusted);
    assert_eq!(o.status, Status::Undetermined);

    let doc = DocumentBuilder::cccd_demo().sod_digest_algorithm_oid(&[1, 2, 3, 4, 5]).build().unwrap();
    assert_eq!(outcome(&doc, &trusting(&doc), ChainMode::Lenient).status, Status::Undetermined);

    // md5WithRSAEncryption and an unknown OID as the signature algorithm.
    for oid in [&[1u64, 2, 840, 113549, 1, 1, 4][..], &[1, 3, 6, 1, 4, 1, 99999, 1]] {
        let doc = DocumentBuilder::td3_specimen().sod_signature_algorithm_oid(oid).build().unwrap();
        let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
        assert_eq!(o.passive.signature, SignatureCheck::UnsupportedAlgorithm, "{oid:?}");
        assert!(o.hashes.all_valid());
        assert_eq!(o.status, Status::Undetermined);
    }
}

/// HOSTILE 24: no DS certificate in the SOD nor in the store → undetermined;
/// the DS in the store is found by the SignerInfo's issuer and serial number.
#[test]
fn hostile_24_document_signer_absent() {
    let doc = DocumentBuilder::cccd_demo().without_ds_certificate().build().unwrap();
    let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
    assert_eq!(o.passive.signature, SignatureCheck::Undetermined);
    assert_eq!(o.passive.chain.result, ChainCheck::UnknownIssuer);
    assert_eq!(o.passive.chain.warnings, [ChainWarning::NoDocumentSigner]);
    assert_eq!(o.passive.chain.ds_source, None);
    assert_eq!(o.status, Status::Undetermined);

    let mut trust = trusting(&doc);
    trust.add_certificate(doc.document_signer_certificate()).unwrap();
    assert_eq!(trust.document_signer_count(), 1);
    let o = outcome(&doc, &trust, ChainMode::Strict);
    assert_eq!(o.passive.signature, SignatureCheck::Valid);
    assert_eq!(o.passive.chain.result, ChainCheck::Trusted);
    assert_eq!(o.passive.chain.ds_source, Some(DocumentSignerSource::TrustStore));
    assert_eq!(o.status, Status::Passed);
}

/// HOSTILE 25: an expired DS, an expired CSCA, a DS revoked by a CRL: the
/// chain fails (expired / untrusted + revoked) and integrity is still reported.
#[test]
fn hostile_25_expired_and_revoked() {
    let doc = DocumentBuilder::cccd_demo().ds_validity(Date::new(2021, 1, 1), Date::new(2024, 1, 1)).build().unwrap();
    let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
    assert_eq!(o.passive.chain.result, ChainCheck::Expired);
    assert_eq!(o.passive.chain.result.as_str(), "expired");
    assert!(o.passive.chain.warnings.contains(&ChainWarning::DocumentSignerExpired));
    assert_eq!(o.passive.signature, SignatureCheck::Valid);
    assert!(o.hashes.all_valid());
    assert_eq!(o.status, Status::Failed);

    let doc = DocumentBuilder::cccd_demo()
        .csca_validity(Date::new(2015, 1, 1), Date::new(2025, 1, 1))
        .ds_validity(Date::new(2021, 1, 1), Date::new(2036, 1, 1))
        .build()
        .unwrap();
    let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
    assert_eq!(o.passive.chain.result, ChainCheck::Expired);
    assert!(o.passive.chain.warnings.contains(&ChainWarning::CscaExpired));
    assert_eq!(o.passive.signature, SignatureCheck::Valid);
    assert_eq!(o.status, Status::Failed);

    let doc = DocumentBuilder::cccd_demo().ds_validity(Date::new(2027, 1, 1), Date::new(2036, 1, 1)).build().unwrap();
    let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
    assert_eq!(o.passive.chain.result, ChainCheck::Expired);
    assert!(o.passive.chain.warnings.contains(&ChainWarning::DocumentSignerNotYetValid));

    // Revoked by the CSCA's CRL.
    let doc = DocumentBuilder::cccd_demo().revoked_ds().build().unwrap();
    let mut trust = trusting(&doc);
    trust.add_crl(doc.crl()).unwrap();
    let o = outcome(&doc, &trust, ChainMode::Lenient);
    assert_eq!(o.passive.chain.result, ChainCheck::Untrusted);
    assert!(o.passive.chain.revoked());
    assert!(o.passive.chain.revocation_checked);
    assert_eq!(o.passive.signature, SignatureCheck::Valid);
    assert!(o.hashes.all_valid());
    assert_eq!(o.status, Status::Failed);

    // A CRL of the same CSCA that does not revoke it: checked, trusted.
    let genuine = DocumentBuilder::td3_specimen().build().unwrap();
    let mut trust = trusting(&genuine);
    trust.add_crl(genuine.crl()).unwrap();
    let o = outcome(&genuine, &trust, ChainMode::Strict);
    assert_eq!(o.passive.chain.result, ChainCheck::Trusted);
    assert!(o.passive.chain.revocation_checked);

    // A revoking "CRL" signed by another key under the CSCA's name is ignored.
    let impostor = DocumentBuilder::td3_specimen().csca_signer(SignerKind::EcdsaP256).revoked_ds().build().unwrap();
    let mut trust = trusting(&genuine);
    trust.add_crl(impostor.crl()).unwrap();
    let o = outcome(&genuine, &trust, ChainMode::Lenient);
    assert_eq!(o.passive.chain.result, ChainCheck::Trusted);
    assert!(o.passive.chain.warnings.contains(&ChainWarning::CrlSignatureInvalid));
    assert!(!o.passive.chain.revocation_checked);
}

/// HOSTILE 26: a DS whose issuer is no CSCA in the store → unknown issuer;
/// a CSCA of the same name but another key → untrusted.
#[test]
fn hostile_26_issuer_unknown_or_untrusted() {
    let trusted = Document::cccd_demo().unwrap();
    let doc = DocumentBuilder::cccd_demo().csca_common_name("Some Other CSCA").build().unwrap();
    let o = outcome(&doc, &trusting(&trusted), ChainMode::Lenient);
    assert_eq!(o.passive.chain.result, ChainCheck::UnknownIssuer);
    assert_eq!(o.passive.signature, SignatureCheck::Valid);
    assert_eq!(o.status, Status::Undetermined);
    // An empty store: the same.
    let o = outcome(&trusted, &TrustAnchors::new(), ChainMode::Lenient);
    assert_eq!(o.passive.chain.result, ChainCheck::UnknownIssuer);
    assert_eq!(o.status, Status::Undetermined);

    let impostor_csca = DocumentBuilder::cccd_demo().csca_signer(SignerKind::RsaPkcs1v15).build().unwrap();
    let o = outcome(&trusted, &trusting(&impostor_csca), ChainMode::Lenient);
    assert_eq!(o.passive.chain.result, ChainCheck::Untrusted);
    assert!(o.passive.chain.warnings.contains(&ChainWarning::IssuerSignatureInvalid));
    assert_eq!(o.status, Status::Failed);
}

/// HOSTILE 27: explicit parameters equal to P-256 or brainpoolP256r1 pass;
/// parameters matching no named curve are unsupported → undetermined.
#[test]
fn hostile_27_explicit_parameters() {
    for kind in [SignerKind::EcdsaP256, SignerKind::EcdsaBrainpoolP256r1, SignerKind::EcdsaBrainpoolP512r1] {
        let doc = DocumentBuilder::cccd_demo().signer(kind).ds_explicit_curve_parameters().build().unwrap();
        assert_passes(&doc, &format!("explicit {kind:?}"));
        // The base point may also be given compressed (X9.62 §4.3.6), in the DS's key and the CSCA's.
        let doc = DocumentBuilder::cccd_demo()
            .signer(kind)
            .csca_signer(kind)
            .ds_explicit_curve_parameters()
            .csca_explicit_curve_parameters()
            .compressed_base_point()
            .build()
            .unwrap();
        assert_passes(&doc, &format!("explicit {kind:?}, compressed base point"));
    }
    let doc = DocumentBuilder::cccd_demo().ds_unknown_curve_parameters().build().unwrap();
    let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
    assert_eq!(o.passive.signature, SignatureCheck::UnsupportedAlgorithm);
    assert!(o.hashes.all_valid());
    assert_ne!(o.status, Status::Passed);
    assert_eq!(o.status, Status::Undetermined);
}

/// HOSTILE 28: a DS without AKI and keyUsage passes with warnings in lenient
/// mode and fails in strict mode.
#[test]
fn hostile_28_profile_defects() {
    let doc = DocumentBuilder::cccd_demo().ds_without_extensions().build().unwrap();
    let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
    assert_eq!(o.passive.chain.result, ChainCheck::Trusted);
    assert_eq!(o.passive.chain.warnings, [ChainWarning::MissingAuthorityKeyIdentifier, ChainWarning::MissingKeyUsage]);
    assert_eq!(o.status, Status::Passed);
    let o = outcome(&doc, &trusting(&doc), ChainMode::Strict);
    assert_eq!(o.passive.chain.result, ChainCheck::Untrusted);
    assert_eq!(o.status, Status::Failed);
}

/// A stale CRL (past nextUpdate) is still consulted: it is reported
/// (`crl_stale`) but does not by itself fail the chain, and a DS it revokes is
/// still revoked (docs/pki.md, "Revocation").
#[test]
fn stale_crl_is_reported_and_still_honoured() {
    for mode in [ChainMode::Lenient, ChainMode::Strict] {
        let doc = DocumentBuilder::cccd_demo().crl_next_update(Date::new(2025, 1, 1)).build().unwrap();
        let mut trust = trusting(&doc);
        trust.add_crl(doc.crl()).unwrap();
        let o = outcome(&doc, &trust, mode);
        assert_eq!(o.passive.chain.result, ChainCheck::Trusted, "{mode:?}");
        assert_eq!(o.passive.chain.warnings, [ChainWarning::CrlStale], "{mode:?}");
        assert_eq!(o.passive.chain.warnings[0].as_str(), "crl_stale");
        assert!(o.passive.chain.revocation_checked);
        assert_eq!(o.status, Status::Passed);

        let doc = DocumentBuilder::cccd_demo().crl_next_update(Date::new(2025, 1, 1)).revoked_ds().build().unwrap();
        let mut trust = trusting(&doc);
        trust.add_crl(doc.crl()).unwrap();
        let o = outcome(&doc, &trust, mode);
        assert_eq!(o.passive.chain.result, ChainCheck::Untrusted, "{mode:?}");
        assert!(o.passive.chain.revoked(), "{mode:?}");
        assert!(o.passive.chain.warnings.contains(&ChainWarning::CrlStale), "{mode:?}");
        assert_eq!(o.passive.chain.warnings.len(), 2, "{mode:?}");
        assert_eq!(o.status, Status::Failed);
    }
    // Not yet stale at the time of reading: no warning.
    let doc = DocumentBuilder::cccd_demo().crl_next_update(Date::new(2026, 6, 1)).build().unwrap();
    let mut trust = trusting(&doc);
    trust.add_crl(doc.crl()).unwrap();
    let o = outcome(&doc, &trust, ChainMode::Strict);
    assert!(o.passive.chain.warnings.is_empty(), "{:?}", o.passive.chain);
}

/// A DS issued by a certificate that is no CA (basicConstraints without cA)
/// or may not sign certificates (keyUsage without keyCertSign): profile
/// defects, a warning in lenient mode and a failure in strict mode (RFC 5280
/// §4.2.1.3, §4.2.1.9; ICAO 9303-12 §7.1.1).
#[test]
fn issuer_not_a_ca_or_without_cert_sign() {
    for (builder, warning, name) in [
        (DocumentBuilder::cccd_demo().csca_not_ca(), ChainWarning::IssuerNotCa, "issuer_not_ca"),
        (
            DocumentBuilder::cccd_demo().csca_without_cert_sign(),
            ChainWarning::IssuerWithoutCertSign,
            "issuer_without_cert_sign",
        ),
    ] {
        let doc = builder.build().unwrap();
        let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
        assert_eq!(o.passive.signature, SignatureCheck::Valid, "{name}");
        assert_eq!(o.passive.chain.result, ChainCheck::Trusted, "{name}");
        assert_eq!(o.passive.chain.warnings, [warning], "{name}");
        assert_eq!(warning.as_str(), name);
        assert!(warning.is_profile_defect(), "{name}");
        assert_eq!(o.status, Status::Passed, "{name}");
        let o = outcome(&doc, &trusting(&doc), ChainMode::Strict);
        assert_eq!(o.passive.chain.result, ChainCheck::Untrusted, "{name}");
        assert_eq!(o.status, Status::Failed, "{name}");
    }
}

/// HOSTILE 29: DS issuer country ≠ DG1 issuing state → warning (lenient) or failure (strict).
#[test]
fn hostile_29_issuing_state_mismatch() {
    let doc = DocumentBuilder::cccd_demo().certificate_country("FR").build().unwrap();
    let o = outcome(&doc, &trusting(&doc), ChainMode::Lenient);
    assert_eq!(o.passive.chain.result, ChainCheck::Trusted);
    assert_eq!(o.passive.chain.warnings, [ChainWarning::IssuingStateMismatch]);
    assert_eq!(o.status, Status::Passed);
    let o = outcome(&doc, &trusting(&doc), ChainMode::Strict);
    assert_eq!(o.passive.chain.result, ChainCheck::Untrusted);
    assert_eq!(o.status, Status::Failed);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mrtdd-pa-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// The loader on a directory with PEM, DER, a master list, a CRL and junk:
/// everything reported per file, junk not fatal, and the result usable.
#[test]
fn trust_store_loader() {
    let cccd = Document::cccd_demo().unwrap();
    let passport = Document::td3_specimen().unwrap();
    let revoked = DocumentBuilder::td3_specimen().revoked_ds().build().unwrap();
    let bp512 = DocumentBuilder::cccd_demo()
        .csca_signer(SignerKind::EcdsaBrainpoolP512r1)
        .csca_explicit_curve_parameters()
        .csca_common_name("mrtdd demo CSCA bp512")
        .build()
        .unwrap();
    let dir = temp_dir("loader");
    std::fs::write(dir.join("cccd.PEM"), pem("CERTIFICATE", cccd.csca_certificate())).unwrap();
    std::fs::write(dir.join("passport.der"), passport.csca_certificate()).unwrap();
    std::fs::write(dir.join("vn.ml"), bp512.master_list()).unwrap();
    std::fs::write(dir.join("passport.crl"), pem("X509 CRL", revoked.crl())).unwrap();
    std::fs::write(dir.join("bundle.crt"), [pem("CERTIFICATE", cccd.csca_certificate()), "junk\n".into()].concat())
        .unwrap();
    std::fs::write(dir.join("junk.cer"), b"not a certificate").unwrap();
    std::fs::write(dir.join("junk.ml"), [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).unwrap();
    std::fs::write(dir.join("README.txt"), b"trust store").unwrap();
    std::fs::create_dir_all(dir.join("subdir")).unwrap();

    let (store, report) = TrustStore::load(&dir).unwrap();
    let file = |name: &str| report.files.iter().find(|f| f.name == name).unwrap();
    assert_eq!(report.files.len(), 8, "{report:#?}");
    // Files load in name order: bundle.crt brings the CCCD's CSCA first (text around PEM blocks is skipped).
    assert_eq!((file("bundle.crt").cscas, file("bundle.crt").kind), (1, FileKind::Certificates));
    assert!(file("bundle.crt").errors.is_empty());
    assert_eq!((file("cccd.PEM").cscas, file("cccd.PEM").duplicates), (0, 1));
    assert_eq!(file("passport.der").cscas, 1);
    assert_eq!(file("vn.ml").master_list, Some(MasterListSignature::Verified));
    assert_eq!(file("vn.ml").cscas, 1);
    assert_eq!(file("passport.crl").crls, 1);
    assert!(!file("junk.cer").errors.is_empty());
    assert!(!file("junk.ml").errors.is_empty());
    assert_eq!(file("README.txt").kind, FileKind::Ignored);
    assert_eq!((report.cscas, report.crls), (3, 1));
    assert_eq!(store.anchors().csca_count(), 3);

    let anchors = store.anchors();
    assert_eq!(outcome(&cccd, anchors, ChainMode::Strict).status, Status::Passed);
    assert_eq!(outcome(&passport, anchors, ChainMode::Strict).status, Status::Passed);
    assert_eq!(outcome(&bp512, anchors, ChainMode::Strict).status, Status::Passed);
    let o = outcome(&revoked, anchors, ChainMode::Lenient);
    assert!(o.passive.chain.revoked(), "the CRL from the store revokes it");

    // Loading again gives the same result (reload is idempotent).
    let (again, report2) = TrustStore::load(&dir).unwrap();
    assert_eq!(report, report2);
    assert_eq!(again.anchors().csca_count(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A master list digested and signed with each hash the reader supports,
/// under each signer kind, verifies (`MasterListSignature::Verified`).
#[test]
fn master_lists_verify_with_every_hash() {
    use mrtdd::protocol::verify::{TrustAnchors, master_list};
    for kind in [SignerKind::RsaPss, SignerKind::RsaPkcs1v15, SignerKind::EcdsaP384] {
        for hash in HashAlgorithm::ALL {
            let doc = DocumentBuilder::cccd_demo().signer(kind).master_list_hash(hash).build().unwrap();
            let list = master_list::parse(doc.master_list()).unwrap();
            assert_eq!(list.verify(&TrustAnchors::new()), MasterListSignature::Verified, "{kind:?} {hash:?}");
        }
    }
}

/// A master list whose signer's key is given with explicit curve parameters
/// (as Vietnam's keys are), the base point uncompressed or compressed,
/// verifies; parameters matching no named curve leave it unverifiable.
#[test]
fn master_list_signers_with_explicit_curve_parameters() {
    use mrtdd::protocol::verify::{TrustAnchors, master_list};
    for kind in [SignerKind::EcdsaP256, SignerKind::EcdsaBrainpoolP256r1, SignerKind::EcdsaBrainpoolP512r1] {
        for compressed in [false, true] {
            let mut builder = DocumentBuilder::cccd_demo().signer(kind).ds_explicit_curve_parameters();
            if compressed {
                builder = builder.compressed_base_point();
            }
            let doc = builder.build().unwrap();
            let list = master_list::parse(doc.master_list()).unwrap();
            let result = list.verify(&TrustAnchors::new());
            assert_eq!(result, MasterListSignature::Verified, "{kind:?}, compressed G: {compressed}");
        }
    }
    let doc = DocumentBuilder::cccd_demo().ds_unknown_curve_parameters().build().unwrap();
    let list = master_list::parse(doc.master_list()).unwrap();
    assert!(matches!(list.verify(&TrustAnchors::new()), MasterListSignature::Unverifiable(_)));
}

/// A master list as the only source of the CSCA; a tampered list is refused.
#[test]
fn master_list_as_the_only_source() {
    for kind in [SignerKind::RsaPss, SignerKind::EcdsaBrainpoolP384r1, SignerKind::RsaPkcs1v15] {
        let doc = DocumentBuilder::cccd_demo().csca_signer(kind).build().unwrap();
        let dir = temp_dir(&format!("ml-{kind:?}"));
        std::fs::write(dir.join("list.ml"), doc.master_list()).unwrap();
        let (store, report) = TrustStore::load(&dir).unwrap();
        assert_eq!(report.files[0].master_list, Some(MasterListSignature::Verified), "{kind:?}: {report:?}");
        assert_eq!(store.anchors().csca_count(), 1);
        assert_eq!(outcome(&doc, store.anchors(), ChainMode::Strict).status, Status::Passed, "{kind:?}");

        // One byte of the list content changed: the signature no longer verifies.
        let mut tampered = doc.master_list().to_vec();
        let csca = doc.csca_certificate();
        let at = tampered.windows(csca.len()).position(|w| w == csca).unwrap() + csca.len() / 2;
        tampered[at] ^= 1;
        std::fs::write(dir.join("list.ml"), tampered).unwrap();
        let (store, report) = TrustStore::load(&dir).unwrap();
        assert_eq!(report.files[0].master_list, Some(MasterListSignature::Invalid));
        assert!(store.anchors().is_empty());
        assert_eq!(outcome(&doc, store.anchors(), ChainMode::Lenient).passive.chain.result, ChainCheck::UnknownIssuer);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The store with and without the right CSCA.
#[test]
fn trust_store_with_and_without_the_right_csca() {
    let doc = Document::cccd_demo().unwrap();
    let other = DocumentBuilder::cccd_demo().csca_common_name("Another CSCA").build().unwrap();
    let dir = temp_dir("right");
    std::fs::write(dir.join("other.der"), other.csca_certificate()).unwrap();
    let (store, _) = TrustStore::load(&dir).unwrap();
    let o = outcome(&doc, store.anchors(), ChainMode::Lenient);
    assert_eq!((o.passive.chain.result, o.status), (ChainCheck::UnknownIssuer, Status::Undetermined));
    std::fs::write(dir.join("right.der"), doc.csca_certificate()).unwrap();
    let (store, _) = TrustStore::load(&dir).unwrap();
    let o = outcome(&doc, store.anchors(), ChainMode::Lenient);
    assert_eq!((o.passive.chain.result, o.status), (ChainCheck::Trusted, Status::Passed));
    assert!(o.passive.chain.csca_subject.as_deref().unwrap().contains("mrtdd demo CSCA"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Hostile bytes never panic: a real master list, DS certificate, CRL and SOD
/// with bytes flipped, truncated or extended go through every parser and check.
mod no_panic {
    use super::*;
    use mrtdd::protocol::verify::{chain, master_list};
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn material() -> &'static [Vec<u8>; 5] {
        static M: OnceLock<[Vec<u8>; 5]> = OnceLock::new();
        M.get_or_init(|| {
            let doc = DocumentBuilder::cccd_demo()
                .csca_signer(SignerKind::EcdsaBrainpoolP512r1)
                .csca_explicit_curve_parameters()
                .revoked_ds()
                .build()
                .unwrap();
            [
                doc.master_list().to_vec(),
                doc.document_signer_certificate().to_vec(),
                doc.crl().to_vec(),
                doc.file(FileId::Sod.fid()).unwrap().to_vec(),
                doc.csca_certificate().to_vec(),
            ]
        })
    }

    fn mutate(bytes: &[u8], edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for (at, x) in edits {
            if !out.is_empty() {
                let i = at % out.len();
                out[i] ^= x;
            }
        }
        out.truncate(out.len().saturating_sub(cut));
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn mutated_pki_objects(which in 0usize..5, edits in proptest::collection::vec((any::<usize>(), 1u8..), 1..4), cut in 0usize..3) {
            let m = material();
            let bytes = mutate(&m[which], &edits, cut);
            let _ = master_list::parse(&bytes).map(|l| l.verify(&TrustAnchors::new()));
            let _ = signature::parse_spki(&bytes);
            let mut trust = TrustAnchors::new();
            let _ = trust.add_certificate(&m[4]);
            let _ = trust.add_certificate(&bytes);
            let _ = trust.add_crl(&bytes);
            let _ = trust.add_crl(&m[2]);
            let _ = chain::check_chain(Some(&bytes), &trust, NOW, Some("VNM"), ChainMode::Strict);
            let _ = chain::check_chain(Some(&m[1]), &trust, NOW, Some("D<<"), ChainMode::Lenient);
            if let Ok(sod) = lds::sod::parse(&bytes) {
                let _ = verify_sod(&sod, &trust, NOW, Some("VNM"), ChainMode::Lenient);
            }
        }

        #[test]
        fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = master_list::parse(&bytes);
            let _ = signature::parse_spki(&bytes);
            let _ = signature::curve_from_explicit_parameters(&bytes);
            let _ = chain::check_chain(Some(&bytes), &TrustAnchors::new(), NOW, None, ChainMode::Strict);
            let _ = chain::names_match(&bytes, &bytes[..bytes.len() / 2]);
        }
    }
}
