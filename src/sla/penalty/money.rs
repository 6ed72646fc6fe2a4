//! Money: exact decimals, and the one rounding step at the end of every penalty.
//!
//! Every amount is a [`Decimal`] (base-10, 96-bit mantissa): fees, percentages, sums and
//! caps are exact. A penalty's amount is rounded **once**, after its cap, to the minor
//! unit of its currency (ISO 4217: 2 decimals for EUR/USD/GBP, 0 for JPY/KRW, 3 for
//! BHD/KWD/OMR/JOD/TND) by the contract's rule — **half-even** ("banker's rounding",
//! the default) unless the contract says otherwise. Totals add rounded amounts, which
//! is exact.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

// Amounts are read and bounded where events are validated, so that a contract, a
// recorded penalty and an imported one obey the same rules.
pub use crate::model::amount::{
    check_amount, is_currency_code, minor_units, parse_amount, parse_decimal, MAX_AMOUNT,
};

/// How a penalty's exact amount becomes money.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// To the nearest minor unit; an exact half goes to the even neighbour
    /// (0.125 → 0.12, 0.135 → 0.14).
    #[default]
    HalfEven,
    /// To the nearest minor unit; an exact half goes away from zero (0.125 → 0.13).
    HalfUp,
    /// Towards zero: never more than the exact amount (0.129 → 0.12).
    Down,
}

impl Rounding {
    pub const ALL: [Rounding; 3] = [Rounding::HalfEven, Rounding::HalfUp, Rounding::Down];

    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::HalfEven => "half_even",
            Rounding::HalfUp => "half_up",
            Rounding::Down => "down",
        }
    }

    pub fn parse(s: &str) -> Option<Rounding> {
        Rounding::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// `d` rounded to `places` decimals by this rule, always written with exactly
    /// `places` decimals.
    pub fn round(self, d: Decimal, places: u32) -> Decimal {
        let strategy = match self {
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::Down => RoundingStrategy::ToZero,
        };
        let mut r = d.round_dp_with_strategy(places, strategy);
        r.rescale(places);
        r
    }

    /// The rule in words, for calculations and reports.
    pub fn describe(self, places: u32) -> String {
        let unit = match places {
            0 => "a whole unit".to_owned(),
            1 => "1 decimal".to_owned(),
            n => format!("{n} decimals"),
        };
        match self {
            Rounding::HalfEven => format!("rounded half-even to {unit}"),
            Rounding::HalfUp => format!("rounded half-up (away from zero) to {unit}"),
            Rounding::Down => format!("rounded down (towards zero) to {unit}"),
        }
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The sum of `amounts`, or `Decimal::MAX` should it not fit: for totals of figures
/// each bounded by [`MAX_AMOUNT`] (recorded penalties, terms' amounts), which only
/// more than 10^13 of them could reach.
pub fn saturating_sum(amounts: impl IntoIterator<Item = Decimal>) -> Decimal {
    amounts
        .into_iter()
        .fold(Decimal::ZERO, |acc, a| acc.saturating_add(a))
}

/// Adds `amount` to `total`; `false` (and `total` unchanged) when the sum does not fit.
pub fn add_to(total: &mut Decimal, amount: Decimal) -> bool {
    match total.checked_add(amount) {
        Some(t) => {
            *total = t;
            true
        }
        None => false,
    }
}

/// An amount with thousands separators and its currency: `12,000.00 EUR`.
pub fn format_money(d: Decimal, currency: &str) -> String {
    format!("{} {currency}", group_thousands(&d.to_string()))
}

/// `1234567.5` → `1,234,567.5`.
pub fn group_thousands(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounding_rules_differ_only_on_halves_and_down() {
        assert_eq!(Rounding::HalfEven.round(dec!(0.125), 2), dec!(0.12));
        assert_eq!(Rounding::HalfEven.round(dec!(0.135), 2), dec!(0.14));
        assert_eq!(Rounding::HalfUp.round(dec!(0.125), 2), dec!(0.13));
        assert_eq!(Rounding::Down.round(dec!(0.129), 2), dec!(0.12));
        assert_eq!(
            Rounding::HalfEven.round(dec!(1200), 2).to_string(),
            "1200.00"
        );
        assert_eq!(Rounding::HalfEven.round(dec!(2.5), 0).to_string(), "2");
        assert_eq!(Rounding::HalfUp.round(dec!(-2.5), 0).to_string(), "-3");
    }

    #[test]
    fn money_is_grouped() {
        assert_eq!(format_money(dec!(1234567.50), "EUR"), "1,234,567.50 EUR");
        assert_eq!(format_money(dec!(-999.5), "USD"), "-999.5 USD");
        assert_eq!(minor_units("JPY"), 0);
        assert_eq!(minor_units("KWD"), 3);
        assert_eq!(minor_units("EUR"), 2);
    }
}
