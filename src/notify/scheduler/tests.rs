//! The scheduler over fixed instants: a simulated driver wakes exactly when asked.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use serde_json::json;

use super::*;
use crate::config::calendars::parse_calendars;
use crate::model::EventKind;
use crate::notify::testkit::{hm, scheduler, t, Ticket, CALENDARS};

/// Wakes exactly when the scheduler asks (or at once, for what is overdue), up to
/// `until`; returns what fired.
fn run_until(s: &mut Scheduler, until: &str) -> Vec<Nudge> {
    let until = t(until);
    let mut out = Vec::new();
    let mut now = s.last_now();
    while let Some(w) = s.next_wake() {
        if w > until {
            break;
        }
        now = now.max(w);
        let fired = s.pop_due(now);
        assert!(!fired.is_empty(), "woke at {} for nothing", hm(w));
        out.extend(fired);
    }
    out
}

/// "HH:MM kind @HH:MM" per nudge: threshold, and when it fired.
fn show(nudges: &[Nudge]) -> Vec<String> {
    nudges
        .iter()
        .map(|n| {
            let late = if n.late { " late" } else { "" };
            format!(
                "{} {} {} @{}{late}",
                hm(n.threshold_at),
                n.metric,
                n.kind,
                hm(n.fired_at)
            )
        })
        .collect()
}

#[test]
fn every_threshold_fires_once_in_order_then_the_breach_repeats() {
    let mut s = scheduler();
    let tk = Ticket::new("ACME-1", "acme-telecom", "P1", "08:00");
    tk.feed(&mut s, "08:00");
    let fired = run_until(&mut s, "13:10");
    assert_eq!(
        show(&fired),
        [
            "10:00 restore 50% @10:00",
            "11:00 restore 75% @11:00",
            "11:36 restore 90% @11:36",
            "11:45 restore 15 min before @11:45",
            "11:55 restore 5 min before @11:55",
            "12:00 restore breach @12:00",
            "12:30 restore repeat 1 @12:30",
            "13:00 restore repeat 2 @13:00",
        ]
    );
    let n = &fired[3];
    assert_eq!(n.summary(), "P1 ACME-1 breaches restore in 15 min");
    assert_eq!(n.customer, "acme-telecom");
    assert_eq!(n.title, "LOS on LDN-FRA-7");
    assert_eq!(n.severity, Severity::Warning);
    assert_eq!(fired[4].severity, Severity::Critical);
    assert_eq!(fired[5].severity, Severity::Breached);
    assert!(fired.iter().all(|n| n.loud && !n.late));
}

#[test]
fn a_pause_suspends_nudges_and_the_resume_shifts_those_ahead() {
    let mut s = scheduler();
    let mut tk = Ticket::new("ACME-2", "acme-telecom", "P1", "08:00");
    tk.feed(&mut s, "08:00");
    assert_eq!(
        show(&run_until(&mut s, "10:30")),
        ["10:00 restore 50% @10:00"]
    );
    tk.push(EventKind::Paused, "10:30", json!({"reason": "customer"}));
    tk.feed(&mut s, "10:30");
    assert_eq!(s.next_wake(), None, "a paused clock has nothing scheduled");
    tk.push(EventKind::Resumed, "11:30", json!({}));
    tk.feed(&mut s, "11:30");
    // Everything ahead moved by the hour paused; 50% does not fire again.
    assert_eq!(
        show(&run_until(&mut s, "13:00")),
        [
            "12:00 restore 75% @12:00",
            "12:36 restore 90% @12:36",
            "12:45 restore 15 min before @12:45",
            "12:55 restore 5 min before @12:55",
            "13:00 restore breach @13:00",
        ]
    );
}

#[test]
fn a_pause_that_does_not_stop_the_clock_changes_nothing() {
    let mut s = scheduler();
    let mut tk = Ticket::new("ACME-3", "acme-telecom", "P1", "08:00");
    tk.feed(&mut s, "08:00");
    tk.push(EventKind::Paused, "09:00", json!({"reason": "vendor"}));
    tk.feed(&mut s, "09:00");
    assert_eq!(
        show(&run_until(&mut s, "10:00")),
        ["10:00 restore 50% @10:00"]
    );
}

#[test]
fn a_priority_change_reschedules_and_fires_only_the_latest_passed() {
    let mut s = scheduler();
    let mut tk = Ticket::new("ACME-4", "acme-telecom", "P2", "08:00");
    tk.feed(&mut s, "08:00");
    assert_eq!(s.next_wake(), Some(t("12:00")), "50% of 8 h");
    // At 11:00, P1: 3 h of a 4 h budget are gone: 75% is due now, 50% is overtaken.
    tk.push(
        EventKind::PriorityChanged,
        "11:00",
        json!({"priority": "P1"}),
    );
    tk.feed(&mut s, "11:00");
    assert_eq!(
        show(&run_until(&mut s, "11:40")),
        ["11:00 restore 75% @11:00", "11:36 restore 90% @11:36"]
    );
    // Back to P2 at 11:40: 3 h 40 of 8 h used; P2's own 50% mark comes at 12:00.
    tk.push(
        EventKind::PriorityChanged,
        "11:40",
        json!({"priority": "P2"}),
    );
    tk.feed(&mut s, "11:40");
    assert_eq!(
        show(&run_until(&mut s, "12:10")),
        ["12:00 restore 50% @12:00"]
    );
    // P1 again: its 90% already fired; what comes next is P1's breach, 12:00 passed
    // (the budget ran out at 12:00), so the breach fires now, late.
    tk.push(
        EventKind::PriorityChanged,
        "12:10",
        json!({"priority": "P1"}),
    );
    tk.feed(&mut s, "12:10");
    assert_eq!(
        show(&run_until(&mut s, "12:30")),
        [
            "12:00 restore breach @12:10 late",
            "12:30 restore repeat 1 @12:30"
        ]
    );
}

#[test]
fn a_restart_policy_starts_a_new_cycle_with_thresholds_of_its_own() {
    let mut s = scheduler();
    let mut tk = Ticket::new("INI-1", "initech", "P2", "08:00");
    tk.feed(&mut s, "08:00");
    assert_eq!(
        show(&run_until(&mut s, "09:30")),
        ["09:00 client_update 50% @09:00"]
    );
    tk.push(
        EventKind::PriorityChanged,
        "09:30",
        json!({"priority": "P1"}),
    );
    tk.feed(&mut s, "09:30");
    assert_eq!(
        show(&run_until(&mut s, "10:30")),
        [
            "10:00 client_update 50% @10:00",
            "10:20 client_update 10 min before @10:20",
            "10:30 client_update breach @10:30",
        ]
    );
}

#[test]
fn every_client_update_starts_a_new_cycle() {
    let mut s = scheduler();
    let mut tk = Ticket::new("INI-2", "initech", "P1", "08:00");
    tk.feed(&mut s, "08:00");
    assert_eq!(
        show(&run_until(&mut s, "08:40")),
        ["08:30 client_update 50% @08:30"]
    );
    tk.push(EventKind::ClientUpdate, "08:40", json!({}));
    tk.feed(&mut s, "08:40");
    assert_eq!(
        show(&run_until(&mut s, "09:40")),
        [
            "09:10 client_update 50% @09:10",
            "09:30 client_update 10 min before @09:30",
            "09:40 client_update breach @09:40",
        ]
    );
}

#[test]
fn a_late_start_sends_only_the_latest_passed_threshold_once() {
    // The program was closed from 08:00 to 11:40: 50%, 75% and 90% passed.
    let mut s = scheduler();
    let tk = Ticket::new("ACME-5", "acme-telecom", "P1", "08:00");
    tk.feed(&mut s, "11:40");
    let fired = s.pop_due(t("11:40"));
    assert_eq!(show(&fired), ["11:36 restore 90% @11:40 late"]);
    assert!(fired[0]
        .body(&Utc)
        .contains("Sent late: the threshold passed at 11:36"));
    // A change that does not move anything does not bring it back.
    tk.feed(&mut s, "11:41");
    assert_eq!(
        show(&run_until(&mut s, "11:50")),
        ["11:45 restore 15 min before @11:45"]
    );
    // Closed through the breach and two repeats: one nudge, the newest repeat.
    let mut s = scheduler();
    tk.feed(&mut s, "13:05");
    assert_eq!(
        show(&s.pop_due(t("13:05"))),
        ["13:00 restore repeat 2 @13:05 late"]
    );
    assert_eq!(s.next_wake(), Some(t("13:30")));
}

#[test]
fn repeats_stop_at_acknowledgement_restore_and_resolution() {
    let mut s = scheduler();
    let mut tk = Ticket::new("ACME-6", "acme-telecom", "P1", "08:00");
    tk.push(EventKind::Acknowledged, "08:05", json!({}));
    tk.feed(&mut s, "08:05");
    let fired = run_until(&mut s, "12:40");
    assert_eq!(
        show(&fired[fired.len() - 2..]),
        [
            "12:00 restore breach @12:00",
            "12:30 restore repeat 1 @12:30"
        ],
        "an acknowledgement before the breach does not silence it"
    );
    tk.push(EventKind::Acknowledged, "12:40", json!({}));
    tk.feed(&mut s, "12:40");
    assert_eq!(s.next_wake(), None);

    let mut s = scheduler();
    let mut tk = Ticket::new("ACME-7", "acme-telecom", "P1", "08:00");
    tk.feed(&mut s, "12:31");
    assert_eq!(
        show(&s.pop_due(t("12:31"))),
        ["12:30 restore repeat 1 @12:31"]
    );
    tk.push(EventKind::Restored, "12:45", json!({}));
    tk.feed(&mut s, "12:45");
    assert_eq!(s.next_wake(), None);
    tk.push(EventKind::Resolved, "12:50", json!({}));
    tk.feed(&mut s, "12:50");
    assert_eq!(s.tickets(), 0, "a resolved ticket is forgotten");
}

#[test]
fn a_snooze_holds_warnings_back_but_never_a_breach() {
    let mut s = scheduler();
    let tk = Ticket::new("ACME-8", "acme-telecom", "P1", "08:00");
    tk.feed(&mut s, "08:00");
    assert_eq!(
        show(&run_until(&mut s, "10:58")),
        ["10:00 restore 50% @10:00"]
    );
    // 5 minutes at 10:58: 75% (11:00) waits until 11:03.
    assert_eq!(s.snooze("ACME-8", 5, t("10:58")), t("11:03"));
    assert_eq!(
        show(&run_until(&mut s, "11:10")),
        ["11:00 restore 75% @11:03 late"]
    );
    // 30 minutes at 11:30: 90%, 15 and 5 minutes before are held back; the breach
    // at 12:00 fires on time and overtakes them.
    s.snooze("ACME-8", 30, t("11:30"));
    assert_eq!(s.snoozed_until("ACME-8", t("11:31")), Some(t("12:00")));
    assert_eq!(
        show(&run_until(&mut s, "12:00")),
        ["12:00 restore breach @12:00"]
    );
    // Repeats are breaches too.
    s.snooze("ACME-8", 30, t("12:20"));
    assert_eq!(
        show(&run_until(&mut s, "12:30")),
        ["12:30 restore repeat 1 @12:30"]
    );
}

#[test]
fn lifting_a_snooze_sends_what_it_held_back() {
    let mut s = scheduler();
    let tk = Ticket::new("ACME-9", "acme-telecom", "P1", "08:00");
    tk.feed(&mut s, "08:00");
    s.snooze("ACME-9", 30, t("09:50"));
    assert_eq!(s.next_wake(), Some(t("10:20")));
    s.unsnooze("ACME-9", t("10:05"));
    assert_eq!(
        show(&s.pop_due(t("10:05"))),
        ["10:00 restore 50% @10:05 late"]
    );
}

#[test]
fn quiet_mutes_warnings_below_its_level_never_breaches() {
    let mut s = scheduler();
    s.set_quiet(Severity::Critical);
    let tk = Ticket::new("ACME-10", "acme-telecom", "P1", "08:00");
    tk.feed(&mut s, "08:00");
    let fired = run_until(&mut s, "12:30");
    let loud: Vec<_> = fired.iter().map(|n| (n.kind.to_string(), n.loud)).collect();
    assert_eq!(
        loud,
        [
            ("50%".to_owned(), false),
            ("75%".to_owned(), false),
            ("90%".to_owned(), true),
            ("15 min before".to_owned(), false),
            ("5 min before".to_owned(), true),
            ("breach".to_owned(), true),
            ("repeat 1".to_owned(), true),
        ],
        "quiet nudges still fire (toast, log); only sound and pop-up are muted"
    );
    s.set_quiet(Severity::Breached);
    let tk = Ticket::new("ACME-11", "acme-telecom", "P1", "12:30");
    tk.feed(&mut s, "12:30");
    let fired = run_until(&mut s, "16:30");
    assert!(fired.iter().all(|n| n.loud == n.is_breach()));
}

#[test]
fn only_tickets_whose_instant_came_are_looked_at() {
    let mut s = scheduler();
    for i in 0..1000 {
        let start = format!("{:02}:{:02}", 8 + i / 600, (i / 10) % 60);
        Ticket::new(&format!("T-{i}"), "acme-telecom", "P2", &start).feed(&mut s, "09:40");
    }
    let before = s.stats();
    assert_eq!(s.pop_due(t("09:41")), vec![]);
    assert_eq!(s.stats().examined, before.examined);
    // 50% of 8 h after 08:00 is 12:00: ten tickets started then.
    let fired = s.pop_due(t("12:00"));
    assert_eq!(fired.len(), 10);
    assert_eq!(s.stats().examined - before.examined, 10);
    assert_eq!(s.stats().planned - before.planned, 10);
}

#[test]
fn a_ticket_without_a_policy_is_reported_not_scheduled() {
    let cals = parse_calendars(Path::new("c.toml"), CALENDARS).unwrap();
    let mut s = Scheduler::new(Arc::new(Policies::default()), cals);
    Ticket::new("Y-1", "y", "P1", "08:00").feed(&mut s, "08:00");
    assert_eq!(s.next_wake(), None);
    assert!(s.problems()["Y-1"].contains("no policy matches"));
}

#[test]
fn a_catch_up_taken_in_batches_sends_the_same_nudges_once() {
    let feed_all = |s: &mut Scheduler| {
        for n in 0..9 {
            let at = format!("08:{:02}", n * 5);
            Ticket::new(&format!("ACME-{n}"), "acme-telecom", "P1", &at).feed(s, "11:40");
        }
    };
    let mut whole = scheduler();
    feed_all(&mut whole);
    let all = show(&whole.pop_due(t("11:40")));
    assert!(all.len() >= 9, "{all:?}");

    let mut s = scheduler();
    feed_all(&mut s);
    let mut batches = Vec::new();
    loop {
        let batch = s.pop_due_upto(t("11:40"), 2);
        if batch.is_empty() {
            break;
        }
        // Whole tickets at a time: a ticket's clocks can add to the last one.
        assert!(
            batch.len() >= 2 || s.next_wake() > Some(t("11:40")),
            "{batch:?}"
        );
        batches.push(batch);
    }
    assert!(batches.len() > 3, "{} batches", batches.len());
    let mut got = show(&batches.concat());
    let mut want = all.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "the same nudges, each once");
    assert_eq!(s.next_wake(), whole.next_wake());
}
