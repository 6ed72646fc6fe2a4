//! The calendar and sla commands as scripts call them: output format, batches, errors.

use std::path::Path;
use std::process::{Command, Output};

fn slawatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slawatch"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run slawatch")
}

fn ok(args: &[&str]) -> String {
    let out = slawatch(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = slawatch(args);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

const CAL: [&str; 4] = [
    "--calendars",
    "assets/calendars.toml",
    "--calendar",
    "ny-office",
];

#[test]
fn due_and_elapsed_single() {
    let due = |start: &str, minutes: &str| {
        let mut args = vec!["calendar", "due"];
        args.extend(CAL);
        args.extend(["--start", start, "--minutes", minutes]);
        ok(&args)
    };
    // Thanksgiving (from the shipped iCalendar file) is skipped.
    assert_eq!(
        due("2026-11-25T16:00:00-05:00", "120"),
        "2026-11-27T10:00:00-05:00\n"
    );
    // Exactly at closing time.
    assert_eq!(
        due("2026-03-02T16:00:00Z", "60"),
        "2026-03-02T12:00:00-05:00\n"
    );
    assert_eq!(
        due("2026-03-02T15:00:00Z", "1.5"),
        "2026-03-02T10:01:30-05:00\n"
    );
    let mut args = vec!["calendar", "elapsed"];
    args.extend(CAL);
    args.extend([
        "--from",
        "2026-03-02T14:00:00Z",
        "--to",
        "2026-03-02T14:00:01Z",
    ]);
    assert_eq!(ok(&args), "0.01666667\n");
}

#[test]
fn batches_stream_rows_and_stop_at_a_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        "id,start,minutes\nA,2026-11-25T16:00:00-05:00,120\n\"B,1\",2026-03-02T15:00:00Z,1.5\n",
    )
    .unwrap();
    let mut args = vec!["calendar", "due"];
    args.extend(CAL);
    args.extend(["--batch", input.to_str().unwrap()]);
    assert_eq!(
        ok(&args),
        "id,due\nA,2026-11-27T10:00:00-05:00\n\"B,1\",2026-03-02T10:01:30-05:00\n"
    );
    std::fs::write(&input, "A,2026-11-25T16:00:00-05:00,120\nB,yesterday,5\n").unwrap();
    let err = fails(&args);
    assert!(
        err.contains(&format!(
            "{}:2: field `start`: expected an RFC 3339 instant",
            input.display()
        )),
        "{err}"
    );
    let elapsed_in = dir.path().join("e.csv");
    std::fs::write(&elapsed_in, "x,2026-03-02T14:00:00Z,2026-03-03T14:00:00Z\ny,2026-03-03T14:00:00Z,2026-03-02T14:00:00Z\n").unwrap();
    let mut args = vec!["calendar", "elapsed"];
    args.extend(CAL);
    args.extend(["--batch", elapsed_in.to_str().unwrap()]);
    let err = fails(&args);
    assert!(err.contains(":2: field `to`: `to`"), "{err}");
}

#[test]
fn bad_invocations_name_what_is_wrong() {
    let mut args = vec![
        "calendar",
        "due",
        "--calendars",
        "assets/calendars.toml",
        "--calendar",
        "mars",
    ];
    args.extend(["--start", "2026-03-02T15:00:00Z", "--minutes", "5"]);
    assert!(fails(&args).contains("no calendar named `mars`, expected one of: 24x7, berlin-office"));
    let mut args = vec!["calendar", "due"];
    args.extend(CAL);
    args.extend(["--start", "2026-03-02T15:00:00Z", "--minutes=-5"]);
    assert!(fails(&args).contains("--minutes: expected a non-negative number of minutes"));
    let mut args = vec!["calendar", "due"];
    args.extend(CAL);
    args.extend(["--start", "2026-03-02T15:00:00Z"]);
    assert!(fails(&args).contains("--minutes"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("cal.toml");
    std::fs::write(
        &bad,
        "[calendar.x]\ntimezone = \"UTC\"\nmon = [\"09:00-25:00\"]\n",
    )
    .unwrap();
    let err = fails(&[
        "calendar",
        "due",
        "--calendars",
        bad.to_str().unwrap(),
        "--calendar",
        "x",
        "--start",
        "2026-03-02T15:00:00Z",
        "--minutes",
        "5",
    ]);
    assert!(
        err.contains(&format!(
            "{}:3:8: calendar `x`, mon: bad range",
            bad.display()
        )),
        "{err}"
    );
}

#[test]
fn sla_eval_prints_one_line_per_clock() {
    let out = ok(&[
        "sla",
        "eval",
        "--policies",
        "assets/policies.toml",
        "--calendars",
        "assets/calendars.toml",
        "--events",
        "assets/examples/events.jsonl",
        "--now",
        "2026-03-02T12:00:00Z",
    ]);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "GLOBEX-17 does not exist yet at 12:00Z");
    let restore = lines.iter().find(|l| l["metric"] == "restore").unwrap();
    assert_eq!(restore["ticket"], "ACME-4711");
    assert_eq!(restore["state"], "running");
    // 4 h budget, 45 min customer pause: due 12:45.
    assert_eq!(restore["due"], "2026-03-02T12:45:00+00:00");
    assert_eq!(restore["elapsed_minutes"], 195);
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("e.jsonl");
    std::fs::write(
        &events,
        "{\"id\":\"1\",\"ticket\":\"T\",\"kind\":\"paused\",\"at\":\"2026-03-02T10:00:00Z\"}\n",
    )
    .unwrap();
    let err = fails(&[
        "sla",
        "eval",
        "--policies",
        "assets/policies.toml",
        "--calendars",
        "assets/calendars.toml",
        "--events",
        events.to_str().unwrap(),
        "--now",
        "2026-03-02T12:00:00Z",
    ]);
    assert!(
        err.contains(&format!("{}:1: field `payload.reason`", events.display())),
        "{err}"
    );
    assert!(Path::new("assets/examples/events.jsonl").exists());
}
