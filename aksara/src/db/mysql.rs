//! MySQL and MariaDB: connection setup, statement execution, and [`MySqlDialect`]:
//! how their SQL, column types and constraint messages differ.

use std::fmt::Write as _;

use sqlx::error::DatabaseError;
use sqlx::mysql::{MySqlPool, MySqlQueryResult};

use super::dialect::{Dialect, PatternMatch, Upsert, quote_with};
use super::{DbOptions, RowInner, io::backend_io};
use crate::model::{FieldMeta, ModelMeta};
use crate::{Backend, Result, SqlType};

backend_io!(
    sqlx::MySql,
    Backend::MySql,
    RowInner::MySql,
    |done: &MySqlQueryResult| {
        i64::try_from(done.last_insert_id())
            .ok()
            .filter(|id| *id != 0)
    }
);

pub(super) async fn connect(url: &str, options: &DbOptions) -> Result<MySqlPool> {
    // `mariadb://` is our alias; the driver only knows `mysql://`.
    let url = url
        .strip_prefix("mariadb://")
        .map_or_else(|| url.to_owned(), |rest| format!("mysql://{rest}"));
    Ok(options.pool::<sqlx::MySql>().connect(&url).await?)
}

/// MySQL's and MariaDB's spelling of SQL: backquoted names, `?` placeholders, no
/// `RETURNING`, indexes declared with the table, case-insensitive unique fields
/// through a generated column.
pub(crate) struct MySqlDialect;

impl Dialect for MySqlDialect {
    fn quote_identifier(&self, ident: &str, out: &mut String) {
        quote_with('`', ident, out);
    }

    fn pattern_match(&self, case_insensitive: bool) -> PatternMatch {
        if case_insensitive {
            PatternMatch {
                glob: false,
                lower: true,
                operator: " LIKE ",
                escape: "",
            }
        } else {
            // The default collations compare case-insensitively; BINARY does not.
            PatternMatch {
                glob: false,
                lower: false,
                operator: " LIKE BINARY ",
                escape: "",
            }
        }
    }

    fn limit_for_offset_only(&self) -> Option<&'static str> {
        // OFFSET needs a LIMIT: the largest there is.
        Some(" LIMIT 18446744073709551615")
    }

    fn explain(&self) -> (&'static str, usize) {
        ("EXPLAIN FORMAT=JSON ", 0)
    }

    fn reports_last_insert_id(&self) -> bool {
        true
    }

    fn has_returning(&self) -> bool {
        false
    }

    fn upsert(&self) -> Upsert {
        Upsert::OnDuplicateKey
    }

    /// `email__lower`: MariaDB cannot index `LOWER(email)` itself, so the unique
    /// index, and `iexact` lookups, use this column.
    fn lowered_column(&self, column: &str) -> Option<String> {
        Some(format!("{column}__lower"))
    }

    fn generated_column(&self) -> (&'static str, &'static str) {
        (" AS (", ") VIRTUAL")
    }

    fn auto_increment_primary_key(&self) -> &'static str {
        "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"
    }

    /// The native type. Text that takes part in a key must be bounded (`keyed`):
    /// VARCHAR(max_length), or VARCHAR(255) without one.
    fn column_type(&self, field: &FieldMeta, keyed: bool, out: &mut String) {
        out.push_str(match field.sql_type {
            SqlType::Bool => "BOOLEAN",
            SqlType::I16 => "SMALLINT",
            SqlType::I32 => "INT",
            SqlType::I64 => "BIGINT",
            SqlType::F32 => "FLOAT",
            SqlType::F64 => "DOUBLE",
            SqlType::Text => match field.max_length {
                Some(n) if n <= 16_383 => {
                    let _ = write!(out, "VARCHAR({n})");
                    return;
                }
                None if keyed => "VARCHAR(255)",
                _ => "LONGTEXT",
            },
            SqlType::Bytes => "LONGBLOB",
            SqlType::Uuid => "BINARY(16)",
            SqlType::DateTime => "DATETIME(6)",
            SqlType::Date => "DATE",
            SqlType::Json => "JSON",
        });
    }

    /// MySQL has no `CREATE INDEX IF NOT EXISTS`.
    fn has_create_index_if_not_exists(&self) -> bool {
        false
    }

    /// Binary collation: `=` and UNIQUE compare exactly, as on PostgreSQL and SQLite.
    fn table_options(&self) -> &'static str {
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    }

    /// In the connection's database.
    fn existing_tables(&self) -> &'static str {
        "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE()"
    }

    fn column_exists(&self) -> &'static str {
        "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?"
    }

    /// Columns behind the constraint a MySQL message names:
    /// `Duplicate entry 'x' for key 'posts_slug_key'` (MySQL 8 writes
    /// `'posts.posts_slug_key'`), or ``… CONSTRAINT `posts_author_id_fkey` FOREIGN KEY …``.
    fn constraint_columns(
        &self,
        error: &dyn DatabaseError,
        model: &'static ModelMeta,
    ) -> Vec<String> {
        let message = error.message();
        let name = if let Some((_, rest)) = message.split_once("for key '") {
            rest.split('\'').next().unwrap_or_default()
        } else if let Some((_, rest)) = message.split_once("CONSTRAINT `") {
            rest.split('`').next().unwrap_or_default()
        } else {
            return Vec::new();
        };
        let name = name.rsplit('.').next().unwrap_or(name);
        if name == "PRIMARY" {
            return vec![model.primary_key().column.to_owned()];
        }
        super::constraint_columns(name, model)
    }
}
