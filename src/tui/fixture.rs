//! Generated open tickets for tests and benchmarks at any scale: realistic NOC states
//! over the shipped policies' customers (`crate::demo` is the hand-placed demo set).

use chrono::{DateTime, TimeDelta, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use std::sync::Arc;

use super::board::Board;
use super::keymap::Keymap;
use super::state::State;
use crate::model::{Event, EventKind, Payload};
use crate::sla::Facts;
use crate::store::TicketRow;

pub const CUSTOMERS: [&str; 12] = [
    "acme-telecom",
    "nordlink",
    "pacific-fiber",
    "metronet",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark-industries",
    "wayne-enterprises",
    "cyberdyne",
    "tyrell",
];

const AGENTS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];
const TEAMS: [&str; 5] = [
    "fiber-field-team",
    "core-network",
    "noc-lead",
    "vendor-tac",
    "duty-manager",
];
const PROBLEMS: [&str; 10] = [
    "Loss of signal on",
    "Packet loss on",
    "BGP session flapping on",
    "High latency on",
    "Interface errors on",
    "Dashboard exports time out for",
    "Login failures on",
    "Degraded throughput on",
    "DNS resolution failing for",
    "Power alarm at",
];
const PLACES: [&str; 10] = [
    "LDN-FRA-7",
    "NYC-CHI-2",
    "SYD-MEL-4",
    "PAR-AMS-1",
    "core-rtr-3",
    "edge-sw-12",
    "portal",
    "api-gateway",
    "POP Berlin",
    "DC2 row 14",
];

/// One ticket's events: detected `age` before `now`, then what agents did since.
fn ticket(rng: &mut ChaCha8Rng, n: usize, now: DateTime<Utc>, id_base: u64, out: &mut Vec<Event>) {
    let customer = CUSTOMERS[n % CUSTOMERS.len()];
    let ticket = format!(
        "{}-{}",
        customer.split('-').next().unwrap_or("T").to_uppercase(),
        1000 + n
    );
    let priority = match rng.gen_range(0..100) {
        0..10 => "P1",
        10..35 => "P2",
        35..75 => "P3",
        _ => "P4",
    };
    // Younger tickets for higher priorities: P1s are recent, P4s can be days old.
    let max_age_min: i64 = match priority {
        "P1" => 6 * 60,
        "P2" => 16 * 60,
        "P3" => 3 * 24 * 60,
        _ => 8 * 24 * 60,
    };
    let age = TimeDelta::minutes(rng.gen_range(2..max_age_min));
    let detected = now - age;
    let mut seq = 0u64;
    let mut push = |kind: EventKind, at: DateTime<Utc>, actor: &str, payload: Value| {
        let payload: Payload = serde_json::from_value(payload).expect("object");
        seq += 1;
        let id = uuid::Uuid::from_u64_pair(id_base ^ 0x0190_0000_0000_7000, (n as u64) << 16 | seq);
        out.push(Event {
            id: id.to_string(),
            ticket: ticket.clone(),
            kind,
            at,
            recorded_at: at,
            actor: actor.to_owned(),
            payload,
        });
    };
    let title = format!(
        "{} {}",
        PROBLEMS[rng.gen_range(0..PROBLEMS.len())],
        PLACES[rng.gen_range(0..PLACES.len())]
    );
    let assignee = AGENTS[rng.gen_range(0..AGENTS.len())];
    push(
        EventKind::Detected,
        detected,
        "monitoring",
        json!({"priority": priority, "customer": customer, "title": title,
               "service": format!("svc-{}", n % 40), "assignee": assignee}),
    );
    let span = age.num_seconds().max(60);
    let at = |rng: &mut ChaCha8Rng, from: f64, to: f64| {
        detected + TimeDelta::seconds((span as f64 * rng.gen_range(from..to)) as i64)
    };
    // Most tickets get acknowledged; some never are (they breach the first response).
    if rng.gen_bool(0.8) {
        let t = at(rng, 0.0, 0.15);
        push(EventKind::Acknowledged, t, assignee, json!({}));
    }
    let updates = rng.gen_range(0..4);
    for k in 0..updates {
        let t = at(rng, 0.15 + 0.2 * f64::from(k), 0.3 + 0.2 * f64::from(k));
        let channel = ["email", "phone", "portal"][k as usize % 3];
        push(
            EventKind::ClientUpdate,
            t,
            assignee,
            json!({"channel": channel,
                   "message": "Investigating; next update within the hour"}),
        );
    }
    if rng.gen_bool(0.3) {
        let t = at(rng, 0.2, 0.5);
        push(
            EventKind::CarrierUpdate,
            t,
            assignee,
            json!({"message": "Carrier confirms fault, crew dispatched"}),
        );
    }
    if rng.gen_bool(0.25) {
        let t = at(rng, 0.3, 0.7);
        let level = rng.gen_range(1..=3);
        push(
            EventKind::Escalated,
            t,
            assignee,
            json!({"level": level, "to": TEAMS[rng.gen_range(0..TEAMS.len())], "note": "needs field work"}),
        );
        if rng.gen_bool(0.5) {
            let t2 = at(rng, 0.7, 0.9);
            push(EventKind::Acknowledged, t2, "noc-lead", json!({}));
        }
    }
    match rng.gen_range(0..100) {
        0..12 => {
            let t = at(rng, 0.6, 0.95);
            let reason = ["customer", "maintenance", "vendor"][rng.gen_range(0..3)];
            push(
                EventKind::Paused,
                t,
                assignee,
                json!({"reason": reason, "note": "waiting"}),
            );
        }
        12..20 => {
            let t = at(rng, 0.8, 0.99);
            push(
                EventKind::Restored,
                t,
                assignee,
                json!({"verification": "monitoring", "client_confirmed": false}),
            );
        }
        _ => {}
    }
    if rng.gen_bool(0.2) {
        let t = at(rng, 0.1, 0.99);
        push(
            EventKind::Note,
            t,
            assignee,
            json!({"text": "Checked optical levels on both ends"}),
        );
    }
}

/// `n` open tickets as of `now`, the same for the same seed (ids included).
pub fn events(seed: u64, now: DateTime<Utc>, n: usize) -> Vec<Event> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n * 6);
    for i in 0..n {
        ticket(&mut rng, i, now, seed, &mut out);
    }
    out.sort_by_key(|e| e.at);
    out
}

/// Rows as the store's projection gives them.
/// The open tickets and their facts, as the store's snapshot reader gives them.
pub fn snapshot(events: &[Event]) -> Vec<crate::store::TicketFacts> {
    rows(events)
        .into_iter()
        .filter(|r| r.open)
        .map(|r| (r.ticket, r.facts))
        .collect()
}

pub fn rows(events: &[Event]) -> Vec<TicketRow> {
    let mut by: std::collections::BTreeMap<&str, Vec<Event>> = Default::default();
    for e in events {
        by.entry(e.ticket.as_str()).or_default().push(e.clone());
    }
    by.into_iter()
        .map(|(t, evs)| TicketRow {
            ticket: t.to_owned(),
            head: String::new(),
            events: evs.len() as i64,
            last_seq: 0,
            open: !evs.iter().any(|e| e.kind == EventKind::Resolved),
            facts: Facts::fold(&evs, DateTime::<Utc>::MAX_UTC)
                .ok()
                .map(Arc::new),
            resolved_at: None,
        })
        .map(TicketRow::with_resolved_at)
        .collect()
}

/// An empty state (nothing loaded yet) with the shipped configuration.
pub fn empty_state() -> State {
    let (pols, cals) = crate::config::shipped();
    let board = Board::new(pols.clone(), cals, "alice");
    let mut s = State::new(
        board,
        Arc::new(Keymap::defaults()),
        "alice".into(),
        chrono_tz::Europe::Berlin,
        "~/.local/share/slawatch/slawatch.db".into(),
    );
    s.config_dir = Some("~/.config/slawatch".into());
    s
}
