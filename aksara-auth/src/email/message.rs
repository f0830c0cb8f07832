//! An [`Email`] and its sender turned into an RFC 5322 message with lettre's
//! builder; the one place addresses are parsed.

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

use super::{Email, EmailError};

/// Parses `address` as a mailbox (`jane@example.com` or `Jane <jane@example.com>`).
pub(crate) fn mailbox(role: &'static str, address: &str) -> Result<Mailbox, EmailError> {
    address
        .trim()
        .parse::<Mailbox>()
        .map_err(|err| EmailError::InvalidAddress {
            role,
            reason: err.to_string(),
        })
}

/// The message `email` from `from`: plain text alone, or `multipart/alternative`
/// with the HTML body when there is one.
pub(crate) fn build(from: &str, email: &Email) -> Result<Message, EmailError> {
    let builder = Message::builder()
        .from(mailbox("from", from)?)
        .to(mailbox("to", &email.to)?)
        .subject(email.subject.as_str())
        // A generated `<random@hostname>` id: mail without one scores as spam.
        .message_id(None);
    let built = match &email.html {
        None => builder.singlepart(lettre::message::SinglePart::plain(email.text.clone())),
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            html.clone(),
        )),
    };
    built.map_err(|err| EmailError::Build {
        reason: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_message_has_its_headers_and_body() {
        let message = build(
            "Blog <noreply@example.com>",
            &Email::new("jane@example.com", "Hello", "Body text"),
        )
        .unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(
            text.contains("From: Blog <noreply@example.com>\r\n"),
            "{text}"
        );
        assert!(text.contains("To: jane@example.com\r\n"), "{text}");
        assert!(text.contains("Subject: Hello\r\n"), "{text}");
        assert!(text.contains("Body text"), "{text}");
        assert!(text.contains("Message-ID: <"), "{text}");
        assert!(!text.contains("multipart"), "{text}");
    }

    #[test]
    fn an_html_body_makes_a_multipart_alternative() {
        let email = Email::new("jane@example.com", "Hello", "Plain").with_html("<p>Rich</p>");
        let text =
            String::from_utf8(build("noreply@example.com", &email).unwrap().formatted()).unwrap();
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(
            text.contains("text/plain") && text.contains("text/html"),
            "{text}"
        );
        assert!(text.contains("<p>Rich</p>"), "{text}");
    }

    #[test]
    fn bad_addresses_are_errors_naming_their_role() {
        for (from, to, role) in [
            ("noreply@example.com", "jane", "to"),
            ("noreply@example.com", "", "to"),
            ("noreply@example.com", "jane@exa mple.com", "to"),
            ("no reply", "jane@example.com", "from"),
        ] {
            let err = build(from, &Email::new(to, "Hi", "Hello")).unwrap_err();
            assert!(
                matches!(err, EmailError::InvalidAddress { role: r, .. } if r == role),
                "{from} {to}: {err}"
            );
        }
    }

    #[test]
    fn a_subject_with_a_line_break_does_not_inject_headers() {
        let email = Email::new("jane@example.com", "Hi\r\nBcc: evil@example.com", "Hello");
        if let Ok(message) = build("noreply@example.com", &email) {
            let text = String::from_utf8(message.formatted()).unwrap();
            assert!(!text.contains("\r\nBcc: evil@example.com"), "{text}");
        }
    }
}
