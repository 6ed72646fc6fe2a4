//! Wakes every `serve`'s change-feed listeners after appends, once for all the
//! commits of a few milliseconds. A NOTIFY is a transaction of its own (after the
//! appending one's commit, see append.rs) and wakes each listening connection; sent
//! for every group it cost the database about as much as the group's own statement.
//! Gathered here, on a connection of its own, it costs each append nothing while the
//! appends come quickly, and no request waits for it.
//!
//! Every commit reported ([`FeedNotifier::appended`]) is followed by a NOTIFY begun
//! after it, at most [`GATHER`] and a round trip later: a report during a NOTIFY
//! leaves a permit that sends another. The feed never depends on it (readers also
//! look at the feed's head while anyone waits); it only makes waiters on other `serve`
//! processes hear of an append at once.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_postgres::NoTls;

use super::append::{CHANNEL, NOTIFY};

/// How long the commits that follow a first one may join its NOTIFY. Each NOTIFY is
/// a transaction and wakes every listening connection and its process: on a small
/// machine one every 2 ms took about 4 % of the appends a single client made
/// (`scripts/bench-server`), while the feed's waiters on other `serve` processes hear
/// of an append at most this much later (a long-poll's own process wakes them at once).
pub const GATHER: Duration = Duration::from_millis(10);

#[derive(Clone)]
pub struct FeedNotifier {
    wake: Arc<Notify>,
}

impl FeedNotifier {
    /// Starts the notifying task on the current runtime; it connects when first
    /// needed, and again after a lost connection.
    pub fn start(url: &str) -> FeedNotifier {
        let wake = Arc::new(Notify::new());
        tokio::spawn(run(url.to_owned(), Arc::clone(&wake)));
        FeedNotifier { wake }
    }

    /// Something was committed: notify the listeners soon.
    pub fn appended(&self) {
        self.wake.notify_one();
    }
}

async fn run(url: String, wake: Arc<Notify>) {
    let mut conn: Option<(tokio_postgres::Client, tokio_postgres::Statement)> = None;
    loop {
        wake.notified().await;
        tokio::time::sleep(GATHER).await;
        if conn.as_ref().is_none_or(|(c, _)| c.is_closed()) {
            conn = connect(&url).await;
        }
        let Some((client, notify)) = conn.as_ref() else {
            continue;
        };
        if let Err(e) = client.execute(notify, &[&CHANNEL]).await {
            tracing::warn!(error = %e, "cannot notify the change feed's listeners");
            conn = None;
        }
    }
}

async fn connect(url: &str) -> Option<(tokio_postgres::Client, tokio_postgres::Statement)> {
    let mut config = tokio_postgres::Config::from_str(url).ok()?;
    config.connect_timeout(Duration::from_secs(10));
    config.application_name("slawatch");
    let connected = async {
        let (client, connection) = config.connect(NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let notify = client.prepare(NOTIFY).await?;
        Ok::<_, tokio_postgres::Error>((client, notify))
    };
    match connected.await {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %e, "cannot connect to notify the change feed's listeners");
            None
        }
    }
}
