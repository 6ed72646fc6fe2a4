//! How durations, countdowns and instants are written on screen, everywhere the same.
//!
//! Countdowns are `H:MM:SS` under 24 hours and days and hours (`1d 03h`) from 24 hours
//! on, so an hour figure never reaches 24. Overdue is a leading minus (`-0:12:03`).
//! Instants are local to the agent's time zone.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::sla::calendar::{Micros, MICROS_PER_SEC};

/// `1:23:45`, `23:59:59`, `1d 03h`, `-0:12:03`. Rounds toward zero to the second.
pub fn duration(d: Micros) -> String {
    let neg = d < 0;
    let secs = (d / MICROS_PER_SEC).unsigned_abs();
    let sign = if neg && secs > 0 { "-" } else { "" };
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h >= 24 {
        format!("{sign}{}d {:02}h", h / 24, h % 24)
    } else {
        format!("{sign}{h}:{m:02}:{s:02}")
    }
}

/// Short form for targets and budgets: `15m`, `4h`, `1h30m`, `2d`, `1d2h`.
pub fn budget(d: Micros) -> String {
    crate::config::duration::format_duration(d)
}

/// The countdown to `due` as seen at `now`: `due - now`, negative once overdue.
pub fn countdown(due: Micros, now: DateTime<Utc>) -> String {
    duration(due - now.timestamp_micros())
}

/// `14:03` today, `Tue 14:03` within the coming six days, `2026-03-02 14:03`
/// otherwise (so a weekday never names a past day).
pub fn instant_short(t: Micros, now: DateTime<Utc>, tz: Tz) -> String {
    let Some(t) = DateTime::from_timestamp_micros(t) else {
        return "?".into();
    };
    let local = t.with_timezone(&tz);
    let today = now.with_timezone(&tz).date_naive();
    let days = (local.date_naive() - today).num_days();
    if days == 0 {
        local.format("%H:%M").to_string()
    } else if (1..=6).contains(&days) {
        local.format("%a %H:%M").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// `2026-03-02 14:03:22` in the agent's zone.
pub fn instant_long(t: Micros, tz: Tz) -> String {
    DateTime::from_timestamp_micros(t).map_or_else(
        || "?".into(),
        |t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// How long ago, coarse: `3s`, `4m`, `2h`, `5d`.
pub fn age(d: Micros) -> String {
    let s = (d / MICROS_PER_SEC).max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// A metric in a word, for narrow columns.
pub fn metric_short(m: crate::sla::Metric) -> &'static str {
    use crate::sla::Metric;
    match m {
        Metric::Acknowledge => "ack",
        Metric::ClientUpdate => "update",
        Metric::Restore => "restore",
        Metric::Resolve => "resolve",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Micros = MICROS_PER_SEC;

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0:00:00");
        assert_eq!(duration(5025 * S), "1:23:45");
        assert_eq!(duration((27 * 3600 + 190) * S), "1d 03h");
        assert_eq!(duration((23 * 3600 + 3599) * S), "23:59:59");
        assert_eq!(duration(-(24 * 3600) * S), "-1d 00h");
        assert_eq!(duration(-(12 * 60 + 3) * S), "-0:12:03");
        assert_eq!(duration(-S / 2), "0:00:00");
        assert_eq!(duration((99 * 3600 + 3599) * S), "4d 03h");
        assert_eq!(duration(100 * 3600 * S), "4d 04h");
        assert_eq!(duration(-(30 * 86_400) * S), "-30d 00h");
    }

    #[test]
    fn ages() {
        assert_eq!(age(3 * S), "3s");
        assert_eq!(age(240 * S), "4m");
        assert_eq!(age(7300 * S), "2h");
        assert_eq!(age(3 * 86_400 * S), "3d");
        assert_eq!(age(-5), "0s");
    }
}
