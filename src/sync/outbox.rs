//! The offline outbox of a console or watcher on a server: a SQLite file in the data
//! directory, one per server URL and token, so that what an agent records while the
//! server cannot be reached survives a restart and is sent when it is back.
//!
//! An entry keeps the exact request body it is sent with (the client set its id,
//! `at`, `recorded_at` and actor when it was recorded), so every re-send is
//! byte-identical and the server's idempotency by event id makes delivery exactly
//! once. It also keeps the ticket's head as the console last knew it: a replay
//! expects that head, and a ticket that moved on meanwhile turns the entry into one
//! that "needs a decision", kept here and never sent blindly or dropped.
//!
//! The file also caches who the token belongs to (`/v1/whoami`), so an offline start
//! still signs events with the right name.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::sla::Micros;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    ticket TEXT NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    base TEXT,
    queued_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'conflict')),
    head TEXT,
    error TEXT
);
";

/// Whether an entry still goes out or waits for the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Pending,
    /// The ticket moved on while the entry waited: the agent decides.
    Conflict,
}

/// One event waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub ticket: String,
    pub kind: String,
    /// The event's JSON exactly as it is sent.
    pub body: Vec<u8>,
    /// The ticket's head as the console knew it when the event was recorded (`None`:
    /// it knew none).
    pub base: Option<String>,
    pub queued_at: Micros,
    pub state: State,
    /// For a conflict: the server's head then, and what it said.
    pub head: Option<String>,
    pub error: Option<String>,
}

/// Who a token belongs to, as the server said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub role: String,
}

pub struct Outbox {
    conn: Connection,
    path: PathBuf,
}

/// Why the outbox cannot be used: names the file.
#[derive(Debug, thiserror::Error)]
#[error("the outbox {}: {message}", path.display())]
pub struct OutboxError {
    pub path: PathBuf,
    pub message: String,
}

/// The outbox file of `url` for `token` in `dir`: the name is a digest of both, so
/// the token itself is never written to disk and two users of one machine, or one
/// user of two servers, never share an outbox.
pub fn path_for(dir: &Path, url: &str, token: &str) -> PathBuf {
    let mut h = Sha256::new();
    h.update(url.trim_end_matches('/').as_bytes());
    h.update([0]);
    h.update(token.as_bytes());
    let digest = hex::encode(h.finalize());
    dir.join(format!("outbox-{}.db", &digest[..24]))
}

impl Outbox {
    /// Opens (creating when new) the outbox at `path`, recording the server's `url`.
    pub fn open(path: &Path, url: &str) -> Result<Outbox, OutboxError> {
        let fail = |e: &dyn std::fmt::Display| OutboxError {
            path: path.to_owned(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        }
        let conn = Connection::open(path).map_err(|e| fail(&e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| fail(&e))?;
        // Durable at every commit: an event the agent saw as queued is on disk.
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .map_err(|e| fail(&e))?;
        conn.execute_batch(SCHEMA).map_err(|e| fail(&e))?;
        let o = Outbox {
            conn,
            path: path.to_owned(),
        };
        o.set_meta("url", url)?;
        Ok(o)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: rusqlite::Error) -> OutboxError {
        OutboxError {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), OutboxError> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    fn meta(&self, key: &str) -> Result<Option<String>, OutboxError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Who the token belonged to when the server last said.
    pub fn identity(&self) -> Result<Option<Identity>, OutboxError> {
        Ok(match (self.meta("user")?, self.meta("role")?) {
            (Some(name), Some(role)) => Some(Identity { name, role }),
            _ => None,
        })
    }

    pub fn set_identity(&self, who: &Identity) -> Result<(), OutboxError> {
        self.set_meta("user", &who.name)?;
        self.set_meta("role", &who.role)
    }

    /// Keeps an event (idempotent by id); true when it was not there yet.
    pub fn queue(
        &self,
        id: &str,
        ticket: &str,
        kind: &str,
        body: &[u8],
        base: Option<&str>,
        now: Micros,
    ) -> Result<bool, OutboxError> {
        self.conn
            .execute(
                "INSERT INTO outbox (id, ticket, kind, body, base, queued_at, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending') ON CONFLICT (id) DO NOTHING",
                params![id, ticket, kind, body, base, now],
            )
            .map(|n| n == 1)
            .map_err(|e| self.err(e))
    }

    /// The server has it: it leaves the outbox.
    pub fn delivered(&self, id: &str) -> Result<(), OutboxError> {
        self.conn
            .execute("DELETE FROM outbox WHERE id = ?1", [id])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The ticket moved on: the entry waits for the agent's decision.
    pub fn conflicted(&self, id: &str, head: &str, error: &str) -> Result<(), OutboxError> {
        self.conn
            .execute(
                "UPDATE outbox SET state = 'conflict', head = ?2, error = ?3 WHERE id = ?1",
                params![id, head, error],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The agent decided to send it after all, on top of whatever the head now is.
    pub fn release(&self, id: &str) -> Result<bool, OutboxError> {
        self.conn
            .execute(
                "UPDATE outbox SET state = 'pending', base = NULL, head = NULL, error = NULL
                 WHERE id = ?1 AND state = 'conflict'",
                [id],
            )
            .map(|n| n == 1)
            .map_err(|e| self.err(e))
    }

    /// The agent decided to drop it: it is never sent.
    pub fn discard(&self, id: &str) -> Result<bool, OutboxError> {
        self.conn
            .execute(
                "DELETE FROM outbox WHERE id = ?1 AND state = 'conflict'",
                [id],
            )
            .map(|n| n == 1)
            .map_err(|e| self.err(e))
    }

    /// The entries waiting for the agent's decision, in the order recorded.
    pub fn conflicts(&self) -> Result<Vec<Entry>, OutboxError> {
        self.select("WHERE state = 'conflict'", [])
    }

    pub fn entry(&self, id: &str) -> Result<Option<Entry>, OutboxError> {
        Ok(self.select("WHERE id = ?1", [id])?.pop())
    }

    /// Every entry in the order recorded.
    pub fn entries(&self) -> Result<Vec<Entry>, OutboxError> {
        self.select("", [])
    }

    /// The entries still to send, in the order recorded.
    pub fn pending(&self) -> Result<Vec<Entry>, OutboxError> {
        self.select("WHERE state = 'pending'", [])
    }

    /// (waiting to be sent, needing a decision).
    pub fn counts(&self) -> Result<(usize, usize), OutboxError> {
        self.conn
            .query_row(
                "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'conflict'), 0)
                 FROM outbox",
                [],
                |r| Ok((r.get::<_, i64>(0)? as usize, r.get::<_, i64>(1)? as usize)),
            )
            .map_err(|e| self.err(e))
    }

    fn select<P: rusqlite::Params>(&self, filter: &str, p: P) -> Result<Vec<Entry>, OutboxError> {
        let sql = format!(
            "SELECT id, ticket, kind, body, base, queued_at, state, head, error
             FROM outbox {filter} ORDER BY n"
        );
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(p, |r| {
                Ok(Entry {
                    id: r.get(0)?,
                    ticket: r.get(1)?,
                    kind: r.get(2)?,
                    body: r.get(3)?,
                    base: r.get(4)?,
                    queued_at: r.get(5)?,
                    state: if r.get::<_, String>(6)? == "conflict" {
                        State::Conflict
                    } else {
                        State::Pending
                    },
                    head: r.get(7)?,
                    error: r.get(8)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_reopening_and_leave_only_when_delivered() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_for(dir.path(), "http://h:1/", "slw_x");
        assert_eq!(p, path_for(dir.path(), "http://h:1", "slw_x"));
        assert_ne!(p, path_for(dir.path(), "http://h:1", "slw_y"));
        {
            let o = Outbox::open(&p, "http://h:1").unwrap();
            assert!(o
                .queue("e1", "T-1", "acknowledged", b"{1}", Some("h0"), 5)
                .unwrap());
            assert!(!o
                .queue("e1", "T-1", "acknowledged", b"{1}", Some("h0"), 6)
                .unwrap());
            assert!(o.queue("e2", "T-2", "note", b"{2}", None, 7).unwrap());
            o.set_identity(&Identity {
                name: "alice".into(),
                role: "agent".into(),
            })
            .unwrap();
        }
        let o = Outbox::open(&p, "http://h:1").unwrap();
        assert_eq!(o.identity().unwrap().unwrap().name, "alice");
        let ids: Vec<_> = o.pending().unwrap().into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["e1", "e2"]);
        assert_eq!(o.entry("e1").unwrap().unwrap().queued_at, 5);
        o.conflicted("e1", "h9", "moved on").unwrap();
        assert_eq!(o.counts().unwrap(), (1, 1));
        o.delivered("e2").unwrap();
        assert_eq!(o.counts().unwrap(), (0, 1));
        let kept = o.entry("e1").unwrap().unwrap();
        assert_eq!(
            (kept.state, kept.head.as_deref()),
            (State::Conflict, Some("h9"))
        );
        assert_eq!(o.conflicts().unwrap()[0].id, "e1");
        assert!(!o.discard("e2").unwrap(), "only a conflict is discarded");
        assert!(o.release("e1").unwrap());
        let again = o.entry("e1").unwrap().unwrap();
        assert_eq!((again.state, again.base), (State::Pending, None));
        assert!(!o.discard("e1").unwrap(), "a released entry goes out");
        o.conflicted("e1", "h10", "moved on again").unwrap();
        assert!(o.discard("e1").unwrap());
        assert_eq!(o.counts().unwrap(), (0, 0));
    }
}
