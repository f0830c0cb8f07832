//! Opaque bearer tokens through an app on every configured backend: a key
//! authenticates as `Bearer` and as `Token`, without a CSRF check; every bad
//! header or key is a 401 with `WWW-Authenticate: Bearer` and a JSON body, never
//! a 500; a token dies at expiry, at revocation, at a password change, while its
//! user is inactive and with its user (the foreign key cascades).

use std::time::Duration;

use aksara::chrono;

use aksara_auth::prelude::*;
use aksara_auth::token::{Token, TokenAuthentication, TokenSettings};
use aksara_auth::{User, UserCache};
use aksara_tests::{Call, PASSWORD, Reply, assert_refused, jane, on_each_database};
use axum::routing::get;
use http::{StatusCode, header};

#[login_required]
async fn profile(user: CurrentUser<User>) -> String {
    let token = user
        .authentication()
        .info::<Token>()
        .expect("the token row");
    format!("{} {}", user.email, token.name.as_deref().unwrap_or("-"))
}

fn app(db: Db, settings: TokenSettings) -> axum::Router {
    Aksara::new(db)
        .middleware(AuthenticationLayer::<User>::new().with(
            // No cache: each request sees the user as the database has it.
            TokenAuthentication::new(settings).user_cache(UserCache::disabled()),
        ))
        .route("/profile", get(profile).post(profile))
        .route("/public", get(|| async { "public" }))
        .into_router()
}

/// `method /profile` from another site, with `authorization` as raw bytes.
async fn send(app: &axum::Router, method: &str, authorization: Option<&[u8]>) -> Reply {
    let mut call = Call::new(method, "/profile").cross_site();
    if let Some(value) = authorization {
        call = call.header(header::AUTHORIZATION, value);
    }
    call.send(app).await
}

async fn bearer(app: &axum::Router, key: &str) -> Reply {
    Call::get("/profile")
        .cross_site()
        .bearer(key)
        .send(app)
        .await
}

async fn row(db: &Db, id: i64) -> Option<Token> {
    Token::objects()
        .filter(Token::ID.eq(id))
        .first(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_key_authenticates_as_bearer_and_as_token_without_a_csrf_check() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let issued = Token::issue_named(&db, &user, &TokenSettings::default(), "laptop")
            .await
            .unwrap();
        let app = app(db.clone(), TokenSettings::default());
        let key = issued.key();
        assert_eq!(
            bearer(&app, key).await.body,
            "jane@example.com laptop",
            "{label}"
        );
        let reply = send(&app, "GET", Some(format!("Token {key}").as_bytes())).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (StatusCode::OK, "jane@example.com laptop"),
            "{label}"
        );
        // A cross-site POST with a header credential needs no CSRF token.
        let reply = send(&app, "POST", Some(format!("token  {key} ").as_bytes())).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.body);
        // Anonymous: 401 with the challenge, from the guard.
        assert_eq!(
            send(&app, "GET", None).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        // The use is recorded.
        let stored = row(&db, issued.token().id).await.unwrap();
        assert!(stored.last_used_at.is_some(), "{label}");
    })
    .await;
}

#[tokio::test]
async fn every_bad_header_or_key_is_a_401_with_a_bearer_challenge() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let issued = Token::issue(&db, &user, &TokenSettings::default())
            .await
            .unwrap();
        let app = app(db.clone(), TokenSettings::default());
        let key = issued.key();
        let wrong_secret = format!("{}{}", &key[..16], "A".repeat(43));
        let unknown = aksara_auth::token::TokenKey::generate();
        let long = format!("Token {}", "a".repeat(10 * 1024));
        let spaced = format!("Token {} {}", &key[..30], &key[30..]);
        let cases: [(&str, Vec<u8>); 11] = [
            ("no scheme", key.as_bytes().to_vec()),
            ("an empty Token", b"Token".to_vec()),
            ("an empty Bearer", b"Bearer ".to_vec()),
            ("spaces in the key", spaced.into_bytes()),
            (
                "non-ASCII",
                format!("Token {}\u{e9}", &key[..58]).into_bytes(),
            ),
            ("10 KB", long.into_bytes()),
            ("not a key", b"Token hello".to_vec()),
            ("a short key", format!("Token {}", &key[..40]).into_bytes()),
            (
                "an unknown key",
                format!("Bearer {}", unknown.as_str()).into_bytes(),
            ),
            (
                "a known prefix with a wrong secret",
                format!("Token {wrong_secret}").into_bytes(),
            ),
            ("two keys", format!("Token {key},{key}").into_bytes()),
        ];
        for (what, value) in cases {
            assert_refused(label, what, send(&app, "GET", Some(&value)).await);
        }
        // The real key still works after all that.
        assert_eq!(bearer(&app, key).await.status, StatusCode::OK, "{label}");
        // Another scheme is not the token authenticator's: anonymous, and the
        // guard's 401 names the challenge.
        let reply = send(&app, "GET", Some(b"Basic dXNlcjpwYXNz")).await;
        assert_eq!(
            (reply.status, reply.challenge()),
            (StatusCode::UNAUTHORIZED, "Bearer"),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_token_dies_at_expiry_revocation_password_change_deactivation_and_deletion() {
    on_each_database(async |db, label| {
        let mut user = jane(&db).await;
        let settings = TokenSettings::default();
        let app = app(db.clone(), settings.clone());

        // Expired: refused, and its row deleted.
        let expired = Token::issue(&db, &user, &settings).await.unwrap();
        Token::objects()
            .filter(Token::ID.eq(expired.token().id))
            .update(
                &db,
                Token::EXPIRES_AT.set(chrono::Utc::now() - chrono::Duration::seconds(1)),
            )
            .await
            .unwrap();
        assert_refused(label, "expired", bearer(&app, expired.key()).await);
        assert!(
            row(&db, expired.token().id).await.is_none(),
            "{label}: the expired row is gone"
        );

        // Revoked.
        let revoked = Token::issue(&db, &user, &settings).await.unwrap();
        assert_eq!(
            bearer(&app, revoked.key()).await.status,
            StatusCode::OK,
            "{label}"
        );
        assert!(revoked.token().revoke(&db).await.unwrap());
        assert_refused(label, "revoked", bearer(&app, revoked.key()).await);

        // Inactive: refused while inactive.
        let kept = Token::issue(&db, &user, &settings).await.unwrap();
        user.is_active = false;
        user.save(&db).await.unwrap();
        assert_refused(label, "inactive user", bearer(&app, kept.key()).await);
        user.is_active = true;
        user.save(&db).await.unwrap();
        assert_eq!(
            bearer(&app, kept.key()).await.status,
            StatusCode::OK,
            "{label}"
        );

        // A new password: every token issued before it is refused and deleted.
        user.set_password("a brand new passphrase").await.unwrap();
        user.save(&db).await.unwrap();
        assert_refused(label, "old password", bearer(&app, kept.key()).await);
        assert!(
            row(&db, kept.token().id).await.is_none(),
            "{label}: revoked for good"
        );
        let fresh = Token::issue(&db, &user, &settings).await.unwrap();
        assert_eq!(
            bearer(&app, fresh.key()).await.status,
            StatusCode::OK,
            "{label}"
        );

        // Deleted user: the rows go with it (ON DELETE CASCADE).
        Token::issue(&db, &user, &settings).await.unwrap();
        let id = user.id;
        user.delete(&db).await.unwrap();
        let left = Token::objects()
            .filter(Token::USER_ID.eq(id))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(left, 0, "{label}: tokens of a deleted user");
        assert_refused(label, "deleted user", bearer(&app, fresh.key()).await);
    })
    .await;
}

#[tokio::test]
async fn revoke_one_all_or_all_but_the_current_one_and_purge_the_expired() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let other = User::objects()
            .create()
            .email("joe@example.com")
            .password(PASSWORD)
            .exec(&db)
            .await
            .unwrap();
        let settings = TokenSettings::default();
        let current = Token::issue_named(&db, &user, &settings, "current")
            .await
            .unwrap();
        for name in ["phone", "tablet"] {
            Token::issue_named(&db, &user, &settings, name)
                .await
                .unwrap();
        }
        let joes = Token::issue(&db, &other, &settings).await.unwrap();
        assert_eq!(
            Token::of_user(&db, &user).await.unwrap().len(),
            3,
            "{label}"
        );

        assert_eq!(
            current.token().revoke_others(&db).await.unwrap(),
            2,
            "{label}"
        );
        let names: Vec<_> = Token::of_user(&db, &user)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|t| t.name)
            .collect();
        assert_eq!(names, ["current"], "{label}");
        assert_eq!(Token::revoke_all(&db, &user).await.unwrap(), 1, "{label}");
        assert!(
            Token::of_user(&db, &user).await.unwrap().is_empty(),
            "{label}"
        );
        assert_eq!(
            Token::of_user(&db, &other).await.unwrap().len(),
            1,
            "{label}: another user's tokens stay"
        );

        Token::objects()
            .filter(Token::ID.eq(joes.token().id))
            .update(
                &db,
                Token::EXPIRES_AT.set(chrono::Utc::now() - chrono::Duration::seconds(1)),
            )
            .await
            .unwrap();
        let live = Token::issue(&db, &other, &settings).await.unwrap();
        assert_eq!(Token::purge_expired(&db).await.unwrap(), 1, "{label}");
        assert!(
            row(&db, live.token().id).await.is_some(),
            "{label}: a live token survives the purge"
        );
    })
    .await;
}

#[tokio::test]
async fn use_is_written_once_a_minute_and_renewal_never_passes_the_cap() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let settings = aksara::Settings::from_sources(
            Some("debug = true\n[tokens]\nttl = \"1h\"\nrenew_on_use = true\nmax_lifetime = \"90m\"\n"),
            None::<(String, String)>,
        )
        .unwrap()
        .section::<TokenSettings>()
        .unwrap();
        let app = app(db.clone(), settings.clone());
        let issued = Token::issue(&db, &user, &settings).await.unwrap();
        let id = issued.token().id;

        assert_eq!(bearer(&app, issued.key()).await.status, StatusCode::OK, "{label}");
        let first = row(&db, id).await.unwrap().last_used_at.unwrap();
        assert_eq!(bearer(&app, issued.key()).await.status, StatusCode::OK, "{label}");
        assert_eq!(row(&db, id).await.unwrap().last_used_at, Some(first), "{label}: not written again within the minute");

        // Two minutes later (moved back by hand), with 30 minutes left and the
        // issue 70 minutes ago: the renewal reaches the 90-minute cap, not now + 1h.
        let now = chrono::Utc::now();
        let created = now - chrono::Duration::minutes(70);
        Token::objects()
            .filter(Token::ID.eq(id))
            .update(
                &db,
                [
                    Token::LAST_USED_AT.set(now - chrono::Duration::minutes(2)),
                    Token::CREATED_AT.set(created),
                    Token::EXPIRES_AT.set(now + chrono::Duration::minutes(30)),
                ],
            )
            .await
            .unwrap();
        assert_eq!(bearer(&app, issued.key()).await.status, StatusCode::OK, "{label}");
        let renewed = row(&db, id).await.unwrap();
        let cap = created + chrono::Duration::minutes(90);
        assert!((renewed.expires_at - cap).num_seconds().abs() <= 1, "{label}: {:?} vs cap {cap:?}", renewed.expires_at);
        assert!(renewed.last_used_at.unwrap() > first, "{label}");
    })
    .await;
}

#[test]
fn the_tokens_section_is_checked_at_load() {
    let load = |toml: &str| aksara::Settings::from_sources(Some(toml), None::<(String, String)>);
    let tokens: TokenSettings = load("debug = true").unwrap().section().unwrap();
    assert_eq!(tokens.ttl, Duration::from_secs(10 * 3600));
    assert!(!tokens.renew_on_use);
    let err = load("debug = true\n[tokens]\nttl = \"0s\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("tokens.ttl"), "{err}");
    let err = load("debug = true\n[tokens]\nttl = \"2d\"\nmax_lifetime = \"1d\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("tokens.max_lifetime") && err.contains("at least as long as ttl"),
        "{err}"
    );
    let err = load("debug = true\n[tokens]\nttl_hours = 3\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("ttl_hours"), "{err}");
}

#[aksara_auth::staff_required]
async fn staff_only(user: CurrentUser<User>) -> String {
    user.email.clone()
}

/// JWTs and opaque tokens on one layer, in either order, with sessions: each
/// bearer kind reaches its authenticator, an anonymous request gets one
/// `Bearer` challenge, and an authenticated user who is not allowed gets 403.
#[tokio::test]
async fn jwt_and_opaque_tokens_share_one_layer_in_either_order() {
    use aksara_auth::jwt::{Jwt, JwtAlgorithm, JwtAuthentication};
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let jwt = Jwt::hmac(
            JwtAlgorithm::Hs256,
            b"jwt test secret, at least thirty-two bytes long",
        )
        .unwrap();
        let issued = Token::issue(&db, &user, &TokenSettings::default())
            .await
            .unwrap();
        let access = jwt.access_token(&user).unwrap();
        for jwt_first in [true, false] {
            let tokens = TokenAuthentication::new(TokenSettings::default());
            let jwts = JwtAuthentication::new(jwt.clone());
            let layer = if jwt_first {
                AuthenticationLayer::<User>::new().with(jwts).with(tokens)
            } else {
                AuthenticationLayer::<User>::new().with(tokens).with(jwts)
            };
            let app = Aksara::new(db.clone())
                .middleware(SessionLayer::new(MemoryStore::new()))
                .middleware(layer.with(SessionAuthentication::new()))
                .route(
                    "/who",
                    get(|user: RequestUser<User>| async move {
                        user.authentication()
                            .map_or("anonymous", |auth| auth.backend())
                            .to_owned()
                    }),
                )
                .route("/staff", get(staff_only))
                .into_router();
            let get_with = async |path: &str, authorization: Option<String>| {
                let mut call = Call::get(path);
                if let Some(value) = authorization {
                    call = call.header(header::AUTHORIZATION, value);
                }
                call.send(&app).await
            };
            let order = if jwt_first {
                "jwt first"
            } else {
                "tokens first"
            };
            let reply = get_with("/who", Some(format!("Bearer {access}"))).await;
            assert_eq!(reply.body, "jwt", "{label}, {order}");
            let reply = get_with("/who", Some(format!("Bearer {}", issued.key()))).await;
            assert_eq!(reply.body, "token", "{label}, {order}");
            let reply = get_with("/staff", None).await;
            assert_eq!(
                (reply.status, reply.challenge()),
                (StatusCode::UNAUTHORIZED, "Bearer"),
                "{label}, {order}"
            );
            let reply = get_with("/staff", Some(format!("Token {}", issued.key()))).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{label}, {order}: {}",
                reply.body
            );
            let reply = get_with("/staff", Some(format!("Bearer {access}"))).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}, {order}");
            let reply = get_with("/who", Some("Bearer a.b.c".to_owned())).await;
            assert_eq!(
                (reply.status, reply.challenge()),
                (StatusCode::UNAUTHORIZED, "Bearer"),
                "{label}, {order}: a bad JWT"
            );
        }
    })
    .await;
}
