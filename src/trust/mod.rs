//! The trust store: CSCA certificates, master lists and CRLs loaded from a
//! directory (`mrtdd --trust-store DIR`). This layer does the file I/O; what
//! the files hold is parsed and checked by the pure code in
//! [`crate::protocol::verify`] ([`TrustAnchors`], [`master_list`]).
//!
//! # Files (by extension, case-insensitive; one directory, not recursive)
//! - `*.pem`, `*.crt`, `*.cer`, `*.der`: X.509 certificates, DER or PEM (any
//!   number of `CERTIFICATE` blocks; `X509 CRL` blocks are taken as CRLs).
//!   CA certificates are CSCAs (or CSCA link certificates); others are kept as
//!   document signers, for SODs that do not carry theirs (HOSTILE 24).
//! - `*.ml`: CSCA master lists (ICAO 9303-12 §8.2.2; CMS SignedData). The
//!   list's own signature and its signer's issuer are checked
//!   ([`MasterList::verify`]) against the CSCAs in the list and those loaded
//!   from certificate files (which are loaded first). A list whose signature
//!   or digest does not verify is refused; one that cannot be checked
//!   (unsupported algorithm, signer's CSCA unknown) is loaded and reported
//!   `unverifiable` — the administrator put it there.
//! - `*.crl`: CRLs (RFC 5280 §5), DER or PEM. Honoured when their signature
//!   verifies with the issuing CSCA's key, at check time.
//! - Anything else is reported as ignored; hidden files (`.name`) and
//!   sub-directories are skipped.
//!
//! A file that cannot be read or parsed is reported and skipped; only an
//! unreadable directory or more than [`MAX_FILES`] entries fail the load.
//! Loading builds a fresh [`TrustStore`] each time, so reloading (the
//! daemon's SIGHUP) is just calling [`TrustStore::load`] again and swapping.
//!
//! The [`LoadReport`] names files and counts; certificates are public data,
//! and no document data is involved.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::protocol::verify::chain::{Added, TrustAnchors};
use crate::protocol::verify::master_list::{self, MasterList, MasterListSignature};

/// The most directory entries looked at.
pub const MAX_FILES: usize = 2_000;
/// The largest certificate file (DER or a PEM bundle).
pub const MAX_CERTIFICATE_FILE_SIZE: u64 = 4 * 1024 * 1024;
/// The largest master list file.
pub const MAX_MASTER_LIST_FILE_SIZE: u64 = master_list::MAX_MASTER_LIST_SIZE as u64;
/// The largest CRL file (PEM is a third larger than DER).
pub const MAX_CRL_FILE_SIZE: u64 = 2 * crate::protocol::verify::chain::MAX_CRL_SIZE as u64;
/// The most PEM blocks read from one file.
pub const MAX_PEM_BLOCKS: usize = 1_000;

/// What a file was taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `*.pem`, `*.crt`, `*.cer`, `*.der`.
    Certificates,
    /// `*.ml`.
    MasterList,
    /// `*.crl`.
    Crl,
    /// Any other extension: not read.
    Ignored,
}

impl FileKind {
    fn of(path: &Path) -> Self {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("pem" | "crt" | "cer" | "der") => Self::Certificates,
            Some("ml") => Self::MasterList,
            Some("crl") => Self::Crl,
            _ => Self::Ignored,
        }
    }

    /// `certificates`, `master_list`, `crl`, `ignored`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Certificates => "certificates",
            Self::MasterList => "master_list",
            Self::Crl => "crl",
            Self::Ignored => "ignored",
        }
    }
}

/// What was loaded from one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file name (not the whole path).
    pub name: String,
    /// What it was taken for.
    pub kind: FileKind,
    /// CA certificates added.
    pub cscas: usize,
    /// Other certificates added.
    pub document_signers: usize,
    /// Certificates already loaded from another file.
    pub duplicates: usize,
    /// CRLs added.
    pub crls: usize,
    /// For a master list: the verdict on its own signature.
    pub master_list: Option<MasterListSignature>,
    /// Problems (the file or some of its entries were skipped).
    pub errors: Vec<String>,
}

impl FileReport {
    fn new(name: String, kind: FileKind) -> Self {
        Self {
            name,
            kind,
            cscas: 0,
            document_signers: 0,
            duplicates: 0,
            crls: 0,
            master_list: None,
            errors: Vec::new(),
        }
    }
}

/// What a load found, file by file (in file-name order).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadReport {
    /// One entry per regular, non-hidden file.
    pub files: Vec<FileReport>,
    /// CA certificates in the store.
    pub cscas: usize,
    /// Other certificates in the store.
    pub document_signers: usize,
    /// CRLs in the store.
    pub crls: usize,
}

impl LoadReport {
    /// The number of problems over all files.
    pub fn error_count(&self) -> usize {
        self.files.iter().map(|f| f.errors.len()).sum()
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} CSCA certificates, {} document signer certificates, {} CRLs from {} files ({} problems)",
            self.cscas,
            self.document_signers,
            self.crls,
            self.files.len(),
            self.error_count()
        )
    }
}

/// Why the trust store could not be loaded at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    /// The path is not a readable directory.
    #[error("trust store {path}: {reason}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// More than [`MAX_FILES`] entries.
    #[error("trust store {0}: more than {MAX_FILES} entries")]
    TooManyFiles(PathBuf),
}

/// The loaded trust anchors.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    anchors: TrustAnchors,
}

impl TrustStore {
    /// A store with these anchors (e.g. `mrtdd --simulate` trusting the demo CSCA).
    pub fn from_anchors(anchors: TrustAnchors) -> Self {
        Self { anchors }
    }

    /// The anchors, for [`crate::protocol::verify::verify_sod`].
    pub fn anchors(&self) -> &TrustAnchors {
        &self.anchors
    }

    /// Loads every file of `dir` (see the [module docs](self)).
    pub fn load(dir: &Path) -> Result<(TrustStore, LoadReport), TrustError> {
        let directory_error =
            |e: std::io::Error| TrustError::Directory { path: dir.to_path_buf(), reason: e.to_string() };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(directory_error)? {
            let entry = entry.map_err(directory_error)?;
            if paths.len() >= MAX_FILES {
                return Err(TrustError::TooManyFiles(dir.to_path_buf()));
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with('.') || !path.is_file() {
                continue;
            }
            paths.push((name, path));
        }
        paths.sort();

        let mut anchors = TrustAnchors::new();
        let mut reports: Vec<FileReport> =
            paths.iter().map(|(name, path)| FileReport::new(name.clone(), FileKind::of(path))).collect();
        // Certificates first (master lists are verified against them), then master lists, then CRLs.
        for pass in [FileKind::Certificates, FileKind::MasterList, FileKind::Crl] {
            for ((_, path), report) in paths.iter().zip(reports.iter_mut()) {
                if report.kind == pass {
                    load_file(path, report, &mut anchors);
                }
            }
        }
        for report in reports.iter_mut().filter(|r| r.kind == FileKind::Ignored) {
            report.errors.push("ignored: not .pem, .crt, .cer, .der, .ml or .crl".into());
        }
        let report = LoadReport {
            files: reports,
            cscas: anchors.csca_count(),
            document_signers: anchors.document_signer_count(),
            crls: anchors.crl_count(),
        };
        Ok((TrustStore { anchors }, report))
    }
}

/// Reads at most `limit` bytes; a longer file is an error (checked while
/// reading, so a file growing after `metadata` cannot exceed it).
fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes"));
    }
    Ok(bytes)
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// The PEM blocks of a file as (label, DER), or the file itself as one DER block.
fn blocks(bytes: &[u8], report: &mut FileReport) -> Vec<(Option<String>, Vec<u8>)> {
    if !looks_like_pem(bytes) {
        return vec![(None, bytes.to_vec())];
    }
    let mut out = Vec::new();
    for (i, pem) in x509_parser::pem::Pem::iter_from_buffer(bytes).enumerate() {
        if i >= MAX_PEM_BLOCKS {
            report.errors.push(format!("more than {MAX_PEM_BLOCKS} PEM blocks: the rest skipped"));
            break;
        }
        match pem {
            Ok(pem) => out.push((Some(pem.label), pem.contents)),
            Err(e) => {
                report.errors.push(format!("PEM block {}: {e}", i + 1));
                break;
            }
        }
    }
    out
}

fn add_certificate(der: &[u8], report: &mut FileReport, anchors: &mut TrustAnchors, what: &str) {
    match anchors.add_certificate(der) {
        Ok(Added::Csca) => report.cscas += 1,
        Ok(Added::DocumentSigner) => report.document_signers += 1,
        Ok(Added::Duplicate) => report.duplicates += 1,
        Err(e) => report.errors.push(format!("{what}: {e}")),
    }
}

fn add_crl(der: &[u8], report: &mut FileReport, anchors: &mut TrustAnchors, what: &str) {
    match anchors.add_crl(der) {
        Ok(()) => report.crls += 1,
        Err(e) => report.errors.push(format!("{what}: {e}")),
    }
}

fn load_file(path: &Path, report: &mut FileReport, anchors: &mut TrustAnchors) {
    let limit = match report.kind {
        FileKind::Certificates => MAX_CERTIFICATE_FILE_SIZE,
        FileKind::MasterList => MAX_MASTER_LIST_FILE_SIZE,
        FileKind::Crl => MAX_CRL_FILE_SIZE,
        FileKind::Ignored => return,
    };
    let bytes = match read_capped(path, limit) {
        Ok(b) => b,
        Err(e) => {
            report.errors.push(e);
            return;
        }
    };
    load_into(&bytes, report, anchors);
}

/// Loads the bytes of one file of `kind`, already in memory, into `anchors`
/// exactly as [`TrustStore::load`] does for a file of that kind (PEM or DER;
/// a master list is verified against the anchors loaded so far). The size
/// caps of `load` are the caller's to apply. This is the entry point of the
/// fuzz target `trust_store`.
pub fn load_bytes(kind: FileKind, bytes: &[u8], anchors: &mut TrustAnchors) -> FileReport {
    let mut report = FileReport::new(String::new(), kind);
    load_into(bytes, &mut report, anchors);
    report
}

fn load_into(bytes: &[u8], report: &mut FileReport, anchors: &mut TrustAnchors) {
    match report.kind {
        FileKind::Certificates | FileKind::Crl => {
            let blocks = blocks(bytes, report);
            if blocks.is_empty() && report.errors.is_empty() {
                report.errors.push("no PEM block".into());
            }
            for (i, (label, der)) in blocks.iter().enumerate() {
                let what = format!("entry {}", i + 1);
                match (label.as_deref(), report.kind) {
                    (Some("CERTIFICATE" | "TRUSTED CERTIFICATE"), _) | (None, FileKind::Certificates) => {
                        add_certificate(der, report, anchors, &what)
                    }
                    (Some("X509 CRL"), _) | (None, FileKind::Crl) => add_crl(der, report, anchors, &what),
                    (Some(other), _) => report.errors.push(format!("{what}: unexpected PEM label {other:?}")),
                    (None, _) => report.errors.push(format!("{what}: not a certificate or CRL file")),
                }
            }
        }
        FileKind::MasterList => load_master_list(bytes, report, anchors),
        FileKind::Ignored => {}
    }
}

fn load_master_list(bytes: &[u8], report: &mut FileReport, anchors: &mut TrustAnchors) {
    let list: MasterList = match master_list::parse(bytes) {
        Ok(l) => l,
        Err(e) => {
            report.errors.push(format!("not a master list: {e}"));
            return;
        }
    };
    let verdict = list.verify(anchors);
    report.master_list = Some(verdict);
    match verdict {
        MasterListSignature::Invalid => {
            report.errors.push("master list signature does not verify: not loaded".into());
            return;
        }
        MasterListSignature::Unverifiable(why) => {
            report.errors.push(format!("master list signature not checked: {why}"))
        }
        MasterListSignature::Verified => {}
    }
    if list.skipped > 0 {
        report.errors.push(format!("{} entries of the list are not certificates: skipped", list.skipped));
    }
    for (i, cert) in list.certificates.iter().enumerate() {
        add_certificate(cert, report, anchors, &format!("list entry {}", i + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_directory_and_junk() {
        let missing = Path::new("/nonexistent/mrtdd-trust-store");
        assert!(matches!(TrustStore::load(missing), Err(TrustError::Directory { .. })));
        let dir = std::env::temp_dir().join(format!("mrtdd-trust-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("junk.pem"), b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
            .unwrap();
        std::fs::write(dir.join("binary.der"), [0xFFu8, 0xFE, 0x00, 0x80]).unwrap();
        std::fs::write(dir.join("notes.txt"), b"hello").unwrap();
        std::fs::write(dir.join(".hidden.pem"), b"x").unwrap();
        std::fs::write(dir.join("empty.crl"), b"").unwrap();
        std::fs::write(dir.join("bad.ml"), b"\x30\x03\x02\x01\x00").unwrap();
        let (store, report) = TrustStore::load(&dir).unwrap();
        assert!(store.anchors().is_empty());
        let names: Vec<&str> = report.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["bad.ml", "binary.der", "empty.crl", "junk.pem", "notes.txt"]);
        assert!(report.files.iter().all(|f| !f.errors.is_empty()), "{report:?}");
        assert_eq!(report.files.iter().find(|f| f.name == "notes.txt").unwrap().kind, FileKind::Ignored);
        assert_eq!(report.error_count(), 5);
        assert!(report.to_string().starts_with("0 CSCA certificates"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
