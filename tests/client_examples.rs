//! The client examples in `examples/` run against the real daemon
//! (`mrtdd --simulate` on a temporary socket): `curl.sh`, `read.py` (Python 3
//! standard library) and `read.mjs` (Node.js, no dependencies) must read the
//! demo CCCD with its CAN and print their summary. A language whose
//! interpreter is missing is skipped with a message on stderr.
#![cfg(feature = "software-chip")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

#[path = "support/http.rs"]
mod http;

use http::{Spawned as Daemon, test_log};

const CCCD_READER: &str = "mrtdd Simulated Reader (demo CCCD) 00 00";
const DEMO_CAN: &str = "012345";
const DEMO_NAME: &str = "Nguyễn Văn An";
const PYTHON: &str = "/usr/bin/python3";

impl Daemon {
    /// The daemon, stopped with SIGTERM on drop; its stderr goes to a log file.
    fn start(tag: &str) -> Self {
        let mut d = Self::spawn("examples", tag, "simulate = true\n", test_log(&format!("client_examples-{tag}.log")));
        d.terminate_on_drop = true;
        d
    }
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

/// Whether `program --version` runs; if not, say so on stderr.
fn available(program: &str, language: &str) -> bool {
    let ok = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("skipping the {language} example: `{program}` is not installed");
    }
    ok
}

/// Runs a command to its end (with a time limit) and returns its output.
fn run(command: &mut Command) -> Output {
    let child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-KILL").arg(id.to_string()).status();
            panic!("{command:?} did not finish within 60 s");
        }
    }
}

fn stdout_of(output: &Output) -> String {
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    assert!(
        output.status.success(),
        "exit {}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The summary lines every example prints after the demo CCCD's CAN read.
fn assert_summary(stdout: &str) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.contains(&format!("reader={CCCD_READER}").as_str()), "{stdout}");
    assert!(lines.contains(&"access=pace/can"), "{stdout}");
    assert_eq!(lines.last().copied(), Some(format!("status=passed name={DEMO_NAME}").as_str()), "{stdout}");
    // Only the name leaves the examples: not the address, the ethnicity or the portrait.
    for personal in ["Hàng Bông", "Kinh", "/9j/"] {
        assert!(!stdout.contains(personal), "{personal:?} printed:\n{stdout}");
    }
}

/// The detailed checks line of read.py and read.mjs.
const CHECKS: &str = "checks=sod_signature:valid certificate_chain:trusted chip_authentication:passed \
                      active_authentication:passed DG1:valid DG13:valid DG14:valid DG15:valid DG2:valid";

/// The event lines of read.py and read.mjs with --events.
fn assert_events(tag: &str, stdout: &str) {
    let events: Vec<&str> = stdout.lines().filter(|l| l.starts_with("event=")).collect();
    // The event lines (not the read's result, which holds the document by design) for the personal-data scan.
    std::fs::write(test_log(&format!("client_examples-{tag}.events")), events.join("\n")).unwrap();
    assert_eq!(events.first().copied(), Some("event=read_started"), "{stdout}");
    assert_eq!(events.last().copied(), Some("event=read_finished passed"), "{stdout}");
    for file in ["EF.COM", "EF.SOD", "DG1", "DG2", "DG13"] {
        assert!(
            events.iter().any(|l| l.starts_with(&format!("event=read_progress file={file} bytes="))),
            "no progress for {file}:\n{stdout}"
        );
    }
}

#[test]
fn curl_example_reads_the_demo_card() {
    if !available("curl", "curl") || !available("bash", "curl") {
        return;
    }
    let daemon = Daemon::start("curl");
    let out = stdout_of(&run(Command::new("bash").arg(example("curl.sh")).arg(&daemon.socket)));
    assert!(out.contains("== GET /v1/health\n{\"status\":\"ok\""), "{out}");
    assert!(out.contains("\"simulated\":true"), "{out}");
    assert!(out.contains(&format!("\"name\":\"{CCCD_READER}\"")), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("verification={\"status\":\"passed\"")
            && l.contains("\"certificate_chain\":\"trusted\"")
            && l.contains("\"DG13\":\"valid\"")),
        "{out}"
    );
    assert_summary(&out);

    // A wrong CAN: exit status 1 and the error code on stderr.
    let wrong = run(Command::new("bash").arg(example("curl.sh")).arg(&daemon.socket).arg("999999"));
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("\"code\":\"wrong_key\""));
}

#[test]
fn python_example_reads_the_demo_card() {
    if !available(PYTHON, "Python") {
        return;
    }
    let daemon = Daemon::start("python");
    let script = example("read.py");
    let out = stdout_of(&run(Command::new(PYTHON)
        .arg(&script)
        .arg("--socket")
        .arg(&daemon.socket)
        .args(["--can", DEMO_CAN])));
    assert_summary(&out);
    assert!(out.lines().any(|l| l == CHECKS), "{out}");
    assert!(!out.contains("event="), "{out}");

    let out = stdout_of(&run(Command::new(PYTHON)
        .arg(&script)
        .arg("--socket")
        .arg(&daemon.socket)
        .args(["--can", DEMO_CAN, "--events"])));
    assert_summary(&out);
    assert_events("python", &out);

    // The QR text of the demo card opens it too (PACE with the CAN taken from the ID).
    let out = stdout_of(&run(Command::new(PYTHON)
        .arg(&script)
        .arg("--socket")
        .arg(&daemon.socket)
        .args(["--qr", "001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021"])));
    assert!(out.ends_with(&format!("status=passed name={DEMO_NAME}\n")), "{out}");

    let wrong = run(Command::new(PYTHON).arg(&script).arg("--socket").arg(&daemon.socket).args(["--can", "999999"]));
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).starts_with("error=wrong_key http=422"));
}

#[test]
fn node_example_reads_the_demo_card() {
    if !available("node", "Node.js") {
        return;
    }
    let daemon = Daemon::start("node");
    let script = example("read.mjs");
    let out = stdout_of(&run(Command::new("node")
        .arg(&script)
        .arg("--socket")
        .arg(&daemon.socket)
        .args(["--can", DEMO_CAN])));
    assert_summary(&out);
    assert!(out.lines().any(|l| l == CHECKS), "{out}");

    let out = stdout_of(&run(Command::new("node")
        .arg(&script)
        .arg("--socket")
        .arg(&daemon.socket)
        .args(["--can", DEMO_CAN, "--events"])));
    assert_summary(&out);
    assert_events("node", &out);

    // The MRZ as printed (BAC with the MRZ key under the key policy).
    let mrz = "IDVNM0950123455001095012345<<6\n9503124M3503122VNM<<<<<<<<<<<0\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";
    let out = stdout_of(&run(Command::new("node").arg(&script).arg("--socket").arg(&daemon.socket).args([
        "--reader",
        CCCD_READER,
        "--mrz",
        mrz,
    ])));
    assert!(out.contains("access=pace/mrz\n") || out.contains("access=bac/mrz\n"), "{out}");
    assert!(out.ends_with(&format!("status=passed name={DEMO_NAME}\n")), "{out}");

    let wrong = run(Command::new("node").arg(&script).arg("--socket").arg(&daemon.socket).args(["--can", "999999"]));
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).starts_with("error=wrong_key http=422"));
}
