//! Keys -> actions -> events, without a terminal; appends go to a real store.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::*;
use std::sync::Arc;

use crate::model::{Event, EventKind};
use crate::sla::Facts;
use crate::store::{SqliteStore, Store};
use crate::tui::board::{Board, Class};
use crate::tui::state::View;
use crate::tui::testkit::{self, now, press};

fn appended(fx: &[Effect]) -> Vec<&Event> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Append { event, .. } => Some(event),
            _ => None,
        })
        .collect()
}

fn selected_key(s: &State) -> String {
    let i = s.target().unwrap();
    s.board.entry(i).unwrap().key().to_owned()
}

/// Performs the effects as the store worker would, feeding the results back.
fn run_effects(s: &mut State, store: &mut SqliteStore, fx: Vec<Effect>, now: DateTime<Utc>) {
    for e in fx {
        match e {
            Effect::Append { event: ev, .. } => {
                store.append(&ev, crate::store::Expect::Any).unwrap();
                let ticket = ev.ticket.clone();
                update(
                    s,
                    Msg::Source(SourceMsg::Appended {
                        event: Box::new(ev),
                    }),
                    now,
                );
                let events: Vec<_> = store
                    .history(&ticket)
                    .unwrap()
                    .into_iter()
                    .map(|x| x.event)
                    .collect();
                let facts = Facts::fold(&events, DateTime::<Utc>::MAX_UTC)
                    .ok()
                    .map(Arc::new);
                update(
                    s,
                    Msg::Source(SourceMsg::Changed {
                        tickets: vec![(ticket, facts)],
                    }),
                    now,
                );
            }
            Effect::LoadHistory(t) => {
                let events = store.history(&t).unwrap();
                update(
                    s,
                    Msg::Source(SourceMsg::History { ticket: t, events }),
                    now,
                );
            }
            _ => {}
        }
    }
}

/// A state and a store holding the same fixture events.
fn with_store() -> (tempfile::TempDir, SqliteStore, State) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
    store.append_all(&testkit::events(now())).unwrap();
    let mut s = testkit::empty_state();
    let mut tickets = Vec::new();
    store
        .open_tickets_chunked(4, &mut |c| tickets.extend(c))
        .unwrap();
    update(
        &mut s,
        Msg::Source(SourceMsg::Loaded {
            tickets,
            cursor: None,
        }),
        now(),
    );
    (dir, store, s)
}

#[test]
fn escalate_with_keys_appends_one_signed_event_that_shows_at_once() {
    let (_d, mut store, mut s) = with_store();
    press(&mut s, "j", now());
    let key = selected_key(&s);
    let fx = press(&mut s, "enoc-lead<tab>dispatch a splice crew<enter>", now());
    let evs = appended(&fx);
    assert_eq!(evs.len(), 1, "{fx:?}");
    let e = evs[0].clone();
    assert_eq!(e.kind, EventKind::Escalated);
    assert_eq!(e.ticket, key);
    assert_eq!(e.actor, "alice");
    assert_eq!(e.at, now());
    assert_eq!(e.recorded_at, now());
    let was = s
        .board
        .entry(s.board.find(&key).unwrap())
        .unwrap()
        .facts
        .escalation
        .as_ref()
        .map_or(0, |x| x.level);
    assert_eq!(
        e.payload["level"],
        json!(was + 1),
        "default level: the next one"
    );
    assert_eq!(e.payload["to"], json!("noc-lead"));
    assert_eq!(e.payload["note"], json!("dispatch a splice crew"));
    assert!(s.form().is_none());
    run_effects(&mut s, &mut store, fx, now());
    let entry = s.board.entry(s.board.find(&key).unwrap()).unwrap();
    let x = entry.facts.escalation.as_ref().unwrap();
    assert_eq!(
        (x.level, &*x.to, x.acknowledged),
        (was + 1, "noc-lead", false)
    );
    let stored = store.history(&key).unwrap();
    assert_eq!(stored.last().unwrap().event, e);
    assert!(s
        .flash
        .as_ref()
        .unwrap()
        .text
        .contains("recorded escalated"));
}

#[test]
fn client_update_picks_channel_and_restarts_the_update_clock() {
    let (_d, mut store, mut s) = with_store();
    let key = selected_key(&s);
    let fx = press(
        &mut s,
        "u<backtab><right>Back online, monitoring<enter>",
        now(),
    );
    assert_eq!(
        appended(&fx).len(),
        0,
        "focus moved to the channel: typed into nothing"
    );
    // Proper way: the message field is focused first; tab to the channel to change it.
    press(&mut s, "<esc>", now());
    let fx = press(
        &mut s,
        "uBack online, monitoring<backtab><right><enter>",
        now(),
    );
    let e = appended(&fx)[0].clone();
    assert_eq!(e.kind, EventKind::ClientUpdate);
    assert_eq!(e.payload["channel"], json!("phone"));
    assert_eq!(e.payload["message"], json!("Back online, monitoring"));
    run_effects(&mut s, &mut store, fx, now());
    let entry = s.board.entry(s.board.find(&key).unwrap()).unwrap();
    assert_eq!(
        entry.facts.client_updates.last(),
        Some(&now().timestamp_micros())
    );
}

#[test]
fn every_recording_key_opens_its_form_and_records_its_kind() {
    for (keys, kind) in [
        ("a<enter>", EventKind::Acknowledged),
        ("cCarrier ticket opened<enter>", EventKind::CarrierUpdate),
        ("r<enter>", EventKind::Restored),
        ("xFibre cut by roadworks<enter>", EventKind::Resolved),
        ("nCalled the site<enter>", EventKind::Note),
        ("o<enter>", EventKind::Assigned),
    ] {
        let mut s = testkit::state();
        let key = selected_key(&s);
        let fx = press(&mut s, keys, now());
        let evs = appended(&fx);
        assert_eq!(evs.len(), 1, "{keys}: {fx:?} {:?}", s.form());
        assert_eq!(evs[0].kind, kind, "{keys}");
        assert_eq!(evs[0].ticket, key);
        assert_eq!(evs[0].actor, "alice");
        evs[0].validate().unwrap();
    }
    let mut s = testkit::state();
    let fx = press(&mut s, "o<enter>", now());
    assert_eq!(
        appended(&fx)[0].payload["to"],
        json!("alice"),
        "assign defaults to me"
    );
    let fx = press(&mut s, "r<tab><right><tab><right><enter>", now());
    let e = appended(&fx)[0].clone();
    assert_eq!(e.payload["verification"], json!("remote test"));
    assert_eq!(e.payload["client_confirmed"], json!(true));
}

#[test]
fn pause_offers_the_policy_reasons_and_resume_when_paused() {
    let mut s = testkit::state();
    let fx = press(&mut s, "p<backtab><right><enter>", now());
    let e = appended(&fx)[0].clone();
    assert_eq!(e.kind, EventKind::Paused);
    assert_eq!(
        e.payload["reason"],
        json!("maintenance"),
        "customer, maintenance, vendor"
    );
    // A paused ticket: `p` resumes.
    press(&mut s, "Z", now());
    let t = s.target().unwrap();
    assert!(s.board.entry(t).unwrap().facts.current_pause().is_some());
    let fx = press(&mut s, "p<enter>", now());
    assert_eq!(appended(&fx)[0].kind, EventKind::Resumed);
}

#[test]
fn priority_change_refuses_the_current_priority() {
    let mut s = testkit::state();
    let fx = press(&mut s, "P<enter>", now());
    assert!(appended(&fx).is_empty());
    assert!(s
        .form()
        .unwrap()
        .error
        .as_ref()
        .unwrap()
        .contains("already"));
    let fx = press(&mut s, "<right><enter>", now());
    let e = appended(&fx)[0].clone();
    assert_eq!(e.kind, EventKind::PriorityChanged);
    assert_ne!(e.payload["priority"], json!(null));
}

#[test]
fn required_fields_and_cancel_record_nothing() {
    let mut s = testkit::state();
    let fx = press(&mut s, "e<enter>", now());
    assert!(appended(&fx).is_empty());
    let f = s.form().unwrap();
    assert_eq!(f.error.as_deref(), Some("To is required"));
    assert_eq!(f.fields[f.focus].name, "to");
    let fx = press(&mut s, "<esc>", now());
    assert!(fx.is_empty());
    assert!(s.form().is_none());
    // Keys typed into a form are text, not commands.
    let fx = press(&mut s, "nq?/x<enter>", now());
    let e = appended(&fx)[0].clone();
    assert_eq!(e.payload["text"], json!("q?/x"));
    assert!(!s.quit);
}

#[test]
fn typed_text_is_sanitised() {
    let mut s = testkit::state();
    let fx = update(
        &mut s,
        Msg::Key(ratatui::crossterm::event::KeyEvent::new(
            ratatui::crossterm::event::KeyCode::Char('n'),
            ratatui::crossterm::event::KeyModifiers::NONE,
        )),
        now(),
    );
    assert!(fx.is_empty());
    update(
        &mut s,
        Msg::Paste("evil\u{1b}]0;x\u{7}\u{1b}[2J text".into()),
        now(),
    );
    let fx = press(&mut s, "<enter>", now());
    assert_eq!(appended(&fx)[0].payload["text"], json!("evil text"));
}

#[test]
fn filter_prompt_filters_live_and_escape_clears() {
    let mut s = testkit::state();
    let all = s.board.visible().len();
    press(&mut s, "/hooli", now());
    let n = s.board.visible().len();
    assert!(n > 0 && n < all);
    for &i in s.board.visible() {
        let f = &s.board.entry(i).unwrap().facts;
        assert!(
            format!("{} {} {} {:?}", f.ticket, f.customer, f.title, f.assignee)
                .to_lowercase()
                .contains("hooli")
        );
    }
    press(&mut s, "<enter>", now());
    assert!(s.filter_prompt().is_none());
    assert_eq!(s.board.visible().len(), n, "enter keeps the filter");
    press(&mut s, "/<esc>", now());
    assert_eq!(s.board.visible().len(), all);
    // Case-insensitive, over assignee too; wide text matches.
    press(&mut s, "/山田<enter>", now());
    assert_eq!(s.board.visible().len(), 1);
    press(&mut s, "<esc>", now());
    assert_eq!(
        s.board.visible().len(),
        all,
        "esc in the queue clears the filter"
    );
}

#[test]
fn quick_filters_combine() {
    let mut s = testkit::state();
    let all = s.board.visible().len();
    press(&mut s, "B", now());
    let breached = s.board.visible().len();
    assert_eq!(breached, s.board.counts().breached);
    press(&mut s, "W", now());
    assert_eq!(s.board.visible().len(), breached + s.board.counts().at_risk);
    press(&mut s, "0Z", now());
    assert_eq!(s.board.visible().len(), s.board.counts().paused);
    press(&mut s, "01", now());
    assert!(s
        .board
        .visible()
        .iter()
        .all(|&i| s.board.entry(i).unwrap().facts.priority.level() == 1));
    press(&mut s, "0m", now());
    assert!(s
        .board
        .visible()
        .iter()
        .all(|&i| s.board.entry(i).unwrap().facts.assignee.as_deref() == Some("alice")));
    press(&mut s, "0", now());
    assert_eq!(s.board.visible().len(), all);
}

#[test]
fn views_cycle_and_open_loads_the_history() {
    let mut s = testkit::state();
    assert_eq!(s.view, View::Queue);
    press(&mut s, "<tab>", now());
    assert_eq!(s.view, View::Escalations);
    press(&mut s, "<tab>", now());
    assert_eq!(s.view, View::Compliance);
    press(&mut s, "<tab>", now());
    assert_eq!(s.view, View::Nudges);
    let fx = press(&mut s, "<tab>", now());
    assert_eq!(s.view, View::Closed);
    assert!(
        matches!(&fx[..], [Effect::LoadClosed(q)] if q.text.is_empty()),
        "the closed list is asked for when shown: {fx:?}"
    );
    press(&mut s, "<tab>", now());
    assert_eq!(s.view, View::Queue, "no ticket open yet");
    let key = selected_key(&s);
    let fx = press(&mut s, "<enter>", now());
    assert_eq!(fx, vec![Effect::LoadHistory(key.clone())]);
    assert_eq!(s.view, View::Ticket);
    assert_eq!(
        selected_key(&s),
        key,
        "recording keys act on the open ticket"
    );
    press(&mut s, "?", now());
    assert_eq!(s.view, View::Help);
    press(&mut s, "<esc>", now());
    assert_eq!(s.view, View::Ticket);
    press(&mut s, "<esc>", now());
    assert_eq!(s.view, View::Queue);
    let fx = press(&mut s, "q", now());
    assert_eq!(fx, vec![Effect::Quit]);
    assert!(s.quit);
}

#[test]
fn selection_follows_its_ticket_when_the_order_changes_if_set_to() {
    let (_d, mut store, mut s) = with_store();
    s.queue.follow = true;
    press(&mut s, "jjjj", now());
    let key = selected_key(&s);
    // Resolve the first row's ticket: everything moves up one.
    resolve_first_row(&mut store, &mut s);
    assert_eq!(selected_key(&s), key);
}

/// Resolves the ticket of the queue's first row, as another console would, and feeds
/// the change back: it leaves the queue and every row below moves up one.
fn resolve_first_row(store: &mut SqliteStore, s: &mut State) {
    let first = testkit::row_key(s, 0);
    let ev = testkit::ev(
        &first,
        EventKind::Resolved,
        now(),
        "bob",
        json!({"root_cause": "x"}),
    );
    store.append(&ev, crate::store::Expect::Any).unwrap();
    let events: Vec<_> = store
        .history(&first)
        .unwrap()
        .into_iter()
        .map(|x| x.event)
        .collect();
    update(
        s,
        Msg::Source(SourceMsg::Changed {
            tickets: vec![(
                first.clone(),
                Facts::fold(&events, DateTime::<Utc>::MAX_UTC)
                    .ok()
                    .map(Arc::new),
            )],
        }),
        now(),
    );
    assert!(
        s.board.find(&first).is_none(),
        "resolved tickets leave the queue"
    );
}

#[test]
fn selection_keeps_its_row_when_the_order_changes() {
    let (_d, mut store, mut s) = with_store();
    press(&mut s, "jjjj", now());
    let next = testkit::row_key(&s, 5);
    // Resolve the first row's ticket: everything moves up one.
    resolve_first_row(&mut store, &mut s);
    assert_eq!(s.queue.cursor(&s.board, s.board.visible()), 4);
    assert_eq!(
        selected_key(&s),
        next,
        "the next ticket moved under the cursor"
    );
}

#[test]
fn tick_reevaluates_only_at_state_changes_and_rings_on_breach() {
    let mut s = testkit::state();
    s.bell = true;
    let next = s.board.next_change().unwrap();
    let before = s.board.version;
    // Nothing changes before the next instant.
    let t = DateTime::from_timestamp_micros(next - 1).unwrap();
    // (The compliance figures are asked for on the first tick after loading.)
    assert!(update(&mut s, Msg::Tick, t)
        .iter()
        .all(|e| matches!(e, Effect::Compliance(_))));
    assert_eq!(s.board.version, before);
    // Walk forward a minute at a time for a day: breaches ring once each.
    let breached0 = s.board.counts().breached;
    let mut rings = 0;
    let mut t = now();
    for _ in 0..(24 * 60) {
        t += TimeDelta::minutes(1);
        rings += update(&mut s, Msg::Tick, t)
            .iter()
            .filter(|e| **e == Effect::Bell)
            .count();
    }
    assert!(s.board.counts().breached > breached0);
    assert!(rings > 0);
    // After a day of ticks, the board equals one evaluated from scratch at that time.
    let mut fresh = testkit::empty_state();
    update(
        &mut fresh,
        Msg::Source(SourceMsg::Loaded {
            tickets: testkit::snapshot(&testkit::events(now())),
            cursor: None,
        }),
        t,
    );
    assert_eq!(s.board.counts(), fresh.board.counts());
    assert_eq!(keys(&s.board), keys(&fresh.board));
}

fn keys(b: &Board) -> Vec<(String, Class)> {
    b.visible()
        .iter()
        .map(|&i| {
            let e = b.entry(i).unwrap();
            (e.key().to_owned(), e.sum.class)
        })
        .collect()
}

#[test]
fn incremental_order_equals_a_full_sort() {
    let mut s = testkit::state();
    let evs = testkit::events(now());
    let rows = testkit::rows(&evs);
    // Re-ingest tickets one at a time with an extra event each, in several sort modes.
    let later = now() + TimeDelta::minutes(3);
    for (n, r) in rows.iter().enumerate() {
        let mut mine: Vec<_> = evs
            .iter()
            .filter(|e| e.ticket == r.ticket)
            .cloned()
            .collect();
        let kind = [
            EventKind::Acknowledged,
            EventKind::ClientUpdate,
            EventKind::Note,
        ][n % 3];
        mine.push(testkit::ev(
            &r.ticket,
            kind,
            later,
            "bob",
            json!({"text": "t", "message": "m"}),
        ));
        let facts = Facts::fold(&mine, DateTime::<Utc>::MAX_UTC)
            .ok()
            .map(Arc::new);
        update(
            &mut s,
            Msg::Source(SourceMsg::Changed {
                tickets: vec![(r.ticket.clone(), facts)],
            }),
            later,
        );
        if n == 10 {
            press(&mut s, "S", later);
        }
        if n == 20 {
            press(&mut s, "C", later);
        }
    }
    let incremental = s.board.visible().to_vec();
    let (m, g) = (s.board.sort(), s.board.grouping());
    s.board.set_sort(m, g);
    assert_eq!(s.board.visible(), incremental.as_slice());
}

#[test]
fn typing_a_filter_narrows_to_what_a_fresh_filter_shows() {
    let mut s = testkit::state();
    press(&mut s, "/ac", now());
    press(&mut s, "me<enter>", now());
    let typed = s.board.visible().to_vec();
    let mut fresh = testkit::state();
    let f = crate::tui::board::Filter {
        text: "acme".into(),
        ..Default::default()
    };
    fresh.board.set_filter(f);
    assert_eq!(typed, fresh.board.visible());
    assert!(!typed.is_empty());
    // Backspace widens again.
    press(&mut s, "/<bs><bs>", now());
    let mut wide = testkit::state();
    wide.board.set_filter(crate::tui::board::Filter {
        text: "ac".into(),
        ..Default::default()
    });
    assert_eq!(s.board.visible(), wide.board.visible());
}

#[test]
fn timeline_scrolls_and_follows_the_newest() {
    let (_d, mut store, mut s) = with_store();
    update(&mut s, Msg::Resize(80, 14), now());
    let fx = press(&mut s, "<enter>", now());
    run_effects(&mut s, &mut store, fx, now());
    // Add notes until the timeline is longer than the screen.
    for n in 0..6 {
        let fx = press(&mut s, &format!("nnote {n}<enter>"), now());
        run_effects(&mut s, &mut store, fx, now());
    }
    let len = s.ticket.as_ref().unwrap().timeline.as_ref().unwrap().len();
    assert!(len > crate::tui::view::timeline_height(14));
    assert_eq!(
        s.ticket.as_ref().unwrap().scroll,
        None,
        "follows the newest"
    );
    press(&mut s, "k", now());
    assert!(s.ticket.as_ref().unwrap().scroll.is_some());
    press(&mut s, "g", now());
    assert_eq!(s.ticket.as_ref().unwrap().scroll, Some(0));
    press(&mut s, "G", now());
    assert_eq!(s.ticket.as_ref().unwrap().scroll, None);
}

#[test]
fn the_queue_scrolls_only_when_the_cursor_leaves_the_screen() {
    let mut s = testkit::state();
    update(&mut s, Msg::Resize(80, 14), now());
    let h = crate::tui::view::list_height(14);
    press(&mut s, &"j".repeat(h + 2), now());
    assert_eq!(s.queue.offset, 3, "scrolled by three");
    press(&mut s, "k", now());
    assert_eq!(
        s.queue.offset, 3,
        "moving up inside the screen does not scroll"
    );
    press(&mut s, &"k".repeat(h), now());
    assert_eq!(s.queue.offset, 1, "the cursor (row 1) at the top edge");
    press(&mut s, "k", now());
    assert_eq!(s.queue.offset, 0);
}

/// An empty board, and one open demo ticket's id and facts to vary.
fn board_and_open_facts() -> (Board, String, Arc<Facts>) {
    let (pols, cals) = crate::config::shipped();
    let board = Board::new(pols.clone(), cals, "alice");
    let rows = testkit::rows(&crate::demo::demo_events(7, now()));
    let row = rows
        .into_iter()
        .find(|r| r.open && r.facts.is_some())
        .unwrap();
    (board, row.ticket, row.facts.unwrap())
}

#[test]
fn the_board_shares_clean_facts_and_copies_only_hostile_ones() {
    let (mut board, clean, facts) = board_and_open_facts();
    let now = now();
    let mut hostile = (*facts).clone();
    hostile.ticket = "EVIL-1".into();
    hostile.title = "\x1b]0;pwned\x07 fibre cut".into();
    let hostile = Arc::new(hostile);
    board.load(
        [
            (clean.clone(), Some(Arc::clone(&facts))),
            ("EVIL-1".to_owned(), Some(Arc::clone(&hostile))),
        ],
        now,
    );
    let shared = board.entry(board.find(&clean).unwrap()).unwrap();
    assert!(
        Arc::ptr_eq(&shared.facts, &facts),
        "clean facts are not copied"
    );
    let evil = board.entry(board.find("EVIL-1").unwrap()).unwrap();
    assert!(!Arc::ptr_eq(&evil.facts, &hostile));
    assert!(!evil.facts.title.contains('\x1b'), "{:?}", evil.facts.title);
    assert!(evil.facts.title.ends_with(" fibre cut"));
    // What others hold stays as stored.
    assert!(hostile.title.starts_with('\x1b'));
}

#[test]
fn a_ticket_whose_id_needed_sanitising_is_still_found_updated_and_removed_by_its_id() {
    let (mut board, _, open) = board_and_open_facts();
    let now = now();
    let raw = "EVIL-\x1b[2J1";
    let mut f = (*open).clone();
    f.ticket = raw.into();
    board.load([(raw.to_owned(), Some(Arc::new(f.clone())))], now);
    let i = board.find(raw).expect("found by the id as stored");
    let e = board.entry(i).unwrap();
    assert_eq!(e.key(), raw);
    assert!(!e.facts.ticket.contains('\x1b'), "{:?}", e.facts.ticket);

    f.title = "now retitled".into();
    board.upsert(raw, Some(Arc::new(f)), now);
    assert_eq!(board.len(), 1);
    assert_eq!(board.find(raw), Some(i), "updated in place");
    assert_eq!(&*board.entry(i).unwrap().facts.title, "now retitled");
    board.upsert(raw, None, now);
    assert_eq!(
        (board.len(), board.find(raw), board.visible().len()),
        (0, None, 0)
    );
}

#[test]
fn the_text_filter_ignores_case_and_never_spans_two_fields() {
    let (mut board, _, base) = board_and_open_facts();
    let base = (*base).clone();
    let now = now();
    let ticket = |id: &str, customer: &str, title: &str, assignee: Option<&str>| {
        let mut f = base.clone();
        f.ticket = id.into();
        f.customer = customer.into();
        f.title = title.into();
        f.assignee = assignee.map(Into::into);
        (id.to_owned(), Some(Arc::new(f)))
    };
    board.load(
        [
            ticket("T-1", "Acme", "Fibre CUT at POP", None),
            ticket("T-2", "École Polytechnique", "Slow DNS", Some("Zoë")),
            ticket("T-3", "Initech", "acme router", Some("bob")),
            ticket("T-4", "Hooli", "Link down", Some("ACMEbot")),
            // The Kelvin sign lower-cases to an ASCII k.
            ticket("T-5", "Vandelay", "\u{212A}iln room 7 offline", None),
        ],
        now,
    );
    let shown = |board: &mut Board, text: &str| {
        board.set_filter(crate::tui::board::Filter {
            text: text.to_lowercase(),
            ..Default::default()
        });
        let mut ids: Vec<String> = board
            .visible()
            .iter()
            .map(|&i| board.entry(i).unwrap().key().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        shown(&mut board, "ACME"),
        ["T-1", "T-3", "T-4"],
        "customer, title, assignee"
    );
    assert_eq!(shown(&mut board, "cut at p"), ["T-1"]);
    assert_eq!(shown(&mut board, "t-2"), ["T-2"], "the id");
    assert_eq!(shown(&mut board, "ÉCOLE"), ["T-2"], "beyond ASCII");
    assert_eq!(shown(&mut board, "zoË"), ["T-2"]);
    assert_eq!(shown(&mut board, "kiln"), ["T-5"]);
    assert_eq!(shown(&mut board, "m 7"), ["T-5"]);
    assert!(shown(&mut board, "room 6").is_empty());
    assert!(
        shown(&mut board, "acmefibre").is_empty(),
        "customer then title"
    );
    assert!(shown(&mut board, "1acme").is_empty(), "id then customer");
    assert_eq!(shown(&mut board, "").len(), 5);
}

#[test]
fn a_snapshot_evaluated_off_the_ui_task_loads_the_same_board() {
    let tickets = testkit::snapshot(&testkit::events(now()));
    let loaded = |s: &mut State| {
        let last = SourceMsg::Loaded {
            tickets: Vec::new(),
            cursor: None,
        };
        update(s, Msg::Source(last), now());
    };
    let mut a = testkit::empty_state();
    update(
        &mut a,
        Msg::Source(SourceMsg::LoadChunk {
            tickets: tickets.clone(),
            first: true,
        }),
        now(),
    );
    loaded(&mut a);
    let mut b = testkit::empty_state();
    let (one, two) = tickets.split_at(3);
    for (part, first) in [(one, true), (two, false)] {
        let parts = b.board.evaluator().evaluate(part, now(), true);
        update(&mut b, Msg::Evaluated { parts, first }, now());
    }
    loaded(&mut b);
    assert!(b.source.loaded);
    assert_eq!(keys(&a.board), keys(&b.board));
    assert_eq!(a.board.counts().open, b.board.counts().open);
}

#[test]
fn back_retraces_the_way_in_and_a_tab_starts_afresh() {
    let mut s = testkit::state();
    press(&mut s, "<tab>", now());
    assert_eq!(s.view, View::Escalations);
    press(&mut s, "<enter>", now());
    assert_eq!(s.view, View::Ticket);
    press(&mut s, "$", now());
    assert_eq!(s.view, View::Compliance);
    press(&mut s, "?", now());
    assert_eq!(s.view, View::Help);
    for want in [
        View::Compliance,
        View::Ticket,
        View::Escalations,
        View::Queue,
        View::Queue,
    ] {
        press(&mut s, "<esc>", now());
        assert_eq!(s.view, want);
    }
    // A tab forgets the way: back from there is the queue.
    press(&mut s, "<tab><enter><tab>", now());
    press(&mut s, "<esc>", now());
    assert_eq!(s.view, View::Queue);
}

#[test]
fn a_key_that_does_nothing_says_so_and_ctrl_u_clears_the_filter_prompt() {
    let mut s = testkit::state();
    let fx = press(&mut s, "y", now());
    assert!(fx.is_empty());
    assert_eq!(
        s.flash.as_ref().map(|f| f.text.as_str()),
        Some("y does nothing in the Queue view (? lists the keys)")
    );
    press(&mut s, "/acme", now());
    assert_eq!(s.board.filter().text, "acme");
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
        now(),
    );
    assert_eq!(s.board.filter().text, "");
    assert!(matches!(&s.overlay, Some(Overlay::Filter(p)) if p.is_empty()));
}

#[test]
fn a_closed_ticket_shows_everything_and_takes_notes_only() {
    let (_d, mut store, mut s) = with_store();
    let key = testkit::row_key(&s, 0);
    let resolved = testkit::ev(
        &key,
        EventKind::Resolved,
        now(),
        "bob",
        json!({"root_cause": "fibre cut"}),
    );
    store.append(&resolved, crate::store::Expect::Any).unwrap();
    update(
        &mut s,
        Msg::Source(SourceMsg::Changed {
            tickets: vec![(
                key.clone(),
                Facts::fold(
                    &store
                        .history(&key)
                        .unwrap()
                        .into_iter()
                        .map(|x| x.event)
                        .collect::<Vec<_>>(),
                    DateTime::<Utc>::MAX_UTC,
                )
                .ok()
                .map(Arc::new),
            )],
        }),
        now(),
    );
    assert!(
        s.board.find(&key).is_none(),
        "closed tickets leave the board"
    );
    // Opened from elsewhere (a compliance drill-down): its history comes back.
    let mut fx = Vec::new();
    s.open_ticket(&key, &mut fx);
    assert_eq!(fx, vec![Effect::LoadHistory(key.clone())]);
    let events = store.history(&key).unwrap();
    update(
        &mut s,
        Msg::Source(SourceMsg::History {
            ticket: key.clone(),
            events,
        }),
        now(),
    );
    let e = s.ticket_entry().expect("the closed ticket's entry");
    assert_eq!(&*e.facts.ticket, key.as_str());
    assert!(!s.board.clocks(e, now()).is_empty(), "final verdicts shown");
    update(&mut s, Msg::Resize(100, 30), now());
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    let theme = crate::tui::theme::Theme::new(crate::tui::theme::ThemeName::Dark, false);
    t.draw(|f| crate::tui::screen::render(f, &s, &theme, now()))
        .unwrap();
    let screen = format!("{}", t.backend());
    assert!(!screen.contains("no longer open"), "{screen}");
    assert!(screen.contains("state resolved"), "{screen}");
    let tab = screen.lines().next().unwrap();
    assert!(tab.contains(&format!(" {key} ")), "its tab names it: {tab}");
    assert!(
        screen.contains("fibre cut"),
        "the timeline is there: {screen}"
    );
    // Only a note can be added.
    press(&mut s, "a", now());
    assert!(s.form().is_none());
    assert!(s.flash.as_ref().unwrap().text.contains("only a note"));
    press(&mut s, "n", now());
    assert_eq!(s.form().map(|f| f.ticket.as_str()), Some(key.as_str()));
}
