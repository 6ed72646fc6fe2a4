//! The SLA core: calendars, policies and clocks. Pure: no I/O, no system clock.

pub mod calendar;

pub use calendar::{Calendar, Micros};
