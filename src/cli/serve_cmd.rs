//! `slawatch serve`: the HTTP API for a team (see `crate::server`).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::anyhow;
use clap::Args;

use crate::server::{Config, Limits};
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
    crate::server::init_logging();
    crate::server::run(Config {
        listen,
        target: db.clone(),
        connections: args.connections.clamp(1, 64),
        limits: Limits {
            max_body: args.max_body,
            clock_skew: chrono::TimeDelta::seconds(i64::from(args.clock_skew)),
            rate_per_second: args.rate_limit,
            drain: Duration::from_secs(10),
        },
    })
}
