//! Warning nudges ahead of every breach, and desktop notifications.
//!
//! - [`thresholds`]: pure; a clock, its policy and calendar → the instants of its
//!   warnings (percent of budget, minutes before due), breach and repeats.
//! - [`scheduler`]: pure; a priority queue of every open ticket's next threshold,
//!   recomputed per ticket when its events change; `now` is always a parameter.
//! - [`service`]: the tokio driver that sleeps until the next threshold, claims what
//!   is due in the per-user sent log (so it fires once across restarts and consoles)
//!   and hands it to the caller and the desktop.
//! - [`desktop`]: notify-rust on its own thread, every call bounded by a timeout;
//!   "no notification server" is detected once and reported as state.

pub mod desktop;
mod nudge;
pub mod scheduler;
pub mod service;
mod source_log;
mod start;
pub mod thresholds;

#[cfg(test)]
mod testkit;

pub use desktop::{DesktopEvent, DesktopOptions, DesktopState, Notifier, NudgeAction};
pub use nudge::{duration, metric_label, record_why, why, Nudge, LATE_AFTER};
pub use scheduler::Scheduler;
pub use service::{
    MemorySentLog, NudgeHandle, NudgeMsg, NudgeService, SentLog, ServiceConfig, SystemClock,
    TokioClock, WallClock,
};
pub use source_log::SourceLog;
pub use start::{desktop_options, parse_quiet, start, Start};
pub use thresholds::{ClockPlan, Marks, Threshold, ThresholdKind};
