//! The compliance view: per customer and priority, adherence per metric, breaches, a
//! per-day trend, penalty exposure so far and in one hour; each contract's error
//! budgets and the tickets whose next hour costs money. One figure is selected (a
//! row, then a column); the lines under the table explain it, and `drill` lists the
//! tickets behind it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::{cell, key_of, put};
use crate::sla::penalty::money::group_thousands;
use crate::sla::penalty::Month;
use crate::tui::action::{Action, Section};
use crate::tui::compliance::{
    figures, money, money_by_currency, risk_text, row_name, rows, table_height, Computed, Row,
    F_EXPOSURE, F_IN_1H,
};
use crate::tui::fmt;
use crate::tui::sanitize::{clean, width};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// A column: x and width.
type Span = (u16, usize);

/// Column widths for a terminal `w` wide: name (the rest), tickets, 5 percentages,
/// breaches, trend (0: none), exposure, in 1 h (0: none).
struct Cols {
    name: usize,
    tickets: usize,
    pct: usize,
    breaches: usize,
    trend: usize,
    money: usize,
    in_1h: usize,
}

impl Cols {
    /// `forecast`: the month is in progress (a month that is over has no "in 1 h").
    fn new(w: u16, forecast: bool) -> Cols {
        let w = usize::from(w);
        let mut c = if w >= 150 {
            Cols {
                name: 0,
                tickets: 6,
                pct: 7,
                breaches: 6,
                trend: 31,
                money: 18,
                in_1h: 18,
            }
        } else if w >= 110 {
            Cols {
                name: 0,
                tickets: 5,
                pct: 7,
                breaches: 5,
                trend: 31,
                money: 16,
                in_1h: 0,
            }
        } else {
            Cols {
                name: 0,
                tickets: 4,
                pct: 6,
                breaches: 4,
                trend: 0,
                money: 14,
                in_1h: 0,
            }
        };
        if !forecast {
            c.in_1h = 0;
        }
        let fixed = c.tickets
            + 5 * (c.pct + 1)
            + c.breaches
            + 1
            + if c.trend > 0 { c.trend + 1 } else { 0 }
            + c.money
            + 1
            + if c.in_1h > 0 { c.in_1h + 1 } else { 0 };
        c.name = w.saturating_sub(fixed + 2).max(8);
        c
    }

    /// (x offset, width) of each figure column of a customer row, by figure index;
    /// then the trend's.
    fn layout(&self, x0: u16) -> (Vec<Span>, Option<Span>) {
        let mut x = x0 + 1 + self.name as u16 + 1;
        let mut out = Vec::new();
        let mut push = |w: usize, x: &mut u16| {
            out.push((*x, w));
            *x += w as u16 + 1;
        };
        push(self.tickets, &mut x);
        for _ in 0..5 {
            push(self.pct, &mut x);
        }
        push(self.breaches, &mut x);
        let trend = (self.trend > 0).then(|| {
            let t = (x, self.trend);
            x += self.trend as u16 + 1;
            t
        });
        out.push((x, self.money));
        x += self.money as u16 + 1;
        if self.in_1h > 0 {
            out.push((x, self.in_1h));
        }
        (out, trend)
    }
}

pub fn draw(buf: &mut Buffer, area: Rect, s: &State, theme: &Theme, now: DateTime<Utc>) {
    let p = &s.compliance;
    let month = p.month_at(now, s.tz);
    let shown = p.shown(now, s.tz);
    status(buf, area, s, shown, month, theme, now);
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    );
    let w = usize::from(area.width);
    let Some(c) = shown else {
        let (text, style) = match (&p.error, p.computing(month)) {
            (Some(e), _) => (format!("Could not compute the figures: {e}"), theme.error),
            (None, true) => (format!("Computing the figures for {month}…"), theme.stale),
            (None, false) if !s.source.loaded => ("Loading tickets…".to_owned(), theme.muted),
            (None, false) => (format!("No figures for {month} yet."), theme.muted),
        };
        put(buf, body.x + 2, body.y + 1, &text, w - 2, style);
        return;
    };
    if let Some(d) = &p.drill {
        drill(buf, body, s, c, d, theme);
        return;
    }
    let rows = rows(&c.figures, p.customer.as_deref());
    if rows.is_empty() {
        let who = p
            .customer
            .as_deref()
            .map_or(String::new(), |c| format!(" for {}", clean(c)));
        put(
            buf,
            body.x + 2,
            body.y + 1,
            &format!("No contracts or tickets{who} in {month}."),
            w - 2,
            theme.muted,
        );
        return;
    }
    let cols = Cols::new(area.width, c.figures.in_progress);
    header(buf, body.x, body.y, &cols, theme);
    let h = table_height(area.height + 3).min(usize::from(body.height.saturating_sub(5)));
    let sel = p.sel.min(rows.len() - 1);
    let offset = crate::tui::list::window(p.offset, sel, h, rows.len());
    let tz = c
        .figures
        .customers
        .first()
        .and_then(|cc| cc.timezone.parse::<Tz>().ok());
    for (i, row) in rows.iter().enumerate().skip(offset).take(h) {
        let y = body.y + 1 + (i - offset) as u16;
        let col = (i == sel).then_some(p.col);
        draw_row(
            buf,
            body.x,
            y,
            &cols,
            *row,
            c,
            col,
            theme,
            now,
            tz.unwrap_or(s.tz),
        );
    }
    if rows.len() > h {
        let more = format!(
            " {}–{} of {} ",
            offset + 1,
            (offset + h).min(rows.len()),
            rows.len()
        );
        let mw = width(&more) as u16;
        if mw < area.width {
            buf.set_string(area.right() - mw, body.y + 1 + h as u16, more, theme.muted);
        }
    }
    details(
        buf,
        Rect::new(area.x, area.bottom().saturating_sub(4), area.width, 4),
        s,
        rows[sel],
        c,
        theme,
        now,
    );
}

#[allow(clippy::too_many_arguments)]
fn status(
    buf: &mut Buffer,
    area: Rect,
    s: &State,
    shown: Option<&Computed>,
    month: Month,
    theme: &Theme,
    now: DateTime<Utc>,
) {
    let p = &s.compliance;
    let w = usize::from(area.width);
    let current = Month::current(now, s.tz);
    let when = if month == current {
        "this month, to date"
    } else if month == current.prev() {
        "last month"
    } else if month < current {
        "closed"
    } else {
        "not started"
    };
    let mut x = area.x + 1;
    x += put(buf, x, area.y, &format!("{month} ({when})"), w, theme.title);
    let who = p
        .customer
        .as_deref()
        .map_or("all customers".to_owned(), |c| {
            format!("customer {}", clean(c))
        });
    x += put(
        buf,
        x,
        area.y,
        &format!("  {who}"),
        w.saturating_sub(usize::from(x)),
        theme.base,
    );
    let now_us = now.timestamp_micros();
    let mut fresh = match shown {
        Some(c) => format!(
            "  as of {} ({} ago, took {})",
            fmt::instant_short(c.figures.now, now, s.tz),
            fmt::age(now_us - c.figures.now),
            took(c.load_us + c.compute_us)
        ),
        None => String::new(),
    };
    let computing = p.computing(month);
    if computing {
        fresh.push_str("  computing…");
    }
    let style = if computing { theme.stale } else { theme.muted };
    x += put(
        buf,
        x,
        area.y,
        &fresh,
        w.saturating_sub(usize::from(x)),
        style,
    );
    // Totals of what is shown, on the right when there is room.
    if let Some(c) = shown.filter(|_| p.drill.is_none()) {
        let mut now_t = std::collections::BTreeMap::<String, Decimal>::new();
        let mut later = now_t.clone();
        for cc in c
            .figures
            .customers
            .iter()
            .filter(|cc| p.customer.as_deref().is_none_or(|x| x == cc.customer))
        {
            for (k, v) in &cc.exposure {
                *now_t.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &cc.forecast_1h {
                *later.entry(k.clone()).or_default() += v;
            }
        }
        let text = if c.figures.in_progress {
            format!(
                "exposure {} · in 1 h {} ",
                money_by_currency(&now_t),
                money_by_currency(&later)
            )
        } else {
            format!("penalties {} ", money_by_currency(&now_t))
        };
        let tw = width(&text) as u16;
        if x + tw + 2 <= area.right() {
            buf.set_string(
                area.right() - tw,
                area.y,
                text,
                theme.base.add_modifier(Modifier::BOLD),
            );
        }
    }
}

fn took(us: u64) -> String {
    if us >= 10_000_000 {
        format!("{} s", us / 1_000_000)
    } else if us >= 1_000_000 {
        format!("{:.1} s", us as f64 / 1e6)
    } else {
        format!("{} ms", us / 1000)
    }
}

fn header(buf: &mut Buffer, x0: u16, y: u16, cols: &Cols, theme: &Theme) {
    let (figs, trend) = cols.layout(x0);
    let name = if cols.name >= 30 {
        "Customer / priority / contract"
    } else {
        "Customer"
    };
    cell(buf, x0 + 1, y, name, cols.name, theme.column_header);
    let names = ["Tkts", "All %", "Ack %", "Upd %", "Rst %", "Res %", "Brch"];
    for (i, n) in names.iter().enumerate() {
        let (x, w) = figs[i];
        cell(buf, x, y, &format!("{n:>w$}"), w, theme.column_header);
    }
    if let Some((x, w)) = trend {
        cell(buf, x, y, "Breaches per day", w, theme.column_header);
    }
    let (x, w) = figs[F_EXPOSURE];
    cell(
        buf,
        x,
        y,
        &format!("{:>w$}", "Exposure"),
        w,
        theme.column_header,
    );
    if let Some(&(x, w)) = figs.get(F_IN_1H) {
        cell(
            buf,
            x,
            y,
            &format!("{:>w$}", "In 1 h"),
            w,
            theme.column_header,
        );
    }
}

fn pct(d: Option<Decimal>, w: usize) -> String {
    let t = d.map_or_else(
        || "-".to_owned(),
        |d| {
            if w < 7 && d.scale() > 1 {
                // 100.00 does not fit in 6 with a space: one decimal (display only).
                let mut r = d
                    .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointNearestEven);
                r.rescale(1);
                r.to_string()
            } else {
                d.to_string()
            }
        },
    );
    format!("{t:>w$}")
}

/// Breaches (or any count) per day as a sparkline; days after `today` blank.
pub fn spark(values: &[f64], upto: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().fold(0.0, f64::max);
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if i > upto {
                ' '
            } else if v <= 0.0 {
                '.'
            } else {
                let l = ((v / max) * 7.0).round() as usize;
                BARS[l.min(7)]
            }
        })
        .collect()
}

/// The index of the last day shown in a month's series (today, or the whole month).
fn last_day(c: &Computed, tz: Tz) -> usize {
    let today =
        DateTime::from_timestamp_micros(c.figures.now).map(|t| t.with_timezone(&tz).date_naive());
    let first = c.figures.month.first_day();
    match today {
        Some(d) if d >= first => (d - first).num_days().max(0) as usize,
        _ => 0,
    }
}

fn breach_series(row: Row<'_>) -> Option<Vec<f64>> {
    match row {
        Row::Customer(cc) => Some(
            cc.days
                .iter()
                .map(|d| f64::from(d.breached.count))
                .collect(),
        ),
        Row::Priority(cc, pf) => Some(
            cc.days
                .iter()
                .map(|d| {
                    pf.priority
                        .and_then(|p| d.breaches_by_priority.get(&p))
                        .map_or(0.0, |t| f64::from(t.count))
                })
                .collect(),
        ),
        Row::Budget(_, b) => Some(
            b.days
                .iter()
                .map(|d| d.outage_minutes.to_f64().unwrap_or(0.0))
                .collect(),
        ),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_row(
    buf: &mut Buffer,
    x0: u16,
    y: u16,
    cols: &Cols,
    row: Row<'_>,
    c: &Computed,
    col: Option<usize>,
    theme: &Theme,
    now: DateTime<Utc>,
    tz: Tz,
) {
    let selected = col.is_some();
    let sel = |st: Style| theme.row(st, selected);
    // The selected figure: reversed and underlined, and named under the table.
    let pick = |i: usize, st: Style| {
        if col == Some(i) {
            sel(st).add_modifier(Modifier::REVERSED | Modifier::UNDERLINED)
        } else {
            sel(st)
        }
    };
    let right = x0
        + (cols.name
            + 1
            + cols.tickets
            + 5 * (cols.pct + 1)
            + cols.breaches
            + 1
            + if cols.trend > 0 { cols.trend + 1 } else { 0 }
            + cols.money
            + 1
            + if cols.in_1h > 0 { cols.in_1h + 1 } else { 0 }) as u16;
    buf.set_style(Rect::new(x0, y, right - x0 + 1, 1), sel(theme.base));
    let (figs, trend) = cols.layout(x0);
    let span_x = figs[0].0;
    let span_end = figs.last().map_or(span_x, |&(x, w)| x + w as u16);
    let span_w = usize::from(span_end - span_x);
    match row {
        Row::Customer(_) | Row::Priority(..) => {
            let (name, pf, bold) = match row {
                Row::Customer(cc) => (clean(&cc.customer), &cc.all, true),
                Row::Priority(_, pf) => (
                    format!("  {}", pf.priority.map_or("all".into(), |p| p.to_string())),
                    pf,
                    false,
                ),
                _ => unreachable!(),
            };
            let base = if bold {
                theme.base.add_modifier(Modifier::BOLD)
            } else {
                theme.base
            };
            cell(buf, x0 + 1, y, &name, cols.name, sel(base));
            let (x, w) = figs[0];
            cell(
                buf,
                x,
                y,
                &format!("{:>w$}", pf.tickets.count),
                w,
                pick(0, base),
            );
            let pcts = std::iter::once(pf.adherence).chain(pf.metrics.iter().map(|m| m.adherence));
            for (i, a) in pcts.enumerate() {
                let (x, w) = figs[1 + i];
                let below = a.is_some_and(|a| a < Decimal::ONE_HUNDRED);
                let st = if below { theme.warning } else { base };
                cell(buf, x, y, &pct(a, w), w, pick(1 + i, st));
            }
            let (x, w) = figs[6];
            let st = if pf.breaches.count > 0 {
                theme.critical
            } else {
                base
            };
            cell(
                buf,
                x,
                y,
                &format!("{:>w$}", pf.breaches.count),
                w,
                pick(6, st),
            );
            if let Some((x, w)) = trend {
                if let Some(v) = breach_series(row) {
                    let t = spark(&v, last_day(c, tz));
                    cell(buf, x, y, &t, w, sel(theme.critical));
                }
            }
            if let Row::Customer(cc) = row {
                let (x, w) = figs[F_EXPOSURE];
                let m = money_by_currency(&cc.exposure);
                let st = if cc.exposure.values().any(|v| !v.is_zero()) {
                    theme.critical
                } else {
                    base
                };
                cell(buf, x, y, &format!("{m:>w$}"), w, pick(F_EXPOSURE, st));
                if let Some(&(x, w)) = figs.get(F_IN_1H) {
                    let m = money_by_currency(&cc.forecast_1h);
                    cell(buf, x, y, &format!("{m:>w$}"), w, pick(F_IN_1H, base));
                }
            }
        }
        Row::Contract(_, k) => {
            cell(
                buf,
                x0 + 1,
                y,
                &format!("  {}", clean(&k.contract)),
                cols.name,
                sel(theme.group),
            );
            let (mx, _) = figs[F_EXPOSURE];
            let n = k.now.terms.len();
            let text = format!(
                "contract, {n} term{} · recorded {}",
                if n == 1 { "" } else { "s" },
                money(k.recorded_net, &k.currency)
            );
            let tw = usize::from(mx - span_x).saturating_sub(1);
            cell(buf, span_x, y, &text, tw, pick(2, theme.muted));
            let (x, w) = figs[F_EXPOSURE];
            let m = money(k.now.total, &k.currency);
            let st = if k.now.total.is_zero() {
                theme.base
            } else {
                theme.critical
            };
            cell(buf, x, y, &format!("{m:>w$}"), w, pick(0, st));
            if let Some(&(x, w)) = figs.get(F_IN_1H) {
                let m = money(k.in_1h.total, &k.currency);
                cell(buf, x, y, &format!("{m:>w$}"), w, pick(1, theme.base));
            }
        }
        Row::Budget(k, b) => {
            cell(
                buf,
                x0 + 1,
                y,
                &format!("    {} budget", clean(&b.term)),
                cols.name,
                sel(theme.base),
            );
            let over = b.left_minutes < Decimal::ZERO;
            let fast = b.burn_rate.is_some_and(|r| r > Decimal::ONE);
            let st = if over {
                theme.critical
            } else if fast {
                theme.warning
            } else {
                theme.base
            };
            cell(
                buf,
                span_x,
                y,
                &budget_text(k, b, now, tz),
                span_w,
                pick(0, st),
            );
        }
        Row::Risk(_, r) => {
            let x = x0 + 1;
            cell(buf, x, y, "    ", 4, sel(theme.base));
            cell(buf, x + 4, y, "$", 1, sel(theme.critical));
            cell(
                buf,
                x + 5,
                y,
                &format!(" {}", clean(&r.ticket)),
                cols.name.saturating_sub(5),
                sel(theme.base),
            );
            let st = if r.tips_band {
                theme.critical
            } else {
                theme.warning
            };
            cell(buf, span_x, y, &risk_text(r), span_w, pick(0, st));
        }
    }
}

fn minutes(d: Decimal) -> String {
    group_thousands(&d.to_string())
}

/// An error budget in one line: what is left, the burn rate, when it runs out (while
/// an outage counts: at that rate; otherwise at the month's average pace), and how far
/// the next penalty band is.
pub fn budget_text(
    k: &crate::sla::penalty::ContractCompliance,
    b: &crate::sla::penalty::compliance::ErrorBudget,
    now: DateTime<Utc>,
    tz: Tz,
) -> String {
    let mut parts = Vec::new();
    if b.left_minutes < Decimal::ZERO {
        parts.push(format!(
            "OVERSPENT by {} of {} min",
            minutes(-b.left_minutes),
            minutes(b.allowed_minutes)
        ));
    } else {
        parts.push(format!(
            "{} min left of {}",
            minutes(b.left_minutes),
            minutes(b.allowed_minutes)
        ));
    }
    if let Some(r) = b.burn_rate {
        parts.push(format!("burn {r}x"));
    }
    match b.exhausted_at {
        Some(t) => parts.push(format!(
            "exhausted {} if the outage goes on",
            fmt::instant_short(t, now, tz)
        )),
        None if b.left_minutes <= Decimal::ZERO => {
            if b.growing {
                parts.push("outage counting".into());
            }
        }
        None => {
            // At the month's pace so far: used / allowed of the budget in (as_of - start).
            let used = b.used_minutes.to_f64().unwrap_or(0.0);
            let allowed = b.allowed_minutes.to_f64().unwrap_or(0.0);
            let gone = (k.now.as_of.min(k.now.end) - k.now.start) as f64;
            if used > 0.0 && gone > 0.0 {
                let at = k.now.start + (gone * allowed / used) as i64;
                if at < k.now.end {
                    parts.push(format!(
                        "exhausted ~{} at this pace",
                        fmt::instant_short(at, now, tz)
                    ));
                }
            }
            if b.growing {
                parts.push("outage counting".into());
            }
        }
    }
    if let Some(n) = &b.next_band {
        let at =
            n.at.map(|t| format!(" ({})", fmt::instant_short(t, now, tz)))
                .unwrap_or_default();
        parts.push(format!(
            "next band {} in {} min{at}",
            clean(&n.label),
            minutes(n.minutes_left)
        ));
    }
    parts.join(" · ")
}

fn details(
    buf: &mut Buffer,
    area: Rect,
    s: &State,
    row: Row<'_>,
    c: &Computed,
    theme: &Theme,
    now: DateTime<Utc>,
) {
    let w = usize::from(area.width);
    let y = area.y;
    buf.set_string(area.x, y, "─".repeat(w), theme.border);
    let figs = figures(row, c.figures.in_progress);
    let i = s.compliance.col.min(figs.len().saturating_sub(1));
    let drill = key_of(s, Section::Compliance, Action::Drill);
    let tz = match row {
        Row::Customer(cc) | Row::Priority(cc, _) | Row::Contract(cc, _) => cc.timezone.parse().ok(),
        Row::Budget(k, _) | Row::Risk(k, _) => k.now.timezone.parse().ok(),
    }
    .unwrap_or(s.tz);
    if let Some(f) = figs.get(i) {
        let mut x = area.x + 1;
        x += put(
            buf,
            x,
            y + 1,
            &format!("{}: ", row_name(row)),
            w - 1,
            theme.title,
        );
        x += put(
            buf,
            x,
            y + 1,
            &format!("{} = {}", f.name, f.value),
            w.saturating_sub(usize::from(x - area.x)),
            theme.base.add_modifier(Modifier::BOLD),
        );
        let hint = if matches!(row, Row::Risk(..)) {
            format!("  {drill} opens it")
        } else {
            match f.items.count() {
                0 => "  (no tickets)".into(),
                n => format!("  {drill} lists {n} tickets"),
            }
        };
        put(
            buf,
            x,
            y + 1,
            &hint,
            w.saturating_sub(usize::from(x - area.x)),
            theme.muted,
        );
    }
    let mut lines: Vec<(String, Style)> = Vec::new();
    if let Some(v) = breach_series(row) {
        let what = if matches!(row, Row::Budget(..)) {
            "outage min per day"
        } else {
            "breaches per day"
        };
        let max = v.iter().copied().fold(0.0, f64::max);
        let first = c.figures.month.first_day();
        lines.push((
            format!(
                "{what} {}: {} (max {})",
                first.format("%b"),
                spark(&v, last_day(c, tz)),
                group_thousands(&format!("{}", (max * 100.0).round() / 100.0))
            ),
            theme.base,
        ));
    }
    match row {
        Row::Customer(cc) => {
            for k in &cc.contracts {
                let forecast = if c.figures.in_progress {
                    format!(" · in 1 h {}", money(k.in_1h.total, &k.currency))
                } else {
                    String::new()
                };
                lines.push((
                    format!(
                        "{}: so far {}{forecast} · recorded {}",
                        clean(&k.contract),
                        money(k.now.total, &k.currency),
                        money(k.recorded_net, &k.currency)
                    ),
                    theme.base,
                ));
            }
        }
        Row::Contract(_, k) => {
            for t in &k.now.terms {
                let band = t
                    .band_label
                    .as_deref()
                    .map(|b| format!(" ({})", clean(b)))
                    .unwrap_or_default();
                lines.push((
                    format!(
                        "{}: {}{band} → {}{}",
                        clean(&t.term),
                        clean(&t.actual),
                        money(t.amount, &t.currency),
                        if t.is_final() { "" } else { " (not final)" }
                    ),
                    if t.amount.is_zero() {
                        theme.base
                    } else {
                        theme.critical
                    },
                ));
            }
        }
        Row::Budget(k, b) => lines.push((budget_text(k, b, now, tz), theme.base)),
        Row::Risk(_, r) => lines.push((clean(&r.text), theme.critical)),
        Row::Priority(..) => {}
    }
    for (n, (text, style)) in lines.iter().take(2).enumerate() {
        put(buf, area.x + 1, y + 2 + n as u16, text, w - 1, *style);
    }
}

fn drill(
    buf: &mut Buffer,
    area: Rect,
    s: &State,
    c: &Computed,
    d: &crate::tui::compliance::Drill,
    theme: &Theme,
) {
    let w = usize::from(area.width);
    let mut y = area.y;
    put(
        buf,
        area.x + 1,
        y,
        &format!("Tickets behind {}", d.title),
        w - 1,
        theme.title,
    );
    y += 1;
    let hint = format!(
        "{} tickets · {} opens one · {} back to the figures",
        d.items.len(),
        key_of(s, Section::Compliance, Action::Drill),
        key_of(s, Section::Compliance, Action::Back)
    );
    put(buf, area.x + 1, y, &hint, w - 1, theme.muted);
    y += 1;
    let wide = w >= 120;
    let cols: Vec<(&str, usize)> = if wide {
        vec![
            ("", 1),
            ("Ticket", 16),
            ("P", 2),
            ("Customer", 16),
            ("State", 12),
            ("Why", 54),
            ("Title", 0),
        ]
    } else {
        vec![
            ("", 1),
            ("Ticket", 13),
            ("P", 2),
            ("State", 9),
            ("Why", 28),
            ("Title", 0),
        ]
    };
    let fixed: usize = cols.iter().map(|c| c.1 + 1).sum();
    let title_w = w.saturating_sub(fixed + 1).max(6);
    let widths: Vec<usize> = cols
        .iter()
        .map(|c| if c.1 == 0 { title_w } else { c.1 })
        .collect();
    let mut x = area.x + 1;
    for ((name, _), cw) in cols.iter().zip(&widths) {
        cell(buf, x, y, name, *cw, theme.column_header);
        x += *cw as u16 + 1;
    }
    y += 1;
    let h = usize::from(area.bottom().saturating_sub(y));
    let offset = crate::tui::list::window(d.offset, d.sel, h, d.items.len());
    for (i, item) in d.items.iter().enumerate().skip(offset).take(h) {
        let selected = i == d.sel;
        let sel = |st: Style| theme.row(st, selected);
        let yy = y + (i - offset) as u16;
        buf.set_style(Rect::new(area.x, yy, area.width, 1), sel(theme.base));
        let entry = s.board.find(&item.ticket).and_then(|i| s.board.entry(i));
        let brief = c.briefs.get(&item.ticket);
        let (prio, customer, state, title) = match (entry, brief) {
            (Some(e), _) => (
                e.facts.priority.to_string(),
                e.facts.customer.to_string(),
                crate::tui::fmt::ticket_state(e),
                e.facts.title.to_string(),
            ),
            (None, Some(b)) => (
                b.priority.to_string(),
                b.customer.clone(),
                "resolved".into(),
                b.title.clone(),
            ),
            (None, None) => ("".into(), "".into(), "?".into(), "".into()),
        };
        let marked = s.compliance.marked(&item.ticket);
        let mut cells: Vec<(String, Style)> = vec![
            (if marked { "$".into() } else { " ".into() }, theme.critical),
            (clean(&item.ticket), theme.base),
            (prio, theme.base),
        ];
        if wide {
            cells.push((customer, theme.base));
        }
        let why_style = if item.note.starts_with("breached") || item.note.contains(": ") {
            theme.warning
        } else {
            theme.base
        };
        cells.push((state, theme.base));
        cells.push((clean(&item.note), why_style));
        cells.push((title, theme.base));
        let mut x = area.x + 1;
        for ((text, st), cw) in cells.iter().zip(&widths) {
            cell(buf, x, yy, text, *cw, sel(*st));
            x += *cw as u16 + 1;
        }
    }
}

/// The month prompt in the footer: `month (YYYY-MM): 2026-0`.
pub fn footer_prompt(buf: &mut Buffer, area: Rect, s: &State, text: &str, theme: &Theme) {
    let w = usize::from(area.width);
    let x = area.x + put(buf, area.x, area.y, PROMPT, w, theme.key);
    buf.set_style(
        Rect::new(x, area.y, area.right().saturating_sub(x), 1),
        theme.input,
    );
    let tx = x + put(
        buf,
        x,
        area.y,
        text,
        w.saturating_sub(usize::from(x)),
        theme.input,
    );
    let msg = match s.month_prompt().and_then(|(_, e)| e) {
        Some(e) => (format!("  {e}"), theme.error),
        None => (
            format!(
                "  {} show · {} cancel",
                key_of(s, Section::Form, Action::Submit),
                key_of(s, Section::Form, Action::Cancel)
            ),
            theme.muted,
        ),
    };
    put(
        buf,
        tx + 1,
        area.y,
        &msg.0,
        w.saturating_sub(usize::from(tx + 1)),
        msg.1,
    );
}

const PROMPT: &str = " month (YYYY-MM, empty: this month): ";

/// Where the terminal cursor goes while the month prompt is open.
pub fn prompt_cursor(area: Rect, text: &str) -> ratatui::layout::Position {
    let x = area.x + (width(PROMPT) + width(text)) as u16;
    ratatui::layout::Position::new(x.min(area.right() - 1), area.bottom() - 1)
}
