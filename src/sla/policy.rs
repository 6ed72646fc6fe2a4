//! Policies: which tickets they cover, their targets per priority, what pauses stop.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::calendar::{Micros, MICROS_PER_MIN};
use crate::model::Priority;

/// The SLA clocks a policy can set targets for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Time to first response.
    Acknowledge,
    /// Periodic update to the client: restarts at every client update.
    ClientUpdate,
    /// Time to restore service.
    Restore,
    /// Time to resolve.
    Resolve,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::Acknowledge,
        Metric::ClientUpdate,
        Metric::Restore,
        Metric::Resolve,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Acknowledge => "acknowledge",
            Metric::ClientUpdate => "client_update",
            Metric::Restore => "restore",
            Metric::Resolve => "resolve",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a priority change does to the clocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorityChange {
    /// Measure from the ticket's start against the new priority's target.
    #[default]
    Recompute,
    /// Clocks still running start anew at the change, against the new target.
    Restart,
}

/// When to nudge before (and after) a deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warnings {
    /// Percentages of the budget used, ascending, each in 1..=99.
    pub percent: Vec<u8>,
    /// Minutes of working time before due, descending.
    pub minutes_before: Vec<u32>,
    /// After a breach, repeat the nudge this often until the ticket moves on.
    pub repeat_after_breach: Option<Micros>,
}

impl Default for Warnings {
    fn default() -> Self {
        Warnings {
            percent: vec![50, 75, 90],
            minutes_before: vec![15, 5],
            repeat_after_breach: Some(30 * MICROS_PER_MIN),
        }
    }
}

/// Urgency of a clock, by the policy's warning thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Ok,
    Warning,
    Critical,
    Breached,
}

impl Warnings {
    /// `Critical` from the last percentage or the last minutes-before threshold,
    /// `Warning` from the first of either, for a clock that has used `elapsed` of its
    /// `target` working time.
    pub fn severity(&self, elapsed: Micros, target: Micros, breached: bool) -> Severity {
        if breached {
            return Severity::Breached;
        }
        let crossed_pct = |p: Option<&u8>| p.is_some_and(|&p| elapsed >= percent_mark(target, p));
        let crossed_min = |m: Option<&u32>| m.is_some_and(|&m| elapsed >= minutes_mark(target, m));
        if crossed_pct(self.percent.last()) || crossed_min(self.minutes_before.last()) {
            Severity::Critical
        } else if crossed_pct(self.percent.first()) || crossed_min(self.minutes_before.first()) {
            Severity::Warning
        } else {
            Severity::Ok
        }
    }
}

/// The working time elapsed from which `p` percent of `target` is used: the first
/// microsecond with `elapsed * 100 >= target * p`, so rounded up. The one place the
/// console's severities, its queue's next-change instants and the nudges' marks take
/// it from, so that they agree to the microsecond. (A clock without a target has used
/// all of it once any time has passed.)
pub fn percent_mark(target: Micros, p: u8) -> Micros {
    if target <= 0 {
        return Micros::from(p > 0);
    }
    let mark = (i128::from(target) * i128::from(p)).div_euclid(100)
        + i128::from((i128::from(target) * i128::from(p)).rem_euclid(100) != 0);
    Micros::try_from(mark).unwrap_or(Micros::MAX)
}

/// The working time elapsed from which at most `m` minutes of `target` are left.
pub fn minutes_mark(target: Micros, m: u32) -> Micros {
    target.saturating_sub(i64::from(m).saturating_mul(MICROS_PER_MIN))
}

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub name: String,
    pub calendar: String,
    /// Empty selector lists match anything.
    pub customers: Vec<String>,
    pub services: Vec<String>,
    pub priorities: Vec<Priority>,
    /// Target per priority and metric; a missing entry means the clock is not kept.
    pub targets: BTreeMap<Priority, [Option<Micros>; 4]>,
    /// Pause reason → the metrics whose clocks it stops (possibly none).
    pub pause_reasons: BTreeMap<String, Vec<Metric>>,
    pub warnings: Warnings,
    pub metric_warnings: BTreeMap<Metric, Warnings>,
    pub priority_change: PriorityChange,
}

impl Policy {
    pub fn matches(&self, customer: &str, service: Option<&str>, priority: Priority) -> bool {
        (self.customers.is_empty() || self.customers.iter().any(|c| c == customer))
            && (self.services.is_empty()
                || service.is_some_and(|s| self.services.iter().any(|x| x == s)))
            && (self.priorities.is_empty() || self.priorities.contains(&priority))
    }

    pub fn is_default(&self) -> bool {
        self.customers.is_empty() && self.services.is_empty() && self.priorities.is_empty()
    }

    pub fn target(&self, priority: Priority, metric: Metric) -> Option<Micros> {
        self.targets.get(&priority)?[metric.index()]
    }

    pub fn stops(&self, reason: &str, metric: Metric) -> bool {
        self.pause_reasons
            .get(reason)
            .is_some_and(|ms| ms.contains(&metric))
    }

    pub fn warnings_for(&self, metric: Metric) -> &Warnings {
        self.metric_warnings.get(&metric).unwrap_or(&self.warnings)
    }
}

/// Policies in file order; the first that matches a ticket wins.
#[derive(Clone, Debug, Default)]
pub struct Policies(pub Vec<Policy>);

impl Policies {
    pub fn select(
        &self,
        customer: &str,
        service: Option<&str>,
        priority: Priority,
    ) -> Option<&Policy> {
        self.0
            .iter()
            .find(|p| p.matches(customer, service, priority))
    }

    pub fn get(&self, name: &str) -> Option<&Policy> {
        self.0.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_follows_thresholds() {
        let w = Warnings::default();
        let m = MICROS_PER_MIN;
        let t = 6000 * m;
        assert_eq!(w.severity(600 * m, t, false), Severity::Ok);
        assert_eq!(w.severity(3000 * m, t, false), Severity::Warning);
        // 15 and 5 minutes before due on a 20-minute clock: 25 % and 75 % used.
        assert_eq!(w.severity(5 * m, 20 * m, false), Severity::Warning);
        assert_eq!(w.severity(m, 20 * m, false), Severity::Ok);
        assert_eq!(w.severity(5400 * m, t, false), Severity::Critical);
        assert_eq!(w.severity(15 * m, 20 * m, false), Severity::Critical);
        assert_eq!(w.severity(600 * m, t, true), Severity::Breached);
    }

    #[test]
    fn a_percent_threshold_is_crossed_from_the_first_microsecond_at_or_past_it() {
        // 50 % of 3 µs is 1.5 µs: crossed at 2, not at 1 (rounded up, never down).
        assert_eq!(percent_mark(3, 50), 2);
        assert_eq!(percent_mark(200, 50), 100);
        assert_eq!(percent_mark(0, 50), 1);
        assert_eq!(percent_mark(0, 0), 0);
        assert_eq!(percent_mark(Micros::MAX, 100), Micros::MAX);
        let w = Warnings {
            percent: vec![50],
            minutes_before: vec![],
            ..Warnings::default()
        };
        assert_eq!(w.severity(1, 3, false), Severity::Ok);
        assert_eq!(w.severity(2, 3, false), Severity::Critical);
        assert_eq!(minutes_mark(10 * MICROS_PER_MIN, 15), -5 * MICROS_PER_MIN);
        assert_eq!(minutes_mark(Micros::MIN, u32::MAX), Micros::MIN);
    }
}
