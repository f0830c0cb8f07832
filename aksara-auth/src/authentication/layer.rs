//! [`AuthenticationLayer`]: runs the authenticators and records the result in the
//! request's extensions for the extractors, guards and CSRF check.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use aksara::{ApiError, Db};
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use super::extract::AuthStatus;
use super::{Authenticator, DynAuthenticator, Outcome};
use crate::AuthUser;
use crate::request::RequestAuth;

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
        let challenges: Vec<&'static str> = self
            .authenticators
            .iter()
            .filter_map(|a| a.challenge())
            .collect();
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

struct Shared<U> {
    authenticators: Vec<Arc<dyn DynAuthenticator<U>>>,
    db: Option<Db>,
    challenges: Arc<[&'static str]>,
    trusted_origins: Vec<String>,
    /// Backends already warned about failing CSRF without `by_header()`.
    csrf_warned: Arc<std::sync::Mutex<Vec<&'static str>>>,
}

/// The service [`AuthenticationLayer`] wraps around the routes.
///
/// ```
/// use aksara_auth::authentication::{AuthenticationLayer, AuthenticationService};
/// use tower::Layer;
/// let service: AuthenticationService<aksara_auth::User, _> = AuthenticationLayer::new()
///     .layer(tower::service_fn(|_: http::Request<axum::body::Body>| async {
///         Ok::<_, std::convert::Infallible>("hi")
///     }));
/// ```
pub struct AuthenticationService<U, S> {
    inner: S,
    shared: Arc<Shared<U>>,
    user: PhantomData<fn() -> U>,
}

impl<U, S: Clone> Clone for AuthenticationService<U, S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
            user: PhantomData,
        }
    }
}

impl<U, S> fmt::Debug for AuthenticationService<U, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationService")
            .finish_non_exhaustive()
    }
}

impl<U, S, B> Service<Request<B>> for AuthenticationService<U, S>
where
    U: AuthUser,
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Error: Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = AuthenticationFuture<S::Future, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (mut parts, body) = request.into_parts();
        if !self.shared.may_have_credential(&parts) {
            // Anonymous at a glance: the handler runs at once.
            if self.shared.lacks_database(&parts) {
                return AuthenticationFuture::ready(ApiError::internal().into_response());
            }
            RequestAuth::slot(&mut parts.extensions).status = Some(AuthStatus::anonymous::<U>(
                Arc::clone(&self.shared.challenges),
            ));
            return AuthenticationFuture {
                state: FutureState::Handler {
                    inner: self.inner.call(Request::from_parts(parts, body)),
                },
            };
        }
        // The clone is not ready; the instance that was polled ready is the one used.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shared = Arc::clone(&self.shared);
        let future = async move {
            if let Err(response) = shared.resolve(&mut parts).await {
                return Ok(response);
            }
            let response = inner.call(Request::from_parts(parts, body)).await?;
            Ok(response.into_response())
        };
        AuthenticationFuture {
            state: FutureState::Boxed {
                future: Box::pin(future),
            },
        }
    }
}

type BoxedResponse<E> = Pin<Box<dyn Future<Output = Result<Response, E>> + Send>>;

pin_project_lite::pin_project! {
    /// The response future of [`AuthenticationService`].
    pub struct AuthenticationFuture<F, E> {
        #[pin]
        state: FutureState<F, E>,
    }
}

pin_project_lite::pin_project! {
    #[project = FutureStateProjection]
    enum FutureState<F, E> {
        /// No credential: the handler runs.
        Handler {
            #[pin]
            inner: F,
        },
        /// Authenticating, then the handler.
        Boxed {
            future: BoxedResponse<E>,
        },
        /// Refused before the handler.
        Ready {
            response: Option<Response>,
        },
        Done,
    }
}

impl<F, E> AuthenticationFuture<F, E> {
    fn ready(response: Response) -> Self {
        Self {
            state: FutureState::Ready {
                response: Some(response),
            },
        }
    }
}

impl<F, E> fmt::Debug for AuthenticationFuture<F, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationFuture")
            .finish_non_exhaustive()
    }
}

impl<F, R, E> Future for AuthenticationFuture<F, E>
where
    F: Future<Output = Result<R, E>>,
    R: IntoResponse,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        let output = match state.as_mut().project() {
            FutureStateProjection::Handler { inner } => {
                std::task::ready!(inner.poll(cx)).map(IntoResponse::into_response)
            }
            FutureStateProjection::Boxed { future } => std::task::ready!(future.as_mut().poll(cx)),
            FutureStateProjection::Ready { response } => match response.take() {
                Some(response) => Ok(response),
                None => panic!("AuthenticationFuture polled after completion"),
            },
            FutureStateProjection::Done => panic!("AuthenticationFuture polled after completion"),
        };
        state.set(FutureState::Done);
        Poll::Ready(output)
    }
}

impl<U: AuthUser> Shared<U> {
    /// A backend other than sessions that did not mark its credential as a
    /// header got a CSRF 403: most likely an API-key or token authenticator
    /// that forgot `by_header()`. The 403 stays (the safe default: a credential
    /// the browser attaches by itself needs the check); the log says why, once
    /// per backend.
    fn warn_header_backend_without_by_header(&self, backend: &'static str) {
        if backend == "session" {
            return;
        }
        let mut warned = self
            .csrf_warned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if warned.contains(&backend) {
            return;
        }
        warned.push(backend);
        tracing::warn!(
            target: "aksara_auth::authentication",
            backend,
            "a request authenticated by `{backend}` failed the CSRF check (403 csrf_failed): \
             its `Authentication` is not marked `.by_header()`, so it is treated like a cookie. \
             If `{backend}` reads a header the browser does not send by itself (an API key, \
             a bearer token), return `Authentication::new(user, \"{backend}\").by_header()`"
        );
    }

    /// Whether any authenticator may find its credential in the request.
    fn may_have_credential(&self, parts: &axum::http::request::Parts) -> bool {
        self.authenticators
            .iter()
            .any(|authenticator| authenticator.has_credential(parts))
    }

    /// Whether authenticators are configured but no database is: a misconfigured
    /// app then fails on every request, not only on those with a credential.
    fn lacks_database(&self, parts: &axum::http::request::Parts) -> bool {
        let lacks = !self.authenticators.is_empty()
            && self.db.is_none()
            && parts.extensions.get::<Db>().is_none();
        if lacks {
            tracing::error!(target: "aksara_auth::authentication", "{NO_DATABASE}");
        }
        lacks
    }

    /// Asks each authenticator in turn and records the answer in `parts`; the
    /// response to send instead when a credential was bad.
    async fn resolve(&self, parts: &mut axum::http::request::Parts) -> Result<(), Response> {
        let mut status = AuthStatus::anonymous::<U>(Arc::clone(&self.challenges));
        if !self.authenticators.is_empty() {
            let db = match self
                .db
                .clone()
                .or_else(|| parts.extensions.get::<Db>().cloned())
            {
                Some(db) => db,
                None => {
                    tracing::error!(target: "aksara_auth::authentication", "{NO_DATABASE}");
                    return Err(ApiError::internal().into_response());
                }
            };
            for authenticator in &self.authenticators {
                match authenticator.authenticate(parts, &db).await {
                    Outcome::NoCredential => continue,
                    Outcome::Authenticated(auth) => {
                        if !auth.is_by_header() {
                            // A cookie the browser attached: make sure this site asked.
                            if let Err(refused) =
                                crate::csrf::check(parts, &self.trusted_origins).await
                            {
                                self.warn_header_backend_without_by_header(auth.backend());
                                return Err(refused.into_response());
                            }
                        }
                        status = AuthStatus::of(auth, Arc::clone(&self.challenges));
                        break;
                    }
                    Outcome::Failed(error) => {
                        tracing::info!(
                            target: "aksara_auth::authentication",
                            backend = authenticator.name(),
                            status = error.status().as_u16(),
                            "credential refused"
                        );
                        return Err(self.with_challenges(error).into_response());
                    }
                }
            }
        }
        if !status.is_authenticated() {
            crate::csrf::mark_cross_site_anonymous(parts, &self.trusted_origins);
        }
        RequestAuth::slot(&mut parts.extensions).status = Some(status);
        Ok(())
    }

    fn with_challenges(&self, error: ApiError) -> ApiError {
        challenge(error, &self.challenges)
    }
}

const NO_DATABASE: &str = "AuthenticationLayer found no database: build the app with \
     `Aksara::new(db)`, add `Extension(db)` outside the layer, or call `AuthenticationLayer::db(db)`";

/// Adds the `WWW-Authenticate` challenges to a 401 that has none.
pub(crate) fn challenge(mut error: ApiError, challenges: &[&'static str]) -> ApiError {
    if error.status() != StatusCode::UNAUTHORIZED
        || error.headers().contains_key(header::WWW_AUTHENTICATE)
    {
        return error;
    }
    let value = if challenges.is_empty() {
        // RFC 9110 requires a challenge on every 401; without a header scheme
        // configured (sessions only), name the cookie-based scheme.
        "Session".to_owned()
    } else {
        challenges.join(", ")
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        error = error.with_header(header::WWW_AUTHENTICATE, value);
    }
    error
}
