//! Desktop notifications (the freedesktop notification specification): the summary is
//! plain text, the body may carry simple markup (`<b>`, `<i>`, `<u>`, `<a href>`,
//! `<img>`), so untrusted text in a body is entity-escaped as XML character data.
//! Both are first made terminal-clean: notification daemons hand their text to
//! terminals, logs and GTK labels that interpret control and bidi characters.

use super::terminal;

/// Untrusted text for a notification body: sanitised, line breaks kept, and `<`, `>`,
/// `&`, `"`, `'` as entities so no tag or entity of the input is interpreted.
pub fn body(s: &str) -> String {
    let clean = terminal::clean_lines(s);
    let mut out = String::with_capacity(clean.len() + 8);
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A notification summary: plain text by the specification, so sanitised only.
pub fn summary(s: &str) -> String {
    terminal::clean(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_markup_of_the_input_is_shown_not_interpreted() {
        assert_eq!(
            body("<b>bold</b> <a href=\"http://x\">l</a> <img src='y'/> R&D"),
            "&lt;b&gt;bold&lt;/b&gt; &lt;a href=&quot;http://x&quot;&gt;l&lt;/a&gt; \
             &lt;img src=&apos;y&apos;/&gt; R&amp;D"
        );
        assert_eq!(body("line one\nline two"), "line one\nline two");
    }

    #[test]
    fn controls_are_removed_from_body_and_summary() {
        let evil = "a\x1b]0;t\x07b\u{9b}2Jc\u{202e}d\u{85}e";
        assert_eq!(body(evil), "abcd\ne");
        assert_eq!(summary(evil), "abcd e");
        assert_eq!(summary("<b>as typed</b> & co"), "<b>as typed</b> & co");
    }
}
