//! Request bodies, read in full before any answer: a response sent while the client is
//! still sending leaves unread bytes on the connection, so hyper must close it, and a
//! client that pooled the connection then fails its next request with a broken pipe.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;

use super::error::ApiError;
use super::AppState;

/// How long a client may take to send its body: one that stalls must not keep a
/// request open (nor shutdown waiting) for ever.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole body, up to the server's limit (413 beyond, and the connection closed: the
/// rest of the body is never read).
pub async fn read(state: &AppState, body: Body) -> Result<Bytes, ApiError> {
    let max = state.limits.max_body;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is over {max} bytes: send fewer events per request"),
        )
    };
    // A Content-Length over the limit is refused before a byte of the body is read.
    if axum::body::HttpBody::size_hint(&body).lower() > max as u64 {
        return Err(too_large());
    }
    let read = axum::body::to_bytes(body, max);
    tokio::select! {
        r = tokio::time::timeout(BODY_TIMEOUT, read) => match r {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(_)) => Err(too_large()),
            Err(_) => Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!("the body did not arrive within {} s", BODY_TIMEOUT.as_secs()),
            )),
        },
        () = state.shutdown.cancelled() => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down: send the request again",
        )),
    }
}
