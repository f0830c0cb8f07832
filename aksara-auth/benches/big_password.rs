//! The probe of issue 13.4: many clients post a login with a password of almost
//! 2 MB at once. Under axum's default 2 MB body limit every waiting login holds
//! its body: 1000 of them took the session example to 1.85 GB of RSS, 1.4 GB still
//! held 5 s later. With [`credentials_body_limit`](aksara_auth::password::credentials_body_limit)
//! on the login route the body is refused (413) before it is read.
//!
//! Both routes are served by one `Aksara::serve_listener` in this process, in one
//! run: first the limited route, then the same handler without the limit (the
//! behaviour before the fix). For each: the peak resident memory the burst added
//! (`VmHWM`, reset between the two through `/proc/self/clear_refs`), what is still
//! resident 5 s after it, the statuses the clients got and the wall time. The
//! clients share one copy of the body, so the memory measured is the server's.
//!
//! Run: `cargo bench -p aksara-auth --bench big_password`
//! (`BIG_PASSWORD_CLIENTS`, default 1000, and `BIG_PASSWORD_BYTES`, default
//! 1,900,000, change the probe).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aksara_auth::User;
use aksara_auth::prelude::*;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const EMAIL: &str = "big@example.com";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

async fn login_view(db: Db, Json(credentials): Json<Credentials>) -> Result<StatusCode, ApiError> {
    Ok(
        match authenticate::<User>(&db, &credentials.email, &credentials.password).await? {
            Some(_) => StatusCode::NO_CONTENT,
            None => StatusCode::UNAUTHORIZED,
        },
    )
}

/// A `/proc/self/status` line's value in MiB (`VmRSS`, `VmHWM`).
fn memory_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status
        .lines()
        .find(|line| line.starts_with(field))
        .expect("field in /proc/self/status");
    let kib: f64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("a number of kB");
    kib / 1024.0
}

/// Sets `VmHWM` back to the current resident size.
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("clear_refs (Linux ≥ 4.0)");
}

/// One login posted on its own connection; its status, or what went wrong.
async fn post_login(addr: SocketAddr, path: &'static str, body: Arc<[u8]>) -> String {
    let attempt = async {
        let mut stream = TcpStream::connect(addr).await?;
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        // The server may answer (413) and close before the body is sent: the
        // answer is still in the socket, so read it whatever the write did.
        let _ = stream.write_all(&body).await;
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response).await;
        let status = String::from_utf8_lossy(&response)
            .lines()
            .next()
            .and_then(|line| line.split(' ').nth(1).map(str::to_owned))
            .unwrap_or_else(|| "no answer".to_owned());
        Ok::<_, std::io::Error>(status)
    };
    attempt
        .await
        .unwrap_or_else(|error| format!("error: {}", error.kind()))
}

struct Outcome {
    peak_added: f64,
    held_after_5s: f64,
    statuses: BTreeMap<String, usize>,
    wall: Duration,
}

async fn burst(addr: SocketAddr, path: &'static str, clients: usize, body: Arc<[u8]>) -> Outcome {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = memory_mib("VmRSS");
    reset_peak();
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| tokio::spawn(post_login(addr, path, body.clone())))
        .collect();
    let mut statuses = BTreeMap::new();
    for task in tasks {
        *statuses
            .entry(task.await.expect("client task"))
            .or_insert(0) += 1;
    }
    let wall = started.elapsed();
    let peak = memory_mib("VmHWM");
    tokio::time::sleep(Duration::from_secs(5)).await;
    Outcome {
        peak_added: peak - before,
        held_after_5s: memory_mib("VmRSS") - before,
        statuses,
        wall,
    }
}

#[tokio::main(worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clients = env_or("BIG_PASSWORD_CLIENTS", 1000);
    let password_bytes = env_or("BIG_PASSWORD_BYTES", 1_900_000);

    let db = Db::connect("sqlite::memory:").await?;
    db.migrate().await?;
    User::objects()
        .create()
        .email(EMAIL)
        .password("correct horse battery staple")
        .exec(&db)
        .await?;
    let settings = Settings::from_sources(Some("debug = true"), None::<(String, String)>)?;
    let app = Aksara::new(db)
        .settings(settings)
        .route(
            "/limited/login",
            post(login_view).layer(aksara_auth::password::credentials_body_limit()),
        )
        .route("/default/login", post(login_view));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(app.serve_listener(listener));

    let body: Arc<[u8]> = format!(
        r#"{{"email":"{EMAIL}","password":"{}"}}"#,
        "x".repeat(password_bytes)
    )
    .into_bytes()
    .into();
    println!(
        "{clients} concurrent logins with a {password_bytes}-byte password; resident memory the burst added:"
    );
    println!(
        "{:<44} {:>10} {:>14} {:>9}  statuses",
        "route", "peak MiB", "after 5 s MiB", "wall s"
    );
    let mut peaks = Vec::new();
    for (label, path) in [
        ("credentials_body_limit() (32 KiB)", "/limited/login"),
        ("axum's default limit (2 MB), before", "/default/login"),
    ] {
        let outcome = burst(addr, path, clients, body.clone()).await;
        println!(
            "{label:<44} {:>10.1} {:>14.1} {:>9.2}  {:?}",
            outcome.peak_added,
            outcome.held_after_5s,
            outcome.wall.as_secs_f64(),
            outcome.statuses
        );
        peaks.push(outcome.peak_added.max(1.0));
    }
    println!(
        "peak memory with the limit: {:.3}× the default's",
        peaks[0] / peaks[1]
    );
    Ok(())
}
