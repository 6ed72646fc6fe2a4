//! The SQLite side of the log-wide Merkle tree: the tree's edge (`merkle_frontier`) and
//! the checkpoints. Writers are serialised, so append order is `seq` order, and the
//! edge is the tree of the events up to its `last_seq`: a batch extends it in its own
//! transaction; a single append leaves it behind (reading and rewriting the edge row
//! cost a third of a one-event append), and it is brought up to date from the log when
//! it is read (checkpoints, proofs) and after every [`EXTEND_EVERY`] single appends
//! through one connection. Every computation is in [`super::merkle`],
//! [`super::merkle_frontier`] and [`super::merkle_log`].

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::checkpoint::Checkpoint;
use super::merkle::{self, Hash};
use super::merkle_frontier::Frontier;
use super::merkle_log::LogTree;
use super::merkle_verify::collapse_whitespace;
use super::{Seq, StoreError};

pub(super) fn tree_error(path: &Path, why: String) -> StoreError {
    StoreError::Tree {
        path: path.to_path_buf(),
        why,
    }
}

/// The stored edge and the row of its last leaf.
pub(super) fn load_frontier(conn: &Connection, path: &Path) -> Result<(Frontier, Seq), StoreError> {
    let row: Option<(i64, Seq, Vec<u8>)> = conn
        .prepare_cached("SELECT size, last_seq, peaks FROM merkle_frontier")
        .and_then(|mut s| {
            s.query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .map_err(|e| StoreError::from_sqlite(path, e))?;
    let (size, last, peaks) = row.ok_or_else(|| {
        tree_error(
            path,
            "the tree's edge row (merkle_frontier) is missing".into(),
        )
    })?;
    let edge = u64::try_from(size)
        .ok()
        .and_then(|n| Frontier::from_stored(n, &peaks))
        .ok_or_else(|| {
            tree_error(
                path,
                format!(
                    "the tree's edge row says {size} leaves but holds {} bytes of subtree roots",
                    peaks.len()
                ),
            )
        })?;
    Ok((edge, last))
}

pub(super) fn save_frontier(
    tx: &Transaction,
    path: &Path,
    edge: &Frontier,
    last: Seq,
) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE merkle_frontier SET size = ?1, last_seq = ?2, peaks = ?3")
        .and_then(|mut s| s.execute(params![edge.size() as i64, last, edge.peak_bytes()]))
        .map_err(|e| StoreError::from_sqlite(path, e))?;
    Ok(())
}

pub(super) fn leaf_of(path: &Path, seq: Seq, hash: &str) -> Result<Hash, StoreError> {
    merkle::event_leaf(hash).ok_or_else(|| StoreError::Corrupt {
        path: path.to_path_buf(),
        seq,
        why: format!("chain hash {hash:?} is not 64 hex digits"),
    })
}

/// Single appends through one connection after which it brings the edge up to date,
/// so that what a checkpoint or proof finds left to add stays small.
pub const EXTEND_EVERY: u64 = 1024;

/// The stored edge extended, in memory, by every event row after its last one: the
/// tree of the whole log in `conn`'s view, its last row, and how many leaves were added.
pub(super) fn caught_up(
    conn: &Connection,
    path: &Path,
) -> Result<(Frontier, Seq, u64), StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let (mut edge, mut last) = load_frontier(conn, path)?;
    let mut added = 0;
    let mut stmt = conn
        .prepare_cached("SELECT seq, hash FROM events WHERE seq > ?1 ORDER BY seq")
        .map_err(err)?;
    let mut rows = stmt.query([last]).map_err(err)?;
    while let Some(row) = rows.next().map_err(err)? {
        let (seq, hash): (Seq, String) = (row.get(0).map_err(err)?, row.get(1).map_err(err)?);
        edge.push(leaf_of(path, seq, &hash)?);
        last = seq;
        added += 1;
    }
    Ok((edge, last, added))
}

/// Brings the stored edge up to date in `tx`: the tree of every event row.
pub(super) fn extend(tx: &Transaction, path: &Path) -> Result<Frontier, StoreError> {
    let (edge, last, added) = caught_up(tx, path)?;
    if added > 0 {
        save_frontier(tx, path, &edge, last)?;
    }
    Ok(edge)
}

/// The tree's edge while a transaction appends several events: brought up to date at
/// the first (which covers it and whatever single appends left behind), then extended
/// in memory and written once before the transaction commits ([`Edge::save`]), so a
/// batch of a thousand events reads and writes the edge row once.
#[derive(Default)]
pub struct Edge {
    held: Option<(Frontier, Seq)>,
}

impl Edge {
    /// Adds the event of row `seq`, whose chain hash is `hash`, as the tree's next leaf.
    pub fn push(
        &mut self,
        tx: &Transaction,
        path: &Path,
        seq: Seq,
        hash: &str,
    ) -> Result<(), StoreError> {
        let (edge, last) = match &mut self.held {
            Some(held) => held,
            None => {
                let (edge, last, _) = caught_up(tx, path)?;
                self.held.insert((edge, last))
            }
        };
        if seq > *last {
            edge.push(leaf_of(path, seq, hash)?);
            *last = seq;
        }
        Ok(())
    }

    /// Writes the edge back if a leaf was added: call before the transaction commits.
    pub fn save(self, tx: &Transaction, path: &Path) -> Result<(), StoreError> {
        match self.held {
            Some((edge, last)) => save_frontier(tx, path, &edge, last),
            None => Ok(()),
        }
    }
}

/// Builds the tree's edge over every event already stored (the schema step that
/// introduces it).
pub fn build_tree_in(tx: &Transaction, path: &Path) -> Result<(), StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let mut edge = Frontier::new();
    let mut last = 0;
    {
        let mut stmt = tx
            .prepare("SELECT seq, hash FROM events ORDER BY seq")
            .map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let (seq, hash): (Seq, String) = (row.get(0).map_err(err)?, row.get(1).map_err(err)?);
            edge.push(leaf_of(path, seq, &hash)?);
            last = seq;
        }
    }
    save_frontier(tx, path, &edge, last)
}

pub(super) fn log_tree(conn: &Connection, path: &Path) -> Result<LogTree, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let mut log = LogTree::new();
    let mut stmt = conn
        .prepare("SELECT seq, hash FROM events ORDER BY seq")
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    while let Some(row) = rows.next().map_err(err)? {
        let seq: Seq = row.get(0).map_err(err)?;
        let hash: String = row.get(1).map_err(err)?;
        log.push(seq, &hash);
    }
    Ok(log)
}

pub(super) fn store_id(conn: &Connection, path: &Path) -> Result<String, StoreError> {
    conn.query_row("SELECT id FROM store_identity", [], |r| r.get(0))
        .optional()
        .map_err(|e| StoreError::from_sqlite(path, e))?
        .ok_or_else(|| {
            tree_error(
                path,
                "the store has no identity row (store_identity is empty)".into(),
            )
        })
}

pub(super) fn insert_checkpoint(
    tx: &Connection,
    path: &Path,
    cp: &Checkpoint,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO checkpoints (size, text) VALUES (?1, ?2)",
        params![cp.size as i64, cp.to_text()],
    )
    .map_err(|e| StoreError::from_sqlite(path, e))?;
    Ok(())
}

pub(super) fn checkpoints(
    conn: &Connection,
    path: &Path,
) -> Result<Vec<(i64, String)>, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let mut stmt = conn
        .prepare("SELECT id, text FROM checkpoints ORDER BY id")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(err)?;
    rows.collect::<Result<_, _>>().map_err(err)
}

/// The triggers the store has now: (name, SQL), SQL with whitespace collapsed.
pub(super) fn triggers(
    conn: &Connection,
    path: &Path,
) -> Result<Vec<(String, String)>, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let mut stmt = conn
        .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                collapse_whitespace(&r.get::<_, String>(1)?),
            ))
        })
        .map_err(err)?;
    rows.collect::<Result<_, _>>().map_err(err)
}

pub(super) fn has_table(conn: &Connection, name: &str) -> bool {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .is_ok()
}
