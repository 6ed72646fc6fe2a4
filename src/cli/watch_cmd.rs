//! `slawatch watch`: the nudge scheduler with no console. Follows the store's open
//! tickets, prints every nudge, and sends loud ones as desktop notifications, for
//! whoever does not keep the console open (run it as a systemd user service).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use serde_json::json;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use super::stderr;
use super::watch_follow::{Change, Follower, FollowingSentLog};
use crate::escape;
use crate::model::{Event, EventKind, Payload};
use crate::notify::{
    desktop_options, start, DesktopEvent, DesktopState, NudgeAction, NudgeHandle, NudgeMsg, Start,
};
use crate::sla::{Micros, Severity};
use crate::store::{Expect, SqliteStore, Store};

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Whose nudges: the record of what was sent, and snoozes, are kept per user
    /// [default: the agent: $SLAWATCH_AGENT, else `agent` in config.toml, else the login
    /// name].
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Sound and pop-ups only from this level up; quieter nudges are still printed.
    /// Breaches are never muted.
    #[arg(long, value_enum, default_value = "off")]
    pub quiet: Quiet,
    /// Seconds between looks at the store for new events.
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    pub poll: f64,
    /// Print nudges only; send no desktop notifications.
    #[arg(long)]
    pub no_desktop: bool,
    /// More nudges than this at once go to the desktop as one summary (0: never merge).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub burst: usize,
    /// Print each nudge as a JSON object instead of a line of text.
    #[arg(long)]
    pub json: bool,
    /// Shell command to run when "Open" is clicked on a notification; the ticket is in
    /// $SLAWATCH_TICKET.
    #[arg(long, value_name = "COMMAND")]
    pub open_command: Option<String>,
    /// Stop after this many seconds (tests, benchmarks).
    #[arg(long, value_name = "SECONDS", hide = true)]
    pub run_for: Option<f64>,
}

/// The quiet setting: which warnings still make a sound and a pop-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Quiet {
    /// Every nudge is loud.
    Off,
    /// Only critical warnings (the last percentage or minutes-before) and breaches.
    Critical,
    /// Only breaches.
    Breach,
}

impl Quiet {
    pub fn level(self) -> Severity {
        match self {
            Quiet::Off => Severity::Warning,
            Quiet::Critical => Severity::Critical,
            Quiet::Breach => Severity::Breached,
        }
    }
}

enum Msg {
    Nudge(NudgeMsg),
    Desktop(DesktopEvent),
    Store(Result<Option<Change>, String>),
}

pub fn run(args: WatchArgs, db: &Path) -> anyhow::Result<()> {
    // The console's configuration: the same policies, calendars, agent name and
    // time zone, so that console and watch agree on every nudge and on whose it is.
    let dir = crate::tui::settings::config_dir();
    let cfg = crate::tui::load_config(dir.as_deref())
        .map_err(|e| anyhow!("watch cannot start, the configuration has errors:\n{e}"))?;
    let user = match &args.user {
        Some(u) if !u.trim().is_empty() => u.trim().to_owned(),
        Some(_) => bail!("--user: expected a name"),
        // The console's agent (crate::agent decides), so both agree on whose nudges.
        None => cfg.settings.agent.clone(),
    };
    if !(args.poll > 0.0 && args.poll.is_finite()) {
        bail!(
            "--poll: expected a positive number of seconds, found {}",
            args.poll
        );
    }
    // Open (and upgrade) the store before anything starts: a bad path is one error.
    drop(SqliteStore::open(db)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(watch(args, user, db.to_path_buf(), cfg))
}

async fn watch(
    args: WatchArgs,
    user: String,
    db: PathBuf,
    cfg: crate::tui::Config,
) -> anyhow::Result<()> {
    let tz = cfg.settings.zone();
    let (tx, mut rx) = unbounded_channel::<Msg>();
    stderr::line(format_args!(
        "slawatch watch: nudging {user} about the open tickets in {}",
        db.display()
    ));
    let desktop = if args.no_desktop {
        stderr::line(format_args!("desktop notifications: off (--no-desktop)"));
        None
    } else {
        Some(desktop_options(args.burst, tz))
    };
    let service = {
        let (tx, dtx) = (tx.clone(), tx.clone());
        start(
            Start {
                user: user.clone(),
                policies: Arc::new(cfg.policies),
                calendars: cfg.calendars,
                quiet: args.quiet.level(),
                desktop,
            },
            FollowingSentLog::new(db.clone()),
            move |m| {
                let _ = tx.send(Msg::Nudge(m));
            },
            move |e| {
                let _ = dtx.send(Msg::Desktop(e));
            },
        )
    };
    let stop = Arc::new(AtomicBool::new(false));
    let poller = spawn_poller(
        db.clone(),
        Duration::from_secs_f64(args.poll),
        service.handle(),
        tx.clone(),
        Arc::clone(&stop),
    );
    let run_for = args.run_for.map(Duration::from_secs_f64);
    let deadline = tokio::time::sleep(run_for.unwrap_or(Duration::from_secs(u32::MAX.into())));
    tokio::pin!(deadline);
    let mut out = Output {
        args: &args,
        user: &user,
        tz,
        db: &db,
        desktop: DesktopState::Probing,
        planned_once: false,
        problems: BTreeSet::new(),
        store_error: None,
    };
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(m) => out.handle(m).await,
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
            () = &mut deadline => break,
        }
    }
    stop.store(true, Ordering::Relaxed);
    service.stop().await;
    let _ = poller.join();
    Ok(())
}

struct Output<'a> {
    args: &'a WatchArgs,
    user: &'a str,
    tz: chrono_tz::Tz,
    db: &'a Path,
    desktop: DesktopState,
    planned_once: bool,
    problems: BTreeSet<String>,
    store_error: Option<String>,
}

impl Output<'_> {
    async fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Nudge(NudgeMsg::Fired(n)) => {
                let line = if self.args.json {
                    let mut v = serde_json::to_value(&*n).unwrap_or_default();
                    v["summary"] = json!(n.summary());
                    escape::json::to_string(&v).unwrap_or_default()
                } else {
                    escape::terminal::clean(&n.log_line(&self.tz))
                };
                let mut stdout = std::io::stdout().lock();
                let _ = writeln!(stdout, "{line}");
                let _ = stdout.flush();
            }
            Msg::Nudge(NudgeMsg::Planned {
                tickets,
                problems,
                next,
            }) => {
                if !self.planned_once {
                    self.planned_once = true;
                    let now = Utc::now().timestamp_micros();
                    let next = match next {
                        None => "no nudge scheduled".to_owned(),
                        Some(w) if w <= now => {
                            "first, what came due while no one was watching".to_owned()
                        }
                        Some(w) => format!("next nudge at {}", local(w, self.tz)),
                    };
                    stderr::line(format_args!("following {tickets} open tickets; {next}"));
                }
                for (ticket, why) in problems {
                    if self.problems.insert(ticket.clone()) {
                        stderr::line(format_args!("ticket {ticket}: no nudges: {why}"));
                    }
                }
            }
            Msg::Nudge(NudgeMsg::SentLog(Some(e))) => {
                stderr::line(format_args!(
                    "record of sent nudges unavailable: {e}; nudges may repeat after a restart"
                ));
            }
            Msg::Nudge(NudgeMsg::SentLog(None)) => {
                stderr::line(format_args!("record of sent nudges works again"));
            }
            Msg::Nudge(NudgeMsg::Snoozed { .. }) => {}
            Msg::Desktop(DesktopEvent::State(s)) => {
                match &s {
                    DesktopState::Unavailable { .. } => stderr::line(format_args!(
                        "{}; nudges are printed here only",
                        s.describe()
                    )),
                    _ => stderr::line(format_args!("{}", s.describe())),
                }
                self.desktop = s;
            }
            Msg::Desktop(DesktopEvent::Failed { tickets, error }) => {
                if matches!(self.desktop, DesktopState::Ready { .. }) {
                    stderr::line(format_args!(
                        "desktop notification about {} failed: {error}",
                        tickets.join(", ")
                    ));
                }
            }
            Msg::Desktop(DesktopEvent::Shown { .. }) => {}
            Msg::Desktop(DesktopEvent::Action { ticket, action }) => {
                self.action(ticket, action).await
            }
            Msg::Store(Ok(change)) => {
                if let Some(change) = change {
                    stderr::line(change.describe(self.db));
                } else if self.store_error.take().is_some() {
                    stderr::line(format_args!("store {} readable again", self.db.display()));
                }
            }
            Msg::Store(Err(e)) => {
                if self.store_error.as_deref() != Some(e.as_str()) {
                    stderr::line(format_args!("cannot follow the store: {e}; retrying"));
                    self.store_error = Some(e);
                }
            }
        }
    }

    async fn action(&mut self, ticket: String, action: NudgeAction) {
        match action {
            NudgeAction::Acknowledge => {
                let (db, user, t) = (self.db.to_path_buf(), self.user.to_owned(), ticket.clone());
                let done = tokio::task::spawn_blocking(move || acknowledge(&db, &user, &t)).await;
                match done {
                    Ok(Ok(())) => stderr::line(format_args!(
                        "{ticket}: acknowledged from the desktop notification"
                    )),
                    Ok(Err(e)) => stderr::line(format_args!(
                        "{ticket}: could not record the acknowledgement: {e:#}"
                    )),
                    Err(e) => stderr::line(format_args!(
                        "{ticket}: could not record the acknowledgement: {e}"
                    )),
                }
            }
            NudgeAction::Open => match &self.args.open_command {
                Some(cmd) => {
                    let spawned = std::process::Command::new("sh")
                        .arg("-c")
                        .arg(cmd)
                        .env("SLAWATCH_TICKET", &ticket)
                        .spawn();
                    if let Err(e) = spawned {
                        stderr::line(format_args!(
                            "{ticket}: --open-command failed to start: {e}"
                        ));
                    }
                }
                None => stderr::line(format_args!(
                    "{ticket}: \"Open\" clicked; pass --open-command to open the console on it"
                )),
            },
        }
    }
}

/// Records an acknowledgement by `user` now.
fn acknowledge(db: &Path, user: &str, ticket: &str) -> anyhow::Result<()> {
    // Never a new store with only this event in it where the store was deleted.
    if !db.exists() {
        bail!("store {} is gone", db.display());
    }
    let mut store = SqliteStore::open(db)?;
    let now = Utc::now();
    let mut payload = Payload::new();
    payload.insert("via".into(), json!("desktop notification"));
    let event = Event::new(ticket, EventKind::Acknowledged, now, now, user, payload);
    store.append(&event, Expect::Any)?;
    Ok(())
}

fn local(us: Micros, tz: chrono_tz::Tz) -> String {
    DateTime::from_timestamp_micros(us)
        .map(|t| {
            t.with_timezone(&tz)
                .format("%Y-%m-%d %H:%M:%S %Z")
                .to_string()
        })
        .unwrap_or_default()
}

/// Follows the store on its own thread, through a [`Source`]: every open ticket
/// first, then the change feed every `every`, each touched ticket's facts as they now
/// are.
fn spawn_poller(
    db: PathBuf,
    every: Duration,
    nudges: NudgeHandle,
    tx: UnboundedSender<Msg>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("slawatch-watch-store".into())
        .spawn(move || {
            let mut follower = Follower::new(db);
            while !stop.load(Ordering::Relaxed) {
                if tx.send(Msg::Store(follower.poll(&nudges))).is_err() {
                    return;
                }
                let until = std::time::Instant::now() + every;
                while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(20).min(every));
                }
            }
        })
        .expect("spawn the store thread")
}
