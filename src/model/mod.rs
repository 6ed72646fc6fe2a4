//! Tickets and their events: the vocabulary every other layer speaks.
//!
//! An [`Event`] is immutable business history. Its canonical bytes (see
//! [`canonical`]) feed a per-ticket SHA-256 chain, so the encoding here is part of
//! the evidence format and must never change silently.

pub mod amount;
pub mod canonical;
mod event;
mod priority;

pub use canonical::{chain_hash, GENESIS_HASH};
pub use event::{Event, EventError, EventKind, Payload};
pub use priority::Priority;
