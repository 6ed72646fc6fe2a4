//! Turning local wall-clock spans into UTC spans, exactly, across DST changes.
//!
//! A local span `[a, b)` covers every instant whose local wall-clock time lies in it.
//! On a fall-back day a wall-clock time happens twice and is covered twice; in a
//! spring-forward gap it never happens. Mapping each end point on its own (earliest,
//! latest, "next valid") gets some of these cases wrong, so instead the zone's offset
//! is taken as piecewise constant over UTC, and the span is intersected with each
//! piece: on a piece with offset `o`, local `[a, b)` is UTC `[a - o, b - o)`.

use chrono::{DateTime, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// Seconds since the Unix epoch, of local wall-clock time (naive) or of UTC.
pub type Secs = i64;

/// Offsets are probed this often; real zones never change offset twice within it.
const PROBE: Secs = 6 * 3600;
/// No zone is further than this from UTC.
const MAX_OFFSET: Secs = 15 * 3600;

/// The zone's offset over a window of UTC time, as constant pieces.
#[derive(Debug, Clone)]
pub struct OffsetTimeline {
    /// `(utc_start, offset)`, sorted; each piece lasts until the next one starts.
    pieces: Vec<(Secs, Secs)>,
    end: Secs,
}

pub fn offset_at(tz: Tz, utc: Secs) -> Secs {
    match DateTime::from_timestamp(utc, 0) {
        Some(t) => i64::from(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        ),
        None => 0,
    }
}

impl OffsetTimeline {
    /// Covers UTC `[start, end)` and enough around it to map local spans inside it.
    pub fn new(tz: Tz, start: Secs, end: Secs) -> OffsetTimeline {
        let (start, end) = (start - 2 * MAX_OFFSET, end + 2 * MAX_OFFSET);
        let mut pieces = vec![(start, offset_at(tz, start))];
        let mut probe = start;
        while probe < end {
            let next = (probe + PROBE).min(end);
            let current = pieces.last().expect("never empty").1;
            if offset_at(tz, next) != current {
                // First second in (probe, next] whose offset differs.
                let (mut lo, mut hi) = (probe, next);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if offset_at(tz, mid) == current {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                pieces.push((hi, offset_at(tz, hi)));
            }
            probe = next;
        }
        OffsetTimeline { pieces, end }
    }

    /// UTC spans covered by the local wall-clock span `[a, b)`, in order, appended to `out`.
    pub fn local_span(&self, a: Secs, b: Secs, out: &mut Vec<(Secs, Secs)>) {
        if a >= b {
            return;
        }
        for (i, &(p_start, offset)) in self.pieces.iter().enumerate() {
            let p_end = self.pieces.get(i + 1).map_or(self.end, |p| p.0);
            let lo = (a - offset).max(p_start);
            let hi = (b - offset).min(p_end);
            if lo < hi {
                match out.last_mut() {
                    Some(last) if last.1 >= lo && last.0 <= lo => last.1 = last.1.max(hi),
                    _ => out.push((lo, hi)),
                }
            }
        }
    }
}

/// Local wall-clock seconds of a naive local date-time.
pub fn naive_secs(t: NaiveDateTime) -> Secs {
    t.and_utc().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(s: &str) -> Secs {
        naive_secs(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    fn utc(s: &str) -> Secs {
        local(s)
    }

    fn spans(tz: Tz, a: &str, b: &str) -> Vec<(Secs, Secs)> {
        let day = NaiveDate::parse_from_str(&a[..10], "%Y-%m-%d").unwrap();
        let start = naive_secs(day.and_hms_opt(0, 0, 0).unwrap());
        let tl = OffsetTimeline::new(tz, start - 86400, start + 3 * 86400);
        let mut out = Vec::new();
        tl.local_span(local(a), local(b), &mut out);
        out
    }

    #[test]
    fn spring_forward_gap_is_skipped() {
        // New York, 2026-03-08 02:00 EST -> 03:00 EDT.
        let ny = chrono_tz::America::New_York;
        assert_eq!(
            spans(ny, "2026-03-08 01:30", "2026-03-08 02:30"),
            vec![(utc("2026-03-08 06:30"), utc("2026-03-08 07:00"))]
        );
        let day = spans(ny, "2026-03-08 00:00", "2026-03-09 00:00");
        assert_eq!(day[0].1 - day[0].0, 23 * 3600);
    }

    #[test]
    fn fall_back_hour_counts_twice() {
        // New York, 2026-11-01 02:00 EDT -> 01:00 EST.
        let ny = chrono_tz::America::New_York;
        assert_eq!(
            spans(ny, "2026-11-01 01:30", "2026-11-01 01:45"),
            vec![
                (utc("2026-11-01 05:30"), utc("2026-11-01 05:45")),
                (utc("2026-11-01 06:30"), utc("2026-11-01 06:45")),
            ]
        );
        let day = spans(ny, "2026-11-01 00:00", "2026-11-02 00:00");
        assert_eq!(
            day,
            vec![(utc("2026-11-01 04:00"), utc("2026-11-02 05:00"))]
        );
    }

    #[test]
    fn lord_howe_half_hour_shift() {
        // Lord Howe, 2026-10-04 02:00 +10:30 -> 02:30 +11:00.
        let lh = chrono_tz::Australia::Lord_Howe;
        let day = spans(lh, "2026-10-04 00:00", "2026-10-05 00:00");
        assert_eq!(day.iter().map(|s| s.1 - s.0).sum::<i64>(), 23 * 3600 + 1800);
    }
}
