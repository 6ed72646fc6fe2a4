//! The read side: ticket snapshots, one ticket's history, the long-poll change feed,
//! and nudge claims.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth;
use super::error::ApiError;
use super::extract;
use super::wire::{json_bytes, stored_json, ticket};
use super::AppState;
use crate::sla::Metric;
use crate::store::team::{FeedCursor, TicketState};
use crate::store::{Claim, NudgeRecord, StoreError};
use crate::sync::closed::{ClosedQuery, CLOSED_LIMIT};
use chrono::DateTime;

/// The longest a feed request may wait, whatever it asks.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
const FEED_LIMIT: usize = 1000;

#[derive(Deserialize)]
pub struct TicketsQuery {
    state: Option<String>,
    /// Closed tickets closed at or after this instant (RFC 3339).
    closed_since: Option<String>,
    /// Closed tickets mentioned in the id, customer, title or assignee.
    q: Option<String>,
    /// At most this many closed tickets, the newest closed first.
    limit: Option<usize>,
}

impl TicketsQuery {
    /// The closed tickets asked for, when the query narrows them at all.
    fn closed(&self) -> Result<Option<ClosedQuery>, ApiError> {
        if self.closed_since.is_none() && self.q.is_none() && self.limit.is_none() {
            return Ok(None);
        }
        let since = match self.closed_since.as_deref() {
            None => None,
            Some(t) => Some(
                DateTime::parse_from_rfc3339(t)
                    .map_err(|e| {
                        ApiError::bad_request(format!(
                            "closed_since={t:?}: {e}; expected an RFC 3339 instant such as 2026-03-01T00:00:00Z"
                        ))
                    })?
                    .timestamp_micros(),
            ),
        };
        let limit = match self.limit {
            None => CLOSED_LIMIT,
            Some(n @ 1..=CLOSED_LIMIT) => n,
            Some(n) => {
                return Err(ApiError::bad_request(format!(
                    "limit={n}: expected 1 to {CLOSED_LIMIT}"
                )))
            }
        };
        Ok(Some(ClosedQuery {
            since,
            limit,
            ..ClosedQuery::text(self.q.as_deref().unwrap_or(""))
        }))
    }
}

pub async fn tickets(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<TicketsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    auth::reader(&state, &headers).await?;
    let q = extract::query(q)?;
    let which = match q.state.as_deref() {
        None => TicketState::Open,
        Some(s) => TicketState::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!("state={s:?}: expected open, closed or all"))
        })?,
    };
    let closed = q.closed()?;
    // They pick among the closed tickets; open ones are always all listed, so that a
    // snapshot of open tickets stays whole whatever else the query says.
    let Some(query) = closed.filter(|_| which != TicketState::Open) else {
        return streamed_snapshot(&state, which).await;
    };
    let mut snap = state.pool.run(move |s| s.snapshot(which)).await?;
    let (mut open, closed): (Vec<_>, Vec<_>) = std::mem::take(&mut snap.tickets)
        .into_iter()
        .partition(|r| r.open);
    open.extend(crate::sync::closed::pick_rows(&query, closed));
    snap.tickets = open;
    let body = json_bytes(SnapshotBody(snap)).await;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Rows of a streamed snapshot serialised at a time.
const SNAPSHOT_PART: usize = 2048;

/// A snapshot's answer sent as the store reads it: its first rows are on their way
/// while the last are read (100,000 tickets are tens of MB of JSON: serialised whole,
/// the first byte left after most of a second). The cursor comes after the tickets. A
/// store failure before the first rows is an error answer; after them, a cut body.
async fn streamed_snapshot(state: &AppState, which: TicketState) -> Result<Response, ApiError> {
    type Part = Result<Vec<u8>, StoreError>;
    // Unbounded: a slow client must not hold a pooled connection while it downloads
    // (the whole answer was in memory before it streamed, too).
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Part>();
    let pool = std::sync::Arc::clone(&state.pool);
    tokio::spawn(async move {
        let failed = tx.clone();
        let read = pool.run(move |s| {
            let mut part = b"{\"tickets\":[".to_vec();
            let mut first = true;
            let cursor = s.snapshot_chunked(which, SNAPSHOT_PART, &mut |rows| {
                for row in &rows {
                    if !std::mem::take(&mut first) {
                        part.push(b',');
                    }
                    serde_json::to_writer(&mut part, &ticket(row)).expect("rows serialise");
                }
                // A client gone: the rest is read and dropped.
                let _ = tx.send(Ok(std::mem::take(&mut part)));
            })?;
            part.extend_from_slice(b"],\"cursor\":");
            serde_json::to_writer(&mut part, &cursor.encode()).expect("strings serialise");
            part.push(b'}');
            let _ = tx.send(Ok(part));
            Ok(())
        });
        if let Err(e) = read.await {
            let _ = failed.send(Err(e));
        }
    });
    let first = match rx.recv().await {
        Some(Ok(part)) => part,
        Some(Err(e)) => return Err(e.into()),
        None => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the snapshot stopped",
            ))
        }
    };
    // Polled again after its end by the compression layer: answers that end each time.
    let mut first = Some(first);
    let parts = futures::stream::poll_fn(move |cx| {
        if let Some(part) = first.take() {
            return std::task::Poll::Ready(Some(Ok(part)));
        }
        rx.poll_recv(cx)
            .map(|p| p.map(|p| p.map_err(|e| std::io::Error::other(e.to_string()))))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        axum::body::Body::from_stream(parts),
    )
        .into_response())
}

struct SnapshotBody(crate::store::team::Snapshot);

impl serde::Serialize for SnapshotBody {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Snapshot", 2)?;
        let rows: Vec<_> = self.0.tickets.iter().map(ticket).collect();
        st.serialize_field("tickets", &rows)?;
        st.serialize_field("cursor", &self.0.cursor.encode())?;
        st.end()
    }
}

pub async fn one_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    auth::reader(&state, &headers).await?;
    let id = extract::path(id)?;
    let wanted = id.clone();
    let (history, rows) = state
        .pool
        .run(move |s| {
            Ok((
                s.history(&wanted)?,
                s.ticket_rows(std::slice::from_ref(&wanted))?,
            ))
        })
        .await?;
    let Some(row) = rows.first() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no ticket {id:?}"),
        ));
    };
    Ok(Json(json!({
        "ticket": ticket(row),
        "events": history.iter().map(stored_json).collect::<Vec<Value>>(),
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct FeedQuery {
    after: Option<String>,
    wait: Option<f64>,
    limit: Option<usize>,
}

pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<FeedQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    auth::reader(&state, &headers).await?;
    let q = extract::query(q)?;
    let mut after = match q.after.as_deref() {
        None | Some("") => FeedCursor::default(),
        Some(c) => FeedCursor::decode(c).ok_or_else(|| {
            ApiError::bad_request("after: not a cursor this server gave out; start again without `after` or from a snapshot's cursor")
        })?,
    };
    let wait = match q.wait {
        None => Duration::ZERO,
        Some(w) if w.is_finite() && (0.0..=MAX_WAIT.as_secs_f64()).contains(&w) => {
            Duration::from_secs_f64(w)
        }
        Some(w) => {
            return Err(ApiError::bad_request(format!(
                "wait={w}: expected seconds, 0 to {}",
                MAX_WAIT.as_secs()
            )))
        }
    };
    let limit = page_limit(q.limit, FEED_LIMIT)?;
    let deadline = tokio::time::Instant::now() + wait;
    let mut heads = state.heads.subscribe();
    let _waiting = Waiter::new(&state);
    loop {
        heads.borrow_and_update();
        let from = after.clone();
        let page = state.pool.run(move |s| s.feed(&from, limit)).await?;
        after = page.cursor.clone();
        let done = !page.events.is_empty()
            || tokio::time::Instant::now() >= deadline
            || state.shutdown.is_cancelled();
        if done {
            let events: Vec<Value> = page.events.iter().map(stored_json).collect();
            return Ok(Json(json!({"events": events, "cursor": after.encode()})).into_response());
        }
        tokio::select! {
            _ = heads.changed() => {}
            () = tokio::time::sleep_until(deadline) => {}
            () = state.shutdown.cancelled() => {}
        }
    }
}

/// `limit=`, 1 to `max` (`max` when absent).
pub fn page_limit(limit: Option<usize>, max: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(max),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(format!(
            "limit={n}: expected 1 to {max}"
        ))),
    }
}

/// Counts a long-poll in `slawatch_feed_waiters` while it lives.
struct Waiter<'a>(&'a AppState);

impl<'a> Waiter<'a> {
    fn new(state: &'a AppState) -> Self {
        state.metrics.feed_waiters.fetch_add(1, Ordering::Relaxed);
        state.heads.poke();
        Waiter(state)
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.0.metrics.feed_waiters.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A nudge as consoles and watchers send it to be claimed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireNudge {
    ticket: String,
    metric: String,
    cycle_start: i64,
    target: i64,
    kind: String,
    value: i64,
    threshold_at: i64,
    due: i64,
    fired_at: i64,
    #[serde(default)]
    late: bool,
    #[serde(default)]
    loud: bool,
    priority: String,
    summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    nudges: Vec<WireNudge>,
}

pub async fn claim(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let body = super::body::read(&state, body).await?;
    let caller = auth::reader(&state, &headers).await?;
    extract::json_body(&headers)?;
    let body: ClaimBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("line {}: {e}", e.line()),
        )
    })?;
    let mut records = Vec::with_capacity(body.nudges.len());
    for (i, n) in body.nudges.into_iter().enumerate() {
        let metric = Metric::parse(&n.metric).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("nudges[{i}]: field metric: unknown metric {:?}", n.metric),
            )
        })?;
        if !matches!(
            n.kind.as_str(),
            "percent" | "minutes_before" | "breach" | "repeat"
        ) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "nudges[{i}]: field kind: expected percent, minutes_before, breach or repeat"
                ),
            ));
        }
        records.push(NudgeRecord {
            ticket: n.ticket,
            metric,
            cycle_start: n.cycle_start,
            target: n.target,
            kind: n.kind,
            value: n.value,
            threshold_at: n.threshold_at,
            due: n.due,
            fired_at: n.fired_at,
            late: n.late,
            loud: n.loud,
            priority: n.priority,
            summary: n.summary,
        });
    }
    let user = caller.name.clone();
    let claims = state
        .pool
        .run(move |s| s.claim_nudges(&user, &records))
        .await?;
    let claims: Vec<Value> = claims
        .into_iter()
        .map(|c| match c {
            Claim::Claimed => json!({"claim": "claimed"}),
            Claim::AlreadySent => json!({"claim": "already_sent"}),
            Claim::Snoozed(until) => json!({"claim": "snoozed", "until": until}),
        })
        .collect();
    Ok(Json(json!({"user": caller.name, "claims": claims})).into_response())
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.pool.run(|s| s.ping()).await {
        Ok(()) => Json(json!({"status": "ok", "store": "answers"})).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "store": e.to_string()})),
        )
            .into_response(),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
