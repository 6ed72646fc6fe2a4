//! Two consoles on one ticket, through the feed worker on a real store file: an event
//! decided on the ticket as its agent saw it is stored only on top of that, and an
//! event someone else recorded in between sends it back with what they recorded.

use std::sync::mpsc::Receiver;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::feed::{Command, Feed, SourceMsg};
use super::local::LocalSource;
use crate::model::{Event, EventKind};
use crate::store::{Expect, SqliteStore, Store};

fn event(ticket: &str, kind: EventKind, actor: &str, payload: serde_json::Value) -> Event {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    Event::new(
        ticket,
        kind,
        at,
        at,
        actor,
        serde_json::from_value(payload).unwrap(),
    )
}

fn escalation(actor: &str, level: u8, to: &str) -> Event {
    event(
        "T-1",
        EventKind::Escalated,
        actor,
        json!({"level": level, "to": to}),
    )
}

/// A store with T-1 detected (one event), and a feed worker on it.
fn setup() -> (tempfile::TempDir, SqliteStore, Feed, Receiver<SourceMsg>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut bob = SqliteStore::open(&path).unwrap();
    let detected = json!({"priority": "P2", "customer": "acme", "title": "LOS"});
    bob.append(
        &event("T-1", EventKind::Detected, "portal", detected),
        Expect::Any,
    )
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let feed = Feed::spawn(
        LocalSource::connector(&path),
        Duration::from_secs(3600),
        move |m| tx.send(m).is_ok(),
        |_| {},
    )
    .unwrap();
    (dir, bob, feed, rx)
}

/// The next message about an append: stored (None) or sent back (with the events).
fn outcome(rx: &Receiver<SourceMsg>) -> Option<Vec<Event>> {
    loop {
        match rx
            .recv_timeout(Duration::from_secs(10))
            .expect("an outcome")
        {
            SourceMsg::Appended { .. } => return None,
            SourceMsg::Moved { after, .. } => {
                return Some(after.into_iter().map(|x| x.event).collect())
            }
            SourceMsg::AppendFailed { error, .. } => panic!("append failed: {error}"),
            _ => {}
        }
    }
}

fn kinds(store: &mut SqliteStore) -> Vec<(EventKind, String)> {
    let h = store.history("T-1").unwrap();
    h.into_iter()
        .map(|x| (x.event.kind, x.event.actor))
        .collect()
}

#[test]
fn an_escalation_decided_before_another_agents_goes_back_with_it() {
    let (_dir, mut bob, feed, rx) = setup();
    // Alice opened Escalate on the one event; Bob escalates first.
    bob.append(&escalation("bob", 1, "noc-l2"), Expect::Any)
        .unwrap();
    let alice = escalation("alice", 1, "noc-l2");
    feed.send(Command::Append {
        event: alice.clone(),
        seen: Some(1),
    });
    let after = outcome(&rx).expect("sent back");
    assert_eq!(after.len(), 1);
    assert_eq!(
        (after[0].kind, after[0].actor.as_str()),
        (EventKind::Escalated, "bob")
    );
    assert_eq!(
        kinds(&mut bob),
        [
            (EventKind::Detected, "portal".into()),
            (EventKind::Escalated, "bob".into())
        ]
    );
    // Re-submitted on the ticket as it is now (two events seen): stored.
    let again = escalation("alice", 2, "noc-manager");
    feed.send(Command::Append {
        event: again,
        seen: Some(2),
    });
    assert_eq!(outcome(&rx), None);
    assert_eq!(kinds(&mut bob).len(), 3);
}

#[test]
fn acknowledgements_and_events_without_a_view_are_stored_as_before() {
    let (_dir, mut bob, feed, rx) = setup();
    bob.append(
        &event("T-1", EventKind::Acknowledged, "bob", json!({})),
        Expect::Any,
    )
    .unwrap();
    // A second acknowledgement on the ticket as Alice saw it before Bob's: refused.
    feed.send(Command::Append {
        event: event("T-1", EventKind::Acknowledged, "alice", json!({})),
        seen: Some(1),
    });
    assert_eq!(outcome(&rx).map(|a| a.len()), Some(1));
    // A note goes on any ticket.
    feed.send(Command::Append {
        event: event("T-1", EventKind::Note, "alice", json!({"text": "on it"})),
        seen: None,
    });
    assert_eq!(outcome(&rx), None);
    assert_eq!(kinds(&mut bob).len(), 3);
}

#[test]
fn the_agents_own_events_stored_meanwhile_never_send_theirs_back() {
    let (_dir, mut bob, feed, rx) = setup();
    // Alice acknowledges, then escalates from a form opened before the
    // acknowledgement reached her screen: both decided on the one event.
    for e in [
        event("T-1", EventKind::Acknowledged, "alice", json!({})),
        escalation("alice", 1, "noc-l2"),
    ] {
        feed.send(Command::Append {
            event: e,
            seen: Some(1),
        });
        assert_eq!(outcome(&rx), None);
    }
    assert_eq!(kinds(&mut bob).len(), 3);
}
