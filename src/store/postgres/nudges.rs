//! Nudge claims and snoozes on PostgreSQL: the SQLite store's rules (see
//! `store::nudges`), with `ON CONFLICT DO NOTHING` making one claimant win.

use postgres::{Client, Row};

use super::PgStore;
use crate::sla::{Metric, Micros};
use crate::store::{Claim, NudgeRecord, StoreError};

pub(super) fn claim(
    client: &mut Client,
    url: &str,
    user: &str,
    nudges: &[NudgeRecord],
) -> Result<Vec<Claim>, StoreError> {
    let err = |e| PgStore::error(url, e);
    let mut tx = client.transaction().map_err(err)?;
    let mut out = Vec::with_capacity(nudges.len());
    for n in nudges {
        if n.snoozable() {
            let until = tx
                .query_opt(
                    "SELECT until FROM nudge_snoozes WHERE user_name = $1 AND ticket = $2 AND until > $3",
                    &[&user, &n.ticket, &n.fired_at],
                )
                .map_err(err)?;
            if let Some(r) = until {
                out.push(Claim::Snoozed(r.get(0)));
                continue;
            }
        }
        let inserted = tx
            .execute(
                "INSERT INTO nudges_sent (user_name, ticket, metric, cycle_start, target, kind, value,
                    threshold_at, due, fired_at, late, loud, priority, summary)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 ON CONFLICT DO NOTHING",
                &[
                    &user,
                    &n.ticket,
                    &n.metric.as_str(),
                    &n.cycle_start,
                    &n.target,
                    &n.kind,
                    &n.value,
                    &n.threshold_at,
                    &n.due,
                    &n.fired_at,
                    &n.late,
                    &n.loud,
                    &n.priority,
                    &n.summary,
                ],
            )
            .map_err(err)?;
        out.push(if inserted == 1 {
            Claim::Claimed
        } else {
            Claim::AlreadySent
        });
    }
    tx.commit().map_err(err)?;
    Ok(out)
}

pub(super) fn sent(
    client: &mut Client,
    url: &str,
    user: &str,
    since: Micros,
    limit: usize,
) -> Result<Vec<NudgeRecord>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = client
        .query(
            "SELECT ticket, metric, cycle_start, target, kind, value, threshold_at, due,
                    fired_at, late, loud, priority, summary
             FROM nudges_sent WHERE user_name = $1 AND fired_at >= $2
             ORDER BY fired_at DESC, ticket LIMIT $3",
            &[&user, &since, &limit],
        )
        .map_err(|e| PgStore::error(url, e))?;
    rows.iter().map(|r| decode(r, url)).collect()
}

fn decode(row: &Row, url: &str) -> Result<NudgeRecord, StoreError> {
    let metric: String = row.get(1);
    let fired_at: Micros = row.get(8);
    Ok(NudgeRecord {
        ticket: row.get(0),
        metric: Metric::parse(&metric).ok_or_else(|| StoreError::PostgresCorrupt {
            url: url.to_owned(),
            seq: fired_at,
            why: format!("nudges_sent: unknown metric {metric:?}"),
        })?,
        cycle_start: row.get(2),
        target: row.get(3),
        kind: row.get(4),
        value: row.get(5),
        threshold_at: row.get(6),
        due: row.get(7),
        fired_at,
        late: row.get(9),
        loud: row.get(10),
        priority: row.get(11),
        summary: row.get(12),
    })
}

pub(super) fn set_snooze(
    client: &mut Client,
    url: &str,
    user: &str,
    ticket: &str,
    until: Option<Micros>,
) -> Result<(), StoreError> {
    match until {
        Some(until) => client.execute(
            "INSERT INTO nudge_snoozes (user_name, ticket, until) VALUES ($1, $2, $3)
             ON CONFLICT (user_name, ticket) DO UPDATE SET until = EXCLUDED.until",
            &[&user, &ticket, &until],
        ),
        None => client.execute(
            "DELETE FROM nudge_snoozes WHERE user_name = $1 AND ticket = $2",
            &[&user, &ticket],
        ),
    }
    .map_err(|e| PgStore::error(url, e))?;
    Ok(())
}

pub(super) fn snoozes(
    client: &mut Client,
    url: &str,
    user: &str,
    now: Micros,
) -> Result<Vec<(String, Micros)>, StoreError> {
    let rows = client
        .query(
            "SELECT ticket, until FROM nudge_snoozes WHERE user_name = $1 AND until > $2 ORDER BY ticket",
            &[&user, &now],
        )
        .map_err(|e| PgStore::error(url, e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
