//! Does a flood of logins slow down everything else? A loopback HTTP server (axum)
//! answers a trivial JSON request; one client thread sends it every millisecond
//! over a kept-alive connection and records each latency, first with the server
//! idle, then while 2 × cores tasks call `authenticate()` in a loop. The bar: the
//! p99 under the login flood is at most 2× the idle p99.
//!
//! Run: `cargo bench -p aksara-auth --bench login_latency`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aksara_auth::User;
use aksara_auth::prelude::*;
use axum::routing::get;

const EMAIL: &str = "flood@example.com";
const PASSWORD: &str = "correct horse battery staple";
const PHASE: Duration = Duration::from_secs(6);
const INTERVAL: Duration = Duration::from_millis(1);

/// Sends `GET /ping` every [`INTERVAL`] for [`PHASE`]; the latency of each, in µs.
fn client_phase(addr: SocketAddr) -> Vec<f64> {
    let mut stream = TcpStream::connect(addr).expect("connect to the bench server");
    stream.set_nodelay(true).unwrap();
    let request = b"GET /ping HTTP/1.1\r\nhost: bench\r\n\r\n";
    let mut latencies = Vec::new();
    let mut buffer = [0_u8; 1024];
    let end = Instant::now() + PHASE;
    while Instant::now() < end {
        let started = Instant::now();
        stream.write_all(request).unwrap();
        let mut received = Vec::new();
        // The response is small and ends with a fixed JSON body.
        while !received.ends_with(b"{\"ok\":true}") {
            let read = stream.read(&mut buffer).unwrap();
            assert!(read > 0, "server closed the connection");
            received.extend_from_slice(&buffer[..read]);
        }
        latencies.push(started.elapsed().as_secs_f64() * 1e6);
        std::thread::sleep(INTERVAL);
    }
    latencies
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank]
}

fn summary(mut latencies: Vec<f64>) -> (usize, f64, f64) {
    latencies.sort_by(f64::total_cmp);
    (
        latencies.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
    )
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap();
    let (db, addr) = runtime.block_on(async {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        User::objects()
            .create()
            .email(EMAIL)
            .password(PASSWORD)
            .exec(&db)
            .await
            .unwrap();
        let app = axum::Router::new().route(
            "/ping",
            get(|| async { axum::Json(serde_json::json!({"ok": true})) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (db, addr)
    });

    let idle = summary(client_phase(addr));

    let flooding = Arc::new(AtomicBool::new(true));
    let logins = Arc::new(AtomicU64::new(0));
    let loggers: Vec<_> = (0..2 * cores)
        .map(|_| {
            let (db, flooding, logins) = (db.clone(), flooding.clone(), logins.clone());
            runtime.spawn(async move {
                while flooding.load(Ordering::Relaxed) {
                    let user = authenticate::<User>(&db, EMAIL, PASSWORD).await.unwrap();
                    assert!(user.is_some());
                    logins.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // Let the flood reach its steady state before measuring.
    std::thread::sleep(Duration::from_millis(300));
    let before = logins.load(Ordering::Relaxed);
    let flood = summary(client_phase(addr));
    let during = logins.load(Ordering::Relaxed) - before;
    flooding.store(false, Ordering::Relaxed);
    runtime.block_on(async {
        for logger in loggers {
            logger.await.unwrap();
        }
    });

    println!(
        "\nTrivial request over loopback, {cores} cores, {} concurrent logins:\n",
        2 * cores
    );
    println!("| phase | requests | p50 | p99 | logins/s |");
    println!("|---|---|---|---|---|");
    println!(
        "| idle | {} | {:.0} µs | {:.0} µs | 0 |",
        idle.0, idle.1, idle.2
    );
    println!(
        "| login flood | {} | {:.0} µs | {:.0} µs | {:.1} |",
        flood.0,
        flood.1,
        flood.2,
        during as f64 / PHASE.as_secs_f64()
    );
    println!("\np99 flood / idle: {:.2} (bar: ≤ 2.00)", flood.2 / idle.2);
}
