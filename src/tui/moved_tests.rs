//! A form whose ticket moved on comes back with what changed, and goes on top of the
//! ticket as it is now when submitted again.

use chrono::TimeDelta;
use serde_json::json;

use super::effect::Effect;
use super::overlay::Overlay;
use super::testkit::{self, now, press};
use super::update::{update, Msg, SourceMsg};
use crate::model::{Event, EventKind};
use crate::store::StoredEvent;

fn recorded(fx: &[Effect]) -> (Event, Option<u32>) {
    fx.iter()
        .find_map(|e| match e {
            Effect::Append { event, seen } => Some((event.clone(), *seen)),
            _ => None,
        })
        .expect("an append")
}

fn stored(e: Event) -> StoredEvent {
    StoredEvent {
        seq: 99,
        event: e,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

#[test]
fn an_escalation_sent_back_reopens_as_typed_with_bobs_escalation() {
    let mut s = testkit::state();
    let key = testkit::row_key(&s, 0);
    let events = s.board.entry(s.board.visible()[0]).unwrap().facts.events;
    let fx = press(&mut s, "enoc-lead<tab>splice crew<enter>", now());
    let (alice, seen) = recorded(&fx);
    assert_eq!(seen, Some(events));
    assert!(s.overlay.is_none());

    let bob = testkit::ev(
        &key,
        EventKind::Escalated,
        now() - TimeDelta::seconds(20),
        "bob\u{1b}[2J",
        json!({"level": 3, "to": "noc-l2"}),
    );
    let back = Msg::Source(SourceMsg::Moved {
        event: Box::new(alice.clone()),
        after: vec![stored(bob)],
    });
    update(&mut s, back, now());
    let Some(Overlay::Form(form)) = &s.overlay else {
        panic!("the form did not come back: {:?}", s.overlay);
    };
    assert_eq!(form.ticket, key);
    assert_eq!(form.moved.len(), 1);
    let line = &form.moved[0];
    assert!(line.contains("by bob"), "{line}");
    assert!(line.contains("noc-l2"), "{line}");
    assert!(!line.contains('\u{1b}'), "{line}");
    assert!(s.flash.as_ref().unwrap().error);

    // Re-submitted as typed, on the ticket with Bob's escalation.
    let (again, seen) = recorded(&press(&mut s, "<enter>", now()));
    assert_eq!(seen, Some(events + 1));
    assert_eq!(again.payload, alice.payload);
    assert_ne!(again.id, alice.id);
}

#[test]
fn a_form_sent_back_while_another_is_open_leaves_that_one_alone() {
    let mut s = testkit::state();
    let (ack, _) = recorded(&press(&mut s, "a<enter>", now()));
    press(&mut s, "nhalf typed", now());
    let back = Msg::Source(SourceMsg::Moved {
        event: Box::new(ack),
        after: vec![],
    });
    update(&mut s, back, now());
    let form = s.overlay.as_ref().and_then(Overlay::form).unwrap();
    assert_eq!(form.kind, super::form::FormKind::Note);
    let flash = &s.flash.as_ref().unwrap().text;
    assert!(flash.contains("not recorded"), "{flash}");
}

#[test]
fn notes_and_updates_go_on_any_ticket() {
    let mut s = testkit::state();
    let (_, seen) = recorded(&press(&mut s, "nlooking<enter>", now()));
    assert_eq!(seen, None);
    let (_, seen) = recorded(&press(&mut s, "uCrew dispatched<enter>", now()));
    assert_eq!(seen, None);
}

#[test]
fn a_form_that_came_back_describes_the_ticket_as_it_is_now() {
    let mut s = testkit::state();
    let key = testkit::row_key(&s, 0);
    let fx = press(&mut s, "enoc-lead<enter>", now());
    let (alice, _) = recorded(&fx);
    let bob = testkit::ev(
        &key,
        EventKind::Escalated,
        now() - TimeDelta::seconds(20),
        "bob",
        json!({"level": 3, "to": "noc-l2"}),
    );
    let mut history: Vec<Event> = testkit::events(now())
        .into_iter()
        .filter(|e| e.ticket == key)
        .collect();
    history.push(bob.clone());
    let back = Msg::Source(SourceMsg::Moved {
        event: Box::new(alice),
        after: vec![stored(bob)],
    });
    update(&mut s, back, now());
    let context = |s: &super::state::State| s.form().unwrap().context.clone();
    assert!(
        !context(&s).contains("level 3"),
        "the board has not seen Bob's yet"
    );
    // Bob's escalation reaches the board after the form came back.
    let facts = crate::sla::Facts::fold(&history, chrono::DateTime::<chrono::Utc>::MAX_UTC)
        .ok()
        .map(std::sync::Arc::new);
    let changed = Msg::Source(SourceMsg::Changed {
        tickets: vec![(key, facts)],
    });
    update(&mut s, changed, now());
    assert_eq!(context(&s), "now at level 3 (to noc-l2)");
}
