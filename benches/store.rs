//! Store throughput: single and batched appends, and a change-feed read.

#[path = "support/synthetic.rs"]
mod synthetic;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use slawatch::store::{Expect, SqliteStore, Store};

fn appends(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("bench.db")).unwrap();
    let mut source = synthetic::events(usize::MAX, now, 1);

    let mut g = c.benchmark_group("store");
    g.throughput(Throughput::Elements(1));
    g.bench_function("append one event (own transaction, fsync)", |b| {
        b.iter_batched(
            || source.next().unwrap(),
            |e| store.append(&e, Expect::Any).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.throughput(Throughput::Elements(1000));
    g.bench_function("append_all 1000 events (one transaction)", |b| {
        b.iter_batched(
            || source.by_ref().take(1000).collect::<Vec<_>>(),
            |batch| store.append_all(&batch).unwrap(),
            BatchSize::SmallInput,
        )
    });

    let feed_dir = tempfile::tempdir().unwrap();
    let mut feed = SqliteStore::open(&feed_dir.path().join("feed.db")).unwrap();
    let old: Vec<_> = synthetic::events(2_000, now, 2).collect();
    feed.append_all(&old).unwrap();
    let cursor = feed.changes_since(0, usize::MAX).unwrap().cursor;
    let new: Vec<_> = synthetic::events(1_000, now, 3).collect();
    assert_eq!(new.len(), 10_000);
    feed.append_all(&new).unwrap();
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("change feed: read 10,000 new events", |b| {
        b.iter(|| {
            let changes = feed.changes_since(cursor, 10_000).unwrap();
            assert_eq!(changes.events.len(), 10_000);
            changes
        })
    });
    g.finish();
}

criterion_group!(benches, appends);
criterion_main!(benches);
