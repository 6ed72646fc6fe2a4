//! Projection rows in chunks, so a reader can work on the first rows while the rest are
//! still being decoded (the console evaluates 100,000 tickets' clocks while their rows
//! stream in) and never holds more than a chunk of them twice.

use rusqlite::Row;

use super::{decode_facts_at, decode_ticket, max_seq, SqliteStore, TICKET_COLUMNS};
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
        self.chunked(
            FACTS_COLUMNS,
            "WHERE open = 1",
            [],
            chunk,
            decode_ticket_facts,
            f,
        )
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
        self.chunked(
            FACTS_COLUMNS,
            &format!(
                "WHERE open = 1 UNION ALL SELECT {FACTS_COLUMNS} FROM tickets WHERE resolved_at >= ?1"
            ),
            [since],
            chunk,
            decode_ticket_facts,
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
        self.chunked(
            FACTS_COLUMNS,
            "WHERE open = 0 AND resolved_at >= ?1",
            [since],
            chunk,
            decode_ticket_facts,
            f,
        )
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
        decode: fn(&Row, &std::path::Path) -> Result<T, StoreError>,
        f: &mut dyn FnMut(Vec<T>),
    ) -> Result<Seq, StoreError> {
        let err = self.err();
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        let cursor = max_seq(&tx).map_err(&err)?;
        let mut stmt = tx
            .prepare_cached(&format!("SELECT {columns} FROM tickets {filter}"))
            .map_err(&err)?;
        let mut rows = stmt.query(params).map_err(&err)?;
        let chunk = chunk.max(1);
        let mut buf = Vec::with_capacity(chunk);
        while let Some(row) = rows.next().map_err(&err)? {
            buf.push(decode(row, &self.path)?);
            if buf.len() == chunk {
                f(std::mem::replace(&mut buf, Vec::with_capacity(chunk)));
            }
        }
        if !buf.is_empty() {
            f(buf);
        }
        Ok(cursor)
    }
}

fn decode_ticket_facts(row: &Row, path: &std::path::Path) -> Result<TicketFacts, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let seq: Seq = row.get(1).map_err(err)?;
    Ok((
        row.get(0).map_err(err)?,
        decode_facts_at(row, 2, seq, path)?,
    ))
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
