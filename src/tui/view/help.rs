//! Every binding in force, generated from the live keymap (so it is never out of date).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{cell, put};
use crate::tui::help::{lines, Line};
use crate::tui::state::State;
use crate::tui::theme::Theme;

pub fn draw(buf: &mut Buffer, area: Rect, s: &State, theme: &Theme) {
    let w = usize::from(area.width);
    put(
        buf,
        area.x + 1,
        area.y,
        "Key bindings in force (keymap.toml)",
        w - 1,
        theme.column_header,
    );
    let lines = lines(s);
    let h = usize::from(area.height.saturating_sub(1));
    let start = s.help_scroll.min(lines.len().saturating_sub(h));
    let kw = 18;
    let aw = 18;
    for (n, l) in lines.iter().skip(start).take(h).enumerate() {
        let y = area.y + 1 + n as u16;
        match l {
            Line::Heading(t) => {
                put(buf, area.x + 1, y, t, w - 1, theme.title);
            }
            Line::Binding { keys, action, desc } => {
                cell(buf, area.x + 3, y, keys, kw, theme.key);
                cell(buf, area.x + 4 + kw as u16, y, action, aw, theme.muted);
                put(
                    buf,
                    area.x + 5 + (kw + aw) as u16,
                    y,
                    desc,
                    w.saturating_sub(5 + kw + aw),
                    theme.base,
                );
            }
            Line::Text(t) => {
                put(buf, area.x + 3, y, t, w - 3, theme.base);
            }
            Line::Blank => {}
        }
    }
}
