//! The overall passive-authentication verdict (API.md `verification.status`;
//! result model after BSI TR-03135-1 §5.6: passed / failed / undetermined).
//!
//! - **failed** if any check fails: a data group hash differs or is not in the
//!   SOD (HOSTILE 19, 20), a data group the SOD lists is absent from the chip
//!   (the session leaves only those in
//!   [`HashReport::listed_but_not_read`]), EF.COM and the SOD disagree
//!   (HOSTILE 20), the SOD signature is invalid (HOSTILE 21), or the chain is
//!   `untrusted` or `expired` (HOSTILE 25, 26; strict-mode 28, 29).
//!   TR-03135 reports validity apart from integrity; the API has one status,
//!   and an expired or not-yet-valid certificate on the path is a failed
//!   check, not a missing one. The integrity results stay in the report
//!   (`data_groups`, `sod_signature`), so "expired but intact" is visible.
//! - **undetermined** if nothing failed but something could not be checked:
//!   an unsupported hash or signature algorithm (HOSTILE 23), no document
//!   signer certificate (HOSTILE 24), no CSCA for the issuer in the trust store
//!   (`unknown_issuer`).
//! - **passed** only if every hash checked matches, the SOD signature is valid
//!   and the chain is trusted.
//!
//! [`verify_sod`] runs the signature and chain steps for the session.

use super::chain::{self, ChainCheck, ChainMode, ChainReport, DocumentSignerSource, TrustAnchors};
use super::signature::{self, SignatureCheck};
use super::{HashCheck, HashReport};
use crate::protocol::lds::DataGroup;
use crate::protocol::lds::sod::Sod;

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Every check was made and passed.
    Passed,
    /// At least one check failed.
    Failed,
    /// Nothing failed, but at least one check could not be made.
    Undetermined,
}

impl Status {
    /// The API spelling: `passed`, `failed`, `undetermined`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Undetermined => "undetermined",
        }
    }
}

/// Combines the checks into one [`Status`] (see the [module docs](self)).
/// `com_sod_mismatch` lists data groups in EF.COM but not in the SOD or the
/// other way round.
pub fn assess(
    hashes: &HashReport,
    com_sod_mismatch: &[DataGroup],
    signature: SignatureCheck,
    chain: &ChainReport,
) -> Status {
    let failed = hashes.any_failed()
        || !hashes.listed_but_not_read.is_empty()
        || !com_sod_mismatch.is_empty()
        || signature == SignatureCheck::Invalid
        || matches!(chain.result, ChainCheck::Untrusted | ChainCheck::Expired);
    if failed {
        return Status::Failed;
    }
    let undetermined = !hashes.algorithm_supported
        || hashes.data_groups.values().any(|c| *c == HashCheck::Undetermined)
        || matches!(signature, SignatureCheck::UnsupportedAlgorithm | SignatureCheck::Undetermined)
        || chain.result == ChainCheck::UnknownIssuer;
    if undetermined {
        return Status::Undetermined;
    }
    if hashes.all_valid() && signature == SignatureCheck::Valid && chain.result == ChainCheck::Trusted {
        Status::Passed
    } else {
        // Unreachable with the enums as they are; never pass by default.
        Status::Undetermined
    }
}

/// The SOD signature and chain results of one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassiveReport {
    /// The SOD signature (API.md `sod_signature`).
    pub signature: SignatureCheck,
    /// The document signer's chain (API.md `certificate_chain`, plus details).
    pub chain: ChainReport,
}

/// Passive authentication steps 1–2 (ICAO 9303-11 §5.1) for a parsed SOD:
/// the document signer certificate is the SOD's, or — when the SOD carries
/// none — the one in `trust` matching the SignerInfo's sid; its chain is
/// checked against `trust` at `now` (unix seconds) and the SOD signature with
/// its key. `issuing_state` is DG1's (alpha-3), for the profile check.
pub fn verify_sod(
    sod: &Sod,
    trust: &TrustAnchors,
    now: i64,
    issuing_state: Option<&str>,
    mode: ChainMode,
) -> PassiveReport {
    let (ds, source) = match sod.document_signer.as_deref() {
        Some(ds) => (Some(ds), Some(DocumentSignerSource::Sod)),
        None => match trust.find_by_signer_identifier(&sod.signer_info.sid) {
            Some(ds) => (Some(ds), Some(DocumentSignerSource::TrustStore)),
            None => (None, None),
        },
    };
    let signature = signature::verify_sod_signature(sod, ds);
    let mut chain = chain::check_chain(ds, trust, now, issuing_state, mode);
    chain.ds_source = source;
    PassiveReport { signature, chain }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::verify::chain::ChainWarning;
    use std::collections::BTreeMap;

    fn hashes(checks: &[(u8, HashCheck)], supported: bool) -> HashReport {
        let data_groups: BTreeMap<DataGroup, HashCheck> =
            checks.iter().map(|(n, c)| (DataGroup::new(*n).unwrap(), *c)).collect();
        HashReport { data_groups, listed_but_not_read: Vec::new(), algorithm_supported: supported }
    }

    fn chain(result: ChainCheck) -> ChainReport {
        ChainReport {
            result,
            warnings: vec![ChainWarning::MissingKeyUsage],
            csca_subject: None,
            ds_source: None,
            revocation_checked: false,
        }
    }

    #[test]
    fn verdicts() {
        use ChainCheck::*;
        use HashCheck::{Invalid, NotInSod, Undetermined as HUndet, Valid};
        use SignatureCheck as S;
        let good = hashes(&[(1, Valid), (2, Valid)], true);
        assert_eq!(assess(&good, &[], S::Valid, &chain(Trusted)), Status::Passed);
        // Any failure fails, whatever else is undetermined.
        assert_eq!(assess(&hashes(&[(1, Valid), (2, Invalid)], true), &[], S::Valid, &chain(Trusted)), Status::Failed);
        assert_eq!(assess(&hashes(&[(1, NotInSod)], true), &[], S::Valid, &chain(Trusted)), Status::Failed);
        assert_eq!(assess(&good, &[DataGroup::DG11], S::Valid, &chain(Trusted)), Status::Failed);
        let mut absent = good.clone();
        absent.listed_but_not_read.push(DataGroup::new(10).unwrap());
        assert_eq!(assess(&absent, &[], S::Valid, &chain(Trusted)), Status::Failed);
        assert_eq!(assess(&good, &[], S::Invalid, &chain(UnknownIssuer)), Status::Failed);
        assert_eq!(assess(&good, &[], S::Valid, &chain(Untrusted)), Status::Failed);
        assert_eq!(assess(&good, &[], S::Valid, &chain(Expired)), Status::Failed);
        assert_eq!(assess(&good, &[], S::UnsupportedAlgorithm, &chain(Expired)), Status::Failed);
        // Undetermined.
        assert_eq!(assess(&good, &[], S::Valid, &chain(UnknownIssuer)), Status::Undetermined);
        assert_eq!(assess(&good, &[], S::UnsupportedAlgorithm, &chain(Trusted)), Status::Undetermined);
        assert_eq!(assess(&good, &[], S::Undetermined, &chain(UnknownIssuer)), Status::Undetermined);
        assert_eq!(assess(&hashes(&[(1, HUndet)], false), &[], S::Valid, &chain(Trusted)), Status::Undetermined);
        let names: Vec<&str> =
            [Status::Passed, Status::Failed, Status::Undetermined].iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["passed", "failed", "undetermined"]);
    }
}
