//! Store connections for request handlers. Every store call is blocking (rusqlite, the
//! synchronous `postgres` client), so it runs on tokio's blocking threads, one pooled
//! connection each; a connection found unusable is dropped and a new one opened.

use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use crate::store::{open_team, StoreError, StoreTarget, TeamStore};

pub struct Pool {
    target: StoreTarget,
    idle: Mutex<Vec<Box<dyn TeamStore>>>,
    permits: Semaphore,
}

impl Pool {
    /// Opens one connection now, so that a bad URL or file fails `serve` at start.
    pub fn open(target: StoreTarget, size: usize) -> Result<Arc<Pool>, StoreError> {
        let first = open_team(&target)?;
        Ok(Arc::new(Pool {
            target,
            idle: Mutex::new(vec![first]),
            permits: Semaphore::new(size.max(1)),
        }))
    }

    /// Runs `f` on a pooled connection on a blocking thread.
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn TeamStore) -> Result<T, StoreError> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the pool is never closed");
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let taken = pool.idle.lock().expect("pool lock").pop();
            let mut store = match taken {
                Some(s) => s,
                None => open_team(&pool.target)?,
            };
            let out = f(&mut *store);
            if store.is_usable() {
                pool.idle.lock().expect("pool lock").push(store);
            }
            out
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }
}

impl Drop for Pool {
    /// The synchronous PostgreSQL client blocks on its own runtime when it closes, which
    /// tokio forbids on a runtime thread: close the connections on a plain thread.
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|p| p.into_inner()));
        let _ = std::thread::spawn(move || drop(idle)).join();
    }
}
