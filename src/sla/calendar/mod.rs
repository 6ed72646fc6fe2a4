//! Business calendars compiled into working intervals with prefix sums.
//!
//! Working time is split into one chunk per UTC year, compiled on first use: the
//! sorted, merged UTC intervals of that year, the working time before each interval,
//! and for every UTC day the first interval that ends after the day starts. `elapsed`
//! is then a table lookup and a short scan, `due` a binary search over prefix sums;
//! spans over many years add up whole-year totals. Nothing has a horizon.

mod chunk;
mod civil;
pub mod offsets;
mod rules;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use rules::{Closure, Holiday, Range, Rules, DAY_SECS};

use chunk::Chunk;

/// Microseconds since the Unix epoch (UTC), or a duration in microseconds.
pub type Micros = i64;

pub const MICROS_PER_SEC: Micros = 1_000_000;
pub const MICROS_PER_MIN: Micros = 60 * MICROS_PER_SEC;

/// Years with a preallocated lock-free slot; others share a locked map.
const FAST_FIRST_YEAR: i32 = 1900;
const FAST_YEARS: usize = 500;
/// `due` gives up after this many consecutive years without working time.
const MAX_EMPTY_YEARS: i32 = 100;

pub struct Calendar {
    name: String,
    rules: Rules,
    /// Allocated on first use: a file of thousands of calendars, most never asked,
    /// must not hold a table of 500 years for each.
    fast: OnceLock<Box<[OnceLock<Chunk>]>>,
    slow: Mutex<HashMap<i32, Arc<Chunk>>>,
}

impl std::fmt::Debug for Calendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Calendar")
            .field("name", &self.name)
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

enum ChunkRef<'a> {
    Fast(&'a Chunk),
    Slow(Arc<Chunk>),
}

impl std::ops::Deref for ChunkRef<'_> {
    type Target = Chunk;
    fn deref(&self) -> &Chunk {
        match self {
            ChunkRef::Fast(c) => c,
            ChunkRef::Slow(c) => c,
        }
    }
}

impl Calendar {
    pub fn new(name: impl Into<String>, rules: Rules) -> Calendar {
        Calendar {
            name: name.into(),
            rules,
            fast: OnceLock::new(),
            slow: Mutex::new(HashMap::new()),
        }
    }

    /// A 24x7 calendar in UTC.
    pub fn always(name: impl Into<String>) -> Calendar {
        Calendar::new(name, Rules::always(Tz::UTC))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn timezone(&self) -> Tz {
        self.rules.tz
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    fn chunk(&self, year: i32) -> ChunkRef<'_> {
        let slot = usize::try_from(year - FAST_FIRST_YEAR).ok().and_then(|i| {
            self.fast
                .get_or_init(|| (0..FAST_YEARS).map(|_| OnceLock::new()).collect())
                .get(i)
        });
        match slot {
            Some(cell) => ChunkRef::Fast(cell.get_or_init(|| Chunk::compile(&self.rules, year))),
            None => {
                let mut map = self.slow.lock().unwrap_or_else(|p| p.into_inner());
                let chunk = map
                    .entry(year)
                    .or_insert_with(|| Arc::new(Chunk::compile(&self.rules, year)));
                ChunkRef::Slow(Arc::clone(chunk))
            }
        }
    }

    /// Working time in `[from, to)`; negative when `to < from`.
    pub fn elapsed_micros(&self, from: Micros, to: Micros) -> Micros {
        if from > to {
            return -self.elapsed_micros(to, from);
        }
        if self.rules.always {
            return to - from;
        }
        let (fy, ty) = (civil::year_of(from), civil::year_of(to));
        if fy == ty {
            let c = self.chunk(fy);
            return c.cumulative(to) - c.cumulative(from);
        }
        let first = self.chunk(fy);
        let mut total = first.total() - first.cumulative(from);
        for year in fy + 1..ty {
            total += self.chunk(year).total();
        }
        total + self.chunk(ty).cumulative(to)
    }

    /// The earliest instant `t >= start` in working time or at the end of a working
    /// range with `elapsed(start, t) >= budget`; `None` if the calendar never has
    /// enough working time (or the answer is beyond the representable range).
    pub fn due_micros(&self, start: Micros, budget: Micros) -> Option<Micros> {
        let budget = budget.max(0);
        if self.rules.always {
            return start.checked_add(budget);
        }
        let mut year = civil::year_of(start);
        let c = self.chunk(year);
        let mut remaining = if budget == 0 {
            if let Some(t) = c.next_working_or_end(start) {
                return Some(t);
            }
            0
        } else {
            let target = c.cumulative(start) + budget;
            if target <= c.total() {
                return Some(c.instant_at(target));
            }
            target - c.total()
        };
        let mut empty_years = 0;
        loop {
            year = year.checked_add(1)?;
            if year > civil::MAX_YEAR {
                return None;
            }
            let c = self.chunk(year);
            if c.total() == 0 {
                empty_years += 1;
                if empty_years >= MAX_EMPTY_YEARS {
                    return None;
                }
                continue;
            }
            empty_years = 0;
            if remaining == 0 {
                return c.first_start();
            }
            if remaining <= c.total() {
                return Some(c.instant_at(remaining));
            }
            remaining -= c.total();
        }
    }

    /// Whether `t` lies inside working time.
    pub fn is_working(&self, t: Micros) -> bool {
        self.rules.always || self.chunk(civil::year_of(t)).is_working(t)
    }

    pub fn elapsed(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Micros {
        self.elapsed_micros(from.timestamp_micros(), to.timestamp_micros())
    }

    pub fn due(&self, start: DateTime<Utc>, budget: Micros) -> Option<DateTime<Utc>> {
        self.due_micros(start.timestamp_micros(), budget)
            .and_then(DateTime::from_timestamp_micros)
    }
}

#[cfg(test)]
mod tests;
