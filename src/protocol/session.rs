//! The whole read of a document, from an access key to parsed, hash-checked
//! data groups (ICAO 9303-11 §4 and §5.1; the inspection procedure of
//! ICAO 9303-11 §7.1 without the signature and chain steps, which belong to
//! passive authentication proper).
//!
//! 1. SELECT the eMRTD application.
//! 2. Access control: BAC with the MRZ key (PACE comes with the CAN).
//! 3. Read EF.COM and EF.SOD; the data groups to read are those the SOD
//!    lists, cross-checked with EF.COM, less DG3/DG4 (Terminal
//!    Authentication) unless asked for, and less any not requested.
//! 4. Read each data group; a missing file (`6A82`) is recorded as absent,
//!    a refused one (`6982`) as denied — neither fails the read.
//! 5. Parse what was read; a data group that does not parse is recorded
//!    with its error (its hash is still checked).
//! 6. Hash every data group read and compare with the SOD.
//!
//! Keys and file buffers are zeroized when the read ends, successful or not.

use crate::protocol::access::bac::bac;
use crate::protocol::access::{OsRng, Rng};
use crate::protocol::error::{Error, Malformed};
use crate::protocol::lds::{self, DataGroup, FileId, com::EfCom, dg1::Dg1, dg2::Portrait, dg13::CccdData, sod::Sod};
use crate::protocol::mrz::BacKey;
use crate::protocol::read::{FileContent, PlainChip, ReadHooks, ReadLimits, SecureChip, Stats};
use crate::protocol::transceive::Transceive;
use crate::protocol::verify::{self, HashReport};
use zeroize::Zeroizing;

/// The key the caller gives to open the chip.
#[derive(Debug, Clone)]
pub enum AccessKey {
    /// The MRZ-derived key (document number, date of birth, date of expiry): BAC or PACE-MRZ.
    Mrz(BacKey),
    /// The card access number printed on the document: PACE-CAN.
    Can(Zeroizing<String>),
}

/// How the chip was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMethod {
    /// Basic Access Control with the MRZ key.
    Bac,
}

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The data groups to read; `None` = every one the chip lets us read
    /// (DG3 and DG4 only when named here, as they need Terminal Authentication).
    pub data_groups: Option<Vec<DataGroup>>,
    /// File-size and APDU limits.
    pub limits: ReadLimits,
}

/// Everything read from a document, parsed and hash-checked. Personal data is
/// wiped when this is dropped.
#[derive(Debug)]
pub struct DocumentRead {
    /// The access control used.
    pub access: AccessMethod,
    /// The raw bytes of every file read, in reading order.
    pub files: Vec<(FileId, Zeroizing<Vec<u8>>)>,
    /// Files asked for that the chip does not have (`6A82`).
    pub absent: Vec<FileId>,
    /// Files the chip refused to give (`6982`, e.g. DG3).
    pub denied: Vec<FileId>,
    /// EF.COM.
    pub com: EfCom,
    /// EF.SOD, parsed down to the LDS security object.
    pub sod: Sod,
    /// DG1, if read and parsed.
    pub dg1: Option<Dg1>,
    /// The portrait of DG2, if read and present.
    pub portrait: Option<Portrait>,
    /// DG11, if read and parsed.
    pub dg11: Option<lds::dg11::Dg11>,
    /// DG12, if read and parsed.
    pub dg12: Option<lds::dg12::Dg12>,
    /// The Vietnamese DG13, if read and in that layout.
    pub cccd: Option<CccdData>,
    /// Data groups that were read but did not parse, with the reason.
    pub parse_errors: Vec<(FileId, Malformed)>,
    /// Data groups listed by EF.COM but not by the SOD, or the other way round
    /// (ICAO 9303-10 §4.6.1; TR-03135 §5.6.4.4.1): a verification failure.
    pub com_sod_mismatch: Vec<DataGroup>,
    /// Per-DG hash results.
    pub hashes: HashReport,
    /// APDUs, bytes and re-authentications.
    pub stats: Stats,
}

impl DocumentRead {
    /// The raw bytes of `file`, if it was read.
    pub fn file(&self, file: FileId) -> Option<&[u8]> {
        self.files.iter().find(|(f, _)| *f == file).map(|(_, b)| b.as_slice())
    }
}

/// Reads a document with OS randomness. See the module documentation.
pub fn read_document(
    t: &mut dyn Transceive,
    key: &AccessKey,
    options: &ReadOptions,
    hooks: &mut dyn ReadHooks,
) -> Result<DocumentRead, Error> {
    read_document_with_rng(t, key, options, hooks, &mut OsRng)
}

/// [`read_document`] with a caller-supplied random source (for worked examples).
pub fn read_document_with_rng(
    t: &mut dyn Transceive,
    key: &AccessKey,
    options: &ReadOptions,
    hooks: &mut dyn ReadHooks,
    rng: &mut dyn Rng,
) -> Result<DocumentRead, Error> {
    if hooks.cancelled() {
        return Err(Error::Cancelled);
    }
    let mut plain = PlainChip::new(t);
    plain.select_application()?;
    let (mut chip, access) = match key {
        AccessKey::Mrz(bac_key) => {
            let info = bac_key.mrz_information();
            let channel = bac(plain.transport(), &info, rng)?;
            tracing::debug!("BAC established");
            let reauth = Box::new(move |t: &mut dyn Transceive| bac(t, &info, &mut OsRng));
            (plain.into_secure(channel, reauth), AccessMethod::Bac)
        }
        AccessKey::Can(_) => return Err(Error::Unsupported("PACE with the CAN")),
    };
    read_files(&mut chip, access, options, hooks)
}

fn read_files(
    chip: &mut SecureChip<'_>,
    access: AccessMethod,
    options: &ReadOptions,
    hooks: &mut dyn ReadHooks,
) -> Result<DocumentRead, Error> {
    let limits = &options.limits;
    let mut files = Vec::new();
    let com_bytes = match chip.read_file(FileId::Com, limits, hooks)? {
        FileContent::Read(b) => b,
        FileContent::NotPresent => {
            return Err(Malformed::Invalid { what: "EF.COM", reason: "the chip has no EF.COM" }.into());
        }
        FileContent::Denied(sw) => return Err(Error::Status { during: "reading EF.COM", sw }),
    };
    let com = lds::com::parse(&com_bytes)?;
    files.push((FileId::Com, com_bytes));
    let sod_bytes = match chip.read_file(FileId::Sod, limits, hooks)? {
        FileContent::Read(b) => b,
        FileContent::NotPresent => {
            return Err(Malformed::Invalid { what: "EF.SOD", reason: "the chip has no EF.SOD" }.into());
        }
        FileContent::Denied(sw) => return Err(Error::Status { during: "reading EF.SOD", sw }),
    };
    let sod = lds::sod::parse(&sod_bytes)?;
    files.push((FileId::Sod, sod_bytes));

    let in_sod: Vec<DataGroup> = sod.data_group_hashes.iter().map(|(dg, _)| *dg).collect();
    let mut com_sod_mismatch: Vec<DataGroup> =
        com.data_groups.iter().filter(|dg| !in_sod.contains(dg)).copied().collect();
    com_sod_mismatch.extend(in_sod.iter().filter(|dg| !com.data_groups.contains(dg)));
    com_sod_mismatch.sort();
    com_sod_mismatch.dedup();

    let mut wanted: Vec<DataGroup> = in_sod.iter().chain(com.data_groups.iter()).copied().collect();
    wanted.sort();
    wanted.dedup();
    match &options.data_groups {
        Some(asked) => wanted.retain(|dg| asked.contains(dg)),
        None => wanted.retain(|dg| !dg.needs_terminal_authentication()),
    }

    let mut absent = Vec::new();
    let mut denied = Vec::new();
    for dg in wanted {
        match chip.read_file(FileId::Dg(dg), limits, hooks)? {
            FileContent::Read(bytes) => files.push((FileId::Dg(dg), bytes)),
            FileContent::NotPresent => absent.push(FileId::Dg(dg)),
            FileContent::Denied(_) => denied.push(FileId::Dg(dg)),
        }
    }

    let mut hashes = verify::check_hashes(
        &sod,
        files.iter().filter_map(|(f, b)| match f {
            FileId::Dg(dg) => Some((*dg, b.as_slice())),
            _ => None,
        }),
    );
    // Data groups skipped by choice (not requested, DG3/DG4) or refused by the
    // chip's access control are not integrity failures; listed-but-absent ones are.
    hashes.listed_but_not_read.retain(|dg| absent.contains(&FileId::Dg(*dg)));
    let mut doc = DocumentRead {
        access,
        absent,
        denied,
        com,
        dg1: None,
        portrait: None,
        dg11: None,
        dg12: None,
        cccd: None,
        parse_errors: Vec::new(),
        com_sod_mismatch,
        hashes,
        sod,
        files: Vec::new(),
        stats: chip.stats(),
    };
    for (file, bytes) in &files {
        let FileId::Dg(dg) = file else { continue };
        let result = match *dg {
            DataGroup::DG1 => lds::dg1::parse(bytes).map(|v| doc.dg1 = Some(v)),
            DataGroup::DG2 => lds::dg2::parse(bytes).map(|v| doc.portrait = v),
            DataGroup::DG11 => lds::dg11::parse(bytes).map(|v| doc.dg11 = Some(v)),
            DataGroup::DG12 => lds::dg12::parse(bytes).map(|v| doc.dg12 = Some(v)),
            DataGroup::DG13 => lds::dg13::parse(bytes).map(|v| doc.cccd = Some(v)),
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(file = %file, error = %e, "data group does not parse");
            doc.parse_errors.push((*file, e));
        }
    }
    doc.files = files;
    Ok(doc)
}
