//! The team store: PostgreSQL, shared by several `slawatch serve` processes. The same
//! canonical bytes, chains, projection and checks as the SQLite store (shared code in
//! `store::{rules, projection, verify}`); only the SQL differs.
//!
//! Appends to one ticket are serialised by a transaction-scoped advisory lock on the
//! ticket, taken before the transaction writes anything: a later append to a ticket
//! therefore gets both a higher sequence number and a higher transaction id than the
//! one before it, which is what keeps the change feed in chain order (see `feed.rs`).

/// What every event query selects, in the order [`decode_event`] reads (a macro, so
/// that statements built with it are `&'static str`, as [`prepared::Prepared`] keys).
macro_rules! event_columns {
    () => {
        "seq, id, ticket, kind, at, recorded_at, actor, payload, prev_hash, hash"
    };
}

mod append;
mod chain;
mod feed;
mod group;
mod merkle;
mod notifier;
mod nudges;
mod pipelined;
mod prepared;
mod schema;
#[doc(hidden)]
pub mod scratch;
mod team;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use postgres::{Client, NoTls, Row};

use super::{
    verify, Appended, Changes, Claim, Expect, NudgeRecord, OpenEvents, OpenTickets, Seq, Store,
    StoreError, StoredEvent, TicketRow, VerifyReport,
};
use crate::model::{Event, EventKind};
use crate::sla::Micros;

pub use append::{CHANNEL as NOTIFY_CHANNEL, TOKENS_CHANNEL};
pub use notifier::FeedNotifier;
pub use pipelined::{GroupAppender, KnownHistories};
pub use schema::LATEST as SCHEMA_VERSION;

const EVENT_COLUMNS: &str = event_columns!();
const TICKET_COLUMNS: &str = "ticket, head, events, last_seq, open, facts, resolved_at";

pub struct PgStore {
    /// Queries need `&mut Client`; the store's readers take `&self`.
    client: RefCell<Client>,
    /// The client's prepared statements.
    prepared: RefCell<prepared::Prepared>,
    /// The URL without its password: what errors name.
    url: String,
}

impl PgStore {
    /// Connects and brings the schema up to date.
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        let shown = redact(url);
        let mut config = postgres::Config::from_str(url).map_err(|e| StoreError::Postgres {
            url: shown.clone(),
            message: format!(
                "not a PostgreSQL URL ({e}); expected postgres://USER@HOST:PORT/DATABASE"
            ),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("slawatch");
        let mut client = config.connect(NoTls).map_err(|e| Self::error(&shown, e))?;
        schema::migrate(&mut client, &shown)?;
        Ok(PgStore {
            client: RefCell::new(client),
            prepared: RefCell::default(),
            url: shown,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn error(url: &str, e: postgres::Error) -> StoreError {
        let message = match e.as_db_error() {
            Some(db) => match db.detail() {
                Some(d) => format!("{}: {d}", db.message()),
                None => db.message().to_owned(),
            },
            None => e.to_string(),
        };
        StoreError::Postgres {
            url: url.to_owned(),
            message,
        }
    }

    fn err(&self) -> impl Fn(postgres::Error) -> StoreError + '_ {
        |e| Self::error(&self.url, e)
    }

    fn corrupt(&self, seq: Seq, why: String) -> StoreError {
        StoreError::PostgresCorrupt {
            url: self.url.clone(),
            seq,
            why,
        }
    }

    /// Recomputes every projection row from the log; returns the number of tickets.
    pub fn rebuild_projection(&mut self) -> Result<usize, StoreError> {
        let url = self.url.as_str();
        let mut tx = self
            .client
            .get_mut()
            .transaction()
            .map_err(|e| Self::error(url, e))?;
        tx.execute("DELETE FROM tickets", &[])
            .map_err(|e| Self::error(url, e))?;
        let tickets: Vec<String> = tx
            .query("SELECT DISTINCT ticket FROM events", &[])
            .map_err(|e| Self::error(url, e))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut conn = append::Conn {
            client: &mut tx,
            prepared: self.prepared.get_mut(),
            url,
        };
        for t in &tickets {
            conn.refresh_projection(t)?;
        }
        tx.commit().map_err(|e| Self::error(url, e))?;
        Ok(tickets.len())
    }

    /// Runs `sql`, prepared once on this connection (for the hot paths).
    fn query_prepared(
        &self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let mut client = self.client.borrow_mut();
        let statement = self
            .prepared
            .borrow_mut()
            .get(&mut *client, sql)
            .map_err(self.err())?;
        client.query(&statement, params).map_err(self.err())
    }

    /// Runs `sql` (selecting [`EVENT_COLUMNS`]) and passes every decoded row to `f`,
    /// streaming rather than collecting.
    fn stream_events(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
        f: &mut dyn FnMut(StoredEvent) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let err = self.err();
        let mut client = self.client.borrow_mut();
        let mut rows = client
            .query_raw(sql, params.iter().copied())
            .map_err(&err)?;
        while let Some(row) = rows.next().map_err(&err)? {
            let e = decode_event(&row).map_err(|(seq, _, why)| self.corrupt(seq, why))?;
            f(e)?;
        }
        Ok(())
    }

    fn query_events(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut out = Vec::new();
        self.stream_events(sql, params, &mut |e| {
            out.push(e);
            Ok(())
        })?;
        Ok(out)
    }

    fn rows_where(&self, filter: &str) -> Result<Vec<TicketRow>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!("SELECT {TICKET_COLUMNS} FROM tickets {filter}"),
                &[],
            )
            .map_err(self.err())?;
        rows.iter().map(|r| self.decode_ticket(r)).collect()
    }

    fn decode_ticket(&self, row: &Row) -> Result<TicketRow, StoreError> {
        decode_ticket(row).map_err(|(seq, why)| self.corrupt(seq, why))
    }
}

impl Store for PgStore {
    fn append(&mut self, event: &Event, expect: Expect<'_>) -> Result<Appended, StoreError> {
        use super::team::BatchOutcome;
        let event = event.clone().normalized();
        super::rules::check(0, &event)?;
        let mut expected = std::collections::BTreeMap::new();
        if let Expect::Head(h) = expect {
            expected.insert(event.ticket.clone(), h.to_owned());
        }
        let outcome = append::batch(
            self.client.get_mut(),
            self.prepared.get_mut(),
            &self.url,
            std::slice::from_ref(&event),
            &expected,
        )?;
        match outcome {
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

    fn append_all(&mut self, events: &[Event]) -> Result<usize, StoreError> {
        use super::team::{BatchOutcome, TeamStore};
        match self.append_batch(events, &Default::default())? {
            BatchOutcome::Stored(stored) => Ok(stored.iter().filter(|(_, new)| *new).count()),
            BatchOutcome::Conflict { .. } => unreachable!("no heads were expected"),
        }
    }

    fn history(&self, ticket: &str) -> Result<Vec<StoredEvent>, StoreError> {
        self.query_events(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE ticket = $1 ORDER BY seq"),
            &[&ticket],
        )
    }

    /// The cursor is 0: on PostgreSQL a sequence number is no feed position; the server
    /// uses [`super::TeamStore::snapshot`], whose cursor is one.
    fn open_tickets(&self) -> Result<OpenTickets, StoreError> {
        Ok(OpenTickets {
            tickets: self.rows_where("WHERE open ORDER BY ticket")?,
            cursor: 0,
        })
    }

    fn ticket_rows(&self, tickets: &[String]) -> Result<Vec<TicketRow>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE ticket = ANY($1)"),
                &[&tickets],
            )
            .map_err(self.err())?;
        let mut by_name: HashMap<String, TicketRow> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let row = self.decode_ticket(r)?;
            by_name.insert(row.ticket.clone(), row);
        }
        Ok(tickets.iter().filter_map(|t| by_name.remove(t)).collect())
    }

    fn open_events(&self) -> Result<OpenEvents, StoreError> {
        let events = self.query_events(
            &format!(
                "SELECT {} FROM events e JOIN tickets t ON t.ticket = e.ticket AND t.open
                 ORDER BY e.ticket, e.seq",
                EVENT_COLUMNS
                    .split(", ")
                    .map(|c| format!("e.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &[],
        )?;
        Ok(OpenEvents { events, cursor: 0 })
    }

    /// Refused: a sequence number taken at insert is visible only at commit, so reading
    /// `seq > cursor` here could pass over a late commit. The feed is
    /// [`super::TeamStore::feed`].
    fn changes_since(&self, _cursor: Seq, _limit: usize) -> Result<Changes, StoreError> {
        Err(StoreError::Postgres {
            url: self.url.clone(),
            message: "its change feed is read by cursor (`slawatch serve`'s /v1/feed), never by sequence number".into(),
        })
    }

    fn holds_events(&self) -> Result<bool, StoreError> {
        let row = self
            .client
            .borrow_mut()
            .query_one("SELECT EXISTS (SELECT 1 FROM events)", &[])
            .map_err(self.err())?;
        Ok(row.get(0))
    }

    fn for_each_event(
        &self,
        ticket: Option<&str>,
        f: &mut dyn FnMut(StoredEvent) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match ticket {
            Some(t) => self.stream_events(
                &format!("SELECT {EVENT_COLUMNS} FROM events WHERE ticket = $1 ORDER BY seq"),
                &[&t],
                f,
            ),
            None => self.stream_events(
                &format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY seq"),
                &[],
                f,
            ),
        }
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let err = self.err();
        let mut client = self.client.borrow_mut();
        // One snapshot for the projection and the log.
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(&err)?;
        let mut stored: HashMap<String, Result<TicketRow, String>> = HashMap::new();
        for r in tx
            .query(&format!("SELECT {TICKET_COLUMNS} FROM tickets"), &[])
            .map_err(&err)?
        {
            let ticket: String = r.get(0);
            stored.insert(ticket, decode_ticket(&r).map_err(|(_, why)| why));
        }
        let mut checker = verify::Checker::new(stored);
        let no_params: [&(dyn postgres::types::ToSql + Sync); 0] = [];
        let mut rows = tx
            .query_raw(
                &format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY ticket, seq"),
                no_params,
            )
            .map_err(&err)?;
        while let Some(row) = rows.next().map_err(&err)? {
            match decode_event(&row) {
                Ok(e) => checker.event(e),
                Err((seq, ticket, why)) => checker.unreadable(seq, ticket, why),
            }
        }
        drop(rows);
        tx.commit().map_err(&err)?;
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
        let url = self.url.clone();
        nudges::claim(self.client.get_mut(), &url, user, records)
    }

    fn nudges_sent(
        &self,
        user: &str,
        since: Micros,
        limit: usize,
    ) -> Result<Vec<NudgeRecord>, StoreError> {
        nudges::sent(&mut self.client.borrow_mut(), &self.url, user, since, limit)
    }

    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), StoreError> {
        let url = self.url.clone();
        nudges::set_snooze(self.client.get_mut(), &url, user, ticket, until)
    }

    fn snoozes(&self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, StoreError> {
        nudges::snoozes(&mut self.client.borrow_mut(), &self.url, user, now)
    }
}

/// `postgres://user:secret@host/db` as `postgres://user@host/db`: errors and logs name
/// the database, never its password.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = userinfo.split(':').next().unwrap_or_default();
    let tail = match tail.split_once("password=") {
        Some((before, _)) => format!("{before}password=…"),
        None => tail.to_owned(),
    };
    format!("{scheme}://{user}@{host}{tail}")
}

/// A row of [`EVENT_COLUMNS`]; the error is (seq, ticket, what is wrong).
fn decode_event(row: &Row) -> Result<StoredEvent, (Seq, String, String)> {
    let seq: Seq = row.get(0);
    let ticket: String = row.get(2);
    let fail = |why: String| (seq, ticket.clone(), why);
    let instant = |col: usize, name: &str| {
        let us: i64 = row.get(col);
        chrono::DateTime::from_timestamp_micros(us)
            .ok_or_else(|| fail(format!("`{name}` {us} is out of range")))
    };
    let kind: String = row.get(3);
    let payload: String = row.get(7);
    Ok(StoredEvent {
        seq,
        event: Event {
            id: row.get(1),
            ticket: ticket.clone(),
            kind: kind.parse::<EventKind>().map_err(fail)?,
            at: instant(4, "at")?,
            recorded_at: instant(5, "recorded_at")?,
            actor: row.get(6),
            payload: serde_json::from_str(&payload)
                .map_err(|e| fail(format!("payload is not a JSON object: {e}")))?,
        },
        prev_hash: row.get(8),
        hash: row.get(9),
    })
}

/// A row of [`TICKET_COLUMNS`]; the error is (its last seq, what is wrong).
fn decode_ticket(row: &Row) -> Result<TicketRow, (Seq, String)> {
    let last_seq: Seq = row.get(3);
    let facts: Option<Vec<u8>> = row.get(5);
    let facts = match facts {
        None => None,
        Some(b) => Some(std::sync::Arc::new(
            super::projection::decode_facts(&b)
                .map_err(|why| (last_seq, format!("projection facts unreadable: {why}")))?,
        )),
    };
    Ok(TicketRow {
        ticket: row.get(0),
        head: row.get(1),
        events: row.get(2),
        last_seq,
        open: row.get(4),
        facts,
        resolved_at: row.get(6),
    })
}
