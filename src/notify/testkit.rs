//! Fixtures for the nudge tests: a 24x7 calendar, two policies, tickets built event
//! by event, and instants on 2 March 2026 written "HH:MM".

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::Scheduler;
use crate::config::calendars::parse_calendars;
use crate::config::policies::parse_policies;
use crate::model::{Event, EventKind};
use crate::sla::{Calendars, Facts, Micros, Policies};

pub const CALENDARS: &str = r#"
[calendar.24x7]
timezone = "UTC"
always = true
"#;

/// Restore only, so each test follows one clock; a second policy restarts clocks on a
/// priority change and keeps client updates.
pub const POLICIES: &str = r#"
[[policy]]
name = "updates"
calendar = "24x7"
customers = ["initech"]
priority_change = "restart"
[policy.targets.P1]
client_update = "1h"
[policy.targets.P2]
client_update = "2h"
[policy.warnings]
percent = [50]
minutes_before = [10]
repeat_after_breach = "never"

[[policy]]
name = "carrier"
calendar = "24x7"
[policy.targets.P1]
restore = "4h"
[policy.targets.P2]
restore = "8h"
[policy.pause_reasons]
customer = ["restore"]
vendor = []
[policy.warnings]
percent = [50, 75, 90]
minutes_before = [15, 5]
repeat_after_breach = "30m"
"#;

pub fn config() -> (Arc<Policies>, Calendars) {
    let cals = parse_calendars(Path::new("c.toml"), CALENDARS).unwrap();
    let pols = parse_policies(Path::new("p.toml"), POLICIES, &cals).unwrap();
    (Arc::new(pols), cals)
}

pub fn scheduler() -> Scheduler {
    let (pols, cals) = config();
    Scheduler::new(pols, cals)
}

pub fn t(hm: &str) -> Micros {
    DateTime::parse_from_rfc3339(&format!("2026-03-02T{hm}:00Z"))
        .unwrap()
        .with_timezone(&Utc)
        .timestamp_micros()
}

pub fn hm(us: Micros) -> String {
    DateTime::from_timestamp_micros(us)
        .unwrap()
        .format("%H:%M")
        .to_string()
}

pub struct Ticket {
    pub id: String,
    pub events: Vec<Event>,
}

impl Ticket {
    pub fn new(id: &str, customer: &str, priority: &str, at: &str) -> Ticket {
        let mut tk = Ticket {
            id: id.into(),
            events: Vec::new(),
        };
        tk.push(
            EventKind::Detected,
            at,
            json!({"priority": priority, "customer": customer, "title": "LOS on LDN-FRA-7"}),
        );
        tk
    }

    pub fn push(&mut self, kind: EventKind, at: &str, payload: serde_json::Value) -> &mut Self {
        let at = DateTime::from_timestamp_micros(t(at)).unwrap();
        self.events.push(Event {
            id: format!("{}-{}", self.id, self.events.len()),
            ticket: self.id.clone(),
            kind,
            at,
            recorded_at: at,
            actor: "alice".into(),
            payload: serde_json::from_value(payload).unwrap(),
        });
        self
    }

    pub fn facts(&self) -> std::sync::Arc<Facts> {
        std::sync::Arc::new(Facts::fold(&self.events, DateTime::<Utc>::MAX_UTC).unwrap())
    }

    pub fn feed(&self, s: &mut Scheduler, now: &str) {
        s.update(&self.id, Some(&self.facts()), t(now));
    }
}
