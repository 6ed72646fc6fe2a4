use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use postgres::{Client, NoTls};

use super::scratch::ScratchDb;
use super::PgStore;
use crate::model::{chain_hash, Event, EventKind, GENESIS_HASH};
use crate::store::team::{BatchOutcome, FeedCursor, TicketState};
use crate::store::{SqliteStore, Store, StoreError, TeamStore};

fn ev(id: &str, ticket: &str, kind: EventKind, minute: u32) -> Event {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, minute, 0).unwrap();
    let mut payload = serde_json::Map::new();
    if kind == EventKind::Detected {
        payload.insert("priority".into(), "P2".into());
        payload.insert("customer".into(), "acme".into());
    }
    Event {
        id: id.into(),
        ticket: ticket.into(),
        kind,
        at,
        recorded_at: at,
        actor: "alice".into(),
        payload,
    }
}

/// Reads the feed from `cursor` until `n` events came: any transaction in flight on
/// the cluster (other tests' too) holds the feed back until it ends.
fn feed_n(store: &PgStore, mut cursor: FeedCursor, n: usize) -> (Vec<String>, FeedCursor) {
    let mut ids = Vec::new();
    for _ in 0..400 {
        let page = store.feed(&cursor, 100).unwrap();
        ids.extend(page.events.into_iter().map(|e| e.event.id));
        cursor = page.cursor;
        if ids.len() >= n {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    (ids, cursor)
}

fn detected(id: &str, ticket: &str) -> Event {
    ev(id, ticket, EventKind::Detected, 0)
}

#[test]
fn chains_hashes_and_projection_match_the_sqlite_store() {
    let Some(db) = ScratchDb::create("pg chains") else {
        return;
    };
    let mut pg = PgStore::connect(&db.url).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut lite = SqliteStore::open(&dir.path().join("s.db")).unwrap();
    let events = vec![
        detected("e1", "T-1"),
        ev("e2", "T-1", EventKind::Acknowledged, 5),
        detected("e3", "T-2"),
        ev("e4", "T-1", EventKind::Resolved, 30),
    ];
    assert_eq!(pg.append_all(&events).unwrap(), 4);
    lite.append_all(&events).unwrap();
    assert_eq!(pg.append_all(&events).unwrap(), 0, "idempotent by id");
    for t in ["T-1", "T-2"] {
        let a: Vec<_> = pg
            .history(t)
            .unwrap()
            .into_iter()
            .map(|s| (s.prev_hash, s.hash))
            .collect();
        let b: Vec<_> = lite
            .history(t)
            .unwrap()
            .into_iter()
            .map(|s| (s.prev_hash, s.hash))
            .collect();
        assert_eq!(a, b, "{t}: the same chain on both stores");
    }
    let rows = pg.ticket_rows(&["T-1".into(), "T-2".into()]).unwrap();
    let want = lite.ticket_rows(&["T-1".into(), "T-2".into()]).unwrap();
    let strip = |r: &crate::store::TicketRow| {
        (
            r.ticket.clone(),
            r.head.clone(),
            r.events,
            r.open,
            r.facts.clone(),
        )
    };
    assert_eq!(
        rows.iter().map(strip).collect::<Vec<_>>(),
        want.iter().map(strip).collect::<Vec<_>>()
    );
    assert_eq!(pg.open_tickets().unwrap().tickets.len(), 1);
    let report = pg.verify().unwrap();
    assert!(
        report.is_ok() && report.events == 4 && report.tickets == 2,
        "{report:?}"
    );

    let mut changed = ev("e2", "T-1", EventKind::Acknowledged, 6);
    changed.actor = "bob".into();
    assert!(matches!(
        pg.append_all(&[changed]),
        Err(StoreError::IdConflict { .. })
    ));
    let head = pg.history("T-2").unwrap().last().unwrap().hash.clone();
    let stale = pg.append(
        &ev("e5", "T-2", EventKind::Acknowledged, 9),
        crate::store::Expect::Head(GENESIS_HASH),
    );
    assert!(matches!(stale, Err(StoreError::StaleHead { actual, .. }) if actual == head));
}

#[test]
fn ticket_rows_leave_room_for_their_next_version() {
    let Some(db) = ScratchDb::create("pg fillfactor") else {
        return;
    };
    let mut pg = PgStore::connect(&db.url).unwrap();
    pg.append_all(&[detected("e0", "T-1"), note("e1", "T-1", 1)])
        .unwrap();
    let mut raw = Client::connect(&db.url, NoTls).unwrap();
    let options: Vec<String> = raw
        .query_one(
            "SELECT reloptions FROM pg_class WHERE relname = 'tickets'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(options, ["fillfactor=70"]);
}

#[test]
fn the_log_refuses_updates_deletes_and_truncation() {
    let Some(db) = ScratchDb::create("pg append-only") else {
        return;
    };
    let mut pg = PgStore::connect(&db.url).unwrap();
    pg.append_all(&[detected("e1", "T-1")]).unwrap();
    let mut raw = Client::connect(&db.url, NoTls).unwrap();
    for sql in [
        "UPDATE events SET actor = 'mallory'",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let e = raw.batch_execute(sql).unwrap_err();
        assert!(
            e.as_db_error().unwrap().message().contains("append-only"),
            "{sql}: {e}"
        );
    }
    assert!(pg.verify().unwrap().is_ok());
    // A forged row written behind the triggers' back is found.
    raw.batch_execute("ALTER TABLE events DISABLE TRIGGER USER; UPDATE events SET actor = 'mallory'; ALTER TABLE events ENABLE TRIGGER USER")
        .unwrap();
    let report = pg.verify().unwrap();
    assert!(!report.is_ok(), "{report:?}");
}

#[test]
fn a_late_commit_is_never_skipped_and_chains_stay_in_order() {
    let Some(db) = ScratchDb::create("pg late commit") else {
        return;
    };
    let mut pg = PgStore::connect(&db.url).unwrap();
    let reader = PgStore::connect(&db.url).unwrap();
    // A transaction takes its sequence number first and commits last.
    let mut slow = Client::connect(&db.url, NoTls).unwrap();
    let mut tx = slow.transaction().unwrap();
    let late = detected("late", "T-LATE");
    let hash = chain_hash(GENESIS_HASH, &late);
    tx.execute(
        "INSERT INTO events (id, ticket, kind, at, recorded_at, actor, payload, prev_hash, hash)
         VALUES ('late', 'T-LATE', 'detected', $1, $1, 'alice', '{\"customer\":\"acme\",\"priority\":\"P2\"}', $2, $3)",
        &[&late.at.timestamp_micros(), &GENESIS_HASH, &hash],
    )
    .unwrap();
    pg.append_all(&[detected("early", "T-EARLY")]).unwrap();
    let mut cursor = FeedCursor::default();
    let page = reader.feed(&cursor, 100).unwrap();
    assert!(
        page.events.is_empty(),
        "nothing is given while an older transaction is in flight: {:?}",
        page.events
    );
    cursor = page.cursor;
    tx.commit().unwrap();
    pg.append_all(&[ev("early-2", "T-EARLY", EventKind::Acknowledged, 3)])
        .unwrap();
    let (ids, _) = feed_n(&reader, cursor, 3);
    assert_eq!(ids, ["late", "early", "early-2"]);
}

#[test]
fn a_snapshot_cursor_continues_with_exactly_what_it_did_not_show() {
    let Some(db) = ScratchDb::create("pg snapshot cursor") else {
        return;
    };
    let mut pg = PgStore::connect(&db.url).unwrap();
    pg.append_all(&[detected("a1", "T-A")]).unwrap();
    // Hold the horizon back, so the snapshot sees a commit above its xmin.
    let mut holder = Client::connect(&db.url, NoTls).unwrap();
    let mut held = holder.transaction().unwrap();
    held.query_one("SELECT pg_current_xact_id()", &[]).unwrap();
    pg.append_all(&[detected("b1", "T-B")]).unwrap();
    let snap = pg.snapshot(TicketState::All).unwrap();
    let names: Vec<_> = snap.tickets.iter().map(|t| t.ticket.as_str()).collect();
    assert_eq!(names, ["T-A", "T-B"]);
    pg.append_all(&[ev("b2", "T-B", EventKind::Acknowledged, 2)])
        .unwrap();
    held.commit().unwrap();
    let cursor = FeedCursor::decode(&snap.cursor.encode()).unwrap();
    let (ids, cursor) = feed_n(&pg, cursor, 1);
    assert_eq!(ids, ["b2"], "b1 was in the snapshot, b2 was not");
    let again = pg.feed(&cursor, 100).unwrap();
    assert!(again.events.is_empty(), "{:?}", again.events);
    pg.append_all(&[detected("c1", "T-C")]).unwrap();
    let (ids, _) = feed_n(&pg, again.cursor, 1);
    assert_eq!(ids, ["c1"]);
}

#[test]
fn batches_with_expected_heads_are_all_or_nothing() {
    let Some(db) = ScratchDb::create("pg batches") else {
        return;
    };
    let mut pg = PgStore::connect(&db.url).unwrap();
    pg.append_all(&[detected("e1", "T-1")]).unwrap();
    let expect = BTreeMap::from([("T-1".to_owned(), GENESIS_HASH.to_owned())]);
    let out = pg
        .append_batch(
            &[
                detected("x1", "T-9"),
                ev("x2", "T-1", EventKind::Acknowledged, 1),
            ],
            &expect,
        )
        .unwrap();
    let BatchOutcome::Conflict { ticket, after, .. } = out else {
        panic!("{out:?}")
    };
    assert_eq!((ticket.as_str(), after.len()), ("T-1", 1));
    assert!(
        pg.history("T-9").unwrap().is_empty(),
        "nothing of the batch was stored"
    );
    let head = pg.history("T-1").unwrap()[0].hash.clone();
    let expect = BTreeMap::from([("T-1".to_owned(), head)]);
    let batch = [
        detected("x1", "T-9"),
        ev("x2", "T-1", EventKind::Acknowledged, 1),
    ];
    assert!(
        matches!(pg.append_batch(&batch, &expect).unwrap(), BatchOutcome::Stored(v) if v.iter().all(|(_, n)| *n))
    );
    // A re-send of the same batch with the same (now stale) expectation is a no-op.
    assert!(
        matches!(pg.append_batch(&batch, &expect).unwrap(), BatchOutcome::Stored(v) if v.iter().all(|(_, n)| !*n))
    );
}

#[test]
fn tokens_and_nudge_claims() {
    use crate::store::tokens::{NewToken, Role, TokenInfo};
    let Some(db) = ScratchDb::create("pg tokens") else {
        return;
    };
    let mut pg = PgStore::connect(&db.url).unwrap();
    let info = TokenInfo {
        name: "alice".into(),
        role: Role::Agent,
        created_at: 1,
        expires_at: None,
        revoked_at: None,
    };
    pg.create_token(&NewToken {
        info: info.clone(),
        hash: "h1".into(),
    })
    .unwrap();
    assert!(matches!(
        pg.create_token(&NewToken {
            info: info.clone(),
            hash: "h2".into()
        }),
        Err(StoreError::TokenExists { .. })
    ));
    assert_eq!(pg.token_by_hash("h1").unwrap(), Some(info));
    assert!(pg.revoke_token("alice", 5).unwrap());
    assert_eq!(
        pg.token_by_hash("h1").unwrap().unwrap().refused_at(6),
        Some("token revoked")
    );
    assert!(!pg.revoke_token("alice", 7).unwrap());

    let n = crate::store::NudgeRecord {
        ticket: "T-1".into(),
        metric: crate::sla::Metric::parse("acknowledge").unwrap(),
        cycle_start: 0,
        target: 10,
        kind: "percent".into(),
        value: 75,
        threshold_at: 7,
        due: 10,
        fired_at: 7,
        late: false,
        loud: true,
        priority: "P1".into(),
        summary: "s".into(),
    };
    let mut other = PgStore::connect(&db.url).unwrap();
    assert_eq!(
        pg.claim_nudges("alice", std::slice::from_ref(&n)).unwrap(),
        [crate::store::Claim::Claimed]
    );
    assert_eq!(
        other
            .claim_nudges("alice", std::slice::from_ref(&n))
            .unwrap(),
        [crate::store::Claim::AlreadySent]
    );
    assert_eq!(pg.nudges_sent("alice", 0, 10).unwrap(), [n]);
}

fn note(id: &str, ticket: &str, minute: u32) -> Event {
    let mut e = ev(id, ticket, EventKind::Note, minute);
    e.payload
        .insert("text".into(), "called the customer".into());
    e
}

/// What an answer says, comparable across two databases (the seq aside).
fn said(a: &Result<BatchOutcome, StoreError>) -> String {
    match a {
        Ok(BatchOutcome::Stored(v)) => v
            .iter()
            .map(|(s, new)| format!("stored {} {} new={new}", s.event.id, s.hash))
            .collect::<Vec<_>>()
            .join("; "),
        Ok(BatchOutcome::Conflict {
            ticket,
            head,
            after,
            ..
        }) => format!(
            "conflict {ticket} head {head} after {:?}",
            after.iter().map(|s| &s.event.id).collect::<Vec<_>>()
        ),
        Err(e) => format!("error {e}"),
    }
}

#[test]
fn a_group_answers_each_append_as_it_would_be_answered_alone() {
    let (Some(one_db), Some(group_db)) = (
        ScratchDb::create("pg appends alone"),
        ScratchDb::create("pg appends grouped"),
    ) else {
        return;
    };
    let mut alone = PgStore::connect(&one_db.url).unwrap();
    let mut grouped = PgStore::connect(&group_db.url).unwrap();
    let before = [detected("old", "T-OLD"), detected("b1", "T-B")];
    for s in [&mut alone, &mut grouped] {
        s.append_all(&before).unwrap();
    }
    let mut changed = detected("old", "T-OLD");
    changed.payload.insert("customer".into(), "globex".into());
    let mut invalid = note("bad", "T-X", 1);
    invalid.ticket = String::new();
    let items = vec![
        (detected("a1", "T-A"), None),
        // Chains onto the one before it, in the same group.
        (ev("a2", "T-A", EventKind::Acknowledged, 2), None),
        // A re-send of a stored event, and of one of this group.
        (detected("b1", "T-B"), None),
        (detected("a1", "T-A"), None),
        // Expects a head T-B is not at.
        (note("b2", "T-B", 3), Some(GENESIS_HASH.to_owned())),
        // Expects the head T-A has once a1 and a2 are stored: stored after them.
        (
            note("a3", "T-A", 4),
            Some(chain_hash(
                &chain_hash(GENESIS_HASH, &detected("a1", "T-A").normalized()),
                &ev("a2", "T-A", EventKind::Acknowledged, 2).normalized(),
            )),
        ),
        // An id stored with other content, and an invalid event.
        (changed, None),
        (invalid, None),
        (ev("c1", "T-C", EventKind::Detected, 5), None),
    ];
    let one_by_one: Vec<String> = items
        .iter()
        .map(|(e, expected)| {
            let expect = crate::store::team::expect_of(e, expected.as_deref());
            said(&alone.append_batch(std::slice::from_ref(e), &expect))
        })
        .collect();
    let together: Vec<String> = grouped.append_each(&items).iter().map(said).collect();
    assert_eq!(together, one_by_one);
    assert!(together[4].starts_with("conflict T-B"), "{together:?}");
    assert!(together[5].starts_with("stored a3"), "{together:?}");
    assert!(
        together[6].starts_with("error event id \"old\""),
        "{together:?}"
    );
    // The same log, the same chains.
    for t in ["T-A", "T-B", "T-C", "T-OLD"] {
        let hashes = |s: &PgStore| -> Vec<String> {
            s.history(t).unwrap().into_iter().map(|e| e.hash).collect()
        };
        assert_eq!(hashes(&grouped), hashes(&alone), "{t}");
    }
    assert!(grouped.verify().unwrap().problems.is_empty());
}

#[test]
fn a_projection_damaged_by_hand_never_forks_a_chain_and_is_mended_by_the_next_append() {
    let Some(db) = ScratchDb::create("pg damaged projection") else {
        return;
    };
    let mut store = PgStore::connect(&db.url).unwrap();
    store
        .append_all(&[
            detected("p1", "T-P"),
            note("p2", "T-P", 1),
            detected("q1", "T-Q"),
        ])
        .unwrap();
    let first_of_p = store.history("T-P").unwrap()[0].hash.clone();
    // The group's function takes a ticket's head from its projection row: one behind
    // its log, and one gone.
    let mut sql = Client::connect(&db.url, NoTls).unwrap();
    sql.execute(
        "UPDATE tickets SET head = $1 WHERE ticket = 'T-P'",
        &[&first_of_p],
    )
    .unwrap();
    sql.execute("DELETE FROM tickets WHERE ticket = 'T-Q'", &[])
        .unwrap();
    let answers = store.append_each(&[
        (note("p3", "T-P", 2), None),
        (note("q2", "T-Q", 2), None),
        (note("p2", "T-P", 1), None),
    ]);
    let said: Vec<String> = answers.iter().map(said).collect();
    assert!(
        said[0].starts_with("stored p3") && said[0].ends_with("new=true"),
        "{said:?}"
    );
    assert!(
        said[1].starts_with("stored q2") && said[1].ends_with("new=true"),
        "{said:?}"
    );
    assert!(
        said[2].starts_with("stored p2") && said[2].ends_with("new=false"),
        "{said:?}"
    );
    for (t, ids) in [("T-P", vec!["p1", "p2", "p3"]), ("T-Q", vec!["q1", "q2"])] {
        let history = store.history(t).unwrap();
        let got: Vec<&str> = history.iter().map(|s| s.event.id.as_str()).collect();
        assert_eq!(got, ids, "{t}");
        for pair in history.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash, "{t}: one chain");
        }
        let row = sql
            .query_one("SELECT head, events FROM tickets WHERE ticket = $1", &[&t])
            .unwrap();
        assert_eq!(row.get::<_, String>(0), history.last().unwrap().hash, "{t}");
        assert_eq!(row.get::<_, i64>(1), ids.len() as i64, "{t}");
    }
    let report = store.verify().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// `serve`'s append connection, driven as the append worker drives it: what it leaves
/// (`None`) is appended alone, after the group.
struct Pipelined {
    rt: tokio::runtime::Runtime,
    conn: super::GroupAppender,
}

impl Pipelined {
    fn connect(url: &str) -> Pipelined {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let conn = rt.block_on(async {
            let feed = super::FeedNotifier::start(url);
            super::GroupAppender::connect(url, super::KnownHistories::default(), feed).await
        });
        Pipelined {
            rt,
            conn: conn.unwrap(),
        }
    }

    /// Each item's answer, and whether the group left it to go alone.
    fn append_each(
        &mut self,
        alone: &mut PgStore,
        items: &[(Event, Option<String>)],
    ) -> Vec<(String, bool)> {
        let answers = self.rt.block_on(self.conn.append_each(items));
        answers
            .into_iter()
            .zip(items)
            .map(|(a, (e, expected))| match a {
                Some(a) => (said(&a), false),
                None => {
                    let expect = crate::store::team::expect_of(e, expected.as_deref());
                    (
                        said(&alone.append_batch(std::slice::from_ref(e), &expect)),
                        true,
                    )
                }
            })
            .collect()
    }
}

#[test]
fn the_append_connection_answers_each_append_as_it_would_be_answered_alone() {
    let (Some(one_db), Some(db)) = (
        ScratchDb::create("pg appends alone (pipelined)"),
        ScratchDb::create("pg appends pipelined"),
    ) else {
        return;
    };
    let mut alone = PgStore::connect(&one_db.url).unwrap();
    // Another `serve` on the same database, and what the connection leaves goes through.
    let mut other = PgStore::connect(&db.url).unwrap();
    let before = [detected("old", "T-OLD"), detected("b1", "T-B")];
    alone.append_all(&before).unwrap();
    other.append_all(&before).unwrap();
    let mut pipelined = Pipelined::connect(&db.url);
    let mut changed = detected("old", "T-OLD");
    changed.payload.insert("customer".into(), "globex".into());
    let mut invalid = note("bad", "T-X", 1);
    invalid.ticket = String::new();
    let a2 = ev("a2", "T-A", EventKind::Acknowledged, 2);
    let head_a2 = chain_hash(
        &chain_hash(GENESIS_HASH, &detected("a1", "T-A").normalized()),
        &a2.clone().normalized(),
    );
    let rounds: Vec<Vec<(Event, Option<String>)>> = vec![
        vec![
            (detected("a1", "T-A"), None),
            (a2, None),
            (detected("b1", "T-B"), None),
            (detected("a1", "T-A"), None),
            (note("b2", "T-B", 3), Some(GENESIS_HASH.to_owned())),
            (note("a3", "T-A", 4), Some(head_a2.clone())),
            (changed, None),
            (invalid, None),
            (ev("c1", "T-C", EventKind::Detected, 5), None),
        ],
        // Known tickets now: a re-send, a head the ticket is past, and new events.
        vec![
            (note("a3", "T-A", 4), None),
            (note("a4", "T-A", 6), Some(head_a2)),
            (note("c2", "T-C", 6), None),
            (note("b3", "T-B", 7), None),
        ],
    ];
    for items in &rounds {
        let one_by_one: Vec<String> = items
            .iter()
            .map(|(e, expected)| {
                let expect = crate::store::team::expect_of(e, expected.as_deref());
                said(&alone.append_batch(std::slice::from_ref(e), &expect))
            })
            .collect();
        let together: Vec<String> = pipelined
            .append_each(&mut other, items)
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        assert_eq!(together, one_by_one);
    }
    // Another writer appends to tickets the connection knows, and opens one it does
    // not: what it kept is behind, its guess that `detected` opens T-D is wrong. Each
    // such append goes alone and is chained onto the ticket as it is.
    other.append_all(&[note("c3", "T-C", 8)]).unwrap();
    other.append_all(&[detected("d1", "T-D")]).unwrap();
    let late = vec![
        (note("c4", "T-C", 9), None),
        (detected("d2", "T-D"), None),
        (note("b4", "T-B", 9), None),
    ];
    let answers = pipelined.append_each(&mut other, &late);
    assert!(
        answers[0].0.starts_with("stored c4") && answers[0].1,
        "{answers:?}"
    );
    assert!(
        answers[1].0.starts_with("stored d2") && answers[1].1,
        "{answers:?}"
    );
    assert!(
        answers[2].0.starts_with("stored b4") && !answers[2].1,
        "{answers:?}"
    );
    let ids = |t: &str| -> Vec<String> {
        other
            .history(t)
            .unwrap()
            .into_iter()
            .map(|e| e.event.id)
            .collect()
    };
    assert_eq!(ids("T-C"), ["c1", "c2", "c3", "c4"]);
    assert_eq!(ids("T-D"), ["d1", "d2"]);
    let report = other.verify().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // The same chains as one append at a time gives, where both saw the same events.
    for t in ["T-A", "T-B", "T-OLD"] {
        let hashes = |s: &PgStore| -> Vec<String> {
            s.history(t).unwrap().into_iter().map(|e| e.hash).collect()
        };
        let lone = hashes(&alone);
        assert_eq!(hashes(&other)[..lone.len()], lone[..], "{t}");
    }
}

#[test]
fn appends_through_the_append_connection_wake_the_feeds_listeners() {
    let Some(db) = ScratchDb::create("pg pipelined notifies") else {
        return;
    };
    PgStore::connect(&db.url).unwrap();
    let mut listener = Client::connect(&db.url, NoTls).unwrap();
    listener
        .batch_execute(&format!("LISTEN {}", super::NOTIFY_CHANNEL))
        .unwrap();
    let mut other = PgStore::connect(&db.url).unwrap();
    let mut pipelined = Pipelined::connect(&db.url);
    let stored = pipelined.append_each(&mut other, &[(detected("n1", "T-N"), None)]);
    assert!(stored[0].0.starts_with("stored n1"), "{stored:?}");
    // The notifying task runs on the connection's runtime: keep it turning.
    let heard = pipelined.rt.block_on(async {
        tokio::task::spawn_blocking(move || {
            use postgres::fallible_iterator::FallibleIterator as _;
            let mut n = listener.notifications();
            let mut it = n.timeout_iter(std::time::Duration::from_secs(30));
            it.next().map(|n| n.map(|n| n.channel().to_owned()))
        })
        .await
        .unwrap()
    });
    assert_eq!(
        heard.unwrap().as_deref(),
        Some(super::NOTIFY_CHANNEL),
        "no notification came"
    );
}
