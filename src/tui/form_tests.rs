//! Fields that name someone complete from the names on tickets, and take a new name
//! only when it is confirmed.

use crate::model::EventKind;
use crate::tui::state::State;
use crate::tui::testkit::{self, now, press};
use crate::tui::update::Effect;

fn form(s: &State) -> &super::Form {
    s.form().expect("a form is open")
}

fn appended(fx: &[Effect]) -> Vec<&crate::model::Event> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Append { event, .. } => Some(event),
            _ => None,
        })
        .collect()
}

#[test]
fn the_names_are_those_on_open_tickets_and_the_agent_once_each() {
    let s = testkit::state();
    let names = s.board.names(&s.agent);
    assert!(names.contains(&s.agent));
    for (_, f) in testkit::snapshot(&testkit::events(now())) {
        let f = f.unwrap();
        if let Some(a) = &f.assignee {
            assert!(names.contains(&a.to_string()), "{a}");
        }
        if let Some(x) = &f.escalation {
            assert!(names.contains(&x.to.to_string()), "{}", x.to);
        }
    }
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    sorted.dedup();
    assert_eq!(names, sorted);
}

#[test]
fn a_name_completes_with_right_and_a_new_one_needs_a_second_submit() {
    let mut s = testkit::state();
    let names = s.board.names(&s.agent);
    let team = names
        .iter()
        .find(|n| n.starts_with("core"))
        .expect("a core team escalated to")
        .clone();
    // Escalate: the focus starts on "To", the first text field.
    press(&mut s, "e", now());
    assert_eq!(form(&s).focused().unwrap().name, "to");
    press(&mut s, "co", now());
    let field = form(&s).focused().unwrap();
    assert_eq!(field.completion().as_deref(), Some(&team[2..]));
    assert!(field.known_matching().contains(&team.as_str()));
    press(&mut s, "<right>", now());
    let super::FieldKind::Text { value, cursor, .. } = &form(&s).focused().unwrap().kind else {
        panic!("a text field")
    };
    assert_eq!(
        (value.as_str(), *cursor),
        (team.as_str(), team.chars().count())
    );
    let fx = press(&mut s, "<enter>", now());
    let evs = appended(&fx);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].kind, EventKind::Escalated);
    assert_eq!(evs[0].payload["to"], team.as_str());

    // A name on no ticket: the first submit says so, the second records it.
    press(&mut s, "o", now());
    update_clear(&mut s);
    press(&mut s, "zed", now());
    assert!(form(&s).focused().unwrap().is_new_name());
    let fx = press(&mut s, "<enter>", now());
    assert!(appended(&fx).is_empty());
    let err = form(&s).error.clone().unwrap();
    assert!(
        err.contains("\"zed\" is on no ticket yet: submit again"),
        "{err}"
    );
    let fx = press(&mut s, "<enter>", now());
    let evs = appended(&fx);
    assert_eq!(evs.len(), 1, "confirmed");
    assert_eq!(evs[0].payload["to"], "zed");
}

#[test]
fn a_changed_new_name_needs_confirming_again() {
    let mut s = testkit::state();
    press(&mut s, "o", now());
    update_clear(&mut s);
    press(&mut s, "zed<enter>", now());
    assert!(form(&s).error.is_some());
    // Typing on clears the complaint; the name typed now was never confirmed.
    press(&mut s, "d", now());
    assert!(form(&s).error.is_none());
    let fx = press(&mut s, "<enter>", now());
    assert!(appended(&fx).is_empty());
    assert!(form(&s).error.as_deref().unwrap().contains("\"zedd\""));
}

/// Ctrl-U: empties the focused field.
fn update_clear(s: &mut State) {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let k = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    crate::tui::update::update(s, crate::tui::update::Msg::Key(k), now());
}
