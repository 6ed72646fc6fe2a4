//! CSV with a header row: events (the header has a `kind` column) or tickets.
//!
//! So that hand-written files stay pleasant, an events CSV may carry payload fields as
//! plain columns (`reason`, `to`, `level`, ...) instead of JSON in the `payload` cell.

use serde_json::{Map, Value};

use super::record::{found, to_event, Expect, FieldError, TICKET_FIELDS};
use super::Found;

/// Event columns that are the event's own fields rather than payload fields.
const EVENT_COLUMNS: [&str; 6] = ["id", "ticket", "kind", "at", "recorded_at", "actor"];
const EVENT_REQUIRED: [&str; 3] = ["ticket", "kind", "at"];
const TICKET_REQUIRED: [&str; 5] = ["ticket", "customer", "priority", "title", "detected_at"];
const LAYOUTS: &str = "an events CSV needs columns ticket, kind, at (optional: id, recorded_at, \
     actor, payload, and any payload field); a tickets CSV needs ticket, customer, priority, \
     title, detected_at (optional: service, assignee, actor)";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Events,
    Tickets,
}

pub(super) fn read(text: &str, out: &mut Found) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = reader.records();
    let header = match rows.next() {
        None => return,
        Some(Err(e)) => return csv_error(out, &e),
        Some(Ok(h)) => h,
    };
    let names: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    let header_line = header.position().map_or(1, |p| p.line() as usize);
    let Some(layout) = check_header(&names, header_line, out) else {
        return;
    };
    for row in rows {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                csv_error(out, &e);
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line() as usize);
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if row.len() != names.len() {
            out.error(
                line,
                None,
                format!(
                    "expected {} cells as in the header, found {}",
                    names.len(),
                    row.len()
                ),
            );
            continue;
        }
        let cells = names.iter().map(String::as_str).zip(row.iter());
        let result = match layout {
            Layout::Tickets => {
                let map = cells
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                    .collect();
                to_event(&map, Expect::Ticket)
            }
            Layout::Events => event_row(cells),
        };
        out.record(line, None, result);
    }
}

/// Which layout the header describes, or `None` (after reporting why) if rows cannot
/// be read by it.
fn check_header(names: &[String], line: usize, out: &mut Found) -> Option<Layout> {
    let before = out.errors.len();
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            out.error(
                line,
                None,
                format!("column {} has no name in the header", i + 1),
            );
        } else if names[..i].contains(name) {
            out.error(
                line,
                None,
                format!("column `{name}` appears twice in the header"),
            );
        }
    }
    let has = |c: &str| names.iter().any(|n| n == c);
    let layout = if !has("kind") && has("customer") {
        Layout::Tickets
    } else {
        Layout::Events
    };
    let required: &[&str] = match layout {
        Layout::Events => &EVENT_REQUIRED,
        Layout::Tickets => &TICKET_REQUIRED,
    };
    for c in required.iter().filter(|c| !has(c)) {
        out.error(
            line,
            None,
            format!("missing column `{c}` in the header: {LAYOUTS}"),
        );
    }
    if layout == Layout::Tickets {
        for n in names.iter().filter(|n| !n.is_empty()) {
            if !TICKET_FIELDS.contains(&n.as_str()) {
                out.error(
                    line,
                    None,
                    format!("unknown column `{n}` in a tickets CSV: {LAYOUTS}"),
                );
            }
        }
    }
    (out.errors.len() == before).then_some(layout)
}

/// An events row as a record: own fields from their columns, payload from the
/// `payload` JSON cell plus every other non-empty column.
fn event_row<'a>(
    cells: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<crate::model::Event, Vec<FieldError>> {
    let mut rec = Map::new();
    let mut payload = Map::new();
    let mut extra: Vec<(&str, &str)> = Vec::new();
    let mut errors = Vec::new();
    let mut payload_bad = false;
    let mut bad_columns: Vec<String> = Vec::new();
    for (name, cell) in cells {
        if cell.is_empty() {
            continue;
        }
        if EVENT_COLUMNS.contains(&name) {
            rec.insert(name.to_owned(), Value::String(cell.to_owned()));
        } else if name == "payload" {
            match serde_json::from_str::<Value>(cell) {
                Ok(Value::Object(m)) => payload = m,
                Ok(other) => {
                    payload_bad = true;
                    errors.push(field_error(
                        "payload",
                        format!("expected a JSON object, found {}", found(&other)),
                    ));
                }
                Err(e) => {
                    payload_bad = true;
                    errors.push(field_error(
                        "payload",
                        format!(
                            "expected a JSON object like {{\"reason\":\"customer\"}}, \
                             found {cell:?} ({e})"
                        ),
                    ));
                }
            }
        } else {
            extra.push((name, cell));
        }
    }
    for (name, cell) in extra {
        let value = if name == "level" {
            match cell.trim().parse::<u64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    errors.push(field_error(
                        name,
                        format!("expected a whole number 1 to 9, found {cell:?}"),
                    ));
                    bad_columns.push(format!("payload.{name}"));
                    continue;
                }
            }
        } else {
            Value::String(cell.to_owned())
        };
        if payload.contains_key(name) {
            errors.push(field_error(
                name,
                "given both as a column and inside the `payload` cell",
            ));
        } else {
            payload.insert(name.to_owned(), value);
        }
    }
    rec.insert("payload".into(), Value::Object(payload));
    match to_event(&rec, Expect::Event) {
        Ok(event) if errors.is_empty() => Ok(event),
        Ok(_) => Err(errors),
        Err(more) => {
            // A payload field that did not parse would also look missing: say it once.
            errors.extend(more.into_iter().filter(|e| {
                !(payload_bad && e.field.starts_with("payload") || bad_columns.contains(&e.field))
            }));
            Err(errors)
        }
    }
}

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn csv_error(out: &mut Found, e: &csv::Error) {
    let line = e.position().map_or(0, |p| p.line() as usize);
    out.error(line, None, format!("invalid CSV: {e}"));
}
