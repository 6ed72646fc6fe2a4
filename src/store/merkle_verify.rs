//! Checking the log-wide Merkle tree: against the events it is built from, against the
//! checkpoints the store keeps and those held elsewhere, and the append-only triggers.
//! Store-neutral: a store gathers a [`TreeAudit`], this module judges it.

use super::checkpoint::Checkpoint;
use super::merkle::{self, Hash, MemoryTree};
use super::merkle_log::LogTree;
use super::Seq;

/// The tree as the store keeps it: its right edge, and the row of its last leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTree {
    pub size: u64,
    pub root: Hash,
    /// 0 for an empty tree.
    pub last_seq: Seq,
}

/// What a store knows about its tree, gathered in one read transaction.
pub struct TreeAudit {
    /// The tree over every event row's stored chain hash, in append order.
    pub log: LogTree,
    /// The stored tree, or why it cannot be read.
    pub stored: Result<StoredTree, String>,
    /// Events at the end of `log` that the stored tree does not cover yet (PostgreSQL
    /// adds events to its tree after they commit; SQLite after single appends, later).
    pub pending: u64,
    pub store_id: Result<String, String>,
    /// (row id, text) of every checkpoint the store keeps.
    pub checkpoints: Vec<(i64, String)>,
    /// The triggers the store has: (name, definition with whitespace collapsed).
    pub triggers: Vec<(String, String)>,
}

/// A checkpoint held outside the store, and where it was read from.
pub struct Outside {
    pub name: String,
    pub checkpoint: Checkpoint,
}

#[derive(Debug, Default)]
pub struct IntegrityReport {
    pub size: u64,
    pub root: Hash,
    pub problems: Vec<String>,
    /// What was shown to hold, one sentence each.
    pub proved: Vec<String>,
    /// What this check cannot exclude.
    pub caveats: Vec<String>,
}

impl IntegrityReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Judges `audit`: the stored tree against the log, every checkpoint (the store's and
/// `outside`) by a consistency proof from its size to the log's, and the triggers
/// against `expected_triggers`.
pub fn check(
    audit: &TreeAudit,
    outside: &[Outside],
    expected_triggers: &[(String, String)],
) -> IntegrityReport {
    let tree = &audit.log.tree;
    let mut r = IntegrityReport {
        size: tree.size(),
        root: tree.root(),
        ..IntegrityReport::default()
    };
    for seq in &audit.log.unreadable {
        r.problems
            .push(format!("row {seq}: its chain hash is not 64 hex digits"));
    }
    stored_tree(&mut r, audit);
    let store_id = match &audit.store_id {
        Ok(id) => Some(id.as_str()),
        Err(e) => {
            r.problems.push(e.clone());
            None
        }
    };
    for (id, text) in &audit.checkpoints {
        let name = format!("the store's checkpoint {id}");
        match Checkpoint::parse(text, &name) {
            Err(e) => r.problems.push(format!("{e}")),
            Ok(cp) => against(&mut r, tree, store_id, &name, &cp),
        }
    }
    for o in outside {
        against(&mut r, tree, store_id, &o.name, &o.checkpoint);
    }
    triggers(&mut r, &audit.triggers, expected_triggers);

    if outside.is_empty() {
        r.caveats.push(
            "no checkpoint from outside the store was given: someone who rewrote the file \
             (events, tree and checkpoints together, or the checkpoints with another key) \
             cannot be told from an honest store; pass --checkpoint FILE with a checkpoint \
             kept elsewhere"
                .into(),
        );
    } else if let Some(newest) = outside.iter().map(|o| o.checkpoint.size).max() {
        if newest < tree.size() {
            r.caveats.push(format!(
                "the {} event(s) appended after the newest outside checkpoint (size {newest}) \
                 are covered by no checkpoint held elsewhere yet",
                tree.size() - newest
            ));
        }
    }
    r.caveats.push(
        "a trigger dropped and re-created unchanged leaves no trace in the schema; what it \
         let through shows only against a checkpoint taken before"
            .into(),
    );
    r
}

/// The stored edge against the tree the log gives.
fn stored_tree(r: &mut IntegrityReport, audit: &TreeAudit) {
    let log = &audit.log;
    let st = match &audit.stored {
        Err(why) => return r.problems.push(format!("stored Merkle tree: {why}")),
        Ok(st) => st,
    };
    let covered = log.size().saturating_sub(audit.pending);
    if st.size != covered {
        r.problems.push(format!(
            "stored Merkle tree has {} leaves but the log has {} events{}",
            st.size,
            covered,
            if audit.pending > 0 {
                format!(
                    " it should cover ({} more are still to be added)",
                    audit.pending
                )
            } else {
                String::new()
            }
        ));
    } else if log.tree.root_at(st.size) != Some(st.root) {
        r.problems.push(format!(
            "stored Merkle tree of {} leaves has root {}, but the log's first {} events give {}",
            st.size,
            b64(&st.root),
            st.size,
            b64(&log.tree.root_at(st.size).unwrap_or_default())
        ));
    } else if st.size > 0 && log.seqs[st.size as usize - 1] != st.last_seq {
        r.problems.push(format!(
            "stored Merkle tree's last leaf is row {}, but the log's event number {} is row {}",
            st.last_seq,
            st.size,
            log.seqs[st.size as usize - 1]
        ));
    } else if log.unreadable.is_empty() {
        r.proved.push(format!(
            "the stored Merkle tree is the tree of the log's first {} events (root {})",
            st.size,
            b64(&st.root)
        ));
    }
    if audit.pending > 0 {
        r.caveats.push(format!(
            "{} event(s) at the end of the log are not in the stored tree yet (it takes them up at the next checkpoint, proof or batch); against the stored root they are checked only by a checkpoint",
            audit.pending
        ));
    }
}

/// Checks the log against one checkpoint: signature, store, and a consistency proof
/// from the checkpoint's size to the log's.
fn against(
    r: &mut IntegrityReport,
    tree: &MemoryTree,
    store_id: Option<&str>,
    name: &str,
    cp: &Checkpoint,
) {
    if !cp.signature_ok() {
        r.problems.push(format!(
            "{name}: the signature is not key {}'s over the checkpoint: it was altered or forged",
            cp.key_id()
        ));
        return;
    }
    if let Some(id) = store_id.filter(|id| *id != cp.store) {
        r.problems.push(format!(
            "{name}: is a checkpoint of store {}, not of this store ({id})",
            cp.store
        ));
        return;
    }
    let Some(old_root) = tree.root_at(cp.size) else {
        r.problems.push(format!(
            "{name}: covers {} events but the log has only {}: events were deleted",
            cp.size,
            tree.size()
        ));
        return;
    };
    let proof = tree
        .consistency_proof(cp.size, tree.size())
        .expect("size checked above");
    if merkle::verify_consistency(cp.size, tree.size(), &cp.root, &r.root, &proof) {
        r.proved.push(format!(
            "{name} (size {}, {}, key {}) is consistent with the log: its {} events are the log's first, unchanged and in order ({})",
            cp.size,
            cp.time.format("%Y-%m-%d %H:%M:%SZ"),
            cp.key_id(),
            cp.size,
            if cp.size == tree.size() {
                "the same tree".to_owned()
            } else {
                format!("a proof of {} hashes", proof.len())
            }
        ));
    } else {
        r.problems.push(format!(
            "{name} (size {}, {}): the log's first {} events are not the ones it signed (its root {}, the log's {}): history was rewritten, reordered or deleted",
            cp.size,
            cp.time.format("%Y-%m-%d %H:%M:%SZ"),
            cp.size,
            b64(&cp.root),
            b64(&old_root)
        ));
    }
}

fn triggers(r: &mut IntegrityReport, found: &[(String, String)], expected: &[(String, String)]) {
    let mut ok = true;
    for (name, sql) in expected {
        match found.iter().find(|(n, _)| n == name) {
            None => r
                .problems
                .push(format!("append-only trigger {name} is missing")),
            Some((_, actual)) if actual != sql => r.problems.push(format!(
                "append-only trigger {name} was altered: it is `{actual}`, expected `{sql}`"
            )),
            Some(_) => continue,
        }
        ok = false;
    }
    for (name, _) in found {
        if !expected.iter().any(|(n, _)| n == name) {
            r.problems.push(format!(
                "unexpected trigger {name} (slawatch creates no such trigger)"
            ));
            ok = false;
        }
    }
    if ok {
        r.proved.push(format!(
            "all {} append-only triggers are present as slawatch created them",
            expected.len()
        ));
    }
}

/// SQL as compared: the same statement however it was indented.
pub fn collapse_whitespace(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn b64(h: &Hash) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(h)
}
