//! Everything modal, one at a time: while an overlay is open it takes the keys first,
//! and no two can be open together (each was an `Option` of its own before, so that
//! impossible combinations could be represented).

use super::form::Form;
use super::nudges_state::SnoozeModal;
use crate::sync::Decision;

#[derive(Clone, Debug)]
pub enum Overlay {
    /// A form that records one event.
    Form(Form),
    /// The queue's filter prompt, with its text as typed.
    Filter(String),
    /// The compliance view's month prompt, and why its text was refused.
    Month {
        text: String,
        error: Option<String>,
    },
    Snooze(SnoozeModal),
    /// The decision on the oldest event the server could not take as recorded.
    Decide(DecideModal),
}

/// An event kept in a server's outbox for the agent to decide (see `tui::decide`); its
/// texts sanitised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecideModal {
    pub id: String,
    /// `note on NORD-4955`.
    pub label: String,
    /// When and by whom it was recorded, and what it says.
    pub what: String,
    /// Why it was not stored.
    pub why: String,
    /// Index into [`DECISIONS`].
    pub selected: usize,
    /// How many more wait after this one.
    pub more: usize,
}

/// The choices, in the order shown (a digit picks one).
pub const DECISIONS: [(Decision, &str); 2] = [
    (
        Decision::Resubmit,
        "re-submit it on the ticket as it is now",
    ),
    (Decision::Discard, "discard it: it is never stored"),
];

impl Overlay {
    pub fn form(&self) -> Option<&Form> {
        match self {
            Overlay::Form(f) => Some(f),
            _ => None,
        }
    }

    pub fn filter(&self) -> Option<&str> {
        match self {
            Overlay::Filter(t) => Some(t),
            _ => None,
        }
    }

    /// The month prompt's text and complaint.
    pub fn month(&self) -> Option<(&str, Option<&str>)> {
        match self {
            Overlay::Month { text, error } => Some((text, error.as_deref())),
            _ => None,
        }
    }

    pub fn snooze(&self) -> Option<&SnoozeModal> {
        match self {
            Overlay::Snooze(m) => Some(m),
            _ => None,
        }
    }

    pub fn decide(&self) -> Option<&DecideModal> {
        match self {
            Overlay::Decide(m) => Some(m),
            _ => None,
        }
    }
}
