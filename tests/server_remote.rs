//! `import`, `export`, `report`, `penalties` (and `penalties adjust`) and `evidence` with `--server URL` against a
//! real `slawatch serve`, over HTTP and HTTPS, giving what they give with `--db`.

mod common;
mod server_support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use server_support::{detected, event, token, Serve, BIN};

fn slawatch(args: &[&str], token: &str) -> Output {
    Command::new(BIN)
        .args(args)
        .env("SLAWATCH_TOKEN", token)
        .env_remove("SLAWATCH_DB")
        .env_remove("SLAWATCH_SERVER")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn ok(args: &[&str], token: &str) -> String {
    let out = slawatch(args, token);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str], token: &str) -> String {
    let out = slawatch(args, token);
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Three events of alice's on two tickets, as JSON lines.
fn events_file(dir: &Path) -> String {
    let lines = [
        detected("r1", "R-1", "alice"),
        event("r2", "R-1", "acknowledged", "alice", serde_json::json!({})),
        detected("r3", "R-2", "alice"),
    ];
    let path = dir.join("events.jsonl");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn the_commands_work_through_the_server_as_on_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db").display().to_string();
    let key = dir.path().join("checkpoint.key").display().to_string();
    let store = ["--db", db.as_str()];
    let alice = token(&store, "alice", "supervisor", &[]);
    let viewer = token(&store, "victor", "viewer", &[]);
    let srv = Serve::start(&store, &["--key", &key]);
    let url = srv.url.clone();
    let url = url.as_str();
    let file = events_file(dir.path());

    let first = ok(&["--server", url, "import", &file], &alice);
    assert!(
        first.contains("imported 3 new event(s) (0 already stored) for 2 ticket(s)"),
        "{first}"
    );
    let again = ok(&["--server", url, "import", &file], &alice);
    assert!(
        again.contains("imported 0 new event(s) (3 already stored)"),
        "{again}"
    );

    let remote = ok(&["--server", url, "export"], &viewer);
    let local = ok(&["--db", &db, "export"], "");
    assert_eq!(remote, local);
    assert_eq!(remote.lines().count(), 3);
    let one = ok(
        &[
            "--server", url, "export", "--ticket", "R-1", "--format", "csv",
        ],
        &viewer,
    );
    assert_eq!(
        one,
        ok(
            &["--db", &db, "export", "--ticket", "R-1", "--format", "csv"],
            ""
        )
    );

    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let month = &now[..7];
    for format in ["md", "json"] {
        let args = [
            "report", "--month", month, "--format", format, "--now", &now,
        ];
        let remote = ok(&[&["--server", url][..], &args].concat(), &viewer);
        assert_eq!(
            remote,
            ok(&[&["--db", db.as_str()][..], &args].concat(), "")
        );
    }
    let args = ["penalties", "--month", month, "--now", &now];
    assert_eq!(
        ok(&[&["--server", url][..], &args].concat(), &viewer),
        ok(&[&["--db", db.as_str()][..], &args].concat(), "")
    );

    let out = dir.path().join("pkg").display().to_string();
    let wrote = ok(
        &[
            "--server", url, "evidence", "R-1", "--out", &out, "--now", &now,
        ],
        &viewer,
    );
    assert!(wrote.contains("2 events of R-1"), "{wrote}");
    ok(&["--db", &db, "verify", "--evidence", &out], "");

    // Errors name the server and say what went wrong.
    let err = fails(
        &["--server", url, "export"],
        &format!("slw_{}", "A".repeat(43)),
    );
    assert!(
        err.contains(&format!("server {url}: unauthorised (unknown token)")),
        "{err}"
    );
    let err = fails(&["--server", url, "import", &file], &viewer);
    assert!(err.contains("refused (403)"), "{err}");
    let err = fails(&["--server", url, "export", "--ticket", "NOPE"], &viewer);
    assert!(err.contains("refused (404)"), "{err}");
    let err = fails(&["--server", url, "verify"], &viewer);
    assert!(
        err.contains("verify, migrate and token work on the database directly"),
        "{err}"
    );
    let err = fails(&["--server", url, "export"], "");
    assert!(
        err.contains("set SLAWATCH_TOKEN or pass --token-file"),
        "{err}"
    );
    drop(srv);
    let err = fails(&["--server", url, "export"], &viewer);
    assert!(
        err.contains(&format!("server {url} is unreachable: cannot connect")),
        "{err}"
    );
}

#[test]
fn an_import_the_server_refuses_is_located_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db").display().to_string();
    let store = ["--db", db.as_str()];
    let bob = token(&store, "bob", "agent", &[]);
    let srv = Serve::start(&store, &[]);
    let file = events_file(dir.path());
    // The file's events are alice's: bob may not sign them.
    let err = fails(&["--server", &srv.url, "import", &file], &bob);
    assert!(err.contains(&format!("{file}:1: field actor:")), "{err}");
    assert!(err.contains(&format!("{file}:3: field actor:")), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(ok(&["--db", &db, "export"], ""), "");
}

#[test]
fn serve_speaks_https_with_the_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db").display().to_string();
    let store = ["--db", db.as_str()];
    let alice = token(&store, "alice", "agent", &[]);
    let signed = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, signed.cert.pem()).unwrap();
    std::fs::write(&key, signed.key_pair.serialize_pem()).unwrap();
    let (cert, key) = (cert.display().to_string(), key.display().to_string());

    // Bad files are refused at start, naming the flag and the file.
    let garbage = dir.path().join("garbage.pem").display().to_string();
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let tls = |c: &str, k: &str| {
        let out = slawatch(
            &[
                "--db",
                &db,
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--tls-cert",
                c,
                "--tls-key",
                k,
            ],
            "",
        );
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = tls(&garbage, &key);
    assert!(
        err.contains(&format!("--tls-cert {garbage}: no certificate in it")),
        "{err}"
    );
    let err = tls(&cert, &garbage);
    assert!(
        err.contains(&format!("--tls-key {garbage}: no private key in it")),
        "{err}"
    );
    let missing = dir.path().join("missing.pem").display().to_string();
    let err = tls(&missing, &key);
    assert!(
        err.contains(&format!("--tls-cert {missing}: cannot read it")),
        "{err}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(BIN)
        .args([
            "--db",
            &db,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["--tls-cert", &cert, "--tls-key", &key])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("https://localhost:{port}");
    let file = events_file(dir.path());
    let started = Instant::now();
    let imported = loop {
        let out = slawatch(
            &["--server", &url, "--ca-cert", &cert, "import", &file],
            &alice,
        );
        if out.status.success() {
            break String::from_utf8(out.stdout).unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(imported.contains("imported 3 new event(s)"), "{imported}");
    let exported = ok(&["--server", &url, "--ca-cert", &cert, "export"], &alice);
    assert_eq!(exported.lines().count(), 3);
    // A client that does not trust the certificate is not let in.
    let err = fails(&["--server", &url, "export"], &alice);
    assert!(err.contains("is unreachable"), "{err}");
    let plain = fails(
        &["--server", &format!("http://localhost:{port}"), "export"],
        &alice,
    );
    assert!(plain.contains("is unreachable"), "{plain}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn penalties_are_recorded_and_adjusted_through_the_server_signed_by_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::incident_store(dir.path());
    let db = db.display().to_string();
    let store = ["--db", db.as_str()];
    let sam = token(&store, "sam", "supervisor", &[]);
    let viewer = token(&store, "victor", "viewer", &[]);
    let srv = Serve::start(&store, &[]);
    let url = srv.url.as_str();
    let id = "penalty:acme-telecom-wan:availability:2026-03";
    let recorded = ok(
        &[
            "--server",
            url,
            "penalties",
            "--month",
            "2026-03",
            "--now",
            "2026-04-02T00:00:00Z",
            "--record",
        ],
        &sam,
    );
    assert!(
        recorded.contains("recorded 2 penalty event(s)"),
        "{recorded}"
    );
    let adjust = |tok: &str, extra: &[&str]| {
        let mut args = vec![
            "--server",
            url,
            "penalties",
            "adjust",
            id,
            "--amount",
            "2400",
            "--reason",
            "50 % goodwill: third-party road works",
            "--now",
            "2026-04-10T00:00:00Z",
        ];
        args.extend_from_slice(extra);
        slawatch(&args, tok)
    };
    let out = adjust(&sam, &[]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("4,800.00 EUR → 2,400.00 EUR"), "{said}");
    // Signed by the token's name, on the penalty's ledger, after the penalty.
    let exported = ok(&["--db", &db, "export"], "");
    let adjusted: Vec<serde_json::Value> = exported
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["kind"] == "penalty_adjusted")
        .collect();
    assert_eq!(adjusted.len(), 1, "{exported}");
    assert_eq!(adjusted[0]["actor"], "sam");
    assert_eq!(adjusted[0]["payload"]["penalty"], id);
    assert_eq!(adjusted[0]["payload"]["previous"], "4800.00");
    let statement = ok(
        &[
            "--server",
            url,
            "penalties",
            "--month",
            "2026-03",
            "--customer",
            "acme-telecom",
            "--now",
            "2026-04-11T00:00:00Z",
        ],
        &viewer,
    );
    assert!(
        statement.contains(&format!("recorded {id}: 4,800.00 EUR, adjusted to 2,400.00 EUR (50 % goodwill: third-party road works)")),
        "{statement}"
    );
    // A second adjustment starts from the first.
    let again = ok(
        &[
            "--server",
            url,
            "penalties",
            "adjust",
            id,
            "--amount",
            "0",
            "--reason",
            "waived",
            "--now",
            "2026-04-12T00:00:00Z",
        ],
        &sam,
    );
    assert!(again.contains("2,400.00 EUR → 0.00 EUR"), "{again}");

    let err = String::from_utf8_lossy(&adjust(&viewer, &[]).stderr).into_owned();
    assert!(err.contains("refused (403)"), "{err}");
    let err = String::from_utf8_lossy(&adjust(&sam, &["--actor", "mallory"]).stderr).into_owned();
    assert!(
        err.contains("the token's name \"sam\" signs the adjustment"),
        "{err}"
    );
    let err = fails(
        &[
            "--server",
            url,
            "penalties",
            "adjust",
            "penalty:nope",
            "--amount",
            "1",
            "--reason",
            "x",
        ],
        &sam,
    );
    assert!(
        err.contains(&format!(
            "server {url} has no penalty event \"penalty:nope\""
        )),
        "{err}"
    );
    let err = fails(
        &[
            "--server",
            url,
            "penalties",
            "adjust",
            id,
            "--amount",
            "1.001",
            "--reason",
            "x",
        ],
        &sam,
    );
    assert!(err.contains("more decimals than EUR has (2)"), "{err}");
    let err = fails(
        &[
            "--server",
            url,
            "penalties",
            "adjust",
            id,
            "--amount",
            "1",
            "--reason",
            "x",
            "--policies",
            "p.toml",
        ],
        &sam,
    );
    assert!(err.contains("--policies applies to a store"), "{err}");
    ok(&["--db", &db, "verify"], "");
}
