//! Markdown (the report and evidence renderings): terminal-clean text as inline
//! Markdown, also safe in a table cell. Emphasis, code, link and table punctuation is
//! backslash-escaped; a leading `#`, `-`, `+`, `=` or `1.` cannot start a heading,
//! list or quote; `<`, `>`, `&` become entities so no renderer sees raw HTML.

use super::terminal;

/// Inline Markdown text.
pub fn inline(s: &str) -> String {
    let p = terminal::clean(s);
    let mut out = String::with_capacity(p.len() + 8);
    // An ordered-list marker at the start: digits then `.` or `)`.
    let digits = p.bytes().take_while(u8::is_ascii_digit).count();
    let list_mark = (digits > 0
        && matches!(p.as_bytes().get(digits), Some(b'.' | b')'))
        && matches!(p.as_bytes().get(digits + 1), None | Some(b' ' | b'\t')))
    .then_some(digits);
    for (i, c) in p.chars().enumerate() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '-' | '+' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if list_mark == Some(i) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_html_of_the_input_are_inert() {
        let evil = "<script>alert('x')</script> & \u{1b}[31mred\u{202E}txt\n| *b* [l](j:x)";
        let m = inline(evil);
        assert!(!m.contains('<') && !m.contains('\n') && !m.contains('\u{1b}'));
        assert!(m.contains("\\| \\*b\\* \\[l\\](j:x)"), "{m}");
        assert_eq!(inline("2026-03 at 99.9 %"), "2026-03 at 99.9 %");
        assert_eq!(inline("1. not a list"), "1\\. not a list");
        assert_eq!(inline("# not a heading"), "\\# not a heading");
    }
}
