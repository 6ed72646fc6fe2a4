//! Projection rows in chunks, so a reader can work on the first rows while the rest are
//! still being decoded (the console evaluates 100,000 tickets' clocks while their rows
//! stream in) and never holds more than a chunk of them twice.

use super::{decode_ticket, max_seq, SqliteStore, TICKET_COLUMNS};
use crate::sla::Micros;
use crate::store::{Seq, StoreError, TicketRow};

impl SqliteStore {
    /// What [`crate::store::Store::open_tickets`] returns, passed to `f` at most `chunk`
    /// rows at a time, all read in one transaction; returns the change-feed cursor the
    /// rows are consistent with.
    pub fn open_tickets_chunked(
        &self,
        chunk: usize,
        f: &mut dyn FnMut(Vec<TicketRow>),
    ) -> Result<Seq, StoreError> {
        self.tickets_chunked("WHERE open = 1", [], chunk, f)
    }

    /// Every ticket still open or resolved at or after `since` (µs), with the penalty
    /// ledgers (never resolved), in chunks as [`SqliteStore::open_tickets_chunked`]:
    /// what a month's compliance figures can need, without the years before it.
    pub fn tickets_since_chunked(
        &self,
        since: Micros,
        chunk: usize,
        f: &mut dyn FnMut(Vec<TicketRow>),
    ) -> Result<Seq, StoreError> {
        self.tickets_chunked(
            &format!(
                "WHERE open = 1 UNION ALL SELECT {TICKET_COLUMNS} FROM tickets WHERE resolved_at >= ?1"
            ),
            [since],
            chunk,
            f,
        )
    }

    /// The rows `SELECT {TICKET_COLUMNS} FROM tickets {filter}` gives, in one read
    /// transaction (rows and cursor describe the same moment).
    fn tickets_chunked(
        &self,
        filter: &str,
        params: impl rusqlite::Params,
        chunk: usize,
        f: &mut dyn FnMut(Vec<TicketRow>),
    ) -> Result<Seq, StoreError> {
        let err = self.err();
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        let cursor = max_seq(&tx).map_err(&err)?;
        let mut stmt = tx
            .prepare_cached(&format!("SELECT {TICKET_COLUMNS} FROM tickets {filter}"))
            .map_err(&err)?;
        let mut rows = stmt.query(params).map_err(&err)?;
        let chunk = chunk.max(1);
        let mut buf = Vec::with_capacity(chunk);
        while let Some(row) = rows.next().map_err(&err)? {
            buf.push(decode_ticket(row, &self.path)?);
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
        assert_eq!(rows, whole.tickets);
    }
}
