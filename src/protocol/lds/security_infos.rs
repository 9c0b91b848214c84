//! `SecurityInfos`: the chip's list of supported security protocols, as held
//! by EF.CardAccess, DG14 and EF.CardSecurity (ICAO 9303-11 §9.2; BSI
//! TR-03110-3 §A.1).
//!
//! ```text
//! SecurityInfos ::= SET OF SecurityInfo
//! SecurityInfo ::= SEQUENCE {
//!     protocol      OBJECT IDENTIFIER,
//!     requiredData  ANY DEFINED BY protocol,
//!     optionalData  ANY DEFINED BY protocol OPTIONAL }
//!
//! PACEInfo ::= SEQUENCE {                                   -- 9303-11 §9.2.1
//!     protocol     OBJECT IDENTIFIER (id-PACE-{DH,ECDH}-{GM,IM}-*, id-PACE-ECDH-CAM-*),
//!     version      INTEGER,                                 -- MUST be 2
//!     parameterId  INTEGER OPTIONAL }                       -- standardized domain parameters (Table 4 of TR-03110-3)
//! PACEDomainParameterInfo ::= SEQUENCE {                    -- 9303-11 §9.2.2
//!     protocol         OBJECT IDENTIFIER (id-PACE-DH-GM | id-PACE-ECDH-GM | id-PACE-DH-IM | id-PACE-ECDH-IM | id-PACE-ECDH-CAM),
//!     domainParameter  AlgorithmIdentifier,
//!     parameterId      INTEGER OPTIONAL }
//! ActiveAuthenticationInfo ::= SEQUENCE {                   -- 9303-11 §9.2.4
//!     protocol            id-icao-mrtd-security-aaProtocolObject,   -- 2.23.136.1.1.5
//!     version             INTEGER,                          -- MUST be 1
//!     signatureAlgorithm  OBJECT IDENTIFIER }               -- ecdsa-plain-SHA* (BSI TR-03111 §5.2.1.1)
//! ChipAuthenticationInfo ::= SEQUENCE {                     -- 9303-11 §9.2.5; TR-03110-3 §A.1.1.2
//!     protocol  OBJECT IDENTIFIER (id-CA-{DH,ECDH}-{3DES-CBC-CBC, AES-CBC-CMAC-128/192/256}),
//!     version   INTEGER,                                    -- 1 (or 2, 3 for TR-03110 eID cards)
//!     keyId     INTEGER OPTIONAL }
//! ChipAuthenticationPublicKeyInfo ::= SEQUENCE {            -- 9303-11 §9.2.6
//!     protocol                     OBJECT IDENTIFIER (id-PK-DH | id-PK-ECDH),
//!     chipAuthenticationPublicKey  SubjectPublicKeyInfo,
//!     keyId                        INTEGER OPTIONAL }
//! TerminalAuthenticationInfo ::= SEQUENCE {                 -- 9303-11 §9.2.8; TR-03110-3 §A.1.1.3
//!     protocol  OBJECT IDENTIFIER (id-TA),
//!     version   INTEGER,                                    -- 1 or 2
//!     efCVCA    FileID OPTIONAL }                           -- version 1 only
//! FileID ::= SEQUENCE { fid OCTET STRING (SIZE(2)), sfid OCTET STRING (SIZE(1)) OPTIONAL }
//! EFDIRInfo ::= SEQUENCE {                                  -- 9303-11 §9.2.10
//!     protocol  OBJECT IDENTIFIER (id-EFDIR),               -- 2.23.136.1.1.13
//!     eFDIR     OCTET STRING }
//! ```
//!
//! Object identifiers (ICAO 9303-11 §9.2.3, §9.2.7, §9.2.9; TR-03110-3 §A.1.1;
//! ICAO 9303-1 §4.4 for the `2.23.136` arc). `bsi-de` is `0.4.0.127.0.7`:
//!
//! | name | OID |
//! |---|---|
//! | id-PK-DH / id-PK-ECDH | `bsi-de.2.2.1.1` / `.1.2` |
//! | id-TA | `bsi-de.2.2.2` |
//! | id-CA-DH / id-CA-ECDH | `bsi-de.2.2.3.1` / `.3.2`, then `.1` 3DES-CBC-CBC, `.2`/`.3`/`.4` AES-CBC-CMAC-128/192/256 |
//! | id-PACE | `bsi-de.2.2.4`, then `.1` DH-GM, `.2` ECDH-GM, `.3` DH-IM, `.4` ECDH-IM, `.6` ECDH-CAM; then the cipher arc as for CA (CAM: AES only) |
//! | ecdsa-plain-SHA1/224/256/384/512 | `bsi-de.1.1.4.1.1` … `.5` |
//!
//! Parsing is strict inside the protocols we know (field order, types, no
//! extra elements: anything else is [`Malformed`]) and lenient about the
//! rest: a protocol we do not know becomes [`SecurityInfo::Unknown`] with its
//! bytes kept, never an error, so a proprietary entry cannot hide the PACE or
//! Chip Authentication entries next to it. The entries are kept in file order;
//! DER's sorted SET OF order is not enforced, since chips are not uniform about it.

use core::fmt;

use crate::protocol::crypto::KeyKind;
use crate::protocol::error::Malformed;
use crate::protocol::lds::dg15::{PublicKeyAlgorithm, parse_spki};
use crate::protocol::lds::sod::HashAlgorithm;
use crate::protocol::tlv::{Reader, Tlv, expect_tlv, read_tlv, single_tlv};

/// The largest `SecurityInfos` we parse (DG14 with explicit DH parameters is a few KB).
pub const MAX_SECURITY_INFOS_SIZE: usize = 32 * 1024;
/// The most `SecurityInfo` entries we accept in one `SecurityInfos`.
pub const MAX_SECURITY_INFOS: usize = 64;
/// The longest OBJECT IDENTIFIER content we accept, in bytes (the protocol OIDs here are 6–11 bytes).
pub const MAX_OID_LEN: usize = crate::protocol::tlv::MAX_OID_LEN;

pub(crate) const TAG_INTEGER: u32 = 0x02;
pub(crate) const TAG_BIT_STRING: u32 = 0x03;
pub(crate) const TAG_OCTET_STRING: u32 = 0x04;
pub(crate) const TAG_NULL: u32 = 0x05;
pub(crate) const TAG_OID: u32 = 0x06;
pub(crate) const TAG_SEQUENCE: u32 = 0x30;
/// Tag of the `SecurityInfos` SET OF.
pub const TAG_SET: u32 = 0x31;

/// id-PACE (ICAO 9303-11 §9.2.3; TR-03110-3 §A.1.1.1).
pub const ID_PACE: &str = "0.4.0.127.0.7.2.2.4";
/// id-CA (ICAO 9303-11 §9.2.7; TR-03110-3 §A.1.1.2).
pub const ID_CA: &str = "0.4.0.127.0.7.2.2.3";
/// id-PK-DH (ICAO 9303-11 §9.2.6; TR-03110-3 §A.1.1.2).
pub const ID_PK_DH: &str = "0.4.0.127.0.7.2.2.1.1";
/// id-PK-ECDH (ICAO 9303-11 §9.2.6; TR-03110-3 §A.1.1.2).
pub const ID_PK_ECDH: &str = "0.4.0.127.0.7.2.2.1.2";
/// id-TA (ICAO 9303-11 §9.2.9; TR-03110-3 §A.1.1.3).
pub const ID_TA: &str = "0.4.0.127.0.7.2.2.2";
/// id-icao-mrtd-security-aaProtocolObject (ICAO 9303-1 §4.4; 9303-11 §9.2.4).
pub const ID_AA: &str = "2.23.136.1.1.5";
/// id-EFDIR (ICAO 9303-1 §4.4; 9303-11 §9.2.10).
pub const ID_EFDIR: &str = "2.23.136.1.1.13";
/// ecdsa-plain-signatures (BSI TR-03111 §5.2.1.1); ecdsa-plain-SHA1/224/256/384/512 are its arcs 1–5.
pub const ECDSA_PLAIN_SIGNATURES: &str = "0.4.0.127.0.7.1.1.4.1";

/// Content octets of `bsi-de protocols(2) smartcard(2)` = 0.4.0.127.0.7.2.2.
const BSI_SMARTCARD: [u8; 7] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02];
/// Content octets of id-TA.
const OID_TA: [u8; 8] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02];
/// Content octets of id-icao-mrtd-security-aaProtocolObject (2.23.136.1.1.5).
const OID_AA: [u8; 6] = [0x67, 0x81, 0x08, 0x01, 0x01, 0x05];
/// Content octets of id-EFDIR (2.23.136.1.1.13).
const OID_EFDIR: [u8; 6] = [0x67, 0x81, 0x08, 0x01, 0x01, 0x0D];

/// How PACE maps the nonce to ephemeral domain parameters (ICAO 9303-11 §4.4.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mapping {
    /// Generic Mapping (GM).
    Generic,
    /// Integrated Mapping (IM).
    Integrated,
    /// Chip Authentication Mapping (CAM, ECDH only).
    ChipAuthentication,
}

/// The key agreement of a PACE or Chip Authentication protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAgreement {
    /// Diffie-Hellman over a prime field (PKCS #3).
    Dh,
    /// Elliptic-curve Diffie-Hellman (ECKA, BSI TR-03111).
    Ecdh,
}

impl KeyAgreement {
    /// The OID arc under id-PK and id-CA (1 = DH, 2 = ECDH).
    fn arc(self) -> u8 {
        match self {
            Self::Dh => 1,
            Self::Ecdh => 2,
        }
    }
    fn from_arc(arc: u8) -> Option<Self> {
        match arc {
            1 => Some(Self::Dh),
            2 => Some(Self::Ecdh),
            _ => None,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Self::Dh => "DH",
            Self::Ecdh => "ECDH",
        }
    }
}

/// The secure-messaging cipher suite named by the last arc of a PACE or Chip
/// Authentication OID (ICAO 9303-11 §9.2.3 and §9.2.7; TR-03110-3 Tables 6–9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaceCipher {
    /// 3DES-CBC-CBC: two-key 3DES, retail MAC (arc 1).
    Des3,
    /// AES-CBC-CMAC-128 (arc 2).
    Aes128,
    /// AES-CBC-CMAC-192 (arc 3).
    Aes192,
    /// AES-CBC-CMAC-256 (arc 4).
    Aes256,
}

impl PaceCipher {
    /// The key the KDF derives for this suite (ICAO 9303-11 §9.7.1).
    pub fn key_kind(self) -> KeyKind {
        match self {
            Self::Des3 => KeyKind::Des3,
            Self::Aes128 => KeyKind::Aes128,
            Self::Aes192 => KeyKind::Aes192,
            Self::Aes256 => KeyKind::Aes256,
        }
    }
    /// The OID arc (1..=4).
    pub fn arc(self) -> u8 {
        match self {
            Self::Des3 => 1,
            Self::Aes128 => 2,
            Self::Aes192 => 3,
            Self::Aes256 => 4,
        }
    }
    /// The suite's name in OIDs: `3DES-CBC-CBC`, `AES-CBC-CMAC-128`, ...
    pub fn name(self) -> &'static str {
        match self {
            Self::Des3 => "3DES-CBC-CBC",
            Self::Aes128 => "AES-CBC-CMAC-128",
            Self::Aes192 => "AES-CBC-CMAC-192",
            Self::Aes256 => "AES-CBC-CMAC-256",
        }
    }
}

/// A PACE protocol: one of the 19 OIDs `id-PACE-<agreement>-<mapping>-<cipher>`
/// (ICAO 9303-11 §9.2.3). Values come from [`PaceProtocol::ALL`] and the
/// `from_*` constructors, so the fields always agree with `oid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaceProtocol {
    /// The mapping.
    pub mapping: Mapping,
    /// DH or ECDH.
    pub agreement: KeyAgreement,
    /// The secure-messaging cipher suite.
    pub cipher: PaceCipher,
    /// The dotted OID, e.g. `0.4.0.127.0.7.2.2.4.2.2`.
    pub oid: &'static str,
}

const fn pace(mapping: Mapping, agreement: KeyAgreement, cipher: PaceCipher, oid: &'static str) -> PaceProtocol {
    PaceProtocol { mapping, agreement, cipher, oid }
}

impl PaceProtocol {
    /// Every PACE protocol of ICAO 9303-11 §9.2.3 (CAM exists with ECDH and AES only).
    pub const ALL: [PaceProtocol; 19] = {
        use KeyAgreement::{Dh, Ecdh};
        use Mapping::{ChipAuthentication as Cam, Generic as Gm, Integrated as Im};
        use PaceCipher::{Aes128, Aes192, Aes256, Des3};
        [
            pace(Gm, Dh, Des3, "0.4.0.127.0.7.2.2.4.1.1"),
            pace(Gm, Dh, Aes128, "0.4.0.127.0.7.2.2.4.1.2"),
            pace(Gm, Dh, Aes192, "0.4.0.127.0.7.2.2.4.1.3"),
            pace(Gm, Dh, Aes256, "0.4.0.127.0.7.2.2.4.1.4"),
            pace(Gm, Ecdh, Des3, "0.4.0.127.0.7.2.2.4.2.1"),
            pace(Gm, Ecdh, Aes128, "0.4.0.127.0.7.2.2.4.2.2"),
            pace(Gm, Ecdh, Aes192, "0.4.0.127.0.7.2.2.4.2.3"),
            pace(Gm, Ecdh, Aes256, "0.4.0.127.0.7.2.2.4.2.4"),
            pace(Im, Dh, Des3, "0.4.0.127.0.7.2.2.4.3.1"),
            pace(Im, Dh, Aes128, "0.4.0.127.0.7.2.2.4.3.2"),
            pace(Im, Dh, Aes192, "0.4.0.127.0.7.2.2.4.3.3"),
            pace(Im, Dh, Aes256, "0.4.0.127.0.7.2.2.4.3.4"),
            pace(Im, Ecdh, Des3, "0.4.0.127.0.7.2.2.4.4.1"),
            pace(Im, Ecdh, Aes128, "0.4.0.127.0.7.2.2.4.4.2"),
            pace(Im, Ecdh, Aes192, "0.4.0.127.0.7.2.2.4.4.3"),
            pace(Im, Ecdh, Aes256, "0.4.0.127.0.7.2.2.4.4.4"),
            pace(Cam, Ecdh, Aes128, "0.4.0.127.0.7.2.2.4.6.2"),
            pace(Cam, Ecdh, Aes192, "0.4.0.127.0.7.2.2.4.6.3"),
            pace(Cam, Ecdh, Aes256, "0.4.0.127.0.7.2.2.4.6.4"),
        ]
    };

    /// The protocol whose OID has these content octets (the value of a DER
    /// OBJECT IDENTIFIER, without tag and length).
    pub fn from_oid_bytes(content: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.oid_bytes() == content)
    }

    /// The protocol with this dotted OID.
    pub fn from_oid(dotted: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.oid == dotted)
    }

    /// The OID's content octets: the value of DO '80' in MSE:Set AT
    /// (ICAO 9303-11 §4.4.4.1; TR-03110-3 §B.14.1).
    pub fn oid_bytes(&self) -> [u8; 10] {
        let [a, b, c, d, e, f, g] = BSI_SMARTCARD;
        [a, b, c, d, e, f, g, 0x04, mapping_arc(self.mapping, self.agreement), self.cipher.arc()]
    }
}

impl fmt::Display for PaceProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "id-PACE-{}-{}-{}", self.agreement.name(), mapping_name(self.mapping), self.cipher.name())
    }
}

/// The arc under id-PACE for a mapping and key agreement (1 DH-GM, 2 ECDH-GM,
/// 3 DH-IM, 4 ECDH-IM, 6 ECDH-CAM).
fn mapping_arc(mapping: Mapping, agreement: KeyAgreement) -> u8 {
    match (mapping, agreement) {
        (Mapping::Generic, KeyAgreement::Dh) => 1,
        (Mapping::Generic, KeyAgreement::Ecdh) => 2,
        (Mapping::Integrated, KeyAgreement::Dh) => 3,
        (Mapping::Integrated, KeyAgreement::Ecdh) => 4,
        (Mapping::ChipAuthentication, _) => 6,
    }
}

fn mapping_name(mapping: Mapping) -> &'static str {
    match mapping {
        Mapping::Generic => "GM",
        Mapping::Integrated => "IM",
        Mapping::ChipAuthentication => "CAM",
    }
}

/// The five PACE OIDs without a cipher arc, naming the domain-parameter type
/// of a `PACEDomainParameterInfo` (ICAO 9303-11 §9.2.2).
const PACE_FAMILIES: [(Mapping, KeyAgreement, &str); 5] = [
    (Mapping::Generic, KeyAgreement::Dh, "0.4.0.127.0.7.2.2.4.1"),
    (Mapping::Generic, KeyAgreement::Ecdh, "0.4.0.127.0.7.2.2.4.2"),
    (Mapping::Integrated, KeyAgreement::Dh, "0.4.0.127.0.7.2.2.4.3"),
    (Mapping::Integrated, KeyAgreement::Ecdh, "0.4.0.127.0.7.2.2.4.4"),
    (Mapping::ChipAuthentication, KeyAgreement::Ecdh, "0.4.0.127.0.7.2.2.4.6"),
];

fn pace_family(content: &[u8]) -> Option<(Mapping, KeyAgreement, &'static str)> {
    PACE_FAMILIES.into_iter().find(|&(m, a, _)| {
        let [x, y, z, w, u, v, t] = BSI_SMARTCARD;
        content == [x, y, z, w, u, v, t, 0x04, mapping_arc(m, a)]
    })
}

/// A Chip Authentication protocol: `id-CA-<agreement>-<cipher>` (ICAO 9303-11 §9.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChipAuthenticationProtocol {
    /// DH or ECDH.
    pub agreement: KeyAgreement,
    /// The secure-messaging cipher suite after Chip Authentication.
    pub cipher: PaceCipher,
    /// The dotted OID, e.g. `0.4.0.127.0.7.2.2.3.2.2`.
    pub oid: &'static str,
}

const fn ca(agreement: KeyAgreement, cipher: PaceCipher, oid: &'static str) -> ChipAuthenticationProtocol {
    ChipAuthenticationProtocol { agreement, cipher, oid }
}

impl ChipAuthenticationProtocol {
    /// Every Chip Authentication protocol of ICAO 9303-11 §9.2.7.
    pub const ALL: [ChipAuthenticationProtocol; 8] = {
        use KeyAgreement::{Dh, Ecdh};
        use PaceCipher::{Aes128, Aes192, Aes256, Des3};
        [
            ca(Dh, Des3, "0.4.0.127.0.7.2.2.3.1.1"),
            ca(Dh, Aes128, "0.4.0.127.0.7.2.2.3.1.2"),
            ca(Dh, Aes192, "0.4.0.127.0.7.2.2.3.1.3"),
            ca(Dh, Aes256, "0.4.0.127.0.7.2.2.3.1.4"),
            ca(Ecdh, Des3, "0.4.0.127.0.7.2.2.3.2.1"),
            ca(Ecdh, Aes128, "0.4.0.127.0.7.2.2.3.2.2"),
            ca(Ecdh, Aes192, "0.4.0.127.0.7.2.2.3.2.3"),
            ca(Ecdh, Aes256, "0.4.0.127.0.7.2.2.3.2.4"),
        ]
    };

    /// The protocol whose OID has these content octets.
    pub fn from_oid_bytes(content: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.oid_bytes() == content)
    }

    /// The OID's content octets (the value of DO '80' in MSE:Set AT for Chip Authentication).
    pub fn oid_bytes(&self) -> [u8; 10] {
        let [a, b, c, d, e, f, g] = BSI_SMARTCARD;
        [a, b, c, d, e, f, g, 0x03, self.agreement.arc(), self.cipher.arc()]
    }
}

impl fmt::Display for ChipAuthenticationProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "id-CA-{}-{}", self.agreement.name(), self.cipher.name())
    }
}

/// The standardized domain parameters a `parameterId` can name (BSI TR-03110-3
/// §A.2.1.1 Table 4; ICAO 9303-11 §9.5.1). IDs 3–7 and 19–31 are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StandardizedDomainParameters {
    /// 0: 1024-bit MODP group with 160-bit prime-order subgroup (RFC 5114; deprecated).
    Modp1024_160,
    /// 1: 2048-bit MODP group with 224-bit prime-order subgroup (RFC 5114).
    Modp2048_224,
    /// 2: 2048-bit MODP group with 256-bit prime-order subgroup (RFC 5114).
    Modp2048_256,
    /// 8: NIST P-192 (secp192r1; deprecated).
    NistP192,
    /// 9: brainpoolP192r1 (deprecated).
    BrainpoolP192r1,
    /// 10: NIST P-224 (secp224r1; not usable with Integrated Mapping).
    NistP224,
    /// 11: brainpoolP224r1.
    BrainpoolP224r1,
    /// 12: NIST P-256 (secp256r1).
    NistP256,
    /// 13: brainpoolP256r1.
    BrainpoolP256r1,
    /// 14: brainpoolP320r1.
    BrainpoolP320r1,
    /// 15: NIST P-384 (secp384r1).
    NistP384,
    /// 16: brainpoolP384r1.
    BrainpoolP384r1,
    /// 17: brainpoolP512r1.
    BrainpoolP512r1,
    /// 18: NIST P-521 (secp521r1).
    NistP521,
}

impl StandardizedDomainParameters {
    /// The parameters with this ID, if standardized.
    pub fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Self::Modp1024_160,
            1 => Self::Modp2048_224,
            2 => Self::Modp2048_256,
            8 => Self::NistP192,
            9 => Self::BrainpoolP192r1,
            10 => Self::NistP224,
            11 => Self::BrainpoolP224r1,
            12 => Self::NistP256,
            13 => Self::BrainpoolP256r1,
            14 => Self::BrainpoolP320r1,
            15 => Self::NistP384,
            16 => Self::BrainpoolP384r1,
            17 => Self::BrainpoolP512r1,
            18 => Self::NistP521,
            _ => return None,
        })
    }
    /// The ID (Table 4).
    pub fn id(self) -> u8 {
        match self {
            Self::Modp1024_160 => 0,
            Self::Modp2048_224 => 1,
            Self::Modp2048_256 => 2,
            Self::NistP192 => 8,
            Self::BrainpoolP192r1 => 9,
            Self::NistP224 => 10,
            Self::BrainpoolP224r1 => 11,
            Self::NistP256 => 12,
            Self::BrainpoolP256r1 => 13,
            Self::BrainpoolP320r1 => 14,
            Self::NistP384 => 15,
            Self::BrainpoolP384r1 => 16,
            Self::BrainpoolP512r1 => 17,
            Self::NistP521 => 18,
        }
    }
    /// DH for the MODP groups, ECDH for the curves.
    pub fn agreement(self) -> KeyAgreement {
        match self {
            Self::Modp1024_160 | Self::Modp2048_224 | Self::Modp2048_256 => KeyAgreement::Dh,
            _ => KeyAgreement::Ecdh,
        }
    }
    /// A display name (`NIST P-256`, `brainpoolP256r1`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Modp1024_160 => "1024-bit MODP group (160-bit subgroup)",
            Self::Modp2048_224 => "2048-bit MODP group (224-bit subgroup)",
            Self::Modp2048_256 => "2048-bit MODP group (256-bit subgroup)",
            Self::NistP192 => "NIST P-192",
            Self::BrainpoolP192r1 => "brainpoolP192r1",
            Self::NistP224 => "NIST P-224",
            Self::BrainpoolP224r1 => "brainpoolP224r1",
            Self::NistP256 => "NIST P-256",
            Self::BrainpoolP256r1 => "brainpoolP256r1",
            Self::BrainpoolP320r1 => "brainpoolP320r1",
            Self::NistP384 => "NIST P-384",
            Self::BrainpoolP384r1 => "brainpoolP384r1",
            Self::BrainpoolP512r1 => "brainpoolP512r1",
            Self::NistP521 => "NIST P-521",
        }
    }
}

/// `PACEInfo` (ICAO 9303-11 §9.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaceInfo {
    /// The PACE protocol.
    pub protocol: PaceProtocol,
    /// The protocol version; 9303-11 requires 2 (TR-03110: version 1 is deprecated).
    pub version: u8,
    /// The domain parameters: a standardized ID (see [`Self::standardized_parameters`])
    /// or the ID of a `PACEDomainParameterInfo` in the same file.
    pub parameter_id: Option<u8>,
}

impl PaceInfo {
    /// The standardized domain parameters named by `parameter_id`, if any.
    pub fn standardized_parameters(&self) -> Option<StandardizedDomainParameters> {
        self.parameter_id.and_then(StandardizedDomainParameters::from_id)
    }
}

/// `PACEDomainParameterInfo` (ICAO 9303-11 §9.2.2): explicit PACE domain
/// parameters, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceDomainParameterInfo {
    /// The mapping of the protocol OID.
    pub mapping: Mapping,
    /// DH or ECDH.
    pub agreement: KeyAgreement,
    /// The dotted protocol OID (e.g. `0.4.0.127.0.7.2.2.4.2` for id-PACE-ECDH-GM).
    pub oid: &'static str,
    /// The DER `AlgorithmIdentifier` holding the domain parameters.
    pub domain_parameter: Vec<u8>,
    /// The local ID a `PACEInfo` refers to.
    pub parameter_id: Option<u8>,
}

/// `ChipAuthenticationInfo` (ICAO 9303-11 §9.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChipAuthenticationInfo {
    /// The Chip Authentication protocol.
    pub protocol: ChipAuthenticationProtocol,
    /// The version (1 for eMRTDs; TR-03110 eID cards also use 2 and 3).
    pub version: u8,
    /// The key it applies to, when the chip has several.
    pub key_id: Option<u32>,
}

/// `ChipAuthenticationPublicKeyInfo` (ICAO 9303-11 §9.2.6).
#[derive(Clone, PartialEq, Eq)]
pub struct ChipAuthenticationPublicKeyInfo {
    /// id-PK-DH or id-PK-ECDH.
    pub protocol: KeyAgreement,
    /// The DER `SubjectPublicKeyInfo`, as stored.
    pub subject_public_key_info: Vec<u8>,
    /// The key's algorithm and domain parameters, from the SPKI.
    pub algorithm: PublicKeyAlgorithm,
    /// The key ID, when the chip has several keys.
    pub key_id: Option<u32>,
}

impl ChipAuthenticationPublicKeyInfo {
    /// The dotted protocol OID.
    pub fn oid(&self) -> &'static str {
        match self.protocol {
            KeyAgreement::Dh => ID_PK_DH,
            KeyAgreement::Ecdh => ID_PK_ECDH,
        }
    }
}

impl fmt::Debug for ChipAuthenticationPublicKeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A chip-individual key identifies the document: show its size only.
        f.debug_struct("ChipAuthenticationPublicKeyInfo")
            .field("protocol", &self.protocol)
            .field("algorithm", &self.algorithm)
            .field("subject_public_key_info", &format_args!("<{} bytes>", self.subject_public_key_info.len()))
            .field("key_id", &self.key_id)
            .finish()
    }
}

/// A (short) file identifier, as in `TerminalAuthenticationInfo.efCVCA`
/// (TR-03110-3 §A.1.1.3 `FileID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileReference {
    /// The file identifier.
    pub fid: u16,
    /// The short file identifier, if given.
    pub sfi: Option<u8>,
}

/// `TerminalAuthenticationInfo` (ICAO 9303-11 §9.2.8; TR-03110-3 §A.1.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TerminalAuthenticationInfo {
    /// The version (1 or 2).
    pub version: u8,
    /// Where EF.CVCA is, when not at its default identifiers (version 1 only).
    pub ef_cvca: Option<FileReference>,
}

/// `ActiveAuthenticationInfo` (ICAO 9303-11 §9.2.4): present in DG14 when the
/// Active Authentication key of DG15 is an EC key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActiveAuthenticationInfo {
    /// The version (9303-11: MUST be 1).
    pub version: u8,
    /// The dotted signature algorithm OID (e.g. ecdsa-plain-SHA256, `0.4.0.127.0.7.1.1.4.1.3`).
    pub signature_algorithm: String,
}

impl ActiveAuthenticationInfo {
    /// The hash of a plain-format ECDSA signature algorithm (BSI TR-03111
    /// §5.2.1.1: ecdsa-plain-SHA1/224/256/384/512); `None` for anything else.
    pub fn ecdsa_plain_hash(&self) -> Option<HashAlgorithm> {
        let arc = self.signature_algorithm.strip_prefix(ECDSA_PLAIN_SIGNATURES)?.strip_prefix('.')?;
        Some(match arc {
            "1" => HashAlgorithm::Sha1,
            "2" => HashAlgorithm::Sha224,
            "3" => HashAlgorithm::Sha256,
            "4" => HashAlgorithm::Sha384,
            "5" => HashAlgorithm::Sha512,
            _ => return None,
        })
    }
}

/// `EFDIRInfo` (ICAO 9303-11 §9.2.10): a copy of EF.DIR.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EfDirInfo {
    /// The contents of EF.DIR.
    pub ef_dir: Vec<u8>,
}

/// One entry of `SecurityInfos`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityInfo {
    /// `PACEInfo`.
    Pace(PaceInfo),
    /// `PACEDomainParameterInfo`.
    PaceDomainParameter(PaceDomainParameterInfo),
    /// `ChipAuthenticationInfo`.
    ChipAuthentication(ChipAuthenticationInfo),
    /// `ChipAuthenticationPublicKeyInfo`.
    ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo),
    /// `TerminalAuthenticationInfo`.
    TerminalAuthentication(TerminalAuthenticationInfo),
    /// `ActiveAuthenticationInfo`.
    ActiveAuthentication(ActiveAuthenticationInfo),
    /// `EFDIRInfo`.
    EfDir(EfDirInfo),
    /// A protocol this crate does not model (e.g. TR-03110 `CardInfo`,
    /// `PasswordInfo`, `ChipAuthenticationDomainParameterInfo`), kept raw.
    Unknown {
        /// The dotted protocol OID.
        oid: String,
        /// The whole DER `SecurityInfo` SEQUENCE.
        der: Vec<u8>,
    },
}

impl SecurityInfo {
    /// The dotted protocol OID of the entry.
    pub fn protocol_oid(&self) -> &str {
        match self {
            Self::Pace(p) => p.protocol.oid,
            Self::PaceDomainParameter(p) => p.oid,
            Self::ChipAuthentication(c) => c.protocol.oid,
            Self::ChipAuthenticationPublicKey(k) => k.oid(),
            Self::TerminalAuthentication(_) => ID_TA,
            Self::ActiveAuthentication(_) => ID_AA,
            Self::EfDir(_) => ID_EFDIR,
            Self::Unknown { oid, .. } => oid,
        }
    }
}

/// The `PACEInfo`s this crate can use, in file order: those of version 2, the
/// only version ICAO 9303-11 §9.2.1 allows (TR-03110-3 §A.1.1.1 deprecates 1).
pub fn supported_pace_infos(infos: &[SecurityInfo]) -> Vec<&PaceInfo> {
    infos
        .iter()
        .filter_map(|i| match i {
            SecurityInfo::Pace(p) if p.version == 2 => Some(p),
            _ => None,
        })
        .collect()
}

/// Parses a DER `SecurityInfos` SET (tag `31`; grammar in the [module docs](self)).
///
/// Errors: not one SET filling `set_der`, larger than
/// [`MAX_SECURITY_INFOS_SIZE`] or with more than [`MAX_SECURITY_INFOS`]
/// entries, an entry that is not a SEQUENCE starting with a valid OBJECT
/// IDENTIFIER, a length that overruns its container or is not minimal DER
/// (indefinite, non-minimal, 5+ bytes), or a known protocol whose fields do
/// not follow its grammar (wrong type or order, missing or extra field, an
/// INTEGER that is negative, non-minimal or out of range).
pub fn parse_security_infos(set_der: &[u8]) -> Result<Vec<SecurityInfo>, Malformed> {
    const WHAT: &str = "SecurityInfos";
    if set_der.len() > MAX_SECURITY_INFOS_SIZE {
        return Err(Malformed::Invalid { what: WHAT, reason: "larger than MAX_SECURITY_INFOS_SIZE" });
    }
    let value = single_tlv(set_der, TAG_SET, WHAT)?;
    let mut r = Reader::new(value);
    let mut infos = Vec::new();
    while !r.is_empty() {
        if infos.len() == MAX_SECURITY_INFOS {
            return Err(Malformed::Invalid { what: WHAT, reason: "more than MAX_SECURITY_INFOS entries" });
        }
        let (entry, raw) = read_element(value, &mut r, "SecurityInfo")?;
        if entry.tag != TAG_SEQUENCE {
            return Err(Malformed::UnexpectedTag { what: "SecurityInfo", expected: TAG_SEQUENCE, found: entry.tag });
        }
        infos.push(parse_security_info(raw, entry.value)?);
    }
    Ok(infos)
}

/// One `SecurityInfo`: `raw` is the whole SEQUENCE, `body` its value.
fn parse_security_info(raw: &[u8], body: &[u8]) -> Result<SecurityInfo, Malformed> {
    let mut r = Reader::new(body);
    let oid = expect_tlv(&mut r, TAG_OID, "SecurityInfo protocol")?;
    check_oid(oid, "SecurityInfo protocol")?;
    if let Some(protocol) = PaceProtocol::from_oid_bytes(oid) {
        const WHAT: &str = "PACEInfo";
        let version = der_u8(expect_tlv(&mut r, TAG_INTEGER, "PACEInfo version")?, "PACEInfo version")?;
        let parameter_id = optional_u8(&mut r, "PACEInfo parameterId")?;
        r.expect_end(WHAT)?;
        return Ok(SecurityInfo::Pace(PaceInfo { protocol, version, parameter_id }));
    }
    if let Some((mapping, agreement, family_oid)) = pace_family(oid) {
        const WHAT: &str = "PACEDomainParameterInfo";
        let (alg, alg_raw) = read_element(body, &mut r, WHAT)?;
        if alg.tag != TAG_SEQUENCE {
            return Err(Malformed::UnexpectedTag { what: WHAT, expected: TAG_SEQUENCE, found: alg.tag });
        }
        let parameter_id = optional_u8(&mut r, "PACEDomainParameterInfo parameterId")?;
        r.expect_end(WHAT)?;
        return Ok(SecurityInfo::PaceDomainParameter(PaceDomainParameterInfo {
            mapping,
            agreement,
            oid: family_oid,
            domain_parameter: alg_raw.to_vec(),
            parameter_id,
        }));
    }
    if let Some(protocol) = ChipAuthenticationProtocol::from_oid_bytes(oid) {
        const WHAT: &str = "ChipAuthenticationInfo";
        let version = der_u8(expect_tlv(&mut r, TAG_INTEGER, "ChipAuthenticationInfo version")?, WHAT)?;
        let key_id = optional_uint(&mut r, "ChipAuthenticationInfo keyId")?;
        r.expect_end(WHAT)?;
        return Ok(SecurityInfo::ChipAuthentication(ChipAuthenticationInfo { protocol, version, key_id }));
    }
    if let Some(protocol) = pk_agreement(oid) {
        const WHAT: &str = "ChipAuthenticationPublicKeyInfo";
        let (spki, spki_raw) = read_element(body, &mut r, WHAT)?;
        if spki.tag != TAG_SEQUENCE {
            return Err(Malformed::UnexpectedTag { what: WHAT, expected: TAG_SEQUENCE, found: spki.tag });
        }
        let algorithm = parse_spki(spki_raw)?.algorithm;
        let key_id = optional_uint(&mut r, "ChipAuthenticationPublicKeyInfo keyId")?;
        r.expect_end(WHAT)?;
        return Ok(SecurityInfo::ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo {
            protocol,
            subject_public_key_info: spki_raw.to_vec(),
            algorithm,
            key_id,
        }));
    }
    if oid == OID_TA {
        const WHAT: &str = "TerminalAuthenticationInfo";
        let version = der_u8(expect_tlv(&mut r, TAG_INTEGER, "TerminalAuthenticationInfo version")?, WHAT)?;
        let ef_cvca = if r.is_empty() {
            None
        } else {
            Some(file_reference(expect_tlv(&mut r, TAG_SEQUENCE, "TerminalAuthenticationInfo efCVCA")?)?)
        };
        r.expect_end(WHAT)?;
        return Ok(SecurityInfo::TerminalAuthentication(TerminalAuthenticationInfo { version, ef_cvca }));
    }
    if oid == OID_AA {
        const WHAT: &str = "ActiveAuthenticationInfo";
        let version = der_u8(expect_tlv(&mut r, TAG_INTEGER, "ActiveAuthenticationInfo version")?, WHAT)?;
        let alg = expect_tlv(&mut r, TAG_OID, "ActiveAuthenticationInfo signatureAlgorithm")?;
        check_oid(alg, "ActiveAuthenticationInfo signatureAlgorithm")?;
        r.expect_end(WHAT)?;
        return Ok(SecurityInfo::ActiveAuthentication(ActiveAuthenticationInfo {
            version,
            signature_algorithm: oid_string(alg),
        }));
    }
    if oid == OID_EFDIR {
        const WHAT: &str = "EFDIRInfo";
        let ef_dir = expect_tlv(&mut r, TAG_OCTET_STRING, "EFDIRInfo eFDIR")?;
        r.expect_end(WHAT)?;
        return Ok(SecurityInfo::EfDir(EfDirInfo { ef_dir: ef_dir.to_vec() }));
    }
    // Unknown protocol: only the envelope is checked (well-formed TLVs after the OID).
    while !r.is_empty() {
        read_tlv(&mut r, "SecurityInfo data")?;
    }
    Ok(SecurityInfo::Unknown { oid: oid_string(oid), der: raw.to_vec() })
}

/// id-PK-DH / id-PK-ECDH by content octets.
fn pk_agreement(content: &[u8]) -> Option<KeyAgreement> {
    match content {
        [a, b, c, d, e, f, g, 0x01, arc] if [*a, *b, *c, *d, *e, *f, *g] == BSI_SMARTCARD => {
            KeyAgreement::from_arc(*arc)
        }
        _ => None,
    }
}

/// `FileID ::= SEQUENCE { fid OCTET STRING (SIZE(2)), sfid OCTET STRING (SIZE(1)) OPTIONAL }`.
fn file_reference(body: &[u8]) -> Result<FileReference, Malformed> {
    const WHAT: &str = "FileID";
    let mut r = Reader::new(body);
    let fid = match expect_tlv(&mut r, TAG_OCTET_STRING, "FileID fid")? {
        [hi, lo] => u16::from_be_bytes([*hi, *lo]),
        _ => return Err(Malformed::Invalid { what: "FileID fid", reason: "not 2 bytes" }),
    };
    let sfi = if r.is_empty() {
        None
    } else {
        match expect_tlv(&mut r, TAG_OCTET_STRING, "FileID sfid")? {
            [sfi] => Some(*sfi),
            _ => return Err(Malformed::Invalid { what: "FileID sfid", reason: "not 1 byte" }),
        }
    };
    r.expect_end(WHAT)?;
    Ok(FileReference { fid, sfi })
}

/// Reads one TLV and also returns its whole encoding (tag, length and value).
pub(crate) fn read_element<'a>(
    container: &'a [u8],
    r: &mut Reader<'a>,
    what: &'static str,
) -> Result<(Tlv<'a>, &'a [u8]), Malformed> {
    let start = r.position();
    let tlv = read_tlv(r, what)?;
    let raw = container.get(start..r.position()).ok_or(Malformed::Truncated(what))?;
    Ok((tlv, raw))
}

/// The OID check shared by every parser.
pub(crate) use crate::protocol::tlv::check_oid;

/// Dotted text of OBJECT IDENTIFIER content octets already checked by [`check_oid`].
pub(crate) fn oid_string(content: &[u8]) -> String {
    asn1_rs::Oid::new(std::borrow::Cow::Borrowed(content)).to_id_string()
}

/// A DER INTEGER's content as a non-negative number of at most 32 bits.
pub(crate) fn der_uint(content: &[u8], what: &'static str) -> Result<u32, Malformed> {
    let bad = |reason| Malformed::Invalid { what, reason };
    let digits = match content {
        [] => return Err(bad("empty INTEGER")),
        [first, ..] if first & 0x80 != 0 => return Err(bad("negative INTEGER")),
        [0, second, ..] if second & 0x80 == 0 => return Err(bad("non-minimal INTEGER")),
        [0, rest @ ..] if !rest.is_empty() => rest,
        all => all,
    };
    if digits.len() > 4 {
        return Err(bad("INTEGER too large"));
    }
    Ok(digits.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
}

fn der_u8(content: &[u8], what: &'static str) -> Result<u8, Malformed> {
    u8::try_from(der_uint(content, what)?).map_err(|_| Malformed::Invalid { what, reason: "INTEGER above 255" })
}

fn optional_uint(r: &mut Reader<'_>, what: &'static str) -> Result<Option<u32>, Malformed> {
    if r.is_empty() {
        return Ok(None);
    }
    Ok(Some(der_uint(expect_tlv(r, TAG_INTEGER, what)?, what)?))
}

fn optional_u8(r: &mut Reader<'_>, what: &'static str) -> Result<Option<u8>, Malformed> {
    if r.is_empty() {
        return Ok(None);
    }
    Ok(Some(der_u8(expect_tlv(r, TAG_INTEGER, what)?, what)?))
}

/// Builders shared by the tests of this module, EF.CardAccess and DG14, and
/// the fuzz seeds.
#[cfg(test)]
pub(crate) mod build {
    use crate::protocol::tlv::tlv;

    /// DER INTEGER (small, non-negative).
    pub fn int(n: u32) -> Vec<u8> {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
        let mut v = bytes[skip..].to_vec();
        if v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        tlv(0x02, &v)
    }

    /// DER OBJECT IDENTIFIER from content octets.
    pub fn oid(content: &[u8]) -> Vec<u8> {
        tlv(0x06, content)
    }

    /// A `SecurityInfo` SEQUENCE of the given elements.
    pub fn info(elements: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &elements.concat())
    }

    /// A `SecurityInfos` SET of the given entries (in the given order).
    pub fn set(entries: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x31, &entries.concat())
    }

    /// `PACEInfo` for id-PACE-<mapping arc>-<cipher arc>.
    pub fn pace_info(mapping_arc: u8, cipher_arc: u8, version: u32, parameter_id: Option<u32>) -> Vec<u8> {
        let mut e = vec![oid(&[4, 0, 0x7F, 0, 7, 2, 2, 4, mapping_arc, cipher_arc]), int(version)];
        e.extend(parameter_id.map(int));
        info(&e)
    }

    /// The CCCD's EF.CardAccess with `parameterId` (CCCD.md): TerminalAuthenticationInfo
    /// (version 1), ChipAuthenticationInfo id-CA-ECDH-AES-CBC-CMAC-128 (version 1),
    /// PACEInfo id-PACE-ECDH-GM-AES-CBC-CMAC-128 (version 2).
    pub fn cccd_card_access(parameter_id: u8) -> Vec<u8> {
        let mut bytes = vec![0x31, 0x34];
        // TerminalAuthenticationInfo: 30 0D { 06 08 id-TA, 02 01 01 }
        bytes.extend([0x30, 0x0D, 0x06, 0x08, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02, 0x01, 0x01]);
        // ChipAuthenticationInfo: 30 0F { 06 0A id-CA-ECDH-AES-CBC-CMAC-128, 02 01 01 }
        bytes.extend([0x30, 0x0F, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02]);
        bytes.extend([0x02, 0x01, 0x01]);
        // PACEInfo: 30 12 { 06 0A id-PACE-ECDH-GM-AES-CBC-CMAC-128, 02 01 02, 02 01 pid }
        bytes.extend([0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02]);
        bytes.extend([0x02, 0x01, 0x02, 0x02, 0x01, parameter_id]);
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::protocol::tlv::tlv;
    use hex_literal::hex;
    use proptest::prelude::*;

    #[test]
    fn every_pace_oid_string_matches_its_bytes() {
        for p in PaceProtocol::ALL {
            assert_eq!(oid_string(&p.oid_bytes()), p.oid, "{p}");
            assert_eq!(PaceProtocol::from_oid_bytes(&p.oid_bytes()), Some(p));
            assert_eq!(PaceProtocol::from_oid(p.oid), Some(p));
            assert!(p.oid.starts_with(ID_PACE));
        }
        for c in ChipAuthenticationProtocol::ALL {
            assert_eq!(oid_string(&c.oid_bytes()), c.oid, "{c}");
            assert_eq!(ChipAuthenticationProtocol::from_oid_bytes(&c.oid_bytes()), Some(c));
            assert!(c.oid.starts_with(ID_CA));
        }
        for (m, a, oid) in PACE_FAMILIES {
            let p = PaceProtocol::ALL.into_iter().find(|p| p.mapping == m && p.agreement == a).unwrap();
            assert_eq!(p.oid.rsplit_once('.').unwrap().0, oid);
        }
        assert_eq!(oid_string(&OID_TA), ID_TA);
        assert_eq!(oid_string(&OID_AA), ID_AA);
        assert_eq!(oid_string(&OID_EFDIR), ID_EFDIR);
        assert_eq!(oid_string(&hex!("04007F000701010401")), ECDSA_PLAIN_SIGNATURES);
        // Names as ICAO 9303-11 §9.2.3 spells them.
        let gm = PaceProtocol::from_oid("0.4.0.127.0.7.2.2.4.2.2").unwrap();
        assert_eq!(gm.to_string(), "id-PACE-ECDH-GM-AES-CBC-CMAC-128");
        let cam = PaceProtocol::from_oid("0.4.0.127.0.7.2.2.4.6.4").unwrap();
        assert_eq!(cam.to_string(), "id-PACE-ECDH-CAM-AES-CBC-CMAC-256");
        assert_eq!(cam.mapping, Mapping::ChipAuthentication);
        let im = PaceProtocol::from_oid("0.4.0.127.0.7.2.2.4.3.1").unwrap();
        assert_eq!((im.mapping, im.agreement, im.cipher), (Mapping::Integrated, KeyAgreement::Dh, PaceCipher::Des3));
        assert_eq!(PaceProtocol::from_oid("0.4.0.127.0.7.2.2.4.6.1"), None, "no CAM with 3DES");
        assert_eq!(PaceProtocol::from_oid("0.4.0.127.0.7.2.2.4.5.2"), None, "arc 5 is not defined");
        assert_eq!(
            ChipAuthenticationProtocol::ALL[5].to_string(),
            "id-CA-ECDH-AES-CBC-CMAC-128",
            "the CCCD's CA protocol"
        );
    }

    #[test]
    fn oid_bytes_are_the_mse_set_at_value() {
        let p = PaceProtocol::from_oid("0.4.0.127.0.7.2.2.4.2.2").unwrap();
        assert_eq!(p.oid_bytes(), hex!("04007F00070202040202"));
        // DO '80' of MSE:Set AT (TR-03110-3 §B.14.1) wraps exactly these bytes.
        assert_eq!(tlv(0x80, &p.oid_bytes()), hex!("800A04007F00070202040202"));
    }

    #[test]
    fn cipher_key_kinds() {
        assert_eq!(PaceCipher::Des3.key_kind(), KeyKind::Des3);
        assert_eq!(PaceCipher::Aes128.key_kind(), KeyKind::Aes128);
        assert_eq!(PaceCipher::Aes192.key_kind(), KeyKind::Aes192);
        assert_eq!(PaceCipher::Aes256.key_kind(), KeyKind::Aes256);
        assert_eq!(PaceCipher::Aes256.key_kind().key_len(), 32);
    }

    #[test]
    fn standardized_parameters_table() {
        assert_eq!(StandardizedDomainParameters::from_id(12), Some(StandardizedDomainParameters::NistP256));
        assert_eq!(StandardizedDomainParameters::from_id(13), Some(StandardizedDomainParameters::BrainpoolP256r1));
        assert_eq!(StandardizedDomainParameters::from_id(2).unwrap().agreement(), KeyAgreement::Dh);
        for id in 0..=255u8 {
            match StandardizedDomainParameters::from_id(id) {
                Some(p) => assert_eq!(p.id(), id),
                None => assert!((3..=7).contains(&id) || id > 18, "{id}"),
            }
        }
    }

    #[test]
    fn the_cccd_card_access() {
        let bytes = cccd_card_access(13);
        assert_eq!(
            bytes,
            hex!(
                "3134"
                "300D 0608 04007F0007020202 020101"
                "300F 060A 04007F00070202030202 020101"
                "3012 060A 04007F00070202040202 020102 02010D"
            )
        );
        let infos = parse_security_infos(&bytes).unwrap();
        assert_eq!(infos.len(), 3);
        assert_eq!(
            infos[0],
            SecurityInfo::TerminalAuthentication(TerminalAuthenticationInfo { version: 1, ef_cvca: None })
        );
        let SecurityInfo::ChipAuthentication(ca) = &infos[1] else { panic!("{:?}", infos[1]) };
        assert_eq!(ca.protocol.oid, "0.4.0.127.0.7.2.2.3.2.2");
        assert_eq!((ca.protocol.agreement, ca.protocol.cipher), (KeyAgreement::Ecdh, PaceCipher::Aes128));
        assert_eq!((ca.version, ca.key_id), (1, None));
        let SecurityInfo::Pace(pace) = &infos[2] else { panic!("{:?}", infos[2]) };
        assert_eq!(pace.protocol.oid, "0.4.0.127.0.7.2.2.4.2.2");
        assert_eq!(pace.protocol.mapping, Mapping::Generic);
        assert_eq!(pace.protocol.agreement, KeyAgreement::Ecdh);
        assert_eq!(pace.protocol.cipher, PaceCipher::Aes128);
        assert_eq!(pace.version, 2);
        assert_eq!(pace.parameter_id, Some(13));
        assert_eq!(pace.standardized_parameters(), Some(StandardizedDomainParameters::BrainpoolP256r1));
        assert_eq!(supported_pace_infos(&infos), vec![pace]);
        assert_eq!(
            infos.iter().map(SecurityInfo::protocol_oid).collect::<Vec<_>>(),
            [ID_TA, ca.protocol.oid, pace.protocol.oid]
        );

        // The variant with NIST P-256 (parameterId 12).
        let infos = parse_security_infos(&cccd_card_access(12)).unwrap();
        let SecurityInfo::Pace(pace) = &infos[2] else { panic!() };
        assert_eq!(pace.parameter_id, Some(12));
        assert_eq!(pace.standardized_parameters(), Some(StandardizedDomainParameters::NistP256));
    }

    #[test]
    fn published_card_access_files() {
        // EF.CardAccess with one PACEInfo (id-PACE-ECDH-GM-AES-CBC-CMAC-128, v2,
        // brainpoolP256r1), the test vector of gmrtd/gmrtd document/card_access_test.go
        // ("AT") and the classic German eID example.
        let at = hex!("31143012060a04007f0007020204020202010202010d");
        let infos = parse_security_infos(&at).unwrap();
        assert_eq!(
            infos,
            vec![SecurityInfo::Pace(PaceInfo {
                protocol: PaceProtocol::from_oid("0.4.0.127.0.7.2.2.4.2.2").unwrap(),
                version: 2,
                parameter_id: Some(13),
            })]
        );
        // A German passport's: GM and CAM, both AES-128 on brainpoolP256r1 (same source, "DE").
        let de = hex!("31283012060a04007f0007020204020202010202010d3012060a04007f0007020204060202010202010d");
        let infos = parse_security_infos(&de).unwrap();
        let pace = supported_pace_infos(&infos);
        assert_eq!(pace.len(), 2);
        assert_eq!(pace[0].protocol.mapping, Mapping::Generic);
        assert_eq!(pace[1].protocol.mapping, Mapping::ChipAuthentication);
        assert_eq!(pace[1].protocol.oid, "0.4.0.127.0.7.2.2.4.6.2");
        assert_eq!(pace[1].parameter_id, Some(13));
    }

    #[test]
    fn unknown_protocols_are_kept_raw() {
        // TR-03110 CardInfo (id-CI, 0.4.0.127.0.7.2.2.6) with an IA5String URL,
        // and an arbitrary proprietary OID with three elements.
        let card_info = info(&[oid(&hex!("04007F0007020206")), tlv(0x16, b"http://x")]);
        let proprietary = info(&[oid(&hex!("2B0601040182370A")), int(1), int(2), tlv(0x04, &[9])]);
        let pace = pace_info(2, 2, 2, Some(13));
        let bytes = set(&[card_info.clone(), pace.clone(), proprietary.clone()]);
        let infos = parse_security_infos(&bytes).unwrap();
        assert_eq!(infos[0], SecurityInfo::Unknown { oid: "0.4.0.127.0.7.2.2.6".into(), der: card_info });
        assert!(matches!(infos[1], SecurityInfo::Pace(_)));
        assert_eq!(infos[2], SecurityInfo::Unknown { oid: "1.3.6.1.4.1.311.10".into(), der: proprietary });
        // id-CA-ECDH alone (ChipAuthenticationDomainParameterInfo) and CAM-3DES are not modelled.
        let ca_domain = info(&[oid(&hex!("04007F000702020302")), tlv(0x30, &oid(&hex!("04007F00070102")))]);
        let cam_3des = pace_info(6, 1, 2, Some(13));
        let infos = parse_security_infos(&set(&[ca_domain, cam_3des])).unwrap();
        assert!(infos.iter().all(|i| matches!(i, SecurityInfo::Unknown { .. })), "{infos:?}");
        assert!(supported_pace_infos(&infos).is_empty());
    }

    #[test]
    fn every_known_info_type() {
        let spki = crate::protocol::lds::dg15::build::ec_spki(&crate::protocol::lds::dg15::build::point());
        let entries = vec![
            // PACEDomainParameterInfo id-PACE-ECDH-GM, standardizedDomainParameters 13, local id 33.
            info(&[
                oid(&hex!("04007F000702020402")),
                tlv(0x30, &[oid(&hex!("04007F00070102")), int(13)].concat()),
                int(33),
            ]),
            // ChipAuthenticationPublicKeyInfo id-PK-ECDH with keyId 7.
            info(&[oid(&hex!("04007F000702020102")), spki.clone(), int(7)]),
            // ChipAuthenticationInfo id-CA-DH-3DES-CBC-CBC, version 1, keyId 256.
            info(&[oid(&hex!("04007F00070202030101")), int(1), int(256)]),
            // TerminalAuthenticationInfo v1 with efCVCA = 011C / 1C.
            info(&[oid(&OID_TA), int(1), tlv(0x30, &[tlv(0x04, &[0x01, 0x1C]), tlv(0x04, &[0x1C])].concat())]),
            // ActiveAuthenticationInfo v1, ecdsa-plain-SHA256.
            info(&[oid(&OID_AA), int(1), oid(&hex!("04007F00070101040103"))]),
            // EFDIRInfo.
            info(&[oid(&OID_EFDIR), tlv(0x04, &hex!("610F4F07A0000002471001"))]),
            // PACEInfo without parameterId (explicit parameters), version 1 (deprecated).
            pace_info(4, 4, 1, None),
        ];
        let infos = parse_security_infos(&set(&entries)).unwrap();
        let SecurityInfo::PaceDomainParameter(d) = &infos[0] else { panic!() };
        assert_eq!(
            (d.mapping, d.agreement, d.oid, d.parameter_id),
            (Mapping::Generic, KeyAgreement::Ecdh, "0.4.0.127.0.7.2.2.4.2", Some(33))
        );
        assert_eq!(d.domain_parameter, tlv(0x30, &[oid(&hex!("04007F00070102")), int(13)].concat()));
        let SecurityInfo::ChipAuthenticationPublicKey(k) = &infos[1] else { panic!() };
        assert_eq!((k.protocol, k.key_id, k.oid()), (KeyAgreement::Ecdh, Some(7), ID_PK_ECDH));
        assert_eq!(k.subject_public_key_info, spki);
        assert!(matches!(k.algorithm, PublicKeyAlgorithm::Ec(_)));
        assert!(format!("{k:?}").contains("bytes>"));
        let SecurityInfo::ChipAuthentication(c) = &infos[2] else { panic!() };
        assert_eq!(
            (c.protocol.agreement, c.protocol.cipher, c.version, c.key_id),
            (KeyAgreement::Dh, PaceCipher::Des3, 1, Some(256))
        );
        assert_eq!(
            infos[3],
            SecurityInfo::TerminalAuthentication(TerminalAuthenticationInfo {
                version: 1,
                ef_cvca: Some(FileReference { fid: 0x011C, sfi: Some(0x1C) })
            })
        );
        let SecurityInfo::ActiveAuthentication(aa) = &infos[4] else { panic!() };
        assert_eq!((aa.version, aa.signature_algorithm.as_str()), (1, "0.4.0.127.0.7.1.1.4.1.3"));
        assert_eq!(aa.ecdsa_plain_hash(), Some(HashAlgorithm::Sha256));
        assert_eq!(infos[5], SecurityInfo::EfDir(EfDirInfo { ef_dir: hex!("610F4F07A0000002471001").to_vec() }));
        let SecurityInfo::Pace(p) = &infos[6] else { panic!() };
        assert_eq!((p.version, p.parameter_id, p.protocol.cipher), (1, None, PaceCipher::Aes256));
        assert!(supported_pace_infos(&infos).is_empty(), "version 1 is not offered");
        assert_eq!(infos.iter().map(SecurityInfo::protocol_oid).filter(|o| o.starts_with(ID_PACE)).count(), 2);
    }

    #[test]
    fn malformed_known_structures() {
        let bad = |entry: Vec<u8>| parse_security_infos(&set(&[entry]));
        // PACEInfo: missing version, extra element, version as OCTET STRING, negative, > 255.
        assert!(bad(info(&[oid(&hex!("04007F00070202040202"))])).is_err());
        assert_eq!(
            bad(info(&[oid(&hex!("04007F00070202040202")), int(2), int(13), int(0)])),
            Err(Malformed::TrailingBytes("PACEInfo"))
        );
        assert!(matches!(
            bad(info(&[oid(&hex!("04007F00070202040202")), tlv(0x04, &[2])])),
            Err(Malformed::UnexpectedTag { .. })
        ));
        assert!(bad(info(&[oid(&hex!("04007F00070202040202")), tlv(0x02, &[0xFE])])).is_err());
        assert!(bad(info(&[oid(&hex!("04007F00070202040202")), int(2), int(300)])).is_err());
        assert!(bad(info(&[oid(&hex!("04007F00070202040202")), tlv(0x02, &[0, 2])])).is_err(), "non-minimal INTEGER");
        // ChipAuthenticationPublicKeyInfo whose key is not an SPKI.
        assert!(bad(info(&[oid(&hex!("04007F000702020102")), tlv(0x30, &int(1))])).is_err());
        // ActiveAuthenticationInfo without its algorithm; TerminalAuthenticationInfo with a 3-byte fid.
        assert!(bad(info(&[oid(&OID_AA), int(1)])).is_err());
        assert!(bad(info(&[oid(&OID_TA), int(1), tlv(0x30, &tlv(0x04, &[1, 2, 3]))])).is_err());
        // EFDIRInfo holding a SEQUENCE.
        assert!(bad(info(&[oid(&OID_EFDIR), tlv(0x30, &[])])).is_err());
        // Entry that is not a SEQUENCE; SEQUENCE not starting with an OID; bad OID encodings.
        assert!(matches!(parse_security_infos(&set(&[int(1)])), Err(Malformed::UnexpectedTag { .. })));
        assert!(bad(info(&[int(1), int(2)])).is_err());
        assert!(bad(info(&[tlv(0x06, &[0x2B, 0x80]), int(1)])).is_err(), "unfinished subidentifier");
        assert!(bad(info(&[tlv(0x06, &[0x80, 0x01]), int(1)])).is_err(), "non-minimal subidentifier");
        assert!(bad(info(&[tlv(0x06, &[]), int(1)])).is_err(), "empty OID");
        // Unknown protocol with garbage after the OID.
        assert!(bad(info(&[oid(&hex!("2B06")), vec![0x04, 0x05, 0x01]])).is_err());
    }

    #[test]
    fn length_errors() {
        let good = cccd_card_access(13);
        assert!(parse_security_infos(&good).is_ok());
        // Truncated at every length.
        for n in 0..good.len() {
            assert!(parse_security_infos(&good[..n]).is_err(), "truncated to {n}");
        }
        // Outer length too large / too small.
        let mut long = good.clone();
        long[1] += 1;
        assert_eq!(parse_security_infos(&long), Err(Malformed::Overrun("SecurityInfos")));
        let mut short = good.clone();
        short[1] -= 1;
        assert!(parse_security_infos(&short).is_err());
        // An inner length that overruns its SET.
        let mut inner = good.clone();
        inner[3] = 0x7F;
        assert_eq!(parse_security_infos(&inner), Err(Malformed::Overrun("SecurityInfo")));
        // Indefinite, non-minimal and 5-byte lengths.
        let body = &good[2..];
        let indefinite = [&[0x31, 0x80][..], body, &[0, 0]].concat();
        assert_eq!(parse_security_infos(&indefinite), Err(Malformed::BadLength("SecurityInfos")));
        let non_minimal = [&[0x31, 0x81, 0x34][..], body].concat();
        assert_eq!(parse_security_infos(&non_minimal), Err(Malformed::BadLength("SecurityInfos")));
        let five = [&[0x31, 0x85, 0, 0, 0, 0, 0x34][..], body].concat();
        assert_eq!(parse_security_infos(&five), Err(Malformed::BadLength("SecurityInfos")));
        // Trailing byte after the SET; wrong outer tag.
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(parse_security_infos(&trailing), Err(Malformed::TrailingBytes("SecurityInfos")));
        let mut tag = good.clone();
        tag[0] = 0x30;
        assert!(matches!(parse_security_infos(&tag), Err(Malformed::UnexpectedTag { .. })));
        // The caps.
        let many = set(&vec![pace_info(2, 2, 2, Some(13)); MAX_SECURITY_INFOS + 1]);
        assert!(matches!(parse_security_infos(&many), Err(Malformed::Invalid { .. })));
        let just_enough = set(&vec![pace_info(2, 2, 2, Some(13)); MAX_SECURITY_INFOS]);
        assert_eq!(parse_security_infos(&just_enough).unwrap().len(), MAX_SECURITY_INFOS);
        let huge = set(&[info(&[oid(&hex!("2B06")), tlv(0x04, &vec![0; MAX_SECURITY_INFOS_SIZE])])]);
        assert!(matches!(parse_security_infos(&huge), Err(Malformed::Invalid { .. })));
        // An empty SET is a valid (if useless) SecurityInfos.
        assert_eq!(parse_security_infos(&[0x31, 0x00]), Ok(vec![]));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_security_infos(&bytes);
            let _ = parse_security_infos(&[&[0x31u8, bytes.len().min(127) as u8][..], &bytes].concat());
        }

        #[test]
        fn mutated_cccd_file_never_panics(at in 0usize..54, byte in any::<u8>()) {
            let mut bytes = cccd_card_access(13);
            if let Some(b) = bytes.get_mut(at) { *b = byte; }
            let _ = parse_security_infos(&bytes);
        }

        #[test]
        fn pace_info_round_trip(index in 0usize..19, version in 0u32..=255, parameter_id in proptest::option::of(0u32..=255)) {
            let p = PaceProtocol::ALL[index];
            let [.., m, c] = p.oid_bytes();
            let infos = parse_security_infos(&set(&[pace_info(m, c, version, parameter_id)])).unwrap();
            prop_assert_eq!(
                infos,
                vec![SecurityInfo::Pace(PaceInfo {
                    protocol: p,
                    version: version as u8,
                    parameter_id: parameter_id.map(|n| n as u8),
                })]
            );
        }
    }
}

/// Seeds for the `card_access`, `dg14` and `dg15` fuzz targets
/// (`fuzz/corpus/<target>/`): `valid-*` must parse, `invalid-*` must not.
/// Rewrite them with `cargo test --lib write_security_fuzz_seeds -- --ignored`.
#[cfg(test)]
mod fuzz_seeds {
    use super::build::{cccd_card_access, info, int, oid, pace_info, set};
    use crate::protocol::lds::dg14::build::passport_dg14;
    use crate::protocol::lds::dg15::build::{ec_spki, point};
    use crate::protocol::lds::{card_access, dg14, dg15};
    use crate::protocol::tlv::tlv;
    use hex_literal::hex;

    fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
        let cccd = cccd_card_access(13);
        let body = cccd[2..].to_vec();
        let mut overlong = cccd.clone();
        overlong[1] += 1;
        let every = set(&[
            info(&[
                oid(&hex!("04007F000702020402")),
                tlv(0x30, &[oid(&hex!("04007F00070102")), int(13)].concat()),
                int(33),
            ]),
            info(&[oid(&hex!("04007F000702020102")), ec_spki(&point()), int(7)]),
            info(&[oid(&hex!("04007F00070202030101")), int(1), int(256)]),
            info(&[
                oid(&hex!("04007F0007020202")),
                int(1),
                tlv(0x30, &[tlv(0x04, &[1, 0x1C]), tlv(0x04, &[0x1C])].concat()),
            ]),
            info(&[oid(&hex!("678108010105")), int(1), oid(&hex!("04007F00070101040103"))]),
            info(&[oid(&hex!("67810801010D")), tlv(0x04, &hex!("610F4F07A0000002471001"))]),
            info(&[oid(&hex!("04007F0007020206")), tlv(0x16, b"http://example")]),
            pace_info(6, 2, 2, Some(13)),
        ]);
        let dg14_inner = passport_dg14()[2..].to_vec();
        let mut dg14_overrun = passport_dg14();
        dg14_overrun[4] = 0x7F; // the first SecurityInfo's length
        let alg_ec = |params: Vec<u8>| tlv(0x30, &[oid(&hex!("2A8648CE3D0201")), params].concat());
        let explicit = tlv(0x30, &[int(1), tlv(0x30, &[oid(&hex!("2A8648CE3D0101")), int(0x7F)].concat())].concat());
        let ec_explicit = tlv(0x30, &[alg_ec(explicit), tlv(0x03, &[&[0u8][..], &point()].concat())].concat());
        let mut modulus = vec![0x00, 0xC1];
        modulus.extend([0x5A; 255]);
        let rsa_key = tlv(0x30, &[tlv(0x02, &modulus), tlv(0x02, &[1, 0, 1])].concat());
        let rsa_alg = tlv(0x30, &[oid(&hex!("2A864886F70D010101")), vec![0x05, 0x00]].concat());
        let rsa = tlv(0x30, &[rsa_alg, tlv(0x03, &[&[0u8][..], &rsa_key].concat())].concat());
        let mut unused_bits = ec_spki(&point());
        let at = unused_bits.len() - point().len() - 1;
        unused_bits[at] = 1;
        let implicit = tlv(0x30, &[alg_ec(vec![0x05, 0x00]), tlv(0x03, &[0, 4, 1, 2])].concat());
        vec![
            ("card_access", "valid-cccd-brainpoolp256r1", cccd.clone()),
            ("card_access", "valid-cccd-p256", cccd_card_access(12)),
            (
                "card_access",
                "valid-published-one-pace-info",
                hex!("31143012060a04007f0007020204020202010202010d").to_vec(),
            ),
            (
                "card_access",
                "valid-published-gm-and-cam",
                hex!("31283012060a04007f0007020204020202010202010d3012060a04007f0007020204060202010202010d").to_vec(),
            ),
            ("card_access", "valid-every-info-type", every.clone()),
            ("card_access", "valid-empty-set", vec![0x31, 0x00]),
            ("card_access", "invalid-truncated", cccd[..cccd.len() - 1].to_vec()),
            ("card_access", "invalid-overlong", overlong),
            ("card_access", "invalid-indefinite", [&[0x31, 0x80][..], &body, &[0, 0]].concat()),
            ("card_access", "invalid-non-minimal-length", [&[0x31, 0x81, 0x34][..], &body].concat()),
            ("card_access", "invalid-trailing-byte", [&cccd[..], &[0]].concat()),
            ("card_access", "invalid-pace-info-without-version", set(&[info(&[oid(&hex!("04007F00070202040202"))])])),
            ("card_access", "invalid-dg14-wrapper", passport_dg14()),
            ("dg14", "valid-passport", passport_dg14()),
            ("dg14", "valid-every-info-type", tlv(0x6E, &every)),
            ("dg14", "invalid-card-access-unwrapped", cccd),
            ("dg14", "invalid-inner-overrun", dg14_overrun),
            ("dg14", "invalid-indefinite", [&[0x6E, 0x80][..], &dg14_inner, &[0, 0]].concat()),
            ("dg14", "invalid-two-sets", tlv(0x6E, &[&dg14_inner[..], &dg14_inner].concat())),
            ("dg15", "valid-ec-named-curve", tlv(0x6F, &ec_spki(&point()))),
            ("dg15", "valid-ec-explicit-parameters", tlv(0x6F, &ec_explicit)),
            ("dg15", "valid-rsa-2048", tlv(0x6F, &rsa)),
            ("dg15", "invalid-trailing-byte", tlv(0x6F, &[ec_spki(&point()), vec![0]].concat())),
            ("dg15", "invalid-unused-bits", tlv(0x6F, &unused_bits)),
            ("dg15", "invalid-implicit-ca", tlv(0x6F, &implicit)),
            ("dg15", "invalid-wrong-tag", tlv(0x6E, &ec_spki(&point()))),
        ]
    }

    #[cfg(feature = "software-chip")]
    fn chip_seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
        let doc = crate::chip::Document::cccd_demo().expect("the demo document builds");
        let file = |fid| doc.file(fid).map(<[u8]>::to_vec).unwrap_or_default();
        vec![("dg14", "valid-chip-cccd", file(0x010E)), ("dg15", "valid-chip-cccd", file(0x010F))]
    }

    #[cfg(not(feature = "software-chip"))]
    fn chip_seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
        Vec::new()
    }

    #[test]
    #[ignore = "writes fuzz/corpus; run by hand after changing a builder"]
    fn write_security_fuzz_seeds() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        for (target, name, bytes) in seeds().into_iter().chain(chip_seeds()) {
            let dir = root.join(target);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("{name}.bin")), bytes).unwrap();
        }
    }

    #[test]
    fn security_fuzz_seeds_are_well_labelled() {
        for (target, name, bytes) in seeds().into_iter().chain(chip_seeds()) {
            let ok = match target {
                "card_access" => card_access::parse(&bytes).is_ok(),
                "dg14" => dg14::parse(&bytes).is_ok(),
                "dg15" => dg15::parse(&bytes).is_ok(),
                _ => unreachable!("{target}"),
            };
            assert_eq!(ok, name.starts_with("valid-"), "{target}/{name}");
        }
    }
}
