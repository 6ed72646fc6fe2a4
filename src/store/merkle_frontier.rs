//! The tree's right edge: the roots of the perfect subtrees a tree of `size` leaves
//! splits into (one per set bit of `size`, the largest first). It is all a store keeps
//! of the tree between appends: an append touches O(log n) hashes in memory and writes
//! one small row, and the root follows from the edge alone. Proofs are computed from
//! the log when asked for (see [`super::merkle_log`]).

use super::merkle::{empty_root, node_hash, Hash};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Roots of perfect subtrees, left to right (so of decreasing size).
    peaks: Vec<Hash>,
}

impl Frontier {
    pub fn new() -> Frontier {
        Frontier::default()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the next leaf: merges the equal-sized subtrees it completes.
    pub fn push(&mut self, leaf: Hash) {
        let (mut hash, mut n) = (leaf, self.size);
        while n & 1 == 1 {
            let left = self.peaks.pop().expect("one peak per set bit of the size");
            hash = node_hash(&left, &hash);
            n >>= 1;
        }
        self.peaks.push(hash);
        self.size += 1;
    }

    /// RFC 9162's root: the left subtree is always the largest perfect one, so the
    /// peaks fold from the right.
    pub fn root(&self) -> Hash {
        let mut it = self.peaks.iter().rev();
        let Some(last) = it.next() else {
            return empty_root();
        };
        it.fold(*last, |right, left| node_hash(left, &right))
    }

    /// The peaks as stored: 32 bytes each, concatenated.
    pub fn peak_bytes(&self) -> Vec<u8> {
        self.peaks.concat()
    }

    /// The edge of `size` leaves from its stored peaks; `None` when their number does
    /// not match the size (a damaged row).
    pub fn from_stored(size: u64, peaks: &[u8]) -> Option<Frontier> {
        if peaks.len() != 32 * size.count_ones() as usize {
            return None;
        }
        let peaks = peaks
            .chunks_exact(32)
            .map(|c| Hash::try_from(c).expect("32-byte chunks"))
            .collect();
        Some(Frontier { size, peaks })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::merkle::{leaf_hash, MemoryTree};

    #[test]
    fn the_edge_gives_the_whole_tree_root_at_every_size() {
        let mut edge = Frontier::new();
        let mut tree = MemoryTree::new();
        assert_eq!(edge.root(), tree.root());
        for i in 0u32..300 {
            let leaf = leaf_hash(&i.to_be_bytes());
            edge.push(leaf);
            tree.push(leaf);
            assert_eq!(edge.root(), tree.root(), "size {}", i + 1);
            let back = Frontier::from_stored(edge.size(), &edge.peak_bytes()).unwrap();
            assert_eq!(back, edge);
        }
    }

    #[test]
    fn a_stored_edge_of_the_wrong_length_is_refused() {
        assert!(Frontier::from_stored(3, &[0; 32]).is_none());
        assert!(Frontier::from_stored(0, &[]).is_some());
    }
}
