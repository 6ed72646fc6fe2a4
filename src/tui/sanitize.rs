//! Untrusted text (titles, notes, names from the store) made safe to put on a terminal.
//!
//! Applied once, at ingestion: C0 and C1 control characters and whole escape sequences
//! (CSI, OSC, DCS, ...) are removed, tabs and line breaks become spaces, the text is
//! normalised to NFC (so decomposed Hangul or accents take the width they display
//! with), and characters of no width that cannot follow anything (a stray combining
//! mark at the start) are dropped. Width-aware truncation keeps table columns aligned
//! with wide (CJK) and combining characters.

use unicode_normalization::UnicodeNormalization;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

const ESC: char = '\u{1b}';

/// Text with every control character and escape sequence removed, NFC-normalised.
pub fn clean(s: &str) -> String {
    // Printable ASCII is already clean (and NFC): the common case.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s.to_owned();
    }
    if s.chars().all(is_plain)
        && unicode_normalization::is_nfc_quick(s.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' | '\n' | '\r' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            ESC => skip_escape(&mut chars),
            // C1 introducers that start a string (DCS, SOS, OSC, PM, APC) or a CSI.
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\u{9b}' => skip_csi(&mut chars),
            c if c.is_control() => {}
            // Bidi overrides and isolates could reorder what follows on screen.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    let nfc: String = out.nfc().collect();
    // A combining mark with nothing before it would merge with the previous cell.
    nfc.trim_start_matches(|c: char| c.width() == Some(0) && c != '\u{200d}')
        .to_owned()
}

fn is_plain(c: char) -> bool {
    !(c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        // Two-character sequences: ESC plus one intermediate/final byte (ESC c, ESC 7...).
        Some(c) if ('\u{20}'..='\u{7e}').contains(&c) => {
            chars.next();
            // ESC ( B and friends take one more byte.
            if ('\u{20}'..='\u{2f}').contains(&c) {
                chars.next();
            }
        }
        _ => {}
    }
}

/// Parameters and intermediates up to and including the final byte (0x40..=0x7e).
fn skip_csi(chars: &mut Chars) {
    while let Some(&c) = chars.peek() {
        if ('\u{20}'..='\u{3f}').contains(&c) {
            chars.next();
        } else {
            if ('\u{40}'..='\u{7e}').contains(&c) {
                chars.next();
            }
            return;
        }
    }
}

/// A control string ends with BEL, ST (ESC \) or the C1 ST; it may not nest.
fn skip_string(chars: &mut Chars) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9c}' => return,
            ESC => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// Display width of already-clean text.
pub fn width(s: &str) -> usize {
    s.width()
}

/// The longest prefix of `s` that fits in `max` columns, with `…` when cut.
pub fn truncate(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.width() <= max {
        return s.into();
    }
    if max == 0 {
        return "".into();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out.into()
}

/// `s` truncated to `max` columns and padded with spaces to exactly `max`.
pub fn fit(s: &str, max: usize) -> String {
    let t = truncate(s, max);
    let w = t.width();
    let mut out = t.into_owned();
    out.extend(std::iter::repeat_n(' ', max.saturating_sub(w)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_escape_sequences_and_controls() {
        assert_eq!(clean("a\x1b]0;pwned\x07b"), "ab");
        assert_eq!(clean("a\x1b[2Jb"), "ab");
        assert_eq!(clean("a\x1b[38;5;196mred\x1b[0m"), "ared");
        assert_eq!(clean("x\x1bPq#0;2;0;0;0\x1b\\y"), "xy");
        assert_eq!(clean("x\u{9b}31my"), "xy");
        assert_eq!(clean("x\u{9d}0;t\u{9c}y"), "xy");
        assert_eq!(clean("bell\x07 back\x08space\x7f"), "bell backspace");
        assert_eq!(clean("tab\there\r\nline"), "tab here line");
        assert_eq!(clean("rtl\u{202e}evil"), "rtlevil");
        assert_eq!(clean("trailing esc\x1b"), "trailing esc");
        assert_eq!(clean("esc c\x1bcreset"), "esc creset");
        assert!(!clean("\x1b\x1b[2J\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\").contains('\x1b'));
    }

    #[test]
    fn normalises_to_nfc_and_drops_leading_combining_marks() {
        // "e" + COMBINING ACUTE -> "é"; decomposed Hangul -> one syllable.
        assert_eq!(clean("cafe\u{301}"), "café");
        assert_eq!(clean("\u{1100}\u{1161}"), "가");
        assert_eq!(clean("\u{301}x"), "x");
        assert_eq!(width(&clean("\u{1100}\u{1161}")), 2);
    }

    #[test]
    fn truncates_by_display_width() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("日本語テキスト", 6), "日本…");
        assert_eq!(width(&fit("日本語テキスト", 6)), 6);
        assert_eq!(fit("日本語", 5), "日本…");
        assert_eq!(width(&fit("日本語", 5)), 5);
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(truncate("x", 0), "");
    }
}
