//! A realistic NOC data set for `slawatch --demo`: about 200 open tickets over twelve
//! customers, with histories placed relative to `now` so that a first look at the
//! console shows every kind of situation — breached, breaching in minutes, paused for
//! the customer, escalated, waiting for a client update, quiet — plus recently
//! resolved tickets for history views and reports.
//!
//! Deterministic for a given seed and `now`; reads no clock and no file (the shipped
//! policies and calendars are compiled in).

mod catalog;
mod story;
mod timeline;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::{Event, EventKind, Payload, Priority};
use crate::sla::calendar::{Micros, MICROS_PER_SEC};
use crate::sla::{Calendars, Metric, Policies};
use catalog::{Customer, Line, CUSTOMERS};
use story::{Cast, Scenario, Targets};
use timeline::Timeline;

/// Resolved tickets from the past days, beside the open ones.
pub const RESOLVED_TICKETS: usize = 30;

/// Situations every customer of a line has at least once, whatever the seed, so the
/// demo always shows them; the carriers' 24x7 calendar shows them even at a weekend.
fn must_have(line: Line) -> &'static [Scenario] {
    use Scenario::*;
    match line {
        Line::Carrier => &[
            BreachingSoon,
            PausedCustomer,
            AwaitingUpdate,
            AckBreached,
            RestoreBreached,
            Escalated(1),
            Escalated(2),
            Escalated(3),
        ],
        Line::Saas => &[BreachingSoon, PausedCustomer, AwaitingUpdate, Escalated(2)],
        Line::Corporate => &[AckBreached, Quiet, PausedCustomer],
    }
}

/// The rest of the open tickets: mostly quiet or fresh, as on a real desk.
const SCENARIO_WEIGHTS: [(Scenario, u32); 12] = [
    (Scenario::Unacked, 12),
    (Scenario::AckBreached, 5),
    (Scenario::Quiet, 33),
    (Scenario::AwaitingUpdate, 9),
    (Scenario::BreachingSoon, 3),
    (Scenario::RestoreBreached, 7),
    (Scenario::PausedCustomer, 7),
    (Scenario::Escalated(1), 6),
    (Scenario::Escalated(2), 4),
    (Scenario::Escalated(3), 2),
    (Scenario::VendorWait, 5),
    (Scenario::Restored, 7),
];

/// Few P1s, mostly P3 and P4.
const PRIORITY_WEIGHTS: [(u8, u32); 4] = [(1, 5), (2, 20), (3, 45), (4, 30)];

/// The demo data set as of `now`: no event is after `now`.
pub fn demo_events(seed: u64, now: DateTime<Utc>) -> Vec<Event> {
    let (policies, calendars) = crate::config::shipped();
    let anchor = now.timestamp_micros().div_euclid(MICROS_PER_SEC) * MICROS_PER_SEC;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tickets: Vec<Ticket> = Vec::new();
    for (ci, c) in CUSTOMERS.iter().enumerate() {
        for i in 0..c.open {
            let scenario = match must_have(c.line).get(i) {
                Some(&s) => s,
                None => weighted(&mut rng, &SCENARIO_WEIGHTS),
            };
            tickets.push(ticket(&mut rng, ci, scenario, policies, calendars, anchor));
        }
    }
    for _ in 0..RESOLVED_TICKETS {
        let ci = rng.gen_range(0..CUSTOMERS.len());
        tickets.push(ticket(
            &mut rng,
            ci,
            Scenario::Resolved,
            policies,
            calendars,
            anchor,
        ));
    }
    number_tickets(&mut rng, &mut tickets);
    let mut events: Vec<Event> = tickets.into_iter().flat_map(|t| t.events).collect();
    events.sort_by_key(|e| e.at);
    assign_ids(seed, now, &mut events);
    events
}

struct Ticket {
    customer: usize,
    detected_at: Micros,
    /// With an empty `ticket` until numbers are handed out.
    events: Vec<Event>,
}

fn ticket(
    rng: &mut ChaCha8Rng,
    ci: usize,
    scenario: Scenario,
    policies: &Policies,
    calendars: &Calendars,
    anchor: Micros,
) -> Ticket {
    let c = &CUSTOMERS[ci];
    // The priorities whose targets can carry this story, drawn by their weights.
    let fitting: Vec<(u8, u32)> = PRIORITY_WEIGHTS
        .into_iter()
        .filter(|&(p, _)| targets_of(policies, c, p).is_some_and(|(t, _)| scenario.fits(&t)))
        .collect();
    let level = weighted(rng, &fitting);
    let priority = Priority::new(level).expect("P1..P4");
    let (targets, calendar) = targets_of(policies, c, level).expect("checked above");
    let cal = calendars
        .get(calendar)
        .expect("shipped policies name shipped calendars");
    let agent = catalog::pick(rng, &catalog::AGENTS);
    let assigned =
        !matches!(scenario, Scenario::Unacked | Scenario::AckBreached) && rng.gen_bool(0.6);
    let cast = Cast {
        line: c.line,
        agent,
        priority,
        assigned,
    };
    let story = story::write(scenario, targets, &cast, rng);
    let (title, service) = catalog::incident(rng, c);
    let detector = catalog::detector(rng, c.line);
    let tl = Timeline { cal, now: anchor };
    let detected_at = tl.ago(story.elapsed);

    let mut payload = Payload::new();
    let opened_as = story.opened_as.unwrap_or(priority);
    payload.insert("priority".into(), opened_as.to_string().into());
    payload.insert("customer".into(), c.name.into());
    payload.insert("title".into(), title.into());
    payload.insert("service".into(), service.into());
    if assigned {
        payload.insert("assignee".into(), agent.into());
    }
    let mut events = vec![event(
        rng,
        anchor,
        detected_at,
        EventKind::Detected,
        detector,
        payload,
    )];
    let mut last = detected_at;
    for s in story.steps {
        let at = tl.after(detected_at, s.offset).max(last);
        last = at;
        events.push(event(rng, anchor, at, s.kind, &s.actor, s.payload));
    }
    Ticket {
        customer: ci,
        detected_at,
        events,
    }
}

/// The SLA targets of a customer's tickets at a priority, and the policy's calendar;
/// `None` if the policy keeps no acknowledge or resolve clock there.
fn targets_of<'p>(policies: &'p Policies, c: &Customer, level: u8) -> Option<(Targets, &'p str)> {
    let p = Priority::new(level)?;
    let policy = policies.select(c.name, None, p)?;
    let target = |m| policy.target(p, m);
    let t = Targets {
        acknowledge: target(Metric::Acknowledge)?,
        client_update: target(Metric::ClientUpdate),
        restore: target(Metric::Restore),
        resolve: target(Metric::Resolve)?,
    };
    Some((t, policy.calendar.as_str()))
}

/// An event without ticket or id yet, recorded a few seconds after it happened.
fn event(
    rng: &mut ChaCha8Rng,
    anchor: Micros,
    at: Micros,
    kind: EventKind,
    actor: &str,
    payload: Payload,
) -> Event {
    let delay = rng.gen_range(0..20) * MICROS_PER_SEC;
    let instant = |us: Micros| DateTime::from_timestamp_micros(us).expect("in range");
    Event {
        id: String::new(),
        ticket: String::new(),
        kind,
        at: instant(at),
        recorded_at: instant((at + delay).min(anchor).max(at)),
        actor: actor.to_owned(),
        payload,
    }
}

/// Ticket numbers grow with detection time per customer, as a ticketing system's do.
fn number_tickets(rng: &mut ChaCha8Rng, tickets: &mut [Ticket]) {
    let mut order: Vec<usize> = (0..tickets.len()).collect();
    order.sort_by_key(|&i| (tickets[i].customer, tickets[i].detected_at));
    let mut next: Vec<u32> = CUSTOMERS
        .iter()
        .map(|_| rng.gen_range(1000..9000))
        .collect();
    for i in order {
        let t = &mut tickets[i];
        let c: &Customer = &CUSTOMERS[t.customer];
        next[t.customer] += rng.gen_range(1..8);
        let id = format!("{}-{}", c.prefix, next[t.customer]);
        for e in &mut t.events {
            e.ticket.clone_from(&id);
        }
    }
}

/// UUIDv7-shaped ids: the event's millisecond plus random bits from a ChaCha stream
/// of the seed. The stream is chosen by `now`, so demo data seeded at another instant
/// never reuses an id for different content.
fn assign_ids(seed: u64, now: DateTime<Utc>, events: &mut [Event]) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(now.timestamp_micros() as u64);
    for e in events {
        let mut random = [0u8; 10];
        rng.fill_bytes(&mut random);
        let millis = u64::try_from(e.at.timestamp_millis()).unwrap_or(0);
        e.id = uuid::Builder::from_unix_timestamp_millis(millis, &random)
            .into_uuid()
            .to_string();
    }
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    items
        .choose_weighted(rng, |(_, w)| *w)
        .expect("a non-empty list with positive weights")
        .0
}
