//! The account router (`aksara_auth::account::AccountRoutes::<User>` at
//! `/auth`, `JwtAuthentication` on an `AuthenticationLayer`, SQLite file
//! database, served with `Aksara::serve_with_shutdown`) against its baselines,
//! each measured in the same run (issue 16). Bars:
//!
//! 1. `POST /auth/login` throughput ≥ 0.9× raw argon2id verifications on all
//!    cores (the `argon2` crate directly, at `PasswordHasher::global()`'s
//!    parameters, one thread per core reusing its memory block), and
//!    `POST /auth/register` throughput ≥ 0.9× raw argon2id hashes. The clients
//!    are 2 × cores threads with kept-alive connections; the phases alternate
//!    with their baseline in rounds and each ratio is the median of the
//!    per-round ratios.
//! 2. `GET /auth/me` (bearer JWT, one client, every millisecond, kept alive)
//!    p99 during a flood of `POST /auth/login` (2 × cores clients) ≤ 2× its
//!    idle p99, as `login_latency` measures a trivial request; in interleaved
//!    rounds, the ratio the median of the per-round ratios. Two diagnostic
//!    phases beside it: the same flood with its client threads at nice 19 (as
//!    `abandon_flood` sends its flood), and `login_latency`'s in-process flood
//!    of `authenticate()` calls (the hash and the user's select only).
//! 3. `GET /auth/me` with a JWT ≥ 0.8× a bare `axum::Router` handler returning
//!    the same JSON (the `/me` body, serialized once at start), in requests/s
//!    by `wrk`, as `web_load` measures: servers on one CPU, wrk on the other,
//!    short interleaved rounds, the median of the per-round ratios. Beside it,
//!    for diagnosis: bare axum serializing the `serde_json::Value` per request
//!    (as `/me` does), and the pre-serialized body behind Aksara's layers
//!    alone and behind `JwtAuthentication` too.
//!
//! The login throttle is raised for all of it (every limit 10⁹ per minute,
//! still counting), since the loopback clients share one address and a
//! throughput run must not be refused with 429; the output says so.
//!
//! Run: `cargo bench -p aksara-auth --bench account_api` with wrk on the PATH
//! (`apt-get install wrk`, as `scripts/bench-web.sh` does).
//! `ACCOUNT_BENCH_SECONDS` (default 5) is the length of each throughput phase
//! and `ACCOUNT_BENCH_ROUNDS` (default 3) how many rounds of them run;
//! `ACCOUNT_BENCH_PHASE` (default 4) the seconds of each `/me` latency phase
//! and `ACCOUNT_BENCH_LATENCY_ROUNDS` (default 5) how many rounds of them;
//! `ACCOUNT_BENCH_DB_DIR` (default the temporary directory) where the
//! database file goes; `AKSARA_BENCH_SECONDS` (default 1) and `AKSARA_BENCH_ROUNDS` (default 15)
//! the wrk rounds; `AKSARA_BENCH_PIN=0` lets servers and wrk share the CPUs.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aksara_auth::Throttle;
use aksara_auth::User;
use aksara_auth::account::AccountRoutes;
use aksara_auth::jwt::{Jwt, JwtAuthentication};
use aksara_auth::password::PasswordHasher;
use aksara_auth::prelude::*;
use aksara_auth::throttle::{MemoryThrottleStore, Rate, ThrottleSettings};
use argon2::{Algorithm, Argon2, Block, Version};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use subtle::ConstantTimeEq as _;

const PASSWORD: &str = "correct horse battery staple";
/// The argon2 output length the hasher writes (its PHC strings hold 32 bytes).
const HASH_LEN: usize = 32;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------
// A blocking HTTP/1.1 client on one kept-alive connection.

/// One kept-alive connection; reconnects if the server closes it.
struct Client {
    addr: SocketAddr,
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).expect("connect to the bench server");
        stream.set_nodelay(true).unwrap();
        Self {
            addr,
            stream,
            buffer: Vec::with_capacity(4096),
        }
    }

    /// Sends `request` and reads the answer: its status and body.
    fn send(&mut self, request: &[u8]) -> (u16, Vec<u8>) {
        for _ in 0..2 {
            if let Some(answer) = self.try_send(request) {
                return answer;
            }
            // The server closed the kept-alive connection: once more, on a new one.
            *self = Self::connect(self.addr);
        }
        panic!("the server closed two connections in a row");
    }

    fn try_send(&mut self, request: &[u8]) -> Option<(u16, Vec<u8>)> {
        self.stream.write_all(request).ok()?;
        self.buffer.clear();
        let mut chunk = [0_u8; 4096];
        let head_end = loop {
            if let Some(at) = find(&self.buffer, b"\r\n\r\n") {
                break at + 4;
            }
            let read = self.stream.read(&mut chunk).ok()?;
            if read == 0 {
                return None;
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        };
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).into_owned();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {head}"));
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or_else(|| panic!("no content-length in {head}"));
        while self.buffer.len() < head_end + length {
            let read = self.stream.read(&mut chunk).ok()?;
            if read == 0 {
                return None;
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
        Some((status, self.buffer[head_end..head_end + length].to_vec()))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn post_json(path: &str, body: &serde_json::Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "POST {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn get_me(access_token: &str) -> Vec<u8> {
    format!("GET /auth/me HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {access_token}\r\n\r\n")
        .into_bytes()
}

fn login_request(email: &str) -> Vec<u8> {
    post_json(
        "/auth/login",
        &serde_json::json!({"email": email, "password": PASSWORD}),
    )
}

// ---------------------------------------------------------------------------
// Part 1: throughput against raw argon2.

/// What the raw baseline computes on each core.
#[derive(Clone, Copy)]
enum Raw {
    /// Derive with the stored salt and compare with the stored hash.
    Verify,
    /// Draw a salt, derive, encode the PHC string.
    Hash,
}

/// Raw argon2id on one thread per core for `length`: derivations per second.
/// Each thread reuses its own memory block, the fastest the crate allows.
fn raw_argon2(kind: Raw, cores: usize, length: Duration) -> f64 {
    let params = *PasswordHasher::global().params();
    let argon2_params = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(HASH_LEN),
    )
    .expect("the global hasher's parameters");
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon2_params.clone());
    let salt = [7_u8; 16];
    let mut expected = [0_u8; HASH_LEN];
    argon2
        .hash_password_into(PASSWORD.as_bytes(), &salt, &mut expected)
        .unwrap();
    let blocks = argon2_params.block_count();
    let done = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..cores {
            let (argon2, done) = (&argon2, &done);
            scope.spawn(move || {
                let mut memory = vec![Block::default(); blocks];
                let mut out = [0_u8; HASH_LEN];
                while started.elapsed() < length {
                    match kind {
                        Raw::Verify => {
                            argon2
                                .hash_password_into_with_memory(
                                    PASSWORD.as_bytes(),
                                    &salt,
                                    &mut out,
                                    &mut memory,
                                )
                                .unwrap();
                            assert!(bool::from(out.ct_eq(&expected)));
                        }
                        Raw::Hash => {
                            let mut fresh = [0_u8; 16];
                            getrandom::fill(&mut fresh).unwrap();
                            argon2
                                .hash_password_into_with_memory(
                                    PASSWORD.as_bytes(),
                                    &fresh,
                                    &mut out,
                                    &mut memory,
                                )
                                .unwrap();
                            let phc = format!(
                                "$argon2id$v=19$m={},t={},p={}${}${}",
                                params.memory_kib,
                                params.iterations,
                                params.parallelism,
                                STANDARD_NO_PAD.encode(fresh),
                                STANDARD_NO_PAD.encode(out),
                            );
                            std::hint::black_box(phc);
                        }
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Lowers the calling client thread's priority to `nice`, as `abandon_flood`
/// does: the flood's client threads then stand in for clients on other
/// machines instead of taking the two cores from the server being measured.
fn client_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    if nice != 0 {
        let thread = rustix::thread::gettid();
        rustix::process::setpriority_process(Some(thread), nice)
            .expect("lower the client thread's priority");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// `clients` threads (at priority `nice`), each on its own kept-alive
/// connection, send the request `next(client, n)` builds until `length` has
/// passed; answers per second. Any status but `expected` stops the run.
fn http_flood(
    addr: SocketAddr,
    (clients, nice): (usize, i32),
    length: Duration,
    expected: u16,
    next: &(dyn Fn(usize, u64) -> Vec<u8> + Sync),
) -> f64 {
    let done = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for client in 0..clients {
            let done = &done;
            scope.spawn(move || {
                client_priority(nice);
                let mut connection = Client::connect(addr);
                let mut n = 0;
                while started.elapsed() < length {
                    let (status, body) = connection.send(&next(client, n));
                    assert_eq!(status, expected, "{}", String::from_utf8_lossy(&body));
                    done.fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// One round's pair of rates: the endpoint and its raw baseline.
struct Round {
    endpoint: f64,
    raw: f64,
}

fn ratio_median(rounds: &[Round]) -> f64 {
    median(rounds.iter().map(|round| round.endpoint / round.raw))
}

// ---------------------------------------------------------------------------
// Part 2: /me latency, idle and during a login flood.

/// `GET /auth/me` every millisecond on one kept-alive connection while
/// `running`; each latency in µs.
fn me_latencies(addr: SocketAddr, request: &[u8], running: &AtomicBool) -> Vec<f64> {
    let mut connection = Client::connect(addr);
    let mut latencies = Vec::new();
    while running.load(Ordering::Relaxed) {
        let started = Instant::now();
        let (status, body) = connection.send(request);
        latencies.push(started.elapsed().as_secs_f64() * 1e6);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        std::thread::sleep(Duration::from_millis(1));
    }
    latencies
}

/// p50 and p99 of `latencies`, and how many.
fn summary(mut latencies: Vec<f64>) -> (usize, f64, f64) {
    latencies.sort_by(f64::total_cmp);
    let at = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    (latencies.len(), at(0.50), at(0.99))
}

// ---------------------------------------------------------------------------
// Part 3: wrk, as web_load runs it.

/// Where the servers and the load generator run.
#[derive(Clone, Copy)]
enum Placement {
    /// The servers on one CPU, wrk on another.
    Pinned { server_cpu: usize, wrk_cpu: usize },
    /// Everything shares every CPU (one CPU only, or `AKSARA_BENCH_PIN=0`).
    Shared,
}

impl Placement {
    /// Pins this thread (and so the threads started from it) to the first CPU
    /// it may use, and keeps the second for wrk.
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
                "servers on CPU {server_cpu} (one Tokio worker), wrk -t1 -c64 on CPU {wrk_cpu}"
            ),
            Self::Shared => "servers and wrk -t2 -c64 sharing all CPUs".to_owned(),
        }
    }
}

/// One wrk run against one server.
#[derive(Clone, Copy)]
struct Run {
    rate: f64,
    /// This process's CPU time (the servers; wrk is a child) per request.
    cpu_micros_per_request: f64,
}

/// User plus system CPU time of this process so far, in microseconds.
fn process_cpu_micros() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // utime and stime: the 12th and 13th fields after the name, in 1/100 s.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<f64> = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse().ok())
        .collect();
    fields.iter().sum::<f64>() * 10_000.0
}

/// Runs wrk against `url` (sending `header`, such as `Authorization: …`).
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
        .unwrap_or_else(|| {
            panic!(
                "no Requests/sec in wrk's output (is wrk installed? apt-get install wrk):\n{text}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
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

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

// ---------------------------------------------------------------------------

/// The app under test, as a user assembles it.
fn account_app(db: &Db, jwt: &Jwt, throttle: Throttle) -> Aksara {
    let accounts = AccountRoutes::<User>::new(jwt.clone()).throttle(throttle);
    Aksara::new(db.clone())
        .middleware(
            AuthenticationLayer::<User>::new().with(JwtAuthentication::new(accounts.jwt().clone())),
        )
        .nest("/auth", accounts.into_router())
}

/// The login throttle with every limit raised to 10⁹ per minute: still
/// counting, never refusing.
fn raised_throttle() -> Throttle {
    let mut settings = ThrottleSettings::default();
    let high = Rate::new(1_000_000_000, Duration::from_secs(60));
    settings.login_failed_per_account = high;
    settings.login_failed_per_ip = high;
    settings.login_attempts_per_ip = high;
    settings.forgot_password = high;
    settings.send_verification = high;
    Throttle::new(
        MemoryThrottleStore::new(settings.memory_max_entries),
        settings,
    )
}

async fn serve(app: Aksara) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        app.serve_with_shutdown(listener, std::future::pending())
            .await
            .unwrap();
    });
    addr
}

async fn serve_router(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

#[expect(
    clippy::too_many_lines,
    reason = "one run, three parts, printed together"
)]
fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let clients = 2 * cores;
    let phase = Duration::from_secs(env_or("ACCOUNT_BENCH_SECONDS", 5));
    let throughput_rounds = usize::try_from(env_or("ACCOUNT_BENCH_ROUNDS", 3)).unwrap_or(3);
    let latency_phase = Duration::from_secs(env_or("ACCOUNT_BENCH_PHASE", 4));
    let latency_rounds = usize::try_from(env_or("ACCOUNT_BENCH_LATENCY_ROUNDS", 5)).unwrap_or(5);
    let wrk_seconds = env_or("AKSARA_BENCH_SECONDS", 1);
    let wrk_rounds = usize::try_from(env_or("AKSARA_BENCH_ROUNDS", 15)).unwrap_or(15);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap();
    // `ACCOUNT_BENCH_DB_DIR=/dev/shm` puts the database on tmpfs, to tell the
    // disk's share (each login commits twice) from the rest.
    let directory = std::env::var_os("ACCOUNT_BENCH_DB_DIR")
        .map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let path = directory.join(format!("aksara_account_api_{}.db", std::process::id()));
    let database_url = format!("sqlite://{}?mode=rwc", path.display());
    // A day-long access token: the run must not see it expire.
    let settings = aksara::Settings::from_sources(
        Some("debug = true\n[jwt]\nsecret = \"account api benchmark secret, at least thirty-two bytes\"\naccess_ttl = \"1d\"\nrefresh_ttl = \"1d\"\n"),
        None::<(String, String)>,
    )
    .unwrap();
    let jwt = Jwt::from_settings(&settings).unwrap();
    let emails: Vec<String> = (0..clients)
        .map(|client| format!("login{client}@example.com"))
        .collect();
    let (db, addr) = runtime.block_on(async {
        let db = Db::connect(&database_url).await.unwrap();
        db.migrate().await.unwrap();
        for email in &emails {
            User::objects()
                .create()
                .email(email.as_str())
                .password(PASSWORD)
                .exec(&db)
                .await
                .unwrap();
        }
        let addr = serve(account_app(&db, &jwt, raised_throttle())).await;
        (db, addr)
    });

    // The access token of the first user, and the `/me` body.
    let mut client = Client::connect(addr);
    let (status, body) = client.send(&login_request(&emails[0]));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let login: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let access_token = login["access_token"].as_str().unwrap().to_owned();
    let me_request = get_me(&access_token);
    let (status, me_body) = client.send(&me_request);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&me_body));
    drop(client);
    let me_json: serde_json::Value = serde_json::from_slice(&me_body).unwrap();

    // Part 1: rounds of (raw, endpoint), login then registration.
    let logins: Vec<Vec<u8>> = emails.iter().map(|email| login_request(email)).collect();
    let login_next = |client: usize, _: u64| logins[client].clone();
    let run_id = std::process::id();
    let register_next = |client: usize, n: u64| {
        post_json(
            "/auth/register",
            &serde_json::json!({
                "email": format!("new-{run_id}-{client}-{n}@example.com"),
                "password": PASSWORD,
            }),
        )
    };
    // Warm up: the hashing threads, the dummy hash, the statement caches.
    http_flood(addr, (clients, 0), Duration::from_secs(1), 200, &login_next);
    let mut login_rounds = Vec::new();
    let mut register_rounds = Vec::new();
    for round in 0..throughput_rounds {
        let raw = raw_argon2(Raw::Verify, cores, phase);
        let endpoint = http_flood(addr, (clients, 0), phase, 200, &login_next);
        eprintln!("round {round}: raw verify {raw:.1}/s, POST /auth/login {endpoint:.1}/s");
        login_rounds.push(Round { endpoint, raw });
    }
    // Distinct emails across rounds: the round number goes into the client slot.
    for round in 0..throughput_rounds {
        let raw = raw_argon2(Raw::Hash, cores, phase);
        let next = |client: usize, n: u64| register_next(round * clients + client, n);
        let endpoint = http_flood(addr, (clients, 0), phase, 201, &next);
        eprintln!("round {round}: raw hash {raw:.1}/s, POST /auth/register {endpoint:.1}/s");
        register_rounds.push(Round { endpoint, raw });
    }

    // Part 2: /me idle, then during a login flood, in interleaved rounds so
    // that drift in the machine's load hits every phase alike.
    let idle_phase = || {
        let running = AtomicBool::new(true);
        std::thread::scope(|scope| {
            let measuring = scope.spawn(|| me_latencies(addr, &me_request, &running));
            std::thread::sleep(latency_phase);
            running.store(false, Ordering::Relaxed);
            (measuring.join().unwrap(), 0.0)
        })
    };
    let flood_phase = |nice: i32| {
        let running = AtomicBool::new(true);
        let flood_length = latency_phase + Duration::from_millis(600);
        std::thread::scope(|scope| {
            let flooding =
                scope.spawn(|| http_flood(addr, (clients, nice), flood_length, 200, &login_next));
            // Let the flood reach its steady state before measuring.
            std::thread::sleep(Duration::from_millis(300));
            let measuring = scope.spawn(|| me_latencies(addr, &me_request, &running));
            std::thread::sleep(latency_phase);
            running.store(false, Ordering::Relaxed);
            (measuring.join().unwrap(), flooding.join().unwrap())
        })
    };
    // The flood as `login_latency` sends it: tasks on the server's runtime
    // calling `authenticate()` (the hash and the user's select; no HTTP, no
    // login record, no token), to tell the hash's share of the p99 from the
    // rest of a login's work.
    let in_process_phase = || {
        let flooding = Arc::new(AtomicBool::new(true));
        let authenticated = Arc::new(AtomicU64::new(0));
        let tasks: Vec<_> = (0..clients)
            .map(|client| {
                let (db, flooding, authenticated) =
                    (db.clone(), flooding.clone(), authenticated.clone());
                let email = emails[client].clone();
                runtime.spawn(async move {
                    while flooding.load(Ordering::Relaxed) {
                        let user = authenticate::<User>(&db, &email, PASSWORD).await.unwrap();
                        assert!(user.is_some());
                        authenticated.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let before = authenticated.load(Ordering::Relaxed);
        let (latencies, _) = idle_phase();
        let rate =
            (authenticated.load(Ordering::Relaxed) - before) as f64 / latency_phase.as_secs_f64();
        flooding.store(false, Ordering::Relaxed);
        runtime.block_on(async {
            for task in tasks {
                task.await.unwrap();
            }
        });
        (latencies, rate)
    };
    let phase_labels = [
        "idle",
        "login flood (HTTP POST /auth/login, client threads at nice 0)",
        "diagnostic: the same flood, its client threads at nice 19 (as abandon_flood)",
        "diagnostic: in-process authenticate() flood (as login_latency)",
    ];
    // Per phase: every latency, each round's p99, each round's logins/s.
    let mut latency: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> =
        vec![(Vec::new(), Vec::new(), Vec::new()); phase_labels.len()];
    for round in 0..latency_rounds {
        for (slot, label) in phase_labels.iter().enumerate() {
            let (latencies, rate) = match slot {
                0 => idle_phase(),
                1 => flood_phase(0),
                2 => flood_phase(19),
                _ => in_process_phase(),
            };
            let (_, p50, p99) = summary(latencies.clone());
            eprintln!(
                "round {round}: /me {label}: p50 {p50:.0} µs, p99 {p99:.0} µs, {rate:.1} logins/s"
            );
            latency[slot].0.extend(latencies);
            latency[slot].1.push(p99);
            latency[slot].2.push(rate);
        }
    }

    // Part 3: wrk against /me and a bare axum handler, servers pinned to one CPU.
    let placement = Placement::choose();
    let mut pinned = tokio::runtime::Builder::new_multi_thread();
    if let Placement::Pinned { .. } = placement {
        pinned.worker_threads(1);
    }
    let pinned = pinned.enable_all().build().unwrap();
    let me_bytes = axum::body::Bytes::from(serde_json::to_vec(&me_json).unwrap());
    let targets: Vec<(&str, String, Option<String>)> = pinned.block_on(async {
        // Its own pool, so that its SQLite threads are pinned as well.
        let db = Db::connect(&database_url).await.unwrap();
        let me_addr = serve(account_app(&db, &jwt, raised_throttle())).await;
        let bare = |bytes: axum::body::Bytes| {
            axum::Router::new().route(
                "/auth/me",
                get(move || {
                    let bytes = bytes.clone();
                    async move { ([(http::header::CONTENT_TYPE, "application/json")], bytes) }
                }),
            )
        };
        let bare_addr = serve_router(bare(me_bytes.clone())).await;
        let bare_again = serve_router(bare(me_bytes.clone())).await;
        let value = me_json.clone();
        let bare_value = serve_router(axum::Router::new().route(
            "/auth/me",
            get(move || {
                let value = value.clone();
                async move { axum::Json(value) }
            }),
        ))
        .await;
        // Where the distance goes: the same pre-serialized body behind Aksara's
        // own layers, then behind the JWT authentication layer as well.
        let layered_bytes = |authenticated: bool| {
            let bytes = me_bytes.clone();
            let handler = get(move || {
                let bytes = bytes.clone();
                async move { ([(http::header::CONTENT_TYPE, "application/json")], bytes) }
            });
            let app = Aksara::new(db.clone());
            let app = if authenticated {
                app.middleware(
                    AuthenticationLayer::<User>::new().with(JwtAuthentication::new(jwt.clone())),
                )
            } else {
                app
            };
            app.route("/auth/me", handler)
        };
        let aksara_bytes = serve(layered_bytes(false)).await;
        let aksara_jwt_bytes = serve(layered_bytes(true)).await;
        let url = |addr: SocketAddr| format!("http://{addr}/auth/me");
        vec![
            (
                "bare axum, the /me JSON serialized once at start",
                url(bare_addr),
                None,
            ),
            (
                "bare axum again, another server (control: the noise floor)",
                url(bare_again),
                None,
            ),
            (
                "bare axum, Json(serde_json::Value) serialized per request",
                url(bare_value),
                None,
            ),
            (
                "Aksara, no authentication layer, the bytes handler (diagnostic)",
                url(aksara_bytes),
                None,
            ),
            (
                "Aksara + JwtAuthentication, bearer JWT, the bytes handler (diagnostic)",
                url(aksara_jwt_bytes),
                Some(format!("Authorization: Bearer {access_token}")),
            ),
            (
                "GET /auth/me, bearer JWT (AccountRoutes + JwtAuthentication)",
                url(me_addr),
                Some(format!("Authorization: Bearer {access_token}")),
            ),
        ]
    });
    for (_, url, header) in &targets {
        wrk(placement, url, header.as_deref(), 1); // warm-up
    }
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); targets.len()];
    for round in 0..wrk_rounds {
        for (slot, (label, url, header)) in targets.iter().enumerate() {
            let run = wrk(placement, url, header.as_deref(), wrk_seconds);
            eprintln!(
                "round {round}: {label}: {:.0} requests/s, {:.1} µs server CPU per request",
                run.rate, run.cpu_micros_per_request
            );
            runs[slot].push(run);
        }
    }

    let params = PasswordHasher::global().params();
    println!(
        "\nAccount API, {cores} cores; argon2id m = {} KiB, t = {}, p = {} (PasswordHasher::global()).",
        params.memory_kib, params.iterations, params.parallelism
    );
    println!(
        "Login throttle RAISED for the whole run: every limit 10⁹ per minute (still counting), \
         since all clients share 127.0.0.1 and a throughput run must not be refused with 429."
    );
    println!(
        "\n1. Throughput: {clients} kept-alive clients, {throughput_rounds} rounds of {phase:?} \
         (raw baseline, then the endpoint); raw argon2 = one thread per core, memory block reused; \
         ratio = median of per-round ratios.\n"
    );
    println!("| endpoint | per s (median) | raw argon2 per s (median) | ratio | bar |");
    println!("|---|---|---|---|---|");
    let login_ratio = ratio_median(&login_rounds);
    let register_ratio = ratio_median(&register_rounds);
    for (label, raw_label, rounds, ratio) in [
        (
            "POST /auth/login",
            "verifications",
            &login_rounds,
            login_ratio,
        ),
        (
            "POST /auth/register",
            "hashes",
            &register_rounds,
            register_ratio,
        ),
    ] {
        println!(
            "| {label} | {:.1} | {:.1} {raw_label} | {ratio:.2} | ≥ 0.90: {} |",
            median(rounds.iter().map(|round| round.endpoint)),
            median(rounds.iter().map(|round| round.raw)),
            verdict(ratio >= 0.9),
        );
    }
    println!(
        "\n2. GET /auth/me (bearer JWT) every 1 ms on one kept-alive connection, {latency_rounds} \
         interleaved rounds of {latency_phase:?} per phase (p50/p99 over all rounds); the flood: \
         {clients} clients sending POST /auth/login.\n"
    );
    println!("| phase | requests | p50 | p99 | p99 / idle (median of rounds) | logins/s |");
    println!("|---|---|---|---|---|---|");
    let mut p99_ratios = Vec::new();
    for (label, (latencies, p99s, rates)) in phase_labels.iter().zip(&latency) {
        let (count, p50, p99) = summary(latencies.clone());
        let ratio = median(p99s.iter().zip(&latency[0].1).map(|(p99, idle)| p99 / idle));
        p99_ratios.push(ratio);
        println!(
            "| {label} | {count} | {p50:.0} µs | {p99:.0} µs | {ratio:.2} | {:.1} |",
            median(rates.iter().copied())
        );
    }
    println!(
        "\n/me p99 during the login flood / idle: {:.2} (bar ≤ 2.00: {})",
        p99_ratios[1],
        verdict(p99_ratios[1] <= 2.0)
    );
    println!(
        "\n3. wrk -c64 -d{wrk_seconds}s over loopback, {}, medians of {wrk_rounds} interleaved \
         rounds (ratios are medians of the per-round ratios):\n",
        placement.describe()
    );
    println!("| endpoint | requests/s | vs bare | server CPU µs/request | vs bare |");
    println!("|---|---|---|---|---|");
    let mut me_ratio = 0.0;
    for (slot, ((label, _, _), target)) in targets.iter().zip(&runs).enumerate() {
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
        if slot == targets.len() - 1 {
            me_ratio = rate_ratio;
        }
        println!(
            "| {label} | {:.0} | {rate_ratio:.2} | {:.1} | {cpu_ratio:.2} |",
            median(target.iter().map(|run| run.rate)),
            median(target.iter().map(|run| run.cpu_micros_per_request)),
        );
    }
    println!(
        "\n/me with a JWT vs bare axum: {me_ratio:.2} (bar ≥ 0.80: {})",
        verdict(me_ratio >= 0.8)
    );
    let _ = std::fs::remove_file(&path);
}
