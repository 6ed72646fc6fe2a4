//! What the compliance view's figures cost: `compliance()` in memory, and the console's
//! worker on a store (its first request reads the whole store, later ones only the
//! change feed).
//!
//! `cargo run --release --example compliance_cost -- demo`
//! `cargo run --release --example compliance_cost -- history 100000` (a year of tickets,
//! almost all resolved: the demo data set again and again, one batch every few hours)
//! `cargo run --release --example compliance_cost -- open 5000` (every ticket open: the
//! worst case for the one-more-hour forecasts)
//! `cargo run --release --example compliance_cost -- worker PATH` (only the worker, on a
//! store written before with `COMPLIANCE_COST_DB=PATH`: its memory is then its own)

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use slawatch::model::{Event, EventKind, Payload};
use slawatch::sla::penalty::{Env, Month};
use slawatch::store::{SqliteStore, Store};
use slawatch::tui::compliance::{compute, group, Reply, Request, Setup, Worker};

fn history(n: usize, now: DateTime<Utc>) -> Vec<Event> {
    let per = slawatch::demo::demo_events(1, now)
        .iter()
        .map(|e| e.ticket.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    let batches = n.div_ceil(per).max(1);
    let step = TimeDelta::minutes(365 * 24 * 60 / batches as i64);
    let mut out = Vec::new();
    for b in 0..batches {
        let at = now - step * (batches - 1 - b) as i32;
        let mut evs = slawatch::demo::demo_events(b as u64, at);
        let mut last: HashMap<String, (DateTime<Utc>, bool, bool)> = HashMap::new();
        for e in &mut evs {
            e.ticket = format!("{}-{b}", e.ticket);
            e.id = format!("{}-{b}", e.id);
            let l = last.entry(e.ticket.clone()).or_insert((e.at, false, false));
            l.0 = l.0.max(e.at);
            l.1 |= e.kind == EventKind::Restored;
            l.2 |= e.kind == EventKind::Resolved;
        }
        // Older batches: everything still open was restored and resolved since.
        if b + 1 < batches {
            for (t, (at, restored, resolved)) in last {
                if resolved {
                    continue;
                }
                let mut next = at;
                for (kind, ok) in [
                    (EventKind::Restored, restored),
                    (EventKind::Resolved, false),
                ] {
                    if ok {
                        continue;
                    }
                    next += TimeDelta::hours(3);
                    if next > now {
                        break;
                    }
                    evs.push(Event {
                        id: format!("{t}-{}", kind.as_str()),
                        ticket: t.clone(),
                        kind,
                        at: next,
                        recorded_at: next,
                        actor: "noc".into(),
                        payload: Payload::default(),
                    });
                }
            }
        }
        out.extend(evs);
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "demo".into());
    let now = Utc::now();
    if mode == "worker" {
        let path = args.next().expect("worker PATH");
        run_worker(std::path::PathBuf::from(path), now);
        return;
    }
    let n: usize = args
        .next()
        .map_or(100_000, |s| s.parse().expect("a number"));
    let t = Instant::now();
    let events = match mode.as_str() {
        "demo" => slawatch::demo::demo_events(2026, now),
        "history" => history(n, now),
        "open" => slawatch::tui::fixture::events(2026, now, n),
        _ => panic!("usage: compliance_cost demo | history N | open N"),
    };
    let tickets = events
        .iter()
        .map(|e| e.ticket.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    eprintln!(
        "{mode}: {tickets} tickets, {} events (generated in {:.1} s)",
        events.len(),
        t.elapsed().as_secs_f64()
    );
    let (pols, cals) = slawatch::config::shipped();
    let env = Env {
        policies: pols,
        calendars: cals,
    };
    let contracts = slawatch::config::shipped_contracts();
    let month = Month::current(now, chrono_tz::UTC);
    for round in 0..2 {
        let t = Instant::now();
        let histories = group(&events);
        let g = t.elapsed();
        let t = Instant::now();
        let (c, _, evaluated) = compute(env, contracts, histories, month, now);
        let risks: usize = c
            .customers
            .iter()
            .flat_map(|cc| &cc.contracts)
            .map(|k| k.at_risk.len())
            .sum();
        eprintln!(
            "in memory #{round}: group {:.0} ms, book + compliance() {:.0} ms ({evaluated} tickets in the book, {risks} at risk, {} marks)",
            g.as_secs_f64() * 1e3,
            t.elapsed().as_secs_f64() * 1e3,
            c.marks.len()
        );
    }

    // The console's worker on a store.
    let keep = std::env::var_os("COMPLIANCE_COST_DB").map(std::path::PathBuf::from);
    let dir = tempfile_dir();
    let path = keep.clone().unwrap_or_else(|| dir.join("store.db"));
    let t = Instant::now();
    {
        let mut store = SqliteStore::open(&path).expect("open");
        for chunk in events.chunks(50_000) {
            store.append_all(chunk).expect("append");
        }
    }
    eprintln!("store written in {:.1} s", t.elapsed().as_secs_f64());
    drop(events);
    run_worker(path, now);
    let _ = std::fs::remove_dir_all(dir);
}

fn run_worker(path: std::path::PathBuf, now: DateTime<Utc>) {
    let (pols, cals) = slawatch::config::shipped();
    let contracts = slawatch::config::shipped_contracts();
    let month = Month::current(now, chrono_tz::UTC);
    let (tx, rx) = mpsc::channel();
    let worker = Worker::spawn(
        Setup {
            source: slawatch::sync::LocalSource::connector(&path),
            policies: pols.clone(),
            calendars: cals.clone(),
            contracts: contracts.clone(),
        },
        move |r| tx.send(r).is_ok(),
        |_| {},
    )
    .expect("start the worker");
    for (id, m) in [(1, month), (2, month), (3, month.prev())] {
        let t = Instant::now();
        worker.send(Request { id, month: m, now });
        match rx.recv_timeout(Duration::from_secs(3600)).expect("an answer") {
            Reply::Done(c) => eprintln!(
                "worker request {id} ({m}): {:.0} ms wall; store read {:.0} ms, compute {:.0} ms, {} tickets in the book",
                t.elapsed().as_secs_f64() * 1e3,
                c.load_us as f64 / 1e3,
                c.compute_us as f64 / 1e3,
                c.tickets
            ),
            Reply::Failed { error, .. } => panic!("{error}"),
        }
    }
    if let Ok(s) = std::fs::read_to_string("/proc/self/status") {
        for l in s
            .lines()
            .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
        {
            eprintln!("{l}");
        }
    }
    drop(worker);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("slawatch-compliance-cost-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
