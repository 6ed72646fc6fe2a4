//! Everything modal, one at a time: while an overlay is open it takes the keys first,
//! and no two can be open together (each was an `Option` of its own before, so that
//! impossible combinations could be represented).

use super::form::Form;
use super::nudges_state::SnoozeModal;

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
}

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
}
