//! Store throughput: single and batched appends, and a change-feed read; and what the
//! log-wide Merkle tree costs an append (`merkle` group, quick: `scripts/bench-merkle`).

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

/// A store whose tree edge claims to cover rows up to the largest seq and swallows
/// every write (`RAISE(IGNORE)`): its appends still run the tree's few bookkeeping
/// queries but find nothing to add, which is as close to "no tree" as the same binary
/// gets without a switch in the store.
fn store_without_tree(path: &std::path::Path) -> SqliteStore {
    drop(SqliteStore::open(path).unwrap());
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "UPDATE merkle_frontier SET last_seq = 9223372036854775807;
         CREATE TRIGGER bench_no_tree BEFORE UPDATE ON merkle_frontier BEGIN SELECT RAISE(IGNORE); END;",
    )
    .unwrap();
    drop(conn);
    SqliteStore::open(path).unwrap()
}

fn merkle(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("merkle");
    g.sample_size(10)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    for (name, mut store) in [
        (
            "with the tree",
            SqliteStore::open(&dir.path().join("tree.db")).unwrap(),
        ),
        (
            "without the tree",
            store_without_tree(&dir.path().join("plain.db")),
        ),
    ] {
        // The same 20,000 events first, so that both logs are past the tree's first
        // levels; then the same stream.
        let warm: Vec<_> = synthetic::events(2_000, now, 4).collect();
        store.append_all(&warm).unwrap();
        let mut source = synthetic::events(usize::MAX, now, 5);
        g.throughput(Throughput::Elements(1000));
        g.bench_function(format!("append_all 1000 events, {name}"), |b| {
            b.iter_batched(
                || source.by_ref().take(1000).collect::<Vec<_>>(),
                |batch| store.append_all(&batch).unwrap(),
                BatchSize::SmallInput,
            )
        });
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("append one event (fsync), {name}"), |b| {
            b.iter_batched(
                || source.next().unwrap(),
                |e| store.append(&e, Expect::Any).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, appends, merkle);
criterion_main!(benches);
