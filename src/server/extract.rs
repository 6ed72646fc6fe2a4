//! What axum itself would answer in plain text, answered in the API's JSON error shape
//! instead: a query string or path segment that does not parse, a body that is not
//! JSON by its content type, a route that does not exist (404) and a method a route
//! does not serve (405).
//!
//! Handlers take `Result<Query<T>, QueryRejection>` (and the same for `Path`) and pass
//! it through [`query`] or [`path`] after the token check, so a caller without a token
//! hears 401 before anything about its parameters.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};

use super::error::ApiError;

pub fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|e| ApiError::bad_request(format!("query string: {}", e.body_text())))
}

pub fn path<T>(p: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    p.map(|Path(v)| v).map_err(|e| {
        let status = match e {
            PathRejection::FailedToDeserializePathParams(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, format!("path: {}", e.body_text()))
    })
}

/// What a JSON body may be labelled: JSON, JSON lines, or what a plain client sends
/// when it is not told (curl's `--data-binary` says form-urlencoded, others text/plain);
/// no label at all is sniffed. Anything else names another format: 415.
pub fn json_body(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let media = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let accepted = media == "application/json"
        || media.ends_with("+json")
        || media == "application/x-ndjson"
        || media == "application/jsonl"
        || media == "application/x-jsonlines"
        || media == "text/plain"
        || media == "application/x-www-form-urlencoded";
    if accepted {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Type {:?}: the body must be JSON (application/json, or application/x-ndjson for JSON lines)",
                value.to_str().unwrap_or("(not text)")
            ),
        ))
    }
}

/// The router's fallback: no route has this path.
pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no route {method} {}: the API is under /v1 (see assets/openapi.yaml)",
            uri.path()
        ),
    )
}

/// A route has this path, but not this method (axum adds the `Allow` header).
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} does not take {method}: the Allow header lists what it takes",
            uri.path()
        ),
    )
}
