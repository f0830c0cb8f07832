//! [`SmtpBackend`]: delivery to an SMTP server (lettre over tokio and rustls).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Email, EmailBackend, EmailError, message};

/// What `smtp_url` must look like, for error messages.
const EXPECTED_URL: &str = "expected smtp://user:password@host:587?tls=required (STARTTLS), \
     smtps://user:password@host:465 (TLS) or smtp://host:25 (plain, local relays only)";

/// Sends each message to an SMTP server, one connection per message.
///
/// The URL chooses the security, as lettre's `from_url` reads it:
///
/// | URL | connection |
/// |---|---|
/// | `smtp://user:pass@host:587?tls=required` | STARTTLS, refused if the server does not offer it |
/// | `smtp://host:587?tls=opportunistic` | STARTTLS when offered, plain otherwise |
/// | `smtps://user:pass@host:465` | TLS from the first byte |
/// | `smtp://host:25` | plain (a relay on the same machine or network) |
///
/// User and password are percent-encoded in the URL (`%40` for `@`). Servers'
/// certificates are checked against Mozilla's roots (`webpki-roots`), plus a CA
/// given to [`with_root_certificate`](Self::with_root_certificate). `Debug`
/// shows the URL without its password.
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::email::SmtpBackend;
///
/// let backend = SmtpBackend::new("smtp://mailer:hunter2@smtp.example.com:587?tls=required", Duration::from_secs(10))?;
/// let debug = format!("{backend:?}");
/// assert!(debug.contains("smtp.example.com") && !debug.contains("hunter2"));
///
/// assert!(SmtpBackend::new("http://example.com", Duration::from_secs(10)).is_err());
/// # Ok::<(), aksara_auth::email::EmailError>(())
/// ```
pub struct SmtpBackend {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The URL with its password replaced, for `Debug`.
    shown: String,
}

impl SmtpBackend {
    /// A backend for the server at `url`; `timeout` bounds each step of a
    /// delivery (connecting, each command). Nothing is contacted yet.
    ///
    /// # Errors
    /// [`EmailError::InvalidSettings`] for `smtp_url` when `url` is not an
    /// `smtp://` or `smtps://` URL with a host.
    ///
    /// ```
    /// use std::time::Duration;
    /// let err = aksara_auth::email::SmtpBackend::new("smtp://", Duration::from_secs(5)).unwrap_err();
    /// assert!(err.to_string().starts_with("invalid email setting `smtp_url`"));
    /// ```
    pub fn new(url: &str, timeout: Duration) -> Result<Self, EmailError> {
        Self::build(url, timeout, None)
    }

    /// As [`new`](Self::new), also trusting the CA certificate `pem` (PEM text)
    /// for the server's TLS certificate: a relay with a company CA or a
    /// self-signed one. Only for TLS URLs (`tls=required`, `tls=opportunistic`,
    /// `smtps://`).
    ///
    /// # Errors
    /// [`EmailError::InvalidSettings`] for `smtp_url` as in [`new`](Self::new),
    /// or for `root_certificate` when `pem` is not a PEM certificate or the URL
    /// is plain `smtp://` without `tls=`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use aksara_auth::email::SmtpBackend;
    /// let err = SmtpBackend::with_root_certificate(
    ///     "smtp://relay.internal:587?tls=required", Duration::from_secs(10), b"not a certificate",
    /// ).unwrap_err();
    /// assert!(err.to_string().starts_with("invalid email setting `root_certificate`"));
    /// ```
    pub fn with_root_certificate(
        url: &str,
        timeout: Duration,
        pem: &[u8],
    ) -> Result<Self, EmailError> {
        Self::build(url, timeout, Some(pem))
    }

    /// The one place an `smtp_url` becomes a transport.
    fn build(url: &str, timeout: Duration, root: Option<&[u8]>) -> Result<Self, EmailError> {
        let invalid = |reason: String| EmailError::InvalidSettings {
            key: "smtp_url",
            message: format!("{reason}; {EXPECTED_URL}"),
        };
        let parsed = url::Url::parse(url).map_err(|err| invalid(err.to_string()))?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") {
            return Err(invalid(format!("unsupported scheme `{}`", parsed.scheme())));
        }
        let Some(host) = parsed.host_str().filter(|host| !host.is_empty()) else {
            return Err(invalid("no host".to_owned()));
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|err| invalid(err.to_string()))?
            .timeout(Some(timeout));
        if let Some(pem) = root {
            let bad_root = |reason: String| EmailError::InvalidSettings {
                key: "root_certificate",
                message: reason,
            };
            let expected = "expected a PEM certificate (-----BEGIN CERTIFICATE-----)";
            // lettre accepts PEM text with no certificate in it (and trusts nothing more).
            if !pem
                .windows(b"-----BEGIN CERTIFICATE-----".len())
                .any(|window| window == b"-----BEGIN CERTIFICATE-----")
            {
                return Err(bad_root(format!("no certificate found; {expected}")));
            }
            let certificate = Certificate::from_pem(pem).map_err(|err| {
                bad_root(format!(
                    "{err}; expected a PEM certificate (-----BEGIN CERTIFICATE-----)"
                ))
            })?;
            let parameters = TlsParameters::builder(host.to_owned())
                .add_root_certificate(certificate)
                .build_rustls()
                .map_err(|err| bad_root(err.to_string()))?;
            let tls = parsed
                .query_pairs()
                .find(|(key, _)| key == "tls")
                .map(|(_, value)| value.into_owned());
            // The same choice as lettre's `from_url`, with the extra root.
            builder = builder.tls(match (parsed.scheme(), tls.as_deref()) {
                ("smtps", _) => Tls::Wrapper(parameters),
                (_, Some("required")) => Tls::Required(parameters),
                (_, Some("opportunistic")) => Tls::Opportunistic(parameters),
                _ => {
                    return Err(bad_root(
                        "a root certificate is for TLS; use smtp://…?tls=required or smtps://"
                            .to_owned(),
                    ));
                }
            });
        }
        Ok(Self {
            transport: builder.build(),
            shown: without_password(parsed),
        })
    }
}

/// `url` with `***` for its password, if it has one.
fn without_password(mut url: url::Url) -> String {
    if url.password().is_some() && url.set_password(Some("***")).is_err() {
        return format!("{}://…", url.scheme());
    }
    url.to_string()
}

impl fmt::Debug for SmtpBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpBackend")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

impl EmailBackend for SmtpBackend {
    fn send<'a>(
        &'a self,
        from: &'a str,
        email: &'a Email,
    ) -> Pin<Box<dyn Future<Output = Result<(), EmailError>> + Send + 'a>> {
        Box::pin(async move {
            let message = message::build(from, email)?;
            self.transport
                .send(message)
                .await
                .map(drop)
                .map_err(|err| EmailError::Transport {
                    source: Box::new(err),
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_each_security_are_accepted() {
        for url in [
            "smtp://user:pass@smtp.example.com:587?tls=required",
            "smtp://smtp.example.com:587?tls=opportunistic",
            "smtps://user:pass@smtp.example.com:465",
            "smtp://127.0.0.1:25",
        ] {
            assert!(
                SmtpBackend::new(url, Duration::from_secs(1)).is_ok(),
                "{url}"
            );
        }
    }

    #[test]
    fn bad_urls_name_the_key_and_never_echo_the_password() {
        for url in [
            "",
            "smtp.example.com",
            "https://user:hunter2@example.com",
            "smtp://user:hunter2@",
            "smtp://user:hunter2@host:587?tls=sometimes",
        ] {
            let err = SmtpBackend::new(url, Duration::from_secs(1))
                .err()
                .map(|err| err.to_string());
            let Some(err) = err else {
                panic!("{url} was accepted");
            };
            assert!(err.contains("`smtp_url`"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let backend = SmtpBackend::new(
            "smtps://me:hunter2@smtp.example.com",
            Duration::from_secs(1),
        )
        .unwrap();
        let debug = format!("{backend:?}");
        assert!(debug.contains("me:***@smtp.example.com"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}
