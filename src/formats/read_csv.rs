//! CSV with a header row: events (the header has a `kind` column) or tickets.
//!
//! So that hand-written files stay pleasant, an events CSV may carry payload fields as
//! plain columns (`reason`, `to`, `level`, ...) instead of JSON in the `payload` cell.

use std::io::{self, BufRead};

use csv_core::ReadRecordResult;
use serde_json::{Map, Value};

use super::error::{echo, name};
use super::input::{self, Lines, MAX_RECORD};
use super::record::{found, to_event, Expect, FieldError, TICKET_FIELDS};
use super::scan::Found;
use super::strict_json;

/// Event columns that are the event's own fields rather than payload fields.
const EVENT_COLUMNS: [&str; 6] = ["id", "ticket", "kind", "at", "recorded_at", "actor"];
const EVENT_REQUIRED: [&str; 3] = ["ticket", "kind", "at"];
const TICKET_REQUIRED: [&str; 5] = ["ticket", "customer", "priority", "title", "detected_at"];
const LAYOUTS: &str = "an events CSV needs columns ticket, kind, at (optional: id, recorded_at, \
     actor, payload, and any payload field); a tickets CSV needs ticket, customer, priority, \
     title, detected_at (optional: service, assignee, actor)";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Events,
    Tickets,
}

pub(super) fn read(reader: impl BufRead, out: &mut Found) -> io::Result<()> {
    let mut rows = Rows::new(reader);
    let header = loop {
        match rows.next(out)? {
            None => return Ok(()),
            Some(Row::Bad) => return Ok(()),
            Some(Row::Cells(_, cells)) if cells.iter().all(|c| c.trim().is_empty()) => {}
            Some(Row::Cells(line, cells)) => break (line, cells),
        }
    };
    let names: Vec<String> = header.1.iter().map(|h| h.trim().to_owned()).collect();
    let Some(layout) = check_header(&names, header.0, out) else {
        return Ok(());
    };
    while let Some(row) = rows.next(out)? {
        let Row::Cells(line, row) = row else {
            continue;
        };
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if row.len() != names.len() {
            out.error(
                line,
                None,
                format!(
                    "expected {} cells as in the header, found {}",
                    names.len(),
                    row.len()
                ),
            );
            continue;
        }
        let cells = names
            .iter()
            .map(String::as_str)
            .zip(row.iter().map(String::as_str));
        let result = match layout {
            Layout::Tickets => {
                let map = cells
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                    .collect();
                to_event(&map, Expect::Ticket)
            }
            Layout::Events => event_row(cells),
        };
        out.record(line, None, result);
    }
    Ok(())
}

/// A record of the file: its cells and the line it starts on, or one already reported
/// as bad.
enum Row {
    Cells(usize, Vec<String>),
    Bad,
}

/// Records parsed by csv_core from bounded lines, each held in at most
/// [`MAX_RECORD`] bytes, with the quote state tracked to catch a quote never closed.
struct Rows<R> {
    lines: Lines<R>,
    parser: csv_core::Reader,
    line: Vec<u8>,
    used: usize,
    line_no: usize,
    eof: bool,
    cells: Vec<u8>,
    cells_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// The line the record being read starts on.
    start: Option<usize>,
    /// The record has a problem already reported (bad UTF-8) or too many bytes.
    bad: bool,
    too_big: bool,
    quotes: Quotes,
}

impl<R: BufRead> Rows<R> {
    fn new(reader: R) -> Self {
        Rows {
            lines: Lines::new(reader),
            parser: csv_core::Reader::new(),
            line: Vec::new(),
            used: 0,
            line_no: 0,
            eof: false,
            cells: vec![0; 1024],
            cells_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            start: None,
            bad: false,
            too_big: false,
            quotes: Quotes::default(),
        }
    }

    /// The next record; `None` at the end of the file.
    fn next(&mut self, out: &mut Found) -> io::Result<Option<Row>> {
        loop {
            if self.used == self.line.len() && !self.eof && !self.next_line(out)? {
                continue;
            }
            let input = &self.line[self.used..];
            let (result, read, written, ended) = self.parser.read_record(
                input,
                &mut self.cells[self.cells_len..],
                &mut self.ends[self.ends_len..],
            );
            self.used += read;
            self.cells_len += written;
            self.ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull if self.cells.len() >= MAX_RECORD => {
                    // Keep parsing to find where the record ends, holding none of it.
                    self.too_big = true;
                    self.cells_len = 0;
                    self.ends_len = 0;
                }
                ReadRecordResult::OutputFull => {
                    let len = (self.cells.len() * 2).min(MAX_RECORD);
                    self.cells.resize(len, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                ReadRecordResult::Record => return Ok(Some(self.finish_record(out))),
                ReadRecordResult::End => return Ok(None),
            }
        }
    }

    /// Reads the next physical line; false when it was reported and skipped.
    fn next_line(&mut self, out: &mut Found) -> io::Result<bool> {
        self.used = 0;
        let Some(line) = self.lines.next_line(&mut self.line)? else {
            self.eof = true;
            self.line.clear();
            return Ok(true);
        };
        self.line_no = line.number;
        if line.too_long {
            out.error(
                line.number,
                None,
                format!(
                    "longer than {} MiB ({} bytes); one record must fit in that",
                    MAX_RECORD >> 20,
                    line.bytes
                ),
            );
            // What was read of the record is dropped with it; the next line starts afresh.
            self.parser.reset();
            self.quotes = Quotes::default();
            self.cells_len = 0;
            self.ends_len = 0;
            self.start = None;
            self.bad = false;
            self.too_big = false;
            return Ok(false);
        }
        if self.start.is_none() && !self.line.iter().all(|b| b"\r\n".contains(b)) {
            self.start = Some(line.number);
        }
        if let Err((column, message)) = input::utf8(&self.line) {
            out.error(line.number, Some(column), message);
            self.bad = true;
        }
        self.quotes.feed(&self.line, line.number);
        Ok(true)
    }

    fn finish_record(&mut self, out: &mut Found) -> Row {
        let line = self.start.take().unwrap_or(self.line_no);
        let (bad, too_big) = (self.bad, self.too_big);
        let (cells_len, ends_len) = (self.cells_len, self.ends_len);
        self.bad = false;
        self.too_big = false;
        self.cells_len = 0;
        self.ends_len = 0;
        if self.eof {
            if let Some((open_line, column)) = self.quotes.open() {
                out.error(
                    open_line,
                    Some(column),
                    "invalid CSV: this quoted cell is never closed: every line after it up to \
                     the end of the file would be part of it; close the quote (a `\"` inside \
                     a quoted cell is written `\"\"`)",
                );
                return Row::Bad;
            }
        }
        if too_big {
            out.error(
                line,
                None,
                format!(
                    "invalid CSV: a row longer than {} MiB; one record must fit in that",
                    MAX_RECORD >> 20
                ),
            );
            return Row::Bad;
        }
        if bad {
            return Row::Bad;
        }
        let bytes = &self.cells[..cells_len];
        let mut cells = Vec::with_capacity(ends_len);
        let mut from = 0;
        for &end in &self.ends[..ends_len] {
            // Every line of the record was checked as UTF-8 and csv_core splits only
            // at ASCII bytes, so each cell is whole UTF-8 text.
            cells.push(String::from_utf8_lossy(&bytes[from..end]).into_owned());
            from = end;
        }
        Row::Cells(line, cells)
    }
}

/// Where csv_core's default dialect (`,`, `"` doubled inside quotes, any line ending)
/// is in a cell, so the end of the file can tell a quote that was never closed.
#[derive(Default)]
struct Quotes {
    state: QuoteState,
    opened: (usize, usize),
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    #[default]
    CellStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted cell: its end, or the first of a doubled `""`.
    QuoteInQuoted,
}

impl Quotes {
    fn feed(&mut self, line: &[u8], number: usize) {
        use QuoteState::*;
        let mut column = 0;
        for &b in line {
            // Columns count characters: skip UTF-8 continuation bytes.
            if b & 0xC0 != 0x80 {
                column += 1;
            }
            self.state = match (self.state, b) {
                (CellStart, b'"') => {
                    self.opened = (number, column);
                    Quoted
                }
                (Quoted, b'"') => QuoteInQuoted,
                (Quoted, _) => Quoted,
                (QuoteInQuoted, b'"') => Quoted,
                (_, b',' | b'\n' | b'\r') => CellStart,
                _ => Unquoted,
            };
        }
    }

    /// Where the quote still open at the end of the file began.
    fn open(&self) -> Option<(usize, usize)> {
        (self.state == QuoteState::Quoted).then_some(self.opened)
    }
}

/// Which layout the header describes, or `None` (after reporting why) if rows cannot
/// be read by it.
fn check_header(names: &[String], line: usize, out: &mut Found) -> Option<Layout> {
    let before = out.error_count();
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            out.error(
                line,
                None,
                format!("column {} has no name in the header", i + 1),
            );
        } else if names[..i].contains(n) {
            out.error(
                line,
                None,
                format!("column `{}` appears twice in the header", name(n)),
            );
        }
    }
    let has = |c: &str| names.iter().any(|n| n == c);
    let layout = if !has("kind") && has("customer") {
        Layout::Tickets
    } else {
        Layout::Events
    };
    let required: &[&str] = match layout {
        Layout::Events => &EVENT_REQUIRED,
        Layout::Tickets => &TICKET_REQUIRED,
    };
    for c in required.iter().filter(|c| !has(c)) {
        out.error(
            line,
            None,
            format!("missing column `{c}` in the header: {LAYOUTS}"),
        );
    }
    if layout == Layout::Tickets {
        for n in names.iter().filter(|n| !n.is_empty()) {
            if !TICKET_FIELDS.contains(&n.as_str()) {
                out.error(
                    line,
                    None,
                    format!("unknown column `{}` in a tickets CSV: {LAYOUTS}", name(n)),
                );
            }
        }
    }
    (out.error_count() == before).then_some(layout)
}

/// An events row as a record: own fields from their columns, payload from the
/// `payload` JSON cell plus every other non-empty column.
fn event_row<'a>(
    cells: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<crate::model::Event, Vec<FieldError>> {
    let mut rec = Map::new();
    let mut payload = Map::new();
    let mut extra: Vec<(&str, &str)> = Vec::new();
    let mut errors = Vec::new();
    let mut payload_bad = false;
    let mut bad_columns: Vec<String> = Vec::new();
    for (name, cell) in cells {
        if cell.is_empty() {
            continue;
        }
        if EVENT_COLUMNS.contains(&name) {
            rec.insert(name.to_owned(), Value::String(cell.to_owned()));
        } else if name == "payload" {
            match strict_json::from_str(cell) {
                Ok((Value::Object(m), dups)) => {
                    payload = m;
                    if let Some((field, message)) = dups.message() {
                        payload_bad = true;
                        errors.push(field_error(&format!("payload.{field}"), message));
                    }
                }
                Ok((other, _)) => {
                    payload_bad = true;
                    errors.push(field_error(
                        "payload",
                        format!("expected a JSON object, found {}", found(&other)),
                    ));
                }
                Err(e) => {
                    payload_bad = true;
                    errors.push(field_error(
                        "payload",
                        format!(
                            "expected a JSON object like {{\"reason\":\"customer\"}}, \
                             found {} ({e})",
                            echo(cell)
                        ),
                    ));
                }
            }
        } else {
            extra.push((name, cell));
        }
    }
    for (name, cell) in extra {
        let value = if name == "level" {
            match cell.trim().parse::<u64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    errors.push(field_error(
                        name,
                        format!("expected a whole number 1 to 9, found {}", echo(cell)),
                    ));
                    bad_columns.push(format!("payload.{name}"));
                    continue;
                }
            }
        } else {
            Value::String(cell.to_owned())
        };
        if payload.contains_key(name) {
            errors.push(field_error(
                name,
                "given both as a column and inside the `payload` cell",
            ));
        } else {
            payload.insert(name.to_owned(), value);
        }
    }
    rec.insert("payload".into(), Value::Object(payload));
    match to_event(&rec, Expect::Event) {
        Ok(event) if errors.is_empty() => Ok(event),
        Ok(_) => Err(errors),
        Err(more) => {
            // A payload field that did not parse would also look missing: say it once.
            errors.extend(more.into_iter().filter(|e| {
                !(payload_bad && e.field.starts_with("payload") || bad_columns.contains(&e.field))
            }));
            Err(errors)
        }
    }
}

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}
