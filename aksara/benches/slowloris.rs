//! A slowloris probe, before and after in one run: the same Aksara app served by
//! plain `axum::serve` (what `Aksara::serve` ran before issue 13, point 2) and by
//! `Aksara::serve` with its `[server]` limits. For each, the bench opens N
//! connections that send half a request's headers and then nothing, and
//! measures:
//!
//! - a probe's latency (`GET /` on a fresh connection) idle, under the attack,
//!   and once the header timeout has passed, as ratios to the idle median;
//! - how many slow connections are still open after the header timeout (seen
//!   from the client: a read that neither ends nor fails), and how many sockets
//!   the server holds (`/proc/<pid>/fd`);
//! - the server's resident memory (`VmRSS`) idle, under the attack and after.
//!
//! The server runs in a child process (this binary again, with
//! `AKSARA_SLOWLORIS_SERVE` set), so its memory and descriptors are its own.
//! Linux only (`/proc`).
//!
//! Run: `cargo bench -p aksara --bench slowloris`. `AKSARA_BENCH_SLOW` (default
//! `800,2000,5000`) lists the attack sizes, one round each. The server runs with
//! `ulimit -n` 4096 (`AKSARA_BENCH_SERVER_NOFILE`), so 5000 reproduces the
//! issue's file-descriptor exhaustion (19,990 connections under 20,000 there).
//! `AKSARA_BENCH_PROBES` (default 50) is the number of probes per phase.
//! `AKSARA_SERVER_*` variables reach the Aksara server's settings (the defaults
//! otherwise: a 10 s header timeout, 1024 connections).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aksara::{Aksara, Db, Settings};
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The variable that makes this binary the server, and names how it serves.
const ROLE_VAR: &str = "AKSARA_SLOWLORIS_SERVE";
/// The longest a phase of probes or one probe may take.
const PHASE_LIMIT: Duration = Duration::from_secs(30);
const PROBE_LIMIT: Duration = Duration::from_secs(15);

/// How the child serves the app.
#[derive(Clone, Copy)]
enum Mode {
    /// `axum::serve(listener, app.into_service())`: no timeouts, no limit.
    AxumServe,
    /// `Aksara::serve_with_shutdown` with `[server]` from the environment.
    AksaraServe,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::AxumServe => "axum::serve (before)",
            Self::AksaraServe => "Aksara::serve (after)",
        }
    }

    fn var(self) -> &'static str {
        match self {
            Self::AxumServe => "axum",
            Self::AksaraServe => "aksara",
        }
    }
}

/// The child: serves `GET /` on a loopback port it prints, until killed.
fn serve_child(role: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let db = Db::connect("sqlite::memory:").await.expect("sqlite");
        let settings = Settings::from_sources(Some("debug = true"), std::env::vars())
            .expect("AKSARA_* settings");
        let app = Aksara::new(db)
            .settings(settings)
            .route("/", get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("address").port());
        if role == "axum" {
            axum::serve(listener, app.into_service())
                .await
                .expect("axum::serve");
        } else {
            app.serve_with_shutdown(listener, std::future::pending())
                .await
                .expect("Aksara::serve");
        }
    });
}

/// The server child and what `/proc` says of it.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(mode: Mode) -> Self {
        // The server's own open-file limit, so that exhausting it leaves the
        // bench (which holds the other end of every connection) room to measure.
        let nofile = std::env::var("AKSARA_BENCH_SERVER_NOFILE").unwrap_or_else(|_| "4096".into());
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {nofile} && exec \"$0\""))
            .arg(std::env::current_exe().expect("this binary"))
            .env(ROLE_VAR, mode.var())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server's port");
        let port = line.trim().parse().expect("a port");
        Self { child, port }
    }

    fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    fn descriptors(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).map_or(0, Iterator::count)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `GET /` on a fresh connection; its latency, or `None` past `limit`.
async fn probe(port: u16, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.ok()?;
        response.ends_with(b"\r\n\r\nok").then_some(())
    };
    tokio::time::timeout(limit, exchange).await.ok().flatten()?;
    Some(start.elapsed())
}

/// Probes per phase (`AKSARA_BENCH_PROBES`, default 50).
fn probe_count() -> usize {
    std::env::var("AKSARA_BENCH_PROBES")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(50)
}

/// Up to [`probe_count`] probes one after another within [`PHASE_LIMIT`]: the
/// median latency of those answered, and how many were.
async fn probes(port: u16) -> (Option<Duration>, usize, usize) {
    let start = Instant::now();
    let count = probe_count();
    let mut answered = Vec::new();
    let mut sent = 0;
    while sent < count && start.elapsed() < PHASE_LIMIT {
        sent += 1;
        let limit = PROBE_LIMIT.min(PHASE_LIMIT.saturating_sub(start.elapsed()));
        if let Some(latency) = probe(port, limit).await {
            answered.push(latency);
        }
    }
    answered.sort();
    (
        answered.get(answered.len() / 2).copied(),
        answered.len(),
        sent,
    )
}

/// Opens `count` connections that send half a request's headers, 256 at a
/// time so the bench's own burst does not overflow the accept queue; those that
/// connected within 1 s.
async fn open_slow(port: u16, count: usize) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(count);
    let mut left = count;
    while left > 0 {
        let batch = left.min(256);
        left -= batch;
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..batch {
            tasks.spawn(async move {
                let connect = async {
                    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
                    stream
                        .write_all(b"GET / HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
                        .await
                        .ok()?;
                    Some(stream)
                };
                tokio::time::timeout(Duration::from_secs(1), connect)
                    .await
                    .ok()
                    .flatten()
            });
        }
        while let Some(stream) = tasks.join_next().await {
            streams.extend(stream.ok().flatten());
        }
    }
    streams
}

/// How many of `streams` the server has not closed.
fn still_open(streams: &[TcpStream]) -> usize {
    let mut chunk = [0_u8; 256];
    streams
        .iter()
        .filter(|stream| {
            matches!(stream.try_read(&mut chunk), Err(err) if err.kind() == std::io::ErrorKind::WouldBlock)
        })
        .count()
}

/// One mode against one attack size.
struct Round {
    mode: Mode,
    slow: usize,
    connected: usize,
    idle: Option<Duration>,
    attack: (Option<Duration>, usize, usize),
    after: (Option<Duration>, usize, usize),
    open_after: usize,
    sockets: [usize; 3],
    rss: [f64; 3],
}

async fn round(mode: Mode, slow: usize, header_timeout: Duration) -> Round {
    let server = Server::start(mode);
    let port = server.port;
    let base_fds = server.descriptors();
    let (idle, _, _) = probes(port).await;
    let idle_rss = server.rss_mb();

    let streams = open_slow(port, slow).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let attack_sockets = server.descriptors().saturating_sub(base_fds);
    let attack_rss = server.rss_mb();
    let attack_started = Instant::now();
    let attack = probes(port).await;

    // Past the header timeout, counted from the attack's start.
    let wait = (header_timeout + Duration::from_secs(2)).saturating_sub(attack_started.elapsed());
    tokio::time::sleep(wait).await;
    let open_after = still_open(&streams);
    let after_sockets = server.descriptors().saturating_sub(base_fds);
    let after_rss = server.rss_mb();
    let after = probes(port).await;
    Round {
        mode,
        slow,
        connected: streams.len(),
        idle,
        attack,
        after,
        open_after,
        sockets: [0, attack_sockets, after_sockets],
        rss: [idle_rss, attack_rss, after_rss],
    }
}

fn millis(latency: Option<Duration>) -> String {
    latency.map_or_else(
        || "-".into(),
        |latency| format!("{:.2}", latency.as_secs_f64() * 1e3),
    )
}

fn ratio(latency: Option<Duration>, idle: Option<Duration>) -> String {
    match (latency, idle) {
        (Some(latency), Some(idle)) => {
            format!("{:.1}×", latency.as_secs_f64() / idle.as_secs_f64())
        }
        _ => "-".into(),
    }
}

fn phase(
    (latency, answered, sent): (Option<Duration>, usize, usize),
    idle: Option<Duration>,
) -> String {
    format!(
        "{} ms ({}) {answered}/{sent}",
        millis(latency),
        ratio(latency, idle)
    )
}

fn main() {
    if let Ok(role) = std::env::var(ROLE_VAR) {
        serve_child(&role);
        return;
    }
    let sizes: Vec<usize> = std::env::var("AKSARA_BENCH_SLOW")
        .unwrap_or_else(|_| "800,2000,5000".into())
        .split(',')
        .map(|size| size.trim().parse().expect("AKSARA_BENCH_SLOW: numbers"))
        .collect();
    let server_settings = Settings::from_sources(Some("debug = true"), std::env::vars())
        .expect("AKSARA_* settings")
        .server;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut rounds = Vec::new();
    for &slow in &sizes {
        for mode in [Mode::AxumServe, Mode::AksaraServe] {
            eprintln!("slowloris: {} with {slow} slow connections…", mode.name());
            rounds.push(runtime.block_on(round(mode, slow, server_settings.header_read_timeout)));
        }
    }

    println!(
        "\nslowloris: half-sent headers held open; the Aksara server with header_read_timeout \
         {:?}, max_connections {}",
        server_settings.header_read_timeout, server_settings.max_connections
    );
    println!(
        "probe = GET / on a fresh connection, median (ratio to idle) answered/sent; \
         after = {:?} + 2 s from the attack's start",
        server_settings.header_read_timeout
    );
    println!(
        "| server | slow conns (connected) | probe idle | probe under attack | probe after | slow conns still open after | server sockets attack → after | RSS idle → attack → after (MB) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for round in &rounds {
        println!(
            "| {} | {} ({}) | {} ms | {} | {} | {} | {} → {} | {:.1} → {:.1} → {:.1} |",
            round.mode.name(),
            round.slow,
            round.connected,
            millis(round.idle),
            phase(round.attack, round.idle),
            phase(round.after, round.idle),
            round.open_after,
            round.sockets[1],
            round.sockets[2],
            round.rss[0],
            round.rss[1],
            round.rss[2],
        );
    }
}
