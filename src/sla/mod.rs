//! The SLA core: calendars, policies and clocks. Pure: no I/O, no system clock; `now`
//! is always a parameter.

pub mod calendar;
pub mod clock;
pub mod facts;
pub mod penalty;
pub mod policy;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use calendar::{Calendar, Micros};
pub use clock::{Clock, ClockState};
pub use facts::Facts;
pub use policy::{Metric, Policies, Policy, PriorityChange, Severity, Warnings};

use crate::model::Event;

/// Compiled calendars by name.
#[derive(Clone, Debug, Default)]
pub struct Calendars(BTreeMap<String, Arc<Calendar>>);

impl Calendars {
    pub fn new(map: BTreeMap<String, Arc<Calendar>>) -> Self {
        Calendars(map)
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Calendar>> {
        self.0.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// One ticket's SLA picture as of `now`.
#[derive(Clone, Debug)]
pub struct TicketSla {
    /// Shared: a book keeps one copy of each ticket's facts however often it is looked at.
    pub facts: Arc<Facts>,
    pub policy: String,
    pub calendar: String,
    pub clocks: Vec<Clock>,
}

impl TicketSla {
    /// The live clock that breaches first (breached ones first of all).
    pub fn most_urgent(&self) -> Option<&Clock> {
        self.clocks.iter().filter(|c| c.is_live()).min_by_key(|c| {
            (
                c.state != ClockState::Breached,
                c.due.unwrap_or(Micros::MAX),
            )
        })
    }
}

#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    pub tickets: Vec<TicketSla>,
    /// Tickets that could not be evaluated, with the reason.
    pub problems: Vec<(String, String)>,
}

/// Evaluates one ticket's events (any order; events after `now` are ignored).
pub fn evaluate_ticket(
    policies: &Policies,
    calendars: &Calendars,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<TicketSla, String> {
    evaluate_facts(
        policies,
        calendars,
        Arc::new(Facts::fold(events, now)?),
        now,
    )
}

/// Evaluates one ticket from facts folded over every one of its events; they must hold
/// nothing that happened after `now` (`facts.last_event_at <= now`), or the clocks
/// would count events from the future.
pub fn evaluate_facts(
    policies: &Policies,
    calendars: &Calendars,
    facts: Arc<Facts>,
    now: DateTime<Utc>,
) -> Result<TicketSla, String> {
    if facts.last_event_at > now.timestamp_micros() {
        return Err(format!(
            "ticket {}: its facts include events after {now}",
            facts.ticket
        ));
    }
    let policy = policies
        .select(&facts.customer, facts.service.as_deref(), facts.priority)
        .ok_or_else(|| {
            format!(
                "ticket {}: no policy matches customer {:?}, priority {}",
                facts.ticket, facts.customer, facts.priority
            )
        })?;
    let cal = calendars.get(&policy.calendar).ok_or_else(|| {
        format!(
            "ticket {}: policy `{}` names unknown calendar `{}`",
            facts.ticket, policy.name, policy.calendar
        )
    })?;
    let clocks = clock::clocks(&facts, policy, cal, now);
    Ok(TicketSla {
        facts,
        policy: policy.name.clone(),
        calendar: policy.calendar.clone(),
        clocks,
    })
}

/// Evaluates every ticket found in `events`, in order of first appearance.
pub fn evaluate(
    policies: &Policies,
    calendars: &Calendars,
    events: &[Event],
    now: DateTime<Utc>,
) -> Evaluation {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<Vec<Event>> = Vec::new();
    for e in events {
        let i = *index.entry(e.ticket.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(e.clone());
    }
    let mut out = Evaluation::default();
    for group in groups {
        // A ticket whose whole history lies after `now` does not exist yet.
        if group.iter().all(|e| e.at > now) {
            continue;
        }
        match evaluate_ticket(policies, calendars, &group, now) {
            Ok(t) => out.tickets.push(t),
            Err(why) => out.problems.push((group[0].ticket.clone(), why)),
        }
    }
    out
}

#[cfg(test)]
mod tests;
