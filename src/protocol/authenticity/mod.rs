//! Is the chip genuine, not a copy? The two chip-authenticity protocols of
//! ICAO 9303-11 §6, run after the files are read over secure messaging.
//!
//! - [`aa`]: Active Authentication (ICAO 9303-11 §6.1): the chip signs a
//!   random challenge with the private key whose public key DG15 holds —
//!   RSA with ISO/IEC 9796-2 digital signature scheme 1, or ECDSA with the
//!   hash DG14's `ActiveAuthenticationInfo` names.
//! - [`ca`]: Chip Authentication (ICAO 9303-11 §6.2; BSI TR-03110-2 §3.4
//!   version 1): ephemeral-static (EC)DH with the chip's static key from
//!   DG14, new secure-messaging keys, and the chip proves it holds the private
//!   key by answering correctly under them.
//!
//! Both report a [`ChipCheck`]: the `chip_authentication` and
//! `active_authentication` values of the API (`verification` in API.md),
//! modelled on the BSI TR-03135-1 result model.
//!
//! Passive authentication (hashes, SOD signature, chain) says the data is
//! the issuer's; it cannot tell a genuine chip from a byte-for-byte copy of
//! its files. Only a protocol that uses a private key the chip never
//! reveals can — which is why a cloned chip (right data, other keys) passes
//! passive authentication and fails both of these.

pub mod aa;
pub mod ca;

/// The outcome of a chip-authenticity protocol (API.md `verification.chip_authentication`
/// and `verification.active_authentication`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChipCheck {
    /// The chip proved it holds the private key of the key in DG14/DG15.
    Passed,
    /// The protocol ran and the chip did not prove it: a wrong signature or
    /// response, a refused command, keys that do not work, or security data
    /// (DG14/DG15) that is malformed, does not match EF.SOD or names an
    /// invalid algorithm.
    Failed,
    /// The chip does not offer the protocol (no DG15 / no Chip Authentication
    /// key in DG14), or offers it with an algorithm this reader cannot run
    /// (e.g. Diffie-Hellman Chip Authentication, an unsupported curve).
    NotSupported,
    /// Not attempted: disabled in the read options, or its data group was not read.
    NotPerformed,
}

impl ChipCheck {
    /// The API name: `"passed"`, `"failed"`, `"not_supported"` or `"not_performed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::NotSupported => "not_supported",
            Self::NotPerformed => "not_performed",
        }
    }
}

impl core::fmt::Display for ChipCheck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ChipCheck;

    #[test]
    fn api_names() {
        assert_eq!(ChipCheck::Passed.as_str(), "passed");
        assert_eq!(ChipCheck::Failed.as_str(), "failed");
        assert_eq!(ChipCheck::NotSupported.as_str(), "not_supported");
        assert_eq!(ChipCheck::NotPerformed.to_string(), "not_performed");
    }
}
