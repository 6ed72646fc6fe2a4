//! penalties, report, evidence and `verify --evidence` as a user runs them, on the
//! incident worked by hand in `common` (amounts derived there).

mod common;

use std::path::Path;

use common::*;

const NOW: &str = "2026-04-02T00:00:00Z";

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn penalties_are_computed_recorded_once_and_adjusted() {
    let dir = tempfile::tempdir().unwrap();
    let db = incident_store(dir.path());
    let out = ok(
        &db,
        &[
            "penalties",
            "--month",
            "2026-03",
            "--customer",
            "acme-telecom",
            "--now",
            NOW,
        ],
    );
    assert!(out.contains("actual 99.3943 %"), "{out}");
    assert!(out.contains("4,800.00 EUR"), "{out}");
    assert!(out.contains("750.00 EUR"), "{out}");
    assert!(out.contains("total 2026-03: 5,550.00 EUR"), "{out}");
    // A month in progress is shown but never recorded.
    let out = ok(
        &db,
        &[
            "penalties",
            "--month",
            "2026-03",
            "--customer",
            "acme-telecom",
            "--now",
            "2026-03-20T00:00:00Z",
            "--record",
        ],
    );
    assert!(
        out.contains("not recorded: ") && out.contains("the month is not over"),
        "{out}"
    );
    assert!(out.contains("recorded nothing new"), "{out}");

    let out = ok(
        &db,
        &["penalties", "--month", "2026-03", "--now", NOW, "--record"],
    );
    assert!(
        out.contains("recording penalty:acme-telecom-wan:availability:2026-03"),
        "{out}"
    );
    assert!(out.contains("recorded 2 penalty event(s)"), "{out}");
    // Twice: nothing new, even on another day.
    let out = ok(
        &db,
        &[
            "penalties",
            "--month",
            "2026-03",
            "--now",
            "2026-04-09T00:00:00Z",
            "--record",
        ],
    );
    assert!(
        out.contains("already recorded as penalty:acme-telecom-wan:availability:2026-03"),
        "{out}"
    );
    assert!(out.contains("recorded nothing new"), "{out}");

    // A negotiated reduction is a new event; the original stays.
    let out = ok(
        &db,
        &[
            "penalties",
            "adjust",
            "penalty:acme-telecom-wan:availability:2026-03",
            "--amount",
            "2400",
            "--reason",
            "50 % goodwill: third-party road works",
            "--now",
            "2026-04-10T00:00:00Z",
        ],
    );
    assert!(out.contains("4,800.00 EUR → 2,400.00 EUR"), "{out}");
    let (_, err) = fails(
        &db,
        &[
            "penalties",
            "adjust",
            "penalty:nope",
            "--amount",
            "1",
            "--reason",
            "x",
        ],
    );
    assert!(err.contains("no penalty event \"penalty:nope\""), "{err}");
    let (_, err) = fails(
        &db,
        &[
            "penalties",
            "adjust",
            "penalty:acme-telecom-wan:availability:2026-03",
            "--amount",
            "1.001",
            "--reason",
            "x",
        ],
    );
    assert!(err.contains("more decimals than EUR has (2)"), "{err}");

    let out = ok(
        &db,
        &[
            "penalties",
            "--month",
            "2026-03",
            "--customer",
            "acme-telecom",
            "--now",
            "2026-04-11T00:00:00Z",
        ],
    );
    assert!(out.contains("recorded penalty:acme-telecom-wan:availability:2026-03: 4,800.00 EUR, adjusted to 2,400.00 EUR (50 % goodwill: third-party road works)"), "{out}");
    ok(&db, &["verify"]);

    // The report shows computed, recorded and adjusted amounts.
    let md = ok(
        &db,
        &[
            "report",
            "--month",
            "2026-03",
            "--customer",
            "acme-telecom",
            "--format",
            "md",
            "--now",
            "2026-04-11T00:00:00Z",
        ],
    );
    assert!(
        md.contains("| acme-telecom | 1 | 88.89 % | 1 | 5,550.00 EUR | 3,150.00 EUR |"),
        "{md}"
    );
    assert!(md.contains("adjusted to 2,400.00 EUR"), "{md}");
    let csv = ok(
        &db,
        &[
            "report",
            "--month",
            "2026-03",
            "--format",
            "csv",
            "--now",
            "2026-04-11T00:00:00Z",
        ],
    );
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .starts_with("section,customer,contract,term"));
    assert!(csv.contains("penalty,acme-telecom,acme-telecom-wan,availability,,availability,2026-03,,1,,99.3943 %,99.9 %,"), "{csv}");
    assert!(
        csv.contains("adjustment,acme-telecom,acme-telecom-wan,availability"),
        "{csv}"
    );
    let html = ok(
        &db,
        &[
            "report",
            "--month",
            "2026-03",
            "--format",
            "html",
            "--customer",
            "acme-telecom",
            "--now",
            "2026-04-11T00:00:00Z",
        ],
    );
    assert!(
        html.contains("<svg") && !html.contains("<script"),
        "no scripts, hand-written charts"
    );
    assert_eq!(
        html.matches("<svg").count(),
        2,
        "daily adherence and breaches by priority"
    );
}

#[test]
fn evidence_package_verifies_on_its_own_and_escapes_hostile_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = incident_store(dir.path());
    ok(
        &db,
        &["penalties", "--month", "2026-03", "--now", NOW, "--record"],
    );
    let pkg = dir.path().join("pkg");
    let out = ok(
        &db,
        &[
            "evidence",
            "ACME-1001",
            "--out",
            pkg.to_str().unwrap(),
            "--now",
            NOW,
        ],
    );
    assert!(
        out.contains("wrote ") && out.contains("14 events of ACME-1001"),
        "{out}"
    );
    assert!(
        out.contains("acme-telecom-wan availability 2026-03: 99.3943 % (breached) → 4800.00 EUR"),
        "{out}"
    );

    let html = read(&pkg.join("evidence.html"));
    assert!(!html.contains("<script>alert"), "titles are escaped");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(!html.contains('\u{1b}'), "no terminal escapes");
    assert!(html.contains("Investigating &lt;b&gt;now&lt;/b&gt;"));
    for want in [
        "Escalated to level 1: noc-l2",
        "Escalated to level 2: fiber-field-team",
        "Client notified by email",
        "Service restored",
        "light levels nominal on both ends",
        "client confirmed restoration",
        "root cause: fibre cut by third-party road works",
        "Penalty: 4,800.00 EUR",
        "Penalty: 750.00 EUR",
        "Clock paused: customer (stops client_update, restore, resolve)",
    ] {
        assert!(html.contains(want), "HTML lacks {want:?}");
    }
    let md = read(&pkg.join("evidence.md"));
    assert!(md.contains("&lt;script&gt;") && !md.contains("<script"));
    assert!(md.contains("**Penalty: 4,800.00 EUR**"));

    let json: serde_json::Value = serde_json::from_str(&read(&pkg.join("evidence.json"))).unwrap();
    assert_eq!(json["format"], "slawatch-evidence/2");
    assert_eq!(json["format_version"], 2);
    assert_eq!(
        json["proofs"]["inclusion"].as_object().unwrap().len(),
        14 + json["related"]
            .as_object()
            .unwrap()
            .values()
            .map(|c| c.as_array().unwrap().len())
            .sum::<usize>(),
        "an inclusion proof of every event the package holds"
    );
    assert_eq!(json["events"].as_array().unwrap().len(), 14);
    assert_eq!(json["events"][0]["prev_hash"], "0".repeat(64));
    assert_eq!(json["chain"]["head"], json["events"][13]["hash"]);
    let penalty = &json["penalties"][0];
    assert_eq!(penalty["amount"], "4800.00");
    assert_eq!(
        penalty["exclusions"][0],
        "2026-03-03T11:00:00+00:00 → 2026-03-03T11:30:00+00:00: 30 min, pause reason `customer`"
    );
    assert!(penalty["steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().contains("minus pause `customer`")));
    assert_eq!(json["recorded_penalties"].as_array().unwrap().len(), 2);
    assert!(
        json["related"].get("penalties:acme-telecom-wan").is_some(),
        "the ledger chain travels with it"
    );
    let restore = json["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "restore")
        .unwrap();
    assert_eq!(
        (
            restore["target"].as_str(),
            restore["actual"].as_str(),
            restore["state"].as_str()
        ),
        (Some("4h"), Some("4h30m"), Some("breached"))
    );

    let out = ok(&db, &["verify", "--evidence", pkg.to_str().unwrap()]);
    assert!(out.contains("ok: evidence package of ACME-1001"), "{out}");
    // `sha256sum -c` agrees, for a recipient without slawatch.
    if let Ok(o) = std::process::Command::new("sha256sum")
        .arg("-c")
        .arg("evidence.sha256")
        .current_dir(&pkg)
        .output()
    {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }
}

/// Copies the package to a new directory and applies `edit` to one of its files.
fn tampered(pkg: &Path, name: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for f in [
        "evidence.json",
        "evidence.html",
        "evidence.md",
        "evidence.sha256",
    ] {
        std::fs::copy(pkg.join(f), t.path().join(f)).unwrap();
    }
    let p = t.path().join(name);
    let text = read(&p);
    let changed = edit(text.clone());
    assert_ne!(changed, text, "the edit must change {name}");
    std::fs::write(&p, changed).unwrap();
    t
}

#[test]
fn editing_the_package_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let (db, pkg) = incident_package(dir.path(), NOW);
    let verify = |d: &Path| fails(&db, &["verify", "--evidence", d.to_str().unwrap()]).0;

    // One event's content: its hash no longer matches.
    let t = tampered(&pkg, "evidence.json", |s| {
        s.replace("2026-03-03T15:00:00Z", "2026-03-03T13:59:00Z")
    });
    let out = verify(t.path());
    assert!(
        out.contains("BROKEN ACME-1001: event e13 (#13) does not match its hash"),
        "{out}"
    );
    // The penalty figure alone.
    let t = tampered(&pkg, "evidence.json", |s| {
        s.replacen("\"amount\": \"4800.00\"", "\"amount\": \"480.00\"", 1)
    });
    let out = verify(t.path());
    assert!(
        out.contains(
            "`penalties` in evidence.json differs from what its events and configuration give"
        ),
        "{out}"
    );
    // The contract the figures were computed with.
    let t = tampered(&pkg, "evidence.json", |s| {
        s.replace("percent = \\\"10\\\"", "percent = \\\"1\\\"")
    });
    let out = verify(t.path());
    assert!(
        out.contains("`penalties` in evidence.json differs"),
        "{out}"
    );
    // The printable page.
    let t = tampered(&pkg, "evidence.html", |s| {
        s.replace("Penalty: 4,800.00 EUR", "Penalty: 0.00 EUR")
    });
    let out = verify(t.path());
    assert!(
        out.contains("evidence.html: sha256") && out.contains("does not match the manifest"),
        "{out}"
    );
    // The Markdown, with the manifest updated to match: the rendering check still sees it.
    let md = read(&pkg.join("evidence.md")).replace("fibre cut", "customer cut");
    let sum = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(md.as_bytes()))
    };
    let t = tampered(&pkg, "evidence.json", |s| {
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        let old = v["files"]["evidence.md"].as_str().unwrap().to_owned();
        s.replace(&old, &sum)
    });
    std::fs::write(t.path().join("evidence.md"), &md).unwrap();
    let out = verify(t.path());
    assert!(
        out.contains("evidence.md is not the rendering of evidence.json"),
        "{out}"
    );
}

#[test]
fn a_row_edited_in_the_store_makes_the_package_fail() {
    let dir = tempfile::tempdir().unwrap();
    let db = incident_store(dir.path());
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TRIGGER events_are_append_only_update;
             UPDATE events SET payload = '{\"verification\":\"light levels nominal on both ends\",\"client_confirmed\":true}',
                               at = at - 3600000000
             WHERE id = 'e13';",
        )
        .unwrap();
    }
    let (out, _) = fails(&db, &["verify"]);
    assert!(out.contains("BROKEN ticket ACME-1001, event e13"), "{out}");
    // The package is written (for the record) but says the chain is broken, and exits 1.
    let pkg = dir.path().join("pkg");
    let (out, err) = fails(
        &db,
        &[
            "evidence",
            "ACME-1001",
            "--out",
            pkg.to_str().unwrap(),
            "--now",
            NOW,
        ],
    );
    assert!(
        out.contains("BROKEN ACME-1001: event e13 (#13) does not match its hash"),
        "{out}"
    );
    assert!(err.contains("the hash chain does not verify"), "{err}");
    assert!(read(&pkg.join("evidence.html")).contains("The hash chain does not verify."));
    let (out, err) = fails(&db, &["verify", "--evidence", pkg.to_str().unwrap()]);
    assert!(
        out.contains("BROKEN ACME-1001: event e13 (#13) does not match its hash"),
        "{out}"
    );
    assert!(err.contains("problem(s)"), "{err}");
}

#[test]
fn demo_data_shows_real_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let now = "2026-03-20T12:00:00Z";
    ok(&db, &["demo", "--now", now]);
    let out = ok(&db, &["penalties", "--month", "2026-03", "--now", now]);
    assert!(
        out.contains("acme-telecom-wan (acme-telecom) 2026-03"),
        "{out}"
    );
    assert!(out.contains("breached"), "{out}");
    let html = ok(&db, &["report", "--month", "2026-03", "--now", now]);
    for c in ["acme-telecom", "globex", "cyberdyne"] {
        assert!(html.contains(&format!("id=\"c-{c}\"")), "{c}");
    }
    // Evidence for an acme ticket that is behind the availability figure.
    let json = ok(
        &db,
        &[
            "report",
            "--month",
            "2026-03",
            "--now",
            now,
            "--format",
            "json",
            "--customer",
            "acme-telecom",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ticket = v["compliance"]["customers"][0]["contracts"][0]["now"]["terms"][0]["tickets"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let pkg = dir.path().join("pkg");
    let out = ok(
        &db,
        &[
            "evidence",
            &ticket,
            "--out",
            pkg.to_str().unwrap(),
            "--now",
            now,
        ],
    );
    assert!(
        out.contains("acme-telecom-wan availability 2026-03"),
        "{out}"
    );
    ok(&db, &["verify", "--evidence", pkg.to_str().unwrap()]);
}

#[test]
fn a_contracts_file_of_ones_own_is_used_and_its_mistakes_located() {
    let dir = tempfile::tempdir().unwrap();
    let db = incident_store(dir.path());
    let file = dir.path().join("contracts.toml");
    // One term: 2 % of 10,000.00 per ticket restored later than 4 h on the 24x7
    // calendar. ACME-1001's restore clock ran 5 h minus the 30 min customer pause that
    // stops it = 4 h 30 min > 4 h: one breach.
    std::fs::write(
        &file,
        "[[contract]]\nid = \"acme-own\"\ncustomer = \"acme-telecom\"\nmonthly_fee = \"10000.00\"\ncurrency = \"USD\"\ntimezone = \"UTC\"\n\n[[contract.term]]\nid = \"restore\"\nkpi = \"time_to_restore\"\noperator = \"above\"\nthreshold = \"4h\"\ncalendar = \"24x7\"\npercent = \"2\"\n",
    )
    .unwrap();
    let out = ok(
        &db,
        &[
            "penalties",
            "--month",
            "2026-03",
            "--now",
            NOW,
            "--contracts",
            file.to_str().unwrap(),
        ],
    );
    // 10000.00 × 2 / 100 = 200.00
    assert!(
        out.contains("acme-own (acme-telecom) 2026-03")
            && out.contains("total 2026-03: 200.00 USD"),
        "{out}"
    );
    std::fs::write(&file, read(&file).replace("\"10000.00\"", "10000.5")).unwrap();
    let (_, err) = fails(
        &db,
        &[
            "penalties",
            "--month",
            "2026-03",
            "--contracts",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        err.contains(
            "contracts.toml:4:15: contract `acme-own`: monthly_fee: 10000.5 is a TOML float"
        ),
        "{err}"
    );
}
