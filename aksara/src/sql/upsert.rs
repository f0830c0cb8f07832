//! The counting upsert behind `QuerySet::increment_or_create`: insert a row, or
//! add one to the counter of the row that already holds its key — or start that
//! row afresh when a condition on it holds — in one statement.

use super::SqlWriter;
use super::insert::columns_and_values;
use crate::db::{Statement, Upsert};
use crate::model::ModelMeta;
use crate::query::Expr;
use crate::{Backend, Value};

/// The alias of the stored row where the dialect qualifies it ([`Upsert::OnConflict`]).
const STORED: &str = "t0";

/// What one counting upsert writes.
pub(crate) struct Increment<'a> {
    pub(crate) model: &'static ModelMeta,
    /// One value per field: the row inserted when none holds its key, and what
    /// a reset row becomes.
    pub(crate) values: &'a [Value],
    /// The fields of the unique key the row is found by.
    pub(crate) key: &'a [usize],
    /// The integer field that counts.
    pub(crate) counter: usize,
    /// When this holds for the stored row, it is replaced by `values`.
    pub(crate) reset_when: &'a Expr,
    /// The one field `reset_when` names.
    pub(crate) reset_field: usize,
}

/// `INSERT … ON CONFLICT (key) DO UPDATE SET …` (MySQL: `ON DUPLICATE KEY
/// UPDATE`), with `RETURNING` every column where the dialect has it.
///
/// Every field but the key and the primary key is assigned `CASE WHEN reset THEN
/// <proposed> ELSE <stored> END` (the counter's stored value plus one). The field
/// the condition names is assigned last: MySQL evaluates the assignments in
/// order, so the earlier ones still see its stored value.
pub(crate) fn increment(backend: Backend, upsert: &Increment<'_>) -> Statement {
    let meta = upsert.model;
    let style = backend.dialect().upsert();
    let mut sql = SqlWriter::new(backend);
    sql.push("INSERT INTO ").ident(meta.table);
    if style == Upsert::OnConflict {
        sql.push(" AS ").push(STORED);
    }
    columns_and_values(&mut sql, meta, &[upsert.values]);
    match style {
        Upsert::OnConflict => {
            sql.push(" ON CONFLICT (");
            for (i, field) in upsert.key.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.ident(meta.fields[*field].column);
            }
            sql.push(") DO UPDATE SET ");
            sql.set_qualifier(Some(STORED));
        }
        Upsert::OnDuplicateKey => {
            sql.push(" ON DUPLICATE KEY UPDATE ");
        }
    }
    let assigned = (0..meta.fields.len())
        .filter(|field| {
            *field != meta.primary_key
                && !upsert.key.contains(field)
                && *field != upsert.reset_field
        })
        .chain((upsert.reset_field != meta.primary_key).then_some(upsert.reset_field));
    for (i, field) in assigned.enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let column = meta.fields[field].column;
        sql.ident(column).push(" = CASE WHEN ");
        sql.expr(meta, upsert.reset_when);
        sql.push(" THEN ");
        match style {
            Upsert::OnConflict => sql.push("excluded.").ident(column),
            Upsert::OnDuplicateKey => sql.push("VALUES(").ident(column).push(")"),
        };
        sql.push(" ELSE ").column(meta, field);
        if field == upsert.counter {
            sql.push(" + 1");
        }
        sql.push(" END");
    }
    sql.set_qualifier(None);
    if backend.dialect().has_returning() {
        sql.push(" RETURNING ").column_list(meta, None);
    }
    sql.finish(meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::CompareOp;
    use crate::sql::fixtures::{TAGS, assert_renders};

    #[test]
    fn the_counter_adds_one_unless_the_reset_condition_holds() {
        // tags: id (auto), name (unique), uses — counted; reset once uses >= 10.
        let values = [Value::I64(0), Value::Text("rust".into()), Value::I64(1)];
        let reset_when = Expr::Compare {
            field: 2,
            op: CompareOp::Gte,
            value: Value::I64(10),
        };
        let upsert = Increment {
            model: &TAGS,
            values: &values,
            key: &[1],
            counter: 2,
            reset_when: &reset_when,
            reset_field: 2,
        };
        assert_renders(
            |backend| increment(backend, &upsert),
            [
                r#"INSERT INTO "tags" AS t0 ("name", "uses") VALUES (?, ?) ON CONFLICT ("name") DO UPDATE SET "uses" = CASE WHEN t0."uses" >= ? THEN excluded."uses" ELSE t0."uses" + 1 END RETURNING "id", "name", "uses""#,
                r#"INSERT INTO "tags" AS t0 ("name", "uses") VALUES ($1, $2) ON CONFLICT ("name") DO UPDATE SET "uses" = CASE WHEN t0."uses" >= $3 THEN excluded."uses" ELSE t0."uses" + 1 END RETURNING "id", "name", "uses""#,
                "INSERT INTO `tags` (`name`, `uses`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `uses` = CASE WHEN `uses` >= ? THEN VALUES(`uses`) ELSE `uses` + 1 END",
            ],
            &[Value::Text("rust".into()), Value::I64(1), Value::I64(10)],
        );
    }
}
