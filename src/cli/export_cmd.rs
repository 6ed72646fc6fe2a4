//! `slawatch export`: the log, or one ticket's history, as JSON lines or CSV.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};

use crate::formats::EventWriter;
use crate::store::{SqliteStore, Store, StoreError};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Only this ticket's history.
    #[arg(long, value_name = "ID")]
    pub ticket: Option<String>,
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: ExportFormat,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: ExportArgs, db: &Path) -> anyhow::Result<()> {
    let store = SqliteStore::open_read_only(db)?;
    let sink: Box<dyn Write> = match &args.out {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => Box::new(io::stdout().lock()),
    };
    let mut w = match args.format {
        ExportFormat::Jsonl => EventWriter::jsonl(sink),
        ExportFormat::Csv => EventWriter::csv(sink)?,
    };
    let mut count = 0usize;
    let result = store.for_each_event(args.ticket.as_deref(), &mut |e| {
        count += 1;
        w.write(&e.event)
            .map_err(|source| StoreError::Output { source })
    });
    // A reader that stopped early (`| head`) ends the run in `main`, quietly.
    result?;
    w.finish()?;
    if count == 0 {
        if let Some(t) = &args.ticket {
            bail!("store {} has no events for ticket {t:?}", db.display());
        }
    }
    Ok(())
}
