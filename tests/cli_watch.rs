//! `slawatch watch` without a desktop: whose nudges, the console's configuration,
//! following the store as events arrive, and clear refusals.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};
use slawatch::model::{Event, EventKind, Payload};
use slawatch::store::{SqliteStore, Store};

fn watch(home: &Path, db: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slawatch"));
    cmd.arg("--db")
        .arg(db)
        .args(["watch", "--no-desktop", "--json"])
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("TZ", "UTC")
        .env_remove("SLAWATCH_AGENT")
        .env_remove("SLAWATCH_DB");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null())
        .output()
        .expect("run slawatch watch")
}

fn detected(ticket: &str, minutes_ago: i64) -> Event {
    let at = Utc::now() - TimeDelta::minutes(minutes_ago);
    let payload: Payload = serde_json::from_value(
        json!({"priority": "P1", "customer": "acme-telecom", "title": "LOS on LDN-FRA-7"}),
    )
    .unwrap();
    Event::new(ticket, EventKind::Detected, at, at, "alice", payload)
}

fn nudges(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_user_comes_from_flag_env_or_the_console_agent() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("s.db");
    SqliteStore::open(&db).unwrap();
    std::fs::create_dir_all(home.path().join("config/slawatch")).unwrap();
    std::fs::write(
        home.path().join("config/slawatch/config.toml"),
        "agent = \"carol\"\n",
    )
    .unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let out = watch(
            home.path(),
            &db,
            &[&["--run-for", "0.3"], args].concat(),
            env,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    };
    assert!(run(&[], &[]).starts_with("slawatch watch: nudging carol about"));
    assert!(run(&[], &[("SLAWATCH_AGENT", "dave")]).starts_with("slawatch watch: nudging dave"));
    assert!(run(&["--user", "erin"], &[("SLAWATCH_AGENT", "dave")])
        .starts_with("slawatch watch: nudging erin"));

    std::fs::write(
        home.path().join("config/slawatch/config.toml"),
        "agent = 3\n",
    )
    .unwrap();
    let out = watch(home.path(), &db, &["--run-for", "0.3"], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("watch cannot start, the configuration has errors")
            && err.contains("config.toml:1"),
        "{err}"
    );
}

#[test]
fn new_events_are_followed_while_watching() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("s.db");
    // Acknowledge within 15 min: 75% passed 2 min ago.
    SqliteStore::open(&db)
        .unwrap()
        .append_all(&[detected("T-1", 13)])
        .unwrap();
    let child = {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_slawatch"));
        cmd.arg("--db")
            .arg(&db)
            .args(["watch", "--no-desktop", "--json", "--user", "alice"])
            .args(["--poll", "0.2", "--run-for", "4"])
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("TZ", "UTC")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap()
    };
    std::thread::sleep(Duration::from_millis(1500));
    // A second ticket arrives while watching; its acknowledgement breached 1 h ago.
    SqliteStore::open(&db)
        .unwrap()
        .append_all(&[detected("T-2", 61)])
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<(String, String)> = nudges(&out)
        .iter()
        .filter(|n| n["metric"] == "acknowledge")
        .map(|n| {
            (
                n["ticket"].as_str().unwrap().to_owned(),
                n["summary"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "T-1".to_owned(),
                "P1 T-1 breaches acknowledgement in 2 min".to_owned()
            ),
            (
                "T-2".to_owned(),
                "P1 T-2 still breached: acknowledgement 46 min overdue".to_owned()
            ),
        ]
    );
    let first = &nudges(&out)[0];
    assert_eq!(first["kind"], "percent");
    assert_eq!(first["value"], 75);
    assert_eq!(first["late"], true);
    assert_eq!(first["loud"], true);
    assert_eq!(first["customer"], "acme-telecom");
}

#[test]
fn quiet_marks_muted_warnings_and_a_store_that_is_not_one_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("s.db");
    SqliteStore::open(&db)
        .unwrap()
        .append_all(&[detected("T-1", 13)])
        .unwrap();
    let out = watch(
        home.path(),
        &db,
        &["--user", "alice", "--run-for", "1", "--quiet", "critical"],
        &[],
    );
    let n = nudges(&out);
    assert_eq!(n.len(), 1, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(n[0]["loud"], false, "75% is a warning below critical");

    let text = home.path().join("notes.txt");
    std::fs::write(&text, "not a database\n".repeat(100)).unwrap();
    let out = watch(
        home.path(),
        &text,
        &["--user", "alice", "--run-for", "1"],
        &[],
    );
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("notes.txt is not a slawatch store"), "{err}");
}
