//! The service under paused tokio time: hours of nudges in milliseconds, with the
//! sent log shared by "several consoles" and "restarts" of one user.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::model::EventKind;
use crate::notify::testkit::{config, hm, t, Ticket};

type Inbox = Arc<Mutex<Vec<NudgeMsg>>>;

fn start(log: impl SentLog, at: &str) -> (NudgeService, Inbox) {
    let inbox: Inbox = Arc::default();
    let sink = Arc::clone(&inbox);
    let (policies, calendars) = config();
    let svc = NudgeService::spawn(
        ServiceConfig {
            user: "alice".into(),
            policies,
            calendars,
            quiet: Severity::Warning,
            desktop: None,
        },
        TokioClock::starting_at(t(at)),
        log,
        move |m| sink.lock().unwrap().push(m),
    );
    (svc, inbox)
}

fn fired(inbox: &Inbox) -> Vec<Nudge> {
    inbox
        .lock()
        .unwrap()
        .iter()
        .filter_map(|m| match m {
            NudgeMsg::Fired(n) => Some((**n).clone()),
            _ => None,
        })
        .collect()
}

fn show(nudges: &[Nudge]) -> Vec<String> {
    nudges
        .iter()
        .map(|n| {
            let late = if n.late { " late" } else { "" };
            format!(
                "{} {} @{}{late}",
                hm(n.threshold_at),
                n.kind,
                hm(n.fired_at)
            )
        })
        .collect()
}

async fn minutes(m: u64) {
    tokio::time::sleep(Duration::from_secs(m * 60)).await;
}

fn acme(id: &str) -> Ticket {
    Ticket::new(id, "acme-telecom", "P1", "08:00")
}

#[tokio::test(start_paused = true)]
async fn nudges_fire_at_their_instants_in_virtual_time() {
    let (svc, inbox) = start(MemorySentLog::default(), "08:00");
    svc.tickets(vec![("ACME-1".into(), Some(acme("ACME-1").facts()))]);
    minutes(5 * 60 + 10).await;
    let got = fired(&inbox);
    assert_eq!(
        show(&got),
        [
            "10:00 50% @10:00",
            "11:00 75% @11:00",
            "11:36 90% @11:36",
            "11:45 15 min before @11:45",
            "11:55 5 min before @11:55",
            "12:00 breach @12:00",
            "12:30 repeat 1 @12:30",
            "13:00 repeat 2 @13:00",
        ]
    );
    for n in &got {
        let delay = n.fired_at - n.threshold_at;
        assert!(
            (0..2_000).contains(&delay),
            "{} fired {delay} µs late",
            n.kind
        );
    }
    let planned = inbox.lock().unwrap()[0].clone();
    assert_eq!(
        planned,
        NudgeMsg::Planned {
            tickets: 1,
            problems: vec![],
            next: Some(t("10:00"))
        }
    );
    svc.stop().await;
}

#[tokio::test(start_paused = true)]
async fn pause_resume_and_priority_change_reach_the_service() {
    let (svc, inbox) = start(MemorySentLog::default(), "08:00");
    let mut tk = acme("ACME-2");
    svc.tickets(vec![(tk.id.clone(), Some(tk.facts()))]);
    minutes(150).await; // 10:30
    tk.push(
        EventKind::Paused,
        "10:30",
        serde_json::json!({"reason": "customer"}),
    );
    svc.tickets(vec![(tk.id.clone(), Some(tk.facts()))]);
    minutes(60).await; // 11:30
    tk.push(EventKind::Resumed, "11:30", serde_json::json!({}));
    tk.push(
        EventKind::PriorityChanged,
        "11:30",
        serde_json::json!({"priority": "P2"}),
    );
    svc.tickets(vec![(tk.id.clone(), Some(tk.facts()))]);
    minutes(91).await; // 13:01
                       // 2 h 30 of 8 h used at the change (the pause does not count); P2's 50% is
                       // 1 h 30 later.
    assert_eq!(
        show(&fired(&inbox)),
        ["10:00 50% @10:00", "13:00 50% @13:00"]
    );
    svc.stop().await;
}

#[tokio::test(start_paused = true)]
async fn two_consoles_and_restarts_of_one_user_send_each_nudge_once() {
    let log = MemorySentLog::default();
    let (a, inbox_a) = start(log.clone(), "08:00");
    let (b, inbox_b) = start(log.clone(), "08:00");
    let facts = acme("ACME-3").facts();
    a.tickets(vec![("ACME-3".into(), Some(facts.clone()))]);
    b.tickets(vec![("ACME-3".into(), Some(facts.clone()))]);
    minutes(150).await; // 10:30
    let both: Vec<Nudge> = fired(&inbox_a).into_iter().chain(fired(&inbox_b)).collect();
    assert_eq!(show(&both), ["10:00 50% @10:00"]);
    a.stop().await;
    b.stop().await;

    // Closed until 11:40: 75% and 90% passed; only 90% is sent, once, late.
    let (c, inbox_c) = start(log.clone(), "11:40");
    c.tickets(vec![("ACME-3".into(), Some(facts.clone()))]);
    minutes(1).await;
    assert_eq!(show(&fired(&inbox_c)), ["11:36 90% @11:40 late"]);
    c.stop().await;

    // Started again a minute later (or with the wall clock set back): nothing again.
    let (d, inbox_d) = start(log.clone(), "11:41");
    d.tickets(vec![("ACME-3".into(), Some(facts))]);
    minutes(5).await;
    assert_eq!(show(&fired(&inbox_d)), ["11:45 15 min before @11:45"]);
    d.stop().await;
    assert_eq!(log.sent().len(), 3);

    // The wall clock set back to 09:50: the 10:00 mark comes round again, and is not
    // sent again.
    let (e, inbox_e) = start(log.clone(), "09:50");
    e.tickets(vec![("ACME-3".into(), Some(acme("ACME-3").facts()))]);
    minutes(15).await;
    assert_eq!(show(&fired(&inbox_e)), Vec::<String>::new());
    e.stop().await;
    assert_eq!(log.sent().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_snooze_in_one_console_holds_the_warning_in_the_other() {
    let log = MemorySentLog::default();
    let (a, inbox_a) = start(log.clone(), "09:50");
    let (b, inbox_b) = start(log.clone(), "09:50");
    let facts = acme("ACME-4").facts();
    a.tickets(vec![("ACME-4".into(), Some(facts.clone()))]);
    b.tickets(vec![("ACME-4".into(), Some(facts))]);
    a.snooze("ACME-4", 30);
    minutes(60).await; // 10:50
    let both: Vec<Nudge> = fired(&inbox_a).into_iter().chain(fired(&inbox_b)).collect();
    assert_eq!(show(&both), ["10:00 50% @10:20 late"]);
    // Which console reaches 10:00 first is up to the scheduler; whichever it is
    // reports the snooze that held the warning back.
    let held = NudgeMsg::Snoozed {
        ticket: "ACME-4".into(),
        until: Some(t("10:20")),
    };
    assert!(
        inbox_a.lock().unwrap().contains(&held) || inbox_b.lock().unwrap().contains(&held),
        "{:#?}\n{:#?}",
        inbox_a.lock().unwrap(),
        inbox_b.lock().unwrap()
    );
    a.stop().await;
    b.stop().await;
    // The snooze is kept per user: a restart within it still holds warnings back.
    log.clone()
        .set_snooze("alice", "ACME-4", Some(t("11:10")))
        .unwrap();
    let (c, inbox_c) = start(log, "10:58");
    c.tickets(vec![("ACME-4".into(), Some(acme("ACME-4").facts()))]);
    minutes(20).await; // 11:18
    assert_eq!(show(&fired(&inbox_c)), ["11:00 75% @11:10 late"]);
    c.stop().await;
}

struct BrokenLog;

impl SentLog for BrokenLog {
    fn claim(&mut self, _: &str, _: &[NudgeRecord]) -> Result<Vec<Claim>, String> {
        Err("store /x.db is read-only".into())
    }
    fn set_snooze(&mut self, _: &str, _: &str, _: Option<Micros>) -> Result<(), String> {
        Err("store /x.db is read-only".into())
    }
    fn snoozes(&mut self, _: &str, _: Micros) -> Result<Vec<(String, Micros)>, String> {
        Ok(vec![])
    }
}

#[tokio::test(start_paused = true)]
async fn without_a_sent_log_nudges_still_fire_and_the_problem_is_said_once() {
    let (svc, inbox) = start(BrokenLog, "09:00");
    svc.tickets(vec![("ACME-5".into(), Some(acme("ACME-5").facts()))]);
    minutes(121).await;
    assert_eq!(
        show(&fired(&inbox)),
        ["10:00 50% @10:00", "11:00 75% @11:00"]
    );
    let errors: Vec<_> = inbox
        .lock()
        .unwrap()
        .iter()
        .filter(|m| matches!(m, NudgeMsg::SentLog(_)))
        .cloned()
        .collect();
    assert_eq!(
        errors,
        [NudgeMsg::SentLog(Some("store /x.db is read-only".into()))]
    );
    svc.stop().await;
}
