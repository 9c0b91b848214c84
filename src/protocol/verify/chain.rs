//! The document signer's certificate path (ICAO 9303-11 §5.1 step 1; ICAO
//! 9303-12 §7; RFC 5280 §6 reduced to the two-level eMRTD PKI; result model
//! after BSI TR-03135-1 §5.6.4.3). Pure: no I/O, the time of reading is
//! passed in.
//!
//! The path is always CSCA → document signer (DS). [`check_chain`]:
//! 1. parses the DS certificate (x509-parser 0.18; DER, at most
//!    [`MAX_CERTIFICATE_SIZE`]);
//! 2. finds CSCA certificates in the [`TrustAnchors`] whose subject matches
//!    the DS issuer ([`names_match`]: byte-equal DER, or RFC 5280 §7.1
//!    caseIgnoreMatch after whitespace folding, which is what real CSCAs need
//!    when one side says PrintableString and the other UTF8String), trying
//!    those whose subjectKeyIdentifier equals the DS authorityKeyIdentifier
//!    first;
//! 3. verifies the DS certificate's signature with each candidate's key until
//!    one verifies ([`super::signature`], so RSA-PSS and ECDSA-brainpool with
//!    explicit parameters work here too — x509-parser's own `verify` feature
//!    uses `ring`, which has neither);
//! 4. checks revocation against every CRL in the store issued by that CSCA
//!    whose own signature verifies with the CSCA key (RFC 5280 §6.3, reduced:
//!    no delta CRLs, no distribution points);
//! 5. checks the validity periods of the DS and the CSCA at the time of
//!    reading (TR-03135 §5.6.4.3.4–5);
//! 6. checks the ICAO profile of the DS (9303-12 §7.1.1, Table 6; TR-03135
//!    §5.6.4.5): authorityKeyIdentifier present, keyUsage present with
//!    digitalSignature, issuer country = the document's issuing state (DG1);
//!    and of the issuer: basicConstraints cA, keyUsage keyCertSign.
//!
//! # Results (API.md `certificate_chain`)
//! In this order of precedence:
//! - [`ChainCheck::UnknownIssuer`]: no DS certificate at all (HOSTILE 24), no
//!   CSCA in the store with the DS issuer's name (HOSTILE 26), or no candidate
//!   could be checked because its algorithm is unsupported — the
//!   "undetermined" of TR-03135;
//! - [`ChainCheck::Untrusted`]: the DS certificate is malformed, no candidate
//!   CSCA key verifies it (a CSCA of that name but another key: HOSTILE 26),
//!   the DS is revoked ([`ChainWarning::Revoked`], HOSTILE 25), or — in
//!   [`ChainMode::Strict`] only — a profile defect (HOSTILE 28, 29);
//! - [`ChainCheck::Expired`]: the DS or the CSCA is outside its validity
//!   period at the time of reading (HOSTILE 25);
//! - [`ChainCheck::Trusted`] otherwise, profile defects listed as warnings in
//!   the default [`ChainMode::Lenient`].
//!
//! The report names the CSCA by its subject DN (public information); it holds
//! no personal data.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::x509::X509Name;

use super::der;
use super::signature::{self, KeyError, SignatureCheck};
use crate::protocol::lds::sod::SignerIdentifier;

/// The largest certificate accepted (real CSCA and DS certificates are 1–2 KB).
pub const MAX_CERTIFICATE_SIZE: usize = 16 * 1024;
/// The largest CRL accepted.
pub const MAX_CRL_SIZE: usize = 4 * 1024 * 1024;
/// The most certificates a [`TrustAnchors`] holds (the German master list has
/// about 500).
pub const MAX_ANCHORS: usize = 10_000;
/// The most CRLs a [`TrustAnchors`] holds.
pub const MAX_CRLS: usize = 1_000;

/// The chain verdict (API.md `certificate_chain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainCheck {
    /// Issued by a CSCA in the trust store, valid now, not revoked.
    Trusted,
    /// Not issued by the trusted CSCA's key, revoked, malformed, or (strict
    /// mode) not conforming to the profile.
    Untrusted,
    /// No CSCA in the trust store to check against, no DS certificate, or an
    /// unsupported algorithm on the path: the trust could not be decided.
    UnknownIssuer,
    /// The DS or the CSCA certificate is not valid at the time of reading.
    Expired,
}

impl ChainCheck {
    /// The API spelling: `trusted`, `untrusted`, `unknown_issuer`, `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trusted => "trusted",
            Self::Untrusted => "untrusted",
            Self::UnknownIssuer => "unknown_issuer",
            Self::Expired => "expired",
        }
    }
}

/// How profile defects are treated (HOSTILE 28, 29).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChainMode {
    /// Profile defects are warnings (the default: real documents have them).
    #[default]
    Lenient,
    /// Profile defects make the chain [`ChainCheck::Untrusted`].
    Strict,
}

/// A finding on the path, beyond the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChainWarning {
    /// No DS certificate in the SOD nor in the trust store (HOSTILE 24).
    NoDocumentSigner,
    /// The DS certificate does not parse, or is too large.
    DocumentSignerMalformed,
    /// The DS certificate's notAfter is before the time of reading.
    DocumentSignerExpired,
    /// The DS certificate's notBefore is after the time of reading.
    DocumentSignerNotYetValid,
    /// The CSCA certificate's notAfter is before the time of reading.
    CscaExpired,
    /// The CSCA certificate's notBefore is after the time of reading.
    CscaNotYetValid,
    /// A CSCA with the issuer's name is in the store, but its key does not
    /// verify the DS certificate's signature.
    IssuerSignatureInvalid,
    /// The DS certificate's signature algorithm, or a candidate CSCA's key, is
    /// not one we implement.
    UnsupportedAlgorithm,
    /// A CRL from the CSCA lists the DS certificate's serial number.
    Revoked,
    /// A CRL naming the CSCA as issuer has a signature that does not verify (ignored).
    CrlSignatureInvalid,
    /// A CRL of the CSCA is past its nextUpdate (still honoured).
    CrlStale,
    /// Profile: the DS certificate has no authorityKeyIdentifier (ICAO 9303-12 Table 6).
    MissingAuthorityKeyIdentifier,
    /// Profile: the DS certificate has no keyUsage extension.
    MissingKeyUsage,
    /// Profile: the DS certificate's keyUsage lacks digitalSignature.
    KeyUsageWithoutDigitalSignature,
    /// Profile: the DS issuer's country differs from the document's issuing
    /// state in DG1 (TR-03135 §5.6.4.5).
    IssuingStateMismatch,
    /// Profile: the issuing CSCA certificate is not a CA (basicConstraints).
    IssuerNotCa,
    /// Profile: the issuing CSCA certificate's keyUsage lacks keyCertSign.
    IssuerWithoutCertSign,
}

impl ChainWarning {
    /// A snake_case name for reports, e.g. `missing_authority_key_identifier`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoDocumentSigner => "no_document_signer",
            Self::DocumentSignerMalformed => "document_signer_malformed",
            Self::DocumentSignerExpired => "document_signer_expired",
            Self::DocumentSignerNotYetValid => "document_signer_not_yet_valid",
            Self::CscaExpired => "csca_expired",
            Self::CscaNotYetValid => "csca_not_yet_valid",
            Self::IssuerSignatureInvalid => "issuer_signature_invalid",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::Revoked => "revoked",
            Self::CrlSignatureInvalid => "crl_signature_invalid",
            Self::CrlStale => "crl_stale",
            Self::MissingAuthorityKeyIdentifier => "missing_authority_key_identifier",
            Self::MissingKeyUsage => "missing_key_usage",
            Self::KeyUsageWithoutDigitalSignature => "key_usage_without_digital_signature",
            Self::IssuingStateMismatch => "issuing_state_mismatch",
            Self::IssuerNotCa => "issuer_not_ca",
            Self::IssuerWithoutCertSign => "issuer_without_cert_sign",
        }
    }

    /// True for the profile defects that [`ChainMode::Strict`] turns into failures.
    pub fn is_profile_defect(self) -> bool {
        matches!(
            self,
            Self::MissingAuthorityKeyIdentifier
                | Self::MissingKeyUsage
                | Self::KeyUsageWithoutDigitalSignature
                | Self::IssuingStateMismatch
                | Self::IssuerNotCa
                | Self::IssuerWithoutCertSign
        )
    }
}

/// Where the DS certificate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentSignerSource {
    /// The SOD's `certificates`.
    Sod,
    /// The trust store (the SOD carries none; matched by the SignerInfo's sid).
    TrustStore,
}

/// The outcome of [`check_chain`]. No personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The verdict.
    pub result: ChainCheck,
    /// Findings, sorted, each once.
    pub warnings: Vec<ChainWarning>,
    /// The subject DN of the CSCA whose key verified the DS certificate.
    pub csca_subject: Option<String>,
    /// Where the DS certificate came from (`None`: there was none).
    pub ds_source: Option<DocumentSignerSource>,
    /// True if at least one CRL of that CSCA, with a valid signature, was consulted.
    pub revocation_checked: bool,
}

impl ChainReport {
    fn new(result: ChainCheck, warnings: Vec<ChainWarning>) -> Self {
        let mut report =
            ChainReport { result, warnings, csca_subject: None, ds_source: None, revocation_checked: false };
        report.warnings.sort();
        report.warnings.dedup();
        report
    }

    /// True if the DS certificate was found revoked.
    pub fn revoked(&self) -> bool {
        self.warnings.contains(&ChainWarning::Revoked)
    }
}

/// Why a certificate or CRL was not added to [`TrustAnchors`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    /// Larger than [`MAX_CERTIFICATE_SIZE`] / [`MAX_CRL_SIZE`].
    #[error("too large")]
    TooLarge,
    /// The store already holds [`MAX_ANCHORS`] certificates / [`MAX_CRLS`] CRLs.
    #[error("too many entries in the trust store")]
    TooMany,
    /// Not a DER X.509 certificate / CRL (with no trailing bytes).
    #[error("malformed {0}")]
    Malformed(&'static str),
}

/// What [`TrustAnchors::add_certificate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A CA certificate (basicConstraints cA, or self-issued): a CSCA or CSCA link certificate.
    Csca,
    /// Any other certificate, kept to find a DS the SOD does not carry.
    DocumentSigner,
    /// Already present (byte-equal): not added again.
    Duplicate,
}

#[derive(Debug, Clone)]
struct Anchor {
    der: Vec<u8>,
    subject: Vec<u8>,
    issuer: Vec<u8>,
    serial: Vec<u8>,
    ski: Option<Vec<u8>>,
    is_ca: bool,
}

#[derive(Debug, Clone)]
struct Crl {
    der: Vec<u8>,
    issuer: Vec<u8>,
}

/// The trusted CSCA certificates (and any document signer certificates) and
/// the CRLs, in memory: what the trust store loader (`crate::trust`) produces
/// and what passive authentication checks against. Everything added is
/// trusted as configured; parsing is checked on entry.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    certificates: Vec<Anchor>,
    crls: Vec<Crl>,
}

fn subject_key_identifier(cert: &X509Certificate<'_>) -> Option<Vec<u8>> {
    cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
        _ => None,
    })
}

fn authority_key_identifier(cert: &X509Certificate<'_>) -> Option<Vec<u8>> {
    cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().map(|k| k.0.to_vec()),
        _ => None,
    })
}

/// Parses a certificate with nothing after it.
pub(crate) fn parse_certificate(der: &[u8]) -> Option<X509Certificate<'_>> {
    if der.len() > MAX_CERTIFICATE_SIZE {
        return None;
    }
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Some(cert),
        _ => None,
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.get(zeros..).unwrap_or(&[])
}

impl TrustAnchors {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a certificate (DER).
    pub fn add_certificate(&mut self, der: &[u8]) -> Result<Added, AnchorError> {
        if der.len() > MAX_CERTIFICATE_SIZE {
            return Err(AnchorError::TooLarge);
        }
        let cert = parse_certificate(der).ok_or(AnchorError::Malformed("certificate"))?;
        if self.certificates.iter().any(|a| a.der == der) {
            return Ok(Added::Duplicate);
        }
        if self.certificates.len() >= MAX_ANCHORS {
            return Err(AnchorError::TooMany);
        }
        let subject = cert.subject().as_raw().to_vec();
        let issuer = cert.issuer().as_raw().to_vec();
        let is_ca = cert.is_ca() || (cert.extensions().is_empty() && subject == issuer);
        self.certificates.push(Anchor {
            der: der.to_vec(),
            ski: subject_key_identifier(&cert),
            serial: strip_zeros(cert.raw_serial()).to_vec(),
            subject,
            issuer,
            is_ca,
        });
        Ok(if is_ca { Added::Csca } else { Added::DocumentSigner })
    }

    /// Adds a CRL (DER).
    pub fn add_crl(&mut self, der: &[u8]) -> Result<(), AnchorError> {
        if der.len() > MAX_CRL_SIZE {
            return Err(AnchorError::TooLarge);
        }
        let issuer = match CertificateRevocationList::from_der(der) {
            Ok(([], crl)) => crl.issuer().as_raw().to_vec(),
            _ => return Err(AnchorError::Malformed("CRL")),
        };
        if self.crls.iter().any(|c| c.der == der) {
            return Ok(());
        }
        if self.crls.len() >= MAX_CRLS {
            return Err(AnchorError::TooMany);
        }
        self.crls.push(Crl { der: der.to_vec(), issuer });
        Ok(())
    }

    /// Adds everything from another set (duplicates skipped, caps kept).
    pub fn extend(&mut self, other: &TrustAnchors) -> Result<(), AnchorError> {
        for a in &other.certificates {
            self.add_certificate(&a.der)?;
        }
        for c in &other.crls {
            self.add_crl(&c.der)?;
        }
        Ok(())
    }

    /// The number of CA (CSCA) certificates.
    pub fn csca_count(&self) -> usize {
        self.certificates.iter().filter(|a| a.is_ca).count()
    }

    /// The number of other (document signer) certificates.
    pub fn document_signer_count(&self) -> usize {
        self.certificates.iter().filter(|a| !a.is_ca).count()
    }

    /// The number of CRLs.
    pub fn crl_count(&self) -> usize {
        self.crls.len()
    }

    /// True if the set holds nothing.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty() && self.crls.is_empty()
    }

    /// The DER of every CA certificate.
    pub fn cscas(&self) -> impl Iterator<Item = &[u8]> {
        self.certificates.iter().filter(|a| a.is_ca).map(|a| a.der.as_slice())
    }

    /// A certificate matching a CMS SignerIdentifier (RFC 5652 §5.3): issuer
    /// name and serial number, or subjectKeyIdentifier — to find a document
    /// signer the SOD does not carry (HOSTILE 24).
    pub fn find_by_signer_identifier(&self, sid: &SignerIdentifier) -> Option<&[u8]> {
        self.certificates
            .iter()
            .find(|a| match sid {
                SignerIdentifier::IssuerAndSerialNumber { issuer, serial, .. } => {
                    strip_zeros(serial) == a.serial.as_slice() && names_match(issuer, &a.issuer)
                }
                SignerIdentifier::SubjectKeyIdentifier(ski) => a.ski.as_deref() == Some(ski.as_slice()),
            })
            .map(|a| a.der.as_slice())
    }
}

/// RFC 5280 §7.1 name matching, reduced: byte-equal DER, or the same RDNs with
/// the same attribute types and values equal after trimming, folding runs of
/// whitespace and case (for string values; other values byte-equal).
pub fn names_match(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let (Ok(([], a)), Ok(([], b))) = (X509Name::from_der(a), X509Name::from_der(b)) else {
        return false;
    };
    let rdns_a: Vec<_> = a.iter().collect();
    let rdns_b: Vec<_> = b.iter().collect();
    if rdns_a.len() != rdns_b.len() {
        return false;
    }
    rdns_a.iter().zip(&rdns_b).all(|(ra, rb)| {
        let atvs_a: Vec<_> = ra.iter().collect();
        let atvs_b: Vec<_> = rb.iter().collect();
        atvs_a.len() == atvs_b.len()
            && atvs_a.iter().all(|x| {
                atvs_b.iter().any(|y| {
                    x.attr_type() == y.attr_type()
                        && match (x.as_str(), y.as_str()) {
                            (Ok(sx), Ok(sy)) => fold(sx) == fold(sy),
                            _ => x.as_slice() == y.as_slice(),
                        }
                })
            })
    })
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The ISO 3166-1 alpha-2 code for a DG1 issuing state (ICAO 9303-3 §5: an
/// alpha-3 code, or one of ICAO's own: `D` for Germany, `GBD`…`GBS` for the
/// British nationality classes, `UTO` the specimen state Utopia (certificates
/// `UT`), `RKS` Kosovo (`XK`), `EUE` the European Union (`EU`)). `None`
/// when unknown: the check is then skipped.
pub fn issuing_state_alpha2(state: &str) -> Option<&'static str> {
    let state = state.trim_end_matches('<').trim();
    match state {
        "D" => Some("DE"),
        "GBD" | "GBN" | "GBO" | "GBP" | "GBS" => Some("GB"),
        "UTO" => Some("UT"),
        "RKS" => Some("XK"),
        "EUE" => Some("EU"),
        _ => isocountry::CountryCode::for_alpha3(state).ok().map(|c| c.alpha2()),
    }
}

fn validity_warnings(
    cert: &X509Certificate<'_>,
    now: i64,
    expired: ChainWarning,
    early: ChainWarning,
) -> Vec<ChainWarning> {
    let v = cert.validity();
    let mut out = Vec::new();
    if now > v.not_after.timestamp() {
        out.push(expired);
    }
    if now < v.not_before.timestamp() {
        out.push(early);
    }
    out
}

/// Verifies a certificate's or CRL's signature (`signed_der`) with the key of
/// `issuer_der`. `Err(())` means unsupported (algorithm or key).
pub(crate) fn issued_by(signed_der: &[u8], issuer_der: &[u8]) -> Result<bool, ()> {
    let Ok(signed) = der::signed(signed_der, "signed X.509 object") else {
        return Ok(false);
    };
    let Some(spki) = signature::certificate_spki(issuer_der) else {
        return Ok(false);
    };
    let key = match signature::parse_spki(spki) {
        Ok(k) => k,
        Err(KeyError::Unsupported(_)) => return Err(()),
        Err(KeyError::Malformed(_)) => return Ok(false),
    };
    let scheme = match signature::scheme(&signed.algorithm.oid, signed.algorithm.params, None) {
        Ok(s) => s,
        Err(KeyError::Unsupported(_)) => return Err(()),
        Err(KeyError::Malformed(_)) => return Ok(false),
    };
    Ok(signature::verify(&key, scheme, signed.tbs, signed.signature) == SignatureCheck::Valid)
}

/// Checks the DS certificate `ds` (DER; `None`: there is none anywhere)
/// against `anchors` at `now` (unix seconds), for a document whose DG1 names
/// `issuing_state` (alpha-3, e.g. `VNM`). See the [module docs](self).
pub fn check_chain(
    ds: Option<&[u8]>,
    anchors: &TrustAnchors,
    now: i64,
    issuing_state: Option<&str>,
    mode: ChainMode,
) -> ChainReport {
    let Some(ds_der) = ds else {
        return ChainReport::new(ChainCheck::UnknownIssuer, vec![ChainWarning::NoDocumentSigner]);
    };
    let Some(ds) = parse_certificate(ds_der) else {
        return ChainReport::new(ChainCheck::Untrusted, vec![ChainWarning::DocumentSignerMalformed]);
    };
    let mut warnings = Vec::new();

    // Profile of the DS (ICAO 9303-12 Table 6).
    let aki = authority_key_identifier(&ds);
    if aki.is_none() {
        warnings.push(ChainWarning::MissingAuthorityKeyIdentifier);
    }
    match ds.key_usage() {
        Ok(Some(ku)) if !ku.value.digital_signature() => warnings.push(ChainWarning::KeyUsageWithoutDigitalSignature),
        Ok(Some(_)) => {}
        Ok(None) | Err(_) => warnings.push(ChainWarning::MissingKeyUsage),
    }
    if let Some(expected) = issuing_state.and_then(issuing_state_alpha2) {
        let country = ds.issuer().iter_country().next().and_then(|c| c.as_str().ok());
        if !country.is_some_and(|c| c.trim().eq_ignore_ascii_case(expected)) {
            warnings.push(ChainWarning::IssuingStateMismatch);
        }
    }
    warnings.extend(validity_warnings(
        &ds,
        now,
        ChainWarning::DocumentSignerExpired,
        ChainWarning::DocumentSignerNotYetValid,
    ));

    // Candidate issuers: by name, those whose SKI equals the DS AKI first.
    let issuer_name = ds.issuer().as_raw();
    let mut candidates: Vec<&Anchor> =
        anchors.certificates.iter().filter(|a| names_match(&a.subject, issuer_name)).collect();
    candidates.sort_by_key(|a| match (&aki, &a.ski) {
        (Some(k), Some(s)) if k == s => 0,
        (_, None) | (None, _) => 1,
        _ => 2,
    });
    if candidates.is_empty() {
        return ChainReport::new(ChainCheck::UnknownIssuer, warnings);
    }
    let mut unsupported = false;
    let mut issuer = None;
    for candidate in candidates {
        match issued_by(ds_der, &candidate.der) {
            Ok(true) => {
                issuer = Some(candidate);
                break;
            }
            Ok(false) => {}
            Err(()) => unsupported = true,
        }
    }
    let Some(issuer) = issuer else {
        return if unsupported {
            warnings.push(ChainWarning::UnsupportedAlgorithm);
            ChainReport::new(ChainCheck::UnknownIssuer, warnings)
        } else {
            warnings.push(ChainWarning::IssuerSignatureInvalid);
            ChainReport::new(ChainCheck::Untrusted, warnings)
        };
    };
    let Some(csca) = parse_certificate(&issuer.der) else {
        return ChainReport::new(ChainCheck::Untrusted, warnings);
    };
    if !issuer.is_ca {
        warnings.push(ChainWarning::IssuerNotCa);
    }
    if let Ok(Some(ku)) = csca.key_usage()
        && !ku.value.key_cert_sign()
    {
        warnings.push(ChainWarning::IssuerWithoutCertSign);
    }
    warnings.extend(validity_warnings(&csca, now, ChainWarning::CscaExpired, ChainWarning::CscaNotYetValid));

    // Revocation (RFC 5280 §6.3, reduced).
    let mut revocation_checked = false;
    let ds_serial = strip_zeros(ds.raw_serial());
    for crl in anchors.crls.iter().filter(|c| names_match(&c.issuer, &issuer.subject)) {
        if issued_by(&crl.der, &issuer.der) != Ok(true) {
            warnings.push(ChainWarning::CrlSignatureInvalid);
            continue;
        }
        let Ok(([], parsed)) = CertificateRevocationList::from_der(&crl.der) else {
            continue;
        };
        revocation_checked = true;
        if parsed.next_update().is_some_and(|t| t.timestamp() < now) {
            warnings.push(ChainWarning::CrlStale);
        }
        if parsed.iter_revoked_certificates().any(|r| strip_zeros(r.raw_serial()) == ds_serial) {
            warnings.push(ChainWarning::Revoked);
        }
    }

    let result = if warnings.contains(&ChainWarning::Revoked)
        || (mode == ChainMode::Strict && warnings.iter().any(|w| w.is_profile_defect()))
    {
        ChainCheck::Untrusted
    } else if warnings.iter().any(|w| {
        matches!(
            w,
            ChainWarning::DocumentSignerExpired
                | ChainWarning::DocumentSignerNotYetValid
                | ChainWarning::CscaExpired
                | ChainWarning::CscaNotYetValid
        )
    }) {
        ChainCheck::Expired
    } else {
        ChainCheck::Trusted
    };
    let mut report = ChainReport::new(result, warnings);
    report.csca_subject = Some(csca.subject().to_string());
    report.revocation_checked = revocation_checked;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuing_states() {
        assert_eq!(issuing_state_alpha2("VNM"), Some("VN"));
        assert_eq!(issuing_state_alpha2("D<<"), Some("DE"));
        assert_eq!(issuing_state_alpha2("DEU"), Some("DE"));
        assert_eq!(issuing_state_alpha2("UTO"), Some("UT"));
        assert_eq!(issuing_state_alpha2("GBD"), Some("GB"));
        assert_eq!(issuing_state_alpha2("NLD"), Some("NL"));
        assert_eq!(issuing_state_alpha2("XYZ"), None);
        assert_eq!(issuing_state_alpha2(""), None);
    }

    #[test]
    fn name_matching() {
        use crate::protocol::tlv::tlv;
        let name = |tag: u32, value: &str| {
            let atv = tlv(0x30, &[tlv(0x06, &[0x55, 0x04, 0x03]), tlv(tag, value.as_bytes())].concat());
            let c = tlv(0x30, &[tlv(0x06, &[0x55, 0x04, 0x06]), tlv(0x13, b"VN")].concat());
            tlv(0x30, &[tlv(0x31, &c), tlv(0x31, &atv)].concat())
        };
        assert!(names_match(&name(0x13, "CSCA Viet Nam"), &name(0x13, "CSCA Viet Nam")));
        assert!(names_match(&name(0x13, "CSCA Viet Nam"), &name(0x0C, "csca  viet nam ")));
        assert!(!names_match(&name(0x13, "CSCA Viet Nam"), &name(0x13, "CSCA VietNam")));
        assert!(!names_match(&name(0x13, "CSCA"), b"\x30\x00"));
        assert!(!names_match(b"junk", b"junk2"));
    }

    #[test]
    fn anchors_reject_junk() {
        let mut a = TrustAnchors::new();
        assert_eq!(a.add_certificate(b"\x30\x03\x02\x01\x01"), Err(AnchorError::Malformed("certificate")));
        assert_eq!(a.add_certificate(&vec![0x30; MAX_CERTIFICATE_SIZE + 1]), Err(AnchorError::TooLarge));
        assert_eq!(a.add_crl(b"\x30\x00"), Err(AnchorError::Malformed("CRL")));
        assert!(a.is_empty());
        let r = check_chain(None, &a, 0, None, ChainMode::Strict);
        assert_eq!((r.result, r.warnings), (ChainCheck::UnknownIssuer, vec![ChainWarning::NoDocumentSigner]));
        let r = check_chain(Some(b"\x30\x00"), &a, 0, None, ChainMode::Lenient);
        assert_eq!(r.result, ChainCheck::Untrusted);
        assert_eq!(ChainCheck::UnknownIssuer.as_str(), "unknown_issuer");
        assert!(ChainWarning::IssuingStateMismatch.is_profile_defect());
        assert!(!ChainWarning::Revoked.is_profile_defect());
    }
}
