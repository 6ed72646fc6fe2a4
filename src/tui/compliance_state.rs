//! What the compliance view keeps: the months computed, the one in view, its
//! selection, drill-down and prompt (the logic is in `compliance`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::model::Priority;
use crate::sla::calendar::Micros;
use crate::sla::penalty::{Compliance, Month, TicketRisk};

/// One month's figures and what they cost.
#[derive(Clone, Debug)]
pub struct Computed {
    pub id: u64,
    pub month: Month,
    pub figures: Arc<Compliance>,
    /// The book's resolved tickets, for the drill-down lists (the board has the open
    /// ones).
    pub briefs: Arc<HashMap<String, Brief>>,
    /// Reading the store (the month's projection rows and the histories it needs).
    pub load_us: u64,
    /// `Book::new` and `compliance()`.
    pub compute_us: u64,
    pub tickets: usize,
}

/// A resolved ticket in one line, sanitised.
#[derive(Clone, Debug, PartialEq)]
pub struct Brief {
    pub priority: Priority,
    pub customer: String,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Flight {
    pub id: u64,
    pub month: Month,
    pub since: Micros,
}

/// The tickets behind one figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Drill {
    pub title: String,
    pub items: Vec<DrillItem>,
    pub sel: usize,
    pub offset: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DrillItem {
    pub ticket: String,
    pub note: String,
}

/// Everything the compliance view keeps.
#[derive(Clone, Debug, Default)]
pub struct ComplianceState {
    /// `None`: this month (follows the clock).
    pub month: Option<Month>,
    /// `None`: every customer.
    pub customer: Option<String>,
    /// The latest figures per month.
    pub computed: BTreeMap<Month, Computed>,
    /// Why the view's month could not be computed.
    pub error: Option<String>,
    pub flight: Option<Flight>,
    pub next_id: u64,
    /// When the view's month and this month were last asked for.
    pub asked: BTreeMap<Month, Micros>,
    /// The last computation's cost (load + compute), for the back-off.
    pub cost_us: u64,
    /// New events since the last request.
    pub dirty: bool,
    pub sel: usize,
    pub col: usize,
    pub offset: usize,
    pub drill: Option<Drill>,
    /// Open tickets whose next hour costs a contract (this month's figures).
    pub marks: BTreeMap<String, Vec<TicketRisk>>,
    pub marks_at: Option<Micros>,
}

impl ComplianceState {
    /// The month in view.
    pub fn month_at(&self, now: DateTime<Utc>, tz: Tz) -> Month {
        self.month.unwrap_or_else(|| Month::current(now, tz))
    }

    /// The figures of the month in view, if computed.
    pub fn shown(&self, now: DateTime<Utc>, tz: Tz) -> Option<&Computed> {
        self.computed.get(&self.month_at(now, tz))
    }

    /// A computation of `month` is under way.
    pub fn computing(&self, month: Month) -> bool {
        self.flight.as_ref().is_some_and(|f| f.month == month)
    }

    /// Whether the queue marks `ticket` (by its stored id).
    pub fn marked(&self, ticket: &str) -> bool {
        self.marks.contains_key(ticket)
    }
}
