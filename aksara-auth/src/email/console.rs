//! [`ConsoleBackend`]: each message written to stdout, as Django's console backend.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;

use super::{Email, EmailBackend, EmailError, message};

/// Writes each message, formatted as it would be sent, to standard output,
/// followed by a line of dashes; the default backend when `debug = true`.
/// Meant for development: the reset links in the bodies are printed.
///
/// ```
/// use aksara_auth::email::{ConsoleBackend, Mailer};
/// let mailer = Mailer::new(ConsoleBackend, "noreply@example.com");
/// assert!(format!("{mailer:?}").contains("ConsoleBackend"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsoleBackend;

impl EmailBackend for ConsoleBackend {
    fn send<'a>(
        &'a self,
        from: &'a str,
        email: &'a Email,
    ) -> Pin<Box<dyn Future<Output = Result<(), EmailError>> + Send + 'a>> {
        Box::pin(async move {
            let mut formatted = message::build(from, email)?.formatted();
            formatted.extend_from_slice(b"\r\n");
            formatted.extend_from_slice(&[b'-'; 79]);
            formatted.push(b'\n');
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&formatted)
                .and_then(|()| stdout.flush())
                .map_err(|source| EmailError::Io {
                    target: "standard output".to_owned(),
                    source,
                })
        })
    }
}
