//! `slawatch export`: the log, or one ticket's history, as JSON lines or CSV.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use clap::{Args, ValueEnum};

use crate::formats::EventWriter;
use crate::model::Event;
use crate::remote::Client;
use crate::store::{StoreError, StoreTarget};

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

pub fn run(args: ExportArgs, db: &StoreTarget) -> anyhow::Result<()> {
    let store = db.open_read_only()?;
    let mut w = writer(&args)?;
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
            bail!("store {} has no events for ticket {t:?}", db);
        }
    }
    Ok(())
}

/// `export --server`: the change feed from the beginning, page by page, written as it
/// arrives (one ticket's history in one request).
pub fn run_remote(args: ExportArgs, server: &Client) -> anyhow::Result<()> {
    let mut w = writer(&args)?;
    let unexpected = |e: serde_json::Error| {
        anyhow!(
            "server {}: an event that does not read: {e}",
            server.server()
        )
    };
    if let Some(t) = &args.ticket {
        let path = format!("/v1/tickets/{}", super::evidence_cmd::url_segment(t));
        let answer = server.get_json(&path, &[])?;
        let events = answer["events"].as_array().cloned().unwrap_or_default();
        for e in events {
            w.write(&serde_json::from_value::<Event>(e).map_err(unexpected)?)?;
        }
        return Ok(w.finish()?);
    }
    let mut cursor = String::new();
    loop {
        let page = server.get_json("/v1/feed", &[("after", cursor.as_str()), ("wait", "0")])?;
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if events.is_empty() {
            break;
        }
        for e in events {
            w.write(&serde_json::from_value::<Event>(e).map_err(unexpected)?)?;
        }
        cursor = page["cursor"]
            .as_str()
            .ok_or_else(|| anyhow!("server {}: a feed page without a cursor", server.server()))?
            .to_owned();
    }
    Ok(w.finish()?)
}

fn writer(args: &ExportArgs) -> anyhow::Result<EventWriter<Box<dyn Write>>> {
    let sink: Box<dyn Write> = match &args.out {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => Box::new(io::stdout().lock()),
    };
    Ok(match args.format {
        ExportFormat::Jsonl => EventWriter::jsonl(sink),
        ExportFormat::Csv => EventWriter::csv(sink)?,
    })
}
