//! The snapshots' one way to look at a screen: every view and modal at 80x24, 100x30
//! and 160x48, in the dark, light and mono themes, each recorded with its styles as
//! well as its characters, so a lost highlight or an unreadable colour shows in review
//! as plainly as a cut word.

use chrono::{DateTime, Utc};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Style;
use ratatui::Terminal;

use crate::tui::state::State;
use crate::tui::theme::{Theme, ThemeName};
use crate::tui::update::{update, Msg};

pub const SIZES: [(u16, u16); 3] = [(80, 24), (100, 30), (160, 48)];
pub const THEMES: [(ThemeName, &str); 3] = [
    (ThemeName::Dark, "dark"),
    (ThemeName::Light, "light"),
    (ThemeName::Mono, "mono"),
];

/// Draws `s` at its size in `theme`, seen at `now`.
pub fn draw(s: &State, theme: ThemeName, now: DateTime<Utc>) -> Terminal<TestBackend> {
    let (w, h) = s.size;
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::new(theme, false);
    t.draw(|f| crate::tui::screen::render(f, s, &theme, now))
        .unwrap();
    t
}

/// Snapshots, under `name`, the state `start` gives after `setup` at every size, drawn
/// in every theme at `seen`.
pub fn every_size_and_theme(
    name: &str,
    start: impl Fn() -> State,
    setup: impl Fn(&mut State),
    at: DateTime<Utc>,
    seen: DateTime<Utc>,
) {
    for (w, h) in SIZES {
        let mut s = start();
        update(&mut s, Msg::Resize(w, h), at);
        setup(&mut s);
        for (theme, theme_name) in THEMES {
            let t = draw(&s, theme, seen);
            insta::assert_snapshot!(
                format!("{name}_{w}x{h}_{theme_name}"),
                styled(t.backend().buffer())
            );
        }
    }
}

/// The characters as lines, then each style used with a letter, then the screen again
/// as those letters.
pub fn styled(buf: &Buffer) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let area = buf.area;
    let mut styles: Vec<Style> = Vec::new();
    let mut text = String::new();
    let mut grid = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut skip = 0;
        grid.push('"');
        for x in area.left()..area.right() {
            let cell = &buf[(x, y)];
            // A wide character's second cell is blank in the buffer but not on screen.
            if skip == 0 {
                line.push_str(cell.symbol());
                skip = unicode_width::UnicodeWidthStr::width(cell.symbol()).max(1);
            }
            skip -= 1;
            let style = cell.style();
            let i = styles.iter().position(|s| *s == style).unwrap_or_else(|| {
                styles.push(style);
                styles.len() - 1
            });
            assert!(
                i < LETTERS.len(),
                "more than {} styles on one screen",
                LETTERS.len()
            );
            grid.push(LETTERS[i] as char);
        }
        grid.push_str("\"\n");
        text.push('"');
        text.push_str(&line);
        text.push_str("\"\n");
    }
    let mut legend = String::new();
    for (i, s) in styles.iter().enumerate() {
        let colour = |c: Option<ratatui::style::Color>| c.map_or("-".to_owned(), |c| c.to_string());
        legend.push_str(&format!(
            "{} fg {} bg {} {:?}\n",
            LETTERS[i] as char,
            colour(s.fg),
            colour(s.bg),
            s.add_modifier
        ));
    }
    format!("{text}\n{legend}\n{grid}")
}
