//! The statements of to-many relations: linking rows through a join table
//! (`INSERT … ON CONFLICT DO NOTHING`, MySQL `ON DUPLICATE KEY UPDATE`) and the
//! one `SELECT … WHERE … IN (…)` of a prefetch.

use super::SqlWriter;
use crate::db::{Statement, Upsert};
use crate::model::ModelMeta;
use crate::{Backend, Value};

/// The join table's field indexes: `0` is its own key, then the two sides.
pub(crate) const SOURCE: usize = 1;
/// See [`SOURCE`].
pub(crate) const TARGET: usize = 2;

/// `INSERT INTO join (source, target) VALUES (?, ?), …` that leaves the pairs
/// already linked alone (Django's `add` is idempotent). A foreign-key violation
/// still fails: the MySQL form is `ON DUPLICATE KEY UPDATE`, not `INSERT IGNORE`.
pub(crate) fn link(backend: Backend, join: &'static ModelMeta, pairs: &[[Value; 2]]) -> Statement {
    let mut sql = SqlWriter::new(backend);
    let source = join.fields[SOURCE].column;
    let target = join.fields[TARGET].column;
    sql.push("INSERT INTO ").ident(join.table).push(" (");
    sql.ident(source).push(", ").ident(target).push(") VALUES ");
    for (i, [left, right]) in pairs.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.param(left.clone())
            .push(", ")
            .param(right.clone())
            .push(")");
    }
    match sql.dialect().upsert() {
        Upsert::OnConflict => {
            sql.push(" ON CONFLICT (")
                .ident(source)
                .push(", ")
                .ident(target)
                .push(") DO NOTHING");
        }
        Upsert::OnDuplicateKey => {
            sql.push(" ON DUPLICATE KEY UPDATE ")
                .ident(target)
                .push(" = ")
                .ident(target);
        }
    }
    sql.finish(join)
}

/// Every target row linked to one of `keys`, followed by the source key it is
/// linked to: `SELECT t0.…, j.source FROM target t0 INNER JOIN join j ON
/// j.target = t0.pk WHERE j.source IN (…)`.
pub(crate) fn linked(
    backend: Backend,
    target: &'static ModelMeta,
    join: &'static ModelMeta,
    keys: &[Value],
) -> Statement {
    let mut sql = SqlWriter::new(backend);
    sql.push("SELECT ").column_list(target, Some("t0"));
    sql.push(", j.").ident(join.fields[SOURCE].column);
    sql.push(" FROM ")
        .ident(target.table)
        .push(" t0 INNER JOIN ");
    sql.ident(join.table).push(" j ON j.");
    sql.ident(join.fields[TARGET].column)
        .push(" = t0.")
        .ident(target.primary_key().column);
    sql.push(" WHERE j.").ident(join.fields[SOURCE].column);
    in_list(&mut sql, keys);
    sql.push(" ORDER BY j.").ident(join.primary_key().column);
    sql.finish(target)
}

/// ` IN (?, …)`, or ` IN (NULL)` (matches nothing) for no values.
pub(crate) fn in_list(sql: &mut SqlWriter, values: &[Value]) {
    sql.push(" IN (");
    if values.is_empty() {
        sql.push("NULL");
    }
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.param(value.clone());
    }
    sql.push(")");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FieldMeta;
    use crate::sql::fixtures::{POSTS, TAGS, assert_renders};
    use crate::{SqlType, Value};

    fn posts() -> &'static ModelMeta {
        &POSTS
    }
    fn tags() -> &'static ModelMeta {
        &TAGS
    }

    static POST_TAGS: ModelMeta = ModelMeta {
        name: "Post.tags",
        table: "posts_tags",
        fields: &[
            FieldMeta {
                primary_key: true,
                auto_increment: true,
                ..FieldMeta::new("id", "id", SqlType::I64)
            },
            FieldMeta {
                references: Some(posts),
                index: true,
                ..FieldMeta::new("post", "post_id", SqlType::Uuid)
            },
            FieldMeta {
                references: Some(tags),
                index: true,
                ..FieldMeta::new("tag", "tag_id", SqlType::I64)
            },
        ],
        primary_key: 0,
        unique_together: &[&["post", "tag"]],
        indexes: &[],
    };

    #[test]
    fn link_leaves_existing_pairs_alone() {
        let pairs = [
            [Value::I64(1), Value::I64(2)],
            [Value::I64(1), Value::I64(3)],
        ];
        assert_renders(
            |backend| link(backend, &POST_TAGS, &pairs),
            [
                r#"INSERT INTO "posts_tags" ("post_id", "tag_id") VALUES (?, ?), (?, ?) ON CONFLICT ("post_id", "tag_id") DO NOTHING"#,
                r#"INSERT INTO "posts_tags" ("post_id", "tag_id") VALUES ($1, $2), ($3, $4) ON CONFLICT ("post_id", "tag_id") DO NOTHING"#,
                "INSERT INTO `posts_tags` (`post_id`, `tag_id`) VALUES (?, ?), (?, ?) ON DUPLICATE KEY UPDATE `tag_id` = `tag_id`",
            ],
            &[Value::I64(1), Value::I64(2), Value::I64(1), Value::I64(3)],
        );
    }

    #[test]
    fn linked_rows_come_with_their_source_key_in_one_query() {
        let keys = [Value::I64(1), Value::I64(2)];
        assert_renders(
            |backend| linked(backend, &TAGS, &POST_TAGS, &keys),
            [
                r#"SELECT t0."id", t0."name", t0."uses", j."post_id" FROM "tags" t0 INNER JOIN "posts_tags" j ON j."tag_id" = t0."id" WHERE j."post_id" IN (?, ?) ORDER BY j."id""#,
                r#"SELECT t0."id", t0."name", t0."uses", j."post_id" FROM "tags" t0 INNER JOIN "posts_tags" j ON j."tag_id" = t0."id" WHERE j."post_id" IN ($1, $2) ORDER BY j."id""#,
                "SELECT t0.`id`, t0.`name`, t0.`uses`, j.`post_id` FROM `tags` t0 INNER JOIN `posts_tags` j ON j.`tag_id` = t0.`id` WHERE j.`post_id` IN (?, ?) ORDER BY j.`id`",
            ],
            &keys,
        );
    }
}
