//! One ticket: every SLA clock and the full timeline, newest last, scrollable.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;

use super::{bar, cell, put};
use crate::sla::clock::ClockState;
use crate::sla::Severity;
use crate::tui::fmt;
use crate::tui::sanitize::clean;
use crate::tui::state::State;
use crate::tui::theme::Theme;

pub use crate::tui::layout::TICKET_FIXED_ROWS as FIXED_ROWS;

pub fn draw(buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: DateTime<Utc>) {
    let Some(pane) = &s.ticket else {
        put(
            buf,
            area.x + 2,
            area.y + 1,
            "No ticket open: select one in the queue and press enter.",
            usize::from(area.width) - 2,
            theme.muted,
        );
        return;
    };
    let w = usize::from(area.width);
    let now_us = now.timestamp_micros();
    let entry = s.ticket_entry();
    let mut y = area.y;
    match entry {
        Some(e) => {
            let f = &e.facts;
            let mut x = area.x + 1;
            x += put(buf, x, y, &f.ticket, w, theme.title);
            x += put(
                buf,
                x,
                y,
                &format!("  {}  ", f.priority),
                w,
                theme.base.add_modifier(Modifier::BOLD),
            );
            let mut who = f.customer.to_string();
            if let Some(sv) = &f.service {
                who.push_str(" / ");
                who.push_str(sv);
            }
            x += put(
                buf,
                x,
                y,
                &who,
                w.saturating_sub(usize::from(x)),
                theme.base,
            );
            if let Some(p) = s.board.policy(e) {
                let text = format!(
                    "   policy {} · calendar {}",
                    clean(&p.name),
                    clean(&p.calendar)
                );
                put(
                    buf,
                    x,
                    y,
                    &text,
                    w.saturating_sub(usize::from(x)),
                    theme.muted,
                );
            }
            y += 1;
            put(
                buf,
                area.x + 1,
                y,
                &f.title,
                w - 1,
                theme.base.add_modifier(Modifier::BOLD),
            );
            y += 1;
            let mut parts = vec![
                format!("state {}", crate::tui::fmt::ticket_state(e)),
                format!("assignee {}", f.assignee.as_deref().unwrap_or("-")),
            ];
            if let Some(x) = &f.escalation {
                parts.push(format!(
                    "escalated L{} to {} {}{}",
                    x.level,
                    x.to,
                    fmt::ago(now_us - x.at),
                    if x.acknowledged {
                        ""
                    } else {
                        " (UNACKNOWLEDGED)"
                    }
                ));
            }
            parts.push(format!(
                "detected {} ({})",
                fmt::instant_short(f.detected_at, now, s.tz),
                fmt::ago(now_us - f.detected_at)
            ));
            put(buf, area.x + 1, y, &parts.join(" · "), w - 1, theme.base);
            y += 1;
            // Clocks: working time used and left on the calendar, and beside it the
            // wall-clock time to the deadline (the queue's countdown), each labelled.
            let cols = if w >= 120 {
                [
                    ("Clock", 14),
                    ("State", 20),
                    ("Target", 8),
                    ("Worked", 10),
                    ("Work left", 10),
                    ("Due in", 10),
                    ("Due", 17),
                    ("Used", 0),
                ]
            } else {
                [
                    ("Clock", 13),
                    ("State", 13),
                    ("Target", 6),
                    ("Worked", 8),
                    ("Work left", 9),
                    ("Due in", 9),
                    ("Due", 12),
                    ("Used", 0),
                ]
            };
            let fixed: usize = cols.iter().map(|c| c.1 + 1).sum();
            // The bar gives way on a narrow terminal: the queue shows it too.
            let used_w = w.saturating_sub(fixed + 1);
            let mut x = area.x + 1;
            for (name, cw) in cols {
                let cw = if cw == 0 { used_w } else { cw };
                if cw == 0 {
                    continue;
                }
                let name = if name == "Used" && cw < 4 { "" } else { name };
                cell(buf, x, y, name, cw, theme.column_header);
                x += cw as u16 + 1;
            }
            y += 1;
            let clocks = s.board.clocks(e, now);
            let policy = s.board.policy(e);
            for (n, c) in clocks.iter().enumerate().take(4) {
                let yy = y + n as u16;
                let sev = policy.map_or(Severity::Ok, |p| {
                    p.warnings_for(c.metric)
                        .severity(c.elapsed, c.target, c.is_breached())
                });
                let style = match c.state {
                    ClockState::Paused => theme.paused,
                    ClockState::Met => theme.muted,
                    _ => theme.severity(sev),
                };
                let state = match c.state {
                    ClockState::Running => "running".to_owned(),
                    ClockState::Paused => format!(
                        "paused:{}",
                        c.paused_reason.as_deref().map(clean).unwrap_or_default()
                    ),
                    ClockState::Met => "met".into(),
                    ClockState::Breached if c.stopped_at.is_some() => "BREACHED·done".into(),
                    ClockState::Breached => "BREACHED".into(),
                };
                let due = match (c.state, c.due) {
                    (_, Some(d)) => fmt::instant_short(d, now, s.tz),
                    (ClockState::Paused, None) => "(paused)".into(),
                    (_, None) => c.stopped_at.map_or("-".into(), |t| {
                        format!("done {}", fmt::instant_short(t, now, s.tz))
                    }),
                };
                let live = c.stopped_at.is_none()
                    && matches!(c.state, ClockState::Running | ClockState::Breached);
                let due_in = match (c.state, c.due) {
                    (_, Some(d)) if live => fmt::countdown(d, now),
                    (ClockState::Paused, _) => "paused".into(),
                    _ => "-".into(),
                };
                let work_left = if c.state == ClockState::Met {
                    "-".into()
                } else {
                    fmt::duration(c.remaining)
                };
                let cells = [
                    c.metric.as_str().to_owned(),
                    state,
                    fmt::budget(c.target),
                    fmt::duration(c.elapsed),
                    work_left,
                    due_in,
                    due,
                ];
                let mut x = area.x + 1;
                for (i, (text, (_, cw))) in cells.iter().zip(cols).enumerate() {
                    let st = if matches!(i, 1 | 4 | 5) {
                        style
                    } else {
                        theme.base
                    };
                    let text = if (2..=5).contains(&i) {
                        format!("{text:>cw$}")
                    } else {
                        text.clone()
                    };
                    cell(buf, x, yy, &text, cw, st);
                    x += cw as u16 + 1;
                }
                if used_w >= 12 {
                    let bw = (used_w - 6).min(24);
                    bar(buf, x, yy, c.percent(), bw, style, theme.bar_empty);
                } else if used_w >= 4 {
                    let p = format!("{:>4.0}%", c.percent().min(9999.0));
                    cell(buf, x, yy, &p, used_w, style);
                }
            }
            if clocks.is_empty() {
                put(
                    buf,
                    area.x + 1,
                    y,
                    "No SLA clocks: no policy or calendar for this ticket.",
                    w - 1,
                    theme.stale,
                );
            }
            y += 4;
        }
        None => {
            put(
                buf,
                area.x + 1,
                y,
                &format!("{} is no longer open.", clean(&pane.key)),
                w - 1,
                theme.title,
            );
            y += 8;
        }
    }
    // Timeline.
    let bottom = area.bottom();
    let rows = pane.timeline.as_deref();
    let count = rows.map_or(String::new(), |r| format!(" ({} events)", r.len()));
    let wide = w >= 120;
    let (tw, aw, kw) = if wide { (19, 14, 16) } else { (14, 10, 14) };
    let text_w = w.saturating_sub(tw + aw + kw + 4);
    let mut x = area.x + 1;
    for (name, cw) in [("Time", tw), ("Actor", aw), ("Event", kw), ("", text_w)] {
        let name = if cw == text_w {
            format!("Timeline{count}")
        } else {
            name.to_owned()
        };
        cell(buf, x, y, &name, cw, theme.column_header);
        x += cw as u16 + 1;
    }
    y += 1;
    let h = usize::from(bottom.saturating_sub(y));
    match (rows, &pane.error) {
        (_, Some(err)) => {
            put(
                buf,
                area.x + 1,
                y,
                &format!("cannot read the history: {err}"),
                w - 1,
                theme.error,
            );
        }
        (None, None) => {
            put(
                buf,
                area.x + 1,
                y,
                "loading the history…",
                w - 1,
                theme.muted,
            );
        }
        (Some(rows), None) => {
            let max = rows.len().saturating_sub(h);
            let start = pane.scroll.unwrap_or(max).min(max);
            for (n, r) in rows.iter().skip(start).take(h).enumerate() {
                let yy = y + n as u16;
                let time = if wide {
                    fmt::instant_long(r.at, s.tz)
                } else {
                    DateTime::from_timestamp_micros(r.at).map_or("?".into(), |t| {
                        t.with_timezone(&s.tz).format("%m-%d %H:%M:%S").to_string()
                    })
                };
                let st = if r.pending { theme.muted } else { theme.base };
                let kind_style = match r.kind {
                    crate::model::EventKind::Escalated => theme.warning,
                    crate::model::EventKind::Resolved | crate::model::EventKind::Restored => {
                        theme.ok
                    }
                    crate::model::EventKind::Paused | crate::model::EventKind::Resumed => {
                        theme.paused
                    }
                    _ => theme.base,
                };
                let kind = if r.pending {
                    format!("{}…", r.kind)
                } else {
                    r.kind.to_string()
                };
                let mut x = area.x + 1;
                for (text, cw, style) in [
                    (time.as_str(), tw, st),
                    (r.actor.as_str(), aw, st),
                    (kind.as_str(), kw, kind_style),
                    (r.text.as_str(), text_w, st),
                ] {
                    cell(buf, x, yy, text, cw, style);
                    x += cw as u16 + 1;
                }
            }
            if start > 0 {
                put(
                    buf,
                    area.right().saturating_sub(12),
                    y,
                    &format!(" ↑ {start} more "),
                    12,
                    theme.muted,
                );
            }
        }
    }
}
