//! `serve --checkpoint-every`: the server signs a checkpoint of the Merkle tree with its
//! own key on a schedule. Several servers on one PostgreSQL store share the schedule:
//! each decides under the tree lock (see `store::postgres::merkle`) by looking at the
//! newest checkpoint the store keeps, so one period gives one checkpoint, not one per
//! server, and a tree that did not grow is not signed again.
//!
//! Runs on a thread of its own with its own store connection, so a slow checkpoint
//! (PostgreSQL extends its tree first) never holds a request's connection.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;

use crate::store::checkpoint::Checkpoint;
use crate::store::tree_store::Signing;
use crate::store::{open_team, StoreTarget};

/// Whether a checkpoint of the tree as `s` describes it is due at `now`: the tree grew
/// since the newest checkpoint and that one is at least `every` old.
pub fn due(s: &Signing, now: DateTime<Utc>, every: Duration) -> bool {
    match &s.newest {
        None => s.size > 0,
        Some(cp) => {
            let age = now
                .signed_duration_since(cp.time)
                .to_std()
                .unwrap_or_default();
            cp.size != s.size && age >= every
        }
    }
}

/// How often the schedule looks: often enough that a period is not overshot by much.
fn tick(every: Duration) -> Duration {
    (every / 10).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Starts the schedule; it runs until the process ends.
pub fn start(target: StoreTarget, every: Duration, key: SigningKey) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("slawatch-checkpoints".into())
        .spawn(move || {
            let mut store = None;
            loop {
                if store.is_none() {
                    match open_team(&target) {
                        Ok(s) => store = Some(s),
                        Err(e) => tracing::warn!(error = %e, "checkpoint schedule: cannot open the store"),
                    }
                }
                if let Some(s) = store.as_mut() {
                    let now = Utc::now();
                    let signed = s.write_checkpoint(&mut |sig| {
                        due(sig, now, every)
                            .then(|| Checkpoint::sign(&sig.store, sig.size, sig.root, now, &key))
                    });
                    match signed {
                        Ok(Some(cp)) => tracing::info!(
                            size = cp.size,
                            root = %cp.root_base64(),
                            key = %cp.key_id(),
                            "signed a checkpoint"
                        ),
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "checkpoint schedule: cannot sign a checkpoint");
                            store = None;
                        }
                    }
                }
                std::thread::sleep(tick(every));
            }
        })
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn signing(size: u64, newest: Option<(u64, DateTime<Utc>)>) -> Signing {
        let key = SigningKey::from_bytes(&[3; 32]);
        Signing {
            store: "ab".into(),
            size,
            root: [0; 32],
            newest: newest.map(|(n, t)| Checkpoint::sign("ab", n, [1; 32], t, &key)),
        }
    }

    #[test]
    fn a_checkpoint_is_due_once_a_period_and_only_for_a_grown_tree() {
        let t = Utc.with_ymd_and_hms(2026, 12, 2, 5, 0, 0).unwrap();
        let hour = Duration::from_secs(3600);
        let later = |m: i64| t + chrono::TimeDelta::minutes(m);
        assert!(!due(&signing(0, None), t, hour), "an empty tree");
        assert!(due(&signing(5, None), t, hour), "the first");
        assert!(!due(&signing(9, Some((5, t))), later(59), hour), "too soon");
        assert!(due(&signing(9, Some((5, t))), later(60), hour));
        assert!(
            !due(&signing(5, Some((5, t))), later(600), hour),
            "no new events"
        );
        assert_eq!(tick(hour), Duration::from_secs(60));
        assert_eq!(tick(Duration::from_secs(2)), Duration::from_secs(1));
    }
}
