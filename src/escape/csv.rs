//! CSV for people, opened in spreadsheets: every cell is terminal-clean (no control
//! characters; line breaks and tabs become spaces) and a cell whose first non-blank
//! character is `=`, `+`, `-` or `@` (or was a tab or carriage return, now a space) is
//! prefixed with `'`, so no spreadsheet runs it as a formula (OWASP, "CSV Injection").
//! Plain numbers such as `-12.5` are left alone: they compute nothing.
//!
//! This makes CSV lossy on purpose; JSON lines is the lossless export. Quoting is the
//! CSV writer's job.

use std::borrow::Cow;

use super::terminal;

/// One cell's text.
pub fn cell(s: &str) -> Cow<'_, str> {
    let clean = if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(terminal::clean(s))
    };
    if is_formula(&clean) {
        Cow::Owned(format!("'{clean}"))
    } else {
        clean
    }
}

fn is_formula(s: &str) -> bool {
    let t = s.trim_start_matches([' ', '\t', '\r', '\n']);
    t.starts_with(['=', '+', '-', '@']) && !is_number(t)
}

/// An optionally signed decimal: digits, at most one point, no exponent.
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut points = 0;
    !digits.is_empty()
        && digits.chars().all(|c| {
            points += usize::from(c == '.');
            c.is_ascii_digit() || (c == '.' && points == 1)
        })
        && digits.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_also_after_blanks_and_tabs() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        assert_eq!(cell("@SUM(A1:A9)"), "'@SUM(A1:A9)");
        assert_eq!(cell("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
        assert_eq!(cell("+1+1"), "'+1+1");
        assert_eq!(cell("  =1+1"), "'  =1+1");
        assert_eq!(cell("\t=1+1"), "' =1+1");
        assert_eq!(cell("\r@x"), "' @x");
        assert_eq!(cell("-"), "'-");
    }

    #[test]
    fn plain_text_and_numbers_are_unchanged() {
        assert_eq!(cell("ACME-1001"), "ACME-1001");
        assert_eq!(cell("-12.5"), "-12.5");
        assert_eq!(cell("+3"), "+3");
        assert_eq!(cell("café"), "café");
        assert_eq!(cell(""), "");
        assert!(matches!(cell("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(cell("a\x1b[31mred\x07\u{9b}0m"), "ared");
        assert_eq!(cell("two\nlines"), "two lines");
        assert_eq!(cell("\x1b[0m=1+1"), "'=1+1");
    }

    proptest::proptest! {
        #[test]
        fn no_cell_is_a_formula_or_holds_a_control(s in "(?s).{0,30}|[ \\t\\r\\n=+@\\-\\x1b\\x{9b}0-9.a]{0,12}") {
            let c = cell(&s);
            proptest::prop_assert!(!c.chars().any(char::is_control), "{:?} -> {:?}", s, c);
            let t = c.trim_start();
            proptest::prop_assert!(
                !t.starts_with(['=', '+', '-', '@']) || is_number(t),
                "{:?} -> {:?}", s, c
            );
        }
    }
}
