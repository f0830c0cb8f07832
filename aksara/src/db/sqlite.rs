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

/// The pool, and for an in-memory database the connection that keeps it alive.
pub(super) async fn connect(
    url: &str,
    options: &DbOptions,
) -> Result<(SqlitePool, Option<SqlitePool>)> {
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
    let mut keeper = None;
    if in_memory {
        // sqlx opens `:memory:` as a named shared-cache database, which lives as
        // long as one connection to it is open. The pool's connection is not
        // enough: sqlx closes a connection whose query was cancelled (a request
        // dropped mid-query), and the next one would open an empty database. So
        // one more connection, which no query ever uses, holds it for the `Db`'s
        // lifetime.
        keeper = Some(
            sqlx::pool::PoolOptions::<sqlx::Sqlite>::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(connect.clone())
                .await?,
        );
        // One connection for the queries: shared-cache connections lock each
        // other out table by table (SQLITE_LOCKED) instead of waiting.
        pool = pool
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    Ok((pool.connect_with(connect).await?, keeper))
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
