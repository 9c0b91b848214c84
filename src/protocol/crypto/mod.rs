//! Cryptographic building blocks of BAC, PACE and secure messaging, on RustCrypto.
//!
//! Hand-written here, because no crate implements them: ICAO's key derivation
//! function (ICAO 9303-11 §9.7.1), ISO/IEC 9797-1 padding method 2 and DES
//! parity adjustment. Ciphers and MACs come from `des`, `aes`, `cbc`, `cmac`
//! and `retail-mac` (ISO/IEC 9797-1 MAC algorithm 3).

pub mod ec;

use cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use digest::{Digest, KeyInit, Mac};
use zeroize::{Zeroize, Zeroizing};

/// Key bytes that are wiped when dropped.
pub type SecretBytes = Zeroizing<Vec<u8>>;

/// ICAO 9303-11 §9.7.1 key derivation counter for the encryption key.
pub const KDF_ENC: u32 = 1;
/// ICAO 9303-11 §9.7.1 key derivation counter for the MAC key.
pub const KDF_MAC: u32 = 2;
/// ICAO 9303-11 §9.7.3 key derivation counter for the PACE password key.
pub const KDF_PACE: u32 = 3;

/// Errors of the primitives: only wrong sizes, which are programming errors
/// or malformed input the caller reports in its own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// A key or IV had the wrong length.
    #[error("invalid key or IV length")]
    KeyLength,
    /// Data was not a whole number of blocks.
    #[error("data is not a multiple of the block size")]
    NotBlockAligned,
    /// ISO/IEC 9797-1 padding method 2 was absent or malformed.
    #[error("invalid padding")]
    BadPadding,
}

/// ISO/IEC 9797-1 padding method 2: append `80` then `00` up to a block boundary.
pub fn pad(data: &[u8], block: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + block);
    out.extend_from_slice(data);
    out.push(0x80);
    while out.len() % block != 0 {
        out.push(0);
    }
    out
}

/// Removes ISO/IEC 9797-1 padding method 2 (at most one block of it).
pub fn unpad(data: &[u8], block: usize) -> Result<&[u8], CryptoError> {
    let end = data.iter().rposition(|&b| b != 0).ok_or(CryptoError::BadPadding)?;
    if data.get(end) != Some(&0x80) || data.len() - end > block {
        return Err(CryptoError::BadPadding);
    }
    data.get(..end).ok_or(CryptoError::BadPadding)
}

/// Sets odd parity on every byte of a DES key (FIPS 46-3; ICAO 9303-11 §9.7.1 step 3).
pub fn adjust_parity(key: &mut [u8]) {
    for b in key.iter_mut() {
        let ones = (*b & 0xFE).count_ones();
        *b = (*b & 0xFE) | u8::from(ones % 2 == 0);
    }
}

/// Which key a derivation is for, with its length (ICAO 9303-11 §9.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Two-key 3DES (16 bytes, parity adjusted), from SHA-1.
    Des3,
    /// AES-128, from SHA-1.
    Aes128,
    /// AES-192, from SHA-256 (first 24 bytes).
    Aes192,
    /// AES-256, from SHA-256.
    Aes256,
}

impl KeyKind {
    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Self::Des3 | Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }
}

/// KDF(K, c) of ICAO 9303-11 §9.7.1: hash `k || c` (c as 32-bit big-endian)
/// and keep the first bytes the key needs.
pub fn kdf(k: &[u8], counter: u32, kind: KeyKind) -> SecretBytes {
    let mut input = Zeroizing::new(Vec::with_capacity(k.len() + 4));
    input.extend_from_slice(k);
    input.extend_from_slice(&counter.to_be_bytes());
    let mut out = match kind {
        KeyKind::Des3 | KeyKind::Aes128 => Zeroizing::new(sha1::Sha1::digest(&*input).to_vec()),
        KeyKind::Aes192 | KeyKind::Aes256 => Zeroizing::new(sha2::Sha256::digest(&*input).to_vec()),
    };
    out.truncate(kind.key_len());
    if kind == KeyKind::Des3 {
        adjust_parity(&mut out);
    }
    out
}

fn cbc_encrypt<C>(key: &[u8], iv: &[u8], data: &mut [u8]) -> Result<(), CryptoError>
where
    cbc::Encryptor<C>: KeyIvInit + BlockModeEncrypt,
    C: cipher::BlockCipherEncrypt,
{
    let mut mode = cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(|_| CryptoError::KeyLength)?;
    let bs = <cbc::Encryptor<C> as cipher::BlockSizeUser>::block_size();
    if !data.len().is_multiple_of(bs) {
        return Err(CryptoError::NotBlockAligned);
    }
    for chunk in data.chunks_exact_mut(bs) {
        let mut block =
            cipher::Block::<cbc::Encryptor<C>>::try_from(&*chunk).map_err(|_| CryptoError::NotBlockAligned)?;
        mode.encrypt_block(&mut block);
        chunk.copy_from_slice(&block);
    }
    Ok(())
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], data: &mut [u8]) -> Result<(), CryptoError>
where
    cbc::Decryptor<C>: KeyIvInit + BlockModeDecrypt,
    C: cipher::BlockCipherDecrypt,
{
    let mut mode = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| CryptoError::KeyLength)?;
    let bs = <cbc::Decryptor<C> as cipher::BlockSizeUser>::block_size();
    if !data.len().is_multiple_of(bs) {
        return Err(CryptoError::NotBlockAligned);
    }
    for chunk in data.chunks_exact_mut(bs) {
        let mut block =
            cipher::Block::<cbc::Decryptor<C>>::try_from(&*chunk).map_err(|_| CryptoError::NotBlockAligned)?;
        mode.decrypt_block(&mut block);
        chunk.copy_from_slice(&block);
        block.zeroize();
    }
    Ok(())
}

/// Two-key 3DES (EDE, K1 K2 K1) in CBC mode, encrypting block-aligned `data` in place.
pub fn des3_cbc_encrypt(key: &[u8], iv: &[u8; 8], data: &mut [u8]) -> Result<(), CryptoError> {
    cbc_encrypt::<des::TdesEde2>(key, iv, data)
}

/// Two-key 3DES CBC decryption in place.
pub fn des3_cbc_decrypt(key: &[u8], iv: &[u8; 8], data: &mut [u8]) -> Result<(), CryptoError> {
    cbc_decrypt::<des::TdesEde2>(key, iv, data)
}

/// ISO/IEC 9797-1 MAC algorithm 3 with DES (retail MAC), over data that the
/// caller has already padded with method 2 (ICAO 9303-11 §9.8.3.2).
pub fn retail_mac(key: &[u8], padded: &[u8]) -> Result<[u8; 8], CryptoError> {
    let mut mac =
        <retail_mac::RetailMac<des::Des> as KeyInit>::new_from_slice(key).map_err(|_| CryptoError::KeyLength)?;
    mac.update(padded);
    let tag = mac.finalize().into_bytes();
    let mut out = [0u8; 8];
    out.copy_from_slice(&tag);
    Ok(out)
}

/// AES in CBC mode (key of 16, 24 or 32 bytes), encrypting block-aligned `data` in place.
pub fn aes_cbc_encrypt(key: &[u8], iv: &[u8; 16], data: &mut [u8]) -> Result<(), CryptoError> {
    match key.len() {
        16 => cbc_encrypt::<aes::Aes128>(key, iv, data),
        24 => cbc_encrypt::<aes::Aes192>(key, iv, data),
        32 => cbc_encrypt::<aes::Aes256>(key, iv, data),
        _ => Err(CryptoError::KeyLength),
    }
}

/// AES-CBC decryption in place.
pub fn aes_cbc_decrypt(key: &[u8], iv: &[u8; 16], data: &mut [u8]) -> Result<(), CryptoError> {
    match key.len() {
        16 => cbc_decrypt::<aes::Aes128>(key, iv, data),
        24 => cbc_decrypt::<aes::Aes192>(key, iv, data),
        32 => cbc_decrypt::<aes::Aes256>(key, iv, data),
        _ => Err(CryptoError::KeyLength),
    }
}

/// AES in ECB mode on one block (used to derive the SM IV from the SSC, ICAO 9303-11 §9.8.6.1).
pub fn aes_encrypt_block(key: &[u8], block: &[u8; 16]) -> Result<[u8; 16], CryptoError> {
    let mut data = *block;
    aes_cbc_encrypt(key, &[0u8; 16], &mut data)?;
    Ok(data)
}

/// AES-CMAC (NIST SP 800-38B), full 16-byte tag; ICAO truncates it to 8 bytes.
pub fn aes_cmac(key: &[u8], data: &[u8]) -> Result<[u8; 16], CryptoError> {
    fn run<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Result<[u8; 16], CryptoError> {
        let mut mac = <M as KeyInit>::new_from_slice(key).map_err(|_| CryptoError::KeyLength)?;
        mac.update(data);
        let tag = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        if tag.len() != 16 {
            return Err(CryptoError::KeyLength);
        }
        out.copy_from_slice(&tag);
        Ok(out)
    }
    match key.len() {
        16 => run::<cmac::Cmac<aes::Aes128>>(key, data),
        24 => run::<cmac::Cmac<aes::Aes192>>(key, data),
        32 => run::<cmac::Cmac<aes::Aes256>>(key, data),
        _ => Err(CryptoError::KeyLength),
    }
}

/// Constant-time comparison of two MACs.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), crate::protocol::error::Error> {
    getrandom::fill(buf).map_err(|_| crate::protocol::error::Error::Unsupported("no operating-system random source"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    /// ICAO 9303-11 Appendix D.2: K_seed → K_enc, K_mac.
    #[test]
    fn appendix_d_key_derivation() {
        let k_seed = hex!("239AB9CB282DAF66231DC5A4DF6BFBAE");
        assert_eq!(&kdf(&k_seed, KDF_ENC, KeyKind::Des3)[..], hex!("AB94FDECF2674FDFB9B391F85D7F76F2"));
        assert_eq!(&kdf(&k_seed, KDF_MAC, KeyKind::Des3)[..], hex!("7962D9ECE03D1ACD4C76089DCE131543"));
    }

    #[test]
    fn padding_round_trip_and_rejects() {
        assert_eq!(pad(&[1, 2, 3], 8), [1, 2, 3, 0x80, 0, 0, 0, 0]);
        assert_eq!(pad(&[0; 8], 8).len(), 16);
        assert_eq!(unpad(&[1, 2, 3, 0x80, 0, 0, 0, 0], 8), Ok(&[1u8, 2, 3][..]));
        assert_eq!(unpad(&[1, 2, 3, 0, 0, 0, 0, 0], 8), Err(CryptoError::BadPadding));
        assert_eq!(unpad(&[0; 8], 8), Err(CryptoError::BadPadding));
        assert_eq!(unpad(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8), Err(CryptoError::BadPadding));
    }

    #[test]
    fn retail_mac_iso_vector() {
        // ISO/IEC 9797-1 Annex B.4, as published with the retail-mac crate.
        let mac = retail_mac(&hex!("0123456789ABCDEFFEDCBA9876543210"), b"Now is the time for all ").unwrap();
        assert_eq!(mac, hex!("A1C72E74EA3FA9B6"));
    }

    #[test]
    fn cmac_rfc4493_vector() {
        let tag =
            aes_cmac(&hex!("2b7e151628aed2a6abf7158809cf4f3c"), &hex!("6bc1bee22e409f96e93d7e117393172a")).unwrap();
        assert_eq!(tag, hex!("070a16b46b4d4144f79bdd9dd04a287c"));
    }
}
