//! The opaque-token row cache across two instances of one app. Alone in its
//! binary: the ORM's change listeners are process-wide, so a write to
//! `auth_tokens` by a test running alongside (on its own database) would drop
//! this test's cached row and make the "served from the cache" step flaky
//! (it failed CI that way). Dropping a cached row on another database's write
//! only costs a read, never a stale answer.

use std::time::Duration;

use aksara_auth::prelude::*;
use aksara_auth::token::{Token, TokenAuthentication, TokenSettings};
use aksara_auth::{User, UserCache};
use aksara_tests::{Call, Reply, assert_refused, jane, on_each_database};
use axum::routing::get;
use http::StatusCode;

#[login_required]
async fn profile(user: CurrentUser<User>) -> String {
    user.email.clone()
}

async fn bearer(app: &axum::Router, key: &str) -> Reply {
    Call::get("/profile")
        .cross_site()
        .bearer(key)
        .send(app)
        .await
}

/// Two instances of one app (two authenticators over one database): a
/// revocation made through the ORM applies at once where it was made, and on
/// the other instance, which did not see the write, within its row cache's
/// time to live; with the row cache off, at once everywhere.
#[tokio::test]
async fn a_revocation_reaches_another_instance_within_the_row_cache_ttl() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let settings = TokenSettings::default();
        let ttl = Duration::from_millis(300);
        let instance = |row_ttl: Duration| {
            Aksara::new(db.clone())
                .middleware(
                    AuthenticationLayer::<User>::new().with(
                        TokenAuthentication::new(settings.clone())
                            .row_cache(row_ttl)
                            .user_cache(UserCache::disabled()),
                    ),
                )
                .route("/profile", get(profile))
                .into_router()
        };
        let (here, there, uncached) = (instance(ttl), instance(ttl), instance(Duration::ZERO));

        // Revoked on this instance, through the ORM: refused here at once.
        let local = Token::issue(&db, &user, &settings).await.unwrap();
        assert_eq!(
            bearer(&here, local.key()).await.status,
            StatusCode::OK,
            "{label}"
        );
        local.token().revoke(&db).await.unwrap();
        assert_refused(label, "revoked here", bearer(&here, local.key()).await);

        // Revoked by another process (raw SQL, which no listener sees): an
        // instance that cached the row serves it until the row is `ttl` old.
        let remote = Token::issue(&db, &user, &settings).await.unwrap();
        // The row's age counts from the request that cached it, so the clock
        // starts before that request, not after it.
        let cached_at = std::time::Instant::now();
        assert_eq!(
            bearer(&there, remote.key()).await.status,
            StatusCode::OK,
            "{label}"
        );
        assert_eq!(
            bearer(&uncached, remote.key()).await.status,
            StatusCode::OK,
            "{label}"
        );
        let delete = format!("DELETE FROM auth_tokens WHERE id = {}", remote.token().id);
        db.execute_raw(&delete).await.unwrap();
        assert_refused(
            label,
            "uncached instance",
            bearer(&uncached, remote.key()).await,
        );
        let still = bearer(&there, remote.key()).await.status;
        if cached_at.elapsed() < ttl {
            assert_eq!(
                still,
                StatusCode::OK,
                "{label}: served from the cache within the ttl"
            );
        }
        tokio::time::sleep(ttl).await;
        assert_refused(label, "after the ttl", bearer(&there, remote.key()).await);
    })
    .await;
}
