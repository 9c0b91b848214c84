//! `mrtdctl`: the command-line client of mrtdd (docs/mrtdctl.md, `man mrtdctl`).
//!
//! It talks to the daemon through [`mrtdd::client::Client`] over the Unix
//! socket. The read result (personal data) goes to standard output, and the
//! portrait to the file the user names (mode 0600): that is the command's
//! purpose. Nothing of it goes to standard error, which carries only progress,
//! warnings and errors.
//!
//! Exit statuses (see [`exit`]): 0 success, 1 generic, 2 usage, 3 cannot reach
//! mrtdd, 4 wrong key / access denied, 5 no card / card removed, 6 timeout,
//! 7 busy, 8 reader not found, 9 pcscd unavailable, 10 unsupported document,
//! 11 verification not passed (`read --require-passed`).

/// Every freed heap block is wiped: see [`mrtdd::WipingAllocator`].
#[global_allocator]
static ALLOCATOR: mrtdd::WipingAllocator = mrtdd::WIPING_ALLOCATOR;

use base64::Engine as _;
use clap::{ArgGroup, Args, Parser, Subcommand};
use futures_util::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use mrtdd::api::{ErrorCode, Event, Key, ReadRequest, ReadResponse, Readers};
use mrtdd::client::sse::SseEvent;
use mrtdd::client::{Client, ClientError, DEFAULT_SOCKET, format};
use mrtdd::protocol::lds::DataGroup;
use std::collections::HashMap;
use std::io::{self, IsTerminal, Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// The exit statuses, one per class of failure (documented in docs/mrtdctl.md).
mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Anything not listed below (internal error, unexpected answer, local I/O).
    pub const GENERIC: u8 = 1;
    /// Bad command line, or a request the daemon rejected as malformed (`bad_request`).
    pub const USAGE: u8 = 2;
    /// mrtdd cannot be reached (no socket, permission, connection lost, shutting down, refused client).
    pub const CONNECTION: u8 = 3;
    /// `wrong_key`, `access_denied`.
    pub const KEY: u8 = 4;
    /// `no_card`, `card_removed`.
    pub const CARD: u8 = 5;
    /// `timeout`, or no answer within `--timeout`.
    pub const TIMEOUT: u8 = 6;
    /// `busy`.
    pub const BUSY: u8 = 7;
    /// `reader_not_found`.
    pub const READER: u8 = 8;
    /// `pcsc_unavailable` (and `health` while pcscd is down).
    pub const PCSC: u8 = 9;
    /// `unsupported_document`.
    pub const UNSUPPORTED: u8 = 10;
    /// `read --require-passed` and the verification status is not `passed`.
    pub const NOT_VERIFIED: u8 = 11;
}

const EXIT_HELP: &str = "\
Exit status:
  0  success                         6  timeout (mrtdd's or --timeout)
  1  other error                     7  busy: another read on the reader
  2  usage error or bad_request      8  reader not found
  3  cannot reach mrtdd              9  pcscd unavailable
  4  wrong key or access denied     10  unsupported document
  5  no card or card removed        11  verification not passed (--require-passed)

Environment:
  MRTDD_SOCKET  the daemon's socket when --socket is not given";

/// Longest `--timeout` / `--wait` accepted, seconds.
const MAX_SECS: u64 = 24 * 3600;

/// Default bound on `health`, `readers` and on subscribing to events, seconds.
const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// Default bound on a read beyond `--wait`, seconds (mrtdd has its own deadline per read).
const DEFAULT_READ_SECS: u64 = 300;

/// Longest key text read from standard input (an MRZ is 90 characters, a CCCD QR text about 200).
const MAX_STDIN_BYTES: u64 = 64 * 1024;

/// Most progress bars shown at once by `watch` (reads whose end was missed are dropped first).
const MAX_BARS: usize = 16;

#[derive(Parser, Debug)]
#[command(
    name = "mrtdctl",
    version,
    about = "Command-line client of mrtdd, the eMRTD / CCCD reader daemon",
    after_help = EXIT_HELP
)]
struct Cli {
    /// The daemon's socket [default: $MRTDD_SOCKET, else /run/mrtdd/mrtdd.sock].
    #[arg(long, global = true, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Print the daemon's raw JSON instead of text (watch: one JSON object per line).
    #[arg(long, global = true)]
    json: bool,
    /// Give up after SECS without a complete answer [default: 30; read: --wait + 300].
    #[arg(long, global = true, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=MAX_SECS))]
    timeout: Option<u64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Is mrtdd running, and can it reach pcscd?
    Health,
    /// List the readers: name, card present, busy, ATR.
    Readers,
    /// Read a document (one key: --mrz, --doc/--dob/--doe, --can or --qr).
    Read(Box<ReadArgs>),
    /// Print the daemon's events live, one line each (Ctrl-C to stop).
    Watch,
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("key").required(true).args(["mrz", "doc", "can", "qr"])))]
struct ReadArgs {
    /// The MRZ as printed: 2 or 3 lines separated by newlines or a literal `\n` (`-`: read from stdin).
    #[arg(long, value_name = "MRZ")]
    mrz: Option<String>,
    /// Document number (BAC key, with --dob and --doe).
    #[arg(long, value_name = "NUMBER", requires_all = ["dob", "doe"])]
    doc: Option<String>,
    /// Date of birth, YYMMDD (with --doc).
    #[arg(long, value_name = "YYMMDD", requires = "doc", value_parser = parse_yymmdd)]
    dob: Option<String>,
    /// Date of expiry, YYMMDD (with --doc).
    #[arg(long, value_name = "YYMMDD", requires = "doc", value_parser = parse_yymmdd)]
    doe: Option<String>,
    /// The 6-digit card access number printed on the card (PACE; `-`: read from stdin).
    #[arg(long, value_name = "CAN", value_parser = parse_can)]
    can: Option<String>,
    /// The text of the QR code on the front of a Vietnamese CCCD (`-`: read from stdin).
    #[arg(long, value_name = "TEXT")]
    qr: Option<String>,
    /// The reader [default: the only reader holding a card].
    #[arg(long, value_name = "NAME")]
    reader: Option<String>,
    /// Wait up to SECS for a card to be placed.
    #[arg(long, value_name = "SECS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_SECS))]
    wait: u64,
    /// Data groups to read, e.g. DG1,DG2,DG13 [default: every one the chip lets us read].
    #[arg(long = "dg", value_name = "DG,...", value_delimiter = ',', value_parser = parse_data_group)]
    data_groups: Vec<String>,
    /// Save the portrait (as the chip holds it, JPEG or JPEG 2000) to FILE, mode 0600.
    #[arg(long, value_name = "FILE")]
    portrait: Option<PathBuf>,
    /// Overwrite the --portrait file if it exists.
    #[arg(long, requires = "portrait")]
    force: bool,
    /// Exit with status 11 unless the verification status is `passed`.
    #[arg(long)]
    require_passed: bool,
}

fn parse_yymmdd(s: &str) -> Result<String, String> {
    let s = s.trim();
    let digits = s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit());
    let month = s.get(2..4).and_then(|m| m.parse::<u8>().ok()).unwrap_or(0);
    let day = s.get(4..6).and_then(|d| d.parse::<u8>().ok()).unwrap_or(0);
    if digits && (1..=12).contains(&month) && (1..=31).contains(&day) {
        Ok(s.to_string())
    } else {
        Err("expected a date as YYMMDD (6 digits, e.g. 950312)".into())
    }
}

fn parse_can(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s == "-" || (s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())) {
        Ok(s.to_string())
    } else {
        Err("expected the 6-digit card access number (or - to read it from stdin)".into())
    }
}

fn parse_data_group(s: &str) -> Result<String, String> {
    let s = s.trim();
    let text = if s.bytes().all(|b| b.is_ascii_digit()) { format!("DG{s}") } else { s.to_ascii_uppercase() };
    text.parse::<DataGroup>().map(|dg| dg.to_string()).map_err(|()| "expected a data group DG1..DG16".to_string())
}

/// The MRZ as the API wants it: lines (real newlines or a literal `\n`)
/// trimmed, blank ones dropped, upper-case, joined by `\n`.
fn normalize_mrz(text: &str) -> String {
    text.replace("\\n", "\n")
        .lines()
        .map(|l| l.trim().to_ascii_uppercase())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

impl ReadArgs {
    /// The request; `stdin` supplies the key given as `-`.
    fn to_request(&self, stdin: impl FnOnce() -> Result<String, String>) -> Result<ReadRequest, String> {
        let mut stdin = Some(stdin);
        let mut value = |v: &str| -> Result<String, String> {
            match (v, stdin.take()) {
                ("-", Some(read)) => read(),
                ("-", None) => Err("only one key can be read from stdin".into()),
                (v, _) => Ok(v.to_string()),
            }
        };
        let mut key = Key::default();
        if let Some(mrz) = &self.mrz {
            key.mrz = Some(normalize_mrz(&value(mrz)?));
        } else if let Some(doc) = &self.doc {
            key.document_number = Some(doc.trim().to_ascii_uppercase());
            key.date_of_birth = self.dob.clone();
            key.date_of_expiry = self.doe.clone();
        } else if let Some(can) = &self.can {
            let can = value(can)?.trim().to_string();
            parse_can(&can).map_err(|e| format!("--can: {e}"))?;
            key.can = Some(can);
        } else if let Some(qr) = &self.qr {
            key.cccd_qr = Some(value(qr)?.trim_end_matches(['\r', '\n']).to_string());
        }
        if key.mrz.as_deref() == Some("") || key.cccd_qr.as_deref() == Some("") || key.can.as_deref() == Some("-") {
            return Err("the key is empty".into());
        }
        let mut data_groups: Vec<String> = Vec::new();
        for dg in &self.data_groups {
            if !data_groups.contains(dg) {
                data_groups.push(dg.clone());
            }
        }
        if self.portrait.is_some() && !data_groups.is_empty() && !data_groups.iter().any(|d| d == "DG2") {
            return Err("--portrait needs DG2: add it to --dg".into());
        }
        Ok(ReadRequest {
            reader: self.reader.clone(),
            key,
            data_groups: (!data_groups.is_empty()).then_some(data_groups),
            wait_for_card_ms: self.wait.saturating_mul(1000),
        })
    }
}

fn read_stdin() -> Result<String, String> {
    if io::stdin().is_terminal() {
        warn("reading the key from standard input (end it with Ctrl-D)");
    }
    let mut text = String::new();
    io::stdin()
        .take(MAX_STDIN_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the key from stdin: {e}"))?;
    Ok(text)
}

/// A failure: its exit status and one line saying what to do.
#[derive(Debug)]
struct Failure {
    status: u8,
    message: String,
}

impl Failure {
    fn new(status: u8, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }
}

/// What to tell the user for an error code, and the exit status.
fn code_hint(code: ErrorCode) -> (u8, &'static str) {
    match code {
        ErrorCode::BadRequest => (exit::USAGE, "mrtdd rejected the request: check the key and the options"),
        ErrorCode::ReaderNotFound => {
            (exit::READER, "no such reader: list them with `mrtdctl readers` and pass --reader NAME")
        }
        ErrorCode::NoCard => (exit::CARD, "no card on the reader: place the document on it (or give --wait SECS)"),
        ErrorCode::Busy => (exit::BUSY, "another read is running on this reader: wait for it to end and retry"),
        ErrorCode::WrongKey => (exit::KEY, "the chip rejected the key: check the MRZ/CAN"),
        ErrorCode::CardRemoved => {
            (exit::CARD, "the card left the reader during the read: keep it still on the reader and retry")
        }
        ErrorCode::AccessDenied => (exit::KEY, "the chip refused access: check the key, or try another key form"),
        ErrorCode::UnsupportedDocument => {
            (exit::UNSUPPORTED, "this card is not a supported eMRTD (or uses an algorithm mrtdd does not support)")
        }
        ErrorCode::Timeout => (exit::TIMEOUT, "the read took too long: keep the card still and retry"),
        ErrorCode::PcscUnavailable => (exit::PCSC, "pcscd is not running: start it (systemctl start pcscd)"),
        ErrorCode::Internal => (exit::GENERIC, "mrtdd hit an internal error: see its log (journalctl -u mrtdd)"),
        ErrorCode::Unauthorized => (exit::CONNECTION, "mrtdd wants a bearer token on this listener"),
        ErrorCode::Forbidden => (exit::CONNECTION, "mrtdd does not allow this client: ask its administrator"),
        ErrorCode::NotFound => (exit::GENERIC, "mrtdd does not know this request: is it older than mrtdctl?"),
        ErrorCode::PayloadTooLarge => (exit::USAGE, "the request is too large: a key or option is too long"),
        ErrorCode::ShuttingDown => (exit::CONNECTION, "mrtdd is shutting down: retry once it is back"),
    }
}

/// The exit status and message of a client error.
fn describe(err: &ClientError, socket: &Path) -> Failure {
    let path = socket.display();
    match err {
        ClientError::Connect { source, .. } => match source.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => Failure::new(
                exit::CONNECTION,
                format!("cannot connect to mrtdd at {path}: is it running? (mrtdd --simulate to try without a reader)"),
            ),
            io::ErrorKind::PermissionDenied => Failure::new(
                exit::CONNECTION,
                format!("permission denied on {path}: join the socket's group (ls -l {path}) or ask the administrator"),
            ),
            _ => Failure::new(exit::CONNECTION, format!("cannot connect to mrtdd at {path}: {source}")),
        },
        ClientError::Api { error, .. } => {
            let (status, hint) = code_hint(error.error.code);
            Failure::new(
                status,
                format!("{hint} ({}: {})", error.error.code.as_str(), format::clean(&error.error.message)),
            )
        }
        ClientError::Status { status, code, message } => Failure::new(
            exit::GENERIC,
            format!(
                "mrtdd answered HTTP {status}{}{}",
                code.as_deref().map(|c| format!(" {}", format::clean(c))).unwrap_or_default(),
                message.as_deref().map(|m| format!(": {}", format::clean(m))).unwrap_or_default()
            ),
        ),
        ClientError::Http(e) => Failure::new(
            exit::CONNECTION,
            format!("the connection to mrtdd at {path} broke: {e} (is this user allowed to use mrtdd?)"),
        ),
        ClientError::Timeout(limit) => Failure::new(
            exit::TIMEOUT,
            format!("no answer from mrtdd within {} s: retry, or raise --timeout", limit.as_secs()),
        ),
        other => Failure::new(exit::GENERIC, format!("{other} (are mrtdd and mrtdctl the same version?)")),
    }
}

/// Writes to stdout; a closed pipe (`mrtdctl watch | head`) ends the program quietly.
fn out(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Failure::new(exit::OK, "")),
        Err(e) => Err(Failure::new(exit::GENERIC, format!("cannot write to standard output: {e}"))),
    }
}

/// Raw JSON to stdout, one line.
fn out_json(body: &[u8]) -> Result<(), Failure> {
    let text = String::from_utf8_lossy(body);
    out(&format!("{}\n", text.trim_end()))
}

fn warn(text: &str) {
    let _ = writeln!(io::stderr(), "mrtdctl: {text}");
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            warn(&format!("cannot start: {e}"));
            return ExitCode::from(exit::GENERIC);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if !failure.message.is_empty() {
                warn(&failure.message);
            }
            ExitCode::from(failure.status)
        }
    }
}

fn socket_path(cli: &Cli) -> PathBuf {
    cli.socket
        .clone()
        .or_else(|| std::env::var_os("MRTDD_SOCKET").filter(|v| !v.is_empty()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET))
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let socket = socket_path(&cli);
    let timeout = Duration::from_secs(cli.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS));
    let client = Client::new(&socket).with_timeout(Some(timeout));
    let fail = |e: ClientError| describe(&e, &socket);
    match &cli.command {
        Command::Health => {
            let raw = client.get_raw("/health").await.map_err(fail)?;
            let health: mrtdd::api::Health = raw.json("health response").map_err(fail)?;
            if cli.json {
                out_json(&raw.body)?
            } else {
                out(&format::health(&health))?
            }
            if health.pcsc != "ok" {
                return Err(Failure::new(exit::PCSC, "pcscd is not reachable: start it (systemctl start pcscd)"));
            }
            Ok(())
        }
        Command::Readers => {
            let raw = client.get_raw("/readers").await.map_err(fail)?;
            let readers: Readers = raw.json("readers response").map_err(fail)?;
            if cli.json { out_json(&raw.body) } else { out(&format::readers(&readers)) }
        }
        Command::Read(args) => read(&cli, args, &socket).await,
        Command::Watch => watch(&cli, &client, &socket).await,
    }
}

/// `mrtdctl read`.
async fn read(cli: &Cli, args: &ReadArgs, socket: &Path) -> Result<(), Failure> {
    let request = args.to_request(read_stdin).map_err(|e| Failure::new(exit::USAGE, e))?;
    if let Some(file) = &args.portrait
        && !args.force
        && std::fs::symlink_metadata(file).is_ok()
    {
        return Err(Failure::new(exit::USAGE, format!("{} exists: give --force to overwrite it", file.display())));
    }
    let limit = cli.timeout.unwrap_or_else(|| args.wait.saturating_add(DEFAULT_READ_SECS));
    let client = Client::new(socket).with_timeout(Some(Duration::from_secs(limit)));

    let progress = if io::stderr().is_terminal() { start_progress(&client, &request, cli.timeout).await } else { None };
    let result = client.read_raw(&request).await;
    if let Some(progress) = progress {
        progress.finish();
    }
    let raw = result.map_err(|e| describe(&e, socket))?;
    let response: ReadResponse = raw.json("read response").map_err(|e| describe(&e, socket))?;

    let mut failure = None;
    let mut saved = None;
    if let Some(file) = &args.portrait {
        match save_portrait(&response, file, args.force) {
            Ok(()) => saved = Some(file.display().to_string()),
            Err(f) => failure = Some(f),
        }
    }
    if cli.json {
        out_json(&raw.body)?;
    } else {
        out(&format::read_response(&response, saved.as_deref()))?;
    }
    if let Some(f) = failure {
        return Err(f);
    }
    if args.require_passed && response.verification.status != "passed" {
        return Err(Failure::new(
            exit::NOT_VERIFIED,
            format!("verification status is {}, not passed", format::clean(&response.verification.status)),
        ));
    }
    Ok(())
}

/// Decodes the portrait and writes it to `file`.
fn save_portrait(response: &ReadResponse, file: &Path, force: bool) -> Result<(), Failure> {
    let Some(portrait) = &response.portrait else {
        return Err(Failure::new(
            exit::GENERIC,
            format!("the document gave no portrait: nothing written to {}", file.display()),
        ));
    };
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(portrait.data.as_bytes())
            .map_err(|_| Failure::new(exit::GENERIC, "the portrait in mrtdd's answer is not valid base64"))?,
    );
    write_private_file(file, &bytes, force)
        .map_err(|e| Failure::new(exit::GENERIC, format!("cannot write the portrait to {}: {e}", file.display())))
}

/// Writes `bytes` to a new file of mode 0600 (personal data): `create_new`
/// (never follows or replaces an existing file or link) unless `force`, which
/// writes a fresh 0600 file beside `path` and renames it over the old one.
fn write_private_file(path: &Path, bytes: &[u8], force: bool) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let create = |p: &Path| -> io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(p)?;
        let written = f.write_all(bytes).and_then(|()| f.sync_all());
        if written.is_err() {
            let _ = std::fs::remove_file(p);
        }
        written
    };
    if !force {
        return create(path);
    }
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    create(&tmp)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Follows the read this command started, from the daemon's events.
///
/// The `read_id` is known only from the response, so the read is found by
/// its reader: mrtdd runs one read per reader at a time, so while our `POST`
/// is in flight, the read running on the target reader is ours (or one that
/// makes ours fail with `busy`). The target reader is `--reader`, else the
/// only reader holding a card (or the only reader); failing that, the reader
/// of the first `read_started` seen. A new `read_started` on the target
/// reader restarts the bar (a foreign read that ran and ended before ours).
struct ReadTracker {
    /// The reader the read runs on, once known.
    target: Option<String>,
    /// The read followed, once started.
    current: Option<String>,
    /// The bar (file name, bytes of the file, total).
    bar: ProgressBar,
    /// The bar has its bar style (else the spinner's).
    styled: bool,
}

impl ReadTracker {
    fn spinner_style() -> ProgressStyle {
        ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner())
    }

    fn bar_style() -> ProgressStyle {
        ProgressStyle::with_template("{spinner} reading {msg:8} [{bar:30}] {bytes}/{total_bytes}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
    }

    fn new(target: Option<String>, bar: ProgressBar, waiting: bool) -> Self {
        bar.set_style(Self::spinner_style());
        bar.set_message(if waiting { "waiting for a card..." } else { "starting the read..." });
        Self { target, current: None, bar, styled: false }
    }

    fn on_event(&mut self, event: &Event) {
        match event {
            Event::ReadStarted { read_id, reader } if self.target.as_ref().is_none_or(|t| t == reader) => {
                self.target = Some(reader.clone());
                self.current = Some(read_id.clone());
                self.styled = false;
                self.bar.set_style(Self::spinner_style());
                self.bar.set_position(0);
                self.bar.set_message("opening the chip...");
            }
            Event::CardInserted { reader, .. }
                if self.current.is_none() && self.target.as_ref().is_none_or(|t| t == reader) =>
            {
                self.bar.set_message("card detected...");
            }
            Event::ReadProgress { read_id, file, bytes, total } if self.current.as_ref() == Some(read_id) => {
                // Position and length together, then the name: no frame shows one file's bytes against another's length.
                let (bytes, total) = (*bytes as u64, *total as u64);
                self.bar.update(|state| {
                    state.set_len(total);
                    state.set_pos(bytes);
                });
                let file = format::clean(file);
                if self.bar.message() != file {
                    self.bar.set_message(file);
                }
                if !self.styled {
                    self.styled = true;
                    self.bar.set_style(Self::bar_style());
                }
            }
            Event::ReadFinished { read_id, .. } | Event::ReadFailed { read_id, .. }
                if self.current.as_ref() == Some(read_id) =>
            {
                self.current = None;
                self.styled = false;
                self.bar.set_style(Self::spinner_style());
                self.bar.set_message("finishing...");
            }
            _ => {}
        }
    }
}

/// The progress display of one read: a task following the events.
struct Progress {
    task: tokio::task::JoinHandle<()>,
    bar: ProgressBar,
}

impl Progress {
    fn finish(self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}

/// Subscribes to the events before the read is sent (so none is missed) and
/// starts the bar; `None` when the events are not available (no bar then).
async fn start_progress(client: &Client, request: &ReadRequest, timeout: Option<u64>) -> Option<Progress> {
    let quick = client.clone().with_timeout(Some(Duration::from_secs(timeout.unwrap_or(5).min(5))));
    let events = quick.events().await.ok()?;
    let target = match &request.reader {
        Some(r) => Some(r.clone()),
        None => quick.readers().await.ok().and_then(|r| only_reader(&r)),
    };
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut tracker = ReadTracker::new(target, bar.clone(), request.wait_for_card_ms > 0);
    let task = tokio::spawn(async move {
        let mut events = events;
        while let Some(Ok(event)) = events.next().await {
            tracker.on_event(&event);
        }
    });
    Some(Progress { task, bar })
}

/// The reader mrtdd will pick when none is named: the only one holding a card, else the only one.
fn only_reader(readers: &Readers) -> Option<String> {
    let with_card: Vec<_> = readers.readers.iter().filter(|r| r.card_present).collect();
    match (with_card.as_slice(), readers.readers.as_slice()) {
        ([one], _) => Some(one.name.clone()),
        ([], [one]) => Some(one.name.clone()),
        _ => None,
    }
}

fn now_utc() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    format::utc_timestamp(now.as_secs(), now.subsec_millis())
}

/// One event as a JSON line, `{"event":"<type>","data":<data>}`: the data as
/// received when it is one line of JSON, re-encoded on one line when it is
/// JSON over several lines, a JSON string when it is not JSON.
fn event_json(raw: &SseEvent) -> String {
    let kind = serde_json::Value::String(raw.event.clone());
    let data = match serde_json::from_str::<serde_json::Value>(&raw.data) {
        Ok(_) if !raw.data.contains(['\n', '\r']) => raw.data.trim().to_string(),
        Ok(value) => value.to_string(),
        Err(_) => serde_json::Value::String(raw.data.clone()).to_string(),
    };
    format!("{{\"event\":{kind},\"data\":{data}}}")
}

/// The bars of `watch`, one per running read.
struct Bars {
    multi: MultiProgress,
    bars: HashMap<String, ProgressBar>,
    /// Read ids in start order, to drop the oldest past [`MAX_BARS`].
    order: Vec<String>,
}

impl Bars {
    fn new() -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: HashMap::new(),
            order: Vec::new(),
        }
    }

    fn start(&mut self, read_id: &str, reader: &str) {
        if self.order.len() >= MAX_BARS && !self.order.is_empty() {
            let oldest = self.order.remove(0);
            self.end(&oldest);
        }
        let bar = self.multi.add(ProgressBar::new(0));
        bar.set_style(
            ProgressStyle::with_template("{prefix} {msg:8} [{bar:30}] {bytes}/{total_bytes}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(format::clean(reader));
        self.bars.insert(read_id.to_string(), bar);
        self.order.push(read_id.to_string());
    }

    fn progress(&mut self, read_id: &str, file: &str, bytes: usize, total: usize) {
        if let Some(bar) = self.bars.get(read_id) {
            bar.update(|state| {
                state.set_len(total as u64);
                state.set_pos(bytes as u64);
            });
            let file = format::clean(file);
            if bar.message() != file {
                bar.set_message(file);
            }
        }
    }

    fn end(&mut self, read_id: &str) {
        if let Some(bar) = self.bars.remove(read_id) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        self.order.retain(|id| id != read_id);
    }

    fn clear(&mut self) {
        for id in self.order.clone() {
            self.end(&id);
        }
    }
}

/// `mrtdctl watch`.
async fn watch(cli: &Cli, client: &Client, socket: &Path) -> Result<(), Failure> {
    let mut events = client.events_raw().await.map_err(|e| describe(&e, socket))?;
    let mut bars = (!cli.json && io::stderr().is_terminal()).then(Bars::new);
    let result = loop {
        let next = tokio::select! {
            next = events.next() => next,
            _ = tokio::signal::ctrl_c() => break Ok(()),
        };
        let raw = match next {
            Some(Ok(raw)) => raw,
            Some(Err(e)) => break Err(describe(&e, socket)),
            None => break Err(Failure::new(exit::CONNECTION, "mrtdd closed the event stream (did it stop?)")),
        };
        if let Err(f) = show_event(cli.json, &raw, bars.as_mut()) {
            break Err(f);
        }
    };
    if let Some(bars) = bars.as_mut() {
        bars.clear();
    }
    result
}

fn show_event(json: bool, raw: &SseEvent, bars: Option<&mut Bars>) -> Result<(), Failure> {
    let event = Event::from_sse(&raw.event, &raw.data);
    if let Some(Event::EventsLost { missed }) = &event {
        warn(&format!(
            "warning: mrtdd dropped {missed} events for this client (it was too slow); state may be stale: run `mrtdctl readers`"
        ));
    }
    let line = if json { event_json(raw) } else { format!("{} {}", now_utc(), format::event_line(raw)) };
    let Some(bars) = bars else {
        return out(&format!("{line}\n"));
    };
    match &event {
        Some(Event::ReadProgress { read_id, file, bytes, total }) => {
            bars.progress(read_id, file, *bytes, *total);
            return Ok(());
        }
        Some(Event::ReadStarted { read_id, reader }) => bars.start(read_id, reader),
        Some(Event::ReadFinished { read_id, .. } | Event::ReadFailed { read_id, .. }) => bars.end(read_id),
        Some(Event::EventsLost { .. }) => bars.clear(),
        _ => {}
    }
    bars.multi.suspend(|| out(&format!("{line}\n")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("mrtdctl").chain(args.iter().copied()))
    }

    fn request(args: &[&str]) -> Result<ReadRequest, String> {
        request_with_stdin(args, "")
    }

    fn request_with_stdin(args: &[&str], stdin: &str) -> Result<ReadRequest, String> {
        let cli = parse(args).map_err(|e| e.to_string())?;
        let Command::Read(read) = cli.command else { panic!("not a read") };
        read.to_request(|| Ok(stdin.to_string()))
    }

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn mrz_key_accepts_real_and_literal_newlines() {
        let l1 = "IDVNM0950123457001095012345<<4";
        let l2 = "9503122M3503128VNM<<<<<<<<<<<4";
        let l3 = "NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";
        let want = format!("{l1}\n{l2}\n{l3}");
        for text in [
            format!("{l1}\\n{l2}\\n{l3}"),
            format!("{l1}\n{l2}\r\n{l3}\n"),
            format!(" {}\n\n{l2}\n{l3} ", l1.to_lowercase()),
        ] {
            let r = request(&["read", "--mrz", &text]).unwrap();
            assert_eq!(r.key, Key::from_mrz(want.clone()));
            assert_eq!(r.reader, None);
            assert_eq!(r.data_groups, None);
            assert_eq!(r.wait_for_card_ms, 0);
        }
        let r = request_with_stdin(&["read", "--mrz", "-"], &format!("{l1}\n{l2}\n{l3}\n")).unwrap();
        assert_eq!(r.key.mrz.as_deref(), Some(want.as_str()));
    }

    #[test]
    fn document_number_key_and_options() {
        let r = request(&[
            "read",
            "--doc",
            "c01x00t47",
            "--dob",
            "740812",
            "--doe",
            "120415",
            "--reader",
            "R 0",
            "--wait",
            "30",
            "--dg",
            "DG1,dg2,13",
            "--dg",
            "DG2",
        ])
        .unwrap();
        assert_eq!(r.key, Key::from_document_data("C01X00T47", "740812", "120415"));
        assert_eq!(r.reader.as_deref(), Some("R 0"));
        assert_eq!(r.wait_for_card_ms, 30_000);
        assert_eq!(r.data_groups, Some(vec!["DG1".to_string(), "DG2".into(), "DG13".into()]));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["key"],
            serde_json::json!({"document_number": "C01X00T47", "date_of_birth": "740812", "date_of_expiry": "120415"})
        );
    }

    #[test]
    fn can_and_qr_keys() {
        let r = request(&["read", "--can", "012345"]).unwrap();
        assert_eq!(r.key, Key::from_can("012345"));
        let r = request_with_stdin(&["read", "--can", "-"], "012345\n").unwrap();
        assert_eq!(r.key.can.as_deref(), Some("012345"));
        assert!(request_with_stdin(&["read", "--can", "-"], "12345\n").is_err());
        let qr = "001095012345|123456789|Nguyễn Văn An|12031995|Nam|Hà Nội|01062021";
        let r = request(&["read", "--qr", qr]).unwrap();
        assert_eq!(r.key, Key::from_cccd_qr(qr));
        let r = request_with_stdin(&["read", "--qr", "-"], &format!("{qr}\n")).unwrap();
        assert_eq!(r.key.cccd_qr.as_deref(), Some(qr));
    }

    #[test]
    fn bad_combinations_are_rejected() {
        for args in [
            &["read"][..],
            &["read", "--can", "012345", "--mrz", "X"],
            &["read", "--can", "012345", "--qr", "X"],
            &["read", "--doc", "123", "--dob", "950312"],
            &["read", "--dob", "950312", "--doe", "350312"],
            &["read", "--can", "012345", "--dob", "950312"],
            &["read", "--doc", "1", "--dob", "951312", "--doe", "350312"],
            &["read", "--doc", "1", "--dob", "9503", "--doe", "350312"],
            &["read", "--can", "12345"],
            &["read", "--can", "01234a"],
            &["read", "--can", "012345", "--dg", "DG17"],
            &["read", "--can", "012345", "--dg", "EF.COM"],
            &["read", "--can", "012345", "--force"],
            &["read", "--can", "012345", "--wait", "-1"],
            &["--timeout", "0", "health"],
            &["watch", "--can", "012345"],
        ] {
            assert!(request(args).is_err(), "{args:?} accepted");
        }
        let err = parse(&["read", "--can", "012345", "--mrz", "X"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(request(&["read", "--can", "012345", "--dg", "DG1", "--portrait", "p.jpg"]).is_err());
        assert!(request(&["read", "--can", "012345", "--dg", "DG1,DG2", "--portrait", "p.jpg"]).is_ok());
        assert!(request(&["read", "--mrz", "\\n \\n"]).is_err());
    }

    #[test]
    fn global_options() {
        let cli = parse(&["read", "--can", "012345", "--json", "--socket", "/tmp/s", "--timeout", "9"]).unwrap();
        assert!(cli.json);
        assert_eq!(cli.timeout, Some(9));
        assert_eq!(socket_path(&cli), PathBuf::from("/tmp/s"));
        let cli = parse(&["--json", "readers"]).unwrap();
        assert!(cli.json);
        assert!(matches!(cli.command, Command::Readers));
    }

    #[test]
    fn every_code_has_a_distinct_meaningful_status() {
        use ErrorCode::*;
        let table = [
            (BadRequest, exit::USAGE),
            (ReaderNotFound, exit::READER),
            (NoCard, exit::CARD),
            (Busy, exit::BUSY),
            (WrongKey, exit::KEY),
            (CardRemoved, exit::CARD),
            (AccessDenied, exit::KEY),
            (UnsupportedDocument, exit::UNSUPPORTED),
            (Timeout, exit::TIMEOUT),
            (PcscUnavailable, exit::PCSC),
            (Internal, exit::GENERIC),
        ];
        for (code, status) in table {
            let err = ClientError::Api {
                status: code.http_status(),
                error: mrtdd::api::ErrorBody { error: mrtdd::api::ErrorDetail { code, message: "m\u{1b}[31m".into() } },
            };
            let f = describe(&err, Path::new("/s"));
            assert_eq!(f.status, status, "{code:?}");
            assert!(f.message.contains(code.as_str()), "{}", f.message);
            assert!(!f.message.contains('\u{1b}'));
            assert!(!f.message.contains('\n'));
        }
        let (_, hint) = code_hint(WrongKey);
        assert_eq!(hint, "the chip rejected the key: check the MRZ/CAN");
        let (_, hint) = code_hint(PcscUnavailable);
        assert_eq!(hint, "pcscd is not running: start it (systemctl start pcscd)");
        let connect = ClientError::Connect { path: "/s".into(), source: io::ErrorKind::NotFound.into() };
        let f = describe(&connect, Path::new("/s"));
        assert_eq!(f.status, exit::CONNECTION);
        assert_eq!(
            f.message,
            "cannot connect to mrtdd at /s: is it running? (mrtdd --simulate to try without a reader)"
        );
        assert_eq!(describe(&ClientError::Timeout(Duration::from_secs(3)), Path::new("/s")).status, exit::TIMEOUT);
    }

    fn ev(e: Event) -> Event {
        e
    }

    #[test]
    fn tracker_follows_the_read_on_its_reader() {
        let mut t = ReadTracker::new(Some("A".into()), ProgressBar::hidden(), false);
        t.on_event(&ev(Event::ReadStarted { read_id: "other".into(), reader: "B".into() }));
        assert_eq!(t.current, None);
        t.on_event(&ev(Event::ReadStarted { read_id: "r1".into(), reader: "A".into() }));
        assert_eq!(t.current.as_deref(), Some("r1"));
        t.on_event(&ev(Event::ReadProgress { read_id: "other".into(), file: "DG2".into(), bytes: 9, total: 99 }));
        assert_eq!(t.bar.position(), 0);
        t.on_event(&ev(Event::ReadProgress { read_id: "r1".into(), file: "DG2".into(), bytes: 10, total: 20 }));
        assert_eq!((t.bar.position(), t.bar.length()), (10, Some(20)));
        assert_eq!(t.bar.message(), "DG2");
        // A foreign read on the same reader that ended before ours started: ours replaces it.
        t.on_event(&ev(Event::ReadFailed { read_id: "r1".into(), code: ErrorCode::WrongKey }));
        assert_eq!(t.current, None);
        t.on_event(&ev(Event::ReadStarted { read_id: "r2".into(), reader: "A".into() }));
        assert_eq!(t.current.as_deref(), Some("r2"));
        assert_eq!(t.bar.position(), 0);
    }

    #[test]
    fn tracker_without_target_locks_on_the_first_read() {
        let mut t = ReadTracker::new(None, ProgressBar::hidden(), true);
        t.on_event(&ev(Event::ReadStarted { read_id: "r1".into(), reader: "B".into() }));
        assert_eq!(t.target.as_deref(), Some("B"));
        t.on_event(&ev(Event::ReadStarted { read_id: "r9".into(), reader: "C".into() }));
        assert_eq!(t.current.as_deref(), Some("r1"));
    }

    #[test]
    fn only_reader_is_the_one_with_a_card() {
        let r = |name: &str, card: bool| mrtdd::api::Reader {
            name: name.into(),
            card_present: card,
            atr: None,
            busy: false,
        };
        assert_eq!(only_reader(&Readers { readers: vec![r("A", false), r("B", true)] }).as_deref(), Some("B"));
        assert_eq!(only_reader(&Readers { readers: vec![r("A", false)] }).as_deref(), Some("A"));
        assert_eq!(only_reader(&Readers { readers: vec![r("A", true), r("B", true)] }), None);
        assert_eq!(only_reader(&Readers { readers: vec![r("A", false), r("B", false)] }), None);
    }

    #[test]
    fn event_json_lines() {
        let raw = SseEvent { event: "read_finished".into(), data: r#"{"read_id":"r","status":"passed"}"#.into() };
        assert_eq!(event_json(&raw), r#"{"event":"read_finished","data":{"read_id":"r","status":"passed"}}"#);
        let raw = SseEvent { event: "x".into(), data: "not json".into() };
        assert_eq!(event_json(&raw), r#"{"event":"x","data":"not json"}"#);
        let raw = SseEvent { event: "y".into(), data: "{\"a\":\n 1}".into() };
        assert_eq!(event_json(&raw), r#"{"event":"y","data":{"a":1}}"#);
    }

    #[test]
    fn private_file_is_0600_and_not_overwritten_without_force() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("mrtdctl-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("face.jpg");
        let _ = std::fs::remove_file(&file);
        write_private_file(&file, b"one", false).unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"one");
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(write_private_file(&file, b"two", false).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private_file(&file, b"two", true).unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
