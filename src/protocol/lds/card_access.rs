//! EF.CardAccess: the security protocols a chip offers before any access
//! control (ICAO 9303-10 §3.11.3; ICAO 9303-11 §9.2.11; BSI TR-03110-3
//! §A.1.2.1, Table 2).
//!
//! ```text
//! EF.CardAccess (FID 011C, SFI 1C, in the master file, always readable)
//!     ::= SecurityInfos       -- the file IS the DER SET OF SecurityInfo (tag 31), no wrapper
//! ```
//!
//! It holds at least one `PACEInfo` when the chip supports PACE, and may add
//! `PACEDomainParameterInfo`, `ChipAuthenticationInfo`,
//! `TerminalAuthenticationInfo` and TR-03110 entries; see
//! [`security_infos`](super::security_infos) for the grammar of each. On the
//! Vietnamese CCCD it holds TerminalAuthenticationInfo, ChipAuthenticationInfo
//! (id-CA-ECDH-AES-CBC-CMAC-128) and PACEInfo (id-PACE-ECDH-GM-AES-CBC-CMAC-128,
//! version 2, parameterId 13 = brainpoolP256r1, or 12 = NIST P-256 on some cards).
//!
//! EF.CardAccess is not signed: treat it as a list of offers, never as proof.

use crate::protocol::error::Malformed;
use crate::protocol::lds::security_infos::{
    ChipAuthenticationInfo, PaceDomainParameterInfo, PaceInfo, SecurityInfo, TerminalAuthenticationInfo,
    parse_security_infos, supported_pace_infos,
};

/// File identifier of EF.CardAccess (ICAO 9303-10 §3.11.3).
pub const FID: u16 = 0x011C;
/// Short file identifier of EF.CardAccess.
pub const SFI: u8 = 0x1C;

/// The parsed contents of EF.CardAccess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAccess {
    /// Every `SecurityInfo`, in file order.
    pub infos: Vec<SecurityInfo>,
}

impl CardAccess {
    /// The PACE protocols on offer that this crate can use (`PACEInfo` version 2), in file order.
    pub fn pace_infos(&self) -> Vec<&PaceInfo> {
        supported_pace_infos(&self.infos)
    }

    /// The explicit PACE domain parameters with this local ID (`None` matches an
    /// entry without `parameterId`, for a `PACEInfo` without one).
    pub fn pace_domain_parameters(&self, parameter_id: Option<u8>) -> Option<&PaceDomainParameterInfo> {
        self.infos.iter().find_map(|i| match i {
            SecurityInfo::PaceDomainParameter(d) if d.parameter_id == parameter_id => Some(d),
            _ => None,
        })
    }

    /// The `ChipAuthenticationInfo` entries (Chip Authentication in the master file).
    pub fn chip_authentication_infos(&self) -> Vec<&ChipAuthenticationInfo> {
        self.infos
            .iter()
            .filter_map(|i| match i {
                SecurityInfo::ChipAuthentication(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// The first `TerminalAuthenticationInfo`, if any.
    pub fn terminal_authentication(&self) -> Option<&TerminalAuthenticationInfo> {
        self.infos.iter().find_map(|i| match i {
            SecurityInfo::TerminalAuthentication(t) => Some(t),
            _ => None,
        })
    }
}

/// Parses EF.CardAccess: the whole file is one DER `SecurityInfos` SET (see
/// [`parse_security_infos`] for the rules and errors; nothing may follow the SET).
pub fn parse(bytes: &[u8]) -> Result<CardAccess, Malformed> {
    Ok(CardAccess { infos: parse_security_infos(bytes)? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::lds::security_infos::build::{cccd_card_access, info, oid, pace_info, set};
    use crate::protocol::lds::security_infos::{KeyAgreement, Mapping, PaceCipher, StandardizedDomainParameters};
    use crate::protocol::tlv::tlv;
    use hex_literal::hex;
    use proptest::prelude::*;

    #[test]
    fn identifiers() {
        assert_eq!((FID, SFI), (0x011C, 0x1C));
        // READ BINARY with the SFI (ISO/IEC 7816-4: P1 = 80 | SFI), as used on the CCCD.
        assert_eq!(0x80 | SFI, 0x9C);
    }

    #[test]
    fn cccd_card_access_both_curves() {
        for (id, curve) in
            [(13, StandardizedDomainParameters::BrainpoolP256r1), (12, StandardizedDomainParameters::NistP256)]
        {
            let ca = parse(&cccd_card_access(id)).unwrap();
            assert_eq!(ca.infos.len(), 3);
            let pace = ca.pace_infos();
            assert_eq!(pace.len(), 1);
            assert_eq!(pace[0].protocol.to_string(), "id-PACE-ECDH-GM-AES-CBC-CMAC-128");
            assert_eq!(
                (pace[0].protocol.mapping, pace[0].protocol.agreement, pace[0].protocol.cipher),
                (Mapping::Generic, KeyAgreement::Ecdh, PaceCipher::Aes128)
            );
            assert_eq!(pace[0].version, 2);
            assert_eq!(pace[0].parameter_id, Some(id));
            assert_eq!(pace[0].standardized_parameters(), Some(curve));
            assert_eq!(pace[0].protocol.oid_bytes(), hex!("04007F00070202040202"));
            let cas = ca.chip_authentication_infos();
            assert_eq!(cas.len(), 1);
            assert_eq!(cas[0].protocol.oid, "0.4.0.127.0.7.2.2.3.2.2");
            assert_eq!(ca.terminal_authentication().map(|t| t.version), Some(1));
            assert_eq!(ca.pace_domain_parameters(None), None);
        }
    }

    #[test]
    fn pace_infos_keep_file_order_and_skip_others() {
        let bytes = set(&[
            pace_info(6, 2, 2, Some(13)),                   // CAM first
            info(&[oid(&hex!("2B0601")), tlv(0x04, &[1])]), // unknown, kept raw
            pace_info(2, 4, 2, Some(12)),                   // then GM AES-256
            pace_info(1, 2, 1, Some(2)),                    // DH-GM, version 1: not offered
        ]);
        let ca = parse(&bytes).unwrap();
        assert_eq!(ca.infos.len(), 4);
        let oids: Vec<_> = ca.pace_infos().iter().map(|p| p.protocol.oid).collect();
        assert_eq!(oids, ["0.4.0.127.0.7.2.2.4.6.2", "0.4.0.127.0.7.2.2.4.2.4"]);
    }

    #[test]
    fn explicit_domain_parameters_are_found_by_id() {
        let alg = tlv(0x30, &[oid(&hex!("2A8648CE3D0201")), tlv(0x30, &[])].concat());
        let bytes = set(&[
            pace_info(2, 2, 2, Some(40)),
            info(&[
                oid(&hex!("04007F000702020402")),
                alg.clone(),
                crate::protocol::lds::security_infos::build::int(40),
            ]),
        ]);
        let ca = parse(&bytes).unwrap();
        let pace = ca.pace_infos()[0];
        assert_eq!(pace.standardized_parameters(), None);
        let d = ca.pace_domain_parameters(pace.parameter_id).unwrap();
        assert_eq!(d.domain_parameter, alg);
        assert_eq!(ca.pace_domain_parameters(Some(41)), None);
    }

    #[test]
    fn rejected_files() {
        // A DG14-style wrapper is not EF.CardAccess; nor is a bare SEQUENCE; nor trailing padding.
        let set_bytes = cccd_card_access(13);
        assert!(parse(&tlv(0x6E, &set_bytes)).is_err());
        assert!(parse(&pace_info(2, 2, 2, Some(13))).is_err());
        assert!(parse(&[set_bytes.as_slice(), &[0x00]].concat()).is_err());
        assert!(parse(&[]).is_err());
    }

    #[cfg(feature = "software-chip")]
    #[test]
    fn software_chip_master_file() {
        // Whatever EF.CardAccess the demo chip serves must parse and offer PACE.
        let doc = crate::chip::Document::cccd_demo().unwrap();
        for (_, bytes) in doc.mf_files().into_iter().filter(|(fid, _)| *fid == FID) {
            assert!(!parse(&bytes).unwrap().pace_infos().is_empty());
        }
        // One added with the builder is served as is.
        let ours = cccd_card_access(12);
        let doc = crate::chip::DocumentBuilder::cccd_demo().mf_file(FID, ours.clone()).build().unwrap();
        assert!(doc.mf_files().contains(&(FID, ours.clone())));
        assert_eq!(parse(&ours).unwrap().pace_infos()[0].parameter_id, Some(12));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..160)) {
            if let Ok(ca) = parse(&bytes) {
                prop_assert!(ca.pace_infos().len() <= ca.infos.len());
            }
        }
    }
}
