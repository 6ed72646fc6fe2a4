//! Hostile and careless configuration files as the CLI meets them: special files as
//! holiday files, spans and recurrences past their bounds, huge money, bad policies.

use std::path::Path;
use std::process::{Command, Output};

fn slawatch(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slawatch"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run slawatch")
}

/// Stderr of a run that must fail, and must not panic.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = slawatch(dir, args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} should fail:\n{err}");
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    err
}

fn calendar_with_holiday_file(dir: &Path, file: &str) {
    std::fs::write(
        dir.join("c.toml"),
        format!("[calendar.x]\ntimezone = \"UTC\"\nmon = [\"09:00-17:00\"]\nholiday_files = [{file:?}]\n"),
    )
    .unwrap();
}

const DUE: [&str; 10] = [
    "calendar",
    "due",
    "--calendars",
    "c.toml",
    "--calendar",
    "x",
    "--start",
    "2026-12-01T10:00:00Z",
    "--minutes",
    "60",
];

#[test]
fn special_files_as_holiday_files_are_refused_at_once_with_their_location() {
    let dir = tempfile::tempdir().unwrap();
    calendar_with_holiday_file(dir.path(), "/dev/zero");
    let err = fails(dir.path(), &DUE);
    assert!(
        err.contains("c.toml:4:18: calendar `x`: cannot read holiday file /dev/zero: not a regular file but a character device"),
        "{err}"
    );
    #[cfg(unix)]
    {
        let fifo = dir.path().join("fifo.ics");
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        // Without a writer, a blocking open would never return.
        calendar_with_holiday_file(dir.path(), "fifo.ics");
        let err = fails(dir.path(), &DUE);
        assert!(
            err.contains("cannot read holiday file")
                && err.contains("not a regular file but a FIFO (named pipe)"),
            "{err}"
        );
    }
    let big = dir.path().join("big.ics");
    std::fs::write(&big, vec![b' '; 4 * 1024 * 1024 + 1]).unwrap();
    calendar_with_holiday_file(dir.path(), "big.ics");
    let err = fails(dir.path(), &DUE);
    assert!(
        err.contains("larger than 4096 KiB, the most slawatch reads from such a file"),
        "{err}"
    );
    // The calendars file itself is read the same way.
    let mut args = DUE;
    args[3] = "/dev/zero";
    let err = fails(dir.path(), &args);
    assert!(
        err.contains("/dev/zero: cannot read: not a regular file but a character device"),
        "{err}"
    );
}

#[test]
fn holiday_spans_and_recurrences_past_their_bounds_are_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    calendar_with_holiday_file(dir.path(), "h.ics");
    let ics = |body: &str| {
        std::fs::write(
            dir.path().join("h.ics"),
            format!("BEGIN:VCALENDAR\nBEGIN:VEVENT\n{body}END:VEVENT\nEND:VCALENDAR\n"),
        )
        .unwrap()
    };
    ics("DTSTART;VALUE=DATE:00010101\nDTEND;VALUE=DATE:99991231\n");
    let err = fails(dir.path(), &DUE);
    assert!(
        err.contains("h.ics:4:1: an all-day event spans 3652058 days"),
        "{err}"
    );
    ics("DTSTART;VALUE=DATE:20261201\nRRULE:FREQ=YEARLY;COUNT=4294967295\n");
    let err = fails(dir.path(), &DUE);
    assert!(
        err.contains("h.ics:4:1: RRULE \"FREQ=YEARLY;COUNT=4294967295\": COUNT=4294967295 from 2026 runs past the year 9999"),
        "{err}"
    );
    // Within the bound the holiday holds: Monday 7 December is closed, so the hour
    // from Tuesday 1 December falls on the Monday after.
    ics("DTSTART;VALUE=DATE:20261207\nRRULE:FREQ=YEARLY;COUNT=3\n");
    let out = slawatch(dir.path(), &DUE);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2026-12-14T10:00:00+00:00\n"
    );
}

#[test]
fn a_calendar_name_typo_among_thousands_suggests_the_closest_few() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..2_000 {
        text.push_str(&format!(
            "[calendar.office-{i:05}]\ntimezone = \"UTC\"\nalways = true\n"
        ));
    }
    std::fs::write(dir.path().join("c.toml"), text).unwrap();
    let mut args = DUE;
    args[5] = "ofice-00042";
    let err = fails(dir.path(), &args);
    assert_eq!(
        err.trim_end(),
        "slawatch: c.toml: no calendar named `ofice-00042`, did you mean `office-00042`, `office-00002` or `office-00012`? (2000 calendars are defined)"
    );
}

#[test]
fn an_evidence_package_whose_files_are_special_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("ev");
    std::fs::create_dir(&package).unwrap();
    assert!(Command::new("mkfifo")
        .arg(package.join("evidence.json"))
        .status()
        .unwrap()
        .success());
    // Without the fix this read blocks forever on the FIFO; the test would hang.
    let err = fails(
        dir.path(),
        &["verify", "--evidence", package.to_str().unwrap()],
    );
    assert!(err.contains("1 problem(s)"), "{err}");
    let out = slawatch(
        dir.path(),
        &["verify", "--evidence", package.to_str().unwrap()],
    );
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.contains("evidence.json: cannot read: not a regular file but a FIFO"),
        "{out}"
    );
}
