//! One append waiting for a worker (threads on SQLite, tasks on PostgreSQL), and
//! how many one group takes.

use tokio::sync::oneshot;

use crate::model::Event;
use crate::store::team::BatchOutcome;
use crate::store::StoreError;

/// The most appends one group stores.
pub(super) const MOST: usize = 64;

pub(super) type Answer = Result<BatchOutcome, StoreError>;

pub(super) struct Job {
    pub event: Event,
    pub expected: Option<String>,
    pub answer: oneshot::Sender<Answer>,
}
