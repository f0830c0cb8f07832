//! Serving an [`Aksara`] app: bind, log, bound what each client may hold, stop
//! gracefully.
//!
//! The server drives hyper's HTTP/1 connections itself rather than through
//! `axum::serve`, which sets no timeout and no connection limit: one client could
//! hold thousands of half-sent requests until the process ran out of file
//! descriptors. Here:
//!
//! - the accept loop takes a permit of a semaphore of `max_connections` before
//!   accepting, so above the limit connections wait in the kernel's accept queue
//!   and cost the process nothing;
//! - [`TimedIo`], around each socket, closes a connection that waits too long for
//!   a request: `header_read_timeout` from its opening (or from a later request's
//!   first byte), `idle_timeout` between requests. hyper's own
//!   `header_read_timeout` is off: it also runs while a kept-alive connection
//!   waits for its next request, so it could not give the two their own length;
//! - [`TimedBody`], around each request body, fails a body that has not arrived
//!   `body_read_timeout` after its headers, and [`ConnService`] then answers `408`
//!   and closes the connection, whatever the handler made of the error;
//! - on the stop signal the listener is closed, every connection is asked to
//!   finish its request in flight and close, and after `shutdown_timeout` those
//!   still open are dropped.
//!
//! Between a request's headers and the end of its response nothing is timed: a
//! slow handler, a long download or an upgraded connection (`101`) is the app's
//! business.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use futures_util::task::AtomicWaker;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower::Service;

use super::{Aksara, ApiError, AppFuture, AppService};
use crate::SettingsError;
use crate::settings::ServerSettings;

/// Why [`Aksara::serve`] did not start or stopped with an error.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// # let db = aksara::Db::connect("sqlite::memory:").await?;
/// let err = aksara::Aksara::new(db).serve("no-port-here").await.unwrap_err();
/// assert!(matches!(err, aksara::ServeError::Bind { .. }));
/// assert!(err.to_string().starts_with("cannot listen on `no-port-here`: "));
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address is malformed, taken, or not ours to listen on.
    #[error("cannot listen on `{addr}`: {source}{}", bind_hint(source))]
    Bind {
        /// The address as given.
        addr: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// The settings given to [`Aksara::settings`] are unsafe to serve with.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The listener failed while serving.
    #[error("server error: {0}")]
    Io(#[source] io::Error),
}

fn bind_hint(err: &io::Error) -> &'static str {
    match err.kind() {
        io::ErrorKind::InvalidInput => " (expected host:port, such as 127.0.0.1:8000)",
        io::ErrorKind::AddrInUse => {
            " (another process listens there: stop it or pick another port)"
        }
        io::ErrorKind::AddrNotAvailable => " (this machine has no such address)",
        io::ErrorKind::PermissionDenied => " (ports below 1024 need privileges)",
        _ => "",
    }
}

impl Aksara {
    /// Listens on `addr` (such as `"127.0.0.1:8000"`, or [`Settings::bind`](crate::Settings::bind))
    /// and serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
    /// Logs the address on target `aksara::serve`. Handlers can extract
    /// `ConnectInfo<SocketAddr>` for the client's address.
    ///
    /// Each client is bounded by the `[server]` settings of the app
    /// ([`ServerSettings`], their defaults when the app has no settings): a
    /// request's headers must arrive within `header_read_timeout` (else the
    /// connection is closed), its body within `body_read_timeout` (else a `408`
    /// `request_timeout` error and the connection is closed), a kept-alive
    /// connection is closed after `idle_timeout` without a request, and at most
    /// `max_connections` are open at once (further ones wait in the accept queue;
    /// the first time in a burst, a warning is logged). After the stop signal the
    /// server stops accepting, lets the requests in flight finish for up to
    /// `shutdown_timeout`, then closes what is left. Timeouts are logged at debug
    /// level on target `aksara::serve`.
    ///
    /// # Errors
    /// [`ServeError::Settings`] before binding, when the app's settings have a weak
    /// secret key outside debug mode; [`ServeError::Bind`] when the address is
    /// malformed or unavailable; [`ServeError::Io`] when the listener fails.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let settings = aksara::Settings::load()?;
    /// let db = aksara::Db::connect(&settings.database_url).await?;
    /// let bind = settings.bind.clone();
    /// aksara::Aksara::new(db)
    ///     .settings(settings)
    ///     .route("/", axum::routing::get(|| async { "hello" }))
    ///     .serve(&bind)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn serve(self, addr: impl ToSocketAddrs + fmt::Display) -> Result<(), ServeError> {
        self.check_settings()?;
        let shown = addr.to_string();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind {
                addr: shown,
                source,
            })?;
        self.serve_with_shutdown(listener, shutdown_signal()).await
    }

    /// Serves on a listener you bound (port 0 for tests, a socket handed over by
    /// systemd, …) until Ctrl-C or SIGTERM.
    ///
    /// # Errors
    /// As [`Aksara::serve`], without [`ServeError::Bind`].
    ///
    /// ```no_run
    /// # async fn run(db: aksara::Db) -> Result<(), aksara::ServeError> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// aksara::Aksara::new(db).serve_listener(listener).await
    /// # }
    /// ```
    pub async fn serve_listener(self, listener: TcpListener) -> Result<(), ServeError> {
        self.serve_with_shutdown(listener, shutdown_signal()).await
    }

    /// Serves on `listener` until `signal` completes, then stops accepting
    /// connections and returns once the requests in flight have been answered
    /// (or `shutdown_timeout` has passed). The limits are those of
    /// [`Aksara::serve`].
    ///
    /// # Errors
    /// As [`Aksara::serve_listener`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let server = tokio::spawn(
    ///     aksara::Aksara::new(db)
    ///         .route("/", axum::routing::get(|| async { "hello" }))
    ///         .serve_with_shutdown(listener, async move { let _ = stopped.await; }),
    /// );
    /// stop.send(()).unwrap();
    /// server.await??;
    /// # Ok(()) }
    /// ```
    pub async fn serve_with_shutdown<F>(
        self,
        listener: TcpListener,
        signal: F,
    ) -> Result<(), ServeError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.check_settings()?;
        let limits = self
            .settings_ref()
            .map(|settings| settings.server.clone())
            .unwrap_or_default();
        let address = listener.local_addr().map_err(ServeError::Io)?;
        let service = self.into_service();
        tracing::info!(target: "aksara::serve", %address, "listening on http://{address}");
        Server::new(service, &limits).run(listener, signal).await;
        tracing::info!(target: "aksara::serve", %address, "stopped");
        Ok(())
    }

    fn check_settings(&self) -> Result<(), SettingsError> {
        self.settings_ref()
            .map_or(Ok(()), crate::Settings::check_secret_key)
    }
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM — what [`Aksara::serve`] stops
/// on. Use it with `axum::serve(…).with_graceful_shutdown(shutdown_signal())` on a
/// plain router.
///
/// ```no_run
/// # async fn run(router: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// axum::serve(listener, router)
///     .with_graceful_shutdown(aksara::web::shutdown_signal())
///     .await
/// # }
/// ```
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(target: "aksara::serve", error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(target: "aksara::serve", error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!(target: "aksara::serve", "shutting down: finishing requests in flight");
}

/// The limits of one server, shared by its connections.
#[derive(Debug)]
struct Limits {
    header_read: Duration,
    body_read: Duration,
    idle: Duration,
    shutdown: Duration,
    /// `max_connections`, as many permits as a semaphore holds and
    /// `acquire_many` takes.
    connections: u32,
}

impl Limits {
    fn new(settings: &ServerSettings) -> Self {
        let most = u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX);
        Self {
            header_read: settings.header_read_timeout,
            body_read: settings.body_read_timeout,
            idle: settings.idle_timeout,
            shutdown: settings.shutdown_timeout,
            connections: u32::try_from(settings.max_connections)
                .unwrap_or(u32::MAX)
                .clamp(1, most),
        }
    }
}

/// What the accept loop tells the connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Running,
    /// Finish the request in flight, then close.
    Draining,
    /// Close now: `shutdown_timeout` has passed.
    Closing,
}

/// The accept loop and what it hands each connection.
struct Server {
    app: AppService,
    limits: Arc<Limits>,
    permits: Arc<Semaphore>,
}

impl Server {
    fn new(app: AppService, settings: &ServerSettings) -> Self {
        let limits = Limits::new(settings);
        warn_if_above_file_limit(limits.connections);
        Self {
            app,
            permits: Arc::new(Semaphore::new(limits.connections as usize)),
            limits: Arc::new(limits),
        }
    }

    /// Serves `listener` until `signal`, then shuts down gracefully.
    async fn run(self, listener: TcpListener, signal: impl Future<Output = ()>) {
        let (stop, stopping) = watch::channel(Stop::Running);
        let mut signal = pin!(signal);
        // Set when the limit is reached; cleared once a quarter of the
        // connections are free again, so a burst gets one warning.
        let mut saturated = false;
        loop {
            let permit = match Arc::clone(&self.permits).try_acquire_owned() {
                Ok(permit) => permit,
                Err(_) => {
                    if !saturated {
                        saturated = true;
                        tracing::warn!(
                            target: "aksara::serve",
                            max_connections = self.limits.connections,
                            "connection limit reached: new connections wait in the accept queue \
                             until one closes (raise [server] max_connections if this is load, \
                             not an attack)"
                        );
                    }
                    tokio::select! {
                        permit = Arc::clone(&self.permits).acquire_owned() => match permit {
                            Ok(permit) => permit,
                            Err(_) => break,
                        },
                        () = &mut signal => break,
                    }
                }
            };
            if saturated && self.permits.available_permits() >= self.limits.connections as usize / 4
            {
                saturated = false;
                tracing::debug!(target: "aksara::serve", "below the connection limit again");
            }
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut signal => break,
            };
            match accepted {
                Ok((stream, peer)) => {
                    tracing::trace!(target: "aksara::serve", %peer, "connection accepted");
                    let connection = Connection {
                        app: self.app.clone(),
                        limits: Arc::clone(&self.limits),
                        peer,
                    };
                    tokio::spawn(connection.run(stream, stopping.clone(), permit));
                }
                Err(err) if is_connection_error(&err) => {}
                Err(err) => {
                    // Out of file descriptors, most likely: wait for some to close
                    // rather than spin, as hyper 0.14's server did.
                    tracing::error!(target: "aksara::serve", error = %err, "cannot accept a connection; retrying in 1 s");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        () = &mut signal => break,
                    }
                }
            }
        }
        drop(listener);
        self.shut_down(&stop).await;
    }

    /// Asks every connection to finish and waits up to `shutdown_timeout`, then
    /// closes the rest.
    async fn shut_down(&self, stop: &watch::Sender<Stop>) {
        let open = self.limits.connections as usize - self.permits.available_permits();
        tracing::debug!(target: "aksara::serve", open, "no longer accepting; finishing the requests in flight");
        stop.send_replace(Stop::Draining);
        let all_closed = || self.permits.acquire_many(self.limits.connections);
        if tokio::time::timeout(self.limits.shutdown, all_closed())
            .await
            .is_ok()
        {
            return;
        }
        let open = self.limits.connections as usize - self.permits.available_permits();
        tracing::warn!(
            target: "aksara::serve",
            open,
            timeout = ?self.limits.shutdown,
            "shutdown_timeout passed: closing the connections still open"
        );
        stop.send_replace(Stop::Closing);
        // Each connection drops its socket as soon as it sees `Closing`.
        let _ = tokio::time::timeout(Duration::from_secs(1), all_closed()).await;
    }
}

/// Descriptors kept for the listener, the database pool, logs and files.
const SPARE_DESCRIPTORS: u64 = 64;

/// Warns when the process may not open `max_connections` sockets: past its
/// open-file limit, accepting fails instead of waiting in the queue. (Linux
/// only: read from `/proc/self/limits`.)
fn warn_if_above_file_limit(connections: u32) {
    let Some(limit) = open_file_limit() else {
        return;
    };
    if u64::from(connections) + SPARE_DESCRIPTORS > limit {
        tracing::warn!(
            target: "aksara::serve",
            max_connections = connections,
            open_file_limit = limit,
            "max_connections is above what the open-file limit (ulimit -n) leaves for sockets: \
             past it, new connections fail with \"too many open files\"; raise the limit or \
             lower [server] max_connections"
        );
    }
}

/// The soft limit on open files, where `/proc` says it.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Errors of one incoming connection, not of the listener.
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One accepted connection.
struct Connection {
    app: AppService,
    limits: Arc<Limits>,
    peer: SocketAddr,
}

impl Connection {
    /// Serves the connection until it closes or the server stops; the permit
    /// counts it against `max_connections` until then.
    async fn run(
        self,
        stream: TcpStream,
        mut stop: watch::Receiver<Stop>,
        _permit: tokio::sync::OwnedSemaphorePermit,
    ) {
        let state = Arc::new(ConnectionState::default());
        let io = TimedIo::new(stream, Arc::clone(&state), &self.limits, self.peer);
        let service = ConnService {
            app: self.app,
            peer: ConnectInfo(self.peer),
            body_read: self.limits.body_read,
            state,
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        // `TimedIo` times the wait for a request; hyper's timer would also cut
        // kept-alive connections at the header timeout.
        builder.header_read_timeout(None);
        let mut connection = pin!(
            builder
                .serve_connection(TokioIo::new(io), service)
                .with_upgrades()
        );
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::trace!(target: "aksara::serve", peer = %self.peer, error = %err, "connection ended with an error");
                    }
                    return;
                }
                changed = stop.changed() => {
                    let now = *stop.borrow_and_update();
                    match (changed, now) {
                        (Ok(()), Stop::Running) => {}
                        (Ok(()), Stop::Draining) => connection.as_mut().graceful_shutdown(),
                        (Ok(()), Stop::Closing) | (Err(_), _) => return,
                    }
                }
            }
        }
    }
}

/// What a connection's socket, service and bodies tell each other.
#[derive(Debug, Default)]
struct ConnectionState {
    /// A request has been received and its response is not finished: nothing is
    /// timed on the socket.
    busy: AtomicBool,
    /// The connection was upgraded (`101`): it is no longer HTTP.
    upgraded: AtomicBool,
    /// Responses finished; a new value starts the idle wait.
    responses: AtomicU32,
    /// The body of the request in flight missed `body_read_timeout`.
    body_timed_out: AtomicBool,
    /// The socket's reader, when it found the connection busy: hyper may wait
    /// for the next request before the response is finished, and the idle
    /// timer must then start when it is.
    reader: AtomicWaker,
}

/// What a [`TimedIo`] waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// The rest of a request's line and headers.
    Headers,
    /// The first byte of the next request on a kept-alive connection.
    Idle,
}

/// A connection's socket, which fails its read once a request is late: the
/// headers `header_read_timeout` after the connection opened (or after the first
/// byte of a later request), or the next request `idle_timeout` after the last
/// response. hyper then closes the connection.
struct TimedIo {
    stream: TcpStream,
    /// Boxed: hyper needs the socket `Unpin`. One timer per connection, reset
    /// for each wait.
    deadline: Pin<Box<Sleep>>,
    waiting_for: Wait,
    /// `ConnectionState::responses` when the current wait began.
    responses: u32,
    state: Arc<ConnectionState>,
    header_read: Duration,
    idle: Duration,
    peer: SocketAddr,
}

impl TimedIo {
    fn new(
        stream: TcpStream,
        state: Arc<ConnectionState>,
        limits: &Limits,
        peer: SocketAddr,
    ) -> Self {
        Self {
            stream,
            deadline: Box::pin(tokio::time::sleep(limits.header_read)),
            waiting_for: Wait::Headers,
            responses: 0,
            state,
            header_read: limits.header_read,
            idle: limits.idle,
            peer,
        }
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let state = &*this.state;
        if state.upgraded.load(Ordering::Acquire) {
            return Pin::new(&mut this.stream).poll_read(cx, buf);
        }
        if state.busy.load(Ordering::Acquire) {
            state.reader.register(cx.waker());
            return Pin::new(&mut this.stream).poll_read(cx, buf);
        }
        let responses = state.responses.load(Ordering::Acquire);
        if responses != this.responses {
            this.responses = responses;
            this.waiting_for = Wait::Idle;
            this.deadline.as_mut().reset(Instant::now() + this.idle);
        }
        let filled = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if this.waiting_for == Wait::Idle && buf.filled().len() > filled {
                    this.waiting_for = Wait::Headers;
                    this.deadline
                        .as_mut()
                        .reset(Instant::now() + this.header_read);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => {
                ready!(this.deadline.as_mut().poll(cx));
                let (timeout, limit) = match this.waiting_for {
                    Wait::Headers => ("header_read_timeout", this.header_read),
                    Wait::Idle => ("idle_timeout", this.idle),
                };
                tracing::debug!(
                    target: "aksara::serve",
                    peer = %this.peer,
                    ?limit,
                    "closing the connection: {timeout} passed"
                );
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, timeout)))
            }
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The app as hyper calls it on one connection: it adds `ConnectInfo`, times the
/// request body and marks the connection busy until the response is finished.
struct ConnService {
    app: AppService,
    peer: ConnectInfo<SocketAddr>,
    body_read: Duration,
    state: Arc<ConnectionState>,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = ConnFuture;

    fn call(&self, request: Request<Incoming>) -> ConnFuture {
        self.state.busy.store(true, Ordering::Release);
        self.state.body_timed_out.store(false, Ordering::Relaxed);
        let deadline = Instant::now() + self.body_read;
        let mut request = request.map(|body| TimedBody {
            inner: body,
            deadline,
            sleep: None,
            state: Arc::clone(&self.state),
        });
        request.extensions_mut().insert(self.peer);
        ConnFuture {
            future: self.app.clone().call(request),
            state: Arc::clone(&self.state),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of a [`ConnService`].
    struct ConnFuture {
        #[pin]
        future: AppFuture,
        state: Arc<ConnectionState>,
    }
}

impl Future for ConnFuture {
    type Output = Result<Response<ResponseBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Ok(mut response) = ready!(this.future.poll(cx));
        let state = Arc::clone(this.state);
        if state.body_timed_out.load(Ordering::Relaxed) {
            response = body_timeout_response();
        } else if response.status() == StatusCode::SWITCHING_PROTOCOLS {
            state.upgraded.store(true, Ordering::Release);
        }
        Poll::Ready(Ok(response.map(|body| ResponseBody {
            inner: body,
            _finished: Finished(state),
        })))
    }
}

/// The `408` for a body that missed `body_read_timeout`; the rest of the body
/// may still be on its way, so the connection closes after it.
fn body_timeout_response() -> axum::response::Response {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "the request body did not arrive in time",
    )
    .with_header(header::CONNECTION, HeaderValue::from_static("close"))
    .into_response()
}

/// A request body that fails once it is `body_read_timeout` late.
struct TimedBody {
    inner: Incoming,
    deadline: Instant,
    /// Made the first time the body has to wait, so a body that arrives with
    /// its headers costs no timer.
    sleep: Option<Pin<Box<Sleep>>>,
    state: Arc<ConnectionState>,
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|frame| frame.map_err(BoxError::from))),
            Poll::Pending => {
                let deadline = this.deadline;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                ready!(sleep.as_mut().poll(cx));
                if !this.state.body_timed_out.swap(true, Ordering::Relaxed) {
                    tracing::debug!(target: "aksara::serve", "answering 408: body_read_timeout passed");
                }
                Poll::Ready(Some(Err(BodyTimeout.into())))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The error a handler reading a late body gets.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within body_read_timeout")]
struct BodyTimeout;

/// A response body that marks its connection idle when hyper is done with it.
struct ResponseBody {
    inner: Body,
    _finished: Finished,
}

impl HttpBody for ResponseBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Dropped with the response body: the connection waits for its next request.
struct Finished(Arc<ConnectionState>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.responses.fetch_add(1, Ordering::AcqRel);
        self.0.busy.store(false, Ordering::Release);
        self.0.reader.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_open_file_limit_is_read_from_proc() {
        assert!(open_file_limit().is_some_and(|limit| limit > 0));
    }

    #[test]
    fn limits_fit_a_semaphore() {
        let mut settings = ServerSettings::default();
        assert_eq!(Limits::new(&settings).connections, 1024);
        settings.max_connections = usize::MAX;
        assert_eq!(
            Limits::new(&settings).connections as usize,
            Semaphore::MAX_PERMITS.min(u32::MAX as usize)
        );
    }
}
