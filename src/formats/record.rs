//! One record — a JSON object, or a CSV row made into one — turned into an event.
//!
//! A record with a `kind` is an event; one without is a ticket, which becomes the
//! ticket's `detected` event. Records without an id get one derived from their
//! content, so importing the same file twice adds nothing.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::error::{echo, ECHO_CHARS};
use crate::model::canonical::canonical_bytes;
use crate::model::{Event, EventKind, Payload, Priority};

/// The fields of an event record, in the order exports write them.
pub const EVENT_FIELDS: [&str; 7] = [
    "id",
    "ticket",
    "kind",
    "at",
    "recorded_at",
    "actor",
    "payload",
];
pub const TICKET_FIELDS: [&str; 8] = [
    "ticket",
    "customer",
    "priority",
    "title",
    "service",
    "assignee",
    "detected_at",
    "actor",
];

const INSTANT: &str = "an RFC 3339 instant like 2026-03-02T09:00:00Z";

/// A problem with one field of a record; the reader adds where the record is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Empty when the problem is the record as a whole.
    pub field: String,
    pub message: String,
}

/// What the surrounding file says a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Event,
    Ticket,
    /// Decided by the presence of `kind`.
    Either,
}

pub fn to_event(rec: &Map<String, Value>, expect: Expect) -> Result<Event, Vec<FieldError>> {
    let is_event = match expect {
        Expect::Event => true,
        Expect::Ticket => false,
        Expect::Either => rec.contains_key("kind"),
    };
    if is_event {
        event_record(rec)
    } else {
        ticket_record(rec)
    }
}

/// The id of an event that came without one: a UUID (version 8) made of the first 16
/// bytes of `sha256(canonical bytes of the event with an empty id)`.
pub fn derived_id(event: &Event) -> String {
    let mut e = event.clone();
    e.id.clear();
    uuid_of(&canonical_bytes(&e))
}

/// The id of the `detected` event made from a ticket record: a UUID (version 8) of
/// `sha256(ticket + "/detected")`, so a ticket imported twice is one event.
pub fn ticket_detected_id(ticket: &str) -> String {
    uuid_of(format!("{ticket}/detected").as_bytes())
}

fn uuid_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(b).into_uuid().to_string()
}

fn event_record(rec: &Map<String, Value>) -> Result<Event, Vec<FieldError>> {
    let mut f = Fields::new(rec);
    f.reject_unknown(
        &EVENT_FIELDS,
        "an event record has id, ticket, kind, at, recorded_at, actor and payload; \
         kind-specific fields go in `payload`",
    );
    let id = f.text("id", false);
    let ticket = f.text("ticket", true);
    let kind = f.kind();
    let at = f.instant("at", true);
    let recorded_at = f.instant("recorded_at", false);
    let actor = f.text("actor", false);
    let payload = f.payload();
    let (Some(ticket), Some(kind), Some(at), Some(payload)) = (ticket, kind, at, payload) else {
        return Err(f.errors);
    };
    if !f.errors.is_empty() {
        return Err(f.errors);
    }
    let mut event = Event {
        id: id.unwrap_or_default(),
        ticket,
        kind,
        at,
        recorded_at: recorded_at.unwrap_or(at),
        actor: actor.unwrap_or_default(),
        payload,
    }
    .normalized();
    if event.id.is_empty() {
        event.id = derived_id(&event);
    }
    event.validate().map_err(|e| {
        vec![FieldError {
            field: e.field,
            message: e.message,
        }]
    })?;
    Ok(event)
}

fn ticket_record(rec: &Map<String, Value>) -> Result<Event, Vec<FieldError>> {
    let mut f = Fields::new(rec);
    f.reject_unknown(
        &TICKET_FIELDS,
        "a ticket record has ticket, customer, priority, title, service, assignee, \
         detected_at and actor (a record with a `kind` is an event)",
    );
    let ticket = f.text("ticket", true);
    let customer = f.text("customer", true);
    let priority = f.priority();
    let title = f.text("title", true);
    let service = f.text("service", false);
    let assignee = f.text("assignee", false);
    let at = f.instant("detected_at", true);
    let actor = f.text("actor", false);
    let (Some(ticket), Some(customer), Some(priority), Some(title), Some(at)) =
        (ticket, customer, priority, title, at)
    else {
        return Err(f.errors);
    };
    if !f.errors.is_empty() {
        return Err(f.errors);
    }
    let mut payload = Payload::new();
    payload.insert("priority".into(), priority.to_string().into());
    payload.insert("customer".into(), customer.into());
    payload.insert("title".into(), title.into());
    for (name, value) in [("service", service), ("assignee", assignee)] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            payload.insert(name.into(), v.into());
        }
    }
    let event = Event {
        id: ticket_detected_id(&ticket),
        ticket,
        kind: EventKind::Detected,
        at,
        recorded_at: at,
        actor: actor.unwrap_or_default(),
        payload,
    }
    .normalized();
    // Ticket fields are top-level, so errors name them without `payload.`.
    event.validate().map_err(|e| {
        vec![FieldError {
            field: e.field.trim_start_matches("payload.").to_owned(),
            message: e.message,
        }]
    })?;
    Ok(event)
}

/// Reads typed fields out of a record, collecting every problem instead of stopping.
struct Fields<'a> {
    rec: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    fn new(rec: &'a Map<String, Value>) -> Self {
        Fields {
            rec,
            errors: Vec::new(),
        }
    }

    fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn reject_unknown(&mut self, allowed: &[&str], hint: &str) {
        let unknown: Vec<String> = self
            .rec
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in unknown {
            self.error(&k, format!("unknown field: {hint}"));
        }
    }

    /// Null counts as absent, so exports from tools that write `null` for "none" work.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.rec.get(name).filter(|v| !v.is_null())
    }

    /// A string; when required it must not be blank. An empty optional string is absent.
    fn text(&mut self, name: &str, required: bool) -> Option<String> {
        match self.get(name) {
            Some(Value::String(s)) if required && s.trim().is_empty() => {
                self.error(name, "must not be empty");
                None
            }
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.error(name, format!("expected a string, found {}", found(other)));
                None
            }
            None => {
                if required {
                    self.error(name, "missing; this field is required");
                }
                None
            }
        }
    }

    fn instant(&mut self, name: &str, required: bool) -> Option<DateTime<Utc>> {
        match self.get(name) {
            Some(Value::String(s)) => match parse_instant(s) {
                Ok(t) => Some(t),
                Err(message) => {
                    self.error(name, message);
                    None
                }
            },
            Some(other) => {
                self.error(name, format!("expected {INSTANT}, found {}", found(other)));
                None
            }
            None => {
                if required {
                    self.error(name, format!("missing; expected {INSTANT}"));
                }
                None
            }
        }
    }

    fn kind(&mut self) -> Option<EventKind> {
        let s = self.text("kind", true)?;
        match s.trim().parse() {
            Ok(k) => Some(k),
            Err(message) => {
                self.error("kind", capped(message, s.trim()));
                None
            }
        }
    }

    fn priority(&mut self) -> Option<Priority> {
        let s = self.text("priority", true)?;
        match s.trim().parse() {
            Ok(p) => Some(p),
            Err(message) => {
                self.error("priority", capped(message, s.trim()));
                None
            }
        }
    }

    fn payload(&mut self) -> Option<Payload> {
        match self.get("payload") {
            None => Some(Payload::new()),
            Some(Value::Object(m)) => Some(m.clone()),
            Some(other) => {
                self.error(
                    "payload",
                    format!("expected a JSON object, found {}", found(other)),
                );
                None
            }
        }
    }
}

/// An instant as import takes it: RFC 3339, and only what export writes back the same
/// way (a store's instants are written as `YYYY-MM-DDTHH:MM:SS.ffffffZ`), so every
/// imported instant survives export and import again.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    let t = DateTime::parse_from_rfc3339(s.trim())
        .map_err(|_| format!("expected {INSTANT}, found {}", echo(s)))?
        .with_timezone(&Utc);
    if t.nanosecond() >= 1_000_000_000 {
        return Err(format!(
            "{} is a leap second, which slawatch does not keep (UTC instants here have no \
             second 60); write it as the next second (:00 of the next minute)",
            echo(s)
        ));
    }
    if !(0..=9999).contains(&t.year()) {
        return Err(format!(
            "{} is in UTC the year {}; instants must fall in the years 0000 to 9999 in UTC",
            echo(s),
            t.year()
        ));
    }
    // Stored instants have microseconds; cut here, where it works for every year
    // (chrono's duration_trunc, which Event::normalized uses, gives up after 2262).
    Ok(t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t))
}

/// A parser's message about `value`, with the value as [`echo`] shows it.
fn capped(message: String, value: &str) -> String {
    message.replace(&format!("{value:?}"), &echo(value))
}

/// A value as it appeared, short enough for one error line.
pub fn found(v: &Value) -> String {
    match v {
        Value::String(s) => echo(s),
        Value::Array(a) if a.len() > ECHO_CHARS => format!("an array of {} values", a.len()),
        Value::Object(m) if m.len() > ECHO_CHARS => format!("an object of {} fields", m.len()),
        other => {
            let text = other.to_string();
            match text.char_indices().nth(ECHO_CHARS) {
                None => text,
                Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn event_without_id_gets_a_stable_content_id() {
        let r = rec(
            json!({"ticket": "T-1", "kind": "note", "at": "2026-03-02T09:00:00Z",
            "payload": {"text": "hello"}}),
        );
        let a = to_event(&r, Expect::Either).unwrap();
        let b = to_event(&r, Expect::Event).unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!(a.id.len(), 36);
        assert_eq!(&a.id[14..15], "8", "UUID version 8: {}", a.id);
        assert_eq!(a.recorded_at, a.at);
        let mut other = r.clone();
        other.insert("payload".into(), json!({"text": "hello!"}));
        assert_ne!(to_event(&other, Expect::Either).unwrap().id, a.id);
    }

    #[test]
    fn ticket_record_becomes_detected_event() {
        let r = rec(
            json!({"ticket": "ACME-1", "customer": "acme-telecom", "priority": "p2",
            "title": "Loss of signal", "service": "", "detected_at": "2026-03-02T09:00:00+01:00",
            "actor": "import"}),
        );
        let e = to_event(&r, Expect::Either).unwrap();
        assert_eq!(e.kind, EventKind::Detected);
        assert_eq!(e.id, ticket_detected_id("ACME-1"));
        assert_eq!(
            Value::Object(e.payload),
            json!({"priority": "P2", "customer": "acme-telecom", "title": "Loss of signal"})
        );
        assert_eq!(e.at.to_rfc3339(), "2026-03-02T08:00:00+00:00");
    }

    #[test]
    fn every_field_problem_of_a_record_is_reported() {
        let r = rec(json!({"ticket": 5, "kind": "reopened", "at": "yesterday",
            "payload": [1], "extra": true}));
        let errs = to_event(&r, Expect::Either).unwrap_err();
        assert_eq!(
            fields(errs.clone()),
            ["extra", "ticket", "kind", "at", "payload"]
        );
        assert_eq!(
            errs[3].message,
            "expected an RFC 3339 instant like 2026-03-02T09:00:00Z, found \"yesterday\""
        );
        let r = rec(json!({"ticket": "T", "customer": "c", "priority": "P0",
            "detected_at": "2026-03-02T09:00:00Z"}));
        assert_eq!(
            fields(to_event(&r, Expect::Either).unwrap_err()),
            ["priority", "title"]
        );
    }

    #[test]
    fn kind_specific_rules_come_from_validate() {
        let r = rec(
            json!({"ticket": "T", "kind": "escalated", "at": "2026-03-02T09:00:00Z",
            "payload": {"level": 2}}),
        );
        let errs = to_event(&r, Expect::Either).unwrap_err();
        assert_eq!(fields(errs), ["payload.to"]);
        let r = rec(json!({"ticket": "T", "customer": "c", "priority": "P1",
            "title": "x", "detected_at": "2026-03-02T09:00:00Z"}));
        assert!(
            to_event(&r, Expect::Event).is_err(),
            "a ticket under events"
        );
        assert!(to_event(&r, Expect::Ticket).is_ok());
    }

    #[test]
    fn found_values_are_short() {
        assert_eq!(found(&json!("x")), "\"x\"");
        assert_eq!(found(&json!(null)), "null");
        assert!(found(&json!("é".repeat(100))).ends_with("… (200 bytes)"));
        let big = found(&json!("x".repeat(100_000_000 / 1000)));
        assert!(big.len() < 120, "{big}");
    }
}
