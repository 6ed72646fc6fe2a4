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

use crate::formats::{scan_file, scan_file_located, EventWriter, Scan};
use crate::model::Event;
use crate::remote::Client;
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

/// Events per request of `import --server`: each batch is stored all or nothing.
const BATCH_EVENTS: usize = 500;
/// Bytes per request, well under the server's default body limit.
const BATCH_BYTES: usize = 1 << 20;

/// `import --server`: the files are checked completely here first, as a local import
/// does, then posted in bounded batches, each stored all or nothing; the server skips
/// events it already has, so an interrupted import is finished by running it again.
pub fn run_remote(args: ImportArgs, server: &Client) -> anyhow::Result<()> {
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
    let mut totals = Totals::default();
    let mut batch = Batch::default();
    let mut failed: Option<anyhow::Error> = None;
    let mut again = Scan::untracked();
    for file in &args.files {
        scan_file_located(file, &mut again, &mut |event, line| {
            if failed.is_some() {
                return;
            }
            if let Err(e) = batch.push(&event, file, line) {
                failed = Some(e);
                return;
            }
            if batch.is_full() {
                if let Err(e) = batch.send(server, &mut totals) {
                    failed = Some(e);
                }
            }
        });
    }
    if failed.is_none() && !batch.located.is_empty() {
        if let Err(e) = batch.send(server, &mut totals) {
            failed = Some(e);
        }
    }
    if let Some(e) = failed {
        if totals.batches > 0 {
            return Err(e.context(format!(
                "the first {} batch(es) ({} event(s)) are stored; the rest was not imported (run the same import again: stored events are skipped)",
                totals.batches,
                totals.new + totals.old
            )));
        }
        return Err(e.context("nothing was imported"));
    }
    println!(
        "imported {} new event(s) ({} already stored) for {} ticket(s) into {}",
        totals.new,
        totals.old,
        summary.tickets,
        server.server()
    );
    Ok(())
}

#[derive(Default)]
struct Totals {
    batches: usize,
    new: u64,
    old: u64,
}

/// Events about to be posted, as JSON lines, with the file and line each came from.
#[derive(Default)]
struct Batch {
    body: Vec<u8>,
    located: Vec<(PathBuf, usize)>,
}

impl Batch {
    fn push(&mut self, event: &Event, file: &std::path::Path, line: usize) -> anyhow::Result<()> {
        let mut w = EventWriter::jsonl(&mut self.body);
        w.write(event)?;
        w.finish()?;
        self.located.push((file.to_path_buf(), line));
        Ok(())
    }

    fn is_full(&self) -> bool {
        self.located.len() >= BATCH_EVENTS || self.body.len() >= BATCH_BYTES
    }

    /// Posts the batch; a refusal is reported at the files' lines it names.
    fn send(&mut self, server: &Client, totals: &mut Totals) -> anyhow::Result<()> {
        let body = std::mem::take(&mut self.body);
        let located = std::mem::take(&mut self.located);
        match server.post("/v1/events", "application/x-ndjson", body)? {
            Ok(answer) => {
                totals.batches += 1;
                totals.new += answer["stored"].as_u64().unwrap_or(0);
                totals.old += answer["already_stored"].as_u64().unwrap_or(0);
                Ok(())
            }
            Err(refusal) => {
                let problems = refusal.body["problems"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for p in &problems {
                    let at = p["line"]
                        .as_u64()
                        .and_then(|l| located.get((l as usize).checked_sub(1)?));
                    let field = p["field"]
                        .as_str()
                        .map_or(String::new(), |f| format!("field {f}: "));
                    let message = p["message"].as_str().unwrap_or_default();
                    match at {
                        Some((file, line)) => super::stderr::line(format_args!(
                            "{}:{line}: {field}{message}",
                            file.display()
                        )),
                        None => super::stderr::line(format_args!("{field}{message}")),
                    }
                }
                Err(server.refused(&refusal))
            }
        }
    }
}
