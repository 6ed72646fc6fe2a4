//! `--server URL`: the console or `watch` on a `slawatch serve`, with the token from
//! `--token-file`, `SLAWATCH_TOKEN` or config.toml's `token_file`, `--ca-cert` for a
//! self-signed server, and the offline outbox in the data directory. One piece of code
//! for both, so the console and its watchers connect alike.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use super::Cli;
use crate::sync::remote::Remote;

/// The global flags that name a server and how to reach it.
#[derive(Clone, Debug)]
pub struct Server {
    pub url: String,
    pub token_file: Option<PathBuf>,
    pub ca_cert: Option<PathBuf>,
}

impl Server {
    /// The server of this invocation, if `--server` (or `SLAWATCH_SERVER`) names one.
    pub fn of(cli: &Cli) -> Option<Server> {
        cli.server.as_ref().map(|url| Server {
            url: url.clone(),
            token_file: cli.token_file.clone(),
            ca_cert: cli.ca_cert.clone(),
        })
    }

    /// Connects with the token (see [`crate::remote::token`]; `configured` is
    /// config.toml's `token_file`).
    pub fn connect(&self, configured: Option<&Path>) -> anyhow::Result<Arc<Remote>> {
        let token = crate::remote::token(self.token_file.as_deref(), configured)?;
        let roots = crate::remote::root_certificates(self.ca_cert.as_deref())?;
        Remote::open(&self.url, &token, roots, &data_dir()?)
            .with_context(|| format!("--server {}", self.url))
    }
}

/// Where outboxes are kept: the platform data directory (`$XDG_DATA_HOME/slawatch`).
pub fn data_dir() -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "slawatch")
        .context("no home directory to keep the outbox in")?;
    Ok(dirs.data_dir().to_owned())
}
