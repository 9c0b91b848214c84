//! Basic Access Control (ICAO 9303-11 §4.3; worked example Appendix D):
//! 1. `k_seed` = first 16 bytes of SHA-1(MRZ_information); `k_enc`, `k_mac` by KDF (§9.7.1).
//! 2. GET CHALLENGE → `rnd_icc` (8 bytes).
//! 3. `s` = `rnd_ifd` ‖ `rnd_icc` ‖ `k_ifd`; `e_ifd` = 3DES-CBC(`k_enc`, `s`); `m_ifd` = MAC(`k_mac`, `e_ifd`).
//! 4. EXTERNAL AUTHENTICATE(`e_ifd` ‖ `m_ifd`) → `e_icc` ‖ `m_icc`; check `m_icc`, decrypt,
//!    check the echoes of `rnd_icc` and `rnd_ifd`.
//! 5. `k_seed` = `k_ifd` ⊕ `k_icc` → `ks_enc`, `ks_mac`; `ssc` = `rnd_icc`[4..8] ‖ `rnd_ifd`[4..8].
//!
//! All intermediate secrets live in [`Zeroizing`] buffers and are wiped when
//! the function returns, whatever the outcome.

use crate::protocol::access::Rng;
use crate::protocol::apdu::{CommandApdu, StatusWord};
use crate::protocol::crypto::{self, KDF_ENC, KDF_MAC, KeyKind};
use crate::protocol::error::{Error, Misbehaviour};
use crate::protocol::sm::SecureChannel;
use crate::protocol::transceive::{Transceive, transmit};
use digest::Digest;
use zeroize::Zeroizing;

/// GET CHALLENGE (ISO/IEC 7816-4 §11.5.3): 8 random bytes from the chip.
pub fn get_challenge<T: Transceive + ?Sized>(t: &mut T) -> Result<[u8; 8], Error> {
    let r = transmit(t, &CommandApdu::new(0x00, 0x84, 0x00, 0x00).with_le(8))?.ok("GET CHALLENGE")?;
    let mut rnd = [0u8; 8];
    if r.data.len() != 8 {
        return Err(Misbehaviour::Authentication("GET CHALLENGE did not return 8 bytes").into());
    }
    rnd.copy_from_slice(&r.data);
    Ok(rnd)
}

/// `k_seed` of BAC: the first 16 bytes of SHA-1 over the MRZ information (ICAO 9303-11 §9.7.2).
pub fn bac_k_seed(mrz_information: &[u8]) -> Zeroizing<Vec<u8>> {
    let digest = sha1::Sha1::digest(mrz_information);
    Zeroizing::new(digest.get(..16).unwrap_or(&[]).to_vec())
}

/// Runs BAC with the chip and returns the secure channel it establishes.
///
/// `mrz_information` is the key seed input (document number, date of birth,
/// date of expiry, each with its check digit). A non-`9000` answer to EXTERNAL
/// AUTHENTICATE (`6300`, `6982`, ...) is [`Error::AccessDenied`]: the key is wrong.
/// A response that fails its MAC or echoes the wrong nonce is
/// [`Misbehaviour::Authentication`].
pub fn bac<T: Transceive + ?Sized>(
    t: &mut T,
    mrz_information: &[u8],
    rng: &mut dyn Rng,
) -> Result<SecureChannel, Error> {
    let k_seed = bac_k_seed(mrz_information);
    let k_enc = crypto::kdf(&k_seed, KDF_ENC, KeyKind::Des3);
    let k_mac = crypto::kdf(&k_seed, KDF_MAC, KeyKind::Des3);

    let rnd_icc = Zeroizing::new(get_challenge(t)?);
    let mut rnd_ifd = Zeroizing::new([0u8; 8]);
    let mut k_ifd = Zeroizing::new([0u8; 16]);
    rng.fill(&mut rnd_ifd[..])?;
    rng.fill(&mut k_ifd[..])?;

    let mut e_ifd = Zeroizing::new(Vec::with_capacity(40));
    e_ifd.extend_from_slice(&rnd_ifd[..]);
    e_ifd.extend_from_slice(&rnd_icc[..]);
    e_ifd.extend_from_slice(&k_ifd[..]);
    crypto::des3_cbc_encrypt(&k_enc, &[0; 8], &mut e_ifd).map_err(|_| Error::Unsupported("BAC key"))?;
    let m_ifd = crypto::retail_mac(&k_mac, &crypto::pad(&e_ifd, 8)).map_err(|_| Error::Unsupported("BAC key"))?;

    let mut cmd_data = Zeroizing::new(e_ifd.to_vec());
    cmd_data.extend_from_slice(&m_ifd);
    let cmd = CommandApdu::new(0x00, 0x82, 0x00, 0x00).with_data(cmd_data.to_vec()).with_le(40);
    let response = transmit(t, &cmd)?;
    if response.sw != StatusWord::OK {
        return Err(Error::AccessDenied(response.sw));
    }
    let (e_icc, m_icc) = match response.data.as_slice() {
        [e @ .., m1, m2, m3, m4, m5, m6, m7, m8] if e.len() == 32 => (e, [*m1, *m2, *m3, *m4, *m5, *m6, *m7, *m8]),
        _ => return Err(Misbehaviour::Authentication("EXTERNAL AUTHENTICATE response is not 40 bytes").into()),
    };
    let expected = crypto::retail_mac(&k_mac, &crypto::pad(e_icc, 8)).map_err(|_| Error::Unsupported("BAC key"))?;
    if !crypto::ct_eq(&expected, &m_icc) {
        return Err(Misbehaviour::Authentication("EXTERNAL AUTHENTICATE response MAC").into());
    }
    let mut r = Zeroizing::new(e_icc.to_vec());
    crypto::des3_cbc_decrypt(&k_enc, &[0; 8], &mut r).map_err(|_| Error::Unsupported("BAC key"))?;
    let (echo_icc, rest) = r.split_at(8);
    let (echo_ifd, k_icc) = rest.split_at(8);
    if !crypto::ct_eq(echo_icc, &rnd_icc[..]) || !crypto::ct_eq(echo_ifd, &rnd_ifd[..]) {
        return Err(Misbehaviour::Authentication("EXTERNAL AUTHENTICATE echoed the wrong nonce").into());
    }
    let session_seed: Zeroizing<Vec<u8>> = Zeroizing::new(k_ifd.iter().zip(k_icc).map(|(a, b)| a ^ b).collect());
    let ks_enc = crypto::kdf(&session_seed, KDF_ENC, KeyKind::Des3);
    let ks_mac = crypto::kdf(&session_seed, KDF_MAC, KeyKind::Des3);
    let mut ssc = [0u8; 8];
    ssc[..4].copy_from_slice(&rnd_icc[4..]);
    ssc[4..].copy_from_slice(&rnd_ifd[4..]);
    let channel = SecureChannel::des3(&ks_enc, &ks_mac, ssc);
    zeroize::Zeroize::zeroize(&mut ssc);
    channel
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::TransportError;
    use hex_literal::hex;
    use std::collections::VecDeque;

    /// Replays fixed responses and records the commands.
    struct Script {
        responses: VecDeque<Vec<u8>>,
        sent: Vec<Vec<u8>>,
    }

    impl Transceive for Script {
        fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent.push(command.to_vec());
            self.responses.pop_front().ok_or(TransportError::CardRemoved)
        }
    }

    struct Fixed(VecDeque<Vec<u8>>);
    impl Rng for Fixed {
        fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error> {
            let v = self.0.pop_front().ok_or(Error::Cancelled)?;
            buf.copy_from_slice(&v);
            Ok(())
        }
    }

    fn appendix_d_rng() -> Fixed {
        Fixed(VecDeque::from([hex!("781723860C06C226").to_vec(), hex!("0B795240CB7049B01C19B33E32804F0B").to_vec()]))
    }

    /// ICAO 9303-11 Appendix D.3: the BAC exchange with its published values.
    #[test]
    fn appendix_d_bac() {
        assert_eq!(&bac_k_seed(b"L898902C<369080619406236")[..], hex!("239AB9CB282DAF66231DC5A4DF6BFBAE"));
        let mut chip = Script {
            responses: VecDeque::from([
                hex!("4608F919887022129000").to_vec(),
                hex!("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000").to_vec(),
            ]),
            sent: vec![],
        };
        let mut sm = bac(&mut chip, b"L898902C<369080619406236", &mut appendix_d_rng()).unwrap();
        assert_eq!(chip.sent[0], hex!("0084000008"));
        assert_eq!(
            chip.sent[1],
            hex!("0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28")
        );
        assert_eq!(sm.ssc(), hex!("887022120C06C226"));
        // The session keys are the published KSenc/KSmac: the protected SELECT matches D.4.
        let w = sm.wrap(&CommandApdu::new(0, 0xA4, 2, 0x0C).with_data(hex!("011E"))).unwrap();
        assert_eq!(w.to_bytes().unwrap(), hex!("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"));
    }

    #[test]
    fn wrong_key_is_access_denied() {
        let mut chip = Script {
            responses: VecDeque::from([hex!("4608F919887022129000").to_vec(), hex!("6300").to_vec()]),
            sent: vec![],
        };
        let err = bac(&mut chip, b"L898902C<369080619406236", &mut appendix_d_rng()).unwrap_err();
        assert_eq!(err, Error::AccessDenied(StatusWord::VERIFICATION_FAILED));
    }

    #[test]
    fn bad_mac_and_bad_echo_are_rejected() {
        let mut bad_mac =
            hex!("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74489000").to_vec();
        let mut chip = Script {
            responses: VecDeque::from([hex!("4608F919887022129000").to_vec(), bad_mac.clone()]),
            sent: vec![],
        };
        assert_eq!(
            bac(&mut chip, b"L898902C<369080619406236", &mut appendix_d_rng()).unwrap_err(),
            Error::Misbehaving(Misbehaviour::Authentication("EXTERNAL AUTHENTICATE response MAC"))
        );
        // A different challenge than the chip's own makes its (genuine) answer echo the wrong nonce.
        bad_mac.clear();
        let mut chip = Script {
            responses: VecDeque::from([
                hex!("4608F919887022139000").to_vec(),
                hex!("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000").to_vec(),
            ]),
            sent: vec![],
        };
        assert!(matches!(
            bac(&mut chip, b"L898902C<369080619406236", &mut appendix_d_rng()),
            Err(Error::Misbehaving(Misbehaviour::Authentication(_)))
        ));
        let mut chip = Script { responses: VecDeque::from([hex!("46089000").to_vec()]), sent: vec![] };
        assert!(matches!(
            bac(&mut chip, b"x", &mut appendix_d_rng()),
            Err(Error::Misbehaving(Misbehaviour::Authentication(_)))
        ));
    }
}
