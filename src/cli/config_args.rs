//! Configuration files a command computes with; the shipped ones for any left out.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use crate::config::Bundle;

#[derive(Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// Calendars file (default: the shipped assets/calendars.toml).
    #[arg(long, value_name = "FILE")]
    pub calendars: Option<PathBuf>,
    /// Policies file (default: the shipped assets/policies.toml).
    #[arg(long, value_name = "FILE")]
    pub policies: Option<PathBuf>,
    /// Contracts file (default: the shipped assets/contracts.toml).
    #[arg(long, value_name = "FILE")]
    pub contracts: Option<PathBuf>,
}

impl ConfigArgs {
    pub fn bundle(&self) -> anyhow::Result<Bundle> {
        Bundle::load(
            self.calendars.as_deref(),
            self.policies.as_deref(),
            self.contracts.as_deref(),
        )
        .map_err(|e| anyhow!("{e}"))
    }

    /// With `--server` the server computes with the files it was started with.
    pub fn refuse_with_server(&self) -> anyhow::Result<()> {
        for (flag, given) in [
            ("--calendars", &self.calendars),
            ("--policies", &self.policies),
            ("--contracts", &self.contracts),
        ] {
            if given.is_some() {
                anyhow::bail!("{flag} applies to a store (--db); with --server the server computes with the files `slawatch serve` was started with");
            }
        }
        Ok(())
    }
}

/// `--now` or the current instant, to the second.
pub fn now_arg(now: Option<&str>) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    match now {
        Some(s) => super::input::parse_instant(s).map_err(|e| anyhow!("--now: {e}")),
        None => {
            let t = chrono::Utc::now();
            Ok(chrono::DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t))
        }
    }
}
