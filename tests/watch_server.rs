//! `slawatch watch --server URL` against a real `slawatch serve` on a SQLite store:
//! nudges of the server's tickets, the token from SLAWATCH_TOKEN, --token-file or
//! config.toml, a nudge claimed by a console heard once, and a server that stops and
//! comes back.

mod server_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};
use server_support::{free_port, token, Serve, BIN};
use slawatch::model::{Event, EventKind, Payload};
use slawatch::store::{SqliteStore, Store};

/// A P1 ticket detected `minutes_ago` (acknowledge within 15 min).
fn detected(ticket: &str, minutes_ago: i64) -> Event {
    let at = Utc::now() - TimeDelta::minutes(minutes_ago);
    let payload: Payload = serde_json::from_value(
        json!({"priority": "P1", "customer": "acme-telecom", "title": "LOS on LDN-FRA-7"}),
    )
    .unwrap();
    Event::new(ticket, EventKind::Detected, at, at, "monitoring", payload)
}

fn append(db: &Path, events: &[Event]) {
    SqliteStore::open(db).unwrap().append_all(events).unwrap();
}

/// A home of its own (config, data directory with the outbox) and a store.
struct Team {
    home: tempfile::TempDir,
    db: PathBuf,
    alice: String,
}

impl Team {
    fn new(tickets: &[Event]) -> Team {
        let home = tempfile::tempdir().unwrap();
        let db = home.path().join("team.db");
        append(&db, tickets);
        let alice = token(&["--db", db.to_str().unwrap()], "alice", "agent", &[]);
        Team { home, db, alice }
    }

    fn store(&self) -> [&str; 2] {
        ["--db", self.db.to_str().unwrap()]
    }

    fn command(&self, url: &str, args: &[&str], token: Option<&str>) -> Command {
        let home = self.home.path();
        let mut cmd = Command::new(BIN);
        cmd.args(["--server", url])
            .args(args)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("TZ", "UTC")
            .env_remove("SLAWATCH_AGENT")
            .env_remove("SLAWATCH_DB")
            .env_remove("SLAWATCH_SERVER")
            .env_remove("SLAWATCH_TOKEN")
            .stdin(Stdio::null());
        if let Some(t) = token {
            cmd.env("SLAWATCH_TOKEN", t);
        }
        cmd
    }

    fn watch(&self, url: &str, args: &[&str], token: Option<&str>) -> Output {
        let args = [&["watch", "--no-desktop", "--json"][..], args].concat();
        self.command(url, &args, token).output().unwrap()
    }
}

fn nudges(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn tickets_nudged(stdout: &str) -> Vec<String> {
    nudges(stdout)
        .iter()
        .map(|n| n["ticket"].as_str().unwrap().to_owned())
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn watch_on_a_server_prints_its_nudges_with_the_token_from_env_file_or_config() {
    // 75% of T-1's acknowledgement passed a minute ago.
    let team = Team::new(&[detected("T-1", 12)]);
    let srv = Serve::start(&team.store(), &[]);
    let out = team.watch(&srv.url, &["--run-for", "2"], Some(&team.alice));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "slawatch watch: nudging alice about the open tickets on {} as alice\n",
            srv.url
        )),
        "{stderr}"
    );
    assert!(stderr.contains("following 1 open tickets"), "{stderr}");
    let n = nudges(&stdout);
    assert_eq!(n.len(), 1, "{stdout}");
    assert_eq!(n[0]["ticket"], "T-1");
    assert_eq!(n[0]["summary"], "P1 T-1 breaches acknowledgement in 3 min");
    // Claimed on the server, for the token's name.
    let (code, sent) = srv.get(&team.alice, "/v1/nudges/sent?since=0&limit=10");
    assert_eq!(code, 200, "{sent}");
    assert_eq!(sent["nudges"].as_array().unwrap().len(), 1, "{sent}");

    // The user is the token's: another name is refused, saying why.
    let out = team.watch(
        &srv.url,
        &["--user", "bob", "--run-for", "1"],
        Some(&team.alice),
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("--user bob: on a server the nudges are the token's, alice's"),
        "{err}"
    );

    // --token-file and config.toml's token_file, with no SLAWATCH_TOKEN; the nudge was
    // heard already, so neither prints it again.
    let file = team.home.path().join("alice.token");
    std::fs::write(&file, format!("{}\n", team.alice)).unwrap();
    let file = file.to_str().unwrap();
    let out = team.watch(&srv.url, &["--token-file", file, "--run-for", "1"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("slawatch watch: nudging alice"));
    assert_eq!(text(&out.stdout), "");
    let config = team.home.path().join("config/slawatch");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!("token_file = {:?}\n", file),
    )
    .unwrap();
    let out = team.watch(&srv.url, &["--run-for", "1"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("slawatch watch: nudging alice"));
    assert_eq!(text(&out.stdout), "");

    // The console reads the same token the same way: --token-file wins over the
    // configured file, and with a token it gets as far as asking for a terminal.
    let missing = team.home.path().join("missing.token");
    let out = team
        .command(&srv.url, &["--token-file", missing.to_str().unwrap()], None)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "--token-file {}: cannot read the token",
            missing.display()
        )),
        "{err}"
    );
    let out = team
        .command(&srv.url, &["--token-file", file], None)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(err.contains("the console needs a terminal"), "{err}");
}

#[test]
fn a_nudge_a_console_claimed_is_not_heard_again_from_a_watcher_of_the_same_user() {
    let team = Team::new(&[detected("T-1", 12), detected("T-2", 12)]);
    let srv = Serve::start(&team.store(), &[]);

    // A console of alice's: the nudge service over the remote source, as the console
    // starts it, told about T-1 only.
    let data = team.home.path().join("console-data");
    let remote =
        slawatch::sync::remote::Remote::open(&srv.url, &team.alice, Vec::new(), &data).unwrap();
    let connect = remote.connector();
    let mut source = connect.connect(slawatch::sync::Purpose::Write);
    let mut open = Vec::new();
    source.snapshot(100, &mut |c| open.extend(c)).unwrap();
    let t1: Vec<_> = open.into_iter().filter(|(t, _)| t == "T-1").collect();
    assert_eq!(t1.len(), 1);
    let cfg = slawatch::tui::load_config(None).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let heard = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let service = slawatch::notify::start(
            slawatch::notify::Start {
                user: remote.user().to_owned(),
                policies: std::sync::Arc::new(cfg.policies),
                calendars: cfg.calendars,
                quiet: slawatch::sla::Severity::Warning,
                desktop: None,
            },
            slawatch::notify::SourceLog(connect.connect(slawatch::sync::Purpose::Write)),
            move |m| {
                let _ = tx.send(m);
            },
            |_| {},
        );
        service.handle().tickets(t1);
        let heard = loop {
            let m = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .expect("the console's nudge in time")
                .unwrap();
            if let slawatch::notify::NudgeMsg::Fired(n) = m {
                break n.ticket.clone();
            }
        };
        service.stop().await;
        heard
    });
    assert_eq!(heard, "T-1");

    // alice's watcher: T-2's nudge, not T-1's again.
    let out = team.watch(&srv.url, &["--run-for", "3"], Some(&team.alice));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(tickets_nudged(&text(&out.stdout)), ["T-2"]);
    let (_, sent) = srv.get(&team.alice, "/v1/nudges/sent?since=0&limit=10");
    let mut sent: Vec<&str> = sent["nudges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["ticket"].as_str().unwrap())
        .collect();
    sent.sort_unstable();
    assert_eq!(sent, ["T-1", "T-2"]);
}

/// A watcher with its output in files, read while it runs.
struct Running {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Running {
    fn start(team: &Team, url: &str) -> Running {
        let (out, err) = (
            team.home.path().join("watch.out"),
            team.home.path().join("watch.err"),
        );
        let child = team
            .command(
                url,
                &["watch", "--no-desktop", "--json", "--run-for", "120"],
                Some(&team.alice),
            )
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        Running { child, out, err }
    }

    /// Waits (at most a minute) until standard error holds `text` and, if given, a
    /// nudge about `ticket` was printed; the watcher must keep running meanwhile.
    fn wait_for(&mut self, text: &str, ticket: Option<&str>) {
        self.wait_until(&format!("{text:?} and {ticket:?}"), |err, out| {
            err.contains(text) && ticket.is_none_or(|t| tickets_nudged(out).iter().any(|n| n == t))
        });
    }

    fn wait_until(&mut self, what: &str, done: impl Fn(&str, &str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let err = std::fs::read_to_string(&self.err).unwrap();
            let out = std::fs::read_to_string(&self.out).unwrap();
            if done(&err, &out) {
                return;
            }
            let ended = self.child.try_wait().unwrap();
            if Instant::now() > deadline || ended.is_some() {
                let _ = self.child.kill();
                panic!("waited for {what} (ended: {ended:?}):\nstderr:\n{err}\nstdout:\n{out}");
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
fn watch_keeps_running_while_the_server_is_stopped_and_picks_up_when_it_is_back() {
    let team = Team::new(&[detected("T-1", 12)]);
    let port = free_port();
    let mut srv = Serve::start_at(&team.store(), &[], port);
    let mut w = Running::start(&team, &srv.url);
    w.wait_for("following 1 open tickets", Some("T-1"));

    srv.terminate();
    w.wait_for("cannot follow the server", None);
    w.wait_for(&format!("{} as alice unreachable since", srv.url), None);

    // A ticket that breached while the server was down.
    append(&team.db, &[detected("T-2", 61)]);
    let srv = Serve::start_at(&team.store(), &[], port);
    w.wait_for("the server answers again", Some("T-2"));
    // The link as it was at the start, and again after the restart.
    let answers = format!("{} as alice answers\n", srv.url);
    w.wait_until("the link back", |err, _| err.matches(&answers).count() == 2);
    let out = std::fs::read_to_string(&w.out).unwrap();
    let mut heard: Vec<String> = nudges(&out)
        .iter()
        .map(|n| {
            let key = ["ticket", "metric", "kind", "value", "cycle_start"];
            key.map(|k| n[k].to_string()).join(" ")
        })
        .collect();
    let all = heard.len();
    heard.sort();
    heard.dedup();
    assert_eq!(heard.len(), all, "a nudge heard twice: {out}");
    let mut tickets = tickets_nudged(&out);
    tickets.dedup();
    assert_eq!(tickets, ["T-1", "T-2"], "{out}");
}

/// `serve` over HTTPS with a self-signed certificate for localhost: (process, URL,
/// certificate file).
fn serve_tls(team: &Team) -> (Child, String, String) {
    let signed = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = team.home.path().join("cert.pem");
    let key = team.home.path().join("key.pem");
    std::fs::write(&cert, signed.cert.pem()).unwrap();
    std::fs::write(&key, signed.key_pair.serialize_pem()).unwrap();
    let port = free_port();
    let child = Command::new(BIN)
        .args(team.store())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "serve did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (
        child,
        format!("https://localhost:{port}"),
        cert.display().to_string(),
    )
}

#[test]
fn watch_and_the_console_trust_a_self_signed_server_only_with_its_ca_cert() {
    let team = Team::new(&[detected("T-1", 12)]);
    let (mut serve, url, cert) = serve_tls(&team);

    let out = team.watch(
        &url,
        &["--ca-cert", &cert, "--run-for", "2"],
        Some(&team.alice),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(tickets_nudged(&text(&out.stdout)), ["T-1"]);

    // Without it: refused at start, saying why and what to do (not taken for a server
    // that is away, though a start on this machine already knows the token's name).
    let out = team.watch(&url, &["--run-for", "2"], Some(&team.alice));
    assert!(!out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "--server {url}: {url} unreachable: the server's TLS certificate is not trusted"
        )) && err.contains("pass --ca-cert FILE"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // The console connects the same way: with the certificate it gets as far as asking
    // for a terminal.
    let console = |args: &[&str]| {
        let out = team
            .command(&url, args, Some(&team.alice))
            .output()
            .unwrap();
        text(&out.stderr)
    };
    let err = console(&["--ca-cert", &cert]);
    assert!(err.contains("the console needs a terminal"), "{err}");
    let err = console(&[]);
    assert!(
        err.contains("the server's TLS certificate is not trusted"),
        "{err}"
    );
    let _ = serve.kill();
    let _ = serve.wait();
}
