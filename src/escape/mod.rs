//! Untrusted text made safe for each kind of output, one module and one rule per kind:
//!
//! - [`terminal`]: anything printed to a terminal, by the console or a command: no
//!   control characters, escape sequences or invisible characters, widths as drawn.
//! - [`markup`]: desktop notification bodies (freedesktop body markup) and summaries.
//! - [`html`] and [`markdown`]: the report and evidence renderings.
//! - [`csv`]: CSV for people: no control characters, no cell a spreadsheet runs as a
//!   formula. Not lossless; JSON lines is the lossless format.
//! - [`json`]: every JSON the program writes: control characters, line and paragraph
//!   separators and bidi controls as `\uXXXX`, so the text survives any viewer.
//!
//! Everything else is built on [`terminal::clean`]: one definition of what is hostile.

pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod markup;
pub mod terminal;
