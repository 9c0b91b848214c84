//! pcscd and vpcd as the end-to-end tests and benches/pcscd.rs see them:
//! whether vpcd's ports listen, whether a PID is a live pcscd, and the pcscd
//! handed over by scripts/test.sh (`MRTDD_PCSCD_PIDFILE`, `MRTDD_PCSCD_BIN`,
//! `MRTDD_PCSCD_LOG`) started again with its PID written to that file.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// pcscd's socket and PID file (compiled into Debian's pcscd).
pub const PCSCD_SOCKET: &str = "/run/pcscd/pcscd.comm";
pub const PCSCD_PIDFILE: &str = "/run/pcscd/pcscd.pid";
/// vpcd's card-side ports as in /proc/net/tcp (35963, 35964).
pub const VPCD_PORTS_HEX: [&str; 2] = ["8C7B", "8C7C"];

/// The pcscd a test started (so the next stop can reap it).
pub static OUR_PCSCD: Mutex<Option<Child>> = Mutex::new(None);

/// True while `pid` is a pcscd that has not exited (zombies count as gone).
pub fn alive(pid: u32) -> bool {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit_once(") ").and_then(|(_, rest)| rest.split(' ').next());
    comm.trim() == "pcscd" && state.is_some_and(|s| s != "Z")
}

/// A TCP port (upper-case hex) in LISTEN state.
pub fn listening(port_hex: &str) -> bool {
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|f| {
        std::fs::read_to_string(f).unwrap_or_default().lines().any(|line| {
            let mut cols = line.split_whitespace();
            let local = cols.nth(1).unwrap_or_default();
            let state = cols.nth(1).unwrap_or_default();
            local.ends_with(&format!(":{port_hex}")) && state == "0A"
        })
    })
}

/// Both vpcd card-side ports listen.
pub fn vpcd_listening() -> bool {
    VPCD_PORTS_HEX.iter().all(|port| listening(port))
}

/// The pcscd handed to the tests by scripts/test.sh.
pub struct Pcscd {
    pub pidfile: PathBuf,
    pub bin: PathBuf,
    pub log: Option<PathBuf>,
}

impl Pcscd {
    /// From the environment; `None` (after saying why `test` skips) without a PID file.
    pub fn from_env(test: &str) -> Option<Self> {
        let Some(pidfile) = std::env::var_os("MRTDD_PCSCD_PIDFILE").map(PathBuf::from) else {
            let _ =
                writeln!(std::io::stderr(), "skipping {test}: MRTDD_PCSCD_PIDFILE is not set (run scripts/test.sh)");
            return None;
        };
        let bin = std::env::var_os("MRTDD_PCSCD_BIN").map_or_else(|| PathBuf::from("/usr/sbin/pcscd"), PathBuf::from);
        let log = std::env::var_os("MRTDD_PCSCD_LOG").map(PathBuf::from);
        Some(Self { pidfile, bin, log })
    }

    /// Spawns `pcscd --foreground` (with `--config DIR` if given; output
    /// appended to the log), writes its PID to the PID file and keeps the
    /// child in [`OUR_PCSCD`]; returns the PID. Does not wait for it.
    pub fn spawn(&self, config: Option<&Path>) -> Result<u32, String> {
        let output = || match &self.log {
            Some(path) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
            None => Stdio::null(),
        };
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--foreground");
        if let Some(dir) = config {
            cmd.arg("--config").arg(dir);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(output())
            .stderr(output())
            .spawn()
            .map_err(|e| format!("{}: {e}", self.bin.display()))?;
        let pid = child.id();
        let tmp = self.pidfile.with_extension("pid.tmp");
        std::fs::write(&tmp, format!("{pid}\n")).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &self.pidfile).map_err(|e| format!("{}: {e}", self.pidfile.display()))?;
        *OUR_PCSCD.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
        Ok(pid)
    }

    /// [`spawn`](Self::spawn) with the default configuration, then waits (at
    /// most `timeout`) until vpcd's ports listen.
    pub fn start_vpcd(&self, timeout: Duration) -> Result<(), String> {
        let pid = self.spawn(None)?;
        let started = Instant::now();
        while !vpcd_listening() {
            if !alive(pid) {
                return Err(format!("the pcscd we started ({pid}) exited"));
            }
            if started.elapsed() > timeout {
                return Err(format!("vpcd is not listening after {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Stops the pcscd `pid` (named by the PID file) with SIGTERM, reaping it
    /// if it is ours, and waits (at most `timeout`) until it is gone and its
    /// socket removed.
    pub fn terminate(&self, pid: u32, timeout: Duration) {
        assert!(alive(pid), "PID {pid} from {} is not a running pcscd", self.pidfile.display());
        let ours = OUR_PCSCD.lock().unwrap_or_else(|p| p.into_inner()).take();
        match ours {
            Some(mut child) if child.id() == pid => {
                let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
                let _ = child.wait();
            }
            other => {
                drop(other);
                let status = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
                assert!(status.is_ok_and(|s| s.success()), "kill {pid}");
            }
        }
        let started = Instant::now();
        while alive(pid) || Path::new(PCSCD_SOCKET).exists() {
            assert!(started.elapsed() < timeout, "pcscd {pid} did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
