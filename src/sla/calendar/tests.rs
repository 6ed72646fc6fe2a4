use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use proptest::prelude::*;

use super::*;

const H: u32 = 3600;

fn range(a: &str, b: &str) -> Range {
    let secs = |s: &str| {
        let (h, m) = s.split_once(':').unwrap();
        h.parse::<u32>().unwrap() * H + m.parse::<u32>().unwrap() * 60
    };
    let (start, mut end) = (secs(a), secs(b));
    if end <= start {
        end += DAY_SECS;
    }
    Range { start, end }
}

fn business(tz: Tz) -> Rules {
    let day = vec![range("09:00", "12:00"), range("13:00", "17:00")];
    Rules::weekly(
        tz,
        [
            day.clone(),
            day.clone(),
            day.clone(),
            day.clone(),
            day,
            vec![],
            vec![],
        ],
    )
}

fn at(s: &str) -> Micros {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
}

fn rfc(t: Micros, tz: Tz) -> String {
    DateTime::from_timestamp_micros(t)
        .unwrap()
        .with_timezone(&tz)
        .to_rfc3339()
}

fn mins(m: i64) -> Micros {
    m * MICROS_PER_MIN
}

/// Minute-by-minute truth, straight from the rules and the zone database.
fn reference_is_working(rules: &Rules, t: Micros) -> bool {
    if rules.always {
        return true;
    }
    let utc = DateTime::from_timestamp_micros(t).unwrap();
    let offset = rules.tz.offset_from_utc_datetime(&utc.naive_utc()).fix();
    let local = utc.naive_utc() + offset;
    let date = local.date();
    let holidays = rules.holiday_set();
    if holidays.contains(date) {
        return false;
    }
    let closed = rules.closures.iter().any(|c| match *c {
        Closure::Local { from, to } => from <= local && local < to,
        Closure::Utc { from, to } => from * MICROS_PER_SEC <= t && t < to * MICROS_PER_SEC,
    });
    if closed {
        return false;
    }
    let tod = local.num_seconds_from_midnight();
    let today = date.weekday().num_days_from_monday() as usize;
    let yesterday = (today + 6) % 7;
    rules.weekly[today]
        .iter()
        .any(|r| r.start <= tod && tod < r.end.min(DAY_SECS))
        || rules.weekly[yesterday]
            .iter()
            .any(|r| r.end > DAY_SECS && tod < r.end - DAY_SECS)
}

fn reference_elapsed_minutes(rules: &Rules, from: Micros, to: Micros) -> i64 {
    (0..(to - from) / MICROS_PER_MIN)
        .filter(|m| reference_is_working(rules, from + m * MICROS_PER_MIN))
        .count() as i64
}

#[test]
fn business_day_due_and_elapsed() {
    let cal = Calendar::new("ny", business(chrono_tz::America::New_York));
    // Monday 2026-03-02 10:00 EST + 3 h => 2 h before lunch, 1 h after: 14:00.
    let start = at("2026-03-02T10:00:00-05:00");
    assert_eq!(
        rfc(cal.due_micros(start, mins(180)).unwrap(), cal.timezone()),
        "2026-03-02T14:00:00-05:00"
    );
    // Budget that runs out exactly at closing is due at closing, not the next opening.
    assert_eq!(
        rfc(cal.due_micros(start, mins(360)).unwrap(), cal.timezone()),
        "2026-03-02T17:00:00-05:00"
    );
    // One minute more rolls over to Tuesday 09:01.
    assert_eq!(
        rfc(cal.due_micros(start, mins(361)).unwrap(), cal.timezone()),
        "2026-03-03T09:01:00-05:00"
    );
    // Friday 16:00 + 2 h => Monday 10:00.
    assert_eq!(
        rfc(
            cal.due_micros(at("2026-03-06T16:00:00-05:00"), mins(120))
                .unwrap(),
            cal.timezone()
        ),
        "2026-03-09T10:00:00-04:00"
    );
    assert_eq!(
        cal.elapsed_micros(
            at("2026-03-02T08:00:00-05:00"),
            at("2026-03-03T08:00:00-05:00")
        ),
        mins(420)
    );
    assert_eq!(
        cal.elapsed_micros(
            at("2026-03-02T12:30:00-05:00"),
            at("2026-03-02T13:30:00-05:00")
        ),
        mins(30)
    );
}

#[test]
fn zero_budget_is_start_in_working_time_else_next_opening() {
    let cal = Calendar::new("ny", business(chrono_tz::America::New_York));
    let tz = cal.timezone();
    let inside = at("2026-03-02T10:15:00-05:00");
    assert_eq!(cal.due_micros(inside, 0), Some(inside));
    assert_eq!(
        rfc(
            cal.due_micros(at("2026-03-02T12:30:00-05:00"), 0).unwrap(),
            tz
        ),
        "2026-03-02T13:00:00-05:00"
    );
    assert_eq!(
        rfc(
            cal.due_micros(at("2026-03-07T12:00:00-05:00"), 0).unwrap(),
            tz
        ),
        "2026-03-09T09:00:00-04:00"
    );
    // Exactly at closing time is the end of a working range, so it qualifies.
    let closing = at("2026-03-02T17:00:00-05:00");
    assert_eq!(cal.due_micros(closing, 0), Some(closing));
}

#[test]
fn long_budgets_cross_years_without_a_horizon() {
    let cal = Calendar::new("ny", business(chrono_tz::America::New_York));
    let start = at("2026-06-01T09:00:00-04:00");
    // Seven working hours a day, five days a week: 52 weeks = 1820 hours.
    let due = cal.due_micros(start, mins(1820 * 60)).unwrap();
    assert_eq!(rfc(due, cal.timezone()), "2027-05-28T17:00:00-04:00");
    assert_eq!(cal.elapsed_micros(start, due), mins(1820 * 60));
    // Far away years work too.
    let far = at("2399-12-31T12:00:00Z");
    let due = cal.due_micros(far, mins(7 * 60 * 20)).unwrap();
    assert_eq!(cal.elapsed_micros(far, due), mins(7 * 60 * 20));
    let very_far = at("3026-03-02T10:00:00-05:00");
    assert_eq!(
        cal.elapsed_micros(very_far, cal.due_micros(very_far, mins(600)).unwrap()),
        mins(600)
    );
}

#[test]
fn always_calendar_is_plain_arithmetic() {
    let cal = Calendar::always("24x7");
    let start = at("2026-03-08T01:00:00Z");
    assert_eq!(cal.due_micros(start, mins(90)), Some(start + mins(90)));
    assert_eq!(cal.elapsed_micros(start, start + 5), 5);
    assert!(cal.is_working(start));
}

#[test]
fn holidays_recurring_and_closures() {
    let mut rules = business(chrono_tz::America::New_York);
    rules.holidays = vec![
        Holiday::Date(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()),
        Holiday::Yearly {
            month: 12,
            day: 25,
            first_year: None,
            last_year: None,
        },
    ];
    let closure = |a: &str, b: &str| Closure::Local {
        from: NaiveDateTime::parse_from_str(a, "%Y-%m-%dT%H:%M").unwrap(),
        to: NaiveDateTime::parse_from_str(b, "%Y-%m-%dT%H:%M").unwrap(),
    };
    rules.closures = vec![closure("2026-12-24T12:00", "2026-12-24T17:00")];
    let cal = Calendar::new("ny", rules);
    let tz = cal.timezone();
    // Wednesday before Thanksgiving 16:00 + 2 h => Friday 10:00.
    assert_eq!(
        rfc(
            cal.due_micros(at("2026-11-25T16:00:00-05:00"), mins(120))
                .unwrap(),
            tz
        ),
        "2026-11-27T10:00:00-05:00"
    );
    // Christmas Eve closes at noon; Christmas recurs; so 11:00 + 2 h => Monday 28th 10:00.
    assert_eq!(
        rfc(
            cal.due_micros(at("2026-12-24T11:00:00-05:00"), mins(120))
                .unwrap(),
            tz
        ),
        "2026-12-28T10:00:00-05:00"
    );
    // The recurring holiday applies in later years too (2031-12-25 is a Thursday).
    assert_eq!(
        cal.elapsed_micros(
            at("2031-12-25T00:00:00-05:00"),
            at("2031-12-26T00:00:00-05:00")
        ),
        0
    );
    assert_eq!(
        cal.elapsed_micros(
            at("2031-12-24T00:00:00-05:00"),
            at("2031-12-25T00:00:00-05:00")
        ),
        mins(420)
    );
}

/// Table of DST days: (zone, local day, ranges, expected working minutes that day).
#[test]
fn dst_days_have_their_true_length() {
    use chrono_tz::{America::New_York, Australia::Lord_Howe, Europe::Berlin};
    let cases: &[(Tz, &str, (&str, &str), i64)] = &[
        (New_York, "2026-03-08", ("00:00", "00:00"), 23 * 60),
        (New_York, "2026-11-01", ("00:00", "00:00"), 25 * 60),
        (New_York, "2026-03-08", ("01:00", "04:00"), 2 * 60),
        (New_York, "2026-11-01", ("01:00", "02:00"), 2 * 60),
        (New_York, "2026-11-01", ("01:30", "01:45"), 30),
        (Berlin, "2026-03-29", ("00:00", "00:00"), 23 * 60),
        (Berlin, "2026-10-25", ("00:00", "00:00"), 25 * 60),
        (Berlin, "2026-03-29", ("02:15", "02:45"), 0),
        (Lord_Howe, "2026-10-04", ("00:00", "00:00"), 23 * 60 + 30),
        (Lord_Howe, "2026-04-05", ("00:00", "00:00"), 24 * 60 + 30),
        (Lord_Howe, "2026-04-05", ("01:00", "03:00"), 2 * 60 + 30),
    ];
    for &(tz, day, (a, b), expected) in cases {
        let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        let mut weekly: [Vec<Range>; 7] = Default::default();
        weekly[date.weekday().num_days_from_monday() as usize] = vec![range(a, b)];
        let cal = Calendar::new("dst", Rules::weekly(tz, weekly));
        let from = date
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_micros()
            - 86_400_000_000;
        let to = from + 3 * 86_400_000_000;
        assert_eq!(
            cal.elapsed_micros(from, to),
            mins(expected),
            "{tz} {day} {a}-{b}"
        );
    }
}

#[test]
fn overnight_range_across_dst_and_midnight() {
    // Berlin, Saturday 22:00 to Sunday 06:00 over the 2026-03-29 spring-forward: 7 h.
    let mut weekly: [Vec<Range>; 7] = Default::default();
    weekly[5] = vec![range("22:00", "06:00")];
    let cal = Calendar::new("night", Rules::weekly(chrono_tz::Europe::Berlin, weekly));
    let start = at("2026-03-28T12:00:00+01:00");
    assert_eq!(
        cal.elapsed_micros(start, at("2026-03-29T12:00:00+02:00")),
        mins(7 * 60)
    );
    assert_eq!(
        rfc(cal.due_micros(start, mins(7 * 60)).unwrap(), cal.timezone()),
        "2026-03-29T06:00:00+02:00"
    );
    assert_eq!(
        rfc(cal.due_micros(start, mins(4 * 60)).unwrap(), cal.timezone()),
        "2026-03-29T03:00:00+02:00"
    );
    // A holiday on the Sunday closes the part after midnight.
    let mut rules = cal.rules().clone();
    rules.holidays = vec![Holiday::Date(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap())];
    let cal = Calendar::new("night", rules);
    assert_eq!(
        cal.elapsed_micros(start, at("2026-03-29T12:00:00+02:00")),
        mins(120)
    );
}

#[test]
fn kolkata_half_hour_offset() {
    let cal = Calendar::new("in", business(chrono_tz::Asia::Kolkata));
    // 03:00Z is 08:30 in Kolkata: opening at 09:00, plus an hour.
    let due = cal
        .due_micros(at("2026-03-02T03:00:00Z"), mins(60))
        .unwrap();
    assert_eq!(rfc(due, cal.timezone()), "2026-03-02T10:00:00+05:30");
}

fn arb_tz() -> impl Strategy<Value = Tz> {
    prop::sample::select(vec![
        chrono_tz::UTC,
        chrono_tz::America::New_York,
        chrono_tz::Europe::Berlin,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Asia::Kolkata,
        chrono_tz::America::Sao_Paulo,
        chrono_tz::Pacific::Chatham,
    ])
}

/// Random weekly hours: per day up to two non-overlapping quarter-hour ranges, the
/// second possibly running past midnight (and then nothing early the next day).
fn arb_rules() -> impl Strategy<Value = Rules> {
    let day = (0u32..96, 1u32..48, any::<bool>(), 1u32..40, any::<bool>());
    (
        arb_tz(),
        prop::collection::vec(day, 7),
        prop::collection::vec((0i64..60, any::<bool>()), 0..4),
        prop::collection::vec((0i64..60 * 96, 1i64..48), 0..3),
    )
        .prop_map(|(tz, days, holidays, closures)| {
            let q = 15 * 60;
            let mut weekly: [Vec<Range>; 7] = Default::default();
            let mut spill = [0u32; 7];
            for (i, &(a, len, second, len2, overnight)) in days.iter().enumerate() {
                let start = (a * q).max(spill[i]);
                let end = (start + len * q).min(DAY_SECS);
                if start >= end {
                    continue;
                }
                weekly[i].push(Range { start, end });
                if second && end + q < DAY_SECS {
                    let s2 = end + q;
                    let mut e2 = s2 + len2 * q;
                    if !overnight {
                        e2 = e2.min(DAY_SECS);
                    }
                    weekly[i].push(Range { start: s2, end: e2 });
                    if e2 > DAY_SECS {
                        spill[(i + 1) % 7] = e2 - DAY_SECS;
                    }
                }
            }
            // A spill into the next day must not overlap that day's ranges.
            for i in 0..7 {
                let s = spill[i];
                weekly[i].retain(|r| r.start >= s);
            }
            // Day 0 was built before knowing Sunday's spill; the retain above fixed it.
            let base = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
            let holidays = holidays
                .into_iter()
                .map(|(d, yearly)| {
                    let date = base + chrono::Days::new(d as u64);
                    if yearly {
                        Holiday::Yearly {
                            month: date.month(),
                            day: date.day(),
                            first_year: None,
                            last_year: None,
                        }
                    } else {
                        Holiday::Date(date)
                    }
                })
                .collect();
            let closures = closures
                .into_iter()
                .map(|(start_q, len_q)| {
                    let from = base.and_hms_opt(0, 0, 0).unwrap()
                        + chrono::TimeDelta::seconds(start_q * 900);
                    Closure::Local {
                        from,
                        to: from + chrono::TimeDelta::seconds(len_q * 900),
                    }
                })
                .collect();
            Rules {
                tz,
                always: false,
                weekly,
                holidays,
                closures,
            }
        })
}

/// Minute-aligned instants in March and April 2026 (DST changes on both hemispheres).
fn arb_instant() -> impl Strategy<Value = Micros> {
    (0i64..61 * 24 * 60).prop_map(|m| at("2026-03-01T00:00:00Z") + mins(m))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn compiled_equals_minute_by_minute_reference(rules in arb_rules(), a in arb_instant(), b in arb_instant()) {
        let (from, to) = (a.min(b), a.max(b));
        let cal = Calendar::new("p", rules.clone());
        prop_assert_eq!(cal.elapsed_micros(from, to), mins(reference_elapsed_minutes(&rules, from, to)));
        prop_assert_eq!(cal.is_working(from), reference_is_working(&rules, from));
    }

    #[test]
    fn due_is_the_earliest_instant_with_the_budget(rules in arb_rules(), start in arb_instant(), budget in 0i64..3000) {
        let cal = Calendar::new("p", rules);
        let budget = mins(budget) / 7;
        if let Some(due) = cal.due_micros(start, budget) {
            prop_assert!(due >= start);
            prop_assert_eq!(cal.elapsed_micros(start, due), budget);
            // `due` is in working time or at the end of a range ...
            prop_assert!(cal.is_working(due) || cal.is_working(due - 1));
            // ... and no earlier such instant has the budget.
            if budget > 0 {
                prop_assert!(cal.elapsed_micros(start, due - 1) < budget);
            } else if due > start {
                prop_assert_eq!(cal.elapsed_micros(start, due), 0);
                prop_assert!(!cal.is_working(start) && !cal.is_working(start - 1));
            }
        }
    }

    #[test]
    fn elapsed_is_additive_and_monotonic(rules in arb_rules(), a in arb_instant(), b in arb_instant(), c in arb_instant()) {
        let cal = Calendar::new("p", rules);
        prop_assert_eq!(cal.elapsed_micros(a, c), cal.elapsed_micros(a, b) + cal.elapsed_micros(b, c));
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(cal.elapsed_micros(lo, hi) >= 0);
        prop_assert!(cal.elapsed_micros(lo, hi.max(c)) >= cal.elapsed_micros(lo, hi));
    }

    #[test]
    fn due_is_monotonic_in_budget_and_start(rules in arb_rules(), s in arb_instant(), m1 in 0i64..5000, m2 in 0i64..5000, shift in 0i64..5000) {
        let cal = Calendar::new("p", rules);
        let (lo, hi) = (mins(m1.min(m2)), mins(m1.max(m2)));
        if let (Some(d1), Some(d2)) = (cal.due_micros(s, lo), cal.due_micros(s, hi)) {
            prop_assert!(d1 <= d2);
        }
        if let (Some(d1), Some(d2)) = (cal.due_micros(s, hi), cal.due_micros(s + mins(shift), hi)) {
            prop_assert!(d1 <= d2);
        }
    }
}

#[test]
fn a_calendar_without_working_time_has_no_due() {
    let cal = Calendar::new("never", Rules::weekly(chrono_tz::UTC, Default::default()));
    assert_eq!(cal.due_micros(at("2026-01-01T00:00:00Z"), mins(1)), None);
    assert_eq!(
        cal.elapsed_micros(at("2026-01-01T00:00:00Z"), at("2030-01-01T00:00:00Z")),
        0
    );
}
