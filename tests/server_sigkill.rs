//! `slawatch serve` killed with SIGKILL while several threads append over HTTP, some to
//! tickets of their own and some to one ticket they share: after a restart every event
//! whose append was answered 2xx is served, and `slawatch verify` passes. On SQLite and
//! on PostgreSQL (its own database; skips loudly without a server, fails then under
//! SLAWATCH_REQUIRE_SERVICES=1).

mod server_support;

use std::collections::HashSet;
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::json;
use server_support::{detected, event, token, Serve, BIN};
use slawatch::store::postgres::scratch::ScratchDb;

/// Writers 0..OWN append to a ticket each; the rest all append to one shared ticket.
const OWN: usize = 3;
const SHARED: usize = 3;
/// Appends acknowledged before the kill: enough that it lands mid-run.
const BEFORE_KILL: usize = 120;

fn killed_under_load(store: &[&str]) {
    let writers: Vec<String> = (0..OWN + SHARED)
        .map(|w| token(store, &format!("k{w}"), "agent", &[]))
        .collect();
    let viewer = token(store, "v", "viewer", &[]);
    let srv = Serve::start(store, &[]);
    let (code, v) = srv.post(
        &writers[0],
        "/v1/events",
        &detected("shared-0", "SHARED", "k0").to_string(),
    );
    assert_eq!(code, 201, "{v}");
    let acked = Arc::new(Mutex::new(vec!["shared-0".to_owned()]));
    let mut threads = Vec::new();
    for (w, tok) in writers.iter().enumerate() {
        let (url, tok, acked) = (srv.url.clone(), tok.clone(), Arc::clone(&acked));
        threads.push(std::thread::spawn(move || {
            let actor = format!("k{w}");
            let ticket = if w < OWN {
                format!("K-{w}")
            } else {
                "SHARED".to_owned()
            };
            for n in 0.. {
                let id = format!("k{w}-{n}");
                let e = if n == 0 && w < OWN {
                    detected(&id, &ticket, &actor)
                } else {
                    event(
                        &id,
                        &ticket,
                        "note",
                        &actor,
                        json!({"text": format!("load {n}")}),
                    )
                };
                let r = ureq::post(&format!("{url}/v1/events"))
                    .set("Authorization", &format!("Bearer {tok}"))
                    .set("Content-Type", "application/json")
                    .send_string(&e.to_string());
                match r {
                    Ok(resp) if resp.status() / 100 == 2 => acked.lock().unwrap().push(id),
                    // Refused, or the connection died with the server: this append is
                    // not acknowledged, and the writer stops.
                    _ => return,
                }
            }
        }));
    }
    while acked.lock().unwrap().len() < BEFORE_KILL {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let pid = srv.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap()
        .success());
    for t in threads {
        t.join().unwrap();
    }
    drop(srv);
    let acked = acked.lock().unwrap().clone();

    let srv = Serve::start(store, &[]);
    let mut served = HashSet::new();
    let mut cursor = String::new();
    // On PostgreSQL the feed gives only what lies below every write transaction still
    // in flight on the server (one of another database's, say), so an empty page may
    // mean "not yet": read on until every acknowledged event is there or nothing came
    // for a while.
    let mut quiet_since = std::time::Instant::now();
    loop {
        let (code, page) = srv.get(&viewer, &format!("/v1/feed?after={cursor}&wait=0"));
        assert_eq!(code, 200, "{page}");
        let events = page["events"].as_array().unwrap();
        if events.is_empty() {
            let all = acked.iter().all(|id| served.contains(id));
            if all || quiet_since.elapsed() > std::time::Duration::from_secs(20) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            continue;
        }
        quiet_since = std::time::Instant::now();
        served.extend(events.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        cursor = page["cursor"].as_str().unwrap().to_owned();
    }
    let lost: Vec<&String> = acked.iter().filter(|id| !served.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "acknowledged 2xx but not stored after the restart: {lost:?}"
    );
    let shared = acked.iter().filter(|id| {
        id.strip_prefix('k')
            .and_then(|r| r.split('-').next())
            .and_then(|w| w.parse::<usize>().ok())
            .is_some_and(|w| w >= OWN)
    });
    assert!(
        shared.count() > 0,
        "the shared ticket took appends before the kill"
    );
    let verify = Command::new(BIN)
        .args(store)
        .arg("verify")
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "verify after the kill: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn serve_on_sqlite_killed_under_load_keeps_every_acknowledged_event_and_chains_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db").display().to_string();
    killed_under_load(&["--db", db.as_str()]);
}

#[test]
fn serve_on_postgres_killed_under_load_keeps_every_acknowledged_event_and_chains_verify() {
    let Some(db) = ScratchDb::create("serve SIGKILL under load") else {
        return;
    };
    killed_under_load(&["--database-url", db.url.as_str()]);
}
