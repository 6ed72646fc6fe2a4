//! JSON (an array of records, or `{"tickets": [...], "events": [...]}`) and JSON lines.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::record::{found, to_event, Expect};
use super::{Found, LineIndex};

const SHAPE: &str =
    "expected a JSON array of records, or an object {\"tickets\": [...], \"events\": [...]}";

/// Records stay raw until each is parsed, so each can be located by its byte offset.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sections<'a> {
    #[serde(borrow, default)]
    tickets: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    events: Vec<&'a RawValue>,
}

pub(super) fn read_json(text: &str, out: &mut Found) {
    let lines = LineIndex::new(text);
    let start = text.len() - text.trim_start().len();
    let records: Vec<(&RawValue, String, Expect)> = match text.as_bytes().get(start) {
        None => return,
        Some(b'[') => match serde_json::from_str::<Vec<&RawValue>>(text) {
            Ok(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, raw)| (raw, format!("[{i}]"), Expect::Either))
                .collect(),
            Err(e) => return syntax_error(out, &e, 0),
        },
        Some(b'{') => match serde_json::from_str::<Sections>(text) {
            Ok(s) => {
                let tickets = s.tickets.into_iter().enumerate();
                let events = s.events.into_iter().enumerate();
                tickets
                    .map(|(i, raw)| (raw, format!("tickets[{i}]"), Expect::Ticket))
                    .chain(events.map(|(i, raw)| (raw, format!("events[{i}]"), Expect::Event)))
                    .collect()
            }
            Err(e) => return syntax_error(out, &e, 0),
        },
        Some(_) => {
            let line = lines.line(start);
            let column = start - lines.0[line - 1] + 1;
            return out.error(line, Some(column), SHAPE);
        }
    };
    for (raw, label, expect) in records {
        // The raw slice borrows from `text`, so its address gives its offset.
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let line = lines.line(offset);
        match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::Object(map)) => out.record(line, Some(label), to_event(&map, expect)),
            Ok(other) => out.record(line, Some(label), Err(vec![not_a_record(&other)])),
            Err(e) => syntax_error(out, &e, line - 1),
        }
    }
}

pub(super) fn read_jsonl(text: &str, out: &mut Found) {
    for (i, line) in text.split('\n').enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => out.record(line_no, None, to_event(&map, Expect::Either)),
            Ok(other) => out.record(line_no, None, Err(vec![not_a_record(&other)])),
            Err(e) => syntax_error(out, &e, i),
        }
    }
}

fn not_a_record(v: &Value) -> super::FieldError {
    super::FieldError {
        field: String::new(),
        message: format!("expected a record (a JSON object), found {}", found(v)),
    }
}

/// serde_json's message without its own " at line L column C", which we print first.
fn syntax_error(out: &mut Found, e: &serde_json::Error, lines_before: usize) {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    let message = if message.contains("unknown field") {
        format!("{message}; {SHAPE}")
    } else {
        format!("invalid JSON: {message}")
    };
    out.error(e.line() + lines_before, Some(e.column()), message);
}
