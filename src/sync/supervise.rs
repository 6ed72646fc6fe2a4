//! Worker threads that survive their own panics. A supervised thread runs its body
//! under `catch_unwind`; after a panic it reports what panicked, where, and starts
//! the body again, keeping whatever the body keeps outside the failed call (the
//! outbox of unsaved events, say). A worker that keeps panicking is given up: it
//! reports [`Report::GaveUp`] and its thread ends, and the owner decides (the console
//! ends with the terminal restored and the message).
//!
//! The process's panic hook ([`install_hook`]) stays quiet for supervised threads:
//! the report is the message, and the console's screen is not written over.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;
use std::time::{Duration, Instant};

/// Restarts allowed within [`WINDOW`] before the worker is given up.
pub const MAX_RESTARTS: usize = 3;
pub const WINDOW: Duration = Duration::from_secs(60);

/// What a supervised worker tells its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// It panicked and runs again.
    Restarted { worker: String, panic: String },
    /// It panicked too often and stopped.
    GaveUp { worker: String, panic: String },
}

thread_local! {
    /// Set on supervised threads: where the last panic happened.
    static SUPERVISED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The panic hook: quiet on supervised threads (their owner reports), else `before`
/// (the console restores the terminal) and then the hook there was. Installed once.
pub fn install_hook(before: impl Fn() + Send + Sync + 'static) {
    static ONCE: Once = Once::new();
    let mut before = Some(before);
    ONCE.call_once(|| {
        let before = before.take().expect("once");
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = SUPERVISED.with(|s| {
                let mut s = s.borrow_mut();
                match s.as_mut() {
                    Some(at) => {
                        *at = info
                            .location()
                            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
                        true
                    }
                    None => false,
                }
            });
            if !quiet {
                before();
                prev(info);
            }
        }));
    });
}

/// Marks this thread's panics as reported by its owner (a helper thread whose join
/// error the owner turns into a message): the hook stays quiet for them.
pub fn quiet() {
    SUPERVISED.with(|s| {
        s.borrow_mut().get_or_insert_with(String::new);
    });
}

/// The message of a panic payload.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Starts `body` on a thread named `name`, again after each panic (see the module
/// docs); `report` is called from that thread. The body returns when the worker is
/// done (its owner said stop).
pub fn spawn(
    name: &str,
    mut body: impl FnMut() + Send + 'static,
    report: impl Fn(Report) + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let worker = name.to_owned();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || run(&worker, &mut body, &report))
}

/// Runs `body` on this thread under supervision (see [`spawn`]).
pub fn run(worker: &str, body: &mut dyn FnMut(), report: &dyn Fn(Report)) {
    SUPERVISED.with(|s| *s.borrow_mut() = Some(String::new()));
    let mut panics: Vec<Instant> = Vec::new();
    loop {
        match catch_unwind(AssertUnwindSafe(&mut *body)) {
            Ok(()) => break,
            Err(payload) => {
                let at = SUPERVISED.with(|s| s.borrow().clone().unwrap_or_default());
                let panic = format!("{}{at}", panic_text(&*payload));
                let now = Instant::now();
                panics.retain(|t| now.duration_since(*t) < WINDOW);
                panics.push(now);
                let worker = worker.to_owned();
                if panics.len() > MAX_RESTARTS {
                    report(Report::GaveUp { worker, panic });
                    break;
                }
                report(Report::Restarted { worker, panic });
            }
        }
    }
    SUPERVISED.with(|s| *s.borrow_mut() = None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    #[test]
    fn a_panicking_body_runs_again_and_is_given_up_when_it_keeps_panicking() {
        install_hook(|| {});
        let (tx, rx) = channel();
        let mut calls = 0;
        let h = spawn(
            "test-worker",
            move || {
                calls += 1;
                if calls <= 2 {
                    panic!("call {calls} failed");
                }
            },
            move |r| tx.send(r).unwrap(),
        )
        .unwrap();
        h.join().unwrap();
        let reports: Vec<Report> = rx.iter().collect();
        assert_eq!(reports.len(), 2, "{reports:?}");
        match &reports[0] {
            Report::Restarted { worker, panic } => {
                assert_eq!(worker, "test-worker");
                assert!(panic.starts_with("call 1 failed at "), "{panic}");
                assert!(panic.contains("supervise.rs"), "{panic}");
            }
            r => panic!("{r:?}"),
        }

        let (tx, rx) = channel();
        let h = spawn("always", || panic!("again"), move |r| tx.send(r).unwrap()).unwrap();
        h.join().unwrap();
        let reports: Vec<Report> = rx.iter().collect();
        assert_eq!(reports.len(), MAX_RESTARTS + 1);
        assert!(
            matches!(reports.last(), Some(Report::GaveUp { panic, .. }) if panic.starts_with("again"))
        );
    }
}
