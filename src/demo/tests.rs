//! The demo data set evaluated with the shipped assets at fixed instants.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::config::{load_calendars, load_policies};
use crate::sla::{evaluate, ClockState, Evaluation};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Wednesday 14:00 in New York, Sunday 03:00 UTC, Monday 08:30 in Berlin.
const NOWS: [&str; 3] = [
    "2026-03-04T19:00:00.123456789Z",
    "2026-03-08T03:00:00Z",
    "2026-06-15T06:30:00Z",
];

/// Loaded from the files, holiday files included, as the console does.
fn shipped_assets() -> (Policies, Calendars) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cals = load_calendars(&root.join("assets/calendars.toml")).unwrap();
    let pols = load_policies(&root.join("assets/policies.toml"), &cals).unwrap();
    (pols, cals)
}

fn evaluate_shipped(events: &[Event], now: DateTime<Utc>) -> Evaluation {
    let (pols, cals) = shipped_assets();
    evaluate(&pols, &cals, events, now)
}

#[test]
fn same_seed_and_now_give_the_same_events() {
    let now = t(NOWS[0]);
    let a = demo_events(7, now);
    assert_eq!(a, demo_events(7, now));
    assert_ne!(a, demo_events(8, now));
    let later = demo_events(7, now + TimeDelta::hours(1));
    let ids: HashSet<_> = a.iter().map(|e| &e.id).collect();
    assert!(
        later.iter().all(|e| !ids.contains(&e.id)),
        "seeding at another instant reuses no id"
    );
}

#[test]
fn events_are_valid_unique_and_not_in_the_future() {
    for (seed, now) in [(1, NOWS[0]), (2, NOWS[1]), (3, NOWS[2])] {
        let now = t(now);
        let events = demo_events(seed, now);
        let mut ids = HashSet::new();
        for e in &events {
            e.validate().unwrap_or_else(|err| panic!("{e:?}: {err}"));
            assert_eq!(e.clone().normalized(), *e);
            assert!(ids.insert(e.id.as_str()), "duplicate id {}", e.id);
            assert!(e.at <= now && e.recorded_at <= now, "{e:?} after {now}");
            assert!(e.recorded_at >= e.at);
            assert!(!e.actor.is_empty());
            assert_eq!(uuid::Uuid::parse_str(&e.id).unwrap().get_version_num(), 7);
        }
    }
}

#[test]
fn shipped_policies_see_every_situation_at_any_hour() {
    for (seed, now) in [(42, NOWS[0]), (42, NOWS[1]), (7, NOWS[2]), (99, NOWS[1])] {
        let now = t(now);
        let events = demo_events(seed, now);
        let (pols, cals) = shipped_assets();
        let eval = evaluate(&pols, &cals, &events, now);
        let at = format!("seed {seed} at {now}");
        assert!(eval.problems.is_empty(), "{at}: {:?}", eval.problems);

        let open: Vec<_> = eval.tickets.iter().filter(|t| t.facts.is_open()).collect();
        assert_eq!(open.len(), 200, "{at}");
        assert_eq!(eval.tickets.len() - open.len(), RESOLVED_TICKETS, "{at}");
        let customers: BTreeSet<_> = open.iter().map(|t| &*t.facts.customer).collect();
        assert_eq!(customers.len(), 12, "{at}");
        let policies: BTreeSet<_> = open.iter().map(|t| t.policy.as_str()).collect();
        assert_eq!(
            policies.into_iter().collect::<Vec<_>>(),
            ["carrier-circuits", "saas-business-hours", "standard"]
        );
        let p1 = open
            .iter()
            .filter(|t| t.facts.priority.level() == 1)
            .count();
        assert!((1..=30).contains(&p1), "{at}: {p1} P1 tickets");

        let clocks = || {
            open.iter()
                .flat_map(|t| t.clocks.iter().map(move |c| (*t, c)))
        };
        let breached = open
            .iter()
            .filter(|t| t.clocks.iter().any(|c| c.is_breached() && c.is_live()))
            .count();
        assert!(breached >= 15, "{at}: {breached} breached");
        assert!(breached <= 100, "{at}: {breached} breached");
        let horizon = (now + TimeDelta::minutes(15)).timestamp_micros();
        let soon = clocks()
            .filter(|(_, c)| c.state == ClockState::Running)
            .filter(|(_, c)| c.due.is_some_and(|d| d <= horizon))
            .count();
        assert!(soon >= 1, "{at}: nothing breaching within 15 minutes");
        let customer_paused = clocks()
            .filter(|(_, c)| c.state == ClockState::Paused)
            .filter(|(_, c)| c.paused_reason.as_deref() == Some("customer"))
            .count();
        assert!(
            customer_paused >= 4,
            "{at}: {customer_paused} paused clocks"
        );
        let levels: BTreeSet<u8> = open
            .iter()
            .filter_map(|t| t.facts.escalation.as_ref().map(|e| e.level))
            .collect();
        assert_eq!(levels.into_iter().collect::<Vec<_>>(), [1, 2, 3], "{at}");
        let updates = clocks()
            .filter(|(_, c)| c.metric == Metric::ClientUpdate && c.state == ClockState::Running)
            .count();
        assert!(
            updates >= 10,
            "{at}: {updates} running client-update clocks"
        );
        let quiet = open
            .iter()
            .filter(|t| t.facts.first_response_at.is_some())
            .filter(|t| {
                let policy = pols.get(&t.policy).unwrap();
                t.clocks.iter().filter(|c| c.is_live()).all(|c| {
                    let w = policy.warnings_for(c.metric);
                    w.severity(c.elapsed, c.target, c.is_breached()) == crate::sla::Severity::Ok
                })
            })
            .count();
        assert!(quiet >= 30, "{at}: {quiet} quiet acknowledged tickets");
    }
}

#[test]
fn carriers_breach_within_minutes_even_on_a_sunday() {
    let now = t(NOWS[1]);
    let eval = evaluate_shipped(&demo_events(5, now), now);
    let horizon = (now + TimeDelta::minutes(15)).timestamp_micros();
    let soon: BTreeSet<_> = eval
        .tickets
        .iter()
        .filter(|t| {
            t.clocks
                .iter()
                .any(|c| c.state == ClockState::Running && c.due.is_some_and(|d| d <= horizon))
        })
        .map(|t| &*t.facts.customer)
        .collect();
    for carrier in ["acme-telecom", "nordlink", "pacific-fiber", "metronet"] {
        assert!(soon.contains(carrier), "{carrier}: {soon:?}");
    }
}

#[test]
fn resolved_tickets_lie_in_the_past_days() {
    let now = t(NOWS[0]);
    let events = demo_events(3, now);
    let resolved: Vec<_> = events
        .iter()
        .filter(|e| e.kind == EventKind::Resolved)
        .collect();
    assert_eq!(resolved.len(), RESOLVED_TICKETS);
    for e in resolved {
        let age = now - e.at;
        assert!(
            age >= TimeDelta::hours(1) && age <= TimeDelta::days(30),
            "{age}"
        );
        assert!(e.text("root_cause").is_some());
    }
}
