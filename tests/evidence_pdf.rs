//! The evidence page printed by headless Chromium: the PDF's text holds the timeline
//! and the penalty. Needs Debian's `chromium` and `pdftotext` (poppler-utils); without
//! them the test is skipped loudly, unless SLAWATCH_REQUIRE_SERVICES=1 (CI).

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn found(tool: &str) -> Option<String> {
    let candidates: &[&str] = match tool {
        "chromium" => &[
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ],
        other => &[other][..],
    };
    candidates.iter().find_map(|c| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {c}"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    })
}

fn print_to_pdf(chromium: &str, html: &Path, pdf: &Path, profile: &Path) {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .env("HOME", profile)
        .output()
        .expect("run chromium");
    assert!(
        pdf.exists() && std::fs::metadata(pdf).unwrap().len() > 1000,
        "chromium made no PDF (status {}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn evidence_html_prints_to_a_pdf_with_the_timeline_and_the_penalty() {
    let (Some(chromium), Some(pdftotext)) = (found("chromium"), found("pdftotext")) else {
        may_skip("headless Chromium and pdftotext (apt-get install chromium poppler-utils)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, pkg) = incident_package(dir.path(), "2026-04-02T00:00:00Z");
    let pdf = dir.path().join("evidence.pdf");
    let profile = dir.path().join("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();
    print_to_pdf(&chromium, &pkg.join("evidence.html"), &pdf, &profile);
    let out = Command::new(pdftotext)
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Collapse runs of spaces and line breaks.
    let text = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for want in [
        "Evidence package: ACME-1001",
        "<script>alert('x')</script>",
        "Detected (P1)",
        "Acknowledged",
        "Escalated to level 1: noc-l2",
        "Escalated to level 2: fiber-field-team",
        "Client notified by email",
        "Investigating <b>now</b>",
        "Clock paused: customer",
        "Clock resumed",
        "Carrier / vendor update",
        "Service restored",
        "light levels nominal on both ends",
        "client confirmed restoration",
        "root cause: fibre cut by third-party road works",
        "availability = (44,580 − 270) / 44,580 × 100 = 99.3943 %",
        "Penalty: 4,800.00 EUR",
        "Penalty: 750.00 EUR",
    ] {
        assert!(
            text.contains(want),
            "the PDF's text lacks {want:?}:\n{text}"
        );
    }
}
