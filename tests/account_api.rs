//! The account router (`aksara_auth::account`) over in-process HTTP on every
//! configured backend, with the application's own user model: registration
//! (privileged fields refused, a taken email case-insensitively, weak
//! passwords, 100 racing registrations of one address), login with one answer
//! for every failure, opaque tokens, refresh rotation, verification, logout,
//! the profile, a password change ending the other logins, and bad input as a
//! 4xx in the one JSON shape.
//!
//! This binary holds exactly one `#[auth_user]` model.

use aksara_auth::account::AccountRoutes;
use aksara_auth::jwt::{Jwt, JwtAlgorithm, JwtAuthentication};
use aksara_auth::prelude::*;
use aksara_auth::token::{TokenAuthentication, TokenSettings};
use aksara_auth::{SessionLayer, UserCache};
use aksara_tests::{Call, Reply, assert_error, on_each_database};
use http::{StatusCode, header};
use serde_json::json;

/// The seed's user model.
#[auth_user]
#[model(table = "members")]
pub struct Member {
    /// Display name.
    #[field(max_length = 100)]
    pub name: String,
    /// About the member.
    pub bio: Option<String>,
    /// Picture, validated as a URL.
    #[field(url)]
    pub avatar_url: Option<String>,
}

const PASSWORD: &str = "correct horse battery staple";

fn app(db: Db) -> axum::Router {
    let jwt = Jwt::hmac(JwtAlgorithm::Hs256, b"account api test secret, 32 bytes+").unwrap();
    let routes = AccountRoutes::<Member>::new(jwt.clone());
    Aksara::new(db)
        .middleware(SessionLayer::new(MemoryStore::new()).secure(false))
        .middleware(
            AuthenticationLayer::<Member>::new()
                // No caches: each request sees the rows as they are.
                .with(JwtAuthentication::new(jwt).user_cache(UserCache::disabled()))
                .with(
                    TokenAuthentication::new(TokenSettings::default())
                        .row_cache(std::time::Duration::ZERO)
                        .user_cache(UserCache::disabled()),
                )
                .with(SessionAuthentication::new().user_cache(UserCache::disabled())),
        )
        .nest("/auth", routes.into_router())
        .into_router()
}

async fn post(app: &axum::Router, path: &str, body: serde_json::Value) -> Reply {
    Call::post(path).json(&body).send(app).await
}

async fn register(app: &axum::Router, email: &str) -> Reply {
    post(
        app,
        "/auth/register",
        json!({"email": email, "password": PASSWORD, "name": "Jane"}),
    )
    .await
}

#[tokio::test]
async fn register_logs_in_and_refuses_privileged_fields_taken_emails_and_weak_passwords() {
    on_each_database(async |db, label| {
        let app = app(db.clone());
        let reply = register(&app, "Jane@Example.com").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{label}: {}", reply.body);
        assert_eq!(reply.header(header::CACHE_CONTROL), "no-store", "{label}");
        let body = reply.json();
        assert_eq!(body["user"]["email"], "Jane@example.com", "{label}");
        assert_eq!(body["user"]["name"], "Jane", "{label}");
        assert_eq!(body["user"]["is_staff"], false, "{label}");
        assert!(body["user"].get("password").is_none(), "{label}: {body}");
        let access = body["access_token"].as_str().unwrap();
        let me = Call::get("/auth/me").bearer(access).send(&app).await;
        assert_eq!(me.json()["email"], "Jane@example.com", "{label}");

        // The same address in another case is taken.
        let again = register(&app, "jane@EXAMPLE.com").await;
        assert_error(label, &again, StatusCode::BAD_REQUEST, "email_taken");
        // Privileged fields are refused by name, and nothing is created.
        for field in ["is_staff", "is_superuser", "is_active", "email_verified", "id"] {
            let reply = post(
                &app,
                "/auth/register",
                json!({"email": "mallory@example.com", "password": PASSWORD, "name": "M", field: true}),
            )
            .await;
            assert_error(label, &reply, StatusCode::BAD_REQUEST, "read_only_field");
            assert!(reply.json()["error"]["fields"][field].is_array(), "{label}");
        }
        let weak = post(
            &app,
            "/auth/register",
            json!({"email": "weak@example.com", "password": "password", "name": "W"}),
        )
        .await;
        assert_error(label, &weak, StatusCode::BAD_REQUEST, "validation_error");
        assert!(weak.json()["error"]["fields"]["password"].is_array(), "{label}");
        let missing = post(&app, "/auth/register", json!({"name": "N"})).await;
        assert_error(label, &missing, StatusCode::BAD_REQUEST, "validation_error");
        let fields = &missing.json()["error"]["fields"];
        assert!(fields["email"].is_array() && fields["password"].is_array(), "{label}");
        let unknown = post(
            &app,
            "/auth/register",
            json!({"email": "u@example.com", "password": PASSWORD, "name": "U", "shoe_size": 9}),
        )
        .await;
        assert_error(label, &unknown, StatusCode::BAD_REQUEST, "validation_error");
        assert_eq!(Member::objects().count(&db).await.unwrap(), 1, "{label}");
    })
    .await;
}

#[tokio::test]
async fn a_hundred_racing_registrations_of_one_email_make_one_user_and_no_5xx() {
    on_each_database(async |db, label| {
        let app = app(db.clone());
        let racers = (0..100).map(|i| {
            let app = app.clone();
            async move {
                let email = if i % 2 == 0 {
                    "race@example.com"
                } else {
                    "RACE@example.com"
                };
                register(&app, email).await
            }
        });
        let replies = futures_util::future::join_all(racers).await;
        let created = replies
            .iter()
            .filter(|reply| reply.status == StatusCode::CREATED)
            .count();
        assert_eq!(created, 1, "{label}");
        for reply in &replies {
            if reply.status != StatusCode::CREATED {
                assert_error(label, reply, StatusCode::BAD_REQUEST, "email_taken");
            }
        }
        assert_eq!(Member::objects().count(&db).await.unwrap(), 1, "{label}");
    })
    .await;
}

#[tokio::test]
async fn login_gives_one_answer_for_every_failure_and_tokens_that_work() {
    on_each_database(async |db, label| {
        let app = app(db.clone());
        register(&app, "jane@example.com").await;
        let mut inactive = Member::objects()
            .create()
            .email("off@example.com")
            .password(PASSWORD)
            .name("Off")
            .exec(&db)
            .await
            .unwrap();
        inactive.is_active = false;
        inactive.save(&db).await.unwrap();

        let failures = [
            json!({"email": "nobody@example.com", "password": PASSWORD}),
            json!({"email": "jane@example.com", "password": "wrong"}),
            json!({"email": "off@example.com", "password": PASSWORD}),
        ];
        let mut bodies = Vec::new();
        for body in failures {
            let reply = post(&app, "/auth/login", body).await;
            assert_error(
                label,
                &reply,
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
            );
            bodies.push(reply.body);
        }
        assert!(
            bodies.windows(2).all(|pair| pair[0] == pair[1]),
            "{label}: {bodies:?}"
        );

        let login = post(
            &app,
            "/auth/login",
            json!({"email": " JANE@example.com", "password": PASSWORD}),
        )
        .await;
        assert_eq!(login.status, StatusCode::OK, "{label}: {}", login.body);
        assert_eq!(login.header(header::CACHE_CONTROL), "no-store", "{label}");
        let body = login.json();
        assert_eq!(body["token_type"], "bearer", "{label}");
        assert!(body["user"]["last_login"].is_string(), "{label}: {body}");

        // An opaque token, as `Bearer` and as `Token`.
        let token = post(
            &app,
            "/auth/token",
            json!({"email": "jane@example.com", "password": PASSWORD}),
        )
        .await;
        assert_eq!(token.status, StatusCode::OK, "{label}: {}", token.body);
        let key = token.json()["token"].as_str().unwrap().to_owned();
        for scheme in ["Bearer", "Token"] {
            let me = Call::get("/auth/me")
                .header(header::AUTHORIZATION, format!("{scheme} {key}"))
                .send(&app)
                .await;
            assert_eq!(me.status, StatusCode::OK, "{label} {scheme}: {}", me.body);
        }
    })
    .await;
}

#[tokio::test]
async fn refresh_rotates_verify_checks_and_logout_revokes() {
    on_each_database(async |db, label| {
        let app = app(db);
        let login = register(&app, "jane@example.com").await.json();
        let access = login["access_token"].as_str().unwrap().to_owned();
        let refresh = login["refresh_token"].as_str().unwrap().to_owned();

        let verified = post(&app, "/auth/token/verify", json!({"token": access})).await;
        assert_eq!(
            verified.status,
            StatusCode::OK,
            "{label}: {}",
            verified.body
        );
        let forged = post(&app, "/auth/token/verify", json!({"token": "a.b.c"})).await;
        assert_error(label, &forged, StatusCode::UNAUTHORIZED, "invalid_token");

        let rotated = post(&app, "/auth/refresh", json!({"refresh_token": refresh})).await;
        assert_eq!(rotated.status, StatusCode::OK, "{label}: {}", rotated.body);
        assert_eq!(rotated.header(header::CACHE_CONTROL), "no-store", "{label}");
        let next = rotated.json()["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(next, refresh, "{label}");
        // The used one fails (and its reuse ends the login, `next` included).
        let reused = post(&app, "/auth/refresh", json!({"refresh_token": refresh})).await;
        assert_error(label, &reused, StatusCode::UNAUTHORIZED, "invalid_token");
        let after_reuse = post(&app, "/auth/refresh", json!({"refresh_token": next})).await;
        assert_error(
            label,
            &after_reuse,
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        );

        // Logout ends the access token it came with and the refresh token named.
        let login = post(
            &app,
            "/auth/login",
            json!({"email": "jane@example.com", "password": PASSWORD}),
        )
        .await
        .json();
        let access = login["access_token"].as_str().unwrap().to_owned();
        let refresh = login["refresh_token"].as_str().unwrap().to_owned();
        let anonymous = post(&app, "/auth/logout", json!({})).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{label}");
        let out = Call::post("/auth/logout")
            .bearer(&access)
            .json(&json!({"refresh_token": refresh}))
            .send(&app)
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT, "{label}: {}", out.body);
        let me = Call::get("/auth/me").bearer(&access).send(&app).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{label}");
        let revoked = post(&app, "/auth/token/verify", json!({"token": access})).await;
        assert_error(label, &revoked, StatusCode::UNAUTHORIZED, "invalid_token");
        let dead = post(&app, "/auth/refresh", json!({"refresh_token": refresh})).await;
        assert_error(label, &dead, StatusCode::UNAUTHORIZED, "invalid_token");
    })
    .await;
}

#[tokio::test]
async fn the_profile_reads_and_edits_own_fields_only() {
    on_each_database(async |db, label| {
        let app = app(db);
        let anonymous = Call::get("/auth/me").send(&app).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(anonymous.challenge(), "Bearer", "{label}");
        let access = register(&app, "jane@example.com").await.json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let edit = async |method: &str, body: serde_json::Value| {
            Call::new(method, "/auth/me")
                .bearer(&access)
                .json(&body)
                .send(&app)
                .await
        };
        let reply = edit("PATCH", json!({"bio": "Rustacean", "name": "Jane D"})).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.body);
        assert_eq!(reply.json()["bio"], "Rustacean", "{label}");
        let reply = edit("PUT", json!({"bio": null})).await;
        assert_eq!(reply.json()["bio"], serde_json::Value::Null, "{label}");
        assert_eq!(reply.json()["name"], "Jane D", "{label}");
        for field in [
            "email",
            "is_staff",
            "is_superuser",
            "is_active",
            "email_verified",
            "id",
            "password",
        ] {
            let reply = edit("PATCH", json!({ field: "x" })).await;
            assert_error(label, &reply, StatusCode::BAD_REQUEST, "read_only_field");
            assert!(
                reply.json()["error"]["fields"][field].is_array(),
                "{label} {field}"
            );
        }
        for bad in [
            json!({"avatar_url": "not a url"}),
            json!({"name": "x".repeat(101)}),
            json!({"name": 7}),
            json!({"name": null}),
        ] {
            let reply = edit("PATCH", bad.clone()).await;
            assert_error(label, &reply, StatusCode::BAD_REQUEST, "validation_error");
        }
        let me = Call::get("/auth/me")
            .bearer(&access)
            .send(&app)
            .await
            .json();
        assert_eq!(
            (me["name"].as_str(), me["is_staff"].as_bool()),
            (Some("Jane D"), Some(false)),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_password_change_ends_the_other_logins_and_answers_fresh_tokens() {
    on_each_database(async |db, label| {
        let app = app(db);
        let first = register(&app, "jane@example.com").await.json();
        let access = first["access_token"].as_str().unwrap().to_owned();
        let other = post(
            &app,
            "/auth/token",
            json!({"email": "jane@example.com", "password": PASSWORD}),
        )
        .await
        .json()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let change = async |body: serde_json::Value| {
            Call::post("/auth/change-password")
                .bearer(&access)
                .json(&body)
                .send(&app)
                .await
        };
        let wrong =
            change(json!({"current_password": "nope", "new_password": "a brand new passphrase"}))
                .await;
        assert_error(label, &wrong, StatusCode::BAD_REQUEST, "invalid_password");
        let weak = change(json!({"current_password": PASSWORD, "new_password": "12345678"})).await;
        assert_error(label, &weak, StatusCode::BAD_REQUEST, "validation_error");
        assert!(
            weak.json()["error"]["fields"]["new_password"].is_array(),
            "{label}: {}",
            weak.body
        );

        let changed =
            change(json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}))
                .await;
        assert_eq!(changed.status, StatusCode::OK, "{label}: {}", changed.body);
        let fresh = changed.json()["access_token"].as_str().unwrap().to_owned();
        for (what, credential) in [
            ("old access token", access.as_str()),
            ("opaque token", other.as_str()),
        ] {
            let me = Call::get("/auth/me").bearer(credential).send(&app).await;
            assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{label}: {what}");
        }
        let refresh = first["refresh_token"].as_str().unwrap();
        let dead = post(&app, "/auth/refresh", json!({"refresh_token": refresh})).await;
        assert_error(label, &dead, StatusCode::UNAUTHORIZED, "invalid_token");
        let me = Call::get("/auth/me").bearer(&fresh).send(&app).await;
        assert_eq!(me.status, StatusCode::OK, "{label}");
        let old = post(
            &app,
            "/auth/login",
            json!({"email": "jane@example.com", "password": PASSWORD}),
        )
        .await;
        assert_error(label, &old, StatusCode::UNAUTHORIZED, "invalid_credentials");
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_a_4xx_in_the_one_shape_never_a_5xx() {
    on_each_database(async |db, label| {
        let app = app(db);
        let raw = async |content_type: Option<&str>, body: Vec<u8>| {
            let mut call = Call::post("/auth/login").body(body);
            if let Some(content_type) = content_type {
                call = call.header(header::CONTENT_TYPE, content_type);
            }
            call.send(&app).await
        };
        let json_type = Some("application/json");
        let long_email = format!("{}@example.com", "a".repeat(5000));
        let cases: Vec<(&str, Reply)> = vec![
            ("malformed", raw(json_type, b"{\"email\":".to_vec()).await),
            ("null", raw(json_type, b"null".to_vec()).await),
            ("an array", raw(json_type, b"[1,2]".to_vec()).await),
            (
                "wrong types",
                raw(json_type, br#"{"email":1,"password":true}"#.to_vec()).await,
            ),
            (
                "invalid UTF-8",
                raw(json_type, b"{\"email\":\"\xff\xfe\"}".to_vec()).await,
            ),
            (
                "no content type",
                raw(None, br#"{"email":"a","password":"b"}"#.to_vec()).await,
            ),
            (
                "text/plain",
                raw(
                    Some("text/plain"),
                    br#"{"email":"a","password":"b"}"#.to_vec(),
                )
                .await,
            ),
            ("over 64 KiB", raw(json_type, vec![b' '; 70 * 1024]).await),
            (
                "a 5,000-character email",
                raw(
                    json_type,
                    json!({"email": long_email, "password": "x"})
                        .to_string()
                        .into_bytes(),
                )
                .await,
            ),
        ];
        for (what, reply) in cases {
            assert!(
                reply.status.is_client_error(),
                "{label}: {what}: {} {}",
                reply.status,
                reply.body
            );
            assert!(!reply.error_code().is_empty(), "{label}: {what}");
            assert!(
                reply.json()["error"]["message"].is_string(),
                "{label}: {what}"
            );
        }
        let reply = raw(Some("text/plain"), b"{}".to_vec()).await;
        assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{label}");
        let reply = raw(json_type, vec![b' '; 70 * 1024]).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{label}");
        let register_array = post(&app, "/auth/register", json!([1])).await;
        assert!(register_array.status.is_client_error(), "{label}");
    })
    .await;
}

#[tokio::test]
async fn the_session_flavour_logs_in_with_a_cookie_checked_for_csrf() {
    on_each_database(async |db, label| {
        let app = app(db);
        register(&app, "jane@example.com").await;
        let credentials = json!({"email": "jane@example.com", "password": PASSWORD});
        let site = http::HeaderName::from_static("sec-fetch-site");
        let cross = Call::post("/auth/session/login")
            .header(site.clone(), "cross-site")
            .json(&credentials)
            .send(&app)
            .await;
        assert_error(label, &cross, StatusCode::FORBIDDEN, "csrf_failed");
        let login = Call::post("/auth/session/login")
            .header(site.clone(), "same-origin")
            .json(&credentials)
            .send(&app)
            .await;
        assert_eq!(login.status, StatusCode::OK, "{label}: {}", login.body);
        let cookie = login
            .header(header::SET_COOKIE)
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let with_cookie = |call: Call| {
            call.header(header::COOKIE, &cookie)
                .header(site.clone(), "same-origin")
        };
        let me = with_cookie(Call::get("/auth/me")).send(&app).await;
        assert_eq!(
            me.json()["email"],
            "jane@example.com",
            "{label}: {}",
            me.body
        );
        let out = with_cookie(Call::post("/auth/logout")).send(&app).await;
        assert_eq!(out.status, StatusCode::NO_CONTENT, "{label}: {}", out.body);
        let me = with_cookie(Call::get("/auth/me")).send(&app).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{label}");
    })
    .await;
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account_and_per_address_right_password_included() {
    on_each_database(async |db, label| {
        let app = app(db);
        register(&app, "jane@example.com").await;
        let attempt = async |email: &str, password: &str| {
            post(
                &app,
                "/auth/login",
                json!({"email": email, "password": password}),
            )
            .await
        };
        for _ in 0..5 {
            let reply = attempt("jane@example.com", "wrong").await;
            assert_error(
                label,
                &reply,
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
            );
        }
        // Over the account's limit (5 per 5 minutes): even the right password.
        for path in ["/auth/login", "/auth/token"] {
            let reply = post(
                &app,
                path,
                json!({"email": "Jane@EXAMPLE.com", "password": PASSWORD}),
            )
            .await;
            assert_error(label, &reply, StatusCode::TOO_MANY_REQUESTS, "throttled");
            let wait: u64 = reply.header(header::RETRY_AFTER).parse().unwrap();
            assert!((1..=300).contains(&wait), "{label}: Retry-After {wait}");
        }
        // Per address (20 a minute), across accounts: 15 more failures on
        // unknown accounts reach it, and then another account is refused too.
        for i in 0..15 {
            let reply = attempt(&format!("nobody{i}@example.com"), "wrong").await;
            assert_error(
                label,
                &reply,
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
            );
        }
        let reply = attempt("someone@example.com", "wrong").await;
        assert_error(label, &reply, StatusCode::TOO_MANY_REQUESTS, "throttled");
    })
    .await;
}
