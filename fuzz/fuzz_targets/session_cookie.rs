//! The session cookie on any `Cookie` header: no panic, and a cookie is only
//! ever accepted with the tag the key gives its id. A cookie the codec signed
//! reads back to its id next to any other header, and never once a byte of it
//! is changed.
//!
//! The input: 32 bytes make an id (as the layer makes one from random bytes),
//! one byte says which byte of its cookie value to change and how, and the
//! rest is a `Cookie` header of any bytes.
#![no_main]

use std::sync::LazyLock;

use aksara_auth::__private::{SessionCookieCodec, SessionCookieRead, session_key};
use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest as _, Sha256};

static CODEC: LazyLock<SessionCookieCodec> =
    LazyLock::new(|| SessionCookieCodec::new(b"the fuzzing key, at least 32 bytes long").unwrap());

/// `session=<tag><id>` for `id`, from the codec's `Set-Cookie`.
fn pair(id: &str) -> String {
    let set_cookie = CODEC.set_cookie(id).expect("an id of the right shape");
    set_cookie.split(';').next().unwrap().to_owned()
}

/// The checks any read must pass, whatever the headers.
fn check_read(headers: &HeaderMap, read: &SessionCookieRead) {
    let texts: Vec<&str> = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    match read {
        SessionCookieRead::Absent => {}
        SessionCookieRead::Invalid => {
            assert!(texts.iter().any(|text| text.contains("session")));
        }
        SessionCookieRead::Valid { id, key } => {
            // Only the codec's own tag for this id is accepted.
            let signed = pair(id);
            let value = &signed["session=".len()..];
            assert!(texts.iter().any(|text| text.contains(value)));
            assert_eq!(session_key(id).as_ref(), Some(key));
            let digest: [u8; 32] = Sha256::digest(id.as_bytes()).into();
            assert_eq!(*key, URL_SAFE_NO_PAD.encode(digest));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // Any header alone.
    let header = data.get(33..).unwrap_or(data);
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(header) {
        headers.insert(COOKIE, value);
    }
    let read = CODEC.read(&headers);
    check_read(&headers, &read);
    if let Ok(text) = std::str::from_utf8(header) {
        if let Some(key) = session_key(text) {
            assert_eq!(key.len(), 43);
            assert!(text.len() == 43 && !text.contains(['=', '+', '/']));
        }
    }

    // An id the codec signed, in a header after the one above.
    let Some((bytes, rest)) = data.split_first_chunk::<32>() else {
        return;
    };
    let id = URL_SAFE_NO_PAD.encode(bytes);
    let good = pair(&id);
    let mut with_good = headers.clone();
    with_good.append(COOKIE, HeaderValue::from_str(&good).unwrap());
    let read = CODEC.read(&with_good);
    check_read(&with_good, &read);
    assert_eq!(
        read,
        SessionCookieRead::Valid {
            key: session_key(&id).unwrap(),
            id: id.clone(),
        },
        "a signed cookie refused"
    );

    // The same cookie with one byte of its value changed: never valid.
    let Some(&change) = rest.first() else {
        return;
    };
    let value_at = "session=".len();
    let at = value_at + usize::from(change) % (good.len() - value_at);
    let mut changed = good.clone().into_bytes();
    changed[at] = changed[at].wrapping_add(change | 1);
    let mut tampered = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(&changed) {
        tampered.insert(COOKIE, value);
    }
    let read = CODEC.read(&tampered);
    check_read(&tampered, &read);
    assert!(
        !matches!(read, SessionCookieRead::Valid { .. }),
        "a cookie with byte {at} changed accepted"
    );
});
