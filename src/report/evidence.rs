//! The evidence package of one ticket: `evidence.json` (every event with its hash,
//! every clock, the penalty calculations step by step, and the configuration they were
//! computed with), `evidence.html` (self-contained, printable), `evidence.md`, and
//! `evidence.sha256` (for `sha256sum -c`).
//!
//! Since format 2 the package also carries an inclusion proof of every event in the
//! store's log-wide Merkle tree, against a checkpoint signed when it was written.
//!
//! A package verifies on its own (`super::evidence_verify`): every hash chain and
//! derived figure is recomputed, the manifest checked, the renderings compared with
//! their renderer, and every proof checked against the checkpoint.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use crate::config::{Bundle, Compiled};
use crate::model::{chain_hash, Event, EventKind, GENESIS_HASH};
use crate::sla::calendar::Micros;
use crate::sla::penalty::contract::format_duration;
use crate::sla::penalty::{
    evaluate_contract, fmt_instant, Book, Contracts, Env, Month, TermResult,
};

pub use super::evidence_types::*;
use super::wording;

pub fn generator() -> String {
    format!("slawatch {}", env!("CARGO_PKG_VERSION"))
}

/// Problems in one chain: wrong links or contents that do not match their hash.
pub fn chain_problems(ticket: &str, chain: &[ChainedEvent]) -> Vec<String> {
    let mut out = Vec::new();
    let mut head = GENESIS_HASH.to_owned();
    for (i, c) in chain.iter().enumerate() {
        let e = &c.event;
        if e.ticket != ticket {
            out.push(format!(
                "{ticket}: event {} belongs to ticket {}",
                e.id, e.ticket
            ));
        }
        if c.prev_hash != head {
            out.push(format!(
                "{ticket}: event {} (#{}) has prev_hash {} but the previous event's hash is {head}",
                e.id,
                i + 1,
                c.prev_hash
            ));
        }
        let recomputed = chain_hash(&c.prev_hash, e);
        if recomputed != c.hash {
            out.push(format!(
                "{ticket}: event {} (#{}) does not match its hash: recorded {}, recomputed {recomputed}",
                e.id,
                i + 1,
                c.hash
            ));
        }
        head = c.hash.clone();
    }
    out
}

/// The contract-months a ticket's life touches, with the term results that involve it.
pub fn involved(
    env: Env<'_>,
    contracts: &Contracts,
    book: &Book,
    ticket: &str,
) -> Vec<(String, TermResult)> {
    let Some(v) = book.ticket(ticket) else {
        return Vec::new();
    };
    let f = &v.sla.facts;
    let until = f.resolved_at.or(f.restored_at).unwrap_or(v.as_of);
    let mut out = Vec::new();
    for c in contracts
        .0
        .iter()
        .filter(|c| c.covers(&f.customer, f.service.as_deref()))
    {
        let mut m = Month::containing(f.detected_at, c.timezone);
        let last = Month::containing(until, c.timezone);
        while m <= last {
            let cm = evaluate_contract(env, c, book, m);
            for t in cm.terms {
                if t.tickets.iter().any(|x| x == ticket) {
                    out.push((c.id.clone(), t));
                }
            }
            m = m.next();
        }
    }
    out
}

/// The tickets and ledgers, besides `ticket` itself, whose events a package needs.
pub fn related_ids(
    env: Env<'_>,
    contracts: &Contracts,
    book: &Book,
    ticket: &str,
) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for (_, t) in involved(env, contracts, book, ticket) {
        ids.extend(t.tickets);
    }
    for p in book
        .recorded
        .iter()
        .filter(|p| p.tickets.iter().any(|t| t == ticket))
    {
        ids.insert(p.event.ticket.clone());
    }
    ids.remove(ticket);
    ids
}

/// Builds the package of `ticket` from its chain, the related chains and the
/// configuration, as of `now`. Pure: the verifier calls it again to recompute.
pub fn build(
    ticket: &str,
    events: Vec<ChainedEvent>,
    related: BTreeMap<String, Vec<ChainedEvent>>,
    config: Bundle,
    now: DateTime<Utc>,
) -> Result<Evidence, String> {
    let compiled = config
        .compile()
        .map_err(|e| format!("configuration: {e}"))?;
    let Compiled {
        policies,
        calendars,
        contracts,
    } = &compiled;
    let env = Env {
        policies,
        calendars,
    };
    let mut histories: Vec<Vec<Event>> = vec![events.iter().map(|c| c.event.clone()).collect()];
    histories.extend(
        related
            .values()
            .map(|h| h.iter().map(|c| c.event.clone()).collect()),
    );
    let book = Book::new(env, histories, now);
    let v =
        book.ticket(ticket)
            .ok_or_else(|| match book.problems.iter().find(|p| p.0 == ticket) {
                Some((_, why)) => why.clone(),
                None => format!("ticket {ticket} has no events at or before {now}"),
            })?;
    let sla = &v.sla;
    let f = &sla.facts;
    let policy = policies.get(&sla.policy).ok_or("policy vanished")?;
    let tz: Tz = contracts
        .0
        .iter()
        .find(|c| c.covers(&f.customer, f.service.as_deref()))
        .map(|c| c.timezone)
        .or_else(|| calendars.get(&sla.calendar).map(|c| c.timezone()))
        .unwrap_or(chrono_tz::UTC);
    let at = |us: Micros| fmt_instant(us, tz);
    let when = |t: DateTime<Utc>| at(t.timestamp_micros());

    let mut problems = chain_problems(ticket, &events);
    for (id, chain) in &related {
        problems.extend(chain_problems(id, chain));
    }
    let chain = ChainInfo {
        algorithm: "hash = hex(sha256(prev_hash as hex text || canonical bytes of the event)); canonical bytes: compact JSON, keys sorted by UTF-8 bytes at every depth, instants RFC 3339 UTC with 6 fractional digits; the first event's prev_hash is the genesis".into(),
        genesis: GENESIS_HASH.into(),
        head: events.last().map_or_else(|| GENESIS_HASH.to_owned(), |c| c.hash.clone()),
        events: events.len(),
        problems,
    };

    let ordered: Vec<&Event> = {
        let mut v: Vec<&Event> = events
            .iter()
            .map(|c| &c.event)
            .filter(|e| e.at <= now)
            .collect();
        v.sort_by_key(|e| e.at);
        v
    };
    let restored = ordered.iter().find(|e| e.kind == EventKind::Restored);
    let resolved = ordered.iter().find(|e| e.kind == EventKind::Resolved);
    let summary = Summary {
        customer: f.customer.to_string(),
        service: f.service.as_deref().map(str::to_owned),
        title: f.title.to_string(),
        priority: f.priority.to_string(),
        policy: sla.policy.clone(),
        calendar: sla.calendar.clone(),
        timezone: tz.name().to_owned(),
        state: if f.resolved_at.is_some() {
            "resolved"
        } else if f.restored_at.is_some() {
            "restored, not resolved"
        } else {
            "open"
        }
        .into(),
        detected_at: at(f.detected_at),
        first_response_at: f.first_response_at.map(at),
        restored_at: f.restored_at.map(at),
        resolved_at: f.resolved_at.map(at),
        verification: restored
            .and_then(|e| e.text("verification"))
            .map(str::to_owned),
        client_confirmed: restored
            .and_then(|e| e.payload.get("client_confirmed"))
            .and_then(|v| v.as_bool()),
        root_cause: resolved
            .and_then(|e| e.text("root_cause"))
            .map(str::to_owned),
        escalations: ordered
            .iter()
            .filter(|e| e.kind == EventKind::Escalated)
            .map(|e| wording::escalation(e, &when(e.at)))
            .collect(),
        client_updates: f.client_updates.len(),
    };

    let timeline = ordered
        .iter()
        .map(|e| timeline_entry(e, policy, &when))
        .collect();

    let clocks = sla
        .clocks
        .iter()
        .map(|c| ClockEvidence {
            metric: c.metric.as_str().into(),
            state: serde_json::to_value(c.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            target: format_duration(c.target),
            actual: format_duration(c.elapsed),
            started_at: at(c.started_at),
            stopped_at: c.stopped_at.map(at),
            due: c.due.map(at),
            breached_at: c.breached_at.map(at),
            breaches: c.breaches,
            pauses: f
                .pauses
                .iter()
                .map(|p| PauseEvidence {
                    from: at(p.from),
                    to: p.to.map(at),
                    reason: p.reason.to_string(),
                    stops_this_clock: policy.stops(&p.reason, c.metric),
                })
                .collect(),
        })
        .collect();

    let penalties = involved(env, contracts, &book, ticket)
        .into_iter()
        .map(|(_, t)| PenaltyEvidence {
            exclusions: exclusions(contracts, &t, v),
            this_ticket: t
                .items
                .iter()
                .find(|i| i.ticket == ticket)
                .map(|i| i.text.clone()),
            contract: t.contract,
            customer: t.customer,
            term: t.term,
            kpi: t.kpi.as_str().into(),
            period: t.period.to_string(),
            operator: t.operator.as_str().into(),
            threshold: t.threshold,
            actual: t.actual,
            breached: t.breached,
            band: t.band_label,
            exact: t.exact.to_string(),
            capped: t.capped.to_string(),
            amount: t.amount.to_string(),
            currency: t.currency,
            tickets: t.tickets,
            steps: t.steps,
            pending: t.pending,
        })
        .collect();

    let recorded_penalties = book
        .recorded
        .iter()
        .filter(|p| p.tickets.iter().any(|t| t == ticket))
        .map(|p| RecordedEvidence {
            penalty_id: p.event.id.clone(),
            ledger: p.event.ticket.clone(),
            contract: p.contract.clone(),
            term: p.term.clone(),
            period: p.period.clone(),
            amount: p.amount.to_string(),
            currency: p.currency.clone(),
            net: p.net().to_string(),
            adjustments: p
                .adjustments
                .iter()
                .map(|a| AdjustmentEvidence {
                    event_id: a.event_id.clone(),
                    at: when(a.at),
                    actor: a.actor.clone(),
                    amount: a.amount.to_string(),
                    reason: a.reason.clone(),
                })
                .collect(),
        })
        .collect();

    Ok(Evidence {
        format: format_name(FORMAT_VERSION),
        format_version: FORMAT_VERSION,
        generator: generator(),
        generated_at: now,
        ticket: ticket.to_owned(),
        summary,
        chain,
        events,
        timeline,
        clocks,
        penalties,
        recorded_penalties,
        related,
        config,
        files: BTreeMap::new(),
        proofs: None,
    })
}

/// The pauses an availability term excluded from this ticket's outage, in words.
fn exclusions(
    contracts: &Contracts,
    t: &TermResult,
    v: &crate::sla::penalty::TicketView,
) -> Vec<String> {
    let Some(c) = contracts.get(&t.contract) else {
        return Vec::new();
    };
    let Some(term) = c.terms.iter().find(|x| x.id == t.term) else {
        return Vec::new();
    };
    if term.kpi != crate::sla::penalty::Kpi::Availability {
        return Vec::new();
    }
    let (start, end) = t.period.bounds(c.timezone);
    let (_, excluded) = crate::sla::penalty::engine::outage_pieces(v, &term.exclude, start, end);
    excluded
        .into_iter()
        .map(|(a, b, why)| {
            format!(
                "{} → {}: {} min, pause reason `{why}`",
                fmt_instant(a, c.timezone),
                fmt_instant(b, c.timezone),
                crate::sla::penalty::fmt_minutes(b - a)
            )
        })
        .collect()
}

fn timeline_entry(
    e: &Event,
    policy: &crate::sla::Policy,
    when: &dyn Fn(DateTime<Utc>) -> String,
) -> TimelineEntry {
    let (what, detail) = wording::describe(e, Some(policy));
    let late = (e.recorded_at - e.at).num_seconds() > 60;
    TimelineEntry {
        at: when(e.at),
        recorded_at: late.then(|| when(e.recorded_at)),
        kind: e.kind.as_str().into(),
        actor: e.actor.clone(),
        what,
        detail: detail.filter(|d| !d.is_empty()),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Renders the HTML and Markdown, fills the manifest, and writes the four files.
pub fn write_dir(dir: &Path, mut ev: Evidence) -> std::io::Result<Evidence> {
    std::fs::create_dir_all(dir)?;
    ev.files.clear();
    let html = super::evidence_html::render(&ev);
    let md = super::evidence_md::render(&ev);
    ev.files
        .insert(HTML_FILE.into(), sha256_hex(html.as_bytes()));
    ev.files.insert(MD_FILE.into(), sha256_hex(md.as_bytes()));
    let mut json = crate::escape::json::to_string_pretty(&ev).map_err(std::io::Error::other)?;
    json.push('\n');
    std::fs::write(dir.join(HTML_FILE), &html)?;
    std::fs::write(dir.join(MD_FILE), &md)?;
    std::fs::write(dir.join(JSON_FILE), &json)?;
    let sums = format!(
        "{}  {JSON_FILE}\n{}  {HTML_FILE}\n{}  {MD_FILE}\n",
        sha256_hex(json.as_bytes()),
        sha256_hex(html.as_bytes()),
        sha256_hex(md.as_bytes())
    );
    std::fs::write(dir.join(SUMS_FILE), sums)?;
    Ok(ev)
}
