//! Checking a token: its shape, its signature (before anything else is read),
//! its header, then its claims, parsed once into [`Claims`].
//!
//! `jsonwebtoken` issues tokens and checks key-pair signatures; the rest is
//! here because its `decode` reads the header before the signature, builds
//! the HMAC key state for every token and parses the claims twice, which made a
//! JWT-authenticated request cost 7× the instructions of an anonymous one
//! (`layer_profile`, `BENCHMARKS.md`). The HMAC key state is computed once, and
//! the rules are those of the module docs, checked in this order.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit as _, Mac};
use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use super::{Claims, JwtAlgorithm, JwtError, MAX_TOKEN_LEN};

/// How signatures are checked: a keyed HMAC state cloned per token, or the
/// public key of a pair through `jsonwebtoken`.
pub(super) enum SignatureCheck {
    Hs256(Hmac<sha2::Sha256>),
    Hs384(Hmac<sha2::Sha384>),
    Hs512(Hmac<sha2::Sha512>),
    KeyPair(DecodingKey, jsonwebtoken::Algorithm),
}

impl SignatureCheck {
    /// The HMAC check of `algorithm` with `secret`.
    pub(super) fn hmac(algorithm: JwtAlgorithm, secret: &[u8]) -> Self {
        // HMAC takes keys of any length; the settings refused short ones.
        let keyed = "HMAC accepts keys of any length";
        match algorithm {
            JwtAlgorithm::Hs384 => Self::Hs384(Hmac::new_from_slice(secret).expect(keyed)),
            JwtAlgorithm::Hs512 => Self::Hs512(Hmac::new_from_slice(secret).expect(keyed)),
            _ => Self::Hs256(Hmac::new_from_slice(secret).expect(keyed)),
        }
    }

    /// Whether `signature` (base64url, unpadded) signs `message`, in constant
    /// time for HMAC.
    fn verifies(&self, message: &[u8], signature: &str) -> bool {
        match self {
            Self::Hs256(keyed) => verify_mac(keyed.clone(), message, signature),
            Self::Hs384(keyed) => verify_mac(keyed.clone(), message, signature),
            Self::Hs512(keyed) => verify_mac(keyed.clone(), message, signature),
            Self::KeyPair(key, algorithm) => {
                jsonwebtoken::crypto::verify(signature, message, key, *algorithm).unwrap_or(false)
            }
        }
    }
}

/// Whether `signature` is `mac` (keyed) over `message`, compared in constant time.
fn verify_mac<M: Mac>(mut mac: M, message: &[u8], signature: &str) -> bool {
    let mut decoded = [0_u8; 64];
    // A signature longer than SHA-512's (86 characters) is not one of ours.
    let Some(len) = (signature.len() <= 86)
        .then(|| URL_SAFE_NO_PAD.decode_slice(signature, &mut decoded).ok())
        .flatten()
    else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(&decoded[..len]).is_ok()
}

/// The only header fields a token may carry: every other one names a key, a
/// certificate, a critical extension or an encoding, none of which this crate
/// writes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(default, borrow)]
    typ: Option<Cow<'a, str>>,
}

/// What `decode` checks the claims against.
pub(super) struct Rules<'a> {
    pub(super) algorithm: JwtAlgorithm,
    pub(super) issuer: Option<&'a str>,
    pub(super) audience: Option<&'a str>,
    pub(super) leeway_secs: u64,
    pub(super) now: u64,
}

fn invalid(why: impl Into<String>) -> JwtError {
    JwtError::Invalid(why.into())
}

/// Checks `token` against `check` and `rules` and returns its claims (of
/// either type: the caller checks which it wanted).
pub(super) fn decode(
    token: &str,
    check: &SignatureCheck,
    rules: &Rules<'_>,
) -> Result<Claims, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(invalid(format!("longer than {MAX_TOKEN_LEN} bytes")));
    }
    let (message, signature) = token
        .rsplit_once('.')
        .ok_or_else(|| invalid("not three dot-separated parts"))?;
    let (header, payload) = message
        .split_once('.')
        .ok_or_else(|| invalid("not three dot-separated parts"))?;
    // Nothing of the token is read before its signature is known to be ours.
    if !check.verifies(message.as_bytes(), signature) {
        return Err(invalid("bad signature"));
    }
    let header = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| invalid("the header is not base64url"))?;
    let header: Header<'_> = serde_json::from_slice(&header).map_err(|_| {
        invalid("a header other than alg and typ (kid, jku, jwk, x5u, x5c, x5t, crit, …)")
    })?;
    if header.alg != rules.algorithm.as_str() {
        return Err(invalid(format!(
            "signed with {}, not {}",
            header.alg, rules.algorithm
        )));
    }
    if header.typ.as_deref().is_some_and(|typ| typ != "JWT") {
        return Err(invalid("a typ other than JWT"));
    }
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| invalid("the claims are not base64url"))?;
    let claims: Claims =
        serde_json::from_slice(&payload).map_err(|err| invalid(format!("claims: {err}")))?;
    if claims.exp < rules.now.saturating_sub(rules.leeway_secs) {
        return Err(JwtError::Expired);
    }
    if claims.iss.as_deref() != rules.issuer {
        return Err(invalid(match rules.issuer {
            Some(_) => "a missing or foreign issuer",
            None => "an issuer where none is configured",
        }));
    }
    if claims.aud.as_deref() != rules.audience {
        return Err(invalid(match rules.audience {
            Some(_) => "a missing or foreign audience",
            None => "an audience where none is configured",
        }));
    }
    Ok(claims)
}
