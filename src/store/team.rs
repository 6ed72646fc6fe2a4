//! What `slawatch serve` needs of a store beyond [`Store`]: all-or-nothing batches with
//! expected heads, snapshots and a change feed behind an opaque cursor that never skips
//! a late commit, and bearer tokens. Both the SQLite and the PostgreSQL store answer it.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::tokens::{NewToken, TokenInfo};
use super::{Store, StoreError, StoredEvent, TicketRow};
use crate::model::Event;
use crate::sla::Micros;

/// Which tickets a snapshot lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketState {
    Open,
    Closed,
    All,
}

impl TicketState {
    pub fn parse(s: &str) -> Option<TicketState> {
        match s {
            "open" => Some(TicketState::Open),
            "closed" => Some(TicketState::Closed),
            "all" => Some(TicketState::All),
            _ => None,
        }
    }
}

/// A place in the change feed. SQLite commits one writer at a time, so its feed order
/// is the sequence number alone (`tx` stays 0). PostgreSQL orders by (transaction id,
/// sequence) and only ever reads below the oldest transaction still in flight (see
/// `postgres/feed.rs`); a snapshot's cursor also carries the snapshot itself, so that
/// the feed after it skips exactly what the snapshot already showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedCursor {
    pub tx: u64,
    pub seq: i64,
    /// `pg_snapshot` text of the snapshot this cursor follows, while the feed has not
    /// yet passed every transaction that snapshot could see.
    pub snapshot: Option<String>,
}

impl FeedCursor {
    const PREFIX: &'static str = "c1.";

    /// The cursor as clients see it: opaque, URL-safe.
    pub fn encode(&self) -> String {
        let text = match &self.snapshot {
            Some(s) => format!("{}:{}:{s}", self.tx, self.seq),
            None => format!("{}:{}", self.tx, self.seq),
        };
        format!("{}{}", Self::PREFIX, URL_SAFE_NO_PAD.encode(text))
    }

    /// A cursor given back by a client; `None` when it is not one this server made.
    pub fn decode(s: &str) -> Option<FeedCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(s.strip_prefix(Self::PREFIX)?).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.splitn(3, ':');
        let tx = parts.next()?.parse().ok()?;
        let seq = parts.next()?.parse().ok()?;
        let snapshot = match parts.next() {
            Some(s) if is_snapshot_text(s) => Some(s.to_owned()),
            Some(_) => return None,
            None => None,
        };
        Some(FeedCursor { tx, seq, snapshot })
    }
}

/// `xmin:xmax:xip,xip,...`: digits, colons and commas only (it is spliced into no SQL,
/// but a cursor is client input and is checked as such).
fn is_snapshot_text(s: &str) -> bool {
    s.split(':').count() == 3
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b',')
}

/// Events after a cursor, and where to ask from next.
#[derive(Clone, Debug, Default)]
pub struct Feed {
    pub events: Vec<StoredEvent>,
    pub cursor: FeedCursor,
}

/// Projection rows and the feed cursor that follows them exactly.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub tickets: Vec<TicketRow>,
    pub cursor: FeedCursor,
}

/// What became of a batch.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchOutcome {
    /// Stored (or found already stored, `new` false) in input order.
    Stored(Vec<(StoredEvent, bool)>),
    /// A ticket's head was not the one expected; nothing was stored.
    Conflict {
        ticket: String,
        expected: String,
        head: String,
        /// The ticket's events after the expected head (all of them when the expected
        /// head is not in its chain).
        after: Vec<StoredEvent>,
    },
}

/// The store `slawatch serve` runs on.
pub trait TeamStore: Store + super::TreeStore {
    /// Stores every event at its ticket's head in one transaction, or none of them.
    /// `expect` maps tickets to the head the caller last saw (`GENESIS_HASH` for a new
    /// ticket); it is checked before the batch's first event on that ticket.
    fn append_batch(
        &mut self,
        events: &[Event],
        expect: &BTreeMap<String, String>,
    ) -> Result<BatchOutcome, StoreError>;
    /// Independent one-event appends, each with the head its sender expects (if any),
    /// each answered as `append_batch` would answer it alone. A store may store them
    /// together, in one commit (what concurrent requests to one `serve` bring).
    fn append_each(
        &mut self,
        items: &[(Event, Option<String>)],
    ) -> Vec<Result<BatchOutcome, StoreError>> {
        items
            .iter()
            .map(|(e, expected)| {
                self.append_batch(std::slice::from_ref(e), &expect_of(e, expected.as_deref()))
            })
            .collect()
    }
    /// The tickets in `state` and the cursor the feed continues from.
    fn snapshot(&self, state: TicketState) -> Result<Snapshot, StoreError>;
    /// [`TeamStore::snapshot`] passed to `each` a part at a time as it is read (at most
    /// `chunk` rows), so that an answer can be on its way before the last row is read.
    fn snapshot_chunked(
        &self,
        state: TicketState,
        chunk: usize,
        each: &mut dyn FnMut(Vec<TicketRow>),
    ) -> Result<FeedCursor, StoreError> {
        let _ = chunk;
        let s = self.snapshot(state)?;
        each(s.tickets);
        Ok(s.cursor)
    }
    /// At most `limit` committed events after `after`, in feed order: each exactly once,
    /// and each ticket's in chain order.
    fn feed(&self, after: &FeedCursor, limit: usize) -> Result<Feed, StoreError>;
    /// The feed position of the newest event a reader can be given now.
    fn feed_head(&self) -> Result<FeedCursor, StoreError>;
    /// Answers a trivial query (health checks).
    fn ping(&self) -> Result<(), StoreError>;
    /// False once the connection is known to be unusable (the pool replaces it).
    fn is_usable(&self) -> bool {
        true
    }

    fn create_token(&mut self, token: &NewToken) -> Result<(), StoreError>;
    fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError>;
    /// Revokes the live token called `name` at `now`; false when there is none.
    fn revoke_token(&mut self, name: &str, now: Micros) -> Result<bool, StoreError>;
    /// The token whose hash this is, revoked or not.
    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenInfo>, StoreError>;
}

/// `append_batch`'s expected heads for one event expected at `head`, if any.
pub fn expect_of(e: &Event, head: Option<&str>) -> BTreeMap<String, String> {
    head.map(|h| (e.ticket.clone(), h.to_owned()))
        .into_iter()
        .collect()
}

/// The events of `history` after the event whose hash is `expected`; all of them when
/// no event has it (the genesis head, or a head from some other chain).
pub fn events_after(history: Vec<StoredEvent>, expected: &str) -> Vec<StoredEvent> {
    match history.iter().position(|e| e.hash == expected) {
        Some(i) => history.into_iter().skip(i + 1).collect(),
        None => history,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_they_did_not_make() {
        let plain = FeedCursor {
            tx: 0,
            seq: 42,
            snapshot: None,
        };
        assert_eq!(FeedCursor::decode(&plain.encode()), Some(plain));
        let pg = FeedCursor {
            tx: 7_000_123,
            seq: 9,
            snapshot: Some("7000100:7000130:7000101,7000120".into()),
        };
        assert_eq!(FeedCursor::decode(&pg.encode()), Some(pg));
        assert_eq!(FeedCursor::decode("42"), None);
        assert_eq!(FeedCursor::decode("c1.!!"), None);
        let forged = format!("c1.{}", URL_SAFE_NO_PAD.encode("1:2:3'; drop table x"));
        assert_eq!(FeedCursor::decode(&forged), None);
    }
}
