//! MySQL and MariaDB: connection setup, statement execution and the parsing of
//! their constraint messages.

use sqlx::mysql::{MySqlPool, MySqlQueryResult};

use super::{DbOptions, RowInner, io::backend_io};
use crate::model::ModelMeta;
use crate::{Backend, Result};

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

/// Columns behind the constraint a MySQL message names:
/// `Duplicate entry 'x' for key 'posts_slug_key'` (MySQL 8 writes `'posts.posts_slug_key'`),
/// or ``… CONSTRAINT `posts_author_id_fkey` FOREIGN KEY …``.
pub(super) fn constraint_columns(message: &str, model: &'static ModelMeta) -> Vec<String> {
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

/// What `QuerySet::explain` puts before a `SELECT`, and the column of the plan.
pub(crate) const EXPLAIN: (&str, usize) = ("EXPLAIN FORMAT=JSON ", 0);

/// The names of the tables that exist in the connection's database.
pub(crate) const EXISTING_TABLES: &str = "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE()";

/// How many columns named `?` the table `?` has (0 or 1).
pub(crate) const COLUMN_EXISTS: &str = "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?";

/// The generated column holding `column` lower-cased, behind a case-insensitive
/// unique field (`email__lower`): MariaDB cannot index `LOWER(email)` itself, so
/// the index, and `iexact` lookups, use this column.
pub(crate) fn lowered_column(column: &str) -> String {
    format!("{column}__lower")
}

/// The native column type of `field`. Text that takes part in a key must be bounded
/// (`keyed`): VARCHAR(max_length), or VARCHAR(255) without one.
pub(crate) fn column_type(field: &crate::model::FieldMeta, keyed: bool) -> String {
    use crate::SqlType;
    match field.sql_type {
        SqlType::Bool => "BOOLEAN".into(),
        SqlType::I16 => "SMALLINT".into(),
        SqlType::I32 => "INT".into(),
        SqlType::I64 => "BIGINT".into(),
        SqlType::F32 => "FLOAT".into(),
        SqlType::F64 => "DOUBLE".into(),
        SqlType::Text => match field.max_length {
            Some(n) if n <= 16_383 => format!("VARCHAR({n})"),
            None if keyed => "VARCHAR(255)".into(),
            _ => "LONGTEXT".into(),
        },
        SqlType::Bytes => "LONGBLOB".into(),
        SqlType::Uuid => "BINARY(16)".into(),
        SqlType::DateTime => "DATETIME(6)".into(),
        SqlType::Date => "DATE".into(),
        SqlType::Json => "JSON".into(),
    }
}
