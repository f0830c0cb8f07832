//! The `[server]` section: how long [`Aksara::serve`](crate::Aksara::serve) waits
//! on a client, and how many connections it holds.

use std::time::Duration;

use serde::Deserialize;

use super::{GivenKeys, InvalidKey, Section, deserialize_duration};

/// Timeouts and the connection limit of [`Aksara::serve`](crate::Aksara::serve)
/// (`[server]` in TOML, `AKSARA_SERVER_*` in the environment).
///
/// Without them one client can hold the server: connections that send their
/// headers a byte at a time (slowloris), a declared body that never comes, or
/// keep-alive connections left open, until the process runs out of file
/// descriptors and stops answering everyone. The defaults close such
/// connections within seconds while leaving room for slow mobile clients and
/// ordinary uploads; behind a reverse proxy that enforces its own, they are a
/// second line.
///
/// | setting | default | what it bounds |
/// |---|---|---|
/// | [`header_read_timeout`](Self::header_read_timeout) | 10 s | a request's line and headers, from the connection's opening (or the request's first byte on a kept-alive connection) |
/// | [`body_read_timeout`](Self::body_read_timeout) | 30 s | the whole request body, from the end of the headers |
/// | [`idle_timeout`](Self::idle_timeout) | 60 s | a kept-alive connection waiting for its next request |
/// | [`max_connections`](Self::max_connections) | 1024 | open connections of this process |
/// | [`shutdown_timeout`](Self::shutdown_timeout) | 30 s | finishing the requests in flight after the stop signal |
///
/// A connection whose headers are late is closed without an answer (it has not
/// said what it wants yet); a body that is late ends the request with a `408`
/// [`ApiError`](crate::ApiError) (`request_timeout`) and closes the connection.
/// Above `max_connections`, new connections are not accepted: they wait in the
/// operating system's accept queue, holding no descriptor or memory of the
/// process, and are served as soon as an open connection closes (the queue holds
/// about 1024; beyond it the system refuses them). Lower it below the process's
/// open-file limit (`ulimit -n`) minus what the database pool and files need.
///
/// ```
/// use std::time::Duration;
/// let settings = aksara::Settings::from_sources(
///     Some("debug = true\n[server]\nheader_read_timeout = \"5s\"\n"),
///     [("AKSARA_SERVER_MAX_CONNECTIONS", "256")],
/// )?;
/// assert_eq!(settings.server.header_read_timeout, Duration::from_secs(5));
/// assert_eq!(settings.server.max_connections, 256);
/// assert_eq!(settings.server.idle_timeout, Duration::from_secs(60)); // the default
/// # Ok::<(), aksara::SettingsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ServerSettings {
    /// Time allowed for a request's line and headers to arrive (default 10 s):
    /// counted from the connection's opening for its first request, and from
    /// the first byte of each later request on a kept-alive connection. A
    /// browser sends its headers in one packet; 10 s leaves room for a slow
    /// mobile link while cutting a slowloris client off quickly.
    #[serde(deserialize_with = "deserialize_duration")]
    pub header_read_timeout: Duration,
    /// Time allowed for a whole request body to arrive, counted from the end of
    /// its headers (default 30 s: a few megabytes on a slow link). Raise it if
    /// clients upload large files.
    #[serde(deserialize_with = "deserialize_duration")]
    pub body_read_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request (default
    /// 60 s, under the 75 s that nginx uses and above the 5 s of Node, so
    /// browsers and proxies reuse connections without holding them for minutes).
    #[serde(deserialize_with = "deserialize_duration")]
    pub idle_timeout: Duration,
    /// Open connections this process serves at once (default 1024); further
    /// ones wait in the accept queue until one closes.
    pub max_connections: usize,
    /// After the stop signal, how long the requests in flight may take before
    /// their connections are closed (default 30 s, as Kubernetes'
    /// `terminationGracePeriodSeconds`; `0` closes them at once).
    #[serde(deserialize_with = "deserialize_duration")]
    pub shutdown_timeout: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

impl Section for ServerSettings {
    const NAME: &'static str = "server";

    /// Refuses a value that would disable a guard: a zero timeout or no connection.
    fn finish(&mut self, _given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
        InvalidKey::unless_nonzero([
            ("header_read_timeout", self.header_read_timeout),
            ("body_read_timeout", self.body_read_timeout),
            ("idle_timeout", self.idle_timeout),
        ])?;
        if self.max_connections == 0 {
            return Err(InvalidKey::new(
                "max_connections",
                "expected at least 1 connection",
            ));
        }
        Ok(())
    }
}

crate::declare_section!(ServerSettings);
