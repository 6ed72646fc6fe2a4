//! A bounded property-based run of `slawatch serve` against `assets/openapi.yaml` with
//! schemathesis (PyPI): every operation, every check (`-c all`), a fixed seed, over a
//! temp SQLite store with the demo data and a supervisor token. The binary is
//! `$SLAWATCH_SCHEMATHESIS`, else `.venv/bin/schemathesis` in the repo (which `.ci/run`
//! makes), else `schemathesis` on PATH; without one the test skips loudly, and fails
//! under SLAWATCH_REQUIRE_SERVICES=1 (CI).

mod server_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use server_support::{token, Serve, BIN};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn schemathesis() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SLAWATCH_SCHEMATHESIS") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "SLAWATCH_SCHEMATHESIS={} is not a file",
            p.display()
        );
        return Some(p);
    }
    let venv = Path::new(REPO).join(".venv/bin/schemathesis");
    if venv.is_file() {
        return Some(venv);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("schemathesis"))
        .find(|p| p.is_file())
}

#[test]
fn the_api_answers_as_openapi_yaml_describes_under_a_bounded_property_based_run() {
    let Some(st) = schemathesis() else {
        let why =
            "schemathesis not found (SLAWATCH_SCHEMATHESIS, .venv/bin/schemathesis or PATH): \
                   `python3 -m venv .venv && .venv/bin/pip install schemathesis==4.32.5`";
        if std::env::var("SLAWATCH_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("{why} (required: SLAWATCH_REQUIRE_SERVICES=1)");
        }
        eprintln!("SKIPPED the schemathesis run: {why}");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db").display().to_string();
    let store = ["--db", db.as_str()];
    let demo = Command::new(BIN)
        .args(store)
        .args(["demo", "--now", "2026-03-10T12:00:00Z"])
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let supervisor = token(&store, "sup", "supervisor", &[]);
    // The run sends thousands of requests from one token; the limiter has its own test
    // (server_api.rs), and 429s here would only hide the answers being checked.
    let srv = Serve::start(&store, &["--rate-limit", "1000000"]);
    let spec = Path::new(REPO).join("assets/openapi.yaml");
    let config = Path::new(REPO).join("assets/schemathesis.toml");
    // In the temp directory: schemathesis and hypothesis keep their example databases
    // in the working directory, and a database carried from run to run would make the
    // seeded run depend on the runs before it.
    let out = Command::new(&st)
        .current_dir(dir.path())
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(&spec)
        .args(["-u", &srv.url])
        .args(["-H", &format!("Authorization: Bearer {supervisor}")])
        .args(["-n", "25", "--max-time", "150", "-c", "all", "--seed", "1"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", st.display()));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "schemathesis found answers that differ from assets/openapi.yaml:\n{report}"
    );
    let operations = regex::Regex::new(r"(?m)^    (get|post|put|delete|patch):")
        .unwrap()
        .find_iter(&std::fs::read_to_string(&spec).unwrap())
        .count();
    assert!(
        report.contains(&format!("Tested: {operations}")),
        "every one of the spec's {operations} operations was to be tested:\n{report}"
    );
}
