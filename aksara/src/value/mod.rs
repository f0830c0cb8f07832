//! [`Value`]: one bound parameter or stored field, independent of the backend.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::Result;

/// The storage kind of a field: what [`migrate`](crate::Db::migrate) turns into a
/// column type on each backend, and what a `NULL` parameter is typed as.
///
/// ```
/// use aksara::{FieldType, SqlType};
/// assert_eq!(<String as FieldType>::SQL_TYPE, SqlType::Text);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SqlType {
    /// `bool`
    Bool,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `String`
    Text,
    /// `Vec<u8>`
    Bytes,
    /// `Uuid`
    Uuid,
    /// `DateTime<Utc>`
    DateTime,
    /// `NaiveDate`
    Date,
    /// `serde_json::Value` and `Json<T>`
    Json,
}

/// A field value on its way to or from the database.
///
/// Generated code turns each field into a `Value` with
/// [`FieldType::to_value`](crate::FieldType::to_value); the backend binds it as a
/// statement parameter, so user input never reaches SQL text.
///
/// ```
/// use aksara::{FieldType, Value};
/// assert_eq!(42_i64.to_value(), Value::I64(42));
/// assert!(matches!(None::<i64>.to_value(), Value::Null(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SQL `NULL` of the given kind (PostgreSQL needs the type of every parameter).
    Null(SqlType),
    /// A boolean.
    Bool(bool),
    /// A 16-bit integer.
    I16(i16),
    /// A 32-bit integer.
    I32(i32),
    /// A 64-bit integer.
    I64(i64),
    /// A 32-bit float.
    F32(f32),
    /// A 64-bit float.
    F64(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A UUID.
    Uuid(Uuid),
    /// A UTC timestamp.
    DateTime(DateTime<Utc>),
    /// A calendar date.
    Date(NaiveDate),
    /// A JSON document.
    Json(serde_json::Value),
    /// A value computed asynchronously just before it is written (a password hashed
    /// on the blocking pool). Writes resolve it first; filters refuse it.
    Deferred(Deferred),
    /// A value that could not be converted (for instance a `Json<T>` whose
    /// `Serialize` failed). Writes refuse it with a validation error naming the field;
    /// it is never sent to the database.
    Invalid(String),
}

impl Value {
    /// True for [`Value::Null`].
    ///
    /// ```
    /// assert!(aksara::Value::Null(aksara::SqlType::Text).is_null());
    /// ```
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null(_))
    }

    /// The text, for [`Value::Text`].
    ///
    /// ```
    /// assert_eq!(aksara::Value::Text("a".into()).as_str(), Some("a"));
    /// ```
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The kind of value this is, as its column would store it.
    ///
    /// ```
    /// use aksara::{SqlType, Value};
    /// assert_eq!(Value::Bool(true).sql_type(), SqlType::Bool);
    /// ```
    #[must_use]
    pub fn sql_type(&self) -> SqlType {
        match self {
            Value::Null(kind) => *kind,
            Value::Bool(_) => SqlType::Bool,
            Value::I16(_) => SqlType::I16,
            Value::I32(_) => SqlType::I32,
            Value::I64(_) => SqlType::I64,
            Value::F32(_) => SqlType::F32,
            Value::F64(_) => SqlType::F64,
            Value::Text(_) => SqlType::Text,
            Value::Bytes(_) => SqlType::Bytes,
            Value::Uuid(_) => SqlType::Uuid,
            Value::DateTime(_) => SqlType::DateTime,
            Value::Date(_) => SqlType::Date,
            Value::Json(_) | Value::Invalid(_) => SqlType::Json,
            Value::Deferred(deferred) => deferred.0.sql_type(),
        }
    }
}

/// Computes a [`Value`] asynchronously before a write. `aksara-auth` uses it so that
/// `.password("…")` on a create builder hashes on the blocking pool when the row is
/// written, not on the async runtime when the setter is called.
///
/// ```
/// use std::{future::Future, pin::Pin, sync::Arc};
/// use aksara::{DeferredValue, SqlType, Value};
///
/// struct Upper(String);
/// impl DeferredValue for Upper {
///     fn sql_type(&self) -> SqlType { SqlType::Text }
///     fn resolve(self: Arc<Self>) -> Pin<Box<dyn Future<Output = aksara::Result<Value>> + Send>> {
///         Box::pin(async move { Ok(Value::Text(self.0.to_uppercase())) })
///     }
/// }
/// let value = Value::deferred(Upper("a".into()));
/// assert_eq!(value.sql_type(), SqlType::Text);
/// ```
pub trait DeferredValue: Send + Sync + 'static {
    /// The kind of value `resolve` produces.
    fn sql_type(&self) -> SqlType;

    /// Produces the value to write.
    ///
    /// # Errors
    /// Whatever stops the value from being computed; the write is abandoned.
    fn resolve(self: Arc<Self>) -> Pin<Box<dyn Future<Output = Result<Value>> + Send>>;
}

/// A [`DeferredValue`] inside a [`Value`]. Its `Debug` shows nothing of the content.
#[derive(Clone)]
pub struct Deferred(Arc<dyn DeferredValue>);

impl fmt::Debug for Deferred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Deferred(..)")
    }
}

impl PartialEq for Deferred {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Value {
    /// Wraps a value computed just before the write.
    ///
    /// ```
    /// # use std::{future::Future, pin::Pin, sync::Arc};
    /// # use aksara::{DeferredValue, SqlType, Value};
    /// # struct Now;
    /// # impl DeferredValue for Now {
    /// #     fn sql_type(&self) -> SqlType { SqlType::I64 }
    /// #     fn resolve(self: Arc<Self>) -> Pin<Box<dyn Future<Output = aksara::Result<Value>> + Send>> {
    /// #         Box::pin(async { Ok(Value::I64(1)) })
    /// #     }
    /// # }
    /// let value = Value::deferred(Now);
    /// assert!(matches!(value, Value::Deferred(_)));
    /// ```
    pub fn deferred(value: impl DeferredValue) -> Self {
        Value::Deferred(Deferred(Arc::new(value)))
    }

    /// Replaces a deferred value by what it resolves to; other values stay.
    ///
    /// # Errors
    /// The deferred computation's error.
    pub(crate) async fn resolved(self) -> Result<Self> {
        match self {
            Value::Deferred(deferred) => deferred.0.resolve().await,
            other => Ok(other),
        }
    }
}

/// Resolves every deferred value in place.
pub(crate) async fn resolve_all<'a>(values: impl IntoIterator<Item = &'a mut Value>) -> Result<()> {
    for value in values {
        if matches!(value, Value::Deferred(_)) {
            let taken = std::mem::replace(value, Value::Null(SqlType::Text));
            *value = taken.resolved().await?;
        }
    }
    Ok(())
}

mod json;
