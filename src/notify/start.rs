//! Starting the nudge service the way both front ends need it: the console and
//! `slawatch watch` share this, so they agree on every nudge and whose it is.

use std::sync::Arc;

use super::desktop::{DesktopEvent, DesktopOptions, Notifier};
use super::service::{NudgeMsg, NudgeService, SentLog, ServiceConfig, SystemClock};
use crate::sla::{Calendars, Policies, Severity};

/// What the service needs besides its callbacks.
pub struct Start {
    /// Whose nudges (the agent, see [`crate::agent`]).
    pub user: String,
    pub policies: Arc<Policies>,
    pub calendars: Calendars,
    /// Sound and pop-ups from this severity up (breaches always).
    pub quiet: Severity,
    /// `None`: no desktop notifications (`watch --no-desktop`).
    pub desktop: Option<DesktopOptions>,
}

/// The desktop options both front ends use: the shipped icon, times in `tz`.
pub fn desktop_options(burst: usize, tz: chrono_tz::Tz) -> DesktopOptions {
    DesktopOptions {
        burst,
        tz: Some(tz),
        ..DesktopOptions::with_icon()
    }
}

/// Starts the desktop notifier (if wanted) and the service on the current tokio
/// runtime. `nudges` and `desktop` are called from the service's task and the
/// notifier's threads: forward them to the owner's loop.
pub fn start(
    s: Start,
    log: impl SentLog,
    nudges: impl Fn(NudgeMsg) + Send + 'static,
    desktop: impl Fn(DesktopEvent) + Send + Sync + 'static,
) -> NudgeService {
    let notifier = s.desktop.map(|o| Notifier::spawn(o, desktop));
    NudgeService::spawn(
        ServiceConfig {
            user: s.user,
            policies: s.policies,
            calendars: s.calendars,
            quiet: s.quiet,
            desktop: notifier,
        },
        SystemClock,
        log,
        nudges,
    )
}

/// The quiet setting's words (config.toml `quiet`, `watch --quiet`): the lowest
/// severity that still makes a sound and a pop-up.
pub fn parse_quiet(s: &str) -> Option<Severity> {
    match s.trim().to_ascii_lowercase().as_str() {
        "off" | "warning" | "none" => Some(Severity::Warning),
        "critical" => Some(Severity::Critical),
        "breach" | "breached" => Some(Severity::Breached),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_words() {
        assert_eq!(parse_quiet("off"), Some(Severity::Warning));
        assert_eq!(parse_quiet("warning"), Some(Severity::Warning));
        assert_eq!(parse_quiet("Critical"), Some(Severity::Critical));
        assert_eq!(parse_quiet("breach"), Some(Severity::Breached));
        assert_eq!(parse_quiet("loud"), None);
    }
}
