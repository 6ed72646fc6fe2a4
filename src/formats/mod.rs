//! Import and export files of events and tickets: CSV, JSON and JSON lines.
//!
//! Reading validates everything and reports every problem at once, located by file,
//! line and field, because an import is usually a hand-edited or exported file that
//! the user fixes in one go. No store is involved: readers hand over normalized events
//! one at a time, so a file of any size is read in the memory of one record (plus a
//! few dozen bytes per event id, to find one id given to two different events).

mod error;
mod input;
mod read_csv;
mod read_json;
mod record;
mod scan;
mod strict_json;
mod write;

#[cfg(test)]
mod tests;

use std::io::BufRead;
use std::path::Path;

pub use error::{echo, FormatError, FormatErrors};
pub use input::MAX_RECORD;
pub use record::{derived_id, ticket_detected_id, EVENT_FIELDS, TICKET_FIELDS};
pub use scan::{Scan, Summary, ID_REUSED};
pub use write::{write_csv, write_jsonl, EventWriter};

use crate::model::Event;

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

/// Reads a whole events or tickets file into memory, choosing the format by its
/// extension (for small inputs such as `sla --events`; `import` streams with [`scan_file`]).
pub fn read_file(path: impl AsRef<Path>) -> Result<Vec<Event>, FormatErrors> {
    let mut scan = Scan::new();
    let mut events = Vec::new();
    scan_file(path.as_ref(), &mut scan, &mut |e| events.push(e));
    scan.finish()?;
    Ok(events)
}

/// Reads file content already in memory; `path` only names it in errors.
pub fn read_bytes(path: &Path, format: Format, bytes: &[u8]) -> Result<Vec<Event>, FormatErrors> {
    Ok(read_bytes_located(path, format, bytes)?
        .into_iter()
        .map(|(e, _)| e)
        .collect())
}

/// [`read_bytes`], with the 1-based line each event starts on (for errors found later,
/// as a server's checks of who may record what).
pub fn read_bytes_located(
    path: &Path,
    format: Format,
    bytes: &[u8],
) -> Result<Vec<(Event, usize)>, FormatErrors> {
    let mut scan = Scan::new();
    let mut events = Vec::new();
    let mut open = || Ok(Box::new(bytes) as Box<dyn BufRead>);
    scan_source(path, format, &mut open, &mut scan, &mut |e, line| {
        events.push((e, line))
    });
    scan.finish()?;
    Ok(events)
}

/// Reads one file record by record, passing every valid event to `on_event` (each id
/// once) and noting every problem in `scan`.
pub fn scan_file(path: &Path, scan: &mut Scan, on_event: &mut dyn FnMut(Event)) {
    scan_file_located(path, scan, &mut |e, _| on_event(e));
}

/// [`scan_file`], with the 1-based line each event starts on.
pub fn scan_file_located(path: &Path, scan: &mut Scan, on_event: &mut dyn FnMut(Event, usize)) {
    let Some(format) = Format::from_path(path) else {
        return scan.push(FormatError::file(
            path,
            format!(
                "unknown file type: expected a name ending in {}",
                Format::EXTENSIONS
            ),
        ));
    };
    let mut open = || -> std::io::Result<Box<dyn BufRead>> {
        let file = open_regular(path)?;
        Ok(Box::new(std::io::BufReader::with_capacity(64 * 1024, file)))
    };
    scan_source(path, format, &mut open, scan, on_event);
}

/// The file, if it is one: a FIFO or a device would never end or never be a file of
/// records.
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    std::fs::File::open(path)
}

/// Reads records from a byte source that `open` starts from the beginning (a JSON
/// sections object is read twice); `path` names it in errors.
fn scan_source<'b>(
    path: &Path,
    format: Format,
    open: &mut dyn FnMut() -> std::io::Result<Box<dyn BufRead + 'b>>,
    scan: &mut Scan,
    on_event: &mut dyn FnMut(Event, usize),
) {
    let mut found = scan.file(path, on_event);
    let result = (|| match format {
        Format::Csv => read_csv::read(open()?, &mut found),
        Format::Json => {
            if read_json::read_json(open()?, &mut found, read_json::Want::First)? {
                read_json::read_json(open()?, &mut found, read_json::Want::Events)?;
            }
            Ok(())
        }
        Format::Jsonl => read_json::read_jsonl(open()?, &mut found),
    })();
    if let Err(e) = result {
        found.error(0, None, format!("cannot read: {e}"));
    }
}
