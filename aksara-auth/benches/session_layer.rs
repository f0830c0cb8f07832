//! What the session layer costs per request, in process (no sockets, so the
//! numbers are the server's work without hyper): requests go through
//! `tower::ServiceExt::oneshot` on an axum `Router` from 16 concurrent tasks on a
//! two-worker runtime, in interleaved rounds, and the median of each is compared
//! with the bare router.
//!
//! | variant | what the request does |
//! |---|---|
//! | bare | a JSON handler, no layer |
//! | anonymous | `SessionLayer`, no cookie: never touches the store |
//! | memory | a cookie; the handler reads one key (`MemoryStore`) |
//! | db/sqlite | the same on `DbSessionStore` over a SQLite file (one `SELECT` per request) |
//! | db/sqlite+cache | `CachedStore` in front of it |
//! | redis, redis+cache | `RedisStore` (when `AKSARA_BENCH_REDIS_URL` is set and the `redis` feature on) |
//!
//! Run: `cargo bench -p aksara-auth --bench session_layer --features redis`
//! (`AKSARA_BENCH_ONLY=memory,db/sqlite` measures only those, beside `bare`).

use std::sync::Arc;
use std::time::Instant;

use aksara::Db;
use aksara_auth::session::{
    CachedStore, DbSessionStore, Duration, MemoryStore, Session, SessionLayer, SessionStore,
};
use axum::body::Body;
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{Request, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

const TASKS: usize = 16;
const REQUESTS_PER_TASK: usize = 500;
const ROUNDS: usize = 5;
const SECRET: &[u8] = b"benchmark secret, thirty-two bytes or more";

async fn me(session: Option<Session>) -> Json<serde_json::Value> {
    let user = match session {
        Some(session) => session.get::<String>("user").await.ok().flatten(),
        None => None,
    };
    Json(serde_json::json!({ "ok": true, "user": user }))
}

async fn login(session: Session) -> &'static str {
    session.insert("user", "jane").await.expect("serialize");
    "ok"
}

struct Variant {
    name: &'static str,
    app: Router,
    cookie: Option<String>,
    rates: Vec<f64>,
}

async fn variant(name: &'static str, store: Option<Arc<dyn SessionStore>>) -> Variant {
    let routes = Router::new()
        .route("/me", get(me))
        .route("/login", post(login));
    let Some(store) = store else {
        return Variant {
            name,
            app: routes,
            cookie: None,
            rates: Vec::new(),
        };
    };
    let app = routes.layer(
        SessionLayer::new(store)
            .secret_key(SECRET)
            .secure(false)
            .max_age(Duration::minutes(10)),
    );
    let login = Request::post("/login").body(Body::empty()).unwrap();
    let response = app.clone().oneshot(login).await.unwrap();
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    Variant {
        name,
        app,
        cookie: Some(cookie),
        rates: Vec::new(),
    }
}

/// Requests per second for `TASKS × REQUESTS_PER_TASK` requests.
async fn measure(app: &Router, cookie: Option<&str>) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let app = app.clone();
            let cookie = cookie.map(str::to_owned);
            tokio::spawn(async move {
                for _ in 0..REQUESTS_PER_TASK {
                    let mut request = Request::get("/me");
                    if let Some(cookie) = &cookie {
                        request = request.header(header::COOKIE, cookie);
                    }
                    let response = app
                        .clone()
                        .oneshot(request.body(Body::empty()).unwrap())
                        .await
                        .unwrap();
                    assert!(response.status().is_success());
                    let body = response.into_body().collect().await.unwrap().to_bytes();
                    assert!(cookie.is_none() || body.windows(4).any(|w| w == b"jane"));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    #[expect(clippy::cast_precision_loss, reason = "a request count")]
    let requests = (TASKS * REQUESTS_PER_TASK) as f64;
    requests / started.elapsed().as_secs_f64()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let path =
            std::env::temp_dir().join(format!("aksara_session_bench_{}.db", std::process::id()));
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let ttl = Duration::seconds(30);
        let mut variants = vec![
            variant("bare", None).await,
            variant("anonymous", Some(Arc::new(MemoryStore::new()))).await,
            variant("memory", Some(Arc::new(MemoryStore::new()))).await,
            variant("db/sqlite", Some(Arc::new(DbSessionStore::new(db.clone())))).await,
            variant(
                "db/sqlite+cache",
                Some(Arc::new(CachedStore::new(
                    DbSessionStore::new(db.clone()),
                    ttl,
                ))),
            )
            .await,
        ];
        variants[1].cookie = None; // the layer without a cookie
        #[cfg(feature = "redis")]
        if let Ok(url) = std::env::var("AKSARA_BENCH_REDIS_URL") {
            let redis = || {
                aksara_auth::session::RedisStore::new(&url)
                    .unwrap()
                    .key_prefix(format!("aksara_bench:{}:", std::process::id()))
            };
            variants.push(variant("redis", Some(Arc::new(redis()))).await);
            variants.push(
                variant(
                    "redis+cache",
                    Some(Arc::new(CachedStore::new(redis(), ttl))),
                )
                .await,
            );
        }
        // `AKSARA_BENCH_ONLY=memory` keeps `bare` and the named variants (for profiling).
        if let Ok(only) = std::env::var("AKSARA_BENCH_ONLY") {
            variants.retain(|variant| {
                variant.name == "bare" || only.split(',').any(|name| name == variant.name)
            });
        }
        for variant in &variants {
            measure(&variant.app, variant.cookie.as_deref()).await; // warm up
        }
        for _ in 0..ROUNDS {
            for variant in &mut variants {
                let rate = measure(&variant.app, variant.cookie.as_deref()).await;
                variant.rates.push(rate);
            }
        }
        let bare = median(&mut variants[0].rates.clone());
        println!(
            "\n{:<18} {:>12} {:>10} {:>12}",
            "variant", "req/s", "vs bare", "µs/request"
        );
        for variant in &mut variants {
            let rate = median(&mut variant.rates);
            println!(
                "{:<18} {:>12.0} {:>9.2}× {:>12.1}",
                variant.name,
                rate,
                rate / bare,
                1e6 / rate * 2.0 // two workers busy
            );
        }
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    });
}
