//! The change feed on PostgreSQL, which must never skip an event.
//!
//! The trap: a sequence number is taken at insert but becomes visible at commit, so a
//! reader that asks for `seq > last` passes over an event whose transaction commits
//! after a later one. Here the feed is ordered by (inserting transaction id, seq) and
//! only reads rows whose transaction id is below `pg_snapshot_xmin` of the reading
//! statement's snapshot: every transaction below that horizon has finished, and any
//! transaction still to come gets a higher id, so nothing can ever appear before a
//! position once a reader has been given it. Appends do not wait for each other (only
//! for other appends to the same ticket); a reader waits at most as long as the oldest
//! transaction in flight on the cluster runs.
//!
//! Chain order per ticket follows because an append takes its ticket's lock before it
//! writes (so before it has a transaction id): the next append to that ticket gets its
//! id only after the previous one committed.
//!
//! A snapshot (`GET /v1/tickets`) reads the projection in a repeatable-read transaction
//! and gives a cursor at its horizon that carries the snapshot itself: the feed after
//! it skips exactly the transactions the snapshot already saw
//! (`pg_visible_in_snapshot`), until it has passed them all.

use super::{PgStore, TICKET_COLUMNS};
use crate::store::team::{Feed, FeedCursor, Snapshot, TicketState};
use crate::store::StoreError;

impl PgStore {
    pub(super) fn snapshot_rows(&self, state: TicketState) -> Result<Snapshot, StoreError> {
        let filter = match state {
            TicketState::Open => "WHERE open",
            TicketState::Closed => "WHERE NOT open",
            TicketState::All => "",
        };
        let err = self.err();
        let mut client = self.client.borrow_mut();
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(&err)?;
        // The first statement fixes the transaction's snapshot; this one reads it.
        let snap = tx
            .query_one(
                "SELECT pg_current_snapshot()::text, pg_snapshot_xmin(pg_current_snapshot())::text",
                &[],
            )
            .map_err(&err)?;
        let snapshot: String = snap.get(0);
        let xmin: String = snap.get(1);
        let rows = tx
            .query(
                &format!("SELECT {TICKET_COLUMNS} FROM tickets {filter} ORDER BY ticket"),
                &[],
            )
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
        drop(client);
        let tickets = rows
            .iter()
            .map(|r| self.decode_ticket(r))
            .collect::<Result<_, _>>()?;
        Ok(Snapshot {
            tickets,
            cursor: FeedCursor {
                // (xmin, 0): every transaction below the horizon is in the snapshot.
                tx: self.xid(&xmin)?,
                seq: 0,
                snapshot: Some(snapshot),
            },
        })
    }

    pub(super) fn feed_after(&self, after: &FeedCursor, limit: usize) -> Result<Feed, StoreError> {
        let limit = limit.max(1);
        // Taken first, and used as the bound, so that "nothing more below it" is known
        // for one and the same horizon.
        let horizon = self.horizon()?;
        let (tx, h, n) = (
            after.tx.to_string(),
            horizon.to_string(),
            i64::try_from(limit).unwrap_or(i64::MAX),
        );
        let rows = match &after.snapshot {
            None => self.query_prepared(
                concat!(
                    "SELECT ",
                    event_columns!(),
                    ", tx::text FROM events
                     WHERE (tx, seq) > ($1::text::xid8, $2) AND tx < $3::text::xid8
                     ORDER BY events.tx, events.seq LIMIT $4"
                ),
                &[&tx, &after.seq, &h, &n],
            ),
            Some(snap) => self.query_prepared(
                concat!(
                    "SELECT ",
                    event_columns!(),
                    ", tx::text FROM events
                     WHERE (tx, seq) > ($1::text::xid8, $2) AND tx < $3::text::xid8
                       AND NOT pg_visible_in_snapshot(tx, $5::text::pg_snapshot)
                     ORDER BY events.tx, events.seq LIMIT $4"
                ),
                &[&tx, &after.seq, &h, &n, snap],
            ),
        }?;
        let mut cursor = after.clone();
        let mut events = Vec::with_capacity(rows.len());
        for r in &rows {
            let e = super::decode_event(r).map_err(|(seq, _, why)| self.corrupt(seq, why))?;
            let tx: String = r.get(10);
            cursor.tx = self.xid(&tx)?;
            cursor.seq = e.seq;
            events.push(e);
        }
        if let Some(snap) = &cursor.snapshot {
            let xmax = snap
                .split(':')
                .nth(1)
                .and_then(|x| x.parse::<u64>().ok())
                .ok_or_else(|| self.corrupt(0, format!("cursor snapshot {snap:?} has no xmax")))?;
            let whole = events.len() < limit;
            if cursor.tx >= xmax {
                // Every transaction the snapshot saw is behind the cursor.
                cursor.snapshot = None;
            } else if whole && horizon >= xmax {
                // Everything below the horizon was either given now or in the snapshot.
                cursor = FeedCursor {
                    tx: horizon,
                    seq: 0,
                    snapshot: None,
                };
            }
        }
        Ok(Feed { events, cursor })
    }

    pub(super) fn head_position(&self) -> Result<FeedCursor, StoreError> {
        let rows = self.query_prepared(
            "SELECT tx::text, seq FROM events
             WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
             ORDER BY events.tx DESC, events.seq DESC LIMIT 1",
            &[],
        )?;
        match rows.first() {
            Some(r) => {
                let tx: String = r.get(0);
                Ok(FeedCursor {
                    tx: self.xid(&tx)?,
                    seq: r.get(1),
                    snapshot: None,
                })
            }
            None => Ok(FeedCursor::default()),
        }
    }

    /// The oldest transaction still in flight (every one below it has finished).
    fn horizon(&self) -> Result<u64, StoreError> {
        let rows =
            self.query_prepared("SELECT pg_snapshot_xmin(pg_current_snapshot())::text", &[])?;
        let x: String = rows
            .first()
            .ok_or_else(|| self.corrupt(0, "the horizon query answered no row".into()))?
            .get(0);
        self.xid(&x)
    }

    fn xid(&self, text: &str) -> Result<u64, StoreError> {
        text.parse()
            .map_err(|_| self.corrupt(0, format!("transaction id {text:?} is not a number")))
    }
}
