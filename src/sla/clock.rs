//! SLA clocks measured from a ticket's facts: elapsed working time, deadline, state.
//!
//! A clock runs from its start until its stop event, minus the pauses whose reason
//! the policy lets stop it. Its deadline is the instant the budget runs out; it is
//! breached when its stop (or `now`, while it runs) comes after the deadline, so a
//! response just after a 17:00 deadline is late even if no working time passed —
//! unless a pause that stops the clock covers the whole time since the deadline.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::calendar::{Calendar, Micros};
use super::facts::Facts;
use super::policy::{Metric, Policy, PriorityChange};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    Paused,
    Met,
    Breached,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Clock {
    pub metric: Metric,
    pub state: ClockState,
    pub target: Micros,
    pub elapsed: Micros,
    /// `target - elapsed`; negative once overdue.
    pub remaining: Micros,
    /// The deadline: projected while running, fixed once breached; none while paused
    /// (it moves) or once met.
    pub due: Option<Micros>,
    pub breached_at: Option<Micros>,
    pub paused_reason: Option<String>,
    /// Breached cycles (client updates) or 0/1 for the other metrics.
    pub breaches: u32,
    pub started_at: Micros,
    pub stopped_at: Option<Micros>,
}

impl Clock {
    pub fn percent(&self) -> f64 {
        if self.target <= 0 {
            return if self.elapsed > 0 { 100.0 } else { 0.0 };
        }
        self.elapsed as f64 * 100.0 / self.target as f64
    }

    pub fn is_breached(&self) -> bool {
        self.state == ClockState::Breached
    }

    /// Still ticking or waiting on a pause: the clocks an agent can still act on.
    pub fn is_live(&self) -> bool {
        matches!(self.state, ClockState::Running | ClockState::Paused)
            || (self.state == ClockState::Breached && self.stopped_at.is_none())
    }

    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        self.due.and_then(DateTime::from_timestamp_micros)
    }
}

/// One measurement window `[start, end)` with the pauses that apply to it.
struct Window<'a> {
    cal: &'a Calendar,
    start: Micros,
    /// The stop event, or `now` while running.
    end: Micros,
    stopped: bool,
    target: Micros,
}

struct Measure {
    elapsed: Micros,
    deadline: Option<Micros>,
    paused_reason: Option<String>,
}

impl Window<'_> {
    fn measure(&self, facts: &Facts, policy: &Policy, metric: Metric) -> Measure {
        let mut acc = 0;
        let mut deadline = None;
        let mut cursor = self.start;
        let mut paused_reason = None;
        let step = |a: Micros, b: Micros, acc: &mut Micros, deadline: &mut Option<Micros>| {
            if a >= b {
                return;
            }
            let e = self.cal.elapsed_micros(a, b);
            if deadline.is_none() && *acc + e >= self.target {
                *deadline = self.cal.due_micros(a, self.target - *acc);
            }
            *acc += e;
        };
        for p in facts
            .pauses
            .iter()
            .filter(|p| policy.stops(&p.reason, metric))
        {
            let to = p.to.unwrap_or(Micros::MAX);
            if to <= cursor || p.from >= self.end {
                continue;
            }
            step(cursor, p.from.max(cursor), &mut acc, &mut deadline);
            cursor = to.max(cursor);
            if to >= self.end && !self.stopped {
                paused_reason = Some(p.reason.to_string());
            }
            if cursor >= self.end {
                break;
            }
        }
        if cursor < self.end {
            step(cursor, self.end, &mut acc, &mut deadline);
        }
        // Still running with budget left: project from here.
        if deadline.is_none() && !self.stopped && paused_reason.is_none() {
            deadline = self.cal.due_micros(self.end.max(cursor), self.target - acc);
        }
        Measure {
            elapsed: acc,
            deadline,
            paused_reason,
        }
    }
}

/// Measures every clock the policy keeps for this ticket's priority, as of `now`.
pub fn clocks(facts: &Facts, policy: &Policy, cal: &Calendar, now: DateTime<Utc>) -> Vec<Clock> {
    let now = now.timestamp_micros();
    // Not detected yet: no clock runs. Facts folded over every stored event (as the
    // console's are) can hold a detection dated after `now` — a year-9999 typo, say —
    // whose clocks would otherwise run from the future, never stop, and show the
    // ticket as open and at risk.
    if facts.detected_at > now {
        return Vec::new();
    }
    Metric::ALL
        .into_iter()
        .filter_map(|metric| {
            // Under `restart`, a clock that stopped before the last change keeps the
            // verdict of the priority it ran under.
            let stop = stop_of(facts, metric).filter(|&s| s <= now);
            let priority = match (policy.priority_change, facts.last_priority_change, stop) {
                (PriorityChange::Restart, Some(change), Some(stop)) if stop <= change => {
                    facts.priority_at(stop)
                }
                _ => facts.priority,
            };
            let target = policy.target(priority, metric)?;
            Some(clock(facts, policy, cal, metric, target, now))
        })
        .collect()
}

/// Whether pauses that stop `metric` cover all of `[from, to)`: a clock frozen right at
/// its deadline is not late while the pause lasts.
fn paused_through(
    facts: &Facts,
    policy: &Policy,
    metric: Metric,
    from: Micros,
    to: Micros,
) -> bool {
    let mut covered = from;
    for p in facts
        .pauses
        .iter()
        .filter(|p| policy.stops(&p.reason, metric))
    {
        if p.from <= covered {
            covered = covered.max(p.to.unwrap_or(Micros::MAX));
        }
    }
    covered >= to
}

fn stop_of(facts: &Facts, metric: Metric) -> Option<Micros> {
    match metric {
        Metric::Acknowledge => [
            facts.first_response_at,
            facts.restored_at,
            facts.resolved_at,
        ]
        .into_iter()
        .flatten()
        .min(),
        Metric::ClientUpdate | Metric::Restore => facts.restored_at,
        Metric::Resolve => facts.resolved_at,
    }
}

/// One measurement cycle of a clock: the whole clock for most metrics, one interval
/// between client updates for `client_update`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cycle {
    pub start: Micros,
    /// The next cycle's start or the stop event; `None` while it runs at `now`.
    pub end: Option<Micros>,
    /// The instant the budget ran (or runs) out; `None` while paused or when met with
    /// budget to spare.
    pub due: Option<Micros>,
    pub elapsed: Micros,
    pub late: bool,
}

/// Every cycle of `metric`'s clock as of `now`, oldest first, measured against `target`
/// (the clock's target for this ticket, or any other a contract sets).
pub fn cycles(
    facts: &Facts,
    policy: &Policy,
    cal: &Calendar,
    metric: Metric,
    target: Micros,
    now: DateTime<Utc>,
) -> Vec<Cycle> {
    measure_cycles(facts, policy, cal, metric, target, now.timestamp_micros())
        .into_iter()
        .map(|(c, _)| c)
        .collect()
}

fn measure_cycles(
    facts: &Facts,
    policy: &Policy,
    cal: &Calendar,
    metric: Metric,
    target: Micros,
    now: Micros,
) -> Vec<(Cycle, Measure)> {
    let stop = stop_of(facts, metric).filter(|&s| s <= now);
    let restart = match (policy.priority_change, facts.last_priority_change) {
        (PriorityChange::Restart, Some(change)) if stop.is_none_or(|s| s > change) => Some(change),
        _ => None,
    };
    // Cycle starts: one for most clocks; every client update starts a new one.
    let mut starts = vec![restart.unwrap_or(facts.detected_at)];
    if metric == Metric::ClientUpdate {
        let from = starts[0];
        starts.extend(
            facts
                .client_updates
                .iter()
                .copied()
                .filter(|&u| u > from && stop.is_none_or(|s| u < s)),
        );
    }
    let mut out = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let (end, stopped) = match starts.get(i + 1) {
            Some(&next) => (next, true),
            None => stop.map_or((now, false), |s| (s, true)),
        };
        let w = Window {
            cal,
            start,
            end,
            stopped,
            target,
        };
        let m = w.measure(facts, policy, metric);
        let late = m
            .deadline
            .is_some_and(|d| end > d && !paused_through(facts, policy, metric, d, end));
        out.push((
            Cycle {
                start,
                end: stopped.then_some(end),
                due: m.deadline,
                elapsed: m.elapsed,
                late,
            },
            m,
        ));
    }
    out
}

fn clock(
    facts: &Facts,
    policy: &Policy,
    cal: &Calendar,
    metric: Metric,
    target: Micros,
    now: Micros,
) -> Clock {
    let stop = stop_of(facts, metric).filter(|&s| s <= now);
    let cycles = measure_cycles(facts, policy, cal, metric, target, now);
    let breaches = cycles.iter().filter(|(c, _)| c.late).count() as u32;
    let first_breach = cycles.iter().find(|(c, _)| c.late).and_then(|(c, _)| c.due);
    let (last, m) = cycles.into_iter().last().expect("at least one cycle");
    let (started_at, late) = (last.start, last.late);
    let state = if late || (stop.is_some() && breaches > 0) {
        ClockState::Breached
    } else if stop.is_some() {
        ClockState::Met
    } else if m.paused_reason.is_some() {
        ClockState::Paused
    } else {
        ClockState::Running
    };
    let due = match state {
        ClockState::Running => m.deadline,
        ClockState::Breached if late => m.deadline,
        _ => None,
    };
    Clock {
        metric,
        state,
        target,
        elapsed: m.elapsed,
        remaining: target - m.elapsed,
        due,
        breached_at: first_breach,
        paused_reason: m.paused_reason,
        breaches,
        started_at,
        stopped_at: stop,
    }
}
