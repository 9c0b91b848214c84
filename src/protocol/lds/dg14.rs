//! DG14, the security options of the eMRTD application (ICAO 9303-10
//! §4.7.14; ICAO 9303-11 §9.2; BSI TR-03110-3 §A.1.2.4).
//!
//! ```text
//! DG14 ::= [APPLICATION 14] (tag 6E) SecurityInfos   -- one DER SET OF SecurityInfo, nothing else
//! ```
//!
//! DG14 is covered by EF.SOD, so unlike EF.CardAccess its contents are
//! authenticated once its hash checks out. It carries the Chip Authentication
//! public keys (`ChipAuthenticationPublicKeyInfo`) and protocols
//! (`ChipAuthenticationInfo`), `TerminalAuthenticationInfo`, the
//! `ActiveAuthenticationInfo` of an EC Active Authentication key, and copies of
//! the `PACEInfo`s of EF.CardAccess. Grammar of each entry:
//! [`security_infos`](super::security_infos).

use crate::protocol::error::Malformed;
use crate::protocol::lds::security_infos::{
    ActiveAuthenticationInfo, ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo, MAX_SECURITY_INFOS_SIZE,
    PaceInfo, SecurityInfo, TerminalAuthenticationInfo, parse_security_infos, supported_pace_infos,
};
use crate::protocol::tlv::single_tlv;

/// Tag of DG14's outer TLV (ICAO 9303-10 Table 37).
pub const TAG_DG14: u32 = 0x6E;
/// The largest DG14 we parse: the `SecurityInfos` cap plus the outer header.
pub const MAX_DG14_SIZE: usize = MAX_SECURITY_INFOS_SIZE + 8;

/// The parsed contents of DG14.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg14 {
    /// Every `SecurityInfo`, in file order.
    pub infos: Vec<SecurityInfo>,
}

impl Dg14 {
    /// The Chip Authentication public keys.
    pub fn chip_authentication_public_keys(&self) -> Vec<&ChipAuthenticationPublicKeyInfo> {
        self.infos
            .iter()
            .filter_map(|i| match i {
                SecurityInfo::ChipAuthenticationPublicKey(k) => Some(k),
                _ => None,
            })
            .collect()
    }

    /// The Chip Authentication protocols.
    pub fn chip_authentication_infos(&self) -> Vec<&ChipAuthenticationInfo> {
        self.infos
            .iter()
            .filter_map(|i| match i {
                SecurityInfo::ChipAuthentication(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// The first `ActiveAuthenticationInfo`, if any (present for EC Active Authentication keys).
    pub fn active_authentication(&self) -> Option<&ActiveAuthenticationInfo> {
        self.infos.iter().find_map(|i| match i {
            SecurityInfo::ActiveAuthentication(a) => Some(a),
            _ => None,
        })
    }

    /// The first `TerminalAuthenticationInfo`, if any.
    pub fn terminal_authentication(&self) -> Option<&TerminalAuthenticationInfo> {
        self.infos.iter().find_map(|i| match i {
            SecurityInfo::TerminalAuthentication(t) => Some(t),
            _ => None,
        })
    }

    /// The usable `PACEInfo`s (version 2), in file order.
    pub fn pace_infos(&self) -> Vec<&PaceInfo> {
        supported_pace_infos(&self.infos)
    }
}

/// Parses DG14 (ICAO 9303-10 §4.7.14): `6E L { SecurityInfos }`.
///
/// Errors: the outer tag is not `6E`, the file exceeds [`MAX_DG14_SIZE`],
/// anything but exactly one SET inside, or whatever
/// [`parse_security_infos`] rejects.
pub fn parse(bytes: &[u8]) -> Result<Dg14, Malformed> {
    const WHAT: &str = "DG14";
    if bytes.len() > MAX_DG14_SIZE {
        return Err(Malformed::Invalid { what: WHAT, reason: "larger than MAX_DG14_SIZE" });
    }
    let value = single_tlv(bytes, TAG_DG14, WHAT)?;
    Ok(Dg14 { infos: parse_security_infos(value)? })
}

/// Builders for tests and fuzz seeds.
#[cfg(test)]
pub(crate) mod build {
    use crate::protocol::lds::dg15::build::{ec_spki, point};
    use crate::protocol::lds::security_infos::build::{info, int, oid, set};
    use crate::protocol::tlv::tlv;
    use hex_literal::hex;

    /// A typical passport DG14: id-PK-ECDH key, id-CA-ECDH-AES-CBC-CMAC-128 v1,
    /// id-TA v1, ActiveAuthenticationInfo with ecdsa-plain-SHA512.
    pub fn passport_dg14() -> Vec<u8> {
        tlv(
            0x6E,
            &set(&[
                info(&[oid(&hex!("04007F000702020102")), ec_spki(&point())]),
                info(&[oid(&hex!("04007F00070202030202")), int(1)]),
                info(&[oid(&hex!("04007F0007020202")), int(1)]),
                info(&[oid(&hex!("678108010105")), int(1), oid(&hex!("04007F00070101040105"))]),
            ]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::build::passport_dg14;
    use super::*;
    use crate::protocol::lds::dg15::PublicKeyAlgorithm;
    use crate::protocol::lds::dg15::build::{ec_spki, point};
    use crate::protocol::lds::security_infos::build::{cccd_card_access, info, oid, set};
    use crate::protocol::lds::security_infos::{ID_PK_ECDH, KeyAgreement};
    use crate::protocol::lds::sod::HashAlgorithm;
    use crate::protocol::tlv::tlv;
    use hex_literal::hex;
    use proptest::prelude::*;

    #[test]
    fn typical_passport_dg14() {
        let dg14 = parse(&passport_dg14()).unwrap();
        assert_eq!(dg14.infos.len(), 4);
        let keys = dg14.chip_authentication_public_keys();
        assert_eq!(keys.len(), 1);
        assert_eq!((keys[0].protocol, keys[0].oid(), keys[0].key_id), (KeyAgreement::Ecdh, ID_PK_ECDH, None));
        assert_eq!(keys[0].subject_public_key_info, ec_spki(&point()));
        assert_eq!(dg14.chip_authentication_infos()[0].protocol.to_string(), "id-CA-ECDH-AES-CBC-CMAC-128");
        assert_eq!(dg14.terminal_authentication().map(|t| t.version), Some(1));
        assert_eq!(dg14.active_authentication().and_then(|a| a.ecdsa_plain_hash()), Some(HashAlgorithm::Sha512));
        assert!(dg14.pace_infos().is_empty());
    }

    #[test]
    fn rejected_files() {
        let good = passport_dg14();
        let mut wrong_tag = good.clone();
        wrong_tag[0] = 0x6F;
        assert!(matches!(parse(&wrong_tag), Err(Malformed::UnexpectedTag { .. })));
        // EF.CardAccess bytes without the 6E wrapper are not DG14.
        assert!(parse(&cccd_card_access(13)).is_err());
        // Two SETs, or a SET followed by a byte, inside 6E.
        let inner = crate::protocol::tlv::single_tlv(&good, 0x6E, "t").unwrap();
        assert!(parse(&tlv(0x6E, &[inner, inner].concat())).is_err());
        assert!(parse(&tlv(0x6E, &[inner, &[0]].concat())).is_err());
        // Truncated anywhere.
        for n in 0..good.len() {
            assert!(parse(&good[..n]).is_err(), "truncated to {n}");
        }
        // Indefinite outer length.
        let indefinite = [&[0x6E, 0x80][..], inner, &[0, 0]].concat();
        assert_eq!(parse(&indefinite), Err(Malformed::BadLength("DG14")));
        // Over the cap.
        let huge = tlv(0x6E, &set(&[info(&[oid(&hex!("2B06")), tlv(0x04, &vec![0; MAX_DG14_SIZE])])]));
        assert!(matches!(parse(&huge), Err(Malformed::Invalid { .. })));
    }

    #[cfg(feature = "software-chip")]
    #[test]
    fn software_chip_dg14() {
        let doc = crate::chip::Document::cccd_demo().unwrap();
        let dg14 = parse(doc.file(0x010E).unwrap()).unwrap();
        let keys = dg14.chip_authentication_public_keys();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].protocol, KeyAgreement::Ecdh);
        let PublicKeyAlgorithm::Ec(params) = &keys[0].algorithm else { panic!("{:?}", keys[0].algorithm) };
        assert_eq!(params.curve_name(), Some("P-256"));
        let spki = crate::protocol::lds::dg15::parse_spki(&keys[0].subject_public_key_info).unwrap();
        let ca_key = doc.chip_authentication_key().unwrap();
        assert_eq!(spki.public_key, ca_key.to_sec1_point(false).as_bytes());
        let cas = dg14.chip_authentication_infos();
        assert_eq!(cas.len(), 1);
        assert_eq!((cas[0].protocol.oid, cas[0].version), ("0.4.0.127.0.7.2.2.3.2.2", 1));
        let aa = dg14.active_authentication().unwrap();
        assert_eq!((aa.version, aa.ecdsa_plain_hash()), (1, Some(HashAlgorithm::Sha256)));
        assert!(dg14.infos.iter().all(|i| !matches!(i, SecurityInfo::Unknown { .. })));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn mutated_dg14_never_panics(at in 0usize..160, byte in any::<u8>()) {
            let mut bytes = passport_dg14();
            if let Some(b) = bytes.get_mut(at) { *b = byte; }
            let _ = parse(&bytes);
        }
    }
}
