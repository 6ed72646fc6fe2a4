//! One UTC year of a calendar's working time, compiled for constant-time lookups.

use chrono::{Datelike, Days, NaiveDate};

use super::civil::{self, MICROS_PER_DAY};
use super::offsets::{naive_secs, OffsetTimeline, Secs};
use super::rules::{Closure, Rules};
use super::{Micros, MICROS_PER_SEC};

pub struct Chunk {
    year_start: Micros,
    /// Sorted, disjoint, non-adjacent, non-empty `[start, end)` intervals.
    intervals: Vec<(Micros, Micros)>,
    /// `prefix[i]` = working time before interval `i`; one longer than `intervals`.
    prefix: Vec<Micros>,
    /// For each UTC day of the year, the first interval that ends after the day starts.
    day_first: Vec<u32>,
}

impl Chunk {
    pub fn compile(rules: &Rules, year: i32) -> Chunk {
        let year_start = civil::year_start(year);
        let year_end = civil::year_start(year.saturating_add(1));
        let intervals = if rules.always {
            vec![(year_start, year_end)]
        } else {
            working_intervals(rules, year_start, year_end)
        };
        let mut prefix = Vec::with_capacity(intervals.len() + 1);
        let mut sum = 0;
        prefix.push(0);
        for &(a, b) in &intervals {
            sum += b - a;
            prefix.push(sum);
        }
        let days = usize::try_from((year_end - year_start) / MICROS_PER_DAY).unwrap_or(0);
        let mut day_first = Vec::with_capacity(days + 1);
        let mut i = 0usize;
        for day in 0..=days as i64 {
            let day_start = year_start + day * MICROS_PER_DAY;
            while i < intervals.len() && intervals[i].1 <= day_start {
                i += 1;
            }
            day_first.push(i as u32);
        }
        Chunk {
            year_start,
            intervals,
            prefix,
            day_first,
        }
    }

    pub fn total(&self) -> Micros {
        *self.prefix.last().expect("prefix is never empty")
    }

    pub fn first_start(&self) -> Option<Micros> {
        self.intervals.first().map(|iv| iv.0)
    }

    /// Index of the first interval with `end > t` (or `end >= t` when `inclusive`).
    #[inline]
    fn first_ending_after(&self, t: Micros, inclusive: bool) -> usize {
        let day = ((t - self.year_start) / MICROS_PER_DAY) as usize;
        let mut i = self.day_first[day.min(self.day_first.len() - 1)] as usize;
        while let Some(&(_, end)) = self.intervals.get(i) {
            if end > t || (inclusive && end == t) {
                break;
            }
            i += 1;
        }
        i
    }

    /// Working time from the start of the year up to `t` (which lies in this year).
    #[inline]
    pub fn cumulative(&self, t: Micros) -> Micros {
        let i = self.first_ending_after(t, false);
        match self.intervals.get(i) {
            Some(&(start, _)) if t > start => self.prefix[i] + (t - start),
            Some(_) => self.prefix[i],
            None => self.total(),
        }
    }

    /// The instant at which `target` working time since the year's start is reached;
    /// `0 < target <= total()`.
    #[inline]
    pub fn instant_at(&self, target: Micros) -> Micros {
        let i = self.prefix[1..].partition_point(|&p| p < target);
        self.intervals[i].0 + (target - self.prefix[i])
    }

    /// `t` itself if it is in working time or at an interval's end, else the next
    /// opening in this year.
    pub fn next_working_or_end(&self, t: Micros) -> Option<Micros> {
        let i = self.first_ending_after(t, true);
        self.intervals.get(i).map(|&(start, _)| start.max(t))
    }

    pub fn is_working(&self, t: Micros) -> bool {
        let i = self.first_ending_after(t, false);
        self.intervals.get(i).is_some_and(|&(start, _)| start <= t)
    }
}

/// Working time of UTC `[year_start, year_end)`, from the calendar's local rules.
fn working_intervals(rules: &Rules, year_start: Micros, year_end: Micros) -> Vec<(Micros, Micros)> {
    let (ys, ye) = (year_start / MICROS_PER_SEC, year_end / MICROS_PER_SEC);
    let timeline = OffsetTimeline::new(rules.tz, ys, ye);
    let holidays = rules.holiday_set();

    // Local dates whose ranges (at most one day past midnight) can reach into the year.
    let first = date_of(ys) - Days::new(3);
    let last = date_of(ye) + Days::new(2);
    let mut work: Vec<(Secs, Secs)> = Vec::new();
    let mut holes: Vec<(Secs, Secs)> = Vec::new();
    for date in first.iter_days().take_while(|d| *d <= last) {
        let midnight = naive_secs(date.and_time(chrono::NaiveTime::MIN));
        let weekday = date.weekday().num_days_from_monday() as usize;
        for r in &rules.weekly[weekday] {
            timeline.local_span(
                midnight + Secs::from(r.start),
                midnight + Secs::from(r.end),
                &mut work,
            );
        }
        if holidays.contains(date) {
            timeline.local_span(midnight, midnight + 86_400, &mut holes);
        }
    }
    for closure in &rules.closures {
        match *closure {
            Closure::Local { from, to } => {
                timeline.local_span(naive_secs(from), naive_secs(to), &mut holes)
            }
            Closure::Utc { from, to } => holes.push((from, to)),
        }
    }
    let work = merge(work);
    let holes = merge(holes);
    subtract(&work, &holes)
        .into_iter()
        .map(|(a, b)| (a.max(ys), b.min(ye)))
        .filter(|(a, b)| a < b)
        .map(|(a, b)| (a * MICROS_PER_SEC, b * MICROS_PER_SEC))
        .collect()
}

fn date_of(secs: Secs) -> NaiveDate {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.date_naive())
        .unwrap_or(NaiveDate::MIN)
}

/// Sorts and unites overlapping or touching spans.
fn merge(mut spans: Vec<(Secs, Secs)>) -> Vec<(Secs, Secs)> {
    spans.retain(|(a, b)| a < b);
    spans.sort_unstable();
    let mut out: Vec<(Secs, Secs)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// `work` minus `holes`; both merged.
fn subtract(work: &[(Secs, Secs)], holes: &[(Secs, Secs)]) -> Vec<(Secs, Secs)> {
    let mut out = Vec::with_capacity(work.len());
    let mut h = 0;
    for &(mut a, b) in work {
        while h < holes.len() && holes[h].1 <= a {
            h += 1;
        }
        let mut k = h;
        while k < holes.len() && holes[k].0 < b {
            if holes[k].0 > a {
                out.push((a, holes[k].0));
            }
            a = a.max(holes[k].1);
            k += 1;
        }
        if a < b {
            out.push((a, b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtract_cuts_holes_out() {
        let work = [(0, 10), (20, 30), (40, 50)];
        let holes = [(5, 22), (25, 26), (45, 60)];
        assert_eq!(
            subtract(&work, &holes),
            vec![(0, 5), (22, 25), (26, 30), (40, 45)]
        );
        assert_eq!(
            merge(vec![(5, 6), (0, 5), (7, 7), (8, 9)]),
            vec![(0, 6), (8, 9)]
        );
    }
}
