//! Start-up load at scale: with 100,000 open tickets and 1,000,000 events in the store,
//! how long until the first frame's data (the ticket projection) and the whole open set
//! (every event of every open ticket) are in memory. Run by `scripts/bench-store-startup`.
//!
//! The store is generated once into `target/bench-data/` and reused.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use slawatch::store::{SqliteStore, Store};

/// Tickets such that, with every fifth resolved, 100,000 are open.
const TICKETS: usize = 125_000;
const FIRST_FRAME_GOAL: Duration = Duration::from_millis(500);
const OPEN_SET_GOAL: Duration = Duration::from_secs(2);

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary
    // without it, and a debug-build generation of a million events is no test.
    if !std::env::args().any(|a| a == "--bench") {
        println!("store_startup: run with `cargo bench --bench store_startup`");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("startup-{TICKETS}.db"));
    if !db.exists() {
        generate(&db);
    }
    let size = std::fs::metadata(&db).unwrap().len();
    println!("store {} ({:.0} MB)", db.display(), size as f64 / 1e6);

    let mut first = Vec::new();
    let mut whole = Vec::new();
    let (mut open, mut events) = (0, 0);
    for _ in 0..5 {
        let t = Instant::now();
        let store = SqliteStore::open(&db).unwrap();
        let rows = store.open_tickets().unwrap();
        first.push(t.elapsed());
        let all = store.open_events().unwrap();
        whole.push(t.elapsed());
        (open, events) = (rows.tickets.len(), all.events.len());
    }
    first.sort();
    whole.sort();
    println!("open tickets: {open}, their events: {events}");
    report(
        "first frame data (open + projection)",
        first[2],
        FIRST_FRAME_GOAL,
    );
    report(
        "whole open set (open + projection + events)",
        whole[2],
        OPEN_SET_GOAL,
    );
    println!("peak RSS of this process: {} MB", peak_rss_mb());
}

fn report(what: &str, median: Duration, goal: Duration) {
    let verdict = if median <= goal { "meets" } else { "MISSES" };
    println!(
        "{what}: median of 5 {:.0} ms; goal {} ms: {verdict}",
        median.as_secs_f64() * 1e3,
        goal.as_millis()
    );
}

fn generate(db: &std::path::Path) {
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
    let tmp = db.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    let t = Instant::now();
    let mut store = SqliteStore::open(&tmp).unwrap();
    let mut batch = Vec::with_capacity(50_000);
    for e in synthetic::events(TICKETS, now, 2026) {
        batch.push(e);
        if batch.len() == batch.capacity() {
            store.append_all(&batch).unwrap();
            batch.clear();
        }
    }
    store.append_all(&batch).unwrap();
    drop(store);
    std::fs::rename(&tmp, db).unwrap();
    println!(
        "generated {TICKETS} tickets × 10 events in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
