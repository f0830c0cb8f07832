//! `POST /auth/forgot-password` must not tell a known address from an unknown
//! one by its timing (issue 16; bar: the medians within 10 %). The account
//! router is served on loopback (SQLite file, memory mail backend) and one
//! kept-alive client sends requests for the known address and for unknown
//! ones in turn, one at a time, as a prober would; each side's median and p90
//! are printed with their ratio. The throttle is off for the run (5 a minute
//! per address would refuse all but the first few), so each known request also
//! issues a token and mails it, off the request path, as in production.
//!
//! Run: `cargo bench -p aksara-auth --bench forgot_password`
//! (`AKSARA_BENCH_REQUESTS` per side, default 3000).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use aksara_auth::User;
use aksara_auth::account::{AccountRoutes, AccountSettings};
use aksara_auth::email::{Mailer, MemoryBackend};
use aksara_auth::jwt::{Jwt, JwtAlgorithm};
use aksara_auth::prelude::*;
use aksara_auth::{Throttle, throttle::MemoryThrottleStore};

fn requests() -> usize {
    std::env::var("AKSARA_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

/// One `POST /auth/forgot-password` on `stream`; its round trip.
fn forgot(stream: &mut TcpStream, email: &str) -> Duration {
    let body = format!(r#"{{"email":"{email}"}}"#);
    let request = format!(
        "POST /auth/forgot-password HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut buffer = [0_u8; 2048];
    let started = Instant::now();
    stream.write_all(request.as_bytes()).unwrap();
    let mut received = Vec::new();
    // Every answer is the same 202 whose JSON body ends with `"}`.
    while !received.ends_with(b"\"}") {
        let read = stream.read(&mut buffer).unwrap();
        assert!(read > 0, "the server closed the connection");
        received.extend_from_slice(&buffer[..read]);
    }
    let elapsed = started.elapsed();
    assert!(
        received.starts_with(b"HTTP/1.1 202"),
        "{}",
        String::from_utf8_lossy(&received)
    );
    elapsed
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let path = std::env::temp_dir().join(format!("aksara-forgot-{}.db", std::process::id()));
    let outbox = MemoryBackend::new();
    let (db, addr): (Db, SocketAddr) = runtime.block_on(async {
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        User::objects()
            .create()
            .email("jane@example.com")
            .password("correct horse battery staple")
            .exec(&db)
            .await
            .unwrap();
        let settings = Settings::from_sources(
            Some("debug = true\n[throttle]\nenabled = false\n"),
            None::<(String, String)>,
        )
        .unwrap();
        let routes = AccountRoutes::<User>::new(Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap())
            .throttle(Throttle::new(
                MemoryThrottleStore::new(10_000),
                settings.section().unwrap(),
            ))
            .email(
                Mailer::new(outbox.clone(), "accounts@example.com"),
                AccountSettings::debug_defaults(),
            );
        let app = Aksara::new(db.clone()).nest("/auth", routes.into_router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            app.serve_listener(listener).await.unwrap();
        });
        (db, addr)
    });

    let n = requests();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    for i in 0..200 {
        forgot(&mut stream, "jane@example.com");
        forgot(&mut stream, &format!("warmup{i}@example.com"));
    }
    let mut known = Vec::with_capacity(n);
    let mut unknown = Vec::with_capacity(n);
    for i in 0..n {
        // Alternate which side goes first, so neither always follows the other.
        if i % 2 == 0 {
            known.push(forgot(&mut stream, "jane@example.com"));
            unknown.push(forgot(&mut stream, &format!("nobody{i}@example.com")));
        } else {
            unknown.push(forgot(&mut stream, &format!("nobody{i}@example.com")));
            known.push(forgot(&mut stream, "jane@example.com"));
        }
    }
    known.sort();
    unknown.sort();
    // The mails go out after the answers; let the last of them land.
    let expected = n + 200;
    let deadline = Instant::now() + Duration::from_secs(60);
    while outbox.outbox().len() < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let (known_median, unknown_median) = (percentile(&known, 0.5), percentile(&unknown, 0.5));
    let ratio = known_median.as_secs_f64() / unknown_median.as_secs_f64();
    println!(
        "forgot-password over loopback, {n} requests per side, one at a time (throttle off; reset mails sent: {})",
        outbox.outbox().len()
    );
    println!(
        "  known address:   median {known_median:?}, p90 {:?}",
        percentile(&known, 0.9)
    );
    println!(
        "  unknown address: median {unknown_median:?}, p90 {:?}",
        percentile(&unknown, 0.9)
    );
    println!(
        "  known / unknown median: {ratio:.3} (bar: within 0.90–1.10) {}",
        if (0.9..=1.1).contains(&ratio) {
            "met"
        } else {
            "NOT met"
        }
    );
    runtime.block_on(db.close());
    let _ = std::fs::remove_file(&path);
}
