//! The escapers the report renderers use, by their short names. Each rule lives in
//! `crate::escape`, one module per output kind.

pub use crate::escape::csv::cell as csv;
pub use crate::escape::html::text as html;
pub use crate::escape::markdown::inline as markdown;
pub use crate::escape::terminal::clean as terminal;
