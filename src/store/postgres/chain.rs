//! What an append works out before and after it calls the database: the next link
//! of a ticket's chain and its projection row, the ticket's lock key, and what the
//! append functions answered. Shared by the single, grouped and pipelined appends.

use sha2::{Digest, Sha256};

use crate::model::{chain_hash, Event, GENESIS_HASH};
use crate::store::team::BatchOutcome;
use crate::store::{rules, Seq, StoreError, StoredEvent, TicketRow};

/// What `slawatch_append` answered.
pub(super) enum Called {
    Stored(Seq),
    /// The id is stored already (by a transaction that committed after our read).
    Known,
    /// The ticket's head moved since our read.
    Moved,
}

pub(super) fn called(url: &str, outcome: &str, seq: Option<Seq>) -> Result<Called, StoreError> {
    match (outcome, seq) {
        ("stored", Some(seq)) => Ok(Called::Stored(seq)),
        ("known", _) => Ok(Called::Known),
        ("moved", _) => Ok(Called::Moved),
        (other, _) => Err(StoreError::Postgres {
            url: url.to_owned(),
            message: format!(
                "slawatch_append answered {other:?} (seq {seq:?}), not stored with a seq, known or moved"
            ),
        }),
    }
}

/// The event `e` chained onto `history`, which it joins (with seq 0 until stored), and
/// the ticket's projection row with it (its `last_seq` is the function's to set).
pub(super) fn next(history: &mut Vec<StoredEvent>, e: &Event) -> (StoredEvent, TicketRow) {
    let prev_hash = head_of(history);
    let stored = StoredEvent {
        seq: 0,
        hash: chain_hash(&prev_hash, e),
        prev_hash,
        event: e.clone(),
    };
    history.push(stored.clone());
    let row = TicketRow::from_history(&e.ticket, history);
    (stored, row)
}

pub(super) fn head_of(history: &[StoredEvent]) -> String {
    history
        .last()
        .map_or_else(|| GENESIS_HASH.to_owned(), |s| s.hash.clone())
}

pub(super) fn stored_before(stored: StoredEvent, e: &Event) -> Result<BatchOutcome, StoreError> {
    let a = rules::already_stored(stored, e)?;
    Ok(BatchOutcome::Stored(vec![(a.stored, false)]))
}

/// An advisory lock key per ticket: the first 8 bytes of a hash of its name (two
/// tickets sharing one only wait for each other).
pub(super) fn lock_key(ticket: &str) -> i64 {
    let d = Sha256::digest(format!("slawatch ticket {ticket}").as_bytes());
    i64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}
