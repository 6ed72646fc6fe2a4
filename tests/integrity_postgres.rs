//! The log-wide Merkle tree on PostgreSQL: checkpoints, `verify --checkpoint` catching
//! the attacks of someone who holds the database, evidence packages that verify offline,
//! and a tree that keeps one append order while several writers append at once.

use std::path::Path;
use std::process::{Command, Output};

use postgres::{Client, NoTls};
use slawatch::model::{Event, EventKind};
use slawatch::store::checkpoint::Checkpoint;
use slawatch::store::postgres::scratch::ScratchDb;
use slawatch::store::postgres::PgStore;
use slawatch::store::{Expect, Store, TreeStore};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slawatch"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env_remove("SLAWATCH_DB")
        .args(args)
        .output()
        .expect("run slawatch")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(o.status.success(), "{args:?} failed:\n{}", text(&o));
    text(&o)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A demo store on PostgreSQL and a checkpoint of it kept outside.
fn setup(name: &str) -> Option<(ScratchDb, tempfile::TempDir, std::path::PathBuf)> {
    let db = ScratchDb::create(name)?;
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &["demo", "--database-url", &db.url, "--seed", "7"],
    );
    let cp = dir.path().join("cp");
    ok(
        dir.path(),
        &["checkpoint", "--database-url", &db.url, "--out", s(&cp)],
    );
    Some((db, dir, cp))
}

fn verify(db: &ScratchDb, dir: &Path, cp: &Path) -> Output {
    run(
        dir,
        &["verify", "--database-url", &db.url, "--checkpoint", s(cp)],
    )
}

/// Runs `sql` with the append-only triggers disabled, as an owner of the database can,
/// then re-enables them and rebuilds the projection.
fn behind_the_triggers(db: &ScratchDb, dir: &Path, sql: &str) {
    let mut c = Client::connect(&db.url, NoTls).unwrap();
    c.batch_execute(&format!(
        "ALTER TABLE events DISABLE TRIGGER USER; {sql}; ALTER TABLE events ENABLE TRIGGER USER;"
    ))
    .unwrap();
    run(
        dir,
        &["verify", "--database-url", &db.url, "--rebuild-projection"],
    );
}

fn caught(name: &str, attack: &str, expected: &str) {
    let Some((db, dir, cp)) = setup(name) else {
        return;
    };
    behind_the_triggers(&db, dir.path(), attack);
    let out = verify(&db, dir.path(), &cp);
    assert!(!out.status.success(), "{attack}: passed\n{}", text(&out));
    assert!(text(&out).contains(expected), "{attack}:\n{}", text(&out));
}

#[test]
fn an_honest_store_and_honest_appends_verify_against_an_earlier_checkpoint() {
    let Some((db, dir, cp)) = setup("pg_tree_honest") else {
        return;
    };
    let out = ok(
        dir.path(),
        &["verify", "--database-url", &db.url, "--checkpoint", s(&cp)],
    );
    assert!(out.contains("is consistent with the log"), "{out}");
    assert!(out.contains("append-only triggers are present"), "{out}");
    let note = dir.path().join("n.jsonl");
    std::fs::write(
        &note,
        r#"{"id":"later-1","ticket":"LATER-1","kind":"note","at":"2026-12-01T12:00:00Z","actor":"bars","payload":{"text":"later"}}"#.to_owned() + "\n",
    )
    .unwrap();
    ok(dir.path(), &["import", "--database-url", &db.url, s(&note)]);
    let out = ok(
        dir.path(),
        &["verify", "--database-url", &db.url, "--checkpoint", s(&cp)],
    );
    assert!(out.contains("(a proof of "), "{out}");
}

#[test]
fn a_rewritten_event_is_caught_on_postgres() {
    caught(
        "pg_tree_rewrite",
        "UPDATE events SET actor = 'someone-else' WHERE seq = (SELECT min(seq) + 5 FROM events);
         UPDATE events SET hash = md5(hash) || md5(hash) WHERE seq = (SELECT min(seq) + 5 FROM events)",
        "history was rewritten, reordered or deleted",
    );
}

#[test]
fn deleted_tail_events_and_tickets_are_caught_on_postgres() {
    caught(
        "pg_tree_tail",
        "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)",
        "events were deleted",
    );
    caught(
        "pg_tree_ticket",
        "DELETE FROM events WHERE ticket = (SELECT min(ticket) FROM events)",
        "BROKEN",
    );
}

#[test]
fn reordered_events_are_caught_on_postgres() {
    // A later event of another ticket moved before an earlier one (the tree's order is
    // the inserting transaction's, then `seq`).
    caught(
        "pg_tree_reorder",
        "CREATE TEMP TABLE pair AS SELECT x.seq AS a, y.seq AS b FROM events x JOIN events y
            ON y.seq = x.seq + 1 WHERE x.ticket <> y.ticket ORDER BY x.seq LIMIT 1;
         UPDATE events SET tx = ((SELECT tx FROM events WHERE seq = (SELECT a FROM pair))::text::bigint - 1)::text::xid8
          WHERE seq = (SELECT b FROM pair)",
        "BROKEN",
    );
}

#[test]
fn a_dropped_or_disabled_trigger_is_reported_on_postgres() {
    let Some((db, dir, cp)) = setup("pg_tree_triggers") else {
        return;
    };
    let mut c = Client::connect(&db.url, NoTls).unwrap();
    c.batch_execute("ALTER TABLE events DISABLE TRIGGER events_are_append_only")
        .unwrap();
    let out = text(&verify(&db, dir.path(), &cp));
    assert!(
        out.contains("append-only trigger events_are_append_only was altered"),
        "{out}"
    );
    c.batch_execute("DROP TRIGGER events_are_never_truncated ON events")
        .unwrap();
    let out = text(&verify(&db, dir.path(), &cp));
    assert!(
        out.contains("append-only trigger events_are_never_truncated is missing"),
        "{out}"
    );
}

#[test]
fn a_deletion_behind_dropped_and_re_created_triggers_is_caught_on_postgres() {
    let Some((db, dir, cp)) = setup("pg_tree_recreated") else {
        return;
    };
    let mut c = Client::connect(&db.url, NoTls).unwrap();
    let triggers: Vec<(String, String)> = c
        .query(
            "SELECT tgname::text, pg_get_triggerdef(oid) FROM pg_trigger
              WHERE tgrelid = 'events'::regclass AND NOT tgisinternal",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(!triggers.is_empty(), "the events table has no triggers");
    for (name, _) in &triggers {
        c.batch_execute(&format!("DROP TRIGGER {name} ON events"))
            .unwrap();
    }
    // The last event of one ticket, not the log's last: its chain still verifies.
    c.batch_execute(
        "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events
            WHERE ticket = (SELECT min(ticket) FROM events) AND seq < (SELECT max(seq) FROM events))",
    )
    .unwrap();
    for (_, definition) in &triggers {
        c.batch_execute(definition).unwrap();
    }
    run(
        dir.path(),
        &["verify", "--database-url", &db.url, "--rebuild-projection"],
    );
    // The triggers look as slawatch made them; the checkpoint taken before shows the loss.
    let out = verify(&db, dir.path(), &cp);
    let said = text(&out);
    assert!(!out.status.success(), "passed:\n{said}");
    assert!(said.contains("append-only triggers are present"), "{said}");
    assert!(
        said.contains(&format!("{}: covers", s(&cp))) && said.contains("events were deleted"),
        "{said}"
    );
}

#[test]
fn an_evidence_package_from_postgres_verifies_offline() {
    let Some((db, dir, cp)) = setup("pg_tree_evidence") else {
        return;
    };
    let ticket: String = Client::connect(&db.url, NoTls)
        .unwrap()
        .query_one(
            "SELECT ticket FROM events GROUP BY ticket HAVING count(*) > 3 ORDER BY ticket LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    let pkg = dir.path().join("pkg");
    ok(
        dir.path(),
        &[
            "evidence",
            &ticket,
            "--database-url",
            &db.url,
            "--out",
            s(&pkg),
        ],
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let out = ok(
        elsewhere.path(),
        &["verify", "--evidence", s(&pkg), "--checkpoint", s(&cp)],
    );
    assert!(out.contains("events are in the store's log"), "{out}");
    assert!(
        out.contains(&format!("consistent with {}", s(&cp))),
        "{out}"
    );
}

fn note(id: String, ticket: String) -> Event {
    let at = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap();
    let mut payload = serde_json::Map::new();
    payload.insert("text".into(), "n".into());
    Event {
        id,
        ticket,
        kind: EventKind::Note,
        at,
        recorded_at: at,
        actor: "alice".into(),
        payload,
    }
}

#[test]
fn concurrent_writers_and_checkpoints_keep_one_tree_order() {
    let Some(db) = ScratchDb::create("pg_tree_concurrent") else {
        return;
    };
    drop(PgStore::connect(&db.url).unwrap());
    let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let stop = std::sync::atomic::AtomicBool::new(false);
    // Checkpoints signed so far: the writers wait for one half-way, so that at least
    // one is taken while appends run, however quick the appends are.
    let signed = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|sc| {
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let (url, signed) = (db.url.clone(), &signed);
                sc.spawn(move || {
                    let mut store = PgStore::connect(&url).unwrap();
                    for i in 0..150 {
                        while i == 75 && signed.load(std::sync::atomic::Ordering::Relaxed) == 0 {
                            std::thread::sleep(std::time::Duration::from_millis(5));
                        }
                        let e = note(format!("w{w}-{i}"), format!("T-{}", i % 7));
                        store.append(&e, Expect::Any).unwrap();
                    }
                })
            })
            .collect();
        let checkpointer = sc.spawn(|| {
            // Should this thread fail, the writers must not wait for it forever.
            struct Gone<'a>(&'a std::sync::atomic::AtomicUsize);
            impl Drop for Gone<'_> {
                fn drop(&mut self) {
                    self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            let _gone = Gone(&signed);
            let mut store = PgStore::connect(&db.url).unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let now = chrono::Utc::now();
                store
                    .write_checkpoint(&mut |s| {
                        Some(Checkpoint::sign(&s.store, s.size, s.root, now, &key))
                    })
                    .unwrap();
                signed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        });
        for w in writers {
            w.join().unwrap();
        }
        // And one more after the last append.
        let after = signed.load(std::sync::atomic::Ordering::Relaxed);
        while signed.load(std::sync::atomic::Ordering::Relaxed) == after
            && !checkpointer.is_finished()
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        checkpointer.join().unwrap();
    });
    let mut store = PgStore::connect(&db.url).unwrap();
    let report = store.verify_tree(&[]).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.size, 300);
    let kept = store.stored_checkpoints().unwrap();
    assert!(kept.len() > 1);
    // Every checkpoint, taken while appends ran, is a prefix of the final tree.
    assert!(
        report
            .proved
            .iter()
            .filter(|p| p.contains("is consistent with the log"))
            .count()
            == kept.len(),
        "{:?}",
        report.proved
    );
}
