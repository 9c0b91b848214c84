//! The seam between the protocol core and a chip: one blocking call.
//!
//! A PC/SC card handle, the software chip and test doubles all implement
//! [`Transceive`]; the core never sees which. ISO/IEC 7816-4 §5.3.4
//! response chaining (`61xx` → GET RESPONSE) is resolved here, in
//! [`transmit`], and nowhere else.

use crate::protocol::apdu::{CommandApdu, MAX_SHORT_LE, ResponseApdu};
use crate::protocol::error::{Error, TransportError};

/// Upper bound on GET RESPONSE rounds for one command (bounds a chip that answers `61xx` forever).
pub const MAX_GET_RESPONSE_ROUNDS: usize = 256;
/// Upper bound on the bytes assembled from one command's response chain.
pub const MAX_CHAINED_RESPONSE: usize = 65_538;

/// Sends one command APDU and returns the raw response, status word included.
pub trait Transceive {
    /// Transmits `command` (a serialized APDU) and returns the response bytes.
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;
    /// The card's ATR (for a contactless card, the one the reader built from
    /// its ATS), when the transport knows it.
    fn atr(&self) -> Option<Vec<u8>> {
        None
    }
    /// The largest APDU the reader passes (PC/SC `SCARD_ATTR_MAXINPUT`), when it says.
    fn max_apdu(&self) -> Option<usize> {
        None
    }
}

impl<T: Transceive + ?Sized> Transceive for &mut T {
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transceive(command)
    }
    fn atr(&self) -> Option<Vec<u8>> {
        (**self).atr()
    }
    fn max_apdu(&self) -> Option<usize> {
        (**self).max_apdu()
    }
}

impl<T: Transceive + ?Sized> Transceive for Box<T> {
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transceive(command)
    }
    fn atr(&self) -> Option<Vec<u8>> {
        (**self).atr()
    }
    fn max_apdu(&self) -> Option<usize> {
        (**self).max_apdu()
    }
}

/// Sends `command` and returns the complete response, following `61xx`
/// with GET RESPONSE (`00 C0 00 00 xx`) until the chip has sent everything.
pub fn transmit<T: Transceive + ?Sized>(t: &mut T, command: &CommandApdu) -> Result<ResponseApdu, Error> {
    let bytes = command.to_bytes()?;
    let mut response = ResponseApdu::from_bytes(t.transceive(&bytes)?)?;
    let mut rounds = 0;
    while let Some(available) = response.sw.bytes_available() {
        rounds += 1;
        if rounds > MAX_GET_RESPONSE_ROUNDS {
            return Err(Error::Limit { what: "GET RESPONSE rounds", limit: MAX_GET_RESPONSE_ROUNDS });
        }
        let get = CommandApdu::new(command.cla & 0xF0 & !0x0C, 0xC0, 0, 0).with_le(available.min(MAX_SHORT_LE));
        let mut next = ResponseApdu::from_bytes(t.transceive(&get.to_bytes()?)?)?;
        let mut data = core::mem::take(&mut response.data);
        if data.len().saturating_add(next.data.len()) > MAX_CHAINED_RESPONSE {
            return Err(Error::Limit { what: "chained response", limit: MAX_CHAINED_RESPONSE });
        }
        data.append(&mut next.data);
        response = ResponseApdu { data, sw: next.sw };
    }
    Ok(response)
}
