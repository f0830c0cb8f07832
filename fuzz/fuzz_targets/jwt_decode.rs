//! `Jwt::decode` on any text, and on tokens whose header and claims are any
//! bytes but whose signature is right, so the fuzzer reaches the header and
//! claims readers behind the signature check.
//!
//! The first byte picks the mode:
//! - `0 mod 4`: the rest is the token. Whatever is accepted must carry a valid
//!   HS256 signature under the key (checked here with `hmac`, not the crate).
//! - `1 mod 4`, `3 mod 4`: the rest is `header \n claims` (each any bytes),
//!   base64url-encoded and signed with the right key, then decoded by a `Jwt`
//!   without (1) or with (3) an issuer and audience. An accepted token must be
//!   exactly what the rules allow: an HS256 header of `alg` and `typ` alone, the
//!   required claims of the right types, unexpired, of the expected type, the
//!   configured `iss`/`aud`, the other claims given back unchanged.
//! - `2 mod 4`: the same, signed wrongly (no signature as `alg: none` tokens
//!   have, another key, HS512 with the right key, or zeros): never accepted.
#![no_main]

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use aksara_auth::jwt::{Claims, Jwt, JwtAlgorithm, TokenType};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const SECRET: &str = "the fuzzing key, at least 32 bytes long";
const ISSUER: &str = "fuzz-issuer";
const AUDIENCE: &str = "fuzz-audience";

static PLAIN: LazyLock<Jwt> =
    LazyLock::new(|| Jwt::hmac(JwtAlgorithm::Hs256, SECRET.as_bytes()).unwrap());

static STRICT: LazyLock<Jwt> = LazyLock::new(|| {
    let toml = format!(
        "debug = true\n[jwt]\nsecret = \"{SECRET}\"\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\n"
    );
    let settings = aksara::Settings::from_sources(Some(&toml), None::<(String, String)>).unwrap();
    Jwt::from_settings(&settings).unwrap()
});

fn hs256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn hs512(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha512>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn decode_both(jwt: &Jwt, token: &str) -> Option<(TokenType, Claims)> {
    let access = jwt.decode(token, TokenType::Access);
    let refresh = jwt.decode(token, TokenType::Refresh);
    match (access, refresh) {
        (Ok(_), Ok(_)) => panic!("one token accepted as both an access and a refresh token"),
        (Ok(claims), Err(_)) => Some((TokenType::Access, claims)),
        (Err(_), Ok(claims)) => Some((TokenType::Refresh, claims)),
        (Err(_), Err(_)) => None,
    }
}

/// What the rules allow of an accepted token, checked against the header and
/// claims as `serde_json` reads them.
fn check_accepted(
    header: &[u8],
    payload: &[u8],
    token_type: TokenType,
    claims: &Claims,
    strict: bool,
    before: u64,
) {
    let header: Map<String, Value> =
        serde_json::from_slice(header).expect("an accepted header is a JSON object");
    assert_eq!(header.get("alg"), Some(&Value::from("HS256")));
    assert!(header.keys().all(|key| key == "alg" || key == "typ"));
    assert!(matches!(
        header.get("typ"),
        None | Some(Value::Null) | Some(Value::String(_))
    ));
    if let Some(Value::String(typ)) = header.get("typ") {
        assert_eq!(typ, "JWT");
    }

    let payload: Map<String, Value> =
        serde_json::from_slice(payload).expect("accepted claims are a JSON object");
    let text = |name: &str| payload.get(name).and_then(Value::as_str);
    assert_eq!(text("sub"), Some(claims.sub.as_str()));
    assert_eq!(text("email"), Some(claims.email.as_str()));
    assert_eq!(text("jti"), Some(claims.jti.as_str()));
    assert_eq!(text("ver"), Some(claims.ver.as_str()));
    assert_eq!(payload.get("exp").and_then(Value::as_u64), Some(claims.exp));
    assert_eq!(payload.get("iat").and_then(Value::as_u64), Some(claims.iat));
    assert!(claims.exp >= before, "an expired token accepted");
    assert_eq!(claims.token_type, token_type);
    let expected_type = match token_type {
        TokenType::Access => "access",
        TokenType::Refresh => "refresh",
    };
    assert_eq!(text("token_type"), Some(expected_type));
    let (issuer, audience) = if strict {
        (Some(ISSUER), Some(AUDIENCE))
    } else {
        (None, None)
    };
    assert_eq!(claims.iss.as_deref(), issuer);
    assert_eq!(claims.aud.as_deref(), audience);
    assert_eq!(text("iss"), issuer);
    assert_eq!(text("aud"), audience);
    let known = [
        "sub",
        "email",
        "exp",
        "iat",
        "jti",
        "token_type",
        "ver",
        "iss",
        "aud",
    ];
    let others: Map<String, Value> = payload
        .into_iter()
        .filter(|(name, _)| !known.contains(&name.as_str()))
        .collect();
    assert_eq!(claims.extra, others);
    // Written back and read again, the claims are the same.
    let written = serde_json::to_vec(claims).unwrap();
    let again: Claims = serde_json::from_slice(&written).expect("written claims read back");
    assert_eq!(
        (&again.sub, &again.email, again.exp, again.iat, &again.jti),
        (
            &claims.sub,
            &claims.email,
            claims.exp,
            claims.iat,
            &claims.jti
        )
    );
    assert_eq!(
        (again.token_type, &again.ver, &again.iss, &again.aud),
        (claims.token_type, &claims.ver, &claims.iss, &claims.aud)
    );
    assert!(again.extra.keys().eq(claims.extra.keys()));
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let before = unix_now();
    if mode % 4 == 0 {
        let Ok(token) = std::str::from_utf8(rest) else {
            return;
        };
        if decode_both(&PLAIN, token).is_some() {
            let (message, signature) = token.rsplit_once('.').unwrap();
            let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
            assert_eq!(
                signature,
                hs256(SECRET.as_bytes(), message.as_bytes()),
                "a token accepted without the key's signature"
            );
        }
        return;
    }
    let (header, payload) = match rest.iter().position(|&b| b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b""[..]),
    };
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let strict = mode % 4 == 3;
    let jwt: &Jwt = if strict { &STRICT } else { &PLAIN };
    if mode % 4 == 2 {
        let signature = match (mode >> 2) % 4 {
            0 => Vec::new(),
            1 => hs256(b"another key, also 32 bytes or longer", message.as_bytes()),
            2 => hs512(SECRET.as_bytes(), message.as_bytes()),
            _ => vec![0; 32],
        };
        let token = format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature));
        assert!(
            decode_both(jwt, &token).is_none(),
            "a token without the key's HS256 signature accepted"
        );
        return;
    }
    let signature = hs256(SECRET.as_bytes(), message.as_bytes());
    let token = format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature));
    if let Some((token_type, claims)) = decode_both(jwt, &token) {
        check_accepted(header, payload, token_type, &claims, strict, before);
    }
});
