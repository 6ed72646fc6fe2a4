//! The HTTP transport of a remote source: one reqwest client (rustls) on a small tokio
//! runtime of its own, shared by every connection, each call made from a worker
//! thread with `block_on`; and what an HTTP failure means to a caller that may retry.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use crate::sync::SourceError;

/// How long a connection may take to open: a server that is down answers at once, one
/// behind a dead link does not.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

pub struct Http {
    base: Url,
    token: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

/// An answer: status and body.
pub struct Answer {
    pub status: StatusCode,
    pub body: bytes::Bytes,
}

impl Answer {
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, SourceError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            SourceError::Rejected(format!(
                "the server's answer to {what} is not what this slawatch reads: {e}"
            ))
        })
    }

    /// The `error` the server gave, or the status.
    pub fn error(&self) -> String {
        serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| self.status.to_string())
    }
}

impl Http {
    /// A transport to `url` (http or https) sending `token`, trusting `roots` besides
    /// the usual ones (`--ca-cert`: a self-signed server's certificate).
    pub fn new(url: &str, token: &str, roots: Vec<reqwest::Certificate>) -> Result<Http, String> {
        let mut base = Url::parse(url).map_err(|e| {
            format!("--server {url:?}: not a URL ({e}); expected http://HOST:PORT or https://HOST")
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(format!(
                "--server {url:?}: expected http://HOST:PORT or https://HOST"
            ));
        }
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        if !crate::store::tokens::well_formed(token) {
            return Err(
                "the token is not one `slawatch token create` makes (slw_ and 43 more characters)"
                    .into(),
            );
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .user_agent(concat!("slawatch/", env!("CARGO_PKG_VERSION")));
        for c in roots {
            builder = builder.add_root_certificate(c);
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot set up HTTP: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("slawatch-http")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
        Ok(Http {
            base,
            token: token.to_owned(),
            client,
            runtime,
        })
    }

    /// The server's address as given (for messages and the header).
    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `path` (relative, `v1/…`) with each of `segments` appended, percent-encoded.
    pub fn url(&self, path: &str, segments: &[&str]) -> Url {
        let mut u = self.base.join(path).expect("a relative path joins");
        if !segments.is_empty() {
            u.path_segments_mut()
                .expect("http URLs have paths")
                .extend(segments);
        }
        u
    }

    /// One request; a network failure or a server that cannot serve now (5xx, 429) is
    /// `Unreachable`, any other answer is returned as it is.
    pub fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<Answer, SourceError> {
        let req = self.request(method, &url, body, timeout);
        let answer = self.block(async move {
            let r = req.send().await?;
            let status = r.status();
            let body = r.bytes().await?;
            Ok::<_, reqwest::Error>(Answer { status, body })
        });
        let answer = answer.map_err(|e| self.unreachable(&e))?;
        self.serving(&url, answer)
    }

    /// A GET whose body is read as it arrives (see [`Body`]). An answer other than
    /// a success is read whole and returned as [`Http::call`] would.
    pub fn stream(&self, url: Url, timeout: Duration) -> Result<Result<Body, Answer>, SourceError> {
        let req = self.request(Method::GET, &url, None, timeout);
        // `send` starts the timeout's timer: inside the runtime.
        let r = self
            .block(async move { req.send().await })
            .map_err(|e| self.unreachable(&e))?;
        let status = r.status();
        if !status.is_success() {
            let body = self.block(r.bytes()).map_err(|e| self.unreachable(&e))?;
            return self.serving(&url, Answer { status, body }).map(Err);
        }
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let base = self.base().to_owned();
        let mut r = r;
        self.runtime.spawn(async move {
            loop {
                let part = match r.chunk().await {
                    Ok(Some(p)) => Ok(p),
                    Ok(None) => break,
                    Err(e) => Err(format!("{base} unreachable: {}", cause(&e))),
                };
                let failed = part.is_err();
                if tx.send(part).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(Ok(Body {
            parts: rx,
            part: bytes::Bytes::new(),
        }))
    }

    fn request(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> reqwest::RequestBuilder {
        let req = self
            .client
            .request(method, url.clone())
            .bearer_auth(&self.token)
            .timeout(timeout);
        match body {
            Some(b) => req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b),
            None => req,
        }
    }

    /// The answer, unless it says the server cannot serve now (5xx, 429): `Unreachable`.
    fn serving(&self, url: &Url, answer: Answer) -> Result<Answer, SourceError> {
        if answer.status.is_server_error() || answer.status == StatusCode::TOO_MANY_REQUESTS {
            return Err(SourceError::Unreachable(format!(
                "{} answered {} with {}: {}",
                self.base(),
                url.path(),
                answer.status.as_u16(),
                answer.error()
            )));
        }
        Ok(answer)
    }

    /// A request that got no answer: why, and for a certificate this client does not
    /// trust, what to do (still `Unreachable`: an outbox replay must not take it for
    /// the server refusing the event).
    pub fn unreachable(&self, e: &reqwest::Error) -> SourceError {
        if untrusted(e) {
            return SourceError::Unreachable(format!(
                "{} unreachable: {UNTRUSTED} ({}); pass --ca-cert FILE with its certificate or its CA's",
                self.base(),
                cause(e)
            ));
        }
        SourceError::Unreachable(format!("{} unreachable: {}", self.base(), cause(e)))
    }

    /// A refusal as the caller sees it: the server said no, and asking again unchanged
    /// will not help.
    pub fn refused(&self, what: &str, a: &Answer) -> SourceError {
        SourceError::Rejected(format!(
            "{} refused {what} ({}): {}",
            self.base(),
            a.status.as_u16(),
            a.error()
        ))
    }

    /// Runs `f` on the transport's runtime (from any thread outside it).
    pub fn block<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.handle().block_on(f)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn token(&self) -> &str {
        &self.token
    }
}

/// A response body read from a worker thread as the transport's runtime receives it
/// (decompressed). A failure on the way is an I/O error whose text says why.
pub struct Body {
    parts: tokio::sync::mpsc::Receiver<Result<bytes::Bytes, String>>,
    part: bytes::Bytes,
}

impl std::io::Read for Body {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.part.is_empty() {
            match self.parts.blocking_recv() {
                Some(Ok(p)) => self.part = p,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.part.len());
        out[..n].copy_from_slice(&self.part.split_to(n));
        Ok(n)
    }
}

/// What the message of a request refused for its certificate says.
pub const UNTRUSTED: &str = "the server's TLS certificate is not trusted";

/// Whether a request failed because the server's certificate did not verify. rustls
/// says why, inside I/O errors (nested: hyper's holds tokio-rustls's), whose inner
/// error `source` skips.
fn untrusted(e: &reqwest::Error) -> bool {
    fn invalid(mut err: &(dyn std::error::Error + 'static)) -> bool {
        loop {
            if let Some(r) = err.downcast_ref::<rustls::Error>() {
                return matches!(r, rustls::Error::InvalidCertificate(_));
            }
            match err
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => err = inner,
                None => return false,
            }
        }
    }
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if invalid(err) {
            return true;
        }
        next = err.source();
    }
    false
}

/// The innermost cause of a request error: "Connection refused (os error 111)" says
/// more than "error sending request".
fn cause(e: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(next) = last.source() {
        last = next;
    }
    if e.is_timeout() {
        format!("no answer in time ({last})")
    } else {
        last.to_string()
    }
}
