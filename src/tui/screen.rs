//! The whole screen, composed: the header, the pane in view, toasts, the footer and
//! the modal on top. Pure: `render(frame, &State, &Theme, now)`, no I/O and no clock,
//! so every screen is a snapshot test with a fixed `now`.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::layout::Hit;
use super::panes;
use super::sanitize::{truncate, width};
use super::state::{State, View};
use super::theme::Theme;
use super::view::{
    compliance, decide, footer, form, header, nudge_log, queue, MIN_HEIGHT, MIN_WIDTH,
};

pub fn render(frame: &mut Frame, s: &State, theme: &Theme, now: DateTime<Utc>) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    draw(buf, area, s, theme, now);
    // A text field shows the terminal cursor where typing goes.
    if let Some(pos) = cursor(area, s) {
        frame.set_cursor_position(pos);
    }
}

/// Everything, into a buffer (what `render` does, without the cursor).
pub fn draw(buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: DateTime<Utc>) {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(buf, area, theme);
        return;
    }
    buf.set_style(area, theme.base);
    header(buf, area, s, theme, now);
    let problem = header_problem(s);
    if let Some(p) = &problem {
        nudge_log::header_line(buf, area, area.y + 2, p, theme);
    }
    let body = body_of(area, problem.is_some());
    panes::of(s.view).draw(buf, body, s, theme, now);
    // The nudge log lists them itself.
    if s.view != View::Nudges {
        nudge_log::toasts(buf, body, s, theme, now);
    }
    footer(
        buf,
        Rect::new(area.x, area.bottom() - 1, area.width, 1),
        s,
        theme,
        now,
    );
    if let Some(f) = s.form() {
        form::draw(buf, area, f, form_row(area, s), s, theme);
    }
    if let Some(m) = s.snooze_modal() {
        nudge_log::modal(buf, area, m, s, theme, now);
    }
    if let Some(m) = s.decide_modal() {
        decide::modal(buf, area, m, s, theme);
    }
}

/// What a click at (`x`, `y`) on a screen of `area` lands on (see `layout::Hit`).
pub fn hit(area: Rect, s: &State, x: u16, y: u16) -> Option<Hit> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT || s.overlay.is_some() {
        return None;
    }
    let body = body_of(area, header_problem(s).is_some());
    if y < body.y || y >= body.bottom() {
        return None;
    }
    panes::of(s.view).hit(body, s, x, y)
}

/// In the nudge log, a third header line when desktop notifications (or the record of
/// sent nudges) fail; elsewhere a toast told it once.
fn header_problem(s: &State) -> Option<String> {
    (s.view == View::Nudges)
        .then(|| s.nudges.problem())
        .flatten()
}

/// Where the views draw: under the header (two rows, three with a problem line) and
/// above the footer.
fn body_of(area: Rect, problem_line: bool) -> Rect {
    let top = if problem_line { 3 } else { 2 };
    Rect::new(area.x, area.y + top, area.width, area.height - top - 1)
}

/// The row of the ticket a form is for, where the view shows one in a list.
fn form_row(area: Rect, s: &State) -> Option<u16> {
    let body = body_of(area, header_problem(s).is_some());
    (s.view == View::Queue)
        .then(|| queue::selected_y(body, s))
        .flatten()
}

fn cursor(area: Rect, s: &State) -> Option<ratatui::layout::Position> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    if let Some(f) = s.form() {
        return form::cursor(area, f, form_row(area, s));
    }
    if let Some((p, _)) = s.month_prompt() {
        return Some(compliance::prompt_cursor(area, p));
    }
    s.filter_prompt().map(|p| {
        let x = area.x + 9 + width(p) as u16;
        ratatui::layout::Position::new(x.min(area.right() - 1), area.bottom() - 1)
    })
}

fn too_small(buf: &mut Buffer, area: Rect, theme: &Theme) {
    buf.set_style(area, theme.base);
    let lines = [
        "slawatch needs a larger terminal:".to_owned(),
        format!("at least {MIN_WIDTH}x{MIN_HEIGHT},"),
        format!("now {}x{}.", area.width, area.height),
    ];
    for (i, l) in lines.iter().enumerate() {
        if (i as u16) < area.height {
            let t = truncate(l, usize::from(area.width));
            buf.set_string(area.x, area.y + i as u16, t, theme.stale);
        }
    }
}
