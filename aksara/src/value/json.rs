//! Field values to and from JSON, for code that reads or writes a model's
//! fields by name (an API that lets clients edit "the model's own fields").

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{SqlType, Value};
use crate::FieldMeta;

impl Value {
    /// The value as JSON: numbers, strings (UUIDs, RFC 3339 timestamps,
    /// `YYYY-MM-DD` dates), booleans, `null`, bytes as an array of numbers
    /// (serde's form of `Vec<u8>`), documents as they are. A value not yet
    /// computed ([`Value::Deferred`]) or refused ([`Value::Invalid`]) is `null`:
    /// neither has a value to show.
    ///
    /// ```
    /// use aksara::Value;
    /// assert_eq!(Value::I64(7).to_json(), serde_json::json!(7));
    /// assert_eq!(Value::Text("Jane".into()).to_json(), serde_json::json!("Jane"));
    /// assert_eq!(Value::Null(aksara::SqlType::Text).to_json(), serde_json::Value::Null);
    /// ```
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        // The one mapping is `Serialize` below; a value never fails to serialize.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The value `json` gives `field`, in the field's storage type, or what is
    /// wrong with it (a message for the client, such as "expected an
    /// integer"). `null` is accepted only by optional fields. The field's own
    /// rules (length, email, URL) are checked when the value is written, as for
    /// any other value.
    ///
    /// # Errors
    /// A message when `json` is of the wrong kind or out of range.
    ///
    /// ```
    /// use aksara::{FieldMeta, SqlType, Value};
    /// let age = FieldMeta::new("age", "age", SqlType::I16);
    /// assert_eq!(Value::from_json(&age, &serde_json::json!(42)), Ok(Value::I16(42)));
    /// assert!(Value::from_json(&age, &serde_json::json!(70_000)).is_err());
    /// assert!(Value::from_json(&age, &serde_json::json!("42")).is_err());
    /// assert!(Value::from_json(&age, &serde_json::Value::Null).is_err());
    /// ```
    pub fn from_json(field: &FieldMeta, json: &serde_json::Value) -> Result<Value, String> {
        use serde_json::Value as Json;
        if json.is_null() {
            return if field.nullable {
                Ok(Value::Null(field.sql_type))
            } else {
                Err("this field may not be null".to_owned())
            };
        }
        let integer = || {
            json.as_i64()
                .ok_or_else(|| "expected an integer".to_owned())
        };
        let text = || json.as_str().ok_or_else(|| "expected a string".to_owned());
        let out_of_range = |_| "the number is out of range".to_owned();
        match field.sql_type {
            SqlType::Bool => json
                .as_bool()
                .map(Value::Bool)
                .ok_or_else(|| "expected true or false".to_owned()),
            SqlType::I16 => Ok(Value::I16(integer()?.try_into().map_err(out_of_range)?)),
            SqlType::I32 => Ok(Value::I32(integer()?.try_into().map_err(out_of_range)?)),
            SqlType::I64 => integer().map(Value::I64),
            #[allow(clippy::cast_possible_truncation)] // f32 fields store f32 precision
            SqlType::F32 => json
                .as_f64()
                .map(|number| Value::F32(number as f32))
                .ok_or_else(|| "expected a number".to_owned()),
            SqlType::F64 => json
                .as_f64()
                .map(Value::F64)
                .ok_or_else(|| "expected a number".to_owned()),
            SqlType::Text => text().map(|text| Value::Text(text.to_owned())),
            SqlType::Uuid => text()?
                .parse::<Uuid>()
                .map(Value::Uuid)
                .map_err(|_| "expected a UUID".to_owned()),
            SqlType::DateTime => DateTime::parse_from_rfc3339(text()?)
                .map(|at| Value::DateTime(at.with_timezone(&Utc)))
                .map_err(|_| "expected an RFC 3339 timestamp".to_owned()),
            SqlType::Date => text()?
                .parse::<NaiveDate>()
                .map(Value::Date)
                .map_err(|_| "expected a date (YYYY-MM-DD)".to_owned()),
            SqlType::Json => Ok(Value::Json(json.clone())),
            SqlType::Bytes => match json {
                Json::Array(items) => items
                    .iter()
                    .map(|item| item.as_u64().and_then(|byte| u8::try_from(byte).ok()))
                    .collect::<Option<Vec<u8>>>()
                    .map(Value::Bytes)
                    .ok_or_else(|| "expected an array of bytes (0 to 255)".to_owned()),
                _ => Err("expected an array of bytes (0 to 255)".to_owned()),
            },
        }
    }
}

/// The JSON form [`Value::to_json`] documents, written straight to a
/// serializer: a response can serialize a row's values without building a
/// `serde_json::Value` first.
///
/// ```
/// use aksara::Value;
/// let row = [Value::I64(7), Value::Text("Jane".into())];
/// assert_eq!(serde_json::to_string(&row).unwrap(), r#"[7,"Jane"]"#);
/// ```
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null(_) | Value::Deferred(_) | Value::Invalid(_) => serializer.serialize_unit(),
            Value::Bool(value) => serializer.serialize_bool(*value),
            Value::I16(value) => serializer.serialize_i16(*value),
            Value::I32(value) => serializer.serialize_i32(*value),
            Value::I64(value) => serializer.serialize_i64(*value),
            Value::F32(value) => serializer.serialize_f64(f64::from(*value)),
            Value::F64(value) => serializer.serialize_f64(*value),
            Value::Text(text) => serializer.serialize_str(text),
            Value::Bytes(bytes) => serializer.collect_seq(bytes),
            Value::Uuid(id) => serializer.collect_str(id),
            Value::DateTime(at) => serializer.serialize_str(&at.to_rfc3339()),
            Value::Date(day) => serializer.collect_str(day),
            Value::Json(document) => document.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(sql_type: SqlType, nullable: bool) -> FieldMeta {
        let mut field = FieldMeta::new("f", "f", sql_type);
        field.nullable = nullable;
        field
    }

    #[test]
    fn every_kind_round_trips_through_json() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T10:00:00+00:00")
            .unwrap()
            .with_timezone(&Utc);
        let values = [
            Value::Bool(true),
            Value::I16(-3),
            Value::I32(70_000),
            Value::I64(1 << 40),
            Value::F64(1.5),
            Value::Text("Jane".into()),
            Value::Bytes(vec![0, 255]),
            Value::Uuid(Uuid::nil()),
            Value::DateTime(at),
            Value::Date(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()),
            Value::Json(serde_json::json!({"a": [1]})),
        ];
        for value in values {
            let field = field(value.sql_type(), false);
            assert_eq!(Value::from_json(&field, &value.to_json()), Ok(value));
        }
    }

    #[test]
    fn null_only_for_optional_fields_and_wrong_kinds_are_refused() {
        assert_eq!(
            Value::from_json(&field(SqlType::Text, true), &serde_json::Value::Null),
            Ok(Value::Null(SqlType::Text))
        );
        assert!(Value::from_json(&field(SqlType::Text, false), &serde_json::Value::Null).is_err());
        for (sql_type, json) in [
            (SqlType::Bool, serde_json::json!(1)),
            (SqlType::I32, serde_json::json!(1.5)),
            (SqlType::I32, serde_json::json!(i64::MAX)),
            (SqlType::Text, serde_json::json!(["a"])),
            (SqlType::Uuid, serde_json::json!("not-a-uuid")),
            (SqlType::DateTime, serde_json::json!("yesterday")),
            (SqlType::Date, serde_json::json!("2026-13-01")),
            (SqlType::Bytes, serde_json::json!([256])),
        ] {
            assert!(
                Value::from_json(&field(sql_type, false), &json).is_err(),
                "{sql_type:?} {json}"
            );
        }
    }
}
