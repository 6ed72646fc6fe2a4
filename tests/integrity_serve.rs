//! `serve --checkpoint-every`: a running server signs checkpoints of the Merkle tree with
//! its own key on a schedule, only when the tree grew; two servers on one PostgreSQL
//! database share the schedule (one checkpoint per period, never two of one tree).

mod server_support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use server_support::{detected, event, token, Serve, BIN};
use slawatch::store::checkpoint::Checkpoint;
use slawatch::store::postgres::scratch::ScratchDb;
use slawatch::store::postgres::PgStore;
use slawatch::store::{SqliteStore, TreeStore};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env_remove("SLAWATCH_DB")
        .env_remove("SLAWATCH_SERVER")
        .args(args)
        .output()
        .expect("run slawatch")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{args:?} failed:\n{text}");
    text
}

fn parsed(kept: Vec<(i64, String)>) -> Vec<Checkpoint> {
    kept.iter()
        .map(|(id, text)| Checkpoint::parse(text, &format!("stored checkpoint {id}")).unwrap())
        .collect()
}

/// Polls `kept` until `enough` holds of what it returns; a server that never signs
/// fails here after a generous bound, not on a timing figure.
fn wait_for(
    what: &str,
    mut kept: impl FnMut() -> Vec<Checkpoint>,
    enough: impl Fn(&[Checkpoint]) -> bool,
) -> Vec<Checkpoint> {
    let started = Instant::now();
    loop {
        let now = kept();
        if enough(&now) {
            return now;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what}: after 60 s the store keeps {} checkpoint(s): {:?}",
            now.len(),
            now.iter().map(|c| c.size).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The key id `slawatch checkpoint --key FILE` signs with: the server's own key.
fn key_id_of(dir: &Path, store: &[&str], key: &Path) -> String {
    let out = dir.join(format!(
        "probe-{}.cp",
        key.file_name().unwrap().to_string_lossy()
    ));
    let args = [
        store,
        &[
            "checkpoint",
            "--key",
            key.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    ]
    .concat();
    ok(dir, &args);
    Checkpoint::parse(&std::fs::read_to_string(&out).unwrap(), "probe")
        .unwrap()
        .key_id()
}

/// What every scheduled series must show: signatures hold, each checkpoint is of a
/// larger tree than the one before (a tree is never signed twice) and at least one
/// period after it.
fn assert_one_per_period(series: &[Checkpoint], every: Duration) {
    for cp in series {
        assert!(
            cp.signature_ok(),
            "checkpoint of size {} is forged",
            cp.size
        );
    }
    for pair in series.windows(2) {
        assert!(
            pair[1].size > pair[0].size,
            "a tree of size {} was signed after one of size {}",
            pair[1].size,
            pair[0].size
        );
        let gap = pair[1].time.signed_duration_since(pair[0].time);
        assert!(
            gap.to_std().unwrap_or_default() >= every,
            "two checkpoints {gap} apart with --checkpoint-every {every:?}"
        );
    }
}

#[test]
fn serve_signs_a_checkpoint_on_schedule_with_its_own_key_and_only_when_the_tree_grew() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db");
    let db_s = db.to_str().unwrap();
    let key = dir.path().join("server.key");
    ok(dir.path(), &["demo", "--db", db_s, "--seed", "7"]);
    let store = ["--db", db_s];
    let alice = token(&store, "alice", "agent", &[]);
    let srv = Serve::start(
        &store,
        &["--checkpoint-every", "1s", "--key", key.to_str().unwrap()],
    );
    let kept = || {
        parsed(
            SqliteStore::open(&db)
                .unwrap()
                .stored_checkpoints()
                .unwrap(),
        )
    };
    let logged = || SqliteStore::open(&db).unwrap().log_tree().unwrap().size();

    let first = wait_for("the first scheduled checkpoint", kept, |k| !k.is_empty());
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].size, logged());

    // Nothing appended: the next ticks find the tree as signed and sign nothing.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(kept().len(), 1, "an unchanged tree was signed again");

    let (code, body) = srv.post(
        &alice,
        "/v1/events",
        &detected("sched-1", "SCHED-1", "alice").to_string(),
    );
    assert_eq!(code, 201, "{body}");
    let size = logged();
    let series = wait_for("a checkpoint of the grown tree", kept, |k| {
        k.last().is_some_and(|c| c.size == size)
    });
    assert_eq!(series.len(), 2, "{:?}", series.iter().map(|c| c.size));
    assert_one_per_period(&series, Duration::from_secs(1));
    let own = key_id_of(dir.path(), &store, &key);
    assert!(series.iter().all(|c| c.key_id() == own));

    let out = ok(dir.path(), &["verify", "--db", db_s]);
    assert!(out.contains("is consistent with the log"), "{out}");
}

#[test]
fn two_servers_on_one_postgres_sign_one_checkpoint_per_period_between_them() {
    let Some(pg) = ScratchDb::create("scheduled checkpoints on two servers") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &["demo", "--database-url", &pg.url, "--seed", "7"],
    );
    let store = ["--database-url", pg.url.as_str()];
    let alice = token(&store, "alice", "agent", &[]);
    let keys = [dir.path().join("one.key"), dir.path().join("two.key")];
    let every = Duration::from_secs(2);
    let servers: Vec<Serve> = keys
        .iter()
        .map(|k| {
            Serve::start(
                &store,
                &["--checkpoint-every", "2s", "--key", k.to_str().unwrap()],
            )
        })
        .collect();
    let kept = || {
        parsed(
            PgStore::connect(&pg.url)
                .unwrap()
                .stored_checkpoints()
                .unwrap(),
        )
    };

    // Appends through both servers while both schedules run, for several periods.
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed() < Duration::from_secs(9) {
        let srv = &servers[n % 2];
        let e = event(
            &format!("grow-{n}"),
            "GROW-1",
            if n == 0 { "detected" } else { "note" },
            "alice",
            if n == 0 {
                serde_json::json!({"priority": "P2", "customer": "acme-telecom"})
            } else {
                serde_json::json!({"text": format!("update {n}")})
            },
        );
        let (code, body) = srv.post(&alice, "/v1/events", &e.to_string());
        assert_eq!(code, 201, "{body}");
        n += 1;
        std::thread::sleep(Duration::from_millis(250));
    }
    let series = wait_for("checkpoints from both schedules", kept, |k| k.len() >= 3);
    assert_one_per_period(&series, every);
    let ids: Vec<String> = keys
        .iter()
        .map(|k| key_id_of(dir.path(), &store, k))
        .collect();
    assert!(
        series.iter().all(|c| ids.contains(&c.key_id())),
        "a checkpoint signed by neither server's key"
    );

    let out = ok(dir.path(), &["verify", "--database-url", &pg.url]);
    assert!(out.contains("is consistent with the log"), "{out}");
}
