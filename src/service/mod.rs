//! The service layer: the daemon that serves reads to local apps.
//!
//! # Layout
//! - [`config`]: the TOML configuration and its defaults.
//! - [`backend`]: where cards come from — [`pcsc_backend`] (PC/SC readers,
//!   watched by a monitor thread) or [`simulated`] (the software reader).
//! - [`reads`]: choosing a reader, one read per reader, deadlines, events.
//! - [`convert`]: the protocol core's result as the API's JSON.
//! - [`http`]: routes, errors and the event stream; [`listen`]: sockets,
//!   peer credentials and connection limits; [`events`]: the event bus.
//! - [`error`]: the one mapping from every failure to an API error code.
//!
//! This is the only layer that uses tokio. Shutdown is designed in: SIGTERM
//! or SIGINT stops new reads, lets running ones finish within the grace
//! period (then cancels them between APDUs), ends event streams, stops the
//! reader monitor and removes the socket file it created (if it is still
//! its own: see [`listen`] for a socket file deleted or replaced while the
//! daemon runs).
//!
//! The process cannot dump core ([`harden_process`]): its memory holds access
//! keys, session keys and personal data until each read wipes them.

pub mod backend;
pub mod config;
pub mod convert;
pub mod error;
pub mod events;
pub mod http;
pub mod listen;
pub mod pcsc_backend;
pub mod reads;
#[cfg(feature = "software-chip")]
pub mod simulated;

use crate::service::backend::Backend;
use crate::service::config::Config;
use crate::service::error::ServiceError;
use crate::service::events::EventBus;
use crate::service::http::AppState;
use crate::service::reads::Reads;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// The backend serving reads, the PC/SC monitor to stop at shutdown (none when
/// simulated), and the CSCA certificates the simulated documents chain to.
type Backends = (Arc<dyn Backend>, Option<Arc<pcsc_backend::PcscBackend>>, Vec<Vec<u8>>);

/// Startup failures, each naming what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The socket could not be set up.
    #[error(transparent)]
    Listen(#[from] listen::ListenError),
    /// The backend could not start.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A file named by the configuration could not be read.
    #[error("{0}")]
    Config(String),
}

/// Makes the process undumpable before it handles any key or document:
/// `RLIMIT_CORE` 0 (no core file, whatever `ulimit -c` or systemd's
/// `LimitCORE=` say) and `PR_SET_DUMPABLE` 0 (no core dump either through a
/// `core_pattern` pipe such as systemd-coredump, which ignores the limit; no
/// `ptrace` attach and no `/proc/<pid>/mem` for other processes of the same
/// user; `/proc/<pid>/` files become root's). Memory holds the CAN, MRZ keys,
/// session keys and personal data while a read runs (docs/security.md).
pub fn harden_process() -> Result<(), String> {
    use nix::sys::resource::{Resource, setrlimit};
    setrlimit(Resource::RLIMIT_CORE, 0, 0).map_err(|e| format!("setrlimit(RLIMIT_CORE, 0): {e}"))?;
    nix::sys::prctl::set_dumpable(false).map_err(|e| format!("prctl(PR_SET_DUMPABLE, 0): {e}"))?;
    Ok(())
}

/// Runs the daemon until SIGTERM/SIGINT.
pub async fn run(config: Config) -> Result<(), StartError> {
    let events = EventBus::new();
    let (backend, monitor, simulated_anchors): Backends = if config.simulate {
        simulated_backend(&config)?
    } else {
        let b = pcsc_backend::PcscBackend::start_with_read_timeout(
            events.clone(),
            Duration::from_millis(config.read_timeout_ms),
        );
        (b.clone(), Some(b), Vec::new())
    };
    let reads = Arc::new(Reads::new(backend, events.clone(), config.clone()));
    let anchors = load_trust(&config, &simulated_anchors)?;
    let trust_count = anchors.csca_count();
    reads.set_trust(anchors);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    // The Unix socket: from systemd, or our own.
    let (unix, own_socket) = match listen::activated_socket()? {
        Some(l) => {
            tracing::info!("using the socket passed by systemd (LISTEN_FDS)");
            (l, None)
        }
        None => {
            let gid = config.socket_group.as_deref().map(listen::resolve_group).transpose()?;
            let (own, listener) = listen::OwnSocket::bind(&config.socket, config.socket_mode, gid).await?;
            (listener, Some(own))
        }
    };
    let state = Arc::new(AppState {
        reads: reads.clone(),
        events: events.clone(),
        trust_anchors: AtomicUsize::new(trust_count),
        shutdown: shutdown_rx,
        socket: own_socket.clone(),
        max_request_bytes: config.max_request_bytes,
    });
    let app = http::router(state.clone());

    let allow = listen::AllowList { uids: config.allowed_uids.clone(), gids: config.allowed_gids.clone() };
    let mut unix = listen::GuardedUnix::new(unix, allow, config.max_connections);
    // Our own socket file is watched: re-created if deleted (listen.rs).
    let socket_watch = match &own_socket {
        Some(own) => {
            let (replace_tx, replace_rx) = tokio::sync::mpsc::unbounded_channel();
            unix = unix.with_replacements(replace_rx);
            match own.watch(replace_tx, shutdown_tx.subscribe()) {
                Ok(watch) => Some(watch),
                Err(e) => {
                    // E.g. the inotify instance limit (fs.inotify.max_user_instances): serve without it.
                    tracing::warn!(error = %e, "cannot watch the socket's directory: a deleted socket will not be re-created");
                    None
                }
            }
        }
        None => None,
    };
    let mut servers = tokio::task::JoinSet::new();
    {
        let mut stop = shutdown_tx.subscribe();
        let app = app.clone();
        servers.spawn(async move {
            http::serve(unix, app, async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
        });
    }
    if config.tcp.enabled {
        let token = read_token(&config)?;
        let origins = config.tcp.allowed_origins.clone();
        let tcp_app = app.clone().layer(axum::middleware::from_fn(move |req: Request, next: Next| {
            let (token, origins) = (token.clone(), origins.clone());
            async move { tcp_guard(req, next, &token, &origins).await }
        }));
        let listener = listen::GuardedTcp::bind(&config.tcp.address, config.max_connections).await?;
        tracing::info!(address = %config.tcp.address, "loopback TCP listener enabled");
        let mut stop = shutdown_tx.subscribe();
        servers.spawn(async move {
            http::serve(listener, tcp_app, async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
        });
    }

    if config.simulate {
        // The demo card's keys, for people trying the API (synthetic data; stdout, not the log).
        // Written with errors ignored: a full or closed stdout must not stop the daemon (println! would panic).
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "mrtdd --simulate: the demo CCCD is on {:?}", simulated_reader_name());
        let _ = writeln!(
            out,
            "  CAN 012345; MRZ IDVNM0950123455001095012345<<6 / 9503124M3503122VNM<<<<<<<<<<<0 / NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"
        );
        let _ = writeln!(out, "  QR  001095012345||Nguyễn Văn An|12031995|Nam|...|01062021");
        let _ = writeln!(
            out,
            "  try: curl --unix-socket {} -H 'Content-Type: application/json' -d '{{\"key\":{{\"can\":\"012345\"}}}}' http://localhost/v1/read",
            config.socket.display()
        );
        let _ = out.flush();
    }
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    tracing::info!(simulated = config.simulate, socket = %config.socket.display(), "mrtdd ready");

    let mut sigterm =
        signal(SignalKind::terminate()).map_err(|e| StartError::Config(format!("SIGTERM handler: {e}")))?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(|e| StartError::Config(format!("SIGINT handler: {e}")))?;
    let mut sighup = signal(SignalKind::hangup()).map_err(|e| StartError::Config(format!("SIGHUP handler: {e}")))?;
    loop {
        tokio::select! {
            _ = sigterm.recv() => { tracing::info!("SIGTERM: shutting down"); break; }
            _ = sigint.recv() => { tracing::info!("SIGINT: shutting down"); break; }
            _ = sighup.recv() => {
                tracing::info!("SIGHUP: reloading the trust store");
                match load_trust(&config, &simulated_anchors) {
                    Ok(anchors) => {
                        state.trust_anchors.store(anchors.csca_count(), std::sync::atomic::Ordering::Relaxed);
                        reads.set_trust(anchors);
                    }
                    Err(e) => tracing::error!(error = %e, "trust store reload failed; keeping the previous one"),
                }
            }
        }
    }

    // Graceful shutdown.
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    reads.begin_shutdown();
    let grace = Duration::from_millis(config.shutdown_grace_ms);
    let started = Instant::now();
    while reads.in_flight() > 0 && started.elapsed() < grace {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if reads.in_flight() > 0 {
        tracing::warn!(reads = reads.in_flight(), "cancelling reads still running after the grace period");
        reads.cancel_all();
        let cancel_started = Instant::now();
        while reads.in_flight() > 0 && cancel_started.elapsed() < Duration::from_secs(2) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let _ = shutdown_tx.send(true);
    let drain =
        tokio::time::timeout(Duration::from_secs(2), async { while servers.join_next().await.is_some() {} }).await;
    if drain.is_err() {
        tracing::warn!("connections still open after shutdown: closing them");
        servers.abort_all();
    }
    if let Some(monitor) = monitor {
        monitor.shutdown();
    }
    if let Some(watch) = socket_watch {
        // Stopped before the file is removed, so that it does not re-create it.
        watch.abort();
        let _ = watch.await;
    }
    if let Some(own) = own_socket {
        own.remove();
    }
    tracing::info!("mrtdd stopped");
    Ok(())
}

#[cfg(feature = "software-chip")]
fn simulated_backend(config: &Config) -> Result<Backends, StartError> {
    let b = simulated::SimulatedBackend::new(Duration::from_millis(config.simulate_apdu_delay_ms))?;
    let cscas = b.csca_certificates().to_vec();
    Ok((Arc::new(b), None, cscas))
}

#[cfg(feature = "software-chip")]
fn simulated_reader_name() -> &'static str {
    simulated::CCCD_READER
}

#[cfg(not(feature = "software-chip"))]
fn simulated_reader_name() -> &'static str {
    "-"
}

#[cfg(not(feature = "software-chip"))]
fn simulated_backend(_config: &Config) -> Result<Backends, StartError> {
    Err(StartError::Config("this build has no software reader (feature software-chip)".into()))
}

/// The trust anchors: the configured store (if any), plus — with `--simulate`
/// — the demo CSCAs. Logs what was loaded (counts and file names, no personal data).
fn load_trust(config: &Config, simulated: &[Vec<u8>]) -> Result<crate::protocol::verify::TrustAnchors, StartError> {
    let mut anchors = crate::protocol::verify::TrustAnchors::new();
    if let Some(dir) = &config.trust_store {
        let (store, report) = crate::trust::TrustStore::load(dir).map_err(|e| StartError::Config(e.to_string()))?;
        tracing::info!(dir = %dir.display(), cscas = report.cscas, crls = report.crls, problems = report.error_count(), "trust store loaded");
        for file in report.files.iter().filter(|f| !f.errors.is_empty()) {
            tracing::warn!(file = ?file, "trust store file with problems");
        }
        anchors.extend(store.anchors()).map_err(|e| StartError::Config(format!("trust store: {e}")))?;
    }
    for der in simulated {
        anchors.add_certificate(der).map_err(|e| StartError::Config(format!("demo CSCA: {e}")))?;
    }
    Ok(anchors)
}

fn read_token(config: &Config) -> Result<Arc<String>, StartError> {
    let path = config.tcp.token_file.as_ref().ok_or_else(|| StartError::Config("tcp.token_file is required".into()))?;
    let token = std::fs::read_to_string(path)
        .map_err(|e| StartError::Config(format!("tcp.token_file {}: {e}", path.display())))?;
    let token = token.trim().to_owned();
    if token.len() < 16 {
        return Err(StartError::Config("tcp.token_file: the token must be at least 16 characters".into()));
    }
    Ok(Arc::new(token))
}

/// The loopback listener's checks: a bearer token on every request, and a
/// browser's `Origin` in the allow-list.
async fn tcp_guard(req: Request, next: Next, token: &str, origins: &[String]) -> Response {
    use crate::api::ErrorCode;
    let given =
        req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| crate::protocol::crypto::ct_eq(g.as_bytes(), token.as_bytes())) {
        return http::error_response(ErrorCode::Unauthorized, "a valid bearer token is required".into());
    }
    if let Some(origin) = req.headers().get(header::ORIGIN)
        && !origins.iter().any(|o| HeaderValue::from_str(o).is_ok_and(|o| o == origin))
    {
        return http::error_response(ErrorCode::Forbidden, "this Origin is not allowed (tcp.allowed_origins)".into());
    }
    next.run(req).await
}
