//! `SELECT` (filters, joins, order, limit, offset), `COUNT`, `EXISTS` and
//! `EXPLAIN`, rendered from a [`Select`].

use super::SqlWriter;
use crate::Backend;
use crate::db::Statement;
use crate::model::ModelMeta;
use crate::query::Expr;

/// A foreign key whose target row is loaded in the same query.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Join {
    /// The foreign-key field of the base model.
    pub(crate) field: usize,
    pub(crate) target: &'static ModelMeta,
    /// A nullable key joins with `LEFT JOIN`, so rows without a target stay.
    pub(crate) nullable: bool,
}

/// The aliases of joined tables; the base table is `t0`.
const JOIN_ALIASES: [&str; 8] = ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"];

/// How many joins one query can hold.
pub(crate) const MAX_JOINS: usize = JOIN_ALIASES.len();

/// The shape of a query over one model, borrowed from a query set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Select<'a> {
    pub(crate) model: &'static ModelMeta,
    pub(crate) filter: Option<&'a Expr>,
    /// `(field, descending)` terms.
    pub(crate) order: &'a [(usize, bool)],
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
    pub(crate) joins: &'a [Join],
}

#[cfg(test)]
impl Select<'_> {
    /// Every row of `model`.
    pub(crate) fn all(model: &'static ModelMeta) -> Self {
        Self {
            model,
            filter: None,
            order: &[],
            limit: None,
            offset: None,
            joins: &[],
        }
    }
}

/// `SELECT` every column of the model, and of each joined model after it.
pub(crate) fn select(backend: Backend, query: &Select<'_>) -> Statement {
    let mut sql = SqlWriter::new(backend);
    select_into(&mut sql, query);
    sql.finish(query.model)
}

/// The database's plan for [`select`]: the dialect's `EXPLAIN` before it.
pub(crate) fn explain(backend: Backend, query: &Select<'_>) -> Statement {
    let mut sql = SqlWriter::new(backend);
    let (prefix, _) = sql.dialect().explain();
    sql.push(prefix);
    select_into(&mut sql, query);
    sql.finish(query.model)
}

fn select_into(sql: &mut SqlWriter, query: &Select<'_>) {
    let meta = query.model;
    let base_alias = (!query.joins.is_empty()).then_some("t0");
    sql.push("SELECT ").column_list(meta, base_alias);
    for (join, alias) in query.joins.iter().zip(JOIN_ALIASES) {
        sql.push(", ").column_list(join.target, Some(alias));
    }
    sql.push(" FROM ").ident(meta.table);
    if let Some(base) = base_alias {
        sql.push(" ").push(base);
    }
    for (join, alias) in query.joins.iter().zip(JOIN_ALIASES) {
        sql.push(if join.nullable {
            " LEFT JOIN "
        } else {
            " INNER JOIN "
        });
        sql.ident(join.target.table)
            .push(" ")
            .push(alias)
            .push(" ON ");
        sql.push(alias)
            .push(".")
            .ident(join.target.primary_key().column);
        sql.push(" = t0.").ident(meta.fields[join.field].column);
    }
    sql.set_qualifier(base_alias);
    sql.where_clause(meta, query.filter);
    sql.order_limit(meta, query.order, query.limit, query.offset);
}

/// `SELECT COUNT(*)` of the matching rows (joins play no part); a sliced query
/// counts the rows of its slice.
pub(crate) fn count(backend: Backend, query: &Select<'_>) -> Statement {
    let meta = query.model;
    let mut sql = SqlWriter::new(backend);
    if query.limit.is_some() || query.offset.is_some() {
        sql.push("SELECT COUNT(*) FROM (SELECT 1 AS one FROM ")
            .ident(meta.table);
        sql.where_clause(meta, query.filter);
        sql.order_limit(meta, query.order, query.limit, query.offset);
        sql.push(") sliced");
    } else {
        sql.push("SELECT COUNT(*) FROM ").ident(meta.table);
        sql.where_clause(meta, query.filter);
    }
    sql.finish(meta)
}

/// `SELECT 1` of the first matching row after the offset: a row comes back when
/// any matches.
pub(crate) fn exists(backend: Backend, query: &Select<'_>) -> Statement {
    let meta = query.model;
    let mut sql = SqlWriter::new(backend);
    sql.push("SELECT 1 FROM ").ident(meta.table);
    sql.where_clause(meta, query.filter);
    sql.order_limit(meta, &[], Some(1), query.offset);
    sql.finish(meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;
    use crate::query::{CompareOp, TextOp};
    use crate::sql::fixtures::{AUTHORS, POSTS, TAGS, assert_renders};

    fn compare(field: usize, op: CompareOp, value: Value) -> Expr {
        Expr::Compare { field, op, value }
    }

    fn text(field: usize, op: TextOp, value: &str) -> Expr {
        Expr::Text {
            field,
            op,
            value: value.to_owned(),
        }
    }

    fn and(left: Expr, right: Expr) -> Expr {
        Expr::And(Box::new(left), Box::new(right))
    }

    fn or(left: Expr, right: Expr) -> Expr {
        Expr::Or(Box::new(left), Box::new(right))
    }

    #[test]
    fn select_with_comparisons_order_limit_and_offset() {
        let filter = and(
            compare(0, CompareOp::Ne, Value::I64(1)),
            and(
                compare(0, CompareOp::Gte, Value::I64(2)),
                Expr::Not(Box::new(compare(2, CompareOp::Lt, Value::I64(3)))),
            ),
        );
        let query = Select {
            filter: Some(&filter),
            order: &[(1, false), (0, true)],
            limit: Some(3),
            offset: Some(1),
            ..Select::all(&TAGS)
        };
        assert_renders(
            |backend| select(backend, &query),
            [
                r#"SELECT "id", "name", "uses" FROM "tags" WHERE ("id" <> ? AND ("id" >= ? AND NOT ("uses" < ?))) ORDER BY "name", "id" DESC LIMIT 3 OFFSET 1"#,
                r#"SELECT "id", "name", "uses" FROM "tags" WHERE ("id" <> $1 AND ("id" >= $2 AND NOT ("uses" < $3))) ORDER BY "name", "id" DESC LIMIT 3 OFFSET 1"#,
                "SELECT `id`, `name`, `uses` FROM `tags` WHERE (`id` <> ? AND (`id` >= ? AND NOT (`uses` < ?))) ORDER BY `name`, `id` DESC LIMIT 3 OFFSET 1",
            ],
            &[Value::I64(1), Value::I64(2), Value::I64(3)],
        );
    }

    #[test]
    fn offset_without_limit_asks_for_every_row_where_the_dialect_needs_a_limit() {
        let query = Select {
            order: &[(0, false)],
            offset: Some(2),
            ..Select::all(&TAGS)
        };
        assert_renders(
            |backend| select(backend, &query),
            [
                r#"SELECT "id", "name", "uses" FROM "tags" ORDER BY "id" LIMIT -1 OFFSET 2"#,
                r#"SELECT "id", "name", "uses" FROM "tags" ORDER BY "id" OFFSET 2"#,
                "SELECT `id`, `name`, `uses` FROM `tags` ORDER BY `id` LIMIT 18446744073709551615 OFFSET 2",
            ],
            &[],
        );
    }

    #[test]
    fn in_lists_and_null_checks() {
        let filter = and(
            Expr::In {
                field: 0,
                values: vec![Value::I64(1), Value::I64(2)],
            },
            and(
                Expr::In {
                    field: 0,
                    values: Vec::new(),
                },
                Expr::IsNull {
                    field: 3,
                    is_null: true,
                },
            ),
        );
        let query = Select {
            filter: Some(&filter),
            ..Select::all(&POSTS)
        };
        assert_renders(
            |backend| select(backend, &query),
            [
                r#"SELECT "id", "slug", "author_id", "editor_id", "published", "created_at" FROM "posts" WHERE ("id" IN (?, ?) AND (1 = 0 AND "editor_id" IS NULL))"#,
                r#"SELECT "id", "slug", "author_id", "editor_id", "published", "created_at" FROM "posts" WHERE ("id" IN ($1, $2) AND (1 = 0 AND "editor_id" IS NULL))"#,
                "SELECT `id`, `slug`, `author_id`, `editor_id`, `published`, `created_at` FROM `posts` WHERE (`id` IN (?, ?) AND (1 = 0 AND `editor_id` IS NULL))",
            ],
            &[Value::I64(1), Value::I64(2)],
        );
    }

    #[test]
    fn text_lookups_follow_django_case_rules_on_each_dialect() {
        let filter = or(
            text(1, TextOp::Contains, "50%_*"),
            and(
                text(1, TextOp::IContains, "Ab"),
                and(
                    text(1, TextOp::StartsWith, "a"),
                    text(1, TextOp::EndsWith, "z"),
                ),
            ),
        );
        let query = Select {
            filter: Some(&filter),
            ..Select::all(&TAGS)
        };
        let columns = r#"SELECT "id", "name", "uses" FROM "tags" WHERE "#;
        let sqlite = format!(
            r#"{columns}("name" GLOB ? OR (LOWER("name") LIKE LOWER(?) ESCAPE '\' AND ("name" GLOB ? AND "name" GLOB ?)))"#
        );
        let postgres = format!(
            r#"{columns}("name" LIKE $1 OR ("name" ILIKE $2 AND ("name" LIKE $3 AND "name" LIKE $4)))"#
        );
        let mysql = "SELECT `id`, `name`, `uses` FROM `tags` WHERE (`name` LIKE BINARY ? OR (LOWER(`name`) LIKE LOWER(?) AND (`name` LIKE BINARY ? AND `name` LIKE BINARY ?)))";
        let glob = ["*50%_[*]*", "%Ab%", "a*", "*z"].map(|p| Value::Text(p.into()));
        let like = ["%50\\%\\_*%", "%Ab%", "a%", "%z"].map(|p| Value::Text(p.into()));
        for (backend, sql, args) in [
            (Backend::Sqlite, sqlite.as_str(), &glob),
            (Backend::Postgres, postgres.as_str(), &like),
            (Backend::MySql, mysql, &like),
        ] {
            let statement = select(backend, &query);
            assert_eq!(
                (statement.sql.as_str(), &statement.args[..]),
                (sql, &args[..]),
                "{backend:?}"
            );
        }
    }

    #[test]
    fn iexact_uses_the_lowered_column_of_a_case_insensitive_field_where_the_dialect_keeps_one() {
        let filter = and(
            text(2, TextOp::IExact, "A@X.ORG"),
            text(1, TextOp::IExact, "Jane"),
        );
        let query = Select {
            filter: Some(&filter),
            ..Select::all(&AUTHORS)
        };
        assert_renders(
            |backend| select(backend, &query),
            [
                r#"SELECT "id", "name", "email" FROM "authors" WHERE (LOWER("email") = LOWER(?) AND LOWER("name") = LOWER(?))"#,
                r#"SELECT "id", "name", "email" FROM "authors" WHERE (LOWER("email") = LOWER($1) AND LOWER("name") = LOWER($2))"#,
                "SELECT `id`, `name`, `email` FROM `authors` WHERE (`email__lower` = LOWER(?) AND LOWER(`name`) = LOWER(?))",
            ],
            &[Value::Text("A@X.ORG".into()), Value::Text("Jane".into())],
        );
    }

    #[test]
    fn joins_qualify_every_column() {
        let filter = and(
            Expr::IsNull {
                field: 3,
                is_null: false,
            },
            text(1, TextOp::IExact, "x"),
        );
        let joins = [
            Join {
                field: 2,
                target: &AUTHORS,
                nullable: false,
            },
            Join {
                field: 3,
                target: &AUTHORS,
                nullable: true,
            },
        ];
        let query = Select {
            filter: Some(&filter),
            order: &[(1, false)],
            limit: Some(1),
            joins: &joins,
            ..Select::all(&POSTS)
        };
        assert_renders(
            |backend| select(backend, &query),
            [
                r#"SELECT t0."id", t0."slug", t0."author_id", t0."editor_id", t0."published", t0."created_at", t1."id", t1."name", t1."email", t2."id", t2."name", t2."email" FROM "posts" t0 INNER JOIN "authors" t1 ON t1."id" = t0."author_id" LEFT JOIN "authors" t2 ON t2."id" = t0."editor_id" WHERE (t0."editor_id" IS NOT NULL AND LOWER(t0."slug") = LOWER(?)) ORDER BY t0."slug" LIMIT 1"#,
                r#"SELECT t0."id", t0."slug", t0."author_id", t0."editor_id", t0."published", t0."created_at", t1."id", t1."name", t1."email", t2."id", t2."name", t2."email" FROM "posts" t0 INNER JOIN "authors" t1 ON t1."id" = t0."author_id" LEFT JOIN "authors" t2 ON t2."id" = t0."editor_id" WHERE (t0."editor_id" IS NOT NULL AND LOWER(t0."slug") = LOWER($1)) ORDER BY t0."slug" LIMIT 1"#,
                "SELECT t0.`id`, t0.`slug`, t0.`author_id`, t0.`editor_id`, t0.`published`, t0.`created_at`, t1.`id`, t1.`name`, t1.`email`, t2.`id`, t2.`name`, t2.`email` FROM `posts` t0 INNER JOIN `authors` t1 ON t1.`id` = t0.`author_id` LEFT JOIN `authors` t2 ON t2.`id` = t0.`editor_id` WHERE (t0.`editor_id` IS NOT NULL AND LOWER(t0.`slug`) = LOWER(?)) ORDER BY t0.`slug` LIMIT 1",
            ],
            &[Value::Text("x".into())],
        );
    }

    #[test]
    fn count_of_all_rows_and_of_a_slice() {
        let filter = compare(2, CompareOp::Eq, Value::I64(0));
        let plain = Select {
            filter: Some(&filter),
            ..Select::all(&TAGS)
        };
        assert_renders(
            |backend| count(backend, &plain),
            [
                r#"SELECT COUNT(*) FROM "tags" WHERE "uses" = ?"#,
                r#"SELECT COUNT(*) FROM "tags" WHERE "uses" = $1"#,
                "SELECT COUNT(*) FROM `tags` WHERE `uses` = ?",
            ],
            &[Value::I64(0)],
        );
        let sliced = Select {
            order: &[(0, true)],
            offset: Some(1),
            ..plain
        };
        assert_renders(
            |backend| count(backend, &sliced),
            [
                r#"SELECT COUNT(*) FROM (SELECT 1 AS one FROM "tags" WHERE "uses" = ? ORDER BY "id" DESC LIMIT -1 OFFSET 1) sliced"#,
                r#"SELECT COUNT(*) FROM (SELECT 1 AS one FROM "tags" WHERE "uses" = $1 ORDER BY "id" DESC OFFSET 1) sliced"#,
                "SELECT COUNT(*) FROM (SELECT 1 AS one FROM `tags` WHERE `uses` = ? ORDER BY `id` DESC LIMIT 18446744073709551615 OFFSET 1) sliced",
            ],
            &[Value::I64(0)],
        );
    }

    #[test]
    fn exists_asks_for_one_row_in_any_order() {
        let filter = compare(2, CompareOp::Gt, Value::I64(5));
        let query = Select {
            filter: Some(&filter),
            order: &[(1, false)],
            limit: Some(10),
            offset: Some(1),
            ..Select::all(&TAGS)
        };
        assert_renders(
            |backend| exists(backend, &query),
            [
                r#"SELECT 1 FROM "tags" WHERE "uses" > ? LIMIT 1 OFFSET 1"#,
                r#"SELECT 1 FROM "tags" WHERE "uses" > $1 LIMIT 1 OFFSET 1"#,
                "SELECT 1 FROM `tags` WHERE `uses` > ? LIMIT 1 OFFSET 1",
            ],
            &[Value::I64(5)],
        );
    }

    #[test]
    fn explain_prefixes_the_select() {
        assert_renders(
            |backend| explain(backend, &Select::all(&TAGS)),
            [
                r#"EXPLAIN QUERY PLAN SELECT "id", "name", "uses" FROM "tags""#,
                r#"EXPLAIN SELECT "id", "name", "uses" FROM "tags""#,
                "EXPLAIN FORMAT=JSON SELECT `id`, `name`, `uses` FROM `tags`",
            ],
            &[],
        );
    }
}
