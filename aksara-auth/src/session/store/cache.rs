//! [`CachedStore`]: an in-process read cache in front of another store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use super::{SessionRecord, SessionStore, SessionUpdate, StoreFuture};
use crate::session::SessionKey;

/// Keeps recently loaded sessions in this process's memory for up to `ttl`, so a
/// request whose session is cached costs no store round trip (with the database
/// store on SQLite that is most of a session-authenticated request's cost).
///
/// Every write through the cache (save, touch, cycle, delete, purge) drops the
/// entries it concerns, so **within one process the cache is never stale**: a
/// logout here is seen by the next request here. With **several processes**
/// sharing the store, a session changed or deleted by another process can still
/// be seen as it was for up to `ttl`, including a logged-out session (the idle and
/// absolute deadlines still hold). Use a short `ttl` there, or none.
///
/// ```
/// use aksara::Db;
/// use aksara_auth::session::{CachedStore, DbSessionStore, Duration, SessionLayer};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// db.migrate().await?;
/// let store = CachedStore::new(DbSessionStore::new(db), Duration::seconds(30));
/// let layer = SessionLayer::new(store);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CachedStore<S> {
    inner: S,
    cache: Arc<Cache>,
}

struct Cache {
    entries: Mutex<HashMap<SessionKey, Entry>>,
    /// Bumped by every write; a load that saw another value does not fill the cache
    /// (its result may predate the write).
    epoch: AtomicU64,
    ttl: std::time::Duration,
    capacity: usize,
}

struct Entry {
    record: SessionRecord,
    cached_at: Instant,
}

impl<S: std::fmt::Debug> std::fmt::Debug for CachedStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedStore")
            .field("inner", &self.inner)
            .field("ttl", &self.cache.ttl)
            .field("capacity", &self.cache.capacity)
            .finish_non_exhaustive()
    }
}

impl<S: SessionStore> CachedStore<S> {
    /// Caches `inner`'s sessions for up to `ttl`, at most 10 000 of them.
    ///
    /// ```
    /// use aksara_auth::session::{CachedStore, Duration, MemoryStore};
    /// let store = CachedStore::new(MemoryStore::new(), Duration::seconds(5));
    /// ```
    #[must_use]
    pub fn new(inner: S, ttl: Duration) -> Self {
        Self {
            inner,
            cache: Arc::new(Cache {
                entries: Mutex::new(HashMap::new()),
                epoch: AtomicU64::new(0),
                ttl: ttl.to_std().unwrap_or_default(),
                capacity: 10_000,
            }),
        }
    }

    /// Keeps at most `capacity` sessions (default 10 000); when full, expired
    /// entries go first, then everything.
    ///
    /// ```
    /// use aksara_auth::session::{CachedStore, Duration, MemoryStore};
    /// let store = CachedStore::new(MemoryStore::new(), Duration::seconds(5)).capacity(1_000);
    /// ```
    #[must_use]
    pub fn capacity(mut self, capacity: usize) -> Self {
        let cache = Cache {
            entries: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(0),
            ttl: self.cache.ttl,
            capacity,
        };
        self.cache = Arc::new(cache);
        self
    }

    /// The store behind the cache.
    ///
    /// ```
    /// use aksara_auth::session::{CachedStore, Duration, MemoryStore};
    /// let store = CachedStore::new(MemoryStore::new(), Duration::seconds(5));
    /// assert!(store.inner().is_empty());
    /// ```
    #[must_use]
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl Cache {
    fn lock(&self) -> MutexGuard<'_, HashMap<SessionKey, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached record under `key`, unless it is older than the ttl or its
    /// session has expired (the caller then loads from the store, which deletes an
    /// expired session).
    fn get(&self, key: &SessionKey) -> Option<SessionRecord> {
        let mut entries = self.lock();
        let entry = entries.get(key)?;
        if entry.record.expires_at <= Utc::now() {
            entries.remove(key);
            return None;
        }
        (entry.cached_at.elapsed() < self.ttl).then(|| entry.record.clone())
    }

    fn fill(&self, key: &SessionKey, record: &SessionRecord, epoch: u64) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        // Checked under the lock: a write bumps the epoch before it drops entries.
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if entries.len() >= self.capacity {
            entries.retain(|_, entry| entry.cached_at.elapsed() < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(
            key.clone(),
            Entry {
                record: record.clone(),
                cached_at: Instant::now(),
            },
        );
    }

    /// Called before and after every write to the store.
    fn forget(&self, keys: &[&SessionKey]) {
        let mut entries = self.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        for key in keys {
            entries.remove(*key);
        }
    }

    fn forget_all(&self) {
        let mut entries = self.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

impl<S: SessionStore> SessionStore for CachedStore<S> {
    fn load<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, Option<SessionRecord>> {
        Box::pin(async move {
            if let Some(record) = self.cache.get(key) {
                return Ok(Some(record));
            }
            let epoch = self.cache.epoch.load(Ordering::Acquire);
            let loaded = self.inner.load(key).await?;
            if let Some(record) = &loaded {
                self.cache.fill(key, record, epoch);
            }
            Ok(loaded)
        })
    }

    fn create<'a>(&'a self, key: &'a SessionKey, record: &'a SessionRecord) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let epoch = self.cache.epoch.load(Ordering::Acquire);
            self.inner.create(key, record).await?;
            self.cache.fill(key, record, epoch);
            Ok(())
        })
    }

    fn save<'a>(&'a self, key: &'a SessionKey, update: &'a SessionUpdate) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            self.cache.forget(&[key]);
            let saved = self.inner.save(key, update).await;
            self.cache.forget(&[key]);
            saved
        })
    }

    fn cycle<'a>(&'a self, old: &'a SessionKey, new: &'a SessionKey) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            self.cache.forget(&[old, new]);
            let moved = self.inner.cycle(old, new).await;
            self.cache.forget(&[old, new]);
            moved
        })
    }

    fn delete<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.cache.forget(&[key]);
            let deleted = self.inner.delete(key).await;
            self.cache.forget(&[key]);
            deleted
        })
    }

    fn purge_expired(&self, now: DateTime<Utc>) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let purged = self.inner.purge_expired(now).await;
            self.cache.forget_all();
            purged
        })
    }
}
