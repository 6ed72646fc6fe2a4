//! The feed worker's messages on their way to the UI, the first snapshot evaluated on
//! the way. The worker reads the snapshot in chunks; each chunk is evaluated into board
//! entries on a helper thread while the worker reads the next. Reading and evaluating
//! 100,000 tickets each take a core for most of the time to the first frame: one after
//! the other on the worker's thread they would add up, side by side they overlap. At
//! most one helper per core is in flight, so a source that hands over its chunks at
//! once (a server's answer, decoded) still has them evaluated on every core.
//!
//! Messages reach the UI in the order the worker sent them: an evaluated chunk before
//! anything sent after it. A panic while evaluating is the worker's, raised on its
//! thread, so the worker restarts and reads the snapshot again, as for its own.

use std::sync::{Mutex, PoisonError};

use chrono::Utc;

use super::board::{Entry, Evaluator};
use super::nudges::Feed as NudgeFeed;
use super::update::{Msg, SourceMsg};
use crate::ordered::InOrder;
use crate::store::TicketFacts;

/// An evaluated chunk: its entries, the tickets themselves (for the nudges) and
/// whether it starts a snapshot.
type Evaluated = (Vec<Vec<Entry>>, Vec<TicketFacts>, bool);

pub struct Loader<S, F> {
    eval: Evaluator,
    nudges: Option<NudgeFeed<S>>,
    ui: F,
    pending: Mutex<InOrder<Evaluated>>,
}

impl<S, F> Loader<S, F>
where
    S: Fn(Vec<TicketFacts>),
    F: Fn(Msg) -> bool,
{
    /// Evaluates with `eval`, tells `nudges` the tickets and sends to `ui` (false:
    /// the UI is gone).
    pub fn new(eval: Evaluator, nudges: Option<NudgeFeed<S>>, ui: F) -> Self {
        Loader {
            eval,
            nudges,
            ui,
            pending: Mutex::new(InOrder::per_core("slawatch-eval")),
        }
    }

    /// One message from the feed worker (called on its thread). False once the UI is
    /// gone.
    pub fn pass(&self, m: SourceMsg) -> bool {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let SourceMsg::LoadChunk { tickets, first } = m else {
            while let Some(done) = pending.take_oldest() {
                if !self.deliver(done) {
                    return false;
                }
            }
            if let Some(n) = &self.nudges {
                n.pass(&m);
            }
            return (self.ui)(Msg::Source(m));
        };
        let eval = self.eval.clone();
        let oldest = pending.push(move || {
            // Its panic is raised again on the worker's thread, which reports it.
            crate::sync::supervise::quiet();
            let parts = eval.evaluate(&tickets, Utc::now(), false);
            (parts, tickets, first)
        });
        oldest.is_none_or(|done| self.deliver(done))
    }

    /// Sends an evaluated chunk on.
    fn deliver(&self, (parts, tickets, first): Evaluated) -> bool {
        if let Some(n) = &self.nudges {
            n.hold(tickets, first);
        }
        (self.ui)(Msg::Evaluated { parts, first })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn chunks_are_evaluated_and_everything_arrives_in_the_order_sent() {
        let rows = crate::tui::testkit::snapshot(&crate::demo::demo_events(3, Utc::now()));
        let got: Arc<Mutex<Vec<String>>> = Arc::default();
        let planned: Arc<Mutex<Vec<usize>>> = Arc::default();
        let (g, p) = (got.clone(), planned.clone());
        let eval = crate::tui::testkit::empty_state().board.evaluator();
        let nudges = NudgeFeed::to(move |t: Vec<TicketFacts>| p.lock().unwrap().push(t.len()));
        let loader = Loader::new(eval, Some(nudges), move |m| {
            g.lock().unwrap().push(match m {
                Msg::Evaluated { parts, first } => {
                    format!("{} {first}", parts.iter().map(Vec::len).sum::<usize>())
                }
                Msg::Source(m) => format!("{m:?}").chars().take(6).collect(),
                m => panic!("{m:?}"),
            });
            true
        });
        let (a, rest) = rows.split_at(4);
        let (b, c) = rest.split_at(3);
        let chunk = |t: &[TicketFacts], first| SourceMsg::LoadChunk {
            tickets: t.to_vec(),
            first,
        };
        assert!(loader.pass(chunk(a, true)));
        assert!(loader.pass(chunk(b, false)));
        assert!(loader.pass(SourceMsg::Busy));
        assert!(loader.pass(chunk(c, false)));
        assert!(loader.pass(SourceMsg::Loaded {
            tickets: Vec::new(),
            cursor: None,
        }));
        let open = |t: &[TicketFacts]| {
            t.iter()
                .filter(|(_, f)| f.as_ref().is_some_and(|f| f.is_open()))
                .count()
        };
        assert_eq!(
            *got.lock().unwrap(),
            [
                format!("{} true", open(a)),
                format!("{} false", open(b)),
                "Busy".to_owned(),
                format!("{} false", open(c)),
                "Loaded".to_owned(),
            ]
        );
        assert_eq!(*planned.lock().unwrap(), [rows.len()], "every ticket, once");
    }
}
