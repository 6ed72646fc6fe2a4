//! The store worker: a thread that owns the `SqliteStore`, so no store call ever runs
//! on the UI task. It loads the first snapshot, polls the change feed, performs
//! appends (keeping failed ones in an outbox and retrying them: event ids make that
//! safe), reads histories, and reports everything as messages.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use super::update::SourceMsg;
use crate::model::Event;
use crate::store::TicketFacts;
use crate::store::{Expect, Seq, SqliteStore, Store, StoreError};

/// Requests to the worker.
#[derive(Debug)]
pub enum Command {
    Append(Event),
    History(String),
    /// Poll now (after a resume, say).
    Poll,
    Stop,
}

/// Rows per chunk of the first snapshot.
const SNAPSHOT_CHUNK: usize = 8192;

/// The store for reading and writing or, when the file cannot be written, for reading
/// (the console still shows everything; what is recorded waits in the outbox).
fn open(path: &std::path::Path) -> Result<(SqliteStore, bool), String> {
    match SqliteStore::open(path) {
        Ok(s) => Ok((s, false)),
        Err(StoreError::ReadOnly { .. }) => SqliteStore::open_read_only(path)
            .map(|s| (s, true))
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// How many change-feed events one read takes.
const BATCH: usize = 5000;

pub struct Source {
    pub commands: Sender<Command>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Source {
    /// Starts the worker on the store at `path`; messages go to `out` (whatever the
    /// UI loop reads: it is called from the worker thread).
    pub fn spawn(
        path: PathBuf,
        poll: Duration,
        out: impl Fn(SourceMsg) -> bool + Send + 'static,
    ) -> Source {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("slawatch-store".into())
            .spawn(move || Worker::new(path, poll, out).run(rx))
            .expect("spawn the store thread");
        Source {
            commands: tx,
            thread: Some(thread),
        }
    }

    pub fn send(&self, c: Command) {
        let _ = self.commands.send(c);
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        // Do not wait on a store that hangs: the process is leaving anyway.
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
    path: PathBuf,
    poll: Duration,
    out: F,
    store: Option<SqliteStore>,
    cursor: Option<Seq>,
    outbox: Vec<Event>,
    read_only: bool,
}

impl<F: Fn(SourceMsg) -> bool> Worker<F> {
    fn new(path: PathBuf, poll: Duration, out: F) -> Self {
        Worker {
            path,
            poll,
            out,
            store: None,
            cursor: None,
            outbox: Vec::new(),
            read_only: false,
        }
    }

    fn send(&self, m: SourceMsg) -> bool {
        (self.out)(m)
    }

    fn run(mut self, rx: Receiver<Command>) {
        self.poll_once();
        let mut next = Instant::now() + self.poll;
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(Command::Append(e)) => self.append(e),
                Ok(Command::History(t)) => self.history(&t),
                Ok(Command::Poll) => {
                    self.poll_once();
                    next = Instant::now() + self.poll;
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.poll_once();
                    next = Instant::now() + self.poll;
                }
            }
        }
    }

    fn store(&mut self) -> Result<&mut SqliteStore, String> {
        if self.store.is_none() {
            let (store, read_only) = open(&self.path)?;
            if read_only != self.read_only {
                self.read_only = read_only;
                self.send(SourceMsg::ReadOnly(read_only));
            }
            self.store = Some(store);
        }
        Ok(self.store.as_mut().expect("just opened"))
    }

    fn fail(&mut self, error: String) {
        // Reopen next time: the file may have been replaced or the lock released.
        self.store = None;
        self.send(SourceMsg::Failed { error });
    }

    fn poll_once(&mut self) {
        if !self.send(SourceMsg::Busy) {
            return;
        }
        if let Err(e) = self.poll_inner() {
            self.fail(e);
        }
    }

    fn poll_inner(&mut self) -> Result<(), String> {
        self.flush_outbox();
        let Some(cursor) = self.cursor else {
            // In chunks: the UI evaluates one while the next is decoded.
            self.store()?;
            let out = &self.out;
            let store = self.store.as_mut().expect("just opened");
            let cursor = store
                .open_tickets_chunked(SNAPSHOT_CHUNK, &mut |tickets| {
                    out(SourceMsg::LoadChunk { tickets });
                })
                .map_err(|e| e.to_string())?;
            self.cursor = Some(cursor);
            self.send(SourceMsg::Loaded {
                tickets: Vec::new(),
                cursor,
            });
            return Ok(());
        };
        let mut cursor = cursor;
        let mut touched = BTreeSet::new();
        loop {
            let changes = self
                .store()?
                .changes_since(cursor, BATCH)
                .map_err(|e| e.to_string())?;
            let n = changes.events.len();
            touched.extend(changes.events.into_iter().map(|e| e.event.ticket));
            cursor = changes.cursor;
            if n < BATCH {
                break;
            }
        }
        if !touched.is_empty() {
            let tickets = self.refold(touched)?;
            self.send(SourceMsg::Changed { tickets });
        }
        self.cursor = Some(cursor);
        self.send(SourceMsg::Polled);
        Ok(())
    }

    /// Each ticket's facts folded over its whole history, from the projection.
    fn refold(
        &mut self,
        tickets: impl IntoIterator<Item = String>,
    ) -> Result<Vec<TicketFacts>, String> {
        let store = self.store()?;
        crate::store::current_facts(store, tickets).map_err(|e| e.to_string())
    }

    fn append(&mut self, e: Event) {
        self.outbox.push(e);
        self.flush_outbox();
    }

    /// Stores what waits in the outbox, oldest first; stops at the first failure.
    fn flush_outbox(&mut self) {
        if self.outbox.is_empty() {
            return;
        }
        let before = self.outbox.len();
        while let Some(e) = self.outbox.first().cloned() {
            let result = match self.store() {
                Ok(store) => store.append(&e, Expect::Any).map_err(|err| {
                    // An event the store rejects as such will never go in: drop it.
                    let permanent = matches!(
                        err,
                        StoreError::Invalid { .. } | StoreError::IdConflict { .. }
                    );
                    (err.to_string(), permanent)
                }),
                Err(why) => Err((why, false)),
            };
            match result {
                Ok(_) => {
                    self.outbox.remove(0);
                    let ticket = e.ticket.clone();
                    self.send(SourceMsg::Appended { event: Box::new(e) });
                    // Show it at once, without waiting for the next poll.
                    if let Ok(tickets) = self.refold([ticket]) {
                        self.send(SourceMsg::Changed { tickets });
                    }
                }
                Err((error, permanent)) => {
                    if permanent {
                        self.outbox.remove(0);
                    }
                    self.send(SourceMsg::AppendFailed {
                        event: Box::new(e),
                        error,
                    });
                    if !permanent {
                        self.store = None;
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
        match self
            .store()
            .and_then(|s| s.history(ticket).map_err(|e| e.to_string()))
        {
            Ok(events) => {
                self.send(SourceMsg::History {
                    ticket: ticket.to_owned(),
                    events,
                });
            }
            Err(error) => {
                self.send(SourceMsg::HistoryFailed {
                    ticket: ticket.to_owned(),
                    error,
                });
            }
        }
    }
}
