//! Tokens already checked, so that a request does not wait for a store round trip to
//! learn who sent it. Only while this server is told of every change to the tokens:
//! on PostgreSQL a trigger on `tokens` notifies `slawatch_tokens` and `Heads::listen`
//! clears the cache on each notification; while that connection is down (and on
//! SQLite, whose writers notify no one) nothing is cached and every request asks the
//! store. A revoked token is thus refused as soon as the notification arrives (a few
//! milliseconds), and an entry is never older than `MOST`. Expiry is checked on every
//! request from the cached expiry time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::store::tokens::TokenInfo;

/// The longest an entry is trusted, should a notification ever be lost.
const MOST: Duration = Duration::from_secs(10);
/// Entries kept at most (each is a token in use).
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct TokenCache {
    /// True while every change to the tokens reaches this server.
    told: AtomicBool,
    /// Bumped on every clear: an answer read from the store before a clear is not kept.
    generation: AtomicU64,
    entries: Mutex<HashMap<String, (TokenInfo, Instant)>>,
}

impl TokenCache {
    pub fn get(&self, hash: &str) -> Option<TokenInfo> {
        if !self.told.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.lock().expect("token cache lock");
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < MOST)
            .map(|(info, _)| info.clone())
    }

    /// The generation to hand back to `put` with what the store answers.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `info`, read from the store since `generation`, unless the tokens changed
    /// meanwhile.
    pub fn put(&self, hash: String, info: TokenInfo, generation: u64) {
        let mut entries = self.entries.lock().expect("token cache lock");
        if !self.told.load(Ordering::Acquire) || self.generation() != generation {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(hash, (info, Instant::now()));
    }

    /// The tokens changed (or may have): forget them all.
    pub fn clear(&self) {
        let mut entries = self.entries.lock().expect("token cache lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Whether changes reach this server from now on (a notification connection is
    /// listening) or not (it was lost).
    pub fn set_told(&self, told: bool) {
        self.told.store(told, Ordering::Release);
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tokens::Role;

    fn info() -> TokenInfo {
        TokenInfo {
            name: "alice".into(),
            role: Role::Agent,
            created_at: 0,
            expires_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn nothing_is_cached_unless_changes_are_told() {
        let c = TokenCache::default();
        c.put("h".into(), info(), c.generation());
        assert!(c.get("h").is_none());
        c.set_told(true);
        c.put("h".into(), info(), c.generation());
        assert_eq!(c.get("h").map(|i| i.name), Some("alice".into()));
        c.set_told(false);
        assert!(
            c.get("h").is_none(),
            "a lost connection forgets and stops caching"
        );
    }

    #[test]
    fn a_change_forgets_and_an_answer_read_before_it_is_not_kept() {
        let c = TokenCache::default();
        c.set_told(true);
        c.put("h".into(), info(), c.generation());
        let before = c.generation();
        c.clear();
        assert!(c.get("h").is_none());
        c.put("h".into(), info(), before);
        assert!(c.get("h").is_none(), "read before the change: stale");
    }
}
