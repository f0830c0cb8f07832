//! [`ApiError`]: the one JSON error body of every Aksara response.

use std::borrow::Cow;
use std::fmt;

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::header::{HeaderName, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::{Error, ValidationErrors};

/// An error response with the project's stable JSON shape:
///
/// ```json
/// {"error": {"code": "not_found", "message": "…", "fields": {"email": ["…"]}}}
/// ```
///
/// `fields` appears only when set. The constructors pick the status and a
/// Django REST framework–style code; [`ApiError::new`] takes any. Return it from a
/// handler (`Result<Json<T>, ApiError>`) or from middleware. The `?` operator
/// converts [`aksara::Error`](crate::Error) (404 for `NotFound`, 400 with fields for
/// validation, 409 for constraint violations, a logged 500 otherwise) and axum's
/// body, query, form and path rejections (400/415/422 with the extractor's message).
///
/// ```
/// use aksara::ApiError;
/// use axum::http::{HeaderValue, StatusCode, header};
/// use axum::response::IntoResponse;
/// use http_body_util::BodyExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let response = ApiError::unauthorized("log in first")
///     .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
///     .into_response();
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// assert_eq!(response.headers()["www-authenticate"], "Bearer");
/// let body = response.into_body().collect().await.unwrap().to_bytes();
/// assert_eq!(
///     body,
///     r#"{"error":{"code":"not_authenticated","message":"log in first"}}"#
/// );
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ApiError {
    // Boxed so `Result<T, ApiError>` stays one pointer wide (clippy's
    // `result_large_err` in every handler otherwise).
    inner: Box<Inner>,
}

#[derive(Debug, Clone)]
struct Inner {
    status: StatusCode,
    code: Cow<'static, str>,
    message: Cow<'static, str>,
    fields: Option<ValidationErrors>,
    headers: HeaderMap,
}

impl ApiError {
    /// An error with any status, code and message.
    ///
    /// ```
    /// use axum::http::StatusCode;
    /// let err = aksara::ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "wrong email or password");
    /// assert_eq!(err.code(), "invalid_credentials");
    /// ```
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            inner: Box::new(Inner {
                status,
                code: code.into(),
                message: message.into(),
                fields: None,
                headers: HeaderMap::new(),
            }),
        }
    }

    /// 400 `bad_request`.
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::bad_request("no").status(), 400);
    /// ```
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 400 `validation_error`, with the message of every failed field under `fields`.
    ///
    /// ```
    /// let mut errors = aksara::ValidationErrors::default();
    /// errors.add("email", "enter a valid email address");
    /// let err = aksara::ApiError::validation(errors);
    /// assert_eq!(err.fields().unwrap().get("email").unwrap(), ["enter a valid email address"]);
    /// ```
    pub fn validation(fields: ValidationErrors) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "some fields are invalid",
        )
        .with_fields(fields)
    }

    /// 401 `not_authenticated`. Add a `WWW-Authenticate` header with
    /// [`ApiError::with_header`].
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::unauthorized("log in").code(), "not_authenticated");
    /// ```
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "not_authenticated", message)
    }

    /// 403 `permission_denied`.
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::forbidden("staff only").status(), 403);
    /// ```
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "permission_denied", message)
    }

    /// 404 `not_found`.
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::not_found("no such post").status(), 404);
    /// ```
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405 `method_not_allowed`.
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::method_not_allowed("use POST").status(), 405);
    /// ```
    pub fn method_not_allowed(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            message,
        )
    }

    /// 409 `conflict`.
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::conflict("already done").status(), 409);
    /// ```
    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 429 `throttled`. Add a `Retry-After` header with [`ApiError::with_header`].
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::too_many_requests("slow down").status(), 429);
    /// ```
    pub fn too_many_requests(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "throttled", message)
    }

    /// 500 `internal_error`, with a generic message: log the cause, never send it.
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::internal().message(), "internal server error");
    /// ```
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal server error",
        )
    }

    /// 503 `service_unavailable`, for a backend (database, session store) that is down.
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::service_unavailable("try again").status(), 503);
    /// ```
    pub fn service_unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            message,
        )
    }

    /// Replaces the code.
    ///
    /// ```
    /// let err = aksara::ApiError::unauthorized("expired").with_code("token_expired");
    /// assert_eq!(err.code(), "token_expired");
    /// ```
    pub fn with_code(mut self, code: impl Into<Cow<'static, str>>) -> Self {
        self.inner.code = code.into();
        self
    }

    /// Sets the per-field messages shown under `fields`.
    ///
    /// ```
    /// let mut fields = aksara::ValidationErrors::default();
    /// fields.add("password", "too short");
    /// let err = aksara::ApiError::bad_request("weak password").with_fields(fields);
    /// assert!(err.fields().is_some());
    /// ```
    pub fn with_fields(mut self, fields: ValidationErrors) -> Self {
        self.inner.fields = Some(fields);
        self
    }

    /// Adds one message for one field under `fields`.
    ///
    /// ```
    /// let err = aksara::ApiError::bad_request("bad input").with_field("email", "required");
    /// assert_eq!(err.fields().unwrap().get("email").unwrap(), ["required"]);
    /// ```
    pub fn with_field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.inner
            .fields
            .get_or_insert_with(ValidationErrors::default)
            .add(field, message);
        self
    }

    /// Adds a response header, such as `WWW-Authenticate` or `Retry-After`.
    ///
    /// ```
    /// use axum::http::{HeaderValue, header};
    /// let err = aksara::ApiError::too_many_requests("slow down")
    ///     .with_header(header::RETRY_AFTER, HeaderValue::from(30));
    /// assert_eq!(err.headers()["retry-after"], "30");
    /// ```
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.inner.headers.append(name, value);
        self
    }

    /// The HTTP status.
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::not_found("x").status(), axum::http::StatusCode::NOT_FOUND);
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.inner.status
    }

    /// The stable, machine-readable code.
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::forbidden("x").code(), "permission_denied");
    /// ```
    #[must_use]
    pub fn code(&self) -> &str {
        &self.inner.code
    }

    /// The human-readable message.
    ///
    /// ```
    /// assert_eq!(aksara::ApiError::not_found("no such post").message(), "no such post");
    /// ```
    #[must_use]
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The per-field messages, if any.
    ///
    /// ```
    /// assert!(aksara::ApiError::not_found("x").fields().is_none());
    /// ```
    #[must_use]
    pub fn fields(&self) -> Option<&ValidationErrors> {
        self.inner.fields.as_ref()
    }

    /// The extra response headers.
    ///
    /// ```
    /// assert!(aksara::ApiError::not_found("x").headers().is_empty());
    /// ```
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    /// The JSON body.
    fn body(&self) -> serde_json::Value {
        let mut error =
            serde_json::json!({ "code": self.inner.code, "message": self.inner.message });
        if let Some(fields) = &self.inner.fields {
            error["fields"] = serde_json::to_value(fields).unwrap_or_default();
        }
        serde_json::json!({ "error": error })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.inner.status.as_u16(),
            self.inner.code,
            self.inner.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(self.body());
        let Inner {
            status, headers, ..
        } = *self.inner;
        (status, headers, body).into_response()
    }
}

impl From<Error> for ApiError {
    /// `NotFound` → 404, `Validation` → 400 with fields, `Unique` and `ForeignKey`
    /// → 409 (with the field when known); a database that cannot be reached (pool
    /// timed out or closed, I/O or TLS failure) → 503 with `Retry-After: 1`;
    /// anything else → 500. The 503 and 500 are logged on target `aksara::web`
    /// and their cause is never shown to the client.
    ///
    /// ```
    /// let api = aksara::ApiError::from(aksara::Error::Database(sqlx::Error::PoolTimedOut));
    /// assert_eq!(api.status(), 503);
    /// ```
    fn from(err: Error) -> Self {
        match err {
            Error::Database(
                ref cause @ (sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed),
            ) => {
                tracing::error!(target: "aksara::web", error = %cause, "database unavailable");
                Self::service_unavailable("the database is unavailable; try again shortly")
                    .with_code("database_unavailable")
                    .with_header(
                        axum::http::header::RETRY_AFTER,
                        HeaderValue::from_static("1"),
                    )
            }
            Error::NotFound { .. } => Self::not_found(err.to_string()),
            Error::Validation(fields) => Self::validation(fields),
            Error::Unique { ref field, .. } => {
                let conflict = Self::conflict(err.to_string()).with_code("already_exists");
                if field.is_empty() {
                    conflict
                } else {
                    let field = field.clone();
                    conflict.with_field(field, "already exists")
                }
            }
            Error::ForeignKey { field, .. } => {
                let conflict = Self::conflict("a related object is missing or still referenced");
                match field {
                    Some(field) => conflict.with_field(field, "related object conflict"),
                    None => conflict,
                }
            }
            other => {
                tracing::error!(target: "aksara::web", error = %other, "request failed");
                Self::internal()
            }
        }
    }
}

macro_rules! from_rejection {
    ($($rejection:ty => $code:literal;)*) => {$(
        impl From<$rejection> for ApiError {
            /// The rejection's status and message, with the code
            #[doc = concat!("`", $code, "`")]
            /// (`unsupported_media_type` for a wrong `Content-Type`).
            fn from(rejection: $rejection) -> Self {
                let status = rejection.status();
                let code = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                    "unsupported_media_type"
                } else {
                    $code
                };
                Self::new(status, code, rejection.body_text())
            }
        }
    )*};
}

from_rejection! {
    JsonRejection => "parse_error";
    FormRejection => "parse_error";
    QueryRejection => "invalid_query";
    PathRejection => "invalid_path";
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn body(err: ApiError) -> (StatusCode, serde_json::Value) {
        let response = err.into_response();
        let status = response.status();
        assert_eq!(response.headers()["content-type"], "application/json");
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn the_body_has_the_stable_shape() {
        let (status, json) = body(ApiError::not_found("no such page")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "not_found", "message": "no such page"}})
        );
        let (_, json) = body(ApiError::bad_request("bad").with_field("email", "required")).await;
        assert_eq!(
            json["error"]["fields"],
            serde_json::json!({"email": ["required"]})
        );
    }

    #[tokio::test]
    async fn model_errors_map_to_statuses() {
        let (status, json) = body(Error::NotFound { model: "Post" }.into()).await;
        assert_eq!(
            (status, json["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );

        let mut fields = ValidationErrors::default();
        fields.add("title", "this field is required");
        let (status, json) = body(Error::Validation(fields).into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            json["error"]["fields"]["title"][0],
            "this field is required"
        );

        let unique = Error::Unique {
            model: "Author",
            field: "email".into(),
        };
        let (status, json) = body(unique.into()).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(json["error"]["code"], "already_exists");
        assert_eq!(json["error"]["fields"]["email"][0], "already exists");

        let leaky = Error::Schema("secret table layout".into());
        let (status, json) = body(leaky.into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!json.to_string().contains("secret"), "{json}");
    }

    #[test]
    fn results_stay_small() {
        assert_eq!(
            std::mem::size_of::<ApiError>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn display_is_status_code_and_message() {
        assert_eq!(
            ApiError::forbidden("staff only").to_string(),
            "403 permission_denied: staff only"
        );
    }
}
