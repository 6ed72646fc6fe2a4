//! Parsing and formatting shared by the commands: instants and decimal minutes.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

use crate::sla::calendar::{Micros, MICROS_PER_MIN};

pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!("expected an RFC 3339 instant such as 2026-03-02T09:00:00Z, found {s:?}")
        })
}

/// A non-negative decimal number of minutes, exactly, to the microsecond.
pub fn parse_minutes(s: &str) -> Result<Micros, String> {
    let s = s.trim();
    let err =
        || format!("expected a non-negative number of minutes such as 90 or 1.5, found {s:?}");
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(err());
    }
    let whole: Micros = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| err())?
    };
    // Fraction of a minute in microseconds, rounded half up at the microsecond.
    let mut num: i128 = 0;
    let mut den: i128 = 1;
    for b in frac.bytes().take(18) {
        num = num * 10 + i128::from(b - b'0');
        den *= 10;
    }
    let frac_us = (num * i128::from(MICROS_PER_MIN) * 2 + den) / (2 * den);
    whole
        .checked_mul(MICROS_PER_MIN)
        .and_then(|w| w.checked_add(frac_us as Micros))
        .ok_or_else(|| format!("{s:?} minutes is too large"))
}

/// Minutes as a decimal: whole numbers plain, otherwise up to 8 decimals.
pub fn format_minutes(us: Micros) -> String {
    let neg = us < 0;
    // Units of 1e-8 minute, rounded half up: us * 1e8 / 6e7 = us * 10 / 6.
    let v = (i128::from(us).abs() * 20 + 6) / 12;
    let (whole, frac) = (v / 100_000_000, v % 100_000_000);
    let sign = if neg && v != 0 { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let digits = format!("{frac:08}");
        format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// RFC 3339 with the zone's offset at that instant.
pub fn format_instant(us: Micros, tz: Tz) -> String {
    match DateTime::from_timestamp_micros(us) {
        Some(t) => t
            .with_timezone(&tz)
            .to_rfc3339_opts(SecondsFormat::AutoSi, false),
        None => format!("(out of range: {us} µs)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_round_trip() {
        assert_eq!(parse_minutes("1.5").unwrap(), 90_000_000);
        assert_eq!(parse_minutes("90").unwrap(), 90 * MICROS_PER_MIN);
        assert_eq!(parse_minutes(".5").unwrap(), 30_000_000);
        assert_eq!(parse_minutes("0.0000001").unwrap(), 6);
        for bad in ["", "-1", "1,5", "abc", "1.2.3", "."] {
            assert!(parse_minutes(bad).is_err(), "{bad}");
        }
        assert_eq!(format_minutes(90_000_000), "1.5");
        assert_eq!(format_minutes(420 * MICROS_PER_MIN), "420");
        assert_eq!(format_minutes(1_000_000), "0.01666667");
        assert_eq!(format_minutes(-30_000_000), "-0.5");
        assert_eq!(format_minutes(0), "0");
    }
}
