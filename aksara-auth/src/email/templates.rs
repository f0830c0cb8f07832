//! The texts of the account mails, plain and HTML, which an app overrides
//! method by method ([`MailTemplates`]).

use std::fmt::{self, Write as _};
use std::time::Duration;

/// A rendered mail: what [`Email::from_content`](super::Email::from_content)
/// turns into a message. `Debug` shows the subject only (the bodies hold links).
///
/// ```
/// use aksara_auth::email::MailContent;
/// let content = MailContent::text("Hi", "Hello, here is your secret link");
/// assert_eq!(content.html, None);
/// assert!(!format!("{content:?}").contains("secret"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct MailContent {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body, if any.
    pub html: Option<String>,
}

impl MailContent {
    /// A plain-text mail, no HTML.
    ///
    /// ```
    /// let content = aksara_auth::email::MailContent::text("Hi", "Hello");
    /// assert_eq!((content.subject.as_str(), content.text.as_str()), ("Hi", "Hello"));
    /// ```
    #[must_use]
    pub fn text(subject: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            text: text.into(),
            html: None,
        }
    }
}

impl fmt::Debug for MailContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailContent")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// What a template may use. `Debug` leaves out the link.
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::email::MailContext;
/// let cx = MailContext {
///     email: "jane@example.com",
///     link: "https://example.com/reset/SECRET",
///     site_name: "Blog",
///     valid_for: Duration::from_secs(3 * 86_400),
/// };
/// assert_eq!(cx.valid_for_text(), "3 days");
/// assert!(!format!("{cx:?}").contains("SECRET"));
/// ```
#[derive(Clone, Copy)]
pub struct MailContext<'a> {
    /// The recipient's address.
    pub email: &'a str,
    /// The link to open: a single-use reset or verification link, or for
    /// [`MailTemplates::account_exists`] the password-reset page.
    pub link: &'a str,
    /// The site's name (`[email] site_name`).
    pub site_name: &'a str,
    /// How long the link works.
    pub valid_for: Duration,
}

impl MailContext<'_> {
    /// [`valid_for`](Self::valid_for) in words: `"1 hour"`, `"3 days"`, `"90 minutes"`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use aksara_auth::email::MailContext;
    /// let cx = MailContext { email: "", link: "", site_name: "", valid_for: Duration::from_secs(3600) };
    /// assert_eq!(cx.valid_for_text(), "1 hour");
    /// ```
    #[must_use]
    pub fn valid_for_text(&self) -> String {
        human_duration(self.valid_for)
    }
}

impl fmt::Debug for MailContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailContext")
            .field("email", &self.email)
            .field("site_name", &self.site_name)
            .field("valid_for", &self.valid_for)
            .finish_non_exhaustive()
    }
}

/// `duration` in its largest whole unit, in words: `"1 hour"`, `"3 days"`,
/// `"90 minutes"`, `"45 seconds"`.
pub(crate) fn human_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let (count, unit) = [(86_400, "day"), (3600, "hour"), (60, "minute")]
        .into_iter()
        .find(|(size, _)| seconds >= *size && seconds.is_multiple_of(*size))
        .map_or((seconds, "second"), |(size, unit)| (seconds / size, unit));
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

/// `text` with `& < > " '` replaced by entities, safe in HTML text and in
/// quoted attributes.
///
/// ```
/// assert_eq!(
///     aksara_auth::email::escape_html(r#"<a href="x">Tom & Jerry's</a>"#),
///     "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;",
/// );
/// ```
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The HTML version of paragraphs, `{link}` standing for the link as an anchor.
/// Every interpolated value is escaped here, once.
fn html_of(paragraphs: &[String], link: &str) -> String {
    let link = escape_html(link);
    let mut html = String::from("<!DOCTYPE html>\n<html><body>\n");
    for paragraph in paragraphs {
        if paragraph == "{link}" {
            let _ = writeln!(html, "<p><a href=\"{link}\">{link}</a></p>");
        } else {
            let _ = writeln!(html, "<p>{}</p>", escape_html(paragraph));
        }
    }
    html.push_str("</body></html>\n");
    html
}

/// A mail of `paragraphs`, plain text and HTML; `{link}` alone is the link.
fn mail(subject: String, paragraphs: &[String], link: &str) -> MailContent {
    let text = paragraphs
        .iter()
        .map(|paragraph| {
            if paragraph == "{link}" {
                link
            } else {
                paragraph.as_str()
            }
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    MailContent {
        subject,
        text: text + "\n",
        html: Some(html_of(paragraphs, link)),
    }
}

/// The texts of the account mails. Each method has a default (English, plain
/// text and HTML); override the ones to change and pass the type to
/// [`Mailer::with_templates`](super::Mailer::with_templates).
///
/// ```
/// use aksara_auth::email::{MailContent, MailContext, MailTemplates, Mailer, MemoryBackend};
///
/// struct Friendly;
///
/// impl MailTemplates for Friendly {
///     fn password_reset(&self, cx: &MailContext<'_>) -> MailContent {
///         MailContent::text(
///             format!("Forgot your {} password?", cx.site_name),
///             format!("No problem: {} (valid for {}).", cx.link, cx.valid_for_text()),
///         )
///     }
/// }
///
/// let mailer = Mailer::new(MemoryBackend::new(), "noreply@example.com").with_templates(Friendly);
/// let cx = MailContext {
///     email: "jane@example.com",
///     link: "https://example.com/r/1",
///     site_name: mailer.site_name(),
///     valid_for: std::time::Duration::from_secs(1800),
/// };
/// assert_eq!(mailer.templates().password_reset(&cx).subject, "Forgot your Aksara password?");
/// // The others keep their default.
/// assert!(mailer.templates().email_verification(&cx).subject.starts_with("Confirm"));
/// ```
pub trait MailTemplates: Send + Sync + 'static {
    /// The mail with a password-reset link.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use aksara_auth::email::{DefaultMailTemplates, MailContext, MailTemplates};
    /// let cx = MailContext { email: "jane@example.com", link: "https://example.com/r/1", site_name: "Blog", valid_for: Duration::from_secs(3600) };
    /// let mail = DefaultMailTemplates.password_reset(&cx);
    /// assert_eq!(mail.subject, "Reset your password on Blog");
    /// assert!(mail.text.contains("https://example.com/r/1") && mail.text.contains("1 hour"));
    /// ```
    fn password_reset(&self, cx: &MailContext<'_>) -> MailContent {
        mail(
            format!("Reset your password on {}", cx.site_name),
            &[
                format!(
                    "Someone asked to reset the password of the account {} on {}.",
                    cx.email, cx.site_name
                ),
                "To choose a new password, open this link:".to_owned(),
                "{link}".to_owned(),
                format!(
                    "The link works once and expires in {}. If you did not ask for this, ignore this email: your password stays as it is.",
                    cx.valid_for_text()
                ),
            ],
            cx.link,
        )
    }

    /// The mail with an address-verification link.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use aksara_auth::email::{DefaultMailTemplates, MailContext, MailTemplates};
    /// let cx = MailContext { email: "jane@example.com", link: "https://example.com/v/1", site_name: "Blog", valid_for: Duration::from_secs(3 * 86_400) };
    /// let mail = DefaultMailTemplates.email_verification(&cx);
    /// assert_eq!(mail.subject, "Confirm your email address on Blog");
    /// assert!(mail.text.contains("3 days"));
    /// ```
    fn email_verification(&self, cx: &MailContext<'_>) -> MailContent {
        mail(
            format!("Confirm your email address on {}", cx.site_name),
            &[
                format!(
                    "Please confirm that {} is your email address on {} by opening this link:",
                    cx.email, cx.site_name
                ),
                "{link}".to_owned(),
                format!(
                    "The link expires in {}. If you did not create an account, ignore this email.",
                    cx.valid_for_text()
                ),
            ],
            cx.link,
        )
    }

    /// Sent when someone registers with an address that already has an account
    /// (mandatory-verification mode), so the answer to the registration does not
    /// reveal it; `link` is the password-reset page.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use aksara_auth::email::{DefaultMailTemplates, MailContext, MailTemplates};
    /// let cx = MailContext { email: "jane@example.com", link: "https://example.com/forgot", site_name: "Blog", valid_for: Duration::ZERO };
    /// let mail = DefaultMailTemplates.account_exists(&cx);
    /// assert_eq!(mail.subject, "You already have an account on Blog");
    /// assert!(mail.text.contains("https://example.com/forgot"));
    /// ```
    fn account_exists(&self, cx: &MailContext<'_>) -> MailContent {
        mail(
            format!("You already have an account on {}", cx.site_name),
            &[
                format!(
                    "Someone tried to create an account on {} with {}, but this address already has one.",
                    cx.site_name, cx.email
                ),
                "If it was you, sign in with your password, or choose a new one here:".to_owned(),
                "{link}".to_owned(),
                "If it was not you, ignore this email: nothing has changed.".to_owned(),
            ],
            cx.link,
        )
    }
}

/// The built-in English texts.
///
/// ```
/// use aksara_auth::email::{DefaultMailTemplates, Mailer, MemoryBackend};
/// let mailer = Mailer::new(MemoryBackend::new(), "noreply@example.com")
///     .with_templates(DefaultMailTemplates);
/// # let _ = mailer;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultMailTemplates;

impl MailTemplates for DefaultMailTemplates {}

#[cfg(test)]
mod tests {
    use super::*;

    fn context<'a>(email: &'a str, link: &'a str, site_name: &'a str) -> MailContext<'a> {
        MailContext {
            email,
            link,
            site_name,
            valid_for: Duration::from_secs(3600),
        }
    }

    #[test]
    fn durations_are_written_in_words() {
        for (seconds, text) in [
            (3600, "1 hour"),
            (7200, "2 hours"),
            (3 * 86_400, "3 days"),
            (86_400, "1 day"),
            (5400, "90 minutes"),
            (60, "1 minute"),
            (45, "45 seconds"),
            (1, "1 second"),
            (0, "0 seconds"),
            (36 * 3600, "36 hours"),
        ] {
            assert_eq!(
                human_duration(Duration::from_secs(seconds)),
                text,
                "{seconds}"
            );
        }
    }

    #[test]
    fn escaping_covers_the_five_characters() {
        assert_eq!(escape_html("&<>\"'x"), "&amp;&lt;&gt;&quot;&#39;x");
        assert_eq!(escape_html("plain é"), "plain é");
    }

    #[test]
    fn html_versions_escape_every_interpolated_value() {
        let cx = context(
            "<script>@example.com",
            "https://example.com/r?a=1&b=\"2\"",
            "Tom & Jerry's <Blog>",
        );
        for mail in [
            DefaultMailTemplates.password_reset(&cx),
            DefaultMailTemplates.email_verification(&cx),
            DefaultMailTemplates.account_exists(&cx),
        ] {
            let html = mail.html.unwrap();
            assert!(!html.contains("<script>"), "{html}");
            assert!(!html.contains("Tom & Jerry"), "{html}");
            assert!(
                html.contains("Tom &amp; Jerry&#39;s &lt;Blog&gt;"),
                "{html}"
            );
            assert!(
                html.contains("href=\"https://example.com/r?a=1&amp;b=&quot;2&quot;\""),
                "{html}"
            );
            // The plain text is not escaped: it is not HTML.
            assert!(
                mail.text.contains("https://example.com/r?a=1&b=\"2\""),
                "{}",
                mail.text
            );
        }
    }

    #[test]
    fn every_default_mail_carries_the_link_and_the_site() {
        let cx = context("jane@example.com", "https://example.com/LINK", "Blog");
        for mail in [
            DefaultMailTemplates.password_reset(&cx),
            DefaultMailTemplates.email_verification(&cx),
            DefaultMailTemplates.account_exists(&cx),
        ] {
            assert!(mail.subject.contains("Blog"), "{}", mail.subject);
            assert!(
                mail.text.contains("https://example.com/LINK\n"),
                "{}",
                mail.text
            );
            assert!(mail.text.contains("jane@example.com"), "{}", mail.text);
            assert!(!format!("{mail:?}").contains("LINK"));
        }
        assert!(
            DefaultMailTemplates
                .password_reset(&cx)
                .text
                .contains("expires in 1 hour")
        );
    }
}
