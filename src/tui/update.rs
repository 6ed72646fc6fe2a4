//! The pure heart of the console: (state, message, now) -> state changes and effects.
//! No terminal, no store, no clock: tests drive it key by key.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Section};
use super::board::Filter;
use super::form::{Edit, Form, FormKind};
use super::keymap::Key;
use super::overlay::Overlay;
use super::panes;
use super::sanitize::clean;
use super::state::{State, TimelineRow, View};
use crate::model::Event;
use crate::sla::Facts;

/// Everything that reaches the UI task.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    /// A left click, on what it landed on.
    Click(super::layout::Hit),
    /// The mouse wheel: rows down (negative: up).
    Scroll(i8),
    Resize(u16, u16),
    /// The 1 Hz countdown tick.
    Tick,
    Source(SourceMsg),
    /// Part of the first snapshot, evaluated off the UI task (`first`: as
    /// [`SourceMsg::LoadChunk`]'s).
    Evaluated {
        parts: Vec<Vec<super::board::Entry>>,
        first: bool,
    },
    /// The compliance worker's answer.
    Compliance(super::compliance::Reply),
    /// The nudge service or the desktop notifier.
    Nudge(super::nudges::NudgeEvent),
    /// A background worker panicked and was restarted.
    Worker(crate::sync::supervise::Report),
}

pub use crate::sync::feed::SourceMsg;

pub use super::effect::Effect;

pub fn update(s: &mut State, msg: Msg, now: DateTime<Utc>) -> Vec<Effect> {
    let mut fx = Vec::new();
    let before = s.view;
    match msg {
        Msg::Key(k) => {
            // Only presses: terminals that report releases would double every key.
            if k.kind != KeyEventKind::Release {
                key(s, k, now, &mut fx);
            }
        }
        Msg::Paste(text) => {
            if let Some(Overlay::Form(f)) = &mut s.overlay {
                f.edit(Edit::Insert(text));
            } else if let Some(Overlay::Filter(p)) = &mut s.overlay {
                p.push_str(&super::sanitize::clean(&text));
                let text = p.to_lowercase();
                if s.view != View::Closed {
                    super::filters::set_text(s, text);
                }
            }
        }
        Msg::Click(hit) => {
            if s.overlay.is_none() {
                panes::of(s.view).click(s, hit, now, &mut fx);
            }
        }
        Msg::Scroll(rows) => {
            if s.overlay.is_none() {
                let a = if rows < 0 { Action::Up } else { Action::Down };
                for _ in 0..rows.unsigned_abs() {
                    action(s, a, now, &mut fx);
                }
            }
        }
        Msg::Resize(w, h) => {
            s.size = (w, h);
            s.layout = super::layout::Layout::of(w, h);
        }
        Msg::Tick => {
            let breached = s.board.tick(now);
            // With nudges on, the breach nudge rings (once, across consoles).
            if s.bell && !breached.is_empty() && !s.nudges.active {
                fx.push(Effect::Bell);
            }
            super::compliance::tick(s, now, &mut fx);
            super::nudges::tick(s, now);
            s.arrivals.tick(now.timestamp_micros());
        }
        Msg::Source(m) => source(s, m, now, &mut fx),
        Msg::Evaluated { parts, first } => {
            if first || !s.board.is_loading() {
                s.board.begin_load();
            }
            s.board.add_evaluated(parts);
        }
        Msg::Compliance(r) => super::compliance::on_reply(s, r, now),
        Msg::Nudge(ev) => super::nudges::on_event(s, ev, now, &mut fx),
        Msg::Worker(r) => worker(s, r, now),
    }
    if s.view != before {
        panes::of(s.view).shown(s, now, &mut fx);
    }
    s.refresh();
    fx
}

fn source(s: &mut State, m: SourceMsg, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let now_us = now.timestamp_micros();
    match m {
        SourceMsg::LoadChunk { tickets, first } => {
            if first || !s.board.is_loading() {
                s.board.begin_load();
            }
            s.board.add_loaded(tickets, now, false);
        }
        SourceMsg::Loaded { tickets, .. } => {
            if !s.board.is_loading() {
                s.board.begin_load();
            }
            s.board.add_loaded(tickets, now, true);
            s.board.finish_load();
            s.source.loaded = true;
            ok(s, now_us);
        }
        SourceMsg::Changed { tickets } => {
            let open = s.ticket.as_ref().map(|t| t.key.clone());
            if let Some(k) = &open {
                if tickets.iter().any(|(t, _)| t == k) {
                    fx.push(Effect::LoadHistory(k.clone()));
                }
            }
            super::closed::on_changed(s, &tickets, fx);
            let newcomers = super::arrivals::newcomers(s, &tickets);
            s.board.upsert_many(tickets, now);
            super::moved::refresh(s);
            super::arrivals::announce(s, newcomers, now_us, fx);
            s.compliance.dirty = true;
        }
        SourceMsg::Busy => {
            s.source.busy_since.get_or_insert(now_us);
        }
        SourceMsg::Polled => ok(s, now_us),
        SourceMsg::Failed { error } => {
            s.source.busy_since = None;
            s.source.failures += 1;
            s.source.error = Some(super::sanitize::clean(&error));
        }
        SourceMsg::History { ticket, events } => {
            let closed = match s.board.find(&ticket) {
                Some(_) => None,
                None => {
                    let evs: Vec<Event> = events.iter().map(|e| e.event.clone()).collect();
                    Facts::fold(&evs, DateTime::<Utc>::MAX_UTC)
                        .ok()
                        .map(|f| Box::new(s.board.evaluator().entry(&ticket, Arc::new(f), now)))
                }
            };
            if let Some(p) = s.ticket.as_mut().filter(|p| p.key == ticket) {
                p.closed = closed;
                let mut rows: Vec<TimelineRow> = events
                    .iter()
                    .map(|e| TimelineRow::of(&e.event, false))
                    .collect();
                // Keep what was submitted here and is not in the store yet.
                if let Some(old) = &p.timeline {
                    for r in old.iter().filter(|r| r.pending) {
                        if !events.iter().any(|e| e.event.id == r.id) {
                            rows.push(r.clone());
                        }
                    }
                }
                rows.sort_by_key(|r| r.at);
                p.timeline = Some(rows);
                p.error = None;
            }
        }
        SourceMsg::Closed { query, reply } => super::closed::on_reply(s, query, reply, now),
        SourceMsg::HistoryFailed { ticket, error } => {
            if let Some(p) = s.ticket.as_mut().filter(|p| p.key == ticket) {
                p.error = Some(super::sanitize::clean(&error));
            }
        }
        SourceMsg::Appended { event } => {
            let t = s
                .board
                .find(&event.ticket)
                .and_then(|i| s.board.entry(i))
                .map_or_else(
                    || super::sanitize::clean(&event.ticket),
                    |e| e.facts.ticket.to_string(),
                );
            s.flash(format!("recorded {} on {t}", event.kind), now, false);
            s.submitted.take(&event.id);
            if let Some(p) = s.ticket.as_mut().filter(|p| p.key == event.ticket) {
                if let Some(r) = p
                    .timeline
                    .as_mut()
                    .and_then(|rows| rows.iter_mut().find(|r| r.id == event.id))
                {
                    r.pending = false;
                }
            }
        }
        SourceMsg::AppendFailed {
            event,
            error,
            retry,
        } => {
            let (kind, ticket, error) = (
                event.kind,
                super::sanitize::clean(&event.ticket),
                super::sanitize::clean(&error),
            );
            if !retry {
                s.submitted.take(&event.id);
            }
            let text = if retry {
                format!("could not store {kind} on {ticket} yet (kept, will retry): {error}")
            } else {
                format!("{kind} on {ticket} was not stored: {error}")
            };
            s.flash(text, now, true);
        }
        SourceMsg::Moved { event, after } => super::moved::came_back(s, &event, &after, now),
        SourceMsg::Undecided(list) => super::decide::on_list(s, list),
        SourceMsg::Decided {
            id,
            decision,
            queued,
            error,
        } => super::decide::on_decided(s, &id, decision, queued, error, now),
        SourceMsg::Unsaved(n) => s.source.unsaved = n,
        SourceMsg::ReadOnly(r) => s.source.read_only = r,
        SourceMsg::Link(link) => {
            s.source.label.clone_from(&link.place);
            s.source.link = Some(link);
        }
    }
}

fn worker(s: &mut State, r: crate::sync::supervise::Report, now: DateTime<Utc>) {
    use crate::sync::supervise::Report;
    let (Report::Restarted { worker, panic } | Report::GaveUp { worker, panic }) = r;
    let name = worker.strip_prefix("slawatch-").unwrap_or(&worker);
    s.source.restarted = Some(format!("{name} worker restarted after a panic"));
    s.flash(
        format!(
            "the {name} worker panicked and was restarted: {}",
            super::sanitize::clean(&panic)
        ),
        now,
        true,
    );
}

fn ok(s: &mut State, now_us: i64) {
    s.source.last_ok = Some(now_us);
    s.source.busy_since = None;
    s.source.error = None;
    s.source.failures = 0;
}

fn key(s: &mut State, k: KeyEvent, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let plain = !k
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    // Ctrl-C quits from anywhere, whatever the keymap says: there is always a way out.
    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
        s.quit = true;
        fx.push(Effect::Quit);
        return;
    }
    let Some(key) = Key::from_event(&k) else {
        return;
    };
    // A form takes text first, then its [form] keys.
    if let Some(Overlay::Form(form)) = &mut s.overlay {
        let on_text = form.focused().is_some_and(|f| f.is_text());
        if on_text {
            let edit = match k.code {
                KeyCode::Char(c) if plain => Some(Edit::Insert(c.to_string())),
                KeyCode::Char('u') if k.modifiers == KeyModifiers::CONTROL => Some(Edit::Clear),
                KeyCode::Backspace => Some(Edit::Backspace),
                KeyCode::Delete => Some(Edit::Delete),
                KeyCode::Home => Some(Edit::Home),
                KeyCode::End => Some(Edit::End),
                KeyCode::Left => {
                    form.cycle(false);
                    return;
                }
                KeyCode::Right => {
                    if !form.edit(Edit::Complete) {
                        form.cycle(true);
                    }
                    return;
                }
                _ => None,
            };
            if let Some(e) = edit {
                form.edit(e);
                return;
            }
        }
        match s.keymap.lookup(Section::Form, key) {
            Some(Action::Submit) => submit(s, now, fx),
            Some(Action::Cancel) => s.overlay = None,
            Some(Action::NextField) => form.next_field(),
            Some(Action::PrevField) => form.prev_field(),
            Some(Action::ChoiceNext) => form.cycle(true),
            Some(Action::ChoicePrev) => form.cycle(false),
            _ => {}
        }
        return;
    }
    if let Some(Overlay::Filter(p)) = &mut s.overlay {
        // In the closed list the prompt is a search, run when submitted; elsewhere it
        // filters the queue as it is typed.
        let live = s.view != View::Closed;
        let edited = match k.code {
            KeyCode::Char(c) if plain => {
                p.push(c);
                true
            }
            KeyCode::Backspace => {
                p.pop();
                true
            }
            KeyCode::Char('u') if k.modifiers == KeyModifiers::CONTROL => {
                p.clear();
                true
            }
            _ => false,
        };
        if edited {
            if live {
                let text = p.to_lowercase();
                super::filters::set_text(s, text);
            }
            return;
        }
        let text = p.clone();
        match s.keymap.lookup(Section::Form, key) {
            Some(Action::Submit) => {
                s.overlay = None;
                if !live {
                    super::closed::search(s, &text, now, fx);
                }
            }
            Some(Action::Cancel) => {
                s.overlay = None;
                if live {
                    super::filters::set_text(s, String::new());
                }
            }
            // From the queue's filter, the same text over closed tickets.
            Some(Action::NextField) if live => {
                s.overlay = None;
                super::filters::set_text(s, String::new());
                super::closed::search(s, &text, now, fx);
            }
            _ => {}
        }
        return;
    }
    if super::nudges::modal_key(s, &k, key, now, fx) {
        return;
    }
    if super::decide::modal_key(s, &k, key, fx) {
        return;
    }
    if super::compliance::prompt_key(s, &k, key, now, fx) {
        return;
    }
    match s.keymap.lookup(s.view.section(), key) {
        Some(a) => action(s, a, now, fx),
        // A key that does nothing says so, rather than leave the agent wondering.
        None => {
            let help = s
                .keymap
                .keys(Section::Global, Action::Help)
                .into_iter()
                .next();
            let hint = help.map_or(String::new(), |h| format!(" ({h} lists the keys)"));
            s.flash(
                format!(
                    "{} does nothing in the {} view{hint}",
                    super::sanitize::clean(&key.to_string()),
                    s.view.title()
                ),
                now,
                false,
            );
        }
    }
}

/// The pane in view first; what it leaves alone is the console's.
fn action(s: &mut State, a: Action, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    if panes::of(s.view).act(s, a, now, fx) || super::nudges::global_action(s, a, now) {
        return;
    }
    match a {
        Action::Quit => {
            s.quit = true;
            fx.push(Effect::Quit);
        }
        Action::Help => {
            if s.view == View::Help {
                s.back();
            } else {
                s.nav.push(s.view);
                s.view = View::Help;
                s.help_scroll = 0;
            }
        }
        Action::NextView | Action::PrevView => {
            let mut cycle = vec![
                View::Queue,
                View::Escalations,
                View::Compliance,
                View::Nudges,
                View::Closed,
            ];
            if s.ticket.is_some() {
                cycle.push(View::Ticket);
            }
            let at = cycle.iter().position(|v| *v == s.view).unwrap_or(0);
            let n = cycle.len();
            let next = if a == Action::NextView {
                (at + 1) % n
            } else {
                (at + n - 1) % n
            };
            s.switch(cycle[next]);
        }
        Action::Compliance => s.enter(View::Compliance),
        Action::Closed => {
            if s.view == View::Closed {
                s.back();
            } else {
                super::closed::search(s, "", now, fx);
            }
        }
        Action::Back => {
            // At the queue, back clears the filter.
            let at_queue = !s.back();
            if at_queue && !s.board.filter().is_empty() {
                s.board.set_filter(Filter::default());
            }
        }
        Action::Filter => {
            if !matches!(s.view, View::Queue | View::Escalations) {
                s.switch(View::Queue);
            }
            s.overlay = Some(Overlay::Filter(s.board.filter().text.clone()));
        }
        Action::Redraw => fx.push(Effect::Redraw),
        Action::Decide => super::decide::open(s, now),
        Action::Open => s.open_selected(fx),
        a if a.records() => {
            let kind = match a {
                Action::Acknowledge => FormKind::Acknowledge,
                Action::Escalate => FormKind::Escalate,
                Action::ClientUpdate => FormKind::ClientUpdate,
                Action::CarrierUpdate => FormKind::CarrierUpdate,
                Action::Pause => FormKind::Pause,
                Action::Restored => FormKind::Restored,
                Action::Resolve => FormKind::Resolve,
                Action::Note => FormKind::Note,
                Action::Priority => FormKind::Priority,
                _ => FormKind::Assign,
            };
            let closed = s.view == View::Ticket
                && s.ticket.as_ref().is_some_and(|p| p.closed.is_some())
                && s.target().is_none();
            let entry = if s.view == View::Ticket {
                s.ticket_entry()
            } else {
                s.target().and_then(|i| s.board.entry(i))
            };
            match entry {
                // A closed ticket's record is complete; a note can still go on it.
                Some(e) if closed && kind != FormKind::Note => {
                    let msg = format!(
                        "{} is closed: only a note can be added",
                        clean(&e.facts.ticket)
                    );
                    s.flash(msg, now, true);
                }
                Some(e) => s.overlay = Some(Overlay::Form(Form::open(kind, e, &s.board, &s.agent))),
                None => s.flash("no ticket selected", now, true),
            }
        }
        _ => {}
    }
}

fn submit(s: &mut State, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let agent = s.agent.clone();
    let Some(Overlay::Form(form)) = &mut s.overlay else {
        return;
    };
    let Ok(event) = form.submit(&agent, now) else {
        return;
    };
    let label = form.ticket_label.clone();
    let seen = form.seen;
    if let Some(Overlay::Form(form)) = s.overlay.take() {
        s.submitted.keep(event.id.clone(), form);
    }
    if let Some(p) = s.ticket.as_mut().filter(|p| p.key == event.ticket) {
        if let Some(rows) = &mut p.timeline {
            rows.push(TimelineRow::of(&event, true));
        }
    }
    s.flash(format!("recording {} on {label}…", event.kind), now, false);
    fx.push(Effect::Append { event, seen });
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
