//! `slawatch watch`'s hold on the store file: it follows the file at the path, not the
//! one it first opened. A store replaced under it (`mv restored.db slawatch.db`) or
//! deleted and made again is another file (another device and inode) at the same path;
//! an open SQLite connection would go on reading the old one, unlinked, forever.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use crate::notify::{NudgeHandle, SentLog};
use crate::sla::Micros;
use crate::store::{Claim, NudgeRecord, SqliteStore, Store, TicketFacts};

/// Which file a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId(u64, u64);

impl FileId {
    pub fn of(path: &Path) -> io::Result<FileId> {
        let meta = std::fs::metadata(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Ok(FileId(meta.dev(), meta.ino()))
        }
        #[cfg(not(unix))]
        {
            let born = meta.created()?;
            let nanos = born
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
            Ok(FileId(0, nanos))
        }
    }
}

/// What became of the file since the last look, for the operator.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Deleted,
    Replaced,
    Back,
}

impl Change {
    pub fn describe(&self, db: &Path) -> String {
        let db = db.display();
        match self {
            Change::Deleted => {
                format!("store {db} was deleted: following no tickets until a store is there again")
            }
            Change::Replaced => {
                format!("store {db} was replaced by another file: following the new one")
            }
            Change::Back => format!("store {db} is there again: following it"),
        }
    }
}

/// Reads the open tickets of the store at `db`, then its change feed, reopening the
/// file when the path names another one.
pub struct Follower {
    db: PathBuf,
    store: Option<SqliteStore>,
    /// The file the cursor and `known` belong to; kept while the connection is
    /// closed after an error, so a file replaced meanwhile is still noticed.
    file: Option<FileId>,
    cursor: Option<i64>,
    /// Every ticket handed to the nudge service from the current file: forgotten
    /// when the file goes, so no nudge is about a ticket of a store that is gone.
    known: BTreeSet<String>,
    missing: bool,
}

const BATCH: usize = 5000;

impl Follower {
    pub fn new(db: PathBuf) -> Follower {
        Follower {
            db,
            store: None,
            file: None,
            cursor: None,
            known: BTreeSet::new(),
            missing: false,
        }
    }

    /// One look at the store; `Ok(Some(change))` when the file went or came.
    pub fn poll(&mut self, nudges: &NudgeHandle) -> Result<Option<Change>, String> {
        let change = match FileId::of(&self.db) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if self.missing {
                    return Ok(None);
                }
                self.missing = true;
                self.forget(nudges);
                return Ok(Some(Change::Deleted));
            }
            Err(e) => return Err(format!("cannot look at {}: {e}", self.db.display())),
            Ok(id) => {
                if std::mem::take(&mut self.missing) {
                    Some(Change::Back)
                } else if self.file.is_some_and(|followed| followed != id) {
                    self.forget(nudges);
                    Some(Change::Replaced)
                } else {
                    None
                }
            }
        };
        let result = self.read(nudges);
        if result.is_err() {
            // Opened again at the next look; the cursor stays with its file.
            self.store = None;
        }
        result.map(|()| change)
    }

    fn read(&mut self, nudges: &NudgeHandle) -> Result<(), String> {
        if self.store.is_none() {
            let id = FileId::of(&self.db).map_err(|e| e.to_string())?;
            // Read-write, though it only reads: the last connection to a file closes it
            // with its write-ahead log checkpointed and removed, so a log of a replaced
            // file is never left beside the new one. The path was just seen to exist,
            // so no store is made where there is none.
            let s = SqliteStore::open(&self.db).map_err(|e| e.to_string())?;
            if self.file.is_some_and(|followed| followed != id) {
                // Replaced between the look and the open: noticed at the next look.
                return Err(format!("{} changed while being opened", self.db.display()));
            }
            self.store = Some(s);
            self.file = Some(id);
        }
        let s = self.store.as_mut().expect("just opened");
        let Some(mut at) = self.cursor else {
            let snap = s.open_tickets().map_err(|e| e.to_string())?;
            let facts: Vec<TicketFacts> = snap
                .tickets
                .into_iter()
                .map(|r| (r.ticket, r.facts))
                .collect();
            self.known.extend(facts.iter().map(|(t, _)| t.clone()));
            nudges.tickets(facts);
            self.cursor = Some(snap.cursor);
            return Ok(());
        };
        let mut touched = BTreeSet::new();
        loop {
            let changes = s.changes_since(at, BATCH).map_err(|e| e.to_string())?;
            let n = changes.events.len();
            touched.extend(changes.events.into_iter().map(|e| e.event.ticket));
            at = changes.cursor;
            if n < BATCH {
                break;
            }
        }
        if !touched.is_empty() {
            self.known.extend(touched.iter().cloned());
            nudges.tickets(crate::store::current_facts(&*s, touched).map_err(|e| e.to_string())?);
        }
        self.cursor = Some(at);
        Ok(())
    }

    fn forget(&mut self, nudges: &NudgeHandle) {
        self.store = None;
        self.file = None;
        self.cursor = None;
        let gone: Vec<TicketFacts> = std::mem::take(&mut self.known)
            .into_iter()
            .map(|t| (t, None))
            .collect();
        if !gone.is_empty() {
            nudges.tickets(gone);
        }
    }
}

/// The record of sent nudges and snoozes, kept in whatever store is at the path at
/// the time, and nowhere while the path has none. Opened for each use: a connection
/// held to a replaced file would keep its write-ahead log, under the path's name,
/// beside the new file.
pub struct FollowingSentLog {
    db: PathBuf,
}

impl FollowingSentLog {
    pub fn new(db: PathBuf) -> FollowingSentLog {
        FollowingSentLog { db }
    }

    fn with_store<T>(
        &self,
        f: impl FnOnce(&mut SqliteStore) -> Result<T, crate::store::StoreError>,
    ) -> Result<T, String> {
        // Never a new store with only the sent log in it where the store was deleted.
        if !self.db.exists() {
            return Err(format!("store {} was deleted", self.db.display()));
        }
        let mut store = SqliteStore::open(&self.db).map_err(|e| e.to_string())?;
        f(&mut store).map_err(|e| e.to_string())
    }
}

impl SentLog for FollowingSentLog {
    fn claim(&mut self, user: &str, records: &[NudgeRecord]) -> Result<Vec<Claim>, String> {
        self.with_store(|s| s.claim_nudges(user, records))
    }

    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), String> {
        self.with_store(|s| Store::set_snooze(s, user, ticket, until))
    }

    fn snoozes(&mut self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, String> {
        self.with_store(|s| Store::snoozes(s, user, now))
    }
}
