//! Login and email throttling (`aksara_auth::throttle`), on every store: memory,
//! the database (SQLite always, PostgreSQL and MariaDB when their URLs are set)
//! and Redis when `AKSARA_TEST_REDIS_URL` is set. Limits trip at N with a right
//! `Retry-After`, windows end, a successful login clears the account, the right
//! password is refused past the limit, two app instances share one limit, 50
//! concurrent hits count 50, `X-Forwarded-For` is read from the right, memory
//! stays bounded under a flood of keys, and a store outage fails open.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aksara::prelude::*;
use aksara_auth::throttle::{
    DbThrottleStore, EmailAction, MemoryThrottleStore, Rate, RedisThrottleStore, ThrottleKey,
    ThrottleSettings, ThrottleStore,
};
use aksara_auth::{ClientIp, Throttle, Throttled, User, authenticate};
use aksara_tests::{TestDb, databases};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

static PREFIXES: AtomicUsize = AtomicUsize::new(0);

/// One store the tests run on.
struct StoreUnderTest {
    label: String,
    kind: Kind,
    /// Keeps the test database alive for the store's lifetime.
    _db: Option<TestDb>,
}

enum Kind {
    Memory,
    Database(Db),
    Redis { url: String, prefix: String },
}

impl StoreUnderTest {
    /// A store of this kind. Database and Redis stores made twice share their
    /// counters (two app instances); memory ones do not.
    fn store(&self) -> Arc<dyn ThrottleStore> {
        match &self.kind {
            Kind::Memory => Arc::new(MemoryThrottleStore::new(10_000)),
            Kind::Database(db) => Arc::new(DbThrottleStore::new(db.clone())),
            Kind::Redis { url, prefix } => Arc::new(
                RedisThrottleStore::new(url)
                    .expect("AKSARA_TEST_REDIS_URL is a Redis URL")
                    .key_prefix(prefix.clone()),
            ),
        }
    }

    fn throttle(&self, settings: ThrottleSettings) -> Throttle {
        Throttle::new(self.store(), settings)
    }

    fn shared(&self) -> bool {
        !matches!(self.kind, Kind::Memory)
    }

    /// A database with users for this store: its own for the database store.
    async fn users_db(&self) -> Db {
        match &self.kind {
            Kind::Database(db) => db.clone(),
            Kind::Memory | Kind::Redis { .. } => {
                let db = Db::connect("sqlite::memory:").await.expect("sqlite");
                db.migrate().await.expect("migrate");
                db
            }
        }
    }
}

/// Memory, the database on every configured backend, and Redis when configured.
async fn stores() -> Vec<StoreUnderTest> {
    let mut all = vec![StoreUnderTest {
        label: "memory".into(),
        kind: Kind::Memory,
        _db: None,
    }];
    for test_db in databases().await {
        all.push(StoreUnderTest {
            label: format!("database/{}", test_db.label),
            kind: Kind::Database(test_db.db.clone()),
            _db: Some(test_db),
        });
    }
    if let Ok(url) = std::env::var("AKSARA_TEST_REDIS_URL") {
        let prefix = format!(
            "aksara_test:throttle:{}:{}:",
            std::process::id(),
            PREFIXES.fetch_add(1, Ordering::Relaxed)
        );
        all.push(StoreUnderTest {
            label: "redis".into(),
            kind: Kind::Redis { url, prefix },
            _db: None,
        });
    }
    all
}

fn rate(text: &str) -> Rate {
    text.parse().expect("a rate")
}

fn settings(per_account: &str, per_ip: &str) -> ThrottleSettings {
    let mut settings = ThrottleSettings::default();
    settings.login_failed_per_account = rate(per_account);
    settings.login_failed_per_ip = rate(per_ip);
    settings
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

async fn body_json(response: axum::response::Response) -> serde_json::Value {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    serde_json::from_slice(&bytes).expect("a JSON body")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_trips_at_n_with_its_retry_after_and_ends_with_the_window() {
    for store in stores().await {
        let l = &store.label;
        let mut config = settings("3/2s", "1000/1m");
        config.forgot_password = rate("2/2s");
        let throttle = store.throttle(config);
        let client = ip("198.51.100.1");
        for attempt in 1..=3 {
            throttle
                .check_login("jane@example.com", client)
                .await
                .unwrap_or_else(|refused| panic!("{l}: attempt {attempt} refused: {refused}"));
            throttle.login_failed("jane@example.com", client).await;
        }
        let refused = throttle
            .check_login("JANE@example.com ", client)
            .await
            .expect_err("the fourth attempt is refused, whatever the email's case");
        assert!(
            refused.retry_after > Duration::ZERO && refused.retry_after <= Duration::from_secs(2),
            "{l}: {refused:?}"
        );
        let response = refused.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{l}");
        let retry_after = response.headers()[header::RETRY_AFTER]
            .to_str()
            .expect("ASCII")
            .to_owned();
        assert!(
            retry_after == "1" || retry_after == "2",
            "{l}: Retry-After {retry_after}"
        );
        let body = body_json(response).await;
        assert_eq!(body["error"]["code"], "throttled", "{l}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|message| message.contains("try again")),
            "{l}: {body}"
        );
        assert!(
            throttle
                .check_login("joe@example.com", client)
                .await
                .is_ok(),
            "{l}: another account is not locked"
        );

        for _ in 0..2 {
            throttle
                .hit_email(EmailAction::ForgotPassword, "jane@example.com")
                .await
                .unwrap_or_else(|refused| panic!("{l}: {refused}"));
        }
        assert!(
            throttle
                .hit_email(EmailAction::ForgotPassword, "jane@example.com")
                .await
                .is_err(),
            "{l}: the third reset mail in the window is refused"
        );
        assert!(
            throttle
                .hit_email(EmailAction::SendVerification, "jane@example.com")
                .await
                .is_ok(),
            "{l}: verification mails have their own counter"
        );

        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert!(
            throttle
                .check_login("jane@example.com", client)
                .await
                .is_ok(),
            "{l}: the window ended"
        );
        throttle.login_failed("jane@example.com", client).await;
        assert!(
            throttle
                .check_login("jane@example.com", client)
                .await
                .is_ok(),
            "{l}: a new window counts from one"
        );
        assert!(
            throttle
                .hit_email(EmailAction::ForgotPassword, "jane@example.com")
                .await
                .is_ok(),
            "{l}: reset mails again"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_successful_login_clears_the_account_but_not_the_address() {
    for store in stores().await {
        let l = &store.label;
        let throttle = store.throttle(settings("3/1m", "4/1m"));
        let client = ip("198.51.100.2");
        throttle.login_failed("jane@example.com", client).await;
        throttle.login_failed("jane@example.com", client).await;
        throttle.login_succeeded("jane@example.com").await;
        throttle.login_failed("jane@example.com", client).await;
        throttle.login_failed("jane@example.com", client).await;
        // The account: 2 of 3 since the success; the address: 4 of 4.
        let refused = throttle.check_login("jane@example.com", client).await;
        assert!(refused.is_err(), "{l}: the address reached its limit");
        assert!(
            throttle
                .check_login("joe@example.com", client)
                .await
                .is_err(),
            "{l}: the address is refused for every account"
        );
        assert!(
            throttle
                .check_login("jane@example.com", ip("198.51.100.3"))
                .await
                .is_ok(),
            "{l}: the account itself is under its limit: cleared by the success"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_app_instances_over_one_store_share_one_limit() {
    for store in stores().await.into_iter().filter(StoreUnderTest::shared) {
        let l = &store.label;
        let first = store.throttle(settings("3/1m", "1000/1m"));
        let second = store.throttle(settings("3/1m", "1000/1m"));
        let client = ip("198.51.100.4");
        first.login_failed("jane@example.com", client).await;
        second.login_failed("jane@example.com", client).await;
        first.login_failed("jane@example.com", client).await;
        assert!(
            second
                .check_login("jane@example.com", client)
                .await
                .is_err(),
            "{l}: the second instance sees the first's failures"
        );
        second.login_succeeded("jane@example.com").await;
        assert!(
            first.check_login("jane@example.com", client).await.is_ok(),
            "{l}: and its success clears them for the first"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_hits_count_exactly_fifty() {
    for store in stores().await {
        let l = &store.label;
        let raw = store.store();
        let key = ThrottleKey::new("test", "concurrent");
        let hits = (0..50).map(|_| {
            let raw = Arc::clone(&raw);
            tokio::spawn(async move { raw.hit(&key, Duration::from_secs(60)).await })
        });
        let mut counts: Vec<u64> = futures_util::future::join_all(hits)
            .await
            .into_iter()
            .map(|hit| {
                hit.expect("task")
                    .unwrap_or_else(|err| panic!("{l}: {err}"))
                    .count
            })
            .collect();
        counts.sort_unstable();
        assert_eq!(
            counts,
            (1..=50).collect::<Vec<_>>(),
            "{l}: each hit saw its own count"
        );
        let stored = raw.peek(&key).await.expect("peek").expect("a window");
        assert_eq!(stored.count, 50, "{l}: no hit lost");

        // Through the throttle: 50 allowed of 50, then refused.
        let throttle = Throttle::new(Arc::clone(&raw), ThrottleSettings::default());
        let limit = rate("50/1m");
        let calls = (0..50).map(|_| {
            let throttle = throttle.clone();
            tokio::spawn(async move { throttle.hit("export:7", limit).await })
        });
        for call in futures_util::future::join_all(calls).await {
            call.expect("task")
                .unwrap_or_else(|refused| panic!("{l}: one of the 50 refused: {refused}"));
        }
        assert!(
            throttle.hit("export:7", limit).await.is_err(),
            "{l}: the 51st"
        );
    }
}

#[derive(serde::Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

/// The login flow the docs describe: check, authenticate, record.
async fn login_view(
    db: Db,
    throttle: Throttle,
    ClientIp(client): ClientIp,
    Json(credentials): Json<Credentials>,
) -> Result<StatusCode, ApiError> {
    throttle.check_login(&credentials.email, client).await?;
    match authenticate::<User>(&db, &credentials.email, &credentials.password).await? {
        Some(_) => {
            throttle.login_succeeded(&credentials.email).await;
            Ok(StatusCode::NO_CONTENT)
        }
        None => {
            throttle.login_failed(&credentials.email, client).await;
            Err(ApiError::unauthorized("email or password is wrong")
                .with_code("invalid_credentials"))
        }
    }
}

async fn whoami(ClientIp(client): ClientIp) -> String {
    client.to_string()
}

fn app(db: Db, throttle: Throttle) -> axum::Router {
    Aksara::new(db)
        .middleware(axum::Extension(throttle))
        .route("/login", post(login_view))
        .route("/whoami", get(whoami))
        .into_router()
}

async fn login(
    app: &axum::Router,
    email: &str,
    password: &str,
    forwarded: Option<&str>,
) -> axum::response::Response {
    let mut request = Request::post("/login").header(header::CONTENT_TYPE, "application/json");
    if let Some(forwarded) = forwarded {
        request = request.header("x-forwarded-for", forwarded);
    }
    let body = serde_json::json!({"email": email, "password": password}).to_string();
    app.clone()
        .oneshot(request.body(Body::from(body)).expect("request"))
        .await
        .expect("infallible")
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_limit_the_right_password_is_refused_with_the_windows_wait() {
    for store in stores().await {
        let l = &store.label;
        let db = store.users_db().await;
        for email in ["jane@example.com", "joe@example.com"] {
            User::objects()
                .create()
                .email(email)
                .password("correct horse battery")
                .exec(&db)
                .await
                .expect("user");
        }
        // allauth's defaults: 5 failures per account per 5 minutes.
        let app = app(db, store.throttle(ThrottleSettings::default()));
        for attempt in 1..=5 {
            let response = login(&app, "jane@example.com", "guess", None).await;
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{l}: attempt {attempt}"
            );
        }
        let response = login(&app, "jane@example.com", "correct horse battery", None).await;
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{l}: the right password, past the limit"
        );
        let seconds: u64 = response.headers()[header::RETRY_AFTER]
            .to_str()
            .expect("ASCII")
            .parse()
            .expect("whole seconds");
        assert!((295..=300).contains(&seconds), "{l}: Retry-After {seconds}");
        assert_eq!(
            body_json(response).await["error"]["code"],
            "throttled",
            "{l}"
        );
        let other = login(&app, "joe@example.com", "correct horse battery", None).await;
        assert_eq!(
            other.status(),
            StatusCode::NO_CONTENT,
            "{l}: other accounts log in"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forwarded_for_is_read_from_the_right_through_the_trusted_proxies() {
    let db = Db::connect("sqlite::memory:").await.expect("sqlite");
    db.migrate().await.expect("migrate");
    let mut config = settings("1000/1m", "3/1m");
    config.trusted_proxies = 1;
    let app = app(db, Throttle::new(MemoryThrottleStore::new(1000), config));
    // The attacker writes a new left-most entry each time; the proxy appends
    // the address it saw, which is what counts.
    for n in 0..3 {
        let forwarded = format!("10.9.9.{n}, 198.51.100.7");
        let response = login(
            &app,
            &format!("user{n}@example.com"),
            "guess",
            Some(&forwarded),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let spoofed = login(
        &app,
        "new@example.com",
        "guess",
        Some("10.9.9.99, 198.51.100.7"),
    )
    .await;
    assert_eq!(
        spoofed.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a fresh left-most entry does not escape the limit"
    );
    let other = login(
        &app,
        "new@example.com",
        "guess",
        Some("198.51.100.7, 203.0.113.9"),
    )
    .await;
    assert_eq!(
        other.status(),
        StatusCode::UNAUTHORIZED,
        "another client, even naming the blocked one on the left, is counted apart"
    );
    let response = app
        .clone()
        .oneshot(
            Request::get("/whoami")
                .header("x-forwarded-for", "6.6.6.6, 203.0.113.5")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec(),
    )
    .expect("UTF-8");
    assert_eq!(text, "203.0.113.5");
}

#[tokio::test(flavor = "multi_thread")]
async fn logins_abandoned_mid_hash_still_count_as_attempts() {
    let db = Db::connect("sqlite::memory:").await.expect("sqlite");
    db.migrate().await.expect("migrate");
    User::objects()
        .create()
        .email("jane@example.com")
        .password("correct horse battery")
        .exec(&db)
        .await
        .expect("user");
    let mut config = ThrottleSettings::default();
    config.login_attempts_per_ip = rate("3/1m");
    let app = app(db, Throttle::new(MemoryThrottleStore::new(1000), config));
    for n in 0..3 {
        // The client hangs up while the password is hashed: the handler is
        // dropped before `login_failed`, as hyper drops it on a closed connection.
        let abandoned = tokio::time::timeout(
            Duration::from_millis(2),
            login(&app, &format!("guess{n}@example.com"), "guess", None),
        )
        .await;
        assert!(
            abandoned.is_err(),
            "attempt {n} finished within 2 ms: no hash ran?"
        );
    }
    let refused = login(&app, "jane@example.com", "correct horse battery", None).await;
    assert_eq!(
        refused.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "three abandoned logins used the address's attempts"
    );
}

/// A raw HTTP/1.1 request on a new connection; the response as text.
async fn raw_request(address: SocketAddr, request: String) -> String {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response
}

fn raw_login(email: &str, forwarded: &str) -> String {
    let body = serde_json::json!({"email": email, "password": "guess"}).to_string();
    format!(
        "POST /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\n\
         X-Forwarded-For: {forwarded}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn served_without_trusted_proxies_the_peer_address_counts_and_the_header_is_ignored() {
    let db = Db::connect("sqlite::memory:").await.expect("sqlite");
    db.migrate().await.expect("migrate");
    let throttle = Throttle::new(MemoryThrottleStore::new(1000), settings("1000/1m", "2/1m"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        Aksara::new(db)
            .middleware(axum::Extension(throttle))
            .route("/login", post(login_view))
            .route("/whoami", get(whoami))
            .serve_with_shutdown(listener, async move {
                let _ = stopped.await;
            }),
    );
    let whoami = raw_request(
        address,
        "GET /whoami HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n".into(),
    )
    .await;
    assert!(
        whoami.ends_with("\r\n\r\n127.0.0.1"),
        "the peer, not the header: {whoami}"
    );
    for n in 0..2 {
        let response = raw_request(
            address,
            raw_login(&format!("u{n}@example.com"), &format!("10.0.0.{n}")),
        )
        .await;
        assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    }
    let refused = raw_request(address, raw_login("u9@example.com", "10.0.0.9")).await;
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    assert!(
        refused.to_ascii_lowercase().contains("retry-after: "),
        "{refused}"
    );
    let _ = stop.send(());
    server.await.expect("server task").expect("served");
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_stays_bounded_under_a_flood_of_distinct_keys() {
    const CAP: usize = 10_000;
    let store = Arc::new(MemoryThrottleStore::new(CAP));
    let throttle = Throttle::new(Arc::clone(&store), ThrottleSettings::default());
    let attacker = ip("198.51.100.66");
    for _ in 0..5 {
        throttle
            .login_failed("jane@example.com", ip("192.0.2.10"))
            .await;
    }
    assert!(
        throttle
            .check_login("jane@example.com", attacker)
            .await
            .is_err()
    );
    let minute = Duration::from_secs(60);
    let mut largest = 0;
    for n in 0..1_000_000_u32 {
        let key = ThrottleKey::new("login_account", &format!("{n}@flood.example"));
        store.hit(&key, minute).await.expect("memory never fails");
        if n % 1000 == 0 {
            largest = largest.max(store.len());
        }
    }
    largest = largest.max(store.len());
    assert!(largest <= CAP, "{largest} entries held, cap {CAP}");
    assert!(
        throttle
            .check_login("jane@example.com", attacker)
            .await
            .is_err(),
        "the locked account outlived a million one-hit keys"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_outage_lets_logins_through_and_never_answers_500() {
    let users = Db::connect("sqlite::memory:").await.expect("sqlite");
    users.migrate().await.expect("migrate");
    User::objects()
        .create()
        .email("jane@example.com")
        .password("correct horse battery")
        .exec(&users)
        .await
        .expect("user");
    // Nothing listens on port 1; a database without the auth_throttle table.
    let unmigrated = Db::connect("sqlite::memory:").await.expect("sqlite");
    let broken: [(&str, Arc<dyn ThrottleStore>); 2] = [
        (
            "redis",
            Arc::new(RedisThrottleStore::new("redis://127.0.0.1:1").expect("a valid URL")),
        ),
        ("database", Arc::new(DbThrottleStore::new(unmigrated))),
    ];
    for (label, store) in broken {
        let app = app(
            users.clone(),
            Throttle::new(store, ThrottleSettings::default()),
        );
        for _ in 0..6 {
            let response = login(&app, "jane@example.com", "guess", None).await;
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{label}: fails open"
            );
        }
        let response = login(&app, "jane@example.com", "correct horse battery", None).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{label}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn from_settings_builds_the_configured_store() {
    let db = Db::connect("sqlite::memory:").await.expect("sqlite");
    db.migrate().await.expect("migrate");
    let mut env = vec![("AKSARA_THROTTLE_STORE".to_owned(), "database".to_owned())];
    env.push((
        "AKSARA_THROTTLE_LOGIN_FAILED_PER_ACCOUNT".into(),
        "2/1m".into(),
    ));
    let settings = Settings::from_sources(Some("debug = true"), env).expect("settings");
    let first = Throttle::from_settings(&db, &settings).expect("a database throttle");
    let second = Throttle::from_settings(&db, &settings).expect("another instance");
    first
        .login_failed("jane@example.com", ip("192.0.2.1"))
        .await;
    second
        .login_failed("jane@example.com", ip("192.0.2.1"))
        .await;
    assert!(
        first
            .check_login("jane@example.com", ip("192.0.2.2"))
            .await
            .is_err()
    );
    assert_eq!(
        aksara_auth::throttle::ThrottleCounter::objects()
            .count(&db)
            .await
            .expect("count"),
        3,
        "rows for the account, the address's failures and the second address's attempt"
    );

    if let Ok(url) = std::env::var("AKSARA_TEST_REDIS_URL") {
        let settings = Settings::from_sources(
            Some(&format!(
                "debug = true\n[throttle]\nstore = \"redis\"\nredis_url = \"{url}\"\n"
            )),
            None::<(String, String)>,
        )
        .expect("settings");
        let throttle = Throttle::from_settings(&db, &settings).expect("a Redis throttle");
        let key = format!("from-settings:{}", std::process::id());
        throttle.hit(&key, rate("1/1m")).await.expect("first");
        let refused: Throttled = throttle.hit(&key, rate("1/1m")).await.expect_err("second");
        assert!(refused.retry_after <= Duration::from_secs(60));
        throttle.reset(&key).await;
    }

    let disabled = Settings::from_sources(
        Some("debug = true\n[throttle]\nenabled = false\n"),
        None::<(String, String)>,
    )
    .expect("settings");
    let off = Throttle::from_settings(&db, &disabled).expect("throttle");
    for _ in 0..10 {
        off.login_failed("joe@example.com", ip("192.0.2.3")).await;
    }
    assert!(
        off.check_login("joe@example.com", ip("192.0.2.3"))
            .await
            .is_ok()
    );
}
