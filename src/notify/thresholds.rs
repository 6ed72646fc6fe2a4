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
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::sla::calendar::{Calendar, Micros};
use crate::sla::{Clock, ClockState, Facts, Metric, Policy, Severity, Warnings};

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

/// A policy's warnings for one metric and budget as marks on the clock's working
/// time, in the order a clock crosses them (the breach, at the budget, not included),
/// with the budget and the policy's calendar. Shared by every clock with the same
/// policy, metric and budget.
#[derive(Clone, Debug)]
pub struct Marks {
    items: Vec<(Micros, ThresholdKind, Severity)>,
    repeat_every: Option<Micros>,
    /// The budget.
    target: Micros,
    cal: Arc<Calendar>,
}

/// Same marks of the same budget on the same calendar.
impl PartialEq for Marks {
    fn eq(&self, other: &Marks) -> bool {
        (&self.items, self.repeat_every, self.target)
            == (&other.items, other.repeat_every, other.target)
            && (Arc::ptr_eq(&self.cal, &other.cal) || self.cal.name() == other.cal.name())
    }
}

impl Marks {
    pub fn new(warnings: &Warnings, target: Micros, cal: &Arc<Calendar>) -> Marks {
        let critical_percent = warnings.percent.last().copied();
        let critical_minutes = warnings.minutes_before.last().copied();
        // (mark, rank, kind): at equal marks keep one, the minutes (more telling).
        let mut marks: Vec<(Micros, u8, ThresholdKind)> = Vec::new();
        for &p in &warnings.percent {
            marks.push((
                crate::sla::policy::percent_mark(target, p),
                1,
                ThresholdKind::Percent(p),
            ));
        }
        for &m in &warnings.minutes_before {
            marks.push((
                crate::sla::policy::minutes_mark(target, m),
                0,
                ThresholdKind::MinutesBefore(m),
            ));
        }
        marks.sort();
        marks.dedup_by_key(|(mark, _, _)| *mark);
        let items = marks
            .into_iter()
            .filter(|&(mark, _, _)| mark > 0 && mark < target)
            .map(|(mark, _, kind)| {
                let critical = match kind {
                    ThresholdKind::Percent(p) => Some(p) == critical_percent,
                    ThresholdKind::MinutesBefore(m) => Some(m) == critical_minutes,
                    _ => false,
                };
                let severity = if critical {
                    Severity::Critical
                } else {
                    Severity::Warning
                };
                (mark, kind, severity)
            })
            .collect();
        Marks {
            items,
            repeat_every: warnings.repeat_after_breach.filter(|&e| e > 0),
            target,
            cal: Arc::clone(cal),
        }
    }

    /// How urgent a nudge of this kind is, by the policy's thresholds.
    pub fn severity(&self, kind: ThresholdKind) -> Severity {
        if kind.is_breach() {
            return Severity::Breached;
        }
        self.items
            .iter()
            .find(|(_, k, _)| *k == kind)
            .map_or(Severity::Warning, |(_, _, s)| *s)
    }
}

/// One live clock's nudges: its warnings, breach and repeats, with which of them were
/// sent. Compact (56 bytes, no allocation of its own: there is one per live clock of
/// every open ticket): instants are computed when asked, from the last stretch of
/// uninterrupted working time (`anchor`, `acc`); the budget and calendar are the
/// shared marks'.
#[derive(Clone, Debug)]
pub struct ClockPlan {
    pub metric: Metric,
    /// Start of the clock's current cycle (the detection; a client update; a priority
    /// change under `restart`). Thresholds of a new cycle are new thresholds.
    pub cycle_start: Micros,
    /// The deadline.
    pub due: Micros,
    /// No pause stops the clock after `anchor`, when it had run `acc` working time:
    /// a later mark falls at `cal.due_micros(anchor, mark - acc)`.
    anchor: Micros,
    acc: Micros,
    /// When the latest mark crossed before `anchor` was crossed (`anchor` if none
    /// was): every mark before it is overtaken by it.
    crossed_at: Micros,
    /// Repeats after the breach still wanted (not acknowledged after it, not restored,
    /// not resolved).
    repeats_wanted: bool,
    marks: Arc<Marks>,
    /// Warnings and breach consumed: fired, or overtaken by a later one that fired.
    pub(crate) fired: u8,
    /// The last repeat fired.
    pub(crate) repeats: u32,
}

impl ClockPlan {
    /// The budget: a new budget (priority change) makes new thresholds too.
    pub fn target(&self) -> Micros {
        self.marks.target
    }

    /// Warnings plus the breach.
    pub fn len(&self) -> usize {
        self.marks.items.len() + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn kind(&self, i: usize) -> ThresholdKind {
        self.marks
            .items
            .get(i)
            .map_or(ThresholdKind::Breach, |(_, k, _)| *k)
    }

    pub fn index_of(&self, kind: ThresholdKind) -> Option<usize> {
        (0..self.len()).find(|&i| self.kind(i) == kind)
    }

    /// The instant of warning or breach `i` (nondecreasing in `i`).
    pub fn instant(&self, i: usize) -> Micros {
        let Some(&(mark, _, _)) = self.marks.items.get(i) else {
            return self.due;
        };
        if mark <= self.acc {
            // Crossed before the last pause: what matters is that it passed.
            return self.crossed_at;
        }
        self.marks
            .cal
            .due_micros(self.anchor, mark - self.acc)
            .map_or(self.due, |at| at.min(self.due))
    }

    /// Every warning and the breach with its instant.
    pub fn thresholds(&self) -> Vec<Threshold> {
        (0..self.len())
            .map(|i| Threshold {
                kind: self.kind(i),
                at: self.instant(i),
            })
            .collect()
    }

    pub fn repeat_every(&self) -> Option<Micros> {
        self.marks.repeat_every.filter(|_| self.repeats_wanted)
    }

    /// The `n`th reminder after the breach (`n >= 1`).
    pub fn repeat(&self, n: u32) -> Option<Threshold> {
        let every = self.repeat_every()?;
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
        match self.repeat_every() {
            Some(every) if now >= self.due => {
                u32::try_from((now - self.due) / every).unwrap_or(u32::MAX)
            }
            _ => 0,
        }
    }

    pub fn severity(&self, kind: ThresholdKind) -> Severity {
        self.marks.severity(kind)
    }

    /// Same clock (metric, cycle, budget) and same marks: what was sent carries over.
    pub fn same_clock(&self, other: &ClockPlan) -> bool {
        (self.metric, self.cycle_start) == (other.metric, other.cycle_start)
            && (Arc::ptr_eq(&self.marks, &other.marks) || self.marks == other.marks)
    }
}

/// The nudges of one clock, or `None` when it has none to give: met, stopped, paused
/// (a pause suspends its nudges; the resume plans them anew), or without a deadline.
/// `marks` are the policy's for this clock's metric and budget ([`Marks::new`]).
pub fn plan_clock(
    facts: &Facts,
    policy: &Policy,
    clock: &Clock,
    marks: Arc<Marks>,
    now: Micros,
) -> Option<ClockPlan> {
    debug_assert_eq!(marks.target, clock.target, "marks of the clock's budget");
    let cal = &*marks.cal;
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
    // Walk the working time from the cycle start past every pause that stops this
    // metric, noting the latest mark crossed on the way.
    let mut acc = 0;
    let mut cursor = clock.started_at;
    let mut crossed_at = None;
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
            if let Some(i) = marks.items.iter().rposition(|&(m, _, _)| m <= acc + e) {
                let mark = marks.items[i].0;
                if mark > acc {
                    let at = cal.due_micros(cursor, mark - acc).unwrap_or(p.from);
                    crossed_at = Some(at.min(p.from));
                }
            }
            acc += e;
        }
        cursor = to;
        if cursor == Micros::MAX {
            return None;
        }
    }
    let done_at = |t: Option<Micros>| t.is_some_and(|t| t <= now);
    let acknowledged = facts
        .last_acknowledged_at
        .is_some_and(|a| a >= due && a <= now);
    Some(ClockPlan {
        metric,
        cycle_start: clock.started_at,
        due,
        anchor: cursor,
        acc,
        crossed_at: crossed_at.unwrap_or(cursor),
        repeats_wanted: !acknowledged && !done_at(facts.restored_at) && !done_at(facts.resolved_at),
        marks,
        fired: 0,
        repeats: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::calendar::MICROS_PER_MIN;
    use crate::sla::Warnings;

    #[test]
    fn a_percent_mark_is_where_the_console_sees_the_threshold_crossed() {
        // 50 % of 3 µs: the console turns the clock critical at 2 µs; the nudge is
        // due then too (rounding down fired it at 1 µs, before the threshold).
        let w = Warnings {
            percent: vec![50],
            minutes_before: vec![],
            repeat_after_breach: None,
        };
        let m = Marks::new(&w, 3, &cal());
        assert_eq!(m.items[0].0, 2);
        assert_eq!(w.severity(m.items[0].0 - 1, 3, false), Severity::Ok);
        assert_eq!(w.severity(m.items[0].0, 3, false), Severity::Critical);
    }

    fn cal() -> Arc<Calendar> {
        Arc::new(Calendar::always("24x7"))
    }

    #[test]
    fn a_plan_is_compact() {
        assert!(std::mem::size_of::<ClockPlan>() <= 64);
    }

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
    fn marks_in_crossing_order_with_their_severity() {
        let w = Warnings::default();
        let m = Marks::new(&w, 240 * MICROS_PER_MIN, &cal());
        let got: Vec<(i64, String, Severity)> = m
            .items
            .iter()
            .map(|(mark, k, s)| (mark / MICROS_PER_MIN, k.to_string(), *s))
            .collect();
        assert_eq!(
            got,
            [
                (120, "50%".to_owned(), Severity::Warning),
                (180, "75%".to_owned(), Severity::Warning),
                (216, "90%".to_owned(), Severity::Critical),
                (225, "15 min before".to_owned(), Severity::Warning),
                (235, "5 min before".to_owned(), Severity::Critical),
            ]
        );
        assert_eq!(m.severity(ThresholdKind::Repeat(2)), Severity::Breached);
        // 50% of 30 min is 15 min before: one nudge; 15 min before a 15 min budget is
        // its start: none.
        let m = Marks::new(&w, 30 * MICROS_PER_MIN, &cal());
        assert_eq!(
            m.items.iter().map(|i| i.1.to_string()).collect::<Vec<_>>(),
            ["15 min before", "75%", "5 min before", "90%"]
        );
        let m = Marks::new(&w, 15 * MICROS_PER_MIN, &cal());
        assert_eq!(m.items.len(), 4);
    }
}
