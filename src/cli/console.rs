//! `slawatch` (no command): the console; `slawatch --demo`: the console on a fresh
//! demo store.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::Utc;

use super::Cli;

pub fn run(cli: &Cli, started: Instant) -> anyhow::Result<()> {
    let path = if cli.demo {
        demo_store(cli.db.as_deref(), cli.seed)?
    } else {
        cli.store_path()?
    };
    crate::tui::run(&path, started)
}

/// `slawatch --server URL`: the console on a team server, signed with the token's name.
pub fn run_on_server(server: &super::server_args::Server, started: Instant) -> anyhow::Result<()> {
    // The token file may be config.toml's; a broken config.toml is reported by the
    // console.
    let dir = crate::tui::settings::config_dir();
    let token_file = crate::tui::load_config(dir.as_deref())
        .ok()
        .and_then(|c| c.settings.token_file);
    let remote = server.connect(token_file.as_deref())?;
    let agent = remote.user().to_owned();
    crate::tui::run_on(remote.connector(), remote.place(), Some(agent), started)
}

/// Where `--demo` puts its store without `--db`: beside the real store, never it.
pub fn default_demo_path() -> anyhow::Result<PathBuf> {
    let real = crate::store::default_path()?;
    Ok(real.with_file_name("demo.db"))
}

/// Creates a fresh store seeded with the demo data set (`slawatch demo`'s). Without
/// `--db` it is `demo.db` in the data directory, replaced on every run; an explicit
/// `--db` must be new or empty (a store that holds events is never touched).
pub fn demo_store(db: Option<&Path>, seed: u64) -> anyhow::Result<PathBuf> {
    let path = match db {
        Some(p) => p.to_owned(),
        None => {
            let p = default_demo_path()?;
            for suffix in ["", "-wal", "-shm"] {
                let f = PathBuf::from(format!("{}{suffix}", p.display()));
                if f.exists() {
                    std::fs::remove_file(&f).with_context(|| {
                        format!("cannot replace the demo store {}", f.display())
                    })?;
                }
            }
            p
        }
    };
    super::demo_cmd::seed(&path, seed, Utc::now())?;
    Ok(path)
}
