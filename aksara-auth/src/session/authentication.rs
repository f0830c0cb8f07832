//! [`SessionAuthentication`], the authenticator that reads the user that
//! [`login`](crate::login) put in the session.
//!
//! ## The user cache
//!
//! [`SessionAuthentication`] reuses each user it loaded for a short time, one
//! second by default, through the [`UserCache`] it owns: a write to the user
//! through the ORM in this process applies at once, a change made by another
//! process within that second (see [`UserCache`]).

use aksara::Db;
use axum::http::request::Parts;

use super::login::{USER_ID_KEY, session_user};
use crate::authentication::{Authentication, Authenticator, Outcome};
use crate::request::RequestAuth;
use crate::{AuthUser, UserCache};

/// Authenticates requests by the session cookie (after [`login`](crate::login)). Needs the
/// [`SessionLayer`](crate::SessionLayer) to run before the
/// [`AuthenticationLayer`](crate::AuthenticationLayer).
///
/// It owns a [`UserCache`] (one second by default; clones share it): give it
/// another with [`user_cache`](Self::user_cache), for instance one shared with
/// other authenticators, or [`UserCache::disabled`] to read the user on every
/// request.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// let layer = AuthenticationLayer::<User>::new().with(SessionAuthentication::new());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SessionAuthentication {
    cache: UserCache,
}

impl SessionAuthentication {
    /// Session authentication with its own one-second [`UserCache`].
    ///
    /// ```
    /// let sessions = aksara_auth::SessionAuthentication::new();
    /// assert_eq!(sessions.cache().ttl(), std::time::Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `cache` for the users it loads.
    ///
    /// ```
    /// use aksara_auth::{SessionAuthentication, UserCache};
    /// // Read the user from the database on every request, as Django does.
    /// let sessions = SessionAuthentication::new().user_cache(UserCache::disabled());
    /// assert!(sessions.cache().ttl().is_zero());
    /// ```
    #[must_use]
    pub fn user_cache(mut self, cache: UserCache) -> Self {
        self.cache = cache;
        self
    }

    /// The cache it uses, to [`forget`](UserCache::forget) a user changed
    /// outside the ORM.
    ///
    /// ```
    /// let sessions = aksara_auth::SessionAuthentication::new();
    /// sessions.cache().forget(uuid::Uuid::nil());
    /// ```
    #[must_use]
    pub fn cache(&self) -> &UserCache {
        &self.cache
    }
}

impl<U: AuthUser> Authenticator<U> for SessionAuthentication {
    fn name(&self) -> &'static str {
        "session"
    }

    fn has_credential(&self, parts: &Parts) -> bool {
        // Without a session, `authenticate` reports the missing layer.
        RequestAuth::session(&parts.extensions).is_none_or(|session| session.contains(USER_ID_KEY))
    }

    async fn authenticate(&self, parts: &Parts, db: &Db) -> Outcome<U> {
        let Some(session) = RequestAuth::session(&parts.extensions) else {
            tracing::error!(
                target: "aksara_auth::authentication",
                "SessionAuthentication found no session: add SessionLayer so that it runs before \
                 AuthenticationLayer (on Aksara, `.middleware(SessionLayer…)` first; on a plain axum \
                 Router, after `.layer(AuthenticationLayer…)`)"
            );
            return Outcome::Failed(aksara::ApiError::internal());
        };
        match session_user::<U>(session, db, &self.cache).await {
            Ok(Some(user)) => Outcome::Authenticated(Authentication::shared(user, "session")),
            Ok(None) => Outcome::NoCredential,
            Err(error) => Outcome::from(error),
        }
    }
}
