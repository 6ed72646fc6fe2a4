//! import, export and verify as a user runs them: round trips, all-or-nothing imports,
//! tamper detection, and one clear message for each kind of unusable store.

use std::path::Path;
use std::process::{Command, Output};

use slawatch::store::{SqliteStore, Store};

fn slawatch(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slawatch"))
        .arg("--db")
        .arg(db)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run slawatch")
}

fn ok(db: &Path, args: &[&str]) -> String {
    let out = slawatch(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(db: &Path, args: &[&str]) -> (String, String) {
    let out = slawatch(db, args);
    assert!(!out.status.success(), "{args:?} should fail");
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const EXAMPLES: [&str; 3] = [
    "assets/examples/tickets.csv",
    "assets/examples/events.csv",
    "assets/examples/events.jsonl",
];

fn import_examples(db: &Path) -> String {
    let mut args = vec!["import"];
    args.extend(EXAMPLES);
    ok(db, &args)
}

/// (ticket, event id, hash) of every stored event, in log order.
fn hashes(db: &Path) -> Vec<(String, String, String)> {
    let store = SqliteStore::open_read_only(db).unwrap();
    let mut out = Vec::new();
    store
        .for_each_event(None, &mut |e| {
            out.push((e.event.ticket, e.event.id, e.hash));
            Ok(())
        })
        .unwrap();
    out
}

/// Whether privileged test set-ups (mount namespaces, dropping to another user) may be
/// skipped here; CI sets SLAWATCH_REQUIRE_SERVICES=1 so that they never are.
fn may_skip(what: &str) -> bool {
    if std::env::var_os("SLAWATCH_REQUIRE_SERVICES").is_some() {
        panic!("{what} is required in CI (SLAWATCH_REQUIRE_SERVICES is set)");
    }
    eprintln!("\n*** SKIPPED: {what} ***\n");
    true
}

#[test]
fn importing_twice_changes_nothing_and_export_round_trips_the_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let first = import_examples(&db);
    assert!(
        first.starts_with("imported 40 new event(s) (0 already stored) for 14 ticket(s)"),
        "{first}"
    );
    let before = hashes(&db);
    let again = import_examples(&db);
    assert!(
        again.starts_with("imported 0 new event(s) (40 already stored)"),
        "{again}"
    );
    assert_eq!(hashes(&db), before);

    for format in ["jsonl", "csv"] {
        let file = dir.path().join(format!("export.{format}"));
        ok(
            &db,
            &[
                "export",
                "--format",
                format,
                "--out",
                file.to_str().unwrap(),
            ],
        );
        let copy = dir.path().join(format!("copy-{format}.db"));
        ok(&copy, &["import", file.to_str().unwrap()]);
        assert_eq!(hashes(&copy), before, "{format} export then import");
        assert!(ok(&copy, &["verify"]).starts_with("ok: 14 tickets, 40 events"));
    }

    let one = ok(&db, &["export", "--ticket", "ACME-4711"]);
    assert!(one.lines().count() > 3);
    assert!(
        one.lines().all(|l| l.contains(r#""ticket":"ACME-4711""#)),
        "{one}"
    );
    let (_, err) = fails(&db, &["export", "--ticket", "NOPE-1"]);
    assert!(err.contains("no events for ticket \"NOPE-1\""), "{err}");
}

#[test]
fn an_import_with_any_error_imports_nothing_and_locates_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,ticket,kind,at,actor,reason\n\
         e1,T-1,detected,2026-03-02T08:00:00Z,mon,\n\
         e2,T-1,paused,2026-03-02T09:00:00Z,alice,\n\
         e3,T-1,acknowledged,yesterday,alice,\n",
    )
    .unwrap();
    let mut args = vec!["import"];
    args.extend(EXAMPLES);
    args.push(bad.to_str().unwrap());
    let (_, err) = fails(&db, &args);
    assert!(err.contains("bad.csv:2: field `payload.priority`"), "{err}");
    assert!(err.contains("bad.csv:3: field `payload.reason`"), "{err}");
    assert!(err.contains("bad.csv:4: field `at`"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(
        !db.exists(),
        "a failed import must not even create the store"
    );

    // Conflicts with what is stored are found inside the transaction: all rolled back.
    import_examples(&db);
    let before = hashes(&db);
    let clash = dir.path().join("clash.jsonl");
    let stored = &before[0];
    std::fs::write(
        &clash,
        format!(
            "{{\"id\":\"new-1\",\"ticket\":\"NEW-1\",\"kind\":\"detected\",\"at\":\"2026-03-02T08:00:00Z\",\"payload\":{{\"priority\":\"P1\",\"customer\":\"acme-telecom\"}}}}\n\
             {{\"id\":\"{}\",\"ticket\":\"{}\",\"kind\":\"note\",\"at\":\"2026-03-02T08:00:00Z\",\"payload\":{{\"text\":\"rewritten\"}}}}\n",
            stored.1, stored.0
        ),
    )
    .unwrap();
    let (_, err) = fails(&db, &["import", clash.to_str().unwrap()]);
    assert!(
        err.contains("already stored with different content"),
        "{err}"
    );
    assert_eq!(hashes(&db), before);
}

#[test]
fn verify_catches_an_event_edited_with_raw_sql() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    import_examples(&db);
    assert!(ok(&db, &["verify"]).contains("every chain verifies"));
    let victim = hashes(&db)
        .into_iter()
        .find(|h| h.0 == "ACME-4711")
        .unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER events_are_append_only_update")
        .unwrap();
    conn.execute(
        "UPDATE events SET actor = 'mallory' WHERE id = ?1",
        [&victim.1],
    )
    .unwrap();
    drop(conn);
    let (out, err) = fails(&db, &["verify"]);
    assert!(
        out.contains(&format!("BROKEN ticket ACME-4711, event {}", victim.1)),
        "{out}"
    );
    assert!(out.contains("does not match its hash"), "{out}");
    assert!(
        out.contains("append-only trigger events_are_append_only_update is missing"),
        "{out}"
    );
    assert!(
        err.contains("2 problem(s) in 14 tickets, 40 events"),
        "{err}"
    );
}

#[test]
fn unusable_stores_get_one_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.db");
    std::fs::write(&text, "not a database\n".repeat(100)).unwrap();
    let (_, err) = fails(&text, &["verify"]);
    assert!(
        err.contains("notes.db is not a slawatch store (not an SQLite database)"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let newer = dir.path().join("newer.db");
    import_examples(&newer);
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations VALUES (8, 'future', '2031-01-01')",
            [],
        )
        .unwrap();
    let (_, err) = fails(&newer, &["import", EXAMPLES[0]]);
    assert!(
        err.contains("has schema version 8; this slawatch understands up to version 6"),
        "{err}"
    );

    let (_, err) = fails(&dir.path().join("missing.db"), &["export"]);
    assert!(
        err.contains("missing.db is not a slawatch store (no such file)"),
        "{err}"
    );
}

#[test]
fn a_read_only_store_file_is_refused_for_writes_and_still_exported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ro.db");
    import_examples(&db);
    ok(&db, &["verify"]); // leaves no WAL behind: the last connection checkpoints
    set_mode(dir.path(), 0o755);
    set_mode(&db, 0o444);
    if unprivileged("read-only store test").is_none() {
        return;
    }
    let as_user = |args: &[&str]| -> Output {
        let mut cmd = unprivileged("read-only store test").expect("checked above");
        cmd.arg("--db")
            .arg(&db)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        cmd.output().expect("run slawatch")
    };
    let out = as_user(&["import", "assets/examples/events.jsonl"]);
    let err = String::from_utf8_lossy(&out.stderr);
    // Everything in that file is already stored, but a read-only store cannot know
    // that without taking the write lock; the message must say what is wrong.
    assert!(!out.status.success());
    assert!(err.contains("ro.db is read-only"), "{err}");
    let out = as_user(&["export"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 40);
}

#[test]
fn a_store_an_older_slawatch_wrote_is_upgraded_or_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    import_examples(&db);
    // What slawatch wrote before schema 3: no resolution column, facts as JSON.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TABLE merkle_frontier; DROP TABLE checkpoints; DROP TABLE tokens;
         DROP TABLE store_identity; DELETE FROM schema_migrations WHERE version >= 4;
         DROP INDEX tickets_resolved; ALTER TABLE tickets DROP COLUMN resolved_at;
         DELETE FROM schema_migrations WHERE version = 3;
         UPDATE tickets SET facts = '{\"ticket\":\"old\"}' WHERE facts IS NOT NULL;",
    )
    .unwrap();
    drop(conn);
    if let Some(mut cmd) = unprivileged("old read-only store test") {
        set_mode(&db, 0o444);
        set_mode(dir.path(), 0o777);
        let out = cmd.arg("--db").arg(&db).arg("export").output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains(
                "has schema version 2 and needs upgrading to version 6, which needs write access"
            ),
            "{err}"
        );
        set_mode(&db, 0o644);
    }
    // Whoever may write it upgrades it on the way, even for a command that only reads.
    let exported = ok(&db, &["export"]);
    assert_eq!(exported.lines().count(), 40);
    assert!(ok(&db, &["verify"]).contains("the projection matches the log"));
}

/// `slawatch` run as `nobody` when we are root, who ignores file permissions; `None`,
/// after saying the test is skipped, when that cannot be done.
fn unprivileged(test: &str) -> Option<Command> {
    let bin = env!("CARGO_BIN_EXE_slawatch");
    if !unsafe_is_root() {
        return Some(Command::new(bin));
    }
    if Command::new("setpriv").arg("--help").output().is_err() {
        may_skip(&format!("{test}: running as root without setpriv"));
        return None;
    }
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
    Some(c)
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn unsafe_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn a_full_disk_keeps_what_was_stored_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let big = dir.path().join("big.jsonl");
    let note = "x".repeat(4000);
    let lines: String = (0..400)
        .map(|i| format!("{{\"id\":\"n{i}\",\"ticket\":\"ACME-4711\",\"kind\":\"note\",\"at\":\"2026-03-02T12:00:00Z\",\"payload\":{{\"text\":\"{note}\"}}}}\n"))
        .collect();
    std::fs::write(&big, lines).unwrap();
    let bin = env!("CARGO_BIN_EXE_slawatch");
    let db = mnt.join("s.db");
    // A private mount namespace with a 1 MB tmpfs: a real full disk, undone on exit.
    let script = format!(
        "set -u; mount -t tmpfs -o size=1m tmpfs {m} || exit 99
         {bin} --db {db} import {ex} >/dev/null || exit 98
         {bin} --db {db} import {big}; echo \"import-status=$?\"
         {bin} --db {db} verify
         {bin} --db {db} export | wc -l",
        m = mnt.display(),
        db = db.display(),
        ex = EXAMPLES.join(" "),
        big = big.display(),
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    let out = match out {
        Ok(o) if o.status.code() != Some(99) => o,
        _ => {
            may_skip("full-disk test: cannot mount a small tmpfs in a private mount namespace");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("disk full while writing to store"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(stdout.contains("import-status=1"), "{stdout}");
    assert!(
        stdout.contains("ok: 14 tickets, 40 events"),
        "{stdout}\n{stderr}"
    );
    assert_eq!(stdout.lines().last().map(str::trim), Some("40"), "{stdout}");
}

#[test]
fn demo_seeds_a_new_store_deterministically_and_never_mixes_into_one_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["demo", "--seed", "7", "--now", "2026-11-23T15:00:00Z"];
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let out = ok(&a, &args);
    assert!(out.starts_with("seeded "), "{out}");
    assert!(out.contains("for 230 tickets (seed 7)"), "{out}");
    ok(&b, &args);
    assert_eq!(
        hashes(&a),
        hashes(&b),
        "same seed and now: same events, same chains"
    );
    assert!(ok(&a, &["verify"]).starts_with("ok: 230 tickets"));
    let open = SqliteStore::open_read_only(&a)
        .unwrap()
        .open_tickets()
        .unwrap();
    assert_eq!(open.tickets.len(), 200);
    let (_, err) = fails(&a, &args);
    assert!(err.contains("already holds events"), "{err}");
    let (_, err) = fails(&dir.path().join("c.db"), &["demo", "--now", "teatime"]);
    assert!(err.contains("--now"), "{err}");
}
