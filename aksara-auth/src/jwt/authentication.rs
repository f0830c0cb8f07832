//! [`JwtAuthentication`]: the authenticator that accepts an access token in
//! `Authorization: Bearer <token>`.

use aksara::Db;
use axum::http::request::Parts;
use uuid::Uuid;

use super::{Jwt, JwtError, TokenType, same_version, token_version};
use crate::authentication::{Authentication, Authenticator, Authorization, Outcome};
use crate::{AuthUser, UserCache};

/// Authenticates requests that carry a JWT access token in
/// `Authorization: Bearer <token>` (simplejwt's `JWTAuthentication`).
///
/// A header that is not a bearer JWT (another scheme, an opaque token) is left
/// to the next authenticator. A bearer JWT that fails any check — signature,
/// algorithm, expiry, type, issuer, audience — that was revoked (a logout, see
/// [`Jwt::revoke`]: another process's revocation is seen within `[jwt]
/// revocation_interval`, without a database read per request), or whose user
/// is gone, inactive or has changed password since it was issued, ends the
/// request with 401
/// `authentication_failed` and `WWW-Authenticate: Bearer`. The user is loaded
/// through a [`UserCache`] (one second by default, as sessions); requests it
/// authenticates need no CSRF check (a header, not a cookie).
///
/// ```
/// use aksara_auth::jwt::{Jwt, JwtAuthentication};
/// use aksara_auth::{AuthenticationLayer, SessionAuthentication, User};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let settings = aksara::Settings::from_sources(Some("debug = true"), None::<(String, String)>)?;
/// let jwt = Jwt::from_settings(&settings)?;
/// // Bearer tokens first, then the session cookie.
/// let layer = AuthenticationLayer::<User>::new()
///     .with(JwtAuthentication::new(jwt))
///     .with(SessionAuthentication::new());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct JwtAuthentication {
    jwt: Jwt,
    cache: UserCache,
    cookie: Option<String>,
}

impl JwtAuthentication {
    /// Accepts access tokens that `jwt` issued, with its own one-second user cache.
    ///
    /// ```
    /// # let jwt = aksara_auth::jwt::Jwt::hmac(aksara_auth::jwt::JwtAlgorithm::Hs256, &[7; 32]).unwrap();
    /// let authentication = aksara_auth::jwt::JwtAuthentication::new(jwt);
    /// ```
    #[must_use]
    pub fn new(jwt: Jwt) -> Self {
        Self {
            jwt,
            cache: UserCache::default(),
            cookie: None,
        }
    }

    /// Also accepts the access token from the cookie `name` when the request has
    /// no bearer header (dj-rest-auth's `JWT_AUTH_COOKIE`), for browser clients
    /// that should not hold the token in script: set it with
    /// [`Jwt::access_cookie`]. A browser attaches cookies to requests other sites
    /// make, so such requests are CSRF-checked like sessions.
    ///
    /// ```
    /// use aksara_auth::jwt::{Jwt, JwtAlgorithm, JwtAuthentication};
    /// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap();
    /// let authentication = JwtAuthentication::new(jwt).cookie("access_token");
    /// ```
    #[must_use]
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = Some(name.into());
        self
    }

    /// Loads users through `cache`, which may be shared with other
    /// authenticators (a [`SessionAuthentication`](crate::SessionAuthentication)'s).
    ///
    /// ```
    /// use aksara_auth::{SessionAuthentication, UserCache};
    /// use aksara_auth::jwt::{Jwt, JwtAlgorithm, JwtAuthentication};
    /// let cache = UserCache::new(std::time::Duration::from_secs(2));
    /// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap();
    /// let bearer = JwtAuthentication::new(jwt).user_cache(cache.clone());
    /// let session = SessionAuthentication::new().user_cache(cache);
    /// ```
    #[must_use]
    pub fn user_cache(mut self, cache: UserCache) -> Self {
        self.cache = cache;
        self
    }
}

/// Whether `token` has a JWT's shape: three base64url parts.
pub(crate) fn is_jwt_shaped(token: &str) -> bool {
    // One pass without early exit (a vector loop): this runs on every bearer
    // request.
    let (allowed, dots) = token.bytes().fold((true, 0_usize), |(allowed, dots), b| {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        let dot = b == b'.';
        (
            allowed & (letter | digit | dot | (b == b'-') | (b == b'_')),
            dots + usize::from(dot),
        )
    });
    allowed && dots == 2
}

/// The token of `Authorization: Bearer <token>` when it has a JWT's shape,
/// `None` for anything else.
fn bearer_jwt(parts: &Parts) -> Option<&str> {
    Authorization::of(&parts.headers)
        .credentials_for("Bearer")
        .filter(|token| is_jwt_shaped(token))
}

/// The JWT-shaped value of the cookie `name`, if the request sends one,
/// borrowed from the header.
fn cookie_jwt<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|text| cookie::Cookie::split_parse(text).flatten())
        .filter(|cookie| cookie.name() == name)
        .find_map(|cookie| cookie.value_raw().filter(|value| is_jwt_shaped(value)))
}

impl JwtAuthentication {
    /// The request's token, and whether it came in a header (not a cookie).
    fn credential<'a>(&self, parts: &'a Parts) -> Option<(&'a str, bool)> {
        if let Some(token) = bearer_jwt(parts) {
            return Some((token, true));
        }
        let name = self.cookie.as_deref()?;
        cookie_jwt(parts, name).map(|token| (token, false))
    }
}

impl<U: AuthUser> Authenticator<U> for JwtAuthentication {
    fn name(&self) -> &'static str {
        "jwt"
    }

    fn challenge(&self) -> Option<&'static str> {
        Some("Bearer")
    }

    /// A glance, not a parse: `authenticate` reads the header properly.
    fn has_credential(&self, parts: &Parts) -> bool {
        parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
            || (self.cookie.is_some() && parts.headers.contains_key(axum::http::header::COOKIE))
    }

    async fn authenticate(&self, parts: &Parts, db: &Db) -> Outcome<U> {
        let Some((token, by_header)) = self.credential(parts) else {
            return Outcome::NoCredential;
        };
        let claims = match self.jwt.decode(token, TokenType::Access) {
            Ok(claims) => claims,
            Err(JwtError::Expired) => return Outcome::invalid("the access token has expired"),
            Err(error) => {
                tracing::debug!(target: "aksara_auth::jwt", ?error, "bearer token refused");
                return Outcome::invalid("invalid access token");
            }
        };
        // This process's copy of the revoked tokens: no database read but once
        // per `revocation_interval`.
        match self.jwt.is_revoked(db, &claims.jti).await {
            Ok(false) => {}
            Ok(true) => return Outcome::invalid("the access token has been revoked"),
            Err(error) => return Outcome::from(error),
        }
        let Ok(id) = claims.sub.parse::<Uuid>() else {
            return Outcome::invalid("invalid access token");
        };
        let loaded = match self
            .cache
            .load::<U>(id, db, true, ("jwt", token_version))
            .await
        {
            Ok(loaded) => loaded,
            Err(error) => return Outcome::from(error),
        };
        match loaded {
            Some((user, version)) if user.is_active() && same_version(&claims, &version) => {
                let auth = Authentication::shared(user, "jwt").with_info(claims);
                Outcome::Authenticated(if by_header { auth.by_header() } else { auth })
            }
            Some(_) => {
                tracing::info!(target: "aksara_auth::jwt", user_id = %id, "access token refused: the user is inactive or changed password");
                Outcome::invalid("invalid access token")
            }
            None => Outcome::invalid("invalid access token"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::AUTHORIZATION;

    fn parts(value: &[u8]) -> Option<Parts> {
        let value = axum::http::HeaderValue::from_bytes(value).ok()?;
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        parts.headers.insert(AUTHORIZATION, value);
        Some(parts)
    }

    #[test]
    fn only_bearer_values_of_a_jwts_shape_are_taken() {
        let taken =
            |value: &str| parts(value.as_bytes()).and_then(|p| bearer_jwt(&p).map(str::to_owned));
        assert_eq!(taken("Bearer a.b.c").as_deref(), Some("a.b.c"));
        assert_eq!(taken("bearer a-_.b.c").as_deref(), Some("a-_.b.c"));
        for value in [
            "",
            "Bearer",
            "Bearer ",
            "Token a.b.c",
            "Bearer a.b",
            "Bearer a.b.c.d",
            "Bearer a b.c",
            "Basic a.b.c",
            "Bearer a.b.c=",
        ] {
            assert_eq!(taken(value), None, "{value:?}");
        }
    }

    #[test]
    fn arbitrary_header_bytes_never_panic_and_what_is_taken_is_jwt_shaped() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let pieces: [&[u8]; 8] = [
            b"Bearer ",
            b"bearer ",
            b".",
            b"a",
            b" ",
            b"\xc3\xa9",
            b"\t",
            b"Zz9-_",
        ];
        for _ in 0..50_000 {
            let mut value = Vec::new();
            for _ in 0..(next() % 12) {
                if next() % 4 == 0 {
                    value.push(u8::try_from(next() % 256).unwrap());
                } else {
                    value.extend_from_slice(pieces[usize::try_from(next() % 8).unwrap()]);
                }
            }
            let Some(parts) = parts(&value) else { continue };
            if let Some(token) = bearer_jwt(&parts) {
                assert_eq!(token.split('.').count(), 3, "{value:?}");
                assert!(
                    token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
                    "{value:?}"
                );
            }
        }
    }
}
