//! `slawatch evidence TICKET --out DIR`: the ticket's evidence package.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use super::config_args::{now_arg, ConfigArgs};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::signing_key;
use crate::config::Bundle;
use crate::remote::Client;
use crate::report::evidence::{self, ChainedEvent, Evidence, Inclusion, Proofs};
use crate::report::text::terminal;
use crate::sla::penalty::{Book, Env};
use crate::store::checkpoint::Checkpoint;
use crate::store::merkle;
use crate::store::{open_team, open_team_read_only, Store, StoreTarget, TeamStore};

#[derive(Args, Debug)]
pub struct EvidenceArgs {
    /// The ticket id.
    pub ticket: String,
    /// Directory to write evidence.html, evidence.md, evidence.json and evidence.sha256 into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Compute every clock and penalty as of this instant (RFC 3339) instead of now.
    #[arg(long)]
    pub now: Option<String>,
    /// The key that signs the package's checkpoint (default: checkpoint.key in the config
    /// directory, created on first use).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Every stored event, grouped by ticket in chain order.
pub fn load_chains(
    store: &(impl Store + ?Sized),
) -> anyhow::Result<BTreeMap<String, Vec<ChainedEvent>>> {
    let mut chains: BTreeMap<String, Vec<ChainedEvent>> = BTreeMap::new();
    store.for_each_event(None, &mut |s| {
        chains
            .entry(s.event.ticket.clone())
            .or_default()
            .push(ChainedEvent {
                seq: s.seq,
                prev_hash: s.prev_hash,
                hash: s.hash,
                event: s.event,
            });
        Ok(())
    })?;
    Ok(chains)
}

/// How long `evidence` waits for the package's events to join the tree: on
/// PostgreSQL an event joins once every transaction begun before it has ended.
const TREE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Signs a checkpoint of the tree as the log gives it now and proves every event of the
/// package against it, with a consistency proof from every earlier checkpoint the store
/// keeps. The tree is computed from the log in memory, so a read-only store works too;
/// the checkpoint is kept in the store when the store can be written.
fn prove(
    ev: &Evidence,
    store: &dyn TeamStore,
    db: &StoreTarget,
    key: Option<&Path>,
) -> anyhow::Result<Proofs> {
    let key = signing_key::load_or_create(&signing_key::key_path(key)?)?;
    let events: Vec<&ChainedEvent> = ev
        .events
        .iter()
        .chain(ev.related.values().flatten())
        .collect();
    let seqs: Vec<_> = events.iter().map(|c| c.seq).collect();
    let started = std::time::Instant::now();
    let (log, proofs) = loop {
        let log = store.log_tree()?;
        let proofs = log
            .inclusion_proofs(&seqs, log.size())
            .expect("the log's own size");
        if proofs.iter().all(Option::is_some) || started.elapsed() > TREE_WAIT {
            break (log, proofs);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let cp = Checkpoint::sign(
        &store.store_id()?,
        log.size(),
        log.tree.root(),
        chrono::Utc::now(),
        &key,
    );
    let b64 = |h: &merkle::Hash| B64.encode(h);
    let mut inclusion = BTreeMap::new();
    for (c, proof) in events.iter().zip(proofs) {
        let Some((leaf, path)) = proof else {
            bail!(
                "event {} (row {}) is not in the store's Merkle tree of {} events; no package written (on PostgreSQL, a transaction older than it may still be running: try again; else run `slawatch verify`)",
                terminal(&c.event.id),
                c.seq,
                cp.size
            );
        };
        let path = path.iter().map(b64).collect();
        inclusion.insert(c.event.id.clone(), Inclusion { leaf, path });
    }
    let mut consistency = BTreeMap::new();
    for (_, text) in store.stored_checkpoints()? {
        let earlier = Checkpoint::parse(&text, "a checkpoint in the store")?;
        if earlier.size < cp.size && earlier.size > 0 {
            let proof = log
                .consistency_proof(earlier.size, cp.size)
                .expect("an earlier size");
            consistency.insert(earlier.size, proof.iter().map(b64).collect());
        }
    }
    if let Err(e) = open_team(db).and_then(|mut w| w.keep_checkpoint(&cp)) {
        eprintln!(
            "note: the package's checkpoint (size {}) is not kept in the store, which cannot be written ({e}); the package carries it",
            cp.size
        );
    }
    Ok(Proofs {
        checkpoint: cp.to_text(),
        inclusion,
        consistency,
    })
}

pub fn run(args: EvidenceArgs, db: &StoreTarget) -> anyhow::Result<()> {
    let now = now_arg(args.now.as_deref())?;
    let bundle = args.config.bundle()?;
    let store = open_team_read_only(db)?;
    let ev = package(&*store, db, bundle, &args.ticket, now, args.key.as_deref())?;
    write(&args.out, ev)
}

/// `evidence --server`: the server builds the package (its `evidence.json`) and this
/// writes the same files as a local run.
pub fn run_remote(args: EvidenceArgs, server: &Client) -> anyhow::Result<()> {
    args.config.refuse_with_server()?;
    if args.key.is_some() {
        bail!("--key applies to a store file; through --server the server signs the package's checkpoint with its own key");
    }
    let mut query = Vec::new();
    if let Some(n) = &args.now {
        query.push(("now", n.as_str()));
    }
    let path = format!("/v1/evidence/{}", url_segment(&args.ticket));
    let answer = server.get_json(&path, &query)?;
    let ev: Evidence = serde_json::from_value(answer)
        .map_err(|e| anyhow::anyhow!("server {}: not an evidence package: {e}", server.server()))?;
    if ev.ticket != args.ticket {
        bail!(
            "server {} sent the package of ticket {:?}, not {:?}",
            server.server(),
            terminal(&ev.ticket),
            terminal(&args.ticket)
        );
    }
    write(&args.out, ev)
}

/// A path segment with everything but unreserved characters percent-encoded.
pub fn url_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The store has no events for the ticket (the server's 404).
#[derive(Debug)]
pub struct NoSuchTicket(pub String);

impl std::fmt::Display for NoSuchTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoSuchTicket {}

/// The evidence package of `ticket` as of `now`, with Merkle proofs against a freshly
/// signed checkpoint when the store is a file.
pub fn package(
    store: &dyn TeamStore,
    db: &StoreTarget,
    bundle: Bundle,
    ticket: &str,
    now: chrono::DateTime<chrono::Utc>,
    key: Option<&Path>,
) -> anyhow::Result<Evidence> {
    let compiled = bundle.compile().map_err(|e| anyhow::anyhow!("{e}"))?;
    let env = Env {
        policies: &compiled.policies,
        calendars: &compiled.calendars,
    };
    let mut chains = load_chains(store)?;
    let Some(subject) = chains.remove(ticket) else {
        return Err(NoSuchTicket(format!(
            "store {} has no events for ticket {:?}",
            db,
            terminal(ticket)
        ))
        .into());
    };
    let histories: Vec<_> = std::iter::once(&subject)
        .chain(chains.values())
        .map(|h| h.iter().map(|c| c.event.clone()).collect())
        .collect();
    let book = Book::new(env, histories, now);
    if book.ticket(ticket).is_none() && !book.problems.iter().any(|p| p.0 == ticket) {
        // Asked as of an instant before the ticket's first event: there was no ticket then.
        return Err(NoSuchTicket(format!(
            "ticket {:?} has no events at or before {}",
            terminal(ticket),
            now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        ))
        .into());
    }
    // The figures as the whole store gives them; the package must give the same from
    // the tickets it carries.
    let whole: Vec<(String, String, Vec<String>)> =
        evidence::involved(env, &compiled.contracts, &book, ticket)
            .into_iter()
            .map(|(c, t)| (c, t.amount.to_string(), t.steps))
            .collect();
    let related: BTreeMap<String, Vec<ChainedEvent>> =
        evidence::related_ids(env, &compiled.contracts, &book, ticket)
            .into_iter()
            .filter_map(|id| chains.remove(&id).map(|c| (id, c)))
            .collect();
    let ev = evidence::build(ticket, subject, related, bundle, now)
        .map_err(|e| anyhow::anyhow!("ticket {}: {e}", terminal(ticket)))?;
    let carried: Vec<(String, String, Vec<String>)> = ev
        .penalties
        .iter()
        .map(|p| (p.contract.clone(), p.amount.clone(), p.steps.clone()))
        .collect();
    if carried != whole {
        bail!("internal error: the package's penalty figures differ from the store's; no package written");
    }
    let mut ev = ev;
    ev.proofs = Some(prove(&ev, store, db, key)?);
    Ok(ev)
}

/// Writes the package into `out` and says what it holds.
fn write(out: &Path, ev: Evidence) -> anyhow::Result<()> {
    let ev = evidence::write_dir(out, ev)
        .with_context(|| format!("cannot write the package into {}", out.display()))?;
    println!(
        "wrote {}: {} events of {}, chain head {}, {} related chain(s)",
        out.display(),
        ev.events.len(),
        terminal(&ev.ticket),
        ev.chain.head,
        ev.related.len()
    );
    for p in &ev.penalties {
        println!(
            "  {} {} {}: {} ({}) → {} {}{}",
            terminal(&p.contract),
            terminal(&p.term),
            p.period,
            terminal(&p.actual),
            if p.breached { "breached" } else { "met" },
            p.amount,
            terminal(&p.currency),
            if p.pending.is_empty() {
                ""
            } else {
                " (not final)"
            }
        );
    }
    if !ev.chain.problems.is_empty() {
        for p in &ev.chain.problems {
            println!("BROKEN {}", terminal(p));
        }
        bail!(
            "the package is written, but the hash chain does not verify ({} problem(s)); it will fail `slawatch verify --evidence`",
            ev.chain.problems.len()
        );
    }
    Ok(())
}
