//! A [`Book`]: every ticket evaluated as of one instant, and the penalty records.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::contract::LEDGER_PREFIX;
use super::money::{parse_amount, parse_decimal};
use crate::model::{Event, EventKind};
use crate::sla::calendar::Micros;
use crate::sla::{evaluate_facts, evaluate_ticket, Calendars, Facts, Policies, TicketSla};

/// The configuration penalties are computed against.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub policies: &'a Policies,
    pub calendars: &'a Calendars,
}

/// One ticket's SLA picture as of `as_of`.
#[derive(Clone, Debug)]
pub struct TicketView {
    pub sla: TicketSla,
    pub as_of: Micros,
}

impl TicketView {
    pub fn id(&self) -> &str {
        &self.sla.facts.ticket
    }
}

/// A `penalty_adjusted` event, read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Adjustment {
    pub event_id: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The agreed amount that replaces the penalty's.
    pub amount: Decimal,
    pub reason: String,
}

/// A recorded `penalty` event with the adjustments that refer to it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordedPenalty {
    pub event: Event,
    pub contract: String,
    pub customer: String,
    pub term: String,
    pub kpi: String,
    pub period: String,
    pub amount: Decimal,
    pub currency: String,
    pub tickets: Vec<String>,
    /// Oldest first; the last one is in force.
    pub adjustments: Vec<Adjustment>,
}

impl RecordedPenalty {
    /// What is owed after negotiation: the newest adjustment's amount, or the penalty's.
    pub fn net(&self) -> Decimal {
        self.adjustments.last().map_or(self.amount, |a| a.amount)
    }
}

/// Tickets evaluated as of `now`, with the histories kept so that the same book can be
/// looked at from another instant (a forecast).
#[derive(Clone, Debug)]
pub struct Book {
    pub now: DateTime<Utc>,
    /// By ticket id.
    pub tickets: Vec<TicketView>,
    index: HashMap<String, usize>,
    /// Histories that do not evaluate (no `detected` event, no policy), and money events
    /// that do not validate (an amount out of bounds, say), each with the reason.
    /// Penalty ledgers themselves are not problems.
    pub problems: Vec<(String, String)>,
    /// Every penalty event in the histories, oldest first.
    pub recorded: Vec<RecordedPenalty>,
    /// Adjustments whose penalty event is not among the histories.
    pub orphan_adjustments: Vec<Event>,
    histories: Arc<Vec<Vec<Event>>>,
    folded: Arc<Vec<Arc<Facts>>>,
}

impl Book {
    /// Groups `events` by ticket and evaluates each as of `now`.
    pub fn from_events(env: Env<'_>, events: &[Event], now: DateTime<Utc>) -> Book {
        let mut groups: BTreeMap<&str, Vec<Event>> = BTreeMap::new();
        for e in events {
            groups.entry(e.ticket.as_str()).or_default().push(e.clone());
        }
        Book::new(env, groups.into_values().collect(), now)
    }

    /// Evaluates every history (one ticket's events each) as of `now`.
    pub fn new(env: Env<'_>, histories: Vec<Vec<Event>>, now: DateTime<Utc>) -> Book {
        Book::with_folded(env, histories, Vec::new(), now)
    }

    /// Evaluates `histories` (penalty ledgers among them) and tickets already folded
    /// over every event they have (a projection's facts: none may be newer than `now`,
    /// or the ticket is listed as a problem) as of `now`. Folded facts keep a book of
    /// 100,000 tickets small: no events are held.
    pub fn with_folded(
        env: Env<'_>,
        histories: Vec<Vec<Event>>,
        folded: Vec<Arc<Facts>>,
        now: DateTime<Utc>,
    ) -> Book {
        Book::evaluate(env, Arc::new(histories), Arc::new(folded), now)
    }

    /// The same histories as of another instant: `later` for "if nothing happens until
    /// then". Events after `now` of this book stay ignored.
    pub fn at(&self, env: Env<'_>, later: DateTime<Utc>) -> Book {
        Book::evaluate(
            env,
            Arc::clone(&self.histories),
            Arc::clone(&self.folded),
            later,
        )
    }

    fn evaluate(
        env: Env<'_>,
        histories: Arc<Vec<Vec<Event>>>,
        folded: Arc<Vec<Arc<Facts>>>,
        now: DateTime<Utc>,
    ) -> Book {
        let mut tickets = Vec::new();
        let mut problems = Vec::new();
        let mut penalties: Vec<&Event> = Vec::new();
        let mut adjustments: Vec<&Event> = Vec::new();
        for h in histories.iter() {
            let Some(first) = h.first() else { continue };
            for e in h.iter().filter(|e| e.at <= now) {
                match e.kind {
                    EventKind::Penalty => penalties.push(e),
                    EventKind::PenaltyAdjusted => adjustments.push(e),
                    _ => {}
                }
            }
            if first.ticket.starts_with(LEDGER_PREFIX) || h.iter().all(|e| e.at > now) {
                continue;
            }
            match evaluate_ticket(env.policies, env.calendars, h, now) {
                Ok(sla) => tickets.push(TicketView {
                    sla,
                    as_of: now.timestamp_micros(),
                }),
                Err(why) => problems.push((first.ticket.clone(), why)),
            }
        }
        // Tickets are never all in the future here: their facts start at detection,
        // which is no later than their last event.
        for f in folded
            .iter()
            .filter(|f| f.detected_at <= now.timestamp_micros())
        {
            match evaluate_facts(env.policies, env.calendars, Arc::clone(f), now) {
                Ok(sla) => tickets.push(TicketView {
                    sla,
                    as_of: now.timestamp_micros(),
                }),
                Err(why) => problems.push((f.ticket.to_string(), why)),
            }
        }
        tickets.sort_by(|a, b| a.id().cmp(b.id()));
        let index = tickets
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id().to_owned(), i))
            .collect();
        penalties.sort_by_key(|e| (e.at, e.recorded_at));
        adjustments.sort_by_key(|e| (e.at, e.recorded_at));
        // A store written before amounts were bounded, or a crafted evidence package,
        // may hold money events that no command or import takes now: they are
        // problems, not figures to add up.
        let penalties = keep_valid(penalties, &mut problems);
        let adjustments = keep_valid(adjustments, &mut problems);
        let mut recorded: Vec<RecordedPenalty> = penalties.into_iter().map(read_penalty).collect();
        let mut orphan_adjustments = Vec::new();
        for a in adjustments {
            let target = a.text("penalty").unwrap_or_default();
            let Some(p) = recorded.iter_mut().find(|p| p.event.id == target) else {
                orphan_adjustments.push(a.clone());
                continue;
            };
            let amount = a
                .text("amount")
                .ok_or_else(|| "no amount".to_owned())
                .and_then(|s| parse_amount(s, Some(&p.currency)));
            match amount {
                Ok(amount) if a.text("currency").is_none_or(|c| c == p.currency) => {
                    p.adjustments.push(Adjustment {
                        event_id: a.id.clone(),
                        at: a.at,
                        actor: a.actor.clone(),
                        amount,
                        reason: a.text("reason").unwrap_or_default().to_owned(),
                    })
                }
                Ok(_) => problems.push((
                    a.ticket.clone(),
                    format!(
                        "penalty_adjusted event {}: currency {:?} is not the penalty's {}",
                        a.id,
                        a.text("currency").unwrap_or_default(),
                        p.currency
                    ),
                )),
                Err(why) => problems.push((
                    a.ticket.clone(),
                    format!(
                        "penalty_adjusted event {}: field `payload.amount`: {why}",
                        a.id
                    ),
                )),
            }
        }
        Book {
            now,
            tickets,
            index,
            problems,
            recorded,
            orphan_adjustments,
            histories,
            folded,
        }
    }

    pub fn ticket(&self, id: &str) -> Option<&TicketView> {
        self.index.get(id).map(|&i| &self.tickets[i])
    }

    pub fn now_micros(&self) -> Micros {
        self.now.timestamp_micros()
    }

    /// The events of one ticket (or ledger) given as a history (not a folded one).
    pub fn history(&self, id: &str) -> Option<&[Event]> {
        self.histories
            .iter()
            .find(|h| h.first().is_some_and(|e| e.ticket == id))
            .map(Vec::as_slice)
    }
}

/// The events that pass [`Event::validate`]; the others become problems of their ticket.
fn keep_valid<'e>(events: Vec<&'e Event>, problems: &mut Vec<(String, String)>) -> Vec<&'e Event> {
    events
        .into_iter()
        .filter(|e| match e.validate() {
            Ok(()) => true,
            Err(why) => {
                problems.push((
                    e.ticket.clone(),
                    format!("{} event {}: {why}", e.kind, e.id),
                ));
                false
            }
        })
        .collect()
}

fn read_penalty(e: &Event) -> RecordedPenalty {
    let text = |k: &str| e.text(k).unwrap_or_default().to_owned();
    let tickets = e
        .payload
        .get("tickets")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    RecordedPenalty {
        event: e.clone(),
        contract: text("contract"),
        customer: text("customer"),
        term: text("term"),
        kpi: text("kpi"),
        period: text("period"),
        amount: e
            .text("amount")
            .and_then(|s| parse_decimal(s).ok())
            .unwrap_or_default(),
        currency: text("currency"),
        tickets,
        adjustments: Vec::new(),
    }
}
