//! Extractors: [`Db`] straight from the request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::ApiError;
use crate::Db;

/// A handler takes `db: Db` to reach the database. [`Aksara`](crate::Aksara) adds
/// the handle to every request; on a plain `axum::Router`, add it with
/// `.layer(Extension(db))`. `Extension<Db>` works as well.
///
/// Without the layer, the request fails with a 500 `internal_error` and an error
/// event on target `aksara::web` that says what to add.
///
/// ```
/// use aksara::Db;
/// use axum::{Extension, Router, routing::get};
/// use tower::ServiceExt;
///
/// async fn backend(db: Db) -> String {
///     format!("{:?}", db.backend())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// let app = Router::new().route("/", get(backend)).layer(Extension(db));
/// let request = axum::http::Request::get("/").body(axum::body::Body::empty()).unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// # Ok(()) }
/// ```
impl<S: Send + Sync> FromRequestParts<S> for Db {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Db>().cloned().ok_or_else(|| {
            tracing::error!(
                target: "aksara::web",
                "a handler asked for `Db`, but the request carries none: build the app with \
                 `Aksara::new(db)`, or add `.layer(axum::Extension(db))` to the router"
            );
            ApiError::internal()
        })
    }
}
