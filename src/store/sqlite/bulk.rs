//! Appending any number of events in one write transaction, one at a time, so an
//! import of a million events is all or nothing without holding them in memory.

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::{Transaction, TransactionBehavior};

use super::{append_in, check, refresh_projection, SqliteStore};
use crate::model::Event;
use crate::store::{Expect, StoreError};

/// An open write transaction taking events: nothing is stored until [`Bulk::commit`];
/// dropping it (on any error) rolls everything back.
pub struct Bulk<'s> {
    tx: Transaction<'s>,
    path: &'s Path,
    /// Tickets given a new event, whose projection rows are rewritten at commit.
    touched: BTreeSet<String>,
    pushed: usize,
    new: usize,
    edge: crate::store::merkle_sqlite::Edge,
}

impl SqliteStore {
    /// Starts a [`Bulk`] append, taking the store's write lock until it ends.
    pub fn bulk(&mut self) -> Result<Bulk<'_>, StoreError> {
        let path = self.path.as_path();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::from_sqlite(path, e))?;
        Ok(Bulk {
            tx,
            path,
            touched: BTreeSet::new(),
            pushed: 0,
            new: 0,
            edge: Default::default(),
        })
    }
}

impl Bulk<'_> {
    /// Validates `event` and places it at its ticket's head (idempotent by id, as
    /// [`crate::store::Store::append`]); true when it was new.
    pub fn push(&mut self, event: &Event) -> Result<bool, StoreError> {
        let event = event.clone().normalized();
        check(self.pushed, &event)?;
        self.pushed += 1;
        let new = append_in(
            &self.tx,
            self.path,
            &event,
            Expect::Any,
            Some(&mut self.edge),
        )?
        .new;
        if new {
            self.new += 1;
            if !self.touched.contains(&event.ticket) {
                self.touched.insert(event.ticket);
            }
        }
        Ok(new)
    }

    /// Brings the touched tickets' projection rows up to date and commits; returns how
    /// many events were new.
    pub fn commit(self) -> Result<usize, StoreError> {
        self.edge.save(&self.tx, self.path)?;
        for t in &self.touched {
            refresh_projection(&self.tx, self.path, t)?;
        }
        self.tx
            .commit()
            .map_err(|e| StoreError::from_sqlite(self.path, e))?;
        Ok(self.new)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use crate::model::{Event, EventKind, Payload};
    use crate::store::{SqliteStore, Store};

    fn note(id: &str, ticket: &str) -> Event {
        let t = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let mut payload = Payload::new();
        payload.insert("text".into(), "x".into());
        Event {
            id: id.into(),
            ticket: ticket.into(),
            kind: EventKind::Note,
            at: t,
            recorded_at: t,
            actor: "alice".into(),
            payload,
        }
    }

    #[test]
    fn nothing_is_stored_until_commit_and_repeats_are_not_new() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        {
            let mut bulk = store.bulk().unwrap();
            assert!(bulk.push(&note("a", "T-1")).unwrap());
            // Dropped without commit: rolled back.
        }
        assert!(store.history("T-1").unwrap().is_empty());
        let mut bulk = store.bulk().unwrap();
        assert!(bulk.push(&note("a", "T-1")).unwrap());
        assert!(
            !bulk.push(&note("a", "T-1")).unwrap(),
            "same id, same content"
        );
        assert!(bulk.push(&note("b", "T-2")).unwrap());
        assert!(
            bulk.push(&note("", "T-3")).is_err(),
            "validated as append is"
        );
        assert_eq!(bulk.commit().unwrap(), 2);
        assert_eq!(store.history("T-1").unwrap().len(), 1);
        let rows = store.ticket_rows(&["T-1".into(), "T-2".into()]).unwrap();
        assert_eq!(rows.len(), 2, "projection rows written at commit");
        assert!(store.verify().unwrap().is_ok());
    }
}
