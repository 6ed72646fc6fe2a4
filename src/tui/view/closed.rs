//! The closed list: what it lists on its first line, then one row per ticket with
//! when it closed and whether its clocks met their targets.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{cell, put};
use crate::sla::clock::ClockState;
use crate::tui::board::{Board, Entry};
use crate::tui::fmt;
use crate::tui::state::State;
use crate::tui::theme::Theme;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Priority,
    Id,
    Customer,
    Title,
    Assignee,
    Closed,
    Verdict,
}

fn columns(w: u16, id: usize) -> Vec<(Col, usize)> {
    let wide = w >= 110;
    let mut cols = vec![
        (Col::Priority, 2),
        (Col::Id, id.max(if wide { 14 } else { 10 })),
        (Col::Customer, if wide { 14 } else { 9 }),
        (Col::Title, 0),
        (Col::Assignee, if wide { 12 } else { 8 }),
        (Col::Closed, 12),
        (Col::Verdict, if wide { 24 } else { 16 }),
    ];
    use Col::*;
    super::columns::fit(
        &mut cols,
        usize::from(w),
        Title,
        6,
        &[Title, Customer, Assignee],
    );
    cols
}

fn heading(c: Col) -> &'static str {
    match c {
        Col::Priority => "P",
        Col::Id => "Ticket",
        Col::Customer => "Customer",
        Col::Title => "Title",
        Col::Assignee => "Assignee",
        Col::Closed => "Closed",
        Col::Verdict => "Verdict",
    }
}

/// `met` when every clock met its target, else the metrics that missed theirs:
/// `missed: restore, update`.
pub fn verdict(board: &Board, e: &Entry, now: DateTime<Utc>) -> (String, bool) {
    let clocks = board.clocks(e, now);
    if clocks.is_empty() {
        return ("no policy".into(), false);
    }
    let breached: Vec<&str> = clocks
        .iter()
        .filter(|c| c.state == ClockState::Breached || c.breaches > 0)
        .map(|c| fmt::metric_short(c.metric))
        .collect();
    if breached.is_empty() {
        ("met".into(), false)
    } else {
        (format!("missed: {}", breached.join(", ")), true)
    }
}

pub fn draw(buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: DateTime<Utc>) {
    let p = &s.closed;
    let w = usize::from(area.width);
    let n = p.rows.len();
    let what = if p.query.text.is_empty() {
        "Closed today".to_owned()
    } else {
        format!("Closed tickets mentioning \"{}\"", p.query.text)
    };
    let count = match n {
        _ if p.loading && n == 0 => " · reading…".to_owned(),
        1 => " · 1 ticket".to_owned(),
        n if n >= p.query.limit && p.query.limit > 0 => format!(" · the newest {n}"),
        n => format!(" · {n} tickets"),
    };
    let search = super::key_of(
        s,
        crate::tui::action::Section::Global,
        crate::tui::action::Action::Filter,
    );
    let title = format!("{what}{count}, newest first · {search} searches every closed ticket");
    put(
        buf,
        area.x + 1,
        area.y,
        &title,
        w.saturating_sub(1),
        theme.title,
    );
    let id_w = p
        .rows
        .iter()
        .skip(p.offset)
        .take(usize::from(area.height))
        .map(|e| crate::tui::sanitize::width(&e.facts.ticket))
        .max()
        .unwrap_or(0);
    let cols = columns(area.width, id_w);
    let mut x = area.x;
    for &(c, cw) in &cols {
        cell(buf, x, area.y + 1, heading(c), cw, theme.column_header);
        x += cw as u16 + 1;
    }
    let body_y = area.y + 2;
    let h = usize::from(area.height.saturating_sub(2));
    if n == 0 {
        let msg = match &p.error {
            Some(e) => format!("Cannot read the closed tickets: {e}"),
            None if p.loading => "Reading the closed tickets…".to_owned(),
            None if p.query.text.is_empty() => "No ticket closed today.".to_owned(),
            None => "No closed ticket mentions that.".to_owned(),
        };
        let style = if p.error.is_some() {
            theme.error
        } else {
            theme.muted
        };
        put(
            buf,
            area.x + 2,
            body_y + 1,
            &msg,
            w.saturating_sub(2),
            style,
        );
        return;
    }
    let offset = crate::tui::list::window(p.offset, p.row, h, n);
    for (r, e) in p.rows.iter().enumerate().skip(offset).take(h) {
        let y = body_y + (r - offset) as u16;
        let selected = r == p.row;
        let sel = |st| theme.row(st, selected);
        let (verdict, breached) = verdict(&s.board, e, now);
        let f = &e.facts;
        let closed = f
            .resolved_at
            .map_or_else(|| "-".to_owned(), |t| fmt::instant_short(t, now, s.tz));
        let mut x = area.x;
        for &(c, cw) in &cols {
            let (text, style) = match c {
                Col::Priority => (f.priority.to_string(), theme.base),
                Col::Id => (f.ticket.to_string(), theme.base),
                Col::Customer => (f.customer.to_string(), theme.base),
                Col::Title => (f.title.to_string(), theme.base),
                Col::Assignee => (f.assignee.as_deref().unwrap_or("-").to_owned(), theme.base),
                Col::Closed => (closed.clone(), theme.base),
                Col::Verdict if breached => (verdict.clone(), theme.breached),
                Col::Verdict => (verdict.clone(), theme.ok),
            };
            cell(buf, x, y, &text, cw, sel(style));
            if x + (cw as u16) < area.right() {
                cell(buf, x + cw as u16, y, " ", 1, sel(theme.base));
            }
            x += cw as u16 + 1;
        }
    }
    if let Some(e) = &p.error {
        let y = area.bottom().saturating_sub(1);
        put(
            buf,
            area.x + 1,
            y,
            &format!("not current: {e}"),
            w.saturating_sub(1),
            theme.error,
        );
    }
}

/// The row a click at `y` in the list's `area` lands on.
pub fn hit(area: Rect, s: &State, y: u16) -> Option<crate::tui::layout::Hit> {
    let h = usize::from(area.height.saturating_sub(2));
    let p = &s.closed;
    let offset = crate::tui::list::window(p.offset, p.row, h, p.rows.len());
    let r = offset + usize::from(y.checked_sub(area.y + 2)?);
    (r < p.rows.len()).then_some(crate::tui::layout::Hit::Row(r))
}
