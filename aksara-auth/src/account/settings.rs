//! The `[accounts]` section of [`aksara::Settings`]: whether registration
//! waits for a verified address, and the front-end pages the reset and
//! verification mails link to.

use aksara::settings::{GivenKeys, InvalidKey, Section};
use serde::Deserialize;

/// Whether a new account must confirm its address before it can log in
/// (allauth's `ACCOUNT_EMAIL_VERIFICATION`).
///
/// ```
/// use aksara_auth::account::EmailVerification;
/// assert_eq!(EmailVerification::default(), EmailVerification::Optional);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum EmailVerification {
    /// Registration logs the new account in at once (201 with tokens);
    /// `POST /send-verification` mails a link whenever the user asks.
    #[default]
    Optional,
    /// Registration answers 202 and mails a verification link, the same
    /// answer for a taken address (whose owner gets an "account exists"
    /// mail instead); login refuses an unverified account with the one
    /// `invalid_credentials` answer.
    Mandatory,
}

/// The account router's own settings (`[accounts]` in TOML,
/// `AKSARA_ACCOUNTS_*` in the environment).
///
/// | TOML key | environment variable | type | default |
/// |---|---|---|---|
/// | `email_verification` | `AKSARA_ACCOUNTS_EMAIL_VERIFICATION` | `"optional"` or `"mandatory"` | `"optional"` |
/// | `password_reset_url` | `AKSARA_ACCOUNTS_PASSWORD_RESET_URL` | absolute http(s) URL of the app's reset page | `http://localhost:3000/reset-password` in debug; required otherwise |
/// | `email_verification_url` | `AKSARA_ACCOUNTS_EMAIL_VERIFICATION_URL` | absolute http(s) URL of the app's verification page | `http://localhost:3000/verify-email` in debug; required otherwise |
///
/// The mails link to these pages with the token as `?token=…`; the page posts
/// it to `/reset-password` or `/verify-email`. Links are never built from
/// the request's `Host` header, which a client chooses.
///
/// ```
/// use aksara_auth::account::{AccountSettings, EmailVerification};
/// let settings = aksara::Settings::from_sources(
///     Some("debug = true\n[accounts]\nemail_verification = \"mandatory\"\npassword_reset_url = \"https://app.example.com/reset\"\nemail_verification_url = \"https://app.example.com/verify\"\n"),
///     None::<(String, String)>,
/// )?;
/// let accounts: AccountSettings = settings.section()?;
/// assert_eq!(accounts.email_verification, EmailVerification::Mandatory);
/// assert_eq!(
///     accounts.password_reset_link("abc").unwrap().as_str(),
///     "https://app.example.com/reset?token=abc"
/// );
/// # Ok::<(), aksara::SettingsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct AccountSettings {
    /// Whether registration waits for a verified address.
    pub email_verification: EmailVerification,
    /// The app's page that takes a reset token (from `?token=`).
    pub password_reset_url: Option<String>,
    /// The app's page that takes a verification token (from `?token=`).
    pub email_verification_url: Option<String>,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            email_verification: EmailVerification::Optional,
            password_reset_url: None,
            email_verification_url: None,
        }
    }
}

/// The pages of a front-end on this machine's usual development port: what a
/// `debug = true` app links to until it configures its own.
const DEBUG_PASSWORD_RESET_URL: &str = "http://localhost:3000/reset-password";
const DEBUG_EMAIL_VERIFICATION_URL: &str = "http://localhost:3000/verify-email";

impl AccountSettings {
    /// Settings whose mails link to `password_reset_url` and
    /// `email_verification_url`.
    ///
    /// ```
    /// let accounts = aksara_auth::account::AccountSettings::with_links(
    ///     "https://app.example.com/reset",
    ///     "https://app.example.com/verify",
    /// );
    /// assert!(accounts.email_verification_link("t").is_some());
    /// ```
    #[must_use]
    pub fn with_links(password_reset_url: &str, email_verification_url: &str) -> Self {
        Self {
            password_reset_url: Some(password_reset_url.to_owned()),
            email_verification_url: Some(email_verification_url.to_owned()),
            ..Self::default()
        }
    }

    /// The defaults of a `debug = true` app: links to `localhost:3000`.
    ///
    /// ```
    /// let accounts = aksara_auth::account::AccountSettings::debug_defaults();
    /// assert_eq!(
    ///     accounts.password_reset_link("t").unwrap().as_str(),
    ///     "http://localhost:3000/reset-password?token=t"
    /// );
    /// ```
    #[must_use]
    pub fn debug_defaults() -> Self {
        Self::with_links(DEBUG_PASSWORD_RESET_URL, DEBUG_EMAIL_VERIFICATION_URL)
    }

    /// The reset mail's link for `token`, or `None` without a configured page.
    ///
    /// ```
    /// let accounts = aksara_auth::account::AccountSettings::with_links(
    ///     "https://app.example.com/reset?lang=en",
    ///     "https://app.example.com/verify",
    /// );
    /// assert_eq!(
    ///     accounts.password_reset_link("a+b").unwrap().as_str(),
    ///     "https://app.example.com/reset?lang=en&token=a%2Bb"
    /// );
    /// ```
    #[must_use]
    pub fn password_reset_link(&self, token: &str) -> Option<url::Url> {
        link(self.password_reset_url.as_deref()?, token)
    }

    /// The verification mail's link for `token`, or `None` without a
    /// configured page.
    ///
    /// ```
    /// let accounts = aksara_auth::account::AccountSettings::debug_defaults();
    /// assert_eq!(
    ///     accounts.email_verification_link("t").unwrap().as_str(),
    ///     "http://localhost:3000/verify-email?token=t"
    /// );
    /// ```
    #[must_use]
    pub fn email_verification_link(&self, token: &str) -> Option<url::Url> {
        link(self.email_verification_url.as_deref()?, token)
    }

    /// The settings an app gets from its `[accounts]` section: outside
    /// debug, both pages must be configured (a reset mail linking to
    /// `localhost` would be a dead link in every user's inbox).
    pub(crate) fn for_app(mut self, debug: bool) -> Result<Self, InvalidKey> {
        for (key, value, fallback) in [
            (
                "password_reset_url",
                &mut self.password_reset_url,
                DEBUG_PASSWORD_RESET_URL,
            ),
            (
                "email_verification_url",
                &mut self.email_verification_url,
                DEBUG_EMAIL_VERIFICATION_URL,
            ),
        ] {
            if value.is_none() {
                if !debug {
                    return Err(InvalidKey::new(
                        key,
                        "set the address of the app's page that takes the mailed token (e.g. \"https://app.example.com/reset-password\"); only debug mode defaults to localhost:3000",
                    ));
                }
                *value = Some(fallback.to_owned());
            }
        }
        Ok(self)
    }
}

fn link(page: &str, token: &str) -> Option<url::Url> {
    let mut url = url::Url::parse(page).ok()?;
    url.query_pairs_mut().append_pair("token", token);
    Some(url)
}

impl Section for AccountSettings {
    const NAME: &'static str = "accounts";

    /// Refuses a page that is not an absolute http(s) URL without a fragment
    /// (the token goes in its query).
    fn finish(&mut self, _given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
        for (key, value) in [
            ("password_reset_url", &self.password_reset_url),
            ("email_verification_url", &self.email_verification_url),
        ] {
            let Some(text) = value else { continue };
            let valid = url::Url::parse(text).is_ok_and(|url| {
                matches!(url.scheme(), "http" | "https")
                    && url.host_str().is_some()
                    && url.fragment().is_none()
            });
            if !valid {
                return Err(InvalidKey::new(
                    key,
                    "expected an absolute http(s) URL without a #fragment, such as \"https://app.example.com/reset-password\"",
                ));
            }
        }
        Ok(())
    }
}

aksara::declare_section!(AccountSettings);

#[cfg(test)]
mod tests {
    use super::*;

    fn read(toml: &str) -> Result<AccountSettings, String> {
        aksara::Settings::from_sources(Some(toml), None::<(String, String)>)
            .and_then(|settings| settings.section::<AccountSettings>())
            .map_err(|error| error.to_string())
    }

    #[test]
    fn pages_must_be_absolute_web_urls() {
        for bad in [
            "/reset",
            "ftp://example.com/reset",
            "https://example.com/reset#x",
        ] {
            let error = read(&format!(
                "debug = true\n[accounts]\npassword_reset_url = \"{bad}\"\n"
            ))
            .unwrap_err();
            assert!(error.contains("password_reset_url"), "{bad}: {error}");
            assert!(error.contains("absolute http(s) URL"), "{bad}: {error}");
        }
    }

    #[test]
    fn outside_debug_the_pages_are_required() {
        let error = AccountSettings::default().for_app(false).unwrap_err();
        assert!(error.to_string().contains("password_reset_url"), "{error}");
        let debug = AccountSettings::default().for_app(true).unwrap();
        assert_eq!(debug, AccountSettings::debug_defaults());
        let given = AccountSettings::with_links("https://a.example/r", "https://a.example/v");
        assert_eq!(given.clone().for_app(false).unwrap(), given);
    }

    #[test]
    fn the_mode_is_read_by_name() {
        let settings =
            read("debug = true\n[accounts]\nemail_verification = \"mandatory\"\n").unwrap();
        assert_eq!(settings.email_verification, EmailVerification::Mandatory);
        let error =
            read("debug = true\n[accounts]\nemail_verification = \"sometimes\"\n").unwrap_err();
        assert!(error.contains("email_verification"), "{error}");
    }
}
