//! Projection rows in chunks, so a reader can work on the first rows while the rest are
//! still being read (the console evaluates 100,000 tickets' clocks while their rows
//! stream in) and never holds more than a few chunks of them at once.
//!
//! Facts are decoded on helper threads while the next rows are read: decoding costs
//! about as much as SQLite's reading, so one thread doing both takes twice as long as
//! two cores need. A chunk goes to its helper as a few buffers, not a value per row,
//! so that handing it over costs the reader next to nothing.

use std::path::Path;

use rusqlite::Row;

use super::{decode_ticket, facts_bytes_at, facts_from, max_seq, SqliteStore, TICKET_COLUMNS};
use crate::ordered::InOrder;
use crate::sla::Micros;
use crate::store::{Seq, StoreError, TicketFacts, TicketRow};

/// What readers of facts need of a projection row (no chain head: 100,000 of those
/// would be as many strings made and dropped at every start).
const FACTS_COLUMNS: &str = "ticket, last_seq, facts";

impl SqliteStore {
    /// Every open ticket and its facts, passed to `f` at most `chunk` at a time, all
    /// read in one transaction; returns the change-feed cursor they are consistent
    /// with.
    pub fn open_tickets_chunked(
        &self,
        chunk: usize,
        f: &mut dyn FnMut(Vec<TicketFacts>),
    ) -> Result<Seq, StoreError> {
        self.facts_chunked("WHERE open = 1", [], chunk, f)
    }

    /// Every ticket still open or resolved at or after `since` (µs), with the penalty
    /// ledgers (never resolved), and their facts, in chunks as
    /// [`SqliteStore::open_tickets_chunked`]: what a month's compliance figures can
    /// need, without the years before it.
    pub fn tickets_since_chunked(
        &self,
        since: Micros,
        chunk: usize,
        f: &mut dyn FnMut(Vec<TicketFacts>),
    ) -> Result<Seq, StoreError> {
        self.facts_chunked(
            &format!(
                "WHERE open = 1 UNION ALL SELECT {FACTS_COLUMNS} FROM tickets WHERE resolved_at >= ?1"
            ),
            [since],
            chunk,
            f,
        )
    }

    /// Every closed ticket resolved at or after `since` (µs), with its facts, in
    /// chunks as [`SqliteStore::open_tickets_chunked`].
    pub fn closed_tickets_chunked(
        &self,
        since: Micros,
        chunk: usize,
        f: &mut dyn FnMut(Vec<TicketFacts>),
    ) -> Result<Seq, StoreError> {
        self.facts_chunked("WHERE open = 0 AND resolved_at >= ?1", [since], chunk, f)
    }

    /// Every open ticket's whole projection row, in chunks.
    pub(super) fn open_rows_chunked(
        &self,
        chunk: usize,
        f: &mut dyn FnMut(Vec<TicketRow>),
    ) -> Result<Seq, StoreError> {
        self.chunked(
            TICKET_COLUMNS,
            "WHERE open = 1",
            [],
            chunk,
            decode_ticket,
            f,
        )
    }

    /// The rows `SELECT {columns} FROM tickets {filter}` gives, decoded, in one read
    /// transaction (rows and cursor describe the same moment).
    pub(super) fn chunked<T>(
        &self,
        columns: &str,
        filter: &str,
        params: impl rusqlite::Params,
        chunk: usize,
        decode: fn(&Row, &Path) -> Result<T, StoreError>,
        f: &mut dyn FnMut(Vec<T>),
    ) -> Result<Seq, StoreError> {
        let chunk = chunk.max(1);
        let mut buf = Vec::with_capacity(chunk);
        let cursor = self.each_row(columns, filter, params, &mut |row| {
            buf.push(decode(row, &self.path)?);
            if buf.len() == chunk {
                f(std::mem::replace(&mut buf, Vec::with_capacity(chunk)));
            }
            Ok(())
        })?;
        if !buf.is_empty() {
            f(buf);
        }
        Ok(cursor)
    }

    /// The tickets and facts of `SELECT {FACTS_COLUMNS} FROM tickets {filter}`, each
    /// chunk decoded on a helper thread while the next is read, passed to `f` in the
    /// order read.
    fn facts_chunked(
        &self,
        filter: &str,
        params: impl rusqlite::Params,
        chunk: usize,
        f: &mut dyn FnMut(Vec<TicketFacts>),
    ) -> Result<Seq, StoreError> {
        let chunk = chunk.max(1);
        let mut decoding = InOrder::per_core("slawatch-decode");
        let cursor = {
            let mut raw = RawChunk::default();
            let mut hand_over = |raw: RawChunk| -> Result<(), StoreError> {
                let path = self.path.clone();
                match decoding.push(move || raw.decode(&path)) {
                    Some(decoded) => decoded.map(&mut *f),
                    None => Ok(()),
                }
            };
            let cursor = self.each_row(FACTS_COLUMNS, filter, params, &mut |row| {
                raw.push(row, &self.path)?;
                if raw.len() == chunk {
                    hand_over(std::mem::take(&mut raw))?;
                }
                Ok(())
            })?;
            if raw.len() > 0 {
                hand_over(raw)?;
            }
            cursor
        };
        while let Some(decoded) = decoding.take_oldest() {
            f(decoded?);
        }
        Ok(cursor)
    }

    /// Calls `f` with each row of `SELECT {columns} FROM tickets {filter}` in one read
    /// transaction, stopping at its first error; returns the change-feed cursor the rows
    /// are consistent with.
    fn each_row(
        &self,
        columns: &str,
        filter: &str,
        params: impl rusqlite::Params,
        f: &mut dyn FnMut(&Row) -> Result<(), StoreError>,
    ) -> Result<Seq, StoreError> {
        let err = self.err();
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        let cursor = max_seq(&tx).map_err(&err)?;
        let mut stmt = tx
            .prepare_cached(&format!("SELECT {columns} FROM tickets {filter}"))
            .map_err(&err)?;
        let mut rows = stmt.query(params).map_err(&err)?;
        while let Some(row) = rows.next().map_err(&err)? {
            f(row)?;
        }
        Ok(cursor)
    }
}

/// Rows of `FACTS_COLUMNS` as read, to be decoded elsewhere: every ticket's name in one
/// string and every row's facts in one buffer, with where each row's part ends.
#[derive(Default)]
struct RawChunk {
    tickets: String,
    facts: Vec<u8>,
    rows: Vec<RawRow>,
}

struct RawRow {
    ticket_end: usize,
    seq: Seq,
    /// Where its facts end in `facts`, `None` if it has none, or what else the column
    /// held.
    facts_end: Result<Option<usize>, String>,
}

impl RawChunk {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn push(&mut self, row: &Row, path: &Path) -> Result<(), StoreError> {
        let err = |e| StoreError::from_sqlite(path, e);
        let ticket = row
            .get_ref(0)
            .map_err(err)?
            .as_str()
            .map_err(|e| err(e.into()))?;
        self.tickets.push_str(ticket);
        let facts_end = facts_bytes_at(row, 2, path)?.map(|b| {
            b.map(|b| {
                self.facts.extend_from_slice(b);
                self.facts.len()
            })
        });
        self.rows.push(RawRow {
            ticket_end: self.tickets.len(),
            seq: row.get(1).map_err(err)?,
            facts_end,
        });
        Ok(())
    }

    fn decode(self, path: &Path) -> Result<Vec<TicketFacts>, StoreError> {
        let (mut ticket_start, mut facts_start) = (0, 0);
        let mut out = Vec::with_capacity(self.rows.len());
        for r in &self.rows {
            let ticket = &self.tickets[ticket_start..r.ticket_end];
            ticket_start = r.ticket_end;
            let bytes = match &r.facts_end {
                Ok(Some(end)) => {
                    let b = &self.facts[facts_start..*end];
                    facts_start = *end;
                    Ok(Some(b))
                }
                Ok(None) => Ok(None),
                Err(why) => Err(why.clone()),
            };
            out.push((ticket.to_owned(), facts_from(bytes, r.seq, path)?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{SqliteStore, Store};

    #[test]
    fn chunks_add_up_to_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let now = chrono::Utc::now();
        s.append_all(&crate::tui::fixture::events(3, now, 25))
            .unwrap();
        let whole = s.open_tickets().unwrap();
        let mut sizes = Vec::new();
        let mut rows = Vec::new();
        let cursor = s
            .open_tickets_chunked(10, &mut |c| {
                sizes.push(c.len());
                rows.extend(c);
            })
            .unwrap();
        assert_eq!(cursor, whole.cursor);
        assert_eq!(sizes, vec![10, 10, 5]);
        let want: Vec<_> = whole
            .tickets
            .into_iter()
            .map(|r| (r.ticket, r.facts))
            .collect();
        assert_eq!(rows, want);
    }
}
