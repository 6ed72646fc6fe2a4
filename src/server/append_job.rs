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

/// `first` and the appends waiting behind it (`next` until it has none), at most
/// [`MOST`]: one group.
pub(super) fn group(first: Job, mut next: impl FnMut() -> Option<Job>) -> Vec<Job> {
    let mut group = vec![first];
    while group.len() < MOST {
        match next() {
            Some(job) => group.push(job),
            None => break,
        }
    }
    group
}

/// What the store is asked to append for `group`: each event and the head expected.
pub(super) fn items(group: &[Job]) -> Vec<(Event, Option<String>)> {
    group
        .iter()
        .map(|j| (j.event.clone(), j.expected.clone()))
        .collect()
}
