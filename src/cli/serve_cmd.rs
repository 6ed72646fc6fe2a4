//! `slawatch serve`: the HTTP API for a team (see `crate::server`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::anyhow;
use clap::Args;

use super::config_args::ConfigArgs;
use super::served::Served;
use crate::server::{Config, Limits, Tls};
use crate::store::StoreTarget;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8740", value_name = "ADDR")]
    pub listen: String,
    /// Largest request body accepted, in bytes (413 beyond).
    #[arg(long, default_value_t = 4 << 20, value_name = "BYTES")]
    pub max_body: usize,
    /// How many seconds ahead of this server's clock an event's recorded_at may be.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub clock_skew: u32,
    /// Requests per second per token, twice that in a burst (429 beyond).
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub rate_limit: u32,
    /// Store connections; each answers one request at a time.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub connections: usize,
    /// Threads that run the HTTP connections and the appends' database round trips
    /// (default: a quarter of the cores, at least one). The work that takes CPU (store
    /// reads, reports, evidence, large answers' encoding) runs on other threads; more
    /// of these mostly adds hand-offs between them (see the README's serve figures).
    #[arg(long, value_name = "N")]
    pub io_threads: Option<usize>,
    /// Sign a checkpoint of the Merkle tree this often (such as 1h or 30m) with the
    /// server's key, when the tree grew; off unless given. Several servers on one store
    /// share the schedule.
    #[arg(long, value_name = "DURATION")]
    pub checkpoint_every: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The key that signs the scheduled checkpoints and evidence packages' checkpoints
    /// (default: checkpoint.key in the config directory, created on first use, readable
    /// by its owner only).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// What /v1/report, /v1/penalties and /v1/evidence compute with.
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Starts `--checkpoint-every`'s schedule, if asked for.
fn start_checkpoints(args: &ServeArgs, db: &StoreTarget) -> anyhow::Result<()> {
    let Some(every) = &args.checkpoint_every else {
        return Ok(());
    };
    let micros = crate::config::duration::parse_duration(every)
        .map_err(|e| anyhow!("--checkpoint-every {every:?}: {e}"))?;
    if micros <= 0 {
        return Err(anyhow!(
            "--checkpoint-every {every:?}: must be longer than zero"
        ));
    }
    let key =
        super::signing_key::load_or_create(&super::signing_key::key_path(args.key.as_deref())?)?;
    let every = Duration::from_micros(micros.unsigned_abs());
    crate::server::checkpoints::start(db.clone(), every, key)
        .map_err(|e| anyhow!("cannot start the checkpoint schedule: {e}"))
}

pub fn run(args: ServeArgs, db: &StoreTarget) -> anyhow::Result<()> {
    let listen: SocketAddr = args.listen.parse().map_err(|e| {
        anyhow!(
            "--listen {:?}: {e}; expected ADDRESS:PORT such as 127.0.0.1:8740",
            args.listen
        )
    })?;
    if args.rate_limit == 0 {
        return Err(anyhow!("--rate-limit: must be at least 1"));
    }
    if !(1..=64).contains(&args.connections) {
        return Err(anyhow!(
            "--connections {}: must be from 1 to 64",
            args.connections
        ));
    }
    let io_threads = match args.io_threads {
        None => std::thread::available_parallelism().map_or(1, |n| (n.get() / 4).max(1)),
        Some(n @ 1..=256) => n,
        Some(n) => return Err(anyhow!("--io-threads {n}: must be from 1 to 256")),
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Tls::load(cert, key)?),
        _ => None,
    };
    let reports = Served::load(&args.config, db, args.key.clone())?;
    crate::server::init_logging();
    start_checkpoints(&args, db)?;
    crate::server::run(Config {
        listen,
        target: db.clone(),
        connections: args.connections,
        io_threads,
        tls,
        reports: std::sync::Arc::new(reports),
        limits: Limits {
            max_body: args.max_body,
            clock_skew: chrono::TimeDelta::seconds(i64::from(args.clock_skew)),
            rate_per_second: args.rate_limit,
            drain: Duration::from_secs(10),
        },
    })
}
