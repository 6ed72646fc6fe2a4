//! Wakes long-polls when the feed has something new: a watch channel that one task per
//! server bumps whenever the store's feed head moves. The task looks at the head after
//! every append through this server, on every PostgreSQL notification (appends through
//! other `serve` processes), and every `POLL` while anyone waits (writers that notify
//! no one: another process on the SQLite file, or a horizon held back by a transaction
//! that has since finished).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::metrics::Metrics;
use super::pool::Pool;
use super::token_cache::TokenCache;
use crate::store::team::FeedCursor;

const POLL: Duration = Duration::from_millis(100);

pub struct Heads {
    tx: watch::Sender<u64>,
    poke: Notify,
}

impl Heads {
    pub fn new() -> Arc<Heads> {
        Arc::new(Heads {
            tx: watch::channel(0).0,
            poke: Notify::new(),
        })
    }

    /// Something may have been appended: look now.
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    /// Runs until the process ends.
    pub async fn watch(self: Arc<Self>, pool: Arc<Pool>, metrics: Arc<Metrics>) {
        let mut last: Option<FeedCursor> = None;
        loop {
            let waiting = metrics.feed_waiters.load(Ordering::Relaxed) > 0;
            let idle = if waiting {
                POLL
            } else {
                Duration::from_secs(2)
            };
            let _ = tokio::time::timeout(idle, self.poke.notified()).await;
            // No one to wake: spare the store the look (every append pokes). A long-poll
            // counts itself and pokes before it reads the feed, and while anyone waits
            // the head is looked at every POLL; a `last` left stale meanwhile wakes the
            // waiters once for nothing at worst.
            if metrics.feed_waiters.load(Ordering::Relaxed) == 0 {
                continue;
            }
            match pool.run(|s| s.feed_head()).await {
                Ok(head) if last.as_ref() != Some(&head) => {
                    last = Some(head);
                    self.tx.send_modify(|g| *g += 1);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the feed head"),
            }
        }
    }

    /// Listens to PostgreSQL's notifications of appends by any `serve` process, and
    /// pokes on each; and of changes to the tokens, which `tokens` forgets. Reconnects
    /// after a lost connection (`tokens` caches nothing meanwhile).
    pub async fn listen(self: Arc<Self>, url: String, tokens: Arc<TokenCache>) {
        use crate::store::postgres::{NOTIFY_CHANNEL, TOKENS_CHANNEL};
        use futures::StreamExt as _;
        loop {
            match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
                Ok((client, mut conn)) => {
                    let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
                    let this = Arc::clone(&self);
                    let told = Arc::clone(&tokens);
                    let reader = async move {
                        while let Some(m) = messages.next().await {
                            match m {
                                Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                                    if n.channel() == TOKENS_CHANNEL {
                                        told.clear();
                                    } else {
                                        this.poke();
                                    }
                                }
                                Ok(_) => {}
                                Err(e) => return e.to_string(),
                            }
                        }
                        "connection closed".to_owned()
                    };
                    let sql = format!("LISTEN {NOTIFY_CHANNEL}; LISTEN {TOKENS_CHANNEL}");
                    let listen = client.batch_execute(&sql);
                    let cache = Arc::clone(&tokens);
                    let why = tokio::select! {
                        why = reader => why,
                        () = async {
                            match listen.await {
                                // Only now does every change to the tokens reach us.
                                Ok(()) => cache.set_told(true),
                                Err(e) => tracing::warn!(error = %e, "LISTEN failed"),
                            }
                            // The client lives as long as its connection runs.
                            std::future::pending::<()>().await
                        } => unreachable!("pending never ends"),
                    };
                    tokens.set_told(false);
                    tracing::warn!(why, "lost the notification connection; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "cannot connect for notifications; retrying"),
            }
            self.poke();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
