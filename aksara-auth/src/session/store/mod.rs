//! The [`SessionStore`] trait and the values it exchanges with the layer, plus the
//! three stores: [`DbSessionStore`] (the default, through `aksara`), [`MemoryStore`]
//! (tests and development) and `RedisStore` (feature `redis`, for apps on several
//! machines), and [`CachedStore`], an in-process read cache in front of any of them.
//!
//! ## Merging, not overwriting
//!
//! A store never receives a whole session to overwrite. [`SessionStore::save`] gets
//! the keys this request *set* or *removed* ([`SessionUpdate::changes`]) and applies
//! them to what is stored now, so two concurrent requests on one session that
//! write different keys both keep their writes. Each store does this its own way:
//! a mutex for [`MemoryStore`], an optimistic compare-and-swap on a version column
//! for [`DbSessionStore`], `HSET`/`HDEL` on a hash inside one script for Redis.
//!
//! ## Expired sessions
//!
//! A `load` that finds its session expired deletes it and answers `None`, so a
//! returning visitor's stale session does not wait for the purge. Sessions nobody
//! comes back to are deleted by [`SessionStore::purge_expired`] (start
//! [`SessionLayer::spawn_purge_task`](super::SessionLayer::spawn_purge_task) once
//! at start-up); Redis expires its keys itself.

mod cache;
mod db;
mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use cache::CachedStore;
pub use db::DbSessionStore;
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::SessionKey;
use super::error::SessionStoreError;

/// The future a [`SessionStore`] method returns (boxed, so the trait is object safe).
///
/// ```
/// use aksara_auth::session::StoreFuture;
/// fn nothing_to_purge<'a>() -> StoreFuture<'a, u64> {
///     Box::pin(async { Ok(0) })
/// }
/// ```
pub type StoreFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, SessionStoreError>> + Send + 'a>>;

/// A stored session, as [`SessionStore::load`] returns it and
/// [`SessionStore::create`] receives it.
///
/// ```
/// use aksara_auth::session::SessionRecord;
/// use aksara::chrono::{Duration, Utc};
/// let now = Utc::now();
/// let record = SessionRecord::new(now, now + Duration::hours(1));
/// assert!(record.data.is_empty() && record.last_seen == now);
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionRecord {
    /// The session's values by key.
    pub data: Map<String, Value>,
    /// When the session began (reset when its id is cycled at login).
    pub created_at: DateTime<Utc>,
    /// When a request last touched it (refreshed at most once per touch interval).
    pub last_seen: DateTime<Utc>,
    /// When it ends unless touched again: the earlier of the idle deadline and the
    /// absolute one. Stores purge (or let expire) records past it.
    pub expires_at: DateTime<Utc>,
}

impl SessionRecord {
    /// An empty record created and last seen at `now`.
    ///
    /// ```
    /// # use aksara_auth::session::SessionRecord;
    /// let now = aksara::chrono::Utc::now();
    /// assert_eq!(SessionRecord::new(now, now).created_at, now);
    /// ```
    #[must_use]
    pub fn new(now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Self {
        Self {
            data: Map::new(),
            created_at: now,
            last_seen: now,
            expires_at,
        }
    }
}

impl std::fmt::Debug for SessionRecord {
    // Values may be secrets (the auth hash): show only their keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("keys", &self.data.keys().collect::<Vec<_>>())
            .field("created_at", &self.created_at)
            .field("last_seen", &self.last_seen)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What one request did to one key.
///
/// ```
/// use aksara_auth::session::SessionChange;
/// let change = SessionChange::Set(serde_json::json!(3));
/// assert_ne!(change, SessionChange::Removed);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum SessionChange {
    /// The key now holds this value.
    Set(Value),
    /// The key was removed.
    Removed,
}

/// A request's writes to an existing session, for [`SessionStore::save`]: the
/// changed keys (merged into what is stored) and the new timestamps (written as
/// they are).
///
/// ```
/// use aksara_auth::session::{SessionChange, SessionUpdate};
/// let now = aksara::chrono::Utc::now();
/// let mut update = SessionUpdate::new(now, now, now);
/// update.changes.insert("cart".into(), SessionChange::Set(serde_json::json!([1, 2])));
/// let mut stored = serde_json::Map::new();
/// stored.insert("theme".into(), serde_json::json!("dark"));
/// update.apply_to(&mut stored);
/// assert_eq!(stored.len(), 2); // a concurrent writer's `theme` survives
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionUpdate {
    /// The keys this request set or removed. Empty for a touch that only moves the
    /// timestamps forward.
    pub changes: BTreeMap<String, SessionChange>,
    /// The session's creation time (changed only when its id was cycled).
    pub created_at: DateTime<Utc>,
    /// The new last-seen time.
    pub last_seen: DateTime<Utc>,
    /// The new expiry.
    pub expires_at: DateTime<Utc>,
}

impl SessionUpdate {
    /// An update with no changed key.
    ///
    /// ```
    /// # use aksara_auth::session::SessionUpdate;
    /// let now = aksara::chrono::Utc::now();
    /// assert!(SessionUpdate::new(now, now, now).changes.is_empty());
    /// ```
    #[must_use]
    pub fn new(
        created_at: DateTime<Utc>,
        last_seen: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            changes: BTreeMap::new(),
            created_at,
            last_seen,
            expires_at,
        }
    }

    /// Applies [`changes`](SessionUpdate::changes) to stored `data`, leaving every
    /// other key as it is.
    ///
    /// ```
    /// # use aksara_auth::session::{SessionChange, SessionUpdate};
    /// # let now = aksara::chrono::Utc::now();
    /// let mut update = SessionUpdate::new(now, now, now);
    /// update.changes.insert("a".into(), SessionChange::Removed);
    /// let mut data = serde_json::Map::new();
    /// data.insert("a".into(), 1.into());
    /// update.apply_to(&mut data);
    /// assert!(data.is_empty());
    /// ```
    pub fn apply_to(&self, data: &mut Map<String, Value>) {
        for (key, change) in &self.changes {
            match change {
                SessionChange::Set(value) => {
                    data.insert(key.clone(), value.clone());
                }
                SessionChange::Removed => {
                    data.remove(key);
                }
            }
        }
    }
}

impl std::fmt::Debug for SessionUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionUpdate")
            .field("changed_keys", &self.changes.keys().collect::<Vec<_>>())
            .field("created_at", &self.created_at)
            .field("last_seen", &self.last_seen)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where sessions live. The [`SessionLayer`](super::SessionLayer) calls it at most
/// at the start of a request (one `load`, only when the request has a valid
/// cookie) and at its end (only when the session changed or needs touching).
///
/// Every method reports a failure of the backing service as a
/// [`SessionStoreError`], which the layer turns into a 503; a store must not panic.
/// Keys are [`SessionKey`]s, never the cookie's id. The stores of this crate
/// delete a session they find past its `expires_at` at `load` and answer `None`;
/// the layer checks expiry itself as well, so another store's `load` may return an
/// expired record.
///
/// Implementations return boxed futures, which keeps the trait usable as
/// `dyn SessionStore`:
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use aksara_auth::session::{
///     SessionKey, SessionRecord, SessionStore, SessionUpdate, StoreFuture,
/// };
/// use aksara::chrono::{DateTime, Utc};
///
/// #[derive(Default)]
/// struct Naive(Mutex<HashMap<SessionKey, SessionRecord>>);
///
/// impl SessionStore for Naive {
///     fn load<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, Option<SessionRecord>> {
///         Box::pin(async move { Ok(self.0.lock().unwrap().get(key).cloned()) })
///     }
///     fn create<'a>(&'a self, key: &'a SessionKey, record: &'a SessionRecord) -> StoreFuture<'a, ()> {
///         Box::pin(async move {
///             self.0.lock().unwrap().insert(key.clone(), record.clone());
///             Ok(())
///         })
///     }
///     fn save<'a>(&'a self, key: &'a SessionKey, update: &'a SessionUpdate) -> StoreFuture<'a, bool> {
///         Box::pin(async move {
///             let mut all = self.0.lock().unwrap();
///             let Some(record) = all.get_mut(key) else { return Ok(false) };
///             update.apply_to(&mut record.data);
///             record.created_at = update.created_at;
///             record.last_seen = update.last_seen;
///             record.expires_at = update.expires_at;
///             Ok(true)
///         })
///     }
///     fn cycle<'a>(&'a self, old: &'a SessionKey, new: &'a SessionKey) -> StoreFuture<'a, bool> {
///         Box::pin(async move {
///             let mut all = self.0.lock().unwrap();
///             let Some(record) = all.remove(old) else { return Ok(false) };
///             all.insert(new.clone(), record);
///             Ok(true)
///         })
///     }
///     fn delete<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, ()> {
///         Box::pin(async move {
///             self.0.lock().unwrap().remove(key);
///             Ok(())
///         })
///     }
///     fn purge_expired(&self, now: DateTime<Utc>) -> StoreFuture<'_, u64> {
///         Box::pin(async move {
///             let mut all = self.0.lock().unwrap();
///             let before = all.len();
///             all.retain(|_, record| record.expires_at > now);
///             Ok((before - all.len()) as u64)
///         })
///     }
/// }
///
/// let layer = aksara_auth::session::SessionLayer::new(Naive::default());
/// ```
pub trait SessionStore: Send + Sync + 'static {
    /// The session stored under `key`, if any.
    ///
    /// # Errors
    /// [`SessionStoreError`] when the backing service fails.
    fn load<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, Option<SessionRecord>>;

    /// Stores a new session under `key` (a fresh random key: no session has it).
    ///
    /// # Errors
    /// [`SessionStoreError`] when the backing service fails.
    fn create<'a>(&'a self, key: &'a SessionKey, record: &'a SessionRecord) -> StoreFuture<'a, ()>;

    /// Merges `update` into the session under `key`: sets and removes the changed
    /// keys, leaves the others, writes the timestamps. Returns `false` when no
    /// session has `key` (it was deleted or purged meanwhile); the store must then
    /// not create one.
    ///
    /// # Errors
    /// [`SessionStoreError`] when the backing service fails or concurrent writes
    /// keep conflicting.
    fn save<'a>(&'a self, key: &'a SessionKey, update: &'a SessionUpdate) -> StoreFuture<'a, bool>;

    /// Moves the session under `old` to `new` with its data (a login cycles the
    /// id against session fixation). Returns `false` when no session has `old`.
    ///
    /// # Errors
    /// [`SessionStoreError`] when the backing service fails.
    fn cycle<'a>(&'a self, old: &'a SessionKey, new: &'a SessionKey) -> StoreFuture<'a, bool>;

    /// Deletes the session under `key` (nothing happens when there is none).
    ///
    /// # Errors
    /// [`SessionStoreError`] when the backing service fails.
    fn delete<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, ()>;

    /// Deletes every session whose `expires_at` is at or before `now`; returns how
    /// many. Stores whose backend expires entries itself (Redis) return 0.
    ///
    /// # Errors
    /// [`SessionStoreError`] when the backing service fails.
    fn purge_expired(&self, now: DateTime<Utc>) -> StoreFuture<'_, u64>;
}

/// A shared store is a store: `Arc<MemoryStore>`, `Arc<dyn SessionStore>`.
///
/// ```
/// use std::sync::Arc;
/// use aksara_auth::session::{MemoryStore, SessionLayer, SessionStore};
/// let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
/// let layer = SessionLayer::new(Arc::clone(&store)); // keep `store` for purging
/// ```
impl<S: SessionStore + ?Sized> SessionStore for Arc<S> {
    fn load<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, Option<SessionRecord>> {
        (**self).load(key)
    }

    fn create<'a>(&'a self, key: &'a SessionKey, record: &'a SessionRecord) -> StoreFuture<'a, ()> {
        (**self).create(key, record)
    }

    fn save<'a>(&'a self, key: &'a SessionKey, update: &'a SessionUpdate) -> StoreFuture<'a, bool> {
        (**self).save(key, update)
    }

    fn cycle<'a>(&'a self, old: &'a SessionKey, new: &'a SessionKey) -> StoreFuture<'a, bool> {
        (**self).cycle(old, new)
    }

    fn delete<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, ()> {
        (**self).delete(key)
    }

    fn purge_expired(&self, now: DateTime<Utc>) -> StoreFuture<'_, u64> {
        (**self).purge_expired(now)
    }
}
