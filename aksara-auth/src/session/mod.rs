//! # Sessions: a signed cookie naming server-side data
//!
//! [`SessionLayer`] gives every request a [`Session`]; handlers take it as an
//! extractor and read and write typed values. The data lives in a
//! [`SessionStore`]: the application's database ([`DbSessionStore`], the default,
//! on SQLite, PostgreSQL and MySQL/MariaDB), memory ([`MemoryStore`], for tests and
//! development) or Redis (`RedisStore`, feature `redis`, for apps on several
//! machines). The login and logout functions and the session authenticator build
//! on this module.
//!
//! ```
//! use aksara_auth::session::{Duration, MemoryStore, Session, SessionError, SessionLayer};
//! use axum::{Router, routing::get};
//! use tower::ServiceExt;
//!
//! async fn counter(session: Session) -> Result<String, SessionError> {
//!     let visits: u32 = session.get("visits").await?.unwrap_or(0) + 1;
//!     session.insert("visits", &visits).await?;
//!     Ok(visits.to_string())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = Router::new().route("/", get(counter)).layer(
//!     SessionLayer::new(MemoryStore::new())
//!         .secret_key(b"a secret of at least thirty-two bytes, random!")
//!         .max_age(Duration::days(7)),
//! );
//!
//! let first = app.clone().oneshot(http::Request::new(axum::body::Body::empty())).await.unwrap();
//! let set_cookie = first.headers()["set-cookie"].to_str().unwrap();
//! assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
//! let cookie = set_cookie.split(';').next().unwrap().to_owned(); // "session=…"
//!
//! let again = http::Request::builder().header("cookie", cookie).body(axum::body::Body::empty()).unwrap();
//! let second = app.oneshot(again).await.unwrap();
//! let body = http_body_util::BodyExt::collect(second.into_body()).await.unwrap().to_bytes();
//! assert_eq!(&body[..], b"2");
//! # }
//! ```
//!
//! ## The cookie
//!
//! It carries only an opaque id: 256 random bits from the operating system,
//! after its HMAC-SHA256 tag, keyed with the SHA-256 of a purpose label and
//! [`SessionLayer::secret_key`]; the tag is checked in constant time. `HttpOnly`
//! always; `Secure` and `SameSite=Lax` by default. Stores see only the id's SHA-256 ([`SessionKey`]), so a copy of the
//! session table or of Redis holds nothing a browser could present. A tampered,
//! unknown or expired cookie makes the request anonymous (and the response expires
//! the cookie); it is never an error.
//!
//! ## Expiry
//!
//! Two deadlines, both checked on every load:
//!
//! - **idle timeout** ([`SessionLayer::idle_timeout`], default: the cookie's max
//!   age, 2 weeks): a session unused this long ends. To keep read-only requests
//!   free of writes, the last-seen time is written at most once per
//!   [`touch_interval`](SessionLayer::touch_interval) (default a tenth of the idle
//!   timeout), so a session ends between 90% and 100% of the idle timeout after its
//!   last request;
//! - **absolute lifetime** ([`SessionLayer::absolute_lifetime`], default 30
//!   days): a session ends this long after it began, however active. Cycling the
//!   id at login restarts it.
//!
//! The store keeps the earlier deadline as `expires_at`; [`SessionStore::purge_expired`]
//! (or [`SessionLayer::spawn_purge_task`]) deletes what passed it. Redis expires
//! keys by itself.
//!
//! ## What a request costs
//!
//! A request without a session cookie never touches the store. One with a cookie
//! costs one store read before the handler. After it, the store is written only
//! when the session changed, was cycled or flushed, or is due a touch; only then is
//! `Set-Cookie` sent. A response whose handler used the session gets
//! `Vary: Cookie`, so shared caches keep one copy per session.
//!
//! That one read is most of the cost of a session request on the database store
//! (a round trip to SQLite's worker thread or to the server). An app served by one
//! process can put [`CachedStore`] in front of the store: every write goes through
//! it, so it is never stale there, and a cached session costs no round trip. With
//! several processes, see its notes on staleness, or use Redis.
//!
//! ## Concurrent requests
//!
//! A [`Session`] records each key the request set or removed, and the store merges
//! exactly those into what it holds ([`SessionUpdate`]). Two requests of one
//! browser that write different keys at the same time both keep their writes. A
//! request whose session was deleted meanwhile (logged out in another tab) does
//! not bring it back: its writes are dropped and its cookie expired.
//!
//! ## When the store is down
//!
//! The layer answers `503 Service Unavailable` with `Retry-After: 1` and
//! `{"error": {"code": "session_store_unavailable", "message": "…"}}`, before the
//! handler when loading fails and instead of its response when saving fails (a
//! login that was not stored must not look successful). It never panics.
//!
//! ## Why not tower-sessions
//!
//! We weighed building on `tower-sessions` with our own store and wrote the layer
//! instead, because three requirements do not fit it:
//!
//! - it saves the *whole* record at the end of a request, so two concurrent
//!   requests on one session lose each other's writes to different keys; our
//!   stores merge per-key changes;
//! - it has one expiry (on inactivity or a fixed date), not an idle timeout *and*
//!   an absolute lifetime together;
//! - a store error becomes a `500`, where a session store that is down is a
//!   `503` with our JSON error shape.
//!
//! The layer is small (the cookie, the handle, the layer and one file per store)
//! and keeps the same shape: a signed opaque id, a typed handle, pluggable stores.

mod authentication;
mod cookie;
mod error;
mod handle;
mod id;
mod layer;
mod lifecycle;
mod login;
mod service;
mod settings;
mod store;

pub use ::cookie::SameSite;
// The cookie and id readers, for `__private::SessionCookieCodec` (the fuzz targets).
pub use authentication::SessionAuthentication;
pub use chrono::Duration;
pub(crate) use cookie::{CookieRead, CookieSettings, Signer};
pub use error::{BoxError, SessionConfigError, SessionError, SessionRejection, SessionStoreError};
pub use handle::Session;
pub(crate) use id::SessionId;
pub use id::SessionKey;
pub use layer::SessionLayer;
pub use login::{get_user, login, logout, update_session_auth_hash};
pub use service::{SessionFuture, SessionService};
pub use settings::{SessionProfile, SessionSettings};
#[cfg(feature = "redis")]
pub use store::RedisStore;
pub use store::{
    CachedStore, DbSessionStore, MemoryStore, SessionChange, SessionRecord, SessionStore,
    SessionUpdate, StoreFuture,
};
