//! [`TimedMap`]: the one in-process cache shape the authenticators use (the
//! [`UserCache`](crate::UserCache), the token authenticator's rows): entries
//! served for at most a time to live, a bounded size, and a listener on the
//! ORM's writes to the cached table so that a write in this process applies at
//! once. What another process writes applies within the time to live.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use aksara::changes::{ChangeListener, listen_for_changes};

/// At most this many entries per map; a full map drops its expired entries,
/// then all of them.
const CAPACITY: usize = 10_000;

/// Entries kept for at most `ttl` each. A zero `ttl` keeps nothing.
pub(crate) struct TimedMap<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
    /// The tables this map listens to for writes.
    watched: Mutex<Vec<&'static str>>,
}

impl<K: Hash + Eq, V> TimedMap<K, V> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::default(),
            watched: Mutex::default(),
        }
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    pub(crate) fn is_enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `read` of the entry under `key` if it is younger than the time to live.
    pub(crate) fn read<Q, R>(&self, key: &Q, read: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.entries();
        let (loaded, value) = entries.get(key)?;
        (loaded.elapsed() < self.ttl).then(|| read(value))
    }

    pub(crate) fn insert(&self, key: K, value: V) {
        if !self.is_enabled() {
            return;
        }
        let ttl = self.ttl;
        let mut entries = self.entries();
        if entries.len() >= CAPACITY {
            entries.retain(|_, (loaded, _)| loaded.elapsed() < ttl);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }

    pub(crate) fn remove(&self, key: &K) {
        self.entries().remove(key);
    }

    /// Keeps the entries `keep` says yes to.
    pub(crate) fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.entries().retain(|key, (_, value)| keep(key, value));
    }

    pub(crate) fn clear(&self) {
        self.entries().clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.entries().len()
    }
}

/// Starts telling `owner` (which holds `map`) about the ORM's writes to
/// `table`, once per table and map. The registry holds `owner` weakly: when the
/// last clone of the cache goes, so does the listening.
pub(crate) fn watch<K, V, T: ChangeListener + 'static>(
    owner: &Arc<T>,
    map: &TimedMap<K, V>,
    table: &'static str,
) {
    let mut watched = map.watched.lock().unwrap_or_else(PoisonError::into_inner);
    if watched.contains(&table) {
        return;
    }
    watched.push(table);
    let listener: Arc<dyn ChangeListener> = owner.clone();
    listen_for_changes(table, Arc::downgrade(&listener));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_a_zero_ttl_keeps_nothing() {
        let map = TimedMap::new(Duration::from_millis(30));
        map.insert(1, "one");
        assert_eq!(map.read(&1, |v| *v), Some("one"));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(map.read(&1, |v| *v), None);
        let off = TimedMap::new(Duration::ZERO);
        off.insert(1, "one");
        assert_eq!(off.len(), 0);
    }

    #[test]
    fn a_full_map_drops_expired_entries_then_all() {
        let map = TimedMap::new(Duration::from_secs(60));
        for key in 0..CAPACITY {
            map.insert(key, ());
        }
        map.insert(CAPACITY, ());
        assert_eq!(map.len(), 1, "nothing had expired, so all went");
    }
}
