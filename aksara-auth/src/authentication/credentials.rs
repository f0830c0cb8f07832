//! [`authenticate`] checks credentials; [`record_login`] notes a successful login.
//! Session login and token issuing (later) call both.

use aksara::Executor;
use chrono::Utc;

use crate::password::{Checked, MAX_PASSWORD_BYTES, PasswordError, PasswordHasher};
use crate::user::{AuthUser, normalize_email};

/// What stopped a credential check from reaching a verdict. A wrong password is
/// not an error: [`authenticate`] returns `Ok(None)` for it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The user could not be read or updated.
    #[error(transparent)]
    Database(#[from] aksara::Error),
    /// The password could not be verified (the hashing job failed).
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The session could not store the login.
    #[error(transparent)]
    Session(crate::session::SessionError),
    /// [`login`](crate::login) on an unsafe request from another site (its
    /// `Sec-Fetch-Site` or `Origin` says so): a `403 csrf_failed`.
    #[error("login refused: {0}")]
    CrossSite(aksara::ApiError),
}

impl From<AuthError> for aksara::ApiError {
    /// What a handler answers when an auth call fails with `?`: a database
    /// failure as [`aksara::Error`]'s conversion (a logged `503` when the
    /// database is unreachable, a logged `500` otherwise), a hashing failure as
    /// [`PasswordError`]'s, a session failure as the session error's. None shows
    /// the client any detail.
    ///
    /// ```
    /// use aksara_auth::prelude::*;
    /// use aksara_auth::User;
    ///
    /// async fn login_view(
    ///     session: Session,
    ///     db: Db,
    ///     axum::Json(form): axum::Json<serde_json::Value>,
    /// ) -> Result<&'static str, ApiError> {
    ///     let email = form["email"].as_str().unwrap_or_default();
    ///     let password = form["password"].as_str().unwrap_or_default();
    ///     let Some(mut user) = authenticate::<User>(&db, email, password).await? else {
    ///         return Err(ApiError::unauthorized("invalid email or password"));
    ///     };
    ///     login(&session, &db, &mut user).await?;
    ///     Ok("logged in")
    /// }
    /// ```
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Database(error) => error.into(),
            AuthError::Password(error) => error.into(),
            AuthError::Session(error) => error.into(),
            AuthError::CrossSite(refused) => refused,
        }
    }
}

/// The user whose login field matches `login` and whose password is `password`,
/// if that user is active.
///
/// Unknown login, wrong password and inactive account all give `Ok(None)`, and all
/// take one password verification (an unknown login is checked against a dummy
/// hash), so neither the answer nor its timing tells them apart. Email logins are
/// trimmed and compared case-insensitively. A correct password stored in an older
/// format (Django's PBKDF2, weaker argon2 parameters) is rehashed at the current
/// parameters and saved with one `UPDATE`.
///
/// `authenticate` only checks credentials: call [`record_login`] (session login
/// does) to update `last_login`.
///
/// # Errors
/// [`AuthError`] when the database or the hashing pool fails, or when `U` is not
/// the application's user model ([`ensure_user_model`](crate::ensure_user_model)).
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = Db::connect("sqlite::memory:").await?;
/// db.migrate().await?;
/// User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
/// let jane = authenticate::<User>(&db, " Jane@EXAMPLE.com", "correct horse").await?;
/// assert!(jane.is_some());
/// assert!(authenticate::<User>(&db, "jane@example.com", "wrong").await?.is_none());
/// assert!(authenticate::<User>(&db, "nobody@example.com", "correct horse").await?.is_none());
/// # Ok(()) }
/// ```
pub async fn authenticate<U: AuthUser>(
    db: &(impl Executor + ?Sized),
    login: &str,
    password: &str,
) -> Result<Option<U>, AuthError> {
    crate::ensure_user_model::<U>("authenticate")?;
    let hasher = PasswordHasher::global();
    if password.len() > MAX_PASSWORD_BYTES {
        // As costly as a wrong password, but the input never reaches the hashing
        // threads or the database.
        hasher.verify_dummy("").await?;
        tracing::info!(target: "aksara_auth::login", outcome = "password_too_long", "authentication failed");
        return Ok(None);
    }
    let Some(mut user) = find_by_login::<U>(db, login).await? else {
        hasher.verify_dummy(password).await?;
        tracing::info!(target: "aksara_auth::login", outcome = "unknown_login", "authentication failed");
        return Ok(None);
    };
    let checked = hasher.check_async(password, user.password_hash()).await?;
    if checked == Checked::Invalid || !user.is_active() {
        let outcome = if checked == Checked::Invalid {
            "wrong_password"
        } else {
            "inactive"
        };
        tracing::info!(target: "aksara_auth::login", user_id = %user.id(), outcome, "authentication failed");
        return Ok(None);
    }
    if checked == Checked::Outdated {
        // Only now, for an active user: rehashing for an inactive one would
        // tell by its timing that the password was right.
        let new_hash = hasher.hash(password).await?;
        U::objects()
            .filter(primary_key::<U>().eq(user.id()))
            .update(db, U::PASSWORD_FIELD.set(new_hash.clone()))
            .await?;
        user.set_password_hash(new_hash);
        tracing::info!(target: "aksara_auth::login", user_id = %user.id(), "password hash upgraded");
    }
    tracing::debug!(target: "aksara_auth::login", user_id = %user.id(), "authenticated");
    Ok(Some(user))
}

/// The primary-key column of the user model `U`.
pub(crate) fn primary_key<U: AuthUser>() -> aksara::Column<U, uuid::Uuid> {
    aksara::Column::new(U::META.primary_key)
}

/// The user a login names: one indexed equality lookup. Emails are unique
/// regardless of case (an index on the lower-cased address, which `iexact` uses),
/// so at most one row matches.
async fn find_by_login<U: AuthUser>(
    db: &(impl Executor + ?Sized),
    login: &str,
) -> aksara::Result<Option<U>> {
    let lookup = if U::LOGIN_IS_EMAIL {
        U::LOGIN_FIELD.iexact(&normalize_email(login))
    } else {
        U::LOGIN_FIELD.eq(login.trim())
    };
    Ok(U::objects().filter(lookup).limit(1).all(db).await?.pop())
}

/// Records a successful login: sets `last_login` to now, in memory and with one
/// `UPDATE`.
///
/// # Errors
/// A database error.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
/// # User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
/// let mut jane: User = authenticate(&db, "jane@example.com", "correct horse").await?.unwrap();
/// record_login(&db, &mut jane).await?;
/// assert!(jane.last_login.is_some());
/// # Ok(()) }
/// ```
pub async fn record_login<U: AuthUser>(
    db: &(impl Executor + ?Sized),
    user: &mut U,
) -> aksara::Result<()> {
    let now = Utc::now();
    U::objects()
        .filter(primary_key::<U>().eq(user.id()))
        .update(db, U::LAST_LOGIN_FIELD.set(now))
        .await
        .map(|_| user.set_last_login(Some(now)))
}
