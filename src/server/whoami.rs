//! The caller's own things: `GET /v1/whoami` (the token's name and role, which a
//! console signs its events with), and the nudges sent to and the snoozes of that
//! name (`GET /v1/nudges/sent`, `GET /v1/snoozes`, `PUT /v1/snoozes/{ticket}`), so
//! that every console and watcher of one person shares them.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth;
use super::error::ApiError;
use super::extract;
use super::AppState;
use crate::store::NudgeRecord;

/// The most sent nudges one read returns.
const SENT_LIMIT: usize = 1000;

pub async fn whoami(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = auth::caller(&state, &headers).await?;
    Ok(Json(json!({"name": c.name, "role": c.role.as_str()})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentQuery {
    since: Option<i64>,
    limit: Option<usize>,
}

pub async fn sent(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<SentQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let c = auth::reader(&state, &headers).await?;
    let q = extract::query(q)?;
    let since = q.since.unwrap_or(i64::MIN);
    let limit = super::read::page_limit(q.limit, SENT_LIMIT)?;
    let user = c.name.clone();
    let sent = state
        .pool
        .run(move |s| s.nudges_sent(&user, since, limit))
        .await?;
    let nudges: Vec<Value> = sent.iter().map(NudgeRecord::to_json).collect();
    Ok(Json(json!({"user": c.name, "nudges": nudges})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnoozesQuery {
    now: Option<i64>,
}

pub async fn snoozes(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<SnoozesQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let c = auth::reader(&state, &headers).await?;
    let q = extract::query(q)?;
    let now = q
        .now
        .unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
    let user = c.name.clone();
    let list = state.pool.run(move |s| s.snoozes(&user, now)).await?;
    let snoozes: Vec<Value> = list
        .into_iter()
        .map(|(ticket, until)| json!({"ticket": ticket, "until": until}))
        .collect();
    Ok(Json(json!({"user": c.name, "snoozes": snoozes})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnoozeBody {
    until: Option<i64>,
}

pub async fn set_snooze(
    State(state): State<AppState>,
    headers: HeaderMap,
    ticket: Result<Path<String>, PathRejection>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let body = super::body::read(&state, body).await?;
    let c = auth::reader(&state, &headers).await?;
    let ticket = extract::path(ticket)?;
    extract::json_body(&headers)?;
    let body: SnoozeBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "line {}: {e} (expected {{\"until\": MICROSECONDS or null}})",
                e.line()
            ),
        )
    })?;
    let (user, t) = (c.name.clone(), ticket.clone());
    state
        .pool
        .run(move |s| s.set_snooze(&user, &t, body.until))
        .await?;
    Ok(Json(json!({"user": c.name, "ticket": ticket, "until": body.until})).into_response())
}
