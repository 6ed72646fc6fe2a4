//! The source on a server (`slawatch --server URL`, `slawatch watch --server URL`):
//! the console's reads and appends over `slawatch serve`'s HTTP API.
//!
//! - **Feed:** `changes` long-polls `/v1/feed` for at most [`FEED_WAIT`], so an event
//!   appended anywhere shows at once and the feed worker still takes its commands
//!   between polls; the facts of the tickets it names come from `/v1/tickets/{id}`.
//! - **Link:** a failure to reach the server starts a backoff shared by every
//!   connection (exponential, with jitter, capped at [`MAX_BACKOFF`] so a returning
//!   server is found quickly); until the next try is due, calls fail at once without
//!   waiting on the network, and countdowns and nudges go on from what is known.
//! - **Outbox:** every append goes first to the [`Outbox`] file and leaves it only
//!   when the server has the event, so nothing recorded offline is lost to a restart;
//!   a replay expects the head the console knew, and an event whose ticket moved on
//!   meanwhile is kept as needing the agent's decision and told as a notice.
//! - **Who:** the agent is the token's name (`/v1/whoami`), cached in the outbox so an
//!   offline start knows it.
//! - Nudge claims, the sent log and snoozes are the server's (so one person hears each
//!   nudge once across consoles and watchers); the compliance view is not offered on a
//!   server: its month needs every history, which the server's reports compute.

mod http;
mod snapshot;
mod wire;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use rand::Rng;
use reqwest::{Method, StatusCode};

use super::outbox::{self, Entry, Identity, Outbox};
use super::{
    Changed, Connect, Connector, Cursor, Decision, Expect, Link, MonthInput, Purpose, Source,
    SourceError, Undecided,
};
use crate::model::Event;
use crate::sla::penalty::Month;
use crate::sla::Micros;
use crate::store::{Appended, Claim, NudgeRecord, StoredEvent, TicketFacts};

pub use http::Http;

/// The longest one read of the change feed waits for news.
pub const FEED_WAIT: Duration = Duration::from_secs(1);
/// The longest wait between two tries to reach a server that did not answer.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Per request, beyond what the request itself waits on the server.
const TIMEOUT: Duration = Duration::from_secs(10);
/// A snapshot of 100,000 tickets is tens of megabytes.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(120);
/// The server's largest feed page.
const FEED_PAGE: usize = 1000;
/// Ticket reads in flight at once after a feed page.
const PARALLEL_READS: usize = 8;

/// Everything the connections to one server share.
pub struct Remote {
    http: Http,
    who: Identity,
    outbox: Mutex<Outbox>,
    link: Mutex<LinkState>,
    /// Each ticket's head as last seen from the server: what an event recorded now is
    /// based on.
    heads: Mutex<HashMap<String, String>>,
    notices: Mutex<Vec<(Event, String)>>,
}

#[derive(Default)]
struct LinkState {
    failures: u32,
    retry_at: Option<Instant>,
    offline_since: Option<Micros>,
    fresh_at: Option<Micros>,
}

/// The wait before try `failures + 1`: doubling from [`FIRST_BACKOFF`], capped at
/// [`MAX_BACKOFF`], each drawn between half and all of it so that consoles that lost
/// the server together do not return together.
pub fn backoff(failures: u32, rng: &mut impl Rng) -> Duration {
    let full = FIRST_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    full.mul_f64(rng.gen_range(0.5..=1.0))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now_us() -> Micros {
    Utc::now().timestamp_micros()
}

impl Remote {
    /// Connects to the server at `url` with `token`, trusting `roots` besides the usual
    /// certificates, its outbox in `data_dir`: learns whose token it is (or, with the
    /// server unreachable, what an earlier start on this machine learnt).
    pub fn open(
        url: &str,
        token: &str,
        roots: Vec<reqwest::Certificate>,
        data_dir: &Path,
    ) -> anyhow::Result<Arc<Remote>> {
        let http = Http::new(url, token, roots).map_err(|e| anyhow::anyhow!(e))?;
        let path = outbox::path_for(data_dir, http.base(), token);
        let outbox = Outbox::open(&path, http.base())?;
        let who = match whoami(&http) {
            Ok(who) => {
                outbox.set_identity(&who)?;
                who
            }
            // Not a server that is away: one this machine will never trust as it is.
            Err(SourceError::Unreachable(e)) if e.contains(http::UNTRUSTED) => {
                anyhow::bail!("{e}")
            }
            Err(SourceError::Unreachable(e)) => match outbox.identity()? {
                Some(who) => who,
                None => anyhow::bail!(
                    "cannot learn whose token this is: {e}; and no earlier start on this machine reached the server (try again when it answers)"
                ),
            },
            Err(e) => anyhow::bail!("{e}"),
        };
        Ok(Arc::new(Remote {
            http,
            who,
            outbox: Mutex::new(outbox),
            link: Mutex::new(LinkState::default()),
            heads: Mutex::new(HashMap::new()),
            notices: Mutex::new(Vec::new()),
        }))
    }

    /// The token's name: who signs events and hears nudges.
    pub fn user(&self) -> &str {
        &self.who.name
    }

    /// Where the data comes from, for the header: `URL as NAME`.
    pub fn place(&self) -> String {
        format!("{} as {}", self.http.base(), self.who.name)
    }

    pub fn outbox_path(&self) -> std::path::PathBuf {
        lock(&self.outbox).path().to_owned()
    }

    /// Connections to this server, for the workers.
    pub fn connector(self: &Arc<Self>) -> Connector {
        Arc::new(RemoteConnect(Arc::clone(self)))
    }

    fn may_write(&self) -> bool {
        matches!(self.who.role.as_str(), "agent" | "supervisor" | "ingest")
    }

    /// The request, unless the server is in its backoff; the link's state follows the
    /// outcome.
    fn call(
        &self,
        method: Method,
        url: reqwest::Url,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Answer, SourceError> {
        self.linked(|| self.http.call(method, url, body, timeout))
    }

    /// `request`, unless the server is in its backoff; the link's state follows the
    /// outcome.
    fn linked<T>(
        &self,
        request: impl FnOnce() -> Result<T, SourceError>,
    ) -> Result<T, SourceError> {
        {
            let l = lock(&self.link);
            if let Some(at) = l.retry_at.filter(|&at| Instant::now() < at) {
                return Err(SourceError::Unreachable(format!(
                    "{} unreachable (next try in {:.1} s)",
                    self.http.base(),
                    (at - Instant::now()).as_secs_f64()
                )));
            }
        }
        let r = request();
        let mut l = lock(&self.link);
        match &r {
            Err(SourceError::Unreachable(_)) => {
                l.failures += 1;
                l.offline_since.get_or_insert_with(now_us);
                l.retry_at = Some(Instant::now() + backoff(l.failures, &mut rand::thread_rng()));
            }
            _ => {
                *l = LinkState {
                    fresh_at: Some(now_us()),
                    ..LinkState::default()
                };
            }
        }
        r
    }

    fn get(&self, url: reqwest::Url, timeout: Duration) -> Result<http::Answer, SourceError> {
        self.call(Method::GET, url, None, timeout)
    }

    fn learn_head(&self, ticket: &str, head: &str) {
        lock(&self.heads).insert(ticket.to_owned(), head.to_owned());
    }

    /// The tickets' rows, read concurrently; unknown tickets have no facts.
    fn rows(&self, tickets: Vec<String>) -> Result<Vec<TicketFacts>, SourceError> {
        let urls: Vec<_> = tickets
            .iter()
            .map(|t| self.http.url("v1/tickets", &[t]))
            .collect();
        let answers: Vec<Result<http::Answer, SourceError>> = {
            // The first one through the backoff check decides for the rest.
            let first = match urls.first() {
                Some(u) => vec![self.get(u.clone(), TIMEOUT)],
                None => return Ok(Vec::new()),
            };
            first
                .into_iter()
                .chain(
                    self.http.block(
                        futures::stream::iter(urls[1..].iter().cloned())
                            .map(|u| async move {
                                let r = self
                                    .http
                                    .client()
                                    .get(u)
                                    .bearer_auth(self.http.token())
                                    .timeout(TIMEOUT)
                                    .send()
                                    .await;
                                match r {
                                    Ok(r) => {
                                        let status = r.status();
                                        r.bytes().await.map(|body| http::Answer { status, body })
                                    }
                                    Err(e) => Err(e),
                                }
                                .map_err(|e| self.http.unreachable(&e))
                            })
                            .buffered(PARALLEL_READS)
                            .collect::<Vec<_>>(),
                    ),
                )
                .collect()
        };
        let mut out = Vec::with_capacity(tickets.len());
        for (ticket, a) in tickets.into_iter().zip(answers) {
            let a = a?;
            match a.status {
                StatusCode::NOT_FOUND => out.push((ticket, None)),
                s if s.is_success() => {
                    let one: wire::OneTicket = a.json("a ticket read")?;
                    self.learn_head(&one.ticket.ticket, &one.ticket.head);
                    out.push(one.ticket.facts());
                }
                _ => return Err(self.http.refused("a ticket read", &a)),
            }
        }
        Ok(out)
    }

    /// Sends what waits in the outbox, oldest first, until the server cannot be
    /// reached. `fresh` is an event queued just now and not tried yet: it goes on top
    /// of `expect` as the caller asked; a replay expects the head its event was
    /// recorded on (or the one an earlier replay of this run left on its ticket).
    fn flush(
        &self,
        fresh: Option<(&str, &Expect)>,
    ) -> Result<Vec<(String, Appended)>, SourceError> {
        let outbox = lock(&self.outbox);
        let pending = outbox
            .pending()
            .map_err(|e| SourceError::Unreachable(e.to_string()))?;
        let mut done = Vec::new();
        // ticket -> (head the replayed events were based on, the head they made)
        let mut moved: HashMap<String, (String, String)> = HashMap::new();
        for entry in pending {
            let expect = match fresh {
                Some((id, e)) if id == entry.id => match e {
                    Expect::Any => None,
                    Expect::Head(h) => Some(h.clone()),
                },
                _ => entry.base.as_ref().map(|b| match moved.get(&entry.ticket) {
                    Some((from, to)) if from == b => to.clone(),
                    _ => b.clone(),
                }),
            };
            match self.send(&entry, expect.as_deref()) {
                Ok(stored) => {
                    outbox
                        .delivered(&entry.id)
                        .map_err(|e| SourceError::Unreachable(e.to_string()))?;
                    self.learn_head(&entry.ticket, &stored.stored.hash);
                    if let Some(b) = &entry.base {
                        let from = moved.get(&entry.ticket).map_or(b.clone(), |m| m.0.clone());
                        moved.insert(entry.ticket.clone(), (from, stored.stored.hash.clone()));
                    }
                    done.push((entry.id.clone(), stored));
                }
                Err(SourceError::Unreachable(e)) => {
                    drop(outbox);
                    if done.is_empty() {
                        return Err(SourceError::Unreachable(e));
                    }
                    return Ok(done);
                }
                Err(refusal) => {
                    let (head, why) = match &refusal {
                        SourceError::Conflict { head, message, .. } => {
                            (head.clone(), message.clone())
                        }
                        other => (String::new(), other.to_string()),
                    };
                    outbox
                        .conflicted(&entry.id, &head, &why)
                        .map_err(|e| SourceError::Unreachable(e.to_string()))?;
                    if let Ok(event) = serde_json::from_slice::<Event>(&entry.body) {
                        let told = format!(
                            "{why}; kept in the outbox ({}) for you to decide",
                            outbox.path().display()
                        );
                        lock(&self.notices).push((event, told));
                    }
                }
            }
        }
        Ok(done)
    }

    /// One outbox entry to the server, its body as recorded.
    fn send(&self, entry: &Entry, expect: Option<&str>) -> Result<Appended, SourceError> {
        let body = match expect {
            None => entry.body.clone(),
            Some(head) => {
                let mut b = format!(
                    "{{\"expect_heads\":{{{}:{}}},\"events\":[",
                    json_str(&entry.ticket),
                    json_str(head)
                )
                .into_bytes();
                b.extend_from_slice(&entry.body);
                b.extend_from_slice(b"]}");
                b
            }
        };
        let a = self.call(
            Method::POST,
            self.http.url("v1/events", &[]),
            Some(body),
            TIMEOUT,
        )?;
        let event = || {
            serde_json::from_slice::<Event>(&entry.body).map_err(|e| {
                SourceError::Rejected(format!(
                    "the outbox entry {} does not read back: {e}",
                    entry.id
                ))
            })
        };
        if a.status.is_success() {
            let stored: wire::Stored = a.json("an append")?;
            let r = stored
                .events
                .into_iter()
                .find(|s| s.id == entry.id)
                .ok_or_else(|| {
                    SourceError::Rejected(format!(
                        "the server did not say where it stored {}",
                        entry.id
                    ))
                })?;
            return Ok(Appended {
                stored: StoredEvent {
                    seq: r.seq,
                    event: event()?,
                    prev_hash: expect.unwrap_or_default().to_owned(),
                    hash: r.hash,
                },
                new: r.new,
            });
        }
        if a.status == StatusCode::CONFLICT {
            if let Ok(moved) = a.json::<wire::Moved>("a conflict") {
                // Stored by an earlier send whose answer was lost: delivered.
                if let Some(v) = moved
                    .events
                    .iter()
                    .find(|v| wire::id_of(v) == Some(&entry.id))
                {
                    let stored = wire::stored_event(v.clone())?;
                    return Ok(Appended { stored, new: false });
                }
                return Err(SourceError::Conflict {
                    ticket: entry.ticket.clone(),
                    head: moved.head,
                    message: format!(
                        "{} on {} was recorded on a state of the ticket that has since moved on ({})",
                        entry.kind,
                        entry.ticket,
                        a.error()
                    ),
                });
            }
        }
        Err(self
            .http
            .refused(&format!("{} on {}", entry.kind, entry.ticket), &a))
    }

    fn link(&self) -> Link {
        // The outbox first and on its own: a flush holds it while it takes the link.
        let (queued, undecided) = lock(&self.outbox).counts().unwrap_or((0, 0));
        let l = lock(&self.link);
        Link {
            place: self.place(),
            offline_since: l.offline_since,
            fresh_at: l.fresh_at,
            queued,
            undecided,
        }
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

fn whoami(http: &Http) -> Result<Identity, SourceError> {
    let a = http.call(
        Method::GET,
        http.url("v1/whoami", &[]),
        None,
        Duration::from_secs(5),
    )?;
    if !a.status.is_success() {
        return Err(http.refused("the token", &a));
    }
    let w: wire::Whoami = a.json("whoami")?;
    Ok(Identity {
        name: w.name,
        role: w.role,
    })
}

struct RemoteConnect(Arc<Remote>);

impl Connect for RemoteConnect {
    fn connect(&self, _: Purpose) -> Box<dyn Source> {
        Box::new(RemoteSource(Arc::clone(&self.0)))
    }
}

/// One connection to the server (all of them share the link, heads and outbox).
pub struct RemoteSource(Arc<Remote>);

impl Source for RemoteSource {
    fn writable(&mut self) -> Result<bool, SourceError> {
        Ok(self.0.may_write())
    }

    fn snapshot(
        &mut self,
        chunk: usize,
        each: &mut dyn FnMut(Vec<TicketFacts>),
    ) -> Result<Cursor, SourceError> {
        let r = &self.0;
        let mut url = r.http.url("v1/tickets", &[]);
        url.set_query(Some("state=open"));
        let body = match r.linked(|| r.http.stream(url, SNAPSHOT_TIMEOUT))? {
            Ok(body) => body,
            Err(a) => return Err(r.http.refused("the ticket snapshot", &a)),
        };
        // Passed on as they are decoded: the first are evaluated while the rest arrive.
        let cursor = snapshot::read(body, chunk, &mut |rows| {
            let mut heads = lock(&r.heads);
            let facts = rows
                .into_iter()
                .map(|row| {
                    heads.insert(row.ticket.clone(), row.head);
                    (row.ticket, row.facts.map(Arc::new))
                })
                .collect();
            drop(heads);
            each(facts);
        })
        .map_err(|e| match e.classify() {
            // Cut off on the way: trying again may work.
            serde_json::error::Category::Io | serde_json::error::Category::Eof => {
                SourceError::Unreachable(format!("the ticket snapshot: {e}"))
            }
            _ => SourceError::Rejected(format!(
                "the server's answer to the ticket snapshot is not what this slawatch reads: {e}"
            )),
        })?;
        Ok(Cursor::from_token(cursor))
    }

    fn changes(&mut self, from: &Cursor) -> Result<Changed, SourceError> {
        let r = &self.0;
        if r.may_write() && lock(&r.outbox).counts().is_ok_and(|(p, _)| p > 0) {
            // Unreachable: the feed read below says so.
            let _ = r.flush(None);
        }
        let mut cursor = from.token().to_owned();
        let mut touched = BTreeSet::new();
        let mut wait = FEED_WAIT;
        loop {
            let mut url = r.http.url("v1/feed", &[]);
            url.query_pairs_mut()
                .append_pair("after", &cursor)
                .append_pair("wait", &format!("{:.3}", wait.as_secs_f64()));
            let a = r.get(url, wait + TIMEOUT)?;
            if !a.status.is_success() {
                return Err(r.http.refused("the change feed", &a));
            }
            let page: wire::Feed = a.json("the change feed")?;
            let n = page.events.len();
            for v in &page.events {
                if let (Some(t), Some(h)) = (
                    v.get("ticket").and_then(|t| t.as_str()),
                    v.get("hash").and_then(|h| h.as_str()),
                ) {
                    r.learn_head(t, h);
                    touched.insert(t.to_owned());
                }
            }
            cursor = page.cursor;
            if n < FEED_PAGE {
                break;
            }
            wait = Duration::ZERO;
        }
        Ok(Changed {
            tickets: r.rows(touched.into_iter().collect())?,
            cursor: Some(Cursor::from_token(cursor)),
        })
    }

    fn facts(&mut self, tickets: Vec<String>) -> Result<Vec<TicketFacts>, SourceError> {
        self.0.rows(tickets)
    }

    fn closed(
        &mut self,
        query: &crate::sync::closed::ClosedQuery,
    ) -> Result<Vec<TicketFacts>, SourceError> {
        let r = &self.0;
        let mut url = r.http.url("v1/tickets", &[]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("state", "closed");
            if let Some(since) = query.since.and_then(DateTime::<Utc>::from_timestamp_micros) {
                q.append_pair("closed_since", &since.to_rfc3339());
            }
            if !query.text.is_empty() {
                q.append_pair("q", &query.text);
            }
            q.append_pair("limit", &query.limit.to_string());
        }
        let a = r.get(url, SNAPSHOT_TIMEOUT)?;
        if !a.status.is_success() {
            return Err(r.http.refused("the closed tickets", &a));
        }
        let snap: wire::Snapshot = a.json("the closed tickets")?;
        // The server picked them; picking again costs nothing and holds with any server.
        let rows = snap.tickets.into_iter().map(wire::Row::facts);
        Ok(crate::sync::closed::pick(query, rows))
    }

    fn history(&mut self, ticket: &str) -> Result<Vec<StoredEvent>, SourceError> {
        let r = &self.0;
        let a = r.get(r.http.url("v1/tickets", &[ticket]), TIMEOUT)?;
        if a.status == StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        if !a.status.is_success() {
            return Err(r.http.refused("a ticket's history", &a));
        }
        let one: wire::OneTicket = a.json("a ticket's history")?;
        r.learn_head(&one.ticket.ticket, &one.ticket.head);
        one.events.into_iter().map(wire::stored_event).collect()
    }

    fn append(&mut self, event: &Event, expect: &Expect) -> Result<Appended, SourceError> {
        let r = &self.0;
        if !r.may_write() {
            return Err(SourceError::Rejected(format!(
                "{:?} holds a {} token, which only reads",
                r.who.name, r.who.role
            )));
        }
        let body = serde_json::to_vec(event).expect("events serialise");
        let base = match expect {
            Expect::Head(h) => Some(h.clone()),
            Expect::Any => lock(&r.heads).get(&event.ticket).cloned(),
        };
        let queued = lock(&r.outbox)
            .queue(
                &event.id,
                &event.ticket,
                event.kind.as_str(),
                &body,
                base.as_deref(),
                now_us(),
            )
            .map_err(|e| SourceError::Unreachable(format!("not stored: {e}")))?;
        let fresh = queued.then_some((event.id.as_str(), expect));
        let flushed = r.flush(fresh);
        if let Ok(done) = &flushed {
            if let Some((_, a)) = done.iter().find(|(id, _)| *id == event.id) {
                return Ok(a.clone());
            }
        }
        let outbox = lock(&r.outbox);
        match outbox.entry(&event.id) {
            Ok(Some(e)) if e.state == outbox::State::Conflict => {
                // Told here: the notice of the flush would say it twice.
                lock(&r.notices).retain(|(n, _)| n.id != event.id);
                Err(SourceError::Rejected(format!(
                    "{}; kept in the outbox ({}) for you to decide",
                    e.error.unwrap_or_default(),
                    outbox.path().display()
                )))
            }
            Ok(Some(_)) => Err(SourceError::Unreachable(format!(
                "{}; queued in the outbox, sent when the server is back",
                flushed
                    .err()
                    .map_or_else(|| "earlier events wait".to_owned(), |e| e.to_string())
            ))),
            // Delivered by another connection meanwhile: the server has it; ask again.
            Ok(None) => {
                drop(outbox);
                lock(&r.outbox)
                    .queue(
                        &event.id,
                        &event.ticket,
                        event.kind.as_str(),
                        &body,
                        None,
                        now_us(),
                    )
                    .map_err(|e| SourceError::Unreachable(e.to_string()))?;
                r.flush(Some((event.id.as_str(), &Expect::Any)))?
                    .into_iter()
                    .find(|(id, _)| *id == event.id)
                    .map(|(_, a)| a)
                    .ok_or_else(|| SourceError::Unreachable("queued in the outbox".into()))
            }
            Err(e) => Err(SourceError::Unreachable(e.to_string())),
        }
    }

    fn claim_nudges(
        &mut self,
        _user: &str,
        records: &[NudgeRecord],
    ) -> Result<Vec<Claim>, SourceError> {
        let r = &self.0;
        let a = r.call(
            Method::POST,
            r.http.url("v1/nudges/claim", &[]),
            Some(wire::claim_body(records)),
            TIMEOUT,
        )?;
        if !a.status.is_success() {
            return Err(r.http.refused("a nudge claim", &a));
        }
        let c: wire::Claims = a.json("a nudge claim")?;
        c.claims.iter().map(wire::WireClaim::claim).collect()
    }

    fn nudges_sent(
        &mut self,
        _user: &str,
        since: Micros,
        limit: usize,
    ) -> Result<Vec<NudgeRecord>, SourceError> {
        let r = &self.0;
        let mut url = r.http.url("v1/nudges/sent", &[]);
        url.query_pairs_mut()
            .append_pair("since", &since.to_string())
            .append_pair("limit", &limit.to_string());
        let a = r.get(url, TIMEOUT)?;
        if !a.status.is_success() {
            return Err(r.http.refused("the sent nudges", &a));
        }
        let sent: wire::Sent = a.json("the sent nudges")?;
        sent.nudges
            .into_iter()
            .map(wire::SentNudge::record)
            .collect()
    }

    fn set_snooze(
        &mut self,
        _user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), SourceError> {
        let r = &self.0;
        let body = serde_json::to_vec(&serde_json::json!({ "until": until })).expect("serialises");
        let a = r.call(
            Method::PUT,
            r.http.url("v1/snoozes", &[ticket]),
            Some(body),
            TIMEOUT,
        )?;
        if !a.status.is_success() {
            return Err(r.http.refused("a snooze", &a));
        }
        Ok(())
    }

    fn snoozes(&mut self, _user: &str, now: Micros) -> Result<Vec<(String, Micros)>, SourceError> {
        let r = &self.0;
        let mut url = r.http.url("v1/snoozes", &[]);
        url.query_pairs_mut().append_pair("now", &now.to_string());
        let a = r.get(url, TIMEOUT)?;
        if !a.status.is_success() {
            return Err(r.http.refused("the snoozes", &a));
        }
        let s: wire::Snoozes = a.json("the snoozes")?;
        Ok(s.snoozes.into_iter().map(|s| (s.ticket, s.until)).collect())
    }

    fn month_input(&mut self, _: Month, _: DateTime<Utc>) -> Result<MonthInput, SourceError> {
        Err(SourceError::Rejected(format!(
            "the compliance view is not offered on a server (it needs every ticket's whole history); use `slawatch report` on {}'s store",
            self.0.http.base()
        )))
    }

    fn link(&mut self) -> Option<Link> {
        Some(self.0.link())
    }

    fn pause(&self, _poll: Duration) -> Duration {
        lock(&self.0.link).retry_at.map_or(Duration::ZERO, |at| {
            at.saturating_duration_since(Instant::now())
        })
    }

    fn notices(&mut self) -> Vec<(Event, String)> {
        std::mem::take(&mut *lock(&self.0.notices))
    }

    fn holds(&mut self, id: &str) -> bool {
        lock(&self.0.outbox).entry(id).is_ok_and(|e| e.is_some())
    }

    fn undecided(&mut self) -> Result<Vec<Undecided>, SourceError> {
        let outbox = lock(&self.0.outbox);
        let entries = outbox.conflicts().map_err(outbox_failed)?;
        entries
            .into_iter()
            .map(|e| {
                let event = serde_json::from_slice::<Event>(&e.body).map_err(|err| {
                    SourceError::Rejected(format!(
                        "the outbox {}: entry {} does not read back: {err}",
                        outbox.path().display(),
                        e.id
                    ))
                })?;
                Ok(Undecided {
                    event,
                    why: e.error.unwrap_or_default(),
                })
            })
            .collect()
    }

    fn decide(&mut self, id: &str, decision: Decision) -> Result<Option<Appended>, SourceError> {
        let r = &self.0;
        let missing = || SourceError::Rejected(format!("no event {id} waits for a decision"));
        match decision {
            Decision::Discard => match lock(&r.outbox).discard(id).map_err(outbox_failed)? {
                true => Ok(None),
                false => Err(missing()),
            },
            Decision::Resubmit => {
                // Pending again with no base: the replay expects no head.
                if !lock(&r.outbox).release(id).map_err(outbox_failed)? {
                    return Err(missing());
                }
                let flushed = r.flush(None);
                if let Ok(done) = &flushed {
                    if let Some((_, a)) = done.iter().find(|(d, _)| d == id) {
                        return Ok(Some(a.clone()));
                    }
                }
                let outbox = lock(&r.outbox);
                match outbox.entry(id).map_err(outbox_failed)? {
                    Some(e) if e.state == outbox::State::Conflict => {
                        // Told here: the notice of the flush would say it twice.
                        lock(&r.notices).retain(|(n, _)| n.id != id);
                        Err(SourceError::Rejected(e.error.unwrap_or_default()))
                    }
                    Some(_) => Err(SourceError::Unreachable(format!(
                        "{}; queued in the outbox, sent when the server is back",
                        flushed
                            .err()
                            .map_or_else(|| "earlier events wait".to_owned(), |e| e.to_string())
                    ))),
                    // Delivered by another connection's replay meanwhile.
                    None => Ok(None),
                }
            }
        }
    }
}

fn outbox_failed(e: outbox::OutboxError) -> SourceError {
    SourceError::Unreachable(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_doubles_with_jitter_and_stops_at_ten_seconds() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let first = backoff(1, &mut rng);
        assert!(
            first >= FIRST_BACKOFF / 2 && first <= FIRST_BACKOFF,
            "{first:?}"
        );
        let fourth = backoff(4, &mut rng);
        assert!(
            fourth >= FIRST_BACKOFF * 4 && fourth <= FIRST_BACKOFF * 8,
            "{fourth:?}"
        );
        for n in [7, 20, 1000] {
            let b = backoff(n, &mut rng);
            assert!(b <= MAX_BACKOFF && b >= MAX_BACKOFF / 2, "{n}: {b:?}");
        }
    }
}
