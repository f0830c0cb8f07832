//! Instruction counts per request through the web layers, for profiling with
//! callgrind: `AKSARA_PROFILE=bare|anonymous` selects the router; 5000 requests
//! go through it with `oneshot` on a current-thread runtime.

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
            "extension" => Aksara::new(db).route("/", get(hello)).into_router(),
            "session" => axum::Router::new()
                .route("/", get(hello))
                .layer(SessionLayer::new(MemoryStore::new()).secret_key([7; 64])),
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
