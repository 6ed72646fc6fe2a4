//! Import and export files of events and tickets: CSV, JSON and JSON lines.
//!
//! Reading validates everything and reports every problem at once, located by file,
//! line and field, because an import is usually a hand-edited or exported file that
//! the user fixes in one go. No store is involved: readers return normalized events.

mod error;
mod read_csv;
mod read_json;
mod record;
mod write;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;

pub use error::{FormatError, FormatErrors};
pub use record::{derived_id, ticket_detected_id, EVENT_FIELDS, TICKET_FIELDS};
pub use write::{write_csv, write_jsonl, EventWriter};

use crate::model::canonical::canonical_bytes;
use crate::model::Event;
use record::FieldError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Jsonl,
}

impl Format {
    pub const EXTENSIONS: &'static str = ".csv, .json, .jsonl or .ndjson";

    /// By the file name's extension, ignoring case.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// Reads an events or tickets file, choosing the format by its extension.
pub fn read_file(path: impl AsRef<Path>) -> Result<Vec<Event>, FormatErrors> {
    let path = path.as_ref();
    let format = Format::from_path(path).ok_or_else(|| {
        FormatError::file(
            path,
            format!(
                "unknown file type: expected a name ending in {}",
                Format::EXTENSIONS
            ),
        )
    })?;
    let bytes =
        std::fs::read(path).map_err(|e| FormatError::file(path, format!("cannot read: {e}")))?;
    read_bytes(path, format, &bytes)
}

/// Reads file content already in memory; `path` only names it in errors.
pub fn read_bytes(path: &Path, format: Format, bytes: &[u8]) -> Result<Vec<Event>, FormatErrors> {
    let located = read_bytes_located(path, format, bytes)?;
    Ok(located.into_iter().map(|(e, _)| e).collect())
}

/// [`read_bytes`], with the 1-based line each event starts on (for errors found later,
/// as a server's checks of who may record what).
pub fn read_bytes_located(
    path: &Path,
    format: Format,
    bytes: &[u8],
) -> Result<Vec<(Event, usize)>, FormatErrors> {
    let text = utf8(path, bytes)?;
    // Spreadsheet programs like to start UTF-8 files with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Found::new(path);
    match format {
        Format::Csv => read_csv::read(text, &mut found),
        Format::Json => read_json::read_json(text, &mut found),
        Format::Jsonl => read_json::read_jsonl(text, &mut found),
    }
    found.finish()
}

/// Every invalid byte sequence, located, so the user can find them all in an editor.
fn utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, FormatErrors> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text);
    }
    let (mut line, mut column) = (1, 1);
    let mut errors = Vec::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        let bad = chunk.invalid();
        if !bad.is_empty() {
            let hex: Vec<String> = bad.iter().map(|b| format!("0x{b:02X}")).collect();
            errors.push(FormatError {
                line,
                column: Some(column),
                message: format!(
                    "not UTF-8 text: invalid byte {}; save the file as UTF-8",
                    hex.join(" ")
                ),
                ..FormatError::file(path, "")
            });
            column += 1;
        }
    }
    Err(FormatErrors(errors))
}

/// An event with where it came from, kept until duplicates are checked.
struct Sourced {
    event: Event,
    line: usize,
    record: Option<String>,
}

/// What the readers found in one file: events and errors, in file order.
struct Found<'p> {
    path: &'p Path,
    events: Vec<Sourced>,
    errors: Vec<FormatError>,
}

impl<'p> Found<'p> {
    fn new(path: &'p Path) -> Self {
        Found {
            path,
            events: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn error(&mut self, line: usize, column: Option<usize>, message: impl Into<String>) {
        self.errors.push(FormatError {
            line,
            column,
            message: message.into(),
            ..FormatError::file(self.path, "")
        });
    }

    fn record(
        &mut self,
        line: usize,
        record: Option<String>,
        result: Result<Event, Vec<FieldError>>,
    ) {
        match result {
            Ok(event) => self.events.push(Sourced {
                event,
                line,
                record,
            }),
            Err(errors) => {
                for e in errors {
                    self.errors.push(FormatError {
                        line,
                        record: record.clone(),
                        field: (!e.field.is_empty()).then_some(e.field),
                        message: e.message,
                        ..FormatError::file(self.path, "")
                    });
                }
            }
        }
    }

    /// The same event twice is harmless (imports are idempotent); the same id for
    /// different content means one of them is wrong, and the user must pick.
    fn finish(mut self) -> Result<Vec<(Event, usize)>, FormatErrors> {
        let mut first: HashMap<String, usize> = HashMap::new();
        let mut kept = Vec::with_capacity(self.events.len());
        for s in std::mem::take(&mut self.events) {
            match first.get(&s.event.id) {
                None => {
                    first.insert(s.event.id.clone(), kept.len());
                    kept.push(s);
                }
                Some(&i) => {
                    let earlier: &Sourced = &kept[i];
                    if canonical_bytes(&earlier.event) != canonical_bytes(&s.event) {
                        let place = match &earlier.record {
                            Some(r) => format!("line {} ({r})", earlier.line),
                            None => format!("line {}", earlier.line),
                        };
                        self.errors.push(FormatError {
                            line: s.line,
                            record: s.record.clone(),
                            field: Some("id".into()),
                            message: format!(
                                "{:?} is also the id of the event at {place}, with different content",
                                s.event.id
                            ),
                            ..FormatError::file(self.path, "")
                        });
                    }
                }
            }
        }
        if self.errors.is_empty() {
            Ok(kept.into_iter().map(|s| (s.event, s.line)).collect())
        } else {
            self.errors.sort_by_key(|e| e.line);
            Err(FormatErrors(self.errors))
        }
    }
}

/// Byte offsets to 1-based line numbers.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex(starts)
    }

    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&s| s <= offset)
    }
}
