//! Writes a store of generated open tickets for the console benchmark:
//! `cargo run --release --example console_store -- PATH [TICKETS]` (default 100,000),
//! placed relative to now (realistic states: running, at risk, breached, paused).

use std::time::Instant;

use slawatch::store::{SqliteStore, Store};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: console_store PATH [TICKETS]");
    let n: usize = args
        .next()
        .map_or(100_000, |s| s.parse().expect("a number"));
    let path = std::path::PathBuf::from(path);
    let tmp = path.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    let t = Instant::now();
    let events = slawatch::tui::fixture::events(2026, chrono::Utc::now(), n);
    let mut store = SqliteStore::open(&tmp).expect("open the store");
    for chunk in events.chunks(50_000) {
        store.append_all(chunk).expect("append");
    }
    drop(store);
    std::fs::rename(&tmp, &path).expect("rename");
    eprintln!(
        "{n} tickets, {} events into {} in {:.1} s",
        events.len(),
        path.display(),
        t.elapsed().as_secs_f64()
    );
}
