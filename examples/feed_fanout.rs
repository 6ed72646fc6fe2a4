//! Simulated consoles for `scripts/bench-fanout`: CONSOLES long-poll loops on
//! `GET /v1/feed?after=CURSOR&wait=25` of one server, each with its own viewer token,
//! while one appender posts RATE events a second for SECONDS through `POST /v1/events`
//! of a server (the same one, or another on the same PostgreSQL database). For every
//! event and console it takes the delay from the append's 2xx to that console receiving
//! the event, and prints one line of figures:
//!
//! `cargo run --release --example feed_fanout -- APPEND_URL FEED_URL AGENT_TOKEN
//! VIEWER_TOKENS_FILE RATE SECONDS`
//!
//! One thread does all the HTTP (a current-thread tokio runtime), so its CPU time over
//! the measurement tells whether the client, not the server, was the bottleneck.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::watch;

#[path = "support/client.rs"]
mod client;
#[path = "support/cpu.rs"]
mod cpu;
use cpu::cpu_seconds;

/// How long, after the last append, consoles get to receive everything.
const GRACE: Duration = Duration::from_secs(10);

struct Args {
    append_url: String,
    feed_url: String,
    agent_token: String,
    viewer_tokens: Vec<String>,
    rate: f64,
    seconds: f64,
}

fn args() -> Result<Args, String> {
    let usage =
        "usage: feed_fanout APPEND_URL FEED_URL AGENT_TOKEN VIEWER_TOKENS_FILE RATE SECONDS";
    let a: Vec<String> = std::env::args().skip(1).collect();
    let [append_url, feed_url, agent_token, tokens_file, rate, seconds] = a.as_slice() else {
        return Err(usage.into());
    };
    let text = std::fs::read_to_string(tokens_file)
        .map_err(|e| format!("VIEWER_TOKENS_FILE {tokens_file}: {e}"))?;
    let viewer_tokens: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if viewer_tokens.is_empty() {
        return Err(format!(
            "VIEWER_TOKENS_FILE {tokens_file}: no tokens (one a line)"
        ));
    }
    let number = |what: &str, s: &str| match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{what} {s:?}: expected a positive number")),
    };
    Ok(Args {
        append_url: append_url.trim_end_matches('/').to_owned(),
        feed_url: feed_url.trim_end_matches('/').to_owned(),
        agent_token: agent_token.clone(),
        viewer_tokens,
        rate: number("RATE", rate)?,
        seconds: number("SECONDS", seconds)?,
    })
}

fn main() {
    client::run_client("feed_fanout", args(), run);
}

/// When each console received each bench event, by event id.
type Received = Arc<Mutex<Vec<HashMap<String, Instant>>>>;

async fn run(args: Args) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .build()
        .map_err(|e| e.to_string())?;
    let consoles = args.viewer_tokens.len();
    let cursor = start_cursor(&client, &args.feed_url, &args.viewer_tokens[0]).await?;
    let received: Received = Arc::new(Mutex::new(vec![HashMap::new(); consoles]));
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    for (i, token) in args.viewer_tokens.iter().enumerate() {
        tasks.push(tokio::spawn(console(
            client.clone(),
            args.feed_url.clone(),
            token.clone(),
            cursor.clone(),
            i,
            Arc::clone(&received),
            stopped.clone(),
        )));
    }
    wait_for_waiters(&client, &args.feed_url, consoles).await?;

    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let tag = format!("{}-{}", std::process::id(), chrono::Utc::now().timestamp());
    let acked = append(&client, &args, &tag).await?;
    let expected = acked.len();
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        let complete = received
            .lock()
            .expect("lock")
            .iter()
            .all(|got| got.len() >= expected);
        if complete {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let _ = stop.send(true);
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }

    let got = received.lock().expect("lock");
    let mut delays: Vec<f64> = Vec::with_capacity(expected * consoles);
    let mut missing = 0usize;
    for console in got.iter() {
        for (id, at) in &acked {
            match console.get(id) {
                // A console may see the event before the appender reads its 2xx: no delay.
                Some(seen) => delays.push(seen.saturating_duration_since(*at).as_secs_f64()),
                None => missing += 1,
            }
        }
    }
    delays.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        if delays.is_empty() {
            f64::NAN
        } else {
            delays[((delays.len() as f64 * p).ceil() as usize).clamp(1, delays.len()) - 1] * 1e3
        }
    };
    let cpu_pct = 100.0 * cpu / wall;
    println!(
        "p50_ms={:.1} p99_ms={:.1} max_ms={:.1} deliveries={} missing={} events={expected} consoles={consoles} client_cpu_pct={cpu_pct:.0} client_saturated={}",
        pct(0.50),
        pct(0.99),
        pct(1.0),
        delays.len(),
        missing,
        if cpu_pct >= 90.0 { "yes" } else { "no" },
    );
    Ok(())
}

/// The feed's cursor now, from a snapshot: consoles start where a console would.
async fn start_cursor(client: &reqwest::Client, url: &str, token: &str) -> Result<String, String> {
    let v: Value = get_json(client, &format!("{url}/v1/tickets?state=open"), token).await?;
    v["cursor"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{url}/v1/tickets: no cursor in the answer"))
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> Result<Value, String> {
    let r = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = r.status();
    let body = r.text().await.map_err(|e| format!("GET {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("GET {url}: {status}: {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("GET {url}: not JSON: {e}"))
}

/// One simulated console: long-polls until told to stop, noting when each bench event
/// arrives.
async fn console(
    client: reqwest::Client,
    url: String,
    token: String,
    mut cursor: String,
    index: usize,
    received: Received,
    mut stopped: watch::Receiver<bool>,
) -> Result<(), String> {
    loop {
        let page = format!("{url}/v1/feed?after={cursor}&wait=25");
        let answer = tokio::select! {
            a = get_json(&client, &page, &token) => a?,
            _ = stopped.wait_for(|s| *s) => return Ok(()),
        };
        let now = Instant::now();
        if let Some(events) = answer["events"].as_array() {
            let mut got = received.lock().expect("lock");
            for e in events {
                if let Some(id) = e["id"].as_str().filter(|id| id.starts_with("fan-")) {
                    got[index].entry(id.to_owned()).or_insert(now);
                }
            }
        }
        cursor = answer["cursor"]
            .as_str()
            .ok_or_else(|| format!("{url}/v1/feed: no cursor in the answer"))?
            .to_owned();
    }
}

/// Waits until the feed server counts every console's long-poll as waiting.
async fn wait_for_waiters(client: &reqwest::Client, url: &str, n: usize) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let text = client
            .get(format!("{url}/metrics"))
            .send()
            .await
            .map_err(|e| format!("GET {url}/metrics: {e}"))?
            .text()
            .await
            .map_err(|e| format!("GET {url}/metrics: {e}"))?;
        let waiting = text
            .lines()
            .find_map(|l| l.strip_prefix("slawatch_feed_waiters "))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .ok_or_else(|| format!("{url}/metrics: no slawatch_feed_waiters gauge"))?;
        if waiting >= n {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "only {waiting} of {n} consoles long-polling after 30 s"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Posts RATE events a second for SECONDS, one new ticket each; returns when each
/// event's 2xx arrived, by id.
async fn append(
    client: &reqwest::Client,
    args: &Args,
    tag: &str,
) -> Result<Vec<(String, Instant)>, String> {
    let url = format!("{}/v1/events", args.append_url);
    let total = (args.rate * args.seconds).round() as usize;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut acked = Vec::with_capacity(total);
    for n in 0..total {
        tick.tick().await;
        let at = (chrono::Utc::now() - chrono::TimeDelta::seconds(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let id = format!("fan-{tag}-{n}");
        let event = json!({"id": id, "ticket": format!("FAN-{tag}-{n}"), "kind": "detected",
            "at": at, "recorded_at": at, "actor": "fanout",
            "payload": {"priority": "P3", "customer": "bench", "title": "fan-out"}});
        let r = client
            .post(&url)
            .bearer_auth(&args.agent_token)
            .json(&event)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let at = Instant::now();
        let status = r.status();
        if !status.is_success() {
            let body = r.text().await.unwrap_or_default();
            return Err(format!("POST {url}: {status}: {body}"));
        }
        acked.push((id, at));
        let _ = r.bytes().await;
    }
    Ok(acked)
}
