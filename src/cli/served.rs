//! What `slawatch serve` computes for `/v1/report`, `/v1/penalties` and
//! `/v1/evidence/{ticket}`: the `report`, `penalties` and `evidence` commands' own
//! functions, over the configuration files `serve` was started with.

use std::path::PathBuf;

use clap::ValueEnum;

use super::config_args::{now_arg, ConfigArgs};
use super::evidence_cmd::{self, NoSuchTicket};
use super::penalties_cmd::{self, NoContract};
use super::report_cmd::{self, NothingToReport, ReportFormat};
use crate::config::{Bundle, Compiled};
use crate::server::reports::{
    Answer, EvidenceQuery, PenaltiesQuery, Refused, ReportQuery, Reports,
};
use crate::sla::penalty::Month;
use crate::store::{StoreTarget, TeamStore};

pub struct Served {
    bundle: Bundle,
    compiled: Compiled,
    target: StoreTarget,
    /// Signs the checkpoint of every evidence package from a store file.
    key: Option<PathBuf>,
}

impl Served {
    /// Loads and compiles the configuration now: a bad file fails `serve` at start.
    pub fn load(
        config: &ConfigArgs,
        target: &StoreTarget,
        key: Option<PathBuf>,
    ) -> anyhow::Result<Served> {
        let bundle = config.bundle()?;
        let compiled = bundle.compile().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Served {
            bundle,
            compiled,
            target: target.clone(),
            key,
        })
    }
}

impl Reports for Served {
    fn report(&self, store: &mut dyn TeamStore, q: &ReportQuery) -> Result<Answer, Refused> {
        let month = month(q.month.as_deref())?;
        let format = match q.format.as_deref() {
            None => ReportFormat::Html,
            Some(f) => ReportFormat::from_str(f, false).map_err(|_| {
                Refused::Bad(format!("format={f:?}: expected html, md, csv or json"))
            })?,
        };
        let text = report_cmd::render(
            &self.compiled,
            store,
            month,
            q.customer.as_deref(),
            format,
            now(q.now.as_deref())?,
        )
        .map_err(refused)?;
        let content_type = match format {
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Md => "text/markdown; charset=utf-8",
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Json => "application/json",
        };
        Ok(Answer {
            content_type,
            body: text.into_bytes(),
        })
    }

    fn penalties(
        &self,
        store: &mut dyn TeamStore,
        q: &PenaltiesQuery,
        caller: &str,
    ) -> Result<Answer, Refused> {
        let st = penalties_cmd::statement(
            &self.compiled,
            &self.bundle.contracts.path,
            store,
            month(q.month.as_deref())?,
            q.customer.as_deref(),
            q.record.then_some(caller),
            now(q.now.as_deref())?,
        )
        .map_err(refused)?;
        json(&st)
    }

    fn evidence(
        &self,
        store: &mut dyn TeamStore,
        ticket: &str,
        q: &EvidenceQuery,
    ) -> Result<Answer, Refused> {
        let ev = evidence_cmd::package(
            store,
            &self.target,
            self.bundle.clone(),
            ticket,
            now(q.now.as_deref())?,
            self.key.as_deref(),
        )
        .map_err(refused)?;
        json(&ev)
    }
}

fn month(m: Option<&str>) -> Result<Month, Refused> {
    let m = m.ok_or_else(|| Refused::Bad("month: required, YYYY-MM".into()))?;
    m.parse()
        .map_err(|e| Refused::Bad(format!("month={m:?}: {e}")))
}

/// The years a client's `now` may fall in (UTC; a year either side for the offset
/// an instant is written with). The SLA clocks run from a ticket's first event up to
/// `now`, so an instant millennia ahead would hold a store connection for minutes.
const NOW_YEARS: std::ops::RangeInclusive<i32> = 1969..=2200;

fn now(n: Option<&str>) -> Result<chrono::DateTime<chrono::Utc>, Refused> {
    use chrono::Datelike;
    match n {
        Some(s) => {
            let t = super::input::parse_instant(s)
                .map_err(|e| Refused::Bad(format!("now={s:?}: {e}")))?;
            if !NOW_YEARS.contains(&t.year()) {
                return Err(Refused::Bad(format!(
                    "now={s:?}: the server computes as of instants in the years 1970 to 2199"
                )));
            }
            Ok(t)
        }
        None => now_arg(None).map_err(Refused::Failed),
    }
}

fn json(value: &impl serde::Serialize) -> Result<Answer, Refused> {
    Ok(Answer {
        content_type: "application/json",
        body: serde_json::to_vec(value).map_err(|e| Refused::Failed(e.into()))?,
    })
}

/// "Nothing there" is the caller's 404; anything else the server's failure.
fn refused(e: anyhow::Error) -> Refused {
    if e.is::<NothingToReport>() || e.is::<NoContract>() || e.is::<NoSuchTicket>() {
        Refused::NotFound(e.to_string())
    } else {
        Refused::Failed(e)
    }
}
