//! An incremental parser for `text/event-stream` (the WHATWG HTML Living
//! Standard, §9.2 "Server-sent events", "Parsing an event stream" and
//! "Interpreting an event stream"), as served by `GET /v1/events`.
//!
//! Grammar (ABNF of the standard, simplified):
//! ```text
//! stream  = [ bom ] *event *( comment / field ) *eol
//! event   = *( comment / field ) eol
//! comment = ":" *any-char eol
//! field   = name [ ":" [ " " ] *any-char ] eol
//! eol     = ( CR LF / LF / CR )
//! ```
//! The fields this parser keeps are `event` (the type; `message` when absent or empty) and
//! `data` (several `data` lines are joined with `\n`); `id` and `retry` are
//! accepted and ignored (the daemon does not replay). A blank line dispatches
//! the event; an event with no `data` line is dropped, as the standard says.
//!
//! Hand-written rather than taken from a crate: it is small, and every buffer
//! here is bounded by [`MAX_LINE_BYTES`] / [`MAX_EVENT_BYTES`] so a broken or
//! hostile peer cannot make the client buffer without limit; the parser also
//! copes with chunk boundaries anywhere (inside a line, between `CR` and `LF`,
//! inside a UTF-8 sequence).

use std::fmt;

/// Longest line kept (bytes, without its end of line).
pub const MAX_LINE_BYTES: usize = 256 * 1024;

/// Largest event kept (bytes of its `data`, lines joined).
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// One dispatched event: its type and its data.
#[derive(Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field (`message` when the stream gave none).
    pub event: String,
    /// The `data:` lines joined by `\n`.
    pub data: String,
}

impl fmt::Debug for SseEvent {
    // Events of mrtdd never carry personal data, but an arbitrary peer's might.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SseEvent({}, {} bytes)", self.event, self.data.len())
    }
}

/// The stream broke a limit of this parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// A line longer than [`MAX_LINE_BYTES`].
    #[error("event stream line longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong,
    /// An event larger than [`MAX_EVENT_BYTES`].
    #[error("event larger than {MAX_EVENT_BYTES} bytes")]
    EventTooLarge,
}

/// The incremental parser: feed it chunks as they come, take events out.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of the current, unfinished line.
    line: Vec<u8>,
    /// The previous chunk ended with `CR`: a `LF` first in the next chunk belongs to it.
    after_cr: bool,
    /// Nothing seen yet: a leading byte order mark is dropped.
    at_start: bool,
    /// The `event` field of the event being built.
    event: Option<String>,
    /// The `data` lines of the event being built, joined by `\n`.
    data: String,
    /// At least one `data` line was seen for the event being built.
    has_data: bool,
    /// The parser hit a limit: it stays failed.
    failed: Option<SseError>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self { at_start: true, ..Self::default() }
    }

    /// Feeds one chunk and returns the events it completed, in order.
    ///
    /// Once a limit is broken every later call returns the same error.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let mut out = Vec::new();
        let mut rest = chunk;
        if self.after_cr {
            if let Some(tail) = rest.strip_prefix(b"\n") {
                rest = tail;
            }
            if !chunk.is_empty() {
                self.after_cr = false;
            }
        }
        while let Some(pos) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            let (head, tail) = rest.split_at(pos);
            let (eol, after) = tail.split_first().unwrap_or((&b'\n', &[]));
            rest = after;
            if *eol == b'\r' {
                match rest.strip_prefix(b"\n") {
                    Some(after_lf) => rest = after_lf,
                    None if rest.is_empty() => self.after_cr = true,
                    None => {}
                }
            }
            if let Err(e) = self.extend_line(head).and_then(|()| self.end_line(&mut out)) {
                self.failed = Some(e);
                return Err(e);
            }
        }
        if let Err(e) = self.extend_line(rest) {
            self.failed = Some(e);
            return Err(e);
        }
        Ok(out)
    }

    fn extend_line(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if self.line.len().saturating_add(bytes.len()) > MAX_LINE_BYTES {
            return Err(SseError::LineTooLong);
        }
        self.line.extend_from_slice(bytes);
        if self.at_start && (self.line.len() >= BOM.len() || !BOM.starts_with(&self.line)) {
            self.at_start = false;
            if self.line.starts_with(BOM) {
                self.line.drain(..BOM.len());
            }
        }
        Ok(())
    }

    /// Interprets the finished line in `self.line`.
    fn end_line(&mut self, out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        // An end of line ends a (possibly partial) byte order mark too.
        self.at_start = false;
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            // Dispatch.
            let event = self.event.take();
            let data = std::mem::take(&mut self.data);
            if std::mem::take(&mut self.has_data) {
                let event = event.filter(|e| !e.is_empty()).unwrap_or_else(|| "message".into());
                out.push(SseEvent { event, data });
            }
            return Ok(());
        }
        if line.first() == Some(&b':') {
            return Ok(()); // comment (keep-alive)
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let (name, rest) = line.split_at(colon);
                let value = rest.get(1..).unwrap_or_default();
                (name, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line.as_slice(), &[][..]),
        };
        let value = String::from_utf8_lossy(value);
        match name {
            b"event" => self.event = Some(value.into_owned()),
            b"data" => {
                let extra = usize::from(self.has_data);
                if self.data.len().saturating_add(value.len()).saturating_add(extra) > MAX_EVENT_BYTES {
                    return Err(SseError::EventTooLarge);
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            _ => {} // id, retry and unknown fields: ignored
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent { event: event.into(), data: data.into() }
    }

    fn parse_in_chunks(input: &[u8], size: usize) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for chunk in input.chunks(size) {
            out.extend(p.push(chunk).unwrap());
        }
        out
    }

    pub(super) const STREAM: &[u8] = b"\xEF\xBB\xBF: keep-alive\n\
        event: read_started\n\
        data: {\"read_id\":\"r1\",\"reader\":\"R\"}\n\
        \n\
        event:read_progress\r\n\
        id: 7\r\n\
        data:{\"read_id\":\"r1\",\r\n\
        data:  \"file\":\"DG2\"}\r\n\
        \r\n\
        : comment between events\r\r\
        data: plain\r\
        \r\
        event: no_data\n\
        \n\
        event: tail\n\
        data: x\n";

    fn expected() -> Vec<SseEvent> {
        vec![
            ev("read_started", r#"{"read_id":"r1","reader":"R"}"#),
            ev("read_progress", "{\"read_id\":\"r1\",\n \"file\":\"DG2\"}"),
            ev("message", "plain"),
        ]
    }

    #[test]
    fn parses_fields_comments_multiline_data_and_every_line_ending() {
        assert_eq!(parse_in_chunks(STREAM, STREAM.len()), expected());
    }

    #[test]
    fn any_chunking_gives_the_same_events() {
        for size in 1..=STREAM.len() {
            assert_eq!(parse_in_chunks(STREAM, size), expected(), "chunk size {size}");
        }
    }

    #[test]
    fn unfinished_event_waits_for_its_blank_line() {
        let mut p = SseParser::new();
        assert!(p.push(b"event: a\ndata: 1\n").unwrap().is_empty());
        assert_eq!(p.push(b"\n").unwrap(), vec![ev("a", "1")]);
        // CR then LF in separate chunks is one line end, not a blank line.
        assert!(p.push(b"event: b\r").unwrap().is_empty());
        assert!(p.push(b"\ndata: 2\r").unwrap().is_empty());
        assert!(p.push(b"").unwrap().is_empty());
        assert_eq!(p.push(b"\n\r\n").unwrap(), vec![ev("b", "2")]);
    }

    #[test]
    fn utf8_split_across_chunks_is_kept() {
        let text = "data: Nguyễn\n\n".as_bytes();
        for size in 1..text.len() {
            assert_eq!(parse_in_chunks(text, size), vec![ev("message", "Nguyễn")]);
        }
    }

    #[test]
    fn field_without_colon_and_empty_data() {
        let out = parse_in_chunks(b"data\n\nevent\ndata:\n\n", 64);
        assert_eq!(out, vec![ev("message", ""), ev("message", "")]);
    }

    #[test]
    fn limits_are_enforced_and_sticky() {
        let mut p = SseParser::new();
        let long = vec![b'a'; MAX_LINE_BYTES + 1];
        assert_eq!(p.push(&long), Err(SseError::LineTooLong));
        assert_eq!(p.push(b"\n\n"), Err(SseError::LineTooLong));

        let mut p = SseParser::new();
        let line = format!("data: {}\n", "b".repeat(MAX_LINE_BYTES - 10));
        let mut result = Ok(Vec::new());
        for _ in 0..(MAX_EVENT_BYTES / MAX_LINE_BYTES + 1) {
            result = p.push(line.as_bytes());
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(SseError::EventTooLarge));
    }

    #[test]
    fn fuzz_seeds_are_well_labelled() {
        for (name, bytes) in super::fuzz_seeds::fuzz_seeds() {
            let dispatched = !SseParser::new().push(&bytes[1..]).unwrap().is_empty();
            assert_eq!(dispatched, name.starts_with("valid-"), "{name}");
        }
    }

    #[test]
    fn debug_does_not_print_data() {
        assert_eq!(format!("{:?}", ev("x", "secret")), "SseEvent(x, 6 bytes)");
    }
}

/// Fuzz seeds, in a module of their own so the seed writer can reach them.
#[cfg(test)]
pub(crate) mod fuzz_seeds {
    use super::tests::STREAM;

    /// Seeds of the `sse` fuzz target (`fuzz/harness.rs`): byte 0 picks a
    /// chunk size, the rest is the stream. `valid-*` dispatch an event.
    /// Written by `protocol::verify`'s `write_fuzz_seeds`.
    pub(crate) fn fuzz_seeds() -> Vec<(&'static str, Vec<u8>)> {
        let seed = |k: u8, stream: &[u8]| [&[k][..], stream].concat();
        vec![
            ("valid-every-line-ending", seed(7, STREAM)),
            ("valid-daemon-events", seed(3, b": keep-alive\n\nevent: reader_added\ndata: {\"reader\":\"ACS ACR1252 1S CL Reader PICC 0\"}\n\nevent: card_inserted\ndata: {}\n\n")),
            ("valid-utf8-split", seed(2, "data: Nguyễn\n\n".as_bytes())),
            ("valid-field-without-colon", seed(0, b"data\n\nevent\ndata:\n\n")),
            ("valid-bom-then-crlf", seed(1, b"\xEF\xBB\xBFdata: a\r\n\r\n")),
            ("invalid-second-bom-is-part-of-the-field-name", seed(1, b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n")),
            ("valid-cr-only", seed(4, b"event: x\rdata: 1\rdata: 2\r\r")),
            ("valid-invalid-utf8", seed(5, b"event: \xFF\xFE\ndata: \xC3\x28\n\n")),
            ("invalid-no-blank-line", seed(6, b"event: tail\ndata: x\n")),
            ("invalid-no-data", seed(6, b"event: no_data\nid: 7\nretry: 10\n\n")),
            ("invalid-partial-bom", seed(1, b"\xEF\xBB\n\n")),
            ("invalid-empty", seed(0, b"")),
        ]
    }
}
