//! Keeps `docs/openapi.yaml` and `docs/api.md` in step with the code: every
//! route the router serves is documented (and nothing else), every error
//! code with its HTTP status, every event type, and every JSON field of the
//! wire types in `src/api`.
//!
//! The YAML is checked with plain text scans (its layout is regular: two
//! spaces per level), so the test needs no YAML crate; the document's
//! validity as OpenAPI 3.1 is checked with `openapi-spec-validator` (see
//! docs/api.md).

use mrtdd::api::{
    Access, Cccd, Document, ErrorBody, ErrorCode, ErrorDetail, Event, Health, Key, Portrait, ReadRequest, ReadResponse,
    Reader, Readers, Stats, Verification,
};
use std::collections::{BTreeMap, BTreeSet};

const OPENAPI: &str = include_str!("../docs/openapi.yaml");
const API_MD: &str = include_str!("../docs/api.md");
const ROUTER: &str = include_str!("../src/service/http.rs");

/// Every error code. The `match` makes this fail to compile when a code is
/// added to `ErrorCode` until it is listed here (and then documented).
fn every_error_code() -> Vec<ErrorCode> {
    use ErrorCode::*;
    let all = vec![
        BadRequest,
        ReaderNotFound,
        NoCard,
        Busy,
        WrongKey,
        CardRemoved,
        AccessDenied,
        UnsupportedDocument,
        Timeout,
        PcscUnavailable,
        Internal,
        Unauthorized,
        Forbidden,
        NotFound,
        PayloadTooLarge,
        ShuttingDown,
    ];
    for code in &all {
        match code {
            BadRequest | ReaderNotFound | NoCard | Busy | WrongKey | CardRemoved | AccessDenied
            | UnsupportedDocument | Timeout | PcscUnavailable | Internal | Unauthorized | Forbidden | NotFound
            | PayloadTooLarge | ShuttingDown => {}
        }
    }
    all
}

/// One event of every type, with every field. The `match` guards completeness as above.
fn every_event() -> Vec<Event> {
    let all = vec![
        Event::ReaderAdded { reader: "R".into() },
        Event::ReaderRemoved { reader: "R".into() },
        Event::CardInserted { reader: "R".into(), atr: "3B00".into() },
        Event::CardRemoved { reader: "R".into() },
        Event::ReadStarted { read_id: "r1".into(), reader: "R".into() },
        Event::ReadProgress { read_id: "r1".into(), file: "DG2".into(), bytes: 1, total: 2 },
        Event::ReadFinished { read_id: "r1".into(), status: "passed".into() },
        Event::ReadFailed { read_id: "r1".into(), code: ErrorCode::Busy },
        Event::EventsLost { missed: 3 },
        Event::PcscStatus { pcsc: "ok".into() },
    ];
    for event in &all {
        match event {
            Event::ReaderAdded { .. }
            | Event::ReaderRemoved { .. }
            | Event::CardInserted { .. }
            | Event::CardRemoved { .. }
            | Event::ReadStarted { .. }
            | Event::ReadProgress { .. }
            | Event::ReadFinished { .. }
            | Event::ReadFailed { .. }
            | Event::EventsLost { .. }
            | Event::PcscStatus { .. } => {}
        }
    }
    all
}

/// The lines of the YAML block that starts with the line `header` (exact,
/// indentation included) and runs while lines are indented deeper or blank.
fn block(header: &str) -> Vec<&'static str> {
    let indent = header.len() - header.trim_start().len();
    let mut lines = OPENAPI.lines().skip_while(|l| *l != header);
    assert!(lines.next().is_some(), "docs/openapi.yaml has no line {header:?}");
    lines.take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent).collect()
}

/// The `- item` entries of the `enum:` list of a component schema.
fn schema_enum(schema: &str) -> BTreeSet<String> {
    let lines = block(&format!("    {schema}:"));
    let start = lines.iter().position(|l| l.trim() == "enum:").unwrap_or_else(|| panic!("{schema} has no enum"));
    lines[start + 1..]
        .iter()
        .map_while(|l| l.trim().strip_prefix("- "))
        .map(|s| s.trim_matches('"').to_owned())
        .collect()
}

/// `(path, method)` pairs under `paths:`.
fn documented_operations() -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    let mut path = None;
    for line in block("paths:") {
        if let Some(p) = line.strip_prefix("  /").and_then(|p| p.strip_suffix(':')) {
            path = Some(format!("/{p}"));
        } else if let Some(m) = line.strip_prefix("    ").and_then(|m| m.strip_suffix(':'))
            && ["get", "put", "post", "delete", "patch", "head", "options"].contains(&m)
        {
            ops.insert((path.clone().expect("a method under a path"), m.to_owned()));
        }
    }
    ops
}

/// `(path, method)` pairs of the router's `.route("PATH", METHOD(handler))` calls.
fn served_operations() -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for chunk in ROUTER.split(".route(\"").skip(1) {
        let (path, rest) = chunk.split_once('"').expect("a quoted path");
        let rest = rest.trim_start_matches([',', ' ']);
        let (method, _) = rest.split_once('(').expect("a method router");
        ops.insert((path.to_owned(), method.trim().to_owned()));
    }
    ops
}

#[test]
fn every_route_is_documented_and_every_documented_path_is_served() {
    let served = served_operations();
    assert!(served.len() >= 4, "the router's routes were found: {served:?}");
    let documented = documented_operations();
    assert_eq!(documented, served, "docs/openapi.yaml paths vs the router in src/service/http.rs");
    for (path, method) in &served {
        let heading = format!("### `{} {path}`", method.to_uppercase());
        assert!(API_MD.contains(&heading), "docs/api.md has a section {heading:?}");
    }
}

#[test]
fn every_error_code_is_documented_with_its_status() {
    let codes = every_error_code();
    let documented = schema_enum("ErrorCode");
    let expected: BTreeSet<String> = codes.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(documented, expected, "ErrorCode enum in docs/openapi.yaml");
    let description = block("    ErrorCode:").join(" ");
    for code in codes {
        let (name, status) = (code.as_str(), code.http_status());
        assert_eq!(serde_json::to_value(code).unwrap(), serde_json::Value::String(name.into()));
        assert!(description.contains(&format!("{name} {status}")), "openapi.yaml: `{name} {status}`");
        // The status's response in the YAML names the code, as does the error table of api.md.
        assert!(OPENAPI.contains(&format!("code: {name}")), "openapi.yaml has an example of {name}");
        assert!(API_MD.contains(&format!("| `{name}` | {status} |")), "docs/api.md error table row for {name}");
        let key = format!("\"{status}\":");
        assert!(OPENAPI.contains(&key), "openapi.yaml documents status {status}");
    }
}

#[test]
fn every_event_is_documented_with_its_fields() {
    let events = every_event();
    let documented = schema_enum("EventKind");
    let expected: BTreeSet<String> = events.iter().map(|e| e.kind().to_owned()).collect();
    assert_eq!(documented, expected, "EventKind enum in docs/openapi.yaml");
    let table = block("  /v1/events:").join("\n");
    for event in events {
        let kind = event.kind();
        assert!(API_MD.contains(&format!("| `{kind}` |")), "docs/api.md events table row for {kind}");
        assert!(table.contains(&format!("| `{kind}` |")), "openapi.yaml events table row for {kind}");
        let data: serde_json::Value = serde_json::from_str(&event.data_json()).unwrap();
        for field in data.as_object().expect("event data is an object").keys() {
            assert!(has_property(field), "openapi.yaml documents the field {field} of {kind}");
            assert!(API_MD.contains(&format!("\"{field}\"")), "docs/api.md names the field {field} of {kind}");
        }
    }
}

/// True when a component schema of the YAML has a property named `name`
/// (a line `name:` at the properties' indentation, eight spaces).
fn has_property(name: &str) -> bool {
    block("  schemas:").iter().any(|l| l.strip_prefix("        ").and_then(|k| k.strip_suffix(':')) == Some(name))
}

/// Every object key of `value`, recursively, except the keys of the maps
/// named in `maps` (their keys are data, not field names).
fn field_names(value: &serde_json::Value, maps: &[&str], out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                if maps.contains(&k.as_str()) {
                    if let serde_json::Value::Object(inner) = v {
                        inner.values().for_each(|v| field_names(v, maps, out));
                    }
                } else {
                    field_names(v, maps, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| field_names(v, maps, out)),
        _ => {}
    }
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// Wire values with every optional field present.
fn full_values() -> Vec<serde_json::Value> {
    // The personal-data types wipe themselves on drop: no `..Default::default()`.
    let mut document = Document::default();
    document.check_digit_failures = vec!["composite".into()];
    let mut cccd = Cccd::default();
    cccd.id_number = some("x");
    let response = ReadResponse {
        read_id: "r1".into(),
        reader: "R".into(),
        access: Access { method: "pace".into(), key: "can".into() },
        document: Some(document),
        cccd: Some(cccd),
        portrait: Some(Portrait { mime_type: "image/jpeg".into(), data: String::new(), width: 1, height: 1 }),
        files: BTreeMap::from([("DG1".to_owned(), String::new())]),
        verification: Verification {
            status: "passed".into(),
            data_groups: BTreeMap::from([("DG1".to_owned(), "valid".to_owned())]),
            sod_signature: "valid".into(),
            certificate_chain: "trusted".into(),
            chip_authentication: "passed".into(),
            active_authentication: "passed".into(),
            missing_data_groups: vec!["DG3".into()],
            warnings: vec!["w".into()],
        },
        stats: Stats { apdus: 1, bytes_read: 1, duration_ms: 1 },
    };
    let request = ReadRequest {
        reader: some("R"),
        key: Key {
            mrz: some("m"),
            document_number: some("d"),
            date_of_birth: some("b"),
            date_of_expiry: some("e"),
            can: some("c"),
            cccd_qr: some("q"),
        },
        data_groups: Some(vec!["DG1".into()]),
        wait_for_card_ms: 1,
    };
    let health = Health {
        status: "ok".into(),
        version: "0".into(),
        pcsc: "ok".into(),
        readers: 1,
        simulated: true,
        trust_anchors: 1,
        socket: Some("ok".into()),
    };
    let readers =
        Readers { readers: vec![Reader { name: "R".into(), card_present: true, atr: some("3B"), busy: false }] };
    let error = ErrorBody { error: ErrorDetail { code: ErrorCode::Busy, message: "m".into() } };
    [
        serde_json::to_value(response),
        serde_json::to_value(request),
        serde_json::to_value(health),
        serde_json::to_value(readers),
        serde_json::to_value(error),
    ]
    .into_iter()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn every_field_of_the_wire_types_is_documented() {
    let mut fields = BTreeSet::new();
    for value in full_values() {
        field_names(&value, &["files", "data_groups"], &mut fields);
    }
    assert!(fields.len() > 50, "the walk found the fields: {fields:?}");
    for field in &fields {
        assert!(has_property(field), "docs/openapi.yaml documents the field `{field}`");
        assert!(API_MD.contains(&format!("`{field}`")), "docs/api.md documents the field `{field}`");
    }
}
