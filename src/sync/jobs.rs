//! The compliance worker: a supervised thread that computes one month's figures at a
//! time from a [`Source`]'s [`MonthInput`](super::MonthInput). It keeps nothing
//! between requests: each one takes a fresh connection (so nothing of the store stays
//! mapped or cached in between), the newest request per month wins, and freed memory
//! goes back to the system before the next wait. What is computed, and how, is the
//! caller's: the worker only runs it.

use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::supervise::{self, Report};
use super::{Connector, Purpose, Source};
use crate::sla::penalty::Month;

/// Compute the figures of `month` as of `now`.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub id: u64,
    pub month: Month,
    pub now: DateTime<Utc>,
}

/// What the worker answers.
#[derive(Debug)]
pub enum Reply<T> {
    Done(Box<T>),
    Failed {
        id: u64,
        month: Month,
        error: String,
    },
}

enum Job {
    Compute(Request),
    Stop,
}

/// How a request becomes an answer, on the worker's thread.
pub type Compute<T> = dyn Fn(&mut dyn Source, &Request) -> Result<T, String> + Send;

pub struct Jobs {
    jobs: Sender<Job>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Jobs {
    /// Starts the worker; replies go to `out` (false stops it) and panics to
    /// `report`, both called from the worker thread. A request whose computation
    /// panicked is answered as failed.
    pub fn spawn<T: Send + 'static>(
        connect: Connector,
        compute: Box<Compute<T>>,
        out: impl Fn(Reply<T>) -> bool + Send + 'static,
        report: impl Fn(Report) + Send + 'static,
    ) -> std::io::Result<Jobs> {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut current: Option<Request> = None;
        let mut stopped = false;
        let thread = supervise::spawn(
            "slawatch-compliance",
            move || {
                // After a panic: the request it was computing fails, the rest go on.
                if let Some(r) = current.take() {
                    let failed = Reply::Failed {
                        id: r.id,
                        month: r.month,
                        error: "the computation panicked (see the header)".to_owned(),
                    };
                    if !out(failed) {
                        return;
                    }
                }
                if !stopped {
                    stopped = run(&connect, &*compute, &rx, &out, &mut current);
                }
            },
            report,
        )?;
        Ok(Jobs {
            jobs: tx,
            thread: Some(thread),
        })
    }

    pub fn send(&self, r: Request) {
        let _ = self.jobs.send(Job::Compute(r));
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        let _ = self.jobs.send(Job::Stop);
        // A long computation is not waited for: the process is leaving.
        if let Some(t) = self.thread.take() {
            let deadline = Instant::now() + Duration::from_millis(200);
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

/// Serves requests until told to stop (true) or the owner is gone.
fn run<T>(
    connect: &Connector,
    compute: &Compute<T>,
    rx: &Receiver<Job>,
    out: &dyn Fn(Reply<T>) -> bool,
    current: &mut Option<Request>,
) -> bool {
    loop {
        let Ok(first) = rx.recv() else { return true };
        // The newest request per month, in the order asked.
        let mut todo: Vec<Request> = Vec::new();
        for job in std::iter::once(first).chain(rx.try_iter()) {
            match job {
                Job::Stop => return true,
                Job::Compute(r) => {
                    todo.retain(|x| x.month != r.month);
                    todo.push(r);
                }
            }
        }
        for r in todo {
            *current = Some(r.clone());
            let mut source = connect.connect(Purpose::Read);
            let reply = match compute(&mut *source, &r) {
                Ok(c) => Reply::Done(Box::new(c)),
                Err(error) => Reply::Failed {
                    id: r.id,
                    month: r.month,
                    error,
                },
            };
            drop(source);
            *current = None;
            // What the month took (its tickets, their clocks) goes back to the system
            // before the next wait: the worker holds nothing between requests.
            crate::heap::trim();
            if !out(reply) {
                return true;
            }
        }
    }
}
