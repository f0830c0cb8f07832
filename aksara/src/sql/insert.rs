//! `INSERT` of one or many rows, and how the keys it generates come back.

use super::SqlWriter;
use crate::db::Statement;
use crate::model::ModelMeta;
use crate::{Backend, Value};

/// Whether an insert of `rows` rows that generates keys returns them with
/// `RETURNING`; otherwise a single row's key is the driver's `last_insert_id`,
/// and the keys of many rows cannot be had (insert them one by one).
pub(crate) fn returns_keys(backend: Backend, rows: usize) -> bool {
    let dialect = backend.dialect();
    dialect.has_returning() && (rows > 1 || !dialect.reports_last_insert_id())
}

/// Whether `values` leave the key for the database to generate: an
/// auto-increment key still 0.
pub(crate) fn generates_key(meta: &ModelMeta, values: &[Value]) -> bool {
    meta.primary_key().auto_increment && values[meta.primary_key] == Value::I64(0)
}

/// `INSERT INTO t (cols) VALUES (…), (…)`, leaving out an auto-increment key that
/// is still 0, with `RETURNING` the key when [`returns_keys`].
pub(crate) fn insert(backend: Backend, meta: &'static ModelMeta, rows: &[Vec<Value>]) -> Statement {
    let mut sql = SqlWriter::new(backend);
    sql.push("INSERT INTO ").ident(meta.table);
    let skip_key = columns_and_values(&mut sql, meta, rows);
    if skip_key && returns_keys(backend, rows.len()) {
        sql.push(" RETURNING ").ident(meta.primary_key().column);
    }
    sql.finish(meta)
}

/// ` (cols) VALUES (…), (…)` after `INSERT INTO t`, leaving out an auto-increment
/// key that is still 0; whether it was left out.
pub(crate) fn columns_and_values<R: AsRef<[Value]>>(
    sql: &mut SqlWriter,
    meta: &ModelMeta,
    rows: &[R],
) -> bool {
    let pk = meta.primary_key;
    let skip_key = rows
        .first()
        .is_some_and(|row| generates_key(meta, row.as_ref()));
    sql.push(" (");
    let mut first = true;
    for (index, field) in meta.fields.iter().enumerate() {
        if skip_key && index == pk {
            continue;
        }
        if !first {
            sql.push(", ");
        }
        first = false;
        sql.ident(field.column);
    }
    sql.push(") VALUES ");
    for (r, row) in rows.iter().enumerate() {
        sql.push(if r == 0 { "(" } else { ", (" });
        let mut first = true;
        for (index, value) in row.as_ref().iter().enumerate() {
            if skip_key && index == pk {
                continue;
            }
            if !first {
                sql.push(", ");
            }
            first = false;
            sql.param(value.clone());
        }
        sql.push(")");
    }
    skip_key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::fixtures::{POSTS, TAGS, assert_renders};

    fn tag(id: i64, name: &str) -> Vec<Value> {
        vec![Value::I64(id), Value::Text(name.into()), Value::I64(0)]
    }

    #[test]
    fn one_row_with_a_generated_key_returns_it_where_the_driver_does_not_report_it() {
        let rows = [tag(0, "rust")];
        assert_renders(
            |backend| insert(backend, &TAGS, &rows),
            [
                r#"INSERT INTO "tags" ("name", "uses") VALUES (?, ?)"#,
                r#"INSERT INTO "tags" ("name", "uses") VALUES ($1, $2) RETURNING "id""#,
                "INSERT INTO `tags` (`name`, `uses`) VALUES (?, ?)",
            ],
            &[Value::Text("rust".into()), Value::I64(0)],
        );
    }

    #[test]
    fn many_rows_with_generated_keys_return_them_where_returning_exists() {
        let rows = [tag(0, "a"), tag(0, "b")];
        assert_renders(
            |backend| insert(backend, &TAGS, &rows),
            [
                r#"INSERT INTO "tags" ("name", "uses") VALUES (?, ?), (?, ?) RETURNING "id""#,
                r#"INSERT INTO "tags" ("name", "uses") VALUES ($1, $2), ($3, $4) RETURNING "id""#,
                "INSERT INTO `tags` (`name`, `uses`) VALUES (?, ?), (?, ?)",
            ],
            &[
                Value::Text("a".into()),
                Value::I64(0),
                Value::Text("b".into()),
                Value::I64(0),
            ],
        );
        assert!(returns_keys(Backend::Sqlite, 2) && returns_keys(Backend::Postgres, 2));
        assert!(
            !returns_keys(Backend::MySql, 2),
            "MySQL inserts those one by one"
        );
    }

    #[test]
    fn a_key_given_is_inserted_and_nothing_returned() {
        let rows = [tag(7, "seven")];
        assert_renders(
            |backend| insert(backend, &TAGS, &rows),
            [
                r#"INSERT INTO "tags" ("id", "name", "uses") VALUES (?, ?, ?)"#,
                r#"INSERT INTO "tags" ("id", "name", "uses") VALUES ($1, $2, $3)"#,
                "INSERT INTO `tags` (`id`, `name`, `uses`) VALUES (?, ?, ?)",
            ],
            &rows[0],
        );
    }

    #[test]
    fn a_uuid_key_is_always_bound() {
        let id = Value::Uuid(uuid::Uuid::nil());
        let rows = [vec![
            id.clone(),
            Value::Text("s".into()),
            Value::I64(1),
            Value::Null(crate::SqlType::I64),
            Value::Bool(false),
            Value::Null(crate::SqlType::DateTime),
        ]];
        let statement = insert(Backend::Postgres, &POSTS, &rows);
        assert_eq!(
            statement.sql,
            r#"INSERT INTO "posts" ("id", "slug", "author_id", "editor_id", "published", "created_at") VALUES ($1, $2, $3, $4, $5, $6)"#
        );
        assert_eq!(statement.args, rows[0]);
    }
}
