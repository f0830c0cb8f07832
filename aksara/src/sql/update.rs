//! `UPDATE` of the rows a filter matches, and of one row by its primary key.

use super::SqlWriter;
use crate::db::Statement;
use crate::model::ModelMeta;
use crate::query::Expr;
use crate::{Backend, Value};

/// `UPDATE t SET a = ?, … WHERE …`, written as the assignments come (a caller
/// validating each value on the way needs no list of them).
pub(crate) struct Update {
    sql: SqlWriter,
    model: &'static ModelMeta,
    assigned: bool,
}

impl Update {
    pub(crate) fn new(backend: Backend, model: &'static ModelMeta) -> Self {
        let mut sql = SqlWriter::new(backend);
        sql.push("UPDATE ").ident(model.table).push(" SET ");
        Self {
            sql,
            model,
            assigned: false,
        }
    }

    /// Adds `column = ?` for field `field`.
    pub(crate) fn set(&mut self, field: usize, value: Value) {
        if self.assigned {
            self.sql.push(", ");
        }
        self.assigned = true;
        self.sql
            .ident(self.model.fields[field].column)
            .push(" = ")
            .param(value);
    }

    /// The statement over the rows `filter` matches (every row without one);
    /// `None` when nothing was assigned.
    pub(crate) fn finish(mut self, filter: Option<&Expr>) -> Option<Statement> {
        if !self.assigned {
            return None;
        }
        self.sql.where_clause(self.model, filter);
        Some(self.sql.finish(self.model))
    }
}

/// `UPDATE t SET <every other field> WHERE <key> = ?` from one value per field;
/// `None` when the model has no field but its key.
pub(crate) fn update_by_key(
    backend: Backend,
    meta: &'static ModelMeta,
    values: &[Value],
) -> Option<Statement> {
    let pk = meta.primary_key;
    let mut update = Update::new(backend, meta);
    for (index, value) in values.iter().enumerate() {
        if index != pk {
            update.set(index, value.clone());
        }
    }
    if !update.assigned {
        return None;
    }
    update
        .sql
        .push(" WHERE ")
        .ident(meta.primary_key().column)
        .push(" = ")
        .param(values[pk].clone());
    Some(update.sql.finish(meta))
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
        assert_renders(
            |backend| {
                let mut update = Update::new(backend, &TAGS);
                update.set(2, Value::I64(5));
                update.set(1, Value::Text("new".into()));
                update.finish(Some(&filter)).expect("assignments")
            },
            [
                r#"UPDATE "tags" SET "uses" = ?, "name" = ? WHERE "uses" = ?"#,
                r#"UPDATE "tags" SET "uses" = $1, "name" = $2 WHERE "uses" = $3"#,
                "UPDATE `tags` SET `uses` = ?, `name` = ? WHERE `uses` = ?",
            ],
            &[Value::I64(5), Value::Text("new".into()), Value::I64(0)],
        );
        assert!(Update::new(Backend::Sqlite, &TAGS).finish(None).is_none());
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
