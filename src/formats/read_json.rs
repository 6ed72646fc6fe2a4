//! JSON (an array of records, or `{"tickets": [...], "events": [...]}`) and JSON lines,
//! read one record at a time.

use std::fmt;
use std::io::{self, BufRead};
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::input::{self, Lines, Position, Stop, Tracked, MAX_RECORD};
use super::record::{found, to_event, Expect, FieldError};
use super::scan::{Found, Label};
use super::strict_json::{self, Duplicates, Strict};
use crate::model::Event;

const SHAPE: &str =
    "expected a JSON array of records, or an object {\"tickets\": [...], \"events\": [...]}";

pub(super) fn read_jsonl(reader: impl BufRead, out: &mut Found) -> io::Result<()> {
    let mut lines = Lines::new(reader);
    let mut buf = Vec::new();
    while let Some(line) = lines.next_line(&mut buf)? {
        let n = line.number;
        if line.too_long {
            out.error(n, None, too_long(line.bytes));
            continue;
        }
        let text = match input::utf8(&buf) {
            Ok(t) => t,
            Err((column, message)) => {
                out.error(n, Some(column), message);
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        let text = text.strip_suffix('\n').unwrap_or(text);
        match strict_json::from_str(text) {
            Ok((value, dups)) => out.record(n, None, record(value, &dups, Expect::Either)),
            Err(e) => syntax_error(out, &e, n - 1),
        }
    }
    Ok(())
}

fn too_long(bytes: u64) -> String {
    format!(
        "longer than {} MiB ({bytes} bytes); one record must fit in that",
        MAX_RECORD >> 20
    )
}

/// A parsed record as an event, or every problem with it.
fn record(value: Value, dups: &Duplicates, expect: Expect) -> Result<Event, Vec<FieldError>> {
    let result = match &value {
        Value::Object(map) => to_event(map, expect),
        other => Err(vec![not_a_record(other)]),
    };
    match dups.message() {
        None => result,
        Some((field, message)) => {
            let mut errors = vec![FieldError { field, message }];
            errors.extend(result.err().unwrap_or_default());
            Err(errors)
        }
    }
}

fn not_a_record(v: &Value) -> FieldError {
    FieldError {
        field: String::new(),
        message: format!("expected a record (a JSON object), found {}", found(v)),
    }
}

/// serde_json's message without its own " at line L column C", which we print first.
fn syntax_error(out: &mut Found, e: &serde_json::Error, lines_before: usize) {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    let message = if message.contains("unknown field") {
        format!("{message}; {SHAPE}")
    } else {
        format!("invalid JSON: {message}")
    };
    out.error(e.line() + lines_before, Some(e.column()), message);
}

/// Which records one reading of a JSON file takes. A sections object is read twice,
/// tickets first and events second, so that every ticket's `detected` event is stored
/// before the events of that ticket wherever the sections are in the file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    /// The records of an array, or the `tickets` section.
    First,
    Events,
}

/// Reads the records `want` names; true when the file is a sections object read
/// without a problem, whose events are still to be read.
pub(super) fn read_json(reader: impl BufRead, out: &mut Found, want: Want) -> io::Result<bool> {
    let (tracked, pos) = Tracked::new(reader);
    let mut de = serde_json::Deserializer::from_reader(tracked);
    let result = Top {
        out: &mut *out,
        pos: Rc::clone(&pos),
        want,
    }
    .deserialize(&mut de)
    .and_then(|sections| de.end().map(|()| sections));
    let e = match result {
        Ok(sections) => return Ok(sections && want == Want::First),
        Err(e) => e,
    };
    let stop = pos.stop.borrow().clone();
    match stop {
        Some(Stop::NotUtf8 {
            line,
            column,
            message,
        }) => out.error(line, Some(column), message),
        Some(Stop::TooLong { line }) => out.error(
            line,
            None,
            format!(
                "a record longer than {} MiB; one record must fit in that (the rest of the file is not read)",
                MAX_RECORD >> 20
            ),
        ),
        Some(Stop::TooLongOutside { line }) => out.error(
            line,
            None,
            format!(
                "more than {} MiB outside any record (a key or value that big is no record \
                 of events); the rest of the file is not read",
                MAX_RECORD >> 20
            ),
        ),
        None if e.is_eof() && pos.first_token.get().is_none() => {}
        None if e.is_io() => return Err(e.into()),
        None => {
            let message = e.to_string();
            if let Some(shape) = message.strip_prefix(SHAPE_MARK) {
                let (line, column) = pos.first_token.get().unwrap_or((e.line(), e.column()));
                let shape = shape
                    .rsplit_once(" at line ")
                    .map_or(shape, |(head, _)| head);
                out.error(line, Some(column), shape.to_owned());
            } else {
                syntax_error(out, &e, 0);
            }
        }
    }
    Ok(false)
}

/// Marks our own "not the right shape" error, whose place is the first token.
const SHAPE_MARK: &str = "\u{0}shape:";

/// The whole file: an array of records or the sections object.
struct Top<'a, 'p> {
    out: &'a mut Found<'p>,
    pos: Rc<Position>,
    want: Want,
}

/// Whether the file was a sections object.
impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

fn shape<E: de::Error>() -> E {
    E::custom(format!("{SHAPE_MARK}{SHAPE}"))
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(SHAPE)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Err(shape())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Err(shape())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Err(shape())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Err(shape())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Err(shape())
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Err(shape())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        records(self.out, &self.pos, seq, Label::Array, Expect::Either, true)?;
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let (label, expect, take): (fn(usize) -> Label, Expect, bool) = match key.as_str() {
                "tickets" => (Label::Tickets, Expect::Ticket, self.want == Want::First),
                "events" => (Label::Events, Expect::Event, self.want == Want::Events),
                _ => {
                    return Err(de::Error::custom(format!(
                        "unknown field `{}`, expected `tickets` or `events`",
                        super::error::name(&key)
                    )))
                }
            };
            if seen.contains(&key) {
                return Err(de::Error::custom(format!(
                    "`{key}` is given twice; give each section once"
                )));
            }
            map.next_value_seed(Section {
                out: &mut *self.out,
                pos: &self.pos,
                label,
                expect,
                take,
            })?;
            seen.push(key);
        }
        Ok(true)
    }
}

/// One section's array of records.
struct Section<'a, 'p> {
    out: &'a mut Found<'p>,
    pos: &'a Rc<Position>,
    label: fn(usize) -> Label,
    expect: Expect,
    /// False: only check the records' syntax and size (the other reading takes them).
    take: bool,
}

impl<'de> DeserializeSeed<'de> for Section<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Section<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        records(self.out, self.pos, seq, self.label, self.expect, self.take)
    }
}

fn records<'de, A: SeqAccess<'de>>(
    out: &mut Found,
    pos: &Rc<Position>,
    mut seq: A,
    label: fn(usize) -> Label,
    expect: Expect,
    take: bool,
) -> Result<(), A::Error> {
    if !take {
        while seq.next_element_seed(Skip { pos })?.is_some() {}
        return Ok(());
    }
    let mut i = 0;
    loop {
        let seed = Element { pos };
        match seq.next_element_seed(seed)? {
            None => return Ok(()),
            Some((line, value, dups)) => {
                out.record(line, Some(label(i)), record(value, &dups, expect));
                i += 1;
            }
        }
    }
}

/// One record, with the line it starts on and its duplicate keys.
struct Element<'a> {
    pos: &'a Rc<Position>,
}

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = (usize, Value, Duplicates);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // serde_json has just read the record's first byte to see what it is.
        let (line, _) = self.pos.last.get();
        self.pos.start_record(line);
        let mut dups = Duplicates::default();
        let mut path = String::new();
        let value = Strict {
            path: &mut path,
            dups: &mut dups,
        }
        .deserialize(d)?;
        self.pos.end_record();
        Ok((line, value, dups))
    }
}

/// A record of a section another reading takes: only its syntax and size are checked.
struct Skip<'a> {
    pos: &'a Rc<Position>,
}

impl<'de> DeserializeSeed<'de> for Skip<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let (line, _) = self.pos.last.get();
        self.pos.start_record(line);
        de::IgnoredAny::deserialize(d)?;
        self.pos.end_record();
        Ok(())
    }
}
