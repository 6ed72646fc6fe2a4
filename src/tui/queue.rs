//! The queue pane: every open ticket, most urgent first; its cursor, sort order,
//! grouping and freeze. Its state is `State::queue` (the selection) and the board's
//! order.

use super::action::Action;
use super::board::{GroupBy, Sort, SortMode};
use super::effect::Effect;
use super::layout::Hit;
use super::pane::click_row;
use super::state::State;
use chrono::{DateTime, Utc};

/// The queue's keys. True if `a` was handled here.
pub fn act(s: &mut State, a: Action, now: DateTime<Utc>) -> bool {
    if super::filters::act(s, a) {
        return true;
    }
    match a {
        _ if a.moves() => step(s, a),
        Action::Sort => sort_by(s, s.board.sort().mode.next(), now),
        Action::SortReverse => {
            let mut sort = s.board.sort();
            sort.reverse = !sort.reverse;
            s.board.set_sort(sort, s.board.grouping());
            s.flash(format!("sorted by {}", sort.describe()), now, false);
        }
        Action::Group => {
            let g = s.board.grouping().next();
            s.board.set_sort(s.board.sort(), g);
            let text = match g {
                GroupBy::None => "not grouped".to_owned(),
                g => format!("grouped by {}", g.label()),
            };
            s.flash(text, now, false);
        }
        Action::Freeze => {
            let f = !s.board.frozen();
            s.board.set_frozen(f);
            let text = if f {
                "queue order frozen (data still updates)"
            } else {
                "queue order live"
            };
            s.flash(text, now, false);
        }
        _ => return false,
    }
    true
}

/// A click on a heading sorts by its column; on a row, see [`click_row`].
pub fn click(s: &mut State, hit: Hit, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    if let Hit::Sort(mode) = hit {
        return sort_by(s, mode, now);
    }
    let rows = s.board.visible();
    let (len, cur) = (rows.len(), s.queue.cursor(&s.board, rows));
    let select = |s: &mut State, r| {
        let rows = s.board.visible();
        s.queue.select(&s.board, rows, r);
    };
    click_row(s, hit, (len, cur), select, State::open_selected, fx);
}

/// Moves the cursor; the list scrolls only when the cursor leaves the rows shown (as
/// the renderer does, group headers counted).
fn step(s: &mut State, a: Action) {
    let rows = s.board.visible();
    let n = rows.len();
    let cur = s.queue.cursor(&s.board, rows);
    let row = super::list::step(a, cur, n, s.layout.page()).unwrap_or(cur);
    s.queue.select(&s.board, rows, row);
    let h = s.layout.list_rows;
    let g = Some(&s.groups);
    let (shown, _) = super::groups::lines(g, s.queue.offset, cur, h, n);
    s.queue.offset = super::groups::lines(g, shown, row, h, n).0;
}

/// Sorts the queue by `mode` in its natural order; by the same mode again, the
/// other way round (as a click on a column's heading does).
pub fn sort_by(s: &mut State, mode: SortMode, now: DateTime<Utc>) {
    let old = s.board.sort();
    let sort = Sort {
        mode,
        reverse: old.mode == mode && !old.reverse,
    };
    s.board.set_sort(sort, s.board.grouping());
    s.flash(format!("sorted by {}", sort.describe()), now, false);
}
