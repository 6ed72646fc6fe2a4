//! A group of independent one-event appends, planned from its tickets' histories and
//! settled from what `slawatch_append_group` (migration 4) answered. No I/O here: the
//! blocking store (append.rs) reads every history first; `serve`'s append connection
//! (pipelined.rs) mostly knows them already.

use std::collections::{BTreeMap, BTreeSet};

use super::chain::{called, head_of, lock_key, next, stored_before, Called};
use crate::model::Event;
use crate::store::team::{events_after, BatchOutcome};
use crate::store::{StoreError, StoredEvent, TicketRow};

pub(super) type Answer = Result<BatchOutcome, StoreError>;

/// What one call stores, and what is answered without it.
pub(super) struct Plan {
    /// Per item: answered already, or `None` (the call's, or to append alone).
    pub answers: Vec<Option<Answer>>,
    pub calls: Calls,
    /// Each ticket's history and this group's events on it (seq 0 until stored).
    pub histories: BTreeMap<String, Vec<StoredEvent>>,
}

/// Plans `items` on `histories` (one for every item's ticket, read fresh or known to
/// be a committed prefix of it) and `stored` (events already stored under the items'
/// ids, as far as they are known). A history known from before may be behind its
/// ticket: the call then refuses it ('moved') and the item goes alone; but a conflict
/// with an expected head is only answered from a history read fresh, which the caller
/// ensures for any item expecting a head other than its history's.
pub(super) fn plan(
    items: &[(Event, Option<String>)],
    mut histories: BTreeMap<String, Vec<StoredEvent>>,
    stored: &BTreeMap<String, StoredEvent>,
) -> Plan {
    let mut answers: Vec<Option<Answer>> = Vec::with_capacity(items.len());
    let mut calls = Calls::default();
    let mut seen_ids = BTreeSet::new();
    for (n, (e, expected)) in items.iter().enumerate() {
        if let Some(s) = stored.get(e.id.as_str()) {
            answers.push(Some(stored_before(s.clone(), e)));
            continue;
        }
        // The same id twice in the group: the second waits for the first's answer.
        if !seen_ids.insert(e.id.as_str()) {
            answers.push(None);
            continue;
        }
        let history = histories
            .get_mut(e.ticket.as_str())
            .expect("a history for every ticket of the group");
        let head = head_of(history);
        if let Some(expected) = expected.as_ref().filter(|x| **x != head) {
            // On top of an event of this group not yet stored: alone, once it is.
            if history.iter().any(|s| s.seq == 0) {
                answers.push(None);
                continue;
            }
            answers.push(Some(Ok(BatchOutcome::Conflict {
                ticket: e.ticket.clone(),
                expected: expected.clone(),
                head,
                after: events_after(history.clone(), expected),
            })));
            continue;
        }
        let first = history.is_empty();
        let (stored, row) = next(history, e);
        calls.push(n, &stored, first, &row);
        answers.push(None);
        calls.stored.push(stored);
    }
    Plan {
        answers,
        calls,
        histories,
    }
}

impl Plan {
    /// Takes in the call's rows `(i, outcome, stored_seq)`: each item stored gets its
    /// answer and its seq (in `histories` too); one known or moved stays `None`, to be
    /// appended alone, which finds out which and answers.
    pub(super) fn settle(
        &mut self,
        url: &str,
        rows: impl IntoIterator<Item = (i32, String, Option<i64>)>,
    ) -> Result<(), StoreError> {
        for (i, outcome, seq) in rows {
            let k = usize::try_from(i - 1)
                .ok()
                .filter(|k| *k < self.calls.index.len());
            let Some(k) = k else {
                return Err(StoreError::Postgres {
                    url: url.to_owned(),
                    message: format!(
                        "slawatch_append_group answered for item {i} of {}",
                        self.calls.index.len()
                    ),
                });
            };
            if let Called::Stored(seq) = called(url, &outcome, seq)? {
                let mut stored = self.calls.stored[k].clone();
                stored.seq = seq;
                if let Some(h) = self.histories.get_mut(stored.event.ticket.as_str()) {
                    if let Some(s) = h.iter_mut().find(|s| s.hash == stored.hash) {
                        s.seq = seq;
                    }
                }
                self.answers[self.calls.index[k]] =
                    Some(Ok(BatchOutcome::Stored(vec![(stored, true)])));
            }
        }
        Ok(())
    }

    /// The histories now wholly stored (every event with its seq): what the ticket is,
    /// as of this group's commit.
    pub(super) fn stored_histories(&mut self) -> impl Iterator<Item = (String, Vec<StoredEvent>)> {
        std::mem::take(&mut self.histories)
            .into_iter()
            .filter(|(_, h)| h.iter().all(|s| s.seq != 0))
    }
}

/// `slawatch_append_group`'s arguments, one array per parameter.
#[derive(Default)]
pub(super) struct Calls {
    /// The item each call is for, and the event it stores (seq 0 until stored).
    pub index: Vec<usize>,
    pub stored: Vec<StoredEvent>,
    pub lock: Vec<i64>,
    pub id: Vec<String>,
    pub ticket: Vec<String>,
    pub kind: Vec<&'static str>,
    pub at: Vec<i64>,
    pub recorded_at: Vec<i64>,
    pub actor: Vec<String>,
    pub payload: Vec<String>,
    pub prev_hash: Vec<String>,
    pub first: Vec<bool>,
    pub hash: Vec<String>,
    pub events: Vec<i64>,
    pub open: Vec<bool>,
    pub facts: Vec<Option<Vec<u8>>>,
    pub resolved_at: Vec<Option<i64>>,
}

impl Calls {
    fn push(&mut self, index: usize, stored: &StoredEvent, first: bool, row: &TicketRow) {
        let e = &stored.event;
        self.index.push(index);
        self.lock.push(lock_key(&e.ticket));
        self.id.push(e.id.clone());
        self.ticket.push(e.ticket.clone());
        self.kind.push(e.kind.as_str());
        self.at.push(e.at.timestamp_micros());
        self.recorded_at.push(e.recorded_at.timestamp_micros());
        self.actor.push(e.actor.clone());
        self.payload
            .push(serde_json::to_string(&e.payload).expect("a JSON map always serialises"));
        self.prev_hash.push(stored.prev_hash.clone());
        self.first.push(first);
        self.hash.push(stored.hash.clone());
        self.events.push(row.events);
        self.open.push(row.open);
        self.facts.push(row.facts_bytes());
        self.resolved_at.push(row.resolved_at);
    }

    /// The call's parameters, in `slawatch_append_group`'s order.
    pub fn params(&self) -> [&(dyn postgres::types::ToSql + Sync); 15] {
        [
            &self.lock,
            &self.id,
            &self.ticket,
            &self.kind,
            &self.at,
            &self.recorded_at,
            &self.actor,
            &self.payload,
            &self.prev_hash,
            &self.first,
            &self.hash,
            &self.events,
            &self.open,
            &self.facts,
            &self.resolved_at,
        ]
    }
}
