//! `cargo bench --bench calendar`: due/elapsed on the shipped business calendar (with
//! the US federal holidays) and on 24x7, plus SLA evaluation of 100,000 tickets.

use std::hint::black_box;
use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use slawatch::config::{load_calendars, load_policies};
use slawatch::model::Event;
use slawatch::sla::calendar::MICROS_PER_MIN;
use slawatch::sla::{evaluate_ticket, Facts};

const N: usize = 4096;

fn workload(seed: u64) -> Vec<(i64, i64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let year_start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .timestamp_micros();
    (0..N)
        .map(|_| {
            let start = year_start + rng.gen_range(0..365 * 86_400i64) * 1_000_000;
            let budget = rng.gen_range(60..=7_200i64) * MICROS_PER_MIN;
            (start, budget)
        })
        .collect()
}

fn calendars(c: &mut Criterion) {
    let cals = load_calendars(Path::new("assets/calendars.toml")).expect("shipped calendars");
    let ny = cals.get("ny-office").unwrap().clone();
    let always = cals.get("24x7").unwrap().clone();
    let work = workload(7);
    // Compile the chunks up front: the benchmark measures answers, not compilation.
    for &(s, b) in &work {
        black_box(ny.due_micros(s, b));
    }
    let mut g = c.benchmark_group("calendar");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("due/business-hours+holidays", |b| {
        b.iter(|| {
            for &(s, m) in &work {
                black_box(ny.due_micros(black_box(s), black_box(m)));
            }
        })
    });
    g.bench_function("elapsed/business-hours+holidays", |b| {
        b.iter(|| {
            for &(s, m) in &work {
                black_box(ny.elapsed_micros(black_box(s), black_box(s + m * 5)));
            }
        })
    });
    g.bench_function("due/24x7", |b| {
        b.iter(|| {
            for &(s, m) in &work {
                black_box(always.due_micros(black_box(s), black_box(m)));
            }
        })
    });
    g.finish();
}

/// 100,000 open tickets of about ten events each, spread over the shipped policies.
fn ticket_histories(now: DateTime<Utc>) -> Vec<Vec<Event>> {
    let customers = [
        "acme-telecom",
        "nordlink",
        "globex",
        "initech",
        "stark",
        "wayne",
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    (0..100_000)
        .map(|i| {
            let ticket = format!("T-{i}");
            let mut at = now - TimeDelta::minutes(rng.gen_range(30..20_000));
            let mut events = Vec::with_capacity(10);
            let mut push = |kind: &str, at: DateTime<Utc>, payload: serde_json::Value| {
                let e: Event = serde_json::from_value(json!({
                    "id": format!("{ticket}-{}", events.len()), "ticket": ticket, "kind": kind,
                    "at": at, "payload": payload,
                }))
                .unwrap();
                events.push(e.normalized());
            };
            push(
                "detected",
                at,
                json!({"priority": format!("P{}", rng.gen_range(1..=4)),
                       "customer": customers[i % customers.len()], "title": "bench"}),
            );
            for k in 0..9 {
                at += TimeDelta::minutes(rng.gen_range(1..60));
                let (kind, payload) = match k {
                    0 => ("acknowledged", json!({})),
                    3 => ("paused", json!({"reason": "customer"})),
                    4 => ("resumed", json!({})),
                    1 | 5 | 7 => ("client_update", json!({"channel": "email"})),
                    _ => ("note", json!({"text": "working on it"})),
                };
                push(kind, at.min(now), payload);
            }
            events
        })
        .collect()
}

fn evaluation(c: &mut Criterion) {
    let cals = load_calendars(Path::new("assets/calendars.toml")).unwrap();
    let pols = load_policies(Path::new("assets/policies.toml"), &cals).unwrap();
    let now = DateTime::parse_from_rfc3339("2026-03-04T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let histories = ticket_histories(now);
    let mut g = c.benchmark_group("sla");
    g.sample_size(10);
    g.throughput(Throughput::Elements(histories.len() as u64));
    g.bench_function("evaluate/100k-open-tickets", |b| {
        b.iter(|| {
            for h in &histories {
                black_box(evaluate_ticket(&pols, &cals, h, now).ok());
            }
        })
    });
    // The part a console tick needs once facts are cached: the clocks alone.
    let facts: Vec<Facts> = histories
        .iter()
        .map(|h| Facts::fold(h, now).unwrap())
        .collect();
    g.bench_function("clocks-from-cached-facts/100k", |b| {
        b.iter(|| {
            for f in &facts {
                let p = pols
                    .select(&f.customer, f.service.as_deref(), f.priority)
                    .unwrap();
                let cal = cals.get(&p.calendar).unwrap();
                black_box(slawatch::sla::clock::clocks(f, p, cal, now));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, calendars, evaluation);
criterion_main!(benches);
