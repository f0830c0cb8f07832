//! [`MemoryThrottleStore`]: counters in this process, with a hard cap on keys.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{ThrottleFuture, ThrottleKey, ThrottleStore, Window};

#[derive(Debug, Clone, Copy)]
struct Entry {
    count: u64,
    ends: Instant,
}

impl Entry {
    fn window(self, now: Instant) -> Window {
        Window {
            count: self.count,
            remaining: self.ends.saturating_duration_since(now),
        }
    }
}

/// Counters in a map in this process: right for an app served by one process.
/// Several processes each count alone (an attacker spreading over them gets each
/// one's limit): use [`DbThrottleStore`](super::DbThrottleStore) or
/// `RedisThrottleStore` there.
///
/// Memory is bounded under a flood of distinct keys (an attacker trying a new
/// email or address each time): the map holds at most `max_entries` keys, about
/// 80 bytes each (100,000 by default: about 8 MB). When a new key finds it full,
/// expired windows are dropped first; if it is still full, the eighth of the
/// keys with the fewest hits (then the oldest) go, so counters that reached
/// their limit, which are the ones that refuse, are the last to be forgotten.
/// Each eviction scans the map once, which a full map pays once every
/// `max_entries / 8` new keys.
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::throttle::{MemoryThrottleStore, ThrottleKey, ThrottleStore};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), aksara_auth::throttle::ThrottleError> {
/// let store = MemoryThrottleStore::new(100);
/// for n in 0..1000 {
///     store.hit(&ThrottleKey::new("flood", &n.to_string()), Duration::from_secs(60)).await?;
/// }
/// assert!(store.len() <= 100);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MemoryThrottleStore {
    entries: Mutex<HashMap<ThrottleKey, Entry>>,
    max_entries: usize,
}

impl MemoryThrottleStore {
    /// A store holding at most `max_entries` keys (at least 1).
    ///
    /// ```
    /// let store = aksara_auth::throttle::MemoryThrottleStore::new(10_000);
    /// assert!(store.is_empty());
    /// ```
    #[must_use]
    pub fn new(max_entries: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            max_entries: max_entries.max(1),
        }
    }

    /// How many keys are held now (expired ones included until pruned).
    ///
    /// ```
    /// assert_eq!(aksara_auth::throttle::MemoryThrottleStore::new(5).len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no key is held.
    ///
    /// ```
    /// assert!(aksara_auth::throttle::MemoryThrottleStore::new(5).is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ThrottleKey, Entry>> {
        // A panic elsewhere while holding the lock leaves whole entries only.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self, key: &ThrottleKey, per: Duration) -> Window {
        let now = Instant::now();
        let mut entries = self.lock();
        if let Some(entry) = entries.get_mut(key) {
            if entry.ends > now {
                entry.count += 1;
            } else {
                *entry = Entry {
                    count: 1,
                    ends: now + per,
                };
            }
            return entry.window(now);
        }
        if entries.len() >= self.max_entries {
            make_room(&mut entries, self.max_entries, now);
        }
        let entry = Entry {
            count: 1,
            ends: now + per,
        };
        entries.insert(*key, entry);
        entry.window(now)
    }
}

/// Drops expired windows, then, if the map is still full, the eighth of the
/// keys with the fewest hits (oldest first among equals).
fn make_room(entries: &mut HashMap<ThrottleKey, Entry>, max_entries: usize, now: Instant) {
    entries.retain(|_, entry| entry.ends > now);
    if entries.len() < max_entries {
        return;
    }
    let evict = (max_entries / 8).max(1);
    let mut ranked: Vec<(u64, Instant, ThrottleKey)> = entries
        .iter()
        .map(|(key, entry)| (entry.count, entry.ends, *key))
        .collect();
    ranked.select_nth_unstable_by_key(evict - 1, |(count, ends, _)| (*count, *ends));
    for (_, _, key) in &ranked[..evict] {
        entries.remove(key);
    }
    tracing::warn!(
        target: "aksara_auth::throttle",
        evicted = evict,
        max_entries,
        "the memory throttle store is full of live counters; the least-hit were dropped (a flood of distinct keys?)"
    );
}

impl ThrottleStore for MemoryThrottleStore {
    fn hit<'a>(&'a self, key: &'a ThrottleKey, per: Duration) -> ThrottleFuture<'a, Window> {
        let window = self.count(key, per);
        Box::pin(async move { Ok(window) })
    }

    fn peek<'a>(&'a self, key: &'a ThrottleKey) -> ThrottleFuture<'a, Option<Window>> {
        let now = Instant::now();
        let window = self
            .lock()
            .get(key)
            .filter(|entry| entry.ends > now)
            .map(|entry| entry.window(now));
        Box::pin(async move { Ok(window) })
    }

    fn reset<'a>(&'a self, key: &'a ThrottleKey) -> ThrottleFuture<'a, ()> {
        self.lock().remove(key);
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_forgets_the_least_hit_keys_first() {
        let store = MemoryThrottleStore::new(16);
        let minute = Duration::from_secs(60);
        let locked = ThrottleKey::new("t", "locked");
        for _ in 0..5 {
            store.count(&locked, minute);
        }
        for n in 0..1000 {
            store.count(&ThrottleKey::new("t", &n.to_string()), minute);
            assert!(store.len() <= 16);
        }
        assert_eq!(
            store.count(&locked, minute).count,
            6,
            "the hot key survived"
        );
    }

    #[test]
    fn expired_windows_go_before_live_ones() {
        let store = MemoryThrottleStore::new(4);
        for n in 0..4 {
            store.count(&ThrottleKey::new("t", &n.to_string()), Duration::ZERO);
        }
        let live = ThrottleKey::new("t", "live");
        store.count(&live, Duration::from_secs(60));
        assert_eq!(store.len(), 1, "the four expired windows were pruned");
    }
}
