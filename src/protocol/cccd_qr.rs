//! The QR code on the front of the Vietnamese chip ID card (CCCD), and the BAC
//! keys that can be derived from it.
//!
//! The card has a QR code on its front (card design of Circular 06/2021/TT-BCA)
//! and an ICAO 9303 TD1 MRZ on its back. The QR text is not an ICAO format; its
//! layout is known from public CCCD reader projects. A kiosk that scans the QR
//! gets the CAN for PACE (the last 6 digits of the ID, [`CccdQr::can`]) — the
//! first thing to try — and, as a fallback, almost everything BAC needs: the
//! MRZ document number is the last 9 digits of the ID ([`CccdQr::document_number`])
//! and the date of birth is in the QR. Only the date of expiry is missing; it
//! follows from the dates of birth and issue by the renewal rule below
//! ([`expiry_candidates`], [`CccdQr::bac_keys`]).
//!
//! # The QR text
//! ```text
//! qr      ::= id '|' old_id '|' name '|' dob '|' sex '|' address '|' issued ( '|' extra )*
//! id      ::= 12 digits                      personal ID number (số định danh cá nhân)
//! old_id  ::= '' | 9 digits | 12 digits      the old ID (CMND); empty gives `||`
//! name    ::= text, not empty                full name with diacritics (UTF-8)
//! dob     ::= ddMMyyyy                       date of birth
//! sex     ::= text                           `Nam` (male) / `Nữ` (female)
//! address ::= text                           place of residence
//! issued  ::= ddMMyyyy                       date of issue
//! extra   ::= text                           kept as is: some cards may add fields
//! text    ::= any characters but `|` and control characters
//! ```
//! The whole text is trimmed of surrounding whitespace (CR/LF included) and a
//! leading byte-order mark; each field is trimmed of surrounding spaces. The
//! input is capped at [`MAX_QR_INPUT_LEN`] bytes before any other work. There
//! is no expiry date in the QR. Old 12-digit CMNDs existed (issued 2012–2016
//! in some provinces), so a 12-digit old ID is accepted besides the usual 9.
//!
//! # The ID number
//! Decree 137/2015/ND-CP art. 13 and Circular 07/2016/TT-BCA art. 7:
//! ```text
//! PPP G YY RRRRRR    PPP province (or country) of birth registration, G century
//!                    and sex, YY last two digits of the birth year, RRRRRR random
//!
//! G:  0 male / 1 female   born 1900-1999 (20th century)
//!     2 male / 3 female   born 2000-2099 (21st century)
//!     4 male / 5 female   born 2100-2199
//!     6 male / 7 female   born 2200-2299
//!     8 male / 9 female   born 2300-2399
//! ```
//! (0/1 and 2/3 are confirmed by several independent public sources; the rest
//! follows the same pattern and is stated in the same way by them.) A QR whose
//! ID disagrees with its date of birth or sex is still accepted —
//! [`CccdQr::warnings`] lists the disagreements — because PACE with the CAN
//! needs only the ID, and a rejected QR would block that read too.
//!
//! # Expiry date from the QR (for a BAC fallback)
//! Cards must be renewed at the ages of 25, 40 and 60 under the Law on
//! Citizen Identification 59/2014/QH13 art. 21, and at 14, 25, 40 and 60 under
//! the Law on Identification 26/2023/QH15 art. 21 (in force 2024-07-01). Under
//! both, a card issued, renewed or re-issued within 2 years before a renewal
//! age stays valid until the next one; after 60 there is no next one, so a
//! card issued at 58 or older never expires. The card expires on the holder's
//! birthday at that age: born 1993-01-05 → expires 2033-01-05; the demo card
//! (born 1995-03-12, issued 2021-06-01) → 2035-03-12.
//!
//! As implemented ([`expiry_candidates`]):
//! - "Within 2 years before age M" means issued on or after the birthday at
//!   M − 2 (public explanations of the 2023 law say "from full 23, 38 and 58
//!   years"; in Vietnamese usage one is *đủ* N years old from the Nth
//!   birthday). So the expiry age is the first renewal age M such that the card
//!   was issued *before* the birthday at M − 2; if there is none, no expiry.
//! - Which law: a card issued before 2024-07-01 uses the 2014 ages (no 14), one
//!   issued on or after it the 2023 ages. The 2023 law's transitional
//!   provisions keep CCCDs issued before it valid until the date printed on
//!   them, which the 2014 rule computed. The only case the two laws decide
//!   differently is a card issued before the age of 12, which the 2014 law
//!   did not allow (cards from 14); such a card dated before 2024-07-01 is
//!   taken to expire at 25 with 14 as the alternative.
//! - 29 February: a holder born on 29 February has a birthday in a common
//!   year on **28 February** here (by analogy with Civil Code 2015 art. 148,
//!   which ends a month-based period missing its day on the last day of the
//!   month; it is also what most date libraries' "add years" gives). The
//!   other reading, 1 March, is offered right after it as the next candidate.
//!   The same 28 February is used for the ages at the 2-year window boundary.
//! - Candidates, in the order to try: the computed expiry (and its 1 March
//!   variant); then the adjacent renewal ages, the one whose 2-year boundary
//!   lies nearer the issue date first — a card issued near the boundary of the
//!   window may have been computed the other way. Dates on or before the date
//!   of issue are left out (a card cannot expire before it was issued), as are
//!   duplicates.
//!
//! UNCERTAIN, by what is known publicly:
//! - What the MRZ of a card that never expires holds. Nobody documents it for
//!   the CCCD. [`ExpiryGuess::NoExpiry`] tries [`NO_EXPIRY_MRZ_VALUES`]: six
//!   fillers `<<<<<<` (check digit 0; what Moldovan ID cards for seniors do,
//!   and the ICAO 9303-3 filler for an absent value) and `991231` (a common
//!   "indefinite" stand-in).
//! - The exact boundary days (issued on the birthday at M − 2 exactly) and the
//!   29 February convention: covered by trying the adjacent candidates.
//! - Whether the card office used the issue date printed in the QR (a re-issued
//!   card may carry the new date): covered the same way.
//! - The newer "Căn cước" cards (issued from 2024-07-01) are assumed to carry the
//!   same QR layout.
//!
//! # Personal data
//! [`CccdQr`] holds personal data: it is wiped on drop and its `Debug` prints
//! none of it; [`Date`]'s `Debug` prints nothing either. Errors and warnings name
//! fields, never values.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::protocol::error::InputError;
use crate::protocol::mrz::{self, BacKey, Mrz};

/// The longest QR text [`parse`] looks at, in bytes. A real CCCD QR holds
/// about 100–250 bytes (the address is the longest field); longer input is
/// rejected before any other work.
pub const MAX_QR_INPUT_LEN: usize = 1024;
/// The number of `|`-separated fields a CCCD QR has at least.
pub const MIN_FIELDS: usize = 7;
/// Digits in the personal ID number.
pub const ID_NUMBER_LEN: usize = 12;
/// Digits in the old ID (CMND) number; [`LONG_OLD_ID_NUMBER_LEN`] is accepted too.
pub const OLD_ID_NUMBER_LEN: usize = 9;
/// Digits in the 12-digit CMND issued by some provinces between 2012 and 2016.
pub const LONG_OLD_ID_NUMBER_LEN: usize = 12;
/// Digits in the CAN: the last 6 of the ID number.
pub const CAN_LEN: usize = 6;
/// Characters in the MRZ document number: the last 9 digits of the ID number.
pub const DOCUMENT_NUMBER_LEN: usize = 9;
/// Renewal ages under the Law on Citizen Identification 59/2014/QH13, art. 21.
pub const RENEWAL_AGES_2014: [u16; 3] = [25, 40, 60];
/// Renewal ages under the Law on Identification 26/2023/QH15, art. 21.
pub const RENEWAL_AGES_2023: [u16; 4] = [14, 25, 40, 60];
/// A card issued this many years (or fewer) before a renewal age is valid until the next one.
pub const RENEWAL_WINDOW_YEARS: u16 = 2;
/// The day the Law on Identification 26/2023/QH15 came into force.
pub const LAW_2023_IN_FORCE: Date = Date { year: 2024, month: 7, day: 1 };
/// What [`ExpiryGuess::NoExpiry`] tries in the MRZ date-of-expiry field, in
/// order (UNCERTAIN: see the module docs).
pub const NO_EXPIRY_MRZ_VALUES: [&str; 2] = ["<<<<<<", "991231"];

/// Field names used in errors.
pub mod field {
    /// The QR text as a whole.
    pub const QR: &str = "cccd_qr";
    /// The 12-digit ID number.
    pub const ID_NUMBER: &str = "id_number";
    /// The old ID (CMND) number.
    pub const OLD_ID_NUMBER: &str = "old_id_number";
    /// The full name.
    pub const FULL_NAME: &str = "full_name";
    /// The date of birth.
    pub const DATE_OF_BIRTH: &str = "date_of_birth";
    /// The sex.
    pub const SEX: &str = "sex";
    /// The address (place of residence).
    pub const ADDRESS: &str = "address";
    /// The date of issue.
    pub const DATE_OF_ISSUE: &str = "date_of_issue";
    /// A field after the seventh.
    pub const EXTRA: &str = "extra_field";
}

/// A calendar date (proleptic Gregorian, years 1–9999). Always valid: build
/// one with [`Date::new`]. Its `Debug` prints nothing of it (dates of birth are
/// personal data); use [`Date::to_iso`] where the value is meant to be shown.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Zeroize)]
pub struct Date {
    // Field order matters: the derived ordering is chronological.
    year: u16,
    month: u8,
    day: u8,
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Date(<redacted>)")
    }
}

/// How a 29 February birthday falls in a common year.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LeapDay {
    /// On 28 February (the convention used here).
    Feb28,
    /// On 1 March (the alternative).
    Mar1,
}

impl Date {
    /// The date, or `None` if it is not a real calendar date in years 1–9999.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        ((1..=9999).contains(&year) && day >= 1 && day <= days_in_month(year, month)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }
    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }
    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// `YYYY-MM-DD` (ISO 8601), as the API gives dates.
    pub fn to_iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `YYMMDD`, as the MRZ and the BAC key hold dates.
    pub fn yymmdd(self) -> String {
        format!("{:02}{:02}{:02}", self.year % 100, self.month, self.day)
    }

    /// Parses `ddMMyyyy` (eight digits), the QR's date form. Errors name
    /// `field`: [`InputError::Length`], [`InputError::Character`] (0-based
    /// position), or [`InputError::Invalid`] "not a calendar date".
    pub fn parse_ddmmyyyy(text: &str, field: &'static str) -> Result<Date, InputError> {
        let got = text.chars().count();
        if got != 8 {
            return Err(InputError::Length { field, expected: 8, got });
        }
        if let Some(position) = text.chars().position(|c| !c.is_ascii_digit()) {
            return Err(InputError::Character { field, position });
        }
        let b = text.as_bytes();
        let number = |from: usize, to: usize| -> u16 {
            b.get(from..to).unwrap_or_default().iter().fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'))
        };
        let (day, month, year) = (number(0, 2), number(2, 4), number(4, 8));
        let (Ok(day), Ok(month)) = (u8::try_from(day), u8::try_from(month)) else {
            return Err(InputError::Invalid { field, reason: "not a calendar date" });
        };
        Date::new(year, month, day).ok_or(InputError::Invalid { field, reason: "not a calendar date" })
    }

    /// Days since 1970-01-01 (H. Hinnant's `days_from_civil`, a public-domain
    /// algorithm; written out to avoid a date crate for day differences).
    fn days(self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The birthday `years` after this date of birth; a 29 February birthday
    /// in a common year falls as `leap_day` says. `None` past year 9999.
    fn anniversary(self, years: u16, leap_day: LeapDay) -> Option<Date> {
        let year = self.year.checked_add(years)?;
        if self.month == 2 && self.day == 29 && !is_leap(year) {
            return match leap_day {
                LeapDay::Feb28 => Date::new(year, 2, 28),
                LeapDay::Mar1 => Date::new(year, 3, 1),
            };
        }
        Date::new(year, self.month, self.day)
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The data in a CCCD's QR code. Wiped on drop; its `Debug` prints none of it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct CccdQr {
    /// The 12-digit personal ID number: the CAN, the MRZ document number and
    /// the DG13 ID all come from it.
    pub id_number: String,
    /// The old ID (CMND), 9 or 12 digits; `None` when the QR has it empty.
    pub old_id_number: Option<String>,
    /// The full name, with diacritics, as printed.
    pub full_name: String,
    /// The date of birth: part of the BAC key.
    pub date_of_birth: Date,
    /// The sex as the QR writes it (`Nam` / `Nữ`).
    pub sex: String,
    /// The place of residence.
    pub address: String,
    /// The date of issue: with the date of birth, it gives the expiry date.
    pub date_of_issue: Date,
    /// Fields after the seventh, kept as given (some cards may add fields).
    pub extra_fields: Vec<String>,
}

impl fmt::Debug for CccdQr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CccdQr(<redacted>, {} extra fields)", self.extra_fields.len())
    }
}

/// A disagreement inside a QR that does not stop it from being used (see
/// [`CccdQr::warnings`]). Names what disagrees, never the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QrWarning {
    /// The ID's century digit (4th) puts the birth in another century than the date of birth.
    BirthCenturyMismatch,
    /// The ID's birth-year digits (5th–6th) differ from the date of birth's year.
    BirthYearMismatch,
    /// The ID's sex (4th digit even: male, odd: female) differs from the sex field.
    SexMismatch,
    /// The sex field is neither `Nam` nor `Nữ`, so it could not be checked.
    UnrecognisedSex,
    /// The date of issue is before the date of birth.
    IssuedBeforeBirth,
}

/// Parses the text of a CCCD's QR code (module docs for the grammar). Same as
/// [`CccdQr::parse`].
pub fn parse(text: &str) -> Result<CccdQr, InputError> {
    CccdQr::parse(text)
}

impl CccdQr {
    /// Parses the text of a CCCD's QR code (module docs for the grammar).
    ///
    /// Errors name the field: [`InputError::Invalid`] for the whole text
    /// (`"cccd_qr"`: too long, fewer than [`MIN_FIELDS`] fields), an empty
    /// name, or a date that is not a calendar date; [`InputError::Length`] for
    /// a number or date of the wrong length; [`InputError::Character`] (0-based
    /// position in the field) for a non-digit in a number or date, or a
    /// control character (newline, tab, ...) in a text field.
    pub fn parse(text: &str) -> Result<CccdQr, InputError> {
        if text.len() > MAX_QR_INPUT_LEN {
            return Err(InputError::Invalid { field: field::QR, reason: "longer than 1024 bytes" });
        }
        let text = text.trim().trim_start_matches('\u{feff}').trim();
        let parts: Vec<&str> = text.split('|').map(|p| p.trim_matches(' ')).collect();
        let [id, old, name, dob, sex, address, issued, extra @ ..] = parts.as_slice() else {
            return Err(InputError::Invalid { field: field::QR, reason: "fewer than 7 |-separated fields" });
        };
        let id_number = digits(id, field::ID_NUMBER, &[ID_NUMBER_LEN])?;
        let old_id_number = if old.is_empty() {
            None
        } else {
            Some(digits(old, field::OLD_ID_NUMBER, &[OLD_ID_NUMBER_LEN, LONG_OLD_ID_NUMBER_LEN])?)
        };
        let full_name = text_field(name, field::FULL_NAME)?;
        if full_name.is_empty() {
            return Err(InputError::Invalid { field: field::FULL_NAME, reason: "empty" });
        }
        let date_of_birth = Date::parse_ddmmyyyy(dob, field::DATE_OF_BIRTH)?;
        let sex = text_field(sex, field::SEX)?;
        let address = text_field(address, field::ADDRESS)?;
        let date_of_issue = Date::parse_ddmmyyyy(issued, field::DATE_OF_ISSUE)?;
        let extra_fields = extra.iter().map(|e| text_field(e, field::EXTRA)).collect::<Result<Vec<_>, _>>()?;
        Ok(CccdQr { id_number, old_id_number, full_name, date_of_birth, sex, address, date_of_issue, extra_fields })
    }

    /// The CAN for PACE: the last 6 digits of the ID number.
    pub fn can(&self) -> String {
        last_digits(&self.id_number, CAN_LEN)
    }

    /// The MRZ document number: the last 9 digits of the ID number (not the
    /// first 9, nor all 12, as some readers wrongly use).
    pub fn document_number(&self) -> String {
        last_digits(&self.id_number, DOCUMENT_NUMBER_LEN)
    }

    /// The disagreements between the ID number's structure (module docs) and
    /// the date of birth and sex, and an issue date before the birth. Empty
    /// for a consistent QR.
    pub fn warnings(&self) -> Vec<QrWarning> {
        let mut warnings = Vec::new();
        let digit = |i: usize| self.id_number.as_bytes().get(i).map(|b| u16::from(b.wrapping_sub(b'0')));
        if let (Some(code), Some(tens), Some(units)) = (digit(3), digit(4), digit(5)) {
            let century_start = 1900 + 100 * (code / 2);
            if self.date_of_birth.year() / 100 != century_start / 100 {
                warnings.push(QrWarning::BirthCenturyMismatch);
            }
            if self.date_of_birth.year() % 100 != tens * 10 + units {
                warnings.push(QrWarning::BirthYearMismatch);
            }
            match sex_code(&self.sex) {
                Some(sex) if sex != code % 2 => warnings.push(QrWarning::SexMismatch),
                Some(_) => {}
                None => warnings.push(QrWarning::UnrecognisedSex),
            }
        }
        if self.date_of_issue < self.date_of_birth {
            warnings.push(QrWarning::IssuedBeforeBirth);
        }
        warnings
    }

    /// The expiry dates to try, most likely first ([`expiry_candidates`] of
    /// the dates of birth and issue).
    pub fn expiry_candidates(&self) -> Vec<ExpiryGuess> {
        expiry_candidates(self.date_of_birth, self.date_of_issue)
    }

    /// BAC keys for this card in the order to try them: the document number
    /// (last 9 digits of the ID), the date of birth (`YYMMDD`) and each value
    /// of each of [`expiry_candidates`] in turn. Duplicates are left out.
    pub fn bac_keys(&self) -> Vec<BacKey> {
        let document_number = self.document_number();
        let date_of_birth = self.date_of_birth.yymmdd();
        let mut keys: Vec<BacKey> = Vec::new();
        for guess in self.expiry_candidates() {
            for date_of_expiry in guess.mrz_values() {
                if let Some(key) = bac_key(&document_number, &date_of_birth, &date_of_expiry)
                    && !keys.contains(&key)
                {
                    keys.push(key);
                }
            }
        }
        keys
    }
}

/// One guess at a card's date of expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryGuess {
    /// The card expires on this date.
    Date(Date),
    /// The card never expires (issued at 58 or older).
    NoExpiry,
}

impl ExpiryGuess {
    /// What the MRZ date-of-expiry field may hold for this guess: the date as
    /// `YYMMDD`, or each of [`NO_EXPIRY_MRZ_VALUES`] for [`ExpiryGuess::NoExpiry`].
    pub fn mrz_values(&self) -> Vec<String> {
        match self {
            ExpiryGuess::Date(date) => vec![date.yymmdd()],
            ExpiryGuess::NoExpiry => NO_EXPIRY_MRZ_VALUES.iter().map(|v| (*v).to_owned()).collect(),
        }
    }
}

/// Where a card's validity ends: at a renewal age, or never.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Milestone {
    Age(u16),
    Never,
}

/// Every milestone in order, for finding the neighbours of the computed one.
const ALL_MILESTONES: [Milestone; 5] =
    [Milestone::Age(14), Milestone::Age(25), Milestone::Age(40), Milestone::Age(60), Milestone::Never];

/// The expiry dates to try for a card with this date of birth and date of
/// issue, most likely first (the rule, its reasoning and what is UNCERTAIN:
/// module docs). Never empty for dates whose milestones fall before year 9999.
pub fn expiry_candidates(date_of_birth: Date, date_of_issue: Date) -> Vec<ExpiryGuess> {
    let renewal_ages: &[u16] = if date_of_issue >= LAW_2023_IN_FORCE { &RENEWAL_AGES_2023 } else { &RENEWAL_AGES_2014 };
    // The first renewal age whose 2-year window had not begun when the card was
    // issued; a window start past year 9999 has not begun either.
    let primary = renewal_ages
        .iter()
        .find(|&&age| {
            let window_start =
                age.checked_sub(RENEWAL_WINDOW_YEARS).and_then(|a| date_of_birth.anniversary(a, LeapDay::Feb28));
            window_start.is_none_or(|start| date_of_issue < start)
        })
        .map_or(Milestone::Never, |&age| Milestone::Age(age));

    let mut order = vec![primary];
    if let Some(i) = ALL_MILESTONES.iter().position(|&m| m == primary) {
        let previous = i.checked_sub(1).and_then(|p| ALL_MILESTONES.get(p)).copied();
        let next = ALL_MILESTONES.get(i + 1).copied();
        // The boundary between a milestone and the one after it is the start of
        // the earlier one's 2-year window.
        let distance = |boundary_of: Milestone| -> i64 {
            match boundary_of {
                Milestone::Age(age) => age
                    .checked_sub(RENEWAL_WINDOW_YEARS)
                    .and_then(|a| date_of_birth.anniversary(a, LeapDay::Feb28))
                    .map_or(i64::MAX, |start| (start.days() - date_of_issue.days()).abs()),
                Milestone::Never => i64::MAX,
            }
        };
        let mut neighbours: Vec<(i64, Milestone)> = Vec::new();
        if let Some(previous) = previous {
            neighbours.push((distance(previous), previous));
        }
        if let Some(next) = next {
            neighbours.push((distance(primary), next));
        }
        // Nearer boundary first; on a tie the later milestone first.
        neighbours.sort_by_key(|&(d, m)| (d, core::cmp::Reverse(position(m))));
        order.extend(neighbours.into_iter().map(|(_, m)| m));
    }

    let mut out: Vec<ExpiryGuess> = Vec::new();
    for milestone in order {
        let guesses: Vec<ExpiryGuess> = match milestone {
            Milestone::Never => vec![ExpiryGuess::NoExpiry],
            Milestone::Age(age) => [LeapDay::Feb28, LeapDay::Mar1]
                .iter()
                .filter_map(|&leap_day| date_of_birth.anniversary(age, leap_day))
                .filter(|&date| date > date_of_issue)
                .map(ExpiryGuess::Date)
                .collect(),
        };
        for guess in guesses {
            if !out.contains(&guess) {
                out.push(guess);
            }
        }
    }
    out
}

fn position(milestone: Milestone) -> usize {
    ALL_MILESTONES.iter().position(|&m| m == milestone).unwrap_or(0)
}

/// A BAC key from a 9-digit document number, a `YYMMDD` date of birth and a
/// date of expiry that is either six digits or six fillers.
///
/// [`BacKey::new`] takes digit dates only (validated client input). A date of
/// expiry of fillers goes through a TD1 MRZ built here and [`Mrz::parse`],
/// which allows `<` in dates (ICAO 9303-3: unknown date parts), so the key's
/// `MRZ_information` holds the fillers and their check digit `0`.
fn bac_key(document_number: &str, date_of_birth: &str, date_of_expiry: &str) -> Option<BacKey> {
    if date_of_expiry.bytes().all(|b| b.is_ascii_digit()) {
        return BacKey::new(document_number, date_of_birth, date_of_expiry).ok();
    }
    let cd = |s: &str| char::from(mrz::check_digit(s.as_bytes()).unwrap_or(b'<'));
    let fillers = |n: usize| "<".repeat(n);
    let line1 = Zeroizing::new(format!("IDVNM{document_number}{}{}", cd(document_number), fillers(15)));
    let mut line2 = Zeroizing::new(format!(
        "{date_of_birth}{}<{date_of_expiry}{}VNM{}",
        cd(date_of_birth),
        cd(date_of_expiry),
        fillers(11)
    ));
    let part = |s: &str, from: usize, to: usize| s.get(from..to).unwrap_or_default().to_owned();
    let composite =
        Zeroizing::new([part(&line1, 5, 30), part(&line2, 0, 7), part(&line2, 8, 15), part(&line2, 18, 29)].concat());
    line2.push(cd(&composite));
    let text = Zeroizing::new(format!("{}\n{}\n{}", *line1, *line2, fillers(30)));
    Mrz::parse(&text).ok().map(|m| m.bac_key())
}

/// A field of ASCII digits whose length is one of `lengths` (the first is the
/// one reported in a length error).
fn digits(value: &str, field: &'static str, lengths: &[usize]) -> Result<String, InputError> {
    if let Some(position) = value.chars().position(|c| !c.is_ascii_digit()) {
        return Err(InputError::Character { field, position });
    }
    let got = value.len();
    if !lengths.contains(&got) {
        return Err(InputError::Length { field, expected: lengths.first().copied().unwrap_or(0), got });
    }
    Ok(value.to_owned())
}

/// A text field: anything but control characters and line/paragraph separators.
fn text_field(value: &str, field: &'static str) -> Result<String, InputError> {
    if let Some(position) = value.chars().position(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}') {
        return Err(InputError::Character { field, position });
    }
    Ok(value.to_owned())
}

/// The last `n` characters of an all-ASCII-digit string (the ID number).
fn last_digits(id: &str, n: usize) -> String {
    id.get(id.len().saturating_sub(n)..).unwrap_or_default().to_owned()
}

/// 0 for `Nam` (male), 1 for `Nữ` (female, composed or decomposed, or without
/// diacritics as `Nu`); `None` otherwise. Case-insensitive.
fn sex_code(sex: &str) -> Option<u16> {
    match sex.to_lowercase().as_str() {
        "nam" => Some(0),
        "n\u{1eef}" | "nu\u{31b}\u{303}" | "nu" => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    const DEMO_ADDRESS: &str = "Số 1 Tràng Tiền, Phường Tràng Tiền, Quận Hoàn Kiếm, Hà Nội";

    fn demo_qr() -> String {
        format!("001095012345||Nguyễn Văn An|12031995|Nam|{DEMO_ADDRESS}|01062021")
    }

    fn d(year: u16, month: u8, day: u8) -> Date {
        Date::new(year, month, day).unwrap()
    }

    /// The candidates as ISO dates, `never` for no expiry.
    fn iso(guesses: &[ExpiryGuess]) -> Vec<String> {
        guesses
            .iter()
            .map(|g| match g {
                ExpiryGuess::Date(date) => date.to_iso(),
                ExpiryGuess::NoExpiry => "never".to_owned(),
            })
            .collect()
    }

    fn candidates(dob: Date, issued: Date) -> Vec<String> {
        iso(&expiry_candidates(dob, issued))
    }

    // ---- parsing ----

    #[test]
    fn demo_card_from_api_md() {
        let qr = parse(&demo_qr()).unwrap();
        assert_eq!(qr.id_number, "001095012345");
        assert_eq!(qr.old_id_number, None);
        assert_eq!(qr.full_name, "Nguyễn Văn An");
        assert_eq!(qr.date_of_birth.to_iso(), "1995-03-12");
        assert_eq!(qr.date_of_birth.yymmdd(), "950312");
        assert_eq!(qr.sex, "Nam");
        assert_eq!(qr.address, DEMO_ADDRESS);
        assert_eq!(qr.date_of_issue.to_iso(), "2021-06-01");
        assert!(qr.extra_fields.is_empty());
        assert_eq!(qr.can(), "012345");
        assert_eq!(qr.document_number(), "095012345");
        assert_eq!(qr.warnings(), vec![]);
        assert_eq!(iso(&qr.expiry_candidates()), ["2035-03-12", "2055-03-12"]);
    }

    #[test]
    fn realistic_card_with_an_old_id() {
        let text = "079193001234|025123456|Trần Thị Bình|24081993|Nữ|\
                    123 Nguyễn Trãi, Phường 2, Quận 5, Thành phố Hồ Chí Minh|15042021";
        let qr = parse(text).unwrap();
        assert_eq!(qr.id_number, "079193001234");
        assert_eq!(qr.old_id_number.as_deref(), Some("025123456"));
        assert_eq!(qr.full_name, "Trần Thị Bình");
        assert_eq!(qr.date_of_birth, d(1993, 8, 24));
        assert_eq!(qr.sex, "Nữ");
        assert_eq!(qr.date_of_issue, d(2021, 4, 15));
        assert_eq!(qr.can(), "001234");
        assert_eq!(qr.document_number(), "193001234");
        assert_eq!(qr.warnings(), vec![]);
        // Issued at 27: expires at 40.
        assert_eq!(iso(&qr.expiry_candidates()), ["2033-08-24", "2053-08-24"]);
    }

    #[test]
    fn twelve_digit_old_id_is_accepted() {
        let qr = parse("001095012345|012345678901|Nguyễn Văn An|12031995|Nam|Hà Nội|01062021").unwrap();
        assert_eq!(qr.old_id_number.as_deref(), Some("012345678901"));
    }

    #[test]
    fn extra_fields_are_kept() {
        let qr = parse(&format!("{}|xyz|", demo_qr())).unwrap();
        assert_eq!(qr.extra_fields, ["xyz", ""]);
        assert_eq!(qr.date_of_issue.to_iso(), "2021-06-01");
    }

    #[test]
    fn surrounding_whitespace_bom_and_field_spaces_are_trimmed() {
        let qr = parse(&format!("\u{feff}  {}\r\n", demo_qr())).unwrap();
        assert_eq!(qr.id_number, "001095012345");
        assert_eq!(qr.date_of_issue.to_iso(), "2021-06-01");
        let qr = parse(" 001095012345 | | Nguyễn Văn An |12031995| Nam |Hà Nội| 01062021 \n").unwrap();
        assert_eq!(qr.id_number, "001095012345");
        assert_eq!(qr.old_id_number, None);
        assert_eq!(qr.full_name, "Nguyễn Văn An");
        assert_eq!(qr.sex, "Nam");
        assert_eq!(qr.date_of_issue, d(2021, 6, 1));
    }

    #[test]
    fn too_long_input_is_rejected_first() {
        let text = format!("{}|{}", demo_qr(), "a".repeat(MAX_QR_INPUT_LEN));
        assert_eq!(parse(&text), Err(InputError::Invalid { field: "cccd_qr", reason: "longer than 1024 bytes" }));
        // Exactly at the cap is fine.
        let base = demo_qr();
        let pad = MAX_QR_INPUT_LEN - base.len() - 1;
        assert!(parse(&format!("{base}|{}", "a".repeat(pad))).is_ok());
    }

    #[test]
    fn too_few_fields() {
        let few = Err(InputError::Invalid { field: "cccd_qr", reason: "fewer than 7 |-separated fields" });
        assert_eq!(parse(""), few);
        assert_eq!(parse("   \r\n"), few);
        assert_eq!(parse("001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội"), few);
    }

    #[test]
    fn id_number_errors() {
        let with_id = |id: &str| parse(&format!("{id}||An|12031995|Nam|Hà Nội|01062021"));
        assert_eq!(with_id("00109501234"), Err(InputError::Length { field: "id_number", expected: 12, got: 11 }));
        assert_eq!(with_id("0010950123456"), Err(InputError::Length { field: "id_number", expected: 12, got: 13 }));
        assert_eq!(with_id(""), Err(InputError::Length { field: "id_number", expected: 12, got: 0 }));
        assert_eq!(with_id("00109501234X"), Err(InputError::Character { field: "id_number", position: 11 }));
        assert_eq!(with_id("００1095012345"), Err(InputError::Character { field: "id_number", position: 0 }));
    }

    #[test]
    fn old_id_errors() {
        let with_old = |old: &str| parse(&format!("001095012345|{old}|An|12031995|Nam|Hà Nội|01062021"));
        assert_eq!(with_old("12345678"), Err(InputError::Length { field: "old_id_number", expected: 9, got: 8 }));
        assert_eq!(with_old("1234567890"), Err(InputError::Length { field: "old_id_number", expected: 9, got: 10 }));
        assert_eq!(with_old("12345678A"), Err(InputError::Character { field: "old_id_number", position: 8 }));
    }

    #[test]
    fn date_errors_name_their_field() {
        let with = |dob: &str, issued: &str| parse(&format!("001095012345||An|{dob}|Nam|Hà Nội|{issued}"));
        assert_eq!(
            with("1203195", "01062021"),
            Err(InputError::Length { field: "date_of_birth", expected: 8, got: 7 })
        );
        assert_eq!(
            with("12/03/1995", "01062021"),
            Err(InputError::Length { field: "date_of_birth", expected: 8, got: 10 })
        );
        assert_eq!(with("12-31995", "01062021"), Err(InputError::Character { field: "date_of_birth", position: 2 }));
        let not_a_date = |field| Err(InputError::Invalid { field, reason: "not a calendar date" });
        assert_eq!(with("31021995", "01062021"), not_a_date("date_of_birth"));
        assert_eq!(with("29022001", "01062021"), not_a_date("date_of_birth"));
        assert_eq!(with("00031995", "01062021"), not_a_date("date_of_birth"));
        assert_eq!(with("12131995", "01062021"), not_a_date("date_of_birth"));
        assert_eq!(with("12030000", "01062021"), not_a_date("date_of_birth"));
        assert_eq!(with("12031995", "31062021"), not_a_date("date_of_issue"));
        assert_eq!(
            with("12031995", "0106202"),
            Err(InputError::Length { field: "date_of_issue", expected: 8, got: 7 })
        );
        assert_eq!(with("12031995", "O1062021"), Err(InputError::Character { field: "date_of_issue", position: 0 }));
        // 29 February of a leap year is a date.
        assert_eq!(with("29022000", "01062021").unwrap().date_of_birth, d(2000, 2, 29));
    }

    #[test]
    fn text_field_errors() {
        assert_eq!(
            parse("001095012345||Nguyễn\tVăn An|12031995|Nam|Hà Nội|01062021"),
            Err(InputError::Character { field: "full_name", position: 6 })
        );
        assert_eq!(
            parse("001095012345||An|12031995|Nam|Số 1\nHà Nội|01062021"),
            Err(InputError::Character { field: "address", position: 4 })
        );
        assert_eq!(
            parse("001095012345||An|12031995|Nam|Hà Nội\r\n|01062021"),
            Err(InputError::Character { field: "address", position: 6 })
        );
        assert_eq!(
            parse("001095012345||An|12031995|N\u{0}am|Hà Nội|01062021"),
            Err(InputError::Character { field: "sex", position: 1 })
        );
        assert_eq!(
            parse("001095012345||An|12031995|Nam|Hà Nội|01062021|a\u{2028}b"),
            Err(InputError::Character { field: "extra_field", position: 1 })
        );
        assert_eq!(
            parse("001095012345||  |12031995|Nam|Hà Nội|01062021"),
            Err(InputError::Invalid { field: "full_name", reason: "empty" })
        );
    }

    #[test]
    fn warnings_check_the_id_structure() {
        let with = |id: &str, dob: &str, sex: &str, issued: &str| {
            parse(&format!("{id}||An|{dob}|{sex}|Hà Nội|{issued}")).unwrap().warnings()
        };
        // Consistent: 20th-century male, 21st-century female (composed and decomposed Nữ).
        assert_eq!(with("001095012345", "12031995", "Nam", "01062021"), vec![]);
        assert_eq!(with("001305012345", "12032005", "Nữ", "01062021"), vec![]);
        assert_eq!(with("001305012345", "12032005", "Nu\u{31b}\u{303}", "01062021"), vec![]);
        assert_eq!(with("001305012345", "12032005", "NỮ", "01062021"), vec![]);
        // Century digit 2 (21st century) with a 1995 birth.
        assert_eq!(with("001295012345", "12031995", "Nam", "01062021"), vec![QrWarning::BirthCenturyMismatch]);
        assert_eq!(with("001096012345", "12031995", "Nam", "01062021"), vec![QrWarning::BirthYearMismatch]);
        assert_eq!(with("001195012345", "12031995", "Nam", "01062021"), vec![QrWarning::SexMismatch]);
        assert_eq!(with("001095012345", "12031995", "Male", "01062021"), vec![QrWarning::UnrecognisedSex]);
        assert_eq!(with("001095012345", "12031995", "Nam", "01061994"), vec![QrWarning::IssuedBeforeBirth]);
        assert_eq!(
            with("001496012345", "12031995", "Nữ", "01062021"),
            vec![QrWarning::BirthCenturyMismatch, QrWarning::BirthYearMismatch, QrWarning::SexMismatch]
        );
    }

    #[test]
    fn debug_prints_no_personal_data() {
        let qr = parse(&format!("{}|extra", demo_qr())).unwrap();
        let debug = format!("{qr:?} {:?} {:?}", qr.date_of_birth, qr.expiry_candidates());
        for secret in ["001095012345", "012345", "Nguy", "An", "1995", "95", "Hà", "2035", "35"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("1 extra fields"));
    }

    #[test]
    fn dates() {
        assert_eq!(Date::new(2024, 2, 29).map(Date::to_iso).as_deref(), Some("2024-02-29"));
        assert_eq!(Date::new(2100, 2, 29), None);
        assert_eq!(Date::new(2000, 2, 29).map(Date::yymmdd).as_deref(), Some("000229"));
        assert_eq!(Date::new(0, 1, 1), None);
        assert_eq!(Date::new(2000, 13, 1), None);
        assert_eq!(Date::new(2000, 4, 31), None);
        assert!(d(2021, 6, 1) < d(2021, 6, 2) && d(2020, 12, 31) < d(2021, 1, 1));
        assert_eq!(d(1970, 1, 1).days(), 0);
        assert_eq!(d(2000, 3, 1).days() - d(2000, 2, 28).days(), 2);
        assert_eq!(d(2100, 3, 1).days() - d(2100, 2, 28).days(), 1);
        assert_eq!(d(1969, 12, 31).days(), -1);
        assert_eq!(d(2000, 2, 29).anniversary(25, LeapDay::Feb28), Some(d(2025, 2, 28)));
        assert_eq!(d(2000, 2, 29).anniversary(25, LeapDay::Mar1), Some(d(2025, 3, 1)));
        assert_eq!(d(2000, 2, 29).anniversary(40, LeapDay::Mar1), Some(d(2040, 2, 29)));
        assert_eq!(d(9990, 1, 1).anniversary(25, LeapDay::Feb28), None);
    }

    // ---- the expiry rule ----

    #[test]
    fn samples_from_the_brief() {
        // CCCD.md: born 1993-01-05, expiry 2033-01-05 (issued 2021-04-15, API.md).
        assert_eq!(candidates(d(1993, 1, 5), d(2021, 4, 15)), ["2033-01-05", "2053-01-05"]);
        // The demo card.
        assert_eq!(candidates(d(1995, 3, 12), d(2021, 6, 1)), ["2035-03-12", "2055-03-12"]);
    }

    #[test]
    fn milestone_25() {
        // Born 1990-06-15; the 2-year window before 25 opens on 2013-06-15.
        let dob = d(1990, 6, 15);
        assert_eq!(candidates(dob, d(2013, 6, 14)), ["2015-06-15", "2030-06-15"]);
        assert_eq!(candidates(dob, d(2013, 6, 15)), ["2030-06-15", "2015-06-15", "2050-06-15"]);
        assert_eq!(candidates(dob, d(2013, 6, 16)), ["2030-06-15", "2015-06-15", "2050-06-15"]);
        // Issued at 14 under the 2014 law: 25.
        assert_eq!(candidates(dob, d(2004, 7, 1)), ["2015-06-15", "2030-06-15"]);
    }

    #[test]
    fn milestone_40() {
        // Born 1990-06-15; the window before 40 opens on 2028-06-15 (2023 law).
        let dob = d(1990, 6, 15);
        assert_eq!(candidates(dob, d(2028, 6, 14)), ["2030-06-15", "2050-06-15"]);
        assert_eq!(candidates(dob, d(2028, 6, 15)), ["2050-06-15", "2030-06-15", "never"]);
        assert_eq!(candidates(dob, d(2028, 6, 16)), ["2050-06-15", "2030-06-15", "never"]);
        // Same ages under the 2014 law: born 1975-06-15, window opens 2013-06-15.
        let dob = d(1975, 6, 15);
        assert_eq!(candidates(dob, d(2013, 6, 14)), ["2015-06-15", "2035-06-15"]);
        assert_eq!(candidates(dob, d(2013, 6, 15)), ["2035-06-15", "2015-06-15", "never"]);
        assert_eq!(candidates(dob, d(2013, 6, 16)), ["2035-06-15", "2015-06-15", "never"]);
    }

    #[test]
    fn milestone_60_and_no_expiry_from_58() {
        // Born 1963-06-15; the window before 60 opens on 2021-06-15 (2014 law).
        let dob = d(1963, 6, 15);
        assert_eq!(candidates(dob, d(2021, 6, 14)), ["2023-06-15", "never"]);
        assert_eq!(candidates(dob, d(2021, 6, 15)), ["never", "2023-06-15"]);
        assert_eq!(candidates(dob, d(2021, 6, 16)), ["never", "2023-06-15"]);
        // Issued at 45: 60, then no expiry (the 40 is past).
        assert_eq!(candidates(dob, d(2008, 1, 1)), ["2023-06-15", "never"]);
        // Issued at 70: never; 60 is before the issue date, so it is left out.
        assert_eq!(candidates(dob, d(2033, 1, 1)), ["never"]);
        // Under the 2023 law: born 1970-06-15, window opens 2028-06-15.
        let dob = d(1970, 6, 15);
        assert_eq!(candidates(dob, d(2028, 6, 14)), ["2030-06-15", "never"]);
        assert_eq!(candidates(dob, d(2028, 6, 15)), ["never", "2030-06-15"]);
        assert_eq!(candidates(dob, d(2028, 6, 16)), ["never", "2030-06-15"]);
    }

    #[test]
    fn milestone_14_under_the_2023_law() {
        // Born 2015-03-10; the window before 14 opens on 2027-03-10.
        let dob = d(2015, 3, 10);
        assert_eq!(candidates(dob, d(2027, 3, 9)), ["2029-03-10", "2040-03-10"]);
        assert_eq!(candidates(dob, d(2027, 3, 10)), ["2040-03-10", "2029-03-10", "2055-03-10"]);
        assert_eq!(candidates(dob, d(2027, 3, 11)), ["2040-03-10", "2029-03-10", "2055-03-10"]);
        // A baby's card.
        assert_eq!(candidates(d(2024, 1, 1), d(2024, 8, 1)), ["2038-01-01", "2049-01-01"]);
        // Issued at 14 (after the 14th birthday): 25; 14 is past.
        assert_eq!(candidates(d(2010, 1, 1), d(2024, 9, 1)), ["2035-01-01", "2050-01-01"]);
    }

    #[test]
    fn the_switch_between_the_laws() {
        // Born 2015-01-01 (age 9 at issue). On 2024-07-01 the 2023 law applies: 14.
        let dob = d(2015, 1, 1);
        assert_eq!(candidates(dob, d(2024, 7, 1)), ["2029-01-01", "2040-01-01"]);
        // The day before, the 2014 law had no 14 (and no cards under 14): 25, then 14.
        assert_eq!(candidates(dob, d(2024, 6, 30)), ["2040-01-01", "2029-01-01", "2055-01-01"]);
        // Age 12 to 14 at issue: 25 under both laws.
        let dob = d(2012, 1, 1);
        assert_eq!(candidates(dob, d(2024, 6, 30)), ["2037-01-01", "2026-01-01", "2052-01-01"]);
        assert_eq!(candidates(dob, d(2024, 7, 1)), ["2037-01-01", "2026-01-01", "2052-01-01"]);
    }

    #[test]
    fn born_on_29_february() {
        let dob = d(2000, 2, 29);
        // Issued at 19: 25 falls in 2025 (common year): 28 Feb, then 1 Mar; then 40 (2040, leap).
        assert_eq!(candidates(dob, d(2019, 5, 1)), ["2025-02-28", "2025-03-01", "2040-02-29"]);
        // The window before 25 opens on 2023-02-28 (the 28 February convention).
        assert_eq!(candidates(dob, d(2023, 2, 27)), ["2025-02-28", "2025-03-01", "2040-02-29"]);
        assert_eq!(candidates(dob, d(2023, 2, 28)), ["2040-02-29", "2025-02-28", "2025-03-01", "2060-02-29"]);
        assert_eq!(candidates(dob, d(2023, 3, 1)), ["2040-02-29", "2025-02-28", "2025-03-01", "2060-02-29"]);
        // 58th birthday in a common year (2018): no expiry from 2018-02-28; 60 falls in 2020 (leap).
        let dob = d(1960, 2, 29);
        assert_eq!(candidates(dob, d(2018, 2, 27)), ["2020-02-29", "never"]);
        assert_eq!(candidates(dob, d(2018, 2, 28)), ["never", "2020-02-29"]);
        assert_eq!(candidates(dob, d(2018, 3, 1)), ["never", "2020-02-29"]);
        // 14 and 25 both in common years, under the 2023 law.
        assert_eq!(candidates(d(2016, 2, 29), d(2024, 8, 1)), ["2030-02-28", "2030-03-01", "2041-02-28", "2041-03-01"]);
        // The 12th birthday (2024) is a leap day; the day before it, the 2014 law still applied: 25 first.
        let dob = d(2012, 2, 29);
        assert_eq!(
            candidates(dob, d(2024, 2, 28)),
            ["2037-02-28", "2037-03-01", "2026-02-28", "2026-03-01", "2052-02-29"]
        );
        assert_eq!(
            candidates(dob, d(2025, 1, 1)),
            ["2037-02-28", "2037-03-01", "2026-02-28", "2026-03-01", "2052-02-29"]
        );
        // 2100 is a common year: the 40th birthday of someone born 2060-02-29.
        assert_eq!(candidates(d(2060, 2, 29), d(2090, 1, 1)), ["2100-02-28", "2100-03-01", "2120-02-29"]);
    }

    #[test]
    fn bac_keys_in_order() {
        let qr = parse(&demo_qr()).unwrap();
        let keys = qr.bac_keys();
        let parts: Vec<(&str, &str, &str)> =
            keys.iter().map(|k| (k.document_number(), k.date_of_birth(), k.date_of_expiry())).collect();
        assert_eq!(parts, [("095012345", "950312", "350312"), ("095012345", "950312", "550312")]);
        // MRZ_information as on the demo card's MRZ (`IDVNM0950123455...`, `9503124M3503122VNM...`).
        assert_eq!(&keys[0].mrz_information()[..], b"095012345595031243503122");
    }

    #[test]
    fn bac_keys_for_a_card_without_expiry() {
        // Born 1960-05-05, issued 2021-01-01 at 60: never expires.
        let qr = parse("001060012345||An|05051960|Nam|Hà Nội|01012021").unwrap();
        let keys = qr.bac_keys();
        let expiries: Vec<&str> = keys.iter().map(BacKey::date_of_expiry).collect();
        assert_eq!(expiries, ["<<<<<<", "991231"]);
        assert!(keys.iter().all(|k| k.document_number() == "060012345" && k.date_of_birth() == "600505"));
        // The filler date and its check digit 0 reach MRZ_information.
        assert_eq!(&keys[0].mrz_information()[..], b"06001234516005052<<<<<<0");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,1200}") {
            let _ = parse(&s);
        }

        #[test]
        fn parse_never_panics_on_well_shaped_fields(
            fields in prop::collection::vec("[0-9|\\s\u{0}a-zữ]{0,14}", 0..12),
        ) {
            if let Ok(qr) = parse(&fields.join("|")) {
                let _ = (qr.warnings(), qr.bac_keys(), qr.can(), qr.document_number());
            }
        }

        #[test]
        fn valid_qr_round_trips(
            id in "[0-9]{12}", old in "([0-9]{9})?", name in "[A-Za-zà-ỹ ]{0,20}[a-z]",
            dob in (1900u16..2100, 1u8..13, 1u8..29), issued in (1990u16..2100, 1u8..13, 1u8..29),
        ) {
            let text = format!(
                "{id}|{old}|{name}|{:02}{:02}{:04}|Nam|Hà Nội|{:02}{:02}{:04}",
                dob.2, dob.1, dob.0, issued.2, issued.1, issued.0
            );
            let qr = parse(&text).unwrap();
            prop_assert_eq!(&qr.id_number, &id);
            prop_assert_eq!(qr.old_id_number.as_deref().unwrap_or(""), old.as_str());
            prop_assert_eq!(qr.date_of_birth, d(dob.0, dob.1, dob.2));
            prop_assert_eq!(qr.date_of_issue, d(issued.0, issued.1, issued.2));
            prop_assert_eq!(qr.can().len(), CAN_LEN);
            prop_assert_eq!(format!("{}{}", &id[..3], qr.document_number()), id);
            prop_assert!(!qr.bac_keys().is_empty());
        }

        #[test]
        fn expiry_candidates_are_sane(
            dob in (1900u16..2200, 1u8..13, 1u8..32), issued in (0u16..110, 1u8..13, 1u8..32),
        ) {
            let (Some(dob), Some(issued)) =
                (Date::new(dob.0, dob.1, dob.2), Date::new(dob.0 + issued.0, issued.1, issued.2))
            else {
                return Ok(());
            };
            let out = expiry_candidates(dob, issued);
            prop_assert!(!out.is_empty());
            for (i, guess) in out.iter().enumerate() {
                prop_assert!(!out[..i].contains(guess));
                if let ExpiryGuess::Date(date) = guess {
                    prop_assert!(*date > issued);
                }
            }
            let at_58 = dob.anniversary(58, LeapDay::Feb28).unwrap();
            prop_assert_eq!(out[0] == ExpiryGuess::NoExpiry, issued >= at_58);
        }

        #[test]
        fn expiry_candidates_never_panic(a in (1u16..=9999, 1u8..13, 1u8..32), b in (1u16..=9999, 1u8..13, 1u8..32)) {
            if let (Some(dob), Some(issued)) = (Date::new(a.0, a.1, a.2), Date::new(b.0, b.1, b.2)) {
                let _ = expiry_candidates(dob, issued);
            }
        }
    }
}
