//! Loading configuration files (calendars, policies) into the SLA core's types.
//!
//! The core stays pure; this layer reads files and reports every problem with its
//! file, line and what was expected, so the program never starts half-configured.

pub mod bundle;
pub mod calendars;
pub mod contracts;
pub mod duration;
pub mod error;
pub mod file;
mod ics;
pub mod policies;
pub mod shipped;
pub mod suggest;

pub use bundle::{Bundle, Compiled};
pub use calendars::load_calendars;
pub use contracts::load_contracts;
pub use error::{ConfigError, ConfigErrors};
pub use file::{read_regular_capped, read_text, MAX_CONFIG_BYTES};
pub use policies::load_policies;
pub use shipped::{shipped, shipped_contracts, shipped_file};
