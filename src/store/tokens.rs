//! Bearer tokens of `slawatch serve`: a name (the actor its events are signed with), a
//! role, and only the SHA-256 of the secret, so a copy of the database lets no one in.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::model::EventKind;
use crate::sla::Micros;

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Reads tickets, the feed and reports; claims its own nudges.
    Viewer,
    /// Also records ticket events.
    Agent,
    /// Also records penalties and their adjustments.
    Supervisor,
    /// Only posts what monitoring sees: detections, restorations and notes.
    Ingest,
}

impl Role {
    pub const NAMES: &'static str = "viewer, agent, supervisor or ingest";

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Ingest => "ingest",
        }
    }

    /// Whether a holder of this role may record an event of `kind`.
    pub fn may_record(self, kind: EventKind) -> bool {
        use EventKind::*;
        match self {
            Role::Viewer => false,
            Role::Supervisor => true,
            Role::Agent => !matches!(kind, Penalty | PenaltyAdjusted),
            Role::Ingest => matches!(kind, Detected | Restored | Note),
        }
    }

    pub fn may_read(self) -> bool {
        self != Role::Ingest
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "agent" => Ok(Role::Agent),
            "supervisor" => Ok(Role::Supervisor),
            "ingest" => Ok(Role::Ingest),
            other => Err(format!("unknown role {other:?}: expected {}", Role::NAMES)),
        }
    }
}

/// A token as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    pub created_at: Micros,
    pub expires_at: Option<Micros>,
    pub revoked_at: Option<Micros>,
}

impl TokenInfo {
    /// Why the token no longer lets its holder in at `now`, if it does not.
    pub fn refused_at(&self, now: Micros) -> Option<&'static str> {
        if self.revoked_at.is_some_and(|r| r <= now) {
            Some("token revoked")
        } else if self.expires_at.is_some_and(|e| e <= now) {
            Some("token expired")
        } else {
            None
        }
    }
}

/// A token about to be stored: its info and its hash. The secret itself is only ever
/// shown to whoever created it.
#[derive(Clone, Debug)]
pub struct NewToken {
    pub info: TokenInfo,
    pub hash: String,
}

/// A fresh secret: `slw_` and 32 random bytes in unpadded base64url.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("slw_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the store keeps of a secret.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `s` has the shape of a token this program makes (checked before any lookup).
pub fn well_formed(s: &str) -> bool {
    s.strip_prefix("slw_")
        .is_some_and(|b| b.len() == 43 && URL_SAFE_NO_PAD.decode(b).is_ok_and(|v| v.len() == 32))
}

/// `90d`, `12h`, `30m` or `2w` as microseconds.
pub fn parse_lifetime(s: &str) -> Result<Micros, String> {
    let bad =
        || format!("{s:?} is not a lifetime: expected a number and a unit, as 90d, 12h, 30m or 2w");
    let unit_at = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = s.split_at(unit_at);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let seconds: i64 = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    if n == 0 {
        return Err(format!("{s:?}: a token must live longer than that"));
    }
    n.checked_mul(seconds)
        .and_then(|s| s.checked_mul(1_000_000))
        .ok_or_else(|| format!("{s:?} is too long a lifetime"))
}

/// Names are actors: what the events a token posts are signed with.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.trim() != name {
        return Err(format!(
            "token name {name:?}: must be non-empty, without leading or trailing spaces"
        ));
    }
    if name.len() > 128 || name.chars().any(char::is_control) {
        return Err(format!(
            "token name {name:?}: at most 128 characters, no control characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_the_documented_shape_and_only_their_hash_is_kept() {
        let s = generate();
        assert!(well_formed(&s), "{s}");
        assert_ne!(generate(), s);
        assert_eq!(hash(&s).len(), 64);
        assert!(!hash(&s).contains(&s[4..]));
        assert!(!well_formed("slw_short"));
        assert!(!well_formed(&s.replace("slw_", "tok_")));
    }

    #[test]
    fn lifetimes_parse_and_refuse_nonsense() {
        assert_eq!(parse_lifetime("90d"), Ok(90 * 86_400 * 1_000_000));
        assert_eq!(parse_lifetime("30m"), Ok(30 * 60 * 1_000_000));
        assert!(parse_lifetime("d").is_err());
        assert!(parse_lifetime("0d").is_err());
        assert!(parse_lifetime("5y").unwrap_err().contains("90d"));
        assert!(parse_lifetime("99999999999999999w")
            .unwrap_err()
            .contains("too long"));
    }

    #[test]
    fn roles_grant_what_the_issue_says() {
        use EventKind::*;
        assert!(!Role::Viewer.may_record(Acknowledged));
        assert!(Role::Agent.may_record(Acknowledged));
        assert!(!Role::Agent.may_record(Penalty));
        assert!(Role::Supervisor.may_record(PenaltyAdjusted));
        assert!(Role::Ingest.may_record(Detected));
        assert!(!Role::Ingest.may_record(Acknowledged));
        assert!(!Role::Ingest.may_read());
    }

    #[test]
    fn refusals_name_the_reason() {
        let t = TokenInfo {
            name: "a".into(),
            role: Role::Agent,
            created_at: 0,
            expires_at: Some(100),
            revoked_at: None,
        };
        assert_eq!(t.refused_at(99), None);
        assert_eq!(t.refused_at(100), Some("token expired"));
        let r = TokenInfo {
            revoked_at: Some(5),
            ..t
        };
        assert_eq!(r.refused_at(6), Some("token revoked"));
    }
}
