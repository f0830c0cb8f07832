//! Password-reset and email-verification tokens: [`OneTimeToken`], the
//! `auth_one_time_tokens` table that `db.migrate()` creates, and the
//! [`OneTimeKey`] that goes in the link you mail.
//!
//! ## What is stored
//!
//! A key is 256 bits from the operating system's random number generator in
//! unpadded base64url (43 characters, safe in a `?token=` query as it is). The
//! row keeps its SHA-256 (unique: the lookup, then compared in constant time),
//! never the key, so a leaked table holds no usable link. It also keeps a
//! *fingerprint*: a digest of the user's password hash and email address at
//! issue.
//!
//! ## When a token stops working
//!
//! [`OneTimeToken::consume`] accepts a key once: it deletes the row, and of any
//! number of concurrent calls with one key exactly one deletes it (the one whose
//! `DELETE` affected the row) and succeeds. A key is refused, always as
//! [`ConsumeError::InvalidToken`], when it is malformed, unknown or already used,
//! issued for the other [`Purpose`], past `expires_at`, when its user is gone
//! (the foreign key cascades) or inactive, when the user's password or email
//! changed since issue, and, for [`Purpose::EmailVerification`], when the email
//! is verified already. [`OneTimeToken::revoke_all`] ends a user's tokens of one
//! purpose (after a successful reset, say), [`OneTimeToken::purge_expired`]
//! deletes the expired rows. Lifetimes come from `[tokens]` in the settings
//! ([`TokenSettings::password_reset_ttl`](crate::token::TokenSettings::password_reset_ttl),
//! [`email_verification_ttl`](crate::token::TokenSettings::email_verification_ttl)).
//!
//! ```
//! use aksara_auth::prelude::*;
//! use aksara_auth::User;
//! use aksara_auth::one_time::{ConsumeError, OneTimeToken, Purpose};
//! use aksara_auth::token::TokenSettings;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = Db::connect("sqlite::memory:").await?;
//! db.migrate().await?; // creates auth_one_time_tokens with the other tables
//! let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
//!
//! let ttl = TokenSettings::default().password_reset_ttl;
//! let key = OneTimeToken::issue(&db, &user, Purpose::PasswordReset, ttl).await?;
//! let link = format!("https://example.com/reset?token={}", key.as_str()); // mail this
//!
//! // The reset handler, with the key from the link:
//! let who: User = OneTimeToken::consume(&db, Purpose::PasswordReset, key.as_str()).await?;
//! assert_eq!(who.id, user.id);
//! // Used up: the same link again is refused.
//! let again = OneTimeToken::consume::<User>(&db, Purpose::PasswordReset, key.as_str()).await;
//! assert!(matches!(again, Err(ConsumeError::InvalidToken)));
//! # Ok(()) }
//! ```

mod key;

pub use key::OneTimeKey;

use std::fmt;

use aksara::{Db, Executor};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use sha2::Digest as _;

use crate::authentication::primary_key;
use crate::{AuthUser, UserId};

/// The tracing target of this module's events.
const TARGET: &str = "aksara_auth::one_time";
/// The label of the password digest inside a token's fingerprint.
const PASSWORD_LABEL: &[u8] = b"aksara_auth.one_time.password";
/// The label of the fingerprint itself.
const FINGERPRINT_LABEL: &[u8] = b"aksara_auth.one_time.fingerprint";

/// What a [`OneTimeToken`] is for; a key issued for one purpose is refused for
/// the other.
///
/// ```
/// use aksara_auth::one_time::Purpose;
/// assert_eq!(Purpose::PasswordReset.as_str(), "password_reset");
/// assert_ne!(Purpose::PasswordReset, Purpose::EmailVerification);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purpose {
    /// A "forgot your password" link.
    PasswordReset,
    /// A "confirm your email address" link.
    EmailVerification,
}

impl Purpose {
    /// The text stored in [`OneTimeToken::purpose`].
    ///
    /// ```
    /// use aksara_auth::one_time::Purpose;
    /// assert_eq!(Purpose::EmailVerification.as_str(), "email_verification");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailVerification => "email_verification",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why [`OneTimeToken::consume`] refused a key. Which check refused it is logged
/// (`debug`, target `aksara_auth::one_time`), never told to the caller: a link
/// that does not work is only ever "invalid or expired".
///
/// ```
/// use aksara_auth::one_time::ConsumeError;
/// assert_eq!(ConsumeError::InvalidToken.to_string(), "the link is invalid or has expired");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsumeError {
    /// Malformed, unknown, already used, for the other purpose, expired, its
    /// user gone or inactive, the password or email changed since issue, or the
    /// email verified already.
    #[error("the link is invalid or has expired")]
    InvalidToken,
    /// The database failed.
    #[error(transparent)]
    Database(#[from] aksara::Error),
}

/// One issued password-reset or email-verification token: a row of
/// `auth_one_time_tokens`, which `db.migrate()` creates. The key itself is not
/// stored (see the [module notes](self)). `Debug` shows neither the digest nor
/// the fingerprint.
///
/// ```
/// use aksara_auth::one_time::OneTimeToken;
/// assert_eq!(<OneTimeToken as aksara::Model>::META.table, "auth_one_time_tokens");
/// ```
#[derive(aksara::Model, Clone)]
#[model(table = "auth_one_time_tokens")]
pub struct OneTimeToken {
    /// The row's id.
    #[field(primary_key)]
    pub id: i64,
    /// The user the token is for (a foreign key, `ON DELETE CASCADE`).
    pub user_id: UserId,
    /// [`Purpose::as_str`] of what it is for.
    #[field(max_length = 20)]
    pub purpose: String,
    /// SHA-256 of the key, base64url: the lookup.
    #[field(unique, max_length = 43)]
    digest: String,
    /// A digest of the user's password hash and email at issue: either changing
    /// ends the token.
    #[field(max_length = 43)]
    fingerprint: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops being accepted.
    #[field(index)]
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneTimeToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("purpose", &self.purpose)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl OneTimeToken {
    /// Issues a token for `user` that is accepted for `ttl` (one `INSERT`), and
    /// returns its key: the only time it is known.
    ///
    /// # Errors
    /// A database error (the table is missing before `db.migrate()`), or
    /// [`aksara::Error::Schema`] when `U` is not the application's user model.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// use aksara_auth::one_time::{OneTimeToken, Purpose};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let ttl = std::time::Duration::from_secs(3 * 86_400);
    /// let key = OneTimeToken::issue(&db, &user, Purpose::EmailVerification, ttl).await?;
    /// assert!(key.expires_at() > chrono::Utc::now() + chrono::Duration::days(2));
    /// # Ok(()) }
    /// ```
    pub async fn issue<U: AuthUser>(
        db: &(impl Executor + ?Sized),
        user: &U,
        purpose: Purpose,
        ttl: std::time::Duration,
    ) -> aksara::Result<OneTimeKey> {
        crate::ensure_user_model::<U>("OneTimeToken::issue")?;
        let now = Utc::now();
        let key = OneTimeKey::generate(now + to_chrono(ttl));
        let token = OneTimeToken::objects()
            .create()
            .user_id(UserId::of(user))
            .purpose(purpose.as_str())
            .digest(key::digest(key.as_str()))
            .fingerprint(fingerprint(user))
            .created_at(now)
            .expires_at(key.expires_at())
            .exec(db)
            .await?;
        tracing::debug!(target: TARGET, user_id = %user.id(), token_id = token.id, %purpose, "one-time token issued");
        Ok(key)
    }

    /// Checks `key` and uses it up: the row is deleted, and of any number of
    /// concurrent calls with one key exactly one succeeds. Returns the user as
    /// the database has it now.
    ///
    /// # Errors
    /// [`ConsumeError::InvalidToken`] for every refusal listed in the [module
    /// notes](self) (the reason goes to the `debug` log);
    /// [`ConsumeError::Database`] when the database fails, or when `U` is not
    /// the application's user model ([`aksara::Error::Schema`]).
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// use aksara_auth::one_time::{ConsumeError, OneTimeToken, Purpose};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let ttl = std::time::Duration::from_secs(3600);
    /// let key = OneTimeToken::issue(&db, &user, Purpose::EmailVerification, ttl).await?;
    /// // A reset link is not a verification link:
    /// let wrong = OneTimeToken::consume::<User>(&db, Purpose::PasswordReset, key.as_str()).await;
    /// assert!(matches!(wrong, Err(ConsumeError::InvalidToken)));
    /// let mut who: User = OneTimeToken::consume(&db, Purpose::EmailVerification, key.as_str()).await?;
    /// who.email_verified = true;
    /// who.save(&db).await?;
    /// # Ok(()) }
    /// ```
    pub async fn consume<U: AuthUser>(
        db: &Db,
        purpose: Purpose,
        key: &str,
    ) -> Result<U, ConsumeError> {
        match Self::inspect::<U>(db, purpose, key, true).await? {
            Ok(user) => {
                tracing::debug!(target: TARGET, user_id = %user.id(), %purpose, "one-time token consumed");
                Ok(user)
            }
            Err(reason) => {
                tracing::debug!(target: TARGET, %purpose, reason, "one-time token refused");
                Err(ConsumeError::InvalidToken)
            }
        }
    }

    /// [`consume`](Self::consume)'s checks without using the key up: the user
    /// it would give now. A reset form checks the new password against the
    /// user (the validators compare it with the account's own fields) before
    /// it spends the link, so that a refused password leaves the link working.
    /// Only `consume` decides between concurrent uses.
    ///
    /// # Errors
    /// As [`consume`](Self::consume).
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// use aksara_auth::one_time::{OneTimeToken, Purpose};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let key = OneTimeToken::issue(&db, &user, Purpose::PasswordReset, std::time::Duration::from_secs(3600)).await?;
    /// let checked: User = OneTimeToken::check(&db, Purpose::PasswordReset, key.as_str()).await?;
    /// let used: User = OneTimeToken::consume(&db, Purpose::PasswordReset, key.as_str()).await?; // still usable
    /// assert_eq!(checked.id, used.id);
    /// assert!(OneTimeToken::check::<User>(&db, Purpose::PasswordReset, key.as_str()).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn check<U: AuthUser>(
        db: &Db,
        purpose: Purpose,
        key: &str,
    ) -> Result<U, ConsumeError> {
        crate::ensure_user_model::<U>("OneTimeToken::check")?;
        match Self::inspect::<U>(db, purpose, key, false).await? {
            Ok(user) => Ok(user),
            Err(reason) => {
                tracing::debug!(target: TARGET, %purpose, reason, "one-time token refused");
                Err(ConsumeError::InvalidToken)
            }
        }
    }

    /// [`consume`](Self::consume)'s checks, and with `use_up` its delete:
    /// `Ok(Err(reason))` for a refusal, the reason for the log only.
    async fn inspect<U: AuthUser>(
        db: &Db,
        purpose: Purpose,
        key: &str,
        use_up: bool,
    ) -> aksara::Result<Result<U, &'static str>> {
        crate::ensure_user_model::<U>("OneTimeToken::consume")?;
        if !key::is_well_formed(key) {
            return Ok(Err("malformed key"));
        }
        let digest = key::digest(key);
        let found = OneTimeToken::objects()
            .filter(OneTimeToken::DIGEST.eq(digest.as_str()))
            .first(db)
            .await?;
        let Some(token) = found.filter(|token| token.matches(&digest)) else {
            return Ok(Err("unknown or already used"));
        };
        if token.purpose != purpose.as_str() {
            return Ok(Err("issued for another purpose"));
        }
        if token.expires_at <= Utc::now() {
            token.delete_row(db).await?;
            return Ok(Err("expired"));
        }
        let Some(user) = U::objects()
            .filter(primary_key::<U>().eq(token.user_id.0))
            .first(db)
            .await?
        else {
            return Ok(Err("the user no longer exists"));
        };
        if !user.is_active() {
            return Ok(Err("the user is inactive"));
        }
        if !token.same_fingerprint(&fingerprint(&user)) {
            // Issued under an old password or address: dead for good.
            token.delete_row(db).await?;
            return Ok(Err("the password or email changed since issue"));
        }
        if purpose == Purpose::EmailVerification && user.email_verified() {
            token.delete_row(db).await?;
            return Ok(Err("the email is verified already"));
        }
        // The one atomic step: of concurrent consumers, one deletes the row.
        if use_up && !token.delete_row(db).await? {
            return Ok(Err("already used (by a concurrent call)"));
        }
        Ok(Ok(user))
    }

    /// Deletes every unused token of `user` for `purpose` (after a successful
    /// reset, or when a new address is set); returns how many.
    ///
    /// # Errors
    /// A database error.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// use aksara_auth::one_time::{OneTimeToken, Purpose};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let ttl = std::time::Duration::from_secs(3600);
    /// OneTimeToken::issue(&db, &user, Purpose::PasswordReset, ttl).await?;
    /// OneTimeToken::issue(&db, &user, Purpose::PasswordReset, ttl).await?;
    /// OneTimeToken::issue(&db, &user, Purpose::EmailVerification, ttl).await?;
    /// assert_eq!(OneTimeToken::revoke_all(&db, &user, Purpose::PasswordReset).await?, 2);
    /// # Ok(()) }
    /// ```
    pub async fn revoke_all<U: AuthUser>(
        db: &(impl Executor + ?Sized),
        user: &U,
        purpose: Purpose,
    ) -> aksara::Result<u64> {
        let deleted = OneTimeToken::objects()
            .filter(OneTimeToken::USER_ID.eq(UserId::of(user)))
            .filter(OneTimeToken::PURPOSE.eq(purpose.as_str()))
            .delete(db)
            .await?;
        tracing::debug!(target: TARGET, user_id = %user.id(), %purpose, deleted, "one-time tokens of a user revoked");
        Ok(deleted)
    }

    /// Deletes every expired token; returns how many. Run it from a periodic
    /// job (expired tokens are refused either way).
    ///
    /// # Errors
    /// A database error.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// use aksara_auth::one_time::OneTimeToken;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// assert_eq!(OneTimeToken::purge_expired(&db).await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn purge_expired(db: &(impl Executor + ?Sized)) -> aksara::Result<u64> {
        let deleted = OneTimeToken::objects()
            .filter(OneTimeToken::EXPIRES_AT.lte(Utc::now()))
            .delete(db)
            .await?;
        tracing::debug!(target: TARGET, deleted, "expired one-time tokens purged");
        Ok(deleted)
    }

    /// Deletes this row; whether this call deleted it.
    async fn delete_row(&self, db: &Db) -> aksara::Result<bool> {
        let deleted = OneTimeToken::objects()
            .filter(OneTimeToken::ID.eq(self.id))
            .delete(db)
            .await?;
        Ok(deleted == 1)
    }

    /// Whether `digest` is this token's key digest (constant time).
    fn matches(&self, digest: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        bool::from(self.digest.as_bytes().ct_eq(digest.as_bytes()))
    }

    /// Whether `fingerprint` is the one stored at issue (constant time).
    fn same_fingerprint(&self, fingerprint: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        bool::from(self.fingerprint.as_bytes().ct_eq(fingerprint.as_bytes()))
    }
}

/// A digest of `user`'s password hash (through
/// [`password_fingerprint`](crate::user::password_fingerprint)) and email as
/// stored: a token issued before either changed no longer matches.
fn fingerprint<U: AuthUser>(user: &U) -> String {
    let password = crate::user::password_fingerprint(user, PASSWORD_LABEL);
    let mut digest = sha2::Sha256::new();
    digest.update(FINGERPRINT_LABEL);
    digest.update(b"\0");
    digest.update(password.as_bytes());
    digest.update(b"\0");
    digest.update(user.email().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.finalize())
}

/// Durations come from settings, at most a century: always in chrono's range.
fn to_chrono(duration: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::days(36_525))
}
