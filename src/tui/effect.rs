//! What the console's update asks the outside world to do (the event loop does it).

use crate::model::Event;

/// What `update` asks the outside world to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Record `event`; with `seen`, only on top of the ticket's first `seen` events
    /// (what the agent saw when they opened the form).
    Append {
        event: Event,
        seen: Option<u32>,
    },
    LoadHistory(String),
    /// List the closed tickets the query picks.
    LoadClosed(crate::sync::closed::ClosedQuery),
    Bell,
    /// Clear and repaint the whole screen.
    Redraw,
    Quit,
    /// Ask the compliance worker for a month's figures.
    Compliance(crate::sync::jobs::Request),
    /// Hold back the ticket's warnings (never its breach) for `minutes`.
    Snooze {
        ticket: String,
        minutes: u32,
    },
    Unsnooze(String),
    /// Carry out the agent's decision on an event the server's outbox keeps.
    Decide {
        id: String,
        decision: crate::sync::Decision,
    },
}
