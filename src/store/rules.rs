//! What every store checks the same way before and while it appends, whatever its SQL.

use super::{Appended, StoreError, StoredEvent};
use crate::model::{canonical, Event};

/// Rejects what must never be stored, naming the event and field.
pub(super) fn check(index: usize, e: &Event) -> Result<(), StoreError> {
    e.validate().map_err(|error| StoreError::Invalid {
        index,
        id: e.id.clone(),
        ticket: e.ticket.clone(),
        error,
    })
}

/// Normalises and checks a batch, so that the whole of it is refused before anything
/// is written.
pub(super) fn checked(events: &[Event]) -> Result<Vec<Event>, StoreError> {
    let events: Vec<Event> = events.iter().map(|e| e.clone().normalized()).collect();
    for (i, e) in events.iter().enumerate() {
        check(i, e)?;
    }
    Ok(events)
}

/// An append of `event` whose id is already stored as `stored`: a no-op when the
/// content is the same (idempotent re-send), refused when it differs.
pub(super) fn already_stored(stored: StoredEvent, event: &Event) -> Result<Appended, StoreError> {
    if canonical::canonical_bytes(&stored.event) != canonical::canonical_bytes(event) {
        return Err(StoreError::IdConflict {
            id: event.id.clone(),
            ticket: stored.event.ticket,
        });
    }
    Ok(Appended { stored, new: false })
}
