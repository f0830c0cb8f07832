//! Refresh tokens: the `auth_refresh_tokens` table, a token pair issued at
//! login, and [`Jwt::refresh`], which exchanges a refresh token for a new pair
//! with one conditional `UPDATE` deciding (the [`jwt`](super) module docs say
//! why that is race-free on every backend, and what a reuse does).

use aksara::Db;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Claims, Jwt, JwtError, TokenType, extra_claims, random_jti, same_version, token_version,
};
use crate::{AuthUser, UserId};

/// One issued refresh token: the `auth_refresh_tokens` table. `db.migrate()`
/// creates it.
#[derive(aksara::Model)]
#[model(table = "auth_refresh_tokens")]
pub(crate) struct IssuedRefreshToken {
    #[field(primary_key)]
    pub(crate) id: i64,
    /// The token's `jti` (it is signed, so knowing it gives nothing).
    #[field(unique, max_length = 64)]
    pub(crate) jti: String,
    #[field(index)]
    pub(crate) user_id: UserId,
    /// Shared by every token rotated from one login.
    #[field(index, max_length = 64)]
    pub(crate) family: String,
    /// The access token issued with this one (without rotation: the latest),
    /// revoked with the family.
    #[field(index, max_length = 64)]
    pub(crate) access_jti: Option<String>,
    pub(crate) access_expires_at: Option<DateTime<Utc>>,
    pub(crate) issued_at: DateTime<Utc>,
    /// When the token stops being accepted (`exp` plus the leeway); the purge
    /// deletes the row after it.
    #[field(index)]
    pub(crate) expires_at: DateTime<Utc>,
    /// When it was exchanged for its successor (rotation only).
    pub(crate) used_at: Option<DateTime<Utc>>,
    /// When it was revoked: a logout, a detected reuse, `revoke_user`.
    pub(crate) revoked_at: Option<DateTime<Utc>>,
}

/// An access token and a refresh token, as a login or a refresh gives them.
/// Serializes as simplejwt answers, `{"access": "…", "refresh": "…"}`; its
/// `Debug` shows neither token.
///
/// ```
/// use aksara_auth::jwt::TokenPair;
/// let pair = TokenPair { access: "a.b.c".into(), refresh: "d.e.f".into() };
/// assert_eq!(serde_json::to_string(&pair).unwrap(), r#"{"access":"a.b.c","refresh":"d.e.f"}"#);
/// assert!(!format!("{pair:?}").contains("a.b.c"));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    /// Sent as `Authorization: Bearer …`; lives `access_ttl`.
    pub access: String,
    /// Sent to the refresh endpoint only; lives `refresh_ttl`.
    pub refresh: String,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("access", &"<redacted>")
            .field("refresh", &"<redacted>")
            .finish()
    }
}

/// How often a refresh transaction runs when the database picks it as a
/// deadlock victim. MySQL/MariaDB do, when concurrent exchanges of one token
/// wait on its row while the winner inserts the successor next to it in the
/// `jti` index; run again, the victim finds the token used.
const MAX_ATTEMPTS: u32 = 5;

/// The tokens a refresh issues, recorded with the successor's row.
struct Issued<'a, U> {
    user: &'a U,
    refresh: &'a Claims,
    access: &'a Claims,
}

/// Whether `error` is a deadlock or serialization failure (SQLSTATE `40001`,
/// PostgreSQL's `40P01`): the transaction was rolled back and may run again.
fn is_lock_conflict(error: &aksara::Error) -> bool {
    match error {
        aksara::Error::Database(error) => error
            .as_database_error()
            .and_then(|error| error.code())
            .is_some_and(|code| code == "40001" || code == "40P01"),
        _ => false,
    }
}

/// The refresh token rows still exchangeable (not used, not revoked, not
/// expired at `now`) with `jti`.
fn exchangeable(jti: &str, now: DateTime<Utc>) -> aksara::QuerySet<IssuedRefreshToken> {
    IssuedRefreshToken::objects()
        .filter(IssuedRefreshToken::JTI.eq(jti))
        .filter(IssuedRefreshToken::USED_AT.is_null(true))
        .filter(IssuedRefreshToken::REVOKED_AT.is_null(true))
        .filter(IssuedRefreshToken::EXPIRES_AT.gt(now))
}

impl Jwt {
    /// A refresh token for `user` that starts a new login (a new family), with
    /// its row in `auth_refresh_tokens` (the seed's `create_refresh_token`). At a
    /// login, [`issue_pair`](Self::issue_pair) gives it with an access token.
    ///
    /// # Errors
    /// [`JwtError::Issue`] without a private key, [`JwtError::Database`] when the
    /// row cannot be written or `U` is not the application's user model.
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
    /// let refresh = jwt.create_refresh_token(&db, &user).await?;
    /// assert_eq!(jwt.decode(&refresh, TokenType::Refresh)?.token_type, TokenType::Refresh);
    /// assert!(jwt.decode(&refresh, TokenType::Access).is_err()); // never one for the other
    /// # Ok(()) }
    /// ```
    pub async fn create_refresh_token<U: AuthUser>(
        &self,
        db: &Db,
        user: &U,
    ) -> Result<String, JwtError> {
        crate::ensure_user_model::<U>("Jwt::create_refresh_token")?;
        let (refresh, claims) = self.sign(user, TokenType::Refresh, serde_json::Map::new())?;
        self.record(db, user, &claims, &random_jti(), None).await?;
        Ok(refresh)
    }

    /// An access and a refresh token for `user`, who has just logged in: a new
    /// login (family), recorded in `auth_refresh_tokens`.
    ///
    /// # Errors
    /// As [`create_refresh_token`](Self::create_refresh_token).
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
    /// let pair = jwt.issue_pair(&db, &user).await?;
    /// assert!(jwt.decode(&pair.access, TokenType::Access).is_ok());
    /// assert!(jwt.decode(&pair.refresh, TokenType::Refresh).is_ok());
    /// # Ok(()) }
    /// ```
    pub async fn issue_pair<U: AuthUser>(&self, db: &Db, user: &U) -> Result<TokenPair, JwtError> {
        self.issue_pair_with(db, user, serde_json::Map::new()).await
    }

    /// [`issue_pair`](Self::issue_pair) with the application's own claims in
    /// the access token (as [`access_token_with`](Self::access_token_with)).
    /// A refresh gives them again through
    /// [`refresh_with`](Self::refresh_with).
    ///
    /// # Errors
    /// As [`issue_pair`](Self::issue_pair), and [`JwtError::Issue`] when `extra`
    /// is not a JSON object or reuses a claim this crate writes.
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
    /// let pair = jwt.issue_pair_with(&db, &user, serde_json::json!({ "is_staff": user.is_staff })).await?;
    /// assert_eq!(jwt.decode(&pair.access, TokenType::Access)?.extra["is_staff"], false);
    /// # Ok(()) }
    /// ```
    pub async fn issue_pair_with<U: AuthUser>(
        &self,
        db: &Db,
        user: &U,
        extra: impl Serialize,
    ) -> Result<TokenPair, JwtError> {
        crate::ensure_user_model::<U>("Jwt::issue_pair")?;
        let (access, access_claims) = self.sign(user, TokenType::Access, extra_claims(extra)?)?;
        let (refresh, claims) = self.sign(user, TokenType::Refresh, serde_json::Map::new())?;
        self.record(db, user, &claims, &random_jti(), Some(&access_claims))
            .await?;
        Ok(TokenPair { access, refresh })
    }

    /// Writes the row of refresh token `claims`, of `family`, issued with
    /// `access` (when it was).
    async fn record<U: AuthUser>(
        &self,
        db: &(impl aksara::Executor + ?Sized),
        user: &U,
        claims: &Claims,
        family: &str,
        access: Option<&Claims>,
    ) -> aksara::Result<()> {
        IssuedRefreshToken::objects()
            .create()
            .jti(claims.jti.as_str())
            .user_id(UserId::of(user))
            .family(family)
            .access_jti(access.map(|access| access.jti.clone()))
            .access_expires_at(access.map(|access| self.accepted_until(access)))
            .issued_at(Utc::now())
            .expires_at(self.accepted_until(claims))
            .exec(db)
            .await?;
        Ok(())
    }

    /// The active user of `token` if it is a refresh token that could be
    /// exchanged now: valid, issued by this database, neither used nor revoked,
    /// and its user active with the same password as when it was issued (the
    /// seed's `verify_refresh_token`). It changes nothing: the token stays
    /// usable, and a used token given here is not treated as a reuse.
    ///
    /// # Errors
    /// Only a database failure; any reason to refuse the token is `Ok(None)`.
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
    /// let pair = jwt.issue_pair(&db, &user).await?;
    /// let owner = jwt.verify_refresh_token::<User>(&db, &pair.refresh).await?;
    /// assert_eq!(owner.map(|u| u.id), Some(user.id));
    /// assert!(jwt.verify_refresh_token::<User>(&db, &pair.access).await?.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn verify_refresh_token<U: AuthUser>(
        &self,
        db: &Db,
        token: &str,
    ) -> aksara::Result<Option<U>> {
        let Ok(claims) = self.decode(token, TokenType::Refresh) else {
            return Ok(None);
        };
        if !exchangeable(&claims.jti, Utc::now()).exists(db).await? {
            return Ok(None);
        }
        self.token_user(db, &claims).await
    }

    /// Exchanges refresh `token` for a new pair (the seed's `refresh`). With
    /// rotation (`[jwt] rotate_refresh_tokens`, on by default) the token works
    /// once: the pair holds its successor, and presenting it again revokes its
    /// whole login (see the [module docs](super)). Without, the pair holds
    /// `token` itself, which works until it expires or is revoked.
    ///
    /// Of any number of concurrent calls with one token, exactly one succeeds
    /// (one conditional `UPDATE` decides, on every backend).
    ///
    /// # Errors
    /// [`JwtError::Invalid`] for a bad token or a user who is gone, inactive or
    /// has changed password since; [`JwtError::Expired`]; [`JwtError::Revoked`]
    /// for a used or revoked token; [`JwtError::Database`]. All but the last
    /// convert to a 401 with `?` in a handler returning [`aksara::ApiError`].
    ///
    /// ```
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm, JwtError, TokenPair};
    /// # use aksara_auth::{prelude::*, User};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.migrate().await?;
    /// # let user = User::objects().create().email("ann@example.com").password("correct horse").exec(&db).await?;
    /// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32])?;
    /// let login = jwt.issue_pair(&db, &user).await?;
    /// let next = jwt.refresh::<User>(&db, &login.refresh).await?;
    /// assert_ne!(next.refresh, login.refresh);
    /// // The first refresh token is used up; presenting it again ends the login.
    /// assert!(matches!(jwt.refresh::<User>(&db, &login.refresh).await, Err(JwtError::Revoked)));
    /// assert!(matches!(jwt.refresh::<User>(&db, &next.refresh).await, Err(JwtError::Revoked)));
    ///
    /// // A handler: `POST /token/refresh` with `{"refresh": "…"}`.
    /// async fn refresh(
    ///     db: Db,
    ///     axum::Extension(jwt): axum::Extension<Jwt>,
    ///     axum::Json(body): axum::Json<serde_json::Value>,
    /// ) -> Result<axum::Json<TokenPair>, ApiError> {
    ///     let token = body["refresh"].as_str().unwrap_or_default();
    ///     Ok(axum::Json(jwt.refresh::<User>(&db, token).await?))
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn refresh<U: AuthUser>(&self, db: &Db, token: &str) -> Result<TokenPair, JwtError> {
        self.refresh_with::<U, _>(db, token, |_| serde_json::Map::new())
            .await
    }

    /// [`refresh`](Self::refresh), with the application's own claims for the
    /// new access token computed from the (freshly loaded) user by `extra`.
    ///
    /// # Errors
    /// As [`refresh`](Self::refresh), and [`JwtError::Issue`] when `extra`
    /// gives something other than a JSON object, or a claim this crate writes.
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
    /// let claims = |user: &User| serde_json::json!({ "is_staff": user.is_staff });
    /// let login = jwt.issue_pair_with(&db, &user, claims(&user)).await?;
    /// let next = jwt.refresh_with(&db, &login.refresh, claims).await?;
    /// assert_eq!(jwt.decode(&next.access, TokenType::Access)?.extra["is_staff"], false);
    /// # Ok(()) }
    /// ```
    pub async fn refresh_with<U: AuthUser, C: Serialize>(
        &self,
        db: &Db,
        token: &str,
        extra: impl FnOnce(&U) -> C,
    ) -> Result<TokenPair, JwtError> {
        crate::ensure_user_model::<U>("Jwt::refresh")?;
        let claims = self.decode(token, TokenType::Refresh)?;
        let Some(user) = self.token_user::<U>(db, &claims).await? else {
            return Err(JwtError::Invalid(
                "the refresh token's user is gone, inactive or has changed password".into(),
            ));
        };
        let (access, access_claims) =
            self.sign(&user, TokenType::Access, extra_claims(extra(&user))?)?;
        let now = Utc::now();
        if !self.keys.rotate {
            // The statement that checks the token also records the access token
            // issued, which a later revocation of the family then covers.
            let matched = exchangeable(&claims.jti, now)
                .update(
                    db,
                    [
                        IssuedRefreshToken::ACCESS_JTI.set(access_claims.jti.as_str()),
                        IssuedRefreshToken::ACCESS_EXPIRES_AT
                            .set(self.accepted_until(&access_claims)),
                    ],
                )
                .await?;
            if matched == 0 {
                return Err(self.refused(db, &claims).await);
            }
            return Ok(TokenPair {
                access,
                refresh: token.to_owned(),
            });
        }
        let (refresh, successor) = self.sign(&user, TokenType::Refresh, serde_json::Map::new())?;
        let issued = Issued {
            user: &user,
            refresh: &successor,
            access: &access_claims,
        };
        let mut attempt = 1;
        loop {
            match self.rotate(db, &claims.jti, &issued, now).await {
                Ok(true) => return Ok(TokenPair { access, refresh }),
                Ok(false) => return Err(self.refused(db, &claims).await),
                Err(error) if attempt < MAX_ATTEMPTS && is_lock_conflict(&error) => {
                    tracing::debug!(target: "aksara_auth::jwt", attempt, %error, "refresh transaction chosen as a deadlock victim; running it again");
                    attempt += 1;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// In one transaction: marks refresh token `jti` used if it still can be
    /// (`false` when not: another exchange got it first, or it was revoked or
    /// expired) and records its successor `issued` in the same family.
    async fn rotate<U: AuthUser>(
        &self,
        db: &Db,
        jti: &str,
        issued: &Issued<'_, U>,
        now: DateTime<Utc>,
    ) -> aksara::Result<bool> {
        let tx = db.begin().await?;
        // The one statement that decides: of concurrent exchanges of this token,
        // only one matches the row.
        let used = exchangeable(jti, now)
            .update(&tx, IssuedRefreshToken::USED_AT.set(now))
            .await?;
        if used == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        // Read under this transaction's lock on the row; the family never changes.
        let row = IssuedRefreshToken::objects()
            .get(&tx, IssuedRefreshToken::JTI.eq(jti))
            .await?;
        self.record(
            &tx,
            issued.user,
            issued.refresh,
            &row.family,
            Some(issued.access),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Why refresh token `claims` matched no exchangeable row; revokes its
    /// family when it had been used (a reuse).
    async fn refused(&self, db: &Db, claims: &Claims) -> JwtError {
        let row = IssuedRefreshToken::objects()
            .filter(IssuedRefreshToken::JTI.eq(claims.jti.as_str()))
            .first(db)
            .await;
        match row {
            Err(error) => error.into(),
            Ok(None) => {
                JwtError::Invalid("a refresh token with no row (never recorded, or purged)".into())
            }
            Ok(Some(row)) if row.revoked_at.is_some() => JwtError::Revoked,
            Ok(Some(row)) if row.used_at.is_some() => {
                tracing::warn!(
                    target: "aksara_auth::jwt",
                    user_id = %row.user_id.0,
                    family = %row.family,
                    "a refresh token was presented after it had been used: it may have been stolen, so every token of its login is revoked"
                );
                match self
                    .revoke_logins(db, IssuedRefreshToken::FAMILY.eq(row.family.as_str()))
                    .await
                {
                    Ok(_) => JwtError::Revoked,
                    Err(error) => error.into(),
                }
            }
            Ok(Some(_)) => JwtError::Expired,
        }
    }

    /// The user of `claims` when active and with the password the token was
    /// issued under.
    pub(crate) async fn token_user<U: AuthUser>(
        &self,
        db: &Db,
        claims: &Claims,
    ) -> aksara::Result<Option<U>> {
        let Ok(id) = claims.sub.parse::<Uuid>() else {
            return Ok(None);
        };
        let user = U::objects()
            .filter(aksara::Column::<U, Uuid>::new(U::META.primary_key).eq(id))
            .first(db)
            .await?;
        Ok(user.filter(|user| user.is_active() && same_version(claims, &token_version(user))))
    }
}
