//! Secure messaging (ICAO 9303-11 §9.8; ISO/IEC 7816-4 §10): protecting
//! command APDUs and checking and decrypting response APDUs.
//!
//! One [`SecureChannel`] serves both cipher suites: 3DES (BAC, PACE with
//! 3DES; retail MAC, zero IV, 8-byte SSC) and AES (PACE; CMAC truncated to
//! 8 bytes, IV = E(KSenc, SSC), 16-byte SSC).
//!
//! Responses are recognised fully before anything is acted on: every data
//! object is parsed, the MAC (DO'8E') is checked over DO'87'/DO'85' and
//! DO'99', and only then is the cryptogram decrypted and unpadded.
//! Any failure means the session is lost (the chip drops its keys on a
//! secure-messaging error, §9.8.6): the caller must re-authenticate.

use crate::protocol::apdu::{CommandApdu, MAX_EXTENDED_LE, MAX_SHORT_LC, MAX_SHORT_LE, ResponseApdu, StatusWord};
use crate::protocol::crypto::{self, SecretBytes};
use crate::protocol::error::{Error, Misbehaviour};
use crate::protocol::tlv::{self, Reader};
use zeroize::{Zeroize, Zeroizing};

/// DO'85': cryptogram, used for odd INS (no padding-content indicator).
const DO85: u32 = 0x85;
/// DO'87': padding-content indicator `01` followed by the cryptogram.
const DO87: u32 = 0x87;
/// DO'8E': the cryptographic checksum (MAC).
const DO8E: u32 = 0x8E;
/// DO'97': Ne of the unprotected command.
const DO97: u32 = 0x97;
/// DO'99': the processing status (SW1-SW2) of the unprotected response.
const DO99: u32 = 0x99;
/// Length of the MAC in DO'8E' for both suites.
pub const MAC_LEN: usize = 8;
/// Largest protected response we accept (an extended response plus SM overhead).
pub const MAX_PROTECTED_RESPONSE: usize = MAX_EXTENDED_LE + 64;

/// The cipher suite of a secure channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// Two-key 3DES-CBC with ISO/IEC 9797-1 MAC algorithm 3 (ICAO 9303-11 §9.8.6.1 / §9.8.3.2).
    Des3,
    /// AES-CBC with AES-CMAC (ICAO 9303-11 §9.8.6.2 / §9.8.3.3); 16-, 24- or 32-byte keys.
    Aes,
}

impl Suite {
    /// The cipher's block size.
    pub fn block_size(self) -> usize {
        match self {
            Self::Des3 => 8,
            Self::Aes => 16,
        }
    }
    /// The largest plaintext that fits one short protected response (256 bytes):
    /// DO'87' (tag, `81 xx`, indicator, padded cryptogram) + DO'99' (4) + DO'8E' (10).
    /// 231 bytes for 3DES, 223 for AES.
    pub fn max_short_chunk(self) -> usize {
        let bs = self.block_size();
        // 256 - DO'99' - DO'8E' - DO'87' header (tag, 2 length bytes, indicator)
        let room = MAX_SHORT_LE - 4 - (2 + MAC_LEN) - 4;
        (room / bs) * bs - 1
    }
    /// The largest plaintext whose protected response data fits `response_data`
    /// bytes (an extended response: DO'87' with a 3-byte length, DO'99', DO'8E');
    /// 0 when not even one block fits.
    pub fn max_chunk_for_response(self, response_data: usize) -> usize {
        let bs = self.block_size();
        // DO'87' header: tag, `82 xx xx`, padding-content indicator.
        let room = response_data.saturating_sub(4 + (2 + MAC_LEN) + 5);
        ((room / bs) * bs).saturating_sub(1)
    }
}

/// What a protected response turned out to be.
#[derive(Debug)]
pub enum Unwrapped {
    /// An authenticated response: its MAC was valid, its data decrypted.
    Authentic(ResponseApdu),
    /// A bare status word without secure-messaging objects (`6A82`, `6982`, ...):
    /// not authenticated, so its data (if any) was discarded. Chips may answer
    /// errors unprotected; the status may be used only to stop, never to trust data.
    Unprotected(StatusWord),
}

/// A secure-messaging session: keys and send sequence counter, wiped on drop.
pub struct SecureChannel {
    suite: Suite,
    ks_enc: SecretBytes,
    ks_mac: SecretBytes,
    ssc: SecretBytes,
}

/// Every secret field (`ks_enc`, `ks_mac`, `ssc`) is [`SecretBytes`], wiped when dropped.
impl zeroize::ZeroizeOnDrop for SecureChannel {}

impl core::fmt::Debug for SecureChannel {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SecureChannel({:?}, keys redacted)", self.suite)
    }
}

impl SecureChannel {
    /// A 3DES channel from the session keys and the initial SSC (ICAO 9303-11 §9.8.2).
    pub fn des3(ks_enc: &[u8], ks_mac: &[u8], ssc: [u8; 8]) -> Result<Self, Error> {
        if ks_enc.len() != 16 || ks_mac.len() != 16 {
            return Err(Error::Unsupported("3DES session keys must be 16 bytes"));
        }
        Ok(Self {
            suite: Suite::Des3,
            ks_enc: Zeroizing::new(ks_enc.to_vec()),
            ks_mac: Zeroizing::new(ks_mac.to_vec()),
            ssc: Zeroizing::new(ssc.to_vec()),
        })
    }

    /// An AES channel; the SSC starts at zero after PACE (ICAO 9303-11 §9.8.2).
    pub fn aes(ks_enc: &[u8], ks_mac: &[u8], ssc: [u8; 16]) -> Result<Self, Error> {
        if !matches!(ks_enc.len(), 16 | 24 | 32) || ks_mac.len() != ks_enc.len() {
            return Err(Error::Unsupported("AES session keys must be 16, 24 or 32 bytes"));
        }
        Ok(Self {
            suite: Suite::Aes,
            ks_enc: Zeroizing::new(ks_enc.to_vec()),
            ks_mac: Zeroizing::new(ks_mac.to_vec()),
            ssc: Zeroizing::new(ssc.to_vec()),
        })
    }

    /// The cipher suite.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The current send sequence counter (for tests and diagnostics of the worked examples).
    pub fn ssc(&self) -> &[u8] {
        &self.ssc
    }

    fn increment_ssc(&mut self) {
        for b in self.ssc.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }

    fn iv(&self) -> Result<Vec<u8>, Error> {
        match self.suite {
            Suite::Des3 => Ok(vec![0u8; 8]),
            Suite::Aes => {
                let mut block = [0u8; 16];
                block.copy_from_slice(self.ssc.get(..16).ok_or(Error::Unsupported("AES SSC"))?);
                let iv = crypto::aes_encrypt_block(&self.ks_enc, &block).map_err(|_| Error::Unsupported("AES key"))?;
                Ok(iv.to_vec())
            }
        }
    }

    fn encrypt(&self, data: &mut [u8]) -> Result<(), Error> {
        let iv = self.iv()?;
        let r = match self.suite {
            Suite::Des3 => crypto::des3_cbc_encrypt(&self.ks_enc, &to8(&iv), data),
            Suite::Aes => crypto::aes_cbc_encrypt(&self.ks_enc, &to16(&iv), data),
        };
        r.map_err(|_| Error::Unsupported("secure messaging encryption"))
    }

    fn decrypt(&self, data: &mut [u8]) -> Result<(), Error> {
        let iv = self.iv()?;
        let r = match self.suite {
            Suite::Des3 => crypto::des3_cbc_decrypt(&self.ks_enc, &to8(&iv), data),
            Suite::Aes => crypto::aes_cbc_decrypt(&self.ks_enc, &to16(&iv), data),
        };
        r.map_err(|_| sm_error("cryptogram is not a whole number of blocks"))
    }

    /// MAC over pad(SSC || input) (ICAO 9303-11 §9.8.3: the SSC is prepended, full length).
    fn mac(&self, input: &[u8]) -> Result<[u8; MAC_LEN], Error> {
        let bs = self.suite.block_size();
        let mut n = Zeroizing::new(Vec::with_capacity(self.ssc.len() + input.len() + bs));
        n.extend_from_slice(&self.ssc);
        n.extend_from_slice(input);
        let padded = Zeroizing::new(crypto::pad(&n, bs));
        let mut out = [0u8; MAC_LEN];
        match self.suite {
            Suite::Des3 => {
                out = crypto::retail_mac(&self.ks_mac, &padded).map_err(|_| Error::Unsupported("MAC key"))?;
            }
            Suite::Aes => {
                let full = crypto::aes_cmac(&self.ks_mac, &padded).map_err(|_| Error::Unsupported("MAC key"))?;
                out.copy_from_slice(full.get(..MAC_LEN).unwrap_or(&[0u8; MAC_LEN]));
            }
        }
        Ok(out)
    }

    /// Protects a command APDU (ICAO 9303-11 §9.8.4): masks the class byte,
    /// encrypts the data into DO'87' (DO'85' for odd INS), puts Ne in DO'97',
    /// increments the SSC and appends the MAC in DO'8E'.
    pub fn wrap(&mut self, cmd: &CommandApdu) -> Result<CommandApdu, Error> {
        let bs = self.suite.block_size();
        let odd_ins = cmd.ins & 1 == 1;
        let cla = cmd.cla | 0x0C;
        let mut body = Vec::with_capacity(cmd.data.len() + 32);
        // The SSC is incremented before anything is computed: AES derives the
        // IV from it (§9.8.6.2) and the MAC covers it.
        self.increment_ssc();
        if !cmd.data.is_empty() {
            let mut cryptogram = Zeroizing::new(crypto::pad(&cmd.data, bs));
            self.encrypt(&mut cryptogram)?;
            let mut value = Zeroizing::new(Vec::with_capacity(cryptogram.len() + 1));
            if odd_ins {
                value.extend_from_slice(&cryptogram);
                tlv::write_tlv(DO85, &value, &mut body);
            } else {
                value.push(0x01);
                value.extend_from_slice(&cryptogram);
                tlv::write_tlv(DO87, &value, &mut body);
            }
        }
        let extended = cmd.is_extended();
        if let Some(le) = cmd.le {
            if extended {
                let v = ((le % MAX_EXTENDED_LE) as u16).to_be_bytes();
                tlv::write_tlv(DO97, &v, &mut body);
            } else {
                tlv::write_tlv(DO97, &[(le % MAX_SHORT_LE) as u8], &mut body);
            }
        }
        let mut mac_input = crypto::pad(&[cla, cmd.ins, cmd.p1, cmd.p2], bs);
        mac_input.extend_from_slice(&body);
        let mac = self.mac(&mac_input)?;
        mac_input.zeroize();
        tlv::write_tlv(DO8E, &mac, &mut body);
        let long = extended || body.len() > MAX_SHORT_LC;
        Ok(CommandApdu {
            cla,
            ins: cmd.ins,
            p1: cmd.p1,
            p2: cmd.p2,
            data: body,
            le: Some(if long { MAX_EXTENDED_LE } else { MAX_SHORT_LE }),
        })
    }

    /// Checks and decrypts a response to the last wrapped command (ICAO 9303-11 §9.8.5).
    ///
    /// * No data and a secure-messaging error status (`6987`/`6988`) → the chip
    ///   aborted the session: [`Misbehaviour::SecureMessagingAborted`].
    /// * No DO'8E' and status `9000` → [`Misbehaviour::SecureMessaging`] (HOSTILE 14).
    /// * No DO'8E' and another status → [`Unwrapped::Unprotected`]; data discarded,
    ///   SSC not advanced for the response (the chip did not protect it).
    /// * Otherwise the SSC is incremented, the MAC over DO'87'/DO'85' and DO'99' is
    ///   verified, then the cryptogram is decrypted and unpadded. The status is
    ///   DO'99' when present, the outer SW otherwise (chips that omit DO'99').
    pub fn unwrap(&mut self, response: ResponseApdu) -> Result<Unwrapped, Error> {
        if response.data.len() > MAX_PROTECTED_RESPONSE {
            return Err(Error::Limit { what: "protected response", limit: MAX_PROTECTED_RESPONSE });
        }
        let sw = response.sw;
        let unauthenticated = |e: Error| -> Result<Unwrapped, Error> {
            if sw.is_sm_error() {
                Err(Misbehaviour::SecureMessagingAborted(sw).into())
            } else if sw.is_ok() {
                Err(e)
            } else {
                Ok(Unwrapped::Unprotected(sw))
            }
        };
        let parsed = match parse_response_objects(&response.data) {
            Ok(p) => p,
            Err(e) => return unauthenticated(e),
        };
        let Some(mac) = parsed.mac else {
            return unauthenticated(sm_error("response without DO'8E'"));
        };
        self.increment_ssc();
        let expected = self.mac(&parsed.mac_input)?;
        if !crypto::ct_eq(&expected, mac) {
            return Err(sm_error("response MAC mismatch"));
        }
        let sw = match parsed.status {
            Some([a, b]) => StatusWord::new(a, b),
            None => response.sw,
        };
        let mut data = Vec::new();
        if let Some(cryptogram) = parsed.cryptogram {
            let bs = self.suite.block_size();
            if cryptogram.is_empty() || !cryptogram.len().is_multiple_of(bs) {
                return Err(sm_error("cryptogram is not a whole number of blocks"));
            }
            let mut plain = Zeroizing::new(cryptogram.to_vec());
            self.decrypt(&mut plain)?;
            let unpadded = crypto::unpad(&plain, bs).map_err(|_| sm_error("bad padding in the cryptogram"))?;
            data.extend_from_slice(unpadded);
        }
        Ok(Unwrapped::Authentic(ResponseApdu { data, sw }))
    }
}

fn sm_error(what: &'static str) -> Error {
    Misbehaviour::SecureMessaging(what).into()
}

fn to8(v: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (o, i) in out.iter_mut().zip(v) {
        *o = *i;
    }
    out
}

fn to16(v: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (o, i) in out.iter_mut().zip(v) {
        *o = *i;
    }
    out
}

/// The data objects of a protected response, recognised before any is used.
struct ResponseObjects<'a> {
    /// The cryptogram of DO'87' (after its indicator) or DO'85'.
    cryptogram: Option<&'a [u8]>,
    /// DO'99' value.
    status: Option<[u8; 2]>,
    /// DO'8E' value.
    mac: Option<&'a [u8]>,
    /// The encoded DOs covered by the MAC (everything before DO'8E').
    mac_input: Vec<u8>,
}

/// Parses `[DO'87'|DO'85'] [DO'99'] DO'8E'` in that order, each at most once,
/// nothing after DO'8E' (ICAO 9303-11 §9.8.5, Figure 6).
fn parse_response_objects(data: &[u8]) -> Result<ResponseObjects<'_>, Error> {
    let mut r = Reader::new(data);
    let mut out = ResponseObjects { cryptogram: None, status: None, mac: None, mac_input: Vec::new() };
    let mut last = 0u8;
    while !r.is_empty() {
        let start = r.position();
        let t = tlv::read_tlv(&mut r, "secure messaging response")?;
        let raw = data.get(start..r.position()).ok_or(sm_error("response objects"))?;
        let order = match t.tag {
            DO85 | DO87 => 1,
            DO99 => 2,
            DO8E => 3,
            _ => return Err(sm_error("unexpected data object in the response")),
        };
        if order <= last {
            return Err(sm_error("data objects out of order or repeated"));
        }
        last = order;
        match t.tag {
            DO87 => match t.value.split_first() {
                Some((0x01, c)) => out.cryptogram = Some(c),
                _ => return Err(sm_error("DO'87' without padding indicator 01")),
            },
            DO85 => out.cryptogram = Some(t.value),
            DO99 => match t.value {
                [a, b] => out.status = Some([*a, *b]),
                _ => return Err(sm_error("DO'99' is not two bytes")),
            },
            _ => {
                if t.value.len() != MAC_LEN {
                    return Err(sm_error("DO'8E' is not eight bytes"));
                }
                out.mac = Some(t.value);
                if !r.is_empty() {
                    return Err(sm_error("data after DO'8E'"));
                }
                return Ok(out);
            }
        }
        out.mac_input.extend_from_slice(raw);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;
    use proptest::prelude::*;

    fn appendix_d_channel() -> SecureChannel {
        SecureChannel::des3(
            &hex!("979EC13B1CBFE9DCD01AB0FED307EAE5"),
            &hex!("F1CB1F1FB5ADF208806B89DC579DC1F8"),
            hex!("887022120C06C226"),
        )
        .unwrap()
    }

    fn resp(bytes: &[u8]) -> ResponseApdu {
        ResponseApdu::from_bytes(bytes.to_vec()).unwrap()
    }

    fn authentic(u: Unwrapped) -> ResponseApdu {
        match u {
            Unwrapped::Authentic(r) => r,
            Unwrapped::Unprotected(sw) => panic!("unprotected {sw}"),
        }
    }

    /// ICAO 9303-11 Appendix D.4: SELECT EF.COM and two READ BINARY exchanges, byte for byte.
    #[test]
    fn appendix_d_secure_messaging() {
        let mut sm = appendix_d_channel();
        let select = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(hex!("011E"));
        let wrapped = sm.wrap(&select).unwrap();
        assert_eq!(wrapped.to_bytes().unwrap(), hex!("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"));
        assert_eq!(sm.ssc(), hex!("887022120C06C227"));
        let r = authentic(sm.unwrap(resp(&hex!("990290008E08FA855A5D4C50A8ED9000"))).unwrap());
        assert_eq!((r.data.len(), r.sw), (0, StatusWord::OK));

        let read4 = CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_le(4);
        assert_eq!(sm.wrap(&read4).unwrap().to_bytes().unwrap(), hex!("0CB000000D9701048E08ED6705417E96BA5500"));
        let r = authentic(sm.unwrap(resp(&hex!("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))).unwrap());
        assert_eq!(r.data, hex!("60145F01"));

        let read18 = CommandApdu::new(0x00, 0xB0, 0x00, 0x04).with_le(0x12);
        assert_eq!(sm.wrap(&read18).unwrap().to_bytes().unwrap(), hex!("0CB000040D9701128E082EA28A70F3C7B53500"));
        let r = authentic(
            sm.unwrap(resp(&hex!(
                "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"
            )))
            .unwrap(),
        );
        assert_eq!(r.data, hex!("04303130365F36063034303030305C026175"));
        assert_eq!(sm.ssc(), hex!("887022120C06C22C"));
    }

    #[test]
    fn mac_is_checked_before_decryption() {
        let mut sm = appendix_d_channel();
        sm.wrap(&CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(hex!("011E"))).unwrap();
        let err = sm.unwrap(resp(&hex!("990290008E08FA855A5D4C50A8EE9000"))).unwrap_err();
        assert_eq!(err, Error::Misbehaving(Misbehaviour::SecureMessaging("response MAC mismatch")));
    }

    #[test]
    fn response_without_mac_is_rejected_and_plain_errors_are_unprotected() {
        let mut sm = appendix_d_channel();
        sm.wrap(&CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_le(4)).unwrap();
        assert!(matches!(
            sm.unwrap(resp(&hex!("9902900090 00"))),
            Err(Error::Misbehaving(Misbehaviour::SecureMessaging(_)))
        ));
        assert!(matches!(sm.unwrap(resp(&hex!("6A82"))), Ok(Unwrapped::Unprotected(StatusWord::FILE_NOT_FOUND))));
        assert!(matches!(
            sm.unwrap(resp(&hex!("6988"))),
            Err(Error::Misbehaving(Misbehaviour::SecureMessagingAborted(StatusWord::SM_OBJECTS_INCORRECT)))
        ));
        // Plain data with a warning (an emulator's unprotected 6282): data discarded, status kept.
        assert!(matches!(
            sm.unwrap(resp(&hex!("60145F0104 6282"))),
            Ok(Unwrapped::Unprotected(StatusWord::END_OF_FILE))
        ));
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(Suite::Des3.max_short_chunk(), 231);
        assert_eq!(Suite::Aes.max_short_chunk(), 223);
    }

    /// A minimal chip-side protector, written from §9.8.5 independently of `wrap`, for round trips.
    fn chip_protect(
        suite: Suite,
        ks_enc: &[u8],
        ks_mac: &[u8],
        ssc: &[u8],
        data: &[u8],
        sw: u16,
        with_do99: bool,
    ) -> Vec<u8> {
        let bs = suite.block_size();
        let ch = |ssc: &[u8]| match suite {
            Suite::Des3 => SecureChannel::des3(ks_enc, ks_mac, to8(ssc)).unwrap(),
            Suite::Aes => SecureChannel::aes(ks_enc, ks_mac, to16(ssc)).unwrap(),
        };
        let c = ch(ssc);
        let mut out = Vec::new();
        if !data.is_empty() {
            let mut p = crypto::pad(data, bs);
            c.encrypt(&mut p).unwrap();
            let mut v = vec![1];
            v.extend_from_slice(&p);
            tlv::write_tlv(DO87, &v, &mut out);
        }
        if with_do99 {
            tlv::write_tlv(DO99, &sw.to_be_bytes(), &mut out);
        }
        let mac = c.mac(&out).unwrap();
        tlv::write_tlv(DO8E, &mac, &mut out);
        out.extend_from_slice(&sw.to_be_bytes());
        out
    }

    proptest! {
        #[test]
        fn protect_unprotect_round_trip(aes in any::<bool>(), key in proptest::collection::vec(any::<u8>(), 16), mkey in proptest::collection::vec(any::<u8>(), 16),
                                        ssc0 in any::<u64>(), data in proptest::collection::vec(any::<u8>(), 0..240), do99 in any::<bool>()) {
            let (suite, ssc) = if aes { (Suite::Aes, { let mut s = vec![0u8; 8]; s.extend_from_slice(&ssc0.to_be_bytes()); s }) } else { (Suite::Des3, ssc0.to_be_bytes().to_vec()) };
            let mut sm = match suite { Suite::Des3 => SecureChannel::des3(&key, &mkey, to8(&ssc)).unwrap(), Suite::Aes => SecureChannel::aes(&key, &mkey, to16(&ssc)).unwrap() };
            let wrapped = sm.wrap(&CommandApdu::new(0, 0xB0, 0, 0).with_le(data.len().max(1))).unwrap();
            prop_assert_eq!(wrapped.cla, 0x0C);
            let chip_ssc = sm.ssc().to_vec();
            let mut next = chip_ssc.clone();
            for b in next.iter_mut().rev() { let (v, c) = b.overflowing_add(1); *b = v; if !c { break; } }
            let bytes = chip_protect(suite, &key, &mkey, &next, &data, 0x9000, do99);
            let r = authentic(sm.unwrap(ResponseApdu::from_bytes(bytes).unwrap()).unwrap());
            prop_assert_eq!(&r.data, &data);
            prop_assert_eq!(r.sw, StatusWord::OK);
        }

        #[test]
        fn unwrap_never_panics(bytes in proptest::collection::vec(any::<u8>(), 2..300)) {
            let mut sm = appendix_d_channel();
            let _ = sm.unwrap(ResponseApdu::from_bytes(bytes).unwrap());
        }
    }
}
