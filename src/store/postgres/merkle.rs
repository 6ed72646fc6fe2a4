//! The log-wide Merkle tree on PostgreSQL.
//!
//! Several `serve` processes append at once, and a sequence number becomes visible at
//! commit, not in order: a tree that took events in `seq` order as they appeared
//! would have to insert a late commit before leaves it already has. So the tree is in
//! the change feed's order, (transaction id, seq), and takes an event only once its
//! transaction id is below `pg_snapshot_xmin` (every transaction before it has ended,
//! and every later one gets a higher id): from then on nothing can ever come before it,
//! and the order of the leaves never changes. As in Certificate Transparency's merge
//! delay, appends do not touch the tree; it is extended, under one advisory lock, when
//! a checkpoint is signed, when `verify` or `evidence` run, and by the server's
//! checkpoint schedule. The same edge, proofs and checks as SQLite
//! (`store::{merkle, merkle_frontier, merkle_log, merkle_verify}`).

use postgres::fallible_iterator::FallibleIterator;
use postgres::{IsolationLevel, Transaction};

use super::PgStore;
use crate::store::checkpoint::Checkpoint;
use crate::store::merkle::Hash;
use crate::store::merkle_frontier::Frontier;
use crate::store::merkle_log::{log_leaf, LogTree};
use crate::store::merkle_verify::{collapse_whitespace, StoredTree, TreeAudit};
use crate::store::tree_store::{newest, Signing, TreeStore};
use crate::store::{Seq, StoreError};

/// Any constant: the key of the advisory lock the tree is extended under.
const TREE_LOCK: i64 = 0x534C_4157_0000_0002;

/// How long a checkpoint waits for the events committed before it to join the tree.
const CATCH_UP: std::time::Duration = std::time::Duration::from_secs(10);

/// Events below the horizon, in tree order.
const BELOW_HORIZON: &str = "tx < pg_snapshot_xmin(pg_current_snapshot())";

/// The stored edge and its last leaf's feed position.
struct Edge {
    frontier: Frontier,
    last: (u64, Seq),
}

/// The triggers migrations create, as [`PgStore::triggers`] lists them.
const EXPECTED_TRIGGERS: &[(&str, &str)] = &[
    ("checkpoints_are_append_only", "CREATE TRIGGER checkpoints_are_append_only BEFORE DELETE OR UPDATE ON checkpoints FOR EACH ROW EXECUTE FUNCTION slawatch_kept_forever()"),
    ("checkpoints_are_never_truncated", "CREATE TRIGGER checkpoints_are_never_truncated BEFORE TRUNCATE ON checkpoints FOR EACH STATEMENT EXECUTE FUNCTION slawatch_kept_forever()"),
    ("events_are_append_only", "CREATE TRIGGER events_are_append_only BEFORE DELETE OR UPDATE ON events FOR EACH ROW EXECUTE FUNCTION slawatch_events_append_only()"),
    ("events_are_never_truncated", "CREATE TRIGGER events_are_never_truncated BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION slawatch_events_append_only()"),
    ("function slawatch_events_append_only", "BEGIN RAISE EXCEPTION 'events are append-only: record a correction as a new event'; END"),
    ("function slawatch_kept_forever", "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END"),
    ("function slawatch_tokens_changed", "BEGIN PERFORM pg_notify('slawatch_tokens', ''); RETURN NULL; END"),
    ("merkle_frontier_is_never_deleted", "CREATE TRIGGER merkle_frontier_is_never_deleted BEFORE DELETE ON merkle_frontier FOR EACH ROW EXECUTE FUNCTION slawatch_kept_forever()"),
    ("merkle_frontier_is_never_truncated", "CREATE TRIGGER merkle_frontier_is_never_truncated BEFORE TRUNCATE ON merkle_frontier FOR EACH STATEMENT EXECUTE FUNCTION slawatch_kept_forever()"),
    ("store_identity_is_fixed", "CREATE TRIGGER store_identity_is_fixed BEFORE DELETE OR UPDATE ON store_identity FOR EACH ROW EXECUTE FUNCTION slawatch_kept_forever()"),
    ("store_identity_is_never_truncated", "CREATE TRIGGER store_identity_is_never_truncated BEFORE TRUNCATE ON store_identity FOR EACH STATEMENT EXECUTE FUNCTION slawatch_kept_forever()"),
    ("tokens_changed", "CREATE TRIGGER tokens_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON tokens FOR EACH STATEMENT EXECUTE FUNCTION slawatch_tokens_changed()"),
];

impl PgStore {
    fn xid_of(&self, text: &str) -> Result<u64, StoreError> {
        text.parse()
            .map_err(|_| self.corrupt(0, format!("transaction id {text:?} is not a number")))
    }

    fn load_edge(&self, tx: &mut Transaction) -> Result<Edge, StoreError> {
        let rows = tx
            .query(
                "SELECT size, last_tx::text, last_seq, peaks FROM merkle_frontier",
                &[],
            )
            .map_err(self.err())?;
        let row = rows.first().ok_or_else(|| {
            self.corrupt(0, "the tree's edge row (merkle_frontier) is missing".into())
        })?;
        let (size, last_tx, last_seq, peaks): (i64, String, Seq, Vec<u8>) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let frontier = u64::try_from(size)
            .ok()
            .and_then(|n| Frontier::from_stored(n, &peaks))
            .ok_or_else(|| {
                self.corrupt(
                    0,
                    format!(
                        "the tree's edge row says {size} leaves but holds {} bytes of subtree roots",
                        peaks.len()
                    ),
                )
            })?;
        Ok(Edge {
            frontier,
            last: (self.xid_of(&last_tx)?, last_seq),
        })
    }

    /// Adds every event now below the horizon to the tree, under the tree lock, in
    /// `tx` (which the caller commits).
    fn extend_in(&self, tx: &mut Transaction) -> Result<Edge, StoreError> {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&TREE_LOCK])
            .map_err(self.err())?;
        let mut edge = self.load_edge(tx)?;
        let before = edge.frontier.size();
        {
            let (last_tx, last_seq) = (edge.last.0.to_string(), edge.last.1);
            let mut rows = tx
                .query_raw(
                    &format!(
                        "SELECT tx::text, seq, hash FROM events
                         WHERE (tx, seq) > ($1::text::xid8, $2) AND {BELOW_HORIZON}
                         ORDER BY events.tx, events.seq"
                    ),
                    [&last_tx as &(dyn postgres::types::ToSql + Sync), &last_seq],
                )
                .map_err(self.err())?;
            while let Some(row) = rows.next().map_err(self.err())? {
                let (t, seq, hash): (String, Seq, String) = (row.get(0), row.get(1), row.get(2));
                edge.frontier.push(log_leaf(&hash));
                edge.last = (self.xid_of(&t)?, seq);
            }
        }
        if edge.frontier.size() != before {
            tx.execute(
                "UPDATE merkle_frontier SET size = $1, last_tx = $2::text::xid8, last_seq = $3, peaks = $4",
                &[
                    &(edge.frontier.size() as i64),
                    &edge.last.0.to_string(),
                    &edge.last.1,
                    &edge.frontier.peak_bytes(),
                ],
            )
            .map_err(self.err())?;
        }
        Ok(edge)
    }

    /// Waits (up to [`CATCH_UP`]) until every event committed now is below the
    /// horizon, so that a checkpoint or `verify` covers what was appended before it
    /// began: any transaction in flight on the cluster (any database) holds it back.
    fn catch_up(&self) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let mut client = self.client.borrow_mut();
        let newest: Option<String> = client
            .query_one("SELECT max(tx)::text FROM events", &[])
            .map_err(self.err())?
            .get(0);
        let Some(newest) = newest else {
            return Ok(());
        };
        while started.elapsed() < CATCH_UP {
            let passed: bool = client
                .query_one(
                    "SELECT $1::text::xid8 < pg_snapshot_xmin(pg_current_snapshot())",
                    &[&newest],
                )
                .map_err(self.err())?
                .get(0);
            if passed {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(())
    }

    fn store_id_in(&self, tx: &mut Transaction) -> Result<String, StoreError> {
        let rows = tx
            .query("SELECT id FROM store_identity", &[])
            .map_err(self.err())?;
        rows.first().map(|r| r.get(0)).ok_or_else(|| {
            self.corrupt(
                0,
                "the store has no identity row (store_identity is empty)".into(),
            )
        })
    }

    fn checkpoints_in(&self, tx: &mut Transaction) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(tx
            .query("SELECT id, text FROM checkpoints ORDER BY id", &[])
            .map_err(self.err())?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn insert_checkpoint(&self, tx: &mut Transaction, cp: &Checkpoint) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO checkpoints (size, text) VALUES ($1, $2)",
            &[&(cp.size as i64), &cp.to_text()],
        )
        .map_err(self.err())?;
        Ok(())
    }

    /// The tree from the log in `tx`'s snapshot, and each leaf's feed position.
    fn log_tree_in(&self, tx: &mut Transaction) -> Result<(LogTree, Vec<(u64, Seq)>), StoreError> {
        let mut log = LogTree::new();
        let mut positions = Vec::new();
        let mut rows = tx
            .query_raw(
                &format!(
                    "SELECT tx::text, seq, hash FROM events WHERE {BELOW_HORIZON} ORDER BY events.tx, events.seq"
                ),
                std::iter::empty::<&(dyn postgres::types::ToSql + Sync)>(),
            )
            .map_err(self.err())?;
        while let Some(row) = rows.next().map_err(self.err())? {
            let (t, seq, hash): (String, Seq, String) = (row.get(0), row.get(1), row.get(2));
            log.push(seq, &hash);
            positions.push((self.xid_of(&t)?, seq));
        }
        Ok((log, positions))
    }

    /// The triggers on the store's tables and the trigger functions' bodies, as
    /// (name, definition) with the schema's name and whitespace left out; a disabled
    /// trigger says so.
    fn triggers_in(&self, tx: &mut Transaction) -> Result<Vec<(String, String)>, StoreError> {
        let rows = tx
            .query(
                "SELECT t.tgname::text, pg_get_triggerdef(t.oid), t.tgenabled::text, current_schema()::text
                   FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                  WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
                 UNION ALL
                 SELECT 'function ' || p.proname, p.prosrc, 'O', current_schema()::text
                   FROM pg_proc p
                  WHERE p.pronamespace = current_schema()::regnamespace
                    AND p.prorettype = 'trigger'::regtype
                 ORDER BY 1",
                &[],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| {
                let (name, def, enabled, schema): (String, String, String, String) =
                    (r.get(0), r.get(1), r.get(2), r.get(3));
                let mut def = collapse_whitespace(&def.replace(&format!(" {schema}."), " "));
                if enabled == "D" {
                    def.push_str(" (disabled)");
                }
                (name, def)
            })
            .collect())
    }
}

impl TreeStore for PgStore {
    fn tree_head(&mut self) -> Result<(u64, Hash), StoreError> {
        self.catch_up()?;
        let err = self.err();
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction().map_err(&err)?;
        let edge = self.extend_in(&mut tx)?;
        tx.commit().map_err(&err)?;
        Ok((edge.frontier.size(), edge.frontier.root()))
    }

    fn log_tree(&self) -> Result<LogTree, StoreError> {
        let err = self.err();
        let mut client = self.client.borrow_mut();
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(&err)?;
        let (log, _) = self.log_tree_in(&mut tx)?;
        tx.commit().map_err(&err)?;
        Ok(log)
    }

    fn store_id(&self) -> Result<String, StoreError> {
        let err = self.err();
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction().map_err(&err)?;
        self.store_id_in(&mut tx)
    }

    fn stored_checkpoints(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let err = self.err();
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction().map_err(&err)?;
        self.checkpoints_in(&mut tx)
    }

    fn keep_checkpoint(&mut self, cp: &Checkpoint) -> Result<(), StoreError> {
        let err = self.err();
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction().map_err(&err)?;
        self.insert_checkpoint(&mut tx, cp)?;
        tx.commit().map_err(&err)
    }

    fn write_checkpoint(
        &mut self,
        sign: &mut dyn FnMut(&Signing) -> Option<Checkpoint>,
    ) -> Result<Option<Checkpoint>, StoreError> {
        self.catch_up()?;
        let err = self.err();
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction().map_err(&err)?;
        // The tree lock, taken here, is held until commit: another process deciding
        // whether to sign sees this checkpoint.
        let edge = self.extend_in(&mut tx)?;
        let signing = Signing {
            store: self.store_id_in(&mut tx)?,
            size: edge.frontier.size(),
            root: edge.frontier.root(),
            newest: newest(&self.checkpoints_in(&mut tx)?),
        };
        let cp = sign(&signing);
        if let Some(cp) = &cp {
            self.insert_checkpoint(&mut tx, cp)?;
        }
        tx.commit().map_err(&err)?;
        Ok(cp)
    }

    fn audit_tree(&mut self) -> Result<TreeAudit, StoreError> {
        self.tree_head()?;
        let err = self.err();
        let mut client = self.client.borrow_mut();
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(&err)?;
        let (log, positions) = self.log_tree_in(&mut tx)?;
        let (stored, pending) = match self.load_edge(&mut tx) {
            Ok(edge) => {
                let pending = positions.iter().filter(|p| **p > edge.last).count() as u64;
                let stored = StoredTree {
                    size: edge.frontier.size(),
                    root: edge.frontier.root(),
                    last_seq: edge.last.1,
                };
                (Ok(stored), pending)
            }
            Err(StoreError::PostgresCorrupt { why, .. }) => (Err(why), 0),
            Err(e) => return Err(e),
        };
        let audit = TreeAudit {
            log,
            stored,
            pending,
            store_id: self.store_id_in(&mut tx).map_err(|e| e.to_string()),
            checkpoints: self.checkpoints_in(&mut tx)?,
            triggers: self.triggers_in(&mut tx)?,
        };
        tx.commit().map_err(&err)?;
        Ok(audit)
    }

    fn expected_triggers(&self) -> Vec<(String, String)> {
        EXPECTED_TRIGGERS
            .iter()
            .map(|(n, d)| ((*n).to_owned(), (*d).to_owned()))
            .collect()
    }
}
