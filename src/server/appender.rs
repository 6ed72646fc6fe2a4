//! One-event appends (what consoles and monitoring mostly post) from concurrent
//! requests, stored together: a worker takes every append waiting when it is free and
//! stores them as one group, in one commit. Nothing waits to fill a group: under light
//! load a group is one append; under heavy load the appends that queued during a
//! commit share the next. On PostgreSQL the worker is a task (append_loop.rs); on
//! SQLite, threads with a store connection each (`TeamStore::append_each`).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::append_job::{group, items, Answer, Job};
use super::metrics::Metrics;
use super::pool::Pool;
use crate::model::Event;
use crate::store::{open_team, StoreError, StoreTarget, TeamStore};

pub struct Appender {
    jobs: Queue,
}

enum Queue {
    Threads(mpsc::Sender<Job>),
    Task(tokio::sync::mpsc::UnboundedSender<Job>),
}

impl Appender {
    /// The worker tasks on PostgreSQL at `url`, on the current runtime; appends their
    /// groups leave to go alone go through `pool`.
    pub async fn on_postgres(
        url: &str,
        pool: Arc<Pool>,
        metrics: Arc<Metrics>,
    ) -> Result<Appender, StoreError> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        super::append_loop::start(rx, url, pool, metrics).await?;
        Ok(Appender {
            jobs: Queue::Task(tx),
        })
    }

    /// Starts `workers` threads on `target`, each opening its connection now (so that
    /// a store that cannot be opened fails `serve` at start).
    pub fn start(
        target: &StoreTarget,
        workers: usize,
        metrics: Arc<Metrics>,
    ) -> Result<Appender, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..workers.max(1) {
            let store = open_team(target)?;
            let (rx, target, metrics) = (Arc::clone(&rx), target.clone(), Arc::clone(&metrics));
            std::thread::Builder::new()
                .name(format!("slawatch-append-{n}"))
                .spawn(move || work(&rx, store, &target, &metrics))
                .map_err(|e| StoreError::Unavailable {
                    why: format!("cannot start an append worker: {e}"),
                })?;
        }
        Ok(Appender {
            jobs: Queue::Threads(tx),
        })
    }

    /// Stores `event` (at `expected`, when given) as `append_batch` would alone.
    pub async fn append(&self, event: Event, expected: Option<String>) -> Answer {
        let (answer, answered) = oneshot::channel();
        let job = Job {
            event,
            expected,
            answer,
        };
        let sent = match &self.jobs {
            Queue::Threads(q) => q.send(job).is_ok(),
            Queue::Task(q) => q.send(job).is_ok(),
        };
        if !sent {
            return Err(stopped());
        }
        answered.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable {
        why: "the append workers stopped; nothing was stored".into(),
    }
}

/// Until every sender is gone (the server stopped).
fn work(
    rx: &Mutex<mpsc::Receiver<Job>>,
    first: Box<dyn TeamStore>,
    target: &StoreTarget,
    metrics: &Metrics,
) {
    let mut store = Some(first);
    loop {
        let jobs = {
            let rx = rx.lock().expect("appender queue lock");
            let Ok(job) = rx.recv() else { return };
            group(job, || rx.try_recv().ok())
        };
        let answers = match store.take().map_or_else(|| open_team(target), Ok) {
            Ok(mut s) => {
                let items = items(&jobs);
                let run = std::panic::AssertUnwindSafe(|| s.append_each(&items));
                match std::panic::catch_unwind(run) {
                    Ok(answers) => {
                        if s.is_usable() {
                            store = Some(s);
                        }
                        answers.into_iter().map(Some).collect()
                    }
                    // Dropped with its connection; each job is told, none is answered twice.
                    Err(_) => {
                        tracing::error!(appends = jobs.len(), "an append group panicked");
                        jobs.iter().map(|_| None).collect::<Vec<_>>()
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the store for appends");
                jobs.iter().map(|_| None).collect()
            }
        };
        metrics
            .append_groups
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for (job, answer) in jobs.into_iter().zip(answers) {
            let _ = job.answer.send(answer.unwrap_or_else(|| Err(failed())));
        }
    }
}

fn failed() -> StoreError {
    StoreError::Unavailable {
        why: "the store connection failed during this append; send it again".into(),
    }
}
