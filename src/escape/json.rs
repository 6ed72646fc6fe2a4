//! Every JSON the program writes, for people or machines: besides what JSON requires
//! (quotes, backslashes, C0 controls), DEL, C1 controls, U+2028/U+2029 (line breaks to
//! JavaScript and many viewers) and the bidi controls U+200E/U+200F, U+202A–U+202E and
//! U+2066–U+2069 are written as `\uXXXX`. The text is unchanged for any JSON reader;
//! only what a terminal, pager or editor would act on is hidden.
//!
//! Not for hashing: the canonical bytes of an event (`model::canonical`) are their own
//! encoding and must never change.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

/// Compact JSON text of `value`.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(128);
    to_writer(&mut out, value)?;
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// Indented JSON text of `value`.
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(1024);
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        Escaping(PrettyFormatter::with_indent(b"  ")),
    );
    value.serialize(&mut ser)?;
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// Compact JSON of `value` written to `out`.
pub fn to_writer<W: Write, T: Serialize + ?Sized>(out: W, value: &T) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, Escaping(CompactFormatter));
    value.serialize(&mut ser)
}

fn escaped(c: char) -> bool {
    matches!(c,
        '\u{7f}'..='\u{9f}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// A formatter that escapes [`escaped`] characters in strings and otherwise lays out
/// as the one it wraps.
struct Escaping<F>(F);

impl<F: Formatter> Formatter for Escaping<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if escaped(c) {
                self.0.write_string_fragment(w, &fragment[start..i])?;
                // Every escaped character is in the Basic Multilingual Plane.
                write!(w, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        self.0.write_string_fragment(w, &fragment[start..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    const HOSTILE: &str =
        "a\u{1b}[2J\u{7}b\u{85}c\u{9b}d\u{2028}e\u{2029}f\u{202e}g\u{2066}h\u{7f}";

    #[test]
    fn controls_separators_and_bidi_are_escaped() {
        let s = to_string(&json!({ "t": HOSTILE })).unwrap();
        assert_eq!(
            s,
            r#"{"t":"a\u001b[2J\u0007b\u0085c\u009bd\u2028e\u2029f\u202eg\u2066h\u007f"}"#
        );
        assert!(s.is_ascii());
    }

    #[test]
    fn readers_get_the_same_text_back_and_layout_is_the_wrapped_one() {
        let v = json!({ "t": HOSTILE, "n": [1, 2], "o": { "k": "日本" } });
        for s in [to_string(&v).unwrap(), to_string_pretty(&v).unwrap()] {
            assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), v);
        }
        let plain = json!({ "n": [1, 2], "o": { "k": "日本" } });
        assert_eq!(
            to_string(&plain).unwrap(),
            serde_json::to_string(&plain).unwrap()
        );
        assert_eq!(
            to_string_pretty(&plain).unwrap(),
            serde_json::to_string_pretty(&plain).unwrap()
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_reads_back_the_same_with_nothing_raw(s in "(?s).{0,40}") {
            let text = to_string(&s).unwrap();
            proptest::prop_assert!(
                !text.chars().any(|c| c.is_control() || escaped(c)),
                "{:?} -> {:?}", s, text
            );
            proptest::prop_assert_eq!(serde_json::from_str::<String>(&text).unwrap(), s);
        }
    }
}
