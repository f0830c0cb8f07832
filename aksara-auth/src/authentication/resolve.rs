//! How a request is authenticated: each authenticator is asked in turn, a
//! cookie credential must pass the CSRF check, and the answer (or the 401/403 to
//! send instead) is recorded for the extractors and guards. The tower plumbing
//! around it is in [`service`](super::service).

use std::sync::Arc;

use aksara::{ApiError, Db};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::AuthStatus;
use super::{DynAuthenticator, Outcome};
use crate::AuthUser;
use crate::request::RequestAuth;

/// What every service of one [`AuthenticationLayer`](super::AuthenticationLayer) shares.
pub(super) struct Shared<U> {
    pub(super) authenticators: Vec<Arc<dyn DynAuthenticator<U>>>,
    pub(super) db: Option<Db>,
    pub(super) challenges: Arc<[&'static str]>,
    pub(super) trusted_origins: Vec<String>,
    /// Backends already warned about failing CSRF without `by_header()`.
    pub(super) csrf_warned: Arc<std::sync::Mutex<Vec<&'static str>>>,
}

impl<U: AuthUser> Shared<U> {
    /// A backend other than sessions that did not mark its credential as a
    /// header got a CSRF 403: most likely an API-key or token authenticator
    /// that forgot `by_header()`. The 403 stays (the safe default: a credential
    /// the browser attaches by itself needs the check); the log says why, once
    /// per backend.
    fn warn_header_backend_without_by_header(&self, backend: &'static str) {
        if backend == "session" {
            return;
        }
        let mut warned = self
            .csrf_warned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if warned.contains(&backend) {
            return;
        }
        warned.push(backend);
        tracing::warn!(
            target: "aksara_auth::authentication",
            backend,
            "a request authenticated by `{backend}` failed the CSRF check (403 csrf_failed): \
             its `Authentication` is not marked `.by_header()`, so it is treated like a cookie. \
             If `{backend}` reads a header the browser does not send by itself (an API key, \
             a bearer token), return `Authentication::new(user, \"{backend}\").by_header()`"
        );
    }

    /// Whether any authenticator may find its credential in the request.
    pub(super) fn may_have_credential(&self, parts: &axum::http::request::Parts) -> bool {
        self.authenticators
            .iter()
            .any(|authenticator| authenticator.has_credential(parts))
    }

    /// Whether authenticators are configured but no database is: a misconfigured
    /// app then fails on every request, not only on those with a credential.
    pub(super) fn lacks_database(&self, parts: &axum::http::request::Parts) -> bool {
        let lacks = !self.authenticators.is_empty()
            && self.db.is_none()
            && parts.extensions.get::<Db>().is_none();
        if lacks {
            tracing::error!(target: "aksara_auth::authentication", "{NO_DATABASE}");
        }
        lacks
    }

    /// Asks each authenticator in turn and records the answer in `parts`; the
    /// response to send instead when a credential was bad.
    pub(super) async fn resolve(
        &self,
        parts: &mut axum::http::request::Parts,
    ) -> Result<(), Response> {
        let mut status = AuthStatus::anonymous::<U>(Arc::clone(&self.challenges));
        if !self.authenticators.is_empty() {
            let db = match self
                .db
                .clone()
                .or_else(|| parts.extensions.get::<Db>().cloned())
            {
                Some(db) => db,
                None => {
                    tracing::error!(target: "aksara_auth::authentication", "{NO_DATABASE}");
                    return Err(ApiError::internal().into_response());
                }
            };
            for authenticator in &self.authenticators {
                match authenticator.authenticate(parts, &db).await {
                    Outcome::NoCredential => continue,
                    Outcome::Authenticated(auth) => {
                        if !auth.is_by_header() {
                            // A cookie the browser attached: make sure this site asked.
                            if let Err(refused) =
                                crate::csrf::check(parts, &self.trusted_origins).await
                            {
                                self.warn_header_backend_without_by_header(auth.backend());
                                return Err(refused.into_response());
                            }
                        }
                        status = AuthStatus::of(auth, Arc::clone(&self.challenges));
                        break;
                    }
                    Outcome::Failed(error) => {
                        tracing::info!(
                            target: "aksara_auth::authentication",
                            backend = authenticator.name(),
                            status = error.status().as_u16(),
                            "credential refused"
                        );
                        return Err(self.with_challenges(error).into_response());
                    }
                }
            }
        }
        if !status.is_authenticated() {
            crate::csrf::mark_cross_site_anonymous(parts, &self.trusted_origins);
        }
        RequestAuth::slot(&mut parts.extensions).status = Some(status);
        Ok(())
    }

    pub(super) fn with_challenges(&self, error: ApiError) -> ApiError {
        challenge(error, &self.challenges)
    }
}

const NO_DATABASE: &str = "AuthenticationLayer found no database: build the app with \
     `Aksara::new(db)`, add `Extension(db)` outside the layer, or call `AuthenticationLayer::db(db)`";

/// Adds the `WWW-Authenticate` challenges to a 401 that has none.
pub(crate) fn challenge(mut error: ApiError, challenges: &[&'static str]) -> ApiError {
    if error.status() != StatusCode::UNAUTHORIZED
        || error.headers().contains_key(header::WWW_AUTHENTICATE)
    {
        return error;
    }
    let value = if challenges.is_empty() {
        // RFC 9110 requires a challenge on every 401; without a header scheme
        // configured (sessions only), name the cookie-based scheme.
        "Session".to_owned()
    } else {
        challenges.join(", ")
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        error = error.with_header(header::WWW_AUTHENTICATE, value);
    }
    error
}
