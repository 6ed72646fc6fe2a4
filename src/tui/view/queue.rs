//! The queue: every open ticket, most urgent first.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};

use super::{bar, cell, metric_short};
use crate::sla::clock::ClockState;
use crate::tui::board::{Board, Class, Entry, GroupBy, Sort, SortMode};
use crate::tui::fmt;
use crate::tui::fmt::ticket_state;
use crate::tui::groups::{lines, Groups, Line};
use crate::tui::layout::Hit;
use crate::tui::state::{ListSel, State};
use crate::tui::theme::{severity_mark, Theme};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Mark,
    Priority,
    Id,
    Customer,
    Title,
    State,
    Assignee,
    Level,
    Metric,
    Countdown,
    Bar,
}

/// Columns and widths for a terminal `w` columns wide; the title takes the rest.
/// The id column is at least `id` wide: an id is never cut. Grouped by customer or
/// assignee, that column goes: the group's header names it.
pub fn columns(w: u16, id: usize, group: GroupBy) -> Vec<(Col, usize)> {
    let w = usize::from(w);
    let mut cols: Vec<(Col, usize)> = if w >= 150 {
        vec![
            (Col::Mark, 2),
            (Col::Priority, 3),
            (Col::Id, 14),
            (Col::Customer, 14),
            (Col::Title, 0),
            (Col::State, 18),
            (Col::Assignee, 12),
            (Col::Level, 4),
            (Col::Metric, 8),
            (Col::Countdown, 10),
            (Col::Bar, 16),
        ]
    } else if w >= 110 {
        vec![
            (Col::Mark, 2),
            (Col::Priority, 3),
            (Col::Id, 12),
            (Col::Customer, 12),
            (Col::Title, 0),
            (Col::State, 14),
            (Col::Assignee, 10),
            (Col::Level, 4),
            (Col::Metric, 8),
            (Col::Countdown, 10),
            (Col::Bar, 12),
        ]
    } else {
        vec![
            (Col::Mark, 2),
            (Col::Priority, 2),
            (Col::Id, 10),
            (Col::Customer, 9),
            (Col::Title, 0),
            (Col::State, 7),
            (Col::Level, 3),
            (Col::Metric, 7),
            (Col::Countdown, 9),
            (Col::Bar, 5),
        ]
    };
    for c in &mut cols {
        if c.0 == Col::Id {
            c.1 = c.1.max(id);
        }
    }
    let named = match group {
        GroupBy::Customer => Some(Col::Customer),
        GroupBy::Assignee => Some(Col::Assignee),
        GroupBy::None | GroupBy::Level => None,
    };
    cols.retain(|c| Some(c.0) != named);
    // The title gets what is left; on a narrow terminal the title gives way first,
    // then customer, then assignee, then what the countdown's colour also says.
    use Col::*;
    let order = [Title, Customer, Assignee, Bar, Level, State, Metric];
    super::columns::fit(&mut cols, w, Title, 6, &order);
    cols
}

fn heading(c: Col, w: usize) -> &'static str {
    match c {
        Col::Bar if w < 8 => "Used",
        Col::Mark => "",
        Col::Priority => "P",
        Col::Id => "Ticket",
        Col::Customer => "Customer",
        Col::Title => "Title",
        Col::State => "State",
        Col::Assignee => "Assignee",
        Col::Level => "Esc",
        Col::Metric => "At risk",
        Col::Countdown => "Due in",
        Col::Bar => "Budget used",
    }
}

/// The sort a column's heading stands for (the mark column sorts as the countdown).
pub fn sort_of(c: Col) -> SortMode {
    match c {
        Col::Mark | Col::Countdown => SortMode::Urgency,
        Col::Priority => SortMode::Priority,
        Col::Id => SortMode::Id,
        Col::Customer => SortMode::Customer,
        Col::Title => SortMode::Title,
        Col::State => SortMode::State,
        Col::Assignee => SortMode::Assignee,
        Col::Level => SortMode::Level,
        Col::Metric => SortMode::Metric,
        Col::Bar => SortMode::Used,
    }
}

/// A heading in `w` columns, with the sort's arrow when the queue is sorted by it
/// (the heading gives way to the arrow).
fn heading_text(c: Col, w: usize, sort: Sort) -> String {
    let text = heading(c, w);
    if c == Col::Mark || sort_of(c) != sort.mode {
        return text.to_owned();
    }
    let keep = w.saturating_sub(1).min(text.chars().count());
    let text: String = text.chars().take(keep).collect();
    format!("{text}{}", sort.arrow())
}

pub fn draw(buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: DateTime<Utc>) {
    let rows = s.board.visible();
    draw_list(buf, area, s, rows, &s.queue, theme, now, Some(&s.groups));
}

/// The lines of the queue's body drawn into `area` (what `draw` gets), and its
/// first row: what each screen line shows, for the mouse and for forms.
pub fn body_lines(area: Rect, s: &State) -> (Rect, Vec<Line>) {
    let rows = s.board.visible();
    let body = body_of(area);
    let cur = s.queue.cursor(&s.board, rows);
    let (_, lines) = lines(
        Some(&s.groups),
        s.queue.offset,
        cur,
        usize::from(body.height),
        rows.len(),
    );
    (body, lines)
}

/// The id column's width: only the rows shown decide it (a frame never walks them all).
fn id_width(s: &State, rows: &[u32], offset: usize, h: usize) -> usize {
    rows.iter()
        .skip(offset)
        .take(h)
        .filter_map(|&i| s.board.entry(i))
        .map(|e| crate::tui::sanitize::width(&e.facts.ticket))
        .max()
        .unwrap_or(0)
}

/// What a click at (`x`, `y`) in `area` (what `draw` gets) lands on: a column's
/// heading or a ticket's row (a group header is neither).
pub fn hit(area: Rect, s: &State, x: u16, y: u16) -> Option<Hit> {
    let rows = s.board.visible();
    let (body, lines) = body_lines(area, s);
    if y == area.y {
        let offset = lines.iter().find_map(|l| match l {
            Line::Row(r) => Some(*r),
            Line::Header(_) => None,
        });
        let id_w = id_width(s, rows, offset.unwrap_or(0), usize::from(body.height));
        let mut at = area.x;
        for (c, w) in columns(area.width, id_w, s.board.grouping()) {
            if (at..at + w as u16 + 1).contains(&x) {
                return Some(Hit::Sort(sort_of(c)));
            }
            at += w as u16 + 1;
        }
        return None;
    }
    match lines.get(usize::from(y.checked_sub(body.y)?))? {
        Line::Row(r) => Some(Hit::Row(*r)),
        Line::Header(_) => None,
    }
}

fn body_of(area: Rect) -> Rect {
    Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    )
}

/// The screen row of the queue's selected ticket, drawn into `area` (what `draw`
/// gets), if any ticket is shown: a form opens beside it, not over it.
pub fn selected_y(area: Rect, s: &State) -> Option<u16> {
    let rows = s.board.visible();
    if rows.is_empty() {
        return None;
    }
    let cur = s.queue.cursor(&s.board, rows);
    let (body, lines) = body_lines(area, s);
    let at = lines.iter().position(|l| *l == Line::Row(cur))?;
    Some(body.y + at as u16)
}

/// The ticket table, shared with the escalations view's rows.
#[allow(clippy::too_many_arguments)]
pub fn draw_list(
    buf: &mut Buffer,
    area: Rect,
    s: &State,
    rows: &[u32],
    sel: &ListSel,
    theme: &Theme,
    now: DateTime<Utc>,
    groups: Option<&Groups>,
) {
    let body = body_of(area);
    let h = usize::from(body.height);
    let cur = sel.cursor(&s.board, rows);
    let (offset, lines) = lines(groups, sel.offset, cur, h, rows.len());
    let cols = columns(area.width, id_width(s, rows, offset, h), s.board.grouping());
    let sort = s.board.sort();
    let mut x = area.x;
    for &(c, w) in &cols {
        cell(
            buf,
            x,
            area.y,
            &heading_text(c, w, sort),
            w,
            theme.column_header,
        );
        x += w as u16 + 1;
    }
    if rows.is_empty() {
        let msg = match (&s.source.error, s.source.loaded) {
            (Some(e), false) => format!("Cannot read the store: {e}. Retrying…"),
            (None, false) => "Loading tickets…".to_owned(),
            _ if s.board.is_empty() => "No open tickets.".to_owned(),
            _ => "No ticket matches the filter.".to_owned(),
        };
        let style = if s.source.error.is_some() && !s.source.loaded {
            theme.error
        } else {
            theme.muted
        };
        super::put(
            buf,
            body.x + 2,
            body.y + 1,
            &msg,
            usize::from(body.width) - 2,
            style,
        );
        return;
    }
    for (n, line) in lines.iter().enumerate() {
        let y = body.y + n as u16;
        let r = match *line {
            Line::Header(r) => {
                group_header(buf, body, y, s, rows, r, groups, theme);
                continue;
            }
            Line::Row(r) => r,
        };
        let Some(e) = s.board.entry(rows[r]) else {
            continue;
        };
        row(
            buf,
            area.x,
            y,
            &cols,
            &s.board,
            e,
            theme,
            now,
            r == cur,
            s.compliance.marked(e.key()),
        );
        mark_state(buf, area.x, y, &cols, s, e, theme, now, r == cur);
    }
}

/// `▸ ACME Corp · 12 tickets · 3 breached` over the group row `r` is in.
#[allow(clippy::too_many_arguments)]
fn group_header(
    buf: &mut Buffer,
    body: Rect,
    y: u16,
    s: &State,
    rows: &[u32],
    r: usize,
    groups: Option<&Groups>,
    theme: &Theme,
) {
    let Some(run) = groups.and_then(|g| g.run_of(r)) else {
        return;
    };
    let Some(e) = rows.get(run.first).and_then(|&i| s.board.entry(i)) else {
        return;
    };
    let name = s.board.grouping().name(e).text();
    let tickets = if run.len == 1 { "ticket" } else { "tickets" };
    let mut text = format!("▸ {name} · {} {tickets}", run.len);
    if run.breached > 0 {
        text.push_str(&format!(" · {} breached", run.breached));
    }
    if r != run.first {
        text.push_str(" (continued)");
    }
    cell(buf, body.x, y, &text, usize::from(body.width), theme.group);
}

#[allow(clippy::too_many_arguments)]
fn row(
    buf: &mut Buffer,
    x0: u16,
    y: u16,
    cols: &[(Col, usize)],
    board: &Board,
    e: &Entry,
    theme: &Theme,
    now: DateTime<Utc>,
    selected: bool,
    // The next hour of this ticket costs a contract money (compliance figures).
    marked: bool,
) {
    let sum = &e.sum;
    let sev = sum.severity;
    let breached = sum.class == Class::Breached;
    let base = if breached {
        theme.base.add_modifier(Modifier::BOLD)
    } else {
        theme.base
    };
    let sel = |st: Style| theme.row(st, selected);
    let sev_style = match sum.class {
        Class::Paused => theme.paused,
        _ => theme.severity(sev),
    };
    let mut x = x0;
    for &(c, w) in cols {
        match c {
            Col::Mark => {
                let m = match sum.class {
                    Class::Paused => "||",
                    Class::Problem => "??",
                    _ => severity_mark(sev),
                };
                cell(buf, x, y, m, w, sel(sev_style));
            }
            Col::Priority => {
                let p = e.facts.priority.to_string();
                let st = if e.facts.priority.level() == 1 {
                    base.add_modifier(Modifier::BOLD)
                } else {
                    base
                };
                cell(buf, x, y, &p, w, sel(st));
            }
            Col::Id => cell(buf, x, y, &e.facts.ticket, w, sel(base)),
            Col::Customer => cell(buf, x, y, &e.facts.customer, w, sel(base)),
            Col::Title if marked => {
                cell(buf, x, y, "$", 1, sel(theme.critical));
                cell(
                    buf,
                    x + 1,
                    y,
                    &format!(" {}", e.facts.title),
                    w - 1,
                    sel(base),
                );
            }
            Col::Title => cell(buf, x, y, &e.facts.title, w, sel(base)),
            Col::State => {
                let st = if e.facts.current_pause().is_some() {
                    theme.paused
                } else {
                    base
                };
                cell(buf, x, y, &ticket_state(e), w, sel(st));
            }
            Col::Assignee => cell(
                buf,
                x,
                y,
                e.facts.assignee.as_deref().unwrap_or("-"),
                w,
                sel(base),
            ),
            Col::Level => {
                let t = match &e.facts.escalation {
                    Some(x) if x.acknowledged => format!("L{}", x.level),
                    Some(x) => format!("L{}!", x.level),
                    None => String::new(),
                };
                let unack = e.facts.escalation.as_ref().is_some_and(|x| !x.acknowledged);
                let st = if unack { theme.warning } else { base };
                cell(buf, x, y, &t, w, sel(st));
            }
            Col::Metric => {
                let t = sum.metric.map_or("", metric_short);
                let st = if breached { theme.breached } else { base };
                cell(buf, x, y, t, w, sel(st));
            }
            Col::Countdown => {
                let t = match (sum.class, sum.due) {
                    (Class::Running | Class::Breached, Some(due)) => fmt::countdown(due, now),
                    (Class::Paused, _) => format!("={}", fmt::duration(sum.target - sum.elapsed)),
                    (Class::Idle, _) => "met".into(),
                    (Class::Problem, _) => "-".into(),
                    _ => "-".into(),
                };
                cell(buf, x, y, &format!("{t:>w$}"), w, sel(sev_style));
            }
            Col::Bar => {
                if sum.metric.is_some() && sum.target > 0 {
                    let pct = board.elapsed_now(e, now) as f64 * 100.0 / sum.target as f64;
                    let fill = match sum.state {
                        Some(ClockState::Paused) => theme.paused,
                        _ => theme.severity(sev),
                    };
                    if w < 8 {
                        let p = if pct >= 999.5 {
                            ">999%".to_owned()
                        } else {
                            format!("{pct:>4.0}%")
                        };
                        cell(buf, x, y, &format!("{p:>w$}"), w, sel(fill));
                    } else {
                        cell(buf, x, y, "", w, sel(base));
                        bar(buf, x, y, pct, w - 6, sel(fill), sel(theme.bar_empty));
                    }
                } else {
                    cell(buf, x, y, "", w, sel(base));
                }
            }
        }
        x += w as u16;
        if x < x0 + cols.iter().map(|c| c.1 as u16 + 1).sum::<u16>() {
            cell(buf, x, y, " ", 1, sel(base));
        }
        x += 1;
    }
}

/// Overwrites a queue row's State cell when there is more to say than its state:
/// "NEW" for a ticket announced lately (see `tui::arrivals`), else the snooze mark
/// ("z 12m") when its warnings are snoozed.
#[allow(clippy::too_many_arguments)]
fn mark_state(
    buf: &mut Buffer,
    x0: u16,
    y: u16,
    cols: &[(Col, usize)],
    s: &State,
    e: &Entry,
    theme: &Theme,
    now: DateTime<Utc>,
    selected: bool,
) {
    let now_us = now.timestamp_micros();
    let Some((x, w)) = cols
        .iter()
        .scan(x0, |x, &(c, w)| {
            let at = *x;
            *x += w as u16 + 1;
            Some((c, at, w))
        })
        .find(|&(c, _, _)| c == Col::State)
        .map(|(_, x, w)| (x, w))
    else {
        return;
    };
    if s.arrivals.marked_since(e.key(), now_us).is_some() {
        let st = theme.row(theme.critical.add_modifier(Modifier::REVERSED), selected);
        cell(buf, x, y, "NEW", w, st);
    } else if let Some(until) = s.nudges.snoozed_until(e.key(), now_us) {
        let left = crate::tui::nudges_state::snooze_left(until, now_us);
        let text = if w >= 14 {
            format!("z snoozed {left}")
        } else {
            format!("z {left} {}", ticket_state(e))
        };
        cell(buf, x, y, &text, w, theme.row(theme.paused, selected));
    }
}
