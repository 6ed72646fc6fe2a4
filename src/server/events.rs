//! `POST /v1/events`: one event, a JSON array, JSON lines, or an envelope
//! `{"events": [...], "expect_heads": {"TICKET": "HASH"}}`. The body is checked
//! completely first (every problem located by line), then stored all or nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::auth::{self, Caller};
use super::error::ApiError;
use super::wire::stored_json;
use super::AppState;
use crate::formats::{read_bytes_located, Format, FormatError};
use crate::model::{canonical, Event};
use crate::store::team::BatchOutcome;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    events: &'a RawValue,
    #[serde(default)]
    expect_heads: BTreeMap<String, String>,
}

/// A problem with one record of the body.
#[derive(Debug)]
struct Located {
    line: usize,
    field: Option<String>,
    message: String,
}

impl Located {
    fn json(&self) -> Value {
        let text = match &self.field {
            Some(f) => format!("line {}: field {f}: {}", self.line, self.message),
            None => format!("line {}: {}", self.line, self.message),
        };
        json!({"line": self.line, "field": self.field, "message": self.message, "text": text})
    }
}

pub async fn post(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    match post_inner(&state, &headers, body).await {
        Ok(r) => r,
        Err(e) => {
            let counted = matches!(
                e.status,
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::FORBIDDEN
            );
            if counted {
                state.metrics.rejected.fetch_add(1, Ordering::Relaxed);
            } else if e.status == StatusCode::CONFLICT {
                state.metrics.conflicts.fetch_add(1, Ordering::Relaxed);
            }
            e.into_response()
        }
    }
}

async fn post_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let bytes = super::body::read(state, body).await?;
    let caller = auth::caller(state, headers).await?;
    if caller.role == crate::store::tokens::Role::Viewer {
        return Err(ApiError::forbidden(format!(
            "{:?} holds a viewer token, which only reads",
            caller.name
        )));
    }
    super::extract::json_body(headers)?;
    let json_lines = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("ndjson") || t.contains("jsonl"));
    let (events, expect) = parse(&bytes, json_lines).map_err(|problems| {
        let reused = |p: &Located| {
            p.field.as_deref() == Some("id") && p.message.ends_with(crate::formats::ID_REUSED)
        };
        if problems.iter().all(reused) {
            id_reused(problems)
        } else {
            unprocessable(problems)
        }
    })?;
    if events.is_empty() {
        return Err(unprocessable(vec![Located {
            line: 0,
            field: None,
            message: "no events in the body".into(),
        }]));
    }
    check(state, &caller, &events)?;
    let mut events: Vec<Event> = events.into_iter().map(|(e, _)| e).collect();
    let outcome = match events.len() {
        1 => {
            let e = events.pop().expect("one event");
            let expected = expect.get(&e.ticket).cloned();
            state.appender.append(e, expected).await?
        }
        _ => {
            state
                .pool
                .run(move |s| s.append_batch(&events, &expect))
                .await?
        }
    };
    state.heads.poke();
    match outcome {
        BatchOutcome::Stored(stored) => {
            let new = stored.iter().filter(|(_, n)| *n).count();
            state.metrics.events_appended.fetch_add(new as u64, Ordering::Relaxed);
            state
                .metrics
                .events_replayed
                .fetch_add((stored.len() - new) as u64, Ordering::Relaxed);
            let status = if new > 0 { StatusCode::CREATED } else { StatusCode::OK };
            let list: Vec<Value> = stored
                .iter()
                .map(|(s, n)| json!({"id": s.event.id, "ticket": s.event.ticket, "seq": s.seq, "hash": s.hash, "new": n}))
                .collect();
            Ok((status, Json(json!({"stored": new, "already_stored": stored.len() - new, "events": list}))).into_response())
        }
        BatchOutcome::Conflict {
            ticket,
            expected,
            head,
            after,
        } => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("ticket {ticket:?} has moved on: its head is {head}, not {expected}; nothing was stored"),
        )
        .with("ticket", json!(ticket))
        .with("expected", json!(expected))
        .with("head", json!(head))
        .with("events", Value::Array(after.iter().map(stored_json).collect()))),
    }
}

/// The events of a body with the line each starts on, and the expected heads.
type Parsed = (Vec<(Event, usize)>, BTreeMap<String, String>);

fn parse(bytes: &Bytes, json_lines: bool) -> Result<Parsed, Vec<Located>> {
    let body = Path::new("body");
    let text = std::str::from_utf8(bytes).map_err(|e| {
        vec![Located {
            line: line_of(bytes, e.valid_up_to()),
            field: None,
            message: format!("not UTF-8 text: invalid byte at offset {}", e.valid_up_to()),
        }]
    })?;
    let trimmed = text.trim_start();
    let located = |r: Result<Vec<(Event, usize)>, crate::formats::FormatErrors>, base: usize| {
        r.map(|v| v.into_iter().map(|(e, l)| (e, l + base)).collect())
            .map_err(|errs| {
                errs.iter()
                    .map(|e| from_format(e, base))
                    .collect::<Vec<_>>()
            })
    };
    if json_lines {
        return Ok((
            located(read_bytes_located(body, Format::Jsonl, bytes), 0)?,
            BTreeMap::new(),
        ));
    }
    if trimmed.starts_with('[') {
        return Ok((
            located(read_bytes_located(body, Format::Json, bytes), 0)?,
            BTreeMap::new(),
        ));
    }
    if trimmed.starts_with('{') {
        if let Ok(Value::Object(whole)) = serde_json::from_str::<Value>(text) {
            if whole.contains_key("events") {
                let env: Envelope = serde_json::from_str(text).map_err(|e| {
                    vec![Located {
                        line: e.line(),
                        field: None,
                        message: format!("expected {{\"events\": [...], \"expect_heads\": {{\"TICKET\": \"HASH\"}}}}: {e}"),
                    }]
                })?;
                let offset = env.events.get().as_ptr() as usize - text.as_ptr() as usize;
                let base = line_of(bytes, offset) - 1;
                let events = located(
                    read_bytes_located(body, Format::Json, env.events.get().as_bytes()),
                    base,
                )?;
                return Ok((events, env.expect_heads));
            }
            // One event, however it is laid out: as a one-element array, on the same lines.
            let wrapped = format!("[{text}]");
            return Ok((
                located(
                    read_bytes_located(body, Format::Json, wrapped.as_bytes()),
                    0,
                )?,
                BTreeMap::new(),
            ));
        }
        return Ok((
            located(read_bytes_located(body, Format::Jsonl, bytes), 0)?,
            BTreeMap::new(),
        ));
    }
    Err(vec![Located {
        line: 1,
        field: None,
        message: "expected one JSON event, a JSON array of events, JSON lines, or {\"events\": [...], \"expect_heads\": {...}}".into(),
    }])
}

fn from_format(e: &FormatError, base: usize) -> Located {
    // The line locates the record; its label (`[3]`) would only repeat it.
    Located {
        line: if e.line == 0 { 0 } else { e.line + base },
        field: e.field.clone(),
        message: e.message.clone(),
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The body gives one id to events of different content: the same conflict as an id
/// already stored with other content.
fn id_reused(problems: Vec<Located>) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        format!(
            "{} event id(s) given to different events in the body; nothing was stored",
            problems.len()
        ),
    )
    .with(
        "problems",
        Value::Array(problems.iter().map(Located::json).collect()),
    )
}

fn unprocessable(problems: Vec<Located>) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!(
            "{} problem(s) in the body; nothing was stored",
            problems.len()
        ),
    )
    .with(
        "problems",
        Value::Array(problems.iter().map(Located::json).collect()),
    )
}

/// Who may post these events: the server signs with the token's name, so an event must
/// carry that name as its actor, be of a kind the role records, and not claim to have
/// been recorded in the future.
fn check(state: &AppState, caller: &Caller, events: &[(Event, usize)]) -> Result<(), ApiError> {
    let mut forbidden = Vec::new();
    let mut invalid = Vec::new();
    let latest = chrono::Utc::now() + state.limits.clock_skew;
    for (e, line) in events {
        let at = |field: &str, message: String| Located {
            line: *line,
            field: Some(field.to_owned()),
            message,
        };
        if e.actor.is_empty() {
            invalid.push(at(
                "actor",
                format!("required: the name of this token, {:?}", caller.name),
            ));
        } else if e.actor != caller.name {
            forbidden.push(at(
                "actor",
                format!(
                    "{:?} is not this token's name {:?}: events are signed with the token's name",
                    e.actor, caller.name
                ),
            ));
        }
        if !caller.role.may_record(e.kind) {
            forbidden.push(at(
                "kind",
                format!(
                    "an {} token may not record `{}` events",
                    caller.role, e.kind
                ),
            ));
        }
        if e.recorded_at > latest {
            invalid.push(at(
                "recorded_at",
                format!(
                    "{} is in the future (more than {} s ahead of the server's clock)",
                    canonical::instant(e.recorded_at),
                    state.limits.clock_skew.num_seconds()
                ),
            ));
        }
    }
    if !forbidden.is_empty() {
        return Err(ApiError::forbidden(format!(
            "{} event(s) this token may not record; nothing was stored",
            forbidden.len()
        ))
        .with(
            "problems",
            Value::Array(forbidden.iter().map(Located::json).collect()),
        ));
    }
    if !invalid.is_empty() {
        return Err(unprocessable(invalid));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(problems: Vec<Located>) -> Vec<String> {
        problems
            .iter()
            .map(|p| p.json()["text"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn every_shape_parses_with_lines() {
        let one = Bytes::from("{\n \"id\": \"e1\", \"ticket\": \"T-1\", \"kind\": \"acknowledged\",\n \"at\": \"2026-03-02T09:00:00Z\", \"actor\": \"alice\"\n}");
        let (ev, heads) = parse(&one, false).unwrap();
        assert_eq!((ev.len(), ev[0].1, heads.len()), (1, 1, 0));
        let jsonl = Bytes::from(concat!(
            r#"{"id":"e1","ticket":"T-1","kind":"acknowledged","at":"2026-03-02T09:00:00Z","actor":"a"}"#,
            "\n",
            r#"{"id":"e2","ticket":"T-1","kind":"resolved","at":"2026-03-02T09:05:00Z","actor":"a"}"#,
            "\n"
        ));
        let (ev, _) = parse(&jsonl, false).unwrap();
        assert_eq!(ev.iter().map(|(_, l)| *l).collect::<Vec<_>>(), vec![1, 2]);
        let env = Bytes::from("{\"expect_heads\": {\"T-1\": \"abc\"},\n\"events\": [\n{\"id\":\"e1\",\"ticket\":\"T-1\",\"kind\":\"acknowledged\",\"at\":\"2026-03-02T09:00:00Z\",\"actor\":\"a\"}]}");
        let (ev, heads) = parse(&env, false).unwrap();
        assert_eq!(ev[0].1, 3);
        assert_eq!(heads["T-1"], "abc");
    }

    #[test]
    fn every_error_is_located() {
        let body = Bytes::from(concat!(
            r#"{"id":"e1","ticket":"T-1","kind":"acknowledged","at":"2026-03-02T09:00:00Z","actor":"a"}"#,
            "\n",
            r#"{"id":"e2","ticket":"T-1","kind":"acknowledged","actor":"a"}"#,
            "\n",
            r#"{"id":"e3","ticket":"T-1","kind":"paused","at":"yesterday","actor":"a"}"#,
            "\n",
            r#"{"id":"e4","ticket":"T-1","kind":"paused","at":"2026-03-02T09:00:00Z","actor":"a"}"#,
            "\n"
        ));
        let got = lines(parse(&body, false).unwrap_err());
        assert!(
            got.iter().any(|l| l.starts_with("line 2: field at:")),
            "{got:?}"
        );
        assert!(
            got.iter().any(|l| l.starts_with("line 3: field at:")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|l| l.starts_with("line 4: field payload.reason:")),
            "{got:?}"
        );
    }
}
