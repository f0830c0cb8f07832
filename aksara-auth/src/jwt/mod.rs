//! JSON Web Tokens: signed access and refresh tokens for API clients, and
//! [`JwtAuthentication`], the authenticator that accepts an access token in
//! `Authorization: Bearer …`.
//!
//! [`Jwt`] holds the keys and the rules from the `[jwt]` section
//! ([`JwtSettings`]). Tokens carry `sub` (the user's id), `email`, `exp`, `iat`,
//! a random `jti`, `token_type` (`access` or `refresh`), `iss`/`aud` when
//! configured, `ver` (a digest of the user's password hash, so a new password
//! ends every token issued before it) and any claims of the application's own.
//!
//! Decoding pins the configured algorithm and refuses, as the holes other JWT
//! libraries have had taught: `alg: none`; another algorithm than the configured
//! one (so an HMAC token is never checked against an RSA public key); headers
//! that point at keys (`jku`, `jwk`, `x5u`, `x5c`) or name one (`kid`: this
//! crate signs without one); a missing `exp`, `sub` or `jti`; an `iss` or `aud`
//! other than the configured ones (or any `aud` when none is); a refresh token
//! where an access token is expected, or the reverse; and tokens over 8 KiB.
//! The signature is checked before any other part of the token is read
//! (`jwt/verify.rs`); `jsonwebtoken` signs, and checks key-pair signatures.
//!
//! ```
//! use aksara_auth::jwt::{Jwt, JwtAlgorithm, TokenType};
//! use aksara_auth::prelude::*;
//! use aksara_auth::User;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = Db::connect("sqlite::memory:").await?;
//! db.migrate().await?; // creates auth_refresh_tokens and auth_revoked_tokens too
//! let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
//!
//! let jwt = Jwt::hmac(JwtAlgorithm::Hs256, b"a 32-byte secret, or longer: ok!!")?;
//! let login = jwt.issue_pair(&db, &user).await?; // at login: access + refresh
//! let claims = jwt.decode(&login.access, TokenType::Access)?;
//! assert_eq!(claims.sub, user.id.to_string());
//! assert_eq!(claims.email, "jane@example.com");
//!
//! // A refresh token is not an access token.
//! assert!(jwt.decode(&login.refresh, TokenType::Access).is_err());
//!
//! // POST /token/refresh: a new pair; the old refresh token is used up.
//! let next = jwt.refresh::<User>(&db, &login.refresh).await?;
//! // POST /logout: the login ends, its refresh and access tokens with it.
//! jwt.revoke(&db, &next.access).await?;
//! assert!(jwt.refresh::<User>(&db, &next.refresh).await.is_err());
//! # Ok(()) }
//! ```
//!
//! ## Refresh tokens: rotation and reuse detection
//!
//! Every refresh token has a row in `auth_refresh_tokens` (created by
//! `db.migrate()`): its `jti`, its user (a real foreign key, `ON DELETE
//! CASCADE`: a deleted user's rows go with them), its *family* (shared by every
//! token rotated from one login), the access token issued with it, its expiry,
//! and when it was used or revoked. [`Jwt::issue_pair`] (or
//! [`Jwt::create_refresh_token`]) starts a family.
//!
//! With rotation (`[jwt] rotate_refresh_tokens`, on by default),
//! [`Jwt::refresh`] accepts a refresh token once. One conditional statement
//! decides, `UPDATE auth_refresh_tokens SET used_at = ? WHERE jti = ? AND used_at
//! IS NULL AND revoked_at IS NULL AND expires_at > ?`, by its affected-row count,
//! and the successor is inserted in the same transaction. The database
//! serialises writes to one row (SQLite's write lock; PostgreSQL's and InnoDB's
//! row locks, the waiting `UPDATE` re-checking its condition once the first
//! commits), so of any number of concurrent refreshes with one token exactly one
//! succeeds, on every backend; nothing is read first to decide. (MySQL/MariaDB
//! may pick a waiting refresh as a deadlock victim; it runs again and finds the
//! token used.)
//!
//! A *used* token presented again means two parties hold it — the client and
//! someone who copied it — and one of them holds its successor. Which one cannot
//! be told, so its whole family is revoked, with the access tokens issued with
//! it, and a warning logged (the user's id and the family's; never a token).
//! Clients must therefore refresh one request at a time: two concurrent refreshes
//! with one token end the login. Without rotation a refresh token gives access
//! tokens until it expires or is revoked. Each rotation gives the new refresh
//! token a full `refresh_ttl`, as simplejwt does.
//!
//! ## Revocation and how fast other instances see it
//!
//! [`Jwt::revoke`] (logout, with the access or the refresh token) revokes the
//! token's login: its family's refresh tokens, and the `jti`s of its access
//! tokens until they expire, in `auth_revoked_tokens`; an access token that
//! belongs to no login is revoked by its `jti`. [`Jwt::revoke_user`] does it for
//! every login of a user.
//!
//! [`JwtAuthentication`] refuses a revoked access token without a database read
//! per request: each [`Jwt`] (clones share it) keeps the revoked `jti`s in
//! memory. The instance that revokes adds them at once; every other instance
//! re-reads the table when its copy is older than `[jwt] revocation_interval`
//! (1 second by default), with one `SELECT … WHERE revoked_at > ?` made by the
//! first request after the interval (the others go on with the copy meanwhile).
//! **A revocation therefore reaches another instance within the interval plus
//! one query**, and an instance reads the table at most once per interval however
//! many requests it serves. Each read looks back 5 seconds before the previous
//! one, so machines whose clocks disagree by less than that miss nothing.
//!
//! Give handlers that revoke a clone of the `Jwt` the authenticator holds:
//! two `Jwt`s built separately in one process have two copies, which learn of
//! each other's revocations only through the table.
//!
//! A password change or reset, a deactivation or a deletion ends every access
//! and refresh token of the user without any of this: the `ver` claim no longer
//! matches, or the user lookup fails (a refresh always reads the user; an access
//! token within the [`UserCache`](crate::UserCache)'s time to live, one second
//! by default, on instances other than the one that made the change).
//!
//! Expired rows of both tables are deleted by [`purge_expired`]; start
//! [`spawn_purge_task`] at start-up, as for sessions.

mod authentication;
mod refresh;
mod revocation;
mod settings;
mod verify;

pub use authentication::JwtAuthentication;
pub(crate) use authentication::is_jwt_shaped;
pub use refresh::TokenPair;
pub use revocation::{purge_expired, spawn_purge_task};
pub use settings::{JwtAlgorithm, JwtSettings};

use revocation::RevocationList;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{KeyInit as _, Mac as _};
use jsonwebtoken::{DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use verify::{Rules, SignatureCheck};

use crate::AuthUser;

/// The longest token [`Jwt::decode`] reads; a larger `Authorization` header is
/// refused before any decoding.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// What a token is for. A token of one type is never accepted as the other.
///
/// ```
/// use aksara_auth::jwt::TokenType;
/// assert_eq!(serde_json::to_string(&TokenType::Refresh).unwrap(), "\"refresh\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// Proves who is calling, for a few minutes (`access_ttl`).
    Access,
    /// Obtains new access tokens, for longer (`refresh_ttl`).
    Refresh,
}

/// The verified claims of a token, as handlers see them through
/// [`Authentication::info`](crate::authentication::Authentication::info) (or
/// [`RequestUser`](crate::RequestUser)'s authentication) after
/// [`JwtAuthentication`] accepted the request.
///
/// ```
/// # use aksara_auth::jwt::{Jwt, JwtAlgorithm, TokenType};
/// # use aksara_auth::{prelude::*, User};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # db.migrate().await?;
/// # let user = User::objects().create().email("ann@example.com").password("correct horse").exec(&db).await?;
/// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32])?;
/// let token = jwt.access_token_with(&user, serde_json::json!({ "roles": ["editor"] }))?;
/// let claims = jwt.decode(&token, TokenType::Access)?;
/// assert_eq!(claims.extra["roles"], serde_json::json!(["editor"]));
/// assert_eq!(claims.token_type, TokenType::Access);
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// The user's email when the token was issued.
    pub email: String,
    /// Expiry, in seconds since the Unix epoch.
    pub exp: u64,
    /// Issue time, in seconds since the Unix epoch.
    pub iat: u64,
    /// The token's unique id (128 random bits, hex).
    pub jti: String,
    /// Access or refresh.
    pub token_type: TokenType,
    /// Ties the token to the user's password: a digest of the password hash.
    pub ver: String,
    /// The issuer, when `[jwt] issuer` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The audience, when `[jwt] audience` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The application's own claims.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Read by hand rather than derived: `#[serde(flatten)]` buffers every field
/// before reading it, and this runs on every JWT request. The rules are the
/// derive's: each claim at most once, the ones without a default required, the
/// others kept in `extra`.
impl<'de> Deserialize<'de> for Claims {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ClaimsVisitor)
    }
}

struct ClaimsVisitor;

/// A claim's name: the known ones without an allocation.
enum ClaimName {
    Sub,
    Email,
    Exp,
    Iat,
    Jti,
    TokenType,
    Ver,
    Iss,
    Aud,
    Other(String),
}

impl<'de> Deserialize<'de> for ClaimName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl serde::de::Visitor<'_> for NameVisitor {
            type Value = ClaimName;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a claim name")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<ClaimName, E> {
                Ok(match name {
                    "sub" => ClaimName::Sub,
                    "email" => ClaimName::Email,
                    "exp" => ClaimName::Exp,
                    "iat" => ClaimName::Iat,
                    "jti" => ClaimName::Jti,
                    "token_type" => ClaimName::TokenType,
                    "ver" => ClaimName::Ver,
                    "iss" => ClaimName::Iss,
                    "aud" => ClaimName::Aud,
                    other => ClaimName::Other(other.to_owned()),
                })
            }
        }
        deserializer.deserialize_identifier(NameVisitor)
    }
}

/// Sets `slot` once; a second value for the claim is an error.
fn once<T, E: serde::de::Error>(
    slot: &mut Option<T>,
    value: T,
    name: &'static str,
) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(E::duplicate_field(name));
    }
    Ok(())
}

impl<'de> serde::de::Visitor<'de> for ClaimsVisitor {
    type Value = Claims;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object of JWT claims")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Claims, A::Error> {
        use serde::de::Error as _;
        let (mut sub, mut email, mut exp, mut iat, mut jti) = (None, None, None, None, None);
        let (mut token_type, mut ver, mut iss, mut aud) = (None, None, None, None);
        let mut extra = serde_json::Map::new();
        while let Some(key) = map.next_key::<ClaimName>()? {
            match key {
                ClaimName::Sub => once(&mut sub, map.next_value::<String>()?, "sub")?,
                ClaimName::Email => once(&mut email, map.next_value::<String>()?, "email")?,
                ClaimName::Exp => once(&mut exp, map.next_value::<u64>()?, "exp")?,
                ClaimName::Iat => once(&mut iat, map.next_value::<u64>()?, "iat")?,
                ClaimName::Jti => once(&mut jti, map.next_value::<String>()?, "jti")?,
                ClaimName::TokenType => {
                    once(
                        &mut token_type,
                        map.next_value::<TokenType>()?,
                        "token_type",
                    )?;
                }
                ClaimName::Ver => once(&mut ver, map.next_value::<String>()?, "ver")?,
                ClaimName::Iss => once(&mut iss, map.next_value::<Option<String>>()?, "iss")?,
                ClaimName::Aud => once(&mut aud, map.next_value::<Option<String>>()?, "aud")?,
                ClaimName::Other(name) => {
                    let value = map.next_value::<serde_json::Value>()?;
                    if extra.insert(name, value).is_some() {
                        return Err(A::Error::custom("a claim appears twice"));
                    }
                }
            }
        }
        Ok(Claims {
            sub: sub.ok_or_else(|| A::Error::missing_field("sub"))?,
            email: email.ok_or_else(|| A::Error::missing_field("email"))?,
            exp: exp.ok_or_else(|| A::Error::missing_field("exp"))?,
            iat: iat.ok_or_else(|| A::Error::missing_field("iat"))?,
            jti: jti.ok_or_else(|| A::Error::missing_field("jti"))?,
            token_type: token_type.ok_or_else(|| A::Error::missing_field("token_type"))?,
            ver: ver.ok_or_else(|| A::Error::missing_field("ver"))?,
            iss: iss.flatten(),
            aud: aud.flatten(),
            extra,
        })
    }
}

impl std::fmt::Debug for Claims {
    // `ver` is derived from the password hash; logs get neither it nor the email.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claims")
            .field("sub", &self.sub)
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .field("jti", &self.jti)
            .field("token_type", &self.token_type)
            .field("iss", &self.iss)
            .field("aud", &self.aud)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The claim names this crate writes; the application's own claims may not
/// reuse them.
const RESERVED_CLAIMS: [&str; 10] = [
    "sub",
    "email",
    "exp",
    "iat",
    "jti",
    "token_type",
    "ver",
    "iss",
    "aud",
    "nbf",
];

/// Why a token was not issued or not accepted. A refused token is a 401 to the
/// client; the variants say why in logs.
///
/// ```
/// use aksara_auth::jwt::{Jwt, JwtAlgorithm, JwtError, TokenType};
/// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap();
/// let err = jwt.decode("not.a.token", TokenType::Access).unwrap_err();
/// assert!(matches!(err, JwtError::Invalid(_)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// The token is malformed, tampered with, of the wrong type, or fails a rule;
    /// or its user is gone, inactive or has changed password.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// The token was valid but has expired.
    #[error("the token has expired")]
    Expired,
    /// The token was revoked (a logout, a detected reuse), or is a refresh
    /// token that was already exchanged.
    #[error("the token has been revoked or already used")]
    Revoked,
    /// The database could not record or check the token.
    #[error(transparent)]
    Database(#[from] aksara::Error),
    /// The keys or settings cannot be used: the message says what to fix.
    #[error("JWT configuration: {0}")]
    Config(String),
    /// A token could not be issued (no private key, claims that clash).
    #[error("cannot issue a token: {0}")]
    Issue(String),
}

impl From<JwtError> for aksara::ApiError {
    /// What a handler answers when a token call fails with `?`: a refused token
    /// (invalid, expired, revoked, already used) is a `401 authentication_failed`
    /// with `WWW-Authenticate: Bearer`; a database failure is converted as
    /// [`aksara::Error`]'s (a logged 503 or 500); a configuration or signing
    /// failure is a logged 500. The client never sees why a token was refused
    /// beyond expired or revoked.
    ///
    /// ```
    /// use aksara_auth::jwt::JwtError;
    /// let api = aksara::ApiError::from(JwtError::Revoked);
    /// assert_eq!(api.status(), 401);
    /// assert_eq!(api.headers()["www-authenticate"], "Bearer");
    /// ```
    fn from(error: JwtError) -> Self {
        let message = match error {
            JwtError::Database(error) => return error.into(),
            JwtError::Config(_) | JwtError::Issue(_) => {
                tracing::error!(target: "aksara_auth::jwt", %error, "a token could not be issued");
                return Self::internal();
            }
            JwtError::Expired => "the token has expired",
            JwtError::Revoked => "the token has been revoked",
            JwtError::Invalid(ref reason) => {
                tracing::debug!(target: "aksara_auth::jwt", %reason, "token refused");
                "invalid token"
            }
        };
        Self::unauthorized(message)
            .with_code("authentication_failed")
            .with_header(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            )
    }
}

/// The keys and rules that issue and check tokens, and this process's copy of
/// the revoked access tokens. Cheap to clone (two `Arc`s; clones share the
/// copy); build it once, from the settings, and share it.
///
/// ```
/// use aksara_auth::jwt::Jwt;
/// let settings = aksara::Settings::from_sources(Some("debug = true"), None::<(String, String)>)?;
/// let jwt = Jwt::from_settings(&settings)?; // HS256 with a key derived from secret_key
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Jwt {
    keys: Arc<Keys>,
    revoked: Arc<RevocationList>,
}

struct Keys {
    algorithm: JwtAlgorithm,
    encoding: Option<EncodingKey>,
    check: SignatureCheck,
    access_ttl: Duration,
    refresh_ttl: Duration,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: Duration,
    rotate: bool,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt")
            .field("algorithm", &self.keys.algorithm)
            .field("issues", &self.keys.encoding.is_some())
            .field("rotate_refresh_tokens", &self.keys.rotate)
            .finish_non_exhaustive()
    }
}

impl Jwt {
    /// The tokens the `[jwt]` section ([`JwtSettings`]) describes: an HMAC key
    /// (its `secret`, or one derived from the settings' `secret_key`) or the PEM
    /// key files.
    ///
    /// # Errors
    /// [`JwtError::Config`] when the section is invalid or a key file cannot be
    /// read or parsed; the message names the file.
    ///
    /// ```
    /// let settings = aksara::Settings::from_sources(
    ///     Some("debug = true\n[jwt]\naudience = \"mobile\"\n"),
    ///     None::<(String, String)>,
    /// )?;
    /// let jwt = aksara_auth::jwt::Jwt::from_settings(&settings)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_settings(settings: &aksara::Settings) -> Result<Self, JwtError> {
        let section: JwtSettings = settings
            .section()
            .map_err(|err| JwtError::Config(err.to_string()))?;
        let algorithm = section.algorithm;
        let (encoding, check) = if algorithm.hmac_key_len().is_some() {
            let secret = match &section.secret {
                Some(secret) => {
                    let weakness = aksara::SecretKey::new(secret.as_str()).weakness();
                    if let Some(reason) = weakness.filter(|_| !settings.debug) {
                        return Err(JwtError::Config(format!(
                            "[jwt] secret {reason}; outside debug mode it must be random \
                             (`openssl rand -base64 64`)"
                        )));
                    }
                    secret.as_bytes().to_vec()
                }
                None => {
                    // A key derived from a guessable secret_key is guessable: anyone
                    // could sign tokens for any user.
                    settings
                        .check_secret_key()
                        .map_err(|err| JwtError::Config(err.to_string()))?;
                    if settings.secret_key.len() < aksara::SecretKey::MIN_LEN {
                        return Err(JwtError::Config(format!(
                            "secret_key has {} bytes; signing tokens with a key derived from it \
                             needs at least {} (or set [jwt] secret)",
                            settings.secret_key.len(),
                            aksara::SecretKey::MIN_LEN
                        )));
                    }
                    derive_hmac_key(settings.secret_key.as_bytes())
                }
            };
            hmac_keys(algorithm, &secret)?
        } else {
            pem_keys(algorithm, &section)?
        };
        Ok(Self::build(algorithm, encoding, check, &section))
    }

    /// Tokens signed with HMAC `algorithm` and `secret`, with the defaults of
    /// [`JwtSettings`]: lifetimes of 5 minutes and 1 day, no issuer or audience,
    /// refresh tokens rotated, revocations re-read every second.
    ///
    /// # Errors
    /// [`JwtError::Config`] when `algorithm` is not an HMAC one or `secret` is
    /// shorter than its hash's output.
    ///
    /// ```
    /// use aksara_auth::jwt::{Jwt, JwtAlgorithm};
    /// assert!(Jwt::hmac(JwtAlgorithm::Hs256, &[1; 32]).is_ok());
    /// assert!(Jwt::hmac(JwtAlgorithm::Hs512, &[1; 32]).is_err()); // needs 64 bytes
    /// ```
    pub fn hmac(algorithm: JwtAlgorithm, secret: &[u8]) -> Result<Self, JwtError> {
        let Some(needed) = algorithm.hmac_key_len() else {
            return Err(JwtError::Config(format!(
                "{algorithm} signs with a key pair; use Jwt::from_settings with key files"
            )));
        };
        if secret.len() < needed {
            return Err(JwtError::Config(format!(
                "{algorithm} needs a secret of at least {needed} bytes, got {}",
                secret.len()
            )));
        }
        let (encoding, check) = hmac_keys(algorithm, secret)?;
        let section = JwtSettings {
            algorithm,
            ..JwtSettings::default()
        };
        Ok(Self::build(algorithm, encoding, check, &section))
    }

    fn build(
        algorithm: JwtAlgorithm,
        encoding: Option<EncodingKey>,
        check: SignatureCheck,
        section: &JwtSettings,
    ) -> Self {
        Self {
            keys: Arc::new(Keys {
                algorithm,
                encoding,
                check,
                access_ttl: section.access_ttl,
                refresh_ttl: section.refresh_ttl,
                issuer: section.issuer.clone(),
                audience: section.audience.clone(),
                leeway: section.leeway,
                rotate: section.rotate_refresh_tokens,
            }),
            revoked: Arc::new(RevocationList::new(section.revocation_interval)),
        }
    }

    /// The algorithm tokens are signed with.
    ///
    /// ```
    /// use aksara_auth::jwt::{Jwt, JwtAlgorithm};
    /// assert_eq!(Jwt::hmac(JwtAlgorithm::Hs384, &[1; 48]).unwrap().algorithm(), JwtAlgorithm::Hs384);
    /// ```
    #[must_use]
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.keys.algorithm
    }

    /// An access token for `user` (the seed's `create_access_token`).
    ///
    /// # Errors
    /// [`JwtError::Issue`] when this process has no private key.
    ///
    /// ```
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm, TokenType};
    /// # use aksara_auth::{prelude::*, User};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.migrate().await?;
    /// # let user = User::objects().create().email("ann@example.com").password("correct horse").exec(&db).await?;
    /// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32])?;
    /// let token = jwt.access_token(&user)?;
    /// assert_eq!(token.matches('.').count(), 2);
    /// # Ok(()) }
    /// ```
    pub fn access_token<U: AuthUser>(&self, user: &U) -> Result<String, JwtError> {
        self.issue(user, TokenType::Access, serde_json::Map::new())
    }

    /// [`access_token`](Self::access_token) under the seed's name: an access
    /// token for `user`, recorded nowhere (it can still be revoked by its `jti`
    /// with [`revoke`](Self::revoke)). At a login, prefer
    /// [`issue_pair`](Self::issue_pair), which also gives the refresh token.
    ///
    /// # Errors
    /// [`JwtError::Issue`] when this process has no private key.
    ///
    /// ```
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm, TokenType};
    /// # use aksara_auth::{prelude::*, User};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.migrate().await?;
    /// # let user = User::objects().create().email("ann@example.com").password("correct horse").exec(&db).await?;
    /// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32])?;
    /// let token = jwt.create_access_token(&user)?;
    /// assert_eq!(jwt.decode(&token, TokenType::Access)?.sub, user.id.to_string());
    /// # Ok(()) }
    /// ```
    pub fn create_access_token<U: AuthUser>(&self, user: &U) -> Result<String, JwtError> {
        self.access_token(user)
    }

    /// An access token for `user` carrying the application's own claims
    /// (`extra`, a JSON object: the seed's `is_staff` and `roles`), which
    /// [`Claims::extra`] gives back.
    ///
    /// # Errors
    /// [`JwtError::Issue`] when `extra` is not an object or reuses a claim this
    /// crate writes (`sub`, `exp`, `token_type`, …), or without a private key.
    ///
    /// ```
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm};
    /// # use aksara_auth::{prelude::*, User};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.migrate().await?;
    /// # let user = User::objects().create().email("ann@example.com").password("correct horse").exec(&db).await?;
    /// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32])?;
    /// let token = jwt.access_token_with(&user, serde_json::json!({ "is_staff": user.is_staff }))?;
    /// assert!(jwt.access_token_with(&user, serde_json::json!({ "sub": "someone else" })).is_err());
    /// # Ok(()) }
    /// ```
    pub fn access_token_with<U: AuthUser>(
        &self,
        user: &U,
        extra: impl Serialize,
    ) -> Result<String, JwtError> {
        self.issue(user, TokenType::Access, extra_claims(extra)?)
    }

    /// A `Set-Cookie` value that stores access `token` in the HttpOnly cookie
    /// `name` for [`JwtAuthentication::cookie`]: `Secure`, `SameSite=Lax`,
    /// `Path=/`, and a `Max-Age` of the access lifetime.
    ///
    /// ```
    /// use aksara_auth::jwt::{Jwt, JwtAlgorithm};
    /// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap();
    /// let value = jwt.access_cookie("access_token", "a.b.c");
    /// assert_eq!(value, "access_token=a.b.c; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=300");
    /// ```
    #[must_use]
    pub fn access_cookie(&self, name: &str, token: &str) -> String {
        let max_age = cookie::time::Duration::seconds(
            i64::try_from(self.keys.access_ttl.as_secs()).unwrap_or(i64::MAX),
        );
        cookie::Cookie::build((name, token))
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(true)
            .path("/")
            .max_age(max_age)
            .build()
            .to_string()
    }

    fn issue<U: AuthUser>(
        &self,
        user: &U,
        token_type: TokenType,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, JwtError> {
        self.sign(user, token_type, extra).map(|(token, _)| token)
    }

    /// A new token for `user` and the claims it carries.
    fn sign<U: AuthUser>(
        &self,
        user: &U,
        token_type: TokenType,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(String, Claims), JwtError> {
        let keys = &*self.keys;
        let Some(encoding) = &keys.encoding else {
            return Err(JwtError::Issue(
                "this process has only the public key; set [jwt] private_key_file to issue tokens"
                    .into(),
            ));
        };
        let now = unix_now();
        let ttl = match token_type {
            TokenType::Access => keys.access_ttl,
            TokenType::Refresh => keys.refresh_ttl,
        };
        let claims = Claims {
            sub: user.id().to_string(),
            email: user.email().to_owned(),
            exp: now.saturating_add(ttl.as_secs()),
            iat: now,
            jti: random_jti(),
            token_type,
            ver: token_version(user),
            iss: keys.issuer.clone(),
            aud: keys.audience.clone(),
            extra,
        };
        let token = jsonwebtoken::encode(
            &Header::new(keys.algorithm.to_jsonwebtoken()),
            &claims,
            encoding,
        )
        .map_err(|err| JwtError::Issue(err.to_string()))?;
        Ok((token, claims))
    }

    /// Until when a token with `claims` is accepted: its `exp` plus the leeway.
    fn accepted_until(&self, claims: &Claims) -> chrono::DateTime<chrono::Utc> {
        let exp = i64::try_from(claims.exp).unwrap_or(i64::MAX);
        let leeway = chrono::Duration::from_std(self.keys.leeway).unwrap_or_default();
        chrono::DateTime::from_timestamp(exp, 0)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
            .checked_add_signed(leeway)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
    }

    /// Checks `token`'s signature and rules (see the [module docs](self)) and
    /// that it is of type `expected`, and returns its claims. It does not look
    /// at the user: [`JwtAuthentication`] does that (active, same password).
    ///
    /// # Errors
    /// [`JwtError::Expired`] for an expired token, [`JwtError::Invalid`] for
    /// anything else wrong with it.
    ///
    /// ```
    /// use aksara_auth::jwt::{Jwt, JwtAlgorithm, JwtError, TokenType};
    /// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap();
    /// // `{"alg":"none"}` with no signature
    /// let unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
    /// assert!(matches!(jwt.decode(unsigned, TokenType::Access), Err(JwtError::Invalid(_))));
    /// ```
    pub fn decode(&self, token: &str, expected: TokenType) -> Result<Claims, JwtError> {
        let claims = self.decode_any(token)?;
        if claims.token_type != expected {
            return Err(JwtError::Invalid(format!(
                "a {:?} token where a {expected:?} token is expected",
                claims.token_type
            )));
        }
        Ok(claims)
    }

    /// [`decode`](Self::decode) without the type check.
    fn decode_any(&self, token: &str) -> Result<Claims, JwtError> {
        let keys = &self.keys;
        let rules = Rules {
            algorithm: keys.algorithm,
            issuer: keys.issuer.as_deref(),
            audience: keys.audience.as_deref(),
            leeway_secs: keys.leeway.as_secs(),
            now: unix_now(),
        };
        verify::decode(token, &keys.check, &rules)
    }
}

/// The application's own claims as a map, refused when not an object or when
/// they reuse a claim this crate writes.
fn extra_claims(
    extra: impl Serialize,
) -> Result<serde_json::Map<String, serde_json::Value>, JwtError> {
    let extra = match serde_json::to_value(extra) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(_) => return Err(JwtError::Issue("extra claims must be a JSON object".into())),
        Err(err) => return Err(JwtError::Issue(err.to_string())),
    };
    if let Some(name) = extra
        .keys()
        .find(|name| RESERVED_CLAIMS.contains(&name.as_str()))
    {
        return Err(JwtError::Issue(format!(
            "the claim `{name}` is written by aksara-auth; name yours differently"
        )));
    }
    Ok(extra)
}

/// The `ver` claim: ties a token to the password it was issued under.
fn token_version<U: AuthUser>(user: &U) -> String {
    crate::user::password_fingerprint(user, b"aksara_auth.jwt_version\0")
}

/// Whether `claims` were issued under the password whose [`token_version`] is
/// `current`.
fn same_version(claims: &Claims, current: &str) -> bool {
    bool::from(claims.ver.as_bytes().ct_eq(current.as_bytes()))
}

/// The HMAC key for JWTs derived from the app's `secret_key`, distinct from the
/// key that signs session cookies.
fn derive_hmac_key(secret_key: &[u8]) -> Vec<u8> {
    let mut mac = hmac::Hmac::<sha2::Sha512>::new_from_slice(secret_key)
        .expect("HMAC accepts keys of any length");
    mac.update(b"aksara_auth.jwt.signing_key");
    mac.finalize().into_bytes().to_vec()
}

fn hmac_keys(
    algorithm: JwtAlgorithm,
    secret: &[u8],
) -> Result<(Option<EncodingKey>, SignatureCheck), JwtError> {
    let config = |err: jsonwebtoken::errors::Error| JwtError::Config(err.to_string());
    Ok((
        Some(EncodingKey::from_secret(secret).map_err(config)?),
        SignatureCheck::hmac(algorithm, secret),
    ))
}

fn pem_keys(
    algorithm: JwtAlgorithm,
    section: &JwtSettings,
) -> Result<(Option<EncodingKey>, SignatureCheck), JwtError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|err| {
            JwtError::Config(format!(
                "cannot read the key file {}: {err}",
                path.display()
            ))
        })
    };
    fn parse_error(
        path: &std::path::Path,
        algorithm: JwtAlgorithm,
    ) -> impl FnOnce(jsonwebtoken::errors::Error) -> JwtError + '_ {
        move |err| {
            JwtError::Config(format!(
                "{} is not a PEM {algorithm} key: {err}",
                path.display()
            ))
        }
    }
    let public = section
        .public_key_file
        .as_deref()
        .ok_or_else(|| JwtError::Config(format!("{algorithm} needs [jwt] public_key_file")))?;
    let pem = read(public)?;
    let decoding = match algorithm {
        JwtAlgorithm::Rs256 => DecodingKey::from_rsa_pem(&pem),
        JwtAlgorithm::Es256 => DecodingKey::from_ec_pem(&pem),
        _ => DecodingKey::from_ed_pem(&pem),
    }
    .map_err(parse_error(public, algorithm))?;
    let encoding = match section.private_key_file.as_deref() {
        Some(private) => {
            let pem = read(private)?;
            Some(
                match algorithm {
                    JwtAlgorithm::Rs256 => EncodingKey::from_rsa_pem(&pem),
                    JwtAlgorithm::Es256 => EncodingKey::from_ec_pem(&pem),
                    _ => EncodingKey::from_ed_pem(&pem),
                }
                .map_err(parse_error(private, algorithm))?,
            )
        }
        None => None,
    };
    Ok((
        encoding,
        SignatureCheck::KeyPair(decoding, algorithm.to_jsonwebtoken()),
    ))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// 128 random bits from the OS, as hex.
fn random_jti() -> String {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    bytes
        .iter()
        .fold(String::with_capacity(32), |mut hex, byte| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_read_back_as_written_each_claim_once_the_required_ones_present() {
        let claims: Claims = serde_json::from_value(serde_json::json!({
            "sub": "u", "email": "e", "exp": 2, "iat": 1, "jti": "j", "token_type": "access",
            "ver": "v", "aud": "app", "roles": ["editor"], "iss": null,
        }))
        .unwrap();
        assert_eq!(
            (claims.aud.as_deref(), claims.iss.as_deref()),
            (Some("app"), None)
        );
        assert_eq!(claims.extra["roles"], serde_json::json!(["editor"]));
        let again: Claims = serde_json::from_value(serde_json::to_value(&claims).unwrap()).unwrap();
        assert!(again == claims);
        let base = r#""email":"e","exp":2,"iat":1,"jti":"j","token_type":"access","ver":"v""#;
        for (text, why) in [
            (
                format!(r#"{{"sub":"u","sub":"x",{base}}}"#),
                "duplicate field `sub`",
            ),
            (
                format!(r#"{{"sub":"u","plan":1,"plan":2,{base}}}"#),
                "a claim appears twice",
            ),
            (format!(r#"{{{base}}}"#), "missing field `sub`"),
            (
                format!(r#"{{"sub":"u",{}}}"#, base.replace(r#","jti":"j""#, "")),
                "missing field `jti`",
            ),
            (
                format!(
                    r#"{{"sub":"u",{}}}"#,
                    base.replace(r#""exp":2"#, r#""exp":2.5"#)
                ),
                "invalid type",
            ),
            ("[1,2]".to_owned(), "invalid type"),
        ] {
            let err = serde_json::from_str::<Claims>(&text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    fn jwt() -> Jwt {
        Jwt::hmac(JwtAlgorithm::Hs256, &[42; 32]).unwrap()
    }

    fn token(jwt: &Jwt) -> String {
        let claims = Claims {
            sub: uuid::Uuid::new_v4().to_string(),
            email: "jane@example.com".into(),
            exp: unix_now() + 300,
            iat: unix_now(),
            jti: random_jti(),
            token_type: TokenType::Access,
            ver: "v".into(),
            iss: None,
            aud: None,
            extra: serde_json::Map::new(),
        };
        jsonwebtoken::encode(
            &Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            jwt.keys.encoding.as_ref().unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn every_one_character_change_of_a_token_is_refused() {
        let jwt = jwt();
        let good = token(&jwt);
        assert!(jwt.decode(&good, TokenType::Access).is_ok());
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
        for position in 0..good.len() {
            for &replacement in alphabet {
                let mut changed = good.clone().into_bytes();
                if changed[position] == replacement {
                    continue;
                }
                changed[position] = replacement;
                let changed = String::from_utf8(changed).unwrap();
                assert!(
                    jwt.decode(&changed, TokenType::Access).is_err(),
                    "accepted with byte {position} changed to {:?}",
                    char::from(replacement)
                );
            }
        }
    }

    fn signed(jwt: &Jwt, claims: &Claims) -> String {
        jsonwebtoken::encode(
            &Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            jwt.keys.encoding.as_ref().unwrap(),
        )
        .unwrap()
    }

    /// Claims of any text, times and type, with application claims of any
    /// names (but the reserved ones) and values.
    fn any_claims() -> impl proptest::strategy::Strategy<Value = Claims> {
        use proptest::prelude::*;
        let extra = proptest::collection::btree_map(
            "[a-z_]{1,8}".prop_filter("not reserved", |name| {
                !RESERVED_CLAIMS.contains(&name.as_str())
            }),
            prop_oneof![
                any::<i64>().prop_map(serde_json::Value::from),
                any::<bool>().prop_map(serde_json::Value::from),
                any::<String>().prop_map(serde_json::Value::from),
            ],
            0..4,
        );
        (
            (
                any::<String>(),
                any::<String>(),
                any::<String>(),
                any::<String>(),
            ),
            (0..u64::MAX / 2, any::<u64>(), any::<bool>()),
            extra,
        )
            .prop_map(
                |((sub, email, jti, ver), (ttl, iat, refresh), extra)| Claims {
                    sub,
                    email,
                    exp: unix_now() + 60 + ttl,
                    iat,
                    jti,
                    token_type: if refresh {
                        TokenType::Refresh
                    } else {
                        TokenType::Access
                    },
                    ver,
                    iss: None,
                    aud: None,
                    extra: extra.into_iter().collect(),
                },
            )
    }

    // The fuzz target `jwt_decode` (`fuzz/`) checks the same on nightly for
    // minutes, with header and claims of any bytes; these run on stable with
    // every `cargo test`.
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any text, base64url-ish parts or a real token cut and spliced: no
        /// panic, and never accepted.
        #[test]
        fn arbitrary_input_is_refused_without_panicking(
            text in proptest::prop_oneof![
                proptest::prelude::any::<String>(),
                "[eyJhbGciOiJIUzI1NiJ9_AQw-]{0,60}\\.[eyJzdWIiOi_AQw-]{0,60}\\.[A-Za-z0-9_-]{0,90}",
            ],
            cut in proptest::prelude::any::<proptest::sample::Index>(),
            keep in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let jwt = jwt();
            let good = token(&jwt);
            proptest::prop_assert!(jwt.decode(&text, TokenType::Access).is_err());
            let cut = cut.index(good.len());
            let spliced = format!("{}{}", &good[..cut], &good[good.len() - keep.index(good.len() - cut)..]);
            if spliced != good {
                proptest::prop_assert!(jwt.decode(&spliced, TokenType::Access).is_err());
            }
        }

        /// Any claims, signed, decode to themselves as their own type and are
        /// refused as the other.
        #[test]
        fn signed_claims_round_trip(claims in any_claims()) {
            let jwt = jwt();
            let token = signed(&jwt, &claims);
            let other = match claims.token_type {
                TokenType::Access => TokenType::Refresh,
                TokenType::Refresh => TokenType::Access,
            };
            proptest::prop_assert!(jwt.decode(&token, claims.token_type).unwrap() == claims);
            proptest::prop_assert!(jwt.decode(&token, other).is_err());
        }

        /// A valid token with any one byte changed to any other value, removed,
        /// or with a byte added, is refused.
        #[test]
        fn every_mutation_of_a_signed_token_is_refused(
            claims in any_claims(),
            at in proptest::prelude::any::<proptest::sample::Index>(),
            byte in proptest::prelude::any::<u8>(),
        ) {
            let jwt = jwt();
            let good = signed(&jwt, &claims).into_bytes();
            let at = at.index(good.len());
            let mut flipped = good.clone();
            flipped[at] = if flipped[at] == byte { byte ^ 0x01 } else { byte };
            let mut removed = good.clone();
            removed.remove(at);
            let mut added = good.clone();
            added.insert(at, byte);
            for mutated in [flipped, removed, added] {
                let text = String::from_utf8_lossy(&mutated);
                proptest::prop_assert!(
                    jwt.decode(&text, claims.token_type).is_err(),
                    "accepted {text:?}"
                );
            }
        }
    }
}
