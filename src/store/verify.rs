//! Recomputing every chain and the projection from the raw log.

use std::collections::HashMap;
use std::fmt;

use super::{Seq, StoredEvent, TicketRow};
use crate::model::{chain_hash, GENESIS_HASH};

/// Something wrong in the store, located as precisely as the log allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub ticket: String,
    /// The first broken event of the ticket, when the problem is in the log itself.
    pub seq: Option<Seq>,
    pub event_id: Option<String>,
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ticket {}", self.ticket)?;
        match (&self.event_id, self.seq) {
            (Some(id), Some(seq)) => write!(f, ", event {id} (row {seq})")?,
            (None, Some(seq)) => write!(f, ", row {seq}")?,
            _ => {}
        }
        write!(f, ": {}", self.what)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub tickets: usize,
    pub events: usize,
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Consumes events grouped by ticket in chain order and checks each chain, then each
/// ticket's projection row against the row its history implies.
pub(super) struct Checker {
    projection: HashMap<String, Result<TicketRow, String>>,
    report: VerifyReport,
    ticket: Option<Ticket>,
}

struct Ticket {
    name: String,
    history: Vec<StoredEvent>,
    head: String,
    broken: bool,
}

impl Checker {
    pub fn new(projection: HashMap<String, Result<TicketRow, String>>) -> Checker {
        Checker {
            projection,
            report: VerifyReport::default(),
            ticket: None,
        }
    }

    pub fn event(&mut self, e: StoredEvent) {
        self.start(&e.event.ticket);
        self.report.events += 1;
        let t = self.ticket.as_mut().expect("started above");
        if !t.broken {
            let expected = chain_hash(&t.head, &e.event);
            let what = if e.prev_hash != t.head {
                Some(format!(
                    "prev_hash {} does not match the previous event's hash {}",
                    e.prev_hash, t.head
                ))
            } else if e.hash != expected {
                Some(format!(
                    "content does not match its hash (stored {}, recomputed {expected})",
                    e.hash
                ))
            } else {
                None
            };
            if let Some(what) = what {
                t.broken = true;
                self.report.problems.push(Problem {
                    ticket: t.name.clone(),
                    seq: Some(e.seq),
                    event_id: Some(e.event.id.clone()),
                    what,
                });
            }
        }
        t.head = e.hash.clone();
        t.history.push(e);
    }

    /// A row that cannot even be decoded breaks its ticket's chain there.
    pub fn unreadable(&mut self, seq: Seq, ticket: String, why: String) {
        self.start(&ticket);
        self.report.events += 1;
        let t = self.ticket.as_mut().expect("started above");
        if !t.broken {
            t.broken = true;
            self.report.problems.push(Problem {
                ticket,
                seq: Some(seq),
                event_id: None,
                what: format!("unreadable: {why}"),
            });
        }
    }

    pub fn finish(mut self) -> VerifyReport {
        self.close();
        let mut orphans: Vec<_> = self.projection.drain().map(|(k, _)| k).collect();
        orphans.sort();
        for ticket in orphans {
            self.report.problems.push(Problem {
                ticket,
                seq: None,
                event_id: None,
                what: "projection has a row for a ticket with no events".into(),
            });
        }
        self.report
    }

    fn start(&mut self, ticket: &str) {
        if self.ticket.as_ref().is_some_and(|t| t.name == ticket) {
            return;
        }
        self.close();
        self.report.tickets += 1;
        self.ticket = Some(Ticket {
            name: ticket.to_owned(),
            history: Vec::new(),
            head: GENESIS_HASH.to_owned(),
            broken: false,
        });
    }

    fn close(&mut self) {
        let Some(t) = self.ticket.take() else { return };
        let expected = TicketRow::from_history(&t.name, &t.history);
        let what = match self.projection.remove(&t.name) {
            None => Some("projection has no row for this ticket".to_owned()),
            Some(Err(why)) => Some(format!("projection row unreadable: {why}")),
            Some(Ok(row)) => differences(&row, &expected),
        };
        if let Some(what) = what {
            self.report.problems.push(Problem {
                ticket: t.name,
                seq: None,
                event_id: None,
                what: format!("{what} (rebuild it with `slawatch verify --rebuild-projection`)"),
            });
        }
    }
}

fn differences(stored: &TicketRow, expected: &TicketRow) -> Option<String> {
    let mut diffs = Vec::new();
    if stored.head != expected.head {
        diffs.push(format!("head {} should be {}", stored.head, expected.head));
    }
    if stored.events != expected.events {
        diffs.push(format!(
            "event count {} should be {}",
            stored.events, expected.events
        ));
    }
    if stored.last_seq != expected.last_seq {
        diffs.push(format!(
            "last row {} should be {}",
            stored.last_seq, expected.last_seq
        ));
    }
    if stored.open != expected.open {
        diffs.push(format!("open {} should be {}", stored.open, expected.open));
    }
    if stored.facts != expected.facts {
        diffs.push("cached facts differ from the history".to_owned());
    }
    if stored.resolved_at != expected.resolved_at {
        diffs.push(format!(
            "resolved_at {:?} should be {:?}",
            stored.resolved_at, expected.resolved_at
        ));
    }
    (!diffs.is_empty()).then(|| format!("projection is stale: {}", diffs.join("; ")))
}
