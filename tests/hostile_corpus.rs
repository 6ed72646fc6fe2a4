//! One hostile corpus (tests/corpus/hostile*: escape, CSI and OSC sequences, BEL, C1
//! controls, bidi overrides, line separators, tag characters, ZWJ sequences, Hangul
//! fillers, spreadsheet formulas, HTML markup, and a huge string) through every
//! command and output format: terminal-bound output carries no control or invisible
//! character, no CSV cell is a formula, JSON escapes every control, HTML and Markdown
//! show markup as text. JSON lines stays the lossless round trip.
//! (Desktop notifications: tests/notifications.rs, with the same corpus.)

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
const TICKET: &str = "ACME-\u{1b}[2J666";
const NOW: &str = "2026-04-01T00:00:00Z";

struct Env {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Env {
    /// A store holding the corpus, a huge-string ticket and a ticket open now.
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let env = Env { dir, db };
        let extra = env.path("extra.jsonl");
        std::fs::write(&extra, extra_events()).unwrap();
        let out = env.ok(&[
            "import",
            &format!("{CORPUS}/hostile.jsonl"),
            extra.to_str().unwrap(),
        ]);
        terminal_safe("import", &out);
        env
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_slawatch"))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("TZ", "UTC")
            .env_remove("SLAWATCH_AGENT")
            .env_remove("SLAWATCH_DB")
            .stdin(Stdio::null())
            .output()
            .expect("run slawatch")
    }

    /// Standard output of a command that must succeed; its stderr must be clean too.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "{args:?} failed: {stderr}");
        terminal_safe(&format!("stderr of {args:?}"), &stderr);
        String::from_utf8(out.stdout).unwrap()
    }
}

/// A 200 kB title of sequences and formulas, and a ticket open now (for `watch`).
fn extra_events() -> String {
    let huge = "\u{1b}[2J=1+1<b>\u{9b}\u{202e}\u{200d}".repeat(20_000);
    let at = (Utc::now() - TimeDelta::minutes(13)).to_rfc3339();
    let lines = [
        json!({"id": "x1", "ticket": "HUGE-1", "kind": "detected", "at": "2026-03-10T10:00:00Z",
               "actor": "=cmd", "payload": {"priority": "P3", "customer": "acme-telecom", "title": huge}}),
        json!({"id": "x2", "ticket": "LIVE-\u{1b}]0;t\u{7}1", "kind": "detected", "at": at,
               "actor": "@evil", "payload": {"priority": "P1", "customer": "acme-telecom",
               "title": "\u{1b}]0;pwned\u{7}<b>LOS</b> & \u{202e}\u{2028}\u{e0041}\u{3164}"}}),
    ];
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Characters that must never reach a terminal: controls but line feed, C1, and the
/// invisible or reordering characters the terminal sanitiser removes.
fn terminal_hostile(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2028}' | '\u{2029}'
            | '\u{2060}'..='\u{206f}' | '\u{fe0f}' | '\u{3164}' | '\u{115f}' | '\u{ffa0}'
            | '\u{e0000}'..='\u{e007f}')
}

fn terminal_safe(what: &str, text: &str) {
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| terminal_hostile(c)) {
        let from = (0..=i.saturating_sub(60))
            .rev()
            .find(|&b| text.is_char_boundary(b))
            .unwrap_or(0);
        panic!("{what}: {c:?} at byte {i}, after {:?}", &text[from..i]);
    }
}

/// Every JSON text: controls, C1, separators and bidi controls only as `\uXXXX`.
fn json_escaped(what: &str, text: &str) {
    let raw = |c: char| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if let Some(c) = text.chars().find(|&c| raw(c)) {
        panic!("{what}: raw {c:?} in JSON");
    }
}

/// Every cell of a CSV for people: no control character, none a formula.
fn csv_safe(what: &str, text: &str) {
    terminal_safe(what, text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut cells = 0;
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            cells += 1;
            let t = cell.trim_start();
            let number = t.parse::<f64>().is_ok() && !t.contains(['e', 'E', 'i', 'n', 'N']);
            assert!(
                !t.starts_with(['=', '+', '-', '@']) || number,
                "{what}: formula cell {cell:?}"
            );
        }
    }
    assert!(cells > 0, "{what}: no cells");
}

/// HTML and Markdown: the corpus's markup is shown as text, never as tags.
fn markup_inert(what: &str, text: &str) {
    markup_free(what, text);
    assert!(
        text.contains("&lt;b&gt;bold&lt;/b&gt;"),
        "{what}: the title is missing"
    );
}

/// As [`markup_inert`], for renderings that need not show the ticket texts.
fn markup_free(what: &str, text: &str) {
    terminal_safe(what, &text.replace('\t', " "));
    for tag in ["<b>bold", "<a href=\"http://evil", "<img src=x", "<b>LOS"] {
        assert!(!text.contains(tag), "{what}: raw {tag:?}");
    }
}

#[test]
fn export_is_escaped_and_json_lines_round_trip_exactly() {
    let env = Env::new();
    let jsonl = env.ok(&["export"]);
    json_escaped("export jsonl", &jsonl);
    assert!(jsonl.contains(r"\u001b]0;pwned-title\u0007") && jsonl.contains(r"\u202e"));
    for line in jsonl.lines() {
        serde_json::from_str::<Value>(line).unwrap();
    }
    // The lossless backup: imported into a new store, it exports byte for byte again.
    let backup = env.path("backup.jsonl");
    std::fs::write(&backup, &jsonl).unwrap();
    let restored = Env {
        db: env.path("restored.db"),
        dir: tempfile::tempdir().unwrap(),
    };
    terminal_safe(
        "import",
        &restored.ok(&["import", backup.to_str().unwrap()]),
    );
    assert_eq!(restored.ok(&["export"]), jsonl);
    terminal_safe("verify", &restored.ok(&["verify"]));

    let csv = env.ok(&["export", "--format", "csv"]);
    csv_safe("export csv", &csv);
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    let one = env.ok(&["export", "--format", "csv", "--ticket", TICKET]);
    csv_safe("export csv --ticket", &one);
}

#[test]
fn reports_penalties_evidence_and_verify_are_escaped_for_their_readers() {
    let env = Env::new();
    let report = |format: &str| {
        env.ok(&[
            "report", "--month", "2026-03", "--now", NOW, "--format", format,
        ])
    };
    markup_free("report html", &report("html"));
    markup_free("report md", &report("md"));
    csv_safe("report csv", &report("csv"));
    let json = report("json");
    json_escaped("report json", &json);
    serde_json::from_str::<Value>(&json).unwrap();

    terminal_safe(
        "penalties",
        &env.ok(&["penalties", "--month", "2026-03", "--now", NOW]),
    );
    terminal_safe("verify", &env.ok(&["verify"]));

    let dir = env.path("evidence");
    let said = env.ok(&[
        "evidence",
        TICKET,
        "--out",
        dir.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    terminal_safe("evidence", &said);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    markup_inert("evidence.html", &read("evidence.html"));
    markup_inert("evidence.md", &read("evidence.md"));
    json_escaped("evidence.json", &read("evidence.json"));
    terminal_safe("evidence.sha256", &read("evidence.sha256"));
    let checked = env.ok(&["verify", "--evidence", dir.to_str().unwrap()]);
    terminal_safe("verify --evidence", &checked);

    let sla = env.ok(&[
        "sla",
        "eval",
        "--policies",
        "assets/policies.toml",
        "--calendars",
        "assets/calendars.toml",
        "--events",
        &format!("{CORPUS}/hostile.jsonl"),
        "--now",
        NOW,
    ]);
    json_escaped("sla eval", &sla);
}

#[test]
fn watch_prints_clean_lines_and_escaped_json() {
    let env = Env::new();
    let text = env.ok(&["watch", "--no-desktop", "--user", "alice", "--run-for", "1"]);
    terminal_safe("watch", &text);
    assert!(
        text.contains("LIVE-1") && text.contains("<b>LOS</b> &"),
        "{text}"
    );
    let json = env.ok(&[
        "watch",
        "--no-desktop",
        "--json",
        "--user",
        "bob",
        "--run-for",
        "1",
    ]);
    json_escaped("watch --json", &json);
    assert!(json.contains("LIVE-"), "{json}");
}

#[test]
fn calendar_batches_echo_ids_neutralised() {
    let env = Env::new();
    let batch = format!("{CORPUS}/hostile-batch.csv");
    let due = env.ok(&[
        "calendar",
        "due",
        "--calendars",
        "assets/calendars.toml",
        "--calendar",
        "ny-office",
        "--batch",
        &batch,
    ]);
    csv_safe("calendar due --batch", &due);
    assert!(
        due.contains("'=HYPERLINK") && due.contains("'@SUM"),
        "{due}"
    );
}

#[test]
fn error_messages_echo_input_sanitised() {
    let env = Env::new();
    let out = env.run(&[
        "import",
        &format!("{CORPUS}/hostile-bad.jsonl"),
        &format!("{CORPUS}/hostile-bad.csv"),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    terminal_safe("import errors", &stderr);
    assert!(stderr.contains("hostile-bad.jsonl:1:"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    // A store path and a ticket that are sequences themselves.
    let out = env.run(&["export", "--ticket", "\u{1b}]0;pwned\u{7}NOPE-\u{9b}2J1"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    terminal_safe("export errors", &stderr);
    assert!(stderr.contains("NOPE-"), "{stderr}");
}

#[test]
fn a_closed_standard_output_ends_every_command_quietly() {
    let env = Env::new();
    let month = ["--month", "2026-03", "--now", NOW];
    let commands: [&[&str]; 5] = [
        &["export"],
        &["export", "--format", "csv"],
        &["penalties", month[0], month[1], month[2], month[3]],
        &["report", month[0], month[1], month[2], month[3]],
        &["verify"],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_slawatch"))
            .arg("--db")
            .arg(&env.db)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("HOME", env.dir.path())
            .env("XDG_CONFIG_HOME", env.path("config"))
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the first byte: `slawatch ... | head -0`.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
        assert!(
            matches!(out.status.code(), Some(0 | 141)),
            "{args:?}: {:?}",
            out.status
        );
    }
}
