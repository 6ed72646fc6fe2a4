//! `slawatch import FILE...`: validate every file completely, then store all of it in
//! one transaction, or nothing.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use crate::formats::{read_file, FormatErrors};
use crate::store::StoreTarget;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Event or ticket files: .csv, .json, .jsonl (formats in the README).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: ImportArgs, db: &StoreTarget) -> anyhow::Result<()> {
    let mut events = Vec::new();
    let mut errors = FormatErrors(Vec::new());
    for file in &args.files {
        match read_file(file) {
            Ok(mut e) => events.append(&mut e),
            Err(mut e) => errors.0.append(&mut e.0),
        }
    }
    if !errors.is_empty() {
        eprintln!("{errors}");
        bail!(
            "{} problem(s) in the input; nothing was imported",
            errors.len()
        );
    }
    let mut store = db.open()?;
    let new = store
        .append_all(&events)
        .map_err(|e| anyhow::anyhow!("{e}; nothing was imported"))?;
    let tickets: BTreeSet<&str> = events.iter().map(|e| e.ticket.as_str()).collect();
    println!(
        "imported {new} new event(s) ({} already stored) for {} ticket(s) into {}",
        events.len() - new,
        tickets.len(),
        db
    );
    Ok(())
}
