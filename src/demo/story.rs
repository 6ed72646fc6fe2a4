//! What happened to one demo ticket, in working time since detection.
//!
//! Each story is sized from the ticket's own SLA targets, so "breaching in a few
//! minutes" or "paused halfway through the restore budget" hold for any priority and
//! any policy; the timeline then places the story on the wall clock.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::catalog::{self, pick, Line};
use crate::model::{EventKind, Payload, Priority};
use crate::sla::calendar::{Micros, MICROS_PER_MIN};

const HOUR: Micros = 60 * MICROS_PER_MIN;

/// The situation a ticket is in at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Nobody has responded yet; the acknowledge clock runs, sometimes nearly out.
    Unacked,
    AckBreached,
    /// Acknowledged, updates on time, nothing urgent.
    Quiet,
    /// The next client update falls due soon.
    AwaitingUpdate,
    /// Minutes of restore budget left.
    BreachingSoon,
    RestoreBreached,
    /// Clocks stopped for a customer-caused delay.
    PausedCustomer,
    Escalated(u8),
    /// Waiting on a vendor, which stops no clock.
    VendorWait,
    /// Service restored, resolution pending.
    Restored,
    Resolved,
}

impl Scenario {
    /// Whether a ticket with these targets can live this story.
    pub fn fits(self, t: &Targets) -> bool {
        match self {
            Scenario::AwaitingUpdate => t.client_update.is_some(),
            Scenario::BreachingSoon | Scenario::Restored => t.restore.is_some(),
            _ => true,
        }
    }
}

/// The ticket's SLA targets (working time), read from its policy.
#[derive(Clone, Copy, Debug)]
pub struct Targets {
    pub acknowledge: Micros,
    pub client_update: Option<Micros>,
    pub restore: Option<Micros>,
    pub resolve: Micros,
}

impl Targets {
    /// The clock that decides whether service came back in time.
    fn main(&self) -> Micros {
        self.restore.unwrap_or(self.resolve)
    }
}

pub struct Step {
    pub offset: Micros,
    pub kind: EventKind,
    pub actor: String,
    pub payload: Payload,
}

pub struct Story {
    /// After the `detected` event, in working time since detection.
    pub steps: Vec<Step>,
    /// Working time from detection to `now`.
    pub elapsed: Micros,
    /// A lower priority the ticket was detected with, before a `priority_changed`.
    pub opened_as: Option<Priority>,
}

pub struct Cast {
    pub line: Line,
    pub agent: &'static str,
    pub priority: Priority,
    /// Whether the `detected` event already names the assignee.
    pub assigned: bool,
}

pub fn write(scenario: Scenario, t: Targets, cast: &Cast, rng: &mut ChaCha8Rng) -> Story {
    let mut w = Writer {
        rng,
        t,
        cast,
        steps: Vec::new(),
        opened_as: None,
    };
    let main = t.main();
    let elapsed = match scenario {
        Scenario::Unacked => {
            let e = w.part(t.acknowledge, 0.1, 0.97);
            if w.chance(0.3) {
                let at = w.part(e, 0.3, 0.9);
                w.step(
                    at,
                    EventKind::Note,
                    "monitoring",
                    json!({"text": "Alarm still active"}),
                );
            }
            e
        }
        Scenario::AckBreached => {
            let e = w
                .part(t.acknowledge, 1.3, 3.0)
                .min(t.acknowledge + 16 * HOUR);
            if w.chance(0.4) {
                let at = w.part(t.acknowledge, 1.05, 1.25);
                let agent = cast.agent;
                w.step(
                    at,
                    EventKind::Note,
                    agent,
                    json!({"text": "Queue overloaded; picking up next"}),
                );
            }
            e
        }
        Scenario::Quiet => {
            let a = w.acknowledge();
            let e = w
                .part(main, 0.1, 0.45)
                .min(30 * HOUR)
                .max(a + 10 * MICROS_PER_MIN);
            w.updates(a, e, 0.3, 0.45);
            if w.chance(0.3) {
                let at = w.between(a, e);
                w.note(at);
            }
            if w.chance(0.15) && cast.priority.level() < 4 {
                let lower = Priority::new(cast.priority.level() + 1).expect("P2..P4");
                w.opened_as = Some(lower);
                let at = a + MICROS_PER_MIN;
                let p = cast.priority.to_string();
                w.step(
                    at,
                    EventKind::PriorityChanged,
                    cast.agent,
                    json!({"priority": p}),
                );
            }
            e
        }
        Scenario::AwaitingUpdate => {
            let cu = t.client_update.expect("fits() checked the target");
            let a = w.acknowledge();
            let mut u = a + w.minutes(2, 10);
            w.client_update(u);
            for _ in 0..w.rng.gen_range(0..4) {
                let next = u + w.part(cu, 0.5, 0.8);
                if next + cu > w.part(main, 0.8, 0.9) {
                    break;
                }
                u = next;
                w.client_update(u);
            }
            u + w.part(cu, 0.55, 0.97)
        }
        Scenario::BreachingSoon => {
            let restore = t.restore.expect("fits() checked the target");
            let e = restore - w.minutes(2, 14);
            let a = w.acknowledge();
            w.updates(a, e - MICROS_PER_MIN, 0.5, 0.85);
            let first = w.part(e, 0.35, 0.55);
            w.escalate(1, first);
            if w.chance(0.5) {
                let second = w.part(e, 0.6, 0.85);
                w.escalate(2, second);
            }
            if cast.line == Line::Carrier && w.chance(0.5) {
                let at = w.part(e, 0.7, 0.95);
                w.carrier_update(at);
            }
            e
        }
        Scenario::RestoreBreached => {
            let e = w.part(main, 1.05, 1.5).min(main + 24 * HOUR);
            let a = w.acknowledge();
            w.updates(a, e, 0.6, 1.3);
            let at = w.part(main, 0.4, 0.6).max(a + MICROS_PER_MIN);
            w.escalate(1, at);
            let at = w.part(main, 0.75, 0.95).max(a + 2 * MICROS_PER_MIN);
            w.escalate(2, at);
            let at = main + w.minutes(1, 20);
            if at < e && w.chance(0.6) {
                w.escalate(3, at);
            }
            e
        }
        Scenario::PausedCustomer => {
            let a = w.acknowledge();
            let p = w
                .part(main, 0.2, 0.6)
                .min(a + 20 * HOUR)
                .max(a + 10 * MICROS_PER_MIN);
            w.updates(a, p - 5 * MICROS_PER_MIN, 0.35, 0.5);
            let told = p - w.minutes(1, 4);
            w.client_update(told);
            let note = pick(w.rng, &catalog::CUSTOMER_PAUSES);
            w.step(
                p,
                EventKind::Paused,
                cast.agent,
                json!({"reason": "customer", "note": note}),
            );
            p + w.minutes(20, 240)
        }
        Scenario::Escalated(level) => {
            let a = w.acknowledge();
            let e = w
                .part(main, 0.3, 0.75)
                .min(30 * HOUR)
                .max(a + 30 * MICROS_PER_MIN);
            w.updates(a, e, 0.4, 0.7);
            let span = e - a;
            let mut last = a;
            for l in 1..=level {
                let at = a + span * Micros::from(l) / Micros::from(level + 1);
                w.escalate(l, at);
                last = at;
            }
            if w.chance(0.6) {
                let at = last + (e - last) / 3;
                let other = pick(w.rng, &catalog::AGENTS);
                w.step(at, EventKind::Acknowledged, other, json!({}));
            }
            e
        }
        Scenario::VendorWait => {
            let a = w.acknowledge();
            let e = w
                .part(main, 0.3, 0.7)
                .min(30 * HOUR)
                .max(a + 30 * MICROS_PER_MIN);
            w.updates(a, e, 0.4, 0.7);
            let span = e - a;
            w.escalate(1, a + span / 5);
            w.step(
                a + span * 2 / 5,
                EventKind::Escalated,
                cast.agent,
                json!({"level": 2, "to": "vendor-tac", "note": "opened vendor case"}),
            );
            w.carrier_update(a + span * 3 / 5);
            let note = "waiting for vendor RMA";
            w.step(
                a + span * 4 / 5,
                EventKind::Paused,
                cast.agent,
                json!({"reason": "vendor", "note": note}),
            );
            e
        }
        Scenario::Restored => {
            let restore = t.restore.expect("fits() checked the target");
            let r = w.part(restore, 0.3, 0.9);
            let a = w.acknowledge().min(r - MICROS_PER_MIN);
            w.updates(a, r, 0.4, 0.7);
            if w.chance(0.3) {
                let at = w.between(a, r);
                w.escalate(1, at);
            }
            w.restored(r);
            r + w.minutes(10, 360)
        }
        Scenario::Resolved => w.resolved_history(),
    };
    let mut steps = w.steps;
    let opened_as = w.opened_as;
    steps.retain(|s| s.offset < elapsed);
    steps.sort_by_key(|s| s.offset);
    Story {
        steps,
        elapsed,
        opened_as,
    }
}

struct Writer<'a> {
    rng: &'a mut ChaCha8Rng,
    t: Targets,
    cast: &'a Cast,
    steps: Vec<Step>,
    opened_as: Option<Priority>,
}

impl Writer<'_> {
    fn step(&mut self, offset: Micros, kind: EventKind, actor: &str, payload: Value) {
        let Value::Object(payload) = payload else {
            unreachable!("payloads are written as JSON objects")
        };
        self.steps.push(Step {
            offset,
            kind,
            actor: actor.to_owned(),
            payload,
        });
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    /// A share of `of` between `lo` and `hi`, to the second.
    fn part(&mut self, of: Micros, lo: f64, hi: f64) -> Micros {
        let f = self.rng.gen_range(lo..hi);
        let secs = (of as f64 * f / 1e6).round() as Micros;
        secs * 1_000_000
    }

    /// Between `lo` and `hi` minutes, with seconds.
    fn minutes(&mut self, lo: u32, hi: u32) -> Micros {
        let secs = self.rng.gen_range(u64::from(lo) * 60..u64::from(hi) * 60);
        secs as Micros * 1_000_000
    }

    /// A whole second strictly between `a` and `b`, if there is one.
    fn between(&mut self, a: Micros, b: Micros) -> Micros {
        let (a, b) = (a / 1_000_000, b / 1_000_000);
        if b <= a + 1 {
            return a * 1_000_000;
        }
        self.rng.gen_range(a + 1..b) * 1_000_000
    }

    /// Acknowledged within target (after self-assigning, when detection named no one).
    fn acknowledge(&mut self) -> Micros {
        let a = self.part(self.t.acknowledge, 0.15, 0.8);
        self.acknowledge_at(a)
    }

    fn acknowledge_at(&mut self, a: Micros) -> Micros {
        let a = a.max(2 * MICROS_PER_MIN);
        let agent = self.cast.agent;
        if !self.cast.assigned {
            self.step(
                a - MICROS_PER_MIN,
                EventKind::Assigned,
                agent,
                json!({"to": agent}),
            );
        }
        self.step(a, EventKind::Acknowledged, agent, json!({}));
        a
    }

    /// Client updates from just after `from` until `until`, every `lo..hi` of the
    /// update target; nothing when the policy keeps no update clock.
    fn updates(&mut self, from: Micros, until: Micros, lo: f64, hi: f64) {
        let Some(cu) = self.t.client_update else {
            return;
        };
        let mut u = from + self.minutes(2, 10);
        while u < until {
            self.client_update(u);
            u += self.part(cu, lo, hi).max(MICROS_PER_MIN);
        }
    }

    fn client_update(&mut self, at: Micros) {
        let channel = pick(self.rng, &["email", "phone", "portal"]);
        let message = pick(self.rng, &catalog::UPDATE_MESSAGES);
        let agent = self.cast.agent;
        self.step(
            at,
            EventKind::ClientUpdate,
            agent,
            json!({"channel": channel, "message": message}),
        );
    }

    fn escalate(&mut self, level: u8, at: Micros) {
        let to = catalog::escalation_target(self.rng, self.cast.line, level);
        let agent = self.cast.agent;
        self.step(
            at,
            EventKind::Escalated,
            agent,
            json!({"level": level, "to": to}),
        );
    }

    fn note(&mut self, at: Micros) {
        let text = pick(self.rng, &catalog::NOTES);
        let agent = self.cast.agent;
        self.step(at, EventKind::Note, agent, json!({"text": text}));
    }

    fn carrier_update(&mut self, at: Micros) {
        let message = pick(self.rng, &catalog::CARRIER_UPDATES);
        let agent = self.cast.agent;
        self.step(
            at,
            EventKind::CarrierUpdate,
            agent,
            json!({"message": message}),
        );
    }

    fn restored(&mut self, at: Micros) {
        let verification = pick(self.rng, &catalog::VERIFICATIONS);
        let confirmed = self.chance(0.7);
        let agent = self.cast.agent;
        self.step(
            at,
            EventKind::Restored,
            agent,
            json!({"verification": verification, "client_confirmed": confirmed}),
        );
    }

    /// A whole life, ended some working days before `now`; now and then late, so
    /// reports have breaches to show.
    fn resolved_history(&mut self) -> Micros {
        let t = self.t;
        let agent = self.cast.agent;
        let a = if self.chance(0.15) {
            self.part(t.acknowledge, 1.1, 1.6)
        } else {
            self.part(t.acknowledge, 0.15, 0.8)
        };
        let a = self.acknowledge_at(a);
        let r = self
            .part(t.main(), 0.25, 1.15)
            .min(40 * HOUR)
            .max(a + 20 * MICROS_PER_MIN);
        let mut pause_end = a;
        if self.chance(0.2) {
            let from = self.between(a, a + (r - a) / 2);
            let to = from + self.minutes(15, 90);
            let note = pick(self.rng, &catalog::CUSTOMER_PAUSES);
            self.step(
                from,
                EventKind::Paused,
                agent,
                json!({"reason": "customer", "note": note}),
            );
            self.step(to, EventKind::Resumed, agent, json!({}));
            pause_end = to;
        }
        let r = r.max(pause_end + 10 * MICROS_PER_MIN);
        self.updates(a, r, 0.4, 0.9);
        if self.chance(0.4) {
            let at = self.between(a, r);
            self.escalate(1, at);
        }
        let done = if t.restore.is_some() {
            self.restored(r);
            r + self.minutes(15, 480)
        } else {
            r
        };
        let cause = pick(self.rng, &catalog::ROOT_CAUSES);
        self.step(
            done,
            EventKind::Resolved,
            agent,
            json!({"root_cause": cause}),
        );
        done + self.minutes(120, 2400)
    }
}
