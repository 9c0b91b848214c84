//! Access control and personal data against the real daemon (`mrtdd --simulate`),
//! issue 7 and HOSTILE 34/35:
//! - a peer outside the uid/gid allow-list is refused (and, as root, a process
//!   of another user is kept out by the socket's mode and let in by its group);
//! - the socket's mode and group are as configured (also once re-created);
//! - the loopback TCP listener: token and Origin checks, loopback-only config;
//! - the daemon cannot dump core (RLIMIT_CORE 0, PR_SET_DUMPABLE 0);
//! - the service's personal-data and key types wipe themselves (compile time);
//! - two clients, two cards, quick succession: no data of one read in another;
//! - tests/pii-strings.txt (the strings scripts/scan-pii.sh looks for in every
//!   log and event capture of the suite) is exactly what the test documents hold.
#![cfg(feature = "software-chip")]

#[path = "support/daemon.rs"]
mod daemon;

use base64::Engine;
use daemon::{CCCD_READER, Daemon, PASSPORT_READER, Subscriber, can_read, exchange, passport_read};
use mrtdd::api::{ErrorBody, ErrorCode, Event};
use mrtdd::chip::Document;
use std::collections::{BTreeSet, HashSet};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const FILE: &str = "daemon_access";
const PII_LIST: &str = "tests/pii-strings.txt";

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

// ---------------------------------------------------------------------------
// Personal strings of the test documents (tests/pii-strings.txt)

/// Strings shorter than this are not scanned for (too many false hits: `Nam`, `VNM`).
const MIN_PII_LEN: usize = 4;

/// A date in every form the chip, the QR code or the API uses.
fn date_forms(out: &mut BTreeSet<String>, y: u32, m: u32, d: u32) {
    out.insert(format!("{:02}{m:02}{d:02}", y % 100));
    out.insert(format!("{y:04}-{m:02}-{d:02}"));
    out.insert(format!("{y:04}{m:02}{d:02}"));
    out.insert(format!("{d:02}/{m:02}/{y:04}"));
    out.insert(format!("{d:02}{m:02}{y:04}"));
}

/// `YYMMDD` with the century as the API resolves it: a birth date lies in the
/// past, an expiry date within the next 50 years.
fn mrz_date(out: &mut BTreeSet<String>, yymmdd: &str, birth: bool) {
    let n = |r: std::ops::Range<usize>| yymmdd[r].parse::<u32>().unwrap();
    let (yy, m, d) = (n(0..2), n(2..4), n(4..6));
    let this_year = 1970
        + (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 31_556_952) as u32;
    let y = if birth {
        if 2000 + yy <= this_year { 2000 + yy } else { 1900 + yy }
    } else if 2000 + yy <= this_year + 50 {
        2000 + yy
    } else {
        1900 + yy
    };
    date_forms(out, y, m, d);
}

/// (year, month, day) of `DD/MM/YYYY`, `YYYY-MM-DD` or `YYYYMMDD` (DG11, DG12, DG13 as parsed).
fn ymd(text: &str) -> (u32, u32, u32) {
    let n = |s: &str| s.parse::<u32>().unwrap();
    if let [d, m, y] = text.split('/').collect::<Vec<_>>()[..] {
        (n(y), n(m), n(d))
    } else if let [y, m, d] = text.split('-').collect::<Vec<_>>()[..] {
        (n(y), n(m), n(d))
    } else if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        (n(&text[0..4]), n(&text[4..6]), n(&text[6..8]))
    } else {
        panic!("unexpected date form {text:?}");
    }
}

fn text_date(out: &mut BTreeSet<String>, text: &str) {
    let (y, m, d) = ymd(text);
    date_forms(out, y, m, d);
}

/// A name or place: whole, with `<` fillers as in the MRZ, its comma-separated
/// parts, and (for names) each word.
fn text(out: &mut BTreeSet<String>, value: &str, words: bool) {
    out.insert(value.to_owned());
    if words && value.contains(' ') {
        out.insert(value.replace(' ', "<"));
    }
    for part in value.split(", ") {
        out.insert(part.to_owned());
    }
    if words {
        for w in value.split([' ', '<']) {
            out.insert(w.to_owned());
        }
    }
}

/// Every personal string of one test document, from its files as the
/// daemon's own parsers read them.
fn personal_strings(doc: &Document) -> BTreeSet<String> {
    use mrtdd::protocol::lds::{dg1, dg2, dg11, dg12, dg13};
    let mut out = BTreeSet::new();
    let file = |fid: u16| doc.file(fid);
    let mrz = dg1::parse(file(0x0101).unwrap()).unwrap().mrz.clone();
    out.insert(mrz.document_number.clone());
    text(&mut out, &mrz.surname, true);
    text(&mut out, &mrz.given_names, true);
    out.insert(format!("{}<<{}", mrz.surname, mrz.given_names.replace(' ', "<")));
    out.insert(format!("{} {}", mrz.surname, mrz.given_names));
    for line in &mrz.lines {
        out.insert(line.trim_end_matches('<').to_owned());
    }
    out.insert(doc.mrz_information().to_owned());
    out.insert(mrz.optional_data.trim_end_matches('<').to_owned());
    mrz_date(&mut out, &mrz.date_of_birth, true);
    mrz_date(&mut out, &mrz.date_of_expiry, false);
    // Trace-level APDU hex would show these as ASCII hex.
    out.insert(hex::encode(&mrz.document_number));
    out.insert(hex::encode_upper(&mrz.document_number));
    if let Some(can) = doc.can() {
        out.insert(can.to_owned());
    }
    if let Some(bytes) = file(0x0102) {
        let portrait = dg2::parse(bytes).unwrap().unwrap();
        // A window of the portrait's base64 (as in a response), from the middle.
        let b64 = base64::engine::general_purpose::STANDARD.encode(&*portrait.image);
        let mid = b64.len() / 2 / 4 * 4;
        out.insert(b64[mid..mid + 40].to_owned());
    }
    if let Some(bytes) = file(0x010B) {
        let d = dg11::parse(bytes).unwrap();
        for name in d.full_name.iter().chain(&d.other_names) {
            text(&mut out, name, true);
        }
        for place in d.place_of_birth.iter().chain(&d.permanent_address) {
            text(&mut out, place, false);
        }
        out.extend(d.personal_number.clone());
        if let Some(date) = &d.full_date_of_birth {
            text_date(&mut out, date);
        }
    }
    if let Some(bytes) = file(0x010C) {
        let d = dg12::parse(bytes).unwrap();
        if let Some(date) = &d.date_of_issue {
            text_date(&mut out, date);
        }
    }
    if let Some(bytes) = file(0x010D) {
        let d = dg13::parse(bytes).unwrap();
        for id in d.id_number.iter().chain(&d.old_id_number) {
            out.insert(id.clone());
            out.insert(hex::encode(id));
            out.insert(hex::encode_upper(id));
        }
        for name in [&d.full_name, &d.father_name, &d.mother_name, &d.spouse_name].into_iter().flatten() {
            text(&mut out, name, true);
        }
        for place in [&d.place_of_origin, &d.place_of_residence, &d.personal_identification].into_iter().flatten() {
            text(&mut out, place, false);
        }
        out.extend(d.ethnicity.clone());
        out.extend(d.religion.clone());
        for date in [&d.date_of_birth, &d.date_of_issue, &d.date_of_expiry].into_iter().flatten() {
            text_date(&mut out, date);
        }
        // The QR code on the card's front (the `cccd_qr` key).
        let (y, m, day) = ymd(d.date_of_birth.as_deref().unwrap());
        let dob = format!("{day:02}{m:02}{y:04}");
        let (id, name) = (d.id_number.as_deref().unwrap(), d.full_name.as_deref().unwrap());
        out.insert(format!("{id}||{name}|{dob}"));
    }
    out.retain(|s| s.chars().count() >= MIN_PII_LEN);
    out
}

fn test_documents() -> Vec<(&'static str, Document)> {
    vec![("demo CCCD", Document::cccd_demo().unwrap()), ("ICAO specimen passport", Document::td3_specimen().unwrap())]
}

/// tests/pii-strings.txt without its comments.
fn pii_list() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(PII_LIST);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_pii_list_holds_every_personal_string_of_the_test_documents() {
    let mut all = BTreeSet::new();
    let mut text = String::from(
        "# Personal strings of the test documents (src/chip: DocumentBuilder::cccd_demo, td3_specimen),\n\
         # one per line, UTF-8. scripts/scan-pii.sh fails the test run if any appears in a file under\n\
         # target/test-logs/ (daemon logs, captured event streams). Generated and checked by\n\
         # tests/daemon_access.rs (the_pii_list_holds_every_personal_string_of_the_test_documents):\n\
         #   MRTDD_WRITE_PII_STRINGS=1 cargo test --test daemon_access the_pii_list\n",
    );
    for (name, doc) in test_documents() {
        let strings = personal_strings(&doc);
        text.push_str(&format!("# {name}: {} strings\n", strings.len()));
        for s in &strings {
            if all.insert(s.clone()) {
                text.push_str(s);
                text.push('\n');
            }
        }
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(PII_LIST);
    if std::env::var_os("MRTDD_WRITE_PII_STRINGS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let listed: BTreeSet<String> = pii_list().into_iter().collect();
    let missing: Vec<_> = all.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&all).collect();
    assert!(missing.is_empty() && stale.is_empty(), "{PII_LIST} is out of date: missing {missing:?}, stale {stale:?}");
    // The forms the scan depends on are there.
    for s in ["Nguyễn Văn An", "NGUYEN<<VAN<AN", "001095012345", "012345", "1995-03-12", "12031995", "ERIKSSON"] {
        assert!(listed.contains(s), "{s}");
    }
    println!("{PII_LIST}: {} strings", listed.len());
}

/// No personal string of any test document in `text`. The log lines' own
/// timestamps are left out first (their microseconds can spell any YYMMDD), as
/// scripts/scan-pii.sh does.
fn assert_no_pii(what: &str, text: &str) {
    let stamp = regex::Regex::new(r"(?m)^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z").unwrap();
    let text = stamp.replace_all(text, "");
    for s in pii_list() {
        assert!(!text.contains(&s), "{what} holds the personal string {s:?}");
    }
}

// ---------------------------------------------------------------------------
// A client running as another user (self-exec of this test binary)

/// Runs [`probe_client`] as `uid`/`gid` (no supplementary groups) against
/// `socket`: `"status 200"`, `"no response: ..."` or `"connect error: ..."`.
fn probe(dir: &Path, socket: &Path, uid: u32, gid: u32) -> String {
    // A copy of this binary other users can execute (the build tree may be under /root).
    let exe = dir.join("probe");
    if !exe.exists() {
        std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = Command::new(&exe)
        .args(["probe_client", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("MRTDD_PROBE_SOCKET", socket)
        .uid(uid)
        .gid(gid) // std drops the supplementary groups when root sets a uid
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.split_once("probe-result: ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("probe: {stdout} {}", String::from_utf8_lossy(&out.stderr)))
        .to_owned()
}

/// The client side of [`probe`]: does nothing unless `MRTDD_PROBE_SOCKET` is set.
#[test]
#[ignore = "run by the access tests as another user"]
fn probe_client() {
    use std::io::{Read, Write};
    let Some(socket) = std::env::var_os("MRTDD_PROBE_SOCKET") else { return };
    let result = match std::os::unix::net::UnixStream::connect(&socket) {
        Err(e) => format!("connect error: {:?}", e.kind()),
        Ok(mut s) => {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let _ = s.write_all(b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            let mut raw = Vec::new();
            match s.read_to_end(&mut raw) {
                Ok(_) if raw.starts_with(b"HTTP/1.1 ") => {
                    format!("status {}", String::from_utf8_lossy(&raw[9..12]))
                }
                Ok(n) => format!("no response: closed after {n} bytes"),
                Err(e) => format!("no response: {:?}", e.kind()),
            }
        }
    };
    println!("probe-result: {result}");
}

/// The daemon's directory and socket directory, traversable by other users.
fn open_up(d: &Daemon) {
    for dir in [&d.dir, &d.dir.join("run")] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

// ---------------------------------------------------------------------------
// HOSTILE 34: who may connect

#[test]
fn a_peer_outside_the_allow_list_is_refused() {
    if !is_root() {
        // Root is always let in, so as root the refused peer must be another user (below).
        let me = nix::unistd::getuid().as_raw();
        let gid = nix::unistd::getgid().as_raw();
        let d = Daemon::start(
            FILE,
            "allow-list-user",
            &format!("allowed_uids = [{}]\nallowed_gids = [{}]\n", me + 1, gid + 1),
        );
        let mut s = std::os::unix::net::UnixStream::connect(&d.socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        use std::io::{Read, Write};
        let _ = s.write_all(b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        assert!(raw.is_empty(), "refused: closed before any HTTP: {}", String::from_utf8_lossy(&raw));
        let log = d.stop();
        assert!(log.contains("connection refused: peer not in the allow-list"), "{log}");
        assert!(log.contains(&format!("uid={me}")), "{log}");
        println!("skipped the other-user probes: not root");
        return;
    }
    // As root: the socket open to everyone (0666), so only the allow-list decides.
    let d = Daemon::start(FILE, "allow-list", "socket_mode = 0o666\nallowed_uids = [65533]\nallowed_gids = [65532]\n");
    open_up(&d);
    let outsider = probe(&d.dir, &d.socket, 65534, 65534);
    assert!(outsider.starts_with("no response"), "uid 65534 is refused: {outsider}");
    assert_eq!(probe(&d.dir, &d.socket, 65533, 65533), "status 200", "a listed uid");
    assert_eq!(probe(&d.dir, &d.socket, 65531, 65532), "status 200", "a listed primary gid");
    let refused_gid = probe(&d.dir, &d.socket, 65531, 65531);
    assert!(refused_gid.starts_with("no response"), "{refused_gid}");
    // Root itself is always let in; the daemon serves on.
    assert_eq!(d.request("GET", "/v1/health", b"").0, 200);
    d.read(can_read()).unwrap();
    let log = d.stop();
    assert_eq!(log.matches("connection refused: peer not in the allow-list").count(), 2, "{log}");
    assert!(log.contains("uid=65534") && log.contains("gid=65534"), "{log}");
    assert_no_pii("the log", &log);
    println!("allow-list: uid 65534 {outsider:?}; uid 65533 / gid 65532 status 200; uid+gid 65531 {refused_gid:?}");
}

#[test]
fn the_socket_mode_keeps_other_users_out_and_its_group_lets_members_in() {
    if !is_root() {
        println!("skipped: needs root to run clients as other users");
        return;
    }
    // Default mode 0660, owner root, group nogroup (65534).
    let d = Daemon::start(FILE, "socket-group", "socket_group = \"nogroup\"\n");
    open_up(&d);
    let meta = std::fs::metadata(&d.socket).unwrap();
    assert_eq!((meta.mode() & 0o777, meta.uid(), meta.gid()), (0o660, 0, 65534));
    let other = probe(&d.dir, &d.socket, 65533, 65533);
    assert_eq!(other, "connect error: PermissionDenied", "not the owner, not in the group");
    assert_eq!(probe(&d.dir, &d.socket, 65533, 65534), "status 200", "a member of the socket's group");
    d.stop();
}

#[test]
fn the_socket_mode_and_group_are_as_configured_also_when_re_created() {
    let group = if is_root() { "nogroup".to_owned() } else { nix::unistd::getgid().as_raw().to_string() };
    let gid = mrtdd::service::listen::resolve_group(&group).unwrap();
    let d = Daemon::start(FILE, "socket-mode", &format!("socket_mode = 0o620\nsocket_group = {group:?}\n"));
    let check = |when: &str| {
        let meta = std::fs::symlink_metadata(&d.socket).unwrap();
        assert_eq!((meta.mode() & 0o7777, meta.gid()), (0o620, gid), "{when}");
    };
    check("at start");
    std::fs::remove_file(&d.socket).unwrap();
    let started = std::time::Instant::now();
    while std::os::unix::net::UnixStream::connect(&d.socket).is_err() {
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(10));
    }
    check("re-created");
    let bad = Command::new(env!("CARGO_BIN_EXE_mrtdd"))
        .args(["--check-config", "--config"])
        .arg(write_config(&d.dir, "bad-group.toml", "socket_group = \"\"\n"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("socket_group"));
    d.stop();
    println!("socket: mode 0620, group {group} ({gid}), at start and once re-created");
}

fn write_config(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

// ---------------------------------------------------------------------------
// The loopback TCP listener

#[test]
fn the_tcp_listener_wants_the_token_and_an_allowed_origin() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let token_dir = std::env::temp_dir().join(format!("mrtdd-access-token-{}", std::process::id()));
    std::fs::create_dir_all(&token_dir).unwrap();
    let token = "s3cret-token-0123456789abcdef";
    let token_file = write_config(&token_dir, "token", &format!("{token}\n"));
    let d = Daemon::start(
        FILE,
        "tcp",
        &format!(
            "[tcp]\nenabled = true\naddress = \"127.0.0.1:{port}\"\ntoken_file = {token_file:?}\n\
             allowed_origins = [\"http://localhost:3000\"]\n"
        ),
    );
    // The TCP listener is bound just after the Unix socket.
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "the TCP listener did not come up");
        std::thread::sleep(Duration::from_millis(10));
    }
    let call = |headers: &[(&str, &str)], method: &str, path: &str, body: &[u8]| {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        exchange(&mut s, method, path, headers, body, true)
    };
    let code = |(status, body): (u16, Vec<u8>)| {
        let e: ErrorBody = serde_json::from_slice(&body).unwrap();
        (status, e.error.code)
    };
    let bearer = format!("Bearer {token}");
    let wrong = format!("Bearer {token}x");
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, (u16, ErrorCode));
    let cases: [Case; 5] = [
        ("no token", vec![], (401, ErrorCode::Unauthorized)),
        ("wrong token", vec![("Authorization", &wrong)], (401, ErrorCode::Unauthorized)),
        ("not Bearer", vec![("Authorization", token)], (401, ErrorCode::Unauthorized)),
        ("no token, allowed Origin", vec![("Origin", "http://localhost:3000")], (401, ErrorCode::Unauthorized)),
        (
            "token, foreign Origin",
            vec![("Authorization", &bearer), ("Origin", "http://evil.example")],
            (403, ErrorCode::Forbidden),
        ),
    ];
    for (what, headers, expected) in &cases {
        assert_eq!(code(call(headers, "GET", "/v1/health", b"")), *expected, "{what}");
        // Reads are refused the same way, before any card is touched.
        let read = call(headers, "POST", "/v1/read", can_read().to_string().as_bytes());
        assert_eq!(code(read), *expected, "{what}: read");
    }
    assert_eq!(call(&[("Authorization", &bearer)], "GET", "/v1/health", b"").0, 200, "token, no Origin");
    let (status, body) = call(
        &[("Authorization", &bearer), ("Origin", "http://localhost:3000")],
        "POST",
        "/v1/read",
        can_read().to_string().as_bytes(),
    );
    assert_eq!(status, 200, "token, allowed Origin: {}", String::from_utf8_lossy(&body));
    let read: mrtdd::api::ReadResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(read.cccd.as_ref().unwrap().id_number.as_deref(), Some("001095012345"));
    let log = d.stop();
    assert!(!log.contains(token), "the token is never logged");
    assert_no_pii("the log", &log);
    let _ = std::fs::remove_dir_all(&token_dir);
}

#[test]
fn the_tcp_listener_is_loopback_only_and_needs_a_real_token() {
    let dir = std::env::temp_dir().join(format!("mrtdd-access-tcpcfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let short = write_config(&dir, "short-token", "tooshort\n");
    let check = |name: &str, text: &str, check_only: bool| {
        let config = write_config(&dir, name, &format!("socket = {:?}\nsimulate = true\n{text}", dir.join("s.sock")));
        let mut c = Command::new(env!("CARGO_BIN_EXE_mrtdd"));
        c.arg("--config").arg(&config);
        if check_only {
            c.arg("--check-config");
        }
        let out = c.output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    for address in ["0.0.0.0:8765", "192.0.2.1:8765", "[::]:8765", "localhost:8765"] {
        let (code, err) =
            check("a.toml", &format!("[tcp]\nenabled = true\naddress = \"{address}\"\ntoken_file = {short:?}\n"), true);
        assert_eq!(code, Some(2), "{address}: {err}");
        assert!(err.contains("tcp.address"), "{address}: {err}");
    }
    let (code, err) = check("b.toml", "[tcp]\nenabled = true\naddress = \"127.0.0.1:0\"\n", true);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("tcp.token_file"), "{err}");
    // A token under 16 characters: the daemon does not start.
    let (code, err) =
        check("c.toml", &format!("[tcp]\nenabled = true\naddress = \"127.0.0.1:0\"\ntoken_file = {short:?}\n"), false);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("at least 16 characters"), "{err}");
    assert!(!err.contains("tooshort"), "the token is not echoed: {err}");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// No core dumps; wiped buffers

#[test]
fn the_daemon_cannot_dump_core() {
    // As root the daemon runs as 65534, so that /proc/<pid>/ owned by root shows PR_SET_DUMPABLE 0.
    let d = if is_root() {
        Daemon::start_as(FILE, "no-core", "", 65534, 65534)
    } else {
        Daemon::start(FILE, "no-core", "")
    };
    let pid = d.pid();
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    assert_eq!(core.split_whitespace().collect::<Vec<_>>(), ["Max", "core", "file", "size", "0", "0", "bytes"]);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid: u32 = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(uid, 0, "the daemon runs as an ordinary user here");
    // proc(5): with the dumpable attribute 0, /proc/<pid>/ files belong to root, not to the process's user.
    let owner = std::fs::metadata(format!("/proc/{pid}/status")).unwrap().uid();
    assert_eq!(owner, 0, "PR_SET_DUMPABLE 0: /proc/{pid}/status belongs to root, not to uid {uid}");
    d.read(can_read()).unwrap();
    d.stop();
    println!("core dumps: RLIMIT_CORE 0/0; /proc/{pid}/status owned by root while the daemon runs as uid {uid}");
}

fn assert_zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}

/// The protocol core's values that the service holds during a read — the key
/// it derives from the request, the files and everything parsed from them —
/// wipe themselves when dropped (the read's `DocumentRead` dies on the read's
/// thread: service/reads.rs). Checked at compile time.
#[test]
fn the_service_s_personal_data_and_key_types_wipe_themselves() {
    use mrtdd::protocol::lds::{FileId, dg1::Dg1, dg2::Portrait, dg11::Dg11, dg12::Dg12, dg13::CccdData};
    use mrtdd::protocol::session::{AccessKey, DocumentRead};
    use zeroize::Zeroizing;
    assert_zeroize_on_drop::<mrtdd::protocol::mrz::BacKey>();
    assert_zeroize_on_drop::<mrtdd::protocol::mrz::Mrz>();
    assert_zeroize_on_drop::<mrtdd::protocol::cccd_qr::CccdQr>();
    assert_zeroize_on_drop::<Zeroizing<String>>(); // AccessKey::Can
    assert_zeroize_on_drop::<Dg1>();
    assert_zeroize_on_drop::<Dg11>();
    assert_zeroize_on_drop::<Dg12>();
    assert_zeroize_on_drop::<CccdData>();
    assert_zeroize_on_drop::<Zeroizing<Vec<u8>>>();
    // The wire types: the request's key and the response's personal data
    // (what `zeroize` clears: `api::tests`; the JSON bodies themselves are
    // wiped by the HTTP layer, `service::http::tests`).
    assert_zeroize_on_drop::<mrtdd::api::Key>();
    assert_zeroize_on_drop::<mrtdd::api::ReadResponse>();
    assert_zeroize_on_drop::<mrtdd::api::Document>();
    assert_zeroize_on_drop::<mrtdd::api::Cccd>();
    assert_zeroize_on_drop::<mrtdd::api::Portrait>();
    // Field types: the raw files and the portrait are Zeroizing buffers.
    fn files(d: &DocumentRead) -> &Vec<(FileId, Zeroizing<Vec<u8>>)> {
        &d.files
    }
    fn portrait(p: &Portrait) -> &Zeroizing<Vec<u8>> {
        &p.image
    }
    fn can(k: &AccessKey) -> Option<&Zeroizing<String>> {
        match k {
            AccessKey::Can(c) => Some(c),
            _ => None,
        }
    }
    let _ = (files, portrait, can);
    let key = AccessKey::Can(Zeroizing::new("012345".into()));
    assert_eq!(can(&key).map(|c| c.as_str()), Some("012345"));
    assert!(!format!("{key:?}").contains("012345"), "Debug output of a key is redacted");
}

// ---------------------------------------------------------------------------
// HOSTILE 35: two clients, two cards, quick succession

/// What a read of one simulated document must hold — and what no other read may.
struct Expected {
    reader: &'static str,
    document_number: String,
    surname: String,
    portrait: Vec<u8>,
    files: Vec<(&'static str, String)>,
    cccd_id: Option<String>,
    personal: BTreeSet<String>,
}

fn expected(doc: &Document, reader: &'static str) -> Expected {
    use mrtdd::protocol::lds::{dg1, dg2};
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mrz = dg1::parse(doc.file(0x0101).unwrap()).unwrap().mrz.clone();
    let portrait = dg2::parse(doc.file(0x0102).unwrap()).unwrap().unwrap().image.to_vec();
    let mut files = vec![("DG1", b64(doc.file(0x0101).unwrap())), ("DG2", b64(doc.file(0x0102).unwrap()))];
    for (name, fid) in [("DG11", 0x010B), ("DG12", 0x010C), ("DG13", 0x010D)] {
        if let Some(f) = doc.file(fid) {
            files.push((name, b64(f)));
        }
    }
    let cccd_id = doc.file(0x010D).map(|f| mrtdd::protocol::lds::dg13::parse(f).unwrap().id_number.clone().unwrap());
    Expected {
        reader,
        document_number: mrz.document_number.clone(),
        surname: mrz.surname.clone(),
        portrait,
        files,
        cccd_id,
        personal: personal_strings(doc),
    }
}

#[test]
fn two_clients_two_cards_in_quick_succession_never_see_each_other_s_data() {
    const ROUNDS: usize = 12;
    let d = Daemon::start(FILE, "hostile35", "");
    let docs = [
        expected(&Document::cccd_demo().unwrap(), CCCD_READER),
        expected(&Document::td3_specimen().unwrap(), PASSPORT_READER),
    ];
    // Strings of one document that the other does not hold.
    let only = |i: usize| -> Vec<String> { docs[i].personal.difference(&docs[1 - i].personal).cloned().collect() };
    let only_in = [only(0), only(1)];
    // Every event, captured to target/test-logs for the suite's scan.
    let mut subscriber = Subscriber::connect(&d.socket, FILE, "hostile35");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let clients: Vec<_> = (0..2)
        .map(|client| {
            let (socket, barrier) = (d.socket.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut out = Vec::new();
                let mut busy = 0;
                for round in 0..ROUNDS {
                    // Each round the two clients start together, on different cards, and swap cards.
                    let which = (client + round) % 2;
                    let body = if which == 0 { can_read() } else { passport_read() };
                    barrier.wait();
                    loop {
                        let (status, raw) = daemon::request(&socket, "POST", "/v1/read", body.to_string().as_bytes());
                        if status == 409 {
                            busy += 1;
                            std::thread::sleep(Duration::from_millis(5));
                            continue;
                        }
                        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&raw));
                        out.push((which, raw));
                        break;
                    }
                }
                (out, busy)
            })
        })
        .collect();
    let mut responses = Vec::new();
    let mut busy = 0;
    for c in clients {
        let (out, b) = c.join().unwrap();
        responses.extend(out);
        busy += b;
    }
    assert_eq!(responses.len(), 2 * ROUNDS);
    let mut read_ids = HashSet::new();
    let mut reader_of = std::collections::HashMap::new();
    for (which, raw) in &responses {
        let e = &docs[*which];
        let text = String::from_utf8(raw.clone()).unwrap();
        let r: mrtdd::api::ReadResponse = serde_json::from_str(&text).unwrap();
        assert!(read_ids.insert(r.read_id.clone()), "read ids are unique");
        reader_of.insert(r.read_id.clone(), r.reader.clone());
        assert_eq!(r.reader, e.reader);
        let doc = r.document.as_ref().unwrap();
        assert_eq!((&doc.document_number, &doc.surname), (&e.document_number, &e.surname));
        let portrait = base64::engine::general_purpose::STANDARD.decode(&r.portrait.as_ref().unwrap().data).unwrap();
        assert!(portrait == e.portrait, "{}: the portrait is its own document's", e.reader);
        for (name, b64) in &e.files {
            assert_eq!(r.files.get(*name), Some(b64), "{}: {name}", e.reader);
        }
        assert_eq!(r.cccd.as_ref().and_then(|c| c.id_number.clone()), e.cccd_id);
        assert_ne!(r.verification.status, "failed");
        // Nothing of the other document anywhere in the response.
        for s in &only_in[1 - *which] {
            assert!(!text.contains(s.as_str()), "{} response holds {s:?} of the other document", e.reader);
        }
    }
    // The events tell the same story: each read started on its own reader, and hold no personal data.
    let mut started = 0;
    while started < responses.len() {
        if let Event::ReadStarted { read_id, reader } = subscriber.next()
            && let Some(expected) = reader_of.get(&read_id)
        {
            assert_eq!(&reader, expected);
            started += 1;
        }
    }
    drop(subscriber);
    let events = std::fs::read_to_string(daemon::test_logs().join(format!("{FILE}-hostile35.events"))).unwrap();
    assert_no_pii("the event stream", &events);
    let log = d.stop();
    assert_no_pii("the log", &log);
    println!("HOSTILE 35: {} reads by 2 clients on 2 cards ({busy} busy retries), no cross-read data", responses.len());
}
