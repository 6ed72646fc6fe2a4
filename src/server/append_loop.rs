//! The append worker on PostgreSQL: a task on `serve`'s runtime with an asynchronous
//! connection of its own ([`GroupAppender`]), so that an append is handed from the
//! request to the worker and back without waking a thread of its own, and costs the
//! database one round trip when its ticket's history is known. Every append that came
//! while a group was committing joins the next group, so the busier the server, the
//! more appends share a commit. An append a group leaves to go alone goes through the
//! pool (`append_batch`), after the group.
//!
//! One connection per `serve`: each group then holds everything that queued during the
//! previous commit, whatever the disk's speed. Measured with `scripts/bench-server` on
//! two cores, eight clients: 1 connection made groups of 3.8 appends and stored 5,039 a
//! second; 2 made groups of 2.2 (3,731/s), 4 groups of 1.6 (3,478/s), every commit
//! costing the database and `serve` the same work whatever its size. A slow flush makes
//! the next group larger rather than waiting for it.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures::FutureExt as _;
use tokio::sync::mpsc;

use super::append_job::{self, Job};
use super::metrics::Metrics;
use super::pool::Pool;
use crate::store::postgres::{FeedNotifier, GroupAppender, KnownHistories};
use crate::store::team::expect_of;
use crate::store::StoreError;

/// Connects the worker now (so that a database that cannot be reached fails `serve`
/// at start) and starts it on the current runtime.
pub(super) async fn start(
    jobs: mpsc::UnboundedReceiver<Job>,
    url: &str,
    pool: Arc<Pool>,
    metrics: Arc<Metrics>,
) -> Result<(), StoreError> {
    let known = KnownHistories::default();
    let feed = FeedNotifier::start(url);
    let conn = GroupAppender::connect(url, known.clone(), feed.clone()).await?;
    tokio::spawn(run(
        jobs,
        conn,
        (known, feed),
        url.to_owned(),
        pool,
        metrics,
    ));
    Ok(())
}

/// Until every sender is gone (the server stopped).
async fn run(
    mut jobs: mpsc::UnboundedReceiver<Job>,
    first: GroupAppender,
    (known, feed): (KnownHistories, FeedNotifier),
    url: String,
    pool: Arc<Pool>,
    metrics: Arc<Metrics>,
) {
    let mut conn = Some(first);
    loop {
        let Some(job) = jobs.recv().await else { return };
        let group = append_job::group(job, || jobs.try_recv().ok());
        let items = append_job::items(&group);
        if !conn.as_ref().is_some_and(GroupAppender::is_usable) {
            conn = match GroupAppender::connect(&url, known.clone(), feed.clone()).await {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot open the append connection");
                    None
                }
            };
        }
        let answers = match conn.as_mut() {
            Some(c) => match AssertUnwindSafe(c.append_each(&items)).catch_unwind().await {
                Ok(answers) => answers,
                // Dropped with its connection; each goes alone, none is answered twice.
                Err(_) => {
                    tracing::error!(appends = items.len(), "an append group panicked");
                    conn = None;
                    items.iter().map(|_| None).collect()
                }
            },
            None => items.iter().map(|_| None).collect(),
        };
        metrics.append_groups.fetch_add(1, Ordering::Relaxed);
        let mut alone = Vec::new();
        for (job, answer) in group.into_iter().zip(answers) {
            match answer {
                Some(a) => {
                    let _ = job.answer.send(a);
                }
                None => alone.push(job),
            }
        }
        if !alone.is_empty() {
            tokio::spawn(one_by_one(Arc::clone(&pool), alone));
        }
    }
}

/// In the order they came, each as `append_batch` answers it.
async fn one_by_one(pool: Arc<Pool>, jobs: Vec<Job>) {
    for job in jobs {
        let (e, expected) = (job.event, job.expected);
        let answer = pool
            .run(move |s| {
                s.append_batch(
                    std::slice::from_ref(&e),
                    &expect_of(&e, expected.as_deref()),
                )
            })
            .await;
        let _ = job.answer.send(answer);
    }
}
