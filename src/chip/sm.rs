//! The chip side of secure messaging (ICAO 9303-11 §9.8; ISO/IEC 7816-4 §10).
//!
//! A protected command is `CLA|0C INS P1 P2 Lc [DO'87'|DO'85'] [DO'97'] DO'8E' Le`:
//!
//! ```text
//! DO'87' = 87 L 01 || E(KS_enc, pad(data))   command data, even INS
//! DO'85' = 85 L E(KS_enc, pad(data))         command data, odd INS (data is BER-TLV)
//! DO'97' = 97 L Ne                           1 byte (00 = 256) or 2 bytes (0000 = 65 536)
//! DO'8E' = 8E 08 MAC(KS_mac, pad(SSC || pad(CLA INS P1 P2) || DO'87' || DO'97'))
//! ```
//!
//! and its response `[DO'87'|DO'85'] DO'99' DO'8E' 90 00`, with DO'99' = `99 02 SW1 SW2`
//! and the MAC over `pad(SSC || DO'87' || DO'99')`. The send sequence counter is
//! incremented before the command MAC is checked and again before the response
//! MAC is made. The MAC is checked before anything is decrypted; any error ends
//! the session (the caller drops it) and is answered in plain with `6987`
//! (objects missing) or `6988` (objects incorrect).
//!
//! The cipher suite is [`SmCipher`]: 3DES (BAC; IV zero, ISO/IEC 9797-1 MAC
//! algorithm 3) or AES (PACE/CA; IV = E(KS_enc, SSC), CMAC truncated to 8 bytes,
//! 16-byte SSC and blocks), so PACE can reuse this code unchanged.

use super::faults::{Fault, Fired};
use crate::protocol::apdu::{CommandApdu, MAX_EXTENDED_LE, MAX_SHORT_LE, ResponseApdu, StatusWord};
use crate::protocol::crypto::{self, CryptoError, SecretBytes};
use crate::protocol::tlv::{Reader, read_tlv, tlv};
use zeroize::{Zeroize, Zeroizing};

/// The cipher suite of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmCipher {
    /// Two-key 3DES-CBC with IV 0 and retail MAC (ICAO 9303-11 §9.8.6.1, BAC).
    Des3,
    /// AES-CBC with IV = E(KS_enc, SSC) and AES-CMAC/8 (ICAO 9303-11 §9.8.6.2, PACE/CA).
    Aes,
}

impl SmCipher {
    /// Block size, also the SSC length.
    pub fn block(self) -> usize {
        match self {
            Self::Des3 => 8,
            Self::Aes => 16,
        }
    }
}

/// An established secure-messaging session: keys and send sequence counter, wiped on drop.
pub(crate) struct SmSession {
    cipher: SmCipher,
    ks_enc: SecretBytes,
    ks_mac: SecretBytes,
    ssc: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for SmSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SmSession({:?}, <keys redacted>)", self.cipher)
    }
}

/// Errors in a protected command, answered in plain (ICAO 9303-11 §9.8.6).
fn missing() -> StatusWord {
    StatusWord::SM_OBJECTS_MISSING
}
fn incorrect() -> StatusWord {
    StatusWord::SM_OBJECTS_INCORRECT
}

impl SmSession {
    /// The session keys `KS_Enc` and `KS_MAC`, copied.
    pub(crate) fn keys(&self) -> (SecretBytes, SecretBytes) {
        (self.ks_enc.clone(), self.ks_mac.clone())
    }

    /// A session with the given keys and initial SSC (its length must equal the block size).
    pub(crate) fn new(cipher: SmCipher, ks_enc: SecretBytes, ks_mac: SecretBytes, ssc: &[u8]) -> Self {
        let mut counter = Zeroizing::new(vec![0u8; cipher.block()]);
        let skip = cipher.block().saturating_sub(ssc.len());
        for (dst, src) in counter.iter_mut().skip(skip).zip(ssc.iter()) {
            *dst = *src;
        }
        Self { cipher, ks_enc, ks_mac, ssc: counter }
    }

    /// The current send sequence counter (for tests).
    #[cfg(test)]
    pub(crate) fn ssc(&self) -> &[u8] {
        &self.ssc
    }

    fn increment(&mut self) {
        for b in self.ssc.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }

    fn iv(&self) -> Result<Vec<u8>, CryptoError> {
        match self.cipher {
            SmCipher::Des3 => Ok(vec![0u8; 8]),
            SmCipher::Aes => {
                let mut block = [0u8; 16];
                block.copy_from_slice(self.ssc.get(..16).ok_or(CryptoError::KeyLength)?);
                Ok(crypto::aes_encrypt_block(&self.ks_enc, &block)?.to_vec())
            }
        }
    }

    fn encrypt(&self, data: &mut [u8]) -> Result<(), CryptoError> {
        let iv = self.iv()?;
        match self.cipher {
            SmCipher::Des3 => {
                let mut iv8 = [0u8; 8];
                iv8.copy_from_slice(iv.get(..8).ok_or(CryptoError::KeyLength)?);
                crypto::des3_cbc_encrypt(&self.ks_enc, &iv8, data)
            }
            SmCipher::Aes => {
                let mut iv16 = [0u8; 16];
                iv16.copy_from_slice(iv.get(..16).ok_or(CryptoError::KeyLength)?);
                crypto::aes_cbc_encrypt(&self.ks_enc, &iv16, data)
            }
        }
    }

    fn decrypt(&self, data: &mut [u8]) -> Result<(), CryptoError> {
        let iv = self.iv()?;
        match self.cipher {
            SmCipher::Des3 => {
                let mut iv8 = [0u8; 8];
                iv8.copy_from_slice(iv.get(..8).ok_or(CryptoError::KeyLength)?);
                crypto::des3_cbc_decrypt(&self.ks_enc, &iv8, data)
            }
            SmCipher::Aes => {
                let mut iv16 = [0u8; 16];
                iv16.copy_from_slice(iv.get(..16).ok_or(CryptoError::KeyLength)?);
                crypto::aes_cbc_decrypt(&self.ks_enc, &iv16, data)
            }
        }
    }

    /// MAC over `pad(SSC || m)`, 8 bytes.
    fn mac(&self, m: &[u8]) -> Result<[u8; 8], CryptoError> {
        let mut input = Vec::with_capacity(self.ssc.len() + m.len());
        input.extend_from_slice(&self.ssc);
        input.extend_from_slice(m);
        let padded = crypto::pad(&input, self.cipher.block());
        match self.cipher {
            SmCipher::Des3 => crypto::retail_mac(&self.ks_mac, &padded),
            SmCipher::Aes => {
                let full = crypto::aes_cmac(&self.ks_mac, &padded)?;
                let mut out = [0u8; 8];
                out.copy_from_slice(full.get(..8).ok_or(CryptoError::KeyLength)?);
                Ok(out)
            }
        }
    }

    /// Checks and decrypts a protected command into the plain command it carries.
    /// On `Err` the caller answers the status word in plain and drops the session.
    pub(crate) fn unwrap_command(&mut self, cmd: &CommandApdu) -> Result<CommandApdu, StatusWord> {
        const WHAT: &str = "SM command";
        let odd = cmd.ins & 1 == 1;
        let mut cryptogram: Option<(u32, &[u8])> = None;
        let mut le: Option<&[u8]> = None;
        let mut mac: Option<&[u8]> = None;
        let mut r = Reader::new(&cmd.data);
        let mut macced = Vec::new(); // DO'87'/'85' and DO'97' exactly as sent
        while !r.is_empty() {
            let start = r.position();
            let t = read_tlv(&mut r, WHAT).map_err(|_| incorrect())?;
            let raw = cmd.data.get(start..r.position()).ok_or_else(incorrect)?;
            if mac.is_some() {
                return Err(incorrect()); // nothing may follow DO'8E'
            }
            match t.tag {
                0x87 | 0x85 if cryptogram.is_none() && le.is_none() => {
                    cryptogram = Some((t.tag, t.value));
                    macced.extend_from_slice(raw);
                }
                0x97 if le.is_none() => {
                    le = Some(t.value);
                    macced.extend_from_slice(raw);
                }
                0x8E => mac = Some(t.value),
                _ => return Err(incorrect()),
            }
        }
        let mac = mac.ok_or_else(missing)?;
        // ICAO 9303-11 §9.8.5: DO'85' for odd INS, DO'87' for even INS.
        if let Some((tag, _)) = cryptogram
            && (tag == 0x85) != odd
        {
            return Err(incorrect());
        }
        self.increment();
        let mut m = crypto::pad(&[cmd.cla, cmd.ins, cmd.p1, cmd.p2], self.cipher.block());
        m.extend_from_slice(&macced);
        let expected = self.mac(&m).map_err(|_| incorrect())?;
        if !crypto::ct_eq(&expected, mac) {
            return Err(incorrect());
        }
        let mut inner = CommandApdu::new(cmd.cla & !0x0C, cmd.ins, cmd.p1, cmd.p2);
        if let Some((tag, value)) = cryptogram {
            let body = if tag == 0x87 {
                match value.split_first() {
                    Some((0x01, rest)) => rest,
                    _ => return Err(incorrect()),
                }
            } else {
                value
            };
            if body.is_empty() || body.len() % self.cipher.block() != 0 {
                return Err(incorrect());
            }
            let mut plain = Zeroizing::new(body.to_vec());
            self.decrypt(&mut plain).map_err(|_| incorrect())?;
            let data = crypto::unpad(&plain, self.cipher.block()).map_err(|_| incorrect())?;
            inner.data = data.to_vec();
        }
        if let Some(value) = le {
            inner.le = Some(match value {
                [0] => MAX_SHORT_LE,
                [n] => usize::from(*n),
                [0, 0] => MAX_EXTENDED_LE,
                [hi, lo] => usize::from(*hi) << 8 | usize::from(*lo),
                _ => return Err(incorrect()),
            });
        }
        Ok(inner)
    }

    /// Wraps a plain response: `[DO'87'|DO'85'] DO'99' DO'8E' 90 00`, altered by
    /// the secure-messaging faults that fired for it.
    pub(crate) fn wrap_response(&mut self, resp: &ResponseApdu, odd_ins: bool, faults: &Fired) -> Vec<u8> {
        self.increment();
        if faults.has(&Fault::SscSkip) {
            self.increment();
        }
        let block = self.cipher.block();
        let mut body = Vec::new();
        if !resp.data.is_empty() {
            let mut plain = Zeroizing::new(if faults.has(&Fault::ResponseBadPadding) {
                let mut p = resp.data.clone();
                p.push(0x81);
                while !p.len().is_multiple_of(block) {
                    p.push(0);
                }
                p
            } else {
                crypto::pad(&resp.data, block)
            });
            if self.encrypt(&mut plain).is_err() {
                plain.zeroize();
            }
            if faults.has(&Fault::ResponseCryptogramWrong) {
                let n = plain.len();
                if let Some(b) = plain.get_mut(n.saturating_sub(block)) {
                    *b ^= 0x5A;
                }
            }
            if odd_ins && !faults.has(&Fault::OddInsResponseInDo87) {
                body.extend_from_slice(&tlv(0x85, &plain));
            } else {
                let mut value = Vec::with_capacity(plain.len() + 1);
                value.push(0x01);
                value.extend_from_slice(&plain);
                body.extend_from_slice(&tlv(0x87, &value));
            }
        }
        if !faults.has(&Fault::ResponseWithoutDo99) {
            body.extend_from_slice(&tlv(0x99, &[resp.sw.sw1(), resp.sw.sw2()]));
        }
        let mut mac = self.mac(&body).unwrap_or([0; 8]);
        if faults.has(&Fault::ResponseMacWrong) {
            mac[0] ^= 0x01;
        }
        if !faults.has(&Fault::ResponseWithoutMac) {
            body.extend_from_slice(&tlv(0x8E, &mac));
        }
        let sw = if faults.has(&Fault::OuterStatusMirrorsDo99) { resp.sw } else { StatusWord::OK };
        body.push(sw.sw1());
        body.push(sw.sw2());
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    fn appendix_d_session() -> SmSession {
        // ICAO 9303-11 Appendix D.4: KS_enc, KS_mac, SSC after BAC.
        SmSession::new(
            SmCipher::Des3,
            Zeroizing::new(hex!("979EC13B1CBFE9DCD01AB0FED307EAE5").to_vec()),
            Zeroizing::new(hex!("F1CB1F1FB5ADF208806B89DC579DC1F8").to_vec()),
            &hex!("887022120C06C226"),
        )
    }

    /// ICAO 9303-11 Appendix D.4: the chip unwraps the worked example's
    /// SELECT EF.COM and READ BINARY commands and wraps its responses
    /// byte for byte as printed there.
    #[test]
    fn appendix_d4_worked_example() {
        let mut sm = appendix_d_session();
        let select =
            crate::protocol::apdu::parse_command(&hex!("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"))
                .unwrap();
        let inner = sm.unwrap_command(&select).unwrap();
        assert_eq!((inner.cla, inner.ins, inner.p1, inner.p2), (0x00, 0xA4, 0x02, 0x0C));
        assert_eq!(inner.data, hex!("011E"));
        assert_eq!(inner.le, None);
        let resp = sm.wrap_response(&ResponseApdu::status(StatusWord::OK), false, &Fired::default());
        assert_eq!(resp, hex!("990290008E08FA855A5D4C50A8ED9000"));

        let read = crate::protocol::apdu::parse_command(&hex!("0CB000000D9701048E08ED6705417E96BA5500")).unwrap();
        let inner = sm.unwrap_command(&read).unwrap();
        assert_eq!((inner.ins, inner.p1, inner.p2, inner.le), (0xB0, 0, 0, Some(4)));
        let resp = sm.wrap_response(
            &ResponseApdu { data: hex!("60145F01").to_vec(), sw: StatusWord::OK },
            false,
            &Fired::default(),
        );
        assert_eq!(resp, hex!("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"));
        assert_eq!(sm.ssc(), hex!("887022120C06C22A"));

        let read = crate::protocol::apdu::parse_command(&hex!("0CB000040D9701128E082EA28A70F3C7B53500")).unwrap();
        let inner = sm.unwrap_command(&read).unwrap();
        assert_eq!((inner.p1, inner.p2, inner.le), (0, 4, Some(0x12)));
        let resp = sm.wrap_response(
            &ResponseApdu { data: hex!("04303130365F36063034303030305C026175").to_vec(), sw: StatusWord::OK },
            false,
            &Fired::default(),
        );
        assert_eq!(
            resp,
            hex!("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000")
        );
    }

    #[test]
    fn wrong_mac_missing_mac_and_bad_objects() {
        let mut sm = appendix_d_session();
        let mut bad = hex!("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800").to_vec();
        bad[25] ^= 1;
        assert_eq!(
            sm.unwrap_command(&crate::protocol::apdu::parse_command(&bad).unwrap()),
            Err(StatusWord::SM_OBJECTS_INCORRECT)
        );
        let no_mac = CommandApdu::new(0x0C, 0xB0, 0, 0).with_data(hex!("970104")).with_le(256);
        assert_eq!(sm.unwrap_command(&no_mac), Err(StatusWord::SM_OBJECTS_MISSING));
        let junk = CommandApdu::new(0x0C, 0xB0, 0, 0).with_data(hex!("5301008E0800")).with_le(256);
        assert_eq!(sm.unwrap_command(&junk), Err(StatusWord::SM_OBJECTS_INCORRECT));
        let truncated = CommandApdu::new(0x0C, 0xB0, 0, 0).with_data(hex!("8E08AABB")).with_le(256);
        assert_eq!(sm.unwrap_command(&truncated), Err(StatusWord::SM_OBJECTS_INCORRECT));
    }

    #[test]
    fn aes_round_trip_with_iv_from_ssc() {
        let key = Zeroizing::new([7u8; 16].to_vec());
        let mut chip = SmSession::new(SmCipher::Aes, key.clone(), key.clone(), &[0; 16]);
        let mut term = SmSession::new(SmCipher::Aes, key.clone(), key, &[0; 16]);
        let resp = chip.wrap_response(
            &ResponseApdu { data: b"hello world, 19 by".to_vec(), sw: StatusWord::OK },
            true,
            &Fired::default(),
        );
        // DO'85' for odd INS: 2 blocks of 16.
        assert_eq!(&resp[..2], &[0x85, 32]);
        term.increment();
        let mut ct = resp[2..34].to_vec();
        term.decrypt(&mut ct).unwrap();
        assert_eq!(crypto::unpad(&ct, 16).unwrap(), b"hello world, 19 by");
        let mac = term.mac(&resp[..38]).unwrap();
        assert_eq!(&resp[40..48], &mac);
        assert_eq!(chip.ssc()[15], 1);
    }
}
