//! Snapshots of the compliance view on the demo data set at every size and theme, with a
//! fixed `now`: the figures, the drill-down list, the month prompt, a month being
//! computed, and the queue with its `$` marks.

use chrono::TimeDelta;

use crate::tui::compliance::tests::{in_view, now, reply};
use crate::tui::state::State;
use crate::tui::testkit::press;
use crate::tui::theme::ThemeName;
use crate::tui::update::{update, Msg};

/// Snapshots the view at every size and theme after `setup`, seen 12 s after the figures.
fn snap(name: &str, setup: impl Fn(&mut State)) {
    let start = || in_view().0;
    let seen = now() + TimeDelta::seconds(12);
    super::snapshot_matrix::every_size_and_theme(name, start, setup, now(), seen);
}

#[test]
fn figures_of_this_month() {
    snap("compliance", |_| {});
}

#[test]
fn a_contract_with_its_budget_and_a_ticket_at_risk_selected() {
    // acme-telecom: its row, P1..P4, then the contract, its budget, its ticket at risk.
    snap("compliance_contract", |s| {
        press(s, "c", now());
        let n = crate::tui::compliance::row_count(s, now());
        for _ in 0..n.saturating_sub(3) {
            press(s, "j", now());
        }
    });
    snap("compliance_budget", |s| {
        press(s, "c", now());
        let n = crate::tui::compliance::row_count(s, now());
        for _ in 0..n.saturating_sub(2) {
            press(s, "j", now());
        }
    });
}

#[test]
fn drill_down_lists_the_tickets_behind_a_figure() {
    snap("compliance_drill", |s| {
        press(s, "llllll<enter>j", now());
    });
}

#[test]
fn month_prompt_and_a_month_being_computed() {
    snap("compliance_prompt", |s| {
        press(s, "m2026-1", now());
    });
    snap("compliance_computing", |s| {
        press(s, "[", now());
    });
    snap("compliance_last_month", |s| {
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
    snap("compliance_queue_marks", |s| {
        press(s, "<esc>", now());
        // Only the marked tickets' customers, to see the marks at 80x24 too.
        press(s, "/hooli<enter>", now());
    });
}

#[test]
fn tiny_sizes_never_panic() {
    let (mut s, _) = in_view();
    let render = |s: &mut State, w, h| {
        update(s, Msg::Resize(w, h), now());
        super::snapshot_matrix::draw(s, ThemeName::Dark, now());
    };
    for (w, h) in [(60, 12), (61, 13), (200, 11), (59, 30), (300, 100)] {
        render(&mut s, w, h);
        press(&mut s, "<enter>", now());
        render(&mut s, w, h);
        press(&mut s, "<esc>", now());
    }
}
