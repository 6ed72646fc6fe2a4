//! `slawatch verify`: recompute every hash chain and the ticket projection.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;

use crate::store::postgres::PgStore;
use crate::store::{SqliteStore, Store, StoreTarget};

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Recompute the ticket projection (a cache) from the log before verifying.
    #[arg(long, conflicts_with = "evidence")]
    pub rebuild_projection: bool,
    /// Check an evidence package directory on its own instead of the store: every hash
    /// chain, every figure recomputed, the manifest and the renderings.
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
}

fn verify_evidence(dir: &Path) -> anyhow::Result<()> {
    use crate::report::text::terminal;
    let r = crate::report::evidence::verify_dir(dir);
    for n in &r.notes {
        println!("note: {}", terminal(n));
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

pub fn run(args: VerifyArgs, db: anyhow::Result<StoreTarget>) -> anyhow::Result<()> {
    if let Some(dir) = &args.evidence {
        return verify_evidence(dir);
    }
    let db = &db?;
    let store: Box<dyn Store> = match (db, args.rebuild_projection) {
        (StoreTarget::Sqlite(path), true) => {
            let mut s = SqliteStore::open(path)?;
            println!(
                "rebuilt the projection of {} tickets",
                s.rebuild_projection()?
            );
            Box::new(s)
        }
        (StoreTarget::Postgres(url), true) => {
            let mut s = PgStore::connect(url)?;
            println!(
                "rebuilt the projection of {} tickets",
                s.rebuild_projection()?
            );
            Box::new(s)
        }
        (_, false) => db.open_read_only()?,
    };
    let report = store.verify()?;
    for p in &report.problems {
        println!("BROKEN {p}");
    }
    if !report.is_ok() {
        bail!(
            "store {}: {} problem(s) in {} tickets, {} events",
            db,
            report.problems.len(),
            report.tickets,
            report.events
        );
    }
    println!(
        "ok: {} tickets, {} events; every chain verifies and the projection matches the log",
        report.tickets, report.events
    );
    Ok(())
}
