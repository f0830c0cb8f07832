//! `DELETE` of the rows a filter matches.

use super::SqlWriter;
use crate::Backend;
use crate::db::Statement;
use crate::model::ModelMeta;
use crate::query::Expr;

/// `DELETE FROM t WHERE …` (every row without a filter).
pub(crate) fn delete(
    backend: Backend,
    meta: &'static ModelMeta,
    filter: Option<&Expr>,
) -> Statement {
    let mut sql = SqlWriter::new(backend);
    sql.push("DELETE FROM ").ident(meta.table);
    sql.where_clause(meta, filter);
    sql.finish(meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;
    use crate::query::CompareOp;
    use crate::sql::fixtures::{TAGS, assert_renders};

    #[test]
    fn delete_by_filter_and_everything() {
        let filter = Expr::Compare {
            field: 2,
            op: CompareOp::Gt,
            value: Value::I64(100),
        };
        assert_renders(
            |backend| delete(backend, &TAGS, Some(&filter)),
            [
                r#"DELETE FROM "tags" WHERE "uses" > ?"#,
                r#"DELETE FROM "tags" WHERE "uses" > $1"#,
                "DELETE FROM `tags` WHERE `uses` > ?",
            ],
            &[Value::I64(100)],
        );
        assert_renders(
            |backend| delete(backend, &TAGS, None),
            [
                r#"DELETE FROM "tags""#,
                r#"DELETE FROM "tags""#,
                "DELETE FROM `tags`",
            ],
            &[],
        );
    }
}
