//! Human-readable renderings of the API's answers and events (what `mrtdctl`
//! prints without `--json`).
//!
//! Every text that comes from the daemon, a reader or a chip goes through
//! [`clean`] first: a hostile chip or reader name must not be able to drive
//! the terminal with escape sequences. Absent fields print as `-`.

use super::sse::SseEvent;
use crate::api::{Cccd, Document, Event, Health, ReadResponse, Readers, Verification};
use std::fmt::Write as _;

/// `s` with every control character (C0, DEL, C1: terminal escapes, newlines)
/// replaced by `U+FFFD`, safe to print on a terminal.
pub fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect()
}

/// Sort key of a file or data group name: EF.* first, then DG1..DG16 by number, then the rest.
fn file_order(name: &str) -> (u8, u32, String) {
    match name.strip_prefix("DG").and_then(|n| n.parse::<u32>().ok()) {
        Some(n) => (1, n, String::new()),
        None if name.starts_with("EF.") => (0, 0, name.to_string()),
        None => (2, 0, name.to_string()),
    }
}

/// The entries of a map in [`file_order`].
fn by_file(map: &std::collections::BTreeMap<String, String>) -> Vec<(&String, &String)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by_cached_key(|(name, _)| file_order(name));
    entries
}

/// `-` for an absent or empty value, else the cleaned value.
fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => clean(v),
        _ => "-".into(),
    }
}

/// The decoded length of standard base64 text (without decoding it).
pub fn base64_len(text: &str) -> usize {
    let digits = text.bytes().filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/').count();
    digits / 4 * 3 + (digits % 4).saturating_sub(1)
}

/// `GET /v1/health`, one line.
pub fn health(h: &Health) -> String {
    let mut out = format!(
        "mrtdd {}: {}; pcsc: {}; readers: {}; trust anchors: {}",
        clean(&h.version),
        clean(&h.status),
        clean(&h.pcsc),
        h.readers,
        h.trust_anchors
    );
    if h.simulated {
        out.push_str("; simulated reader");
    }
    if let Some(socket) = h.socket.as_deref().filter(|s| *s != "ok") {
        out.push_str(&format!("; socket: {}", clean(socket)));
    }
    out.push('\n');
    out
}

/// `GET /v1/readers` as a table: name, card, busy, ATR.
pub fn readers(r: &Readers) -> String {
    if r.readers.is_empty() {
        return "no reader attached\n".into();
    }
    let rows: Vec<[String; 4]> = r
        .readers
        .iter()
        .map(|reader| {
            [
                clean(&reader.name),
                if reader.card_present { "yes" } else { "no" }.into(),
                if reader.busy { "yes" } else { "no" }.into(),
                or_dash(reader.atr.as_deref()),
            ]
        })
        .collect();
    let header = ["NAME", "CARD", "BUSY", "ATR"];
    let width = |i: usize| {
        rows.iter()
            .filter_map(|row| row.get(i))
            .map(|c| c.chars().count())
            .chain(header.get(i).map(|h| h.len()))
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    let mut out = String::new();
    let mut line = |cells: [&str; 4]| {
        let [name, card, busy, atr] = cells;
        let [w0, w1, w2] = widths;
        let _ = writeln!(out, "{name:<w0$}  {card:<w1$}  {busy:<w2$}  {atr}");
    };
    line(header);
    for [name, card, busy, atr] in &rows {
        line([name, card, busy, atr]);
    }
    out
}

/// Appends `  label: value` lines, labels aligned.
fn fields(out: &mut String, rows: &[(&str, String)]) {
    let w = rows.iter().map(|(label, _)| label.chars().count()).max().unwrap_or(0) + 1;
    for (label, value) in rows {
        // An empty label continues the previous field (MRZ lines).
        let label = if label.is_empty() { String::new() } else { format!("{label}:") };
        let _ = writeln!(out, "  {label:<w$} {value}");
    }
}

fn document(out: &mut String, d: &Document) {
    out.push_str("Document (DG1)\n");
    let mrz_lines: Vec<String> = d.mrz.split('\n').map(clean).collect();
    let mut rows = vec![
        ("Type", or_dash(Some(&d.document_type))),
        ("Issuing state", or_dash(Some(&d.issuing_state))),
        ("Document number", or_dash(Some(&d.document_number))),
        ("Surname", or_dash(Some(&d.surname))),
        ("Given names", or_dash(Some(&d.given_names))),
        ("Nationality", or_dash(Some(&d.nationality))),
        ("Date of birth", or_dash(Some(&d.date_of_birth))),
        ("Sex", or_dash(Some(&d.sex))),
        ("Date of expiry", or_dash(Some(&d.date_of_expiry))),
        ("Optional data", or_dash(Some(&d.optional_data))),
    ];
    let mut mrz = mrz_lines.iter();
    rows.push(("MRZ", mrz.next().map(String::from).unwrap_or_else(|| "-".into())));
    for line in mrz {
        rows.push(("", line.clone()));
    }
    if !d.check_digit_failures.is_empty() {
        rows.push(("Check digits failing", clean(&d.check_digit_failures.join(", "))));
    }
    fields(out, &rows);
}

fn cccd(out: &mut String, c: &Cccd) {
    out.push_str("Citizen identity card (DG13)\n");
    let o = |v: &Option<String>| or_dash(v.as_deref());
    fields(
        out,
        &[
            ("ID number", o(&c.id_number)),
            ("Full name", o(&c.full_name)),
            ("Date of birth", o(&c.date_of_birth)),
            ("Sex", o(&c.sex)),
            ("Nationality", o(&c.nationality)),
            ("Ethnicity", o(&c.ethnicity)),
            ("Religion", o(&c.religion)),
            ("Place of origin", o(&c.place_of_origin)),
            ("Place of residence", o(&c.place_of_residence)),
            ("Identification marks", o(&c.personal_identification)),
            ("Date of issue", o(&c.date_of_issue)),
            ("Date of expiry", o(&c.date_of_expiry)),
            ("Father", o(&c.father_name)),
            ("Mother", o(&c.mother_name)),
            ("Spouse", o(&c.spouse_name)),
            ("Old ID number", o(&c.old_id_number)),
        ],
    );
}

fn verification(out: &mut String, v: &Verification) {
    let _ = writeln!(out, "Verification: {}", clean(&v.status.to_ascii_uppercase()));
    let groups: Vec<String> =
        by_file(&v.data_groups).into_iter().map(|(dg, verdict)| format!("{} {}", clean(dg), clean(verdict))).collect();
    let mut rows = vec![
        ("Data group hashes", if groups.is_empty() { "-".into() } else { groups.join(", ") }),
        ("SOD signature", or_dash(Some(&v.sod_signature))),
        ("Certificate chain", or_dash(Some(&v.certificate_chain))),
        ("Chip authentication", or_dash(Some(&v.chip_authentication))),
        ("Active authentication", or_dash(Some(&v.active_authentication))),
    ];
    if !v.missing_data_groups.is_empty() {
        rows.push(("Missing data groups", clean(&v.missing_data_groups.join(", "))));
    }
    fields(out, &rows);
    if !v.warnings.is_empty() {
        out.push_str("  Warnings:\n");
        for w in &v.warnings {
            let _ = writeln!(out, "    - {}", clean(w));
        }
    }
}

/// `POST /v1/read`'s answer, for a person. `portrait_saved` names the file
/// the portrait was written to, if it was.
pub fn read_response(r: &ReadResponse, portrait_saved: Option<&str>) -> String {
    let mut out = String::new();
    let method = r.access.method.to_ascii_uppercase();
    let key = match r.access.key.as_str() {
        "can" => "the CAN".to_string(),
        "mrz" => "the MRZ".to_string(),
        other => clean(other),
    };
    fields(
        &mut out,
        &[
            ("Reader", clean(&r.reader)),
            ("Read", clean(&r.read_id)),
            ("Access", format!("{} with {key}", clean(&method))),
        ],
    );
    out.push('\n');
    match &r.document {
        Some(d) => document(&mut out, d),
        None => out.push_str("Document (DG1): not read\n"),
    }
    if let Some(c) = &r.cccd {
        out.push('\n');
        cccd(&mut out, c);
    }
    out.push('\n');
    match &r.portrait {
        Some(p) => {
            let mut line = format!(
                "Portrait (DG2): {}, {}x{}, {} bytes",
                clean(&p.mime_type),
                p.width,
                p.height,
                base64_len(&p.data)
            );
            if let Some(file) = portrait_saved {
                let _ = write!(line, ", saved to {}", clean(file));
            }
            out.push_str(&line);
            out.push('\n');
        }
        None => out.push_str("Portrait (DG2): none\n"),
    }
    out.push('\n');
    verification(&mut out, &r.verification);
    out.push('\n');
    let files: Vec<String> =
        by_file(&r.files).into_iter().map(|(name, data)| format!("{} {}", clean(name), base64_len(data))).collect();
    let _ = writeln!(out, "Files: {}", if files.is_empty() { "-".into() } else { files.join(", ") });
    let _ =
        writeln!(out, "Stats: {} APDUs, {} bytes read, {} ms", r.stats.apdus, r.stats.bytes_read, r.stats.duration_ms);
    out
}

/// One event's fields, `key=value` separated by spaces (values cleaned and
/// quoted when they hold spaces).
pub fn event_fields(event: &Event) -> String {
    let q = |s: &str| {
        let s = clean(s);
        if s.is_empty() || s.contains([' ', '"', '=']) { format!("{s:?}") } else { s }
    };
    match event {
        Event::ReaderAdded { reader } | Event::ReaderRemoved { reader } | Event::CardRemoved { reader } => {
            format!("reader={}", q(reader))
        }
        Event::CardInserted { reader, atr } => format!("reader={} atr={}", q(reader), q(atr)),
        Event::ReadStarted { read_id, reader } => format!("read_id={} reader={}", q(read_id), q(reader)),
        Event::ReadProgress { read_id, file, bytes, total } => {
            format!("read_id={} file={} bytes={bytes} total={total}", q(read_id), q(file))
        }
        Event::ReadFinished { read_id, status } => format!("read_id={} status={}", q(read_id), q(status)),
        Event::ReadFailed { read_id, code } => format!("read_id={} code={}", q(read_id), code.as_str()),
        Event::EventsLost { missed } => format!("missed={missed}"),
        Event::PcscStatus { pcsc } => format!("pcsc={}", q(pcsc)),
    }
}

/// One raw event as a line without its time: `kind fields`; an event this
/// client does not know prints its data (cleaned) as received.
pub fn event_line(raw: &SseEvent) -> String {
    match Event::from_sse(&raw.event, &raw.data) {
        Some(event) => format!("{} {}", event.kind(), event_fields(&event)),
        None => format!("{} {}", clean(&raw.event), clean(&raw.data)),
    }
}

/// `time` (seconds since the Unix epoch, and milliseconds) as
/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC). Hand-written (the days-to-civil
/// conversion of the proleptic Gregorian calendar) to avoid a date crate for
/// one line; local time would need the tz database.
pub fn utc_timestamp(secs: u64, millis: u32) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    // Civil from days (era-based algorithm over 400-year cycles), from 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Access, ErrorCode, Portrait, Reader, Stats};
    use std::collections::BTreeMap;

    fn minimal() -> ReadResponse {
        ReadResponse {
            read_id: String::new(),
            reader: String::new(),
            access: Access { method: String::new(), key: String::new() },
            document: None,
            cccd: None,
            portrait: None,
            files: BTreeMap::new(),
            verification: Verification {
                status: String::new(),
                data_groups: BTreeMap::new(),
                sod_signature: String::new(),
                certificate_chain: String::new(),
                chip_authentication: String::new(),
                active_authentication: String::new(),
                missing_data_groups: vec![],
                warnings: vec![],
            },
            stats: Stats { apdus: 0, bytes_read: 0, duration_ms: 0 },
        }
    }

    #[test]
    fn absent_and_empty_fields_do_not_panic() {
        let mut r = minimal();
        let text = read_response(&r, None);
        assert!(text.contains("Document (DG1): not read"));
        assert!(text.contains("Portrait (DG2): none"));
        assert!(text.contains("Files: -"));
        r.document = Some(Document::default());
        r.cccd = Some(Cccd::default());
        let text = read_response(&r, Some("x.jpg"));
        assert!(text.contains("  Surname:"));
        assert!(text.contains("  Spouse:"), "{text}");
        assert!(text.lines().any(|l| l.trim_end().ends_with("Spouse:               -")), "{text}");
    }

    #[test]
    fn full_response_is_rendered() {
        let mut r = minimal();
        r.read_id = "r7".into();
        r.reader = "Sim\u{1b}[2J".into();
        r.access = Access { method: "pace".into(), key: "can".into() };
        // The API's personal-data types wipe themselves on drop, so no `..Default::default()`.
        let mut document = Document::default();
        document.document_type = "ID".into();
        document.surname = "NGUYEN".into();
        document.mrz = "L1\nL2\nL3".into();
        document.check_digit_failures = vec!["document_number".into()];
        r.document = Some(document);
        let mut cccd = Cccd::default();
        cccd.full_name = Some("Nguyễn Văn An".into());
        r.cccd = Some(cccd);
        r.portrait =
            Some(Portrait { mime_type: "image/jpeg".into(), data: "AAECAwQ=".into(), width: 480, height: 640 });
        r.files.insert("DG1".into(), "AAAA".into());
        r.files.insert("DG13".into(), "AA==".into());
        r.files.insert("DG2".into(), "".into());
        r.files.insert("EF.SOD".into(), "AAA=".into());
        r.verification.status = "passed".into();
        r.verification.data_groups.insert("DG1".into(), "valid".into());
        r.verification.data_groups.insert("DG13".into(), "invalid".into());
        r.verification.data_groups.insert("DG2".into(), "not_in_sod".into());
        r.verification.warnings.push("w1".into());
        r.stats = Stats { apdus: 97, bytes_read: 21034, duration_ms: 412 };
        let text = read_response(&r, Some("face.jpg"));
        assert!(text.contains("Access:"), "{text}");
        assert!(text.contains("PACE with the CAN"));
        assert!(text.contains("Reader: Sim\u{FFFD}[2J"), "escape removed: {text}");
        assert!(text.contains("Full name:"));
        assert!(text.contains("Nguyễn Văn An"));
        let pad = " ".repeat(24);
        assert!(text.contains(&format!("  MRZ:                  L1\n{pad}L2\n{pad}L3\n")), "{text}");
        assert!(text.contains("Check digits failing: document_number"), "{text}");
        assert!(text.contains("Portrait (DG2): image/jpeg, 480x640, 5 bytes, saved to face.jpg"));
        assert!(text.contains("Verification: PASSED"));
        assert!(text.contains("Data group hashes:"));
        assert!(text.contains("DG1 valid, DG2 not_in_sod, DG13 invalid\n"), "{text}");
        assert!(text.contains("    - w1"));
        assert!(text.contains("Files: EF.SOD 2, DG1 3, DG2 0, DG13 1\n"), "{text}");
        assert!(text.contains("Stats: 97 APDUs, 21034 bytes read, 412 ms"));
    }

    #[test]
    fn readers_table_aligns_columns() {
        let r = Readers {
            readers: vec![
                Reader {
                    name: "Long reader name 00".into(),
                    card_present: true,
                    atr: Some("3B8F".into()),
                    busy: false,
                },
                Reader { name: "R".into(), card_present: false, atr: None, busy: true },
            ],
        };
        let t = readers(&r);
        assert_eq!(
            t,
            "NAME                 CARD  BUSY  ATR\n\
             Long reader name 00  yes   no    3B8F\n\
             R                    no    yes   -\n"
        );
        assert_eq!(readers(&Readers { readers: vec![] }), "no reader attached\n");
    }

    #[test]
    fn health_line() {
        let h = Health {
            status: "ok".into(),
            version: "0.1.0".into(),
            pcsc: "unavailable".into(),
            readers: 0,
            simulated: true,
            trust_anchors: 2,
            socket: Some("ok".into()),
        };
        assert_eq!(health(&h), "mrtdd 0.1.0: ok; pcsc: unavailable; readers: 0; trust anchors: 2; simulated reader\n");
        let lost = Health { socket: Some("lost".into()), ..h };
        assert!(health(&lost).contains("; socket: lost"));
    }

    #[test]
    fn events_render_as_fields() {
        let e = |kind: &str, data: &str| event_line(&SseEvent { event: kind.into(), data: data.into() });
        assert_eq!(e("read_started", r#"{"read_id":"r1","reader":"A B"}"#), r#"read_started read_id=r1 reader="A B""#);
        assert_eq!(
            e("read_progress", r#"{"read_id":"r1","file":"DG2","bytes":10,"total":20}"#),
            "read_progress read_id=r1 file=DG2 bytes=10 total=20"
        );
        assert_eq!(e("events_lost", r#"{"missed":3}"#), "events_lost missed=3");
        assert_eq!(e("future_kind", "{\"x\":\"\u{1b}\"}"), "future_kind {\"x\":\"\u{FFFD}\"}");
        let failed = Event::ReadFailed { read_id: "r".into(), code: ErrorCode::CardRemoved };
        assert_eq!(event_fields(&failed), "read_id=r code=card_removed");
    }

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_len(""), 0);
        assert_eq!(base64_len("QQ=="), 1);
        assert_eq!(base64_len("QUI="), 2);
        assert_eq!(base64_len("QUJD"), 3);
        assert_eq!(base64_len("QUJDRA=="), 4);
    }

    #[test]
    fn timestamps() {
        assert_eq!(utc_timestamp(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc_timestamp(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(utc_timestamp(1_735_689_599, 999), "2024-12-31T23:59:59.999Z");
        assert_eq!(utc_timestamp(4_107_542_400, 0), "2100-03-01T00:00:00.000Z");
    }
}
