//! Requests per second over loopback, measured in one run by `wrk` (Debian's
//! package): a bare axum JSON handler; the same handler behind Aksara's session
//! and authentication layers for an anonymous client; a handler that reads the
//! user (`RequestUser`) behind them, for an anonymous client and for a client
//! logged in by session with the database store on SQLite (behind the in-process
//! cache) and with the Redis store; and the same handler for a client sending a
//! JWT access token, an opaque bearer token (SQLite) and an API key through
//! `examples/api_key.rs`'s own authenticator (compiled in from that file). Bars:
//! anonymous ≥ 0.90× bare, session-authenticated ≥ 0.50× bare (issue 4),
//! JWT-authenticated ≥ 0.85× and bearer-token ≥ 0.70× bare (issue 15). The Aksara apps are served as users serve them, with
//! `Aksara::serve_with_shutdown` (which also gives handlers the peer address), the
//! bare router with `axum::serve`.
//!
//! Run: `bash scripts/bench-web.sh` (installs wrk if needed), or
//! `cargo bench -p aksara-auth --features redis --bench web_load` with wrk on the
//! PATH. `AKSARA_BENCH_REDIS_URL` (default `redis://127.0.0.1:6379`) names the
//! Redis; `AKSARA_BENCH_SECONDS` (default 1) the length of each run and
//! `AKSARA_BENCH_ROUNDS` (default 25) how many rounds run.
//!
//! How it measures, and why: on this 2-CPU virtual machine one wrk run of the
//! same server swings by ±20% from one second to the next. So the servers run on
//! one CPU and wrk on the other (`AKSARA_BENCH_PIN=0` shares both instead), the
//! targets take turns in many short rounds, and each ratio is the median of the
//! per-round ratios. A second bare server is measured like the others: its ratio
//! to the first shows the noise left (within ±0.03 in 25 rounds here). Besides
//! requests/s, the table gives the servers' CPU time per request (user and
//! kernel, from /proc/self/stat), the cost that throughput is the inverse of.

use std::process::Command;
use std::time::Duration;

use aksara_auth::User;
use aksara_auth::jwt::{Jwt, JwtAuthentication};
use aksara_auth::prelude::*;
use aksara_auth::session::{CachedStore, DbSessionStore, RedisStore, SessionStore};
use aksara_auth::token::{Token, TokenAuthentication, TokenSettings};
use axum::Json;
use axum::routing::{MethodRouter, get, post};
use http::StatusCode;
use serde_json::{Value, json};

/// The API-key example, as a user writes it: its model and authenticator.
#[path = "../../examples/api_key.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "only the model and the authenticator are measured; `pub` is the example's"
)]
mod api_key_example;

const SECRET: &[u8] = b"web load benchmark secret, at least thirty-two bytes";
const EMAIL: &str = "load@example.com";
const PASSWORD: &str = "correct horse battery staple";

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

/// The benchmarked app, answering `/` with `root`.
fn layered(db: &Db, store: impl SessionStore, root: MethodRouter) -> Aksara {
    Aksara::new(db.clone())
        .middleware(SessionLayer::new(store).secret_key(SECRET).secure(false))
        .middleware(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
        .route("/", root)
        .route("/login", post(login_view))
}

/// Serves `app` as users do, with `Aksara::serve` (which also gives handlers the
/// peer address); returns its URL.
async fn serve_app(app: Aksara) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        app.serve_with_shutdown(listener, std::future::pending())
            .await
            .unwrap();
    });
    url
}

/// Serves the bare router as `axum::serve` does; returns its URL.
async fn serve_router(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

/// Logs the bench user in at the server at `url`, over HTTP/1.1, and returns the
/// `Cookie` header value.
async fn session_cookie(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let address = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /login HTTP/1.1\r\nhost: {address}\r\nsec-fetch-site: same-origin\r\n\
         content-length: 0\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 204"),
        "login failed:\n{response}"
    );
    response
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie").then(|| {
                value
                    .trim()
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
        })
        .map(|cookie| format!("Cookie: {cookie}"))
        .unwrap_or_else(|| panic!("no session cookie at login:\n{response}"))
}

/// Where the server and the load generator run.
#[derive(Clone, Copy)]
enum Placement {
    /// The server on one CPU, wrk on another: the server is the bottleneck, so
    /// the ratios are those of its cost per request, undiluted by wrk's.
    Pinned { server_cpu: usize, wrk_cpu: usize },
    /// Everything shares every CPU (one CPU only, or `AKSARA_BENCH_PIN=0`).
    Shared,
}

impl Placement {
    /// Pins this thread (and so the server threads started from it) to the first
    /// CPU it may use, and keeps the second for wrk.
    #[cfg(target_os = "linux")]
    fn choose() -> Self {
        use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};
        if std::env::var("AKSARA_BENCH_PIN").is_ok_and(|value| value == "0") {
            return Self::Shared;
        }
        let Ok(allowed) = sched_getaffinity(None) else {
            return Self::Shared;
        };
        let mut cpus = (0..CpuSet::MAX_CPU).filter(|&cpu| allowed.is_set(cpu));
        let (Some(server_cpu), Some(wrk_cpu)) = (cpus.next(), cpus.next()) else {
            return Self::Shared;
        };
        let has_taskset = Command::new("taskset").arg("-V").output().is_ok();
        let mut server = CpuSet::new();
        server.set(server_cpu);
        if !has_taskset || sched_setaffinity(None, &server).is_err() {
            return Self::Shared;
        }
        Self::Pinned {
            server_cpu,
            wrk_cpu,
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn choose() -> Self {
        Self::Shared
    }

    fn describe(self) -> String {
        match self {
            Self::Pinned {
                server_cpu,
                wrk_cpu,
            } => format!(
                "server on CPU {server_cpu} (one Tokio worker), wrk -t1 -c64 on CPU {wrk_cpu}"
            ),
            Self::Shared => "server and wrk -t2 -c64 sharing all CPUs".to_owned(),
        }
    }
}

/// One wrk run against one server.
#[derive(Clone, Copy)]
struct Run {
    rate: f64,
    /// The CPU time this process (the servers; wrk is a child process) spent per
    /// request, user and kernel: the cost per request, which the machine's noise
    /// moves less than the rate.
    cpu_micros_per_request: f64,
}

/// User plus system CPU time of this process so far, in microseconds.
fn process_cpu_micros() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses:
    // utime and stime are the 12th and 13th, in clock ticks of 1/100 s.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<f64> = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse().ok())
        .collect();
    fields.iter().sum::<f64>() * 10_000.0
}

/// Runs wrk against `url` (sending `header`, such as `Cookie: …`).
fn wrk(placement: Placement, url: &str, header: Option<&str>, seconds: u64) -> Run {
    let mut command = match placement {
        Placement::Pinned { wrk_cpu, .. } => {
            let mut command = Command::new("taskset");
            command.args(["-c", &wrk_cpu.to_string(), "wrk", "-t1"]);
            command
        }
        Placement::Shared => {
            let mut command = Command::new("wrk");
            command.arg("-t2");
            command
        }
    };
    command.args(["-c64", &format!("-d{seconds}s"), "--latency"]);
    if let Some(header) = header {
        command.args(["-H", header]);
    }
    let cpu_before = process_cpu_micros();
    let output = command
        .arg(url)
        .output()
        .expect("wrk on the PATH (apt-get install wrk)");
    let cpu = process_cpu_micros() - cpu_before;
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains("Non-2xx"),
        "non-2xx responses from {url}:\n{text}"
    );
    let rate: f64 = text
        .lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's output:\n{text}"));
    // "  123456 requests in 5.00s, 17.90MB read"
    let requests: f64 = text
        .lines()
        .find(|line| line.contains(" requests in "))
        .and_then(|line| line.split_whitespace().next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no request count in wrk's output:\n{text}"));
    Run {
        rate,
        cpu_micros_per_request: cpu / requests,
    }
}

fn main() {
    let seconds: u64 = std::env::var("AKSARA_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let rounds: usize = std::env::var("AKSARA_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(25);
    let redis_url_setting =
        std::env::var("AKSARA_BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let placement = Placement::choose();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Placement::Pinned { .. } = placement {
        runtime.worker_threads(1);
    }
    let runtime = runtime.enable_all().build().unwrap();
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

        let bare = serve_router(axum::Router::new().route("/", get(hello))).await;
        let bare_again = serve_router(axum::Router::new().route("/", get(hello))).await;
        let anonymous = serve_app(layered(&db, DbSessionStore::new(db.clone()), get(hello))).await;
        // The same app under `axum::serve`: no timeouts, connection limit or peer
        // address, so its distance to the row above is the serving loop's cost.
        let anonymous_axum_serve =
            serve_router(layered(&db, DbSessionStore::new(db.clone()), get(hello)).into_router())
                .await;
        let anonymous_user = serve_app(layered(
            &db,
            DbSessionStore::new(db.clone()),
            get(hello_user),
        ))
        .await;
        let db_app = layered(
            &db,
            CachedStore::new(
                DbSessionStore::new(db.clone()),
                aksara_auth::session::Duration::seconds(5),
            ),
            get(hello_user),
        );
        let db_url = serve_app(db_app).await;
        let db_cookie = session_cookie(&db_url).await;
        let redis_app = layered(
            &db,
            RedisStore::new(&redis_url_setting)
                .unwrap()
                .key_prefix(format!("aksara:bench:{}:", std::process::id())),
            get(hello_user),
        );
        let redis_url = serve_app(redis_app).await;
        let redis_cookie = session_cookie(&redis_url).await;
        let cached_redis_app = layered(
            &db,
            CachedStore::new(
                RedisStore::new(&redis_url_setting)
                    .unwrap()
                    .key_prefix(format!("aksara:bench:{}:c:", std::process::id())),
                aksara_auth::session::Duration::seconds(1),
            ),
            get(hello_user),
        );
        let cached_redis_url = serve_app(cached_redis_app).await;
        let cached_redis_cookie = session_cookie(&cached_redis_url).await;
        // An API served to bearer JWTs only, the user through the default 1 s cache.
        // A day-long token: a run with long rounds must not see it expire.
        let jwt_settings = aksara::Settings::from_sources(
            Some("debug = true\n[jwt]\nsecret = \"web load benchmark secret, at least thirty-two bytes\"\naccess_ttl = \"1d\"\nrefresh_ttl = \"1d\"\n"),
            None::<(String, String)>,
        )
        .unwrap();
        let jwt = Jwt::from_settings(&jwt_settings).unwrap();
        let user = User::objects()
            .get(&db, User::EMAIL.eq(EMAIL))
            .await
            .unwrap();
        let bearer = format!("Authorization: Bearer {}", jwt.access_token(&user).unwrap());
        let jwt_url = serve_app(
            Aksara::new(db.clone())
                .middleware(AuthenticationLayer::<User>::new().with(JwtAuthentication::new(jwt)))
                .route("/", get(hello_user)),
        )
        .await;
        // Opaque bearer tokens: the token's row (SQLite) and the user through the
        // default 1 s caches.
        let issued = Token::issue(&db, &user, &TokenSettings::default()).await.unwrap();
        let token_header = format!("Authorization: Bearer {}", issued.key());
        let token_url = serve_app(
            Aksara::new(db.clone())
                .middleware(
                    AuthenticationLayer::<User>::new()
                        .with(TokenAuthentication::new(TokenSettings::default())),
                )
                .route("/", get(hello_user)),
        )
        .await;
        // The example's API keys: key and user in one select_related query.
        let (_, api_key) = api_key_example::ApiKey::issue(&db, &user, "bench").await.unwrap();
        let api_key_header = format!("X-API-Key: {api_key}");
        let api_key_url = serve_app(
            Aksara::new(db.clone())
                .middleware(
                    AuthenticationLayer::<User>::new().with(api_key_example::ApiKeyAuthentication),
                )
                .route("/", get(hello_user)),
        )
        .await;
        vec![
            ("bare axum JSON handler", bare, None),
            (
                "bare axum again, another server (control: the noise floor)",
                bare_again,
                None,
            ),
            (
                "Aksara layers, anonymous (the same handler)",
                anonymous,
                None,
            ),
            (
                "Aksara layers, anonymous, served by axum::serve instead",
                anonymous_axum_serve,
                None,
            ),
            (
                "Aksara layers, anonymous, the handler reads RequestUser",
                anonymous_user,
                None,
            ),
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
            (
                "JWT-authenticated (HS256 bearer access token)",
                jwt_url,
                Some(bearer),
            ),
            (
                "bearer-token-authenticated (opaque token; row and user cached 1 s)",
                token_url,
                Some(token_header),
            ),
            (
                "API-key-authenticated (examples/api_key.rs, SQLite, select_related)",
                api_key_url,
                Some(api_key_header),
            ),
        ]
    });
    for (label, url, _) in &targets {
        println!("{label}: {url}");
    }
    std::thread::sleep(Duration::from_millis(200));
    // `AKSARA_BENCH_ONLY=anonymous` runs only the targets whose label contains it
    // (besides the bare baseline and its control), to profile one.
    let only = std::env::var("AKSARA_BENCH_ONLY").unwrap_or_default();
    let chosen: Vec<_> = targets
        .iter()
        .enumerate()
        .filter(|(index, (label, _, _))| *index < 2 || label.contains(only.as_str()))
        .map(|(_, target)| target)
        .collect();
    for (_, url, cookie) in &chosen {
        wrk(placement, url, cookie.as_deref(), 1); // warm-up
    }
    // Rounds over all targets, each in turn, so drift in machine load hits them
    // alike. Each round's ratio compares runs seconds apart; the medians of the
    // rounds are reported.
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); chosen.len()];
    for round in 0..rounds {
        for (slot, (label, url, cookie)) in chosen.iter().enumerate() {
            let run = wrk(placement, url, cookie.as_deref(), seconds);
            eprintln!(
                "round {round}: {label}: {:.0} requests/s, {:.1} µs server CPU per request",
                run.rate, run.cpu_micros_per_request
            );
            runs[slot].push(run);
        }
    }
    println!(
        "\nwrk -c64 -d{seconds}s over loopback, {}, medians of {rounds} interleaved rounds \
         (ratios are medians of the per-round ratios):\n",
        placement.describe()
    );
    println!("| endpoint | requests/s | vs bare | server CPU µs/request | vs bare |");
    println!("|---|---|---|---|---|");
    for ((label, _, _), target) in chosen.iter().zip(&runs) {
        let rate_ratio = median(
            target
                .iter()
                .zip(&runs[0])
                .map(|(run, bare)| run.rate / bare.rate),
        );
        let cpu_ratio = median(
            target
                .iter()
                .zip(&runs[0])
                .map(|(run, bare)| run.cpu_micros_per_request / bare.cpu_micros_per_request),
        );
        println!(
            "| {label} | {:.0} | {rate_ratio:.2} | {:.1} | {cpu_ratio:.2} |",
            median(target.iter().map(|run| run.rate)),
            median(target.iter().map(|run| run.cpu_micros_per_request)),
        );
    }
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
