//! The terminal and the event loop: one UI task owns the state; input, the 1 Hz tick,
//! signals and the store worker feed it messages. It redraws only when something
//! changed (at most once per 16 ms), each frame in synchronized output, and restores
//! the terminal on quit, error, panic and SIGTERM/SIGHUP/SIGINT.

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event as TermEvent, MouseButton, MouseEventKind,
};
use ratatui::crossterm::terminal::{
    self, BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen,
    LeaveAlternateScreen,
};
use ratatui::crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use tokio::signal::unix::{signal, SignalKind};

use super::screen;
use super::state::State;
use super::theme::Theme;
use super::update::{update, Effect, Msg, SourceMsg};
use crate::sync::feed::{Command, Feed};
use crate::sync::supervise::Report;

/// Counts the bytes that reach the terminal (for the per-tick figure).
pub struct Counting<W> {
    inner: W,
    pub bytes: Arc<AtomicU64>,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W> Counting<W> {
    pub fn new(inner: W) -> Self {
        Counting {
            inner,
            bytes: Arc::new(AtomicU64::new(0)),
        }
    }
}

type Term = Terminal<CrosstermBackend<Counting<BufWriter<Stdout>>>>;

/// Leaves the terminal as it was found. Safe to call more than once.
pub fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
}

/// Restores the terminal when dropped, whatever way the loop ends.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Set when a part of the console that is not supervised panicked: the terminal is
/// restored and the panic printed, so the loop must stop drawing and end.
static PANICKED: AtomicBool = AtomicBool::new(false);

fn install_panic_hook() {
    crate::sync::supervise::install_hook(|| {
        restore_terminal();
        PANICKED.store(true, Ordering::SeqCst);
    });
}

/// Figures for `scripts/bench-console`, written to `$SLAWATCH_STATS` on exit.
#[derive(Default, serde::Serialize)]
pub struct Stats {
    pub first_frame_ms: Option<f64>,
    pub first_data_frame_ms: Option<f64>,
    pub tickets: usize,
    pub frames: u64,
    pub bytes: u64,
    /// Bytes written by frames that only a countdown tick caused.
    pub tick_frame_bytes: Vec<u64>,
    /// update + render time of those frames, in microseconds.
    pub tick_frame_us: Vec<u64>,
    /// update + render time of the frames a key alone caused (the filter prompt
    /// closed), in microseconds.
    pub key_frame_us: Vec<u64>,
    /// The same for keys typed into the queue's filter prompt (each filters the queue).
    pub filter_frame_us: Vec<u64>,
    /// Longest update + render of any frame, in microseconds.
    pub max_frame_us: u64,
    /// When the first part of the snapshot reached the UI, since start: what the
    /// source took to answer at all (a server's whole answer is read before it).
    pub snapshot_first_chunk_ms: Option<f64>,
    /// When the store worker's snapshot was complete (all rows read), since start.
    pub snapshot_read_ms: Option<f64>,
    /// UI time spent evaluating the snapshot's chunks as they arrived.
    pub snapshot_eval_ms: f64,
    /// CPU time (user + system) at the first frame with the tickets: the whole
    /// process, and the UI thread alone (Linux; 10 ms resolution). On a machine with
    /// no other work, the wall time is about the busiest thread's CPU time.
    pub cpu_ms_at_first_data_frame: Option<f64>,
    pub ui_thread_cpu_ms_at_first_data_frame: Option<f64>,
}

pub struct Console {
    pub state: State,
    pub theme: Theme,
    /// Where the data comes from, and how often its change feed is read.
    pub source: (crate::sync::Connector, Duration),
    pub started: Instant,
    /// What the compliance worker computes with.
    pub compliance: super::compliance::Setup,
    /// The nudge service's configuration (`None`: no nudges).
    pub nudges: Option<super::nudges::Setup>,
}

/// What brought a frame about, for the stats: the last thing that asked for it
/// (whose update the frame's time counts from): a tick, a key, or anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cause {
    Tick,
    Key,
    FilterKey,
    Other,
}

/// The most nudge messages one turn of the loop takes.
const NUDGES_PER_TURN: usize = 512;

pub fn run(c: Console) -> anyhow::Result<()> {
    crate::heap::arena_per_core();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(event_loop(c))
}

async fn event_loop(c: Console) -> anyhow::Result<()> {
    let Console {
        mut state,
        theme,
        source: (connect, poll),
        started,
        compliance,
        nudges,
    } = c;
    let (ntx, mut nrx) = tokio::sync::mpsc::unbounded_channel();
    let nudges = nudges.map(|n| super::nudges::spawn(n, ntx));
    state.nudges.active = nudges.is_some();
    let nudge_handle = nudges.as_ref().map(|n| n.handle());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let feed = nudge_handle.clone().map(super::nudges::Feed::new);
    // Worker panics: restarts show in the header, a worker given up ends the console.
    let (wtx, mut wrx) = tokio::sync::mpsc::unbounded_channel::<Report>();
    let wtx2 = wtx.clone();
    install_panic_hook();
    // The snapshot is evaluated before it reaches the UI, which only inserts the
    // entries, so it draws and takes keys while 100,000 load.
    let loader =
        super::loader::Loader::new(state.board.evaluator(), feed, move |m| tx.send(m).is_ok());
    let source = Feed::spawn(
        connect,
        poll,
        move |m| loader.pass(m),
        move |r| {
            let _ = wtx.send(r);
        },
    )?;
    let (ctx, mut crx) = tokio::sync::mpsc::unbounded_channel();
    let worker = super::compliance::Worker::spawn(
        compliance,
        move |r| ctx.send(r).is_ok(),
        move |r| {
            let _ = wtx2.send(r);
        },
    )?;

    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;

    terminal::enable_raw_mode()?;
    let _guard = Guard;
    let counting = Counting::new(BufWriter::with_capacity(1 << 16, io::stdout()));
    let bytes = counting.bytes.clone();
    let mut term: Term = Terminal::new(CrosstermBackend::new(counting))?;
    execute!(
        term.backend_mut(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    if state.mouse {
        execute!(term.backend_mut(), EnableMouseCapture)?;
    }
    term.clear()?;
    let size = term.size()?;
    update(&mut state, Msg::Resize(size.width, size.height), Utc::now());

    let mut stats = Stats::default();
    let (_input, mut events) = super::input::spawn()?;
    // Tick on whole seconds of the wall clock, so countdowns change together.
    let sub = Utc::now().timestamp_subsec_micros();
    let first = tokio::time::Instant::now()
        + Duration::from_micros(u64::from(1_000_000 - sub.min(999_999)));
    let mut tick = tokio::time::interval_at(first, Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut dirty = true;
    let mut cause: Option<Cause> = None;
    let mut last_draw: Option<Instant> = None;
    let mut work_started = Instant::now();
    let mut failure: Option<String> = None;
    const FRAME: Duration = Duration::from_millis(16);
    loop {
        if PANICKED.load(Ordering::SeqCst) {
            failure =
                Some("a part of the console panicked (see the message above); it stopped".into());
            break;
        }
        if dirty {
            let since = last_draw.map_or(FRAME, |t| t.elapsed());
            if since >= FRAME {
                let before = bytes.load(Ordering::Relaxed);
                draw(&mut term, &state, &theme)?;
                let written = bytes.load(Ordering::Relaxed) - before;
                let us = work_started.elapsed().as_micros() as u64;
                stats.frames += 1;
                stats.max_frame_us = stats.max_frame_us.max(us);
                if stats.first_frame_ms.is_none() {
                    stats.first_frame_ms = Some(started.elapsed().as_secs_f64() * 1e3);
                }
                if state.source.loaded && stats.first_data_frame_ms.is_none() {
                    stats.first_data_frame_ms = Some(started.elapsed().as_secs_f64() * 1e3);
                    stats.cpu_ms_at_first_data_frame = cpu_ms("/proc/self/stat");
                    stats.ui_thread_cpu_ms_at_first_data_frame = cpu_ms("/proc/thread-self/stat");
                    stats.tickets = state.board.len();
                } else if stats.first_data_frame_ms.is_some() {
                    match cause {
                        Some(Cause::Tick) => {
                            stats.tick_frame_bytes.push(written);
                            stats.tick_frame_us.push(us);
                        }
                        Some(Cause::Key) => stats.key_frame_us.push(us),
                        Some(Cause::FilterKey) => stats.filter_frame_us.push(us),
                        Some(Cause::Other) | None => {}
                    }
                }
                dirty = false;
                cause = None;
                last_draw = Some(Instant::now());
            }
        }
        let wait = if dirty {
            FRAME.saturating_sub(last_draw.map_or(FRAME, |t| t.elapsed()))
        } else {
            Duration::from_secs(3600)
        };
        let mut effects = Vec::new();
        tokio::select! {
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            _ = sigint.recv() => break,
            ev = events.recv() => {
                work_started = Instant::now();
                cause = Some(Cause::Other);
                match ev {
                    Some(Ok(TermEvent::Key(k))) => {
                        effects = update(&mut state, Msg::Key(k), Utc::now());
                        let filter = matches!(state.overlay, Some(super::overlay::Overlay::Filter(_)));
                        cause = Some(if filter { Cause::FilterKey } else { Cause::Key });
                    }
                    Some(Ok(TermEvent::Paste(p))) => effects = update(&mut state, Msg::Paste(p), Utc::now()),
                    Some(Ok(TermEvent::Resize(w, h))) => {
                        effects = update(&mut state, Msg::Resize(w, h), Utc::now());
                    }
                    Some(Ok(TermEvent::Mouse(m))) => {
                        if let Some(msg) = mouse_msg(&state, m) {
                            effects = update(&mut state, msg, Utc::now());
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                    None => {
                        failure = Some("the terminal input stopped".into());
                        break;
                    }
                }
                dirty = true;
            }
            Some(m) = rx.recv() => {
                work_started = Instant::now();
                cause = Some(Cause::Other);
                effects = on_source(&mut state, &mut stats, m, started);
                // Take whatever else is waiting before drawing, but no more than one
                // snapshot chunk per turn, so keys and ticks are served while it loads.
                while !state.board.is_loading() {
                    let Ok(m) = rx.try_recv() else { break };
                    effects.extend(on_source(&mut state, &mut stats, m, started));
                }
                dirty = true;
            }
            Some(ev) = nrx.recv() => {
                work_started = Instant::now();
                cause = Some(Cause::Other);
                effects = update(&mut state, Msg::Nudge(ev), Utc::now());
                // A first start can fire a late nudge for every clock at once: take them
                // in turns, so keys and ticks are served in between.
                for _ in 1..NUDGES_PER_TURN {
                    let Ok(ev) = nrx.try_recv() else { break };
                    effects.extend(update(&mut state, Msg::Nudge(ev), Utc::now()));
                }
                dirty = true;
            }
            Some(r) = crx.recv() => {
                work_started = Instant::now();
                cause = Some(Cause::Other);
                effects = update(&mut state, Msg::Compliance(r), Utc::now());
                dirty = true;
            }
            Some(r) = wrx.recv() => {
                if let Report::GaveUp { worker, panic } = &r {
                    failure = Some(format!("the {worker} worker kept panicking and was stopped: {panic}"));
                    break;
                }
                effects = update(&mut state, Msg::Worker(r), Utc::now());
                dirty = true;
            }
            _ = tick.tick() => {
                if !dirty {
                    work_started = Instant::now();
                    cause = Some(Cause::Tick);
                }
                effects = update(&mut state, Msg::Tick, Utc::now());
                dirty = true;
            }
            _ = tokio::time::sleep(wait), if dirty => {}
        }
        // One bell per turn however many nudges asked for it.
        let mut rang = false;
        for e in effects {
            match e {
                Effect::Append { event, seen } => source.send(Command::Append { event, seen }),
                Effect::LoadHistory(t) => source.send(Command::History(t)),
                Effect::LoadClosed(q) => source.send(Command::Closed(q)),
                Effect::Bell if rang => {}
                Effect::Bell => {
                    rang = true;
                    let _ = term.backend_mut().write_all(b"\x07");
                }
                Effect::Redraw => {
                    term.clear()?;
                    dirty = true;
                }
                Effect::Quit => {}
                Effect::Compliance(r) => worker.send(r),
                Effect::Decide { id, decision } => source.send(Command::Decide(id, decision)),
                Effect::Snooze { .. } | Effect::Unsnooze(_) => {
                    if let Some(h) = &nudge_handle {
                        super::nudges::apply(h, &e);
                    }
                }
            }
        }
        if state.quit {
            break;
        }
    }
    drop(source);
    drop(worker);
    if let Some(n) = nudges {
        // It finishes the batch it is delivering; a hung store must not hold the exit.
        let _ = tokio::time::timeout(Duration::from_millis(500), n.stop()).await;
    }
    drop(_guard);
    if let Some(path) = std::env::var_os("SLAWATCH_STATS") {
        stats.bytes = bytes.load(Ordering::Relaxed);
        std::fs::write(path, serde_json::to_string_pretty(&stats)?)?;
    }
    match failure {
        Some(why) => Err(anyhow::anyhow!(why)),
        None => Ok(()),
    }
}

/// utime + stime of a /proc stat file, in milliseconds.
fn cpu_ms(path: &str) -> Option<f64> {
    let s = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may hold spaces) start after ") ".
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0)
}

/// One message from the store worker, with the snapshot's figures for the stats.
fn on_source(state: &mut State, stats: &mut Stats, m: Msg, started: Instant) -> Vec<Effect> {
    let last = matches!(m, Msg::Source(SourceMsg::Loaded { .. }));
    let snapshot = last || matches!(m, Msg::Evaluated { .. });
    let at = || Some(started.elapsed().as_secs_f64() * 1e3);
    if snapshot && stats.snapshot_first_chunk_ms.is_none() {
        stats.snapshot_first_chunk_ms = at();
    }
    if last {
        stats.snapshot_read_ms = at();
    }
    let t = Instant::now();
    let effects = update(state, m, Utc::now());
    if snapshot {
        stats.snapshot_eval_ms += t.elapsed().as_secs_f64() * 1e3;
    }
    if last {
        // The snapshot's decoding buffers are freed now; hand the pages back.
        crate::heap::trim();
    }
    effects
}

fn draw(term: &mut Term, state: &State, theme: &Theme) -> io::Result<()> {
    queue!(term.backend_mut(), BeginSynchronizedUpdate)?;
    term.draw(|f| screen::render(f, state, theme, Utc::now()))?;
    execute!(term.backend_mut(), EndSynchronizedUpdate)?;
    Ok(())
}

/// The message a mouse event makes: a left click on what it lands on, or the wheel
/// (three rows a notch).
fn mouse_msg(state: &State, m: ratatui::crossterm::event::MouseEvent) -> Option<Msg> {
    match m.kind {
        MouseEventKind::ScrollDown => Some(Msg::Scroll(3)),
        MouseEventKind::ScrollUp => Some(Msg::Scroll(-3)),
        MouseEventKind::Down(MouseButton::Left) => {
            let area = ratatui::layout::Rect::new(0, 0, state.size.0, state.size.1);
            super::screen::hit(area, state, m.column, m.row).map(Msg::Click)
        }
        _ => None,
    }
}
