//! Contracts, KPIs and penalties — pure: no I/O, `now` is a parameter.
//!
//! - [`contract`]: what a contract says (terms, thresholds, rates, tiers, caps).
//! - [`book`]: tickets evaluated as of an instant, and recorded penalty events.
//! - [`engine`]: a contract's KPIs and penalties for a billing month, step by step.
//! - [`compliance`]: the figures the console's compliance view and reports show.
//! - [`money`]: exact decimals and the one rounding step.
//!
//! Amounts are exact decimals rounded once per penalty, after the cap, to the
//! currency's minor unit by the contract's rule (half-even unless it says otherwise).

pub mod book;
pub mod compliance;
pub mod contract;
pub mod engine;
pub mod money;
pub mod month;
pub mod record;

#[cfg(test)]
mod tests;

pub use book::{Adjustment, Book, Env, RecordedPenalty, TicketView};
pub use compliance::{
    compliance, Compliance, ContractCompliance, CustomerCompliance, TicketRisk, Tickets,
};
pub use contract::{
    ledger_of, Bound, Contract, Contracts, Kpi, Operator, PenaltyRule, Rate, Term, Tier,
    LEDGER_PREFIX,
};
pub use engine::{evaluate_contract, ContractMonth, LineItem, TermResult};
pub use money::Rounding;
pub use month::Month;

use chrono::{DateTime, SecondsFormat};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::sla::calendar::{Micros, MICROS_PER_MIN};

/// RFC 3339 in `tz`, to the second (or finer when the instant has a fraction).
pub fn fmt_instant(us: Micros, tz: Tz) -> String {
    match DateTime::from_timestamp_micros(us) {
        Some(t) => t
            .with_timezone(&tz)
            .to_rfc3339_opts(SecondsFormat::AutoSi, false),
        None => format!("(out of range: {us} µs)"),
    }
}

/// Minutes, exact up to 2 decimals (half-even beyond that), thousands grouped.
pub fn fmt_minutes(us: Micros) -> String {
    let m = (Decimal::from(us) / Decimal::from(MICROS_PER_MIN))
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven)
        .normalize();
    money::group_thousands(&m.to_string())
}
