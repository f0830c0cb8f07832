//! Items that generated code reaches by absolute path (`::aksara::__private::…`).
//! Not part of the public API: a user never needs sqlx, chrono or uuid in their
//! own `Cargo.toml` for an expansion to compile.

pub use chrono::{DateTime, Utc};
pub use inventory;

pub use crate::db::{Executor, Row};
pub use crate::field::{Assign, AutoNow, FieldType, Operand, RelationField};
pub use crate::model::{
    Create, CreateBuilder, FieldMeta, Model, ModelMeta, ModelRegistration, OnDelete,
};
pub use crate::query::{Column, Manager, TextColumn};
pub use crate::relation::{ManyToMany, ManyToManyField, join_column, join_key};
pub use crate::{Error, Result, SqlType, Value};

/// Takes the next value of a row being rebuilt by `Model::from_values`, naming the
/// field in the error.
///
/// # Errors
/// [`Error::Decode`] when the values run out or the value does not fit `T`.
pub fn take_value<T: FieldType>(
    values: &mut std::vec::IntoIter<Value>,
    field: &'static str,
) -> Result<T> {
    let value = values.next().ok_or_else(|| Error::Decode {
        column: field.into(),
        message: "missing value".into(),
    })?;
    T::from_value(value).map_err(|err| match err {
        Error::Decode { message, .. } => Error::Decode {
            column: field.into(),
            message,
        },
        other => other,
    })
}
