//! `slawatch token create|list|revoke`: bearer tokens for `slawatch serve`, made by
//! whoever holds the database. Only a token's hash is stored; the secret is printed
//! once, alone on the last line, for scripts to take.

use anyhow::{anyhow, bail};
use chrono::{DateTime, Utc};
use clap::Subcommand;

use crate::report::text::terminal;
use crate::sla::Micros;
use crate::store::tokens::{self, NewToken, Role, TokenInfo};
use crate::store::{open_team, StoreTarget};

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Make a token; its secret is printed alone on the last line and never again.
    Create {
        /// Who holds it: the actor every event it posts is signed with.
        #[arg(long)]
        name: String,
        /// viewer (reads), agent (records ticket events), supervisor (also penalties and
        /// adjustments) or ingest (monitoring: detected, restored, note).
        #[arg(long)]
        role: String,
        /// Lifetime, as 90d, 12h, 30m or 2w (default: until revoked).
        #[arg(long, value_name = "LIFETIME")]
        expires: Option<String>,
    },
    /// Every token: name, role, created, expires, revoked (never the secret).
    List,
    /// Revoke the live token of NAME at once: it is refused from its next request on.
    Revoke { name: String },
}

pub fn run(cmd: TokenCmd, db: &StoreTarget) -> anyhow::Result<()> {
    let now = Utc::now().timestamp_micros();
    match cmd {
        TokenCmd::Create {
            name,
            role,
            expires,
        } => {
            tokens::check_name(&name).map_err(|e| anyhow!("--name: {e}"))?;
            let role: Role = role.parse().map_err(|e| anyhow!("--role: {e}"))?;
            let expires_at = match &expires {
                Some(l) => {
                    let life = tokens::parse_lifetime(l).map_err(|e| anyhow!("--expires: {e}"))?;
                    Some(
                        now.checked_add(life)
                            .ok_or_else(|| anyhow!("--expires: {l:?} is too long a lifetime"))?,
                    )
                }
                None => None,
            };
            let secret = tokens::generate();
            let mut store = open_team(db)?;
            store.create_token(&NewToken {
                info: TokenInfo {
                    name: name.clone(),
                    role,
                    created_at: now,
                    expires_at,
                    revoked_at: None,
                },
                hash: tokens::hash(&secret),
            })?;
            println!(
                "created {role} token {:?} in {db}{}; keep it secret, it is shown only now:",
                terminal(&name),
                expires_at.map_or_else(String::new, |e| format!(", expires {}", instant(e)))
            );
            println!("{secret}");
        }
        TokenCmd::List => {
            let store = open_team(db)?;
            let all = store.tokens()?;
            if all.is_empty() {
                println!("no tokens in {db}");
            }
            for t in all {
                let state = match t.refused_at(now) {
                    Some(why) => why.trim_start_matches("token ").to_owned(),
                    None => "live".to_owned(),
                };
                println!(
                    "{}\t{}\t{state}\tcreated {}\texpires {}\trevoked {}",
                    terminal(&t.name),
                    t.role,
                    instant(t.created_at),
                    t.expires_at.map_or("never".into(), instant),
                    t.revoked_at.map_or("-".into(), instant),
                );
            }
        }
        TokenCmd::Revoke { name } => {
            let mut store = open_team(db)?;
            if !store.revoke_token(&name, now)? {
                bail!("{db} has no live token called {:?}", terminal(&name));
            }
            println!("revoked the token of {:?}", terminal(&name));
        }
    }
    Ok(())
}

fn instant(us: Micros) -> String {
    DateTime::<Utc>::from_timestamp_micros(us)
        .map_or_else(|| us.to_string(), crate::model::canonical::instant)
}
