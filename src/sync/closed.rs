//! Finding closed tickets: those closed since an instant (the console's "closed
//! today"), or any whose texts mention what the agent typed. The board holds open
//! tickets only, so closed ones are asked of the source, which answers with this one
//! selection whatever its store or transport.

use std::sync::Arc;

use crate::sla::{Facts, Micros};
use crate::store::TicketFacts;

/// The most closed tickets one query lists: the newest closed first.
pub const CLOSED_LIMIT: usize = 500;

/// Which closed tickets to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClosedQuery {
    /// Closed at or after this instant (µs); `None`: whenever.
    pub since: Option<Micros>,
    /// Lower-cased; must occur in the id, customer, title or assignee. Empty: any.
    pub text: String,
    /// At most this many (at most [`CLOSED_LIMIT`]).
    pub limit: usize,
}

impl ClosedQuery {
    /// The tickets closed since `since`.
    pub fn since(since: Micros) -> ClosedQuery {
        ClosedQuery {
            since: Some(since),
            text: String::new(),
            limit: CLOSED_LIMIT,
        }
    }

    /// Every closed ticket mentioning `text`.
    pub fn text(text: &str) -> ClosedQuery {
        ClosedQuery {
            since: None,
            text: text.trim().to_lowercase(),
            limit: CLOSED_LIMIT,
        }
    }

    pub fn matches(&self, f: &Facts) -> bool {
        let Some(closed) = f.resolved_at else {
            return false;
        };
        self.since.is_none_or(|s| closed >= s)
            && (self.text.is_empty() || crate::search::mentions(f, &self.text))
    }

    fn limit(&self) -> usize {
        self.limit.clamp(1, CLOSED_LIMIT)
    }
}

/// Collects what a query picks from rows read in chunks: the newest closed first,
/// then by ticket id, at most the query's limit.
pub struct Picked<'q> {
    query: &'q ClosedQuery,
    rows: Vec<(String, Arc<Facts>)>,
}

impl<'q> Picked<'q> {
    pub fn new(query: &'q ClosedQuery) -> Picked<'q> {
        Picked {
            query,
            rows: Vec::new(),
        }
    }

    pub fn offer(&mut self, rows: impl IntoIterator<Item = TicketFacts>) {
        for (ticket, facts) in rows {
            if let Some(f) = facts.filter(|f| self.query.matches(f)) {
                self.rows.push((ticket, f));
            }
        }
        // Bounded however many match: keep twice the limit at most between sorts.
        if self.rows.len() > 2 * self.query.limit() {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.rows
            .sort_by(|a, b| (b.1.resolved_at, &a.0).cmp(&(a.1.resolved_at, &b.0)));
        self.rows.truncate(self.query.limit());
    }

    pub fn finish(mut self) -> Vec<TicketFacts> {
        self.trim();
        self.rows.into_iter().map(|(t, f)| (t, Some(f))).collect()
    }
}

/// What `query` picks of whole projection rows (what a server answers with).
pub fn pick_rows(
    query: &ClosedQuery,
    rows: Vec<crate::store::TicketRow>,
) -> Vec<crate::store::TicketRow> {
    let keep: std::collections::HashSet<String> = pick(
        query,
        rows.iter().map(|r| (r.ticket.clone(), r.facts.clone())),
    )
    .into_iter()
    .map(|(t, _)| t)
    .collect();
    let mut rows: Vec<_> = rows
        .into_iter()
        .filter(|r| keep.contains(&r.ticket))
        .collect();
    rows.sort_by(|a, b| (b.resolved_at, &a.ticket).cmp(&(a.resolved_at, &b.ticket)));
    rows
}

/// What `query` picks of `rows`.
pub fn pick(query: &ClosedQuery, rows: impl IntoIterator<Item = TicketFacts>) -> Vec<TicketFacts> {
    let mut p = Picked::new(query);
    p.offer(rows);
    p.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::testkit;

    #[test]
    fn picks_the_newest_closed_that_match_at_most_the_limit() {
        let now = testkit::now();
        let evs = testkit::closed_events(now);
        let rows = testkit::all_facts(&evs);
        let closed: Vec<_> = rows
            .iter()
            .filter(|(_, f)| f.as_ref().is_some_and(|f| f.resolved_at.is_some()))
            .cloned()
            .collect();
        assert_eq!(closed.len(), 5, "the test data closes five tickets");
        let all = pick(&ClosedQuery::text(""), rows.clone());
        assert_eq!(all.len(), closed.len(), "every closed one, no open one");
        let at = |r: &TicketFacts| r.1.as_ref().unwrap().resolved_at.unwrap();
        assert!(
            all.windows(2).all(|w| at(&w[0]) >= at(&w[1])),
            "newest first"
        );
        let newest = at(&all[0]);
        let since = pick(&ClosedQuery::since(newest), rows.clone());
        assert!(since.iter().all(|r| at(r) >= newest) && !since.is_empty());
        let one = ClosedQuery {
            limit: 1,
            ..ClosedQuery::text("")
        };
        assert_eq!(pick(&one, rows.clone()), all[..1].to_vec());
        let f = all[0].1.as_ref().unwrap();
        let word = f.customer.to_uppercase();
        let found = pick(&ClosedQuery::text(&word), rows);
        assert!(found.iter().any(|r| r.0 == all[0].0));
        assert!(found
            .iter()
            .all(|r| crate::search::mentions(r.1.as_ref().unwrap(), &word.to_lowercase())));
    }
}
