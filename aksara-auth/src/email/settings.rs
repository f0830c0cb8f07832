//! The `[email]` section of [`aksara::Settings`]: which backend delivers mail,
//! from which address, and the site name the texts use.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use aksara::settings::{GivenKeys, InvalidKey, Section, deserialize_duration};
use aksara::{Settings, SettingsError};
use serde::Deserialize;

use super::{SmtpBackend, message};

/// Which [`EmailBackend`](super::EmailBackend) `[email] backend` names.
///
/// ```
/// use aksara_auth::email::{EmailBackendKind, EmailSettings};
/// let settings = aksara::Settings::from_sources(Some("debug = true\n[email]\nbackend = \"file\"\n"), None::<(String, String)>)?;
/// assert_eq!(EmailSettings::from_settings(&settings)?.backend, EmailBackendKind::File);
/// # Ok::<(), aksara::SettingsError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum EmailBackendKind {
    /// [`ConsoleBackend`](super::ConsoleBackend): stdout; the default in debug mode.
    #[default]
    Console,
    /// [`FileBackend`](super::FileBackend): `.eml` files in `file_dir`.
    File,
    /// [`MemoryBackend`](super::MemoryBackend): kept in the process.
    Memory,
    /// [`SmtpBackend`](super::SmtpBackend): delivered to `smtp_url`.
    Smtp,
}

/// Email delivery (`[email]` in TOML, `AKSARA_EMAIL_*` in the environment).
///
/// | TOML key | environment variable | type | default |
/// |---|---|---|---|
/// | `backend` | `AKSARA_EMAIL_BACKEND` | `"console"`, `"file"`, `"memory"` or `"smtp"` | `"console"` in debug mode; outside it, required |
/// | `from` | `AKSARA_EMAIL_FROM` | the sender, `noreply@example.com` or `"Blog <noreply@example.com>"` | `"webmaster@localhost"` |
/// | `file_dir` | `AKSARA_EMAIL_FILE_DIR` | folder for `backend = "file"` | `"mail"` |
/// | `smtp_url` | `AKSARA_EMAIL_SMTP_URL` | `smtp://user:pass@host:587?tls=required`, `smtps://…:465` or `smtp://host:25`; required for `backend = "smtp"` | none |
/// | `timeout` | `AKSARA_EMAIL_TIMEOUT` | duration: each SMTP step | `"10s"` |
/// | `site_name` | `AKSARA_EMAIL_SITE_NAME` | the name the mails use | `"Aksara"` |
///
/// Read it with [`EmailSettings::from_settings`], which applies the debug-mode
/// default of `backend` (`settings.section()` alone cannot see `debug`).
/// `Debug` does not show `smtp_url`, which holds the SMTP password.
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::email::{EmailBackendKind, EmailSettings};
///
/// let settings = aksara::Settings::from_sources(
///     Some("debug = true\n[email]\nfrom = \"Blog <noreply@example.com>\"\n"),
///     [("AKSARA_EMAIL_TIMEOUT", "30s")],
/// )?;
/// let email = EmailSettings::from_settings(&settings)?;
/// assert_eq!(email.backend, EmailBackendKind::Console);
/// assert_eq!(email.from, "Blog <noreply@example.com>");
/// assert_eq!(email.timeout, Duration::from_secs(30));
/// assert_eq!(email.site_name, "Aksara");
///
/// let production = aksara::Settings::from_sources(
///     Some("secret_key = \"a-long-and-random-production-secret-key-1234567890\"\n"),
///     None::<(String, String)>,
/// )?;
/// let err = EmailSettings::from_settings(&production).unwrap_err();
/// assert!(err.to_string().contains("set `[email] backend`"));
/// # Ok::<(), aksara::SettingsError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct EmailSettings {
    /// Which backend delivers mail.
    pub backend: EmailBackendKind,
    /// The sender of every message.
    pub from: String,
    /// The folder of the file backend.
    pub file_dir: PathBuf,
    /// The SMTP server, with its credentials.
    pub smtp_url: Option<String>,
    /// How long each SMTP step (connecting, each command) may take.
    #[serde(deserialize_with = "deserialize_duration")]
    pub timeout: Duration,
    /// The site's name in the texts ([`MailContext::site_name`](super::MailContext::site_name)).
    pub site_name: String,
    /// Whether `backend` was set in the file or the environment.
    #[serde(skip)]
    backend_given: bool,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            backend: EmailBackendKind::Console,
            from: "webmaster@localhost".to_owned(),
            file_dir: PathBuf::from("mail"),
            smtp_url: None,
            timeout: Duration::from_secs(10),
            site_name: "Aksara".to_owned(),
            backend_given: false,
        }
    }
}

impl fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSettings")
            .field("backend", &self.backend)
            .field("from", &self.from)
            .field("file_dir", &self.file_dir)
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "…"))
            .field("timeout", &self.timeout)
            .field("site_name", &self.site_name)
            .finish()
    }
}

impl EmailSettings {
    /// The defaults with another backend, as if `backend` were set (tests, or
    /// an app that configures mail in code).
    ///
    /// ```
    /// use aksara_auth::email::{EmailBackendKind, EmailSettings};
    /// assert_eq!(EmailSettings::with_backend(EmailBackendKind::Memory).backend, EmailBackendKind::Memory);
    /// ```
    #[must_use]
    pub fn with_backend(backend: EmailBackendKind) -> Self {
        Self {
            backend,
            backend_given: true,
            ..Self::default()
        }
    }

    /// The `[email]` section of `settings`, with `backend` defaulting to
    /// `console` in debug mode.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] for a bad key, and for `email.backend` when
    /// `debug` is off and no backend is set.
    ///
    /// ```
    /// use aksara_auth::email::{EmailBackendKind, EmailSettings};
    /// let settings = aksara::Settings::from_sources(Some("debug = true"), [("AKSARA_EMAIL_BACKEND", "memory")])?;
    /// assert_eq!(EmailSettings::from_settings(&settings)?.backend, EmailBackendKind::Memory);
    /// # Ok::<(), aksara::SettingsError>(())
    /// ```
    pub fn from_settings(settings: &Settings) -> Result<Self, SettingsError> {
        let email: Self = settings.section()?;
        if !email.backend_given && !settings.debug {
            return Err(SettingsError::Invalid {
                key: "email.backend".to_owned(),
                origin: aksara::settings::SettingSource::Default,
                message: "no email backend is set and debug is off (the console backend is \
                          the default in debug mode only): set `[email] backend` (or \
                          AKSARA_EMAIL_BACKEND) to \"smtp\" with `smtp_url`, or to \"file\", \
                          \"console\" or \"memory\""
                    .to_owned(),
            });
        }
        Ok(email)
    }
}

impl Section for EmailSettings {
    const NAME: &'static str = "email";

    /// Refuses a sender that is not an address, a zero timeout, and an SMTP
    /// backend without a valid `smtp_url`.
    fn finish(&mut self, given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
        self.backend_given = given.is_set("backend");
        if message::mailbox("from", &self.from).is_err() {
            return Err(InvalidKey::new(
                "from",
                "expected an email address such as noreply@example.com or \"Blog <noreply@example.com>\"",
            ));
        }
        InvalidKey::unless_nonzero([("timeout", self.timeout)])?;
        if self.backend == EmailBackendKind::Smtp {
            let Some(url) = self.smtp_url.as_deref().filter(|url| !url.is_empty()) else {
                return Err(InvalidKey::new(
                    "smtp_url",
                    "expected a URL such as smtp://user:password@smtp.example.com:587?tls=required for backend = \"smtp\"",
                ));
            };
            if let Err(super::EmailError::InvalidSettings { message, .. }) =
                SmtpBackend::new(url, self.timeout)
            {
                return Err(InvalidKey::new("smtp_url", message));
            }
        }
        Ok(())
    }
}

aksara::declare_section!(EmailSettings);

#[cfg(test)]
mod tests {
    use super::*;

    fn load(file: &str, env: &[(&str, &str)]) -> Result<EmailSettings, String> {
        Settings::from_sources(Some(file), env.iter().copied())
            .and_then(|settings| EmailSettings::from_settings(&settings))
            .map_err(|err| err.to_string())
    }

    #[test]
    fn debug_mode_defaults_to_the_console() {
        let email = load("debug = true\n", &[]).unwrap();
        assert_eq!(email, EmailSettings::default());
        assert_eq!(email.from, "webmaster@localhost");
        assert_eq!(email.file_dir, PathBuf::from("mail"));
        assert_eq!(email.timeout, Duration::from_secs(10));
    }

    #[test]
    fn every_key_is_read_from_the_file_and_the_environment() {
        let email = load(
            "debug = true\n[email]\nbackend = \"smtp\"\nfrom = \"Blog <noreply@example.com>\"\n\
             file_dir = \"/tmp/mail\"\nsmtp_url = \"smtp://u:p@mail.example.com:587?tls=required\"\n\
             timeout = \"3s\"\nsite_name = \"Blog\"\n",
            &[("AKSARA_EMAIL_SITE_NAME", "Blog from env")],
        )
        .unwrap();
        assert_eq!(email.backend, EmailBackendKind::Smtp);
        assert_eq!(email.from, "Blog <noreply@example.com>");
        assert_eq!(email.file_dir, PathBuf::from("/tmp/mail"));
        assert_eq!(email.timeout, Duration::from_secs(3));
        assert_eq!(email.site_name, "Blog from env");
    }

    #[test]
    fn bad_values_name_their_key() {
        for (file, key) in [
            ("[email]\nbackend = \"smtp\"\n", "email.smtp_url"),
            (
                "[email]\nbackend = \"smtp\"\nsmtp_url = \"http://x\"\n",
                "email.smtp_url",
            ),
            ("[email]\nfrom = \"not an address\"\n", "email.from"),
            ("[email]\ntimeout = \"0s\"\n", "email.timeout"),
            ("[email]\nbackend = \"carrier-pigeon\"\n", "email.backend"),
            ("[email]\nsmtp_host = \"x\"\n", "email.smtp_host"),
        ] {
            let err = load(&format!("debug = true\n{file}"), &[]).unwrap_err();
            assert!(
                err.starts_with(&format!("invalid setting `{key}`")),
                "{file}: {err}"
            );
        }
    }

    #[test]
    fn outside_debug_a_backend_must_be_set() {
        let secret = "secret_key = \"k3y-that-is-long-enough-and-random-enough-0123456789\"\n";
        let err = load(secret, &[]).unwrap_err();
        assert!(err.contains("set `[email] backend`"), "{err}");
        let email = load(secret, &[("AKSARA_EMAIL_BACKEND", "file")]).unwrap();
        assert_eq!(email.backend, EmailBackendKind::File);
    }

    #[test]
    fn debug_hides_the_smtp_url() {
        let email = EmailSettings {
            smtp_url: Some("smtp://u:hunter2@mail.example.com".into()),
            ..EmailSettings::default()
        };
        assert!(!format!("{email:?}").contains("hunter2"));
    }
}
