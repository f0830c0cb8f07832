//! Requests per second over loopback, measured in one run by `wrk` (Debian's
//! package): a bare axum JSON handler, the same handler behind Aksara's session
//! and authentication layers for an anonymous client, and for a client logged in
//! by session with the database store on SQLite (behind the in-process cache) and
//! with the Redis store. Bars: anonymous ≥ 0.90× bare, session-authenticated
//! ≥ 0.50× bare.
//!
//! Run: `bash scripts/bench-web.sh` (installs wrk if needed), or
//! `cargo bench -p aksara-auth --features redis --bench web_load` with wrk on the
//! PATH. `AKSARA_BENCH_REDIS_URL` (default `redis://127.0.0.1:6379`) names the
//! Redis; `AKSARA_BENCH_SECONDS` (default 5) the length of each run.

use std::process::Command;
use std::time::Duration;

use aksara_auth::prelude::*;
use aksara_auth::session::{CachedStore, DbSessionStore, RedisStore, SessionStore};
use axum::Json;
use axum::body::Body;
use axum::routing::{get, post};
use http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

const SECRET: &[u8] = b"web load benchmark secret, at least thirty-two bytes";
const EMAIL: &str = "load@example.com";
const PASSWORD: &str = "correct horse battery staple";
/// Measured runs per target.
const ROUNDS: usize = 3;

async fn hello() -> Json<Value> {
    Json(json!({"message": "hello", "ok": true}))
}

async fn hello_user(user: RequestUser<User>) -> Json<Value> {
    Json(json!({"message": "hello", "ok": user.is_authenticated()}))
}

async fn login_view(db: Db, session: Session) -> StatusCode {
    let mut user = authenticate::<User>(&db, EMAIL, PASSWORD)
        .await
        .unwrap()
        .expect("the bench user");
    login(&session, &db, &mut user).await.unwrap();
    StatusCode::NO_CONTENT
}

fn layered(db: &Db, store: impl SessionStore) -> axum::Router {
    Aksara::new(db.clone())
        .layer(SessionLayer::new(store).secret_key(SECRET).secure(false))
        .layer(AuthenticationLayer::<User>::new().with(SessionAuthentication))
        .route("/", get(hello_user))
        .route("/login", post(login_view))
        .into_router()
}

/// Logs the bench user in through `app` and returns the `Cookie` header value.
async fn session_cookie(app: &axum::Router) -> String {
    let request = Request::post("/login")
        .header("sec-fetch-site", "same-origin")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let set_cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Runs wrk against `url` (with `cookie`) and returns requests per second.
fn wrk(url: &str, cookie: Option<&str>, seconds: u64) -> f64 {
    let mut command = Command::new("wrk");
    command.args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency"]);
    if let Some(cookie) = cookie {
        command.args(["-H", &format!("Cookie: {cookie}")]);
    }
    let output = command
        .arg(url)
        .output()
        .expect("wrk on the PATH (apt-get install wrk)");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains("Non-2xx"),
        "non-2xx responses from {url}:\n{text}"
    );
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's output:\n{text}"))
}

fn main() {
    let seconds: u64 = std::env::var("AKSARA_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let redis_url_setting =
        std::env::var("AKSARA_BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let targets: Vec<(&str, String, Option<String>)> = runtime.block_on(async {
        let path = std::env::temp_dir().join(format!("aksara_web_load_{}.db", std::process::id()));
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        User::objects().delete(&db).await.unwrap();
        User::objects()
            .create()
            .email(EMAIL)
            .password(PASSWORD)
            .exec(&db)
            .await
            .unwrap();

        let bare = serve(axum::Router::new().route("/", get(hello))).await;
        let anonymous = serve(layered(&db, DbSessionStore::new(db.clone()))).await;
        let db_app = layered(
            &db,
            CachedStore::new(
                DbSessionStore::new(db.clone()),
                aksara_auth::session::Duration::seconds(5),
            ),
        );
        let db_cookie = session_cookie(&db_app).await;
        let db_url = serve(db_app).await;
        let redis_app = layered(
            &db,
            RedisStore::new(&redis_url_setting)
                .unwrap()
                .key_prefix(format!("aksara:bench:{}:", std::process::id())),
        );
        let redis_cookie = session_cookie(&redis_app).await;
        let redis_url = serve(redis_app).await;
        let cached_redis_app = layered(
            &db,
            CachedStore::new(
                RedisStore::new(&redis_url_setting)
                    .unwrap()
                    .key_prefix(format!("aksara:bench:{}:c:", std::process::id())),
                aksara_auth::session::Duration::seconds(1),
            ),
        );
        let cached_redis_cookie = session_cookie(&cached_redis_app).await;
        let cached_redis_url = serve(cached_redis_app).await;
        vec![
            ("bare axum JSON handler", bare, None),
            ("Aksara layers, anonymous", anonymous, None),
            (
                "session-authenticated, database store (SQLite, cached)",
                db_url,
                Some(db_cookie),
            ),
            (
                "session-authenticated, Redis store",
                redis_url,
                Some(redis_cookie),
            ),
            (
                "session-authenticated, Redis store behind a 1 s cache",
                cached_redis_url,
                Some(cached_redis_cookie),
            ),
        ]
    });
    for (label, url, _) in &targets {
        println!("{label}: {url}");
    }
    std::thread::sleep(Duration::from_millis(200));
    // `AKSARA_BENCH_ONLY=anonymous` runs only the targets whose label contains it
    // (besides the bare baseline), to profile one.
    let only = std::env::var("AKSARA_BENCH_ONLY").unwrap_or_default();
    let chosen: Vec<_> = targets
        .iter()
        .enumerate()
        .filter(|(index, (label, _, _))| *index == 0 || label.contains(only.as_str()))
        .map(|(_, target)| target)
        .collect();
    for (_, url, cookie) in &chosen {
        wrk(url, cookie.as_deref(), 1); // warm-up
    }
    // Rounds over all targets, each in turn, so drift in machine load hits them
    // alike; the median of the rounds is reported.
    let mut samples = vec![Vec::new(); chosen.len()];
    for _ in 0..ROUNDS {
        for (slot, (_, url, cookie)) in chosen.iter().enumerate() {
            samples[slot].push(wrk(url, cookie.as_deref(), seconds));
        }
    }
    let results: Vec<(&&str, f64)> = chosen
        .iter()
        .zip(samples)
        .map(|((label, _, _), mut runs)| {
            runs.sort_by(f64::total_cmp);
            (label, runs[runs.len() / 2])
        })
        .collect();
    let bare = results[0].1;
    println!(
        "\nwrk -t2 -c64 -d{seconds}s over loopback, median of {ROUNDS} interleaved rounds (wrk shares the machine's cores):\n"
    );
    println!("| endpoint | requests/s | vs bare |");
    println!("|---|---|---|");
    for (label, rps) in &results {
        println!("| {label} | {rps:.0} | {:.2} |", rps / bare);
    }
}
