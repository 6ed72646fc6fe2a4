//! The evidence package of one ticket: `evidence.json` (every event with its hash,
//! every clock, the penalty calculations step by step, and the configuration they were
//! computed with), `evidence.html` (self-contained, printable), `evidence.md`, and
//! `evidence.sha256` (for `sha256sum -c`).
//!
//! A package verifies on its own: [`verify_dir`] recomputes every hash chain from the
//! events, recomputes every derived figure (summary, timeline, clocks, penalties) from
//! the events and the embedded configuration, checks the manifest of HTML and Markdown
//! hashes, and renders both again to compare them byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Bundle, Compiled};
use crate::model::{chain_hash, Event, EventKind, GENESIS_HASH};
use crate::sla::calendar::Micros;
use crate::sla::penalty::contract::format_duration;
use crate::sla::penalty::{
    evaluate_contract, fmt_instant, Book, Contracts, Env, Month, TermResult,
};
use crate::sla::Metric;

pub const FORMAT: &str = "slawatch-evidence/1";
pub const JSON_FILE: &str = "evidence.json";
pub const HTML_FILE: &str = "evidence.html";
pub const MD_FILE: &str = "evidence.md";
pub const SUMS_FILE: &str = "evidence.sha256";

/// An event as stored: its place in the log and in its ticket's chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainedEvent {
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
    pub event: Event,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub customer: String,
    pub service: Option<String>,
    pub title: String,
    pub priority: String,
    pub policy: String,
    pub calendar: String,
    /// The zone every instant of the package is shown in.
    pub timezone: String,
    pub state: String,
    pub detected_at: String,
    pub first_response_at: Option<String>,
    pub restored_at: Option<String>,
    pub resolved_at: Option<String>,
    pub verification: Option<String>,
    pub client_confirmed: Option<bool>,
    pub root_cause: Option<String>,
    pub escalations: Vec<String>,
    pub client_updates: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainInfo {
    pub algorithm: String,
    pub genesis: String,
    /// Hash of the ticket's newest event: compare it with the store or with the value
    /// given to the other party.
    pub head: String,
    pub events: usize,
    /// Chain problems found when the package was made (empty when it verified).
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: String,
    /// Set when the event was written down later than it happened (over a minute).
    pub recorded_at: Option<String>,
    pub kind: String,
    pub actor: String,
    pub what: String,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PauseEvidence {
    pub from: String,
    pub to: Option<String>,
    pub reason: String,
    /// Whether the policy lets this reason stop this clock.
    pub stops_this_clock: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockEvidence {
    pub metric: String,
    pub state: String,
    pub target: String,
    /// Working time measured (pauses that stop the clock excluded).
    pub actual: String,
    pub started_at: String,
    pub stopped_at: Option<String>,
    pub due: Option<String>,
    pub breached_at: Option<String>,
    pub breaches: u32,
    pub pauses: Vec<PauseEvidence>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PenaltyEvidence {
    pub contract: String,
    pub customer: String,
    pub term: String,
    pub kpi: String,
    pub period: String,
    pub operator: String,
    pub threshold: String,
    pub actual: String,
    pub breached: bool,
    pub band: Option<String>,
    pub exact: String,
    pub capped: String,
    pub amount: String,
    pub currency: String,
    /// This ticket's line in the calculation.
    pub this_ticket: Option<String>,
    /// Availability: the stretches of this ticket's outage the contract excludes.
    pub exclusions: Vec<String>,
    pub tickets: Vec<String>,
    pub steps: Vec<String>,
    /// Why the figure may still change; empty once final.
    pub pending: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdjustmentEvidence {
    pub event_id: String,
    pub at: String,
    pub actor: String,
    pub amount: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvidence {
    pub penalty_id: String,
    pub ledger: String,
    pub contract: String,
    pub term: String,
    pub period: String,
    pub amount: String,
    pub currency: String,
    /// After adjustments.
    pub net: String,
    pub adjustments: Vec<AdjustmentEvidence>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub format: String,
    pub generator: String,
    /// The instant every figure is computed as of.
    pub generated_at: DateTime<Utc>,
    pub ticket: String,
    pub summary: Summary,
    pub chain: ChainInfo,
    /// The ticket's events in chain order, with their hashes.
    pub events: Vec<ChainedEvent>,
    pub timeline: Vec<TimelineEntry>,
    pub clocks: Vec<ClockEvidence>,
    pub penalties: Vec<PenaltyEvidence>,
    pub recorded_penalties: Vec<RecordedEvidence>,
    /// Other tickets behind the penalty figures, and penalty ledgers, with their chains.
    pub related: BTreeMap<String, Vec<ChainedEvent>>,
    /// The configuration every figure was computed with.
    pub config: Bundle,
    /// Manifest: sha256 of the HTML and Markdown renderings of this file.
    pub files: BTreeMap<String, String>,
}

fn generator() -> String {
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
            .map(|e| {
                format!(
                    "level {} to {} at {}",
                    e.level().unwrap_or(1),
                    e.text("to").unwrap_or("?"),
                    when(e.at)
                )
            })
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
        format: FORMAT.into(),
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
    let t = |k: &str| e.text(k).map(str::to_owned);
    let (what, detail) = match e.kind {
        EventKind::Detected => (
            format!("Detected ({})", t("priority").unwrap_or_default()),
            Some(
                [
                    t("title"),
                    t("service").map(|s| format!("service {s}")),
                    t("customer").map(|c| format!("customer {c}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" — "),
            ),
        ),
        EventKind::Acknowledged => ("Acknowledged".into(), t("note")),
        EventKind::Escalated => (
            format!(
                "Escalated to level {}: {}",
                e.level().unwrap_or(1),
                t("to").unwrap_or_default()
            ),
            t("note"),
        ),
        EventKind::ClientUpdate => (
            match t("channel") {
                Some(c) => format!("Client notified by {c}"),
                None => "Client notified".into(),
            },
            t("message"),
        ),
        EventKind::CarrierUpdate => ("Carrier / vendor update".into(), t("message")),
        EventKind::Paused => {
            let reason = t("reason").unwrap_or_default();
            let stops: Vec<&str> = Metric::ALL
                .into_iter()
                .filter(|m| policy.stops(&reason, *m))
                .map(Metric::as_str)
                .collect();
            let stops = if stops.is_empty() {
                "stops no clock".to_owned()
            } else {
                format!("stops {}", stops.join(", "))
            };
            (format!("Clock paused: {reason} ({stops})"), t("note"))
        }
        EventKind::Resumed => ("Clock resumed".into(), t("note")),
        EventKind::PriorityChanged => (
            format!("Priority changed to {}", t("priority").unwrap_or_default()),
            t("note"),
        ),
        EventKind::Assigned => (format!("Assigned to {}", t("to").unwrap_or_default()), None),
        EventKind::Restored => {
            let mut d = Vec::new();
            if let Some(v) = t("verification") {
                d.push(format!("verification: {v}"));
            }
            match e.payload.get("client_confirmed").and_then(|v| v.as_bool()) {
                Some(true) => d.push("client confirmed restoration".into()),
                Some(false) => d.push("client has not confirmed".into()),
                None => {}
            }
            (
                "Service restored".into(),
                (!d.is_empty()).then(|| d.join("; ")),
            )
        }
        EventKind::Resolved => (
            "Resolved".into(),
            t("root_cause").map(|r| format!("root cause: {r}")),
        ),
        EventKind::Note => ("Note".into(), t("text")),
        EventKind::Penalty => (
            format!(
                "Penalty recorded: {} {}",
                t("amount").unwrap_or_default(),
                t("currency").unwrap_or_default()
            ),
            t("term"),
        ),
        EventKind::PenaltyAdjusted => (
            format!("Penalty adjusted to {}", t("amount").unwrap_or_default()),
            t("reason"),
        ),
    };
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

/// What checking a package found.
#[derive(Debug, Default)]
pub struct PackageReport {
    pub ticket: String,
    pub head: String,
    pub events: usize,
    pub related: usize,
    pub generated_at: String,
    pub problems: Vec<String>,
    /// Things worth knowing that are not failures.
    pub notes: Vec<String>,
}

impl PackageReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Re-checks a package directory on its own: chains, derived figures, manifest and
/// renderings.
pub fn verify_dir(dir: &Path) -> PackageReport {
    let mut r = PackageReport::default();
    let read = |name: &str| std::fs::read(dir.join(name));
    let json = match read(JSON_FILE) {
        Ok(b) => b,
        Err(e) => {
            r.problems.push(format!(
                "{}: cannot read: {e}",
                dir.join(JSON_FILE).display()
            ));
            return r;
        }
    };
    let ev: Evidence = match serde_json::from_slice(&json) {
        Ok(ev) => ev,
        Err(e) => {
            r.problems
                .push(format!("{JSON_FILE}: not an evidence package: {e}"));
            return r;
        }
    };
    r.ticket = ev.ticket.clone();
    r.head = ev
        .events
        .last()
        .map_or_else(|| GENESIS_HASH.to_owned(), |c| c.hash.clone());
    r.events = ev.events.len();
    r.related = ev.related.len();
    r.generated_at = ev.generated_at.to_rfc3339();
    if ev.format != FORMAT {
        r.problems.push(format!(
            "{JSON_FILE}: format {:?}, expected {FORMAT:?}",
            ev.format
        ));
        return r;
    }
    // 1. Every chain, from the events alone.
    r.problems.extend(chain_problems(&ev.ticket, &ev.events));
    for (id, chain) in &ev.related {
        r.problems.extend(chain_problems(id, chain));
        if id == &ev.ticket {
            r.problems
                .push(format!("related chain {id} is the ticket itself"));
        }
    }
    if ev.chain.head != r.head {
        r.problems.push(format!(
            "chain.head {} is not the last event's hash {}",
            ev.chain.head, r.head
        ));
    }
    // 2. Every derived figure, recomputed from the events and the configuration.
    match build(
        &ev.ticket,
        ev.events.clone(),
        ev.related.clone(),
        ev.config.clone(),
        ev.generated_at,
    ) {
        Err(e) => r
            .problems
            .push(format!("cannot recompute the package: {e}")),
        Ok(again) => {
            let mut diff = |name: &str, same: bool| {
                if !same {
                    r.problems.push(format!(
                        "`{name}` in {JSON_FILE} differs from what its events and configuration give"
                    ));
                }
            };
            diff("summary", again.summary == ev.summary);
            diff("chain", again.chain == ev.chain);
            diff("timeline", again.timeline == ev.timeline);
            diff("clocks", again.clocks == ev.clocks);
            diff("penalties", again.penalties == ev.penalties);
            diff(
                "recorded_penalties",
                again.recorded_penalties == ev.recorded_penalties,
            );
            if again.generator != ev.generator {
                r.notes.push(format!(
                    "made by {}, checked by {}: renderings compared by hash only",
                    ev.generator, again.generator
                ));
            }
        }
    }
    // 3. The manifest, and the renderings made again from the JSON.
    let mut bare = ev.clone();
    bare.files.clear();
    for (name, render) in [
        (
            HTML_FILE,
            super::evidence_html::render as fn(&Evidence) -> String,
        ),
        (MD_FILE, super::evidence_md::render),
    ] {
        let Some(expected) = ev.files.get(name) else {
            r.problems
                .push(format!("the manifest in {JSON_FILE} does not list {name}"));
            continue;
        };
        match read(name) {
            Err(e) => r.problems.push(format!("{name}: cannot read: {e}")),
            Ok(bytes) => {
                let actual = sha256_hex(&bytes);
                if &actual != expected {
                    r.problems.push(format!(
                        "{name}: sha256 {actual} does not match the manifest's {expected}"
                    ));
                }
                if ev.generator == generator() && render(&bare).as_bytes() != bytes.as_slice() {
                    r.problems
                        .push(format!("{name} is not the rendering of {JSON_FILE}"));
                }
            }
        }
    }
    for name in ev.files.keys() {
        if name != HTML_FILE && name != MD_FILE {
            r.problems
                .push(format!("the manifest lists an unexpected file {name:?}"));
        }
    }
    // 4. The checksum file, if present, agrees with the files.
    if let Ok(sums) = std::fs::read_to_string(dir.join(SUMS_FILE)) {
        for line in sums.lines().filter(|l| !l.trim().is_empty()) {
            let Some((sum, name)) = line.split_once("  ") else {
                r.problems
                    .push(format!("{SUMS_FILE}: unreadable line {line:?}"));
                continue;
            };
            match read(name.trim()) {
                Ok(b) if sha256_hex(&b) == sum => {}
                Ok(_) => r
                    .problems
                    .push(format!("{SUMS_FILE}: {name} does not match its checksum")),
                Err(e) => r.problems.push(format!("{SUMS_FILE}: {name}: {e}")),
            }
        }
    } else {
        r.notes.push(format!("no {SUMS_FILE}"));
    }
    if !ev.chain.problems.is_empty() {
        r.notes
            .push("the chain was already broken when the package was made".into());
    }
    r
}
