//! The ticket pane: one ticket's facts, clocks and timeline, open or closed. Its
//! state is `State::ticket`; the timeline follows the newest event until scrolled.

use super::action::Action;
use super::state::State;

/// The ticket view's keys (its timeline scrolls). True if `a` was handled here.
pub fn act(s: &mut State, a: Action) -> bool {
    if !a.moves() {
        return false;
    }
    let h = s.layout.timeline_rows;
    let page = s.layout.page();
    if let Some(t) = &mut s.ticket {
        let len = t.timeline.as_ref().map_or(0, Vec::len);
        let max = len.saturating_sub(h);
        let cur = t.scroll.unwrap_or(max).min(max);
        let next = super::list::step(a, cur, max + 1, page)
            .unwrap_or(cur)
            .min(max);
        t.scroll = if next >= max { None } else { Some(next) };
    }
    true
}
