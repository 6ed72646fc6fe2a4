//! PostgreSQL restarted under a team: a private cluster (initdb + pg_ctl on a free port
//! in a temporary directory), `slawatch serve --database-url` on it, a watcher
//! (`slawatch watch --server`) and a console's `RemoteSource` connected, events being
//! appended over HTTP. While the cluster is down the console records an event, which
//! waits in its outbox. After it is back: the clients follow the server again, every
//! acknowledged (2xx) event is stored exactly once, the outbox is drained and the
//! chains verify. Skips loudly without initdb; fails then under
//! SLAWATCH_REQUIRE_SERVICES=1.

mod server_support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};
use server_support::{free_port, token, Serve, BIN};
use slawatch::model::{Event, EventKind, Payload};
use slawatch::sync::{Cursor, Expect, Purpose, SourceError};

/// How long anything this test waits for may take before it counts as hung.
const PATIENCE: Duration = Duration::from_secs(90);

/// A PostgreSQL cluster of this test's own, stopped with it.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// initdb refuses root: then the cluster's files and processes are this user's.
    user: Option<String>,
}

impl Cluster {
    /// A new cluster, started; `None` (after saying so on stderr) when PostgreSQL's
    /// server binaries are not installed and services are not required.
    fn start(test: &str) -> Option<Cluster> {
        let Some(bin) = server_bin_dir() else {
            let why = "no initdb under /usr/lib/postgresql/*/bin (install the postgresql package)";
            if std::env::var("SLAWATCH_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("{test}: a private PostgreSQL cluster is required (SLAWATCH_REQUIRE_SERVICES=1): {why}");
            }
            eprintln!("SKIPPED {test}: {why}; or SLAWATCH_REQUIRE_SERVICES=1 to fail instead");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: geteuid only reads the process's user id.
        let user = (unsafe { libc::geteuid() } == 0).then(unprivileged_user);
        if let Some(u) = &user {
            let (uid, gid) = (id_of(u, "-u"), id_of(u, "-g"));
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let c = Cluster {
            dir,
            bin,
            port: free_port(),
            user,
        };
        let data = c.data();
        c.run(
            "initdb",
            &[
                "-D", &data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "-N",
            ],
        );
        c.pg_ctl(&["start"]);
        Some(c)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl ACTION` on this cluster, waiting until it is done.
    fn pg_ctl(&self, action: &[&str]) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        let data = self.data();
        let args = [
            &["-D", data.as_str(), "-l", &log, "-w", "-o", &options][..],
            action,
        ]
        .concat();
        self.run("pg_ctl", &args);
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .command(program)
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}\nserver log:\n{log}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The newest PostgreSQL's server binaries.
fn server_bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// Who runs the cluster when the test runs as root: PostgreSQL's own user where the
/// package made one, else nobody.
fn unprivileged_user() -> String {
    let exists = |u: &str| {
        Command::new("id")
            .arg(u)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    ["postgres", "nobody"]
        .into_iter()
        .find(|u| exists(u))
        .expect("neither a postgres nor a nobody user to run PostgreSQL as (initdb refuses root)")
        .to_owned()
}

fn id_of(user: &str, which: &str) -> u32 {
    let out = Command::new("id").args([which, user]).output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("id {which} {user}: {e}"))
}

/// A P1 ticket detected `minutes_ago`, posted by the monitoring token `mon`.
fn detected(id: &str, ticket: &str, minutes_ago: i64) -> Value {
    let at = (Utc::now() - TimeDelta::minutes(minutes_ago))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    json!({"id": id, "ticket": ticket, "kind": "detected", "at": at, "recorded_at": at,
        "actor": "mon", "payload": {"priority": "P1", "customer": "acme-telecom", "title": "LOS"}})
}

fn note(id: &str, ticket: &str) -> Value {
    let at =
        (Utc::now() - TimeDelta::seconds(1)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    json!({"id": id, "ticket": ticket, "kind": "note", "at": at, "recorded_at": at,
        "actor": "mon", "payload": {"text": "still down"}})
}

/// POSTs `body` until the server answers 2xx, as a monitoring client retries: the same
/// bytes each time. Returns how many tries it took.
fn post_until_stored(url: &str, token: &str, body: &str) -> usize {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .build();
    let started = Instant::now();
    for tries in 1.. {
        let r = agent
            .post(&format!("{url}/v1/events"))
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Type", "application/json")
            .send_string(body);
        match r {
            Ok(r) if (200..300).contains(&r.status()) => return tries,
            Ok(r) => panic!("POST answered {}: {:?}", r.status(), r.into_string()),
            Err(ureq::Error::Status(code, r)) if code >= 500 => {
                let _ = r.into_string();
            }
            Err(ureq::Error::Status(code, r)) => {
                panic!("POST refused ({code}): {:?}", r.into_string())
            }
            Err(e) => panic!("POST failed: {e}"),
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the server did not store {body} within {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    unreachable!("the loop returns")
}

/// `slawatch watch --server URL`, its output in files read while it runs.
struct Watcher {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Watcher {
    fn start(home: &Path, url: &str, token: &str) -> Watcher {
        let (out, err) = (home.join("watch.out"), home.join("watch.err"));
        let child = Command::new(BIN)
            .args(["--server", url, "watch", "--no-desktop", "--json"])
            .args(["--run-for", "600"])
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("TZ", "UTC")
            .env("SLAWATCH_TOKEN", token)
            .env_remove("SLAWATCH_AGENT")
            .env_remove("SLAWATCH_DB")
            .env_remove("SLAWATCH_SERVER")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        Watcher { child, out, err }
    }

    /// Waits until standard error holds `text` `times` times and, if given, a nudge
    /// about `ticket` was printed; the watcher must keep running meanwhile.
    fn wait_for(&mut self, text: &str, times: usize, ticket: Option<&str>) {
        let started = Instant::now();
        loop {
            let err = std::fs::read_to_string(&self.err).unwrap();
            let out = std::fs::read_to_string(&self.out).unwrap();
            let nudged = |t: &str| {
                out.lines()
                    .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                    .any(|n| n["ticket"] == t)
            };
            if err.matches(text).count() >= times && ticket.is_none_or(nudged) {
                return;
            }
            let ended = self.child.try_wait().unwrap();
            if started.elapsed() > PATIENCE || ended.is_some() {
                panic!("waited for {text:?} x{times} and a nudge of {ticket:?} (ended: {ended:?}):\nstderr:\n{err}\nstdout:\n{out}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Appends notes on five tickets through `url` until told to stop, each retried until
/// stored; returns the ids acknowledged with a 2xx.
fn appender(
    url: String,
    token: String,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<String>>>,
) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut retried = 0;
        for n in 0.. {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let id = format!("a-{n}");
            let body = note(&id, &format!("L-{}", n % 5)).to_string();
            retried += post_until_stored(&url, &token, &body) - 1;
            acked.lock().unwrap().push(id);
        }
        retried
    })
}

#[test]
fn postgres_restarted_under_load_clients_reconnect_and_nothing_is_lost_or_doubled() {
    let Some(pg) = Cluster::start("PostgreSQL restart under a team") else {
        return;
    };
    let url = pg.url();
    let store = ["--database-url", url.as_str()];
    let alice = token(&store, "alice", "agent", &[]);
    let walt = token(&store, "walt", "viewer", &[]);
    let mon = token(&store, "mon", "ingest", &[]);
    let srv = Serve::start(&store, &[]);
    let home = tempfile::tempdir().unwrap();

    // T-1 for alice's acknowledgement; T-0 and L-* detected 12 minutes ago, so that a
    // P1's acknowledgement is 75 % gone and the watcher nudges at once.
    post_until_stored(&srv.url, &mon, &detected("d-T-1", "T-1", 1).to_string());
    post_until_stored(&srv.url, &mon, &detected("d-T-0", "T-0", 12).to_string());
    for t in 0..5 {
        let body = detected(&format!("d-L-{t}"), &format!("L-{t}"), 1).to_string();
        post_until_stored(&srv.url, &mon, &body);
    }

    let mut watcher = Watcher::start(home.path(), &srv.url, &walt);
    watcher.wait_for("following", 1, Some("T-0"));

    let remote = slawatch::sync::remote::Remote::open(
        &srv.url,
        &alice,
        Vec::new(),
        &home.path().join("console-data"),
    )
    .unwrap();
    let mut console = remote.connector().connect(Purpose::Write);
    let mut open = Vec::new();
    let mut cursor: Cursor = console.snapshot(1000, &mut |c| open.extend(c)).unwrap();
    assert_eq!(open.len(), 7, "{open:?}");

    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let writer = appender(
        srv.url.clone(),
        mon.clone(),
        Arc::clone(&stop),
        Arc::clone(&acked),
    );
    let wait_acked = |more: usize| {
        let target = acked.lock().unwrap().len() + more;
        let started = Instant::now();
        while acked.lock().unwrap().len() < target {
            assert!(started.elapsed() < PATIENCE, "appends stalled");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_acked(20);

    // `pg_ctl restart -m fast`, in its two halves, so that the console records while
    // the database is certainly away.
    pg.pg_ctl(&["-m", "fast", "stop"]);
    watcher.wait_for("cannot follow the server", 1, None);
    let payload: Payload = serde_json::from_value(json!({})).unwrap();
    let now = Utc::now();
    let ack = Event::new("T-1", EventKind::Acknowledged, now, now, "alice", payload);
    match console.append(&ack, &Expect::Any) {
        Err(SourceError::Unreachable(why)) => {
            assert!(why.contains("queued in the outbox"), "{why}")
        }
        other => panic!("appended with the database down: {other:?}"),
    }
    let link = console.link().unwrap();
    assert_eq!((link.queued, link.undecided), (1, 0), "{link:?}");
    assert!(link.offline_since.is_some(), "{link:?}");
    pg.pg_ctl(&["start"]);

    // The appends go on, the watcher follows again (and hears a ticket detected now),
    // the console's outbox drains through its feed reads.
    wait_acked(20);
    watcher.wait_for("the server answers again", 1, None);
    post_until_stored(&srv.url, &mon, &detected("d-T-2", "T-2", 12).to_string());
    watcher.wait_for("following", 1, Some("T-2"));
    let started = Instant::now();
    let mut seen_ack = false;
    loop {
        match console.changes(&cursor) {
            Ok(changed) => {
                seen_ack |= changed.tickets.iter().any(|(t, _)| t == "T-1");
                cursor = changed.cursor.unwrap_or(cursor);
            }
            Err(SourceError::Unreachable(_)) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("the console's feed read: {e}"),
        }
        let link = console.link().unwrap();
        if seen_ack && link.queued == 0 && link.offline_since.is_none() {
            assert_eq!(link.undecided, 0, "{link:?}");
            break;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the console did not catch up: {link:?}, T-1 seen: {seen_ack}"
        );
    }
    stop.store(true, Ordering::SeqCst);
    let retried = writer.join().unwrap();
    assert!(retried > 0, "no append met the database down");
    drop(watcher);

    // Every acknowledged event once, the console's acknowledgement once, signed alice.
    let out = Command::new(BIN)
        .args(store)
        .arg("export")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for e in &events {
        *count.entry(e["id"].as_str().unwrap()).or_default() += 1;
    }
    let acked = acked.lock().unwrap();
    for id in acked.iter() {
        assert_eq!(count.get(id.as_str()), Some(&1), "acknowledged {id}");
    }
    let doubled: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "{doubled:?}");
    // Nothing but what was acknowledged: the seed, the notes, the console's event.
    assert_eq!(events.len(), 8 + acked.len() + 1, "{events:#?}");
    let acks: Vec<_> = events
        .iter()
        .filter(|e| e["kind"] == "acknowledged")
        .collect();
    assert_eq!(acks.len(), 1, "{acks:#?}");
    assert_eq!(acks[0]["id"], ack.id.as_str());
    assert_eq!(acks[0]["actor"], "alice");
    assert_eq!(acks[0]["ticket"], "T-1");

    let verify = Command::new(BIN)
        .args(store)
        .arg("verify")
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    drop(srv);
}
