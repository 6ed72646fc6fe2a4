//! The SQLite schema: numbered migrations recorded in `schema_migrations`, and the
//! marker (`PRAGMA application_id`) that tells a slawatch store from any other file.

use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::StoreError;

/// "SLAW" in ASCII.
pub const APPLICATION_ID: i32 = 0x534C_4157;

/// One schema step. Versions are 1, 2, 3…; never edit a shipped one.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
    /// The projection's cached facts gained a field: recompute every row from the log
    /// in the same transaction, so `verify` keeps agreeing with an upgraded store.
    rebuilds_projection: bool,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "event log and ticket projection",
        sql: r#"
    CREATE TABLE events (
        seq         INTEGER PRIMARY KEY,
        id          TEXT    NOT NULL UNIQUE,
        ticket      TEXT    NOT NULL,
        kind        TEXT    NOT NULL,
        at          INTEGER NOT NULL,  -- microseconds since the Unix epoch, UTC
        recorded_at INTEGER NOT NULL,
        actor       TEXT    NOT NULL,
        payload     TEXT    NOT NULL,  -- compact JSON object
        prev_hash   TEXT    NOT NULL,
        hash        TEXT    NOT NULL
    );
    CREATE INDEX events_by_ticket ON events (ticket, seq);
    CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: record a correction as a new event'); END;
    CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: record a correction as a new event'); END;

    -- A cache of each ticket's current state, rebuilt from `events` at will.
    CREATE TABLE tickets (
        ticket   TEXT    PRIMARY KEY,
        head     TEXT    NOT NULL,
        events   INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        open     INTEGER NOT NULL,
        facts    TEXT              -- JSON of sla::Facts over the whole history; NULL if it does not fold
    ) WITHOUT ROWID;
    CREATE INDEX tickets_open ON tickets (open, ticket);
    "#,
        rebuilds_projection: false,
    },
    Migration {
        version: 2,
        name: "nudges sent and snoozes, per user; facts keep the last acknowledgement",
        sql: r#"
    -- Which warning nudges each user was sent. Not business history (not chained, not
    -- exported): a claim table. `INSERT OR IGNORE` on the key lets exactly one of
    -- several consoles or watchers of the same user send a nudge.
    CREATE TABLE nudges_sent (
        user         TEXT    NOT NULL,
        ticket       TEXT    NOT NULL,
        metric       TEXT    NOT NULL,
        cycle_start  INTEGER NOT NULL,  -- µs: start of the clock cycle the threshold belongs to
        target       INTEGER NOT NULL,  -- µs: the budget the threshold is a share of
        kind         TEXT    NOT NULL,  -- percent | minutes_before | breach | repeat
        value        INTEGER NOT NULL,  -- N of `percent N`, `minutes_before N`, `repeat N`; 0 for breach
        threshold_at INTEGER NOT NULL,  -- µs: the instant the threshold fell on
        due          INTEGER NOT NULL,  -- µs: the deadline as then projected
        fired_at     INTEGER NOT NULL,  -- µs: when it was sent
        late         INTEGER NOT NULL,
        loud         INTEGER NOT NULL,  -- 0 when the quiet setting muted sound and pop-up
        priority     TEXT    NOT NULL,
        summary      TEXT    NOT NULL,
        PRIMARY KEY (user, ticket, metric, cycle_start, target, kind, value)
    ) WITHOUT ROWID;
    CREATE INDEX nudges_sent_by_time ON nudges_sent (user, fired_at);

    -- A user's snooze of one ticket's warning nudges (never of breaches).
    CREATE TABLE nudge_snoozes (
        user   TEXT    NOT NULL,
        ticket TEXT    NOT NULL,
        until  INTEGER NOT NULL,        -- µs
        PRIMARY KEY (user, ticket)
    ) WITHOUT ROWID;
    "#,
        rebuilds_projection: true,
    },
    Migration {
        version: 3,
        name: "tickets keep when they were resolved; facts in a compact binary encoding",
        sql: r#"
    -- µs; NULL while open (or when the history does not fold). Lets the compliance
    -- view read only the tickets that can matter for a month.
    ALTER TABLE tickets ADD COLUMN resolved_at INTEGER;
    CREATE INDEX tickets_resolved ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
    -- From here `facts` holds sla::Facts as postcard bytes (a BLOB), not JSON: a
    -- console reads 100,000 of them before its first frame. The rebuild rewrites them.
    "#,
        rebuilds_projection: true,
    },
];

pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings a connection's database to the latest schema, or says why it cannot.
/// A store already at the latest version is only read, so read-only files open.
/// `rebuild` recomputes the ticket projection inside the migration's transaction
/// when a step asks for it (never for a new, empty store).
pub fn migrate(
    conn: &mut Connection,
    path: &Path,
    rebuild: impl FnOnce(&Transaction) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let found = version(conn, path)?;
    if found == Some(LATEST) {
        return Ok(());
    }
    if conn
        .is_readonly(rusqlite::DatabaseName::Main)
        .unwrap_or(false)
    {
        return Err(match found {
            Some(found) => StoreError::OlderSchema {
                path: path.to_path_buf(),
                found,
                latest: LATEST,
            },
            // Only a writer makes a new store; a reader must not say "read-only".
            None => StoreError::NotAStore {
                path: path.to_path_buf(),
                why: "an SQLite database without slawatch's tables".into(),
            },
        });
    }
    // Under the write lock, look again: another process may have just created it.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    let current = match version(&tx, path)? {
        Some(v) => v,
        None => {
            tx.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID};
                 CREATE TABLE schema_migrations (
                     version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);"
            ))
            .map_err(err)?;
            0
        }
    };
    let mut rebuild_projection = false;
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(m.sql).map_err(err)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, datetime('now'))",
            rusqlite::params![m.version, m.name],
        )
        .map_err(err)?;
        rebuild_projection |= m.rebuilds_projection && current > 0;
    }
    if rebuild_projection {
        rebuild(&tx)?;
    }
    tx.commit().map_err(err)
}

/// The schema version of a slawatch store, `None` for an empty database, or why the
/// file is not a store this program can use.
fn version(conn: &Connection, path: &Path) -> Result<Option<i64>, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(err)?;
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    let not_a_store = |why: String| StoreError::NotAStore {
        path: path.to_path_buf(),
        why,
    };
    match (app_id, tables) {
        (0, 0) => Ok(None),
        (APPLICATION_ID, _) => {
            let v: i64 = conn
                .query_row(
                    "SELECT coalesce(max(version), 0) FROM schema_migrations",
                    [],
                    |r| r.get(0),
                )
                .map_err(err)?;
            if v > LATEST {
                return Err(StoreError::NewerSchema {
                    path: path.to_path_buf(),
                    found: v,
                    supported: LATEST,
                });
            }
            Ok(Some(v))
        }
        (0, n) => Err(not_a_store(format!(
            "an SQLite database with {n} table(s) of another program"
        ))),
        (other, _) => Err(not_a_store(format!(
            "an SQLite database of another program (application_id {other:#x})"
        ))),
    }
}
