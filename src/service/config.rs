//! The daemon's configuration: a TOML file (default `/etc/mrtdd/mrtdd.toml`,
//! `--config PATH`), every key documented and defaulted here and in
//! `docs/configuration.md`; command-line flags override it. Unknown keys and
//! bad values are start-up errors that name the key.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The default configuration file.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/mrtdd/mrtdd.toml";
/// The default socket path (API.md).
pub const DEFAULT_SOCKET: &str = "/run/mrtdd/mrtdd.sock";
/// Largest configuration file read.
pub const MAX_CONFIG_SIZE: u64 = 64 * 1024;
/// Longest `socket_group` name (Linux's own limit is 32 characters).
pub const MAX_GROUP_NAME: usize = 256;
/// Largest `simulate_apdu_delay_ms`.
pub const MAX_SIMULATE_APDU_DELAY_MS: u64 = 10_000;

/// The `extended_length` key ([`crate::protocol::extended_length`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExtendedLengthSetting {
    /// Detect per card.
    #[default]
    Auto,
    /// Always.
    On,
    /// Never.
    Off,
}

impl<'de> Deserialize<'de> for ExtendedLengthSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Flag(true) => Ok(Self::On),
            Raw::Flag(false) => Ok(Self::Off),
            Raw::Word(w) => match w.as_str() {
                "auto" => Ok(Self::Auto),
                "on" => Ok(Self::On),
                "off" => Ok(Self::Off),
                _ => Err(serde::de::Error::custom("expected \"auto\", \"on\", \"off\", true or false")),
            },
        }
    }
}

/// Everything configurable. Field docs are the reference for each key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `socket`: path of the Unix socket (ignored under systemd socket activation).
    pub socket: PathBuf,
    /// `socket_mode`: permission bits of the socket file (octal in TOML, `0o660`).
    pub socket_mode: u32,
    /// `socket_group`: group of the socket file (a name or a numeric gid); unset: the daemon's own group.
    pub socket_group: Option<String>,
    /// `allowed_uids`: if not empty, only these user ids may connect (checked with SO_PEERCRED), besides `allowed_gids`.
    pub allowed_uids: Vec<u32>,
    /// `allowed_gids`: if not empty, processes whose primary group is one of these may connect.
    pub allowed_gids: Vec<u32>,
    /// `max_connections`: concurrent client connections; more wait to be accepted.
    pub max_connections: usize,
    /// `max_request_bytes`: largest request body accepted (413 above).
    pub max_request_bytes: usize,
    /// `read_timeout_ms`: deadline of one read, from the card being found to the response.
    pub read_timeout_ms: u64,
    /// `max_wait_for_card_ms`: upper bound on a request's `wait_for_card_ms`.
    pub max_wait_for_card_ms: u64,
    /// `shutdown_grace_ms`: on SIGTERM, how long in-flight reads may take before they are cancelled.
    pub shutdown_grace_ms: u64,
    /// `trust_store`: directory of CSCA certificates, master lists and CRLs.
    pub trust_store: Option<PathBuf>,
    /// `strict_pki`: treat certificate profile defects (missing AKI or keyUsage,
    /// issuing-state mismatch) as failures instead of warnings.
    pub strict_pki: bool,
    /// `simulate`: serve the built-in software reader instead of PC/SC readers.
    pub simulate: bool,
    /// `log_level`: `error`, `warn`, `info`, `debug` or `trace` (or a tracing filter).
    pub log_level: String,
    /// `extended_length`: `"auto"` (default: detected per card from the reader's
    /// largest APDU, the ATR and EF.ATR/INFO, remembered per reader and ATR),
    /// `"on"` (always) or `"off"` (short APDUs only); `true`/`false` mean on/off.
    pub extended_length: ExtendedLengthSetting,
    /// `max_file_size`: largest file read from a chip, in bytes.
    pub max_file_size: usize,
    /// `simulate_apdu_delay_ms`: with `simulate`, how long the software reader
    /// takes for each APDU (to try progress bars and timeouts; 0: as fast as it can).
    pub simulate_apdu_delay_ms: u64,
    /// `[tcp]`: the optional loopback TCP listener for browser-based kiosks.
    pub tcp: TcpConfig,
}

/// `[tcp]`: the loopback listener (off by default).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TcpConfig {
    /// `tcp.enabled`.
    pub enabled: bool,
    /// `tcp.address`: a loopback address and port (other addresses are refused).
    pub address: String,
    /// `tcp.token_file`: file holding the bearer token clients must send (`Authorization: Bearer ...`).
    pub token_file: Option<PathBuf>,
    /// `tcp.allowed_origins`: `Origin` values allowed (browsers send one; requests without an Origin are allowed).
    pub allowed_origins: Vec<String>,
}

impl Default for TcpConfig {
    fn default() -> Self {
        Self { enabled: false, address: "127.0.0.1:8765".into(), token_file: None, allowed_origins: Vec::new() }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            socket: PathBuf::from(DEFAULT_SOCKET),
            socket_mode: 0o660,
            socket_group: None,
            allowed_uids: Vec::new(),
            allowed_gids: Vec::new(),
            max_connections: 64,
            max_request_bytes: 16 * 1024,
            read_timeout_ms: 30_000,
            max_wait_for_card_ms: 300_000,
            shutdown_grace_ms: 5_000,
            trust_store: None,
            strict_pki: false,
            simulate: false,
            log_level: "info".into(),
            extended_length: ExtendedLengthSetting::Auto,
            max_file_size: crate::protocol::read::DEFAULT_MAX_FILE_SIZE,
            simulate_apdu_delay_ms: 0,
            tcp: TcpConfig::default(),
        }
    }
}

/// A configuration that cannot be used, naming the key or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The file is not valid TOML for this schema (the message names the key).
    #[error("configuration file {path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, naming the key and line.
        reason: String,
    },
    /// A value is out of range.
    #[error("configuration key `{key}`: {reason}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// Why.
        reason: &'static str,
    },
}

impl Config {
    /// Loads `path`; with `required == false` a missing file gives the defaults.
    pub fn load(path: &Path, required: bool) -> Result<Self, ConfigError> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Self::default()),
            Err(e) => return Err(ConfigError::Read { path: path.into(), reason: e.to_string() }),
        };
        if meta.len() > MAX_CONFIG_SIZE {
            return Err(ConfigError::Read { path: path.into(), reason: "larger than 64 KiB".into() });
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Read { path: path.into(), reason: e.to_string() })?;
        Self::parse(&text).map_err(|e| match e {
            ConfigError::Parse { reason, .. } => ConfigError::Parse { path: path.into(), reason },
            other => other,
        })
    }

    /// Parses configuration text and validates it.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let config: Config =
            toml::from_str(text).map_err(|e| ConfigError::Parse { path: PathBuf::new(), reason: e.to_string() })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks ranges and combinations.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason| Err(ConfigError::Invalid { key, reason });
        if self.socket.as_os_str().is_empty() {
            return invalid("socket", "must not be empty");
        }
        if self.socket_mode > 0o777 {
            return invalid("socket_mode", "must be permission bits (0o000–0o777)");
        }
        if self.socket_group.as_deref().is_some_and(|g| g.is_empty() || g.len() > MAX_GROUP_NAME) {
            return invalid("socket_group", "must be a group name or a numeric gid");
        }
        if self.simulate_apdu_delay_ms > MAX_SIMULATE_APDU_DELAY_MS {
            return invalid("simulate_apdu_delay_ms", "must be at most 10000");
        }
        if self.max_connections == 0 || self.max_connections > 4096 {
            return invalid("max_connections", "must be 1–4096");
        }
        if !(1024..=1024 * 1024).contains(&self.max_request_bytes) {
            return invalid("max_request_bytes", "must be 1 KiB–1 MiB");
        }
        if !(1_000..=600_000).contains(&self.read_timeout_ms) {
            return invalid("read_timeout_ms", "must be 1000–600000");
        }
        if self.max_wait_for_card_ms > 3_600_000 {
            return invalid("max_wait_for_card_ms", "must be at most 3600000");
        }
        if self.shutdown_grace_ms > 60_000 {
            return invalid("shutdown_grace_ms", "must be at most 60000");
        }
        if !(1024..=crate::protocol::read::MAX_FILE_SIZE_LIMIT).contains(&self.max_file_size) {
            return invalid("max_file_size", "must be 1 KiB–16 MiB");
        }
        if self.tcp.enabled {
            let Ok(addr) = self.tcp.address.parse::<std::net::SocketAddr>() else {
                return invalid("tcp.address", "must be an IP address and port");
            };
            if !addr.ip().is_loopback() {
                return invalid("tcp.address", "must be a loopback address (127.0.0.0/8 or ::1)");
            }
            if self.tcp.token_file.is_none() {
                return invalid("tcp.token_file", "is required when tcp.enabled is true");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let c = Config::parse("").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.socket, PathBuf::from("/run/mrtdd/mrtdd.sock"));
        let c = Config::parse("socket = \"/tmp/x.sock\"\nsocket_mode = 0o600\nallowed_uids = [1000]\n[tcp]\nallowed_origins = [\"http://localhost\"]\n").unwrap();
        assert_eq!((c.socket_mode, c.allowed_uids.as_slice()), (0o600, &[1000u32][..]));
    }

    #[test]
    fn errors_name_the_key() {
        let e = Config::parse("read_timeout = 5").unwrap_err().to_string();
        assert!(e.contains("read_timeout"), "{e}");
        let e = Config::parse("read_timeout_ms = \"soon\"").unwrap_err().to_string();
        assert!(e.contains("read_timeout_ms"), "{e}");
        let e = Config::parse("read_timeout_ms = 5").unwrap_err().to_string();
        assert!(e.contains("`read_timeout_ms`"), "{e}");
        let e = Config::parse("[tcp]\nenabled = true\naddress = \"0.0.0.0:80\"\ntoken_file = \"/x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("tcp.address"), "{e}");
        let e = Config::parse("[tcp]\nenabled = true").unwrap_err().to_string();
        assert!(e.contains("tcp.token_file"), "{e}");
        let e = Config::parse("socket_group = \"\"").unwrap_err().to_string();
        assert!(e.contains("`socket_group`"), "{e}");
        let e = Config::parse("simulate_apdu_delay_ms = 10001").unwrap_err().to_string();
        assert!(e.contains("`simulate_apdu_delay_ms`"), "{e}");
        let c = Config::parse("socket_group = \"nogroup\"\nsimulate_apdu_delay_ms = 20").unwrap();
        assert_eq!((c.socket_group.as_deref(), c.simulate_apdu_delay_ms), (Some("nogroup"), 20));
    }

    #[test]
    fn extended_length_words_and_flags() {
        let setting = |v: &str| Config::parse(&format!("extended_length = {v}")).map(|c| c.extended_length);
        assert_eq!(Config::default().extended_length, ExtendedLengthSetting::Auto);
        assert_eq!(setting("\"auto\"").unwrap(), ExtendedLengthSetting::Auto);
        assert_eq!(setting("\"on\"").unwrap(), ExtendedLengthSetting::On);
        assert_eq!(setting("true").unwrap(), ExtendedLengthSetting::On);
        assert_eq!(setting("\"off\"").unwrap(), ExtendedLengthSetting::Off);
        assert_eq!(setting("false").unwrap(), ExtendedLengthSetting::Off);
        let e = setting("\"sometimes\"").unwrap_err().to_string();
        assert!(e.contains("extended_length"), "{e}");
    }

    #[test]
    fn the_example_file_parses() {
        let text = include_str!("../../docs/mrtdd.toml.example");
        let c = Config::parse(text).unwrap();
        assert_eq!(c, Config::default(), "the example documents the defaults");
    }
}
