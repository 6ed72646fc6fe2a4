//! The JSON the API answers with: stored events and projection rows.

use serde::Serialize;
use serde_json::Value;

use crate::model::Event;
use crate::store::{StoredEvent, TicketRow};

#[derive(Serialize)]
struct WireEvent<'a> {
    seq: i64,
    #[serde(flatten)]
    event: &'a Event,
    prev_hash: &'a str,
    hash: &'a str,
}

pub fn stored_json(e: &StoredEvent) -> Value {
    serde_json::to_value(WireEvent {
        seq: e.seq,
        event: &e.event,
        prev_hash: &e.prev_hash,
        hash: &e.hash,
    })
    .expect("events always serialise")
}

#[derive(Serialize)]
pub struct WireTicket<'a> {
    ticket: &'a str,
    head: &'a str,
    events: i64,
    last_seq: i64,
    open: bool,
    resolved_at: Option<i64>,
    facts: Option<&'a crate::sla::Facts>,
}

pub fn ticket(row: &TicketRow) -> WireTicket<'_> {
    WireTicket {
        ticket: &row.ticket,
        head: &row.head,
        events: row.events,
        last_seq: row.last_seq,
        open: row.open,
        resolved_at: row.resolved_at,
        facts: row.facts.as_deref(),
    }
}

/// Serialises `value` to bytes on the blocking pool: a snapshot of 100,000 tickets is
/// tens of megabytes of JSON.
pub async fn json_bytes<T: Serialize + Send + 'static>(value: T) -> Vec<u8> {
    tokio::task::spawn_blocking(move || serde_json::to_vec(&value).expect("always serialises"))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}
