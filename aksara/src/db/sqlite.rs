//! SQLite: the embedded default. Connection setup, statement execution and the
//! parsing of its constraint messages.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteQueryResult};

use super::{DbOptions, RowInner, io::backend_io};
use crate::model::ModelMeta;
use crate::{Backend, Result};

backend_io!(
    sqlx::Sqlite,
    Backend::Sqlite,
    RowInner::Sqlite,
    |done: &SqliteQueryResult| Some(done.last_insert_rowid())
);

pub(super) async fn connect(url: &str, options: &DbOptions) -> Result<SqlitePool> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let connect = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let connect = if in_memory {
        connect
    } else {
        connect.journal_mode(SqliteJournalMode::Wal)
    };
    let mut pool = options.pool::<sqlx::Sqlite>();
    if in_memory {
        // Every connection to `:memory:` is a separate database: keep exactly one, forever.
        pool = pool
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    Ok(pool.connect_with(connect).await?)
}

/// Columns named by `UNIQUE constraint failed: posts.author_id, posts.slug`, or
/// behind the index of `UNIQUE constraint failed: index 'users_email_ci_key'` (an
/// index on an expression). (SQLite's foreign-key message names no column.)
pub(super) fn constraint_columns(message: &str, model: &'static ModelMeta) -> Vec<String> {
    let Some((_, list)) = message.split_once("failed: ") else {
        return Vec::new();
    };
    if let Some(index) = list.strip_prefix("index '") {
        return super::constraint_columns(index.trim_end_matches('\''), model);
    }
    list.split(", ")
        .filter_map(|qualified| qualified.strip_prefix(model.table)?.strip_prefix('.'))
        .map(str::to_owned)
        .collect()
}

/// What `QuerySet::explain` puts before a `SELECT`, and the column of the
/// answer that describes each step.
pub(crate) const EXPLAIN: (&str, usize) = ("EXPLAIN QUERY PLAN ", 3);

/// The names of the tables that exist.
pub(crate) const EXISTING_TABLES: &str = "SELECT name FROM sqlite_master WHERE type = 'table'";

/// The column type of `field` (the storage sqlx's SQLite codecs use).
pub(crate) fn column_type(field: &crate::model::FieldMeta) -> &'static str {
    use crate::SqlType;
    match field.sql_type {
        SqlType::Bool | SqlType::I16 | SqlType::I32 | SqlType::I64 => "INTEGER",
        SqlType::F32 | SqlType::F64 => "REAL",
        SqlType::Text | SqlType::DateTime | SqlType::Date | SqlType::Json => "TEXT",
        SqlType::Bytes | SqlType::Uuid => "BLOB",
    }
}
