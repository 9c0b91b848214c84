//! Listening: the Unix socket (created with its mode, stale files handled,
//! or handed over by systemd socket activation), peer-credential allow-lists,
//! the connection limit, and the optional loopback TCP listener.

use axum::serve::Listener;
use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why the socket could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// Another process answers on the socket path.
    #[error("{0}: another mrtdd is already listening there")]
    InUse(PathBuf),
    /// Something that is not a socket sits at the path; it is not removed.
    #[error("{0}: exists and is not a socket (not removing it)")]
    NotASocket(PathBuf),
    /// An I/O failure, with the step.
    #[error("{step}: {source}")]
    Io {
        /// What was being done.
        step: String,
        /// The error.
        source: io::Error,
    },
}

fn io_err(step: impl Into<String>) -> impl FnOnce(io::Error) -> ListenError {
    let step = step.into();
    move |source| ListenError::Io { step, source }
}

/// The socket handed over by systemd (`LISTEN_FDS`), if any.
pub fn activated_socket() -> Result<Option<UnixListener>, ListenError> {
    let mut fds = listenfd::ListenFd::from_env();
    if fds.len() == 0 {
        return Ok(None);
    }
    let Some(std_listener) = fds.take_unix_listener(0).map_err(io_err("LISTEN_FDS"))? else {
        return Ok(None);
    };
    std_listener.set_nonblocking(true).map_err(io_err("LISTEN_FDS: set_nonblocking"))?;
    let listener = UnixListener::from_std(std_listener).map_err(io_err("LISTEN_FDS: register"))?;
    Ok(Some(listener))
}

/// Binds the Unix socket at `path` with permission bits `mode`.
///
/// A stale socket file (nobody answers) is removed first; a live one or a
/// non-socket file is an error. The parent directory is created if missing.
pub async fn bind_unix(path: &Path, mode: u32) -> Result<UnixListener, ListenError> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(ListenError::NotASocket(path.into()));
        }
        if UnixStream::connect(path).await.is_ok() {
            return Err(ListenError::InUse(path.into()));
        }
        tracing::info!(path = %path.display(), "removing a stale socket file");
        std::fs::remove_file(path).map_err(io_err(format!("removing stale {}", path.display())))?;
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io_err(format!("creating {}", parent.display())))?;
    }
    let listener = UnixListener::bind(path).map_err(io_err(format!("binding {}", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(io_err(format!("setting the mode of {}", path.display())))?;
    Ok(listener)
}

/// Who may connect: empty lists mean "whoever the socket's permissions let in".
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    /// Allowed user ids.
    pub uids: Vec<u32>,
    /// Allowed primary group ids.
    pub gids: Vec<u32>,
}

impl AllowList {
    /// True when a peer with `uid`/`gid` may connect.
    pub fn allows(&self, uid: u32, gid: u32) -> bool {
        (self.uids.is_empty() && self.gids.is_empty())
            || self.uids.contains(&uid)
            || self.gids.contains(&gid)
            || uid == 0
    }
}

/// A connection that holds one of the limited connection slots.
pub struct Limited<S> {
    stream: S,
    _permit: OwnedSemaphorePermit,
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The Unix listener with SO_PEERCRED checks and the connection limit.
pub struct GuardedUnix {
    inner: UnixListener,
    allow: AllowList,
    slots: Arc<Semaphore>,
}

impl GuardedUnix {
    /// Wraps `inner`; at most `max_connections` connections at once.
    pub fn new(inner: UnixListener, allow: AllowList, max_connections: usize) -> Self {
        Self { inner, allow, slots: Arc::new(Semaphore::new(max_connections)) }
    }
}

impl Listener for GuardedUnix {
    type Io = Limited<UnixStream>;
    type Addr = ();

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // Wait for a free slot before accepting: excess clients queue in the backlog.
            let Ok(permit) = self.slots.clone().acquire_owned().await else { continue };
            let stream = match self.inner.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            match stream.peer_cred() {
                Ok(cred) if self.allow.allows(cred.uid(), cred.gid()) => {
                    return (Limited { stream, _permit: permit }, ());
                }
                Ok(cred) => {
                    tracing::warn!(
                        uid = cred.uid(),
                        gid = cred.gid(),
                        "connection refused: peer not in the allow-list"
                    );
                }
                Err(e) => tracing::warn!(error = %e, "connection refused: no peer credentials"),
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(())
    }
}

/// The loopback TCP listener with the connection limit.
pub struct GuardedTcp {
    inner: TcpListener,
    slots: Arc<Semaphore>,
}

impl GuardedTcp {
    /// Binds `address` (validated as loopback by the configuration).
    pub async fn bind(address: &str, max_connections: usize) -> Result<Self, ListenError> {
        let inner = TcpListener::bind(address).await.map_err(io_err(format!("binding {address}")))?;
        Ok(Self { inner, slots: Arc::new(Semaphore::new(max_connections)) })
    }
}

impl Listener for GuardedTcp {
    type Io = Limited<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok(permit) = self.slots.clone().acquire_owned().await else { continue };
            match self.inner.accept().await {
                Ok((stream, addr)) if addr.ip().is_loopback() => return (Limited { stream, _permit: permit }, addr),
                Ok((_, addr)) => tracing::warn!(%addr, "refused a non-loopback TCP connection"),
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stale_sockets_are_replaced_and_live_ones_refused() {
        let dir = std::env::temp_dir().join(format!("mrtdd-listen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub/mrtdd.sock");
        let live = bind_unix(&path, 0o660).await.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o660);
        assert!(matches!(bind_unix(&path, 0o660).await, Err(ListenError::InUse(_))));
        drop(live);
        // The file is left behind by the dropped listener: stale, so replaced.
        let again = bind_unix(&path, 0o600).await.unwrap();
        drop(again);
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"not a socket").unwrap();
        assert!(matches!(bind_unix(&path, 0o660).await, Err(ListenError::NotASocket(_))));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn allow_lists() {
        let open = AllowList::default();
        assert!(open.allows(1000, 1000));
        let list = AllowList { uids: vec![1001], gids: vec![2000] };
        assert!(list.allows(1001, 5) && list.allows(5, 2000) && list.allows(0, 0));
        assert!(!list.allows(1000, 1000));
    }
}
