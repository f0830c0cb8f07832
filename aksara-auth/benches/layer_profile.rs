//! Instruction counts per request through the web layers, for profiling with
//! callgrind: `AKSARA_PROFILE=bare|bare-vary|extension|aksara-session|session|session-read|
//! authentication|three-layers|one-stack|outer-stack|tuple|anonymous-router|
//! anonymous-no-peer|authenticated|authenticated-redis|jwt|token|anonymous` selects the
//! service (see the `match` below; anonymous by default); 5000 requests
//! (`AKSARA_PROFILE_REQUESTS`) go through it with `oneshot` on a current-thread runtime. With
//! `AKSARA_PROFILE_SERVE=127.0.0.1:8000` it serves the variant instead, for a
//! load generator and `perf`.

use std::convert::Infallible;

use aksara_auth::User;
use aksara_auth::prelude::*;
use aksara_auth::session::MemoryStore;
use axum::Json;
use axum::body::Body;
use axum::routing::get;
use http::Request;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn hello() -> Json<Value> {
    Json(json!({"message": "hello", "ok": true}))
}

async fn hello_user(user: RequestUser<User>) -> Json<Value> {
    Json(json!({"message": "hello", "ok": user.is_authenticated()}))
}

async fn hello_session(session: aksara_auth::session::Session) -> Json<Value> {
    Json(json!({"message": "hello", "ok": session.is_empty()}))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        let which = std::env::var("AKSARA_PROFILE").unwrap_or_else(|_| "anonymous".into());
        let sessions = || SessionLayer::new(MemoryStore::new()).secret_key([7; 64]);
        let authentication =
            || AuthenticationLayer::<User>::new().with(SessionAuthentication::new());
        let anonymous_app = |db: Db| {
            Aksara::new(db)
                .middleware(sessions())
                .middleware(authentication())
                .route("/", get(hello_user))
        };
        if let (Ok(address), "anonymous") = (std::env::var("AKSARA_PROFILE_SERVE"), which.as_str())
        {
            // Served as users serve an app, which also gives handlers the peer address.
            let listener = tokio::net::TcpListener::bind(&address).await.unwrap();
            let app = anonymous_app(db);
            app.serve_with_shutdown(listener, std::future::pending())
                .await
                .unwrap();
            return;
        }
        match which.as_str() {
            "bare" => drive(routed(axum::Router::new().route("/", get(hello)))).await,
            // The bare handler, answering with `Vary: Cookie` as the session layer adds.
            "bare-vary" => {
                drive(
                    axum::Router::new()
                        .route(
                            "/",
                            get(|| async { ([(http::header::VARY, "Cookie")], hello().await) }),
                        )
                        .with_state(()),
                )
                .await;
            }
            "extension" => drive(Aksara::new(db).route("/", get(hello)).into_service()).await,
            // Aksara with the session layer alone, the handler not touching it.
            "aksara-session" => {
                drive(
                    Aksara::new(db)
                        .middleware(sessions())
                        .route("/", get(hello))
                        .into_service(),
                )
                .await
            }
            "session" => {
                drive(routed(
                    axum::Router::new().route("/", get(hello)).layer(sessions()),
                ))
                .await
            }
            // The session layer with a handler that reads the session, so the
            // response carries `Vary: Cookie`.
            "session-read" => {
                drive(
                    axum::Router::new()
                        .route("/", get(hello_session))
                        .layer(sessions())
                        .with_state(()),
                )
                .await;
            }
            // The authentication layer without authenticators.
            "authentication" => {
                drive(
                    Aksara::new(db)
                        .middleware(AuthenticationLayer::<User>::new())
                        .route("/", get(hello_user))
                        .into_service(),
                )
                .await;
            }
            // The three layers with `Router::layer`, each over the route.
            "three-layers" => {
                drive(
                    axum::Router::new()
                        .route("/", get(hello_user))
                        .layer(authentication())
                        .layer(sessions())
                        .layer(axum::Extension(db))
                        .with_state(()),
                )
                .await;
            }
            // The three layers composed statically into one `Router::layer`.
            "one-stack" => {
                drive(
                    axum::Router::new()
                        .route("/", get(hello_user))
                        .layer(
                            tower::ServiceBuilder::new()
                                .layer(axum::Extension(db))
                                .layer(sessions())
                                .layer(authentication()),
                        )
                        .with_state(()),
                )
                .await;
            }
            // The three layers composed statically around the whole router: the
            // least the anonymous path can cost with these layers.
            "outer-stack" => {
                drive(
                    tower::ServiceBuilder::new()
                        .layer(axum::Extension(db))
                        .layer(sessions())
                        .layer(authentication())
                        .service(routed(axum::Router::new().route("/", get(hello_user)))),
                )
                .await;
            }
            // Both layers given as one tuple: composed statically, one link fewer.
            "tuple" => {
                drive(
                    Aksara::new(db)
                        .middleware((sessions(), authentication()))
                        .route("/", get(hello_user))
                        .into_service(),
                )
                .await;
            }
            // The app turned into a router (to nest or merge) rather than served.
            "anonymous-router" => drive(routed(anonymous_app(db).into_router())).await,
            // Served without the peer address (with `AKSARA_PROFILE_SERVE`; the
            // same as anonymous otherwise).
            "anonymous-no-peer" => drive(anonymous_app(db).into_service()).await,
            // Logged in by session (memory store), so the session is loaded and
            // the user found on every request.
            "authenticated" => drive_logged_in(db, sessions()).await,
            // The same with the Redis store (`AKSARA_PROFILE_REDIS_URL`, default the
            // local Redis; needs `--features redis`).
            #[cfg(not(feature = "redis"))]
            "authenticated-redis" => {
                panic!("AKSARA_PROFILE=authenticated-redis needs --features redis")
            }
            #[cfg(feature = "redis")]
            "authenticated-redis" => {
                let url = std::env::var("AKSARA_PROFILE_REDIS_URL")
                    .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
                let store = aksara_auth::session::RedisStore::new(&url)
                    .unwrap()
                    .key_prefix(format!("aksara:profile:{}:", std::process::id()));
                drive_logged_in(db, SessionLayer::new(store).secret_key([7; 64])).await;
            }
            // A bearer JWT access token (HS256), the user through the 1 s cache.
            "jwt" => {
                db.migrate().await.unwrap();
                let user = profile_user(&db).await;
                let jwt = aksara_auth::jwt::Jwt::hmac(
                    aksara_auth::jwt::JwtAlgorithm::Hs256,
                    b"layer profile secret, thirty-two bytes or more",
                )
                .unwrap();
                let bearer = format!("Bearer {}", jwt.access_token(&user).unwrap());
                let service = Aksara::new(db)
                    .middleware(
                        AuthenticationLayer::<User>::new()
                            .with(aksara_auth::jwt::JwtAuthentication::new(jwt)),
                    )
                    .route("/", get(hello_user))
                    .into_service();
                drive_with(service, Some((http::header::AUTHORIZATION, bearer))).await;
            }
            // An opaque bearer token (SQLite in memory), row and user cached 1 s.
            "token" => {
                db.migrate().await.unwrap();
                let user = profile_user(&db).await;
                let settings = aksara_auth::token::TokenSettings::default();
                let issued = aksara_auth::token::Token::issue(&db, &user, &settings)
                    .await
                    .unwrap();
                let bearer = format!("Bearer {}", issued.key());
                let service = Aksara::new(db)
                    .middleware(
                        AuthenticationLayer::<User>::new()
                            .with(aksara_auth::token::TokenAuthentication::new(settings)),
                    )
                    .route("/", get(hello_user))
                    .into_service();
                drive_with(service, Some((http::header::AUTHORIZATION, bearer))).await;
            }
            _ => drive(anonymous_app(db).into_service()).await,
        }
    });
}

/// Logs a user in through an app with `sessions` and the authentication layer,
/// then drives it with the session cookie.
async fn drive_logged_in(db: Db, sessions: SessionLayer) {
    db.migrate().await.unwrap();
    let user = profile_user(&db).await;
    let service = Aksara::new(db)
        .middleware(sessions)
        .middleware(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
        .route("/", get(hello_user))
        .route(
            "/login",
            axum::routing::post(move |db: Db, session: Session| {
                let mut user = user.clone();
                async move { login(&session, &db, &mut user).await.unwrap() }
            }),
        )
        .into_service();
    let response = service
        .clone()
        .oneshot(Request::post("/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let cookie = response.headers()[http::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    if std::env::var("AKSARA_PROFILE_SERVE").is_ok() {
        // For the load generator: `wrk -H "Cookie: …"`.
        eprintln!("Cookie: {cookie}");
    }
    drive_with(service, Some((http::header::COOKIE, cookie))).await;
}

async fn profile_user(db: &Db) -> User {
    User::objects()
        .create()
        .email("profile@example.com")
        .password("correct horse battery staple")
        .exec(db)
        .await
        .unwrap()
}

/// A router with every handler turned into its service once, as `axum::serve`
/// does, rather than on each request.
fn routed(router: axum::Router) -> axum::Router {
    router.with_state(())
}

/// Sends 5000 requests through `service` with `oneshot`, or serves it on
/// `AKSARA_PROFILE_SERVE` for a load generator and `perf`.
async fn drive<T>(service: T)
where
    T: tower::Service<Request<Body>, Response = axum::response::Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    T::Future: Send,
{
    drive_with(service, None).await;
}

/// [`drive`], each request sending `header` when there is one.
async fn drive_with<T>(service: T, header: Option<(http::HeaderName, String)>)
where
    T: tower::Service<Request<Body>, Response = axum::response::Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    T::Future: Send,
{
    if let Ok(address) = std::env::var("AKSARA_PROFILE_SERVE") {
        let listener = tokio::net::TcpListener::bind(&address).await.unwrap();
        let make_service = axum::ServiceExt::<Request<Body>>::into_make_service(service);
        axum::serve(listener, make_service).await.unwrap();
        return;
    }
    // `AKSARA_PROFILE_REQUESTS` (default 5000): two runs of different lengths
    // give the cost per request without the set-up (a user's password hash).
    let requests: usize = std::env::var("AKSARA_PROFILE_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5000);
    for _ in 0..requests {
        let mut request = Request::get("/");
        if let Some((name, value)) = &header {
            request = request.header(name, value);
        }
        let response = service
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
}
