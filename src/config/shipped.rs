//! The calendars and policies shipped in `assets/`, built into the binary so that it
//! works from any directory.

use std::path::Path;

use super::calendars::parse_calendars_with;
use super::policies::parse_policies;
use super::ConfigErrors;
use crate::sla::{Calendars, Policies};

pub const CALENDARS: &str = include_str!("../../assets/calendars.toml");
pub const POLICIES: &str = include_str!("../../assets/policies.toml");
const HOLIDAY_FILES: [(&str, &str); 1] = [(
    "us-federal.ics",
    include_str!("../../assets/us-federal.ics"),
)];

pub const CALENDARS_NAME: &str = "assets/calendars.toml (built in)";
pub const POLICIES_NAME: &str = "assets/policies.toml (built in)";

pub fn calendars() -> Result<Calendars, ConfigErrors> {
    parse_calendars_with(Path::new(CALENDARS_NAME), CALENDARS, &|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        HOLIDAY_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| (*text).to_owned())
            .ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "not a built-in holiday file")
            })
    })
}

pub fn policies(calendars: &Calendars) -> Result<Policies, ConfigErrors> {
    parse_policies(Path::new(POLICIES_NAME), POLICIES, calendars)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shipped_assets_parse_and_match_the_files() {
        let cals = super::calendars().unwrap();
        assert!(cals.get("ny-office").is_some());
        let pols = super::policies(&cals).unwrap();
        assert!(pols.get("carrier-circuits").is_some());
        let from_files =
            crate::config::load_calendars(std::path::Path::new("assets/calendars.toml")).unwrap();
        assert_eq!(
            cals.names().collect::<Vec<_>>(),
            from_files.names().collect::<Vec<_>>()
        );
    }
}
