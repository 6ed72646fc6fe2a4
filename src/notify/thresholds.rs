//! Where one SLA clock's nudges fall: the instants at which it crosses each warning
//! threshold of its policy, its breach, and the repeats after the breach. Pure: a
//! clock, its ticket's facts, the policy and the calendar in, instants out.
//!
//! Every warning is a mark on the clock's working time: `percent N` is N% of the
//! budget used, `minutes_before N` is the budget less N working minutes. A mark's
//! instant is where the working time since the cycle start (less the pauses that stop
//! this metric) reaches it, so a pause shifts the marks still ahead and leaves those
//! behind alone.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::sla::calendar::{Calendar, Micros, MICROS_PER_MIN};
use crate::sla::{Clock, ClockState, Facts, Metric, Policy, Severity};

/// What a nudge is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ThresholdKind {
    /// N% of the budget used.
    Percent(u8),
    /// N working minutes before the deadline.
    MinutesBefore(u32),
    /// The deadline itself.
    Breach,
    /// The Nth reminder after the breach.
    Repeat(u32),
}

impl ThresholdKind {
    pub fn name(self) -> &'static str {
        match self {
            ThresholdKind::Percent(_) => "percent",
            ThresholdKind::MinutesBefore(_) => "minutes_before",
            ThresholdKind::Breach => "breach",
            ThresholdKind::Repeat(_) => "repeat",
        }
    }

    pub fn value(self) -> i64 {
        match self {
            ThresholdKind::Percent(p) => i64::from(p),
            ThresholdKind::MinutesBefore(m) | ThresholdKind::Repeat(m) => i64::from(m),
            ThresholdKind::Breach => 0,
        }
    }

    pub fn from_parts(name: &str, value: i64) -> Option<ThresholdKind> {
        match name {
            "percent" => u8::try_from(value).ok().map(ThresholdKind::Percent),
            "minutes_before" => u32::try_from(value).ok().map(ThresholdKind::MinutesBefore),
            "breach" => Some(ThresholdKind::Breach),
            "repeat" => u32::try_from(value).ok().map(ThresholdKind::Repeat),
            _ => None,
        }
    }

    /// A breach or a reminder of one: never snoozed, never muted.
    pub fn is_breach(self) -> bool {
        matches!(self, ThresholdKind::Breach | ThresholdKind::Repeat(_))
    }
}

impl fmt::Display for ThresholdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThresholdKind::Percent(p) => write!(f, "{p}%"),
            ThresholdKind::MinutesBefore(m) => write!(f, "{m} min before"),
            ThresholdKind::Breach => f.write_str("breach"),
            ThresholdKind::Repeat(n) => write!(f, "repeat {n}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    pub kind: ThresholdKind,
    /// The instant the clock crosses it.
    pub at: Micros,
}

/// One live clock's nudges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockPlan {
    pub metric: Metric,
    /// Start of the clock's current cycle (the detection; a client update; a priority
    /// change under `restart`). Thresholds of a new cycle are new thresholds.
    pub cycle_start: Micros,
    /// The budget: a new budget (priority change) makes new thresholds too.
    pub target: Micros,
    /// The deadline.
    pub due: Micros,
    /// Warnings in the order the clock crosses them, then the breach (always last).
    pub thresholds: Vec<Threshold>,
    /// How often to repeat the breach nudge; `None` when the policy says never or the
    /// ticket was acknowledged after the breach, restored or resolved.
    pub repeat_every: Option<Micros>,
    /// The last (most urgent) percentage and minutes-before thresholds: `Critical`.
    critical_percent: Option<u8>,
    critical_minutes: Option<u32>,
}

impl ClockPlan {
    /// The `n`th reminder after the breach (`n >= 1`).
    pub fn repeat(&self, n: u32) -> Option<Threshold> {
        let every = self.repeat_every?;
        let at = every
            .checked_mul(i64::from(n))
            .and_then(|d| self.due.checked_add(d))?;
        Some(Threshold {
            kind: ThresholdKind::Repeat(n),
            at,
        })
    }

    /// The last reminder at or before `now` (0: none yet).
    pub fn repeats_by(&self, now: Micros) -> u32 {
        match self.repeat_every {
            Some(every) if every > 0 && now >= self.due => {
                u32::try_from((now - self.due) / every).unwrap_or(u32::MAX)
            }
            _ => 0,
        }
    }

    /// How urgent a nudge of this kind is, by the policy's thresholds.
    pub fn severity(&self, kind: ThresholdKind) -> Severity {
        match kind {
            ThresholdKind::Breach | ThresholdKind::Repeat(_) => Severity::Breached,
            ThresholdKind::Percent(p) if self.critical_percent.is_some_and(|c| p >= c) => {
                Severity::Critical
            }
            ThresholdKind::MinutesBefore(m) if self.critical_minutes.is_some_and(|c| m <= c) => {
                Severity::Critical
            }
            _ => Severity::Warning,
        }
    }
}

/// The nudges of one clock, or `None` when it has none to give: met, stopped, paused
/// (a pause suspends its nudges; the resume plans them anew), or without a deadline.
pub fn plan_clock(
    facts: &Facts,
    policy: &Policy,
    cal: &Calendar,
    clock: &Clock,
    now: Micros,
) -> Option<ClockPlan> {
    let live = match clock.state {
        ClockState::Running => true,
        ClockState::Breached => clock.stopped_at.is_none(),
        ClockState::Paused | ClockState::Met => false,
    };
    if !live || clock.paused_reason.is_some() {
        return None;
    }
    let due = clock.due?;
    let metric = clock.metric;
    let target = clock.target;
    let warnings = policy.warnings_for(metric);
    let at_mark =
        |mark: Micros| instant_at_elapsed(facts, policy, cal, metric, clock.started_at, mark, now);
    // (mark, rank, kind): at equal marks keep one, the minutes (more telling).
    let mut marks: Vec<(Micros, u8, ThresholdKind)> = Vec::new();
    for &p in &warnings.percent {
        marks.push((target * i64::from(p) / 100, 1, ThresholdKind::Percent(p)));
    }
    for &m in &warnings.minutes_before {
        let mark = target - i64::from(m) * MICROS_PER_MIN;
        if mark > 0 {
            marks.push((mark, 0, ThresholdKind::MinutesBefore(m)));
        }
    }
    marks.sort();
    marks.dedup_by_key(|(mark, _, _)| *mark);
    let mut thresholds: Vec<Threshold> = marks
        .into_iter()
        .filter(|&(mark, _, _)| mark > 0 && mark < target)
        .filter_map(|(mark, _, kind)| {
            let at = at_mark(mark)?;
            Some(Threshold {
                kind,
                at: at.min(due),
            })
        })
        .collect();
    thresholds.push(Threshold {
        kind: ThresholdKind::Breach,
        at: due,
    });
    let done_at = |t: Option<Micros>| t.is_some_and(|t| t <= now);
    let acknowledged = facts
        .last_acknowledged_at
        .is_some_and(|a| a >= due && a <= now);
    let repeat_every = warnings
        .repeat_after_breach
        .filter(|&every| every > 0)
        .filter(|_| !acknowledged && !done_at(facts.restored_at) && !done_at(facts.resolved_at));
    Some(ClockPlan {
        metric,
        cycle_start: clock.started_at,
        target,
        due,
        thresholds,
        repeat_every,
        critical_percent: warnings.percent.last().copied(),
        critical_minutes: warnings.minutes_before.last().copied(),
    })
}

/// The instant the clock's working time since `start` reaches `mark`, skipping the
/// pauses that stop `metric` (those begun by `now`); `None` if it never does.
fn instant_at_elapsed(
    facts: &Facts,
    policy: &Policy,
    cal: &Calendar,
    metric: Metric,
    start: Micros,
    mark: Micros,
    now: Micros,
) -> Option<Micros> {
    let mut acc = 0;
    let mut cursor = start;
    for p in facts
        .pauses
        .iter()
        .filter(|p| p.from <= now && policy.stops(&p.reason, metric))
    {
        let to = p.to.unwrap_or(Micros::MAX);
        if to <= cursor {
            continue;
        }
        if p.from > cursor {
            let e = cal.elapsed_micros(cursor, p.from);
            if acc + e >= mark {
                return cal.due_micros(cursor, mark - acc);
            }
            acc += e;
        }
        cursor = to;
        if cursor == Micros::MAX {
            return None;
        }
    }
    cal.due_micros(cursor, mark - acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::Warnings;

    #[test]
    fn kinds_round_trip_their_parts() {
        for k in [
            ThresholdKind::Percent(75),
            ThresholdKind::MinutesBefore(15),
            ThresholdKind::Breach,
            ThresholdKind::Repeat(3),
        ] {
            assert_eq!(ThresholdKind::from_parts(k.name(), k.value()), Some(k));
        }
        assert_eq!(ThresholdKind::from_parts("percent", 300), None);
        assert_eq!(ThresholdKind::from_parts("other", 1), None);
    }

    #[test]
    fn severity_by_policy_thresholds() {
        let w = Warnings::default();
        let plan = ClockPlan {
            metric: Metric::Restore,
            cycle_start: 0,
            target: 1,
            due: 1,
            thresholds: vec![],
            repeat_every: None,
            critical_percent: w.percent.last().copied(),
            critical_minutes: w.minutes_before.last().copied(),
        };
        assert_eq!(plan.severity(ThresholdKind::Percent(50)), Severity::Warning);
        assert_eq!(
            plan.severity(ThresholdKind::Percent(90)),
            Severity::Critical
        );
        assert_eq!(
            plan.severity(ThresholdKind::MinutesBefore(15)),
            Severity::Warning
        );
        assert_eq!(
            plan.severity(ThresholdKind::MinutesBefore(5)),
            Severity::Critical
        );
        assert_eq!(plan.severity(ThresholdKind::Repeat(2)), Severity::Breached);
    }
}
