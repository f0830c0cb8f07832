//! Who is making the request: the [`Authenticator`] trait for authentication
//! backends, the [`AuthenticationLayer`] that runs them in order, and the
//! extractors handlers take ([`CurrentUser`], [`MaybeUser`], [`RequestUser`]).
//!
//! Each authenticator looks at the request and answers with an [`Outcome`]:
//! no credential of its kind ([`Outcome::NoCredential`], the next one tries), a
//! user ([`Outcome::Authenticated`]), or a credential that is present but bad
//! ([`Outcome::Failed`], the request ends at once with that error, 401 by
//! default). As in Django REST framework, the first authenticator that finds its
//! credential decides; when none does, the request is anonymous and handlers or
//! guards decide whether that is allowed.
//!
//! ```
//! use aksara_auth::authentication::{Authentication, Authenticator, Outcome};
//! use aksara_auth::prelude::*;
//! use aksara_auth::User;
//! use axum::http::request::Parts;
//!
//! /// Authenticates `X-Api-User: <email>` from trusted internal callers.
//! struct InternalHeader;
//!
//! impl Authenticator<User> for InternalHeader {
//!     fn name(&self) -> &'static str {
//!         "internal"
//!     }
//!
//!     async fn authenticate(&self, parts: &Parts, db: &Db) -> Outcome<User> {
//!         let Some(value) = parts.headers.get("x-api-user") else {
//!             return Outcome::NoCredential;
//!         };
//!         let email = value.to_str().unwrap_or_default();
//!         match User::objects().filter(User::EMAIL.eq(email)).first(db).await {
//!             Ok(Some(user)) if user.is_active => {
//!                 Outcome::Authenticated(Authentication::new(user, self.name()).by_header())
//!             }
//!             Ok(_) => Outcome::invalid("unknown internal user"),
//!             Err(error) => Outcome::from(error),
//!         }
//!     }
//! }
//!
//! let layer = AuthenticationLayer::<User>::new().with(InternalHeader);
//! ```

mod credentials;
mod extract;
mod header;
mod layer;
mod resolve;
mod service;

use std::any::Any;
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aksara::{ApiError, Db};
use axum::http::request::Parts;

use crate::AuthUser;

pub(crate) use credentials::primary_key;
pub use credentials::{AuthError, authenticate, record_login};
pub use extract::{AuthStatus, CurrentUser, MaybeUser, RequestUser};
pub use header::{Authorization, MAX_AUTHORIZATION_LEN};
pub use layer::AuthenticationLayer;
pub use service::{AuthenticationFuture, AuthenticationService};

/// What one authenticator concluded about a request.
#[derive(Debug)]
#[must_use]
pub enum Outcome<U> {
    /// The request carries no credential of this kind: ask the next authenticator.
    NoCredential,
    /// The credential identifies this active user.
    Authenticated(Authentication<U>),
    /// A credential of this kind is present but bad (or could not be checked):
    /// the request ends with this error.
    Failed(ApiError),
}

impl<U> Outcome<U> {
    /// A 401 `authentication_failed` with `message`; the layer adds the
    /// `WWW-Authenticate` challenges of the configured authenticators.
    ///
    /// ```
    /// use aksara_auth::authentication::Outcome;
    /// let outcome = Outcome::<aksara_auth::User>::invalid("token expired");
    /// let Outcome::Failed(error) = outcome else { unreachable!() };
    /// assert_eq!(error.status(), 401);
    /// assert_eq!(error.code(), "authentication_failed");
    /// ```
    pub fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Failed(ApiError::unauthorized(message).with_code("authentication_failed"))
    }
}

impl<U> From<aksara::Error> for Outcome<U> {
    /// A database failure while checking a credential: 503, logged, never the
    /// error's text in the response.
    ///
    /// ```
    /// use aksara_auth::authentication::Outcome;
    /// let outcome: Outcome<aksara_auth::User> = aksara::Error::InvalidQuery("boom".into()).into();
    /// let Outcome::Failed(error) = outcome else { unreachable!() };
    /// assert_eq!(error.status(), 503);
    /// ```
    fn from(error: aksara::Error) -> Self {
        tracing::error!(target: "aksara_auth::authentication", %error, "could not check a credential");
        Self::Failed(ApiError::service_unavailable(
            "authentication is temporarily unavailable; try again shortly",
        ))
    }
}

/// An authenticated request: the user, the backend that vouched for them, and
/// anything that backend wants handlers to see (a token's claims, an API key's
/// scopes, …).
///
/// ```
/// use aksara_auth::authentication::Authentication;
/// # let user = || "jane@example.com".to_owned(); // any user model works the same way
/// let auth = Authentication::new(user(), "jwt").with_info(vec!["read".to_owned()]);
/// assert_eq!(auth.info::<Vec<String>>().map(Vec::len), Some(1));
/// ```
pub struct Authentication<U> {
    user: Arc<U>,
    backend: &'static str,
    info: Option<Arc<dyn Any + Send + Sync>>,
    by_header: bool,
}

impl<U> std::fmt::Debug for Authentication<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The user's fields stay out of logs; the backend names what happened.
        f.debug_struct("Authentication")
            .field("backend", &self.backend)
            .field("by_header", &self.by_header)
            .finish_non_exhaustive()
    }
}

impl<U> Authentication<U> {
    /// `user`, vouched for by the backend called `backend`.
    ///
    /// ```
    /// # use aksara_auth::authentication::Authentication;
    /// # let user = || "jane@example.com".to_owned(); // any user model works the same way
    /// let auth = Authentication::new(user(), "session");
    /// assert_eq!(auth.backend(), "session");
    /// ```
    pub fn new(user: U, backend: &'static str) -> Self {
        Self::shared(Arc::new(user), backend)
    }

    /// A user already shared (from a cache), without copying it.
    pub(crate) fn shared(user: Arc<U>, backend: &'static str) -> Self {
        Self {
            user,
            backend,
            info: None,
            by_header: false,
        }
    }

    /// Attaches backend-specific information, read back with
    /// [`info`](Self::info) (and from the extractors).
    ///
    /// ```
    /// # use aksara_auth::authentication::Authentication;
    /// # let user = || "jane@example.com".to_owned(); // any user model works the same way
    /// let auth = Authentication::new(user(), "api_key").with_info("key-42");
    /// assert_eq!(auth.info::<&str>(), Some(&"key-42"));
    /// ```
    #[must_use]
    pub fn with_info<T: Any + Send + Sync>(self, info: T) -> Self {
        self.with_shared_info(Arc::new(info))
    }

    /// As [`with_info`](Self::with_info), for information the backend already
    /// holds in an `Arc` (a cached row): attached without a copy, read back the
    /// same way.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use aksara_auth::authentication::Authentication;
    /// # let user = || "jane@example.com".to_owned(); // any user model works the same way
    /// let row = Arc::new(String::from("key-42"));
    /// let auth = Authentication::new(user(), "api_key").with_shared_info(row.clone());
    /// assert_eq!(auth.info::<String>(), Some(&*row));
    /// ```
    #[must_use]
    pub fn with_shared_info<T: Any + Send + Sync>(mut self, info: Arc<T>) -> Self {
        self.info = Some(info);
        self
    }

    /// Marks the credential as one the client sent in a header (such as
    /// `Authorization`), which a cross-site page cannot make a browser send: such
    /// requests need no CSRF check, as in Django REST framework.
    ///
    /// ```
    /// # use aksara_auth::authentication::Authentication;
    /// # let user = || "jane@example.com".to_owned(); // any user model works the same way
    /// assert!(Authentication::new(user(), "bearer").by_header().is_by_header());
    /// ```
    #[must_use]
    pub fn by_header(mut self) -> Self {
        self.by_header = true;
        self
    }

    /// Whether the credential came in a header (see [`by_header`](Self::by_header)).
    ///
    /// ```
    /// # use aksara_auth::authentication::Authentication;
    /// # let user = || "jane@example.com".to_owned(); // any user model works the same way
    /// assert!(!Authentication::new(user(), "session").is_by_header());
    /// ```
    #[must_use]
    pub fn is_by_header(&self) -> bool {
        self.by_header
    }

    /// The authenticated user.
    ///
    /// ```
    /// # use aksara_auth::authentication::Authentication;
    /// # use aksara_auth::prelude::*;
    /// # let user = || "jane@example.com".to_owned(); // any user model works the same way
    /// let auth = Authentication::new(user(), "session");
    /// assert_eq!(auth.user(), "jane@example.com");
    /// ```
    pub fn user(&self) -> &U {
        &self.user
    }

    /// The name of the backend that authenticated the request.
    ///
    /// ```
    /// # use aksara_auth::authentication::Authentication;
    /// # let user = || "jane@example.com".to_owned(); // any user model works the same way
    /// assert_eq!(Authentication::new(user(), "jwt").backend(), "jwt");
    /// ```
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// The backend's information, if it attached a `T`.
    ///
    /// ```
    /// # use aksara_auth::authentication::Authentication;
    /// # let user = || "jane@example.com".to_owned(); // any user model works the same way
    /// let auth = Authentication::new(user(), "jwt").with_info(42_u64);
    /// assert_eq!(auth.info::<u64>(), Some(&42));
    /// assert_eq!(auth.info::<String>(), None);
    /// ```
    pub fn info<T: Any>(&self) -> Option<&T> {
        self.info.as_deref()?.downcast_ref()
    }
}

/// An authentication backend: looks at a request and says who sent it.
///
/// Implementations exist for sessions ([`SessionAuthentication`](crate::SessionAuthentication));
/// bearer tokens, JWT and API keys implement the same trait. Register them on an
/// [`AuthenticationLayer`] with [`with`](AuthenticationLayer::with), in the order
/// they should be asked. See the [module docs](self) for an example.
pub trait Authenticator<U: AuthUser>: Send + Sync + 'static {
    /// A short name ("session", "bearer"), reported by
    /// [`Authentication::backend`] and in logs.
    fn name(&self) -> &'static str;

    /// The `WWW-Authenticate` challenge a 401 should carry for this scheme (such
    /// as `Bearer realm="api"`), if it has one.
    fn challenge(&self) -> Option<&'static str> {
        None
    }

    /// Whether the request may carry this backend's credential, by a cheap look
    /// (is there an `Authorization: Bearer` header? a user id in the session?).
    /// When every authenticator answers `false`, the layer treats the request as
    /// anonymous without calling [`authenticate`](Self::authenticate), which
    /// saves an allocation and a few hundred instructions per anonymous request.
    ///
    /// Answer `false` only when `authenticate` would answer
    /// [`Outcome::NoCredential`]; the default, `true`, always asks it.
    ///
    /// ```
    /// use aksara_auth::authentication::{Authenticator, Outcome};
    /// use aksara_auth::prelude::*;
    /// use aksara_auth::User;
    /// use axum::http::request::Parts;
    ///
    /// struct ApiKey;
    ///
    /// impl Authenticator<User> for ApiKey {
    ///     fn name(&self) -> &'static str {
    ///         "api_key"
    ///     }
    ///
    ///     fn has_credential(&self, parts: &Parts) -> bool {
    ///         parts.headers.contains_key("x-api-key")
    ///     }
    ///
    ///     async fn authenticate(&self, parts: &Parts, db: &Db) -> Outcome<User> {
    ///         let Some(_key) = parts.headers.get("x-api-key") else {
    ///             return Outcome::NoCredential;
    ///         };
    ///         Outcome::invalid("unknown API key") // look the key up here
    ///     }
    /// }
    /// ```
    fn has_credential(&self, parts: &Parts) -> bool {
        let _ = parts;
        true
    }

    /// Looks for this backend's credential in the request and checks it.
    fn authenticate(&self, parts: &Parts, db: &Db) -> impl Future<Output = Outcome<U>> + Send;
}

/// [`Authenticator`] as a trait object, so the layer can hold a list of them.
pub(crate) trait DynAuthenticator<U>: Send + Sync {
    fn name(&self) -> &'static str;
    fn challenge(&self) -> Option<&'static str>;
    fn has_credential(&self, parts: &Parts) -> bool;
    fn authenticate<'a>(
        &'a self,
        parts: &'a Parts,
        db: &'a Db,
    ) -> Pin<Box<dyn Future<Output = Outcome<U>> + Send + 'a>>;
}

impl<U: AuthUser, A: Authenticator<U>> DynAuthenticator<U> for A {
    fn name(&self) -> &'static str {
        Authenticator::name(self)
    }

    fn challenge(&self) -> Option<&'static str> {
        Authenticator::challenge(self)
    }

    fn has_credential(&self, parts: &Parts) -> bool {
        Authenticator::has_credential(self, parts)
    }

    fn authenticate<'a>(
        &'a self,
        parts: &'a Parts,
        db: &'a Db,
    ) -> Pin<Box<dyn Future<Output = Outcome<U>> + Send + 'a>> {
        Box::pin(Authenticator::authenticate(self, parts, db))
    }
}
