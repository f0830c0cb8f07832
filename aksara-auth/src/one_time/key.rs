//! [`OneTimeKey`]: the text of a password-reset or email-verification token,
//! 43 base64url characters that go in a link's `?token=` query.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};

/// 32 random bytes: 256 bits, 43 base64url characters.
const KEY_BYTES: usize = 32;
/// The length of a key's text.
pub(super) const KEY_CHARS: usize = 43;

/// A one-time token's key, as [`OneTimeToken::issue`](super::OneTimeToken::issue)
/// returns it: the only time it is known (the table stores its SHA-256). It is
/// 256 bits from the operating system's random number generator in unpadded
/// base64url, so it goes in a URL as it is. `Debug` shows the expiry, not the key.
///
/// ```
/// # use aksara_auth::prelude::*;
/// # use aksara_auth::User;
/// use aksara_auth::one_time::{OneTimeToken, Purpose};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
/// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
/// let ttl = std::time::Duration::from_secs(3600);
/// let key = OneTimeToken::issue(&db, &user, Purpose::PasswordReset, ttl).await?;
/// let link = format!("https://example.com/reset?token={}", key.as_str());
/// assert!(!format!("{key:?}").contains(key.as_str()));
/// # Ok(()) }
/// ```
pub struct OneTimeKey {
    text: String,
    expires_at: DateTime<Utc>,
}

impl OneTimeKey {
    /// A new key from the operating system's random number generator.
    ///
    /// # Panics
    /// When the operating system cannot provide random bytes (there is no safe
    /// fallback; `TokenKey::generate` does the same).
    pub(super) fn generate(expires_at: DateTime<Utc>) -> Self {
        let mut bytes = [0_u8; KEY_BYTES];
        getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
        Self {
            text: URL_SAFE_NO_PAD.encode(bytes),
            expires_at,
        }
    }

    /// The key, to put in the link you send (43 base64url characters).
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # use aksara_auth::one_time::{OneTimeToken, Purpose};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let ttl = std::time::Duration::from_secs(3600);
    /// let key = OneTimeToken::issue(&db, &user, Purpose::EmailVerification, ttl).await?;
    /// assert_eq!(key.as_str().len(), 43);
    /// assert!(key.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// When the token stops being accepted (to say so in the message you send).
    ///
    /// ```
    /// # use aksara_auth::prelude::*;
    /// # use aksara_auth::User;
    /// # use aksara_auth::one_time::{OneTimeToken, Purpose};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// # let user = User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
    /// let ttl = std::time::Duration::from_secs(3600);
    /// let key = OneTimeToken::issue(&db, &user, Purpose::PasswordReset, ttl).await?;
    /// assert!(key.expires_at() > chrono::Utc::now());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

impl fmt::Debug for OneTimeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneTimeKey")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// SHA-256 of `text` in unpadded base64url: what the table stores.
pub(super) fn digest(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

/// Whether `text` has the shape of a key: 43 base64url characters.
pub(super) fn is_well_formed(text: &str) -> bool {
    text.len() == KEY_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_url_safe_and_differ() {
        let keys: Vec<OneTimeKey> = (0..200).map(|_| OneTimeKey::generate(Utc::now())).collect();
        for key in &keys {
            assert!(is_well_formed(key.as_str()), "{}", key.as_str());
            // Unpadded base64url needs no percent-encoding in a query.
            assert!(!key.as_str().contains(['+', '/', '=', '%', '&']));
            assert_eq!(
                URL_SAFE_NO_PAD.decode(key.as_str()).unwrap().len(),
                KEY_BYTES
            );
        }
        let mut texts: Vec<&str> = keys.iter().map(OneTimeKey::as_str).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), keys.len());
    }

    #[test]
    fn malformed_texts_are_told_apart() {
        let good = OneTimeKey::generate(Utc::now());
        let good = good.as_str();
        assert!(is_well_formed(good));
        for bad in [
            String::new(),
            good[..42].to_owned(),
            format!("{good}A"),
            format!("{} {}", &good[..20], &good[21..]),
            format!("{}=", &good[..42]),
            format!("{}é", &good[..41]),
        ] {
            assert!(!is_well_formed(&bad), "{bad:?}");
        }
    }

    #[test]
    fn debug_shows_no_key() {
        let key = OneTimeKey::generate(Utc::now());
        assert!(!format!("{key:?}").contains(key.as_str()));
    }

    #[test]
    fn the_digest_is_sha256_in_base64url() {
        assert_eq!(digest("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }
}
