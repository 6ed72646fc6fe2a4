//! The real console under tmux on `--server`, `slawatch serve` over a temporary SQLite
//! store with the demo data: what the agent records while the server is down waits in
//! the outbox, the header says so, and after the server is back it is stored once,
//! signed with the token's name. Without tmux these tests skip loudly, and fail when
//! SLAWATCH_REQUIRE_SERVICES=1 (as CI sets).

mod server_support;
mod tmux_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use server_support::{free_port, token, Serve};
use tmux_support::{export, first_ticket, tmux_available, Tmux, BIN};

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
