//! Work handed to helper threads and taken back in the order it was handed over: the
//! first snapshot's rows are decoded, and its tickets evaluated, on other cores while
//! the thread reading them goes on reading, and still arrive in the order read.
//!
//! At most `most` jobs are in flight: handing over one more first waits for the
//! oldest. A job's panic is raised again on the thread that takes its result back. If
//! no thread can be started (the process is at its limit), the job runs at once on the
//! caller's thread: slower, never lost.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

enum Job<T> {
    Running(JoinHandle<T>),
    Done(T),
}

pub struct InOrder<T> {
    jobs: VecDeque<Job<T>>,
    most: usize,
    name: &'static str,
}

impl<T: Send + 'static> InOrder<T> {
    /// Helper threads named `name`, at most `most` (at least one) at once.
    pub fn new(name: &'static str, most: usize) -> Self {
        InOrder {
            jobs: VecDeque::new(),
            most: most.max(1),
            name,
        }
    }

    /// As many at once as the machine has cores.
    pub fn per_core(name: &'static str) -> Self {
        Self::new(name, cores())
    }

    /// Starts `work`; when `most` jobs were in flight already, first waits for the
    /// oldest and returns its result.
    pub fn push(&mut self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let oldest = if self.jobs.len() >= self.most {
            self.take_oldest()
        } else {
            None
        };
        let slot = Arc::new(Mutex::new(Some(work)));
        let theirs = Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || {
                let work = theirs
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take()
                    .expect("a job runs once");
                work()
            });
        let job = match spawned {
            Ok(handle) => Job::Running(handle),
            Err(_) => {
                let work = slot
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take()
                    .expect("a thread that never started took nothing");
                Job::Done(work())
            }
        };
        self.jobs.push_back(job);
        oldest
    }

    /// The oldest job's result (waiting for it), or `None` when none is in flight.
    pub fn take_oldest(&mut self) -> Option<T> {
        Some(match self.jobs.pop_front()? {
            Job::Done(t) => t,
            Job::Running(h) => h
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        })
    }

    /// Jobs handed over and not yet taken back.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

/// The cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn results_come_back_in_the_order_handed_over_whatever_finishes_first() {
        let mut jobs = InOrder::new("test-ordered", 3);
        let mut got = Vec::new();
        for (n, ms) in [(0, 40), (1, 0), (2, 20), (3, 0), (4, 10)] {
            got.extend(jobs.push(move || {
                std::thread::sleep(Duration::from_millis(ms));
                n
            }));
            assert!(jobs.len() <= 3, "never more than three in flight");
        }
        while let Some(n) = jobs.take_oldest() {
            got.push(n);
        }
        assert_eq!(got, [0, 1, 2, 3, 4]);
        assert!(jobs.is_empty());
    }

    #[test]
    fn a_jobs_panic_is_raised_where_its_result_is_taken() {
        let mut jobs = InOrder::new("test-ordered", 2);
        jobs.push(|| -> u8 { panic!("job broke") });
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| jobs.take_oldest()))
            .expect_err("the panic comes back");
        assert_eq!(caught.downcast_ref::<&str>(), Some(&"job broke"));
    }
}
