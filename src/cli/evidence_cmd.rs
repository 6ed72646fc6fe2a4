//! `slawatch evidence TICKET --out DIR`: the ticket's evidence package.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use super::config_args::{now_arg, ConfigArgs};
use crate::report::evidence::{self, ChainedEvent};
use crate::report::text::terminal;
use crate::sla::penalty::{Book, Env};
use crate::store::{Store, StoreTarget};

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
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Every stored event, grouped by ticket in chain order.
pub fn load_chains(store: &dyn Store) -> anyhow::Result<BTreeMap<String, Vec<ChainedEvent>>> {
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

pub fn run(args: EvidenceArgs, db: &StoreTarget) -> anyhow::Result<()> {
    let now = now_arg(args.now.as_deref())?;
    let bundle = args.config.bundle()?;
    let compiled = bundle.compile().map_err(|e| anyhow::anyhow!("{e}"))?;
    let env = Env {
        policies: &compiled.policies,
        calendars: &compiled.calendars,
    };
    let store = db.open_read_only()?;
    let mut chains = load_chains(&*store)?;
    let Some(subject) = chains.remove(&args.ticket) else {
        bail!(
            "store {} has no events for ticket {:?}",
            db,
            terminal(&args.ticket)
        );
    };
    let histories: Vec<_> = std::iter::once(&subject)
        .chain(chains.values())
        .map(|h| h.iter().map(|c| c.event.clone()).collect())
        .collect();
    let book = Book::new(env, histories, now);
    // The figures as the whole store gives them; the package must give the same from
    // the tickets it carries.
    let whole: Vec<(String, String, Vec<String>)> =
        evidence::involved(env, &compiled.contracts, &book, &args.ticket)
            .into_iter()
            .map(|(c, t)| (c, t.amount.to_string(), t.steps))
            .collect();
    let related: BTreeMap<String, Vec<ChainedEvent>> =
        evidence::related_ids(env, &compiled.contracts, &book, &args.ticket)
            .into_iter()
            .filter_map(|id| chains.remove(&id).map(|c| (id, c)))
            .collect();
    let ev = evidence::build(&args.ticket, subject, related, bundle, now)
        .map_err(|e| anyhow::anyhow!("ticket {}: {e}", terminal(&args.ticket)))?;
    let carried: Vec<(String, String, Vec<String>)> = ev
        .penalties
        .iter()
        .map(|p| (p.contract.clone(), p.amount.clone(), p.steps.clone()))
        .collect();
    if carried != whole {
        bail!("internal error: the package's penalty figures differ from the store's; no package written");
    }
    let ev = evidence::write_dir(&args.out, ev)
        .with_context(|| format!("cannot write the package into {}", args.out.display()))?;
    println!(
        "wrote {}: {} events of {}, chain head {}, {} related chain(s)",
        args.out.display(),
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
