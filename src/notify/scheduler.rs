//! The nudge scheduler: every open ticket's next threshold instant in one priority
//! queue. Pure: it keeps no clock and does no I/O; `now` is a parameter everywhere, so
//! tests run it over fixed instants. A driver asks [`Scheduler::next_wake`], sleeps
//! until then, and takes [`Scheduler::pop_due`].
//!
//! Rules:
//! - A ticket's entries are recomputed only when its facts change ([`Scheduler::update`])
//!   or its snooze does; a stale queue entry is recognised by its generation and
//!   dropped. Nothing scans every ticket.
//! - Each threshold fires once. When several of one clock's thresholds are due at once
//!   (the program was closed, the ticket jumped past them, a snooze held them back),
//!   only the latest fires — late — and the ones it overtook are not sent: one nudge
//!   about the 90% mark, not three about 50, 75 and 90. A breach overtakes every
//!   warning before it, and the newest repeat overtakes older ones.
//! - Once a threshold fired, re-planning the clock (pause and resume, any new event)
//!   never fires it or anything before it again. A new cycle (client update, restart
//!   on priority change) or a new budget (priority change) has thresholds of its own.
//! - A snooze holds back a ticket's warnings, never its breach or repeats.
//! - The quiet level only sets [`Nudge::loud`]; nothing is dropped.
//!
//! Across processes, "once" is the sent log's job (see `store::Store::claim_nudges`):
//! a fresh scheduler fires the latest passed threshold of each clock, and the claim
//! turns it away if it was sent before.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;

use super::nudge::{Nudge, LATE_AFTER};
use super::thresholds::{plan_clock, ClockPlan, Threshold, ThresholdKind};
use crate::model::Priority;
use crate::sla::calendar::{Micros, MICROS_PER_MIN};
use crate::sla::{clock, Calendars, Facts, Metric, Policies, Severity};

/// A clock's identity for "fired once": metric, cycle start, budget.
type ClockId = (Metric, Micros, Micros);

#[derive(Clone, Debug, Default)]
struct Fired {
    /// Warnings and breach fired (or overtaken by a later one that fired).
    kinds: Vec<ThresholdKind>,
    max_repeat: u32,
}

#[derive(Clone, Debug)]
struct Info {
    customer: String,
    title: String,
    priority: Priority,
    escalation: Option<u8>,
    escalated_to: Option<String>,
    assignee: Option<String>,
}

#[derive(Debug)]
struct TicketState {
    gen: u64,
    info: Info,
    plans: Vec<ClockPlan>,
    fired: HashMap<ClockId, Fired>,
}

/// Counters for tests and diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Tickets whose plans were computed (by `update` or a snooze change).
    pub planned: u64,
    /// Tickets `pop_due` looked at because one of their instants had come.
    pub examined: u64,
    /// Queue entries dropped as stale.
    pub stale: u64,
}

pub struct Scheduler {
    policies: Arc<Policies>,
    calendars: Calendars,
    tickets: HashMap<Arc<str>, TicketState>,
    queue: BinaryHeap<Reverse<(Micros, u64, Arc<str>)>>,
    next_gen: u64,
    snoozes: HashMap<String, Micros>,
    mute_below: Severity,
    problems: BTreeMap<String, String>,
    stats: Stats,
    /// The latest `now` seen.
    last_now: Micros,
}

impl Scheduler {
    pub fn new(policies: Arc<Policies>, calendars: Calendars) -> Scheduler {
        Scheduler {
            policies,
            calendars,
            tickets: HashMap::new(),
            queue: BinaryHeap::new(),
            next_gen: 0,
            snoozes: HashMap::new(),
            mute_below: Severity::Warning,
            problems: BTreeMap::new(),
            stats: Stats::default(),
            last_now: Micros::MIN,
        }
    }

    /// A ticket's facts changed (or it is new). `None`, or a resolved ticket, forgets
    /// it. Cheap enough to call for every ticket in a change batch.
    pub fn update(&mut self, ticket: &str, facts: Option<&Facts>, now: Micros) {
        self.last_now = self.last_now.max(now);
        let Some(facts) = facts.filter(|f| f.is_open()) else {
            self.tickets.remove(ticket);
            self.problems.remove(ticket);
            return;
        };
        let plans = match self.plan(facts, now) {
            Ok(plans) => {
                self.problems.remove(ticket);
                plans
            }
            Err(why) => {
                self.problems.insert(ticket.to_owned(), why);
                Vec::new()
            }
        };
        let info = Info {
            customer: facts.customer.clone(),
            title: facts.title.clone(),
            priority: facts.priority,
            escalation: facts.escalation.as_ref().map(|e| e.level),
            escalated_to: facts.escalation.as_ref().map(|e| e.to.clone()),
            assignee: facts.assignee.clone(),
        };
        let key: Arc<str> = match self.tickets.get_key_value(ticket) {
            Some((k, _)) => Arc::clone(k),
            None => Arc::from(ticket),
        };
        let state = self.tickets.entry(key).or_insert_with(|| TicketState {
            gen: 0,
            info: info.clone(),
            plans: Vec::new(),
            fired: HashMap::new(),
        });
        state.info = info;
        state.plans = plans;
        self.reschedule(ticket, now);
    }

    fn plan(&self, facts: &Facts, now: Micros) -> Result<Vec<ClockPlan>, String> {
        let policy = self
            .policies
            .select(&facts.customer, facts.service.as_deref(), facts.priority)
            .ok_or_else(|| {
                format!(
                    "no policy matches customer {:?}, priority {}",
                    facts.customer, facts.priority
                )
            })?;
        let cal = self.calendars.get(&policy.calendar).ok_or_else(|| {
            format!(
                "policy `{}` names unknown calendar `{}`",
                policy.name, policy.calendar
            )
        })?;
        // Just after `now`, so that an event stamped exactly now (a pause) counts.
        let at = chrono::DateTime::from_timestamp_micros(now + 1).ok_or("now is out of range")?;
        Ok(clock::clocks(facts, policy, cal, at)
            .iter()
            .filter_map(|c| plan_clock(facts, policy, cal, c, now))
            .collect())
    }

    /// Recomputes the ticket's wake-up and queues it under a new generation.
    fn reschedule(&mut self, ticket: &str, now: Micros) {
        self.stats.planned += 1;
        let snooze = self.snooze_of(ticket, now);
        let Some(key) = self
            .tickets
            .get_key_value(ticket)
            .map(|(k, _)| Arc::clone(k))
        else {
            return;
        };
        let state = self.tickets.get_mut(ticket).expect("just found");
        self.next_gen += 1;
        state.gen = self.next_gen;
        let wake = state
            .plans
            .iter()
            .filter_map(|p| wake(p, state.fired.get(&id(p)), snooze))
            .min();
        if let Some(wake) = wake {
            self.queue.push(Reverse((wake, state.gen, key)));
        }
    }

    fn snooze_of(&self, ticket: &str, now: Micros) -> Option<Micros> {
        self.snoozes.get(ticket).copied().filter(|&u| u > now)
    }

    /// The earliest instant anything may fire, if anything is scheduled.
    pub fn next_wake(&mut self) -> Option<Micros> {
        while let Some(Reverse((wake, gen, ticket))) = self.queue.peek() {
            if self.tickets.get(&**ticket).is_some_and(|s| s.gen == *gen) {
                return Some(*wake);
            }
            self.queue.pop();
            self.stats.stale += 1;
        }
        None
    }

    /// Every nudge due at `now`, oldest threshold first; each is marked fired.
    pub fn pop_due(&mut self, now: Micros) -> Vec<Nudge> {
        self.last_now = self.last_now.max(now);
        let mut out = Vec::new();
        let mut touched: Vec<Arc<str>> = Vec::new();
        while let Some(Reverse((wake, gen, ticket))) = self.queue.peek() {
            if *wake > now {
                break;
            }
            let (gen, ticket) = (*gen, Arc::clone(ticket));
            self.queue.pop();
            let snooze = self.snooze_of(&ticket, now);
            let mute_below = self.mute_below;
            let Some(state) = self.tickets.get_mut(&*ticket).filter(|s| s.gen == gen) else {
                self.stats.stale += 1;
                continue;
            };
            self.stats.examined += 1;
            for plan in &state.plans {
                let fired = state.fired.entry(id(plan)).or_default();
                let Some(t) = pick(plan, fired, snooze, now) else {
                    continue;
                };
                match t.kind {
                    ThresholdKind::Repeat(n) => {
                        fired.max_repeat = n;
                        if !fired.kinds.contains(&ThresholdKind::Breach) {
                            fired.kinds.push(ThresholdKind::Breach);
                        }
                    }
                    kind => fired.kinds.push(kind),
                }
                out.push(nudge(&ticket, &state.info, plan, t, now, mute_below));
            }
            touched.push(ticket);
        }
        for t in touched {
            self.reschedule(&t, now);
        }
        out.sort_by(|a, b| {
            (a.threshold_at, &a.ticket, a.metric).cmp(&(b.threshold_at, &b.ticket, b.metric))
        });
        out
    }

    /// Gives a popped warning back: it was not sent (another console of the user
    /// snoozed the ticket until `until`). It fires when the snooze ends.
    pub fn defer(&mut self, nudge: &Nudge, until: Micros, now: Micros) {
        if let Some(state) = self.tickets.get_mut(nudge.ticket.as_str()) {
            let key = (nudge.metric, nudge.cycle_start, nudge.target);
            if let Some(f) = state.fired.get_mut(&key) {
                f.kinds.retain(|k| *k != nudge.kind);
            }
        }
        self.snooze_until(&nudge.ticket, until, now);
    }

    /// Holds back the ticket's warnings for `minutes`; returns until when.
    pub fn snooze(&mut self, ticket: &str, minutes: u32, now: Micros) -> Micros {
        let until = now + i64::from(minutes) * MICROS_PER_MIN;
        self.snooze_until(ticket, until, now);
        until
    }

    pub fn snooze_until(&mut self, ticket: &str, until: Micros, now: Micros) {
        self.snoozes.insert(ticket.to_owned(), until);
        self.snoozes.retain(|_, u| *u > now);
        self.reschedule(ticket, now);
    }

    pub fn unsnooze(&mut self, ticket: &str, now: Micros) {
        if self.snoozes.remove(ticket).is_some() {
            self.reschedule(ticket, now);
        }
    }

    pub fn snoozed_until(&self, ticket: &str, now: Micros) -> Option<Micros> {
        self.snooze_of(ticket, now)
    }

    /// Nudges below `level` are sent quietly (no sound, no pop-up). Breaches are
    /// always loud, whatever the level.
    pub fn set_quiet(&mut self, level: Severity) {
        self.mute_below = level;
    }

    pub fn quiet(&self) -> Severity {
        self.mute_below
    }

    /// Open tickets followed.
    pub fn tickets(&self) -> usize {
        self.tickets.len()
    }

    /// Tickets that could not be planned (no policy, say), with the reason.
    pub fn problems(&self) -> &BTreeMap<String, String> {
        &self.problems
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The next nudge a ticket will get, if any: (kind, metric, instant). For a
    /// "next nudge" hint in a detail view; computed on demand.
    pub fn next_for(&self, ticket: &str, now: Micros) -> Option<(Metric, ThresholdKind, Micros)> {
        let state = self.tickets.get(ticket)?;
        let snooze = self.snooze_of(ticket, now);
        state
            .plans
            .iter()
            .filter_map(|p| {
                let fired = state.fired.get(&id(p));
                next_threshold(p, fired, snooze).map(|(t, at)| (p.metric, t.kind, at))
            })
            .min_by_key(|&(_, _, at)| at)
    }
}

fn id(plan: &ClockPlan) -> ClockId {
    (plan.metric, plan.cycle_start, plan.target)
}

/// The thresholds not yet fired nor overtaken, in order.
fn pending<'a>(plan: &'a ClockPlan, fired: Option<&Fired>) -> &'a [Threshold] {
    let Some(fired) = fired else {
        return &plan.thresholds;
    };
    if fired.max_repeat > 0 {
        return &[];
    }
    match plan
        .thresholds
        .iter()
        .rposition(|t| fired.kinds.contains(&t.kind))
    {
        Some(i) => &plan.thresholds[i + 1..],
        None => &plan.thresholds,
    }
}

/// When a threshold may fire: a snooze holds warnings back, never breaches.
fn effective(t: &Threshold, snooze: Option<Micros>) -> Micros {
    match snooze {
        Some(until) if !t.kind.is_breach() => t.at.max(until),
        _ => t.at,
    }
}

/// The latest threshold due at `now`, overtaking the ones before it.
fn pick(plan: &ClockPlan, fired: &Fired, snooze: Option<Micros>, now: Micros) -> Option<Threshold> {
    let mut best = pending(plan, Some(fired))
        .iter()
        .rev()
        .find(|t| effective(t, snooze) <= now)
        .copied();
    let n = plan.repeats_by(now);
    if n > fired.max_repeat {
        best = plan.repeat(n).or(best);
    }
    best
}

/// The next threshold to come and when it may fire.
fn next_threshold(
    plan: &ClockPlan,
    fired: Option<&Fired>,
    snooze: Option<Micros>,
) -> Option<(Threshold, Micros)> {
    let finite = pending(plan, fired)
        .iter()
        .map(|t| (*t, effective(t, snooze)))
        .min_by_key(|&(_, at)| at);
    let repeat = plan
        .repeat(fired.map_or(0, |f| f.max_repeat) + 1)
        .map(|t| (t, t.at));
    match (finite, repeat) {
        (Some(a), Some(b)) => Some(if b.1 < a.1 { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn wake(plan: &ClockPlan, fired: Option<&Fired>, snooze: Option<Micros>) -> Option<Micros> {
    next_threshold(plan, fired, snooze).map(|(_, at)| at)
}

fn nudge(
    ticket: &str,
    info: &Info,
    plan: &ClockPlan,
    t: Threshold,
    now: Micros,
    mute_below: Severity,
) -> Nudge {
    let severity = plan.severity(t.kind);
    Nudge {
        ticket: ticket.to_owned(),
        customer: info.customer.clone(),
        title: info.title.clone(),
        priority: info.priority,
        escalation: info.escalation,
        escalated_to: info.escalated_to.clone(),
        assignee: info.assignee.clone(),
        metric: plan.metric,
        kind: t.kind,
        severity,
        cycle_start: plan.cycle_start,
        target: plan.target,
        threshold_at: t.at,
        due: plan.due,
        fired_at: now,
        late: now - t.at > LATE_AFTER,
        loud: t.kind.is_breach() || severity >= mute_below,
    }
}

#[cfg(test)]
mod tests;
