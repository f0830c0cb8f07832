//! [`AuthenticationLayer`]: the builder of the authentication middleware (its
//! authenticators, database and trusted origins). What a request goes through is
//! in [`resolve`](super::resolve); the tower service in [`service`](super::service).

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use aksara::Db;
use tower::Layer;

use super::resolve::Shared;
use super::service::AuthenticationService;
use super::{Authenticator, DynAuthenticator};
use crate::AuthUser;

/// A tower layer that authenticates each request with the configured
/// [`Authenticator`]s, in order, and makes the result available to
/// [`CurrentUser`](super::CurrentUser), [`MaybeUser`](super::MaybeUser),
/// [`RequestUser`](super::RequestUser) and the guard macros.
///
/// It reads the database from the request ([`Aksara`](aksara::Aksara) adds it; on
/// a plain `axum::Router` add `Extension(db)` outside this layer) unless given one
/// with [`db`](Self::db). Session authentication also needs the
/// [`SessionLayer`](crate::SessionLayer) to run before this layer.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// use aksara_auth::session::MemoryStore;
/// use axum::routing::get;
///
/// async fn me(user: CurrentUser<User>) -> String {
///     user.email.clone()
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// // Aksara runs middleware in the order written: sessions first, then authentication.
/// let app = Aksara::new(db)
///     .middleware(SessionLayer::new(MemoryStore::new()).secret_key([7; 64]))
///     .middleware(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
///     .route("/me", get(me));
/// # let _ = app.into_router();
/// # Ok(()) }
/// ```
pub struct AuthenticationLayer<U> {
    authenticators: Vec<Arc<dyn DynAuthenticator<U>>>,
    db: Option<Db>,
    trusted_origins: Vec<String>,
    /// Shared by every service the layer makes (one per route on a router).
    csrf_warned: Arc<std::sync::Mutex<Vec<&'static str>>>,
}

impl<U> Clone for AuthenticationLayer<U> {
    fn clone(&self) -> Self {
        Self {
            authenticators: self.authenticators.clone(),
            db: self.db.clone(),
            trusted_origins: self.trusted_origins.clone(),
            csrf_warned: Arc::clone(&self.csrf_warned),
        }
    }
}

impl<U> fmt::Debug for AuthenticationLayer<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.authenticators.iter().map(|a| a.name()).collect();
        f.debug_struct("AuthenticationLayer")
            .field("authenticators", &names)
            .finish_non_exhaustive()
    }
}

impl<U: AuthUser> Default for AuthenticationLayer<U> {
    fn default() -> Self {
        Self::new()
    }
}

impl<U: AuthUser> AuthenticationLayer<U> {
    /// A layer with no authenticator yet: every request is anonymous until
    /// [`with`](Self::with) adds one.
    ///
    /// ```
    /// use aksara_auth::prelude::*;
    /// use aksara_auth::User;
    /// let layer = AuthenticationLayer::<User>::new().with(SessionAuthentication::new());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            authenticators: Vec::new(),
            db: None,
            trusted_origins: Vec::new(),
            csrf_warned: Arc::default(),
        }
    }

    /// Adds an authenticator, asked after those added before it.
    ///
    /// ```
    /// use aksara_auth::prelude::*;
    /// use aksara_auth::User;
    /// let layer = AuthenticationLayer::<User>::new().with(SessionAuthentication::new());
    /// ```
    #[must_use]
    pub fn with(mut self, authenticator: impl Authenticator<U>) -> Self {
        self.authenticators.push(Arc::new(authenticator));
        self
    }

    /// Origins (`https://app.example.com`, scheme and host and any port) whose
    /// pages may send unsafe requests with the session cookie, besides this site
    /// itself. See [`csrf`](crate::csrf) for the whole check.
    ///
    /// ```
    /// use aksara_auth::prelude::*;
    /// use aksara_auth::User;
    /// let layer = AuthenticationLayer::<User>::new()
    ///     .with(SessionAuthentication::new())
    ///     .trusted_origins(["https://app.example.com"]);
    /// ```
    #[must_use]
    pub fn trusted_origins<I: IntoIterator<Item = T>, T: Into<String>>(
        mut self,
        origins: I,
    ) -> Self {
        self.trusted_origins
            .extend(origins.into_iter().map(|origin| {
                let origin: String = origin.into();
                origin.trim_end_matches('/').to_owned()
            }));
        self
    }

    /// Uses `db` instead of the one the request carries.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// let db = Db::connect("sqlite::memory:").await?;
    /// let layer = AuthenticationLayer::<User>::new().with(SessionAuthentication::new()).db(db);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn db(mut self, db: Db) -> Self {
        self.db = Some(db);
        self
    }
}

impl<U: AuthUser, S> Layer<S> for AuthenticationLayer<U> {
    type Service = AuthenticationService<U, S>;

    /// # Panics
    /// When `U` is not the application's user model (see
    /// [`ensure_user_model`](crate::ensure_user_model)): like axum's route
    /// conflicts, a wiring mistake stops the app while it is built, with both
    /// types named, rather than failing every request.
    fn layer(&self, inner: S) -> Self::Service {
        if let Err(error) = crate::ensure_user_model::<U>("AuthenticationLayer") {
            panic!("{error}");
        }
        // Two authenticators of one scheme (JWTs and opaque tokens both read
        // `Bearer`) give it once.
        let mut challenges: Vec<&'static str> = Vec::new();
        for challenge in self.authenticators.iter().filter_map(|a| a.challenge()) {
            if !challenges.contains(&challenge) {
                challenges.push(challenge);
            }
        }
        AuthenticationService {
            inner,
            shared: Arc::new(Shared {
                authenticators: self.authenticators.clone(),
                db: self.db.clone(),
                challenges: challenges.into(),
                trusted_origins: self.trusted_origins.clone(),
                csrf_warned: Arc::clone(&self.csrf_warned),
            }),
            user: PhantomData,
        }
    }
}
