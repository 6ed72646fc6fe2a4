//! `slawatch verify`: recompute every hash chain and the ticket projection.

use std::path::Path;

use anyhow::bail;
use clap::Args;

use crate::store::{SqliteStore, Store};

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Recompute the ticket projection (a cache) from the log before verifying.
    #[arg(long)]
    pub rebuild_projection: bool,
}

pub fn run(args: VerifyArgs, db: &Path) -> anyhow::Result<()> {
    let store = if args.rebuild_projection {
        let mut s = SqliteStore::open(db)?;
        let n = s.rebuild_projection()?;
        println!("rebuilt the projection of {n} tickets");
        s
    } else {
        SqliteStore::open_read_only(db)?
    };
    let report = store.verify()?;
    for p in &report.problems {
        println!("BROKEN {p}");
    }
    if !report.is_ok() {
        bail!(
            "store {}: {} problem(s) in {} tickets, {} events",
            db.display(),
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
