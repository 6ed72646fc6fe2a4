//! The command line's client of `slawatch serve` (`--server URL`): blocking HTTP with
//! rustls, a bearer token, timeouts, and errors that name the server and say whether it
//! was unreachable, refused the request (with its message) or did not know the token.

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use reqwest::blocking::{Client as Http, RequestBuilder, Response};
use reqwest::StatusCode;
use serde_json::Value;

/// How long one request may take, long enough for a report over a big store.
const TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a command's store is a server, and the token to ask with.
pub struct Client {
    base: String,
    token: String,
    http: Http,
}

/// What a server answered, when it refused: the status and its `error` message, with
/// the whole JSON body for callers that locate problems from it.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
    pub body: Value,
}

impl Client {
    /// `server` is the base URL (`https://slawatch.example:8740`); `ca_cert` a PEM
    /// certificate to trust besides the usual roots (a self-signed server's).
    pub fn new(server: &str, token: String, ca_cert: Option<&Path>) -> anyhow::Result<Client> {
        let base = server.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base).map_err(|e| {
            anyhow!("--server {server:?}: {e}; expected http://HOST:PORT or https://HOST:PORT")
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            bail!("--server {server:?}: expected http://HOST:PORT or https://HOST:PORT");
        }
        let mut builder = Http::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("slawatch/", env!("CARGO_PKG_VERSION")));
        for c in root_certificates(ca_cert)? {
            builder = builder.add_root_certificate(c);
        }
        let http = builder
            .build()
            .map_err(|e| anyhow!("cannot set up the HTTP client: {e}"))?;
        Ok(Client { base, token, http })
    }

    /// The server's base URL, for messages.
    pub fn server(&self) -> &str {
        &self.base
    }

    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<Response> {
        self.send(self.http.get(self.url(path)).query(query))
    }

    pub fn get_json(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<Value> {
        let r = self.get(path, query)?;
        r.json()
            .map_err(|e| anyhow!("server {}: an answer that is not JSON: {e}", self.base))
    }

    /// Posts `body` (`content_type`): the answer, or the server's refusal as a value so
    /// the caller can locate the problems it lists.
    pub fn post(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<Result<Value, Refusal>> {
        let r = self
            .authorised(self.http.post(self.url(path)))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .map_err(|e| self.unreachable(e))?;
        let status = r.status();
        let body = self.body(r)?;
        if status.is_success() {
            return Ok(Ok(body));
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(self.unauthorised(&body));
        }
        Ok(Err(Refusal {
            status,
            message: message(&body),
            body,
        }))
    }

    /// The error for a refusal that the caller has nothing to add to.
    pub fn refused(&self, r: &Refusal) -> anyhow::Error {
        anyhow!(
            "server {} refused ({}): {}",
            self.base,
            r.status.as_u16(),
            r.message
        )
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authorised(&self, req: RequestBuilder) -> RequestBuilder {
        req.bearer_auth(&self.token)
    }

    fn send(&self, req: RequestBuilder) -> anyhow::Result<Response> {
        let r = self
            .authorised(req)
            .send()
            .map_err(|e| self.unreachable(e))?;
        let status = r.status();
        if status.is_success() {
            return Ok(r);
        }
        let body = self.body(r)?;
        if status == StatusCode::UNAUTHORIZED {
            return Err(self.unauthorised(&body));
        }
        Err(self.refused(&Refusal {
            status,
            message: message(&body),
            body,
        }))
    }

    fn body(&self, r: Response) -> anyhow::Result<Value> {
        let text = r
            .text()
            .map_err(|e| anyhow!("server {}: the answer broke off: {e}", self.base))?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    fn unauthorised(&self, body: &Value) -> anyhow::Error {
        anyhow!(
            "server {}: unauthorised ({}); check SLAWATCH_TOKEN or --token-file",
            self.base,
            message(body)
        )
    }

    fn unreachable(&self, e: reqwest::Error) -> anyhow::Error {
        let why = if e.is_timeout() {
            format!("no answer within {} s", TIMEOUT.as_secs())
        } else if e.is_connect() {
            format!("cannot connect: {}", innermost(&e))
        } else {
            innermost(&e)
        };
        anyhow!("server {} is unreachable: {why}", self.base)
    }
}

/// The certificates of `--ca-cert FILE` (a PEM bundle), to trust besides the usual
/// roots: for every client of a server, the commands' and the console's alike.
pub fn root_certificates(ca_cert: Option<&Path>) -> anyhow::Result<Vec<reqwest::Certificate>> {
    let Some(path) = ca_cert else {
        return Ok(Vec::new());
    };
    let pem = std::fs::read(path)
        .with_context(|| format!("--ca-cert {}: cannot read it", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| anyhow!("--ca-cert {}: not a PEM certificate: {e}", path.display()))?;
    if certs.is_empty() {
        bail!("--ca-cert {}: no PEM certificate in it", path.display());
    }
    Ok(certs)
}

/// The environment variable holding the bearer token.
pub const TOKEN_ENV: &str = "SLAWATCH_TOKEN";

/// The token for `--server`, for the commands, the console and `watch` alike:
/// `--token-file FILE` (`flag`), else `SLAWATCH_TOKEN`, else the file config.toml's
/// `token_file` names (`configured`; the commands pass none).
pub fn token(flag: Option<&Path>, configured: Option<&Path>) -> anyhow::Result<String> {
    let (token, from) = if let Some(p) = flag {
        (
            read_token(p, "--token-file")?,
            format!("--token-file {}", p.display()),
        )
    } else if let Some(t) = std::env::var(TOKEN_ENV)
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
    {
        // Set but empty counts as unset, as shells leave `SLAWATCH_TOKEN=` behind.
        (t, TOKEN_ENV.to_owned())
    } else if let Some(p) = configured {
        (
            read_token(p, "token_file")?,
            format!("token_file {}", p.display()),
        )
    } else {
        bail!("--server needs a token: set {TOKEN_ENV} or pass --token-file FILE (the console and `watch` also read `token_file = \"PATH\"` in config.toml); `slawatch token create` makes one");
    };
    if !crate::store::tokens::well_formed(&token) {
        bail!("{from}: not a slawatch token (expected slw_ and 43 base64url characters, as `slawatch token create` prints)");
    }
    Ok(token)
}

/// The token in the file at `path` (`what` names where the path came from).
fn read_token(path: &Path, what: &str) -> anyhow::Result<String> {
    let text = crate::config::read_text(path)
        .with_context(|| format!("{what} {}: cannot read the token", path.display()))?;
    let t = text.trim();
    if t.is_empty() {
        bail!(
            "{what} {}: the file is empty; put the token from `slawatch token create` in it",
            path.display()
        );
    }
    Ok(t.to_owned())
}

/// The `error` of a JSON refusal, or the text of another.
fn message(body: &Value) -> String {
    match body {
        Value::Object(m) => m
            .get("error")
            .and_then(Value::as_str)
            .map_or_else(|| body.to_string(), str::to_owned),
        Value::String(s) if s.trim().is_empty() => "no message".to_owned(),
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

/// reqwest's outer message says only "error sending request": the cause says why.
fn innermost(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}
