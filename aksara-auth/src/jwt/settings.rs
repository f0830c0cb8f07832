//! The `[jwt]` section of [`aksara::Settings`]: the signing algorithm and key,
//! the tokens' lifetimes, and the issuer and audience they carry. Read by
//! [`Jwt::from_settings`](super::Jwt::from_settings).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use aksara::settings::{GivenKeys, InvalidKey, Section, deserialize_duration};
use serde::{Deserialize, Deserializer};

/// How JSON Web Tokens are signed and how long they live (`[jwt]` in TOML,
/// `AKSARA_JWT_*` in the environment).
///
/// | TOML key | environment variable | type | default |
/// |---|---|---|---|
/// | `algorithm` | `AKSARA_JWT_ALGORITHM` | `HS256`, `HS384`, `HS512`, `RS256`, `ES256`, `EdDSA` | `HS256` |
/// | `secret` | `AKSARA_JWT_SECRET` | text, at least the hash's size (32, 48 or 64 bytes) | derived from `secret_key` |
/// | `private_key_file` | `AKSARA_JWT_PRIVATE_KEY_FILE` | PEM file (RS256, ES256, EdDSA) | none: this process only verifies |
/// | `public_key_file` | `AKSARA_JWT_PUBLIC_KEY_FILE` | PEM file (RS256, ES256, EdDSA) | required for those |
/// | `access_ttl` | `AKSARA_JWT_ACCESS_TTL` | duration | `5m` |
/// | `refresh_ttl` | `AKSARA_JWT_REFRESH_TTL` | duration | `1d` |
/// | `issuer` | `AKSARA_JWT_ISSUER` | text (`iss`) | none |
/// | `audience` | `AKSARA_JWT_AUDIENCE` | text (`aud`) | none |
/// | `leeway` | `AKSARA_JWT_LEEWAY` | duration of clock skew allowed on `exp` | `0s` |
/// | `rotate_refresh_tokens` | `AKSARA_JWT_ROTATE_REFRESH_TOKENS` | bool: each refresh token works once | `true` |
/// | `revocation_interval` | `AKSARA_JWT_REVOCATION_INTERVAL` | duration, at most `access_ttl`: how often each process re-reads the revoked access tokens | `1s` |
///
/// Without `secret`, an HMAC algorithm signs with a key derived from the
/// application's `secret_key` (as simplejwt signs with Django's `SECRET_KEY`),
/// separate from the key that signs session cookies. An HMAC `secret` shorter
/// than the hash's output is refused when the settings load. `Debug` never shows
/// the secret.
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::jwt::{JwtAlgorithm, JwtSettings};
///
/// let settings = aksara::Settings::from_sources(
///     Some("debug = true\n[jwt]\naccess_ttl = \"15m\"\nissuer = \"https://api.example.com\"\n"),
///     [("AKSARA_JWT_ALGORITHM", "hs512")],
/// )?;
/// let jwt: JwtSettings = settings.section()?;
/// assert_eq!(jwt.algorithm, JwtAlgorithm::Hs512);
/// assert_eq!(jwt.access_ttl, Duration::from_secs(15 * 60));
/// assert_eq!(jwt.refresh_ttl, Duration::from_secs(86_400));
///
/// let err = aksara::Settings::from_sources(
///     Some("debug = true\n[jwt]\nsecret = \"too short\"\n"),
///     None::<(String, String)>,
/// )
/// .unwrap_err();
/// assert!(err.to_string().starts_with(
///     "invalid setting `jwt.secret` (aksara.toml, line 3, column 10): HS256 needs a secret of \
///      at least 32 bytes, got 9"
/// ));
/// # Ok::<(), aksara::SettingsError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct JwtSettings {
    /// The signing algorithm; the only one a token may use (default `HS256`).
    pub algorithm: JwtAlgorithm,
    /// The HMAC key (default: derived from `secret_key`).
    pub secret: Option<String>,
    /// The PEM private key that signs, for RS256, ES256 and EdDSA.
    pub private_key_file: Option<PathBuf>,
    /// The PEM public key that verifies, for RS256, ES256 and EdDSA.
    pub public_key_file: Option<PathBuf>,
    /// How long an access token is accepted (default 5 minutes).
    #[serde(deserialize_with = "deserialize_duration")]
    pub access_ttl: Duration,
    /// How long a refresh token is accepted (default 1 day).
    #[serde(deserialize_with = "deserialize_duration")]
    pub refresh_ttl: Duration,
    /// The `iss` claim written and required (default none).
    pub issuer: Option<String>,
    /// The `aud` claim written and required (default none: a token that names
    /// an audience is refused).
    pub audience: Option<String>,
    /// Clock skew allowed when checking `exp` (default 0).
    #[serde(deserialize_with = "deserialize_duration")]
    pub leeway: Duration,
    /// Whether [`Jwt::refresh`](super::Jwt::refresh) replaces the refresh token
    /// it is given, which then works no more (default `true`). Off, a refresh
    /// token gives access tokens until it expires or is revoked.
    pub rotate_refresh_tokens: bool,
    /// How often a process re-reads the revoked access tokens from the
    /// database (default 1 second): the longest a revocation made by another
    /// process takes to be honoured here. Zero reads on every request.
    #[serde(deserialize_with = "deserialize_duration")]
    pub revocation_interval: Duration,
}

impl Default for JwtSettings {
    fn default() -> Self {
        Self {
            algorithm: JwtAlgorithm::Hs256,
            secret: None,
            private_key_file: None,
            public_key_file: None,
            access_ttl: Duration::from_secs(5 * 60),
            refresh_ttl: Duration::from_secs(24 * 60 * 60),
            issuer: None,
            audience: None,
            leeway: Duration::ZERO,
            rotate_refresh_tokens: true,
            revocation_interval: Duration::from_secs(1),
        }
    }
}

impl fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSettings")
            .field("algorithm", &self.algorithm)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("private_key_file", &self.private_key_file)
            .field("public_key_file", &self.public_key_file)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .field("rotate_refresh_tokens", &self.rotate_refresh_tokens)
            .field("revocation_interval", &self.revocation_interval)
            .finish()
    }
}

/// The most clock skew `leeway` may allow.
const MAX_LEEWAY: Duration = Duration::from_secs(5 * 60);

impl Section for JwtSettings {
    const NAME: &'static str = "jwt";

    /// Refuses a short HMAC secret, key files that do not fit the algorithm,
    /// zero lifetimes and a revocation interval longer than `access_ttl`.
    fn finish(&mut self, _given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
        InvalidKey::unless_nonzero([
            ("access_ttl", self.access_ttl),
            ("refresh_ttl", self.refresh_ttl),
        ])?;
        if self.leeway > MAX_LEEWAY {
            return Err(InvalidKey::new(
                "leeway",
                "expected at most 5m: the leeway is for clock skew, and a long one stretches \
                 every token's life by as much",
            ));
        }
        if self.revocation_interval > self.access_ttl {
            return Err(InvalidKey::new(
                "revocation_interval",
                "expected at most access_ttl: a revoked access token has expired by then anyway",
            ));
        }
        if self.refresh_ttl < self.access_ttl {
            return Err(InvalidKey::new(
                "refresh_ttl",
                "expected a refresh lifetime at least as long as access_ttl",
            ));
        }
        match self.algorithm.hmac_key_len() {
            Some(needed) => {
                if let Some(secret) = &self.secret
                    && secret.len() < needed
                {
                    return Err(InvalidKey::new(
                        "secret",
                        format!(
                            "{} needs a secret of at least {needed} bytes, got {}; make one with \
                             `openssl rand -base64 {needed}`",
                            self.algorithm,
                            secret.len()
                        ),
                    ));
                }
                for (key, file) in [
                    ("private_key_file", &self.private_key_file),
                    ("public_key_file", &self.public_key_file),
                ] {
                    if file.is_some() {
                        return Err(InvalidKey::new(
                            key,
                            format!(
                                "{} signs with `secret`; key files are for RS256, ES256 and EdDSA",
                                self.algorithm
                            ),
                        ));
                    }
                }
            }
            None => {
                if self.secret.is_some() {
                    return Err(InvalidKey::new(
                        "secret",
                        format!(
                            "{} signs with key files (public_key_file, private_key_file), not a secret",
                            self.algorithm
                        ),
                    ));
                }
                if self.public_key_file.is_none() {
                    return Err(InvalidKey::new(
                        "public_key_file",
                        format!(
                            "{} needs public_key_file (and private_key_file where tokens are issued)",
                            self.algorithm
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

aksara::declare_section!(JwtSettings);

/// The algorithms a token may be signed with. Read case-insensitively.
///
/// ```
/// use aksara_auth::jwt::JwtAlgorithm;
/// assert_eq!(JwtAlgorithm::default(), JwtAlgorithm::Hs256);
/// assert_eq!(JwtAlgorithm::EdDsa.to_string(), "EdDSA");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JwtAlgorithm {
    /// HMAC with SHA-256 (the default).
    #[default]
    Hs256,
    /// HMAC with SHA-384.
    Hs384,
    /// HMAC with SHA-512.
    Hs512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

impl JwtAlgorithm {
    /// The name written in settings and in a token's `alg` header.
    ///
    /// ```
    /// assert_eq!(aksara_auth::jwt::JwtAlgorithm::Rs256.as_str(), "RS256");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Hs384 => "HS384",
            Self::Hs512 => "HS512",
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The smallest HMAC secret, in bytes (the hash's output), or `None` for
    /// the algorithms that sign with a key pair.
    pub(crate) fn hmac_key_len(self) -> Option<usize> {
        match self {
            Self::Hs256 => Some(32),
            Self::Hs384 => Some(48),
            Self::Hs512 => Some(64),
            Self::Rs256 | Self::Es256 | Self::EdDsa => None,
        }
    }

    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::Hs256 => jsonwebtoken::Algorithm::HS256,
            Self::Hs384 => jsonwebtoken::Algorithm::HS384,
            Self::Hs512 => jsonwebtoken::Algorithm::HS512,
            Self::Rs256 => jsonwebtoken::Algorithm::RS256,
            Self::Es256 => jsonwebtoken::Algorithm::ES256,
            Self::EdDsa => jsonwebtoken::Algorithm::EdDSA,
        }
    }
}

impl fmt::Display for JwtAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JwtAlgorithm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let all = [
            Self::Hs256,
            Self::Hs384,
            Self::Hs512,
            Self::Rs256,
            Self::Es256,
            Self::EdDsa,
        ];
        all.into_iter()
            .find(|algorithm| algorithm.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "expected one of HS256, HS384, HS512, RS256, ES256, EdDSA, got {text:?}"
                ))
            })
    }
}
