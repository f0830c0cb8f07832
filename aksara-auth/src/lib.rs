//! # aksara-auth: users, passwords and authentication for Aksara
//!
//! Declare a user model in a few lines (or take the built-in [`User`]), store
//! passwords as argon2id hashes computed off the async runtime, and check
//! credentials with [`authenticate`].
//!
//! ```standalone_crate
//! use aksara_auth::prelude::*;
//!
//! #[auth_user]
//! #[model(table = "members")]
//! pub struct Member {
//!     #[field(max_length = 100)]
//!     pub name: String,
//!     #[field(url)]
//!     pub avatar_url: Option<String>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = Db::connect("sqlite::memory:").await?;
//! db.migrate().await?;
//! let member = Member::objects().create()
//!     .email("jane@example.com")
//!     .password("securepassword123")   // hashed before insert, off the async runtime
//!     .name("Jane")
//!     .exec(&db).await?;
//! assert!(member.check_password("securepassword123").await);
//! let who = authenticate::<Member>(&db, "Jane@Example.com", "securepassword123").await?;
//! assert_eq!(who.map(|m| m.id), Some(member.id));
//! # Ok(()) }
//! ```
//!
//! The [`guide`] walks through users, passwords, sessions, guards and the
//! security notes; `aksara::guide` covers models, queries and the app.

// `#[auth_user]` expansions name `::aksara_auth::…`; this makes that path work here too.
extern crate self as aksara_auth;

pub mod account;
pub mod authentication;
mod cache;
pub mod csrf;
pub mod email;
pub mod guard;
pub mod jwt;
pub mod one_time;
pub mod password;
mod request;
pub mod session;
pub mod throttle;
pub mod token;
mod user;

#[doc(hidden)]
pub mod __private;

pub use authentication::{
    AuthError, AuthenticationLayer, Authenticator, CurrentUser, MaybeUser, RequestUser,
    authenticate, record_login,
};
pub use password::{PasswordHash, PasswordHasher, check_password, hash_password};
pub use session::{
    DbSessionStore, MemoryStore, Session, SessionAuthentication, SessionLayer, SessionStore,
    get_user, login, logout, update_session_auth_hash,
};
pub use throttle::{ClientIp, Throttle, ThrottleSettings, Throttled};
pub use user::{
    AuthUser, USER_SLOT, UserCache, UserId, ensure_user_model, install_password_validators,
    normalize_email, user_model, validate_password,
};

#[doc = include_str!("../docs/auth_user.md")]
#[doc(inline)]
pub use aksara_macros::auth_user;

#[doc = include_str!("../docs/login_required.md")]
#[doc(inline)]
pub use aksara_macros::login_required;

/// Refuses anonymous requests as [`macro@login_required`] does, and answers 403
/// with a JSON body to a user who is not staff.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
///
/// #[staff_required]
/// async fn moderation_queue(user: CurrentUser<User>) -> String {
///     format!("queue for {}", user.email)
/// }
///
/// let routes: aksara::axum::Router =
///     aksara::axum::Router::new().route("/moderation", aksara::axum::routing::get(moderation_queue));
/// ```
#[doc(inline)]
pub use aksara_macros::staff_required;

/// Refuses anonymous requests as [`macro@login_required`] does, and answers 403
/// with a JSON body to a user who is not a superuser.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
///
/// #[superuser_required]
/// async fn purge_cache() -> &'static str {
///     "purged"
/// }
///
/// let routes: aksara::axum::Router =
///     aksara::axum::Router::new().route("/purge", aksara::axum::routing::post(purge_cache));
/// ```
#[doc(inline)]
pub use aksara_macros::superuser_required;

/// The guide to users, passwords, sessions and guards, one page per topic with
/// every example compiled as a doctest (the pages are the Markdown files in
/// `aksara-auth/docs/`). Models, queries and the app are in `aksara::guide`.
pub mod guide {
    #[doc = include_str!("../docs/users.md")]
    pub mod users {}
    #[doc = include_str!("../docs/sessions.md")]
    pub mod sessions {}
    #[doc = include_str!("../docs/tokens.md")]
    pub mod tokens {}
    #[doc = include_str!("../docs/accounts.md")]
    pub mod accounts {}
    #[doc = include_str!("../docs/security.md")]
    pub mod security {}
}

/// The built-in user model, for applications that need no field of their own. It
/// is migrated only when the application declares no `#[auth_user]` model of its own.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// assert_eq!(<User as Model>::META.table, "auth_users");
/// ```
#[auth_user(__builtin)]
#[model(table = "auth_users")]
pub struct User {}

/// What a module that declares users or authenticates needs:
/// `use aksara_auth::prelude::*;` (it includes `aksara::prelude`).
pub mod prelude {
    pub use crate::session::{MemoryStore, Session, SessionLayer};
    pub use crate::{
        AuthError, AuthUser, AuthenticationLayer, CurrentUser, MaybeUser, PasswordHash,
        RequestUser, SessionAuthentication, auth_user, authenticate, get_user, login,
        login_required, logout, record_login, staff_required, superuser_required,
        update_session_auth_hash, validate_password,
    };
    pub use aksara::prelude::*;
}
