//! `evidence.md`: the package's page as Markdown.

use std::fmt::Write;

use super::evidence_types::{Evidence, HTML_FILE, JSON_FILE};
use super::text::markdown as m;
use crate::sla::penalty::money::group_thousands;

fn opt(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "—".to_owned(), m)
}

pub fn render(ev: &Evidence) -> String {
    let s = &ev.summary;
    let mut o = String::with_capacity(16 * 1024);
    let _ = writeln!(
        o,
        "# Evidence package: {} — {}\n",
        m(&ev.ticket),
        m(&s.title)
    );
    let _ = writeln!(
        o,
        "Customer {}{} · priority {} · {} · times in {} · as of {}\n",
        m(&s.customer),
        s.service
            .as_deref()
            .map_or(String::new(), |x| format!(" · service {}", m(x))),
        m(&s.priority),
        m(&s.state),
        m(&s.timezone),
        m(&ev.generated_at.to_rfc3339())
    );
    if !ev.chain.problems.is_empty() {
        o.push_str("**The hash chain does not verify.**\n\n");
        for p in &ev.chain.problems {
            let _ = writeln!(o, "- {}", m(p));
        }
        o.push('\n');
    }
    o.push_str("## Summary\n\n| | |\n|---|---|\n");
    let rows: [(&str, String); 11] = [
        ("Detected", m(&s.detected_at)),
        ("First response", opt(&s.first_response_at)),
        (
            "Escalations",
            if s.escalations.is_empty() {
                "none".into()
            } else {
                s.escalations
                    .iter()
                    .map(|e| m(e))
                    .collect::<Vec<_>>()
                    .join("; ")
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
            format!("{} / {}", m(&s.policy), m(&s.calendar)),
        ),
        (
            "Chain head (sha256)",
            format!(
                "`{}` ({} events)",
                ev.chain.head.replace('`', ""),
                ev.chain.events
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    o.push_str("\n## Timeline\n\n| When | What | Who | Details |\n|---|---|---|---|\n");
    for t in &ev.timeline {
        let recorded = t
            .recorded_at
            .as_deref()
            .map_or(String::new(), |r| format!(" (recorded {})", m(r)));
        let _ = writeln!(
            o,
            "| {}{recorded} | {} | {} | {} |",
            m(&t.at),
            m(&t.what),
            m(&t.actor),
            opt(&t.detail)
        );
    }
    o.push_str("\n## SLA clocks\n\n| Clock | State | Target | Actual | Started | Stopped | Due / breached at |\n|---|---|---:|---:|---|---|---|\n");
    for c in &ev.clocks {
        let due = match (&c.breached_at, &c.due) {
            (Some(b), _) => format!("breached at {}", m(b)),
            (None, Some(d)) => format!("due {}", m(d)),
            _ => "—".into(),
        };
        let breaches = if c.breaches > 1 {
            format!(" ({} late cycles)", c.breaches)
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "| {} | {}{breaches} | {} | {} | {} | {} | {due} |",
            m(&c.metric),
            m(&c.state),
            m(&c.target),
            m(&c.actual),
            m(&c.started_at),
            opt(&c.stopped_at)
        );
    }
    if let Some(first) = ev.clocks.first().filter(|c| !c.pauses.is_empty()) {
        o.push_str("\n### Pauses and the clocks they stop\n\n| From | To | Reason |");
        for c in &ev.clocks {
            let _ = write!(o, " {} |", m(&c.metric));
        }
        o.push_str("\n|---|---|---|");
        for _ in &ev.clocks {
            o.push_str("---|");
        }
        o.push('\n');
        for (i, p) in first.pauses.iter().enumerate() {
            let _ = write!(o, "| {} | {} | {} |", m(&p.from), opt(&p.to), m(&p.reason));
            for c in &ev.clocks {
                let stops = c.pauses.get(i).is_some_and(|p| p.stops_this_clock);
                o.push_str(if stops { " stopped |" } else { " runs |" });
            }
            o.push('\n');
        }
    }
    o.push_str("\n## Penalty calculation\n\n");
    if ev.penalties.is_empty() {
        o.push_str("No contract term of this customer measures this ticket.\n\n");
    }
    for p in &ev.penalties {
        let _ = writeln!(
            o,
            "### {} · {} · {} ({})\n\n{} {} {} · actual **{}** · {}\n",
            m(&p.contract),
            m(&p.term),
            m(&p.period),
            m(&p.kpi),
            m(&p.kpi),
            m(&p.operator),
            m(&p.threshold),
            m(&p.actual),
            if p.breached { "**breached**" } else { "met" }
        );
        if let Some(t) = &p.this_ticket {
            let _ = writeln!(o, "This ticket: {}\n", m(t));
        }
        for x in &p.exclusions {
            let _ = writeln!(o, "Excluded by the contract: {}\n", m(x));
        }
        for (i, st) in p.steps.iter().enumerate() {
            let _ = writeln!(o, "{}. {}", i + 1, m(st));
        }
        let _ = writeln!(
            o,
            "\n**Penalty: {} {}**\n",
            m(&group_thousands(&p.amount)),
            m(&p.currency)
        );
        if !p.pending.is_empty() {
            let _ = writeln!(o, "Not final: {}\n", m(&p.pending.join("; ")));
        }
        let _ = writeln!(
            o,
            "Tickets behind this figure: {}\n",
            m(&p.tickets.join(", "))
        );
    }
    if !ev.recorded_penalties.is_empty() {
        o.push_str("### Recorded penalties and adjustments\n\n| Penalty | Period | Recorded | Adjustments | Owed |\n|---|---|---:|---|---:|\n");
        for r in &ev.recorded_penalties {
            let adj: Vec<String> = r
                .adjustments
                .iter()
                .map(|a| {
                    format!(
                        "{}: {} by {} — {}",
                        m(&a.at),
                        m(&group_thousands(&a.amount)),
                        m(&a.actor),
                        m(&a.reason)
                    )
                })
                .collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} {} | {} | {} {} |",
                m(&r.penalty_id),
                m(&r.period),
                m(&group_thousands(&r.amount)),
                m(&r.currency),
                if adj.is_empty() {
                    "none".into()
                } else {
                    adj.join("; ")
                },
                m(&group_thousands(&r.net)),
                m(&r.currency)
            );
        }
        o.push('\n');
    }
    let _ = writeln!(
        o,
        "## Event log and hash chain\n\n{}. Genesis: `{}`\n",
        m(&ev.chain.algorithm),
        ev.chain.genesis
    );
    o.push_str(
        "| # | Event | At / recorded (UTC) | Actor | prev_hash → hash |\n|---:|---|---|---|---|\n",
    );
    for (i, c) in ev.events.iter().enumerate() {
        let e = &c.event;
        let _ = writeln!(
            o,
            "| {} | {} {} | {} / {} | {} | {} → {} |",
            i + 1,
            m(e.kind.as_str()),
            m(&e.id),
            m(&crate::model::canonical::instant(e.at)),
            m(&crate::model::canonical::instant(e.recorded_at)),
            m(&e.actor),
            m(&c.prev_hash),
            m(&c.hash)
        );
    }
    if let Some(p) = &ev.proofs {
        let _ = writeln!(
            o,
            "\n## Integrity\n\nEvery one of the {} events in this package has an inclusion proof in {JSON_FILE} in the store's log-wide Merkle tree (RFC 9162) as this checkpoint signed it:\n",
            p.inclusion.len()
        );
        for line in p.checkpoint.lines() {
            let _ = writeln!(o, "    {}", m(line));
        }
        o.push_str("\nCheck it against a checkpoint kept elsewhere with `slawatch verify --evidence DIR --checkpoint FILE`.\n");
    }
    let _ = writeln!(
        o,
        "\nGenerated by {} at {}. {JSON_FILE} holds every event, clock and calculation with the configuration they came from, and the sha256 of this file and of {HTML_FILE}. Check the package with `slawatch verify --evidence DIR`; it needs no store.",
        m(&ev.generator),
        m(&ev.generated_at.to_rfc3339())
    );
    o
}
