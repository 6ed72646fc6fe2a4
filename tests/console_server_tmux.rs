//! The real console under tmux on `--server`, `slawatch serve` over a temporary SQLite
//! store with the demo data: what the agent records while the server is down waits in
//! the outbox, the header says so, and after the server is back it is stored once,
//! signed with the token's name; an event on a ticket that moved on meanwhile waits for
//! the agent's decision (`D`: re-submit or discard). Without tmux these tests skip
//! loudly, and fail when SLAWATCH_REQUIRE_SERVICES=1 (as CI sets).

mod server_support;
mod tmux_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use server_support::{free_port, token, Serve};
use slawatch::store::Store;
use tmux_support::{export, first_ticket, tickets_listed, tmux_available, Tmux, BIN};

/// A demo store and an agent token named alice for it.
fn demo_store(dir: &Path) -> (PathBuf, String) {
    let db = dir.join("team.db");
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .arg("demo")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alice = token(&["--db", db.to_str().unwrap()], "alice", "agent", &[]);
    (db, alice)
}

/// The header: the views and the clock, then the counts and the source's status.
fn header(screen: &str) -> String {
    screen.lines().take(2).collect::<Vec<_>>().join("\n")
}

#[test]
fn an_acknowledgement_recorded_offline_is_stored_once_when_the_server_is_back() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (db, alice) = demo_store(dir.path());
    let store = ["--db", db.to_str().unwrap()];
    let port = free_port();
    let srv = Serve::start_at(&store, &[], port);
    let url = srv.url.clone();
    // The configured agent (e2e-agent) gives way to the token's name.
    let t = Tmux::start_env("server", &format!("SLAWATCH_TOKEN={alice}"), |_| {
        format!("--server {url}")
    });
    let s = t.wait_for("the server's queue", |s| {
        s.contains("open 200") && s.contains(&format!("{url} as alice"))
    });
    let ticket = first_ticket(&s);

    drop(srv);
    t.wait_for("the lost server in the header", |s| {
        header(s).contains("offline since")
    });
    t.keys(&["a"]);
    t.wait_for("the acknowledgement form", |s| s.contains("Acknowledge"));
    t.keys(&["Enter"]);
    let s = t.wait_for("the queued event in the header", |s| {
        header(s).contains("1 event queued")
    });
    assert!(header(&s).contains("offline since"), "{s}");
    assert!(
        export(&db, &ticket)
            .iter()
            .all(|e| !(e["kind"] == "acknowledged" && e["actor"] == "alice")),
        "stored while the server was down"
    );

    let _srv = Serve::start_at(&store, &[], port);
    t.wait_for("the outbox to drain", |s| {
        !header(s).contains("queued") && !header(s).contains("offline")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), "0", "exit status");

    let acks: Vec<_> = export(&db, &ticket)
        .into_iter()
        .filter(|e| e["kind"] == "acknowledged" && e["actor"] == "alice")
        .collect();
    assert_eq!(acks.len(), 1, "{acks:#?}");
    assert_eq!(acks[0]["ticket"], ticket.as_str());
}

/// Shows only `ticket` in the queue (its id as the filter).
fn select(t: &Tmux, ticket: &str) {
    // Esc clears the filter of the last one; seen done before `/`, or the two read as
    // Alt-/.
    if tickets_listed(&t.screen()).len() == 1 {
        t.keys(&["Escape"]);
        t.wait_for("the whole queue", |s| tickets_listed(s).len() > 1);
    }
    t.keys(&["/"]);
    t.text(ticket);
    t.keys(&["Enter"]);
    t.wait_for(&format!("{ticket} alone on the first row"), |s| {
        tickets_listed(s).first().map(String::as_str) == Some(ticket) && s.contains("open 200")
    });
}

/// Records a note on the ticket shown first.
fn note(t: &Tmux, text: &str) {
    t.keys(&["n"]);
    t.wait_for("the note form", |s| s.contains("Note"));
    t.text(text);
    t.keys(&["Enter"]);
}

/// The events of `ticket` by alice stored since `before` (the ids stored then): (kind,
/// note text).
fn alices(db: &Path, ticket: &str, before: &[String]) -> Vec<(String, String)> {
    export(db, ticket)
        .into_iter()
        .filter(|e| e["actor"] == "alice" && !before.iter().any(|id| e["id"] == id.as_str()))
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["payload"]["text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The ids of every event stored on `ticket`.
fn ids(db: &Path, ticket: &str) -> Vec<String> {
    export(db, ticket)
        .into_iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn events_recorded_offline_are_stored_once_and_a_conflict_waits_for_the_agents_decision() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (db, alice) = demo_store(dir.path());
    let store = ["--db", db.to_str().unwrap()];
    let port = free_port();
    let srv = Serve::start_at(&store, &[], port);
    let url = srv.url.clone();
    let t = Tmux::start_env("conflict", &format!("SLAWATCH_TOKEN={alice}"), |_| {
        format!("--server {url}")
    });
    let s = t.wait_for("the server's queue", |s| {
        s.contains("open 200") && s.contains(&format!("{url} as alice"))
    });
    let rows = tickets_listed(&s);
    let (a, b, c) = (rows[0].clone(), rows[1].clone(), rows[2].clone());
    // The demo's own events (some are alice's).
    let before: Vec<String> = [&a, &b, &c].iter().flat_map(|t| ids(&db, t)).collect();

    drop(srv);
    t.wait_for("the lost server in the header", |s| {
        header(s).contains("offline since")
    });
    // Two events on A (the second on the head the first makes), one each on B and C.
    select(&t, &a);
    t.keys(&["a"]);
    t.wait_for("the acknowledgement form", |s| s.contains("Acknowledge"));
    t.keys(&["Enter"]);
    t.wait_for("1 queued", |s| header(s).contains("1 event queued"));
    note(&t, "A after the ack");
    t.wait_for("2 queued", |s| header(s).contains("2 events queued"));
    select(&t, &b);
    note(&t, "B while offline");
    t.wait_for("3 queued", |s| header(s).contains("3 events queued"));
    select(&t, &c);
    note(&t, "C while offline");
    t.wait_for("4 queued", |s| header(s).contains("4 events queued"));

    // Meanwhile B and C move on at the store itself.
    {
        let mut st = slawatch::store::SqliteStore::open(&db).unwrap();
        for ticket in [&b, &c] {
            let now = chrono::Utc::now();
            let e = slawatch::model::Event::new(
                ticket,
                slawatch::model::EventKind::Note,
                now,
                now,
                "bob",
                serde_json::from_value(serde_json::json!({"text": "bob was here"})).unwrap(),
            );
            st.append(&e, slawatch::store::Expect::Any).unwrap();
        }
    }
    let _srv = Serve::start_at(&store, &[], port);
    let s = t.wait_for("the conflicts in the header", |s| {
        let h = header(s);
        h.contains("2 events need a decision (D)")
            && !h.contains("queued")
            && !h.contains("offline")
    });
    assert!(!s.contains("Decide"), "{s}");
    assert_eq!(
        alices(&db, &a, &before),
        [
            ("acknowledged".to_owned(), String::new()),
            ("note".to_owned(), "A after the ack".to_owned())
        ]
    );
    assert_eq!(alices(&db, &b, &before), []);
    assert_eq!(alices(&db, &c, &before), []);

    // B: re-submitted on the ticket as it now is.
    t.keys(&["D"]);
    let s = t.wait_for("the decision on B", |s| {
        s.contains(&format!("Decide — note on {b}")) && s.contains("1 more after this one")
    });
    assert!(s.contains("has since moved on"), "{s}");
    t.keys(&["1"]);
    t.wait_for("B stored", |s| {
        s.contains(&format!("note on {b}: re-submitted and stored"))
            && header(s).contains("1 event needs a decision (D)")
    });
    // C: discarded.
    t.keys(&["D"]);
    t.wait_for("the decision on C", |s| {
        s.contains(&format!("Decide — note on {c}")) && !s.contains("more after this one")
    });
    t.keys(&["2"]);
    t.wait_for("C discarded", |s| {
        s.contains(&format!("note on {c}: discarded")) && !header(s).contains("decision")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), "0", "exit status");

    let b_events = export(&db, &b);
    let last = b_events.last().unwrap();
    assert_eq!(
        (last["actor"].as_str(), last["payload"]["text"].as_str()),
        (Some("alice"), Some("B while offline")),
        "on top of bob's note"
    );
    assert_eq!(alices(&db, &b, &before).len(), 1);
    assert_eq!(alices(&db, &c, &before), []);
    assert_eq!(alices(&db, &a, &before).len(), 2);
}
