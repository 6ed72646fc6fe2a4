//! Appending on PostgreSQL.
//!
//! One event (what `POST /v1/events` mostly carries) costs one read and one call: the
//! ticket's history is read (with the event's id, in case it is a re-send), the hash
//! and the ticket's new projection row are computed here, the one place that knows
//! canonical bytes and folding, and `slawatch_append` (migration 3) stores them in one
//! statement in autocommit. It takes the ticket's lock before writing and refuses
//! ('moved') when the head is no longer the one the hash chains onto; the event is
//! then appended the other way.
//!
//! The other way, for a batch of several events: one transaction that takes every
//! ticket's lock first (in name order, so two batches never deadlock), reads under
//! them, then calls `slawatch_append` for each new event and commits once. In both
//! ways the lock comes before the transaction's first write, so before it has a
//! transaction id (the feed's chain order rests on that).
//!
//! A group (`group`): independent one-event appends, as concurrent requests bring
//! them to one `serve`, read in one query and stored by one call of
//! `slawatch_append_group` (migration 4) in one commit; an event the group could not
//! store as read (its ticket moved on, its id stored meanwhile) is appended alone.
//!
//! Every way notifies the change feed's listeners after its commit, in a statement of
//! its own: a NOTIFY inside the appending transaction would hold a database-wide lock
//! through the commit's flush, and appends would commit one at a time.

use std::collections::{BTreeMap, BTreeSet};

use postgres::{Client, GenericClient};

use super::chain::{called, head_of, lock_key, next, stored_before, Called};
use super::group;
use super::prepared::Prepared;
use super::{decode_event, PgStore};
use crate::model::Event;
use crate::store::team::{events_after, expect_of, BatchOutcome};
use crate::store::{rules, StoreError, StoredEvent, TicketRow};

/// The channel `serve` processes LISTEN on for appends; writers notify it after commit.
pub const CHANNEL: &str = "slawatch_events";
/// The channel a trigger on `tokens` notifies (migration 4).
pub const TOKENS_CHANNEL: &str = "slawatch_tokens";

const BY_ID: &str = concat!("SELECT ", event_columns!(), " FROM events WHERE id = $1");
const HISTORY: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE ticket = $1 ORDER BY seq"
);
/// A ticket's history and the event stored under an id, if any, in one read.
const HISTORY_AND_ID: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE ticket = $1 OR id = $2 ORDER BY seq"
);
const APPEND: &str = "SELECT outcome, stored_seq FROM slawatch_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
pub(super) const APPEND_GROUP: &str = "SELECT i, outcome, stored_seq FROM slawatch_append_group($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
/// The histories of a group's tickets and the events stored under its ids, in one read
/// (with repeats).
pub(super) const HISTORIES_AND_IDS: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM slawatch_histories($1, $2) ORDER BY seq"
);
pub(super) const NOTIFY: &str = "SELECT pg_notify($1, '')";
const PUT_TICKET: &str = "SELECT slawatch_put_ticket($1, $2, $3, $4, $5, $6, $7)";

/// One connection's means: the client (or a transaction on it), its prepared
/// statements, and the URL errors name.
pub(super) struct Conn<'a, C: GenericClient> {
    pub client: &'a mut C,
    pub prepared: &'a mut Prepared,
    pub url: &'a str,
}

impl<C: GenericClient> Conn<'_, C> {
    fn err(&self) -> impl Fn(postgres::Error) -> StoreError + '_ {
        |e| PgStore::error(self.url, e)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error> {
        let statement = self.prepared.get(self.client, sql)?;
        self.client.query(&statement, params)
    }

    fn events(
        &mut self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = self.query(sql, params).map_err(self.err())?;
        rows.iter().map(|r| decoded(self.url, r)).collect()
    }

    fn by_id(&mut self, id: &str) -> Result<Option<StoredEvent>, StoreError> {
        Ok(self.events(BY_ID, &[&id])?.pop())
    }

    pub(super) fn history(&mut self, ticket: &str) -> Result<Vec<StoredEvent>, StoreError> {
        self.events(HISTORY, &[&ticket])
    }

    /// `slawatch_append` for `stored` (its seq not yet known) and the ticket's `row`
    /// with it; `first` when it is the ticket's first event.
    fn call(
        &mut self,
        stored: &StoredEvent,
        first: bool,
        row: &TicketRow,
    ) -> Result<Called, StoreError> {
        let e = &stored.event;
        let payload = serde_json::to_string(&e.payload).expect("a JSON map always serialises");
        let rows = self
            .query(
                APPEND,
                &[
                    &lock_key(&e.ticket),
                    &e.id,
                    &e.ticket,
                    &e.kind.as_str(),
                    &e.at.timestamp_micros(),
                    &e.recorded_at.timestamp_micros(),
                    &e.actor,
                    &payload,
                    &stored.prev_hash,
                    &first,
                    &stored.hash,
                    &row.events,
                    &row.open,
                    &row.facts_bytes(),
                    &row.resolved_at,
                ],
            )
            .map_err(|x| id_taken(self.url, e, x))?;
        let row = rows.first().ok_or_else(|| StoreError::Postgres {
            url: self.url.to_owned(),
            message: "slawatch_append answered no row".into(),
        })?;
        called(self.url, row.get(0), row.get(1))
    }

    /// Wakes the change feed's listeners (every `serve`), after a commit. Best effort:
    /// the events are stored whatever happens here, and every `serve` also looks at the
    /// feed's head a few times a second while anyone waits.
    fn notify(&mut self) {
        if let Err(e) = self.query(NOTIFY, &[&CHANNEL]) {
            tracing::warn!(error = %e, "cannot notify the change feed's listeners");
        }
    }

    /// Writes the projection row of `ticket` from its history.
    pub(super) fn refresh_projection(&mut self, ticket: &str) -> Result<(), StoreError> {
        let history = self.history(ticket)?;
        let row = TicketRow::from_history(ticket, &history);
        self.query(
            PUT_TICKET,
            &[
                &row.ticket,
                &row.head,
                &row.events,
                &row.last_seq,
                &row.open,
                &row.facts_bytes(),
                &row.resolved_at,
            ],
        )
        .map_err(self.err())?;
        Ok(())
    }
}

/// Events already normalised and checked: all stored, or none.
pub(super) fn batch(
    client: &mut Client,
    prepared: &mut Prepared,
    url: &str,
    events: &[Event],
    expect: &BTreeMap<String, String>,
) -> Result<BatchOutcome, StoreError> {
    let done = match events {
        [e] => one(
            &mut Conn {
                client,
                prepared,
                url,
            },
            e,
            expect.get(&e.ticket).map(String::as_str),
        )?,
        _ => None,
    };
    let done = match done {
        Some(done) => done,
        None => locked(client, prepared, url, events, expect)?,
    };
    if stored_any(&done) {
        Conn {
            client,
            prepared,
            url,
        }
        .notify();
    }
    Ok(done)
}

/// Independent one-event appends, each with the head its sender expects (if any),
/// already normalised and checked: each answered as `batch` would answer it alone.
pub(super) fn group(
    client: &mut Client,
    prepared: &mut Prepared,
    url: &str,
    items: &[(Event, Option<String>)],
) -> Vec<Result<BatchOutcome, StoreError>> {
    let mut conn = Conn {
        client,
        prepared,
        url,
    };
    let mut answers: Vec<Option<Result<BatchOutcome, StoreError>>> = match grouped(&mut conn, items)
    {
        Ok(answers) => answers,
        // Nothing of the group was stored (one statement): each goes alone.
        Err(_) => items.iter().map(|_| None).collect(),
    };
    if answers
        .iter()
        .any(|a| matches!(a, Some(Ok(o)) if stored_any(o)))
    {
        conn.notify();
    }
    for (answer, (e, expected)) in answers.iter_mut().zip(items) {
        if answer.is_none() {
            *answer = Some(batch(
                conn.client,
                conn.prepared,
                url,
                std::slice::from_ref(e),
                &expect_of(e, expected.as_deref()),
            ));
        }
    }
    answers
        .into_iter()
        .map(|a| a.expect("every item answered"))
        .collect()
}

/// One read and one call for the whole group; `None` for an item to append alone.
fn grouped(
    conn: &mut Conn<'_, Client>,
    items: &[(Event, Option<String>)],
) -> Result<Vec<Option<Result<BatchOutcome, StoreError>>>, StoreError> {
    let mut tickets: Vec<&str> = items.iter().map(|(e, _)| e.ticket.as_str()).collect();
    let ids: Vec<&str> = items.iter().map(|(e, _)| e.id.as_str()).collect();
    tickets.sort_unstable();
    tickets.dedup();
    let mut read = conn.events(HISTORIES_AND_IDS, &[&tickets, &ids])?;
    read.dedup_by_key(|s| s.seq);
    let mut histories: BTreeMap<String, Vec<StoredEvent>> = tickets
        .iter()
        .map(|t| ((*t).to_owned(), Vec::new()))
        .collect();
    let mut stored = BTreeMap::new();
    for s in read {
        if let Some(h) = histories.get_mut(s.event.ticket.as_str()) {
            h.push(s.clone());
        }
        stored.insert(s.event.id.clone(), s);
    }
    let mut plan = group::plan(items, histories, &stored);
    if plan.calls.index.is_empty() {
        return Ok(plan.answers);
    }
    let rows = conn
        .query(APPEND_GROUP, &plan.calls.params())
        .map_err(conn.err())?;
    plan.settle(
        conn.url,
        rows.iter()
            .map(|r| (r.get(0), r.get::<_, String>(1), r.get(2))),
    )?;
    Ok(plan.answers)
}

fn stored_any(outcome: &BatchOutcome) -> bool {
    matches!(outcome, BatchOutcome::Stored(v) if v.iter().any(|(_, new)| *new))
}

/// One event in one call after one read; `None` when its ticket moved on in between.
fn one(
    conn: &mut Conn<'_, Client>,
    e: &Event,
    expected: Option<&str>,
) -> Result<Option<BatchOutcome>, StoreError> {
    let mut history = conn.events(HISTORY_AND_ID, &[&e.ticket, &e.id])?;
    if let Some(i) = history.iter().position(|s| s.event.id == e.id) {
        let stored = history.swap_remove(i);
        return Ok(Some(stored_before(stored, e)?));
    }
    let head = head_of(&history);
    if let Some(expected) = expected.filter(|x| *x != head) {
        return Ok(Some(BatchOutcome::Conflict {
            ticket: e.ticket.clone(),
            expected: expected.to_owned(),
            head,
            after: events_after(history, expected),
        }));
    }
    let first = history.is_empty();
    let (mut stored, row) = next(&mut history, e);
    match conn.call(&stored, first, &row)? {
        Called::Stored(seq) => {
            stored.seq = seq;
            Ok(Some(BatchOutcome::Stored(vec![(stored, true)])))
        }
        Called::Known => {
            let stored = conn.by_id(&e.id)?.ok_or_else(|| vanished(conn.url, e))?;
            Ok(Some(stored_before(stored, e)?))
        }
        Called::Moved => Ok(None),
    }
}

/// Under every ticket's lock, in one transaction.
fn locked(
    client: &mut Client,
    prepared: &mut Prepared,
    url: &str,
    events: &[Event],
    expect: &BTreeMap<String, String>,
) -> Result<BatchOutcome, StoreError> {
    let err = |e| PgStore::error(url, e);
    let mut tx = client.transaction().map_err(err)?;
    let mut conn = Conn {
        client: &mut tx,
        prepared,
        url,
    };
    let tickets: BTreeSet<&str> = events.iter().map(|e| e.ticket.as_str()).collect();
    // No write before the locks: the transaction id is assigned at its first write,
    // after every ticket lock is held (the feed's chain order rests on that).
    for t in &tickets {
        conn.query("SELECT pg_advisory_xact_lock($1)", &[&lock_key(t)])
            .map_err(err)?;
    }
    let mut known = Vec::with_capacity(events.len());
    let mut histories: BTreeMap<&str, Vec<StoredEvent>> = BTreeMap::new();
    for e in events {
        let stored = conn.by_id(&e.id)?;
        if stored.is_none() && !histories.contains_key(e.ticket.as_str()) {
            histories.insert(&e.ticket, conn.history(&e.ticket)?);
        }
        known.push(stored);
    }
    for (ticket, history) in &histories {
        let Some(expected) = expect.get(*ticket) else {
            continue;
        };
        let head = head_of(history);
        if &head != expected {
            return Ok(BatchOutcome::Conflict {
                ticket: (*ticket).to_owned(),
                expected: expected.clone(),
                head,
                after: events_after(history.clone(), expected),
            });
        }
    }
    let mut out = Vec::with_capacity(events.len());
    let mut inserted: BTreeMap<&str, StoredEvent> = BTreeMap::new();
    for (e, stored) in events.iter().zip(known) {
        // The same id twice in one batch: the second is a re-send of the first.
        let stored = stored.or_else(|| inserted.get(e.id.as_str()).cloned());
        if let Some(stored) = stored {
            out.push((rules::already_stored(stored, e)?.stored, false));
            continue;
        }
        let history = histories
            .get_mut(e.ticket.as_str())
            .expect("read for every ticket with a new event");
        let first = history.is_empty();
        let (mut stored, row) = next(history, e);
        match conn.call(&stored, first, &row)? {
            Called::Stored(seq) => {
                stored.seq = seq;
                if let Some(last) = history.last_mut() {
                    last.seq = seq;
                }
                inserted.insert(e.id.as_str(), stored.clone());
                out.push((stored, true));
            }
            // Stored since our look-up, by a transaction on another ticket.
            Called::Known => {
                let stored = conn.by_id(&e.id)?.ok_or_else(|| vanished(url, e))?;
                out.push((rules::already_stored(stored, e)?.stored, false));
            }
            Called::Moved => {
                return Err(StoreError::Postgres {
                    url: url.to_owned(),
                    message: format!(
                        "ticket {:?} moved on while this append held its lock",
                        e.ticket
                    ),
                })
            }
        }
    }
    tx.commit().map_err(err)?;
    Ok(BatchOutcome::Stored(out))
}

fn vanished(url: &str, e: &Event) -> StoreError {
    StoreError::Postgres {
        url: url.to_owned(),
        message: format!(
            "event {:?} was reported stored, then not found (events are append-only)",
            e.id
        ),
    }
}

/// The same id inserted by another transaction between our look-up and our insert
/// (on another ticket, so no ticket lock kept them apart).
fn id_taken(url: &str, e: &Event, x: postgres::Error) -> StoreError {
    let on_id = x
        .as_db_error()
        .is_some_and(|d| d.constraint() == Some("events_id_key"));
    match x.code() {
        Some(&postgres::error::SqlState::UNIQUE_VIOLATION) if on_id => StoreError::IdConflict {
            id: e.id.clone(),
            ticket: e.ticket.clone(),
        },
        _ => PgStore::error(url, x),
    }
}

fn decoded(url: &str, row: &postgres::Row) -> Result<StoredEvent, StoreError> {
    decode_event(row).map_err(|(seq, _, why)| StoreError::PostgresCorrupt {
        url: url.to_owned(),
        seq,
        why,
    })
}
