//! What a request does to its session: [`Config::open`] loads the one its cookie
//! names, [`Config::plan`] decides from what the handler did what the store and
//! the cookie must do (a pure decision, unit-tested below), and
//! [`Config::execute`] carries the [`Plan`] out.

use std::sync::{Arc, Once};

use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use http::{HeaderMap, HeaderValue, header};

use super::cookie::{CookieRead, CookieSettings};
use super::error::SessionStoreError;
use super::handle::{Loaded, Session, State};
use super::id::SessionId;
use super::store::{SessionRecord, SessionStore, SessionUpdate};

/// The settings of a [`SessionLayer`](super::SessionLayer), shared by its services.
#[derive(Clone)]
pub(super) struct Config {
    pub(super) store: Arc<dyn SessionStore>,
    pub(super) cookie: CookieSettings,
    pub(super) idle_timeout: Option<Duration>,
    pub(super) absolute_lifetime: Duration,
    pub(super) touch_interval: Option<Duration>,
    /// Set while no secret was given; the warning is logged once.
    pub(super) random_key_warning: Option<Arc<Once>>,
}

impl Config {
    pub(super) fn idle_timeout(&self) -> Duration {
        self.idle_timeout
            .or(self.cookie.max_age)
            .unwrap_or(Duration::weeks(2))
    }

    pub(super) fn touch_interval(&self) -> Duration {
        self.touch_interval
            .unwrap_or_else(|| self.idle_timeout() / 10)
    }

    /// The earlier of the idle and the absolute deadline, from `now`.
    fn expires_at(&self, created_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        after(now, self.idle_timeout()).min(after(created_at, self.absolute_lifetime))
    }

    /// Loads the session a cookie names; any cookie that does not lead to a live
    /// session gives an anonymous one.
    pub(super) async fn open(&self, read: CookieRead) -> Result<Session, SessionStoreError> {
        let id = match read {
            CookieRead::Absent => return Ok(Session::fresh()),
            CookieRead::Invalid => {
                tracing::debug!(target: "aksara_auth::session", "session cookie does not verify; anonymous");
                return Ok(stale());
            }
            CookieRead::Valid(id) => id,
        };
        let record = match self.store.load(id.key()).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                tracing::debug!(target: "aksara_auth::session", "unknown session; anonymous");
                return Ok(stale());
            }
            Err(SessionStoreError::Corrupt(message)) => {
                tracing::warn!(target: "aksara_auth::session", %message, "unreadable session; anonymous");
                return Ok(stale());
            }
            Err(err) => return Err(err),
        };
        let now = Utc::now();
        let idle_end = after(record.last_seen, self.idle_timeout());
        let absolute_end = after(record.created_at, self.absolute_lifetime);
        if now >= idle_end || now >= absolute_end || now >= record.expires_at {
            tracing::debug!(target: "aksara_auth::session", "expired session; anonymous");
            return Ok(stale());
        }
        Ok(Session::from_state(State {
            loaded: Some(Loaded {
                id: id.clone(),
                created_at: record.created_at,
                last_seen: record.last_seen,
            }),
            current: Some(id),
            data: record.data,
            ..State::default()
        }))
    }

    /// Decides what the end of the request does to the store, and adds
    /// `Vary: Cookie` when the request looked at the session.
    pub(super) fn finish(&self, session: &Session, headers: &mut HeaderMap) -> Plan {
        let (plan, accessed) = {
            let mut state = session.lock();
            (self.plan(&mut state), state.accessed)
        };
        if accessed {
            vary_on_cookie(headers);
        }
        plan
    }

    /// Carries out `plan` and sets (or expires) the response's cookie.
    pub(super) async fn execute(
        &self,
        plan: Plan,
        headers: &mut HeaderMap,
    ) -> Result<(), SessionStoreError> {
        let store = &*self.store;
        let cookie = match plan {
            Plan::Nothing => return Ok(()),
            Plan::Remove { delete } => {
                if let Some(key) = delete {
                    store.delete(key.key()).await?;
                }
                Cookie::Remove
            }
            Plan::Create {
                delete,
                id,
                record,
                now,
            } => {
                if let Some(old) = delete {
                    store.delete(old.key()).await?;
                }
                store.create(id.key(), &record).await?;
                let ends_at = after(record.created_at, self.absolute_lifetime);
                Cookie::Set(id, now, ends_at)
            }
            Plan::Save { id, update, now } => {
                if store.save(id.key(), &update).await? {
                    Cookie::Set(id, now, after(update.created_at, self.absolute_lifetime))
                } else {
                    // Deleted meanwhile (a logout in another tab, a purge): do not
                    // bring it back with this request's writes.
                    tracing::debug!(target: "aksara_auth::session", "session vanished during the request; its writes are dropped");
                    Cookie::Remove
                }
            }
            Plan::Cycle {
                old,
                id,
                update,
                record,
                now,
            } => {
                let moved = store.cycle(old.key(), id.key()).await?;
                if !(moved && store.save(id.key(), &update).await?) {
                    // The old session vanished meanwhile: this request's view is the
                    // authoritative one for a privilege change, so store it afresh.
                    store.create(id.key(), &record).await?;
                }
                Cookie::Set(id, now, after(update.created_at, self.absolute_lifetime))
            }
        };
        let value = match cookie {
            Cookie::Set(id, now, ends_at) => self.cookie.set_cookie(&id, now, ends_at),
            Cookie::Remove => self.cookie.removal(),
        };
        if let Some(value) = value {
            headers.append(header::SET_COOKIE, value);
            // A shared cache must never keep a response that hands out (or
            // clears) someone's session cookie, whatever the handler said.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        Ok(())
    }

    /// The response, after carrying out `plan`; a 503 instead when the store fails.
    pub(super) async fn store(&self, plan: Plan, mut response: Response) -> Response {
        match self.execute(plan, response.headers_mut()).await {
            Ok(()) => response,
            Err(err) => err.into_response(),
        }
    }

    /// Reads the clock only when the plan needs the time: most requests change
    /// nothing.
    pub(super) fn plan(&self, state: &mut State) -> Plan {
        if state.loaded.is_none() && state.current.is_none() && !state.stale_cookie {
            // No cookie came and none goes out: the common anonymous request. (The
            // general case below gives the same answer after building more.)
            return Plan::Nothing;
        }
        let deleted = if state.flushed {
            state.loaded.take().map(|loaded| loaded.id)
        } else {
            None
        };
        let changes = std::mem::take(&mut state.changes);
        match (state.loaded.take(), state.current.clone()) {
            (_, None) => {
                if deleted.is_some() || state.stale_cookie {
                    Plan::Remove { delete: deleted }
                } else {
                    Plan::Nothing
                }
            }
            (Some(loaded), Some(id)) if loaded.id == id => {
                let now = Utc::now();
                if changes.is_empty() && now - loaded.last_seen < self.touch_interval() {
                    return Plan::Nothing;
                }
                let mut update = SessionUpdate::new(
                    loaded.created_at,
                    now,
                    self.expires_at(loaded.created_at, now),
                );
                update.changes = changes;
                Plan::Save { id, update, now }
            }
            (Some(loaded), Some(id)) => {
                let now = Utc::now();
                let mut update = SessionUpdate::new(now, now, self.expires_at(now, now));
                update.changes = changes;
                let mut record = SessionRecord::new(now, update.expires_at);
                record.data = state.data.clone();
                Plan::Cycle {
                    old: loaded.id,
                    id,
                    update,
                    record,
                    now,
                }
            }
            (None, Some(id)) => {
                if state.data.is_empty() {
                    if deleted.is_some() || state.stale_cookie {
                        return Plan::Remove { delete: deleted };
                    }
                    return Plan::Nothing;
                }
                let now = Utc::now();
                let mut record = SessionRecord::new(now, self.expires_at(now, now));
                record.data = state.data.clone();
                Plan::Create {
                    delete: deleted,
                    id,
                    record,
                    now,
                }
            }
        }
    }
}

/// Adds `Vary: Cookie`, so shared caches do not serve one user's page to another.
fn vary_on_cookie(headers: &mut HeaderMap) {
    let cookie = HeaderValue::from_static("Cookie");
    match headers.entry(header::VARY) {
        header::Entry::Vacant(vary) => {
            vary.insert(cookie);
        }
        header::Entry::Occupied(mut vary) => {
            let covered = vary.iter().any(|value| {
                value.to_str().is_ok_and(|text| {
                    text.split(',').any(|name| {
                        name.trim() == "*" || name.trim().eq_ignore_ascii_case("cookie")
                    })
                })
            });
            if !covered {
                vary.append(cookie);
            }
        }
    }
}

fn stale() -> Session {
    Session::from_state(State {
        stale_cookie: true,
        ..State::default()
    })
}

/// What the end of a request does to the store.
pub(super) enum Plan {
    Nothing,
    /// Expire the cookie, deleting the flushed session if any.
    Remove {
        delete: Option<SessionId>,
    },
    /// Store a new session (after deleting a flushed one).
    Create {
        delete: Option<SessionId>,
        id: SessionId,
        record: SessionRecord,
        now: DateTime<Utc>,
    },
    /// Merge changes into the loaded session, or just touch it.
    Save {
        id: SessionId,
        update: SessionUpdate,
        now: DateTime<Utc>,
    },
    /// Move the loaded session to a new id, then merge; `record` is the whole
    /// session, stored afresh if the old one vanished.
    Cycle {
        old: SessionId,
        id: SessionId,
        update: SessionUpdate,
        record: SessionRecord,
        now: DateTime<Utc>,
    },
}

enum Cookie {
    /// The id, the time now and the absolute deadline.
    Set(SessionId, DateTime<Utc>, DateTime<Utc>),
    Remove,
}

/// `at + duration`, saturating instead of panicking on a corrupt far-future time.
fn after(at: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    at.checked_add_signed(duration)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::MemoryStore;
    use crate::session::cookie::Signer;
    use crate::session::store::SessionChange;

    /// Idle timeout 2 weeks (the default), so the touch interval is 1.4 days.
    fn config() -> Config {
        Config {
            store: Arc::new(MemoryStore::new()),
            cookie: CookieSettings::new(Signer::random()),
            idle_timeout: None,
            absolute_lifetime: Duration::days(30),
            touch_interval: None,
            random_key_warning: None,
        }
    }

    fn loaded(id: &SessionId, last_seen_ago: Duration) -> Option<Loaded> {
        let now = Utc::now();
        Some(Loaded {
            id: id.clone(),
            created_at: now - Duration::days(3),
            last_seen: now - last_seen_ago,
        })
    }

    fn set(state: &mut State, key: &str) {
        let value = serde_json::json!(1);
        state.data.insert(key.into(), value.clone());
        state.changes.insert(key.into(), SessionChange::Set(value));
    }

    /// The plan's name and the ids it names (deleted or moved from, then stored).
    fn decide(mut state: State) -> (&'static str, Option<SessionId>, Option<SessionId>) {
        match config().plan(&mut state) {
            Plan::Nothing => ("nothing", None, None),
            Plan::Remove { delete } => ("remove", delete, None),
            Plan::Create { delete, id, .. } => ("create", delete, Some(id)),
            Plan::Save { id, update, .. } => {
                let name = if update.changes.is_empty() {
                    "touch"
                } else {
                    "save"
                };
                (name, None, Some(id))
            }
            Plan::Cycle { old, id, .. } => ("cycle", Some(old), Some(id)),
        }
    }

    #[test]
    fn an_anonymous_request_that_stores_nothing_does_nothing() {
        assert_eq!(decide(State::default()), ("nothing", None, None));
        let state = State {
            current: Some(SessionId::generate()),
            ..State::default()
        };
        assert_eq!(
            decide(state),
            ("nothing", None, None),
            "an id with no data is not stored"
        );
    }

    #[test]
    fn a_stale_cookie_is_expired_and_nothing_is_deleted() {
        let state = State {
            stale_cookie: true,
            ..State::default()
        };
        assert_eq!(decide(state), ("remove", None, None));
    }

    #[test]
    fn the_first_value_creates_a_session() {
        let id = SessionId::generate();
        let mut state = State {
            current: Some(id.clone()),
            ..State::default()
        };
        set(&mut state, "cart");
        assert_eq!(decide(state), ("create", None, Some(id)));
    }

    #[test]
    fn an_unchanged_session_is_touched_only_after_the_touch_interval() {
        let id = SessionId::generate();
        let recent = State {
            loaded: loaded(&id, Duration::hours(1)),
            current: Some(id.clone()),
            ..State::default()
        };
        assert_eq!(decide(recent), ("nothing", None, None));
        let old = State {
            loaded: loaded(&id, Duration::days(2)),
            current: Some(id.clone()),
            ..State::default()
        };
        assert_eq!(decide(old), ("touch", None, Some(id)));
    }

    #[test]
    fn a_change_is_saved_at_once() {
        let id = SessionId::generate();
        let mut state = State {
            loaded: loaded(&id, Duration::seconds(1)),
            current: Some(id.clone()),
            ..State::default()
        };
        set(&mut state, "theme");
        assert_eq!(decide(state), ("save", None, Some(id)));
    }

    #[test]
    fn a_new_id_for_a_loaded_session_cycles_it() {
        let (old, new) = (SessionId::generate(), SessionId::generate());
        let mut state = State {
            loaded: loaded(&old, Duration::seconds(1)),
            current: Some(new.clone()),
            ..State::default()
        };
        set(&mut state, "_auth_user_id");
        assert_eq!(decide(state), ("cycle", Some(old), Some(new)));
    }

    #[test]
    fn a_flushed_session_is_deleted_and_its_cookie_expired() {
        let id = SessionId::generate();
        let state = State {
            loaded: loaded(&id, Duration::seconds(1)),
            flushed: true,
            ..State::default()
        };
        assert_eq!(decide(state), ("remove", Some(id), None));
    }

    #[test]
    fn a_flushed_session_with_new_data_is_replaced_under_a_new_id() {
        let (old, new) = (SessionId::generate(), SessionId::generate());
        let mut state = State {
            loaded: loaded(&old, Duration::seconds(1)),
            current: Some(new.clone()),
            flushed: true,
            ..State::default()
        };
        set(&mut state, "cart");
        assert_eq!(decide(state), ("create", Some(old), Some(new)));
        let emptied = State {
            loaded: loaded(&SessionId::generate(), Duration::seconds(1)),
            current: Some(SessionId::generate()),
            flushed: true,
            ..State::default()
        };
        assert_eq!(
            decide(emptied).0,
            "remove",
            "a flushed session left empty is only deleted"
        );
    }

    fn vary_after(existing: &[&'static str]) -> Vec<String> {
        let mut headers = HeaderMap::new();
        for value in existing {
            headers.append(header::VARY, HeaderValue::from_static(value));
        }
        vary_on_cookie(&mut headers);
        headers
            .get_all(header::VARY)
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn vary_gains_cookie_once_and_keeps_what_was_there() {
        assert_eq!(vary_after(&[]), ["Cookie"]);
        assert_eq!(
            vary_after(&["Accept-Encoding"]),
            ["Accept-Encoding", "Cookie"]
        );
        assert_eq!(
            vary_after(&["Accept-Encoding, cookie"]),
            ["Accept-Encoding, cookie"]
        );
        assert_eq!(vary_after(&["Origin", "COOKIE"]), ["Origin", "COOKIE"]);
        assert_eq!(vary_after(&["*"]), ["*"]);
    }
}
