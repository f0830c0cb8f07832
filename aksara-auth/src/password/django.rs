//! Django's stored password formats, so users of a Django project keep their
//! passwords when it moves to Aksara.
//!
//! - `pbkdf2_sha256$<iterations>$<salt>$<hash>`: PBKDF2-HMAC-SHA256 over the
//!   salt's UTF-8 bytes, a 32-byte key, base64 with padding (Django's default
//!   `PBKDF2PasswordHasher`);
//! - `argon2$<PHC string without its leading $>`: Django's
//!   `Argon2PasswordHasher`, which prefixes argon2-cffi's PHC string with
//!   `argon2`; the PHC part is verified like this crate's own hashes, argon2i
//!   included.
//!
//! Both verify as outdated, so a successful login stores an argon2id hash in
//! their place.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use super::hasher::{Rejection, parse_decimal};

/// Output of Django's PBKDF2-SHA256 hasher: the SHA-256 digest size.
const PBKDF2_KEY_LEN: usize = 32;
/// The most PBKDF2 iterations a stored hash may ask for: ten times Django 5.2's
/// default of 1 000 000, so a tampered hash cannot pin a CPU for minutes.
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// A stored hash in one of Django's formats. No `Debug`: it holds a hash.
pub(super) enum DjangoHash<'a> {
    /// `argon2$argon2id$v=19$…`: the PHC string, from its leading `$`.
    Argon2(&'a str),
    /// `pbkdf2_sha256$<iterations>$<salt>$<hash>`.
    Pbkdf2Sha256(Pbkdf2Sha256<'a>),
}

/// A parsed `pbkdf2_sha256$…` hash.
pub(super) struct Pbkdf2Sha256<'a> {
    iterations: u32,
    salt: &'a str,
    key: [u8; PBKDF2_KEY_LEN],
}

impl Pbkdf2Sha256<'_> {
    /// Whether `password` derives the stored key (compared in constant time).
    pub(super) fn verify(&self, password: &[u8]) -> bool {
        let mut key = [0_u8; PBKDF2_KEY_LEN];
        pbkdf2::pbkdf2_hmac::<Sha256>(password, self.salt.as_bytes(), self.iterations, &mut key);
        key.ct_eq(&self.key).into()
    }
}

/// Recognises and parses a Django hash.
pub(super) fn parse(encoded: &str) -> Result<DjangoHash<'_>, Rejection> {
    // `argon2$argon2id$v=19$m=102400,t=2,p=8$<salt>$<hash>`, or `argon2$argon2i$…`
    if let Some(phc) = encoded.strip_prefix("argon2") {
        return if phc.starts_with("$argon2") {
            Ok(DjangoHash::Argon2(phc))
        } else {
            Err("malformed Django argon2 hash")
        };
    }
    // `pbkdf2_sha256$1000000$<salt>$<base64 of 32 bytes, padded>`
    if let Some(rest) = encoded.strip_prefix("pbkdf2_sha256$") {
        return parse_pbkdf2_sha256(rest).map(DjangoHash::Pbkdf2Sha256);
    }
    Err("unrecognised password hash format")
}

/// Parses `<iterations>$<salt>$<hash>`.
fn parse_pbkdf2_sha256(rest: &str) -> Result<Pbkdf2Sha256<'_>, Rejection> {
    let mut fields = rest.split('$');
    let (Some(iterations), Some(salt), Some(hash), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err("malformed Django pbkdf2_sha256 hash");
    };
    let iterations = parse_decimal(iterations)?;
    if !(1..=MAX_PBKDF2_ITERATIONS).contains(&iterations) {
        return Err("pbkdf2 iterations out of range");
    }
    if salt.is_empty() {
        return Err("empty pbkdf2 salt");
    }
    let mut key = [0_u8; PBKDF2_KEY_LEN];
    let decoded = STANDARD
        .decode_slice(hash, &mut key)
        .map_err(|_| "malformed base64")?;
    if decoded != PBKDF2_KEY_LEN {
        return Err("pbkdf2 hash of unsupported length");
    }
    Ok(Pbkdf2Sha256 {
        iterations,
        salt,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Argon2Params, PasswordHash, PasswordHasher, Verification};
    use super::*;

    // Every vector below is `make_password("correct horse", …)` from Django 5.2.19
    // with argon2-cffi 25.1, pasted verbatim.

    /// `PBKDF2PasswordHasher` with `iterations = 1000`.
    const PBKDF2_1000: &str =
        "pbkdf2_sha256$1000$aCBuZUIc22dhsjEOmPpeag$UTjsjIpKWadSqusEjNvlW2AkvtKB/VYX2vWsQg9ciBQ=";
    /// `PBKDF2PasswordHasher` at Django 5.2's default 1 000 000 iterations.
    const PBKDF2_DEFAULT: &str =
        "pbkdf2_sha256$1000000$reFp86uiXdIneHfEUfopRr$erQp46Gwa9vsBpEJ0CYWCLMCfkPFScBPeFIVwBcRu/A=";
    /// `Argon2PasswordHasher` at Django's defaults (t=2, m=102400, p=8).
    const ARGON2_DEFAULT: &str = "argon2$argon2id$v=19$m=102400,t=2,p=8$Y082cXhsUDQ2Nml0Mkt5aEpXcnFtcA$6uHAy6wdb/mNgdlCKLfN8jRcVpOBDidnbRhZBDbZET8";
    /// `Argon2PasswordHasher` subclass at our parameters (t=2, m=19456, p=1).
    const ARGON2_OWASP: &str = "argon2$argon2id$v=19$m=19456,t=2,p=1$YUdjYlhEV2pONGdkNG9HUGdMZDJyag$IJOpFCt87K0myWr/4Y2pQufMSdObCKFz51JlOQMLIi0";
    /// `Argon2PasswordHasher` subclass with t=1, m=1024, p=2.
    const ARGON2_SMALL: &str = "argon2$argon2id$v=19$m=1024,t=1,p=2$SmdhMVVoRkM2QTg0cFBWUGRjeGJqVw$POiu7TDZFUKkR6sa+2g2naGH2mkNRNSX2izt9TazqXA";
    /// argon2-cffi `argon2i` hash with Django's `argon2` prefix, as Django before
    /// 1.11 (argon2i) stored them.
    const ARGON2I: &str = "argon2$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$oIEPqwsKhzfR5i0XIQQgT4QUOzRJpiCQZntQ1KsKQFk";

    /// Verifies a correct Django hash: valid, outdated, and the replacement is a
    /// current argon2id hash of the same password.
    fn assert_valid_outdated(hasher: &PasswordHasher, encoded: &str) {
        let stored = PasswordHash::from_encoded(encoded);
        let Verification::ValidOutdated(new) = hasher.verify_blocking("correct horse", &stored)
        else {
            panic!("Django hash should verify as outdated: {encoded}");
        };
        let p = hasher.params();
        let prefix = format!(
            "$argon2id$v=19$m={},t={},p={}$",
            p.memory_kib, p.iterations, p.parallelism
        );
        assert!(new.as_encoded().starts_with(&prefix));
        assert_eq!(
            hasher.verify_blocking("correct horse", &new),
            Verification::Valid
        );
        for wrong in ["correct horse ", "Correct horse", "", "correct hors"] {
            assert_eq!(
                hasher.verify_blocking(wrong, &stored),
                Verification::Invalid,
                "{wrong:?} against {encoded}"
            );
        }
    }

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn pbkdf2_sha256_vector() {
        assert_valid_outdated(&cheap(), PBKDF2_1000);
    }

    #[test]
    fn pbkdf2_sha256_default_iterations() {
        let DjangoHash::Pbkdf2Sha256(stored) = parse(PBKDF2_DEFAULT).unwrap() else {
            panic!("pbkdf2_sha256 expected");
        };
        assert_eq!(stored.iterations, 1_000_000);
        assert!(stored.verify(b"correct horse"));
    }

    #[test]
    fn argon2_vectors() {
        let hasher = cheap();
        for encoded in [ARGON2_DEFAULT, ARGON2_SMALL, ARGON2I] {
            assert_valid_outdated(&hasher, encoded);
        }
    }

    #[test]
    fn argon2_at_current_params_is_still_outdated() {
        // Same parameters as ours, but Django's format: rewrite it as a PHC string.
        assert_valid_outdated(&PasswordHasher::default(), ARGON2_OWASP);
    }

    #[test]
    fn malformed_django_hashes_are_invalid() {
        let hasher = cheap();
        let salt = "aCBuZUIc22dhsjEOmPpeag";
        let key = "UTjsjIpKWadSqusEjNvlW2AkvtKB/VYX2vWsQg9ciBQ=";
        let cases = [
            "pbkdf2_sha256".to_owned(),
            "pbkdf2_sha256$".into(),
            "pbkdf2_sha256$1000$".into(),
            format!("pbkdf2_sha256$1000${salt}"),
            format!("pbkdf2_sha256$1000${salt}$"),
            format!("pbkdf2_sha256$1000${salt}${key}$"),
            format!("pbkdf2_sha256$0${salt}${key}"),
            format!("pbkdf2_sha256$-1${salt}${key}"),
            format!("pbkdf2_sha256$4294967295${salt}${key}"),
            format!("pbkdf2_sha256$99999999999${salt}${key}"),
            format!("pbkdf2_sha256$x${salt}${key}"),
            format!("pbkdf2_sha256$1000$${key}"),
            // Truncated or unpadded base64, and a key that is too long.
            format!("pbkdf2_sha256$1000${salt}${}", &key[..43]),
            format!("pbkdf2_sha256$1000${salt}${}", &key[..40]),
            format!("pbkdf2_sha256$1000${salt}${key}AAAA"),
            format!("pbkdf2_sha1$1000${salt}${key}"),
            "argon2$".into(),
            "argon2$bcrypt$x".into(),
            "argon2argon2id$v=19$m=1024,t=1,p=2$SmdhMVVoRkM2QTg0cFBWUGRjeGJqVw$POiu7TDZFUKkR6sa+2g2naGH2mkNRNSX2izt9TazqXA".into(),
            "argon2$argon2id$v=19$m=4294967295,t=1,p=2$SmdhMVVoRkM2QTg0cFBWUGRjeGJqVw$POiu7TDZFUKkR6sa+2g2naGH2mkNRNSX2izt9TazqXA".into(),
            "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuv".into(),
            "md5$salt$hash".into(),
        ];
        for encoded in &cases {
            assert_eq!(
                hasher.verify_blocking(
                    "correct horse",
                    &PasswordHash::from_encoded(encoded.as_str())
                ),
                Verification::Invalid,
                "{encoded}"
            );
        }
        assert!(
            hasher
                .verify_blocking(
                    "correct horse",
                    &PasswordHash::from_encoded(format!("pbkdf2_sha256$1000${salt}${key}"))
                )
                .is_valid()
        );
    }
}
