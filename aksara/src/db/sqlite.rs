//! SQLite: the embedded default. Connection setup, statement execution, and
//! [`SqliteDialect`]: how its SQL, column types and constraint messages differ.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteQueryResult, SqliteSynchronous,
};

use sqlx::error::{DatabaseError, ErrorKind};

use super::dialect::{Dialect, PatternMatch};
use super::{DbOptions, RowInner, io::backend_io};
use crate::model::{FieldMeta, ModelMeta};
use crate::{Backend, Result, SqlType};

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
        // WAL with `synchronous = NORMAL`, SQLite's recommendation for WAL: a
        // commit no longer waits for the disk (the WAL is synced at each
        // checkpoint), which made every login's two commits most of its cost
        // beside the hash. The database stays consistent after a crash; after a
        // power loss the last commits before it can be rolled back.
        connect
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
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

/// SQLite's spelling of SQL: standard quoting and `?` placeholders.
pub(crate) struct SqliteDialect;

impl Dialect for SqliteDialect {
    fn pattern_match(&self, case_insensitive: bool) -> PatternMatch {
        if case_insensitive {
            // LIKE has no escape character unless one is named.
            PatternMatch {
                glob: false,
                lower: true,
                operator: " LIKE ",
                escape: " ESCAPE '\\'",
            }
        } else {
            // SQLite's LIKE ignores ASCII case; GLOB is the case-sensitive matcher.
            PatternMatch {
                glob: true,
                lower: false,
                operator: " GLOB ",
                escape: "",
            }
        }
    }

    fn limit_for_offset_only(&self) -> Option<&'static str> {
        // A negative limit means none.
        Some(" LIMIT -1")
    }

    fn explain(&self) -> (&'static str, usize) {
        ("EXPLAIN QUERY PLAN ", 3)
    }

    fn reports_last_insert_id(&self) -> bool {
        true
    }

    fn auto_increment_primary_key(&self) -> &'static str {
        // An alias of the rowid; AUTOINCREMENT never reuses the key of a deleted row.
        "INTEGER PRIMARY KEY AUTOINCREMENT"
    }

    /// The storage sqlx's SQLite codecs use; SQLite keys any column.
    fn column_type(&self, field: &FieldMeta, _keyed: bool, out: &mut String) {
        out.push_str(match field.sql_type {
            SqlType::Bool | SqlType::I16 | SqlType::I32 | SqlType::I64 => "INTEGER",
            SqlType::F32 | SqlType::F64 => "REAL",
            SqlType::Text | SqlType::DateTime | SqlType::Date | SqlType::Json => "TEXT",
            SqlType::Bytes | SqlType::Uuid => "BLOB",
        });
    }

    fn existing_tables(&self) -> &'static str {
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    }

    fn column_exists(&self) -> &'static str {
        "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?"
    }

    /// Columns named by `UNIQUE constraint failed: posts.author_id, posts.slug`, or
    /// behind the index of `UNIQUE constraint failed: index 'users_email_ci_key'` (an
    /// index on an expression). (SQLite's foreign-key message names no column.)
    fn constraint_columns(
        &self,
        error: &dyn DatabaseError,
        model: &'static ModelMeta,
    ) -> Vec<String> {
        let Some((_, list)) = error.message().split_once("failed: ") else {
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

    fn error_kind(&self, error: &dyn DatabaseError) -> ErrorKind {
        // An ON DELETE RESTRICT refusal comes with its trigger code, not the
        // foreign-key one; its message is the same.
        if error.message() == "FOREIGN KEY constraint failed" {
            ErrorKind::ForeignKeyViolation
        } else {
            error.kind()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_database_runs_in_wal_with_normal_synchronous() {
        let path = std::env::temp_dir().join(format!("aksara-sync-{}.db", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}", path.display());
        let (pool, keeper) = connect(&url, &DbOptions::default()).await.unwrap();
        assert!(keeper.is_none());
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap();
        // 1 is NORMAL (2 would be FULL, sqlx's default).
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        assert_eq!((journal.as_str(), synchronous), ("wal", 1));
    }
}
