//! Opaque bearer tokens (DRF's `TokenAuthentication`, stored the way knox stores
//! them): [`Token`], the `auth_tokens` table, and [`TokenAuthentication`], the
//! authenticator that accepts `Authorization: Bearer <key>` or `Token <key>`.
//!
//! ## What is stored
//!
//! A key is `aks_`, a 12-character public *prefix* and a 43-character secret: 72 +
//! 256 bits from the operating system's random number generator, in base64url.
//! The table keeps the prefix (unique: the lookup), the SHA-256 of the whole key
//! (compared in constant time) and never the key, so a leaked table holds no
//! usable credential. [`Token::issue`] returns the key exactly once.
//!
//! DRF's `Token.objects.get_or_create(user=user)` hands out the user's one key
//! again and again; with keys stored hashed there is nothing to hand out again.
//! The equivalent is a token per login or device: issue one at login (named after
//! the device if you like), list a user's tokens with [`Token::of_user`], and
//! revoke one, all, or all but the current one.
//!
//! ## When a token stops working
//!
//! At `expires_at` (10 hours after issue by default, `[tokens]` in the settings;
//! renewed on use when `renew_on_use` is set, never past `max_lifetime`); when
//! revoked; when the user's password changes (each token carries a digest of the
//! password hash it was issued under); while the user is inactive; and when the
//! user is deleted (a foreign key with `ON DELETE CASCADE`). Expired rows are
//! deleted when presented and by [`Token::purge_expired`] (run it from
//! [`Token::spawn_purge_task`] or a job of your own).
//!
//! ```
//! use aksara_auth::prelude::*;
//! use aksara_auth::User;
//! use aksara_auth::token::{Token, TokenSettings};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = Db::connect("sqlite::memory:").await?;
//! db.migrate().await?; // creates auth_tokens with the other tables
//! let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
//!
//! let issued = Token::issue(&db, &user, &TokenSettings::default()).await?;
//! let key = issued.key(); // give this to the client, once: only its digest is stored
//! assert!(key.starts_with("aks_"));
//! assert_eq!(Token::of_user(&db, &user).await?.len(), 1);
//!
//! Token::revoke_all(&db, &user).await?;
//! assert!(Token::of_user(&db, &user).await?.is_empty());
//! # Ok(()) }
//! ```

mod authentication;
mod key;
mod settings;

pub use authentication::TokenAuthentication;
pub use key::{MalformedKey, TokenKey};
pub use settings::TokenSettings;

use std::fmt;

use aksara::{Db, Executor};
use chrono::{DateTime, Utc};

use crate::{AuthUser, UserId};

/// The label of the password digest a token carries.
const PASSWORD_LABEL: &[u8] = b"aksara_auth.token";

/// One issued bearer token: a row of `auth_tokens`, which `db.migrate()` creates.
/// The key itself is not stored (see the [module notes](self)). `Debug` shows
/// neither the digest nor the password digest.
///
/// ```
/// use aksara_auth::token::Token;
/// assert_eq!(<Token as aksara::Model>::META.table, "auth_tokens");
/// ```
#[derive(aksara::Model, Clone)]
#[model(table = "auth_tokens")]
pub struct Token {
    /// The row's id.
    #[field(primary_key)]
    pub id: i64,
    /// The user the token authenticates (a foreign key, `ON DELETE CASCADE`).
    pub user_id: UserId,
    /// The key's public part after `aks_`, which finds the row.
    #[field(unique, max_length = 12)]
    pub prefix: String,
    /// SHA-256 of the whole key, base64url.
    #[field(max_length = 43)]
    digest: String,
    /// A digest of the user's password hash at issue: a new password ends the token.
    #[field(max_length = 43)]
    password_digest: String,
    /// What the client calls it (a device name), if it said.
    #[field(max_length = 100)]
    pub name: Option<String>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops being accepted.
    #[field(index)]
    pub expires_at: DateTime<Utc>,
    /// When it was last used, to the minute (written at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("prefix", &self.prefix)
            .field("name", &self.name)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("last_used_at", &self.last_used_at)
            .finish_non_exhaustive()
    }
}

/// A token just issued, with its key: the only time the key is known.
/// `Debug` does not show the key.
///
/// ```
/// # use aksara_auth::prelude::*;
/// # use aksara_auth::User;
/// # use aksara_auth::token::{Token, TokenSettings};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
/// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
/// let issued = Token::issue_named(&db, &user, &TokenSettings::default(), "Jane's phone").await?;
/// assert_eq!(issued.token().name.as_deref(), Some("Jane's phone"));
/// assert!(!format!("{issued:?}").contains(issued.key()));
/// # Ok(()) }
/// ```
pub struct IssuedToken {
    token: Token,
    key: TokenKey,
}

impl IssuedToken {
    /// The key to hand to the client (`aks_…`, 59 characters).
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # use aksara_auth::token::{Token, TokenSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let issued = Token::issue(&db, &user, &TokenSettings::default()).await?;
    /// assert_eq!(issued.key().len(), 59);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn key(&self) -> &str {
        self.key.as_str()
    }

    /// The stored row.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # use aksara_auth::token::{Token, TokenSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let issued = Token::issue(&db, &user, &TokenSettings::default()).await?;
    /// assert_eq!(issued.token().user_id.0, user.id);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The row and the key, by value.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # use aksara_auth::token::{Token, TokenSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let (token, key) = Token::issue(&db, &user, &TokenSettings::default()).await?.into_parts();
    /// assert_eq!(key.prefix(), token.prefix);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn into_parts(self) -> (Token, TokenKey) {
        (self.token, self.key)
    }
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl Token {
    /// Issues a token for `user` that lives `settings.ttl`, and returns it with
    /// its key (one `INSERT`).
    ///
    /// # Errors
    /// A database error (the table is missing before `db.migrate()`).
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # use aksara_auth::token::{Token, TokenSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let issued = Token::issue(&db, &user, &TokenSettings::default()).await?;
    /// assert!(issued.token().expires_at > chrono::Utc::now());
    /// # Ok(()) }
    /// ```
    pub async fn issue<U: AuthUser>(
        db: &(impl Executor + ?Sized),
        user: &U,
        settings: &TokenSettings,
    ) -> aksara::Result<IssuedToken> {
        Self::insert(db, user, settings, None).await
    }

    /// As [`issue`](Self::issue), with the name the client gave (its device).
    ///
    /// # Errors
    /// A database error, or [`aksara::Error::Validation`] for a name over 100
    /// characters.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # use aksara_auth::token::{Token, TokenSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let issued = Token::issue_named(&db, &user, &TokenSettings::default(), "CLI on build-01").await?;
    /// assert_eq!(issued.token().name.as_deref(), Some("CLI on build-01"));
    /// # Ok(()) }
    /// ```
    pub async fn issue_named<U: AuthUser>(
        db: &(impl Executor + ?Sized),
        user: &U,
        settings: &TokenSettings,
        name: &str,
    ) -> aksara::Result<IssuedToken> {
        Self::insert(db, user, settings, Some(name)).await
    }

    async fn insert<U: AuthUser>(
        db: &(impl Executor + ?Sized),
        user: &U,
        settings: &TokenSettings,
        name: Option<&str>,
    ) -> aksara::Result<IssuedToken> {
        crate::ensure_user_model::<U>("Token::issue")?;
        let key = TokenKey::generate();
        let now = Utc::now();
        let token = Token::objects()
            .create()
            .user_id(UserId::of(user))
            .prefix(key.prefix())
            .digest(key.digest())
            .password_digest(password_digest(user))
            .name(name.map(str::to_owned))
            .created_at(now)
            .expires_at(now + to_chrono(settings.ttl))
            .exec(db)
            .await?;
        tracing::info!(target: "aksara_auth::token", user_id = %user.id(), token_id = token.id, "token issued");
        Ok(IssuedToken { token, key })
    }

    /// The tokens of `user` that are still valid by date, newest first.
    ///
    /// # Errors
    /// A database error.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # use aksara_auth::token::{Token, TokenSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// Token::issue_named(&db, &user, &TokenSettings::default(), "laptop").await?;
    /// Token::issue_named(&db, &user, &TokenSettings::default(), "phone").await?;
    /// let names: Vec<_> = Token::of_user(&db, &user).await?.into_iter().filter_map(|t| t.name).collect();
    /// assert_eq!(names, ["phone", "laptop"]);
    /// # Ok(()) }
    /// ```
    pub async fn of_user<U: AuthUser>(
        db: &(impl Executor + ?Sized),
        user: &U,
    ) -> aksara::Result<Vec<Token>> {
        Token::objects()
            .filter(Token::USER_ID.eq(UserId::of(user)))
            .filter(Token::EXPIRES_AT.gt(Utc::now()))
            .order_by([Token::CREATED_AT.desc(), Token::ID.desc()])
            .all(db)
            .await
    }

    /// Revokes this token (deletes its row). Returns whether it existed.
    ///
    /// # Errors
    /// A database error.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # use aksara_auth::token::{Token, TokenSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let issued = Token::issue(&db, &user, &TokenSettings::default()).await?;
    /// assert!(issued.token().revoke(&db).await?);
    /// assert!(!issued.token().revoke(&db).await?);
    /// # Ok(()) }
    /// ```
    pub async fn revoke(&self, db: &(impl Executor + ?Sized)) -> aksara::Result<bool> {
        let deleted = Token::objects()
            .filter(Token::ID.eq(self.id))
            .delete(db)
            .await?;
        tracing::info!(target: "aksara_auth::token", token_id = self.id, "token revoked");
        Ok(deleted > 0)
    }

    /// Revokes every token of `user`; returns how many there were.
    ///
    /// # Errors
    /// A database error.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # use aksara_auth::token::{Token, TokenSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// Token::issue(&db, &user, &TokenSettings::default()).await?;
    /// assert_eq!(Token::revoke_all(&db, &user).await?, 1);
    /// # Ok(()) }
    /// ```
    pub async fn revoke_all<U: AuthUser>(
        db: &(impl Executor + ?Sized),
        user: &U,
    ) -> aksara::Result<u64> {
        let deleted = Token::objects()
            .filter(Token::USER_ID.eq(UserId::of(user)))
            .delete(db)
            .await?;
        tracing::info!(target: "aksara_auth::token", user_id = %user.id(), deleted, "all tokens of a user revoked");
        Ok(deleted)
    }

    /// Revokes every token of this token's user except this one (knox's "log out
    /// my other devices"); returns how many went.
    ///
    /// # Errors
    /// A database error.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # use aksara_auth::token::{Token, TokenSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let current = Token::issue(&db, &user, &TokenSettings::default()).await?;
    /// Token::issue(&db, &user, &TokenSettings::default()).await?;
    /// assert_eq!(current.token().revoke_others(&db).await?, 1);
    /// assert_eq!(Token::of_user(&db, &user).await?.len(), 1);
    /// # Ok(()) }
    /// ```
    pub async fn revoke_others(&self, db: &(impl Executor + ?Sized)) -> aksara::Result<u64> {
        let deleted = Token::objects()
            .filter(Token::USER_ID.eq(self.user_id))
            .filter(Token::ID.ne(self.id))
            .delete(db)
            .await?;
        tracing::info!(target: "aksara_auth::token", user_id = %self.user_id.0, deleted, "other tokens of a user revoked");
        Ok(deleted)
    }

    /// Deletes every expired token; returns how many.
    ///
    /// # Errors
    /// A database error.
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::token::Token;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// assert_eq!(Token::purge_expired(&db).await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn purge_expired(db: &(impl Executor + ?Sized)) -> aksara::Result<u64> {
        Token::objects()
            .filter(Token::EXPIRES_AT.lte(Utc::now()))
            .delete(db)
            .await
    }

    /// Runs [`purge_expired`](Self::purge_expired) every `every` (at least a
    /// second) until the handle is aborted; failures are logged and retried at
    /// the next tick.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let purge = aksara_auth::token::Token::spawn_purge_task(db, std::time::Duration::from_secs(3600));
    /// // … serve the app …
    /// purge.abort();
    /// # Ok(()) }
    /// ```
    #[must_use = "dropping the handle keeps the task running; keep it to stop the task"]
    pub fn spawn_purge_task(db: Db, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let period = every.max(std::time::Duration::from_secs(1));
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match Token::purge_expired(&db).await {
                    Ok(purged) => {
                        tracing::debug!(target: "aksara_auth::token", purged, "expired tokens purged");
                    }
                    Err(error) => {
                        tracing::warn!(target: "aksara_auth::token", %error, "purging expired tokens failed");
                    }
                }
            }
        })
    }

    /// Whether `key` is this token's key (constant time).
    fn matches(&self, key: &TokenKey) -> bool {
        use subtle::ConstantTimeEq as _;
        bool::from(self.digest.as_bytes().ct_eq(key.digest().as_bytes()))
    }
}

fn password_digest<U: AuthUser>(user: &U) -> String {
    crate::user::password_fingerprint(user, PASSWORD_LABEL)
}

/// Durations come from settings, at most a century: always in chrono's range.
fn to_chrono(duration: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::days(36_525))
}
