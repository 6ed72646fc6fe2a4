//! The console's feed worker: a thread with its own connection to a [`Source`], so
//! that no source call ever runs on the UI task. It loads the first snapshot, polls
//! the change feed, performs appends (keeping failed ones in an outbox and retrying
//! them, unless the source keeps them itself: event ids make that safe), reads
//! histories, carries out decisions on what a server refused, and reports everything as
//! [`SourceMsg`]s. It runs supervised: after a panic it starts again with its
//! outbox and cursor, and the snapshot is read again from the start if it was not
//! complete.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use super::supervise::{self, Report};
use super::{Connector, Cursor, Decision, Expect, Link, Purpose, Source, SourceError, Undecided};
use crate::model::Event;
use crate::store::{StoredEvent, TicketFacts};

/// Rows per chunk of the first snapshot.
pub const SNAPSHOT_CHUNK: usize = 8192;

/// What the feed worker reports.
#[derive(Debug)]
pub enum SourceMsg {
    /// Part of the first snapshot, as it is read (evaluated at once, shown at `Loaded`).
    /// `first` marks a snapshot's first chunk: anything loaded before it is void (the
    /// worker restarted mid-snapshot).
    LoadChunk {
        tickets: Vec<TicketFacts>,
        first: bool,
    },
    /// The first snapshot is complete (with its last rows): every open ticket, and
    /// the change-feed cursor it is consistent with.
    Loaded {
        tickets: Vec<TicketFacts>,
        cursor: Option<Cursor>,
    },
    /// Tickets whose events changed: their facts folded over the whole history
    /// (`None`: it no longer folds; closed facts: resolved).
    Changed {
        tickets: Vec<TicketFacts>,
    },
    /// A read of the source started (to show a slow source).
    Busy,
    /// A read finished well.
    Polled,
    Failed {
        error: String,
    },
    History {
        ticket: String,
        events: Vec<StoredEvent>,
    },
    HistoryFailed {
        ticket: String,
        error: String,
    },
    /// The closed tickets a query picked, or why they could not be read.
    Closed {
        query: super::closed::ClosedQuery,
        reply: Result<Vec<TicketFacts>, String>,
    },
    Appended {
        event: Box<Event>,
    },
    /// Not stored: kept and retried at every poll (`retry`), or refused as it is (a
    /// server's outbox keeps such an event for the agent to decide).
    AppendFailed {
        event: Box<Event>,
        error: String,
        retry: bool,
    },
    /// Not stored: the ticket moved on after the agent saw it (`after`: the events
    /// they did not see; empty when they could not be read).
    Moved {
        event: Box<Event>,
        after: Vec<StoredEvent>,
    },
    /// The events waiting for the agent's decision, oldest first (sent when they
    /// change).
    Undecided(Vec<Undecided>),
    /// A decision was carried out (`queued`: a re-submitted event waits to be sent),
    /// or why it was not.
    Decided {
        id: String,
        decision: Decision,
        queued: bool,
        error: Option<String>,
    },
    /// Events recorded here that are still waiting to be stored.
    Unsaved(usize),
    /// The source can (false) or cannot (true) take appends.
    ReadOnly(bool),
    /// How the link to a server stands (sent when it changes; never for a local store).
    Link(Link),
}

/// How many of its own stored events' ids the worker remembers: more than an agent
/// records on one ticket between two looks at it.
const RECORDED_KEPT: usize = 256;

/// Requests to the worker.
#[derive(Debug)]
pub enum Command {
    /// `seen`: how many of the ticket's events the agent saw when they decided it;
    /// with it, the event is stored only on top of those (else [`SourceMsg::Moved`]).
    Append {
        event: Event,
        seen: Option<u32>,
    },
    History(String),
    /// The closed tickets a query picks.
    Closed(super::closed::ClosedQuery),
    /// The agent's decision on an undecided event (by id).
    Decide(String, Decision),
    /// Poll now (after a resume, say).
    Poll,
    Stop,
}

pub struct Feed {
    commands: Sender<Command>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Feed {
    /// Starts the worker on a connection from `connect`; messages go to `out` and
    /// panics are reported to `report` (both called from the worker thread).
    pub fn spawn(
        connect: Connector,
        poll: Duration,
        out: impl Fn(SourceMsg) -> bool + Send + 'static,
        report: impl Fn(Report) + Send + 'static,
    ) -> std::io::Result<Feed> {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut worker = Worker {
            connect,
            poll,
            out,
            source: None,
            cursor: None,
            outbox: Vec::new(),
            recorded: Default::default(),
            read_only: false,
            rx,
            started: false,
            link: None,
            undecided: None,
        };
        let thread = supervise::spawn("slawatch-store", move || worker.run(), report)?;
        Ok(Feed {
            commands: tx,
            thread: Some(thread),
        })
    }

    pub fn send(&self, c: Command) {
        let _ = self.commands.send(c);
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        // Do not wait on a source that hangs: the process is leaving anyway.
        if let Some(t) = self.thread.take() {
            let deadline = Instant::now() + Duration::from_millis(500);
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

struct Worker<F> {
    connect: Connector,
    poll: Duration,
    out: F,
    source: Option<Box<dyn Source>>,
    cursor: Option<Cursor>,
    outbox: Vec<(Event, Option<u32>)>,
    /// Ids of the latest events stored from here (at most [`RECORDED_KEPT`]).
    recorded: std::collections::VecDeque<String>,
    read_only: bool,
    rx: Receiver<Command>,
    /// `run` ran before (this is a restart).
    started: bool,
    /// The link as last reported.
    link: Option<Link>,
    /// How many undecided events were last reported.
    undecided: Option<usize>,
}

impl<F: Fn(SourceMsg) -> bool> Worker<F> {
    fn send(&self, m: SourceMsg) -> bool {
        (self.out)(m)
    }

    fn run(&mut self) {
        if self.started {
            // A fresh connection after a panic: the old one may be mid-call.
            self.source = None;
        }
        self.started = true;
        self.poll_once();
        let mut next = Instant::now() + self.pause();
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(wait) {
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(Command::Append { event, seen }) => self.append(event, seen),
                Ok(Command::History(t)) => self.history(&t),
                Ok(Command::Closed(q)) => {
                    let reply = self.source().closed(&q).map_err(|e| e.to_string());
                    self.send(SourceMsg::Closed { query: q, reply });
                }
                Ok(Command::Decide(id, d)) => self.decide(id, d),
                Ok(Command::Poll) | Err(RecvTimeoutError::Timeout) => {
                    self.poll_once();
                    next = Instant::now() + self.pause();
                }
            }
            self.report_link();
        }
    }

    /// Until the next read of the change feed (see [`Source::pause`]).
    fn pause(&self) -> Duration {
        self.source
            .as_ref()
            .map_or(self.poll, |s| s.pause(self.poll))
    }

    /// A server's link when it changed, and what its outbox could not store on its own.
    fn report_link(&mut self) {
        let Some(source) = self.source.as_mut() else {
            return;
        };
        let link = source.link();
        let notices = source.notices();
        if let Some(l) = link.as_ref().filter(|_| link != self.link) {
            self.send(SourceMsg::Link(l.clone()));
            if self.undecided != Some(l.undecided) {
                self.report_undecided();
            }
            self.link = link;
        }
        for (event, error) in notices {
            self.send(SourceMsg::AppendFailed {
                event: Box::new(event),
                error,
                retry: false,
            });
        }
    }

    /// The events waiting for the agent's decision, as they now are.
    fn report_undecided(&mut self) {
        match self.source().undecided() {
            Ok(list) => {
                self.undecided = Some(list.len());
                self.send(SourceMsg::Undecided(list));
            }
            Err(e) => {
                self.undecided = None;
                self.send(SourceMsg::Failed {
                    error: e.to_string(),
                });
            }
        }
    }

    fn decide(&mut self, id: String, decision: Decision) {
        let (queued, error) = match self.source().decide(&id, decision) {
            Ok(stored) => {
                // Show it at once, without waiting for the next poll.
                if let Some(a) = stored {
                    if let Ok(tickets) = self.source().facts(vec![a.stored.event.ticket]) {
                        self.send(SourceMsg::Changed { tickets });
                    }
                }
                (false, None)
            }
            Err(SourceError::Unreachable(_)) if decision == Decision::Resubmit => (true, None),
            Err(e) => (false, Some(e.to_string())),
        };
        self.send(SourceMsg::Decided {
            id,
            decision,
            queued,
            error,
        });
        self.report_undecided();
    }

    fn source(&mut self) -> &mut dyn Source {
        let connect = &self.connect;
        &mut **self
            .source
            .get_or_insert_with(|| connect.connect(Purpose::Write))
    }

    fn poll_once(&mut self) {
        if !self.send(SourceMsg::Busy) {
            return;
        }
        if let Err(e) = self.poll_inner() {
            self.send(SourceMsg::Failed {
                error: e.to_string(),
            });
        }
    }

    fn check_writable(&mut self) -> Result<(), SourceError> {
        let read_only = !self.source().writable()?;
        if read_only != self.read_only {
            self.read_only = read_only;
            self.send(SourceMsg::ReadOnly(read_only));
        }
        Ok(())
    }

    fn poll_inner(&mut self) -> Result<(), SourceError> {
        self.check_writable()?;
        self.flush_outbox();
        let Some(cursor) = self.cursor.clone() else {
            // In chunks: the UI evaluates one while the next is decoded.
            let out = &self.out;
            let mut first = true;
            let source = &mut **self
                .source
                .get_or_insert_with(|| self.connect.connect(Purpose::Write));
            let cursor = source.snapshot(SNAPSHOT_CHUNK, &mut |tickets| {
                out(SourceMsg::LoadChunk { tickets, first });
                first = false;
            })?;
            if first {
                // No chunk at all: an empty store still starts afresh.
                out(SourceMsg::LoadChunk {
                    tickets: Vec::new(),
                    first: true,
                });
            }
            self.cursor = Some(cursor.clone());
            self.send(SourceMsg::Loaded {
                tickets: Vec::new(),
                cursor: Some(cursor),
            });
            return Ok(());
        };
        let changed = self.source().changes(&cursor)?;
        if !changed.tickets.is_empty() {
            self.send(SourceMsg::Changed {
                tickets: changed.tickets,
            });
        }
        if let Some(c) = changed.cursor {
            self.cursor = Some(c);
        }
        self.send(SourceMsg::Polled);
        Ok(())
    }

    fn append(&mut self, e: Event, seen: Option<u32>) {
        self.outbox.push((e, seen));
        self.flush_outbox();
    }

    /// The head to store on so that no event the agent did not see (other than this
    /// console's own) came after their `seen` ones, or those events. Unread history
    /// leaves it to the source, which expects what it last knew.
    fn on_top_of(&mut self, ticket: &str, seen: Option<u32>) -> Result<Expect, Vec<StoredEvent>> {
        let Some(seen) = seen else {
            return Ok(Expect::Any);
        };
        let Ok(mut history) = self.source().history(ticket) else {
            return Ok(Expect::Any);
        };
        let head = history.last().map(|e| Expect::Head(e.hash.clone()));
        let unseen = self.not_from_here(history.split_off((seen as usize).min(history.len())));
        match unseen.is_empty() {
            true => Ok(head.unwrap_or(Expect::Any)),
            false => Err(unseen),
        }
    }

    fn not_from_here(&self, events: Vec<StoredEvent>) -> Vec<StoredEvent> {
        events
            .into_iter()
            .filter(|x| !self.recorded.contains(&x.event.id))
            .collect()
    }

    /// Remembers an event stored from here, so that it never counts as one the agent
    /// did not see.
    fn stored_here(&mut self, id: &str) {
        if self.recorded.len() == RECORDED_KEPT {
            self.recorded.pop_front();
        }
        self.recorded.push_back(id.to_owned());
    }

    /// Stores what waits in the outbox, oldest first; stops at the first failure.
    fn flush_outbox(&mut self) {
        if self.outbox.is_empty() {
            return;
        }
        let before = self.outbox.len();
        while let Some((e, seen)) = self.outbox.first().cloned() {
            let stored = match self.on_top_of(&e.ticket, seen) {
                Ok(expect) => self.source().append(&e, &expect),
                Err(after) => Err(SourceError::Conflict {
                    ticket: e.ticket.clone(),
                    head: after.last().map(|x| x.hash.clone()).unwrap_or_default(),
                    message: format!("{} events after the agent's", after.len()),
                }),
            };
            match stored {
                Ok(_) => {
                    self.outbox.remove(0);
                    self.stored_here(&e.id);
                    let ticket = e.ticket.clone();
                    self.send(SourceMsg::Appended { event: Box::new(e) });
                    // Show it at once, without waiting for the next poll.
                    if let Ok(tickets) = self.source().facts(vec![ticket]) {
                        self.send(SourceMsg::Changed { tickets });
                    }
                }
                Err(SourceError::Conflict { .. }) if seen.is_some() => {
                    self.outbox.remove(0);
                    let after = match self.source().history(&e.ticket) {
                        Ok(mut h) => {
                            let seen = (seen.unwrap_or(0) as usize).min(h.len());
                            self.not_from_here(h.split_off(seen))
                        }
                        Err(_) => Vec::new(),
                    };
                    let ticket = e.ticket.clone();
                    self.send(SourceMsg::Moved {
                        event: Box::new(e),
                        after,
                    });
                    if let Ok(tickets) = self.source().facts(vec![ticket]) {
                        self.send(SourceMsg::Changed { tickets });
                    }
                }
                Err(error) => {
                    // An event the source refuses as such will never go in: drop it.
                    let permanent = matches!(error, SourceError::Rejected(_));
                    // A server's outbox keeps it on disk (so that it survives a
                    // restart) and sends it in order: the next one goes there too.
                    let held = !permanent && self.source().holds(&e.id);
                    if permanent || held {
                        self.outbox.remove(0);
                    }
                    self.send(SourceMsg::AppendFailed {
                        event: Box::new(e),
                        error: error.to_string(),
                        retry: !permanent,
                    });
                    if !permanent && !held {
                        break;
                    }
                }
            }
        }
        if before != self.outbox.len() || !self.outbox.is_empty() {
            self.send(SourceMsg::Unsaved(self.outbox.len()));
        }
    }

    fn history(&mut self, ticket: &str) {
        match self.source().history(ticket) {
            Ok(events) => {
                self.send(SourceMsg::History {
                    ticket: ticket.to_owned(),
                    events,
                });
            }
            Err(error) => {
                self.send(SourceMsg::HistoryFailed {
                    ticket: ticket.to_owned(),
                    error: error.to_string(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::store::{Appended, Claim, NudgeRecord};
    use crate::sync::{Changed, Connect, MonthInput};

    /// A source whose first snapshot panics half way and whose appends are kept.
    #[derive(Default)]
    struct Shared {
        snapshots: AtomicUsize,
        appended: Mutex<Vec<String>>,
    }

    struct Flaky(Arc<Shared>);

    impl Connect for Flaky {
        fn connect(&self, _: Purpose) -> Box<dyn Source> {
            Box::new(Flaky(self.0.clone()))
        }
    }

    fn unused<T>() -> Result<T, SourceError> {
        Err(SourceError::Rejected("not in this test".into()))
    }

    impl Source for Flaky {
        fn writable(&mut self) -> Result<bool, SourceError> {
            Ok(true)
        }
        fn snapshot(
            &mut self,
            _: usize,
            each: &mut dyn FnMut(Vec<TicketFacts>),
        ) -> Result<Cursor, SourceError> {
            each(vec![("T-1".into(), None)]);
            if self.0.snapshots.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("the snapshot broke");
            }
            each(vec![("T-2".into(), None)]);
            Ok(Cursor::from_token("2"))
        }
        fn changes(&mut self, from: &Cursor) -> Result<Changed, SourceError> {
            Ok(Changed {
                tickets: Vec::new(),
                cursor: Some(from.clone()),
            })
        }
        fn facts(&mut self, t: Vec<String>) -> Result<Vec<TicketFacts>, SourceError> {
            Ok(t.into_iter().map(|t| (t, None)).collect())
        }
        fn history(&mut self, _: &str) -> Result<Vec<StoredEvent>, SourceError> {
            unused()
        }
        fn closed(
            &mut self,
            _: &crate::sync::closed::ClosedQuery,
        ) -> Result<Vec<TicketFacts>, SourceError> {
            unused()
        }
        fn append(&mut self, e: &Event, _: &Expect) -> Result<Appended, SourceError> {
            self.0.appended.lock().unwrap().push(e.id.clone());
            unused()
        }
        fn claim_nudges(&mut self, _: &str, _: &[NudgeRecord]) -> Result<Vec<Claim>, SourceError> {
            unused()
        }
        fn nudges_sent(
            &mut self,
            _: &str,
            _: crate::sla::Micros,
            _: usize,
        ) -> Result<Vec<NudgeRecord>, SourceError> {
            unused()
        }
        fn set_snooze(
            &mut self,
            _: &str,
            _: &str,
            _: Option<crate::sla::Micros>,
        ) -> Result<(), SourceError> {
            unused()
        }
        fn snoozes(
            &mut self,
            _: &str,
            _: crate::sla::Micros,
        ) -> Result<Vec<(String, crate::sla::Micros)>, SourceError> {
            unused()
        }
        fn month_input(
            &mut self,
            _: crate::sla::penalty::Month,
            _: chrono::DateTime<chrono::Utc>,
        ) -> Result<MonthInput, SourceError> {
            unused()
        }
    }

    #[test]
    fn a_panic_mid_snapshot_restarts_the_worker_which_reads_the_snapshot_again() {
        super::supervise::install_hook(|| {});
        let shared = Arc::new(Shared::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let (rtx, rrx) = std::sync::mpsc::channel();
        let feed = Feed::spawn(
            Arc::new(Flaky(shared.clone())),
            Duration::from_secs(3600),
            move |m| tx.send(m).is_ok(),
            move |r| rtx.send(r).unwrap(),
        )
        .unwrap();
        let mut chunks = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(10)).expect("a message") {
                SourceMsg::LoadChunk { tickets, first } => chunks.push((first, tickets.len())),
                SourceMsg::Loaded { cursor, .. } => {
                    assert_eq!(cursor, Some(Cursor::from_token("2")));
                    break;
                }
                _ => {}
            }
        }
        // The first attempt's chunk, then the whole snapshot again, marked as a restart.
        assert_eq!(chunks, [(true, 1), (true, 1), (false, 1)]);
        match rrx.try_recv().expect("a report") {
            Report::Restarted { worker, panic } => {
                assert_eq!(worker, "slawatch-store");
                assert!(panic.starts_with("the snapshot broke at "), "{panic}");
            }
            r => panic!("{r:?}"),
        }
        // It still serves commands.
        feed.send(Command::Append {
            event: crate::model::Event::new(
                "T-1",
                crate::model::EventKind::Note,
                chrono::Utc::now(),
                chrono::Utc::now(),
                "ann",
                Default::default(),
            ),
            seen: None,
        });
        let failed = loop {
            if let SourceMsg::AppendFailed { error, .. } =
                rx.recv_timeout(Duration::from_secs(10)).unwrap()
            {
                break error;
            }
        };
        assert_eq!(failed, "not in this test");
        assert_eq!(shared.appended.lock().unwrap().len(), 1);
    }
}
