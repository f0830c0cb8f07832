//! JWT refresh tokens and revocation on every configured backend: a login pair,
//! rotation (each refresh token works once; presenting a used one revokes its
//! whole login, and says so in the log without the token), ten concurrent
//! refreshes of one token giving one success and nine 401s, rotation turned
//! off, logout by the access or the refresh token, a user logged out
//! everywhere, a revocation reaching a second instance within the interval and
//! not sooner, a password change or deactivation ending refresh tokens, a
//! deleted user's rows going with them, the purge, and a random mix of all of
//! it checked against a model.

use std::time::{Duration, Instant};

use aksara_auth::jwt::{Claims, Jwt, JwtAuthentication, JwtError, TokenPair};
use aksara_auth::prelude::*;
use aksara_auth::{User, UserCache};
use aksara_tests::{
    Call, Reply, assert_refused, capture_logs, captured_logs, create_user, on_each_database,
};
use axum::routing::{get, post};
use http::StatusCode;

const SECRET: &str = "refresh test secret, at least thirty-two bytes";

/// A `Jwt` from `[jwt]` settings with the test secret and `extra` lines. Two
/// calls give two independent instances (as two machines have), which accept
/// each other's tokens.
fn jwt(extra: &str) -> Jwt {
    let settings = aksara::Settings::from_sources(
        Some(&format!(
            "debug = true\n[jwt]\nsecret = \"{SECRET}\"\n{extra}\n"
        )),
        None::<(String, String)>,
    )
    .expect("settings");
    Jwt::from_settings(&settings).expect("jwt")
}

#[login_required]
async fn profile(user: CurrentUser<User>) -> String {
    user.email.clone()
}

async fn refresh_view(
    db: Db,
    axum::Extension(jwt): axum::Extension<Jwt>,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> Result<axum::Json<TokenPair>, ApiError> {
    let token = body["refresh"].as_str().unwrap_or_default();
    Ok(axum::Json(jwt.refresh::<User>(&db, token).await?))
}

#[login_required]
async fn logout_view(
    user: RequestUser<User>,
    db: Db,
    axum::Extension(jwt): axum::Extension<Jwt>,
) -> Result<&'static str, ApiError> {
    let claims = user
        .authentication()
        .and_then(|auth| auth.info::<Claims>())
        .expect("a JWT authentication");
    jwt.revoke_claims(&db, claims).await?;
    Ok("logged out")
}

/// One instance of the app: its own `Jwt` (so its own copy of the revoked
/// tokens) over the shared database.
fn app(db: Db, jwt: &Jwt) -> axum::Router {
    Aksara::new(db)
        .middleware(
            AuthenticationLayer::<User>::new()
                .with(JwtAuthentication::new(jwt.clone()).user_cache(UserCache::disabled())),
        )
        .middleware(axum::Extension(jwt.clone()))
        .route("/profile", get(profile))
        .route("/token/refresh", post(refresh_view))
        .route("/logout", post(logout_view))
        .into_router()
}

async fn profile_status(app: &axum::Router, access: &str) -> StatusCode {
    Call::get("/profile").bearer(access).send(app).await.status
}

async fn refresh_over_http(app: &axum::Router, refresh: &str) -> Reply {
    Call::post("/token/refresh")
        .json(&serde_json::json!({ "refresh": refresh }))
        .send(app)
        .await
}

/// How many rows `table` holds, through a statement that changes nothing
/// (the auth crate's tables have no public model to count with).
async fn rows(db: &Db, table: &str) -> u64 {
    db.execute_raw(&format!("UPDATE {table} SET expires_at = expires_at"))
        .await
        .unwrap()
}

#[tokio::test]
async fn each_refresh_token_works_once_and_a_reuse_ends_the_whole_login() {
    on_each_database(async |db, label| {
        let jane = create_user(&db, "jane@example.com").await;
        let jwt = jwt("");
        let app = app(db.clone(), &jwt);

        let login = jwt.issue_pair(&db, &jane).await.unwrap();
        let other_login = jwt.issue_pair(&db, &jane).await.unwrap();
        assert_eq!(
            profile_status(&app, &login.access).await,
            StatusCode::OK,
            "{label}"
        );

        let reply = refresh_over_http(&app, &login.refresh).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.body);
        let second: TokenPair = serde_json::from_str(&reply.body).unwrap();
        assert_ne!(second.refresh, login.refresh, "{label}");
        assert_eq!(
            profile_status(&app, &second.access).await,
            StatusCode::OK,
            "{label}"
        );
        // Rotation leaves the access tokens already given alone.
        assert_eq!(
            profile_status(&app, &login.access).await,
            StatusCode::OK,
            "{label}"
        );
        assert!(
            jwt.verify_refresh_token::<User>(&db, &login.refresh)
                .await
                .unwrap()
                .is_none(),
            "{label}: used"
        );
        assert_eq!(
            jwt.verify_refresh_token::<User>(&db, &second.refresh)
                .await
                .unwrap()
                .map(|u| u.id),
            Some(jane.id),
            "{label}"
        );
        let third = jwt.refresh::<User>(&db, &second.refresh).await.unwrap();

        // The first token again: someone else holds it. The login ends: every
        // refresh and access token descended from it.
        capture_logs();
        assert_refused(
            label,
            "a used refresh token",
            &refresh_over_http(&app, &login.refresh).await,
        );
        assert!(
            matches!(
                jwt.refresh::<User>(&db, &third.refresh).await,
                Err(JwtError::Revoked)
            ),
            "{label}"
        );
        for (what, access) in [
            ("first", &login.access),
            ("second", &second.access),
            ("third", &third.access),
        ] {
            assert_eq!(
                profile_status(&app, access).await,
                StatusCode::UNAUTHORIZED,
                "{label}: the {what} access token"
            );
        }
        let log = captured_logs();
        assert_eq!(
            log.matches("presented after it had been used").count(),
            1,
            "{label}: {log}"
        );
        assert!(
            log.contains("WARN") && log.contains(&jane.id.to_string()),
            "{label}: {log}"
        );
        for token in [
            &login.refresh,
            &login.access,
            &second.refresh,
            &third.refresh,
        ] {
            for part in token.split('.') {
                assert!(!log.contains(part), "{label}: a token in the log: {log}");
            }
        }

        // Another login of the same user is another family: untouched.
        assert_eq!(
            profile_status(&app, &other_login.access).await,
            StatusCode::OK,
            "{label}"
        );
        assert!(
            jwt.refresh::<User>(&db, &other_login.refresh).await.is_ok(),
            "{label}"
        );

        // Not refresh tokens at all.
        for (what, token) in [
            ("an access token", login.access.as_str()),
            ("garbage", "a.b.c"),
            ("empty", ""),
        ] {
            assert_refused(label, what, &refresh_over_http(&app, token).await);
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_refreshes_of_one_token_give_one_success_and_nine_401s() {
    on_each_database(async |db, label| {
        let jane = create_user(&db, "jane@example.com").await;
        let jwt = jwt("");
        let app = app(db.clone(), &jwt);
        for round in 0..3 {
            let login = jwt.issue_pair(&db, &jane).await.unwrap();
            let racers = (0..10).map(|_| {
                let (app, token) = (app.clone(), login.refresh.clone());
                tokio::spawn(async move { refresh_over_http(&app, &token).await })
            });
            let replies: Vec<Reply> = futures_util::future::join_all(racers)
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect();
            let won: Vec<&Reply> = replies
                .iter()
                .filter(|r| r.status == StatusCode::OK)
                .collect();
            assert_eq!(
                won.len(),
                1,
                "{label} round {round}: {:?}",
                replies
                    .iter()
                    .map(|r| (r.status, &r.body))
                    .collect::<Vec<_>>()
            );
            for reply in replies.iter().filter(|r| r.status != StatusCode::OK) {
                assert_refused(label, "a concurrent refresh", reply);
            }
            // The nine saw the token used: the login is revoked, the winner's
            // new tokens with it.
            let winner: TokenPair = serde_json::from_str(&won[0].body).unwrap();
            assert!(
                matches!(
                    jwt.refresh::<User>(&db, &winner.refresh).await,
                    Err(JwtError::Revoked)
                ),
                "{label} round {round}"
            );
            assert_eq!(
                profile_status(&app, &winner.access).await,
                StatusCode::UNAUTHORIZED,
                "{label} round {round}"
            );
        }

        // The same race through the API, without HTTP.
        let login = jwt.issue_pair(&db, &jane).await.unwrap();
        let racers = (0..10).map(|_| {
            let (jwt, db, token) = (jwt.clone(), db.clone(), login.refresh.clone());
            tokio::spawn(async move { jwt.refresh::<User>(&db, &token).await })
        });
        let results = futures_util::future::join_all(racers).await;
        let ok = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
        let revoked = results
            .iter()
            .filter(|r| matches!(r, Ok(Err(JwtError::Revoked))))
            .count();
        assert_eq!((ok, revoked), (1, 9), "{label}: {results:?}");
    })
    .await;
}

#[tokio::test]
async fn without_rotation_a_refresh_token_works_until_it_is_revoked() {
    on_each_database(async |db, label| {
        let jane = create_user(&db, "jane@example.com").await;
        let jwt = jwt("rotate_refresh_tokens = false");
        let app = app(db.clone(), &jwt);
        let login = jwt.issue_pair(&db, &jane).await.unwrap();
        let mut latest = login.access.clone();
        for _ in 0..3 {
            let reply = refresh_over_http(&app, &login.refresh).await;
            assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.body);
            let pair: TokenPair = serde_json::from_str(&reply.body).unwrap();
            assert_eq!(
                pair.refresh, login.refresh,
                "{label}: the same refresh token"
            );
            assert_ne!(pair.access, latest, "{label}");
            assert_eq!(
                profile_status(&app, &pair.access).await,
                StatusCode::OK,
                "{label}"
            );
            latest = pair.access;
        }
        jwt.revoke(&db, &login.refresh).await.unwrap();
        assert_refused(
            label,
            "a revoked refresh token",
            &refresh_over_http(&app, &login.refresh).await,
        );
        assert!(
            jwt.verify_refresh_token::<User>(&db, &login.refresh)
                .await
                .unwrap()
                .is_none(),
            "{label}"
        );
        // The access token the last refresh gave goes with the login.
        assert_eq!(
            profile_status(&app, &latest).await,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn logout_by_the_access_or_the_refresh_token_ends_that_login_only() {
    on_each_database(async |db, label| {
        let jane = create_user(&db, "jane@example.com").await;
        let jwt = jwt("");
        let app = app(db.clone(), &jwt);
        let phone = jwt.issue_pair(&db, &jane).await.unwrap();
        let laptop = jwt.issue_pair(&db, &jane).await.unwrap();
        let tablet = jwt.issue_pair(&db, &jane).await.unwrap();

        // The logout endpoint, with the access token in the header.
        let reply = Call::post("/logout").bearer(&phone.access).send(&app).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (StatusCode::OK, "logged out"),
            "{label}"
        );
        assert_eq!(
            profile_status(&app, &phone.access).await,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        assert!(
            matches!(
                jwt.refresh::<User>(&db, &phone.refresh).await,
                Err(JwtError::Revoked)
            ),
            "{label}"
        );

        // By the refresh token, after a rotation: the access tokens of the
        // whole login go, the one from before the rotation too.
        let rotated = jwt.refresh::<User>(&db, &laptop.refresh).await.unwrap();
        jwt.revoke(&db, &rotated.refresh).await.unwrap();
        assert_eq!(
            profile_status(&app, &rotated.access).await,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        assert_eq!(
            profile_status(&app, &laptop.access).await,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        assert!(
            jwt.refresh::<User>(&db, &rotated.refresh).await.is_err(),
            "{label}"
        );

        // The other login is untouched; revoking twice is fine.
        assert_eq!(
            profile_status(&app, &tablet.access).await,
            StatusCode::OK,
            "{label}"
        );
        assert!(
            jwt.refresh::<User>(&db, &tablet.refresh).await.is_ok(),
            "{label}"
        );
        jwt.revoke(&db, &phone.access).await.unwrap();

        // An access token that belongs to no login is revoked by its jti.
        let lone = jwt.create_access_token(&jane).unwrap();
        assert_eq!(profile_status(&app, &lone).await, StatusCode::OK, "{label}");
        jwt.revoke(&db, &lone).await.unwrap();
        assert_eq!(
            profile_status(&app, &lone).await,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );

        // What this Jwt never issued is refused, not revoked.
        assert!(
            matches!(jwt.revoke(&db, "a.b.c").await, Err(JwtError::Invalid(_))),
            "{label}"
        );
        let foreign = aksara_auth::jwt::Jwt::hmac(aksara_auth::jwt::JwtAlgorithm::Hs256, &[9; 32])
            .unwrap()
            .create_access_token(&jane)
            .unwrap();
        assert!(
            matches!(jwt.revoke(&db, &foreign).await, Err(JwtError::Invalid(_))),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn revoke_user_ends_every_login_of_that_user_and_no_one_else() {
    on_each_database(async |db, label| {
        let jane = create_user(&db, "jane@example.com").await;
        let bob = create_user(&db, "bob@example.com").await;
        let jwt = jwt("");
        let app = app(db.clone(), &jwt);
        let janes = [
            jwt.issue_pair(&db, &jane).await.unwrap(),
            jwt.issue_pair(&db, &jane).await.unwrap(),
        ];
        let bobs = jwt.issue_pair(&db, &bob).await.unwrap();
        assert_eq!(jwt.revoke_user(&db, &jane).await.unwrap(), 2, "{label}");
        for pair in &janes {
            assert_eq!(
                profile_status(&app, &pair.access).await,
                StatusCode::UNAUTHORIZED,
                "{label}"
            );
            assert!(
                jwt.refresh::<User>(&db, &pair.refresh).await.is_err(),
                "{label}"
            );
        }
        assert_eq!(
            profile_status(&app, &bobs.access).await,
            StatusCode::OK,
            "{label}"
        );
        assert!(
            jwt.refresh::<User>(&db, &bobs.refresh).await.is_ok(),
            "{label}"
        );
        // A new login after it works.
        let again = jwt.issue_pair(&db, &jane).await.unwrap();
        assert!(
            jwt.refresh::<User>(&db, &again.refresh).await.is_ok(),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_revocation_reaches_another_instance_within_the_interval_and_no_read_comes_sooner() {
    on_each_database(async |db, label| {
        let jane = create_user(&db, "jane@example.com").await;
        // Two machines: two instances with the default interval (1 s) over one
        // database, each with its own copy of the revoked tokens.
        let (one, two) = (jwt(""), jwt(""));
        let interval = Duration::from_secs(1);
        let (app_one, app_two) = (app(db.clone(), &one), app(db.clone(), &two));
        let pair = one.issue_pair(&db, &jane).await.unwrap();
        capture_logs();

        let read_by_two = Instant::now();
        assert_eq!(
            profile_status(&app_two, &pair.access).await,
            StatusCode::OK,
            "{label}"
        );
        one.revoke(&db, &pair.access).await.unwrap();
        let revoked = Instant::now();
        // The revoking instance refuses at once.
        assert_eq!(
            profile_status(&app_one, &pair.access).await,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        // The other still has its copy from before the revocation: it does not
        // read the table on every request, so it accepts the token until its
        // interval has passed.
        let stale = profile_status(&app_two, &pair.access).await;
        if read_by_two.elapsed() < interval {
            assert_eq!(
                stale,
                StatusCode::OK,
                "{label}: read the table before its interval"
            );
        }
        let mut requests = 1;
        while profile_status(&app_two, &pair.access).await == StatusCode::OK {
            requests += 1;
            assert!(
                revoked.elapsed() < interval + Duration::from_secs(1),
                "{label}: still accepted {:?} after the revocation",
                revoked.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            read_by_two.elapsed() >= interval,
            "{label}: refused after {:?}, before the interval",
            read_by_two.elapsed()
        );
        assert!(
            revoked.elapsed() < interval + Duration::from_secs(1),
            "{label}"
        );
        // Reads of the table: two's first, one's first (its refusal), two's
        // second. Not one per request.
        let log = captured_logs();
        let reads = log
            .lines()
            .filter(|line| {
                line.contains("aksara::sql")
                    && line.contains("SELECT")
                    && line.contains("auth_revoked_tokens")
            })
            .count();
        assert_eq!(reads, 3, "{label} after {requests} requests: {log}");
        assert!(requests >= 10, "{label}: {requests}");
    })
    .await;
}

#[tokio::test]
async fn a_password_change_or_deactivation_ends_refresh_tokens() {
    on_each_database(async |db, label| {
        let mut jane = create_user(&db, "jane@example.com").await;
        let jwt = jwt("");
        let app = app(db.clone(), &jwt);
        let before = jwt.issue_pair(&db, &jane).await.unwrap();
        jane.set_password("another password, just as long")
            .await
            .unwrap();
        jane.save(&db).await.unwrap();
        assert!(
            matches!(
                jwt.refresh::<User>(&db, &before.refresh).await,
                Err(JwtError::Invalid(_))
            ),
            "{label}"
        );
        assert_refused(
            label,
            "after a password change",
            &refresh_over_http(&app, &before.refresh).await,
        );
        assert!(
            jwt.verify_refresh_token::<User>(&db, &before.refresh)
                .await
                .unwrap()
                .is_none(),
            "{label}"
        );
        assert_eq!(
            profile_status(&app, &before.access).await,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );

        let after = jwt.issue_pair(&db, &jane).await.unwrap();
        let after = jwt.refresh::<User>(&db, &after.refresh).await.unwrap();
        jane.is_active = false;
        jane.save(&db).await.unwrap();
        assert!(
            matches!(
                jwt.refresh::<User>(&db, &after.refresh).await,
                Err(JwtError::Invalid(_))
            ),
            "{label}"
        );
        assert!(
            jwt.verify_refresh_token::<User>(&db, &after.refresh)
                .await
                .unwrap()
                .is_none(),
            "{label}"
        );
        jane.is_active = true;
        jane.save(&db).await.unwrap();
        // Refused for the user, not used up: it works again once she is back.
        assert!(
            jwt.refresh::<User>(&db, &after.refresh).await.is_ok(),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn deleting_a_user_deletes_their_refresh_tokens() {
    on_each_database(async |db, label| {
        let jane = create_user(&db, "jane@example.com").await;
        let bob = create_user(&db, "bob@example.com").await;
        let jwt = jwt("");
        jwt.issue_pair(&db, &jane).await.unwrap();
        let rotated = jwt.issue_pair(&db, &jane).await.unwrap();
        jwt.refresh::<User>(&db, &rotated.refresh).await.unwrap();
        let bobs = jwt.issue_pair(&db, &bob).await.unwrap();
        assert_eq!(rows(&db, "auth_refresh_tokens").await, 4, "{label}");
        jane.delete(&db).await.unwrap();
        assert_eq!(
            rows(&db, "auth_refresh_tokens").await,
            1,
            "{label}: the foreign key cascades"
        );
        assert!(
            jwt.refresh::<User>(&db, &bobs.refresh).await.is_ok(),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_purge_deletes_what_has_expired_and_nothing_else() {
    on_each_database(async |db, label| {
        let jane = create_user(&db, "jane@example.com").await;
        let brief = jwt("access_ttl = \"2s\"\nrefresh_ttl = \"2s\"");
        let lasting = jwt("");
        let kept = lasting.issue_pair(&db, &jane).await.unwrap();
        let revoked = lasting.issue_pair(&db, &jane).await.unwrap();
        lasting.revoke(&db, &revoked.access).await.unwrap();
        // `exp` is in whole seconds: these live between one and two seconds.
        let short = brief.issue_pair(&db, &jane).await.unwrap();
        brief.revoke(&db, &short.access).await.unwrap();
        assert_eq!(
            aksara_auth::jwt::purge_expired(&db).await.unwrap(),
            0,
            "{label}: nothing expired yet"
        );
        tokio::time::sleep(Duration::from_millis(2100)).await;
        // The short pair's refresh row and its revoked access token.
        assert_eq!(
            aksara_auth::jwt::purge_expired(&db).await.unwrap(),
            2,
            "{label}"
        );
        assert_eq!(rows(&db, "auth_refresh_tokens").await, 2, "{label}");
        assert_eq!(rows(&db, "auth_revoked_tokens").await, 1, "{label}");
        assert!(
            lasting.refresh::<User>(&db, &kept.refresh).await.is_ok(),
            "{label}"
        );
        assert!(
            matches!(
                lasting.refresh::<User>(&db, &revoked.refresh).await,
                Err(JwtError::Revoked)
            ),
            "{label}"
        );

        // The task does the same on its own (the refresh above added a row).
        brief.issue_pair(&db, &jane).await.unwrap();
        assert_eq!(rows(&db, "auth_refresh_tokens").await, 4, "{label}");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let task = aksara_auth::jwt::spawn_purge_task(db.clone(), Duration::from_secs(1));
        let started = Instant::now();
        while rows(&db, "auth_refresh_tokens").await != 3 {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{label}: the purge task did not run"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        task.abort();
    })
    .await;
}

/// A deterministic stream of pseudo-random numbers (xorshift64*), so a failure
/// is reproducible.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        usize::try_from(self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64).unwrap()
    }
}

/// One login as the model sees it.
struct Login {
    alive: bool,
    current: String,
    used: Vec<String>,
    access: Vec<String>,
}

#[tokio::test]
async fn random_refreshes_reuses_and_logouts_agree_with_a_model() {
    on_each_database(async |db, label| {
        let jane = create_user(&db, "jane@example.com").await;
        let jwt = jwt("");
        let app = app(db.clone(), &jwt);
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let mut logins: Vec<Login> = Vec::new();
        for step in 0..40 {
            let op = if logins.is_empty() {
                0
            } else {
                random.below(6)
            };
            let n = logins.len().max(1);
            match op {
                // A new login.
                0 => {
                    let pair = jwt.issue_pair(&db, &jane).await.unwrap();
                    logins.push(Login {
                        alive: true,
                        current: pair.refresh,
                        used: Vec::new(),
                        access: vec![pair.access],
                    });
                }
                // Refresh with the current token: works while the login lives.
                1 | 2 => {
                    let login = &mut logins[random.below(n)];
                    let result = jwt.refresh::<User>(&db, &login.current).await;
                    if login.alive {
                        let pair = result.unwrap_or_else(|e| panic!("{label} step {step}: {e}"));
                        login
                            .used
                            .push(std::mem::replace(&mut login.current, pair.refresh));
                        login.access.push(pair.access);
                    } else {
                        assert!(
                            matches!(result, Err(JwtError::Revoked)),
                            "{label} step {step}: {result:?}"
                        );
                    }
                }
                // A used token again: the login ends.
                3 => {
                    let login = &mut logins[random.below(n)];
                    if login.used.is_empty() {
                        continue;
                    }
                    let old = login.used[random.below(login.used.len())].clone();
                    let result = jwt.refresh::<User>(&db, &old).await;
                    assert!(
                        matches!(result, Err(JwtError::Revoked)),
                        "{label} step {step}: {result:?}"
                    );
                    login.alive = false;
                }
                // Logout by one of the login's access tokens, or by its refresh token.
                4 => {
                    let login = &mut logins[random.below(n)];
                    let token = login.access[random.below(login.access.len())].clone();
                    jwt.revoke(&db, &token).await.unwrap();
                    login.alive = false;
                }
                _ => {
                    let login = &mut logins[random.below(n)];
                    jwt.revoke(&db, &login.current.clone()).await.unwrap();
                    login.alive = false;
                }
            }
            // One access token, at random, answers as its login's state says.
            let login = &logins[random.below(logins.len())];
            let access = &login.access[random.below(login.access.len())];
            let expected = if login.alive {
                StatusCode::OK
            } else {
                StatusCode::UNAUTHORIZED
            };
            assert_eq!(
                profile_status(&app, access).await,
                expected,
                "{label} step {step}"
            );
        }
        for (i, login) in logins.iter().enumerate() {
            let expected = if login.alive {
                StatusCode::OK
            } else {
                StatusCode::UNAUTHORIZED
            };
            for access in &login.access {
                assert_eq!(
                    profile_status(&app, access).await,
                    expected,
                    "{label} login {i}"
                );
            }
            assert_eq!(
                jwt.verify_refresh_token::<User>(&db, &login.current)
                    .await
                    .unwrap()
                    .is_some(),
                login.alive,
                "{label} login {i}"
            );
        }
        assert!(
            logins.iter().any(|l| l.alive) && logins.iter().any(|l| !l.alive),
            "{label}: the sequence covers both"
        );
    })
    .await;
}

#[test]
fn the_rotation_and_revocation_settings_are_read_and_checked() {
    let settings: aksara_auth::jwt::JwtSettings = aksara::Settings::from_sources(
        Some(
            "debug = true\n[jwt]\nrotate_refresh_tokens = false\nrevocation_interval = \"250ms\"\n",
        ),
        None::<(String, String)>,
    )
    .unwrap()
    .section()
    .unwrap();
    assert!(!settings.rotate_refresh_tokens);
    assert_eq!(settings.revocation_interval, Duration::from_millis(250));
    let defaults = aksara_auth::jwt::JwtSettings::default();
    assert!(defaults.rotate_refresh_tokens);
    assert_eq!(defaults.revocation_interval, Duration::from_secs(1));
    let error = aksara::Settings::from_sources(
        Some("debug = true\n[jwt]\nrevocation_interval = \"10m\"\n"),
        None::<(String, String)>,
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("expected at most access_ttl"), "{error}");
}
