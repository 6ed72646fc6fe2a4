//! Every binding in force, generated from the live keymap (so it is never out of date).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{cell, put};
use crate::tui::action::Section;
use crate::tui::state::State;
use crate::tui::theme::Theme;

enum Line {
    Heading(String),
    Binding {
        keys: String,
        action: &'static str,
        desc: &'static str,
    },
    Text(String),
    Blank,
}

fn lines(s: &State) -> Vec<Line> {
    let mut out = Vec::new();
    for section in Section::ALL {
        let bindings: Vec<_> = s
            .keymap
            .bindings()
            .iter()
            .filter(|b| b.section == section && !b.keys.is_empty())
            .collect();
        if bindings.is_empty() {
            continue;
        }
        out.push(Line::Heading(format!(
            "{} [{}]",
            section.title(),
            section.as_str()
        )));
        for b in bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
            out.push(Line::Binding {
                keys: keys.join(" "),
                action: b.action.as_str(),
                desc: b.action.describe(),
            });
        }
        out.push(Line::Blank);
    }
    out.push(Line::Heading("Reading the queue".into()));
    for t in [
        "Most urgent first: breached (>>), then by the soonest deadline of any running clock.",
        "Due in: time until the deadline, H:MM:SS (hours past 24 as such; days from 100 h);",
        "  -0:12:03 is 12 minutes overdue. =1:30:00 on a paused row is the budget left.",
        "Marks: >> breached, !! critical, ! warning (policy thresholds), || paused.",
        "Esc: escalation level; L2! is not acknowledged yet (acknowledge with the ack key).",
        "Budget used: working time used of the clock's target on the policy's calendar.",
        "$ before a title: one more hour open moves a contract into a worse penalty band",
        "  (or adds a penalty); see the compliance view. Marks follow the latest figures.",
    ] {
        out.push(Line::Text(t.into()));
    }
    out.push(Line::Blank);
    out.push(Line::Heading("Reading the compliance view".into()));
    for t in super::compliance::HELP {
        out.push(Line::Text((*t).into()));
    }
    out.push(Line::Blank);
    out.push(Line::Heading("Configuration".into()));
    let dir = s.config_dir.as_deref().unwrap_or("(no config directory)");
    out.push(Line::Text(format!("keymap.toml and config.toml in {dir}")));
    out.push(Line::Text(format!(
        "Events you record are signed \"{}\".",
        s.agent
    )));
    out
}

pub fn line_count(s: &State) -> usize {
    lines(s).len()
}

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
