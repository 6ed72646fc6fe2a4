//! The queue's orders, groups and quick filters, and the mouse on them.

use strum::VariantArray;

use crate::tui::board::{Class, Entry, GroupBy, Sort, SortMode};
use crate::tui::layout::Hit;
use crate::tui::state::{State, View};
use crate::tui::testkit::{self, now, press};
use crate::tui::update::{update, Msg};

fn entries(s: &State) -> Vec<&Entry> {
    s.board
        .visible()
        .iter()
        .map(|&i| s.board.entry(i).unwrap())
        .collect()
}

/// The value each sort orders by, worked out here apart from the board's comparison,
/// as a string whose order is the natural one.
fn primary(mode: SortMode, e: &Entry) -> String {
    let f = &e.facts;
    let rank = |n: i64| format!("{:020}", n + 1_000_000_000_000_000);
    match mode {
        SortMode::Urgency => format!(
            "{:?}{}",
            e.sum.class as u8,
            rank(e.sum.due.unwrap_or(i64::MAX / 2) / 1000)
        ),
        SortMode::Priority => rank(i64::from(f.priority.level())),
        SortMode::Id => f.ticket.to_lowercase(),
        SortMode::Customer => f.customer.to_lowercase(),
        SortMode::Title => f.title.to_lowercase(),
        SortMode::State => {
            let r = match crate::tui::fmt::ticket_state(e).as_str() {
                "new" => 0,
                "ack'd" => 1,
                "restored" => 2,
                s if s.starts_with("paused") => 3,
                _ => 4,
            };
            rank(r)
        }
        SortMode::Assignee => match &f.assignee {
            Some(a) => format!("0{}", a.to_lowercase()),
            None => "1".into(),
        },
        SortMode::Level => rank(-f.escalation.as_ref().map_or(-1, |x| i64::from(x.level))),
        SortMode::Metric => match e.sum.metric {
            Some(m) => format!("0{}", m as u8),
            None => "1".into(),
        },
        SortMode::Used if e.sum.metric.is_some() && e.sum.target > 0 => {
            rank(-(e.sum.elapsed as i128 * 1_000_000 / e.sum.target as i128) as i64)
        }
        SortMode::Used => rank(1),
        SortMode::Age => rank(f.detected_at / 1000),
        SortMode::Activity => rank(-f.last_event_at / 1000),
    }
}

#[test]
fn every_sort_orders_by_its_column_and_reverses() {
    let mut s = testkit::state();
    let n = s.board.visible().len();
    assert!(n > 20);
    for &mode in SortMode::VARIANTS {
        for reverse in [false, true] {
            s.board.set_sort(Sort { mode, reverse }, GroupBy::None);
            let keys: Vec<String> = entries(&s).iter().map(|e| primary(mode, e)).collect();
            let mut want = keys.clone();
            want.sort();
            if reverse {
                want.reverse();
            }
            assert_eq!(keys, want, "{mode:?}, reversed: {reverse}");
            assert_eq!(s.board.visible().len(), n);
        }
    }
    // Distinct values, so that reversing shows: the reversed order is not the same.
    s.board.set_sort(
        Sort {
            mode: SortMode::Id,
            reverse: false,
        },
        GroupBy::None,
    );
    let up = testkit::row_key(&s, 0);
    s.board.set_sort(
        Sort {
            mode: SortMode::Id,
            reverse: true,
        },
        GroupBy::None,
    );
    assert_ne!(testkit::row_key(&s, 0), up);
}

#[test]
fn keys_cycle_the_sort_reverse_it_and_cycle_the_grouping() {
    let mut s = testkit::state();
    press(&mut s, "S", now());
    assert_eq!(
        s.board.sort(),
        Sort {
            mode: SortMode::Priority,
            reverse: false
        }
    );
    press(&mut s, "R", now());
    assert_eq!(
        s.board.sort(),
        Sort {
            mode: SortMode::Priority,
            reverse: true
        }
    );
    assert_eq!(s.board.sort().arrow(), "▼");
    for want in [
        GroupBy::Customer,
        GroupBy::Assignee,
        GroupBy::Level,
        GroupBy::None,
    ] {
        press(&mut s, "C", now());
        assert_eq!(s.board.grouping(), want);
    }
    // The old name of `group` in a user's keymap still binds it.
    assert_eq!(
        crate::tui::action::Action::parse("group_by_customer"),
        Some(crate::tui::action::Action::Group)
    );
}

#[test]
fn groups_keep_together_under_headers_that_count_them() {
    for by in [GroupBy::Customer, GroupBy::Assignee, GroupBy::Level] {
        let mut s = testkit::state();
        s.board.set_sort(Sort::default(), by);
        s.refresh();
        let es = entries(&s);
        let names: Vec<_> = es.iter().map(|e| by.name(e)).collect();
        let mut seen = Vec::new();
        for (r, name) in names.iter().enumerate() {
            if r == 0 || names[r - 1] != *name {
                assert!(!seen.contains(name), "{by:?}: {name:?} comes twice");
                seen.push(*name);
                let run = s.groups.run_of(r).unwrap();
                assert_eq!(run.first, r);
                assert_eq!(run.len, names.iter().filter(|n| *n == name).count());
                let breached = es
                    .iter()
                    .filter(|e| by.name(e) == *name && e.sum.class == Class::Breached)
                    .count();
                assert_eq!(run.breached, breached);
            }
        }
        assert!(seen.len() > 1, "{by:?} makes one group only");
    }
}

#[test]
fn quick_filters_of_one_kind_widen_and_kinds_narrow() {
    let mut s = testkit::state();
    let all = testkit::state();
    let count = |want: &dyn Fn(&Entry) -> bool| -> usize {
        entries(&all).iter().filter(|e| want(e)).count()
    };
    let agent = s.agent.clone();
    let mine = |e: &Entry| e.facts.assignee.as_deref() == Some(agent.as_str());
    let nobody = |e: &Entry| e.facts.assignee.is_none();
    let breached = |e: &Entry| e.sum.class == Class::Breached;
    press(&mut s, "U", now());
    assert_eq!(s.board.visible().len(), count(&nobody));
    assert!(entries(&s).iter().all(|e| nobody(e)));
    press(&mut s, "m", now());
    let either = count(&|e| mine(e) || nobody(e));
    assert_eq!(s.board.visible().len(), either);
    assert!(either > count(&nobody), "mine widens unassigned");
    assert_eq!(s.board.filter().describe(), "mine|unassigned");
    press(&mut s, "B", now());
    assert_eq!(
        s.board.visible().len(),
        count(&|e| (mine(e) || nobody(e)) && breached(e))
    );
    press(&mut s, "W", now());
    assert_eq!(
        s.board.filter().describe(),
        "mine|unassigned breached|at-risk"
    );
    press(&mut s, "12", now());
    assert_eq!(
        s.board.filter().describe(),
        "mine|unassigned breached|at-risk P1|P2"
    );
    press(&mut s, "0", now());
    assert!(s.board.filter().is_empty());
}

/// Where row `r` of the queue is on screen.
fn y_of(s: &State, r: usize) -> u16 {
    (0..s.size.1)
        .find(|&y| {
            let area = ratatui::layout::Rect::new(0, 0, s.size.0, s.size.1);
            crate::tui::screen::hit(area, s, 10, y) == Some(Hit::Row(r))
        })
        .unwrap_or_else(|| panic!("row {r} is not on screen"))
}

fn click(s: &mut State, x: u16, y: u16) {
    let area = ratatui::layout::Rect::new(0, 0, s.size.0, s.size.1);
    if let Some(hit) = crate::tui::screen::hit(area, s, x, y) {
        update(s, Msg::Click(hit), now());
    }
}

#[test]
fn a_click_selects_then_opens_a_heading_sorts_and_the_wheel_scrolls() {
    for (w, h) in [(80, 24), (100, 30), (160, 48)] {
        let mut s = testkit::state();
        update(&mut s, Msg::Resize(w, h), now());
        // Rows are where they are drawn: the third ticket row is three lines down.
        assert_eq!(y_of(&s, 2), 5);
        click(&mut s, 10, 5);
        assert_eq!(s.queue.cursor(&s.board, s.board.visible()), 2);
        assert_eq!(s.view, View::Queue);
        click(&mut s, 10, 5);
        assert_eq!(s.view, View::Ticket);
        assert_eq!(s.ticket.as_ref().unwrap().key, s.queue.key.clone().unwrap());
        press(&mut s, "<esc>", now());
        // A heading sorts by its column; a second click turns the order round.
        let x = (0..w)
            .find(|&x| {
                let area = ratatui::layout::Rect::new(0, 0, w, h);
                crate::tui::screen::hit(area, &s, x, 2) == Some(Hit::Sort(SortMode::Customer))
            })
            .expect("a Customer heading");
        click(&mut s, x, 2);
        assert_eq!(
            s.board.sort(),
            Sort {
                mode: SortMode::Customer,
                reverse: false
            }
        );
        click(&mut s, x, 2);
        assert_eq!(
            s.board.sort(),
            Sort {
                mode: SortMode::Customer,
                reverse: true
            }
        );
        // The wheel moves three rows a notch.
        update(&mut s, Msg::Scroll(3), now());
        assert_eq!(s.queue.cursor(&s.board, s.board.visible()), 5);
        update(&mut s, Msg::Scroll(-3), now());
        assert_eq!(s.queue.cursor(&s.board, s.board.visible()), 2);
        // Grouped, a click on a group's header selects nothing; rows move down.
        press(&mut s, "C", now());
        let area = ratatui::layout::Rect::new(0, 0, w, h);
        assert_eq!(
            crate::tui::screen::hit(area, &s, 10, 3),
            None,
            "the top line is a header"
        );
        let y = y_of(&s, 0);
        assert_eq!(y, 4);
        click(&mut s, 10, y);
        assert_eq!(s.queue.cursor(&s.board, s.board.visible()), 0);
        // With a form open, clicks and the wheel do nothing.
        press(&mut s, "n", now());
        update(&mut s, Msg::Scroll(3), now());
        update(&mut s, Msg::Click(Hit::Row(4)), now());
        assert_eq!(s.queue.cursor(&s.board, s.board.visible()), 0);
        assert!(s.form().is_some());
    }
}

#[test]
fn the_cursor_stays_in_view_under_group_headers() {
    let mut s = testkit::state();
    update(&mut s, Msg::Resize(80, 24), now());
    press(&mut s, "C", now());
    let area = ratatui::layout::Rect::new(0, 0, 80, 24);
    let n = s.board.visible().len();
    for r in 0..n {
        let y = crate::tui::view::queue::selected_y(ratatui::layout::Rect::new(0, 2, 80, 21), &s)
            .unwrap_or_else(|| panic!("row {r} is off screen"));
        assert!((3..23).contains(&y), "row {r} at line {y}");
        assert_eq!(crate::tui::screen::hit(area, &s, 10, y), Some(Hit::Row(r)));
        press(&mut s, "j", now());
    }
}
