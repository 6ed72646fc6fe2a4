//! The console's frame at scale: 100,000 open tickets on a 200x50 terminal.
//! `cargo bench --bench console` (run by `scripts/bench-console`).
//!
//! - tick: the 1 Hz countdown tick (update) plus a frame (render, diff, encode);
//! - key: a cursor move plus a frame;
//! - change: one ticket's events changed (re-fold given, re-evaluate, re-sort) + frame;
//! - load: the first snapshot of 100,000 tickets into the board (evaluate and sort).
//!
//! Frames go through ratatui's crossterm backend into a counting sink, so the figure
//! includes diffing and escape-sequence encoding; the bytes per tick are printed.

use std::hint::black_box;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{criterion_group, Criterion};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use slawatch::store::TicketFacts;
use slawatch::tui::board::Board;
use slawatch::tui::state::State;
use slawatch::tui::update::{update, Msg, SourceMsg};
use slawatch::tui::{fixture, screen, Theme, ThemeName};

const N: usize = 100_000;
const W: u16 = 200;
const H: u16 = 50;

#[derive(Clone, Default)]
struct Sink(Arc<AtomicU64>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(b.len() as u64, Ordering::Relaxed);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn state(now: DateTime<Utc>) -> (State, Vec<TicketFacts>) {
    let mut s = fixture::empty_state();
    s.config_dir = None;
    let rows = fixture::snapshot(&fixture::events(2026, now, N));
    let tickets = rows.clone();
    update(
        &mut s,
        Msg::Source(SourceMsg::Loaded {
            tickets: rows,
            cursor: None,
        }),
        now,
    );
    update(&mut s, Msg::Resize(W, H), now);
    (s, tickets)
}

fn terminal(sink: Sink) -> Terminal<CrosstermBackend<Sink>> {
    Terminal::with_options(
        CrosstermBackend::new(sink),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, W, H)),
        },
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let t0: DateTime<Utc> = "2026-03-02T15:00:00Z".parse().unwrap();
    let (mut s, tickets) = state(t0);
    assert_eq!(s.board.len(), N);
    let theme = Theme::new(ThemeName::Dark, false);
    let sink = Sink::default();
    let mut term = terminal(sink.clone());
    let mut now = t0;
    term.draw(|f| screen::render(f, &s, &theme, now)).unwrap();

    // Bytes per tick: the mean over a minute of ticks.
    let before = sink.0.load(Ordering::Relaxed);
    let mut reevaluated = 0;
    for _ in 0..60 {
        now += TimeDelta::seconds(1);
        let v = s.board.version;
        update(&mut s, Msg::Tick, now);
        reevaluated += usize::from(s.board.version != v);
        term.draw(|f| screen::render(f, &s, &theme, now)).unwrap();
    }
    let per_tick = (sink.0.load(Ordering::Relaxed) - before) / 60;
    println!(
        "console: {N} tickets, {W}x{H}: {per_tick} bytes written per tick (full screen would be ~{} cells); \
         {reevaluated} of 60 ticks re-evaluated a ticket",
        W as u32 * H as u32
    );

    let mut g = c.benchmark_group("console_100k_200x50");
    g.bench_function("tick: update + render", |b| {
        b.iter(|| {
            now += TimeDelta::seconds(1);
            update(&mut s, Msg::Tick, now);
            term.draw(|f| screen::render(f, &s, &theme, now)).unwrap();
        })
    });
    let mut down = true;
    g.bench_function("key: cursor move + render", |b| {
        b.iter(|| {
            let code = if down { KeyCode::Down } else { KeyCode::Up };
            down = !down;
            update(
                &mut s,
                Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
                now,
            );
            term.draw(|f| screen::render(f, &s, &theme, now)).unwrap();
        })
    });
    let mut i = 0;
    g.bench_function(
        "change: one ticket re-evaluated and re-sorted + render",
        |b| {
            b.iter(|| {
                i = (i + 7919) % tickets.len();
                let t = tickets[i].clone();
                update(
                    &mut s,
                    Msg::Source(SourceMsg::Changed { tickets: vec![t] }),
                    now,
                );
                term.draw(|f| screen::render(f, &s, &theme, now)).unwrap();
            })
        },
    );
    g.bench_function("filter keystroke over 100k (text)", |b| {
        let mut on = false;
        b.iter(|| {
            on = !on;
            let code = if on { KeyCode::Char('/') } else { KeyCode::Esc };
            update(
                &mut s,
                Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
                now,
            );
            if on {
                update(
                    &mut s,
                    Msg::Key(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)),
                    now,
                );
            } else {
                update(
                    &mut s,
                    Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
                    now,
                );
            }
            term.draw(|f| screen::render(f, &s, &theme, now)).unwrap();
        })
    });
    g.sample_size(10);
    g.bench_function("load: first snapshot of 100k into the board", |b| {
        let (pols, cals) = slawatch::config::shipped();
        b.iter_batched(
            || (Board::new(pols.clone(), cals, "alice"), tickets.clone()),
            |(mut board, input)| {
                board.load(input, now);
                black_box(board.len());
                board
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    // `cargo test --all-targets` runs this binary without `--bench`: building 100,000
    // tickets in a debug build is no test.
    if !std::env::args().any(|a| a == "--bench") {
        println!("console: run with `cargo bench --bench console` (or scripts/bench-console)");
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
