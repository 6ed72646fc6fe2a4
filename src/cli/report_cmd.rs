//! `slawatch report --month YYYY-MM [--customer X] --format html|md|csv|json`.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::{Args, ValueEnum};

use super::config_args::{now_arg, ConfigArgs};
use crate::config::Compiled;
use crate::remote::Client;
use crate::report::monthly::{self, MonthlyReport};
use crate::report::text::terminal;
use crate::sla::penalty::{compliance, Book, Env, Month};
use crate::store::{Store, StoreTarget};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReportFormat {
    Html,
    Md,
    Csv,
    Json,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The month, YYYY-MM (days and months in each customer's contract time zone).
    #[arg(long)]
    pub month: String,
    /// Only this customer.
    #[arg(long)]
    pub customer: Option<String>,
    #[arg(long, value_enum, default_value = "html")]
    pub format: ReportFormat,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Compute as of this instant (RFC 3339) instead of now.
    #[arg(long)]
    pub now: Option<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

pub fn run(args: ReportArgs, db: &StoreTarget) -> anyhow::Result<()> {
    let month: Month = args.month.parse().map_err(|e| anyhow!("--month: {e}"))?;
    let now = now_arg(args.now.as_deref())?;
    let bundle = args.config.bundle()?;
    let compiled = bundle.compile().map_err(|e| anyhow!("{e}"))?;
    let store = db.open_read_only()?;
    let text = render(
        &compiled,
        &*store,
        month,
        args.customer.as_deref(),
        args.format,
        now,
    )?;
    write_out(args.out.as_deref(), text.as_bytes())
}

/// `report --server`: the server computes with its configuration files.
pub fn run_remote(args: ReportArgs, server: &Client) -> anyhow::Result<()> {
    args.config.refuse_with_server()?;
    let format = args
        .format
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default();
    let mut query = vec![("month", args.month.as_str()), ("format", format.as_str())];
    if let Some(c) = &args.customer {
        query.push(("customer", c));
    }
    if let Some(n) = &args.now {
        query.push(("now", n));
    }
    let body = server
        .get("/v1/report", &query)?
        .bytes()
        .map_err(|e| anyhow!("server {}: the report broke off: {e}", server.server()))?;
    write_out(args.out.as_deref(), &body)
}

/// There are no tickets or contracts to report on (the server's 404).
#[derive(Debug)]
pub struct NothingToReport(pub String);

impl std::fmt::Display for NothingToReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NothingToReport {}

/// The month's compliance report over every event of `store`, as `format`.
pub fn render(
    compiled: &Compiled,
    store: &(impl Store + ?Sized),
    month: Month,
    customer: Option<&str>,
    format: ReportFormat,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<String> {
    let env = Env {
        policies: &compiled.policies,
        calendars: &compiled.calendars,
    };
    let mut events = Vec::new();
    store.for_each_event(None, &mut |s| {
        events.push(s.event);
        Ok(())
    })?;
    let book = Book::from_events(env, &events, now);
    let view = compliance(env, &compiled.contracts, &book, month, customer);
    if view.customers.is_empty() {
        return Err(NothingToReport(format!(
            "no tickets or contracts{} in {month}",
            customer.map_or(String::new(), |c| format!(
                " for customer {:?}",
                terminal(c)
            ))
        ))
        .into());
    }
    let report = MonthlyReport::new(view, now);
    Ok(match format {
        ReportFormat::Html => monthly::html(&report),
        ReportFormat::Md => monthly::markdown(&report),
        ReportFormat::Csv => monthly::csv(&report)?,
        ReportFormat::Json => monthly::json(&report)?,
    })
}

/// Writes to `--out`, else standard output (a reader that stopped early is no error).
fn write_out(out: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match out {
        Some(p) => {
            std::fs::write(p, bytes).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match out.write_all(bytes).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
    }
    Ok(())
}
