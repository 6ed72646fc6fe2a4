//! The calendars and policies shipped in `assets/`, built into the binary so that the
//! console, `--demo` and `slawatch demo` work from any directory with no set-up.

use std::io;
use std::path::Path;
use std::sync::OnceLock;

use super::calendars::parse_calendars_with;
use super::contracts::parse_contracts;
use super::policies::parse_policies;
use super::ConfigErrors;
use crate::sla::penalty::Contracts;
use crate::sla::{Calendars, Policies};

pub const CALENDARS_PATH: &str = "assets/calendars.toml";
pub const POLICIES_PATH: &str = "assets/policies.toml";
pub const CONTRACTS_PATH: &str = "assets/contracts.toml";

/// Every shipped file the calendars and policies refer to, by repository path.
const FILES: &[(&str, &str)] = &[
    (CALENDARS_PATH, include_str!("../../assets/calendars.toml")),
    (POLICIES_PATH, include_str!("../../assets/policies.toml")),
    (CONTRACTS_PATH, include_str!("../../assets/contracts.toml")),
    (
        "assets/us-federal.ics",
        include_str!("../../assets/us-federal.ics"),
    ),
];

fn file(path: &Path) -> io::Result<String> {
    FILES
        .iter()
        .find(|(p, _)| Path::new(p) == path)
        .map(|(_, text)| (*text).to_owned())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is not among the shipped files", path.display()),
            )
        })
}

/// The shipped calendars, with the shipped holiday files.
pub fn calendars() -> Result<Calendars, ConfigErrors> {
    let text = file(Path::new(CALENDARS_PATH)).expect("listed above");
    parse_calendars_with(Path::new(CALENDARS_PATH), &text, &file)
}

/// The shipped policies, checked against the calendars in force (which may be the
/// user's own).
pub fn policies(calendars: &Calendars) -> Result<Policies, ConfigErrors> {
    let text = file(Path::new(POLICIES_PATH)).expect("listed above");
    parse_policies(Path::new(POLICIES_PATH), &text, calendars)
}

/// The shipped calendars and policies, compiled once.
pub fn shipped() -> (&'static Policies, &'static Calendars) {
    static SHIPPED: OnceLock<(Policies, Calendars)> = OnceLock::new();
    let (p, c) = SHIPPED.get_or_init(|| {
        let cals = calendars().unwrap_or_else(|e| panic!("the shipped calendars must parse: {e}"));
        let pols =
            policies(&cals).unwrap_or_else(|e| panic!("the shipped policies must parse: {e}"));
        (pols, cals)
    });
    (p, c)
}

/// The shipped contracts (for the demo customers), compiled once.
pub fn shipped_contracts() -> &'static Contracts {
    static SHIPPED: OnceLock<Contracts> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        let (_, cals) = shipped();
        let text = file(Path::new(CONTRACTS_PATH)).expect("listed above");
        parse_contracts(Path::new(CONTRACTS_PATH), &text, cals)
            .unwrap_or_else(|e| panic!("the shipped contracts must parse: {e}"))
    })
}

/// The text of a shipped file by its repository path (evidence packages embed it).
pub fn shipped_file(path: &str) -> Option<&'static str> {
    FILES.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn shipped_assets_compile_with_their_holiday_files() {
        let (pols, cals) = shipped();
        assert!(pols.get("carrier-circuits").is_some());
        let contracts = shipped_contracts();
        assert!(contracts.get("acme-telecom-wan").is_some());
        assert_eq!(contracts.0.len(), 9);
        let ny = cals.get("ny-office").unwrap();
        // Thanksgiving 2026 (Thursday 26 November) comes from us-federal.ics; 15:00 in New York.
        let thanksgiving_afternoon = Utc.with_ymd_and_hms(2026, 11, 26, 20, 0, 0).unwrap();
        assert!(!ny.is_working(thanksgiving_afternoon.timestamp_micros()));
        let day_before = Utc.with_ymd_and_hms(2026, 11, 25, 20, 0, 0).unwrap();
        assert!(ny.is_working(day_before.timestamp_micros()));
    }
}
