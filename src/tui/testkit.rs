//! Fixtures for the console's tests: a fixed `now`, a state loaded with generated
//! tickets plus a few hand-made ones (hostile text, wide characters), and helpers to
//! press keys.

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

use super::state::State;
use super::update::{update, Effect, Msg, SourceMsg};
use crate::model::{Event, EventKind, Payload};

/// Monday 2 March 2026, 15:00 UTC (16:00 in Berlin; 10:00 in New York).
pub fn now() -> DateTime<Utc> {
    "2026-03-02T15:00:00Z".parse().unwrap()
}

pub fn ev(
    ticket: &str,
    kind: EventKind,
    at: DateTime<Utc>,
    actor: &str,
    payload: serde_json::Value,
) -> Event {
    let payload: Payload = serde_json::from_value(payload).unwrap();
    let n = at.timestamp_micros() as u64 ^ ticket.len() as u64 ^ kind as u64;
    Event {
        id: format!("{ticket}-{}-{n:x}", kind.as_str()),
        ticket: ticket.into(),
        kind,
        at,
        recorded_at: at,
        actor: actor.into(),
        payload,
    }
}

/// Hand-made tickets: hostile title, wide and combining characters, a fresh P1.
pub fn special_events(now: DateTime<Utc>) -> Vec<Event> {
    let m = |n: i64| now - TimeDelta::minutes(n);
    vec![
        ev(
            "EVIL-1",
            EventKind::Detected,
            m(20),
            "portal",
            json!({
            "priority": "P1", "customer": "acme-telecom",
            "title": "pwned\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mred\u{1b}[0m\ttab\r\nline"}),
        ),
        ev(
            "WIDE-1",
            EventKind::Detected,
            m(50),
            "portal",
            json!({
            "priority": "P2", "customer": "hooli", "assignee": "山田",
            "title": "東京の回線で障害が発生 cafe\u{301} 가"}),
        ),
        ev("WIDE-1", EventKind::Acknowledged, m(45), "山田", json!({})),
        ev(
            "WIDE-1",
            EventKind::Escalated,
            m(30),
            "山田",
            json!({"level": 2, "to": "core-network", "note": "すぐに"}),
        ),
    ]
}

/// The fixture events: 30 generated tickets and the hand-made ones.
pub fn events(now: DateTime<Utc>) -> Vec<Event> {
    let mut all = super::fixture::events(7, now, 30);
    all.extend(special_events(now));
    all
}

pub use super::fixture::{empty_state, rows, snapshot};

/// The fixture events with their five oldest tickets resolved: four today (10 min,
/// 30 min, 1 h and 3 h before `now`), one the day before (26 h).
pub fn closed_events(now: DateTime<Utc>) -> Vec<Event> {
    let mut all = events(now);
    let mut oldest: Vec<(i64, String)> = rows(&all)
        .into_iter()
        .filter_map(|r| r.facts.map(|f| (f.detected_at, r.ticket)))
        .collect();
    oldest.sort();
    for ((_, t), ago) in oldest.iter().zip([10, 30, 60, 180, 26 * 60]) {
        let at = now - TimeDelta::minutes(ago);
        all.push(ev(
            t,
            EventKind::Resolved,
            at,
            "bob",
            json!({"root_cause": "fibre cut"}),
        ));
    }
    all.sort_by_key(|e| e.at);
    all
}

/// Answers the closed query `fx` asks for as a source would, over
/// [`closed_events`]; returns the query.
pub fn answer_closed(s: &mut State, fx: &[Effect]) -> crate::sync::closed::ClosedQuery {
    // The last asked: an earlier answer would be dropped as stale.
    let q = fx
        .iter()
        .filter_map(|e| match e {
            Effect::LoadClosed(q) => Some(q.clone()),
            _ => None,
        })
        .next_back()
        .expect("the closed tickets asked for");
    let all = all_facts(&closed_events(now()));
    let reply = Ok(crate::sync::closed::pick(&q, all));
    let msg = Msg::Source(SourceMsg::Closed {
        query: q.clone(),
        reply,
    });
    update(s, msg, now());
    q
}

/// Every ticket of `events`, open or closed, as a store's projection gives them.
pub fn all_facts(events: &[Event]) -> Vec<crate::store::TicketFacts> {
    rows(events)
        .into_iter()
        .map(|r| (r.ticket, r.facts))
        .collect()
}

/// The ticket id of row `row` of the queue as shown.
pub fn row_key(s: &State, row: usize) -> String {
    let i = s.board.visible()[row];
    s.board.entry(i).expect("a shown row").key().to_owned()
}

/// A state loaded with `events(now())`, last polled one second before `now()`.
pub fn state() -> State {
    let mut s = empty_state();
    let evs = events(now());
    update(
        &mut s,
        Msg::Source(SourceMsg::Loaded {
            tickets: snapshot(&evs),
            cursor: None,
        }),
        now() - TimeDelta::seconds(1),
    );
    s
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    let m = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent::new(KeyCode::Char(c), m))
}

/// Presses each key of `keys` (`<enter>`, `<esc>`, `<tab>`, `<down>`... or plain
/// characters) and returns every effect.
pub fn press(s: &mut State, keys: &str, now: DateTime<Utc>) -> Vec<Effect> {
    let mut fx = Vec::new();
    let mut rest = keys;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(end) = rest.find('>') {
                let name = &rest[1..end];
                let code = match name {
                    "enter" => KeyCode::Enter,
                    "esc" => KeyCode::Esc,
                    "tab" => KeyCode::Tab,
                    "backtab" => KeyCode::BackTab,
                    "down" => KeyCode::Down,
                    "up" => KeyCode::Up,
                    "left" => KeyCode::Left,
                    "right" => KeyCode::Right,
                    "bs" => KeyCode::Backspace,
                    "pgdn" => KeyCode::PageDown,
                    _ => panic!("unknown key <{name}>"),
                };
                fx.extend(update(s, key(code), now));
                rest = &rest[end + 1..];
                continue;
            }
        }
        fx.extend(update(s, ch(c), now));
        rest = &rest[c.len_utf8()..];
    }
    fx
}
