//! What a key can ask for. Keys map only to these (see `keymap.toml`); `update` gives
//! them their meaning in the current view.

use serde::{Deserialize, Serialize};
use strum::{EnumMessage, EnumString, IntoStaticStr, VariantArray};

/// The key layers of `keymap.toml`, one per view plus `global` and `form`; each
/// with its name there and its heading in the help view.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Section {
    /// Active in every view (not inside a form).
    #[strum(message = "Everywhere")]
    Global,
    #[strum(message = "Queue")]
    Queue,
    #[strum(message = "Ticket")]
    Ticket,
    #[strum(message = "Escalations")]
    Escalations,
    #[strum(message = "Help")]
    Help,
    /// Inside a modal form or the filter prompt.
    #[strum(message = "Forms, filter and month prompts")]
    Form,
    /// The compliance view (adherence, penalties, error budgets) and its drill-down.
    #[strum(message = "Compliance")]
    Compliance,
    /// The nudge log: the warnings and breach alerts sent.
    #[strum(message = "Nudge log")]
    Nudges,
    /// Closed tickets: today's, or those a search found.
    #[strum(message = "Closed tickets")]
    Closed,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Global,
        Section::Queue,
        Section::Ticket,
        Section::Escalations,
        Section::Compliance,
        Section::Nudges,
        Section::Closed,
        Section::Help,
        Section::Form,
    ];
    /// The views, each active together with `global`.
    pub const VIEWS: [Section; 7] = [
        Section::Queue,
        Section::Ticket,
        Section::Escalations,
        Section::Help,
        Section::Compliance,
        Section::Nudges,
        Section::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Section> {
        s.parse().ok()
    }

    pub fn title(self) -> &'static str {
        self.get_message().unwrap_or_default()
    }
}

macro_rules! actions {
    ($( $variant:ident = $name:literal, $desc:literal, [$($section:ident),*]; )*) => {
        /// Everything a binding can name.
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            EnumString, IntoStaticStr, EnumMessage, VariantArray,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum Action { $(#[strum(serialize = $name, message = $desc)] $variant,)* }

        impl Action {
            pub const ALL: &'static [Action] = Action::VARIANTS;

            /// The name used in `keymap.toml`.
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// One line for the help view.
            pub fn describe(self) -> &'static str {
                self.get_message().unwrap_or_default()
            }

            /// The sections this action can be bound in.
            pub fn sections(self) -> &'static [Section] {
                match self { $(Action::$variant => &[$(Section::$section),*],)* }
            }
        }
    };
}

actions! {
    Quit = "quit", "quit the console", [Global];
    Help = "help", "show every key binding", [Global];
    NextView = "next_view", "next view (queue, escalations, compliance, nudge log, closed, ticket)", [Global];
    PrevView = "prev_view", "previous view", [Global];
    Back = "back", "back to the previous view; clear the filter in the queue", [Global];
    Filter = "filter", "filter by id, customer, title or assignee (in the closed list: search every closed ticket)", [Global];
    Closed = "closed", "closed tickets: those closed today; the filter key there searches every closed ticket", [Global];
    Redraw = "redraw", "redraw the whole screen", [Global];
    Open = "open", "open the selected ticket", [Queue, Escalations, Nudges, Closed];
    Up = "up", "move up / scroll up", [Queue, Ticket, Escalations, Help, Compliance, Nudges, Closed];
    Down = "down", "move down / scroll down", [Queue, Ticket, Escalations, Help, Compliance, Nudges, Closed];
    PageUp = "page_up", "one page up", [Queue, Ticket, Escalations, Help, Compliance, Nudges, Closed];
    PageDown = "page_down", "one page down", [Queue, Ticket, Escalations, Help, Compliance, Nudges, Closed];
    Top = "top", "first row / oldest event", [Queue, Ticket, Escalations, Help, Compliance, Nudges, Closed];
    Bottom = "bottom", "last row / newest event", [Queue, Ticket, Escalations, Help, Compliance, Nudges, Closed];
    FilterMine = "filter_mine", "quick filter: assigned to me", [Queue, Escalations];
    FilterBreached = "filter_breached", "quick filter: breached", [Queue, Escalations];
    FilterAtRisk = "filter_at_risk", "quick filter: at risk (warning or critical)", [Queue, Escalations];
    FilterPaused = "filter_paused", "quick filter: paused", [Queue, Escalations];
    FilterP1 = "filter_p1", "quick filter: priority P1 (toggle)", [Queue, Escalations];
    FilterP2 = "filter_p2", "quick filter: priority P2 (toggle)", [Queue, Escalations];
    FilterP3 = "filter_p3", "quick filter: priority P3 (toggle)", [Queue, Escalations];
    FilterP4 = "filter_p4", "quick filter: priority P4 and lower (toggle)", [Queue, Escalations];
    ClearFilters = "clear_filters", "clear the text and quick filters", [Queue, Escalations];
    FilterUnassigned = "filter_unassigned", "quick filter: assigned to nobody", [Queue, Escalations];
    Sort = "sort", "sort by the next column (then age, last activity); a click on a column's heading sorts by it", [Queue];
    SortReverse = "sort_reverse", "reverse the sort (the header's arrow turns)", [Queue];
    Group = "group", "group the queue under headers with counts: by customer, assignee, escalation level, none", [Queue];
    Freeze = "freeze", "freeze the queue order (data keeps updating)", [Queue];
    Acknowledge = "acknowledge", "record: acknowledged", [Queue, Ticket, Escalations];
    Escalate = "escalate", "record: escalated (level, to whom, note)", [Queue, Ticket, Escalations];
    ClientUpdate = "client_update", "record: client update (restarts the update clock)", [Queue, Ticket, Escalations];
    CarrierUpdate = "carrier_update", "record: carrier update", [Queue, Ticket, Escalations];
    Pause = "pause", "record: pause with a reason / resume", [Queue, Ticket, Escalations];
    Restored = "restored", "record: service restored", [Queue, Ticket, Escalations];
    Resolve = "resolve", "record: resolved (root cause)", [Queue, Ticket, Escalations];
    Note = "note", "record: note", [Queue, Ticket, Escalations];
    Priority = "priority", "record: priority change", [Queue, Ticket, Escalations];
    Assign = "assign", "record: assigned", [Queue, Ticket, Escalations];
    Submit = "submit", "submit the form / apply the filter", [Form];
    Cancel = "cancel", "close the form / drop the filter", [Form];
    NextField = "next_field", "next field", [Form];
    PrevField = "prev_field", "previous field", [Form];
    ChoiceNext = "choice_next", "next choice in a choice field", [Form];
    ChoicePrev = "choice_prev", "previous choice in a choice field", [Form];
    Compliance = "compliance", "compliance view: adherence, penalty exposure, error budgets", [Global];
    Drill = "drill", "list the tickets behind the selected figure / open the selected ticket", [Compliance];
    PrevFigure = "prev_figure", "previous figure in the row", [Compliance];
    NextFigure = "next_figure", "next figure in the row", [Compliance];
    PrevMonth = "prev_month", "previous month", [Compliance];
    NextMonth = "next_month", "next month", [Compliance];
    ThisMonth = "this_month", "back to this month", [Compliance];
    ChooseMonth = "choose_month", "type a month (YYYY-MM)", [Compliance];
    NextCustomer = "next_customer", "show the next customer only (all, then each in turn)", [Compliance];
    PrevCustomer = "prev_customer", "show the previous customer only", [Compliance];
    Recompute = "recompute", "compute the figures again now", [Compliance];
    NudgeLog = "nudge_log", "nudge log: the warnings and breach alerts sent, newest first", [Global];
    Dismiss = "dismiss", "dismiss the toasts (the nudge log keeps every nudge)", [Global];
    Decide = "decide", "decide about an event the server could not store as recorded (its ticket moved on meanwhile): re-submit or discard it", [Global];
    Snooze = "snooze", "snooze the ticket's warnings 5, 15 or 30 min (breaches still alert) / unsnooze", [Queue, Ticket, Escalations];
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            // Its name before grouping also took assignees and levels.
            "group_by_customer" => Some(Action::Group),
            _ => s.parse().ok(),
        }
    }

    /// The cursor keys every list shares.
    pub fn moves(self) -> bool {
        matches!(
            self,
            Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
        )
    }

    /// Actions that open a form to record an event.
    pub fn records(self) -> bool {
        matches!(
            self,
            Action::Acknowledge
                | Action::Escalate
                | Action::ClientUpdate
                | Action::CarrierUpdate
                | Action::Pause
                | Action::Restored
                | Action::Resolve
                | Action::Note
                | Action::Priority
                | Action::Assign
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for &a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::json!(a.as_str())
            );
            assert!(!a.sections().is_empty());
        }
        for s in Section::ALL {
            assert_eq!(Section::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
            assert!(!s.title().is_empty());
        }
        assert_eq!(Section::Form.title(), "Forms, filter and month prompts");
        assert_eq!(Action::parse("next_view"), Some(Action::NextView));
        assert_eq!(
            Action::NextView.describe(),
            "next view (queue, escalations, compliance, nudge log, closed, ticket)"
        );
    }
}
