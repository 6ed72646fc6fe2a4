//! Contracts: per customer (optionally per service or circuit), a monthly fee in a
//! currency, the billing month's time zone, and terms that turn a KPI into money.

use std::fmt;

use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::money::{minor_units, Rounding};
use crate::model::Priority;
use crate::sla::calendar::Micros;
use crate::sla::Metric;

/// What a term measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kpi {
    /// Monthly availability %: (month − outage) / month × 100, outages detected →
    /// restored minus excluded pauses, overlapping outages counted once.
    Availability,
    /// Per ticket: working time from detection to restoration (the restore clock).
    TimeToRestore,
    /// Per ticket: working time to the first response (the acknowledge clock).
    TimeToAcknowledge,
    /// Monthly %: client-update cycles on time among those decided in the month.
    ClientUpdateAdherence,
    /// Monthly count of SLA clock breaches.
    BreachCount,
}

impl Kpi {
    pub const ALL: [Kpi; 5] = [
        Kpi::Availability,
        Kpi::TimeToRestore,
        Kpi::TimeToAcknowledge,
        Kpi::ClientUpdateAdherence,
        Kpi::BreachCount,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kpi::Availability => "availability",
            Kpi::TimeToRestore => "time_to_restore",
            Kpi::TimeToAcknowledge => "time_to_acknowledge",
            Kpi::ClientUpdateAdherence => "client_update_adherence",
            Kpi::BreachCount => "breach_count",
        }
    }

    pub fn parse(s: &str) -> Option<Kpi> {
        Kpi::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kpi::Availability => "monthly availability",
            Kpi::TimeToRestore => "time to restore",
            Kpi::TimeToAcknowledge => "time to acknowledge",
            Kpi::ClientUpdateAdherence => "client-update adherence",
            Kpi::BreachCount => "count of SLA breaches",
        }
    }

    /// Measured per ticket (every late ticket is a breach of the term) rather than
    /// once per month.
    pub fn per_ticket(self) -> bool {
        matches!(self, Kpi::TimeToRestore | Kpi::TimeToAcknowledge)
    }

    /// The SLA clock a per-ticket KPI reads.
    pub fn metric(self) -> Option<Metric> {
        match self {
            Kpi::TimeToRestore => Some(Metric::Restore),
            Kpi::TimeToAcknowledge => Some(Metric::Acknowledge),
            Kpi::ClientUpdateAdherence => Some(Metric::ClientUpdate),
            Kpi::Availability | Kpi::BreachCount => None,
        }
    }

    /// The kind of value the KPI has, and so its threshold.
    pub fn unit(self) -> Unit {
        match self {
            Kpi::Availability | Kpi::ClientUpdateAdherence => Unit::Percent,
            Kpi::TimeToRestore | Kpi::TimeToAcknowledge => Unit::Duration,
            Kpi::BreachCount => Unit::Count,
        }
    }
}

impl fmt::Display for Kpi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Percent,
    Duration,
    Count,
}

/// Which side of the threshold is a breach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// Breached when the actual value is below the threshold (availability, adherence).
    Below,
    /// Breached when the actual value is above the threshold (durations, counts).
    Above,
}

impl Operator {
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Below => "below",
            Operator::Above => "above",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Operator::Below => "<",
            Operator::Above => ">",
        }
    }
}

/// A threshold or tier bound, in the KPI's unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bound {
    Percent(Decimal),
    Duration(Micros),
    Count(u64),
    /// The SLA policy's own target for the ticket's priority (per-ticket KPIs only).
    Target,
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Percent(p) => write!(f, "{p} %"),
            Bound::Duration(us) => f.write_str(&format_duration(*us)),
            Bound::Count(n) => write!(f, "{n}"),
            Bound::Target => f.write_str("the policy target"),
        }
    }
}

/// `4h`, `1h30m`, `45m`, `14m29s`, `44m38.4s`, `0s`: a duration as a contract writes it.
pub fn format_duration(us: Micros) -> String {
    let sign = if us < 0 { "-" } else { "" };
    let us = us.unsigned_abs();
    let secs = us / 1_000_000;
    let frac = us % 1_000_000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::from(sign);
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || frac > 0 || out.len() == sign.len() {
        if frac > 0 {
            let f = format!("{frac:06}");
            out.push_str(&format!("{s}.{}s", f.trim_end_matches('0')));
        } else {
            out.push_str(&format!("{s}s"));
        }
    }
    out
}

/// What a breach costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rate {
    /// A fixed amount in the contract's currency.
    Fixed(Decimal),
    /// A percentage of the monthly fee.
    Percent(Decimal),
}

impl Rate {
    /// What one breach costs; `None` when the figure does not fit a `Decimal` (a
    /// contracts file cannot say so: fees and rates are bounded where it is read).
    pub fn amount(self, monthly_fee: Decimal) -> Option<Decimal> {
        match self {
            Rate::Fixed(a) => Some(a),
            Rate::Percent(p) => monthly_fee
                .checked_mul(p)?
                .checked_div(Decimal::ONE_HUNDRED),
        }
    }

    pub fn describe(self, monthly_fee: Decimal, currency: &str) -> String {
        match self {
            Rate::Fixed(a) => format!("{a} {currency}"),
            Rate::Percent(p) => format!(
                "{p} % of the monthly fee {monthly_fee} {currency} = {monthly_fee} × {p} / 100 = {}",
                self.amount(monthly_fee)
                    .map_or_else(|| "(too large to compute)".to_owned(), |a| format!("{a} {currency}"))
            ),
        }
    }
}

/// One band of a tiered penalty: applies when the actual value is beyond `bound`
/// (below it for `below` terms, above it for `above` terms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tier {
    pub bound: Bound,
    pub rate: Rate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PenaltyRule {
    /// The same rate for every breach.
    Flat(Rate),
    /// Bands, mildest first: the furthest band the actual value reaches applies.
    Tiered(Vec<Tier>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// Unique within its contract; part of the penalty event's id.
    pub id: String,
    pub kpi: Kpi,
    pub operator: Operator,
    /// The first bound that is a breach: for tiered terms, the mildest band's bound.
    pub threshold: Bound,
    pub rule: PenaltyRule,
    /// At most this much for the term in one month (before rounding).
    pub cap: Option<Decimal>,
    /// Only tickets of these priorities count; empty: all.
    pub priorities: Vec<Priority>,
    /// `breach_count`: the clocks whose breaches count; empty: all.
    pub metrics: Vec<Metric>,
    /// `availability`: pause reasons whose time is not outage (customer-caused,
    /// scheduled maintenance), as the contract allows.
    pub exclude: Vec<String>,
    /// Per-ticket KPIs with a duration threshold: measure working time on this calendar
    /// instead of the ticket's policy calendar.
    pub calendar: Option<String>,
    pub description: Option<String>,
}

impl Term {
    pub fn tiers(&self) -> Option<&[Tier]> {
        match &self.rule {
            PenaltyRule::Tiered(t) => Some(t),
            PenaltyRule::Flat(_) => None,
        }
    }

    pub fn applies_to(&self, p: Priority) -> bool {
        self.priorities.is_empty() || self.priorities.contains(&p)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Contract {
    /// Unique among contracts; names the penalty ledger `penalties:<id>`.
    pub id: String,
    pub customer: String,
    /// Only tickets of these services (or circuits); empty: all the customer's tickets.
    pub services: Vec<String>,
    pub monthly_fee: Decimal,
    pub currency: String,
    /// The zone whose wall clock bounds the billing month.
    pub timezone: Tz,
    pub rounding: Rounding,
    pub terms: Vec<Term>,
}

impl Contract {
    pub fn covers(&self, customer: &str, service: Option<&str>) -> bool {
        self.customer == customer
            && (self.services.is_empty()
                || service.is_some_and(|s| self.services.iter().any(|x| x == s)))
    }

    pub fn minor_units(&self) -> u32 {
        minor_units(&self.currency)
    }

    /// The store "ticket" that holds this contract's penalty events: its own hash chain.
    pub fn ledger(&self) -> String {
        ledger_of(&self.id)
    }
}

/// Prefix of penalty ledger ticket ids.
pub const LEDGER_PREFIX: &str = "penalties:";

pub fn ledger_of(contract: &str) -> String {
    format!("{LEDGER_PREFIX}{contract}")
}

/// Every contract, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contracts(pub Vec<Contract>);

impl Contracts {
    pub fn get(&self, id: &str) -> Option<&Contract> {
        self.0.iter().find(|c| c.id == id)
    }

    pub fn of_customer<'a>(&'a self, customer: &'a str) -> impl Iterator<Item = &'a Contract> {
        self.0.iter().filter(move |c| c.customer == customer)
    }

    pub fn customers(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.0.iter().map(|c| c.customer.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_contracts() {
        let m = 60_000_000;
        assert_eq!(format_duration(240 * m), "4h");
        assert_eq!(format_duration(270 * m), "4h30m");
        assert_eq!(format_duration(869_000_000), "14m29s");
        assert_eq!(format_duration(44 * m + 38_400_000), "44m38.4s");
        assert_eq!(format_duration(3_600_000_000 + 15_000_000), "1h15s");
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(-90 * m), "-1h30m");
    }
}
