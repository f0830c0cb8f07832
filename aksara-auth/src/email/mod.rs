//! Email delivery for the account API: password-reset links, address
//! verification and "you already have an account" notices.
//!
//! A [`Mailer`] sends an [`Email`] through one [`EmailBackend`]:
//!
//! | backend | for | what it does |
//! |---|---|---|
//! | [`ConsoleBackend`] | development (the default when `debug = true`) | writes each message to stdout |
//! | [`FileBackend`] | development, staging | one `.eml` file per message in a folder |
//! | [`MemoryBackend`] | tests | keeps messages in an outbox the test reads |
//! | [`SmtpBackend`] | production | delivers over SMTP, plain, STARTTLS or TLS (lettre, rustls) |
//!
//! [`Mailer::from_settings`] reads the `[email]` section ([`EmailSettings`]); the
//! texts come from [`MailTemplates`], which an app overrides method by method.
//! [`Mailer::send_later`] hands the message to a task, so a request never waits
//! for delivery nor learns whether it worked (a failure is logged at `warn`).
//! Logs name the recipient's domain only; message bodies hold single-use links
//! and appear neither in logs nor in `Debug` output.
//!
//! ```
//! use std::time::Duration;
//! use aksara_auth::email::{Email, MailContext, Mailer, MemoryBackend};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), aksara_auth::email::EmailError> {
//! let outbox = MemoryBackend::new();
//! let mailer = Mailer::new(outbox.clone(), "Blog <noreply@example.com>");
//!
//! let content = mailer.templates().password_reset(&MailContext {
//!     email: "jane@example.com",
//!     link: "https://example.com/reset/abc123",
//!     site_name: mailer.site_name(),
//!     valid_for: Duration::from_secs(3600),
//! });
//! mailer.send(&Email::from_content("jane@example.com", content)).await?;
//!
//! let sent = outbox.outbox();
//! assert_eq!(sent.len(), 1);
//! assert_eq!(sent[0].subject, "Reset your password on Aksara");
//! assert!(sent[0].text.contains("https://example.com/reset/abc123"));
//! assert!(sent[0].text.contains("1 hour"));
//! # Ok(()) }
//! ```

mod console;
mod file;
mod mailer;
mod memory;
mod message;
mod settings;
mod smtp;
mod templates;

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;

pub use console::ConsoleBackend;
pub use file::FileBackend;
pub use mailer::Mailer;
pub use memory::MemoryBackend;
pub use settings::{EmailBackendKind, EmailSettings};
pub use smtp::SmtpBackend;
pub use templates::{DefaultMailTemplates, MailContent, MailContext, MailTemplates, escape_html};

/// One message: a recipient, a subject, a plain-text body and optionally an HTML
/// one (sent together as `multipart/alternative`).
///
/// `Debug` shows the recipient and the subject only: bodies carry reset and
/// verification links, which are secrets.
///
/// ```
/// use aksara_auth::email::Email;
///
/// let email = Email::new("jane@example.com", "Welcome", "Hello Jane, secret link inside")
///     .with_html("<p>Hello Jane</p>");
/// assert_eq!(email.html.as_deref(), Some("<p>Hello Jane</p>"));
/// assert!(!format!("{email:?}").contains("secret"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    /// The recipient's address, such as `jane@example.com` or `Jane <jane@example.com>`.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body, if any.
    pub html: Option<String>,
}

impl Email {
    /// A plain-text message.
    ///
    /// ```
    /// let email = aksara_auth::email::Email::new("jane@example.com", "Hi", "Hello");
    /// assert_eq!((email.to.as_str(), email.html), ("jane@example.com", None));
    /// ```
    #[must_use]
    pub fn new(to: impl Into<String>, subject: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            subject: subject.into(),
            text: text.into(),
            html: None,
        }
    }

    /// The same message with an HTML body beside the plain text.
    ///
    /// ```
    /// let email = aksara_auth::email::Email::new("jane@example.com", "Hi", "Hello")
    ///     .with_html("<p>Hello</p>");
    /// assert!(email.html.is_some());
    /// ```
    #[must_use]
    pub fn with_html(self, html: impl Into<String>) -> Self {
        Self {
            html: Some(html.into()),
            ..self
        }
    }

    /// A message to `to` made of a template's output.
    ///
    /// ```
    /// use aksara_auth::email::{Email, MailContent};
    ///
    /// let content = MailContent {
    ///     subject: "Hi".into(),
    ///     text: "Hello".into(),
    ///     html: Some("<p>Hello</p>".into()),
    /// };
    /// let email = Email::from_content("jane@example.com", content);
    /// assert_eq!(email.subject, "Hi");
    /// assert_eq!(email.html.as_deref(), Some("<p>Hello</p>"));
    /// ```
    #[must_use]
    pub fn from_content(to: impl Into<String>, content: MailContent) -> Self {
        Self {
            to: to.into(),
            subject: content.subject,
            text: content.text,
            html: content.html,
        }
    }

    /// The part of the recipient's address after the last `@`, for logs.
    pub(crate) fn recipient_domain(&self) -> &str {
        let address = self.to.trim().trim_end_matches('>');
        address.rsplit_once('@').map_or("?", |(_, domain)| domain)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Why a message was not sent; each message says what to do.
///
/// ```
/// use aksara_auth::email::{Email, EmailBackend, EmailError, MemoryBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let err = MemoryBackend::new()
///     .send("noreply@example.com", &Email::new("not an address", "Hi", "Hello"))
///     .await
///     .unwrap_err();
/// assert!(matches!(err, EmailError::InvalidAddress { role: "to", .. }));
/// assert!(err.to_string().contains("expected an address such as jane@example.com"));
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// The recipient (`to`) or the sender (`from`) is not an email address. The
    /// address itself is left out of the message (it is personal data and this
    /// error is logged).
    #[error(
        "the `{role}` address is not a valid email address ({reason}); expected an address such as jane@example.com or \"Jane <jane@example.com>\""
    )]
    InvalidAddress {
        /// `"to"` or `"from"`.
        role: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The message could not be put together (a header the builder refused).
    #[error("cannot build the message: {reason}; check the subject and addresses for line breaks")]
    Build {
        /// The builder's reason.
        reason: String,
    },
    /// The SMTP server could not be reached, refused the login or the message,
    /// or did not answer within the timeout.
    #[error(
        "SMTP delivery failed: {source}; check `[email] smtp_url` (host, port, tls, user and password), `[email] timeout`, and that the server is reachable from here"
    )]
    Transport {
        /// The SMTP client's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Writing the message (file or console backend) failed.
    #[error(
        "cannot write the message to {target}: {source}; check that it exists and is writable (`[email] file_dir` for the file backend)"
    )]
    Io {
        /// The file, folder or stream written to.
        target: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// The backend's configuration is wrong (an `smtp_url` that is not one).
    #[error("invalid email setting `{key}`: {message}")]
    InvalidSettings {
        /// The key in `[email]`, such as `smtp_url`.
        key: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
}

/// Where messages go. Implement it for another provider (an HTTP API, a queue);
/// the built-in ones are [`ConsoleBackend`], [`FileBackend`], [`MemoryBackend`]
/// and [`SmtpBackend`].
///
/// # Errors
/// [`EmailError`] when the message was not delivered.
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use aksara_auth::email::{Email, EmailBackend, EmailError, Mailer};
///
/// /// Drops every message (a load test, say).
/// struct Discard;
///
/// impl EmailBackend for Discard {
///     fn send<'a>(&'a self, _from: &'a str, _email: &'a Email)
///         -> Pin<Box<dyn Future<Output = Result<(), EmailError>> + Send + 'a>>
///     {
///         Box::pin(async { Ok(()) })
///     }
/// }
///
/// let mailer = Mailer::new(Discard, "noreply@example.com");
/// assert!(format!("{mailer:?}").contains("Discard"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an email backend",
    note = "implement `aksara_auth::email::EmailBackend` for it, or use `ConsoleBackend`, `FileBackend`, `MemoryBackend` or `SmtpBackend`"
)]
pub trait EmailBackend: Send + Sync + 'static {
    /// Delivers `email` from `from`, the configured sender.
    ///
    /// # Errors
    /// [`EmailError`] when the message was not delivered.
    ///
    /// ```
    /// use aksara_auth::email::{Email, EmailBackend, MemoryBackend};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), aksara_auth::email::EmailError> {
    /// let backend = MemoryBackend::new();
    /// backend.send("noreply@example.com", &Email::new("jane@example.com", "Hi", "Hello")).await?;
    /// assert_eq!(backend.outbox().len(), 1);
    /// # Ok(()) }
    /// ```
    fn send<'a>(
        &'a self,
        from: &'a str,
        email: &'a Email,
    ) -> Pin<Box<dyn Future<Output = Result<(), EmailError>> + Send + 'a>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_recipient_and_subject_only() {
        let email = Email::new("jane@example.com", "Reset", "https://x/reset/SECRET")
            .with_html("<a href=\"https://x/reset/SECRET\">reset</a>");
        let debug = format!("{email:?}");
        assert!(debug.contains("jane@example.com") && debug.contains("Reset"));
        assert!(!debug.contains("SECRET"), "{debug}");
    }

    #[test]
    fn the_recipient_domain_is_what_follows_the_last_at() {
        for (to, domain) in [
            ("jane@example.com", "example.com"),
            ("Jane <jane@mail.example.org>", "mail.example.org"),
            ("\"a@b\"@example.net", "example.net"),
            ("nobody", "?"),
        ] {
            assert_eq!(Email::new(to, "", "").recipient_domain(), domain, "{to}");
        }
    }
}
