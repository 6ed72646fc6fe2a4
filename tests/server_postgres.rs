//! `slawatch serve --database-url`: two serve processes on one PostgreSQL database,
//! many concurrent writers and several feed readers; the store commands on PostgreSQL.
//! Skips loudly without a PostgreSQL, fails then under SLAWATCH_REQUIRE_SERVICES=1.

mod server_support;

use std::collections::{BTreeMap, HashSet};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use server_support::{detected, event, token, Serve, BIN};
use slawatch::model::GENESIS_HASH;
use slawatch::store::postgres::scratch::ScratchDb;

#[test]
fn many_writers_through_two_servers_and_every_reader_sees_every_event_once_in_chain_order() {
    let Some(db) = ScratchDb::create("serve feed under concurrent writers") else {
        return;
    };
    let store = ["--database-url", db.url.as_str()];
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 30;
    const READERS: usize = 4;
    const TICKETS: usize = 5;
    let writers: Vec<String> = (0..WRITERS)
        .map(|w| token(&store, &format!("w{w}"), "agent", &[]))
        .collect();
    let readers: Vec<String> = (0..READERS)
        .map(|r| token(&store, &format!("r{r}"), "viewer", &[]))
        .collect();
    let servers = [
        Arc::new(Serve::start(&store, &[])),
        Arc::new(Serve::start(&store, &[])),
    ];
    for t in 0..TICKETS {
        let (code, v) = servers[0].post(
            &writers[0],
            "/v1/events",
            &detected(&format!("d{t}"), &format!("T-{t}"), "w0").to_string(),
        );
        assert_eq!(code, 201, "{v}");
    }
    let done = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(AtomicUsize::new(TICKETS));
    let mut reader_threads = Vec::new();
    for (i, tok) in readers.iter().enumerate() {
        let (srv, tok, done, committed) = (
            Arc::clone(&servers[i % 2]),
            tok.clone(),
            Arc::clone(&done),
            Arc::clone(&committed),
        );
        reader_threads.push(std::thread::spawn(move || {
            let mut seen: Vec<Value> = Vec::new();
            let mut cursor = String::new();
            loop {
                let finished = done.load(Ordering::SeqCst);
                let (code, page) = srv.get(&tok, &format!("/v1/feed?after={cursor}&wait=1"));
                assert_eq!(code, 200, "{page}");
                let events = page["events"].as_array().unwrap().clone();
                cursor = page["cursor"].as_str().unwrap().to_owned();
                let empty = events.is_empty();
                seen.extend(events);
                if finished && empty && seen.len() >= committed.load(Ordering::SeqCst) {
                    return seen;
                }
            }
        }));
    }
    let mut writer_threads = Vec::new();
    for (w, tok) in writers.iter().enumerate() {
        let (srv, tok, committed) = (
            Arc::clone(&servers[w % 2]),
            tok.clone(),
            Arc::clone(&committed),
        );
        writer_threads.push(std::thread::spawn(move || {
            for n in 0..PER_WRITER {
                let ticket = format!("T-{}", (w + n) % TICKETS);
                let e = event(
                    &format!("w{w}-{n}"),
                    &ticket,
                    "note",
                    &format!("w{w}"),
                    json!({"text": format!("note {n}")}),
                );
                // Every few, a batch of two on two tickets.
                let body = if n % 5 == 0 {
                    let other = format!("T-{}", (w + n + 1) % TICKETS);
                    let e2 = event(
                        &format!("w{w}-{n}b"),
                        &other,
                        "note",
                        &format!("w{w}"),
                        json!({"text": "b"}),
                    );
                    json!([e, e2]).to_string()
                } else {
                    e.to_string()
                };
                let (code, v) = srv.post(&tok, "/v1/events", &body);
                assert_eq!(code, 201, "{v}");
                committed.fetch_add(v["stored"].as_u64().unwrap() as usize, Ordering::SeqCst);
            }
        }));
    }
    for t in writer_threads {
        t.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let total = committed.load(Ordering::SeqCst);
    assert_eq!(total, TICKETS + WRITERS * (PER_WRITER + PER_WRITER / 5));
    for t in reader_threads {
        let seen = t.join().unwrap();
        let ids: Vec<&str> = seen.iter().map(|e| e["id"].as_str().unwrap()).collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        let mut counts: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, id) in ids.iter().enumerate() {
            counts.entry(id).or_default().push(i);
        }
        let twice: Vec<_> = counts.iter().filter(|(_, v)| v.len() > 1).collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "an event was given twice: {twice:?} of {ids:?}"
        );
        assert_eq!(ids.len(), total, "an event was skipped");
        let mut heads: BTreeMap<&str, &str> = BTreeMap::new();
        for e in &seen {
            let ticket = e["ticket"].as_str().unwrap();
            let head = heads.get(ticket).copied().unwrap_or(GENESIS_HASH);
            assert_eq!(
                e["prev_hash"].as_str().unwrap(),
                head,
                "{ticket}: out of chain order at {}",
                e["id"]
            );
            heads.insert(ticket, e["hash"].as_str().unwrap());
        }
    }
    let verify = Command::new(BIN)
        .args(store)
        .arg("verify")
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
fn the_store_commands_work_on_postgres_with_the_same_hashes_as_the_file() {
    let Some(db) = ScratchDb::create("store commands on postgres") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, concat!(
        r#"{"id":"e1","ticket":"ACME-1","kind":"detected","at":"2026-03-03T10:00:00Z","actor":"monitoring","payload":{"priority":"P1","customer":"acme-telecom"}}"#, "\n",
        r#"{"id":"e2","ticket":"ACME-1","kind":"acknowledged","at":"2026-03-03T10:05:00Z","actor":"alice","payload":{}}"#, "\n",
    )).unwrap();
    let run = |store: &[&str], args: &[&str]| {
        let out = Command::new(BIN).args(store).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let pg = ["--database-url", db.url.as_str()];
    let sqlite_path = dir.path().join("s.db").display().to_string();
    let lite = ["--db", sqlite_path.as_str()];
    let f = file.display().to_string();
    assert!(run(&pg, &["import", &f]).contains("imported 2 new event(s)"));
    assert!(run(&pg, &["import", &f]).contains("imported 0 new event(s) (2 already stored)"));
    run(&lite, &["import", &f]);
    assert_eq!(run(&pg, &["export"]), run(&lite, &["export"]));
    assert!(run(&pg, &["verify"]).starts_with("ok: 1 tickets, 2 events"));
    let mut srv = Serve::start(&pg, &[]);
    let viewer = token(&pg, "victor", "viewer", &[]);
    let (_, from_pg) = srv.get(&viewer, "/v1/tickets/ACME-1");
    assert!(srv.terminate().success(), "SIGTERM ends serve cleanly");
    let srv = Serve::start(&lite, &[]);
    let viewer = token(&lite, "victor", "viewer", &[]);
    let (_, from_lite) = srv.get(&viewer, "/v1/tickets/ACME-1");
    assert_eq!(from_pg["ticket"]["head"], from_lite["ticket"]["head"]);
    let bad = Command::new(BIN)
        .args([
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
            "verify",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("PostgreSQL store postgres://nobody@127.0.0.1:1/none"));
}

#[test]
fn migrate_moves_a_store_file_to_postgres_with_every_hash_unchanged() {
    let Some(db) = ScratchDb::create("migrate to postgres") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("solo.db").display().to_string();
    let run = |args: &[&str]| Command::new(BIN).args(args).output().unwrap();
    assert!(
        run(&["--db", &file, "demo", "--now", "2026-03-10T12:00:00Z"])
            .status
            .success()
    );
    let out = run(&["migrate", "--from", &file, "--to", &db.url]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("every hash unchanged"),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lite = run(&["--db", &file, "export"]).stdout;
    let pg = run(&["--database-url", &db.url, "export"]).stdout;
    assert_eq!(lite, pg);
    assert!(run(&["--database-url", &db.url, "verify"]).status.success());
    let again = run(&["migrate", "--from", &file, "--to", &db.url]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("migrated 0 new event(s)"));
}

/// On PostgreSQL, serve keeps the tokens it checked (a trigger on `tokens` tells it of
/// every change); a token revoked, or expired by hand, behind a running server is
/// refused as soon as that notification arrives.
#[test]
fn tokens_changed_behind_a_running_server_are_refused_at_once() {
    let Some(db) = ScratchDb::create("serve token cache") else {
        return;
    };
    let store = ["--database-url", db.url.as_str()];
    let alice = token(&store, "alice", "agent", &[]);
    let bob = token(&store, "bob", "viewer", &[]);
    let srv = Serve::start(&store, &[]);
    // Checked once, then from the cache.
    for _ in 0..3 {
        assert_eq!(srv.get(&alice, "/v1/tickets").0, 200);
        assert_eq!(srv.get(&bob, "/v1/tickets").0, 200);
    }
    let revoke = Command::new(BIN)
        .args(store)
        .args(["token", "revoke", "alice"])
        .output()
        .unwrap();
    assert!(revoke.status.success(), "{revoke:?}");
    let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    client
        .execute("UPDATE tokens SET expires_at = 1 WHERE name = 'bob'", &[])
        .unwrap();
    // The notification travels on its own connection: give it a moment, no more.
    let refused = |tok: &str, why: &str| {
        (0..100).any(|_| {
            let (code, v) = srv.get(tok, "/v1/tickets");
            let done = code == 401 && v["error"].as_str() == Some(why);
            if !done {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            done
        })
    };
    assert!(refused(&alice, "token revoked"));
    assert!(refused(&bob, "token expired"));
    // And a new token is let in at once.
    let carol = token(&store, "carol", "viewer", &[]);
    assert_eq!(srv.get(&carol, "/v1/tickets").0, 200);
}
