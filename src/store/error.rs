use std::path::PathBuf;

use crate::model::EventError;

/// Why a store operation failed. Every variant says which file or event it concerns;
/// a failed write never leaves part of itself behind (each write is one transaction).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot tell where the data directory is (no home directory); pass --db PATH or set SLAWATCH_DB")]
    NoHome,
    #[error("cannot create the directory for store {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a slawatch store ({why})")]
    NotAStore { path: PathBuf, why: String },
    #[error("store {path} has schema version {found}; this slawatch understands up to version {supported}: upgrade slawatch to open it")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("store {path} has schema version {found} and needs upgrading to version {latest}, which needs write access to the file: run any slawatch command that writes (for example `slawatch --db {path} verify --rebuild-projection`) once as a user who can write it")]
    OlderSchema {
        path: PathBuf,
        found: i64,
        latest: i64,
    },
    #[error("store {path} is read-only: cannot record anything (check the file's permissions and its directory's)")]
    ReadOnly { path: PathBuf },
    #[error("cannot read store {path}: {why}")]
    NotReadable { path: PathBuf, why: String },
    #[error("disk full while writing to store {path}: nothing of this write was stored")]
    DiskFull { path: PathBuf },
    #[error("store {path} is busy: another process held its write lock for more than {seconds} s")]
    Busy { path: PathBuf, seconds: u64 },
    #[error("event {index} (id {id:?}, ticket {ticket:?}) is invalid: {error}")]
    Invalid {
        index: usize,
        id: String,
        ticket: String,
        error: EventError,
    },
    #[error("event id {id:?} is already stored with different content (ticket {ticket:?}); a correction must be a new event with a new id")]
    IdConflict { id: String, ticket: String },
    #[error("ticket {ticket:?} has moved on: its head is {actual}, not {expected}; re-read the ticket and try again")]
    StaleHead {
        ticket: String,
        expected: String,
        actual: String,
    },
    #[error("store {path}: row {seq} is unreadable: {why}")]
    Corrupt {
        path: PathBuf,
        seq: i64,
        why: String,
    },
    #[error("store {path}: the Merkle tree is damaged: {why}")]
    Tree { path: PathBuf, why: String },
    #[error("cannot write the output: {source}")]
    Output {
        #[source]
        source: std::io::Error,
    },
    #[error(
        "a live token called {name:?} exists: revoke it first (`slawatch token revoke {name}`)"
    )]
    TokenExists { name: String },
    #[error("PostgreSQL store {url}: {message}")]
    Postgres { url: String, message: String },
    /// The server's own means of reaching the store failed (nothing was stored).
    #[error("the server's store connection failed: {why}")]
    Unavailable { why: String },
    #[error("PostgreSQL store {url}: row {seq} is unreadable: {why}")]
    PostgresCorrupt { url: String, seq: i64, why: String },
    #[error("PostgreSQL store {url} has schema version {found}; this slawatch understands up to version {supported}: upgrade slawatch to open it")]
    PostgresNewerSchema {
        url: String,
        found: i64,
        supported: i64,
    },
    #[error("store {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Maps SQLite's error codes onto the failures a user can act on.
    pub(crate) fn from_sqlite(path: &std::path::Path, e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode as C;
        let path = path.to_path_buf();
        match e.sqlite_error_code() {
            Some(C::ReadOnly) => StoreError::ReadOnly { path },
            Some(C::CannotOpen) if path.exists() && is_read_only(&path) => {
                StoreError::ReadOnly { path }
            }
            Some(C::DiskFull) => StoreError::DiskFull { path },
            Some(C::NotADatabase) => StoreError::NotAStore {
                path,
                why: "not an SQLite database".into(),
            },
            Some(C::DatabaseBusy) | Some(C::DatabaseLocked) => StoreError::Busy {
                path,
                seconds: super::sqlite::BUSY_TIMEOUT.as_secs(),
            },
            _ => StoreError::Sqlite { path, source: e },
        }
    }
}

fn is_read_only(path: &std::path::Path) -> bool {
    std::fs::OpenOptions::new().write(true).open(path).is_err()
}
