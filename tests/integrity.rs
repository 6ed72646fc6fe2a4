//! The log-wide Merkle tree against someone who holds the store file: every attack on
//! the history (rewrite and re-chain, tail deletion, whole-ticket deletion, reordering,
//! triggers dropped and re-created) is caught by `verify --checkpoint` with a checkpoint
//! taken before it, honest appends still verify, and evidence packages verify offline
//! against a checkpoint.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::{params, Connection};
use slawatch::model::chain_hash;
use slawatch::store::{SqliteStore, Store};

struct Setup {
    dir: tempfile::TempDir,
    db: PathBuf,
    /// A checkpoint taken of the untouched store, kept outside it.
    cp: PathBuf,
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slawatch"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
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

fn fails(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(!o.status.success(), "{args:?} passed:\n{}", text(&o));
    text(&o)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let cp = dir.path().join("cp");
    ok(dir.path(), &["demo", "--db", s(&db), "--seed", "7"]);
    ok(dir.path(), &["checkpoint", "--db", s(&db), "--out", s(&cp)]);
    Setup { dir, db, cp }
}

impl Setup {
    fn verify(&self, extra: &[&str]) -> Output {
        let mut args = vec!["verify", "--db", s(&self.db)];
        args.extend_from_slice(extra);
        run(self.dir.path(), &args)
    }

    fn with_cp(&self) -> Output {
        self.verify(&["--checkpoint", s(&self.cp)])
    }

    /// A ticket with more than three events.
    fn busy_ticket(&self) -> String {
        Connection::open(&self.db)
            .unwrap()
            .query_row(
                "SELECT ticket FROM events GROUP BY ticket HAVING count(*) > 3 ORDER BY ticket LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// Runs `attack` with every trigger dropped, re-creates them exactly as they were,
    /// and rebuilds the projection: what leaves no trace but the history itself.
    fn behind_the_triggers(&self, attack: impl FnOnce(&Connection)) {
        let conn = Connection::open(&self.db).unwrap();
        let triggers: Vec<(String, String)> = conn
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(triggers.len() >= 8, "{triggers:?}");
        for (name, _) in &triggers {
            conn.execute_batch(&format!("DROP TRIGGER {name}")).unwrap();
        }
        attack(&conn);
        for (_, sql) in &triggers {
            conn.execute_batch(sql).unwrap();
        }
        drop(conn);
        // Rebuilds, then verifies (and may fail: what is caught is asserted after).
        run(
            self.dir.path(),
            &["verify", "--db", s(&self.db), "--rebuild-projection"],
        );
    }

    /// Also rebuilds the stored tree from the altered log and removes the store's own
    /// checkpoints: the most an attacker without the signing key can do.
    fn rebuild_tree_and_forget_checkpoints(&self) {
        let conn = Connection::open(&self.db).unwrap();
        let id: String = conn
            .query_row("SELECT id FROM store_identity", [], |r| r.get(0))
            .unwrap();
        conn.execute_batch(
            "DROP TABLE merkle_frontier; DROP TABLE checkpoints;
             DROP TABLE store_identity; DELETE FROM schema_migrations WHERE version >= 4;",
        )
        .unwrap();
        drop(conn);
        drop(SqliteStore::open(&self.db).unwrap()); // the upgrade rebuilds the tree
        let conn = Connection::open(&self.db).unwrap();
        conn.execute_batch("DROP TRIGGER store_identity_is_fixed_update")
            .unwrap();
        conn.execute("UPDATE store_identity SET id = ?1", [&id])
            .unwrap();
        conn.execute_batch(
            "CREATE TRIGGER store_identity_is_fixed_update BEFORE UPDATE ON store_identity
        BEGIN SELECT RAISE(ABORT, 'the store identity is fixed'); END;",
        )
        .unwrap();
    }
}

fn caught(setup: &Setup, expected: &str) {
    let out = setup.with_cp();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(expected), "{}", text(&out));
}

#[test]
fn an_untouched_store_and_honest_appends_verify_against_an_earlier_checkpoint() {
    let st = setup();
    let out = ok(
        st.dir.path(),
        &["verify", "--db", s(&st.db), "--checkpoint", s(&st.cp)],
    );
    assert!(out.contains("is consistent with the log"), "{out}");
    assert!(!out.contains("no checkpoint from outside"), "{out}");
    let alone = ok(st.dir.path(), &["verify", "--db", s(&st.db)]);
    assert!(
        alone.contains("cannot exclude: no checkpoint from outside the store was given"),
        "{alone}"
    );

    let ticket = st.busy_ticket();
    let note = st.dir.path().join("n.jsonl");
    std::fs::write(
        &note,
        format!(
            r#"{{"id":"0190c000-0000-7000-8000-000000000001","ticket":"{ticket}","kind":"note","at":"2026-12-01T12:00:00Z","actor":"bars","payload":{{"text":"later"}}}}"#
        ) + "\n",
    )
    .unwrap();
    ok(st.dir.path(), &["import", "--db", s(&st.db), s(&note)]);
    let out = ok(
        st.dir.path(),
        &["verify", "--db", s(&st.db), "--checkpoint", s(&st.cp)],
    );
    assert!(
        out.contains("1 event(s) appended after the newest outside checkpoint"),
        "{out}"
    );
    assert!(out.contains("(a proof of "), "{out}");
}

#[test]
fn a_rewritten_and_re_chained_event_is_caught() {
    let st = setup();
    let ticket = st.busy_ticket();
    let history = SqliteStore::open_read_only(&st.db)
        .unwrap()
        .history(&ticket)
        .unwrap();
    st.behind_the_triggers(|conn| {
        // Rewrite the second event, then re-chain every later one of the ticket.
        let mut prev = history[0].hash.clone();
        for (i, stored) in history.iter().enumerate().skip(1) {
            let mut e = stored.event.clone();
            if i == 1 {
                e.actor = "someone-else".into();
            }
            let hash = chain_hash(&prev, &e);
            conn.execute(
                "UPDATE events SET actor = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
                params![e.actor, prev, hash, stored.seq],
            )
            .unwrap();
            prev = hash;
        }
    });
    // The per-ticket chains verify: only the tree shows it.
    let out = text(&st.verify(&[]));
    assert!(out.contains("every chain verifies"), "{out}");
    assert!(out.contains("stored Merkle tree"), "{out}");
    caught(&st, "history was rewritten, reordered or deleted");

    // Even with the tree rebuilt and the store's checkpoints gone, the outside one
    // catches it; without it, verify passes and says what it cannot exclude.
    st.rebuild_tree_and_forget_checkpoints();
    let alone = st.verify(&[]);
    assert!(alone.status.success(), "{}", text(&alone));
    assert!(text(&alone).contains("cannot exclude: no checkpoint from outside"));
    caught(&st, "history was rewritten, reordered or deleted");
}

#[test]
fn a_deleted_tail_event_is_caught() {
    let st = setup();
    let ticket = st.busy_ticket();
    st.behind_the_triggers(|conn| {
        conn.execute(
            "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events WHERE ticket = ?1)",
            [&ticket],
        )
        .unwrap();
    });
    caught(&st, "BROKEN");
    st.rebuild_tree_and_forget_checkpoints();
    caught(&st, "events were deleted");
}

#[test]
fn the_deleted_last_events_of_the_log_are_caught() {
    let st = setup();
    st.behind_the_triggers(|conn| {
        conn.execute(
            "DELETE FROM events WHERE seq > (SELECT max(seq) - 3 FROM events)",
            [],
        )
        .unwrap();
    });
    st.rebuild_tree_and_forget_checkpoints();
    caught(&st, "events were deleted");
}

#[test]
fn a_deleted_ticket_is_caught() {
    let st = setup();
    let ticket = st.busy_ticket();
    st.behind_the_triggers(|conn| {
        conn.execute("DELETE FROM events WHERE ticket = ?1", [&ticket])
            .unwrap();
        conn.execute("DELETE FROM tickets WHERE ticket = ?1", [&ticket])
            .unwrap();
    });
    caught(&st, "BROKEN");
    st.rebuild_tree_and_forget_checkpoints();
    caught(&st, "events were deleted");
}

#[test]
fn reordered_events_are_caught() {
    let st = setup();
    // Two neighbours in the log from different tickets: swapping them leaves every
    // ticket's own chain intact.
    let (a, b): (i64, i64) = Connection::open(&st.db)
        .unwrap()
        .query_row(
            "SELECT x.seq, y.seq FROM events x JOIN events y ON y.seq = x.seq + 1
             WHERE x.ticket <> y.ticket ORDER BY x.seq LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    st.behind_the_triggers(|conn| {
        conn.execute_batch(&format!(
            "UPDATE events SET seq = -1 WHERE seq = {a};
             UPDATE events SET seq = {a} WHERE seq = {b};
             UPDATE events SET seq = {b} WHERE seq = -1;"
        ))
        .unwrap();
    });
    let out = text(&st.verify(&[]));
    assert!(out.contains("every chain verifies"), "{out}");
    caught(&st, "BROKEN");
    st.rebuild_tree_and_forget_checkpoints();
    caught(&st, "history was rewritten, reordered or deleted");
}

#[test]
fn a_missing_or_altered_trigger_is_reported() {
    let st = setup();
    let conn = Connection::open(&st.db).unwrap();
    conn.execute_batch("DROP TRIGGER events_are_append_only_delete")
        .unwrap();
    drop(conn);
    let out = st.with_cp();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("append-only trigger events_are_append_only_delete is missing"),
        "{}",
        text(&out)
    );
    let conn = Connection::open(&st.db).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events BEGIN SELECT 1; END;",
    )
    .unwrap();
    drop(conn);
    let out = text(&st.with_cp());
    assert!(
        out.contains("append-only trigger events_are_append_only_delete was altered"),
        "{out}"
    );
}

#[test]
fn a_forged_or_unreadable_checkpoint_is_refused() {
    let st = setup();
    let cp = std::fs::read_to_string(&st.cp).unwrap();
    let forged = st.dir.path().join("forged");
    let size_line = cp.lines().nth(2).unwrap();
    std::fs::write(&forged, cp.replace(size_line, "size 3")).unwrap();
    let out = fails(
        st.dir.path(),
        &["verify", "--db", s(&st.db), "--checkpoint", s(&forged)],
    );
    assert!(out.contains("altered or forged"), "{out}");
    let bad = st.dir.path().join("bad");
    std::fs::write(&bad, cp.replace("root ", "root !")).unwrap();
    let out = fails(
        st.dir.path(),
        &["verify", "--db", s(&st.db), "--checkpoint", s(&bad)],
    );
    assert!(out.contains(&format!("{}:4: root", s(&bad))), "{out}");
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let st = setup();
    let key = st.dir.path().join("config/slawatch/checkpoint.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "created readable by its owner only");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = fails(st.dir.path(), &["checkpoint", "--db", s(&st.db)]);
    assert!(
        out.contains("has mode 0640") && out.contains("chmod 600"),
        "{out}"
    );
}

/// The package of the busy ticket, written after the setup's checkpoint.
fn package(st: &Setup) -> PathBuf {
    let pkg = st.dir.path().join("pkg");
    let ticket = st.busy_ticket();
    ok(
        st.dir.path(),
        &["evidence", &ticket, "--db", s(&st.db), "--out", s(&pkg)],
    );
    pkg
}

#[test]
fn an_evidence_package_verifies_offline_against_earlier_and_later_checkpoints() {
    let st = setup();
    let pkg = package(&st);
    let elsewhere = tempfile::tempdir().unwrap();
    let out = ok(
        elsewhere.path(),
        &["verify", "--evidence", s(&pkg), "--checkpoint", s(&st.cp)],
    );
    assert!(out.contains("events are in the store's log"), "{out}");
    assert!(
        out.contains(&format!("consistent with {}", s(&st.cp))),
        "{out}"
    );

    // A checkpoint after more events: the proof comes from the (untrusted) store.
    let note = st.dir.path().join("n.jsonl");
    std::fs::write(
        &note,
        format!(
            r#"{{"id":"later-1","ticket":"{}","kind":"note","at":"2026-12-01T12:00:00Z","actor":"bars","payload":{{"text":"later"}}}}"#,
            st.busy_ticket()
        ) + "\n",
    )
    .unwrap();
    ok(st.dir.path(), &["import", "--db", s(&st.db), s(&note)]);
    let later = st.dir.path().join("later");
    ok(
        st.dir.path(),
        &["checkpoint", "--db", s(&st.db), "--out", s(&later)],
    );
    let out = fails(
        elsewhere.path(),
        &["verify", "--evidence", s(&pkg), "--checkpoint", s(&later)],
    );
    assert!(out.contains("add --db STORE"), "{out}");
    let out = ok(
        elsewhere.path(),
        &[
            "verify",
            "--evidence",
            s(&pkg),
            "--checkpoint",
            s(&later),
            "--db",
            s(&st.db),
        ],
    );
    assert!(out.contains("by a consistency proof from"), "{out}");
}

#[test]
fn an_event_changed_in_the_package_fails_its_inclusion_proof() {
    let st = setup();
    let pkg = package(&st);
    let path = pkg.join("evidence.json");
    let mut ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // Change the ticket's last event and re-chain it, so that its chain still verifies.
    let id = ev["ticket"].as_str().unwrap().to_owned();
    let last = ev["events"].as_array_mut().unwrap().last_mut().unwrap();
    let mut e: slawatch::model::Event = serde_json::from_value(last["event"].clone()).unwrap();
    e.actor = "someone-else".into();
    let prev = last["prev_hash"].as_str().unwrap().to_owned();
    last["hash"] = chain_hash(&prev, &e).into();
    last["event"] = serde_json::to_value(&e).unwrap();
    let head = last["hash"].clone();
    ev["chain"]["head"] = head;
    std::fs::write(&path, serde_json::to_string_pretty(&ev).unwrap()).unwrap();
    let out = fails(
        st.dir.path(),
        &["verify", "--evidence", s(&pkg), "--checkpoint", s(&st.cp)],
    );
    assert!(out.contains(&format!("(ticket {id}) is not leaf")), "{out}");
}

#[test]
fn a_package_written_before_format_versions_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/evidence-v1");
    let out = ok(dir.path(), &["verify", "--evidence", s(&fixture)]);
    assert!(out.contains("no inclusion proofs (format 1)"), "{out}");
    assert!(out.contains("ok: evidence package of NORD-2435"), "{out}");
    // It has no checkpoint to be checked against, and says so.
    let st = setup();
    let out = fails(
        dir.path(),
        &[
            "verify",
            "--evidence",
            s(&fixture),
            "--checkpoint",
            s(&st.cp),
        ],
    );
    assert!(out.contains("carries no checkpoint"), "{out}");
}
