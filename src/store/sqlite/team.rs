//! [`TeamStore`] on SQLite: `slawatch serve --db FILE` for one host. SQLite takes one
//! writer at a time and a sequence number is visible from its commit on, so its feed is
//! simply the sequence order.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::{append_in, decode_ticket, max_seq, refresh_projection, SqliteStore, TICKET_COLUMNS};
use crate::model::{Event, GENESIS_HASH};
use crate::sla::Micros;
use crate::store::team::{events_after, BatchOutcome, Feed, FeedCursor, Snapshot, TicketState};
use crate::store::tokens::{NewToken, TokenInfo};
use crate::store::{rules, Expect, Store, StoreError, TeamStore, TicketRow};

const TOKEN_COLUMNS: &str = "name, role, created_at, expires_at, revoked_at";

impl TeamStore for SqliteStore {
    fn append_batch(
        &mut self,
        events: &[Event],
        expect: &BTreeMap<String, String>,
    ) -> Result<BatchOutcome, StoreError> {
        let events = rules::checked(events)?;
        self.write(|tx, path| {
            let err = |e| StoreError::from_sqlite(path, e);
            // A ticket whose events of this batch are all stored already (a re-send)
            // has nothing to check its head against.
            let mut fresh = BTreeSet::new();
            for e in &events {
                let known: Option<i64> = tx
                    .prepare_cached("SELECT 1 FROM events WHERE id = ?1")
                    .and_then(|mut s| s.query_row([&e.id], |r| r.get(0)).optional())
                    .map_err(err)?;
                if known.is_none() {
                    fresh.insert(e.ticket.as_str());
                }
            }
            for (ticket, expected) in expect.iter().filter(|(t, _)| fresh.contains(t.as_str())) {
                let head = head_of(tx, ticket).map_err(err)?;
                if &head != expected {
                    let history = self_history(tx, path, ticket)?;
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
            let mut edge = crate::store::merkle_sqlite::Edge::default();
            for e in &events {
                let a = append_in(tx, path, e, Expect::Any, Some(&mut edge))?;
                if a.new {
                    touched.insert(e.ticket.as_str());
                }
                out.push((a.stored, a.new));
            }
            edge.save(tx, path)?;
            for t in touched {
                refresh_projection(tx, path, t)?;
            }
            Ok(BatchOutcome::Stored(out))
        })
    }

    fn snapshot(&self, state: TicketState) -> Result<Snapshot, StoreError> {
        let mut tickets = Vec::new();
        let cursor = self.snapshot_chunked(state, 8192, &mut |rows| tickets.extend(rows))?;
        Ok(Snapshot { tickets, cursor })
    }

    fn snapshot_chunked(
        &self,
        state: TicketState,
        chunk: usize,
        each: &mut dyn FnMut(Vec<TicketRow>),
    ) -> Result<FeedCursor, StoreError> {
        let filter = match state {
            TicketState::Open => "WHERE open = 1",
            TicketState::Closed => "WHERE open = 0",
            TicketState::All => "",
        };
        let seq = self.chunked(TICKET_COLUMNS, filter, [], chunk, decode_ticket, each)?;
        Ok(FeedCursor {
            seq,
            ..FeedCursor::default()
        })
    }

    fn feed(&self, after: &FeedCursor, limit: usize) -> Result<Feed, StoreError> {
        let changes = self.changes_since(after.seq, limit)?;
        Ok(Feed {
            events: changes.events,
            cursor: FeedCursor {
                seq: changes.cursor,
                ..FeedCursor::default()
            },
        })
    }

    fn feed_head(&self) -> Result<FeedCursor, StoreError> {
        let seq = max_seq(&self.conn).map_err(self.err())?;
        Ok(FeedCursor {
            seq,
            ..FeedCursor::default()
        })
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |_| Ok(()))
            .map_err(self.err())
    }

    fn create_token(&mut self, token: &NewToken) -> Result<(), StoreError> {
        let t = &token.info;
        self.write(|tx, path| {
            let err = |e| StoreError::from_sqlite(path, e);
            let live: Option<String> = tx
                .query_row(
                    "SELECT name FROM tokens WHERE name = ?1 AND revoked_at IS NULL
                        AND (expires_at IS NULL OR expires_at > ?2)",
                    params![t.name, t.created_at],
                    |r| r.get(0),
                )
                .optional()
                .map_err(err)?;
            if live.is_some() {
                return Err(StoreError::TokenExists {
                    name: t.name.clone(),
                });
            }
            tx.execute(
                "INSERT INTO tokens (hash, name, role, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token.hash, t.name, t.role.as_str(), t.created_at, t.expires_at],
            )
            .map_err(err)?;
            Ok(())
        })
    }

    fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY name, created_at"
            ))
            .map_err(&err)?;
        let mut rows = stmt.query([]).map_err(&err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(&err)? {
            out.push(self.decode_token(row)?);
        }
        Ok(out)
    }

    fn revoke_token(&mut self, name: &str, now: Micros) -> Result<bool, StoreError> {
        self.write(|tx, path| {
            tx.execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
                params![name, now],
            )
            .map(|n| n > 0)
            .map_err(|e| StoreError::from_sqlite(path, e))
        })
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenInfo>, StoreError> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = ?1"
            ))
            .map_err(&err)?;
        let mut rows = stmt.query([hash]).map_err(&err)?;
        match rows.next().map_err(&err)? {
            Some(row) => Ok(Some(self.decode_token(row)?)),
            None => Ok(None),
        }
    }
}

impl SqliteStore {
    fn decode_token(&self, row: &Row) -> Result<TokenInfo, StoreError> {
        let err = self.err();
        let role: String = row.get(1).map_err(&err)?;
        Ok(TokenInfo {
            name: row.get(0).map_err(&err)?,
            role: role.parse().map_err(|why| StoreError::Corrupt {
                path: self.path.clone(),
                seq: 0,
                why: format!("tokens: {why}"),
            })?,
            created_at: row.get(2).map_err(&err)?,
            expires_at: row.get(3).map_err(&err)?,
            revoked_at: row.get(4).map_err(&err)?,
        })
    }
}

fn head_of(tx: &Transaction, ticket: &str) -> rusqlite::Result<String> {
    Ok(tx
        .prepare_cached("SELECT hash FROM events WHERE ticket = ?1 ORDER BY seq DESC LIMIT 1")?
        .query_row([ticket], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| GENESIS_HASH.to_owned()))
}

fn self_history(
    tx: &Transaction,
    path: &std::path::Path,
    ticket: &str,
) -> Result<Vec<crate::store::StoredEvent>, StoreError> {
    let mut out = Vec::new();
    super::query_events(
        tx,
        path,
        &format!(
            "SELECT {} FROM events WHERE ticket = ?1 ORDER BY seq",
            super::EVENT_COLUMNS
        ),
        [ticket],
        &mut |e| {
            out.push(e);
            Ok(())
        },
    )?;
    Ok(out)
}
