//! Password hashing, verification and validation.
//!
//! New passwords are hashed with argon2id (version 19) at the OWASP parameters
//! (19 MiB of memory, 2 iterations, 1 lane) unless another [`PasswordHasher`] is
//! [installed](PasswordHasher::install), and stored as a PHC string:
//! `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
//!
//! Verification also accepts the formats a Django project stores, so users can
//! move over without resetting their passwords:
//!
//! - `pbkdf2_sha256$<iterations>$<salt>$<hash>` (Django's default hasher);
//! - `argon2$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>` (Django's
//!   `Argon2PasswordHasher`, also its older `argon2i` hashes).
//!
//! A correct password stored in one of those formats, or at parameters other
//! than the current ones, verifies as [`Verification::ValidOutdated`], which
//! carries a fresh hash to store in place of the old one.
//!
//! # Performance
//!
//! One argon2id hash at the default parameters takes 20–30 ms of CPU. The async
//! methods ([`PasswordHasher::hash`], [`PasswordHasher::verify`], [`hash_password`],
//! [`check_password`]) therefore never run it on the async runtime: they queue it
//! for the hashing threads, one per CPU ([`std::thread::available_parallelism`]),
//! which bounds concurrent hashes like a semaphore would. Those threads run below
//! normal priority (nice 10 on Linux), so a flood of logins queues behind itself
//! instead of delaying other requests: measured on 2 cores, a trivial request's
//! p99 rose 27× during a login flood on Tokio's blocking pool and stays within 2×
//! here (see `BENCHMARKS.md`). Each thread keeps its argon2 working memory between
//! calls instead of mapping and faulting a fresh 19 MiB buffer for every hash,
//! which on its own halves throughput. The `*_blocking` variants compute on the
//! calling thread and are meant for scripts, tests and code already off the runtime.
//!
//! # Validation
//!
//! [`PasswordValidators`] checks a new password with Django's four validators:
//! [`MinimumLength`], [`UserAttributeSimilarity`], [`CommonPasswords`] and
//! [`NumericPassword`], and reports every failure at once.
//!
//! ```
//! use aksara_auth::password::{PasswordHash, PasswordHasher, Verification};
//!
//! let stored: PasswordHash = PasswordHasher::global().hash_blocking("correct horse");
//! assert!(stored.as_encoded().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
//! assert_eq!(
//!     PasswordHasher::global().verify_blocking("correct horse", &stored),
//!     Verification::Valid
//! );
//! ```

use std::fmt;

use subtle::ConstantTimeEq as _;

mod django;
mod hasher;
mod pool;
pub mod validators;

pub(crate) use hasher::Checked;
pub use hasher::{Argon2Params, PasswordHasher};
pub use validators::{
    CommonPasswords, MinimumLength, NumericPassword, PasswordValidator, PasswordValidators,
    UserAttributeSimilarity,
};

/// The longest password accepted, in bytes (as OWASP's 64-character minimum
/// for the maximum, with room for passphrases). A login with a longer one is
/// refused after one dummy hash, like a wrong password, without the input
/// being copied to the hashing threads; [`validate_password`](crate::validate_password)
/// rejects it as a new password.
///
/// ```
/// assert_eq!(aksara_auth::password::MAX_PASSWORD_BYTES, 4096);
/// ```
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// The largest request body a route that takes credentials needs, in bytes
/// (32 KiB): a [`MAX_PASSWORD_BYTES`] password even when every byte is a JSON
/// `\u00XX` escape, an email and a few other fields.
///
/// ```
/// assert_eq!(aksara_auth::password::CREDENTIALS_BODY_LIMIT, 32 * 1024);
/// ```
pub const CREDENTIALS_BODY_LIMIT: usize = 32 * 1024;

/// The body limit for routes that take a password (login, registration, password
/// change): [`CREDENTIALS_BODY_LIMIT`] bytes instead of axum's 2 MB, so that
/// many clients posting huge passwords at once hold kilobytes each, not
/// megabytes, while their logins wait for the hashing threads. A larger body is
/// refused before the handler runs with `413 payload_too_large`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// use axum::body::Body;
/// use axum::http::{Request, StatusCode};
/// use tower::ServiceExt;
///
/// async fn login_view(aksara::Json(body): aksara::Json<serde_json::Value>) -> StatusCode {
///     StatusCode::NO_CONTENT
/// }
/// let db = aksara::Db::connect("sqlite::memory:").await?;
/// let app = aksara::Aksara::new(db)
///     .route(
///         "/auth/login",
///         axum::routing::post(login_view).layer(aksara_auth::password::credentials_body_limit()),
///     )
///     .into_service();
/// let huge = format!(r#"{{"email":"a@example.com","password":"{}"}}"#, "x".repeat(100_000));
/// let request = Request::post("/auth/login")
///     .header("content-type", "application/json")
///     .body(Body::from(huge))
///     .unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
/// # Ok(()) }
/// ```
pub fn credentials_body_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(CREDENTIALS_BODY_LIMIT)
}

/// Prefix Django gives an unusable password (`UNUSABLE_PASSWORD_PREFIX`).
const UNUSABLE_PREFIX: char = '!';
/// Random characters after the prefix (`UNUSABLE_PASSWORD_SUFFIX_LENGTH`).
const UNUSABLE_SUFFIX_LEN: usize = 40;
/// The characters of Django's `get_random_string`.
const RANDOM_ALPHABET: &[u8; 62] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A stored password hash, as its encoded text.
///
/// It holds the PHC string this crate writes
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), one of the Django formats
/// listed in the [module documentation](self), or an unusable marker. The text is
/// not checked on construction: a malformed hash simply never verifies.
///
/// [`Debug`] and [`Display`](fmt::Display) print `PasswordHash(**redacted**)`, so
/// a hash cannot reach a log through a `{:?}` of a struct that contains it.
/// Equality compares in constant time.
///
/// `PasswordHash` implements neither `serde::Serialize` nor `serde::Deserialize`
/// on purpose: a `#[derive(Serialize)]` on a user type that holds one then fails
/// to compile instead of putting the hash into an API response. Storage code
/// converts explicitly with [`as_encoded`](Self::as_encoded) and
/// [`from_encoded`](Self::from_encoded).
///
/// ```
/// use aksara_auth::password::PasswordHash;
///
/// let stored = PasswordHash::from_encoded("pbkdf2_sha256$1000$salt$c2VjcmV0");
/// assert_eq!(format!("{stored:?}"), "PasswordHash(**redacted**)");
/// assert_eq!(stored.to_string(), "PasswordHash(**redacted**)");
/// assert_eq!(stored.as_encoded(), "pbkdf2_sha256$1000$salt$c2VjcmV0");
/// ```
#[derive(Clone, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps an encoded hash read from storage.
    ///
    /// ```
    /// use aksara_auth::password::PasswordHash;
    ///
    /// let stored = PasswordHash::from_encoded(String::from("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"));
    /// assert!(stored.is_usable());
    /// ```
    #[must_use]
    pub fn from_encoded(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The encoded text, for writing to storage.
    ///
    /// ```
    /// use aksara_auth::password::PasswordHash;
    ///
    /// let stored = PasswordHash::from_encoded("!unusable");
    /// assert_eq!(stored.as_encoded(), "!unusable");
    /// ```
    #[must_use]
    pub fn as_encoded(&self) -> &str {
        &self.0
    }

    /// Whether any password can match: `false` for the empty string and for
    /// Django's unusable passwords (those starting with `!`).
    ///
    /// ```
    /// use aksara_auth::password::PasswordHash;
    ///
    /// assert!(!PasswordHash::from_encoded("").is_usable());
    /// assert!(!PasswordHash::from_encoded("!hRzTpm5w").is_usable());
    /// assert!(!PasswordHash::unusable().is_usable());
    /// assert!(PasswordHash::from_encoded("pbkdf2_sha256$1000$salt$c2VjcmV0").is_usable());
    /// ```
    #[must_use]
    pub fn is_usable(&self) -> bool {
        !self.0.is_empty() && !self.0.starts_with(UNUSABLE_PREFIX)
    }

    /// A hash no password matches, like Django's `set_unusable_password`: `!`
    /// followed by 40 random letters and digits.
    ///
    /// Should the operating system's random number generator fail, the marker is
    /// the bare `!`, which is just as unusable.
    ///
    /// ```
    /// use aksara_auth::password::PasswordHash;
    ///
    /// let stored = PasswordHash::unusable();
    /// assert!(!stored.is_usable());
    /// assert_eq!(stored.as_encoded().len(), 41);
    /// assert_ne!(stored, PasswordHash::unusable());
    /// ```
    #[must_use]
    pub fn unusable() -> Self {
        let mut encoded = String::with_capacity(1 + UNUSABLE_SUFFIX_LEN);
        encoded.push(UNUSABLE_PREFIX);
        let mut random = [0_u8; 64];
        while encoded.len() <= UNUSABLE_SUFFIX_LEN {
            if getrandom::fill(&mut random).is_err() {
                tracing::warn!("random number generator failed; unusable password marker is `!`");
                return Self(UNUSABLE_PREFIX.to_string());
            }
            // Rejection sampling: 248 = 4 * 62, so every character is equally likely.
            for &byte in random.iter().filter(|&&byte| byte < 248) {
                if encoded.len() > UNUSABLE_SUFFIX_LEN {
                    break;
                }
                encoded.push(char::from(
                    RANDOM_ALPHABET[usize::from(byte) % RANDOM_ALPHABET.len()],
                ));
            }
        }
        Self(encoded)
    }
}

impl PartialEq for PasswordHash {
    /// Constant-time comparison of the encoded texts (their lengths may leak).
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(**redacted**)")
    }
}

impl fmt::Display for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(**redacted**)")
    }
}

/// The outcome of checking a password against a stored hash.
///
/// ```
/// use aksara_auth::password::{Argon2Params, PasswordHasher, Verification};
///
/// # fn main() -> Result<(), aksara_auth::password::PasswordError> {
/// let old = PasswordHasher::new(Argon2Params { memory_kib: 64, iterations: 1, parallelism: 1 })?;
/// let new = PasswordHasher::new(Argon2Params { memory_kib: 128, iterations: 1, parallelism: 1 })?;
/// let stored = old.hash_blocking("correct horse");
///
/// match new.verify_blocking("correct horse", &stored) {
///     Verification::Valid => {}
///     Verification::ValidOutdated(rehashed) => {
///         // Store `rehashed` in place of `stored`.
///         assert_eq!(new.verify_blocking("correct horse", &rehashed), Verification::Valid);
///     }
///     Verification::Invalid => unreachable!("the password is correct"),
/// }
/// assert_eq!(new.verify_blocking("wrong", &stored), Verification::Invalid);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Verification {
    /// The password is correct and the hash is current.
    Valid,
    /// The password is correct, but the hash is in an older format (Django's, or
    /// argon2i) or at other parameters than the hasher's. The hash carried here is
    /// the same password hashed at the current parameters: store it.
    ValidOutdated(PasswordHash),
    /// The password is wrong, or the stored hash is unusable, malformed or in an
    /// unsupported format.
    Invalid,
}

impl Verification {
    /// Whether the password is correct (current or outdated hash alike).
    ///
    /// ```
    /// use aksara_auth::password::{PasswordHash, Verification};
    ///
    /// assert!(Verification::Valid.is_valid());
    /// assert!(Verification::ValidOutdated(PasswordHash::from_encoded("$argon2id$…")).is_valid());
    /// assert!(!Verification::Invalid.is_valid());
    /// ```
    #[must_use]
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid | Self::ValidOutdated(_))
    }
}

/// Why hashing could not happen or a hasher could not be set up.
///
/// A wrong password or a malformed stored hash is not an error: it is
/// [`Verification::Invalid`].
///
/// ```
/// use aksara_auth::password::{Argon2Params, PasswordError, PasswordHasher};
///
/// let err = PasswordHasher::new(Argon2Params { memory_kib: 1, iterations: 0, parallelism: 1 })
///     .unwrap_err();
/// assert!(matches!(err, PasswordError::InvalidParams(_)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The argon2 parameters are out of range, either for argon2 itself or above
    /// this crate's limits (1 GiB of memory, 64 iterations, 64 lanes).
    #[error("invalid argon2 parameters: {0}")]
    InvalidParams(String),
    /// The hashing job panicked, or the hashing threads could not be started.
    #[error("password hashing task failed: {0}")]
    Join(String),
    /// [`PasswordHasher::install`] was called after a hasher was installed, or
    /// after [`PasswordHasher::global`] had already fixed the default.
    #[error("a process-wide password hasher is already installed")]
    AlreadyInstalled,
    /// Too many password checks are waiting (the hashing queue is full), or
    /// this one waited past its deadline: the server is overloaded with logins.
    #[error("password hashing is overloaded: {0}")]
    Busy(&'static str),
}

impl From<PasswordError> for aksara::ApiError {
    /// A hashing job that failed or threads that could not start are a logged
    /// `503` (try again); a configuration mistake is a logged `500`. Neither
    /// shows the client any detail.
    ///
    /// ```
    /// use aksara_auth::password::PasswordError;
    /// let api = aksara::ApiError::from(PasswordError::Join("worker gone".into()));
    /// assert_eq!(api.status(), 503);
    /// assert!(!api.message().contains("worker"));
    ///
    /// let busy = aksara::ApiError::from(PasswordError::Busy("queue full"));
    /// assert_eq!(busy.status(), 503);
    /// assert_eq!(busy.code(), "hashing_busy");
    /// ```
    fn from(error: PasswordError) -> Self {
        if let PasswordError::Busy(reason) = error {
            // A flood of logins, not a fault: answered at once so clients back off.
            tracing::warn!(target: "aksara_auth::password", reason, "password check refused: hashing is overloaded");
            return aksara::ApiError::service_unavailable(
                "too many password checks are in progress; try again shortly",
            )
            .with_code("hashing_busy")
            .with_header(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("1"),
            );
        }
        tracing::error!(target: "aksara_auth::password", %error, "password hashing failed");
        match error {
            PasswordError::Join(_) => aksara::ApiError::service_unavailable(
                "password checks are unavailable; try again shortly",
            )
            .with_code("hashing_unavailable")
            .with_header(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("1"),
            ),
            PasswordError::InvalidParams(_)
            | PasswordError::AlreadyInstalled
            | PasswordError::Busy(_) => aksara::ApiError::internal(),
        }
    }
}

/// A candidate password that breaks one or more validation rules: every
/// message, in the validators' order. Returned by
/// [`validate_password`](crate::validate_password); with `?` in a handler it
/// becomes a `400 validation_error` whose `fields` holds the messages under
/// `password`.
///
/// ```
/// use aksara_auth::User;
/// let invalid = aksara_auth::validate_password::<User>("1234567", None).unwrap_err();
/// assert_eq!(invalid.messages().len(), 3);
/// let api = aksara::ApiError::from(invalid);
/// assert_eq!(api.status(), 400);
/// assert_eq!(api.fields().unwrap().get("password").unwrap().len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPassword {
    messages: Vec<String>,
}

impl InvalidPassword {
    /// Wraps the failed rules' messages (at least one).
    ///
    /// ```
    /// let invalid = aksara_auth::password::InvalidPassword::new(vec!["Too short.".into()]);
    /// assert_eq!(invalid.messages(), ["Too short."]);
    /// ```
    #[must_use]
    pub fn new(messages: Vec<String>) -> Self {
        Self { messages }
    }

    /// One message per failed rule.
    ///
    /// ```
    /// # use aksara_auth::User;
    /// let invalid = aksara_auth::validate_password::<User>("password", None).unwrap_err();
    /// assert!(invalid.messages().contains(&"This password is too common.".to_owned()));
    /// ```
    #[must_use]
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// The messages under the field name `field` (for a form whose password
    /// field is called something else, such as `new_password`).
    ///
    /// ```
    /// # use aksara_auth::User;
    /// let invalid = aksara_auth::validate_password::<User>("password", None).unwrap_err();
    /// assert!(invalid.into_validation_errors("new_password").get("new_password").is_some());
    /// ```
    #[must_use]
    pub fn into_validation_errors(self, field: &str) -> aksara::ValidationErrors {
        let mut errors = aksara::ValidationErrors::default();
        for message in self.messages {
            errors.add(field, message);
        }
        errors
    }
}

impl fmt::Display for InvalidPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.messages.join(" "))
    }
}

impl std::error::Error for InvalidPassword {}

impl From<InvalidPassword> for aksara::ApiError {
    fn from(invalid: InvalidPassword) -> Self {
        aksara::ApiError::validation(invalid.into_validation_errors("password"))
    }
}

impl From<InvalidPassword> for aksara::Error {
    /// [`aksara::Error::Validation`] with the messages under `password`.
    fn from(invalid: InvalidPassword) -> Self {
        aksara::Error::Validation(invalid.into_validation_errors("password"))
    }
}

/// Hashes a password with the [process-wide hasher](PasswordHasher::global), on
/// the hashing threads.
///
/// # Errors
///
/// [`PasswordError::Join`] if the hashing job panicked or the hashing threads could not start.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), aksara_auth::password::PasswordError> {
/// use aksara_auth::password::{check_password, hash_password};
///
/// let stored = hash_password("correct horse").await?;
/// assert!(check_password("correct horse", &stored).await);
/// # Ok(())
/// # }
/// ```
pub async fn hash_password(raw: &str) -> Result<PasswordHash, PasswordError> {
    PasswordHasher::global().hash(raw).await
}

/// Hashes a password with the [process-wide hasher](PasswordHasher::global) on
/// the calling thread. Do not call it on an async runtime thread.
///
/// # Panics
///
/// If the operating system's random number generator fails.
///
/// ```
/// use aksara_auth::password::{check_password_blocking, hash_password_blocking};
///
/// let stored = hash_password_blocking("correct horse");
/// assert!(check_password_blocking("correct horse", &stored));
/// ```
#[must_use]
pub fn hash_password_blocking(raw: &str) -> PasswordHash {
    PasswordHasher::global().hash_blocking(raw)
}

/// Whether `raw` matches `stored`, using the [process-wide
/// hasher](PasswordHasher::global) on the hashing threads.
///
/// `false` for a wrong password, an unusable or malformed hash, and on any error.
/// An outdated hash is still a match, but its replacement is dropped: call
/// [`PasswordHasher::verify`] to upgrade stored hashes.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use aksara_auth::password::{PasswordHash, check_password};
///
/// // A hash Django 5.2 wrote (PBKDF2-SHA256 at 1000 iterations).
/// let stored = PasswordHash::from_encoded(
///     "pbkdf2_sha256$1000$aCBuZUIc22dhsjEOmPpeag$UTjsjIpKWadSqusEjNvlW2AkvtKB/VYX2vWsQg9ciBQ=",
/// );
/// assert!(check_password("correct horse", &stored).await);
/// assert!(!check_password("wrong horse", &stored).await);
/// # }
/// ```
pub async fn check_password(raw: &str, stored: &PasswordHash) -> bool {
    match PasswordHasher::global().verify(raw, stored).await {
        Ok(verification) => verification.is_valid(),
        Err(error) => {
            tracing::error!(%error, "password check failed");
            false
        }
    }
}

/// Whether `raw` matches `stored`, using the [process-wide
/// hasher](PasswordHasher::global) on the calling thread. Do not call it on an
/// async runtime thread.
///
/// `false` for a wrong password and for an unusable or malformed hash.
///
/// ```
/// use aksara_auth::password::{PasswordHash, check_password_blocking};
///
/// assert!(!check_password_blocking("", &PasswordHash::from_encoded("")));
/// assert!(!check_password_blocking("x", &PasswordHash::unusable()));
/// ```
#[must_use]
pub fn check_password_blocking(raw: &str, stored: &PasswordHash) -> bool {
    PasswordHasher::global()
        .verify_blocking(raw, stored)
        .is_valid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_hash() {
        let stored = PasswordHash::from_encoded(
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$k9ohroejZy1PN5E1SbHNPug6vB8eQAahb5SOAp6iGF4",
        );
        for text in [
            format!("{stored:?}"),
            format!("{stored:#?}"),
            stored.to_string(),
            format!("{:?}", Verification::ValidOutdated(stored.clone())),
        ] {
            assert!(text.contains("**redacted**"), "{text}");
            assert!(!text.contains("argon2"), "{text}");
            assert!(!text.contains("c29tZXNhbHRzb21lc2FsdA"), "{text}");
            assert!(!text.contains("k9ohro"), "{text}");
        }
    }

    #[test]
    fn equality_compares_the_text() {
        let a = PasswordHash::from_encoded("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA");
        assert_eq!(a, a.clone());
        assert_ne!(
            a,
            PasswordHash::from_encoded("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaB")
        );
        assert_ne!(a, PasswordHash::from_encoded(""));
    }

    #[test]
    fn unusable_is_django_shaped() {
        let stored = PasswordHash::unusable();
        let encoded = stored.as_encoded();
        assert_eq!(encoded.len(), 41);
        assert!(encoded.starts_with('!'));
        assert!(encoded[1..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(!stored.is_usable());
        assert_eq!(
            PasswordHasher::global().verify_blocking("", &stored),
            Verification::Invalid
        );
    }

    #[test]
    fn usability() {
        assert!(!PasswordHash::from_encoded("").is_usable());
        assert!(!PasswordHash::from_encoded("!").is_usable());
        assert!(PasswordHash::from_encoded("garbage").is_usable());
    }

    #[tokio::test]
    async fn free_functions_use_the_global_hasher() {
        let stored = hash_password("correct horse").await.unwrap();
        assert!(
            stored
                .as_encoded()
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
        );
        assert!(check_password("correct horse", &stored).await);
        assert!(!check_password("correct horsf", &stored).await);
        assert!(check_password_blocking("correct horse", &stored));
        assert!(!check_password_blocking("", &stored));
    }
}
