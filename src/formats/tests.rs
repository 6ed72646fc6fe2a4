//! Reading the shipped examples, every kind of bad input, and write-then-read round trips.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::model::canonical::canonical_bytes;
use crate::model::{EventKind, Payload};

fn read(name: &str, text: &str) -> Result<Vec<Event>, FormatErrors> {
    read_raw(name, text.as_bytes())
}

fn read_raw(name: &str, bytes: &[u8]) -> Result<Vec<Event>, FormatErrors> {
    let path = Path::new(name);
    read_bytes(path, Format::from_path(path).unwrap(), bytes)
}

/// The error lines as the user sees them.
fn errors(name: &str, text: &str) -> Vec<String> {
    match read(name, text) {
        Ok(events) => panic!("{name} should fail, read {} events", events.len()),
        Err(e) => e.to_string().lines().map(str::to_owned).collect(),
    }
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/examples")
        .join(name)
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn shipped_examples_read_and_evaluate() {
    let tickets = read_file(example("tickets.csv")).unwrap();
    assert_eq!(tickets.len(), 12);
    assert!(tickets.iter().all(|e| e.kind == EventKind::Detected));
    let events = read_file(example("events.csv")).unwrap();
    assert!(events.iter().any(|e| e.level() == Some(2)));
    assert!(events.iter().any(|e| e.text("reason") == Some("customer")));
    assert!(events.iter().any(|e| e.kind == EventKind::ClientUpdate));
    let restored = events
        .iter()
        .find(|e| e.kind == EventKind::Restored)
        .unwrap();
    assert_eq!(restored.payload["client_confirmed"], json!(true));
    let jsonl = read_file(example("events.jsonl")).unwrap();
    assert_eq!(jsonl.len(), 9);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cals = crate::config::load_calendars(&root.join("assets/calendars.toml")).unwrap();
    let pols = crate::config::load_policies(&root.join("assets/policies.toml"), &cals).unwrap();
    let all: Vec<Event> = tickets
        .iter()
        .chain(&events)
        .chain(&jsonl)
        .cloned()
        .collect();
    let eval = crate::sla::evaluate(&pols, &cals, &all, t("2026-03-03T12:00:00Z"));
    assert!(eval.problems.is_empty(), "{:?}", eval.problems);
    assert_eq!(eval.tickets.len(), 14);
}

#[test]
fn importing_twice_gives_the_same_ids() {
    let a = read_file(example("events.csv")).unwrap();
    let b = read_file(example("events.csv")).unwrap();
    assert_eq!(a, b);
    let ticket_ids: Vec<_> = read_file(example("tickets.csv"))
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ticket_ids[0], ticket_detected_id("ACME-4802"));
}

#[test]
fn records_without_kind_are_tickets_in_every_format() {
    let ticket = json!({"ticket": "T-1", "customer": "globex", "priority": "P2",
        "title": "Exports time out", "detected_at": "2026-03-02T09:00:00Z"});
    let event = json!({"ticket": "T-1", "kind": "acknowledged", "at": "2026-03-02T09:05:00Z"});
    let jsonl = format!("{ticket}\n\n{event}\n");
    let array = serde_json::to_string_pretty(&json!([ticket, event])).unwrap();
    let sections = json!({"tickets": [ticket], "events": [event]}).to_string();
    let csv = "ticket,customer,priority,title,detected_at\n\
               T-1,globex,P2,Exports time out,2026-03-02T09:00:00Z\n";
    let expected = read("a.jsonl", &jsonl).unwrap();
    assert_eq!(expected.len(), 2);
    assert_eq!(read("a.ndjson", &jsonl).unwrap(), expected);
    assert_eq!(read("a.json", &array).unwrap(), expected);
    assert_eq!(read("a.JSON", &sections).unwrap(), expected);
    assert_eq!(read("a.csv", csv).unwrap(), expected[..1]);
}

#[test]
fn csv_extra_columns_become_payload_fields() {
    let csv = "ticket,kind,at,level,to,note,payload\n\
               T-1,escalated,2026-03-02T09:00:00Z, 2 ,noc-l2,,\"{\"\"ticket_ref\"\":\"\"X\"\"}\"\n";
    let e = &read("e.csv", csv).unwrap()[0];
    assert_eq!(
        serde_json::Value::Object(e.payload.clone()),
        json!({"level": 2, "to": "noc-l2", "ticket_ref": "X"})
    );
    assert_eq!(e.recorded_at, e.at);
    assert_eq!(e.actor, "");
}

#[test]
fn bad_csv_rows_are_all_reported_with_line_and_field() {
    let csv = "\
ticket,kind,at,actor,reason,level,to,payload
T-1,detected,2026-03-02T09:00:00Z,mon,,,,\"{\"\"priority\"\":\"\"P9X\"\",\"\"customer\"\":\"\"c\"\"}\"
T-1,paused,yesterday,alice,,,,
T-1,reopened,2026-03-02T09:00:00Z,alice,,,,
T-1,paused,2026-03-02T09:00:00Z,alice,,,,
T-1,escalated,2026-03-02T09:00:00Z,alice,,two,noc-l2,
T-1,note,2026-03-02T09:00:00Z,alice,,,,{not json}
T-1,note,2026-03-02T09:00:00Z,alice,,,
\"T-1\",note,2026-03-02T09:00:00Z,alice,x,,,\"{\"\"reason\"\":\"\"y\"\",
\"\"text\"\":\"\"multi-line cell\"\"}\"
";
    assert_eq!(
        errors("events.csv", csv),
        [
            "events.csv:2: field `payload.priority`: expected a priority P1 to P9, found \"P9X\"",
            "events.csv:3: field `at`: expected an RFC 3339 instant like 2026-03-02T09:00:00Z, found \"yesterday\"",
            "events.csv:4: field `kind`: unknown event kind \"reopened\", expected one of detected, acknowledged, escalated, client_update, carrier_update, paused, resumed, priority_changed, assigned, restored, resolved, note, penalty, penalty_adjusted",
            "events.csv:5: field `payload.reason`: required for a `paused` event",
            "events.csv:6: field `level`: expected a whole number 1 to 9, found \"two\"",
            "events.csv:7: field `payload`: expected a JSON object like {\"reason\":\"customer\"}, found \"{not json}\" (key must be a string at line 1 column 2)",
            "events.csv:8: expected 8 cells as in the header, found 7",
            "events.csv:9: field `reason`: given both as a column and inside the `payload` cell",
        ]
    );
}

#[test]
fn csv_header_problems() {
    let err = errors("e.csv", "ticket,kind,actor\nT-1,note,alice\n");
    assert_eq!(err.len(), 1);
    assert!(
        err[0].starts_with("e.csv:1: missing column `at` in the header: an events CSV needs"),
        "{err:?}"
    );
    let err = errors(
        "t.csv",
        "ticket,customer,priority,title,sla\nT,c,P1,x,gold\n",
    );
    assert!(
        err[0].starts_with("t.csv:1: missing column `detected_at`"),
        "{err:?}"
    );
    assert!(
        err[1].starts_with("t.csv:1: unknown column `sla` in a tickets CSV"),
        "{err:?}"
    );
    let err = errors("e.csv", "ticket,kind,at,kind\n");
    assert_eq!(err, ["e.csv:1: column `kind` appears twice in the header"]);
}

#[test]
fn bad_tickets_name_their_fields() {
    let csv = "ticket,customer,priority,title,detected_at\n\
               T-1,globex,P0,Exports,2026-03-02T09:00:00Z\n\
               T-2,,P1,,2026-03-02\n";
    assert_eq!(
        errors("tickets.csv", csv),
        [
            "tickets.csv:2: field `priority`: expected a priority P1 to P9, found \"P0\"",
            "tickets.csv:3: field `customer`: missing; this field is required",
            "tickets.csv:3: field `title`: missing; this field is required",
            "tickets.csv:3: field `detected_at`: expected an RFC 3339 instant like 2026-03-02T09:00:00Z, found \"2026-03-02\"",
        ]
    );
}

#[test]
fn json_errors_point_at_the_record() {
    let text = r#"{
  "tickets": [
    {"ticket": "T-1", "customer": "globex", "priority": "P1", "title": "x",
     "detected_at": "2026-03-02T09:00:00Z"}
  ],
  "events": [
    {"ticket": "T-1", "kind": "acknowledged", "at": "2026-03-02T09:01:00Z"},
    {"ticket": "T-1", "kind": "escalated", "at": "2026-03-02T09:02:00Z",
     "payload": {"level": 12, "to": "noc-l2"}},
    {"ticket": "T-1", "customer": "globex", "kind": "note",
     "at": "2026-03-02T09:03:00Z", "payload": {"text": "hi"}},
    [1, 2]
  ]
}"#;
    assert_eq!(
        errors("in.json", text),
        [
            "in.json:8: events[1]: field `payload.level`: expected a whole number 1 to 9",
            "in.json:10: events[2]: field `customer`: unknown field: an event record has id, ticket, kind, at, recorded_at, actor and payload; kind-specific fields go in `payload`",
            "in.json:12: events[3]: expected a record (a JSON object), found [1,2]",
        ]
    );
    assert_eq!(
        errors("in.json", "[\n  {\"ticket\": \"T\",}\n]"),
        ["in.json:2:18: invalid JSON: trailing comma"]
    );
    let err = errors("in.json", "{\"evnts\": []}");
    assert!(
        err[0].starts_with("in.json:1:9: unknown field `evnts`, expected `tickets` or `events`"),
        "{err:?}"
    );
    assert_eq!(
        errors("in.json", "\n  42"),
        ["in.json:2:3: expected a JSON array of records, or an object {\"tickets\": [...], \"events\": [...]}"]
    );
    let err = errors("in.jsonl", "{\"ticket\": \"T\"\n\n[]\n");
    assert_eq!(
        err,
        [
            "in.jsonl:1:14: invalid JSON: EOF while parsing an object",
            "in.jsonl:3: expected a record (a JSON object), found []",
        ]
    );
}

#[test]
fn same_id_with_different_content_names_both_lines() {
    let line = |text: &str| {
        json!({"id": "e-1", "ticket": "T-1", "kind": "note", "at": "2026-03-02T09:00:00Z",
            "payload": {"text": text}})
        .to_string()
    };
    let same = format!("{}\n{}\n", line("a"), line("a"));
    assert_eq!(
        read("e.jsonl", &same).unwrap().len(),
        1,
        "exact repeats merge"
    );
    let differ = format!("{}\n{}\n{}\n", line("a"), line("a"), line("b"));
    assert_eq!(
        errors("e.jsonl", &differ),
        ["e.jsonl:3: field `id`: \"e-1\" is also the id of the event at line 1, with different content"]
    );
    let json = format!("[\n{},\n{}\n]", line("a"), line("b"));
    assert_eq!(
        errors("e.json", &json),
        ["e.json:3: [1]: field `id`: \"e-1\" is also the id of the event at line 2 ([0]), with different content"]
    );
    let tickets = "ticket,customer,priority,title,detected_at\n\
                   T-1,globex,P1,x,2026-03-02T09:00:00Z\n\
                   T-1,globex,P2,x,2026-03-02T09:00:00Z\n";
    assert!(errors("t.csv", tickets)[0].starts_with("t.csv:3: field `id`:"));
}

#[test]
fn file_level_problems() {
    for name in ["e.csv", "e.json", "e.jsonl"] {
        assert_eq!(read(name, "").unwrap(), []);
        assert_eq!(read(name, " \n\n").unwrap(), []);
    }
    assert_eq!(read("e.csv", "ticket,kind,at\n").unwrap(), []);
    assert_eq!(read("e.json", "[]").unwrap(), []);

    let err = read_file("events.xlsx").unwrap_err();
    assert_eq!(
        err.to_string(),
        "events.xlsx: unknown file type: expected a name ending in .csv, .json, .jsonl or .ndjson"
    );
    let err = read_file("/nonexistent/e.csv").unwrap_err();
    assert!(err
        .to_string()
        .starts_with("/nonexistent/e.csv: cannot read:"));

    let latin1 = b"ticket,kind,at,text\nT-1,note,2026-03-02T09:00:00Z,caf\xe9 cr\xe8me\n";
    let err = read_raw("e.csv", latin1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "e.csv:2:34: not UTF-8 text: invalid byte 0xE9 (and 1 more on this line); save the file as UTF-8"
    );
    let bom = "\u{feff}[{\"ticket\":\"T\",\"kind\":\"resumed\",\"at\":\"2026-03-02T09:00:00Z\"}]";
    assert_eq!(read("e.json", bom).unwrap().len(), 1);
}

#[test]
fn long_error_lists_are_capped() {
    let mut csv = String::from("ticket,kind,at\n");
    for _ in 0..60 {
        csv.push_str("T-1,resumed,never\n");
    }
    let err = read("e.csv", &csv).unwrap_err();
    assert_eq!(err.len(), 60);
    let text = err.to_string();
    assert_eq!(text.lines().count(), 51);
    assert!(text.ends_with("\n... and 10 more"), "{text}");
}

#[test]
fn written_files_read_back_with_the_same_canonical_bytes() {
    let events = read_file(example("events.jsonl")).unwrap();
    let mut csv = Vec::new();
    write_csv(&events, &mut csv).unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(text.starts_with("id,ticket,kind,at,recorded_at,actor,payload\n"));
    assert!(text.contains(",2026-03-02T08:00:00.000000Z,"), "{text}");
    let mut jsonl = Vec::new();
    write_jsonl(&events, &mut jsonl).unwrap();
    for (name, bytes) in [("x.csv", csv), ("x.jsonl", jsonl)] {
        let back = read_raw(name, &bytes).unwrap();
        assert_eq!(back, events, "{name}");
    }
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,20}",
        ".{0,12}",
        Just("comma, \"quoted\", and\nnewline\r\n".to_owned()),
        Just("ünïcødé — 日本語 🚨".to_owned()),
        Just("=HYPERLINK(\"x\") \u{1b}]0;t\u{7} \u{85}\u{202e}\u{2028}".to_owned()),
    ]
}

prop_compose! {
    fn arb_event()(
        id in "[a-z0-9-]{1,36}",
        ticket in "[A-Z]{2,6}-[0-9]{1,5}",
        actor in arb_text(),
        text in arb_text(),
        extra in arb_text(),
        secs in 1_700_000_000i64..1_900_000_000,
        micros in 0u32..1_000_000,
        delay in 0i64..100_000_000,
        number in any::<i32>(),
    ) -> Event {
        let at = DateTime::from_timestamp(secs, micros * 1000).unwrap();
        let mut payload = Payload::new();
        payload.insert("text".into(), format!("x{text}").into());
        payload.insert("nested".into(), json!({"note": extra, "n": number, "ok": [true, null]}));
        Event {
            id,
            ticket,
            kind: EventKind::Note,
            at,
            recorded_at: at + chrono::TimeDelta::microseconds(delay),
            actor,
            payload,
        }
        .normalized()
    }
}

proptest! {
    /// JSON lines is the lossless backup format; CSV, escaped for spreadsheets, is not.
    #[test]
    fn jsonl_round_trip_keeps_canonical_bytes(events in prop::collection::vec(arb_event(), 0..8)) {
        let mut events = events;
        events.sort_by(|a, b| a.id.cmp(&b.id));
        events.dedup_by(|a, b| a.id == b.id);
        let bytes: Vec<Vec<u8>> = events.iter().map(canonical_bytes).collect();
        let mut jsonl = Vec::new();
        write_jsonl(&events, &mut jsonl).unwrap();
        let back = read_raw("p.jsonl", &jsonl).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: Vec<Vec<u8>> = back.iter().map(canonical_bytes).collect();
        prop_assert_eq!(&back, &bytes);
    }
}

#[test]
fn sections_store_tickets_first_wherever_they_are() {
    let text = r#"{"events": [{"ticket": "T-1", "kind": "resumed", "at": "2026-03-02T09:05:00Z"}],
  "tickets": [{"ticket": "T-1", "customer": "c", "priority": "P1", "title": "x",
               "detected_at": "2026-03-02T09:00:00Z"}]}"#;
    let events = read("s.json", text).unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Detected, EventKind::Resumed]);
    assert_eq!(
        errors("s.json", "{\"tickets\": [], \"tickets\": []}"),
        ["s.json:1:26: invalid JSON: `tickets` is given twice; give each section once"]
    );
}

#[test]
fn duplicate_keys_are_located_errors_in_every_format() {
    let line = r#"{"ticket":"T-1","kind":"priority_changed","at":"2026-03-02T09:00:00Z","payload":{"priority":"P1","priority":"P9"}}"#;
    assert_eq!(
        errors("d.jsonl", &format!("\n{line}\n")),
        ["d.jsonl:2: field `payload.priority`: given twice in the same object; give each field once"]
    );
    let top = r#"{"ticket":"T-1","ticket":"T-2","kind":"resumed","at":"2026-03-02T09:00:00Z"}"#;
    assert_eq!(
        errors("d.json", &format!("[\n{top}]")),
        ["d.json:2: [0]: field `ticket`: given twice in the same object; give each field once"]
    );
    let csv = "ticket,kind,at,payload\n\
               T-1,priority_changed,2026-03-02T09:00:00Z,\"{\"\"priority\"\":\"\"P1\"\",\"\"priority\"\":\"\"P9\"\"}\"\n";
    assert_eq!(
        errors("d.csv", csv),
        ["d.csv:2: field `payload.priority`: given twice in the same object; give each field once"]
    );
}

#[test]
fn an_unterminated_csv_quote_is_a_located_error_not_one_long_note() {
    let csv = "ticket,kind,at,text\n\
               T-1,note,2026-03-02T09:00:00Z,fine\n\
               T-1,note,2026-03-02T09:01:00Z,\"never closed\n\
               T-1,note,2026-03-02T09:02:00Z,swallowed\n\
               T-1,note,2026-03-02T09:03:00Z,swallowed too\n";
    let err = errors("q.csv", csv);
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].starts_with("q.csv:3:31: invalid CSV: this quoted cell is never closed"),
        "{err:?}"
    );
    // Quotes that are closed, doubled or inside an unquoted cell are fine.
    let ok = "ticket,kind,at,text\n\
              T-1,note,2026-03-02T09:01:00Z,\"two\nlines, \"\"quoted\"\"\"\n\
              T-1,note,2026-03-02T09:02:00Z,5\" screen\n";
    let events = read("q.csv", ok).unwrap();
    assert_eq!(events[0].text("text"), Some("two\nlines, \"quoted\""));
    assert_eq!(events[1].text("text"), Some("5\" screen"));
}

#[test]
fn leap_seconds_and_years_past_9999_are_refused_where_they_are() {
    let rec = |at: &str| format!(r#"{{"ticket":"T-1","kind":"resumed","at":"{at}"}}"#) + "\n";
    let err = errors("t.jsonl", &rec("2026-12-31T23:59:60Z"));
    assert!(
        err[0].starts_with("t.jsonl:1: field `at`: \"2026-12-31T23:59:60Z\" is a leap second"),
        "{err:?}"
    );
    let err = errors("t.jsonl", &rec("9999-12-31T23:30:00-01:00"));
    assert_eq!(
        err,
        ["t.jsonl:1: field `at`: \"9999-12-31T23:30:00-01:00\" is in UTC the year 10000; instants must fall in the years 0000 to 9999 in UTC"]
    );
    let err = errors("t.jsonl", &rec("0000-01-01T00:30:00+01:00"));
    assert!(err[0].contains("is in UTC the year -1"), "{err:?}");
    assert_eq!(
        read("t.jsonl", &rec("9999-12-31T23:59:59.999999Z"))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn garbage_costs_one_capped_error_per_line_and_a_count() {
    // Bad bytes, lines that are not JSON, and lines too long to hold, many of each.
    let mut garbage = Vec::new();
    for i in 0..20_000u32 {
        match i % 4 {
            0 => garbage.extend_from_slice(&[0xFF; 300]),
            1 => garbage.extend_from_slice(b"{\"ticket\": no"),
            2 => garbage.extend_from_slice(
                format!(
                    r#"{{"ticket":"T","kind":"note","at":"{}"}}"#,
                    "9".repeat(5000)
                )
                .as_bytes(),
            ),
            _ => garbage.extend_from_slice(b"\x00\x01 not json"),
        }
        garbage.push(b'\n');
    }
    garbage.extend(std::iter::repeat_n(b'x', MAX_RECORD * 3));
    let err = read_raw("g.jsonl", &garbage).unwrap_err();
    assert_eq!(err.len(), 20_001, "one error per line");
    assert_eq!(err.iter().count(), FormatErrors::SHOWN);
    let text = err.to_string();
    assert!(
        text.ends_with("\n... and 19951 more"),
        "{}",
        &text[text.len() - 100..]
    );
    assert!(text.len() < 50 * 400, "{} bytes of errors", text.len());
    assert!(
        text.lines().nth(2).unwrap().contains("… (5000 bytes)"),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("g.jsonl:1:1: not UTF-8 text: invalid byte 0xFF (and 299 more"));

    let mut long = b"ticket,kind,at\n".to_vec();
    long.extend(std::iter::repeat_n(b'y', MAX_RECORD + 1));
    long.extend(b"\nT-1,resumed,2026-03-02T09:00:00Z\n");
    let err = read_raw("l.csv", &long).unwrap_err();
    assert_eq!(err.len(), 1);
    assert!(
        err.to_string()
            .starts_with("l.csv:2: longer than 1 MiB (1048578 bytes)"),
        "{err}"
    );

    let mut huge = b"[{\"ticket\": \"".to_vec();
    huge.extend(std::iter::repeat_n(b'z', MAX_RECORD * 2));
    huge.extend(b"\"}]");
    let err = read_raw("h.json", &huge).unwrap_err();
    assert_eq!(err.len(), 1);
    let mut key = b"{\"".to_vec();
    key.extend(std::iter::repeat_n(b'k', MAX_RECORD * 2));
    key.extend(b"\": []}");
    let key_err = read_raw("k.json", &key).unwrap_err().to_string();
    assert!(
        key_err.starts_with("k.json:1: more than 1 MiB outside any record"),
        "{key_err}"
    );
    assert_eq!(err.to_string(), "h.json:1: a record longer than 1 MiB; one record must fit in that (the rest of the file is not read)");
}

#[test]
fn one_id_for_two_events_is_caught_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    let note = |t: &str| {
        format!(
            r#"{{"id":"e-1","ticket":"T-1","kind":"note","at":"2026-03-02T09:00:00Z","payload":{{"text":"{t}"}}}}"#
        )
    };
    std::fs::write(&a, note("a") + "\n").unwrap();
    std::fs::write(&b, format!("{}\n{}\n", note("a"), note("b"))).unwrap();
    let mut scan = Scan::new();
    let mut seen = 0;
    for f in [&a, &b] {
        scan_file(f, &mut scan, &mut |_| seen += 1);
    }
    assert_eq!(seen, 1);
    let err = scan.finish().unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}:2: field `id`: \"e-1\" is also the id of the event at {}:1, with different content",
            b.display(),
            a.display()
        )
    );
}

/// RFC 3339 texts across the whole range, leap seconds, odd offsets and fractions
/// included; many of them are not instants at all.
fn arb_rfc3339() -> impl Strategy<Value = String> {
    (
        0u32..=9999,
        1u32..=12,
        1u32..=31,
        0u32..=23,
        0u32..=59,
        0u32..=60,
        prop_oneof![Just(String::new()), "\\.[0-9]{1,9}"],
        prop_oneof![
            Just("Z".to_owned()),
            (any::<bool>(), 0u32..=23, 0u32..=59)
                .prop_map(|(neg, h, m)| format!("{}{h:02}:{m:02}", if neg { '-' } else { '+' })),
        ],
    )
        .prop_map(|(y, mo, d, h, mi, s, frac, off)| {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{off}")
        })
}

proptest! {
    #[test]
    fn every_accepted_instant_survives_export_and_import(at in arb_rfc3339(), rec in arb_rfc3339()) {
        let line = format!(r#"{{"id":"e","ticket":"T-1","kind":"resumed","at":"{at}","recorded_at":"{rec}"}}"#);
        let Ok(events) = read("i.jsonl", &line) else {
            return Ok(());
        };
        let mut jsonl = Vec::new();
        write_jsonl(&events, &mut jsonl).unwrap();
        let mut csv = Vec::new();
        write_csv(&events, &mut csv).unwrap();
        for (name, out) in [("back.jsonl", jsonl), ("back.csv", csv)] {
            let back = read_raw(name, &out).map_err(|e| TestCaseError::fail(format!("{at} / {rec}: {e}")))?;
            prop_assert_eq!(&back, &events);
        }
    }
}
