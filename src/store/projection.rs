//! The ticket projection: one row per ticket summarising its history, so the console's
//! first frame needs one small read instead of the whole log.

use super::{fold_all, Seq, StoredEvent};
use crate::model::{EventKind, GENESIS_HASH};
use std::sync::Arc;

use crate::sla::{Facts, Micros};

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
    /// Shared: the console's board and its nudge scheduler hold the same copy.
    pub facts: Option<Arc<Facts>>,
    /// When the ticket was resolved (the facts' `resolved_at`), so that readers can
    /// pick the tickets still relevant after some instant without decoding every row.
    pub resolved_at: Option<Micros>,
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
            resolved_at: None,
            facts: fold_all(&events).map(Arc::new),
        }
        .with_resolved_at()
    }

    /// Sets `resolved_at` from the facts.
    pub fn with_resolved_at(mut self) -> TicketRow {
        self.resolved_at = self.facts.as_ref().and_then(|f| f.resolved_at);
        self
    }

    /// The facts as the projection stores them (see [`decode_facts`]).
    pub(crate) fn facts_bytes(&self) -> Option<Vec<u8>> {
        self.facts
            .as_ref()
            .map(|f| postcard::to_allocvec(&**f).expect("facts always serialise"))
    }
}

/// Facts from their stored bytes (postcard: compact, and several times quicker to
/// read than JSON). The projection is a cache: a change to `Facts` needs a migration
/// that rebuilds it.
pub(crate) fn decode_facts(bytes: &[u8]) -> Result<Facts, String> {
    postcard::from_bytes(bytes).map_err(|e| e.to_string())
}
