//! What every store does with its log-wide Merkle tree, whatever its SQL: the CLI's
//! `checkpoint`, `verify` and `evidence` and the server's scheduled checkpoints use only
//! this.

use super::checkpoint::Checkpoint;
use super::merkle::Hash;
use super::merkle_log::LogTree;
use super::merkle_verify::{check, IntegrityReport, Outside, TreeAudit};
use super::StoreError;

/// What a checkpoint is made of, handed to the signer inside the store's transaction.
pub struct Signing {
    pub store: String,
    pub size: u64,
    pub root: Hash,
    /// The newest checkpoint the store keeps (`None` when it keeps none, or the newest
    /// one is unreadable: `verify` reports that).
    pub newest: Option<Checkpoint>,
}

pub trait TreeStore {
    /// The tree of the whole log, its size and root: PostgreSQL adds the events
    /// committed since to its stored tree; SQLite adds, in memory, those that single
    /// appends left for later.
    fn tree_head(&mut self) -> Result<(u64, Hash), StoreError>;
    /// The tree recomputed from the log in append order; reads only.
    fn log_tree(&self) -> Result<LogTree, StoreError>;
    /// The store's identity, which names it in its checkpoints.
    fn store_id(&self) -> Result<String, StoreError>;
    /// Every checkpoint the store keeps, oldest first: (row id, text).
    fn stored_checkpoints(&self) -> Result<Vec<(i64, String)>, StoreError>;
    /// Keeps a checkpoint signed elsewhere (of a tree no larger than the log).
    fn keep_checkpoint(&mut self, cp: &Checkpoint) -> Result<(), StoreError>;
    /// Brings the tree up to date and, in one transaction (on PostgreSQL under the
    /// lock every process takes to extend the tree, so that two never both sign),
    /// keeps the checkpoint `sign` makes of it, if it makes one.
    fn write_checkpoint(
        &mut self,
        sign: &mut dyn FnMut(&Signing) -> Option<Checkpoint>,
    ) -> Result<Option<Checkpoint>, StoreError>;
    /// Recomputes the tree from the log and gathers what the store keeps about it.
    fn audit_tree(&mut self) -> Result<TreeAudit, StoreError>;
    /// The append-only triggers (and trigger functions) the schema creates, as
    /// [`TreeAudit::triggers`] lists them.
    fn expected_triggers(&self) -> Vec<(String, String)>;

    /// Checks the tree against the log, every checkpoint the store keeps and those in
    /// `outside`, and the append-only triggers.
    fn verify_tree(&mut self, outside: &[Outside]) -> Result<IntegrityReport, StoreError> {
        let audit = self.audit_tree()?;
        Ok(check(&audit, outside, &self.expected_triggers()))
    }
}

/// The newest of a store's checkpoints, if it reads.
pub fn newest(checkpoints: &[(i64, String)]) -> Option<Checkpoint> {
    let (_, text) = checkpoints.last()?;
    Checkpoint::parse(text, "the store's newest checkpoint").ok()
}
