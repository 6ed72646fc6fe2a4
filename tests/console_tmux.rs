//! The real console under tmux: start it on a temporary demo store, escalate a ticket
//! and record a client update with keystrokes, quit, and check the stored events with
//! `slawatch export`; countdowns must tick; hostile ticket text must never reach the
//! terminal as escape sequences. Without tmux these tests skip loudly, and fail when
//! SLAWATCH_REQUIRE_SERVICES=1 (as CI sets).

mod tmux_support;

use std::process::Command;
use std::time::Duration;

use tmux_support::{
    another_writer_detects, countdowns, export, first_ticket, tmux_available, Tmux, BIN,
};

#[test]
fn record_escalation_and_client_update_with_keystrokes() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("e2e", |d| {
        format!("--demo --db {}", d.join("demo.db").display())
    });
    let db = t.path("demo.db");
    let first = t.wait_for("the queue with countdowns", |s| {
        s.contains("open 200") && countdowns(s).len() > 10
    });
    // Countdowns change over two seconds.
    std::thread::sleep(Duration::from_millis(2100));
    let later = t.screen();
    let (a, b) = (countdowns(&first), countdowns(&later));
    assert_ne!(a, b, "countdowns did not move:\n{first}\n{later}");
    let changed = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert!(changed >= 5, "countdowns should tick: {a:?} {b:?}");

    let ticket = first_ticket(&later);
    // Escalate: level defaults to the next one; type whom to and a note.
    t.keys(&["e"]);
    t.wait_for("the escalation form", |s| s.contains("Escalate"));
    t.text("noc-duty-manager");
    t.keys(&["Tab"]);
    t.text("splice crew needed on site");
    t.keys(&["Enter"]);
    // A name on no ticket yet is recorded only when submitted again.
    t.wait_for("the new name to be questioned", |s| {
        s.contains("\"noc-duty-manager\" is on no ticket yet")
    });
    t.keys(&["Enter"]);
    t.wait_for("the escalation to be recorded", |s| {
        s.contains("recorded escalated")
    });
    // Client update: the message field has the focus; the channel stays email.
    t.keys(&["u"]);
    t.wait_for("the client update form", |s| s.contains("Client update"));
    t.text("Crew dispatched, next update 18:00");
    t.keys(&["Enter"]);
    let s = t.wait_for("the client update to be recorded", |s| {
        s.contains("recorded client_update")
    });
    assert!(s.contains(&ticket), "{s}");

    // Another writer on the same store: its ticket appears without a restart.
    t.keys(&["/"]);
    t.text("live-1");
    t.keys(&["Enter"]);
    t.wait_for("the empty filter", |s| s.contains("No ticket matches"));
    another_writer_detects(
        &db,
        "LIVE-1",
        "another-console",
        serde_json::json!({"priority": "P1", "customer": "acme-telecom", "title": "appeared without a restart"}),
    );
    t.wait_for("the other writer's ticket", |s| {
        s.contains("LIVE-1") && s.contains("appeared without")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), "0", "exit status");
    assert_eq!(t.display("#{alternate_on}"), "0", "alternate screen left");

    let events = export(&db, &ticket);
    let esc: Vec<_> = events
        .iter()
        .filter(|e| e["kind"] == "escalated" && e["actor"] == "e2e-agent")
        .collect();
    let upd: Vec<_> = events
        .iter()
        .filter(|e| e["kind"] == "client_update" && e["actor"] == "e2e-agent")
        .collect();
    assert_eq!(esc.len(), 1, "{events:#?}");
    assert_eq!(upd.len(), 1, "{events:#?}");
    let e = esc[0];
    assert_eq!(e["ticket"], ticket.as_str());
    assert_eq!(e["payload"]["to"], "noc-duty-manager");
    assert_eq!(e["payload"]["note"], "splice crew needed on site");
    let before = events
        .iter()
        .filter(|x| x["kind"] == "escalated" && x["actor"] != "e2e-agent")
        .filter_map(|x| x["payload"]["level"].as_u64())
        .next_back()
        .unwrap_or(0);
    assert_eq!(e["payload"]["level"].as_u64(), Some((before + 1).min(9)));
    let u = upd[0];
    assert_eq!(u["payload"]["channel"], "email");
    assert_eq!(
        u["payload"]["message"],
        "Crew dispatched, next update 18:00"
    );
    for x in [e, u] {
        for field in [
            "id",
            "ticket",
            "kind",
            "at",
            "recorded_at",
            "actor",
            "payload",
        ] {
            assert!(!x[field].is_null(), "{field} in {x}");
        }
    }
}

#[test]
fn hostile_ticket_text_never_reaches_the_terminal() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("evil", |d| {
        let db = d.join("evil.db");
        let mut store = slawatch::store::SqliteStore::open(&db).unwrap();
        let now = chrono::Utc::now();
        let ev = |id: &str, title: &str| slawatch::model::Event {
            id: id.into(),
            ticket: format!("EVIL-{id}"),
            kind: slawatch::model::EventKind::Detected,
            at: now - chrono::TimeDelta::minutes(5),
            recorded_at: now,
            actor: "evil\u{1b}[5mactor".into(),
            payload: serde_json::from_value(serde_json::json!({
                "priority": "P1", "customer": "acme-telecom\u{1b}[2J", "title": title,
            }))
            .unwrap(),
        };
        use slawatch::store::Store;
        store
            .append_all(&[
                ev("1", "title\u{1b}]0;pwned\u{7}osc"),
                ev("2", "clear\u{1b}[2Jscreen\u{1b}[31mred"),
                ev("3", "c1\u{9b}2Jcsi\u{9d}0;pwned\u{9c}"),
                ev("4", "wide 東京の回線で障害 gone"),
            ])
            .unwrap();
        format!("--db {}", db.display())
    });
    let s = t.wait_for("the hostile tickets", |s| {
        s.contains("EVIL-1") && s.contains("EVIL-4")
    });
    assert!(s.contains("titleosc"), "{s}");
    assert!(s.contains("clearscreenred"), "{s}");
    let raw = t.screen_raw();
    assert!(
        !raw.contains("\u{1b}[2J"),
        "a clear-screen reached the terminal"
    );
    assert!(!raw.contains("\u{1b}[5m"), "blink reached the terminal");
    assert!(!raw.contains("\u{1b}]"), "an OSC reached the terminal");
    assert_ne!(
        t.display("#{pane_title}"),
        "pwned",
        "the title was changed by ticket text"
    );
    // Wide characters keep the columns aligned: the countdowns line up.
    let col = |id: &str| {
        let line = s.lines().find(|l| l.contains(id)).unwrap();
        let cd = countdowns(line);
        let first = cd
            .first()
            .unwrap_or_else(|| panic!("no countdown on {line:?}"));
        let idx = line.find(first.as_str()).unwrap();
        // Right-aligned: compare where the countdowns end.
        let idx = idx + first.len();
        unicode_width::UnicodeWidthStr::width(&line[..idx])
    };
    assert_eq!(col("EVIL-1"), col("EVIL-4"), "{s}");
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), "0");
}

#[test]
fn bad_configuration_is_reported_with_file_and_line_and_the_console_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("slawatch");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("keymap.toml"),
        "[queue]\nnote = \"a\"\nbogus = \"z\"\n",
    )
    .unwrap();
    std::fs::write(cfg.join("config.toml"), "theme = \"neon\"\n").unwrap();
    let out = Command::new(BIN)
        .arg("--db")
        .arg(dir.path().join("x.db"))
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let km = cfg.join("keymap.toml");
    assert!(
        err.contains(&format!(
            "{}:2:8: key `a` is bound to two actions in the queue view",
            km.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}:3:1: [queue]: unknown action `bogus`",
            km.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}:1:9: unknown theme \"neon\"",
            cfg.join("config.toml").display()
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    assert!(
        !dir.path().join("x.db").exists(),
        "nothing is opened half-configured"
    );
}

#[test]
fn resizing_and_sigterm_leave_a_working_terminal() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("term", |d| {
        format!("--demo --db {}", d.join("demo.db").display())
    });
    t.wait_for("the queue", |s| s.contains("open 200"));
    t.tmux(&["resize-window", "-t", "t", "-x", "50", "-y", "10"]);
    t.wait_for("the size notice", |s| {
        s.contains("at least 60x12") && s.contains("now 50x10")
    });
    t.tmux(&["resize-window", "-t", "t", "-x", "100", "-y", "30"]);
    t.wait_for("the queue again", |s| {
        s.contains("open 200") && countdowns(s).len() > 5
    });
    // SIGTERM to the console (a child of the pane's shell).
    let shell = t.display("#{pane_pid}");
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
    let pid = children
        .split_whitespace()
        .next()
        .expect("the console's pid");
    let status = Command::new("kill").args(["-TERM", pid]).status().unwrap();
    assert!(status.success());
    assert_eq!(t.wait_exit(), "0");
    assert_eq!(t.display("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(t.display("#{cursor_flag}"), "1", "cursor shown again");
}

#[test]
fn compliance_view_opens_with_its_key_and_drills_down() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("compliance", |d| {
        format!("--demo --db {}", d.join("demo.db").display())
    });
    t.wait_for("the queue", |s| s.contains("open 200"));
    t.keys(&["$"]);
    let s = t.wait_for("the compliance figures", |s| {
        s.contains("this month, to date") && s.contains("as of") && s.contains("acme-telecom")
    });
    assert!(
        s.contains(" EUR") && s.contains(" USD"),
        "money figures with their currency:\n{s}"
    );
    assert!(s.contains("Exposure"), "{s}");
    // The first figure of the first row: the tickets behind it, then one of them.
    t.keys(&["Enter"]);
    t.wait_for("the drill-down list", |s| {
        s.contains("Tickets behind acme-telecom")
    });
    t.keys(&["Enter"]);
    t.wait_for("the ticket view", |s| {
        s.contains("Timeline") || s.contains("no longer open")
    });
    t.keys(&["Escape"]);
    t.wait_for("back to the list", |s| s.contains("Tickets behind"));
    // ESC and "[" sent back to back reach the program as one escape sequence, as from
    // any terminal: wait for the figures between them.
    t.keys(&["Escape"]);
    t.wait_for("the figures", |s| !s.contains("Tickets behind"));
    t.keys(&["["]);
    t.wait_for("last month", |s| {
        s.contains("(last month)") && s.contains("as of")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), "0", "exit status");
}

#[test]
fn nudges_fire_on_start_and_a_missing_notification_server_heads_the_nudge_log() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start_env(
        "nudges",
        "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/slawatch-no-bus",
        |d| format!("--demo --db {}", d.join("demo.db").display()),
    );
    t.wait_for("the queue", |s| s.contains("open 200"));
    // The demo has breached tickets and ones breaching within minutes: their
    // nudges fire (late) as soon as the service has planned them. The notification
    // server's absence was a toast (soon pushed out by nudges) and heads the log.
    t.keys(&["L"]);
    let s = t.wait_for("the server's absence and an entry in the nudge log", |s| {
        s.contains("⚠ desktop notifications unavailable")
            && s.contains("Late Nudge")
            && s.lines().any(|l| {
                l.get(2..3) == Some(":")
                    && l.get(5..6) == Some(":")
                    && (l.contains(" breached ") || l.contains(" breaches "))
            })
    });
    assert!(
        s.contains(" Nudges "),
        "the view is named in the header:\n{s}"
    );
    // Enter opens the ticket of the selected entry.
    t.keys(&["Enter"]);
    t.wait_for("the ticket view", |s| s.contains("Timeline"));
    // Snooze it: the modal, then 15 minutes.
    t.keys(&["s"]);
    t.wait_for("the snooze modal", |s| {
        s.contains("Snooze") && s.contains("snooze 15 min")
    });
    t.keys(&["2"]);
    t.wait_for("the snooze to be confirmed", |s| {
        s.contains("warnings snoozed 15 min")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), "0", "exit status");
}
