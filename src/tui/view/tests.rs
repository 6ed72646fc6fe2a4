//! Snapshots of every view and modal at each size and theme (`snapshot_matrix`) with a
//! fixed `now`, and what must hold of any screen.

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::tui::state::State;
use crate::tui::testkit::{self, now, press};
use crate::tui::theme::{Theme, ThemeName};
use crate::tui::update::{update, Msg, SourceMsg};

fn render(s: &mut State, w: u16, h: u16, now: DateTime<Utc>) -> Terminal<TestBackend> {
    update(s, Msg::Resize(w, h), now);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::new(ThemeName::Dark, false);
    t.draw(|f| crate::tui::screen::render(f, s, &theme, now))
        .unwrap();
    t
}

/// Snapshots `s` at every size and theme under `name`.
fn snap(name: &str, setup: impl Fn(&mut State)) {
    super::snapshot_matrix::every_size_and_theme(name, testkit::state, setup, now(), now());
}

/// Loads the open ticket's history as the store worker would.
fn load_history(s: &mut State) {
    let key = s.ticket.as_ref().unwrap().key.clone();
    let evs: Vec<_> = testkit::events(now())
        .into_iter()
        .filter(|e| e.ticket == key)
        .enumerate()
        .map(|(i, e)| crate::store::StoredEvent {
            seq: i as i64 + 1,
            event: e,
            prev_hash: String::new(),
            hash: String::new(),
        })
        .collect();
    update(
        s,
        Msg::Source(SourceMsg::History {
            ticket: key,
            events: evs,
        }),
        now(),
    );
}

#[test]
fn queue() {
    snap("queue", |_| {});
}

#[test]
fn queue_filtered_with_prompt_open() {
    snap("queue_filter_prompt", |s| {
        press(s, "/acme", now());
    });
}

#[test]
fn queue_quick_filters_and_grouping() {
    snap("queue_breached_grouped", |s| {
        press(s, "BC", now());
    });
}

#[test]
fn queue_sorted_by_a_column_reversed_and_grouped_by_assignee() {
    // S three times: priority, ticket, customer; R turns it round (the heading's ▼).
    snap("queue_customer_reversed", |s| {
        press(s, "SSSR", now());
    });
    snap("queue_grouped_by_assignee", |s| {
        press(s, "CCj", now());
    });
    snap("queue_grouped_by_level_unassigned", |s| {
        press(s, "CCCU", now());
    });
}

#[test]
fn closed_today_a_search_and_none_found() {
    snap("closed_today", |s| {
        let fx = press(s, "H", now());
        testkit::answer_closed(s, &fx);
        press(s, "j", now());
    });
    snap("closed_search", |s| {
        let fx = press(s, "H/initech<enter>", now());
        testkit::answer_closed(s, &fx);
    });
    snap("closed_search_prompt", |s| {
        let fx = press(s, "H", now());
        testkit::answer_closed(s, &fx);
        press(s, "/acme", now());
    });
    snap("closed_none_found", |s| {
        let fx = press(s, "H/no such thing<enter>", now());
        testkit::answer_closed(s, &fx);
    });
}

#[test]
fn queue_selection_moves() {
    snap("queue_selected_third", |s| {
        press(s, "jj", now());
    });
}

#[test]
fn queue_loading_and_empty() {
    use super::snapshot_matrix::every_size_and_theme as matrix;
    matrix("queue_loading", testkit::empty_state, |_| {}, now(), now());
    let loaded = |s: &mut State| {
        let none = Msg::Source(SourceMsg::Loaded {
            tickets: vec![],
            cursor: None,
        });
        update(s, none, now());
    };
    matrix("queue_empty", testkit::empty_state, loaded, now(), now());
}

#[test]
fn store_failing_and_slow_shows_in_the_header() {
    snap("header_store_error", |s| {
        let t = now() - TimeDelta::seconds(5);
        update(s, Msg::Source(SourceMsg::Busy), t);
        update(
            s,
            Msg::Source(SourceMsg::Failed {
                error: "database is locked".into(),
            }),
            now(),
        );
        update(s, Msg::Source(SourceMsg::Unsaved(2)), now());
    });
    snap("header_store_slow", |s| {
        update(
            s,
            Msg::Source(SourceMsg::Busy),
            now() - TimeDelta::seconds(8),
        );
    });
}

#[test]
fn escalations() {
    snap("escalations", |s| {
        press(s, "<tab>", now());
    });
}

#[test]
fn ticket() {
    snap("ticket", |s| {
        press(s, "<enter>", now());
        load_history(s);
    });
    snap("ticket_wide_text", |s| {
        press(s, "/wide<enter><enter>", now());
        load_history(s);
    });
}

#[test]
fn help() {
    snap("help", |s| {
        press(s, "?", now());
    });
}

#[test]
fn forms() {
    for (name, keys) in [
        ("form_acknowledge", "a"),
        ("form_escalate", "e"),
        ("form_client_update", "u"),
        ("form_carrier_update", "c"),
        ("form_pause", "p"),
        ("form_restored", "r"),
        ("form_resolve", "x"),
        ("form_note", "n"),
        ("form_priority", "P"),
        ("form_assign", "o"),
        ("form_escalate_filled", "enoc-lead<tab>splice crew needed"),
        ("form_escalate_invalid", "e<enter>"),
        ("form_escalate_completing", "eco"),
        ("form_escalate_new_name", "enobody-here"),
        ("form_escalate_new_name_refused", "enobody-here<enter>"),
    ] {
        snap(name, |s| {
            press(s, keys, now());
        });
    }
    // Resume: `p` on a paused ticket.
    snap("form_resume", |s| {
        press(s, "Z", now());
        press(s, "p", now());
    });
}

#[test]
fn too_small_says_how_large() {
    let mut s = testkit::state();
    let t = render(&mut s, 40, 10, now());
    insta::assert_snapshot!("too_small_40x10", t.backend());
    // Tiny and degenerate sizes never panic.
    for (w, h) in [(1, 1), (0, 0), (59, 30), (200, 11), (60, 12)] {
        render(&mut s, w, h, now());
    }
}

#[test]
fn countdowns_change_with_now_only() {
    let mut s = testkit::state();
    let a = render(&mut s, 80, 24, now());
    let b = render(&mut s, 80, 24, now() + TimeDelta::seconds(2));
    assert_ne!(a.backend().buffer(), b.backend().buffer());
    let again = render(&mut s, 80, 24, now());
    assert_eq!(a.backend().buffer(), again.backend().buffer());
}

#[test]
fn overdue_rows_are_unmistakable_without_colour() {
    let mut s = testkit::state();
    update(&mut s, Msg::Resize(80, 24), now());
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let theme = Theme::new(ThemeName::Dark, true);
    t.draw(|f| crate::tui::screen::render(f, &s, &theme, now()))
        .unwrap();
    let buf = t.backend().buffer();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            assert_eq!(
                c.fg,
                ratatui::style::Color::Reset,
                "no colour under NO_COLOR"
            );
            assert_eq!(
                c.bg,
                ratatui::style::Color::Reset,
                "no colour under NO_COLOR"
            );
        }
    }
    // The first row is breached: marked `>>`, with a negative countdown.
    let row: String = (0..80).map(|x| buf[(x, 3)].symbol().to_string()).collect();
    assert!(row.starts_with(">>"), "{row}");
    assert!(row.contains(" -"), "{row}");
}

#[test]
fn escape_sequences_in_ticket_text_never_reach_the_terminal() {
    use ratatui::backend::CrosstermBackend;
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut s = testkit::state();
    press(&mut s, "/evil<enter>", now());
    assert_eq!(s.board.visible().len(), 1);
    let theme = Theme::new(ThemeName::Dark, false);
    for (w, h) in [(80, 24), (160, 48)] {
        update(&mut s, Msg::Resize(w, h), now());
        let out = Shared::default();
        let mut t = Terminal::with_options(
            CrosstermBackend::new(out.clone()),
            ratatui::TerminalOptions {
                viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, w, h)),
            },
        )
        .unwrap();
        t.draw(|f| crate::tui::screen::render(f, &s, &theme, now()))
            .unwrap();
        // The ticket view too, with the hostile title and history.
        press(&mut s, "<enter>", now());
        load_history(&mut s);
        t.draw(|f| crate::tui::screen::render(f, &s, &theme, now()))
            .unwrap();
        press(&mut s, "<esc>", now());
        let bytes = out.0.lock().unwrap().clone();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("pwned"), "the title is shown");
        assert!(!text.contains("\u{1b}]"), "no OSC (window title) sequence");
        assert!(!text.contains("\u{1b}[2J"), "no clear-screen");
        assert!(!text.contains('\u{7}'), "no BEL");
        assert!(
            !text.contains('\t') && !text.contains('\r'),
            "no tab or carriage return"
        );
        assert!(
            !text.contains('\u{9b}') && !text.contains('\u{9d}'),
            "no C1 controls"
        );
    }
}

#[test]
fn a_restarted_worker_shows_in_the_header_and_a_restarted_snapshot_starts_afresh() {
    use crate::sync::supervise::Report;
    let mut s = testkit::empty_state();
    let rows = testkit::snapshot(&testkit::events(now()));
    let (a, _) = rows.split_at(2);
    let load = |s: &mut State, first| {
        update(
            s,
            Msg::Source(SourceMsg::LoadChunk {
                tickets: rows.clone(),
                first,
            }),
            now(),
        );
    };
    // Two chunks of a snapshot, then the worker panics and reads it again.
    update(
        &mut s,
        Msg::Source(SourceMsg::LoadChunk {
            tickets: a.to_vec(),
            first: true,
        }),
        now(),
    );
    update(
        &mut s,
        Msg::Worker(Report::Restarted {
            worker: "slawatch-store".into(),
            panic: "boom at src/sync/feed.rs:1".into(),
        }),
        now(),
    );
    load(&mut s, true);
    update(
        &mut s,
        Msg::Source(SourceMsg::Loaded {
            tickets: Vec::new(),
            cursor: None,
        }),
        now(),
    );
    let mut fresh = testkit::state();
    assert_eq!(s.board.len(), fresh.board.len(), "no ticket twice");
    let t = render(&mut s, 160, 48, now());
    let text = format!("{:?}", t.backend());
    assert!(
        text.contains("store worker restarted after a panic"),
        "{text}"
    );
    assert!(
        text.contains("the store worker panicked and was restarted: boom"),
        "{text}"
    );
    let t = render(&mut fresh, 160, 48, now());
    assert!(!format!("{:?}", t.backend()).contains("restarted"));
}

#[test]
fn every_tab_stays_on_the_header_at_80_columns_and_utc_is_said_once() {
    let mut s = testkit::state();
    press(&mut s, "<enter>", now());
    let t = render(&mut s, 80, 24, now());
    let line: String = (0..80)
        .map(|x| t.backend().buffer()[(x, 0)].symbol().to_owned())
        .collect();
    // Each tab by its name or its short name: the longest names give way first.
    let key = s.ticket.as_ref().unwrap().key.clone();
    for tab in [
        [" Queue ", " Queue "],
        [" Escalations (8 unack) ", " Esc 8 "],
        [" Compliance ", " Compl "],
        [" Nudges ", " Nudges "],
        [" Closed ", " Cl "],
        [&format!(" Ticket {key} "), &format!(" {key} ")],
        [" Help ", " ? "],
    ] {
        assert!(
            tab.iter().any(|t| line.contains(t)),
            "{tab:?} missing from {line:?}"
        );
    }
    assert!(line.contains("16:00:00 CET"), "{line:?}");
    let (full, short) = super::clocks(chrono_tz::Etc::UTC, now());
    assert_eq!(full, "Mon 15:00:00 UTC ");
    assert_eq!(short, "15:00:00 UTC ");
    let (full, _) = super::clocks(chrono_tz::Europe::Berlin, now());
    assert_eq!(full, "Mon 16:00:00 CET Europe/Berlin ");
}

#[test]
fn an_event_the_server_refused_on_replay_waits_for_a_decision() {
    snap("decide_modal", |s| {
        let key = testkit::row_key(s, 0);
        let mut e = testkit::ev(
            &key,
            crate::model::EventKind::Note,
            now() - TimeDelta::minutes(3),
            "alice",
            serde_json::json!({"text": "fibre crew on site"}),
        );
        e.id = "e-offline".into();
        let why = format!("note on {key} was recorded on a state of the ticket that has since moved on (the expected head is no longer the ticket's head); kept in the outbox (/home/alice/.local/share/slawatch/outbox-0123456789abcdef01234567.db) for you to decide");
        update(
            s,
            Msg::Source(SourceMsg::Link(crate::sync::Link {
                place: "https://noc.example as alice".into(),
                offline_since: None,
                fresh_at: Some(now().timestamp_micros()),
                queued: 0,
                undecided: 2,
            })),
            now(),
        );
        let other = crate::sync::Undecided {
            event: e.clone(),
            why: why.clone(),
        };
        update(
            s,
            Msg::Source(SourceMsg::Undecided(vec![
                crate::sync::Undecided { event: e, why },
                crate::sync::Undecided {
                    event: crate::model::Event {
                        id: "e-2".into(),
                        ..other.event.clone()
                    },
                    ..other
                },
            ])),
            now(),
        );
        press(s, "D<down>", now());
    });
}

#[test]
fn at_60_columns_ids_and_countdowns_are_whole_and_the_title_gives_way() {
    let mut s = testkit::state();
    let t = render(&mut s, 60, 15, now());
    let screen = format!("{}", t.backend());
    assert!(screen.contains("NORDLINK-1001"), "{screen}");
    assert!(screen.contains("-19:50:00"), "{screen}");
    assert!(!screen.contains("Title"), "the title went first: {screen}");
    assert!(
        screen.contains("? help") && screen.contains("q quit"),
        "{screen}"
    );
}

#[test]
fn a_form_that_came_back_says_what_changed() {
    snap("form_moved_on", |s| {
        let key = testkit::row_key(s, 0);
        let fx = press(s, "enoc-lead<tab>splice crew<enter>", now());
        let Some(crate::tui::effect::Effect::Append { event, .. }) = fx.into_iter().next() else {
            panic!("no append");
        };
        let bob = testkit::ev(
            &key,
            crate::model::EventKind::Escalated,
            now() - TimeDelta::minutes(2),
            "bob",
            serde_json::json!({"level": 3, "to": "noc-l2"}),
        );
        let after = vec![crate::store::StoredEvent {
            seq: 9,
            event: bob,
            prev_hash: String::new(),
            hash: String::new(),
        }];
        let back = SourceMsg::Moved {
            event: Box::new(event),
            after,
        };
        update(s, Msg::Source(back), now());
    });
}

/// A form opens below (or above) the queue row it is for: the agent still sees which
/// ticket, wherever it sits, at 80x24 and larger.
#[test]
fn a_form_never_covers_the_row_it_is_for() {
    for (w, h) in [(80, 24), (100, 30), (160, 48)] {
        for (down, key) in [(0, "e"), (3, "e"), (12, "p"), (17, "n")] {
            let mut s = testkit::state();
            render(&mut s, w, h, now());
            press(&mut s, &"j".repeat(down), now());
            let ticket = testkit::row_key(&s, down);
            press(&mut s, key, now());
            assert!(s.form().is_some(), "{key} opens a form");
            let t = render(&mut s, w, h, now());
            let buf = t.backend().buffer();
            let row =
                |y: u16| -> String { (0..w).map(|x| buf[(x, y)].symbol().to_owned()).collect() };
            let y = (0..h).find(|&y| row(y).contains(&format!(" {ticket} ")));
            assert!(
                y.is_some(),
                "{w}x{h}, row {down}, form `{key}`: {ticket}'s row is covered:\n{}",
                (0..h).map(row).collect::<Vec<_>>().join("\n")
            );
        }
    }
}
