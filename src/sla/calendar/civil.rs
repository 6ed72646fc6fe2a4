//! Calendar arithmetic on day numbers (days since 1970-01-01), after Howard Hinnant's
//! `civil_from_days`: a few integer operations instead of a chrono round trip on the
//! hot path.

use super::Micros;

pub const MICROS_PER_DAY: Micros = 86_400_000_000;
/// chrono's last representable year.
pub const MAX_YEAR: i32 = 262_142;

pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn year_of_day(z: i64) -> i32 {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let y = yoe + era * 400 + i64::from(mp >= 10);
    i32::try_from(y).unwrap_or(if y < 0 { i32::MIN } else { i32::MAX })
}

/// The UTC year of an instant.
pub fn year_of(t: Micros) -> i32 {
    year_of_day(t.div_euclid(MICROS_PER_DAY))
}

/// The instant a UTC year starts.
pub fn year_start(y: i32) -> Micros {
    days_from_civil(y, 1, 1).saturating_mul(MICROS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};

    #[test]
    fn agrees_with_chrono() {
        for y in [-400, 1, 1969, 1970, 2000, 2024, 2026, 2100, 9999] {
            let d = NaiveDate::from_ymd_opt(y, 1, 1).unwrap();
            let days = (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days();
            assert_eq!(days_from_civil(y, 1, 1), days, "{y}");
            assert_eq!(year_of_day(days), y);
            assert_eq!(year_of_day(days - 1), y - 1);
            let mar = NaiveDate::from_ymd_opt(y, 3, 1).unwrap();
            let mdays = (mar - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days();
            assert_eq!(days_from_civil(y, 3, 1), mdays);
            assert_eq!(year_of_day(mdays), mar.year());
        }
        assert_eq!(year_of(-1), 1969);
        assert_eq!(year_of(0), 1970);
    }
}
