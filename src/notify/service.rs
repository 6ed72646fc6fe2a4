//! The nudge service: a tokio task that owns a [`Scheduler`], sleeps until its next
//! wake-up, claims what is due in the per-user sent log, and hands each nudge it won to
//! the caller (toast, bell, log line) and, when loud, to the desktop [`Notifier`].
//!
//! The console and `slawatch watch` drive it the same way: feed it ticket changes
//! (`(ticket, facts)` as the store worker folds them), and read [`NudgeMsg`]s. Store
//! calls run on tokio's blocking pool, never on the caller's task. Time comes from a
//! [`WallClock`]; tests use [`TokioClock`] under paused tokio time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::desktop::Notifier;
use super::nudge::Nudge;
use super::scheduler::Scheduler;
use crate::sla::calendar::{Micros, MICROS_PER_SEC};
use crate::sla::{Calendars, Policies, Severity};
use crate::store::TicketFacts;
use crate::store::{Claim, NudgeRecord, Store};

/// The longest the service sleeps without looking at the wall clock again: bounds
/// how late a nudge can be after a suspend or a wall-clock jump.
pub const MAX_NAP: Micros = 5 * MICROS_PER_SEC;

/// Ticket batches up to this size are planned on the service's task; larger ones on
/// the blocking pool.
const INLINE_UPDATES: usize = 64;

/// Nudges popped, claimed and handed on at a time. A first start on a big store has
/// a nudge due for nearly every clock (187,530 at 100,000 tickets): taken whole, the
/// console would hold tens of MB of them at once and keep the pages afterwards.
const DELIVER_AT_ONCE: usize = 512;

/// Where the service reads the time.
pub trait WallClock: Send + 'static {
    fn now(&self) -> Micros;
}

/// The system's wall clock.
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now(&self) -> Micros {
        chrono::Utc::now().timestamp_micros()
    }
}

/// A wall clock that starts at a fixed instant and moves with tokio's clock, so a test
/// under `#[tokio::test(start_paused = true)]` runs hours of nudges in milliseconds.
pub struct TokioClock {
    wall0: Micros,
    mono0: tokio::time::Instant,
}

impl TokioClock {
    pub fn starting_at(wall0: Micros) -> TokioClock {
        TokioClock {
            wall0,
            mono0: tokio::time::Instant::now(),
        }
    }
}

impl WallClock for TokioClock {
    fn now(&self) -> Micros {
        self.wall0 + self.mono0.elapsed().as_micros() as Micros
    }
}

/// The per-user record of nudges sent and snoozes (see `Store::claim_nudges`).
pub trait SentLog: Send + 'static {
    fn claim(&mut self, user: &str, records: &[NudgeRecord]) -> Result<Vec<Claim>, String>;
    fn set_snooze(&mut self, user: &str, ticket: &str, until: Option<Micros>)
        -> Result<(), String>;
    fn snoozes(&mut self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, String>;
}

impl<S: Store + 'static> SentLog for S {
    fn claim(&mut self, user: &str, records: &[NudgeRecord]) -> Result<Vec<Claim>, String> {
        self.claim_nudges(user, records).map_err(|e| e.to_string())
    }

    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), String> {
        Store::set_snooze(self, user, ticket, until).map_err(|e| e.to_string())
    }

    fn snoozes(&mut self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, String> {
        Store::snoozes(self, user, now).map_err(|e| e.to_string())
    }
}

/// A sent log in memory, shared by its clones: tests (two "processes" of one user)
/// and a fallback when the store cannot be written.
#[derive(Clone, Default)]
pub struct MemorySentLog(Arc<Mutex<MemoryInner>>);

#[derive(Default)]
struct MemoryInner {
    sent: Vec<(String, NudgeRecord)>,
    snoozes: Vec<(String, String, Micros)>,
}

impl MemorySentLog {
    /// Everything claimed, in claim order.
    pub fn sent(&self) -> Vec<(String, NudgeRecord)> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .sent
            .clone()
    }
}

fn same_nudge(a: &NudgeRecord, b: &NudgeRecord) -> bool {
    (
        &a.ticket,
        a.metric,
        a.cycle_start,
        a.target,
        &a.kind,
        a.value,
    ) == (
        &b.ticket,
        b.metric,
        b.cycle_start,
        b.target,
        &b.kind,
        b.value,
    )
}

impl SentLog for MemorySentLog {
    fn claim(&mut self, user: &str, records: &[NudgeRecord]) -> Result<Vec<Claim>, String> {
        let mut inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        for r in records {
            let snoozed = inner
                .snoozes
                .iter()
                .find(|(u, t, until)| u == user && *t == r.ticket && *until > r.fired_at)
                .map(|s| s.2);
            if let (Some(until), true) = (snoozed, r.snoozable()) {
                out.push(Claim::Snoozed(until));
            } else if inner
                .sent
                .iter()
                .any(|(u, s)| u == user && same_nudge(s, r))
            {
                out.push(Claim::AlreadySent);
            } else {
                inner.sent.push((user.to_owned(), r.clone()));
                out.push(Claim::Claimed);
            }
        }
        Ok(out)
    }

    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), String> {
        let mut inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .snoozes
            .retain(|(u, t, _)| !(u == user && t == ticket));
        if let Some(until) = until {
            inner
                .snoozes
                .push((user.to_owned(), ticket.to_owned(), until));
        }
        Ok(())
    }

    fn snoozes(&mut self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, String> {
        let inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(inner
            .snoozes
            .iter()
            .filter(|(u, _, until)| u == user && *until > now)
            .map(|(_, t, until)| (t.clone(), *until))
            .collect())
    }
}

pub struct ServiceConfig {
    /// Whose nudges: the sent log and snoozes are kept per user.
    pub user: String,
    pub policies: Arc<Policies>,
    pub calendars: Calendars,
    /// Nudges below this severity are quiet (see [`Scheduler::set_quiet`]).
    pub quiet: Severity,
    /// Loud nudges also go to the desktop.
    pub desktop: Option<Notifier>,
}

/// What the service tells its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NudgeMsg {
    /// This process sent it: toast it, ring the bell if `loud`, add it to the nudge log.
    /// (Loud ones were already queued for the desktop.)
    Fired(Box<Nudge>),
    /// After each batch of ticket changes: what is followed and the next wake-up.
    Planned {
        tickets: usize,
        /// Tickets no policy covers, with the reason.
        problems: Vec<(String, String)>,
        next: Option<Micros>,
    },
    /// A ticket's warnings are snoozed until then (`None`: lifted).
    Snoozed {
        ticket: String,
        until: Option<Micros>,
    },
    /// The sent log cannot be written (`None`: it works again). Nudges still fire,
    /// but a restart may send some a second time.
    SentLog(Option<String>),
}

enum Input {
    Tickets(Vec<TicketFacts>),
    Snooze { ticket: String, minutes: u32 },
    Unsnooze(String),
    Quiet(Severity),
    Stop,
}

/// A cloneable handle for feeding the service.
#[derive(Clone)]
pub struct NudgeHandle {
    tx: UnboundedSender<Input>,
}

impl NudgeHandle {
    /// Tickets whose facts changed (`None` or resolved: forget the ticket). The first
    /// call (all open tickets) is the start: thresholds passed while the program was
    /// closed fire then, once, marked late.
    pub fn tickets(&self, changes: Vec<TicketFacts>) {
        let _ = self.tx.send(Input::Tickets(changes));
    }

    /// Holds back the ticket's warnings (never its breach) for `minutes`.
    pub fn snooze(&self, ticket: &str, minutes: u32) {
        let _ = self.tx.send(Input::Snooze {
            ticket: ticket.to_owned(),
            minutes,
        });
    }

    pub fn unsnooze(&self, ticket: &str) {
        let _ = self.tx.send(Input::Unsnooze(ticket.to_owned()));
    }

    /// Sound and desktop pop-ups only from this severity up (breaches always).
    pub fn set_quiet(&self, level: Severity) {
        let _ = self.tx.send(Input::Quiet(level));
    }
}

pub struct NudgeService {
    handle: NudgeHandle,
    task: tokio::task::JoinHandle<()>,
}

impl NudgeService {
    /// Starts the service on the current tokio runtime. `out` is called from the
    /// service's task for every [`NudgeMsg`].
    pub fn spawn(
        config: ServiceConfig,
        clock: impl WallClock,
        log: impl SentLog,
        out: impl Fn(NudgeMsg) + Send + 'static,
    ) -> NudgeService {
        let (tx, rx) = unbounded_channel();
        let mut scheduler = Scheduler::new(config.policies, config.calendars);
        scheduler.set_quiet(config.quiet);
        let driver = Driver {
            scheduler,
            user: config.user,
            clock,
            log: Some(Box::new(log)),
            log_error: None,
            desktop: config.desktop,
            out: Box::new(out),
        };
        let task = tokio::spawn(driver.run(rx));
        NudgeService {
            handle: NudgeHandle { tx },
            task,
        }
    }

    pub fn handle(&self) -> NudgeHandle {
        self.handle.clone()
    }

    pub fn tickets(&self, changes: Vec<TicketFacts>) {
        self.handle.tickets(changes);
    }

    pub fn snooze(&self, ticket: &str, minutes: u32) {
        self.handle.snooze(ticket, minutes);
    }

    pub fn unsnooze(&self, ticket: &str) {
        self.handle.unsnooze(ticket);
    }

    pub fn set_quiet(&self, level: Severity) {
        self.handle.set_quiet(level);
    }

    /// Stops the task and waits for it (it finishes the batch it is delivering).
    pub async fn stop(self) {
        let _ = self.handle.tx.send(Input::Stop);
        let _ = self.task.await;
    }
}

struct Driver<C> {
    scheduler: Scheduler,
    user: String,
    clock: C,
    /// Taken while a blocking call runs; `None` after a blocking call panicked.
    log: Option<Box<dyn SentLog>>,
    log_error: Option<String>,
    desktop: Option<Notifier>,
    out: Box<dyn Fn(NudgeMsg) + Send>,
}

impl<C: WallClock> Driver<C> {
    async fn run(mut self, mut rx: UnboundedReceiver<Input>) {
        let user = self.user.clone();
        let now = self.clock.now();
        if let Some(snoozes) = self.with_log(move |l| l.snoozes(&user, now)).await {
            for (ticket, until) in snoozes {
                self.scheduler.snooze_until(&ticket, until, now);
            }
        }
        loop {
            let now = self.clock.now();
            let due = self
                .lend(move |s| s.pop_due_upto(now, DELIVER_AT_ONCE))
                .await;
            if !due.is_empty() {
                self.deliver(due).await;
                continue;
            }
            let nap = self
                .scheduler
                .next_wake()
                .map_or(MAX_NAP, |w| (w - now).clamp(1_000, MAX_NAP));
            tokio::select! {
                biased;
                input = rx.recv() => match input {
                    None | Some(Input::Stop) => return,
                    Some(input) => self.apply(input).await,
                },
                () = tokio::time::sleep(Duration::from_micros(nap as u64)) => {}
            }
        }
    }

    async fn apply(&mut self, input: Input) {
        let now = self.clock.now();
        match input {
            Input::Tickets(changes) => {
                if changes.len() <= INLINE_UPDATES {
                    for (ticket, facts) in &changes {
                        self.scheduler.update(ticket, facts.as_ref(), now);
                    }
                } else {
                    self.lend(move |s| {
                        s.reserve(changes.len());
                        for (ticket, facts) in &changes {
                            s.update(ticket, facts.as_ref(), now);
                        }
                        drop(changes);
                        // A first snapshot's plan leaves megabytes freed behind it.
                        crate::heap::trim();
                    })
                    .await;
                }
                let problems = self
                    .scheduler
                    .problems()
                    .iter()
                    .map(|(t, why)| (t.clone(), why.clone()))
                    .collect();
                let next = self.scheduler.next_wake();
                (self.out)(NudgeMsg::Planned {
                    tickets: self.scheduler.tickets(),
                    problems,
                    next,
                });
            }
            Input::Snooze { ticket, minutes } => {
                let until = self.scheduler.snooze(&ticket, minutes, now);
                self.persist_snooze(ticket, Some(until)).await;
            }
            Input::Unsnooze(ticket) => {
                self.scheduler.unsnooze(&ticket, now);
                self.persist_snooze(ticket, None).await;
            }
            Input::Quiet(level) => self.scheduler.set_quiet(level),
            Input::Stop => {}
        }
    }

    async fn persist_snooze(&mut self, ticket: String, until: Option<Micros>) {
        let (user, t) = (self.user.clone(), ticket.clone());
        self.with_log(move |l| l.set_snooze(&user, &t, until)).await;
        (self.out)(NudgeMsg::Snoozed { ticket, until });
    }

    async fn deliver(&mut self, due: Vec<Nudge>) {
        let records: Vec<NudgeRecord> = due.iter().map(Nudge::record).collect();
        let user = self.user.clone();
        let claims = self
            .with_log(move |l| l.claim(&user, &records))
            .await
            .filter(|c| c.len() == due.len())
            // Without a sent log, nudge anyway: better twice than never.
            .unwrap_or_else(|| vec![Claim::Claimed; due.len()]);
        let now = self.clock.now();
        for (nudge, claim) in due.into_iter().zip(claims) {
            match claim {
                Claim::Claimed => {
                    if nudge.loud {
                        if let Some(d) = &self.desktop {
                            d.notify(&nudge);
                        }
                    }
                    (self.out)(NudgeMsg::Fired(Box::new(nudge)));
                }
                Claim::AlreadySent => {}
                Claim::Snoozed(until) => {
                    self.scheduler.defer(&nudge, until, now);
                    (self.out)(NudgeMsg::Snoozed {
                        ticket: nudge.ticket,
                        until: Some(until),
                    });
                }
            }
        }
    }

    /// Runs `f` on the scheduler on the blocking pool: planning 100,000 tickets or a
    /// start's catch-up takes a good part of a second, which must not stall the
    /// caller's runtime (the console's UI runs on the same thread).
    async fn lend<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut Scheduler) -> T + Send + 'static,
    ) -> T {
        let mut s = std::mem::take(&mut self.scheduler);
        match tokio::task::spawn_blocking(move || {
            let out = f(&mut s);
            (s, out)
        })
        .await
        {
            Ok((s, out)) => {
                self.scheduler = s;
                out
            }
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime is shutting down, and this task with it.
            Err(_) => std::future::pending().await,
        }
    }

    /// Runs a sent-log call on the blocking pool; reports failures (once) and
    /// recoveries.
    async fn with_log<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut dyn SentLog) -> Result<T, String> + Send + 'static,
    ) -> Option<T> {
        let result = match self.log.take() {
            Some(mut log) => {
                match tokio::task::spawn_blocking(move || {
                    let r = f(&mut *log);
                    (log, r)
                })
                .await
                {
                    Ok((log, r)) => {
                        self.log = Some(log);
                        r
                    }
                    Err(e) => Err(format!("the sent log failed: {e}")),
                }
            }
            None => Err("the sent log is gone after an earlier failure".to_owned()),
        };
        match result {
            Ok(v) => {
                if self.log_error.take().is_some() {
                    (self.out)(NudgeMsg::SentLog(None));
                }
                Some(v)
            }
            Err(e) => {
                if self.log_error.as_deref() != Some(e.as_str()) {
                    self.log_error = Some(e.clone());
                    (self.out)(NudgeMsg::SentLog(Some(e)));
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
