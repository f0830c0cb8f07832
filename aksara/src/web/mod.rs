//! The web side: the [`Aksara`] app builder over axum, serving it, the JSON error
//! body every response shares ([`ApiError`]), and `Db` as an extractor.
//!
//! Everything here but the builder's own types ([`Aksara`], [`AppRoute`]) also
//! works on a plain `axum::Router`: [`Aksara::into_router`] returns one, and the
//! pieces it adds are public — `Extension(db)` for the [`Db`](crate::Db)
//! extractor, [`ApiError`] for error bodies, [`shutdown_signal`] for graceful
//! shutdown.
//!
//! Behind the default `web` cargo feature; an ORM-only user can turn it off with
//! `default-features = false` and skip axum.
//!
//! ```
//! use aksara::{Aksara, ApiError, Db};
//! use axum::{Json, routing::get, extract::Path};
//! use tower::ServiceExt;
//!
//! async fn post_title(db: Db, Path(id): Path<i64>) -> Result<Json<String>, ApiError> {
//!     if id != 1 {
//!         return Err(ApiError::not_found(format!("no post {id}")));
//!     }
//!     Ok(Json(format!("post {id} on {:?}", db.backend())))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
//! let db = Db::connect("sqlite::memory:").await?;
//! let app = Aksara::new(db.clone()).route("/posts/{id}", get(post_title));
//!
//! // The same app on a plain router:
//! let plain = axum::Router::new()
//!     .route("/posts/{id}", get(post_title))
//!     .fallback(|| async { ApiError::not_found("no route matches this path") })
//!     .layer(axum::Extension(db));
//!
//! for router in [app.into_router(), plain] {
//!     let request = axum::http::Request::get("/posts/2").body(axum::body::Body::empty()).unwrap();
//!     assert_eq!(router.oneshot(request).await.unwrap().status(), 404);
//! }
//! # Ok(()) }
//! ```

mod app;
mod error;
mod extract;
mod serve;
mod stack;

pub use app::Aksara;
pub use error::ApiError;
pub use serve::{ServeError, shutdown_signal};
pub use stack::{AppRoute, AppRouteFuture};
