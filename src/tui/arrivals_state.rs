//! What the console keeps of arrived urgent tickets (the logic is in `arrivals`).

use std::collections::HashMap;

use crate::model::Priority;
use crate::sla::calendar::{Micros, MICROS_PER_SEC};

/// How long an arrived ticket's row stays marked.
pub const MARKED_FOR: Micros = 60 * MICROS_PER_SEC;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrivals {
    /// The priorities announced (default P1 and P2).
    pub priorities: Vec<Priority>,
    /// Whether an arrival may ring: the quiet level lets critical warnings ring.
    pub ring: bool,
    /// Ticket → when it arrived, while its row is marked.
    pub marked: HashMap<String, Micros>,
}

impl Default for Arrivals {
    fn default() -> Arrivals {
        Arrivals {
            priorities: [1, 2].into_iter().filter_map(Priority::new).collect(),
            ring: true,
            marked: HashMap::new(),
        }
    }
}

impl Arrivals {
    /// Since when `ticket`'s row says it is new, if it still does at `now`.
    pub fn marked_since(&self, ticket: &str, now: Micros) -> Option<Micros> {
        self.marked
            .get(ticket)
            .copied()
            .filter(|&at| now - at < MARKED_FOR)
    }

    /// Drops the marks that are down (call on the tick).
    pub fn tick(&mut self, now: Micros) {
        self.marked.retain(|_, &mut at| now - at < MARKED_FOR);
    }
}
