//! The extractors handlers take to learn who is asking.

use std::any::{Any, TypeId};
use std::ops::Deref;
use std::sync::Arc;

use aksara::ApiError;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;

use super::Authentication;
use super::resolve::challenge;
use crate::AuthUser;
use crate::request::RequestAuth;

/// The authentication as the layer stores it: an `Arc<Authentication<U>>` for
/// the layer's user model `U`, type-erased so that the request's one slot for
/// authentication (in `RequestAuth`, which knows no user model) holds it beside
/// the model-independent flags.
type ErasedAuthentication = Arc<dyn Any + Send + Sync>;

/// What the guards and the CSRF check need to know about the request's user,
/// whatever the user model: stored by [`AuthenticationLayer`](super::AuthenticationLayer).
///
/// ```
/// use aksara_auth::authentication::AuthStatus;
/// async fn handler(status: AuthStatus) -> &'static str {
///     if status.is_authenticated() { "hello again" } else { "hello, stranger" }
/// }
/// ```
#[derive(Clone)]
pub struct AuthStatus {
    authenticated: bool,
    is_staff: bool,
    is_superuser: bool,
    backend: Option<&'static str>,
    by_header: bool,
    challenges: Arc<[&'static str]>,
    /// The layer's user model, so that extractors for another model fail loudly.
    model: TypeId,
    /// Its name, for that error.
    model_name: &'static str,
    authentication: Option<ErasedAuthentication>,
}

impl std::fmt::Debug for AuthStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthStatus")
            .field("authenticated", &self.authenticated)
            .field("is_staff", &self.is_staff)
            .field("is_superuser", &self.is_superuser)
            .field("backend", &self.backend)
            .field("by_header", &self.by_header)
            .finish_non_exhaustive()
    }
}

impl AuthStatus {
    pub(crate) fn anonymous<U: AuthUser>(challenges: Arc<[&'static str]>) -> Self {
        Self {
            authenticated: false,
            is_staff: false,
            is_superuser: false,
            backend: None,
            by_header: false,
            challenges,
            model: TypeId::of::<U>(),
            model_name: std::any::type_name::<U>(),
            authentication: None,
        }
    }

    pub(crate) fn of<U: AuthUser>(
        auth: Authentication<U>,
        challenges: Arc<[&'static str]>,
    ) -> Self {
        Self {
            authenticated: true,
            is_staff: auth.user().is_staff(),
            is_superuser: auth.user().is_superuser(),
            backend: Some(auth.backend()),
            by_header: auth.is_by_header(),
            challenges,
            model: TypeId::of::<U>(),
            model_name: std::any::type_name::<U>(),
            authentication: Some(Arc::new(auth)),
        }
    }

    /// The request's status, from its extensions (in middleware); `None` when no
    /// [`AuthenticationLayer`](super::AuthenticationLayer) ran before. Handlers take
    /// `AuthStatus` as an extractor instead.
    ///
    /// ```
    /// use aksara_auth::authentication::AuthStatus;
    /// fn is_staff(request: &http::Request<axum::body::Body>) -> bool {
    ///     AuthStatus::from_extensions(request.extensions()).is_some_and(|s| s.is_staff())
    /// }
    /// ```
    #[must_use]
    pub fn from_extensions(extensions: &http::Extensions) -> Option<Self> {
        RequestAuth::status(extensions).cloned()
    }

    /// Whether an authenticator recognised the request.
    ///
    /// ```
    /// # use aksara_auth::authentication::AuthStatus;
    /// fn greet(status: &AuthStatus) -> &'static str {
    ///     if status.is_authenticated() { "hi" } else { "log in" }
    /// }
    /// ```
    #[must_use]
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Whether the user is staff (false when anonymous).
    ///
    /// ```
    /// # use aksara_auth::authentication::AuthStatus;
    /// fn may_moderate(status: &AuthStatus) -> bool { status.is_staff() }
    /// ```
    #[must_use]
    pub fn is_staff(&self) -> bool {
        self.is_staff
    }

    /// Whether the user is a superuser (false when anonymous).
    ///
    /// ```
    /// # use aksara_auth::authentication::AuthStatus;
    /// fn may_do_anything(status: &AuthStatus) -> bool { status.is_superuser() }
    /// ```
    #[must_use]
    pub fn is_superuser(&self) -> bool {
        self.is_superuser
    }

    /// The backend that authenticated the request (`None` when anonymous).
    ///
    /// ```
    /// # use aksara_auth::authentication::AuthStatus;
    /// fn by_session(status: &AuthStatus) -> bool { status.backend() == Some("session") }
    /// ```
    #[must_use]
    pub fn backend(&self) -> Option<&'static str> {
        self.backend
    }

    /// Whether the credential came in a header (exempt from the CSRF check).
    ///
    /// ```
    /// # use aksara_auth::authentication::AuthStatus;
    /// fn needs_csrf_check(status: &AuthStatus) -> bool {
    ///     status.is_authenticated() && !status.is_by_header()
    /// }
    /// ```
    #[must_use]
    pub fn is_by_header(&self) -> bool {
        self.by_header
    }

    /// The 401 an anonymous request gets where login is required: JSON body and
    /// the configured authenticators' `WWW-Authenticate` challenges.
    ///
    /// ```
    /// # use aksara_auth::authentication::AuthStatus;
    /// fn refuse(status: &AuthStatus) -> aksara::ApiError { status.login_required() }
    /// ```
    pub fn login_required(&self) -> ApiError {
        challenge(
            ApiError::unauthorized("authentication credentials were not provided")
                .with_code("not_authenticated"),
            &self.challenges,
        )
    }
}

fn missing_layer(what: &str) -> ApiError {
    tracing::error!(
        target: "aksara_auth::authentication",
        "a handler takes `{what}`, but no AuthenticationLayer ran for this request (or it was \
         built for another user model): add `.layer(AuthenticationLayer::<YourUser>::new().with(…))`"
    );
    ApiError::internal()
}

impl<S: Send + Sync> FromRequestParts<S> for AuthStatus {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Self::from_extensions(&parts.extensions).ok_or_else(|| missing_layer("AuthStatus"))
    }
}

/// A handler's extractor names another user model than the layer's.
fn other_model<U>(what: &str, layer_model: &str) -> ApiError {
    tracing::error!(
        target: "aksara_auth::authentication",
        "a handler takes `{what}<{}>`, but the AuthenticationLayer is built for `{layer_model}`: \
         use the application's user model in both (aksara_auth::prelude does not bring a `User`)",
        std::any::type_name::<U>()
    );
    ApiError::internal()
}

/// The request's authentication for user model `U` (`None`: anonymous).
fn resolved<U: AuthUser>(
    parts: &Parts,
    what: &str,
) -> Result<Option<Arc<Authentication<U>>>, ApiError> {
    let status = RequestAuth::status(&parts.extensions).ok_or_else(|| missing_layer(what))?;
    if status.model != TypeId::of::<U>() {
        return Err(other_model::<U>(what, status.model_name));
    }
    match &status.authentication {
        None => Ok(None),
        Some(erased) => Arc::clone(erased)
            .downcast::<Authentication<U>>()
            .map(Some)
            .map_err(|_| missing_layer(what)),
    }
}

/// The authenticated user; an anonymous request is refused with 401 (JSON body,
/// `WWW-Authenticate`). Dereferences to the user model.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
///
/// async fn profile(user: CurrentUser<User>) -> String {
///     format!("{} via {}", user.email, user.backend())
/// }
/// ```
pub struct CurrentUser<U>(Arc<Authentication<U>>);

impl<U> CurrentUser<U> {
    /// The user.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// async fn id(user: CurrentUser<User>) -> String { user.user().id.to_string() }
    /// ```
    pub fn user(&self) -> &U {
        self.0.user()
    }

    /// The backend that authenticated the request ("session", …).
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// async fn how(user: CurrentUser<User>) -> &'static str { user.backend() }
    /// ```
    pub fn backend(&self) -> &'static str {
        self.0.backend()
    }

    /// The authentication, with the backend's information.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// async fn scopes(user: CurrentUser<User>) -> String {
    ///     user.authentication().info::<Vec<String>>().map(|s| s.join(" ")).unwrap_or_default()
    /// }
    /// ```
    pub fn authentication(&self) -> &Authentication<U> {
        &self.0
    }
}

impl<U> Deref for CurrentUser<U> {
    type Target = U;

    fn deref(&self) -> &U {
        self.0.user()
    }
}

impl<U> std::fmt::Debug for CurrentUser<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CurrentUser").field(&self.0).finish()
    }
}

impl<U: AuthUser, S: Send + Sync> FromRequestParts<S> for CurrentUser<U> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        match resolved::<U>(parts, "CurrentUser")? {
            Some(auth) => Ok(Self(auth)),
            None => Err(RequestAuth::status(&parts.extensions)
                .map_or_else(|| missing_layer("CurrentUser"), AuthStatus::login_required)),
        }
    }
}

impl<U: AuthUser, S: Send + Sync> OptionalFromRequestParts<S> for CurrentUser<U> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, ApiError> {
        Ok(resolved::<U>(parts, "Option<CurrentUser>")?.map(Self))
    }
}

/// The user if the request is authenticated, `None` if anonymous; never refuses.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
///
/// async fn home(MaybeUser(user): MaybeUser<User>) -> String {
///     match user {
///         Some(user) => format!("hello {}", user.email),
///         None => "hello, stranger".to_owned(),
///     }
/// }
/// ```
pub struct MaybeUser<U>(pub Option<CurrentUser<U>>);

impl<U> std::fmt::Debug for MaybeUser<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("MaybeUser").field(&self.0).finish()
    }
}

impl<U: AuthUser, S: Send + Sync> FromRequestParts<S> for MaybeUser<U> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Self(resolved::<U>(parts, "MaybeUser")?.map(CurrentUser)))
    }
}

/// Django's `request.user`: the user or anonymous, with
/// [`is_authenticated`](Self::is_authenticated) and the flags. Never refuses.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
///
/// async fn menu(user: RequestUser<User>) -> &'static str {
///     if user.is_staff() { "admin menu" } else if user.is_authenticated() { "member menu" } else { "public menu" }
/// }
/// ```
pub struct RequestUser<U>(Option<Arc<Authentication<U>>>);

impl<U: AuthUser> RequestUser<U> {
    /// Whether the request is authenticated.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// async fn who(user: RequestUser<User>) -> bool { user.is_authenticated() }
    /// ```
    pub fn is_authenticated(&self) -> bool {
        self.0.is_some()
    }

    /// Whether the request is anonymous.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// async fn who(user: RequestUser<User>) -> bool { user.is_anonymous() }
    /// ```
    pub fn is_anonymous(&self) -> bool {
        self.0.is_none()
    }

    /// Staff (false when anonymous).
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// async fn staff(user: RequestUser<User>) -> bool { user.is_staff() }
    /// ```
    pub fn is_staff(&self) -> bool {
        self.user().is_some_and(AuthUser::is_staff)
    }

    /// Superuser (false when anonymous).
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// async fn root(user: RequestUser<User>) -> bool { user.is_superuser() }
    /// ```
    pub fn is_superuser(&self) -> bool {
        self.user().is_some_and(AuthUser::is_superuser)
    }

    /// The user, when authenticated.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// async fn email(user: RequestUser<User>) -> String {
    ///     user.user().map(|u| u.email.clone()).unwrap_or_default()
    /// }
    /// ```
    pub fn user(&self) -> Option<&U> {
        self.0.as_deref().map(Authentication::user)
    }

    /// The authentication (backend and its information), when authenticated.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// async fn backend(user: RequestUser<User>) -> Option<&'static str> {
    ///     user.authentication().map(|auth| auth.backend())
    /// }
    /// ```
    pub fn authentication(&self) -> Option<&Authentication<U>> {
        self.0.as_deref()
    }
}

impl<U> std::fmt::Debug for RequestUser<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RequestUser").field(&self.0).finish()
    }
}

impl<U: AuthUser, S: Send + Sync> FromRequestParts<S> for RequestUser<U> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Self(resolved::<U>(parts, "RequestUser")?))
    }
}
