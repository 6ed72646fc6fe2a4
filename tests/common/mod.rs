//! A carrier incident worked by hand, shared by the penalty and evidence tests.
//!
//! ACME-1001 (acme-telecom, P1, shipped contract `acme-telecom-wan`, billed in
//! Europe/London): detected 2026-03-03 10:00 UTC, restored 15:00, with a customer-caused
//! pause 11:00 → 11:30. March 2026 in London has 743 h = 44,580 min.
//!
//! - availability: outage 300 min − 30 min excluded (customer) = 270 min;
//!   (44580 − 270) / 44580 = 99.3943 % < 99.5 → band 2: 10 % × 48,000.00 = 4,800.00 EUR
//! - restore (P1 target 4 h): 5 h − 30 min paused = 4 h 30 min > 4 h → 750.00 EUR
//!
//! ACME-1002 (P2) is a second, overlapping outage 14:00 → 16:00 on the same day; it adds
//! 60 min (15:00 → 16:00) to the month's outage in the tampering tests' store only.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub const EVIL_TITLE: &str = "LOS on LDN-FRA-3 <script>alert('x')</script> \u{1b}[31m";

pub fn events_jsonl() -> String {
    let title = serde_json::to_string(EVIL_TITLE).unwrap();
    let lines = [
        format!(r#"{{"id":"e01","ticket":"ACME-1001","kind":"detected","at":"2026-03-03T10:00:00Z","actor":"monitoring","payload":{{"priority":"P1","customer":"acme-telecom","service":"circuit-ldn-fra-3","title":{title}}}}}"#),
        r#"{"id":"e02","ticket":"ACME-1001","kind":"acknowledged","at":"2026-03-03T10:05:00Z","actor":"alice","payload":{}}"#.to_owned(),
        r#"{"id":"e03","ticket":"ACME-1001","kind":"escalated","at":"2026-03-03T10:20:00Z","actor":"alice","payload":{"level":1,"to":"noc-l2","note":"loss of light both ends"}}"#.to_owned(),
        r#"{"id":"e04","ticket":"ACME-1001","kind":"client_update","at":"2026-03-03T10:30:00Z","actor":"alice","payload":{"channel":"email","message":"Investigating <b>now</b>; next update within the hour"}}"#.to_owned(),
        r#"{"id":"e05","ticket":"ACME-1001","kind":"paused","at":"2026-03-03T11:00:00Z","actor":"alice","payload":{"reason":"customer","note":"site access refused by customer"}}"#.to_owned(),
        r#"{"id":"e06","ticket":"ACME-1001","kind":"escalated","at":"2026-03-03T11:10:00Z","actor":"bob","payload":{"level":2,"to":"fiber-field-team","note":"dispatch"}}"#.to_owned(),
        r#"{"id":"e07","ticket":"ACME-1001","kind":"client_update","at":"2026-03-03T11:25:00Z","actor":"bob","payload":{"channel":"phone","message":"Field team dispatched, ETA 2h"}}"#.to_owned(),
        r#"{"id":"e08","ticket":"ACME-1001","kind":"resumed","at":"2026-03-03T11:30:00Z","actor":"bob","payload":{}}"#.to_owned(),
        r#"{"id":"e09","ticket":"ACME-1001","kind":"carrier_update","at":"2026-03-03T12:00:00Z","actor":"bob","payload":{"message":"Carrier NOC: fault located 12 km from the PoP"}}"#.to_owned(),
        r#"{"id":"e10","ticket":"ACME-1001","kind":"client_update","at":"2026-03-03T12:20:00Z","actor":"bob","payload":{"channel":"email","message":"Splicing crew on site"}}"#.to_owned(),
        r#"{"id":"e11","ticket":"ACME-1001","kind":"client_update","at":"2026-03-03T13:15:00Z","actor":"bob","payload":{"channel":"email","message":"Splicing in progress"}}"#.to_owned(),
        r#"{"id":"e12","ticket":"ACME-1001","kind":"client_update","at":"2026-03-03T14:10:00Z","actor":"bob","payload":{"channel":"email","message":"Splicing nearly done"}}"#.to_owned(),
        r#"{"id":"e13","ticket":"ACME-1001","kind":"restored","at":"2026-03-03T15:00:00Z","actor":"bob","payload":{"verification":"light levels nominal on both ends","client_confirmed":true}}"#.to_owned(),
        r#"{"id":"e14","ticket":"ACME-1001","kind":"resolved","at":"2026-03-03T16:00:00Z","actor":"bob","payload":{"root_cause":"fibre cut by third-party road works"}}"#.to_owned(),
    ];
    lines.join("\n") + "\n"
}

/// Runs slawatch on `db`, with a config directory of its own beside it (where
/// `evidence` and `checkpoint` create their signing key).
pub fn slawatch(db: &Path, args: &[&str]) -> Output {
    let config = db.parent().unwrap_or(Path::new(".")).join("config");
    Command::new(env!("CARGO_BIN_EXE_slawatch"))
        .env("XDG_CONFIG_HOME", config)
        .arg("--db")
        .arg(db)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run slawatch")
}

pub fn ok(db: &Path, args: &[&str]) -> String {
    let out = slawatch(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn fails(db: &Path, args: &[&str]) -> (String, String) {
    let out = slawatch(db, args);
    assert!(
        !out.status.success(),
        "{args:?} should fail: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A store holding ACME-1001.
pub fn incident_store(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("s.db");
    let events = dir.join("events.jsonl");
    std::fs::write(&events, events_jsonl()).unwrap();
    ok(&db, &["import", events.to_str().unwrap()]);
    db
}

/// A store holding ACME-1001 and that ticket's evidence package as of `now`, written
/// into `dir/pkg`: (store, package directory).
pub fn incident_package(dir: &Path, now: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let db = incident_store(dir);
    let pkg = dir.join("pkg");
    ok(
        &db,
        &[
            "evidence",
            "ACME-1001",
            "--out",
            pkg.to_str().unwrap(),
            "--now",
            now,
        ],
    );
    (db, pkg)
}

/// Whether a missing tool may skip a test here; CI sets SLAWATCH_REQUIRE_SERVICES=1 so
/// that it never does.
pub fn may_skip(what: &str) -> bool {
    if std::env::var_os("SLAWATCH_REQUIRE_SERVICES").is_some() {
        panic!("{what} is required in CI (SLAWATCH_REQUIRE_SERVICES is set)");
    }
    eprintln!("\n*** SKIPPED: {what} ***\n");
    true
}
