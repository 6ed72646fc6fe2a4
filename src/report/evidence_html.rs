//! `evidence.html`: one self-contained, printable page (no scripts, no external files).

use std::fmt::Write;

use super::evidence_types::{Evidence, HTML_FILE, JSON_FILE, MD_FILE};
use super::text::html as h;
use crate::sla::penalty::money::group_thousands;

pub const CSS: &str = r#"
:root { --ink: #1b1f24; --muted: #5b6470; --line: #d0d7de; --bad: #b42318; --ok: #1a7f37; --warn: #9a6700; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.45 -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; color: var(--ink); margin: 2em auto; max-width: 60em; padding: 0 1.5em; }
h1 { font-size: 17pt; margin: 0 0 .2em; }
h2 { font-size: 13pt; margin: 1.6em 0 .5em; border-bottom: 1px solid var(--line); padding-bottom: .2em; }
h3 { font-size: 11pt; margin: 1.2em 0 .4em; }
.sub { color: var(--muted); margin: 0 0 1em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 1em; }
th, td { border: 1px solid var(--line); padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr { page-break-inside: avoid; break-inside: avoid; }
.mono, code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 8.5pt; word-break: break-all; }
.breached { color: var(--bad); font-weight: 600; }
.met { color: var(--ok); font-weight: 600; }
.pending { color: var(--warn); }
ol.steps li { margin: .15em 0; }
.amount { font-size: 13pt; font-weight: 700; }
.box { border: 1px solid var(--line); border-radius: 4px; padding: .6em .9em; margin: .6em 0; }
.problem { border-color: var(--bad); color: var(--bad); }
footer { margin-top: 2em; color: var(--muted); font-size: 9pt; }
@page { size: A4; margin: 16mm 14mm; }
table.timeline td:first-child { width: 13em; } table.timeline td:nth-child(2) { width: 21em; } table.timeline td:nth-child(3) { width: 6em; }
@media print { body { margin: 0; max-width: none; padding: 0; font-size: 9pt; } .mono, code { font-size: 7pt; } h2 { break-after: avoid; } a { color: inherit; text-decoration: none; } }
"#;

fn opt(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "—".to_owned(), h)
}

/// The page for a package (its `files` manifest is not shown: it covers this page).
pub fn render(ev: &Evidence) -> String {
    let s = &ev.summary;
    let mut o = String::with_capacity(32 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"{}\">\n<title>Evidence {} — {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        h(&ev.generator),
        h(&ev.ticket),
        h(&s.title)
    );
    let _ = write!(
        o,
        "<h1>Evidence package: {} — {}</h1>\n<p class=\"sub\">Customer {}{} · priority {} · {} · times in {} · as of {}</p>\n",
        h(&ev.ticket),
        h(&s.title),
        h(&s.customer),
        s.service.as_deref().map_or(String::new(), |x| format!(" · service {}", h(x))),
        h(&s.priority),
        h(&s.state),
        h(&s.timezone),
        h(&ev.generated_at.to_rfc3339())
    );
    if !ev.chain.problems.is_empty() {
        o.push_str(
            "<div class=\"box problem\"><strong>The hash chain does not verify.</strong><ul>",
        );
        for p in &ev.chain.problems {
            let _ = write!(o, "<li>{}</li>", h(p));
        }
        o.push_str("</ul></div>\n");
    }

    o.push_str("<h2>Summary</h2>\n<table>\n");
    let rows: [(&str, String); 11] = [
        ("Detected", h(&s.detected_at)),
        ("First response", opt(&s.first_response_at)),
        (
            "Escalations",
            if s.escalations.is_empty() {
                "none".into()
            } else {
                s.escalations
                    .iter()
                    .map(|e| h(e))
                    .collect::<Vec<_>>()
                    .join("<br>")
            },
        ),
        ("Client updates sent", s.client_updates.to_string()),
        ("Restored", opt(&s.restored_at)),
        ("Verification", opt(&s.verification)),
        (
            "Client confirmation",
            match s.client_confirmed {
                Some(true) => "confirmed".into(),
                Some(false) => "not confirmed".into(),
                None => "—".into(),
            },
        ),
        ("Resolved", opt(&s.resolved_at)),
        ("Root cause", opt(&s.root_cause)),
        (
            "Policy / calendar",
            format!("{} / {}", h(&s.policy), h(&s.calendar)),
        ),
        (
            "Chain head (sha256)",
            format!(
                "<span class=\"mono\">{}</span> ({} events)",
                h(&ev.chain.head),
                ev.chain.events
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    o.push_str("</table>\n");

    o.push_str("<h2>Timeline</h2>\n<table class=\"timeline\">\n<tr><th>When</th><th>What</th><th>Who</th><th>Details</th></tr>\n");
    for t in &ev.timeline {
        let recorded = t.recorded_at.as_deref().map_or(String::new(), |r| {
            format!("<br><span class=\"pending\">recorded {}</span>", h(r))
        });
        let _ = writeln!(
            o,
            "<tr><td class=\"num\">{}{recorded}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            h(&t.at),
            h(&t.what),
            h(&t.actor),
            opt(&t.detail)
        );
    }
    o.push_str("</table>\n");

    o.push_str("<h2>SLA clocks</h2>\n<table>\n<tr><th>Clock</th><th>State</th><th class=\"num\">Target</th><th class=\"num\">Actual</th><th>Started</th><th>Stopped</th><th>Due / breached at</th></tr>\n");
    for c in &ev.clocks {
        let class = match c.state.as_str() {
            "breached" => "breached",
            "met" => "met",
            _ => "",
        };
        let due = match (&c.breached_at, &c.due) {
            (Some(b), _) => format!("breached at {}", h(b)),
            (None, Some(d)) => format!("due {}", h(d)),
            _ => "—".into(),
        };
        let breaches = if c.breaches > 1 {
            format!(" ({} late cycles)", c.breaches)
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"{class}\">{}{breaches}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{due}</td></tr>",
            h(&c.metric),
            h(&c.state),
            h(&c.target),
            h(&c.actual),
            h(&c.started_at),
            opt(&c.stopped_at)
        );
    }
    o.push_str("</table>\n");
    if let Some(c) = ev.clocks.first().filter(|c| !c.pauses.is_empty()) {
        o.push_str("<h3>Pauses and the clocks they stop</h3>\n<table>\n<tr><th>From</th><th>To</th><th>Reason</th>");
        for c in &ev.clocks {
            let _ = write!(o, "<th>{}</th>", h(&c.metric));
        }
        o.push_str("</tr>\n");
        for (i, p) in c.pauses.iter().enumerate() {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td>",
                h(&p.from),
                opt(&p.to),
                h(&p.reason)
            );
            for c in &ev.clocks {
                let stops = c.pauses.get(i).is_some_and(|p| p.stops_this_clock);
                o.push_str(if stops {
                    "<td>stopped</td>"
                } else {
                    "<td>runs</td>"
                });
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</table>\n");
    }

    o.push_str("<h2>Penalty calculation</h2>\n");
    if ev.penalties.is_empty() {
        o.push_str("<p>No contract term of this customer measures this ticket.</p>\n");
    }
    for p in &ev.penalties {
        let _ = write!(
            o,
            "<div class=\"box\">\n<h3>{} · {} · {} ({})</h3>\n<p>{} {} {} · actual <strong>{}</strong> · {}</p>\n",
            h(&p.contract),
            h(&p.term),
            h(&p.period),
            h(&p.kpi),
            h(&p.kpi),
            h(&p.operator),
            h(&p.threshold),
            h(&p.actual),
            if p.breached { "<span class=\"breached\">breached</span>" } else { "<span class=\"met\">met</span>" }
        );
        if let Some(t) = &p.this_ticket {
            let _ = writeln!(o, "<p>This ticket: {}</p>", h(t));
        }
        for x in &p.exclusions {
            let _ = writeln!(o, "<p>Excluded by the contract: {}</p>", h(x));
        }
        o.push_str("<ol class=\"steps\">\n");
        for st in &p.steps {
            let _ = writeln!(o, "<li>{}</li>", h(st));
        }
        o.push_str("</ol>\n");
        let _ = writeln!(
            o,
            "<p class=\"amount\">Penalty: {} {}</p>",
            h(&group_thousands(&p.amount)),
            h(&p.currency)
        );
        if !p.pending.is_empty() {
            let _ = writeln!(
                o,
                "<p class=\"pending\">Not final: {}</p>",
                h(&p.pending.join("; "))
            );
        }
        let _ = writeln!(
            o,
            "<p class=\"sub\">Tickets behind this figure: {}</p>\n</div>",
            h(&p.tickets.join(", "))
        );
    }
    if !ev.recorded_penalties.is_empty() {
        o.push_str("<h3>Recorded penalties and adjustments</h3>\n<table>\n<tr><th>Penalty</th><th>Period</th><th class=\"num\">Recorded</th><th>Adjustments</th><th class=\"num\">Owed</th></tr>\n");
        for r in &ev.recorded_penalties {
            let adj: Vec<String> = r
                .adjustments
                .iter()
                .map(|a| {
                    format!(
                        "{}: {} by {} — {}",
                        h(&a.at),
                        h(&group_thousands(&a.amount)),
                        h(&a.actor),
                        h(&a.reason)
                    )
                })
                .collect();
            let _ = writeln!(
                o,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{} {}</td><td>{}</td><td class=\"num\">{} {}</td></tr>",
                h(&r.penalty_id),
                h(&r.period),
                h(&group_thousands(&r.amount)),
                h(&r.currency),
                if adj.is_empty() { "none".into() } else { adj.join("<br>") },
                h(&group_thousands(&r.net)),
                h(&r.currency)
            );
        }
        o.push_str("</table>\n");
    }

    o.push_str("<h2>Event log and hash chain</h2>\n");
    let _ = writeln!(
        o,
        "<p class=\"sub\">{}. Genesis: <span class=\"mono\">{}</span></p>",
        h(&ev.chain.algorithm),
        h(&ev.chain.genesis)
    );
    o.push_str("<table>\n<tr><th>#</th><th>Event</th><th>At / recorded (UTC)</th><th>Actor</th><th>prev_hash → hash</th></tr>\n");
    for (i, c) in ev.events.iter().enumerate() {
        let e = &c.event;
        let _ = writeln!(
            o,
            "<tr><td class=\"num\">{}</td><td>{}<br><span class=\"mono\">{}</span></td><td>{}<br>{}</td><td>{}</td><td class=\"mono\">{}<br>→ {}</td></tr>",
            i + 1,
            h(e.kind.as_str()),
            h(&e.id),
            h(&crate::model::canonical::instant(e.at)),
            h(&crate::model::canonical::instant(e.recorded_at)),
            h(&e.actor),
            h(&c.prev_hash),
            h(&c.hash)
        );
    }
    o.push_str("</table>\n");
    if let Some(p) = &ev.proofs {
        let _ = write!(
            o,
            "<h2>Integrity</h2>\n<p>Every one of the {} events in this package has an inclusion proof in {JSON_FILE} in the store's log-wide Merkle tree (RFC 9162) as this checkpoint signed it:</p>\n<pre class=\"mono\">{}</pre>\n<p class=\"sub\">Check it against a checkpoint kept elsewhere with <code>slawatch verify --evidence DIR --checkpoint FILE</code>.</p>\n",
            p.inclusion.len(),
            h(&p.checkpoint)
        );
    }
    let _ = write!(
        o,
        "<footer>Generated by {} at {}. This page, {MD_FILE} and {JSON_FILE} form one package: {JSON_FILE} holds every event, clock and calculation with the configuration they came from, and lists the sha256 of this file ({HTML_FILE}). Check the package with <code>slawatch verify --evidence DIR</code>; it needs no store.</footer>\n</body>\n</html>\n",
        h(&ev.generator),
        h(&ev.generated_at.to_rfc3339())
    );
    o
}
