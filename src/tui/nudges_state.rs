//! What the console keeps of nudges: toasts, the nudge log, snoozes and the snooze
//! modal (the logic is in `nudges`).

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use super::effect::Effect;
use crate::notify::{DesktopEvent, DesktopState, Nudge, NudgeHandle, NudgeMsg};
use crate::sla::calendar::{Micros, MICROS_PER_MIN, MICROS_PER_SEC};
use crate::sla::Severity;

/// How long a toast stays up.
pub const TOAST_FOR: Micros = 8 * MICROS_PER_SEC;
/// Toasts shown at once (the newest on top).
pub const TOASTS_MAX: usize = 3;
/// Entries the nudge log keeps.
pub const LOG_MAX: usize = 2000;
/// The snooze lengths offered, in minutes.
pub const SNOOZE_MINUTES: [u32; 3] = [5, 15, 30];

/// What reaches the UI task from the nudge service and the desktop notifier.
#[derive(Debug)]
pub enum NudgeEvent {
    Service(NudgeMsg),
    Desktop(DesktopEvent),
    /// What the record of sent nudges holds for this user (sent before this console
    /// started, or by `slawatch watch` or another console), newest first.
    History(Vec<crate::store::NudgeRecord>),
}

/// How far back the nudge log starts with the record of sent nudges.
pub const HISTORY_FOR: Micros = 7 * 24 * 60 * MICROS_PER_MIN;

/// One line of the nudge log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub ticket: String,
    pub summary: String,
    pub why: String,
    pub fired_at: Micros,
    pub due: Micros,
    pub late: bool,
    pub loud: bool,
    pub breach: bool,
    pub severity: Severity,
    /// The whole nudge when this console sent it (customer, title, escalation).
    pub nudge: Option<Box<Nudge>>,
}

impl LogEntry {
    /// The same nudge (one from the record, one fired here).
    pub fn same(&self, other: &LogEntry) -> bool {
        (&self.ticket, self.fired_at, &self.summary)
            == (&other.ticket, other.fired_at, &other.summary)
    }

    pub fn of(n: &Nudge) -> LogEntry {
        LogEntry {
            ticket: n.ticket.clone(),
            summary: n.summary(),
            why: n.why(),
            fired_at: n.fired_at,
            due: n.due,
            late: n.late,
            loud: n.loud,
            breach: n.is_breach(),
            severity: n.severity,
            nudge: Some(Box::new(n.clone())),
        }
    }

    /// An entry from the record of sent nudges (no severity kept there: warnings
    /// read as warnings, breaches and reminders as breached).
    pub fn of_record(r: &crate::store::NudgeRecord) -> LogEntry {
        let breach = r.kind == "breach";
        let severity = if breach || r.kind == "repeat" {
            Severity::Breached
        } else {
            Severity::Warning
        };
        LogEntry {
            ticket: r.ticket.clone(),
            summary: r.summary.clone(),
            why: crate::notify::record_why(r),
            fired_at: r.fired_at,
            due: r.due,
            late: r.late,
            loud: r.loud,
            breach,
            severity,
            nudge: None,
        }
    }
}

/// What the console asks of the nudge service (a test double stands in for it).
pub trait NudgeControl {
    fn snooze(&self, ticket: &str, minutes: u32);
    fn unsnooze(&self, ticket: &str);
}

impl NudgeControl for NudgeHandle {
    fn snooze(&self, ticket: &str, minutes: u32) {
        NudgeHandle::snooze(self, ticket, minutes);
    }
    fn unsnooze(&self, ticket: &str) {
        NudgeHandle::unsnooze(self, ticket);
    }
}

/// Carries out a nudge effect; false if `e` is not one.
pub fn apply(ctl: &dyn NudgeControl, e: &Effect) -> bool {
    match e {
        Effect::Snooze { ticket, minutes } => ctl.snooze(ticket, *minutes),
        Effect::Unsnooze(ticket) => ctl.unsnooze(ticket),
        _ => return false,
    }
    true
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnoozeChoice {
    Minutes(u32),
    Unsnooze,
}

impl SnoozeChoice {
    pub fn label(self) -> String {
        match self {
            SnoozeChoice::Minutes(m) => format!("snooze {m} min"),
            SnoozeChoice::Unsnooze => "unsnooze".to_owned(),
        }
    }
}

/// The snooze modal: which ticket, and the choice under the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnoozeModal {
    /// The board key (the store's ticket id).
    pub ticket: String,
    /// The ticket as shown.
    pub label: String,
    pub choices: Vec<SnoozeChoice>,
    pub selected: usize,
    /// Already snoozed until then.
    pub until: Option<Micros>,
    pub breached: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    pub what: ToastWhat,
    /// When it arrived here (it disappears `TOAST_FOR` later).
    pub at: Micros,
}

/// What a toast says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToastWhat {
    Nudge(Box<Nudge>),
    /// Late nudges (their moment passed before they could fire, as on a first start),
    /// told as one line: one per ticket would cover the queue.
    CaughtUp {
        tickets: BTreeSet<String>,
    },
    /// Nudges cannot reach the desktop, or their record cannot be written: told once,
    /// then shown at the top of the nudge log.
    Problem(String),
    /// An urgent ticket that was not on the board (see [`super::arrivals`]).
    Arrived {
        ticket: String,
        priority: String,
        title: String,
    },
}

impl ToastWhat {
    /// The toast's frame turns to the breach colour.
    pub fn alarming(&self) -> bool {
        match self {
            ToastWhat::Nudge(n) => n.is_breach(),
            ToastWhat::CaughtUp { .. } | ToastWhat::Problem(_) => false,
            ToastWhat::Arrived { .. } => true,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NudgeState {
    /// A nudge service runs for this console.
    pub active: bool,
    /// What was sent, newest first. A deque: a first start can fire tens of thousands
    /// of late nudges at once, each put in front.
    pub log: VecDeque<LogEntry>,
    /// Keys of the log's entries read from the record (not fired here), which a
    /// nudge fired here may duplicate.
    pub(crate) recorded: HashSet<(String, Micros)>,
    /// Newest first.
    pub toasts: Vec<Toast>,
    /// Ticket → snoozed until.
    pub snoozed: BTreeMap<String, Micros>,
    pub desktop: Option<DesktopState>,
    /// The record of sent nudges cannot be written.
    pub sent_log_error: Option<String>,
    /// The nudge log's selected row and first row shown.
    pub sel: usize,
    pub offset: usize,
}

impl NudgeState {
    /// What is wrong with nudges, if anything: the nudge log's first line.
    pub fn problem(&self) -> Option<String> {
        let desktop = self.desktop.as_ref().and_then(DesktopState::problem);
        let log = self
            .sent_log_error
            .as_ref()
            .map(|e| format!("record of sent nudges unavailable: {e}"));
        match (desktop, log) {
            (Some(d), Some(l)) => Some(format!("{d} · {l}")),
            (d, l) => d.or(l),
        }
    }

    /// Until when `ticket`'s warnings are snoozed, if they are at `now`.
    pub fn snoozed_until(&self, ticket: &str, now: Micros) -> Option<Micros> {
        self.snoozed.get(ticket).copied().filter(|&u| u > now)
    }

    /// Puts a toast on top; at most [`TOASTS_MAX`] are kept, so one dismissal clears
    /// the corner.
    pub fn toast(&mut self, what: ToastWhat, now: Micros) {
        self.toasts.insert(0, Toast { what, at: now });
        self.toasts.truncate(TOASTS_MAX);
    }

    /// Counts a late nudge into the live "already past thresholds" toast, or starts
    /// one. True if it started one.
    pub fn caught_up(&mut self, ticket: &str, now: Micros) -> bool {
        let live = self
            .toasts
            .iter_mut()
            .find(|t| now - t.at < TOAST_FOR && matches!(t.what, ToastWhat::CaughtUp { .. }));
        if let Some(Toast {
            what: ToastWhat::CaughtUp { tickets },
            at,
        }) = live
        {
            tickets.insert(ticket.to_owned());
            *at = now;
            return false;
        }
        let tickets = BTreeSet::from([ticket.to_owned()]);
        self.toast(ToastWhat::CaughtUp { tickets }, now);
        true
    }

    /// The toasts still up at `now`, newest first.
    pub fn live_toasts(&self, now: Micros) -> impl Iterator<Item = &Toast> {
        self.toasts
            .iter()
            .filter(move |t| now - t.at < TOAST_FOR && t.at <= now + TOAST_FOR)
            .take(TOASTS_MAX)
    }
}

/// "12m" (rounded up) for what is left of a snooze.
pub fn snooze_left(until: Micros, now: Micros) -> String {
    let left = (until - now).max(0);
    let m = (left + MICROS_PER_MIN - 1) / MICROS_PER_MIN;
    format!("{m}m")
}
