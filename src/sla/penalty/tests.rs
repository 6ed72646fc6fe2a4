//! Penalty cases worked by hand. Every expected amount has its arithmetic beside it.
//!
//! The contracts bill in UTC unless a case says otherwise, so March 2026 is
//! 31 × 24 × 60 = 44,640 minutes and April 2026 is 30 × 24 × 60 = 43,200 minutes.

use std::path::Path;

use chrono::{DateTime, Utc};
use rust_decimal_macros::dec;
use serde_json::{json, Value};

use super::*;
use crate::config::calendars::parse_calendars;
use crate::config::contracts::parse_contracts;
use crate::config::policies::parse_policies;
use crate::model::{Event, Priority};
use crate::sla::{Calendars, Metric, Policies};

const CALENDARS: &str = r#"
[calendar.24x7]
timezone = "UTC"
always = true
"#;

const POLICIES: &str = r#"
[[policy]]
name = "carrier"
calendar = "24x7"
[policy.targets.P1]
acknowledge = "15m"
client_update = "1h"
restore = "4h"
resolve = "1d"
[policy.targets.P2]
acknowledge = "30m"
restore = "8h"
[policy.pause_reasons]
customer = ["restore", "resolve", "client_update"]
maintenance = ["restore", "resolve"]
vendor = []
"#;

fn config(contracts: &str) -> (Policies, Calendars, Contracts) {
    let cals = parse_calendars(Path::new("c.toml"), CALENDARS).unwrap();
    let pols = parse_policies(Path::new("p.toml"), POLICIES, &cals).unwrap();
    let k =
        parse_contracts(Path::new("k.toml"), contracts, &cals).unwrap_or_else(|e| panic!("{e}"));
    (pols, cals, k)
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Tickets of customer `acme` on a carrier desk.
#[derive(Default)]
struct Desk(Vec<Event>);

impl Desk {
    fn event(&mut self, ticket: &str, kind: &str, at: &str, payload: Value) -> &mut Self {
        let e = serde_json::from_value::<Event>(json!({
            "id": format!("{ticket}-{}", self.0.len()),
            "ticket": ticket, "kind": kind, "at": at, "actor": "test", "payload": payload,
        }))
        .unwrap()
        .normalized();
        e.validate().unwrap();
        self.0.push(e);
        self
    }

    fn detected(&mut self, ticket: &str, priority: &str, at: &str) -> &mut Self {
        self.event(
            ticket,
            "detected",
            at,
            json!({"priority": priority, "customer": "acme"}),
        )
    }

    /// Detected, acknowledged at once, restored at `restored`.
    fn outage(&mut self, ticket: &str, priority: &str, from: &str, restored: &str) -> &mut Self {
        self.detected(ticket, priority, from)
            .event(ticket, "acknowledged", from, json!({}))
            .event(ticket, "restored", restored, json!({}))
    }

    fn book(&self, k: &(Policies, Calendars, Contracts), now: &str) -> Book {
        Book::from_events(env(k), &self.0, t(now))
    }
}

fn env(k: &(Policies, Calendars, Contracts)) -> Env<'_> {
    Env {
        policies: &k.0,
        calendars: &k.1,
    }
}

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

/// The one term of contract `acme` for `m`, as of `now`.
fn term(k: &(Policies, Calendars, Contracts), desk: &Desk, m: &str, now: &str) -> TermResult {
    let book = desk.book(k, now);
    let mut cm = evaluate_contract(env(k), &k.2 .0[0], &book, month(m));
    assert_eq!(cm.terms.len(), 1);
    cm.terms.remove(0)
}

fn contract(fee: &str, tz: &str, term: &str) -> String {
    format!(
        "[[contract]]\nid = \"acme\"\ncustomer = \"acme\"\nmonthly_fee = \"{fee}\"\ncurrency = \"EUR\"\ntimezone = \"{tz}\"\n\n[[contract.term]]\n{term}"
    )
}

const AVAILABILITY_TIERS: &str = r#"id = "availability"
kpi = "availability"
operator = "below"
priorities = ["P1", "P2"]
exclude = ["customer", "maintenance"]
tiers = [
  { below = "99.9", percent = "5" },
  { below = "99.5", percent = "10" },
  { below = "99.0", percent = "25" },
]
"#;

#[test]
fn fixed_amount_per_late_restoration() {
    let k = config(&contract(
        "12000.00",
        "UTC",
        "id = \"restore\"\nkpi = \"time_to_restore\"\noperator = \"above\"\nthreshold = \"4h\"\nfixed = \"250.00\"\n",
    ));
    let mut d = Desk::default();
    d.outage("A-1", "P1", "2026-03-03T10:00:00Z", "2026-03-03T15:00:00Z") // 5h > 4h: late
        .outage("A-2", "P1", "2026-03-05T10:00:00Z", "2026-03-05T13:00:00Z") // 3h: in time
        .outage("A-3", "P2", "2026-03-09T00:00:00Z", "2026-03-09T06:00:00Z"); // 6h > 4h: late
    let r = term(&k, &d, "2026-03", "2026-04-02T00:00:00Z");
    assert!(r.breached);
    assert_eq!(r.breaches, 2);
    assert_eq!(r.measured, 3);
    // 2 breaches × 250.00 = 500.00
    assert_eq!(r.exact, dec!(500.00));
    assert_eq!(r.amount.to_string(), "500.00");
    assert_eq!(r.tickets, ["A-1", "A-2", "A-3"]);
    assert!(r.is_final(), "{:?}", r.pending);
    // The breach of A-1 happened at 14:00, four hours after detection.
    assert!(
        r.steps.iter().any(|s| s
            .starts_with("A-1 (P1): restore 5h against 4h, crossed at 2026-03-03T14:00:00+00:00")),
        "{:#?}",
        r.steps
    );
}

#[test]
fn percentage_of_the_monthly_fee_per_late_acknowledgement() {
    let k = config(&contract(
        "12000.00",
        "UTC",
        "id = \"ack\"\nkpi = \"time_to_acknowledge\"\noperator = \"above\"\nthreshold = \"target\"\npercent = \"2.5\"\n",
    ));
    let mut d = Desk::default();
    // P1 acknowledge target 15m: acknowledged after 20 minutes, late at 09:15.
    d.detected("A-1", "P1", "2026-03-03T09:00:00Z").event(
        "A-1",
        "acknowledged",
        "2026-03-03T09:20:00Z",
        json!({}),
    );
    // P2 target 30m: acknowledged after 29 minutes, in time.
    d.detected("A-2", "P2", "2026-03-03T09:00:00Z").event(
        "A-2",
        "acknowledged",
        "2026-03-03T09:29:00Z",
        json!({}),
    );
    let r = term(&k, &d, "2026-03", "2026-04-01T00:00:00Z");
    // 12000.00 × 2.5 / 100 = 300.00, once
    assert_eq!((r.breaches, r.measured), (1, 2));
    assert_eq!(r.amount, dec!(300.00));
}

#[test]
fn tiered_availability_picks_the_band_reached() {
    let k = config(&contract("12000.00", "UTC", AVAILABILITY_TIERS));
    let mut d = Desk::default();
    d.outage("A-1", "P1", "2026-03-03T10:00:00Z", "2026-03-03T15:00:00Z"); // 300 min
    let r = term(&k, &d, "2026-03", "2026-04-01T00:00:00Z");
    // (44640 − 300) / 44640 × 100 = 99.32795…% : below 99.5, not below 99.0 → band 2
    let fig = r.availability.as_ref().unwrap();
    assert_eq!(fig.outage_us, 300 * 60_000_000);
    assert_eq!(fig.percent, dec!(99.3280));
    assert_eq!(r.band, Some(1));
    // 10 % of 12000.00 = 1200.00
    assert_eq!(r.amount, dec!(1200.00));
    assert_eq!(r.actual, "99.3280 %");
    // Error budget at the mildest threshold: 44640 × 0.1 / 100 = 44.64 min.
    assert_eq!(fig.allowed_us, dec!(2678400000));
}

#[test]
fn availability_exactly_on_a_bound_is_the_milder_band() {
    let k = config(&contract("12000.00", "UTC", AVAILABILITY_TIERS));
    // 44.64 min = 44 min 38.4 s: availability (44640 − 44.64) / 44640 = 99.9 % exactly.
    let mut d = Desk::default();
    d.outage(
        "A-1",
        "P1",
        "2026-03-03T10:00:00Z",
        "2026-03-03T10:44:38.4Z",
    );
    let r = term(&k, &d, "2026-03", "2026-04-01T00:00:00Z");
    assert!(!r.breached, "{:#?}", r.steps);
    assert_eq!(r.amount, dec!(0.00));
    // One microsecond more is below 99.9 %: band 1, 5 % of 12000.00 = 600.00.
    let mut d = Desk::default();
    d.outage(
        "A-1",
        "P1",
        "2026-03-03T10:00:00Z",
        "2026-03-03T10:44:38.400001Z",
    );
    let r = term(&k, &d, "2026-03", "2026-04-01T00:00:00Z");
    assert_eq!((r.band, r.amount), (Some(0), dec!(600.00)));
}

#[test]
fn cap_limits_the_month() {
    let k = config(&contract(
        "12000.00",
        "UTC",
        &format!("{AVAILABILITY_TIERS}cap = \"20%\"\n"),
    ));
    let mut d = Desk::default();
    d.outage("A-1", "P1", "2026-03-03T10:00:00Z", "2026-03-03T15:00:00Z") // 300 min
        .outage("A-2", "P2", "2026-03-10T08:00:00Z", "2026-03-10T11:20:00Z"); // 200 min
    let r = term(&k, &d, "2026-03", "2026-04-01T00:00:00Z");
    // (44640 − 500) / 44640 × 100 = 98.8799…% < 99.0 → band 3: 25 % × 12000.00 = 3000.00
    assert_eq!(r.band, Some(2));
    assert_eq!(r.exact, dec!(3000.00));
    // cap 20 % of 12000.00 = 2400.00 < 3000.00 → 2400.00
    assert_eq!(r.capped, dec!(2400.00));
    assert_eq!(r.amount, dec!(2400.00));
    assert!(r.steps.iter().any(|s| s.contains("cap per month 2400")));
}

#[test]
fn allowed_exclusions_are_not_outage_and_overlaps_count_once() {
    let k = config(&contract("12000.00", "UTC", AVAILABILITY_TIERS));
    let mut d = Desk::default();
    // 10:00 → 15:00 = 300 min, minus a customer-caused pause 11:00 → 12:30 (90 min)
    // = 210 min; a vendor pause 13:00 → 13:30 is the carrier's problem and counts.
    d.outage("A-1", "P1", "2026-03-03T10:00:00Z", "2026-03-03T15:00:00Z")
        .event(
            "A-1",
            "paused",
            "2026-03-03T11:00:00Z",
            json!({"reason": "customer"}),
        )
        .event("A-1", "resumed", "2026-03-03T12:30:00Z", json!({}))
        .event(
            "A-1",
            "paused",
            "2026-03-03T13:00:00Z",
            json!({"reason": "vendor"}),
        )
        .event("A-1", "resumed", "2026-03-03T13:30:00Z", json!({}));
    // A second ticket on the same outage 14:00 → 15:30: overlaps A-1 from 14:00 to
    // 15:00, so it adds only 30 min.
    d.outage("A-2", "P2", "2026-03-03T14:00:00Z", "2026-03-03T15:30:00Z");
    // A P3 ticket is not an outage under this term.
    d.outage("A-3", "P3", "2026-03-04T00:00:00Z", "2026-03-04T10:00:00Z");
    let r = term(&k, &d, "2026-03", "2026-04-01T00:00:00Z");
    let fig = r.availability.as_ref().unwrap();
    // 210 + 30 = 240 min; excluded 90 min
    assert_eq!(fig.outage_us, 240 * 60_000_000);
    assert_eq!(fig.excluded_us, 90 * 60_000_000);
    // (44640 − 240) / 44640 × 100 = 99.46236…% < 99.5 → band 2: 10 % = 1200.00
    assert_eq!(fig.percent, dec!(99.4624));
    assert_eq!(r.amount, dec!(1200.00));
    assert_eq!(r.tickets, ["A-1", "A-2"]);
    assert!(
        r.steps.iter().any(|s| s.contains("minus pause `customer`")),
        "{:#?}",
        r.steps
    );
}

#[test]
fn an_outage_across_the_month_boundary_is_split() {
    let k = config(&contract("12000.00", "UTC", AVAILABILITY_TIERS));
    let mut d = Desk::default();
    // 31 March 22:00 → 1 April 03:00 UTC: 120 min in March, 180 min in April.
    d.outage("A-1", "P1", "2026-03-31T22:00:00Z", "2026-04-01T03:00:00Z");
    let march = term(&k, &d, "2026-03", "2026-05-01T00:00:00Z");
    let april = term(&k, &d, "2026-04", "2026-05-01T00:00:00Z");
    assert_eq!(
        march.availability.as_ref().unwrap().outage_us,
        120 * 60_000_000
    );
    assert_eq!(
        april.availability.as_ref().unwrap().outage_us,
        180 * 60_000_000
    );
    // March: (44640 − 120) / 44640 = 99.7312 % → band 1: 5 % = 600.00
    assert_eq!(
        (march.availability.unwrap().percent, march.amount),
        (dec!(99.7312), dec!(600.00))
    );
    // April: (43200 − 180) / 43200 = 99.5833 % → band 1: 600.00
    assert_eq!(
        (april.availability.unwrap().percent, april.amount),
        (dec!(99.5833), dec!(600.00))
    );

    // Billed in London time the boundary is local midnight, 23:00 UTC on 31 March
    // (summer time began on 29 March, so London's March has 743 h = 44,580 min):
    // March gets 22:00 → 23:00 UTC = 60 min, April the other 240 min.
    let k = config(&contract("12000.00", "Europe/London", AVAILABILITY_TIERS));
    let march = term(&k, &d, "2026-03", "2026-05-01T00:00:00Z");
    let fig = march.availability.unwrap();
    assert_eq!(
        (fig.month_us, fig.outage_us),
        (44_580 * 60_000_000, 60 * 60_000_000)
    );
    // (44580 − 60) / 44580 = 99.86541…% → band 1
    assert_eq!(fig.percent, dec!(99.8654));
    let april = term(&k, &d, "2026-04", "2026-05-01T00:00:00Z");
    assert_eq!(april.availability.unwrap().outage_us, 240 * 60_000_000);
}

#[test]
fn rounding_happens_once_at_the_end() {
    // 0.5 % of 25.00 = 0.125 per late restoration. Three of them: 0.375, rounded
    // half-even once: 0.38. Rounding each first would give 3 × 0.12 = 0.36.
    let k = config(&contract(
        "25.00",
        "UTC",
        "id = \"restore\"\nkpi = \"time_to_restore\"\noperator = \"above\"\nthreshold = \"4h\"\npercent = \"0.5\"\n",
    ));
    let mut d = Desk::default();
    for (i, day) in ["03", "04", "05"].iter().enumerate() {
        d.outage(
            &format!("A-{i}"),
            "P1",
            &format!("2026-03-{day}T00:00:00Z"),
            &format!("2026-03-{day}T05:00:00Z"),
        );
    }
    let r = term(&k, &d, "2026-03", "2026-04-01T00:00:00Z");
    assert_eq!(r.exact, dec!(0.375));
    assert_eq!(r.amount.to_string(), "0.38");
    // One of them alone: 0.125 → half-even → 0.12 (half-up would say 0.13).
    let r = term(&k, &d, "2026-03", "2026-03-04T03:00:00Z");
    assert_eq!((r.exact, r.amount), (dec!(0.125), dec!(0.12)));
    let k2 = config(
        &contract(
            "25.00",
            "UTC",
            "id = \"restore\"\nkpi = \"time_to_restore\"\noperator = \"above\"\nthreshold = \"4h\"\npercent = \"0.5\"\n",
        )
        .replace("timezone = \"UTC\"", "timezone = \"UTC\"\nrounding = \"half_up\""),
    );
    assert_eq!(
        term(&k2, &d, "2026-03", "2026-03-04T03:00:00Z").amount,
        dec!(0.13)
    );
}

#[test]
fn client_update_adherence_counts_cycles_decided_in_the_month() {
    let k = config(&contract(
        "12000.00",
        "UTC",
        "id = \"updates\"\nkpi = \"client_update_adherence\"\noperator = \"below\"\nthreshold = \"95\"\nfixed = \"500.00\"\n",
    ));
    let mut d = Desk::default();
    // P1: an update every hour. Updates at +50m and +100m are on time; the next is due
    // at +160m (11:40) and comes at +170m: late; the last cycle stops on time at the
    // restoration (+200m). 3 on time of 4.
    d.detected("A-1", "P1", "2026-03-03T09:00:00Z")
        .event("A-1", "acknowledged", "2026-03-03T09:05:00Z", json!({}))
        .event("A-1", "client_update", "2026-03-03T09:50:00Z", json!({}))
        .event("A-1", "client_update", "2026-03-03T10:40:00Z", json!({}))
        .event("A-1", "client_update", "2026-03-03T11:50:00Z", json!({}))
        .event("A-1", "restored", "2026-03-03T12:20:00Z", json!({}));
    let r = term(&k, &d, "2026-03", "2026-04-01T00:00:00Z");
    // 3 / 4 × 100 = 75 % < 95 % → 500.00
    assert_eq!(r.actual, "75.0000 %");
    assert_eq!((r.measured, r.breaches), (4, 1));
    assert_eq!(r.amount, dec!(500.00));
    assert!(
        r.steps
            .iter()
            .any(|s| s.contains("due 2026-03-03T11:40:00+00:00")),
        "{:#?}",
        r.steps
    );
}

#[test]
fn breach_count_above_threshold() {
    let k = config(&contract(
        "12000.00",
        "UTC",
        "id = \"breaches\"\nkpi = \"breach_count\"\noperator = \"above\"\nthreshold = 2\nmetrics = [\"acknowledge\", \"restore\"]\nfixed = \"1000.00\"\n",
    ));
    let mut d = Desk::default();
    // A-1: acknowledged late (20m > 15m) and restored late (5h > 4h): 2 breaches.
    d.detected("A-1", "P1", "2026-03-03T09:00:00Z")
        .event("A-1", "acknowledged", "2026-03-03T09:20:00Z", json!({}))
        .event("A-1", "restored", "2026-03-03T14:00:00Z", json!({}));
    // A-2: restored in time (3h) but acknowledged late: 1 breach.
    d.detected("A-2", "P1", "2026-03-04T09:00:00Z")
        .event("A-2", "acknowledged", "2026-03-04T09:16:00Z", json!({}))
        .event("A-2", "restored", "2026-03-04T12:00:00Z", json!({}));
    let r = term(&k, &d, "2026-03", "2026-04-01T00:00:00Z");
    // 3 breaches > 2 → 1000.00 once
    assert_eq!(r.actual, "3 breach(es)");
    assert_eq!(r.amount, dec!(1000.00));
    // 2 in a month with only A-1 is not above 2.
    let r = term(&k, &d, "2026-03", "2026-03-03T23:00:00Z");
    assert_eq!((r.breaches, r.breached), (2, false));
}

#[test]
fn an_adjustment_replaces_the_amount_and_keeps_the_original() {
    let k = config(&contract("12000.00", "UTC", AVAILABILITY_TIERS));
    let mut d = Desk::default();
    d.outage("A-1", "P1", "2026-03-03T10:00:00Z", "2026-03-03T15:00:00Z");
    let now = t("2026-04-02T00:00:00Z");
    let book = d.book(&k, "2026-04-02T00:00:00Z");
    let cm = evaluate_contract(env(&k), &k.2 .0[0], &book, month("2026-03"));
    let penalty = record::penalty_event(&k.2 .0[0], &cm.terms[0], now, "billing").unwrap();
    assert_eq!(penalty.id, "penalty:acme:availability:2026-03");
    assert_eq!(penalty.ticket, "penalties:acme");
    assert_eq!(penalty.text("amount"), Some("1200.00"));
    // Negotiated down to 50 %: 1200.00 → 600.00.
    let recorded = Book::from_events(env(&k), std::slice::from_ref(&penalty), now)
        .recorded
        .remove(0);
    let adj = record::adjustment_event(
        &recorded,
        dec!(600.00),
        "goodwill: fibre cut by a third party",
        now,
        "supervisor",
    )
    .unwrap();
    let mut all = d.0.clone();
    all.push(penalty);
    all.push(adj);
    let book = Book::from_events(env(&k), &all, now);
    let p = &book.recorded[0];
    assert_eq!(p.amount, dec!(1200.00));
    assert_eq!(p.adjustments.len(), 1);
    assert_eq!(p.net(), dec!(600.00));
    assert_eq!(
        p.adjustments[0].reason,
        "goodwill: fibre cut by a third party"
    );
    // The ledger is not a ticket.
    assert_eq!(book.tickets.len(), 1);
    assert!(book.problems.is_empty());
}

#[test]
fn compliance_view_with_exposure_forecast_budget_and_marks() {
    let k = config(&format!(
        "{}\n[[contract.term]]\nid = \"restore\"\nkpi = \"time_to_restore\"\noperator = \"above\"\nthreshold = \"target\"\nfixed = \"250.00\"\n",
        contract("12000.00", "UTC", AVAILABILITY_TIERS)
    ));
    let mut d = Desk::default();
    // A-1: 300 min outage on 3 March, restored an hour late (P1 restore target 4h),
    // no client update within the hour (due 11:00), resolved at 16:00.
    d.outage("A-1", "P1", "2026-03-03T10:00:00Z", "2026-03-03T15:00:00Z")
        .event("A-1", "resolved", "2026-03-03T16:00:00Z", json!({}));
    // A-2: open since 22:00 on 10 March, acknowledged at 22:05: 120 min so far at now.
    d.detected("A-2", "P1", "2026-03-10T22:00:00Z").event(
        "A-2",
        "acknowledged",
        "2026-03-10T22:05:00Z",
        json!({}),
    );
    // Some other customer's ticket is not acme's business.
    d.event(
        "Z-1",
        "detected",
        "2026-03-05T00:00:00Z",
        json!({"priority": "P1", "customer": "zeta"}),
    );
    let now = "2026-03-11T00:00:00Z";
    let book = d.book(&k, now);
    let view = compliance(env(&k), &k.2, &book, month("2026-03"), Some("acme"));
    assert!(view.in_progress);
    assert_eq!(view.customers.len(), 1);
    let acme = &view.customers[0];

    // Outcomes decided in March: A-1 acknowledge met, client update late (11:00),
    // restore late (14:00), resolve met; A-2 acknowledge met, client update late
    // (23:00). 3 met of 6 = 50.00 %.
    assert_eq!(acme.all.adherence, Some(dec!(50.00)));
    assert_eq!(acme.all.breaches.count, 3);
    assert_eq!(ids(&acme.all.breaches), ["A-1", "A-2"]);
    let restore = &acme.all.metrics[Metric::Restore.index()];
    assert_eq!(
        (restore.met.count, ids(&restore.breached)),
        (0, vec!["A-1"])
    );
    assert_eq!(acme.priorities.len(), 1);
    assert_eq!(acme.priorities[0].priority, Priority::new(1));
    let day3 = &acme.days[2];
    assert_eq!(day3.date.to_string(), "2026-03-03");
    assert_eq!((day3.met.count, day3.breached.count), (2, 2));
    assert_eq!(day3.adherence, Some(dec!(50.00)));
    assert_eq!(
        ids(&acme.days[9].breaches_by_priority[&Priority::new(1).unwrap()]),
        ["A-2"]
    );

    let c = &acme.contracts[0];
    // Outage 300 + 120 = 420 min: (44640 − 420) / 44640 = 99.0591 % → band 2: 1200.00;
    // restore: A-1 late → 250.00. Exposure 1450.00 = the penalty if A-2 were restored now.
    assert_eq!(c.now.terms[0].amount, dec!(1200.00));
    assert_eq!(c.now.terms[1].amount, dec!(250.00));
    assert_eq!(acme.exposure["EUR"], dec!(1450.00));
    // In one hour: 480 min → (44640 − 480) / 44640 = 98.9247 % → band 3: 3000.00; A-2's
    // restore deadline (02:00) is still ahead. 3000.00 + 250.00 = 3250.00.
    assert_eq!(acme.forecast_1h["EUR"], dec!(3250.00));

    let b = &c.budgets[0];
    // Budget 44640 × 0.1 % = 44.64 min; used 420; left −375.36.
    assert_eq!(
        (b.allowed_minutes, b.used_minutes, b.left_minutes),
        (dec!(44.64), dec!(420.00), dec!(-375.36))
    );
    // Burn rate: (420 / 44.64) / (14400 / 44640) = 29.1666… → 29.17.
    assert_eq!(b.burn_rate, Some(dec!(29.17)));
    assert!(b.growing);
    assert_eq!(b.exhausted_at, None);
    // Band 3 starts above 446.4 min of outage: 26.4 min from now, at 00:26:24.
    let next = b.next_band.as_ref().unwrap();
    assert_eq!((next.band, next.minutes_left), (2, dec!(26.40)));
    assert_eq!(next.at, Some(t("2026-03-11T00:26:24Z").timestamp_micros()));
    assert_eq!(b.days[2].outage_minutes, dec!(300.00));
    assert_eq!(b.days[2].availability, dec!(79.1667)); // (1440 − 300) / 1440
    assert_eq!(b.days[9].tickets, ["A-2"]);

    // A-2 is the ticket that tips the contract into band 3: marked in the queue.
    assert_eq!(view.marks.len(), 1);
    let risk = &view.marks["A-2"][0];
    assert_eq!((risk.term.as_str(), risk.tips_band), ("availability", true));
    assert_eq!(
        (risk.if_restored_now, risk.in_1h),
        (dec!(1200.00), dec!(3000.00))
    );
    assert_eq!((risk.band_now, risk.band_in_1h), (Some(1), Some(2)));
}

fn ids(t: &super::compliance::Tickets) -> Vec<&str> {
    t.ids.iter().map(|i| &**i).collect()
}

/// An event as a store written before amounts were bounded (or a crafted package)
/// may hold it: never validated.
fn unchecked(id: &str, kind: &str, payload: Value) -> Event {
    serde_json::from_value::<Event>(json!({
        "id": id, "ticket": "penalties:acme", "kind": kind,
        "at": "2026-04-01T00:00:00Z", "actor": "old", "payload": payload,
    }))
    .unwrap()
    .normalized()
}

#[test]
fn money_events_no_command_would_record_are_problems_not_figures() {
    let k = config(&contract("12000.00", "UTC", AVAILABILITY_TIERS));
    let huge = "79228162514264337593543950335";
    let penalty = |id: &str| {
        unchecked(
            id,
            "penalty",
            json!({"contract": "acme", "customer": "acme", "term": id, "kpi": "availability",
                "period": "2026-03", "amount": huge, "currency": "EUR", "tickets": []}),
        )
    };
    let fine = unchecked(
        "fine",
        "penalty",
        json!({"contract": "acme", "customer": "acme", "term": "availability",
            "kpi": "availability", "period": "2026-03", "amount": "100.00", "currency": "EUR"}),
    );
    let negative = unchecked(
        "neg",
        "penalty_adjusted",
        json!({"penalty": "fine", "amount": "-5.00", "reason": "oops"}),
    );
    let too_fine = unchecked(
        "cents",
        "penalty_adjusted",
        json!({"penalty": "fine", "amount": "5.001", "reason": "oops"}),
    );
    let events = [penalty("a"), penalty("b"), fine, negative, too_fine];
    let now = t("2026-04-02T00:00:00Z");
    let book = Book::from_events(env(&k), &events, now);
    assert_eq!(book.recorded.len(), 1);
    assert_eq!(book.recorded[0].net(), dec!(100.00));
    let problems: Vec<&str> = book.problems.iter().map(|p| p.1.as_str()).collect();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(problems[0].starts_with("penalty event a: field `payload.amount`: 79228162514264337593543950335 is more than the largest amount"), "{problems:?}");
    assert!(
        problems[2]
            .contains("penalty_adjusted event neg: field `payload.amount`: must not be negative"),
        "{problems:?}"
    );
    assert!(
        problems[3].contains("penalty_adjusted event cents: field `payload.amount`: 5.001 has more decimals than EUR has (2)"),
        "{problems:?}"
    );
    // The compliance figures add up what is left, without overflowing.
    let c = compliance(env(&k), &k.2, &book, month("2026-03"), None);
    assert_eq!(c.customers[0].contracts[0].recorded_net, dec!(100.00));
}

#[test]
fn a_figure_too_large_to_compute_is_never_final_and_never_panics() {
    // Only code can build such a contract: a contracts file bounds the fee.
    let mut k = config(&contract("12000.00", "UTC", AVAILABILITY_TIERS));
    k.2 .0[0].monthly_fee = rust_decimal::Decimal::MAX;
    let mut d = Desk::default();
    d.outage("A-1", "P1", "2026-03-03T10:00:00Z", "2026-03-03T15:00:00Z");
    let r = term(&k, &d, "2026-03", "2026-04-02T00:00:00Z");
    assert!(r.breached);
    assert!(!r.is_final());
    assert!(
        r.pending
            .contains(&"the penalty is too large to compute exactly".to_owned()),
        "{:?}",
        r.pending
    );
    assert!(record::penalty_event(&k.2 .0[0], &r, t("2026-04-02T00:00:00Z"), "x").is_err());
}

/// A month not yet begun counts no ticket, though some are open now; a month that is
/// over forecasts nothing beyond what it ended at.
#[test]
fn compliance_of_a_month_not_begun_or_over() {
    let k = config(&contract("12000.00", "UTC", AVAILABILITY_TIERS));
    let mut d = Desk::default();
    // Open since 22:00 on 31 March and still down on 2 April.
    d.detected("A-2", "P1", "2026-03-31T22:00:00Z");
    let book = d.book(&k, "2026-04-02T00:00:00Z");
    let april = compliance(env(&k), &k.2, &book, month("2026-04"), Some("acme"));
    assert!(april.in_progress);
    let may = compliance(env(&k), &k.2, &book, month("2026-05"), Some("acme"));
    assert_eq!(may.customers[0].all.tickets.count, 0, "May has not begun");
    assert!(may.customers[0].exposure.values().all(|v| v.is_zero()));
    let march = compliance(env(&k), &k.2, &book, month("2026-03"), Some("acme"));
    assert!(!march.in_progress);
    let acme = &march.customers[0];
    assert_eq!(acme.all.tickets.count, 1);
    // 120 min down in March, whatever happens in April.
    assert_eq!(acme.forecast_1h, acme.exposure);
    assert!(
        march.marks.is_empty(),
        "no ticket puts a closed month at risk"
    );
}
