//! `mrtdd`: the daemon. Watches PC/SC readers (or, with `--simulate`, the
//! built-in software reader) and serves reads to local apps over HTTP on a
//! Unix socket (docs/api.md). Logs go to stderr (the journal under systemd)
//! and never carry personal data.

/// Every freed heap block is wiped: see [`mrtdd::WipingAllocator`].
#[global_allocator]
static ALLOCATOR: mrtdd::WipingAllocator = mrtdd::WIPING_ALLOCATOR;

use clap::Parser;
use mrtdd::service::config::{Config, DEFAULT_CONFIG_PATH};
use std::path::PathBuf;
use std::process::ExitCode;

/// `eprintln!` / `println!` that ignore write errors: a full disk or a closed
/// pipe behind stderr/stdout must not turn into a panic (docs/reliability.md).
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[derive(Parser, Debug)]
#[command(version, about = "Reads electronic identity documents (ICAO 9303 eMRTD, Vietnamese CCCD) for local apps")]
struct Args {
    /// Configuration file (default /etc/mrtdd/mrtdd.toml, used if present).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Serve the built-in software reader with the demo CCCD and a specimen passport (no hardware needed).
    #[arg(long)]
    simulate: bool,
    /// Path of the API's Unix socket (default /run/mrtdd/mrtdd.sock).
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Directory of trusted CSCA certificates, master lists and CRLs.
    #[arg(long, value_name = "DIR")]
    trust_store: Option<PathBuf>,
    /// Log level or filter (error, warn, info, debug, trace).
    #[arg(long, value_name = "LEVEL")]
    log_level: Option<String>,
    /// Check the configuration and exit.
    #[arg(long)]
    check_config: bool,
}

fn main() -> ExitCode {
    // First of all, before any key or document is in memory: no core dumps (service::harden_process).
    if let Err(e) = mrtdd::service::harden_process() {
        say_err!("mrtdd: cannot disable core dumps: {e}");
        return ExitCode::FAILURE;
    }
    let args = Args::parse();
    let mut config = match &args.config {
        Some(path) => Config::load(path, true),
        None => Config::load(std::path::Path::new(DEFAULT_CONFIG_PATH), false),
    }
    .unwrap_or_else(|e| {
        say_err!("mrtdd: {e}");
        std::process::exit(2);
    });
    if args.simulate {
        config.simulate = true;
    }
    if let Some(socket) = &args.socket {
        config.socket = socket.clone();
    }
    if let Some(dir) = &args.trust_store {
        config.trust_store = Some(dir.clone());
    }
    if let Some(level) = &args.log_level {
        config.log_level = level.clone();
    }
    if let Err(e) = config.validate() {
        say_err!("mrtdd: {e}");
        return ExitCode::from(2);
    }
    if args.check_config {
        say!("configuration OK");
        return ExitCode::SUCCESS;
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&config.log_level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_env_filter(filter)
        .with_target(false)
        // A failed log write (stderr on a full disk, a closed pipe) is dropped: by default
        // tracing-subscriber reports it with eprintln!, which panics when stderr itself fails.
        .log_internal_errors(false)
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            say_err!("mrtdd: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(mrtdd::service::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "mrtdd could not start");
            say_err!("mrtdd: {e}");
            ExitCode::FAILURE
        }
    }
}
