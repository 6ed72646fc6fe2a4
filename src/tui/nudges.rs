//! Nudges in the console: what the nudge service (`crate::notify`) and the desktop
//! notifier report becomes toasts, the nudge log, snooze marks and a header line;
//! `snooze` opens a small modal. Pure state and update glue: `app` starts the
//! service and turns [`Effect`]s into [`NudgeControl`] calls.

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use serde_json::json;

use super::action::{Action, Section};
use super::effect::Effect;
use super::keymap::Key;
use super::overlay::Overlay;
use super::state::{State, View};
use crate::model::{Event, EventKind, Payload};
use crate::notify::{DesktopEvent, NudgeAction, NudgeHandle, NudgeMsg};
use crate::sla::calendar::{Micros, MICROS_PER_MIN};
use crate::sla::Severity;

pub use super::nudges_state::*;

/// A message from the service or the notifier.
pub fn on_event(s: &mut State, ev: NudgeEvent, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let now_us = now.timestamp_micros();
    let p = &mut s.nudges;
    match ev {
        NudgeEvent::Service(NudgeMsg::Fired(n)) => {
            let n = *n;
            let toasted = if n.late {
                p.caught_up(&n.ticket, now_us)
            } else {
                p.toast(ToastWhat::Nudge(Box::new(n.clone())), now_us);
                true
            };
            // A burst of late nudges rings once, with the toast that sums them up.
            if toasted && s.bell && (n.loud || n.is_breach()) {
                fx.push(Effect::Bell);
            }
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
        NudgeEvent::Service(NudgeMsg::SentLog(e)) => {
            let before = p.problem();
            p.sent_log_error = e;
            tell_new_problem(p, before, now_us);
        }
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
        NudgeEvent::Desktop(DesktopEvent::State(st)) => {
            let before = p.problem();
            p.desktop = Some(st);
            tell_new_problem(p, before, now_us);
        }
        NudgeEvent::Desktop(DesktopEvent::Action { ticket, action }) => match action {
            NudgeAction::Open => s.open_ticket(&ticket, fx),
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
                fx.push(Effect::Append {
                    event: e,
                    seen: None,
                });
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

/// The modal takes every key while it is open. True if it did.
pub fn modal_key(
    s: &mut State,
    k: &KeyEvent,
    key: Key,
    now: DateTime<Utc>,
    fx: &mut Vec<Effect>,
) -> bool {
    let Some(Overlay::Snooze(m)) = &mut s.overlay else {
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
        Some(Action::Cancel) => s.overlay = None,
        Some(Action::NextField | Action::ChoiceNext) => m.selected = (m.selected + 1) % n,
        Some(Action::PrevField | Action::ChoicePrev) => m.selected = (m.selected + n - 1) % n,
        _ => {}
    }
    true
}

fn choose(s: &mut State, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let Some(Overlay::Snooze(m)) = s.overlay.take() else {
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

/// The nudge keys of every view: the nudge log, snooze and dismiss. True if `a` was
/// one of them.
pub fn global_action(s: &mut State, a: Action, now: DateTime<Utc>) -> bool {
    match a {
        Action::NudgeLog => {
            if s.view == View::Nudges {
                s.back();
            } else {
                s.enter(View::Nudges);
            }
        }
        Action::Snooze => open_modal(s, now),
        Action::Dismiss => {
            if s.nudges.toasts.is_empty() {
                s.flash("no toasts to dismiss", now, false);
            }
            s.nudges.toasts.clear();
        }
        _ => return false,
    }
    true
}

/// The nudge log's keys (its selection is in `State::nudges`). True if `a` was
/// handled here.
pub fn act(s: &mut State, a: Action, fx: &mut Vec<Effect>) -> bool {
    match a {
        Action::Open => {
            if let Some(n) = s.nudges.log.get(s.nudges.sel) {
                // Closed since, it shows its final verdicts.
                let t = n.ticket.clone();
                s.open_ticket(&t, fx);
            }
        }
        _ if a.moves() => {
            let n = s.nudges.log.len();
            let page = s.layout.nudge_rows.max(1);
            s.nudges.sel = super::list::step(a, s.nudges.sel, n, page).unwrap_or(s.nudges.sel);
            s.nudges.offset = super::list::window(s.nudges.offset, s.nudges.sel, page, n);
        }
        _ => return false,
    }
    true
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
    s.overlay = Some(Overlay::Snooze(SnoozeModal {
        ticket: key,
        label,
        choices,
        selected: 0,
        until,
        breached,
    }));
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
    Source(crate::notify::SourceLog),
    Memory(crate::notify::MemorySentLog),
}

impl ConsoleLog {
    /// The source's sent log, else one in memory and why.
    pub fn open(connect: &crate::sync::Connector) -> (ConsoleLog, Option<String>) {
        let mut source = connect.connect(crate::sync::Purpose::Write);
        match source.writable() {
            Ok(true) => (ConsoleLog::Source(crate::notify::SourceLog(source)), None),
            Ok(false) => (
                ConsoleLog::Memory(Default::default()),
                Some("the store cannot be written".to_owned()),
            ),
            Err(e) => (ConsoleLog::Memory(Default::default()), Some(e.to_string())),
        }
    }

    fn log(&mut self) -> &mut dyn crate::notify::SentLog {
        match self {
            ConsoleLog::Source(s) => s,
            ConsoleLog::Memory(m) => m,
        }
    }
}

impl crate::notify::SentLog for ConsoleLog {
    fn claim(
        &mut self,
        user: &str,
        records: &[crate::store::NudgeRecord],
    ) -> Result<Vec<crate::store::Claim>, String> {
        self.log().claim(user, records)
    }
    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), String> {
        self.log().set_snooze(user, ticket, until)
    }
    fn snoozes(&mut self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, String> {
        self.log().snoozes(user, now)
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

    pub fn pass(&self, m: &crate::sync::feed::SourceMsg) {
        use crate::sync::feed::SourceMsg;
        if let SourceMsg::LoadChunk { tickets, first } = m {
            return self.hold(tickets.clone(), *first);
        }
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match m {
            SourceMsg::Loaded { tickets, .. } => {
                held.extend(tickets.iter().cloned());
                (self.send)(std::mem::take(&mut *held));
            }
            SourceMsg::Changed { tickets } => (self.send)(tickets.clone()),
            _ => {}
        }
    }

    /// A chunk of the snapshot, taken as it is (`first`: as [`SourceMsg::LoadChunk`]'s).
    ///
    /// [`SourceMsg::LoadChunk`]: crate::sync::feed::SourceMsg::LoadChunk
    pub fn hold(&self, tickets: Vec<crate::store::TicketFacts>, first: bool) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if first {
            held.clear();
        }
        if held.is_empty() {
            *held = tickets;
        } else {
            held.extend(tickets);
        }
    }
}

/// A problem with nudges that was not there `before` is told once, as a toast; it
/// then lives at the top of the nudge log (no header row of its own in every view).
fn tell_new_problem(p: &mut NudgeState, before: Option<String>, now: Micros) {
    if let Some(now_problem) = p.problem().filter(|x| Some(x) != before.as_ref()) {
        p.toast(ToastWhat::Problem(now_problem), now);
    }
}
