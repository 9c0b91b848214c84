//! The served API against `docs/openapi.yaml`: the real daemon (`mrtdd
//! --simulate`) is driven over its Unix socket and every live response body —
//! health, readers, reads with a CAN (demo CCCD, PACE) and a BAC triple (ICAO
//! specimen passport), the error responses (400, 404, 413, 422) and the SSE
//! events of the reads — is validated against the schema the OpenAPI document
//! gives for that operation and status (or, for events, the data schema its
//! `/v1/events` table names). The requests sent are checked against the
//! `ReadRequest` schema too: the valid ones must match it, the malformed ones
//! must not.
//!
//! The validator is hand-written for the subset of JSON Schema 2020-12 the
//! document uses (listed in `ASSERTIONS`); it panics on any other keyword so a
//! new keyword in the document cannot be silently ignored. Why not the
//! `jsonschema` crate: it pulls in an HTTP client, a backtracking regex engine
//! and dozens of other crates for a few hundred lines' worth of keywords here,
//! on a 2-core build. The YAML is read with `serde_norway` (the maintained
//! fork of `serde_yaml`); `pattern` uses the `regex` crate (the document's
//! patterns are in the syntax both ECMA-262 and `regex` share).
#![cfg(feature = "software-chip")]

use regex::Regex;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "support/http.rs"]
mod http;

use http::{EventStream, Spawned as Daemon, test_log};

const OPENAPI: &str = include_str!("../docs/openapi.yaml");
const CCCD_READER: &str = "mrtdd Simulated Reader (demo CCCD) 00 00";
const PASSPORT_READER: &str = "mrtdd Simulated Reader (ICAO specimen passport) 00 01";

// ---------------------------------------------------------------------------
// The validator
// ---------------------------------------------------------------------------

/// The JSON Schema keywords this validator asserts.
const ASSERTIONS: &[&str] = &[
    "$ref",
    "type",
    "const",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "propertyNames",
    "items",
    "maxItems",
    "minimum",
    "maximum",
    "maxLength",
    "pattern",
    "oneOf",
];

/// Keywords that only annotate (JSON Schema 2020-12 §7.7, §8.3: `contentEncoding`
/// is an annotation unless a validator opts in; base64 is checked by the live
/// test itself) or are OpenAPI example carriers.
const ANNOTATIONS: &[&str] = &["description", "default", "contentEncoding", "title", "example", "examples"];

/// `docs/openapi.yaml`, parsed.
struct Spec {
    doc: Value,
}

impl Spec {
    fn load() -> Self {
        let doc: Value = serde_norway::from_str(OPENAPI).expect("docs/openapi.yaml parses as YAML");
        assert_eq!(doc["openapi"], "3.1.0", "the validator follows OpenAPI 3.1 (JSON Schema 2020-12)");
        Self { doc }
    }

    /// The target of a local reference (`#/...`).
    fn resolve(&self, reference: &str) -> &Value {
        let pointer =
            reference.strip_prefix('#').unwrap_or_else(|| panic!("only local $ref is supported: {reference}"));
        self.doc.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {reference}"))
    }

    /// `#/components/schemas/{name}`.
    fn schema(&self, name: &str) -> &Value {
        self.resolve(&format!("#/components/schemas/{name}"))
    }

    /// A response object, following a `$ref` into `#/components/responses`.
    fn response<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(r) => self.resolve(r),
            None => value,
        }
    }

    /// The `application/json` schema the document gives for `method path` answering `status`;
    /// panics when the operation does not document that status.
    fn response_schema(&self, path: &str, method: &str, status: u16) -> &Value {
        let op = &self.doc["paths"][path][method];
        assert!(op.is_object(), "docs/openapi.yaml has no operation {method} {path}");
        let response = &op["responses"][status.to_string()];
        assert!(response.is_object(), "{method} {path} does not document status {status}");
        self.json_schema_of(self.response(response))
    }

    fn json_schema_of<'a>(&'a self, response: &'a Value) -> &'a Value {
        let schema = &response["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "no application/json schema in {response}");
        schema
    }

    /// The schema of `POST /v1/read`'s body.
    fn request_schema(&self) -> &Value {
        &self.doc["paths"]["/v1/read"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    }

    /// The data schema of an event kind, from the `| event | data schema |` table of `/v1/events`.
    fn event_schema(&self, kind: &str) -> &Value {
        let table = self.doc["paths"]["/v1/events"]["get"]["description"].as_str().expect("/v1/events description");
        let row = format!("| `{kind}` | `");
        let line = table.lines().find(|l| l.starts_with(&row)).unwrap_or_else(|| panic!("event {kind} not in table"));
        let name = line[row.len()..].split('`').next().expect("schema name");
        self.schema(name)
    }

    /// Every violation of `schema` by `instance` (empty: valid).
    fn errors(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(schema, instance, "$", &mut errors);
        errors
    }

    fn check(&self, schema: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
        let obj = match schema {
            Value::Object(obj) => obj,
            Value::Bool(true) => return,
            Value::Bool(false) => return errors.push(format!("{at}: not allowed here")),
            other => panic!("not a schema at {at}: {other}"),
        };
        for keyword in obj.keys() {
            assert!(
                ASSERTIONS.contains(&keyword.as_str()) || ANNOTATIONS.contains(&keyword.as_str()),
                "the validator does not implement JSON Schema keyword {keyword:?} (schema at {at}): add it"
            );
        }
        if let Some(r) = obj.get("$ref") {
            let r = r.as_str().unwrap_or_else(|| panic!("$ref is not a string at {at}"));
            self.check(self.resolve(r), instance, at, errors);
        }
        if let Some(t) = obj.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().map(|t| t.as_str().expect("type names are strings")).collect(),
                other => panic!("bad type {other} at {at}"),
            };
            if !types.iter().any(|t| has_type(instance, t)) {
                errors.push(format!("{at}: {instance} is not of type {types:?}"));
            }
        }
        if let Some(c) = obj.get("const")
            && instance != c
        {
            errors.push(format!("{at}: {instance} is not the constant {c}"));
        }
        if let Some(e) = obj.get("enum") {
            let e = e.as_array().expect("enum is an array");
            if !e.contains(instance) {
                errors.push(format!("{at}: {instance} is not one of {e:?}"));
            }
        }
        if let Some(alternatives) = obj.get("oneOf") {
            let alternatives = alternatives.as_array().expect("oneOf is an array");
            let matching = alternatives.iter().filter(|s| self.errors(s, instance).is_empty()).count();
            if matching != 1 {
                errors.push(format!("{at}: matches {matching} of the oneOf alternatives, not exactly one"));
            }
        }
        match instance {
            Value::Object(map) => {
                if let Some(required) = obj.get("required") {
                    for name in required.as_array().expect("required is an array") {
                        let name = name.as_str().expect("required names are strings");
                        if !map.contains_key(name) {
                            errors.push(format!("{at}: required property {name:?} is missing"));
                        }
                    }
                }
                let properties = obj.get("properties").map(|p| p.as_object().expect("properties is an object"));
                for (name, value) in map {
                    let here = format!("{at}.{name}");
                    if let Some(names) = obj.get("propertyNames") {
                        self.check(names, &Value::String(name.clone()), &format!("{here} (name)"), errors);
                    }
                    match properties.and_then(|p| p.get(name)) {
                        Some(s) => self.check(s, value, &here, errors),
                        None => {
                            if let Some(additional) = obj.get("additionalProperties") {
                                self.check(additional, value, &here, errors);
                            }
                        }
                    }
                }
            }
            Value::Array(items) => {
                if let Some(max) = obj.get("maxItems")
                    && items.len() as u64 > max.as_u64().expect("maxItems is a count")
                {
                    errors.push(format!("{at}: more than {max} items"));
                }
                if let Some(s) = obj.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(s, item, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            Value::String(s) => {
                if let Some(max) = obj.get("maxLength") {
                    // Length in code points (2020-12 §6.3.1), not bytes.
                    if s.chars().count() as u64 > max.as_u64().expect("maxLength is a count") {
                        errors.push(format!("{at}: longer than {max} characters"));
                    }
                }
                if let Some(p) = obj.get("pattern") {
                    let p = p.as_str().expect("pattern is a string");
                    // Unanchored search, as in JSON Schema; the document anchors its patterns itself.
                    if !Regex::new(p).unwrap_or_else(|e| panic!("pattern {p:?}: {e}")).is_match(s) {
                        errors.push(format!("{at}: {s:?} does not match {p:?}"));
                    }
                }
            }
            Value::Number(n) => {
                let n = n.as_f64().expect("a finite number");
                if let Some(min) = obj.get("minimum").and_then(Value::as_f64)
                    && n < min
                {
                    errors.push(format!("{at}: {n} is below the minimum {min}"));
                }
                if let Some(max) = obj.get("maximum").and_then(Value::as_f64)
                    && n > max
                {
                    errors.push(format!("{at}: {n} is above the maximum {max}"));
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }

    /// Panics with every violation when `instance` does not match `schema`.
    fn assert_valid(&self, schema: &Value, instance: &Value, what: &str) {
        let errors = self.errors(schema, instance);
        assert!(errors.is_empty(), "{what} violates docs/openapi.yaml:\n  {}\n{instance:#}", errors.join("\n  "));
    }
}

/// JSON Schema's type names (2020-12 §6.1.1); `integer` is any number with no fraction.
fn has_type(instance: &Value, name: &str) -> bool {
    match name {
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "boolean" => instance.is_boolean(),
        "null" => instance.is_null(),
        "number" => instance.is_number(),
        "integer" => instance.is_i64() || instance.is_u64() || instance.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => panic!("unknown JSON Schema type {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// The daemon (as in tests/daemon_simulated.rs)
// ---------------------------------------------------------------------------

/// The daemon, stopped with SIGTERM by `stop` (killed on drop otherwise).
impl Daemon {
    fn start(tag: &str, extra_config: &str) -> Self {
        let log = test_log(&format!("openapi_served-{tag}.log"));
        Self::spawn("openapi", tag, &format!("simulate = true\n{extra_config}"), log)
    }

    fn stop(mut self) {
        self.stop_within_10s();
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns the status, the Content-Type and the body.
fn request(socket: &Path, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> (u16, String, Vec<u8>) {
    let (status, head, body) = http::request(socket, method, path, content_type, body);
    let content_type =
        head.lines().find_map(|l| l.strip_prefix("content-type:")).map(|v| v.trim().to_owned()).unwrap_or_default();
    (status, content_type, body)
}

/// An SSE subscriber on its own connection.
struct Subscriber(EventStream);

impl Subscriber {
    fn connect(socket: &Path, tag: &str) -> Self {
        let capture = test_log(&format!("openapi_served-{tag}.events"));
        let (events, head) = EventStream::connect(socket, Duration::from_secs(5), &capture);
        let line = &head[0];
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        for line in &head[1..] {
            assert!(!line.to_ascii_lowercase().starts_with("content-type:") || line.contains("text/event-stream"));
        }
        Self(events)
    }

    /// The next event as (kind, raw data JSON); chunked framing lines and keep-alive comments skipped.
    fn next(&mut self) -> (String, Value) {
        let (kind, data) = self.0.next_raw();
        let data = serde_json::from_str(&data).unwrap_or_else(|e| panic!("event {kind}: data is not JSON: {e}"));
        (kind, data)
    }
}

// ---------------------------------------------------------------------------
// The live test
// ---------------------------------------------------------------------------

/// Reads events until `stop` says so (deadline 5 s), validating each against the document;
/// returns the kinds seen.
fn validate_events(spec: &Spec, sub: &mut Subscriber, stop: impl Fn(&str, &Value) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut kinds = Vec::new();
    while Instant::now() < deadline {
        let (kind, data) = sub.next();
        spec.assert_valid(spec.schema("EventKind"), &Value::String(kind.clone()), "the event: line");
        spec.assert_valid(spec.event_schema(&kind), &data, &format!("the data of event {kind}"));
        let done = stop(&kind, &data);
        kinds.push(kind);
        if done {
            return kinds;
        }
    }
    panic!("the expected event did not come within 5 s; seen {kinds:?}");
}

fn is_base64(s: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).is_ok()
}

#[test]
fn served_responses_and_events_match_docs_openapi_yaml() {
    let spec = Spec::load();
    let d = Daemon::start("served", "max_request_bytes = 2048\n");
    let mut sub = Subscriber::connect(&d.socket, "served");
    let served = |method: &str, path: &str, body: &[u8]| {
        let ct = (method == "POST").then_some("application/json");
        let (status, content_type, body) = request(&d.socket, method, path, ct, body);
        assert!(content_type.starts_with("application/json"), "{method} {path}: Content-Type {content_type:?}");
        let json: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!("{method} {path} → {status}: not JSON ({e}): {}", String::from_utf8_lossy(&body))
        });
        (status, json)
    };

    // GET /v1/health, GET /v1/readers.
    for path in ["/v1/health", "/v1/readers"] {
        let (status, body) = served("GET", path, b"");
        assert_eq!(status, 200, "{body}");
        spec.assert_valid(spec.response_schema(path, "get", 200), &body, &format!("GET {path}"));
    }
    let (_, readers) = served("GET", "/v1/readers", b"");
    assert_eq!(readers["readers"].as_array().map(Vec::len), Some(2), "{readers}");
    assert!(readers["readers"][0]["atr"].is_string(), "the optional atr is exercised: {readers}");

    // POST /v1/read: PACE with the CAN on the demo CCCD, BAC with the triple on the specimen passport.
    let reads = [
        (json!({"reader": CCCD_READER, "key": {"can": "012345"}}), "pace", true),
        (
            json!({"reader": PASSPORT_READER,
                   "key": {"document_number": "L898902C3", "date_of_birth": "740812", "date_of_expiry": "120415"}}),
            "bac",
            false,
        ),
    ];
    for (request_body, method, is_cccd) in reads {
        spec.assert_valid(spec.request_schema(), &request_body, "the request sent");
        let (status, body) = served("POST", "/v1/read", request_body.to_string().as_bytes());
        assert_eq!(status, 200, "{body}");
        spec.assert_valid(spec.response_schema("/v1/read", "post", 200), &body, &format!("the {method} read"));
        // The optional parts are there, so their schemas were applied.
        assert_eq!(body["access"]["method"], method);
        assert!(body["document"].is_object() && body["portrait"].is_object(), "{method}");
        assert_eq!(body["cccd"].is_object(), is_cccd, "{method}");
        assert!(body["verification"]["data_groups"].as_object().is_some_and(|m| !m.is_empty()));
        // contentEncoding: base64 (an annotation for the validator) checked here.
        assert!(is_base64(body["portrait"]["data"].as_str().unwrap_or_default()));
        let files = body["files"].as_object().expect("files");
        assert!(files.len() >= 4 && files.values().all(|v| v.as_str().is_some_and(is_base64)));
        // Its events: read_started → read_progress… → read_finished, each against its data schema.
        let read_id = body["read_id"].clone();
        let kinds =
            validate_events(&spec, &mut sub, |kind, data| kind == "read_finished" && data["read_id"] == read_id);
        for kind in ["read_started", "read_progress", "read_finished"] {
            assert!(kinds.iter().any(|k| k == kind), "{method}: no {kind} in {kinds:?}");
        }
    }

    // Error responses: each against the schema of its documented status, with the expected code.
    let too_large = vec![b' '; 4096];
    let passport_can = format!(r#"{{"reader":"{PASSPORT_READER}","key":{{"can":"012345"}}}}"#);
    let errors: [(&[u8], Option<bool>, u16, &str); 9] = [
        (br#"{"key":{"can":"999999"}}"#, Some(true), 422, "wrong_key"),
        (passport_can.as_bytes(), Some(true), 422, "unsupported_document"),
        (br#"{"reader":"nope","key":{"can":"012345"}}"#, Some(true), 404, "reader_not_found"),
        (br#"{"key":{"can":"12345"}}"#, Some(false), 400, "bad_request"),
        (br#"{"key":{"can":"012345","mrz":"x"}}"#, Some(false), 400, "bad_request"),
        (br#"{"key":{"pin":"1234"}}"#, Some(false), 400, "bad_request"),
        (br#"{"key":{"can":"012345"},"data_groups":["DG99"]}"#, Some(false), 400, "bad_request"),
        (b"{not json", None, 400, "bad_request"),
        (&too_large, None, 413, "payload_too_large"),
    ];
    for (request_body, schema_valid, status, code) in errors {
        let shown = String::from_utf8_lossy(&request_body[..request_body.len().min(80)]).into_owned();
        if let Some(valid) = schema_valid {
            let sent: Value = serde_json::from_slice(request_body).unwrap();
            let errors = spec.errors(spec.request_schema(), &sent);
            assert_eq!(errors.is_empty(), valid, "{shown}: the request's own validity: {errors:?}");
        }
        let (got, body) = served("POST", "/v1/read", request_body);
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{shown}: {body}");
        spec.assert_valid(spec.response_schema("/v1/read", "post", status), &body, &format!("{status} for {shown}"));
        if code == "wrong_key" {
            // The failed read's events: read_started, then read_failed with the same code.
            validate_events(&spec, &mut sub, |kind, data| kind == "read_failed" && data["code"] == code);
        }
    }

    // Unknown path and a method the endpoint does not take: `NotFound`.
    let not_found = spec.json_schema_of(spec.resolve("#/components/responses/NotFound"));
    for (method, path) in [("GET", "/v1/nothing"), ("GET", "/"), ("DELETE", "/v1/read")] {
        let (status, body) = served(method, path, b"");
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{method} {path}: {body}");
        spec.assert_valid(not_found, &body, &format!("{method} {path}"));
    }
    d.stop();
}

// ---------------------------------------------------------------------------
// The validator catches what it must
// ---------------------------------------------------------------------------

fn health() -> Value {
    json!({"status": "ok", "version": "0.1.0", "pcsc": "ok", "readers": 2, "simulated": true, "trust_anchors": 2})
}

#[test]
fn validator_accepts_a_correct_document_and_rejects_wrong_ones() {
    let spec = Spec::load();
    let schema = spec.response_schema("/v1/health", "get", 200);
    assert_eq!(spec.errors(schema, &health()), Vec::<String>::new());

    let mut missing = health();
    missing.as_object_mut().unwrap().remove("status");
    assert_eq!(spec.errors(schema, &missing), ["$: required property \"status\" is missing"]);
    let wrong = |field: &str, value: Value| {
        let mut h = health();
        h[field] = value;
        spec.errors(schema, &h)
    };
    assert_eq!(wrong("status", json!("degraded")), ["$.status: \"degraded\" is not the constant \"ok\""]);
    assert_eq!(wrong("pcsc", json!("maybe")).len(), 1);
    assert!(wrong("pcsc", json!("maybe"))[0].contains("is not one of"));
    assert!(wrong("readers", json!(-1))[0].contains("below the minimum"));
    assert!(wrong("readers", json!("2"))[0].contains("is not of type"));
    assert!(wrong("readers", json!(2.5))[0].contains("is not of type"));
    assert!(wrong("simulated", json!(null))[0].contains("is not of type"));

    // Nested $ref, enum of a referenced schema.
    let error = spec.response_schema("/v1/read", "post", 422);
    assert!(spec.errors(error, &json!({"error": {"code": "wrong_key", "message": "m"}})).is_empty());
    let e = spec.errors(error, &json!({"error": {"code": "oops", "message": "m"}}));
    assert!(e.len() == 1 && e[0].starts_with("$.error.code:"), "{e:?}");
    assert!(!spec.errors(error, &json!({"error": {"code": "busy"}})).is_empty());

    // pattern, propertyNames, additionalProperties (schema and false), items, oneOf, type arrays.
    let progress = spec.event_schema("read_progress");
    let event = json!({"read_id": "r1", "file": "DG2", "bytes": 10, "total": 20});
    assert!(spec.errors(progress, &event).is_empty());
    let mut bad = event.clone();
    bad["file"] = json!("DG17");
    assert!(spec.errors(progress, &bad)[0].contains("does not match"));
    let verification = spec.schema("Verification");
    let v = json!({"status": "passed", "data_groups": {"DG1": "valid"}, "sod_signature": "valid",
        "certificate_chain": "trusted", "chip_authentication": "passed", "active_authentication": "not_performed"});
    assert!(spec.errors(verification, &v).is_empty());
    let mut bad = v.clone();
    bad["data_groups"] = json!({"DG99": "valid"});
    assert!(spec.errors(verification, &bad)[0].contains("(name)"));
    bad["data_groups"] = json!({"DG1": "fine"});
    assert!(spec.errors(verification, &bad)[0].starts_with("$.data_groups.DG1:"));
    bad = v.clone();
    bad["missing_data_groups"] = json!(["DG3", "DG0"]);
    assert!(spec.errors(verification, &bad)[0].starts_with("$.missing_data_groups[1]:"));
    let request = spec.request_schema();
    assert!(spec.errors(request, &json!({"key": {"can": "012345"}})).is_empty());
    assert!(!spec.errors(request, &json!({"key": {"can": "012345"}, "extra": 1})).is_empty());
    assert!(!spec.errors(request, &json!({"key": {"can": "012345", "mrz": "x"}})).is_empty());
    assert!(!spec.errors(request, &json!({"key": {}})).is_empty());
    let too_many: Vec<String> = (0..17).map(|_| "DG1".to_owned()).collect();
    assert!(spec.errors(request, &json!({"key": {"can": "012345"}, "data_groups": too_many}))[0].contains("more than"));
    let long = "A".repeat(1025);
    assert!(spec.errors(request, &json!({"key": {"mrz": long}}))[0].contains("longer than"));
    let cccd = spec.schema("Cccd");
    let mut c = serde_json::Map::new();
    for name in spec.schema("Cccd")["required"].as_array().unwrap() {
        c.insert(name.as_str().unwrap().to_owned(), Value::Null);
    }
    let mut c = Value::Object(c);
    assert!(spec.errors(cccd, &c).is_empty());
    c["spouse_name"] = json!(5);
    assert!(spec.errors(cccd, &c)[0].contains("is not of type [\"string\", \"null\"]"));
    let portrait = spec.schema("Portrait");
    let p = json!({"mime_type": "image/png", "data": "", "width": 70000, "height": 1});
    assert_eq!(spec.errors(portrait, &p).len(), 2);
}

#[test]
fn the_documents_own_examples_validate() {
    let spec = Spec::load();
    let mut checked = 0;
    for (path, item) in spec.doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                let response = spec.response(response);
                let Some(json) = response["content"].get("application/json") else { continue };
                let examples = json["examples"].as_object().into_iter().flatten().map(|(_, e)| &e["value"]);
                for example in json.get("example").into_iter().chain(examples) {
                    spec.assert_valid(&json["schema"], example, &format!("example of {method} {path} {status}"));
                    checked += 1;
                }
            }
        }
    }
    let body = &spec.doc["paths"]["/v1/read"]["post"]["requestBody"]["content"]["application/json"];
    for example in body["examples"].as_object().unwrap().values() {
        spec.assert_valid(&body["schema"], &example["value"], "a request example");
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} examples found");
}

#[test]
#[should_panic(expected = "does not implement JSON Schema keyword \"format\"")]
fn validator_refuses_keywords_it_does_not_implement() {
    let spec = Spec::load();
    spec.errors(&json!({"type": "string", "format": "date"}), &json!("2020-01-01"));
}
