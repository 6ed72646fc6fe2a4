//! The contracts file: `[[contract]]` tables, each with `[[contract.term]]` tables.
//!
//! Money, percentages and thresholds are exact decimals: write them as strings
//! (`"12000.00"`, `"99.9"`) or integers. TOML floats are binary and are refused with
//! their location rather than rounded behind the user's back.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

use super::duration::parse_duration;
use super::error::{read, Reporter};
use super::suggest::expected_one_of;
use super::ConfigErrors;
use crate::model::Priority;
use crate::sla::calendar::MICROS_PER_MIN;
use crate::sla::penalty::contract::Unit;
use crate::sla::penalty::money::{check_amount, is_currency_code, parse_decimal};
use crate::sla::penalty::{
    Bound, Contract, Contracts, Kpi, Operator, PenaltyRule, Rate, Rounding, Term, Tier,
};
use crate::sla::{Calendars, Metric};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    contract: Vec<Spanned<ContractSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContractSpec {
    id: Spanned<String>,
    customer: Spanned<String>,
    #[serde(default)]
    services: Vec<String>,
    monthly_fee: Spanned<Num>,
    currency: Spanned<String>,
    timezone: Spanned<String>,
    #[serde(default)]
    rounding: Option<Spanned<String>>,
    #[serde(default)]
    term: Vec<Spanned<TermSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermSpec {
    id: Spanned<String>,
    kpi: Spanned<String>,
    operator: Spanned<String>,
    #[serde(default)]
    threshold: Option<Spanned<Num>>,
    #[serde(default)]
    fixed: Option<Spanned<Num>>,
    #[serde(default)]
    percent: Option<Spanned<Num>>,
    #[serde(default)]
    tiers: Option<Spanned<Vec<Spanned<TierSpec>>>>,
    #[serde(default)]
    cap: Option<Spanned<Num>>,
    #[serde(default)]
    priorities: Vec<Spanned<String>>,
    #[serde(default)]
    metrics: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    exclude: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    calendar: Option<Spanned<String>>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierSpec {
    #[serde(default)]
    below: Option<Spanned<Num>>,
    #[serde(default)]
    above: Option<Spanned<Num>>,
    #[serde(default)]
    fixed: Option<Spanned<Num>>,
    #[serde(default)]
    percent: Option<Spanned<Num>>,
}

/// A number as written: text, an integer, or a (refused) float.
#[derive(Deserialize)]
#[serde(untagged)]
enum Num {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Num {
    fn text(&self) -> String {
        match self {
            Num::Int(i) => i.to_string(),
            Num::Float(f) => f.to_string(),
            Num::Text(s) => s.clone(),
        }
    }
}

pub fn load_contracts(path: &Path, calendars: &Calendars) -> Result<Contracts, ConfigErrors> {
    let text = read(path)?;
    parse_contracts(path, &text, calendars)
}

pub fn parse_contracts(
    path: &Path,
    text: &str,
    calendars: &Calendars,
) -> Result<Contracts, ConfigErrors> {
    let mut r = Reporter::new(path, text);
    let file: File = r.parse_toml()?;
    let mut ids = HashSet::new();
    let mut out = Vec::new();
    for spec in &file.contract {
        let spec = spec.get_ref();
        let id = spec.id.get_ref();
        if let Err(e) = check_id(id) {
            r.at(spec.id.span(), format!("contract id: {e}"));
        } else if !ids.insert(id.clone()) {
            r.at(spec.id.span(), format!("contract `{id}` is defined twice"));
        }
        if let Some(c) = contract_of(spec, calendars, &mut r) {
            out.push(c);
        }
    }
    r.finish()?;
    Ok(Contracts(out))
}

/// Ids become parts of event ids and ledger names: keep them plain.
fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 40 {
        return Err(format!("expected 1 to 40 characters, found {id:?}"));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(format!(
            "expected letters, digits, '-', '_' or '.', found {id:?}"
        ));
    }
    Ok(())
}

fn decimal(n: &Spanned<Num>, what: &str, r: &mut Reporter) -> Option<Decimal> {
    match n.get_ref() {
        Num::Float(f) => {
            r.at(
                n.span(),
                format!("{what}: {f} is a TOML float (binary, inexact); write it as a string, e.g. \"{f}\", so that it stays exact"),
            );
            None
        }
        other => match parse_decimal(&other.text()) {
            Ok(d) => Some(d),
            Err(e) => {
                r.at(n.span(), format!("{what}: {e}"));
                None
            }
        },
    }
}

fn contract_of(spec: &ContractSpec, calendars: &Calendars, r: &mut Reporter) -> Option<Contract> {
    let before = r.errors.len();
    let id = spec.id.get_ref().clone();
    let what = |k: &str| format!("contract `{id}`: {k}");
    if spec.customer.get_ref().trim().is_empty() {
        r.at(spec.customer.span(), what("customer must not be empty"));
    }
    let currency = spec.currency.get_ref().clone();
    if !is_currency_code(&currency) {
        r.at(
            spec.currency.span(),
            what(&format!(
                "currency: expected an ISO 4217 code such as \"EUR\" or \"USD\", found {currency:?}"
            )),
        );
    }
    let fee = decimal(&spec.monthly_fee, &what("monthly_fee"), r)
        .and_then(|f| amount(f, &currency, &spec.monthly_fee, &what("monthly_fee"), r));
    let tz: Option<Tz> = match spec.timezone.get_ref().parse() {
        Ok(tz) => Some(tz),
        Err(_) => {
            r.at(
                spec.timezone.span(),
                what(&format!(
                    "unknown time zone {:?}: expected an IANA name such as \"Europe/London\"",
                    spec.timezone.get_ref()
                )),
            );
            None
        }
    };
    let rounding = match &spec.rounding {
        None => Some(Rounding::default()),
        Some(s) => match Rounding::parse(s.get_ref()) {
            Some(x) => Some(x),
            None => {
                r.at(
                    s.span(),
                    what(&format!(
                        "rounding: expected \"half_even\", \"half_up\" or \"down\", found {:?}",
                        s.get_ref()
                    )),
                );
                None
            }
        },
    };
    if spec.term.is_empty() {
        r.at(
            spec.id.span(),
            what("has no terms: expected at least one [[contract.term]] table"),
        );
    }
    let mut term_ids = HashSet::new();
    let mut terms = Vec::new();
    for t in &spec.term {
        let ts = t.get_ref();
        let tid = ts.id.get_ref();
        if let Err(e) = check_id(tid) {
            r.at(ts.id.span(), what(&format!("term id: {e}")));
        } else if !term_ids.insert(tid.clone()) {
            r.at(
                ts.id.span(),
                what(&format!("term `{tid}` is defined twice")),
            );
        }
        let ctx = format!("contract `{id}`, term `{tid}`");
        if let Some(term) = term_of(
            &ctx,
            ts,
            t.span(),
            fee.unwrap_or_default(),
            &currency,
            calendars,
            r,
        ) {
            terms.push(term);
        }
    }
    if r.errors.len() > before {
        return None;
    }
    Some(Contract {
        id,
        customer: spec.customer.get_ref().clone(),
        services: spec.services.clone(),
        monthly_fee: fee?,
        currency,
        timezone: tz?,
        rounding: rounding?,
        terms,
    })
}

/// `d` when it is an amount of money slawatch takes (not negative, at most
/// [`crate::model::amount::MAX_AMOUNT`], no finer than the currency); else a located error.
fn amount(
    d: Decimal,
    currency: &str,
    n: &Spanned<Num>,
    what: &str,
    r: &mut Reporter,
) -> Option<Decimal> {
    match check_amount(d, Some(currency)) {
        Ok(d) => Some(d),
        Err(e) => {
            r.at(n.span(), format!("{what}: {e}"));
            None
        }
    }
}

fn bound_of(ctx: &str, kpi: Kpi, n: &Spanned<Num>, key: &str, r: &mut Reporter) -> Option<Bound> {
    let what = format!("{ctx}: {key}");
    match kpi.unit() {
        Unit::Percent => {
            let d = decimal(n, &what, r)?;
            if d < Decimal::ZERO || d > Decimal::ONE_HUNDRED {
                r.at(
                    n.span(),
                    format!("{what}: expected a percentage from 0 to 100, found {d}"),
                );
                return None;
            }
            Some(Bound::Percent(d))
        }
        Unit::Duration => match n.get_ref() {
            Num::Text(s) if s == "target" => Some(Bound::Target),
            Num::Text(s) => match parse_duration(s) {
                Ok(d) if d > 0 => Some(Bound::Duration(d)),
                Ok(_) => {
                    r.at(n.span(), format!("{what}: must be longer than zero"));
                    None
                }
                Err(e) => {
                    r.at(
                        n.span(),
                        format!("{what}: {e}, or \"target\" for the policy's target"),
                    );
                    None
                }
            },
            Num::Int(m) if *m > 0 => match m.checked_mul(MICROS_PER_MIN) {
                Some(d) => Some(Bound::Duration(d)),
                None => {
                    r.at(n.span(), format!("{what}: {m} minutes is too long"));
                    None
                }
            },
            _ => {
                r.at(
                    n.span(),
                    format!("{what}: expected a duration such as \"4h\" or \"90m\", a number of minutes, or \"target\""),
                );
                None
            }
        },
        Unit::Count => match n.get_ref() {
            Num::Int(c) if *c >= 0 => Some(Bound::Count(*c as u64)),
            _ => {
                r.at(
                    n.span(),
                    format!("{what}: expected a whole number of breaches, such as 3"),
                );
                None
            }
        },
    }
}

fn rate_of(
    ctx: &str,
    fixed: &Option<Spanned<Num>>,
    percent: &Option<Spanned<Num>>,
    currency: &str,
    span: Range<usize>,
    r: &mut Reporter,
) -> Option<Option<Rate>> {
    match (fixed, percent) {
        (Some(_), Some(p)) => {
            r.at(
                p.span(),
                format!("{ctx}: give either `fixed` or `percent`, not both"),
            );
            None
        }
        (Some(f), None) => {
            let what = format!("{ctx}: fixed");
            let d = decimal(f, &what, r)?;
            Some(Some(Rate::Fixed(amount(d, currency, f, &what, r)?)))
        }
        (None, Some(p)) => {
            let d = decimal(p, &format!("{ctx}: percent"), r)?;
            if d < Decimal::ZERO || d > Decimal::ONE_HUNDRED {
                r.at(
                    p.span(),
                    format!("{ctx}: percent: expected 0 to 100 (% of the monthly fee), found {d}"),
                );
                return None;
            }
            Some(Some(Rate::Percent(d)))
        }
        (None, None) => {
            let _ = span;
            Some(None)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn term_of(
    ctx: &str,
    spec: &TermSpec,
    span: Range<usize>,
    fee: Decimal,
    currency: &str,
    calendars: &Calendars,
    r: &mut Reporter,
) -> Option<Term> {
    let before = r.errors.len();
    let kpi = match Kpi::parse(spec.kpi.get_ref()) {
        Some(k) => k,
        None => {
            let names: Vec<_> = Kpi::ALL.iter().map(|k| k.as_str()).collect();
            r.at(
                spec.kpi.span(),
                format!(
                    "{ctx}: unknown kpi {:?}, expected one of {}",
                    spec.kpi.get_ref(),
                    names.join(", ")
                ),
            );
            return None;
        }
    };
    let operator = match spec.operator.get_ref().as_str() {
        "below" => Some(Operator::Below),
        "above" => Some(Operator::Above),
        other => {
            r.at(
                spec.operator.span(),
                format!("{ctx}: operator: expected \"below\" (actual below the threshold is a breach) or \"above\", found {other:?}"),
            );
            None
        }
    };
    let mut priorities = Vec::new();
    for p in &spec.priorities {
        match p.get_ref().parse::<Priority>() {
            Ok(x) => priorities.push(x),
            Err(e) => r.at(p.span(), format!("{ctx}: priorities: {e}")),
        }
    }
    let mut metrics = Vec::new();
    if let Some(ms) = &spec.metrics {
        if kpi != Kpi::BreachCount {
            r.at(
                ms.span(),
                format!("{ctx}: `metrics` only applies to kpi = \"breach_count\""),
            );
        }
        for m in ms.get_ref() {
            match Metric::parse(m) {
                Some(x) => metrics.push(x),
                None => r.at(
                    ms.span(),
                    format!("{ctx}: metrics: unknown metric {m:?}, expected acknowledge, client_update, restore or resolve"),
                ),
            }
        }
    }
    let exclude = match &spec.exclude {
        Some(x) if kpi != Kpi::Availability => {
            r.at(x.span(), format!("{ctx}: `exclude` only applies to kpi = \"availability\" (other KPIs follow the policy's pause reasons)"));
            Vec::new()
        }
        Some(x) => x.get_ref().clone(),
        None => Vec::new(),
    };
    if let Some(c) = &spec.calendar {
        if !kpi.per_ticket() {
            r.at(
                c.span(),
                format!(
                    "{ctx}: `calendar` only applies to time_to_restore and time_to_acknowledge"
                ),
            );
        } else if calendars.get(c.get_ref()).is_none() {
            r.at(
                c.span(),
                format!(
                    "{ctx}: unknown calendar `{}`, {}",
                    c.get_ref(),
                    expected_one_of(c.get_ref(), calendars.names(), "calendars")
                ),
            );
        }
    }
    let threshold = spec
        .threshold
        .as_ref()
        .and_then(|t| bound_of(ctx, kpi, t, "threshold", r));
    if matches!(threshold, Some(Bound::Target)) && spec.calendar.is_some() {
        r.at(
            spec.calendar.as_ref().map_or(span.clone(), |c| c.span()),
            format!("{ctx}: `calendar` needs a duration threshold; \"target\" uses the policy's own calendar"),
        );
    }
    let flat = rate_of(ctx, &spec.fixed, &spec.percent, currency, span.clone(), r);
    let mut tiers = Vec::new();
    if let Some(ts) = &spec.tiers {
        if spec.fixed.is_some() || spec.percent.is_some() {
            r.at(
                ts.span(),
                format!("{ctx}: give `fixed`, `percent` or `tiers`, only one"),
            );
        }
        if ts.get_ref().is_empty() {
            r.at(
                ts.span(),
                format!("{ctx}: tiers: expected at least one band"),
            );
        }
        for (i, t) in ts.get_ref().iter().enumerate() {
            let tctx = format!("{ctx}, tier {}", i + 1);
            let spec_t = t.get_ref();
            let (key, value) = match (&spec_t.below, &spec_t.above) {
                (Some(b), None) => ("below", b),
                (None, Some(a)) => ("above", a),
                _ => {
                    r.at(t.span(), format!("{tctx}: expected exactly one of `below` or `above` with the band's bound"));
                    continue;
                }
            };
            if let Some(op) = operator {
                if op.as_str() != key {
                    r.at(
                        value.span(),
                        format!(
                            "{tctx}: `{key}` does not match the term's operator \"{}\"",
                            op.as_str()
                        ),
                    );
                }
            }
            let bound = bound_of(&tctx, kpi, value, key, r);
            if matches!(bound, Some(Bound::Target)) {
                r.at(
                    value.span(),
                    format!("{tctx}: a band needs a duration, not \"target\""),
                );
            }
            let rate = match rate_of(&tctx, &spec_t.fixed, &spec_t.percent, currency, t.span(), r) {
                Some(Some(rate)) => Some(rate),
                Some(None) => {
                    r.at(
                        t.span(),
                        format!("{tctx}: expected `fixed` or `percent` for the band"),
                    );
                    None
                }
                None => None,
            };
            if let (Some(bound), Some(rate)) = (bound, rate) {
                tiers.push((value.span(), Tier { bound, rate }));
            }
        }
        // Mildest first: bounds move in the direction of the breach.
        for w in tiers.windows(2) {
            let ordered = match (&w[0].1.bound, &w[1].1.bound, operator) {
                (Bound::Percent(a), Bound::Percent(b), Some(Operator::Below)) => b < a,
                (Bound::Percent(a), Bound::Percent(b), Some(Operator::Above)) => b > a,
                (Bound::Duration(a), Bound::Duration(b), Some(Operator::Below)) => b < a,
                (Bound::Duration(a), Bound::Duration(b), Some(Operator::Above)) => b > a,
                (Bound::Count(a), Bound::Count(b), Some(Operator::Below)) => b < a,
                (Bound::Count(a), Bound::Count(b), Some(Operator::Above)) => b > a,
                _ => true,
            };
            if !ordered {
                r.at(
                    w[1].0.clone(),
                    format!("{ctx}: tiers must go from the mildest band to the most severe: {} must be {} {}", w[1].1.bound, operator.map_or("", |o| o.as_str()), w[0].1.bound),
                );
            }
        }
    }
    let rule = match (flat, spec.tiers.is_some()) {
        (Some(Some(rate)), false) => Some(PenaltyRule::Flat(rate)),
        (Some(None), true) | (Some(Some(_)), true) => Some(PenaltyRule::Tiered(
            tiers.iter().map(|t| t.1.clone()).collect(),
        )),
        (Some(None), false) => {
            r.at(span.clone(), format!("{ctx}: no penalty: expected `fixed = \"250.00\"`, `percent = \"5\"` (of the monthly fee) or `tiers = [...]`"));
            None
        }
        (None, _) => None,
    };
    let threshold = match (&rule, threshold) {
        (Some(PenaltyRule::Tiered(t)), th) => {
            let first = t.first().map(|t| t.bound.clone());
            if let (Some(th), Some(first)) = (&th, &first) {
                if th != first {
                    r.at(
                        spec.threshold.as_ref().map_or(span.clone(), |t| t.span()),
                        format!("{ctx}: threshold {th} differs from the mildest band's bound {first}; leave it out or make them equal"),
                    );
                }
            }
            first
        }
        (_, Some(th)) => Some(th),
        (_, None) => {
            if spec.threshold.is_none() {
                r.at(
                    span.clone(),
                    format!("{ctx}: no threshold: expected `threshold = ...` (or tiers)"),
                );
            }
            None
        }
    };
    if matches!(threshold, Some(Bound::Target)) && !kpi.per_ticket() {
        r.at(
            span.clone(),
            format!("{ctx}: \"target\" only applies to time_to_restore and time_to_acknowledge"),
        );
    }
    let cap = spec
        .cap
        .as_ref()
        .and_then(|c| cap_of(ctx, c, fee, currency, r));
    if r.errors.len() > before {
        return None;
    }
    Some(Term {
        id: spec.id.get_ref().clone(),
        kpi,
        operator: operator?,
        threshold: threshold?,
        rule: rule?,
        cap,
        priorities,
        metrics,
        exclude,
        calendar: spec.calendar.as_ref().map(|c| c.get_ref().clone()),
        description: spec.description.clone(),
    })
}

/// `cap = "3000.00"` (an amount) or `cap = "25%"` (of the monthly fee).
fn cap_of(
    ctx: &str,
    c: &Spanned<Num>,
    fee: Decimal,
    currency: &str,
    r: &mut Reporter,
) -> Option<Decimal> {
    if let Num::Text(s) = c.get_ref() {
        if let Some(p) = s.trim().strip_suffix('%') {
            return match parse_decimal(p) {
                // The fee is at most MAX_AMOUNT, so this cannot overflow; checked all the same.
                Ok(p) if p >= Decimal::ZERO && p <= Decimal::ONE_HUNDRED => fee
                    .checked_mul(p)
                    .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
                    .or_else(|| {
                        r.at(
                            c.span(),
                            format!("{ctx}: cap: {p} % of {fee} cannot be computed exactly"),
                        );
                        None
                    }),
                _ => {
                    r.at(c.span(), format!("{ctx}: cap: expected a percentage of the monthly fee such as \"25%\", found {s:?}"));
                    None
                }
            };
        }
    }
    let what = format!("{ctx}: cap");
    let d = decimal(c, &what, r)?;
    amount(d, currency, c, &what, r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::calendars::parse_calendars;

    fn cals() -> Calendars {
        parse_calendars(
            Path::new("c.toml"),
            "[calendar.24x7]\ntimezone = \"UTC\"\nalways = true\n",
        )
        .unwrap()
    }

    fn errors(text: &str) -> String {
        parse_contracts(Path::new("k.toml"), text, &cals())
            .unwrap_err()
            .to_string()
    }

    const GOOD: &str = r#"
[[contract]]
id = "acme"
customer = "acme-telecom"
monthly_fee = "12000.00"
currency = "EUR"
timezone = "Europe/London"

[[contract.term]]
id = "availability"
kpi = "availability"
operator = "below"
exclude = ["customer", "maintenance"]
tiers = [
  { below = "99.9", percent = "5" },
  { below = "99.5", percent = "10" },
  { below = "99.0", percent = "25" },
]
cap = "20%"

[[contract.term]]
id = "restore-p1"
kpi = "time_to_restore"
priorities = ["P1"]
operator = "above"
threshold = "4h"
calendar = "24x7"
fixed = "250.00"
cap = 1000
"#;

    #[test]
    fn parses_a_contract_with_tiers_and_caps() {
        let c = parse_contracts(Path::new("k.toml"), GOOD, &cals()).unwrap();
        let acme = c.get("acme").unwrap();
        assert_eq!(acme.timezone, chrono_tz::Europe::London);
        assert_eq!(acme.rounding, Rounding::HalfEven);
        let avail = &acme.terms[0];
        assert_eq!(avail.threshold, Bound::Percent(Decimal::new(999, 1)));
        assert_eq!(avail.cap, Some(Decimal::new(240000, 2)));
        assert_eq!(avail.tiers().unwrap().len(), 3);
        let restore = &acme.terms[1];
        assert_eq!(restore.threshold, Bound::Duration(240 * MICROS_PER_MIN));
        assert_eq!(restore.cap, Some(Decimal::new(1000, 0)));
        assert_eq!(acme.ledger(), "penalties:acme");
    }

    #[test]
    fn mistakes_are_located_and_explained() {
        let e = errors(&GOOD.replace("\"12000.00\"", "12000.5"));
        assert!(
            e.contains("k.toml:5:15: contract `acme`: monthly_fee: 12000.5 is a TOML float"),
            "{e}"
        );
        let e = errors(&GOOD.replace("{ below = \"99.5\"", "{ below = \"99.95\""));
        assert!(
            e.contains("k.toml:16:13:") && e.contains("mildest band to the most severe"),
            "{e}"
        );
        let e = errors(&GOOD.replace("operator = \"above\"", "operator = \"over\""));
        assert!(
            e.contains("k.toml:25:12:") && e.contains("expected \"below\""),
            "{e}"
        );
        let e = errors(&GOOD.replace("threshold = \"4h\"", "threshold = \"4 hours\""));
        assert!(
            e.contains("k.toml:26:13:") && e.contains("expected a duration"),
            "{e}"
        );
        let e = errors(&GOOD.replace("fixed = \"250.00\"", "fixed = \"250.005\""));
        assert!(e.contains("more decimals than EUR has (2)"), "{e}");
        let e = errors(&GOOD.replace("kpi = \"time_to_restore\"", "kpi = \"mttr\""));
        assert!(
            e.contains("unknown kpi \"mttr\", expected one of availability"),
            "{e}"
        );
        let e = errors(&GOOD.replace("calendar = \"24x7\"", "calendar = \"mars\""));
        assert!(e.contains("unknown calendar `mars`"), "{e}");
        let e = errors(&GOOD.replace("{ below = \"99.0\"", "{ above = \"99.0\""));
        assert!(
            e.contains("`above` does not match the term's operator \"below\""),
            "{e}"
        );
        let e = errors(&GOOD.replace("fixed = \"250.00\"", ""));
        assert!(e.contains("no penalty: expected `fixed"), "{e}");
        let e = errors(&GOOD.replace("id = \"restore-p1\"", "id = \"availability\""));
        assert!(e.contains("term `availability` is defined twice"), "{e}");
        let e = errors(&GOOD.replace("Europe/London", "Mars/Olympus"));
        assert!(
            e.contains("k.toml:7:12:") && e.contains("unknown time zone"),
            "{e}"
        );
        let huge = "\"79228162514264337593543950335\"";
        let e = errors(&GOOD.replace("\"12000.00\"", huge));
        assert!(
            e.contains("k.toml:5:15: contract `acme`: monthly_fee: 79228162514264337593543950335 is more than the largest amount slawatch takes (1000000000000000)"),
            "{e}"
        );
        let e = errors(&GOOD.replace("\"250.00\"", huge));
        assert!(
            e.contains("k.toml:28:9: contract `acme`, term `restore-p1`: fixed: 79228162514264337593543950335 is more than the largest amount"),
            "{e}"
        );
        let e = errors(&GOOD.replace("cap = 1000", &format!("cap = {huge}")));
        assert!(
            e.contains("k.toml:29:7:")
                && e.contains("cap: 79228162514264337593543950335 is more than"),
            "{e}"
        );
        let e = errors(&GOOD.replace("\"250.00\"", "\"-250.00\""));
        assert!(
            e.contains("fixed: must not be negative, found -250.00"),
            "{e}"
        );
        let e = errors("[[contract]]\nid = \"x\"\n");
        assert!(
            e.contains("k.toml:1:1:") && e.contains("missing field"),
            "{e}"
        );
    }
}
