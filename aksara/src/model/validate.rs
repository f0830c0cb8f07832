//! Field validation that runs before any SQL: `max_length`, `email`, `url`, and
//! values that could not be converted.

use super::FieldMeta;
use crate::{ValidationErrors, Value};

/// Applies the field's `normalize` function to a text value.
pub(crate) fn normalize(field: &FieldMeta, value: &mut Value) {
    if let (Some(normalize), Value::Text(text)) = (field.normalize, &*value) {
        *value = Value::Text(normalize(text));
    }
}

/// Records every problem of `value` for `field` in `errors`.
pub(crate) fn field(field: &FieldMeta, value: &Value, errors: &mut ValidationErrors) {
    match value {
        Value::Invalid(message) => errors.add(field.name, message.clone()),
        Value::Null(_) if !field.nullable => errors.add(field.name, "this field cannot be null"),
        Value::Text(text) => {
            if let Some(max) = field.max_length {
                let length = text.chars().count();
                if length > max as usize {
                    errors.add(
                        field.name,
                        format!("ensure this value has at most {max} characters (it has {length})"),
                    );
                }
            }
            if field.email && !is_email(text) {
                errors.add(field.name, "enter a valid email address");
            }
            if field.url && !is_url(text) {
                errors.add(
                    field.name,
                    "enter a valid URL (http:// or https:// with a host)",
                );
            }
        }
        _ => {}
    }
}

fn is_email(text: &str) -> bool {
    use std::str::FromStr as _;
    // A domain must have a dot: `user@localhost` is not an address a site can mail.
    email_address::EmailAddress::from_str(text)
        .is_ok_and(|address| address.domain().contains('.') && !address.domain().starts_with('['))
}

fn is_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|host| !host.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_email("jane@example.com"));
        assert!(!is_email("jane@"));
        assert!(!is_email("jane@localhost"));
        assert!(!is_email("not an email"));
    }

    #[test]
    fn urls() {
        assert!(is_url("https://example.com/a?b=c"));
        assert!(!is_url("javascript:alert(1)"));
        assert!(!is_url("ftp://example.com"));
        assert!(!is_url("example.com"));
    }
}
