//! How durations, countdowns and instants are written on screen, everywhere the same.
//!
//! Countdowns are `H:MM:SS` under 24 hours and days and hours (`1d 03h`) from 24 hours
//! on, so an hour figure never reaches 24. Overdue is a leading minus (`-0:12:03`).
//! Durations in a sentence are prose (`3 h 05 min ago`). Instants are local to the
//! agent's time zone and carry their date unless they are today.

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

/// `14:03` today, `04 Mar 14:03` another day this year, `2025-12-30 14:03` in
/// another year: a time that is not today always says its day.
pub fn instant_short(t: Micros, now: DateTime<Utc>, tz: Tz) -> String {
    use chrono::Datelike;
    let Some(t) = DateTime::from_timestamp_micros(t) else {
        return "?".into();
    };
    let local = t.with_timezone(&tz);
    let today = now.with_timezone(&tz).date_naive();
    if local.date_naive() == today {
        local.format("%H:%M").to_string()
    } else if local.year() == today.year() {
        local.format("%d %b %H:%M").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// A duration in a sentence: `45 s`, `12 min`, `3 h 05 min`, `4 d 3 h`. Rounds down.
pub fn prose(d: Micros) -> String {
    let s = (d / MICROS_PER_SEC).unsigned_abs();
    let sign = if d < 0 && s > 0 { "-" } else { "" };
    let (days, h, m) = (s / 86_400, s / 3600 % 24, s / 60 % 60);
    match s {
        0..60 => format!("{sign}{s} s"),
        60..3600 => format!("{sign}{m} min"),
        3600..86_400 => format!("{sign}{h} h {m:02} min"),
        _ => format!("{sign}{days} d {h} h"),
    }
}

/// How long ago, in a sentence: `just now` under a minute, else `3 h 05 min ago`.
pub fn ago(d: Micros) -> String {
    if d < 60 * MICROS_PER_SEC {
        "just now".into()
    } else {
        format!("{} ago", prose(d))
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

/// What a ticket's row says about its state, in words.
pub fn ticket_state(e: &super::board::Entry) -> String {
    let f = &e.facts;
    if e.sum.class == super::board::Class::Problem {
        return "no policy".into();
    }
    if f.resolved_at.is_some() {
        return "resolved".into();
    }
    if let Some(p) = f.current_pause() {
        return format!("paused:{}", super::sanitize::clean(&p.reason));
    }
    if f.restored_at.is_some() {
        "restored".into()
    } else if f.first_response_at.is_some() {
        "ack'd".into()
    } else {
        "new".into()
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
    fn prose_and_ago() {
        assert_eq!(prose(45 * S), "45 s");
        assert_eq!(prose(12 * 60 * S + 59 * S), "12 min");
        assert_eq!(prose((3 * 3600 + 5 * 60 + 59) * S), "3 h 05 min");
        assert_eq!(prose((4 * 86_400 + 3 * 3600 + 120) * S), "4 d 3 h");
        assert_eq!(prose(-(90 * 60) * S), "-1 h 30 min");
        assert_eq!(ago(0), "just now");
        assert_eq!(ago(59 * S), "just now");
        assert_eq!(ago((3 * 3600 + 5 * 60) * S), "3 h 05 min ago");
    }

    #[test]
    fn instants_say_their_day_unless_today() {
        let now: DateTime<Utc> = "2026-03-02T15:00:00Z".parse().unwrap();
        let tz = chrono_tz::Europe::Berlin;
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap().timestamp_micros();
        assert_eq!(instant_short(at("2026-03-02T07:04:00Z"), now, tz), "08:04");
        assert_eq!(
            instant_short(at("2026-03-04T14:00:00Z"), now, tz),
            "04 Mar 15:00"
        );
        assert_eq!(
            instant_short(at("2026-02-27T14:00:00Z"), now, tz),
            "27 Feb 15:00"
        );
        assert_eq!(
            instant_short(at("2025-12-30T13:03:00Z"), now, tz),
            "2025-12-30 14:03"
        );
        // Midnight in the agent's zone, not UTC, decides what "today" is.
        assert_eq!(
            instant_short(at("2026-03-02T23:30:00Z"), now, tz),
            "03 Mar 00:30"
        );
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
