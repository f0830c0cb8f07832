//! [`DbSessionStore`]: sessions in the `auth_sessions` table, through `aksara`, on
//! SQLite, PostgreSQL and MySQL/MariaDB alike.
//!
//! ## Why one row per session with a version column
//!
//! Each session is one row: its key (unique), its data as one JSON object, a
//! `version` counter and three timestamps. A request that only reads costs one
//! `SELECT` by the unique key; a touch is one `UPDATE` of the timestamps.
//!
//! A write that changes keys must merge with concurrent writes to the same session.
//! It re-reads the row, applies the request's per-key changes to the stored object
//! and writes it back with `UPDATE … WHERE session_key = ? AND version = ?`, bumping
//! the version. When a concurrent write got there first the update matches no row,
//! and the merge is redone on top of the winner's data (optimistic concurrency,
//! bounded attempts). This needs no row locks, so it behaves the same on the three
//! backends: a read-modify-write *transaction* would not (PostgreSQL's default
//! isolation lets two such transactions overwrite each other without
//! `SELECT … FOR UPDATE`, which SQLite lacks, and SQLite fails a deferred
//! transaction that upgrades to a write under contention). One row per *key* would
//! merge for free but make every read a multi-row query; reads far outnumber writes.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use aksara::Db;

use super::{SessionRecord, SessionStore, SessionUpdate, StoreFuture};
use crate::session::SessionKey;
use crate::session::error::SessionStoreError;

/// How often a write re-merges after losing a race before giving up. Each lost race
/// is another writer's success, so up to this many concurrent writers to one
/// session always all land.
const MAX_ATTEMPTS: u32 = 16;

/// One session: the `auth_sessions` table. `db.migrate()` creates it.
#[derive(aksara::Model)]
#[model(table = "auth_sessions")]
pub(crate) struct StoredSession {
    #[field(primary_key)]
    pub(crate) id: i64,
    /// The [`SessionKey`] (SHA-256 of the cookie's id), never the id itself.
    #[field(unique, max_length = 64)]
    pub(crate) session_key: String,
    /// The session's values, as one JSON object.
    pub(crate) data: Value,
    /// Bumped by every data write; writes are conditional on it.
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) last_seen: DateTime<Utc>,
    #[field(index)]
    pub(crate) expires_at: DateTime<Utc>,
}

/// Sessions in the application's database, in the `auth_sessions` table that
/// `db.migrate()` creates: the default store, on SQLite, PostgreSQL and
/// MySQL/MariaDB. Concurrent writes to different keys of one session merge (see
/// the module notes in the source: an optimistic version check, retried).
///
/// A load that finds its session expired deletes the row (one `DELETE`, only
/// then). Sessions nobody comes back to stay until purged: run
/// [`SessionLayer::spawn_purge_task`](crate::session::SessionLayer::spawn_purge_task)
/// at start-up, or call [`SessionStore::purge_expired`] from a job of your own.
///
/// ```
/// use aksara::Db;
/// use aksara_auth::session::{DbSessionStore, SessionLayer};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// db.migrate().await?; // creates auth_sessions with the other tables
/// let layer = SessionLayer::new(DbSessionStore::new(db.clone()));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    /// A store over `db` (run `db.migrate()` once to create the table).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let store = aksara_auth::session::DbSessionStore::new(db);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    async fn row(&self, key: &SessionKey) -> Result<Option<StoredSession>, SessionStoreError> {
        StoredSession::objects()
            .filter(StoredSession::SESSION_KEY.eq(key.as_str()))
            .first(&self.db)
            .await
            .map_err(SessionStoreError::unavailable)
    }

    /// Deletes the expired session a load found: one `DELETE`, which spares a
    /// session whose expiry another request moved past `now` meanwhile.
    async fn delete_expired(
        &self,
        key: &SessionKey,
        now: DateTime<Utc>,
    ) -> Result<(), SessionStoreError> {
        let deleted = StoredSession::objects()
            .filter(StoredSession::SESSION_KEY.eq(key.as_str()))
            .filter(StoredSession::EXPIRES_AT.lte(now))
            .delete(&self.db)
            .await
            .map_err(SessionStoreError::unavailable)?;
        tracing::debug!(target: "aksara_auth::session", deleted, "expired session found at load; deleted");
        Ok(())
    }

    async fn save_update(
        &self,
        key: &SessionKey,
        update: &SessionUpdate,
    ) -> Result<bool, SessionStoreError> {
        let this_session =
            || StoredSession::objects().filter(StoredSession::SESSION_KEY.eq(key.as_str()));
        if update.changes.is_empty() {
            // A touch: timestamps only, nothing to merge.
            let matched = this_session()
                .update(
                    &self.db,
                    [
                        StoredSession::CREATED_AT.set(update.created_at),
                        StoredSession::LAST_SEEN.set(update.last_seen),
                        StoredSession::EXPIRES_AT.set(update.expires_at),
                    ],
                )
                .await
                .map_err(SessionStoreError::unavailable)?;
            return Ok(matched > 0);
        }
        for attempt in 1..=MAX_ATTEMPTS {
            let Some(row) = self.row(key).await? else {
                return Ok(false);
            };
            let mut data = object_or_empty(row.data);
            update.apply_to(&mut data);
            let matched = this_session()
                .filter(StoredSession::VERSION.eq(row.version))
                .update(
                    &self.db,
                    [
                        StoredSession::DATA.set(Value::Object(data)),
                        StoredSession::VERSION.set(row.version.wrapping_add(1)),
                        StoredSession::CREATED_AT.set(update.created_at),
                        StoredSession::LAST_SEEN.set(update.last_seen),
                        StoredSession::EXPIRES_AT.set(update.expires_at),
                    ],
                )
                .await
                .map_err(SessionStoreError::unavailable)?;
            if matched > 0 {
                return Ok(true);
            }
            tracing::debug!(target: "aksara_auth::session", attempt, "concurrent session write; merging again");
            tokio::task::yield_now().await;
        }
        Err(SessionStoreError::Conflict(MAX_ATTEMPTS))
    }
}

fn object_or_empty(data: Value) -> Map<String, Value> {
    match data {
        Value::Object(map) => map,
        _ => {
            tracing::warn!(target: "aksara_auth::session", "stored session data is not a JSON object; starting it afresh");
            Map::new()
        }
    }
}

impl SessionStore for DbSessionStore {
    fn load<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, Option<SessionRecord>> {
        Box::pin(async move {
            let Some(row) = self.row(key).await? else {
                return Ok(None);
            };
            let now = Utc::now();
            if row.expires_at <= now {
                self.delete_expired(key, now).await?;
                return Ok(None);
            }
            let Value::Object(data) = row.data else {
                return Err(SessionStoreError::Corrupt(
                    "the data column does not hold a JSON object".into(),
                ));
            };
            Ok(Some(SessionRecord {
                data,
                created_at: row.created_at,
                last_seen: row.last_seen,
                expires_at: row.expires_at,
            }))
        })
    }

    fn create<'a>(&'a self, key: &'a SessionKey, record: &'a SessionRecord) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            StoredSession::objects()
                .create()
                .session_key(key.as_str())
                .data(Value::Object(record.data.clone()))
                .version(0_i64)
                .created_at(record.created_at)
                .last_seen(record.last_seen)
                .expires_at(record.expires_at)
                .exec(&self.db)
                .await
                .map_err(SessionStoreError::unavailable)?;
            Ok(())
        })
    }

    fn save<'a>(&'a self, key: &'a SessionKey, update: &'a SessionUpdate) -> StoreFuture<'a, bool> {
        Box::pin(self.save_update(key, update))
    }

    fn cycle<'a>(&'a self, old: &'a SessionKey, new: &'a SessionKey) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let moved = StoredSession::objects()
                .filter(StoredSession::SESSION_KEY.eq(old.as_str()))
                .update(&self.db, StoredSession::SESSION_KEY.set(new.as_str()))
                .await
                .map_err(SessionStoreError::unavailable)?;
            Ok(moved > 0)
        })
    }

    fn delete<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            StoredSession::objects()
                .filter(StoredSession::SESSION_KEY.eq(key.as_str()))
                .delete(&self.db)
                .await
                .map_err(SessionStoreError::unavailable)?;
            Ok(())
        })
    }

    fn purge_expired(&self, now: DateTime<Utc>) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            StoredSession::objects()
                .filter(StoredSession::EXPIRES_AT.lte(now))
                .delete(&self.db)
                .await
                .map_err(SessionStoreError::unavailable)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::session::SessionChange;
    use crate::session::id::SessionId;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_saves_of_different_keys_all_land() {
        let path =
            std::env::temp_dir().join(format!("aksara_auth_session_cas_{}.db", std::process::id()));
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let store = Arc::new(DbSessionStore::new(db.clone()));
        let key = SessionId::generate().key().clone();
        let now = Utc::now();
        let expires = now + chrono::Duration::hours(1);
        store
            .create(&key, &SessionRecord::new(now, expires))
            .await
            .unwrap();

        // Twelve writers at once: each loses at most eleven races, within the bound.
        let writers = (0..12).map(|i| {
            let (store, key) = (Arc::clone(&store), key.clone());
            tokio::spawn(async move {
                let mut update = SessionUpdate::new(now, Utc::now(), expires);
                update
                    .changes
                    .insert(format!("k{i}"), SessionChange::Set(i.into()));
                store.save(&key, &update).await.unwrap()
            })
        });
        for writer in writers.collect::<Vec<_>>() {
            assert!(writer.await.unwrap());
        }
        let record = store.load(&key).await.unwrap().unwrap();
        assert_eq!(record.data.len(), 12, "{record:?}");
        let row = StoredSession::objects()
            .get(&db, StoredSession::SESSION_KEY.eq(key.as_str()))
            .await
            .unwrap();
        assert_eq!(row.version, 12);

        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
