//! Items that `#[auth_user]` expansions reach by absolute path
//! (`::aksara_auth::__private::…`); not part of the public API.

pub use aksara;
pub use aksara::__private::inventory;
pub use aksara::Model;
pub use chrono::{DateTime, Utc};
pub use uuid::Uuid;

pub use crate::guard::{
    Guard, GuardPolicy, LoginRequired, PathChar, PathEnd, Redirecting, Requirement, StaffRequired,
    SuperuserRequired,
};
pub use crate::password::PasswordHash;
pub use crate::user::{AuthUser, USER_SLOT, normalize_email};

pub use session_cookie::{SessionCookieCodec, SessionCookieRead, session_key};

/// The session cookie's parsers without a store or a runtime, for the fuzz
/// targets in `fuzz/`: the cookie and id readers are the crate's own, not
/// public API, and going through [`SessionLayer`](crate::SessionLayer) would
/// spend the fuzzer's time in tower and the store.
mod session_cookie {
    use axum::http::HeaderMap;
    use chrono::{Duration, Utc};

    use crate::session::{CookieRead, CookieSettings, SessionConfigError, SessionId, Signer};

    /// Signs and reads the cookie `session` as a [`SessionLayer`] with the same
    /// secret does.
    ///
    /// ```
    /// use aksara_auth::__private::{SessionCookieCodec, SessionCookieRead, session_key};
    /// use axum::http::{HeaderMap, HeaderValue, header::COOKIE};
    ///
    /// let codec = SessionCookieCodec::new(&[7; 32]).unwrap();
    /// let id = "A".repeat(43);
    /// let set_cookie = codec.set_cookie(&id).unwrap();
    /// let pair = set_cookie.split(';').next().unwrap();
    /// let mut headers = HeaderMap::new();
    /// headers.insert(COOKIE, HeaderValue::from_str(pair).unwrap());
    /// let key = session_key(&id).unwrap();
    /// assert_eq!(codec.read(&headers), SessionCookieRead::Valid { id, key });
    /// ```
    ///
    /// [`SessionLayer`]: crate::SessionLayer
    #[derive(Debug)]
    pub struct SessionCookieCodec(CookieSettings);

    /// What [`SessionCookieCodec::read`] found in a request's `Cookie` headers.
    ///
    /// ```
    /// use aksara_auth::__private::{SessionCookieCodec, SessionCookieRead};
    /// let codec = SessionCookieCodec::new(&[7; 32]).unwrap();
    /// assert_eq!(codec.read(&Default::default()), SessionCookieRead::Absent);
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum SessionCookieRead {
        /// No cookie named `session`.
        Absent,
        /// A `session` cookie, none of which verifies.
        Invalid,
        /// A verified id and the store key it names.
        Valid {
            /// The id the cookie carries (43 base64url characters).
            id: String,
            /// Its store key ([`SessionKey`](crate::session::SessionKey)'s text).
            key: String,
        },
    }

    impl SessionCookieCodec {
        /// The cookie of a session layer keyed with `secret`.
        ///
        /// # Errors
        /// [`SessionConfigError::SecretKeyTooShort`] below 32 bytes.
        ///
        /// ```
        /// use aksara_auth::__private::SessionCookieCodec;
        /// assert!(SessionCookieCodec::new(&[7; 31]).is_err());
        /// ```
        pub fn new(secret: &[u8]) -> Result<Self, SessionConfigError> {
            Ok(Self(CookieSettings::new(Signer::from_secret(secret)?)))
        }

        /// The `Set-Cookie` text that carries `id`, or `None` when `id` has
        /// not an id's shape (43 base64url characters).
        ///
        /// ```
        /// use aksara_auth::__private::SessionCookieCodec;
        /// let codec = SessionCookieCodec::new(&[7; 32]).unwrap();
        /// assert!(codec.set_cookie(&"-".repeat(43)).unwrap().starts_with("session="));
        /// assert_eq!(codec.set_cookie("short"), None);
        /// ```
        #[must_use]
        pub fn set_cookie(&self, id: &str) -> Option<String> {
            let id = SessionId::parse(id)?;
            let now = Utc::now();
            let value = self.0.set_cookie(&id, now, now + Duration::weeks(2))?;
            value.to_str().ok().map(str::to_owned)
        }

        /// The session the `Cookie` headers of a request name, read as the
        /// layer reads them.
        ///
        /// ```
        /// use aksara_auth::__private::{SessionCookieCodec, SessionCookieRead};
        /// use axum::http::{HeaderMap, HeaderValue, header::COOKIE};
        /// let codec = SessionCookieCodec::new(&[7; 32]).unwrap();
        /// let mut headers = HeaderMap::new();
        /// headers.insert(COOKIE, HeaderValue::from_static("session=forged"));
        /// assert_eq!(codec.read(&headers), SessionCookieRead::Invalid);
        /// ```
        #[must_use]
        pub fn read(&self, headers: &HeaderMap) -> SessionCookieRead {
            match self.0.read(headers) {
                CookieRead::Absent => SessionCookieRead::Absent,
                CookieRead::Invalid => SessionCookieRead::Invalid,
                CookieRead::Valid(id) => SessionCookieRead::Valid {
                    id: id.cookie_value().to_owned(),
                    key: id.key().as_str().to_owned(),
                },
            }
        }
    }

    /// The store key of the session id `id`, or `None` when `id` has not an
    /// id's shape.
    ///
    /// ```
    /// use aksara_auth::__private::session_key;
    /// assert_eq!(session_key(&"A".repeat(43)).unwrap().len(), 43);
    /// assert_eq!(session_key(&"=".repeat(43)), None);
    /// ```
    #[must_use]
    pub fn session_key(id: &str) -> Option<String> {
        SessionId::parse(id).map(|id| id.key().as_str().to_owned())
    }
}
