//! The decision on an event a server's outbox could not deliver as recorded: what it
//! is, why it was refused, and the two choices. Pure.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Borders, Clear, Widget};

use super::{key_of, put};
use crate::tui::action::{Action, Section};
use crate::tui::overlay::{DecideModal, DECISIONS};
use crate::tui::sanitize::{truncate, width};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// Lines of the refusal shown at most.
const WHY_LINES: usize = 4;

/// `text` in lines of at most `w` columns, broken between words (a word wider than a
/// line is cut), at most `max` lines, the last one marked when text is left over.
fn wrap(text: &str, w: usize, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let next = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if width(&next) <= w || line.is_empty() {
            line = next;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    let cut = lines.len() > max;
    lines.truncate(max);
    if let Some(last) = lines.last_mut().filter(|_| cut) {
        *last = format!("{}…", truncate(last, w.saturating_sub(1)));
    }
    lines
}

/// The modal, centred and clamped to the frame.
pub fn modal(buf: &mut Buffer, area: Rect, m: &DecideModal, s: &State, theme: &Theme) {
    let w = area.width.saturating_sub(4).min(76);
    let iw = usize::from(w.saturating_sub(4));
    let why = wrap(&format!("not stored: {}", m.why), iw, WHY_LINES);
    let h = (why.len() as u16 + DECISIONS.len() as u16 + 8).min(area.height.saturating_sub(2));
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + area.height.saturating_sub(h) / 2,
        w,
        h,
    );
    Clear.render(r, buf);
    buf.set_style(r, theme.base);
    let title = truncate(&format!(" Decide — {} ", m.label), iw).into_owned();
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title)
        .title_style(theme.title)
        .render(r, buf);
    let x = r.x + 2;
    let mut y = r.y + 1;
    let last = r.bottom().saturating_sub(2);
    put(buf, x, y, &m.what, iw, theme.base);
    y += 1;
    for line in &why {
        if y >= last {
            break;
        }
        put(buf, x, y, line, iw, theme.stale);
        y += 1;
    }
    y += 1;
    for (i, (_, text)) in DECISIONS.iter().enumerate() {
        if y >= last {
            break;
        }
        let focused = i == m.selected;
        let line = format!("{} {}  {text}", if focused { ">" } else { " " }, i + 1);
        put(
            buf,
            x,
            y,
            &line,
            iw,
            if focused { theme.selected } else { theme.base },
        );
        y += 1;
    }
    if m.more > 0 && y < last {
        let more = format!("{} more after this one", m.more);
        put(buf, x, y + 1, &more, iw, theme.muted);
    }
    let hint = format!(
        "{} choose · 1-{} pick · {} decide later",
        key_of(s, Section::Form, Action::Submit),
        DECISIONS.len(),
        key_of(s, Section::Form, Action::Cancel),
    );
    put(buf, x, last, &hint, iw, theme.muted);
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn refusals_wrap_between_words_and_are_cut_with_a_mark() {
        assert_eq!(wrap("a bb ccc", 4, 3), ["a bb", "ccc"]);
        assert_eq!(wrap("one two three four", 7, 2), ["one two", "three…"]);
        assert_eq!(wrap("", 5, 2), Vec::<String>::new());
    }
}
