//! The closed list: today's closed tickets, a search over every closed one, and
//! opening one from there.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::sla::Facts;
use crate::tui::layout::Hit;
use crate::tui::testkit::{self, now, press};
use crate::tui::update::{update, Msg, SourceMsg};

fn answer(s: &mut State, fx: &[Effect]) -> ClosedQuery {
    testkit::answer_closed(s, fx)
}

#[test]
fn closed_today_lists_what_closed_since_midnight_newest_first() {
    let mut s = testkit::state();
    let fx = press(&mut s, "H", now());
    assert_eq!(s.view, View::Closed);
    assert!(s.closed.loading);
    let q = answer(&mut s, &fx);
    assert_eq!(q.since, Some(start_of_day(now(), s.tz)));
    assert!(q.text.is_empty());
    // Four closed today, the fifth the day before.
    assert_eq!(s.closed.rows.len(), 4);
    let at: Vec<i64> = s
        .closed
        .rows
        .iter()
        .map(|e| e.facts.resolved_at.unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] >= w[1]));
    assert!(!s.closed.loading);
    // H again goes back.
    press(&mut s, "H", now());
    assert_eq!(s.view, View::Queue);
}

/// Back from a ticket opened there, the list asks again (a ticket may have closed
/// meanwhile) and keeps its cursor on the same row; H asks once, not twice.
#[test]
fn coming_back_to_the_list_asks_again_and_keeps_the_row() {
    let mut s = testkit::state();
    let fx = press(&mut s, "H", now());
    let asked = |fx: &[Effect]| {
        fx.iter()
            .filter(|e| matches!(e, Effect::LoadClosed(_)))
            .count()
    };
    assert_eq!(asked(&fx), 1);
    answer(&mut s, &fx);
    press(&mut s, "j", now());
    let fx = press(&mut s, "<enter>", now());
    assert_eq!(s.view, View::Ticket);
    assert_eq!(asked(&fx), 0);
    let fx = press(&mut s, "<esc>", now());
    assert_eq!(s.view, View::Closed);
    assert_eq!(asked(&fx), 1);
    answer(&mut s, &fx);
    assert_eq!(s.closed.row, 1);
}

#[test]
fn the_day_starts_at_local_midnight() {
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
    assert_eq!(
        start_of_day(at("2026-03-10T15:00:00Z"), tz),
        at("2026-03-09T23:00:00Z").timestamp_micros()
    );
    // Before local midnight in UTC terms, but already the next day in Berlin.
    assert_eq!(
        start_of_day(at("2026-07-01T22:30:00Z"), tz),
        at("2026-07-01T22:00:00Z").timestamp_micros()
    );
    // A zone whose day once began in a DST gap (Havana springs forward at midnight).
    let havana: chrono_tz::Tz = "America/Havana".parse().unwrap();
    let d = start_of_day(at("2026-03-08T12:00:00Z"), havana);
    assert!(d <= at("2026-03-08T12:00:00Z").timestamp_micros());
    assert!(d >= at("2026-03-08T04:00:00Z").timestamp_micros());
}

#[test]
fn a_search_runs_over_every_closed_ticket_when_submitted() {
    let mut s = testkit::state();
    let fx = press(&mut s, "H", now());
    answer(&mut s, &fx);
    let yesterday = testkit::all_facts(&testkit::closed_events(now()))
        .into_iter()
        .filter_map(|(k, f)| f.map(|f| (k, f)))
        .filter(|(_, f)| f.resolved_at.is_some_and(|t| t < start_of_day(now(), s.tz)))
        .map(|(k, _)| k)
        .next()
        .expect("one closed the day before");
    // Typing asks nothing; Enter does.
    let fx = press(&mut s, "/", now());
    assert!(fx.is_empty());
    let typed = yesterday.to_lowercase();
    let fx = press(&mut s, &typed, now());
    assert!(!fx.iter().any(|e| matches!(e, Effect::LoadClosed(_))));
    assert_eq!(
        s.closed.rows.len(),
        4,
        "the list stays until the search runs"
    );
    let fx = press(&mut s, "<enter>", now());
    let q = answer(&mut s, &fx);
    assert_eq!((q.since, q.text.as_str()), (None, typed.as_str()));
    assert_eq!(s.closed.rows.len(), 1);
    assert_eq!(s.closed.rows[0].key(), yesterday);
    // An empty search is today's list again.
    let fx = press(&mut s, "/", now());
    assert!(fx.is_empty());
    update(
        &mut s,
        Msg::Key(ratatui::crossterm::event::KeyEvent::new(
            ratatui::crossterm::event::KeyCode::Char('u'),
            ratatui::crossterm::event::KeyModifiers::CONTROL,
        )),
        now(),
    );
    let fx = press(&mut s, "<enter>", now());
    let q = answer(&mut s, &fx);
    assert!(q.since.is_some() && q.text.is_empty());
    assert_eq!(s.closed.rows.len(), 4);
}

#[test]
fn tab_in_the_queue_filter_searches_closed_tickets_for_the_same_text() {
    let mut s = testkit::state();
    let fx = press(&mut s, "/fibre<tab>", now());
    assert_eq!(s.view, View::Closed);
    assert!(
        s.board.filter().is_empty(),
        "the queue's filter is left as it was"
    );
    let q = answer(&mut s, &fx);
    assert_eq!(q.text, "fibre");
}

#[test]
fn a_closed_ticket_opens_with_its_verdicts_and_a_late_answer_is_dropped() {
    let mut s = testkit::state();
    let fx = press(&mut s, "H", now());
    // An answer to another query (asked before) changes nothing.
    update(
        &mut s,
        Msg::Source(SourceMsg::Closed {
            query: ClosedQuery::text("other"),
            reply: Ok(Vec::new()),
        }),
        now(),
    );
    assert!(s.closed.loading);
    answer(&mut s, &fx);
    press(&mut s, "j", now());
    assert_eq!(s.closed.row, 1);
    let key = s.closed.rows[1].key().to_owned();
    let fx = press(&mut s, "<enter>", now());
    assert_eq!(s.view, View::Ticket);
    assert!(fx.contains(&Effect::LoadHistory(key.clone())));
    // A click selects, a second click on it opens.
    press(&mut s, "<esc>", now());
    assert_eq!(s.view, View::Closed);
    update(&mut s, Msg::Click(Hit::Row(2)), now());
    assert_eq!(s.closed.row, 2);
    update(&mut s, Msg::Click(Hit::Row(2)), now());
    assert_eq!(s.view, View::Ticket);
}

#[test]
fn a_ticket_closing_while_the_list_is_shown_asks_again() {
    let mut s = testkit::state();
    let fx = press(&mut s, "H", now());
    answer(&mut s, &fx);
    let open = testkit::row_key(&s, 0);
    let mut evs: Vec<_> = testkit::events(now())
        .into_iter()
        .filter(|e| e.ticket == open)
        .collect();
    evs.push(testkit::ev(
        &open,
        crate::model::EventKind::Resolved,
        now(),
        "bob",
        serde_json::json!({"root_cause": "x"}),
    ));
    let facts = Facts::fold(&evs, DateTime::<Utc>::MAX_UTC)
        .ok()
        .map(Arc::new);
    let fx = update(
        &mut s,
        Msg::Source(SourceMsg::Changed {
            tickets: vec![(open, facts)],
        }),
        now() + TimeDelta::seconds(1),
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadClosed(_))));
}
