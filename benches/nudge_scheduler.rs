//! The nudge scheduler at scale: 100,000 open tickets (the synthetic NOC history of the
//! store benchmarks, folded to facts) planned from scratch, the heap memory the
//! scheduler keeps, the catch-up at start, and the cost of each second afterwards.
//! Run with `cargo bench --bench nudge_scheduler`.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use slawatch::notify::Scheduler;
use slawatch::sla::Facts;

/// Counts live heap bytes, to tell what the scheduler keeps.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Tickets such that, with every fifth resolved, 100,000 are open.
const TICKETS: usize = 125_000;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("nudge_scheduler: run with `cargo bench --bench nudge_scheduler`");
        return;
    }
    let now: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0).unwrap();
    let mut facts: Vec<(String, Arc<Facts>)> = Vec::new();
    let mut events = synthetic::events(TICKETS, now, 2026).peekable();
    while let Some(first) = events.next() {
        let mut group = vec![first];
        while events.peek().is_some_and(|e| e.ticket == group[0].ticket) {
            group.push(events.next().unwrap());
        }
        let f = Facts::fold(&group, DateTime::<Utc>::MAX_UTC).unwrap();
        if f.is_open() {
            facts.push((f.ticket.to_string(), Arc::new(f)));
        }
    }
    let (policies, calendars) = slawatch::config::shipped();
    let now_us = now.timestamp_micros();

    let before = LIVE.load(Ordering::Relaxed);
    let t = Instant::now();
    let mut s = Scheduler::new(Arc::new(policies.clone()), calendars.clone());
    for (ticket, f) in &facts {
        s.update(ticket, Some(f), now_us);
    }
    let plan = t.elapsed();
    let kept = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "plan {} open tickets: {:.0} ms ({:.1} µs per ticket); scheduler keeps {:.1} MB ({} bytes per ticket) besides the facts it shares with the board",
        facts.len(),
        plan.as_secs_f64() * 1e3,
        plan.as_secs_f64() * 1e6 / facts.len() as f64,
        kept as f64 / 1e6,
        kept / facts.len()
    );

    let t = Instant::now();
    let catch_up = s.pop_due(now_us);
    println!(
        "catch-up at start (thresholds passed while closed): {} nudges in {:.0} ms",
        catch_up.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    drop(catch_up);

    // An hour, second by second, as the service wakes.
    let mut fired = 0;
    let mut worst = std::time::Duration::ZERO;
    let t = Instant::now();
    for sec in 1..=3600 {
        let step = Instant::now();
        fired += s.pop_due(now_us + sec * 1_000_000).len();
        let _ = s.next_wake();
        worst = worst.max(step.elapsed());
    }
    println!(
        "the next hour, second by second: {fired} nudges, {:.1} µs per second on average, worst second {:.2} ms",
        t.elapsed().as_secs_f64() * 1e6 / 3600.0,
        worst.as_secs_f64() * 1e3
    );

    // One ticket changing (an event arrives) re-plans that ticket only.
    let t = Instant::now();
    for (ticket, f) in facts.iter().take(10_000) {
        s.update(ticket, Some(f), now_us + 3600 * 1_000_000);
    }
    println!(
        "re-plan on a change: {:.1} µs per ticket",
        t.elapsed().as_secs_f64() * 1e6 / 10_000.0
    );
}
