//! EF.SOD, the document security object (ICAO 9303-10 §4.6.2): a CMS
//! SignedData (RFC 5652 §5) over the hashes of the data groups.
//!
//! ```text
//! EF.SOD ::= [APPLICATION 23] (tag 77) ContentInfo
//! ContentInfo ::= SEQUENCE {
//!   contentType  OBJECT IDENTIFIER   -- id-signedData 1.2.840.113549.1.7.2
//!   content      [0] EXPLICIT SignedData }
//! SignedData ::= SEQUENCE {
//!   version           INTEGER
//!   digestAlgorithms  SET OF AlgorithmIdentifier
//!   encapContentInfo  SEQUENCE {
//!     eContentType  OBJECT IDENTIFIER   -- id-icao-mrtd-security-ldsSecurityObject 2.23.136.1.1.1
//!     eContent      [0] EXPLICIT OCTET STRING }   -- DER of LDSSecurityObject
//!   certificates      [0] IMPLICIT SET OF CertificateChoices OPTIONAL
//!   crls              [1] IMPLICIT RevocationInfoChoices OPTIONAL
//!   signerInfos       SET OF SignerInfo }
//! SignerInfo ::= SEQUENCE {
//!   version             INTEGER                           -- 1 or 3
//!   sid                 IssuerAndSerialNumber | [0] IMPLICIT SubjectKeyIdentifier
//!   digestAlgorithm     AlgorithmIdentifier
//!   signedAttrs         [0] IMPLICIT SET OF Attribute OPTIONAL
//!   signatureAlgorithm  AlgorithmIdentifier
//!   signature           OCTET STRING
//!   unsignedAttrs       [1] IMPLICIT SET OF Attribute OPTIONAL }
//! Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF ANY }
//! AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
//!
//! LDSSecurityObject ::= SEQUENCE {                  (ICAO 9303-10 §4.6.2.2)
//!   version              INTEGER (0 | 1)
//!   hashAlgorithm        AlgorithmIdentifier
//!   dataGroupHashValues  SEQUENCE SIZE (2..16) OF SEQUENCE {
//!     dataGroupNumber     INTEGER (1..16)
//!     dataGroupHashValue  OCTET STRING }
//!   ldsVersionInfo       SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }
//!                          OPTIONAL  -- present only with version 1 }
//! ```
//!
//! Decisions:
//! - Parsed with the crate's own bounds-checked TLV reader, because every
//!   element's raw bytes are needed
//!   (eContent, the certificate, the signed attributes) and the grammar is
//!   small; `asn1-rs` renders object identifiers as text. Every element is
//!   checked: tags, order, INTEGERs (minimal, non-negative), OIDs, no trailing
//!   bytes, and the caps below.
//! - Lengths follow DER ([`parse`]). [`parse_with`] can also accept BER
//!   indefinite lengths on the CMS envelope, never on what is hashed or
//!   signed (see [`SodOptions`]); some issuers' SODs need this (HOSTILE 6:
//!   "reject or lenient-by-config").
//! - The signed attributes are returned re-encoded with the universal SET tag
//!   `31` in place of the stored `[0] IMPLICIT` tag `A0`: RFC 5652 §5.4 says the
//!   signature covers that encoding (HOSTILE 22).
//! - A digest algorithm we do not implement (MD5, unknown OIDs) is not an
//!   error: it parses to [`DigestAlgorithm::Unsupported`] so that verification
//!   reports "undetermined" rather than failing the read (HOSTILE 23).
//! - The document signer certificate is returned as the DER of the first
//!   `Certificate` in `certificates`; it is parsed (x509-parser) when the
//!   signature is checked, so an odd certificate does not stop the hash checks.
//! - More than one SignerInfo is accepted (all are parsed); the first is used
//!   (ICAO 9303-10 recommends exactly one).
//! - Data group numbers outside 1..=16, and a data group listed twice, are malformed.

use crate::protocol::error::Malformed;
use crate::protocol::lds::DataGroup;
use crate::protocol::tlv::{
    MAX_TLV_DEPTH, Reader, Tlv, children, expect_tlv, oid_string, read_tag, read_tlv, single_tlv, tlv,
};

/// The largest EF.SOD we parse: 64 KiB. Real SODs (with the document signer
/// certificate) are 1.5–8 KB.
pub const MAX_SOD_SIZE: usize = 64 * 1024;
/// The most certificates we accept in `certificates`.
pub const MAX_CERTIFICATES: usize = 8;
/// The most SignerInfos we accept.
pub const MAX_SIGNER_INFOS: usize = 4;
/// The most signed attributes we accept in one SignerInfo.
pub const MAX_SIGNED_ATTRIBUTES: usize = 32;
/// The longest hash value we accept (SHA-512).
pub const MAX_HASH_LEN: usize = 64;
/// The longest object identifier we accept, in content octets.
pub const MAX_OID_LEN: usize = crate::protocol::tlv::MAX_OID_LEN;

/// id-signedData, 1.2.840.113549.1.7.2 (content octets).
pub const OID_SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
/// id-icao-mrtd-security-ldsSecurityObject, 2.23.136.1.1.1 (content octets).
pub const OID_LDS_SECURITY_OBJECT: &[u8] = &[0x67, 0x81, 0x08, 0x01, 0x01, 0x01];
/// id-contentType, 1.2.840.113549.1.9.3.
pub const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
/// id-messageDigest, 1.2.840.113549.1.9.4.
pub const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";

const TAG_INTEGER: u32 = 0x02;
const TAG_OCTET_STRING: u32 = 0x04;
const TAG_NULL: u32 = 0x05;
const TAG_OID: u32 = 0x06;
const TAG_PRINTABLE_STRING: u32 = 0x13;
const TAG_SEQUENCE: u32 = 0x30;
const TAG_SET: u32 = 0x31;
const TAG_CONTEXT_0: u32 = 0xA0;
const TAG_CONTEXT_1: u32 = 0xA1;
const TAG_CONTEXT_0_PRIMITIVE: u32 = 0x80;

/// A hash algorithm this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1 (1.3.14.3.2.26).
    Sha1,
    /// SHA-224 (2.16.840.1.101.3.4.2.4).
    Sha224,
    /// SHA-256 (2.16.840.1.101.3.4.2.1).
    Sha256,
    /// SHA-384 (2.16.840.1.101.3.4.2.2).
    Sha384,
    /// SHA-512 (2.16.840.1.101.3.4.2.3).
    Sha512,
}

impl HashAlgorithm {
    /// The algorithm named by a dotted OID, if we implement it.
    pub fn from_oid(oid: &str) -> Option<Self> {
        [Self::Sha1, Self::Sha224, Self::Sha256, Self::Sha384, Self::Sha512].into_iter().find(|h| h.oid() == oid)
    }
    /// The dotted OID.
    pub fn oid(self) -> &'static str {
        match self {
            Self::Sha1 => "1.3.14.3.2.26",
            Self::Sha224 => "2.16.840.1.101.3.4.2.4",
            Self::Sha256 => "2.16.840.1.101.3.4.2.1",
            Self::Sha384 => "2.16.840.1.101.3.4.2.2",
            Self::Sha512 => "2.16.840.1.101.3.4.2.3",
        }
    }
    /// The name (`SHA-256`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha224 => "SHA-224",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }
    /// The digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha224 => sha2::Sha224::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// A digest algorithm as the SOD names it: one we implement, or not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// An algorithm we implement.
    Supported(HashAlgorithm),
    /// Any other algorithm (MD5, unknown OIDs), by its dotted OID. Hashes
    /// computed with it cannot be checked: verification is undetermined.
    Unsupported(String),
}

impl DigestAlgorithm {
    /// Classifies a dotted OID.
    pub fn from_oid(oid: &str) -> Self {
        HashAlgorithm::from_oid(oid).map_or_else(|| Self::Unsupported(oid.to_owned()), Self::Supported)
    }
    /// The algorithm, if we implement it.
    pub fn supported(&self) -> Option<HashAlgorithm> {
        match self {
            Self::Supported(h) => Some(*h),
            Self::Unsupported(_) => None,
        }
    }
    /// The dotted OID.
    pub fn oid(&self) -> &str {
        match self {
            Self::Supported(h) => h.oid(),
            Self::Unsupported(oid) => oid,
        }
    }
    /// A name for reports: `SHA-256`, or the OID of an unsupported algorithm.
    pub fn name(&self) -> &str {
        match self {
            Self::Supported(h) => h.name(),
            Self::Unsupported(oid) => oid,
        }
    }
}

/// `ldsVersionInfo` of an LDSSecurityObject v1 (LDS 1.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdsVersionInfo {
    /// The LDS version, e.g. `"0108"`.
    pub lds_version: String,
    /// The Unicode version, e.g. `"040000"`.
    pub unicode_version: String,
}

/// How a SignerInfo names the document signer certificate (RFC 5652 §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerIdentifier {
    /// `IssuerAndSerialNumber`.
    IssuerAndSerialNumber {
        /// The DER of the whole IssuerAndSerialNumber SEQUENCE.
        der: Vec<u8>,
        /// The DER of the issuer Name (tag and length included).
        issuer: Vec<u8>,
        /// The serial number's INTEGER content octets (two's complement, big-endian).
        serial: Vec<u8>,
    },
    /// `[0] SubjectKeyIdentifier`: the key identifier's octets.
    SubjectKeyIdentifier(Vec<u8>),
}

/// The (first) SignerInfo of the SOD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfo {
    /// Which certificate signed.
    pub sid: SignerIdentifier,
    /// The digest algorithm of the signature (may differ from the data group hash algorithm).
    pub digest_algorithm: DigestAlgorithm,
    /// The signed attributes re-encoded as a DER `SET` (tag `31`): the bytes
    /// the signature covers (RFC 5652 §5.4). `None` if there are none, in
    /// which case the signature covers the eContent directly.
    pub signed_attrs_der: Option<Vec<u8>>,
    /// The contentType signed attribute (dotted OID), if present.
    pub content_type: Option<String>,
    /// The messageDigest signed attribute (1.2.840.113549.1.9.4), if present.
    pub message_digest: Option<Vec<u8>>,
    /// The signature algorithm's dotted OID.
    pub signature_algorithm_oid: String,
    /// The signature algorithm's parameters as DER (e.g. RSASSA-PSS-params);
    /// `None` when absent or NULL.
    pub signature_algorithm_params: Option<Vec<u8>>,
    /// The signature value.
    pub signature: Vec<u8>,
}

/// The parsed EF.SOD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sod {
    /// The LDSSecurityObject version (0, or 1 with `lds_version`).
    pub version: u8,
    /// The algorithm of the data group hashes.
    pub digest_algorithm: DigestAlgorithm,
    /// The data group hashes, in SOD order; each data group at most once.
    pub data_group_hashes: Vec<(DataGroup, Vec<u8>)>,
    /// LDS and Unicode versions (LDSSecurityObject v1 only).
    pub lds_version: Option<LdsVersionInfo>,
    /// The eContent octets: the DER of the LDSSecurityObject, as signed.
    pub encapsulated_content: Vec<u8>,
    /// The DER of the first certificate in the SOD (normally the document signer).
    pub document_signer: Option<Vec<u8>>,
    /// The first SignerInfo.
    pub signer_info: SignerInfo,
}

impl Sod {
    /// The hash the SOD holds for `dg`, if listed.
    pub fn hash_of(&self, dg: DataGroup) -> Option<&[u8]> {
        self.data_group_hashes.iter().find(|(d, _)| *d == dg).map(|(_, h)| h.as_slice())
    }
}

/// How much BER [`parse_with`] tolerates in the CMS envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SodOptions {
    /// Accept indefinite lengths (`80` … `00 00`, ISO/IEC 8825-1 §8.1.3.6) on
    /// the constructed elements of the CMS envelope: the `77` wrapper (whose
    /// end-of-contents may also be missing, the content then running to the end
    /// of the file), ContentInfo, SignedData, the SETs, encapContentInfo,
    /// SignerInfo. Some issuers' SODs are BER-encoded this way (reported for US
    /// passports). What is hashed or signed stays DER-only whatever this says:
    /// the eContent OCTET STRING and the LDSSecurityObject in it, the signed
    /// attributes, and each certificate.
    pub indefinite_lengths: bool,
}

/// Parses EF.SOD strictly (DER lengths only; grammar and decisions in the
/// [module docs](self)). Same as [`parse_with`] and default options.
pub fn parse(bytes: &[u8]) -> Result<Sod, Malformed> {
    parse_with(bytes, SodOptions::default())
}

/// Parses EF.SOD with the given tolerance of BER in the envelope.
pub fn parse_with(bytes: &[u8], options: SodOptions) -> Result<Sod, Malformed> {
    if bytes.len() > MAX_SOD_SIZE {
        return Err(Malformed::Invalid { what: "EF.SOD", reason: "larger than MAX_SOD_SIZE" });
    }
    let b = Ber { indefinite: options.indefinite_lengths };
    let content_info = match bytes {
        [0x77, 0x80, body @ ..] if b.indefinite => {
            // The end-of-contents octets may be missing: the content is the rest of the file.
            let mut r = Reader::new(body);
            let ci = b.expect(&mut r, TAG_SEQUENCE, "SOD ContentInfo")?;
            if !matches!(r.rest(), [] | [0, 0]) {
                return Err(Malformed::TrailingBytes("EF.SOD"));
            }
            ci
        }
        _ => b.single(b.single(bytes, 0x77, "EF.SOD")?, TAG_SEQUENCE, "SOD ContentInfo")?,
    };
    let mut r = Reader::new(content_info);
    let content_type = b.expect(&mut r, TAG_OID, "SOD contentType")?;
    if content_type != OID_SIGNED_DATA {
        return Err(Malformed::Invalid { what: "SOD contentType", reason: "not id-signedData" });
    }
    let explicit = b.expect(&mut r, TAG_CONTEXT_0, "SOD content")?;
    r.expect_end("SOD ContentInfo")?;
    let signed_data = b.single(explicit, TAG_SEQUENCE, "SOD SignedData")?;
    parse_signed_data(signed_data, b)
}

/// Reads TLVs under DER length rules, or additionally with indefinite lengths
/// on constructed elements. Indefinite-length contents are found by parsing
/// every nested element (depth-limited by [`MAX_TLV_DEPTH`]) up to the
/// end-of-contents octets, so nothing is scanned for `00 00` blindly.
#[derive(Clone, Copy)]
struct Ber {
    indefinite: bool,
}

/// DER only.
const DER: Ber = Ber { indefinite: false };

impl Ber {
    fn read<'a>(self, r: &mut Reader<'a>, what: &'static str) -> Result<Tlv<'a>, Malformed> {
        self.read_at(r, what, 0)
    }

    fn read_at<'a>(self, r: &mut Reader<'a>, what: &'static str, depth: usize) -> Result<Tlv<'a>, Malformed> {
        if !self.indefinite {
            return read_tlv(r, what);
        }
        let mut probe = r.clone();
        let tag = read_tag(&mut probe, what)?;
        if probe.peek() != Some(0x80) {
            return read_tlv(r, what);
        }
        if !(Tlv { tag, value: &[] }).is_constructed() {
            return Err(Malformed::BadLength(what));
        }
        if depth >= MAX_TLV_DEPTH {
            return Err(Malformed::TooDeep(what));
        }
        probe.u8().ok_or(Malformed::Truncated(what))?;
        let header_len = probe.position() - r.position();
        let rest = probe.rest();
        let mut inner = Reader::new(rest);
        loop {
            let mut eoc = inner.clone();
            if eoc.take(2) == Some([0u8, 0].as_slice()) {
                break;
            }
            if inner.is_empty() {
                return Err(Malformed::Truncated(what));
            }
            self.read_at(&mut inner, what, depth + 1)?;
        }
        let content_len = inner.position();
        let value = rest.get(..content_len).ok_or(Malformed::Truncated(what))?;
        let total =
            header_len.checked_add(content_len).and_then(|n| n.checked_add(2)).ok_or(Malformed::Overrun(what))?;
        r.take(total).ok_or(Malformed::Truncated(what))?;
        Ok(Tlv { tag, value })
    }

    fn expect<'a>(self, r: &mut Reader<'a>, tag: u32, what: &'static str) -> Result<&'a [u8], Malformed> {
        let t = self.read(r, what)?;
        expect_tag(&t, tag, what)?;
        Ok(t.value)
    }

    fn single<'a>(self, bytes: &'a [u8], tag: u32, what: &'static str) -> Result<&'a [u8], Malformed> {
        let mut r = Reader::new(bytes);
        let value = self.expect(&mut r, tag, what)?;
        r.expect_end(what)?;
        Ok(value)
    }

    /// The elements of a constructed value.
    fn children<'a>(self, bytes: &'a [u8], what: &'static str) -> Result<Vec<Tlv<'a>>, Malformed> {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(self.read(&mut r, what)?);
        }
        Ok(out)
    }
}

fn parse_signed_data(signed_data: &[u8], b: Ber) -> Result<Sod, Malformed> {
    const WHAT: &str = "SOD SignedData";
    let mut r = Reader::new(signed_data);
    small_uint(b.expect(&mut r, TAG_INTEGER, "SOD SignedData version")?, "SOD SignedData version")?;
    let digest_algorithms = b.expect(&mut r, TAG_SET, "SOD digestAlgorithms")?;
    for alg in b.children(digest_algorithms, "SOD digestAlgorithms")? {
        expect_tag(&alg, TAG_SEQUENCE, "SOD digestAlgorithms")?;
        algorithm_identifier(alg.value, "SOD digestAlgorithms")?;
    }
    let encap = b.expect(&mut r, TAG_SEQUENCE, "SOD encapContentInfo")?;
    let e_content = parse_encap_content_info(encap, b)?;

    let mut next = b.read(&mut r, WHAT)?;
    let mut document_signer = None;
    if next.tag == TAG_CONTEXT_0 {
        // Each certificate is DER (its bytes are signed); only the SET may be BER.
        let certificates = DER.children(next.value, "SOD certificates")?;
        if certificates.len() > MAX_CERTIFICATES {
            return Err(Malformed::Invalid { what: "SOD certificates", reason: "more than MAX_CERTIFICATES" });
        }
        for cert in certificates {
            // CertificateChoices: only `Certificate` (a SEQUENCE) is used; other choices are skipped.
            if cert.tag == TAG_SEQUENCE && document_signer.is_none() {
                document_signer = Some(tlv(TAG_SEQUENCE, cert.value));
            }
        }
        next = b.read(&mut r, WHAT)?;
    }
    if next.tag == TAG_CONTEXT_1 {
        b.children(next.value, "SOD crls")?;
        next = b.read(&mut r, WHAT)?;
    }
    expect_tag(&next, TAG_SET, "SOD signerInfos")?;
    r.expect_end(WHAT)?;
    let signer_infos = b.children(next.value, "SOD signerInfos")?;
    if signer_infos.len() > MAX_SIGNER_INFOS {
        return Err(Malformed::Invalid { what: "SOD signerInfos", reason: "more than MAX_SIGNER_INFOS" });
    }
    let mut signer_info = None;
    for si in signer_infos {
        expect_tag(&si, TAG_SEQUENCE, "SOD SignerInfo")?;
        let parsed = parse_signer_info(si.value, b)?;
        signer_info.get_or_insert(parsed);
    }
    let signer_info = signer_info.ok_or(Malformed::Invalid { what: "SOD signerInfos", reason: "empty" })?;

    let lso = parse_lds_security_object(e_content)?;
    Ok(Sod {
        version: lso.version,
        digest_algorithm: lso.digest_algorithm,
        data_group_hashes: lso.hashes,
        lds_version: lso.lds_version,
        encapsulated_content: e_content.to_vec(),
        document_signer,
        signer_info,
    })
}

/// `encapContentInfo`: checks the eContentType and returns the eContent octets
/// (a primitive, DER OCTET STRING: a BER constructed OCTET STRING is refused).
fn parse_encap_content_info(encap: &[u8], b: Ber) -> Result<&[u8], Malformed> {
    let mut r = Reader::new(encap);
    let e_content_type = b.expect(&mut r, TAG_OID, "SOD eContentType")?;
    if e_content_type != OID_LDS_SECURITY_OBJECT {
        return Err(Malformed::Invalid {
            what: "SOD eContentType",
            reason: "not id-icao-mrtd-security-ldsSecurityObject",
        });
    }
    let explicit = b.expect(&mut r, TAG_CONTEXT_0, "SOD eContent")?;
    r.expect_end("SOD encapContentInfo")?;
    DER.single(explicit, TAG_OCTET_STRING, "SOD eContent")
}

struct LdsSecurityObject {
    version: u8,
    digest_algorithm: DigestAlgorithm,
    hashes: Vec<(DataGroup, Vec<u8>)>,
    lds_version: Option<LdsVersionInfo>,
}

fn parse_lds_security_object(e_content: &[u8]) -> Result<LdsSecurityObject, Malformed> {
    const WHAT: &str = "LDSSecurityObject";
    let lso = single_tlv(e_content, TAG_SEQUENCE, WHAT)?;
    let mut r = Reader::new(lso);
    let version = small_uint(expect_tlv(&mut r, TAG_INTEGER, "LDSSecurityObject version")?, WHAT)?;
    let version = match version {
        0 => 0,
        1 => 1,
        _ => return Err(Malformed::Invalid { what: WHAT, reason: "version is neither 0 nor 1" }),
    };
    let (oid, _params) =
        algorithm_identifier(expect_tlv(&mut r, TAG_SEQUENCE, "LDSSecurityObject hashAlgorithm")?, WHAT)?;
    let digest_algorithm = DigestAlgorithm::from_oid(&oid);
    let values = expect_tlv(&mut r, TAG_SEQUENCE, "LDSSecurityObject dataGroupHashValues")?;
    let mut hashes: Vec<(DataGroup, Vec<u8>)> = Vec::new();
    for item in children(values, "LDSSecurityObject dataGroupHashValues") {
        let item = item?;
        expect_tag(&item, TAG_SEQUENCE, "DataGroupHash")?;
        let mut h = Reader::new(item.value);
        let number = small_uint(expect_tlv(&mut h, TAG_INTEGER, "DataGroupHash dataGroupNumber")?, "DataGroupHash")?;
        let dg = u8::try_from(number)
            .ok()
            .and_then(DataGroup::new)
            .ok_or(Malformed::Invalid { what: "DataGroupHash", reason: "data group number outside 1..=16" })?;
        let value = expect_tlv(&mut h, TAG_OCTET_STRING, "DataGroupHash dataGroupHashValue")?;
        h.expect_end("DataGroupHash")?;
        if value.is_empty() || value.len() > MAX_HASH_LEN {
            return Err(Malformed::Invalid {
                what: "DataGroupHash",
                reason: "hash value empty or longer than MAX_HASH_LEN",
            });
        }
        if hashes.iter().any(|(d, _)| *d == dg) {
            return Err(Malformed::Invalid { what: "DataGroupHash", reason: "data group listed twice" });
        }
        hashes.push((dg, value.to_vec()));
    }
    let lds_version = if r.is_empty() {
        None
    } else {
        let info = expect_tlv(&mut r, TAG_SEQUENCE, "LDSSecurityObject ldsVersionInfo")?;
        if version != 1 {
            return Err(Malformed::Invalid { what: WHAT, reason: "ldsVersionInfo present with version 0" });
        }
        let mut i = Reader::new(info);
        let lds = printable(expect_tlv(&mut i, TAG_PRINTABLE_STRING, "ldsVersionInfo ldsVersion")?)?;
        let unicode = printable(expect_tlv(&mut i, TAG_PRINTABLE_STRING, "ldsVersionInfo unicodeVersion")?)?;
        i.expect_end("ldsVersionInfo")?;
        Some(LdsVersionInfo { lds_version: lds, unicode_version: unicode })
    };
    r.expect_end(WHAT)?;
    Ok(LdsSecurityObject { version, digest_algorithm, hashes, lds_version })
}

fn parse_signer_info(si: &[u8], b: Ber) -> Result<SignerInfo, Malformed> {
    const WHAT: &str = "SOD SignerInfo";
    let mut r = Reader::new(si);
    small_uint(b.expect(&mut r, TAG_INTEGER, "SignerInfo version")?, WHAT)?;
    let sid_tlv = b.read(&mut r, "SignerInfo sid")?;
    let sid = match sid_tlv.tag {
        TAG_SEQUENCE => {
            let mut s = Reader::new(sid_tlv.value);
            let issuer = DER.expect(&mut s, TAG_SEQUENCE, "SignerInfo sid issuer")?;
            let serial = DER.expect(&mut s, TAG_INTEGER, "SignerInfo sid serialNumber")?;
            s.expect_end("SignerInfo sid")?;
            if serial.is_empty() {
                return Err(Malformed::Invalid { what: "SignerInfo sid serialNumber", reason: "empty INTEGER" });
            }
            SignerIdentifier::IssuerAndSerialNumber {
                der: tlv(TAG_SEQUENCE, sid_tlv.value),
                issuer: tlv(TAG_SEQUENCE, issuer),
                serial: serial.to_vec(),
            }
        }
        TAG_CONTEXT_0_PRIMITIVE => SignerIdentifier::SubjectKeyIdentifier(sid_tlv.value.to_vec()),
        found => {
            return Err(Malformed::UnexpectedTag { what: "SignerInfo sid", expected: TAG_SEQUENCE, found });
        }
    };
    let (digest_oid, _) = algorithm_identifier(b.expect(&mut r, TAG_SEQUENCE, "SignerInfo digestAlgorithm")?, WHAT)?;
    let mut signed = SignedAttrs::default();
    // The signed attributes are DER: the signature covers their re-encoding.
    if r.peek() == Some(0xA0) {
        signed = parse_signed_attrs(DER.expect(&mut r, TAG_CONTEXT_0, "SignerInfo signedAttrs")?)?;
    }
    let signature_algorithm = b.expect(&mut r, TAG_SEQUENCE, "SignerInfo signatureAlgorithm")?;
    let (signature_algorithm_oid, signature_algorithm_params) = algorithm_identifier(signature_algorithm, WHAT)?;
    let signature = b.expect(&mut r, TAG_OCTET_STRING, "SignerInfo signature")?;
    if signature.is_empty() {
        return Err(Malformed::Invalid { what: "SignerInfo signature", reason: "empty" });
    }
    if !r.is_empty() {
        let unsigned = b.expect(&mut r, TAG_CONTEXT_1, "SignerInfo unsignedAttrs")?;
        b.children(unsigned, "SignerInfo unsignedAttrs")?;
    }
    r.expect_end(WHAT)?;
    Ok(SignerInfo {
        sid,
        digest_algorithm: DigestAlgorithm::from_oid(&digest_oid),
        signed_attrs_der: signed.der,
        content_type: signed.content_type,
        message_digest: signed.message_digest,
        signature_algorithm_oid,
        signature_algorithm_params,
        signature: signature.to_vec(),
    })
}

#[derive(Default)]
struct SignedAttrs {
    der: Option<Vec<u8>>,
    content_type: Option<String>,
    message_digest: Option<Vec<u8>>,
}

/// The content of `signedAttrs [0] IMPLICIT SET OF Attribute`.
fn parse_signed_attrs(value: &[u8]) -> Result<SignedAttrs, Malformed> {
    const WHAT: &str = "SignerInfo signedAttrs";
    let mut out = SignedAttrs { der: Some(tlv(TAG_SET, value)), ..SignedAttrs::default() };
    let mut seen: Vec<String> = Vec::new();
    for attr in children(value, WHAT) {
        let attr = attr?;
        expect_tag(&attr, TAG_SEQUENCE, WHAT)?;
        if seen.len() >= MAX_SIGNED_ATTRIBUTES {
            return Err(Malformed::Invalid { what: WHAT, reason: "more than MAX_SIGNED_ATTRIBUTES" });
        }
        let mut a = Reader::new(attr.value);
        let attr_type = oid_string(expect_tlv(&mut a, TAG_OID, "signed attribute type")?, WHAT)?;
        let values = expect_tlv(&mut a, TAG_SET, "signed attribute values")?;
        a.expect_end(WHAT)?;
        if seen.contains(&attr_type) {
            return Err(Malformed::Invalid { what: WHAT, reason: "attribute type present twice" });
        }
        let mut items = children(values, WHAT);
        let first = items.next().ok_or(Malformed::Invalid { what: WHAT, reason: "attribute without a value" })??;
        let more = items.next().transpose()?;
        match attr_type.as_str() {
            OID_CONTENT_TYPE | OID_MESSAGE_DIGEST if more.is_some() => {
                return Err(Malformed::Invalid { what: WHAT, reason: "contentType/messageDigest with several values" });
            }
            OID_CONTENT_TYPE => {
                expect_tag(&first, TAG_OID, "contentType attribute")?;
                out.content_type = Some(oid_string(first.value, "contentType attribute")?);
            }
            OID_MESSAGE_DIGEST => {
                expect_tag(&first, TAG_OCTET_STRING, "messageDigest attribute")?;
                out.message_digest = Some(first.value.to_vec());
            }
            _ => {
                for item in items {
                    item?;
                }
            }
        }
        seen.push(attr_type);
    }
    if seen.is_empty() {
        return Err(Malformed::Invalid { what: WHAT, reason: "empty" });
    }
    Ok(out)
}

/// `AlgorithmIdentifier` content: the dotted OID and the parameters' DER (`None` if absent or NULL).
fn algorithm_identifier(value: &[u8], what: &'static str) -> Result<(String, Option<Vec<u8>>), Malformed> {
    let mut r = Reader::new(value);
    let oid = oid_string(expect_tlv(&mut r, TAG_OID, what)?, what)?;
    let params = if r.is_empty() {
        None
    } else {
        let start = r.position();
        let p = read_tlv(&mut r, what)?;
        let raw = value.get(start..r.position()).ok_or(Malformed::Truncated(what))?;
        match (p.tag, p.value) {
            (TAG_NULL, []) => None,
            (TAG_NULL, _) => return Err(Malformed::Invalid { what, reason: "NULL with content" }),
            _ => Some(raw.to_vec()),
        }
    };
    r.expect_end(what)?;
    Ok((oid, params))
}

/// A DER INTEGER's content as a small non-negative number (at most 4 bytes).
fn small_uint(content: &[u8], what: &'static str) -> Result<u32, Malformed> {
    let bad = |reason| Malformed::Invalid { what, reason };
    match content {
        [] => Err(bad("empty INTEGER")),
        [first, ..] if first & 0x80 != 0 => Err(bad("negative INTEGER")),
        [0, second, ..] if second & 0x80 == 0 => Err(bad("non-minimal INTEGER")),
        _ if content.len() > 4 => Err(bad("INTEGER too large")),
        _ => Ok(content.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b))),
    }
}

fn printable(content: &[u8]) -> Result<String, Malformed> {
    if !content.is_ascii() {
        return Err(Malformed::Invalid { what: "ldsVersionInfo", reason: "PrintableString with non-ASCII bytes" });
    }
    Ok(content.iter().map(|&b| char::from(b)).collect())
}

fn expect_tag(t: &Tlv<'_>, expected: u32, what: &'static str) -> Result<(), Malformed> {
    if t.tag == expected { Ok(()) } else { Err(Malformed::UnexpectedTag { what, expected, found: t.tag }) }
}

/// Builders of CMS structures, for tests in this crate (fake signatures).
#[cfg(test)]
pub(crate) mod build {
    use super::*;

    /// A DER INTEGER from a small number.
    pub fn int(n: u32) -> Vec<u8> {
        let bytes = n.to_be_bytes();
        let mut skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
        if bytes.get(skip).is_some_and(|b| b & 0x80 != 0) {
            skip -= 1;
        }
        tlv(TAG_INTEGER, &bytes[skip..])
    }
    /// An OID TLV from content octets.
    pub fn oid(content: &[u8]) -> Vec<u8> {
        tlv(TAG_OID, content)
    }
    /// SHA-256 (2.16.840.1.101.3.4.2.1) content octets.
    pub const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    /// MD5 (1.2.840.113549.2.5) content octets.
    pub const MD5: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x05];
    /// ecdsa-with-SHA256 (1.2.840.10045.4.3.2).
    pub const ECDSA_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
    /// id-contentType content octets.
    pub const CONTENT_TYPE: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03];
    /// id-messageDigest content octets.
    pub const MESSAGE_DIGEST: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04];
    /// id-signingTime content octets.
    pub const SIGNING_TIME: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05];

    /// `AlgorithmIdentifier { oid, NULL }` (or without parameters).
    pub fn alg(content: &[u8], null: bool) -> Vec<u8> {
        let mut v = oid(content);
        if null {
            v.extend(tlv(TAG_NULL, &[]));
        }
        tlv(TAG_SEQUENCE, &v)
    }

    /// The DER of an LDSSecurityObject.
    pub fn lds_security_object(hash_oid: &[u8], hashes: &[(u32, Vec<u8>)], version_info: bool) -> Vec<u8> {
        let mut v = int(u32::from(version_info));
        v.extend(alg(hash_oid, false));
        let list: Vec<u8> =
            hashes.iter().flat_map(|(n, h)| tlv(TAG_SEQUENCE, &[int(*n), tlv(TAG_OCTET_STRING, h)].concat())).collect();
        v.extend(tlv(TAG_SEQUENCE, &list));
        if version_info {
            v.extend(tlv(TAG_SEQUENCE, &[tlv(0x13, b"0108"), tlv(0x13, b"040000")].concat()));
        }
        tlv(TAG_SEQUENCE, &v)
    }

    /// A stand-in certificate: a SEQUENCE (not a real X.509 certificate).
    pub fn fake_certificate() -> Vec<u8> {
        tlv(TAG_SEQUENCE, &[tlv(TAG_SEQUENCE, &int(2)), tlv(TAG_SEQUENCE, b"\x06\x03\x55\x04\x03")].concat())
    }

    /// The issuer Name used in the SignerInfo (C=VN).
    pub fn issuer_name() -> Vec<u8> {
        let atv = tlv(TAG_SEQUENCE, &[oid(&[0x55, 0x04, 0x06]), tlv(0x13, b"VN")].concat());
        tlv(TAG_SEQUENCE, &tlv(TAG_SET, &atv))
    }

    /// The content of the signed attributes (contentType, signingTime, messageDigest).
    pub fn signed_attrs_content(message_digest: &[u8]) -> Vec<u8> {
        [
            tlv(TAG_SEQUENCE, &[oid(CONTENT_TYPE), tlv(TAG_SET, &oid(OID_LDS_SECURITY_OBJECT))].concat()),
            tlv(TAG_SEQUENCE, &[oid(SIGNING_TIME), tlv(TAG_SET, &tlv(0x17, b"210601000000Z"))].concat()),
            tlv(TAG_SEQUENCE, &[oid(MESSAGE_DIGEST), tlv(TAG_SET, &tlv(TAG_OCTET_STRING, message_digest))].concat()),
        ]
        .concat()
    }

    /// A SignerInfo with IssuerAndSerialNumber, SHA-256, the given signed attributes and a fake signature.
    pub fn signer_info(signed_attrs: Option<&[u8]>, signature: &[u8]) -> Vec<u8> {
        let mut v = int(1);
        v.extend(tlv(TAG_SEQUENCE, &[issuer_name(), tlv(TAG_INTEGER, &[0x01, 0x23])].concat()));
        v.extend(alg(SHA256, false));
        if let Some(attrs) = signed_attrs {
            v.extend(tlv(TAG_CONTEXT_0, attrs));
        }
        v.extend(alg(ECDSA_SHA256, false));
        v.extend(tlv(TAG_OCTET_STRING, signature));
        tlv(TAG_SEQUENCE, &v)
    }

    /// EF.SOD around an eContent and one SignerInfo.
    pub fn sod_with(e_content: &[u8], certificate: Option<&[u8]>, signer_info: &[u8]) -> Vec<u8> {
        let mut sd = int(3);
        sd.extend(tlv(TAG_SET, &alg(SHA256, false)));
        let encap = [oid(OID_LDS_SECURITY_OBJECT), tlv(TAG_CONTEXT_0, &tlv(TAG_OCTET_STRING, e_content))].concat();
        sd.extend(tlv(TAG_SEQUENCE, &encap));
        if let Some(cert) = certificate {
            sd.extend(tlv(TAG_CONTEXT_0, cert));
        }
        sd.extend(tlv(TAG_SET, signer_info));
        let ci = [oid(OID_SIGNED_DATA), tlv(TAG_CONTEXT_0, &tlv(TAG_SEQUENCE, &sd))].concat();
        tlv(0x77, &tlv(TAG_SEQUENCE, &ci))
    }

    /// `tag 80 content 00 00`.
    pub fn ind(tag: u32, content: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        crate::protocol::tlv::write_tag(tag, &mut out);
        out.push(0x80);
        out.extend_from_slice(content);
        out.extend([0, 0]);
        out
    }

    /// The SOD of [`sod`] with every envelope element in indefinite-length
    /// form (and the `77` end-of-contents only if `eoc`), and its DER twin.
    pub fn ber_sod(files: &[(u32, &[u8])], signer_info_der: Option<Vec<u8>>, eoc: bool) -> (Vec<u8>, Vec<u8>) {
        let der = sod(files);
        let strict = parse(&der).unwrap();
        let si = signer_info_der.unwrap_or_else(|| {
            let attrs = signed_attrs_content(&HashAlgorithm::Sha256.digest(&strict.encapsulated_content));
            signer_info(Some(&attrs), &[0x30, 0x06, 2, 1, 1, 2, 1, 1])
        });
        let si_content = single_tlv(&si, 0x30, "t").unwrap();
        let sd = [
            int(3),
            ind(0x31, &alg(SHA256, false)),
            ind(0x30, &[oid(OID_LDS_SECURITY_OBJECT), ind(0xA0, &tlv(0x04, &strict.encapsulated_content))].concat()),
            ind(0xA0, &fake_certificate()),
            ind(0x31, &ind(0x30, si_content)),
        ]
        .concat();
        let ci = ind(0x30, &[oid(OID_SIGNED_DATA), ind(0xA0, &ind(0x30, &sd))].concat());
        let mut out = ind(0x77, &ci);
        if !eoc {
            out.truncate(out.len() - 2);
        }
        (out, der)
    }

    /// A complete SOD with SHA-256 hashes of `files`, signed attributes and a fake signature.
    pub fn sod(files: &[(u32, &[u8])]) -> Vec<u8> {
        let hashes: Vec<(u32, Vec<u8>)> = files.iter().map(|(n, f)| (*n, HashAlgorithm::Sha256.digest(f))).collect();
        let e_content = lds_security_object(SHA256, &hashes, false);
        let attrs = signed_attrs_content(&HashAlgorithm::Sha256.digest(&e_content));
        sod_with(&e_content, Some(&fake_certificate()), &signer_info(Some(&attrs), &[0x30, 0x06, 2, 1, 1, 2, 1, 1]))
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_a_complete_sod() {
        let dg1 = b"DG1 bytes".as_slice();
        let dg2 = b"DG2 bytes".as_slice();
        let bytes = sod(&[(1, dg1), (2, dg2)]);
        let s = parse(&bytes).unwrap();
        assert_eq!(s.version, 0);
        assert_eq!(s.digest_algorithm, DigestAlgorithm::Supported(HashAlgorithm::Sha256));
        assert_eq!(s.data_group_hashes.len(), 2);
        assert_eq!(s.hash_of(DataGroup::DG1), Some(HashAlgorithm::Sha256.digest(dg1).as_slice()));
        assert_eq!(s.hash_of(DataGroup::DG2), Some(HashAlgorithm::Sha256.digest(dg2).as_slice()));
        assert_eq!(s.hash_of(DataGroup::DG13), None);
        assert_eq!(s.lds_version, None);
        assert_eq!(s.document_signer.as_deref(), Some(fake_certificate().as_slice()));
        // The eContent is the LDSSecurityObject DER, byte for byte.
        let hashes = vec![(1, HashAlgorithm::Sha256.digest(dg1)), (2, HashAlgorithm::Sha256.digest(dg2))];
        assert_eq!(s.encapsulated_content, lds_security_object(SHA256, &hashes, false));
        let si = &s.signer_info;
        assert_eq!(
            si.sid,
            SignerIdentifier::IssuerAndSerialNumber {
                der: tlv(0x30, &[issuer_name(), tlv(0x02, &[0x01, 0x23])].concat()),
                issuer: issuer_name(),
                serial: vec![0x01, 0x23],
            }
        );
        assert_eq!(si.digest_algorithm.supported(), Some(HashAlgorithm::Sha256));
        assert_eq!(si.content_type.as_deref(), Some("2.23.136.1.1.1"));
        assert_eq!(
            si.message_digest.as_deref(),
            Some(HashAlgorithm::Sha256.digest(&s.encapsulated_content).as_slice())
        );
        assert_eq!(si.signature_algorithm_oid, "1.2.840.10045.4.3.2");
        assert_eq!(si.signature_algorithm_params, None);
        assert_eq!(si.signature, [0x30, 0x06, 2, 1, 1, 2, 1, 1]);
    }

    /// HOSTILE 22: the signed attributes come back as a DER SET (tag 31), not the stored [0].
    #[test]
    fn hostile_22_signed_attrs_reencoded_as_set() {
        let bytes = sod(&[(1, b"x")]);
        let s = parse(&bytes).unwrap();
        let der = s.signer_info.signed_attrs_der.unwrap();
        assert_eq!(der[0], 0x31);
        let content = signed_attrs_content(&HashAlgorithm::Sha256.digest(&s.encapsulated_content));
        assert_eq!(der, tlv(0x31, &content));
        // The stored form is A0 with the same content.
        let stored = tlv(0xA0, &content);
        assert!(bytes.windows(stored.len()).any(|w| w == stored.as_slice()));
        assert!(!bytes.windows(der.len()).any(|w| w == der.as_slice()));
    }

    #[test]
    fn version_1_with_lds_version_info_and_ski() {
        let e = lds_security_object(SHA256, &[(1, vec![1; 32]), (16, vec![2; 32])], true);
        let pss = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
        // RSASSA-PSS with parameters: returned as DER.
        let pss_params = tlv(0x30, &tlv(0xA0, &alg(SHA256, true)));
        let mut si = int(3);
        si.extend(tlv(0x80, &[0xAB; 20]));
        si.extend(alg(SHA256, true));
        si.extend(tlv(0x30, &[oid(&pss), pss_params.clone()].concat()));
        si.extend(tlv(0x04, &[9; 256]));
        si.extend(tlv(0xA1, &[]));
        let s = parse(&sod_with(&e, None, &tlv(0x30, &si))).unwrap();
        assert_eq!(s.version, 1);
        assert_eq!(
            s.lds_version,
            Some(LdsVersionInfo { lds_version: "0108".into(), unicode_version: "040000".into() })
        );
        assert_eq!(s.data_group_hashes.last().map(|(d, _)| d.number()), Some(16));
        assert_eq!(s.document_signer, None);
        assert_eq!(s.signer_info.sid, SignerIdentifier::SubjectKeyIdentifier(vec![0xAB; 20]));
        assert_eq!(s.signer_info.signed_attrs_der, None);
        assert_eq!(s.signer_info.message_digest, None);
        assert_eq!(s.signer_info.signature_algorithm_oid, "1.2.840.113549.1.1.10");
        assert_eq!(s.signer_info.signature_algorithm_params, Some(pss_params));
        assert_eq!(s.signer_info.signature.len(), 256);
    }

    /// HOSTILE 23: MD5 or an unknown digest OID parses, marked unsupported.
    #[test]
    fn hostile_23_unsupported_digest_is_not_an_error() {
        let e = lds_security_object(MD5, &[(1, vec![1; 16])], false);
        let s = parse(&sod_with(&e, None, &signer_info(None, &[1]))).unwrap();
        assert_eq!(s.digest_algorithm, DigestAlgorithm::Unsupported("1.2.840.113549.2.5".into()));
        assert_eq!(s.digest_algorithm.supported(), None);
        assert_eq!(s.digest_algorithm.name(), "1.2.840.113549.2.5");
        let e = lds_security_object(&[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x01], &[(1, vec![1; 16])], false);
        let s = parse(&sod_with(&e, None, &signer_info(None, &[1]))).unwrap();
        assert_eq!(s.digest_algorithm.oid(), "1.3.6.1.4.1.311.1");
    }

    #[test]
    fn hash_algorithms() {
        for h in [
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha224,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            assert_eq!(HashAlgorithm::from_oid(h.oid()), Some(h));
            assert_eq!(h.digest(b"abc").len(), h.output_len());
        }
        assert_eq!(
            hex::encode(HashAlgorithm::Sha256.digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex::encode(HashAlgorithm::Sha1.digest(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(HashAlgorithm::from_oid("1.2.840.113549.2.5"), None);
        assert_eq!(HashAlgorithm::Sha384.name(), "SHA-384");
    }

    #[test]
    fn data_group_number_errors() {
        for n in [0, 17, 300] {
            let e = lds_security_object(SHA256, &[(n, vec![1; 32])], false);
            assert!(
                matches!(parse(&sod_with(&e, None, &signer_info(None, &[1]))), Err(Malformed::Invalid { .. })),
                "DG{n}"
            );
        }
        let e = lds_security_object(SHA256, &[(1, vec![1; 32]), (1, vec![2; 32])], false);
        assert!(matches!(parse(&sod_with(&e, None, &signer_info(None, &[1]))), Err(Malformed::Invalid { .. })));
        let e = lds_security_object(SHA256, &[(1, vec![1; 65])], false);
        assert!(matches!(parse(&sod_with(&e, None, &signer_info(None, &[1]))), Err(Malformed::Invalid { .. })));
    }

    #[test]
    fn structural_errors() {
        let good = sod(&[(1, b"x")]);
        assert!(parse(&good).is_ok());
        // Wrong outer tag.
        let mut t = good.clone();
        t[0] = 0x78;
        assert!(matches!(parse(&t), Err(Malformed::UnexpectedTag { .. })));
        // Wrong content type (last byte of id-signedData).
        let mut t = good.clone();
        let pos = t.windows(OID_SIGNED_DATA.len()).position(|w| w == OID_SIGNED_DATA).unwrap();
        t[pos + OID_SIGNED_DATA.len() - 1] = 0x01;
        assert!(matches!(parse(&t), Err(Malformed::Invalid { what: "SOD contentType", .. })));
        // Wrong eContentType.
        let mut t = good.clone();
        let pos = t.windows(OID_LDS_SECURITY_OBJECT.len()).position(|w| w == OID_LDS_SECURITY_OBJECT).unwrap();
        t[pos + 5] = 0x02;
        assert!(matches!(parse(&t), Err(Malformed::Invalid { what: "SOD eContentType", .. })));
        // Trailing bytes after the SOD.
        let mut t = good.clone();
        t.push(0);
        assert_eq!(parse(&t), Err(Malformed::TrailingBytes("EF.SOD")));
        // ldsVersionInfo with version 0.
        let mut e = lds_security_object(SHA256, &[(1, vec![1; 32])], true);
        let pos = e.iter().position(|&b| b == 0x02).unwrap();
        e[pos + 2] = 0;
        assert!(matches!(parse(&sod_with(&e, None, &signer_info(None, &[1]))), Err(Malformed::Invalid { .. })));
        // LDSSecurityObject version 2.
        let mut e = lds_security_object(SHA256, &[(1, vec![1; 32])], false);
        e[4] = 2;
        assert!(matches!(parse(&sod_with(&e, None, &signer_info(None, &[1]))), Err(Malformed::Invalid { .. })));
        // No signer infos.
        let mut sd = int(3);
        sd.extend(tlv(0x31, &[]));
        let e = lds_security_object(SHA256, &[(1, vec![1; 32])], false);
        sd.extend(tlv(0x30, &[oid(OID_LDS_SECURITY_OBJECT), tlv(0xA0, &tlv(0x04, &e))].concat()));
        sd.extend(tlv(0x31, &[]));
        let ci = [oid(OID_SIGNED_DATA), tlv(0xA0, &tlv(0x30, &sd))].concat();
        assert!(matches!(parse(&tlv(0x77, &tlv(0x30, &ci))), Err(Malformed::Invalid { .. })));
        // Size cap.
        assert!(matches!(parse(&vec![0x77; MAX_SOD_SIZE + 1]), Err(Malformed::Invalid { .. })));
    }

    #[test]
    fn signed_attribute_errors() {
        let e = lds_security_object(SHA256, &[(1, vec![1; 32])], false);
        let md = tlv(0x30, &[oid(MESSAGE_DIGEST), tlv(0x31, &tlv(0x04, &[1; 32]))].concat());
        // Duplicate attribute type.
        let dup = [md.clone(), md.clone()].concat();
        assert!(matches!(parse(&sod_with(&e, None, &signer_info(Some(&dup), &[1]))), Err(Malformed::Invalid { .. })));
        // messageDigest with two values.
        let two = tlv(0x30, &[oid(MESSAGE_DIGEST), tlv(0x31, &[tlv(0x04, &[1]), tlv(0x04, &[2])].concat())].concat());
        assert!(matches!(parse(&sod_with(&e, None, &signer_info(Some(&two), &[1]))), Err(Malformed::Invalid { .. })));
        // messageDigest not an OCTET STRING.
        let wrong = tlv(0x30, &[oid(MESSAGE_DIGEST), tlv(0x31, &tlv(0x02, &[1]))].concat());
        assert!(matches!(
            parse(&sod_with(&e, None, &signer_info(Some(&wrong), &[1]))),
            Err(Malformed::UnexpectedTag { .. })
        ));
        // Empty signed attributes.
        assert!(matches!(parse(&sod_with(&e, None, &signer_info(Some(&[]), &[1]))), Err(Malformed::Invalid { .. })));
        // Empty signature.
        assert!(matches!(parse(&sod_with(&e, None, &signer_info(Some(&md), &[]))), Err(Malformed::Invalid { .. })));
    }

    #[test]
    fn der_primitives() {
        assert_eq!(small_uint(&[0], "t"), Ok(0));
        assert_eq!(small_uint(&[0x00, 0x80], "t"), Ok(0x80));
        assert!(small_uint(&[0x00, 0x01], "t").is_err());
        assert!(small_uint(&[0x80], "t").is_err());
        assert!(small_uint(&[], "t").is_err());
        assert!(small_uint(&[1, 2, 3, 4, 5], "t").is_err());
        assert_eq!(oid_string(SHA256, "t").unwrap(), "2.16.840.1.101.3.4.2.1");
        assert!(oid_string(&[0x2A, 0x86], "t").is_err(), "incomplete last subidentifier");
        assert!(oid_string(&[0x2A, 0x80, 0x01], "t").is_err(), "non-minimal subidentifier");
        assert!(oid_string(&[], "t").is_err());
        let (o, p) = algorithm_identifier(&[oid(SHA256), tlv(0x05, &[])].concat(), "t").unwrap();
        assert_eq!((o.as_str(), p), ("2.16.840.1.101.3.4.2.1", None));
        assert!(algorithm_identifier(&[oid(SHA256), tlv(0x05, &[]), tlv(0x05, &[])].concat(), "t").is_err());
    }

    /// HOSTILE 5 and 6 at SOD level: a child longer than its parent; indefinite length.
    #[test]
    fn hostile_5_and_6() {
        let good = sod(&[(1, b"x")]);
        // The ContentInfo SEQUENCE length +1 (after 77 82 hi lo or 77 81 xx).
        let hdr = if good[1] == 0x82 { 4 } else { 3 };
        let mut t = good.clone();
        assert_eq!(t[hdr], 0x30);
        t[hdr + 2] = t[hdr + 2].wrapping_add(1);
        assert!(parse(&t).is_err());
        let mut indefinite = vec![0x77, 0x80];
        indefinite.extend_from_slice(&good[hdr..]);
        indefinite.extend([0, 0]);
        assert_eq!(parse(&indefinite), Err(Malformed::BadLength("EF.SOD")));
    }

    const LENIENT: SodOptions = SodOptions { indefinite_lengths: true };

    /// HOSTILE 6 / US passports: indefinite lengths rejected by default, accepted on request.
    #[test]
    fn indefinite_lengths_only_when_asked() {
        let files: &[(u32, &[u8])] = &[(1, b"a"), (2, b"b")];
        let (ber, der) = ber_sod(files, None, true);
        assert_eq!(parse(&ber), Err(Malformed::BadLength("EF.SOD")));
        let lenient = parse_with(&ber, LENIENT).unwrap();
        assert_eq!(lenient, parse(&der).unwrap());
        assert_eq!(parse_with(&der, LENIENT).unwrap(), lenient);
        // The 77 wrapper without its end-of-contents octets.
        let (no_eoc, _) = ber_sod(files, None, false);
        assert_eq!(parse_with(&no_eoc, LENIENT).unwrap(), lenient);
        // One byte after the end-of-contents.
        let mut extra = ber.clone();
        extra.push(0);
        assert!(parse_with(&extra, LENIENT).is_err());
    }

    #[test]
    fn indefinite_lengths_never_on_signed_parts() {
        let e = parse(&sod(&[(1, b"a")])).unwrap().encapsulated_content;
        let attrs = signed_attrs_content(&HashAlgorithm::Sha256.digest(&e));
        // signedAttrs in indefinite form: refused even in lenient mode.
        let si = tlv(
            0x30,
            &[
                int(1),
                tlv(0x30, &[issuer_name(), tlv(0x02, &[1])].concat()),
                alg(SHA256, false),
                ind(0xA0, &attrs),
                alg(ECDSA_SHA256, false),
                tlv(0x04, &[1]),
            ]
            .concat(),
        );
        let (ber, _) = ber_sod(&[(1, b"a")], Some(si), true);
        assert_eq!(parse_with(&ber, LENIENT), Err(Malformed::BadLength("SignerInfo signedAttrs")));
        // A certificate in indefinite form.
        let cert = ind(0x30, &tlv(0x30, &int(2)));
        let bad = ind(
            0x77,
            &ind(
                0x30,
                &[
                    oid(OID_SIGNED_DATA),
                    ind(
                        0xA0,
                        &ind(
                            0x30,
                            &[
                                int(3),
                                ind(0x31, &[]),
                                ind(0x30, &[oid(OID_LDS_SECURITY_OBJECT), ind(0xA0, &tlv(0x04, &e))].concat()),
                                ind(0xA0, &cert),
                                ind(0x31, &signer_info(None, &[1])),
                            ]
                            .concat(),
                        ),
                    ),
                ]
                .concat(),
            ),
        );
        assert_eq!(parse_with(&bad, LENIENT), Err(Malformed::BadLength("SOD certificates")));
    }

    #[test]
    fn indefinite_length_errors() {
        let ber = Ber { indefinite: true };
        // Indefinite length on a primitive element.
        assert_eq!(ber.read(&mut Reader::new(&[0x04, 0x80, 0x00, 0x00]), "t"), Err(Malformed::BadLength("t")));
        // No end-of-contents.
        assert_eq!(ber.read(&mut Reader::new(&[0x30, 0x80, 0x02, 0x01, 0x00]), "t"), Err(Malformed::Truncated("t")));
        assert_eq!(ber.read(&mut Reader::new(&[0x30, 0x80, 0x00]), "t"), Err(Malformed::Truncated("t")));
        // A child overrunning the indefinite parent's data.
        assert_eq!(
            ber.read(&mut Reader::new(&[0x30, 0x80, 0x04, 0x05, 0x00, 0x00]), "t"),
            Err(Malformed::Overrun("t"))
        );
        // Nesting: limited, no stack exhaustion.
        let mut deep = vec![0x02, 0x01, 0x00];
        for _ in 0..(MAX_TLV_DEPTH + 5) {
            deep = ind(0x30, &deep);
        }
        assert_eq!(ber.read(&mut Reader::new(&deep), "t"), Err(Malformed::TooDeep("t")));
        // Nested indefinite forms and the value they enclose.
        let nested = ind(0x30, &[ind(0x31, &[0x02, 0x01, 0x07]), vec![0x05, 0x00]].concat());
        let mut r = Reader::new(&nested);
        let t = ber.read(&mut r, "t").unwrap();
        assert!(r.is_empty());
        assert_eq!(t.tag, 0x30);
        assert_eq!(t.value, &[0x31, 0x80, 0x02, 0x01, 0x07, 0x00, 0x00, 0x05, 0x00]);
        let kids = ber.children(t.value, "t").unwrap();
        assert_eq!(kids.iter().map(|k| k.tag).collect::<Vec<_>>(), [0x31, 0x05]);
        assert_eq!(kids[0].value, &[0x02, 0x01, 0x07]);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse(&bytes);
            let _ = parse_with(&bytes, LENIENT);
        }

        #[test]
        fn lenient_never_panics_on_mutated_ber(pos in 0usize..2000, val in any::<u8>(), cut in 0usize..2000) {
            let (mut bytes, _) = ber_sod(&[(1, b"a"), (2, b"b")], None, true);
            let len = bytes.len();
            bytes[pos % len] = val;
            bytes.truncate(len - cut % len);
            let _ = parse_with(&bytes, LENIENT);
        }

        #[test]
        fn never_panics_on_mutations(pos in 0usize..2000, val in any::<u8>(), cut in 0usize..2000) {
            let mut bytes = sod(&[(1, b"a"), (2, b"b"), (13, b"c")]);
            let len = bytes.len();
            bytes[pos % len] = val;
            bytes.truncate(len - cut % len);
            let _ = parse(&bytes);
        }
    }
}
