//! `slawatch serve --db FILE`: tokens and roles, all-or-nothing appends, the snapshot
//! and the long-poll feed, limits, metrics and shutdown, over real HTTP.

mod server_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{json, Value};
use server_support::{detected, event, token, Serve};

struct Setup {
    _dir: tempfile::TempDir,
    db: String,
    agent: String,
    viewer: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db").display().to_string();
    let store = ["--db", db.as_str()];
    let agent = token(&store, "alice", "agent", &[]);
    let viewer = token(&store, "victor", "viewer", &["--expires", "90d"]);
    Setup {
        db,
        agent,
        viewer,
        _dir: dir,
    }
}

impl Setup {
    fn store(&self) -> [&str; 2] {
        ["--db", self.db.as_str()]
    }
    fn serve(&self) -> Serve {
        Serve::start(&self.store(), &[])
    }
}

fn ids(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn tokens_are_printed_once_and_only_their_hash_is_stored() {
    let s = setup();
    assert!(
        s.agent.starts_with("slw_") && s.agent.len() == 47,
        "{}",
        s.agent
    );
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    let hashes: Vec<String> = conn
        .prepare("SELECT hash FROM tokens")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(hashes.len(), 2);
    assert!(hashes.iter().all(|h| !h.contains(&s.agent[4..])));
    let list = std::process::Command::new(server_support::BIN)
        .args(s.store())
        .args(["token", "list"])
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(
        list.contains("alice\tagent\tlive") && list.contains("victor\tviewer\tlive"),
        "{list}"
    );
    assert!(!list.contains(&s.agent));
    let again = std::process::Command::new(server_support::BIN)
        .args(s.store())
        .args(["token", "create", "--name", "alice", "--role", "agent"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("revoke it first"));
    let bad = std::process::Command::new(server_support::BIN)
        .args(s.store())
        .args(["token", "create", "--name", "x", "--role", "admin"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--role: unknown role \"admin\""));
}

#[test]
fn missing_bad_expired_and_revoked_tokens_get_401_and_wrong_roles_403() {
    let s = setup();
    let ingest = token(&s.store(), "nagios", "ingest", &[]);
    let short = token(&s.store(), "temp", "agent", &["--expires", "30m"]);
    let srv = s.serve();
    let body = detected("e1", "T-1", "alice").to_string();
    let no_token =
        server_support::answer(ureq::post(&format!("{}/v1/events", srv.url)).send_string(&body));
    assert_eq!(no_token.0, 401);
    assert_eq!(srv.post("slw_not-a-token", "/v1/events", &body).0, 401);
    let unknown = format!("slw_{}", "A".repeat(43));
    assert_eq!(srv.post(&unknown, "/v1/events", &body).0, 401);
    assert_eq!(srv.post(&s.viewer, "/v1/events", &body).0, 403);
    assert_eq!(
        srv.get(&ingest, "/v1/tickets").0,
        403,
        "ingest reads nothing"
    );
    let ack = event("e9", "T-1", "acknowledged", "nagios", json!({})).to_string();
    let (code, v) = srv.post(&ingest, "/v1/events", &ack);
    assert_eq!(code, 403, "{v}");
    assert!(
        v["problems"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("line 1: field kind:"),
        "{v}"
    );
    assert_eq!(
        srv.post(
            &ingest,
            "/v1/events",
            &detected("n1", "T-N", "nagios").to_string()
        )
        .0,
        201
    );

    // Expire one token and revoke another behind the running server: both refused at once.
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    conn.execute("UPDATE tokens SET expires_at = 1 WHERE name = 'temp'", [])
        .unwrap();
    let (code, v) = srv.get(&short, "/v1/tickets");
    assert_eq!((code, v["error"].as_str()), (401, Some("token expired")));
    let revoke = std::process::Command::new(server_support::BIN)
        .args(s.store())
        .args(["token", "revoke", "victor"])
        .output()
        .unwrap();
    assert!(revoke.status.success());
    let (code, v) = srv.get(&s.viewer, "/v1/tickets");
    assert_eq!((code, v["error"].as_str()), (401, Some("token revoked")));
}

#[test]
fn appends_are_signed_by_the_token_idempotent_and_all_or_nothing() {
    let s = setup();
    let srv = s.serve();
    let e1 = detected("e1", "T-1", "alice").to_string();
    assert_eq!(srv.post(&s.agent, "/v1/events", &e1).0, 201);
    let (code, v) = srv.post(&s.agent, "/v1/events", &e1);
    assert_eq!(
        (code, v["stored"].as_u64(), v["already_stored"].as_u64()),
        (200, Some(0), Some(1))
    );

    let forged = detected("e2", "T-2", "mallory").to_string();
    let (code, v) = srv.post(&s.agent, "/v1/events", &forged);
    assert_eq!(code, 403, "{v}");
    assert!(v["problems"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("line 1: field actor:"));

    // Four lines, three bad: every problem located, nothing stored.
    let body = [
        detected("e3", "T-3", "alice").to_string(),
        json!({"id": "e4", "ticket": "T-3", "kind": "acknowledged", "actor": "alice"}).to_string(),
        json!({"id": "e5", "ticket": "T-3", "kind": "paused", "at": "soon", "actor": "alice"})
            .to_string(),
        event("e6", "T-3", "paused", "alice", json!({})).to_string(),
    ]
    .join("\n");
    let (code, v) = srv.post(&s.agent, "/v1/events", &body);
    assert_eq!(code, 422, "{v}");
    let texts: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.iter().any(|t| t.starts_with("line 2: field at:")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.starts_with("line 3: field at:")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("line 4: field payload.reason:")),
        "{texts:?}"
    );
    assert_eq!(
        srv.get(&s.viewer, "/v1/tickets/T-3").0,
        404,
        "nothing of a refused body is stored"
    );

    let mut future = detected("e6", "T-6", "alice");
    future["recorded_at"] = json!((chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339());
    let (code, v) = srv.post(&s.agent, "/v1/events", &future.to_string());
    assert_eq!(code, 422);
    assert!(
        v["problems"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("line 1: field recorded_at:"),
        "{v}"
    );

    let mut changed = detected("e1", "T-1", "alice");
    changed["payload"]["customer"] = json!("other");
    assert_eq!(
        srv.post(&s.agent, "/v1/events", &changed.to_string()).0,
        409
    );

    // Announced over the limit: refused before the body is read.
    assert_eq!(
        srv.post_announcing(&s.agent, "/v1/events", 64 * 1024 * 1024),
        413
    );
}

#[test]
fn an_expected_head_that_moved_gives_409_with_the_head_and_what_came_after() {
    let s = setup();
    let srv = s.serve();
    let (_, v) = srv.post(
        &s.agent,
        "/v1/events",
        &detected("e1", "T-1", "alice").to_string(),
    );
    let seen = v["events"][0]["hash"].as_str().unwrap().to_owned();
    let ack = event("e2", "T-1", "acknowledged", "alice", json!({}));
    let body = json!({"events": [ack], "expect_heads": {"T-1": seen}}).to_string();
    assert_eq!(srv.post(&s.agent, "/v1/events", &body).0, 201);
    let note = event("e3", "T-1", "note", "alice", json!({"text": "late"}));
    let other = detected("e4", "T-4", "alice");
    let stale = json!({"events": [other, note], "expect_heads": {"T-1": seen}}).to_string();
    let (code, v) = srv.post(&s.agent, "/v1/events", &stale);
    assert_eq!(code, 409, "{v}");
    assert_eq!(ids(&v["events"]), ["e2"]);
    assert_eq!(v["expected"].as_str(), Some(seen.as_str()));
    assert_ne!(v["head"], v["expected"]);
    assert_eq!(
        srv.get(&s.viewer, "/v1/tickets/T-4").0,
        404,
        "the whole batch was refused"
    );
    let (_, t) = srv.get(&s.viewer, "/v1/tickets/T-1");
    assert_eq!(ids(&t["events"]), ["e1", "e2"]);
    assert_eq!(t["ticket"]["head"], v["head"]);
}

#[test]
fn the_snapshot_and_the_feed_give_every_event_once() {
    let s = setup();
    let srv = s.serve();
    srv.post(
        &s.agent,
        "/v1/events",
        &detected("e1", "T-1", "alice").to_string(),
    );
    srv.post(
        &s.agent,
        "/v1/events",
        &detected("e2", "T-2", "alice").to_string(),
    );
    let resolved = event("e3", "T-2", "resolved", "alice", json!({}));
    srv.post(&s.agent, "/v1/events", &resolved.to_string());
    let (_, open) = srv.get(&s.viewer, "/v1/tickets?state=open");
    let names: Vec<&str> = open["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ticket"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["T-1"]);
    assert!(open["tickets"][0]["facts"].is_object());
    let (_, closed) = srv.get(&s.viewer, "/v1/tickets?state=closed");
    assert_eq!(closed["tickets"].as_array().unwrap().len(), 1);
    assert_eq!(srv.get(&s.viewer, "/v1/tickets?state=maybe").0, 400);

    let (_, all) = srv.get(&s.viewer, "/v1/feed");
    assert_eq!(ids(&all["events"]), ["e1", "e2", "e3"]);
    let cursor = open["cursor"].as_str().unwrap().to_owned();
    let (_, after_snapshot) = srv.get(&s.viewer, &format!("/v1/feed?after={cursor}"));
    assert!(after_snapshot["events"].as_array().unwrap().is_empty());
    assert_eq!(srv.get(&s.viewer, "/v1/feed?after=42").0, 400);

    // A long-poll answers as soon as an event is appended elsewhere.
    let url = srv.url.clone();
    let viewer = s.viewer.clone();
    let poll = std::thread::spawn(move || {
        server_support::answer(
            ureq::get(&format!("{url}/v1/feed?after={cursor}&wait=30"))
                .set("Authorization", &format!("Bearer {viewer}"))
                .call(),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    srv.post(
        &s.agent,
        "/v1/events",
        &detected("e4", "T-4", "alice").to_string(),
    );
    let (code, page) = poll.join().unwrap();
    assert_eq!(code, 200);
    assert_eq!(ids(&page["events"]), ["e4"]);
    let next = page["cursor"].as_str().unwrap();
    let (_, empty) = srv.get(&s.viewer, &format!("/v1/feed?after={next}&wait=0"));
    assert!(empty["events"].as_array().unwrap().is_empty());
    assert_eq!(empty["cursor"].as_str(), Some(next));
}

#[test]
fn snapshots_are_gzipped_when_asked_and_metrics_count() {
    let s = setup();
    let srv = s.serve();
    for i in 0..50 {
        srv.post(
            &s.agent,
            "/v1/events",
            &detected(&format!("e{i}"), &format!("T-{i}"), "alice").to_string(),
        );
    }
    // ureq unpacks gzip and drops the header: ask on a plain socket.
    let mut c = TcpStream::connect(srv.url.trim_start_matches("http://")).unwrap();
    write!(
        c,
        "GET /v1/tickets HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\nAuthorization: Bearer {}\r\n\r\n",
        s.viewer
    )
    .unwrap();
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).unwrap();
    let head =
        String::from_utf8_lossy(&raw[..raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap()])
            .to_lowercase();
    assert!(
        head.starts_with("http/1.1 200") && head.contains("content-encoding: gzip"),
        "{head}"
    );
    // An append's answer is too small to gain from gzip: sent as it is, even when asked.
    let mut c = TcpStream::connect(srv.url.trim_start_matches("http://")).unwrap();
    let body = detected("e-plain", "T-plain", "alice").to_string();
    write!(
        c,
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\nAuthorization: Bearer {}\r\n\r\n{body}",
        body.len(),
        s.agent
    )
    .unwrap();
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).unwrap();
    let answer = String::from_utf8_lossy(&raw).to_lowercase();
    assert!(
        answer.starts_with("http/1.1 201") && !answer.contains("content-encoding"),
        "{answer}"
    );
    assert!(answer.contains("\"stored\":1"), "{answer}");
    let (_, m) = server_support::answer(ureq::get(&format!("{}/metrics", srv.url)).call());
    let m = m.as_str().unwrap().to_owned();
    assert!(m.contains("slawatch_events_appended_total 51"), "{m}");
    assert!(m.contains("slawatch_feed_waiters 0"));
    assert!(m.contains("slawatch_http_request_duration_seconds_count{route=\"/v1/events\"} 51"));
}

#[test]
fn bad_serve_flags_name_the_flag_and_nothing_listens() {
    let s = setup();
    for (flag, value, says) in [
        (
            "--connections",
            "0",
            "--connections 0: must be from 1 to 64",
        ),
        (
            "--connections",
            "65",
            "--connections 65: must be from 1 to 64",
        ),
        ("--io-threads", "0", "--io-threads 0: must be from 1 to 256"),
        (
            "--io-threads",
            "100000",
            "--io-threads 100000: must be from 1 to 256",
        ),
        ("--io-threads", "two", "--io-threads"),
    ] {
        let port = server_support::free_port();
        let out = std::process::Command::new(server_support::BIN)
            .args(s.store())
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                flag,
                value,
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{flag} {value} was taken");
        assert!(err.contains(says), "{flag} {value}: {err}");
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "{flag} {value}: listening"
        );
    }
    // The smallest runtime answers as the default one does.
    let srv = Serve::start(&s.store(), &["--io-threads", "1", "--connections", "1"]);
    let (status, _) = srv.post(
        &s.agent,
        "/v1/events",
        &detected("io1", "T-IO", "alice").to_string(),
    );
    assert_eq!(status, 201);
    let (status, body) = srv.get(&s.viewer, "/v1/tickets/T-IO");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn too_many_requests_per_token_get_429() {
    let s = setup();
    let srv = Serve::start(&s.store(), &["--rate-limit", "1"]);
    let codes: Vec<u16> = (0..4)
        .map(|_| srv.get(&s.viewer, "/v1/tickets").0)
        .collect();
    assert_eq!(
        codes,
        [200, 200, 429, 429],
        "a burst of twice the rate, then 429"
    );
    assert_eq!(
        srv.get(&s.agent, "/v1/tickets").0,
        200,
        "limits are per token"
    );
}

#[test]
fn a_client_that_never_reads_its_long_poll_does_not_hold_the_server() {
    let s = setup();
    let mut srv = s.serve();
    let addr = srv.url.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..20 {
        let mut c = TcpStream::connect(&addr).unwrap();
        write!(
            c,
            "GET /v1/feed?wait=60 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
            s.viewer
        )
        .unwrap();
        idle.push(c);
    }
    // A half-sent request, too.
    let mut half = TcpStream::connect(&addr).unwrap();
    half.write_all(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        .unwrap();
    assert_eq!(
        srv.post(
            &s.agent,
            "/v1/events",
            &detected("e1", "T-1", "alice").to_string()
        )
        .0,
        201
    );
    assert_eq!(srv.get(&s.viewer, "/v1/tickets").0, 200);
    // SIGTERM: long-polls are answered at once and the process exits cleanly.
    let status = srv.terminate();
    assert!(status.success(), "{status:?}");
    let mut answered = String::new();
    idle[0]
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = idle[0].read_to_string(&mut answered);
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert!(
        answered.contains("e1"),
        "the closing long-poll still carries what arrived"
    );
}

#[test]
fn refusals_leave_the_pooled_connection_usable_for_the_next_request() {
    let s = setup();
    let srv = s.serve();
    let url = format!("{}/v1/events", srv.url);
    for i in 0..25 {
        let body = detected(&format!("k{i}"), &format!("K-{i}"), "alice").to_string();
        // Every refusal comes before the old server read the body; each request here
        // reuses the one pooled connection, so a connection closed early fails it.
        assert_eq!(srv.post(&s.viewer, "/v1/events", &body).0, 403);
        assert_eq!(
            server_support::answer(srv.agent.post(&url).send_string(&body)).0,
            401
        );
        assert_eq!(srv.post("slw_not-a-token", "/v1/events", &body).0, 401);
        assert_eq!(srv.post(&s.agent, "/v1/events", "{\"id\": 1}").0, 422);
        assert_eq!(srv.post(&s.agent, "/v1/events", &body).0, 201);
    }
}

/// One request with any method, path and content type: status, `Content-Type`, `Allow`
/// and the body as JSON.
fn raw(
    srv: &Serve,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<(&str, &str)>,
) -> (u16, String, String, Value) {
    let mut req = srv.agent.request(method, &format!("{}{path}", srv.url));
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let r = match body {
        Some((content_type, text)) => req.set("Content-Type", content_type).send_string(text),
        None => req.call(),
    };
    let resp = match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let status = resp.status();
    let content_type = resp.header("content-type").unwrap_or_default().to_owned();
    let allow = resp.header("allow").unwrap_or_default().to_owned();
    let text = resp.into_string().unwrap();
    let json = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("{method} {path} answered {status} with non-JSON {text:?}: {e}")
    });
    (status, content_type, allow, json)
}

/// What a refusal case sends (what, token, method, path, content type and body) and
/// the status and words it must be answered with.
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    &'a str,
    &'a str,
    Option<(&'a str, &'a str)>,
    u16,
    &'a str,
);

#[test]
fn every_refusal_is_json_in_the_api_error_shape() {
    let s = setup();
    let srv = s.serve();
    let tok = Some(s.agent.as_str());
    let cases: Vec<Case> = vec![
        (
            "unknown route",
            tok,
            "GET",
            "/v1/nothing-here",
            None,
            404,
            "no route GET /v1/nothing-here",
        ),
        (
            "unknown route, no token",
            None,
            "GET",
            "/nothing",
            None,
            404,
            "no route GET /nothing",
        ),
        (
            "wrong method",
            tok,
            "DELETE",
            "/v1/events",
            None,
            405,
            "/v1/events does not take DELETE",
        ),
        (
            "wrong method on a path with a parameter",
            tok,
            "POST",
            "/v1/tickets/T-1",
            None,
            405,
            "does not take POST",
        ),
        (
            "a query value of the wrong type",
            tok,
            "GET",
            "/v1/feed?wait=soon",
            None,
            400,
            "query string:",
        ),
        (
            "a negative limit",
            tok,
            "GET",
            "/v1/nudges/sent?limit=-1",
            None,
            400,
            "query string:",
        ),
        (
            "an unknown query parameter",
            tok,
            "GET",
            "/v1/snoozes?then=1",
            None,
            400,
            "query string:",
        ),
        (
            "a path segment that is not UTF-8",
            tok,
            "GET",
            "/v1/tickets/%FF",
            None,
            400,
            "path:",
        ),
        (
            "the same on evidence",
            tok,
            "GET",
            "/v1/evidence/%C3%28",
            None,
            400,
            "path:",
        ),
        (
            "a body of another format",
            tok,
            "POST",
            "/v1/events",
            Some(("application/xml", "<event/>")),
            415,
            "Content-Type \"application/xml\"",
        ),
        (
            "a snooze of another format",
            tok,
            "PUT",
            "/v1/snoozes/T-1",
            Some(("multipart/form-data", "x")),
            415,
            "the body must be JSON",
        ),
        (
            "unparseable JSON in a snooze",
            tok,
            "PUT",
            "/v1/snoozes/T-1",
            Some(("application/json", "{\"until\": ")),
            422,
            "line 1:",
        ),
        (
            "unparseable JSON in a claim",
            tok,
            "POST",
            "/v1/nudges/claim",
            Some(("application/json", "nudges")),
            422,
            "line 1:",
        ),
        (
            "unparseable JSON events",
            tok,
            "POST",
            "/v1/events",
            Some(("application/json", "[{\"id\": ")),
            422,
            "problem(s) in the body",
        ),
    ];
    for (what, token, method, path, body, status, says) in cases {
        let (got, content_type, allow, v) = raw(&srv, token, method, path, body);
        assert_eq!(got, status, "{what}: {method} {path}: {v}");
        assert!(
            content_type.starts_with("application/json"),
            "{what}: {content_type}"
        );
        let error = v["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no error field in {v}"));
        assert!(
            error.contains(says),
            "{what}: {error:?} should say {says:?}"
        );
        if status == 405 {
            assert!(
                !allow.is_empty(),
                "{what}: a 405 names what the route takes"
            );
        }
    }
    // One id for two different events in one body: the conflict of an id reused for
    // other content, as when the other one is already stored.
    let twice = json!([
        detected("dup", "T-D1", "alice"),
        detected("dup", "T-D2", "alice")
    ])
    .to_string();
    let (code, _, _, v) = raw(
        &srv,
        tok,
        "POST",
        "/v1/events",
        Some(("application/json", &twice)),
    );
    assert_eq!(code, 409, "{v}");
    assert!(
        v["problems"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("line 1: field id:"),
        "{v}"
    );
    let (_, _, allow, _) = raw(&srv, tok, "DELETE", "/v1/events", None);
    assert!(allow.contains("POST"), "{allow}");
    // The token is checked before the parameters: a stranger learns nothing about them.
    let (code, _, _, v) = raw(&srv, None, "GET", "/v1/feed?wait=soon", None);
    assert_eq!(code, 401, "{v}");
    // Labels that plain clients send for JSON are taken as JSON (curl --data-binary).
    let body = detected("ct1", "T-CT", "alice").to_string();
    for (i, label) in [
        "application/x-www-form-urlencoded",
        "text/plain; charset=utf-8",
        "application/json; charset=utf-8",
    ]
    .iter()
    .enumerate()
    {
        let body = body
            .replace("ct1", &format!("ct{i}"))
            .replace("T-CT", &format!("T-CT{i}"));
        let (code, _, _, v) = raw(&srv, tok, "POST", "/v1/events", Some((label, &body)));
        assert_eq!(code, 201, "{label}: {v}");
    }
}

/// An event of `kind` on `ticket` that happened `ago` minutes before now.
fn at_minutes_ago(id: &str, ticket: &str, kind: &str, ago: i64, payload: Value) -> Value {
    let mut e = event(id, ticket, kind, "alice", payload);
    let at = (chrono::Utc::now() - chrono::TimeDelta::minutes(ago))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    e["at"] = json!(at);
    e["recorded_at"] = json!(at);
    e
}

#[test]
fn closed_tickets_are_picked_by_when_they_closed_and_what_they_say() {
    let s = setup();
    let srv = s.serve();
    let detect = |id: &str, t: &str, title: &str| {
        let p = json!({"priority": "P2", "customer": "acme-telecom", "title": title});
        at_minutes_ago(id, t, "detected", 120, p)
    };
    let events = [
        detect("d1", "T-1", "still open"),
        detect("d2", "T-2", "Fibre cut near Lyon"),
        detect("d3", "T-3", "Router reboot loop"),
        at_minutes_ago("r2", "T-2", "resolved", 50, json!({"root_cause": "x"})),
        at_minutes_ago("r3", "T-3", "resolved", 10, json!({"root_cause": "x"})),
    ];
    let body = serde_json::to_string(&events).unwrap();
    assert_eq!(srv.post(&s.agent, "/v1/events", &body).0, 201);
    let names = |v: &Value| -> Vec<String> {
        v["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["ticket"].as_str().unwrap().to_owned())
            .collect()
    };
    let (code, all) = srv.get(&s.viewer, "/v1/tickets?state=closed&limit=500");
    assert_eq!(code, 200);
    assert_eq!(names(&all), ["T-3", "T-2"], "newest closed first");
    let (_, one) = srv.get(&s.viewer, "/v1/tickets?state=closed&limit=1");
    assert_eq!(names(&one), ["T-3"]);
    let since = (chrono::Utc::now() - chrono::TimeDelta::minutes(30)).to_rfc3339();
    let since = since.replace('+', "%2B");
    let (_, recent) = srv.get(
        &s.viewer,
        &format!("/v1/tickets?state=closed&closed_since={since}"),
    );
    assert_eq!(names(&recent), ["T-3"]);
    let (_, fibre) = srv.get(&s.viewer, "/v1/tickets?state=closed&q=FIBRE");
    assert_eq!(names(&fibre), ["T-2"]);
    let (_, open) = srv.get(&s.viewer, "/v1/tickets?state=closed&q=still");
    assert!(names(&open).is_empty(), "an open ticket is never listed");
    // They pick among closed tickets only: open ones are always all listed.
    let (code, open) = srv.get(&s.viewer, "/v1/tickets?state=open&q=nothing&limit=1");
    assert_eq!(code, 200);
    assert_eq!(names(&open), ["T-1"]);
    let (code, all) = srv.get(&s.viewer, "/v1/tickets?state=all&q=router");
    assert_eq!(code, 200);
    assert_eq!(
        names(&all),
        ["T-1", "T-3"],
        "open ones, then the closed picked"
    );
    for (query, says) in [
        ("state=closed&limit=0", "limit=0"),
        ("state=closed&limit=501", "limit=501"),
        (
            "state=closed&closed_since=yesterday",
            "expected an RFC 3339 instant",
        ),
    ] {
        let (code, err) = srv.get(&s.viewer, &format!("/v1/tickets?{query}"));
        assert_eq!(code, 400, "{query}");
        assert!(err.to_string().contains(says), "{query}: {err}");
    }

    // The console's source asks the same through the trait it reads everything by.
    let data = tempfile::tempdir().unwrap();
    let remote =
        slawatch::sync::remote::Remote::open(&srv.url, &s.viewer, Vec::new(), data.path()).unwrap();
    let mut source = remote.connector().connect(slawatch::sync::Purpose::Read);
    let q = slawatch::sync::closed::ClosedQuery::text("router");
    let found = source.closed(&q).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "T-3");
    assert_eq!(
        found[0].1.as_ref().unwrap().title.as_ref() as &str,
        "Router reboot loop"
    );
}
