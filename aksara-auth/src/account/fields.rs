//! Which of the user model's fields a client may read and write, and the
//! conversions between a JSON body and the model's values.

use aksara::{FieldMeta, ValidationErrors, Value};

use crate::AuthUser;

/// Fields only the server sets: `#[auth_user]`'s flags, keys and stamps. A
/// body naming one is refused (`read_only_field`), never silently applied.
pub(crate) const PRIVILEGED: [&str; 9] = [
    "id",
    "email",
    "password",
    "is_active",
    "is_staff",
    "is_superuser",
    "email_verified",
    "created_at",
    "last_login",
];

/// The fields a client may set on its own account: the model's own fields,
/// minus the key, the automatic stamps and the privileged ones.
fn writable(field: &FieldMeta) -> bool {
    !(field.primary_key || field.auto_now || field.auto_now_add || PRIVILEGED.contains(&field.name))
}

/// `user` as JSON: every field but the password hash.
///
/// Serialized straight from the row's values into the response (no
/// `serde_json::Value` map with owned keys in between): `GET /me` runs on
/// every page load of an app.
pub(crate) fn user_json<U: AuthUser>(user: &U) -> UserJson {
    UserJson {
        fields: U::META.fields,
        values: user.to_values(),
    }
}

/// The JSON object [`user_json`] describes.
pub(crate) struct UserJson {
    fields: &'static [FieldMeta],
    values: Vec<Value>,
}

impl serde::Serialize for UserJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let shown = || {
            self.fields
                .iter()
                .zip(&self.values)
                .filter(|(field, _)| field.name != "password")
        };
        let mut map = serializer.serialize_map(Some(shown().count()))?;
        for (field, value) in shown() {
            map.serialize_entry(field.name, value)?;
        }
        map.end()
    }
}

/// What a body says about the model's writable fields, by field index.
pub(crate) struct Changes {
    pub(crate) values: Vec<(usize, Value)>,
}

/// Reads the writable fields of `body`, skipping the keys in `handled` (the
/// caller's own: `email` and `password` at registration).
///
/// # Errors
/// 400 `read_only_field` naming a privileged field; 400 `validation_error`
/// naming unknown fields and values of the wrong kind, all of them at once.
pub(crate) fn read_changes<U: AuthUser>(
    body: &serde_json::Map<String, serde_json::Value>,
    handled: &[&str],
) -> Result<Changes, aksara::ApiError> {
    if let Some(name) = body
        .keys()
        .find(|name| !handled.contains(&name.as_str()) && PRIVILEGED.contains(&name.as_str()))
    {
        return Err(aksara::ApiError::bad_request(format!(
            "`{name}` cannot be set through this endpoint"
        ))
        .with_code("read_only_field")
        .with_field(name.clone(), "this field is read-only"));
    }
    let mut errors = ValidationErrors::default();
    let mut values = Vec::new();
    for (name, json) in body {
        if handled.contains(&name.as_str()) {
            continue;
        }
        let found = U::META
            .fields
            .iter()
            .enumerate()
            .find(|(_, field)| field.name == name);
        match found {
            Some((index, field)) if writable(field) => match Value::from_json(field, json) {
                Ok(value) => values.push((index, value)),
                Err(message) => errors.add(name.clone(), message),
            },
            Some(_) => errors.add(name.clone(), "this field is read-only"),
            None => errors.add(name.clone(), "unknown field"),
        }
    }
    errors.into_result().map_err(aksara::ApiError::from)?;
    Ok(Changes { values })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::User;

    #[test]
    fn privileged_fields_are_refused_by_name_and_unknown_ones_listed() {
        let body = |json: serde_json::Value| json.as_object().cloned().unwrap();
        let refused = read_changes::<User>(&body(serde_json::json!({"is_staff": true})), &[])
            .err()
            .unwrap();
        assert_eq!(refused.code(), "read_only_field");
        let refused = read_changes::<User>(
            &body(serde_json::json!({"nickname": "x", "shoe_size": 9})),
            &[],
        )
        .err()
        .unwrap();
        assert_eq!(refused.code(), "validation_error");
        let fields = refused.fields().unwrap();
        assert!(fields.get("nickname").is_some() && fields.get("shoe_size").is_some());
        // The caller's own keys are skipped, not refused.
        let changes = read_changes::<User>(
            &body(serde_json::json!({"email": "a@example.com", "password": "p"})),
            &["email", "password"],
        )
        .ok()
        .unwrap();
        assert!(changes.values.is_empty());
    }
}
