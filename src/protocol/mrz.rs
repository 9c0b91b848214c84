//! The machine-readable zone (ICAO 9303 parts 3–6) and the BAC key seed input
//! (ICAO 9303-11 §9.7.2).
//!
//! # Layouts (1-based positions, as in the spec)
//!
//! ```text
//! TD1 (9303-5 §4.2.2), 3 × 30:
//!   line 1: 1-2 document code, 3-5 issuing state, 6-14 document number, 15 check digit,
//!           16-30 optional data
//!   line 2: 1-6 date of birth, 7 check digit, 8 sex, 9-14 date of expiry, 15 check digit,
//!           16-18 nationality, 19-29 optional data, 30 composite check digit over
//!           line 1 6-30, line 2 1-7, 9-15, 19-29
//!   line 3: 1-30 name
//! TD2 (9303-6 §4.2.2), 2 × 36:
//!   line 1: 1-2 document code, 3-5 issuing state, 6-36 name
//!   line 2: 1-9 document number, 10 check digit, 11-13 nationality, 14-19 date of birth,
//!           20 check digit, 21 sex, 22-27 date of expiry, 28 check digit,
//!           29-35 optional data, 36 composite over 1-10, 14-20, 22-35
//! TD3 (9303-4 §4.2.2), 2 × 44:
//!   line 1: 1-2 document code, 3-5 issuing state, 6-44 name
//!   line 2: 1-9 document number, 10 check digit, 11-13 nationality, 14-19 date of birth,
//!           20 check digit, 21 sex, 22-27 date of expiry, 28 check digit,
//!           29-42 personal number, 43 its check digit (`<` or `0` when the field is
//!           all fillers), 44 composite over 1-10, 14-20, 22-43
//! ```
//!
//! # Long document numbers (TD1 and TD2)
//! ICAO 9303-5 §4.2.2 note j (and the same note in 9303-6): when the document
//! number has more than 9 characters, its 9 principal characters fill the
//! document-number field, the check-digit position holds a filler `<`, and the
//! remaining characters start the optional-data field, followed by the check
//! digit (computed over the whole number) and a filler. [`Mrz::parse`] resolves
//! this: [`Mrz::document_number`] is the full number and
//! [`Mrz::optional_data`] what follows the overflow. TD3 has no such rule.
//!
//! # Sex
//! `M` and `F` are kept; the MRZ filler `<` ("unspecified") becomes `X`, the
//! letter ICAO 9303-3 prints in the visual zone for it. An `X` in the MRZ is
//! accepted too (some issuers print it); anything else is an input error.
//!
//! # Personal data
//! [`Mrz`] and [`BacKey`] hold personal data: they are wiped on drop and their
//! `Debug` output prints none of it.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::protocol::error::InputError;

/// Line length of a TD1 MRZ (3 lines).
pub const TD1_LINE_LEN: usize = 30;
/// Line length of a TD2 MRZ (2 lines).
pub const TD2_LINE_LEN: usize = 36;
/// Line length of a TD3 MRZ (2 lines).
pub const TD3_LINE_LEN: usize = 44;
/// The longest MRZ text [`Mrz::parse`] looks at, in bytes (3 × 30 plus generous
/// room for line breaks and surrounding whitespace). Longer input is rejected
/// before any other work.
pub const MAX_MRZ_INPUT_LEN: usize = 256;
/// The longest document number accepted: 9 characters in the document-number
/// field plus 14 overflow characters in a TD1's 15-character optional-data
/// field (the 15th holds the check digit).
pub const MAX_DOCUMENT_NUMBER_LEN: usize = 23;
/// The number of characters the BAC key seed input pads a short document
/// number to (ICAO 9303-11 §9.7.2: the 9-character MRZ field, fillers included).
pub const DOCUMENT_NUMBER_FIELD_LEN: usize = 9;

/// The ICAO 9303-3 §4.9 check digit of `field`: weights 7, 3, 1 repeating,
/// `0`-`9` worth their value, `A`-`Z` worth 10-35, the filler `<` worth 0, sum
/// modulo 10. Returns the ASCII digit, or `None` if `field` holds any other byte.
pub fn check_digit(field: &[u8]) -> Option<u8> {
    let mut sum: u32 = 0;
    for (i, &c) in field.iter().enumerate() {
        let value = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            b'<' => 0,
            _ => return None,
        };
        let weight = match i % 3 {
            0 => 7,
            1 => 3,
            _ => 1,
        };
        sum = (sum + u32::from(value) * weight) % 10;
    }
    Some(b'0' + sum as u8)
}

/// The three MRZ layouts of ICAO 9303.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MrzFormat {
    /// ID-1 card size, 3 lines of 30 (ICAO 9303-5).
    Td1,
    /// ID-2 size, 2 lines of 36 (ICAO 9303-6).
    Td2,
    /// Passport booklet, 2 lines of 44 (ICAO 9303-4).
    Td3,
}

impl MrzFormat {
    /// Characters per line.
    pub fn line_len(self) -> usize {
        match self {
            Self::Td1 => TD1_LINE_LEN,
            Self::Td2 => TD2_LINE_LEN,
            Self::Td3 => TD3_LINE_LEN,
        }
    }
    /// Number of lines.
    pub fn line_count(self) -> usize {
        match self {
            Self::Td1 => 3,
            Self::Td2 | Self::Td3 => 2,
        }
    }
}

/// A parsed machine-readable zone. Text fields have their trailing fillers
/// removed; dates stay as printed (`YYMMDD`, see [`birth_date_iso`] and
/// [`expiry_date_iso`] for the century).
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Mrz {
    /// The layout.
    #[zeroize(skip)]
    pub format: MrzFormat,
    /// Document code, e.g. `"P"`, `"ID"`, `"I"` (fillers removed).
    pub document_code: String,
    /// Issuing state or organization (ICAO 9303-3 codes, e.g. `"VNM"`, `"D"`).
    pub issuing_state: String,
    /// The full document number; for TD1/TD2 longer numbers, the 9 principal
    /// characters followed by the overflow from the optional data (module docs).
    pub document_number: String,
    /// Primary identifier: the name before the first `<<`, fillers turned into spaces.
    pub surname: String,
    /// Secondary identifier: the name after the first `<<`, fillers turned into
    /// single spaces (empty if the MRZ has none).
    pub given_names: String,
    /// Nationality (ICAO 9303-3 code).
    pub nationality: String,
    /// Date of birth as printed, `YYMMDD` (may hold `<` for an unknown part).
    pub date_of_birth: String,
    /// `"M"`, `"F"` or `"X"` (unspecified; the MRZ holds `<`).
    pub sex: String,
    /// Date of expiry as printed, `YYMMDD`.
    pub date_of_expiry: String,
    /// TD1: line 1 optional data after any document-number overflow; TD2: the
    /// optional data; TD3: the personal number. Trailing fillers removed,
    /// inner ones kept (a CCCD holds `"001093047064<<2"`).
    pub optional_data: String,
    /// TD1 only: the optional data of line 2 (trailing fillers removed).
    pub optional_data_2: Option<String>,
    /// The MRZ lines as given (after trimming whitespace and splitting a
    /// single-line MRZ).
    pub lines: Vec<String>,
}

impl fmt::Debug for Mrz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mrz").field("format", &self.format).field("data", &"<redacted>").finish()
    }
}

/// Field names used in [`InputError::CheckDigit`] and in the failure list of
/// [`Mrz::parse_unchecked`].
pub mod field {
    /// The document number's check digit (or the overflow's, for long numbers).
    pub const DOCUMENT_NUMBER: &str = "document_number";
    /// The date of birth's check digit.
    pub const DATE_OF_BIRTH: &str = "date_of_birth";
    /// The date of expiry's check digit.
    pub const DATE_OF_EXPIRY: &str = "date_of_expiry";
    /// The TD3 personal number's check digit.
    pub const OPTIONAL_DATA: &str = "optional_data";
    /// The composite check digit.
    pub const COMPOSITE: &str = "composite";
}

const LINE_NAMES: [&str; 3] = ["line 1", "line 2", "line 3"];

fn line_name(i: usize) -> &'static str {
    LINE_NAMES.get(i).copied().unwrap_or("mrz")
}

fn is_mrz_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<'
}

/// `line[start..end]`; the callers have checked the line length, so the
/// fallback (empty) is never taken.
fn sub(line: &[u8], start: usize, end: usize) -> &[u8] {
    line.get(start..end).unwrap_or(&[])
}

fn at(line: &[u8], i: usize) -> u8 {
    line.get(i).copied().unwrap_or(b'<')
}

/// ASCII bytes (checked MRZ characters) to a string.
fn text(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The field without trailing fillers.
fn trim_fillers(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != b'<').map_or(0, |i| i + 1);
    sub(bytes, 0, end)
}

/// Splits the input into lines and checks lengths and characters.
fn split_lines(input: &str) -> Result<(MrzFormat, Vec<String>), InputError> {
    if input.len() > MAX_MRZ_INPUT_LEN {
        return Err(InputError::Invalid { field: "mrz", reason: "longer than any MRZ" });
    }
    let raw: Vec<&str> = input.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let lines: Vec<String> = match raw.as_slice() {
        [single] => {
            if let Some(position) = single.chars().position(|c| !is_mrz_char(c)) {
                return Err(InputError::Character { field: "mrz", position });
            }
            let len = match single.len() {
                90 => TD1_LINE_LEN,
                72 => TD2_LINE_LEN,
                88 => TD3_LINE_LEN,
                _ => {
                    return Err(InputError::Invalid {
                        field: "mrz",
                        reason: "a one-line MRZ must have 90 (TD1), 72 (TD2) or 88 (TD3) characters",
                    });
                }
            };
            single.as_bytes().chunks(len).map(text).collect()
        }
        [_, _] | [_, _, _] => raw.iter().map(|l| (*l).to_owned()).collect(),
        _ => return Err(InputError::Invalid { field: "mrz", reason: "an MRZ has 2 or 3 lines" }),
    };
    let format = match lines.as_slice() {
        [_, _, _] => MrzFormat::Td1,
        [first, second] => {
            let (a, b) = (first.chars().count(), second.chars().count());
            if a == TD2_LINE_LEN || (a != TD3_LINE_LEN && b == TD2_LINE_LEN) {
                MrzFormat::Td2
            } else if a == TD3_LINE_LEN || b == TD3_LINE_LEN {
                MrzFormat::Td3
            } else if a <= (TD2_LINE_LEN + TD3_LINE_LEN) / 2 {
                MrzFormat::Td2
            } else {
                MrzFormat::Td3
            }
        }
        _ => return Err(InputError::Invalid { field: "mrz", reason: "an MRZ has 2 or 3 lines" }),
    };
    for (i, line) in lines.iter().enumerate() {
        let got = line.chars().count();
        if got != format.line_len() {
            return Err(InputError::Length { field: line_name(i), expected: format.line_len(), got });
        }
        if let Some(position) = line.chars().position(|c| !is_mrz_char(c)) {
            return Err(InputError::Character { field: line_name(i), position });
        }
    }
    Ok((format, lines))
}

/// The document number, resolving the TD1/TD2 overflow (module docs).
/// Returns the number, whether its check digit holds, and the optional data
/// left after the overflow.
fn resolve_document_number<'a>(field: &[u8], cd: u8, optional: &'a [u8]) -> (String, bool, &'a [u8]) {
    if cd != b'<' {
        let ok = check_digit(field) == Some(cd);
        return (text(trim_fillers(field)), ok, optional);
    }
    // Overflow: the rest of the number, its check digit, then a filler.
    let end = optional.iter().position(|&b| b == b'<').unwrap_or(optional.len());
    if end < 2 {
        return (text(trim_fillers(field)), false, optional);
    }
    let mut full = trim_fillers(field).to_vec();
    full.extend_from_slice(sub(optional, 0, end - 1));
    let ok = check_digit(&full) == Some(at(optional, end - 1));
    let rest = optional.get(end + 1..).unwrap_or(&[]);
    let number = text(&full);
    full.zeroize();
    (number, ok, rest)
}

/// Splits the name field at the first `<<` (ICAO 9303-3 §4.6).
fn names(field: &[u8]) -> (String, String) {
    let words = |b: &[u8]| text(b).split('<').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    match field.windows(2).position(|w| w == b"<<") {
        Some(i) => (words(sub(field, 0, i)), words(field.get(i + 2..).unwrap_or(&[]))),
        None => (words(field), String::new()),
    }
}

fn sex(c: u8, position: usize) -> Result<String, InputError> {
    match c {
        b'M' => Ok("M".into()),
        b'F' => Ok("F".into()),
        b'<' | b'X' => Ok("X".into()),
        _ => Err(InputError::Character { field: "sex", position }),
    }
}

/// Dates are digits, with `<` allowed for an unknown part (ICAO 9303-3 §4.7).
fn date(field: &[u8], name: &'static str) -> Result<String, InputError> {
    if let Some(position) = field.iter().position(|b| !(b.is_ascii_digit() || *b == b'<')) {
        return Err(InputError::Character { field: name, position });
    }
    Ok(text(field))
}

/// The fields shared by all layouts, located by the caller.
struct Common<'a> {
    header: &'a [u8],
    name: &'a [u8],
    doc: &'a [u8],
    doc_cd: u8,
    nationality: &'a [u8],
    dob: &'a [u8],
    dob_cd: u8,
    sex: u8,
    sex_pos: usize,
    doe: &'a [u8],
    doe_cd: u8,
    optional: &'a [u8],
    composite_input: Vec<u8>,
    composite_cd: u8,
}

impl Mrz {
    /// Parses an MRZ typed or scanned by a client, strictly.
    ///
    /// Accepts the lines separated by `\n` or `\r\n` (surrounding whitespace
    /// and blank lines ignored), or one line holding all 90/72/88 characters.
    /// Only `A`-`Z`, `0`-`9` and `<` are allowed; every check digit, the
    /// composite included, must hold. Errors name the field:
    /// [`InputError::Length`] (`"line 2"`), [`InputError::Character`] (line and
    /// 0-based position, or `"sex"`/a date field and the position in it),
    /// [`InputError::CheckDigit`] (a [`field`] name).
    pub fn parse(input: &str) -> Result<Mrz, InputError> {
        let (mrz, failures) = Self::parse_unchecked(input)?;
        match failures.first() {
            Some(&field) => Err(InputError::CheckDigit { field }),
            None => Ok(mrz),
        }
    }

    /// [`Mrz::parse`], except that check-digit failures are returned as the
    /// list of failing [`field`] names instead of an error. Used for DG1,
    /// whose integrity the security object vouches for: a bad check digit
    /// there is reported, not rejected.
    pub fn parse_unchecked(input: &str) -> Result<(Mrz, Vec<&'static str>), InputError> {
        let (format, lines) = split_lines(input)?;
        let l: Vec<&[u8]> = lines.iter().map(|s| s.as_bytes()).collect();
        let l1 = l.first().copied().unwrap_or(&[]);
        let l2 = l.get(1).copied().unwrap_or(&[]);
        let mut optional_data_2 = None;
        let mut personal_number_ok = true;
        let common = match format {
            MrzFormat::Td1 => {
                let l3 = l.get(2).copied().unwrap_or(&[]);
                let mut composite_input = sub(l1, 5, 30).to_vec();
                composite_input.extend_from_slice(sub(l2, 0, 7));
                composite_input.extend_from_slice(sub(l2, 8, 15));
                composite_input.extend_from_slice(sub(l2, 18, 29));
                optional_data_2 = Some(text(trim_fillers(sub(l2, 18, 29))));
                Common {
                    header: l1,
                    name: l3,
                    doc: sub(l1, 5, 14),
                    doc_cd: at(l1, 14),
                    nationality: sub(l2, 15, 18),
                    dob: sub(l2, 0, 6),
                    dob_cd: at(l2, 6),
                    sex: at(l2, 7),
                    sex_pos: 7,
                    doe: sub(l2, 8, 14),
                    doe_cd: at(l2, 14),
                    optional: sub(l1, 15, 30),
                    composite_input,
                    composite_cd: at(l2, 29),
                }
            }
            MrzFormat::Td2 | MrzFormat::Td3 => {
                let (opt_end, composite_pos) = if format == MrzFormat::Td2 { (35, 35) } else { (42, 43) };
                let mut composite_input = sub(l2, 0, 10).to_vec();
                composite_input.extend_from_slice(sub(l2, 13, 20));
                composite_input.extend_from_slice(sub(l2, 21, composite_pos));
                if format == MrzFormat::Td3 {
                    let personal = sub(l2, 28, 42);
                    let cd = at(l2, 42);
                    let empty = personal.iter().all(|&b| b == b'<');
                    personal_number_ok = check_digit(personal) == Some(cd) || (empty && (cd == b'<' || cd == b'0'));
                }
                Common {
                    header: l1,
                    name: sub(l1, 5, format.line_len()),
                    doc: sub(l2, 0, 9),
                    doc_cd: at(l2, 9),
                    nationality: sub(l2, 10, 13),
                    dob: sub(l2, 13, 19),
                    dob_cd: at(l2, 19),
                    sex: at(l2, 20),
                    sex_pos: 20,
                    doe: sub(l2, 21, 27),
                    doe_cd: at(l2, 27),
                    optional: sub(l2, 28, opt_end),
                    composite_input,
                    composite_cd: at(l2, composite_pos),
                }
            }
        };
        let mut failures = Vec::new();
        let (document_number, doc_ok, optional) = if format == MrzFormat::Td3 {
            (text(trim_fillers(common.doc)), check_digit(common.doc) == Some(common.doc_cd), common.optional)
        } else {
            resolve_document_number(common.doc, common.doc_cd, common.optional)
        };
        if !doc_ok {
            failures.push(field::DOCUMENT_NUMBER);
        }
        let date_of_birth = date(common.dob, "date_of_birth")?;
        if check_digit(common.dob) != Some(common.dob_cd) {
            failures.push(field::DATE_OF_BIRTH);
        }
        let date_of_expiry = date(common.doe, "date_of_expiry")?;
        if check_digit(common.doe) != Some(common.doe_cd) {
            failures.push(field::DATE_OF_EXPIRY);
        }
        if !personal_number_ok {
            failures.push(field::OPTIONAL_DATA);
        }
        if check_digit(&common.composite_input) != Some(common.composite_cd) {
            failures.push(field::COMPOSITE);
        }
        let (surname, given_names) = names(common.name);
        let sex = sex(common.sex, common.sex_pos)?;
        let document_code = text(trim_fillers(sub(common.header, 0, 2)));
        let issuing_state = text(trim_fillers(sub(common.header, 2, 5)));
        let nationality = text(trim_fillers(common.nationality));
        let optional_data = text(trim_fillers(optional));
        let mut composite_input = common.composite_input;
        composite_input.zeroize();
        let mrz = Mrz {
            format,
            document_code,
            issuing_state,
            document_number,
            surname,
            given_names,
            nationality,
            date_of_birth,
            sex,
            date_of_expiry,
            optional_data,
            optional_data_2,
            lines,
        };
        Ok((mrz, failures))
    }

    /// The BAC key of this document (document number, dates of birth and expiry).
    pub fn bac_key(&self) -> BacKey {
        BacKey {
            document_number: self.document_number.clone(),
            date_of_birth: self.date_of_birth.clone(),
            date_of_expiry: self.date_of_expiry.clone(),
        }
    }

    /// The MRZ lines joined with `\n`.
    pub fn text(&self) -> Zeroizing<String> {
        Zeroizing::new(self.lines.join("\n"))
    }
}

/// The document basic access key: what BAC (and PACE with the MRZ password)
/// derives its keys from (ICAO 9303-11 §9.7.2, §4.4.1). Wiped on drop; its
/// `Debug` prints nothing of it.
///
/// The fields are private so that every `BacKey` holds only MRZ characters:
/// build one with [`BacKey::new`] (validated client input) or
/// [`Mrz::bac_key`].
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct BacKey {
    document_number: String,
    date_of_birth: String,
    date_of_expiry: String,
}

impl fmt::Debug for BacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BacKey(<redacted>)")
    }
}

impl BacKey {
    /// A key from its three parts as a client types them.
    ///
    /// `document_number`: 1 to [`MAX_DOCUMENT_NUMBER_LEN`] characters of
    /// `A`-`Z`, `0`-`9`, `<` (trailing fillers are dropped; at least one other
    /// character must remain). Dates: `YYMMDD`, six digits, month 01-12, day
    /// valid for the month in some year (29 February is accepted). Lowercase
    /// letters are rejected, not converted. A document whose MRZ prints `<` in
    /// a date (unknown day or month) needs [`Mrz::bac_key`] instead.
    pub fn new(document_number: &str, date_of_birth: &str, date_of_expiry: &str) -> Result<Self, InputError> {
        const DOC: &str = "document_number";
        let got = document_number.chars().count();
        if got > MAX_DOCUMENT_NUMBER_LEN {
            return Err(InputError::Length { field: DOC, expected: MAX_DOCUMENT_NUMBER_LEN, got });
        }
        if let Some(position) = document_number.chars().position(|c| !is_mrz_char(c)) {
            return Err(InputError::Character { field: DOC, position });
        }
        let doc = document_number.trim_end_matches('<');
        if doc.is_empty() {
            return Err(InputError::Invalid { field: DOC, reason: "empty" });
        }
        validate_key_date(date_of_birth, "date_of_birth")?;
        validate_key_date(date_of_expiry, "date_of_expiry")?;
        Ok(Self {
            document_number: doc.to_owned(),
            date_of_birth: date_of_birth.to_owned(),
            date_of_expiry: date_of_expiry.to_owned(),
        })
    }

    /// The document number (no trailing fillers).
    pub fn document_number(&self) -> &str {
        &self.document_number
    }
    /// The date of birth, `YYMMDD`.
    pub fn date_of_birth(&self) -> &str {
        &self.date_of_birth
    }
    /// The date of expiry, `YYMMDD`.
    pub fn date_of_expiry(&self) -> &str {
        &self.date_of_expiry
    }

    /// `MRZ_information`, the input to the BAC key seed
    /// (`K_seed = SHA-1(MRZ_information)[0..16]`, ICAO 9303-11 §9.7.2 and
    /// Appendix D.2): document number, its check digit, date of birth, its
    /// check digit, date of expiry, its check digit.
    ///
    /// A document number shorter than 9 characters is padded with `<` to the
    /// 9-character MRZ field (Appendix D: `L898902C<3...`). A longer one (the
    /// TD1/TD2 overflow of ICAO 9303-5/-6) is used in full, followed by the
    /// check digit over the full number — the one printed after the overflow
    /// in the optional data. This is what the long-number worked example of
    /// 9303-11 Appendix D.2 gives (`D23145890734` → MRZ_information
    /// `D23145890734934071279507122`, K_seed `B366AD85...`; we found it quoted
    /// by two independent reader implementations that cite Appendix D.2, and
    /// the test below checks the SHA-1), and what JMRTD does. A CCCD's document
    /// number is 9 digits (the last 9 of the 12-digit ID), so this never
    /// arises there.
    pub fn mrz_information(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(MAX_DOCUMENT_NUMBER_LEN + 15));
        out.extend_from_slice(self.document_number.as_bytes());
        while out.len() < DOCUMENT_NUMBER_FIELD_LEN {
            out.push(b'<');
        }
        // Only MRZ characters get here (see the type's docs), so this is a digit.
        let cd = check_digit(&out).unwrap_or(b'<');
        out.push(cd);
        for date in [&self.date_of_birth, &self.date_of_expiry] {
            out.extend_from_slice(date.as_bytes());
            out.push(check_digit(date.as_bytes()).unwrap_or(b'<'));
        }
        out
    }
}

fn validate_key_date(value: &str, field: &'static str) -> Result<(), InputError> {
    let got = value.chars().count();
    if got != 6 {
        return Err(InputError::Length { field, expected: 6, got });
    }
    if let Some(position) = value.chars().position(|c| !c.is_ascii_digit()) {
        return Err(InputError::Character { field, position });
    }
    let (_, month, day) = parse_yymmdd(value).ok_or(InputError::Invalid { field, reason: "not a date" })?;
    // The century is unknown here: allow 29 February.
    if day > days_in_month(2000, month) {
        return Err(InputError::Invalid { field, reason: "not a date" });
    }
    Ok(())
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0')))
}

/// `YYMMDD` → (yy, month 1-12, day 1-31); no calendar check yet.
fn parse_yymmdd(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 6 {
        return None;
    }
    let yy = i32::try_from(digits(sub(b, 0, 2))?).ok()?;
    let month = digits(sub(b, 2, 4))?;
    let day = digits(sub(b, 4, 6))?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((yy, month, day))
}

fn iso(year: i32, month: u32, day: u32) -> Option<String> {
    if !(0..=9999).contains(&year) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// A date of birth `YYMMDD` as `YYYY-MM-DD`. A birth date lies in the past:
/// the century is the one that puts it on or before `today` (year, month,
/// day) and at most 100 years back. `None` if `yymmdd` is not six digits or
/// not a real calendar date in that century (29 February of a non-leap year).
pub fn birth_date_iso(yymmdd: &str, today: (i32, u32, u32)) -> Option<String> {
    let (yy, month, day) = parse_yymmdd(yymmdd)?;
    let mut year = today.0.div_euclid(100) * 100 + yy;
    if (year, month, day) > today {
        year -= 100;
    }
    iso(year, month, day)
}

/// A date of expiry `YYMMDD` as `YYYY-MM-DD`. An expiry date may lie up to
/// about 50 years ahead: `YY` maps to the one year in
/// `[today - 50 years, today + 50 years)`. `None` if not six digits or not a
/// real calendar date in that century.
pub fn expiry_date_iso(yymmdd: &str, today: (i32, u32, u32)) -> Option<String> {
    let (yy, month, day) = parse_yymmdd(yymmdd)?;
    let (ty, tm, td) = today;
    let mut year = ty.div_euclid(100) * 100 + yy;
    if (year, month, day) >= (ty + 50, tm, td) {
        year -= 100;
    } else if (year, month, day) < (ty - 50, tm, td) {
        year += 100;
    }
    iso(year, month, day)
}

/// A full date `YYYYMMDD` (as in DG11 `5F2B`, DG12 `5F26`) as `YYYY-MM-DD`, or
/// `None` if it is not eight digits forming a real calendar date.
pub fn full_date_iso(yyyymmdd: &str) -> Option<String> {
    let b = yyyymmdd.as_bytes();
    if b.len() != 8 {
        return None;
    }
    let year = i32::try_from(digits(sub(b, 0, 4))?).ok()?;
    iso(year, digits(sub(b, 4, 6))?, digits(sub(b, 6, 8))?)
}

/// Today's date in UTC as (year, month, day), from the system clock; the
/// `today` argument of [`birth_date_iso`] and [`expiry_date_iso`].
pub fn today_utc() -> (i32, u32, u32) {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0))
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `civil_from_days`, public-domain algorithm; written out here to avoid a
/// date crate for one conversion).
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (i32::try_from(year).unwrap_or(0), month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use digest::Digest;
    use proptest::prelude::*;

    fn cd(s: &str) -> char {
        char::from(check_digit(s.as_bytes()).unwrap())
    }

    fn pad(s: &str, len: usize) -> String {
        format!("{s:<<len$}")
    }

    /// A TD1 MRZ with every check digit computed.
    #[allow(clippy::too_many_arguments)]
    fn td1(
        code: &str,
        state: &str,
        doc: &str,
        opt1: &str,
        dob: &str,
        sex: char,
        doe: &str,
        nat: &str,
        opt2: &str,
        name: &str,
    ) -> String {
        let (doc9, doc_cd, opt1) = if doc.len() > 9 {
            (doc[..9].to_string(), '<', format!("{}{}<{}", &doc[9..], cd(doc), opt1))
        } else {
            (pad(doc, 9), cd(&pad(doc, 9)), opt1.to_string())
        };
        let l1 = format!("{}{}{}{}{}", pad(code, 2), pad(state, 3), doc9, doc_cd, pad(&opt1, 15));
        let mut l2 = format!("{dob}{}{sex}{doe}{}{}{}", cd(dob), cd(doe), pad(nat, 3), pad(opt2, 11));
        let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
        l2.push(cd(&composite));
        format!("{l1}\n{l2}\n{}", pad(name, 30))
    }

    const CCCD: &str = "IDVNM0930470641001093047064<<2\n9301054M3301052VNM<<<<<<<<<<<8\nUNG<<HOANG<HIEP<<<<<<<<<<<<<<<";
    const TD3: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";
    const TD2: &str = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6";
    /// The long-document-number example of ICAO 9303-5 (quoted by several readers).
    const TD1_LONG: &str =
        "I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\nSTEVENSON<<PETER<JOHN<<<<<<<<<";

    #[test]
    fn check_digits_of_the_icao_specimens() {
        // ICAO 9303-3 §4.9 example and the TD3 specimen of 9303-4 Appendix A.
        assert_eq!(check_digit(b"520727"), Some(b'3'));
        assert_eq!(check_digit(b"L898902C3"), Some(b'6'));
        assert_eq!(check_digit(b"740812"), Some(b'2'));
        assert_eq!(check_digit(b"120415"), Some(b'9'));
        assert_eq!(check_digit(b"ZE184226B<<<<<"), Some(b'1'));
        assert_eq!(check_digit(b"L898902C3674081221204159ZE184226B<<<<<1"), Some(b'0'));
        assert_eq!(check_digit(b""), Some(b'0'));
        assert_eq!(check_digit(b"ab"), None);
        assert_eq!(check_digit(b"12 4"), None);
    }

    #[test]
    fn cccd_sample_parses_with_every_field() {
        let m = Mrz::parse(CCCD).unwrap();
        assert_eq!(m.format, MrzFormat::Td1);
        assert_eq!(m.document_code, "ID");
        assert_eq!(m.issuing_state, "VNM");
        assert_eq!(m.document_number, "093047064");
        assert_eq!(m.optional_data, "001093047064<<2");
        assert_eq!(m.date_of_birth, "930105");
        assert_eq!(m.sex, "M");
        assert_eq!(m.date_of_expiry, "330105");
        assert_eq!(m.nationality, "VNM");
        assert_eq!(m.optional_data_2.as_deref(), Some(""));
        assert_eq!(m.surname, "UNG");
        assert_eq!(m.given_names, "HOANG HIEP");
        assert_eq!(m.lines.len(), 3);
        assert_eq!(m.lines[1], "9301054M3301052VNM<<<<<<<<<<<8");
        assert_eq!(m.text().as_str(), CCCD);
        assert_eq!(&*m.bac_key().mrz_information(), b"093047064193010543301052");
        // Observation: the CCCD's last optional-data digit is the check digit of the 12-digit ID.
        assert_eq!(cd("001093047064"), '2');
    }

    #[test]
    fn td3_specimen() {
        let (m, failures) = Mrz::parse_unchecked(TD3).unwrap();
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(m.format, MrzFormat::Td3);
        assert_eq!(m.document_code, "P");
        assert_eq!(m.issuing_state, "UTO");
        assert_eq!(m.surname, "ERIKSSON");
        assert_eq!(m.given_names, "ANNA MARIA");
        assert_eq!(m.document_number, "L898902C3");
        assert_eq!(m.nationality, "UTO");
        assert_eq!(m.date_of_birth, "740812");
        assert_eq!(m.sex, "F");
        assert_eq!(m.date_of_expiry, "120415");
        assert_eq!(m.optional_data, "ZE184226B");
        assert_eq!(m.optional_data_2, None);
        // Check digits recomputed, not taken from memory.
        let l2 = TD3.lines().nth(1).unwrap();
        assert_eq!(cd(&l2[0..9]), l2.chars().nth(9).unwrap());
        assert_eq!(cd(&l2[13..19]), l2.chars().nth(19).unwrap());
        assert_eq!(cd(&l2[21..27]), l2.chars().nth(27).unwrap());
        assert_eq!(cd(&l2[28..42]), l2.chars().nth(42).unwrap());
        assert_eq!(cd(&format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43])), l2.chars().nth(43).unwrap());
        // The same, as one line of 88.
        let one = Mrz::parse(&TD3.replace('\n', "")).unwrap();
        assert_eq!(one, m);
    }

    #[test]
    fn td3_empty_personal_number_may_have_filler_check_digit() {
        let td3 = |personal_cd: char| {
            let l2 = format!("L898902C36UTO7408122F1204159{}{personal_cd}", "<".repeat(14));
            let composite = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43]);
            format!("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n{l2}{}", cd(&composite))
        };
        assert_eq!(Mrz::parse(&td3('<')).unwrap().optional_data, "");
        assert_eq!(Mrz::parse(&td3('0')).unwrap().optional_data, "");
        assert_eq!(Mrz::parse(&td3('1')), Err(InputError::CheckDigit { field: field::OPTIONAL_DATA }));
    }

    #[test]
    fn td2_specimen() {
        // ICAO 9303-6 Appendix A; digits recomputed.
        let l2 = TD2.lines().nth(1).unwrap();
        assert_eq!(cd(&l2[0..9]), '7');
        assert_eq!(cd(&format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..35])), '6');
        let m = Mrz::parse(TD2).unwrap();
        assert_eq!(m.format, MrzFormat::Td2);
        assert_eq!(m.document_code, "I");
        assert_eq!(m.document_number, "D23145890");
        assert_eq!(m.surname, "ERIKSSON");
        assert_eq!(m.given_names, "ANNA MARIA");
        assert_eq!(m.date_of_birth, "740812");
        assert_eq!(m.date_of_expiry, "120415");
        assert_eq!(m.sex, "F");
        assert_eq!(m.optional_data, "");
        assert_eq!(m.optional_data_2, None);
        assert_eq!(Mrz::parse(&TD2.replace('\n', "")).unwrap(), m);
    }

    #[test]
    fn td2_long_document_number() {
        // 9303-11 Appendix D.2's TD2 with a 12-character number.
        let mrz = "I<UTOSTEVENSON<<PETER<JOHN<<<<<<<<<<\nD23145890<UTO3407127M95071227349<<<8";
        let m = Mrz::parse(mrz).unwrap();
        assert_eq!(m.document_number, "D23145890734");
        assert_eq!(m.optional_data, "");
        assert_eq!(m.sex, "M");
        assert_eq!(m.given_names, "PETER JOHN");
    }

    #[test]
    fn td1_long_document_number() {
        let m = Mrz::parse(TD1_LONG).unwrap();
        assert_eq!(m.document_number, "D23145890734");
        assert_eq!(m.optional_data, "");
        assert_eq!(m.date_of_birth, "340712");
        assert_eq!(m.surname, "STEVENSON");
        // Constructed: a 13-character number with optional data after the overflow.
        let mrz = td1("I", "UTO", "AB1234567XY89", "OPT", "850101", 'F', "300101", "UTO", "X1", "DOE<<JANE");
        let m = Mrz::parse(&mrz).unwrap();
        assert_eq!(m.document_number, "AB1234567XY89");
        assert_eq!(m.optional_data, "OPT");
        assert_eq!(m.optional_data_2.as_deref(), Some("X1"));
        let info = m.bac_key().mrz_information();
        assert_eq!(
            &*info,
            format!("AB1234567XY89{}850101{}300101{}", cd("AB1234567XY89"), cd("850101"), cd("300101")).as_bytes()
        );
        // Corrupt the overflow check digit: a document-number failure.
        let l1 = mrz.lines().next().unwrap();
        let bad_cd = if l1.as_bytes()[19] == b'0' { '1' } else { '0' };
        let bad = format!("{}{}{}", &mrz[..19], bad_cd, &mrz[20..]);
        let (_, failures) = Mrz::parse_unchecked(&bad).unwrap();
        assert!(failures.contains(&field::DOCUMENT_NUMBER), "{failures:?}");
        // A filler check digit with no overflow behind it.
        let no_overflow = td1("I", "UTO", "123456789", "", "850101", 'F', "300101", "UTO", "", "DOE");
        let broken = format!("{}<{}", &no_overflow[..14], &no_overflow[15..]);
        let (m, failures) = Mrz::parse_unchecked(&broken).unwrap();
        assert_eq!(m.document_number, "123456789");
        assert!(failures.contains(&field::DOCUMENT_NUMBER));
    }

    #[test]
    fn demo_cccd_from_api_md() {
        let mrz = td1(
            "ID",
            "VNM",
            "095012345",
            &format!("001095012345<<{}", cd("001095012345")),
            "950312",
            'M',
            "350312",
            "VNM",
            "",
            "NGUYEN<<VAN<AN",
        );
        assert_eq!(mrz.lines().next().unwrap(), "IDVNM0950123455001095012345<<6");
        assert_eq!(mrz.lines().nth(1).unwrap(), "9503124M3503122VNM<<<<<<<<<<<0");
        let m = Mrz::parse(&mrz).unwrap();
        assert_eq!(m.document_number, "095012345");
        assert_eq!(m.optional_data, "001095012345<<6");
        assert_eq!(m.surname, "NGUYEN");
        assert_eq!(m.given_names, "VAN AN");
        assert_eq!(m.sex, "M");
        assert_eq!(m.nationality, "VNM");
        let today = (2026, 1, 15);
        assert_eq!(birth_date_iso(&m.date_of_birth, today).as_deref(), Some("1995-03-12"));
        assert_eq!(expiry_date_iso(&m.date_of_expiry, today).as_deref(), Some("2035-03-12"));
        let key = BacKey::new("095012345", "950312", "350312").unwrap();
        assert_eq!(key, m.bac_key());
        assert_eq!(&*key.mrz_information(), b"095012345595031243503122");
    }

    #[test]
    fn input_forms_are_tolerated() {
        let expected = Mrz::parse(CCCD).unwrap();
        for input in [
            CCCD.replace('\n', "\r\n"),
            format!("  \n{CCCD}\n\n"),
            format!("\t{}  \n {} \n{}\r\n", &CCCD[..30], &CCCD[31..61], &CCCD[62..]),
            CCCD.replace('\n', ""),
        ] {
            assert_eq!(Mrz::parse(&input).unwrap(), expected, "{input:?}");
        }
    }

    #[test]
    fn length_errors() {
        let short = CCCD.replacen("<<2", "<2", 1);
        assert_eq!(Mrz::parse(&short), Err(InputError::Length { field: "line 1", expected: 30, got: 29 }));
        let long_line2 = CCCD.replacen("VNM<", "VNM<<", 1);
        assert_eq!(Mrz::parse(&long_line2), Err(InputError::Length { field: "line 2", expected: 30, got: 31 }));
        let td3_short = TD3.replacen("<10", "10", 1);
        assert_eq!(Mrz::parse(&td3_short), Err(InputError::Length { field: "line 2", expected: 44, got: 43 }));
        assert!(matches!(Mrz::parse(""), Err(InputError::Invalid { field: "mrz", .. })));
        assert!(matches!(Mrz::parse("ABC"), Err(InputError::Invalid { field: "mrz", .. })));
        assert!(matches!(Mrz::parse("A\nB\nC\nD"), Err(InputError::Invalid { field: "mrz", .. })));
        assert!(matches!(Mrz::parse(&"<".repeat(300)), Err(InputError::Invalid { field: "mrz", .. })));
    }

    #[test]
    fn character_errors_name_line_and_position() {
        let lower = CCCD.replacen("UNG", "UnG", 1);
        assert_eq!(Mrz::parse(&lower), Err(InputError::Character { field: "line 3", position: 1 }));
        let space = CCCD.replacen("VNM<<<", "VNM <<", 1);
        assert_eq!(Mrz::parse(&space), Err(InputError::Character { field: "line 2", position: 18 }));
        let accent = CCCD.replacen("HOANG", "HOÀNG", 1);
        assert_eq!(Mrz::parse(&accent), Err(InputError::Character { field: "line 3", position: 7 }));
        let one_line = CCCD.replace('\n', "").replacen("IDV", "IDv", 1);
        assert_eq!(Mrz::parse(&one_line), Err(InputError::Character { field: "mrz", position: 2 }));
        let sex = CCCD.replacen("4M33", "4Q33", 1);
        assert_eq!(Mrz::parse(&sex), Err(InputError::Character { field: "sex", position: 7 }));
        let dob = CCCD.replacen("930105", "93A105", 1);
        assert_eq!(Mrz::parse(&dob), Err(InputError::Character { field: "date_of_birth", position: 2 }));
    }

    #[test]
    fn each_check_digit_names_its_field() {
        // CCCD line 1 position 15 is the document number's check digit, etc.
        let cases = [
            ("0930470641001", "0930470640001", field::DOCUMENT_NUMBER),
            ("9301054M", "9301055M", field::DATE_OF_BIRTH),
            ("3301052VNM", "3301053VNM", field::DATE_OF_EXPIRY),
            ("<<<8\nUNG", "<<<9\nUNG", field::COMPOSITE),
        ];
        for (from, to, field) in cases {
            let bad = CCCD.replacen(from, to, 1);
            assert_eq!(Mrz::parse(&bad), Err(InputError::CheckDigit { field }), "{field}");
            let (m, failures) = Mrz::parse_unchecked(&bad).unwrap();
            assert!(failures.contains(&field));
            assert_eq!(m.surname, "UNG");
        }
        // A changed data character breaks the field's digit and the composite.
        let (_, failures) = Mrz::parse_unchecked(&CCCD.replacen("930105", "930106", 1)).unwrap();
        assert_eq!(failures, vec![field::DATE_OF_BIRTH, field::COMPOSITE]);
        // Composite only: optional data of line 1 is covered by nothing else.
        let (_, failures) = Mrz::parse_unchecked(&CCCD.replacen("<<2", "<<3", 1)).unwrap();
        assert_eq!(failures, vec![field::COMPOSITE]);
        // TD3 personal number.
        let bad = TD3.replacen("B<<<<<10", "B<<<<<20", 1);
        let (_, failures) = Mrz::parse_unchecked(&bad).unwrap();
        assert_eq!(failures, vec![field::OPTIONAL_DATA, field::COMPOSITE]);
        // A filler where a check digit belongs (TD3 has no overflow rule).
        let bad = TD3.replacen("L898902C36", "L898902C3<", 1);
        assert_eq!(Mrz::parse(&bad), Err(InputError::CheckDigit { field: field::DOCUMENT_NUMBER }));
    }

    #[test]
    fn names_split_on_double_filler() {
        assert_eq!(names(b"UNG<<HOANG<HIEP<<<<"), ("UNG".into(), "HOANG HIEP".into()));
        assert_eq!(names(b"VAN<DER<BERG<<JAN<<<"), ("VAN DER BERG".into(), "JAN".into()));
        assert_eq!(names(b"MONONYM<<<<<<"), ("MONONYM".into(), String::new()));
        assert_eq!(names(b"SINGLE<NAME"), ("SINGLE NAME".into(), String::new()));
        assert_eq!(names(b"<<<<<<"), (String::new(), String::new()));
    }

    #[test]
    fn unspecified_sex_is_x() {
        let mrz = td1("ID", "UTO", "X1", "", "850101", '<', "300101", "UTO", "", "A<<B");
        assert_eq!(Mrz::parse(&mrz).unwrap().sex, "X");
    }

    #[test]
    fn bac_key_seed_of_appendix_d() {
        let key = BacKey::new("L898902C", "690806", "940623").unwrap();
        assert_eq!(&*key.mrz_information(), b"L898902C<369080619406236");
        let seed = sha1::Sha1::digest(&*key.mrz_information());
        assert_eq!(hex::encode_upper(&seed[..16]), "239AB9CB282DAF66231DC5A4DF6BFBAE");
        // Trailing fillers in the input change nothing.
        assert_eq!(BacKey::new("L898902C<", "690806", "940623").unwrap(), key);
    }

    #[test]
    fn bac_key_seed_of_a_long_document_number() {
        // 9303-11 Appendix D.2 (long number), as quoted by two independent readers.
        let m = Mrz::parse(TD1_LONG).unwrap();
        let info = m.bac_key().mrz_information();
        assert_eq!(&*info, b"D23145890734934071279507122");
        let seed = sha1::Sha1::digest(&*info);
        assert_eq!(hex::encode(&seed[..16]), "b366ad857ddca2b08c0e299811714730");
        assert_eq!(BacKey::new("D23145890734", "340712", "950712").unwrap(), m.bac_key());
    }

    #[test]
    fn bac_key_validation() {
        assert!(BacKey::new("093047064", "930105", "330105").is_ok());
        assert!(BacKey::new("A", "000229", "991231").is_ok());
        assert_eq!(
            BacKey::new("", "930105", "330105"),
            Err(InputError::Invalid { field: "document_number", reason: "empty" })
        );
        assert_eq!(
            BacKey::new("<<<", "930105", "330105"),
            Err(InputError::Invalid { field: "document_number", reason: "empty" })
        );
        assert_eq!(
            BacKey::new("ab12", "930105", "330105"),
            Err(InputError::Character { field: "document_number", position: 0 })
        );
        assert_eq!(
            BacKey::new(&"1".repeat(24), "930105", "330105"),
            Err(InputError::Length { field: "document_number", expected: MAX_DOCUMENT_NUMBER_LEN, got: 24 })
        );
        assert_eq!(
            BacKey::new("1", "93010", "330105"),
            Err(InputError::Length { field: "date_of_birth", expected: 6, got: 5 })
        );
        assert_eq!(
            BacKey::new("1", "9301O5", "330105"),
            Err(InputError::Character { field: "date_of_birth", position: 4 })
        );
        for bad in ["931305", "930005", "930100", "930132", "930431", "930230"] {
            assert!(
                matches!(BacKey::new("1", bad, "330105"), Err(InputError::Invalid { field: "date_of_birth", .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            BacKey::new("1", "930105", "331305"),
            Err(InputError::Invalid { field: "date_of_expiry", .. })
        ));
    }

    #[test]
    fn debug_prints_no_personal_data() {
        let m = Mrz::parse(CCCD).unwrap();
        let s = format!("{m:?} {:?}", m.bac_key());
        for secret in ["UNG", "HOANG", "093047064", "930105", "330105", "VNM"] {
            assert!(!s.contains(secret), "{s}");
        }
    }

    #[test]
    fn birth_dates_resolve_to_the_past() {
        let today = (2025, 6, 15);
        assert_eq!(birth_date_iso("930105", today).as_deref(), Some("1993-01-05"));
        assert_eq!(birth_date_iso("250615", today).as_deref(), Some("2025-06-15"));
        assert_eq!(birth_date_iso("250616", today).as_deref(), Some("1925-06-16"));
        assert_eq!(birth_date_iso("000229", today).as_deref(), Some("2000-02-29"));
        assert_eq!(birth_date_iso("960229", today).as_deref(), Some("1996-02-29"));
        assert_eq!(birth_date_iso("970229", today), None);
        // 29 February 2024 is past; 29 February 2025 does not exist.
        assert_eq!(birth_date_iso("240229", today).as_deref(), Some("2024-02-29"));
        assert_eq!(birth_date_iso("250229", (2025, 12, 1)), None);
        assert_eq!(birth_date_iso("930431", today), None);
        assert_eq!(birth_date_iso("93<<05", today), None);
        assert_eq!(birth_date_iso("9301051", today), None);
    }

    #[test]
    fn expiry_dates_resolve_within_fifty_years() {
        let today = (2025, 6, 15);
        assert_eq!(expiry_date_iso("330105", today).as_deref(), Some("2033-01-05"));
        assert_eq!(expiry_date_iso("120415", today).as_deref(), Some("2012-04-15"));
        assert_eq!(expiry_date_iso("750614", today).as_deref(), Some("2075-06-14"));
        assert_eq!(expiry_date_iso("750615", today).as_deref(), Some("1975-06-15"));
        assert_eq!(expiry_date_iso("990101", today).as_deref(), Some("1999-01-01"));
        assert_eq!(expiry_date_iso("280229", today).as_deref(), Some("2028-02-29"));
        assert_eq!(expiry_date_iso("270229", today), None);
        // Across a century boundary.
        assert_eq!(expiry_date_iso("050101", (2095, 1, 1)).as_deref(), Some("2105-01-01"));
        // 00 seen from 2070 is 2100, which is not a leap year.
        assert_eq!(expiry_date_iso("000229", (2070, 1, 1)), None);
        assert_eq!(expiry_date_iso("000229", (1990, 1, 1)).as_deref(), Some("2000-02-29"));
    }

    #[test]
    fn full_dates_and_today() {
        assert_eq!(full_date_iso("19740812").as_deref(), Some("1974-08-12"));
        assert_eq!(full_date_iso("20000229").as_deref(), Some("2000-02-29"));
        assert_eq!(full_date_iso("19000229"), None);
        assert_eq!(full_date_iso("1974081"), None);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        let (y, m, d) = today_utc();
        assert!(y >= 2025 && (1..=12).contains(&m) && (1..=31).contains(&d));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,300}") {
            let _ = Mrz::parse(&s);
            let _ = Mrz::parse_unchecked(&s);
        }

        #[test]
        fn parse_never_panics_on_well_shaped_lines(
            td1 in "[A-Z0-9<]{30}\n[A-Z0-9<]{30}\n[A-Z0-9<]{30}",
            td2 in "[A-Z0-9<]{36}\n[A-Z0-9<]{36}",
            td3 in "[A-Z0-9<]{44}\n[A-Z0-9<]{44}",
        ) {
            for s in [td1, td2, td3] {
                if let Ok((m, _)) = Mrz::parse_unchecked(&s) {
                    let _ = m.bac_key().mrz_information();
                }
            }
        }

        #[test]
        fn parse_never_panics_on_mrz_alphabet(s in "[A-Z0-9<\n]{0,100}") {
            let _ = Mrz::parse_unchecked(&s);
        }

        #[test]
        fn any_valid_td1_round_trips(doc in "[A-Z0-9]{1,20}", dob in "[0-9]{6}", doe in "[0-9]{6}", sex in "[MF<]") {
            let opt1 = if doc.len() > 9 { "" } else { "ABC" };
            let mrz = td1("ID", "UTO", &doc, opt1, &dob, sex.chars().next().unwrap(), &doe, "UTO", "", "A<<B");
            let m = Mrz::parse(&mrz).unwrap();
            prop_assert_eq!(&m.document_number, &doc);
            prop_assert_eq!(m.optional_data.as_str(), opt1);
        }

        #[test]
        fn date_helpers_never_panic(s in ".{0,10}", y in -10_000i32..10_000, mo in 0u32..14, d in 0u32..33) {
            let _ = birth_date_iso(&s, (y, mo, d));
            let _ = expiry_date_iso(&s, (y, mo, d));
            let _ = full_date_iso(&s);
        }
    }
}
