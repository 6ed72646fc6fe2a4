//! The SQLite tables behind the log-wide Merkle tree (`merkle_leaves`, `merkle_nodes`)
//! and the checkpoints: reads and writes only; every computation is in
//! [`super::merkle`] and [`super::checkpoint`].

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::merkle::{self, Hash, Nodes};
use super::merkle_verify::TreeAudit;
use super::{Seq, StoreError};

/// The tree's nodes as one connection (or transaction) sees them.
pub struct SqlNodes<'a> {
    pub conn: &'a Connection,
    pub path: &'a Path,
}

impl Nodes for SqlNodes<'_> {
    type Error = StoreError;
    fn node(&self, level: u32, index: u64) -> Result<Hash, StoreError> {
        let idx = i64::try_from(index).map_err(|_| self.missing(level, index))?;
        let blob: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT hash FROM merkle_nodes WHERE level = ?1 AND idx = ?2")
            .and_then(|mut s| s.query_row(params![level, idx], |r| r.get(0)).optional())
            .map_err(|e| StoreError::from_sqlite(self.path, e))?;
        blob.and_then(|b| Hash::try_from(b.as_slice()).ok())
            .ok_or_else(|| self.missing(level, index))
    }
}

impl SqlNodes<'_> {
    fn missing(&self, level: u32, index: u64) -> StoreError {
        StoreError::Tree {
            path: self.path.to_path_buf(),
            why: format!("node (level {level}, index {index}) is missing or not 32 bytes"),
        }
    }
}

/// How many leaves the stored tree has.
pub fn tree_size(conn: &Connection, path: &Path) -> Result<u64, StoreError> {
    let n: i64 = conn
        .prepare_cached("SELECT coalesce(max(idx) + 1, 0) FROM merkle_leaves")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(|e| StoreError::from_sqlite(path, e))?;
    Ok(n.max(0) as u64)
}

/// Adds the event of row `seq`, whose chain hash is `hash`, as the tree's next leaf.
pub fn append_leaf(tx: &Transaction, path: &Path, seq: Seq, hash: &str) -> Result<(), StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let leaf = merkle::event_leaf(hash).ok_or_else(|| StoreError::Corrupt {
        path: path.to_path_buf(),
        seq,
        why: format!("chain hash {hash:?} is not 64 hex digits"),
    })?;
    let index = tree_size(tx, path)?;
    let nodes = SqlNodes { conn: tx, path };
    let completed = merkle::completed_by_append(&nodes, index, leaf)?;
    tx.prepare_cached("INSERT INTO merkle_leaves (idx, seq) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![index as i64, seq]))
        .map_err(err)?;
    let mut insert = tx
        .prepare_cached("INSERT INTO merkle_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")
        .map_err(err)?;
    for (level, idx, hash) in completed {
        insert
            .execute(params![level, idx as i64, &hash[..]])
            .map_err(err)?;
    }
    Ok(())
}

/// Builds the tree over every event already stored, in log order (the schema step that
/// introduces it).
pub fn build_tree_in(tx: &Transaction, path: &Path) -> Result<(), StoreError> {
    let rows: Vec<(Seq, String)> = {
        let mut stmt = tx
            .prepare("SELECT seq, hash FROM events ORDER BY seq")
            .map_err(|e| StoreError::from_sqlite(path, e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| StoreError::from_sqlite(path, e))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| StoreError::from_sqlite(path, e))?
    };
    for (seq, hash) in rows {
        append_leaf(tx, path, seq, &hash)?;
    }
    Ok(())
}

/// Each leaf's event row, by leaf index.
pub fn leaf_rows(conn: &Connection, path: &Path) -> Result<Vec<Seq>, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let mut stmt = conn
        .prepare("SELECT idx, seq FROM merkle_leaves ORDER BY idx")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Seq>(1)?)))
        .map_err(err)?;
    let mut out = Vec::new();
    for row in rows {
        let (idx, seq) = row.map_err(err)?;
        if idx != out.len() as i64 {
            return Err(StoreError::Tree {
                path: path.to_path_buf(),
                why: format!("leaf {} is missing (next stored leaf is {idx})", out.len()),
            });
        }
        out.push(seq);
    }
    Ok(out)
}

/// The leaf index of the event of row `seq`, if it is in the tree.
pub fn leaf_index(conn: &Connection, path: &Path, seq: Seq) -> Result<Option<u64>, StoreError> {
    let idx: Option<i64> = conn
        .prepare_cached("SELECT idx FROM merkle_leaves WHERE seq = ?1")
        .and_then(|mut s| s.query_row([seq], |r| r.get(0)).optional())
        .map_err(|e| StoreError::from_sqlite(path, e))?;
    Ok(idx.map(|i| i.max(0) as u64))
}

pub fn store_id(conn: &Connection, path: &Path) -> Result<String, StoreError> {
    conn.query_row("SELECT id FROM store_identity", [], |r| r.get(0))
        .optional()
        .map_err(|e| StoreError::from_sqlite(path, e))?
        .ok_or_else(|| StoreError::Tree {
            path: path.to_path_buf(),
            why: "the store has no identity row (store_identity is empty)".into(),
        })
}

pub fn insert_checkpoint(
    tx: &Transaction,
    path: &Path,
    size: u64,
    text: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO checkpoints (size, text) VALUES (?1, ?2)",
        params![size as i64, text],
    )
    .map_err(|e| StoreError::from_sqlite(path, e))?;
    Ok(())
}

/// Every checkpoint the store keeps, oldest first: (row id, text).
pub fn checkpoints(conn: &Connection, path: &Path) -> Result<Vec<(i64, String)>, StoreError> {
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
pub fn triggers(conn: &Connection, path: &Path) -> Result<Vec<(String, String)>, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let mut stmt = conn
        .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                super::merkle_verify::collapse_whitespace(&r.get::<_, String>(1)?),
            ))
        })
        .map_err(err)?;
    rows.collect::<Result<_, _>>().map_err(err)
}

/// An event's leaf index and its audit path.
pub type LeafProof = (u64, Vec<Hash>);

fn has_table(conn: &Connection, name: &str) -> bool {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .is_ok()
}

impl super::SqliteStore {
    /// The tree's size and root now.
    pub fn tree_head(&self) -> Result<(u64, Hash), StoreError> {
        let path = self.path();
        let tx = self
            .conn()
            .unchecked_transaction()
            .map_err(|e| StoreError::from_sqlite(path, e))?;
        let size = tree_size(&tx, path)?;
        Ok((size, merkle::root(&SqlNodes { conn: &tx, path }, size)?))
    }

    /// Signs a checkpoint of the tree as it is, and keeps it, in one write transaction:
    /// `sign` gets the store's id, the size and the root.
    pub fn write_checkpoint(
        &mut self,
        sign: impl FnOnce(&str, u64, Hash) -> super::checkpoint::Checkpoint,
    ) -> Result<super::checkpoint::Checkpoint, StoreError> {
        self.write(|tx, path| {
            let id = store_id(tx, path)?;
            let size = tree_size(tx, path)?;
            let root = merkle::root(&SqlNodes { conn: tx, path }, size)?;
            let cp = sign(&id, size, root);
            insert_checkpoint(tx, path, size, &cp.to_text())?;
            Ok(cp)
        })
    }

    /// Every checkpoint the store keeps, oldest first: (row id, text).
    pub fn stored_checkpoints(&self) -> Result<Vec<(i64, String)>, StoreError> {
        checkpoints(self.conn(), self.path())
    }

    /// Each event row's leaf index and audit path in the tree of `size` leaves (`None`
    /// for a row that is not in that tree).
    pub fn inclusion_proofs(
        &self,
        seqs: &[Seq],
        size: u64,
    ) -> Result<Vec<Option<LeafProof>>, StoreError> {
        let path = self.path();
        let tx = self
            .conn()
            .unchecked_transaction()
            .map_err(|e| StoreError::from_sqlite(path, e))?;
        if size > tree_size(&tx, path)? {
            return Err(StoreError::Tree {
                path: path.to_path_buf(),
                why: format!("asked for proofs in a tree of {size} leaves, which it never had"),
            });
        }
        let nodes = SqlNodes { conn: &tx, path };
        let mut out = Vec::with_capacity(seqs.len());
        for &seq in seqs {
            let proof = match leaf_index(&tx, path, seq)? {
                Some(i) => merkle::inclusion_proof(&nodes, i, size)?.map(|p| (i, p)),
                None => None,
            };
            out.push(proof);
        }
        Ok(out)
    }

    /// The proof that the tree of `old` leaves is a prefix of the tree of `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, StoreError> {
        let path = self.path();
        let tx = self
            .conn()
            .unchecked_transaction()
            .map_err(|e| StoreError::from_sqlite(path, e))?;
        let size = tree_size(&tx, path)?;
        let bad = || StoreError::Tree {
            path: path.to_path_buf(),
            why: format!("no consistency proof from {old} to {new} leaves in a tree of {size}"),
        };
        if new > size {
            return Err(bad());
        }
        merkle::consistency_proof(&SqlNodes { conn: &tx, path }, old, new)?.ok_or_else(bad)
    }

    /// Recomputes the tree from the log and gathers what the store keeps about it, all
    /// in one read transaction.
    pub fn audit_tree(&self) -> Result<TreeAudit, StoreError> {
        let path = self.path();
        let err = |e| StoreError::from_sqlite(path, e);
        let tx = self.conn().unchecked_transaction().map_err(err)?;
        let mut recomputed = merkle::MemoryTree::new();
        let mut unreadable = Vec::new();
        let mut seqs = Vec::new();
        {
            let mut stmt = tx
                .prepare("SELECT seq, hash FROM events ORDER BY seq")
                .map_err(err)?;
            let mut rows = stmt.query([]).map_err(err)?;
            while let Some(row) = rows.next().map_err(err)? {
                let seq: Seq = row.get(0).map_err(err)?;
                let hash: String = row.get(1).map_err(err)?;
                match merkle::event_leaf(&hash) {
                    Some(leaf) => recomputed.push(leaf),
                    None => {
                        unreadable.push(seq);
                        recomputed.push(merkle::leaf_hash(hash.as_bytes()));
                    }
                }
                seqs.push(seq);
            }
        }
        let mut stored_differs = Vec::new();
        let missing: Vec<&str> = [
            "merkle_leaves",
            "merkle_nodes",
            "checkpoints",
            "store_identity",
        ]
        .into_iter()
        .filter(|t| !has_table(&tx, t))
        .collect();
        if !missing.is_empty() {
            stored_differs.push(format!("table(s) {} missing", missing.join(", ")));
            return Ok(TreeAudit {
                unreadable,
                stored_differs,
                stored_size: 0,
                store_id: Err("the store's identity is missing".into()),
                checkpoints: Vec::new(),
                triggers: triggers(&tx, path)?,
                recomputed,
            });
        }
        let stored_size = tree_size(&tx, path)?;
        match leaf_rows(&tx, path) {
            Err(StoreError::Tree { why, .. }) => stored_differs.push(why),
            Err(e) => return Err(e),
            Ok(leaves) => {
                if let Some(i) = (0..leaves.len().min(seqs.len())).find(|&i| leaves[i] != seqs[i]) {
                    stored_differs.push(format!(
                        "leaf {i} is row {} in the stored tree but row {} in the log",
                        leaves[i], seqs[i]
                    ));
                }
            }
        }
        {
            let mut stmt = tx
                .prepare("SELECT level, idx, hash FROM merkle_nodes ORDER BY level, idx")
                .map_err(err)?;
            let mut rows = stmt.query([]).map_err(err)?;
            let mut wrong = 0usize;
            while let Some(row) = rows.next().map_err(err)? {
                let (level, idx): (u32, i64) = (row.get(0).map_err(err)?, row.get(1).map_err(err)?);
                let hash: Vec<u8> = row.get(2).map_err(err)?;
                let expected = u64::try_from(idx)
                    .ok()
                    .and_then(|i| recomputed.get(level, i));
                if expected.as_ref().map(|h| &h[..]) != Some(hash.as_slice()) {
                    if wrong == 0 {
                        stored_differs.push(format!(
                            "stored node (level {level}, index {idx}) is not what the log's events give"
                        ));
                    }
                    wrong += 1;
                }
            }
            if wrong > 1 {
                stored_differs.push(format!("{wrong} stored nodes differ in all"));
            }
        }
        Ok(TreeAudit {
            unreadable,
            stored_differs,
            stored_size,
            store_id: store_id(&tx, path).map_err(|e| e.to_string()),
            checkpoints: checkpoints(&tx, path)?,
            triggers: triggers(&tx, path)?,
            recomputed,
        })
    }
}
