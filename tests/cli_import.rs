//! `slawatch import` on hostile and extreme input: garbage costs a bounded report and
//! stores nothing; every instant import takes comes back the same through export.

mod common;

use std::path::Path;

use common::{fails, ok};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn garbage_is_a_short_report_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    // A seeded mix of random bytes: about 20,000 lines, most of them not UTF-8.
    let mut state = 2026u64;
    let random: Vec<u8> = (0..5_000_000)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect();
    let random = write(dir.path(), "random.jsonl", &random);
    let one_line = write(dir.path(), "line.jsonl", &vec![0xFF; 3_000_000]);
    let valid = write(
        dir.path(),
        "valid.jsonl",
        br#"{"ticket":"T-1","kind":"resumed","at":"2026-03-02T09:00:00Z"}"#,
    );
    let (out, err) = fails(&db, &["import", &valid, &random, &one_line]);
    assert_eq!(out, "");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 52, "50 errors, a count, a summary: {err}");
    assert!(err.len() < 52 * 450, "{} bytes of errors", err.len());
    assert!(lines[50].starts_with("... and "), "{}", lines[50]);
    let total: usize = lines[51]
        .trim_start_matches("slawatch: ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(total > 10_000, "one error per bad line: {}", lines[51]);
    assert!(lines[51].ends_with("problem(s) in the input; nothing was imported"));
    assert!(!err.contains("panicked"));
    assert!(!db.exists(), "nothing stored, not even an empty store");
    let (_, err) = fails(&db, &["import", &one_line]);
    assert!(
        err.starts_with(&format!(
            "{one_line}:1: longer than 1 MiB (3000000 bytes); one record must fit in that"
        )),
        "{err}"
    );
}

#[test]
fn every_instant_import_takes_comes_back_through_export() {
    let dir = tempfile::tempdir().unwrap();
    let at = [
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:59:59+00:59",
        "2026-03-29T01:30:00.1234567+01:00",
        "2262-04-12T00:00:00.0000001Z",
        "9999-12-31T23:59:59.999999Z",
        "9999-12-31T22:59:59.999999999-01:00",
    ];
    let lines: String = at
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(r#"{{"id":"e{i}","ticket":"T-{i}","kind":"resumed","at":"{t}","recorded_at":"{t}"}}"#)
                + "\n"
        })
        .collect();
    let input = write(dir.path(), "in.jsonl", lines.as_bytes());
    let first = dir.path().join("first.db");
    ok(&first, &["import", &input]);
    for format in ["jsonl", "csv"] {
        let exported = ok(&first, &["export", "--format", format]);
        let back = write(dir.path(), &format!("back.{format}"), exported.as_bytes());
        let second = dir.path().join(format!("second-{format}.db"));
        let report = ok(&second, &["import", &back]);
        assert!(report.starts_with("imported 6 new event(s)"), "{report}");
        assert_eq!(ok(&second, &["export", "--format", format]), exported);
        assert!(ok(&second, &["verify"]).starts_with("ok: 6 tickets, 6 events"));
    }
}

#[test]
fn bad_times_and_unclosed_quotes_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let leap = write(
        dir.path(),
        "leap.jsonl",
        br#"{"ticket":"T-1","kind":"resumed","at":"2026-12-31T23:59:60Z"}"#,
    );
    let (_, err) = fails(&db, &["import", &leap]);
    assert!(
        err.contains("leap.jsonl:1: field `at`: \"2026-12-31T23:59:60Z\" is a leap second"),
        "{err}"
    );
    let late = write(
        dir.path(),
        "late.csv",
        b"ticket,kind,at\nT-1,resumed,9999-12-31T23:00:00-01:00\n",
    );
    let (_, err) = fails(&db, &["import", &late]);
    assert!(err.contains("late.csv:2: field `at`:"), "{err}");
    assert!(err.contains("is in UTC the year 10000"), "{err}");
    let quote = write(
        dir.path(),
        "quote.csv",
        b"ticket,kind,at,text\nT-1,note,2026-03-02T09:00:00Z,\"open\nT-1,note,2026-03-02T09:01:00Z,x\n",
    );
    let (_, err) = fails(&db, &["import", &quote]);
    assert!(
        err.contains("quote.csv:2:31: invalid CSV: this quoted cell is never closed"),
        "{err}"
    );
    assert!(!db.exists());
}

#[test]
fn a_fifo_or_a_device_is_refused_not_read_forever() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let fifo = dir.path().join("events.jsonl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let mut inputs = vec!["/dev/zero".to_owned()];
    if made {
        inputs.push(fifo.to_str().unwrap().to_owned());
    }
    for input in inputs {
        // A device's name has no known extension; give it one through a symlink.
        let link = dir.path().join(format!("link{}.jsonl", input.len()));
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let (_, err) = fails(&db, &["import", link.to_str().unwrap()]);
        assert!(
            err.contains("cannot read: not a regular file"),
            "{input}: {err}"
        );
    }
}
