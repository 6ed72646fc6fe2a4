//! Bearer tokens: who is asking, with which role, and whether they ask too often.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::{HeaderMap, StatusCode};

use super::error::ApiError;
use super::AppState;
use crate::store::tokens::{self, Role};

/// The holder of a valid token.
#[derive(Clone, Debug)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

/// Checks the `Authorization: Bearer` header against the store's tokens, then the
/// caller's request rate.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let secret = bearer(headers)?;
    let hash = tokens::hash(secret);
    let found = match state.tokens.get(&hash) {
        Some(info) => info,
        None => {
            let generation = state.tokens.generation();
            let key = hash.clone();
            let info = state
                .pool
                .run(move |s| s.token_by_hash(&key))
                .await?
                .ok_or_else(|| ApiError::unauthorized("unknown token"))?;
            state.tokens.put(hash, info.clone(), generation);
            info
        }
    };
    if let Some(why) = found.refused_at(chrono::Utc::now().timestamp_micros()) {
        return Err(ApiError::unauthorized(why));
    }
    if !state.limiter.allow(&found.name) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "more than {} requests per second from {:?}; slow down",
                state.limiter.per_second, found.name
            ),
        ));
    }
    Ok(Caller {
        name: found.name,
        role: found.role,
    })
}

/// A caller who may read tickets and the feed.
pub async fn reader(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let c = caller(state, headers).await?;
    if !c.role.may_read() {
        return Err(ApiError::forbidden(format!(
            "an {} token may only post monitoring events",
            c.role
        )));
    }
    Ok(c)
}

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing token: send Authorization: Bearer slw_…"))?
        .to_str()
        .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
    let secret = value
        .strip_prefix("Bearer ")
        .ok_or_else(|| ApiError::unauthorized("Authorization must be `Bearer slw_…`"))?
        .trim();
    if !tokens::well_formed(secret) {
        return Err(ApiError::unauthorized("malformed token"));
    }
    Ok(secret)
}

/// A token bucket per token name: `per_second` sustained, twice that in a burst.
pub struct Limiter {
    pub per_second: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    pub fn new(per_second: u32) -> Limiter {
        Limiter {
            per_second,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn allow(&self, name: &str) -> bool {
        self.allow_at(name, Instant::now())
    }

    fn allow_at(&self, name: &str, now: Instant) -> bool {
        let rate = f64::from(self.per_second);
        let burst = rate * 2.0;
        let mut buckets = self.buckets.lock().expect("limiter lock");
        let (level, last) = buckets.entry(name.to_owned()).or_insert((burst, now));
        let refill = now.saturating_duration_since(*last).as_secs_f64() * rate;
        *level = (*level + refill).min(burst);
        *last = now;
        if *level >= 1.0 {
            *level -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_sustained_rate_per_name() {
        let l = Limiter::new(5);
        let t0 = Instant::now();
        let allowed = (0..20).filter(|_| l.allow_at("alice", t0)).count();
        assert_eq!(allowed, 10);
        assert!(l.allow_at("bob", t0), "buckets are per token name");
        assert!(!l.allow_at("alice", t0));
        assert!(l.allow_at("alice", t0 + Duration::from_millis(200)));
    }
}
