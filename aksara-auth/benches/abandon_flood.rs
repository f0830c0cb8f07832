//! The attack of issue 13.1: many clients send a wrong-password login and close
//! the connection after 50 ms, for 10 s. Before the hashing queue was bounded
//! and skipped abandoned jobs, both cores kept hashing afterwards and the next
//! real login waited 152 s. Measured here on a loopback axum server, in one run:
//! a real login and a trivial request's p99 idle (the baseline), the trivial
//! request's p99 during the flood, and a real login right after it.
//! The bars: the login after the flood ≤ 1 s; the p99 during it near idle.
//!
//! The same flood is sent to two servers in turn: without throttling, and with
//! the default login throttling (`aksara_auth::Throttle`, memory store: 5
//! failures per account per 5 minutes, 20 per address per minute), which
//! refuses the flood's logins before the user lookup and the hash. The
//! throttled server trusts one proxy (`trusted_proxies = 1`) so that the flood
//! (`X-Forwarded-For: 203.0.113.66`) and the real user (`192.0.2.10`, another
//! account) are told apart on one loopback address; a login to the flood's own
//! account right after is refused (429) by design, and printed.
//!
//! Run: `cargo bench -p aksara-auth --bench abandon_flood`
//! (`ABANDON_CLIENTS`, `ABANDON_SECS` change the flood; `ABANDON_CLIENT_NICE`,
//! default 19, the flood threads' priority, see [`client_priority`];
//! `ABANDON_THROTTLE=off` or `on` runs one server only).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aksara_auth::prelude::*;
use aksara_auth::throttle::{MemoryThrottleStore, ThrottleSettings};
use aksara_auth::{ClientIp, Throttle, User};
use axum::http::StatusCode;
use axum::routing::{get, post};

/// The flood's target.
const EMAIL: &str = "flood@example.com";
/// The real user who logs in idle and right after the flood.
const OTHER_EMAIL: &str = "real@example.com";
const PASSWORD: &str = "correct horse battery staple";
/// Where the flood comes from, and the real user, as the trusted proxy says.
const FLOOD_CLIENT: &str = "203.0.113.66";
const REAL_CLIENT: &str = "192.0.2.10";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn login_view(db: Db, body: String) -> Result<StatusCode, ApiError> {
    let (email, password) = body.split_once(':').unwrap_or((&body, ""));
    Ok(match authenticate::<User>(&db, email, password).await? {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::UNAUTHORIZED,
    })
}

/// As `login_view`, throttled as `examples/session_auth.rs` is.
async fn throttled_login_view(
    db: Db,
    throttle: Throttle,
    ClientIp(client): ClientIp,
    body: String,
) -> Result<StatusCode, ApiError> {
    let (email, password) = body.split_once(':').unwrap_or((&body, ""));
    throttle.check_login(email, client).await?;
    Ok(match authenticate::<User>(&db, email, password).await? {
        Some(_) => {
            throttle.login_succeeded(email).await;
            StatusCode::NO_CONTENT
        }
        None => {
            throttle.login_failed(email, client).await;
            StatusCode::UNAUTHORIZED
        }
    })
}

fn request(path: &str, body: &str, client: &str) -> Vec<u8> {
    let method = if body.is_empty() { "GET" } else { "POST" };
    format!(
        "{method} {path} HTTP/1.1\r\nhost: bench\r\nx-forwarded-for: {client}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends one request on a new connection and reads the status line; the time it took.
fn timed(addr: SocketAddr, path: &str, body: &str, client: &str) -> (Duration, String) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.write_all(&request(path, body, client)).unwrap();
    let mut buffer = [0_u8; 512];
    let read = stream.read(&mut buffer).unwrap();
    let status = String::from_utf8_lossy(&buffer[..read])
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    (started.elapsed(), status)
}

/// `GET /ping` on one kept-alive connection every millisecond while `running`.
fn ping_p99(addr: SocketAddr, running: &AtomicBool) -> (usize, f64) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let ping = request("/ping", "", REAL_CLIENT);
    let mut latencies = Vec::new();
    let mut buffer = [0_u8; 512];
    while running.load(Ordering::Relaxed) {
        let started = Instant::now();
        stream.write_all(&ping).unwrap();
        let mut received = Vec::new();
        while !received.ends_with(b"pong") {
            let read = stream.read(&mut buffer).unwrap();
            assert!(read > 0, "server closed the ping connection");
            received.extend_from_slice(&buffer[..read]);
        }
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_millis(1));
    }
    latencies.sort_by(f64::total_cmp);
    let p99 = latencies[((latencies.len() - 1) as f64 * 0.99).round() as usize];
    (latencies.len(), p99)
}

fn ping_phase(addr: SocketAddr, length: Duration) -> (usize, f64) {
    let running = AtomicBool::new(true);
    std::thread::scope(|scope| {
        let pinger = scope.spawn(|| ping_p99(addr, &running));
        std::thread::sleep(length);
        running.store(false, Ordering::Relaxed);
        pinger.join().unwrap()
    })
}

/// Lowers the calling flood thread's priority. The flood's 200 client threads
/// stand in for clients on other machines: on one 2-core box at normal priority
/// they take the cores from the server being measured (the 2026-12-07 run with
/// nice 0 is in BENCHMARKS.md). `ABANDON_CLIENT_NICE=0` measures that case.
fn client_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    if nice != 0 {
        let thread = rustix::thread::gettid();
        rustix::process::setpriority_process(Some(thread), nice)
            .expect("lower the flood thread's priority");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// How the flood is sent.
struct Flood {
    clients: u64,
    client_nice: i32,
    length: Duration,
}

/// What one server measured.
struct Measured {
    idle_login: Duration,
    idle: (usize, f64),
    during: (usize, f64),
    after_login: Duration,
    after_status: String,
    flood_account: String,
    sent: u64,
}

fn measure(addr: SocketAddr, flood: &Flood) -> Measured {
    let good = format!("{OTHER_EMAIL}:{PASSWORD}");
    let bad = format!("{EMAIL}:wrong password");

    let _ = timed(addr, "/login", &good, REAL_CLIENT); // warm up (threads, dummy hash)
    let (idle_login, idle_status) = timed(addr, "/login", &good, REAL_CLIENT);
    assert!(idle_status.contains("204"), "{idle_status}");
    let idle = ping_phase(addr, Duration::from_secs(3));

    // The flood: each client thread opens a connection, sends a wrong-password
    // login, waits 50 ms and closes it, again and again.
    let flooding = Arc::new(AtomicBool::new(true));
    let sent = Arc::new(AtomicU64::new(0));
    let flooders: Vec<_> = (0..flood.clients)
        .map(|_| {
            let (flooding, sent, bad) = (flooding.clone(), sent.clone(), bad.clone());
            let nice = flood.client_nice;
            std::thread::spawn(move || {
                client_priority(nice);
                let login = request("/login", &bad, FLOOD_CLIENT);
                while flooding.load(Ordering::Relaxed) {
                    if let Ok(mut stream) = TcpStream::connect(addr) {
                        let _ = stream.write_all(&login);
                        sent.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            })
        })
        .collect();
    let during = ping_phase(addr, flood.length);
    flooding.store(false, Ordering::Relaxed);
    for flooder in flooders {
        flooder.join().unwrap();
    }
    let (after_login, after_status) = timed(addr, "/login", &good, REAL_CLIENT);
    let (_, flood_account) = timed(addr, "/login", &format!("{EMAIL}:{PASSWORD}"), REAL_CLIENT);
    Measured {
        idle_login,
        idle,
        during,
        after_login,
        after_status,
        flood_account,
        sent: sent.load(Ordering::Relaxed),
    }
}

fn main() {
    let flood = Flood {
        clients: env_or("ABANDON_CLIENTS", 200),
        client_nice: i32::try_from(env_or("ABANDON_CLIENT_NICE", 19)).unwrap_or(19),
        length: Duration::from_secs(env_or("ABANDON_SECS", 10)),
    };
    let which = std::env::var("ABANDON_THROTTLE").unwrap_or_else(|_| "both".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap();
    let servers = runtime.block_on(async {
        // A file, as a deployment has: `sqlite::memory:` is one connection, which
        // 40 000 queued requests would measure instead of the hashing queue.
        let path = std::env::temp_dir().join("aksara-abandon-flood.db");
        let _ = std::fs::remove_file(&path);
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        for email in [EMAIL, OTHER_EMAIL] {
            User::objects()
                .create()
                .email(email)
                .password(PASSWORD)
                .exec(&db)
                .await
                .unwrap();
        }
        let mut settings = ThrottleSettings::default();
        settings.trusted_proxies = 1;
        let throttle = Throttle::new(MemoryThrottleStore::new(100_000), settings);
        let plain = Aksara::new(db.clone())
            .route("/ping", get(|| async { "pong" }))
            .route("/login", post(login_view));
        let throttled = Aksara::new(db)
            .middleware(axum::Extension(throttle))
            .route("/ping", get(|| async { "pong" }))
            .route("/login", post(throttled_login_view));
        let mut servers = Vec::new();
        for (label, app) in [("off", plain), ("on", throttled)] {
            if which != "both" && which != label {
                continue;
            }
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(app.serve_with_shutdown(listener, std::future::pending()));
            servers.push((label, addr));
        }
        servers
    });

    let mut results = Vec::new();
    for (label, addr) in servers {
        results.push((label, measure(addr, &flood)));
        // Let the hashing queue and the sockets of one run settle before the next.
        std::thread::sleep(Duration::from_secs(3));
    }

    println!(
        "\nAbandoned-login flood: {} clients (nice {}) × {:?}, {cores} cores\n",
        flood.clients, flood.client_nice, flood.length
    );
    println!(
        "| throttling | trivial p99 idle | trivial p99 during the flood | ratio | real login idle | real login right after | ratio | flood's account right after |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (label, m) in &results {
        println!(
            "| {label} | {:.2} ms ({} req) | {:.2} ms ({} req) | {:.2}× | {:.1} ms | {:.1} ms ({}) | {:.2}× | {} |",
            m.idle.1,
            m.idle.0,
            m.during.1,
            m.during.0,
            m.during.1 / m.idle.1,
            m.idle_login.as_secs_f64() * 1e3,
            m.after_login.as_secs_f64() * 1e3,
            m.after_status,
            m.after_login.as_secs_f64() / m.idle_login.as_secs_f64(),
            m.flood_account
        );
    }
    for (label, m) in &results {
        println!("\nthrottling {label}: abandoned logins sent: {}", m.sent);
        println!(
            "bar: login after the flood ≤ 1 s: {}",
            if m.after_login <= Duration::from_secs(1) {
                "met"
            } else {
                "MISSED"
            }
        );
    }
}
