//! The load client of `scripts/bench-server`: CLIENTS connections each post one event
//! per request to `POST /v1/events`, one request after the other, for SECONDS, about
//! ten events per ticket (as the design's figures assume), and it prints one line:
//! `appends_per_s=… appends=… clients=… client_cpu_pct=… client_saturated=yes|no`.
//!
//! `cargo run --release --example append_load -- URL TOKENS_FILE CLIENTS SECONDS TAG`
//!
//! TOKENS_FILE holds one `NAME TOKEN` a line (agent tokens; client i signs as the i-th
//! name, as the server requires). TAG keeps the ids of one run apart from another's.
//! One thread does all the HTTP (a current-thread tokio runtime), so that the client
//! takes as little of the machine's CPU from the server and PostgreSQL as it can, and
//! its CPU time tells whether it was the bottleneck.

use std::time::{Duration, Instant};

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
    let url = format!("{}/v1/events", args.url);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(args.seconds);
    let mut tasks = Vec::new();
    for i in 0..args.clients {
        let (name, token) = args.tokens[i].clone();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| e.to_string())?;
        let (url, tag) = (url.clone(), args.tag.clone());
        tasks.push(tokio::spawn(async move {
            post_until(client, url, name, token, format!("{tag}-{i}"), end).await
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

/// One client: posts until `end`; returns how many events were stored.
async fn post_until(
    client: reqwest::Client,
    url: String,
    actor: String,
    token: String,
    prefix: String,
    end: Instant,
) -> Result<usize, String> {
    let at = (chrono::Utc::now() - chrono::TimeDelta::minutes(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
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
        let r = client
            .post(&url)
            .bearer_auth(&token)
            .json(&event)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let status = r.status();
        let body = r.text().await.map_err(|e| format!("POST {url}: {e}"))?;
        if status != reqwest::StatusCode::CREATED {
            return Err(format!("POST {url}: {status}: {body}"));
        }
        n += 1;
    }
    Ok(n)
}
