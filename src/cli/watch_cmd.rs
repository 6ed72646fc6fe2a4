//! `slawatch watch`: the nudge scheduler with no console. Follows the open tickets of
//! a store file or of a server (`--server URL`), through the same [`Source`] as the
//! console, prints every nudge, and sends loud ones as desktop notifications, for
//! whoever does not keep the console open (run it as a systemd user service).
//!
//! On a server the user is the token's name, nudges are claimed there (one person
//! hears each nudge once across consoles and watchers), and an acknowledgement clicked
//! while the server cannot be reached waits in the outbox; what the outbox cannot
//! store when it is replayed is printed, never dropped.

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

use super::server_args::Server;
use super::stderr;
use super::watch_follow::{connect_for_write, Change, Follower, FollowingSentLog};
use crate::escape;
use crate::model::{Event, EventKind, Payload};
use crate::notify::{
    desktop_options, start, DesktopEvent, DesktopState, NudgeAction, NudgeHandle, NudgeMsg, Start,
};
use crate::sla::{Micros, Severity};
use crate::sync::{Connector, Expect, Link, LocalSource, Purpose, Source, SourceError};

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Whose nudges: the record of what was sent, and snoozes, are kept per user
    /// [default: the agent: $SLAWATCH_AGENT, else `agent` in config.toml, else the login
    /// name; on a --server, the token's name].
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Sound and pop-ups only from this level up; quieter nudges are still printed.
    /// Breaches are never muted.
    #[arg(long, value_enum, default_value = "off")]
    pub quiet: Quiet,
    /// Seconds between looks at the store for new events (a --server's feed tells at
    /// once).
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

/// What `watch` follows.
pub enum On {
    File(PathBuf),
    Server(Server),
}

enum Msg {
    Nudge(NudgeMsg),
    Desktop(DesktopEvent),
    Store(Result<Option<Change>, String>),
    /// How the link to the server stands, when it changed.
    Link(Link),
    /// An event the outbox could not store when it replayed it, and why.
    Unstored(Box<Event>, String),
}

/// Where the tickets come from, with what the operator is told about it.
struct Place {
    connect: Connector,
    /// The store file (watched for being replaced or deleted), `None` on a server.
    file: Option<PathBuf>,
    /// `the open tickets in PATH` or `the open tickets on URL as NAME`.
    words: String,
}

impl Place {
    fn what(&self) -> &'static str {
        if self.file.is_some() {
            "the store"
        } else {
            "the server"
        }
    }
}

pub fn run(args: WatchArgs, on: On) -> anyhow::Result<()> {
    // The console's configuration: the same policies, calendars, agent name and
    // time zone, so that console and watch agree on every nudge and on whose it is.
    let dir = crate::tui::settings::config_dir();
    let cfg = crate::tui::load_config(dir.as_deref())
        .map_err(|e| anyhow!("watch cannot start, the configuration has errors:\n{e}"))?;
    let flag = match &args.user {
        Some(u) if !u.trim().is_empty() => Some(u.trim().to_owned()),
        Some(_) => bail!("--user: expected a name"),
        None => None,
    };
    if !(args.poll > 0.0 && args.poll.is_finite()) {
        bail!(
            "--poll: expected a positive number of seconds, found {}",
            args.poll
        );
    }
    let (place, user) = match on {
        On::File(db) => {
            // Open (and upgrade) the store before anything starts: a bad path is one
            // error.
            LocalSource::new(&db, Purpose::Write)
                .writable()
                .map_err(|e| anyhow!("{e}"))?;
            let place = Place {
                connect: LocalSource::connector(&db),
                words: format!("the open tickets in {}", db.display()),
                file: Some(db),
            };
            // The console's agent (crate::agent decides), so both agree on whose nudges.
            (place, flag.unwrap_or_else(|| cfg.settings.agent.clone()))
        }
        On::Server(server) => {
            let remote = server.connect(cfg.settings.token_file.as_deref())?;
            let name = remote.user().to_owned();
            if let Some(u) = flag.filter(|u| *u != name) {
                bail!("--user {u}: on a server the nudges are the token's, {name}'s (the server claims them for its name); leave out --user or use {u}'s token");
            }
            let place = Place {
                connect: remote.connector(),
                words: format!("the open tickets on {}", remote.place()),
                file: None,
            };
            (place, name)
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // The place outlives the runtime's task: a server's transport has a runtime of its
    // own, which must not be dropped inside another's.
    runtime.block_on(watch(args, user, &place, cfg))
}

async fn watch(
    args: WatchArgs,
    user: String,
    place: &Place,
    cfg: crate::tui::Config,
) -> anyhow::Result<()> {
    let tz = cfg.settings.zone();
    let (tx, mut rx) = unbounded_channel::<Msg>();
    stderr::line(format_args!(
        "slawatch watch: nudging {user} about {}",
        place.words
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
            FollowingSentLog::new(place.connect.clone(), place.file.clone()),
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
        Follower::new(place.connect.clone(), place.file.clone()),
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
        place,
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
    place: &'a Place,
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
            Msg::Store(Ok(change)) => match (change, &self.place.file) {
                (Some(change), Some(db)) => stderr::line(change.describe(db)),
                _ => {
                    if self.store_error.take().is_some() {
                        stderr::line(format_args!("{} answers again", self.place.what()));
                    }
                }
            },
            Msg::Store(Err(e)) => {
                // A server's message counts down to its next try: told once.
                let news = match &self.store_error {
                    None => true,
                    Some(old) => self.place.file.is_some() && *old != e,
                };
                if news {
                    stderr::line(format_args!(
                        "cannot follow {}: {e}; retrying",
                        self.place.what()
                    ));
                    self.store_error = Some(e);
                }
            }
            Msg::Link(link) => stderr::line(link_words(&link, self.tz)),
            Msg::Unstored(event, why) => stderr::line(format_args!(
                "{}: the {} recorded by {} at {} was not stored: {why}",
                event.ticket,
                event.kind.as_str(),
                event.actor,
                local(event.recorded_at.timestamp_micros(), self.tz)
            )),
        }
    }

    async fn action(&mut self, ticket: String, action: NudgeAction) {
        match action {
            NudgeAction::Acknowledge => {
                let (connect, file) = (self.place.connect.clone(), self.place.file.clone());
                let (user, t) = (self.user.to_owned(), ticket.clone());
                let done = tokio::task::spawn_blocking(move || {
                    acknowledge(&connect, file.as_deref(), &user, &t)
                })
                .await;
                match done {
                    Ok(Ok(())) => stderr::line(format_args!(
                        "{ticket}: acknowledged from the desktop notification"
                    )),
                    // A server's outbox keeps it: it goes when the server answers.
                    Ok(Err(SourceError::Unreachable(e))) if self.place.file.is_none() => {
                        stderr::line(format_args!(
                            "{ticket}: the acknowledgement is kept until the server answers: {e}"
                        ))
                    }
                    Ok(Err(e)) => stderr::line(format_args!(
                        "{ticket}: could not record the acknowledgement: {e}"
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

/// Records an acknowledgement by `user` now, through the source.
fn acknowledge(
    connect: &Connector,
    file: Option<&Path>,
    user: &str,
    ticket: &str,
) -> Result<(), SourceError> {
    let mut source = connect_for_write(connect, file)?;
    let now = Utc::now();
    let mut payload = Payload::new();
    payload.insert("via".into(), json!("desktop notification"));
    let event = Event::new(ticket, EventKind::Acknowledged, now, now, user, payload);
    source.append(&event, &Expect::Any).map(|_| ())
}

/// The link to the server in words: `online`, or since when it is unreachable, and
/// what waits in the outbox.
fn link_words(link: &Link, tz: chrono_tz::Tz) -> String {
    let state = match link.offline_since {
        Some(since) => format!("{} unreachable since {}", link.place, local(since, tz)),
        None => format!("{} answers", link.place),
    };
    let mut words = vec![state];
    if link.queued > 0 {
        words.push(format!("{} event(s) queued in the outbox", link.queued));
    }
    if link.undecided > 0 {
        words.push(format!(
            "{} event(s) in the outbox need a decision in the console",
            link.undecided
        ));
    }
    words.join("; ")
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

/// Follows the source on its own thread: every open ticket first, then the change feed
/// every `every` (a server's when it has news), each touched ticket's facts as they now
/// are; and tells how the link to a server stands and what its outbox could not store.
fn spawn_poller(
    mut follower: Follower,
    every: Duration,
    nudges: NudgeHandle,
    tx: UnboundedSender<Msg>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("slawatch-watch-store".into())
        .spawn(move || {
            let mut link: Option<Link> = None;
            while !stop.load(Ordering::Relaxed) {
                let polled = follower.poll(&nudges);
                let mut told = vec![Msg::Store(polled)];
                let now = follower.link();
                // The freshness moves at every answer: only the state is news.
                let news = |a: &Link, b: &Link| {
                    (a.offline_since.is_some(), a.queued, a.undecided)
                        != (b.offline_since.is_some(), b.queued, b.undecided)
                };
                if let Some(l) = now.filter(|l| link.as_ref().is_none_or(|old| news(old, l))) {
                    link = Some(l.clone());
                    told.push(Msg::Link(l));
                }
                for (event, why) in follower.notices() {
                    told.push(Msg::Unstored(Box::new(event), why));
                }
                for m in told {
                    if tx.send(m).is_err() {
                        return;
                    }
                }
                let until = std::time::Instant::now() + follower.pause(every);
                while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(20).min(every));
                }
            }
        })
        .expect("spawn the store thread")
}
