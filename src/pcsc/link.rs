//! Ending a PC/SC call that never returns: the context's connection to pcscd.
//!
//! # Why
//! pcsc-lite's client library sends each call to pcscd over the context's
//! Unix socket and waits for the answer without a time limit. If the reader
//! driver never answers, neither does the call. Measured with pcsc-lite
//! 1.9.9 and vpcd 3.3 (Debian 12): with a card side that takes an APDU and
//! stays silent, `SCardTransmit` was still blocked after 300 s; vpcd reads
//! the card's answer with no timeout, and pcscd's own presence polling of
//! that reader stops meanwhile. `SCardCancel` does not help: pcsc-lite only
//! cancels `SCardGetStatusChange`. (Real CCID readers have a driver timeout;
//! a daemon must not depend on it.)
//!
//! What does end the call: `shutdown(2)` of the context's socket from another
//! thread. Measured: the blocked `SCardTransmit` returns
//! `SCARD_F_COMM_ERROR` at once, later calls on the context return
//! `SCARD_E_NO_SERVICE`, `SCardReleaseContext` then closes the socket (no
//! descriptor is left behind), and new contexts work normally. pcscd's thread
//! for the old context stays blocked in the driver until the card side
//! answers or goes away (for vpcd: its TCP connection closes), then cleans up.
//!
//! # Finding the socket
//! pcsc-lite opens one Unix socket per context (`SCardEstablishContext`) and
//! does not expose it. [`establish_with_link`] lists this process's
//! descriptors (`/proc/self/fd`) before and after establishing, under a lock
//! that every context creation of this crate takes (and `SCardCancel`, which
//! opens a short-lived connection of its own), and keeps the one new socket
//! whose peer is pcscd's socket (`.../pcscd.comm`, by `getpeername`). A
//! descriptor is identified by number *and* socket inode, so a number
//! reused after pcsc-lite closed it is never touched. If the socket cannot be
//! found (no `/proc`, or anything ambiguous) there is no [`PcscLink`], and a
//! blocked call stays blocked, as before.

use crate::pcsc::PcscError;
use std::collections::HashSet;
use std::os::fd::RawFd;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Serialises the creation of connections to pcscd in this process (see the
/// [module documentation](self)).
static CONNECTING: Mutex<()> = Mutex::new(());

/// The file name of pcscd's socket (pcsc-lite `PCSCLITE_CSOCK_NAME`,
/// `/run/pcscd/pcscd.comm` on Debian; the directory can be changed at build
/// time or with `PCSCLITE_CSOCK_NAME`, the name stays).
const PCSCD_SOCKET_NAME: &str = "pcscd.comm";

/// Holds [`CONNECTING`] while a connection to pcscd is being opened.
pub(crate) fn connecting() -> MutexGuard<'static, ()> {
    CONNECTING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A context's connection to pcscd, which [`sever`](Self::sever) can cut from
/// another thread to end a call blocked on it.
///
/// Valid while the context it was found for is alive: release the context
/// only after every thread that may call `sever` is done with the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcscLink {
    /// The socket's descriptor number.
    fd: RawFd,
    /// `socket:[inode]`, as `/proc/self/fd/<fd>` names it.
    target: String,
}

impl PcscLink {
    /// Shuts the connection down (both directions): the PC/SC call blocked on
    /// it returns `SCARD_F_COMM_ERROR`, every later call on the context fails.
    /// Returns false (and does nothing) if the descriptor no longer names the
    /// same socket, or the shutdown failed.
    pub fn sever(&self) -> bool {
        let now = std::fs::read_link(format!("/proc/self/fd/{}", self.fd));
        if !now.is_ok_and(|t| t.as_os_str() == self.target.as_str()) {
            tracing::debug!(fd = self.fd, "PC/SC link: the descriptor changed; not severed");
            return false;
        }
        match nix::sys::socket::shutdown(self.fd, nix::sys::socket::Shutdown::Both) {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!(fd = self.fd, error = %e, "PC/SC link: shutdown failed");
                false
            }
        }
    }
}

#[cfg(test)]
impl PcscLink {
    /// A link to any socket of this process (for tests of code that severs links).
    pub(crate) fn of_fd(fd: RawFd) -> Option<Self> {
        let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
        Some(Self { fd, target: target.to_str()?.to_owned() })
    }
}

/// Opens a context with pcscd like [`establish`](crate::pcsc::establish), and
/// finds its connection (`None` when it cannot be told apart; see the
/// [module documentation](self)).
pub fn establish_with_link() -> Result<(pcsc::Context, Option<PcscLink>), PcscError> {
    let _guard = connecting();
    let before = sockets();
    let ctx = crate::pcsc::establish_unlocked()?;
    let link = match (before, sockets()) {
        (Some(before), Some(after)) => {
            let mut new = after.difference(&before).filter(|(fd, _)| peer_is_pcscd(*fd));
            match (new.next(), new.next()) {
                (Some((fd, target)), None) => Some(PcscLink { fd: *fd, target: target.clone() }),
                _ => None,
            }
        }
        _ => None,
    };
    if link.is_none() {
        tracing::debug!("PC/SC link: the context's socket was not found; a blocked call cannot be ended");
    }
    Ok((ctx, link))
}

/// This process's sockets: (descriptor, `socket:[inode]`). `None` without `/proc`.
fn sockets() -> Option<HashSet<(RawFd, String)>> {
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    let mut out = HashSet::new();
    for entry in dir.flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse::<RawFd>().ok()) else { continue };
        // The directory's own descriptor is gone by the time it is read: skipped.
        let Ok(target) = std::fs::read_link(entry.path()) else { continue };
        let Some(target) = target.to_str() else { continue };
        if target.starts_with("socket:[") {
            out.insert((fd, target.to_owned()));
        }
    }
    Some(out)
}

/// True if `fd` is a Unix socket connected to pcscd.
fn peer_is_pcscd(fd: RawFd) -> bool {
    nix::sys::socket::getpeername::<nix::sys::socket::UnixAddr>(fd)
        .ok()
        .and_then(|addr| addr.path().and_then(|p| p.file_name()).map(|n| n == PCSCD_SOCKET_NAME))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::{UnixListener, UnixStream};

    #[test]
    fn sockets_are_listed_with_their_inode() {
        let (a, _b) = UnixStream::pair().unwrap();
        let all = sockets().expect("/proc on Linux");
        assert!(all.iter().any(|(fd, t)| *fd == a.as_raw_fd() && t.starts_with("socket:[")), "{all:?}");
    }

    #[test]
    fn only_a_peer_named_pcscd_comm_counts_and_sever_checks_the_inode() {
        let dir = std::env::temp_dir().join(format!("mrtdd-link-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(PCSCD_SOCKET_NAME);
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let client = UnixStream::connect(&path).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        assert!(peer_is_pcscd(client.as_raw_fd()));
        assert!(!peer_is_pcscd(server.as_raw_fd()), "the accepted side has no named peer");
        let target = std::fs::read_link(format!("/proc/self/fd/{}", client.as_raw_fd())).unwrap();
        let link = PcscLink { fd: client.as_raw_fd(), target: target.to_string_lossy().into_owned() };
        // A link whose recorded inode differs is not severed.
        let stale = PcscLink { fd: link.fd, target: "socket:[1]".into() };
        assert!(!stale.sever());
        assert!(link.sever());
        use std::io::Read;
        let mut buf = [0u8; 1];
        assert_eq!(server.read(&mut buf).unwrap(), 0, "the peer sees the connection end");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
