//! Snapshots of the compliance view on the demo data set at 80x24 and 160x48, with a
//! fixed `now`: the figures, the drill-down list, the month prompt, a month being
//! computed, and the queue with its `$` marks.

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::tui::compliance::tests::{in_view, now, reply};
use crate::tui::state::State;
use crate::tui::testkit::press;
use crate::tui::theme::{Theme, ThemeName};
use crate::tui::update::{update, Msg};

fn render(s: &mut State, w: u16, h: u16, now: DateTime<Utc>) -> Terminal<TestBackend> {
    update(s, Msg::Resize(w, h), now);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::new(ThemeName::Dark, false);
    t.draw(|f| super::render(f, s, &theme, now)).unwrap();
    t
}

/// Snapshots the view at both sizes after `setup`, seen 12 s after the figures.
fn both(name: &str, setup: impl Fn(&mut State)) {
    for (w, h) in [(80, 24), (160, 48)] {
        let (mut s, _) = in_view();
        update(&mut s, Msg::Resize(w, h), now());
        setup(&mut s);
        let t = render(&mut s, w, h, now() + TimeDelta::seconds(12));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

#[test]
fn figures_of_this_month() {
    both("compliance", |_| {});
}

#[test]
fn a_contract_with_its_budget_and_a_ticket_at_risk_selected() {
    // acme-telecom: its row, P1..P4, then the contract, its budget, its ticket at risk.
    both("compliance_contract", |s| {
        press(s, "c", now());
        let n = crate::tui::compliance::row_count(s, now());
        for _ in 0..n.saturating_sub(3) {
            press(s, "j", now());
        }
    });
    both("compliance_budget", |s| {
        press(s, "c", now());
        let n = crate::tui::compliance::row_count(s, now());
        for _ in 0..n.saturating_sub(2) {
            press(s, "j", now());
        }
    });
}

#[test]
fn drill_down_lists_the_tickets_behind_a_figure() {
    both("compliance_drill", |s| {
        press(s, "llllll<enter>j", now());
    });
}

#[test]
fn month_prompt_and_a_month_being_computed() {
    both("compliance_prompt", |s| {
        press(s, "m2026-1", now());
    });
    both("compliance_computing", |s| {
        press(s, "[", now());
    });
    both("compliance_last_month", |s| {
        let evs = crate::tui::compliance::tests::demo();
        let fx = press(s, "[", now());
        let Some(crate::tui::update::Effect::Compliance(r)) = fx.first() else {
            panic!("{fx:?}")
        };
        update(s, Msg::Compliance(reply(&evs, r.id, r.month, now())), now());
    });
}

#[test]
fn the_queue_marks_tickets_whose_next_hour_costs_money() {
    both("compliance_queue_marks", |s| {
        press(s, "<esc>", now());
        // Only the marked tickets' customers, to see the marks at 80x24 too.
        press(s, "/hooli<enter>", now());
    });
}

#[test]
fn tiny_sizes_never_panic() {
    let (mut s, _) = in_view();
    for (w, h) in [(60, 12), (61, 13), (200, 11), (59, 30), (300, 100)] {
        render(&mut s, w, h, now());
        press(&mut s, "<enter>", now());
        render(&mut s, w, h, now());
        press(&mut s, "<esc>", now());
    }
}
