//! `verify`'s tree check of the SQLite store: what the store gathers, judged by
//! [`super::merkle_verify`] against the triggers its schema creates.

use super::merkle_verify::{check, IntegrityReport, Outside};
use super::{schema, SqliteStore, StoreError};

impl SqliteStore {
    /// Checks the tree against the log, every checkpoint the store keeps and those in
    /// `outside`, and the append-only triggers.
    pub fn verify_tree(&self, outside: &[Outside]) -> Result<IntegrityReport, StoreError> {
        let audit = self.audit_tree()?;
        Ok(check(&audit, outside, &schema::expected_triggers()))
    }
}
