//! Reports: per-ticket evidence packages and monthly compliance reports, rendered as
//! HTML (self-contained, printable, hand-written SVG charts), Markdown, CSV and JSON.
//! Untrusted text goes through [`text`] for every output.

pub mod evidence;
mod evidence_html;
mod evidence_md;
pub mod evidence_types;
pub mod evidence_verify;
pub mod monthly;
mod svg;
pub mod text;
pub mod wording;
