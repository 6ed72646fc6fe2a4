//! The policies file: `[[policy]]` tables in match order, each with targets per priority.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::duration::{format_duration, parse_duration};
use super::error::{read, Reporter};
use super::suggest::expected_one_of;
use super::ConfigErrors;
use crate::model::Priority;
use crate::sla::calendar::{Micros, MICROS_PER_MIN};
use crate::sla::{Calendars, Metric, Policies, Policy, PriorityChange, Warnings};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    policy: Vec<Spanned<Spec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    name: Spanned<String>,
    calendar: Spanned<String>,
    #[serde(default)]
    customers: Vec<String>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    priorities: Vec<Spanned<String>>,
    #[serde(default)]
    priority_change: Option<PriorityChange>,
    #[serde(default)]
    targets: BTreeMap<String, Spanned<Targets>>,
    #[serde(default)]
    pause_reasons: BTreeMap<String, Spanned<Vec<String>>>,
    #[serde(default)]
    warnings: Option<Spanned<WarningSpec>>,
    #[serde(default)]
    metric_warnings: BTreeMap<String, Spanned<WarningSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Targets {
    acknowledge: Option<Spanned<DurationSpec>>,
    client_update: Option<Spanned<DurationSpec>>,
    restore: Option<Spanned<DurationSpec>>,
    resolve: Option<Spanned<DurationSpec>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DurationSpec {
    Minutes(i64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WarningSpec {
    #[serde(default)]
    percent: Option<Vec<i64>>,
    #[serde(default)]
    minutes_before: Option<Vec<i64>>,
    #[serde(default)]
    repeat_after_breach: Option<Spanned<DurationSpec>>,
}

/// The shortest `repeat_after_breach`: a nudge a minute is already insistent; one a
/// second would flood the console and the desktop.
pub const MIN_REPEAT_AFTER_BREACH: Micros = MICROS_PER_MIN;

pub fn load_policies(path: &Path, calendars: &Calendars) -> Result<Policies, ConfigErrors> {
    let text = read(path)?;
    parse_policies(path, &text, calendars)
}

pub fn parse_policies(
    path: &Path,
    text: &str,
    calendars: &Calendars,
) -> Result<Policies, ConfigErrors> {
    let mut r = Reporter::new(path, text);
    let file: File = r.parse_toml()?;
    if file.policy.is_empty() {
        r.at(0..0, "no policies: expected at least one [[policy]] table");
    }
    let mut names = HashSet::new();
    let mut out = Vec::new();
    let mut default_seen: Option<String> = None;
    for spec in &file.policy {
        let span = spec.span();
        let spec = spec.get_ref();
        let name = spec.name.get_ref().clone();
        if name.trim().is_empty() {
            r.at(spec.name.span(), "policy name must not be empty");
        } else if !names.insert(name.clone()) {
            r.at(
                spec.name.span(),
                format!("policy `{name}` is defined twice"),
            );
        }
        if let Some(default) = &default_seen {
            r.at(
                span.clone(),
                format!("policy `{name}` can never match: policy `{default}` before it has no selectors and matches every ticket"),
            );
        }
        // Whether it is the default is in its selectors, even when another of its
        // fields is wrong: that error is reported, not a missing default as well.
        if spec.customers.is_empty() && spec.services.is_empty() && spec.priorities.is_empty() {
            default_seen.get_or_insert(name.clone());
        }
        if let Some(policy) = policy_of(&name, spec, calendars, &mut r) {
            out.push(policy);
        }
    }
    if !file.policy.is_empty() && default_seen.is_none() {
        r.at(
            file.policy.last().map_or(0..0, |p| p.span()),
            "no default policy: the last policy should have no customers, services or priorities so that every ticket matches one",
        );
    }
    r.finish()?;
    Ok(Policies(out))
}

fn policy_of(name: &str, spec: &Spec, calendars: &Calendars, r: &mut Reporter) -> Option<Policy> {
    let before = r.errors.len();
    let calendar = spec.calendar.get_ref();
    if calendars.get(calendar).is_none() {
        r.at(
            spec.calendar.span(),
            format!(
                "policy `{name}`: unknown calendar `{calendar}`, {}",
                expected_one_of(calendar, calendars.names(), "calendars")
            ),
        );
    }
    let mut priorities = Vec::new();
    for p in &spec.priorities {
        match p.get_ref().parse::<Priority>() {
            Ok(p) => priorities.push(p),
            Err(e) => r.at(p.span(), format!("policy `{name}`: {e}")),
        }
    }
    let mut targets = BTreeMap::new();
    for (prio, t) in &spec.targets {
        let Ok(priority) = prio.parse::<Priority>() else {
            r.at(
                t.span(),
                format!("policy `{name}`: targets.{prio}: expected a priority P1 to P9 as the table name"),
            );
            continue;
        };
        let tr = t.get_ref();
        let mut row = [None; 4];
        for (metric, value) in [
            (Metric::Acknowledge, &tr.acknowledge),
            (Metric::ClientUpdate, &tr.client_update),
            (Metric::Restore, &tr.restore),
            (Metric::Resolve, &tr.resolve),
        ] {
            let Some(value) = value else { continue };
            match duration(value.get_ref()) {
                Ok(d) if d > 0 => row[metric.index()] = Some(d),
                Ok(_) => r.at(
                    value.span(),
                    format!("policy `{name}`: targets.{prio}.{metric} must be longer than zero"),
                ),
                Err(e) => r.at(
                    value.span(),
                    format!("policy `{name}`: targets.{prio}.{metric}: {e}"),
                ),
            }
        }
        targets.insert(priority, row);
    }
    if spec.targets.is_empty() {
        r.at(
            spec.name.span(),
            format!("policy `{name}` has no targets: expected [policy.targets.P1] with acknowledge, client_update, restore or resolve"),
        );
    }
    let mut pause_reasons = BTreeMap::new();
    for (reason, metrics) in &spec.pause_reasons {
        let mut stopped = Vec::new();
        for m in metrics.get_ref() {
            match Metric::parse(m) {
                Some(metric) => stopped.push(metric),
                None => r.at(
                    metrics.span(),
                    format!("policy `{name}`: pause_reasons.{reason}: unknown metric {m:?}, expected acknowledge, client_update, restore or resolve"),
                ),
            }
        }
        pause_reasons.insert(reason.clone(), stopped);
    }
    let warnings = match &spec.warnings {
        Some(w) => warnings_of(name, "warnings", w, r),
        None => Some(Warnings::default()),
    };
    let mut metric_warnings = BTreeMap::new();
    for (metric, w) in &spec.metric_warnings {
        match Metric::parse(metric) {
            Some(m) => {
                if let Some(w) = warnings_of(name, &format!("metric_warnings.{metric}"), w, r) {
                    metric_warnings.insert(m, w);
                }
            }
            None => r.at(
                w.span(),
                format!("policy `{name}`: metric_warnings.{metric}: unknown metric, expected acknowledge, client_update, restore or resolve"),
            ),
        }
    }
    if r.errors.len() > before {
        return None;
    }
    Some(Policy {
        name: name.to_owned(),
        calendar: calendar.clone(),
        customers: spec.customers.clone(),
        services: spec.services.clone(),
        priorities,
        targets,
        pause_reasons,
        warnings: warnings?,
        metric_warnings,
        priority_change: spec.priority_change.unwrap_or_default(),
    })
}

fn duration(d: &DurationSpec) -> Result<Micros, String> {
    match d {
        DurationSpec::Minutes(m) if *m >= 0 => m
            .checked_mul(MICROS_PER_MIN)
            .ok_or_else(|| format!("{m} minutes is too long")),
        DurationSpec::Minutes(m) => {
            Err(format!("expected a positive number of minutes, found {m}"))
        }
        DurationSpec::Text(s) => parse_duration(s),
    }
}

fn warnings_of(
    name: &str,
    key: &str,
    w: &Spanned<WarningSpec>,
    r: &mut Reporter,
) -> Option<Warnings> {
    let spec = w.get_ref();
    let defaults = Warnings::default();
    let mut ok = true;
    let percent = spec
        .percent
        .clone()
        .unwrap_or_else(|| defaults.percent.iter().map(|&p| i64::from(p)).collect());
    if percent.iter().any(|p| !(1..=99).contains(p)) || percent.windows(2).any(|w| w[0] >= w[1]) {
        r.at(w.span(), format!("policy `{name}`: {key}.percent: expected ascending percentages between 1 and 99, found {percent:?}"));
        ok = false;
    }
    let minutes = spec.minutes_before.clone().unwrap_or_else(|| {
        defaults
            .minutes_before
            .iter()
            .map(|&m| i64::from(m))
            .collect()
    });
    if minutes.iter().any(|m| !(1..=100_000).contains(m))
        || minutes.windows(2).any(|w| w[0] <= w[1])
    {
        r.at(w.span(), format!("policy `{name}`: {key}.minutes_before: expected descending positive minutes, found {minutes:?}"));
        ok = false;
    }
    let repeat = match spec
        .repeat_after_breach
        .as_ref()
        .map(|d| (d.span(), d.get_ref()))
    {
        None => defaults.repeat_after_breach,
        Some((_, DurationSpec::Text(s))) if s == "never" => None,
        Some((span, d)) => match duration(d) {
            Ok(0) => None,
            Ok(d) if d < MIN_REPEAT_AFTER_BREACH => {
                r.at(
                    span,
                    format!("policy `{name}`: {key}.repeat_after_breach: {} is shorter than the minimum of 1m (or \"never\")", format_duration(d)),
                );
                ok = false;
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                r.at(
                    span,
                    format!("policy `{name}`: {key}.repeat_after_breach: {e} (or \"never\")"),
                );
                ok = false;
                None
            }
        },
    };
    ok.then(|| Warnings {
        percent: percent.into_iter().map(|p| p as u8).collect(),
        minutes_before: minutes.into_iter().map(|m| m as u32).collect(),
        repeat_after_breach: repeat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::calendars::parse_calendars;

    fn calendars() -> Calendars {
        parse_calendars(
            Path::new("c.toml"),
            "[calendar.24x7]\ntimezone = \"UTC\"\nalways = true\n",
        )
        .unwrap()
    }

    fn errors(text: &str) -> String {
        parse_policies(Path::new("p.toml"), text, &calendars())
            .unwrap_err()
            .to_string()
    }

    const GOOD: &str = r#"
[[policy]]
name = "carrier"
calendar = "24x7"
customers = ["acme"]
priority_change = "restart"
[policy.targets.P1]
acknowledge = "15m"
restore = "4h"
[policy.pause_reasons]
customer = ["restore"]
vendor = []
[policy.warnings]
percent = [50, 80]
minutes_before = [30, 10]
repeat_after_breach = "never"
[policy.metric_warnings.restore]
percent = [25]

[[policy]]
name = "default"
calendar = "24x7"
[policy.targets.P2]
resolve = 480
"#;

    #[test]
    fn parses_policies_in_match_order() {
        let p = parse_policies(Path::new("p.toml"), GOOD, &calendars()).unwrap();
        let p1 = Priority::new(1).unwrap();
        let carrier = p.select("acme", None, p1).unwrap();
        assert_eq!(carrier.name, "carrier");
        assert_eq!(carrier.priority_change, PriorityChange::Restart);
        assert_eq!(
            carrier.target(p1, Metric::Restore),
            Some(240 * MICROS_PER_MIN)
        );
        assert_eq!(carrier.target(p1, Metric::Resolve), None);
        assert!(carrier.stops("customer", Metric::Restore));
        assert!(!carrier.stops("vendor", Metric::Restore));
        assert_eq!(carrier.warnings.repeat_after_breach, None);
        assert_eq!(carrier.warnings_for(Metric::Restore).percent, vec![25]);
        assert_eq!(
            carrier.warnings_for(Metric::Acknowledge).percent,
            vec![50, 80]
        );
        let other = p.select("globex", None, p1).unwrap();
        assert_eq!(other.name, "default");
        assert_eq!(
            other.target(Priority::new(2).unwrap(), Metric::Resolve),
            Some(480 * MICROS_PER_MIN)
        );
    }

    #[test]
    fn mistakes_are_reported_with_line_and_expectation() {
        let e = errors(&GOOD.replace(
            "calendar = \"24x7\"\ncustomers",
            "calendar = \"office\"\ncustomers",
        ));
        assert_eq!(
            e,
            "p.toml:4:12: policy `carrier`: unknown calendar `office`, expected one of: 24x7"
        );
        let e = errors(&GOOD.replace("restore = \"4h\"", "restore = \"4 hours\""));
        assert!(
            e.starts_with("p.toml:9:11: policy `carrier`: targets.P1.restore: expected a duration"),
            "{e}"
        );
        let e = errors(&GOOD.replace("acknowledge = \"15m\"", "acknowledgement = \"15m\""));
        assert!(
            e.starts_with("p.toml:8:1: unknown field `acknowledgement`"),
            "{e}"
        );
        let e = errors(&GOOD.replace("customer = [\"restore\"]", "customer = [\"restoration\"]"));
        assert!(e.contains("p.toml:11:12: policy `carrier`: pause_reasons.customer: unknown metric \"restoration\""), "{e}");
        let e = errors(&GOOD.replace("percent = [50, 80]", "percent = [80, 50]"));
        assert!(
            e.contains("warnings.percent: expected ascending percentages"),
            "{e}"
        );
        let e = errors(&GOOD.replace("customers = [\"acme\"]\n", ""));
        assert!(
            e.contains("policy `default` can never match: policy `carrier` before it"),
            "{e}"
        );
        let e = errors(&GOOD.replace(
            "name = \"default\"\ncalendar = \"24x7\"\n",
            "name = \"default\"\ncalendar = \"24x7\"\npriorities = [\"P2\"]\n",
        ));
        assert!(e.contains("no default policy"), "{e}");
    }

    #[test]
    fn an_error_in_the_default_policy_is_not_also_a_missing_default() {
        let e = errors(&GOOD.replace("resolve = 480", "resolve = \"8 hours\""));
        assert!(
            e.starts_with("p.toml:24:11: policy `default`: targets.P2.resolve"),
            "{e}"
        );
        assert!(!e.contains("no default policy"), "{e}");
        let e = errors(&GOOD.replace(
            "name = \"default\"\ncalendar = \"24x7\"",
            "name = \"default\"\ncalendar = \"nope\"",
        ));
        assert_eq!(
            e,
            "p.toml:22:12: policy `default`: unknown calendar `nope`, expected one of: 24x7"
        );
    }

    #[test]
    fn nudges_after_a_breach_repeat_at_most_once_a_minute() {
        for (given, shown) in [("\"1s\"", "1s"), ("\"59s\"", "59s")] {
            let e = errors(&GOOD.replace(
                "repeat_after_breach = \"never\"",
                &format!("repeat_after_breach = {given}"),
            ));
            assert_eq!(
                e,
                format!("p.toml:16:23: policy `carrier`: warnings.repeat_after_breach: {shown} is shorter than the minimum of 1m (or \"never\")")
            );
        }
        let p = |v: &str| {
            parse_policies(
                Path::new("p.toml"),
                &GOOD.replace(
                    "repeat_after_breach = \"never\"",
                    &format!("repeat_after_breach = {v}"),
                ),
                &calendars(),
            )
            .unwrap()
            .0[0]
                .warnings
                .repeat_after_breach
        };
        assert_eq!(p("\"1m\""), Some(MICROS_PER_MIN));
        assert_eq!(p("1"), Some(MICROS_PER_MIN));
        assert_eq!(p("0"), None);
        assert_eq!(p("\"0s\""), None);
        let e = errors(&GOOD.replace("resolve = 480", "resolve = 9223372036854775807"));
        assert!(e.contains("9223372036854775807 minutes is too long"), "{e}");
    }
}
