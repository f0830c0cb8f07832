//! What can go wrong with sessions, and the JSON responses each failure becomes:
//! [`SessionStoreError`] (the store is down: 503), [`SessionError`] (a value does
//! not (de)serialize: 500), [`SessionRejection`] (no [`SessionLayer`](super::SessionLayer):
//! 500) and [`SessionConfigError`] (a bad secret key, at start-up).

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// The boxed source error a store reports.
///
/// ```
/// let source: aksara_auth::session::BoxError = "connection reset".into();
/// let err = aksara_auth::session::SessionStoreError::Unavailable(source);
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A session store could not do what was asked. The [`SessionLayer`](super::SessionLayer)
/// answers the request with `503 Service Unavailable` and a JSON body
/// `{"error": {"code": "session_store_unavailable", …}}`; it never panics and never
/// gives a 500 for it.
///
/// ```
/// use aksara_auth::session::SessionStoreError;
/// let err = SessionStoreError::unavailable(std::io::Error::other("connection refused"));
/// assert!(err.to_string().contains("connection refused"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionStoreError {
    /// The backing service (database, Redis) failed or could not be reached.
    #[error("the session store is unavailable: {0}")]
    Unavailable(#[source] BoxError),
    /// A stored session could not be read back (for instance data that is not a
    /// JSON object). The layer treats the session as absent.
    #[error("a stored session is unreadable: {0}")]
    Corrupt(String),
    /// Concurrent writes to one session kept conflicting; the write was given up
    /// after this many attempts.
    #[error("gave up a session write after {0} attempts that conflicted with concurrent writes")]
    Conflict(u32),
}

impl SessionStoreError {
    /// Wraps a backend error as [`SessionStoreError::Unavailable`].
    ///
    /// ```
    /// let err = aksara_auth::session::SessionStoreError::unavailable(std::fmt::Error);
    /// assert!(matches!(err, aksara_auth::session::SessionStoreError::Unavailable(_)));
    /// ```
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        Self::Unavailable(source.into())
    }
}

impl From<SessionStoreError> for aksara::ApiError {
    /// `503 Service Unavailable`, `Retry-After: 1`, and a JSON error body. The
    /// store's own message is logged, not sent: it may name hosts.
    ///
    /// ```
    /// use aksara_auth::session::SessionStoreError;
    /// let api = aksara::ApiError::from(SessionStoreError::unavailable(std::fmt::Error));
    /// assert_eq!((api.status().as_u16(), api.code()), (503, "session_store_unavailable"));
    /// ```
    fn from(error: SessionStoreError) -> Self {
        tracing::error!(target: "aksara_auth::session", %error, "session store failed");
        aksara::ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "session_store_unavailable",
            "the session store is unavailable; try again shortly",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
    }
}

impl IntoResponse for SessionStoreError {
    /// As [`ApiError::from`](aksara::ApiError): a logged 503.
    fn into_response(self) -> Response {
        aksara::ApiError::from(self).into_response()
    }
}

/// A session value could not be turned into JSON, or back into the asked type.
/// As a response it is a 500 with code `session_data_invalid`: it is a bug in the
/// application (two handlers disagreeing on a key's type), not the client's fault.
///
/// ```
/// use aksara_auth::session::{MemoryStore, Session, SessionError};
/// # use axum::{Router, routing::get};
/// # use tower::ServiceExt;
/// async fn handler(session: Session) -> Result<String, SessionError> {
///     session.insert("count", &1).await?;
///     let wrong: Result<Option<String>, SessionError> = session.get("count").await;
///     assert!(matches!(wrong, Err(SessionError::Deserialize { .. })));
///     Ok("ok".into())
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let app = Router::new().route("/", get(handler))
/// #     .layer(aksara_auth::session::SessionLayer::new(MemoryStore::new()));
/// # let response = app.oneshot(http::Request::new(axum::body::Body::empty())).await.unwrap();
/// # assert_eq!(response.status(), 200);
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The value given to [`Session::insert`](super::Session::insert) does not
    /// serialize to JSON (for instance a map with non-string keys).
    #[error("session value for `{key}` does not serialize to JSON: {source}")]
    Serialize {
        /// The session key.
        key: String,
        /// Serde's error.
        source: serde_json::Error,
    },
    /// The stored value does not deserialize into the type asked of
    /// [`Session::get`](super::Session::get).
    #[error("session value for `{key}` does not fit the requested type: {source}")]
    Deserialize {
        /// The session key.
        key: String,
        /// Serde's error.
        source: serde_json::Error,
    },
}

impl From<SessionError> for aksara::ApiError {
    /// A logged `500 session_data_invalid`: a value that does not (de)serialize
    /// is a bug in the application, not the client's fault. (Store failures
    /// surface when the layer saves, as [`SessionStoreError`]'s 503.)
    fn from(error: SessionError) -> Self {
        tracing::error!(target: "aksara_auth::session", %error, "session data error");
        aksara::ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "session_data_invalid",
            "the session holds a value the server cannot read",
        )
    }
}

impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        aksara::ApiError::from(self).into_response()
    }
}

/// The rejection of the [`Session`](super::Session) extractor when the router has no
/// [`SessionLayer`](super::SessionLayer): a 500 whose JSON message says to add it.
///
/// ```
/// use aksara_auth::session::Session;
/// use axum::{Router, routing::get};
/// use tower::ServiceExt;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = Router::new().route("/", get(|_: Session| async { "unreachable" })); // no layer
/// let response = app.oneshot(http::Request::new(axum::body::Body::empty())).await.unwrap();
/// assert_eq!(response.status(), 500);
/// # }
/// ```
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error(
    "no session in the request: add `.layer(SessionLayer::new(store))` to the router (outside the routes that take `Session`)"
)]
pub struct SessionRejection;

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        tracing::error!(target: "aksara_auth::session", "{self}");
        aksara::ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "session_layer_missing",
            self.to_string(),
        )
        .into_response()
    }
}

/// A session layer setting that cannot work, reported when the layer is built.
///
/// ```
/// use aksara_auth::session::{MemoryStore, SessionConfigError, SessionLayer};
/// let err = SessionLayer::new(MemoryStore::new()).try_secret_key(b"short").unwrap_err();
/// assert!(matches!(err, SessionConfigError::SecretKeyTooShort { length: 5 }));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SessionConfigError {
    /// The secret key has fewer than 32 bytes.
    #[error(
        "the session secret key has {length} bytes; it needs at least 32 random bytes (for instance 64 hex characters from `openssl rand -hex 32`)"
    )]
    SecretKeyTooShort {
        /// The length given.
        length: usize,
    },
    /// The `[session]` settings are invalid; the error names the key.
    #[error(transparent)]
    Settings(std::sync::Arc<aksara::SettingsError>),
}
