//! A ticket's history folded into the facts its clocks are measured from.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thin_vec::ThinVec;

use super::calendar::Micros;
use crate::model::{Event, EventKind, Priority};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    pub from: Micros,
    /// `None` while the pause lasts.
    pub to: Option<Micros>,
    pub reason: Box<str>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    pub level: u8,
    pub to: Box<str>,
    pub at: Micros,
    /// Whether an `acknowledged` event followed the escalation.
    pub acknowledged: bool,
}

/// Everything the clocks and the console need to know about one ticket as of `now`.
///
/// Compact, because the console holds one per open ticket (100,000 of them): texts
/// are boxed `str`s, lists are thin (one pointer; nothing allocated while empty), and
/// the rare escalation is boxed. Customer and service names, a few dozen values over
/// all tickets, are shared. Serialised exactly as the plain `String`/`Vec` layout
/// the store's projection was written with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub ticket: Box<str>,
    #[serde(deserialize_with = "shared::text")]
    pub customer: Arc<str>,
    #[serde(deserialize_with = "shared::optional_text")]
    pub service: Option<Arc<str>>,
    pub title: Box<str>,
    pub assignee: Option<Box<str>>,
    pub detected_at: Micros,
    pub priority: Priority,
    pub last_priority_change: Option<Micros>,
    /// Every priority in force and since when, oldest first.
    pub priority_history: PriorityHistory,
    /// First acknowledgement or client update: the first response.
    pub first_response_at: Option<Micros>,
    /// The newest `acknowledged` event: an acknowledgement after a breach stops its
    /// repeated nudges. (Absent from projections written before it existed.)
    #[serde(default)]
    pub last_acknowledged_at: Option<Micros>,
    pub client_updates: ThinVec<Micros>,
    pub pauses: ThinVec<Pause>,
    pub restored_at: Option<Micros>,
    pub resolved_at: Option<Micros>,
    pub escalation: Option<Box<Escalation>>,
    pub last_event_at: Micros,
    pub events: u32,
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
        let priority = d.priority().ok_or_else(|| {
            format!(
                "ticket {}: `detected` event has no valid priority",
                d.ticket
            )
        })?;
        let mut f = Facts {
            ticket: d.ticket.as_str().into(),
            customer: shared::intern(d.text("customer").unwrap_or_default()),
            service: d.text("service").map(shared::intern),
            title: d.text("title").unwrap_or_default().into(),
            assignee: d.text("assignee").map(Into::into),
            detected_at: d.at.timestamp_micros(),
            priority,
            last_priority_change: None,
            priority_history: PriorityHistory::new(d.at.timestamp_micros(), priority),
            first_response_at: None,
            last_acknowledged_at: None,
            client_updates: ThinVec::new(),
            pauses: ThinVec::new(),
            restored_at: None,
            resolved_at: None,
            escalation: None,
            last_event_at: d.at.timestamp_micros(),
            events: u32::try_from(order.len()).unwrap_or(u32::MAX),
        };
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
                self.escalation = Some(Box::new(Escalation {
                    level: e.level().unwrap_or(1),
                    to: e.text("to").unwrap_or_default().into(),
                    at,
                    acknowledged: false,
                }));
            }
            EventKind::Paused => {
                self.end_pause(at);
                self.pauses.push(Pause {
                    from: at,
                    to: None,
                    reason: e.text("reason").unwrap_or_default().into(),
                });
            }
            EventKind::Resumed => self.end_pause(at),
            EventKind::PriorityChanged => {
                if let Some(p) = e.priority() {
                    if p != self.priority {
                        self.priority = p;
                        self.last_priority_change = Some(at);
                        self.priority_history.changes.push((at, p));
                    }
                }
            }
            EventKind::Assigned => self.assignee = e.text("to").map(Into::into),
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

/// Every priority in force and since when, oldest first: the one set at detection,
/// then each change. The first is kept inline, as nearly no ticket changes priority;
/// serialised as the list it stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct PriorityHistory {
    first: (Micros, Priority),
    changes: ThinVec<(Micros, Priority)>,
}

impl PriorityHistory {
    pub fn new(at: Micros, priority: Priority) -> PriorityHistory {
        PriorityHistory {
            first: (at, priority),
            changes: ThinVec::new(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &(Micros, Priority)> {
        std::iter::once(&self.first).chain(&self.changes)
    }
}

impl Serialize for PriorityHistory {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PriorityHistory {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = PriorityHistory;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("priorities since instants, the one at detection first")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<PriorityHistory, A::Error> {
                let (at, p) = seq
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::invalid_length(0, &self))?;
                let mut h = PriorityHistory::new(at, p);
                while let Some(change) = seq.next_element()? {
                    h.changes.push(change);
                }
                Ok(h)
            }
        }
        d.deserialize_seq(Entries)
    }
}

/// Customer and service names shared between tickets: each thread keeps the names it
/// has seen (a bounded set: past the bound, names are no longer shared, never lost).
mod shared {
    use std::cell::RefCell;
    use std::collections::HashSet;
    use std::sync::Arc;

    use serde::de::Visitor;
    use serde::Deserializer;

    /// Far more distinct customers and services than any deployment has.
    const MAX_NAMES: usize = 4096;

    thread_local! {
        static NAMES: RefCell<HashSet<Arc<str>>> = RefCell::new(HashSet::new());
    }

    pub fn intern(name: &str) -> Arc<str> {
        NAMES.with_borrow_mut(|names| {
            if let Some(known) = names.get(name) {
                return Arc::clone(known);
            }
            let name: Arc<str> = Arc::from(name);
            if names.len() < MAX_NAMES {
                names.insert(Arc::clone(&name));
            }
            name
        })
    }

    struct Name;

    impl<'de> Visitor<'de> for Name {
        type Value = Arc<str>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a name")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Arc<str>, E> {
            Ok(intern(v))
        }
    }

    struct OptionalName;

    impl<'de> Visitor<'de> for OptionalName {
        type Value = Option<Arc<str>>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a name or nothing")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            text(d).map(Some)
        }
    }

    /// Read in place (no `String` on the way): a snapshot decodes 100,000 of them.
    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        d.deserialize_str(Name)
    }

    pub fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Arc<str>>, D::Error> {
        d.deserialize_option(OptionalName)
    }
}
