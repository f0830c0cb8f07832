//! `UPDATE` of the rows a filter matches, and of one row by its primary key.

use super::SqlWriter;
use crate::db::Statement;
use crate::model::ModelMeta;
use crate::query::Expr;
use crate::{Backend, Value};

/// `UPDATE t SET a = ?, … WHERE …` for `(field, value)` assignments; `None`
/// without any.
pub(crate) fn update(
    backend: Backend,
    meta: &'static ModelMeta,
    assignments: impl IntoIterator<Item = (usize, Value)>,
    filter: Option<&Expr>,
) -> Option<Statement> {
    let mut sql = SqlWriter::new(backend);
    if !update_set(&mut sql, meta, assignments) {
        return None;
    }
    sql.where_clause(meta, filter);
    Some(sql.finish(meta))
}

/// `UPDATE t SET <every other field> WHERE <key> = ?` from one value per field;
/// `None` when the model has no field but its key.
pub(crate) fn update_by_key(
    backend: Backend,
    meta: &'static ModelMeta,
    values: &[Value],
) -> Option<Statement> {
    let pk = meta.primary_key;
    let mut sql = SqlWriter::new(backend);
    let others = values
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != pk)
        .map(|(index, value)| (index, value.clone()));
    if !update_set(&mut sql, meta, others) {
        return None;
    }
    sql.push(" WHERE ")
        .ident(meta.primary_key().column)
        .push(" = ")
        .param(values[pk].clone());
    Some(sql.finish(meta))
}

/// `UPDATE t SET a = ?, …`; whether there was any assignment.
fn update_set(
    sql: &mut SqlWriter,
    meta: &ModelMeta,
    assignments: impl IntoIterator<Item = (usize, Value)>,
) -> bool {
    sql.push("UPDATE ").ident(meta.table).push(" SET ");
    let mut any = false;
    for (field, value) in assignments {
        if any {
            sql.push(", ");
        }
        any = true;
        sql.ident(meta.fields[field].column)
            .push(" = ")
            .param(value);
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::CompareOp;
    use crate::sql::fixtures::{KEYS, TAGS, assert_renders};

    #[test]
    fn update_by_filter_binds_assignments_before_the_filter() {
        let filter = Expr::Compare {
            field: 2,
            op: CompareOp::Eq,
            value: Value::I64(0),
        };
        let assignments = || [(2, Value::I64(5)), (1, Value::Text("new".into()))];
        assert_renders(
            |backend| update(backend, &TAGS, assignments(), Some(&filter)).expect("assignments"),
            [
                r#"UPDATE "tags" SET "uses" = ?, "name" = ? WHERE "uses" = ?"#,
                r#"UPDATE "tags" SET "uses" = $1, "name" = $2 WHERE "uses" = $3"#,
                "UPDATE `tags` SET `uses` = ?, `name` = ? WHERE `uses` = ?",
            ],
            &[Value::I64(5), Value::Text("new".into()), Value::I64(0)],
        );
        assert!(update(Backend::Sqlite, &TAGS, [], None).is_none());
    }

    #[test]
    fn update_by_key_sets_every_other_field() {
        let values = [Value::I64(9), Value::Text("rust".into()), Value::I64(3)];
        assert_renders(
            |backend| update_by_key(backend, &TAGS, &values).expect("fields besides the key"),
            [
                r#"UPDATE "tags" SET "name" = ?, "uses" = ? WHERE "id" = ?"#,
                r#"UPDATE "tags" SET "name" = $1, "uses" = $2 WHERE "id" = $3"#,
                "UPDATE `tags` SET `name` = ?, `uses` = ? WHERE `id` = ?",
            ],
            &[Value::Text("rust".into()), Value::I64(3), Value::I64(9)],
        );
    }

    #[test]
    fn a_model_of_only_a_key_has_nothing_to_update() {
        let values = [Value::Uuid(uuid::Uuid::nil())];
        assert!(update_by_key(Backend::Postgres, &KEYS, &values).is_none());
    }
}
