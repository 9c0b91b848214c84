//! The chip's file system and READ BINARY (ISO/IEC 7816-4 §7.2, §11.2.3; ICAO 9303-10 §3.x).
//!
//! Two dedicated files: the master file (EF.CardAccess and friends, readable
//! by anyone) and the eMRTD application `A0 00 00 02 47 10 01` (EF.COM, EF.SOD,
//! DG1..DG16: readable under secure messaging only; DG3/DG4 need Terminal
//! Authentication, which this chip does not offer, so they always answer `6982`).
//!
//! READ BINARY answers as real chips do: an offset at or past the end of the
//! file is `6B00`; Ne larger than what remains gives the remaining bytes with
//! `6282`. Odd INS `B1` takes its offset in DO'54' and returns DO'53' sized to
//! fit Ne.

use super::faults::{Fault, Fired};
use crate::protocol::apdu::{ResponseApdu, StatusWord};
use crate::protocol::tlv::{Reader, read_tlv, write_length};
use zeroize::Zeroizing;

/// The eMRTD application identifier (ICAO 9303-10 §3.6.2).
pub const EMRTD_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

/// Where a file lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Df {
    /// The master file.
    Mf,
    /// The eMRTD application.
    Application,
}

/// Who may read a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Anyone.
    Always,
    /// Only under secure messaging (after BAC or PACE).
    SecureMessaging,
    /// Only after Terminal Authentication (never, on this chip).
    TerminalAuthentication,
}

/// An elementary file.
pub(crate) struct Ef {
    pub df: Df,
    pub fid: u16,
    pub sfi: Option<u8>,
    pub access: Access,
    pub data: Zeroizing<Vec<u8>>,
}

/// The short file identifier of an LDS file: the low byte of `01xx` FIDs (ICAO 9303-10 Table 37);
/// EF.DIR `2F00` → `1E`, EF.ATR/INFO `2F01` → `01`.
fn sfi_of(df: Df, fid: u16) -> Option<u8> {
    match (df, fid) {
        (Df::Mf, 0x2F00) => Some(0x1E),
        (Df::Mf, 0x2F01) => Some(0x01),
        (_, f) if f & 0xFF00 == 0x0100 && (f & 0xFF) <= 0x1F && f & 0xFF != 0 => Some((f & 0xFF) as u8),
        _ => None,
    }
}

/// All files of the chip.
pub(crate) struct FileSystem {
    files: Vec<Ef>,
}

impl FileSystem {
    pub(crate) fn new(app_files: &[(u16, Vec<u8>)], mf_files: &[(u16, Vec<u8>)]) -> Self {
        let mut files = Vec::new();
        for (fid, data) in mf_files {
            files.push(Ef {
                df: Df::Mf,
                fid: *fid,
                sfi: sfi_of(Df::Mf, *fid),
                access: Access::Always,
                data: Zeroizing::new(data.clone()),
            });
        }
        for (fid, data) in app_files {
            let access =
                if matches!(fid, 0x0103 | 0x0104) { Access::TerminalAuthentication } else { Access::SecureMessaging };
            files.push(Ef {
                df: Df::Application,
                fid: *fid,
                sfi: sfi_of(Df::Application, *fid),
                access,
                data: Zeroizing::new(data.clone()),
            });
        }
        Self { files }
    }

    /// The index of the file `fid` seen from `df`. Master-file EFs are also
    /// found from the application (EF.CardAccess is commonly selected there).
    pub(crate) fn by_fid(&self, df: Df, fid: u16) -> Option<usize> {
        let find = |d: Df| self.files.iter().position(|f| f.df == d && f.fid == fid);
        find(df).or_else(|| if df == Df::Application { find(Df::Mf) } else { None })
    }

    /// The index of the file with short identifier `sfi` seen from `df`.
    pub(crate) fn by_sfi(&self, df: Df, sfi: u8) -> Option<usize> {
        let find = |d: Df| self.files.iter().position(|f| f.df == d && f.sfi == Some(sfi));
        find(df).or_else(|| if df == Df::Application { find(Df::Mf) } else { None })
    }

    pub(crate) fn get(&self, index: usize) -> Option<&Ef> {
        self.files.get(index)
    }

    /// Some other file of the same DF than `index` (for [`Fault::WrongFile`]).
    pub(crate) fn other_than(&self, index: usize) -> Option<usize> {
        let df = self.files.get(index)?.df;
        let n = self.files.len();
        (1..n).map(|k| (index + k) % n).find(|&i| self.files.get(i).is_some_and(|f| f.df == df))
    }
}

/// Largest data length `d` whose DO'53' (`53 L d-bytes`) fits in `ne` bytes.
fn do53_capacity(ne: usize) -> usize {
    let header = |d: usize| {
        let mut h = Vec::new();
        write_length(d, &mut h);
        1 + h.len()
    };
    (2..=5).map(|h| ne.saturating_sub(h)).find(|&d| d + header(d) <= ne).unwrap_or(0)
}

/// The offset of an odd-INS READ BINARY: the data field is exactly DO'54'
/// with 1 to 3 offset bytes (ISO/IEC 7816-4 §11.2.3).
pub(crate) fn odd_ins_offset(data: &[u8]) -> Option<usize> {
    let mut r = Reader::new(data);
    let t = read_tlv(&mut r, "DO'54'").ok()?;
    if t.tag != 0x54 || !r.is_empty() || t.value.is_empty() || t.value.len() > 3 {
        return None;
    }
    Some(t.value.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b)))
}

/// The answer to READ BINARY of `data` at `offset` for `ne` bytes, `odd` for
/// INS `B1`, altered by the READ BINARY faults that fired (`read`) and the
/// odd-INS faults that fired (`odd_faults`).
pub(crate) fn read(data: &[u8], offset: usize, ne: usize, odd: bool, read: &Fired, odd_faults: &Fired) -> ResponseApdu {
    let status = |sw: StatusWord| ResponseApdu::status(sw);
    let Some(remaining) = data.len().checked_sub(offset).filter(|&r| r > 0) else {
        return status(StatusWord::WRONG_PARAMETERS);
    };
    if let Some(sw) = read.status() {
        return status(sw);
    }
    if odd_faults.has(&Fault::OddInsUnsupported) {
        return status(StatusWord::INS_NOT_SUPPORTED);
    }
    if read.has(&Fault::ReadWrongParameters) {
        return status(StatusWord::WRONG_PARAMETERS);
    }
    if read.has(&Fault::ReadWrongLe) {
        return status(StatusWord::new(0x6C, remaining.min(256) as u8));
    }
    if read.has(&Fault::ReadEmpty) {
        return status(StatusWord::OK);
    }
    let capacity = if odd { do53_capacity(ne) } else { ne };
    let at_eof = capacity > remaining;
    if at_eof && read.has(&Fault::ReadWrongLengthAtEof) {
        return status(StatusWord::WRONG_LENGTH);
    }
    let mut n = capacity.min(remaining);
    let mut sw = if at_eof { StatusWord::END_OF_FILE } else { StatusWord::OK };
    for fault in read.iter() {
        match fault {
            Fault::ReadAtMost(k) => {
                n = n.min((*k).max(1));
                sw = if n == remaining && at_eof { StatusWord::END_OF_FILE } else { StatusWord::OK };
            }
            Fault::ReadEarlyEof => {
                n = (n / 2).max(1);
                sw = StatusWord::END_OF_FILE;
            }
            _ => {}
        }
    }
    let mut out: Vec<u8> = data.get(offset..offset + n).unwrap_or(&[]).to_vec();
    if read.has(&Fault::ReadTooMuch) {
        let want = capacity.saturating_add(4);
        let extra = data.get(offset + n..).unwrap_or(&[]).iter().copied().chain(core::iter::repeat(0));
        out.extend(extra.take(want.saturating_sub(out.len())));
    }
    if odd && !odd_faults.has(&Fault::OddInsWithoutDo53) {
        let mut wrapped = vec![0x53];
        if odd_faults.has(&Fault::OddInsTruncatedDo53) {
            write_length(out.len() + 16, &mut wrapped);
        } else {
            write_length(out.len(), &mut wrapped);
        }
        wrapped.extend_from_slice(&out);
        out = wrapped;
    }
    ResponseApdu { data: out, sw }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn do53_capacity_fits() {
        assert_eq!(do53_capacity(256), 253);
        assert_eq!(do53_capacity(129), 127);
        assert_eq!(do53_capacity(130), 127);
        assert_eq!(do53_capacity(131), 128);
        assert_eq!(do53_capacity(65_536), 65_532);
        assert_eq!(do53_capacity(2), 0);
    }

    #[test]
    fn offsets_of_do54() {
        assert_eq!(odd_ins_offset(&[0x54, 0x02, 0x80, 0x00]), Some(0x8000));
        assert_eq!(odd_ins_offset(&[0x54, 0x03, 0x01, 0x00, 0x00]), Some(0x10000));
        assert_eq!(odd_ins_offset(&[0x54, 0x00]), None);
        assert_eq!(odd_ins_offset(&[0x53, 0x01, 0x00]), None);
        assert_eq!(odd_ins_offset(&[0x54, 0x01, 0x00, 0x00]), None);
    }

    #[test]
    fn plain_reads() {
        let data: Vec<u8> = (0..100).collect();
        let none = Fired::default();
        let r = read(&data, 0, 10, false, &none, &none);
        assert_eq!((r.data.as_slice(), r.sw), (&data[..10], StatusWord::OK));
        let r = read(&data, 95, 10, false, &none, &none);
        assert_eq!((r.data.as_slice(), r.sw), (&data[95..], StatusWord::END_OF_FILE));
        assert_eq!(read(&data, 100, 1, false, &none, &none).sw, StatusWord::WRONG_PARAMETERS);
        assert_eq!(read(&data, 5000, 1, false, &none, &none).sw, StatusWord::WRONG_PARAMETERS);
        let r = read(&data, 90, 20, true, &none, &none);
        assert_eq!(r.data[..2], [0x53, 10]);
        assert_eq!(r.sw, StatusWord::END_OF_FILE);
        assert_eq!(read(&[], 0, 1, false, &none, &none).sw, StatusWord::WRONG_PARAMETERS);
    }
}
