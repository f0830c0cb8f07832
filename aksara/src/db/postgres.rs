//! PostgreSQL: connection setup and statement execution. Constraint errors name
//! the constraint, which [`super::constraint_columns`] resolves.

use sqlx::postgres::{PgPool, PgQueryResult};

use super::{DbOptions, RowInner, io::backend_io};
use crate::{Backend, Result};

backend_io!(
    sqlx::Postgres,
    Backend::Postgres,
    RowInner::Postgres,
    |_: &PgQueryResult| None
);

pub(super) async fn connect(url: &str, options: &DbOptions) -> Result<PgPool> {
    Ok(options.pool::<sqlx::Postgres>().connect(url).await?)
}

/// What `QuerySet::explain` puts before a `SELECT`, and the column of the plan.
pub(crate) const EXPLAIN: (&str, usize) = ("EXPLAIN ", 0);

/// The names of the tables that exist in the schema tables are created in.
pub(crate) const EXISTING_TABLES: &str =
    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()";

/// The native column type of `field`.
pub(crate) fn column_type(field: &crate::model::FieldMeta) -> String {
    use crate::SqlType;
    match field.sql_type {
        SqlType::Bool => "BOOLEAN".into(),
        SqlType::I16 => "SMALLINT".into(),
        SqlType::I32 => "INTEGER".into(),
        SqlType::I64 => "BIGINT".into(),
        SqlType::F32 => "REAL".into(),
        SqlType::F64 => "DOUBLE PRECISION".into(),
        SqlType::Text => field
            .max_length
            .map_or_else(|| "TEXT".into(), |n| format!("VARCHAR({n})")),
        SqlType::Bytes => "BYTEA".into(),
        SqlType::Uuid => "UUID".into(),
        SqlType::DateTime => "TIMESTAMPTZ".into(),
        SqlType::Date => "DATE".into(),
        SqlType::Json => "JSONB".into(),
    }
}
