//! Deciding about events a server's outbox keeps: recorded here while the server could
//! not be reached, then refused when they were sent (the ticket moved on meanwhile).
//! They are never dropped on their own; the `decide` key opens the oldest, and the
//! agent re-submits it on the ticket as it now is or discards it.

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::action::{Action, Section};
use super::effect::Effect;
use super::keymap::Key;
use super::overlay::{DecideModal, Overlay, DECISIONS};
use super::sanitize::clean;
use super::state::{event_text, State};
use crate::sync::{Decision, Undecided};

/// `kind on TICKET`, as the flash messages and the modal name an event.
fn label(u: &Undecided) -> String {
    format!("{} on {}", u.event.kind, clean(&u.event.ticket))
}

/// Opens the decision on the oldest undecided event, if there is one.
pub fn open(s: &mut State, now: DateTime<Utc>) {
    let Some(u) = s.source.undecided.first() else {
        s.flash("no event waits for a decision", now, false);
        return;
    };
    let at = u
        .event
        .recorded_at
        .with_timezone(&s.tz)
        .format("%Y-%m-%d %H:%M");
    let modal = DecideModal {
        id: u.event.id.clone(),
        label: label(u),
        what: format!(
            "recorded {at} by {}: {}",
            clean(&u.event.actor),
            clean(&event_text(&u.event))
        ),
        why: clean(&u.why),
        selected: 0,
        more: s.source.undecided.len() - 1,
    };
    s.overlay = Some(Overlay::Decide(modal));
}

/// Keys while the decision is open (true: taken): a digit picks a choice, the form
/// keys move, choose and cancel (deciding later).
pub fn modal_key(s: &mut State, k: &KeyEvent, key: Key, fx: &mut Vec<Effect>) -> bool {
    let Some(Overlay::Decide(m)) = &mut s.overlay else {
        return false;
    };
    let n = DECISIONS.len();
    if let KeyCode::Char(c @ '1'..='9') = k.code {
        let i = usize::from(c as u8 - b'1');
        if i < n {
            m.selected = i;
            choose(s, fx);
        }
        return true;
    }
    match s.keymap.lookup(Section::Form, key) {
        Some(Action::Submit) => choose(s, fx),
        Some(Action::Cancel) => s.overlay = None,
        Some(Action::NextField | Action::ChoiceNext) => m.selected = (m.selected + 1) % n,
        Some(Action::PrevField | Action::ChoicePrev) => m.selected = (m.selected + n - 1) % n,
        _ => {}
    }
    true
}

fn choose(s: &mut State, fx: &mut Vec<Effect>) {
    let Some(Overlay::Decide(m)) = s.overlay.take() else {
        return;
    };
    let decision = DECISIONS[m.selected].0;
    // Not offered again while the source carries it out.
    s.source.undecided.retain(|u| u.event.id != m.id);
    s.source.deciding.push((m.id.clone(), m.label));
    fx.push(Effect::Decide { id: m.id, decision });
}

/// The source's list as it now is; an open decision on an event no longer in it
/// closes (decided in another console, say).
pub fn on_list(s: &mut State, list: Vec<Undecided>) {
    let deciding = &s.source.deciding;
    s.source.undecided = list
        .into_iter()
        .filter(|u| !deciding.iter().any(|(id, _)| *id == u.event.id))
        .collect();
    if let Some(m) = s.decide_modal() {
        if !s.source.undecided.iter().any(|u| u.event.id == m.id) {
            s.overlay = None;
        }
    }
}

/// What became of a decision: stored, discarded, queued to be sent, or refused.
pub fn on_decided(
    s: &mut State,
    id: &str,
    decision: Decision,
    queued: bool,
    error: Option<String>,
    now: DateTime<Utc>,
) {
    let at = s.source.deciding.iter().position(|(d, _)| d == id);
    let what = at.map_or_else(|| "the event".to_owned(), |i| s.source.deciding.remove(i).1);
    let (text, bad) = match (decision, queued, error) {
        (_, _, Some(e)) => (format!("{what}: not done: {}", clean(&e)), true),
        (Decision::Resubmit, true, None) => (
            format!("{what}: re-submitted; queued until the server answers"),
            false,
        ),
        (Decision::Resubmit, false, None) => (
            format!("{what}: re-submitted and stored on the ticket as it is now"),
            false,
        ),
        (Decision::Discard, _, None) => (format!("{what}: discarded, never stored"), false),
    };
    s.flash(text, now, bad);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, EventKind};
    use crate::tui::testkit::{self, now, press};
    use crate::tui::update::{update, Msg, SourceMsg};

    fn undecided(id: &str, ticket: &str) -> Undecided {
        let mut e = Event::new(
            ticket,
            EventKind::Note,
            now(),
            now(),
            "alice",
            serde_json::from_value(serde_json::json!({"text": "cable cut"})).unwrap(),
        );
        e.id = id.to_owned();
        Undecided {
            event: e,
            why: format!(
                "note on {ticket} was recorded on a state of the ticket that has since moved on"
            ),
        }
    }

    fn decisions(fx: &[Effect]) -> Vec<(String, Decision)> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Decide { id, decision } => Some((id.clone(), *decision)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_key_opens_the_oldest_and_a_choice_goes_to_the_source_once() {
        let mut s = testkit::state();
        press(&mut s, "D", now());
        assert!(s.overlay.is_none());
        assert_eq!(
            s.flash.as_ref().unwrap().text,
            "no event waits for a decision"
        );
        let list = vec![undecided("e1", "T-1"), undecided("e2", "T-2")];
        update(
            &mut s,
            Msg::Source(SourceMsg::Undecided(list.clone())),
            now(),
        );
        press(&mut s, "D", now());
        let m = s.decide_modal().expect("the decision opens");
        assert_eq!(
            (m.id.as_str(), m.label.as_str(), m.more),
            ("e1", "note on T-1", 1)
        );
        assert!(m.what.contains("by alice: "), "{}", m.what);
        assert!(m.why.contains("moved on"), "{}", m.why);
        // Esc decides later; then 1 re-submits.
        press(&mut s, "<esc>", now());
        assert!(s.overlay.is_none());
        press(&mut s, "D", now());
        let fx = press(&mut s, "1", now());
        assert_eq!(decisions(&fx), [("e1".to_owned(), Decision::Resubmit)]);
        // The list as the source still has it (before it did the work) does not
        // bring it back.
        update(&mut s, Msg::Source(SourceMsg::Undecided(list)), now());
        press(&mut s, "D", now());
        assert_eq!(s.decide_modal().unwrap().id, "e2");
        let fx = press(&mut s, "2", now());
        assert_eq!(decisions(&fx), [("e2".to_owned(), Decision::Discard)]);

        update(
            &mut s,
            Msg::Source(SourceMsg::Decided {
                id: "e1".into(),
                decision: Decision::Resubmit,
                queued: false,
                error: None,
            }),
            now(),
        );
        assert_eq!(
            s.flash.as_ref().unwrap().text,
            "note on T-1: re-submitted and stored on the ticket as it is now"
        );
        update(
            &mut s,
            Msg::Source(SourceMsg::Decided {
                id: "e2".into(),
                decision: Decision::Discard,
                queued: false,
                error: Some("the outbox is locked".into()),
            }),
            now(),
        );
        let f = s.flash.as_ref().unwrap();
        assert_eq!(
            (f.text.as_str(), f.error),
            ("note on T-2: not done: the outbox is locked", true)
        );
        update(&mut s, Msg::Source(SourceMsg::Undecided(Vec::new())), now());
        assert!(s.source.undecided.is_empty() && s.source.deciding.is_empty());
    }
}
