//! Software documents: the MRZ, the LDS files (ICAO 9303-10) and the PKI that signed them.
//!
//! Two fixed documents, both made of synthetic data:
//! - [`Document::cccd_demo`]: the demo Vietnamese CCCD of the API contract
//!   (ID 001095012345, Nguyễn Văn An, CAN 012345), TD1, with DG1, DG2, DG3
//!   (TA-protected), DG13 (Vietnamese layout), DG14, DG15 and EF.SOD; PACE
//!   (id-PACE-ECDH-GM-AES-CBC-CMAC-128 on brainpoolP256r1) and BAC; SELECT MF
//!   answers `6D00`.
//! - [`Document::td3_specimen`]: the ICAO specimen passport of Anna Maria
//!   Eriksson (Utopia, L898902C3), TD3, with DG1, DG2, DG11, DG12 and EF.SOD;
//!   BAC only (no EF.CardAccess).
//!
//! [`DocumentBuilder`] varies them: signer and hash, a DG2 over 32 KB,
//! replaced, removed or tampered files, SOD defects (HOSTILE.md 19–28), the
//! PACE protocols offered.

use super::BuildError;
use super::authenticity::{self, AuthenticitySpec, ChipKeys};
use super::der::{self, Date, oids};
use super::mrz::{MrzFields, check_digit};
use super::pace::PaceSuite;
use super::pki::{self, HashAlgorithm, PkiExtra, PkiOptions, SignerKind, SodExtra, SodOptions};
use crate::protocol::tlv::{Reader, tlv};
use core::fmt;
use zeroize::{Zeroize, Zeroizing};

/// The demo CCCD's portrait: a drawn, synthetic face, 480 × 640 baseline JPEG
/// (made by `assets/make_portraits.py`).
pub const CCCD_PORTRAIT_JPEG: &[u8] = include_bytes!("assets/portrait_cccd.jpg");
/// The specimen passport's portrait: a drawn, synthetic face, 240 × 320 baseline JPEG.
pub const TD3_PORTRAIT_JPEG: &[u8] = include_bytes!("assets/portrait_td3.jpg");

/// FID of EF.COM.
pub const FID_COM: u16 = 0x011E;
/// FID of EF.SOD.
pub const FID_SOD: u16 = 0x011D;
/// FID of EF.CardAccess (in the master file).
pub const FID_CARD_ACCESS: u16 = 0x011C;

/// The FID of data group `n` (ICAO 9303-10 Table 37: `01nn`).
pub fn dg_fid(n: u8) -> u16 {
    0x0100 | u16::from(n)
}

/// The data group number of a FID `0101`..=`0110`.
fn dg_number(fid: u16) -> Option<u8> {
    let n = (fid & 0xFF) as u8;
    (fid & 0xFF00 == 0x0100 && (1..=16).contains(&n)).then_some(n)
}

/// The outer tag of data group `n` (ICAO 9303-10 Table 37).
fn dg_tag(n: u8) -> u8 {
    const TAGS: [u8; 16] =
        [0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70];
    TAGS.get(usize::from(n).saturating_sub(1)).copied().unwrap_or(0x70)
}

/// A software eMRTD: what a chip holds, plus the CSCA that vouches for it.
///
/// Personal data inside is synthetic, but treated like the real thing: the
/// [`Debug`] output shows only file sizes, and the buffers are wiped on drop.
#[derive(Clone)]
pub struct Document {
    mrz: Zeroizing<String>,
    mrz_information: Zeroizing<String>,
    can: Option<String>,
    files: Vec<(u16, Vec<u8>)>,
    mf_files: Vec<(u16, Vec<u8>)>,
    csca_cert: Vec<u8>,
    ds_cert: Vec<u8>,
    crl: Vec<u8>,
    master_list: Vec<u8>,
    select_mf_unsupported: bool,
    aa_key: Option<p256::ecdsa::SigningKey>,
    ca_key: Option<p256::ecdsa::SigningKey>,
    /// The private keys the chip computes with (a cloned chip's differ from DG14/DG15).
    chip_keys: ChipKeys,
    pace: Vec<PaceSuite>,
}

impl Drop for Document {
    fn drop(&mut self) {
        for (_, bytes) in self.files.iter_mut().chain(self.mf_files.iter_mut()) {
            bytes.zeroize();
        }
        if let Some(can) = self.can.as_mut() {
            can.zeroize();
        }
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files: Vec<String> = self.files.iter().map(|(fid, b)| format!("{fid:04X}: {} bytes", b.len())).collect();
        f.debug_struct("Document").field("mrz", &"<redacted>").field("files", &files).finish_non_exhaustive()
    }
}

impl Document {
    /// The demo Vietnamese CCCD of the API contract (see the module docs).
    pub fn cccd_demo() -> Result<Self, BuildError> {
        DocumentBuilder::cccd_demo().build()
    }

    /// The ICAO 9303 specimen passport (TD3, Utopia).
    pub fn td3_specimen() -> Result<Self, BuildError> {
        DocumentBuilder::td3_specimen().build()
    }

    /// The MRZ as printed, lines joined by `\n`.
    pub fn mrz(&self) -> &str {
        &self.mrz
    }

    /// The BAC key input (ICAO 9303-11 §9.7.2): document number, date of
    /// birth and date of expiry, each followed by its check digit.
    pub fn mrz_information(&self) -> &str {
        &self.mrz_information
    }

    /// The card access number printed on the card, if it has one (CCCD: the
    /// last 6 digits of the ID number).
    pub fn can(&self) -> Option<&str> {
        self.can.as_deref()
    }

    /// The eMRTD application's files (EF.COM, EF.SOD, the data groups) as
    /// (FID, bytes), in FID order of the LDS: EF.COM, data groups, EF.SOD.
    pub fn files(&self) -> Vec<(u16, Vec<u8>)> {
        self.files.clone()
    }

    /// One application file by FID.
    pub fn file(&self, fid: u16) -> Option<&[u8]> {
        self.files.iter().find(|(f, _)| *f == fid).map(|(_, b)| b.as_slice())
    }

    /// Files of the master file, readable without access control: EF.CardAccess
    /// (`011C`) when the document offers PACE, and any added with
    /// [`DocumentBuilder::mf_file`].
    pub fn mf_files(&self) -> Vec<(u16, Vec<u8>)> {
        self.mf_files.clone()
    }

    /// EF.CardAccess, if the document has one.
    pub fn card_access(&self) -> Option<&[u8]> {
        self.mf_files.iter().find(|(f, _)| *f == FID_CARD_ACCESS).map(|(_, b)| b.as_slice())
    }

    /// The PACE protocols the chip accepts in MSE:Set AT (empty: BAC only), in
    /// the order of EF.CardAccess's PACEInfos.
    pub fn pace_suites(&self) -> &[PaceSuite] {
        &self.pace
    }

    /// The DER certificate of the CSCA that issued the document signer.
    pub fn csca_certificate(&self) -> &[u8] {
        &self.csca_cert
    }

    /// The DER certificate of the document signer (also inside EF.SOD unless left out).
    pub fn document_signer_certificate(&self) -> &[u8] {
        &self.ds_cert
    }

    /// A CRL (DER, RFC 5280 §5) signed by the CSCA: empty, or revoking the
    /// document signer with [`DocumentBuilder::revoked_ds`] (HOSTILE 25).
    pub fn crl(&self) -> &[u8] {
        &self.crl
    }

    /// A CSCA master list file (`.ml`, ICAO 9303-12 §8.2.2) holding the CSCA
    /// certificate, signed by a master list signer the CSCA issued.
    pub fn master_list(&self) -> &[u8] {
        &self.master_list
    }

    /// True if SELECT MF (`3F00`) answers `6D00`, as on the CCCD.
    pub fn select_mf_unsupported(&self) -> bool {
        self.select_mf_unsupported
    }

    /// The Active Authentication public key of DG15, if the document has one.
    pub fn active_authentication_key(&self) -> Option<p256::ecdsa::VerifyingKey> {
        self.aa_key.as_ref().map(|k| *k.verifying_key())
    }

    /// The Chip Authentication public key of DG14, if the document has one.
    pub fn chip_authentication_key(&self) -> Option<p256::ecdsa::VerifyingKey> {
        self.ca_key.as_ref().map(|k| *k.verifying_key())
    }

    /// The chip's Active and Chip Authentication private keys.
    pub(crate) fn chip_keys(&self) -> &ChipKeys {
        &self.chip_keys
    }
}

/// A value of a Vietnamese DG13 field (CCCD.md).
#[derive(Clone)]
enum Dg13Value {
    Printable(&'static str),
    Utf8(&'static str),
    /// Field 13: `30 L {0C father}`, `30 L {0C mother}`.
    Parents(&'static str, &'static str),
    /// Field 14 with no spouse: only the key.
    Empty,
}

/// Everything about a document that is not cryptography.
#[derive(Clone)]
struct Persona {
    fields: MrzFields,
    td1: bool,
    can: Option<String>,
    /// ISO 3166-1 alpha-2 for the certificates.
    country: &'static str,
    portrait: &'static [u8],
    /// ISO/IEC 19794-5 gender: 1 male, 2 female.
    gender: u8,
    data_groups: Vec<u8>,
    dg11: Vec<(u32, &'static str)>,
    dg12: Vec<(u32, &'static str)>,
    dg13: Vec<(u8, Dg13Value)>,
    select_mf_unsupported: bool,
    signing_time: Date,
    pace: Vec<PaceSuite>,
}

/// The demo CCCD of API.md. The MRZ follows the CCCD layout of CCCD.md: the
/// document number is the last 9 digits of the ID, the optional data is the
/// full ID, `<<` and the ID's check digit.
fn cccd_persona() -> Persona {
    const ID: &str = "001095012345";
    Persona {
        fields: MrzFields {
            doc_code: "ID".into(),
            state: "VNM".into(),
            number: "095012345".into(),
            birth: "950312".into(),
            sex: 'M',
            expiry: "350312".into(),
            nationality: "VNM".into(),
            surname: "NGUYEN".into(),
            given: "VAN<AN".into(),
            optional1: format!("{ID}<<{}", check_digit(ID)),
            optional2: String::new(),
        },
        td1: true,
        can: Some("012345".into()),
        country: "VN",
        portrait: CCCD_PORTRAIT_JPEG,
        gender: 1,
        data_groups: vec![1, 2, 3, 13, 14, 15],
        dg11: Vec::new(),
        dg12: Vec::new(),
        dg13: vec![
            (1, Dg13Value::Printable(ID)),
            (2, Dg13Value::Utf8("Nguyễn Văn An")),
            (3, Dg13Value::Printable("12/03/1995")),
            (4, Dg13Value::Utf8("Nam")),
            (5, Dg13Value::Utf8("Việt Nam")),
            (6, Dg13Value::Utf8("Kinh")),
            (7, Dg13Value::Utf8("Không")),
            (8, Dg13Value::Utf8("Xã Tân Hội, Huyện Đan Phượng, Hà Nội")),
            (9, Dg13Value::Utf8("Số 12 Phố Hàng Bông, Phường Hàng Gai, Quận Hoàn Kiếm, Hà Nội")),
            (10, Dg13Value::Utf8("Nốt ruồi C:2cm trên trước đuôi mắt trái")),
            (11, Dg13Value::Printable("01/06/2021")),
            (12, Dg13Value::Utf8("12/03/2035")),
            (13, Dg13Value::Parents("Nguyễn Văn Bình", "Trần Thị Lan")),
            (14, Dg13Value::Empty),
            (15, Dg13Value::Printable("012345678")),
        ],
        select_mf_unsupported: true,
        signing_time: Date::new(2021, 6, 1),
        pace: vec![PaceSuite::CCCD],
    }
}

/// The ICAO 9303 specimen passport (ICAO 9303-4 Appendix A), with computed check digits.
fn td3_persona() -> Persona {
    Persona {
        fields: MrzFields {
            doc_code: "P<".into(),
            state: "UTO".into(),
            number: "L898902C3".into(),
            birth: "740812".into(),
            sex: 'F',
            expiry: "120415".into(),
            nationality: "UTO".into(),
            surname: "ERIKSSON".into(),
            given: "ANNA<MARIA".into(),
            optional1: "ZE184226B".into(),
            optional2: String::new(),
        },
        td1: false,
        can: None,
        country: "UT",
        portrait: TD3_PORTRAIT_JPEG,
        gender: 2,
        data_groups: vec![1, 2, 11, 12],
        // ICAO 9303-10 §4.7.11 (DG11) and §4.7.12 (DG12).
        dg11: vec![
            (0x5F0E, "ERIKSSON<<ANNA<MARIA"),
            (0x5F10, "ZE184226B"),
            (0x5F2B, "19740812"),
            (0x5F11, "ZENITH"),
            (0x5F42, "123 MAPLE STREET<ZENITH<UTOPIA"),
        ],
        dg12: vec![
            (0x5F19, "UTOPIA PASSPORT AUTHORITY"),
            (0x5F26, "20020415"),
            (0x5F55, "20020415103000"),
            (0x5F56, "PERSO-0001"),
        ],
        dg13: Vec::new(),
        select_mf_unsupported: false,
        signing_time: Date::new(2002, 4, 15),
        pace: Vec::new(),
    }
}

/// EF.COM (ICAO 9303-10 §4.6.1): `60 L { 5F01 "0107", 5F36 "040000", 5C tag list }`.
fn ef_com(data_groups: &[u8]) -> Vec<u8> {
    let tags: Vec<u8> = data_groups.iter().map(|&n| dg_tag(n)).collect();
    let mut body = tlv(0x5F01, b"0107");
    body.extend_from_slice(&tlv(0x5F36, b"040000"));
    body.extend_from_slice(&tlv(0x5C, &tags));
    tlv(0x60, &body)
}

/// DG1 (ICAO 9303-10 §4.7.1): `61 L { 5F1F L MRZ }`, the MRZ without line breaks.
fn dg1(mrz: &str) -> Vec<u8> {
    let joined: Zeroizing<String> = Zeroizing::new(mrz.chars().filter(|&c| c != '\n').collect());
    tlv(0x61, &tlv(0x5F1F, joined.as_bytes()))
}

/// The width and height of a JPEG from its first SOFn segment (ITU-T T.81 §B.2.2).
pub fn jpeg_dimensions(jpeg: &[u8]) -> Option<(u16, u16)> {
    let mut r = Reader::new(jpeg);
    if r.u16_be()? != 0xFFD8 {
        return None;
    }
    loop {
        if r.u8()? != 0xFF {
            return None;
        }
        let mut marker = r.u8()?;
        while marker == 0xFF {
            marker = r.u8()?;
        }
        match marker {
            0xD9 | 0xDA => return None,
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let len = usize::from(r.u16_be()?);
        let body = r.take(len.checked_sub(2)?)?;
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let mut b = Reader::new(body);
            b.u8()?; // sample precision
            let height = b.u16_be()?;
            let width = b.u16_be()?;
            return Some((width, height));
        }
    }
}

/// Largest payload of one JPEG COM segment (its length field counts itself).
const MAX_COM_PAYLOAD: usize = 65_533;

/// Grows a JPEG to at least `min_len` bytes with COM segments right after SOI;
/// decoders skip them, so the picture is unchanged.
fn pad_jpeg(jpeg: &[u8], min_len: usize) -> Vec<u8> {
    let mut out = jpeg.get(..2).unwrap_or(&[]).to_vec();
    let mut missing = min_len.saturating_sub(jpeg.len());
    let filler = b"mrtdd synthetic portrait padding. ";
    while missing > 0 {
        let payload = missing.saturating_sub(4).clamp(1, MAX_COM_PAYLOAD);
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&((payload + 2) as u16).to_be_bytes());
        out.extend(filler.iter().cycle().take(payload));
        missing = missing.saturating_sub(payload + 4);
    }
    out.extend_from_slice(jpeg.get(2..).unwrap_or(&[]));
    out
}

/// DG2 (ICAO 9303-10 §4.7.2): one facial record in a CBEFF biometric group.
///
/// ```text
/// 75 L
///   7F61 L                  Biometric Information Group Template
///     02 01 01              number of instances
///     7F60 L                Biometric Information Template
///       A1 L                Biometric Header Template
///         80 02 0101        ICAO header version
///         81 01 02          biometric type: facial features
///         87 02 0101        format owner: ISO/IEC JTC 1/SC 37
///         88 02 0008        format type: face image (ISO/IEC 19794-5)
///       5F2E L              biometric data block: the ISO/IEC 19794-5 record
/// ```
/// The record (ISO/IEC 19794-5:2005 §5): header `FAC\0` `010\0` record length
/// (4) and image count (2); facial information (20 bytes: block length,
/// feature points, gender, eye and hair colour, feature mask, expression, pose
/// and its uncertainty); image information (12 bytes: face image type full
/// frontal, image data type JPEG, width, height, colour space, source type,
/// device type, quality); the JPEG.
fn dg2(jpeg: &[u8], gender: u8) -> Vec<u8> {
    let (width, height) = jpeg_dimensions(jpeg).unwrap_or((0, 0));
    let block_len = (20 + 12 + jpeg.len()) as u32;
    let record_len = 14 + block_len;
    let mut record = Vec::with_capacity(record_len as usize);
    record.extend_from_slice(b"FAC\x00010\x00");
    record.extend_from_slice(&record_len.to_be_bytes());
    record.extend_from_slice(&1u16.to_be_bytes());
    // Facial information block.
    record.extend_from_slice(&block_len.to_be_bytes());
    record.extend_from_slice(&0u16.to_be_bytes()); // feature points
    record.push(gender);
    record.push(0); // eye colour unspecified
    record.push(0); // hair colour unspecified
    record.extend_from_slice(&[0, 0, 0]); // feature mask
    record.extend_from_slice(&1u16.to_be_bytes()); // expression: neutral
    record.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // pose angles and uncertainty
    // Image information block.
    record.push(1); // full frontal
    record.push(0); // JPEG
    record.extend_from_slice(&width.to_be_bytes());
    record.extend_from_slice(&height.to_be_bytes());
    record.push(1); // 24-bit RGB
    record.push(2); // digital still camera
    record.extend_from_slice(&0u16.to_be_bytes()); // device type
    record.extend_from_slice(&0u16.to_be_bytes()); // quality
    record.extend_from_slice(jpeg);

    let mut bht = tlv(0x80, &[0x01, 0x01]);
    bht.extend_from_slice(&tlv(0x81, &[0x02]));
    bht.extend_from_slice(&tlv(0x87, &[0x01, 0x01]));
    bht.extend_from_slice(&tlv(0x88, &[0x00, 0x08]));
    let mut bit = tlv(0xA1, &bht);
    bit.extend_from_slice(&tlv(0x5F2E, &record));
    let mut group = tlv(0x02, &[0x01]);
    group.extend_from_slice(&tlv(0x7F60, &bit));
    tlv(0x75, &tlv(0x7F61, &group))
}

/// DG3 placeholder: a biometric group with no instances (it is never readable
/// without Terminal Authentication, but its hash is in EF.SOD).
fn dg3() -> Vec<u8> {
    tlv(0x63, &tlv(0x7F61, &tlv(0x02, &[0x00])))
}

/// DG11 or DG12: `tag L { 5C tag list, fields }` (ICAO 9303-10 §4.7.11–12).
fn tagged_fields(outer: u32, fields: &[(u32, &str)]) -> Vec<u8> {
    let mut list = Vec::new();
    let mut body = Vec::new();
    for (tag, value) in fields {
        crate::protocol::tlv::write_tag(*tag, &mut list);
        body.extend_from_slice(&tlv(*tag, value.as_bytes()));
    }
    let mut out = tlv(0x5C, &list);
    out.extend_from_slice(&body);
    tlv(outer, &out)
}

/// DG13 in the Vietnamese layout (CCCD.md):
///
/// ```text
/// 6D L { 30 L { 02 01 01, 06 06 28D316010008, 31 L { 30 L { 02 01 n, value }... } } }
/// ```
fn dg13(fields: &[(u8, Dg13Value)]) -> Vec<u8> {
    let mut set_body = Vec::new();
    for (n, value) in fields {
        let mut field = der::int(u64::from(*n));
        match value {
            Dg13Value::Printable(s) => field.extend_from_slice(&der::printable(s)),
            Dg13Value::Utf8(s) => field.extend_from_slice(&der::utf8(s)),
            Dg13Value::Parents(father, mother) => {
                field.extend_from_slice(&der::seq(&[&der::utf8(father)]));
                field.extend_from_slice(&der::seq(&[&der::utf8(mother)]));
            }
            Dg13Value::Empty => {}
        }
        set_body.extend_from_slice(&tlv(0x30, &field));
    }
    let inner = der::seq(&[&der::int(1), &der::oid(&[1, 0, 10646, 1, 0, 8]), &tlv(0x31, &set_body)]);
    tlv(0x6D, &inner)
}

/// EF.CardAccess (ICAO 9303-11 §9.2.1; BSI TR-03110-3 §A.1.2): `SecurityInfos`,
/// a DER `SET OF SecurityInfo`, shaped like the CCCD's (CCCD.md):
///
/// ```text
/// TerminalAuthenticationInfo ::= SEQUENCE { protocol id-TA, version INTEGER (2) }          -- if DG3 is TA-protected
/// ChipAuthenticationInfo ::= SEQUENCE { protocol id-CA-ECDH-AES-CBC-CMAC-128, version INTEGER (1) }  -- if DG14 has a CA key
/// PACEInfo ::= SEQUENCE { protocol id-PACE-ECDH-GM-…, version INTEGER (2), parameterId INTEGER }      -- one per PACE suite
/// ```
fn ef_card_access(ta: bool, ca: bool, suites: &[PaceSuite]) -> Vec<u8> {
    let mut infos = Vec::new();
    if ta {
        infos.push(der::seq(&[&der::oid(oids::TA), &der::int(2)]));
    }
    if ca {
        infos.push(der::seq(&[&der::oid(oids::CA_ECDH_AES_CBC_CMAC_128), &der::int(1)]));
    }
    infos.extend(suites.iter().map(|s| s.pace_info()));
    let refs: Vec<&[u8]> = infos.iter().map(Vec::as_slice).collect();
    der::set_of(&refs)
}

/// Longest card access number the builder accepts (ICAO CANs have 6 digits).
const MAX_CAN_LEN: usize = 16;

/// Builds a [`Document`] from one of the fixed personas, with variations.
///
/// ```
/// use mrtdd::chip::{DocumentBuilder, HashAlgorithm, SignerKind};
/// let doc = DocumentBuilder::td3_specimen()
///     .signer(SignerKind::EcdsaP256)
///     .sod_hash(HashAlgorithm::Sha512)
///     .large_dg2(40_000)
///     .build()?;
/// assert!(doc.file(0x0102).unwrap().len() >= 40_000);
/// # Ok::<(), mrtdd::chip::BuildError>(())
/// ```
#[derive(Clone)]
pub struct DocumentBuilder {
    persona: Persona,
    signer: SignerKind,
    csca_signer: Option<SignerKind>,
    hash: HashAlgorithm,
    dg2_min_len: Option<usize>,
    signed_changes: Vec<(u16, Option<Vec<u8>>)>,
    tampered: Vec<(u16, Option<Vec<u8>>)>,
    mf_files: Vec<(u16, Vec<u8>)>,
    sod_omit: Vec<u8>,
    sod_extra: Vec<u8>,
    select_mf_unsupported: Option<bool>,
    csca_validity: (Date, Date),
    ds_validity: (Date, Date),
    ds_extensions: bool,
    ds_explicit_parameters: bool,
    signing_time: bool,
    include_ds_certificate: bool,
    corrupt_sod_signature: bool,
    wrong_message_digest: bool,
    pace: Option<Vec<PaceSuite>>,
    pki_extra: PkiExtra,
    sod_variant: SodExtra,
    certificate_country: Option<String>,
    /// DG14/DG15 and the chip's keys (options in [`super::authenticity`]).
    pub(super) authenticity: AuthenticitySpec,
}

impl fmt::Debug for DocumentBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentBuilder")
            .field("signer", &self.signer)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

impl DocumentBuilder {
    fn with(persona: Persona, signer: SignerKind) -> Self {
        Self {
            persona,
            signer,
            csca_signer: None,
            hash: HashAlgorithm::Sha256,
            dg2_min_len: None,
            signed_changes: Vec::new(),
            tampered: Vec::new(),
            mf_files: Vec::new(),
            sod_omit: Vec::new(),
            sod_extra: Vec::new(),
            select_mf_unsupported: None,
            csca_validity: (Date::new(2020, 1, 1), Date::new(2045, 1, 1)),
            ds_validity: (Date::new(2021, 1, 1), Date::new(2036, 6, 1)),
            ds_extensions: true,
            ds_explicit_parameters: false,
            signing_time: true,
            include_ds_certificate: true,
            corrupt_sod_signature: false,
            wrong_message_digest: false,
            pace: None,
            pki_extra: PkiExtra::default(),
            sod_variant: SodExtra::default(),
            certificate_country: None,
            authenticity: AuthenticitySpec::default(),
        }
    }

    /// The demo CCCD, signed with ECDSA P-256 / SHA-256.
    pub fn cccd_demo() -> Self {
        Self::with(cccd_persona(), SignerKind::EcdsaP256)
    }

    /// The ICAO specimen passport, signed with RSA-2048 PKCS#1 v1.5 / SHA-256.
    pub fn td3_specimen() -> Self {
        Self::with(td3_persona(), SignerKind::RsaPkcs1v15)
    }

    /// The signer kind of the document signer and (unless [`csca_signer`](Self::csca_signer) is set) the CSCA.
    pub fn signer(mut self, kind: SignerKind) -> Self {
        self.signer = kind;
        self
    }

    /// A different kind for the CSCA than for the document signer.
    pub fn csca_signer(mut self, kind: SignerKind) -> Self {
        self.csca_signer = Some(kind);
        self
    }

    /// The hash of EF.SOD: data group hashes, signed attributes and signature.
    pub fn sod_hash(mut self, hash: HashAlgorithm) -> Self {
        self.hash = hash;
        self
    }

    /// Grows DG2 to at least `min_len` bytes (JPEG COM segments; the picture
    /// stays the same), e.g. over 32 767 to need odd-INS READ BINARY.
    pub fn large_dg2(mut self, min_len: usize) -> Self {
        self.dg2_min_len = Some(min_len);
        self
    }

    /// Replaces (or adds) an application file *before* signing: EF.SOD hashes
    /// these bytes and a new data group is listed in EF.COM. Hostile content
    /// with a valid signature (HOSTILE 1–6, 13). Replacing EF.COM or EF.SOD
    /// keeps the given bytes as they are.
    pub fn file(mut self, fid: u16, bytes: Vec<u8>) -> Self {
        self.signed_changes.push((fid, Some(bytes)));
        self
    }

    /// Leaves a file out entirely: not on the chip, not in EF.COM, not in EF.SOD.
    pub fn without_file(mut self, fid: u16) -> Self {
        self.signed_changes.push((fid, None));
        self
    }

    /// Replaces a file's bytes *after* signing, so its EF.SOD hash no longer
    /// matches (HOSTILE 19).
    pub fn tamper_file(mut self, fid: u16, bytes: Vec<u8>) -> Self {
        self.tampered.push((fid, Some(bytes)));
        self
    }

    /// Removes a file from the chip after signing: EF.COM and EF.SOD still list it (HOSTILE 20).
    pub fn remove_file(mut self, fid: u16) -> Self {
        self.tampered.push((fid, None));
        self
    }

    /// Adds a file to the master file (readable without access control), e.g. EF.CardAccess.
    pub fn mf_file(mut self, fid: u16, bytes: Vec<u8>) -> Self {
        self.mf_files.retain(|(f, _)| *f != fid);
        self.mf_files.push((fid, bytes));
        self
    }

    /// Leaves data group `n`'s hash out of EF.SOD (the file stays on the chip).
    pub fn sod_omit_hash(mut self, n: u8) -> Self {
        self.sod_omit.push(n);
        self
    }

    /// Adds a hash to EF.SOD for data group `n`, which is not on the chip (HOSTILE 20).
    pub fn sod_extra_hash(mut self, n: u8) -> Self {
        self.sod_extra.push(n);
        self
    }

    /// Whether SELECT MF answers `6D00` (default: yes for the CCCD, no for the passport).
    pub fn select_mf_unsupported(mut self, unsupported: bool) -> Self {
        self.select_mf_unsupported = Some(unsupported);
        self
    }

    /// The CSCA certificate's validity.
    pub fn csca_validity(mut self, not_before: Date, not_after: Date) -> Self {
        self.csca_validity = (not_before, not_after);
        self
    }

    /// The document signer certificate's validity (HOSTILE 25: an expired DS).
    pub fn ds_validity(mut self, not_before: Date, not_after: Date) -> Self {
        self.ds_validity = (not_before, not_after);
        self
    }

    /// A document signer certificate without keyUsage, AKI and SKI (HOSTILE 28).
    pub fn ds_without_extensions(mut self) -> Self {
        self.ds_extensions = false;
        self
    }

    /// An ECDSA document signer key given with explicit domain parameters
    /// instead of the named curve — P-256, brainpoolP256r1 or brainpoolP512r1
    /// (the other curves stay named) — HOSTILE 27; Vietnam's keys use explicit parameters.
    pub fn ds_explicit_curve_parameters(mut self) -> Self {
        self.ds_explicit_parameters = true;
        self
    }

    /// The CSCA's EC key given with explicit domain parameters, as Vietnam's
    /// brainpoolP512r1 CSCA is (use with [`csca_signer`](Self::csca_signer)
    /// `EcdsaBrainpoolP512r1`; P-256 works too).
    pub fn csca_explicit_curve_parameters(mut self) -> Self {
        self.pki_extra.csca_explicit_parameters = true;
        self
    }

    /// A P-256 document signer key with explicit parameters that match no
    /// named curve (b altered): the signature cannot be checked (HOSTILE 27).
    pub fn ds_unknown_curve_parameters(mut self) -> Self {
        self.pki_extra.ds_unknown_curve = true;
        self
    }

    /// The CSCA's common name, e.g. to issue the DS from a CSCA other than a
    /// trusted one (HOSTILE 26).
    pub fn csca_common_name(mut self, common_name: &str) -> Self {
        self.pki_extra.csca_common_name = Some(common_name.into());
        self
    }

    /// The country (ISO 3166-1 alpha-2) of the CSCA and DS certificates,
    /// instead of the one matching DG1's issuing state (HOSTILE 29).
    pub fn certificate_country(mut self, alpha2: &str) -> Self {
        self.certificate_country = Some(alpha2.into());
        self
    }

    /// [`Document::crl`] lists the document signer as revoked (HOSTILE 25).
    pub fn revoked_ds(mut self) -> Self {
        self.pki_extra.revoke_ds = true;
        self
    }

    /// [`Document::master_list`] is digested and signed with `hash` (default SHA-256).
    pub fn master_list_hash(mut self, hash: HashAlgorithm) -> Self {
        self.pki_extra.master_list_hash = Some(hash);
        self
    }

    /// [`Document::crl`]'s nextUpdate (default 2045-01-01): an earlier date
    /// than the time of reading makes the CRL stale (`crl_stale`).
    pub fn crl_next_update(mut self, next_update: Date) -> Self {
        self.pki_extra.crl_next_update = Some(next_update);
        self
    }

    /// The CSCA certificate's basicConstraints without cA: its issuer of the
    /// DS is no CA (`issuer_not_ca`, RFC 5280 §4.2.1.9).
    pub fn csca_not_ca(mut self) -> Self {
        self.pki_extra.csca_not_ca = true;
        self
    }

    /// The CSCA certificate's keyUsage with cRLSign but not keyCertSign
    /// (`issuer_without_cert_sign`, RFC 5280 §4.2.1.3).
    pub fn csca_without_cert_sign(mut self) -> Self {
        self.pki_extra.csca_without_cert_sign = true;
        self
    }

    /// Explicit curve parameters (with [`ds_explicit_curve_parameters`](Self::ds_explicit_curve_parameters)
    /// or [`csca_explicit_curve_parameters`](Self::csca_explicit_curve_parameters)) give the
    /// base point G in compressed form (X9.62 §4.3.6) instead of uncompressed.
    pub fn compressed_base_point(mut self) -> Self {
        self.pki_extra.compressed_base_point = true;
        self
    }

    /// An ECDSA SOD signature in the plain `r ‖ s` format under
    /// `ecdsa-plain-SHAn` (BSI TR-03111 §5.2.1).
    pub fn plain_ecdsa_signature(mut self) -> Self {
        self.sod_variant.plain_ecdsa = true;
        self
    }

    /// The SOD's digest algorithm OID replaced (LDSSecurityObject, SignerInfo,
    /// SignedData), e.g. MD5 `1.2.840.113549.2.5` (HOSTILE 23).
    pub fn sod_digest_algorithm_oid(mut self, arcs: &[u64]) -> Self {
        self.sod_variant.digest_oid = Some(arcs.to_vec());
        self
    }

    /// The SOD SignerInfo's signatureAlgorithm OID replaced, e.g. by an unknown one.
    pub fn sod_signature_algorithm_oid(mut self, arcs: &[u64]) -> Self {
        self.sod_variant.signature_oid = Some(arcs.to_vec());
        self
    }

    /// No signingTime signed attribute.
    pub fn without_signing_time(mut self) -> Self {
        self.signing_time = false;
        self
    }

    /// EF.SOD without the document signer certificate (HOSTILE 24).
    pub fn without_ds_certificate(mut self) -> Self {
        self.include_ds_certificate = false;
        self
    }

    /// One bit of the SOD signature flipped (HOSTILE 21).
    pub fn corrupt_sod_signature(mut self) -> Self {
        self.corrupt_sod_signature = true;
        self
    }

    /// A validly signed messageDigest that differs from hash(eContent) (HOSTILE 21).
    pub fn wrong_message_digest(mut self) -> Self {
        self.wrong_message_digest = true;
        self
    }

    /// Replaces the document number, date of birth and date of expiry (YYMMDD)
    /// of the MRZ — and so the BAC key and PACE's MRZ password — e.g. to
    /// replay the ICAO 9303-11 worked examples (`T22000129`, `640812`, `101031`).
    /// Checked by [`build`](Self::build): at most 9 characters `0-9 A-Z <`, 6-digit dates.
    pub fn mrz_key(mut self, document_number: &str, date_of_birth: &str, date_of_expiry: &str) -> Self {
        self.persona.fields.number = document_number.into();
        self.persona.fields.birth = date_of_birth.into();
        self.persona.fields.expiry = date_of_expiry.into();
        self
    }

    /// The card access number (PACE password reference 02); the passport has none by default.
    /// Checked by [`build`](Self::build): 1 to 16 printable ASCII characters (ICAO CANs are 6 digits).
    pub fn can(mut self, can: &str) -> Self {
        self.persona.can = Some(can.into());
        self
    }

    /// No card access number: PACE with the CAN answers `6A88` at MSE:Set AT.
    pub fn without_can(mut self) -> Self {
        self.persona.can = None;
        self
    }

    /// Offers exactly this PACE protocol (replacing the persona's: the CCCD's is
    /// [`PaceSuite::CCCD`], the passport has none). EF.CardAccess lists it.
    ///
    /// ```
    /// use mrtdd::chip::{DocumentBuilder, PaceCipher, PaceCurve, PaceSuite};
    /// let doc = DocumentBuilder::cccd_demo()
    ///     .pace(PaceSuite::new(PaceCipher::Aes128, PaceCurve::NistP256)) // parameterId 12
    ///     .add_pace(PaceSuite::new(PaceCipher::Aes256, PaceCurve::NistP384))
    ///     .build()?;
    /// assert_eq!(doc.pace_suites().len(), 2);
    /// # Ok::<(), mrtdd::chip::BuildError>(())
    /// ```
    pub fn pace(mut self, suite: PaceSuite) -> Self {
        self.pace = Some(vec![suite]);
        self
    }

    /// Offers one more PACE protocol (one more PACEInfo), after the ones already chosen.
    pub fn add_pace(mut self, suite: PaceSuite) -> Self {
        let mut list = self.pace.take().unwrap_or_else(|| self.persona.pace.clone());
        if !list.contains(&suite) {
            list.push(suite);
        }
        self.pace = Some(list);
        self
    }

    /// No PACE and no EF.CardAccess: MSE:Set AT is refused, only BAC works.
    pub fn without_pace(mut self) -> Self {
        self.pace = Some(Vec::new());
        self
    }

    /// Generates the keys (cached per process), the files, the certificates and EF.SOD.
    pub fn build(self) -> Result<Document, BuildError> {
        let p = &self.persona;
        let f = &p.fields;
        let mrz_chars = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'<');
        if f.number.is_empty() || f.number.len() > 9 || !mrz_chars(&f.number) {
            return Err(BuildError::Invalid("document number: 1 to 9 characters 0-9 A-Z <"));
        }
        if [&f.birth, &f.expiry].iter().any(|d| d.len() != 6 || !d.bytes().all(|b| b.is_ascii_digit())) {
            return Err(BuildError::Invalid("dates: YYMMDD"));
        }
        if p.can
            .as_deref()
            .is_some_and(|c| c.is_empty() || c.len() > MAX_CAN_LEN || !c.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(BuildError::Invalid("CAN: 1 to 16 printable ASCII characters"));
        }
        let mrz = Zeroizing::new(if p.td1 { p.fields.td1() } else { p.fields.td3() });
        let mrz_information = p.fields.mrz_information();

        let data_groups = self.authenticity.data_groups(&p.data_groups);
        let issued = authenticity::issue(&self.authenticity, data_groups.contains(&14), data_groups.contains(&15))?;
        let (aa_key, ca_key) = (issued.aa_public.clone(), issued.ca_public.clone());

        // The data groups as issued.
        let mut dgs: Vec<(u8, Vec<u8>)> = Vec::new();
        for &n in &data_groups {
            let bytes = match n {
                1 => dg1(&mrz),
                2 => {
                    let jpeg = match self.dg2_min_len {
                        // The DG2 wrapping adds 70 bytes or so: aim the JPEG past the target.
                        Some(min) => pad_jpeg(p.portrait, min.saturating_add(64)),
                        None => p.portrait.to_vec(),
                    };
                    dg2(&jpeg, p.gender)
                }
                3 => dg3(),
                11 => tagged_fields(0x6B, &p.dg11),
                12 => tagged_fields(0x6C, &p.dg12),
                13 => dg13(&p.dg13),
                14 | 15 => match if n == 14 { &issued.dg14 } else { &issued.dg15 } {
                    Some(bytes) => bytes.clone(),
                    None => continue,
                },
                _ => continue,
            };
            dgs.push((n, bytes));
        }
        let mut com: Option<Vec<u8>> = None;
        let mut sod: Option<Vec<u8>> = None;
        for (fid, change) in &self.signed_changes {
            match (*fid, dg_number(*fid)) {
                (FID_COM, _) => com = change.clone(),
                (FID_SOD, _) => sod = change.clone(),
                (_, Some(n)) => {
                    dgs.retain(|(m, _)| *m != n);
                    if let Some(bytes) = change {
                        dgs.push((n, bytes.clone()));
                    }
                }
                _ => return Err(BuildError::Invalid("only EF.COM, EF.SOD and DG1..DG16 live in the application")),
            }
        }
        dgs.sort_by_key(|(n, _)| *n);

        let com = com.unwrap_or_else(|| ef_com(&dgs.iter().map(|(n, _)| *n).collect::<Vec<_>>()));
        let csca_kind = self.csca_signer.unwrap_or(self.signer);
        let pki = pki::issue(&PkiOptions {
            country: self.certificate_country.clone().unwrap_or_else(|| p.country.to_string()),
            organization: "mrtdd demo PKI".into(),
            csca_kind,
            ds_kind: self.signer,
            csca_validity: self.csca_validity,
            ds_validity: self.ds_validity,
            ds_extensions: self.ds_extensions,
            ds_explicit_parameters: self.ds_explicit_parameters,
            extra: self.pki_extra.clone(),
        })?;
        let sod = match sod {
            Some(bytes) => bytes,
            None => {
                let mut hashes: Vec<(u8, Vec<u8>)> = dgs
                    .iter()
                    .filter(|(n, _)| !self.sod_omit.contains(n))
                    .map(|(n, bytes)| (*n, self.hash.digest(bytes)))
                    .collect();
                for &n in &self.sod_extra {
                    let mut phantom = vec![0u8; 32];
                    crate::protocol::crypto::random_bytes(&mut phantom)
                        .map_err(|_| BuildError::KeyGeneration("no operating-system random source"))?;
                    hashes.push((n, self.hash.digest(&phantom)));
                }
                hashes.sort_by_key(|(n, _)| *n);
                pki::build_sod(
                    &pki,
                    &SodOptions {
                        hash: self.hash,
                        hashes,
                        signing_time: self.signing_time.then_some(p.signing_time),
                        include_certificate: self.include_ds_certificate,
                        corrupt_signature: self.corrupt_sod_signature,
                        wrong_message_digest: self.wrong_message_digest,
                        extra: self.sod_variant.clone(),
                    },
                )?
            }
        };

        let mut files: Vec<(u16, Vec<u8>)> = Vec::with_capacity(dgs.len() + 2);
        files.push((FID_COM, com));
        files.extend(dgs.into_iter().map(|(n, b)| (dg_fid(n), b)));
        files.push((FID_SOD, sod));
        for (fid, change) in &self.tampered {
            match change {
                Some(bytes) => match files.iter_mut().find(|(f, _)| f == fid) {
                    Some(slot) => slot.1 = bytes.clone(),
                    None => files.push((*fid, bytes.clone())),
                },
                None => files.retain(|(f, _)| f != fid),
            }
        }

        let pace = self.pace.clone().unwrap_or_else(|| p.pace.clone());
        let mut mf_files = Vec::new();
        if !pace.is_empty() {
            let ta = p.data_groups.contains(&3);
            mf_files.push((FID_CARD_ACCESS, ef_card_access(ta, ca_key.is_some(), &pace)));
        }
        for (fid, bytes) in &self.mf_files {
            mf_files.retain(|(f, _)| f != fid);
            mf_files.push((*fid, bytes.clone()));
        }

        Ok(Document {
            mrz,
            mrz_information: Zeroizing::new(mrz_information.to_string()),
            can: p.can.clone(),
            files,
            mf_files,
            csca_cert: pki.csca_cert,
            ds_cert: pki.ds_cert,
            crl: pki.crl,
            master_list: pki.master_list,
            select_mf_unsupported: self.select_mf_unsupported.unwrap_or(p.select_mf_unsupported),
            aa_key,
            ca_key,
            chip_keys: issued.keys,
            pace,
        })
    }
}
