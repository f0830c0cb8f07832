//! [`MemoryBackend`]: messages kept in an outbox, for tests.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use super::{Email, EmailBackend, EmailError, message};

/// Keeps every message in an outbox instead of sending it; clones share one
/// outbox, so a test keeps a clone and reads what the app sent. Addresses are
/// checked as the other backends check them.
///
/// ```
/// use aksara_auth::email::{Email, Mailer, MemoryBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), aksara_auth::email::EmailError> {
/// let outbox = MemoryBackend::new();
/// let mailer = Mailer::new(outbox.clone(), "noreply@example.com");
/// mailer.send(&Email::new("jane@example.com", "Hi", "Hello")).await?;
/// assert_eq!(outbox.outbox()[0].to, "jane@example.com");
/// outbox.clear();
/// assert!(outbox.outbox().is_empty());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryBackend {
    sent: Arc<Mutex<Vec<Email>>>,
}

impl MemoryBackend {
    /// An empty outbox.
    ///
    /// ```
    /// assert!(aksara_auth::email::MemoryBackend::new().outbox().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The messages sent so far, oldest first.
    ///
    /// ```
    /// # use aksara_auth::email::{Email, EmailBackend, MemoryBackend};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), aksara_auth::email::EmailError> {
    /// let backend = MemoryBackend::new();
    /// backend.send("noreply@example.com", &Email::new("a@example.com", "1", "")).await?;
    /// backend.send("noreply@example.com", &Email::new("b@example.com", "2", "")).await?;
    /// let subjects: Vec<_> = backend.outbox().into_iter().map(|email| email.subject).collect();
    /// assert_eq!(subjects, ["1", "2"]);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn outbox(&self) -> Vec<Email> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Empties the outbox (of every clone).
    ///
    /// ```
    /// let backend = aksara_auth::email::MemoryBackend::new();
    /// backend.clone().clear();
    /// assert!(backend.outbox().is_empty());
    /// ```
    pub fn clear(&self) {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl EmailBackend for MemoryBackend {
    fn send<'a>(
        &'a self,
        from: &'a str,
        email: &'a Email,
    ) -> Pin<Box<dyn Future<Output = Result<(), EmailError>> + Send + 'a>> {
        Box::pin(async move {
            message::build(from, email)?;
            self.sent
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(email.clone());
            Ok(())
        })
    }
}
