//! The closed list: the tickets closed today, or every closed ticket a search finds.
//! The board holds open tickets only, so the list is asked of the source each time it
//! is shown (and again when a ticket closes meanwhile); a search runs when the agent
//! submits it, not at every keystroke, since it reads every closed ticket.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::action::Action;
use super::effect::Effect;
use super::layout::Hit;
use super::overlay::Overlay;
use super::state::{State, View};
use crate::store::TicketFacts;
use crate::sync::closed::ClosedQuery;

/// The first instant of `now`'s day in `tz`.
pub fn start_of_day(now: DateTime<Utc>, tz: Tz) -> i64 {
    crate::sla::penalty::month::local_midnight(now.with_timezone(&tz).date_naive(), tz)
}

/// Asks for `query`'s tickets (a new query starts at its first row).
pub fn ask(s: &mut State, query: ClosedQuery, fx: &mut Vec<Effect>) {
    if query != s.closed.query {
        s.closed.row = 0;
        s.closed.offset = 0;
        s.closed.rows.clear();
    }
    s.closed.query = query.clone();
    s.closed.loading = true;
    fx.push(Effect::LoadClosed(query));
}

/// Today's closed tickets, or the search typed (`text`, empty for today's).
pub fn search(s: &mut State, text: &str, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let query = if text.trim().is_empty() {
        ClosedQuery::since(start_of_day(now, s.tz))
    } else {
        ClosedQuery::text(text)
    };
    s.enter(View::Closed);
    ask(s, query, fx);
}

/// The source's answer: shown if it is for what is asked now.
pub fn on_reply(
    s: &mut State,
    query: ClosedQuery,
    reply: Result<Vec<TicketFacts>, String>,
    now: DateTime<Utc>,
) {
    if query != s.closed.query {
        return;
    }
    s.closed.loading = false;
    match reply {
        Ok(tickets) => {
            let eval = s.board.evaluator();
            s.closed.rows = tickets
                .into_iter()
                .filter_map(|(k, f)| f.map(|f| eval.entry(&k, f, now)))
                .collect();
            s.closed.error = None;
            let last = s.closed.rows.len().saturating_sub(1);
            s.closed.row = s.closed.row.min(last);
        }
        Err(e) => s.closed.error = Some(super::sanitize::clean(&e)),
    }
}

/// Tickets changed: while the list is shown, one that closed (or reopened) asks again.
pub fn on_changed(s: &mut State, tickets: &[TicketFacts], fx: &mut Vec<Effect>) {
    if s.view != View::Closed || s.closed.loading {
        return;
    }
    let listed = |k: &str| s.closed.rows.iter().any(|e| e.key() == k);
    let moved = tickets.iter().any(|(k, f)| {
        let closed = f.as_ref().is_some_and(|f| !f.is_open());
        closed != listed(k) && (closed || listed(k))
    });
    if moved {
        let q = s.closed.query.clone();
        ask(s, q, fx);
    }
}

/// The closed list's keys (its state is `State::closed`). True if `a` was handled.
pub fn act(s: &mut State, a: Action, fx: &mut Vec<Effect>) -> bool {
    match a {
        Action::Open => open(s, fx),
        // Here the prompt searches every closed ticket, when submitted.
        Action::Filter => {
            s.overlay = Some(Overlay::Filter(s.closed.query.text.clone()));
        }
        _ if a.moves() => select(s, |row, n, page| {
            super::list::step(a, row, n, page).unwrap_or(row)
        }),
        _ => return false,
    }
    true
}

/// A click on a row (see [`super::pane::click_row`]).
pub fn click(s: &mut State, hit: Hit, fx: &mut Vec<Effect>) {
    let (len, cur) = (s.closed.rows.len(), s.closed.row);
    super::pane::click_row(s, hit, (len, cur), |s, r| select(s, |_, _, _| r), open, fx);
}

/// The list has just come into view: it asks again for what it lists (today's: as of
/// now), unless already asking.
pub fn shown(s: &mut State, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    if !s.closed.loading {
        let text = s.closed.query.text.clone();
        search(s, &text, now, fx);
    }
}

fn open(s: &mut State, fx: &mut Vec<Effect>) {
    if let Some(e) = s.closed.rows.get(s.closed.row) {
        let key = e.key().to_owned();
        s.open_ticket(&key, fx);
    }
}

/// Moves the cursor to `to(row, rows, page)`, keeping it in view.
fn select(s: &mut State, to: impl FnOnce(usize, usize, usize) -> usize) {
    let n = s.closed.rows.len();
    let row = to(s.closed.row, n, s.layout.page());
    s.closed.row = row;
    let h = s.layout.list_rows.saturating_sub(1);
    s.closed.offset = super::list::window(s.closed.offset, row, h, n);
}

#[cfg(test)]
#[path = "closed_tests.rs"]
mod tests;
