//! The quick filters over the board, which the queue and the escalations list share.

use super::action::Action;
use super::board::Filter;
use super::state::State;

/// Toggles the quick filter `a` names. False when `a` is no quick filter.
pub fn act(s: &mut State, a: Action) -> bool {
    let change: fn(&mut Filter) = match a {
        Action::FilterMine => |f| f.mine = !f.mine,
        Action::FilterBreached => |f| f.breached = !f.breached,
        Action::FilterAtRisk => |f| f.at_risk = !f.at_risk,
        Action::FilterPaused => |f| f.paused = !f.paused,
        Action::FilterUnassigned => |f| f.unassigned = !f.unassigned,
        Action::FilterP1 => |f| f.priorities ^= 1 << 1,
        Action::FilterP2 => |f| f.priorities ^= 1 << 2,
        Action::FilterP3 => |f| f.priorities ^= 1 << 3,
        Action::FilterP4 => |f| f.priorities ^= 1 << 4,
        Action::ClearFilters => |f| *f = Filter::default(),
        _ => return false,
    };
    let mut f = s.board.filter().clone();
    change(&mut f);
    s.board.set_filter(f);
    true
}

/// The queue filtered by `text` as typed in the filter prompt.
pub fn set_text(s: &mut State, text: String) {
    let f = Filter {
        text: text.trim().to_owned(),
        ..s.board.filter().clone()
    };
    s.board.set_filter(f);
    s.queue.offset = 0;
}
