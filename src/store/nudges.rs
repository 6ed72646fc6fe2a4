//! Per-user nudge bookkeeping: which warning nudges were sent, and snoozes. These rows
//! are not business history (no chain, not exported); they make a nudge fire once per
//! user across restarts and across several consoles or watchers of the same user.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::StoreError;
use crate::sla::{Metric, Micros};

/// One nudge as the sent log keeps it. `(user, ticket, metric, cycle_start, target,
/// kind, value)` identifies it: a pause, a restart or a clock change does not make it
/// new; a new clock cycle or a new budget (priority change) does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NudgeRecord {
    pub ticket: String,
    pub metric: Metric,
    pub cycle_start: Micros,
    pub target: Micros,
    /// `percent`, `minutes_before`, `breach` or `repeat`.
    pub kind: String,
    pub value: i64,
    pub threshold_at: Micros,
    pub due: Micros,
    pub fired_at: Micros,
    pub late: bool,
    pub loud: bool,
    pub priority: String,
    pub summary: String,
}

impl NudgeRecord {
    /// The nudge as the API carries it (`/v1/nudges/claim`, `/v1/nudges/sent`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "ticket": self.ticket, "metric": self.metric.as_str(), "cycle_start": self.cycle_start,
            "target": self.target, "kind": self.kind, "value": self.value,
            "threshold_at": self.threshold_at, "due": self.due, "fired_at": self.fired_at,
            "late": self.late, "loud": self.loud, "priority": self.priority, "summary": self.summary,
        })
    }

    /// Warnings can be snoozed; a breach and its repeats never are.
    pub fn snoozable(&self) -> bool {
        matches!(self.kind.as_str(), "percent" | "minutes_before")
    }
}

/// What became of one claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This process sends it.
    Claimed,
    /// Sent before (by this or another process of the same user).
    AlreadySent,
    /// The user snoozed the ticket's warnings until then.
    Snoozed(Micros),
}

pub(super) fn claim(
    tx: &Transaction,
    path: &Path,
    user: &str,
    nudges: &[NudgeRecord],
) -> Result<Vec<Claim>, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let mut out = Vec::with_capacity(nudges.len());
    for n in nudges {
        if n.snoozable() {
            let until: Option<Micros> = tx
                .prepare_cached(
                    "SELECT until FROM nudge_snoozes WHERE user = ?1 AND ticket = ?2 AND until > ?3",
                )
                .and_then(|mut s| {
                    s.query_row(params![user, n.ticket, n.fired_at], |r| r.get(0))
                        .optional()
                })
                .map_err(err)?;
            if let Some(until) = until {
                out.push(Claim::Snoozed(until));
                continue;
            }
        }
        let inserted = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO nudges_sent (user, ticket, metric, cycle_start, target,
                    kind, value, threshold_at, due, fired_at, late, loud, priority, summary)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    user,
                    n.ticket,
                    n.metric.as_str(),
                    n.cycle_start,
                    n.target,
                    n.kind,
                    n.value,
                    n.threshold_at,
                    n.due,
                    n.fired_at,
                    n.late,
                    n.loud,
                    n.priority,
                    n.summary,
                ])
            })
            .map_err(err)?;
        out.push(if inserted == 1 {
            Claim::Claimed
        } else {
            Claim::AlreadySent
        });
    }
    Ok(out)
}

pub(super) fn sent(
    conn: &Connection,
    path: &Path,
    user: &str,
    since: Micros,
    limit: usize,
) -> Result<Vec<NudgeRecord>, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let mut stmt = conn
        .prepare_cached(
            "SELECT ticket, metric, cycle_start, target, kind, value, threshold_at, due,
                    fired_at, late, loud, priority, summary
             FROM nudges_sent WHERE user = ?1 AND fired_at >= ?2
             ORDER BY fired_at DESC, ticket LIMIT ?3",
        )
        .map_err(err)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut rows = stmt.query(params![user, since, limit]).map_err(err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(err)? {
        out.push(decode(row, path)?);
    }
    Ok(out)
}

fn decode(row: &Row, path: &Path) -> Result<NudgeRecord, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let metric: String = row.get(1).map_err(err)?;
    let fired_at: Micros = row.get(8).map_err(err)?;
    Ok(NudgeRecord {
        ticket: row.get(0).map_err(err)?,
        metric: Metric::parse(&metric).ok_or_else(|| StoreError::Corrupt {
            path: path.to_path_buf(),
            seq: fired_at,
            why: format!("nudges_sent: unknown metric {metric:?}"),
        })?,
        cycle_start: row.get(2).map_err(err)?,
        target: row.get(3).map_err(err)?,
        kind: row.get(4).map_err(err)?,
        value: row.get(5).map_err(err)?,
        threshold_at: row.get(6).map_err(err)?,
        due: row.get(7).map_err(err)?,
        fired_at,
        late: row.get(9).map_err(err)?,
        loud: row.get(10).map_err(err)?,
        priority: row.get(11).map_err(err)?,
        summary: row.get(12).map_err(err)?,
    })
}

pub(super) fn set_snooze(
    tx: &Transaction,
    path: &Path,
    user: &str,
    ticket: &str,
    until: Option<Micros>,
) -> Result<(), StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    match until {
        Some(until) => tx.execute(
            "INSERT OR REPLACE INTO nudge_snoozes (user, ticket, until) VALUES (?1, ?2, ?3)",
            params![user, ticket, until],
        ),
        None => tx.execute(
            "DELETE FROM nudge_snoozes WHERE user = ?1 AND ticket = ?2",
            params![user, ticket],
        ),
    }
    .map_err(err)?;
    Ok(())
}

pub(super) fn snoozes(
    conn: &Connection,
    path: &Path,
    user: &str,
    now: Micros,
) -> Result<Vec<(String, Micros)>, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let mut stmt = conn
        .prepare_cached(
            "SELECT ticket, until FROM nudge_snoozes WHERE user = ?1 AND until > ?2 ORDER BY ticket",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map(params![user, now], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(err)?;
    rows.collect::<Result<_, _>>().map_err(err)
}
