//! Session identifiers: the random id the cookie carries, and the [`SessionKey`]
//! (its SHA-256) under which stores keep the session.
//!
//! The cookie's id is 256 bits from the operating system's random number generator,
//! written in unpadded base64url (43 characters). Stores never see it: they get
//! its SHA-256, so a leaked session table or Redis dump holds no value a browser
//! could present, even together with the signing key.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Random bytes in an id.
const ID_BYTES: usize = 32;
/// Length of an id in unpadded base64url.
const ID_CHARS: usize = 43;

/// The key a store keeps a session under: the unpadded base64url SHA-256 of the
/// cookie's id (43 characters). It identifies a session but cannot be turned back
/// into a cookie. `Debug` does not print it.
///
/// ```
/// use aksara_auth::session::{MemoryStore, Session, SessionLayer};
/// # use axum::{Router, routing::get};
/// # use tower::ServiceExt;
/// async fn handler(session: Session) -> String {
///     assert!(session.id().is_none()); // nothing stored yet
///     session.insert("seen", &true).await.unwrap();
///     let key = session.id().expect("an id once the session holds data");
///     assert_eq!(key.as_str().len(), 43);
///     format!("{key:?}")
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let app = Router::new().route("/", get(handler)).layer(SessionLayer::new(MemoryStore::new()));
/// # let response = app.oneshot(http::Request::new(axum::body::Body::empty())).await.unwrap();
/// # let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
/// # assert_eq!(&body[..], b"SessionKey(..)");
/// # }
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey(Base64Url);

impl SessionKey {
    /// The key as stored (unpadded base64url, 43 characters).
    ///
    /// ```
    /// # use aksara_auth::session::SessionKey;
    /// fn storage_name(prefix: &str, key: &SessionKey) -> String {
    ///     format!("{prefix}{}", key.as_str())
    /// }
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

/// A 256-bit value as 43 characters of unpadded base64url, kept inline: ids and
/// keys are parsed, cloned and compared on every request with a session, and a
/// `String` cost an allocation each time.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Base64Url([u8; ID_CHARS]);

impl Base64Url {
    fn encode(bytes: &[u8; ID_BYTES]) -> Self {
        let mut text = [0_u8; ID_CHARS];
        // Never fails: 32 bytes are always 43 characters. Were it to, every id
        // would share one key, so stop rather than go on.
        let written = URL_SAFE_NO_PAD
            .encode_slice(bytes, &mut text)
            .expect("32 bytes encode to 43 base64url characters");
        assert_eq!(
            written, ID_CHARS,
            "32 bytes encode to 43 base64url characters"
        );
        Self(text)
    }

    /// `value`, if it is 43 base64url characters.
    fn parse(value: &str) -> Option<Self> {
        let text: [u8; ID_CHARS] = value.as_bytes().try_into().ok()?;
        text.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            .then_some(Self(text))
    }

    fn as_str(&self) -> &str {
        // Built only by `encode` and `parse`, so always ASCII; a silent fallback
        // would give every session the same key.
        std::str::from_utf8(&self.0).expect("base64url text is ASCII")
    }
}

/// The id a cookie carries, with its store key. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SessionId {
    cookie_value: Base64Url,
    key: SessionKey,
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(..)")
    }
}

impl SessionId {
    /// A fresh id from the operating system's random number generator.
    ///
    /// # Panics
    /// When the operating system cannot provide random bytes (as `Uuid::new_v4` and
    /// every other id generator do: there is no safe fallback).
    pub(crate) fn generate() -> Self {
        let mut bytes = [0_u8; ID_BYTES];
        getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
        Self::from_encoded(Base64Url::encode(&bytes))
    }

    /// The id a verified cookie value names, if it has the shape of one.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        Base64Url::parse(value).map(Self::from_encoded)
    }

    fn from_encoded(cookie_value: Base64Url) -> Self {
        let digest: [u8; ID_BYTES] = Sha256::digest(cookie_value.0).into();
        let key = SessionKey(Base64Url::encode(&digest));
        Self { cookie_value, key }
    }

    /// What the cookie carries (before signing).
    pub(crate) fn cookie_value(&self) -> &str {
        self.cookie_value.as_str()
    }

    /// Where the store keeps the session.
    pub(crate) fn key(&self) -> &SessionKey {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_long_distinct_and_parse_back() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_ne!(a, b);
        assert_eq!(a.cookie_value().len(), ID_CHARS);
        assert_eq!(SessionId::parse(a.cookie_value()), Some(a.clone()));
        assert_ne!(a.key().as_str(), a.cookie_value());
        assert_eq!(a.key().as_str().len(), 43);
    }

    #[test]
    fn malformed_values_are_refused() {
        assert!(SessionId::parse("").is_none());
        assert!(SessionId::parse(&"a".repeat(42)).is_none());
        assert!(SessionId::parse(&format!("{}=", "a".repeat(42))).is_none());
        assert!(SessionId::parse(&"a".repeat(44)).is_none());
        assert!(SessionId::parse(&format!("{}é", "a".repeat(41))).is_none());
    }

    #[test]
    fn debug_shows_neither_id_nor_key() {
        let id = SessionId::generate();
        assert_eq!(format!("{id:?}"), "SessionId(..)");
        assert_eq!(format!("{:?}", id.key()), "SessionKey(..)");
    }
}
