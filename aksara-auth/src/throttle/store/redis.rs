//! [`RedisThrottleStore`]: counters in Redis (feature `redis`), shared by every
//! instance of the app.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{ThrottleFuture, ThrottleKey, ThrottleStore, Window};
use crate::throttle::ThrottleError;

/// KEYS[1] = the counter; ARGV[1] = the window in ms. `INCR`, and `PEXPIRE` when
/// the hit starts the window, in one script so no counter is left without an
/// expiry between the two; returns the count and the ms left.
static HIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if count == 1 or left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
",
    )
});

/// KEYS[1] = the counter: its count and the ms left, or `{0, -2}` when it has none.
static PEEK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local count = redis.call('GET', KEYS[1])
if not count then return {0, -2} end
return {tonumber(count), redis.call('PTTL', KEYS[1])}
",
    )
});

/// Counters in Redis (or Valkey): one integer key per counter, named
/// `<prefix><digest>`, expired by Redis itself at the end of its window, so
/// there is nothing to purge and the windows follow Redis's clock alone. Every
/// instance of the app on the same Redis shares each limit. Needs the `redis`
/// feature of `aksara-auth`.
///
/// The connection is made on first use and remade after a failure (2 s
/// timeouts). While Redis is unreachable the throttle lets requests through and
/// logs an error (see [`Throttle`](crate::throttle::Throttle)).
///
/// ```no_run
/// use aksara_auth::throttle::{RedisThrottleStore, Throttle, ThrottleSettings};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), aksara_auth::throttle::ThrottleError> {
/// let store = RedisThrottleStore::new("redis://127.0.0.1:6379")?.key_prefix("shop:throttle:");
/// let throttle = Throttle::new(store, ThrottleSettings::default());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisThrottleStore {
    connection: ConnectionManager,
    prefix: Arc<str>,
}

impl std::fmt::Debug for RedisThrottleStore {
    // The connection holds the URL, which may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisThrottleStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisThrottleStore {
    /// A store for the Redis at `url`, keys prefixed `aksara:throttle:`. Must be
    /// called inside a Tokio runtime. Connects lazily: an unreachable server is
    /// reported (and logged) by the first hit, not here.
    ///
    /// # Errors
    /// [`ThrottleError::Store`] for a malformed URL or outside a Tokio runtime.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), aksara_auth::throttle::ThrottleError> {
    /// let store = aksara_auth::throttle::RedisThrottleStore::new("redis://127.0.0.1:6379")?;
    /// # Ok(()) }
    /// ```
    pub fn new(url: &str) -> Result<Self, ThrottleError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ThrottleError::store(
                "RedisThrottleStore::new must be called inside a Tokio runtime (in `async` code under #[tokio::main])",
            ));
        }
        let client = redis::Client::open(url).map_err(ThrottleError::store)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(ThrottleError::store)?;
        Ok(Self {
            connection,
            prefix: Arc::from("aksara:throttle:"),
        })
    }

    /// Prefixes every key with `prefix` (default `aksara:throttle:`), to share a
    /// Redis between apps.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), aksara_auth::throttle::ThrottleError> {
    /// let store = aksara_auth::throttle::RedisThrottleStore::new("redis://127.0.0.1")?.key_prefix("shop:t:");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Arc::from(prefix.into());
        self
    }

    fn name(&self, key: &ThrottleKey) -> String {
        format!("{}{}", self.prefix, key.to_hex())
    }
}

fn window((count, left): (i64, i64)) -> Window {
    Window {
        count: u64::try_from(count).unwrap_or(0),
        remaining: Duration::from_millis(u64::try_from(left).unwrap_or(0)),
    }
}

impl ThrottleStore for RedisThrottleStore {
    fn hit<'a>(&'a self, key: &'a ThrottleKey, per: Duration) -> ThrottleFuture<'a, Window> {
        Box::pin(async move {
            let millis = u64::try_from(per.as_millis()).unwrap_or(u64::MAX).max(1);
            let mut invocation = HIT.key(self.name(key));
            invocation.arg(millis);
            let mut connection = self.connection.clone();
            let reply: (i64, i64) = invocation
                .invoke_async(&mut connection)
                .await
                .map_err(ThrottleError::store)?;
            Ok(window(reply))
        })
    }

    fn peek<'a>(&'a self, key: &'a ThrottleKey) -> ThrottleFuture<'a, Option<Window>> {
        Box::pin(async move {
            let invocation = PEEK.key(self.name(key));
            let mut connection = self.connection.clone();
            let reply: (i64, i64) = invocation
                .invoke_async(&mut connection)
                .await
                .map_err(ThrottleError::store)?;
            // -2: no such key; -1: a key without expiry, which only a hand-made
            // key can be: not a window of ours.
            Ok((reply.1 > 0).then(|| window(reply)))
        })
    }

    fn reset<'a>(&'a self, key: &'a ThrottleKey) -> ThrottleFuture<'a, ()> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let _: i64 = redis::cmd("DEL")
                .arg(self.name(key))
                .query_async(&mut connection)
                .await
                .map_err(ThrottleError::store)?;
            Ok(())
        })
    }
}
