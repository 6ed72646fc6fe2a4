//! Two agents on one ticket: a form is stored only on top of the ticket as its agent
//! saw it when they opened it. When someone else recorded something meanwhile, the
//! store refuses it and the form comes back, as the agent left it, saying what changed;
//! submitting it again records it on the ticket as it is now, Esc drops it.

use chrono::{DateTime, Utc};

use super::overlay::Overlay;
use super::sanitize::clean;
use super::state::{event_text, State};
use crate::model::Event;
use crate::store::StoredEvent;

/// `event` was not stored: `after` came first (empty when they could not be read).
pub fn came_back(s: &mut State, event: &Event, after: &[StoredEvent], now: DateTime<Utc>) {
    if let Some(p) = s.ticket.as_mut().filter(|p| p.key == event.ticket) {
        if let Some(rows) = &mut p.timeline {
            rows.retain(|r| r.id != event.id);
        }
    }
    let mut lines: Vec<String> = after.iter().map(|x| line(&x.event, now)).collect();
    if lines.is_empty() {
        lines.push("someone else recorded on it".to_owned());
    }
    let what = format!("{} on {} not recorded", event.kind, clean(&event.ticket));
    let Some(mut form) = s.submitted.take(&event.id) else {
        s.flash(
            format!("{what}: the ticket moved on ({})", lines[0]),
            now,
            true,
        );
        return;
    };
    if s.overlay.is_some() {
        // Another form or prompt is open: taking its place would lose what is typed.
        s.flash(
            format!(
                "{what}: the ticket moved on ({}); open the form again",
                lines[0]
            ),
            now,
            true,
        );
        return;
    }
    form.moved_on(after.len() as u32, lines);
    s.overlay = Some(Overlay::Form(form));
    refresh(s);
    s.flash(format!("{what}: the ticket moved on"), now, true);
}

/// The open form that came back says what it does to its ticket as the board now has
/// it (call when the board changes too: the events that moved it may arrive later).
pub fn refresh(s: &mut State) {
    let Some(Overlay::Form(form)) = &mut s.overlay else {
        return;
    };
    if form.moved.is_empty() {
        return;
    }
    if let Some(e) = s.board.find(&form.ticket).and_then(|i| s.board.entry(i)) {
        form.refresh_context(e, &s.board, &s.agent);
    }
}

/// "escalated to level 1 (noc-l2) by bob 2 min ago".
fn line(e: &Event, now: DateTime<Utc>) -> String {
    let ago = (now - e.recorded_at).num_microseconds().unwrap_or(0);
    clean(&format!(
        "{} by {} {}",
        event_text(e),
        e.actor,
        super::fmt::ago(ago)
    ))
}
