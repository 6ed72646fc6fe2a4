//! Nudges on screen: the nudge log view, toasts over any view, the snooze modal, the
//! queue's snooze mark and the header's "notifications unavailable" line. Pure, with
//! an injected `now`.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Widget};

use super::{cell, key_of, put};
use crate::notify::Nudge;
use crate::sla::Severity;
use crate::tui::action::{Action, Section};
use crate::tui::nudges::{snooze_left, SnoozeModal, ToastWhat};
use crate::tui::sanitize::{clean, truncate, width};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// The glyph that says what a nudge is without colour.
pub fn glyph(n: &Nudge) -> &'static str {
    glyph_of(n.is_breach(), n.severity)
}

fn glyph_of(breach: bool, severity: Severity) -> &'static str {
    match (breach, severity) {
        (true, _) | (_, Severity::Breached) => "✖",
        (_, Severity::Critical) => "‼",
        _ => "!",
    }
}

fn style(n: &Nudge, theme: &Theme) -> Style {
    style_of(n.is_breach(), n.severity, theme)
}

fn style_of(breach: bool, severity: Severity, theme: &Theme) -> Style {
    if breach {
        theme.breached.add_modifier(Modifier::BOLD)
    } else {
        theme.severity(severity)
    }
}

/// One toast's text.
pub fn toast_text(what: &ToastWhat) -> String {
    match what {
        ToastWhat::Nudge(n) => format!("{} {}", glyph(n), clean(&n.summary())),
        ToastWhat::CaughtUp { tickets } => match tickets.len() {
            1 => "1 ticket already past thresholds (L: nudge log)".to_owned(),
            n => format!("{n} tickets already past thresholds (L: nudge log)"),
        },
        ToastWhat::Problem(text) => format!("⚠ {} (L: nudge log)", clean(text)),
        ToastWhat::Arrived {
            ticket,
            priority,
            title,
        } => format!(
            "+ new {} {}: {}",
            clean(priority),
            clean(ticket),
            clean(title)
        ),
    }
}

fn toast_style(what: &ToastWhat, theme: &Theme) -> Style {
    match what {
        ToastWhat::Nudge(n) => style(n, theme),
        ToastWhat::CaughtUp { .. } | ToastWhat::Problem(_) => theme.warning,
        ToastWhat::Arrived { .. } => theme.critical,
    }
}

/// Log rows shown for a terminal `h` rows high (header, column heading, detail lines
/// and footer taken off).
pub fn rows(h: u16) -> usize {
    crate::tui::layout::Layout::of(0, h).nudge_rows
}

/// The nudge log: newest first, time in the agent's zone, the selected entry's
/// reason and body below.
pub fn draw(buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: DateTime<Utc>) {
    let p = &s.nudges;
    let w = usize::from(area.width);
    let wide = area.width >= 110;
    let today = now.with_timezone(&s.tz).date_naive();
    let heading = if wide {
        format!(
            "{:<9} {:<1} {:<4} {:<58} {}",
            "Sent", "", "Late", "Nudge", "Why"
        )
    } else {
        format!("{:<9} {:<1} {:<4} {}", "Sent", "", "Late", "Nudge")
    };
    put(buf, area.x, area.y, &heading, w, theme.column_header);
    let list_h = usize::from(area.height.saturating_sub(4));
    if p.log.is_empty() {
        let msg = if p.active {
            "No nudge sent yet. Warnings come here as each ticket nears a deadline."
        } else {
            "Nudges are off in this console."
        };
        put(
            buf,
            area.x + 2,
            area.y + 2,
            msg,
            w.saturating_sub(2),
            theme.muted,
        );
        return;
    }
    let n = p.log.len();
    let cur = p.sel.min(n - 1);
    let offset = crate::tui::list::window(p.offset, cur, list_h, n);
    for (i, nudge) in p.log.iter().enumerate().skip(offset).take(list_h) {
        let y = area.y + 1 + (i - offset) as u16;
        let selected = i == cur;
        let sel = |st: Style| theme.row(st, selected);
        if selected {
            buf.set_style(Rect::new(area.x, y, area.width, 1), theme.selected);
        }
        let fired = DateTime::from_timestamp_micros(nudge.fired_at)
            .unwrap_or_default()
            .with_timezone(&s.tz);
        let when = if fired.date_naive() == today {
            fired.format("%H:%M:%S").to_string()
        } else {
            fired.format("%d %b %H:%M").to_string()
        };
        let mut x = area.x;
        cell(buf, x, y, &when, 9, sel(theme.base));
        x += 10;
        let g = glyph_of(nudge.breach, nudge.severity);
        cell(
            buf,
            x,
            y,
            g,
            1,
            sel(style_of(nudge.breach, nudge.severity, theme)),
        );
        x += 2;
        cell(
            buf,
            x,
            y,
            if nudge.late { "late" } else { "" },
            4,
            sel(theme.stale),
        );
        x += 5;
        let rest = usize::from(area.right().saturating_sub(x));
        let mut summary = clean(&nudge.summary);
        if !nudge.loud {
            summary.push_str(" [quiet]");
        }
        let sum_st = if nudge.breach {
            theme.base.add_modifier(Modifier::BOLD)
        } else {
            theme.base
        };
        if wide {
            let sw = 58.min(rest);
            cell(buf, x, y, &summary, sw, sel(sum_st));
            x += sw as u16 + 1;
            let ww = usize::from(area.right().saturating_sub(x));
            cell(buf, x, y, &nudge.why, ww, sel(theme.muted));
        } else {
            cell(buf, x, y, &summary, rest, sel(sum_st));
        }
    }
    // The selected entry in full: why, and the body a desktop notification shows.
    let by = area.bottom().saturating_sub(3);
    buf.set_style(Rect::new(area.x, by, area.width, 1), theme.border);
    put(buf, area.x, by, &"─".repeat(w), w, theme.border);
    let entry = &p.log[cur];
    let (g, st) = (
        glyph_of(entry.breach, entry.severity),
        style_of(entry.breach, entry.severity, theme),
    );
    let Some(nudge) = &entry.nudge else {
        // From the record of sent nudges: no customer or title kept there.
        let due = DateTime::from_timestamp_micros(entry.due)
            .unwrap_or_default()
            .with_timezone(&s.tz)
            .format("%d %b %H:%M");
        let why = format!(
            "{g} {}: {} · {} {due}",
            clean(&entry.ticket),
            entry.why,
            if entry.breach { "was due" } else { "due" }
        );
        put(buf, area.x, by + 1, &why, w, st);
        put(
            buf,
            area.x + 2,
            by + 2,
            "sent before this console started (or by slawatch watch)",
            w.saturating_sub(2),
            theme.muted,
        );
        return;
    };
    let body = nudge.body(&s.tz);
    let lines: Vec<String> = body.lines().map(clean).collect();
    let why = format!(
        "{g} {}: {}",
        clean(&nudge.ticket),
        lines.get(2..).unwrap_or_default().join(" · ")
    );
    put(buf, area.x, by + 1, &why, w, st);
    let about = lines.get(..2).unwrap_or_default().join(" · ");
    if width(&why) + width(&about) + 3 > w {
        put(
            buf,
            area.x + 2,
            by + 2,
            &about,
            w.saturating_sub(2),
            theme.base,
        );
    } else {
        let ax = (width(&why) + 3).min(w);
        put(buf, area.x + ax as u16, by + 1, &about, w - ax, theme.muted);
        let hint = format!(
            "{} open the ticket · {} snooze it from the queue",
            key_of(s, Section::Nudges, Action::Open),
            key_of(s, Section::Queue, Action::Snooze),
        );
        put(buf, area.x, by + 2, &hint, w, theme.muted);
    }
}

/// Toasts in the bottom-right corner of `body`, the newest on top.
pub fn toasts(buf: &mut Buffer, body: Rect, s: &State, theme: &Theme, now: DateTime<Utc>) {
    let now_us = now.timestamp_micros();
    let live: Vec<_> = s.nudges.live_toasts(now_us).collect();
    if live.is_empty() || body.height < 3 {
        return;
    }
    let want = live
        .iter()
        .map(|t| width(&toast_text(&t.what)))
        .max()
        .unwrap_or(0)
        + 4;
    let w = (want as u16).clamp(20, body.width.saturating_sub(2).clamp(20, 72));
    let h = (live.len() as u16 + 2).min(body.height);
    // Bottom right, over the least urgent rows: the top of the queue stays in view.
    let r = Rect::new(
        body.right().saturating_sub(w + 1),
        body.bottom().saturating_sub(h),
        w,
        h,
    );
    Clear.render(r, buf);
    buf.set_style(r, theme.base);
    let breach = live.iter().any(|t| t.what.alarming());
    Block::new()
        .borders(Borders::ALL)
        .border_style(if breach { theme.breached } else { theme.border })
        .title(" nudge ")
        .title_style(theme.title)
        .render(r, buf);
    for (i, t) in live.iter().enumerate() {
        let y = r.y + 1 + i as u16;
        if y + 1 >= r.bottom() {
            break;
        }
        put(
            buf,
            r.x + 2,
            y,
            &toast_text(&t.what),
            usize::from(w.saturating_sub(4)),
            toast_style(&t.what, theme),
        );
    }
}

/// The snooze modal, centred and clamped to the frame.
pub fn modal(
    buf: &mut Buffer,
    area: Rect,
    m: &SnoozeModal,
    s: &State,
    theme: &Theme,
    now: DateTime<Utc>,
) {
    let w = area.width.saturating_sub(4).min(64);
    let h = (m.choices.len() as u16 + 6).min(area.height.saturating_sub(2));
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + area.height.saturating_sub(h) / 2,
        w,
        h,
    );
    Clear.render(r, buf);
    buf.set_style(r, theme.base);
    let title = truncate(
        &format!(" Snooze — {} ", m.label),
        usize::from(w.saturating_sub(4)),
    )
    .into_owned();
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title)
        .title_style(theme.title)
        .render(r, buf);
    let x = r.x + 2;
    let iw = usize::from(w.saturating_sub(4));
    let mut y = r.y + 1;
    let context = match m.until {
        Some(u) => format!(
            "z snoozed, {} left · warnings only: a breach always alerts",
            snooze_left(u, now.timestamp_micros())
        ),
        None => "Hold back its warnings; a breach always alerts.".to_owned(),
    };
    put(buf, x, y, &context, iw, theme.muted);
    y += 1;
    if m.breached {
        put(
            buf,
            x,
            y,
            ">> breached: its breach alerts still sound",
            iw,
            theme.breached,
        );
    }
    y += 1;
    for (i, c) in m.choices.iter().enumerate() {
        if y + 1 >= r.bottom() {
            break;
        }
        let focused = i == m.selected;
        let text = format!(
            "{} {}  {}",
            if focused { ">" } else { " " },
            i + 1,
            c.label()
        );
        let st = if focused { theme.selected } else { theme.base };
        put(buf, x, y, &text, iw, st);
        y += 1;
    }
    let hint = format!(
        "{} choose · {}/{} move · 1-{} pick · {} cancel",
        key_of(s, Section::Form, Action::Submit),
        key_of(s, Section::Form, Action::PrevField),
        key_of(s, Section::Form, Action::NextField),
        m.choices.len(),
        key_of(s, Section::Form, Action::Cancel),
    );
    put(buf, x, r.bottom().saturating_sub(2), &hint, iw, theme.muted);
}

/// The header's third line, when something about nudges is wrong.
pub fn header_line(buf: &mut Buffer, area: Rect, y: u16, text: &str, theme: &Theme) {
    buf.set_style(Rect::new(area.x, y, area.width, 1), theme.header);
    put(
        buf,
        area.x + 1,
        y,
        &format!("⚠ {text}"),
        usize::from(area.width.saturating_sub(2)),
        theme.header.patch(theme.stale),
    );
}
