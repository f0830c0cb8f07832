//! The web side: the [`Aksara`] app builder over axum, serving it, the JSON error
//! body every response shares ([`ApiError`]), and `Db` as an extractor.
//!
//! Everything here but the builder's own types ([`Aksara`], [`AppService`],
//! [`Routing`]) also works with plain axum and tower: the pieces the builder adds
//! are public — `Extension(db)` for the [`Db`](crate::Db) extractor, [`ApiError`]
//! for error bodies, [`shutdown_signal`] for graceful shutdown.
//!
//! Behind the default `web` cargo feature; an ORM-only user can turn it off with
//! `default-features = false` and skip axum.
//!
//! ```
//! use aksara::{Aksara, ApiError, Db};
//! use axum::{Json, routing::get, extract::{Path, Request}, middleware::{self, Next}};
//! use tower::ServiceExt;
//!
//! async fn post_title(db: Db, Path(id): Path<i64>) -> Result<Json<String>, ApiError> {
//!     if id != 1 {
//!         return Err(ApiError::not_found(format!("no post {id}")));
//!     }
//!     Ok(Json(format!("post {id} on {:?}", db.backend())))
//! }
//!
//! async fn tag(request: Request, next: Next) -> axum::response::Response {
//!     let mut response = next.run(request).await;
//!     response.headers_mut().insert("x-app", "blog".parse().unwrap());
//!     response
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
//! let db = Db::connect("sqlite::memory:").await?;
//! let app = Aksara::new(db.clone())
//!     .middleware(middleware::from_fn(tag))
//!     .route("/posts/{id}", get(post_title))
//!     .into_service();
//!
//! // The same app with plain axum and tower: the app-wide layers go around the router.
//! let router = axum::Router::new()
//!     .route("/posts/{id}", get(post_title))
//!     .fallback(|| async { ApiError::not_found("no route matches this path") });
//! let plain = tower::ServiceBuilder::new()
//!     .layer(axum::Extension(db))
//!     .layer(middleware::from_fn(tag))
//!     .service(router);
//!
//! let request = || Request::get("/posts/2").body(axum::body::Body::empty()).unwrap();
//! let response = app.oneshot(request()).await.unwrap();
//! assert_eq!(response.status(), 404);
//! assert_eq!(response.headers()["x-app"], "blog");
//! let response = plain.oneshot(request()).await.unwrap();
//! assert_eq!(response.status(), 404);
//! assert_eq!(response.headers()["x-app"], "blog");
//! # Ok(()) }
//! ```

mod app;
mod error;
mod extract;
mod serve;
mod stack;

pub use app::Aksara;
pub use error::ApiError;
pub use extract::{Form, Path, Query};
pub use serve::{ServeError, shutdown_signal};
pub use stack::{AppFuture, AppService, Routing, RoutingFuture};
