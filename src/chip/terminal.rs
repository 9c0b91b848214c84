//! A tiny terminal for the chip's tests: BAC, PACE (ECDH Generic Mapping, on
//! the curve crates directly) and 3DES/AES secure messaging, written from ICAO
//! 9303-11 §4.3, §4.4 and §9.8 independently of `crate::protocol` and of the
//! chip's own PACE code (only the symmetric crypto primitives are shared).

use super::card::SoftwareChip;
use crate::protocol::apdu::CommandApdu;
use crate::protocol::crypto::{self, KDF_ENC, KDF_MAC, KeyKind, kdf};
use crate::protocol::tlv::{Reader, read_tlv, tlv};
use crate::protocol::transceive::Transceive;
use sha1::Digest;

/// A raw answer: data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub data: Vec<u8>,
    pub sw: u16,
}

/// What went wrong with a protected answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SmFailure {
    /// The chip answered in plain with this status word.
    Plain(u16),
    /// No DO'8E'.
    NoMac,
    /// DO'8E' did not verify.
    BadMac,
    /// The cryptogram did not decrypt to padded data.
    BadPadding,
    /// Objects that do not parse.
    Malformed,
    /// The transport failed.
    Transport(crate::protocol::error::TransportError),
}

/// Why BAC failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BacFailure {
    Status(u16),
    BadMac,
    BadEcho,
}

pub(crate) struct Session {
    ks_enc: Vec<u8>,
    ks_mac: Vec<u8>,
    /// The send sequence counter; 8 bytes wide for 3DES, 16 for AES.
    ssc: u128,
    aes: bool,
}

impl Session {
    /// A session after BAC or PACE (ICAO 9303-11 §9.8.6.1 / §9.8.6.2).
    pub(crate) fn new(ks_enc: Vec<u8>, ks_mac: Vec<u8>, ssc: u128, aes: bool) -> Self {
        Self { ks_enc, ks_mac, ssc, aes }
    }

    fn block(&self) -> usize {
        if self.aes { 16 } else { 8 }
    }

    fn ssc_bytes(&self) -> Vec<u8> {
        let all = self.ssc.to_be_bytes();
        all[16 - self.block()..].to_vec()
    }

    fn iv(&self) -> [u8; 16] {
        let mut ssc = [0u8; 16];
        ssc.copy_from_slice(&self.ssc_bytes()[..16]);
        crypto::aes_encrypt_block(&self.ks_enc, &ssc).unwrap()
    }

    fn encrypt(&self, data: &mut [u8]) {
        if self.aes {
            crypto::aes_cbc_encrypt(&self.ks_enc, &self.iv(), data).unwrap();
        } else {
            crypto::des3_cbc_encrypt(&self.ks_enc, &[0; 8], data).unwrap();
        }
    }

    fn decrypt(&self, data: &mut [u8]) {
        if self.aes {
            crypto::aes_cbc_decrypt(&self.ks_enc, &self.iv(), data).unwrap();
        } else {
            crypto::des3_cbc_decrypt(&self.ks_enc, &[0; 8], data).unwrap();
        }
    }

    fn mac(&self, data: &[u8]) -> [u8; 8] {
        let mut input = self.ssc_bytes();
        input.extend_from_slice(data);
        let padded = crypto::pad(&input, self.block());
        if self.aes {
            crypto::aes_cmac(&self.ks_mac, &padded).unwrap()[..8].try_into().unwrap()
        } else {
            crypto::retail_mac(&self.ks_mac, &padded).unwrap()
        }
    }
}

/// The test terminal, owning the chip.
pub(crate) struct Terminal {
    pub chip: SoftwareChip,
    session: Option<Session>,
    /// Whether the last protected answer carried DO'99'.
    pub last_had_do99: bool,
    /// The raw bytes of the last protected answer.
    pub last_raw: Vec<u8>,
}

fn split(raw: Vec<u8>) -> Answer {
    let n = raw.len();
    assert!(n >= 2, "response without status word");
    Answer { sw: u16::from_be_bytes([raw[n - 2], raw[n - 1]]), data: raw[..n - 2].to_vec() }
}

/// K_enc and K_mac from the MRZ information (ICAO 9303-11 §9.7.2).
pub(crate) fn bac_keys(mrz_information: &str) -> (Vec<u8>, Vec<u8>) {
    let seed = sha1::Sha1::digest(mrz_information.as_bytes());
    (kdf(&seed[..16], KDF_ENC, KeyKind::Des3).to_vec(), kdf(&seed[..16], KDF_MAC, KeyKind::Des3).to_vec())
}

/// The MRZ information read off a printed MRZ (TD1 or TD3), from the line positions of ICAO 9303-4/-5.
pub(crate) fn mrz_information_of(mrz: &str) -> String {
    let lines: Vec<&str> = mrz.lines().collect();
    match lines.as_slice() {
        [l1, l2, _] => format!("{}{}{}", &l1[5..15], &l2[0..7], &l2[8..15]),
        [_, l2] => format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..28]),
        _ => panic!("not a TD1 or TD3 MRZ"),
    }
}

impl Terminal {
    pub(crate) fn new(chip: SoftwareChip) -> Self {
        Self { chip, session: None, last_had_do99: false, last_raw: Vec::new() }
    }

    /// Sends raw bytes in plain.
    pub(crate) fn plain(&mut self, apdu: &[u8]) -> Answer {
        split(self.chip.transceive(apdu).expect("transport"))
    }

    pub(crate) fn select_applet(&mut self) -> u16 {
        self.plain(&[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]).sw
    }

    pub(crate) fn has_session(&self) -> bool {
        self.session.is_some()
    }

    /// BAC with the keys of `mrz_information`.
    pub(crate) fn bac(&mut self, mrz_information: &str) -> Result<(), BacFailure> {
        self.session = None;
        let (k_enc, k_mac) = bac_keys(mrz_information);
        let challenge = self.plain(&[0x00, 0x84, 0x00, 0x00, 0x08]);
        if challenge.sw != 0x9000 {
            return Err(BacFailure::Status(challenge.sw));
        }
        let rnd_icc = challenge.data;
        let mut rnd_ifd = [0u8; 8];
        let mut k_ifd = [0u8; 16];
        crypto::random_bytes(&mut rnd_ifd).unwrap();
        crypto::random_bytes(&mut k_ifd).unwrap();
        let mut e_ifd = [&rnd_ifd[..], &rnd_icc, &k_ifd].concat();
        crypto::des3_cbc_encrypt(&k_enc, &[0; 8], &mut e_ifd).unwrap();
        let m_ifd = crypto::retail_mac(&k_mac, &crypto::pad(&e_ifd, 8)).unwrap();
        let mut cmd = vec![0x00, 0x82, 0x00, 0x00, 0x28];
        cmd.extend_from_slice(&e_ifd);
        cmd.extend_from_slice(&m_ifd);
        cmd.push(0x28);
        let answer = self.plain(&cmd);
        if answer.sw != 0x9000 {
            return Err(BacFailure::Status(answer.sw));
        }
        assert_eq!(answer.data.len(), 40);
        let (e_icc, m_icc) = answer.data.split_at(32);
        if crypto::retail_mac(&k_mac, &crypto::pad(e_icc, 8)).unwrap() != m_icc {
            return Err(BacFailure::BadMac);
        }
        let mut r = e_icc.to_vec();
        crypto::des3_cbc_decrypt(&k_enc, &[0; 8], &mut r).unwrap();
        if r[..8] != rnd_icc[..] || r[8..16] != rnd_ifd {
            return Err(BacFailure::BadEcho);
        }
        let seed: Vec<u8> = k_ifd.iter().zip(&r[16..32]).map(|(a, b)| a ^ b).collect();
        let mut ssc = [0u8; 8];
        ssc[..4].copy_from_slice(&rnd_icc[4..8]);
        ssc[4..].copy_from_slice(&rnd_ifd[4..8]);
        self.session = Some(Session::new(
            kdf(&seed, KDF_ENC, KeyKind::Des3).to_vec(),
            kdf(&seed, KDF_MAC, KeyKind::Des3).to_vec(),
            u128::from(u64::from_be_bytes(ssc)),
            false,
        ));
        Ok(())
    }

    /// Selects the applet and performs BAC with the document's printed MRZ.
    pub(crate) fn open(&mut self) {
        assert_eq!(self.select_applet(), 0x9000);
        let info = mrz_information_of(self.chip.document().mrz());
        self.bac(&info).expect("BAC");
    }

    /// Installs a session established elsewhere (PACE).
    pub(crate) fn set_session(&mut self, session: Session) {
        self.session = Some(session);
    }

    /// Protects `cmd` (ICAO 9303-11 §9.8.4) and returns the wire bytes; advances the SSC.
    pub(crate) fn protect(&mut self, cmd: &CommandApdu) -> Vec<u8> {
        let session = self.session.as_mut().expect("no session");
        session.ssc = session.ssc.wrapping_add(1);
        let odd = cmd.ins & 1 == 1;
        let header = [cmd.cla | 0x0C, cmd.ins, cmd.p1, cmd.p2];
        let mut dos = Vec::new();
        if !cmd.data.is_empty() {
            let mut ct = crypto::pad(&cmd.data, session.block());
            session.encrypt(&mut ct);
            if odd {
                dos.extend_from_slice(&tlv(0x85, &ct));
            } else {
                dos.extend_from_slice(&tlv(0x87, &[&[0x01][..], &ct].concat()));
            }
        }
        let extended = cmd.le.is_some_and(|le| le > 256);
        if let Some(le) = cmd.le {
            if extended {
                dos.extend_from_slice(&tlv(0x97, &((le % 65_536) as u16).to_be_bytes()));
            } else {
                dos.extend_from_slice(&tlv(0x97, &[(le % 256) as u8]));
            }
        }
        let mut m = crypto::pad(&header, session.block());
        m.extend_from_slice(&dos);
        let mac = session.mac(&m);
        dos.extend_from_slice(&tlv(0x8E, &mac));
        let mut out = CommandApdu::new(header[0], cmd.ins, cmd.p1, cmd.p2).with_data(dos);
        out.le = Some(if extended { 65_536 } else { 256 });
        out.to_bytes().unwrap()
    }

    /// Checks and decrypts a protected answer (ICAO 9303-11 §9.8.5); advances the SSC.
    pub(crate) fn unprotect(&mut self, raw: Vec<u8>) -> Result<Answer, SmFailure> {
        self.last_raw = raw.clone();
        let answer = split(raw);
        let session = self.session.as_mut().expect("no session");
        session.ssc = session.ssc.wrapping_add(1);
        if answer.data.is_empty() {
            self.session = None;
            return Err(SmFailure::Plain(answer.sw));
        }
        let mut r = Reader::new(&answer.data);
        let mut macced = Vec::new();
        let mut cryptogram = None;
        let mut sw = None;
        let mut mac = None;
        while !r.is_empty() {
            let start = r.position();
            let t = read_tlv(&mut r, "SM").map_err(|_| SmFailure::Malformed)?;
            match t.tag {
                0x85 | 0x87 | 0x99 => macced.extend_from_slice(&answer.data[start..r.position()]),
                _ => {}
            }
            match t.tag {
                0x85 => cryptogram = Some(t.value.to_vec()),
                0x87 => cryptogram = Some(t.value.get(1..).ok_or(SmFailure::Malformed)?.to_vec()),
                0x99 => sw = Some(u16::from_be_bytes([t.value[0], t.value[1]])),
                0x8E => mac = Some(t.value.to_vec()),
                _ => return Err(SmFailure::Malformed),
            }
        }
        self.last_had_do99 = sw.is_some();
        let Some(mac) = mac else {
            self.session = None;
            return Err(SmFailure::NoMac);
        };
        if session.mac(&macced)[..] != mac[..] {
            self.session = None;
            return Err(SmFailure::BadMac);
        }
        let mut data = Vec::new();
        if let Some(mut ct) = cryptogram {
            if ct.is_empty() || ct.len() % session.block() != 0 {
                return Err(SmFailure::BadPadding);
            }
            session.decrypt(&mut ct);
            match crypto::unpad(&ct, session.block()) {
                Ok(d) => data = d.to_vec(),
                Err(_) => {
                    self.session = None;
                    return Err(SmFailure::BadPadding);
                }
            }
        }
        Ok(Answer { data, sw: sw.unwrap_or(answer.sw) })
    }

    /// Sends `cmd` under secure messaging.
    pub(crate) fn send(&mut self, cmd: &CommandApdu) -> Result<Answer, SmFailure> {
        let wire = self.protect(cmd);
        let raw = self.chip.transceive(&wire).map_err(SmFailure::Transport)?;
        self.unprotect(raw)
    }

    /// READ BINARY `B0` by SFI at `offset` (≤ 255).
    pub(crate) fn read_sfi(&mut self, sfi: u8, offset: u8, le: usize) -> Result<Answer, SmFailure> {
        self.send(&CommandApdu::new(0x00, 0xB0, 0x80 | sfi, offset).with_le(le))
    }

    /// READ BINARY `B0` of the current file at a 15-bit offset.
    pub(crate) fn read_at(&mut self, offset: usize, le: usize) -> Result<Answer, SmFailure> {
        self.send(&CommandApdu::new(0x00, 0xB0, (offset >> 8) as u8, offset as u8).with_le(le))
    }

    /// READ BINARY `B1` of the current file at any offset (DO'54'), returning DO'53''s value.
    pub(crate) fn read_odd(&mut self, offset: usize, le: usize) -> Result<Answer, SmFailure> {
        let off = if offset > 0xFFFF {
            vec![(offset >> 16) as u8, (offset >> 8) as u8, offset as u8]
        } else {
            vec![(offset >> 8) as u8, offset as u8]
        };
        self.send(&CommandApdu::new(0x00, 0xB1, 0x00, 0x00).with_data(tlv(0x54, &off)).with_le(le))
    }

    /// Reads a whole file by SFI: the first chunk by SFI, the rest by offset
    /// (`B0` below 32 768, `B1` from there, with `chunk`-byte reads).
    pub(crate) fn read_file(&mut self, sfi: u8, chunk: usize) -> Vec<u8> {
        let first = self.read_sfi(sfi, 0, 8).expect("first read");
        assert_eq!(first.sw, 0x9000, "first read of SFI {sfi:02X}");
        let header = crate::protocol::tlv::read_header(&first.data, "file").expect("header");
        let total = header.total_len().unwrap();
        let mut out = first.data;
        while out.len() < total {
            let want = chunk.min(total - out.len());
            if out.len() < 0x8000 {
                let a = self.read_at(out.len(), want.min(0x8000 - out.len())).expect("read");
                assert!(a.sw == 0x9000 || a.sw == 0x6282, "sw {:04X}", a.sw);
                out.extend_from_slice(&a.data);
            } else {
                let a = self.read_odd(out.len(), want + 4).expect("odd read");
                assert!(a.sw == 0x9000 || a.sw == 0x6282, "sw {:04X}", a.sw);
                let do53 = crate::protocol::tlv::single_tlv(&a.data, 0x53, "DO'53'").expect("DO'53'");
                assert!(!do53.is_empty());
                out.extend_from_slice(do53);
            }
        }
        out
    }
}
