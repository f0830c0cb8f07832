//! Requests through an app in process (tower's `oneshot`), and the users the
//! auth tests log in as.

use aksara::Db;
use aksara_auth::User;
use axum::body::Body;
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The password of every user [`create_user`] makes.
pub const PASSWORD: &str = "correct horse battery staple";

/// A user of the built-in model with [`PASSWORD`].
///
/// # Panics
/// When the insert fails.
pub async fn create_user(db: &Db, email: &str) -> User {
    User::objects()
        .create()
        .email(email)
        .password(PASSWORD)
        .exec(db)
        .await
        .unwrap_or_else(|err| panic!("create {email}: {err}"))
}

/// `jane@example.com`, the user most tests need one of.
///
/// # Panics
/// As [`create_user`].
pub async fn jane(db: &Db) -> User {
    create_user(db, "jane@example.com").await
}

/// One request to send, built up header by header.
#[must_use]
pub struct Call {
    request: http::request::Builder,
    body: Body,
}

impl Call {
    /// `method path`, with no headers and an empty body.
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            request: Request::builder().method(method).uri(path),
            body: Body::empty(),
        }
    }

    /// `GET path`.
    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    /// `POST path`.
    pub fn post(path: &str) -> Self {
        Self::new("POST", path)
    }

    /// One more header; the value as raw bytes, so tests can send what a
    /// `&str` cannot hold.
    ///
    /// # Panics
    /// When `value` holds a byte no header value may hold (`\r`, `\n`, NUL).
    pub fn header(mut self, name: HeaderName, value: impl AsRef<[u8]>) -> Self {
        let value = HeaderValue::from_bytes(value.as_ref()).expect("a header value");
        self.request = self.request.header(name, value);
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header(header::AUTHORIZATION, format!("Bearer {token}"))
    }

    /// As a request from another site's page would be marked
    /// (`Sec-Fetch-Site: cross-site`): only header credentials may pass CSRF.
    pub fn cross_site(self) -> Self {
        self.header(HeaderName::from_static("sec-fetch-site"), "cross-site")
    }

    /// `json` as the body, with `Content-Type: application/json`.
    pub fn json(mut self, json: &serde_json::Value) -> Self {
        self = self.header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(json.to_string());
        self
    }

    /// `body` as it is, with no content type added.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends the request through `app`.
    ///
    /// # Panics
    /// When the request cannot be built or the body cannot be read.
    pub async fn send(self, app: &axum::Router) -> Reply {
        let request = self.request.body(self.body).expect("a valid request");
        let response = app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// An answer: status, headers and the body as text.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// Every header.
    pub headers: HeaderMap,
    /// The body (lossily decoded).
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    ///
    /// # Panics
    /// When it is not JSON.
    #[must_use]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }

    /// A header's value as text, `""` when absent.
    #[must_use]
    pub fn header(&self, name: impl header::AsHeaderName) -> &str {
        self.headers
            .get(name)
            .map_or("", |value| value.to_str().unwrap_or("<not text>"))
    }

    /// `WWW-Authenticate`, `""` when absent.
    #[must_use]
    pub fn challenge(&self) -> &str {
        self.header(header::WWW_AUTHENTICATE)
    }

    /// `error.code` of a JSON error body.
    #[must_use]
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
            .to_owned()
    }
}

/// Asserts a 401 with a `Bearer` challenge and a JSON error body, whatever
/// its code: refused, or treated as no credential at all.
///
/// # Panics
/// When `reply` is anything else.
pub fn assert_challenged(label: &str, what: &str, reply: &Reply) {
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "{label}: {what}: {}",
        reply.body
    );
    assert!(
        reply.challenge().starts_with("Bearer"),
        "{label}: {what}: challenge {:?}",
        reply.challenge()
    );
    assert!(
        !reply.error_code().is_empty(),
        "{label}: {what}: {}",
        reply.body
    );
}

/// Asserts a refused header credential: as [`assert_challenged`], with the
/// error code `authentication_failed`.
///
/// # Panics
/// When `reply` is anything else.
pub fn assert_refused(label: &str, what: &str, reply: impl std::borrow::Borrow<Reply>) {
    let reply = reply.borrow();
    assert_challenged(label, what, reply);
    assert_eq!(
        reply.error_code(),
        "authentication_failed",
        "{label}: {what}: {}",
        reply.body
    );
}

/// `reply` is an error of `status` with `code` in the one error shape
/// (`{"error":{"code":…,"message":…}}`).
pub fn assert_error(label: &str, reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{label}: {}", reply.body);
    assert_eq!(reply.error_code(), code, "{label}: {}", reply.body);
    assert!(
        reply.json()["error"]["message"].is_string(),
        "{label}: {}",
        reply.body
    );
}
