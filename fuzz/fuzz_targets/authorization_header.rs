//! `Authorization::parse` and `Authorization::of` on any bytes: no panic, an
//! accepted value is exactly the trimmed input split at its first space, it
//! parses again to itself once written back, and the header map reader agrees
//! with the byte reader.
#![no_main]

use aksara_auth::authentication::{Authorization, MAX_AUTHORIZATION_LEN};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

/// RFC 9110's `tchar`, written again here so the target does not trust the
/// parser's own.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

const REASONS: [&str; 5] = [
    "longer than 8 KiB",
    "not visible ASCII",
    "empty",
    "the scheme is not a token",
    "no scheme",
];

fuzz_target!(|data: &[u8]| {
    let parsed = Authorization::parse(data);
    match parsed {
        Authorization::Absent => panic!("parse never says Absent: a value was given"),
        Authorization::Malformed(reason) => {
            assert!(REASONS.contains(&reason), "undocumented reason {reason:?}");
            let visible = data.iter().all(|&b| (b' '..=b'~').contains(&b));
            assert_eq!(
                reason == "not visible ASCII",
                data.len() <= MAX_AUTHORIZATION_LEN && !visible
            );
        }
        Authorization::Credentials {
            scheme,
            credentials,
        } => {
            assert!(data.len() <= MAX_AUTHORIZATION_LEN);
            assert!(!scheme.is_empty() && scheme.bytes().all(is_tchar));
            assert_eq!(credentials, credentials.trim_matches(' '));
            assert!(credentials.bytes().all(|b| (b' '..=b'~').contains(&b)));
            if credentials.is_empty() {
                assert!(scheme.bytes().all(|b| b.is_ascii_alphabetic()));
            }
            // Nothing invented, nothing dropped but spaces: the input is
            // spaces, the scheme, spaces, the credentials, spaces.
            let text = std::str::from_utf8(data)
                .expect("accepted bytes are ASCII")
                .trim_matches(' ');
            let between = text
                .strip_prefix(scheme)
                .and_then(|rest| rest.strip_suffix(credentials))
                .expect("scheme and credentials are the ends of the value");
            assert!(between.bytes().all(|b| b == b' '));
            assert!(!between.is_empty() || credentials.is_empty());
            // Written back, it reads the same.
            let written = format!("{scheme} {credentials}");
            assert_eq!(Authorization::parse(written.as_bytes()), parsed);
            assert_eq!(
                parsed.credentials_for(&scheme.to_ascii_uppercase()),
                Some(credentials)
            );
            if !scheme.eq_ignore_ascii_case("Other-Scheme") {
                assert_eq!(parsed.credentials_for("Other-Scheme"), None);
            }
        }
    }

    // The header map reader agrees with the byte reader, and two headers are
    // always malformed whatever they hold.
    if let Ok(value) = HeaderValue::from_bytes(data) {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value.clone());
        assert_eq!(Authorization::of(&headers), parsed);
        headers.append(AUTHORIZATION, value);
        assert_eq!(
            Authorization::of(&headers),
            Authorization::Malformed("more than one Authorization header")
        );
    }
});
