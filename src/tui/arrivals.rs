//! Urgent tickets that arrive while the console runs would otherwise slip in silently
//! mid-queue: each one of an announced priority (config.toml `announce`) gets a toast,
//! the bell unless quiet, and its row says "NEW" for a minute.

use super::effect::Effect;
use super::nudges_state::ToastWhat;
use super::state::State;
use crate::model::Priority;
use crate::sla::calendar::Micros;
use crate::sla::Facts;

pub use super::arrivals_state::*;

/// The tickets of a change that are not on the board yet (call before the board takes
/// the change). Nothing arrives while the snapshot is loading: those tickets were there.
pub fn newcomers<'a>(
    s: &State,
    changed: impl IntoIterator<Item = &'a (String, Option<std::sync::Arc<Facts>>)>,
) -> Vec<(String, Priority, String)> {
    if !s.source.loaded {
        return Vec::new();
    }
    changed
        .into_iter()
        .filter_map(|(key, facts)| Some((key, facts.as_ref()?)))
        .filter(|(key, f)| {
            s.arrivals.priorities.contains(&f.priority) && s.board.find(key).is_none()
        })
        .map(|(key, f)| (key.clone(), f.priority, f.title.to_string()))
        .collect()
}

/// Announces the newcomers now on the board (a resolved one has left again).
pub fn announce(
    s: &mut State,
    newcomers: Vec<(String, Priority, String)>,
    now: Micros,
    fx: &mut Vec<Effect>,
) {
    let mut rang = false;
    for (ticket, priority, title) in newcomers {
        if s.board.find(&ticket).is_none() {
            continue;
        }
        s.arrivals.marked.insert(ticket.clone(), now);
        s.nudges.toast(
            ToastWhat::Arrived {
                ticket,
                priority: priority.to_string(),
                title,
            },
            now,
        );
        if s.bell && s.arrivals.ring && !rang {
            fx.push(Effect::Bell);
            rang = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, TimeDelta, Utc};
    use serde_json::json;

    use super::*;
    use crate::model::EventKind;
    use crate::tui::testkit::{self, now};
    use crate::tui::update::{update, Msg, SourceMsg};

    fn arrive(s: &mut State, ticket: &str, priority: &str) -> Vec<Effect> {
        let detected = testkit::ev(
            ticket,
            EventKind::Detected,
            now(),
            "portal",
            json!({"priority": priority, "customer": "acme-telecom", "title": "LOS\u{1b}[2J Frankfurt"}),
        );
        let facts = Facts::fold(&[detected], DateTime::<Utc>::MAX_UTC).unwrap();
        update(
            s,
            Msg::Source(SourceMsg::Changed {
                tickets: vec![(ticket.to_owned(), Some(Arc::new(facts)))],
            }),
            now(),
        )
    }

    fn toast_texts(s: &State) -> Vec<String> {
        s.nudges
            .live_toasts(now().timestamp_micros())
            .map(|t| crate::tui::view::nudge_log::toast_text(&t.what))
            .collect()
    }

    #[test]
    fn a_new_p1_toasts_rings_and_is_marked_for_a_minute() {
        let mut s = testkit::state();
        s.bell = true;
        let fx = arrive(&mut s, "NEW-1", "P1");
        assert_eq!(fx, vec![Effect::Bell]);
        assert_eq!(toast_texts(&s), ["+ new P1 NEW-1: LOS Frankfurt"]);
        let at = now().timestamp_micros();
        assert_eq!(s.arrivals.marked_since("NEW-1", at), Some(at));
        let later = now() + TimeDelta::seconds(61);
        update(&mut s, Msg::Tick, later);
        assert_eq!(
            s.arrivals.marked_since("NEW-1", later.timestamp_micros()),
            None
        );
        // A change to a ticket already on the board is no arrival.
        let fx = arrive(&mut s, "NEW-1", "P1");
        assert!(fx.is_empty());
    }

    #[test]
    fn other_priorities_quiet_levels_and_the_first_snapshot_stay_silent() {
        let mut s = testkit::state();
        s.bell = true;
        assert!(arrive(&mut s, "LOW-1", "P3").is_empty());
        assert!(toast_texts(&s).is_empty());
        s.arrivals.ring = false;
        assert!(arrive(&mut s, "NEW-2", "P2").is_empty(), "quiet: no bell");
        assert_eq!(toast_texts(&s).len(), 1, "still toasted");
        s.arrivals.priorities.clear();
        arrive(&mut s, "NEW-3", "P1");
        assert_eq!(toast_texts(&s).len(), 1, "announce = [] announces none");
        let mut loading = testkit::empty_state();
        arrive(&mut loading, "NEW-4", "P1");
        assert!(toast_texts(&loading).is_empty());
    }

    #[test]
    fn the_queue_row_says_new() {
        let mut s = testkit::state();
        arrive(&mut s, "NEW-1", "P1");
        update(&mut s, Msg::Resize(160, 48), now());
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
        let theme = crate::tui::theme::Theme::new(crate::tui::theme::ThemeName::Dark, false);
        t.draw(|f| crate::tui::screen::render(f, &s, &theme, now()))
            .unwrap();
        let screen = format!("{}", t.backend());
        let line = screen
            .lines()
            .find(|l| l.contains("NEW-1") && !l.contains("+ new"))
            .expect("NEW-1 is in the queue");
        assert!(line.contains("NEW "), "{line}");
    }
}
