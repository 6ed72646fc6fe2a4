//! Everything the console shows, owned by the UI task and changed only by `update`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::board::Board;
use super::effect::Effect;
use super::form::Form;
use super::keymap::Keymap;
use super::overlay::Overlay;
use super::sanitize::clean;
use crate::model::{Event, EventKind};
use crate::sla::calendar::Micros;

#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
pub enum View {
    Queue,
    Ticket,
    Escalations,
    Help,
    Compliance,
    /// The nudge log.
    Nudges,
    /// Closed tickets.
    Closed,
}

impl View {
    pub fn section(self) -> super::action::Section {
        use super::action::Section;
        match self {
            View::Queue => Section::Queue,
            View::Ticket => Section::Ticket,
            View::Escalations => Section::Escalations,
            View::Help => Section::Help,
            View::Compliance => Section::Compliance,
            View::Nudges => Section::Nudges,
            View::Closed => Section::Closed,
        }
    }

    /// Its tab's name.
    pub fn title(self) -> &'static str {
        self.into()
    }
}

/// A list selection: it keeps its row while tickets move under it (acknowledging the
/// second row leaves the cursor on the second row), or, with `follow`
/// (`follow_selection` in config.toml), follows its ticket wherever the order takes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListSel {
    pub key: Option<String>,
    pub row: usize,
    /// First row shown (kept in view by the renderer too).
    pub offset: usize,
    pub follow: bool,
}

impl ListSel {
    /// The selected row in `rows`.
    pub fn cursor(&self, board: &Board, rows: &[u32]) -> usize {
        if rows.is_empty() {
            return 0;
        }
        if let Some(key) = self.key.as_ref().filter(|_| self.follow) {
            if let Some(i) = board.find(key) {
                if let Some(p) = rows.iter().position(|&r| r == i) {
                    return p;
                }
            }
        }
        self.row.min(rows.len() - 1)
    }

    pub fn select(&mut self, board: &Board, rows: &[u32], row: usize) {
        if rows.is_empty() {
            self.key = None;
            self.row = 0;
            return;
        }
        let row = row.min(rows.len() - 1);
        self.row = row;
        self.key = board.entry(rows[row]).map(|e| e.key().to_owned());
    }
}

/// The escalations list: recomputed when the board changes while it is in view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscList {
    pub sel: ListSel,
    pub rows: Vec<u32>,
    /// The board's version `rows` were taken at.
    pub version: u64,
}

impl Default for EscList {
    fn default() -> EscList {
        EscList {
            sel: ListSel::default(),
            rows: Vec::new(),
            version: u64::MAX,
        }
    }
}

/// One event of the open ticket's timeline, sanitised.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineRow {
    pub at: Micros,
    pub actor: String,
    pub kind: EventKind,
    pub text: String,
    /// Submitted from this console, not yet confirmed by the store.
    pub pending: bool,
    pub id: String,
}

impl TimelineRow {
    pub fn of(e: &Event, pending: bool) -> TimelineRow {
        TimelineRow {
            at: e.at.timestamp_micros(),
            actor: clean(&e.actor),
            kind: e.kind,
            text: clean(&event_text(e)),
            pending,
            id: e.id.clone(),
        }
    }
}

/// What an event says, in one line: the wording evidence and reports use.
pub fn event_text(e: &Event) -> String {
    match crate::report::wording::describe(e, None) {
        (what, Some(detail)) => format!("{what} — {detail}"),
        (what, None) => what,
    }
}

#[derive(Clone, Debug)]
pub struct TicketState {
    pub key: String,
    /// The ticket as its history folds while it is not on the board (closed): the
    /// board holds open tickets only.
    pub closed: Option<Box<super::board::Entry>>,
    pub timeline: Option<Vec<TimelineRow>>,
    pub error: Option<String>,
    /// First timeline row shown; `None` follows the newest event.
    pub scroll: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceStatus {
    /// Where the data comes from, for the header.
    pub label: String,
    pub loaded: bool,
    /// Last successful read of the store.
    pub last_ok: Option<Micros>,
    /// A read that started and has not answered yet.
    pub busy_since: Option<Micros>,
    pub error: Option<String>,
    pub failures: u32,
    /// Events recorded here and not yet stored (kept and retried).
    pub unsaved: usize,
    /// The store file cannot be written: nothing recorded here can be stored.
    pub read_only: bool,
    /// A worker panicked and runs again: the header keeps saying so.
    pub restarted: Option<String>,
    /// On a server: how its link stands.
    pub link: Option<crate::sync::Link>,
    /// On a server: the events its outbox keeps for the agent to decide, oldest first.
    pub undecided: Vec<crate::sync::Undecided>,
    /// Decisions sent and not answered yet: (event id, what it is, as shown).
    pub deciding: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Flash {
    pub text: String,
    pub at: Micros,
    pub error: bool,
}

/// Views `back` remembers at most.
const NAV_DEPTH: usize = 16;

/// How long a flash message stays in the footer.
pub const FLASH_FOR: Micros = 6_000_000;

pub struct State {
    pub board: Board,
    pub keymap: Arc<Keymap>,
    pub agent: String,
    /// The agent's name is only the login name nobody chose (the header says so).
    pub agent_unchosen: bool,
    pub tz: Tz,
    pub bell: bool,
    /// Clicks and the wheel are taken (config.toml `mouse`).
    pub mouse: bool,
    pub view: View,
    /// The views `back` returns to, the latest last (see [`State::enter`]).
    pub nav: Vec<View>,
    pub queue: ListSel,
    pub esc: EscList,
    pub ticket: Option<TicketState>,
    pub help_scroll: usize,
    /// The form, prompt or modal open, if one is.
    pub overlay: Option<Overlay>,
    pub source: SourceStatus,
    pub flash: Option<Flash>,
    /// Terminal size, from resize events.
    pub size: (u16, u16),
    /// Where things go at that size (shared by update and draw).
    pub layout: super::layout::Layout,
    pub quit: bool,
    /// Where the user's config files are (for the help view).
    pub config_dir: Option<String>,
    /// The compliance view, and the queue marks its figures give.
    pub compliance: super::compliance_state::ComplianceState,
    /// Toasts, the nudge log, snoozes and the snooze modal.
    pub nudges: super::nudges_state::NudgeState,
    /// Urgent tickets that arrived lately.
    pub arrivals: super::arrivals_state::Arrivals,
    /// Forms submitted and not stored yet (one comes back if its ticket moved on).
    pub submitted: super::form::Submitted,
    /// The queue's groups while it is grouped.
    pub groups: super::groups::Groups,
    /// The closed tickets listed.
    pub closed: super::closed_state::ClosedState,
}

impl State {
    pub fn new(board: Board, keymap: Arc<Keymap>, agent: String, tz: Tz, source: String) -> State {
        State {
            board,
            keymap,
            agent,
            agent_unchosen: false,
            tz,
            bell: false,
            mouse: false,
            view: View::Queue,
            nav: Vec::new(),
            queue: ListSel::default(),
            esc: EscList::default(),
            ticket: None,
            help_scroll: 0,
            overlay: None,
            source: SourceStatus {
                label: source,
                ..SourceStatus::default()
            },
            flash: None,
            size: (80, 24),
            layout: Default::default(),
            quit: false,
            config_dir: None,
            compliance: Default::default(),
            nudges: Default::default(),
            arrivals: Default::default(),
            submitted: Default::default(),
            groups: Default::default(),
            closed: Default::default(),
        }
    }

    /// Goes to `v`, which `back` leaves again for the view shown now (the help view,
    /// a passing look, is left out).
    pub fn enter(&mut self, v: View) {
        if self.view == v {
            return;
        }
        if self.view != View::Help {
            self.nav.push(self.view);
            if self.nav.len() > NAV_DEPTH {
                self.nav.remove(0);
            }
        }
        self.view = v;
    }

    /// Back to the view `v` was entered from; the queue when there is none. False when
    /// already at the bottom (the queue).
    pub fn back(&mut self) -> bool {
        match self.nav.pop() {
            Some(v) => self.view = v,
            None if self.view == View::Queue => return false,
            None => self.view = View::Queue,
        }
        true
    }

    /// Goes to `v` as a tab does: nothing to go back to but the queue.
    pub fn switch(&mut self, v: View) {
        self.nav.clear();
        self.view = v;
    }

    /// Opens `key` (a stored ticket id) in the ticket view and asks for its history.
    pub fn open_ticket(&mut self, key: &str, fx: &mut Vec<Effect>) {
        if self.ticket.as_ref().is_none_or(|t| t.key != key) {
            self.ticket = Some(TicketState {
                key: key.to_owned(),
                closed: None,
                timeline: None,
                error: None,
                scroll: None,
            });
        }
        self.enter(View::Ticket);
        fx.push(Effect::LoadHistory(key.to_owned()));
    }

    /// Opens the ticket the recording keys act on (see [`State::target`]).
    pub fn open_selected(&mut self, fx: &mut Vec<Effect>) {
        let key = self
            .target()
            .and_then(|i| self.board.entry(i))
            .map(|e| e.key().to_owned());
        if let Some(key) = key {
            self.open_ticket(&key, fx);
        }
    }

    /// The form open, if one is.
    pub fn form(&self) -> Option<&Form> {
        self.overlay.as_ref().and_then(Overlay::form)
    }

    /// The filter prompt's text while it is open.
    pub fn filter_prompt(&self) -> Option<&str> {
        self.overlay.as_ref().and_then(Overlay::filter)
    }

    /// The month prompt's text and complaint while it is open.
    pub fn month_prompt(&self) -> Option<(&str, Option<&str>)> {
        self.overlay.as_ref().and_then(Overlay::month)
    }

    pub fn snooze_modal(&self) -> Option<&super::nudges_state::SnoozeModal> {
        self.overlay.as_ref().and_then(Overlay::snooze)
    }

    pub fn decide_modal(&self) -> Option<&super::overlay::DecideModal> {
        self.overlay.as_ref().and_then(Overlay::decide)
    }

    pub fn flash(&mut self, text: impl Into<String>, now: DateTime<Utc>, error: bool) {
        self.flash = Some(Flash {
            text: text.into(),
            at: now.timestamp_micros(),
            error,
        });
    }

    /// The ticket the recording keys act on: the open one in the ticket view, else
    /// the selected row.
    pub fn target(&self) -> Option<u32> {
        match self.view {
            View::Ticket => self.ticket.as_ref().and_then(|t| self.board.find(&t.key)),
            View::Escalations => {
                let rows = &self.esc.rows;
                (!rows.is_empty()).then(|| rows[self.esc.sel.cursor(&self.board, rows)])
            }
            _ => {
                let rows = self.board.visible();
                (!rows.is_empty()).then(|| rows[self.queue.cursor(&self.board, rows)])
            }
        }
    }

    /// The open ticket view's ticket: on the board, or closed.
    pub fn ticket_entry(&self) -> Option<&super::board::Entry> {
        let pane = self.ticket.as_ref()?;
        match self.board.find(&pane.key).and_then(|i| self.board.entry(i)) {
            Some(e) => Some(e),
            None => pane.closed.as_deref(),
        }
    }

    /// Keeps derived lists current (call after every change).
    pub fn refresh(&mut self) {
        self.groups.refresh(&self.board);
        if self.view == View::Escalations && self.esc.version != self.board.version {
            self.esc.rows = self.board.escalations();
            self.esc.version = self.board.version;
        }
    }
}
