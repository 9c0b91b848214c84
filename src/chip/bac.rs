//! The chip side of Basic Access Control (ICAO 9303-11 §4.3, key derivation §9.7).
//!
//! 1. GET CHALLENGE (`00 84 00 00 08`) → RND.ICC.
//! 2. EXTERNAL AUTHENTICATE (`00 82 00 00 28` E_IFD || M_IFD, Le `28`): the chip
//!    checks M_IFD = MAC(K_mac, pad(E_IFD)) first, decrypts S = RND.IFD ||
//!    RND.ICC || K.IFD, checks the echo of RND.ICC, and answers E_ICC || M_ICC
//!    with E_ICC = E(K_enc, RND.ICC || RND.IFD || K.ICC).
//! 3. Both sides derive KS_enc, KS_mac from K.IFD ⊕ K.ICC and start the SSC at
//!    RND.ICC[4..8] || RND.IFD[4..8] (§9.8.6.1).
//!
//! A wrong key gives `6300` as on real chips (ICAO leaves the status open; the
//! vsmartcard emulator answers `6988`, which terminals must not rely on).

use super::faults::{Fault, Fired};
use super::mrz::BacKeys;
use super::rng::ChipRng;
use super::sm::{SmCipher, SmSession};
use crate::protocol::apdu::{ResponseApdu, StatusWord};
use crate::protocol::crypto::{self, KDF_ENC, KDF_MAC, KeyKind, ct_eq, kdf};
use zeroize::Zeroizing;

/// Length of EXTERNAL AUTHENTICATE's data: E_IFD (32) || M_IFD (8).
pub(crate) const EXTERNAL_AUTHENTICATE_LEN: usize = 40;

/// Outcome of EXTERNAL AUTHENTICATE.
pub(crate) enum Outcome {
    /// Authenticated: the answer and the new session.
    Established(ResponseApdu, SmSession),
    /// Refused with this answer (no session).
    Refused(ResponseApdu),
}

/// Performs the chip's half of EXTERNAL AUTHENTICATE for the outstanding
/// challenge `rnd_icc`, altered by the BAC faults that fired.
pub(crate) fn external_authenticate(
    keys: &BacKeys,
    rnd_icc: &[u8; 8],
    data: &[u8],
    faults: &Fired,
    rng: &mut ChipRng,
) -> Outcome {
    let refuse = || Outcome::Refused(ResponseApdu::status(StatusWord::VERIFICATION_FAILED));
    if faults.has(&Fault::ExternalAuthenticateRejected) {
        return refuse();
    }
    let (Some(e_ifd), Some(m_ifd)) = (data.get(..32), data.get(32..40)) else {
        return Outcome::Refused(ResponseApdu::status(StatusWord::WRONG_LENGTH));
    };
    let Ok(expected) = crypto::retail_mac(&keys.k_mac, &crypto::pad(e_ifd, 8)) else {
        return refuse();
    };
    if !ct_eq(&expected, m_ifd) {
        return refuse();
    }
    let mut s = Zeroizing::new(e_ifd.to_vec());
    if crypto::des3_cbc_decrypt(&keys.k_enc, &[0; 8], &mut s).is_err() {
        return refuse();
    }
    let (Some(rnd_ifd), Some(echo), Some(k_ifd)) = (s.get(..8), s.get(8..16), s.get(16..32)) else {
        return refuse();
    };
    if !ct_eq(echo, rnd_icc) {
        return refuse();
    }
    let mut k_icc = Zeroizing::new([0u8; 16]);
    if rng.fill(&mut k_icc[..]).is_err() {
        return refuse();
    }
    let mut r = Zeroizing::new(Vec::with_capacity(32));
    r.extend_from_slice(rnd_icc);
    if faults.has(&Fault::ExternalAuthenticateWrongRndIfd) {
        r.extend(rnd_ifd.iter().map(|b| b ^ 0xFF));
    } else {
        r.extend_from_slice(rnd_ifd);
    }
    r.extend_from_slice(&k_icc[..]);
    let mut e_icc = r.to_vec();
    if crypto::des3_cbc_encrypt(&keys.k_enc, &[0; 8], &mut e_icc).is_err() {
        return refuse();
    }
    let Ok(mut m_icc) = crypto::retail_mac(&keys.k_mac, &crypto::pad(&e_icc, 8)) else {
        return refuse();
    };
    if faults.has(&Fault::ExternalAuthenticateWrongMac) {
        m_icc[7] ^= 0x01;
    }
    // Session keys from K_seed = K.IFD xor K.ICC (ICAO 9303-11 §9.7.1).
    let seed: Zeroizing<Vec<u8>> = Zeroizing::new(k_ifd.iter().zip(k_icc.iter()).map(|(a, b)| a ^ b).collect());
    let ks_enc = kdf(&seed, KDF_ENC, KeyKind::Des3);
    let ks_mac = kdf(&seed, KDF_MAC, KeyKind::Des3);
    let mut ssc = [0u8; 8];
    ssc[..4].copy_from_slice(&rnd_icc[4..]);
    for (dst, src) in ssc[4..].iter_mut().zip(rnd_ifd.get(4..8).unwrap_or(&[0; 4])) {
        *dst = *src;
    }
    let mut answer = e_icc;
    answer.extend_from_slice(&m_icc);
    Outcome::Established(
        ResponseApdu { data: answer, sw: StatusWord::OK },
        SmSession::new(SmCipher::Des3, ks_enc, ks_mac, &ssc),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    /// ICAO 9303-11 Appendix D.3: the terminal's EXTERNAL AUTHENTICATE data for
    /// RND.ICC = 4608F91988702212 is accepted with the Appendix D.2 keys.
    #[test]
    fn appendix_d3_cryptogram_is_accepted() {
        let keys = BacKeys::from_mrz_information("L898902C<369080619406236");
        let data = hex!(
            "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"
            "5F1448EEA8AD90A7"
        );
        match external_authenticate(&keys, &hex!("4608F91988702212"), &data, &Fired::default(), &mut ChipRng::default())
        {
            Outcome::Established(resp, _) => {
                assert_eq!(resp.data.len(), 40);
                assert_eq!(resp.sw, StatusWord::OK);
                // Decrypt E_ICC: RND.ICC || RND.IFD || K.ICC.
                let mut r = resp.data[..32].to_vec();
                crypto::des3_cbc_decrypt(&keys.k_enc, &[0; 8], &mut r).unwrap();
                assert_eq!(&r[..16], hex!("4608F91988702212781723860C06C226"));
            }
            Outcome::Refused(r) => panic!("refused: {:?}", r.sw),
        }
    }

    #[test]
    fn wrong_key_or_wrong_echo_gives_6300() {
        let keys = BacKeys::from_mrz_information("L898902C<369080619406236");
        let other = BacKeys::from_mrz_information("L898902C<369080619406237");
        let data = hex!(
            "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"
            "5F1448EEA8AD90A7"
        );
        let sw = |o: Outcome| match o {
            Outcome::Refused(r) => r.sw,
            Outcome::Established(..) => StatusWord::OK,
        };
        assert_eq!(
            sw(external_authenticate(
                &other,
                &hex!("4608F91988702212"),
                &data,
                &Fired::default(),
                &mut ChipRng::default()
            )),
            StatusWord::VERIFICATION_FAILED
        );
        assert_eq!(
            sw(external_authenticate(
                &keys,
                &hex!("4608F91988702213"),
                &data,
                &Fired::default(),
                &mut ChipRng::default()
            )),
            StatusWord::VERIFICATION_FAILED
        );
        assert_eq!(
            sw(external_authenticate(
                &keys,
                &hex!("4608F91988702212"),
                &data[..39],
                &Fired::default(),
                &mut ChipRng::default()
            )),
            StatusWord::WRONG_LENGTH
        );
    }
}
