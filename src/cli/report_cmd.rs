//! `slawatch report --month YYYY-MM [--customer X] --format html|md|csv|json`.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use clap::{Args, ValueEnum};

use super::config_args::{now_arg, ConfigArgs};
use crate::report::monthly::{self, MonthlyReport};
use crate::report::text::terminal;
use crate::sla::penalty::{compliance, Book, Env, Month};
use crate::store::StoreTarget;

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
    let env = Env {
        policies: &compiled.policies,
        calendars: &compiled.calendars,
    };
    let store = db.open_read_only()?;
    let mut events = Vec::new();
    store.for_each_event(None, &mut |s| {
        events.push(s.event);
        Ok(())
    })?;
    let book = Book::from_events(env, &events, now);
    let view = compliance(
        env,
        &compiled.contracts,
        &book,
        month,
        args.customer.as_deref(),
    );
    if view.customers.is_empty() {
        bail!(
            "no tickets or contracts{} in {month}",
            args.customer.as_deref().map_or(String::new(), |c| format!(
                " for customer {:?}",
                terminal(c)
            ))
        );
    }
    let report = MonthlyReport::new(view, now);
    let text = match args.format {
        ReportFormat::Html => monthly::html(&report),
        ReportFormat::Md => monthly::markdown(&report),
        ReportFormat::Csv => monthly::csv(&report)?,
        ReportFormat::Json => monthly::json(&report)?,
    };
    match &args.out {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
    }
    Ok(())
}
