//! The SQLite store's side of [`TreeStore`]: here rather than in `merkle_sqlite`, which
//! the schema's migrations use, because it needs the schema's list of triggers.

use super::super::checkpoint::Checkpoint;
use super::super::merkle::Hash;
use super::super::merkle_log::LogTree;
use super::super::merkle_sqlite::{
    caught_up, checkpoints, extend, has_table, insert_checkpoint, load_frontier, log_tree,
    store_id, triggers,
};
use super::super::merkle_verify::{StoredTree, TreeAudit};
use super::super::tree_store::{newest, Signing, TreeStore};
use super::super::{schema, StoreError};
use super::SqliteStore;

impl TreeStore for SqliteStore {
    /// The tree of the whole log, from the stored edge and what came after it (in
    /// memory: a read-only store answers too).
    fn tree_head(&mut self) -> Result<(u64, Hash), StoreError> {
        let path = self.path();
        let tx = self
            .conn()
            .unchecked_transaction()
            .map_err(|e| StoreError::from_sqlite(path, e))?;
        let (edge, _, _) = caught_up(&tx, path)?;
        Ok((edge.size(), edge.root()))
    }

    fn log_tree(&self) -> Result<LogTree, StoreError> {
        let path = self.path();
        let tx = self
            .conn()
            .unchecked_transaction()
            .map_err(|e| StoreError::from_sqlite(path, e))?;
        log_tree(&tx, path)
    }

    fn store_id(&self) -> Result<String, StoreError> {
        store_id(self.conn(), self.path())
    }

    fn stored_checkpoints(&self) -> Result<Vec<(i64, String)>, StoreError> {
        checkpoints(self.conn(), self.path())
    }

    fn keep_checkpoint(&mut self, cp: &Checkpoint) -> Result<(), StoreError> {
        self.write(|tx, path| insert_checkpoint(tx, path, cp))
    }

    fn write_checkpoint(
        &mut self,
        sign: &mut dyn FnMut(&Signing) -> Option<Checkpoint>,
    ) -> Result<Option<Checkpoint>, StoreError> {
        self.write(|tx, path| {
            let edge = extend(tx, path)?;
            let signing = Signing {
                store: store_id(tx, path)?,
                size: edge.size(),
                root: edge.root(),
                newest: newest(&checkpoints(tx, path)?),
            };
            let cp = sign(&signing);
            if let Some(cp) = &cp {
                insert_checkpoint(tx, path, cp)?;
            }
            Ok(cp)
        })
    }

    fn audit_tree(&mut self) -> Result<TreeAudit, StoreError> {
        let path = self.path();
        let err = |e| StoreError::from_sqlite(path, e);
        let tx = self.conn().unchecked_transaction().map_err(err)?;
        let log = log_tree(&tx, path)?;
        let missing: Vec<&str> = ["merkle_frontier", "checkpoints", "store_identity"]
            .into_iter()
            .filter(|t| !has_table(&tx, t))
            .collect();
        if !missing.is_empty() {
            return Ok(TreeAudit {
                log,
                stored: Err(format!("table(s) {} missing", missing.join(", "))),
                pending: 0,
                store_id: Err("the store's identity is missing".into()),
                checkpoints: Vec::new(),
                triggers: triggers(&tx, path)?,
            });
        }
        let stored = match load_frontier(&tx, path) {
            Ok((edge, last_seq)) => Ok(StoredTree {
                size: edge.size(),
                root: edge.root(),
                last_seq,
            }),
            Err(StoreError::Tree { why, .. }) => Err(why),
            Err(e) => return Err(e),
        };
        // The events single appends left for the edge to take up later.
        let pending = match &stored {
            Ok(st) => log
                .seqs
                .iter()
                .rev()
                .take_while(|s| **s > st.last_seq)
                .count() as u64,
            Err(_) => 0,
        };
        Ok(TreeAudit {
            log,
            stored,
            pending,
            store_id: store_id(&tx, path).map_err(|e| e.to_string()),
            checkpoints: checkpoints(&tx, path)?,
            triggers: triggers(&tx, path)?,
        })
    }

    fn expected_triggers(&self) -> Vec<(String, String)> {
        schema::expected_triggers()
    }
}
