//! [`Mailer`]: the configured backend, sender, templates and site name, shared
//! by every request.

use std::fmt;
use std::sync::Arc;

use aksara::Settings;

use super::{
    ConsoleBackend, DefaultMailTemplates, Email, EmailBackend, EmailBackendKind, EmailError,
    EmailSettings, FileBackend, MailTemplates, MemoryBackend, SmtpBackend,
};

/// Sends mail: a backend, the sender address, the [`MailTemplates`] and the site
/// name. Cloning is cheap (one `Arc`); `Debug` shows the backend's type and the
/// sender.
///
/// ```
/// use aksara_auth::email::{Email, Mailer, MemoryBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), aksara_auth::email::EmailError> {
/// let outbox = MemoryBackend::new();
/// let mailer = Mailer::new(outbox.clone(), "noreply@example.com");
/// mailer.send(&Email::new("jane@example.com", "Hi", "Hello")).await?;
/// assert_eq!(outbox.outbox().len(), 1);
/// assert_eq!(format!("{mailer:?}"), r#"Mailer { backend: "MemoryBackend", from: "noreply@example.com", .. }"#);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Arc<dyn EmailBackend>,
    /// The backend's type name without its path, for `Debug` and logs.
    backend_name: &'static str,
    from: String,
    templates: Arc<dyn MailTemplates>,
    site_name: String,
}

/// `T`'s name without its module path.
fn short_type_name<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    let base = name.split('<').next().unwrap_or(name);
    base.rsplit("::").next().unwrap_or(base)
}

impl Mailer {
    /// Mail through `backend` from `from`, with the default templates and the
    /// site name `"Aksara"`. The sender is checked when a message is sent.
    ///
    /// ```
    /// use aksara_auth::email::{ConsoleBackend, Mailer};
    /// let mailer = Mailer::new(ConsoleBackend, "Blog <noreply@example.com>");
    /// assert_eq!(mailer.from(), "Blog <noreply@example.com>");
    /// assert_eq!(mailer.site_name(), "Aksara");
    /// ```
    #[must_use]
    pub fn new<B: EmailBackend>(backend: B, from: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                backend: Arc::new(backend),
                backend_name: short_type_name::<B>(),
                from: from.into(),
                templates: Arc::new(DefaultMailTemplates),
                site_name: "Aksara".to_owned(),
            }),
        }
    }

    /// The mailer `[email]` in `settings` describes (see [`EmailSettings`]).
    ///
    /// # Errors
    /// The settings error when `[email]` is invalid, or when `debug` is off and
    /// no backend is set.
    ///
    /// ```
    /// let settings = aksara::Settings::from_sources(
    ///     Some("debug = true\n[email]\nbackend = \"memory\"\nsite_name = \"Blog\"\n"),
    ///     None::<(String, String)>,
    /// )?;
    /// let mailer = aksara_auth::email::Mailer::from_settings(&settings)?;
    /// assert_eq!(mailer.site_name(), "Blog");
    /// assert!(format!("{mailer:?}").contains("MemoryBackend"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_settings(settings: &Settings) -> Result<Self, Box<dyn std::error::Error>> {
        let email = EmailSettings::from_settings(settings)?;
        Ok(Self::from_email_settings(&email)?)
    }

    /// The mailer `settings` describe.
    ///
    /// # Errors
    /// [`EmailError::InvalidSettings`] when `backend = "smtp"` and `smtp_url` is
    /// missing or not an SMTP URL.
    ///
    /// ```
    /// use aksara_auth::email::{EmailBackendKind, EmailSettings, Mailer};
    /// let mailer = Mailer::from_email_settings(&EmailSettings::with_backend(EmailBackendKind::File))?;
    /// assert!(format!("{mailer:?}").contains("FileBackend"));
    /// # Ok::<(), aksara_auth::email::EmailError>(())
    /// ```
    pub fn from_email_settings(settings: &EmailSettings) -> Result<Self, EmailError> {
        let from = settings.from.clone();
        let mailer = match settings.backend {
            EmailBackendKind::Console => Self::new(ConsoleBackend, from),
            EmailBackendKind::File => Self::new(FileBackend::new(settings.file_dir.clone()), from),
            EmailBackendKind::Memory => Self::new(MemoryBackend::new(), from),
            EmailBackendKind::Smtp => {
                let url =
                    settings
                        .smtp_url
                        .as_deref()
                        .ok_or_else(|| EmailError::InvalidSettings {
                            key: "smtp_url",
                            message: "required for backend = \"smtp\": set it to a URL such as \
                                  smtp://user:password@smtp.example.com:587?tls=required"
                                .to_owned(),
                        })?;
                Self::new(SmtpBackend::new(url, settings.timeout)?, from)
            }
        };
        Ok(mailer.with_site_name(settings.site_name.clone()))
    }

    /// The same mailer with other texts.
    ///
    /// ```
    /// use aksara_auth::email::{DefaultMailTemplates, Mailer, MemoryBackend};
    /// let mailer = Mailer::new(MemoryBackend::new(), "noreply@example.com")
    ///     .with_templates(DefaultMailTemplates);
    /// # let _ = mailer;
    /// ```
    #[must_use]
    pub fn with_templates(self, templates: impl MailTemplates) -> Self {
        self.rebuilt(|inner| inner.templates = Arc::new(templates))
    }

    /// The same mailer with another site name for the texts.
    ///
    /// ```
    /// use aksara_auth::email::{Mailer, MemoryBackend};
    /// let mailer = Mailer::new(MemoryBackend::new(), "noreply@example.com").with_site_name("Blog");
    /// assert_eq!(mailer.site_name(), "Blog");
    /// ```
    #[must_use]
    pub fn with_site_name(self, site_name: impl Into<String>) -> Self {
        let site_name = site_name.into();
        self.rebuilt(|inner| inner.site_name = site_name)
    }

    /// A copy of the inner state (shared parts stay shared), changed by `change`.
    fn rebuilt(self, change: impl FnOnce(&mut Inner)) -> Self {
        let inner = &self.inner;
        let mut copy = Inner {
            backend: Arc::clone(&inner.backend),
            backend_name: inner.backend_name,
            from: inner.from.clone(),
            templates: Arc::clone(&inner.templates),
            site_name: inner.site_name.clone(),
        };
        change(&mut copy);
        Self {
            inner: Arc::new(copy),
        }
    }

    /// The texts of the account mails.
    ///
    /// ```
    /// # use aksara_auth::email::{MailContext, Mailer, MemoryBackend};
    /// let mailer = Mailer::new(MemoryBackend::new(), "noreply@example.com");
    /// let cx = MailContext { email: "jane@example.com", link: "https://example.com/v/1", site_name: mailer.site_name(), valid_for: std::time::Duration::from_secs(86_400) };
    /// assert!(mailer.templates().email_verification(&cx).text.contains("1 day"));
    /// ```
    #[must_use]
    pub fn templates(&self) -> &dyn MailTemplates {
        &*self.inner.templates
    }

    /// The site name the texts use: `[email] site_name`, `"Aksara"` by default.
    ///
    /// ```
    /// # use aksara_auth::email::{Mailer, MemoryBackend};
    /// assert_eq!(Mailer::new(MemoryBackend::new(), "a@example.com").site_name(), "Aksara");
    /// ```
    #[must_use]
    pub fn site_name(&self) -> &str {
        &self.inner.site_name
    }

    /// The sender of every message.
    ///
    /// ```
    /// # use aksara_auth::email::{Mailer, MemoryBackend};
    /// assert_eq!(Mailer::new(MemoryBackend::new(), "a@example.com").from(), "a@example.com");
    /// ```
    #[must_use]
    pub fn from(&self) -> &str {
        &self.inner.from
    }

    /// Sends `email` now and waits for the backend. Logged at `debug` (the
    /// recipient's domain and the backend), a failure at `warn`; never the
    /// body nor the full address.
    ///
    /// # Errors
    /// The backend's [`EmailError`].
    ///
    /// ```
    /// use aksara_auth::email::{Email, Mailer, MemoryBackend};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mailer = Mailer::new(MemoryBackend::new(), "noreply@example.com");
    /// assert!(mailer.send(&Email::new("jane@example.com", "Hi", "Hello")).await.is_ok());
    /// assert!(mailer.send(&Email::new("jane", "Hi", "Hello")).await.is_err());
    /// # }
    /// ```
    pub async fn send(&self, email: &Email) -> Result<(), EmailError> {
        let inner = &*self.inner;
        let domain = email.recipient_domain();
        tracing::debug!(
            backend = inner.backend_name,
            to_domain = domain,
            "sending email"
        );
        let result = inner.backend.send(&inner.from, email).await;
        match &result {
            Ok(()) => tracing::debug!(
                backend = inner.backend_name,
                to_domain = domain,
                "email sent"
            ),
            Err(err) => tracing::warn!(
                backend = inner.backend_name,
                to_domain = domain,
                error = %err,
                "email not sent"
            ),
        }
        result
    }

    /// Sends `email` on a task of its own and returns at once: a request never
    /// waits for delivery, nor learns whether it worked (so its answer cannot
    /// tell a registered address from another). A failure is logged at `warn`
    /// and dropped; without a Tokio runtime the message is dropped with a
    /// warning.
    ///
    /// ```
    /// use aksara_auth::email::{Email, Mailer, MemoryBackend};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let outbox = MemoryBackend::new();
    /// let mailer = Mailer::new(outbox.clone(), "noreply@example.com");
    /// mailer.send_later(Email::new("jane@example.com", "Hi", "Hello"));
    /// while outbox.outbox().is_empty() {
    ///     tokio::task::yield_now().await;
    /// }
    /// # }
    /// ```
    pub fn send_later(&self, email: Email) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let mailer = self.clone();
                runtime.spawn(async move {
                    // `send` has logged a failure; nobody waits for the result.
                    let _ = mailer.send(&email).await;
                });
            }
            Err(_) => tracing::warn!(
                backend = self.inner.backend_name,
                to_domain = email.recipient_domain(),
                "email not sent: send_later needs a Tokio runtime; call it from async code"
            ),
        }
    }
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("backend", &self.inner.backend_name)
            .field("from", &self.inner.from)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_lose_their_path() {
        assert_eq!(short_type_name::<MemoryBackend>(), "MemoryBackend");
        assert_eq!(short_type_name::<Vec<String>>(), "Vec");
    }

    #[test]
    fn send_later_outside_a_runtime_does_not_panic() {
        let outbox = MemoryBackend::new();
        Mailer::new(outbox.clone(), "noreply@example.com").send_later(Email::new(
            "jane@example.com",
            "Hi",
            "Hello",
        ));
        assert!(outbox.outbox().is_empty());
    }
}
