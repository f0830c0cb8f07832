//! Serving an [`Aksara`] app: bind, log, stop gracefully.

use std::fmt;
use std::future::Future;
use std::io;

use tokio::net::{TcpListener, ToSocketAddrs};

use super::Aksara;
use crate::SettingsError;

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
    /// connections and returns once the requests in flight have been answered.
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
        let address = listener.local_addr().map_err(ServeError::Io)?;
        let service = self.into_service();
        tracing::info!(target: "aksara::serve", %address, "listening on http://{address}");
        axum::serve(listener, service)
            .with_graceful_shutdown(signal)
            .await
            .map_err(ServeError::Io)?;
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
