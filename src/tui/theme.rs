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
            header: Style::new().fg(Color::White).bg(Color::Indexed(236)),
            tab: fg(Color::Gray),
            tab_active: Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            muted: fg(Color::DarkGray),
            title: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            column_header: fg(Color::Gray).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selected: Style::new()
                .bg(Color::Indexed(238))
                .add_modifier(Modifier::BOLD),
            ok: fg(Color::Green),
            warning: fg(Color::Yellow),
            critical: fg(Color::LightRed).add_modifier(Modifier::BOLD),
            breached: Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            paused: fg(Color::Blue),
            bar_empty: fg(Color::DarkGray),
            key: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            error: fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
            stale: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            border: fg(Color::Gray),
            input: Style::new().bg(Color::Indexed(237)),
            group: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            flash: fg(Color::Green),
        }
    }

    fn light() -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            name: ThemeName::Light,
            base: Style::new(),
            header: Style::new().fg(Color::Black).bg(Color::Indexed(252)),
            tab: fg(Color::Indexed(240)),
            tab_active: Style::new()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            muted: fg(Color::Indexed(244)),
            title: fg(Color::Blue).add_modifier(Modifier::BOLD),
            column_header: fg(Color::Black).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selected: Style::new()
                .bg(Color::Indexed(254))
                .add_modifier(Modifier::BOLD),
            ok: fg(Color::Indexed(28)),
            warning: fg(Color::Indexed(130)),
            critical: fg(Color::Indexed(160)).add_modifier(Modifier::BOLD),
            breached: Style::new()
                .fg(Color::White)
                .bg(Color::Indexed(160))
                .add_modifier(Modifier::BOLD),
            paused: fg(Color::Indexed(25)),
            bar_empty: fg(Color::Indexed(250)),
            key: fg(Color::Blue).add_modifier(Modifier::BOLD),
            error: fg(Color::White)
                .bg(Color::Indexed(160))
                .add_modifier(Modifier::BOLD),
            stale: fg(Color::Indexed(130)).add_modifier(Modifier::BOLD),
            border: fg(Color::Indexed(244)),
            input: Style::new().bg(Color::Indexed(255)),
            group: fg(Color::Indexed(90)).add_modifier(Modifier::BOLD),
            flash: fg(Color::Indexed(28)),
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
