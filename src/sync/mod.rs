//! Where the console's data comes from and goes to, whatever the transport.
//!
//! [`Source`] is everything the console (and `slawatch watch`) reads and writes: a
//! snapshot of the open tickets with an opaque [`Cursor`], the change feed from a
//! cursor, one ticket's history, appends against an expected head, the nudge claims
//! and snoozes, and the inputs of a compliance month. [`local::LocalSource`] answers
//! from the SQLite store; a remote source (HTTP) goes beside it.
//!
//! A source may block: the console calls it only from the worker threads here
//! ([`feed`] for the snapshot, the change feed, histories and appends; [`jobs`] for
//! compliance months), each with a connection of its own from a [`Connect`], and
//! every worker under [`supervise`], which restarts it after a panic. The UI task
//! only exchanges messages with them, so it never waits on a source.

pub mod closed;
pub mod feed;
pub mod jobs;
pub mod local;
pub mod outbox;
pub mod remote;
pub mod supervise;

#[cfg(test)]
mod moved_tests;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::Event;
use crate::sla::penalty::Month;
use crate::sla::{Facts, Micros};
use crate::store::{Appended, Claim, NudgeRecord, StoredEvent, TicketFacts};

pub use local::LocalSource;

/// A place in a source's change feed. Opaque: only the source that gave it reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    /// A cursor made of a source's own token (sources only).
    pub fn from_token(token: impl Into<String>) -> Cursor {
        Cursor(token.into())
    }

    /// The source's token (sources only).
    pub fn token(&self) -> &str {
        &self.0
    }
}

/// Why a source could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// It could not be reached or read now (a missing or locked file, a network
    /// failure, a full disk): trying again later may work.
    #[error("{0}")]
    Unreachable(String),
    /// The ticket's head is no longer the one the caller expected.
    #[error("ticket {ticket} has moved on (its head is now {head}): {message}")]
    Conflict {
        ticket: String,
        head: String,
        message: String,
    },
    /// The source refuses this request as it is: retrying it unchanged never helps.
    #[error("{0}")]
    Rejected(String),
}

/// The head an append must find.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Whatever the head is when the append is made.
    Any,
    /// Only on top of this head (the chain's genesis hash for a new ticket).
    Head(String),
}

/// Tickets changed after a cursor (their facts as they now are) and the next cursor.
#[derive(Clone, Debug, Default)]
pub struct Changed {
    pub tickets: Vec<TicketFacts>,
    pub cursor: Option<Cursor>,
}

/// What a compliance month is computed from: whole histories where facts will not
/// do, and the folded facts of every other ticket that can matter.
pub type MonthInput = (Vec<Vec<Event>>, Vec<Arc<Facts>>);

/// What a connection is for: the local store opens a reader read-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Write,
    Read,
}

/// How a source on a server stands, for the header: where it is, since when it cannot
/// be reached, when it last answered, and what waits in its outbox.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// The server and who is signed in (`https://noc.example as alice`).
    pub place: String,
    pub offline_since: Option<Micros>,
    pub fresh_at: Option<Micros>,
    /// Events recorded here and waiting to be sent.
    pub queued: usize,
    /// Events that can no longer go in as recorded (the ticket moved on): kept, for
    /// the agent to decide.
    pub undecided: usize,
}

/// An event that could not go in as recorded (its ticket moved on, or the server
/// refused it on replay), kept for the agent to decide, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Undecided {
    pub event: Event,
    pub why: String,
}

/// What the agent decided about an [`Undecided`] event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send it again as it is, on top of whatever the ticket's head now is.
    Resubmit,
    /// Drop it: it is never sent.
    Discard,
}

/// One connection to where the data lives. Calls may block (see the module docs).
pub trait Source: Send {
    /// Whether appends can go in now (false: reads work, appends are refused).
    fn writable(&mut self) -> Result<bool, SourceError>;
    /// Every open ticket, passed on in chunks of about `chunk` as they are read, and
    /// the cursor the snapshot is consistent with.
    fn snapshot(
        &mut self,
        chunk: usize,
        each: &mut dyn FnMut(Vec<TicketFacts>),
    ) -> Result<Cursor, SourceError>;
    /// The tickets with events after `from`, and the cursor to ask from next.
    fn changes(&mut self, from: &Cursor) -> Result<Changed, SourceError>;
    /// The facts of these tickets as they now are.
    fn facts(&mut self, tickets: Vec<String>) -> Result<Vec<TicketFacts>, SourceError>;
    /// The closed tickets `query` picks, newest closed first (see [`closed`]).
    fn closed(&mut self, query: &closed::ClosedQuery) -> Result<Vec<TicketFacts>, SourceError>;
    /// One ticket's whole history in chain order, open or closed (empty if unknown).
    fn history(&mut self, ticket: &str) -> Result<Vec<StoredEvent>, SourceError>;
    /// Appends one event (idempotent by its id) on top of `expect`.
    fn append(&mut self, event: &Event, expect: &Expect) -> Result<Appended, SourceError>;
    /// Claims nudges for `user` (see [`crate::store::Store::claim_nudges`]).
    fn claim_nudges(
        &mut self,
        user: &str,
        records: &[NudgeRecord],
    ) -> Result<Vec<Claim>, SourceError>;
    /// The nudges `user` was sent since then, newest first, at most `limit`.
    fn nudges_sent(
        &mut self,
        user: &str,
        since: Micros,
        limit: usize,
    ) -> Result<Vec<NudgeRecord>, SourceError>;
    /// Snoozes `ticket`'s warnings for `user` until then; `None` lifts the snooze.
    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), SourceError>;
    /// `user`'s snoozes in force at `now`.
    fn snoozes(&mut self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, SourceError>;
    /// What the figures of `month` as of `now` need.
    fn month_input(&mut self, month: Month, now: DateTime<Utc>) -> Result<MonthInput, SourceError>;
    /// The link to a server (`None`: the source is local).
    fn link(&mut self) -> Option<Link> {
        None
    }
    /// How long to wait before reading the change feed again, `poll` being the
    /// configured interval: a source whose `changes` long-polls answers at once, one
    /// that cannot be reached when its next try is due.
    fn pause(&self, poll: Duration) -> Duration {
        poll
    }
    /// Events recorded earlier that the source found it could not store when it sent
    /// them on its own (a replayed outbox), with why; each is told once.
    fn notices(&mut self) -> Vec<(Event, String)> {
        Vec::new()
    }
    /// Whether the source itself keeps the event `id`, which it could not send now, to
    /// send it later (a server's outbox, on disk): the caller need not keep it too.
    fn holds(&mut self, id: &str) -> bool {
        let _ = id;
        false
    }
    /// The events kept for the agent to decide ([`Link::undecided`] of them), oldest
    /// first. A source that sends everything as it is recorded keeps none.
    fn undecided(&mut self) -> Result<Vec<Undecided>, SourceError> {
        Ok(Vec::new())
    }
    /// Carries out the agent's decision on the undecided event `id`: `Some` when a
    /// re-submitted event is stored now; `Unreachable` when it waits to be sent.
    fn decide(&mut self, id: &str, decision: Decision) -> Result<Option<Appended>, SourceError> {
        let _ = decision;
        Err(SourceError::Rejected(format!(
            "no event {id} waits for a decision here"
        )))
    }
}

/// Makes connections: one per worker thread. Connecting never blocks; the connection
/// opens on its first call.
pub trait Connect: Send + Sync {
    fn connect(&self, purpose: Purpose) -> Box<dyn Source>;
}

/// A shared [`Connect`], as the workers take it.
pub type Connector = Arc<dyn Connect>;
