//! Appending on PostgreSQL: ticket locks first (in name order, so two batches never
//! deadlock), then the same rules as every store, then one commit that also wakes the
//! change feed's listeners (`NOTIFY` is delivered at commit, or never).

use std::collections::{BTreeMap, BTreeSet};

use postgres::{Client, Transaction};
use sha2::{Digest, Sha256};

use super::{decode_event, PgStore, EVENT_COLUMNS};
use crate::model::{chain_hash, Event, GENESIS_HASH};
use crate::store::team::{events_after, BatchOutcome};
use crate::store::{rules, Appended, Expect, StoreError, StoredEvent, TicketRow};

/// The channel `serve` processes LISTEN on.
pub const CHANNEL: &str = "slawatch_events";

/// One event, with an optional expected head.
pub(super) fn one(
    client: &mut Client,
    url: &str,
    event: &Event,
    expect: Expect<'_>,
) -> Result<Appended, StoreError> {
    let mut expected = BTreeMap::new();
    if let Expect::Head(h) = expect {
        expected.insert(event.ticket.clone(), h.to_owned());
    }
    match batch(client, url, std::slice::from_ref(event), &expected)? {
        BatchOutcome::Stored(mut v) => {
            let (stored, new) = v.pop().expect("one event in, one out");
            Ok(Appended { stored, new })
        }
        BatchOutcome::Conflict {
            ticket,
            expected,
            head,
            ..
        } => Err(StoreError::StaleHead {
            ticket,
            expected,
            actual: head,
        }),
    }
}

/// Events already normalised and checked: all stored in one transaction, or none.
pub(super) fn batch(
    client: &mut Client,
    url: &str,
    events: &[Event],
    expect: &BTreeMap<String, String>,
) -> Result<BatchOutcome, StoreError> {
    let err = |e| PgStore::error(url, e);
    let mut tx = client.transaction().map_err(err)?;
    let tickets: BTreeSet<&str> = events.iter().map(|e| e.ticket.as_str()).collect();
    // No write before the locks: the transaction id is assigned at its first write,
    // after every ticket lock is held (the feed's chain order rests on that).
    for t in &tickets {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key(t)])
            .map_err(err)?;
    }
    let mut known = Vec::with_capacity(events.len());
    let mut fresh = BTreeSet::new();
    for e in events {
        let stored = by_id(&mut tx, url, &e.id)?;
        if stored.is_none() {
            fresh.insert(e.ticket.as_str());
        }
        known.push(stored);
    }
    for (ticket, expected) in expect.iter().filter(|(t, _)| fresh.contains(t.as_str())) {
        let head = head_of(&mut tx, url, ticket)?;
        if &head != expected {
            let history = history(&mut tx, url, ticket)?;
            return Ok(BatchOutcome::Conflict {
                ticket: ticket.clone(),
                expected: expected.clone(),
                head,
                after: events_after(history, expected),
            });
        }
    }
    let mut out = Vec::with_capacity(events.len());
    let mut touched = BTreeSet::new();
    let mut inserted: BTreeMap<&str, StoredEvent> = BTreeMap::new();
    for (e, stored) in events.iter().zip(known) {
        // The same id twice in one batch: the second is a re-send of the first.
        let stored = stored.or_else(|| inserted.get(e.id.as_str()).cloned());
        if let Some(stored) = stored {
            let a = rules::already_stored(stored, e)?;
            out.push((a.stored, false));
            continue;
        }
        let head = head_of(&mut tx, url, &e.ticket)?;
        let hash = chain_hash(&head, e);
        let payload = serde_json::to_string(&e.payload).expect("a JSON map always serialises");
        let row = tx
            .query_one(
                "INSERT INTO events (id, ticket, kind, at, recorded_at, actor, payload, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq",
                &[
                    &e.id,
                    &e.ticket,
                    &e.kind.as_str(),
                    &e.at.timestamp_micros(),
                    &e.recorded_at.timestamp_micros(),
                    &e.actor,
                    &payload,
                    &head,
                    &hash,
                ],
            )
            .map_err(|x| id_taken(url, e, x))?;
        let stored = StoredEvent {
            seq: row.get(0),
            event: e.clone(),
            prev_hash: head,
            hash,
        };
        inserted.insert(e.id.as_str(), stored.clone());
        touched.insert(e.ticket.as_str());
        out.push((stored, true));
    }
    for t in &touched {
        refresh_projection(&mut tx, url, t)?;
    }
    if !touched.is_empty() {
        tx.execute("SELECT pg_notify($1, '')", &[&CHANNEL])
            .map_err(err)?;
    }
    tx.commit().map_err(err)?;
    Ok(BatchOutcome::Stored(out))
}

/// An advisory lock key per ticket: the first 8 bytes of a hash of its name (two
/// tickets sharing one only wait for each other).
fn lock_key(ticket: &str) -> i64 {
    let d = Sha256::digest(format!("slawatch ticket {ticket}").as_bytes());
    i64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
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

fn by_id(tx: &mut Transaction, url: &str, id: &str) -> Result<Option<StoredEvent>, StoreError> {
    let rows = tx
        .query(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"),
            &[&id],
        )
        .map_err(|e| PgStore::error(url, e))?;
    rows.first().map(|r| decoded(url, r)).transpose()
}

fn head_of(tx: &mut Transaction, url: &str, ticket: &str) -> Result<String, StoreError> {
    let rows = tx
        .query(
            "SELECT hash FROM events WHERE ticket = $1 ORDER BY seq DESC LIMIT 1",
            &[&ticket],
        )
        .map_err(|e| PgStore::error(url, e))?;
    Ok(rows
        .first()
        .map_or_else(|| GENESIS_HASH.to_owned(), |r| r.get(0)))
}

pub(super) fn history(
    tx: &mut Transaction,
    url: &str,
    ticket: &str,
) -> Result<Vec<StoredEvent>, StoreError> {
    tx.query(
        &format!("SELECT {EVENT_COLUMNS} FROM events WHERE ticket = $1 ORDER BY seq"),
        &[&ticket],
    )
    .map_err(|e| PgStore::error(url, e))?
    .iter()
    .map(|r| decoded(url, r))
    .collect()
}

fn decoded(url: &str, row: &postgres::Row) -> Result<StoredEvent, StoreError> {
    decode_event(row).map_err(|(seq, _, why)| StoreError::PostgresCorrupt {
        url: url.to_owned(),
        seq,
        why,
    })
}

/// Rewrites one ticket's projection row from its history.
pub(super) fn refresh_projection(
    tx: &mut Transaction,
    url: &str,
    ticket: &str,
) -> Result<(), StoreError> {
    let history = history(tx, url, ticket)?;
    let row = TicketRow::from_history(ticket, &history);
    tx.execute(
        "INSERT INTO tickets (ticket, head, events, last_seq, open, facts, resolved_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (ticket) DO UPDATE SET head = EXCLUDED.head, events = EXCLUDED.events,
            last_seq = EXCLUDED.last_seq, open = EXCLUDED.open, facts = EXCLUDED.facts,
            resolved_at = EXCLUDED.resolved_at",
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
    .map_err(|e| PgStore::error(url, e))?;
    Ok(())
}
