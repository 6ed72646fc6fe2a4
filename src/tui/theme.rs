//! Colours with meaning. Views ask for a slot (`breached`, `selected`, `key`), never
//! for a colour; colour is never the only signal (rows also carry glyphs and text).

use ratatui::style::{Color, Modifier, Style};

use crate::sla::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumString)]
#[strum(
    serialize_all = "lowercase",
    parse_err_fn = unknown_theme,
    parse_err_ty = String
)]
pub enum ThemeName {
    Dark,
    Light,
    #[strum(serialize = "mono", serialize = "monochrome")]
    Mono,
}

fn unknown_theme(s: &str) -> String {
    format!("unknown theme {s:?}, expected one of: dark, light, mono")
}

#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: ThemeName,
    pub base: Style,
    pub header: Style,
    pub tab: Style,
    pub tab_active: Style,
    pub muted: Style,
    pub title: Style,
    pub column_header: Style,
    pub selected: Style,
    pub ok: Style,
    pub warning: Style,
    pub critical: Style,
    pub breached: Style,
    pub paused: Style,
    pub bar_empty: Style,
    pub key: Style,
    pub error: Style,
    pub stale: Style,
    pub border: Style,
    pub input: Style,
    pub group: Style,
    pub flash: Style,
}

impl Theme {
    /// The named theme, or mono when `no_color` (the `NO_COLOR` convention).
    pub fn new(name: ThemeName, no_color: bool) -> Theme {
        match if no_color { ThemeName::Mono } else { name } {
            ThemeName::Dark => Theme::dark(),
            ThemeName::Light => Theme::light(),
            ThemeName::Mono => Theme::mono(),
        }
    }

    /// `NO_COLOR` set to anything but the empty string.
    pub fn no_color_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    fn dark() -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            name: ThemeName::Dark,
            base: Style::new(),
            header: Style::new().fg(Color::White).bg(Color::Indexed(235)),
            tab: fg(Color::Gray),
            tab_active: Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            muted: fg(Color::Indexed(247)),
            title: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            column_header: fg(Color::Gray).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selected: Style::new()
                .bg(Color::Indexed(236))
                .add_modifier(Modifier::BOLD),
            ok: fg(Color::Green),
            warning: fg(Color::Yellow),
            critical: fg(Color::Indexed(210)).add_modifier(Modifier::BOLD),
            breached: Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            paused: fg(Color::Indexed(75)),
            bar_empty: fg(Color::Indexed(244)),
            key: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            error: fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
            stale: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            border: fg(Color::Gray),
            input: Style::new().bg(Color::Indexed(236)),
            group: fg(Color::Indexed(176)).add_modifier(Modifier::BOLD),
            flash: fg(Color::Green),
        }
    }

    fn light() -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            name: ThemeName::Light,
            base: Style::new(),
            header: Style::new().fg(Color::Black).bg(Color::Indexed(254)),
            tab: fg(Color::Indexed(240)),
            tab_active: Style::new()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            muted: fg(Color::Indexed(241)),
            title: fg(Color::Blue).add_modifier(Modifier::BOLD),
            column_header: fg(Color::Black).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selected: Style::new()
                .bg(Color::Indexed(254))
                .add_modifier(Modifier::BOLD),
            ok: fg(Color::Indexed(22)),
            warning: fg(Color::Indexed(94)),
            critical: fg(Color::Indexed(124)).add_modifier(Modifier::BOLD),
            breached: Style::new()
                .fg(Color::White)
                .bg(Color::Indexed(160))
                .add_modifier(Modifier::BOLD),
            paused: fg(Color::Indexed(25)),
            bar_empty: fg(Color::Indexed(244)),
            key: fg(Color::Blue).add_modifier(Modifier::BOLD),
            error: fg(Color::White)
                .bg(Color::Indexed(160))
                .add_modifier(Modifier::BOLD),
            stale: fg(Color::Indexed(94)).add_modifier(Modifier::BOLD),
            border: fg(Color::Indexed(244)),
            input: Style::new().bg(Color::Indexed(255)),
            group: fg(Color::Indexed(90)).add_modifier(Modifier::BOLD),
            flash: fg(Color::Indexed(22)),
        }
    }

    fn mono() -> Theme {
        let m = |x| Style::new().add_modifier(x);
        Theme {
            name: ThemeName::Mono,
            base: Style::new(),
            header: m(Modifier::REVERSED),
            tab: Style::new(),
            tab_active: m(Modifier::BOLD | Modifier::UNDERLINED),
            muted: m(Modifier::DIM),
            title: m(Modifier::BOLD),
            column_header: m(Modifier::BOLD | Modifier::UNDERLINED),
            selected: m(Modifier::REVERSED),
            ok: Style::new(),
            warning: m(Modifier::UNDERLINED),
            critical: m(Modifier::BOLD | Modifier::UNDERLINED),
            breached: m(Modifier::BOLD),
            paused: m(Modifier::ITALIC),
            bar_empty: m(Modifier::DIM),
            key: m(Modifier::BOLD),
            error: m(Modifier::BOLD | Modifier::REVERSED),
            stale: m(Modifier::BOLD),
            border: Style::new(),
            input: m(Modifier::UNDERLINED),
            group: m(Modifier::BOLD),
            flash: m(Modifier::BOLD),
        }
    }

    /// A cell's style on its row: a selected row lays its background under the text,
    /// and a text style with a background of its own (breached, error) keeps it, so
    /// its foreground never lands on the selection's background.
    pub fn row(&self, text: Style, selected: bool) -> Style {
        if selected {
            self.selected.patch(text)
        } else {
            text
        }
    }

    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Ok => self.ok,
            Severity::Warning => self.warning,
            Severity::Critical => self.critical,
            Severity::Breached => self.breached,
        }
    }
}

/// The glyph that says the severity without colour.
pub fn severity_mark(s: Severity) -> &'static str {
    match s {
        Severity::Ok => "  ",
        Severity::Warning => "! ",
        Severity::Critical => "!!",
        Severity::Breached => ">>",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sRGB of a colour as xterm draws it by default.
    fn rgb(c: Color) -> (u8, u8, u8) {
        const ANSI: [(u8, u8, u8); 16] = [
            (0, 0, 0),
            (205, 0, 0),
            (0, 205, 0),
            (205, 205, 0),
            (0, 0, 238),
            (205, 0, 205),
            (0, 205, 205),
            (229, 229, 229),
            (127, 127, 127),
            (255, 0, 0),
            (0, 255, 0),
            (255, 255, 0),
            (92, 92, 255),
            (255, 0, 255),
            (0, 255, 255),
            (255, 255, 255),
        ];
        let i = match c {
            Color::Black => 0,
            Color::Red => 1,
            Color::Green => 2,
            Color::Yellow => 3,
            Color::Blue => 4,
            Color::Magenta => 5,
            Color::Cyan => 6,
            Color::Gray => 7,
            Color::DarkGray => 8,
            Color::LightRed => 9,
            Color::LightGreen => 10,
            Color::LightYellow => 11,
            Color::LightBlue => 12,
            Color::LightMagenta => 13,
            Color::LightCyan => 14,
            Color::White => 15,
            Color::Indexed(i) => i,
            Color::Rgb(r, g, b) => return (r, g, b),
            other => panic!("no fixed colour for {other:?}"),
        };
        match i {
            0..=15 => ANSI[usize::from(i)],
            16..=231 => {
                let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
                let v = i - 16;
                (level(v / 36), level(v / 6 % 6), level(v % 6))
            }
            _ => {
                let g = 8 + 10 * (i - 232);
                (g, g, g)
            }
        }
    }

    /// WCAG 2's relative luminance and contrast ratio.
    fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
        let lum = |(r, g, b): (u8, u8, u8)| {
            let lin = |v: u8| {
                let v = f64::from(v) / 255.0;
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    /// Text drawn on a row of each kind keeps 4.5:1 against what is under it (3:1 for
    /// the bar's empty part and borders, which are not text), in every colour theme,
    /// on the terminal's own colours for that theme.
    #[test]
    fn every_text_keeps_contrast_on_every_row_background() {
        for (name, fg, bg) in [
            (ThemeName::Dark, (229, 229, 229), (0, 0, 0)),
            (ThemeName::Light, (0, 0, 0), (255, 255, 255)),
        ] {
            let t = Theme::new(name, false);
            let texts = [
                ("base", t.base, 4.5),
                ("muted", t.muted, 4.5),
                ("title", t.title, 4.5),
                ("column_header", t.column_header, 4.5),
                ("ok", t.ok, 4.5),
                ("warning", t.warning, 4.5),
                ("critical", t.critical, 4.5),
                ("breached", t.breached, 4.5),
                ("paused", t.paused, 4.5),
                ("key", t.key, 4.5),
                ("error", t.error, 4.5),
                ("stale", t.stale, 4.5),
                ("group", t.group, 4.5),
                ("flash", t.flash, 4.5),
                ("tab", t.tab, 4.5),
                ("bar_empty", t.bar_empty, 3.0),
                ("border", t.border, 3.0),
            ];
            let rows = [
                ("a plain row", t.base, false),
                ("a selected row", t.base, true),
                ("the header", t.header, false),
                ("an input", t.input, false),
            ];
            let mut bad = Vec::new();
            for (row, under, selected) in rows {
                for (text, style, goal) in texts {
                    let s = t.row(under.patch(style), selected);
                    let (mut f, mut b) = (s.fg.map_or(fg, rgb), s.bg.map_or(bg, rgb));
                    if s.add_modifier.contains(Modifier::REVERSED) {
                        std::mem::swap(&mut f, &mut b);
                    }
                    let ratio = contrast(f, b);
                    if ratio < goal {
                        bad.push(format!("{text} on {row}: {ratio:.2}:1"));
                    }
                }
                let tab = contrast(
                    t.tab_active.fg.map_or(fg, rgb),
                    t.tab_active.bg.map_or(bg, rgb),
                );
                if tab < 4.5 {
                    bad.push(format!("tab_active: {tab:.2}:1"));
                }
            }
            assert!(bad.is_empty(), "{name:?} theme: {}", bad.join("; "));
        }
    }

    #[test]
    fn a_selected_breached_cell_keeps_its_own_background() {
        for name in [ThemeName::Dark, ThemeName::Light] {
            let t = Theme::new(name, false);
            let s = t.row(t.breached, true);
            assert_eq!((s.fg, s.bg), (t.breached.fg, t.breached.bg), "{name:?}");
            assert_eq!(t.row(t.base, true).bg, t.selected.bg);
        }
    }

    #[test]
    fn names_and_no_color() {
        assert_eq!("dark".parse::<ThemeName>().unwrap(), ThemeName::Dark);
        assert_eq!("monochrome".parse::<ThemeName>().unwrap(), ThemeName::Mono);
        assert!("neon".parse::<ThemeName>().is_err());
        let t = Theme::new(ThemeName::Dark, true);
        assert_eq!(t.name, ThemeName::Mono);
        for s in [t.breached, t.warning, t.selected, t.header] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
    }
}
