//! Terminal text: the one sanitiser for anything untrusted (titles, notes, names, ids,
//! error messages echoing input) that reaches a terminal, the console's or a command's.
//!
//! The rule: C0 and C1 control characters and whole escape sequences (CSI, OSC, DCS, ...)
//! are removed; tabs and line breaks (CR, LF, NEL, U+2028, U+2029) become spaces, or stay
//! line feeds in [`clean_lines`]; default-ignorable code points (bidi controls, zero-width
//! joiners and spaces, variation selectors, tag characters, Hangul fillers, soft
//! hyphens), emoji skin tone modifiers and noncharacters are removed; the text is normalised to NFC (so decomposed
//! Hangul or accents take the width they display with); and zero-width marks with
//! nothing before them on their line are dropped.
//!
//! Why so much goes: every cell width computed here (and by ratatui, which measures
//! the same way) must agree with what the terminal draws, or earlier frames leave stray
//! glyphs. The reference is tmux (tests/escape_tmux.rs): it draws a ZWJ emoji sequence
//! as one wide cell and a heart with VS16 as one narrow one, where unicode-width counts
//! otherwise; with joiners and selectors gone, each emoji is its own grapheme of a
//! width both agree on. Invisible characters carry nothing an operator should see and
//! are the usual way to make two different names look alike.

use unicode_normalization::UnicodeNormalization;
use unicode_width::UnicodeWidthChar;

const ESC: char = '\u{1b}';

/// One line: every control character, escape sequence and invisible character
/// removed, line breaks as spaces, NFC-normalised.
pub fn clean(s: &str) -> String {
    sanitize(s, false)
}

/// As [`clean`], but line breaks stay (as `\n`): multi-line messages and bodies.
pub fn clean_lines(s: &str) -> String {
    sanitize(s, true)
}

fn sanitize(s: &str, keep_lines: bool) -> String {
    // Printable ASCII is already clean (and NFC): the common case.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s.to_owned();
    }
    if s.chars().all(is_plain)
        && unicode_normalization::is_nfc_quick(s.chars())
            == unicode_normalization::IsNormalized::Yes
        && !starts_line_with_zero_width(s)
    {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => push_space(&mut out),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                if keep_lines {
                    out.push('\n');
                } else {
                    push_space(&mut out);
                }
            }
            ESC => skip_escape(&mut chars),
            // C1 introducers that start a string (DCS, SOS, OSC, PM, APC) or a CSI.
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\u{9b}' => skip_csi(&mut chars),
            c if c.is_control() || is_invisible(c) => {}
            c => out.push(c),
        }
    }
    let nfc: String = out.nfc().collect();
    // A zero-width mark with nothing before it would merge with whatever the
    // terminal drew in the previous cell.
    let unattached = |c: char| c.width() == Some(0);
    if !keep_lines {
        return nfc.trim_start_matches(unattached).to_owned();
    }
    nfc.split('\n')
        .map(|line| line.trim_start_matches(unattached))
        .collect::<Vec<_>>()
        .join("\n")
}

fn push_space(out: &mut String) {
    if !out.ends_with(' ') {
        out.push(' ');
    }
}

fn is_plain(c: char) -> bool {
    !(c.is_control() || is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}'))
}

fn starts_line_with_zero_width(s: &str) -> bool {
    s.split('\n')
        .any(|l| l.chars().next().is_some_and(|c| c.width() == Some(0)))
}

/// Default-ignorable code points (Unicode's DerivedCoreProperties), noncharacters and
/// skin tone modifiers: drawn as nothing, or at another width, depending on the
/// terminal.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{feff}'
        | '\u{ffa0}'
        | '\u{fff0}'..='\u{fff8}'
        | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e0fff}'
        | '\u{fdd0}'..='\u{fdef}'
        // Skin tone modifiers: of no width after an emoji by Unicode's rules, two
        // more columns in tmux.
        | '\u{1f3fb}'..='\u{1f3ff}')
        || (u32::from(c) & 0xfffe) == 0xfffe
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

/// Display width of already-clean text: the sum of its characters' widths, as
/// terminals advance the cursor. (unicode-width's width of a whole string draws some
/// pairs as ligatures, Arabic lam-alef as one column, which tmux and ratatui do not.)
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// The longest prefix of `s` that fits in `max` columns, with `…` when cut.
pub fn truncate(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if width(s) <= max {
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
    let w = width(&t);
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
        assert_eq!(clean("rtl\u{202e}evil\u{2066}x\u{2069}"), "rtlevilx");
        assert_eq!(clean("trailing esc\x1b"), "trailing esc");
        assert_eq!(clean("esc c\x1bcreset"), "esc creset");
        assert!(!clean("\x1b\x1b[2J\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\").contains('\x1b'));
    }

    #[test]
    fn line_breaks_become_spaces_or_stay_as_line_feeds() {
        assert_eq!(clean("a\u{2028}b\u{2029}c\u{85}d"), "a b c d");
        assert_eq!(clean_lines("a\u{2028}b\r\nc\rd\n\x1b[2Je"), "a\nb\nc\nd\ne");
        assert_eq!(clean_lines("one\n\u{301}two"), "one\ntwo");
    }

    #[test]
    fn drops_invisible_characters_that_terminals_draw_at_other_widths() {
        // ZWJ sequence: three emoji of two columns each instead of one of unknown width.
        assert_eq!(
            clean("\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}"),
            "\u{1f468}\u{1f469}\u{1f467}"
        );
        assert_eq!(width(&clean("\u{1f468}\u{200d}\u{1f469}")), 4);
        assert_eq!(clean("\u{2764}\u{fe0f}"), "\u{2764}");
        assert_eq!(clean("a\u{e0041}\u{e007f}b"), "ab");
        assert_eq!(clean("\u{115f}\u{1160}\u{3164}\u{ffa0}x"), "x");
        assert_eq!(
            clean("so\u{ad}ft zero\u{200b}width\u{feff}"),
            "soft zerowidth"
        );
        assert_eq!(clean("non\u{fffe}\u{fdd0}\u{1ffff}char"), "nonchar");
        assert_eq!(clean("\u{1f44d}\u{1f3fd}"), "\u{1f44d}");
        // Lam-alef: two columns in a terminal, though a ligature in unicode-width.
        assert_eq!(width("\u{644}\u{627}"), 2);
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

    proptest::proptest! {
        #[test]
        fn clean_text_is_free_of_hostile_characters_and_stays_clean(s in "(?s).{0,40}|[\\x00-\\x{a0}\\x{2028}\\x{202e}\\x{200d}\\x{fe0f}\\x{e0041}\\x{3164} a=]{0,40}") {
            for (text, lines) in [(clean(&s), false), (clean_lines(&s), true)] {
                proptest::prop_assert!(
                    !text.chars().any(|c| (c.is_control() && !(lines && c == '\n'))
                        || is_invisible(c)
                        || matches!(c, '\u{2028}' | '\u{2029}')),
                    "{:?} -> {:?}", s, text
                );
                let again = if lines { clean_lines(&text) } else { clean(&text) };
                proptest::prop_assert_eq!(&again, &text);
            }
        }
    }
}
