//! `slawatch demo`: seed a store with the realistic NOC data set of `crate::demo`.

use std::path::Path;

use anyhow::{anyhow, bail};
use chrono::{DateTime, Utc};
use clap::Args;

use super::input::parse_instant;
use crate::store::StoreTarget;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// The same seed (and --now) gives the same data set.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Place the histories relative to this instant (RFC 3339) instead of now.
    #[arg(long)]
    pub now: Option<String>,
}

pub fn run(args: DemoArgs, db: &StoreTarget) -> anyhow::Result<()> {
    let now = match &args.now {
        Some(s) => parse_instant(s).map_err(|e| anyhow!("--now: {e}"))?,
        None => Utc::now(),
    };
    let (events, tickets) = seed_into(db, args.seed, now)?;
    println!(
        "seeded {events} events for {tickets} tickets (seed {}) into {}",
        args.seed, db
    );
    Ok(())
}

/// Fills an empty store with the demo data set placed relative to `now`; returns the
/// number of events and tickets. A store that already holds events is left alone:
/// demo tickets would mingle with real ones.
pub fn seed(db: &Path, seed: u64, now: DateTime<Utc>) -> anyhow::Result<(usize, usize)> {
    seed_into(&StoreTarget::Sqlite(db.to_path_buf()), seed, now)
}

/// [`seed`] into any store.
pub fn seed_into(
    db: &StoreTarget,
    seed: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<(usize, usize)> {
    let mut store = db.open()?;
    if store.holds_events()? {
        bail!(
            "store {} already holds events; demo data goes into a new store: pass a new --db or --database-url",
            db
        );
    }
    let events = crate::demo::demo_events(seed, now);
    let new = store.append_all(&events)?;
    let tickets: std::collections::HashSet<&str> =
        events.iter().map(|e| e.ticket.as_str()).collect();
    Ok((new, tickets.len()))
}
