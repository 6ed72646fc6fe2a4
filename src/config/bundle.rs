//! The exact configuration texts a computation used — calendars, policies, contracts
//! and the holiday files they read — so that an evidence package can carry them and a
//! verifier can recompute every clock and penalty with no other file.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::calendars::parse_calendars_with;
use super::contracts::parse_contracts;
use super::error::read;
use super::policies::parse_policies;
use super::shipped::{shipped_file, CALENDARS_PATH, CONTRACTS_PATH, POLICIES_PATH};
use super::ConfigErrors;
use crate::sla::penalty::Contracts;
use crate::sla::{Calendars, Policies};

/// One configuration file: the path it was read from and its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub path: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    pub calendars: Source,
    pub policies: Source,
    pub contracts: Source,
    /// Holiday files the calendars read, by the path they were asked for.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

/// The configuration compiled.
pub struct Compiled {
    pub policies: Policies,
    pub calendars: Calendars,
    pub contracts: Contracts,
}

impl Bundle {
    /// Files given on the command line, the shipped ones for any left out.
    pub fn load(
        calendars: Option<&Path>,
        policies: Option<&Path>,
        contracts: Option<&Path>,
    ) -> Result<Bundle, ConfigErrors> {
        let source = |given: Option<&Path>, shipped: &str| -> Result<Source, ConfigErrors> {
            Ok(match given {
                Some(p) => Source {
                    path: p.display().to_string(),
                    text: read(p)?,
                },
                None => Source {
                    path: shipped.to_owned(),
                    text: shipped_file(shipped).expect("shipped").to_owned(),
                },
            })
        };
        let mut b = Bundle {
            calendars: source(calendars, CALENDARS_PATH)?,
            policies: source(policies, POLICIES_PATH)?,
            contracts: source(contracts, CONTRACTS_PATH)?,
            files: BTreeMap::new(),
        };
        // Compile once to learn (and keep) the holiday files the calendars read.
        let seen = RefCell::new(BTreeMap::new());
        let from_disk = calendars.is_some();
        let reader = |p: &Path| -> std::io::Result<String> {
            let key = p.display().to_string();
            let text = if from_disk {
                super::file::read_text(p)?
            } else {
                shipped_file(&key)
                    .map(str::to_owned)
                    .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, key.clone()))?
            };
            seen.borrow_mut().insert(key, text.clone());
            Ok(text)
        };
        parse_calendars_with(Path::new(&b.calendars.path), &b.calendars.text, &reader)?;
        b.files = seen.into_inner();
        b.compile()?;
        Ok(b)
    }

    /// The shipped files.
    pub fn shipped() -> Bundle {
        Bundle::load(None, None, None).expect("the shipped configuration compiles")
    }

    /// Compiles the texts, reading holiday files only from [`Bundle::files`].
    pub fn compile(&self) -> Result<Compiled, ConfigErrors> {
        let reader = |p: &Path| -> std::io::Result<String> {
            self.files
                .get(&p.display().to_string())
                .cloned()
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{} is not in the bundle", p.display()),
                    )
                })
        };
        let calendars = parse_calendars_with(
            &PathBuf::from(&self.calendars.path),
            &self.calendars.text,
            &reader,
        )?;
        let policies = parse_policies(
            &PathBuf::from(&self.policies.path),
            &self.policies.text,
            &calendars,
        )?;
        let contracts = parse_contracts(
            &PathBuf::from(&self.contracts.path),
            &self.contracts.text,
            &calendars,
        )?;
        Ok(Compiled {
            policies,
            calendars,
            contracts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_bundle_carries_its_holiday_file_and_compiles_alone() {
        let b = Bundle::shipped();
        assert!(
            b.files.contains_key("assets/us-federal.ics"),
            "{:?}",
            b.files.keys()
        );
        let c = b.compile().unwrap();
        assert!(c.contracts.get("acme-telecom-wan").is_some());
        let json = serde_json::to_string(&b).unwrap();
        let back: Bundle = serde_json::from_str(&json).unwrap();
        assert_eq!(back, b);
    }
}
