//! `slawatch watch` without a desktop: whose nudges, the console's configuration,
//! following the store as events arrive and when the file is replaced or deleted,
//! untrusted text printed sanitised, and clear refusals.

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

#[test]
fn ticket_text_is_printed_sanitised_and_escaped_in_json() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("s.db");
    let mut e = detected("T-\u{1b}[2J1", 13);
    e.payload.insert(
        "title".into(),
        json!("\u{1b}]0;pwned\u{7}\u{1b}[2J<b>LOS</b>\u{9b}31m\u{202e}evil\u{2028}x"),
    );
    SqliteStore::open(&db).unwrap().append_all(&[e]).unwrap();
    let text = Command::new(env!("CARGO_BIN_EXE_slawatch"))
        .arg("--db")
        .arg(&db)
        .args(["watch", "--no-desktop", "--user", "alice", "--run-for", "1"])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("TZ", "UTC")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(text.stdout).unwrap(),
        String::from_utf8(text.stderr).unwrap(),
    );
    assert!(stdout.contains("P1 T-1 breaches"), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("acme-telecom · <b>LOS</b>evil x"),
        "{stdout}"
    );
    for s in [&stdout, &stderr] {
        assert!(
            !s.chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}' || c == '\u{2028}'),
            "{s:?}"
        );
    }

    let json = watch(home.path(), &db, &["--user", "bob", "--run-for", "1"], &[]);
    let raw = String::from_utf8(json.stdout.clone()).unwrap();
    assert!(!raw.chars().any(|c| c.is_control() && c != '\n'), "{raw:?}");
    assert!(
        !raw.contains('\u{202e}') && !raw.contains('\u{85}'),
        "{raw:?}"
    );
    assert!(
        raw.contains(r"\u202e") && raw.contains(r"\u001b]0;pwned"),
        "{raw}"
    );
    let n = &nudges(&json)[0];
    assert_eq!(
        n["ticket"], "T-\u{1b}[2J1",
        "the JSON keeps the text exactly"
    );
}

/// `watch` with its output in files, to be read while it runs.
struct Running {
    child: std::process::Child,
    out: std::path::PathBuf,
    err: std::path::PathBuf,
}

impl Running {
    fn start(home: &Path, db: &Path) -> Running {
        let (out, err) = (home.join("watch.out"), home.join("watch.err"));
        let child = Command::new(env!("CARGO_BIN_EXE_slawatch"))
            .arg("--db")
            .arg(db)
            .args(["watch", "--no-desktop", "--json", "--user", "alice"])
            .args(["--poll", "0.1", "--run-for", "120"])
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("TZ", "UTC")
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        Running { child, out, err }
    }

    /// Waits (at most a minute) until standard error holds `text` and a nudge about
    /// `ticket` was printed.
    fn wait_for(&mut self, text: &str, ticket: Option<&str>) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let err = std::fs::read_to_string(&self.err).unwrap();
            let out = std::fs::read_to_string(&self.out).unwrap();
            let nudged = ticket.is_none_or(|t| {
                out.lines()
                    .any(|l| serde_json::from_str::<Value>(l).unwrap()["ticket"] == t)
            });
            if err.contains(text) && nudged {
                return;
            }
            if std::time::Instant::now() > deadline || self.child.try_wait().unwrap().is_some() {
                let _ = self.child.kill();
                panic!("waited for {text:?} and {ticket:?}:\nstderr:\n{err}\nstdout:\n{out}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_replaced_or_deleted_store_is_noticed_and_the_new_one_followed() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("s.db");
    let store_with = |path: &Path, ticket: &str| {
        SqliteStore::open(path)
            .unwrap()
            .append_all(&[detected(ticket, 61)])
            .unwrap();
    };
    store_with(&db, "T-1");
    let mut w = Running::start(home.path(), &db);
    w.wait_for("following 1 open tickets", Some("T-1"));

    // A restored backup moved into place.
    let other = home.path().join("restored.db");
    store_with(&other, "T-2");
    std::fs::rename(&other, &db).unwrap();
    w.wait_for(
        "was replaced by another file: following the new one",
        Some("T-2"),
    );

    std::fs::remove_file(&db).unwrap();
    w.wait_for("was deleted: following no tickets", None);
    assert!(
        !db.exists(),
        "following a deleted store never makes a new one"
    );

    store_with(&db, "T-3");
    w.wait_for("is there again: following it", Some("T-3"));
    // The record of what was sent is kept in the store that is there now.
    drop(w);
    let out = watch(
        home.path(),
        &db,
        &["--user", "alice", "--run-for", "1"],
        &[],
    );
    assert!(
        nudges(&out).iter().all(|n| n["ticket"] != "T-3"),
        "T-3's nudge was recorded as sent in the new store: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}
