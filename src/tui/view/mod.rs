//! Drawing: each pane's body (one file per view), the forms and modals, and the
//! header and footer every screen shares; `screen` puts them together. No I/O and
//! no clock here.

pub mod closed;
pub mod columns;
pub mod compliance;
pub mod decide;
pub mod escalations;
pub mod form;
pub mod help;
pub mod nudge_log;
pub mod queue;
pub mod ticket;

#[cfg(test)]
mod compliance_snapshots;
#[cfg(test)]
mod nudge_snapshots;
#[cfg(test)]
mod snapshot_matrix;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::action::{Action, Section};
use super::fmt;
pub(crate) use super::fmt::metric_short;
use super::sanitize::{fit, truncate, width};
use super::state::{State, View, FLASH_FOR};
use super::theme::Theme;

/// Below this the console only says how large it needs to be.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

/// Rows of a list view body for a terminal `h` rows high (header 2, column header 1,
/// footer 1).
pub fn list_height(h: u16) -> usize {
    crate::tui::layout::Layout::of(0, h).list_rows
}

/// Timeline rows shown in the ticket view.
pub fn timeline_height(h: u16) -> usize {
    crate::tui::layout::Layout::of(0, h).timeline_rows
}

/// Writes `text` at (x, y), cut to `max` columns. Returns the columns used.
pub(crate) fn put(buf: &mut Buffer, x: u16, y: u16, text: &str, max: usize, style: Style) -> u16 {
    let t = truncate(text, max);
    let w = width(&t) as u16;
    set_text(buf, x, y, &t, max, style);
    w
}

/// A cell of exactly `w` columns.
pub(crate) fn cell(buf: &mut Buffer, x: u16, y: u16, text: &str, w: usize, style: Style) {
    set_text(buf, x, y, &fit(text, w), w, style);
}

/// What `Buffer::set_stringn` does. Plain ASCII, nearly every text, goes in a cell per
/// byte: ratatui's segmenting into graphemes was most of a frame's time.
fn set_text(buf: &mut Buffer, x: u16, y: u16, text: &str, max: usize, style: Style) {
    if !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        buf.set_stringn(x, y, text, max, style);
        return;
    }
    let room = buf.area.right().saturating_sub(x);
    let room = usize::from(room).min(max);
    for (i, b) in text.bytes().take(room).enumerate() {
        buf[(x + i as u16, y)]
            .set_char(char::from(b))
            .set_style(style);
    }
}

/// A view's tab: its name, and a shorter one for narrow terminals.
struct Tab {
    view: View,
    full: String,
    short: String,
}

impl Tab {
    fn label(&self, short: bool) -> &str {
        if short {
            &self.short
        } else {
            &self.full
        }
    }
}

/// The tabs of every view there is to go to (the ticket's while one is open).
fn tabs(s: &State) -> Vec<Tab> {
    let mut views = vec![
        View::Queue,
        View::Escalations,
        View::Compliance,
        View::Nudges,
        View::Closed,
    ];
    if s.ticket.is_some() {
        views.push(View::Ticket);
    }
    views.push(View::Help);
    views
        .into_iter()
        .map(|view| {
            let (full, short) = match view {
                View::Escalations => match s.board.counts().unacknowledged {
                    0 => (" Escalations ".to_owned(), " Esc ".to_owned()),
                    n => (format!(" Escalations ({n} unack) "), format!(" Esc {n} ")),
                },
                View::Ticket => {
                    // Closed, or not loaded yet, it is still named.
                    let id = match (s.ticket_entry(), &s.ticket) {
                        (Some(e), _) => e.facts.ticket.to_string(),
                        (None, Some(t)) => super::sanitize::clean(&t.key),
                        (None, None) => String::new(),
                    };
                    (format!(" Ticket {id} "), format!(" {id} "))
                }
                View::Compliance => (" Compliance ".to_owned(), " Compl ".to_owned()),
                View::Closed => (" Closed ".to_owned(), " Cl ".to_owned()),
                View::Help => (" Help ".to_owned(), " ? ".to_owned()),
                _ => {
                    let t = format!(" {} ", view.title());
                    (t.clone(), t)
                }
            };
            Tab { view, full, short }
        })
        .collect()
}

/// The header's clock, and its short form: the zone's abbreviation is said once when
/// it is the zone's name too (`UTC`, not `UTC Etc/UTC`).
fn clocks(tz: chrono_tz::Tz, now: DateTime<Utc>) -> (String, String) {
    let local = now.with_timezone(&tz);
    let abbr = local.format("%Z").to_string();
    let name = tz.name();
    let zone = if name.rsplit('/').next() == Some(abbr.as_str()) {
        abbr.clone()
    } else {
        format!("{abbr} {name}")
    };
    (
        format!("{} {zone} ", local.format("%a %H:%M:%S")),
        format!("{} {abbr} ", local.format("%H:%M:%S")),
    )
}

pub(crate) fn header(buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: DateTime<Utc>) {
    let w = usize::from(area.width);
    let y = area.y;
    buf.set_style(Rect::new(area.x, y, area.width, 2), theme.header);
    // Line 1: name, views, local time and zone. Every view keeps its tab: when the
    // line is short, the clock drops the day and the zone's name, then the tabs take
    // their short names.
    let (clock, short_clock) = clocks(s.tz, now);
    let tabs = tabs(s);
    let name = " slawatch ";
    let fits = |short: &[bool], clock: &str| {
        let w: usize = tabs
            .iter()
            .zip(short)
            .map(|(t, &sh)| width(t.label(sh)))
            .sum();
        width(name) + w + width(clock) < usize::from(area.width)
    };
    // The longest names give way first, one tab at a time.
    let mut short = vec![false; tabs.len()];
    let mut by_length: Vec<usize> = (0..tabs.len()).collect();
    by_length.sort_by_key(|&i| std::cmp::Reverse(width(&tabs[i].full) - width(&tabs[i].short)));
    let clock = if fits(&short, &clock) {
        &clock
    } else {
        for &i in &by_length {
            if fits(&short, &short_clock) {
                break;
            }
            short[i] = true;
        }
        &short_clock
    };
    let mut x = area.x;
    x += put(buf, x, y, name, w, theme.header.patch(theme.title));
    for (t, &short) in tabs.iter().zip(&short) {
        let style = if t.view == s.view {
            theme.tab_active
        } else {
            theme.header.patch(theme.tab)
        };
        let room = usize::from(area.right().saturating_sub(x));
        if room <= width(clock) + 2 {
            break;
        }
        x += put(buf, x, y, t.label(short), room - width(clock) - 1, style);
    }
    let cw = width(clock) as u16;
    if cw < area.width {
        buf.set_string(area.right() - cw, y, clock, theme.header);
    }
    // Line 2: counts, then where the data comes from and how fresh it is.
    let y = y + 1;
    let c = s.board.counts();
    let mut x = area.x + 1;
    let seg = |buf: &mut Buffer, x: &mut u16, text: String, style: Style| {
        let room = usize::from(area.right().saturating_sub(*x));
        *x += put(buf, *x, y, &text, room, style);
    };
    if s.source.loaded {
        seg(buf, &mut x, format!("open {}  ", c.open), theme.header);
        let b = theme.header.patch(if c.breached > 0 {
            theme.breached
        } else {
            theme.header
        });
        seg(buf, &mut x, format!("breached {}", c.breached), b);
        seg(buf, &mut x, "  ".into(), theme.header);
        let r = theme.header.patch(if c.at_risk > 0 {
            theme.warning
        } else {
            theme.header
        });
        seg(buf, &mut x, format!("at risk {}", c.at_risk), r);
        seg(buf, &mut x, format!("  paused {}", c.paused), theme.header);
    } else {
        seg(
            buf,
            &mut x,
            "loading tickets…".into(),
            theme.header.patch(theme.stale),
        );
    }
    // Who signs what is recorded here; a bare `root` is nobody in particular.
    if s.agent_unchosen && s.agent == "root" {
        let text = format!(
            "  as root (set {} or agent in config.toml)",
            crate::agent::ENV
        );
        seg(buf, &mut x, text, theme.header.patch(theme.warning));
    } else {
        seg(buf, &mut x, format!("  as {}", s.agent), theme.header);
    }
    let (fresh, bad) = freshness(s, now);
    let src = format!("{} · {fresh} ", s.source.label);
    let room = usize::from(area.right().saturating_sub(x + 3));
    if room > 10 {
        let text = truncate_left(&src, room);
        let tw = width(&text) as u16;
        let style = if bad {
            theme.error
        } else {
            theme.header.patch(theme.muted)
        };
        buf.set_string(area.right() - tw, y, text, style);
    }
}

/// How fresh the data is, and whether that is a problem.
fn freshness(s: &State, now: DateTime<Utc>) -> (String, bool) {
    let now_us = now.timestamp_micros();
    let ago = |t: i64| fmt::age(now_us - t);
    let src = &s.source;
    let mut out = match (&src.error, src.last_ok) {
        (Some(e), Some(t)) => (format!("ERROR {e} (last good {} ago)", ago(t)), true),
        (Some(e), None) => (format!("ERROR {e}"), true),
        (None, Some(t)) => (format!("updated {} ago", ago(t)), false),
        (None, None) => ("connecting…".into(), false),
    };
    if let Some(b) = src.busy_since.filter(|&b| now_us - b >= 3_000_000) {
        out = (format!("store slow: waiting {} · {}", ago(b), out.0), true);
    }
    if let Some(r) = &src.restarted {
        out = (format!("{r} · {}", out.0), true);
    }
    if src.read_only {
        out = (format!("READ-ONLY · {}", out.0), true);
    }
    match &src.link {
        Some(link) => out = link_status(s, link, out),
        None if src.unsaved > 0 => {
            out = (format!("{} UNSAVED · {}", src.unsaved, out.0), true);
        }
        None => {}
    }
    out
}

/// On a server, the outbox says what waits (it holds every unsaved event), and a lost
/// link reads as the agent would say it: "offline since 12:03 · 3 events queued".
fn link_status(s: &State, link: &crate::sync::Link, out: (String, bool)) -> (String, bool) {
    let events = |n: usize| {
        if n == 1 {
            "1 event".to_owned()
        } else {
            format!("{n} events")
        }
    };
    let mut parts = Vec::new();
    if let Some(since) = link.offline_since {
        let at = chrono::DateTime::from_timestamp_micros(since)
            .map(|t| t.with_timezone(&s.tz).format("%H:%M").to_string())
            .unwrap_or_default();
        parts.push(format!("offline since {at}"));
    }
    if link.queued > 0 {
        parts.push(format!("{} queued", events(link.queued)));
    }
    if link.undecided > 0 {
        let need = if link.undecided == 1 { "needs" } else { "need" };
        parts.push(format!(
            "{} {need} a decision ({})",
            events(link.undecided),
            key_of(s, Section::Global, Action::Decide)
        ));
    }
    if link.offline_since.is_none() {
        parts.push(out.0);
    }
    let bad = out.1 || !parts.is_empty() && (link.offline_since.is_some() || link.undecided > 0);
    (parts.join(" · "), bad)
}

/// The end of `s` in at most `max` columns, `…` in front when cut.
fn truncate_left(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut used = 1;
    for &c in chars.iter().rev() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > max {
            break;
        }
        used += cw;
        out.push(c);
    }
    out.push('…');
    out.iter().rev().collect()
}

pub(crate) fn footer(buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: DateTime<Utc>) {
    let w = usize::from(area.width);
    if let Some((p, _)) = s.month_prompt() {
        compliance::footer_prompt(buf, area, s, p, theme);
        return;
    }
    if let Some(p) = s.filter_prompt() {
        let search = s.view == View::Closed;
        let label = if search { " search: " } else { " filter: " };
        let x = area.x + put(buf, area.x, area.y, label, w, theme.key);
        buf.set_style(
            Rect::new(x, area.y, area.width - (x - area.x), 1),
            theme.input,
        );
        put(buf, x, area.y, p, w.saturating_sub(9), theme.input);
        let (submit, cancel) = (
            key_of(s, Section::Form, Action::Submit),
            key_of(s, Section::Form, Action::Cancel),
        );
        let hint = if search {
            format!(" {submit} search closed tickets · {cancel} cancel ")
        } else {
            format!(
                " {submit} keep · {cancel} clear · {} closed tickets ",
                key_of(s, Section::Form, Action::NextField)
            )
        };
        let hw = width(&hint) as u16;
        if usize::from(hw) + width(p) + 12 < w {
            buf.set_string(area.right() - hw, area.y, hint, theme.muted);
        }
        return;
    }
    if let Some(f) = s
        .flash
        .as_ref()
        .filter(|f| now.timestamp_micros() - f.at < FLASH_FOR)
    {
        let style = if f.error { theme.error } else { theme.flash };
        put(buf, area.x, area.y, &format!(" {}", f.text), w, style);
        return;
    }
    let sec = s.view.section();
    let actions: &[Action] = match s.view {
        View::Queue | View::Escalations => &[
            Action::Open,
            Action::Acknowledge,
            Action::Escalate,
            Action::ClientUpdate,
            Action::Pause,
            Action::Restored,
            Action::Resolve,
            Action::Note,
            Action::Filter,
            Action::NextView,
            Action::Help,
            Action::Quit,
        ],
        View::Ticket => &[
            Action::Acknowledge,
            Action::Escalate,
            Action::ClientUpdate,
            Action::CarrierUpdate,
            Action::Pause,
            Action::Restored,
            Action::Resolve,
            Action::Note,
            Action::Back,
            Action::Help,
            Action::Quit,
        ],
        View::Help => &[Action::PageDown, Action::PageUp, Action::Back, Action::Quit],
        View::Closed => &[
            Action::Open,
            Action::Filter,
            Action::NextView,
            Action::Back,
            Action::Help,
            Action::Quit,
        ],
        View::Nudges => &[
            Action::Open,
            Action::NextView,
            Action::Back,
            Action::Help,
            Action::Quit,
        ],
        View::Compliance => &[
            Action::Drill,
            Action::NextFigure,
            Action::PrevMonth,
            Action::NextMonth,
            Action::ChooseMonth,
            Action::NextCustomer,
            Action::Recompute,
            Action::Back,
            Action::Help,
            Action::Quit,
        ],
    };
    let mut x = area.x + 1;
    // The filter in force, first: what is hidden must never be a surprise.
    let f = s.board.filter();
    if !f.is_empty() && matches!(s.view, View::Queue | View::Escalations) {
        let text = format!(
            "filter: {} ({} shown) ",
            f.describe(),
            match s.view {
                View::Escalations => s.esc.rows.len(),
                _ => s.board.visible().len(),
            }
        );
        x += put(buf, x, area.y, &text, w.saturating_sub(2), theme.stale);
    }
    let (sort, group) = (s.board.sort(), s.board.grouping());
    let grouped = group != super::board::GroupBy::None;
    if s.view == View::Queue && (sort != super::board::Sort::default() || grouped) {
        let by = if grouped {
            format!(", by {}", group.label())
        } else {
            String::new()
        };
        let text = format!("sort: {}{by} ", sort.describe());
        x += put(
            buf,
            x,
            area.y,
            &text,
            w.saturating_sub(usize::from(x)),
            theme.stale,
        );
    }
    if s.board.frozen() && s.view == View::Queue {
        x += put(
            buf,
            x,
            area.y,
            "FROZEN ",
            w.saturating_sub(usize::from(x)),
            theme.stale,
        );
    }
    let hint = |a: Action| {
        s.keymap
            .hint(sec, a)
            .map(|k| (a, k.to_string(), short_label(a)))
    };
    let need = |(_, k, label): &(Action, String, &str)| (width(k) + 1 + width(label) + 2) as u16;
    // Help and quit are kept whatever the width: the other hints give way to them.
    let (kept, rest): (Vec<_>, Vec<_>) = actions
        .iter()
        .filter_map(|&a| hint(a))
        .partition(|(a, _, _)| matches!(a, Action::Help | Action::Quit));
    // Ctrl-C always quits, so it is the hint when the keymap leaves quit unbound.
    let mut kept = kept;
    if !kept.iter().any(|(a, _, _)| *a == Action::Quit) {
        kept.push((Action::Quit, "ctrl-c".to_owned(), "quit"));
    }
    let reserved: u16 = kept.iter().map(need).sum();
    for h in rest.iter().chain(kept.iter()) {
        let is_kept = matches!(h.0, Action::Help | Action::Quit);
        let room = if is_kept { 0 } else { reserved };
        if x + need(h) + room > area.right() {
            if is_kept {
                break;
            }
            continue;
        }
        x += put(buf, x, area.y, &h.1, 20, theme.key);
        x += put(buf, x, area.y, &format!(" {}  ", h.2), 30, theme.muted);
    }
}

pub(crate) fn key_of(s: &State, sec: Section, a: Action) -> String {
    s.keymap
        .hint(sec, a)
        .map_or_else(|| "(unbound)".to_owned(), |k| k.to_string())
}

fn short_label(a: Action) -> &'static str {
    match a {
        Action::Open => "open",
        Action::Acknowledge => "ack",
        Action::Escalate => "escalate",
        Action::ClientUpdate => "client upd",
        Action::CarrierUpdate => "carrier upd",
        Action::Pause => "pause",
        Action::Restored => "restored",
        Action::Resolve => "resolve",
        Action::Note => "note",
        Action::Filter => "filter",
        Action::NextView => "view",
        Action::Help => "help",
        Action::Quit => "quit",
        Action::Back => "back",
        Action::PageDown => "page down",
        Action::PageUp => "page up",
        Action::Drill => "tickets",
        Action::NextFigure => "figure",
        Action::PrevMonth => "prev month",
        Action::NextMonth => "next month",
        Action::ChooseMonth => "month",
        Action::NextCustomer => "customer",
        Action::Recompute => "recompute",
        Action::Snooze => "snooze",
        Action::NudgeLog => "nudges",
        Action::Decide => "decide",
        _ => a.as_str(),
    }
}

/// Short names of the metrics for narrow columns.
/// Draws a budget bar of `w` cells for `pct` percent used, then a space and the
/// percentage (6 more columns).
pub(crate) fn bar(buf: &mut Buffer, x: u16, y: u16, pct: f64, w: usize, fill: Style, empty: Style) {
    let cells = ((pct / 100.0) * w as f64).round().clamp(0.0, w as f64) as usize;
    let cells = if pct > 0.0 && cells == 0 && w > 0 {
        1
    } else {
        cells
    };
    buf.set_string(x, y, "█".repeat(cells), fill);
    buf.set_string(x + cells as u16, y, "░".repeat(w - cells), empty);
    let p = if pct >= 999.5 {
        ">999%".to_owned()
    } else {
        format!("{pct:>4.0}%")
    };
    let x = x + 1;
    buf.set_string(x + w as u16, y, p, fill);
}
