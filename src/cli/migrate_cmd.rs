//! `slawatch migrate --from FILE --to postgres://…`: a solo store moves to a team one.
//! Events are appended in the file's order, so each ticket's chain is rebuilt exactly
//! and every hash comes out unchanged; that is checked before reporting success.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use crate::store::postgres::PgStore;
use crate::store::{SqliteStore, Store};

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The SQLite store file to read.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// The PostgreSQL database to fill: postgres://USER@HOST:PORT/DATABASE.
    #[arg(long, value_name = "URL")]
    pub to: String,
}

pub fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let from = SqliteStore::open_read_only(&args.from)?;
    let mut events = Vec::new();
    let mut hashes = HashMap::new();
    from.for_each_event(None, &mut |s| {
        hashes.insert(s.event.id.clone(), s.hash);
        events.push(s.event);
        Ok(())
    })?;
    let mut to = PgStore::connect(&args.to)?;
    // One transaction: a failed migration leaves the target as it was.
    let new = to.append_all(&events)?;
    let mut differ = Vec::new();
    let mut checked = 0usize;
    to.for_each_event(None, &mut |s| {
        if let Some(h) = hashes.get(&s.event.id) {
            checked += 1;
            if *h != s.hash {
                differ.push(s.event.id);
            }
        }
        Ok(())
    })?;
    if !differ.is_empty() {
        bail!(
            "{} event(s) got another hash in {} than in {} (first: {}): the target already held other history for their tickets",
            differ.len(),
            to.url(),
            args.from.display(),
            differ[0]
        );
    }
    if checked != hashes.len() {
        bail!(
            "{} holds {checked} of the {} events read",
            to.url(),
            hashes.len()
        );
    }
    println!(
        "migrated {new} new event(s) ({} already there) from {} to {}; every hash unchanged",
        events.len() - new,
        args.from.display(),
        to.url()
    );
    Ok(())
}
