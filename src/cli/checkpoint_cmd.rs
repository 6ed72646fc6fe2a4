//! `slawatch checkpoint`: sign the log-wide Merkle tree's size and root, keep the
//! checkpoint in the store, print it (and write it to `--out`) to be kept elsewhere.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use super::signing_key;
use crate::store::checkpoint::Checkpoint;
use crate::store::{open_team, StoreTarget};

#[derive(Args, Debug)]
pub struct CheckpointArgs {
    /// Also write the checkpoint to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The signing key (default: checkpoint.key in the config directory, created on
    /// first use, readable by its owner only).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

/// Signs and keeps a checkpoint of the store as of now.
pub fn sign_now(db: &StoreTarget, key: Option<&Path>) -> anyhow::Result<Checkpoint> {
    if let StoreTarget::Sqlite(path) = db {
        if !path.exists() {
            bail!("no store at {}: nothing to checkpoint", path.display());
        }
    }
    let key = signing_key::load_or_create(&signing_key::key_path(key)?)?;
    let mut store = open_team(db)?;
    let now = chrono::Utc::now();
    let cp = store
        .write_checkpoint(&mut |s| Some(Checkpoint::sign(&s.store, s.size, s.root, now, &key)))?;
    Ok(cp.expect("always signed"))
}

pub fn run(args: CheckpointArgs, db: &StoreTarget) -> anyhow::Result<()> {
    // Open the output first: a checkpoint nobody can keep is not worth signing.
    let mut out = match &args.out {
        Some(p) => Some(
            std::fs::File::create(p)
                .with_context(|| format!("cannot write the checkpoint to {}", p.display()))?,
        ),
        None => None,
    };
    let cp = sign_now(db, args.key.as_deref())?;
    let text = cp.to_text();
    if let (Some(f), Some(p)) = (out.as_mut(), &args.out) {
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .with_context(|| format!("cannot write the checkpoint to {}", p.display()))?;
    }
    print!("{text}");
    Ok(())
}
