//! A modal form, drawn over the view (cleared first), clamped to the frame.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::widgets::{Block, Borders, Clear, Widget};

use super::{cell, key_of, put};
use crate::tui::action::{Action, Section};
use crate::tui::form::{FieldKind, Form};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// The label column: the longest label with its focus marker and required mark, then
/// a space, so a label never runs into its value.
fn label_w(f: &Form) -> u16 {
    let longest = f
        .fields
        .iter()
        .map(|field| {
            let required = matches!(field.kind, FieldKind::Text { required: true, .. });
            2 + crate::tui::sanitize::width(field.label) + if required { 2 } else { 0 }
        })
        .max()
        .unwrap_or(0);
    (longest + 1).max(12) as u16
}

/// At most this many of the events that moved the ticket on are listed.
const MOVED_SHOWN: usize = 3;

/// The lines saying why the form came back: a heading, then what changed.
fn moved_lines(f: &Form) -> Vec<String> {
    if f.moved.is_empty() {
        return Vec::new();
    }
    let mut lines = vec!["Changed since you opened this form:".to_owned()];
    lines.extend(f.moved.iter().take(MOVED_SHOWN).map(|m| format!("· {m}")));
    if f.moved.len() > MOVED_SHOWN {
        lines.push(format!("· and {} more", f.moved.len() - MOVED_SHOWN));
    }
    lines
}

/// Centred across, and below the selected `row` (or above it, where it does not fit
/// below) so that the agent still sees which ticket it is for; centred without one.
fn rect(area: Rect, f: &Form, row: Option<u16>) -> Rect {
    let w = area.width.saturating_sub(4).min(76);
    let extra = moved_lines(f).len() as u16;
    let h = (f.fields.len() as u16 * 2 + 6 + extra).min(area.height.saturating_sub(2));
    // The header's two rows above and the footer below stay uncovered where they can.
    let (top, bottom) = (area.y + 2, area.bottom().saturating_sub(1));
    let y = match row {
        Some(r) if r + 1 + h <= bottom => r + 1,
        Some(r) if r >= top + h => r - h,
        _ => area.y + (area.height.saturating_sub(h)) / 2,
    };
    Rect::new(area.x + (area.width - w) / 2, y, w, h)
}

pub fn draw(buf: &mut Buffer, area: Rect, f: &Form, row: Option<u16>, s: &State, theme: &Theme) {
    let r = rect(area, f, row);
    Clear.render(r, buf);
    buf.set_style(r, theme.base);
    let title = if f.ticket_title.is_empty() {
        format!(" {} — {} ", f.kind.title(), f.ticket_label)
    } else {
        format!(
            " {} — {}: {} ",
            f.kind.title(),
            f.ticket_label,
            f.ticket_title
        )
    };
    let title =
        crate::tui::sanitize::truncate(&title, usize::from(r.width.saturating_sub(4))).into_owned();
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title)
        .title_style(theme.title)
        .render(r, buf);
    let inner = Rect::new(
        r.x + 2,
        r.y + 1,
        r.width.saturating_sub(4),
        r.height.saturating_sub(2),
    );
    let w = usize::from(inner.width);
    let label_width = label_w(f);
    let mut y = inner.y;
    if !f.context.is_empty() {
        put(buf, inner.x, y, &f.context, w, theme.muted);
    }
    y += 1;
    for line in moved_lines(f) {
        if y + 1 >= inner.bottom() {
            break;
        }
        put(buf, inner.x, y, &line, w, theme.warning);
        y += 1;
    }
    for (i, field) in f.fields.iter().enumerate() {
        if y + 1 >= inner.bottom() {
            break;
        }
        let focused = i == f.focus;
        let label_style = if focused { theme.key } else { theme.base };
        let marker = if focused { "> " } else { "  " };
        let required = matches!(field.kind, FieldKind::Text { required: true, .. });
        let label = format!(
            "{marker}{}{}",
            field.label,
            if required { " *" } else { "" }
        );
        cell(
            buf,
            inner.x,
            y,
            &label,
            usize::from(label_width),
            label_style,
        );
        let vx = inner.x + label_width;
        let vw = usize::from(inner.width.saturating_sub(label_width));
        match &field.kind {
            FieldKind::Text { value, cursor, .. } => {
                buf.set_style(Rect::new(vx, y, vw as u16, 1), theme.input);
                let (shown, col) = visible_text(value, *cursor, vw);
                put(buf, vx, y, &shown, vw, theme.input);
                if focused {
                    names_hint(buf, field, vx, y, col, vw, w, inner, theme);
                }
            }
            FieldKind::Choice { options, selected } => {
                let label = options.get(*selected).map_or("(none)", |o| o.1.as_str());
                let text = format!("‹ {label} ›  {}/{}", selected + 1, options.len());
                let st = if focused { theme.input } else { theme.base };
                put(buf, vx, y, &text, vw, st);
            }
        }
        y += 2;
    }
    let by = inner.bottom().saturating_sub(1);
    if let Some(e) = &f.error {
        put(buf, inner.x, by.saturating_sub(1), e, w, theme.error);
    }
    let hint = format!(
        "{} record · {} cancel · {}/{} field · {}/{} choice",
        key_of(s, Section::Form, Action::Submit),
        key_of(s, Section::Form, Action::Cancel),
        key_of(s, Section::Form, Action::NextField),
        key_of(s, Section::Form, Action::PrevField),
        key_of(s, Section::Form, Action::ChoicePrev),
        key_of(s, Section::Form, Action::ChoiceNext),
    );
    put(buf, inner.x, by, &hint, w, theme.muted);
}

/// For a field naming someone: the rest of the known name it completes to after the
/// cursor, dimmed, and on the line under it the names it may be, or that it is new.
#[allow(clippy::too_many_arguments)]
fn names_hint(
    buf: &mut Buffer,
    field: &crate::tui::form::Field,
    vx: u16,
    y: u16,
    col: usize,
    vw: usize,
    w: usize,
    inner: Rect,
    theme: &Theme,
) {
    if field.names.is_empty() {
        return;
    }
    if let Some(more) = field.completion() {
        let room = vw.saturating_sub(col + 1);
        put(
            buf,
            vx + col as u16,
            y,
            &more,
            room,
            theme.input.patch(theme.muted),
        );
    }
    if y + 1 >= inner.bottom().saturating_sub(2) {
        return;
    }
    let known = field.known_matching();
    let (text, style) = if field.is_new_name() && known.is_empty() {
        ("new name: on no ticket yet".to_owned(), theme.warning)
    } else if known.is_empty() {
        return;
    } else {
        let list = known
            .iter()
            .take(12)
            .copied()
            .collect::<Vec<_>>()
            .join(" · ");
        let how = if field.completion().is_some() {
            "→ completes · "
        } else {
            ""
        };
        (format!("{how}known: {list}"), theme.muted)
    };
    let x = vx.min(inner.x + 2);
    put(
        buf,
        x,
        y + 1,
        &text,
        w.saturating_sub(usize::from(x - inner.x)),
        style,
    );
}

/// The part of `value` that fits in `w` columns with the cursor visible, and the
/// cursor's column in it.
fn visible_text(value: &str, cursor: usize, w: usize) -> (String, usize) {
    let chars: Vec<char> = value.chars().collect();
    let w = w.max(2) - 1;
    let cw = |c: &char| unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0);
    let mut start = 0;
    while chars[start..cursor.min(chars.len())]
        .iter()
        .map(cw)
        .sum::<usize>()
        > w
    {
        start += 1;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in &chars[start..] {
        if used + cw(c) > w {
            break;
        }
        used += cw(c);
        out.push(*c);
    }
    let col = chars[start..cursor.min(chars.len())].iter().map(cw).sum();
    (out, col)
}

pub fn cursor(area: Rect, f: &Form, row: Option<u16>) -> Option<Position> {
    let field = f.fields.get(f.focus)?;
    let FieldKind::Text { value, cursor, .. } = &field.kind else {
        return None;
    };
    let r = rect(area, f, row);
    let inner = Rect::new(
        r.x + 2,
        r.y + 1,
        r.width.saturating_sub(4),
        r.height.saturating_sub(2),
    );
    let y = inner.y + 1 + moved_lines(f).len() as u16 + 2 * f.focus as u16;
    if y >= inner.bottom() {
        return None;
    }
    let vw = usize::from(inner.width.saturating_sub(label_w(f)));
    let (_, col) = visible_text(value, *cursor, vw);
    Some(Position::new(inner.x + label_w(f) + col as u16, y))
}
