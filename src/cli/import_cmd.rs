//! `slawatch import FILE...`: validate every file completely, then store all of it in
//! one transaction, or nothing.
//!
//! Both steps stream: the first reads every file to find every problem (keeping the
//! first few and counting the rest), the second reads them again and appends each
//! event inside one write transaction. Memory stays that of one record plus a small
//! fingerprint per event id, whatever the size of the input.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;

use crate::formats::{scan_file, Scan};
use crate::store::{SqliteStore, StoreError};

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Event or ticket files: .csv, .json, .jsonl (formats in the README).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: ImportArgs, db: &Path) -> anyhow::Result<()> {
    let mut check = Scan::new();
    for file in &args.files {
        scan_file(file, &mut check, &mut |_| {});
    }
    let summary = match check.finish() {
        Ok(s) => s,
        Err(errors) => {
            super::stderr::line(&errors);
            bail!(
                "{} problem(s) in the input; nothing was imported",
                errors.len()
            );
        }
    };
    let mut store = SqliteStore::open(db)?;
    let mut bulk = store.bulk()?;
    let mut failed: Option<StoreError> = None;
    let mut again = Scan::untracked();
    for file in &args.files {
        scan_file(file, &mut again, &mut |event| {
            if failed.is_none() {
                if let Err(e) = bulk.push(&event) {
                    failed = Some(e);
                }
            }
        });
    }
    if let Some(e) = failed {
        bail!("{e}; nothing was imported");
    }
    match again.finish() {
        Ok(second) if second.records == summary.records => {}
        _ => bail!("the input changed while it was being imported; nothing was imported"),
    }
    let new = bulk
        .commit()
        .map_err(|e| anyhow::anyhow!("{e}; nothing was imported"))?;
    println!(
        "imported {new} new event(s) ({} already stored) for {} ticket(s) into {}",
        summary.events.saturating_sub(new),
        summary.tickets,
        db.display()
    );
    Ok(())
}
