//! Every parser an outsider can feed, fed arbitrary bytes and mutations of valid files
//! (the seeds in `tests/corpus/<parser>/`): import's JSON lines, CSV and JSON; the
//! calendars, policies and contracts TOML; iCalendar holiday files; evidence packages
//! (`verify --evidence`); keymap.toml and config.toml.
//!
//! Each case must end (a watchdog fails one that takes over [`LIMIT`], a hang), must
//! not panic, and must either parse or say where the problem is. Every corpus file is
//! also replayed on its own. The case count is small enough for CI; set
//! `SLAWATCH_FUZZ_CASES` for a longer run.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};

use slawatch::config::calendars::{parse_calendars, parse_calendars_with};
use slawatch::config::contracts::parse_contracts;
use slawatch::config::policies::parse_policies;
use slawatch::config::{load_calendars, ConfigErrors};
use slawatch::formats::{read_bytes, Format};
use slawatch::report::evidence_types::JSON_FILE;
use slawatch::report::evidence_verify::verify_dir;
use slawatch::sla::Calendars;
use slawatch::tui::keymap::Keymap;
use slawatch::tui::settings::Settings;

/// Far beyond any honest parse of a few kB; reaching it means a hang.
const LIMIT: Duration = Duration::from_secs(20);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn corpus(parser: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = root().join("tests/corpus").join(parser);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn cases(default: u32) -> Config {
    let cases = std::env::var("SLAWATCH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Runs `f` on another thread and fails if it panics or takes longer than [`LIMIT`].
fn in_time<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(LIMIT) {
        Ok(Ok(v)) => v,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(_) => panic!("{what}: no answer within {LIMIT:?}"),
    }
}

/// Tokens that parsers treat specially, and values known to have broken something.
const TOKENS: &[&str] = &[
    "\"",
    "\\",
    "\n",
    "\r\n",
    ",",
    ":",
    "=",
    "[",
    "]",
    "{",
    "}",
    "[[",
    "]]",
    "\"\"",
    "null",
    "-",
    "+",
    "0",
    "-1",
    "1e999",
    "9999999999999999999999",
    "79228162514264337593543950335",
    "4294967295",
    "18446744073709551616",
    "23:59:60",
    "+10000-01-01T00:00:00Z",
    "9999-12-31T23:59:59-23:59",
    "\u{0}",
    "\u{1b}[2J",
    "\u{202e}",
    "\u{feff}",
    "\u{ffff}",
    "\u{10ffff}",
    "é",
    "BEGIN:VEVENT\r\n",
    "END:VEVENT\r\n",
    "RRULE:FREQ=YEARLY;COUNT=4294967295\r\n",
    "DTSTART;VALUE=DATE:00010101\r\n",
    "DTEND;VALUE=DATE:99991231\r\n",
    " ",
    "\t",
    "P1",
    "P9",
    "P0",
    "kind",
    "payload",
    "priority",
    "at",
    "ticket",
];

#[derive(Clone, Debug)]
enum Mutation {
    Set(Index, u8),
    Insert(Index, Vec<u8>),
    Token(Index, &'static str),
    Delete(Index, usize),
    Duplicate(Index, usize),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        3 => (any::<Index>(), prop::sample::select(TOKENS)).prop_map(|(i, t)| Mutation::Token(i, t)),
        1 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => (any::<Index>(), 1usize..256).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

impl Mutation {
    fn apply(&self, b: &mut Vec<u8>) {
        let at = |i: &Index, b: &Vec<u8>| {
            if b.is_empty() {
                0
            } else {
                i.index(b.len() + 1)
            }
        };
        match self {
            Mutation::Set(i, v) if !b.is_empty() => {
                let i = i.index(b.len());
                b[i] = *v;
            }
            Mutation::Set(..) => {}
            Mutation::Insert(i, bytes) => {
                let i = at(i, b);
                b.splice(i..i, bytes.iter().copied());
            }
            Mutation::Token(i, t) => {
                let i = at(i, b);
                b.splice(i..i, t.bytes());
            }
            Mutation::Delete(i, n) => {
                let i = at(i, b);
                let end = (i + n).min(b.len());
                b.drain(i..end);
            }
            Mutation::Duplicate(i, n) => {
                let i = at(i, b);
                let end = (i + n).min(b.len());
                let copy: Vec<u8> = b[i..end].to_vec();
                b.splice(end..end, copy);
            }
            Mutation::Truncate(i) => {
                let i = at(i, b);
                b.truncate(i);
            }
        }
    }
}

/// Arbitrary bytes, or a seed with a few mutations.
fn input(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..1024),
        4 => (0..n, prop::collection::vec(mutation(), 1..10)).prop_map(move |(i, ms)| {
            let mut b = seeds[i].clone();
            for m in &ms {
                m.apply(&mut b);
            }
            b
        }),
    ]
}

fn seeds(parser: &str) -> Vec<Vec<u8>> {
    corpus(parser).into_iter().map(|(_, b)| b).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fuzz(parser: &str, cases_default: u32, check: impl Fn(Vec<u8>) + Clone + Send + 'static) {
    // Every seed on its own first, then the generated cases.
    for (path, bytes) in corpus(parser) {
        let check = check.clone();
        in_time(&format!("{}", path.display()), move || check(bytes));
    }
    let mut runner = TestRunner::new(cases(cases_default));
    let result = runner.run(&input(seeds(parser)), |bytes| {
        let check = check.clone();
        in_time(parser, move || check(bytes));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{parser}: {e}");
    }
}

/// An import either reads or names the file and a line for every problem, briefly.
fn check_import(name: &'static str, format: Format) -> impl Fn(Vec<u8>) + Clone + Send {
    move |bytes: Vec<u8>| {
        let path = Path::new(name);
        if let Err(errors) = read_bytes(path, format, &bytes) {
            assert!(!errors.is_empty());
            for e in errors.iter() {
                assert_eq!(e.path, path);
                assert!(e.line >= 1, "not located: {e}");
                assert!(e.to_string().len() < 1000, "too long: {e}");
            }
        }
    }
}

/// A config error about `file` names a line within it (0: the file as a whole). (An
/// error may still say nothing: see [`known_defects`].)
fn located(errors: &ConfigErrors, file: (&Path, &str)) {
    assert!(!errors.0.is_empty(), "a failure without an error");
    for e in &errors.0 {
        if e.path == file.0 {
            assert!(
                e.line <= file.1.lines().count() + 1,
                "line out of the file: {e}"
            );
        }
    }
}

fn shipped_calendars() -> Calendars {
    load_calendars(&root().join("assets/calendars.toml")).unwrap()
}

#[test]
fn import_jsonl() {
    fuzz("jsonl", 300, check_import("fuzz.jsonl", Format::Jsonl));
}

#[test]
fn import_csv() {
    fuzz("csv", 300, check_import("fuzz.csv", Format::Csv));
}

#[test]
fn import_json() {
    fuzz("json", 300, check_import("fuzz.json", Format::Json));
}

#[test]
fn calendars_toml() {
    let holidays = root().join("assets/us-federal.ics");
    fuzz("calendars", 100, move |bytes| {
        let path = root().join("assets/fuzz-calendars.toml");
        let text = text(&bytes);
        let ics = std::fs::read_to_string(&holidays).unwrap();
        let read = |_: &Path| Ok(ics.clone());
        if let Err(e) = parse_calendars_with(&path, &text, &read) {
            located(&e, (&path, &text));
        }
    });
}

#[test]
fn icalendar_holidays() {
    fuzz("ics", 150, |bytes| {
        let path = Path::new("fuzz-calendars.toml");
        let cal = "[calendar.x]\ntimezone = \"Europe/Berlin\"\nmon = [\"09:00-17:00\"]\n\
                   holiday_files = [\"fuzz.ics\"]\n";
        let ics = text(&bytes);
        let read = |_: &Path| Ok(ics.clone());
        if let Err(e) = parse_calendars_with(path, cal, &read) {
            located(&e, (path, cal));
        }
    });
}

#[test]
fn policies_toml() {
    let cals = std::sync::Arc::new(shipped_calendars());
    fuzz("policies", 100, move |bytes| {
        let path = Path::new("fuzz-policies.toml");
        let text = text(&bytes);
        if let Err(e) = parse_policies(path, &text, &cals) {
            located(&e, (path, &text));
        }
    });
}

#[test]
fn contracts_toml() {
    let cals = std::sync::Arc::new(shipped_calendars());
    fuzz("contracts", 100, move |bytes| {
        let path = Path::new("fuzz-contracts.toml");
        let text = text(&bytes);
        if let Err(e) = parse_contracts(path, &text, &cals) {
            located(&e, (path, &text));
        }
    });
}

#[test]
fn keymap_toml() {
    fuzz("keymap", 100, |bytes| {
        let path = Path::new("fuzz-keymap.toml");
        let text = text(&bytes);
        if let Err(e) = Keymap::load(Some((path, &text))) {
            located(&e, (path, &text));
        }
    });
}

#[test]
fn config_toml() {
    fuzz("config", 150, |bytes| {
        let path = Path::new("fuzz-config.toml");
        let text = text(&bytes);
        if let Err(e) = Settings::load(Some((path, &text)), "alice".into()) {
            located(&e, (path, &text));
        }
    });
}

#[test]
fn evidence_packages() {
    let package = root().join("tests/corpus/evidence/package");
    let original = std::fs::read(package.join(JSON_FILE)).unwrap();
    let check_original = original.clone();
    // The seed is the package's JSON; its other files stay as they were written.
    let check = move |bytes: Vec<u8>| {
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(root().join("tests/corpus/evidence/package")).unwrap() {
            let p = entry.unwrap().path();
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
        std::fs::write(dir.path().join(JSON_FILE), &bytes).unwrap();
        let report = verify_dir(dir.path());
        if bytes == check_original {
            assert!(
                report.is_ok(),
                "the seed package verifies: {:?}",
                report.problems
            );
        } else {
            assert!(!report.is_ok(), "a changed evidence.json must not verify");
        }
    };
    check(original.clone());
    let mut runner = TestRunner::new(cases(60));
    let result = runner.run(&input(vec![original]), |bytes| {
        let check = check.clone();
        in_time("evidence", move || check(bytes));
        Ok(())
    });
    if let Err(e) = result {
        panic!("evidence: {e}");
    }
}

#[test]
fn the_calendars_seed_is_the_shipped_file() {
    // parse_calendars reads holiday files next to the calendars file: the corpus copy
    // must parse from where the shipped one lives.
    let (path, bytes) = &corpus("calendars")[0];
    let at = root().join("assets").join(path.file_name().unwrap());
    parse_calendars(&at, &text(bytes)).unwrap();
}

/// Inputs the fuzzer found that once broke parsers outside src/formats (a NUL in a TOML
/// comment gave an error without a message), kept in `tests/corpus/known-defects/`.
#[test]
fn known_defects() {
    for (path, bytes) in corpus("known-defects") {
        let text = text(&bytes);
        let cals = shipped_calendars();
        let results = [
            parse_policies(&path, &text, &cals).err(),
            parse_contracts(&path, &text, &cals).err(),
            Keymap::load(Some((&path, &text))).err(),
            Settings::load(Some((&path, &text)), "alice".into()).err(),
        ];
        for errors in results.into_iter().flatten() {
            for e in &errors.0 {
                assert!(!e.message.is_empty(), "no message: {e}");
            }
        }
    }
}
