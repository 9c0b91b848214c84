//! A bridge that puts the software chip into pcscd's `vpcd` virtual reader
//! (vsmartcard), so end-to-end tests can reach it through a real PC/SC stack.
//!
//! The card side is a TCP **client** of vpcd (port 35963 for `Virtual PCD 00 00`,
//! 35964 for `Virtual PCD 00 01`). Every message either way is a 2-byte
//! big-endian length and a payload:
//!
//! | from pcscd | meaning | answer |
//! |---|---|---|
//! | `00 01 00` | power off | none; the chip is [reset](SoftwareChip::reset) |
//! | `00 01 01` | power on | none; reset |
//! | `00 01 02` | reset | none; reset |
//! | `00 01 04` | get ATR | the [`ATR`] |
//! | `LL LL <APDU>` | a command APDU | the response APDU |
//!
//! The card is "inserted" while connected. When the card leaves (an injected
//! [`CardRemoved`](super::Fault::CardRemoved) fault) the bridge closes the
//! connection — pcscd sees the card leave — and returns. When the chip stops
//! answering but stays in the field (an injected
//! [`Timeout`](super::Fault::Timeout) fault) the bridge sends nothing back and
//! keeps the connection: pcscd's `SCardTransmit` then waits (vpcd has no time
//! limit), until a power cycle or reset from pcscd (the chip answers again) or
//! until the card is taken away (`stop`). When pcscd closes the
//! connection (it was restarted), the chip is reset and the bridge connects
//! again. It also keeps retrying while vpcd is not listening yet. Setting
//! `stop` ends it within [`POLL`]: the card leaves the reader.
//!
//! Latency: vpcd writes the length and the APDU in two `send()` calls. With
//! Nagle's algorithm on its side and a delayed ACK on ours, the second waits
//! ~40 ms for the ACK of the first — on every APDU (measured: 45 ms per round
//! trip with `TCP_NODELAY` alone). The bridge re-arms `TCP_QUICKACK` before
//! every read (Linux leaves quick-ACK mode by itself once the connection looks
//! interactive), sets `TCP_NODELAY` and answers with a single write: well
//! under a millisecond per APDU on loopback.

use super::card::{ATR, SoftwareChip};
use crate::protocol::error::TransportError;
use crate::protocol::transceive::Transceive;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// vpcd's card-side address for the first virtual reader (`Virtual PCD 00 00`).
pub const DEFAULT_ADDR: &str = "127.0.0.1:35963";

/// How often a waiting bridge looks at its `stop` flag (read timeout and
/// reconnect interval).
pub const POLL: Duration = Duration::from_millis(50);

/// Largest vpcd message: the length field is 16 bits.
const MAX_MESSAGE: usize = u16::MAX as usize;

/// Runs `chip` as the card in vpcd's reader at `addr` until `stop` is set or
/// the card leaves (see the [module documentation](self)), then hands the chip
/// back so a test can look at it (APDU count, PACE attempts, faults fired).
///
/// Blocking: run it on its own thread.
///
/// ```no_run
/// use mrtdd::chip::{Document, SoftwareChip, vpcd};
/// use std::sync::{Arc, atomic::{AtomicBool, Ordering}};
/// let stop = Arc::new(AtomicBool::new(false));
/// let chip = SoftwareChip::new(Document::cccd_demo()?);
/// let flag = stop.clone();
/// let card = std::thread::spawn(move || vpcd::serve(chip, vpcd::DEFAULT_ADDR, flag));
/// // ... talk to "Virtual PCD 00 00" through pcscd ...
/// stop.store(true, Ordering::SeqCst);
/// let chip = card.join().unwrap()?;
/// println!("{} APDUs", chip.apdu_count());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn serve(mut chip: SoftwareChip, addr: &str, stop: Arc<AtomicBool>) -> io::Result<SoftwareChip> {
    run(&mut chip, addr, &stop, Duration::ZERO)?;
    Ok(chip)
}

/// Like [`serve`], answering each APDU only after `latency`: a stand-in for
/// a real reader and radio link (8–30 ms per APDU), so that benchmarks see
/// reads bound by the link rather than by the CPU.
pub fn serve_with_latency(
    mut chip: SoftwareChip,
    addr: &str,
    stop: Arc<AtomicBool>,
    latency: Duration,
) -> io::Result<SoftwareChip> {
    run(&mut chip, addr, &stop, latency)?;
    Ok(chip)
}

/// Like [`serve`], with the chip shared: a test can inject faults or read
/// counters while the card sits in the reader.
pub fn serve_shared(chip: Arc<Mutex<SoftwareChip>>, addr: &str, stop: Arc<AtomicBool>) -> io::Result<()> {
    let mut chip = chip;
    run(&mut chip, addr, &stop, Duration::ZERO)
}

/// Access to the chip for one message at a time.
trait ChipAccess {
    fn with<R>(&mut self, f: impl FnOnce(&mut SoftwareChip) -> R) -> R;
}

impl ChipAccess for SoftwareChip {
    fn with<R>(&mut self, f: impl FnOnce(&mut SoftwareChip) -> R) -> R {
        f(self)
    }
}

impl ChipAccess for Arc<Mutex<SoftwareChip>> {
    fn with<R>(&mut self, f: impl FnOnce(&mut SoftwareChip) -> R) -> R {
        // A test thread that panicked while holding the lock leaves a usable chip.
        let mut guard = self.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

/// Why one connection ended.
enum Ended {
    /// `stop` was set.
    Stopped,
    /// pcscd closed the connection.
    PeerClosed,
    /// The chip stopped answering: the card left.
    CardGone,
}

fn run(chip: &mut impl ChipAccess, addr: &str, stop: &AtomicBool, latency: Duration) -> io::Result<()> {
    while !stop.load(Ordering::SeqCst) {
        let stream = match TcpStream::connect(addr) {
            Ok(s) => s,
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset) => {
                std::thread::sleep(POLL);
                continue;
            }
            Err(e) => return Err(e),
        };
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(POLL))?;
        let ended = connection(chip, stream, stop, latency)?;
        match ended {
            Ended::Stopped | Ended::CardGone => return Ok(()),
            Ended::PeerClosed => chip.with(SoftwareChip::reset),
        }
    }
    Ok(())
}

/// Re-arms `TCP_QUICKACK` (Linux only; elsewhere the delayed ACK stays).
fn quick_ack(stream: &TcpStream) {
    #[cfg(target_os = "linux")]
    {
        // Best effort: a failure only costs latency.
        let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = stream;
}

fn connection(
    chip: &mut impl ChipAccess,
    mut stream: TcpStream,
    stop: &AtomicBool,
    latency: Duration,
) -> io::Result<Ended> {
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if stop.load(Ordering::SeqCst) {
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(Ended::Stopped);
        }
        quick_ack(&stream);
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Ok(Ended::PeerClosed),
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {
                continue;
            }
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => {
                return Ok(Ended::PeerClosed);
            }
            Err(e) => return Err(e),
        };
        pending.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
        // Handle every complete message; keep a partial one for the next read.
        while let Some(&[hi, lo]) = pending.get(..2) {
            let len = usize::from(u16::from_be_bytes([hi, lo]));
            debug_assert!(len <= MAX_MESSAGE);
            let Some(payload) = pending.get(2..2 + len) else { break };
            let reply = match payload {
                [] => None,
                [0x00] | [0x01] | [0x02] => {
                    chip.with(SoftwareChip::reset);
                    None
                }
                [0x04] => Some(ATR.to_vec()),
                [_] => None, // unknown control message
                apdu => match chip.with(|c| c.transceive(apdu)) {
                    Ok(response) => {
                        if !latency.is_zero() {
                            std::thread::sleep(latency);
                        }
                        Some(response)
                    }
                    Err(TransportError::CardRemoved) => {
                        let _ = stream.shutdown(Shutdown::Both);
                        return Ok(Ended::CardGone);
                    }
                    // A chip that stopped answering, still in the field: no answer at all.
                    Err(_) => None,
                },
            };
            pending.drain(..2 + len);
            if let Some(reply) = reply {
                let len = u16::try_from(reply.len()).map_err(|_| io::Error::from(ErrorKind::InvalidData))?;
                let mut message = Vec::with_capacity(2 + reply.len());
                message.extend_from_slice(&len.to_be_bytes());
                message.extend_from_slice(&reply);
                stream.write_all(&message)?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::{Document, Fault};
    use std::net::TcpListener;
    use std::time::Instant;

    /// pcscd's side: write the length and the payload separately, as vpcd does.
    fn send(s: &mut TcpStream, payload: &[u8]) {
        s.write_all(&(payload.len() as u16).to_be_bytes()).unwrap();
        s.write_all(payload).unwrap();
    }

    fn receive(s: &mut TcpStream) -> Vec<u8> {
        let mut len = [0u8; 2];
        s.read_exact(&mut len).unwrap();
        let mut out = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut out).unwrap();
        out
    }

    fn start(chip: SoftwareChip) -> (TcpListener, Arc<AtomicBool>, std::thread::JoinHandle<io::Result<SoftwareChip>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || serve(chip, &addr, flag));
        (listener, stop, handle)
    }

    const SELECT_APPLET: [u8; 12] = [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

    #[test]
    fn power_atr_apdus_reconnect_and_stop() {
        let (listener, stop, handle) = start(SoftwareChip::new(Document::td3_specimen().unwrap()));
        let (mut pcscd, _) = listener.accept().unwrap();
        send(&mut pcscd, &[0x01]);
        send(&mut pcscd, &[0x04]);
        assert_eq!(receive(&mut pcscd), ATR);
        // Many round trips, each split in two writes: no 40 ms stall per APDU.
        let started = Instant::now();
        for _ in 0..50 {
            send(&mut pcscd, &SELECT_APPLET);
            assert_eq!(receive(&mut pcscd), [0x90, 0x00]);
        }
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(750), "50 APDUs took {elapsed:?}");
        send(&mut pcscd, &[0x00, 0x84, 0x00, 0x00, 0x08]);
        let challenge = receive(&mut pcscd);
        assert_eq!((challenge.len(), &challenge[8..]), (10, &[0x90, 0x00][..]));
        // A message split across reads, and two messages in one write.
        pcscd.write_all(&[0x00]).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        pcscd.write_all(&[0x05, 0x00, 0x84, 0x00, 0x00, 0x08, 0x00, 0x01, 0x04]).unwrap();
        assert_eq!(receive(&mut pcscd).len(), 10);
        assert_eq!(receive(&mut pcscd), ATR);
        // pcscd goes away: the bridge resets the chip and connects again.
        drop(pcscd);
        let (mut pcscd, _) = listener.accept().unwrap();
        send(&mut pcscd, &[0x04]);
        assert_eq!(receive(&mut pcscd), ATR);
        send(&mut pcscd, &SELECT_APPLET);
        assert_eq!(receive(&mut pcscd), [0x90, 0x00]);
        // Stop: the card leaves (connection closed) and the chip comes back.
        stop.store(true, Ordering::SeqCst);
        let chip = handle.join().unwrap().unwrap();
        assert_eq!(chip.apdu_count(), 53);
        let mut rest = Vec::new();
        assert_eq!(pcscd.read_to_end(&mut rest).unwrap(), 0);
    }

    #[test]
    fn removed_card_closes_the_connection() {
        let mut chip = SoftwareChip::new(Document::td3_specimen().unwrap());
        chip.inject(Fault::CardRemoved.at_apdu(2));
        let (listener, _stop, handle) = start(chip);
        let (mut pcscd, _) = listener.accept().unwrap();
        send(&mut pcscd, &SELECT_APPLET);
        assert_eq!(receive(&mut pcscd), [0x90, 0x00]);
        send(&mut pcscd, &SELECT_APPLET);
        let mut rest = Vec::new();
        assert_eq!(pcscd.read_to_end(&mut rest).unwrap(), 0, "no answer: the card left");
        let chip = handle.join().unwrap().unwrap();
        assert_eq!(chip.apdu_count(), 2);
    }

    #[test]
    fn a_chip_that_stops_answering_stays_silent_until_a_power_cycle() {
        let mut chip = SoftwareChip::new(Document::td3_specimen().unwrap());
        chip.inject(Fault::Timeout.at_apdu(2));
        let (listener, stop, handle) = start(chip);
        let (mut pcscd, _) = listener.accept().unwrap();
        send(&mut pcscd, &SELECT_APPLET);
        assert_eq!(receive(&mut pcscd), [0x90, 0x00]);
        send(&mut pcscd, &SELECT_APPLET);
        pcscd.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        let mut byte = [0u8; 1];
        let e = pcscd.read(&mut byte).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut), "no answer, connection open: {e}");
        pcscd.set_read_timeout(None).unwrap();
        // Power off and on: the chip answers again (its trigger was APDU 2 only).
        send(&mut pcscd, &[0x00]);
        send(&mut pcscd, &[0x01]);
        send(&mut pcscd, &SELECT_APPLET);
        assert_eq!(receive(&mut pcscd), [0x90, 0x00]);
        stop.store(true, Ordering::SeqCst);
        let chip = handle.join().unwrap().unwrap();
        assert_eq!(chip.apdu_count(), 3);
    }

    #[test]
    fn waits_for_vpcd_and_shared_chip_stays_visible() {
        // Reserve a port, free it, start the bridge, then listen: it keeps retrying.
        let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let chip = Arc::new(Mutex::new(SoftwareChip::new(Document::td3_specimen().unwrap())));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s, a) = (chip.clone(), stop.clone(), addr.to_string());
        let handle = std::thread::spawn(move || serve_shared(c, &a, s));
        std::thread::sleep(Duration::from_millis(120));
        let listener = TcpListener::bind(addr).unwrap();
        let (mut pcscd, _) = listener.accept().unwrap();
        send(&mut pcscd, &SELECT_APPLET);
        assert_eq!(receive(&mut pcscd), [0x90, 0x00]);
        assert_eq!(chip.lock().unwrap().apdu_count(), 1);
        chip.lock().unwrap().inject(Fault::CardRemoved);
        send(&mut pcscd, &SELECT_APPLET);
        let mut rest = Vec::new();
        assert_eq!(pcscd.read_to_end(&mut rest).unwrap(), 0);
        handle.join().unwrap().unwrap();
        stop.store(true, Ordering::SeqCst);
    }
}
