//! The pane of each view: what it does with keys (its module: `queue`, `ticket`,
//! `escalations`, `help`, `compliance`, `nudges`, `closed`) and how it is drawn (the
//! same name under `view/`), behind [`Pane`].

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::Action;
use super::effect::Effect;
use super::layout::Hit;
use super::pane::Pane;
use super::state::{State, View};
use super::theme::Theme;
use super::{closed, compliance, escalations, help, nudges, queue, ticket, view};

/// The pane of view `v`.
pub fn of(v: View) -> &'static dyn Pane {
    match v {
        View::Queue => &QueuePane,
        View::Ticket => &TicketPane,
        View::Escalations => &EscalationsPane,
        View::Help => &HelpPane,
        View::Compliance => &CompliancePane,
        View::Nudges => &NudgeLogPane,
        View::Closed => &ClosedPane,
    }
}

pub struct QueuePane;
pub struct TicketPane;
pub struct EscalationsPane;
pub struct HelpPane;
pub struct CompliancePane;
pub struct NudgeLogPane;
pub struct ClosedPane;

type Now = DateTime<Utc>;

impl Pane for QueuePane {
    fn act(&self, s: &mut State, a: Action, now: Now, _fx: &mut Vec<Effect>) -> bool {
        queue::act(s, a, now)
    }
    fn draw(&self, buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: Now) {
        view::queue::draw(buf, area, s, theme, now);
    }
    fn hit(&self, area: Rect, s: &State, x: u16, y: u16) -> Option<Hit> {
        view::queue::hit(area, s, x, y)
    }
    fn click(&self, s: &mut State, hit: Hit, now: Now, fx: &mut Vec<Effect>) {
        queue::click(s, hit, now, fx);
    }
}

impl Pane for TicketPane {
    fn act(&self, s: &mut State, a: Action, _now: Now, _fx: &mut Vec<Effect>) -> bool {
        ticket::act(s, a)
    }
    fn draw(&self, buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: Now) {
        view::ticket::draw(buf, area, s, theme, now);
    }
}

impl Pane for EscalationsPane {
    fn act(&self, s: &mut State, a: Action, _now: Now, _fx: &mut Vec<Effect>) -> bool {
        escalations::act(s, a)
    }
    fn draw(&self, buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: Now) {
        view::escalations::draw(buf, area, s, theme, now);
    }
    fn hit(&self, area: Rect, s: &State, _x: u16, y: u16) -> Option<Hit> {
        view::escalations::hit(area, s, y)
    }
    fn click(&self, s: &mut State, hit: Hit, _now: Now, fx: &mut Vec<Effect>) {
        escalations::click(s, hit, fx);
    }
}

impl Pane for HelpPane {
    fn act(&self, s: &mut State, a: Action, _now: Now, _fx: &mut Vec<Effect>) -> bool {
        help::act(s, a)
    }
    fn draw(&self, buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, _now: Now) {
        view::help::draw(buf, area, s, theme);
    }
}

impl Pane for CompliancePane {
    fn act(&self, s: &mut State, a: Action, now: Now, fx: &mut Vec<Effect>) -> bool {
        compliance::act(s, a, now, fx)
    }
    fn draw(&self, buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: Now) {
        view::compliance::draw(buf, area, s, theme, now);
    }
    fn shown(&self, s: &mut State, now: Now, fx: &mut Vec<Effect>) {
        compliance::shown(s, now, fx);
    }
}

impl Pane for NudgeLogPane {
    fn act(&self, s: &mut State, a: Action, _now: Now, fx: &mut Vec<Effect>) -> bool {
        nudges::act(s, a, fx)
    }
    fn draw(&self, buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: Now) {
        view::nudge_log::draw(buf, area, s, theme, now);
    }
}

impl Pane for ClosedPane {
    fn act(&self, s: &mut State, a: Action, _now: Now, fx: &mut Vec<Effect>) -> bool {
        closed::act(s, a, fx)
    }
    fn draw(&self, buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: Now) {
        view::closed::draw(buf, area, s, theme, now);
    }
    fn hit(&self, area: Rect, s: &State, _x: u16, y: u16) -> Option<Hit> {
        view::closed::hit(area, s, y)
    }
    fn click(&self, s: &mut State, hit: Hit, _now: Now, fx: &mut Vec<Effect>) {
        closed::click(s, hit, fx);
    }
    fn shown(&self, s: &mut State, now: Now, fx: &mut Vec<Effect>) {
        closed::shown(s, now, fx);
    }
}
