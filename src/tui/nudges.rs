//! Nudges in the console: what the nudge service (`crate::notify`) and the desktop
//! notifier report becomes toasts, the nudge log, snooze marks and a header line;
//! `snooze` opens a small modal. Pure state and update glue: `app` starts the
//! service and turns [`Effect`]s into [`NudgeControl`] calls.

use std::collections::{BTreeMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use serde_json::json;

use super::action::{Action, Section};
use super::keymap::Key;
use super::state::{State, TicketPane, View};
use super::update::Effect;
use crate::model::{Event, EventKind, Payload};
use crate::notify::{DesktopEvent, DesktopState, Nudge, NudgeAction, NudgeHandle, NudgeMsg};
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
    pub nudge: Nudge,
    /// When it arrived here (it disappears `TOAST_FOR` later).
    pub at: Micros,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NudgePane {
    /// A nudge service runs for this console.
    pub active: bool,
    /// What was sent, newest first. A deque: a first start can fire tens of thousands
    /// of late nudges at once, each put in front.
    pub log: VecDeque<LogEntry>,
    /// Keys of the log's entries read from the record (not fired here), which a
    /// nudge fired here may duplicate.
    recorded: HashSet<(String, Micros)>,
    /// Newest first.
    pub toasts: Vec<Toast>,
    /// Ticket → snoozed until.
    pub snoozed: BTreeMap<String, Micros>,
    pub desktop: Option<DesktopState>,
    /// The record of sent nudges cannot be written.
    pub sent_log_error: Option<String>,
    pub modal: Option<SnoozeModal>,
    /// The nudge log's selected row and first row shown.
    pub sel: usize,
    pub offset: usize,
}

impl NudgePane {
    /// The line the header shows when something about nudges is wrong.
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

/// A message from the service or the notifier.
pub fn on_event(s: &mut State, ev: NudgeEvent, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let now_us = now.timestamp_micros();
    let p = &mut s.nudges;
    match ev {
        NudgeEvent::Service(NudgeMsg::Fired(n)) => {
            let n = *n;
            if s.bell && (n.loud || n.is_breach()) {
                fx.push(Effect::Bell);
            }
            p.toasts.insert(
                0,
                Toast {
                    nudge: n.clone(),
                    at: now_us,
                },
            );
            p.toasts.truncate(TOASTS_MAX * 4);
            let entry = LogEntry::of(&n);
            // The history read may have raced ahead of this message and found it in
            // the record already: keep one entry, the full one.
            if p.recorded.remove(&(entry.ticket.clone(), entry.fired_at)) {
                p.log.retain(|e| e.nudge.is_some() || !e.same(&entry));
            }
            p.log.push_front(entry);
            p.log.truncate(LOG_MAX);
            // Keep the same entry selected while new ones arrive on top.
            if s.view == View::Nudges && p.sel > 0 {
                p.sel += 1;
            }
        }
        NudgeEvent::Service(NudgeMsg::Snoozed { ticket, until }) => match until {
            Some(u) => {
                p.snoozed.insert(ticket, u);
            }
            None => {
                p.snoozed.remove(&ticket);
            }
        },
        NudgeEvent::Service(NudgeMsg::SentLog(e)) => p.sent_log_error = e,
        NudgeEvent::Service(NudgeMsg::Planned { .. }) => {}
        NudgeEvent::History(records) => {
            let selected = p.log.get(p.sel).map(|e| (e.ticket.clone(), e.fired_at));
            for r in &records {
                // This console's own nudges are in the record too.
                let entry = LogEntry::of_record(r);
                if !p.log.iter().any(|e| e.same(&entry)) {
                    p.recorded.insert((entry.ticket.clone(), entry.fired_at));
                    p.log.push_back(entry);
                }
            }
            p.log
                .make_contiguous()
                .sort_by_key(|e| std::cmp::Reverse(e.fired_at));
            p.log.truncate(LOG_MAX);
            if let Some(k) = selected {
                p.sel = p
                    .log
                    .iter()
                    .position(|e| (e.ticket.clone(), e.fired_at) == k)
                    .unwrap_or(0);
            }
        }
        NudgeEvent::Desktop(DesktopEvent::State(st)) => p.desktop = Some(st),
        NudgeEvent::Desktop(DesktopEvent::Action { ticket, action }) => match action {
            NudgeAction::Open => open_ticket(s, &ticket, fx),
            NudgeAction::Acknowledge => {
                let mut payload = Payload::new();
                payload.insert("via".into(), json!("desktop notification"));
                let e = Event::new(
                    &ticket,
                    EventKind::Acknowledged,
                    now,
                    now,
                    &s.agent,
                    payload,
                );
                s.flash(format!("recording acknowledged on {ticket}…"), now, false);
                fx.push(Effect::Append(e));
            }
        },
        NudgeEvent::Desktop(DesktopEvent::Shown { .. } | DesktopEvent::Failed { .. }) => {}
    }
}

/// Drops toasts that are down (call on the tick).
pub fn tick(s: &mut State, now: DateTime<Utc>) {
    let now = now.timestamp_micros();
    s.nudges.toasts.retain(|t| now - t.at < TOAST_FOR);
    s.nudges.snoozed.retain(|_, &mut u| u > now);
}

fn open_ticket(s: &mut State, key: &str, fx: &mut Vec<Effect>) {
    if s.board.find(key).is_none() {
        return;
    }
    if s.ticket.as_ref().is_none_or(|t| t.key != key) {
        s.ticket = Some(TicketPane {
            key: key.to_owned(),
            timeline: None,
            error: None,
            scroll: None,
        });
    }
    if s.view != View::Ticket {
        s.return_to = s.view;
    }
    s.view = View::Ticket;
    fx.push(Effect::LoadHistory(key.to_owned()));
}

/// The modal takes every key while it is open. True if it did.
pub fn modal_key(
    s: &mut State,
    k: &KeyEvent,
    key: Key,
    now: DateTime<Utc>,
    fx: &mut Vec<Effect>,
) -> bool {
    let Some(m) = &mut s.nudges.modal else {
        return false;
    };
    let n = m.choices.len();
    // Digits pick a choice directly.
    if let KeyCode::Char(c @ '1'..='9') = k.code {
        let i = usize::from(c as u8 - b'1');
        if i < n {
            m.selected = i;
            choose(s, now, fx);
        }
        return true;
    }
    match s.keymap.lookup(Section::Form, key) {
        Some(Action::Submit) => choose(s, now, fx),
        Some(Action::Cancel) => s.nudges.modal = None,
        Some(Action::NextField | Action::ChoiceNext) => m.selected = (m.selected + 1) % n,
        Some(Action::PrevField | Action::ChoicePrev) => m.selected = (m.selected + n - 1) % n,
        _ => {}
    }
    true
}

fn choose(s: &mut State, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let Some(m) = s.nudges.modal.take() else {
        return;
    };
    match m.choices[m.selected] {
        SnoozeChoice::Minutes(minutes) => {
            let until = now.timestamp_micros() + i64::from(minutes) * MICROS_PER_MIN;
            s.nudges.snoozed.insert(m.ticket.clone(), until);
            let also = if m.breached {
                " (its breach still alerts)"
            } else {
                " (a breach still alerts)"
            };
            s.flash(
                format!("{}: warnings snoozed {minutes} min{also}", m.label),
                now,
                false,
            );
            fx.push(Effect::Snooze {
                ticket: m.ticket,
                minutes,
            });
        }
        SnoozeChoice::Unsnooze => {
            s.nudges.snoozed.remove(&m.ticket);
            s.flash(format!("{}: snooze lifted", m.label), now, false);
            fx.push(Effect::Unsnooze(m.ticket));
        }
    }
}

/// The keys of the nudge log and `snooze`. True if `a` was handled here.
pub fn action(s: &mut State, a: Action, now: DateTime<Utc>, fx: &mut Vec<Effect>) -> bool {
    match a {
        Action::NudgeLog => {
            if s.view == View::Nudges {
                s.view = View::Queue;
            } else {
                s.view = View::Nudges;
            }
            true
        }
        Action::Snooze => {
            open_modal(s, now);
            true
        }
        _ if s.view != View::Nudges => false,
        Action::Open => {
            if let Some(n) = s.nudges.log.get(s.nudges.sel) {
                let t = n.ticket.clone();
                if s.board.find(&t).is_some() {
                    open_ticket(s, &t, fx);
                } else {
                    s.flash(format!("{t} is no longer open"), now, true);
                }
            }
            true
        }
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => {
            let n = s.nudges.log.len();
            let page = super::view::nudge_log::rows(s.size.1).max(1);
            let cur = s.nudges.sel.min(n.saturating_sub(1));
            let last = n.saturating_sub(1);
            s.nudges.sel = match a {
                Action::Up => cur.saturating_sub(1),
                Action::Down => (cur + 1).min(last),
                Action::PageUp => cur.saturating_sub(page),
                Action::PageDown => (cur + page).min(last),
                Action::Top => 0,
                _ => last,
            };
            s.nudges.offset = super::view::queue::window(s.nudges.offset, s.nudges.sel, page, n);
            true
        }
        _ => false,
    }
}

fn open_modal(s: &mut State, now: DateTime<Utc>) {
    let Some(e) = s.target().and_then(|i| s.board.entry(i)) else {
        s.flash("no ticket selected", now, true);
        return;
    };
    let (key, label) = (e.key().to_owned(), e.facts.ticket.to_string());
    let breached = e.sum.severity == Severity::Breached;
    let until = s.nudges.snoozed_until(&key, now.timestamp_micros());
    let mut choices: Vec<SnoozeChoice> = Vec::new();
    if until.is_some() {
        choices.push(SnoozeChoice::Unsnooze);
    }
    choices.extend(SNOOZE_MINUTES.iter().map(|&m| SnoozeChoice::Minutes(m)));
    s.nudges.modal = Some(SnoozeModal {
        ticket: key,
        label,
        choices,
        selected: 0,
        until,
        breached,
    });
}

#[cfg(test)]
#[path = "nudges_tests.rs"]
pub(crate) mod tests;

/// What the console starts its nudge service with (see `crate::notify::start`).
pub struct Setup {
    pub start: crate::notify::Start,
    /// The source, for the nudge log's history.
    pub source: crate::sync::Connector,
    pub log: ConsoleLog,
    /// Why the source could not keep the record of sent nudges, if it cannot.
    pub log_error: Option<String>,
}

/// The record of sent nudges: the source, or memory when the source cannot take it.
pub enum ConsoleLog {
    Source(Box<dyn crate::sync::Source>),
    Memory(crate::notify::MemorySentLog),
}

impl ConsoleLog {
    /// The source's sent log, else one in memory and why.
    pub fn open(connect: &crate::sync::Connector) -> (ConsoleLog, Option<String>) {
        let mut source = connect.connect(crate::sync::Purpose::Write);
        match source.writable() {
            Ok(true) => (ConsoleLog::Source(source), None),
            Ok(false) => (
                ConsoleLog::Memory(Default::default()),
                Some("the store cannot be written".to_owned()),
            ),
            Err(e) => (ConsoleLog::Memory(Default::default()), Some(e.to_string())),
        }
    }
}

impl crate::notify::SentLog for ConsoleLog {
    fn claim(
        &mut self,
        user: &str,
        records: &[crate::store::NudgeRecord],
    ) -> Result<Vec<crate::store::Claim>, String> {
        match self {
            ConsoleLog::Source(s) => s.claim_nudges(user, records).map_err(|e| e.to_string()),
            ConsoleLog::Memory(m) => m.claim(user, records),
        }
    }
    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), String> {
        match self {
            ConsoleLog::Source(s) => s.set_snooze(user, ticket, until).map_err(|e| e.to_string()),
            ConsoleLog::Memory(m) => m.set_snooze(user, ticket, until),
        }
    }
    fn snoozes(&mut self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, String> {
        match self {
            ConsoleLog::Source(s) => s.snoozes(user, now).map_err(|e| e.to_string()),
            ConsoleLog::Memory(m) => m.snoozes(user, now),
        }
    }
}

/// Starts the service (and the desktop notifier) on the current runtime; what they
/// report goes to `tx`.
pub fn spawn(
    setup: Setup,
    tx: tokio::sync::mpsc::UnboundedSender<NudgeEvent>,
) -> crate::notify::NudgeService {
    let dtx = tx.clone();
    if let Some(e) = setup.log_error {
        let _ = tx.send(NudgeEvent::Service(NudgeMsg::SentLog(Some(e))));
    }
    // The nudge log starts with what was sent before, read off the UI task.
    let (htx, connect, user) = (tx.clone(), setup.source, setup.start.user.clone());
    tokio::task::spawn_blocking(move || {
        crate::sync::supervise::quiet();
        let now = chrono::Utc::now().timestamp_micros();
        let mut source = connect.connect(crate::sync::Purpose::Read);
        if let Ok(records) = source.nudges_sent(&user, now - HISTORY_FOR, LOG_MAX) {
            let _ = htx.send(NudgeEvent::History(records));
        }
        // Snoozes set earlier (here or in another console) show on their rows.
        for (ticket, until) in source.snoozes(&user, now).unwrap_or_default() {
            let until = Some(until);
            let _ = htx.send(NudgeEvent::Service(NudgeMsg::Snoozed { ticket, until }));
        }
    });
    crate::notify::start(
        setup.start,
        setup.log,
        move |m| {
            let _ = tx.send(NudgeEvent::Service(m));
        },
        move |e| {
            let _ = dtx.send(NudgeEvent::Desktop(e));
        },
    )
}

/// Feeds the service what the store worker reports (called on the worker's thread,
/// before the message goes to the UI task): the first snapshot's rows, handed over
/// once the whole snapshot is read (planning them would compete with the first frame
/// for the CPU), and every change-feed batch.
pub struct Feed<S> {
    send: S,
    held: std::sync::Mutex<Vec<crate::store::TicketFacts>>,
}

impl Feed<()> {
    pub fn new(handle: NudgeHandle) -> Feed<impl Fn(Vec<crate::store::TicketFacts>)> {
        Feed::to(move |t| handle.tickets(t))
    }
}

impl<S: Fn(Vec<crate::store::TicketFacts>)> Feed<S> {
    /// A feed that hands the tickets to `send`.
    pub fn to(send: S) -> Feed<S> {
        Feed {
            send,
            held: Default::default(),
        }
    }

    pub fn pass(&self, m: &super::update::SourceMsg) {
        use super::update::SourceMsg;
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match m {
            SourceMsg::LoadChunk { tickets, first } => {
                if *first {
                    held.clear();
                }
                held.extend(tickets.iter().cloned());
            }
            SourceMsg::Loaded { tickets, .. } => {
                held.extend(tickets.iter().cloned());
                (self.send)(std::mem::take(&mut *held));
            }
            SourceMsg::Changed { tickets } => (self.send)(tickets.clone()),
            _ => {}
        }
    }
}
