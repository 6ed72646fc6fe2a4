//! Computing a contract's KPIs and penalties for one billing month, step by step.

use rust_decimal::Decimal;
use serde::Serialize;

use super::book::{Book, Env, TicketView};
use super::contract::{
    format_duration, Bound, Contract, Kpi, Operator, PenaltyRule, Rate, Term, Tier,
};
use super::money::{add_to, format_money, saturating_sum, MAX_AMOUNT};
use super::month::Month;
use super::{fmt_instant, fmt_minutes};
use crate::sla::calendar::{Micros, MICROS_PER_MIN};
use crate::sla::clock::{cycles, Cycle};
use crate::sla::{Calendar, Metric};

/// One ticket's share of a term's figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineItem {
    pub ticket: String,
    /// The ticket's own measure (its outage minutes, its restore time...).
    pub actual: String,
    /// Whether this ticket breached the term (per-ticket KPIs) or counted against it.
    pub breach: bool,
    /// The tier reached by this ticket (per-ticket tiered terms), 0 = mildest.
    pub band: Option<usize>,
    /// What this ticket costs, exactly (per-ticket KPIs); zero otherwise.
    pub amount: Decimal,
    pub text: String,
}

/// Availability figures of a term for the month, as of the book's instant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AvailabilityFigures {
    /// Length of the billing month.
    pub month_us: Micros,
    /// Outage counted: the union of every ticket's outage minus exclusions.
    pub outage_us: Micros,
    /// Pause time excluded from outages (customer-caused, maintenance...).
    pub excluded_us: Micros,
    /// Availability %, for display (4 decimals, half-even); breaches are decided on the
    /// exact fraction `(month_us − outage_us) / month_us`.
    pub percent: Decimal,
    /// Outage the mildest threshold allows in this month (the error budget), in µs.
    pub allowed_us: Decimal,
    /// Whether an outage is still counting (open, not in an excluded pause).
    pub growing: bool,
}

/// A term's verdict for one month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TermResult {
    pub contract: String,
    pub customer: String,
    pub term: String,
    pub kpi: Kpi,
    pub period: Month,
    pub operator: Operator,
    pub threshold: String,
    /// The KPI's value in words ("99.3943 %", "2 breaches of 5 tickets").
    pub actual: String,
    pub breached: bool,
    /// Tiered monthly terms: the band reached, 0 = mildest.
    pub band: Option<usize>,
    pub band_label: Option<String>,
    pub items: Vec<LineItem>,
    /// Sum before the cap, exact.
    pub exact: Decimal,
    /// After the cap, exact.
    pub capped: Decimal,
    /// Rounded once: what is owed.
    pub amount: Decimal,
    pub currency: String,
    /// Every ticket behind the figure (drill-down).
    pub tickets: Vec<String>,
    /// The calculation, one line per step.
    pub steps: Vec<String>,
    /// Why the figure may still change (month not over, outage still open...).
    pub pending: Vec<String>,
    pub availability: Option<AvailabilityFigures>,
    /// Outcomes measured (met + breached) for percentage KPIs and per-ticket KPIs.
    pub measured: u32,
    pub breaches: u32,
}

impl TermResult {
    pub fn is_final(&self) -> bool {
        self.pending.is_empty()
    }
}

/// A contract's verdicts for one month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContractMonth {
    pub contract: String,
    pub customer: String,
    pub period: Month,
    pub currency: String,
    pub monthly_fee: Decimal,
    pub timezone: String,
    pub start: Micros,
    pub end: Micros,
    pub as_of: Micros,
    pub terms: Vec<TermResult>,
    /// Sum of the terms' rounded amounts.
    pub total: Decimal,
}

/// The contract's tickets in `book` that can matter for `month`.
pub fn contract_views<'b>(
    contract: &Contract,
    book: &'b Book,
    month: Month,
) -> Vec<&'b TicketView> {
    let (_, end) = month.bounds(contract.timezone);
    book.tickets
        .iter()
        .filter(|t| {
            let f = &t.sla.facts;
            contract.covers(&f.customer, f.service.as_deref()) && f.detected_at < end
        })
        .collect()
}

/// Every term of `contract` for `month`, as of the book's instant.
pub fn evaluate_contract(
    env: Env<'_>,
    contract: &Contract,
    book: &Book,
    month: Month,
) -> ContractMonth {
    let views = contract_views(contract, book, month);
    evaluate_views(env, contract, month, &views, book.now_micros())
}

/// Every term over an explicit set of ticket views (forecasts swap some for later ones).
pub fn evaluate_views(
    env: Env<'_>,
    contract: &Contract,
    month: Month,
    views: &[&TicketView],
    as_of: Micros,
) -> ContractMonth {
    let (start, end) = month.bounds(contract.timezone);
    let terms: Vec<TermResult> = contract
        .terms
        .iter()
        .map(|t| evaluate_term(env, contract, t, month, views, as_of))
        .collect();
    ContractMonth {
        contract: contract.id.clone(),
        customer: contract.customer.clone(),
        period: month,
        currency: contract.currency.clone(),
        monthly_fee: contract.monthly_fee,
        timezone: contract.timezone.name().to_owned(),
        start,
        end,
        as_of,
        total: saturating_sum(terms.iter().map(|t| t.amount)),
        terms,
    }
}

/// One term for one month.
pub fn evaluate_term(
    env: Env<'_>,
    contract: &Contract,
    term: &Term,
    month: Month,
    views: &[&TicketView],
    as_of: Micros,
) -> TermResult {
    let tz = contract.timezone;
    let (start, end) = month.bounds(tz);
    let mut r = blank_result(contract, term, month);
    r.steps.push(format!(
        "term `{}` of contract `{}` ({}): {} {} {}{}",
        term.id,
        contract.id,
        contract.customer,
        term.kpi.label(),
        term.operator.as_str(),
        r.threshold,
        if term.priorities.is_empty() {
            String::new()
        } else {
            let p: Vec<String> = term.priorities.iter().map(|p| p.to_string()).collect();
            format!(", tickets of priority {}", p.join(", "))
        }
    ));
    r.steps.push(format!(
        "billing month {month} in {}: {} to {} = {} minutes",
        tz.name(),
        fmt_instant(start, tz),
        fmt_instant(end, tz),
        fmt_minutes(end - start)
    ));
    if as_of < end {
        r.pending.push(format!(
            "the month is not over: figures as of {}",
            fmt_instant(as_of, tz)
        ));
        r.steps.push(format!(
            "as of {} (the month is not over)",
            fmt_instant(as_of, tz)
        ));
    }
    let views: Vec<&TicketView> = views
        .iter()
        .copied()
        .filter(|v| term.applies_to(v.sla.facts.priority))
        .collect();
    match term.kpi {
        Kpi::Availability => availability(contract, term, &views, start, end, &mut r),
        Kpi::TimeToRestore | Kpi::TimeToAcknowledge => {
            per_ticket(env, contract, term, &views, start, end, &mut r)
        }
        Kpi::ClientUpdateAdherence => adherence(env, contract, term, &views, start, end, &mut r),
        Kpi::BreachCount => breach_count(env, contract, term, &views, start, end, &mut r),
    }
    finish(contract, term, &mut r);
    r
}

/// A term's result before anything is measured.
fn blank_result(contract: &Contract, term: &Term, month: Month) -> TermResult {
    TermResult {
        contract: contract.id.clone(),
        customer: contract.customer.clone(),
        term: term.id.clone(),
        kpi: term.kpi,
        period: month,
        operator: term.operator,
        threshold: term.threshold.to_string(),
        actual: String::new(),
        breached: false,
        band: None,
        band_label: None,
        items: Vec::new(),
        exact: Decimal::ZERO,
        capped: Decimal::ZERO,
        amount: Decimal::ZERO,
        currency: contract.currency.clone(),
        tickets: Vec::new(),
        steps: Vec::new(),
        pending: Vec::new(),
        availability: None,
        measured: 0,
        breaches: 0,
    }
}

/// An availability term's verdict for `outage_us` of outage in its month (what
/// `evaluate_term` decides from the union of the outages), without the line items:
/// `breached`, `band`, `band_label`, `exact`, `capped` and `amount` are set. The
/// compliance view's one-more-hour forecasts use it when they know the union already.
pub fn availability_verdict(
    contract: &Contract,
    term: &Term,
    month: Month,
    month_us: Micros,
    outage_us: Micros,
) -> TermResult {
    let mut r = blank_result(contract, term, month);
    let up = month_us - outage_us;
    r.actual = format!("{} %", percent_of(up, month_us));
    let beyond = |b: &Bound| match b {
        Bound::Percent(p) => ratio_beyond(term.operator, up, month_us, *p),
        _ => false,
    };
    monthly_verdict(contract, term, &beyond, &mut r);
    finish(contract, term, &mut r);
    r
}

/// A per-ticket, adherence or breach-count term's verdict from its totals (what
/// `evaluate_term` decides once it has summed its tickets' shares): `exact` is the sum
/// of the per-ticket amounts (per-ticket KPIs only), `measured` and `breaches` as in a
/// [`TermResult`]. `None` for availability (see [`availability_verdict`]). Without
/// line items; `breached`, `band`, `exact`, `capped`, `amount` are set.
pub fn verdict_from_totals(
    contract: &Contract,
    term: &Term,
    month: Month,
    exact: Decimal,
    measured: u32,
    breaches: u32,
) -> Option<TermResult> {
    let mut r = blank_result(contract, term, month);
    r.measured = measured;
    r.breaches = breaches;
    match term.kpi {
        Kpi::Availability => return None,
        Kpi::TimeToRestore | Kpi::TimeToAcknowledge => {
            r.exact = exact;
            r.breached = breaches > 0;
        }
        Kpi::ClientUpdateAdherence => {
            if measured > 0 {
                let met = Micros::from(measured.saturating_sub(breaches));
                let beyond = |b: &Bound| match b {
                    Bound::Percent(p) => {
                        ratio_beyond(term.operator, met, Micros::from(measured), *p)
                    }
                    _ => false,
                };
                monthly_verdict(contract, term, &beyond, &mut r);
                r.breaches = breaches;
            }
        }
        Kpi::BreachCount => {
            let count = u64::from(measured);
            let beyond = |b: &Bound| match b {
                Bound::Count(n) => count_beyond(term.operator, count, *n),
                _ => false,
            };
            monthly_verdict(contract, term, &beyond, &mut r);
            r.breaches = measured;
        }
    }
    finish(contract, term, &mut r);
    Some(r)
}

/// Notes that a figure does not fit a `Decimal` (only a crafted contract could make
/// one): the result says so and is not final, so it is never recorded; the figure
/// left out is zero.
fn too_large(r: &mut TermResult) -> Decimal {
    let why = "the penalty is too large to compute exactly".to_owned();
    if !r.pending.contains(&why) {
        r.steps.push(why.clone());
        r.pending.push(why);
    }
    Decimal::ZERO
}

fn finish(contract: &Contract, term: &Term, r: &mut TermResult) {
    let cur = &contract.currency;
    r.capped = r.exact;
    if let Some(cap) = term.cap {
        if r.exact > cap {
            r.capped = cap;
            r.steps.push(format!(
                "cap per month {cap} {cur}: {} {cur} > {cap} {cur}, so {cap} {cur}",
                r.exact
            ));
        } else if r.breached {
            r.steps
                .push(format!("cap per month {cap} {cur}: not reached"));
        }
    }
    let places = contract.minor_units();
    r.amount = contract.rounding.round(r.capped, places);
    if r.amount > MAX_AMOUNT {
        let why = format!(
            "{} {cur} is more than the largest amount slawatch records ({MAX_AMOUNT} {cur}): set a cap",
            r.amount
        );
        r.steps.push(why.clone());
        r.pending.push(why);
    }
    if r.breached {
        r.steps.push(format!(
            "{} {cur} {}: {}",
            r.capped,
            contract.rounding.describe(places),
            format_money(r.amount, cur)
        ));
    } else {
        r.amount = contract.rounding.round(Decimal::ZERO, places);
        r.steps.push(format!(
            "no breach: no penalty ({})",
            format_money(r.amount, cur)
        ));
    }
    r.tickets.sort();
    r.tickets.dedup();
}

/// `[from, to)` in µs.
pub type Span = (Micros, Micros);
/// An excluded stretch of outage and the pause reason that excludes it.
pub type Excluded = (Micros, Micros, String);

/// `[from, to)` pieces of one ticket's outage inside `[lo, hi)`, minus excluded pauses;
/// and the excluded time. Open outages and pauses run until `as_of`.
pub fn outage_pieces(
    v: &TicketView,
    exclude: &[String],
    lo: Micros,
    hi: Micros,
) -> (Vec<Span>, Vec<Excluded>) {
    let f = &v.sla.facts;
    let o_from = f.detected_at.max(lo);
    let o_to = f
        .restored_at
        .unwrap_or(v.as_of)
        .min(hi)
        .min(v.as_of.max(f.detected_at));
    if o_from >= o_to {
        return (Vec::new(), Vec::new());
    }
    let mut cuts: Vec<(Micros, Micros, String)> = f
        .pauses
        .iter()
        .filter(|p| exclude.iter().any(|x| **x == *p.reason))
        .map(|p| {
            (
                p.from.max(o_from),
                p.to.unwrap_or(v.as_of).min(o_to),
                p.reason.to_string(),
            )
        })
        .filter(|(a, b, _)| a < b)
        .collect();
    cuts.sort_by_key(|c| c.0);
    let mut pieces = Vec::new();
    let mut cursor = o_from;
    let mut excluded = Vec::new();
    for (a, b, why) in cuts {
        if b <= cursor {
            continue;
        }
        let a = a.max(cursor);
        if a > cursor {
            pieces.push((cursor, a));
        }
        excluded.push((a, b, why));
        cursor = b;
    }
    if cursor < o_to {
        pieces.push((cursor, o_to));
    }
    (pieces, excluded)
}

/// Total length of the union of intervals.
pub fn union_length(mut spans: Vec<(Micros, Micros)>) -> Micros {
    spans.sort_unstable();
    let mut total = 0;
    let mut cur: Option<(Micros, Micros)> = None;
    for (a, b) in spans {
        match &mut cur {
            Some((_, e)) if a <= *e => *e = (*e).max(b),
            _ => {
                if let Some((s, e)) = cur {
                    total += e - s;
                }
                cur = Some((a, b));
            }
        }
    }
    if let Some((s, e)) = cur {
        total += e - s;
    }
    total
}

/// Whether `actual` (as the exact fraction `num / den` of 100 %) is beyond `bound`.
fn ratio_beyond(op: Operator, num: Micros, den: Micros, bound: Decimal) -> bool {
    // actual % = num / den × 100; compare num × 100 with bound × den, exactly.
    let lhs = Decimal::from(num) * Decimal::ONE_HUNDRED;
    let rhs = bound * Decimal::from(den);
    match op {
        Operator::Below => lhs < rhs,
        Operator::Above => lhs > rhs,
    }
}

fn duration_beyond(op: Operator, actual: Micros, bound: Micros) -> bool {
    match op {
        Operator::Below => actual < bound,
        Operator::Above => actual > bound,
    }
}

fn count_beyond(op: Operator, actual: u64, bound: u64) -> bool {
    match op {
        Operator::Below => actual < bound,
        Operator::Above => actual > bound,
    }
}

/// Percent with 4 decimals, half-even (display only).
pub fn percent_of(num: Micros, den: Micros) -> Decimal {
    if den == 0 {
        return Decimal::new(1_000_000, 4);
    }
    let p = Decimal::from(num) * Decimal::ONE_HUNDRED / Decimal::from(den);
    let mut p = p.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointNearestEven);
    p.rescale(4);
    p
}

fn tier_label(op: Operator, t: &Tier, monthly_fee: Decimal, cur: &str) -> String {
    let rate = match t.rate {
        Rate::Fixed(a) => format!("{a} {cur}"),
        Rate::Percent(p) => format!("{p} % of {monthly_fee} {cur}"),
    };
    format!("{} {} → {rate}", op.as_str(), t.bound)
}

/// The furthest band whose bound `beyond` says is crossed, by index (tiers mildest first).
fn band_of(tiers: &[Tier], beyond: impl Fn(&Bound) -> bool) -> Option<usize> {
    tiers.iter().rposition(|t| beyond(&t.bound))
}

fn availability(
    contract: &Contract,
    term: &Term,
    views: &[&TicketView],
    start: Micros,
    end: Micros,
    r: &mut TermResult,
) {
    let tz = contract.timezone;
    let month_us = end - start;
    if !term.exclude.is_empty() {
        r.steps.push(format!(
            "outage = detected → restored, minus pauses the contract excludes ({}), clipped to the month",
            term.exclude.join(", ")
        ));
    } else {
        r.steps
            .push("outage = detected → restored, clipped to the month (no exclusions)".into());
    }
    let mut all = Vec::new();
    let mut excluded_total = 0;
    let mut growing = false;
    for v in views {
        let (pieces, excluded) = outage_pieces(v, &term.exclude, start, end);
        if pieces.is_empty() && excluded.is_empty() {
            continue;
        }
        let f = &v.sla.facts;
        let own: Micros = pieces.iter().map(|(a, b)| b - a).sum();
        let ex: Micros = excluded.iter().map(|(a, b, _)| b - a).sum();
        excluded_total += ex;
        let open = f.restored_at.is_none();
        let counting_now = open && pieces.last().is_some_and(|p| p.1 >= v.as_of);
        growing |= counting_now;
        let to = match f.restored_at {
            Some(t) => format!("restored {}", fmt_instant(t, tz)),
            None if v.as_of >= end => "not restored by the end of the month".to_owned(),
            None => format!("still open at {}", fmt_instant(v.as_of, tz)),
        };
        let mut text = format!(
            "{} ({}): detected {} → {}",
            v.id(),
            f.priority,
            fmt_instant(f.detected_at, tz),
            to
        );
        if f.detected_at < start || f.restored_at.is_none_or(|t| t > end) {
            text.push_str(&format!(
                "; in this month {} → {}",
                fmt_instant(f.detected_at.max(start), tz),
                fmt_instant(f.restored_at.unwrap_or(v.as_of).min(end), tz)
            ));
        }
        for (a, b, why) in &excluded {
            text.push_str(&format!(
                "; minus pause `{why}` {} → {} ({} min)",
                fmt_instant(*a, tz),
                fmt_instant(*b, tz),
                fmt_minutes(b - a)
            ));
        }
        text.push_str(&format!(" = {} min", fmt_minutes(own)));
        if open && v.as_of < end {
            r.pending.push(format!(
                "{} is still open: its outage counts until now",
                v.id()
            ));
        }
        r.steps.push(text.clone());
        r.items.push(LineItem {
            ticket: v.id().to_owned(),
            actual: format!("{} min", fmt_minutes(own)),
            breach: own > 0,
            band: None,
            amount: Decimal::ZERO,
            text,
        });
        r.tickets.push(v.id().to_owned());
        all.extend(pieces);
    }
    let outage = union_length(all.clone());
    let sum_pieces: Micros = all.iter().map(|(a, b)| b - a).sum();
    if sum_pieces != outage {
        r.steps.push(format!(
            "overlapping outages count once: {} min of outages, {} min of them overlapping, union {} min",
            fmt_minutes(sum_pieces),
            fmt_minutes(sum_pieces - outage),
            fmt_minutes(outage)
        ));
    } else {
        r.steps
            .push(format!("outage in the month = {} min", fmt_minutes(outage)));
    }
    let up = month_us - outage;
    let pct = percent_of(up, month_us);
    r.steps.push(format!(
        "availability = ({} − {}) / {} × 100 = {} % (to 4 decimals; compared exactly)",
        fmt_minutes(month_us),
        fmt_minutes(outage),
        fmt_minutes(month_us),
        pct
    ));
    r.actual = format!("{pct} %");
    r.measured = r.items.len() as u32;
    let mildest = match &term.threshold {
        Bound::Percent(p) => *p,
        _ => Decimal::ONE_HUNDRED,
    };
    let allowed = Decimal::from(month_us) * (Decimal::ONE_HUNDRED - mildest) / Decimal::ONE_HUNDRED;
    r.availability = Some(AvailabilityFigures {
        month_us,
        outage_us: outage,
        excluded_us: excluded_total,
        percent: pct,
        allowed_us: allowed,
        growing,
    });
    let beyond = |b: &Bound| match b {
        Bound::Percent(p) => ratio_beyond(term.operator, up, month_us, *p),
        _ => false,
    };
    monthly_verdict(contract, term, &beyond, r);
}

/// Applies a monthly term's verdict: flat or tiered, once.
fn monthly_verdict(
    contract: &Contract,
    term: &Term,
    beyond: &dyn Fn(&Bound) -> bool,
    r: &mut TermResult,
) {
    let cur = &contract.currency;
    let fee = contract.monthly_fee;
    match &term.rule {
        PenaltyRule::Flat(rate) => {
            if beyond(&term.threshold) {
                r.breached = true;
                r.breaches = 1;
                r.steps.push(format!(
                    "{} {} {}: breach; penalty {}",
                    r.actual,
                    term.operator.symbol(),
                    r.threshold,
                    rate.describe(fee, cur)
                ));
                r.exact = rate.amount(fee).unwrap_or_else(|| too_large(r));
            } else {
                r.steps.push(format!(
                    "{} is not {} {}: met",
                    r.actual,
                    term.operator.as_str(),
                    r.threshold
                ));
            }
        }
        PenaltyRule::Tiered(tiers) => {
            for (i, t) in tiers.iter().enumerate() {
                r.steps.push(format!(
                    "band {}: {}",
                    i + 1,
                    tier_label(term.operator, t, fee, cur)
                ));
            }
            match band_of(tiers, beyond) {
                Some(i) => {
                    let t = &tiers[i];
                    r.breached = true;
                    r.breaches = 1;
                    r.band = Some(i);
                    r.band_label = Some(tier_label(term.operator, t, fee, cur));
                    r.steps.push(format!(
                        "{} {} {}: band {} applies; penalty {}",
                        r.actual,
                        term.operator.symbol(),
                        t.bound,
                        i + 1,
                        t.rate.describe(fee, cur)
                    ));
                    r.exact = t.rate.amount(fee).unwrap_or_else(|| too_large(r));
                }
                None => r.steps.push(format!(
                    "{} is not {} {}: no band applies",
                    r.actual,
                    term.operator.as_str(),
                    r.threshold
                )),
            }
        }
    }
}

/// A ticket's measure of a per-ticket KPI: its cycle against the term's threshold.
struct Measured {
    target: Micros,
    elapsed: Micros,
    /// When the threshold was crossed.
    breached_at: Option<Micros>,
    /// When the clock stopped in time.
    met_at: Option<Micros>,
    running: bool,
}

fn measure_ticket(env: Env<'_>, term: &Term, metric: Metric, v: &TicketView) -> Option<Measured> {
    let sla = &v.sla;
    match &term.threshold {
        Bound::Target => {
            let c = sla.clocks.iter().find(|c| c.metric == metric)?;
            Some(Measured {
                target: c.target,
                elapsed: c.elapsed,
                breached_at: c.breached_at,
                met_at: (c.breached_at.is_none()).then_some(c.stopped_at).flatten(),
                running: c.stopped_at.is_none(),
            })
        }
        Bound::Duration(d) => {
            let target = match term.tiers() {
                // Tiered: measure against the mildest bound; the band comes from elapsed.
                Some(t) => match t.first().map(|t| &t.bound) {
                    Some(Bound::Duration(x)) => *x,
                    _ => *d,
                },
                None => *d,
            };
            let policy = env.policies.get(&sla.policy)?;
            let cal: &Calendar = env
                .calendars
                .get(term.calendar.as_deref().unwrap_or(&sla.calendar))?;
            let now = chrono::DateTime::from_timestamp_micros(v.as_of)?;
            let cs: Vec<Cycle> = cycles(&sla.facts, policy, cal, metric, target, now);
            let c = cs.last()?;
            Some(Measured {
                target,
                elapsed: c.elapsed,
                breached_at: if c.late { c.due } else { None },
                met_at: if c.late { None } else { c.end },
                running: c.end.is_none(),
            })
        }
        _ => None,
    }
}

fn per_ticket(
    env: Env<'_>,
    contract: &Contract,
    term: &Term,
    views: &[&TicketView],
    start: Micros,
    end: Micros,
    r: &mut TermResult,
) {
    let tz = contract.timezone;
    let cur = &contract.currency;
    let fee = contract.monthly_fee;
    let metric = term.kpi.metric().expect("per-ticket KPIs read a clock");
    r.steps.push(format!(
        "each ticket whose {} clock crossed the threshold in the month is one breach (working time on {})",
        metric,
        term.calendar.as_deref().unwrap_or("the ticket's policy calendar")
    ));
    let mut met = 0u32;
    for v in views {
        let Some(m) = measure_ticket(env, term, metric, v) else {
            continue;
        };
        let in_month = |t: Micros| t >= start && t < end;
        if let Some(at) = m.breached_at.filter(|&t| in_month(t)) {
            let (band, rate) = match &term.rule {
                PenaltyRule::Flat(rate) => (None, *rate),
                PenaltyRule::Tiered(tiers) => {
                    let b = band_of(tiers, |b| match b {
                        Bound::Duration(x) => duration_beyond(term.operator, m.elapsed, *x),
                        _ => false,
                    })
                    .unwrap_or(0);
                    (Some(b), tiers[b].rate)
                }
            };
            let amount = rate.amount(fee).unwrap_or_else(|| too_large(r));
            // A running clock's elapsed time grows with `now`: say "more than" the
            // threshold, so a closed month's figure does not change with the day it is read.
            let actual = if m.running {
                format!("more than {}", format_duration(m.target))
            } else {
                format_duration(m.elapsed)
            };
            let text = format!(
                "{} ({}): {} {} against {}, crossed at {}{}{}; penalty {}",
                v.id(),
                v.sla.facts.priority,
                metric,
                actual,
                format_duration(m.target),
                fmt_instant(at, tz),
                if m.running {
                    " (clock still running)"
                } else {
                    ""
                },
                band.map_or(String::new(), |b| format!(", band {}", b + 1)),
                rate.describe(fee, cur)
            );
            if m.running && band.is_some() {
                r.pending.push(format!(
                    "{} is still running: its band can still rise",
                    v.id()
                ));
            }
            r.steps.push(text.clone());
            r.items.push(LineItem {
                ticket: v.id().to_owned(),
                actual,
                breach: true,
                band,
                amount,
                text,
            });
            r.tickets.push(v.id().to_owned());
            if !add_to(&mut r.exact, amount) {
                too_large(r);
            }
            r.breaches += 1;
        } else if m.met_at.is_some_and(in_month) {
            met += 1;
            r.tickets.push(v.id().to_owned());
            r.items.push(LineItem {
                ticket: v.id().to_owned(),
                actual: format_duration(m.elapsed),
                breach: false,
                band: None,
                amount: Decimal::ZERO,
                text: format!("{}: met", v.id()),
            });
        }
    }
    r.measured = met + r.breaches;
    r.breached = r.breaches > 0;
    r.actual = format!("{} of {} tickets late", r.breaches, r.measured);
    if r.breached {
        r.steps.push(format!(
            "{} breach(es): {} + … = {} {cur}",
            r.breaches,
            r.items
                .iter()
                .filter(|i| i.breach)
                .map(|i| i.amount.to_string())
                .collect::<Vec<_>>()
                .join(" + "),
            r.exact
        ));
    } else {
        r.steps
            .push(format!("{} ticket(s) measured, none late", r.measured));
    }
}

/// Client-update cycles of the ticket decided in `[start, end)`: (met, late, due of late).
pub(crate) fn update_cycles(
    env: Env<'_>,
    v: &TicketView,
    start: Micros,
    end: Micros,
) -> Vec<(bool, Micros)> {
    let sla = &v.sla;
    let Some(clock) = sla.clocks.iter().find(|c| c.metric == Metric::ClientUpdate) else {
        return Vec::new();
    };
    let (Some(policy), Some(cal)) = (
        env.policies.get(&sla.policy),
        env.calendars.get(&sla.calendar),
    ) else {
        return Vec::new();
    };
    let Some(now) = chrono::DateTime::from_timestamp_micros(v.as_of) else {
        return Vec::new();
    };
    cycles(
        &sla.facts,
        policy,
        cal,
        Metric::ClientUpdate,
        clock.target,
        now,
    )
    .into_iter()
    .filter_map(|c| {
        if c.late {
            c.due.map(|d| (false, d))
        } else {
            c.end.map(|e| (true, e))
        }
    })
    .filter(|&(_, t)| t >= start && t < end)
    .collect()
}

fn adherence(
    env: Env<'_>,
    contract: &Contract,
    term: &Term,
    views: &[&TicketView],
    start: Micros,
    end: Micros,
    r: &mut TermResult,
) {
    let tz = contract.timezone;
    r.steps.push(
        "adherence = client-update cycles on time / cycles decided in the month (a late cycle at its deadline, an on-time one at the update) × 100"
            .into(),
    );
    let (mut met, mut late) = (0u32, 0u32);
    for v in views {
        let cs = update_cycles(env, v, start, end);
        if cs.is_empty() {
            continue;
        }
        let m = cs.iter().filter(|c| c.0).count() as u32;
        let l = cs.len() as u32 - m;
        met += m;
        late += l;
        let lates: Vec<String> = cs
            .iter()
            .filter(|c| !c.0)
            .map(|c| fmt_instant(c.1, tz))
            .collect();
        let text = if lates.is_empty() {
            format!(
                "{} ({}): {m} update(s) on time",
                v.id(),
                v.sla.facts.priority
            )
        } else {
            format!(
                "{} ({}): {m} on time, {l} late (due {})",
                v.id(),
                v.sla.facts.priority,
                lates.join(", ")
            )
        };
        r.steps.push(text.clone());
        r.items.push(LineItem {
            ticket: v.id().to_owned(),
            actual: format!("{m}/{}", m + l),
            breach: l > 0,
            band: None,
            amount: Decimal::ZERO,
            text,
        });
        r.tickets.push(v.id().to_owned());
    }
    let total = met + late;
    r.measured = total;
    r.breaches = late;
    if total == 0 {
        r.actual = "no cycles decided".into();
        r.steps
            .push("no client-update cycle was decided in the month: nothing to measure".into());
        return;
    }
    let pct = percent_of(Micros::from(met), Micros::from(total));
    r.actual = format!("{pct} %");
    r.steps.push(format!(
        "adherence = {met} / {total} × 100 = {pct} % (to 4 decimals; compared exactly)"
    ));
    let beyond = |b: &Bound| match b {
        Bound::Percent(p) => {
            ratio_beyond(term.operator, Micros::from(met), Micros::from(total), *p)
        }
        _ => false,
    };
    let breaches = r.breaches;
    monthly_verdict(contract, term, &beyond, r);
    r.breaches = breaches;
}

fn breach_count(
    env: Env<'_>,
    contract: &Contract,
    term: &Term,
    views: &[&TicketView],
    start: Micros,
    end: Micros,
    r: &mut TermResult,
) {
    let tz = contract.timezone;
    let metrics: Vec<Metric> = if term.metrics.is_empty() {
        Metric::ALL.to_vec()
    } else {
        term.metrics.clone()
    };
    r.steps.push(format!(
        "count SLA breaches of {} clocks whose deadline passed in the month",
        metrics
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut count = 0u64;
    for v in views {
        let mut mine = Vec::new();
        for c in v.sla.clocks.iter().filter(|c| metrics.contains(&c.metric)) {
            if c.metric == Metric::ClientUpdate {
                for (_, due) in update_cycles(env, v, start, end)
                    .into_iter()
                    .filter(|c| !c.0)
                {
                    mine.push(format!("client_update due {}", fmt_instant(due, tz)));
                }
            } else if let Some(at) = c.breached_at.filter(|&t| t >= start && t < end) {
                mine.push(format!("{} due {}", c.metric, fmt_instant(at, tz)));
            }
        }
        if mine.is_empty() {
            continue;
        }
        count += mine.len() as u64;
        let text = format!("{} ({}): {}", v.id(), v.sla.facts.priority, mine.join("; "));
        r.steps.push(text.clone());
        r.items.push(LineItem {
            ticket: v.id().to_owned(),
            actual: mine.len().to_string(),
            breach: true,
            band: None,
            amount: Decimal::ZERO,
            text,
        });
        r.tickets.push(v.id().to_owned());
    }
    r.measured = count as u32;
    r.actual = format!("{count} breach(es)");
    r.steps.push(format!("breaches in the month = {count}"));
    let beyond = |b: &Bound| match b {
        Bound::Count(n) => count_beyond(term.operator, count, *n),
        _ => false,
    };
    monthly_verdict(contract, term, &beyond, r);
    r.breaches = count as u32;
}

/// For an availability term: the outage left until the next band (or the first), from
/// the figures of a result.
pub fn next_band(
    term: &Term,
    fig: &AvailabilityFigures,
    current: Option<usize>,
) -> Option<(usize, Decimal)> {
    let tiers: Vec<Bound> = match &term.rule {
        PenaltyRule::Tiered(t) => t.iter().map(|t| t.bound.clone()).collect(),
        PenaltyRule::Flat(_) => vec![term.threshold.clone()],
    };
    let next = current.map_or(0, |c| c + 1);
    let Bound::Percent(p) = tiers.get(next)? else {
        return None;
    };
    if term.operator != Operator::Below {
        return None;
    }
    // Crossed once outage > month × (100 − p) / 100.
    let limit = Decimal::from(fig.month_us) * (Decimal::ONE_HUNDRED - *p) / Decimal::ONE_HUNDRED;
    Some((next, limit - Decimal::from(fig.outage_us)))
}

/// Minutes as a decimal, for callers that show durations (µs → min, exact to 6 places).
pub fn minutes_decimal(us: Decimal) -> Decimal {
    (us / Decimal::from(MICROS_PER_MIN)).round_dp(6).normalize()
}
