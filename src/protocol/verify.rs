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

    #[test]
    fn names() {
        let names: Vec<&str> = [HashCheck::Valid, HashCheck::Invalid, HashCheck::NotInSod, HashCheck::Undetermined]
            .iter()
            .map(|c| c.as_str())
            .collect();
        assert_eq!(names, ["valid", "invalid", "not_in_sod", "undetermined"]);
    }
}
