//! The compliance view: its state, the rows and figures it lists, its keys, and the
//! worker that computes [`crate::sla::penalty::compliance`] off the UI task.
//!
//! The worker is a thread that keeps nothing between requests: each one opens the
//! store read-only, reads the projection's facts of the tickets that can matter for the
//! month (open, or resolved since shortly before it; whole histories only for penalty
//! ledgers and tickets with events after `now`), builds a `Book` and replies with the
//! figures and what they cost; then the memory goes back to the system. At 100,000
//! open tickets that is a second of work and no resident cost between requests, where
//! a cache of events cost most of a gigabyte. The UI asks, one request at a time: when
//! the view opens, when its month changes, on `recompute`, every 30 s while the view is
//! shown (10 s after new events), never more often than five times the last
//! computation's cost; and in the background for this month's queue marks every 60 s,
//! or every hundred times the last cost if that is longer, so that idle CPU stays
//! under one percent of a core.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Section};
use super::effect::Effect;
use super::keymap::Key;
use super::overlay::Overlay;
use super::sanitize::clean;
use super::state::{State, View};
use crate::model::Event;
use crate::sla::calendar::Micros;
use crate::sla::penalty::compliance::{ErrorBudget, PriorityFigures};
use crate::sla::penalty::money::format_money;
use crate::sla::penalty::{
    compliance, Book, Compliance, ContractCompliance, ContractMonth, Contracts, CustomerCompliance,
    Env, Month, TicketRisk, Tickets,
};
use crate::sla::{Calendars, Metric, Policies};
use crate::sync::jobs::Jobs;
use crate::sync::supervise::Report;
use crate::sync::{Connector, Source};

const SEC: Micros = 1_000_000;
/// How old the figures may get while the view is shown.
pub const VISIBLE_EVERY: Micros = 30 * SEC;
/// How soon after new events the figures are recomputed while the view is shown.
pub const CHANGED_AFTER: Micros = 10 * SEC;
/// How old this month's figures (the queue marks) may get otherwise.
pub const HIDDEN_EVERY: Micros = 60 * SEC;
/// A request still unanswered after this is forgotten (the worker may have died).
pub const GIVE_UP_AFTER: Micros = 600 * SEC;
/// Months kept computed, for going back and forth.
const KEEP_MONTHS: usize = 6;

pub use crate::sync::jobs::Request;

/// What the worker answers.
pub type Reply = crate::sync::jobs::Reply<Computed>;

pub use super::compliance_state::{Brief, ComplianceState, Computed, Drill, DrillItem, Flight};

// ---------------------------------------------------------------------------------
// Rows and figures

/// One line of the compliance table.
#[derive(Clone, Copy, Debug)]
pub enum Row<'a> {
    Customer(&'a CustomerCompliance),
    Priority(&'a CustomerCompliance, &'a PriorityFigures),
    Contract(&'a CustomerCompliance, &'a ContractCompliance),
    Budget(&'a ContractCompliance, &'a ErrorBudget),
    Risk(&'a ContractCompliance, &'a TicketRisk),
}

/// The rows for `customer` (or all), in order: each customer, its priorities, then
/// each contract with its error budgets and the tickets at risk.
pub fn rows<'a>(c: &'a Compliance, customer: Option<&str>) -> Vec<Row<'a>> {
    let mut out = Vec::new();
    for cc in c
        .customers
        .iter()
        .filter(|cc| customer.is_none_or(|x| x == cc.customer))
    {
        out.push(Row::Customer(cc));
        for pf in &cc.priorities {
            out.push(Row::Priority(cc, pf));
        }
        for k in &cc.contracts {
            out.push(Row::Contract(cc, k));
            for b in &k.budgets {
                out.push(Row::Budget(k, b));
            }
            for r in &k.at_risk {
                out.push(Row::Risk(k, r));
            }
        }
    }
    out
}

/// A figure that can be drilled into.
#[derive(Clone, Debug)]
pub struct Figure<'a> {
    pub name: String,
    /// The value in words ("92.31 % of 13", "750.00 EUR").
    pub value: String,
    /// The tickets behind it, listed only when asked (the details line only counts
    /// them, on every frame; a customer's list can hold every ticket of the month).
    pub items: Items<'a>,
}

/// Where a figure's tickets come from.
#[derive(Clone, Debug)]
pub enum Items<'a> {
    /// Lists that share no ticket (one per priority), in id order.
    Plain(Vec<&'a Tickets>),
    /// Breached first (with what they breached), then met, or breached only.
    Outcomes {
        parts: Vec<&'a PriorityFigures>,
        metrics: Vec<Metric>,
        breached_only: bool,
    },
    /// What each ticket owes, or the monthly term it counts against.
    Penalties(Vec<&'a ContractMonth>),
    Recorded(&'a ContractCompliance),
    Budget(&'a ErrorBudget),
    Risk(&'a TicketRisk),
}

impl Items<'_> {
    /// How many tickets are listed, without listing them.
    pub fn count(&self) -> usize {
        match self {
            Items::Plain(lists) => lists.iter().map(|t| t.ids.len()).sum(),
            Items::Outcomes {
                parts,
                metrics,
                breached_only,
            } => {
                let mut ids: HashSet<&str> = HashSet::new();
                for (pf, m) in parts
                    .iter()
                    .flat_map(|pf| metrics.iter().map(move |m| (pf, m)))
                {
                    let f = &pf.metrics[m.index()];
                    ids.extend(f.breached.ids.iter().map(|id| &**id));
                    if !breached_only {
                        ids.extend(f.met.ids.iter().map(|id| &**id));
                    }
                }
                ids.len()
            }
            Items::Penalties(months) => months
                .iter()
                .flat_map(|cm| cm.terms.iter().filter(|t| !t.amount.is_zero()))
                .map(|t| {
                    t.items
                        .iter()
                        .filter(|i| i.breach || !i.amount.is_zero())
                        .count()
                })
                .sum(),
            Items::Recorded(k) => k.recorded.iter().map(|p| p.tickets.len()).sum(),
            Items::Budget(b) => b.tickets.len(),
            Items::Risk(_) => 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// The tickets, each with a note.
    pub fn list(&self) -> Vec<DrillItem> {
        match self {
            Items::Plain(lists) => plain(lists.iter().copied(), ""),
            Items::Outcomes {
                parts,
                metrics,
                breached_only,
            } => {
                let mut out = outcomes(parts, metrics);
                if *breached_only {
                    out.retain(|i| i.note.starts_with("breached"));
                }
                out
            }
            Items::Penalties(months) => {
                let mut out = Vec::new();
                for cm in months {
                    penalty_items(cm, &mut out);
                }
                out
            }
            Items::Recorded(k) => k
                .recorded
                .iter()
                .flat_map(|p| {
                    p.tickets.iter().map(move |t| DrillItem {
                        ticket: t.clone(),
                        note: format!(
                            "recorded {} {}: {}",
                            p.term,
                            p.period,
                            money(p.net(), &p.currency)
                        ),
                    })
                })
                .collect(),
            Items::Budget(b) => b
                .tickets
                .iter()
                .map(|t| DrillItem {
                    ticket: t.clone(),
                    note: format!("outage counted against {}", b.term),
                })
                .collect(),
            Items::Risk(r) => vec![DrillItem {
                ticket: r.ticket.clone(),
                note: risk_text(r),
            }],
        }
    }
}

/// Figure positions in a customer or priority row (the table's columns).
pub const F_TICKETS: usize = 0;
pub const F_ALL: usize = 1;
pub const F_METRIC: usize = 2;
pub const F_BREACHES: usize = 6;
pub const F_EXPOSURE: usize = 7;
pub const F_IN_1H: usize = 8;

/// The tickets of lists that share none (one per priority), in id order.
fn plain<'a>(lists: impl Iterator<Item = &'a Tickets>, note: &str) -> Vec<DrillItem> {
    let mut ids: Vec<&str> = lists.flat_map(|t| t.ids.iter().map(|id| &**id)).collect();
    ids.sort_unstable();
    ids.into_iter()
        .map(|id| DrillItem {
            ticket: id.to_owned(),
            note: note.to_owned(),
        })
        .collect()
}

/// Breached first (with what they breached), then met.
fn outcomes(parts: &[&PriorityFigures], metrics: &[Metric]) -> Vec<DrillItem> {
    let mut breached: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut met: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (pf, m) in parts
        .iter()
        .flat_map(|pf| metrics.iter().map(move |m| (pf, m)))
    {
        let f = &pf.metrics[m.index()];
        for id in &f.breached.ids {
            breached
                .entry(id)
                .or_default()
                .push(super::fmt::metric_short(*m));
        }
        for id in &f.met.ids {
            met.entry(id)
                .or_default()
                .push(super::fmt::metric_short(*m));
        }
    }
    let mut out: Vec<DrillItem> = breached
        .iter()
        .map(|(id, ms)| DrillItem {
            ticket: (*id).to_owned(),
            note: format!("breached {}", ms.join(", ")),
        })
        .collect();
    for (id, ms) in &met {
        if !breached.contains_key(id) {
            out.push(DrillItem {
                ticket: (*id).to_owned(),
                note: format!("met {}", ms.join(", ")),
            });
        }
    }
    out
}

fn percent(d: Option<rust_decimal::Decimal>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{d} %"))
}

/// An amount with its currency, to the currency's minor unit at least: `0.00 EUR`.
pub fn money(d: rust_decimal::Decimal, currency: &str) -> String {
    let mut d = d;
    let units = crate::sla::penalty::money::minor_units(currency);
    if d.scale() < units {
        d.rescale(units);
    }
    format_money(d, currency)
}

/// Amounts by currency: `750.00 EUR + 1,000.00 USD`.
pub fn money_by_currency(m: &BTreeMap<String, rust_decimal::Decimal>) -> String {
    if m.is_empty() {
        return "-".into();
    }
    m.iter()
        .map(|(c, d)| money(*d, c))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The tickets behind a contract's amount: what each owes, or the monthly term it
/// counts against.
fn penalty_items(cm: &ContractMonth, out: &mut Vec<DrillItem>) {
    for t in cm.terms.iter().filter(|t| !t.amount.is_zero()) {
        let per_ticket = t.items.iter().any(|i| !i.amount.is_zero());
        for i in t.items.iter().filter(|i| i.breach || !i.amount.is_zero()) {
            let note = if per_ticket {
                format!(
                    "{} {}: {}",
                    cm.contract,
                    t.term,
                    money(i.amount, &cm.currency)
                )
            } else {
                format!(
                    "{} {} (monthly, {}): {}",
                    cm.contract,
                    t.term,
                    money(t.amount, &cm.currency),
                    i.actual
                )
            };
            out.push(DrillItem {
                ticket: i.ticket.clone(),
                note,
            });
        }
    }
}

/// The figures of a row, in column order; `forecast`: the month is in progress (a
/// month that is over has no "in 1 h").
pub fn figures(row: Row<'_>, forecast: bool) -> Vec<Figure<'_>> {
    let mut figs = all_figures(row);
    if !forecast {
        figs.retain(|f| !f.name.starts_with("penalty in 1 h"));
    }
    figs
}

fn all_figures(row: Row<'_>) -> Vec<Figure<'_>> {
    match row {
        Row::Customer(cc) => {
            let parts: Vec<&PriorityFigures> = cc.priorities.iter().collect();
            let mut f = priority_figures(&cc.all, parts);
            f.push(Figure {
                name: "penalty exposure so far".into(),
                value: money_by_currency(&cc.exposure),
                items: Items::Penalties(cc.contracts.iter().map(|k| &k.now).collect()),
            });
            f.push(Figure {
                name: "penalty in 1 h if nothing is restored".into(),
                value: money_by_currency(&cc.forecast_1h),
                items: Items::Penalties(cc.contracts.iter().map(|k| &k.in_1h).collect()),
            });
            f
        }
        Row::Priority(_, pf) => priority_figures(pf, vec![pf]),
        Row::Contract(_, k) => vec![
            Figure {
                name: "penalty exposure so far (= if every outage were restored now)".into(),
                value: money(k.now.total, &k.currency),
                items: Items::Penalties(vec![&k.now]),
            },
            Figure {
                name: "penalty in 1 h if nothing is restored".into(),
                value: money(k.in_1h.total, &k.currency),
                items: Items::Penalties(vec![&k.in_1h]),
            },
            Figure {
                name: "penalties recorded (net of adjustments)".into(),
                value: money(k.recorded_net, &k.currency),
                items: Items::Recorded(k),
            },
        ],
        Row::Budget(_, b) => vec![Figure {
            name: "error budget".into(),
            value: format!(
                "{} of {} min used",
                crate::sla::penalty::money::group_thousands(&b.used_minutes.to_string()),
                crate::sla::penalty::money::group_thousands(&b.allowed_minutes.to_string())
            ),
            items: Items::Budget(b),
        }],
        Row::Risk(k, r) => vec![Figure {
            name: format!("next hour of {}", r.ticket),
            value: format!(
                "{} → {}",
                money(r.if_restored_now, &k.currency),
                money(r.in_1h, &k.currency)
            ),
            items: Items::Risk(r),
        }],
    }
}

/// The risk's text without its leading ticket id.
pub fn risk_text(r: &TicketRisk) -> String {
    let t = r.text.strip_prefix(r.ticket.as_str()).unwrap_or(&r.text);
    clean(t.trim_start())
}

/// The figures of `pf`, whose tickets are listed in `parts`: `pf` itself, or a
/// customer's priorities for its every-priority figures (see [`slim`]).
fn priority_figures<'a>(pf: &PriorityFigures, parts: Vec<&'a PriorityFigures>) -> Vec<Figure<'a>> {
    let total = |m: &crate::sla::penalty::compliance::MetricFigures| m.met.count + m.breached.count;
    let all_total: u32 = pf.metrics.iter().map(total).sum();
    let outcomes = |metrics: &[Metric], breached_only| Items::Outcomes {
        parts: parts.clone(),
        metrics: metrics.to_vec(),
        breached_only,
    };
    let mut f = vec![
        Figure {
            name: "tickets open during the month".into(),
            value: pf.tickets.count.to_string(),
            items: Items::Plain(parts.iter().map(|p| &p.tickets).collect()),
        },
        Figure {
            name: "adherence, every metric".into(),
            value: format!("{} of {all_total} outcomes", percent(pf.adherence)),
            items: outcomes(&Metric::ALL, false),
        },
    ];
    for m in Metric::ALL {
        let mf = &pf.metrics[m.index()];
        f.push(Figure {
            name: format!("{m} adherence"),
            value: format!(
                "{} ({} met, {} breached)",
                percent(mf.adherence),
                mf.met.count,
                mf.breached.count
            ),
            items: outcomes(&[m], false),
        });
    }
    f.push(Figure {
        name: "breaches".into(),
        value: pf.breaches.count.to_string(),
        items: outcomes(&Metric::ALL, true),
    });
    f
}

/// Names a row for drill titles: `acme-telecom · P1`.
pub fn row_name(row: Row<'_>) -> String {
    match row {
        Row::Customer(cc) => format!("{} · all priorities", clean(&cc.customer)),
        Row::Priority(cc, pf) => format!(
            "{} · {}",
            clean(&cc.customer),
            pf.priority.map_or("all".into(), |p| p.to_string())
        ),
        Row::Contract(_, k) => format!("contract {}", clean(&k.contract)),
        Row::Budget(k, b) => format!("contract {} · {}", clean(&k.contract), clean(&b.term)),
        Row::Risk(k, r) => format!("contract {} · {}", clean(&k.contract), clean(&r.term)),
    }
}

// ---------------------------------------------------------------------------------
// Update

/// Asks the worker for `month` as of `now`.
pub fn request(s: &mut State, month: Month, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let p = &mut s.compliance;
    p.next_id += 1;
    let now_us = now.timestamp_micros();
    p.flight = Some(Flight {
        id: p.next_id,
        month,
        since: now_us,
    });
    p.asked.insert(month, now_us);
    p.dirty = false;
    fx.push(Effect::Compliance(Request {
        id: p.next_id,
        month,
        now,
    }));
}

/// The least time between two computations of the same month while the view is
/// shown (someone is looking: up to a fifth of a core).
fn gap(p: &ComplianceState, every: Micros) -> Micros {
    every.max(5 * p.cost_us as Micros)
}

/// The least time between two background computations (the queue's marks): at most
/// one percent of a core.
fn background_gap(p: &ComplianceState) -> Micros {
    HIDDEN_EVERY.max(100 * p.cost_us as Micros)
}

/// The 1 Hz tick: recompute what is due (one request at a time).
pub fn tick(s: &mut State, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    if !s.source.loaded {
        return;
    }
    let now_us = now.timestamp_micros();
    if let Some(f) = &s.compliance.flight {
        if now_us - f.since < GIVE_UP_AFTER {
            return;
        }
        s.compliance.flight = None;
    }
    let p = &s.compliance;
    let since = |m: Month| p.asked.get(&m).map_or(Micros::MAX, |&t| now_us - t);
    if s.view == View::Compliance {
        let m = p.month_at(now, s.tz);
        let age = since(m);
        if age >= gap(p, VISIBLE_EVERY) || (p.dirty && age >= gap(p, CHANGED_AFTER)) {
            request(s, m, now, fx);
            return;
        }
    }
    let current = Month::current(now, s.tz);
    if since(current) >= background_gap(p) {
        request(s, current, now, fx);
    }
}

/// Asks for the month in view unless its figures are fresh or on their way.
fn refresh_view(s: &mut State, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let m = s.compliance.month_at(now, s.tz);
    if s.compliance.computing(m) {
        return;
    }
    let fresh = s
        .compliance
        .computed
        .get(&m)
        .is_some_and(|c| now.timestamp_micros() - c.figures.now < CHANGED_AFTER)
        && !s.compliance.dirty;
    if !fresh {
        request(s, m, now, fx);
    }
}

pub fn on_reply(s: &mut State, r: Reply, now: DateTime<Utc>) {
    let p = &mut s.compliance;
    let id = match &r {
        Reply::Done(c) => c.id,
        Reply::Failed { id, .. } => *id,
    };
    if p.flight.as_ref().is_some_and(|f| f.id == id) {
        p.flight = None;
    }
    let view_month = p.month_at(now, s.tz);
    match r {
        Reply::Done(c) => {
            p.cost_us = c.load_us + c.compute_us;
            if c.month == Month::current(now, s.tz) {
                p.marks = c.figures.marks.clone();
                p.marks_at = Some(c.figures.now);
            }
            if c.month == view_month {
                p.error = None;
            }
            p.computed.insert(c.month, *c);
            while p.computed.len() > KEEP_MONTHS {
                // Forget the month furthest from the one in view.
                let far = p
                    .computed
                    .keys()
                    .copied()
                    .max_by_key(|m| month_distance(*m, view_month))
                    .expect("not empty");
                p.computed.remove(&far);
            }
        }
        Reply::Failed { month, error, .. } => {
            if month == view_month {
                p.error = Some(clean(&error));
            }
        }
    }
}

fn month_distance(a: Month, b: Month) -> i64 {
    let n = |m: Month| i64::from(m.year) * 12 + i64::from(m.month);
    (n(a) - n(b)).abs()
}

fn set_month(s: &mut State, m: Month, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let current = Month::current(now, s.tz);
    s.compliance.month = (m != current).then_some(m);
    s.compliance.sel = 0;
    s.compliance.offset = 0;
    s.compliance.drill = None;
    s.compliance.error = None;
    request(s, m, now, fx);
}

/// The customers of the month in view, for cycling.
fn customers(s: &State, now: DateTime<Utc>) -> Vec<String> {
    s.compliance
        .shown(now, s.tz)
        .map(|c| {
            c.figures
                .customers
                .iter()
                .map(|cc| cc.customer.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn cycle_customer(s: &mut State, forward: bool, now: DateTime<Utc>) {
    let all = customers(s, now);
    if all.is_empty() {
        s.flash("no customers in this month's figures yet", now, true);
        return;
    }
    let at = s
        .compliance
        .customer
        .as_ref()
        .and_then(|c| all.iter().position(|x| x == c));
    // None (all customers) sits before the first one.
    let n = all.len() + 1;
    let i = at.map_or(0, |i| i + 1);
    let next = if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    };
    s.compliance.customer = (next > 0).then(|| all[next - 1].clone());
    s.compliance.sel = 0;
    s.compliance.offset = 0;
}

/// Rows in view right now.
pub fn row_count(s: &State, now: DateTime<Utc>) -> usize {
    s.compliance.shown(now, s.tz).map_or(0, |c| {
        rows(&c.figures, s.compliance.customer.as_deref()).len()
    })
}

/// Rows of the table body for a terminal `h` high (see the view's layout).
pub fn table_height(h: u16) -> usize {
    super::layout::Layout::of(0, h).compliance_rows
}

/// The compliance view has just come into view: it asks for the month in view unless
/// its figures are fresh or on their way.
pub fn shown(s: &mut State, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    if s.source.loaded {
        refresh_view(s, now, fx);
    }
}

/// Handles `a` if it is the compliance view's; false leaves it to the console.
pub fn act(s: &mut State, a: Action, now: DateTime<Utc>, fx: &mut Vec<Effect>) -> bool {
    let page = s.layout.compliance_rows;
    if let Some(d) = &mut s.compliance.drill {
        match a {
            _ if super::list::step(a, d.sel, d.items.len(), page).is_some() => {
                d.sel = super::list::step(a, d.sel, d.items.len(), page).unwrap_or(d.sel);
            }
            Action::Back => s.compliance.drill = None,
            Action::Drill => {
                if let Some(item) = d.items.get(d.sel) {
                    let key = item.ticket.clone();
                    s.open_ticket(&key, fx);
                }
            }
            Action::Filter => {
                s.view = View::Queue;
                return false;
            }
            _ => return false,
        }
        if let Some(d) = &mut s.compliance.drill {
            // The list's body is the table's height plus the lines under it.
            d.offset = super::list::window(d.offset, d.sel, page + 2, d.items.len());
        }
        return true;
    }
    let n = row_count(s, now);
    let p = &mut s.compliance;
    match a {
        _ if super::list::step(a, p.sel, n, page).is_some() => {
            p.sel = super::list::step(a, p.sel, n, page).unwrap_or(p.sel);
        }
        Action::PrevFigure => p.col = p.col.saturating_sub(1),
        Action::NextFigure => p.col += 1,
        Action::Back => {
            s.back();
        }
        Action::PrevMonth => {
            let m = p.month_at(now, s.tz).prev();
            set_month(s, m, now, fx);
        }
        Action::NextMonth => {
            let m = p.month_at(now, s.tz).next();
            set_month(s, m, now, fx);
        }
        Action::ThisMonth => {
            let m = Month::current(now, s.tz);
            set_month(s, m, now, fx);
        }
        Action::ChooseMonth => {
            s.overlay = Some(Overlay::Month {
                text: String::new(),
                error: None,
            });
        }
        Action::NextCustomer => cycle_customer(s, true, now),
        Action::PrevCustomer => cycle_customer(s, false, now),
        Action::Recompute => {
            let m = p.month_at(now, s.tz);
            request(s, m, now, fx);
        }
        Action::Drill => drill(s, now, fx),
        Action::Filter => {
            s.switch(View::Queue);
            return false;
        }
        _ => return false,
    }
    // Keep the figure column within the selected row, and the row in view.
    let figs = selected_figures(s, now).len();
    let p = &mut s.compliance;
    p.col = p.col.min(figs.saturating_sub(1));
    p.offset = super::list::window(p.offset, p.sel, page, n);
    true
}

/// The figures of the selected row.
pub fn selected_figures(s: &State, now: DateTime<Utc>) -> Vec<Figure<'_>> {
    let Some(c) = s.compliance.shown(now, s.tz) else {
        return Vec::new();
    };
    let rows = rows(&c.figures, s.compliance.customer.as_deref());
    if rows.is_empty() {
        return Vec::new();
    }
    figures(
        rows[s.compliance.sel.min(rows.len() - 1)],
        c.figures.in_progress,
    )
}

fn drill(s: &mut State, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let Some(c) = s.compliance.shown(now, s.tz) else {
        return;
    };
    let rows = rows(&c.figures, s.compliance.customer.as_deref());
    if rows.is_empty() {
        return;
    }
    let row = rows[s.compliance.sel.min(rows.len() - 1)];
    // A ticket at risk opens at once.
    if let Row::Risk(_, r) = row {
        let key = r.ticket.clone();
        s.open_ticket(&key, fx);
        return;
    }
    let figs = figures(row, c.figures.in_progress);
    let Some(f) = figs.get(s.compliance.col.min(figs.len().saturating_sub(1))) else {
        return;
    };
    let items = f.items.list();
    if items.is_empty() {
        s.flash(format!("no tickets behind {}", f.name), now, false);
        return;
    }
    let title = format!(
        "{} · {} {} · {}: {}",
        row_name(row),
        c.month,
        if c.figures.in_progress {
            "(to date)"
        } else {
            ""
        },
        f.name,
        f.value
    );
    s.compliance.drill = Some(Drill {
        title,
        items,
        sel: 0,
        offset: 0,
    });
}

/// Keys while the month prompt is open. True when the prompt took the key.
pub fn prompt_key(
    s: &mut State,
    k: &KeyEvent,
    key: Key,
    now: DateTime<Utc>,
    fx: &mut Vec<Effect>,
) -> bool {
    let Some(Overlay::Month { text, error }) = &mut s.overlay else {
        return false;
    };
    let plain = !k
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match k.code {
        KeyCode::Char(c) if plain => {
            // A month is YYYY-MM: an eighth character is refused aloud, not dropped.
            if text.chars().count() < 7 {
                text.push(c);
                *error = None;
            } else {
                *error = Some(format!(
                    "a month is 7 characters (YYYY-MM): {c:?} not taken"
                ));
            }
            return true;
        }
        KeyCode::Char('u') if k.modifiers == KeyModifiers::CONTROL => {
            text.clear();
            *error = None;
            return true;
        }
        KeyCode::Backspace => {
            text.pop();
            *error = None;
            return true;
        }
        _ => {}
    }
    match s.keymap.lookup(Section::Form, key) {
        Some(Action::Submit) => {
            let t = text.trim().to_owned();
            if t.is_empty() {
                s.overlay = None;
                let m = Month::current(now, s.tz);
                set_month(s, m, now, fx);
                return true;
            }
            match t.parse::<Month>() {
                Ok(m) => {
                    s.overlay = None;
                    set_month(s, m, now, fx);
                }
                Err(e) => *error = Some(e),
            }
        }
        Some(Action::Cancel) => s.overlay = None,
        _ => {}
    }
    true
}

// ---------------------------------------------------------------------------------
// The worker

/// What the worker computes with.
pub struct Setup {
    pub source: Connector,
    pub policies: Policies,
    pub calendars: Calendars,
    pub contracts: Contracts,
}

/// The compliance worker (see [`crate::sync::jobs`]).
pub struct Worker {
    jobs: Jobs,
}

impl Worker {
    /// Starts the worker; replies go to `out` (called from the worker thread; false
    /// stops it), panics to `report`.
    pub fn spawn(
        setup: Setup,
        out: impl Fn(Reply) -> bool + Send + 'static,
        report: impl Fn(Report) + Send + 'static,
    ) -> std::io::Result<Worker> {
        let connect = setup.source.clone();
        let compute =
            Box::new(move |source: &mut dyn Source, r: &Request| compute_one(&setup, source, r));
        Ok(Worker {
            jobs: Jobs::spawn(connect, compute, out, report)?,
        })
    }

    pub fn send(&self, r: Request) {
        self.jobs.send(r);
    }
}

/// Reads what `r.month` needs from the source and computes its figures.
fn compute_one(setup: &Setup, source: &mut dyn Source, r: &Request) -> Result<Computed, String> {
    let t0 = Instant::now();
    // The month's facts and clocks take a few hundred MB at 100,000 tickets. On a
    // thread of its own they come from a malloc arena of their own; the figures are
    // copied out of it, so that all of it goes back to the system once freed instead
    // of staying resident page by page around the figures' small allocations.
    let (figures, briefs, tickets, load_us, compute_us) = std::thread::scope(|s| {
        s.spawn(|| -> Result<_, String> {
            crate::sync::supervise::quiet();
            let (histories, folded) = source
                .month_input(r.month, r.now)
                .map_err(|e| e.to_string())?;
            let load_us = t0.elapsed().as_micros() as u64;
            let t1 = Instant::now();
            let env = Env {
                policies: &setup.policies,
                calendars: &setup.calendars,
            };
            let book = Book::with_folded(env, histories, folded, r.now);
            let (figures, briefs, tickets) = figures_of(env, &setup.contracts, &book, r.month);
            Ok((
                figures,
                briefs,
                tickets,
                load_us,
                t1.elapsed().as_micros() as u64,
            ))
        })
        .join()
        .map_err(|p| {
            format!(
                "the compliance computation panicked: {}",
                crate::sync::supervise::panic_text(&*p)
            )
        })?
    })?;
    Ok(Computed {
        id: r.id,
        month: r.month,
        figures: Arc::new(own_copy(&figures)),
        briefs: Arc::new(briefs.clone()),
        load_us,
        compute_us,
        tickets,
    })
}

/// A deep copy made on this thread: every string anew, and one fresh id per ticket
/// shared by the lists (a plain clone would share the old ids).
fn own_copy(c: &Compliance) -> Compliance {
    let mut copy = c.clone();
    let mut ids: HashMap<Arc<str>, Arc<str>> = HashMap::new();
    for list in copy.ticket_lists_mut() {
        for id in &mut list.ids {
            let fresh = ids
                .entry(Arc::clone(id))
                .or_insert_with(|| Arc::from(&**id));
            *id = Arc::clone(fresh);
        }
    }
    copy
}

/// The figures of `month` as of `now` from whole histories (one ticket's events
/// each), every customer; with a brief of every ticket and how many there were.
pub fn compute(
    env: Env<'_>,
    contracts: &Contracts,
    histories: Vec<Vec<Event>>,
    month: Month,
    now: DateTime<Utc>,
) -> (Compliance, HashMap<String, Brief>, usize) {
    figures_of(env, contracts, &Book::new(env, histories, now), month)
}

fn figures_of(
    env: Env<'_>,
    contracts: &Contracts,
    book: &Book,
    month: Month,
) -> (Compliance, HashMap<String, Brief>, usize) {
    let mut figures = compliance(env, contracts, book, month, None);
    slim(&mut figures);
    // Open tickets are on the board, which the drill-down asks first.
    let briefs = book
        .tickets
        .iter()
        .filter(|t| t.sla.facts.resolved_at.is_some())
        .map(|t| {
            let f = &t.sla.facts;
            (
                t.id().to_owned(),
                Brief {
                    priority: f.priority,
                    customer: clean(&f.customer),
                    title: clean(&f.title),
                },
            )
        })
        .collect();
    (figures, briefs, book.tickets.len())
}

/// Drops what the view never shows and would cost most of the figures' memory at
/// 100,000 tickets: the per-ticket line items and ticket lists of contract terms that
/// cost nothing, of the others the items that neither breach nor cost (see
/// [`penalty_items`]) and the items' texts, and the calculation steps. A term's first
/// pending reason is enough to say it is not final. Days keep their counts (the view
/// draws them), not their tickets. A customer's every-priority figures keep counts
/// too: their tickets are those of its priorities, which a ticket is in one of.
/// Reports and evidence keep everything; they do not come here.
fn slim(c: &mut Compliance) {
    for cc in &mut c.customers {
        let all = &mut cc.all;
        let days = cc.days.iter_mut().flat_map(|d| {
            [&mut d.met, &mut d.breached]
                .into_iter()
                .chain(d.breaches_by_priority.values_mut())
        });
        [&mut all.tickets, &mut all.breaches]
            .into_iter()
            .chain(
                all.metrics
                    .iter_mut()
                    .flat_map(|m| [&mut m.met, &mut m.breached]),
            )
            .chain(days)
            .for_each(|t| t.ids = Vec::new());
    }
    let contracts = c
        .customers
        .iter_mut()
        .flat_map(|cc| cc.contracts.iter_mut());
    for k in contracts {
        for t in k.now.terms.iter_mut().chain(k.in_1h.terms.iter_mut()) {
            if t.amount.is_zero() {
                t.items = Vec::new();
            } else {
                t.items.retain(|i| i.breach || !i.amount.is_zero());
                t.items.iter_mut().for_each(|i| i.text = String::new());
                t.items.shrink_to_fit();
            }
            t.tickets = Vec::new();
            t.steps = Vec::new();
            t.pending.truncate(1);
        }
    }
}

/// Histories grouped by ticket from `events` (in store order).
pub fn group(events: &[Event]) -> Vec<Vec<Event>> {
    let mut by: BTreeMap<&str, Vec<Event>> = BTreeMap::new();
    for e in events {
        by.entry(e.ticket.as_str()).or_default().push(e.clone());
    }
    by.into_values().collect()
}

#[cfg(test)]
#[path = "compliance_tests.rs"]
pub(crate) mod tests;
