//! The server's JSON as a remote source reads it (see `assets/openapi.yaml`), and the
//! nudges as it sends them to be claimed.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::model::Event;
use crate::sla::Facts;
use crate::store::{Claim, NudgeRecord, StoredEvent, TicketFacts};
use crate::sync::SourceError;

/// A projection row: `GET /v1/tickets` and `GET /v1/tickets/{id}`.
#[derive(Deserialize)]
pub struct Row {
    pub ticket: String,
    pub head: String,
    pub facts: Option<Facts>,
}

impl Row {
    pub fn facts(self) -> TicketFacts {
        (self.ticket, self.facts.map(Arc::new))
    }
}

/// `GET /v1/tickets?state=closed` (the open ones are read as they arrive, see
/// `snapshot`).
#[derive(Deserialize)]
pub struct Snapshot {
    pub tickets: Vec<Row>,
}

#[derive(Deserialize)]
pub struct OneTicket {
    pub ticket: Row,
    pub events: Vec<Value>,
}

#[derive(Deserialize)]
pub struct Feed {
    pub events: Vec<Value>,
    pub cursor: String,
}

#[derive(Deserialize)]
pub struct Whoami {
    pub name: String,
    pub role: String,
}

/// `POST /v1/events`'s answer: each event's place.
#[derive(Deserialize)]
pub struct Stored {
    pub events: Vec<StoredRef>,
}

#[derive(Deserialize)]
pub struct StoredRef {
    pub id: String,
    pub seq: i64,
    pub hash: String,
    pub new: bool,
}

/// A 409's body: the head now, and the events after the one expected.
#[derive(Deserialize)]
pub struct Moved {
    pub head: String,
    #[serde(default)]
    pub events: Vec<Value>,
}

/// A stored event as the server sends it: the event's fields, with `seq`, `prev_hash`
/// and `hash` beside them.
pub fn stored_event(v: Value) -> Result<StoredEvent, SourceError> {
    let bad = |why: String| {
        SourceError::Rejected(format!(
            "the server sent an event this slawatch cannot read: {why}"
        ))
    };
    let Value::Object(mut m) = v else {
        return Err(bad("not an object".into()));
    };
    let seq = m
        .remove("seq")
        .and_then(|s| s.as_i64())
        .ok_or_else(|| bad("no seq".into()))?;
    let mut text = |k: &str| match m.remove(k) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(bad(format!("no {k}"))),
    };
    let prev_hash = text("prev_hash")?;
    let hash = text("hash")?;
    let event: Event = serde_json::from_value(Value::Object(m)).map_err(|e| bad(e.to_string()))?;
    Ok(StoredEvent {
        seq,
        event,
        prev_hash,
        hash,
    })
}

/// The id and ticket of a stored event as the server sends it, without reading the rest.
pub fn id_of(v: &Value) -> Option<&str> {
    v.get("id").and_then(Value::as_str)
}

pub fn claim_body(records: &[NudgeRecord]) -> Vec<u8> {
    let nudges: Vec<Value> = records.iter().map(NudgeRecord::to_json).collect();
    serde_json::to_vec(&json!({ "nudges": nudges })).expect("JSON values serialise")
}

#[derive(Deserialize)]
pub struct Claims {
    pub claims: Vec<WireClaim>,
}

#[derive(Deserialize)]
pub struct WireClaim {
    pub claim: String,
    pub until: Option<i64>,
}

impl WireClaim {
    pub fn claim(&self) -> Result<Claim, SourceError> {
        match (self.claim.as_str(), self.until) {
            ("claimed", _) => Ok(Claim::Claimed),
            ("already_sent", _) => Ok(Claim::AlreadySent),
            ("snoozed", Some(u)) => Ok(Claim::Snoozed(u)),
            (c, _) => Err(SourceError::Rejected(format!(
                "the server answered a nudge claim with {c:?}"
            ))),
        }
    }
}

/// `GET /v1/nudges/sent`.
#[derive(Deserialize)]
pub struct Sent {
    pub nudges: Vec<SentNudge>,
}

#[derive(Deserialize)]
pub struct SentNudge {
    ticket: String,
    metric: String,
    cycle_start: i64,
    target: i64,
    kind: String,
    value: i64,
    threshold_at: i64,
    due: i64,
    fired_at: i64,
    late: bool,
    loud: bool,
    priority: String,
    summary: String,
}

impl SentNudge {
    pub fn record(self) -> Result<NudgeRecord, SourceError> {
        let metric = crate::sla::Metric::parse(&self.metric).ok_or_else(|| {
            SourceError::Rejected(format!(
                "the server sent a nudge of an unknown metric {:?}",
                self.metric
            ))
        })?;
        Ok(NudgeRecord {
            ticket: self.ticket,
            metric,
            cycle_start: self.cycle_start,
            target: self.target,
            kind: self.kind,
            value: self.value,
            threshold_at: self.threshold_at,
            due: self.due,
            fired_at: self.fired_at,
            late: self.late,
            loud: self.loud,
            priority: self.priority,
            summary: self.summary,
        })
    }
}

/// `GET /v1/snoozes`.
#[derive(Deserialize)]
pub struct Snoozes {
    pub snoozes: Vec<Snooze>,
}

#[derive(Deserialize)]
pub struct Snooze {
    pub ticket: String,
    pub until: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_event_splits_into_its_place_and_the_event() {
        let v = json!({"seq": 7, "id": "e1", "ticket": "T-1", "kind": "acknowledged",
            "at": "2026-03-02T09:00:00Z", "recorded_at": "2026-03-02T09:00:01Z", "actor": "alice",
            "payload": {}, "prev_hash": "p", "hash": "h"});
        let s = stored_event(v).unwrap();
        assert_eq!(
            (s.seq, s.prev_hash.as_str(), s.hash.as_str()),
            (7, "p", "h")
        );
        assert_eq!(
            (s.event.id.as_str(), s.event.actor.as_str()),
            ("e1", "alice")
        );
        let e = stored_event(json!({"id": "e1"})).unwrap_err();
        assert!(e.to_string().contains("no seq"), "{e}");
    }
}
