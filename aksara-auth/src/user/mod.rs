//! The user side of authentication: the [`AuthUser`] trait that `#[auth_user]`
//! implements, email normalisation, and the swappable `"auth.user"` slot.
//!
//! ## Which user model the app uses
//!
//! An application has exactly one user model. `#[auth_user]` registers its struct
//! as the filler of the `"auth.user"` [slot](aksara::SlotRegistration); the
//! built-in [`User`](crate::User) registers itself as the slot's *default*. When
//! the application declares its own `#[auth_user]` model, the built-in one is left
//! out of [`registered_models`](aksara::registered_models) and so out of
//! `db.migrate()`: the two never both claim a table. The auth crate's own tables
//! (sessions, tokens, …) point their foreign keys at
//! [`user_model()`], the model that fills the slot. Two `#[auth_user]` models in
//! one program make `migrate()` fail with a message naming both.

mod cache;
mod field;

pub use cache::UserCache;
pub use field::UserId;

/// A digest of `user`'s password hash under `label`: it ties a credential (a
/// session, a token) to the password it was issued under, so a new password ends
/// it. Unkeyed: telling a guess from it needs the hash's salt, which only the
/// database holds, and the hash's own work. A rehash at login (outdated
/// parameters) changes it too, which ends the user's other sessions and tokens,
/// as Django's session auth hash does.
pub(crate) fn password_fingerprint<U: AuthUser>(user: &U, label: &[u8]) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut digest = sha2::Sha256::new();
    digest.update(label);
    digest.update(user.password_hash().as_encoded().as_bytes());
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest.finalize())
}

use std::future::Future;

use aksara::{Column, Model};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::password::{PasswordError, PasswordHash, PasswordHasher};

/// The slot that the application's user model fills.
pub const USER_SLOT: &str = "auth.user";

/// The metadata of the application's user model (its own `#[auth_user]` struct, or
/// the built-in [`User`](crate::User)).
///
/// # Errors
/// [`aksara::Error::Schema`] when two `#[auth_user]` models exist.
///
/// ```
/// let meta = aksara_auth::user_model().unwrap();
/// assert_eq!(meta.table, "auth_users"); // the built-in model, as this doctest declares none
/// ```
pub fn user_model() -> aksara::Result<&'static aksara::ModelMeta> {
    aksara::slot_model(USER_SLOT)
}

/// Checks that `U` is the application's user model, so that a layer, extractor
/// or `authenticate` written for another model (typically the built-in
/// [`User`](crate::User) where the app declares its own) fails where it is set up,
/// with both types named, instead of failing every request on a missing table.
///
/// # Errors
/// [`aksara::Error::Schema`] naming `U` and the declared model, or the two
/// `#[auth_user]` models that both claim the slot.
///
/// ```
/// // This doctest declares no `#[auth_user]` model, so the built-in one is the user model.
/// aksara_auth::ensure_user_model::<aksara_auth::User>("my check").unwrap();
/// ```
pub fn ensure_user_model<U: AuthUser>(used_by: &str) -> aksara::Result<()> {
    let declared = user_model()?;
    if std::ptr::eq(declared, U::META) {
        return Ok(());
    }
    Err(aksara::Error::Schema(format!(
        "{used_by} is written for the user model `{used}` (table `{used_table}`), but this \
         application's user model is `{declared_name}` (table `{declared_table}`, declared with \
         #[auth_user]): name your model there, e.g. `{used_by_short}::<crate::models::{declared_name}>`, \
         and import it with `use` (aksara_auth::prelude does not bring a `User`)",
        used = std::any::type_name::<U>(),
        used_table = U::META.table,
        declared_name = declared.name,
        declared_table = declared.table,
        used_by_short = used_by.split('<').next().unwrap_or(used_by),
    )))
}

/// A user model: implemented by `#[auth_user]`, which also injects the fields these
/// methods read (`id`, `email`, `password`, `is_active`, `is_staff`,
/// `is_superuser`, `email_verified`, `created_at`, `last_login`).
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// db.migrate().await?;
/// let mut user = User::objects().create().email("jane@example.com").password("a long passphrase").exec(&db).await?;
/// assert!(user.check_password("a long passphrase").await);
/// user.set_password("another passphrase").await.unwrap();
/// user.save(&db).await?;
/// assert!(!user.check_password("a long passphrase").await);
/// # Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a user model",
    label = "not an `#[auth_user]` model",
    note = "declare the user model with `#[auth_user]` (or use `aksara_auth::User`)"
)]
pub trait AuthUser: Model<PrimaryKey = Uuid> {
    /// The column users log in with (`email`, or `username` with
    /// `#[auth_user(login_field = "username")]`).
    const LOGIN_FIELD: Column<Self, String>;
    /// Whether the login field is the email (compared case-insensitively).
    const LOGIN_IS_EMAIL: bool;
    /// The `email` column.
    const EMAIL_FIELD: Column<Self, String>;
    /// The `password` column.
    const PASSWORD_FIELD: Column<Self, PasswordHash>;
    /// The `is_active` column.
    const IS_ACTIVE_FIELD: Column<Self, bool>;
    /// The `email_verified` column.
    const EMAIL_VERIFIED_FIELD: Column<Self, bool>;
    /// The `last_login` column.
    const LAST_LOGIN_FIELD: Column<Self, Option<DateTime<Utc>>>;

    /// The primary key.
    fn id(&self) -> Uuid;
    /// The value of the login field.
    fn login(&self) -> &str;
    /// The email address.
    fn email(&self) -> &str;
    /// The stored password hash.
    fn password_hash(&self) -> &PasswordHash;
    /// Replaces the stored hash (in memory; `save` writes it).
    fn set_password_hash(&mut self, hash: PasswordHash);
    /// May log in.
    fn is_active(&self) -> bool;
    /// May use staff-only views.
    fn is_staff(&self) -> bool;
    /// Has every permission.
    fn is_superuser(&self) -> bool;
    /// Confirmed their email address.
    fn email_verified(&self) -> bool;
    /// The last successful login.
    fn last_login(&self) -> Option<DateTime<Utc>>;
    /// Sets `last_login` (in memory).
    fn set_last_login(&mut self, at: Option<DateTime<Utc>>);
    /// The text attributes a password must not resemble (`email`, `username`,
    /// and the user's own `name`, `first_name`, `last_name` fields), by name.
    fn similarity_attributes(&self) -> Vec<(&'static str, &str)>;

    /// Always true: a loaded user is authenticated (anonymous requests have none).
    fn is_authenticated(&self) -> bool {
        true
    }

    /// Whether `raw` is this user's password (verification on the hashing threads).
    fn check_password(&self, raw: &str) -> impl Future<Output = bool> + Send {
        let stored = self.password_hash().clone();
        let raw = raw.to_owned();
        async move { crate::password::check_password(&raw, &stored).await }
    }

    /// [`check_password`](AuthUser::check_password) for synchronous code (blocks
    /// the calling thread for the verification).
    fn check_password_blocking(&self, raw: &str) -> bool {
        crate::password::check_password_blocking(raw, self.password_hash())
    }

    /// Hashes `raw` on the hashing threads and keeps the hash (in memory; `save`
    /// writes it).
    ///
    /// # Errors
    /// [`PasswordError`] when the hashing job fails.
    fn set_password(
        &mut self,
        raw: &str,
    ) -> impl Future<Output = Result<(), PasswordError>> + Send {
        let raw = raw.to_owned();
        async move {
            let hash = PasswordHasher::global().hash(&raw).await?;
            self.set_password_hash(hash);
            Ok(())
        }
    }

    /// [`set_password`](AuthUser::set_password) for synchronous code.
    fn set_password_blocking(&mut self, raw: &str) {
        self.set_password_hash(PasswordHasher::global().hash_blocking(raw));
    }

    /// Marks the password unusable (no password logs in), as Django's
    /// `set_unusable_password`.
    fn set_unusable_password(&mut self) {
        self.set_password_hash(PasswordHash::unusable());
    }
}

/// Normalises an email address as it is stored: surrounding whitespace removed and
/// the domain lower-cased (the local part is kept: some mail servers distinguish it).
///
/// ```
/// assert_eq!(aksara_auth::normalize_email("  Jane.Doe@Example.COM "), "Jane.Doe@example.com");
/// assert_eq!(aksara_auth::normalize_email("no-at-sign"), "no-at-sign");
/// ```
#[must_use]
pub fn normalize_email(raw: &str) -> String {
    let trimmed = raw.trim();
    match trimmed.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_lowercase()),
        None => trimmed.to_owned(),
    }
}

static VALIDATORS: std::sync::OnceLock<crate::password::PasswordValidators> =
    std::sync::OnceLock::new();

/// Replaces the process-wide password validators used by [`validate_password`]
/// (Django's `AUTH_PASSWORD_VALIDATORS`). Call it once at start-up.
///
/// # Errors
/// Gives the validators back when validation already ran or validators were
/// installed before.
///
/// ```
/// use aksara_auth::password::{MinimumLength, PasswordValidators};
/// let strict = PasswordValidators::new().with(MinimumLength { min_length: 12 });
/// assert!(aksara_auth::install_password_validators(strict).is_ok());
/// ```
pub fn install_password_validators(
    validators: crate::password::PasswordValidators,
) -> Result<(), crate::password::PasswordValidators> {
    VALIDATORS.set(validators)
}

/// Checks a candidate password against every installed validator (by default
/// Django's four: minimum length 8, common passwords, entirely numeric, too similar
/// to the user's email or name) and returns every failure, not only the first.
///
/// # Errors
/// [`InvalidPassword`](crate::password::InvalidPassword), one message per failed
/// rule; `?` turns it into a `400` with the messages under `password`.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// let errors = validate_password::<User>("1234567", None).unwrap_err();
/// assert_eq!(errors.messages().len(), 3); // too short, too common, entirely numeric
/// assert!(validate_password::<User>("correct horse battery staple", None).is_ok());
/// ```
pub fn validate_password<U: AuthUser>(
    candidate: &str,
    user: Option<&U>,
) -> Result<(), crate::password::InvalidPassword> {
    if candidate.len() > crate::password::MAX_PASSWORD_BYTES {
        // Checked before any validator: they compare the text with lists and
        // attributes, which a megabyte-long input would make slow.
        return Err(crate::password::InvalidPassword::new(vec![format!(
            "This password is too long: it may have at most {} bytes.",
            crate::password::MAX_PASSWORD_BYTES
        )]));
    }
    let attributes = user
        .map(AuthUser::similarity_attributes)
        .unwrap_or_default();
    VALIDATORS
        .get_or_init(crate::password::PasswordValidators::default)
        .validate(candidate, &attributes)
        .map_err(crate::password::InvalidPassword::new)
}
