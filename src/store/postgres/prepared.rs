//! Statements prepared once per connection. A query sent as text is parsed and
//! described in one round trip and run in a second; a prepared one runs in one, and
//! the server keeps its plan. The hot paths (appends, token look-ups, the feed) use
//! this; rarer queries go as text.

use std::collections::HashMap;

use postgres::{GenericClient, Statement};

#[derive(Default)]
pub(super) struct Prepared(HashMap<&'static str, Statement>);

impl Prepared {
    /// `sql` prepared on `client`'s connection (a transaction's statements are its
    /// connection's).
    pub(super) fn get(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
    ) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.0.get(sql) {
            return Ok(s.clone());
        }
        let s = client.prepare(sql)?;
        self.0.insert(sql, s.clone());
        Ok(s)
    }
}
