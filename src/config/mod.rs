//! Loading configuration files (calendars, policies) into the SLA core's types.
//!
//! The core stays pure; this layer reads files and reports every problem with its
//! file, line and what was expected, so the program never starts half-configured.

pub mod calendars;
pub mod duration;
pub mod error;
mod ics;
pub mod policies;
pub mod shipped;

pub use calendars::load_calendars;
pub use error::{ConfigError, ConfigErrors};
pub use policies::load_policies;
pub use shipped::shipped;
