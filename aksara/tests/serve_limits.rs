//! What one client may hold of a server started by `Aksara::serve_with_shutdown`,
//! over loopback (issue 13, point 2: with `axum::serve`'s defaults a client held
//! 19,990 half-sent requests until the server ran out of file descriptors, and a
//! body that never came or an idle keep-alive connection was held for minutes).
//! Each test sets short `[server]` timeouts through `Settings`, so the suite runs
//! in a few seconds, and each fails against a server without the limits: the
//! connections it expects closed stay open, or the connection it expects held
//! back is served at once.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aksara::{Aksara, Db, ServeError, Settings};
use axum::extract::ConnectInfo;
use axum::routing::{get, post};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A served app; dropping `stop` (or sending on it) shuts it down.
struct Served {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Result<(), ServeError>>,
}

/// Serves a small app with `[server]` set to `server` (TOML lines).
async fn serve(server: &str) -> Served {
    async fn peer(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
        peer.to_string()
    }
    async fn echo_length(body: String) -> String {
        body.len().to_string()
    }
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_millis(400)).await;
        "finished"
    }
    async fn forever() -> &'static str {
        std::future::pending().await
    }

    let settings = Settings::from_sources(
        Some(&format!("debug = true\n[server]\n{server}\n")),
        None::<(String, String)>,
    )
    .expect("test settings");
    let db = Db::connect("sqlite::memory:").await.expect("sqlite");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let app = Aksara::new(db)
        .settings(settings)
        .route("/", get(|| async { "ok" }))
        .route("/peer", get(peer))
        .route("/echo", post(echo_length))
        .route("/slow", get(slow))
        .route("/forever", get(forever));
    let server = tokio::spawn(app.serve_with_shutdown(listener, async move {
        let _ = stopped.await;
    }));
    Served {
        address,
        stop,
        server,
    }
}

/// One response read off a connection.
#[derive(Debug)]
struct Reply {
    status: u16,
    /// The header lines, lower-cased.
    headers: String,
    body: String,
}

/// Reads one response (with a `Content-Length`) off `stream`.
async fn read_reply(stream: &mut TcpStream) -> std::io::Result<Reply> {
    let mut bytes = Vec::new();
    let mut chunk = [0_u8; 4096];
    let head_end = loop {
        if let Some(end) = bytes.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        bytes.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    let status = head[9..12].parse().expect("status code");
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .map_or(0, |length| length.trim().parse().expect("length"));
    let mut body = bytes[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Ok(Reply {
        status,
        headers: head,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// `GET path` on a fresh connection, answered within `limit`.
async fn get_once(address: SocketAddr, path: &str, limit: Duration) -> Reply {
    let exchange = async {
        let mut stream = TcpStream::connect(address).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        read_reply(&mut stream).await
    };
    tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or_else(|_| panic!("GET {path} not answered within {limit:?}"))
        .expect("GET answered")
}

/// Waits until the server closes `stream` (end of file or reset), ignoring any
/// bytes it sends first; the time it took, or `None` after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut chunk = [0_u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return start.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

/// A keep-alive `GET /` on `stream`, answered 200.
async fn get_kept_alive(stream: &mut TcpStream) {
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("send");
    let reply = tokio::time::timeout(Duration::from_secs(2), read_reply(stream))
        .await
        .expect("answered in time")
        .expect("answered");
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_are_closed_after_the_header_timeout_and_do_not_block_a_probe() {
    let served = serve("header_read_timeout = \"500ms\"\nidle_timeout = \"30s\"").await;
    let opened = Instant::now();
    let mut silent = Vec::new();
    let mut partial = Vec::new();
    for index in 0..300 {
        let mut stream = TcpStream::connect(served.address).await.expect("connect");
        if index % 3 == 0 {
            silent.push(stream);
        } else {
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nX-Padding: ")
                .await
                .expect("partial headers");
            partial.push(stream);
        }
    }
    // Two more keep sending a header byte every 50 ms: the deadline is not
    // pushed back by each byte.
    let mut tricklers = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(served.address).await.expect("connect");
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nX-Trickle: ")
            .await
            .expect("partial headers");
        tricklers.push(stream);
    }

    let probe_start = Instant::now();
    let reply = get_once(served.address, "/", Duration::from_secs(2)).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    let probe = probe_start.elapsed();
    assert!(
        probe < Duration::from_secs(1),
        "probe took {probe:?} beside 302 slow connections"
    );

    let trickling = tokio::spawn(async move {
        let start = Instant::now();
        'streams: loop {
            for stream in &mut tricklers {
                if stream.write_all(b"a").await.is_err() {
                    break 'streams;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            if start.elapsed() > Duration::from_secs(3) {
                return None;
            }
        }
        let mut closed = Vec::new();
        for stream in &mut tricklers {
            closed.push(closed_within(stream, Duration::from_secs(3)).await);
        }
        Some(closed)
    });

    for (kind, streams) in [("silent", &mut silent), ("partial", &mut partial)] {
        for stream in streams.iter_mut() {
            let limit = Duration::from_millis(2500).saturating_sub(opened.elapsed());
            assert!(
                closed_within(stream, limit).await.is_some(),
                "a {kind} connection was still open {:?} after it opened (header_read_timeout 500ms)",
                opened.elapsed()
            );
        }
    }
    let closed = trickling
        .await
        .expect("trickling task")
        .expect("a trickling connection was still accepted after 3 s");
    assert!(closed.iter().all(Option::is_some), "{closed:?}");
    let reply = get_once(served.address, "/", Duration::from_secs(2)).await;
    assert_eq!(reply.status, 200);
    drop(served.stop);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_body_that_never_comes_gets_a_408_and_the_connection_closes() {
    let served = serve("body_read_timeout = \"500ms\"\nheader_read_timeout = \"5s\"").await;

    // A body that arrives in two parts within the timeout is read as usual.
    let mut stream = TcpStream::connect(served.address).await.expect("connect");
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nhello")
        .await
        .expect("first part");
    tokio::time::sleep(Duration::from_millis(150)).await;
    stream.write_all(b"world").await.expect("second part");
    let reply = read_reply(&mut stream).await.expect("answered");
    assert_eq!((reply.status, reply.body.as_str()), (200, "10"));

    // 20 MB declared, a few bytes sent.
    let mut stream = TcpStream::connect(served.address).await.expect("connect");
    let start = Instant::now();
    stream
        .write_all(
            b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\n\
              Content-Length: 20000000\r\n\r\nthe start of it",
        )
        .await
        .expect("headers and a few bytes");
    let reply = tokio::time::timeout(Duration::from_secs(3), read_reply(&mut stream))
        .await
        .expect("a stalled body is answered within 3 s (body_read_timeout 500ms)")
        .expect("answered");
    let waited = start.elapsed();
    assert_eq!(reply.status, 408, "{reply:?}");
    assert!(
        reply.headers.contains("content-type: application/json"),
        "{reply:?}"
    );
    assert!(reply.headers.contains("connection: close"), "{reply:?}");
    assert!(
        reply
            .body
            .starts_with(r#"{"error":{"code":"request_timeout","#),
        "{reply:?}"
    );
    assert!(
        waited >= Duration::from_millis(400),
        "answered after {waited:?}"
    );
    assert!(
        closed_within(&mut stream, Duration::from_secs(1))
            .await
            .is_some(),
        "the connection is closed after the 408"
    );
    drop(served.stop);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let served = serve("idle_timeout = \"500ms\"\nheader_read_timeout = \"5s\"").await;
    let mut stream = TcpStream::connect(served.address).await.expect("connect");
    get_kept_alive(&mut stream).await;
    let closed = closed_within(&mut stream, Duration::from_secs(3))
        .await
        .expect("the idle connection was still open 3 s after its response (idle_timeout 500ms)");
    assert!(
        closed >= Duration::from_millis(400),
        "closed {closed:?} after the response, before the idle timeout"
    );
    drop(served.stop);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idle_and_header_timeouts_are_separate() {
    // hyper's own header timer also runs while a kept-alive connection waits
    // for its next request, which would close it here after 300 ms.
    let served = serve("header_read_timeout = \"300ms\"\nidle_timeout = \"5s\"").await;
    let mut stream = TcpStream::connect(served.address).await.expect("connect");
    get_kept_alive(&mut stream).await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    get_kept_alive(&mut stream).await;

    // Once a later request has begun, its headers have header_read_timeout.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: te")
        .await
        .expect("partial headers");
    let closed = closed_within(&mut stream, Duration::from_secs(3))
        .await
        .expect("a half-sent second request was still open after 3 s (header_read_timeout 300ms)");
    assert!(closed < Duration::from_secs(2), "closed after {closed:?}");
    drop(served.stop);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_above_max_connections_wait_until_one_closes() {
    let served = serve("max_connections = 2\nheader_read_timeout = \"10s\"").await;
    let first = TcpStream::connect(served.address).await.expect("connect");
    let _second = TcpStream::connect(served.address).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(100)).await;

    // The third is queued by the kernel, not served.
    let mut third = TcpStream::connect(served.address).await.expect("connect");
    third
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let early = tokio::time::timeout(Duration::from_millis(500), read_reply(&mut third)).await;
    assert!(
        early.is_err(),
        "a third connection was served with max_connections = 2: {early:?}"
    );

    // One closes: the third is served, and the server keeps answering.
    drop(first);
    let reply = tokio::time::timeout(Duration::from_secs(2), read_reply(&mut third))
        .await
        .expect("served once a connection closed")
        .expect("answered");
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    let reply = get_once(served.address, "/", Duration::from_secs(2)).await;
    assert_eq!(reply.status, 200);
    drop(served.stop);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_still_get_the_peer_address() {
    let served = serve("").await;
    let mut stream = TcpStream::connect(served.address).await.expect("connect");
    let local = stream.local_addr().expect("local address");
    stream
        .write_all(b"GET /peer HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("send");
    let reply = read_reply(&mut stream).await.expect("answered");
    assert_eq!(reply.body, local.to_string());
    drop(served.stop);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight_then_closes_what_is_left() {
    // Idle connections close at once; a request in flight is answered.
    let served = serve("shutdown_timeout = \"5s\"").await;
    let mut idle = TcpStream::connect(served.address).await.expect("connect");
    get_kept_alive(&mut idle).await;
    let address = served.address;
    let in_flight =
        tokio::spawn(async move { get_once(address, "/slow", Duration::from_secs(3)).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    served.stop.send(()).expect("server running");
    assert!(
        closed_within(&mut idle, Duration::from_secs(1))
            .await
            .is_some(),
        "an idle connection is closed at shutdown"
    );
    assert_eq!(in_flight.await.expect("task").body, "finished");
    tokio::time::timeout(Duration::from_secs(3), served.server)
        .await
        .expect("stopped once the request in flight was answered")
        .expect("task")
        .expect("served");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );

    // A request that never ends is cut at shutdown_timeout.
    let served = serve("shutdown_timeout = \"300ms\"").await;
    let mut hung = TcpStream::connect(served.address).await.expect("connect");
    hung.write_all(b"GET /forever HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    served.stop.send(()).expect("server running");
    tokio::time::timeout(Duration::from_secs(3), served.server)
        .await
        .expect("stopped after shutdown_timeout")
        .expect("task")
        .expect("served");
    let stopped = start.elapsed();
    assert!(
        (Duration::from_millis(250)..Duration::from_secs(2)).contains(&stopped),
        "stopped after {stopped:?} (shutdown_timeout 300ms)"
    );
    assert!(
        closed_within(&mut hung, Duration::from_secs(1))
            .await
            .is_some()
    );
    assert!(
        TcpStream::connect(address).await.is_err(),
        "the listener is closed"
    );
}
