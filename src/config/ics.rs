//! Holidays from iCalendar (RFC 5545) files, as published by governments and HR tools.
//!
//! Supported: all-day events (`DTSTART;VALUE=DATE`, optional exclusive `DTEND`), timed
//! events (UTC `...Z`, floating local time, or `TZID=`) which become closures, and
//! `RRULE:FREQ=YEARLY` with optional `COUNT` or `UNTIL`. Anything else that would
//! change which days are closed (other RRULE parts, `RDATE`, `EXDATE`) is rejected with
//! its line rather than silently misread.
//!
//! Bounds, each refused with its line: an all-day event spans at most
//! [`MAX_SPAN_DAYS`] days (every day becomes a holiday, so a span of millennia would
//! make every calendar lookup slow), and a recurrence ends by [`LAST_YEAR`].

use std::path::Path;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use super::error::Reporter;
use super::ConfigErrors;
use crate::sla::calendar::{Closure, Holiday};

/// The longest all-day event, in days: a year, leap day included.
pub const MAX_SPAN_DAYS: u64 = 366;
/// The last year a recurrence may reach: the last year slawatch keeps instants for.
pub const LAST_YEAR: i32 = 9999;

#[derive(Debug, Default)]
pub struct IcsDays {
    pub holidays: Vec<Holiday>,
    pub closures: Vec<Closure>,
}

#[derive(Default)]
struct VEvent {
    line: usize,
    start: Option<(usize, When)>,
    end: Option<(usize, When)>,
    rrule: Option<(usize, String)>,
}

#[derive(Clone, Copy)]
enum When {
    Date(NaiveDate),
    Local(NaiveDateTime),
    Utc(i64),
}

/// Parses `text`; `tz` is the calendar's zone, used for floating times.
pub fn parse(path: &Path, text: &str, tz: Tz) -> Result<IcsDays, ConfigErrors> {
    let mut r = Reporter::new(path, text);
    let mut out = IcsDays::default();
    let mut current: Option<VEvent> = None;
    let mut saw_calendar = false;
    for (line_no, line) in unfold(text) {
        let Some((head, value)) = line.split_once(':') else {
            r.at_line(line_no, format!("expected `NAME:value`, found {line:?}"));
            continue;
        };
        let mut parts = head.split(';');
        let name = parts.next().unwrap_or("").to_ascii_uppercase();
        let params: Vec<&str> = parts.collect();
        match (name.as_str(), current.as_mut()) {
            ("BEGIN", _) if value.eq_ignore_ascii_case("VCALENDAR") => saw_calendar = true,
            ("BEGIN", None) if value.eq_ignore_ascii_case("VEVENT") => {
                current = Some(VEvent {
                    line: line_no,
                    ..VEvent::default()
                })
            }
            ("END", Some(_)) if value.eq_ignore_ascii_case("VEVENT") => {
                if let Some(ev) = current.take() {
                    finish_event(ev, tz, &mut r, &mut out);
                }
            }
            ("DTSTART" | "DTEND", Some(ev)) => match parse_when(&params, value) {
                Ok(when) => {
                    if name == "DTSTART" {
                        ev.start = Some((line_no, when));
                    } else {
                        ev.end = Some((line_no, when));
                    }
                }
                Err(why) => r.at_line(line_no, format!("{name}: {why}")),
            },
            ("RRULE", Some(ev)) => ev.rrule = Some((line_no, value.to_owned())),
            ("RDATE" | "EXDATE" | "DURATION", Some(_)) => r.at_line(
                line_no,
                format!(
                    "{name} is not supported in holiday files: list each date as its own event"
                ),
            ),
            _ => {}
        }
    }
    if current.is_some() {
        r.at_line(0, "a VEVENT is not closed with END:VEVENT");
    }
    if !saw_calendar {
        r.at_line(1, "not an iCalendar file: expected BEGIN:VCALENDAR");
    }
    r.finish()?;
    Ok(out)
}

/// Logical lines with their first physical line number; continuation lines start
/// with a space or tab (RFC 5545 section 3.1).
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push_str(rest);
                continue;
            }
        }
        if !raw.trim().is_empty() {
            out.push((i + 1, raw.to_owned()));
        }
    }
    out
}

fn parse_when(params: &[&str], value: &str) -> Result<When, String> {
    let is_date = params.iter().any(|p| p.eq_ignore_ascii_case("VALUE=DATE")) || value.len() == 8;
    // RFC 5545 writes exactly four digits of year; chrono alone would take more.
    let shaped = |v: &str, len: usize| {
        v.len() == len
            && v.bytes()
                .enumerate()
                .all(|(i, b)| b.is_ascii_digit() || (i == 8 && b == b'T'))
    };
    if is_date {
        if !shaped(value, 8) {
            return Err(format!("expected a date YYYYMMDD, found {value:?}"));
        }
        return NaiveDate::parse_from_str(value, "%Y%m%d")
            .map(When::Date)
            .map_err(|_| format!("expected a date YYYYMMDD, found {value:?}"));
    }
    let expected = || format!("expected YYYYMMDDTHHMMSS[Z], found {value:?}");
    if !shaped(value.strip_suffix('Z').unwrap_or(value), 15) {
        return Err(expected());
    }
    if let Some(v) = value.strip_suffix('Z') {
        let t = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").map_err(|_| expected())?;
        return Ok(When::Utc(t.and_utc().timestamp()));
    }
    let t = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").map_err(|_| expected())?;
    match params.iter().find_map(|p| p.strip_prefix("TZID=")) {
        Some(zone) => {
            let zone: Tz = zone
                .trim_matches('"')
                .parse()
                .map_err(|_| format!("unknown TZID {zone:?}: expected an IANA zone name"))?;
            zone.from_local_datetime(&t)
                .earliest()
                .map(|u| When::Utc(u.timestamp()))
                .ok_or_else(|| format!("{value} does not exist in {zone}"))
        }
        None => Ok(When::Local(t)),
    }
}

fn finish_event(ev: VEvent, tz: Tz, r: &mut Reporter, out: &mut IcsDays) {
    let Some((start_line, start)) = ev.start else {
        r.at_line(ev.line, "VEVENT without DTSTART");
        return;
    };
    let yearly = match &ev.rrule {
        None => None,
        Some((line, rule)) => match parse_yearly(rule) {
            Ok(limit) => Some((*line, rule, limit)),
            Err(why) => {
                r.at_line(*line, format!("RRULE {rule:?}: {why}"));
                return;
            }
        },
    };
    match start {
        When::Date(first) => {
            let end = match ev.end {
                None => first.checked_add_days(Days::new(1)),
                Some((_, When::Date(end))) if end > first => Some(end),
                Some((line, _)) => {
                    r.at_line(
                        line,
                        "DTEND must be a date after DTSTART for an all-day event",
                    );
                    return;
                }
            };
            let Some(end) = end else {
                r.at_line(
                    start_line,
                    format!("DTSTART {first} is the last date there is"),
                );
                return;
            };
            let days = end.signed_duration_since(first).num_days().unsigned_abs();
            if days > MAX_SPAN_DAYS {
                let line = ev.end.map_or(start_line, |(l, _)| l);
                r.at_line(
                    line,
                    format!("an all-day event spans {days} days ({first} to {end}): at most {MAX_SPAN_DAYS} are allowed; list longer closures as separate events"),
                );
                return;
            }
            for day in first.iter_days().take_while(|d| *d < end) {
                out.holidays.push(match yearly {
                    None => Holiday::Date(day),
                    Some((line, rule, limit)) => match limit.last_year(day.year()) {
                        Ok(last_year) => Holiday::Yearly {
                            month: day.month(),
                            day: day.day(),
                            first_year: Some(day.year()),
                            last_year,
                        },
                        Err(why) => {
                            r.at_line(line, format!("RRULE {rule:?}: {why}"));
                            return;
                        }
                    },
                });
            }
        }
        timed => {
            if yearly.is_some() {
                r.at_line(start_line, "a recurring timed event is not supported: use all-day events or list each closure");
                return;
            }
            let Some((end_line, end)) = ev.end else {
                r.at_line(start_line, "a timed event needs a DTEND");
                return;
            };
            let closure = match (timed, end) {
                (When::Local(from), When::Local(to)) if from < to => Closure::Local { from, to },
                (from, to) => match (utc_of(from, tz), utc_of(to, tz)) {
                    (Some(from), Some(to)) if from < to => Closure::Utc { from, to },
                    _ => {
                        r.at_line(end_line, "DTEND must be after DTSTART");
                        return;
                    }
                },
            };
            out.closures.push(closure);
        }
    }
}

fn utc_of(w: When, tz: Tz) -> Option<i64> {
    match w {
        When::Utc(t) => Some(t),
        When::Local(t) => tz.from_local_datetime(&t).earliest().map(|u| u.timestamp()),
        When::Date(_) => None,
    }
}

#[derive(Clone, Copy)]
enum Limit {
    Forever,
    Count(u32),
    Until(i32),
}

impl Limit {
    /// The last year of a recurrence first held in `first`; an error when it would
    /// end past [`LAST_YEAR`] or before it starts.
    fn last_year(self, first: i32) -> Result<Option<i32>, String> {
        match self {
            Limit::Forever => Ok(None),
            Limit::Count(n) => i32::try_from(n)
                .ok()
                .and_then(|n| first.checked_add(n - 1))
                .filter(|last| *last <= LAST_YEAR)
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "COUNT={n} from {first} runs past the year {LAST_YEAR}: at most {} occurrences; leave COUNT out for a holiday every year",
                        i64::from(LAST_YEAR) - i64::from(first) + 1
                    )
                }),
            Limit::Until(y) if y < first => Err(format!(
                "UNTIL ({y}) is before the first occurrence ({first}): the holiday would never happen"
            )),
            Limit::Until(y) => Ok(Some(y)),
        }
    }
}

fn parse_yearly(rule: &str) -> Result<Limit, String> {
    let mut limit = Limit::Forever;
    let mut yearly = false;
    for part in rule.split(';') {
        let (k, v) = part.split_once('=').ok_or("expected KEY=VALUE parts")?;
        match k.to_ascii_uppercase().as_str() {
            "FREQ" if v.eq_ignore_ascii_case("YEARLY") => yearly = true,
            "COUNT" => {
                limit = Limit::Count(
                    v.parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or("COUNT must be a positive number")?,
                )
            }
            "UNTIL" => {
                let date = NaiveDate::parse_from_str(v.get(..8).unwrap_or(v), "%Y%m%d")
                    .map_err(|_| "UNTIL must start with a date YYYYMMDD")?;
                limit = Limit::Until(date.year());
            }
            "INTERVAL" if v == "1" => {}
            other => {
                return Err(format!(
                    "only FREQ=YEARLY with COUNT or UNTIL is supported, found {other}; list such dates as separate events"
                ))
            }
        }
    }
    if !yearly {
        return Err("only FREQ=YEARLY is supported".into());
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> IcsDays {
        parse(Path::new("h.ics"), text, chrono_tz::America::New_York).unwrap()
    }

    #[test]
    fn all_day_multi_day_yearly_and_timed_events() {
        let days = parse_ok(
            "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261224\nDTEND;VALUE=DATE:20261227\nSUMMARY:Winter\n break\nEND:VEVENT\n\
             BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260704\nRRULE:FREQ=YEARLY;COUNT=3\nEND:VEVENT\n\
             BEGIN:VEVENT\nDTSTART:20260310T120000Z\nDTEND:20260310T130000Z\nEND:VEVENT\n\
             BEGIN:VEVENT\nDTSTART:20260311T120000\nDTEND:20260311T130000\nEND:VEVENT\nEND:VCALENDAR\n",
        );
        assert_eq!(days.holidays.len(), 4);
        assert_eq!(
            days.holidays[3],
            Holiday::Yearly {
                month: 7,
                day: 4,
                first_year: Some(2026),
                last_year: Some(2028)
            }
        );
        assert_eq!(days.closures.len(), 2);
        assert!(matches!(days.closures[0], Closure::Utc { .. }));
        assert!(matches!(days.closures[1], Closure::Local { .. }));
    }

    #[test]
    fn unsupported_rules_are_rejected_with_their_line() {
        let err = parse(
            Path::new("h.ics"),
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261126\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH\nEND:VEVENT\nEND:VCALENDAR\n",
            chrono_tz::UTC,
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("h.ics:4:1: RRULE"), "{err}");
        assert!(err.contains("BYMONTH"), "{err}");
        let err = parse(Path::new("h.ics"), "hello\n", chrono_tz::UTC)
            .unwrap_err()
            .to_string();
        assert!(err.contains("h.ics:1:1: expected `NAME:value`"), "{err}");
        assert!(err.contains("not an iCalendar file"), "{err}");
    }

    fn event_errors(event: &str) -> String {
        parse(
            Path::new("h.ics"),
            &format!("BEGIN:VCALENDAR\nBEGIN:VEVENT\n{event}END:VEVENT\nEND:VCALENDAR\n"),
            chrono_tz::UTC,
        )
        .unwrap_err()
        .to_string()
    }

    #[test]
    fn a_count_past_the_last_year_is_refused_with_its_line_not_dropped() {
        let err = event_errors("DTSTART;VALUE=DATE:20261225\nRRULE:FREQ=YEARLY;COUNT=4294967295\n");
        assert!(
            err.starts_with("h.ics:4:1: RRULE \"FREQ=YEARLY;COUNT=4294967295\": COUNT=4294967295 from 2026 runs past the year 9999: at most 7974 occurrences"),
            "{err}"
        );
        let err = event_errors("DTSTART;VALUE=DATE:20261225\nRRULE:FREQ=YEARLY;COUNT=7975\n");
        assert!(
            err.contains("COUNT=7975 from 2026 runs past the year 9999"),
            "{err}"
        );
        let days = parse_ok("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261225\nRRULE:FREQ=YEARLY;COUNT=7974\nEND:VEVENT\nEND:VCALENDAR\n");
        assert_eq!(
            days.holidays,
            [Holiday::Yearly {
                month: 12,
                day: 25,
                first_year: Some(2026),
                last_year: Some(9999)
            }]
        );
        let err = event_errors("DTSTART;VALUE=DATE:20261225\nRRULE:FREQ=YEARLY;UNTIL=20201231\n");
        assert!(
            err.starts_with("h.ics:4:1: RRULE")
                && err.contains("UNTIL (2020) is before the first occurrence (2026)"),
            "{err}"
        );
    }

    #[test]
    fn dates_have_four_digit_years() {
        let err = event_errors("DTSTART;VALUE=DATE:+123450101\n");
        assert!(
            err.starts_with("h.ics:3:1: DTSTART: expected a date YYYYMMDD"),
            "{err}"
        );
        let err = event_errors("DTSTART:123450101T000000Z\nDTEND:123450101T010000Z\n");
        assert!(
            err.starts_with("h.ics:3:1: DTSTART: expected YYYYMMDDTHHMMSS[Z]"),
            "{err}"
        );
    }

    #[test]
    fn an_all_day_event_spans_at_most_a_year() {
        let err = event_errors("DTSTART;VALUE=DATE:00010101\nDTEND;VALUE=DATE:99991231\n");
        assert!(
            err.starts_with("h.ics:4:1: an all-day event spans 3652058 days (0001-01-01 to 9999-12-31): at most 366 are allowed"),
            "{err}"
        );
        let days = parse_ok("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20280101\nDTEND;VALUE=DATE:20290101\nEND:VEVENT\nEND:VCALENDAR\n");
        assert_eq!(days.holidays.len(), 366);
    }
}
