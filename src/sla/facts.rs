//! A ticket's history folded into the facts its clocks are measured from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::Micros;
use crate::model::{Event, EventKind, Priority};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    pub from: Micros,
    /// `None` while the pause lasts.
    pub to: Option<Micros>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    pub level: u8,
    pub to: String,
    pub at: Micros,
    /// Whether an `acknowledged` event followed the escalation.
    pub acknowledged: bool,
}

/// Everything the clocks and the console need to know about one ticket as of `now`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub ticket: String,
    pub customer: String,
    pub service: Option<String>,
    pub title: String,
    pub assignee: Option<String>,
    pub detected_at: Micros,
    pub priority: Priority,
    pub last_priority_change: Option<Micros>,
    /// Every priority in force and since when, oldest first.
    pub priority_history: Vec<(Micros, Priority)>,
    /// First acknowledgement or client update: the first response.
    pub first_response_at: Option<Micros>,
    /// The newest `acknowledged` event: an acknowledgement after a breach stops its
    /// repeated nudges. (Absent from projections written before it existed.)
    #[serde(default)]
    pub last_acknowledged_at: Option<Micros>,
    pub client_updates: Vec<Micros>,
    pub pauses: Vec<Pause>,
    pub restored_at: Option<Micros>,
    pub resolved_at: Option<Micros>,
    pub escalation: Option<Escalation>,
    pub last_event_at: Micros,
    pub events: usize,
}

impl Facts {
    /// Folds one ticket's events (any order) that happened at or before `now`.
    pub fn fold(events: &[Event], now: DateTime<Utc>) -> Result<Facts, String> {
        let now = now.timestamp_micros();
        let mut order: Vec<&Event> = events
            .iter()
            .filter(|e| e.at.timestamp_micros() <= now)
            .collect();
        // Stable: events at the same instant keep their recorded order.
        order.sort_by_key(|e| e.at);
        let detected = order
            .iter()
            .position(|e| e.kind == EventKind::Detected)
            .ok_or_else(|| {
                let id = events.first().map_or("?", |e| e.ticket.as_str());
                format!("ticket {id} has no `detected` event at or before now")
            })?;
        let d = order[detected];
        let mut f = Facts {
            ticket: d.ticket.clone(),
            customer: d.text("customer").unwrap_or_default().to_owned(),
            service: d.text("service").map(str::to_owned),
            title: d.text("title").unwrap_or_default().to_owned(),
            assignee: d.text("assignee").map(str::to_owned),
            detected_at: d.at.timestamp_micros(),
            priority: d.priority().ok_or_else(|| {
                format!(
                    "ticket {}: `detected` event has no valid priority",
                    d.ticket
                )
            })?,
            last_priority_change: None,
            priority_history: Vec::new(),
            first_response_at: None,
            last_acknowledged_at: None,
            client_updates: Vec::new(),
            pauses: Vec::new(),
            restored_at: None,
            resolved_at: None,
            escalation: None,
            last_event_at: d.at.timestamp_micros(),
            events: order.len(),
        };
        f.priority_history.push((f.detected_at, f.priority));
        for e in &order[detected + 1..] {
            f.apply(e);
        }
        Ok(f)
    }

    fn apply(&mut self, e: &Event) {
        let at = e.at.timestamp_micros();
        self.last_event_at = self.last_event_at.max(at);
        match e.kind {
            EventKind::Acknowledged => {
                self.first_response_at.get_or_insert(at);
                self.last_acknowledged_at = Some(at);
                if let Some(esc) = &mut self.escalation {
                    esc.acknowledged = true;
                }
            }
            EventKind::ClientUpdate => {
                self.first_response_at.get_or_insert(at);
                self.client_updates.push(at);
            }
            EventKind::Escalated => {
                self.escalation = Some(Escalation {
                    level: e.level().unwrap_or(1),
                    to: e.text("to").unwrap_or_default().to_owned(),
                    at,
                    acknowledged: false,
                });
            }
            EventKind::Paused => {
                self.end_pause(at);
                self.pauses.push(Pause {
                    from: at,
                    to: None,
                    reason: e.text("reason").unwrap_or_default().to_owned(),
                });
            }
            EventKind::Resumed => self.end_pause(at),
            EventKind::PriorityChanged => {
                if let Some(p) = e.priority() {
                    if p != self.priority {
                        self.priority = p;
                        self.last_priority_change = Some(at);
                        self.priority_history.push((at, p));
                    }
                }
            }
            EventKind::Assigned => self.assignee = e.text("to").map(str::to_owned),
            EventKind::Restored => {
                self.restored_at.get_or_insert(at);
            }
            EventKind::Resolved => {
                self.end_pause(at);
                self.resolved_at.get_or_insert(at);
                self.restored_at.get_or_insert(at);
            }
            EventKind::Detected
            | EventKind::CarrierUpdate
            | EventKind::Note
            | EventKind::Penalty
            | EventKind::PenaltyAdjusted => {}
        }
    }

    fn end_pause(&mut self, at: Micros) {
        if let Some(p) = self.pauses.last_mut() {
            if p.to.is_none() {
                p.to = Some(at);
            }
        }
    }

    /// The priority in force at `t`.
    pub fn priority_at(&self, t: Micros) -> Priority {
        self.priority_history
            .iter()
            .take_while(|(since, _)| *since <= t)
            .last()
            .map_or(self.priority, |(_, p)| *p)
    }

    pub fn current_pause(&self) -> Option<&Pause> {
        self.pauses.last().filter(|p| p.to.is_none())
    }

    pub fn is_open(&self) -> bool {
        self.resolved_at.is_none()
    }
}
