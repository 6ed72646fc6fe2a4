//! The figures behind the console's compliance view and the monthly report: per
//! customer and priority, adherence per metric, breaches, a per-day series, penalty
//! exposure so far, a forecast for open outages (if restored now, and in one hour),
//! error budgets with burn rates, and the open tickets that would tip a contract into
//! its next penalty band. Every figure carries the ids of the tickets behind it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::book::{Book, Env, RecordedPenalty, TicketView};
use super::contract::{Contract, Contracts, Kpi, PenaltyRule, Term};
use super::engine::{
    availability_verdict, contract_views, evaluate_term, evaluate_views, next_band, outage_pieces,
    union_length, update_cycles, verdict_from_totals, AvailabilityFigures, ContractMonth, Span,
    TermResult,
};
use super::money::saturating_sum;
use super::month::Month;
use crate::model::Priority;
use crate::sla::calendar::{Micros, MICROS_PER_MIN};
use crate::sla::Metric;

/// How far ahead the forecast looks.
pub const FORECAST_HORIZON: Micros = 60 * MICROS_PER_MIN;

/// A count and the distinct tickets behind it (sorted). `count` can exceed the number
/// of ids: a ticket has several client-update cycles. The ids are shared between every
/// figure that names the ticket (at 100,000 tickets, copies would take tens of MB).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tickets {
    pub count: u32,
    pub ids: Vec<Arc<str>>,
}

impl Tickets {
    pub fn add(&mut self, id: &Arc<str>) {
        self.count += 1;
        if let Err(i) = self.ids.binary_search_by(|x| (**x).cmp(id)) {
            self.ids.insert(i, Arc::clone(id));
        }
    }
}

/// Adherence of one metric: outcomes decided in the period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricFigures {
    pub metric: Metric,
    pub met: Tickets,
    pub breached: Tickets,
    /// met / (met + breached) × 100, 2 decimals half-even; `None` when nothing was
    /// decided.
    pub adherence: Option<Decimal>,
}

impl MetricFigures {
    fn new(metric: Metric) -> Self {
        MetricFigures {
            metric,
            met: Tickets::default(),
            breached: Tickets::default(),
            adherence: None,
        }
    }
}

/// One priority's figures (or all priorities', `priority: None`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PriorityFigures {
    pub priority: Option<Priority>,
    /// Tickets open at some point in the month.
    pub tickets: Tickets,
    pub metrics: Vec<MetricFigures>,
    /// Every breach decided in the month, whatever the metric.
    pub breaches: Tickets,
    /// Every outcome decided in the month.
    pub adherence: Option<Decimal>,
}

/// One local day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayFigures {
    pub date: NaiveDate,
    pub met: Tickets,
    pub breached: Tickets,
    pub adherence: Option<Decimal>,
    pub breaches_by_priority: BTreeMap<Priority, Tickets>,
}

/// Where an availability term stands against its mildest threshold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorBudget {
    pub term: String,
    /// Outage the mildest threshold allows this month, in minutes (exact).
    pub allowed_minutes: Decimal,
    pub used_minutes: Decimal,
    /// Negative once overspent.
    pub left_minutes: Decimal,
    /// Share of the budget spent divided by share of the month gone: 1 spends the
    /// budget exactly by the month's end, 2 twice as fast. `None` before the month
    /// starts or with no budget. 2 decimals.
    pub burn_rate: Option<Decimal>,
    /// An outage is counting right now.
    pub growing: bool,
    /// When the budget runs out if the outages counting now go on.
    pub exhausted_at: Option<Micros>,
    pub next_band: Option<NextBand>,
    pub tickets: Vec<String>,
    pub days: Vec<DayAvailability>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NextBand {
    /// 0 = mildest.
    pub band: usize,
    pub label: String,
    /// Outage minutes until the band applies (it applies once they are exceeded).
    pub minutes_left: Decimal,
    /// When, if the outages counting now go on.
    pub at: Option<Micros>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayAvailability {
    pub date: NaiveDate,
    pub outage_minutes: Decimal,
    /// Of the day, 4 decimals.
    pub availability: Decimal,
    pub tickets: Vec<String>,
}

/// An open ticket whose next hour changes what a contract term costs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TicketRisk {
    pub ticket: String,
    pub contract: String,
    pub term: String,
    pub kpi: Kpi,
    pub currency: String,
    /// The term's amount if the ticket were restored now, and if it stays open one hour more.
    pub if_restored_now: Decimal,
    pub in_1h: Decimal,
    pub band_now: Option<usize>,
    pub band_in_1h: Option<usize>,
    /// The ticket's next hour moves the term into a worse band (or into breach).
    pub tips_band: bool,
    pub text: String,
}

/// One contract in the compliance view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContractCompliance {
    pub contract: String,
    pub currency: String,
    /// As of now: penalty exposure so far, which is also the penalty if every open
    /// outage were restored now.
    pub now: ContractMonth,
    /// If nothing is restored or answered in the next hour.
    pub in_1h: ContractMonth,
    pub budgets: Vec<ErrorBudget>,
    pub at_risk: Vec<TicketRisk>,
    /// Penalty events recorded for this contract and month, with adjustments.
    pub recorded: Vec<RecordedPenalty>,
    /// What is owed by the records after adjustments.
    pub recorded_net: Decimal,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomerCompliance {
    pub customer: String,
    /// Zone of the days and month: the customer's first contract's, else UTC.
    pub timezone: String,
    pub all: PriorityFigures,
    pub priorities: Vec<PriorityFigures>,
    pub days: Vec<DayFigures>,
    pub contracts: Vec<ContractCompliance>,
    /// Penalty exposure so far, by currency.
    pub exposure: BTreeMap<String, Decimal>,
    /// Exposure in one hour if nothing is restored, by currency.
    pub forecast_1h: BTreeMap<String, Decimal>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Compliance {
    pub month: Month,
    pub now: Micros,
    /// The month is not over yet.
    pub in_progress: bool,
    pub customers: Vec<CustomerCompliance>,
    /// Queue marks: open tickets that would tip a contract into its next band within
    /// the hour (or add a penalty), by ticket id.
    pub marks: BTreeMap<String, Vec<TicketRisk>>,
}

/// The compliance view of `month` as of the book's instant, for one customer or all
/// (every customer with a contract or a ticket active in the month).
pub fn compliance(
    env: Env<'_>,
    contracts: &Contracts,
    book: &Book,
    month: Month,
    customer: Option<&str>,
) -> Compliance {
    let now = book.now_micros();
    let (_, month_end) = month.bounds(chrono_tz::UTC);
    // A month that is over has nothing left to forecast: "in 1 h" is what it ended at
    // (a day's margin for the contracts' time zones, whose month ends vary by hours).
    let ahead;
    let later: &Book = if now >= month_end + 24 * 60 * MICROS_PER_MIN {
        book
    } else {
        ahead = book.at(env, book.now + Duration::microseconds(FORECAST_HORIZON));
        &ahead
    };
    let names: BTreeSet<String> = contracts
        .customers()
        .into_iter()
        .chain(book.tickets.iter().map(|t| &*t.sla.facts.customer))
        .filter(|n| customer.is_none_or(|c| c == *n))
        .map(str::to_owned)
        .collect();
    let mut customers = Vec::new();
    let mut marks: BTreeMap<String, Vec<TicketRisk>> = BTreeMap::new();
    let mut any_tz = chrono_tz::UTC;
    for name in names {
        let tz = contracts
            .of_customer(&name)
            .next()
            .map_or(chrono_tz::UTC, |c| c.timezone);
        any_tz = tz;
        let views: Vec<&TicketView> = book
            .tickets
            .iter()
            .filter(|t| *t.sla.facts.customer == *name)
            .collect();
        let (all, priorities, days) = figures(env, &views, month, tz, now);
        if all.tickets.count == 0 && contracts.of_customer(&name).next().is_none() {
            continue;
        }
        let mut cc = CustomerCompliance {
            customer: name.clone(),
            timezone: tz.name().to_owned(),
            all,
            priorities,
            days,
            contracts: Vec::new(),
            exposure: BTreeMap::new(),
            forecast_1h: BTreeMap::new(),
        };
        for c in contracts.of_customer(&name) {
            let x = contract_compliance(env, c, book, later, month);
            for r in &x.at_risk {
                marks.entry(r.ticket.clone()).or_default().push(r.clone());
            }
            for (sums, add) in [
                (&mut cc.exposure, x.now.total),
                (&mut cc.forecast_1h, x.in_1h.total),
            ] {
                let sum = sums.entry(c.currency.clone()).or_default();
                *sum = saturating_sum([*sum, add]);
            }
            cc.contracts.push(x);
        }
        customers.push(cc);
    }
    let (_, end) = month.bounds(any_tz);
    Compliance {
        month,
        now,
        in_progress: now < end,
        customers,
        marks,
    }
}

impl Compliance {
    /// Every ticket list of the figures (customers, priorities, metrics, days).
    pub fn ticket_lists_mut(&mut self) -> impl Iterator<Item = &mut Tickets> {
        self.customers.iter_mut().flat_map(|cc| {
            let figures = std::iter::once(&mut cc.all)
                .chain(cc.priorities.iter_mut())
                .flat_map(|pf| {
                    [&mut pf.tickets, &mut pf.breaches].into_iter().chain(
                        pf.metrics
                            .iter_mut()
                            .flat_map(|m| [&mut m.met, &mut m.breached]),
                    )
                });
            let days = cc.days.iter_mut().flat_map(|d| {
                [&mut d.met, &mut d.breached]
                    .into_iter()
                    .chain(d.breaches_by_priority.values_mut())
            });
            figures.chain(days)
        })
    }
}

/// Whether an outcome or period is decided, and when.
struct Outcome {
    metric: Metric,
    met: bool,
    at: Micros,
}

fn outcomes(env: Env<'_>, v: &TicketView, start: Micros, end: Micros) -> Vec<Outcome> {
    let mut out = Vec::new();
    for c in &v.sla.clocks {
        if c.metric == Metric::ClientUpdate {
            for (met, at) in update_cycles(env, v, start, end) {
                out.push(Outcome {
                    metric: c.metric,
                    met,
                    at,
                });
            }
            continue;
        }
        let decided = match (c.breached_at, c.stopped_at) {
            (Some(b), _) => Some((false, b)),
            (None, Some(s)) => Some((true, s)),
            (None, None) => None,
        };
        if let Some((met, at)) = decided.filter(|&(_, at)| at >= start && at < end) {
            out.push(Outcome {
                metric: c.metric,
                met,
                at,
            });
        }
    }
    out
}

/// 2 decimals, half-even, from an exact fraction.
pub fn adherence(met: u32, total: u32) -> Option<Decimal> {
    (total > 0).then(|| {
        let mut p = (Decimal::from(met) * Decimal::ONE_HUNDRED / Decimal::from(total))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
        p.rescale(2);
        p
    })
}

type Figures = (PriorityFigures, Vec<PriorityFigures>, Vec<DayFigures>);

/// A month not yet begun at `now` has no tickets yet, whatever is open now.
fn figures(env: Env<'_>, views: &[&TicketView], month: Month, tz: Tz, now: Micros) -> Figures {
    let (start, end) = month.bounds(tz);
    let views = if start > now { &[][..] } else { views };
    let new = |p: Option<Priority>| PriorityFigures {
        priority: p,
        tickets: Tickets::default(),
        metrics: Metric::ALL.into_iter().map(MetricFigures::new).collect(),
        breaches: Tickets::default(),
        adherence: None,
    };
    let mut all = new(None);
    let mut by_p: BTreeMap<Priority, PriorityFigures> = BTreeMap::new();
    let day_bounds = month.days(tz);
    let mut days: Vec<DayFigures> = day_bounds
        .iter()
        .map(|&(date, _, _)| DayFigures {
            date,
            met: Tickets::default(),
            breached: Tickets::default(),
            adherence: None,
            breaches_by_priority: BTreeMap::new(),
        })
        .collect();
    for v in views {
        let f = &v.sla.facts;
        let active = f.detected_at < end && f.resolved_at.is_none_or(|r| r >= start);
        if !active {
            continue;
        }
        let id: Arc<str> = Arc::from(v.id());
        let id = &id;
        let p = f.priority;
        let pf = by_p.entry(p).or_insert_with(|| new(Some(p)));
        all.tickets.add(id);
        pf.tickets.add(id);
        for o in outcomes(env, v, start, end) {
            for fig in [&mut all, &mut *pf] {
                let m = &mut fig.metrics[o.metric.index()];
                if o.met {
                    m.met.add(id);
                } else {
                    m.breached.add(id);
                    fig.breaches.add(id);
                }
            }
            let d = day_bounds
                .partition_point(|&(_, s, _)| s <= o.at)
                .saturating_sub(1);
            let day = &mut days[d];
            if o.met {
                day.met.add(id);
            } else {
                day.breached.add(id);
                day.breaches_by_priority.entry(p).or_default().add(id);
            }
        }
    }
    // The lists grew one id at a time: their spare room would be a third of the
    // figures' memory at 100,000 tickets.
    let finish = |fig: &mut PriorityFigures| {
        let (mut met, mut total) = (0, 0);
        for m in &mut fig.metrics {
            m.adherence = adherence(m.met.count, m.met.count + m.breached.count);
            met += m.met.count;
            total += m.met.count + m.breached.count;
            m.met.ids.shrink_to_fit();
            m.breached.ids.shrink_to_fit();
        }
        fig.adherence = adherence(met, total);
        fig.tickets.ids.shrink_to_fit();
        fig.breaches.ids.shrink_to_fit();
    };
    finish(&mut all);
    let mut priorities: Vec<PriorityFigures> = by_p.into_values().collect();
    priorities.iter_mut().for_each(finish);
    for d in &mut days {
        d.adherence = adherence(d.met.count, d.met.count + d.breached.count);
        d.met.ids.shrink_to_fit();
        d.breached.ids.shrink_to_fit();
    }
    (all, priorities, days)
}

fn minutes(us: Decimal) -> Decimal {
    let mut m = (us / Decimal::from(MICROS_PER_MIN))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    m.rescale(2);
    m
}

fn contract_compliance(
    env: Env<'_>,
    c: &Contract,
    book: &Book,
    later: &Book,
    month: Month,
) -> ContractCompliance {
    let now_us = book.now_micros();
    let views = contract_views(c, book, month);
    let now = evaluate_views(env, c, month, &views, now_us);
    let views_1h = contract_views(c, later, month);
    let in_1h = evaluate_views(env, c, month, &views_1h, later.now_micros());
    let mut budgets = Vec::new();
    for (term, r) in c.terms.iter().zip(&now.terms) {
        if let Some(fig) = &r.availability {
            budgets.push(budget(c, term, r, fig, &views, month, now_us));
        }
    }
    // Each open ticket's next hour, the others as they are now.
    let (_, end) = month.bounds(c.timezone);
    let mut at_risk = Vec::new();
    if now_us < end {
        for (i, v) in views.iter().enumerate() {
            if v.sla.facts.resolved_at.is_some() {
                continue;
            }
            let Some(v1) = later.ticket(v.id()) else {
                continue;
            };
            // A term can only change if this ticket's own share of it does: only those
            // are evaluated again over every ticket (most open tickets change nothing
            // in an hour, and evaluating every term for every one of them is quadratic).
            let changing: Vec<Option<Share>> = c
                .terms
                .iter()
                .map(|term| share_change(env, c, term, month, v, v1, now_us))
                .collect();
            if changing.iter().all(Option::is_none) {
                continue;
            }
            let mut swapped = views.clone();
            swapped[i] = v1;
            let what_if: Vec<Option<TermResult>> = c
                .terms
                .iter()
                .zip(&now.terms)
                .zip(&changing)
                .map(|((term, a), ch)| {
                    let d = ch.as_ref()?;
                    Some(
                        longer_outage(c, term, a, month, v, v1, now_us)
                            .or_else(|| swapped_totals(c, term, a, month, d))
                            .unwrap_or_else(|| {
                                evaluate_term(env, c, term, month, &swapped, now_us)
                            }),
                    )
                })
                .collect();
            for ((term, a), b) in c.terms.iter().zip(&now.terms).zip(&what_if) {
                let Some(b) = b else { continue };
                if a.amount == b.amount && a.band == b.band && a.breached == b.breached {
                    continue;
                }
                let tips_band = b.band > a.band || (b.breached && !a.breached);
                let text = match (&b.band_label, tips_band) {
                    (Some(label), true) => format!(
                        "{} open 1 h more: {} moves to band {} ({label}), {} → {} {}",
                        v.id(),
                        term.id,
                        b.band.map_or(0, |x| x + 1),
                        a.amount,
                        b.amount,
                        c.currency
                    ),
                    _ => format!(
                        "{} open 1 h more: {} {} → {} {}",
                        v.id(),
                        term.id,
                        a.amount,
                        b.amount,
                        c.currency
                    ),
                };
                at_risk.push(TicketRisk {
                    ticket: v.id().to_owned(),
                    contract: c.id.clone(),
                    term: term.id.clone(),
                    kpi: term.kpi,
                    currency: c.currency.clone(),
                    if_restored_now: a.amount,
                    in_1h: b.amount,
                    band_now: a.band,
                    band_in_1h: b.band,
                    tips_band,
                    text,
                });
            }
        }
    }
    let period = month.to_string();
    let recorded: Vec<RecordedPenalty> = book
        .recorded
        .iter()
        .filter(|p| p.contract == c.id && p.period == period)
        .cloned()
        .collect();
    let recorded_net = saturating_sum(recorded.iter().map(RecordedPenalty::net));
    ContractCompliance {
        contract: c.id.clone(),
        currency: c.currency.clone(),
        now,
        in_1h,
        budgets,
        at_risk,
        recorded,
        recorded_net,
    }
}

/// An availability term with `v`'s outage replaced by `v1`'s (the same ticket an hour
/// later), from the union `a` already has: every outage as of `now` ends by `now`, so
/// when `v1`'s outage is `v`'s up to `now` and more after it, the union grows by
/// exactly the difference. `None` when that does not hold (then evaluate again).
fn longer_outage(
    c: &Contract,
    term: &Term,
    a: &TermResult,
    month: Month,
    v: &TicketView,
    v1: &TicketView,
    now: Micros,
) -> Option<TermResult> {
    let fig = a.availability.as_ref()?;
    if term.kpi != Kpi::Availability
        || v.as_of != now
        || !term.applies_to(v.sla.facts.priority)
        || !term.applies_to(v1.sla.facts.priority)
    {
        return None;
    }
    let (start, end) = month.bounds(c.timezone);
    let (p0, _) = outage_pieces(v, &term.exclude, start, end);
    let (p1, _) = outage_pieces(v1, &term.exclude, start, end);
    let before_now: Vec<Span> = p1
        .iter()
        .filter(|p| p.0 < now)
        .map(|&(x, y)| (x, y.min(now)))
        .collect();
    if before_now != p0 || p0.iter().any(|p| p.1 > now) {
        return None;
    }
    let len = |p: &[Span]| p.iter().map(|(x, y)| y - x).sum::<Micros>();
    let outage = fig.outage_us + len(&p1) - len(&p0);
    Some(availability_verdict(c, term, month, fig.month_us, outage))
}

/// What one ticket adds to a term's totals (see [`verdict_from_totals`]).
#[derive(Clone, Debug, PartialEq)]
struct Share {
    exact: Decimal,
    measured: i64,
    breaches: i64,
}

/// How `v`'s share of `term` changes when it is `v1` (the same ticket later), each
/// judged as of `as_of`; `None` when it does not. Every term sums or unites its
/// tickets' shares, so a term whose share of a ticket is unchanged keeps its figure
/// when that ticket is swapped. Availability compares the outage pieces (the change
/// in totals is then left empty).
fn share_change(
    env: Env<'_>,
    c: &Contract,
    term: &Term,
    month: Month,
    v: &TicketView,
    v1: &TicketView,
    as_of: Micros,
) -> Option<Share> {
    let applies = |x: &TicketView| term.applies_to(x.sla.facts.priority);
    if !applies(v) && !applies(v1) {
        return None;
    }
    if term.kpi == Kpi::Availability {
        let (start, end) = month.bounds(c.timezone);
        let changed = applies(v) != applies(v1)
            || outage_pieces(v, &term.exclude, start, end)
                != outage_pieces(v1, &term.exclude, start, end);
        return changed.then_some(Share {
            exact: Decimal::ZERO,
            measured: 0,
            breaches: 0,
        });
    }
    let share = |x: &TicketView| {
        let r = evaluate_term(env, c, term, month, &[x], as_of);
        let items: Vec<_> = r
            .items
            .iter()
            .map(|i| (i.breach, i.band, i.amount))
            .collect();
        (r.measured, r.breaches, r.exact, items)
    };
    let (a, b) = (share(v), share(v1));
    if a == b {
        return None;
    }
    Some(Share {
        exact: b.2.checked_sub(a.2)?,
        measured: i64::from(b.0) - i64::from(a.0),
        breaches: i64::from(b.1) - i64::from(a.1),
    })
}

/// A summed term with one ticket's share changed by `d`, from the totals `a` has.
fn swapped_totals(
    c: &Contract,
    term: &Term,
    a: &TermResult,
    month: Month,
    d: &Share,
) -> Option<TermResult> {
    let measured = u32::try_from(i64::from(a.measured) + d.measured).ok()?;
    let breaches = u32::try_from(i64::from(a.breaches) + d.breaches).ok()?;
    let exact = if term.kpi.per_ticket() {
        a.exact.checked_add(d.exact)?
    } else {
        Decimal::ZERO
    };
    verdict_from_totals(c, term, month, exact, measured, breaches)
}

fn budget(
    c: &Contract,
    term: &Term,
    r: &TermResult,
    fig: &AvailabilityFigures,
    views: &[&TicketView],
    month: Month,
    now: Micros,
) -> ErrorBudget {
    let (start, end) = month.bounds(c.timezone);
    let used = Decimal::from(fig.outage_us);
    let left = fig.allowed_us - used;
    let gone = now.min(end) - start;
    let burn_rate = (gone > 0 && fig.allowed_us > Decimal::ZERO).then(|| {
        let spent = used / fig.allowed_us;
        let elapsed = Decimal::from(gone) / Decimal::from(fig.month_us);
        let mut b =
            (spent / elapsed).round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
        b.rescale(2);
        b
    });
    let counting = fig.growing && now < end;
    let when = |left_us: Decimal| -> Option<Micros> {
        if !counting || left_us < Decimal::ZERO {
            return None;
        }
        let t = now.checked_add(left_us.ceil().to_i64()?)?;
        (t < end).then_some(t)
    };
    let flat_breached = matches!(term.rule, PenaltyRule::Flat(_)) && r.breached;
    let next_band = if flat_breached {
        None
    } else {
        next_band(term, fig, r.band).map(|(band, left_us)| {
            let label = match &term.rule {
                PenaltyRule::Tiered(t) => format!("below {}", t[band].bound),
                PenaltyRule::Flat(_) => format!("below {}", term.threshold),
            };
            NextBand {
                band,
                label,
                minutes_left: minutes(left_us),
                at: when(left_us),
            }
        })
    };
    let days = month
        .days(c.timezone)
        .into_iter()
        .map(|(date, a, b)| {
            let mut spans = Vec::new();
            let mut tickets = Vec::new();
            for v in views
                .iter()
                .filter(|v| term.applies_to(v.sla.facts.priority))
            {
                let (pieces, _) = outage_pieces(v, &term.exclude, a, b);
                if !pieces.is_empty() {
                    tickets.push(v.id().to_owned());
                    spans.extend(pieces);
                }
            }
            let out = union_length(spans);
            DayAvailability {
                date,
                outage_minutes: minutes(Decimal::from(out)),
                availability: super::engine::percent_of(b - a - out, b - a),
                tickets,
            }
        })
        .collect();
    ErrorBudget {
        term: term.id.clone(),
        allowed_minutes: minutes(fig.allowed_us),
        used_minutes: minutes(used),
        left_minutes: minutes(left),
        burn_rate,
        growing: counting,
        exhausted_at: when(left),
        next_band,
        tickets: r.tickets.clone(),
        days,
    }
}
