//! Amounts of money as events and contracts write them: exact decimals in text, and
//! the bounds every amount slawatch reads must keep.
//!
//! One place for both, so that `penalties --record`, `penalties adjust`, an import of
//! the same events and a contracts file all accept exactly the same amounts.

use std::str::FromStr;

use rust_decimal::Decimal;

/// The largest amount of money slawatch takes: 10^15 (a thousand trillion) in any
/// currency. Far above any fee or penalty, and low enough that sums of amounts and
/// percentages of them stay exact (a `Decimal` holds about 7.9 × 10^28).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// How much of an offending value an error message repeats.
const SHOWN_CHARS: usize = 40;

/// Decimals of a currency's minor unit (ISO 4217); 2 for any code not listed.
pub fn minor_units(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Whether `code` looks like an ISO 4217 code: three capital letters.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// `s` as an error message quotes it: escaped, and cut after [`SHOWN_CHARS`].
fn shown(s: &str) -> String {
    match s.char_indices().nth(SHOWN_CHARS) {
        Some((i, _)) => format!("{:?}…", &s[..i]),
        None => format!("{s:?}"),
    }
}

/// Parses a decimal written as text ("12000.00", "99.9", "-5"); rejects exponents,
/// blanks and anything `Decimal` would silently round.
pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let plain = digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.matches('.').count() <= 1
        && digits.bytes().any(|b| b.is_ascii_digit());
    if !plain {
        return Err(format!(
            "expected a decimal number such as \"12000.00\" or \"99.9\", found {}",
            shown(s)
        ));
    }
    let d =
        Decimal::from_str(t).map_err(|e| format!("{} is not a usable decimal: {e}", shown(s)))?;
    // Decimal keeps at most 28 fractional digits; more would be rounded away silently.
    let frac = t.split_once('.').map_or(0, |(_, f)| f.len());
    if frac as u32 != d.scale() {
        return Err(format!(
            "{} has more digits than can be kept exactly",
            shown(s)
        ));
    }
    Ok(d)
}

/// Checks that `d` is an amount of money slawatch takes: from 0 to [`MAX_AMOUNT`],
/// with no more decimals than `currency` has (when it is known).
pub fn check_amount(d: Decimal, currency: Option<&str>) -> Result<Decimal, String> {
    if d.is_sign_negative() && !d.is_zero() {
        return Err(format!("must not be negative, found {d}"));
    }
    if d > MAX_AMOUNT {
        return Err(format!(
            "{d} is more than the largest amount slawatch takes ({MAX_AMOUNT})"
        ));
    }
    if let Some(cur) = currency {
        let places = minor_units(cur);
        if d.normalize().scale() > places {
            return Err(format!("{d} has more decimals than {cur} has ({places})"));
        }
    }
    Ok(d)
}

/// Parses an amount of money as the commands that record penalties write it: a plain
/// decimal that passes [`check_amount`].
pub fn parse_amount(s: &str, currency: Option<&str>) -> Result<Decimal, String> {
    check_amount(parse_decimal(s)?, currency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn decimals_parse_exactly_or_not_at_all() {
        assert_eq!(parse_decimal("99.9").unwrap(), dec!(99.9));
        assert_eq!(parse_decimal(" 12000.00 ").unwrap().to_string(), "12000.00");
        assert_eq!(parse_decimal("-5").unwrap(), dec!(-5));
        for bad in [
            "",
            "1e3",
            "1,5",
            "abc",
            ".",
            "1.2.3",
            "--5",
            "0.1234567890123456789012345678901",
            "792281625142643375935439503350",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad}");
        }
        let long = "9".repeat(1000) + "x";
        let err = parse_decimal(&long).unwrap_err();
        assert!(err.len() < 120, "{err}");
    }

    #[test]
    fn amounts_are_bounded_and_fit_their_currency() {
        assert_eq!(MAX_AMOUNT, dec!(1_000_000_000_000_000));
        assert_eq!(parse_amount("1000000000000000", None).unwrap(), MAX_AMOUNT);
        assert_eq!(
            parse_amount("79228162514264337593543950335", Some("EUR")).unwrap_err(),
            "79228162514264337593543950335 is more than the largest amount slawatch takes (1000000000000000)"
        );
        assert_eq!(
            parse_amount("-0.01", Some("EUR")).unwrap_err(),
            "must not be negative, found -0.01"
        );
        assert!(parse_amount("-0", None).is_ok());
        assert_eq!(
            parse_amount("1.5", Some("JPY")).unwrap_err(),
            "1.5 has more decimals than JPY has (0)"
        );
        assert_eq!(parse_amount("12.50", Some("EUR")).unwrap(), dec!(12.50));
    }
}
