//! Instruction counts per request through the web layers, for profiling with
//! callgrind: `AKSARA_PROFILE=bare|bare-vary|extension|session|session-read|
//! authentication|three-layers|one-stack|anonymous` selects the router (see the
//! `match` below; anonymous by default); 5000 requests
//! go through it with `oneshot` on a current-thread runtime. With
//! `AKSARA_PROFILE_SERVE=127.0.0.1:8000` it serves the variant instead, for a
//! load generator and `perf`.

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
        let app = match which.as_str() {
            "bare" => axum::Router::new().route("/", get(hello)),
            // The bare handler, answering with `Vary: Cookie` as the session layer adds.
            "bare-vary" => axum::Router::new().route(
                "/",
                get(|| async { ([(http::header::VARY, "Cookie")], hello().await) }),
            ),
            "extension" => Aksara::new(db).route("/", get(hello)).into_router(),
            "session" => axum::Router::new()
                .route("/", get(hello))
                .layer(SessionLayer::new(MemoryStore::new()).secret_key([7; 64])),
            // The session layer with a handler that reads the session, so the
            // response carries `Vary: Cookie`.
            "session-read" => axum::Router::new()
                .route("/", get(hello_session))
                .layer(SessionLayer::new(MemoryStore::new()).secret_key([7; 64])),
            // The authentication layer without authenticators.
            "authentication" => Aksara::new(db)
                .layer(AuthenticationLayer::<User>::new())
                .route("/", get(hello_user))
                .into_router(),
            "three-layers" => axum::Router::new()
                .route("/", get(hello_user))
                .layer(AuthenticationLayer::<User>::new().with(SessionAuthentication))
                .layer(SessionLayer::new(MemoryStore::new()).secret_key([7; 64]))
                .layer(axum::Extension(db)),
            "one-stack" => axum::Router::new().route("/", get(hello_user)).layer(
                tower::ServiceBuilder::new()
                    .layer(axum::Extension(db))
                    .layer(SessionLayer::new(MemoryStore::new()).secret_key([7; 64]))
                    .layer(AuthenticationLayer::<User>::new().with(SessionAuthentication)),
            ),
            _ => Aksara::new(db)
                .layer(SessionLayer::new(MemoryStore::new()).secret_key([7; 64]))
                .layer(AuthenticationLayer::<User>::new().with(SessionAuthentication))
                .route("/", get(hello_user))
                .into_router(),
        };
        if let Ok(address) = std::env::var("AKSARA_PROFILE_SERVE") {
            // Serve the variant instead, to profile it under a load generator.
            let listener = tokio::net::TcpListener::bind(&address).await.unwrap();
            axum::serve(listener, app).await.unwrap();
            return;
        }
        // As `axum::serve` does: turn every handler into its service once.
        let app = app.with_state(());
        for _ in 0..5000 {
            let response = app
                .clone()
                .oneshot(Request::get("/").body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert!(response.status().is_success());
        }
    });
}
