//! The `Authorization` header, read once for every authenticator that takes a
//! credential from it (JWT, opaque bearer tokens, custom schemes), so that they
//! agree on what a well-formed header is.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

/// The longest `Authorization` value read (8 KiB, as [`MAX_TOKEN_LEN`] for
/// JWTs); a longer one is [`Authorization::Malformed`] without being looked at.
///
/// [`MAX_TOKEN_LEN`]: crate::jwt::MAX_TOKEN_LEN
pub const MAX_AUTHORIZATION_LEN: usize = 8 * 1024;

/// What a request's `Authorization` header holds.
///
/// ```
/// use aksara_auth::authentication::Authorization;
/// use axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
///
/// let mut headers = HeaderMap::new();
/// assert_eq!(Authorization::of(&headers), Authorization::Absent);
///
/// headers.insert(AUTHORIZATION, HeaderValue::from_static("Token  abc123 "));
/// let found = Authorization::of(&headers);
/// assert_eq!(found, Authorization::Credentials { scheme: "Token", credentials: "abc123" });
/// assert_eq!(found.credentials_for("token"), Some("abc123"));
/// assert_eq!(found.credentials_for("Bearer"), None);
///
/// headers.insert(AUTHORIZATION, HeaderValue::from_static("abc123"));
/// assert!(matches!(Authorization::of(&headers), Authorization::Malformed(_)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorization<'a> {
    /// No `Authorization` header.
    Absent,
    /// `<scheme> <credentials>`: a scheme (an RFC 9110 token) and the rest,
    /// with surrounding spaces removed. The credentials may be empty (`Bearer`
    /// alone) or hold spaces (`Digest` parameters); each scheme's reader decides.
    Credentials {
        /// The scheme as sent (compare it with `eq_ignore_ascii_case`).
        scheme: &'a str,
        /// Everything after the scheme, trimmed.
        credentials: &'a str,
    },
    /// A header that is no `<scheme> <credentials>`: the reason, for the log
    /// (never the value, which may be a secret).
    Malformed(&'static str),
}

impl<'a> Authorization<'a> {
    /// Reads the `Authorization` header of `headers`.
    ///
    /// Malformed: more than one such header, a value over
    /// [`MAX_AUTHORIZATION_LEN`], bytes other than visible ASCII and spaces, or a
    /// value without a scheme.
    ///
    /// ```
    /// use aksara_auth::authentication::Authorization;
    /// use axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(AUTHORIZATION, HeaderValue::from_bytes("Bearer caf\u{e9}".as_bytes()).unwrap());
    /// assert_eq!(Authorization::of(&headers), Authorization::Malformed("not visible ASCII"));
    /// ```
    #[must_use]
    pub fn of(headers: &'a HeaderMap) -> Self {
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let Some(value) = values.next() else {
            return Self::Absent;
        };
        if values.next().is_some() {
            return Self::Malformed("more than one Authorization header");
        }
        Self::parse(value.as_bytes())
    }

    /// Reads one header value, as [`of`](Self::of) does.
    ///
    /// ```
    /// use aksara_auth::authentication::Authorization;
    /// assert_eq!(
    ///     Authorization::parse(b"Basic dXNlcjpwYXNz"),
    ///     Authorization::Credentials { scheme: "Basic", credentials: "dXNlcjpwYXNz" },
    /// );
    /// assert_eq!(Authorization::parse(b""), Authorization::Malformed("empty"));
    /// ```
    #[must_use]
    pub fn parse(value: &'a [u8]) -> Self {
        if value.len() > MAX_AUTHORIZATION_LEN {
            return Self::Malformed("longer than 8 KiB");
        }
        // A fold without early exit compiles to a vector loop: this runs on
        // every request that carries the header.
        let visible = value
            .iter()
            .fold(true, |visible, &b| visible & (b.wrapping_sub(b' ') < 0x5f));
        if !visible {
            return Self::Malformed("not visible ASCII");
        }
        // Only visible ASCII and spaces remain: valid UTF-8.
        let Ok(text) = std::str::from_utf8(value) else {
            return Self::Malformed("not visible ASCII");
        };
        let text = text.trim_matches(' ');
        if text.is_empty() {
            return Self::Malformed("empty");
        }
        let (scheme, credentials) = text.split_once(' ').unwrap_or((text, ""));
        if !scheme.bytes().all(is_token_char) {
            return Self::Malformed("the scheme is not a token");
        }
        if credentials.is_empty() && !scheme.bytes().all(|b| b.is_ascii_alphabetic()) {
            // `Bearer` alone names a scheme; `abc123` alone is a credential
            // sent without one.
            return Self::Malformed("no scheme");
        }
        Self::Credentials {
            scheme,
            credentials: credentials.trim_start_matches(' '),
        }
    }

    /// The credentials when the scheme is `scheme` (compared without regard to
    /// case), else `None`.
    ///
    /// ```
    /// use aksara_auth::authentication::Authorization;
    /// let header = Authorization::parse(b"bearer abc");
    /// assert_eq!(header.credentials_for("Bearer"), Some("abc"));
    /// ```
    #[must_use]
    pub fn credentials_for(&self, scheme: &str) -> Option<&'a str> {
        match *self {
            Self::Credentials {
                scheme: sent,
                credentials,
            } if sent.eq_ignore_ascii_case(scheme) => Some(credentials),
            _ => None,
        }
    }
}

/// RFC 9110's `tchar`.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_values_give_scheme_and_trimmed_credentials() {
        for (value, scheme, credentials) in [
            ("Bearer a.b.c", "Bearer", "a.b.c"),
            ("  Token   k  ", "Token", "k"),
            ("Bearer", "Bearer", ""),
            ("Bearer ", "Bearer", ""),
            ("Digest a=1, b=2", "Digest", "a=1, b=2"),
        ] {
            assert_eq!(
                Authorization::parse(value.as_bytes()),
                Authorization::Credentials {
                    scheme,
                    credentials
                },
                "{value:?}"
            );
        }
    }

    #[test]
    fn malformed_values_are_named_and_never_echoed() {
        let long = format!("Bearer {}", "a".repeat(MAX_AUTHORIZATION_LEN));
        for (value, reason) in [
            (&b""[..], "empty"),
            (b"   ", "empty"),
            (b"abc123", "no scheme"),
            (b"Bearer\tabc", "not visible ASCII"),
            (b"Bearer \xc3\xa9", "not visible ASCII"),
            (b"Bearer \0", "not visible ASCII"),
            (b"Bea(rer abc", "the scheme is not a token"),
            (long.as_bytes(), "longer than 8 KiB"),
        ] {
            assert_eq!(
                Authorization::parse(value),
                Authorization::Malformed(reason),
                "{value:?}"
            );
        }
    }

    #[test]
    fn two_headers_are_malformed() {
        let mut headers = HeaderMap::new();
        headers.append(AUTHORIZATION, "Bearer a".parse().unwrap());
        headers.append(AUTHORIZATION, "Bearer b".parse().unwrap());
        assert_eq!(
            Authorization::of(&headers),
            Authorization::Malformed("more than one Authorization header")
        );
    }

    use proptest::strategy::Strategy as _;

    // The fuzz target `authorization_header` (`fuzz/`) checks the same on
    // nightly for minutes; these run on stable with every `cargo test`.
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any bytes: no panic, the same answer twice and through a header
        /// map, and what is accepted keeps the documented shape.
        #[test]
        fn arbitrary_bytes_never_panic_and_accepted_values_have_the_documented_shape(
            value in proptest::prop_oneof![
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
                "(Bearer|Token| |a\\.b|\\(|\t|é|Zz9-_~){0,12}".prop_map(String::into_bytes),
            ]
        ) {
            let parsed = Authorization::parse(&value);
            proptest::prop_assert_eq!(Authorization::parse(&value), parsed);
            if let Ok(header) = axum::http::HeaderValue::from_bytes(&value) {
                let mut headers = HeaderMap::new();
                headers.insert(AUTHORIZATION, header);
                proptest::prop_assert_eq!(Authorization::of(&headers), parsed);
            }
            match parsed {
                Authorization::Credentials { scheme, credentials } => {
                    proptest::prop_assert!(!scheme.is_empty() && scheme.bytes().all(is_token_char));
                    proptest::prop_assert_eq!(credentials, credentials.trim_matches(' '));
                    proptest::prop_assert!(
                        credentials.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
                    );
                }
                Authorization::Malformed(_) => {}
                Authorization::Absent => proptest::prop_assert!(false, "Absent from parse"),
            }
        }

        /// `<spaces><scheme><spaces><credentials><spaces>` reads back as the
        /// scheme and the credentials.
        #[test]
        fn well_formed_values_round_trip(
            scheme in "[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,15}",
            credentials in "([!-~]([ !-~]{0,40}[!-~])?)?",
            before in " {0,3}",
            between in " {1,3}",
            after in " {0,3}",
        ) {
            // A scheme alone must be letters (else it reads as a bare credential).
            proptest::prop_assume!(
                !credentials.is_empty() || scheme.bytes().all(|b| b.is_ascii_alphabetic())
            );
            let value = format!("{before}{scheme}{between}{credentials}{after}");
            let parsed = Authorization::parse(value.as_bytes());
            proptest::prop_assert_eq!(
                parsed,
                Authorization::Credentials { scheme: &scheme, credentials: &credentials }
            );
            proptest::prop_assert_eq!(
                parsed.credentials_for(&scheme.to_ascii_lowercase()),
                Some(credentials.as_str())
            );
        }
    }
}
