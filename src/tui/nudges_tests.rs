use std::cell::RefCell;

use chrono::TimeDelta;

use super::*;
use crate::model::Priority;
use crate::notify::ThresholdKind;
use crate::notify::{DesktopState, Nudge};
use crate::sla::Metric;
use crate::tui::testkit::{self, now, press};
use crate::tui::update::{update, Msg};

/// A nudge about `ticket` fired at `now()`, due in `due_in_min` minutes.
pub(crate) fn nudge(ticket: &str, kind: ThresholdKind, due_in_min: i64, late: bool) -> Nudge {
    let at = now().timestamp_micros();
    Nudge {
        ticket: ticket.into(),
        customer: "acme-telecom".into(),
        title: "LOS on the Frankfurt ring".into(),
        priority: Priority::new(1).unwrap(),
        escalation: None,
        escalated_to: None,
        assignee: None,
        metric: Metric::Restore,
        kind,
        severity: if kind.is_breach() {
            Severity::Breached
        } else if matches!(kind, ThresholdKind::Percent(90)) {
            Severity::Critical
        } else {
            Severity::Warning
        },
        cycle_start: at - 60 * MICROS_PER_MIN,
        target: 240 * MICROS_PER_MIN,
        threshold_at: if late { at - 20 * MICROS_PER_MIN } else { at },
        due: at + due_in_min * MICROS_PER_MIN,
        fired_at: at,
        late,
        loud: true,
    }
}

pub(crate) fn fire(s: &mut State, n: Nudge) -> Vec<Effect> {
    update(
        s,
        Msg::Nudge(NudgeEvent::Service(NudgeMsg::Fired(Box::new(n)))),
        now(),
    )
}

#[derive(Default)]
struct Recorder(RefCell<Vec<String>>);

impl NudgeControl for Recorder {
    fn snooze(&self, ticket: &str, minutes: u32) {
        self.0
            .borrow_mut()
            .push(format!("snooze {ticket} {minutes}"));
    }
    fn unsnooze(&self, ticket: &str) {
        self.0.borrow_mut().push(format!("unsnooze {ticket}"));
    }
}

fn select(s: &mut State, ticket: &str) {
    let rows = s.board.visible().to_vec();
    let i = s.board.find(ticket).unwrap();
    let row = rows.iter().position(|&r| r == i).unwrap();
    s.queue.select(&s.board, &rows, row);
}

#[test]
fn snooze_key_opens_the_modal_and_choosing_15_snoozes() {
    let mut s = testkit::state();
    select(&mut s, "WIDE-1");
    assert!(press(&mut s, "s", now()).is_empty());
    let m = s.snooze_modal().expect("modal open");
    assert_eq!(m.ticket, "WIDE-1");
    assert_eq!(
        m.choices,
        vec![
            SnoozeChoice::Minutes(5),
            SnoozeChoice::Minutes(15),
            SnoozeChoice::Minutes(30)
        ]
    );
    // Keys go to the modal, not the queue.
    let fx = press(&mut s, "<down><enter>", now());
    assert!(s.snooze_modal().is_none());
    assert_eq!(
        fx,
        vec![Effect::Snooze {
            ticket: "WIDE-1".into(),
            minutes: 15
        }]
    );
    let handle = Recorder::default();
    for e in &fx {
        assert!(apply(&handle, e));
    }
    assert_eq!(*handle.0.borrow(), vec!["snooze WIDE-1 15".to_owned()]);
    let until = s.nudges.snoozed_until("WIDE-1", now().timestamp_micros());
    assert_eq!(
        until,
        Some((now() + TimeDelta::minutes(15)).timestamp_micros())
    );
    // A second snooze key offers to lift it, first.
    press(&mut s, "s", now());
    let m = s.snooze_modal().unwrap();
    assert_eq!(m.choices[0], SnoozeChoice::Unsnooze);
    let fx = press(&mut s, "<enter>", now());
    assert_eq!(fx, vec![Effect::Unsnooze("WIDE-1".into())]);
    apply(&handle, &fx[0]);
    assert_eq!(handle.0.borrow().last().unwrap(), "unsnooze WIDE-1");
    assert!(s.nudges.snoozed_until("WIDE-1", 0).is_none());
}

#[test]
fn the_modal_cancels_and_picks_by_digit() {
    let mut s = testkit::state();
    press(&mut s, "s<esc>", now());
    assert!(s.snooze_modal().is_none());
    assert_eq!(s.view, View::Queue);
    let fx = press(&mut s, "s3", now());
    assert!(matches!(
        fx.as_slice(),
        [Effect::Snooze { minutes: 30, .. }]
    ));
}

#[test]
fn the_service_confirms_snoozes() {
    let mut s = testkit::state();
    let until = (now() + TimeDelta::minutes(12)).timestamp_micros();
    update(
        &mut s,
        Msg::Nudge(NudgeEvent::Service(NudgeMsg::Snoozed {
            ticket: "EVIL-1".into(),
            until: Some(until),
        })),
        now(),
    );
    assert_eq!(
        s.nudges.snoozed_until("EVIL-1", now().timestamp_micros()),
        Some(until)
    );
    assert_eq!(snooze_left(until, now().timestamp_micros()), "12m");
}

#[test]
fn a_fired_nudge_toasts_logs_and_rings() {
    let mut s = testkit::state();
    s.bell = true;
    let fx = fire(
        &mut s,
        nudge("EVIL-1", ThresholdKind::Percent(75), 60, false),
    );
    assert_eq!(fx, vec![Effect::Bell]);
    assert_eq!(s.nudges.log.len(), 1);
    assert_eq!(s.nudges.live_toasts(now().timestamp_micros()).count(), 1);
    // Newest on top.
    fire(&mut s, nudge("WIDE-1", ThresholdKind::Breach, 0, false));
    assert_eq!(s.nudges.log[0].ticket, "WIDE-1");
    let t: Vec<_> = s.nudges.live_toasts(now().timestamp_micros()).collect();
    assert!(matches!(&t[0].what, ToastWhat::Nudge(n) if n.ticket == "WIDE-1"));
    // Gone after a few seconds; the log keeps them.
    let later = now() + TimeDelta::seconds(9);
    update(&mut s, Msg::Tick, later);
    assert_eq!(s.nudges.live_toasts(later.timestamp_micros()).count(), 0);
    assert_eq!(s.nudges.log.len(), 2);
}

#[test]
fn quiet_nudges_and_no_bell_setting_stay_silent() {
    let mut s = testkit::state();
    s.bell = true;
    let mut n = nudge("EVIL-1", ThresholdKind::Percent(50), 60, false);
    n.loud = false;
    assert!(fire(&mut s, n).is_empty());
    s.bell = false;
    assert!(fire(&mut s, nudge("EVIL-1", ThresholdKind::Breach, 0, false)).is_empty());
    assert_eq!(s.nudges.log.len(), 2);
}

#[test]
fn the_log_view_opens_the_ticket_on_enter() {
    let mut s = testkit::state();
    fire(
        &mut s,
        nudge("EVIL-1", ThresholdKind::Percent(75), 60, false),
    );
    fire(
        &mut s,
        nudge("WIDE-1", ThresholdKind::Percent(75), 60, false),
    );
    press(&mut s, "L", now());
    assert_eq!(s.view, View::Nudges);
    let fx = press(&mut s, "j<enter>", now());
    assert_eq!(s.view, View::Ticket);
    assert_eq!(s.ticket.as_ref().unwrap().key, "EVIL-1");
    assert_eq!(fx, vec![Effect::LoadHistory("EVIL-1".into())]);
    press(&mut s, "<esc>", now());
    assert_eq!(s.view, View::Nudges);
}

/// A ticket closed since its nudge still opens from the log: the ticket view shows
/// its final verdicts once its history arrives.
#[test]
fn the_log_opens_a_ticket_closed_since() {
    let mut s = testkit::state();
    fire(
        &mut s,
        nudge("GONE-7", ThresholdKind::Percent(75), 60, false),
    );
    assert!(s.board.find("GONE-7").is_none());
    press(&mut s, "L", now());
    let fx = press(&mut s, "<enter>", now());
    assert_eq!(s.view, View::Ticket);
    assert_eq!(s.ticket.as_ref().unwrap().key, "GONE-7");
    assert_eq!(fx, vec![Effect::LoadHistory("GONE-7".into())]);
    assert!(s.flash.is_none(), "{:?}", s.flash);
}

#[test]
fn desktop_unavailable_is_told_once_then_lives_in_the_nudge_log() {
    let mut s = testkit::state();
    assert_eq!(s.nudges.problem(), None);
    let unavailable = || {
        Msg::Nudge(NudgeEvent::Desktop(DesktopEvent::State(
            DesktopState::Unavailable {
                reason: "no D-Bus session bus".into(),
            },
        )))
    };
    update(&mut s, unavailable(), now());
    let text = "desktop notifications unavailable: no D-Bus session bus";
    assert_eq!(s.nudges.problem().as_deref(), Some(text));
    let problems = |s: &State| {
        s.nudges
            .toasts
            .iter()
            .filter(|t| t.what == ToastWhat::Problem(text.into()))
            .count()
    };
    assert_eq!(problems(&s), 1);
    // The notifier saying so again tells no one again.
    update(&mut s, unavailable(), now());
    assert_eq!(problems(&s), 1);
}

#[test]
fn tab_reaches_the_nudge_log() {
    let mut s = testkit::state();
    press(&mut s, "<tab><tab><tab>", now());
    assert_eq!(s.view, View::Nudges);
}

#[test]
fn the_log_starts_with_the_record_of_sent_nudges_without_repeating_its_own() {
    let mut s = testkit::state();
    let mine = nudge("EVIL-1", ThresholdKind::Percent(75), 60, false);
    fire(&mut s, mine.clone());
    let mut older = nudge("WIDE-1", ThresholdKind::Breach, -5, false).record();
    older.fired_at -= 30 * MICROS_PER_MIN;
    // Newest first, as the store gives them: this console's own, then an older one.
    update(
        &mut s,
        Msg::Nudge(NudgeEvent::History(vec![mine.record(), older.clone()])),
        now(),
    );
    let log = &s.nudges.log;
    assert_eq!(log.len(), 2, "{log:#?}");
    assert_eq!(log[0].ticket, "EVIL-1");
    assert!(log[0].nudge.is_some());
    assert_eq!(log[1].ticket, "WIDE-1");
    assert!(log[1].breach && log[1].nudge.is_none());
    assert_eq!(log[1].why, "the 4 h restore budget ran out");
    // No toast for history.
    assert_eq!(s.nudges.live_toasts(now().timestamp_micros()).count(), 1);
}

#[test]
fn a_nudge_arriving_after_the_history_that_holds_it_is_logged_once() {
    let mut s = testkit::state();
    let n = nudge("EVIL-1", ThresholdKind::Percent(75), 60, false);
    update(
        &mut s,
        Msg::Nudge(NudgeEvent::History(vec![n.record()])),
        now(),
    );
    fire(&mut s, n);
    assert_eq!(s.nudges.log.len(), 1);
    assert!(s.nudges.log[0].nudge.is_some());
}

#[test]
fn the_feed_holds_the_snapshot_until_it_is_whole() {
    use crate::tui::update::SourceMsg;
    let sent = std::sync::Mutex::new(Vec::new());
    let feed = Feed::to(|t: Vec<crate::store::TicketFacts>| {
        sent.lock()
            .unwrap()
            .push(t.into_iter().map(|(k, _)| k).collect::<Vec<_>>())
    });
    let rows = crate::tui::testkit::snapshot(&crate::demo::demo_events(3, now()));
    let (a, b) = rows.split_at(10);
    feed.pass(&SourceMsg::LoadChunk {
        tickets: a.to_vec(),
        first: true,
    });
    feed.pass(&SourceMsg::Busy);
    assert!(
        sent.lock().unwrap().is_empty(),
        "nothing before the whole snapshot"
    );
    feed.pass(&SourceMsg::Loaded {
        tickets: b[..5].to_vec(),
        cursor: None,
    });
    feed.pass(&SourceMsg::Changed {
        tickets: vec![("X-1".into(), None)],
    });
    let sent = sent.into_inner().unwrap();
    let want: Vec<String> = rows[..15].iter().map(|(t, _)| t.clone()).collect();
    assert_eq!(sent, [want, vec!["X-1".to_owned()]]);
}

#[test]
fn late_nudges_are_summed_up_in_one_toast_that_rings_once() {
    let mut s = testkit::state();
    s.bell = true;
    let mut rings = 0;
    for t in ["EVIL-1", "WIDE-1", "EVIL-1", "GEN-3"] {
        let fx = fire(&mut s, nudge(t, ThresholdKind::Percent(75), 60, true));
        rings += fx.iter().filter(|e| **e == Effect::Bell).count();
    }
    assert_eq!(rings, 1);
    let live: Vec<_> = s.nudges.live_toasts(now().timestamp_micros()).collect();
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(
        crate::tui::view::nudge_log::toast_text(&live[0].what),
        "3 tickets already past thresholds (L: nudge log)"
    );
    assert_eq!(s.nudges.log.len(), 4, "the log keeps every nudge");
}

#[test]
fn toasts_stack_at_most_three_and_are_dismissed_with_one_key() {
    let mut s = testkit::state();
    for t in ["A-1", "A-2", "A-3", "A-4", "A-5"] {
        fire(&mut s, nudge(t, ThresholdKind::Percent(75), 60, false));
    }
    assert_eq!(s.nudges.toasts.len(), TOASTS_MAX);
    assert!(matches!(&s.nudges.toasts[0].what, ToastWhat::Nudge(n) if n.ticket == "A-5"));
    press(&mut s, "X", now());
    assert_eq!(s.nudges.live_toasts(now().timestamp_micros()).count(), 0);
    assert_eq!(s.nudges.log.len(), 5);
    press(&mut s, "X", now());
    assert!(
        s.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("no toasts")),
        "a dismissal with nothing up says so"
    );
}
