//! `slawatch serve` started as its own process on a free port, and a few requests.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_slawatch");

pub struct Serve {
    pub child: Child,
    pub url: String,
    /// One pooled keep-alive client, as consoles use: every request reuses its
    /// connection, so a connection the server closes early fails a test.
    pub agent: ureq::Agent,
}

impl Serve {
    /// Starts `slawatch serve` with `store` (`--db FILE` or `--database-url URL`) and
    /// waits for `/healthz`.
    pub fn start(store: &[&str], extra: &[&str]) -> Serve {
        Serve::start_at(store, extra, free_port())
    }

    /// As [`Serve::start`], on `port` (a server restarted where its clients expect it).
    pub fn start_at(store: &[&str], extra: &[&str], port: u16) -> Serve {
        let child = Command::new(BIN)
            .args(store)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start slawatch serve");
        let s = Serve {
            child,
            url: format!("http://127.0.0.1:{port}"),
            agent: ureq::AgentBuilder::new()
                .max_idle_connections_per_host(1)
                .build(),
        };
        let started = Instant::now();
        while ureq::get(&format!("{}/healthz", s.url)).call().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "serve did not answer /healthz"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    pub fn get(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        answer(
            self.agent
                .get(&format!("{}{path}", self.url))
                .set("Authorization", &format!("Bearer {token}"))
                .call(),
        )
    }

    pub fn post(&self, token: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        answer(
            self.agent
                .post(&format!("{}{path}", self.url))
                .set("Authorization", &format!("Bearer {token}"))
                .set("Content-Type", "application/json")
                .send_string(body),
        )
    }

    /// The status of a POST announcing a body of `len` bytes of which only the first
    /// few are sent: how a client learns of a 413 without racing the server's close
    /// (a client still writing the rest gets a broken pipe instead of the answer).
    pub fn post_announcing(&self, token: &str, path: &str, len: usize) -> u16 {
        use std::io::{Read, Write};
        let addr = self.url.trim_start_matches("http://");
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        write!(
            conn,
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n["
        )
        .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n") && conn.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        let line = String::from_utf8_lossy(&head);
        line.split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {line:?}"))
    }

    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn answer(r: Result<ureq::Response, ureq::Error>) -> (u16, serde_json::Value) {
    let resp = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = resp.status();
    let text = resp.into_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// `slawatch token create` against `store`; returns the secret (its last line).
pub fn token(store: &[&str], name: &str, role: &str, extra: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(store)
        .args(["token", "create", "--name", name, "--role", role])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout.lines().last().unwrap().trim().to_owned()
}

pub fn db_args(path: &Path) -> Vec<String> {
    vec!["--db".into(), path.display().to_string()]
}

/// An event as a console records it, one minute ago.
pub fn event(
    id: &str,
    ticket: &str,
    kind: &str,
    actor: &str,
    payload: serde_json::Value,
) -> serde_json::Value {
    let at = (chrono::Utc::now() - chrono::TimeDelta::minutes(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    serde_json::json!({"id": id, "ticket": ticket, "kind": kind, "at": at, "recorded_at": at, "actor": actor, "payload": payload})
}

pub fn detected(id: &str, ticket: &str, actor: &str) -> serde_json::Value {
    event(
        id,
        ticket,
        "detected",
        actor,
        serde_json::json!({"priority": "P1", "customer": "acme-telecom"}),
    )
}
