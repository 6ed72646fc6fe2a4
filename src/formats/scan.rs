//! What one pass over an import's files learns: the first errors and a count of the
//! rest, and a fingerprint of every event id, so that one id given to two different
//! events is caught with both places named, across all the files of the import.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::{bounded, echo};
use super::record::FieldError;
use super::{FormatError, FormatErrors};
use crate::model::canonical::canonical_bytes;
use crate::model::Event;

/// How a problem ends when one id names two different events in one input: the
/// server answers those 409 (an id reused for other content), as it does when the
/// other event is already stored.
pub const ID_REUSED: &str = "with different content";

/// Which record of a JSON file, as its path in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    Array(usize),
    Tickets(usize),
    Events(usize),
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Array(i) => write!(f, "[{i}]"),
            Label::Tickets(i) => write!(f, "tickets[{i}]"),
            Label::Events(i) => write!(f, "events[{i}]"),
        }
    }
}

/// Where an id was first seen, in 24 bytes: a million events cost tens of MB, not the
/// events themselves.
#[derive(Clone, Copy)]
struct Seen {
    /// The first 8 bytes of sha256 of the event's canonical bytes. Two different events
    /// that collide here are still told apart by the store, which compares them whole.
    content: u64,
    line: u32,
    label: Option<Label32>,
    file: u16,
}

#[derive(Clone, Copy)]
enum Label32 {
    Array(u32),
    Tickets(u32),
    Events(u32),
}

impl Label32 {
    fn of(l: Label) -> Option<Label32> {
        Some(match l {
            Label::Array(i) => Label32::Array(u32::try_from(i).ok()?),
            Label::Tickets(i) => Label32::Tickets(u32::try_from(i).ok()?),
            Label::Events(i) => Label32::Events(u32::try_from(i).ok()?),
        })
    }

    fn label(self) -> Label {
        match self {
            Label32::Array(i) => Label::Array(i as usize),
            Label32::Tickets(i) => Label::Tickets(i as usize),
            Label32::Events(i) => Label::Events(i as usize),
        }
    }
}

/// Counts over every file of a scan without errors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Valid records read, repeats included.
    pub records: usize,
    /// Distinct event ids among them (only when ids are tracked).
    pub events: usize,
    /// Distinct tickets among them (only when ids are tracked).
    pub tickets: usize,
}

pub struct Scan {
    errors: FormatErrors,
    /// Keyed by the first 16 bytes of sha256 of the id: a collision is out of reach.
    ids: Option<HashMap<[u8; 16], Seen>>,
    tickets: HashSet<[u8; 16]>,
    files: Vec<PathBuf>,
    records: usize,
}

impl Default for Scan {
    fn default() -> Self {
        Scan::new()
    }
}

impl Scan {
    pub fn new() -> Self {
        Scan {
            errors: FormatErrors::new(),
            ids: Some(HashMap::new()),
            tickets: HashSet::new(),
            files: Vec::new(),
            records: 0,
        }
    }

    /// A scan that passes every valid record on, repeats included, keeping nothing per
    /// event: for a second pass whose consumer (the store) checks ids itself.
    pub fn untracked() -> Self {
        Scan {
            ids: None,
            ..Scan::new()
        }
    }

    pub fn push(&mut self, e: FormatError) {
        self.errors.push(e);
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn finish(self) -> Result<Summary, FormatErrors> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        Ok(Summary {
            records: self.records,
            events: self.ids.as_ref().map_or(0, HashMap::len),
            tickets: self.tickets.len(),
        })
    }

    pub(super) fn file<'a>(
        &'a mut self,
        path: &'a Path,
        on_event: &'a mut dyn FnMut(Event, usize),
    ) -> Found<'a> {
        let file = self.files.len();
        self.files.push(path.to_path_buf());
        Found {
            scan: self,
            path,
            file,
            on_event,
        }
    }
}

fn digest16(bytes: &[u8]) -> [u8; 16] {
    let d = Sha256::digest(bytes);
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

fn digest8(bytes: &[u8]) -> u64 {
    let d = Sha256::digest(bytes);
    u64::from_be_bytes(d[..8].try_into().expect("sha256 has 32 bytes"))
}

/// The readers' view of a scan while they read one file.
pub(super) struct Found<'a> {
    scan: &'a mut Scan,
    path: &'a Path,
    file: usize,
    on_event: &'a mut dyn FnMut(Event, usize),
}

impl Found<'_> {
    pub fn error(&mut self, line: usize, column: Option<usize>, message: impl Into<String>) {
        self.scan.errors.push(FormatError {
            line,
            column,
            message: bounded(message.into()),
            ..FormatError::file(self.path, "")
        });
    }

    /// Errors found so far in the whole scan (to tell whether a step added any).
    pub fn error_count(&self) -> usize {
        self.scan.errors.len()
    }

    pub fn record(
        &mut self,
        line: usize,
        label: Option<Label>,
        result: Result<Event, Vec<FieldError>>,
    ) {
        match result {
            Ok(event) => self.event(line, label, event),
            Err(errors) => {
                for e in errors {
                    self.field_error(line, label, e);
                }
            }
        }
    }

    fn field_error(&mut self, line: usize, label: Option<Label>, e: FieldError) {
        self.scan.errors.push(FormatError {
            line,
            record: label.map(|l| l.to_string()),
            field: (!e.field.is_empty()).then_some(e.field),
            message: bounded(e.message),
            ..FormatError::file(self.path, "")
        });
    }

    /// The same event twice is harmless (imports are idempotent); the same id for
    /// different content means one of them is wrong, and the user must pick.
    fn event(&mut self, line: usize, label: Option<Label>, event: Event) {
        self.scan.records += 1;
        let Some(ids) = self.scan.ids.as_mut() else {
            return (self.on_event)(event, line);
        };
        let content = digest8(&canonical_bytes(&event));
        match ids.entry(digest16(event.id.as_bytes())) {
            Entry::Vacant(v) => {
                v.insert(Seen {
                    content,
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    label: label.and_then(Label32::of),
                    file: u16::try_from(self.file).unwrap_or(u16::MAX),
                });
                self.scan.tickets.insert(digest16(event.ticket.as_bytes()));
                (self.on_event)(event, line);
            }
            Entry::Occupied(o) => {
                let earlier = *o.get();
                if earlier.content != content {
                    let place = self.place(earlier);
                    self.field_error(
                        line,
                        label,
                        FieldError {
                            field: "id".into(),
                            message: format!(
                                "{} is also the id of the event at {place}, {ID_REUSED}",
                                echo(&event.id)
                            ),
                        },
                    );
                }
            }
        }
    }

    fn place(&self, seen: Seen) -> String {
        let file = usize::from(seen.file);
        let mut place = if file == self.file {
            format!("line {}", seen.line)
        } else {
            let path = self
                .scan
                .files
                .get(file)
                .map_or_else(|| "another file".to_owned(), |p| p.display().to_string());
            format!("{path}:{}", seen.line)
        };
        if let Some(l) = seen.label {
            place.push_str(&format!(" ({})", l.label()));
        }
        place
    }
}
