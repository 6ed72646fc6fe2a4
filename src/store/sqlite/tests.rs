use chrono::TimeZone;
use serde_json::json;

use super::*;
use crate::model::Payload;
use crate::store::TreeStore;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
}

fn ev(
    id: &str,
    ticket: &str,
    kind: EventKind,
    t: DateTime<Utc>,
    payload: serde_json::Value,
) -> Event {
    let payload: Payload = serde_json::from_value(payload).unwrap();
    Event {
        id: id.into(),
        ticket: ticket.into(),
        kind,
        at: t,
        recorded_at: t,
        actor: "alice".into(),
        payload,
    }
}

fn detected(id: &str, ticket: &str) -> Event {
    ev(
        id,
        ticket,
        EventKind::Detected,
        at(8, 0),
        json!({"priority": "P1", "customer": "acme-telecom", "title": "LOS on LDN-FRA-7"}),
    )
}

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("nested/dir/s.db")).unwrap();
    (dir, s)
}

#[test]
fn appends_chain_per_ticket_and_are_idempotent() {
    let (_d, mut s) = store();
    let a = s.append(&detected("e1", "T-1"), Expect::Any).unwrap();
    assert!(a.new);
    assert_eq!(a.stored.prev_hash, GENESIS_HASH);
    assert_eq!(a.stored.hash, chain_hash(GENESIS_HASH, &a.stored.event));
    let b = s.append(&detected("e2", "T-2"), Expect::Any).unwrap();
    assert_eq!(b.stored.prev_hash, GENESIS_HASH, "chains are per ticket");
    let ack = ev("e3", "T-1", EventKind::Acknowledged, at(8, 5), json!({}));
    let c = s.append(&ack, Expect::Head(&a.stored.hash)).unwrap();
    assert_eq!(c.stored.prev_hash, a.stored.hash);

    let again = s.append(&ack, Expect::Any).unwrap();
    assert!(!again.new);
    assert_eq!(again.stored, c.stored);
    assert_eq!(s.history("T-1").unwrap().len(), 2);
    assert_eq!(
        s.append_all(&[detected("e1", "T-1"), ack.clone()]).unwrap(),
        0
    );

    let mut changed = ack.clone();
    changed.actor = "mallory".into();
    let e = s.append(&changed, Expect::Any).unwrap_err();
    assert!(matches!(e, StoreError::IdConflict { .. }), "{e}");
    assert!(e.to_string().contains("\"e3\""), "{e}");
}

#[test]
fn a_stale_head_is_rejected_with_the_actual_head() {
    let (_d, mut s) = store();
    let a = s
        .append(&detected("e1", "T-1"), Expect::Head(GENESIS_HASH))
        .unwrap();
    s.append(
        &ev("e2", "T-1", EventKind::Acknowledged, at(8, 1), json!({})),
        Expect::Any,
    )
    .unwrap();
    let late = ev(
        "e3",
        "T-1",
        EventKind::Note,
        at(8, 2),
        json!({"text": "hi"}),
    );
    match s.append(&late, Expect::Head(&a.stored.hash)).unwrap_err() {
        StoreError::StaleHead {
            ticket,
            expected,
            actual,
        } => {
            assert_eq!(ticket, "T-1");
            assert_eq!(expected, a.stored.hash);
            assert_eq!(actual, s.history("T-1").unwrap()[1].hash);
        }
        other => panic!("{other}"),
    }
    assert_eq!(s.history("T-1").unwrap().len(), 2, "nothing stored");
}

#[test]
fn a_batch_with_one_invalid_event_stores_nothing() {
    let (_d, mut s) = store();
    let bad = ev("e2", "T-1", EventKind::Paused, at(9, 0), json!({}));
    let e = s.append_all(&[detected("e1", "T-1"), bad]).unwrap_err();
    assert!(matches!(e, StoreError::Invalid { index: 1, .. }), "{e}");
    assert!(e.to_string().contains("payload.reason"), "{e}");
    assert_eq!(s.changes_since(0, 10).unwrap().events.len(), 0);
    // A conflict found half-way through the transaction rolls the first part back too.
    s.append(&detected("e1", "T-1"), Expect::Any).unwrap();
    let mut conflicting = detected("e1", "T-1");
    conflicting.actor = "bob".into();
    let e = s
        .append_all(&[detected("e9", "T-9"), conflicting])
        .unwrap_err();
    assert!(matches!(e, StoreError::IdConflict { .. }), "{e}");
    assert!(s.history("T-9").unwrap().is_empty());
}

#[test]
fn change_feed_returns_only_what_is_new_with_a_cursor() {
    let (_d, mut s) = store();
    s.append_all(&[detected("e1", "T-1"), detected("e2", "T-2")])
        .unwrap();
    let first = s.changes_since(0, 100).unwrap();
    assert_eq!(first.events.len(), 2);
    assert_eq!(
        s.changes_since(first.cursor, 100).unwrap(),
        Changes {
            events: vec![],
            cursor: first.cursor
        }
    );
    s.append(
        &ev("e3", "T-2", EventKind::Acknowledged, at(8, 3), json!({})),
        Expect::Any,
    )
    .unwrap();
    s.append(
        &ev("e4", "T-1", EventKind::Acknowledged, at(8, 4), json!({})),
        Expect::Any,
    )
    .unwrap();
    let page = s.changes_since(first.cursor, 1).unwrap();
    assert_eq!(
        page.events
            .iter()
            .map(|e| e.event.id.as_str())
            .collect::<Vec<_>>(),
        ["e3"]
    );
    let rest = s.changes_since(page.cursor, 100).unwrap();
    assert_eq!(
        rest.events
            .iter()
            .map(|e| e.event.id.as_str())
            .collect::<Vec<_>>(),
        ["e4"]
    );
}

#[test]
fn open_tickets_come_from_the_projection_and_exclude_resolved_ones() {
    let (_d, mut s) = store();
    s.append_all(&[
        detected("e1", "T-1"),
        detected("e2", "T-2"),
        ev(
            "e3",
            "T-2",
            EventKind::Resolved,
            at(9, 0),
            json!({"root_cause": "fibre cut"}),
        ),
        ev(
            "e4",
            "T-3",
            EventKind::Note,
            at(9, 0),
            json!({"text": "before detection"}),
        ),
    ])
    .unwrap();
    let open = s.open_tickets().unwrap();
    assert_eq!(open.cursor, 4);
    let mut names: Vec<_> = open.tickets.iter().map(|t| t.ticket.as_str()).collect();
    names.sort();
    assert_eq!(names, ["T-1", "T-3"]);
    let t1 = open.tickets.iter().find(|t| t.ticket == "T-1").unwrap();
    assert_eq!(&*t1.facts.as_ref().unwrap().customer, "acme-telecom");
    assert!(open
        .tickets
        .iter()
        .find(|t| t.ticket == "T-3")
        .unwrap()
        .facts
        .is_none());
    let events = s.open_events().unwrap();
    assert_eq!(
        events
            .events
            .iter()
            .map(|e| e.event.id.as_str())
            .collect::<Vec<_>>(),
        ["e1", "e4"]
    );
}

#[test]
fn stored_rows_cannot_be_updated_or_deleted() {
    let (_d, mut s) = store();
    s.append(&detected("e1", "T-1"), Expect::Any).unwrap();
    let e = s
        .conn
        .execute("UPDATE events SET actor = 'x'", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    assert!(s.conn.execute("DELETE FROM events", []).is_err());
}

#[test]
fn verify_names_the_first_broken_event_of_each_ticket() {
    let (_d, mut s) = store();
    s.append_all(&[
        detected("e1", "T-1"),
        ev("e2", "T-1", EventKind::Acknowledged, at(8, 1), json!({})),
        ev("e3", "T-1", EventKind::Note, at(8, 2), json!({"text": "a"})),
        detected("e4", "T-2"),
    ])
    .unwrap();
    let ok = s.verify().unwrap();
    assert!(ok.is_ok(), "{:?}", ok.problems);
    assert_eq!((ok.tickets, ok.events), (2, 4));

    // Someone with raw SQL access goes around the triggers and back-dates an event.
    s.conn
        .execute_batch(
            "DROP TRIGGER events_are_append_only_update;
             UPDATE events SET at = at - 3600000000 WHERE id = 'e2';",
        )
        .unwrap();
    let report = s.verify().unwrap();
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    let chain = &report.problems[0];
    assert_eq!(
        (chain.ticket.as_str(), chain.event_id.as_deref()),
        ("T-1", Some("e2"))
    );
    assert!(chain.what.contains("does not match its hash"), "{chain}");
    // The cached facts were folded from the original acknowledgement time.
    assert!(
        report.problems[1].what.contains("projection is stale"),
        "{}",
        report.problems[1]
    );

    // A rebuilt projection agrees with the (tampered) log; the chain stays broken.
    s.rebuild_projection().unwrap();
    let report = s.verify().unwrap();
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert_eq!(report.problems[0].event_id.as_deref(), Some("e2"));
}

#[test]
fn verify_catches_a_stale_projection() {
    let (_d, mut s) = store();
    s.append(&detected("e1", "T-1"), Expect::Any).unwrap();
    s.conn.execute("UPDATE tickets SET open = 0", []).unwrap();
    let report = s.verify().unwrap();
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0]
            .what
            .contains("open false should be true"),
        "{}",
        report.problems[0]
    );
    s.conn.execute("DELETE FROM tickets", []).unwrap();
    assert!(s.verify().unwrap().problems[0].what.contains("no row"));
    assert_eq!(s.rebuild_projection().unwrap(), 1);
    assert!(s.verify().unwrap().is_ok());
}

#[test]
fn files_that_are_not_stores_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("notes.txt");
    std::fs::write(
        &junk,
        "this is not a database, it is a shopping list\n".repeat(50),
    )
    .unwrap();
    let e = SqliteStore::open(&junk).err().unwrap();
    assert!(matches!(e, StoreError::NotAStore { .. }), "{e}");
    assert!(e.to_string().contains("notes.txt"), "{e}");

    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE songs (title TEXT)")
        .unwrap();
    let e = SqliteStore::open(&other).err().unwrap();
    assert!(e.to_string().contains("another program"), "{e}");

    let newer = dir.path().join("newer.db");
    drop(SqliteStore::open(&newer).unwrap());
    Connection::open(&newer)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations VALUES (99, 'from the future', '2030-01-01')",
            [],
        )
        .unwrap();
    let e = SqliteStore::open(&newer).err().unwrap();
    assert!(
        matches!(e, StoreError::NewerSchema { found: 99, .. }),
        "{e}"
    );
    assert!(SqliteStore::open_read_only(&newer).is_err());

    let missing = SqliteStore::open_read_only(&dir.path().join("missing.db"))
        .err()
        .unwrap();
    assert!(missing.to_string().contains("no such file"), "{missing}");
}

#[test]
fn a_full_disk_stores_nothing_and_says_so() {
    let (_d, mut s) = store();
    s.append(&detected("e1", "T-1"), Expect::Any).unwrap();
    let pages: i64 = s
        .conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    s.conn
        .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
        .unwrap();
    let big = "x".repeat(20_000);
    let events: Vec<_> = (0..20)
        .map(|i| {
            ev(
                &format!("n{i}"),
                "T-1",
                EventKind::Note,
                at(9, i),
                json!({"text": big}),
            )
        })
        .collect();
    let e = s.append_all(&events).unwrap_err();
    assert!(matches!(e, StoreError::DiskFull { .. }), "{e}");
    assert!(e.to_string().contains("nothing of this write was stored"));
    assert_eq!(s.history("T-1").unwrap().len(), 1);
    assert!(s.verify().unwrap().is_ok());
}

#[test]
fn a_read_only_store_reads_but_refuses_writes() {
    let (d, mut s) = store();
    s.append(&detected("e1", "T-1"), Expect::Any).unwrap();
    drop(s);
    let mut ro = SqliteStore::open_read_only(&d.path().join("nested/dir/s.db")).unwrap();
    assert_eq!(ro.history("T-1").unwrap().len(), 1);
    let e = ro.append(&detected("e2", "T-2"), Expect::Any).unwrap_err();
    assert!(matches!(e, StoreError::ReadOnly { .. }), "{e}");
}

#[test]
fn float_payloads_survive_the_round_trip_bit_for_bit() {
    let (_d, mut s) = store();
    let e = ev(
        "e1",
        "T-1",
        EventKind::Note,
        at(9, 0),
        json!({"text": "loss", "ratio": 0.1 + 0.2, "tiny": 5e-324, "big": 1.7976931348623157e308}),
    );
    s.append(&e, Expect::Any).unwrap();
    assert!(s.verify().unwrap().is_ok());
    assert_eq!(s.history("T-1").unwrap()[0].event, e);
}

fn nudge_record(ticket: &str, kind: &str, value: i64, fired_at: i64) -> NudgeRecord {
    NudgeRecord {
        ticket: ticket.into(),
        metric: crate::sla::Metric::Restore,
        cycle_start: 1_000,
        target: 4 * 3_600_000_000,
        kind: kind.into(),
        value,
        threshold_at: fired_at,
        due: fired_at + 600_000_000,
        fired_at,
        late: false,
        loud: true,
        priority: "P1".into(),
        summary: format!("P1 {ticket} breaches restore in 10 min"),
    }
}

#[test]
fn a_nudge_is_claimed_once_per_user_across_connections() {
    let (dir, mut a) = store();
    let mut b = SqliteStore::open(&dir.path().join("nested/dir/s.db")).unwrap();
    let n = nudge_record("T-1", "percent", 75, 5_000);
    assert_eq!(
        a.claim_nudges("alice", std::slice::from_ref(&n)).unwrap(),
        [Claim::Claimed]
    );
    assert_eq!(
        b.claim_nudges("alice", std::slice::from_ref(&n)).unwrap(),
        [Claim::AlreadySent]
    );
    assert_eq!(
        b.claim_nudges("bob", std::slice::from_ref(&n)).unwrap(),
        [Claim::Claimed]
    );
    // A restart, a clock change: same threshold, other fired_at, still the same nudge.
    let again = NudgeRecord {
        fired_at: 99_000,
        ..n.clone()
    };
    assert_eq!(
        a.claim_nudges("alice", &[again]).unwrap(),
        [Claim::AlreadySent]
    );
    let sent = a.nudges_sent("alice", 0, 10).unwrap();
    assert_eq!(sent, vec![n]);
    assert!(a.nudges_sent("alice", 6_000, 10).unwrap().is_empty());
}

#[test]
fn concurrent_claims_of_one_nudge_have_exactly_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    SqliteStore::open(&path).unwrap();
    let winners: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                scope.spawn(move || {
                    let mut s = SqliteStore::open(&path).unwrap();
                    let batch: Vec<_> = (0..50)
                        .map(|i| nudge_record(&format!("T-{i}"), "breach", 0, 7_000))
                        .collect();
                    s.claim_nudges("alice", &batch)
                        .unwrap()
                        .iter()
                        .filter(|c| **c == Claim::Claimed)
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(winners, 50);
}

#[test]
fn a_snooze_turns_warnings_away_but_never_a_breach() {
    let (_d, mut s) = store();
    s.set_snooze("alice", "T-1", Some(10_000)).unwrap();
    let claims = s
        .claim_nudges(
            "alice",
            &[
                nudge_record("T-1", "minutes_before", 15, 5_000),
                nudge_record("T-1", "breach", 0, 5_000),
                nudge_record("T-1", "percent", 90, 12_000),
                nudge_record("T-2", "percent", 90, 5_000),
            ],
        )
        .unwrap();
    assert_eq!(
        claims,
        [
            Claim::Snoozed(10_000),
            Claim::Claimed,
            Claim::Claimed,
            Claim::Claimed
        ]
    );
    assert_eq!(
        s.snoozes("alice", 9_000).unwrap(),
        [("T-1".to_owned(), 10_000)]
    );
    assert!(s.snoozes("alice", 10_000).unwrap().is_empty());
    assert!(s.snoozes("bob", 0).unwrap().is_empty());
    s.set_snooze("alice", "T-1", None).unwrap();
    assert!(s.snoozes("alice", 0).unwrap().is_empty());
}

/// Turns a store back into what slawatch wrote before schema version 4.
const UNDO_VERSION_4: &str = "DROP TABLE merkle_frontier;
    DROP TABLE checkpoints; DROP TABLE store_identity; DROP TABLE tokens;
    DELETE FROM schema_migrations WHERE version >= 4;";

/// Turns a store back into what slawatch wrote at schema version 4: every leaf and
/// node of the tree in tables of their own.
const UNDO_VERSION_5: &str = "DROP TABLE merkle_frontier;
    CREATE TABLE merkle_leaves (idx INTEGER PRIMARY KEY, seq INTEGER NOT NULL UNIQUE);
    CREATE TABLE merkle_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL,
        hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
    CREATE TRIGGER merkle_leaves_are_append_only_update BEFORE UPDATE ON merkle_leaves
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
    CREATE TRIGGER merkle_leaves_are_append_only_delete BEFORE DELETE ON merkle_leaves
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
    CREATE TRIGGER merkle_nodes_are_append_only_update BEFORE UPDATE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
    CREATE TRIGGER merkle_nodes_are_append_only_delete BEFORE DELETE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
    DROP TABLE tokens;
    DELETE FROM schema_migrations WHERE version >= 5;";

#[test]
fn upgrading_a_version_4_store_keeps_its_tree_root_and_checkpoints() {
    let (dir, mut s) = store();
    let path = dir.path().join("nested/dir/s.db");
    for (i, t) in ["T-1", "T-2", "T-1"].iter().enumerate() {
        s.append(&detected(&format!("e{i}"), t), Expect::Any)
            .unwrap();
    }
    let expected = s.tree_head().unwrap();
    drop(s);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(UNDO_VERSION_5).unwrap();
    drop(conn);
    let mut s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.tree_head().unwrap(), expected);
    let report = s.verify_tree(&[]).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let old: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name LIKE 'merkle_leaves%' OR name LIKE 'merkle_nodes%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old, 0, "the old tables and their triggers are gone");
}

#[test]
fn upgrading_a_version_5_store_keeps_the_tokens_its_token_create_made() {
    use crate::store::tokens::{NewToken, Role, TokenInfo};
    use crate::store::TeamStore;
    let (dir, mut s) = store();
    let path = dir.path().join("nested/dir/s.db");
    let token = |name: &str, hash: &str| NewToken {
        info: TokenInfo {
            name: name.into(),
            role: Role::Agent,
            created_at: 1,
            expires_at: None,
            revoked_at: None,
        },
        hash: hash.into(),
    };
    s.create_token(&token("alice", "aa")).unwrap();
    drop(s);
    // Version 5 made no tokens table: `token create` did, as it still does here.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DELETE FROM schema_migrations WHERE version = 6;")
        .unwrap();
    drop(conn);
    let other = dir.path().join("v5-without-tokens.db");
    drop(SqliteStore::open(&other).unwrap());
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch("DROP TABLE tokens; DELETE FROM schema_migrations WHERE version = 6;")
        .unwrap();
    drop(conn);

    let mut s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.token_by_hash("aa").unwrap().unwrap().name, "alice");
    s.create_token(&token("bob", "bb")).unwrap();
    assert_eq!(s.tokens().unwrap().len(), 2);
    let mut o = SqliteStore::open(&other).unwrap();
    assert!(o.tokens().unwrap().is_empty());
    o.create_token(&token("carol", "cc")).unwrap();
    for p in [&path, &other] {
        let v: i64 = rusqlite::Connection::open(p)
            .unwrap()
            .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(v, crate::store::schema::LATEST);
    }
}

#[test]
fn upgrading_a_version_3_store_builds_the_tree_over_its_events() {
    let (dir, mut s) = store();
    let path = dir.path().join("nested/dir/s.db");
    for (i, t) in ["T-1", "T-2", "T-1", "T-3", "T-2"].iter().enumerate() {
        s.append(
            &ev(
                &format!("e{i}"),
                t,
                EventKind::Note,
                at(8, i as u32),
                json!({"text": "n"}),
            ),
            Expect::Any,
        )
        .unwrap();
    }
    let expected = s.tree_head().unwrap();
    drop(s);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(UNDO_VERSION_4).unwrap();
    drop(conn);
    let mut s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.tree_head().unwrap(), expected);
    let mut tree = crate::store::merkle::MemoryTree::new();
    s.for_each_event(None, &mut |e| {
        tree.push(crate::store::merkle::event_leaf(&e.hash).unwrap());
        Ok(())
    })
    .unwrap();
    assert_eq!(expected, (5, tree.root()));
    // And it keeps growing from there.
    s.append(&detected("e9", "T-4"), Expect::Any).unwrap();
    assert_eq!(s.tree_head().unwrap().0, 6);
}

#[test]
fn upgrading_a_version_1_store_adds_the_nudge_tables_and_refreshes_the_projection() {
    let (dir, mut s) = store();
    let path = dir.path().join("nested/dir/s.db");
    s.append(&detected("e1", "T-1"), Expect::Any).unwrap();
    s.append(
        &ev("e2", "T-1", EventKind::Acknowledged, at(8, 5), json!({})),
        Expect::Any,
    )
    .unwrap();
    drop(s);
    // Make it what slawatch 0.1 wrote: schema 1, facts as JSON without the newer field
    // (the upgrade rebuilds them in the binary encoding).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(UNDO_VERSION_4).unwrap();
    conn.execute_batch(
        "DROP TABLE nudges_sent; DROP TABLE nudge_snoozes;
         DROP INDEX tickets_resolved; ALTER TABLE tickets DROP COLUMN resolved_at;
         DELETE FROM schema_migrations WHERE version >= 2;
         UPDATE tickets SET facts = '{\"ticket\":\"T-1\",\"priority\":\"P1\"}';",
    )
    .unwrap();
    drop(conn);
    let s = SqliteStore::open(&path).unwrap();
    assert!(s.verify().unwrap().problems.is_empty());
    let row = &s.open_tickets().unwrap().tickets[0];
    assert_eq!(
        row.facts.as_ref().unwrap().last_acknowledged_at,
        Some(at(8, 5).timestamp_micros())
    );
    assert!(s.nudges_sent("alice", 0, 10).unwrap().is_empty());
}

#[test]
fn upgrading_a_version_2_store_fills_in_when_tickets_were_resolved() {
    let (dir, mut s) = store();
    let path = dir.path().join("nested/dir/s.db");
    s.append(&detected("e1", "T-1"), Expect::Any).unwrap();
    s.append(&detected("e2", "T-2"), Expect::Any).unwrap();
    s.append(
        &ev(
            "e3",
            "T-1",
            EventKind::Resolved,
            at(9, 30),
            json!({"root_cause": "x"}),
        ),
        Expect::Any,
    )
    .unwrap();
    drop(s);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(UNDO_VERSION_4).unwrap();
    conn.execute_batch(
        "DROP INDEX tickets_resolved; ALTER TABLE tickets DROP COLUMN resolved_at;
         DELETE FROM schema_migrations WHERE version = 3;",
    )
    .unwrap();
    drop(conn);
    let s = SqliteStore::open(&path).unwrap();
    assert!(s.verify().unwrap().problems.is_empty());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let got: Vec<(String, Option<i64>)> = conn
        .prepare("SELECT ticket, resolved_at FROM tickets ORDER BY ticket")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        got,
        [
            ("T-1".to_owned(), Some(at(9, 30).timestamp_micros())),
            ("T-2".to_owned(), None)
        ]
    );
}

/// A store of one ticket after `sql` ran on it behind slawatch's back, and what verify
/// finds (exactly one problem).
fn one_problem_after(sql: &str) -> (tempfile::TempDir, SqliteStore, String) {
    let (dir, mut s) = store();
    s.append(&detected("e1", "T-1"), Expect::Any).unwrap();
    s.conn.execute(sql, []).unwrap();
    let mut problems = s.verify().unwrap().problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    let what = problems.remove(0).what;
    (dir, s, what)
}

#[test]
fn verify_finds_a_wrong_resolution_time_in_the_projection() {
    let (.., what) = one_problem_after("UPDATE tickets SET resolved_at = 5");
    assert!(
        what.contains("resolved_at Some(5) should be None"),
        "{what}"
    );
}

#[test]
fn tickets_since_skip_what_was_resolved_before() {
    let (_dir, mut s) = store();
    for t in ["A", "B", "C"] {
        s.append(&detected(&format!("{t}1"), t), Expect::Any)
            .unwrap();
    }
    let resolved = |id, t, h| {
        ev(
            id,
            t,
            EventKind::Resolved,
            at(h, 0),
            json!({"root_cause": "x"}),
        )
    };
    s.append(&resolved("A2", "A", 9), Expect::Any).unwrap();
    s.append(&resolved("B2", "B", 11), Expect::Any).unwrap();
    let since = |h: u32| {
        let mut got = Vec::new();
        s.tickets_since_chunked(at(h, 0).timestamp_micros(), 2, &mut |c| {
            got.extend(c.into_iter().map(|(t, _)| t))
        })
        .unwrap();
        got.sort();
        got
    };
    assert_eq!(since(7), ["A", "B", "C"]);
    assert_eq!(since(10), ["B", "C"]);
    assert_eq!(since(11), ["B", "C"]);
    assert_eq!(since(12), ["C"]);
}

#[test]
fn facts_that_are_not_the_binary_encoding_are_reported_not_guessed() {
    let (_dir, mut s, what) =
        one_problem_after("UPDATE tickets SET facts = '{\"ticket\":\"T-1\"}'");
    assert!(
        what.contains("expected the facts' bytes, found a Text value"),
        "{what}"
    );
    let err = s.open_tickets().unwrap_err().to_string();
    assert!(err.contains("projection facts unreadable"), "{err}");
    // The chunked reader decodes on helper threads, and says the same.
    let chunked = |s: &SqliteStore| {
        let mut rows = 0;
        s.open_tickets_chunked(1, &mut |c| rows += c.len())
            .map(|_| rows)
            .map_err(|e| e.to_string())
    };
    let err = chunked(&s).unwrap_err();
    assert!(
        err.contains("projection facts unreadable: expected the facts' bytes, found a Text value"),
        "{err}"
    );
    s.conn
        .execute("UPDATE tickets SET facts = x'ff00ff'", [])
        .unwrap();
    assert!(s.open_tickets().is_err());
    let err = chunked(&s).unwrap_err();
    assert!(err.contains("projection facts unreadable"), "{err}");
    s.rebuild_projection().unwrap();
    assert!(s.verify().unwrap().problems.is_empty());
    assert_eq!(s.open_tickets().unwrap().tickets.len(), 1);
    assert_eq!(chunked(&s), Ok(1));
}

#[test]
fn current_facts_come_from_the_projection_in_the_order_asked() {
    let (_dir, mut s) = store();
    s.append(&detected("e1", "T-1"), Expect::Any).unwrap();
    s.append(&detected("e2", "T-2"), Expect::Any).unwrap();
    s.append(
        &ev("e3", "T-2", EventKind::Acknowledged, at(8, 7), json!({})),
        Expect::Any,
    )
    .unwrap();
    let got = crate::store::current_facts(&s, ["T-2", "NOPE", "T-1"].map(String::from)).unwrap();
    let keys: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(keys, ["T-2", "NOPE", "T-1"]);
    let t2 = got[0].1.as_ref().unwrap();
    assert_eq!(t2.first_response_at, Some(at(8, 7).timestamp_micros()));
    assert!(got[1].1.is_none());
    assert_eq!(&*got[2].1.as_ref().unwrap().ticket, "T-1");
    let row = &s.ticket_rows(&["T-1".into()]).unwrap()[0];
    assert_eq!(row.events, 1);
}

/// The tree of every event row, computed from the log alone.
fn log_root(s: &SqliteStore) -> (u64, crate::store::merkle::Hash) {
    let mut tree = crate::store::merkle::MemoryTree::new();
    s.for_each_event(None, &mut |e| {
        tree.push(crate::store::merkle::event_leaf(&e.hash).unwrap());
        Ok(())
    })
    .unwrap();
    (tree.size(), tree.root())
}

fn checkpoint_now(s: &mut SqliteStore) -> crate::store::checkpoint::Checkpoint {
    use crate::store::checkpoint::Checkpoint;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    s.write_checkpoint(&mut |sg| {
        Some(Checkpoint::sign(
            &sg.store,
            sg.size,
            sg.root,
            at(9, 0),
            &key,
        ))
    })
    .unwrap()
    .unwrap()
}

fn stored_edge(path: &Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("SELECT size, last_seq FROM merkle_frontier", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .unwrap()
}

#[test]
fn single_appends_leave_the_edge_behind_and_every_read_of_the_tree_catches_up() {
    let (dir, mut s) = store();
    let path = dir.path().join("nested/dir/s.db");
    s.append_all(&[detected("b0", "T-0")]).unwrap();
    for i in 1..=5 {
        s.append(&detected(&format!("e{i}"), &format!("T-{i}")), Expect::Any)
            .unwrap();
    }
    assert_eq!(
        stored_edge(&path),
        (1, 1),
        "single appends do not touch the edge row"
    );
    assert_eq!(s.tree_head().unwrap(), log_root(&s));
    let report = s.verify_tree(&[]).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(
        report
            .caveats
            .iter()
            .any(|c| c
                .starts_with("5 event(s) at the end of the log are not in the stored tree yet")),
        "{:?}",
        report.caveats
    );
    // A checkpoint brings the stored edge up to date, and covers every event.
    let cp = checkpoint_now(&mut s);
    assert_eq!((cp.size, cp.root), log_root(&s));
    assert_eq!(stored_edge(&path), (6, 6));
    // And after EXTEND_EVERY single appends, an append does it too.
    for i in 0..crate::store::merkle_sqlite::EXTEND_EVERY {
        s.append(&detected(&format!("f{i}"), "T-F"), Expect::Any)
            .unwrap();
    }
    let (edge, log) = (stored_edge(&path).0 as u64, log_root(&s).0);
    assert!(
        edge > 6 && log - edge < crate::store::merkle_sqlite::EXTEND_EVERY,
        "edge {edge}, log {log}"
    );
    assert!(s.verify_tree(&[]).unwrap().problems.is_empty());
}

#[test]
fn an_edited_edge_row_is_caught_though_it_lags() {
    let (dir, mut s) = store();
    let path = dir.path().join("nested/dir/s.db");
    s.append_all(&[detected("b0", "T-0"), detected("b1", "T-1")])
        .unwrap();
    s.append(&detected("e2", "T-2"), Expect::Any).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE merkle_frontier SET peaks = zeroblob(32) WHERE size = 2",
        [],
    )
    .unwrap();
    conn.execute("UPDATE merkle_frontier SET size = 1", [])
        .unwrap();
    let report = s.verify_tree(&[]).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("stored Merkle tree")),
        "{:?}",
        report.problems
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

    /// Whatever mix of single appends and batches built the log, the tree read from the
    /// store is the tree of its events in append order, before and after a checkpoint.
    #[test]
    fn the_tree_is_the_logs_whatever_mix_of_appends_built_it(
        steps in proptest::collection::vec(0usize..4, 1..40)
    ) {
        let (_dir, mut s) = store();
        let mut n = 0;
        for step in steps {
            let mut next = || { n += 1; detected(&format!("e{n}"), &format!("T-{}", n % 7)) };
            if step == 0 {
                let batch: Vec<Event> = (0..3).map(|_| next()).collect();
                s.append_all(&batch).unwrap();
            } else {
                s.append(&next(), Expect::Any).unwrap();
            }
            proptest::prop_assert_eq!(s.tree_head().unwrap(), log_root(&s));
        }
        let cp = checkpoint_now(&mut s);
        proptest::prop_assert_eq!((cp.size, cp.root), log_root(&s));
        let report = s.verify_tree(&[]).unwrap();
        proptest::prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
}
