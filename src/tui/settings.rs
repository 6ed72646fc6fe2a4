//! The console's `config.toml`: the shipped defaults with the user's file layered over
//! them, every problem reported with file and line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use super::theme::ThemeName;
use crate::config::duration::parse_duration;
use crate::config::error::Reporter;
use crate::config::{ConfigError, ConfigErrors};
use crate::sla::calendar::MICROS_PER_SEC;

pub const DEFAULT_CONFIG: &str = include_str!("../../assets/config.toml");
pub const DEFAULT_CONFIG_NAME: &str = "config.toml (built in)";

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Who signs events and gets nudges (see [`crate::agent`]).
    pub agent: String,
    pub agent_from: crate::agent::NameFrom,
    pub theme: ThemeName,
    /// From the file; `None` leaves the choice to the environment (see [`Settings::zone`]).
    pub timezone: Option<Tz>,
    pub poll_interval: Duration,
    pub bell: bool,
    /// The queue's cursor follows its ticket when the order changes, instead of keeping
    /// its row. config.toml `follow_selection`.
    pub follow_selection: bool,
    /// Clicks select rows and sort columns, the wheel scrolls (while it is on, the
    /// terminal selects text with Shift held). config.toml `mouse`.
    pub mouse: bool,
    /// New tickets of these priorities are announced. config.toml `announce`.
    pub announce: Vec<crate::model::Priority>,
    /// Nudges below this severity make no sound and no pop-up (still toasted and
    /// logged); breaches are never quiet. config.toml `quiet`.
    pub quiet: crate::sla::Severity,
    pub policies: Option<PathBuf>,
    pub calendars: Option<PathBuf>,
    /// The contracts the compliance view computes penalties with (default: shipped).
    pub contracts: Option<PathBuf>,
    /// Where the bearer token for `--server` is kept (`SLAWATCH_TOKEN` wins).
    pub token_file: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    agent: Option<Spanned<String>>,
    theme: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    poll_interval: Option<Spanned<String>>,
    bell: Option<bool>,
    follow_selection: Option<bool>,
    mouse: Option<bool>,
    announce: Option<Spanned<Vec<Spanned<String>>>>,
    quiet: Option<Spanned<String>>,
    policies: Option<Spanned<String>>,
    calendars: Option<Spanned<String>>,
    contracts: Option<Spanned<String>>,
    token_file: Option<Spanned<String>>,
}

impl Settings {
    /// The built-in settings, with `agent` as the login name.
    pub fn defaults() -> Settings {
        Settings::load(None, login_name()).expect("the shipped config.toml is valid")
    }

    /// The defaults, then the user's file (path and text) over them; the agent from
    /// the file, else `login`.
    pub fn load(user: Option<(&Path, &str)>, login: String) -> Result<Settings, ConfigErrors> {
        Settings::load_with(user, None, login)
    }

    /// As [`Settings::load`], with `SLAWATCH_AGENT`'s value (`env`) over the file's agent.
    pub fn load_with(
        user: Option<(&Path, &str)>,
        env: Option<String>,
        login: String,
    ) -> Result<Settings, ConfigErrors> {
        let mut s = Settings {
            agent: String::new(),
            agent_from: crate::agent::NameFrom::Login,
            theme: ThemeName::Dark,
            timezone: None,
            poll_interval: Duration::from_secs(2),
            bell: true,
            follow_selection: false,
            mouse: true,
            announce: Vec::new(),
            quiet: crate::sla::Severity::Warning,
            policies: None,
            calendars: None,
            contracts: None,
            token_file: None,
        };
        let mut errors = Vec::new();
        let default = (Path::new(DEFAULT_CONFIG_NAME), DEFAULT_CONFIG);
        for (path, text) in std::iter::once(default).chain(user) {
            if let Err(e) = s.layer(path, text) {
                errors.extend(e.0);
            }
        }
        let configured = (!s.agent.is_empty()).then_some(s.agent.as_str());
        let agent = crate::agent::decide(env.as_deref(), configured, &login);
        if let Some(a) = agent {
            (s.agent, s.agent_from) = (a.name, a.from);
        } else {
            errors.push(ConfigError {
                path: user.map_or_else(|| PathBuf::from(DEFAULT_CONFIG_NAME), |u| u.0.to_owned()),
                line: 0,
                column: 0,
                message: "no agent name: set `agent = \"your name\"` (the login name is unknown)"
                    .into(),
            });
        }
        if errors.is_empty() {
            Ok(s)
        } else {
            Err(ConfigErrors(errors))
        }
    }

    fn layer(&mut self, path: &Path, text: &str) -> Result<(), ConfigErrors> {
        let mut r = Reporter::new(path, text);
        let f: File = r.parse_toml()?;
        let base = path.parent().unwrap_or(Path::new("."));
        if let Some(a) = f.agent {
            let clean = super::sanitize::clean(a.get_ref()).trim().to_owned();
            if clean.is_empty() {
                r.at(a.span(), "agent must not be empty");
            } else if clean != *a.get_ref() {
                r.at(a.span(), "agent must not contain control characters");
            } else {
                self.agent = clean;
            }
        }
        if let Some(t) = f.theme {
            match t.get_ref().parse::<ThemeName>() {
                Ok(name) => self.theme = name,
                Err(why) => r.at(t.span(), why),
            }
        }
        if let Some(z) = f.timezone {
            match z.get_ref().parse::<Tz>() {
                Ok(tz) => self.timezone = Some(tz),
                Err(_) => r.at(
                    z.span(),
                    format!(
                        "unknown time zone {:?}: expected an IANA name such as \"Europe/Berlin\"",
                        z.get_ref()
                    ),
                ),
            }
        }
        if let Some(p) = f.poll_interval {
            match parse_duration(p.get_ref()) {
                Ok(us) if us >= MICROS_PER_SEC => {
                    self.poll_interval = Duration::from_micros(us as u64)
                }
                Ok(_) => r.at(p.span(), "poll_interval must be at least \"1s\""),
                Err(why) => r.at(p.span(), format!("poll_interval: {why}")),
            }
        }
        if let Some(b) = f.bell {
            self.bell = b;
        }
        if let Some(b) = f.follow_selection {
            self.follow_selection = b;
        }
        if let Some(b) = f.mouse {
            self.mouse = b;
        }
        if let Some(list) = f.announce {
            self.announce.clear();
            for p in list.into_inner() {
                match p.get_ref().parse::<crate::model::Priority>() {
                    Ok(level) if !self.announce.contains(&level) => self.announce.push(level),
                    Ok(_) => {}
                    Err(_) => r.at(
                        p.span(),
                        format!(
                            "announce: {:?} is not a priority (expected P1 to P9)",
                            p.get_ref()
                        ),
                    ),
                }
            }
        }
        if let Some(q) = f.quiet {
            match crate::notify::parse_quiet(q.get_ref()) {
                Some(level) => self.quiet = level,
                None => r.at(
                    q.span(),
                    format!(
                        "quiet: expected \"off\", \"critical\" or \"breach\", found {:?}",
                        q.get_ref()
                    ),
                ),
            }
        }
        if let Some(p) = f.policies {
            self.policies = Some(base.join(p.get_ref()));
        }
        if let Some(c) = f.calendars {
            self.calendars = Some(base.join(c.get_ref()));
        }
        if let Some(c) = f.contracts {
            self.contracts = Some(base.join(c.get_ref()));
        }
        if let Some(t) = f.token_file {
            if t.get_ref().trim().is_empty() {
                r.at(
                    t.span(),
                    "token_file: expected the path of a file holding the token",
                );
            } else {
                self.token_file = Some(base.join(t.get_ref()));
            }
        }
        r.finish()
    }

    /// The agent's zone: config, then `TZ`, then the system's, then UTC.
    pub fn zone(&self) -> Tz {
        self.timezone
            .or_else(|| {
                std::env::var("TZ")
                    .ok()
                    .and_then(|s| s.trim_start_matches(':').parse().ok())
            })
            .or_else(system_zone)
            .unwrap_or(Tz::UTC)
    }
}

pub use crate::agent::login_name;

/// The zone `/etc/localtime` links to, or `/etc/timezone` names.
fn system_zone() -> Option<Tz> {
    if let Ok(target) = std::fs::read_link("/etc/localtime") {
        let s = target.to_string_lossy();
        if let Some(i) = s.find("zoneinfo/") {
            if let Ok(tz) = s[i + 9..].parse() {
                return Some(tz);
            }
        }
    }
    std::fs::read_to_string("/etc/timezone")
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

/// The platform config directory (`~/.config/slawatch` on Linux).
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "slawatch").map(|d| d.config_dir().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Settings, ConfigErrors> {
        Settings::load(Some((Path::new("/cfg/config.toml"), text)), "alice".into())
    }

    #[test]
    fn defaults_and_layering() {
        let d = load("").unwrap();
        assert_eq!(d.agent, "alice");
        assert_eq!(d.theme, ThemeName::Dark);
        assert_eq!(d.poll_interval, Duration::from_secs(2));
        assert!(d.bell);
        assert!(!d.follow_selection);
        let s = load(
            "agent = \"bob\"\ntheme = \"light\"\ntimezone = \"Europe/Berlin\"\npoll_interval = \"5s\"\nbell = false\nfollow_selection = true\npolicies = \"p.toml\"\n",
        )
        .unwrap();
        assert_eq!(s.agent, "bob");
        assert_eq!(s.theme, ThemeName::Light);
        assert_eq!(s.zone(), chrono_tz::Europe::Berlin);
        assert_eq!(s.poll_interval, Duration::from_secs(5));
        assert!(!s.bell);
        assert!(s.follow_selection);
        assert_eq!(s.policies.unwrap(), Path::new("/cfg/p.toml"));
    }

    #[test]
    fn announced_priorities() {
        use crate::model::Priority;
        let p = |n| Priority::new(n).unwrap();
        assert_eq!(load("").unwrap().announce, [p(1), p(2)]);
        assert_eq!(
            load("announce = [\"P3\", \"p1\", \"P3\"]\n")
                .unwrap()
                .announce,
            [p(3), p(1)]
        );
        assert!(load("announce = []\n").unwrap().announce.is_empty());
        let e = load("announce = [\"P1\", \"urgent\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("config.toml:1:") && e.contains("\"urgent\" is not a priority"),
            "{e}"
        );
    }

    #[test]
    fn quiet_level() {
        use crate::sla::Severity;
        assert_eq!(load("").unwrap().quiet, Severity::Warning);
        assert_eq!(
            load("quiet = \"critical\"\n").unwrap().quiet,
            Severity::Critical
        );
        assert_eq!(
            load("quiet = \"breach\"\n").unwrap().quiet,
            Severity::Breached
        );
        let e = load("\nquiet = \"shh\"\n").unwrap_err().to_string();
        assert!(
            e.contains("/cfg/config.toml:2:9: quiet: expected \"off\", \"critical\" or \"breach\""),
            "{e}"
        );
    }

    #[test]
    fn errors_are_located() {
        let e = load("theme = \"solarized\"\n").unwrap_err().to_string();
        assert!(
            e.starts_with("/cfg/config.toml:1:9: unknown theme \"solarized\""),
            "{e}"
        );
        let e = load("\ntimezone = \"Mars/Olympus\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/cfg/config.toml:2:12: unknown time zone"),
            "{e}"
        );
        let e = load("poll_interval = \"100ms\"\n").unwrap_err().to_string();
        assert!(e.contains("/cfg/config.toml:1:"), "{e}");
        let e = load("poll_interval = \"0s\"\n").unwrap_err().to_string();
        assert!(e.contains("at least"), "{e}");
        let e = load("colour = 1\n").unwrap_err().to_string();
        assert!(
            e.contains("/cfg/config.toml:1:1: unknown field `colour`"),
            "{e}"
        );
        let e = load("agent = \"  \"\n").unwrap_err().to_string();
        assert!(e.contains("agent must not be empty"), "{e}");
        let e = Settings::load(None, String::new()).unwrap_err().to_string();
        assert!(e.contains("no agent name"), "{e}");
    }
}
