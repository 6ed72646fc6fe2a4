//! Placing a story, written in working time since detection, on the wall clock.
//!
//! A story says "acknowledged after 40 % of the budget, 12 working minutes left at
//! `now`"; only the ticket's calendar can say when that was. Working backwards from
//! `now` is what makes the demo's countdowns land where intended at any `now`.

use crate::sla::calendar::{Calendar, Micros, MICROS_PER_SEC};

/// Far enough back for the longest story on the sparsest shipped calendar.
const SEARCH_BACK: Micros = 200 * 86_400 * MICROS_PER_SEC;

pub struct Timeline<'a> {
    pub cal: &'a Calendar,
    pub now: Micros,
}

impl Timeline<'_> {
    /// The latest whole second from which `working` time has passed by `now`.
    pub fn ago(&self, working: Micros) -> Micros {
        let secs = |t: Micros| t.div_euclid(MICROS_PER_SEC);
        let enough = |s: Micros| self.cal.elapsed_micros(s * MICROS_PER_SEC, self.now) >= working;
        let (mut lo, mut hi) = (secs(self.now - SEARCH_BACK), secs(self.now));
        if !enough(lo) {
            return lo * MICROS_PER_SEC;
        }
        // Invariant: enough(lo), and enough(hi) unless hi == lo.
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2;
            if enough(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo * MICROS_PER_SEC
    }

    /// When `working` time after `start` ran out, never after `now`.
    pub fn after(&self, start: Micros, working: Micros) -> Micros {
        if working <= 0 {
            return start;
        }
        self.cal
            .due_micros(start, working)
            .map_or(self.now, |t| t.min(self.now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::calendar::{Range, Rules, MICROS_PER_MIN};
    use chrono::{DateTime, Utc};

    fn us(s: &str) -> Micros {
        DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&Utc)
            .timestamp_micros()
    }

    #[test]
    fn ago_walks_back_through_working_hours() {
        let day = vec![Range {
            start: 9 * 3600,
            end: 17 * 3600,
        }];
        let weekly = [
            day.clone(),
            day.clone(),
            day.clone(),
            day.clone(),
            day,
            vec![],
            vec![],
        ];
        let cal = Calendar::new("office", Rules::weekly(chrono_tz::UTC, weekly));
        // Monday 10:00: two working hours back is Friday 16:00.
        let tl = Timeline {
            cal: &cal,
            now: us("2026-03-02T10:00:00Z"),
        };
        let t = tl.ago(120 * MICROS_PER_MIN);
        assert_eq!(t, us("2026-02-27T16:00:00Z"));
        assert_eq!(tl.after(t, 60 * MICROS_PER_MIN), us("2026-02-27T17:00:00Z"));
        assert_eq!(tl.after(t, 600 * MICROS_PER_MIN), tl.now, "never after now");
        let always = Calendar::always("24x7");
        let tl = Timeline {
            cal: &always,
            now: us("2026-03-08T03:00:00Z"),
        };
        assert_eq!(tl.ago(90 * MICROS_PER_MIN), us("2026-03-08T01:30:00Z"));
    }
}
