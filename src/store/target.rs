//! Which store a command works on: an SQLite file (`--db`) or a PostgreSQL database
//! (`--database-url`).

use std::fmt;
use std::path::PathBuf;

use super::postgres::{redact, PgStore};
use super::{SqliteStore, Store, StoreError, TeamStore};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreTarget {
    Sqlite(PathBuf),
    Postgres(String),
}

impl StoreTarget {
    /// Opens it for reading and writing (creating the file or schema if needed).
    pub fn open(&self) -> Result<Box<dyn Store>, StoreError> {
        Ok(match self {
            StoreTarget::Sqlite(p) => Box::new(SqliteStore::open(p)?),
            StoreTarget::Postgres(url) => Box::new(PgStore::connect(url)?),
        })
    }

    /// Opens an existing store for reading: an SQLite file must exist (see
    /// [`SqliteStore::open_read_only`]); PostgreSQL is reached as for writing.
    pub fn open_read_only(&self) -> Result<Box<dyn Store>, StoreError> {
        Ok(match self {
            StoreTarget::Sqlite(p) => Box::new(SqliteStore::open_read_only(p)?),
            StoreTarget::Postgres(url) => Box::new(PgStore::connect(url)?),
        })
    }
}

/// Opens an existing store for reading, with everything a team store answers (the
/// Merkle tree's reads among them).
pub fn open_team_read_only(target: &StoreTarget) -> Result<Box<dyn TeamStore>, StoreError> {
    Ok(match target {
        StoreTarget::Sqlite(p) => Box::new(SqliteStore::open_read_only(p)?),
        StoreTarget::Postgres(url) => Box::new(PgStore::connect(url)?),
    })
}

/// Opens a store for `slawatch serve` or `slawatch token`.
pub fn open_team(target: &StoreTarget) -> Result<Box<dyn TeamStore>, StoreError> {
    Ok(match target {
        StoreTarget::Sqlite(p) => Box::new(SqliteStore::open(p)?),
        StoreTarget::Postgres(url) => Box::new(PgStore::connect(url)?),
    })
}

impl fmt::Display for StoreTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreTarget::Sqlite(p) => write!(f, "{}", p.display()),
            StoreTarget::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}
