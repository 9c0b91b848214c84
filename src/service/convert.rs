//! From the protocol core's [`DocumentRead`] to the API's [`ReadResponse`].

use crate::api;
use crate::protocol::authenticity::ChipCheck;
use crate::protocol::lds::{DataGroup, FileId};
use crate::protocol::mrz;
use crate::protocol::session::DocumentRead;
use crate::protocol::verify::{HashCheck, PassiveReport, Status, assess};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::collections::BTreeMap;

/// True when `dg`'s hash matched the SOD: only such data groups are published
/// as parsed fields (HOSTILE 19: a group failing its hash is not published;
/// its raw bytes stay in `files`, marked `invalid` in `verification`).
fn verified(read: &DocumentRead, dg: DataGroup) -> bool {
    read.hashes.data_groups.get(&dg).is_some_and(|c| *c == HashCheck::Valid)
}

/// The MRZ fields of DG1, with ISO dates where they resolve (`today` sets the century window).
pub fn document(read: &DocumentRead, today: (i32, u32, u32)) -> Option<api::Document> {
    if !verified(read, DataGroup::DG1) {
        return None;
    }
    let dg1 = read.dg1.as_ref()?;
    let m = &dg1.mrz;
    Some(api::Document {
        document_type: m.document_code.clone(),
        issuing_state: m.issuing_state.clone(),
        document_number: m.document_number.clone(),
        surname: m.surname.clone(),
        given_names: m.given_names.clone(),
        nationality: m.nationality.clone(),
        date_of_birth: mrz::birth_date_iso(&m.date_of_birth, today).unwrap_or_else(|| m.date_of_birth.clone()),
        sex: m.sex.clone(),
        date_of_expiry: mrz::expiry_date_iso(&m.date_of_expiry, today).unwrap_or_else(|| m.date_of_expiry.clone()),
        optional_data: m.optional_data.clone(),
        mrz: m.lines.join("\n"),
        check_digit_failures: dg1.check_digit_failures.iter().map(|s| (*s).to_owned()).collect(),
    })
}

/// The Vietnamese DG13.
pub fn cccd(read: &DocumentRead) -> Option<api::Cccd> {
    if !verified(read, DataGroup::DG13) {
        return None;
    }
    let c = read.cccd.as_ref()?;
    Some(api::Cccd {
        id_number: c.id_number.clone(),
        full_name: c.full_name.clone(),
        date_of_birth: c.date_of_birth.clone(),
        sex: c.sex.clone(),
        nationality: c.nationality.clone(),
        ethnicity: c.ethnicity.clone(),
        religion: c.religion.clone(),
        place_of_origin: c.place_of_origin.clone(),
        place_of_residence: c.place_of_residence.clone(),
        personal_identification: c.personal_identification.clone(),
        date_of_issue: c.date_of_issue.clone(),
        date_of_expiry: c.date_of_expiry.clone(),
        father_name: c.father_name.clone(),
        mother_name: c.mother_name.clone(),
        spouse_name: c.spouse_name.clone(),
        old_id_number: c.old_id_number.clone(),
    })
}

/// The portrait, as stored.
pub fn portrait(read: &DocumentRead) -> Option<api::Portrait> {
    if !verified(read, DataGroup::DG2) {
        return None;
    }
    let p = read.portrait.as_ref()?;
    Some(api::Portrait {
        mime_type: p.image_type.mime_type().into(),
        data: BASE64.encode(&*p.image),
        width: p.width,
        height: p.height,
    })
}

/// Every file read, base64, by its API name.
pub fn files(read: &DocumentRead) -> BTreeMap<String, String> {
    read.files.iter().map(|(f, bytes)| (FileId::name(*f).to_owned(), BASE64.encode(bytes))).collect()
}

/// The verification block: hashes from the read, signature and chain from
/// passive authentication, Chip and Active Authentication from the read, and
/// the verdict of [`crate::protocol::verify::assess`] (failed as well when CA
/// or AA failed). Checks not made are reported as not made, never as passed.
pub fn verification(read: &DocumentRead, passive: &PassiveReport) -> api::Verification {
    let mut warnings = Vec::new();
    for (file, _) in &read.parse_errors {
        warnings.push(format!("{}_does_not_parse", FileId::name(*file).to_lowercase().replace('.', "_")));
    }
    for dg in &read.com_sod_mismatch {
        warnings.push(format!("ef_com_and_ef_sod_disagree_on_{}", dg.to_string().to_lowercase()));
    }
    warnings.extend(passive.chain.warnings.iter().map(|w| w.as_str().to_owned()));
    let hashes = &read.hashes;
    let mut status = assess(hashes, &read.com_sod_mismatch, passive.signature, &passive.chain);
    // A chip that fails Chip or Active Authentication is a clone or a forgery,
    // whatever its data says; not performed / not supported changes nothing.
    if read.chip_authentication == ChipCheck::Failed || read.active_authentication == ChipCheck::Failed {
        status = Status::Failed;
    }
    api::Verification {
        status: status.as_str().into(),
        data_groups: hashes.data_groups.iter().map(|(dg, c)| (dg.to_string(), HashCheck::as_str(*c).into())).collect(),
        sod_signature: passive.signature.as_str().into(),
        certificate_chain: passive.chain.result.as_str().into(),
        chip_authentication: read.chip_authentication.as_str().into(),
        active_authentication: read.active_authentication.as_str().into(),
        missing_data_groups: hashes.listed_but_not_read.iter().map(|dg| dg.to_string()).collect(),
        warnings,
    }
}

/// The whole response.
pub fn response(
    read_id: &str,
    reader: &str,
    read: &DocumentRead,
    passive: &PassiveReport,
    duration_ms: u64,
) -> api::ReadResponse {
    api::ReadResponse {
        read_id: read_id.into(),
        reader: reader.into(),
        access: api::Access { method: read.access.method.as_str().into(), key: read.access.key.as_str().into() },
        document: document(read, mrz::today_utc()),
        cccd: cccd(read),
        portrait: portrait(read),
        files: files(read),
        verification: verification(read, passive),
        stats: api::Stats { apdus: read.stats.apdus, bytes_read: read.stats.bytes_read, duration_ms },
    }
}
