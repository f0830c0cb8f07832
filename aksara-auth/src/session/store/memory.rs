//! [`MemoryStore`]: sessions in a hash map, for tests and development.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use super::{SessionRecord, SessionStore, SessionUpdate, StoreFuture};
use crate::session::SessionKey;

/// Sessions kept in this process's memory: lost at restart and not shared between
/// processes. For tests and development; use [`DbSessionStore`](super::DbSessionStore)
/// or `RedisStore` in production. Clones share the same sessions.
///
/// ```
/// use aksara_auth::session::{MemoryStore, SessionLayer};
/// let store = MemoryStore::new();
/// let layer = SessionLayer::new(store.clone());
/// assert_eq!(store.len(), 0);
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    sessions: Arc<Mutex<HashMap<SessionKey, SessionRecord>>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("sessions", &self.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    ///
    /// ```
    /// assert!(aksara_auth::session::MemoryStore::new().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many sessions it holds (expired ones included until purged or loaded).
    ///
    /// ```
    /// assert_eq!(aksara_auth::session::MemoryStore::new().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds no session.
    ///
    /// ```
    /// assert!(aksara_auth::session::MemoryStore::default().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<SessionKey, SessionRecord>> {
        // No code panics while holding the lock; recover rather than spread a poison.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SessionStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, Option<SessionRecord>> {
        let mut sessions = self.lock();
        let found = match sessions.get(key) {
            Some(record) if record.expires_at <= Utc::now() => {
                sessions.remove(key);
                None
            }
            found => found.cloned(),
        };
        drop(sessions);
        Box::pin(async move { Ok(found) })
    }

    fn create<'a>(&'a self, key: &'a SessionKey, record: &'a SessionRecord) -> StoreFuture<'a, ()> {
        self.lock().insert(key.clone(), record.clone());
        Box::pin(async { Ok(()) })
    }

    fn save<'a>(&'a self, key: &'a SessionKey, update: &'a SessionUpdate) -> StoreFuture<'a, bool> {
        let found = match self.lock().get_mut(key) {
            Some(record) => {
                update.apply_to(&mut record.data);
                record.created_at = update.created_at;
                record.last_seen = update.last_seen;
                record.expires_at = update.expires_at;
                true
            }
            None => false,
        };
        Box::pin(async move { Ok(found) })
    }

    fn cycle<'a>(&'a self, old: &'a SessionKey, new: &'a SessionKey) -> StoreFuture<'a, bool> {
        let mut sessions = self.lock();
        let moved = match sessions.remove(old) {
            Some(record) => {
                sessions.insert(new.clone(), record);
                true
            }
            None => false,
        };
        drop(sessions);
        Box::pin(async move { Ok(moved) })
    }

    fn delete<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, ()> {
        self.lock().remove(key);
        Box::pin(async { Ok(()) })
    }

    fn purge_expired(&self, now: DateTime<Utc>) -> StoreFuture<'_, u64> {
        let mut sessions = self.lock();
        let before = sessions.len();
        sessions.retain(|_, record| record.expires_at > now);
        let purged = before - sessions.len();
        drop(sessions);
        Box::pin(async move { Ok(u64::try_from(purged).unwrap_or(u64::MAX)) })
    }
}
