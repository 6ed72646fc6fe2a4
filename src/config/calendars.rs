//! The calendars file: `[calendar.NAME]` tables of zone, weekly hours, holidays and closures.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use super::error::{read, Reporter};
use super::{ics, ConfigErrors};
use crate::sla::calendar::{Closure, Holiday, Range, Rules, DAY_SECS};
use crate::sla::{Calendar, Calendars};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The most holidays (dates and yearly rules, from the file and its holiday files
/// together) one calendar may have: every lookup of a year consults all of them.
pub const MAX_HOLIDAYS: usize = 20_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    calendar: BTreeMap<String, Spanned<Spec>>,
}

type Ranges = Option<Vec<Spanned<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    timezone: Spanned<String>,
    #[serde(default)]
    always: Option<Spanned<bool>>,
    mon: Ranges,
    tue: Ranges,
    wed: Ranges,
    thu: Ranges,
    fri: Ranges,
    sat: Ranges,
    sun: Ranges,
    #[serde(default)]
    holidays: Vec<Spanned<String>>,
    #[serde(default)]
    holiday_files: Vec<Spanned<String>>,
    #[serde(default)]
    closures: Vec<Spanned<ClosureSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClosureSpec {
    from: Spanned<String>,
    to: Spanned<String>,
}

/// Reads and compiles every calendar of a calendars file.
pub fn load_calendars(path: &Path) -> Result<Calendars, ConfigErrors> {
    let text = read(path)?;
    parse_calendars(path, &text)
}

/// Parses a calendars file's text; `path` names it in errors and anchors `holiday_files`.
pub fn parse_calendars(path: &Path, text: &str) -> Result<Calendars, ConfigErrors> {
    parse_calendars_with(path, text, &|p| super::file::read_text(p))
}

/// Reads the holiday file at a path (the file system, or files built into the binary).
pub type ReadFile<'a> = &'a dyn Fn(&Path) -> std::io::Result<String>;

/// [`parse_calendars`] with holiday files read by `read`.
pub fn parse_calendars_with(
    path: &Path,
    text: &str,
    read: ReadFile<'_>,
) -> Result<Calendars, ConfigErrors> {
    let mut r = Reporter::new(path, text);
    let file: File = r.parse_toml()?;
    if file.calendar.is_empty() {
        r.at(
            0..0,
            "no calendars: expected at least one [calendar.NAME] table",
        );
    }
    let mut out = BTreeMap::new();
    let mut nested = Vec::new();
    for (name, spec) in &file.calendar {
        if let Some(rules) = rules_of(name, spec, path, read, &mut r, &mut nested) {
            out.insert(name.clone(), Arc::new(Calendar::new(name.clone(), rules)));
        }
    }
    r.errors.extend(nested);
    r.finish()?;
    Ok(Calendars::new(out))
}

fn rules_of(
    name: &str,
    spec: &Spanned<Spec>,
    path: &Path,
    read: ReadFile<'_>,
    r: &mut Reporter,
    nested: &mut Vec<super::ConfigError>,
) -> Option<Rules> {
    let before = r.errors.len() + nested.len();
    let spec_span = spec.span();
    let spec = spec.get_ref();
    let tz: Option<Tz> = match spec.timezone.get_ref().parse() {
        Ok(tz) => Some(tz),
        Err(_) => {
            r.at(
                spec.timezone.span(),
                format!(
                    "calendar `{name}`: unknown time zone {:?}: expected an IANA name such as \"Europe/Berlin\"",
                    spec.timezone.get_ref()
                ),
            );
            None
        }
    };
    let always = spec.always.as_ref().is_some_and(|a| *a.get_ref());
    let days = [
        &spec.mon, &spec.tue, &spec.wed, &spec.thu, &spec.fri, &spec.sat, &spec.sun,
    ];
    let mut weekly: [Vec<Range>; 7] = Default::default();
    let mut placed: Vec<(u32, u32, usize, String, std::ops::Range<usize>)> = Vec::new();
    for (d, ranges) in days.iter().enumerate() {
        for text in ranges.iter().flatten() {
            match parse_range(text.get_ref()) {
                Ok(range) => {
                    if always {
                        r.at(
                            text.span(),
                            format!("calendar `{name}`: a 24x7 calendar (always = true) cannot also list working hours"),
                        );
                    }
                    weekly[d].push(range);
                    let base = d as u32 * DAY_SECS;
                    placed.push((
                        base + range.start,
                        base + range.end,
                        d,
                        text.get_ref().clone(),
                        text.span(),
                    ));
                }
                Err(why) => r.at(
                    text.span(),
                    format!(
                        "calendar `{name}`, {}: bad range {:?}: {why}",
                        DAYS[d],
                        text.get_ref()
                    ),
                ),
            }
        }
    }
    check_overlaps(name, &mut placed, r);
    if !always && placed.is_empty() && r.errors.len() == before {
        r.at(
            spec_span.clone(),
            format!("calendar `{name}` has no working hours: list ranges for some days (mon = [\"09:00-17:00\"]) or set always = true"),
        );
    }
    let mut holidays = Vec::new();
    for h in &spec.holidays {
        match parse_holiday(h.get_ref()) {
            Ok(holiday) => holidays.push(holiday),
            Err(why) => r.at(
                h.span(),
                format!("calendar `{name}`: bad holiday {:?}: {why}", h.get_ref()),
            ),
        }
    }
    if holidays.len() > MAX_HOLIDAYS {
        r.at(
            spec_span.clone(),
            format!(
                "calendar `{name}` lists {} holidays, more than the {MAX_HOLIDAYS} a calendar may have",
                holidays.len()
            ),
        );
    }
    let mut closures = Vec::new();
    for c in &spec.closures {
        let c_ref = c.get_ref();
        let from = parse_local(c_ref.from.get_ref());
        let to = parse_local(c_ref.to.get_ref());
        match (from, to) {
            (Ok(from), Ok(to)) if from < to => closures.push(Closure::Local { from, to }),
            (Ok(_), Ok(_)) => r.at(
                c.span(),
                format!("calendar `{name}`: closure must end after it starts"),
            ),
            (from, to) => {
                for (field, result) in [(&c_ref.from, from), (&c_ref.to, to)] {
                    if let Err(why) = result {
                        r.at(
                            field.span(),
                            format!(
                                "calendar `{name}`: bad closure time {:?}: {why}",
                                field.get_ref()
                            ),
                        );
                    }
                }
            }
        }
    }
    let base_dir = path.parent().unwrap_or(Path::new("."));
    for file in &spec.holiday_files {
        let ics_path = base_dir.join(file.get_ref());
        match read(&ics_path) {
            Ok(text) => match ics::parse(&ics_path, &text, tz.unwrap_or(Tz::UTC)) {
                Ok(days) => {
                    holidays.extend(days.holidays);
                    closures.extend(days.closures);
                    if holidays.len() > MAX_HOLIDAYS {
                        r.at(
                            file.span(),
                            format!(
                                "calendar `{name}`: with {} it has {} holidays, more than the {MAX_HOLIDAYS} a calendar may have",
                                ics_path.display(),
                                holidays.len()
                            ),
                        );
                        break;
                    }
                }
                Err(errs) => nested.extend(errs.0),
            },
            Err(e) => r.at(
                file.span(),
                format!(
                    "calendar `{name}`: cannot read holiday file {}: {e}",
                    ics_path.display()
                ),
            ),
        }
    }
    if r.errors.len() + nested.len() > before {
        return None;
    }
    Some(Rules {
        tz: tz?,
        always,
        weekly,
        holidays,
        closures,
    })
}

/// Rejects ranges that overlap within the week, including a Sunday night range that
/// runs into Monday.
fn check_overlaps(
    name: &str,
    placed: &mut Vec<(u32, u32, usize, String, std::ops::Range<usize>)>,
    r: &mut Reporter,
) {
    let week = 7 * DAY_SECS;
    let wrapped: Vec<_> = placed
        .iter()
        .filter(|p| p.1 > week)
        .map(|p| (0, p.1 - week, p.2, p.3.clone(), p.4.clone()))
        .collect();
    placed.extend(wrapped);
    placed.sort_by_key(|p| (p.0, p.1));
    for pair in placed.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if b.0 < a.1 {
            r.at(
                b.4.clone(),
                format!(
                    "calendar `{name}`: range {:?} on {} overlaps {:?} on {}",
                    b.3, DAYS[b.2], a.3, DAYS[a.2]
                ),
            );
        }
    }
}

/// `"HH:MM-HH:MM"`; an end at or before the start runs past midnight; `24:00` ends a day.
pub fn parse_range(s: &str) -> Result<Range, String> {
    const EXPECTED: &str = "expected \"HH:MM-HH:MM\" with hours 00-24 and minutes 00-59";
    let (a, b) = s.split_once('-').ok_or(EXPECTED)?;
    let start = parse_clock(a.trim()).ok_or(EXPECTED)?;
    let end = parse_clock(b.trim()).ok_or(EXPECTED)?;
    if start == DAY_SECS {
        return Err("a range cannot start at 24:00".into());
    }
    if start == end {
        return Err(
            "empty range: start and end are equal (use \"00:00-24:00\" for a whole day)".into(),
        );
    }
    let end = if end < start { end + DAY_SECS } else { end };
    Ok(Range { start, end })
}

fn parse_clock(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (0..=23, 0..=59) | (24, 0) => Some(h * 3600 + m * 60),
        _ => None,
    }
}

/// `"YYYY-MM-DD"` once, or `"*-MM-DD"` every year.
fn parse_holiday(s: &str) -> Result<Holiday, String> {
    if let Some(md) = s.strip_prefix("*-") {
        // Validate month and day against a leap year so that *-02-29 is allowed.
        let d = NaiveDate::parse_from_str(&format!("2000-{md}"), "%Y-%m-%d")
            .map_err(|_| "expected \"*-MM-DD\" with a real month and day".to_string())?;
        use chrono::Datelike;
        return Ok(Holiday::Yearly {
            month: d.month(),
            day: d.day(),
            first_year: None,
            last_year: None,
        });
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Holiday::Date)
        .map_err(|_| "expected a date \"YYYY-MM-DD\" or a yearly \"*-MM-DD\"".into())
}

fn parse_local(s: &str) -> Result<NaiveDateTime, String> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| "expected local time \"YYYY-MM-DDTHH:MM\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> String {
        parse_calendars(Path::new("cal.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn parses_the_documented_example() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("us.ics"),
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260525\r\nSUMMARY:Memorial Day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        let text = r#"
[calendar.ny-office]
timezone = "America/New_York"
mon = ["09:00-12:00", "13:00-17:00"]
tue = ["09:00-12:00", "13:00-17:00"]
holidays = ["2026-01-01", "*-12-25"]
holiday_files = ["us.ics"]
closures = [{ from = "2026-12-24T12:00", to = "2026-12-24T17:00" }]

[calendar.always]
timezone = "UTC"
always = true

[calendar.night]
timezone = "Europe/Berlin"
sun = ["22:00-06:00"]
mon = ["00:00-24:00"]
"#;
        let path = dir.path().join("cal.toml");
        let cals = parse_calendars(&path, text);
        assert_eq!(
            cals.unwrap_err().to_string(),
            format!(
                "{}:17:8: calendar `night`: range \"00:00-24:00\" on mon overlaps \"22:00-06:00\" on sun",
                path.display()
            )
        );
        let cals = parse_calendars(&path, &text.replace("00:00-24:00", "06:00-24:00")).unwrap();
        let ny = cals.get("ny-office").unwrap();
        assert_eq!(ny.rules().holidays.len(), 3);
        assert_eq!(ny.rules().closures.len(), 1);
        assert!(cals.get("always").unwrap().rules().always);
        assert_eq!(
            cals.get("night").unwrap().rules().weekly[6][0].end,
            30 * 3600
        );
    }

    #[test]
    fn malformed_files_name_line_and_expectation() {
        assert_eq!(
            errors("[calendar.a]\ntimezone = \"Mars/Olympus\"\nmon = [\"09:00-17:00\"]\n"),
            "cal.toml:2:12: calendar `a`: unknown time zone \"Mars/Olympus\": expected an IANA name such as \"Europe/Berlin\""
        );
        assert_eq!(
            errors("[calendar.a]\ntimezone = \"UTC\"\nmon = [\"09:00-25:00\"]\n"),
            "cal.toml:3:8: calendar `a`, mon: bad range \"09:00-25:00\": expected \"HH:MM-HH:MM\" with hours 00-24 and minutes 00-59"
        );
        assert_eq!(
            errors("[calendar.a]\ntimezone = \"UTC\"\nmon = [\"09:00-12:00\", \"11:00-13:00\"]\n"),
            "cal.toml:3:23: calendar `a`: range \"11:00-13:00\" on mon overlaps \"09:00-12:00\" on mon"
        );
        let unknown = errors("[calendar.a]\ntimezone = \"UTC\"\nmonday = [\"09:00-12:00\"]\n");
        assert!(
            unknown.starts_with("cal.toml:3:1: unknown field `monday`, expected one of"),
            "{unknown}"
        );
        assert_eq!(
            errors("[calendar.a]\ntimezone = \"UTC\"\n"),
            "cal.toml:1:1: calendar `a` has no working hours: list ranges for some days (mon = [\"09:00-17:00\"]) or set always = true"
        );
        assert_eq!(
            errors("[calendar.a]\ntimezone = \"UTC\"\nmon = [\"09:00-12:00\"]\nholidays = [\"2026-02-30\"]\n"),
            "cal.toml:4:13: calendar `a`: bad holiday \"2026-02-30\": expected a date \"YYYY-MM-DD\" or a yearly \"*-MM-DD\""
        );
        let missing = errors("[calendar.a]\ntimezone = \"UTC\"\nmon = [\"09:00-12:00\"]\nholiday_files = [\"nope.ics\"]\n");
        assert!(
            missing.starts_with("cal.toml:4:18: calendar `a`: cannot read holiday file nope.ics"),
            "{missing}"
        );
        let syntax = errors("[calendar.a\n");
        assert!(syntax.starts_with("cal.toml:1:"), "{syntax}");
    }

    #[test]
    fn ranges() {
        assert_eq!(
            parse_range("00:00-24:00").unwrap(),
            Range {
                start: 0,
                end: DAY_SECS
            }
        );
        assert_eq!(
            parse_range("22:00-06:00").unwrap(),
            Range {
                start: 22 * 3600,
                end: 30 * 3600
            }
        );
        assert!(parse_range("24:00-06:00").is_err());
        assert!(parse_range("09:00-09:00").is_err());
        assert!(parse_range("9:00-17:00").is_err());
        assert!(parse_range("09:60-17:00").is_err());
    }
}
