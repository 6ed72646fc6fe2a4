//! Checking an evidence package on its own: every hash chain recomputed from the
//! events, every derived figure recomputed from the events and the embedded
//! configuration, the manifest of the renderings, the renderings made again by the
//! renderer of the package's own format version, and every event's inclusion proof
//! against the package's checkpoint; then, optionally, the package against checkpoints
//! held elsewhere.

use std::collections::BTreeMap;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::evidence::{build, chain_problems, sha256_hex};
use super::evidence_types::*;
use super::{evidence_html, evidence_md};
use crate::model::GENESIS_HASH;
use crate::store::checkpoint::Checkpoint;
use crate::store::merkle::{self, Hash};
use crate::store::merkle_verify::Outside;

/// What checking a package found.
#[derive(Debug, Default)]
pub struct PackageReport {
    pub ticket: String,
    pub head: String,
    pub events: usize,
    pub related: usize,
    pub generated_at: String,
    pub problems: Vec<String>,
    /// Things worth knowing that are not failures.
    pub notes: Vec<String>,
    /// What was shown to hold beyond the package's own consistency, one sentence each.
    pub proved: Vec<String>,
    /// The checkpoint the package's inclusion proofs hold against, once they verified.
    pub checkpoint: Option<Checkpoint>,
    /// The package's consistency proofs, by the size of the earlier tree.
    pub consistency: BTreeMap<u64, Vec<Hash>>,
}

impl PackageReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The largest file of a package read: far above a ticket's whole history with proofs.
const MAX_PACKAGE_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Re-checks a package directory on its own: chains, derived figures, manifest and
/// renderings.
pub fn verify_dir(dir: &Path) -> PackageReport {
    let mut r = PackageReport::default();
    // A package comes from outside: a FIFO or a device in its place must not hang or
    // exhaust the verifier.
    let read =
        |name: &str| crate::config::read_regular_capped(&dir.join(name), MAX_PACKAGE_FILE_BYTES);
    let json = match read(JSON_FILE) {
        Ok(b) => b,
        Err(e) => {
            r.problems.push(format!(
                "{}: cannot read: {e}",
                dir.join(JSON_FILE).display()
            ));
            return r;
        }
    };
    let ev: Evidence = match serde_json::from_slice(&json) {
        Ok(ev) => ev,
        Err(e) => {
            r.problems
                .push(format!("{JSON_FILE}: not an evidence package: {e}"));
            return r;
        }
    };
    r.ticket = ev.ticket.clone();
    r.head = ev
        .events
        .last()
        .map_or_else(|| GENESIS_HASH.to_owned(), |c| c.hash.clone());
    r.events = ev.events.len();
    r.related = ev.related.len();
    r.generated_at = ev.generated_at.to_rfc3339();
    let version = ev.format_version;
    if !(1..=FORMAT_VERSION).contains(&version) || ev.format != format_name(version) {
        r.problems.push(format!(
            "{JSON_FILE}: format {:?} (version {version}); this slawatch reads versions 1 to {FORMAT_VERSION}",
            ev.format
        ));
        return r;
    }
    let current = version == FORMAT_VERSION;
    // 1. Every chain, from the events alone.
    r.problems.extend(chain_problems(&ev.ticket, &ev.events));
    for (id, chain) in &ev.related {
        r.problems.extend(chain_problems(id, chain));
        if id == &ev.ticket {
            r.problems
                .push(format!("related chain {id} is the ticket itself"));
        }
    }
    if ev.chain.head != r.head {
        r.problems.push(format!(
            "chain.head {} is not the last event's hash {}",
            ev.chain.head, r.head
        ));
    }
    // 2. Every derived figure, recomputed from the events and the configuration.
    match build(
        &ev.ticket,
        ev.events.clone(),
        ev.related.clone(),
        ev.config.clone(),
        ev.generated_at,
    ) {
        Err(e) => r
            .problems
            .push(format!("cannot recompute the package: {e}")),
        Ok(again) => {
            let mut diff = |name: &str, same: bool| {
                if !same {
                    r.problems.push(format!(
                        "`{name}` in {JSON_FILE} differs from what its events and configuration give"
                    ));
                }
            };
            // The prose of an older format is its own wording, which may have
            // changed since: there, compare what the prose is about.
            if current {
                diff("summary", again.summary == ev.summary);
                diff("timeline", again.timeline == ev.timeline);
            } else {
                diff(
                    "summary",
                    without_prose(&again.summary) == without_prose(&ev.summary),
                );
                diff(
                    "timeline",
                    facts_of(&again.timeline) == facts_of(&ev.timeline),
                );
            }
            diff("chain", again.chain == ev.chain);
            diff("clocks", again.clocks == ev.clocks);
            diff("penalties", again.penalties == ev.penalties);
            diff(
                "recorded_penalties",
                again.recorded_penalties == ev.recorded_penalties,
            );
            if !current {
                r.notes.push(format!(
                    "format {version}, made by {}: its wording and renderings are checked against the package's own manifest, not re-rendered (this slawatch renders format {FORMAT_VERSION})",
                    ev.generator
                ));
            }
        }
    }
    // 3. The manifest, and the renderings made again from the JSON.
    let mut bare = ev.clone();
    bare.files.clear();
    for (name, render) in [
        (HTML_FILE, evidence_html::render as fn(&Evidence) -> String),
        (MD_FILE, evidence_md::render),
    ] {
        let Some(expected) = ev.files.get(name) else {
            r.problems
                .push(format!("the manifest in {JSON_FILE} does not list {name}"));
            continue;
        };
        match read(name) {
            Err(e) => r.problems.push(format!("{name}: cannot read: {e}")),
            Ok(bytes) => {
                let actual = sha256_hex(&bytes);
                if &actual != expected {
                    r.problems.push(format!(
                        "{name}: sha256 {actual} does not match the manifest's {expected}"
                    ));
                }
                if current && render(&bare).as_bytes() != bytes.as_slice() {
                    r.problems
                        .push(format!("{name} is not the rendering of {JSON_FILE}"));
                }
            }
        }
    }
    for name in ev.files.keys() {
        if name != HTML_FILE && name != MD_FILE {
            r.problems
                .push(format!("the manifest lists an unexpected file {name:?}"));
        }
    }
    // 4. The checksum file, if present, agrees with the files.
    if let Ok(sums) = read(SUMS_FILE).map(|b| String::from_utf8_lossy(&b).into_owned()) {
        for line in sums.lines().filter(|l| !l.trim().is_empty()) {
            let Some((sum, name)) = line.split_once("  ") else {
                r.problems
                    .push(format!("{SUMS_FILE}: unreadable line {line:?}"));
                continue;
            };
            match read(name.trim()) {
                Ok(b) if sha256_hex(&b) == sum => {}
                Ok(_) => r
                    .problems
                    .push(format!("{SUMS_FILE}: {name} does not match its checksum")),
                Err(e) => r.problems.push(format!("{SUMS_FILE}: {name}: {e}")),
            }
        }
    } else {
        r.notes.push(format!("no {SUMS_FILE}"));
    }
    if !ev.chain.problems.is_empty() {
        r.notes
            .push("the chain was already broken when the package was made".into());
    }
    // 5. Every event's place in the store's log, against the package's checkpoint.
    match &ev.proofs {
        Some(proofs) => check_proofs(&mut r, &ev, proofs),
        None if version == 1 => r.notes.push(
            "no inclusion proofs (format 1): the package proves its own consistency, not that the store's log held these events"
                .into(),
        ),
        None => r.problems.push(format!(
            "{JSON_FILE}: a format {version} package must carry inclusion proofs, and has none"
        )),
    }
    r
}

fn without_prose(s: &Summary) -> Summary {
    Summary {
        escalations: Vec::new(),
        ..s.clone()
    }
}

fn facts_of(t: &[TimelineEntry]) -> Vec<(&str, Option<&str>, &str, &str)> {
    t.iter()
        .map(|e| {
            (
                e.at.as_str(),
                e.recorded_at.as_deref(),
                e.kind.as_str(),
                e.actor.as_str(),
            )
        })
        .collect()
}

fn decode_hashes(what: &str, texts: &[String]) -> Result<Vec<Hash>, String> {
    texts
        .iter()
        .map(|t| {
            B64.decode(t)
                .ok()
                .and_then(|b| Hash::try_from(b.as_slice()).ok())
                .ok_or_else(|| format!("{what}: {t:?} is not the base64 of a 32-byte hash"))
        })
        .collect()
}

/// Checks that every event of the package is a leaf of the tree the package's
/// checkpoint signed.
fn check_proofs(r: &mut PackageReport, ev: &Evidence, proofs: &Proofs) {
    let cp = match Checkpoint::parse(&proofs.checkpoint, "evidence.json proofs.checkpoint") {
        Ok(cp) => cp,
        Err(e) => {
            r.problems.push(e.to_string());
            return;
        }
    };
    if !cp.signature_ok() {
        r.problems.push(format!(
            "the package's checkpoint is not signed by the key it names ({}): it was altered",
            cp.key_id()
        ));
        return;
    }
    let events: Vec<&ChainedEvent> = ev
        .events
        .iter()
        .chain(ev.related.values().flatten())
        .collect();
    let mut leaves = BTreeMap::new();
    let before = r.problems.len();
    for c in &events {
        let id = &c.event.id;
        let Some(inc) = proofs.inclusion.get(id) else {
            r.problems
                .push(format!("event {id} has no inclusion proof in {JSON_FILE}"));
            continue;
        };
        if let Some(other) = leaves.insert(inc.leaf, id) {
            r.problems.push(format!(
                "events {other} and {id} both claim leaf {} of the tree",
                inc.leaf
            ));
        }
        let path = match decode_hashes(&format!("the inclusion proof of event {id}"), &inc.path) {
            Ok(p) => p,
            Err(e) => {
                r.problems.push(e);
                continue;
            }
        };
        let proved = merkle::event_leaf(&c.hash).is_some_and(|leaf| {
            merkle::verify_inclusion(inc.leaf, cp.size, &leaf, &path, &cp.root)
        });
        if !proved {
            r.problems.push(format!(
                "event {id} (ticket {}) is not leaf {} of the tree the package's checkpoint signed: the event, its hash or its proof was changed",
                c.event.ticket, inc.leaf
            ));
        }
    }
    for id in proofs.inclusion.keys() {
        if !events.iter().any(|c| &c.event.id == id) {
            r.problems
                .push(format!("{JSON_FILE} has an inclusion proof for event {id}, which the package does not hold"));
        }
    }
    for (size, texts) in &proofs.consistency {
        match decode_hashes(&format!("the consistency proof from size {size}"), texts) {
            Ok(p) => {
                r.consistency.insert(*size, p);
            }
            Err(e) => r.problems.push(e),
        }
    }
    if r.problems.len() == before {
        r.proved.push(format!(
            "all {} events are in the store's log as signed by checkpoint {} (size {}, {}, key {})",
            events.len(),
            cp.root_base64(),
            cp.size,
            cp.time.format("%Y-%m-%d %H:%M:%SZ"),
            cp.key_id()
        ));
        r.checkpoint = Some(cp);
    }
}

/// Checks the package against a checkpoint held elsewhere. The rule: the outside
/// checkpoint must be the package's own; or earlier, with the package carrying the
/// consistency proof from it (every checkpoint the store had signed when the package
/// was written); or later, with the proof fetched from `store`, which need not be
/// trusted: the proof is checked against both signed roots.
pub fn check_against(r: &mut PackageReport, outside: &Outside, store: Option<&Path>) {
    let name = &outside.name;
    let o = &outside.checkpoint;
    let Some(p) = r.checkpoint.clone() else {
        if r.problems.is_empty() {
            r.problems.push(format!(
                "{name}: the package carries no checkpoint to check it against (format 1 packages have no inclusion proofs)"
            ));
        }
        return;
    };
    if !o.signature_ok() {
        r.problems.push(format!(
            "{name}: the signature is not key {}'s over the checkpoint: it was altered or forged",
            o.key_id()
        ));
        return;
    }
    if o.store != p.store {
        r.problems.push(format!(
            "{name} is a checkpoint of store {}, the package of store {}",
            o.store, p.store
        ));
        return;
    }
    let (ok, how) = match o.size.cmp(&p.size) {
        std::cmp::Ordering::Equal => (
            o.root == p.root,
            "it signs the same tree as the package's checkpoint".to_owned(),
        ),
        std::cmp::Ordering::Less => match r
            .consistency
            .get(&o.size)
            .cloned()
            .or_else(|| (o.size == 0).then(Vec::new))
        {
            Some(proof) => (
                merkle::verify_consistency(o.size, p.size, &o.root, &p.root, &proof),
                "by the consistency proof the package carries".to_owned(),
            ),
            None => {
                r.problems.push(format!(
                    "{name} (size {}) is older than the package's checkpoint (size {}) and the package carries no consistency proof from it: the store had not signed a checkpoint of that size when the package was written",
                    o.size, p.size
                ));
                return;
            }
        },
        std::cmp::Ordering::Greater => {
            let Some(db) = store else {
                r.problems.push(format!(
                    "{name} (size {}) is later than the package's checkpoint (size {}): the proof that one tree extends the other comes from the log; add --db STORE (it is not trusted: its proof is checked against both signed roots)",
                    o.size, p.size
                ));
                return;
            };
            let target = crate::store::StoreTarget::Sqlite(db.to_path_buf());
            let proof = crate::store::open_team_read_only(&target)
                .and_then(|s| s.log_tree())
                .and_then(|log| {
                    log.consistency_proof(p.size, o.size).ok_or_else(|| {
                        crate::store::StoreError::Tree {
                            path: db.to_path_buf(),
                            why: format!(
                                "no consistency proof from {} to {} events in a log of {}",
                                p.size,
                                o.size,
                                log.size()
                            ),
                        }
                    })
                });
            match proof {
                Ok(proof) => (
                    merkle::verify_consistency(p.size, o.size, &p.root, &o.root, &proof),
                    format!("by a consistency proof from {}", db.display()),
                ),
                Err(e) => {
                    r.problems
                        .push(format!("{name}: no consistency proof: {e}"));
                    return;
                }
            }
        }
    };
    if ok {
        r.proved.push(format!(
            "consistent with {name} (size {}, {}, key {}), {how}",
            o.size,
            o.time.format("%Y-%m-%d %H:%M:%SZ"),
            o.key_id()
        ));
    } else {
        r.problems.push(format!(
            "{name} (size {}) and the package's checkpoint (size {}) are not of one log: one of them was made from a rewritten history",
            o.size, p.size
        ));
    }
}
