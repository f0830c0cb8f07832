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

// `#[auth_user]` expansions name `::aksara_auth::…`; this makes that path work here too.
extern crate self as aksara_auth;

pub mod authentication;
pub mod csrf;
pub mod guard;
pub mod jwt;
pub mod password;
mod request;
pub mod session;
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
pub use user::{
    AuthUser, USER_SLOT, UserCache, ensure_user_model, install_password_validators,
    normalize_email, user_model, validate_password,
};

/// `#[auth_user]`: turns a struct into the application's user model. See the README.
pub use aksara_macros::auth_user;
pub use aksara_macros::{login_required, staff_required, superuser_required};

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
