//! `slawatch serve`: the team backend. An HTTP API (axum on tokio) over a store —
//! SQLite for one host, PostgreSQL for a team with several `serve` processes. The API
//! is described in `assets/openapi.yaml`.

mod append_job;
mod append_loop;
mod appender;
mod auth;
mod body;
pub mod checkpoints;
mod error;
mod events;
mod extract;
mod heads;
mod metrics;
mod pool;
mod read;
pub mod reports;
mod tls;
mod token_cache;
mod whoami;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::watch;
use tower_http::compression::predicate::{DefaultPredicate, Predicate as _, SizeAbove};

use crate::store::StoreTarget;

pub use metrics::Metrics;
pub use tls::Tls;

/// What `serve` is told on its command line.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub target: StoreTarget,
    pub limits: Limits,
    /// Store connections (each runs one request's queries at a time).
    pub connections: usize,
    /// The async runtime's worker threads.
    pub io_threads: usize,
    /// HTTPS instead of plain HTTP.
    pub tls: Option<Tls>,
    /// What `/v1/report`, `/v1/penalties` and `/v1/evidence` compute with.
    pub reports: Arc<dyn reports::Reports>,
}

#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted (413 beyond).
    pub max_body: usize,
    /// How far ahead of the server's clock an event's `recorded_at` may be.
    pub clock_skew: chrono::TimeDelta,
    /// Requests per second per token (twice that in a burst; 429 beyond).
    pub rate_per_second: u32,
    /// How long in-flight requests get to finish after SIGTERM.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body: 4 << 20,
            clock_skew: chrono::TimeDelta::seconds(120),
            rate_per_second: 200,
            drain: Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pool: Arc<pool::Pool>,
    appender: Arc<appender::Appender>,
    tokens: Arc<token_cache::TokenCache>,
    heads: Arc<heads::Heads>,
    metrics: Arc<Metrics>,
    limiter: Arc<auth::Limiter>,
    limits: Arc<Limits>,
    reports: Arc<dyn reports::Reports>,
    shutdown: Shutdown,
}

/// Set once on SIGTERM or SIGINT; long-polls answer at once from then on.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    async fn cancelled(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|v| *v).await;
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(read::healthz))
        .route("/metrics", get(read::metrics))
        .route("/v1/events", post(events::post))
        .route("/v1/tickets", get(read::tickets))
        .route("/v1/tickets/{id}", get(read::one_ticket))
        .route("/v1/feed", get(read::feed))
        .route("/v1/nudges/claim", post(read::claim))
        .route("/v1/report", get(reports::report))
        .route("/v1/penalties", get(reports::penalties))
        .route("/v1/evidence/{ticket}", get(reports::evidence))
        .route("/v1/whoami", get(whoami::whoami))
        .route("/v1/nudges/sent", get(whoami::sent))
        .route("/v1/snoozes", get(whoami::snoozes))
        .route(
            "/v1/snoozes/{ticket}",
            axum::routing::put(whoami::set_snooze),
        )
        .fallback(extract::not_found)
        .method_not_allowed_fallback(extract::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        // The fastest level: a snapshot of 100,000 tickets is about 55 MB of JSON, which
        // the default level takes several times as long to compress for a fifth less.
        // Not below 1 KiB: an answer to an append (some 200 bytes) gains nothing, and
        // the compressor's state, hundreds of KiB zeroed per answer, cost more CPU than
        // the rest of the append's work in `serve`.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .gzip(true)
                .quality(tower_http::CompressionLevel::Fastest)
                .compress_when(DefaultPredicate::new().and(SizeAbove::new(1024))),
        )
        .with_state(state)
}

/// Logs every request and counts it in the metrics, by route.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_owned();
    let method = req.method().clone();
    let response = next.run(req).await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.request(&route, status, took);
    tracing::info!(%method, route, status, ms = took.as_secs_f64() * 1000.0, "request");
    response
}

/// Runs the server until SIGTERM or SIGINT.
pub fn run(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.io_threads)
        .enable_all()
        .thread_name("slawatch-serve")
        .build()?;
    runtime.block_on(serve(config))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let target = config.target.clone();
    let pool =
        tokio::task::spawn_blocking(move || pool::Pool::open(target, config.connections)).await??;
    let metrics = Arc::new(Metrics::default());
    let appender = Arc::new(match &config.target {
        StoreTarget::Postgres(url) => {
            appender::Appender::on_postgres(url, Arc::clone(&pool), Arc::clone(&metrics)).await?
        }
        // One writer at a time on SQLite anyway.
        target => {
            let (target, m) = (target.clone(), Arc::clone(&metrics));
            tokio::task::spawn_blocking(move || appender::Appender::start(&target, 1, m)).await??
        }
    });
    let heads = heads::Heads::new();
    tokio::spawn(Arc::clone(&heads).watch(Arc::clone(&pool), Arc::clone(&metrics)));
    let tokens = Arc::new(token_cache::TokenCache::default());
    if let StoreTarget::Postgres(url) = &config.target {
        tokio::spawn(Arc::clone(&heads).listen(url.clone(), Arc::clone(&tokens)));
    }
    let (stop, stopped) = watch::channel(false);
    let state = AppState {
        pool,
        appender,
        tokens,
        heads,
        metrics,
        limiter: Arc::new(auth::Limiter::new(config.limits.rate_per_second)),
        limits: Arc::new(config.limits.clone()),
        reports: Arc::clone(&config.reports),
        shutdown: Shutdown(stopped),
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("--listen {}: {e}", config.listen))?;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(listen = %listener.local_addr()?, scheme, store = %config.target, "serving");
    let app = router(state.clone());
    let stopping = async move {
        signal().await;
        tracing::info!("shutting down: finishing in-flight requests, closing long-polls");
        let _ = stop.send(true);
    };
    let drained = async {
        state.shutdown.cancelled().await;
        tokio::time::sleep(config.limits.drain).await;
    };
    let served = match config.tls {
        Some(tls) => {
            let server = axum::serve(tls.listen(listener)?, app).with_graceful_shutdown(stopping);
            tokio::select! {
                r = server => Some(r),
                () = drained => None,
            }
        }
        None => {
            // Answers are small and each one is awaited: send them at once, not after Nagle's wait.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::warn!(error = %e, "cannot set TCP_NODELAY");
                }
            });
            let server = axum::serve(listener, app).with_graceful_shutdown(stopping);
            tokio::select! {
                r = server => Some(r),
                () = drained => None,
            }
        }
    };
    match served {
        Some(r) => r?,
        None => tracing::warn!(
            "requests still open {:?} after shutdown began; closing them",
            config.limits.drain
        ),
    }
    tracing::info!("stopped");
    Ok(())
}

async fn signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Logs to standard error; `RUST_LOG` filters (default: info).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
