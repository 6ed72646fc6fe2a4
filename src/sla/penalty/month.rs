//! Billing months: `YYYY-MM` in a contract's time zone, as half-open UTC intervals.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sla::calendar::Micros;

/// A calendar month, `2026-03`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1..=12
    pub month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1..=9999).contains(&year)).then_some(Month { year, month })
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid by construction")
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The month that holds instant `t` in zone `tz`.
    pub fn containing(t: Micros, tz: Tz) -> Month {
        let local = DateTime::from_timestamp_micros(t)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
            .with_timezone(&tz);
        Month {
            year: local.year(),
            month: local.month(),
        }
    }

    /// This month at `now` in `tz` ("this month"; `.prev()` is "last month").
    pub fn current(now: DateTime<Utc>, tz: Tz) -> Month {
        Month::containing(now.timestamp_micros(), tz)
    }

    /// `[start, end)` in UTC microseconds: local midnight of the first day to local
    /// midnight of the next month's first day. DST makes some months an hour shorter
    /// or longer than their days times 24 hours; the bounds follow the wall clock.
    pub fn bounds(self, tz: Tz) -> (Micros, Micros) {
        (
            local_midnight(self.first_day(), tz),
            local_midnight(self.next().first_day(), tz),
        )
    }

    /// Every day of the month with its `[start, end)` in UTC microseconds.
    pub fn days(self, tz: Tz) -> Vec<(NaiveDate, Micros, Micros)> {
        let mut out = Vec::with_capacity(31);
        let mut d = self.first_day();
        let end = self.next().first_day();
        while d < end {
            let next = d.succ_opt().expect("in range");
            out.push((d, local_midnight(d, tz), local_midnight(next, tz)));
            d = next;
        }
        out
    }
}

/// The first instant of local date `d` in `tz` (after a DST gap at midnight, the first
/// instant that exists).
pub fn local_midnight(d: NaiveDate, tz: Tz) -> Micros {
    let mut t = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    for _ in 0..(4 * 24) {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(x) => return x.timestamp_micros(),
            LocalResult::Ambiguous(a, b) => return a.min(b).timestamp_micros(),
            LocalResult::None => t += Duration::minutes(15),
        }
    }
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .timestamp_micros()
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || format!("expected a month as YYYY-MM, such as 2026-03, found {s:?}");
        let (y, m) = s.trim().split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(err());
        }
        Month::new(y.parse().map_err(|_| err())?, m.parse().map_err(|_| err())?).ok_or_else(err)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::calendar::MICROS_PER_MIN;

    #[test]
    fn parses_and_steps() {
        let m: Month = "2026-03".parse().unwrap();
        assert_eq!(m.to_string(), "2026-03");
        assert_eq!(m.prev().to_string(), "2026-02");
        assert_eq!(
            "2026-12".parse::<Month>().unwrap().next().to_string(),
            "2027-01"
        );
        for bad in ["2026-3", "2026-13", "26-03", "2026/03", "", "2026-00"] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bounds_follow_the_wall_clock_across_dst() {
        // March 2026 in London: 31 days, clocks go forward on the 29th: 743 hours.
        let (a, b) = "2026-03"
            .parse::<Month>()
            .unwrap()
            .bounds(chrono_tz::Europe::London);
        assert_eq!((b - a) / MICROS_PER_MIN, 743 * 60);
        // In UTC: 31 * 24 hours exactly.
        let (a, b) = "2026-03".parse::<Month>().unwrap().bounds(chrono_tz::UTC);
        assert_eq!((b - a) / MICROS_PER_MIN, 31 * 24 * 60);
        let days = "2026-02".parse::<Month>().unwrap().days(chrono_tz::UTC);
        assert_eq!(days.len(), 28);
    }
}
