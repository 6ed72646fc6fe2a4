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
