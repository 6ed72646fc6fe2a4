//! What a calendar says, before it is compiled: zone, weekly hours, holidays, closures.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

pub const DAY_SECS: u32 = 86_400;

/// One working range of a weekday, in seconds from that day's local midnight.
/// `end > DAY_SECS` runs past midnight into the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holiday {
    /// One local date.
    Date(NaiveDate),
    /// The same month and day every year (inclusive year bounds when given).
    Yearly {
        month: u32,
        day: u32,
        first_year: Option<i32>,
        last_year: Option<i32>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closure {
    /// Local wall-clock time, closed over `[from, to)`.
    Local {
        from: NaiveDateTime,
        to: NaiveDateTime,
    },
    /// UTC seconds, closed over `[from, to)`.
    Utc { from: i64, to: i64 },
}

/// A calendar's definition. Validation (overlaps, bounds) happens where it is parsed.
#[derive(Debug, Clone)]
pub struct Rules {
    pub tz: Tz,
    pub always: bool,
    /// Indexed by `Weekday::num_days_from_monday()`.
    pub weekly: [Vec<Range>; 7],
    pub holidays: Vec<Holiday>,
    pub closures: Vec<Closure>,
}

impl Rules {
    pub fn always(tz: Tz) -> Rules {
        Rules {
            tz,
            always: true,
            weekly: Default::default(),
            holidays: Vec::new(),
            closures: Vec::new(),
        }
    }

    pub fn weekly(tz: Tz, weekly: [Vec<Range>; 7]) -> Rules {
        Rules {
            tz,
            always: false,
            weekly,
            holidays: Vec::new(),
            closures: Vec::new(),
        }
    }

    pub(super) fn holiday_set(&self) -> HolidaySet {
        let mut set = HolidaySet::default();
        for h in &self.holidays {
            match *h {
                Holiday::Date(d) => {
                    set.dates.insert(d);
                }
                Holiday::Yearly { .. } => set.yearly.push(h.clone()),
            }
        }
        set
    }
}

#[derive(Default)]
pub(super) struct HolidaySet {
    dates: HashSet<NaiveDate>,
    yearly: Vec<Holiday>,
}

impl HolidaySet {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.dates.contains(&d)
            || self.yearly.iter().any(|h| match *h {
                Holiday::Yearly {
                    month,
                    day,
                    first_year,
                    last_year,
                } => {
                    d.month() == month
                        && d.day() == day
                        && first_year.is_none_or(|y| d.year() >= y)
                        && last_year.is_none_or(|y| d.year() <= y)
                }
                Holiday::Date(_) => false,
            })
    }
}
