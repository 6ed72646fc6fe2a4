//! `slawatch verify`: recompute every hash chain, the ticket projection and the
//! log-wide Merkle tree, and check the tree against checkpoints; or check an evidence
//! package on its own.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use crate::report::text::terminal;
use crate::store::checkpoint::Checkpoint;
use crate::store::merkle_verify::Outside;
use crate::store::postgres::PgStore;
use crate::store::{SqliteStore, Store, StoreTarget, TreeStore};

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Recompute the ticket projection (a cache) from the log before verifying.
    #[arg(long, conflicts_with = "evidence")]
    pub rebuild_projection: bool,
    /// Check an evidence package directory on its own instead of the store: every hash
    /// chain, every figure recomputed, the manifest, the renderings and the inclusion
    /// proofs.
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// A checkpoint kept outside the store (`slawatch checkpoint --out FILE`): the log
    /// (or the evidence package) must be consistent with it. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Vec<PathBuf>,
}

fn read_checkpoints(files: &[PathBuf]) -> anyhow::Result<Vec<Outside>> {
    files
        .iter()
        .map(|f| {
            let name = f.display().to_string();
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read checkpoint {name}"))?;
            let checkpoint = Checkpoint::parse(&text, &name)
                .map_err(|e| anyhow::anyhow!("not a checkpoint: {e}"))?;
            Ok(Outside { name, checkpoint })
        })
        .collect()
}

fn verify_evidence(dir: &Path, outside: &[Outside], store: Option<&Path>) -> anyhow::Result<()> {
    let mut r = crate::report::evidence_verify::verify_dir(dir);
    for o in outside {
        crate::report::evidence_verify::check_against(&mut r, o, store);
    }
    for n in &r.notes {
        println!("note: {}", terminal(n));
    }
    for p in &r.proved {
        println!("ok: {}", terminal(p));
    }
    for p in &r.problems {
        println!("BROKEN {}", terminal(p));
    }
    if !r.is_ok() {
        bail!(
            "evidence package {}: {} problem(s)",
            dir.display(),
            r.problems.len()
        );
    }
    println!(
        "ok: evidence package of {} as of {}: {} events, chain head {}, {} related chain(s); every hash, figure and rendering verifies",
        terminal(&r.ticket),
        r.generated_at,
        r.events,
        r.head,
        r.related
    );
    Ok(())
}

/// `explicit_db`: the store named by `--db` or `SLAWATCH_DB`, which `--evidence` uses
/// only to fetch a consistency proof to a checkpoint later than the package's.
pub fn run(
    args: VerifyArgs,
    explicit_db: Option<PathBuf>,
    db: anyhow::Result<StoreTarget>,
) -> anyhow::Result<()> {
    let outside = read_checkpoints(&args.checkpoint)?;
    if let Some(dir) = &args.evidence {
        return verify_evidence(dir, &outside, explicit_db.as_deref());
    }
    let db = &db?;
    let rebuilt = |n: usize| println!("rebuilt the projection of {n} tickets");
    let (report, tree) = match db {
        StoreTarget::Sqlite(path) => {
            let store = if args.rebuild_projection {
                let mut s = SqliteStore::open(path)?;
                rebuilt(s.rebuild_projection()?);
                s
            } else {
                SqliteStore::open_read_only(path)?
            };
            let mut store = store;
            (store.verify()?, store.verify_tree(&outside)?)
        }
        StoreTarget::Postgres(url) => {
            let mut store = PgStore::connect(url)?;
            if args.rebuild_projection {
                rebuilt(store.rebuild_projection()?);
            }
            (store.verify()?, store.verify_tree(&outside)?)
        }
    };
    for p in &report.problems {
        println!("BROKEN {p}");
    }
    for p in &tree.problems {
        println!("BROKEN {}", terminal(p));
    }
    let problems = report.problems.len() + tree.problems.len();
    if report.is_ok() {
        println!(
            "ok: {} tickets, {} events; every chain verifies and the projection matches the log",
            report.tickets, report.events
        );
    }
    for p in &tree.proved {
        println!("ok: {}", terminal(p));
    }
    for c in &tree.caveats {
        println!("cannot exclude: {}", terminal(c));
    }
    if problems > 0 {
        bail!(
            "store {db}: {problems} problem(s) in {} tickets, {} events",
            report.tickets,
            report.events
        );
    }
    Ok(())
}
