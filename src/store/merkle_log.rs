//! The tree recomputed from the log, in memory, in the store's append order: what
//! `verify` compares the stored edge and every checkpoint with, and where inclusion and
//! consistency proofs come from. Reading it writes nothing, so it works on a read-only
//! store too.

use std::collections::{HashMap, HashSet};

use super::merkle::{self, Hash, MemoryTree};
use super::Seq;

/// An event's leaf index and its audit path.
pub type LeafProof = (u64, Vec<Hash>);

/// An event's leaf; a chain hash that is not 64 hex digits (a damaged row, which
/// `verify` reports) still gives one, so that the tree stays defined past it.
pub fn log_leaf(hash: &str) -> Hash {
    merkle::event_leaf(hash).unwrap_or_else(|| merkle::leaf_hash(hash.as_bytes()))
}

#[derive(Clone, Debug, Default)]
pub struct LogTree {
    pub tree: MemoryTree,
    /// The event row of each leaf, by leaf index.
    pub seqs: Vec<Seq>,
    /// Rows whose chain hash is not even 64 hex digits (they break the tree there).
    pub unreadable: Vec<Seq>,
}

impl LogTree {
    pub fn new() -> LogTree {
        LogTree::default()
    }

    /// Adds the next event in append order: row `seq` with chain hash `hash` (hex).
    pub fn push(&mut self, seq: Seq, hash: &str) {
        if merkle::event_leaf(hash).is_none() {
            self.unreadable.push(seq);
        }
        self.tree.push(log_leaf(hash));
        self.seqs.push(seq);
    }

    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// Each row's leaf index and audit path in the tree of the first `size` leaves
    /// (`None` for a row that is not among them); `None` altogether when the log has
    /// fewer leaves than `size`.
    pub fn inclusion_proofs(&self, seqs: &[Seq], size: u64) -> Option<Vec<Option<LeafProof>>> {
        if size > self.size() {
            return None;
        }
        let asked: HashSet<Seq> = seqs.iter().copied().collect();
        let wanted: HashMap<Seq, u64> = self
            .seqs
            .iter()
            .take(size as usize)
            .enumerate()
            .filter(|(_, s)| asked.contains(s))
            .map(|(i, s)| (*s, i as u64))
            .collect();
        Some(
            seqs.iter()
                .map(|s| {
                    let i = *wanted.get(s)?;
                    self.tree.inclusion_proof(i, size).map(|p| (i, p))
                })
                .collect(),
        )
    }

    /// The proof that the first `old` leaves are a prefix of the first `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Option<Vec<Hash>> {
        self.tree.consistency_proof(old, new)
    }
}
