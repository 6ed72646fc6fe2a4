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
use super::thresholds::{plan_clock, ClockPlan, Marks, ThresholdKind};
use crate::sla::calendar::{Micros, MICROS_PER_MIN};
use crate::sla::{clock, Calendars, Facts, Metric, Policies, Severity};
use crate::slots::{distinct_key, Keyed, Slots};

#[derive(Debug)]
struct TicketState {
    /// The ticket id when the facts name it otherwise (never, in practice).
    raw_key: Option<Box<str>>,
    /// Shared with whoever handed them over (the console's board holds the same copy).
    facts: Arc<Facts>,
    plans: Box<[ClockPlan]>,
    /// Plans of clocks that dropped out (paused, say) after sending something: what
    /// they sent carries over when the clock comes back.
    parked: Box<[ClockPlan]>,
}

impl Keyed for TicketState {
    fn key(&self) -> &str {
        self.raw_key.as_deref().unwrap_or(&self.facts.ticket)
    }
}

/// At most this many parked plans per ticket.
const MAX_PARKED: usize = 8;

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
    /// A slot's generation changes whenever its ticket is re-planned: queue entries
    /// (instant, slot, generation) of an older one are stale.
    tickets: Slots<TicketState>,
    queue: BinaryHeap<Reverse<(Micros, u32, u32)>>,
    snoozes: HashMap<String, Micros>,
    mute_below: Severity,
    problems: BTreeMap<String, String>,
    stats: Stats,
    /// Marks by (policy index, metric, budget): few, shared by every clock.
    marks: HashMap<(usize, Metric, Micros), Arc<Marks>>,
    /// The latest `now` seen.
    last_now: Micros,
}

/// Follows nothing (no policies): a placeholder while the real one is lent out.
impl Default for Scheduler {
    fn default() -> Self {
        Scheduler::new(Arc::default(), Calendars::default())
    }
}

impl Scheduler {
    pub fn new(policies: Arc<Policies>, calendars: Calendars) -> Scheduler {
        Scheduler {
            policies,
            calendars,
            tickets: Slots::new(),
            queue: BinaryHeap::new(),
            snoozes: HashMap::new(),
            mute_below: Severity::Warning,
            problems: BTreeMap::new(),
            stats: Stats::default(),
            marks: HashMap::new(),
            last_now: Micros::MIN,
        }
    }

    /// Room for `additional` more tickets (a snapshot's), allocated once.
    pub fn reserve(&mut self, additional: usize) {
        self.tickets.reserve(additional);
    }

    /// A ticket's facts changed (or it is new). `None`, or a resolved ticket, forgets
    /// it. Cheap enough to call for every ticket in a change batch.
    pub fn update(&mut self, ticket: &str, facts: Option<&Arc<Facts>>, now: Micros) {
        self.last_now = self.last_now.max(now);
        let slot = self.tickets.find(ticket);
        let Some(facts) = facts.filter(|f| f.is_open()) else {
            if let Some(i) = slot {
                self.tickets.remove(i);
            }
            self.problems.remove(ticket);
            return;
        };
        let mut plans = match self.plan(facts, now) {
            Ok(plans) => {
                self.problems.remove(ticket);
                plans
            }
            Err(why) => {
                self.problems.insert(ticket.to_owned(), why);
                Vec::new()
            }
        };
        let slot = match slot.and_then(|i| Some((i, self.tickets.get_mut(i)?))) {
            Some((i, state)) => {
                // What was sent of a clock that is still (or again) the same clock stays
                // sent; a clock that drops out after sending something is parked.
                let old: Vec<ClockPlan> = std::mem::take(&mut state.parked)
                    .into_vec()
                    .into_iter()
                    .chain(std::mem::take(&mut state.plans).into_vec())
                    .collect();
                for plan in &mut plans {
                    if let Some(o) = old.iter().rev().find(|o| o.same_clock(plan)) {
                        plan.fired = o.fired;
                        plan.repeats = o.repeats;
                    }
                }
                let mut parked: Vec<ClockPlan> = old
                    .into_iter()
                    .filter(|o| {
                        (o.fired > 0 || o.repeats > 0) && !plans.iter().any(|p| p.same_clock(o))
                    })
                    .collect();
                let excess = parked.len().saturating_sub(MAX_PARKED);
                parked.drain(..excess);
                state.parked = parked.into_boxed_slice();
                state.facts = Arc::clone(facts);
                state.raw_key = distinct_key(ticket, &facts.ticket);
                state.plans = plans.into_boxed_slice();
                i
            }
            None => self
                .tickets
                .insert(TicketState {
                    raw_key: distinct_key(ticket, &facts.ticket),
                    facts: Arc::clone(facts),
                    plans: plans.into_boxed_slice(),
                    parked: Box::default(),
                })
                .unwrap_or_else(|_| unreachable!("{ticket} was not followed")),
        };
        self.reschedule(slot, now);
    }

    fn plan(&mut self, facts: &Facts, now: Micros) -> Result<Vec<ClockPlan>, String> {
        let policies = Arc::clone(&self.policies);
        let index = policies
            .0
            .iter()
            .position(|p| p.matches(&facts.customer, facts.service.as_deref(), facts.priority))
            .ok_or_else(|| {
                format!(
                    "no policy matches customer {:?}, priority {}",
                    facts.customer, facts.priority
                )
            })?;
        let policy = &policies.0[index];
        let cal = self
            .calendars
            .get(&policy.calendar)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "policy `{}` names unknown calendar `{}`",
                    policy.name, policy.calendar
                )
            })?;
        // Just after `now`, so that an event stamped exactly now (a pause) counts.
        let at = chrono::DateTime::from_timestamp_micros(now + 1).ok_or("now is out of range")?;
        Ok(clock::clocks(facts, policy, &cal, at)
            .iter()
            .filter_map(|c| {
                let marks = self
                    .marks
                    .entry((index, c.metric, c.target))
                    .or_insert_with(|| {
                        Arc::new(Marks::new(policy.warnings_for(c.metric), c.target, &cal))
                    });
                plan_clock(facts, policy, c, Arc::clone(marks), now)
            })
            .collect())
    }

    /// Recomputes the ticket's wake-up and queues it under a new generation.
    fn reschedule(&mut self, slot: u32, now: Micros) {
        self.stats.planned += 1;
        let Some(state) = self.tickets.get(slot) else {
            return;
        };
        let snooze = self.snooze_of(state.key(), now);
        let wake = state
            .plans
            .iter()
            .filter_map(|p| next_threshold(p, snooze).map(|(_, at)| at))
            .min();
        let gen = self.tickets.bump(slot);
        if let Some(wake) = wake {
            self.queue.push(Reverse((wake, slot, gen)));
        }
    }

    fn reschedule_ticket(&mut self, ticket: &str, now: Micros) {
        if let Some(slot) = self.tickets.find(ticket) {
            self.reschedule(slot, now);
        }
    }

    fn snooze_of(&self, ticket: &str, now: Micros) -> Option<Micros> {
        self.snoozes.get(ticket).copied().filter(|&u| u > now)
    }

    /// The earliest instant anything may fire, if anything is scheduled.
    pub fn next_wake(&mut self) -> Option<Micros> {
        while let Some(&Reverse((wake, slot, gen))) = self.queue.peek() {
            if self.tickets.is_current(slot, gen) {
                return Some(wake);
            }
            self.queue.pop();
            self.stats.stale += 1;
        }
        None
    }

    /// Every nudge due at `now`, oldest threshold first; each is marked fired.
    pub fn pop_due(&mut self, now: Micros) -> Vec<Nudge> {
        self.pop_due_upto(now, usize::MAX)
    }

    /// The nudges due at `now` of the tickets due first, until there are at least
    /// `max` (a ticket's nudges come together); each is marked fired. The rest stay
    /// due: a first start's catch-up (every open ticket's passed thresholds) is taken
    /// in batches rather than held all at once.
    pub fn pop_due_upto(&mut self, now: Micros, max: usize) -> Vec<Nudge> {
        self.last_now = self.last_now.max(now);
        let mut out = Vec::new();
        let mut touched: Vec<u32> = Vec::new();
        while let Some(&Reverse((wake, slot, gen))) = self.queue.peek() {
            if wake > now || out.len() >= max {
                break;
            }
            self.queue.pop();
            if !self.tickets.is_current(slot, gen) {
                self.stats.stale += 1;
                continue;
            }
            let mute_below = self.mute_below;
            let snooze = self
                .tickets
                .get(slot)
                .and_then(|s| self.snoozes.get(s.key()).copied())
                .filter(|&u| u > now);
            let state = self.tickets.get_mut(slot).expect("a current slot");
            self.stats.examined += 1;
            for plan in state.plans.iter_mut() {
                let Some((kind, at)) = pick(plan, snooze, now) else {
                    continue;
                };
                match kind {
                    ThresholdKind::Repeat(n) => {
                        plan.repeats = n;
                        plan.fired = plan.len() as u8;
                    }
                    kind => {
                        let i = plan.index_of(kind).unwrap_or(plan.len() - 1);
                        plan.fired = (i + 1) as u8;
                    }
                }
                out.push(nudge(
                    state.raw_key.as_deref().unwrap_or(&state.facts.ticket),
                    &state.facts,
                    plan,
                    kind,
                    at,
                    now,
                    mute_below,
                ));
            }
            touched.push(slot);
        }
        for slot in touched {
            self.reschedule(slot, now);
        }
        out.sort_by(|a, b| {
            (a.threshold_at, &a.ticket, a.metric).cmp(&(b.threshold_at, &b.ticket, b.metric))
        });
        out
    }

    /// Gives a popped warning back: it was not sent (another console of the user
    /// snoozed the ticket until `until`). It fires when the snooze ends.
    pub fn defer(&mut self, nudge: &Nudge, until: Micros, now: Micros) {
        let slot = self.tickets.find(&nudge.ticket);
        if let Some(state) = slot.and_then(|i| self.tickets.get_mut(i)) {
            for plan in state.plans.iter_mut() {
                if (plan.metric, plan.cycle_start, plan.target())
                    == (nudge.metric, nudge.cycle_start, nudge.target)
                {
                    if let Some(i) = plan.index_of(nudge.kind) {
                        plan.fired = plan.fired.min(i as u8);
                    }
                }
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
        self.reschedule_ticket(ticket, now);
    }

    pub fn unsnooze(&mut self, ticket: &str, now: Micros) {
        if self.snoozes.remove(ticket).is_some() {
            self.reschedule_ticket(ticket, now);
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

    /// The next nudge a ticket will get, if any: (metric, kind, instant). For a
    /// "next nudge" hint in a detail view; computed on demand.
    pub fn next_for(&self, ticket: &str, now: Micros) -> Option<(Metric, ThresholdKind, Micros)> {
        let state = self.tickets.get(self.tickets.find(ticket)?)?;
        let snooze = self.snooze_of(ticket, now);
        state
            .plans
            .iter()
            .filter_map(|p| next_threshold(p, snooze).map(|(kind, at)| (p.metric, kind, at)))
            .min_by_key(|&(_, _, at)| at)
    }

    /// The latest `now` the scheduler was given.
    pub fn last_now(&self) -> Micros {
        self.last_now
    }
}

/// When a threshold may fire: a snooze holds warnings back, never breaches.
fn effective(kind: ThresholdKind, at: Micros, snooze: Option<Micros>) -> Micros {
    match snooze {
        Some(until) if !kind.is_breach() => at.max(until),
        _ => at,
    }
}

/// The latest threshold due at `now`, overtaking the ones before it.
fn pick(plan: &ClockPlan, snooze: Option<Micros>, now: Micros) -> Option<(ThresholdKind, Micros)> {
    let mut best = None;
    for i in usize::from(plan.fired)..plan.len() {
        let at = plan.instant(i);
        if at > now {
            break;
        }
        let kind = plan.kind(i);
        if effective(kind, at, snooze) <= now {
            best = Some((kind, at));
        }
    }
    let n = plan.repeats_by(now);
    if n > plan.repeats {
        if let Some(r) = plan.repeat(n) {
            best = Some((r.kind, r.at));
        }
    }
    best
}

/// The next threshold to come and when it may fire.
fn next_threshold(plan: &ClockPlan, snooze: Option<Micros>) -> Option<(ThresholdKind, Micros)> {
    let mut next: Option<(ThresholdKind, Micros)> = None;
    let mut consider = |kind: ThresholdKind, at: Micros| {
        if next.is_none_or(|(_, n)| at < n) {
            next = Some((kind, at));
        }
    };
    let first = usize::from(plan.fired);
    if first < plan.len() {
        let kind = plan.kind(first);
        consider(kind, effective(kind, plan.instant(first), snooze));
        // The breach is pending too, and no snooze holds it.
        consider(ThresholdKind::Breach, plan.due);
    }
    if let Some(r) = plan.repeat(plan.repeats + 1) {
        consider(r.kind, r.at);
    }
    next
}

fn nudge(
    ticket: &str,
    facts: &Facts,
    plan: &ClockPlan,
    kind: ThresholdKind,
    at: Micros,
    now: Micros,
    mute_below: Severity,
) -> Nudge {
    let severity = plan.severity(kind);
    Nudge {
        ticket: ticket.to_owned(),
        customer: facts.customer.to_string(),
        title: facts.title.to_string(),
        priority: facts.priority,
        escalation: facts.escalation.as_ref().map(|e| e.level),
        escalated_to: facts.escalation.as_ref().map(|e| e.to.to_string()),
        assignee: facts.assignee.as_deref().map(str::to_owned),
        metric: plan.metric,
        kind,
        severity,
        cycle_start: plan.cycle_start,
        target: plan.target(),
        threshold_at: at,
        due: plan.due,
        fired_at: now,
        late: now - at > LATE_AFTER,
        loud: kind.is_breach() || severity >= mute_below,
    }
}

#[cfg(test)]
mod tests;
