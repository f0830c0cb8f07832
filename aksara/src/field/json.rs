//! [`Json<T>`]: a typed JSON column.

use std::ops::{Deref, DerefMut};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{FieldType, mismatch};
use crate::db::Row;
use crate::{Error, Result, SqlType, Value};

/// A field stored as JSON (`jsonb` on PostgreSQL, `JSON` on MySQL, text on SQLite)
/// and read back as `T`.
///
/// ```
/// use aksara::{FieldType, Json};
/// let tags = Json(vec!["rust".to_string()]);
/// let back: Json<Vec<String>> = FieldType::from_value(tags.to_value()).unwrap();
/// assert_eq!(back.0, ["rust"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Json<T>(pub T);

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T> FieldType for Json<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    const SQL_TYPE: SqlType = SqlType::Json;

    fn to_value(&self) -> Value {
        match serde_json::to_value(&self.0) {
            Ok(json) => Value::Json(json),
            Err(err) => Value::Invalid(format!("cannot serialize to JSON: {err}")),
        }
    }

    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Json(json) => {
                serde_json::from_value(json)
                    .map(Json)
                    .map_err(|err| Error::Decode {
                        column: String::new(),
                        message: err.to_string(),
                    })
            }
            other => Err(mismatch(SqlType::Json, &other)),
        }
    }

    fn decode_nullable(row: &Row, index: usize) -> Result<Option<Self>> {
        match row.decode_json(index)? {
            None => Ok(None),
            Some(json) => serde_json::from_value(json)
                .map(|inner| Some(Json(inner)))
                .map_err(|err| Error::Decode {
                    column: index.to_string(),
                    message: err.to_string(),
                }),
        }
    }
}
