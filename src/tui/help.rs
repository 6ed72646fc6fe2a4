//! The help view's content: every binding in force, generated from the live keymap
//! (so it is never out of date), and how to read the views.

use super::action::Section;
use super::state::State;

/// The help view's paragraph about this view.
pub const COMPLIANCE_HELP: &[&str] = &[
    "One month (this month to date unless chosen), in each contract's time zone.",
    "Tkts: tickets open at some point in the month. All %: outcomes met of all",
    "  decided (ack, client-update cycles, restore, resolve); then per metric.",
    "Brch: breaches decided in the month; per day: . none, ▁ to █ up to the max.",
    "Exposure: penalties so far = owed if every open outage were restored now.",
    "In 1 h: the penalty if nothing is restored or answered in the next hour.",
    "Budget: outage minutes the mildest availability threshold still allows;",
    "  burn 1x spends it exactly by the month's end; when it runs out.",
    "$ rows: open tickets whose next hour costs money; marked $ in the queue.",
    "Computed in the background: every 30 s while shown, else every 60 s.",
];

pub enum Line {
    Heading(String),
    Binding {
        keys: String,
        action: &'static str,
        desc: &'static str,
    },
    Text(String),
    Blank,
}

pub fn lines(s: &State) -> Vec<Line> {
    let mut out = Vec::new();
    for section in Section::ALL {
        let bindings: Vec<_> = s
            .keymap
            .bindings()
            .iter()
            .filter(|b| b.section == section && !b.keys.is_empty())
            .collect();
        if bindings.is_empty() {
            continue;
        }
        out.push(Line::Heading(format!(
            "{} [{}]",
            section.title(),
            section.as_str()
        )));
        for b in bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
            out.push(Line::Binding {
                keys: keys.join(" "),
                action: b.action.as_str(),
                desc: b.action.describe(),
            });
        }
        out.push(Line::Blank);
    }
    out.push(Line::Heading("Reading the queue".into()));
    for t in [
        "Most urgent first: breached (>>), then by the soonest deadline of any running clock.",
        "Due in: wall-clock time until the deadline, H:MM:SS under 24 h, then 1d 03h;",
        "  -0:12:03 is 12 minutes overdue. =1:30:00 on a paused row is the budget left.",
        "Marks: >> breached, !! critical, ! warning (policy thresholds), || paused.",
        "Esc: escalation level; L2! is not acknowledged yet (acknowledge with the ack key).",
        "Budget used: working time used of the clock's target on the policy's calendar.",
        "$ before a title: one more hour open moves a contract into a worse penalty band",
        "  (or adds a penalty); see the compliance view. Marks follow the latest figures.",
        "Sorting: by any column (the sort key, or a click on its heading; again: reversed).",
        "  The heading's arrow: ▲ values grow down the list, ▼ they shrink. Ties: urgency.",
        "Grouping: under a header per customer, assignee or escalation level, with counts.",
        "Quick filters of one kind widen each other (either may hold): mine|unassigned;",
        "  breached|at-risk|paused; the priorities. Different kinds and the / text narrow",
        "  each other (all must hold). The header says what is in force, the same way.",
    ] {
        out.push(Line::Text(t.into()));
    }
    out.push(Line::Blank);
    out.push(Line::Heading("Reading the compliance view".into()));
    for t in COMPLIANCE_HELP {
        out.push(Line::Text((*t).into()));
    }
    out.push(Line::Blank);
    out.push(Line::Heading("Configuration".into()));
    let dir = s.config_dir.as_deref().unwrap_or("(no config directory)");
    out.push(Line::Text(format!("keymap.toml and config.toml in {dir}")));
    out.push(Line::Text(format!(
        "Events you record are signed \"{}\".",
        s.agent
    )));
    out
}

pub fn line_count(s: &State) -> usize {
    lines(s).len()
}

/// The help view's keys (it scrolls, `State::help_scroll`). True if `a` was handled.
pub fn act(s: &mut State, a: super::action::Action) -> bool {
    if !a.moves() {
        return false;
    }
    let max = line_count(s).saturating_sub(s.layout.list_rows);
    let cur = s.help_scroll;
    s.help_scroll = super::list::step(a, cur, max + 1, s.layout.page())
        .unwrap_or(cur)
        .min(max);
    true
}
