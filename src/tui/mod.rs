//! The operator console: `slawatch` with no command.
//!
//! Where things are. `app` owns the terminal and the event loop, `input` reads keys
//! on a thread; the data comes and goes through a [`crate::sync::Source`] on the
//! supervised workers of [`crate::sync`] (snapshot, change feed, appends, histories;
//! compliance months), and the nudge service of [`crate::notify`]. Everything below
//! is pure and snapshot-tested:
//! - `update`: one `Msg` (key, tick, feed message, worker report) to state changes and
//!   `effect::Effect`s, which `app` carries out. A key goes to the overlay if one is
//!   open, else to the pane in view; what the pane leaves alone is the console's
//!   (quit, help, tabs and the navigation stack in `state`, the recording forms).
//! - One pane per view behind `pane::Pane` (`panes` gives each view's): its keys in
//!   `queue`, `ticket`, `escalations`, `help`, `compliance`, `nudges` (the nudge log)
//!   and `closed`; its drawing in `view/` under the same name; its state its own field
//!   of `state::State` (the larger in `compliance_state`, `nudges_state`,
//!   `closed_state`). `board` holds every open ticket with its SLA summary, sorted and
//!   counted incrementally (its `Evaluator` runs off the UI task for the first
//!   snapshot, on `loader`'s helpers while the feed worker reads on); `filters` are the quick filters the queue and escalations share.
//! - `screen`: one frame (header, pane, toasts, footer, modal); `overlay`: the one
//!   modal (form, filter prompt, month prompt, snooze, decision); `form` the forms that
//!   record one event each; `decide` the decisions on events a server's outbox could
//!   not deliver as recorded; `moved` a form sent back because its ticket moved on.
//! - `layout`: the geometry, computed at each resize, that update and views share;
//!   `list`: cursor movement and scrolling, for every list.
//! - `fmt`, `theme`, `sanitize` (untrusted text), `keymap` and `action` (what keys can
//!   ask for), `settings` (config.toml). `fixture` and `testkit` are test data, never
//!   in a release build.

pub mod action;
pub mod app;
pub mod arrivals;
pub mod arrivals_state;
pub mod board;
pub mod closed;
pub mod closed_state;
pub mod compliance;
pub mod compliance_state;
pub mod decide;
pub mod effect;
pub mod escalations;
pub mod filters;
#[cfg(any(test, feature = "bench-fixtures"))]
pub mod fixture;
pub mod fmt;
pub mod form;
pub mod groups;
pub mod help;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod list;
pub mod loader;
pub mod moved;
#[cfg(test)]
mod moved_tests;
pub mod nudges;
pub mod nudges_state;
pub mod overlay;
pub mod pane;
pub mod panes;
pub mod queue;
#[cfg(test)]
mod queue_order_tests;
pub use crate::escape::terminal as sanitize;
pub mod screen;
pub mod settings;
pub mod state;
pub mod theme;
pub mod ticket;
pub mod update;
pub mod view;

#[cfg(test)]
pub(crate) mod testkit;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::config::policies::parse_policies;
use crate::config::{load_calendars, load_contracts, load_policies, ConfigError, ConfigErrors};
use crate::sla::penalty::Contracts;
use crate::sla::{Calendars, Policies};

pub use keymap::Keymap;
pub use settings::Settings;
pub use theme::{Theme, ThemeName};

const SHIPPED_POLICIES: &str = include_str!("../../assets/policies.toml");

/// Everything the console needs from configuration, loaded and checked up front.
pub struct Config {
    pub settings: Settings,
    pub keymap: Keymap,
    pub policies: Policies,
    pub calendars: Calendars,
    /// For the compliance view: the user's (`contracts` in config.toml) or the shipped.
    pub contracts: Contracts,
    pub dir: Option<PathBuf>,
}

/// Reads `config.toml` and `keymap.toml` from `dir` (when present) over the shipped
/// defaults, then the policies and calendars they name. Every problem of every file
/// is reported, each with file and line.
pub fn load_config(dir: Option<&Path>) -> Result<Config, ConfigErrors> {
    let mut errors = Vec::new();
    let read = |name: &str| -> Result<Option<(PathBuf, String)>, ConfigError> {
        let Some(dir) = dir else { return Ok(None) };
        let path = dir.join(name);
        // Never blocks on a FIFO nor reads a device: the console would hang at start.
        match crate::config::read_text(&path) {
            Ok(text) => Ok(Some((path, text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ConfigError {
                path,
                line: 0,
                column: 0,
                message: format!("cannot read: {e}"),
            }),
        }
    };
    let user_config = read("config.toml").unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let user_keymap = read("keymap.toml").unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let settings = Settings::load_with(
        user_config.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
        crate::agent::env(),
        crate::agent::login_name(),
    )
    .map_err(|e| errors.extend(e.0))
    .ok();
    let keymap = Keymap::load(user_keymap.as_ref().map(|(p, t)| (p.as_path(), t.as_str())))
        .map_err(|e| errors.extend(e.0))
        .ok();
    let mut sla = None;
    if let Some(s) = &settings {
        let (shipped_policies, shipped_calendars) = crate::config::shipped();
        let cals = match &s.calendars {
            Some(p) => load_calendars(p),
            None => Ok(shipped_calendars.clone()),
        };
        match cals {
            Ok(cals) => {
                let pols = match (&s.policies, &s.calendars) {
                    (Some(p), _) => load_policies(p, &cals),
                    (None, None) => Ok(shipped_policies.clone()),
                    // The shipped policies over the user's calendars.
                    (None, Some(_)) => parse_policies(
                        Path::new("assets/policies.toml (built in)"),
                        SHIPPED_POLICIES,
                        &cals,
                    ),
                };
                let contracts = match &s.contracts {
                    Some(p) => load_contracts(p, &cals),
                    None => Ok(crate::config::shipped_contracts().clone()),
                };
                match (pols, contracts) {
                    (Ok(p), Ok(k)) => sla = Some((p, cals, k)),
                    (p, k) => {
                        errors.extend(p.err().into_iter().flat_map(|e| e.0));
                        errors.extend(k.err().into_iter().flat_map(|e| e.0));
                    }
                }
            }
            Err(e) => errors.extend(e.0),
        }
    }
    match (settings, keymap, sla) {
        (Some(settings), Some(keymap), Some((policies, calendars, contracts)))
            if errors.is_empty() =>
        {
            Ok(Config {
                settings,
                keymap,
                policies,
                calendars,
                contracts,
                dir: dir.map(Path::to_owned),
            })
        }
        _ => Err(ConfigErrors(errors)),
    }
}

/// Opens the console on the store at `store` until the agent quits.
pub fn run(store: &Path, started: Instant) -> anyhow::Result<()> {
    let connect = crate::sync::LocalSource::connector(store);
    run_on(connect, display_path(store), None, started)
}

/// Opens the console on the source `connect` makes (shown as `label` in the header);
/// `agent` is who signs the events when the source decides it (a server: the token's
/// name), else the configured agent.
pub fn run_on(
    connect: crate::sync::Connector,
    label: String,
    agent: Option<String>,
    started: Instant,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let dir = settings::config_dir();
    let mut cfg = load_config(dir.as_deref()).map_err(|e| {
        anyhow::anyhow!("the console cannot start, its configuration has errors:\n{e}")
    })?;
    if let Some(a) = agent {
        cfg.settings.agent = a;
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("the console needs a terminal (stdin and stdout); for scripts use the subcommands, see `slawatch --help`");
    }
    let tz = cfg.settings.zone();
    let theme = Theme::new(cfg.settings.theme, Theme::no_color_env());
    let setup = compliance::Setup {
        source: connect.clone(),
        policies: cfg.policies.clone(),
        calendars: cfg.calendars.clone(),
        contracts: cfg.contracts,
    };
    let nudges = {
        let user = cfg.settings.agent.clone();
        let (log, log_error) = nudges::ConsoleLog::open(&connect);
        nudges::Setup {
            source: connect.clone(),
            start: crate::notify::Start {
                user,
                policies: Arc::new(cfg.policies.clone()),
                calendars: cfg.calendars.clone(),
                quiet: cfg.settings.quiet,
                desktop: Some(crate::notify::desktop_options(3, tz)),
            },
            log,
            log_error,
        }
    };
    let board = board::Board::new(cfg.policies, &cfg.calendars, cfg.settings.agent.clone());
    let mut state = state::State::new(
        board,
        Arc::new(cfg.keymap),
        cfg.settings.agent.clone(),
        tz,
        label,
    );
    state.bell = cfg.settings.bell;
    state.mouse = cfg.settings.mouse;
    state.queue.follow = cfg.settings.follow_selection;
    state.esc.sel.follow = cfg.settings.follow_selection;
    state.arrivals.priorities = cfg.settings.announce.clone();
    state.arrivals.ring = cfg.settings.quiet <= crate::sla::Severity::Critical;
    state.agent_unchosen = cfg.settings.agent_from == crate::agent::NameFrom::Login;
    state.config_dir = cfg.dir.as_deref().map(display_path);
    app::run(app::Console {
        state,
        theme,
        source: (connect, cfg.settings.poll_interval),
        started,
        compliance: setup,
        nudges: Some(nudges),
    })
}

/// A path for the header: the home directory as `~`.
pub fn display_path(p: &Path) -> String {
    let s = p.display().to_string();
    match std::env::var("HOME") {
        Ok(home) if !home.is_empty() && s.starts_with(&home) => format!("~{}", &s[home.len()..]),
        _ => s,
    }
}
