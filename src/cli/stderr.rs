//! Standard error, the one way commands print messages for the operator: messages
//! quote what they read (keys, column names, ticket ids, paths), so every one goes
//! through the terminal sanitiser.

use std::io::Write;

/// One message, terminal-clean with its line breaks kept.
pub fn line(msg: impl std::fmt::Display) {
    let text = crate::escape::terminal::clean_lines(&msg.to_string());
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
