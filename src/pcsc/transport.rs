//! [`Transceive`] over a PC/SC card, inside a PC/SC transaction.

use crate::pcsc::error::PcscError;
use crate::protocol::error::TransportError;
use crate::protocol::transceive::Transceive;
use zeroize::{Zeroize, Zeroizing};

/// Size of the receive buffer: the largest response pcsc-lite can return
/// (`MAX_BUFFER_SIZE_EXTENDED`, 64 KiB + headers). `MAX_BUFFER_SIZE` (264)
/// is not enough: a short `Le = 00` READ BINARY under secure messaging
/// already returns 256 bytes of data wrapped in DO'87' and DO'8E' (281 bytes
/// measured with vicc), and extended-length responses are larger still.
pub const RECEIVE_BUFFER_SIZE: usize = pcsc::MAX_BUFFER_SIZE_EXTENDED;

/// The protocol core's link to a card held by pcscd.
///
/// It can only be made from a [`pcsc::Transaction`], so every APDU of a read
/// goes out inside one transaction: no other process can interleave commands
/// (and break secure messaging) while it lives. See
/// [`with_transaction`](crate::pcsc::with_transaction).
///
/// Each response is copied out and the receive buffer wiped behind it; the
/// buffer is wiped again on drop (responses carry personal data).
pub struct PcscTransport<'tx> {
    /// The connected card; borrowed from the transaction, so the transaction outlives us.
    card: &'tx pcsc::Card,
    /// Receive buffer of [`RECEIVE_BUFFER_SIZE`] bytes, allocated once per transport.
    buffer: Zeroizing<Vec<u8>>,
}

impl<'tx> PcscTransport<'tx> {
    /// A transport over the card of an open transaction.
    pub fn new(transaction: &'tx pcsc::Transaction<'_>) -> Self {
        let card: &pcsc::Card = transaction;
        Self { card, buffer: Zeroizing::new(vec![0; RECEIVE_BUFFER_SIZE]) }
    }
}

impl core::fmt::Debug for PcscTransport<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PcscTransport").finish_non_exhaustive()
    }
}

impl Transceive for PcscTransport<'_> {
    /// Sends `command` with `SCardTransmit` and returns the response.
    ///
    /// Errors: PC/SC failures are classified by [`PcscError::new`] and
    /// converted to [`TransportError`]. A "successful" transmit that returns
    /// fewer than two bytes is [`TransportError::ShortResponse`]: every
    /// response carries SW1-SW2, and pcsc-lite with vpcd returns exactly
    /// that — success with 0 bytes — when the card side dies mid-transaction.
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let n = match self.card.transmit(command, &mut self.buffer) {
            Ok(response) => response.len(),
            Err(code) => {
                let error = PcscError::new("SCardTransmit", code);
                tracing::debug!(call = error.call(), code = ?error.code(), "PC/SC transmit failed");
                return Err(error.into());
            }
        };
        // pcsc returns a prefix of our buffer, so `n` is within it.
        let Some(filled) = self.buffer.get_mut(..n) else {
            return Err(TransportError::Other(format!("SCardTransmit: response length {n} exceeds the buffer")));
        };
        let out = filled.to_vec();
        filled.zeroize();
        if n < 2 {
            tracing::debug!(bytes = n, "PC/SC transmit returned no status word");
            return Err(TransportError::ShortResponse(n));
        }
        if let [.., sw1, sw2] = out.as_slice() {
            tracing::trace!(sw = format_args!("{sw1:02X}{sw2:02X}"), "APDU exchanged");
        }
        Ok(out)
    }

    /// `SCardStatus`'s ATR.
    fn atr(&self) -> Option<Vec<u8>> {
        self.card.status2_owned().ok().map(|s| s.atr().to_vec()).filter(|a| !a.is_empty())
    }

    /// `SCARD_ATTR_MAXINPUT` (a pcsc-lite attribute: libccid answers with the
    /// reader's `dwMaxCCIDMessageLength` less the 10-byte CCID header; drivers
    /// that do not know it, vpcd among them, fail the call, which is `None`).
    fn max_apdu(&self) -> Option<usize> {
        let value = self.card.get_attribute_owned(pcsc::Attribute::Maxinput).ok()?;
        // A native-endian DWORD: libccid writes a uint32_t; other drivers may write an unsigned long.
        let n = match value.as_slice() {
            [a, b, c, d] => u64::from(u32::from_ne_bytes([*a, *b, *c, *d])),
            [a, b, c, d, e, f, g, h] => u64::from_ne_bytes([*a, *b, *c, *d, *e, *f, *g, *h]),
            _ => return None,
        };
        usize::try_from(n).ok().filter(|&n| n > 0)
    }
}
