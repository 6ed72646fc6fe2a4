//! `slawatch sla eval`: every ticket's clocks as JSON lines.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{anyhow, bail};
use clap::Subcommand;
use serde::Serialize;

use super::input::{format_instant, format_minutes, parse_instant};
use crate::config::{load_calendars, load_policies};
use crate::formats::read_file;
use crate::sla::{evaluate, ClockState};

#[derive(Subcommand, Debug)]
pub enum SlaCmd {
    /// Evaluate every ticket's SLA clocks as of NOW; one JSON line per ticket and metric.
    Eval {
        #[arg(long, value_name = "FILE")]
        policies: PathBuf,
        #[arg(long, value_name = "FILE")]
        calendars: PathBuf,
        /// Events or tickets: .jsonl, .ndjson, .json or .csv (see README).
        #[arg(long, value_name = "FILE")]
        events: PathBuf,
        /// The instant to evaluate at (RFC 3339); events after it are ignored.
        #[arg(long)]
        now: String,
    },
}

pub fn run(cmd: SlaCmd) -> anyhow::Result<()> {
    let SlaCmd::Eval {
        policies,
        calendars,
        events,
        now,
    } = cmd;
    let now = parse_instant(&now).map_err(|e| anyhow!("--now: {e}"))?;
    let cals = load_calendars(&calendars).map_err(|e| anyhow!("{e}"))?;
    let pols = load_policies(&policies, &cals).map_err(|e| anyhow!("{e}"))?;
    let events = read_file(&events)?;
    let result = evaluate(&pols, &cals, &events, now);
    let mut out = BufWriter::new(std::io::stdout().lock());
    for t in &result.tickets {
        let tz = cals
            .get(&t.calendar)
            .map_or(chrono_tz::UTC, |c| c.timezone());
        let minutes = |us: i64| -> serde_json::Value {
            format_minutes(us)
                .parse::<serde_json::Number>()
                .map_or(serde_json::Value::Null, Into::into)
        };
        for c in &t.clocks {
            let line = ClockLine {
                ticket: &t.facts.ticket,
                customer: &t.facts.customer,
                priority: t.facts.priority.to_string(),
                policy: &t.policy,
                calendar: &t.calendar,
                metric: c.metric.as_str(),
                state: c.state,
                target_minutes: minutes(c.target),
                elapsed_minutes: minutes(c.elapsed),
                remaining_minutes: minutes(c.remaining),
                percent: (c.percent() * 100.0).round() / 100.0,
                due: c.due.map(|d| format_instant(d, tz)),
                breached_at: c.breached_at.map(|d| format_instant(d, tz)),
                paused_reason: c.paused_reason.as_deref(),
                breaches: c.breaches,
            };
            writeln!(out, "{}", crate::escape::json::to_string(&line)?)?;
        }
    }
    out.flush()?;
    if !result.problems.is_empty() {
        let lines: Vec<_> = result
            .problems
            .iter()
            .map(|(_, why)| why.as_str())
            .collect();
        bail!(
            "{} ticket(s) could not be evaluated:\n{}",
            lines.len(),
            lines.join("\n")
        );
    }
    Ok(())
}

/// One output line; fields in the order a reader scans them.
#[derive(Serialize)]
struct ClockLine<'a> {
    ticket: &'a str,
    customer: &'a str,
    priority: String,
    policy: &'a str,
    calendar: &'a str,
    metric: &'a str,
    state: ClockState,
    target_minutes: serde_json::Value,
    elapsed_minutes: serde_json::Value,
    remaining_minutes: serde_json::Value,
    percent: f64,
    due: Option<String>,
    breached_at: Option<String>,
    paused_reason: Option<&'a str>,
    breaches: u32,
}
