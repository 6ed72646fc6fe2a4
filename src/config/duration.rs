//! Durations in configuration: `"15m"`, `"4h"`, `"1h30m"`, `"90s"`, `"2d"` (a day is
//! 24 hours of the calendar's working time), or a bare number of minutes.

use crate::sla::calendar::{Micros, MICROS_PER_SEC};

pub const EXPECTED: &str =
    "expected a duration such as \"15m\", \"4h\", \"1h30m\" or \"2d\", or a number of minutes";

pub fn parse_duration(s: &str) -> Result<Micros, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(EXPECTED.into());
    }
    if let Ok(minutes) = s.parse::<u32>() {
        return Ok(Micros::from(minutes) * 60 * MICROS_PER_SEC);
    }
    let mut total: Micros = 0;
    let mut number = String::new();
    let mut last_rank = usize::MAX;
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let (rank, unit) = match c {
            'd' => (3, 86_400),
            'h' => (2, 3_600),
            'm' => (1, 60),
            's' => (0, 1),
            _ => return Err(format!("{EXPECTED}, found {s:?}")),
        };
        // Units must be given largest first and once: "1h30m", not "30m1h".
        if number.is_empty() || rank >= last_rank {
            return Err(format!("{EXPECTED}, found {s:?}"));
        }
        last_rank = rank;
        let n: Micros = number
            .parse()
            .map_err(|_| format!("{EXPECTED}, found {s:?}"))?;
        total = n
            .checked_mul(unit * MICROS_PER_SEC)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration {s:?} is too large"))?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(format!("{EXPECTED}, found {s:?} (a number needs a unit)"));
    }
    Ok(total)
}

/// Writes a duration back in the same notation, largest units first.
pub fn format_duration(d: Micros) -> String {
    let mut secs = d / MICROS_PER_SEC;
    if secs == 0 {
        return "0m".into();
    }
    let mut out = String::new();
    if secs < 0 {
        out.push('-');
        secs = -secs;
    }
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let m = 60 * MICROS_PER_SEC;
        assert_eq!(parse_duration("15m").unwrap(), 15 * m);
        assert_eq!(parse_duration("1h30m").unwrap(), 90 * m);
        assert_eq!(parse_duration("2d").unwrap(), 48 * 60 * m);
        assert_eq!(parse_duration("45").unwrap(), 45 * m);
        assert_eq!(parse_duration("90s").unwrap(), 90 * MICROS_PER_SEC);
        for bad in ["", "h", "1x", "30m1h", "1h1h", "1.5h", "-5m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(90 * m), "1h30m");
        assert_eq!(format_duration(26 * 60 * m), "1d2h");
    }
}
