//! A nudge: everything a toast, a log line or a desktop notification says about one
//! threshold of one ticket's clock, and the words for it.

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use super::thresholds::ThresholdKind;
use crate::model::Priority;
use crate::sla::calendar::{Micros, MICROS_PER_MIN, MICROS_PER_SEC};
use crate::sla::{Metric, Severity};
use crate::store::NudgeRecord;

/// A nudge sent more than this long after its threshold is marked late.
pub const LATE_AFTER: Micros = 60 * MICROS_PER_SEC;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Nudge {
    pub ticket: String,
    pub customer: String,
    pub title: String,
    pub priority: Priority,
    /// Escalation level and to whom, if the ticket was escalated.
    pub escalation: Option<u8>,
    pub escalated_to: Option<String>,
    pub assignee: Option<String>,
    pub metric: Metric,
    #[serde(flatten)]
    pub kind: ThresholdKind,
    pub severity: Severity,
    /// The clock cycle and budget the threshold belongs to (part of its identity).
    pub cycle_start: Micros,
    pub target: Micros,
    /// The instant the threshold fell on.
    pub threshold_at: Micros,
    /// The deadline (the breach instant).
    pub due: Micros,
    /// When the scheduler let it go.
    pub fired_at: Micros,
    /// Sent more than [`LATE_AFTER`] after its threshold (the program was closed, the
    /// ticket jumped past it, or a snooze held it back).
    pub late: bool,
    /// Sound and desktop pop-up wanted: false when the quiet setting mutes it (never
    /// for a breach).
    pub loud: bool,
}

impl Nudge {
    pub fn is_breach(&self) -> bool {
        self.kind.is_breach()
    }

    /// One line a person can act on: "P1 ACME-4711 breaches restore in 10 min".
    pub fn summary(&self) -> String {
        let who = format!("{} {}", self.priority, self.ticket);
        let what = metric_label(self.metric);
        match self.kind {
            ThresholdKind::Percent(_) | ThresholdKind::MinutesBefore(_) => {
                let left = self.due - self.fired_at;
                if left <= 0 {
                    format!("{who} breaches {what} now")
                } else {
                    format!("{who} breaches {what} in {}", duration(left))
                }
            }
            ThresholdKind::Breach => {
                let ago = self.fired_at - self.due;
                if ago > LATE_AFTER {
                    format!("{who} breached {what} {} ago", duration(ago))
                } else {
                    format!("{who} breached {what}")
                }
            }
            ThresholdKind::Repeat(_) => format!(
                "{who} still breached: {what} {} overdue",
                duration(self.fired_at - self.due)
            ),
        }
    }

    /// Why it fired: "75% of the 4 h restore budget used".
    pub fn why(&self) -> String {
        why(self.metric, self.kind, self.target)
    }

    /// Customer, title, escalation, reason and deadline, one per line, times in `tz`.
    pub fn body<Tz: TimeZone>(&self, tz: &Tz) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        let mut lines = vec![join_nonempty(&self.customer, &self.title, " — ")];
        lines.push(match (self.escalation, &self.escalated_to) {
            (Some(level), Some(to)) if !to.is_empty() => format!("Escalation level {level} ({to})"),
            (Some(level), _) => format!("Escalation level {level}"),
            (None, _) => "Not escalated".to_owned(),
        });
        let when = if self.is_breach() { "was due" } else { "due" };
        lines.push(format!(
            "{} · {when} {}",
            self.why(),
            clock_time(self.due, self.fired_at, tz)
        ));
        if self.late && !matches!(self.kind, ThresholdKind::Repeat(_)) {
            lines.push(format!(
                "Sent late: the threshold passed at {}",
                clock_time(self.threshold_at, self.fired_at, tz)
            ));
        }
        lines.join("\n")
    }

    /// One line for `slawatch watch` and the nudge log.
    pub fn log_line<Tz: TimeZone>(&self, tz: &Tz) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        let fired = instant(self.fired_at).with_timezone(tz);
        let tag = match self.severity {
            Severity::Breached => "BREACH ",
            Severity::Critical => "critical",
            Severity::Warning | Severity::Ok => "warning",
        };
        let mut line = format!("{} {tag} {}", fired.format("%H:%M:%S"), self.summary());
        let about = join_nonempty(&self.customer, &self.title, " · ");
        if !about.is_empty() {
            line.push_str(" — ");
            line.push_str(&about);
        }
        if let Some(level) = self.escalation {
            line.push_str(&format!(" · L{level}"));
        }
        line.push_str(&format!(" ({})", self.why()));
        if self.late && !matches!(self.kind, ThresholdKind::Repeat(_)) {
            line.push_str(&format!(
                " [late: threshold {}]",
                clock_time(self.threshold_at, self.fired_at, tz)
            ));
        }
        if !self.loud {
            line.push_str(" [quiet]");
        }
        line
    }

    /// The row the sent log keeps.
    pub fn record(&self) -> NudgeRecord {
        NudgeRecord {
            ticket: self.ticket.clone(),
            metric: self.metric,
            cycle_start: self.cycle_start,
            target: self.target,
            kind: self.kind.name().to_owned(),
            value: self.kind.value(),
            threshold_at: self.threshold_at,
            due: self.due,
            fired_at: self.fired_at,
            late: self.late,
            loud: self.loud,
            priority: self.priority.to_string(),
            summary: self.summary(),
        }
    }
}

/// Why a nudge of `kind` fired on a `metric` clock with budget `target`:
/// "75% of the 4 h restore budget used".
pub fn why(metric: Metric, kind: ThresholdKind, target: Micros) -> String {
    let budget = duration(target);
    let what = metric_label(metric);
    match kind {
        ThresholdKind::Percent(p) => format!("{p}% of the {budget} {what} budget used"),
        ThresholdKind::MinutesBefore(m) => {
            format!("{m} working min left of the {budget} {what} budget")
        }
        ThresholdKind::Breach => format!("the {budget} {what} budget ran out"),
        ThresholdKind::Repeat(n) => format!("reminder {n}: the {what} deadline has passed"),
    }
}

/// The reason of a nudge from the sent log (for a nudge log view).
pub fn record_why(r: &NudgeRecord) -> String {
    match ThresholdKind::from_parts(&r.kind, r.value) {
        Some(kind) => why(r.metric, kind, r.target),
        None => format!("{} {}", r.kind, r.value),
    }
}

/// How a metric reads in a sentence.
pub fn metric_label(m: Metric) -> &'static str {
    match m {
        Metric::Acknowledge => "acknowledgement",
        Metric::ClientUpdate => "client update",
        Metric::Restore => "restore",
        Metric::Resolve => "resolve",
    }
}

/// "45 s", "10 min", "1 h 05 min", "3 h", "2 d 4 h"; minutes rounded to the nearest.
pub fn duration(us: Micros) -> String {
    let us = us.max(0);
    if us < MICROS_PER_MIN - MICROS_PER_SEC / 2 {
        return format!("{} s", (us + MICROS_PER_SEC / 2) / MICROS_PER_SEC);
    }
    let minutes = (us + MICROS_PER_MIN / 2) / MICROS_PER_MIN;
    let (d, h, m) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m:02} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

fn instant(us: Micros) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// "14:35" on the day of `reference`, "Tue 2 Dec 09:00" on any other.
fn clock_time<Tz: TimeZone>(us: Micros, reference: Micros, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let t = instant(us).with_timezone(tz);
    let r = instant(reference).with_timezone(tz);
    if t.date_naive() == r.date_naive() {
        t.format("%H:%M").to_string()
    } else {
        t.format("%a %-d %b %H:%M").to_string()
    }
}

fn join_nonempty(a: &str, b: &str, sep: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (false, false) => format!("{a}{sep}{b}"),
        (false, true) => a.to_owned(),
        (true, false) => b.to_owned(),
        (true, true) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nudge(kind: ThresholdKind, due_in_min: i64) -> Nudge {
        let now = Utc
            .with_ymd_and_hms(2026, 3, 2, 14, 25, 0)
            .unwrap()
            .timestamp_micros();
        Nudge {
            ticket: "ACME-4711".into(),
            customer: "acme-telecom".into(),
            title: "LOS on LDN-FRA-7".into(),
            priority: Priority::new(1).unwrap(),
            escalation: Some(2),
            escalated_to: Some("noc-l2".into()),
            assignee: None,
            metric: Metric::Restore,
            kind,
            severity: Severity::Critical,
            cycle_start: now - 230 * MICROS_PER_MIN,
            target: 240 * MICROS_PER_MIN,
            threshold_at: now,
            due: now + due_in_min * MICROS_PER_MIN,
            fired_at: now,
            late: false,
            loud: true,
        }
    }

    #[test]
    fn summaries_read_as_actions() {
        assert_eq!(
            nudge(ThresholdKind::MinutesBefore(10), 10).summary(),
            "P1 ACME-4711 breaches restore in 10 min"
        );
        assert_eq!(
            nudge(ThresholdKind::Breach, 0).summary(),
            "P1 ACME-4711 breached restore"
        );
        assert_eq!(
            nudge(ThresholdKind::Breach, -125).summary(),
            "P1 ACME-4711 breached restore 2 h 05 min ago"
        );
        assert_eq!(
            nudge(ThresholdKind::Repeat(1), -30).summary(),
            "P1 ACME-4711 still breached: restore 30 min overdue"
        );
    }

    #[test]
    fn body_names_customer_title_escalation_and_deadline() {
        let mut n = nudge(ThresholdKind::MinutesBefore(10), 10);
        assert_eq!(
            n.body(&Utc),
            "acme-telecom — LOS on LDN-FRA-7\nEscalation level 2 (noc-l2)\n\
             10 working min left of the 4 h restore budget · due 14:35"
        );
        n.late = true;
        n.threshold_at -= 3 * 1440 * MICROS_PER_MIN;
        assert!(n
            .body(&Utc)
            .ends_with("Sent late: the threshold passed at Fri 27 Feb 14:25"));
        n.loud = false;
        assert_eq!(
            n.log_line(&Utc),
            "14:25:00 critical P1 ACME-4711 breaches restore in 10 min — acme-telecom · \
             LOS on LDN-FRA-7 · L2 (10 working min left of the 4 h restore budget) \
             [late: threshold Fri 27 Feb 14:25] [quiet]"
        );
    }

    #[test]
    fn a_sent_log_record_tells_why() {
        let n = nudge(ThresholdKind::Percent(75), 60);
        assert_eq!(
            record_why(&n.record()),
            "75% of the 4 h restore budget used"
        );
        assert_eq!(n.record().summary, n.summary());
    }

    #[test]
    fn durations() {
        assert_eq!(duration(44 * MICROS_PER_SEC), "44 s");
        assert_eq!(duration(9 * MICROS_PER_MIN + 59 * MICROS_PER_SEC), "10 min");
        assert_eq!(duration(65 * MICROS_PER_MIN), "1 h 05 min");
        assert_eq!(duration(180 * MICROS_PER_MIN), "3 h");
        assert_eq!(
            duration(2 * 1440 * MICROS_PER_MIN + 250 * MICROS_PER_MIN),
            "2 d 4 h"
        );
    }
}
