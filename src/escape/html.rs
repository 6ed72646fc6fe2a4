//! HTML (the report and evidence renderings): terminal-clean text with `&`, `<`, `>`,
//! `"` and `'` as character references, safe as element content and as a quoted
//! attribute value.

use super::terminal;

/// Text content or attribute value.
pub fn text(s: &str) -> String {
    let clean = terminal::clean(s);
    let mut out = String::with_capacity(clean.len() + 8);
    for c in clean.chars() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_controls_of_the_input_are_inert() {
        let evil = "<script>alert('x')</script> & \u{1b}[31mred\u{202E}txt\n<img src=x>";
        assert_eq!(
            text(evil),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; redtxt &lt;img src=x&gt;"
        );
        assert_eq!(text("a \"quoted\" value"), "a &quot;quoted&quot; value");
    }
}
