//! [`FieldType`]: how a Rust type is stored in a column, decoded from a row and bound
//! as a parameter. Every field of a model implements it.

mod auto_now;
mod foreign_key;
mod json;

pub use auto_now::AutoNow;
pub use foreign_key::{ForeignKey, RelationField};
pub use json::Json;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::db::Row;
use crate::model::ModelMeta;
use crate::{Error, Result, SqlType, Value};

/// A Rust type that can be a model field.
///
/// Aksara implements it for `bool`, `i16`, `i32`, `i64`, `f32`, `f64`, `String`,
/// `Vec<u8>`, `Uuid`, `DateTime<Utc>`, `NaiveDate`, `serde_json::Value`,
/// [`Json<T>`], [`ForeignKey<M>`] and `Option<T>` of each. A newtype can implement
/// it by delegating to the type it wraps.
///
/// ```
/// use aksara::{FieldType, Value};
/// assert_eq!(String::from_value(Value::Text("hi".into())).unwrap(), "hi");
/// assert_eq!(Some(3_i32).to_value(), Value::I32(3));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in an Aksara model field",
    label = "unsupported field type",
    note = "use bool, i16, i32, i64, f32, f64, String, Vec<u8>, Uuid, DateTime<Utc>, NaiveDate, serde_json::Value, Json<T>, ForeignKey<M> or Option of one of them, or mark the field `#[field(skip)]`"
)]
pub trait FieldType: Sized + Send + Sync + 'static {
    /// How the column is stored.
    const SQL_TYPE: SqlType;
    /// Whether the column accepts `NULL` (true for `Option<T>`).
    const NULLABLE: bool = false;
    /// For foreign keys: the referenced model's metadata.
    const REFERENCES: Option<fn() -> &'static ModelMeta> = None;

    /// The value to bind for this field.
    fn to_value(&self) -> Value;

    /// Rebuilds the field from a value produced by [`FieldType::to_value`].
    ///
    /// # Errors
    /// [`Error::Decode`] when the value is of another kind.
    fn from_value(value: Value) -> Result<Self>;

    /// Reads a possibly-`NULL` column at `index`.
    ///
    /// # Errors
    /// [`Error::Decode`] when the column holds another type.
    fn decode_nullable(row: &Row, index: usize) -> Result<Option<Self>>;

    /// Reads the column at `index`, refusing `NULL`.
    ///
    /// # Errors
    /// [`Error::Decode`] when the column is `NULL` or holds another type.
    fn decode(row: &Row, index: usize) -> Result<Self> {
        Self::decode_nullable(row, index)?.ok_or_else(|| Error::Decode {
            column: index.to_string(),
            message: "unexpected NULL in a non-optional field".into(),
        })
    }
}

pub(crate) fn mismatch(expected: SqlType, found: &Value) -> Error {
    Error::Decode {
        column: String::new(),
        message: format!(
            "expected a {expected:?} value, found {:?}",
            found.sql_type()
        ),
    }
}

macro_rules! native_field {
    ($($ty:ty => $kind:ident),* $(,)?) => {$(
        impl FieldType for $ty {
            const SQL_TYPE: SqlType = SqlType::$kind;

            fn to_value(&self) -> Value {
                Value::$kind(self.clone())
            }

            fn from_value(value: Value) -> Result<Self> {
                match value {
                    Value::$kind(inner) => Ok(inner),
                    other => Err(mismatch(SqlType::$kind, &other)),
                }
            }

            fn decode_nullable(row: &Row, index: usize) -> Result<Option<Self>> {
                row.decode::<Option<$ty>>(index)
            }
        }
    )*};
}

native_field! {
    bool => Bool,
    i16 => I16,
    i32 => I32,
    i64 => I64,
    f32 => F32,
    f64 => F64,
    String => Text,
    Vec<u8> => Bytes,
    Uuid => Uuid,
    DateTime<Utc> => DateTime,
    NaiveDate => Date,
}

impl<T: FieldType> FieldType for Option<T> {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = true;
    const REFERENCES: Option<fn() -> &'static ModelMeta> = T::REFERENCES;

    fn to_value(&self) -> Value {
        match self {
            Some(inner) => inner.to_value(),
            None => Value::Null(T::SQL_TYPE),
        }
    }

    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Null(_) => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }

    fn decode_nullable(row: &Row, index: usize) -> Result<Option<Self>> {
        T::decode_nullable(row, index).map(Some)
    }

    fn decode(row: &Row, index: usize) -> Result<Self> {
        T::decode_nullable(row, index)
    }
}

/// A value that a column of type `T` can be compared with (and so also set to).
///
/// `Column<M, String>` takes `String`, `&str` and `&String`; `Column<M, Option<T>>`
/// takes `T` and `Option<T>`; `Column<M, ForeignKey<A>>` takes `&A` and
/// `ForeignKey<A>`. Anything else is a compile error, so `Post::TITLE.eq(5)` does not
/// build.
///
/// ```
/// use aksara::{Operand, Value};
/// assert_eq!(Operand::<String>::into_value("x"), Value::Text("x".into()));
/// assert_eq!(Operand::<Option<i64>>::into_value(5_i64), Value::I64(5));
/// ```
#[diagnostic::on_unimplemented(
    message = "a column of type `{T}` cannot be compared with `{Self}`",
    label = "expected a value of the column's type `{T}`",
    note = "pass a value of the column's own type (for `String` columns `&str` works too; for foreign keys pass the related model)",
    note = "a password column is never compared with text: check a password with `user.check_password(raw)` or `authenticate(&db, login, raw)`"
)]
pub trait Operand<T> {
    /// Converts the operand into a bindable value.
    fn into_value(self) -> Value;
}

/// A value that a column of type `T` can be *set* to: by a create builder's setter
/// or by [`Column::set`](crate::Column::set). Every [`Operand`] is one; a few types
/// are only this, such as a raw password for a password column, which is hashed
/// when the row is written but can never be compared with the stored hash.
///
/// ```
/// use aksara::{Assign, Value};
/// assert_eq!(Assign::<String>::into_assigned("x"), Value::Text("x".into()));
/// ```
#[diagnostic::on_unimplemented(
    message = "a column of type `{T}` cannot be set to `{Self}`",
    label = "expected a value of the column's type `{T}`",
    note = "pass a value of the column's own type (for `String` columns `&str` works too; for foreign keys pass the related model)"
)]
pub trait Assign<T> {
    /// Converts the value into a bindable value.
    fn into_assigned(self) -> Value;
}

impl<T, V: Operand<T>> Assign<T> for V {
    fn into_assigned(self) -> Value {
        self.into_value()
    }
}

impl<T: FieldType> Operand<T> for T {
    fn into_value(self) -> Value {
        self.to_value()
    }
}

impl<T: FieldType> Operand<Option<T>> for T {
    fn into_value(self) -> Value {
        self.to_value()
    }
}

impl Operand<String> for &str {
    fn into_value(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl Operand<String> for &String {
    fn into_value(self) -> Value {
        Value::Text(self.clone())
    }
}

impl Operand<Option<String>> for &str {
    fn into_value(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl Operand<Option<String>> for &String {
    fn into_value(self) -> Value {
        Value::Text(self.clone())
    }
}

impl Operand<Vec<u8>> for &[u8] {
    fn into_value(self) -> Value {
        Value::Bytes(self.to_vec())
    }
}

impl FieldType for serde_json::Value {
    const SQL_TYPE: SqlType = SqlType::Json;

    fn to_value(&self) -> Value {
        Value::Json(self.clone())
    }

    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Json(inner) => Ok(inner),
            other => Err(mismatch(SqlType::Json, &other)),
        }
    }

    fn decode_nullable(row: &Row, index: usize) -> Result<Option<Self>> {
        row.decode_json(index)
    }
}
