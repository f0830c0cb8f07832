//! [`ThrottleStore`]: where fixed-window counters live, and the three stores.
//!
//! | store | shared by | counts | memory |
//! |---|---|---|---|
//! | [`MemoryThrottleStore`] | one process | a mutex-guarded map | capped (`memory_max_entries`) |
//! | [`DbThrottleStore`] | every instance on the database | one atomic upsert per hit (`auth_throttle`) | the table; purge expired rows |
//! | `RedisThrottleStore` (feature `redis`) | every instance on the Redis | `INCR` + `PEXPIRE` in one script | Redis expires the keys |

mod db;
mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use db::{DbThrottleStore, ThrottleCounter};
pub use memory::MemoryThrottleStore;
#[cfg(feature = "redis")]
pub use redis::RedisThrottleStore;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::ThrottleError;

/// The future a [`ThrottleStore`] method returns (boxed, so the trait is object safe).
///
/// ```
/// use aksara_auth::throttle::ThrottleFuture;
/// fn nothing<'a>() -> ThrottleFuture<'a, ()> {
///     Box::pin(async { Ok(()) })
/// }
/// ```
pub type ThrottleFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ThrottleError>> + Send + 'a>>;

/// What a counter holds: hits in the current window, and how long until it ends.
///
/// ```
/// use std::time::Duration;
/// let window = aksara_auth::throttle::Window { count: 3, remaining: Duration::from_secs(20) };
/// assert_eq!(window.count, 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Hits counted in the window, this one included.
    pub count: u64,
    /// Until the window ends and the count starts again from zero.
    pub remaining: Duration,
}

/// A counter's name as stores keep it: the SHA-256 of the scope and the value
/// (an email, an address), so no store and no log holds an address in clear, and
/// every key has the same small size whatever the client sent.
///
/// ```
/// use aksara_auth::throttle::ThrottleKey;
/// let key = ThrottleKey::new("login_account", "jane@example.com");
/// assert_eq!(key.to_hex().len(), 64);
/// assert_eq!(key.short().len(), 8);
/// assert_ne!(key, ThrottleKey::new("login_ip", "jane@example.com"));
/// assert!(!format!("{key:?}").contains("jane"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ThrottleKey([u8; 32]);

impl ThrottleKey {
    /// The key of `value` in `scope`.
    ///
    /// ```
    /// let key = aksara_auth::throttle::ThrottleKey::new("api", "client-7");
    /// # let _ = key;
    /// ```
    #[must_use]
    pub fn new(scope: &str, value: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(scope.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        Self(hasher.finalize().into())
    }

    /// The digest in lower-case hex (64 characters), as the database and Redis
    /// stores name the counter.
    ///
    /// ```
    /// let key = aksara_auth::throttle::ThrottleKey::new("api", "client-7");
    /// assert!(key.to_hex().bytes().all(|b| b.is_ascii_hexdigit()));
    /// ```
    #[must_use]
    pub fn to_hex(&self) -> String {
        use std::fmt::Write as _;
        self.0
            .iter()
            .fold(String::with_capacity(64), |mut hex, byte| {
                let _ = write!(hex, "{byte:02x}");
                hex
            })
    }

    /// The first 8 hex digits, for logs: enough to follow one counter, too few
    /// to find the address behind it.
    ///
    /// ```
    /// let key = aksara_auth::throttle::ThrottleKey::new("api", "client-7");
    /// assert!(key.to_hex().starts_with(&key.short()));
    /// ```
    #[must_use]
    pub fn short(&self) -> String {
        let mut hex = self.to_hex();
        hex.truncate(8);
        hex
    }
}

impl fmt::Debug for ThrottleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ThrottleKey({}…)", self.short())
    }
}

/// Where fixed-window counters live. A window starts at a key's first hit and
/// lasts `per`; hits in it are counted; after it the next hit starts a new one.
/// Implementations must count atomically: `n` concurrent hits leave `n`, seen
/// as `1..=n` by the callers, across every process that shares the store.
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::throttle::{MemoryThrottleStore, ThrottleKey, ThrottleStore};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), aksara_auth::throttle::ThrottleError> {
/// let store = MemoryThrottleStore::new(1000);
/// let key = ThrottleKey::new("demo", "x");
/// assert_eq!(store.hit(&key, Duration::from_secs(60)).await?.count, 1);
/// assert_eq!(store.hit(&key, Duration::from_secs(60)).await?.count, 2);
/// assert_eq!(store.peek(&key).await?.map(|w| w.count), Some(2));
/// store.reset(&key).await?;
/// assert_eq!(store.peek(&key).await?, None);
/// # Ok(()) }
/// ```
pub trait ThrottleStore: Send + Sync + 'static {
    /// Counts one hit on `key`, starting a window of `per` when none is running;
    /// the window after the hit.
    ///
    /// # Errors
    /// [`ThrottleError::Store`] when the store cannot be reached.
    fn hit<'a>(&'a self, key: &'a ThrottleKey, per: Duration) -> ThrottleFuture<'a, Window>;

    /// The running window of `key` without counting; `None` when there is none.
    ///
    /// # Errors
    /// [`ThrottleError::Store`] when the store cannot be reached.
    fn peek<'a>(&'a self, key: &'a ThrottleKey) -> ThrottleFuture<'a, Option<Window>>;

    /// Ends the window of `key` (a successful login clears its failures).
    ///
    /// # Errors
    /// [`ThrottleError::Store`] when the store cannot be reached.
    fn reset<'a>(&'a self, key: &'a ThrottleKey) -> ThrottleFuture<'a, ()>;
}

/// A shared store: one [`MemoryThrottleStore`] behind several throttles, or a
/// store the app also inspects.
///
/// ```
/// use std::sync::Arc;
/// use aksara_auth::Throttle;
/// use aksara_auth::throttle::{MemoryThrottleStore, ThrottleSettings};
/// let store = Arc::new(MemoryThrottleStore::new(1000));
/// let throttle = Throttle::new(Arc::clone(&store), ThrottleSettings::default());
/// assert!(store.is_empty());
/// ```
impl<T: ThrottleStore + ?Sized> ThrottleStore for std::sync::Arc<T> {
    fn hit<'a>(&'a self, key: &'a ThrottleKey, per: Duration) -> ThrottleFuture<'a, Window> {
        (**self).hit(key, per)
    }

    fn peek<'a>(&'a self, key: &'a ThrottleKey) -> ThrottleFuture<'a, Option<Window>> {
        (**self).peek(key)
    }

    fn reset<'a>(&'a self, key: &'a ThrottleKey) -> ThrottleFuture<'a, ()> {
        (**self).reset(key)
    }
}
