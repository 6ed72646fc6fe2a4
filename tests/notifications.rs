//! Desktop notifications over a real D-Bus session bus: each test starts a private
//! bus with `dbus-run-session` (tests/support/bus.conf, its folders filled in to temp
//! dirs so no installed daemon is auto-started) and, where wanted, the fake
//! notification server tests/support/fake_notifyd.py, which logs every Notify call.
//!
//! Without `dbus-run-session` or Python's `dbus` module the tests are skipped with a
//! loud message; with SLAWATCH_REQUIRE_SERVICES=1 (CI) they fail instead.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};
use slawatch::model::{Event, EventKind, Payload};
use slawatch::store::{SqliteStore, Store};

const SUPPORT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support");

/// A Python with the `dbus` and `gi` modules, and dbus-run-session; `None` (after
/// saying why) when the machine lacks them and they are not required.
fn tools() -> Option<PathBuf> {
    let missing = |what: &str| -> Option<PathBuf> {
        if std::env::var("SLAWATCH_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("SLAWATCH_REQUIRE_SERVICES=1 but {what}");
        }
        // Straight to the process's stderr: the test harness captures `eprintln!`
        // of passing tests, and a skip must not pass unnoticed.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! SKIPPED: D-Bus notification tests need {what}; install dbus, python3-dbus \
             and python3-gi (Debian) to run them, or set SLAWATCH_REQUIRE_SERVICES=1 to \
             fail instead !!!\n"
        );
        None
    };
    let runs = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !runs("dbus-run-session", &["--version"]) {
        return missing("dbus-run-session, which is not installed");
    }
    ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|py| {
            runs(
                py,
                &["-c", "import dbus, dbus.service, dbus.mainloop.glib, gi"],
            )
        })
        .map(PathBuf::from)
        .or_else(|| missing("a python3 with the dbus and gi modules"))
}

struct Bus {
    dir: tempfile::TempDir,
    python: PathBuf,
}

struct Run {
    status: i32,
    stdout: String,
    /// Without dbus-daemon's own chatter.
    stderr: String,
    took: Duration,
}

impl Bus {
    fn new(python: PathBuf) -> Bus {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["services", "listen"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let conf = std::fs::read_to_string(Path::new(SUPPORT).join("bus.conf"))
            .unwrap()
            .replace("SERVICEDIR", dir.path().join("services").to_str().unwrap())
            .replace("LISTENDIR", dir.path().join("listen").to_str().unwrap());
        std::fs::write(dir.path().join("bus.conf"), conf).unwrap();
        Bus { dir, python }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `slawatch ARGS` in a fresh session bus, with the fake server if `server`
    /// is `Some(flags)`; kills it all after `limit`.
    fn run(&self, server: Option<&str>, args: &[&str], limit: Duration) -> Run {
        let start_server = match server {
            Some(flags) => format!(
                r#""$PY" "$FAKE" "$LOG" {flags} > "$DIR/server.out" 2>&1 & SRV=$!
                i=0
                until grep -qs ready "$DIR/server.out"; do
                  i=$((i+1)); if [ $i -gt 200 ]; then cat "$DIR/server.out" >&2; exit 99; fi
                  sleep 0.05
                done"#
            ),
            None => "SRV=".into(),
        };
        let script = format!(
            r#"{start_server}
            "$SLAWATCH" "$@"; rc=$?
            [ -n "$SRV" ] && kill $SRV
            exit $rc"#
        );
        let mut child = Command::new("dbus-run-session")
            .arg(format!("--config-file={}", self.path("bus.conf").display()))
            .args(["--", "sh", "-c", &script, "sh"])
            .args(args)
            .env("SLAWATCH", env!("CARGO_BIN_EXE_slawatch"))
            .env("PY", &self.python)
            .env("FAKE", Path::new(SUPPORT).join("fake_notifyd.py"))
            .env("LOG", self.path("notify.jsonl"))
            .env("DIR", self.dir.path())
            .env("TZ", "UTC")
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env_remove("SLAWATCH_AGENT")
            .env_remove("SLAWATCH_DB")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dbus-run-session");
        let started = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                panic!("slawatch {args:?} still running after {limit:?}: it hangs");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let took = started.elapsed();
        let mut stdout = String::new();
        let mut stderr = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let stderr = stderr
            .lines()
            .filter(|l| !l.starts_with("dbus-daemon["))
            .map(|l| format!("{l}\n"))
            .collect();
        Run {
            status: status.code().unwrap_or(-1),
            stdout,
            stderr,
            took,
        }
    }

    /// Every Notify call the fake server saw.
    fn notified(&self) -> Vec<Value> {
        std::fs::read_to_string(self.path("notify.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

#[test]
fn notify_test_arrives_with_summary_body_urgency_and_icon() {
    let Some(py) = tools() else { return };
    let bus = Bus::new(py);
    let run = bus.run(Some(""), &["notify-test"], Duration::from_secs(30));
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "notification accepted by fake-notifyd 0.1 (id 1)\n"
    );
    let calls = bus.notified();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let n = &calls[0];
    assert_eq!(n["app"], "slawatch");
    assert_eq!(n["summary"], "slawatch test notification");
    assert_eq!(
        n["body"],
        "SLA nudges will reach this desktop, like this one:\nP1 ACME-4711 breaches restore in 10 min"
    );
    assert_eq!(n["urgency"], 1);
    let icon = n["icon"].as_str().unwrap();
    assert!(icon.ends_with("slawatch/icons/slawatch.svg"), "{icon}");
    assert!(std::fs::read_to_string(icon).unwrap().contains("<svg"));
}

fn event(ticket: &str, kind: EventKind, at: DateTime<Utc>, payload: Value) -> Event {
    let payload: Payload = serde_json::from_value(payload).unwrap();
    Event::new(ticket, kind, at, at, "alice", payload)
}

/// Two P1 carrier tickets (24x7, acknowledge within 15 min): T-WARN detected 13 min
/// ago (its 75% mark passed, 2 min left), T-BREACH detected 18 min ago and escalated
/// (its acknowledgement breached 3 min ago).
fn seed(db: &Path) {
    let now = Utc::now();
    let ago = |m: i64| now - TimeDelta::minutes(m);
    let mut s = SqliteStore::open(db).unwrap();
    s.append_all(&[
        event(
            "T-WARN",
            EventKind::Detected,
            ago(13),
            json!({"priority": "P1", "customer": "acme-telecom", "title": "LOS on LDN-FRA-7"}),
        ),
        event(
            "T-BREACH",
            EventKind::Detected,
            ago(18),
            json!({"priority": "P1", "customer": "nordlink", "title": "BGP down on sto-core-1"}),
        ),
        event(
            "T-BREACH",
            EventKind::Escalated,
            ago(17),
            json!({"level": 2, "to": "noc-l2"}),
        ),
    ])
    .unwrap();
}

#[test]
fn watch_sends_nudges_once_with_critical_urgency_for_a_breach() {
    let Some(py) = tools() else { return };
    let bus = Bus::new(py);
    let db = bus.path("s.db");
    seed(&db);
    let db_arg = db.to_str().unwrap();
    let watch = [
        "--db",
        db_arg,
        "watch",
        "--user",
        "alice",
        "--run-for",
        "3",
        "--burst",
        "0",
    ];
    let run = bus.run(Some(""), &watch, Duration::from_secs(40));
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("desktop notifications: fake-notifyd 0.1 (with actions)"),
        "{}",
        run.stderr
    );
    let mut calls = bus.notified();
    calls.sort_by_key(|c| c["summary"].as_str().unwrap().to_owned());
    let got: Vec<(&str, &str, i64)> = calls
        .iter()
        .map(|c| {
            (
                c["summary"].as_str().unwrap(),
                c["body"].as_str().unwrap(),
                c["urgency"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), 2, "{calls:#?}\n{}", run.stdout);
    assert_eq!(got[0].0, "P1 T-BREACH breached acknowledgement 3 min ago");
    assert_eq!(got[0].2, 2, "critical urgency at breach");
    assert!(
        got[0].1.starts_with(
            "nordlink — BGP down on sto-core-1\nEscalation level 2 (noc-l2)\n\
             the 15 min acknowledgement budget ran out · was due "
        ),
        "{}",
        got[0].1
    );
    assert_eq!(got[1].0, "P1 T-WARN breaches acknowledgement in 2 min");
    assert_eq!(got[1].2, 1, "normal urgency for a warning");
    assert!(
        got[1].1.starts_with(
            "acme-telecom — LOS on LDN-FRA-7\nNot escalated\n\
             75% of the 15 min acknowledgement budget used · due "
        ),
        "{}",
        got[1].1
    );
    assert!(got[1].1.contains("\nSent late: the threshold passed at "));
    assert_eq!(
        calls[0]["actions"],
        json!([
            "default",
            "Open",
            "acknowledge",
            "Acknowledge",
            "open",
            "Open"
        ])
    );
    // The console-less log: one line per nudge.
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    assert!(run
        .stdout
        .contains("BREACH  P1 T-BREACH breached acknowledgement"));

    // A restart sends nothing again: what was sent is on record for alice...
    let again = bus.run(Some(""), &watch, Duration::from_secs(40));
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert_eq!(bus.notified().len(), 2, "{}", again.stdout);
    assert_eq!(again.stdout, "");
    // ...but not for bob.
    let bob = [
        "--db",
        db_arg,
        "watch",
        "--user",
        "bob",
        "--run-for",
        "2",
        "--no-desktop",
    ];
    let run = bus.run(None, &bob, Duration::from_secs(40));
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    assert!(run
        .stderr
        .contains("desktop notifications: off (--no-desktop)"));
}

#[test]
fn without_a_notification_server_one_clear_line_and_no_hang() {
    let Some(py) = tools() else { return };
    let bus = Bus::new(py);
    let run = bus.run(None, &["notify-test"], Duration::from_secs(20));
    assert_eq!(run.status, 1);
    assert_eq!(
        run.stderr,
        "slawatch: desktop notifications unavailable: no notification server on the D-Bus \
         session bus (nothing owns org.freedesktop.Notifications)\n"
    );
    assert!(run.took < Duration::from_secs(10), "took {:?}", run.took);

    // `watch` says so once and keeps printing nudges.
    let db = bus.path("s.db");
    seed(&db);
    let watch = [
        "--db",
        db.to_str().unwrap(),
        "watch",
        "--user",
        "alice",
        "--run-for",
        "2",
    ];
    let run = bus.run(None, &watch, Duration::from_secs(30));
    assert_eq!(run.status, 0, "{}", run.stderr);
    let unavailable: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("unavailable"))
        .collect();
    assert_eq!(
        unavailable,
        [
            "desktop notifications unavailable: no notification server on the D-Bus session bus \
          (nothing owns org.freedesktop.Notifications); nudges are printed here only"
        ],
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
}

#[test]
fn a_server_that_never_answers_costs_one_timeout() {
    let Some(py) = tools() else { return };
    let bus = Bus::new(py);
    let run = bus.run(
        Some("--hang"),
        &["notify-test", "--timeout", "1"],
        Duration::from_secs(20),
    );
    assert_eq!(run.status, 1);
    assert_eq!(
        run.stderr,
        "slawatch: desktop notifications unavailable: the notification server did not answer \
         within 1 s\n"
    );
    assert!(run.took < Duration::from_secs(8), "took {:?}", run.took);
}

#[test]
fn without_a_session_bus_one_clear_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_slawatch"))
        .arg("notify-test")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "slawatch: desktop notifications unavailable: no D-Bus session bus \
         (DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR are unset)\n"
    );
}

/// The payload texts of the hostile corpus (tests/corpus/hostile.jsonl), by event id
/// and field.
fn corpus_text(id: &str, field: &str) -> String {
    let corpus = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/hostile.jsonl"
    ))
    .unwrap();
    corpus
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["id"] == id)
        .and_then(|e| {
            e["payload"][field]
                .as_str()
                .or(e[field].as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no {field} in corpus event {id}"))
}

#[test]
fn hostile_ticket_text_reaches_the_desktop_escaped_and_sanitised() {
    let Some(py) = tools() else { return };
    let bus = Bus::new(py);
    let db = bus.path("s.db");
    let now = Utc::now();
    let ago = |m: i64| now - TimeDelta::minutes(m);
    let ticket = corpus_text("h01", "ticket");
    SqliteStore::open(&db)
        .unwrap()
        .append_all(&[
            event(
                &ticket,
                EventKind::Detected,
                ago(18),
                json!({"priority": "P1", "customer": "acme-telecom",
                       "title": corpus_text("h01", "title")}),
            ),
            event(
                &ticket,
                EventKind::Escalated,
                ago(17),
                json!({"level": 1, "to": corpus_text("h03", "to")}),
            ),
        ])
        .unwrap();
    let db_arg = db.to_str().unwrap();
    let args = ["--db", db_arg, "watch", "--user", "alice", "--run-for", "3"];
    let run = bus.run(Some(""), &args, Duration::from_secs(40));
    assert_eq!(run.status, 0, "{}", run.stderr);
    let calls = bus.notified();
    assert_eq!(calls.len(), 1, "{calls:#?}\n{}", run.stderr);
    let (summary, body) = (
        calls[0]["summary"].as_str().unwrap(),
        calls[0]["body"].as_str().unwrap(),
    );
    assert_eq!(summary, "P1 ACME-666 breached acknowledgement 3 min ago");
    assert!(
        body.starts_with(
            "acme-telecom — redclick&lt;b&gt;bold&lt;/b&gt; &lt;a href=&quot;http://evil.example/\
             &quot;&gt;link&lt;/a&gt; &lt;img src=x onerror=alert(1)&gt; R&amp;D &amp; co \
             &apos;q&apos;\nEscalation level 1 (=HYPERLINK(&quot;http://evil.example/&quot;,\
             &quot;click&quot;))\n"
        ),
        "{body}"
    );
    for text in [summary, body] {
        assert!(
            !text
                .chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "{text:?}"
        );
    }
    assert!(
        !run.stdout.contains('\u{1b}') && run.stdout.contains("ACME-666"),
        "{}",
        run.stdout
    );
}
