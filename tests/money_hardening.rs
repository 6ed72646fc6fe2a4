//! Huge and negative money from a contracts file, an import or a crafted evidence
//! package: a located error or a marked figure, never a panic (issue 14, items 5, 12).

mod common;

use std::path::Path;

use common::*;

const NOW: &str = "2026-04-02T00:00:00Z";
const HUGE: &str = "79228162514264337593543950335";

fn no_panic(out: &(String, String)) {
    assert!(
        !out.0.contains("panicked") && !out.1.contains("panicked"),
        "{}\n{}",
        out.0,
        out.1
    );
}

/// The shipped contracts with one `key = "value"` replaced by `value`.
fn contracts_with(dir: &Path, key: &str, old: &str, value: &str) -> String {
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/contracts.toml"),
    )
    .unwrap();
    let from = format!("{key} = \"{old}\"");
    assert!(shipped.contains(&from), "{from}");
    let path = dir.join("k.toml");
    std::fs::write(
        &path,
        shipped.replacen(&from, &format!("{key} = \"{value}\""), 1),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_huge_fee_or_fixed_amount_is_a_located_error_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = incident_store(dir.path());
    let pkg = dir.path().join("pkg");
    let pkg = pkg.to_str().unwrap();
    for (key, old) in [("monthly_fee", "48000.00"), ("fixed", "750.00")] {
        let k = contracts_with(dir.path(), key, old, HUGE);
        for args in [
            vec!["penalties", "--month", "2026-03", "--now", NOW],
            vec!["report", "--month", "2026-03", "--now", NOW],
            vec!["evidence", "ACME-1001", "--out", pkg, "--now", NOW],
        ] {
            let mut args = args;
            args.extend(["--contracts", &k]);
            let out = fails(&db, &args);
            no_panic(&out);
            assert!(
                out.1.contains(&format!(
                    "k.toml:{}: contract `acme-telecom-wan`",
                    if key == "fixed" { "50:9" } else { "25:15" }
                )) && out.1.contains(&format!(
                    "{key}: {HUGE} is more than the largest amount slawatch takes (1000000000000000)"
                )),
                "{args:?}: {}",
                out.1
            );
        }
    }
}

#[test]
fn a_crafted_evidence_package_with_a_huge_fee_fails_verification_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (db, pkg) = incident_package(dir.path(), NOW);
    let json = pkg.join("evidence.json");
    let text = std::fs::read_to_string(&json).unwrap();
    let from = "monthly_fee = \\\"48000.00\\\"";
    assert!(text.contains(from));
    std::fs::write(
        &json,
        text.replace(from, &format!("monthly_fee = \\\"{HUGE}\\\"")),
    )
    .unwrap();
    let out = fails(&db, &["verify", "--evidence", pkg.to_str().unwrap()]);
    no_panic(&out);
    let all = format!("{}{}", out.0, out.1);
    assert!(
        all.contains("cannot recompute the package: configuration:")
            && all.contains(
                "monthly_fee: 79228162514264337593543950335 is more than the largest amount"
            ),
        "{all}"
    );
}

fn penalty_line(id: &str, amount: &str) -> String {
    format!(
        r#"{{"id":"{id}","ticket":"penalties:acme-telecom-wan","kind":"penalty","at":"2026-04-01T00:00:00+01:00","actor":"x","payload":{{"contract":"acme-telecom-wan","customer":"acme-telecom","term":"{id}","kpi":"availability","period":"2026-03","amount":"{amount}","currency":"EUR","tickets":[]}}}}"#
    )
}

#[test]
fn imported_money_events_get_the_rules_of_the_commands_that_record_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = incident_store(dir.path());
    let file = dir.path().join("p.jsonl");
    std::fs::write(
        &file,
        format!("{}\n{}\n", penalty_line("a", HUGE), penalty_line("b", HUGE)),
    )
    .unwrap();
    let out = fails(&db, &["import", file.to_str().unwrap()]);
    no_panic(&out);
    assert!(
        out.1.contains("p.jsonl:1:")
            && out.1.contains("payload.amount")
            && out.1.contains("more than the largest amount"),
        "{}",
        out.1
    );
    // As `penalties adjust` refuses a negative amount, so does an import.
    std::fs::write(
        &file,
        r#"{"id":"adj","ticket":"penalties:acme-telecom-wan","kind":"penalty_adjusted","at":"2026-04-05T00:00:00Z","actor":"x","payload":{"penalty":"penalty:acme-telecom-wan:availability:2026-03","amount":"-100.00","currency":"EUR","reason":"goodwill"}}
"#,
    )
    .unwrap();
    let out = fails(&db, &["import", file.to_str().unwrap()]);
    assert!(
        out.1.contains("p.jsonl:1:")
            && out.1.contains("payload.amount")
            && out.1.contains("must not be negative, found -100.00"),
        "{}",
        out.1
    );
    // Nothing was stored: the report still runs.
    let report = ok(
        &db,
        &[
            "report", "--month", "2026-03", "--format", "md", "--now", NOW,
        ],
    );
    assert!(report.contains("acme-telecom"), "{report}");
}

#[test]
fn penalties_marks_every_recorded_figure_that_differs_from_the_computed_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = incident_store(dir.path());
    ok(
        &db,
        &["penalties", "--month", "2026-03", "--now", NOW, "--record"],
    );
    // A bounded but made-up figure for a term the computation finds met.
    let file = dir.path().join("p.jsonl");
    std::fs::write(&file, penalty_line("made-up", "999999999999999.00") + "\n").unwrap();
    ok(&db, &["import", file.to_str().unwrap()]);
    // The same store read with a lower fee: the recorded availability penalty (4,800.00
    // EUR) no longer matches the 10 % of 24,000.00 computed now.
    let k = contracts_with(dir.path(), "monthly_fee", "48000.00", "24000.00");
    let (out, err) = fails(
        &db,
        &[
            "penalties",
            "--month",
            "2026-03",
            "--now",
            NOW,
            "--contracts",
            &k,
        ],
    );
    assert!(
        out.contains("recorded penalty:acme-telecom-wan:availability:2026-03: 4,800.00 EUR — DIFFERS from the computed 2,400.00 EUR"),
        "{out}"
    );
    assert!(
        out.contains("recorded made-up: 999,999,999,999,999.00 EUR — DIFFERS: contract acme-telecom-wan has no term made-up"),
        "{out}"
    );
    assert!(
        out.contains("recorded penalty:acme-telecom-wan:restore:2026-03: 750.00 EUR\n"),
        "the unchanged one is not marked: {out}"
    );
    assert!(
        err.contains("2 recorded penalties differ from the recomputation: made-up, penalty:acme-telecom-wan:availability:2026-03"),
        "{err}"
    );
}
