//! The escalations pane's keys: the escalated tickets, highest level first. Its state
//! is `State::esc`, whose list `State::refresh` keeps current while it is in view.

use super::action::Action;
use super::effect::Effect;
use super::layout::Hit;
use super::pane::click_row;
use super::state::State;

/// The escalations list's keys. True if `a` was handled here.
pub fn act(s: &mut State, a: Action) -> bool {
    if super::filters::act(s, a) {
        return true;
    }
    if !a.moves() {
        return false;
    }
    let cur = s.esc.sel.cursor(&s.board, &s.esc.rows);
    let n = s.esc.rows.len();
    let row = super::list::step(a, cur, n, s.layout.page()).unwrap_or(cur);
    select(s, row);
    true
}

/// A click on a row (see [`click_row`]).
pub fn click(s: &mut State, hit: Hit, fx: &mut Vec<Effect>) {
    let (len, cur) = (s.esc.rows.len(), s.esc.sel.cursor(&s.board, &s.esc.rows));
    click_row(s, hit, (len, cur), select, State::open_selected, fx);
}

fn select(s: &mut State, row: usize) {
    s.esc.sel.select(&s.board, &s.esc.rows, row);
}
