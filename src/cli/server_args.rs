//! `--server URL`: the console or `watch` on a `slawatch serve`, with the token from
//! `SLAWATCH_TOKEN` or config.toml's `token_file`, and the offline outbox in the data
//! directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};

use crate::sync::remote::Remote;

/// The environment variable holding the bearer token.
pub const TOKEN_ENV: &str = "SLAWATCH_TOKEN";

/// The token: `SLAWATCH_TOKEN`, else the file config.toml names.
pub fn token(token_file: Option<&Path>) -> anyhow::Result<String> {
    if let Ok(t) = std::env::var(TOKEN_ENV) {
        let t = t.trim().to_owned();
        if t.is_empty() {
            bail!("{TOKEN_ENV} is set but empty: set it to a token from `slawatch token create`");
        }
        return Ok(t);
    }
    let Some(path) = token_file else {
        bail!("--server needs a token: set {TOKEN_ENV}, or `token_file = \"PATH\"` in config.toml (a token comes from `slawatch token create`)");
    };
    let text = crate::config::read_text(path)
        .with_context(|| format!("token_file {}: cannot read the token", path.display()))?;
    let t = text.trim();
    if t.is_empty() {
        bail!(
            "token_file {}: the file is empty; put the token from `slawatch token create` in it",
            path.display()
        );
    }
    if !crate::store::tokens::well_formed(t) {
        bail!(
            "token_file {}: not a token (`slawatch token create` prints one starting with slw_)",
            path.display()
        );
    }
    Ok(t.to_owned())
}

/// Where outboxes are kept: the platform data directory (`$XDG_DATA_HOME/slawatch`).
pub fn data_dir() -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "slawatch")
        .context("no home directory to keep the outbox in")?;
    Ok(dirs.data_dir().to_owned())
}

/// Connects to the server at `url` with the configured token.
pub fn connect(url: &str, token_file: Option<&Path>) -> anyhow::Result<Arc<Remote>> {
    let token = token(token_file)?;
    Remote::open(url, &token, &data_dir()?).with_context(|| format!("--server {url}"))
}
