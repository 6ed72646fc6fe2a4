//! A synthetic NOC history for load benchmarks: `tickets` tickets of ten events each,
//! detected over the 30 days before `now`, every fifth one resolved.

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use slawatch::model::{Event, EventKind, Payload};

const CUSTOMERS: [&str; 12] = [
    "acme-telecom",
    "nordlink",
    "pacific-fiber",
    "metronet",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark-logistics",
    "wayne-retail",
    "tyrell-bio",
    "cyberdyne",
];
const AGENTS: [&str; 8] = [
    "alice", "bob", "carol", "dmitri", "erin", "farid", "grace", "hiro",
];

fn payload(v: serde_json::Value) -> Payload {
    serde_json::from_value(v).expect("object")
}

/// Ten events of ticket `n`, in time order, all at or before `now`.
pub fn ticket_events(n: usize, now: DateTime<Utc>, rng: &mut ChaCha8Rng) -> Vec<Event> {
    let ticket = format!("LOAD-{n:06}");
    let start = now - Duration::minutes(rng.gen_range(10..30 * 24 * 60));
    let span = (now - start).num_seconds().max(10);
    let mut ats: Vec<i64> = (0..9).map(|_| rng.gen_range(1..span)).collect();
    ats.sort_unstable();
    let agent = AGENTS[n % AGENTS.len()];
    let customer = CUSTOMERS[n % CUSTOMERS.len()];
    let mut kinds = vec![
        (EventKind::Acknowledged, json!({})),
        (
            EventKind::Escalated,
            json!({"level": 1 + (n % 3), "to": "noc-l2", "note": "needs field team"}),
        ),
        (
            EventKind::ClientUpdate,
            json!({"channel": "email", "message": "Investigating, next update in 1h"}),
        ),
        (
            EventKind::CarrierUpdate,
            json!({"text": "carrier ticket 88123 opened"}),
        ),
        (
            EventKind::Note,
            json!({"text": "checked optical levels on both ends"}),
        ),
        (
            EventKind::ClientUpdate,
            json!({"channel": "phone", "message": "Crew on site"}),
        ),
        (
            EventKind::Paused,
            json!({"reason": "customer", "note": "awaiting site access"}),
        ),
        (EventKind::Resumed, json!({})),
        (
            EventKind::Note,
            json!({"text": "splice completed, monitoring"}),
        ),
    ];
    if n % 5 == 0 {
        kinds[8] = (
            EventKind::Resolved,
            json!({"root_cause": "fibre cut by third party"}),
        );
    }
    let mut out = vec![Event::new(
        &ticket,
        EventKind::Detected,
        start,
        start,
        "monitoring",
        payload(json!({
            "priority": format!("P{}", 1 + n % 4),
            "customer": customer,
            "service": format!("circuit-{n:06}"),
            "title": format!("Loss of signal on circuit {n:06}"),
        })),
    )];
    for ((kind, p), secs) in kinds.into_iter().zip(ats) {
        let at = start + Duration::seconds(secs);
        out.push(Event::new(&ticket, kind, at, at, agent, payload(p)));
    }
    out
}

/// Every event of `tickets` tickets, deterministic for `seed` apart from event ids.
pub fn events(tickets: usize, now: DateTime<Utc>, seed: u64) -> impl Iterator<Item = Event> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..tickets).flat_map(move |n| ticket_events(n, now, &mut rng))
}
