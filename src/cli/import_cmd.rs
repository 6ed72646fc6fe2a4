//! `slawatch import FILE...`: validate every file completely, then store all of it in
//! one transaction, or nothing.
//!
//! Both steps stream: the first reads every file to find every problem (keeping the
//! first few and counting the rest), the second reads them again and appends each
//! event inside one write transaction. Memory stays that of one record plus a small
//! fingerprint per event id, whatever the size of the input.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use crate::formats::{scan_file, Scan};
use crate::model::Event;
use crate::store::{SqliteStore, StoreError, StoreTarget};

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Event or ticket files: .csv, .json, .jsonl (formats in the README).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: ImportArgs, db: &StoreTarget) -> anyhow::Result<()> {
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
    let new = match db {
        StoreTarget::Sqlite(path) => import_streaming(&args.files, path, summary.records)?,
        // PostgreSQL takes one batch in one transaction; the input is already checked.
        StoreTarget::Postgres(_) => {
            let mut events: Vec<Event> = Vec::new();
            for file in &args.files {
                scan_file(file, &mut Scan::untracked(), &mut |e| events.push(e));
            }
            db.open()?
                .append_all(&events)
                .map_err(|e| anyhow::anyhow!("{e}; nothing was imported"))?
        }
    };
    println!(
        "imported {new} new event(s) ({} already stored) for {} ticket(s) into {}",
        summary.events.saturating_sub(new),
        summary.tickets,
        db
    );
    Ok(())
}

/// Appends the files' events to an SQLite store in one write transaction, reading them
/// again record by record: memory stays bounded whatever the input's size.
fn import_streaming(
    files: &[PathBuf],
    path: &std::path::Path,
    records: usize,
) -> anyhow::Result<usize> {
    let mut store = SqliteStore::open(path)?;
    let mut bulk = store.bulk()?;
    let mut failed: Option<StoreError> = None;
    let mut again = Scan::untracked();
    for file in files {
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
        Ok(second) if second.records == records => {}
        _ => bail!("the input changed while it was being imported; nothing was imported"),
    }
    bulk.commit()
        .map_err(|e| anyhow::anyhow!("{e}; nothing was imported"))
}
