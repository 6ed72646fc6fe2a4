//! Persistence of the event log. A store keeps events exactly as recorded, chains them
//! per ticket, and answers the queries the console, importers and verifiers need. It
//! never computes SLA clocks; its one derived table, the ticket projection, is a cache
//! that `verify` checks against the log and that can be rebuilt from it.
//!
//! Ordering: the store, not the caller, places an event at its ticket's head inside
//! one write transaction, so every ticket has a single verifiable order even when
//! several processes append at once. A caller that must not append on top of history
//! it has not seen passes [`Expect::Head`] and gets [`StoreError::StaleHead`] back.

pub mod checkpoint;
mod error;
pub mod merkle;
pub mod merkle_frontier;
pub mod merkle_log;
mod merkle_sqlite;
pub mod merkle_verify;
mod nudges;
pub mod postgres;
mod projection;
mod rules;
mod schema;
mod sqlite;
mod target;
pub mod team;
pub mod tokens;
pub mod tree_store;
mod verify;

use std::path::PathBuf;

pub use error::StoreError;
pub use nudges::{Claim, NudgeRecord};
pub use projection::TicketRow;
pub use sqlite::{Bulk, SqliteStore};
pub use target::{open_team, open_team_read_only, StoreTarget};
pub use team::TeamStore;
pub use tree_store::TreeStore;
pub use verify::{Problem, VerifyReport};

use crate::model::Event;
use crate::sla::{Facts, Micros};

/// Position in the store's global sequence: every event has one, in commit order.
pub type Seq = i64;

/// An event as stored, with its place in the log and in its ticket's chain.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    pub seq: Seq,
    pub event: Event,
    pub prev_hash: String,
    pub hash: String,
}

/// What the caller requires of the ticket's head when appending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect<'a> {
    /// Chain onto whatever the head is when the write transaction starts.
    Any,
    /// Only append if the head is this hash (`GENESIS_HASH` for a new ticket).
    Head(&'a str),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Appended {
    pub stored: StoredEvent,
    /// False when an identical event with this id was already stored.
    pub new: bool,
}

/// Events after a cursor, and the cursor to ask from next time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    pub events: Vec<StoredEvent>,
    pub cursor: Seq,
}

/// The console's first frame: one row per open ticket, and the change-feed cursor the
/// snapshot is consistent with.
#[derive(Clone, Debug, Default)]
pub struct OpenTickets {
    pub tickets: Vec<TicketRow>,
    pub cursor: Seq,
}

/// Every event of every open ticket, grouped by ticket in chain order.
#[derive(Clone, Debug, Default)]
pub struct OpenEvents {
    pub events: Vec<StoredEvent>,
    pub cursor: Seq,
}

/// The queries and writes every store answers.
pub trait Store: Send {
    /// Appends one event (validated first). Idempotent by event id.
    fn append(&mut self, event: &Event, expect: Expect<'_>) -> Result<Appended, StoreError>;
    /// Appends all events in one transaction, each at its ticket's head; all or nothing.
    /// Returns how many were new.
    fn append_all(&mut self, events: &[Event]) -> Result<usize, StoreError>;
    /// One ticket's whole history in chain order (empty if unknown).
    fn history(&self, ticket: &str) -> Result<Vec<StoredEvent>, StoreError>;
    fn open_tickets(&self) -> Result<OpenTickets, StoreError>;
    /// The projection rows of these tickets, in the order given; unknown ones are left
    /// out.
    fn ticket_rows(&self, tickets: &[String]) -> Result<Vec<TicketRow>, StoreError>;
    fn open_events(&self) -> Result<OpenEvents, StoreError>;
    /// At most `limit` events with a sequence number above `cursor`, oldest first.
    fn changes_since(&self, cursor: Seq, limit: usize) -> Result<Changes, StoreError>;
    /// Whether any event is stored at all.
    fn holds_events(&self) -> Result<bool, StoreError> {
        Ok(!self.changes_since(0, 1)?.events.is_empty())
    }
    /// Every event in log order, passed to `f` one at a time (exports, evidence).
    fn for_each_event(
        &self,
        ticket: Option<&str>,
        f: &mut dyn FnMut(StoredEvent) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    fn verify(&self) -> Result<VerifyReport, StoreError>;

    /// Claims nudges for `user` in one transaction: each is [`Claim::Claimed`] by
    /// exactly one caller, [`Claim::AlreadySent`] for every other (any process), or
    /// [`Claim::Snoozed`] when it is a warning and the user snoozed the ticket.
    fn claim_nudges(
        &mut self,
        user: &str,
        nudges: &[NudgeRecord],
    ) -> Result<Vec<Claim>, StoreError>;
    /// The nudges `user` was sent at or after `since`, newest first, at most `limit`.
    fn nudges_sent(
        &self,
        user: &str,
        since: Micros,
        limit: usize,
    ) -> Result<Vec<NudgeRecord>, StoreError>;
    /// Snoozes `ticket`'s warnings for `user` until then; `None` lifts the snooze.
    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), StoreError>;
    /// `user`'s snoozes still in force at `now`: (ticket, until).
    fn snoozes(&self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, StoreError>;
}

/// Where the embedded store lives when neither `--db` nor `SLAWATCH_DB` says.
pub fn default_path() -> Result<PathBuf, StoreError> {
    let dirs = directories::ProjectDirs::from("", "", "slawatch").ok_or(StoreError::NoHome)?;
    Ok(dirs.data_dir().join("slawatch.db"))
}

/// A ticket and its facts as they now are (`None`: unknown, or its history does not
/// fold); shared by everyone who keeps them.
pub type TicketFacts = (String, Option<std::sync::Arc<Facts>>);

/// Each ticket's facts folded over its whole history, as the projection has them
/// (`None` for an unknown ticket or one whose history does not fold): what a reader of
/// the change feed needs for the tickets it saw events of.
pub fn current_facts(
    store: &dyn Store,
    tickets: impl IntoIterator<Item = String>,
) -> Result<Vec<TicketFacts>, StoreError> {
    let tickets: Vec<String> = tickets.into_iter().collect();
    let mut rows: std::collections::HashMap<String, TicketRow> = store
        .ticket_rows(&tickets)?
        .into_iter()
        .map(|r| (r.ticket.clone(), r))
        .collect();
    Ok(tickets
        .into_iter()
        .map(|t| {
            let facts = rows.remove(&t).and_then(|r| r.facts);
            (t, facts)
        })
        .collect())
}

/// A ticket's facts as the projection caches them: folded over its whole history.
pub(crate) fn fold_all(events: &[Event]) -> Option<Facts> {
    Facts::fold(events, chrono::DateTime::<chrono::Utc>::MAX_UTC).ok()
}
