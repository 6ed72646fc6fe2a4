//! Snapshots of the nudge pieces at every size and theme with a fixed `now`.

use chrono::TimeDelta;

use crate::notify::{DesktopEvent, DesktopState, NudgeMsg, ThresholdKind};
use crate::tui::nudges::tests::{fire, nudge};
use crate::tui::nudges::NudgeEvent;
use crate::tui::state::State;
use crate::tui::testkit::{self, now, press};
use crate::tui::update::{update, Msg};

fn snap(name: &str, setup: impl Fn(&mut State)) {
    super::snapshot_matrix::every_size_and_theme(name, testkit::state, setup, now(), now());
}

fn some_nudges(s: &mut State) {
    fire(s, nudge("WIDE-1", ThresholdKind::Percent(50), 120, false));
    fire(s, nudge("EVIL-1", ThresholdKind::Percent(90), 24, false));
    fire(s, nudge("WIDE-1", ThresholdKind::Breach, -20, true));
}

#[test]
fn toasts_over_the_queue() {
    snap("nudge_toasts_queue", some_nudges);
}

#[test]
fn nudge_log_view() {
    snap("nudge_log", |s| {
        some_nudges(s);
        // One from the record of sent nudges (an hour ago, by `slawatch watch`).
        let mut r = nudge("ACME-1024", ThresholdKind::Percent(90), 10, false).record();
        r.fired_at -= 3_600_000_000;
        r.summary = "P1 ACME-1024 breaches restore in 10 min".into();
        update(s, Msg::Nudge(NudgeEvent::History(vec![r])), now());
        press(s, "Lj", now());
    });
}

#[test]
fn snooze_modal() {
    snap("nudge_snooze_modal", |s| {
        // Snoozed already (a second snooze offers to lift it) and breached rows show.
        update(
            s,
            Msg::Nudge(NudgeEvent::Service(NudgeMsg::Snoozed {
                ticket: testkit::row_key(s, 0),
                until: Some((now() + TimeDelta::minutes(12)).timestamp_micros()),
            })),
            now(),
        );
        press(s, "s", now());
    });
}

#[test]
fn queue_marks_snoozed_tickets() {
    snap("nudge_snoozed_row", |s| {
        let key = testkit::row_key(s, 1);
        press(s, "j", now());
        press(s, "s2", now());
        assert!(s
            .nudges
            .snoozed_until(&key, now().timestamp_micros())
            .is_some());
    });
}

fn desktop_unavailable(s: &mut State) {
    update(
        s,
        Msg::Nudge(NudgeEvent::Desktop(DesktopEvent::State(
            DesktopState::Unavailable {
                reason: "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)".into(),
            },
        ))),
        now(),
    );
}

/// Told once as a toast over the queue, no header row.
#[test]
fn notifications_unavailable_is_a_toast_in_the_queue() {
    snap("nudge_desktop_unavailable", desktop_unavailable);
}

/// And the nudge log's first line says it for as long as it lasts.
#[test]
fn notifications_unavailable_heads_the_nudge_log() {
    snap("nudge_desktop_unavailable_log", |s| {
        desktop_unavailable(s);
        press(s, "L", now());
    });
}
