//! The compliance view's update logic on the demo data set.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::*;
use crate::model::EventKind;
use crate::sla::penalty::LEDGER_PREFIX;
use crate::store::{SqliteStore, Store};
use crate::sync::local::month_input as load;
use crate::tui::testkit::{self, press};
use crate::tui::update::{update, Msg, SourceMsg};

pub const SEED: u64 = 42;

/// Tuesday 17 March 2026, 14:30 UTC: mid-month, so the figures have some history.
pub fn now() -> DateTime<Utc> {
    "2026-03-17T14:30:00Z".parse().unwrap()
}

pub fn demo() -> Vec<Event> {
    crate::demo::demo_events(SEED, now())
}

/// A state loaded with the demo's open tickets (as the store's snapshot gives them).
pub fn demo_state(events: &[Event]) -> State {
    let mut s = testkit::empty_state();
    update(
        &mut s,
        Msg::Source(SourceMsg::Loaded {
            tickets: testkit::snapshot(events),
            cursor: None,
        }),
        now(),
    );
    s
}

/// What the worker would answer for `month` (fixed costs, for stable snapshots).
pub fn reply(events: &[Event], id: u64, month: Month, at: DateTime<Utc>) -> Reply {
    let (pols, cals) = crate::config::shipped();
    let env = Env {
        policies: pols,
        calendars: cals,
    };
    let (figures, briefs, tickets) = compute(
        env,
        crate::config::shipped_contracts(),
        group(events),
        month,
        at,
    );
    Reply::Done(Box::new(Computed {
        id,
        month,
        figures: Arc::new(figures),
        briefs: Arc::new(briefs),
        load_us: 3_000,
        compute_us: 42_000,
        tickets,
    }))
}

fn requests(fx: &[Effect]) -> Vec<Request> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Compliance(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// The demo state with this month's figures in and the compliance view open.
pub fn in_view() -> (State, Vec<Event>) {
    let evs = demo();
    let mut s = demo_state(&evs);
    let fx = press(&mut s, "$", now());
    let r = requests(&fx);
    assert_eq!(r.len(), 1, "{fx:?}");
    update(
        &mut s,
        Msg::Compliance(reply(&evs, r[0].id, r[0].month, now())),
        now(),
    );
    (s, evs)
}

#[test]
fn the_key_opens_the_view_and_asks_for_this_month() {
    let evs = demo();
    let mut s = demo_state(&evs);
    let fx = press(&mut s, "$", now());
    assert_eq!(s.view, View::Compliance);
    let r = requests(&fx);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].month.to_string(), "2026-03");
    assert_eq!(r[0].now, now());
    assert!(s.compliance.computing(r[0].month));
    // While it computes nothing more is asked, however often the clock ticks.
    for i in 1..20 {
        let fx = update(&mut s, Msg::Tick, now() + chrono::TimeDelta::seconds(i));
        assert!(requests(&fx).is_empty());
    }
    update(
        &mut s,
        Msg::Compliance(reply(&evs, r[0].id, r[0].month, now())),
        now(),
    );
    assert!(!s.compliance.computing(r[0].month));
    assert!(s.compliance.shown(now(), s.tz).is_some());
    // This month's figures give the queue its marks.
    assert!(s.compliance.marked("HOOLI-7278"));
    // Tab goes round through the view too.
    press(&mut s, "<esc>", now());
    assert_eq!(s.view, View::Queue);
    press(&mut s, "<tab><tab>", now());
    assert_eq!(s.view, View::Compliance);
}

#[test]
fn months_change_with_keys_and_the_prompt_and_each_asks_again() {
    let (mut s, evs) = in_view();
    let fx = press(&mut s, "[", now());
    let r = requests(&fx);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].month.to_string(), "2026-02");
    assert_eq!(s.compliance.month_at(now(), s.tz).to_string(), "2026-02");
    // Until it answers the view says so (the month's figures are not there yet).
    assert!(s.compliance.shown(now(), s.tz).is_none());
    assert!(s.compliance.computing(r[0].month));
    update(
        &mut s,
        Msg::Compliance(reply(&evs, r[0].id, r[0].month, now())),
        now(),
    );
    assert!(s.compliance.shown(now(), s.tz).is_some());
    // Last month's answer leaves the marks (this month's) alone.
    assert!(s.compliance.marked("HOOLI-7278"));

    let fx = press(&mut s, "]]", now());
    let r = requests(&fx);
    assert_eq!(
        r.iter().map(|r| r.month.to_string()).collect::<Vec<_>>(),
        ["2026-03", "2026-04"]
    );
    let fx = press(&mut s, "t", now());
    assert_eq!(requests(&fx)[0].month.to_string(), "2026-03");
    assert_eq!(s.compliance.month, None, "this month follows the clock");

    // A typed month; a bad one is refused with the reason, the prompt stays open.
    let fx = press(&mut s, "m2026-13<enter>", now());
    assert!(requests(&fx).is_empty());
    assert!(s.month_prompt().is_some());
    assert!(s.month_prompt().unwrap().1.unwrap().contains("YYYY-MM"));
    let fx = press(&mut s, "<bs><bs>01<enter>", now());
    assert_eq!(requests(&fx)[0].month.to_string(), "2026-01");
    assert!(s.month_prompt().is_none());
    // Esc closes the prompt without changing anything.
    let fx = press(&mut s, "m2025<esc>", now());
    assert!(requests(&fx).is_empty());
    assert_eq!(s.compliance.month.unwrap().to_string(), "2026-01");
    // Letters typed in the prompt are not keys: `q` does not quit.
    press(&mut s, "mq<esc>", now());
    assert!(!s.quit);
    // An eighth character is refused with the reason, not silently dropped.
    press(&mut s, "m2026-011", now());
    let (text, error) = s.month_prompt().unwrap();
    assert_eq!(text, "2026-01");
    assert!(error.unwrap().contains("7 characters"), "{error:?}");
    press(&mut s, "<esc>", now());
}

#[test]
fn recomputes_periodically_on_changes_and_backs_off_when_slow() {
    let (mut s, evs) = in_view();
    let t = |secs: i64| now() + chrono::TimeDelta::seconds(secs);
    // Fresh: nothing for a while.
    assert!(requests(&update(&mut s, Msg::Tick, t(5))).is_empty());
    // New events: again 10 s after the last request.
    update(
        &mut s,
        Msg::Source(SourceMsg::Changed { tickets: vec![] }),
        t(6),
    );
    assert!(requests(&update(&mut s, Msg::Tick, t(9))).is_empty());
    let r = requests(&update(&mut s, Msg::Tick, t(10)));
    assert_eq!(r.len(), 1);
    update(
        &mut s,
        Msg::Compliance(reply(&evs, r[0].id, r[0].month, t(10))),
        t(11),
    );
    // Without changes, every 30 s while shown.
    assert!(requests(&update(&mut s, Msg::Tick, t(39))).is_empty());
    let r = requests(&update(&mut s, Msg::Tick, t(40)));
    assert_eq!(r.len(), 1);
    update(
        &mut s,
        Msg::Compliance(reply(&evs, r[0].id, r[0].month, t(40))),
        t(41),
    );
    // Hidden: every 60 s, for this month (the queue marks).
    press(&mut s, "<esc>", t(41));
    assert!(requests(&update(&mut s, Msg::Tick, t(99))).is_empty());
    let r = requests(&update(&mut s, Msg::Tick, t(100)));
    assert_eq!(r[0].month.to_string(), "2026-03");
    // A computation that took 2 s (with 3 ms of reading) spaces the next background
    // one by a hundred times that: at most 1% of a core while nobody looks.
    // The figures of request `r` as of `asked`, said to have taken `compute_us`,
    // arrive at `at`.
    let arrive = |s: &mut State, r: &Request, asked: i64, compute_us: u64, at: i64| {
        let Reply::Done(mut c) = reply(&evs, r.id, r.month, t(asked)) else {
            unreachable!()
        };
        c.compute_us = compute_us;
        update(s, Msg::Compliance(Reply::Done(c)), t(at));
    };
    arrive(&mut s, &r[0], 100, 1_997_000, 102);
    assert!(requests(&update(&mut s, Msg::Tick, t(299))).is_empty());
    let r = requests(&update(&mut s, Msg::Tick, t(300)));
    assert_eq!(r.len(), 1);
    // Shown, the same cost spaces them by five times that (the 30 s rule here).
    arrive(&mut s, &r[0], 300, 1_997_000, 302);
    press(&mut s, "$", t(302));
    assert!(requests(&update(&mut s, Msg::Tick, t(329))).is_empty());
    let r = requests(&update(&mut s, Msg::Tick, t(330)));
    assert_eq!(r.len(), 1);
    // And a 20 s computation by 100 s.
    arrive(&mut s, &r[0], 330, 19_997_000, 350);
    assert!(requests(&update(&mut s, Msg::Tick, t(429))).is_empty());
    assert_eq!(requests(&update(&mut s, Msg::Tick, t(430))).len(), 1);
}

#[test]
fn a_failure_is_shown_and_the_view_asks_again_later() {
    let evs = demo();
    let mut s = demo_state(&evs);
    let r = requests(&press(&mut s, "$", now()));
    update(
        &mut s,
        Msg::Compliance(Reply::Failed {
            id: r[0].id,
            month: r[0].month,
            error: "database is locked\u{1b}[2J".into(),
        }),
        now(),
    );
    assert_eq!(s.compliance.error.as_deref(), Some("database is locked"));
    assert!(s.compliance.flight.is_none());
    let r = requests(&press(&mut s, "R", now()));
    assert_eq!(r.len(), 1);
}

#[test]
fn enter_on_a_figure_lists_its_tickets_and_enter_opens_one() {
    let (mut s, evs) = in_view();
    // The first row is the first customer; its breaches column. The console keeps a
    // customer's tickets once, by priority: the list is the whole figures' all the same.
    let (pols, cals) = crate::config::shipped();
    let env = Env {
        policies: pols,
        calendars: cals,
    };
    let book = Book::new(env, group(&evs), now());
    let month = s.compliance.shown(now(), s.tz).unwrap().month;
    let whole = crate::sla::penalty::compliance::compliance(
        env,
        crate::config::shipped_contracts(),
        &book,
        month,
        None,
    );
    let first = &whole.customers[0];
    let kept = &s.compliance.shown(now(), s.tz).unwrap().figures.customers[0];
    assert_eq!(kept.customer, first.customer);
    assert!(
        kept.all.breaches.ids.is_empty() && kept.days.iter().all(|d| d.breached.ids.is_empty())
    );
    assert_eq!(kept.all.breaches.count, first.all.breaches.count);
    press(&mut s, "llllll", now());
    assert_eq!(s.compliance.col, F_BREACHES);
    press(&mut s, "<enter>", now());
    let d = s.compliance.drill.as_ref().expect("a drill list");
    let ids: Vec<&str> = d.items.iter().map(|i| i.ticket.as_str()).collect();
    assert!(ids.len() > 1);
    assert_eq!(
        ids,
        first
            .all
            .breaches
            .ids
            .iter()
            .map(|i| &**i)
            .collect::<Vec<_>>()
    );
    assert!(d.title.contains("breaches"), "{}", d.title);
    press(&mut s, "j", now());
    let want = s.compliance.drill.as_ref().unwrap().items[1].ticket.clone();
    let fx = press(&mut s, "<enter>", now());
    assert_eq!(s.view, View::Ticket);
    assert_eq!(s.ticket.as_ref().unwrap().key, want);
    assert!(fx.contains(&Effect::LoadHistory(want)));
    // Back returns to the list, then to the figures.
    press(&mut s, "<esc>", now());
    assert_eq!(s.view, View::Compliance);
    assert!(s.compliance.drill.is_some());
    press(&mut s, "<esc>", now());
    assert!(s.compliance.drill.is_none());
    assert_eq!(s.view, View::Compliance);
    // The tickets column, from every priority, in id order.
    press(&mut s, "hhhhhh", now());
    assert_eq!(s.compliance.col, F_TICKETS);
    press(&mut s, "<enter>", now());
    let d = s.compliance.drill.as_ref().expect("a drill list");
    let ids: Vec<&str> = d.items.iter().map(|i| i.ticket.as_str()).collect();
    let want: Vec<&str> = first.all.tickets.ids.iter().map(|i| &**i).collect();
    assert!(want.len() > 1);
    assert_eq!(ids, want);
}

#[test]
fn enter_on_a_ticket_at_risk_opens_it() {
    let (mut s, _) = in_view();
    let c = s.compliance.shown(now(), s.tz).unwrap().clone();
    let rows = rows(&c.figures, None);
    let i = rows
        .iter()
        .position(|r| matches!(r, Row::Risk(..)))
        .expect("a ticket at risk");
    let Row::Risk(_, risk) = rows[i] else {
        unreachable!()
    };
    let want = risk.ticket.clone();
    for _ in 0..i {
        press(&mut s, "j", now());
    }
    press(&mut s, "<enter>", now());
    assert_eq!(s.view, View::Ticket);
    assert_eq!(s.ticket.as_ref().unwrap().key, want);
}

#[test]
fn customers_cycle_and_the_rows_follow() {
    let (mut s, _) = in_view();
    let all = row_count(&s, now());
    press(&mut s, "c", now());
    assert_eq!(s.compliance.customer.as_deref(), Some("acme-telecom"));
    let one = row_count(&s, now());
    assert!(one < all && one > 1, "{one} of {all}");
    press(&mut s, "C", now());
    assert_eq!(s.compliance.customer, None);
    press(&mut s, "C", now());
    assert!(
        s.compliance.customer.is_some(),
        "wraps to the last customer"
    );
}

#[test]
fn the_worker_reads_what_a_month_needs_from_the_projection() {
    let mut evs = demo();
    // What facts cannot stand for: a ticket with an event after `now`, and a ledger.
    let open = evs
        .iter()
        .find(|e| {
            e.kind == EventKind::Detected
                && !evs
                    .iter()
                    .any(|r| r.ticket == e.ticket && r.kind == EventKind::Resolved)
        })
        .unwrap()
        .ticket
        .clone();
    let later = now() + chrono::TimeDelta::hours(2);
    evs.push(Event::new(
        &open,
        EventKind::Note,
        later,
        later,
        "alice",
        note("not yet"),
    ));
    let month = Month::current(now(), chrono_tz::UTC);
    let penalty = serde_json::json!({
        "contract": "acme-gold", "customer": "acme", "term": "availability",
        "kpi": "availability", "period": month.prev().to_string(),
        "amount": "120.00", "currency": "EUR", "tickets": [],
    });
    evs.push(Event::new(
        format!("{LEDGER_PREFIX}acme-gold"),
        EventKind::Penalty,
        now() - chrono::TimeDelta::days(3),
        now() - chrono::TimeDelta::days(3),
        "alice",
        penalty.as_object().unwrap().clone(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = SqliteStore::open(&path).unwrap();
    store.append_all(&evs).unwrap();
    let (pols, cals) = crate::config::shipped();
    let env = Env {
        policies: pols,
        calendars: cals,
    };
    let k = crate::config::shipped_contracts();
    let (histories, folded) = load(&store, month, now()).unwrap();
    let ids = |h: &[Vec<Event>]| h.iter().map(|h| h[0].ticket.clone()).collect::<Vec<_>>();
    let mut whole = ids(&histories);
    whole.sort();
    assert_eq!(whole, [open.clone(), format!("{LEDGER_PREFIX}acme-gold")]);
    assert!(folded.len() > 100, "{}", folded.len());
    let book = Book::with_folded(env, histories, folded, now());
    assert_eq!(book.recorded.len(), 1);
    let (from_store, ..) = figures_of(env, k, &book, month);
    let (from_all, ..) = compute(env, k, group(&evs), month, now());
    assert_eq!(from_store, from_all);
    // Resolved long before the month: not read at all.
    let (h, f) = load(&store, month.next().next().next(), now()).unwrap();
    assert!(f.iter().all(|f| f.resolved_at.is_none()));
    let mut h = ids(&h);
    h.sort();
    assert_eq!(h, whole);
    assert!(
        folded_resolved(&store, month) > 0,
        "the demo resolves tickets this month"
    );
    // The worker answers over its channel.
    let (tx, rx) = std::sync::mpsc::channel();
    let w = Worker::spawn(
        Setup {
            source: crate::sync::LocalSource::connector(&path),
            policies: pols.clone(),
            calendars: cals.clone(),
            contracts: k.clone(),
        },
        move |r| tx.send(r).is_ok(),
        |_| {},
    )
    .unwrap();
    w.send(Request {
        id: 7,
        month,
        now: now(),
    });
    match rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap() {
        Reply::Done(c) => {
            assert_eq!(c.id, 7);
            assert_eq!(*c.figures, from_all);
        }
        Reply::Failed { error, .. } => panic!("{error}"),
    }
}

/// How many tickets resolved in or shortly before `month` the loader hands over.
fn folded_resolved(store: &SqliteStore, month: Month) -> usize {
    let (_, folded) = load(store, month, now()).unwrap();
    folded.iter().filter(|f| f.resolved_at.is_some()).count()
}

fn note(text: &str) -> crate::model::Payload {
    serde_json::json!({ "text": text })
        .as_object()
        .unwrap()
        .clone()
}

/// The tickets at risk found by swapping every open ticket and evaluating every term
/// again (what `compliance()` did before it skipped tickets whose share cannot change).
fn at_risk_by_brute_force(
    events: &[Event],
    month: Month,
    at: DateTime<Utc>,
) -> Vec<(
    String,
    String,
    String,
    rust_decimal::Decimal,
    rust_decimal::Decimal,
)> {
    use crate::sla::penalty::engine::{contract_views, evaluate_views};
    let (pols, cals) = crate::config::shipped();
    let env = Env {
        policies: pols,
        calendars: cals,
    };
    let book = Book::new(env, group(events), at);
    let later = book.at(env, at + chrono::TimeDelta::hours(1));
    let mut out = Vec::new();
    for c in &crate::config::shipped_contracts().0 {
        let views = contract_views(c, &book, month);
        let now = evaluate_views(env, c, month, &views, book.now_micros());
        if book.now_micros() >= month.bounds(c.timezone).1 {
            continue;
        }
        for (i, v) in views.iter().enumerate() {
            if v.sla.facts.resolved_at.is_some() {
                continue;
            }
            let Some(v1) = later.ticket(v.id()) else {
                continue;
            };
            let mut swapped = views.clone();
            swapped[i] = v1;
            let w = evaluate_views(env, c, month, &swapped, book.now_micros());
            for (a, b) in now.terms.iter().zip(&w.terms) {
                if a.amount != b.amount || a.band != b.band || a.breached != b.breached {
                    out.push((
                        v.id().to_owned(),
                        c.id.clone(),
                        a.term.clone(),
                        a.amount,
                        b.amount,
                    ));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn skipping_tickets_that_cannot_change_a_term_finds_the_same_risks() {
    let base = now();
    let mut cases: Vec<(Vec<Event>, DateTime<Utc>)> = Vec::new();
    for (seed, hours) in [(1u64, 0i64), (2, -200), (3, 90), (4, -330), (5, 300)] {
        let at = base + chrono::TimeDelta::hours(hours);
        cases.push((crate::demo::demo_events(seed, at), at));
    }
    cases.push((crate::tui::fixture::events(11, base, 600), base));
    let later = base + chrono::TimeDelta::minutes(5 * 60 + 17);
    cases.push((crate::tui::fixture::events(2026, later, 1500), later));
    let morning = base - chrono::TimeDelta::hours(6);
    cases.push((crate::tui::fixture::events(7, morning, 800), morning));
    let mut found = 0;
    for (events, at) in cases {
        let month = Month::current(at, chrono_tz::UTC);
        let (pols, cals) = crate::config::shipped();
        let env = Env {
            policies: pols,
            calendars: cals,
        };
        let (c, ..) = compute(
            env,
            crate::config::shipped_contracts(),
            group(&events),
            month,
            at,
        );
        let mut fast: Vec<_> = c
            .customers
            .iter()
            .flat_map(|cc| &cc.contracts)
            .flat_map(|k| &k.at_risk)
            .map(|r| {
                (
                    r.ticket.clone(),
                    r.contract.clone(),
                    r.term.clone(),
                    r.if_restored_now,
                    r.in_1h,
                )
            })
            .collect();
        fast.sort();
        let slow = at_risk_by_brute_force(&events, month, at);
        assert_eq!(fast, slow, "at {at}");
        found += fast.len();
    }
    assert!(found > 10, "the cases have tickets at risk: {found}");
}

#[test]
fn the_figures_copy_shares_one_fresh_id_per_ticket() {
    let evs = demo();
    let Reply::Done(c) = reply(&evs, 1, Month::current(now(), chrono_tz::UTC), now()) else {
        unreachable!()
    };
    let mut original = (*c.figures).clone();
    let mut copy = own_copy(&original);
    assert_eq!(copy, original);
    let first = |c: &mut Compliance| {
        c.ticket_lists_mut()
            .find_map(|l| l.ids.first().cloned())
            .expect("some ticket")
    };
    let (old, new) = (first(&mut original), first(&mut copy));
    assert_eq!(old, new);
    assert!(!Arc::ptr_eq(&old, &new), "the copy has ids of its own");
    let same: Vec<Arc<str>> = copy
        .ticket_lists_mut()
        .flat_map(|l| {
            l.ids
                .iter()
                .filter(|i| **i == new)
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(same.len() > 1, "the ticket is in several lists");
    assert!(
        same.iter().all(|i| Arc::ptr_eq(i, &new)),
        "one id per ticket"
    );
}

#[test]
fn a_figure_counts_its_tickets_without_listing_them() {
    let evs = demo();
    let month = Month::current(now(), chrono_tz::UTC);
    let Reply::Done(c) = reply(&evs, 1, month, now()) else {
        panic!("computed");
    };
    let mut seen = 0;
    for row in rows(&c.figures, None) {
        for f in figures(row, c.figures.in_progress) {
            let listed = f.items.list();
            assert_eq!(f.items.count(), listed.len(), "{}", f.name);
            seen += listed.len();
        }
    }
    assert!(
        seen > 100,
        "the demo month has tickets behind its figures: {seen}"
    );
}

#[test]
fn a_month_that_is_over_offers_no_in_1_h_figure_to_drill_into() {
    let evs = demo();
    let this = Month::current(now(), chrono_tz::UTC);
    let names = |month: Month| -> (bool, Vec<String>) {
        let Reply::Done(c) = reply(&evs, 1, month, now()) else {
            panic!("computed");
        };
        let names = rows(&c.figures, None)
            .into_iter()
            .flat_map(|row| figures(row, c.figures.in_progress))
            .map(|f| f.name.clone())
            .collect();
        (c.figures.in_progress, names)
    };
    let (going, now_names) = names(this);
    assert!(going);
    assert!(now_names.iter().any(|n| n.starts_with("penalty in 1 h")));
    let (going, last_names) = names(this.prev());
    assert!(!going, "last month is over");
    assert!(!last_names.is_empty());
    assert!(
        !last_names.iter().any(|n| n.starts_with("penalty in 1 h")),
        "{last_names:?}"
    );
}
