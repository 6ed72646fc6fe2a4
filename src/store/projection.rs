//! The ticket projection: one row per ticket summarising its history, so the console's
//! first frame needs one small read instead of the whole log.

use super::{fold_all, Seq, StoredEvent};
use crate::model::{EventKind, GENESIS_HASH};
use crate::sla::Facts;

/// A ticket's current state as the projection caches it.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketRow {
    pub ticket: String,
    /// Hash of the ticket's newest event: what the next event chains onto.
    pub head: String,
    pub events: i64,
    pub last_seq: Seq,
    /// No `resolved` event yet.
    pub open: bool,
    /// `None` when the history does not fold (no `detected` event yet, say).
    pub facts: Option<Facts>,
}

impl TicketRow {
    /// The row a ticket's history (in chain order) implies.
    pub fn from_history(ticket: &str, history: &[StoredEvent]) -> TicketRow {
        let events: Vec<_> = history.iter().map(|s| s.event.clone()).collect();
        TicketRow {
            ticket: ticket.to_owned(),
            head: history
                .last()
                .map_or_else(|| GENESIS_HASH.to_owned(), |s| s.hash.clone()),
            events: history.len() as i64,
            last_seq: history.last().map_or(0, |s| s.seq),
            open: !events.iter().any(|e| e.kind == EventKind::Resolved),
            facts: fold_all(&events),
        }
    }

    pub(crate) fn facts_json(&self) -> Option<String> {
        self.facts
            .as_ref()
            .map(|f| serde_json::to_string(f).expect("facts always serialise"))
    }
}
