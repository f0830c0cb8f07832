//! Sessions over real HTTP requests through an axum router: the cookie's flags,
//! persistence, tampered / unknown / expired cookies, idle timeout and absolute
//! lifetime, id cycling, flush, concurrent writes to different keys, a store that
//! is down, and purging. Every store: memory, the database on every configured
//! backend (and SQLite behind the in-process cache), and Redis when
//! `AKSARA_TEST_REDIS_URL` is set.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use aksara_auth::session::{
    CachedStore, DbSessionStore, Duration, MemoryStore, SameSite, Session, SessionConfigError,
    SessionLayer, SessionStore,
};
use aksara_tests::{TestDb, databases};
use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::routing::{get, post};
use futures_util::future::join_all;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tokio::sync::Barrier;
use tower::ServiceExt;

const SECRET: &[u8] = b"test secret: thirty-two bytes or more, not random";

/// One store under test, with what keeps it alive.
struct Backend {
    label: String,
    store: Arc<dyn SessionStore>,
    _db: Option<TestDb>,
}

static PREFIXES: AtomicUsize = AtomicUsize::new(0);

/// Memory, the database on each configured backend, and Redis when configured.
async fn backends() -> Vec<Backend> {
    let mut all = vec![Backend {
        label: "memory".into(),
        store: Arc::new(MemoryStore::new()),
        _db: None,
    }];
    for test_db in databases().await {
        if test_db.label == "sqlite" {
            // The in-process cache in front of the database must behave the same.
            all.push(Backend {
                label: "cached-db/sqlite".into(),
                store: Arc::new(CachedStore::new(
                    DbSessionStore::new(test_db.db.clone()),
                    Duration::seconds(30),
                )),
                _db: None,
            });
        }
        all.push(Backend {
            label: format!("db/{}", test_db.label),
            store: Arc::new(DbSessionStore::new(test_db.db.clone())),
            _db: Some(test_db),
        });
    }
    if let Ok(url) = std::env::var("AKSARA_TEST_REDIS_URL") {
        let prefix = format!(
            "aksara_test:{}:{}:",
            std::process::id(),
            PREFIXES.fetch_add(1, Ordering::Relaxed)
        );
        let store = aksara_auth::session::RedisStore::new(&url)
            .expect("AKSARA_TEST_REDIS_URL is a Redis URL")
            .key_prefix(prefix);
        all.push(Backend {
            label: "redis".into(),
            store: Arc::new(store),
            _db: None,
        });
    }
    all
}

/// Short lifetimes (tests override them further), so what a test leaves in Redis
/// expires within minutes.
fn layer(store: &Arc<dyn SessionStore>) -> SessionLayer {
    SessionLayer::new(Arc::clone(store))
        .secret_key(SECRET)
        .secure(false)
        .idle_timeout(Duration::minutes(1))
        .absolute_lifetime(Duration::minutes(2))
}

/// Routes that read and write the session; `/slow/…` waits at `barrier` between
/// loading and writing, so two such requests overlap.
fn app(layer: SessionLayer, barrier: Arc<Barrier>) -> Router {
    Router::new()
        .route("/plain", get(|| async { "no session used" }))
        .route(
            "/get/{key}",
            get(|session: Session, Path(key): Path<String>| async move {
                let value: Option<String> = session.get(&key).await.unwrap();
                value.unwrap_or_else(|| "<none>".into())
            }),
        )
        .route(
            "/set/{key}/{value}",
            post(
                |session: Session, Path((key, value)): Path<(String, String)>| async move {
                    session.insert(&key, &value).await.unwrap();
                    "ok"
                },
            ),
        )
        .route(
            "/remove/{key}",
            post(|session: Session, Path(key): Path<String>| async move {
                session.remove(&key).await.to_string()
            }),
        )
        .route(
            "/login/{user}",
            post(|session: Session, Path(user): Path<String>| async move {
                session.cycle_id().await;
                session.insert("user", &user).await.unwrap();
                "ok"
            }),
        )
        .route(
            "/flush",
            post(|session: Session| async move {
                session.flush().await;
                "ok"
            }),
        )
        .route(
            "/id",
            get(|session: Session| async move {
                session
                    .id()
                    .map_or_else(|| "<none>".to_owned(), |key| key.as_str().to_owned())
            }),
        )
        .route(
            "/slow/{key}/{value}",
            post(
                move |session: Session, Path((key, value)): Path<(String, String)>| async move {
                    barrier.wait().await;
                    session.insert(&key, &value).await.unwrap();
                    "ok"
                },
            ),
        )
        .layer(layer)
}

/// A response, reduced to what the tests look at.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    set_cookie: Vec<String>,
    vary: Vec<String>,
    body: String,
}

impl Reply {
    /// The `name=value` part of the one `Set-Cookie`, if any.
    fn cookie(&self) -> Option<String> {
        assert!(self.set_cookie.len() <= 1, "several Set-Cookie: {self:?}");
        self.set_cookie
            .first()
            .map(|line| line.split(';').next().unwrap().to_owned())
    }

    fn expires_cookie(&self) -> bool {
        self.set_cookie.len() == 1
            && self.set_cookie[0].starts_with("session=;")
            && self.set_cookie[0].contains("Max-Age=0")
    }
}

async fn send(app: &Router, method: &str, uri: &str, cookie: Option<&str>) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let set_cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    let vary = response
        .headers()
        .get_all(header::VARY)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        set_cookie,
        vary,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// Starts a session holding `key = value`; returns its cookie.
async fn start(app: &Router, key: &str, value: &str) -> String {
    let reply = send(app, "POST", &format!("/set/{key}/{value}"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.cookie().expect("a new session sets a cookie")
}

async fn read(app: &Router, key: &str, cookie: &str) -> String {
    let reply = send(app, "GET", &format!("/get/{key}"), Some(cookie)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.body
}

fn plain_app(backend: &Backend) -> Router {
    app(layer(&backend.store), Arc::new(Barrier::new(1)))
}

#[tokio::test(flavor = "multi_thread")]
async fn cookie_flags_default_to_httponly_lax_secure() {
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let defaults = app(
        SessionLayer::new(Arc::clone(&store))
            .secret_key(SECRET)
            .max_age(Duration::days(7)),
        Arc::new(Barrier::new(1)),
    );
    let reply = send(&defaults, "POST", "/set/a/1", None).await;
    let line = &reply.set_cookie[0];
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
        "Path=/",
        "Max-Age=604800",
    ] {
        assert!(line.contains(attribute), "{attribute} missing in {line}");
    }
    assert!(line.starts_with("session="), "{line}");
    assert!(!line.contains("Domain"), "{line}");
    // The value is a 43-character tag plus a 43-character id, nothing else.
    let value = reply.cookie().unwrap()["session=".len()..].to_owned();
    assert_eq!(value.len(), 43 + 43, "{value}");
    assert!(
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{value}"
    );

    let custom = app(
        SessionLayer::new(store)
            .secret_key(SECRET)
            .cookie_name("sid")
            .secure(false)
            .same_site(SameSite::Strict)
            .path("/app")
            .domain("example.com")
            .max_age(None),
        Arc::new(Barrier::new(1)),
    );
    let reply = send(&custom, "POST", "/set/a/1", None).await;
    let line = &reply.set_cookie[0];
    for attribute in [
        "sid=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/app",
        "Domain=example.com",
    ] {
        assert!(line.contains(attribute), "{attribute} missing in {line}");
    }
    assert!(
        !line.contains("Secure") && !line.contains("Max-Age"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_cookie_and_no_store_access_until_something_is_inserted() {
    let store = MemoryStore::new();
    let app = app(
        SessionLayer::new(store.clone()).secret_key(SECRET),
        Arc::new(Barrier::new(1)),
    );
    let reply = send(&app, "GET", "/get/a", None).await;
    assert_eq!(reply.body, "<none>");
    assert!(reply.set_cookie.is_empty(), "{reply:?}");
    assert_eq!(reply.vary, ["Cookie"], "the answer depends on the session");
    let untouched = send(&app, "GET", "/plain", None).await;
    assert!(
        untouched.vary.is_empty() && untouched.set_cookie.is_empty(),
        "{untouched:?}"
    );
    assert_eq!(send(&app, "GET", "/id", None).await.body, "<none>");
    assert!(store.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn data_persists_across_requests_on_every_store() {
    for backend in backends().await {
        let l = &backend.label;
        let app = plain_app(&backend);
        let cookie = start(&app, "colour", "blue").await;
        assert_eq!(read(&app, "colour", &cookie).await, "blue", "{l}");

        // A read-only request on a fresh session neither writes nor sets a cookie.
        let reply = send(&app, "GET", "/get/colour", Some(&cookie)).await;
        assert!(reply.set_cookie.is_empty(), "{l}: {reply:?}");

        // A write to a stored session keeps the id and the other keys.
        let reply = send(&app, "POST", "/set/size/large", Some(&cookie)).await;
        assert_eq!(reply.cookie().as_deref(), Some(cookie.as_str()), "{l}");
        assert_eq!(read(&app, "colour", &cookie).await, "blue", "{l}");
        assert_eq!(read(&app, "size", &cookie).await, "large", "{l}");

        let reply = send(&app, "POST", "/remove/colour", Some(&cookie)).await;
        assert_eq!(reply.body, "true", "{l}");
        assert_eq!(read(&app, "colour", &cookie).await, "<none>", "{l}");
        assert_eq!(read(&app, "size", &cookie).await, "large", "{l}");
    }
}

/// Loads that run together (Redis pipelines them into one round trip) each get
/// their own session, and an unknown session among them stays anonymous.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_loads_of_many_sessions_each_get_their_own() {
    for backend in backends().await {
        let l = &backend.label;
        let app = plain_app(&backend);
        let mut cookies = Vec::new();
        for n in 0..40 {
            cookies.push((n, start(&app, "owner", &format!("user{n}")).await));
        }
        let unknown = send(&app, "POST", "/set/owner/ghost", None)
            .await
            .cookie()
            .unwrap();
        send(&app, "POST", "/flush", Some(&unknown)).await;
        let reads = cookies.iter().map(|(n, cookie)| {
            let app = app.clone();
            async move { (*n, read(&app, "owner", cookie).await) }
        });
        let ghost = read(&app, "owner", &unknown);
        let (reads, ghost) = tokio::join!(join_all(reads), ghost);
        for (n, owner) in reads {
            assert_eq!(owner, format!("user{n}"), "{l}");
        }
        assert_eq!(ghost, "<none>", "{l}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_and_unknown_cookies_are_anonymous() {
    for backend in backends().await {
        let l = &backend.label;
        let app = plain_app(&backend);
        let cookie = start(&app, "user", "jane").await;

        // Flip one character of the id: the signature no longer matches.
        let mut bytes = cookie.clone().into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        let reply = send(&app, "GET", "/get/user", Some(&tampered)).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (StatusCode::OK, "<none>"),
            "{l}"
        );
        assert!(reply.expires_cookie(), "{l}: {reply:?}");

        // Garbage and an unsigned id are anonymous too.
        for junk in ["session=garbage", "session=", "session=%%%"] {
            assert_eq!(read(&app, "user", junk).await, "<none>", "{l}: {junk}");
        }

        // Correctly signed, but no store has this id.
        let elsewhere = plain_app(&Backend {
            label: "other".into(),
            store: Arc::new(MemoryStore::new()),
            _db: None,
        });
        let foreign = start(&elsewhere, "user", "mallory").await;
        let reply = send(&app, "GET", "/get/user", Some(&foreign)).await;
        assert_eq!(reply.body, "<none>", "{l}");
        assert!(reply.expires_cookie(), "{l}: {reply:?}");

        // The genuine cookie still works, and a cookie signed with another secret does not.
        assert_eq!(read(&app, "user", &cookie).await, "jane", "{l}");
        let other_secret = app_with(
            SessionLayer::new(Arc::clone(&backend.store))
                .secret_key([9_u8; 32])
                .secure(false),
        );
        assert_eq!(read(&other_secret, "user", &cookie).await, "<none>", "{l}");
    }
}

fn app_with(layer: SessionLayer) -> Router {
    app(layer, Arc::new(Barrier::new(1)))
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_timeout_ends_unused_sessions_and_activity_extends_them() {
    let backends = backends().await;
    join_all(backends.iter().map(|backend| async move {
        let l = &backend.label;
        let app = app_with(layer(&backend.store).idle_timeout(Duration::seconds(2)));
        let cookie = start(&app, "k", "v").await;
        for _ in 0..2 {
            tokio::time::sleep(StdDuration::from_millis(1200)).await;
            // Past the touch interval (0.2 s): the request records activity and
            // re-sends the cookie.
            let reply = send(&app, "GET", "/get/k", Some(&cookie)).await;
            assert_eq!(reply.body, "v", "{l}: activity keeps the session");
            assert_eq!(reply.cookie().as_deref(), Some(cookie.as_str()), "{l}");
        }
        tokio::time::sleep(StdDuration::from_millis(2300)).await;
        let reply = send(&app, "GET", "/get/k", Some(&cookie)).await;
        assert_eq!(
            reply.body, "<none>",
            "{l}: idle for longer than the timeout"
        );
        assert!(reply.expires_cookie(), "{l}: {reply:?}");
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn absolute_lifetime_ends_even_active_sessions() {
    let backends = backends().await;
    join_all(backends.iter().map(|backend| async move {
        let l = &backend.label;
        let app = app_with(
            layer(&backend.store)
                .idle_timeout(Duration::seconds(2))
                .absolute_lifetime(Duration::seconds(3)),
        );
        let cookie = start(&app, "k", "v").await;
        for _ in 0..2 {
            tokio::time::sleep(StdDuration::from_millis(1100)).await;
            assert_eq!(read(&app, "k", &cookie).await, "v", "{l}");
        }
        tokio::time::sleep(StdDuration::from_millis(1100)).await;
        let reply = send(&app, "GET", "/get/k", Some(&cookie)).await;
        assert_eq!(reply.body, "<none>", "{l}: past the absolute lifetime");
        assert!(reply.expires_cookie(), "{l}: {reply:?}");
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cycle_id_moves_the_data_to_a_new_id_and_retires_the_old_one() {
    for backend in backends().await {
        let l = &backend.label;
        let app = plain_app(&backend);
        let old = start(&app, "cart", "book").await;
        let old_key = send(&app, "GET", "/id", Some(&old)).await.body;

        let reply = send(&app, "POST", "/login/jane", Some(&old)).await;
        let new = reply.cookie().expect("login sets the new cookie");
        assert_ne!(new, old, "{l}: the id changed");
        assert_eq!(read(&app, "cart", &new).await, "book", "{l}: data kept");
        assert_eq!(read(&app, "user", &new).await, "jane", "{l}");
        let new_key = send(&app, "GET", "/id", Some(&new)).await.body;
        assert_ne!(new_key, old_key, "{l}");
        assert_eq!(new_key.len(), 43, "{l}");

        let replay = send(&app, "GET", "/get/user", Some(&old)).await;
        assert_eq!(replay.body, "<none>", "{l}: the old id no longer loads");

        // Cycling a session that has nothing stored yet simply starts one.
        let fresh = send(&app, "POST", "/login/joe", None).await;
        let cookie = fresh.cookie().expect("a cookie");
        assert_eq!(read(&app, "user", &cookie).await, "joe", "{l}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn flush_deletes_the_session_and_expires_the_cookie() {
    for backend in backends().await {
        let l = &backend.label;
        let app = plain_app(&backend);
        let cookie = start(&app, "user", "jane").await;
        let reply = send(&app, "POST", "/flush", Some(&cookie)).await;
        assert!(reply.expires_cookie(), "{l}: {reply:?}");

        let replay = send(&app, "GET", "/get/user", Some(&cookie)).await;
        assert_eq!(
            replay.body, "<none>",
            "{l}: replaying the old cookie is anonymous"
        );
        assert_eq!(
            send(&app, "GET", "/id", Some(&cookie)).await.body,
            "<none>",
            "{l}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_writes_to_different_keys_both_survive() {
    for backend in backends().await {
        let l = &backend.label;
        let barrier = Arc::new(Barrier::new(2));
        let app = app(layer(&backend.store), Arc::clone(&barrier));
        let cookie = start(&app, "base", "kept").await;
        // Both requests load the session, meet at the barrier, then write.
        let (a, b) = tokio::join!(
            send(&app, "POST", "/slow/a/1", Some(&cookie)),
            send(&app, "POST", "/slow/b/2", Some(&cookie)),
        );
        assert_eq!(
            (a.status, b.status),
            (StatusCode::OK, StatusCode::OK),
            "{l}"
        );
        assert_eq!(read(&app, "a", &cookie).await, "1", "{l}");
        assert_eq!(read(&app, "b", &cookie).await, "2", "{l}");
        assert_eq!(read(&app, "base", &cookie).await, "kept", "{l}");

        // The same with eight requests at once.
        let barrier = Arc::new(Barrier::new(8));
        let app = self::app(layer(&backend.store), barrier);
        let replies = join_all((0..8).map(|i| {
            let app = app.clone();
            let cookie = cookie.clone();
            async move { send(&app, "POST", &format!("/slow/k{i}/{i}"), Some(&cookie)).await }
        }))
        .await;
        assert!(
            replies.iter().all(|reply| reply.status == StatusCode::OK),
            "{l}: {replies:?}"
        );
        for i in 0..8 {
            assert_eq!(
                read(&app, &format!("k{i}"), &cookie).await,
                i.to_string(),
                "{l}"
            );
        }
    }
}

fn assert_unavailable(reply: &Reply, label: &str) {
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{label}: {reply:?}"
    );
    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("a JSON body");
    assert_eq!(
        body["error"]["code"], "session_store_unavailable",
        "{label}"
    );
    assert!(body["error"]["message"].is_string(), "{label}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_is_down_gives_503_json() {
    for test_db in databases().await {
        let l = test_db.label;
        let store: Arc<dyn SessionStore> = Arc::new(DbSessionStore::new(test_db.db.clone()));
        let app = app_with(layer(&store));
        let cookie = start(&app, "k", "v").await;
        test_db.db.close().await;
        // Loading fails before the handler runs.
        assert_unavailable(&send(&app, "GET", "/get/k", Some(&cookie)).await, l);
        // Storing a new session fails after it: the handler's answer is replaced.
        assert_unavailable(&send(&app, "POST", "/set/k/v", None).await, l);
        // A request that does not need the store is unaffected.
        assert_eq!(
            send(&app, "GET", "/get/k", None).await.status,
            StatusCode::OK,
            "{l}"
        );
    }

    // Redis on a port where nothing listens; the cookie comes from a working store.
    let down: Arc<dyn SessionStore> = Arc::new(
        aksara_auth::session::RedisStore::new("redis://127.0.0.1:1").expect("a valid URL"),
    );
    let working: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let cookie = start(&app_with(layer(&working)), "k", "v").await;
    let app = app_with(layer(&down));
    let started = std::time::Instant::now();
    assert_unavailable(&send(&app, "GET", "/get/k", Some(&cookie)).await, "redis");
    assert_unavailable(&send(&app, "POST", "/set/k/v", None).await, "redis");
    assert!(
        started.elapsed() < StdDuration::from_secs(10),
        "a down Redis answers promptly, took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_layer_the_extractor_explains_what_to_add() {
    let app = Router::new()
        .route("/", get(|_: Session| async { "unreachable" }))
        .route(
            "/optional",
            get(|session: Option<Session>| async move { session.is_none().to_string() }),
        );
    let reply = send(&app, "GET", "/", None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["error"]["code"], "session_layer_missing");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SessionLayer")
    );
    assert_eq!(send(&app, "GET", "/optional", None).await.body, "true");
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_sessions_are_purged() {
    for backend in backends().await {
        let l = &backend.label;
        let short = app_with(layer(&backend.store).idle_timeout(Duration::seconds(1)));
        let long = plain_app(&backend);
        let _expiring = start(&short, "k", "v").await;
        let lasting = start(&long, "k", "v").await;
        tokio::time::sleep(StdDuration::from_millis(1100)).await;
        let purged = backend
            .store
            .purge_expired(aksara::chrono::Utc::now())
            .await
            .unwrap();
        let expected = if l == "redis" { 0 } else { 1 }; // Redis expires keys itself
        assert_eq!(purged, expected, "{l}");
        assert_eq!(
            read(&long, "k", &lasting).await,
            "v",
            "{l}: live sessions stay"
        );
    }
}

#[test]
fn a_short_secret_key_is_a_clear_error() {
    let err = SessionLayer::new(MemoryStore::new())
        .try_secret_key("only-31-bytes-long-secret-key!!")
        .unwrap_err();
    assert!(matches!(
        err,
        SessionConfigError::SecretKeyTooShort { length: 31 }
    ));
    assert!(err.to_string().contains("at least 32"), "{err}");
    let panic = std::panic::catch_unwind(|| SessionLayer::new(MemoryStore::new()).secret_key("x"));
    assert!(panic.is_err());
}

/// Issue 13.6: a load that found its session expired left it in the store until
/// a purge (which nothing started). Now the load deletes it: of two expired
/// sessions, the purge finds only the one nobody came back to.
#[tokio::test(flavor = "multi_thread")]
async fn an_expired_session_found_at_load_is_deleted() {
    // One after another: the cached and the plain SQLite store share a table.
    for backend in backends().await {
        let l = &backend.label;
        let short = app_with(layer(&backend.store).idle_timeout(Duration::seconds(1)));
        let long = plain_app(&backend);
        let returning = start(&short, "k", "v").await;
        let _gone_away = start(&short, "k", "v").await;
        let lasting = start(&long, "k", "v").await;
        tokio::time::sleep(StdDuration::from_millis(1100)).await;
        let reply = send(&short, "GET", "/get/k", Some(&returning)).await;
        assert_eq!(reply.body, "<none>", "{l}: expired");
        assert!(reply.expires_cookie(), "{l}: {reply:?}");
        let purged = backend
            .store
            .purge_expired(aksara::chrono::Utc::now())
            .await
            .unwrap();
        let expected = if l == "redis" { 0 } else { 1 }; // Redis expires keys itself
        assert_eq!(
            purged, expected,
            "{l}: the load deleted the session it found expired"
        );
        assert_eq!(
            read(&long, "k", &lasting).await,
            "v",
            "{l}: live sessions stay"
        );
    }
}
