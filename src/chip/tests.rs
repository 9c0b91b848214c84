//! Tests of the whole chip through its APDU interface, with the independent
//! test terminal of `terminal.rs`, and of the documents it holds.

use super::terminal::{Answer, BacFailure, SmFailure, Terminal, mrz_information_of};
use super::*;
use crate::protocol::apdu::{CommandApdu, StatusWord};
use crate::protocol::error::TransportError;
use crate::protocol::tlv::{Reader, children, read_tlv, single_tlv};
use crate::protocol::transceive::Transceive;
use proptest::prelude::*;
use x509_parser::prelude::*;

fn cccd() -> Document {
    Document::cccd_demo().unwrap()
}

fn open(doc: Document) -> Terminal {
    let mut t = Terminal::new(SoftwareChip::new(doc));
    t.open();
    t
}

// ---------------------------------------------------------------- documents

#[test]
fn cccd_demo_mrz_and_keys() {
    let doc = cccd();
    assert_eq!(
        doc.mrz(),
        "IDVNM0950123455001095012345<<6\n9503124M3503122VNM<<<<<<<<<<<0\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"
    );
    assert_eq!(doc.mrz_information(), "095012345595031243503122");
    assert_eq!(mrz_information_of(doc.mrz()), doc.mrz_information());
    assert_eq!(doc.can(), Some("012345"));
    assert!(doc.select_mf_unsupported());
    let fids: Vec<u16> = doc.files().iter().map(|(f, _)| *f).collect();
    assert_eq!(fids, [0x011E, 0x0101, 0x0102, 0x0103, 0x010D, 0x010E, 0x010F, 0x011D]);
    // EF.COM lists DG1, DG2, DG3, DG13, DG14, DG15 (CCCD.md).
    let com = single_tlv(doc.file(0x011E).unwrap(), 0x60, "EF.COM").unwrap();
    let mut r = Reader::new(com);
    assert_eq!(read_tlv(&mut r, "v").unwrap().value, b"0107");
    assert_eq!(read_tlv(&mut r, "u").unwrap().value, b"040000");
    assert_eq!(read_tlv(&mut r, "l").unwrap().value, [0x61, 0x75, 0x63, 0x6D, 0x6E, 0x6F]);
    // DG1 holds the MRZ without line breaks.
    let dg1 = single_tlv(doc.file(0x0101).unwrap(), 0x61, "DG1").unwrap();
    assert_eq!(single_tlv(dg1, 0x5F1F, "MRZ").unwrap(), doc.mrz().replace('\n', "").as_bytes());
    assert!(format!("{doc:?}").contains("<redacted>"));
    assert!(!format!("{doc:?}").contains("NGUYEN"));
}

#[test]
fn td3_specimen_mrz() {
    let doc = Document::td3_specimen().unwrap();
    assert_eq!(doc.mrz(), "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10");
    assert_eq!(doc.mrz_information(), "L898902C3674081221204159");
    assert_eq!(mrz_information_of(doc.mrz()), doc.mrz_information());
    assert!(!doc.select_mf_unsupported());
    let fids: Vec<u16> = doc.files().iter().map(|(f, _)| *f).collect();
    assert_eq!(fids, [0x011E, 0x0101, 0x0102, 0x010B, 0x010C, 0x011D]);
    let dg11 = single_tlv(doc.file(0x010B).unwrap(), 0x6B, "DG11").unwrap();
    let fields: Vec<(u32, Vec<u8>)> =
        children(dg11, "DG11").map(|t| t.unwrap()).map(|t| (t.tag, t.value.to_vec())).collect();
    assert_eq!(fields[0], (0x5C, vec![0x5F, 0x0E, 0x5F, 0x10, 0x5F, 0x2B, 0x5F, 0x11, 0x5F, 0x42]));
    assert_eq!(fields[1], (0x5F0E, b"ERIKSSON<<ANNA<MARIA".to_vec()));
    assert_eq!(fields[3], (0x5F2B, b"19740812".to_vec()));
    let dg12 = single_tlv(doc.file(0x010C).unwrap(), 0x6C, "DG12").unwrap();
    assert!(
        children(dg12, "DG12").any(|t| t.unwrap() == crate::protocol::tlv::Tlv { tag: 0x5F26, value: b"20020415" })
    );
}

/// DG2: the CBEFF/ISO 19794-5 structure around a JPEG that is a real, complete picture.
fn check_dg2(dg2: &[u8], width: u16, height: u16) -> Vec<u8> {
    let group = single_tlv(dg2, 0x75, "DG2").unwrap();
    let bigt = single_tlv(group, 0x7F61, "BIGT").unwrap();
    let mut r = Reader::new(bigt);
    assert_eq!(read_tlv(&mut r, "n").unwrap().value, [1]);
    let bit = read_tlv(&mut r, "BIT").unwrap();
    assert_eq!(bit.tag, 0x7F60);
    let mut r = Reader::new(bit.value);
    let bht = read_tlv(&mut r, "BHT").unwrap();
    assert_eq!(bht.tag, 0xA1);
    let bht: Vec<_> = children(bht.value, "BHT").map(|t| t.unwrap()).collect();
    assert!(bht.iter().any(|t| t.tag == 0x87 && t.value == [1, 1]));
    assert!(bht.iter().any(|t| t.tag == 0x88 && t.value == [0, 8]));
    let record = read_tlv(&mut r, "5F2E").unwrap();
    assert_eq!(record.tag, 0x5F2E);
    let rec = record.value;
    assert_eq!(&rec[..8], b"FAC\x00010\x00");
    assert_eq!(u32::from_be_bytes(rec[8..12].try_into().unwrap()) as usize, rec.len());
    assert_eq!(u16::from_be_bytes([rec[12], rec[13]]), 1);
    let block_len = u32::from_be_bytes(rec[14..18].try_into().unwrap()) as usize;
    assert_eq!(block_len, rec.len() - 14);
    let image_info = &rec[34..46];
    assert_eq!(image_info[1], 0, "JPEG");
    assert_eq!(u16::from_be_bytes([image_info[2], image_info[3]]), width);
    assert_eq!(u16::from_be_bytes([image_info[4], image_info[5]]), height);
    let jpeg = rec[46..].to_vec();
    assert_eq!(&jpeg[..2], [0xFF, 0xD8], "SOI");
    assert_eq!(&jpeg[jpeg.len() - 2..], [0xFF, 0xD9], "EOI");
    assert_eq!(jpeg_dimensions(&jpeg), Some((width, height)));
    jpeg
}

#[test]
fn portraits_are_real_jpegs_with_matching_records() {
    assert_eq!(jpeg_dimensions(document::CCCD_PORTRAIT_JPEG), Some((480, 640)));
    assert_eq!(jpeg_dimensions(document::TD3_PORTRAIT_JPEG), Some((240, 320)));
    assert!((8_000..20_000).contains(&document::CCCD_PORTRAIT_JPEG.len()));
    let doc = cccd();
    assert_eq!(check_dg2(doc.file(0x0102).unwrap(), 480, 640), document::CCCD_PORTRAIT_JPEG);
    let big = DocumentBuilder::cccd_demo().large_dg2(40_000).build().unwrap();
    let dg2 = big.file(0x0102).unwrap();
    assert!(dg2.len() >= 40_000);
    let jpeg = check_dg2(dg2, 480, 640);
    // The padding is COM segments right after SOI; the image data is unchanged.
    assert_eq!(&jpeg[2..4], [0xFF, 0xFE]);
    assert!(jpeg.ends_with(&document::CCCD_PORTRAIT_JPEG[2..]));
    let big = DocumentBuilder::cccd_demo().large_dg2(150_000).build().unwrap();
    assert!(big.file(0x0102).unwrap().len() >= 150_000);
    check_dg2(big.file(0x0102).unwrap(), 480, 640);
}

#[test]
fn dg13_holds_every_vietnamese_field() {
    let doc = cccd();
    let outer = single_tlv(doc.file(0x010D).unwrap(), 0x6D, "DG13").unwrap();
    let seq = single_tlv(outer, 0x30, "seq").unwrap();
    let mut r = Reader::new(seq);
    assert_eq!(read_tlv(&mut r, "v").unwrap().value, [1]);
    assert_eq!(read_tlv(&mut r, "oid").unwrap().value, [0x28, 0xD3, 0x16, 0x01, 0x00, 0x08]);
    let set = read_tlv(&mut r, "set").unwrap();
    assert_eq!(set.tag, 0x31);
    let mut seen = Vec::new();
    for field in children(set.value, "field") {
        let field = field.unwrap();
        assert_eq!(field.tag, 0x30);
        let mut f = Reader::new(field.value);
        let n = read_tlv(&mut f, "n").unwrap().value[0];
        seen.push(n);
        let text = |f: &mut Reader<'_>| {
            let t = read_tlv(f, "v").unwrap();
            assert!(t.tag == 0x0C || t.tag == 0x13);
            String::from_utf8(t.value.to_vec()).unwrap()
        };
        match n {
            1 => assert_eq!(text(&mut f), "001095012345"),
            2 => assert_eq!(text(&mut f), "Nguyễn Văn An"),
            3 => assert_eq!(text(&mut f), "12/03/1995"),
            4 => assert_eq!(text(&mut f), "Nam"),
            5 => assert_eq!(text(&mut f), "Việt Nam"),
            6 => assert_eq!(text(&mut f), "Kinh"),
            7 => assert_eq!(text(&mut f), "Không"),
            11 => assert_eq!(text(&mut f), "01/06/2021"),
            12 => assert_eq!(text(&mut f), "12/03/2035"),
            13 => {
                let father = single_tlv(read_tlv(&mut f, "f").unwrap().value, 0x0C, "father").unwrap();
                let mother = single_tlv(read_tlv(&mut f, "m").unwrap().value, 0x0C, "mother").unwrap();
                assert_eq!(std::str::from_utf8(father).unwrap(), "Nguyễn Văn Bình");
                assert_eq!(std::str::from_utf8(mother).unwrap(), "Trần Thị Lan");
            }
            14 => assert_eq!(field.value, [0x02, 0x01, 0x0E]),
            15 => assert_eq!(text(&mut f), "012345678"),
            _ => assert!(!text(&mut f).is_empty()),
        }
        assert!(f.is_empty(), "field {n} has trailing bytes");
    }
    assert_eq!(seen, (1..=15).collect::<Vec<u8>>());
}

#[test]
fn dg14_and_dg15_hold_p256_keys() {
    let doc = cccd();
    let dg15 = single_tlv(doc.file(0x010F).unwrap(), 0x6F, "DG15").unwrap();
    let (rest, spki) = SubjectPublicKeyInfo::from_der(dg15).unwrap();
    assert!(rest.is_empty());
    assert_eq!(spki.algorithm.algorithm.to_id_string(), "1.2.840.10045.2.1");
    assert_eq!(
        &*spki.subject_public_key.data,
        doc.active_authentication_key().unwrap().to_sec1_point(false).as_bytes()
    );

    let dg14 = single_tlv(doc.file(0x010E).unwrap(), 0x6E, "DG14").unwrap();
    let infos = single_tlv(dg14, 0x31, "SecurityInfos").unwrap();
    let mut protocols = Vec::new();
    for info in children(infos, "SecurityInfo") {
        let info = info.unwrap();
        let mut r = Reader::new(info.value);
        let oid = read_tlv(&mut r, "protocol").unwrap();
        let oid = asn1_rs::Oid::new(std::borrow::Cow::Borrowed(oid.value)).to_id_string();
        if oid == "0.4.0.127.0.7.2.2.1.2" {
            let spki_tlv = r.rest();
            let (_, spki) = SubjectPublicKeyInfo::from_der(spki_tlv).unwrap();
            assert_eq!(
                &*spki.subject_public_key.data,
                doc.chip_authentication_key().unwrap().to_sec1_point(false).as_bytes()
            );
        }
        protocols.push(oid);
    }
    protocols.sort();
    assert_eq!(protocols, ["0.4.0.127.0.7.2.2.1.2", "0.4.0.127.0.7.2.2.3.2.2", "2.23.136.1.1.5"]);
}

/// EF.SOD taken apart (ICAO 9303-10 §4.6.2), strict DER checked by der-parser.
struct Sod {
    digest_algorithm: String,
    hashes: Vec<(u8, Vec<u8>)>,
    econtent: Vec<u8>,
    certificate: Option<Vec<u8>>,
    signed_attrs: Vec<u8>,
    message_digest: Vec<u8>,
    signature_algorithm: String,
    signature: Vec<u8>,
}

fn oid_string(der: &[u8]) -> String {
    let value = single_tlv(der, 0x06, "oid").unwrap();
    asn1_rs::Oid::new(std::borrow::Cow::Borrowed(value)).to_id_string()
}

fn parse_sod(ef_sod: &[u8]) -> Sod {
    let content_info = single_tlv(ef_sod, 0x77, "EF.SOD").unwrap();
    let (rest, _) = x509_parser::der_parser::parse_der(content_info).expect("strict DER");
    assert!(rest.is_empty());
    let ci = single_tlv(content_info, 0x30, "ContentInfo").unwrap();
    let mut r = Reader::new(ci);
    assert_eq!(read_tlv(&mut r, "type").unwrap().value, [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]);
    let sd = single_tlv(read_tlv(&mut r, "[0]").unwrap().value, 0x30, "SignedData").unwrap();
    let mut r = Reader::new(sd);
    assert_eq!(read_tlv(&mut r, "version").unwrap().value, [3]);
    let digest_algs = read_tlv(&mut r, "digestAlgorithms").unwrap();
    assert_eq!(digest_algs.tag, 0x31);
    let encap = read_tlv(&mut r, "encap").unwrap();
    let mut e = Reader::new(encap.value);
    assert_eq!(oid_string(&crate::protocol::tlv::tlv(0x06, read_tlv(&mut e, "t").unwrap().value)), "2.23.136.1.1.1");
    let econtent = single_tlv(read_tlv(&mut e, "[0]").unwrap().value, 0x04, "eContent").unwrap().to_vec();
    let mut next = read_tlv(&mut r, "next").unwrap();
    let mut certificate = None;
    if next.tag == 0xA0 {
        certificate = Some(next.value.to_vec());
        next = read_tlv(&mut r, "signerInfos").unwrap();
    }
    assert_eq!(next.tag, 0x31);
    assert!(r.is_empty());
    let si = single_tlv(next.value, 0x30, "SignerInfo").unwrap();
    let mut s = Reader::new(si);
    assert_eq!(read_tlv(&mut s, "version").unwrap().value, [1]);
    let sid = read_tlv(&mut s, "sid").unwrap();
    assert_eq!(sid.tag, 0x30);
    let digest_alg = read_tlv(&mut s, "digestAlgorithm").unwrap();
    let digest_algorithm = oid_string(
        read_tlv(&mut Reader::new(digest_alg.value), "oid")
            .map(|t| crate::protocol::tlv::tlv(t.tag, t.value))
            .unwrap()
            .as_slice(),
    );
    let attrs = read_tlv(&mut s, "signedAttrs").unwrap();
    assert_eq!(attrs.tag, 0xA0);
    let mut message_digest = Vec::new();
    let mut content_type_ok = false;
    for attr in children(attrs.value, "Attribute") {
        let attr = attr.unwrap();
        let mut a = Reader::new(attr.value);
        let t = read_tlv(&mut a, "type").unwrap();
        let values = single_tlv(a.rest(), 0x31, "values").unwrap();
        match oid_string(&crate::protocol::tlv::tlv(0x06, t.value)).as_str() {
            "1.2.840.113549.1.9.4" => message_digest = single_tlv(values, 0x04, "md").unwrap().to_vec(),
            "1.2.840.113549.1.9.3" => {
                content_type_ok = oid_string(values) == "2.23.136.1.1.1";
            }
            "1.2.840.113549.1.9.5" => assert_eq!(values.first(), Some(&0x17)),
            other => panic!("unexpected attribute {other}"),
        }
    }
    assert!(content_type_ok);
    let mut signed_attrs = crate::protocol::tlv::tlv(0x31, attrs.value);
    signed_attrs.shrink_to_fit();
    let sig_alg = read_tlv(&mut s, "signatureAlgorithm").unwrap();
    let signature_algorithm =
        oid_string(&crate::protocol::tlv::tlv(0x06, read_tlv(&mut Reader::new(sig_alg.value), "o").unwrap().value));
    let signature = single_tlv(s.rest(), 0x04, "signature").unwrap().to_vec();

    // LDSSecurityObject.
    let lso = single_tlv(&econtent, 0x30, "LDSSecurityObject").unwrap();
    let mut l = Reader::new(lso);
    assert_eq!(read_tlv(&mut l, "version").unwrap().value, [0]);
    let alg = read_tlv(&mut l, "hashAlgorithm").unwrap();
    assert_eq!(
        oid_string(&crate::protocol::tlv::tlv(0x06, read_tlv(&mut Reader::new(alg.value), "o").unwrap().value)),
        digest_algorithm
    );
    let mut hashes = Vec::new();
    for h in children(single_tlv(l.rest(), 0x30, "hashes").unwrap(), "DataGroupHash") {
        let h = h.unwrap();
        let mut hr = Reader::new(h.value);
        let n = read_tlv(&mut hr, "n").unwrap().value[0];
        let v = single_tlv(hr.rest(), 0x04, "hash").unwrap().to_vec();
        hashes.push((n, v));
    }
    Sod {
        digest_algorithm,
        hashes,
        econtent,
        certificate,
        signed_attrs,
        message_digest,
        signature_algorithm,
        signature,
    }
}

fn hash_of_oid(oid: &str) -> HashAlgorithm {
    match oid {
        "1.3.14.3.2.26" => HashAlgorithm::Sha1,
        "2.16.840.1.101.3.4.2.4" => HashAlgorithm::Sha224,
        "2.16.840.1.101.3.4.2.1" => HashAlgorithm::Sha256,
        "2.16.840.1.101.3.4.2.2" => HashAlgorithm::Sha384,
        "2.16.840.1.101.3.4.2.3" => HashAlgorithm::Sha512,
        other => panic!("unknown digest {other}"),
    }
}

/// Passive authentication done by hand: chain, signature, messageDigest, every DG hash.
fn validate(doc: &Document, country: &str) -> Sod {
    let sod = parse_sod(doc.file(0x011D).unwrap());
    pki::tests::check_chain(doc.csca_certificate(), doc.document_signer_certificate(), country);
    assert_eq!(sod.certificate.as_deref(), Some(doc.document_signer_certificate()));
    let (_, ds) = X509Certificate::from_der(doc.document_signer_certificate()).unwrap();
    assert!(
        pki::tests::verify_with_spki(ds.public_key().raw, &sod.signature_algorithm, &sod.signed_attrs, &sod.signature),
        "SOD signature ({})",
        sod.signature_algorithm
    );
    let hash = hash_of_oid(&sod.digest_algorithm);
    assert_eq!(sod.message_digest, hash.digest(&sod.econtent));
    for (n, h) in &sod.hashes {
        assert_eq!(&hash.digest(doc.file(dg_fid(*n)).unwrap()), h, "DG{n} hash");
    }
    let present: Vec<u8> =
        doc.files().iter().filter_map(|(f, _)| (0x0101..=0x0110).contains(f).then_some(*f as u8)).collect();
    assert_eq!(sod.hashes.iter().map(|(n, _)| *n).collect::<Vec<_>>(), present);
    sod
}

#[test]
fn demo_documents_pass_passive_authentication() {
    let sod = validate(&cccd(), "VN");
    assert_eq!(sod.signature_algorithm, "1.2.840.10045.4.3.2");
    let sod = validate(&Document::td3_specimen().unwrap(), "UT");
    assert_eq!(sod.signature_algorithm, "1.2.840.113549.1.1.11");
}

#[test]
fn every_hash_with_ecdsa_and_rsa() {
    for hash in HashAlgorithm::ALL {
        let doc = DocumentBuilder::cccd_demo().sod_hash(hash).build().unwrap();
        let sod = validate(&doc, "VN");
        assert_eq!(hash_of_oid(&sod.digest_algorithm), hash);
        assert_eq!(sod.hashes[0].1.len(), hash.output_len());
    }
    for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha384] {
        validate(&DocumentBuilder::td3_specimen().sod_hash(hash).build().unwrap(), "UT");
    }
    let doc =
        DocumentBuilder::td3_specimen().signer(SignerKind::RsaPss).sod_hash(HashAlgorithm::Sha512).build().unwrap();
    assert_eq!(validate(&doc, "UT").signature_algorithm, "1.2.840.113549.1.1.10");
    let doc = DocumentBuilder::cccd_demo().csca_signer(SignerKind::RsaPkcs1v15).build().unwrap();
    validate(&doc, "VN");
}

#[test]
fn hostile_document_variants() {
    // Removed from everything vs. removed from the chip only.
    let doc = DocumentBuilder::cccd_demo().without_file(dg_fid(15)).build().unwrap();
    assert!(doc.file(0x010F).is_none());
    assert!(validate(&doc, "VN").hashes.iter().all(|(n, _)| *n != 15));
    let doc = DocumentBuilder::cccd_demo().remove_file(dg_fid(15)).build().unwrap();
    assert!(doc.file(0x010F).is_none());
    assert!(parse_sod(doc.file(0x011D).unwrap()).hashes.iter().any(|(n, _)| *n == 15));
    // A signed hostile file: the SOD vouches for the bytes.
    let hostile = vec![0x61, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x5F, 0x1F];
    let doc = DocumentBuilder::cccd_demo().file(dg_fid(1), hostile.clone()).build().unwrap();
    assert_eq!(doc.file(0x0101), Some(&hostile[..]));
    validate(&doc, "VN");
    // A tampered file: the hash no longer matches.
    let doc = DocumentBuilder::cccd_demo().tamper_file(dg_fid(2), vec![0x75, 0x00]).build().unwrap();
    let sod = parse_sod(doc.file(0x011D).unwrap());
    let dg2_hash = &sod.hashes.iter().find(|(n, _)| *n == 2).unwrap().1;
    assert_ne!(&HashAlgorithm::Sha256.digest(doc.file(0x0102).unwrap()), dg2_hash);
    // Hash list edits.
    let doc = DocumentBuilder::cccd_demo().sod_omit_hash(13).sod_extra_hash(10).build().unwrap();
    let numbers: Vec<u8> = parse_sod(doc.file(0x011D).unwrap()).hashes.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [1, 2, 3, 10, 14, 15]);
    // Signature defects.
    let doc = DocumentBuilder::cccd_demo().corrupt_sod_signature().build().unwrap();
    let sod = parse_sod(doc.file(0x011D).unwrap());
    let (_, ds) = X509Certificate::from_der(doc.document_signer_certificate()).unwrap();
    assert!(!pki::tests::verify_with_spki(
        ds.public_key().raw,
        &sod.signature_algorithm,
        &sod.signed_attrs,
        &sod.signature
    ));
    let doc = DocumentBuilder::cccd_demo().wrong_message_digest().build().unwrap();
    let sod = parse_sod(doc.file(0x011D).unwrap());
    assert!(pki::tests::verify_with_spki(
        ds_spki(&doc).as_slice(),
        &sod.signature_algorithm,
        &sod.signed_attrs,
        &sod.signature
    ));
    assert_ne!(sod.message_digest, HashAlgorithm::Sha256.digest(&sod.econtent));
    let doc = DocumentBuilder::cccd_demo().without_ds_certificate().without_signing_time().build().unwrap();
    assert!(parse_sod(doc.file(0x011D).unwrap()).certificate.is_none());
    // Expired DS.
    let doc = DocumentBuilder::cccd_demo().ds_validity(Date::new(2010, 1, 1), Date::new(2015, 1, 1)).build().unwrap();
    let (_, ds) = X509Certificate::from_der(doc.document_signer_certificate()).unwrap();
    assert_eq!(ds.validity().not_after.to_datetime().year(), 2015);
    // Explicit EC parameters for the DS key (the Vietnam case): still a valid chain and signature.
    let doc = DocumentBuilder::cccd_demo().ds_explicit_curve_parameters().build().unwrap();
    validate(&doc, "VN");
    // MF file and the SELECT MF quirk switched off.
    let doc =
        DocumentBuilder::cccd_demo().mf_file(0x011C, vec![0x31, 0x00]).select_mf_unsupported(false).build().unwrap();
    assert_eq!(doc.mf_files(), vec![(0x011C, vec![0x31, 0x00])]);
    assert!(!doc.select_mf_unsupported());
    assert!(DocumentBuilder::cccd_demo().file(0x2F00, vec![]).build().is_err());
}

fn ds_spki(doc: &Document) -> Vec<u8> {
    let (_, ds) = X509Certificate::from_der(doc.document_signer_certificate()).unwrap();
    ds.public_key().raw.to_vec()
}

// ---------------------------------------------------------------- access control, BAC

#[test]
fn access_control_before_bac() {
    let mut t = Terminal::new(SoftwareChip::new(cccd()));
    // EF.COM cannot be selected before the application, and not read without BAC after.
    assert_eq!(t.plain(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1E]).sw, 0x6A82);
    assert_eq!(t.plain(&[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x02]).sw, 0x6A82);
    assert_eq!(t.select_applet(), 0x9000);
    assert_eq!(t.plain(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1E]).sw, 0x6982);
    assert_eq!(t.plain(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x0B]).sw, 0x6982, "no existence oracle");
    for sfi in [0x1E, 0x1D, 0x01, 0x02, 0x03, 0x0D] {
        let a = t.plain(&[0x00, 0xB0, 0x80 | sfi, 0x00, 0x04]);
        assert_eq!((a.sw, a.data.len()), (0x6982, 0), "SFI {sfi:02X}");
    }
    assert_eq!(t.plain(&[0x00, 0xB0, 0x00, 0x00, 0x04]).sw, 0x6986, "no current EF");
    assert_eq!(t.plain(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]).sw, 0x6D00, "CCCD: SELECT MF");
    assert_eq!(t.plain(&[0x00, 0x84, 0x00, 0x00, 0x04]).sw, 0x6700);
    assert_eq!(t.plain(&[0x00, 0x82, 0x00, 0x00, 0x28, 0, 0, 0, 0]).sw, 0x6700);
    let mut ea = vec![0x00, 0x82, 0x00, 0x00, 0x28];
    ea.extend_from_slice(&[0u8; 40]);
    ea.push(0x28);
    assert_eq!(t.plain(&ea).sw, 0x6985, "EXTERNAL AUTHENTICATE without a challenge");
    assert_eq!(t.plain(&[0x00, 0x88, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x00]).sw, 0x6982);
    assert_eq!(t.plain(&[0x00, 0xCA, 0x00, 0x00, 0x00]).sw, 0x6D00);
    assert_eq!(t.plain(&[0x80, 0xB0, 0x00, 0x00, 0x00]).sw, 0x6E00);
    assert_eq!(t.plain(&[0x0C, 0xB0, 0x00, 0x00, 0x00]).sw, 0x6988, "protected without a session");
    assert_eq!(t.plain(&[0x00]).sw, 0x6700);

    let mut p = Terminal::new(SoftwareChip::new(Document::td3_specimen().unwrap()));
    assert_eq!(p.plain(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]).sw, 0x9000, "passport: SELECT MF");
    assert_eq!(p.plain(&[0x00, 0xA4, 0x00, 0x0C]).sw, 0x9000);
}

#[test]
fn bac_then_every_file_reads_back_identically() {
    for doc in [cccd(), Document::td3_specimen().unwrap()] {
        let expected = doc.files();
        let mut t = open(doc);
        assert!(t.chip.secure_messaging_active());
        for (fid, bytes) in expected {
            let sfi = (fid & 0x1F) as u8;
            if fid == 0x0103 {
                // DG3 needs Terminal Authentication: 6982 under SM, session intact.
                assert_eq!(t.read_sfi(sfi, 0, 8).unwrap().sw, 0x6982);
                assert!(t.last_had_do99);
                continue;
            }
            assert_eq!(t.read_file(sfi, 0xDF), bytes, "file {fid:04X}");
            assert!(t.last_had_do99);
        }
        assert!(t.chip.secure_messaging_active());
    }
}

#[test]
fn select_then_read_by_offset_and_extended_le() {
    let doc = cccd();
    let dg1 = doc.file(0x0101).unwrap().to_vec();
    let mut t = open(doc);
    assert_eq!(t.send(&CommandApdu::new(0, 0xA4, 0x02, 0x0C).with_data([0x01, 0x01])).unwrap().sw, 0x9000);
    let a = t.read_at(0, 4).unwrap();
    assert_eq!((a.data.as_slice(), a.sw), (&dg1[..4], 0x9000));
    let a = t.read_at(4, 1000).unwrap();
    assert_eq!((a.data.as_slice(), a.sw), (&dg1[4..], 0x6282), "extended Le past EOF");
    let a = t.read_at(dg1.len(), 1).unwrap();
    assert_eq!((a.data.len(), a.sw), (0, 0x6B00), "offset at EOF");
    let a = t.read_at(0x7FFF, 1).unwrap();
    assert_eq!(a.sw, 0x6B00, "offset beyond EOF");
    // Missing files, wrapped.
    assert_eq!(t.send(&CommandApdu::new(0, 0xA4, 0x02, 0x0C).with_data([0x01, 0x0B])).unwrap().sw, 0x6A82);
    assert_eq!(t.read_sfi(0x0B, 0, 4).unwrap().sw, 0x6A82);
    assert!(t.last_raw.ends_with(&[0x90, 0x00]), "outer status 9000, the real one in DO'99'");
    assert!(t.chip.secure_messaging_active());
    // Short Le 256 (Le byte 00).
    let a = t.read_sfi(0x02, 0, 256).unwrap();
    assert_eq!((a.data.len(), a.sw), (256, 0x9000));
}

#[test]
fn wrong_key_is_6300_and_leaves_no_session() {
    let mut t = Terminal::new(SoftwareChip::new(cccd()));
    assert_eq!(t.select_applet(), 0x9000);
    // The two wrong derivations third-party readers use (CCCD.md): first 9 digits, and the full 12.
    assert_eq!(t.bac("001095012595031243503122"), Err(BacFailure::Status(0x6300)));
    assert!(!t.chip.secure_messaging_active());
    assert_eq!(t.plain(&[0x00, 0xB0, 0x9E, 0x00, 0x04]).sw, 0x6982);
    // The challenge was used up: a second EXTERNAL AUTHENTICATE needs a new one.
    let mut ea = vec![0x00, 0x82, 0x00, 0x00, 0x28];
    ea.extend_from_slice(&[0u8; 40]);
    assert_eq!(t.plain(&ea).sw, 0x6985);
    assert_eq!(t.bac("095012345595031243503122"), Ok(()));
}

#[test]
fn sm_errors_abort_the_session() {
    let mut t = open(cccd());
    // A flipped MAC bit: plain 6988, keys dropped.
    let mut wire = t.protect(&CommandApdu::new(0, 0xB0, 0x9E, 0).with_le(4));
    let n = wire.len();
    wire[n - 2] ^= 1;
    assert_eq!(t.chip.transceive(&wire).unwrap(), [0x69, 0x88]);
    assert!(!t.chip.secure_messaging_active());
    assert_eq!(t.plain(&[0x0C, 0xB0, 0x9E, 0x00, 0x00]).sw, 0x6988);
    // Missing DO'8E': 6987.
    t.open();
    assert_eq!(t.chip.transceive(&[0x0C, 0xB0, 0x9E, 0x00, 0x03, 0x97, 0x01, 0x04, 0x00]).unwrap(), [0x69, 0x87]);
    assert!(!t.chip.secure_messaging_active());
    // DO'87' on an odd INS is refused (ICAO: DO'85').
    t.open();
    let wire = t.protect(&CommandApdu::new(0, 0xB0, 0x9E, 0).with_le(4));
    let mut odd = wire.clone();
    odd[1] = 0xB1;
    assert_eq!(t.chip.transceive(&odd).unwrap(), [0x69, 0x88]);
    // A plain command ends the session too.
    t.open();
    assert_eq!(t.plain(&[0x00, 0xB0, 0x9E, 0x00, 0x04]).sw, 0x6982);
    assert!(!t.chip.secure_messaging_active());
    // And BAC again works.
    t.open();
    assert_eq!(t.read_sfi(0x1E, 0, 4).unwrap().sw, 0x9000);
}

#[test]
fn odd_ins_reads_a_dg2_over_32_kib() {
    let doc = DocumentBuilder::cccd_demo().large_dg2(70_000).build().unwrap();
    let dg2 = doc.file(0x0102).unwrap().to_vec();
    assert!(dg2.len() > 0x10000);
    let mut t = open(doc);
    assert_eq!(t.read_file(0x02, 0xDF), dg2);
    // B1 by SFI at offset 0x8000 with an extended Le; DO'53' sized to fit Ne.
    let a = t.send(&CommandApdu::new(0, 0xB1, 0x00, 0x02).with_data([0x54, 0x02, 0x80, 0x00]).with_le(1000)).unwrap();
    assert_eq!(a.sw, 0x9000);
    assert_eq!(&a.data[..4], [0x53, 0x82, 0x03, 0xE4]);
    assert_eq!(&a.data[4..], &dg2[0x8000..0x8000 + 996]);
    assert_eq!(t.last_raw[0], 0x85, "odd INS answers in DO'85'");
    // Extended Le 65 536 near the end: what remains, with 6282.
    let a = t.read_odd(dg2.len() - 10, 65_536).unwrap();
    assert_eq!(a.sw, 0x6282);
    assert_eq!(single_tlv(&a.data, 0x53, "DO'53'").unwrap(), &dg2[dg2.len() - 10..]);
    assert_eq!(t.read_odd(dg2.len(), 16).unwrap().sw, 0x6B00);
    // A three-byte offset.
    let a = t.read_odd(0x10001, 20).unwrap();
    assert_eq!(single_tlv(&a.data, 0x53, "DO'53'").unwrap(), &dg2[0x10001..0x10001 + 18]);
    // Bad DO'54'.
    let bad = t.send(&CommandApdu::new(0, 0xB1, 0, 0).with_data([0x53, 0x01, 0x00]).with_le(16)).unwrap();
    assert_eq!(bad.sw, 0x6A80);
}

#[test]
fn active_authentication_signs_the_challenge() {
    use p256::ecdsa::signature::Verifier;
    let doc = cccd();
    let key = doc.active_authentication_key().unwrap();
    let mut t = open(doc);
    let challenge = [1, 2, 3, 4, 5, 6, 7, 8];
    let a = t.send(&CommandApdu::new(0, 0x88, 0, 0).with_data(challenge).with_le(256)).unwrap();
    assert_eq!((a.sw, a.data.len()), (0x9000, 64));
    let sig = p256::ecdsa::Signature::from_slice(&a.data).unwrap();
    assert!(key.verify(&challenge, &sig).is_ok());
    assert!(key.verify(&[0; 8], &sig).is_err());
    let mut p = open(Document::td3_specimen().unwrap());
    assert_eq!(p.send(&CommandApdu::new(0, 0x88, 0, 0).with_data(challenge).with_le(256)).unwrap().sw, 0x6D00);
}

#[test]
fn atr_check_byte() {
    // TCK: XOR of T0 .. the last historical byte is the last byte.
    assert_eq!(ATR[1..12].iter().fold(0u8, |a, b| a ^ b), ATR[12]);
}

#[test]
fn chip_is_send() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<SoftwareChip>();
    assert_send::<Document>();
}

#[test]
fn protected_external_authenticate_is_refused() {
    let mut t = open(cccd());
    let a = t.send(&CommandApdu::new(0, 0x82, 0, 0).with_data([0u8; 40]).with_le(40)).unwrap();
    assert_eq!(a.sw, 0x6985);
    assert!(t.chip.secure_messaging_active());
}

#[test]
fn apdu_count_counts_every_call() {
    let mut t = Terminal::new(SoftwareChip::new(cccd()));
    assert_eq!(t.chip.apdu_count(), 0);
    t.open(); // SELECT, GET CHALLENGE, EXTERNAL AUTHENTICATE
    assert_eq!(t.chip.apdu_count(), 3);
    t.plain(&[0xFF]);
    assert_eq!(t.chip.apdu_count(), 4);
}

// ---------------------------------------------------------------- faults, one by one

fn faulty(fault: impl Into<Injection>) -> Terminal {
    let mut t = open(cccd());
    t.chip.inject(fault);
    t
}

const READ_COM: fn(&mut Terminal) -> Result<Answer, SmFailure> = |t| t.read_sfi(0x1E, 0, 4);

#[test]
fn fault_response_mac_wrong_and_missing() {
    let mut t = faulty(Fault::ResponseMacWrong.nth(1));
    assert_eq!(READ_COM(&mut t), Err(SmFailure::BadMac));
    let mut t = faulty(Fault::ResponseWithoutMac);
    assert_eq!(READ_COM(&mut t), Err(SmFailure::NoMac));
    assert!(!t.last_raw.windows(2).any(|w| w == [0x8E, 0x08]));
}

#[test]
fn fault_cryptogram_and_padding() {
    let com = cccd().file(0x011E).unwrap()[..16].to_vec();
    let mut t = faulty(Fault::ResponseBadPadding);
    assert_eq!(t.read_sfi(0x1E, 0, 16), Err(SmFailure::BadPadding));
    let mut t = faulty(Fault::ResponseCryptogramWrong);
    // The MAC verifies (it covers the altered bytes); the plaintext is not the file.
    match t.read_sfi(0x1E, 0, 16) {
        Err(SmFailure::BadPadding) => {}
        Ok(a) => assert_ne!(a.data, com),
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn fault_do99_omitted_is_still_readable() {
    let doc = cccd();
    let com = doc.file(0x011E).unwrap().to_vec();
    let mut t = open(doc);
    t.chip.inject(Fault::ResponseWithoutDo99);
    assert_eq!(t.read_file(0x1E, 0xDF), com);
    assert!(!t.last_had_do99);
}

#[test]
fn fault_valid_variants_do87_and_mirrored_status() {
    let doc = DocumentBuilder::cccd_demo().large_dg2(40_000).build().unwrap();
    let dg2 = doc.file(0x0102).unwrap().to_vec();
    let mut t = open(doc);
    t.chip.inject(Fault::OddInsResponseInDo87);
    t.chip.inject(Fault::OuterStatusMirrorsDo99);
    assert_eq!(t.read_sfi(0x02, 0, 4).unwrap().sw, 0x9000);
    let a = t.read_odd(0x9000, 100).unwrap();
    assert_eq!(t.last_raw[..3], [0x87, 0x69, 0x01]);
    assert_eq!(single_tlv(&a.data, 0x53, "DO'53'").unwrap(), &dg2[0x9000..0x9000 + 98]);
    assert_eq!(t.read_sfi(0x0B, 0, 4).unwrap().sw, 0x6A82);
    assert!(t.last_raw.ends_with(&[0x6A, 0x82]));
}

#[test]
fn fault_sm_error_mid_read() {
    for sw in [StatusWord::SM_OBJECTS_MISSING, StatusWord::SM_OBJECTS_INCORRECT] {
        let mut t = faulty(Fault::SmError(sw).nth(2));
        assert_eq!(READ_COM(&mut t).unwrap().sw, 0x9000);
        assert_eq!(READ_COM(&mut t), Err(SmFailure::Plain(sw.0)));
        assert!(!t.chip.secure_messaging_active());
        assert_eq!(t.plain(&[0x00, 0xB0, 0x9E, 0x00, 0x04]).sw, 0x6982);
        t.open();
        assert_eq!(READ_COM(&mut t).unwrap().sw, 0x9000, "re-BAC recovers");
    }
}

#[test]
fn fault_ssc_skip() {
    let mut t = faulty(Fault::SscSkip.nth(2));
    assert_eq!(READ_COM(&mut t).unwrap().sw, 0x9000);
    assert_eq!(READ_COM(&mut t), Err(SmFailure::BadMac));
}

#[test]
fn fault_external_authenticate() {
    let info = cccd().mrz_information().to_string();
    for (fault, expected) in [
        (Fault::ExternalAuthenticateRejected, BacFailure::Status(0x6300)),
        (Fault::ExternalAuthenticateWrongMac, BacFailure::BadMac),
        (Fault::ExternalAuthenticateWrongRndIfd, BacFailure::BadEcho),
    ] {
        let mut t = Terminal::new(SoftwareChip::with_faults(cccd(), [fault.first(1)]));
        assert_eq!(t.select_applet(), 0x9000);
        assert_eq!(t.bac(&info), Err(expected));
        assert_eq!(t.bac(&info), Ok(()), "second attempt is clean");
    }
}

#[test]
fn fault_read_binary_answers() {
    let doc = cccd();
    let dg1 = doc.file(0x0101).unwrap().to_vec();
    let mut t = open(doc);
    let read = |t: &mut Terminal, fault: Fault, offset: usize, le: usize| {
        t.chip.clear_faults();
        t.chip.inject(fault.first(1));
        t.read_at(offset, le).unwrap()
    };
    assert_eq!(t.read_sfi(0x01, 0, 1).unwrap().sw, 0x9000);
    let a = read(&mut t, Fault::ReadEarlyEof, 0, 20);
    assert_eq!((a.data.as_slice(), a.sw), (&dg1[..10], 0x6282));
    let a = read(&mut t, Fault::ReadWrongParameters, 0, 20);
    assert_eq!((a.data.len(), a.sw), (0, 0x6B00));
    let a = read(&mut t, Fault::ReadWrongLe, 80, 200);
    assert_eq!((a.data.len(), a.sw), (0, 0x6C00 | (dg1.len() - 80) as u16));
    let a = t.read_at(80, dg1.len() - 80).unwrap();
    assert_eq!((a.data.as_slice(), a.sw), (&dg1[80..], 0x9000), "retry with the right Le");
    let a = read(&mut t, Fault::ReadEmpty, 0, 20);
    assert_eq!((a.data.len(), a.sw), (0, 0x9000));
    let a = read(&mut t, Fault::ReadTooMuch, 0, 20);
    assert_eq!((a.data.as_slice(), a.sw), (&dg1[..24], 0x9000));
    let a = read(&mut t, Fault::ReadTooMuch, dg1.len() - 2, 4);
    assert_eq!(a.data.len(), 8, "more than Le even at EOF");
    let a = read(&mut t, Fault::ReadAtMost(1), 0, 20);
    assert_eq!((a.data.as_slice(), a.sw), (&dg1[..1], 0x9000));
    let a = read(&mut t, Fault::ReadWrongLengthAtEof, dg1.len() - 5, 20);
    assert_eq!((a.data.len(), a.sw), (0, 0x6700));
    let a = read(&mut t, Fault::ReadWrongLengthAtEof, 0, 20);
    assert_eq!(a.sw, 0x9000, "only at EOF");
    // A whole file one byte at a time.
    t.chip.clear_faults();
    t.chip.inject(Fault::ReadAtMost(1));
    let mut out = Vec::new();
    while out.len() < dg1.len() {
        let a = t.read_at(out.len(), 100).unwrap();
        assert_eq!(a.data.len(), 1);
        out.extend_from_slice(&a.data);
    }
    assert_eq!(out, dg1);
}

#[test]
fn fault_odd_ins_do53() {
    let doc = DocumentBuilder::cccd_demo().large_dg2(40_000).build().unwrap();
    let dg2 = doc.file(0x0102).unwrap().to_vec();
    let mut t = open(doc);
    assert_eq!(t.read_sfi(0x02, 0, 1).unwrap().sw, 0x9000);
    t.chip.inject(Fault::OddInsWithoutDo53.nth(1));
    t.chip.inject(Fault::OddInsTruncatedDo53.nth(2));
    let a = t.read_odd(0x8000, 50).unwrap();
    assert_eq!(a.data, &dg2[0x8000..0x8000 + 48], "raw bytes, no DO'53'");
    let a = t.read_odd(0x8000, 50).unwrap();
    assert_eq!(&a.data[..2], [0x53, 48 + 16]);
    assert_eq!(a.data.len(), 50);
    assert!(single_tlv(&a.data, 0x53, "DO'53'").is_err());
    // B0 reads are not odd-INS reads: the counters only see B1.
    let a = t.read_odd(0x8000, 50).unwrap();
    assert_eq!(single_tlv(&a.data, 0x53, "DO'53'").unwrap(), &dg2[0x8000..0x8000 + 48]);
}

#[test]
fn fault_wrong_file() {
    let mut t = faulty(Fault::WrongFile.nth(1));
    let a = t.read_sfi(0x01, 0, 4).unwrap();
    assert_eq!(a.sw, 0x9000);
    assert_ne!(a.data[0], 0x61, "not DG1");
    assert_eq!(t.read_sfi(0x01, 0, 4).unwrap().data[0], 0x61);
}

#[test]
fn fault_card_removed_and_timeout() {
    let mut t = Terminal::new(SoftwareChip::with_faults(cccd(), [Injection::card_removed_after(4)]));
    t.open();
    assert_eq!(READ_COM(&mut t).unwrap().sw, 0x9000);
    assert_eq!(READ_COM(&mut t), Err(SmFailure::Transport(TransportError::CardRemoved)));
    assert_eq!(t.chip.transceive(&[0x00, 0xA4, 0x04, 0x0C]), Err(TransportError::CardRemoved));
    assert_eq!(t.chip.apdu_count(), 6);
    t.chip.clear_faults();
    t.chip.reset();
    assert!(!t.chip.secure_messaging_active());
    t.open();
    assert_eq!(READ_COM(&mut t).unwrap().sw, 0x9000);

    let mut t = faulty(Fault::Timeout.at_apdu(5));
    assert_eq!(READ_COM(&mut t).unwrap().sw, 0x9000);
    assert_eq!(READ_COM(&mut t), Err(SmFailure::Transport(TransportError::Other("timeout".into()))));
    assert!(t.chip.transceive(&[0x00, 0x84, 0x00, 0x00, 0x08]).is_err());
    assert_eq!(t.chip.faults()[0].fired(), 1);
}

// ---------------------------------------------------------------- never panics

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_in_any_state(
        state in 0u8..3,
        apdus in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..12),
    ) {
        let mut t = Terminal::new(SoftwareChip::new(cccd()));
        if state >= 1 { t.select_applet(); }
        if state == 2 { t.open(); }
        for apdu in apdus {
            let r = t.chip.transceive(&apdu).unwrap();
            prop_assert!(r.len() >= 2);
        }
    }

    #[test]
    fn any_command_under_secure_messaging(
        cmds in proptest::collection::vec(
            (any::<u8>(), any::<u8>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..64), proptest::option::of(1usize..=65_536)),
            1..10,
        ),
    ) {
        let mut t = open(cccd());
        for (ins, p1, p2, data, le) in cmds {
            if !t.has_session() { t.open(); }
            let cmd = CommandApdu { cla: 0, ins, p1, p2, data, le };
            match t.send(&cmd) {
                Ok(_) | Err(SmFailure::Plain(_)) => {}
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }
    }
}

/// A fault-laden session never panics either (every fault at once, random reads).
#[test]
fn every_fault_at_once_never_panics() {
    let faults = [
        Fault::ResponseMacWrong,
        Fault::ResponseWithoutMac,
        Fault::ResponseCryptogramWrong,
        Fault::ResponseBadPadding,
        Fault::ResponseWithoutDo99,
        Fault::OddInsResponseInDo87,
        Fault::OuterStatusMirrorsDo99,
        Fault::SmError(StatusWord::SM_OBJECTS_INCORRECT),
        Fault::SscSkip,
        Fault::ReadEarlyEof,
        Fault::ReadWrongParameters,
        Fault::ReadWrongLe,
        Fault::ReadEmpty,
        Fault::ReadTooMuch,
        Fault::ReadAtMost(3),
        Fault::ReadWrongLengthAtEof,
        Fault::OddInsWithoutDo53,
        Fault::OddInsTruncatedDo53,
        Fault::WrongFile,
    ];
    for (i, fault) in faults.into_iter().enumerate() {
        let mut chip = SoftwareChip::new(DocumentBuilder::cccd_demo().large_dg2(33_000).build().unwrap());
        chip.inject(fault.nth(1 + i % 3));
        let mut t = Terminal::new(chip);
        t.open();
        for k in 0..6usize {
            if !t.has_session() {
                t.open();
            }
            let _ = t.read_sfi(0x02, (k * 7) as u8, 1 + k * 40);
            if !t.has_session() {
                t.open();
            }
            let _ = t.read_odd(0x8000 + k, 100 + k);
        }
    }
}
