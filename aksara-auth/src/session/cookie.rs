//! The session cookie: reading and verifying it from the `Cookie` header, and
//! writing the signed `Set-Cookie` (or its removal).
//!
//! The value is the random id after its HMAC-SHA256 tag (unpadded base64url, 43
//! characters, then the id's 43). The signing key is the SHA-256 of a purpose
//! label and the application's secret, so the same secret can sign other things
//! without a value of one verifying as another.
//!
//! The `cookie` crate parses the `Cookie` header and writes `Set-Cookie`; the tag
//! is ours (with `hmac`) rather than its `SignedJar`'s, because the jar keys a
//! new HMAC and allocates for every cookie it checks, about a tenth of what an
//! authenticated request costs. [`Signer`] keys the HMAC once per app and checks
//! a cookie without allocating.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use cookie::{Cookie, SameSite};
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};

use super::error::SessionConfigError;
use super::id::SessionId;

/// Separates the session's signing key from other uses of the same secret.
const KEY_PURPOSE: &[u8] = b"aksara-auth session cookie v1\0";

/// What the request's `Cookie` header says about the session.
#[derive(Debug)]
pub(crate) enum CookieRead {
    /// No session cookie.
    Absent,
    /// A session cookie that does not verify or has no id's shape.
    Invalid,
    /// A verified id.
    Valid(SessionId),
}

/// Bytes in an HMAC-SHA256 tag.
const TAG_BYTES: usize = 32;
/// Length of a tag in unpadded base64url.
const TAG_CHARS: usize = 43;

/// Signs the session id for the cookie and checks a cookie's signature: an
/// HMAC-SHA256 keyed once, cloned for each value.
#[derive(Clone)]
pub(crate) struct Signer {
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    /// The signer for a secret of at least 32 bytes.
    pub(crate) fn from_secret(secret: &[u8]) -> Result<Self, SessionConfigError> {
        if secret.len() < 32 {
            return Err(SessionConfigError::SecretKeyTooShort {
                length: secret.len(),
            });
        }
        let mut hasher = Sha256::new();
        hasher.update(KEY_PURPOSE);
        hasher.update(secret);
        Ok(Self::with_key(&hasher.finalize()))
    }

    /// A signer with a random key (sessions then do not survive a restart).
    pub(crate) fn random() -> Self {
        let mut key = [0_u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random number generator failed");
        Self::with_key(&key)
    }

    fn with_key(key: &[u8]) -> Self {
        Self {
            keyed: Hmac::new_from_slice(key).expect("HMAC takes a key of any length"),
        }
    }

    fn tag(&self, value: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(value.as_bytes());
        mac
    }

    /// `value` after its tag, for the cookie.
    pub(crate) fn sign(&self, value: &str) -> String {
        let mut signed = URL_SAFE_NO_PAD.encode(self.tag(value).finalize().into_bytes());
        signed.push_str(value);
        signed
    }

    /// The value a signed cookie carries, read by `parse`, if `parse` accepts it
    /// and its tag is right (compared in constant time). Parsing comes first, so
    /// a value of the wrong shape costs no HMAC, however long it is.
    pub(crate) fn verify<T>(
        &self,
        signed: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let (tag_text, value) = signed.split_at_checked(TAG_CHARS)?;
        let parsed = parse(value)?;
        let mut tag = [0_u8; TAG_BYTES];
        match URL_SAFE_NO_PAD.decode_slice(tag_text, &mut tag) {
            Ok(TAG_BYTES) => {}
            _ => return None,
        }
        self.tag(value).verify_slice(&tag).ok().map(|()| parsed)
    }
}

/// How the session cookie is written.
#[derive(Clone)]
pub(crate) struct CookieSettings {
    pub(crate) name: String,
    pub(crate) signer: Signer,
    pub(crate) path: String,
    pub(crate) domain: Option<String>,
    pub(crate) secure: bool,
    pub(crate) same_site: SameSite,
    pub(crate) max_age: Option<Duration>,
}

impl std::fmt::Debug for CookieSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieSettings")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("secure", &self.secure)
            .field("same_site", &self.same_site)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

impl CookieSettings {
    /// Defaults: `session`, `Path=/`, `Secure`, `SameSite=Lax`, two weeks.
    pub(crate) fn new(signer: Signer) -> Self {
        Self {
            name: "session".into(),
            signer,
            path: "/".into(),
            domain: None,
            secure: true,
            same_site: SameSite::Lax,
            max_age: Some(Duration::weeks(2)),
        }
    }

    /// The session id the request's cookies carry, if any verifies. When several
    /// cookies have the name (set for different paths), the first valid one wins.
    pub(crate) fn read(&self, headers: &HeaderMap) -> CookieRead {
        let mut seen = false;
        for header_value in headers.get_all(header::COOKIE) {
            let Ok(text) = header_value.to_str() else {
                continue;
            };
            for parsed in Cookie::split_parse(text).flatten() {
                if parsed.name() != self.name {
                    continue;
                }
                seen = true;
                if let Some(id) = self.signer.verify(parsed.value(), SessionId::parse) {
                    return CookieRead::Valid(id);
                }
            }
        }
        if seen {
            CookieRead::Invalid
        } else {
            CookieRead::Absent
        }
    }

    /// `Set-Cookie` carrying `id`, kept by the browser for the configured max age,
    /// never past `ends_at` (the absolute deadline).
    pub(crate) fn set_cookie(
        &self,
        id: &SessionId,
        now: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    ) -> Option<HeaderValue> {
        let mut builder = self.builder(self.signer.sign(id.cookie_value()));
        if let Some(max_age) = self.max_age {
            let seconds = max_age.min(ends_at - now).num_seconds().max(1);
            builder = builder.max_age(cookie::time::Duration::seconds(seconds));
        }
        header_value(&builder.build().to_string())
    }

    /// `Set-Cookie` that makes the browser drop the cookie.
    pub(crate) fn removal(&self) -> Option<HeaderValue> {
        let cookie = self.builder(String::new()).removal().build();
        header_value(&cookie.to_string())
    }

    fn builder(&self, value: String) -> cookie::CookieBuilder<'static> {
        let mut builder = Cookie::build((self.name.clone(), value))
            .http_only(true)
            .secure(self.secure)
            .same_site(self.same_site)
            .path(self.path.clone());
        if let Some(domain) = &self.domain {
            builder = builder.domain(domain.clone());
        }
        builder
    }
}

fn header_value(text: &str) -> Option<HeaderValue> {
    match HeaderValue::from_str(text) {
        Ok(value) => Some(value),
        Err(_) => {
            tracing::error!(target: "aksara_auth::session", "the session cookie is not a valid header value; check the cookie name, path and domain");
            None
        }
    }
}

/// Whether `text` can be a cookie attribute value (`Path`, `Domain`).
pub(crate) fn is_attribute_value(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic() && b != b';')
}

/// Whether `text` can be a cookie name (an HTTP token).
pub(crate) fn is_cookie_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> CookieSettings {
        CookieSettings::new(Signer::from_secret(&[7; 32]).unwrap())
    }

    fn request_with(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    fn pair(set_cookie: &HeaderValue) -> String {
        set_cookie
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn a_signed_cookie_reads_back_and_a_tampered_one_does_not() {
        let settings = settings();
        let id = SessionId::generate();
        let now = Utc::now();
        let set = settings
            .set_cookie(&id, now, now + Duration::days(30))
            .unwrap();
        let text = set.to_str().unwrap();
        for attribute in [
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=1209600",
        ] {
            assert!(text.contains(attribute), "{attribute} in {text}");
        }
        let sent = pair(&set);
        let CookieRead::Valid(read) = settings.read(&request_with(&format!("other=1; {sent}")))
        else {
            panic!("valid cookie refused")
        };
        assert_eq!(read, id);

        let mut tampered = sent.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(matches!(
            settings.read(&request_with(&tampered)),
            CookieRead::Invalid
        ));
        assert!(matches!(
            settings.read(&HeaderMap::new()),
            CookieRead::Absent
        ));
        let unsigned = format!("session={}", id.cookie_value());
        assert!(matches!(
            settings.read(&request_with(&unsigned)),
            CookieRead::Invalid
        ));
    }

    #[test]
    fn another_secret_does_not_verify() {
        let id = SessionId::generate();
        let now = Utc::now();
        let set = settings()
            .set_cookie(&id, now, now + Duration::days(1))
            .unwrap();
        let other = CookieSettings::new(Signer::from_secret(&[8; 32]).unwrap());
        assert!(matches!(
            other.read(&request_with(&pair(&set))),
            CookieRead::Invalid
        ));
    }

    #[test]
    fn a_tag_verifies_only_its_own_value() {
        let signer = Signer::from_secret(&[7; 32]).unwrap();
        let text = |value: &str| Some(value.to_owned());
        let signed = signer.sign("first-id");
        assert_eq!(signer.verify(&signed, text).as_deref(), Some("first-id"));
        let moved = format!("{}second-id", &signed[..TAG_CHARS]);
        assert_eq!(signer.verify(&moved, text), None);
        // Too short for a tag, or a tag that is not base64url.
        assert_eq!(signer.verify("abc", text), None);
        let not_base64 = format!("{}first-id", "!".repeat(TAG_CHARS));
        assert_eq!(signer.verify(&not_base64, text), None);
        // A tag spelled another way: the last character's unused low bits set.
        // (43 characters hold 258 bits; the last 2 must be zero.)
        let last = signed.as_bytes()[TAG_CHARS - 1];
        let mut respelled = signed.clone().into_bytes();
        respelled[TAG_CHARS - 1] =
            URL_SAFE_ALPHABET[URL_SAFE_ALPHABET.iter().position(|&c| c == last).unwrap() | 1];
        let respelled = String::from_utf8(respelled).unwrap();
        assert_ne!(respelled, signed);
        assert_eq!(signer.verify(&respelled, text), None);
        // A character of several bytes across the tag's end: no panic.
        let split = format!("{}é{}", "A".repeat(TAG_CHARS - 1), "x".repeat(10));
        assert_eq!(signer.verify(&split, text), None);
        // A value `parse` refuses is refused before any tag is checked.
        assert_eq!(signer.verify(&signed, |_| None::<()>), None);
        // Keys are never printed.
        assert_eq!(format!("{signer:?}"), "Signer(..)");
    }

    const URL_SAFE_ALPHABET: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    #[test]
    fn max_age_never_passes_the_absolute_deadline() {
        let now = Utc::now();
        let set = settings()
            .set_cookie(&SessionId::generate(), now, now + Duration::seconds(90))
            .unwrap();
        assert!(set.to_str().unwrap().contains("Max-Age=90"));
    }

    #[test]
    fn removal_expires_the_cookie() {
        let removal = settings().removal().unwrap();
        let text = removal.to_str().unwrap();
        assert!(text.starts_with("session=;"), "{text}");
        assert!(text.contains("Max-Age=0"), "{text}");
        assert!(text.contains("Path=/"), "{text}");
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(
            Signer::from_secret(&[1; 31]),
            Err(SessionConfigError::SecretKeyTooShort { length: 31 })
        ));
        assert!(Signer::from_secret(&[1; 32]).is_ok());
    }

    #[test]
    fn names_and_attributes_are_checked() {
        assert!(is_cookie_name("__Host-session"));
        assert!(!is_cookie_name("a b") && !is_cookie_name("a;b") && !is_cookie_name(""));
        assert!(is_attribute_value("/app") && !is_attribute_value("/a;b"));
    }

    fn is_base64url(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
    }

    use proptest::strategy::Strategy as _;

    // The fuzz target `session_cookie` (`fuzz/`) checks the same on nightly for
    // minutes; these run on stable with every `cargo test`.
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any text: an id exactly when it is 43 base64url characters, and its
        /// key the SHA-256 of it.
        #[test]
        fn ids_parse_exactly_when_they_have_the_shape(
            text in proptest::prop_oneof![
                proptest::prelude::any::<String>(),
                "[A-Za-z0-9_=+/-]{42,44}",
            ]
        ) {
            let shaped = text.len() == 43 && text.bytes().all(is_base64url);
            let parsed = SessionId::parse(&text);
            proptest::prop_assert_eq!(parsed.is_some(), shaped);
            if let Some(id) = parsed {
                proptest::prop_assert_eq!(id.cookie_value(), text.as_str());
                let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
                proptest::prop_assert_eq!(id.key().as_str(), URL_SAFE_NO_PAD.encode(digest));
            }
        }

        /// Any `Cookie` header: no panic, and no session without the key's tag.
        #[test]
        fn arbitrary_cookie_headers_never_give_a_session(
            header in proptest::prop_oneof![
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
                "((session|other)=[A-Za-z0-9_\"=-]{0,90}(; )?){0,3}".prop_map(String::into_bytes),
            ]
        ) {
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_bytes(&header) {
                headers.insert(header::COOKIE, value);
            }
            proptest::prop_assert!(!matches!(settings().read(&headers), CookieRead::Valid(_)));
        }

        /// An id from any bytes, signed, reads back next to any other cookie;
        /// with any byte of its value changed to any other, it does not.
        #[test]
        fn signed_ids_round_trip_and_changed_ones_do_not(
            bytes in proptest::prelude::any::<[u8; 32]>(),
            before in "([a-z]{1,6}=[a-z0-9]{0,6}; ){0,3}",
            at in proptest::prelude::any::<proptest::sample::Index>(),
            byte in proptest::prelude::any::<u8>(),
        ) {
            let settings = settings();
            let id = SessionId::parse(&URL_SAFE_NO_PAD.encode(bytes)).unwrap();
            let now = Utc::now();
            let sent = pair(&settings.set_cookie(&id, now, now + Duration::days(1)).unwrap());
            let CookieRead::Valid(read) = settings.read(&request_with(&format!("{before}{sent}"))) else {
                return Err(proptest::test_runner::TestCaseError::fail("a signed cookie refused"));
            };
            proptest::prop_assert_eq!(read, id);

            let mut changed = sent.into_bytes();
            let at = "session=".len() + at.index(changed.len() - "session=".len());
            changed[at] = if changed[at] == byte { byte ^ 0x01 } else { byte };
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_bytes(&changed) {
                headers.insert(header::COOKIE, value);
            }
            proptest::prop_assert!(!matches!(settings.read(&headers), CookieRead::Valid(_)));
        }
    }
}
