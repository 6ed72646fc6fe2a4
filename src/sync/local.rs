//! The embedded source: the SQLite store file, opened by each connection on its first
//! call and reopened after a failure (the file may have been replaced or its lock
//! released).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    Changed, Connect, Connector, Cursor, Expect, MonthInput, Purpose, Source, SourceError,
};
use crate::model::{Event, EventKind};
use crate::sla::penalty::{Month, LEDGER_PREFIX};
use crate::sla::Micros;
use crate::store::{
    Appended, Claim, NudgeRecord, Seq, SqliteStore, Store, StoreError, StoredEvent, TicketFacts,
};

/// How many change-feed events one read takes.
const BATCH: usize = 5000;
/// Rows per chunk when reading the projection for a compliance month.
const MONTH_CHUNK: usize = 4096;
const DAY: Micros = 86_400 * 1_000_000;

/// Connections to the store file at a path.
pub struct LocalConnect {
    path: PathBuf,
}

impl Connect for LocalConnect {
    fn connect(&self, purpose: Purpose) -> Box<dyn Source> {
        Box::new(LocalSource::new(&self.path, purpose))
    }
}

/// One connection to the store file.
pub struct LocalSource {
    path: PathBuf,
    purpose: Purpose,
    store: Option<SqliteStore>,
    read_only: bool,
}

impl LocalSource {
    pub fn new(path: &Path, purpose: Purpose) -> LocalSource {
        LocalSource {
            path: path.to_owned(),
            purpose,
            store: None,
            read_only: false,
        }
    }

    /// Connections to the store at `path`, for the workers.
    pub fn connector(path: &Path) -> Connector {
        Arc::new(LocalConnect {
            path: path.to_owned(),
        })
    }

    /// A writer opens the file for writing or, when it cannot be written, for reading
    /// (everything still shows); a reader the other way round.
    fn open(&self) -> Result<(SqliteStore, bool), StoreError> {
        match self.purpose {
            Purpose::Write => match SqliteStore::open(&self.path) {
                Ok(s) => Ok((s, false)),
                Err(StoreError::ReadOnly { .. }) => {
                    SqliteStore::open_read_only(&self.path).map(|s| (s, true))
                }
                Err(e) => Err(e),
            },
            Purpose::Read => SqliteStore::open_read_only(&self.path)
                .map(|s| (s, true))
                .or_else(|_| SqliteStore::open(&self.path).map(|s| (s, false))),
        }
    }

    /// Runs `f` on the open store; a failure that may pass closes it, to reopen next
    /// time.
    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut SqliteStore) -> Result<T, StoreError>,
    ) -> Result<T, SourceError> {
        if self.store.is_none() {
            let (store, read_only) = self.open().map_err(|e| self.failed(e))?;
            self.read_only = read_only;
            self.store = Some(store);
        }
        let store = self.store.as_mut().expect("opened above");
        f(store).map_err(|e| self.failed(e))
    }

    fn failed(&mut self, e: StoreError) -> SourceError {
        let e = classify(e);
        if matches!(e, SourceError::Unreachable(_)) {
            self.store = None;
        }
        e
    }
}

/// What a store error means to a caller that may retry.
fn classify(e: StoreError) -> SourceError {
    match e {
        StoreError::StaleHead {
            ref ticket,
            ref actual,
            ..
        } => SourceError::Conflict {
            ticket: ticket.clone(),
            head: actual.clone(),
            message: e.to_string(),
        },
        StoreError::Invalid { .. } | StoreError::IdConflict { .. } => {
            SourceError::Rejected(e.to_string())
        }
        other => SourceError::Unreachable(other.to_string()),
    }
}

fn seq_of(c: &Cursor) -> Result<Seq, SourceError> {
    c.token()
        .parse()
        .map_err(|_| SourceError::Rejected(format!("not a cursor of this store: {:?}", c.token())))
}

fn cursor_of(seq: Seq) -> Cursor {
    Cursor::from_token(seq.to_string())
}

impl Source for LocalSource {
    fn writable(&mut self) -> Result<bool, SourceError> {
        self.with(|_| Ok(()))?;
        Ok(!self.read_only)
    }

    fn snapshot(
        &mut self,
        chunk: usize,
        each: &mut dyn FnMut(Vec<TicketFacts>),
    ) -> Result<Cursor, SourceError> {
        self.with(|s| s.open_tickets_chunked(chunk, each))
            .map(cursor_of)
    }

    fn changes(&mut self, from: &Cursor) -> Result<Changed, SourceError> {
        let mut cursor = seq_of(from)?;
        self.with(|store| {
            let mut touched = BTreeSet::new();
            loop {
                let changes = store.changes_since(cursor, BATCH)?;
                let n = changes.events.len();
                touched.extend(changes.events.into_iter().map(|e| e.event.ticket));
                cursor = changes.cursor;
                if n < BATCH {
                    break;
                }
            }
            let tickets = if touched.is_empty() {
                Vec::new()
            } else {
                crate::store::current_facts(store, touched)?
            };
            Ok(Changed {
                tickets,
                cursor: Some(cursor_of(cursor)),
            })
        })
    }

    fn facts(&mut self, tickets: Vec<String>) -> Result<Vec<TicketFacts>, SourceError> {
        self.with(|s| crate::store::current_facts(s, tickets))
    }

    fn history(&mut self, ticket: &str) -> Result<Vec<StoredEvent>, SourceError> {
        self.with(|s| s.history(ticket))
    }

    fn append(&mut self, event: &Event, expect: &Expect) -> Result<Appended, SourceError> {
        let expect = match expect {
            Expect::Any => crate::store::Expect::Any,
            Expect::Head(h) => crate::store::Expect::Head(h),
        };
        self.with(|s| s.append(event, expect))
    }

    fn claim_nudges(
        &mut self,
        user: &str,
        records: &[NudgeRecord],
    ) -> Result<Vec<Claim>, SourceError> {
        self.with(|s| s.claim_nudges(user, records))
    }

    fn nudges_sent(
        &mut self,
        user: &str,
        since: Micros,
        limit: usize,
    ) -> Result<Vec<NudgeRecord>, SourceError> {
        self.with(|s| s.nudges_sent(user, since, limit))
    }

    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), SourceError> {
        self.with(|s| Store::set_snooze(s, user, ticket, until))
    }

    fn snoozes(&mut self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, SourceError> {
        self.with(|s| Store::snoozes(s, user, now))
    }

    fn closed(
        &mut self,
        query: &super::closed::ClosedQuery,
    ) -> Result<Vec<TicketFacts>, SourceError> {
        self.with(|s| {
            let mut picked = super::closed::Picked::new(query);
            let since = query.since.unwrap_or(Micros::MIN);
            s.closed_tickets_chunked(since, 8192, &mut |rows| picked.offer(rows))?;
            Ok(picked.finish())
        })
    }

    fn month_input(&mut self, month: Month, now: DateTime<Utc>) -> Result<MonthInput, SourceError> {
        self.with(|s| month_input(s, month, now))
    }
}

/// What can matter for `month` as of `now`: the projection's facts of every ticket
/// open or resolved since shortly before the month (and detected before it ends, in
/// any zone), and whole histories where facts will not do: the penalty ledgers, and
/// tickets with events after `now` (facts are folded over every event) or none that
/// fold (they show as problems).
pub fn month_input(
    store: &SqliteStore,
    month: Month,
    now: DateTime<Utc>,
) -> Result<MonthInput, StoreError> {
    let (start, end) = month.bounds(chrono_tz::UTC);
    let (lo, hi) = (start - 2 * DAY, end + 2 * DAY);
    let now_us = now.timestamp_micros();
    let mut folded = Vec::new();
    let mut whole = Vec::new();
    store.tickets_since_chunked(lo, MONTH_CHUNK, &mut |rows| {
        for (ticket, facts) in rows {
            match facts {
                Some(f) if f.last_event_at <= now_us => {
                    if f.detected_at < hi {
                        folded.push(f);
                    }
                }
                _ => whole.push(ticket),
            }
        }
    })?;
    let mut histories = Vec::new();
    for t in whole {
        let h: Vec<Event> = store.history(&t)?.into_iter().map(|s| s.event).collect();
        if matters(&t, &h, lo, hi) {
            histories.push(h);
        }
    }
    Ok((histories, folded))
}

/// Whether a history can matter between `lo` and `hi`: it starts before `hi` and was
/// not resolved before `lo`; every penalty ledger.
fn matters(id: &str, h: &[Event], lo: Micros, hi: Micros) -> bool {
    if id.starts_with(LEDGER_PREFIX) {
        return true;
    }
    let first = h.iter().map(|e| e.at.timestamp_micros()).min();
    if first.is_none_or(|f| f >= hi) {
        return false;
    }
    !h.iter()
        .any(|e| e.kind == EventKind::Resolved && e.at.timestamp_micros() < lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::sync::closed::ClosedQuery;
    use crate::tui::testkit;

    #[test]
    fn closed_tickets_come_from_the_store_newest_closed_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let now = testkit::now();
        let evs = testkit::closed_events(now);
        {
            let mut store = SqliteStore::open(&path).unwrap();
            store.append_all(&evs).unwrap();
        }
        let mut src = LocalSource::new(&path, Purpose::Read);
        let all = src.closed(&ClosedQuery::text("")).unwrap();
        let want = crate::sync::closed::pick(&ClosedQuery::text(""), testkit::all_facts(&evs));
        let keys = |v: &[TicketFacts]| v.iter().map(|r| r.0.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&all), keys(&want));
        assert_eq!(all.len(), 5);
        let today = crate::tui::closed::start_of_day(now, chrono_tz::Europe::Berlin);
        let since = src.closed(&ClosedQuery::since(today)).unwrap();
        assert_eq!(since.len(), 4, "one closed the day before");
        let t = &all[4].0;
        let one = src.closed(&ClosedQuery::text(&t.to_uppercase())).unwrap();
        assert_eq!(keys(&one), std::slice::from_ref(t));
    }
}
