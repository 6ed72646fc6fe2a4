//! `GET /v1/report`, `/v1/penalties`, `/v1/evidence/{ticket}`: computed on the server
//! by the very functions the `report`, `penalties` and `evidence` commands use. Those
//! live with the commands, above this layer, so `serve` hands them in as [`Reports`].

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth;
use super::error::ApiError;
use super::extract;
use super::AppState;
use crate::store::TeamStore;

/// The query parameters, as the commands' flags.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    pub month: Option<String>,
    pub customer: Option<String>,
    pub format: Option<String>,
    pub now: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PenaltiesQuery {
    pub month: Option<String>,
    pub customer: Option<String>,
    pub now: Option<String>,
    /// Also compute the penalty events `--record` would append, signed by the caller.
    #[serde(default)]
    pub record: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceQuery {
    pub now: Option<String>,
}

/// A computed answer: its content type and bytes.
pub struct Answer {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// Why nothing was computed.
pub enum Refused {
    /// A parameter is wrong (400).
    Bad(String),
    /// Nothing to report on: no such ticket, month or customer (404).
    NotFound(String),
    /// The store or the computation failed (500).
    Failed(anyhow::Error),
}

/// The three computations, run on a pooled store connection on a blocking thread.
pub trait Reports: Send + Sync + 'static {
    fn report(&self, store: &mut dyn TeamStore, q: &ReportQuery) -> Result<Answer, Refused>;
    /// `caller` signs the events a `record=true` query returns.
    fn penalties(
        &self,
        store: &mut dyn TeamStore,
        q: &PenaltiesQuery,
        caller: &str,
    ) -> Result<Answer, Refused>;
    /// The package as its `evidence.json`, from which the client writes the directory.
    fn evidence(
        &self,
        store: &mut dyn TeamStore,
        ticket: &str,
        q: &EvidenceQuery,
    ) -> Result<Answer, Refused>;
}

pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    auth::reader(&state, &headers).await?;
    let q = extract::query(q)?;
    let reports = state.reports.clone();
    compute(&state, move |s| reports.report(s, &q)).await
}

pub async fn penalties(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<PenaltiesQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let caller = auth::reader(&state, &headers).await?;
    let q = extract::query(q)?;
    let reports = state.reports.clone();
    compute(&state, move |s| reports.penalties(s, &q, &caller.name)).await
}

pub async fn evidence(
    State(state): State<AppState>,
    headers: HeaderMap,
    ticket: Result<Path<String>, PathRejection>,
    q: Result<Query<EvidenceQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    auth::reader(&state, &headers).await?;
    let ticket = extract::path(ticket)?;
    let q = extract::query(q)?;
    let reports = state.reports.clone();
    compute(&state, move |s| reports.evidence(s, &ticket, &q)).await
}

async fn compute(
    state: &AppState,
    f: impl FnOnce(&mut dyn TeamStore) -> Result<Answer, Refused> + Send + 'static,
) -> Result<Response, ApiError> {
    let computed = state.pool.run(move |s| Ok(f(s))).await?;
    match computed {
        Ok(a) => Ok(([(header::CONTENT_TYPE, a.content_type)], a.body).into_response()),
        Err(Refused::Bad(why)) => Err(ApiError::bad_request(why)),
        Err(Refused::NotFound(why)) => Err(ApiError::new(StatusCode::NOT_FOUND, why)),
        Err(Refused::Failed(e)) => {
            tracing::error!(error = %format!("{e:#}"), "computation failed");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("{e:#}"),
            ))
        }
    }
}
