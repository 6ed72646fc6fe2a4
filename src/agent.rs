//! Who the agent is: the one decision every front end takes its name from (the name
//! events are signed with and nudges are kept for). `SLAWATCH_AGENT` wins, then
//! `agent` in config.toml, then the login name.

use crate::tui::sanitize::clean;

/// The environment variable that names the agent.
pub const ENV: &str = "SLAWATCH_AGENT";

/// Where the agent's name came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameFrom {
    Env,
    Config,
    /// Only the login name: nobody chose it (it may be `root`).
    Login,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agent {
    pub name: String,
    pub from: NameFrom,
}

/// The agent from the environment's `SLAWATCH_AGENT`, the configured name and the
/// login name, in that order; blank ones do not count. Control characters are taken
/// out of the environment's and login names (config.toml refuses them).
pub fn decide(env: Option<&str>, configured: Option<&str>, login: &str) -> Option<Agent> {
    let tidy = |s: &str| clean(s).trim().to_owned();
    [
        (env.map(tidy), NameFrom::Env),
        (configured.map(|c| c.trim().to_owned()), NameFrom::Config),
        (Some(tidy(login)), NameFrom::Login),
    ]
    .into_iter()
    .find_map(|(name, from)| {
        name.filter(|n| !n.is_empty())
            .map(|name| Agent { name, from })
    })
}

/// `SLAWATCH_AGENT` as set, if it is.
pub fn env() -> Option<String> {
    std::env::var(ENV).ok()
}

/// The login name from `$USER` or `$LOGNAME`, else the password database's name for
/// this process's user, or empty.
pub fn login_name() -> String {
    let name = ["USER", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|s| !s.trim().is_empty())
        .or_else(passwd_name)
        .unwrap_or_default();
    clean(&name).trim().to_owned()
}

/// The name `/etc/passwd` gives this process's real uid (Linux).
fn passwd_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_owned();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let uid_field = f.nth(1)?;
        (uid_field == uid).then(|| name.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_wins_then_the_config_then_the_login_name() {
        let a = |name: &str, from| {
            Some(Agent {
                name: name.into(),
                from,
            })
        };
        assert_eq!(
            decide(Some("eve"), Some("bob"), "root"),
            a("eve", NameFrom::Env)
        );
        assert_eq!(
            decide(Some("  "), Some("bob"), "root"),
            a("bob", NameFrom::Config)
        );
        assert_eq!(decide(None, None, "root"), a("root", NameFrom::Login));
        assert_eq!(
            decide(Some("e\x1b[2Jve "), None, ""),
            a("eve", NameFrom::Env)
        );
        assert_eq!(decide(None, Some(" "), " "), None);
    }
}
