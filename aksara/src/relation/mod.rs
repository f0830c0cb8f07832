//! To-many relations: many-to-many fields ([`ManyToMany<T>`] on the struct,
//! [`ManyToManyField`] as its constant), reverse foreign keys
//! ([`Column::reverse`]), and `prefetch_related` ([`PrefetchRelated`]), which
//! loads a to-many relation of every parent with one extra `IN (…)` query.
//!
//! A many-to-many field is not a column: `#[derive(Model)]` declares a join
//! table `<table>_<field>` (or `#[field(through_table = "…")]`) with a key of
//! its own, one foreign key to each side (`ON DELETE CASCADE`) and a unique
//! constraint on the pair, and registers it so that `db.migrate()` creates it.
//! The guide's [relations page](crate::guide::relations) shows the whole API.

mod many_to_many;
mod prefetch;
mod reverse;

pub use many_to_many::{ManyToMany, ManyToManyField, RelatedSet};
pub(crate) use prefetch::Prefetch;
pub use prefetch::PrefetchRelated;
pub use reverse::{Related, ReverseForeignKey};

use crate::field::FieldType;
use crate::model::{FieldMeta, Model, ModelMeta};
use crate::{SqlType, Value};

/// The join table's own key: an auto-increment `id`.
#[doc(hidden)]
#[must_use]
pub const fn join_key() -> FieldMeta {
    FieldMeta {
        primary_key: true,
        auto_increment: true,
        ..FieldMeta::new("id", "id", SqlType::I64)
    }
}

/// One side of a join table: a foreign key to `M` with `ON DELETE CASCADE`.
#[doc(hidden)]
#[must_use]
pub const fn join_column<M: Model>(name: &'static str, column: &'static str) -> FieldMeta {
    FieldMeta {
        references: Some(meta_of::<M>),
        index: true,
        ..FieldMeta::new(name, column, <M::PrimaryKey as FieldType>::SQL_TYPE)
    }
}

fn meta_of<M: Model>() -> &'static ModelMeta {
    M::META
}

/// A primary key as a hashable value, to group prefetched rows by parent.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Key {
    I64(i64),
    Uuid(uuid::Uuid),
    Other(String),
}

impl From<&Value> for Key {
    fn from(value: &Value) -> Self {
        match value {
            Value::I64(n) => Self::I64(*n),
            Value::I32(n) => Self::I64(i64::from(*n)),
            Value::I16(n) => Self::I64(i64::from(*n)),
            Value::Uuid(id) => Self::Uuid(*id),
            Value::Text(text) => Self::Other(text.clone()),
            other => Self::Other(format!("{other:?}")),
        }
    }
}
