//! [`UserCache`]: the users an authenticator loaded, kept for a short time.
//!
//! Loading the user is a database query, and on SQLite through sqlx it costs
//! more than the rest of a request (see `BENCHMARKS.md`). An authenticator that
//! owns a cache reuses a loaded user for at most the cache's time to live.
//!
//! ## How fresh a cached user is
//!
//! - **In this process:** every write to the user table through the ORM —
//!   `save`, `delete`, `update`, `delete` of a query set, and so `login` (which
//!   records `last_login`), `set_password` followed by `save`, deactivation —
//!   drops the written user from every cache at once (a write by another
//!   condition than the primary key drops every cached user of that table). Raw
//!   SQL is not seen: call [`UserCache::forget`] after it.
//! - **In other processes** (the same app on several machines, a management
//!   script): a change applies within the time to live, one second by default.
//!   Choose [`UserCache::disabled`] to read the user on every request, as Django
//!   does.
//!
//! Each cache is its own value: two apps, or two tests, in one process never
//! see each other's users.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aksara::Executor;
use aksara::changes::{Change, ChangeListener};
use uuid::Uuid;

use super::AuthUser;
use crate::cache::{TimedMap, watch};

/// The users an authenticator loaded, reused for a short time (one second by
/// default). Clones share the entries.
///
/// Every write to the user table through the ORM in this process (`save`,
/// `delete`, a query set's `update`/`delete`, and so `login`) drops the written
/// user at once (a write by another condition than the primary key drops every
/// cached user of that table). Changes the ORM does not see — raw SQL, another
/// process such as the same app on another machine — apply within the time to
/// live; call [`forget`](Self::forget) after raw SQL. Each cache is its own
/// value: two apps or two tests in one process never see each other's users.
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::prelude::*;
/// use aksara_auth::{User, UserCache};
///
/// let cache = UserCache::new(Duration::from_millis(500));
/// let layer = AuthenticationLayer::<User>::new()
///     .with(SessionAuthentication::new().user_cache(cache.clone()));
/// // After changing a user with raw SQL:
/// cache.forget(Uuid::nil());
/// ```
#[derive(Clone)]
pub struct UserCache {
    shared: Arc<Shared>,
}

struct Shared {
    users: TimedMap<Uuid, Entry>,
}

/// A loaded user and the digest the session checks against it.
struct Entry {
    user: Arc<dyn Any + Send + Sync>,
    /// Which digest `digest` is (`"session"`, `"jwt"`): authenticators that
    /// share the cache each tie their credential to the password differently.
    digest_name: &'static str,
    digest: String,
}

impl UserCache {
    /// A cache that keeps each user for `ttl`; `Duration::ZERO` is
    /// [`disabled`](Self::disabled).
    ///
    /// ```
    /// use std::time::Duration;
    /// let cache = aksara_auth::UserCache::new(Duration::from_secs(2));
    /// assert_eq!(cache.ttl(), Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn new(ttl: Duration) -> Self {
        Self {
            shared: Arc::new(Shared {
                users: TimedMap::new(ttl),
            }),
        }
    }

    /// A cache that keeps nothing: the user is read on every request.
    ///
    /// ```
    /// assert!(aksara_auth::UserCache::disabled().ttl().is_zero());
    /// ```
    #[must_use]
    pub fn disabled() -> Self {
        Self::new(Duration::ZERO)
    }

    /// How long a loaded user is reused.
    ///
    /// ```
    /// assert_eq!(aksara_auth::UserCache::default().ttl(), std::time::Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn ttl(&self) -> Duration {
        self.shared.users.ttl()
    }

    /// Drops user `id`, so the next request loads it from the database. Writes
    /// through the ORM do this by themselves; call it after changing a user
    /// another way (raw SQL, a bulk import).
    ///
    /// ```
    /// let cache = aksara_auth::UserCache::default();
    /// cache.forget(uuid::Uuid::nil());
    /// assert!(cache.is_empty());
    /// ```
    pub fn forget(&self, id: Uuid) {
        self.shared.users.remove(&id);
    }

    /// Drops every user.
    ///
    /// ```
    /// let cache = aksara_auth::UserCache::default();
    /// cache.clear();
    /// assert!(cache.is_empty());
    /// ```
    pub fn clear(&self) {
        self.shared.users.clear();
    }

    /// How many users the cache holds (expired ones included until they are
    /// replaced or pruned).
    ///
    /// ```
    /// assert_eq!(aksara_auth::UserCache::default().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.shared.users.len()
    }

    /// Whether the cache holds no user.
    ///
    /// ```
    /// assert!(aksara_auth::UserCache::disabled().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// User `id` of model `U` with the digest `digest` computed from it: from the
    /// cache when fresh and `use_cache`, else from the database (then cached).
    pub(crate) async fn load<U: AuthUser>(
        &self,
        id: Uuid,
        db: &(impl Executor + ?Sized),
        use_cache: bool,
        (digest_name, digest): (&'static str, fn(&U) -> String),
    ) -> aksara::Result<Option<(Arc<U>, String)>> {
        let caching = use_cache && !self.shared.users.ttl().is_zero();
        if caching && let Some(hit) = self.fresh::<U>(id, digest_name, digest) {
            return Ok(Some(hit));
        }
        let Some(user) = U::objects()
            .filter(aksara::Column::<U, Uuid>::new(U::META.primary_key).eq(id))
            .first(db)
            .await?
        else {
            return Ok(None);
        };
        let user = Arc::new(user);
        let user_digest = digest(&user);
        if caching {
            self.watch(U::META.table);
            self.insert(id, Arc::clone(&user), digest_name, user_digest.clone());
        }
        Ok(Some((user, user_digest)))
    }

    fn fresh<U: AuthUser>(
        &self,
        id: Uuid,
        digest_name: &'static str,
        digest: fn(&U) -> String,
    ) -> Option<(Arc<U>, String)> {
        let (user, cached_digest) = self.shared.users.read(&id, |entry| {
            let same_digest = entry.digest_name == digest_name;
            (
                Arc::clone(&entry.user),
                same_digest.then(|| entry.digest.clone()),
            )
        })?;
        // An entry of another user model fails the downcast and counts as a miss.
        let user = user.downcast::<U>().ok()?;
        // Loaded for another authenticator: its digest is not this one.
        let user_digest = cached_digest.unwrap_or_else(|| digest(&user));
        Some((user, user_digest))
    }

    fn insert<U: AuthUser>(
        &self,
        id: Uuid,
        user: Arc<U>,
        digest_name: &'static str,
        digest: String,
    ) {
        let entry = Entry {
            user,
            digest_name,
            digest,
        };
        self.shared.users.insert(id, entry);
    }

    /// Starts listening to the ORM's writes to `table`, once per table.
    fn watch(&self, table: &'static str) {
        watch(&self.shared, &self.shared.users, table);
    }
}

impl ChangeListener for Shared {
    fn changed(&self, _table: &str, change: Change<'_>) {
        match change {
            Change::Row(aksara::Value::Uuid(id)) => self.users.remove(id),
            _ => self.users.clear(),
        }
    }
}

impl Default for UserCache {
    /// One second.
    fn default() -> Self {
        Self::new(Duration::from_secs(1))
    }
}

impl fmt::Debug for UserCache {
    /// The time to live and the number of entries, never a user.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCache")
            .field("ttl", &self.shared.users.ttl())
            .field("len", &self.len())
            .finish()
    }
}
