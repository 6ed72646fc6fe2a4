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
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for FormatError {}

/// Every problem found in one pass over a file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatErrors(pub Vec<FormatError>);

impl FormatErrors {
    /// How many errors `Display` lists before summarising the rest: a file with a
    /// systematic mistake would otherwise bury the terminal.
    pub const SHOWN: usize = 50;

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FormatError> {
        self.0.iter()
    }
}

impl fmt::Display for FormatErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().take(Self::SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        if self.0.len() > Self::SHOWN {
            write!(f, "\n... and {} more", self.0.len() - Self::SHOWN)?;
        }
        Ok(())
    }
}

impl std::error::Error for FormatErrors {}

impl From<FormatError> for FormatErrors {
    fn from(e: FormatError) -> Self {
        FormatErrors(vec![e])
    }
}
