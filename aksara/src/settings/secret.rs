//! The secret key: kept out of `Debug` output, checked for strength.

use std::fmt;

/// The application's secret key: signs session cookies and tokens.
///
/// Its `Debug` output is redacted and it has no `Display`, so it cannot end up in
/// logs by accident; read it with [`SecretKey::expose`] where it is used.
///
/// ```
/// use aksara::SecretKey;
///
/// let key = SecretKey::new("3q9Jx1s0rVd8cTq2mZbL5nWk7yP4hGf6eAuXoRiCvB0=");
/// assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
/// assert_eq!(key.weakness(), None);
/// assert!(SecretKey::new("changeme").weakness().is_some());
/// ```
#[derive(Clone, Default)]
pub struct SecretKey(String);

/// Text that marks a key copied from documentation or a template.
const PLACEHOLDERS: [&str; 10] = [
    "insecure",
    "changeme",
    "change-me",
    "change_me",
    "changethis",
    "change-this",
    "change_this",
    "your-secret",
    "your_secret",
    "example",
];

impl SecretKey {
    /// The minimum length, in bytes, of a key accepted outside debug mode.
    ///
    /// ```
    /// assert_eq!(aksara::SecretKey::MIN_LEN, 32);
    /// ```
    pub const MIN_LEN: usize = 32;

    /// Wraps a key.
    ///
    /// ```
    /// let key = aksara::SecretKey::new("k".repeat(40));
    /// assert_eq!(key.len(), 40);
    /// ```
    #[must_use]
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// A new random key (64 hex characters from the operating system's random
    /// number generator), as used in debug mode when none is set.
    ///
    /// ```
    /// let key = aksara::SecretKey::generate();
    /// assert_eq!(key.len(), 64);
    /// assert_eq!(key.weakness(), None);
    /// ```
    #[must_use]
    pub fn generate() -> Self {
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        Self(format!("{}{}", a.simple(), b.simple()))
    }

    /// The key itself. Pass it to what needs it; never log it.
    ///
    /// ```
    /// assert_eq!(aksara::SecretKey::new("abc").expose(), "abc");
    /// ```
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The key's bytes, for keyed hashes and signatures.
    ///
    /// ```
    /// assert_eq!(aksara::SecretKey::new("abc").as_bytes(), b"abc");
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Length in bytes.
    ///
    /// ```
    /// assert_eq!(aksara::SecretKey::new("abc").len(), 3);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no key is set.
    ///
    /// ```
    /// assert!(aksara::SecretKey::default().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Why this key must not be used outside debug mode, or `None` when it is fine:
    /// empty, shorter than [`SecretKey::MIN_LEN`] bytes, a placeholder from
    /// documentation (contains `insecure`, `changeme`, `example`, …), or too few
    /// distinct characters to be random.
    ///
    /// ```
    /// use aksara::SecretKey;
    /// assert_eq!(SecretKey::default().weakness(), Some("is empty".to_owned()));
    /// assert!(SecretKey::new("short").weakness().unwrap().contains("at least 32"));
    /// assert!(SecretKey::new("x".repeat(40)).weakness().is_some());
    /// ```
    #[must_use]
    pub fn weakness(&self) -> Option<String> {
        let key = &self.0;
        if key.trim().is_empty() {
            return Some("is empty".into());
        }
        let lower = key.to_ascii_lowercase();
        if let Some(marker) = PLACEHOLDERS.iter().find(|marker| lower.contains(*marker)) {
            return Some(format!(
                "is a placeholder from documentation or a template (it contains \"{marker}\")"
            ));
        }
        if key.len() < Self::MIN_LEN {
            return Some(format!(
                "is {} bytes long; use at least {} bytes",
                key.len(),
                Self::MIN_LEN
            ));
        }
        let mut seen = [false; 256];
        let distinct = key
            .bytes()
            .filter(|&byte| !std::mem::replace(&mut seen[usize::from(byte)], true))
            .count();
        if distinct < 8 {
            return Some(format!(
                "has only {distinct} distinct characters, too few to be random"
            ));
        }
        None
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl From<String> for SecretKey {
    fn from(key: String) -> Self {
        Self(key)
    }
}

impl From<&str> for SecretKey {
    fn from(key: &str) -> Self {
        Self(key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_keys_are_named() {
        let cases = [
            ("", "is empty"),
            ("   ", "is empty"),
            ("short-but-random-Q7x", "is 20 bytes long"),
            (
                "aksara-insecure-development-key-0123456789",
                "contains \"insecure\"",
            ),
            (
                "django-insecure-a8#k2m!x@q9z$w4e^r7t&y1u*i0o(p",
                "contains \"insecure\"",
            ),
            (
                "CHANGEME-CHANGEME-CHANGEME-CHANGEME",
                "contains \"changeme\"",
            ),
            ("abababababababababababababababab", "only 2 distinct"),
        ];
        for (key, expected) in cases {
            let weakness = SecretKey::new(key).weakness();
            assert!(
                weakness.as_deref().is_some_and(|w| w.contains(expected)),
                "{key:?}: {weakness:?}"
            );
        }
    }

    #[test]
    fn random_keys_pass() {
        for _ in 0..20 {
            assert_eq!(SecretKey::generate().weakness(), None);
        }
        assert_eq!(
            SecretKey::new("hV3kP9sQ2wX7zR1mN5bT8cY4fJ6gL0dA").weakness(),
            None
        );
    }

    #[test]
    fn debug_is_redacted() {
        let key = SecretKey::new("hV3kP9sQ2wX7zR1mN5bT8cY4fJ6gL0dA");
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.contains("hV3k"), "{shown}");
    }
}
