//! One pane per view. A pane is what a view does: its keys (an `Action` to state
//! changes and effects), its clicks and its drawing. Its state is its own field of
//! [`State`] (`queue`, `esc`, `ticket`, `help_scroll`, `compliance`, `nudges`, `closed`),
//! changed only by its module. Panes never import each other: a pane that opens
//! another view goes through `State` (`open_ticket`, `enter`, `back`).
//!
//! The console's own keys (quit, help, the tabs, back, the recording forms) are
//! `update`'s and run when the pane in view leaves an action alone.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::Action;
use super::effect::Effect;
use super::layout::Hit;
use super::state::State;
use super::theme::Theme;

pub trait Pane: Sync {
    /// Takes `a` if it is this pane's to handle; false leaves it to the console.
    fn act(&self, s: &mut State, a: Action, now: DateTime<Utc>, fx: &mut Vec<Effect>) -> bool;

    /// Draws the pane's body (under the header, above the footer).
    fn draw(&self, buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: DateTime<Utc>);

    /// What a click at (`x`, `y`) in the body `area` lands on.
    fn hit(&self, _area: Rect, _s: &State, _x: u16, _y: u16) -> Option<Hit> {
        None
    }

    /// A click on what `hit` found.
    fn click(&self, _s: &mut State, _hit: Hit, _now: DateTime<Utc>, _fx: &mut Vec<Effect>) {}

    /// The pane has just come into view: it asks for what it shows, if that is stale.
    fn shown(&self, _s: &mut State, _now: DateTime<Utc>, _fx: &mut Vec<Effect>) {}
}

/// A click in a list of `len` rows: on the `selected` row it opens it, elsewhere it
/// selects the row.
pub fn click_row(
    s: &mut State,
    hit: Hit,
    (len, selected): (usize, usize),
    select: impl FnOnce(&mut State, usize),
    open: impl FnOnce(&mut State, &mut Vec<Effect>),
    fx: &mut Vec<Effect>,
) {
    let Hit::Row(r) = hit else { return };
    if r >= len {
        return;
    }
    if r == selected {
        open(s, fx);
    } else {
        select(s, r);
    }
}
