//! Reading commands on a store this user may not write: a read-only file in a read-only
//! directory, one whose recent writes wait in a WAL, and an empty file.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::{fails, may_skip, ok};

const EXAMPLES: [&str; 3] = [
    "assets/examples/tickets.csv",
    "assets/examples/events.csv",
    "assets/examples/events.jsonl",
];

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// slawatch as `nobody` when we are root (who ignores permissions), else as ourselves.
fn as_reader(db: &Path, args: &[&str]) -> Option<Output> {
    let bin = env!("CARGO_BIN_EXE_slawatch");
    let mut cmd = if is_root() {
        if Command::new("setpriv").arg("--help").output().is_err() {
            may_skip("read-only store test: running as root without setpriv");
            return None;
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
        c
    } else {
        Command::new(bin)
    };
    cmd.arg("--db")
        .arg(db)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    Some(cmd.output().expect("run slawatch"))
}

/// A directory `nobody` can enter, holding `ro/`, where the store goes.
fn dirs() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    set_mode(dir.path(), 0o755);
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    (dir, ro)
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn verify_export_and_report_read_a_store_in_a_read_only_directory() {
    let (_dir, ro) = dirs();
    let db = ro.join("s.db");
    let mut args = vec!["import"];
    args.extend(EXAMPLES);
    ok(&db, &args);
    for lock_file in ["s.db-wal", "s.db-shm"] {
        let _ = std::fs::remove_file(ro.join(lock_file));
    }
    set_mode(&db, 0o444);
    set_mode(&ro, 0o555);
    let Some(verify) = as_reader(&db, &["verify"]) else {
        return;
    };
    assert!(
        stdout(&verify).contains("14 tickets, 40 events; every chain verifies"),
        "{}",
        stdout(&verify)
    );
    let export = as_reader(&db, &["export"]).unwrap();
    assert_eq!(stdout(&export).lines().count(), 40);
    let report = as_reader(&db, &["report", "--month", "2026-03", "--format", "csv"]).unwrap();
    assert!(stdout(&report).lines().count() > 1, "{}", stdout(&report));
    let import = as_reader(&db, &["import", "assets/examples/events.jsonl"]).unwrap();
    assert!(!import.status.success());
    assert!(String::from_utf8_lossy(&import.stderr).contains("s.db is read-only"));
    let left: Vec<_> = std::fs::read_dir(&ro).unwrap().collect();
    assert_eq!(left.len(), 1, "readers leave nothing behind: {left:?}");
    set_mode(&ro, 0o755);
}

#[test]
fn an_evidence_package_of_a_read_only_store_verifies_offline_against_an_earlier_checkpoint() {
    let (dir, ro) = dirs();
    let db = ro.join("s.db");
    let mut args = vec!["import"];
    args.extend(EXAMPLES);
    ok(&db, &args);
    let first = ok(&db, &["export"]);
    let ticket = serde_json::from_str::<serde_json::Value>(first.lines().next().unwrap()).unwrap()
        ["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    // The reader's key and the checkpoint taken while the store could still be written.
    let key = dir.path().join("reader.key");
    let cp = dir.path().join("before.cp");
    let (key_s, cp_s) = (key.to_str().unwrap(), cp.to_str().unwrap());
    ok(&db, &["checkpoint", "--key", key_s, "--out", cp_s]);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    set_mode(&out, 0o777);
    if is_root() {
        std::os::unix::fs::chown(&key, Some(65534), Some(65534)).unwrap();
    }
    for lock_file in ["s.db-wal", "s.db-shm"] {
        let _ = std::fs::remove_file(ro.join(lock_file));
    }
    set_mode(&db, 0o444);
    set_mode(&ro, 0o555);
    let pkg = out.join("pkg");
    let pkg_s = pkg.to_str().unwrap();
    let Some(evidence) = as_reader(&db, &["evidence", &ticket, "--key", key_s, "--out", pkg_s])
    else {
        return;
    };
    let said = String::from_utf8_lossy(&evidence.stderr).into_owned();
    assert!(evidence.status.success(), "{said}");
    assert!(said.contains("is not kept in the store"), "{said}");
    let left: Vec<_> = std::fs::read_dir(&ro).unwrap().collect();
    assert_eq!(left.len(), 1, "the reader left something behind: {left:?}");
    set_mode(&ro, 0o755);

    let offline = Command::new(env!("CARGO_BIN_EXE_slawatch"))
        .args(["verify", "--evidence", pkg_s, "--checkpoint", cp_s])
        .env_remove("SLAWATCH_DB")
        .output()
        .unwrap();
    let text = stdout(&offline);
    assert!(text.contains("events are in the store's log"), "{text}");
    assert!(text.contains(&format!("consistent with {cp_s}")), "{text}");
}

#[test]
fn writes_waiting_in_a_wal_the_reader_cannot_index_are_named_not_skipped() {
    let (dir, ro) = dirs();
    let src = dir.path().join("s.db");
    let mut args = vec!["import"];
    args.extend(EXAMPLES);
    ok(&src, &args);
    // A copy taken while a writer had a transaction in its WAL, without the index.
    let conn = rusqlite::Connection::open(&src).unwrap();
    conn.execute_batch(
        "PRAGMA wal_autocheckpoint = 0;
         INSERT INTO nudge_snoozes (user, ticket, until) VALUES ('alice', 'ACME-4802', 1);",
    )
    .unwrap();
    std::fs::copy(&src, ro.join("s.db")).unwrap();
    std::fs::copy(dir.path().join("s.db-wal"), ro.join("s.db-wal")).unwrap();
    drop(conn);
    let db = ro.join("s.db");
    set_mode(&db, 0o444);
    set_mode(&ro.join("s.db-wal"), 0o444);
    set_mode(&ro, 0o555);
    let Some(out) = as_reader(&db, &["export"]) else {
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "must not read a part of the log");
    assert!(
        err.contains("cannot read store") && err.contains("recent writes are still in"),
        "{err}"
    );
    assert!(err.contains("verify --rebuild-projection"), "{err}");
    set_mode(&ro, 0o755);
}

#[test]
fn an_empty_file_is_named_as_empty_not_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    std::fs::write(&db, b"").unwrap();
    for args in [
        &["verify"][..],
        &["export"],
        &["report", "--month", "2026-03"],
    ] {
        let (_, err) = fails(&db, args);
        assert!(
            err.contains("empty.db is not a slawatch store (the file is empty (0 bytes)"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("read-only"), "{err}");
    }
    // Writing commands make a store in it, as in a new file.
    ok(&db, &["import", "assets/examples/tickets.csv"]);
    assert_eq!(ok(&db, &["export"]).lines().count(), 12);
}

#[test]
fn a_file_its_owner_may_still_write_is_not_read_without_locks() {
    let (_dir, ro) = dirs();
    let db = ro.join("s.db");
    ok(&db, &["import", "assets/examples/tickets.csv"]);
    set_mode(&db, 0o644);
    set_mode(&ro, 0o555);
    let Some(out) = as_reader(&db, &["export"]) else {
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("safe only for a file nobody can write"),
        "{err}"
    );
    assert!(err.contains("chmod a-w"), "{err}");
    set_mode(&ro, 0o755);
}
