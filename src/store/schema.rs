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
    /// Fills what the step's SQL created from the events already stored, in the same
    /// transaction (a no-op on a new store).
    backfill: Option<Backfill>,
}

type Backfill = fn(&Transaction, &Path) -> Result<(), StoreError>;

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
        backfill: None,
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
        backfill: None,
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
        backfill: None,
    },
    Migration {
        version: 4,
        name: "log-wide Merkle tree over the events, signed checkpoints, the store's identity",
        sql: r#"
    -- RFC 9162 tree over every event in append order (see store::merkle). Leaf `idx` is
    -- the event of row `seq`; `merkle_nodes` holds the hash of every perfect subtree:
    -- (level, idx) covers leaves idx * 2^level .. (idx + 1) * 2^level - 1.
    CREATE TABLE merkle_leaves (
        idx INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE
    );
    CREATE TABLE merkle_nodes (
        level INTEGER NOT NULL,
        idx   INTEGER NOT NULL,
        hash  BLOB    NOT NULL,
        PRIMARY KEY (level, idx)
    ) WITHOUT ROWID;
    -- Every checkpoint this store signed, in its text form (store::checkpoint).
    CREATE TABLE checkpoints (
        id   INTEGER PRIMARY KEY,
        size INTEGER NOT NULL,
        text TEXT    NOT NULL
    );
    -- Names the log in its checkpoints, so one store's checkpoint is never taken for
    -- another's.
    CREATE TABLE store_identity (id TEXT NOT NULL);
    INSERT INTO store_identity (id) VALUES (lower(hex(randomblob(16))));
    CREATE TRIGGER merkle_leaves_are_append_only_update BEFORE UPDATE ON merkle_leaves
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
    CREATE TRIGGER merkle_leaves_are_append_only_delete BEFORE DELETE ON merkle_leaves
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
    CREATE TRIGGER merkle_nodes_are_append_only_update BEFORE UPDATE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
    CREATE TRIGGER merkle_nodes_are_append_only_delete BEFORE DELETE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
    CREATE TRIGGER checkpoints_are_append_only_update BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
    CREATE TRIGGER checkpoints_are_append_only_delete BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
    CREATE TRIGGER store_identity_is_fixed_update BEFORE UPDATE ON store_identity
        BEGIN SELECT RAISE(ABORT, 'the store identity is fixed'); END;
    CREATE TRIGGER store_identity_is_fixed_delete BEFORE DELETE ON store_identity
        BEGIN SELECT RAISE(ABORT, 'the store identity is fixed'); END;
    "#,
        rebuilds_projection: false,
        // Step 5 replaces these tables; it builds the tree's edge from the log.
        backfill: None,
    },
    Migration {
        version: 5,
        name: "the Merkle tree kept as its right edge only",
        sql: r#"
    -- An append wrote a leaf row and every node it completed; now it only updates the
    -- tree's right edge (store::merkle_frontier), and proofs are computed from the log.
    DROP TRIGGER merkle_leaves_are_append_only_update;
    DROP TRIGGER merkle_leaves_are_append_only_delete;
    DROP TRIGGER merkle_nodes_are_append_only_update;
    DROP TRIGGER merkle_nodes_are_append_only_delete;
    DROP TABLE merkle_leaves;
    DROP TABLE merkle_nodes;
    -- One row: the tree covers the first `size` events in `seq` order, the last being
    -- row `last_seq`; `peaks` are its perfect subtrees' roots, 32 bytes each, left first.
    CREATE TABLE merkle_frontier (
        size     INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        peaks    BLOB    NOT NULL
    );
    INSERT INTO merkle_frontier (size, last_seq, peaks) VALUES (0, 0, x'');
    CREATE TRIGGER merkle_frontier_is_one_row_delete BEFORE DELETE ON merkle_frontier
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree edge is one row, never deleted'); END;
    CREATE TRIGGER merkle_frontier_is_one_row_insert BEFORE INSERT ON merkle_frontier
        WHEN (SELECT count(*) FROM merkle_frontier) > 0
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree edge is one row'); END;
    "#,
        rebuilds_projection: false,
        backfill: Some(super::merkle_sqlite::build_tree_in),
    },
    Migration {
        version: 6,
        name: "bearer tokens of slawatch serve",
        sql: r#"
    -- Only the SHA-256 of each secret, so a copy of the database lets no one in.
    -- IF NOT EXISTS: before this step `token create` made the table itself.
    CREATE TABLE IF NOT EXISTS tokens (
        hash       TEXT    PRIMARY KEY,
        name       TEXT    NOT NULL,
        role       TEXT    NOT NULL,
        created_at INTEGER NOT NULL,     -- µs
        expires_at INTEGER,
        revoked_at INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS tokens_by_name ON tokens (name);
    "#,
        rebuilds_projection: false,
        backfill: None,
    },
];

/// The append-only triggers a store must have, by name, with the SQL that created them
/// (as `sqlite_master` keeps it, compared with whitespace collapsed): `verify` reports a
/// missing or altered one.
pub fn expected_triggers() -> Vec<(String, String)> {
    let dropped: Vec<&str> = MIGRATIONS
        .iter()
        .flat_map(|m| m.sql.split("DROP TRIGGER ").skip(1))
        .filter_map(|rest| rest.split(|c: char| c == ';' || c.is_whitespace()).next())
        .collect();
    MIGRATIONS
        .iter()
        .flat_map(|m| trigger_statements(m.sql))
        .filter(|(name, _)| !dropped.contains(&name.as_str()))
        .collect()
}

/// The `CREATE TRIGGER … END` statements of a migration's SQL, by trigger name.
fn trigger_statements(sql: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some(start) = rest.find("CREATE TRIGGER ") {
        let stmt = &rest[start..];
        let end = stmt.find("END;").map_or(stmt.len(), |e| e + "END".len());
        let name = stmt["CREATE TRIGGER ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        out.push((
            name,
            super::merkle_verify::collapse_whitespace(&stmt[..end]),
        ));
        rest = &stmt[end..];
    }
    out
}

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
        if let Some(backfill) = m.backfill.filter(|_| current > 0) {
            backfill(&tx, path)?;
        }
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
