//! The escalation queue for supervisors: escalated tickets grouped by level (highest
//! first); within a level unacknowledged, then breached, then longest waiting first.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};

use super::{cell, metric_short, put};
use crate::tui::board::Class;
use crate::tui::fmt;
use crate::tui::state::State;
use crate::tui::theme::{severity_mark, Theme};

enum Line {
    Group {
        level: u8,
        count: usize,
        unack: usize,
    },
    Ticket(usize),
}

fn lines(s: &State) -> Vec<Line> {
    let mut out = Vec::new();
    let rows = &s.esc.rows;
    let mut r = 0;
    while r < rows.len() {
        let level = level_of(s, rows[r]);
        let end = rows[r..]
            .iter()
            .position(|&i| level_of(s, i) != level)
            .map_or(rows.len(), |p| r + p);
        let unack = rows[r..end]
            .iter()
            .filter(|&&i| {
                s.board
                    .entry(i)
                    .and_then(|e| e.facts.escalation.as_ref())
                    .is_some_and(|x| !x.acknowledged)
            })
            .count();
        out.push(Line::Group {
            level,
            count: end - r,
            unack,
        });
        out.extend((r..end).map(Line::Ticket));
        r = end;
    }
    out
}

fn level_of(s: &State, i: u32) -> u8 {
    s.board
        .entry(i)
        .and_then(|e| e.facts.escalation.as_ref())
        .map_or(0, |x| x.level)
}

/// Columns and widths for `w` columns: ids are never cut (`id` is the longest), and
/// where the row is too long the title gives way first, then customer, then assignee.
fn columns(w: usize, id: usize) -> Vec<(&'static str, usize)> {
    let wide = w >= 120;
    let mut cols: Vec<(&str, usize)> = vec![
        ("", 2),
        ("P", 2),
        ("Ack", 5),
        ("Since", 9),
        ("To", if wide { 18 } else { 12 }),
        ("Ticket", id.max(6)),
        ("Customer", if wide { 14 } else { 10 }),
        ("Assignee", if wide { 12 } else { 10 }),
        ("Title", 0),
        ("At risk", 8),
        ("Due in", 10),
    ];
    let order = ["Title", "Customer", "Assignee", "To", "At risk", "Since"];
    super::columns::fit(&mut cols, w, "Title", 6, &order);
    cols
}

/// The lines and the first one shown in a body of `h` lines.
fn shown(s: &State, h: usize) -> (Vec<Line>, usize) {
    let lines = lines(s);
    let cur = s.esc.sel.cursor(&s.board, &s.esc.rows);
    let cur_line = lines
        .iter()
        .position(|l| matches!(l, Line::Ticket(r) if *r == cur))
        .unwrap_or(0);
    let mut offset = crate::tui::list::window(s.esc.sel.offset, cur_line, h, lines.len());
    // Show the group heading above the first selected row of a group.
    if offset > 0 && offset == cur_line && matches!(lines[offset - 1], Line::Group { .. }) {
        offset -= 1;
    }
    (lines, offset)
}

/// The row a click on screen row `y` of `area` (what `draw` gets) lands on.
pub fn hit(area: Rect, s: &State, y: u16) -> Option<crate::tui::layout::Hit> {
    let n = usize::from(y.checked_sub(area.y + 1)?);
    let (lines, offset) = shown(s, usize::from(area.height.saturating_sub(1)));
    match lines.get(offset + n)? {
        Line::Ticket(r) => Some(crate::tui::layout::Hit::Row(*r)),
        Line::Group { .. } => None,
    }
}

pub fn draw(buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: DateTime<Utc>) {
    let w = usize::from(area.width);
    let id = s
        .esc
        .rows
        .iter()
        .filter_map(|&i| s.board.entry(i))
        .map(|e| crate::tui::sanitize::width(&e.facts.ticket))
        .max()
        .unwrap_or(0);
    let cols = columns(w, id);
    let mut x = area.x;
    for &(name, cw) in &cols {
        cell(buf, x, area.y, name, cw, theme.column_header);
        x += cw as u16 + 1;
    }
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    );
    if s.esc.rows.is_empty() {
        let msg = if s.board.filter().is_empty() {
            "No escalated open tickets."
        } else {
            "No escalated ticket matches the filter."
        };
        put(buf, body.x + 2, body.y + 1, msg, w - 2, theme.muted);
        return;
    }
    let h = usize::from(body.height);
    let (lines, offset) = shown(s, h);
    let cur = s.esc.sel.cursor(&s.board, &s.esc.rows);
    let now_us = now.timestamp_micros();
    for (n, line) in lines.iter().enumerate().skip(offset).take(h) {
        let y = body.y + (n - offset) as u16;
        match *line {
            Line::Group {
                level,
                count,
                unack,
            } => {
                let t = format!(
                    "Level {level} — {count} ticket{}{}",
                    if count == 1 { "" } else { "s" },
                    if unack > 0 {
                        format!(", {unack} unacknowledged")
                    } else {
                        String::new()
                    }
                );
                cell(buf, area.x, y, &t, w, theme.group);
            }
            Line::Ticket(r) => {
                let Some(e) = s.board.entry(s.esc.rows[r]) else {
                    continue;
                };
                let Some(x) = e.facts.escalation.as_ref() else {
                    continue;
                };
                let selected = r == cur;
                let breached = e.sum.class == Class::Breached;
                let base = if breached {
                    theme.base.add_modifier(Modifier::BOLD)
                } else {
                    theme.base
                };
                let sel = |st: Style| theme.row(st, selected);
                let sev = if e.sum.class == Class::Paused {
                    theme.paused
                } else {
                    theme.severity(e.sum.severity)
                };
                let cell_of = |name: &str| -> (String, Style) {
                    match name {
                        "" if e.sum.class == Class::Paused => ("||".into(), sev),
                        "" => (severity_mark(e.sum.severity).into(), sev),
                        "P" => (e.facts.priority.to_string(), base),
                        "Ack" if x.acknowledged => ("ack".into(), base),
                        "Ack" => ("UNACK".into(), theme.warning.add_modifier(Modifier::BOLD)),
                        "Since" => (format!("{:>8}", fmt::duration(now_us - x.at)), base),
                        "To" => (x.to.to_string(), base),
                        "Ticket" => (e.facts.ticket.to_string(), base),
                        "Customer" => (e.facts.customer.to_string(), base),
                        "Assignee" => (e.facts.assignee.as_deref().unwrap_or("-").to_owned(), base),
                        "Title" => (e.facts.title.to_string(), base),
                        "At risk" => (
                            e.sum.metric.map_or("", metric_short).to_owned(),
                            if breached { theme.breached } else { base },
                        ),
                        _ => (
                            match (e.sum.class, e.sum.due) {
                                (Class::Running | Class::Breached, Some(d)) => {
                                    format!("{:>9}", fmt::countdown(d, now))
                                }
                                (Class::Paused, _) => format!("{:>9}", "paused"),
                                _ => format!("{:>9}", "-"),
                            },
                            sev,
                        ),
                    }
                };
                let cells: Vec<(String, Style)> = cols.iter().map(|c| cell_of(c.0)).collect();
                let mut cx = area.x;
                for ((text, st), &(_, cw)) in cells.iter().zip(&cols) {
                    cell(buf, cx, y, text, cw, sel(*st));
                    if cx + (cw as u16) < area.right() {
                        cell(buf, cx + cw as u16, y, " ", 1, sel(base));
                    }
                    cx += cw as u16 + 1;
                }
            }
        }
    }
}
