//! Problems found in an import file, each located well enough to fix it in an editor.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    pub path: PathBuf,
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: usize,
    /// 1-based character column, only where the parser knows it (JSON syntax, bad bytes).
    pub column: Option<usize>,
    /// Which record of a JSON file, as a path such as `events[3]`; records of line-based
    /// formats are named by their line alone.
    pub record: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

impl FormatError {
    pub fn file(path: impl Into<PathBuf>, message: impl Into<String>) -> FormatError {
        FormatError {
            path: path.into(),
            line: 0,
            column: None,
            record: None,
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(r) = &self.record {
            write!(f, "{r}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "field `{}`: ", name(field))?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for FormatError {}

/// The problems found in one pass over the input, in file order: the first
/// [`FormatErrors::SHOWN`] kept whole and the rest only counted, so a file of garbage
/// costs no more memory than a file with one mistake.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormatErrors {
    kept: Vec<FormatError>,
    more: usize,
}

impl FormatErrors {
    /// How many errors are kept and listed before summarising the rest: a file with a
    /// systematic mistake would otherwise bury the terminal.
    pub const SHOWN: usize = 50;

    pub fn new() -> Self {
        FormatErrors::default()
    }

    pub fn push(&mut self, e: FormatError) {
        if self.kept.len() < Self::SHOWN {
            self.kept.push(e);
        } else {
            self.more += 1;
        }
    }

    pub fn append(&mut self, other: FormatErrors) {
        let more = other.more;
        for e in other.kept {
            self.push(e);
        }
        self.more += more;
    }

    /// Every error found, listed or only counted.
    pub fn len(&self) -> usize {
        self.kept.len() + self.more
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The errors kept, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &FormatError> {
        self.kept.iter()
    }
}

impl fmt::Display for FormatErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.kept.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        if self.more > 0 {
            write!(f, "\n... and {} more", self.more)?;
        }
        Ok(())
    }
}

impl std::error::Error for FormatErrors {}

impl From<FormatError> for FormatErrors {
    fn from(e: FormatError) -> Self {
        let mut errors = FormatErrors::new();
        errors.push(e);
        errors
    }
}

/// How many characters of a value from the input an error message repeats.
pub const ECHO_CHARS: usize = 80;

/// A value from the input as an error message shows it: quoted, with control
/// characters escaped, and at most [`ECHO_CHARS`] characters of it followed by its
/// length, so a 100 MB value costs one short line.
pub fn echo(s: &str) -> String {
    match s.char_indices().nth(ECHO_CHARS) {
        None => format!("{s:?}"),
        Some((cut, _)) => format!("{:?}… ({} bytes)", &s[..cut], s.len()),
    }
}

/// A field or column name as a message shows it: as it is when short and plain,
/// otherwise as [`echo`] shows values.
pub fn name(s: &str) -> String {
    let plain = s.len() <= ECHO_CHARS
        && !s.is_empty()
        && s.chars()
            .all(|c| !c.is_control() && c != '`' && !c.is_whitespace() || c == ' ');
    if plain {
        s.to_owned()
    } else {
        echo(s)
    }
}

/// A message built from the input, cut to a bounded length; the named places in the
/// readers already cap what they echo, this bounds what a library's message carries.
pub(super) fn bounded(message: String) -> String {
    const MAX: usize = 400;
    match message.char_indices().nth(MAX) {
        None => message,
        Some((cut, _)) => format!("{}… ({} bytes)", &message[..cut], message.len()),
    }
}
