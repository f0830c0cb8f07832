//! Write notifications, so that a cache of model rows in this process can drop
//! what a write made stale — the part of Django's `post_save`/`post_delete`
//! signals that caches need, and nothing more.
//!
//! [`ModelInstance::save`](crate::ModelInstance::save) and
//! [`delete`](crate::ModelInstance::delete) report the row they wrote;
//! [`QuerySet::update`](crate::QuerySet::update) and
//! [`QuerySet::delete`](crate::QuerySet::delete) report that row when the
//! filter is one primary-key equality, and the whole table otherwise. Only
//! writes made through the ORM in this process are seen: raw SQL and other
//! processes are not, which is why a cache that listens still needs a bound on
//! the age of what it serves.
//!
//! Listeners are held weakly: a cache that is dropped stops listening without
//! unsubscribing. The registry is process-wide (writes do not know which cache
//! holds their rows), but it holds no data, only who to tell.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock, Weak};

use crate::Value;

/// What a write changed in a table.
///
/// ```
/// use aksara::{Value, changes::Change};
///
/// let key = Value::I64(7);
/// let change = Change::Row(&key);
/// assert!(matches!(change, Change::Row(Value::I64(7))));
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Change<'a> {
    /// The row with this primary key was written or deleted.
    Row(&'a Value),
    /// Any rows may have changed (an `update` or `delete` by another condition).
    Rows,
}

/// Receives the writes made through the ORM to the tables it listens to.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use aksara::changes::{Change, ChangeListener, listen_for_changes};
///
/// #[derive(Default)]
/// struct Log(Mutex<Vec<String>>);
///
/// impl ChangeListener for Log {
///     fn changed(&self, table: &str, change: Change<'_>) {
///         self.0.lock().unwrap().push(format!("{table}: {change:?}"));
///     }
/// }
///
/// let log = Arc::new(Log::default());
/// let weak = Arc::downgrade(&log);
/// listen_for_changes("tags", weak);
/// ```
pub trait ChangeListener: Send + Sync {
    /// Called after a write to `table` succeeded (inside a transaction: when the
    /// statement ran, before the commit).
    fn changed(&self, table: &str, change: Change<'_>);
}

type Listeners = Vec<(&'static str, Weak<dyn ChangeListener>)>;

static LISTENERS: RwLock<Listeners> = RwLock::new(Vec::new());
/// How many listeners are registered, so writes skip the lock when there are none.
static LISTENER_COUNT: AtomicUsize = AtomicUsize::new(0);

/// Tells `listener` about every ORM write to `table` in this process, until the
/// listener is dropped. See the [module documentation](self).
///
/// ```
/// use std::sync::Arc;
/// use aksara::changes::{Change, ChangeListener, listen_for_changes};
///
/// struct Forget;
/// impl ChangeListener for Forget {
///     fn changed(&self, _table: &str, _change: Change<'_>) {}
/// }
///
/// let listener: Arc<dyn ChangeListener> = Arc::new(Forget);
/// listen_for_changes("users", Arc::downgrade(&listener));
/// ```
pub fn listen_for_changes(table: &'static str, listener: Weak<dyn ChangeListener>) {
    let mut listeners = LISTENERS.write().unwrap_or_else(PoisonError::into_inner);
    listeners.retain(|(_, listener)| listener.strong_count() > 0);
    listeners.push((table, listener));
    LISTENER_COUNT.store(listeners.len(), Ordering::Release);
}

/// Reports a write to the listeners of `table`.
pub(crate) fn notify(table: &str, change: Change<'_>) {
    if LISTENER_COUNT.load(Ordering::Acquire) == 0 {
        return;
    }
    let listeners = LISTENERS.read().unwrap_or_else(PoisonError::into_inner);
    for (_, listener) in listeners
        .iter()
        .filter(|(listening, _)| *listening == table)
    {
        if let Some(listener) = listener.upgrade() {
            listener.changed(table, change);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);

    impl ChangeListener for Seen {
        fn changed(&self, table: &str, change: Change<'_>) {
            self.0.lock().unwrap().push(format!("{table} {change:?}"));
        }
    }

    #[test]
    fn listeners_hear_their_table_until_dropped() {
        let seen = Arc::new(Seen::default());
        let as_listener: Arc<dyn ChangeListener> = seen.clone();
        listen_for_changes("changes_test_a", Arc::downgrade(&as_listener));
        notify("changes_test_a", Change::Row(&Value::I64(1)));
        notify("changes_test_b", Change::Rows);
        notify("changes_test_a", Change::Rows);
        assert_eq!(
            *seen.0.lock().unwrap(),
            ["changes_test_a Row(I64(1))", "changes_test_a Rows"]
        );
        drop(as_listener);
        drop(seen);
        // A dropped listener is skipped, then pruned at the next registration.
        notify("changes_test_a", Change::Rows);
        let other: Arc<dyn ChangeListener> = Arc::new(Seen::default());
        listen_for_changes("changes_test_c", Arc::downgrade(&other));
        let listeners = LISTENERS.read().unwrap();
        assert!(
            listeners
                .iter()
                .all(|(table, listener)| *table != "changes_test_a" || listener.strong_count() > 0)
        );
    }
}
