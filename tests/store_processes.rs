//! Several processes on one store file: concurrent appenders lose nothing, and a writer
//! killed with SIGKILL at a random moment leaves every acknowledged event intact.
//!
//! The child processes are this test binary run again with `SLAWATCH_CHILD` set: the
//! `child_appender` test below does the appending in that role and nothing otherwise.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rand::Rng;
use serde_json::json;
use slawatch::model::{Event, EventKind, Payload};
use slawatch::store::{Expect, SqliteStore, Store};

/// libtest may print "test child_appender ... " on the same line as the first id.
const PREFIX: &str = "@@appended ";

fn event(id: String, ticket: &str, n: u32) -> Event {
    let at =
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap() + chrono::Duration::seconds(n.into());
    let (kind, payload) = if n == 0 {
        (
            EventKind::Detected,
            json!({"priority": "P2", "customer": "nordlink", "title": "flapping BGP"}),
        )
    } else {
        (EventKind::Note, json!({"text": format!("note {n}")}))
    };
    let payload: Payload = serde_json::from_value(payload).unwrap();
    Event {
        id,
        ticket: ticket.into(),
        kind,
        at,
        recorded_at: at,
        actor: "child".into(),
        payload,
    }
}

/// The child role: append `SLAWATCH_CHILD_COUNT` events (0 = until killed) to four
/// shared tickets, alternating single appends and batches of three, printing each id
/// only after the call that stored it returned.
#[test]
fn child_appender() {
    let Ok(name) = std::env::var("SLAWATCH_CHILD") else {
        return;
    };
    let db = std::env::var("SLAWATCH_CHILD_DB").unwrap();
    let count: u32 = std::env::var("SLAWATCH_CHILD_COUNT")
        .unwrap()
        .parse()
        .unwrap();
    let mut store = SqliteStore::open(Path::new(&db)).unwrap();
    let tickets = ["T-1", "T-2", "T-3", "T-4"];
    for t in tickets {
        store
            .append(&event(format!("{t}-detected"), t, 0), Expect::Any)
            .unwrap();
    }
    let mut n = 1;
    while count == 0 || n <= count {
        let batch: Vec<Event> = (0..if n % 2 == 0 { 3 } else { 1 })
            .map(|i| event(format!("{name}-{n}-{i}"), tickets[(n as usize + i) % 4], n))
            .collect();
        if batch.len() == 1 {
            store.append(&batch[0], Expect::Any).unwrap();
        } else {
            store.append_all(&batch).unwrap();
        }
        for e in &batch {
            println!("{PREFIX}{}", e.id);
        }
        n += 1;
    }
}

fn spawn_child(name: &str, db: &Path, count: u32) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_appender",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SLAWATCH_CHILD", name)
        .env("SLAWATCH_CHILD_DB", db)
        .env("SLAWATCH_CHILD_COUNT", count.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn printed_ids(out: impl std::io::Read) -> Vec<String> {
    BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| l.split_once(PREFIX).map(|(_, id)| id.to_owned()))
        .collect()
}

fn stored_ids(store: &SqliteStore) -> std::collections::HashSet<String> {
    let mut ids = std::collections::HashSet::new();
    store
        .for_each_event(None, &mut |e| {
            ids.insert(e.event.id);
            Ok(())
        })
        .unwrap();
    ids
}

#[test]
fn two_processes_appending_at_once_lose_nothing() {
    if std::env::var("SLAWATCH_CHILD").is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let per_child = 150;
    let mut children: Vec<Child> = ["a", "b"]
        .iter()
        .map(|n| spawn_child(n, &db, per_child))
        .collect();
    let readers: Vec<_> = children
        .iter_mut()
        .map(|c| {
            let out = c.stdout.take().unwrap();
            std::thread::spawn(move || printed_ids(out))
        })
        .collect();
    for c in &mut children {
        assert!(c.wait().unwrap().success(), "a child appender failed");
    }
    let printed: Vec<String> = readers
        .into_iter()
        .flat_map(|r| r.join().unwrap())
        .collect();
    // 150 rounds alternate 1 and 3 events: 75 + 225 each.
    assert_eq!(printed.len(), 2 * 300);
    let store = SqliteStore::open(&db).unwrap();
    let ids = stored_ids(&store);
    assert_eq!(
        ids.len(),
        600 + 4,
        "both children's events plus four shared detections"
    );
    for id in &printed {
        assert!(ids.contains(id), "{id} was acknowledged but is not stored");
    }
    let report = store.verify().unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.tickets, 4);
}

#[test]
fn a_writer_killed_at_a_random_moment_loses_nothing_it_acknowledged() {
    if std::env::var("SLAWATCH_CHILD").is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let mut rng = rand::thread_rng();
    let mut acknowledged = Vec::new();
    for round in 0..3 {
        let delay = Duration::from_millis(rng.gen_range(50..600));
        let mut child = spawn_child(&format!("r{round}"), &db, 0);
        let out = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || printed_ids(out));
        let started = Instant::now();
        while started.elapsed() < delay {
            std::thread::sleep(Duration::from_millis(5));
            assert!(
                child.try_wait().unwrap().is_none(),
                "the appender stopped by itself"
            );
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let ids = reader.join().unwrap();
        eprintln!(
            "round {round}: killed after {delay:?}, {} events acknowledged",
            ids.len()
        );
        acknowledged.extend(ids);
        let store = SqliteStore::open(&db).unwrap();
        let stored = stored_ids(&store);
        for id in &acknowledged {
            assert!(
                stored.contains(id),
                "round {round}: {id} was acknowledged but is lost"
            );
        }
        let report = store.verify().unwrap();
        assert!(report.is_ok(), "round {round}: {:#?}", report.problems);
    }
    assert!(!acknowledged.is_empty(), "no child got to append anything");
}
