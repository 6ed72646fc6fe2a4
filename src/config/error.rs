//! Errors in configuration files, each naming the file, the line and what was expected.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}

/// Every problem found in one pass over the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

/// Collects errors against one source text, turning byte spans into lines and columns.
pub struct Reporter<'a> {
    path: &'a Path,
    text: &'a str,
    pub errors: Vec<ConfigError>,
}

impl<'a> Reporter<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        Reporter {
            path,
            text,
            errors: Vec::new(),
        }
    }

    pub fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let e = self.error(Some(span), message);
        self.errors.push(e);
    }

    pub fn at_line(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(ConfigError {
            path: self.path.to_owned(),
            line,
            column: 1,
            message: message.into(),
        });
    }

    pub fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> ConfigError {
        let (line, column) = span.map_or((0, 0), |s| line_col(self.text, s.start));
        ConfigError {
            path: self.path.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Deserializes the whole text; a syntax or shape error is located by its span.
    pub fn parse_toml<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigErrors> {
        toml::from_str(self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let mut message = e.message().trim().to_owned();
            // The toml crate says nothing for some characters (a NUL in a comment).
            if message.is_empty() {
                message = match self.text.get(span.start..).and_then(|t| t.chars().next()) {
                    Some(c) => format!("invalid TOML: unexpected character U+{:04X}", c as u32),
                    None => "invalid TOML".to_owned(),
                };
            }
            ConfigErrors(vec![self.error(Some(span), message)])
        })
    }

    pub fn finish(self) -> Result<(), ConfigErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(self.errors))
        }
    }
}

pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

/// Reads a configuration file (a regular file, within the size cap of
/// [`super::file::read_text`]), with the path in the error.
pub fn read(path: &Path) -> Result<String, ConfigErrors> {
    super::file::read_text(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            path: path.to_owned(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        }])
    })
}
