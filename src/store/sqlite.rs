//! The embedded store: one SQLite file in WAL mode, shared safely by several processes.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row, Transaction};

use super::rules::check;
use super::{
    merkle_sqlite, nudges, schema, verify, Appended, Changes, Claim, Expect, NudgeRecord,
    OpenEvents, OpenTickets, Seq, Store, StoreError, StoredEvent, TicketRow, VerifyReport,
};
use crate::model::{canonical, chain_hash, Event, EventKind, GENESIS_HASH};
use crate::sla::Micros;

/// How long a writer waits for another process's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const EVENT_COLUMNS: &str =
    "seq, id, ticket, kind, at, recorded_at, actor, payload, prev_hash, hash";

/// What [`decode_ticket`] reads, in its order.
const TICKET_COLUMNS: &str = "ticket, head, events, last_seq, open, facts, resolved_at";

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// Single appends through this connection since it last brought the Merkle tree's
    /// edge up to date (see `merkle_sqlite`).
    behind: u64,
}

impl SqliteStore {
    /// Opens (creating if needed, with its directory) the store at `path` for reading
    /// and writing, bringing its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Self::open_with(path, flags)
    }

    /// Opens an existing store for reading (export, verify). One that an older slawatch
    /// wrote is upgraded first when the file can be written, and refused with what to
    /// do when it cannot. A file in a directory this user may not write is read as it
    /// is on disk ([`read_only`] says when that sees every event).
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        read_only::check_file(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        match Self::open_with(path, flags) {
            // Written by an older slawatch: upgrade it once, if this process may.
            Err(old @ StoreError::OlderSchema { .. }) => match SqliteStore::open(path) {
                Ok(upgraded) => {
                    drop(upgraded);
                    Self::open_with(path, flags)
                }
                Err(StoreError::ReadOnly { .. }) => Err(old),
                Err(e) => Err(e),
            },
            Err(StoreError::ReadOnly { .. }) if !read_only::whole_in_main_file(path) => {
                Err(read_only::unreadable_wal(path))
            }
            Err(StoreError::ReadOnly { .. }) if read_only::nobody_writes(path) => {
                let uri = read_only::immutable_uri(path)?;
                Self::open_at(path, Path::new(&uri), flags | OpenFlags::SQLITE_OPEN_URI)
            }
            Err(StoreError::ReadOnly { .. }) => Err(read_only::writable_by_others(path)),
            other => other,
        }
    }

    fn open_with(path: &Path, flags: OpenFlags) -> Result<SqliteStore, StoreError> {
        Self::open_at(path, path, flags)
    }

    /// Opens `target` (the path, or an SQLite URI for it); errors name `path`.
    fn open_at(path: &Path, target: &Path, flags: OpenFlags) -> Result<SqliteStore, StoreError> {
        let err = |e| StoreError::from_sqlite(path, e);
        let mut conn = Connection::open_with_flags(target, flags).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        if !flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY) {
            // SQLite quietly opens a write-protected file read-only; say so now rather
            // than at the first write.
            if conn
                .is_readonly(rusqlite::DatabaseName::Main)
                .map_err(err)?
            {
                return Err(StoreError::ReadOnly {
                    path: path.to_path_buf(),
                });
            }
            // WAL lets readers (consoles) run while a writer commits; FULL makes every
            // committed event survive a power cut, not only a process crash.
            until_not_busy(|| conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())))
                .map_err(err)?;
            // No memory map: what a reader touches through one counts as its resident
            // memory for as long as the connection lives (tens of MB for a console's
            // snapshot), and reads through SQLite's own small cache are as fast here.
            conn.execute_batch("PRAGMA synchronous = FULL")
                .map_err(err)?;
        }
        schema::migrate(&mut conn, path, |tx| {
            rebuild_projection_in(tx, path).map(|_| ())
        })?;
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            behind: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |e| StoreError::from_sqlite(&self.path, e)
    }

    /// Recomputes every projection row from the log (the projection is only a cache).
    /// Returns the number of tickets.
    pub fn rebuild_projection(&mut self) -> Result<usize, StoreError> {
        self.write(rebuild_projection_in)
    }

    /// Runs `sql` (selecting [`EVENT_COLUMNS`]) and decodes every row.
    fn query_events(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: &mut dyn FnMut(StoredEvent) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        query_events(&self.conn, &self.path, sql, params, f)
    }

    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(super) fn write<T>(
        &mut self,
        body: impl FnOnce(&Transaction, &Path) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let out = body(&tx, &path)?;
        tx.commit().map_err(err)?;
        Ok(out)
    }
}

impl Store for SqliteStore {
    fn append(&mut self, event: &Event, expect: Expect<'_>) -> Result<Appended, StoreError> {
        let event = event.clone().normalized();
        check(0, &event)?;
        let appended = self.write(|tx, path| {
            let appended = append_in(tx, path, &event, expect, None)?;
            if appended.new {
                refresh_projection(tx, path, &event.ticket)?;
            }
            Ok(appended)
        })?;
        if appended.new {
            self.behind += 1;
            if self.behind >= merkle_sqlite::EXTEND_EVERY {
                self.behind = 0;
                // The event is stored whatever happens here: a damaged edge row is
                // for `verify` to report, not a reason to fail this append.
                let _ = self.write(|tx, path| merkle_sqlite::extend(tx, path).map(drop));
            }
        }
        Ok(appended)
    }

    fn append_all(&mut self, events: &[Event]) -> Result<usize, StoreError> {
        let events: Vec<Event> = events.iter().map(|e| e.clone().normalized()).collect();
        for (i, e) in events.iter().enumerate() {
            check(i, e)?;
        }
        let mut bulk = self.bulk()?;
        for e in &events {
            bulk.push(e)?;
        }
        bulk.commit()
    }

    fn history(&self, ticket: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let mut out = Vec::new();
        self.query_events(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE ticket = ?1 ORDER BY seq"),
            [ticket],
            &mut |e| {
                out.push(e);
                Ok(())
            },
        )?;
        Ok(out)
    }

    fn open_tickets(&self) -> Result<OpenTickets, StoreError> {
        let mut tickets = Vec::new();
        let cursor = self.open_rows_chunked(8192, &mut |rows| tickets.extend(rows))?;
        Ok(OpenTickets { tickets, cursor })
    }

    fn ticket_rows(&self, tickets: &[String]) -> Result<Vec<TicketRow>, StoreError> {
        let err = self.err();
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        let mut stmt = tx
            .prepare_cached(&format!(
                "SELECT {TICKET_COLUMNS} FROM tickets WHERE ticket = ?1"
            ))
            .map_err(&err)?;
        let mut out = Vec::with_capacity(tickets.len());
        for t in tickets {
            let mut rows = stmt.query([t]).map_err(&err)?;
            if let Some(row) = rows.next().map_err(&err)? {
                out.push(decode_ticket(row, &self.path)?);
            }
        }
        Ok(out)
    }

    fn open_events(&self) -> Result<OpenEvents, StoreError> {
        let err = self.err();
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        let cursor = max_seq(&tx).map_err(&err)?;
        let open: HashSet<String> = {
            let mut stmt = tx
                .prepare("SELECT ticket FROM tickets WHERE open = 1")
                .map_err(&err)?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(&err)?;
            rows.collect::<Result<_, _>>().map_err(&err)?
        };
        // One pass in log order, filtered here: SQLite would sort the whole open set
        // to answer `ticket IN (...) ORDER BY seq`, which costs more than the scan.
        let mut stmt = tx
            .prepare(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE seq <= ?1 ORDER BY seq"
            ))
            .map_err(&err)?;
        let mut rows = stmt.query([cursor]).map_err(&err)?;
        let mut events = Vec::new();
        while let Some(row) = rows.next().map_err(&err)? {
            let ticket = row.get_ref(2).map_err(&err)?.as_str().unwrap_or_default();
            if open.contains(ticket) {
                events.push(decoded(row, &self.path)?);
            }
        }
        Ok(OpenEvents { events, cursor })
    }

    fn changes_since(&self, cursor: Seq, limit: usize) -> Result<Changes, StoreError> {
        let mut events = Vec::new();
        self.query_events(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
            params![cursor, i64::try_from(limit).unwrap_or(i64::MAX)],
            &mut |e| {
                events.push(e);
                Ok(())
            },
        )?;
        let cursor = events.last().map_or(cursor, |e| e.seq);
        Ok(Changes { events, cursor })
    }

    fn for_each_event(
        &self,
        ticket: Option<&str>,
        f: &mut dyn FnMut(StoredEvent) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match ticket {
            Some(t) => self.query_events(
                &format!("SELECT {EVENT_COLUMNS} FROM events WHERE ticket = ?1 ORDER BY seq"),
                [t],
                f,
            ),
            None => self.query_events(
                &format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY seq"),
                [],
                f,
            ),
        }
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        let err = self.err();
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        let mut stored: HashMap<String, Result<TicketRow, String>> = HashMap::new();
        {
            let mut stmt = tx
                .prepare(&format!("SELECT {TICKET_COLUMNS} FROM tickets"))
                .map_err(&err)?;
            let mut rows = stmt.query([]).map_err(&err)?;
            while let Some(row) = rows.next().map_err(&err)? {
                // An unreadable projection row is a finding, not a reason to stop.
                let ticket: String = row.get(0).map_err(&err)?;
                let decoded = decode_ticket(row, &self.path).map_err(|e| e.to_string());
                stored.insert(ticket, decoded);
            }
        }
        let mut checker = verify::Checker::new(stored);
        let mut stmt = tx
            .prepare(&format!(
                "SELECT {EVENT_COLUMNS} FROM events ORDER BY ticket, seq"
            ))
            .map_err(&err)?;
        let mut rows = stmt.query([]).map_err(&err)?;
        while let Some(row) = rows.next().map_err(&err)? {
            match decode_event(row) {
                Ok(Ok(e)) => checker.event(e),
                Ok(Err((seq, ticket, why))) => checker.unreadable(seq, ticket, why),
                Err(e) => return Err(err(e)),
            }
        }
        Ok(checker.finish())
    }

    fn claim_nudges(
        &mut self,
        user: &str,
        records: &[NudgeRecord],
    ) -> Result<Vec<Claim>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx, path| nudges::claim(tx, path, user, records))
    }

    fn nudges_sent(
        &self,
        user: &str,
        since: Micros,
        limit: usize,
    ) -> Result<Vec<NudgeRecord>, StoreError> {
        nudges::sent(&self.conn, &self.path, user, since, limit)
    }

    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), StoreError> {
        self.write(|tx, path| nudges::set_snooze(tx, path, user, ticket, until))
    }

    fn snoozes(&self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, StoreError> {
        nudges::snoozes(&self.conn, &self.path, user, now)
    }
}

fn append_in(
    tx: &Transaction,
    path: &Path,
    event: &Event,
    expect: Expect<'_>,
    edge: Option<&mut merkle_sqlite::Edge>,
) -> Result<Appended, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let mut existing = None;
    query_events(
        tx,
        path,
        &format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"),
        [&event.id],
        &mut |e| {
            existing = Some(e);
            Ok(())
        },
    )?;
    if let Some(stored) = existing {
        if canonical::canonical_bytes(&stored.event) != canonical::canonical_bytes(event) {
            return Err(StoreError::IdConflict {
                id: event.id.clone(),
                ticket: stored.event.ticket,
            });
        }
        return Ok(Appended { stored, new: false });
    }
    let head: String = tx
        .prepare_cached("SELECT hash FROM events WHERE ticket = ?1 ORDER BY seq DESC LIMIT 1")
        .and_then(|mut s| s.query_row([&event.ticket], |r| r.get(0)).optional())
        .map_err(err)?
        .unwrap_or_else(|| GENESIS_HASH.to_owned());
    if let Expect::Head(expected) = expect {
        if expected != head {
            return Err(StoreError::StaleHead {
                ticket: event.ticket.clone(),
                expected: expected.to_owned(),
                actual: head,
            });
        }
    }
    let hash = chain_hash(&head, event);
    let payload = serde_json::to_string(&event.payload).expect("a JSON map always serialises");
    tx.prepare_cached(
        "INSERT INTO events (id, ticket, kind, at, recorded_at, actor, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .and_then(|mut s| {
        s.execute(params![
            event.id,
            event.ticket,
            event.kind.as_str(),
            event.at.timestamp_micros(),
            event.recorded_at.timestamp_micros(),
            event.actor,
            payload,
            head,
            hash,
        ])
    })
    .map_err(err)?;
    let seq = tx.last_insert_rowid();
    if let Some(edge) = edge {
        edge.push(tx, path, seq, &hash)?;
    }
    Ok(Appended {
        stored: StoredEvent {
            seq,
            event: event.clone(),
            prev_hash: head,
            hash,
        },
        new: true,
    })
}

/// Recomputes every projection row from the log inside `tx`; returns the number of
/// tickets.
fn rebuild_projection_in(tx: &Transaction, path: &Path) -> Result<usize, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    tx.execute("DELETE FROM tickets", []).map_err(err)?;
    let tickets: Vec<String> = {
        let mut stmt = tx
            .prepare("SELECT DISTINCT ticket FROM events")
            .map_err(err)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)?
    };
    for t in &tickets {
        refresh_projection(tx, path, t)?;
    }
    Ok(tickets.len())
}

/// Rewrites one ticket's projection row from its history.
fn refresh_projection(tx: &Transaction, path: &Path, ticket: &str) -> Result<(), StoreError> {
    let mut history = Vec::new();
    query_events(
        tx,
        path,
        &format!("SELECT {EVENT_COLUMNS} FROM events WHERE ticket = ?1 ORDER BY seq"),
        [ticket],
        &mut |e| {
            history.push(e);
            Ok(())
        },
    )?;
    let row = TicketRow::from_history(ticket, &history);
    tx.prepare_cached(
        "INSERT OR REPLACE INTO tickets (ticket, head, events, last_seq, open, facts, resolved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            row.ticket,
            row.head,
            row.events,
            row.last_seq,
            row.open,
            row.facts_bytes(),
            row.resolved_at
        ])
    })
    .map_err(|e| StoreError::from_sqlite(path, e))?;
    Ok(())
}

fn max_seq(conn: &Connection) -> rusqlite::Result<Seq> {
    conn.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))
}

fn query_events(
    conn: &Connection,
    path: &Path,
    sql: &str,
    params: impl rusqlite::Params,
    f: &mut dyn FnMut(StoredEvent) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let mut stmt = conn.prepare_cached(sql).map_err(err)?;
    let mut rows = stmt.query(params).map_err(err)?;
    while let Some(row) = rows.next().map_err(err)? {
        f(decoded(row, path)?)?;
    }
    Ok(())
}

fn decoded(row: &Row, path: &Path) -> Result<StoredEvent, StoreError> {
    decode_event(row)
        .map_err(|e| StoreError::from_sqlite(path, e))?
        .map_err(|(seq, _, why)| StoreError::Corrupt {
            path: path.to_path_buf(),
            seq,
            why,
        })
}

/// A row of [`EVENT_COLUMNS`]; the inner error is (seq, ticket, what is wrong).
fn decode_event(row: &Row) -> rusqlite::Result<Result<StoredEvent, (Seq, String, String)>> {
    let seq: Seq = row.get(0)?;
    let ticket: String = row.get(2)?;
    let kind: String = row.get(3)?;
    let payload: String = row.get(7)?;
    let instant = |col: usize, name: &str| -> rusqlite::Result<Result<DateTime<Utc>, String>> {
        let us: i64 = row.get(col)?;
        Ok(DateTime::from_timestamp_micros(us).ok_or(format!("`{name}` {us} is out of range")))
    };
    let (at, recorded_at) = (instant(4, "at")?, instant(5, "recorded_at")?);
    let decoded = (|| {
        Ok(StoredEvent {
            seq,
            event: Event {
                id: row.get(1).map_err(|e| e.to_string())?,
                ticket: ticket.clone(),
                kind: kind.parse::<EventKind>()?,
                at: at?,
                recorded_at: recorded_at?,
                actor: row.get(6).map_err(|e| e.to_string())?,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| format!("payload is not a JSON object: {e}"))?,
            },
            prev_hash: row.get(8).map_err(|e| e.to_string())?,
            hash: row.get(9).map_err(|e| e.to_string())?,
        })
    })();
    Ok(decoded.map_err(|why: String| (seq, ticket, why)))
}

fn decode_ticket(row: &Row, path: &Path) -> Result<TicketRow, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let last_seq: Seq = row.get(3).map_err(err)?;
    Ok(TicketRow {
        ticket: row.get(0).map_err(err)?,
        head: row.get(1).map_err(err)?,
        events: row.get(2).map_err(err)?,
        last_seq,
        open: row.get(4).map_err(err)?,
        resolved_at: row.get(6).map_err(err)?,
        facts: decode_facts_at(row, 5, last_seq, path)?,
    })
}

/// Runs `step` again while SQLite answers busy at once, for up to [`BUSY_TIMEOUT`].
/// Switching a new file to WAL needs an exclusive lock that SQLite does not wait for
/// (a waiting reader could deadlock a writer), so two processes creating the same store
/// at one moment would otherwise fail the second at once.
fn until_not_busy<T>(mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match step() {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// The facts in column `i` of a projection row whose newest event is `seq`.
fn decode_facts_at(
    row: &Row,
    i: usize,
    seq: Seq,
    path: &Path,
) -> Result<Option<std::sync::Arc<crate::sla::Facts>>, StoreError> {
    // Borrowed: the bytes are decoded where SQLite keeps them.
    facts_from(facts_bytes_at(row, i, path)?, seq, path)
}

/// The stored bytes of the facts in column `i` (`None`: the history does not fold), or
/// what else the column holds.
fn facts_bytes_at<'r>(
    row: &'r Row,
    i: usize,
    path: &Path,
) -> Result<Result<Option<&'r [u8]>, String>, StoreError> {
    let value = row
        .get_ref(i)
        .map_err(|e| StoreError::from_sqlite(path, e))?;
    Ok(match value {
        ValueRef::Null => Ok(None),
        ValueRef::Blob(b) => Ok(Some(b)),
        other => Err(format!(
            "expected the facts' bytes, found a {} value",
            other.data_type()
        )),
    })
}

/// Facts from what [`facts_bytes_at`] read in the row whose newest event is `seq`.
fn facts_from(
    bytes: Result<Option<&[u8]>, String>,
    seq: Seq,
    path: &Path,
) -> Result<Option<std::sync::Arc<crate::sla::Facts>>, StoreError> {
    let decoded = match bytes {
        Ok(None) => return Ok(None),
        Ok(Some(b)) => super::projection::decode_facts(b),
        Err(why) => Err(why),
    };
    let facts = decoded.map_err(|why| StoreError::Corrupt {
        path: path.to_path_buf(),
        seq,
        why: format!("projection facts unreadable: {why}"),
    })?;
    Ok(Some(std::sync::Arc::new(facts)))
}

mod bulk;
pub use bulk::Bulk;
mod chunked;
mod read_only;
mod team;
#[cfg(test)]
mod tests;
mod tree;
