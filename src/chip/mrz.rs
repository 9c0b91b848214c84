//! The chip's own MRZ arithmetic (ICAO 9303-3 §4.9 check digits, 9303-5 TD1 and
//! 9303-4 TD3 layouts, 9303-11 §9.7.2 BAC key seed).
//!
//! Deliberately independent of `crate::protocol::mrz`: the software chip is the
//! oracle the terminal side is tested against, so it must not share its code.

use crate::protocol::crypto::{KDF_ENC, KDF_MAC, KeyKind, SecretBytes, kdf};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

/// ICAO 9303-3 §4.9: weights 7, 3, 1 over the character values
/// (`0`–`9` → 0–9, `A`–`Z` → 10–35, `<` → 0), sum modulo 10.
pub(crate) fn check_digit(field: &str) -> char {
    let sum: u32 = field
        .bytes()
        .zip([7u32, 3, 1].iter().cycle())
        .map(|(c, w)| {
            let v = match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'A'..=b'Z' => u32::from(c - b'A') + 10,
                _ => 0,
            };
            v * w
        })
        .sum();
    char::from(b'0' + (sum % 10) as u8)
}

/// `s` padded with `<` to `width` characters (or cut to it).
pub(crate) fn fill(s: &str, width: usize) -> String {
    let mut out: String = s.chars().take(width).collect();
    while out.chars().count() < width {
        out.push('<');
    }
    out
}

/// The fields of an MRZ that the chip's data groups are built from.
#[derive(Clone)]
pub(crate) struct MrzFields {
    /// Document code, e.g. `P<` or `ID`.
    pub doc_code: String,
    /// Issuing state, e.g. `VNM`.
    pub state: String,
    /// Document number, at most 9 characters here.
    pub number: String,
    /// Date of birth, YYMMDD.
    pub birth: String,
    /// `M`, `F` or `<`.
    pub sex: char,
    /// Date of expiry, YYMMDD.
    pub expiry: String,
    /// Nationality.
    pub nationality: String,
    /// Primary and secondary identifiers, already transliterated (`NGUYEN`, `VAN<AN`).
    pub surname: String,
    /// Given names, `<`-separated.
    pub given: String,
    /// Optional data of line 1 (TD1) or the personal number (TD3).
    pub optional1: String,
    /// Optional data of line 2 (TD1 only).
    pub optional2: String,
}

impl MrzFields {
    fn name_field(&self, width: usize) -> String {
        fill(&format!("{}<<{}", self.surname, self.given), width)
    }

    /// The TD1 MRZ (ICAO 9303-5 §4.2.2): three lines of 30.
    pub(crate) fn td1(&self) -> String {
        let number = fill(&self.number, 9);
        let line1 = format!(
            "{}{}{}{}{}",
            fill(&self.doc_code, 2),
            fill(&self.state, 3),
            number,
            check_digit(&number),
            fill(&self.optional1, 15)
        );
        let upper = format!(
            "{}{}{}{}{}{}{}",
            self.birth,
            check_digit(&self.birth),
            self.sex,
            self.expiry,
            check_digit(&self.expiry),
            fill(&self.nationality, 3),
            fill(&self.optional2, 11)
        );
        // Composite: line 1 positions 6–30, line 2 positions 1–7, 9–15, 19–29.
        let composite_input = format!(
            "{}{}{}{}",
            line1.get(5..30).unwrap_or(""),
            upper.get(0..7).unwrap_or(""),
            upper.get(8..15).unwrap_or(""),
            upper.get(18..29).unwrap_or("")
        );
        let line2 = format!("{upper}{}", check_digit(&composite_input));
        format!("{line1}\n{line2}\n{}", self.name_field(30))
    }

    /// The TD3 MRZ (ICAO 9303-4 §4.2.2): two lines of 44.
    pub(crate) fn td3(&self) -> String {
        let line1 = format!("{}{}{}", fill(&self.doc_code, 2), fill(&self.state, 3), self.name_field(39));
        let number = fill(&self.number, 9);
        let personal = fill(&self.optional1, 14);
        let personal_cd = if self.optional1.is_empty() { '<' } else { check_digit(&personal) };
        let upper = format!(
            "{}{}{}{}{}{}{}{}{}{}",
            number,
            check_digit(&number),
            fill(&self.nationality, 3),
            self.birth,
            check_digit(&self.birth),
            self.sex,
            self.expiry,
            check_digit(&self.expiry),
            personal,
            personal_cd
        );
        // Composite: positions 1–10, 14–20, 22–43 of line 2.
        let composite_input = format!(
            "{}{}{}",
            upper.get(0..10).unwrap_or(""),
            upper.get(13..20).unwrap_or(""),
            upper.get(21..43).unwrap_or("")
        );
        format!("{line1}\n{upper}{}", check_digit(&composite_input))
    }

    /// The "MRZ information" hashed into the BAC key seed (ICAO 9303-11 §9.7.2):
    /// document number, its check digit, date of birth, check digit, date of expiry, check digit.
    pub(crate) fn mrz_information(&self) -> Zeroizing<String> {
        let number = fill(&self.number, 9);
        Zeroizing::new(format!(
            "{number}{}{}{}{}{}",
            check_digit(&number),
            self.birth,
            check_digit(&self.birth),
            self.expiry,
            check_digit(&self.expiry)
        ))
    }
}

/// The BAC keys the chip holds (ICAO 9303-11 §9.7.2): K_enc and K_mac from
/// K_seed = the first 16 bytes of SHA-1(MRZ information).
pub(crate) struct BacKeys {
    /// K_enc (two-key 3DES).
    pub k_enc: SecretBytes,
    /// K_mac (two-key 3DES).
    pub k_mac: SecretBytes,
}

impl BacKeys {
    /// Derives the document basic access keys from the MRZ information.
    pub(crate) fn from_mrz_information(info: &str) -> Self {
        let hash = Zeroizing::new(Sha1::digest(info.as_bytes()));
        let seed = Zeroizing::new(hash.get(..16).unwrap_or(&[]).to_vec());
        Self { k_enc: kdf(&seed, KDF_ENC, KeyKind::Des3), k_mac: kdf(&seed, KDF_MAC, KeyKind::Des3) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn check_digits_of_the_samples() {
        // ICAO 9303-3 §4.9 example and the ICAO specimen passport.
        assert_eq!(check_digit("520727"), '3');
        assert_eq!(check_digit("L898902C3"), '6');
        assert_eq!(check_digit("740812"), '2');
        assert_eq!(check_digit("120415"), '9');
        // CCCD sample of CCCD.md: the trailing digit of line 1 is the check digit of the 12-digit ID.
        assert_eq!(check_digit("001093047064"), '2');
        assert_eq!(check_digit("093047064"), '1');
    }

    fn cccd_sample() -> MrzFields {
        MrzFields {
            doc_code: "ID".into(),
            state: "VNM".into(),
            number: "093047064".into(),
            birth: "930105".into(),
            sex: 'M',
            expiry: "330105".into(),
            nationality: "VNM".into(),
            surname: "UNG".into(),
            given: "HOANG<HIEP".into(),
            optional1: format!("001093047064<<{}", check_digit("001093047064")),
            optional2: String::new(),
        }
    }

    #[test]
    fn td1_reproduces_the_cccd_sample() {
        assert_eq!(
            cccd_sample().td1(),
            "IDVNM0930470641001093047064<<2\n9301054M3301052VNM<<<<<<<<<<<8\nUNG<<HOANG<HIEP<<<<<<<<<<<<<<<"
        );
        assert_eq!(&*cccd_sample().mrz_information(), "093047064193010543301052");
    }

    #[test]
    fn td3_reproduces_the_icao_specimen() {
        let f = MrzFields {
            doc_code: "P<".into(),
            state: "UTO".into(),
            number: "L898902C3".into(),
            birth: "740812".into(),
            sex: 'F',
            expiry: "120415".into(),
            nationality: "UTO".into(),
            surname: "ERIKSSON".into(),
            given: "ANNA<MARIA".into(),
            optional1: "ZE184226B".into(),
            optional2: String::new(),
        };
        assert_eq!(
            f.td3(),
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
        );
    }

    /// ICAO 9303-11 Appendix D.2: MRZ information → K_enc, K_mac.
    #[test]
    fn bac_keys_of_appendix_d() {
        let keys = BacKeys::from_mrz_information("L898902C<369080619406236");
        assert_eq!(&keys.k_enc[..], hex!("AB94FDECF2674FDFB9B391F85D7F76F2"));
        assert_eq!(&keys.k_mac[..], hex!("7962D9ECE03D1ACD4C76089DCE131543"));
    }
}
