//! Desktop notifications (notify-rust over the D-Bus session bus), off the caller's
//! thread. A [`Notifier`] owns one thread that sends; [`Notifier::notify`] only queues.
//! Every D-Bus call is bounded by a timeout (a hung notification daemon would
//! otherwise freeze its caller for D-Bus's 25 s), and "no session bus" or "no
//! notification server" is found out once, reported as [`DesktopState`], and looked
//! into again at most every [`REPROBE`] rather than at every nudge.
//!
//! When more than `burst` nudges are queued at once (a start after hours away, say),
//! they go out as one summary notification instead of a wall of pop-ups.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use notify_rust::{Notification, NotificationHandle, Urgency};

use super::nudge::Nudge;
use crate::escape::markup;

/// How long a notifier that found no server waits before it looks again.
pub const REPROBE: Duration = Duration::from_secs(30);
/// At most this many notifications wait for an action at once (each holds a D-Bus
/// connection and a thread); later ones are sent without buttons.
const MAX_ACTION_WAITERS: usize = 16;
/// Lines of a burst summary's body.
const SUMMARY_LINES: usize = 6;

static ICON: &[u8] = include_bytes!("../../assets/slawatch.svg");

#[derive(Clone, Debug)]
pub struct DesktopOptions {
    pub app_name: String,
    /// An icon file path or a themed icon name.
    pub icon: Option<String>,
    /// Bound on every D-Bus call.
    pub timeout: Duration,
    /// More than this many nudges queued at once go out as one summary; 0: never merge.
    pub burst: usize,
    /// Offer "Acknowledge" and "Open" where the server supports actions.
    pub actions: bool,
    /// Time zone of the times in bodies (the console's `timezone` setting); `None`:
    /// the system's.
    pub tz: Option<chrono_tz::Tz>,
}

impl DesktopOptions {
    /// The defaults with the shipped icon installed (see [`installed_icon`]).
    pub fn with_icon() -> Self {
        DesktopOptions {
            icon: installed_icon().map(|p| p.display().to_string()),
            ..DesktopOptions::default()
        }
    }
}

impl Default for DesktopOptions {
    fn default() -> Self {
        DesktopOptions {
            app_name: "slawatch".into(),
            icon: None,
            timeout: Duration::from_secs(3),
            burst: 3,
            actions: true,
            tz: None,
        }
    }
}

/// The shipped icon (`assets/slawatch.svg`) as a file a notification server can read:
/// written to the data directory once.
pub fn installed_icon() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "slawatch")?;
    let path = dirs.data_dir().join("icons").join("slawatch.svg");
    if std::fs::read(&path).ok().as_deref() != Some(ICON) {
        std::fs::create_dir_all(path.parent()?).ok()?;
        std::fs::write(&path, ICON).ok()?;
    }
    Some(path)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DesktopState {
    /// Not known yet (the first probe is under way).
    Probing,
    Ready {
        /// Server name and version, e.g. "dunst 1.9.0".
        server: String,
        actions: bool,
    },
    Unavailable {
        reason: String,
    },
}

impl DesktopState {
    /// The one line a header or `watch` shows, if anything is wrong.
    pub fn problem(&self) -> Option<String> {
        match self {
            DesktopState::Unavailable { reason } => {
                Some(format!("desktop notifications unavailable: {reason}"))
            }
            _ => None,
        }
    }

    /// One line for any state.
    pub fn describe(&self) -> String {
        match self {
            DesktopState::Probing => "desktop notifications: looking for a server".into(),
            DesktopState::Ready { server, actions } => format!(
                "desktop notifications: {server}{}",
                if *actions { " (with actions)" } else { "" }
            ),
            DesktopState::Unavailable { .. } => self.problem().unwrap_or_default(),
        }
    }
}

/// What a person clicked on a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NudgeAction {
    Acknowledge,
    Open,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DesktopEvent {
    State(DesktopState),
    /// The server accepted a notification about these tickets (several for a burst
    /// summary).
    Shown {
        tickets: Vec<String>,
        id: u32,
    },
    Failed {
        tickets: Vec<String>,
        error: String,
    },
    Action {
        ticket: String,
        action: NudgeAction,
    },
}

type Events = Arc<dyn Fn(DesktopEvent) + Send + Sync>;

enum Job {
    Nudge(Box<Nudge>),
    Stop,
}

/// Sends desktop notifications from its own thread. Clones share the thread, which
/// stops when the last clone is dropped.
#[derive(Clone)]
pub struct Notifier(Arc<Inner>);

struct Inner {
    tx: Mutex<Sender<Job>>,
    state: Arc<Mutex<DesktopState>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Notifier {
    /// Starts the thread; it probes for a server at once. `events` is called from the
    /// notifier's threads.
    pub fn spawn(
        options: DesktopOptions,
        events: impl Fn(DesktopEvent) + Send + Sync + 'static,
    ) -> Notifier {
        let (tx, rx) = std::sync::mpsc::channel();
        let state = Arc::new(Mutex::new(DesktopState::Probing));
        let worker = Worker {
            options,
            state: Arc::clone(&state),
            events: Arc::new(events),
            last_probe: None,
            waiters: Arc::new(AtomicUsize::new(0)),
        };
        let thread = std::thread::Builder::new()
            .name("slawatch-notify".into())
            .spawn(move || worker.run(rx))
            .expect("spawn the notifier thread");
        Notifier(Arc::new(Inner {
            tx: Mutex::new(tx),
            state,
            thread: Mutex::new(Some(thread)),
        }))
    }

    /// Queues a notification; never blocks.
    pub fn notify(&self, nudge: &Nudge) {
        let tx = self.0.tx.lock().unwrap_or_else(|p| p.into_inner());
        let _ = tx.send(Job::Nudge(Box::new(nudge.clone())));
    }

    /// The latest state (also reported by [`DesktopEvent::State`] on every change).
    pub fn state(&self) -> DesktopState {
        self.0
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self
            .tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(Job::Stop);
        // Do not wait on a hung D-Bus call: the process is leaving anyway.
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let deadline = Instant::now() + Duration::from_millis(200);
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

struct Worker {
    options: DesktopOptions,
    state: Arc<Mutex<DesktopState>>,
    events: Events,
    last_probe: Option<Instant>,
    waiters: Arc<AtomicUsize>,
}

impl Worker {
    fn run(mut self, rx: Receiver<Job>) {
        self.probe();
        while let Ok(job) = rx.recv() {
            let mut batch = Vec::new();
            let mut stop = false;
            for job in std::iter::once(job).chain(rx.try_iter()) {
                match job {
                    Job::Nudge(n) => batch.push(*n),
                    Job::Stop => stop = true,
                }
            }
            if !batch.is_empty() {
                self.send(batch);
            }
            if stop {
                return;
            }
        }
    }

    fn state(&self) -> DesktopState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_state(&self, s: DesktopState) {
        let mut cur = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if *cur != s {
            *cur = s.clone();
            drop(cur);
            (self.events)(DesktopEvent::State(s));
        }
    }

    fn probe(&mut self) {
        self.last_probe = Some(Instant::now());
        let s = probe(self.options.timeout);
        self.set_state(s);
    }

    fn send(&mut self, mut batch: Vec<Nudge>) {
        if let DesktopState::Unavailable { reason } = self.state() {
            if self.last_probe.is_some_and(|t| t.elapsed() < REPROBE) {
                let tickets = batch.into_iter().map(|n| n.ticket).collect();
                (self.events)(DesktopEvent::Failed {
                    tickets,
                    error: reason,
                });
                return;
            }
            self.probe();
        }
        let actions = matches!(self.state(), DesktopState::Ready { actions: true, .. })
            && self.options.actions;
        if self.options.burst > 0 && batch.len() > self.options.burst {
            batch.sort_by_key(|n| (!n.is_breach(), n.due));
            let tickets: Vec<String> = batch.iter().map(|n| n.ticket.clone()).collect();
            let note = summary_notification(&self.options, &batch);
            self.show(note, tickets, None);
            return;
        }
        for n in batch {
            let mut note = notification(&self.options, &n);
            let with_actions = actions && self.waiters.load(Ordering::Relaxed) < MAX_ACTION_WAITERS;
            if with_actions {
                note.action("default", "Open")
                    .action("acknowledge", "Acknowledge")
                    .action("open", "Open");
            }
            self.show(
                note,
                vec![n.ticket.clone()],
                with_actions.then_some(n.ticket),
            );
            if matches!(self.state(), DesktopState::Unavailable { .. }) {
                return;
            }
        }
    }

    /// Shows one notification; with `wait_for` set, a thread waits for its action.
    fn show(&mut self, note: Notification, tickets: Vec<String>, wait_for: Option<String>) {
        match show_with_timeout(&note, self.options.timeout) {
            Ok(handle) => {
                (self.events)(DesktopEvent::Shown {
                    tickets,
                    id: handle.id(),
                });
                if let Some(ticket) = wait_for {
                    self.wait_for_action(handle, ticket);
                }
            }
            Err(e) => {
                if e.unavailable {
                    self.set_state(DesktopState::Unavailable {
                        reason: e.message.clone(),
                    });
                }
                (self.events)(DesktopEvent::Failed {
                    tickets,
                    error: e.message,
                });
            }
        }
    }

    fn wait_for_action(&self, handle: NotificationHandle, ticket: String) {
        let events = Arc::clone(&self.events);
        let waiters = Arc::clone(&self.waiters);
        waiters.fetch_add(1, Ordering::Relaxed);
        let spawned = std::thread::Builder::new()
            .name("slawatch-notify-action".into())
            .spawn(move || {
                handle.wait_for_action(|action| {
                    let action = match action {
                        "acknowledge" => Some(NudgeAction::Acknowledge),
                        "open" | "default" => Some(NudgeAction::Open),
                        _ => None,
                    };
                    if let Some(action) = action {
                        events(DesktopEvent::Action { ticket, action });
                    }
                });
                waiters.fetch_sub(1, Ordering::Relaxed);
            });
        if spawned.is_err() {
            self.waiters.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

fn notification(options: &DesktopOptions, n: &Nudge) -> Notification {
    let mut note = base(options);
    let body = match options.tz {
        Some(tz) => n.body(&tz),
        None => n.body(&chrono::Local),
    };
    note.summary(&markup::summary(&n.summary()))
        .body(&markup::body(&body))
        .urgency(if n.is_breach() {
            Urgency::Critical
        } else {
            Urgency::Normal
        });
    note
}

fn summary_notification(options: &DesktopOptions, batch: &[Nudge]) -> Notification {
    let breached = batch.iter().filter(|n| n.is_breach()).count();
    let summary = if breached > 0 {
        format!("{} SLA nudges, {breached} breached", batch.len())
    } else {
        format!("{} SLA warnings", batch.len())
    };
    let mut lines: Vec<String> = batch
        .iter()
        .take(SUMMARY_LINES)
        .map(|n| {
            if n.customer.is_empty() {
                n.summary()
            } else {
                format!("{} ({})", n.summary(), n.customer)
            }
        })
        .collect();
    if batch.len() > SUMMARY_LINES {
        lines.push(format!(
            "… and {} more in the nudge log",
            batch.len() - SUMMARY_LINES
        ));
    }
    let mut note = base(options);
    note.summary(&markup::summary(&summary))
        .body(&markup::body(&lines.join("\n")))
        .urgency(if breached > 0 {
            Urgency::Critical
        } else {
            Urgency::Normal
        });
    note
}

fn base(options: &DesktopOptions) -> Notification {
    let mut note = Notification::new();
    note.appname(&options.app_name);
    if let Some(icon) = &options.icon {
        note.icon(icon);
    }
    note
}

/// A failed D-Bus exchange, in words a person can act on.
#[derive(Clone, Debug)]
pub struct DesktopError {
    pub message: String,
    /// No bus or no server: later calls would fail the same way.
    pub unavailable: bool,
}

impl std::fmt::Display for DesktopError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn classify(raw: &str) -> DesktopError {
    let bus_configured = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        || std::env::var_os("XDG_RUNTIME_DIR").is_some();
    classify_with(raw, bus_configured)
}

/// `bus_configured`: the environment names a session bus (without it no connection
/// can have been made, so any error but "no server" means "no bus").
fn classify_with(raw: &str, bus_configured: bool) -> DesktopError {
    let lower = raw.to_ascii_lowercase();
    let (message, unavailable) = if lower.contains("serviceunknown")
        || lower.contains("was not provided by any .service files")
        || lower.contains("name has no owner")
    {
        (
            "no notification server on the D-Bus session bus \
             (nothing owns org.freedesktop.Notifications)"
                .to_owned(),
            true,
        )
    } else if !bus_configured {
        (
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR are unset)"
                .to_owned(),
            true,
        )
    } else if lower.contains("address")
        || lower.contains("no such file")
        || lower.contains("connection refused")
        || lower.contains("i/o error")
        || lower.contains("handshake")
    {
        (format!("cannot reach the D-Bus session bus ({raw})"), true)
    } else {
        (format!("the notification server refused it: {raw}"), false)
    };
    DesktopError {
        message,
        unavailable,
    }
}

fn timed_out(timeout: Duration) -> DesktopError {
    DesktopError {
        message: format!(
            "the notification server did not answer within {} s",
            timeout.as_secs_f64()
        ),
        unavailable: true,
    }
}

/// Runs `f` on a helper thread and gives up waiting after `timeout` (the thread then
/// finishes, or fails on D-Bus's own timeout, on its own).
fn with_timeout<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("slawatch-dbus-call".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .ok()?;
    rx.recv_timeout(timeout).ok()
}

fn show_with_timeout(
    note: &Notification,
    timeout: Duration,
) -> Result<NotificationHandle, DesktopError> {
    use futures_lite::future::FutureExt;
    let show = async {
        note.show_async()
            .await
            .map_err(|e| classify(&e.to_string()))
    };
    let deadline = async {
        async_io::Timer::after(timeout).await;
        Err(timed_out(timeout))
    };
    async_io::block_on(show.or(deadline))
}

/// Who serves notifications on this session bus, within `timeout`.
pub fn probe(timeout: Duration) -> DesktopState {
    let answer = with_timeout(timeout, || {
        let info = notify_rust::get_server_information().map_err(|e| e.to_string())?;
        let caps = notify_rust::get_capabilities().unwrap_or_default();
        Ok::<_, String>((info, caps))
    });
    match answer {
        None => DesktopState::Unavailable {
            reason: timed_out(timeout).message,
        },
        Some(Err(raw)) => DesktopState::Unavailable {
            reason: classify(&raw).message,
        },
        Some(Ok((info, caps))) => DesktopState::Ready {
            server: format!("{} {}", info.name, info.version),
            actions: caps.iter().any(|c| c == "actions"),
        },
    }
}

/// Sends one notification and waits (at most `timeout` per call) for the server to
/// accept it: `notify-test`. Returns the server and the notification id.
pub fn send_one(
    options: &DesktopOptions,
    summary: &str,
    body: &str,
    urgency: Urgency,
) -> Result<(String, u32), DesktopError> {
    let server = match probe(options.timeout) {
        DesktopState::Ready { server, .. } => server,
        DesktopState::Unavailable { reason } => {
            return Err(DesktopError {
                message: reason,
                unavailable: true,
            })
        }
        DesktopState::Probing => unreachable!("probe always decides"),
    };
    let mut note = base(options);
    note.summary(&markup::summary(summary))
        .body(&markup::body(body))
        .urgency(urgency);
    let handle = show_with_timeout(&note, options.timeout)?;
    Ok((server, handle.id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Priority;
    use crate::notify::ThresholdKind;
    use crate::sla::calendar::MICROS_PER_MIN;
    use crate::sla::{Metric, Severity};

    fn nudge(ticket: &str, kind: ThresholdKind, due_in_min: i64) -> Nudge {
        let now = 1_772_445_600_000_000; // 2026-03-02T10:00:00Z
        Nudge {
            ticket: ticket.into(),
            customer: "acme-telecom".into(),
            title: "LOS".into(),
            priority: Priority::new(2).unwrap(),
            escalation: None,
            escalated_to: None,
            assignee: None,
            metric: Metric::Restore,
            kind,
            severity: if kind.is_breach() {
                Severity::Breached
            } else {
                Severity::Warning
            },
            cycle_start: now - 60 * MICROS_PER_MIN,
            target: 480 * MICROS_PER_MIN,
            threshold_at: now,
            due: now + due_in_min * MICROS_PER_MIN,
            fired_at: now,
            late: false,
            loud: true,
        }
    }

    #[test]
    fn a_burst_becomes_one_summary_breaches_first() {
        let mut batch: Vec<Nudge> = (0..8)
            .map(|i| nudge(&format!("T-{i}"), ThresholdKind::Percent(50), 60 + i))
            .collect();
        batch.push(nudge("T-B", ThresholdKind::Breach, 0));
        batch.sort_by_key(|n| (!n.is_breach(), n.due));
        let note = summary_notification(&DesktopOptions::default(), &batch);
        assert_eq!(note.summary, "9 SLA nudges, 1 breached");
        let lines: Vec<&str> = note.body.lines().collect();
        assert_eq!(lines.len(), SUMMARY_LINES + 1);
        assert_eq!(lines[0], "P2 T-B breached restore (acme-telecom)");
        assert_eq!(lines[1], "P2 T-0 breaches restore in 1 h (acme-telecom)");
        assert_eq!(lines[6], "… and 3 more in the nudge log");
        assert_eq!(note.appname, "slawatch");
    }

    #[test]
    fn one_nudge_one_notification_with_urgency_by_kind() {
        let opts = DesktopOptions {
            tz: Some(chrono_tz::UTC),
            icon: Some("/x/slawatch.svg".into()),
            ..DesktopOptions::default()
        };
        let warn = notification(&opts, &nudge("T-1", ThresholdKind::MinutesBefore(15), 15));
        assert_eq!(warn.summary, "P2 T-1 breaches restore in 15 min");
        assert!(warn.body.starts_with("acme-telecom — LOS\nNot escalated\n"));
        assert!(warn
            .hints
            .contains(&notify_rust::Hint::Urgency(Urgency::Normal)));
        assert_eq!(warn.icon, "/x/slawatch.svg");
        let breach = notification(&opts, &nudge("T-1", ThresholdKind::Breach, 0));
        assert!(breach
            .hints
            .contains(&notify_rust::Hint::Urgency(Urgency::Critical)));
    }

    #[test]
    fn untrusted_text_is_markup_escaped_in_bodies_and_sanitised_in_summaries() {
        let mut n = nudge("T-\u{1b}]0;x\u{7}<b>", ThresholdKind::MinutesBefore(15), 15);
        n.title = "<a href=\"http://evil\">x</a> <img src=y> R&D \u{9b}2J\u{202e}".into();
        n.customer = "<i>c</i>".into();
        n.escalated_to = Some("\u{1b}[2Jteam".into());
        n.escalation = Some(1);
        let note = notification(&DesktopOptions::default(), &n);
        assert_eq!(note.summary, "P2 T-<b> breaches restore in 15 min");
        assert!(
            note.body.starts_with(
                "&lt;i&gt;c&lt;/i&gt; — &lt;a href=&quot;http://evil&quot;&gt;x&lt;/a&gt; \
                 &lt;img src=y&gt; R&amp;D \nEscalation level 1 (team)\n"
            ),
            "{}",
            note.body
        );
        let burst = summary_notification(&DesktopOptions::default(), &[n.clone(), n]);
        assert!(
            burst.body.starts_with("P2 T-&lt;b&gt; breaches"),
            "{}",
            burst.body
        );
        for text in [&note.summary, &note.body, &burst.body] {
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{text:?}"
            );
            assert!(!text.contains('\u{202e}'));
        }
    }

    #[test]
    fn errors_say_what_is_missing() {
        let unknown = "org.freedesktop.DBus.Error.ServiceUnknown: The name \
                       org.freedesktop.Notifications was not provided by any .service files";
        for bus in [true, false] {
            let e = classify_with(unknown, bus);
            assert!(e.unavailable);
            assert!(e
                .message
                .starts_with("no notification server on the D-Bus session bus"));
        }
        let e = classify_with("I/O error: No such file or directory (os error 2)", false);
        assert!(e.unavailable);
        assert!(e.message.starts_with("no D-Bus session bus"));
        let e = classify_with("I/O error: Connection refused (os error 111)", true);
        assert!(e.unavailable);
        assert!(e
            .message
            .starts_with("cannot reach the D-Bus session bus (I/O error"));
        let e = classify_with("org.freedesktop.DBus.Error.InvalidArgs: bad hint", true);
        assert!(!e.unavailable);
        assert_eq!(
            e.message,
            "the notification server refused it: org.freedesktop.DBus.Error.InvalidArgs: bad hint"
        );
        assert_eq!(
            DesktopState::Unavailable {
                reason: "no D-Bus session bus".into()
            }
            .problem()
            .as_deref(),
            Some("desktop notifications unavailable: no D-Bus session bus")
        );
        assert_eq!(
            DesktopState::Ready {
                server: "dunst 1.9".into(),
                actions: true
            }
            .problem(),
            None
        );
    }
}
