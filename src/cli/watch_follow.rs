//! What `slawatch watch` follows, through a [`Source`]: the open tickets and then the
//! change feed of a store file (a [`crate::sync::LocalSource`]) or of a server (a
//! remote source), and the record of sent nudges and snoozes kept there.
//!
//! A store file is followed at its path, not as the file first opened. A store replaced
//! under it (`mv restored.db slawatch.db`) or deleted and made again is another file
//! (another device and inode) at the same path; an open SQLite connection would go on
//! reading the old one, unlinked, forever.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::model::Event;
use crate::notify::{NudgeHandle, SentLog};
use crate::sla::Micros;
use crate::store::{Claim, NudgeRecord, TicketFacts};
use crate::sync::{Connector, Cursor, Link, Purpose, Source, SourceError};

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

/// The store file at a path, looked at before each read: which file it is now.
struct FileWatch {
    db: PathBuf,
    /// The file the cursor and `known` belong to; kept while the connection is
    /// closed after an error, so a file replaced meanwhile is still noticed.
    followed: Option<FileId>,
    missing: bool,
}

/// What one look at the path found.
enum Look {
    Same,
    /// Gone (`true` the first time it is seen gone).
    Missing(bool),
    Changed(Change),
}

impl FileWatch {
    fn look(&mut self) -> Result<Look, String> {
        match FileId::of(&self.db) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Ok(Look::Missing(!std::mem::replace(&mut self.missing, true)))
            }
            Err(e) => Err(format!("cannot look at {}: {e}", self.db.display())),
            Ok(id) => Ok(if std::mem::take(&mut self.missing) {
                Look::Changed(Change::Back)
            } else if self.followed.is_some_and(|f| f != id) {
                Look::Changed(Change::Replaced)
            } else {
                Look::Same
            }),
        }
    }
}

/// Reads the open tickets of a source, then its change feed; a store file is opened
/// again when its path names another file.
pub struct Follower {
    connect: Connector,
    source: Option<Box<dyn Source>>,
    file: Option<FileWatch>,
    cursor: Option<Cursor>,
    /// Every ticket handed to the nudge service from the current file: forgotten
    /// when the file goes, so no nudge is about a ticket of a store that is gone.
    known: BTreeSet<String>,
}

/// Rows per chunk of the first snapshot.
const SNAPSHOT_CHUNK: usize = 8192;

impl Follower {
    /// Follows what `connect` connects to; `file` is the store file's path when it is
    /// one (watched for being replaced or deleted).
    pub fn new(connect: Connector, file: Option<PathBuf>) -> Follower {
        Follower {
            connect,
            source: None,
            file: file.map(|db| FileWatch {
                db,
                followed: None,
                missing: false,
            }),
            cursor: None,
            known: BTreeSet::new(),
        }
    }

    /// One look at the source; `Ok(Some(change))` when the store file went or came.
    pub fn poll(&mut self, nudges: &NudgeHandle) -> Result<Option<Change>, String> {
        let change = match self.file.as_mut().map(FileWatch::look).transpose()? {
            None | Some(Look::Same) => None,
            Some(Look::Missing(first)) => {
                if !first {
                    return Ok(None);
                }
                self.forget(nudges);
                return Ok(Some(Change::Deleted));
            }
            Some(Look::Changed(c)) => {
                if c == Change::Replaced {
                    self.forget(nudges);
                }
                Some(c)
            }
        };
        let result = self.read(nudges);
        if result.is_err() && self.file.is_some() {
            // Opened again at the next look; the cursor stays with its file. (A
            // server's connections share their link and outbox: kept.)
            self.source = None;
        }
        result.map(|()| change)
    }

    fn read(&mut self, nudges: &NudgeHandle) -> Result<(), String> {
        let fresh = self.source.is_none();
        // The file about to be opened: the path was just seen to exist, so no store is
        // made where there is none.
        let opening = match (&self.file, fresh) {
            (Some(f), true) => Some(FileId::of(&f.db).map_err(|e| e.to_string())?),
            _ => None,
        };
        let connect = &self.connect;
        let source = self
            .source
            // Read-write, though it only reads: the last connection to a file closes it
            // with its write-ahead log checkpointed and removed, so a log of a replaced
            // file is never left beside the new one.
            .get_or_insert_with(|| connect.connect(Purpose::Write));
        let (tickets, cursor) = match &self.cursor {
            None => {
                let mut facts: Vec<TicketFacts> = Vec::new();
                let cursor = source
                    .snapshot(SNAPSHOT_CHUNK, &mut |chunk| facts.extend(chunk))
                    .map_err(|e| e.to_string())?;
                (facts, Some(cursor))
            }
            Some(at) => {
                let changed = source.changes(at).map_err(|e| e.to_string())?;
                (changed.tickets, changed.cursor)
            }
        };
        if let (Some(f), Some(id)) = (self.file.as_mut(), opening) {
            let now = FileId::of(&f.db).ok();
            if now != Some(id) || f.followed.is_some_and(|followed| followed != id) {
                // Replaced while being opened: noticed at the next look.
                return Err(format!("{} changed while being opened", f.db.display()));
            }
            f.followed = Some(id);
        }
        let first = self.cursor.is_none();
        if first || !tickets.is_empty() {
            self.known.extend(tickets.iter().map(|(t, _)| t.clone()));
            nudges.tickets(tickets);
        }
        if cursor.is_some() {
            self.cursor = cursor;
        }
        Ok(())
    }

    /// How long until the next look, `poll` being the configured interval (see
    /// [`Source::pause`]: a server's feed waits for news itself).
    pub fn pause(&self, poll: Duration) -> Duration {
        self.source.as_ref().map_or(poll, |s| s.pause(poll))
    }

    /// The link to a server, for the operator (`None` for a store file).
    pub fn link(&mut self) -> Option<Link> {
        self.source.as_mut().and_then(|s| s.link())
    }

    /// Events recorded earlier that the source could not store when it sent them on
    /// its own (a replayed outbox), with why.
    pub fn notices(&mut self) -> Vec<(Event, String)> {
        self.source.as_mut().map_or_else(Vec::new, |s| s.notices())
    }

    fn forget(&mut self, nudges: &NudgeHandle) {
        self.source = None;
        if let Some(f) = self.file.as_mut() {
            f.followed = None;
        }
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

/// A fresh connection for one write: a store file only while its path has one (never
/// a new store with only this in it where the store was deleted), a server always.
/// Opened for each use: a connection held to a replaced file would keep its
/// write-ahead log, under the path's name, beside the new file.
pub fn connect_for_write(
    connect: &Connector,
    file: Option<&Path>,
) -> Result<Box<dyn Source>, SourceError> {
    match file {
        Some(db) if !db.exists() => Err(SourceError::Unreachable(format!(
            "store {} was deleted",
            db.display()
        ))),
        _ => Ok(connect.connect(Purpose::Write)),
    }
}

/// The record of sent nudges and snoozes, kept where the source keeps them: in
/// whatever store is at the path at the time (and nowhere while the path has none), or
/// on the server, so one person hears each nudge once across consoles and watchers.
pub struct FollowingSentLog {
    connect: Connector,
    file: Option<PathBuf>,
}

impl FollowingSentLog {
    pub fn new(connect: Connector, file: Option<PathBuf>) -> FollowingSentLog {
        FollowingSentLog { connect, file }
    }

    fn with_source<T>(
        &self,
        f: impl FnOnce(&mut dyn Source) -> Result<T, SourceError>,
    ) -> Result<T, String> {
        let mut source =
            connect_for_write(&self.connect, self.file.as_deref()).map_err(|e| e.to_string())?;
        f(&mut *source).map_err(|e| e.to_string())
    }
}

impl SentLog for FollowingSentLog {
    fn claim(&mut self, user: &str, records: &[NudgeRecord]) -> Result<Vec<Claim>, String> {
        self.with_source(|s| s.claim_nudges(user, records))
    }

    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), String> {
        self.with_source(|s| s.set_snooze(user, ticket, until))
    }

    fn snoozes(&mut self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, String> {
        self.with_source(|s| s.snoozes(user, now))
    }
}
