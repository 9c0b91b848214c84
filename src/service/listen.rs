//! Listening: the Unix socket (created with its mode and group, stale files
//! handled, or handed over by systemd socket activation), peer-credential
//! allow-lists, the connection limit, and the optional loopback TCP listener.
//!
//! # The socket file while the daemon runs
//! A socket file the daemon created itself ([`OwnSocket`]) is watched with
//! inotify on its directory (no polling: the watch costs nothing while idle).
//! - Deleted (or renamed away): it is re-created at once at the same path with
//!   the configured mode and group, and the new listener replaces the old one
//!   (a warning is logged). A deleted directory is re-created too.
//! - Replaced by anything else (a regular file, another process's socket):
//!   that file is never touched. The daemon logs an error, keeps serving the
//!   connections it has, reports `"socket": "lost"` in `/v1/health`, and
//!   re-creates its socket as soon as the path is free again.
//! - At shutdown only the daemon's own file is removed (compared by device
//!   and inode), never whatever has taken its place.
//!
//! Under systemd socket activation (`LISTEN_FDS`) the file belongs to
//! systemd (`mrtdd.socket`) and is not watched: if it is deleted, clients
//! cannot connect until `systemctl restart mrtdd.socket`.

use axum::serve::Listener;
use futures_util::StreamExt;
use inotify::{EventMask, Inotify, WatchMask, Watches};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

/// Why the socket could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// Another process answers on the socket path.
    #[error("{0}: another mrtdd is already listening there")]
    InUse(PathBuf),
    /// Something that is not a socket sits at the path; it is not removed.
    #[error("{0}: exists and is not a socket (not removing it)")]
    NotASocket(PathBuf),
    /// `socket_group` names no group.
    #[error("socket_group {0:?}: no such group")]
    UnknownGroup(String),
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

/// Resolves `socket_group`: a group name (looked up like `chgrp` does, through
/// NSS) or a numeric gid.
pub fn resolve_group(group: &str) -> Result<u32, ListenError> {
    match nix::unistd::Group::from_name(group) {
        Ok(Some(g)) => Ok(g.gid.as_raw()),
        Ok(None) => group.parse::<u32>().map_err(|_| ListenError::UnknownGroup(group.into())),
        Err(e) => Err(ListenError::Io { step: format!("looking up group {group:?}"), source: e.into() }),
    }
}

/// A file's identity: device and inode.
type FileIdentity = (u64, u64);

/// The inotify events on the socket's directory that may concern the socket.
const WATCH_MASK: WatchMask = WatchMask::CREATE
    .union(WatchMask::DELETE)
    .union(WatchMask::MOVED_FROM)
    .union(WatchMask::MOVED_TO)
    .union(WatchMask::DELETE_SELF)
    .union(WatchMask::MOVE_SELF)
    .union(WatchMask::ONLYDIR);

/// The inotify read buffer: room for many events with file names.
const INOTIFY_BUFFER: usize = 4096;

/// The socket file this daemon created (not under socket activation): where
/// it is, how it is made, and which file it is, so that the daemon only ever
/// replaces or removes its own (see the module docs).
#[derive(Debug)]
pub struct OwnSocket {
    path: PathBuf,
    mode: u32,
    gid: Option<u32>,
    /// The file the daemon created last.
    identity: Mutex<Option<FileIdentity>>,
    /// The path does not lead to this daemon now.
    lost: AtomicBool,
}

impl OwnSocket {
    /// Binds the Unix socket at `path` with permission bits `mode` and group
    /// `gid` (unset: the daemon's own).
    ///
    /// A stale socket file (nobody answers) is removed first; a live one or a
    /// non-socket file is an error. The parent directory is created if missing.
    pub async fn bind(path: &Path, mode: u32, gid: Option<u32>) -> Result<(Arc<Self>, UnixListener), ListenError> {
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
        let own =
            Arc::new(Self { path: path.into(), mode, gid, identity: Mutex::new(None), lost: AtomicBool::new(false) });
        let listener = own.create()?;
        Ok((own, listener))
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the socket file (and its directory) with its mode and group.
    ///
    /// The socket is bound under a temporary name beside the path, given its
    /// group and mode, then hard-linked to the path (which fails rather than
    /// replace a file that appeared meanwhile) and the temporary name removed:
    /// the path never shows a socket with other permissions, nor one that is
    /// not yet listening.
    fn create(&self) -> Result<UnixListener, ListenError> {
        let path = &self.path;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_err(format!("creating {}", parent.display())))?;
        }
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(path.file_name().unwrap_or_default());
        tmp_name.push(format!(".{}.new", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        if std::fs::symlink_metadata(&tmp).is_ok_and(|m| m.file_type().is_socket()) {
            let _ = std::fs::remove_file(&tmp);
        }
        let listener = UnixListener::bind(&tmp).map_err(io_err(format!("binding {}", tmp.display())))?;
        let finish = || -> Result<FileIdentity, ListenError> {
            if let Some(gid) = self.gid {
                nix::unistd::chown(&tmp, None, Some(nix::unistd::Gid::from_raw(gid))).map_err(|e| ListenError::Io {
                    step: format!("setting the group of {}", path.display()),
                    source: e.into(),
                })?;
            }
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(self.mode))
                .map_err(io_err(format!("setting the mode of {}", path.display())))?;
            let meta = std::fs::symlink_metadata(&tmp).map_err(io_err(format!("stat {}", tmp.display())))?;
            let id = (meta.dev(), meta.ino());
            // Known before the path shows it, so that the watch sees its own file.
            *self.identity.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
            std::fs::hard_link(&tmp, path).map_err(|e| {
                if e.kind() == io::ErrorKind::AlreadyExists {
                    ListenError::InUse(path.into())
                } else {
                    ListenError::Io { step: format!("linking {}", path.display()), source: e }
                }
            })?;
            Ok(id)
        };
        let result = finish();
        // The temporary name is ours in every case.
        let _ = std::fs::remove_file(&tmp);
        result.map(|_| listener)
    }

    /// True when the file at the path is the one this daemon created last.
    fn is_ours(&self) -> bool {
        let ours = *self.identity.lock().unwrap_or_else(|p| p.into_inner());
        // While its listener lives, the socket's inode stays allocated (the
        // socket holds its path), so a file with the same device and inode is ours.
        std::fs::symlink_metadata(&self.path)
            .is_ok_and(|m| m.file_type().is_socket() && ours == Some((m.dev(), m.ino())))
    }

    /// True when the path does not lead to this daemon (taken by another file,
    /// or deleted and not re-created).
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// At shutdown: removes the socket file if it is still this daemon's.
    pub fn remove(&self) {
        if self.is_ours() {
            let _ = std::fs::remove_file(&self.path);
        } else if std::fs::symlink_metadata(&self.path).is_ok() {
            tracing::warn!(path = %self.path.display(), "the socket path holds a file that is not mrtdd's: left in place");
        }
    }

    /// Watches the socket's directory until `stop` turns true; re-created
    /// listeners are sent on `replace` (to [`GuardedUnix`]).
    pub fn watch(
        self: &Arc<Self>,
        replace: mpsc::UnboundedSender<UnixListener>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<tokio::task::JoinHandle<()>, ListenError> {
        let (dir, name) = self.dir_and_name();
        let inotify = Inotify::init().map_err(io_err("inotify_init"))?;
        inotify.watches().add(&dir, WATCH_MASK).map_err(io_err(format!("watching {}", dir.display())))?;
        let mut events =
            inotify.into_event_stream(vec![0u8; INOTIFY_BUFFER]).map_err(io_err("inotify: registering"))?;
        let this = Arc::clone(self);
        Ok(tokio::spawn(async move {
            let mut watches = events.watches();
            // Whatever happened between the bind and the watch (a deletion there would have no event).
            this.reconcile(&replace, &mut watches, &dir);
            loop {
                let event = tokio::select! {
                    _ = stop.wait_for(|s| *s) => break,
                    event = events.next() => event,
                };
                match event {
                    Some(Ok(event)) => {
                        let dir_gone = event.mask.intersects(EventMask::DELETE_SELF | EventMask::MOVE_SELF);
                        let concerns_us = dir_gone
                            || event.mask.contains(EventMask::Q_OVERFLOW)
                            || event.name.as_deref() == Some(name.as_os_str());
                        if concerns_us {
                            this.reconcile(&replace, &mut watches, &dir);
                        }
                    }
                    Some(Err(e)) => {
                        tracing::error!(error = %e, "watching the socket's directory failed: a deleted socket will not be re-created");
                        break;
                    }
                    None => break,
                }
            }
        }))
    }

    fn dir_and_name(&self) -> (PathBuf, std::ffi::OsString) {
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        (dir, self.path.file_name().map(|n| n.to_os_string()).unwrap_or_default())
    }

    /// Brings the path back to this daemon if it can, after a change seen in its directory.
    fn reconcile(&self, replace: &mpsc::UnboundedSender<UnixListener>, watches: &mut Watches, dir: &Path) {
        let path = self.path.display();
        match std::fs::symlink_metadata(&self.path) {
            Ok(_) if self.is_ours() => {
                if self.lost.swap(false, Ordering::SeqCst) {
                    tracing::info!(%path, "the socket path leads to mrtdd again");
                }
            }
            Ok(_) => {
                if !self.lost.swap(true, Ordering::SeqCst) {
                    tracing::error!(
                        %path,
                        "the socket path was taken by another file or process: not touching it; open connections are \
                         still served, new clients cannot connect until the path is free (mrtdd then re-creates its socket)"
                    );
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let dir_missing = !dir.is_dir();
                match self.create() {
                    Ok(listener) => {
                        if dir_missing {
                            // The directory was deleted (its watch with it): watch the new one.
                            if let Err(e) = watches.add(dir, WATCH_MASK) {
                                tracing::error!(error = %e, dir = %dir.display(), "cannot watch the re-created directory");
                            }
                        }
                        tracing::warn!(%path, "the socket file was deleted: re-created it");
                        self.lost.store(false, Ordering::SeqCst);
                        let _ = replace.send(listener);
                    }
                    Err(e) => {
                        self.lost.store(true, Ordering::SeqCst);
                        tracing::error!(error = %e, "the socket file was deleted and cannot be re-created");
                    }
                }
            }
            Err(e) => {
                self.lost.store(true, Ordering::SeqCst);
                tracing::error!(%path, error = %e, "cannot check the socket path");
            }
        }
    }
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

/// Vectored writes are forwarded, and announced: hyper then queues a
/// response body's `Bytes` and hands them to `writev` as they are, instead of
/// copying them into its own (growing, never wiped) write buffer — which
/// keeps a read's JSON in the one buffer that is wiped after sending
/// (`http::wiped_json`).
impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
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
    /// Listeners that replace `inner` (the socket file was re-created).
    replacements: Option<mpsc::UnboundedReceiver<UnixListener>>,
}

/// What [`GuardedUnix::accept`] waited for.
enum Accepted {
    Stream(io::Result<(UnixStream, tokio::net::unix::SocketAddr)>),
    Replacement(Option<UnixListener>),
}

impl GuardedUnix {
    /// Wraps `inner`; at most `max_connections` connections at once.
    pub fn new(inner: UnixListener, allow: AllowList, max_connections: usize) -> Self {
        Self { inner, allow, slots: Arc::new(Semaphore::new(max_connections)), replacements: None }
    }

    /// Accepts on each listener received on `replacements` from then on (the old one is closed).
    pub fn with_replacements(mut self, replacements: mpsc::UnboundedReceiver<UnixListener>) -> Self {
        self.replacements = Some(replacements);
        self
    }
}

impl Listener for GuardedUnix {
    type Io = Limited<UnixStream>;
    type Addr = ();

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // Wait for a free slot before accepting: excess clients queue in the backlog.
            let Ok(permit) = self.slots.clone().acquire_owned().await else { continue };
            let stream = loop {
                let next = match self.replacements.as_mut() {
                    Some(rx) => tokio::select! {
                        r = self.inner.accept() => Accepted::Stream(r),
                        l = rx.recv() => Accepted::Replacement(l),
                    },
                    None => Accepted::Stream(self.inner.accept().await),
                };
                match next {
                    Accepted::Stream(Ok((stream, _))) => break stream,
                    Accepted::Stream(Err(e)) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    Accepted::Replacement(Some(listener)) => self.inner = listener,
                    Accepted::Replacement(None) => self.replacements = None,
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
    async fn limited_connections_keep_vectored_writes() {
        let (a, _b) = UnixStream::pair().unwrap();
        let permit = Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap();
        let limited = Limited { stream: a, _permit: permit };
        assert!(limited.is_write_vectored(), "hyper would copy bodies into its write buffer");
    }

    #[tokio::test]
    async fn stale_sockets_are_replaced_and_live_ones_refused() {
        let dir = std::env::temp_dir().join(format!("mrtdd-listen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub/mrtdd.sock");
        let live = OwnSocket::bind(&path, 0o660, None).await.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o660);
        assert!(matches!(OwnSocket::bind(&path, 0o660, None).await, Err(ListenError::InUse(_))));
        drop(live);
        // The file is left behind by the dropped listener: stale, so replaced.
        let (own, again) = OwnSocket::bind(&path, 0o600, None).await.unwrap();
        assert!(own.is_ours());
        // Not ours any more (replaced): not removed at shutdown.
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"not a socket").unwrap();
        own.remove();
        assert!(path.exists(), "a file that is not mrtdd's socket is never removed");
        drop(again);
        assert!(matches!(OwnSocket::bind(&path, 0o660, None).await, Err(ListenError::NotASocket(_))));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn groups_by_name_or_number() {
        assert_eq!(resolve_group("root").unwrap(), 0);
        assert_eq!(resolve_group("4242").unwrap(), 4242);
        assert!(matches!(resolve_group("no-such-group-mrtdd"), Err(ListenError::UnknownGroup(_))));
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
