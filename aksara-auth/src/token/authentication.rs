//! [`TokenAuthentication`]: the authenticator that accepts an opaque bearer
//! token in `Authorization: Bearer <key>` or `Authorization: Token <key>`.

use std::sync::Arc;
use std::time::Duration;

use aksara::Db;
use aksara::changes::{Change, ChangeListener};
use axum::http::request::Parts;
use chrono::Utc;

use super::{Token, TokenKey, TokenSettings, password_digest, to_chrono};
use crate::authentication::{Authentication, Authenticator, Authorization, Outcome};
use crate::cache::{TimedMap, watch};
use crate::jwt::is_jwt_shaped;
use crate::{AuthUser, UserCache};

/// `last_used_at` (and a renewal) is written at most this often per token.
const LAST_USED_GRANULARITY: chrono::Duration = chrono::Duration::minutes(1);

/// Authenticates requests that carry a [`Token`]'s key in
/// `Authorization: Bearer <key>` or `Authorization: Token <key>` (DRF's scheme).
///
/// It claims the `Token` scheme, and `Bearer` values that are not JWTs (those
/// are [`JwtAuthentication`](crate::jwt::JwtAuthentication)'s, whichever comes
/// first), and a malformed `Authorization` header (no scheme, spaces or
/// non-ASCII in it, over 8 KiB). Such a header, or a key that is unknown,
/// expired, revoked, issued under a password the user has since changed, or
/// whose user is inactive, ends the request with 401 `authentication_failed`
/// and `WWW-Authenticate: Bearer`. The token's row is read by its unique prefix
/// (one `SELECT`) and reused for one second ([`row_cache`](Self::row_cache)); the
/// user comes through a [`UserCache`] (one second by default). A revocation or
/// password change made through the ORM in this process applies to the next
/// request, one made on another instance of the app within that second.
/// Requests it authenticates need no CSRF check.
///
/// Handlers see the [`Token`] row as the authentication's info:
/// `user.info::<Token>()` on a [`CurrentUser`](crate::CurrentUser).
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// use aksara_auth::token::{TokenAuthentication, TokenSettings};
///
/// let layer = AuthenticationLayer::<User>::new()
///     .with(TokenAuthentication::new(TokenSettings::default()))
///     .with(SessionAuthentication::new());
/// ```
#[derive(Clone)]
pub struct TokenAuthentication {
    settings: TokenSettings,
    cache: UserCache,
    rows: Arc<TokenRows>,
}

/// The token rows read recently, by prefix; shared with the requests they
/// authenticate, so a hit copies a pointer, not the row.
struct TokenRows {
    rows: TimedMap<String, Arc<Token>>,
}

impl ChangeListener for TokenRows {
    fn changed(&self, _table: &str, change: Change<'_>) {
        match change {
            Change::Row(aksara::Value::I64(id)) => self.rows.retain(|_, token| token.id != *id),
            _ => self.rows.clear(),
        }
    }
}

impl std::fmt::Debug for TokenAuthentication {
    /// The settings and cache sizes, never a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthentication")
            .field("settings", &self.settings)
            .field("user_cache", &self.cache)
            .field("row_cache_ttl", &self.rows.rows.ttl())
            .field("cached_rows", &self.rows.rows.len())
            .finish()
    }
}

impl TokenAuthentication {
    /// Accepts tokens, renewing them as `settings` say, with its own one-second
    /// user cache.
    ///
    /// ```
    /// use aksara_auth::token::{TokenAuthentication, TokenSettings};
    /// let settings = aksara::Settings::from_sources(Some("debug = true"), None::<(String, String)>)?;
    /// let tokens = TokenAuthentication::new(settings.section::<TokenSettings>()?);
    /// # Ok::<(), aksara::SettingsError>(())
    /// ```
    #[must_use]
    pub fn new(settings: TokenSettings) -> Self {
        Self {
            settings,
            cache: UserCache::default(),
            rows: Arc::new(TokenRows {
                rows: TimedMap::new(Duration::from_secs(1)),
            }),
        }
    }

    /// Reuses a token's row for `ttl` (one second by default; `Duration::ZERO`
    /// reads it on every request). Writes to `auth_tokens` through the ORM in
    /// this process — [`Token::revoke`] and its siblings, a renewal — drop the
    /// cached rows at once; other instances of the app see a revocation within
    /// `ttl`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use aksara_auth::token::{TokenAuthentication, TokenSettings};
    /// // Every request reads its token: a revocation applies at once everywhere.
    /// let tokens = TokenAuthentication::new(TokenSettings::default()).row_cache(Duration::ZERO);
    /// ```
    #[must_use]
    pub fn row_cache(mut self, ttl: Duration) -> Self {
        self.rows = Arc::new(TokenRows {
            rows: TimedMap::new(ttl),
        });
        self
    }

    /// The token whose key is `key`, from the row cache or one `SELECT`.
    async fn find(&self, key: &TokenKey, db: &Db) -> aksara::Result<Option<Arc<Token>>> {
        let rows = &self.rows.rows;
        if let Some(token) = rows.read(key.prefix(), Arc::clone) {
            return Ok(Some(token));
        }
        let found = Token::objects()
            .filter(Token::PREFIX.eq(key.prefix()))
            .first(db)
            .await?
            .map(Arc::new);
        if let Some(token) = &found
            && rows.is_enabled()
        {
            watch(&self.rows, rows, <Token as aksara::Model>::META.table);
            rows.insert(token.prefix.clone(), Arc::clone(token));
        }
        Ok(found)
    }

    /// Loads users through `cache`, which may be shared with other
    /// authenticators.
    ///
    /// ```
    /// use aksara_auth::{SessionAuthentication, UserCache};
    /// use aksara_auth::token::{TokenAuthentication, TokenSettings};
    /// let cache = UserCache::default();
    /// let tokens = TokenAuthentication::new(TokenSettings::default()).user_cache(cache.clone());
    /// let sessions = SessionAuthentication::new().user_cache(cache);
    /// ```
    #[must_use]
    pub fn user_cache(mut self, cache: UserCache) -> Self {
        self.cache = cache;
        self
    }
}

/// The request's token credential: `Ok(key text)` when the header is ours,
/// `Err(reason)` when it is malformed, `None` when it is someone else's.
fn credential(parts: &Parts) -> Option<Result<&str, &'static str>> {
    match Authorization::of(&parts.headers) {
        Authorization::Absent => None,
        Authorization::Malformed(reason) => Some(Err(reason)),
        header @ Authorization::Credentials { .. } => {
            if let Some(key) = header.credentials_for("Token") {
                return Some(Ok(key));
            }
            header
                .credentials_for("Bearer")
                .filter(|key| TokenKey::looks_like(key) || !is_jwt_shaped(key))
                .map(Ok)
        }
    }
}

impl<U: AuthUser> Authenticator<U> for TokenAuthentication {
    fn name(&self) -> &'static str {
        "token"
    }

    fn challenge(&self) -> Option<&'static str> {
        Some("Bearer")
    }

    /// A glance, not a parse: `authenticate` reads the header properly.
    fn has_credential(&self, parts: &Parts) -> bool {
        parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
    }

    async fn authenticate(&self, parts: &Parts, db: &Db) -> Outcome<U> {
        let text = match credential(parts) {
            None => return Outcome::NoCredential,
            Some(Err(reason)) => {
                tracing::debug!(target: "aksara_auth::token", reason, "malformed Authorization header");
                return Outcome::invalid("malformed Authorization header");
            }
            Some(Ok("")) => return Outcome::invalid("no token in the Authorization header"),
            Some(Ok(text)) => text,
        };
        let Ok(key) = TokenKey::parse(text) else {
            return Outcome::invalid("invalid token");
        };
        let token = match self.find(&key, db).await {
            Ok(Some(token)) if token.matches(&key) => token,
            Ok(_) => return Outcome::invalid("invalid token"),
            Err(error) => return Outcome::from(error),
        };
        let now = Utc::now();
        if token.expires_at <= now {
            if let Err(error) = token.revoke(db).await {
                tracing::warn!(target: "aksara_auth::token", %error, "could not delete an expired token");
            }
            return Outcome::invalid("the token has expired");
        }
        let loaded = match self
            .cache
            .load::<U>(token.user_id.0, db, true, ("token", password_digest::<U>))
            .await
        {
            Ok(loaded) => loaded,
            Err(error) => return Outcome::from(error),
        };
        let user = match loaded {
            Some((user, digest)) if user.is_active() && same_digest(&token, &digest) => user,
            Some((user, _)) if user.is_active() => {
                // Issued under an old password: revoked for good.
                tracing::info!(target: "aksara_auth::token", user_id = %user.id(), token_id = token.id, "token refused and revoked: the password changed since it was issued");
                if let Err(error) = token.revoke(db).await {
                    tracing::warn!(target: "aksara_auth::token", %error, "could not delete a token of an old password");
                }
                return Outcome::invalid("invalid token");
            }
            Some((user, _)) => {
                tracing::info!(target: "aksara_auth::token", user_id = %user.id(), "token refused: the user is inactive");
                return Outcome::invalid("invalid token");
            }
            None => return Outcome::invalid("invalid token"),
        };
        let token = self.note_use(db, token, now).await;
        Outcome::Authenticated(
            Authentication::shared(user, "token")
                .with_shared_info(token)
                .by_header(),
        )
    }
}

fn same_digest(token: &Token, digest: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    bool::from(token.password_digest.as_bytes().ct_eq(digest.as_bytes()))
}

impl TokenAuthentication {
    /// Records the use at most once a minute (and renews the token when the
    /// settings say so): one conditional `UPDATE`, so concurrent requests with
    /// one token write it once. A failed write is logged, not the request's
    /// failure: the token was valid.
    async fn note_use(&self, db: &Db, token: Arc<Token>, now: chrono::DateTime<Utc>) -> Arc<Token> {
        let stale_before = now - LAST_USED_GRANULARITY;
        if token.last_used_at.is_some_and(|used| used > stale_before) {
            return token;
        }
        // At most once a minute per token: the copy is off the hot path.
        let mut token = Token::clone(&token);
        let mut assignments = vec![Token::LAST_USED_AT.set(now)];
        if self.settings.renew_on_use {
            let cap = token.created_at + to_chrono(self.settings.max_lifetime);
            token.expires_at = (now + to_chrono(self.settings.ttl)).min(cap);
            assignments.push(Token::EXPIRES_AT.set(token.expires_at));
        }
        let written = Token::objects()
            .filter(Token::ID.eq(token.id))
            .filter(Token::LAST_USED_AT.is_null(true) | Token::LAST_USED_AT.lte(stale_before))
            .update(db, assignments)
            .await;
        token.last_used_at = Some(now);
        let token = Arc::new(token);
        match written {
            // The write dropped the cached rows (this process sees its own
            // writes); this one is current again.
            Ok(_) => self
                .rows
                .rows
                .insert(token.prefix.clone(), Arc::clone(&token)),
            Err(error) => {
                tracing::warn!(target: "aksara_auth::token", %error, token_id = token.id, "could not record a token's use");
            }
        }
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(value: &[u8]) -> Parts {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        if let Ok(value) = axum::http::HeaderValue::from_bytes(value) {
            parts
                .headers
                .insert(axum::http::header::AUTHORIZATION, value);
        }
        parts
    }

    #[test]
    fn token_and_non_jwt_bearer_values_are_claimed_jwts_and_other_schemes_are_not() {
        let claimed = |value: &str| {
            credential(&parts(value.as_bytes())).map(|found| found.map(str::to_owned))
        };
        assert_eq!(claimed("Token aks_abc"), Some(Ok("aks_abc".to_owned())));
        assert_eq!(claimed("token   aks_abc "), Some(Ok("aks_abc".to_owned())));
        assert_eq!(claimed("Bearer aks_abc"), Some(Ok("aks_abc".to_owned())));
        assert_eq!(claimed("Bearer opaque"), Some(Ok("opaque".to_owned())));
        assert_eq!(claimed("Bearer"), Some(Ok("".to_owned())));
        assert_eq!(claimed("Bearer a.b.c"), None);
        assert_eq!(claimed("Basic dXNlcjpwYXNz"), None);
        assert!(matches!(claimed("aks_abc"), Some(Err(_))));
        assert!(matches!(claimed("Token aks\u{e9}"), Some(Err(_))));
    }
}
