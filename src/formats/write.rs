//! Export: JSON lines, the lossless backup the readers take back unchanged, and CSV
//! for people, every cell escaped for spreadsheets (so not lossless: see
//! `crate::escape::csv`).

use std::io::{self, Write};

use serde::Serialize;

use super::EVENT_FIELDS;
use crate::escape;
use crate::model::canonical::instant;
use crate::model::{Event, Payload};

/// One line of JSON lines output, fields in the order a reader scans them.
#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    ticket: &'a str,
    kind: &'a str,
    at: String,
    recorded_at: String,
    actor: &'a str,
    payload: &'a Payload,
}

/// Writes events one at a time, so an export never holds the whole log in memory.
pub enum EventWriter<W: Write> {
    /// One event per line; instants as RFC 3339 UTC with six fractional digits; strings
    /// escaped as in `crate::escape::json`.
    Jsonl(io::BufWriter<W>),
    /// A header row and one row per event, with the payload as compact JSON in its cell;
    /// every cell as `crate::escape::csv` makes it.
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> EventWriter<W> {
    pub fn jsonl(out: W) -> Self {
        EventWriter::Jsonl(io::BufWriter::new(out))
    }

    pub fn csv(out: W) -> io::Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(EVENT_FIELDS).map_err(csv_error)?;
        Ok(EventWriter::Csv(Box::new(w)))
    }

    pub fn write(&mut self, e: &Event) -> io::Result<()> {
        match self {
            EventWriter::Jsonl(out) => {
                let line = Line {
                    id: &e.id,
                    ticket: &e.ticket,
                    kind: e.kind.as_str(),
                    at: instant(e.at),
                    recorded_at: instant(e.recorded_at),
                    actor: &e.actor,
                    payload: &e.payload,
                };
                escape::json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")
            }
            EventWriter::Csv(w) => {
                let payload = escape::json::to_string(&e.payload)?;
                let cells: [std::borrow::Cow<str>; 7] = [
                    escape::csv::cell(&e.id),
                    escape::csv::cell(&e.ticket),
                    e.kind.as_str().into(),
                    instant(e.at).into(),
                    instant(e.recorded_at).into(),
                    escape::csv::cell(&e.actor),
                    escape::csv::cell(&payload),
                ];
                w.write_record(cells.iter().map(|c| c.as_bytes()))
                    .map_err(csv_error)?;
                Ok(())
            }
        }
    }

    pub fn finish(self) -> io::Result<()> {
        match self {
            EventWriter::Jsonl(mut out) => out.flush(),
            EventWriter::Csv(mut w) => w.flush(),
        }
    }
}

/// The I/O error itself when there is one, so a closed output is seen as one.
fn csv_error(e: csv::Error) -> io::Error {
    if !e.is_io_error() {
        return io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}

pub fn write_jsonl<W: Write>(events: &[Event], out: W) -> io::Result<()> {
    write_all(EventWriter::jsonl(out), events)
}

pub fn write_csv<W: Write>(events: &[Event], out: W) -> io::Result<()> {
    write_all(EventWriter::csv(out)?, events)
}

fn write_all<W: Write>(mut w: EventWriter<W>, events: &[Event]) -> io::Result<()> {
    for e in events {
        w.write(e)?;
    }
    w.finish()
}
