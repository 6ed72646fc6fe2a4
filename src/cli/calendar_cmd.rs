//! `slawatch calendar due|elapsed`: single answers or streaming CSV batches.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};

use super::input::{format_instant, format_minutes, parse_instant, parse_minutes};
use crate::config::load_calendars;
use crate::config::suggest::expected_one_of;
use crate::report::text::terminal;
use crate::sla::Calendar;

#[derive(Subcommand, Debug)]
pub enum CalendarCmd {
    /// When a budget of working minutes from START runs out.
    Due {
        #[command(flatten)]
        cal: CalendarArg,
        /// Start instant (RFC 3339).
        #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
        start: Option<String>,
        /// Budget in working minutes (decimal: 1.5 is 90 seconds).
        #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
        minutes: Option<String>,
        /// CSV of `id,start,minutes` rows; prints `id,due` rows.
        #[arg(long)]
        batch: Option<PathBuf>,
    },
    /// Working minutes between two instants.
    Elapsed {
        #[command(flatten)]
        cal: CalendarArg,
        #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
        from: Option<String>,
        #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
        to: Option<String>,
        /// CSV of `id,from,to` rows; prints `id,minutes` rows.
        #[arg(long)]
        batch: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct CalendarArg {
    /// Calendars file (TOML).
    #[arg(long, value_name = "FILE")]
    calendars: PathBuf,
    /// Calendar name in that file.
    #[arg(long, value_name = "NAME")]
    calendar: String,
}

impl CalendarArg {
    fn load(&self) -> anyhow::Result<std::sync::Arc<Calendar>> {
        let cals = load_calendars(&self.calendars).map_err(|e| anyhow!("{e}"))?;
        cals.get(&self.calendar).cloned().ok_or_else(|| {
            anyhow!(
                "{}: no calendar named `{}`, {}",
                self.calendars.display(),
                terminal(&self.calendar),
                expected_one_of(&self.calendar, cals.names(), "calendars")
            )
        })
    }
}

type Answer = Result<String, (&'static str, String)>;

pub fn run(cmd: CalendarCmd) -> anyhow::Result<()> {
    match cmd {
        CalendarCmd::Due {
            cal,
            start,
            minutes,
            batch,
        } => {
            let cal = cal.load()?;
            answer(
                batch,
                [start, minutes],
                "id,due",
                ["id", "start", "minutes"],
                |s, m| {
                    let start = parse_instant(s).map_err(|e| ("start", e))?;
                    let budget = parse_minutes(m).map_err(|e| ("minutes", e))?;
                    due_text(&cal, start, budget).map_err(|e| ("minutes", e))
                },
            )
        }
        CalendarCmd::Elapsed {
            cal,
            from,
            to,
            batch,
        } => {
            let cal = cal.load()?;
            answer(
                batch,
                [from, to],
                "id,minutes",
                ["id", "from", "to"],
                |f, t| {
                    let from = parse_instant(f).map_err(|e| ("from", e))?;
                    let to = parse_instant(t).map_err(|e| ("to", e))?;
                    elapsed_text(&cal, from, to).map_err(|e| ("to", e))
                },
            )
        }
    }
}

/// One answer from the two single-value flags (named like the columns), or a batch.
fn answer(
    batch: Option<PathBuf>,
    single: [Option<String>; 2],
    header: &str,
    columns: [&str; 3],
    f: impl Fn(&str, &str) -> Answer,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match batch {
        Some(path) => batch_rows(&path, &mut out, header, &columns, |row| f(row[1], row[2]))?,
        None => {
            let [a, b] = single.map(Option::unwrap_or_default);
            let value = f(&a, &b).map_err(|(field, why)| anyhow!("--{field}: {why}"))?;
            writeln!(out, "{value}")?;
        }
    }
    out.flush()?;
    Ok(())
}

fn due_text(
    cal: &Calendar,
    start: chrono::DateTime<chrono::Utc>,
    budget: i64,
) -> Result<String, String> {
    cal.due_micros(start.timestamp_micros(), budget)
        .map(|t| format_instant(t, cal.timezone()))
        .ok_or_else(|| {
            format!(
                "calendar `{}` never has that much working time after {start}",
                cal.name()
            )
        })
}

fn elapsed_text(
    cal: &Calendar,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Result<String, String> {
    if to < from {
        return Err(format!("`to` ({to}) is before `from` ({from})"));
    }
    Ok(format_minutes(cal.elapsed(from, to)))
}

/// Streams a three-column CSV through `answer`, one output row per input row; an
/// optional header row naming the columns is skipped. Stops at the first bad row
/// with its line and field.
fn batch_rows(
    path: &Path,
    out: &mut impl Write,
    header: &str,
    columns: &[&str; 3],
    mut answer: impl FnMut(&[&str; 3]) -> Answer,
) -> anyhow::Result<()> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(file);
    writeln!(out, "{header}")?;
    let mut record = csv::StringRecord::new();
    let mut first = true;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => bail!("{}: {e}", path.display()),
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != 3 {
            bail!(
                "{}:{line}: expected 3 fields ({}), found {}",
                path.display(),
                columns.join(","),
                record.len()
            );
        }
        let row = [&record[0], &record[1], &record[2]];
        if std::mem::take(&mut first) && row[1].trim() == columns[1] {
            continue;
        }
        match answer(&row) {
            Ok(value) => {
                write_csv_field(out, &crate::escape::csv::cell(row[0]))?;
                out.write_all(b",")?;
                out.write_all(value.as_bytes())?;
                out.write_all(b"\n")?;
            }
            Err((field, why)) => bail!("{}:{line}: field `{field}`: {why}", path.display()),
        }
    }
    Ok(())
}

fn write_csv_field(out: &mut impl Write, field: &str) -> std::io::Result<()> {
    if field.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", field.replace('"', "\"\""))
    } else {
        out.write_all(field.as_bytes())
    }
}
