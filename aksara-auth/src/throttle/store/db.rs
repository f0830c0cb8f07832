//! [`DbThrottleStore`]: counters in the `auth_throttle` table, shared by every
//! instance of the app on the database.

use std::time::Duration;

use aksara::{Db, Executor};
use chrono::{DateTime, Utc};

use super::{ThrottleFuture, ThrottleKey, ThrottleStore, Window};
use crate::throttle::ThrottleError;

/// One counter: a row of `auth_throttle`, which `db.migrate()` creates. It is
/// named by the [`ThrottleKey`]'s digest, never by the email or address itself.
///
/// ```
/// use aksara_auth::throttle::ThrottleCounter;
/// assert_eq!(<ThrottleCounter as aksara::Model>::META.table, "auth_throttle");
/// ```
#[derive(aksara::Model, Debug, Clone)]
#[model(table = "auth_throttle")]
pub struct ThrottleCounter {
    /// The row's id.
    #[field(primary_key)]
    pub id: i64,
    /// [`ThrottleKey::to_hex`]: which counter this is.
    #[field(unique, max_length = 64)]
    pub digest: String,
    /// Hits in the current window.
    pub hits: i64,
    /// When the window began (its first hit).
    pub window_start: DateTime<Utc>,
    /// When the window ends; expired rows are reset by the next hit or purged.
    #[field(index)]
    pub expires_at: DateTime<Utc>,
}

/// Counters in the database: every instance of the app on the same database
/// shares each limit. A hit is one atomic upsert
/// ([`QuerySet::increment_or_create`](aksara::QuerySet::increment_or_create)),
/// so concurrent hits from any number of processes are all counted.
///
/// Windows are timed by the clocks of the app's machines (a hit's `now`): keep
/// them synchronised (NTP); a skew of a second moves a window's end by as much.
/// Rows of windows that ended stay until the key is hit again or
/// [`purge_expired`](Self::purge_expired) deletes them: run
/// [`spawn_purge_task`](Self::spawn_purge_task) or a job of your own.
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::throttle::{DbThrottleStore, ThrottleKey, ThrottleStore};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = aksara::Db::connect("sqlite::memory:").await?;
/// db.migrate().await?; // creates auth_throttle with the other tables
/// let store = DbThrottleStore::new(db.clone());
/// let key = ThrottleKey::new("login_account", "jane@example.com");
/// assert_eq!(store.hit(&key, Duration::from_secs(60)).await?.count, 1);
/// assert_eq!(store.hit(&key, Duration::from_secs(60)).await?.count, 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DbThrottleStore {
    db: Db,
}

impl DbThrottleStore {
    /// Counters in `db`'s `auth_throttle` table.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let store = aksara_auth::throttle::DbThrottleStore::new(db);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Deletes the rows of windows that have ended; returns how many.
    ///
    /// # Errors
    /// A database error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// assert_eq!(aksara_auth::throttle::DbThrottleStore::purge_expired(&db).await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn purge_expired(db: &(impl Executor + ?Sized)) -> aksara::Result<u64> {
        ThrottleCounter::objects()
            .filter(ThrottleCounter::EXPIRES_AT.lte(Utc::now()))
            .delete(db)
            .await
    }

    /// Runs [`purge_expired`](Self::purge_expired) every `every` (at least a
    /// second) until the handle is aborted; failures are logged and retried at
    /// the next tick.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let purge = aksara_auth::throttle::DbThrottleStore::spawn_purge_task(db, std::time::Duration::from_secs(600));
    /// // … serve the app …
    /// purge.abort();
    /// # Ok(()) }
    /// ```
    #[must_use = "dropping the handle keeps the task running; keep it to stop the task"]
    pub fn spawn_purge_task(db: Db, every: Duration) -> tokio::task::JoinHandle<()> {
        let period = every.max(Duration::from_secs(1));
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match Self::purge_expired(&db).await {
                    Ok(purged) => {
                        tracing::debug!(target: "aksara_auth::throttle", purged, "expired throttle counters purged");
                    }
                    Err(error) => {
                        tracing::warn!(target: "aksara_auth::throttle", %error, "purging expired throttle counters failed");
                    }
                }
            }
        })
    }
}

fn window(counter: &ThrottleCounter, now: DateTime<Utc>) -> Window {
    Window {
        count: u64::try_from(counter.hits).unwrap_or(0),
        remaining: (counter.expires_at - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    }
}

impl ThrottleStore for DbThrottleStore {
    fn hit<'a>(&'a self, key: &'a ThrottleKey, per: Duration) -> ThrottleFuture<'a, Window> {
        Box::pin(async move {
            let now = Utc::now();
            // Windows come from settings, at most a century: always in chrono's range.
            let per = chrono::Duration::from_std(per).unwrap_or(chrono::Duration::days(36_525));
            let counter = ThrottleCounter::objects()
                .increment_or_create(
                    &self.db,
                    ThrottleCounter::DIGEST.eq(key.to_hex()),
                    ThrottleCounter::HITS,
                    ThrottleCounter::EXPIRES_AT.lte(now),
                    |new| new.window_start(now).expires_at(now + per),
                )
                .await
                .map_err(ThrottleError::store)?;
            Ok(window(&counter, now))
        })
    }

    fn peek<'a>(&'a self, key: &'a ThrottleKey) -> ThrottleFuture<'a, Option<Window>> {
        Box::pin(async move {
            let now = Utc::now();
            let counter = ThrottleCounter::objects()
                .filter(ThrottleCounter::DIGEST.eq(key.to_hex()))
                .filter(ThrottleCounter::EXPIRES_AT.gt(now))
                .first(&self.db)
                .await
                .map_err(ThrottleError::store)?;
            Ok(counter.map(|counter| window(&counter, now)))
        })
    }

    fn reset<'a>(&'a self, key: &'a ThrottleKey) -> ThrottleFuture<'a, ()> {
        Box::pin(async move {
            ThrottleCounter::objects()
                .filter(ThrottleCounter::DIGEST.eq(key.to_hex()))
                .delete(&self.db)
                .await
                .map_err(ThrottleError::store)?;
            Ok(())
        })
    }
}
