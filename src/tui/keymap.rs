//! Keys and the layered keymap.
//!
//! A [`Key`] parses from and prints to the same text (`ctrl-c`, `P`, `enter`), so help
//! and hints always show what the user would write. The keymap is the shipped
//! `keymap.toml` with the user's file layered over it per (section, action); every
//! problem (unknown section or action, bad key name, an action in a section where it
//! means nothing, one key on two actions in one view) is reported with file and line,
//! and the console does not start.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::action::{Action, Section};
use crate::config::error::Reporter;
use crate::config::{ConfigError, ConfigErrors};

/// The shipped defaults.
pub const DEFAULT_KEYMAP: &str = include_str!("../../keymap.toml");
pub const DEFAULT_KEYMAP_NAME: &str = "keymap.toml (built in)";

/// One key press: a code and the modifiers that matter (never SHIFT on a character:
/// the character's case carries it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// `KeyCode` restricted to what bindings can name, with an order for stable listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Named(Named),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Named {
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
}

const NAMES: [(&str, Named); 15] = [
    ("enter", Named::Enter),
    ("esc", Named::Esc),
    ("tab", Named::Tab),
    ("backtab", Named::BackTab),
    ("backspace", Named::Backspace),
    ("delete", Named::Delete),
    ("insert", Named::Insert),
    ("home", Named::Home),
    ("end", Named::End),
    ("pageup", Named::PageUp),
    ("pagedown", Named::PageDown),
    ("up", Named::Up),
    ("down", Named::Down),
    ("left", Named::Left),
    ("right", Named::Right),
];

impl Key {
    pub fn char(c: char) -> Key {
        Key {
            code: KeyCodeOrd::Char(c),
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    pub fn named(n: Named) -> Key {
        Key {
            code: KeyCodeOrd::Named(n),
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    pub fn ctrl(c: char) -> Key {
        Key {
            ctrl: true,
            ..Key::char(c)
        }
    }

    /// The binding a terminal key event stands for, if bindings can name it.
    pub fn from_event(e: &KeyEvent) -> Option<Key> {
        let m = e.modifiers;
        let mut key = Key {
            code: KeyCodeOrd::Char(' '),
            ctrl: m.contains(KeyModifiers::CONTROL),
            alt: m.contains(KeyModifiers::ALT),
            shift: m.contains(KeyModifiers::SHIFT),
        };
        key.code = match e.code {
            KeyCode::Char(c) => {
                key.shift = false;
                // Some terminals report ctrl-A as ctrl + 'A' without shift.
                let c = if key.ctrl && c.is_ascii_uppercase() && !m.contains(KeyModifiers::SHIFT) {
                    c.to_ascii_lowercase()
                } else {
                    c
                };
                KeyCodeOrd::Char(c)
            }
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::BackTab => {
                key.shift = false;
                KeyCodeOrd::Named(Named::BackTab)
            }
            KeyCode::Enter => KeyCodeOrd::Named(Named::Enter),
            KeyCode::Esc => KeyCodeOrd::Named(Named::Esc),
            KeyCode::Tab if key.shift => {
                key.shift = false;
                KeyCodeOrd::Named(Named::BackTab)
            }
            KeyCode::Tab => KeyCodeOrd::Named(Named::Tab),
            KeyCode::Backspace => KeyCodeOrd::Named(Named::Backspace),
            KeyCode::Delete => KeyCodeOrd::Named(Named::Delete),
            KeyCode::Insert => KeyCodeOrd::Named(Named::Insert),
            KeyCode::Home => KeyCodeOrd::Named(Named::Home),
            KeyCode::End => KeyCodeOrd::Named(Named::End),
            KeyCode::PageUp => KeyCodeOrd::Named(Named::PageUp),
            KeyCode::PageDown => KeyCodeOrd::Named(Named::PageDown),
            KeyCode::Up => KeyCodeOrd::Named(Named::Up),
            KeyCode::Down => KeyCodeOrd::Named(Named::Down),
            KeyCode::Left => KeyCodeOrd::Named(Named::Left),
            KeyCode::Right => KeyCodeOrd::Named(Named::Right),
            _ => return None,
        };
        Some(key)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("space"),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "f{n}"),
            KeyCodeOrd::Named(n) => {
                let name = NAMES.iter().find(|(_, x)| *x == n).map_or("?", |(s, _)| s);
                f.write_str(name)
            }
        }
    }
}

impl FromStr for Key {
    type Err = String;

    fn from_str(s: &str) -> Result<Key, String> {
        let bad = |why: &str| {
            Err(format!(
                "bad key {s:?}: {why}; expected a character such as \"a\" or \"?\", or a name \
                 (enter, esc, tab, backtab, backspace, delete, insert, home, end, pageup, \
                 pagedown, up, down, left, right, space, f1..f12) with optional ctrl-, alt-, shift-"
            ))
        };
        let mut rest = s;
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else if rest.chars().count() > 1 && lower.starts_with("shift-") {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return bad("nothing after the modifiers"),
            (Some(c), None) if c.is_control() => return bad("a control character"),
            (Some(c), None) => {
                let c = if shift && c.is_alphabetic() {
                    shift = false;
                    c.to_uppercase().next().unwrap_or(c)
                } else {
                    c
                };
                if shift {
                    return bad("shift- only combines with letters and names");
                }
                // Terminals send ctrl-C and ctrl-c alike.
                let c = if ctrl { c.to_ascii_lowercase() } else { c };
                KeyCodeOrd::Char(c)
            }
            _ => {
                let lower = rest.to_ascii_lowercase();
                if lower == "space" {
                    KeyCodeOrd::Char(' ')
                } else if let Some(n) = lower
                    .strip_prefix('f')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=12).contains(n))
                {
                    KeyCodeOrd::F(n)
                } else if let Some((_, n)) = NAMES.iter().find(|(name, _)| *name == lower) {
                    if shift && *n == Named::Tab {
                        shift = false;
                        KeyCodeOrd::Named(Named::BackTab)
                    } else {
                        KeyCodeOrd::Named(*n)
                    }
                } else {
                    return bad("unknown key name");
                }
            }
        };
        Ok(Key {
            code,
            ctrl,
            alt,
            shift,
        })
    }
}

/// One binding as configured, for listings and error messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub section: Section,
    pub action: Action,
    pub keys: Vec<Key>,
    /// Where it was configured: file and line.
    pub origin: (PathBuf, usize),
}

/// The keymap in force.
#[derive(Clone, Debug)]
pub struct Keymap {
    /// Per section: key -> action, without [global] merged in.
    maps: HashMap<Section, HashMap<Key, Action>>,
    /// Every binding, in section order and then file order.
    bindings: Vec<Binding>,
}

/// `action = "key"` or `action = ["key", ...]`, each string with its span.
struct Keys(Vec<Spanned<String>>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Keys;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key such as \"a\" or a list of keys")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Keys, E> {
                // A plain string has no span of its own here; the caller uses the value's.
                Ok(Keys(vec![Spanned::new(0..0, s.to_owned())]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Keys, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = seq.next_element::<Spanned<String>>()? {
                    out.push(k);
                }
                Ok(Keys(out))
            }
        }
        d.deserialize_any(V)
    }
}

type File = BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<Keys>>>;

/// A binding being assembled: keys with the span (in its file) each came from.
struct Pending {
    keys: Vec<(Key, usize)>,
    file: usize,
    line: usize,
}

impl Keymap {
    /// The shipped defaults alone.
    pub fn defaults() -> Keymap {
        Keymap::load(None).expect("the shipped keymap.toml is valid")
    }

    /// The defaults with the user's file (path and text) layered over them.
    pub fn load(user: Option<(&Path, &str)>) -> Result<Keymap, ConfigErrors> {
        let default_path = Path::new(DEFAULT_KEYMAP_NAME);
        let mut files: Vec<(&Path, &str)> = vec![(default_path, DEFAULT_KEYMAP)];
        files.extend(user);
        let mut errors: Vec<ConfigError> = Vec::new();
        let mut merged: BTreeMap<(Section, Action), Pending> = BTreeMap::new();
        for (fi, &(path, text)) in files.iter().enumerate() {
            let mut r = Reporter::new(path, text);
            let file: File = match r.parse_toml() {
                Ok(f) => f,
                Err(e) => {
                    errors.extend(e.0);
                    continue;
                }
            };
            for (sname, actions) in &file {
                let Some(section) = Section::parse(sname.get_ref()) else {
                    let names: Vec<_> = Section::ALL.iter().map(|s| s.as_str()).collect();
                    r.at(
                        sname.span(),
                        format!(
                            "unknown section [{}], expected one of: {}",
                            sname.get_ref(),
                            names.join(", ")
                        ),
                    );
                    continue;
                };
                for (aname, keys) in actions {
                    let Some(action) = Action::parse(aname.get_ref()) else {
                        r.at(
                            aname.span(),
                            format!(
                                "[{}]: unknown action `{}`{}",
                                section.as_str(),
                                aname.get_ref(),
                                suggest(aname.get_ref(), section)
                            ),
                        );
                        continue;
                    };
                    if !action.sections().contains(&section) {
                        let allowed: Vec<_> =
                            action.sections().iter().map(|s| s.as_str()).collect();
                        r.at(
                            aname.span(),
                            format!(
                                "[{}]: action `{}` cannot be bound here, only in [{}]",
                                section.as_str(),
                                action.as_str(),
                                allowed.join("], [")
                            ),
                        );
                        continue;
                    }
                    let vspan = keys.span();
                    let mut parsed = Vec::new();
                    for k in &keys.get_ref().0 {
                        let span = if k.span() == (0..0) {
                            vspan.clone()
                        } else {
                            k.span()
                        };
                        match k.get_ref().parse::<Key>() {
                            Ok(key) => {
                                if !parsed.iter().any(|(p, _)| *p == key) {
                                    parsed.push((key, span.start));
                                }
                            }
                            Err(why) => r.at(
                                span,
                                format!("[{}] {}: {why}", section.as_str(), action.as_str()),
                            ),
                        }
                    }
                    let line = crate::config::error::line_col(text, aname.span().start).0;
                    merged.insert(
                        (section, action),
                        Pending {
                            keys: parsed,
                            file: fi,
                            line,
                        },
                    );
                }
            }
            errors.extend(r.errors);
        }
        // One key, one action per view (a view's section together with [global]).
        let line_of = |fi: usize, offset: usize| {
            let (path, text) = files[fi];
            let (line, column) = crate::config::error::line_col(text, offset);
            (path, line, column)
        };
        let mut seen: HashMap<(Section, Key), (Action, Section, usize, usize)> = HashMap::new();
        let mut check = |view: Section, bound_in: Section, errors: &mut Vec<ConfigError>| {
            for (&(s, action), p) in merged.iter().filter(|((s, _), _)| *s == bound_in) {
                for &(key, offset) in &p.keys {
                    match seen.get(&(view, key)) {
                        Some(&(other, other_sec, ofile, ooff)) if other != action => {
                            let (opath, oline, _) = line_of(ofile, ooff);
                            // Report where the newer (user) binding is, naming the other.
                            let (path, line, column, other_desc) = if p.file >= ofile {
                                let (path, line, column) = line_of(p.file, offset);
                                (
                                    path,
                                    line,
                                    column,
                                    format!(
                                        "`{}` in [{}] at {}:{}",
                                        other.as_str(),
                                        other_sec.as_str(),
                                        opath.display(),
                                        oline
                                    ),
                                )
                            } else {
                                let (path, line, column) = (opath, oline, 1);
                                let (tp, tl, _) = line_of(p.file, offset);
                                (
                                    path,
                                    line,
                                    column,
                                    format!(
                                        "`{}` in [{}] at {}:{}",
                                        action.as_str(),
                                        s.as_str(),
                                        tp.display(),
                                        tl
                                    ),
                                )
                            };
                            let dup = format!(
                                "key `{key}` is bound to two actions in the {} view: `{}` and {other_desc}",
                                view.as_str(),
                                if p.file >= ofile { action.as_str() } else { other.as_str() },
                            );
                            if !errors.iter().any(|e| e.message == dup) {
                                errors.push(ConfigError {
                                    path: path.to_owned(),
                                    line,
                                    column,
                                    message: dup,
                                });
                            }
                        }
                        Some(_) => {}
                        None => {
                            seen.insert((view, key), (action, s, p.file, offset));
                        }
                    }
                }
            }
        };
        for view in Section::VIEWS {
            check(view, Section::Global, &mut errors);
            check(view, view, &mut errors);
        }
        check(Section::Form, Section::Form, &mut errors);
        if !errors.is_empty() {
            errors.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
            errors.dedup();
            return Err(ConfigErrors(errors));
        }
        let mut maps: HashMap<Section, HashMap<Key, Action>> = HashMap::new();
        let mut bindings = Vec::new();
        // In the order of `Action`'s declaration: related actions stay together.
        {
            for (&(s, action), p) in &merged {
                let m = maps.entry(s).or_default();
                for &(k, _) in &p.keys {
                    m.insert(k, action);
                }
                bindings.push(Binding {
                    section: s,
                    action,
                    keys: p.keys.iter().map(|(k, _)| *k).collect(),
                    origin: (files[p.file].0.to_owned(), p.line),
                });
            }
        }
        Ok(Keymap { maps, bindings })
    }

    /// What `key` does in `section` (a view also sees [global]).
    pub fn lookup(&self, section: Section, key: Key) -> Option<Action> {
        let own = self.maps.get(&section).and_then(|m| m.get(&key)).copied();
        if own.is_some() || section == Section::Form {
            return own;
        }
        self.maps
            .get(&Section::Global)
            .and_then(|m| m.get(&key))
            .copied()
    }

    /// The keys bound to `action` in `section` or, for a view, in [global].
    pub fn keys(&self, section: Section, action: Action) -> Vec<Key> {
        let find = |s: Section| {
            self.bindings
                .iter()
                .find(|b| b.section == s && b.action == action)
                .map(|b| b.keys.clone())
        };
        match find(section) {
            Some(k) if !k.is_empty() => k,
            _ if section != Section::Form => find(Section::Global).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The first key for a hint, such as `a` or `enter`.
    pub fn hint(&self, section: Section, action: Action) -> Option<Key> {
        self.keys(section, action).first().copied()
    }

    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }
}

fn suggest(name: &str, section: Section) -> String {
    let names: Vec<&str> = Action::ALL
        .iter()
        .filter(|a| a.sections().contains(&section))
        .map(|a| a.as_str())
        .collect();
    if let Some(close) = names
        .iter()
        .find(|n| n.starts_with(&name[..name.len().min(3)]) || name.contains(*n))
    {
        format!(" (did you mean `{close}`?)")
    } else {
        format!(", expected one of: {}", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for s in [
            "a",
            "P",
            "?",
            "/",
            "0",
            "-",
            "ctrl-c",
            "alt-x",
            "ctrl-alt-z",
            "enter",
            "esc",
            "tab",
            "backtab",
            "space",
            "f1",
            "f12",
            "pageup",
            "shift-up",
            "ctrl--",
            "é",
        ] {
            let k: Key = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(k.to_string(), s, "{s}");
            assert_eq!(k.to_string().parse::<Key>().unwrap(), k);
        }
        assert_eq!("shift-a".parse::<Key>().unwrap(), Key::char('A'));
        assert_eq!("shift-tab".parse::<Key>().unwrap().to_string(), "backtab");
        assert_eq!("Ctrl-C".parse::<Key>().unwrap(), Key::ctrl('c'));
        assert_eq!("ENTER".parse::<Key>().unwrap().to_string(), "enter");
        for bad in ["", "ctrl-", "ctlr-c", "f13", "return", "shift-1", "\u{7}"] {
            assert!(bad.parse::<Key>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn events_map_to_keys() {
        let ev = |code, m| Key::from_event(&KeyEvent::new(code, m)).unwrap();
        assert_eq!(ev(KeyCode::Char('P'), KeyModifiers::SHIFT), Key::char('P'));
        assert_eq!(
            ev(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Key::ctrl('c')
        );
        assert_eq!(
            ev(KeyCode::BackTab, KeyModifiers::SHIFT),
            Key::named(Named::BackTab)
        );
        assert_eq!(
            ev(KeyCode::Tab, KeyModifiers::SHIFT),
            Key::named(Named::BackTab)
        );
    }

    #[test]
    fn shipped_keymap_has_the_issue_bindings() {
        let km = Keymap::defaults();
        let q = Section::Queue;
        for (k, a) in [
            ("a", Action::Acknowledge),
            ("e", Action::Escalate),
            ("u", Action::ClientUpdate),
            ("c", Action::CarrierUpdate),
            ("p", Action::Pause),
            ("r", Action::Restored),
            ("x", Action::Resolve),
            ("n", Action::Note),
            ("P", Action::Priority),
            ("o", Action::Assign),
            ("?", Action::Help),
            ("/", Action::Filter),
            ("tab", Action::NextView),
            ("enter", Action::Open),
            ("esc", Action::Back),
            ("q", Action::Quit),
        ] {
            assert_eq!(km.lookup(q, k.parse().unwrap()), Some(a), "{k}");
        }
        assert_eq!(km.lookup(Section::Help, Key::char('a')), None);
        assert_eq!(km.lookup(Section::Form, Key::char('q')), None);
    }

    fn user(text: &str) -> Result<Keymap, ConfigErrors> {
        Keymap::load(Some((
            Path::new("/home/u/.config/slawatch/keymap.toml"),
            text,
        )))
    }

    #[test]
    fn user_file_layers_over_defaults() {
        let km = user("[queue]\nacknowledge = \"A\"\nnote = []\n").unwrap();
        assert_eq!(
            km.lookup(Section::Queue, Key::char('A')),
            Some(Action::Acknowledge)
        );
        assert_eq!(km.lookup(Section::Queue, Key::char('a')), None);
        assert_eq!(km.lookup(Section::Queue, Key::char('n')), None);
        // Other views keep their defaults.
        assert_eq!(
            km.lookup(Section::Ticket, Key::char('a')),
            Some(Action::Acknowledge)
        );
        let b = km
            .bindings()
            .iter()
            .find(|b| b.section == Section::Queue && b.action == Action::Acknowledge)
            .unwrap();
        assert_eq!(b.origin.1, 2);
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = user("[queue]\n\nacknowlege = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("keymap.toml:3:1: [queue]: unknown action `acknowlege`"),
            "{e}"
        );
        assert!(e.contains("did you mean `acknowledge`"), "{e}");
        let e = user("[queue]\nnote = [\"n\", \"ctlr-x\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("keymap.toml:2:"), "{e}");
        assert!(e.contains("bad key \"ctlr-x\""), "{e}");
        let e = user("[queu]\nnote = \"n\"\n").unwrap_err().to_string();
        assert!(e.contains("keymap.toml:1:2: unknown section [queu]"), "{e}");
        let e = user("[help]\nacknowledge = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be bound here"), "{e}");
        let e = user("[queue]\nnote = 5\n").unwrap_err().to_string();
        assert!(e.contains("keymap.toml:2:"), "{e}");
    }

    #[test]
    fn two_actions_on_one_key_in_one_view_is_an_error() {
        // `a` stays on acknowledge in [queue]; binding note to it collides.
        let e = user("[queue]\n# mine\nnote = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/home/u/.config/slawatch/keymap.toml:3:8: key `a` is bound to two actions in the queue view"),
            "{e}"
        );
        assert!(
            e.contains("`acknowledge` in [queue] at keymap.toml (built in):"),
            "{e}"
        );
        // A view key colliding with [global].
        let e = user("[global]\nhelp = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("key `x`"), "{e}");
        assert!(e.contains("resolve"), "{e}");
        // Same action twice on a key, or the same key in two different views: fine.
        user("[queue]\nnote = [\"n\", \"n\"]\n[help]\ntop = \"a\"\n").unwrap();
    }
}
