//! The load client of `scripts/bench-server`: CLIENTS connections each post one event
//! per request to `POST /v1/events`, one request after the other, for SECONDS, about
//! ten events per ticket (as the design's figures assume), and it prints one line:
//! `appends_per_s=… appends=… clients=… client_cpu_pct=… client_saturated=yes|no`.
//!
//! `cargo run --release --example append_load -- URL TOKENS_FILE CLIENTS SECONDS TAG`
//!
//! TOKENS_FILE holds one `NAME TOKEN` a line (agent tokens; client i signs as the i-th
//! name, as the server requires). TAG keeps the ids of one run apart from another's.
//! One thread does all the HTTP (a current-thread tokio runtime), each client on one
//! kept-alive HTTP/1.1 connection of hyper's (a request costs it about a third of what
//! a reqwest client's does), so that the client takes as little of the machine's CPU
//! from the server and PostgreSQL as it can, as pgbench does, and its CPU time tells
//! whether it was the bottleneck. Every answer is read whole and must be 201.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::json;

#[path = "support/client.rs"]
mod client;
#[path = "support/cpu.rs"]
mod cpu;
use cpu::cpu_seconds;

struct Args {
    url: String,
    tokens: Vec<(String, String)>,
    clients: usize,
    seconds: f64,
    tag: String,
}

fn args() -> Result<Args, String> {
    let usage = "usage: append_load URL TOKENS_FILE CLIENTS SECONDS TAG";
    let a: Vec<String> = std::env::args().skip(1).collect();
    let [url, tokens_file, clients, seconds, tag] = a.as_slice() else {
        return Err(usage.into());
    };
    let text = std::fs::read_to_string(tokens_file)
        .map_err(|e| format!("TOKENS_FILE {tokens_file}: {e}"))?;
    let mut tokens = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let (name, token) = line
            .trim()
            .split_once(' ')
            .ok_or_else(|| format!("TOKENS_FILE {tokens_file}:{}: expected `NAME TOKEN`", n + 1))?;
        tokens.push((name.to_owned(), token.trim().to_owned()));
    }
    let clients: usize = clients
        .parse()
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| format!("CLIENTS {clients:?}: expected a positive whole number"))?;
    if tokens.len() < clients {
        return Err(format!(
            "TOKENS_FILE {tokens_file}: {} tokens for {clients} clients (one each)",
            tokens.len()
        ));
    }
    let seconds = seconds
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .ok_or_else(|| format!("SECONDS {seconds:?}: expected a positive number"))?;
    Ok(Args {
        url: url.trim_end_matches('/').to_owned(),
        tokens,
        clients,
        seconds,
        tag: tag.clone(),
    })
}

fn main() {
    client::run_client("append_load", args(), run);
}

async fn run(args: Args) -> Result<(), String> {
    let base: hyper::Uri = args
        .url
        .parse()
        .map_err(|e| format!("URL {:?}: {e}", args.url))?;
    if base.scheme_str() != Some("http") {
        return Err(format!("URL {:?}: plain http:// only", args.url));
    }
    let authority = base
        .authority()
        .ok_or_else(|| format!("URL {:?}: no host", args.url))?
        .clone();
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(args.seconds);
    let mut tasks = Vec::new();
    for i in 0..args.clients {
        let (name, token) = args.tokens[i].clone();
        let stream = tokio::net::TcpStream::connect(authority.as_str())
            .await
            .map_err(|e| format!("connect {authority}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| format!("HTTP/1.1 with {authority}: {e}"))?;
        tokio::spawn(conn);
        let target = Target {
            authority: authority.to_string(),
            path: format!("{}/v1/events", base.path().trim_end_matches('/')),
            bearer: format!("Bearer {token}"),
        };
        let tag = args.tag.clone();
        tasks.push(tokio::spawn(async move {
            post_until(sender, target, name, format!("{tag}-{i}"), end).await
        }));
    }
    let mut total = 0usize;
    for t in tasks {
        total += t.await.map_err(|e| e.to_string())??;
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu_pct = 100.0 * (cpu_seconds() - cpu0) / wall;
    println!(
        "appends_per_s={:.0} appends={total} clients={} client_cpu_pct={cpu_pct:.0} client_saturated={}",
        total as f64 / wall,
        args.clients,
        if cpu_pct >= 90.0 { "yes" } else { "no" },
    );
    Ok(())
}

struct Target {
    authority: String,
    path: String,
    bearer: String,
}

/// One client: posts until `end`; returns how many events were stored.
async fn post_until(
    mut sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    target: Target,
    actor: String,
    prefix: String,
    end: Instant,
) -> Result<usize, String> {
    let at = (chrono::Utc::now() - chrono::TimeDelta::minutes(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let what = format!("POST http://{}{}", target.authority, target.path);
    let mut n = 0usize;
    while Instant::now() < end {
        let ticket = format!("B{prefix}-{}", n / 10);
        let event = if n % 10 == 0 {
            json!({"id": format!("{ticket}-{n}"), "ticket": ticket, "kind": "detected",
                "at": at, "recorded_at": at, "actor": actor,
                "payload": {"priority": "P3", "customer": "bench"}})
        } else {
            json!({"id": format!("{ticket}-{n}"), "ticket": ticket, "kind": "note",
                "at": at, "recorded_at": at, "actor": actor, "payload": {"text": "bench"}})
        };
        let request = hyper::Request::post(target.path.as_str())
            .header(hyper::header::HOST, target.authority.as_str())
            .header(hyper::header::AUTHORIZATION, target.bearer.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(event.to_string())))
            .map_err(|e| format!("{what}: {e}"))?;
        sender
            .ready()
            .await
            .map_err(|e| format!("{what}: the connection closed: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{what}: reading the answer: {e}"))?
            .to_bytes();
        if status != hyper::StatusCode::CREATED {
            return Err(format!(
                "{what}: {status}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        n += 1;
    }
    Ok(n)
}
