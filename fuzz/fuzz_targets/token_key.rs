//! `TokenKey::parse` on any text, against the key's specification written out
//! here: `aks_` and 55 base64url characters are accepted and re-serialize
//! identically (with the prefix and digest they must have), everything else is
//! refused with the error its first defect names. A key built from the input's
//! bytes the way `TokenKey::generate` builds one always parses.
#![no_main]

use aksara_auth::token::{MalformedKey, TokenKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest as _, Sha256};

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn check(text: &str) {
    let expected = if !text.starts_with("aks_") {
        Err(MalformedKey::Marker)
    } else if text.len() != 59 {
        Err(MalformedKey::Length)
    } else if !text.bytes().skip(4).all(is_base64url) {
        Err(MalformedKey::Alphabet)
    } else {
        Ok(())
    };
    let parsed = TokenKey::parse(text);
    assert_eq!(parsed.as_ref().map(|_| ()), expected.as_ref().map(|()| ()));
    if let Ok(key) = parsed {
        assert_eq!(key.as_str(), text);
        assert!(TokenKey::looks_like(key.as_str()));
        assert_eq!(key.prefix(), &text[4..16]);
        assert_eq!(
            key.digest(),
            URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
        );
        assert_eq!(TokenKey::parse(key.as_str()).as_ref(), Ok(&key));
        // `Debug` must not print the secret part.
        assert!(!format!("{key:?}").contains(&text[16..]));
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
    // 41 bytes make a key (9 of prefix, 32 of secret), encoded as generate does.
    if let Some(bytes) = data.get(..41) {
        let mut text = String::from("aks_");
        URL_SAFE_NO_PAD.encode_string(&bytes[..9], &mut text);
        URL_SAFE_NO_PAD.encode_string(&bytes[9..], &mut text);
        assert!(TokenKey::parse(&text).is_ok(), "a well-formed key refused");
        check(&text);
    }
});
