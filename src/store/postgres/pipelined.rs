//! `serve`'s append connection: groups of one-event appends on an asynchronous client,
//! so that a request's append costs no thread hand-off, and usually one round trip.
//!
//! A group needs its tickets' histories (the hash chains onto the head, the projection
//! row folds the whole history). `serve`'s append connections keep those of the
//! tickets they stored to lately ([`KnownHistories`]), take a `detected` event on an
//! unknown ticket for the ticket's first, and read only the others. A kept history may
//! be behind its ticket (another `serve` appended since), or a `detected` not the
//! first: then `slawatch_append_group` refuses the event under the ticket's lock
//! ('moved') and the caller appends it alone, from a fresh read. So a wrong guess costs
//! a round trip and never a wrong event; a conflict with an expected head is only ever
//! answered from a history read in this group.
//!
//! The feed's listeners are notified after the commit by a [`FeedNotifier`], for
//! several groups at once.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_postgres::{Client, NoTls, Statement};

use super::append::{APPEND_GROUP, HISTORIES_AND_IDS};
use super::chain::head_of;
use super::group::{plan, Answer};
use super::notifier::FeedNotifier;
use super::{decode_event, redact, PgStore};
use crate::model::{Event, EventKind, GENESIS_HASH};
use crate::store::{rules, StoreError, StoredEvent};

pub struct GroupAppender {
    client: Client,
    read: Statement,
    call: Statement,
    known: KnownHistories,
    feed: FeedNotifier,
    url: String,
}

impl GroupAppender {
    /// Connects on the current tokio runtime (which drives the connection). The schema
    /// must be up to date already (`PgStore::connect` brings it).
    pub async fn connect(
        url: &str,
        known: KnownHistories,
        feed: FeedNotifier,
    ) -> Result<GroupAppender, StoreError> {
        let shown = redact(url);
        let err = |e| PgStore::error(&shown, e);
        let mut config =
            tokio_postgres::Config::from_str(url).map_err(|e| StoreError::Postgres {
                url: shown.clone(),
                message: format!("not a PostgreSQL URL ({e})"),
            })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("slawatch");
        let (client, connection) = config.connect(NoTls).await.map_err(err)?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "the append connection ended");
            }
        });
        let (read, call) = tokio::try_join!(
            client.prepare(HISTORIES_AND_IDS),
            client.prepare(APPEND_GROUP)
        )
        .map_err(err)?;
        Ok(GroupAppender {
            client,
            read,
            call,
            known,
            feed,
            url: shown,
        })
    }

    /// False once the connection is lost (open another).
    pub fn is_usable(&self) -> bool {
        !self.client.is_closed()
    }

    /// Independent one-event appends, each with the head its sender expects (if any):
    /// each answered as `append_batch` would answer it alone, or `None`, for the caller
    /// to append it alone (with `append_batch`, after this group).
    pub async fn append_each(&mut self, items: &[(Event, Option<String>)]) -> Vec<Option<Answer>> {
        let mut answers: Vec<Option<Answer>> = Vec::with_capacity(items.len());
        let mut checked = Vec::with_capacity(items.len());
        let mut index = Vec::with_capacity(items.len());
        for (n, (e, expected)) in items.iter().enumerate() {
            match rules::checked(std::slice::from_ref(e)) {
                Ok(mut one) => {
                    checked.push((one.pop().expect("one event in, one out"), expected.clone()));
                    index.push(n);
                    answers.push(None);
                }
                Err(x) => answers.push(Some(Err(x))),
            }
        }
        if !checked.is_empty() {
            let grouped = self.group(&checked).await;
            for (n, a) in index.into_iter().zip(grouped) {
                answers[n] = a;
            }
        }
        answers
    }

    async fn group(&mut self, items: &[(Event, Option<String>)]) -> Vec<Option<Answer>> {
        let mut histories: BTreeMap<String, Vec<StoredEvent>> = BTreeMap::new();
        for (e, expected) in items {
            if histories.contains_key(&e.ticket) {
                continue;
            }
            if let Some(h) = self.known.take(&e.ticket) {
                histories.insert(e.ticket.clone(), h);
            } else if e.kind == EventKind::Detected
                && expected.as_deref().is_none_or(|x| x == GENESIS_HASH)
            {
                // A ticket begins with `detected` (as monitoring posts it): taken for a
                // new ticket without a read. If it is not new, the call says so
                // ('moved') and the event goes alone.
                histories.insert(e.ticket.clone(), Vec::new());
            }
        }
        // Read: the tickets not known, and those some item expects at another head
        // (a conflict is answered from a fresh read only).
        let mut unread: BTreeSet<&str> = BTreeSet::new();
        for (e, expected) in items {
            let stale = match (histories.get(&e.ticket), expected) {
                (None, _) => true,
                (Some(h), Some(x)) => *x != head_of(h),
                (Some(_), None) => false,
            };
            if stale {
                unread.insert(&e.ticket);
            }
        }
        let wanted: BTreeSet<&str> = items.iter().map(|(e, _)| e.id.as_str()).collect();
        let mut stored: BTreeMap<String, StoredEvent> = BTreeMap::new();
        if !unread.is_empty() {
            let tickets: Vec<&str> = unread.iter().copied().collect();
            let ids: Vec<&str> = wanted.iter().copied().collect();
            let rows = match self.client.query(&self.read, &[&tickets, &ids]).await {
                Ok(rows) => rows,
                Err(e) => return self.failed(items, e),
            };
            let mut read = Vec::with_capacity(rows.len());
            for r in &rows {
                match decode_event(r) {
                    Ok(s) => read.push(s),
                    // Alone, each read again says what is wrong where.
                    Err(_) => return items.iter().map(|_| None).collect(),
                }
            }
            read.sort_by_key(|s| s.seq);
            read.dedup_by_key(|s| s.seq);
            for t in &tickets {
                histories.insert((*t).to_owned(), Vec::new());
            }
            for s in read {
                if unread.contains(s.event.ticket.as_str()) {
                    histories
                        .get_mut(s.event.ticket.as_str())
                        .expect("a history for every ticket read")
                        .push(s.clone());
                }
                stored.insert(s.event.id.clone(), s);
            }
        }
        for h in histories.values() {
            for s in h.iter().filter(|s| wanted.contains(s.event.id.as_str())) {
                stored.insert(s.event.id.clone(), s.clone());
            }
        }
        let mut plan = plan(items, histories, &stored);
        if plan.calls.index.is_empty() {
            self.keep(plan.stored_histories());
            return plan.answers;
        }
        let rows = self.client.query(&self.call, &plan.calls.params()).await;
        let rows = match rows {
            Ok(rows) => rows,
            // Nothing of the group was stored (one statement): each goes alone.
            Err(e) => return self.failed(items, e),
        };
        // Stored or not, the call's transaction has ended: wake the feed's listeners.
        self.feed.appended();
        let settled = plan.settle(
            &self.url,
            rows.iter()
                .map(|r| (r.get(0), r.get::<_, String>(1), r.get(2))),
        );
        if let Err(e) = settled {
            tracing::warn!(error = %e, "an append group's answer was not understood");
            return items.iter().map(|_| None).collect();
        }
        self.keep(plan.stored_histories());
        plan.answers
    }

    /// Before the group is answered: the next append a sender makes after its answer
    /// finds its ticket known.
    fn keep(&mut self, histories: impl Iterator<Item = (String, Vec<StoredEvent>)>) {
        let mut known = self.known.0.lock().expect("known histories lock");
        for (t, h) in histories {
            known.put(t, h);
        }
    }

    /// The group failed as a whole (its histories are forgotten): each goes alone.
    fn failed(
        &self,
        items: &[(Event, Option<String>)],
        e: tokio_postgres::Error,
    ) -> Vec<Option<Answer>> {
        let e = PgStore::error(&self.url, e);
        tracing::warn!(error = %e, "an append group failed; appending each alone");
        items.iter().map(|_| None).collect()
    }
}

/// The histories of the tickets appended to lately, shared by a `serve`'s append
/// connections (a ticket's next append goes through whichever is free). A group takes
/// its tickets' out and puts back those it stored wholly.
#[derive(Clone, Default)]
pub struct KnownHistories(Arc<Mutex<Known>>);

impl KnownHistories {
    fn take(&self, ticket: &str) -> Option<Vec<StoredEvent>> {
        self.0.lock().expect("known histories lock").take(ticket)
    }
}

/// In two generations: when the newer is full the older is dropped, so a ticket kept
/// busy stays known and the rest is forgotten, in bounded memory.
#[derive(Default)]
struct Known {
    newer: HashMap<String, Vec<StoredEvent>>,
    older: HashMap<String, Vec<StoredEvent>>,
}

/// Tickets per generation.
const KEPT: usize = 2_048;
/// Longer histories are not kept (their memory, and their fold at each append, are
/// better spent on a read).
const LONGEST: usize = 256;

impl Known {
    fn take(&mut self, ticket: &str) -> Option<Vec<StoredEvent>> {
        self.newer
            .remove(ticket)
            .or_else(|| self.older.remove(ticket))
    }

    fn put(&mut self, ticket: String, history: Vec<StoredEvent>) {
        if history.len() > LONGEST {
            return;
        }
        if self.newer.len() >= KEPT {
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(ticket, history);
    }
}
