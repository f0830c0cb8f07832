//! Extractors: [`Db`] straight from the request, and the body, path and query
//! extractors whose rejections are [`ApiError`] JSON.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FormRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

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

/// [`Json`](crate::Json) as a request body: every rejection is an [`ApiError`]
/// in the one JSON shape, where `axum::Json` answers `text/plain`:
///
/// | the request | the answer |
/// |---|---|
/// | no `Content-Type: application/json` (or `+json`) | 415 `unsupported_media_type` |
/// | a body over the limit (`DefaultBodyLimit`, 2 MB by default) | 413 `payload_too_large` |
/// | not JSON (a syntax error, cut short, trailing text) | 400 `malformed_json` |
/// | JSON of the wrong shape | 422 `invalid_body`, `fields` keyed by the path (`address.city`, `tags[2]`) |
///
/// ```
/// use aksara::prelude::*;
/// use axum::{Router, routing::post};
/// use tower::ServiceExt;
///
/// #[derive(serde::Deserialize, serde::Serialize)]
/// struct Signup { email: String, age: u8 }
///
/// async fn signup(Json(form): Json<Signup>) -> Json<Signup> {
///     Json(form)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = Router::new().route("/", post(signup));
/// let request = axum::http::Request::post("/")
///     .header("content-type", "application/json")
///     .body(axum::body::Body::from(r#"{"email": "a@b.c", "age": 300}"#))
///     .unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 422);
/// # }
/// ```
impl<T, S> FromRequest<S> for crate::Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        decode_json(&bytes).map(crate::Json)
    }
}

impl<T: Serialize> IntoResponse for crate::Json<T> {
    /// `200` with the value as `application/json`.
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `application/json`, or any `application/…+json`, whatever the parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5 && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json"))
}

/// A body that could not be read: over the limit (413), or cut off (400).
fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than this endpoint accepts",
        )
    } else {
        ApiError::bad_request("the request body could not be read").with_code("body_unreadable")
    }
}

/// Parses `bytes` as a `T`, telling malformed JSON (400) from JSON of the wrong
/// shape (422, with the path of the value that did not fit).
fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let error = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => {
            return match deserializer.end() {
                Ok(()) => Ok(value),
                Err(trailing) => Err(malformed(&trailing)),
            };
        }
        Err(error) => error,
    };
    let path = error.path().to_string();
    let inner = error.into_inner();
    if !inner.is_data() {
        return Err(malformed(&inner));
    }
    let message = inner.to_string();
    let field = field_of(&path, &message);
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        format!("the body does not have the expected shape: {message}"),
    )
    .with_field(field, strip_position(&message)))
}

/// 400 `malformed_json`: the body is not JSON at all.
fn malformed(error: &serde_json::Error) -> ApiError {
    ApiError::bad_request(format!("the body is not valid JSON: {error}"))
        .with_code("malformed_json")
}

/// The field a data error is about: the path, plus the name of a missing field
/// (serde reports those at the path of the object that lacks them).
fn field_of(path: &str, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(name)) => name.to_owned(),
        (".", None) => "body".to_owned(),
        (path, Some(name)) => format!("{path}.{name}"),
        (path, None) => path.to_owned(),
    }
}

/// serde_json's message without its ` at line L column C` suffix.
fn strip_position(message: &str) -> String {
    message
        .rsplit_once(" at line ")
        .map_or(message, |(text, _)| text)
        .to_owned()
}

/// Declares a wrapper of an axum extractor whose rejection is an [`ApiError`].
macro_rules! json_rejecting {
    ($(#[$doc:meta])* $name:ident, $trait:ident, $method:ident, $input:ty, $rejection:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name<T>(pub T);

        impl<T, S> $trait<S> for $name<T>
        where
            axum::extract::$name<T>: $trait<S, Rejection = $rejection>,
            S: Send + Sync,
        {
            type Rejection = ApiError;

            async fn $method(input: $input, state: &S) -> Result<Self, ApiError> {
                axum::extract::$name::<T>::$method(input, state)
                    .await
                    .map(|axum::extract::$name(value)| Self(value))
                    .map_err(ApiError::from)
            }
        }

        impl<T> std::ops::Deref for $name<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }
    };
}

json_rejecting!(
    /// `axum::extract::Path` whose rejection (a segment of the wrong type) is a
    /// 400 `invalid_path` [`ApiError`].
    ///
    /// ```
    /// use aksara::prelude::*;
    /// use axum::{Router, routing::get};
    /// use tower::ServiceExt;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = Router::new().route("/posts/{id}", get(|Path(id): Path<i64>| async move { id.to_string() }));
    /// let request = axum::http::Request::get("/posts/seven").body(axum::body::Body::empty()).unwrap();
    /// let response = app.oneshot(request).await.unwrap();
    /// assert_eq!(response.status(), 400);
    /// assert_eq!(response.headers()["content-type"], "application/json");
    /// # }
    /// ```
    Path, FromRequestParts, from_request_parts, &mut Parts, PathRejection
);

json_rejecting!(
    /// `axum::extract::Query` whose rejection is a 400 `invalid_query` [`ApiError`].
    ///
    /// ```
    /// use aksara::prelude::*;
    /// use axum::{Router, routing::get};
    /// use tower::ServiceExt;
    /// #[derive(serde::Deserialize)] struct Page { page: u32 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = Router::new().route("/", get(|Query(p): Query<Page>| async move { p.page.to_string() }));
    /// let request = axum::http::Request::get("/?page=last").body(axum::body::Body::empty()).unwrap();
    /// assert_eq!(app.oneshot(request).await.unwrap().status(), 400);
    /// # }
    /// ```
    Query, FromRequestParts, from_request_parts, &mut Parts, QueryRejection
);

json_rejecting!(
    /// `axum::Form` whose rejections are [`ApiError`]s (415 without a form
    /// content type, 400 or 422 for a body that does not parse or fit).
    ///
    /// ```
    /// use aksara::prelude::*;
    /// use axum::{Router, routing::post};
    /// use tower::ServiceExt;
    /// #[derive(serde::Deserialize)] struct Login { email: String }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = Router::new().route("/", post(|Form(f): Form<Login>| async move { f.email }));
    /// let request = axum::http::Request::post("/").body(axum::body::Body::from("email=a")).unwrap();
    /// assert_eq!(app.oneshot(request).await.unwrap().status(), 415);
    /// # }
    /// ```
    Form, FromRequest, from_request, Request, FormRejection
);
