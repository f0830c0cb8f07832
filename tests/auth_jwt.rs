//! JWT access tokens through an app on every configured backend: a valid token
//! authenticates by header (no CSRF check), and every way a token can be wrong is
//! a 401 with `WWW-Authenticate: Bearer`, never a 500: tampered, `alg: none`, an
//! HMAC token against an RSA key, a refresh token used as an access token,
//! expired, a foreign issuer or audience, a header that names a key, a user who
//! changed password, was deactivated or deleted. Key pairs for RS256, ES256 and
//! EdDSA come from `tests/fixtures/jwt/`.

use std::path::Path;

use aksara_auth::jwt::{Claims, Jwt, JwtAlgorithm, JwtAuthentication, JwtError, TokenType};
use aksara_auth::prelude::*;
use aksara_auth::{User, UserCache};
use aksara_tests::{Call, Reply, assert_challenged, assert_refused, jane, on_each_database};
use axum::routing::{get, post};
use http::{StatusCode, header};

const SECRET: &[u8] = b"jwt test secret, at least thirty-two bytes long";

#[login_required]
async fn profile(user: CurrentUser<User>) -> String {
    user.email.clone()
}

/// The backend that vouched for the request and a claim the token carried.
async fn claims(user: RequestUser<User>) -> String {
    let auth = user.authentication().expect("authenticated");
    let claims = auth.info::<Claims>().expect("the token's claims");
    format!("{} {}", auth.backend(), claims.extra["plan"])
}

fn app(db: Db, jwt: Jwt) -> axum::Router {
    Aksara::new(db)
        .middleware(
            AuthenticationLayer::<User>::new()
                // No cache: each request sees the user as the database has it.
                .with(JwtAuthentication::new(jwt).user_cache(UserCache::disabled())),
        )
        .route("/profile", get(profile).post(profile))
        .route("/claims", get(claims))
        .route("/echo", post(|| async { "posted" }))
        .into_router()
}

/// `method path` from another site with `Authorization: Bearer <token>`.
async fn send(app: &axum::Router, method: &str, path: &str, token: &str) -> Reply {
    Call::new(method, path)
        .cross_site()
        .bearer(token)
        .send(app)
        .await
}

/// `header.payload.signature` signed with HMAC-SHA256 and `secret` by hand, to
/// forge what the crate would never issue.
fn forge(header: &str, claims: &serde_json::Value, secret: &[u8]) -> String {
    forge_raw(header, &claims.to_string(), secret, false)
}

/// As [`forge`], with the payload as text (for duplicate keys) and SHA-512 when
/// `sha512`.
fn forge_raw(header: &str, payload: &str, secret: &[u8], sha512: bool) -> String {
    use base64::Engine as _;
    use hmac::{KeyInit as _, Mac as _};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let message = format!("{}.{}", b64.encode(header), b64.encode(payload));
    let signature = if sha512 {
        let mut mac = hmac::Hmac::<sha2::Sha512>::new_from_slice(secret).unwrap();
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().to_vec()
    } else {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    format!("{message}.{}", b64.encode(signature))
}

/// Claims as the crate writes them for `user`, from a real token.
fn claims_of(jwt: &Jwt, user: &User) -> serde_json::Value {
    let token = jwt.access_token(user).unwrap();
    serde_json::to_value(jwt.decode(&token, TokenType::Access).unwrap()).unwrap()
}

#[tokio::test]
async fn an_access_token_authenticates_by_header_without_a_csrf_check() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let jwt = Jwt::hmac(JwtAlgorithm::Hs256, SECRET).unwrap();
        let app = app(db, jwt.clone());
        let token = jwt.access_token(&user).unwrap();
        let reply = send(&app, "GET", "/profile", &token).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (StatusCode::OK, "jane@example.com"),
            "{label}"
        );
        // A cross-site POST with a header credential needs no CSRF token.
        let reply = send(&app, "POST", "/profile", &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.body);
        let token = jwt
            .access_token_with(&user, serde_json::json!({ "plan": "pro" }))
            .unwrap();
        let reply = send(&app, "GET", "/claims", &token).await;
        assert_eq!(reply.body, "jwt \"pro\"", "{label}");
    })
    .await;
}

#[tokio::test]
async fn every_kind_of_bad_token_is_a_401_with_a_bearer_challenge() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let jwt = Jwt::hmac(JwtAlgorithm::Hs256, SECRET).unwrap();
        let app = app(db.clone(), jwt.clone());
        let good = jwt.access_token(&user).unwrap();
        let claims = claims_of(&jwt, &user);
        let refresh = jwt.create_refresh_token(&db, &user).await.unwrap();

        // The payload changed, the signature kept.
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut other = claims.clone();
        other["email"] = "mallory@example.com".into();
        let forged = forge(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            &other,
            b"another secret of thirty-two bytes!!",
        );
        parts[1] = forged.split('.').nth(1).unwrap().to_owned();
        let tampered = parts.join(".");
        // The last signature character changed.
        let mut flipped = good.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == 'A' { 'B' } else { 'A' });

        let cases = [
            ("a tampered payload", tampered),
            ("a tampered signature", flipped),
            ("signed with another secret", forged),
            (
                "alg none",
                forge(r#"{"alg":"none"}"#, &claims, b"")
                    .rsplit_once('.')
                    .unwrap()
                    .0
                    .to_owned()
                    + ".",
            ),
            (
                "alg HS512 against an HS256 key",
                forge(r#"{"alg":"HS512"}"#, &claims, SECRET),
            ),
            (
                "a kid the crate never writes",
                forge(r#"{"alg":"HS256","kid":"1"}"#, &claims, SECRET),
            ),
            (
                "a jku pointing at someone's keys",
                forge(
                    r#"{"alg":"HS256","jku":"https://evil.example/keys"}"#,
                    &claims,
                    SECRET,
                ),
            ),
            (
                "a jwk in the header",
                forge(
                    r#"{"alg":"HS256","jwk":{"kty":"oct","k":"AAAA"}}"#,
                    &claims,
                    SECRET,
                ),
            ),
            (
                "an x5u in the header",
                forge(
                    r#"{"alg":"HS256","x5u":"https://evil.example/cert"}"#,
                    &claims,
                    SECRET,
                ),
            ),
            (
                "an x5c in the header",
                forge(r#"{"alg":"HS256","x5c":["MIIB"]}"#, &claims, SECRET),
            ),
            (
                "an x5t in the header",
                forge(r#"{"alg":"HS256","x5t":"abc"}"#, &claims, SECRET),
            ),
            (
                "a crit in the header",
                forge(r#"{"alg":"HS256","crit":["exp"]}"#, &claims, SECRET),
            ),
            (
                "a typ other than JWT",
                forge(r#"{"alg":"HS256","typ":"at+jwt"}"#, &claims, SECRET),
            ),
            ("a refresh token", refresh),
            (
                "token_type in another case",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c["token_type"] = "Access".into();
                        c
                    },
                    SECRET,
                ),
            ),
            (
                "exp as text",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c["exp"] = c["exp"].to_string().into();
                        c
                    },
                    SECRET,
                ),
            ),
            (
                "exp as a fraction",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c["exp"] = (c["exp"].as_f64().unwrap() + 0.5).into();
                        c
                    },
                    SECRET,
                ),
            ),
            (
                "exp negative",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c["exp"] = (-1).into();
                        c
                    },
                    SECRET,
                ),
            ),
            (
                "no sub",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c.as_object_mut().unwrap().remove("sub");
                        c
                    },
                    SECRET,
                ),
            ),
            (
                "an audience list",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c["aud"] = serde_json::json!(["a", "b"]);
                        c
                    },
                    SECRET,
                ),
            ),
            (
                "an issuer nobody configured",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c["iss"] = "https://evil.example".into();
                        c
                    },
                    SECRET,
                ),
            ),
            ("a duplicate sub", {
                let text = claims.to_string();
                let other = uuid::Uuid::new_v4();
                forge_raw(
                    r#"{"alg":"HS256"}"#,
                    &text.replacen('{', &format!("{{\"sub\":\"{other}\","), 1),
                    SECRET,
                    false,
                )
            }),
            (
                "expired",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c["exp"] = 1_000.into();
                        c
                    },
                    SECRET,
                ),
            ),
            (
                "no exp",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c.as_object_mut().unwrap().remove("exp");
                        c
                    },
                    SECRET,
                ),
            ),
            (
                "no jti",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c.as_object_mut().unwrap().remove("jti");
                        c
                    },
                    SECRET,
                ),
            ),
            (
                "an audience nobody configured",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c["aud"] = "other-app".into();
                        c
                    },
                    SECRET,
                ),
            ),
            (
                "a sub that is no user",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c["sub"] = uuid::Uuid::new_v4().to_string().into();
                        c
                    },
                    SECRET,
                ),
            ),
            (
                "a sub that is no id",
                forge(
                    r#"{"alg":"HS256"}"#,
                    &{
                        let mut c = claims.clone();
                        c["sub"] = "1 OR 1=1".into();
                        c
                    },
                    SECRET,
                ),
            ),
        ];
        for (what, token) in cases {
            assert_refused(label, what, send(&app, "GET", "/profile", &token).await);
        }
        // Over 8 KiB even when signed correctly; just under it, accepted.
        let mut big = claims.clone();
        big["padding"] = "x".repeat(6200).into();
        // A header over the cap is not read as a token at all: no credential.
        assert_challenged(
            label,
            "over 8 KiB",
            &send(
                &app,
                "GET",
                "/profile",
                &forge(r#"{"alg":"HS256"}"#, &big, SECRET),
            )
            .await,
        );
        big["padding"] = "x".repeat(5000).into();
        assert_eq!(
            send(
                &app,
                "GET",
                "/profile",
                &forge(r#"{"alg":"HS256"}"#, &big, SECRET)
            )
            .await
            .status,
            StatusCode::OK,
            "{label}: under 8 KiB"
        );
        // The good one still works (nothing above changed state), and so does a
        // hand-signed copy of its claims: each case fails for its own reason.
        assert_eq!(
            send(&app, "GET", "/profile", &good).await.status,
            StatusCode::OK,
            "{label}"
        );
        let resigned = forge(r#"{"alg":"HS256","typ":"JWT"}"#, &claims, SECRET);
        assert_eq!(
            send(&app, "GET", "/profile", &resigned).await.status,
            StatusCode::OK,
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn malformed_authorization_headers_never_give_a_500() {
    on_each_database(async |db, label| {
        let jwt = Jwt::hmac(JwtAlgorithm::Hs256, SECRET).unwrap();
        let app = app(db, jwt);
        let huge = format!(
            "{}.{}.{}",
            "a".repeat(5000),
            "b".repeat(5000),
            "c".repeat(100)
        );
        for value in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer  a.b",
            "Basic am9objpwdw==",
            "Bearer a.b.c",
            "Bearer ü.ö.ä",
            &format!("Bearer {huge}"),
        ] {
            let reply = Call::get("/profile")
                .header(header::AUTHORIZATION, value)
                .send(&app)
                .await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{label}: {value:.40}"
            );
            assert!(!reply.challenge().is_empty(), "{label}: {value:.40}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_password_change_deactivation_or_deletion_ends_the_users_tokens() {
    on_each_database(async |db, label| {
        let jwt = Jwt::hmac(JwtAlgorithm::Hs256, SECRET).unwrap();
        let app = app(db.clone(), jwt.clone());

        let mut user = jane(&db).await;
        let token = jwt.access_token(&user).unwrap();
        user.set_password("a new password, just as long")
            .await
            .unwrap();
        user.save(&db).await.unwrap();
        assert_refused(
            label,
            "after a password change",
            send(&app, "GET", "/profile", &token).await,
        );
        let token = jwt.access_token(&user).unwrap();
        assert_eq!(
            send(&app, "GET", "/profile", &token).await.status,
            StatusCode::OK,
            "{label}"
        );

        user.is_active = false;
        user.save(&db).await.unwrap();
        assert_refused(
            label,
            "after deactivation",
            send(&app, "GET", "/profile", &token).await,
        );
        user.is_active = true;
        user.save(&db).await.unwrap();
        assert_eq!(
            send(&app, "GET", "/profile", &token).await.status,
            StatusCode::OK,
            "{label}"
        );

        user.delete(&db).await.unwrap();
        assert_refused(
            label,
            "after deletion",
            send(&app, "GET", "/profile", &token).await,
        );
    })
    .await;
}

fn settings(file: &str) -> aksara::Settings {
    aksara::Settings::from_sources(
        Some(&format!("debug = true\n{file}")),
        None::<(String, String)>,
    )
    .expect("settings")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/jwt")
        .join(name)
        .display()
        .to_string()
}

#[tokio::test]
async fn key_pairs_sign_and_verify_and_an_hmac_token_against_the_public_key_fails() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        for (algorithm, name) in [("RS256", "rs256"), ("ES256", "es256"), ("EdDSA", "eddsa")] {
            let jwt = Jwt::from_settings(&settings(&format!(
                "[jwt]\nalgorithm = \"{algorithm}\"\nprivate_key_file = \"{}\"\npublic_key_file = \"{}\"\n",
                fixture(&format!("{name}.pem")),
                fixture(&format!("{name}.pub.pem")),
            )))
            .unwrap_or_else(|err| panic!("{algorithm}: {err}"));
            let app = app(db.clone(), jwt.clone());
            let token = jwt.access_token(&user).unwrap();
            assert_eq!(send(&app, "GET", "/profile", &token).await.status, StatusCode::OK, "{label} {algorithm}");

            // The classic confusion: an HS256 token whose secret is the public key.
            let public = std::fs::read(fixture(&format!("{name}.pub.pem"))).unwrap();
            let confused = forge(r#"{"alg":"HS256"}"#, &claims_of(&jwt, &user), &public);
            assert_refused(label, "HS256 signed with the public key", send(&app, "GET", "/profile", &confused).await);
        }

        // A verifying-only process cannot issue.
        let verifier = Jwt::from_settings(&settings(&format!(
            "[jwt]\nalgorithm = \"RS256\"\npublic_key_file = \"{}\"\n",
            fixture("rs256.pub.pem")
        )))
        .unwrap();
        assert!(matches!(verifier.access_token(&user), Err(JwtError::Issue(_))), "{label}");
    })
    .await;
}

#[tokio::test]
async fn issuer_and_audience_are_written_and_required() {
    const ISSUER_SECRET: &str = "an issuer test secret of at least 32 bytes";
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let ours = Jwt::from_settings(&settings(&format!(
            "[jwt]\nsecret = \"{ISSUER_SECRET}\"\nissuer = \"https://api.example.com\"\naudience = \"mobile\"\n"
        )))
        .unwrap();
        let app = app(db.clone(), ours.clone());
        let token = ours.access_token(&user).unwrap();
        assert_eq!(send(&app, "GET", "/profile", &token).await.status, StatusCode::OK, "{label}");
        let claims = claims_of(&ours, &user);
        assert_eq!(claims["iss"], "https://api.example.com");
        assert_eq!(claims["aud"], "mobile");

        // Properly signed, so only the claim checks can refuse them.
        let with = |key: &str, value: Option<&str>| {
            let mut changed = claims.clone();
            match value {
                Some(value) => changed[key] = value.into(),
                None => {
                    changed.as_object_mut().unwrap().remove(key);
                }
            }
            forge(r#"{"alg":"HS256"}"#, &changed, ISSUER_SECRET.as_bytes())
        };
        assert_eq!(send(&app, "GET", "/profile", &with("email", Some("still jane"))).await.status, StatusCode::OK, "{label}: the forge signs correctly");
        for (what, token) in [
            ("another issuer", with("iss", Some("https://other.example.com"))),
            ("no issuer", with("iss", None)),
            ("another audience", with("aud", Some("web"))),
            ("no audience", with("aud", None)),
        ] {
            assert_refused(label, what, send(&app, "GET", "/profile", &token).await);
        }
    })
    .await;
}

#[test]
fn jwt_settings_refuse_what_cannot_be_used() {
    let error = |file: &str| {
        aksara::Settings::from_sources(
            Some(&format!("debug = true\n{file}")),
            None::<(String, String)>,
        )
        .unwrap_err()
        .to_string()
    };
    assert!(error("[jwt]\nalgorithm = \"HS512\"\nsecret = \"only thirty-two bytes long......\"\n")
        .contains("HS512 needs a secret of at least 64 bytes, got 32; make one with `openssl rand -base64 64`"));
    assert!(
        error("[jwt]\nalgorithm = \"none\"\n")
            .contains("expected one of HS256, HS384, HS512, RS256, ES256, EdDSA, got \"none\"")
    );
    assert!(error("[jwt]\nalgorithm = \"RS256\"\n").contains("RS256 needs public_key_file"));
    assert!(error("[jwt]\npublic_key_file = \"k.pem\"\n").contains("key files are for RS256"));
    assert!(error("[jwt]\naccess_ttl = 0\n").contains("expected a duration greater than zero"));
    assert!(error("[jwt]\nleeway = \"1h\"\n").contains("expected at most 5m"));
    assert!(error("[jwt]\naccess_ttl = \"2d\"\n").contains("at least as long as access_ttl"));
    // A key derived from an empty or weak secret_key would let anyone sign tokens.
    let weak = Jwt::from_settings(&aksara::Settings::default())
        .unwrap_err()
        .to_string();
    assert!(weak.contains("secret_key"), "{weak}");
    let weak_secret = aksara::Settings::from_sources(
        Some("secret_key = \"hV3kP9sQ2wX7zR1mN5bT8cY4fJ6gL0dA\"\n[jwt]\nsecret = \"changeme-changeme-changeme-changeme\"\n"),
        None::<(String, String)>,
    )
    .unwrap();
    let weak = Jwt::from_settings(&weak_secret).unwrap_err().to_string();
    assert!(weak.contains("[jwt] secret"), "{weak}");
    let missing = Jwt::from_settings(&settings(
        "[jwt]\nalgorithm = \"RS256\"\npublic_key_file = \"/nonexistent/k.pem\"\n",
    ))
    .unwrap_err()
    .to_string();
    assert!(
        missing.contains("cannot read the key file /nonexistent/k.pem"),
        "{missing}"
    );
    let wrong = Jwt::from_settings(&settings(&format!(
        "[jwt]\nalgorithm = \"ES256\"\npublic_key_file = \"{}\"\n",
        fixture("rs256.pub.pem")
    )))
    .unwrap_err()
    .to_string();
    assert!(wrong.contains("is not a PEM ES256 key"), "{wrong}");
}

#[tokio::test]
async fn the_cookie_mode_authenticates_and_is_csrf_checked_like_sessions() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let jwt = Jwt::hmac(JwtAlgorithm::Hs256, SECRET).unwrap();
        let app = Aksara::new(db)
            .middleware(
                AuthenticationLayer::<User>::new()
                    .with(JwtAuthentication::new(jwt.clone()).cookie("access_token")),
            )
            .route("/profile", get(profile).post(profile))
            .into_router();
        let set_cookie = jwt.access_cookie("access_token", &jwt.access_token(&user).unwrap());
        assert!(
            set_cookie.contains("HttpOnly") && set_cookie.contains("Secure"),
            "{set_cookie}"
        );
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let call = async |method: &str, site: &str, cookie: &str| {
            let reply = Call::new(method, "/profile")
                .header(header::COOKIE, cookie)
                .header(http::HeaderName::from_static("sec-fetch-site"), site)
                .send(&app)
                .await;
            (reply.status, reply.body)
        };
        assert_eq!(
            call("GET", "none", &cookie).await,
            (StatusCode::OK, "jane@example.com".to_owned()),
            "{label}"
        );
        assert_eq!(
            call("POST", "same-origin", &cookie).await.0,
            StatusCode::OK,
            "{label}"
        );
        let (status, body) = call("POST", "cross-site", &cookie).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{label}: {body}");
        assert!(body.contains("csrf_failed"), "{label}: {body}");
        let (status, body) = call("GET", "none", "access_token=a.b.c").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{label}: {body}");
    })
    .await;
}
