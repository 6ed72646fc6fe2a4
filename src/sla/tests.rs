//! Clock rules worked through with fixed instants on a 24x7 and a business calendar.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::*;
use crate::config::calendars::parse_calendars;
use crate::config::policies::parse_policies;

const CALENDARS: &str = r#"
[calendar.24x7]
timezone = "UTC"
always = true
[calendar.office]
timezone = "America/New_York"
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]
"#;

fn setup(priority_change: &str) -> (Policies, Calendars) {
    let cals = parse_calendars(Path::new("c.toml"), CALENDARS).unwrap();
    let policies = format!(
        r#"
[[policy]]
name = "office"
calendar = "office"
customers = ["globex"]
priority_change = "{priority_change}"
[policy.targets.P1]
acknowledge = "30m"
restore = "2h"
[policy.targets.P3]
acknowledge = "4h"
restore = "8h"

[[policy]]
name = "carrier"
calendar = "24x7"
priority_change = "{priority_change}"
[policy.targets.P1]
acknowledge = "15m"
client_update = "1h"
restore = "4h"
resolve = "1d"
[policy.targets.P3]
acknowledge = "2h"
restore = "1d"
[policy.pause_reasons]
customer = ["restore", "client_update"]
vendor = []
"#
    );
    let pols = parse_policies(Path::new("p.toml"), &policies, &cals).unwrap();
    (pols, cals)
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn us(s: &str) -> Micros {
    t(s).timestamp_micros()
}

const M: Micros = calendar::MICROS_PER_MIN;

struct History(Vec<Event>);

impl History {
    fn new(customer: &str, priority: &str, at: &str) -> History {
        let mut h = History(Vec::new());
        h.push(
            "detected",
            at,
            json!({"priority": priority, "customer": customer}),
        );
        h
    }

    fn push(&mut self, kind: &str, at: &str, payload: serde_json::Value) -> &mut Self {
        let e = serde_json::from_value::<Event>(json!({
            "id": format!("e{}", self.0.len()),
            "ticket": "T-1",
            "kind": kind,
            "at": at,
            "payload": payload,
        }))
        .unwrap()
        .normalized();
        e.validate().unwrap();
        self.0.push(e);
        self
    }

    fn eval(&self, mode: &str, now: &str) -> TicketSla {
        let (p, c) = setup(mode);
        evaluate_ticket(&p, &c, &self.0, t(now)).unwrap()
    }
}

fn clock(sla: &TicketSla, metric: Metric) -> &Clock {
    sla.clocks.iter().find(|c| c.metric == metric).unwrap()
}

#[test]
fn running_clock_counts_down_to_its_deadline() {
    let h = History::new("acme", "P1", "2026-03-02T08:00:00Z");
    let sla = h.eval("recompute", "2026-03-02T09:00:00Z");
    let restore = clock(&sla, Metric::Restore);
    assert_eq!(restore.state, ClockState::Running);
    assert_eq!(restore.elapsed, 60 * M);
    assert_eq!(restore.remaining, 180 * M);
    assert_eq!(restore.due, Some(us("2026-03-02T12:00:00Z")));
    assert_eq!(restore.percent(), 25.0);
    // Acknowledge (15 min) is already overdue: breached at its deadline.
    let ack = clock(&sla, Metric::Acknowledge);
    assert_eq!(ack.state, ClockState::Breached);
    assert_eq!(ack.breached_at, Some(us("2026-03-02T08:15:00Z")));
    assert_eq!(ack.remaining, -45 * M);
    assert_eq!(sla.most_urgent().unwrap().metric, Metric::Acknowledge);
}

#[test]
fn stop_exactly_at_deadline_is_met_and_after_it_is_breached() {
    let mut h = History::new("acme", "P1", "2026-03-02T08:00:00Z");
    h.push("acknowledged", "2026-03-02T08:15:00Z", json!({}));
    let sla = h.eval("recompute", "2026-03-02T10:00:00Z");
    assert_eq!(clock(&sla, Metric::Acknowledge).state, ClockState::Met);
    assert_eq!(
        clock(&sla, Metric::Acknowledge).stopped_at,
        Some(us("2026-03-02T08:15:00Z"))
    );

    // Business hours: due at 17:00 closing; a response at 17:30 is late although no
    // working time passed after the deadline.
    let mut h = History::new("globex", "P1", "2026-03-02T21:30:00Z"); // 16:30 EST
    h.push("acknowledged", "2026-03-02T22:30:00Z", json!({})); // 17:30 EST
    let ack = h.eval("recompute", "2026-03-03T12:00:00Z");
    let ack = clock(&ack, Metric::Acknowledge);
    assert_eq!(ack.elapsed, 30 * M);
    assert_eq!(ack.state, ClockState::Breached);
    assert_eq!(ack.breached_at, Some(us("2026-03-02T22:00:00Z")));
    // Acknowledged after hours but before the budget ran out: met.
    let mut h = History::new("globex", "P1", "2026-03-02T21:40:00Z"); // 16:40 EST
    h.push("acknowledged", "2026-03-02T22:30:00Z", json!({}));
    let ack = h.eval("recompute", "2026-03-03T12:00:00Z");
    assert_eq!(clock(&ack, Metric::Acknowledge).state, ClockState::Met);
}

#[test]
fn business_hours_clock_waits_overnight() {
    // Detected Monday 16:00 EST with a 2 h restore target: due Tuesday 10:00 EST.
    let h = History::new("globex", "P1", "2026-03-02T21:00:00Z");
    let sla = h.eval("recompute", "2026-03-03T02:00:00Z");
    let restore = clock(&sla, Metric::Restore);
    assert_eq!(restore.elapsed, 60 * M);
    assert_eq!(restore.due, Some(us("2026-03-03T15:00:00Z")));
    assert_eq!(sla.calendar, "office");
}

#[test]
fn customer_pause_stops_only_the_clocks_its_reason_names() {
    let mut h = History::new("acme", "P1", "2026-03-02T08:00:00Z");
    h.push("acknowledged", "2026-03-02T08:05:00Z", json!({}))
        .push(
            "paused",
            "2026-03-02T09:00:00Z",
            json!({"reason": "customer"}),
        );
    let sla = h.eval("recompute", "2026-03-02T11:00:00Z");
    let restore = clock(&sla, Metric::Restore);
    assert_eq!(restore.state, ClockState::Paused);
    assert_eq!(restore.paused_reason.as_deref(), Some("customer"));
    assert_eq!(restore.elapsed, 60 * M);
    assert_eq!(restore.due, None);
    // Resolve is not stopped by a customer pause.
    let resolve = clock(&sla, Metric::Resolve);
    assert_eq!(resolve.state, ClockState::Running);
    assert_eq!(resolve.elapsed, 180 * M);

    // Resumed at 12:00: restore ran 1 h before and 1 h after: due 14:00.
    h.push("resumed", "2026-03-02T12:00:00Z", json!({}));
    let sla = h.eval("recompute", "2026-03-02T13:00:00Z");
    let restore = clock(&sla, Metric::Restore);
    assert_eq!(restore.state, ClockState::Running);
    assert_eq!(restore.elapsed, 120 * M);
    assert_eq!(restore.due, Some(us("2026-03-02T15:00:00Z")));

    // A vendor pause stops nothing: the clock keeps running through it.
    let mut h = History::new("acme", "P1", "2026-03-02T08:00:00Z");
    h.push(
        "paused",
        "2026-03-02T09:00:00Z",
        json!({"reason": "vendor"}),
    );
    let sla = h.eval("recompute", "2026-03-02T11:00:00Z");
    assert_eq!(clock(&sla, Metric::Restore).state, ClockState::Running);
    assert_eq!(clock(&sla, Metric::Restore).elapsed, 180 * M);
}

#[test]
fn breach_during_a_pause_stays_breached() {
    let mut h = History::new("acme", "P1", "2026-03-02T08:00:00Z");
    h.push(
        "paused",
        "2026-03-02T13:00:00Z",
        json!({"reason": "customer"}),
    );
    let sla = h.eval("recompute", "2026-03-02T14:00:00Z");
    let restore = clock(&sla, Metric::Restore);
    assert_eq!(restore.state, ClockState::Breached);
    assert_eq!(restore.breached_at, Some(us("2026-03-02T12:00:00Z")));
    assert_eq!(restore.paused_reason.as_deref(), Some("customer"));
}

#[test]
fn client_update_clock_restarts_at_every_update() {
    let mut h = History::new("acme", "P1", "2026-03-02T08:00:00Z");
    h.push(
        "client_update",
        "2026-03-02T08:50:00Z",
        json!({"channel": "email"}),
    )
    .push(
        "client_update",
        "2026-03-02T10:00:00Z",
        json!({"channel": "phone"}),
    ); // 70 min: late
    let sla = h.eval("recompute", "2026-03-02T10:30:00Z");
    let cu = clock(&sla, Metric::ClientUpdate);
    assert_eq!(cu.state, ClockState::Running);
    assert_eq!(cu.elapsed, 30 * M);
    assert_eq!(cu.due, Some(us("2026-03-02T11:00:00Z")));
    assert_eq!(cu.breaches, 1);
    assert_eq!(cu.breached_at, Some(us("2026-03-02T09:50:00Z")));
    assert_eq!(cu.started_at, us("2026-03-02T10:00:00Z"));
    // The first update also counts as the first response.
    assert_eq!(clock(&sla, Metric::Acknowledge).state, ClockState::Breached);
    // Once restored, the clock stops: breached overall because one cycle was late.
    h.push("restored", "2026-03-02T10:40:00Z", json!({}));
    let sla = h.eval("recompute", "2026-03-02T12:00:00Z");
    assert_eq!(
        clock(&sla, Metric::ClientUpdate).state,
        ClockState::Breached
    );
    assert_eq!(clock(&sla, Metric::Restore).state, ClockState::Met);
}

#[test]
fn priority_change_recompute_measures_from_start_with_the_new_target() {
    let mut h = History::new("acme", "P3", "2026-03-02T08:00:00Z");
    h.push("acknowledged", "2026-03-02T09:00:00Z", json!({}))
        .push(
            "priority_changed",
            "2026-03-02T10:00:00Z",
            json!({"priority": "P1"}),
        );
    let sla = h.eval("recompute", "2026-03-02T11:00:00Z");
    assert_eq!(sla.facts.priority.to_string(), "P1");
    // P1 restore is 4 h from 08:00.
    assert_eq!(
        clock(&sla, Metric::Restore).due,
        Some(us("2026-03-02T12:00:00Z"))
    );
    // The acknowledgement after 60 min now misses P1's 15 min target.
    assert_eq!(clock(&sla, Metric::Acknowledge).state, ClockState::Breached);
}

#[test]
fn priority_change_restart_starts_running_clocks_anew() {
    let mut h = History::new("acme", "P3", "2026-03-02T08:00:00Z");
    h.push("acknowledged", "2026-03-02T09:00:00Z", json!({}))
        .push(
            "priority_changed",
            "2026-03-02T10:00:00Z",
            json!({"priority": "P1"}),
        );
    let sla = h.eval("restart", "2026-03-02T11:00:00Z");
    let restore = clock(&sla, Metric::Restore);
    assert_eq!(restore.started_at, us("2026-03-02T10:00:00Z"));
    assert_eq!(restore.elapsed, 60 * M);
    assert_eq!(restore.due, Some(us("2026-03-02T14:00:00Z")));
    // The acknowledgement was given under P3 (2 h): it stays met.
    let ack = clock(&sla, Metric::Acknowledge);
    assert_eq!(ack.state, ClockState::Met);
    assert_eq!(ack.target, 120 * M);
}

#[test]
fn resolve_stops_everything_and_future_events_are_ignored() {
    let mut h = History::new("acme", "P1", "2026-03-02T08:00:00Z");
    h.push("acknowledged", "2026-03-02T08:10:00Z", json!({}))
        .push(
            "paused",
            "2026-03-02T09:00:00Z",
            json!({"reason": "customer"}),
        )
        .push(
            "resolved",
            "2026-03-02T10:00:00Z",
            json!({"root_cause": "fibre cut"}),
        );
    let sla = h.eval("recompute", "2026-03-03T10:00:00Z");
    assert!(!sla.facts.is_open());
    assert!(sla.clocks.iter().all(|c| c.state == ClockState::Met));
    assert_eq!(clock(&sla, Metric::Restore).elapsed, 60 * M);
    assert!(sla.most_urgent().is_none());
    // As of 09:30 the resolution has not happened yet.
    let sla = h.eval("recompute", "2026-03-02T09:30:00Z");
    assert!(sla.facts.is_open());
    assert_eq!(clock(&sla, Metric::Restore).state, ClockState::Paused);
}

#[test]
fn evaluate_groups_tickets_and_reports_problems() {
    let (p, c) = setup("recompute");
    let mut events = History::new("acme", "P1", "2026-03-02T08:00:00Z").0;
    let mut orphan = events[0].clone();
    orphan.ticket = "T-2".into();
    orphan.kind = crate::model::EventKind::Note;
    orphan.payload = json!({"text": "hello"}).as_object().unwrap().clone();
    events.push(orphan);
    let result = evaluate(&p, &c, &events, t("2026-03-02T09:00:00Z"));
    assert_eq!(result.tickets.len(), 1);
    assert_eq!(result.problems.len(), 1);
    assert!(result.problems[0].1.contains("T-2 has no `detected` event"));
    // Before anything happened, neither ticket exists yet.
    let result = evaluate(&p, &c, &events, t("2026-03-01T00:00:00Z"));
    assert!(result.tickets.is_empty() && result.problems.is_empty());
}

/// The projection stores facts in postcard, written with plain `String`s, `Vec`s and
/// an inline escalation: the compact types must read and write the same bytes, or
/// every store would need its projection rebuilt.
#[test]
fn compact_facts_keep_the_stored_layout_and_share_customer_names() {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Pause {
        from: Micros,
        to: Option<Micros>,
        reason: String,
    }
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Escalation {
        level: u8,
        to: String,
        at: Micros,
        acknowledged: bool,
    }
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Stored {
        ticket: String,
        customer: String,
        service: Option<String>,
        title: String,
        assignee: Option<String>,
        detected_at: Micros,
        priority: crate::model::Priority,
        last_priority_change: Option<Micros>,
        priority_history: Vec<(Micros, crate::model::Priority)>,
        first_response_at: Option<Micros>,
        last_acknowledged_at: Option<Micros>,
        client_updates: Vec<Micros>,
        pauses: Vec<Pause>,
        restored_at: Option<Micros>,
        resolved_at: Option<Micros>,
        escalation: Option<Escalation>,
        last_event_at: Micros,
        events: usize,
    }

    let mut h = History::new("globex", "P3", "2026-03-02T14:00:00Z");
    h.push(
        "client_update",
        "2026-03-02T14:10:00Z",
        json!({"channel": "email", "message": "on it"}),
    )
    .push(
        "paused",
        "2026-03-02T14:20:00Z",
        json!({"reason": "customer_access"}),
    )
    .push("resumed", "2026-03-02T14:40:00Z", json!({}))
    .push(
        "priority_changed",
        "2026-03-02T15:00:00Z",
        json!({"priority": "P1"}),
    )
    .push(
        "escalated",
        "2026-03-02T15:05:00Z",
        json!({"level": 2, "to": "noc-lead"}),
    )
    .push("assigned", "2026-03-02T15:06:00Z", json!({"to": "zoë"}));
    let facts = Facts::fold(&h.0, t("2026-03-02T16:00:00Z")).unwrap();
    assert_eq!(facts.pauses.len(), 1);
    assert!(facts.escalation.is_some() && facts.assignee.is_some());

    let bytes = postcard::to_allocvec(&facts).unwrap();
    let stored: Stored = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(stored.customer, "globex");
    assert_eq!(stored.priority_history.len(), 2);
    assert_eq!(stored.escalation.as_ref().unwrap().to, "noc-lead");
    assert_eq!(
        postcard::to_allocvec(&stored).unwrap(),
        bytes,
        "same bytes both ways"
    );

    let a: Facts = postcard::from_bytes(&bytes).unwrap();
    let b: Facts = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(a, facts);
    assert!(
        std::sync::Arc::ptr_eq(&a.customer, &b.customer),
        "one copy of a customer's name"
    );
    assert_eq!(
        a.priority_history
            .iter()
            .map(|x| x.1.level())
            .collect::<Vec<_>>(),
        [3, 1]
    );

    // Self-describing formats read the same (a service absent, then present).
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(serde_json::from_str::<Facts>(&json).unwrap(), a);
    let mut with_service = a.clone();
    with_service.service = Some("voice".into());
    let json = serde_json::to_value(&with_service).unwrap();
    assert_eq!(serde_json::from_value::<Facts>(json).unwrap(), with_service);

    let mut none = stored;
    none.priority_history.clear();
    let bytes = postcard::to_allocvec(&none).unwrap();
    assert!(
        postcard::from_bytes::<Facts>(&bytes).is_err(),
        "a history without the priority at detection is refused"
    );
}

#[test]
fn a_ticket_detected_after_now_has_no_clocks_even_from_facts_folded_past_now() {
    // Resolved within the year 9999, as an import with a typo'd year can hold it.
    let mut h = History::new("acme", "P1", "9999-12-31T20:00:00Z");
    h.push("acknowledged", "9999-12-31T20:05:00Z", json!({}))
        .push("restored", "9999-12-31T21:00:00Z", json!({}))
        .push("resolved", "9999-12-31T22:00:00Z", json!({}));
    let (p, c) = setup("recompute");
    // The console folds every stored event, then evaluates its clocks at today's now.
    let facts = Facts::fold(&h.0, DateTime::<Utc>::MAX_UTC).unwrap();
    let policy = p.select(&facts.customer, None, facts.priority).unwrap();
    let cal = c.get(&policy.calendar).unwrap();
    let today = clock::clocks(&facts, policy, cal, t("2026-12-01T00:00:00Z"));
    assert!(today.is_empty(), "not detected yet, so not open: {today:?}");
    // At its own time it is measured as usual.
    let then = clock::clocks(&facts, policy, cal, t("9999-12-31T23:00:00Z"));
    assert!(then.iter().all(|c| !c.is_live()), "{then:?}");
}
