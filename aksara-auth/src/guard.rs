//! What `#[login_required]`, `#[staff_required]` and `#[superuser_required]`
//! expand to: a [`Guard`] extractor in front of the handler's own, which reads the
//! [`AuthStatus`] that [`AuthenticationLayer`](crate::AuthenticationLayer) stored
//! and refuses the request before the handler runs.
//!
//! - anonymous: 401 `not_authenticated` with `WWW-Authenticate`, or with
//!   `redirect = "/login"` a `303 See Other` to `/login?next=<path>`;
//! - authenticated but not staff / superuser: 403 `permission_denied`.
//!
//! `next` always holds the request's own path and query, and [`safe_next`] is the
//! check a login view applies before following it, so neither side can be turned
//! into an open redirect through `//evil.example` or `https://…`.

use std::borrow::Cow;
use std::marker::PhantomData;

use aksara::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::LOCATION;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::authentication::AuthStatus;

/// What a guard requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// An authenticated user.
    Login,
    /// An authenticated staff user.
    Staff,
    /// An authenticated superuser.
    Superuser,
}

/// A guard's rule: what it requires and where anonymous visitors go. The guard
/// macros implement it; write one by hand for a custom rule.
///
/// ```
/// use aksara_auth::guard::{Guard, GuardPolicy, Requirement};
///
/// struct StaffToLogin;
/// impl GuardPolicy for StaffToLogin {
///     const REQUIREMENT: Requirement = Requirement::Staff;
///     const REDIRECT: Option<&'static str> = Some("/login");
/// }
///
/// async fn admin(_: Guard<StaffToLogin>) -> &'static str { "admin" }
/// ```
pub trait GuardPolicy: Send + Sync + 'static {
    /// What the request's user must be.
    const REQUIREMENT: Requirement;
    /// The login page anonymous visitors are sent to (`None`: answer 401).
    const REDIRECT: Option<&'static str> = None;

    /// The login page, for policies that spell it at run time: the
    /// `redirect = …` of the guard macros, whose path is carried in the type
    /// ([`Redirecting`]) so that the expansion declares no item and works on an
    /// associated function inside an `impl` block too.
    #[doc(hidden)]
    fn login_page() -> Option<Cow<'static, str>> {
        Self::REDIRECT.map(Cow::Borrowed)
    }
}

/// `policy` with anonymous visitors sent to the path that `Path` spells, one
/// [`PathChar`] per character: what `#[login_required(redirect = "/login")]`
/// expands to (`Redirecting<LoginRequired, PathChar<'/', PathChar<'l', …, PathEnd>>>`).
///
/// ```
/// use aksara_auth::guard::{GuardPolicy, LoginRequired, PathChar, PathEnd, Redirecting};
/// type ToLogin = Redirecting<LoginRequired, PathChar<'/', PathChar<'l', PathEnd>>>;
/// assert_eq!(ToLogin::login_page().as_deref(), Some("/l"));
/// ```
pub struct Redirecting<Policy, Path>(PhantomData<fn() -> (Policy, Path)>);

impl<Policy: GuardPolicy, Path: LoginPath> GuardPolicy for Redirecting<Policy, Path> {
    const REQUIREMENT: Requirement = Policy::REQUIREMENT;

    fn login_page() -> Option<Cow<'static, str>> {
        let mut page = String::new();
        Path::push_to(&mut page);
        Some(Cow::Owned(page))
    }
}

/// A path spelled in a type: [`PathChar`]s ending in [`PathEnd`].
pub trait LoginPath: 'static {
    /// Appends the characters to `out`.
    fn push_to(out: &mut String);
}

/// One character of a [`LoginPath`], then the rest.
///
/// ```
/// use aksara_auth::guard::{LoginPath, PathChar, PathEnd};
/// let mut path = String::new();
/// <PathChar<'/', PathChar<'a', PathEnd>>>::push_to(&mut path);
/// assert_eq!(path, "/a");
/// ```
pub struct PathChar<const C: char, Rest>(PhantomData<fn() -> Rest>);

impl<const C: char, Rest: LoginPath> LoginPath for PathChar<C, Rest> {
    fn push_to(out: &mut String) {
        out.push(C);
        Rest::push_to(out);
    }
}

/// The end of a [`LoginPath`].
///
/// ```
/// use aksara_auth::guard::{LoginPath, PathEnd};
/// let mut path = String::new();
/// PathEnd::push_to(&mut path);
/// assert!(path.is_empty());
/// ```
pub struct PathEnd;

impl LoginPath for PathEnd {
    fn push_to(_: &mut String) {}
}

/// The policy of `#[login_required]`.
///
/// ```
/// use aksara_auth::guard::{Guard, LoginRequired};
/// async fn members_only(_: Guard<LoginRequired>) -> &'static str { "welcome" }
/// ```
#[derive(Debug)]
pub struct LoginRequired;
impl GuardPolicy for LoginRequired {
    const REQUIREMENT: Requirement = Requirement::Login;
}

/// The policy of `#[staff_required]`.
///
/// ```
/// use aksara_auth::guard::{Guard, StaffRequired};
/// async fn staff_only(_: Guard<StaffRequired>) -> &'static str { "hello, staff" }
/// ```
#[derive(Debug)]
pub struct StaffRequired;
impl GuardPolicy for StaffRequired {
    const REQUIREMENT: Requirement = Requirement::Staff;
}

/// The policy of `#[superuser_required]`.
///
/// ```
/// use aksara_auth::guard::{Guard, SuperuserRequired};
/// async fn root_only(_: Guard<SuperuserRequired>) -> &'static str { "hello, root" }
/// ```
#[derive(Debug)]
pub struct SuperuserRequired;
impl GuardPolicy for SuperuserRequired {
    const REQUIREMENT: Requirement = Requirement::Superuser;
}

/// The extractor the guard macros add: succeeds only when the request meets
/// `P`'s requirement.
///
/// ```
/// use aksara_auth::guard::{Guard, LoginRequired};
/// async fn handler(_: Guard<LoginRequired>) -> &'static str { "only for users" }
/// ```
pub struct Guard<P>(PhantomData<fn() -> P>);

impl<P> std::fmt::Debug for Guard<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Guard")
    }
}

impl<P: GuardPolicy, S: Send + Sync> FromRequestParts<S> for Guard<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let status = AuthStatus::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !status.is_authenticated() {
            return Err(match P::login_page() {
                Some(login) => redirect_to_login(&login, parts),
                None => status.login_required().into_response(),
            });
        }
        let allowed = match P::REQUIREMENT {
            Requirement::Login => true,
            Requirement::Staff => status.is_staff(),
            Requirement::Superuser => status.is_superuser(),
        };
        if allowed {
            Ok(Self(PhantomData))
        } else {
            let message = match P::REQUIREMENT {
                Requirement::Superuser => "this action needs a superuser",
                _ => "this action needs a staff account",
            };
            Err(ApiError::new(StatusCode::FORBIDDEN, "permission_denied", message).into_response())
        }
    }
}

/// `303 See Other` to `login?next=<this request's path and query>`.
fn redirect_to_login(login: &str, parts: &Parts) -> Response {
    let here = parts
        .uri
        .path_and_query()
        .map_or("/", |path_and_query| path_and_query.as_str());
    let next = safe_next(here).unwrap_or("/");
    let separator = if login.contains('?') { '&' } else { '?' };
    let location = format!(
        "{login}{separator}next={}",
        utf8_percent_encode(next, NON_ALPHANUMERIC)
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(&location) {
        Ok(value) => {
            response.headers_mut().insert(LOCATION, value);
            response
        }
        // Not reached: the macro accepts only printable paths and the rest is encoded.
        Err(_) => ApiError::internal().into_response(),
    }
}

/// `next` if it is safe to redirect to: a path on this site (`/…`), never a
/// scheme-relative `//host`, a backslash trick (`/\host`), an absolute URL or
/// anything with control characters. A login view calls it before following a
/// `next` parameter.
///
/// ```
/// use aksara_auth::guard::safe_next;
/// assert_eq!(safe_next("/profile?tab=1"), Some("/profile?tab=1"));
/// assert_eq!(safe_next("//evil.example"), None);
/// assert_eq!(safe_next("/\\evil.example"), None);
/// assert_eq!(safe_next("https://evil.example/"), None);
/// assert_eq!(safe_next("profile"), None);
/// ```
#[must_use]
pub fn safe_next(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let same_origin = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    same_origin.then_some(next)
}
