//! Cross-site request forgery protection for requests authenticated by the
//! session cookie, which a browser attaches to requests that other sites make.
//!
//! An unsafe request (any method but GET, HEAD, OPTIONS and TRACE) that a session
//! authenticated passes when:
//!
//! 1. its `Sec-Fetch-Site` header says `same-origin` or `none` (typed by the
//!    user), or its `Origin` is in the trusted origins; or else
//! 2. it has no `Sec-Fetch-Site` but an `Origin` equal to the request's own
//!    (`Host`) or a trusted one; or else
//! 3. it has neither header (an older browser or a non-browser client) and sends
//!    the session's token, from [`csrf_token`], in the `X-CSRF-Token` header.
//!
//! Anything else gets 403 `csrf_failed`. Requests authenticated by a header
//! (`Authorization: Bearer …`) are exempt: a cross-site page cannot make the
//! browser add that header. Anonymous requests pass, as in Django REST
//! framework, except that [`login`](crate::login) refuses to log a user in on an
//! unsafe request whose `Sec-Fetch-Site` or `Origin` names another site (login
//! CSRF).

use aksara::ApiError;
use aksara::settings::{GivenKeys, InvalidKey, Section};
use axum::http::header::{HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq as _;

use crate::request::RequestAuth;
use crate::session::{Session, SessionError};

/// Cross-site request forgery checks (`[csrf]` in TOML, `AKSARA_CSRF_*` in the
/// environment), given to
/// [`AuthenticationLayer::trusted_origins`](crate::AuthenticationLayer::trusted_origins).
///
/// | TOML key | environment variable | type | default |
/// |---|---|---|---|
/// | `trusted_origins` | `AKSARA_CSRF_TRUSTED_ORIGINS` | list of `scheme://host[:port]` | empty |
///
/// ```
/// use aksara_auth::csrf::CsrfSettings;
/// let settings = aksara::Settings::from_sources(
///     Some("debug = true\n[csrf]\ntrusted_origins = [\"https://App.example.com/\"]\n"),
///     None::<(String, String)>,
/// )?;
/// let csrf: CsrfSettings = settings.section()?;
/// assert_eq!(csrf.trusted_origins, ["https://app.example.com"]);
/// # Ok::<(), aksara::SettingsError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CsrfSettings {
    /// Origins besides the site's own that may send unsafe requests (POST, PUT,
    /// PATCH, DELETE) authenticated by the session cookie, as `scheme://host[:port]`;
    /// normalised to lower case without a trailing slash. In the environment,
    /// separate them with commas.
    pub trusted_origins: Vec<String>,
}

impl Section for CsrfSettings {
    const NAME: &'static str = "csrf";

    /// Normalises each origin (`https://App.Example.com:443/` →
    /// `https://app.example.com`) and refuses anything that is not one.
    fn finish(&mut self, _given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
        for (index, origin) in self.trusted_origins.iter_mut().enumerate() {
            *origin = normalize_origin(origin)
                .map_err(|message| InvalidKey::item("trusted_origins", index, message))?;
        }
        Ok(())
    }
}

aksara::declare_section!(CsrfSettings);

/// `https://App.Example.com:443/` → `https://app.example.com`.
fn normalize_origin(text: &str) -> Result<String, String> {
    let expected = || format!("expected an origin such as https://app.example.com, got {text:?}");
    let url = url::Url::parse(text.trim()).map_err(|_| expected())?;
    let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
    let web = matches!(url.scheme(), "http" | "https");
    if !bare || !web || url.host_str().is_none() || !url.username().is_empty() {
        return Err(expected());
    }
    Ok(url.origin().ascii_serialization())
}

/// The header a client without `Origin` / `Sec-Fetch-Site` sends the token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The session key of the token.
const TOKEN_KEY: &str = "_csrf_token";

/// The session's CSRF token, created on first use. Give it to clients that send
/// neither `Origin` nor `Sec-Fetch-Site` (a mobile app using the session
/// cookie, an old browser): they send it back in the `X-CSRF-Token` header.
///
/// # Errors
/// [`SessionError`] if the session cannot store the token.
///
/// # Panics
/// If the operating system's random number generator fails (as session ids do).
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::csrf::csrf_token;
///
/// async fn token(session: Session) -> Result<String, aksara_auth::session::SessionError> {
///     csrf_token(&session).await
/// }
/// ```
pub async fn csrf_token(session: &Session) -> Result<String, SessionError> {
    if let Ok(Some(token)) = session.get::<String>(TOKEN_KEY).await {
        return Ok(token);
    }
    let mut bytes = [0_u8; 32];
    // As for session ids: without the OS's randomness no token can be safe.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    let token = URL_SAFE_NO_PAD.encode(bytes);
    session.insert(TOKEN_KEY, &token).await?;
    Ok(token)
}

/// Drops the session's CSRF token, so the next [`csrf_token`] makes a new one:
/// [`login`](crate::login) calls it, as Django rotates the token at login, so a
/// token learnt before the login (on a shared computer, from a page an attacker
/// saw) is worthless after it.
pub(crate) async fn rotate_token(session: &Session) {
    let _ = session.remove(TOKEN_KEY).await;
}

/// Whether the method cannot change state (RFC 9110 safe methods).
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// What the `Sec-Fetch-Site` and `Origin` headers say about where an unsafe
/// request comes from.
enum Provenance {
    /// This site, or a trusted origin.
    ThisSite,
    /// Another site; the reason, for the 403.
    OtherSite(&'static str),
    /// Neither header: an older browser or a non-browser client.
    Unknown,
}

fn provenance(parts: &Parts, trusted_origins: &[String]) -> Provenance {
    let headers = &parts.headers;
    let origin = header_str(headers, ORIGIN.as_str());
    let trusted = origin.is_some_and(|origin| {
        trusted_origins
            .iter()
            .any(|trusted| trusted.eq_ignore_ascii_case(origin))
    });
    if let Some(site) = header_str(headers, "sec-fetch-site") {
        if matches!(site, "same-origin" | "none") || trusted {
            return Provenance::ThisSite;
        }
        return Provenance::OtherSite("the request comes from another site");
    }
    match origin {
        Some(origin) if trusted || is_own_origin(origin, headers) => Provenance::ThisSite,
        Some(_) => {
            Provenance::OtherSite("the request's Origin is not this site or a trusted origin")
        }
        None => Provenance::Unknown,
    }
}

/// Checks a session-authenticated request; the 403 to send when it fails.
pub(crate) async fn check(parts: &Parts, trusted_origins: &[String]) -> Result<(), ApiError> {
    if is_safe(&parts.method) {
        return Ok(());
    }
    match provenance(parts, trusted_origins) {
        Provenance::ThisSite => return Ok(()),
        Provenance::OtherSite(reason) => return Err(refused(reason)),
        Provenance::Unknown => {}
    }
    let sent = header_str(&parts.headers, CSRF_HEADER).unwrap_or_default();
    let expected = match RequestAuth::session(&parts.extensions) {
        Some(session) => session.get::<String>(TOKEN_KEY).await.ok().flatten(),
        None => None,
    };
    match expected {
        Some(expected)
            if !sent.is_empty() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes())) =>
        {
            Ok(())
        }
        _ => Err(refused(
            "send the session's CSRF token in the X-CSRF-Token header",
        )),
    }
}

/// For an anonymous request: notes on its session when it is an unsafe request
/// from another site, so that [`login`](crate::login) refuses to log anyone in
/// on it (login CSRF: a cross-site form would otherwise log the victim's browser
/// into the attacker's account). A request with neither header passes, as a
/// non-browser client's does.
pub(crate) fn mark_cross_site_anonymous(parts: &Parts, trusted_origins: &[String]) {
    if is_safe(&parts.method) {
        return;
    }
    let Some(session) = RequestAuth::session(&parts.extensions) else {
        return;
    };
    if let Provenance::OtherSite(reason) = provenance(parts, trusted_origins) {
        session.lock().cross_site = Some(reason);
    }
}

/// The 403 [`login`](crate::login) answers on a request marked cross-site.
pub(crate) fn refuse_cross_site_login(session: &Session) -> Result<(), ApiError> {
    let reason = session.lock().cross_site;
    reason.map_or(Ok(()), |reason| Err(refused(reason)))
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// `Origin: https://host:port` against the request's `Host: host:port`.
fn is_own_origin(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = header_str(headers, HOST.as_str()) else {
        return false;
    };
    // Only a web origin can be this site: `ftp://host:port` or `null` never is.
    origin.split_once("://").is_some_and(|(scheme, authority)| {
        matches!(scheme, "http" | "https") && authority.eq_ignore_ascii_case(host)
    })
}

fn refused(reason: &'static str) -> ApiError {
    tracing::info!(target: "aksara_auth::csrf", reason, "cross-site request refused");
    ApiError::new(
        StatusCode::FORBIDDEN,
        "csrf_failed",
        format!("CSRF check failed: {reason}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(method: Method, headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::builder().method(method).uri("/x");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    async fn verdict(method: Method, headers: &[(&str, &str)]) -> Result<(), ApiError> {
        check(
            &parts(method, headers),
            &["https://trusted.example".to_owned()],
        )
        .await
    }

    #[tokio::test]
    async fn safe_methods_pass_whatever_their_origin() {
        let foreign = [
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ];
        assert!(verdict(Method::GET, &foreign).await.is_ok());
        assert!(verdict(Method::HEAD, &foreign).await.is_ok());
    }

    #[tokio::test]
    async fn fetch_metadata_decides_when_present() {
        assert!(
            verdict(Method::POST, &[("sec-fetch-site", "same-origin")])
                .await
                .is_ok()
        );
        assert!(
            verdict(Method::POST, &[("sec-fetch-site", "none")])
                .await
                .is_ok()
        );
        assert!(
            verdict(Method::DELETE, &[("sec-fetch-site", "same-site")])
                .await
                .is_err()
        );
        let refused = verdict(
            Method::POST,
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(
            (refused.status(), refused.code()),
            (StatusCode::FORBIDDEN, "csrf_failed")
        );
        let trusted = [
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://trusted.example"),
        ];
        assert!(verdict(Method::POST, &trusted).await.is_ok());
    }

    #[tokio::test]
    async fn origin_must_match_the_host_or_be_trusted() {
        let own = [
            ("origin", "http://app.example:8000"),
            ("host", "app.example:8000"),
        ];
        assert!(verdict(Method::PUT, &own).await.is_ok());
        let other = [
            ("origin", "http://evil.example"),
            ("host", "app.example:8000"),
        ];
        assert!(verdict(Method::PUT, &other).await.is_err());
        let null = [("origin", "null"), ("host", "app.example")];
        assert!(verdict(Method::PATCH, &null).await.is_err());
        let not_web = [
            ("origin", "ftp://app.example:8000"),
            ("host", "app.example:8000"),
        ];
        assert!(verdict(Method::POST, &not_web).await.is_err());
        assert!(
            verdict(Method::PATCH, &[("origin", "https://trusted.example")])
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn without_either_header_a_token_is_required() {
        let refused = verdict(Method::POST, &[]).await.unwrap_err();
        assert!(refused.message().contains("X-CSRF-Token"));
        assert!(
            verdict(Method::POST, &[(CSRF_HEADER, "guess")])
                .await
                .is_err()
        );
    }
}
