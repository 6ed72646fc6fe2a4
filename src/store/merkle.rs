//! The log-wide Merkle tree of RFC 9162 (Certificate Transparency 2.0) over every event
//! in append order, as pure functions: no store, no I/O, so that every store (SQLite
//! now, PostgreSQL later) and the offline evidence verifier share them.
//!
//! Leaf `i` is the `i`-th event appended to the store (0-based). Its leaf bytes are the
//! event's 32-byte chain hash (`events.hash`, hex-decoded), not its canonical bytes:
//! the chain hash already commits to the canonical bytes *and* to the ticket's previous
//! event, it has a fixed size, and a store can build the tree from one column without
//! re-encoding any payload. A verifier holding an event recomputes its chain hash from
//! the event and its `prev_hash`, so an inclusion proof of the chain hash proves the
//! event's content.
//!
//! Hashing is RFC 9162 §2.1.1: `leaf = SHA-256(0x00 || bytes)`,
//! `node = SHA-256(0x01 || left || right)`, the root of an empty tree is `SHA-256("")`,
//! and a tree of `n > 1` leaves splits at the largest power of two below `n`.
//!
//! A store keeps the hash of every *perfect* subtree (`2^level` leaves starting at
//! `index * 2^level`). Appending leaf `n` completes one node per trailing one bit of
//! `n`, so an append reads and writes O(log n) hashes, and every root and proof below is
//! assembled from O(log n) stored nodes.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub fn leaf_hash(bytes: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(bytes);
    h.finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of a tree with no leaves.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The leaf hash of an event, from its hex chain hash; `None` when the text is not 64
/// hex digits (a corrupt row).
pub fn event_leaf(chain_hash_hex: &str) -> Option<Hash> {
    let mut raw = [0u8; 32];
    hex::decode_to_slice(chain_hash_hex, &mut raw).ok()?;
    Some(leaf_hash(&raw))
}

/// Where the hashes of perfect subtrees are kept: node (`level`, `index`) covers leaves
/// `index * 2^level .. (index + 1) * 2^level`; level 0 holds the leaf hashes.
pub trait Nodes {
    type Error;
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// The nodes that appending leaf number `index` (with `index` leaves already in the
/// tree) completes, the leaf itself first: what a store writes in the append's
/// transaction.
pub fn completed_by_append<N: Nodes>(
    nodes: &N,
    index: u64,
    leaf: Hash,
) -> Result<Vec<(u32, u64, Hash)>, N::Error> {
    let mut out = vec![(0, index, leaf)];
    let (mut level, mut i, mut hash) = (0u32, index, leaf);
    while i & 1 == 1 {
        let left = nodes.node(level, i - 1)?;
        hash = node_hash(&left, &hash);
        level += 1;
        i >>= 1;
        out.push((level, i, hash));
    }
    Ok(out)
}

/// The largest power of two strictly below `n` (`n >= 2`): where RFC 9162 splits.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH(D[lo:hi]) for a non-empty range, from the stored perfect subtrees.
fn range_root<N: Nodes>(nodes: &N, lo: u64, hi: u64) -> Result<Hash, N::Error> {
    let n = hi - lo;
    if n.is_power_of_two() && lo % n == 0 {
        return nodes.node(n.trailing_zeros(), lo >> n.trailing_zeros());
    }
    let k = split(n);
    Ok(node_hash(
        &range_root(nodes, lo, lo + k)?,
        &range_root(nodes, lo + k, hi)?,
    ))
}

/// The root of the first `size` leaves.
pub fn root<N: Nodes>(nodes: &N, size: u64) -> Result<Hash, N::Error> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_root(nodes, 0, size)
}

/// RFC 9162 §2.1.3.1: the audit path of leaf `index` in the tree of `size` leaves;
/// `None` when `index >= size`.
pub fn inclusion_proof<N: Nodes>(
    nodes: &N,
    index: u64,
    size: u64,
) -> Result<Option<Vec<Hash>>, N::Error> {
    if index >= size {
        return Ok(None);
    }
    let mut path = Vec::new();
    // Walk down from the root, collecting the sibling of every subtree entered; the
    // RFC lists them leaf first, so reverse at the end.
    let (mut m, mut lo, mut hi) = (index, 0u64, size);
    while hi - lo > 1 {
        let k = split(hi - lo);
        if m < k {
            path.push(range_root(nodes, lo + k, hi)?);
            hi = lo + k;
        } else {
            path.push(range_root(nodes, lo, lo + k)?);
            lo += k;
            m -= k;
        }
    }
    path.reverse();
    Ok(Some(path))
}

/// RFC 9162 §2.1.4.1: the proof that the tree of `old` leaves is a prefix of the tree
/// of `new` leaves; `None` when `old > new`. Empty when `old` is 0 or equals `new`.
pub fn consistency_proof<N: Nodes>(
    nodes: &N,
    old: u64,
    new: u64,
) -> Result<Option<Vec<Hash>>, N::Error> {
    if old > new {
        return Ok(None);
    }
    if old == 0 || old == new {
        return Ok(Some(Vec::new()));
    }
    let mut proof = Vec::new();
    let (mut m, mut lo, mut hi, mut whole) = (old, 0u64, new, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !whole {
                proof.push(range_root(nodes, lo, hi)?);
            }
            break;
        }
        let k = split(n);
        if m <= k {
            proof.push(range_root(nodes, lo + k, hi)?);
            hi = lo + k;
        } else {
            proof.push(range_root(nodes, lo, lo + k)?);
            lo += k;
            m -= k;
            whole = false;
        }
    }
    proof.reverse();
    Ok(Some(proof))
}

/// RFC 9162 §2.1.3.2: does `proof` show leaf `index` with hash `leaf` in the tree of
/// `size` leaves whose root is `root`?
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode, mut r) = (index, size - 1, *leaf);
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && &r == root
}

/// RFC 9162 §2.1.4.2: does `proof` show that the tree of `old` leaves with root
/// `old_root` is a prefix of the tree of `new` leaves with root `new_root`?
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty() && old_root == &empty_root();
    }
    let Some((&first, rest)) = proof.split_first() else {
        return false;
    };
    // When the old tree is a perfect subtree of the new one, its root is the proof's
    // implicit first element.
    let (seed, rest) = if old.is_power_of_two() {
        (*old_root, proof)
    } else {
        (first, rest)
    };
    let (mut fnode, mut snode) = (old - 1, new - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (seed, seed);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && &fr == old_root && &sr == new_root
}

/// A whole tree in memory: what `verify` recomputes from the log and compares with the
/// stored one, and what tests build.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` is node (`l`, `i`).
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    pub fn push(&mut self, leaf: Hash) {
        let completed =
            completed_by_append(self, self.size(), leaf).unwrap_or_else(|never| match never {});
        for (level, _, hash) in completed {
            let level = level as usize;
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
        }
    }

    pub fn root(&self) -> Hash {
        self.root_at(self.size()).expect("the whole tree is held")
    }

    /// The root of the first `size` leaves; `None` beyond the tree.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        (size <= self.size()).then(|| root(self, size).unwrap_or_else(|never| match never {}))
    }

    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if size > self.size() {
            return None;
        }
        inclusion_proof(self, index, size).unwrap_or_else(|never| match never {})
    }

    pub fn consistency_proof(&self, old: u64, new: u64) -> Option<Vec<Hash>> {
        if new > self.size() {
            return None;
        }
        consistency_proof(self, old, new).unwrap_or_else(|never| match never {})
    }

    /// Node (`level`, `index`) if the tree has completed it.
    pub fn get(&self, level: u32, index: u64) -> Option<Hash> {
        let i = usize::try_from(index).ok()?;
        self.levels.get(level as usize)?.get(i).copied()
    }
}

impl Nodes for MemoryTree {
    type Error = std::convert::Infallible;
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        Ok(self
            .get(level, index)
            .expect("only completed nodes are asked for"))
    }
}

#[cfg(test)]
#[path = "merkle_tests.rs"]
mod tests;
