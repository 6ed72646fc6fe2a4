//! Terminal text against a real terminal: every string of a corpus, made clean by
//! `escape::terminal`, is drawn by tmux (the reference terminal), and the columns tmux
//! gives it must be the width the program computes, both `terminal::width` and what
//! ratatui lays out. A mismatch is what leaves stray glyphs of earlier frames.
//!
//! Each corpus row is drawn over a ruler of `|` and the ruler left over counts the
//! columns tmux used. Without tmux this test skips loudly, and fails when
//! SLAWATCH_REQUIRE_SERVICES=1 (as CI sets).

use std::process::Command;
use std::time::{Duration, Instant};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use slawatch::escape::terminal;

const RULER: usize = 60;

/// Text of every kind that has made widths disagree, and ordinary text beside it.
const CORPUS: &[(&str, &str)] = &[
    ("ascii", "LOS on LDN-FRA-7"),
    ("cjk", "日本語のチケット"),
    ("hangul syllables", "회선 장애"),
    ("hangul jamo to compose", "\u{1100}\u{1161}\u{11a8}"),
    ("hangul lone vowel jamo", "a\u{1161}b"),
    ("hangul fillers", "\u{115f}\u{1160}x\u{3164}y\u{ffa0}z"),
    ("combining accents", "cafe\u{301} re\u{301}sume\u{301}"),
    ("leading combining mark", "\u{301}\u{308}x"),
    (
        "zwj family",
        "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}\u{200d}\u{1f466}",
    ),
    ("zwj profession", "\u{1f469}\u{200d}\u{1f4bb} on call"),
    ("zwj between letters", "a\u{200d}b"),
    ("emoji", "\u{1f6a8} P1 \u{1f525}"),
    ("vs16 heart", "\u{2764}\u{fe0f} ok"),
    ("vs15 text presentation", "\u{1f600}\u{fe0e}"),
    ("keycap", "1\u{fe0f}\u{20e3}"),
    ("skin tone", "\u{1f44d}\u{1f3fd}"),
    ("flag", "\u{1f1ec}\u{1f1e7}\u{1f1e9}\u{1f1ea}"),
    ("lone regional indicator", "\u{1f1ec}x"),
    (
        "tag sequence flag",
        "\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}",
    ),
    ("tag characters", "a\u{e0041}\u{e0042}b"),
    ("line separator", "one\u{2028}two\u{2029}three"),
    ("bidi controls", "abc\u{202e}fed\u{202c} \u{2067}x\u{2069}"),
    (
        "zero width space and joiner",
        "a\u{200b}b\u{2060}c\u{feff}d",
    ),
    ("soft hyphen", "soft\u{ad}hyphen"),
    (
        "escape sequences",
        "\u{1b}]0;title\u{7}\u{1b}[2Jcleared\u{9b}31m",
    ),
    ("controls", "tab\tbell\u{7}nel\u{85}del\u{7f}"),
    (
        "arabic",
        "\u{627}\u{644}\u{639}\u{631}\u{628}\u{64a}\u{629}",
    ),
    ("arabic lam alef", "\u{644}\u{627}"),
    ("hebrew", "\u{5e9}\u{5dc}\u{5d5}\u{5dd}"),
    (
        "devanagari",
        "\u{915}\u{94d}\u{937} \u{928}\u{92e}\u{938}\u{94d}\u{924}\u{947}",
    ),
    (
        "thai",
        "\u{e01}\u{e33} \u{e2a}\u{e27}\u{e31}\u{e2a}\u{e14}\u{e35}",
    ),
    ("fullwidth", "ＡＢＣ１２３"),
    ("halfwidth katakana", "ｱｲｳ"),
    ("box and symbols", "─│┌ ° € ™ …"),
    ("private use", "\u{e000}x"),
];

fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("SLAWATCH_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("tmux is required (SLAWATCH_REQUIRE_SERVICES=1) but not installed");
        }
        eprintln!("\n!!! SKIPPED: tmux is not installed, terminal widths were not checked !!!\n");
    }
    ok
}

/// The columns ratatui gives `s` when it draws it.
fn ratatui_width(s: &str) -> usize {
    let mut buf = Buffer::empty(Rect::new(0, 0, 200, 1));
    let (x, _) = buf.set_stringn(0, 0, s, 200, Style::default());
    usize::from(x)
}

#[test]
fn every_clean_cell_is_as_wide_as_tmux_draws_it() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = CORPUS.iter().map(|(_, s)| terminal::clean(s)).collect();
    let mut text = String::new();
    for row in &rows {
        assert!(!row.contains('|'), "{row:?}");
        text.push_str(&"|".repeat(RULER));
        text.push('\r');
        text.push_str(row);
        text.push('\n');
    }
    let file = dir.path().join("corpus.txt");
    std::fs::write(&file, text).unwrap();
    let socket = format!("slawatch-widths-{}", std::process::id());
    let tmux = |args: &[&str]| {
        // -u: UTF-8 whatever the locale says.
        Command::new("tmux")
            .arg("-u")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .env("TERM", "xterm-256color")
            .env("LC_ALL", "C.UTF-8")
            .output()
            .expect("run tmux")
    };
    let height = (rows.len() + 2).to_string();
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        "w",
        "-x",
        "100",
        "-y",
        &height,
        &format!("cat {}; sleep 60", file.display()),
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let screen = loop {
        let out = tmux(&["capture-pane", "-p", "-t", "w"]);
        let screen = String::from_utf8_lossy(&out.stdout).into_owned();
        if screen.lines().filter(|l| l.contains('|')).count() >= rows.len() {
            break screen;
        }
        if Instant::now() > deadline {
            tmux(&["kill-server"]);
            panic!("tmux did not draw the corpus:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    tmux(&["kill-server"]);
    let mut wrong = Vec::new();
    for (((name, raw), row), line) in CORPUS.iter().zip(&rows).zip(screen.lines()) {
        let left = line.chars().rev().take_while(|&c| c == '|').count();
        let drawn = RULER - left;
        let (computed, laid_out) = (terminal::width(row), ratatui_width(row));
        if drawn != computed || drawn != laid_out {
            wrong.push(format!(
                "{name}: {raw:?} cleaned to {row:?}: tmux drew {drawn} columns, \
                 terminal::width says {computed}, ratatui lays out {laid_out}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}\nscreen:\n{screen}", wrong.join("\n"));
}
