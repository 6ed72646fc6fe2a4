//! Untrusted text (titles, notes, messages, actors, ids) made safe for each output:
//! HTML-escaped in HTML, neutralised in Markdown, CSV and terminals.

/// Control characters (C0 except tab/newline, DEL, C1) and bidirectional overrides
/// that could reorder what a reader sees ("Trojan Source") or drive a terminal.
fn is_hostile(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One line of plain text: hostile characters become U+FFFD, line breaks and tabs
/// become spaces.
pub fn plain(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if is_hostile(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// For terminals: [`plain`] (no escape sequences reach the terminal).
pub fn terminal(s: &str) -> String {
    plain(s)
}

/// Text content or attribute value in HTML.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in plain(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Inline Markdown text (also safe in a table cell): emphasis, code, link and table
/// punctuation is backslash-escaped, a leading `#`, `-`, `+`, `>` or `1.` cannot start
/// a heading, list or quote, and `<`, `>`, `&` become entities so no renderer sees raw
/// HTML.
pub fn markdown(s: &str) -> String {
    let p = plain(s);
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

/// A CSV field: [`plain`], and a leading `=`, `+`, `-`, `@` (a spreadsheet formula)
/// defused with an apostrophe. Quoting is the CSV writer's job.
pub fn csv(s: &str) -> String {
    let p = plain(s);
    if p.starts_with(['=', '+', '-', '@']) && p.parse::<f64>().is_err() {
        format!("'{p}")
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_neutralised_everywhere() {
        let evil = "<script>alert('x')</script> & \u{1b}[31mred\u{202E}txt\n| *b* [l](j:x)";
        let h = html(evil);
        assert!(!h.contains('<') && !h.contains('\u{1b}') && !h.contains('\u{202E}'));
        assert!(
            h.starts_with("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; \u{FFFD}[31mred")
        );
        let m = markdown(evil);
        assert!(!m.contains('<') && !m.contains('\n') && !m.contains('\u{1b}'));
        assert!(m.contains("\\| \\*b\\* \\[l\\](j:x)"), "{m}");
        assert_eq!(markdown("2026-03 at 99.9 %"), "2026-03 at 99.9 %");
        assert_eq!(markdown("1. not a list"), "1\\. not a list");
        assert_eq!(markdown("# not a heading"), "\\# not a heading");
        assert_eq!(
            terminal("a\u{1b}]0;pwned\u{7}b"),
            "a\u{FFFD}]0;pwned\u{FFFD}b"
        );
        assert_eq!(csv("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv("-12.5"), "-12.5");
        assert_eq!(csv("@SUM(A1)"), "'@SUM(A1)");
    }
}
