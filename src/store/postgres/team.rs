//! [`TeamStore`] on PostgreSQL.

use std::collections::BTreeMap;

use postgres::Row;

use super::{append, PgStore};
use crate::model::Event;
use crate::sla::Micros;
use crate::store::team::{BatchOutcome, Feed, FeedCursor, Snapshot, TicketState};
use crate::store::tokens::{NewToken, TokenInfo};
use crate::store::{rules, StoreError, TeamStore};

macro_rules! token_columns {
    () => {
        "name, role, created_at, expires_at, revoked_at"
    };
}
const TOKEN_COLUMNS: &str = token_columns!();

impl TeamStore for PgStore {
    fn append_batch(
        &mut self,
        events: &[Event],
        expect: &BTreeMap<String, String>,
    ) -> Result<BatchOutcome, StoreError> {
        let events = rules::checked(events)?;
        append::batch(
            self.client.get_mut(),
            self.prepared.get_mut(),
            &self.url,
            &events,
            expect,
        )
    }

    fn append_each(
        &mut self,
        items: &[(Event, Option<String>)],
    ) -> Vec<Result<BatchOutcome, StoreError>> {
        let mut answers: Vec<Option<Result<BatchOutcome, StoreError>>> = Vec::new();
        let mut checked = Vec::with_capacity(items.len());
        for (e, expected) in items {
            match rules::checked(std::slice::from_ref(e)) {
                Ok(mut one) => {
                    checked.push((one.pop().expect("one event in, one out"), expected.clone()));
                    answers.push(None);
                }
                Err(x) => answers.push(Some(Err(x))),
            }
        }
        let mut grouped = append::group(
            self.client.get_mut(),
            self.prepared.get_mut(),
            &self.url,
            &checked,
        )
        .into_iter();
        answers
            .into_iter()
            .map(|a| a.unwrap_or_else(|| grouped.next().expect("an answer per checked item")))
            .collect()
    }

    fn snapshot(&self, state: TicketState) -> Result<Snapshot, StoreError> {
        self.snapshot_rows(state)
    }

    fn feed(&self, after: &FeedCursor, limit: usize) -> Result<Feed, StoreError> {
        self.feed_after(after, limit)
    }

    fn feed_head(&self) -> Result<FeedCursor, StoreError> {
        self.head_position()
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.query_prepared("SELECT count(*) FROM schema_migrations", &[])
            .map(|_| ())
    }

    fn is_usable(&self) -> bool {
        !self.client.borrow().is_closed()
    }

    fn create_token(&mut self, token: &NewToken) -> Result<(), StoreError> {
        let t = &token.info;
        let url = self.url.clone();
        let err = |e| PgStore::error(&url, e);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        // One creator of a name at a time, so two never both find it free.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('slawatch token ' || $1))",
            &[&t.name],
        )
        .map_err(err)?;
        let live = tx
            .query_opt(
                "SELECT 1 FROM tokens WHERE name = $1 AND revoked_at IS NULL
                    AND (expires_at IS NULL OR expires_at > $2)",
                &[&t.name, &t.created_at],
            )
            .map_err(err)?;
        if live.is_some() {
            return Err(StoreError::TokenExists {
                name: t.name.clone(),
            });
        }
        tx.execute(
            "INSERT INTO tokens (hash, name, role, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&token.hash, &t.name, &t.role.as_str(), &t.created_at, &t.expires_at],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY name, created_at"),
                &[],
            )
            .map_err(self.err())?;
        rows.iter().map(|r| self.decode_token(r)).collect()
    }

    fn revoke_token(&mut self, name: &str, now: Micros) -> Result<bool, StoreError> {
        let n = self
            .client
            .get_mut()
            .execute(
                "UPDATE tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                &[&name, &now],
            )
            .map_err(|e| PgStore::error(&self.url, e))?;
        Ok(n > 0)
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenInfo>, StoreError> {
        let rows = self.query_prepared(
            concat!("SELECT ", token_columns!(), " FROM tokens WHERE hash = $1"),
            &[&hash],
        )?;
        rows.first().map(|r| self.decode_token(r)).transpose()
    }
}

impl PgStore {
    fn decode_token(&self, row: &Row) -> Result<TokenInfo, StoreError> {
        let role: String = row.get(1);
        Ok(TokenInfo {
            name: row.get(0),
            role: role
                .parse()
                .map_err(|why| self.corrupt(0, format!("tokens: {why}")))?,
            created_at: row.get(2),
            expires_at: row.get(3),
            revoked_at: row.get(4),
        })
    }
}
