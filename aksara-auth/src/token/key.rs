//! [`TokenKey`]: the text of an opaque bearer token, `aks_<prefix><secret>`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

/// What every key starts with, so a leaked key is recognisable (secret
/// scanners) and a bearer value is told from a JWT at a glance.
const MARKER: &str = "aks_";
/// 9 random bytes: the public lookup prefix, 12 base64url characters.
const PREFIX_BYTES: usize = 9;
const PREFIX_CHARS: usize = 12;
/// 32 random bytes: the secret, 43 base64url characters.
const SECRET_BYTES: usize = 32;
const SECRET_CHARS: usize = 43;
/// The length of a whole key.
const KEY_CHARS: usize = MARKER.len() + PREFIX_CHARS + SECRET_CHARS;

/// Why a text is not a token key. The key itself is never part of it.
///
/// ```
/// use aksara_auth::token::{MalformedKey, TokenKey};
/// assert_eq!(TokenKey::parse("aks_short").unwrap_err(), MalformedKey::Length);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedKey {
    /// It does not start with `aks_`.
    #[error("a token key starts with `aks_`")]
    Marker,
    /// It is not 59 characters long.
    #[error("a token key is 59 characters long")]
    Length,
    /// It holds a character outside base64url.
    #[error("a token key holds only base64url characters after `aks_`")]
    Alphabet,
}

/// The text of a bearer token: `aks_`, a 12-character prefix that finds its row
/// and a 43-character secret, 328 random bits in all. `Debug` shows the prefix
/// only.
///
/// ```
/// use aksara_auth::token::TokenKey;
/// let key = TokenKey::generate();
/// let again = TokenKey::parse(key.as_str()).unwrap();
/// assert_eq!(again.prefix(), key.prefix());
/// assert_eq!(again.digest(), key.digest());
/// assert!(!format!("{key:?}").contains(&key.as_str()[16..]));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TokenKey {
    text: String,
}

impl TokenKey {
    /// A new key from the operating system's random number generator.
    ///
    /// # Panics
    /// When the operating system cannot provide random bytes (there is no safe
    /// fallback; `Uuid::new_v4` does the same).
    ///
    /// ```
    /// let key = aksara_auth::token::TokenKey::generate();
    /// assert_eq!(key.as_str().len(), 59);
    /// assert_ne!(key, aksara_auth::token::TokenKey::generate());
    /// ```
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = [0_u8; PREFIX_BYTES + SECRET_BYTES];
        getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
        let mut text = String::with_capacity(KEY_CHARS);
        text.push_str(MARKER);
        URL_SAFE_NO_PAD.encode_string(&bytes[..PREFIX_BYTES], &mut text);
        URL_SAFE_NO_PAD.encode_string(&bytes[PREFIX_BYTES..], &mut text);
        Self { text }
    }

    /// Reads a key a client sent.
    ///
    /// # Errors
    /// [`MalformedKey`] when `text` is not `aks_` and 55 base64url characters.
    ///
    /// ```
    /// use aksara_auth::token::{MalformedKey, TokenKey};
    /// let key = TokenKey::generate();
    /// assert!(TokenKey::parse(key.as_str()).is_ok());
    /// assert_eq!(TokenKey::parse(&key.as_str().replace("aks_", "xyz_")).unwrap_err(), MalformedKey::Marker);
    /// ```
    pub fn parse(text: &str) -> Result<Self, MalformedKey> {
        let Some(rest) = text.strip_prefix(MARKER) else {
            return Err(MalformedKey::Marker);
        };
        if text.len() != KEY_CHARS {
            return Err(MalformedKey::Length);
        }
        if !rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(MalformedKey::Alphabet);
        }
        Ok(Self {
            text: text.to_owned(),
        })
    }

    /// Whether `text` starts like a key (`aks_`): how a bearer value is told
    /// apart from a JWT or another scheme's credential before it is parsed.
    ///
    /// ```
    /// use aksara_auth::token::TokenKey;
    /// assert!(TokenKey::looks_like("aks_whatever"));
    /// assert!(!TokenKey::looks_like("eyJhbGciOi.x.y"));
    /// ```
    #[must_use]
    pub fn looks_like(text: &str) -> bool {
        text.starts_with(MARKER)
    }

    /// The whole key.
    ///
    /// ```
    /// let key = aksara_auth::token::TokenKey::generate();
    /// assert!(key.as_str().starts_with("aks_"));
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The public prefix that finds the row (12 characters).
    ///
    /// ```
    /// let key = aksara_auth::token::TokenKey::generate();
    /// assert_eq!(key.prefix(), &key.as_str()[4..16]);
    /// ```
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.text[MARKER.len()..MARKER.len() + PREFIX_CHARS]
    }

    /// SHA-256 of the whole key in unpadded base64url: what the table stores.
    ///
    /// ```
    /// let key = aksara_auth::token::TokenKey::generate();
    /// assert_eq!(key.digest().len(), 43);
    /// ```
    #[must_use]
    pub fn digest(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.text.as_bytes()))
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenKey({MARKER}{}…)", self.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back_and_differ() {
        let keys: Vec<TokenKey> = (0..100).map(|_| TokenKey::generate()).collect();
        for key in &keys {
            assert_eq!(TokenKey::parse(key.as_str()).as_ref(), Ok(key));
            assert_eq!(key.as_str().len(), KEY_CHARS);
        }
        let mut prefixes: Vec<&str> = keys.iter().map(TokenKey::prefix).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        assert_eq!(prefixes.len(), keys.len());
    }

    #[test]
    fn malformed_keys_are_refused() {
        let good = TokenKey::generate();
        let good = good.as_str();
        let cases = [
            ("", MalformedKey::Marker),
            ("aks", MalformedKey::Marker),
            ("AKS_", MalformedKey::Marker),
            ("aks_", MalformedKey::Length),
            (&good[..58], MalformedKey::Length),
        ];
        for (text, expected) in cases {
            assert_eq!(TokenKey::parse(text), Err(expected), "{text:?}");
        }
        let longer = format!("{good}A");
        assert_eq!(TokenKey::parse(&longer), Err(MalformedKey::Length));
        let spaced = format!("{} {}", &good[..20], &good[21..]);
        assert_eq!(TokenKey::parse(&spaced), Err(MalformedKey::Alphabet));
        let accented = format!("{}é{}", &good[..20], &good[22..]);
        assert_eq!(TokenKey::parse(&accented), Err(MalformedKey::Alphabet));
    }

    fn is_base64url(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
    }

    /// The key's specification, written out again: what `parse` must answer.
    fn expected(text: &str) -> Result<(), MalformedKey> {
        if !text.starts_with(MARKER) {
            Err(MalformedKey::Marker)
        } else if text.len() != KEY_CHARS {
            Err(MalformedKey::Length)
        } else if !text.bytes().skip(MARKER.len()).all(is_base64url) {
            Err(MalformedKey::Alphabet)
        } else {
            Ok(())
        }
    }

    fn key_from(bytes: &[u8]) -> String {
        let mut text = String::from(MARKER);
        URL_SAFE_NO_PAD.encode_string(&bytes[..PREFIX_BYTES], &mut text);
        URL_SAFE_NO_PAD.encode_string(&bytes[PREFIX_BYTES..], &mut text);
        text
    }

    // The fuzz target `token_key` (`fuzz/`) checks the same on nightly for
    // minutes; these run on stable with every `cargo test`.
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any text: no panic, and `parse` answers as the specification says.
        #[test]
        fn arbitrary_text_is_parsed_as_the_specification_says(
            text in proptest::prop_oneof![
                proptest::prelude::any::<String>(),
                "aks_[A-Za-z0-9_-]{50,60}",
                "aks_[ -~é]{55}",
            ]
        ) {
            let parsed = TokenKey::parse(&text);
            proptest::prop_assert_eq!(parsed.as_ref().map(|_| ()).map_err(|&e| e), expected(&text));
            if let Ok(key) = parsed {
                proptest::prop_assert_eq!(key.as_str(), text.as_str());
            }
        }

        /// A key made from any bytes parses and re-serializes identically,
        /// with its prefix and digest; one character changed for one outside
        /// base64url, one removed or one added, it is refused.
        #[test]
        fn keys_round_trip_and_damaged_keys_are_refused(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), PREFIX_BYTES + SECRET_BYTES),
            at in MARKER.len()..KEY_CHARS,
            outside in "[^A-Za-z0-9_-]",
            extra in "[A-Za-z0-9_-]",
        ) {
            let text = key_from(&bytes);
            let key = TokenKey::parse(&text).expect("a well-formed key");
            proptest::prop_assert_eq!(key.as_str(), text.as_str());
            proptest::prop_assert_eq!(key.prefix(), &text[MARKER.len()..MARKER.len() + PREFIX_CHARS]);
            proptest::prop_assert_eq!(key.digest(), URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes())));
            proptest::prop_assert_eq!(TokenKey::parse(key.as_str()), Ok(key));

            let changed = format!("{}{outside}{}", &text[..at], &text[at + 1..]);
            proptest::prop_assert!(TokenKey::parse(&changed).is_err());
            let shorter = format!("{}{}", &text[..at], &text[at + 1..]);
            proptest::prop_assert_eq!(TokenKey::parse(&shorter), Err(MalformedKey::Length));
            let longer = format!("{}{extra}{}", &text[..at], &text[at..]);
            proptest::prop_assert_eq!(TokenKey::parse(&longer), Err(MalformedKey::Length));
        }
    }
}
