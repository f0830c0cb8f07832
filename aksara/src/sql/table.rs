//! `CREATE TABLE` with its constraints, `CREATE INDEX`, and the `ALTER TABLE` that
//! adds a lowered column to a table made before its field was case-insensitive.
//! Which constraints and indexes a model has, and their names, is `migrate`'s.

use super::SqlWriter;
use crate::db::Statement;
use crate::migrate::{ConstraintKind, constraints, indexes, is_keyed};
use crate::model::{FieldMeta, ModelMeta, OnDelete};
use crate::{Backend, Result};

/// `CREATE TABLE IF NOT EXISTS`: columns, unique and foreign-key constraints, and
/// the indexes too where the dialect cannot create them apart.
///
/// # Errors
/// [`Error::Schema`](crate::Error::Schema) when `indexes` names an unknown field.
pub(crate) fn create_table(backend: Backend, meta: &'static ModelMeta) -> Result<Statement> {
    let mut sql = SqlWriter::new(backend);
    let dialect = sql.dialect();
    sql.push("CREATE TABLE IF NOT EXISTS ")
        .ident(meta.table)
        .push(" (");
    for (i, field) in meta.fields.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        column_definition(&mut sql, meta, field);
    }
    for constraint in constraints(meta) {
        match constraint.kind {
            ConstraintKind::PrimaryKey => {}
            ConstraintKind::Unique => {
                sql.push(", CONSTRAINT ")
                    .ident(&constraint.name)
                    .push(" UNIQUE (")
                    .ident_list(&constraint.columns)
                    .push(")");
            }
            ConstraintKind::UniqueCaseInsensitive => {
                let field = field_of(meta, &constraint.columns[0]);
                // Without a lowered column, an index on `LOWER(column)` follows
                // the table (`create_indexes`).
                if let Some(lowered) = dialect.lowered_column(field.column) {
                    sql.push(", ");
                    lowered_column_definition(&mut sql, meta, field, &lowered);
                    sql.push(", CONSTRAINT ")
                        .ident(&constraint.name)
                        .push(" UNIQUE (")
                        .ident(&lowered)
                        .push(")");
                }
            }
            ConstraintKind::ForeignKey => {
                let field = field_of(meta, &constraint.columns[0]);
                let target = (field.references.expect("foreign keys reference a model"))();
                sql.push(", CONSTRAINT ")
                    .ident(&constraint.name)
                    .push(" FOREIGN KEY (")
                    .ident(field.column)
                    .push(") REFERENCES ")
                    .ident(target.table)
                    .push(" (")
                    .ident(target.primary_key().column)
                    .push(") ON DELETE ")
                    .push(match field.on_delete {
                        OnDelete::Cascade => "CASCADE",
                        OnDelete::SetNull => "SET NULL",
                        OnDelete::Restrict => "RESTRICT",
                    });
            }
        }
    }
    if !dialect.has_create_index_if_not_exists() {
        for (name, columns) in indexes(meta)? {
            sql.push(", INDEX ")
                .ident(&name)
                .push(" (")
                .ident_list(&columns)
                .push(")");
        }
    }
    sql.push(")").push(dialect.table_options());
    Ok(sql.finish(meta))
}

/// The `CREATE INDEX IF NOT EXISTS` statements that follow the table: its
/// indexes (unless declared in the table) and the `LOWER(column)` unique indexes
/// of case-insensitive fields (unless the dialect keeps a lowered column).
///
/// # Errors
/// [`Error::Schema`](crate::Error::Schema) when `indexes` names an unknown field.
pub(crate) fn create_indexes(backend: Backend, meta: &'static ModelMeta) -> Result<Vec<Statement>> {
    let dialect = backend.dialect();
    let mut statements = Vec::new();
    if dialect.has_create_index_if_not_exists() {
        for (name, columns) in indexes(meta)? {
            let mut sql = SqlWriter::new(backend);
            sql.push("CREATE INDEX IF NOT EXISTS ")
                .ident(&name)
                .push(" ON ")
                .ident(meta.table)
                .push(" (")
                .ident_list(&columns)
                .push(")");
            statements.push(sql.finish(meta));
        }
    }
    for constraint in constraints(meta) {
        if constraint.kind == ConstraintKind::UniqueCaseInsensitive
            && dialect.lowered_column(&constraint.columns[0]).is_none()
        {
            let mut sql = SqlWriter::new(backend);
            sql.push("CREATE UNIQUE INDEX IF NOT EXISTS ")
                .ident(&constraint.name)
                .push(" ON ")
                .ident(meta.table)
                .push(" (LOWER(")
                .ident(&constraint.columns[0])
                .push("))");
            statements.push(sql.finish(meta));
        }
    }
    Ok(statements)
}

/// `ALTER TABLE t ADD COLUMN <lowered column>, ADD CONSTRAINT <name> UNIQUE (…)`
/// for the case-insensitive unique `field`, on dialects that keep a lowered column.
pub(crate) fn add_lowered_column(
    backend: Backend,
    meta: &'static ModelMeta,
    field: &FieldMeta,
    constraint: &str,
) -> Option<Statement> {
    let mut sql = SqlWriter::new(backend);
    let lowered = sql.dialect().lowered_column(field.column)?;
    sql.push("ALTER TABLE ")
        .ident(meta.table)
        .push(" ADD COLUMN ");
    lowered_column_definition(&mut sql, meta, field, &lowered);
    sql.push(", ADD CONSTRAINT ")
        .ident(constraint)
        .push(" UNIQUE (")
        .ident(&lowered)
        .push(")");
    Some(sql.finish(meta))
}

fn field_of<'a>(meta: &'a ModelMeta, column: &str) -> &'a FieldMeta {
    meta.field_by_column(column)
        .expect("constraint built from this field")
}

/// `"name" TYPE NOT NULL PRIMARY KEY`, as far as each applies.
fn column_definition(sql: &mut SqlWriter, meta: &ModelMeta, field: &FieldMeta) {
    sql.ident(field.column).push(" ");
    if field.primary_key && field.auto_increment {
        let key = sql.dialect().auto_increment_primary_key();
        sql.push(key);
        return;
    }
    sql.column_type(field, is_keyed(meta, field));
    if !field.nullable {
        sql.push(" NOT NULL");
    }
    if field.primary_key {
        sql.push(" PRIMARY KEY");
    }
}

/// The generated column `lowered` holding `field` lower-cased.
fn lowered_column_definition(
    sql: &mut SqlWriter,
    meta: &ModelMeta,
    field: &FieldMeta,
    lowered: &str,
) {
    let (open, close) = sql.dialect().generated_column();
    sql.ident(lowered)
        .push(" ")
        .column_type(field, is_keyed(meta, field))
        .push(open)
        .push("LOWER(")
        .ident(field.column)
        .push(")")
        .push(close);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::fixtures::{AUTHORS, BACKENDS, POSTS, assert_renders};

    const MYSQL_OPTIONS: &str = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

    fn texts(statements: &[Statement]) -> Vec<&str> {
        statements
            .iter()
            .map(|statement| statement.sql.as_str())
            .collect()
    }

    #[test]
    fn create_table_with_native_types_foreign_keys_and_composite_unique() {
        let sqlite = r#"CREATE TABLE IF NOT EXISTS "posts" ("id" BLOB NOT NULL PRIMARY KEY, "slug" TEXT NOT NULL, "author_id" INTEGER NOT NULL, "editor_id" INTEGER, "published" INTEGER NOT NULL, "created_at" TEXT, CONSTRAINT "posts_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "authors" ("id") ON DELETE CASCADE, CONSTRAINT "posts_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "authors" ("id") ON DELETE SET NULL, CONSTRAINT "posts_author_id_slug_key" UNIQUE ("author_id", "slug"))"#;
        let postgres = r#"CREATE TABLE IF NOT EXISTS "posts" ("id" UUID NOT NULL PRIMARY KEY, "slug" TEXT NOT NULL, "author_id" BIGINT NOT NULL, "editor_id" BIGINT, "published" BOOLEAN NOT NULL, "created_at" TIMESTAMPTZ, CONSTRAINT "posts_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "authors" ("id") ON DELETE CASCADE, CONSTRAINT "posts_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "authors" ("id") ON DELETE SET NULL, CONSTRAINT "posts_author_id_slug_key" UNIQUE ("author_id", "slug"))"#;
        // Keyed text is bounded, and the indexes are declared in the table.
        let mysql = format!(
            "CREATE TABLE IF NOT EXISTS `posts` (`id` BINARY(16) NOT NULL PRIMARY KEY, `slug` VARCHAR(255) NOT NULL, `author_id` BIGINT NOT NULL, `editor_id` BIGINT, `published` BOOLEAN NOT NULL, `created_at` DATETIME(6), CONSTRAINT `posts_author_id_fkey` FOREIGN KEY (`author_id`) REFERENCES `authors` (`id`) ON DELETE CASCADE, CONSTRAINT `posts_editor_id_fkey` FOREIGN KEY (`editor_id`) REFERENCES `authors` (`id`) ON DELETE SET NULL, CONSTRAINT `posts_author_id_slug_key` UNIQUE (`author_id`, `slug`), INDEX `posts_author_id_idx` (`author_id`), INDEX `posts_editor_id_idx` (`editor_id`), INDEX `posts_published_created_at_idx` (`published`, `created_at`)){MYSQL_OPTIONS}"
        );
        assert_renders(
            |backend| create_table(backend, &POSTS).expect("valid model"),
            [sqlite, postgres, &mysql],
            &[],
        );
    }

    #[test]
    fn indexes_follow_the_table_where_create_index_if_not_exists_exists() {
        let expected = [
            r#"CREATE INDEX IF NOT EXISTS "posts_author_id_idx" ON "posts" ("author_id")"#,
            r#"CREATE INDEX IF NOT EXISTS "posts_editor_id_idx" ON "posts" ("editor_id")"#,
            r#"CREATE INDEX IF NOT EXISTS "posts_published_created_at_idx" ON "posts" ("published", "created_at")"#,
        ];
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let statements = create_indexes(backend, &POSTS).expect("valid model");
            assert_eq!(texts(&statements), expected, "{backend:?}");
        }
        let statements = create_indexes(Backend::MySql, &POSTS).expect("valid model");
        assert!(statements.is_empty(), "declared in CREATE TABLE");
    }

    #[test]
    fn case_insensitive_unique_is_an_expression_index_or_a_lowered_column() {
        let mysql = format!(
            "CREATE TABLE IF NOT EXISTS `authors` (`id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `name` LONGTEXT NOT NULL, `email` VARCHAR(120) NOT NULL, `email__lower` VARCHAR(120) AS (LOWER(`email`)) VIRTUAL, CONSTRAINT `authors_email_ci_key` UNIQUE (`email__lower`)){MYSQL_OPTIONS}"
        );
        assert_renders(
            |backend| create_table(backend, &AUTHORS).expect("valid model"),
            [
                r#"CREATE TABLE IF NOT EXISTS "authors" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "email" TEXT NOT NULL)"#,
                r#"CREATE TABLE IF NOT EXISTS "authors" ("id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "name" TEXT NOT NULL, "email" VARCHAR(120) NOT NULL)"#,
                &mysql,
            ],
            &[],
        );
        let index = r#"CREATE UNIQUE INDEX IF NOT EXISTS "authors_email_ci_key" ON "authors" (LOWER("email"))"#;
        for (backend, expected) in BACKENDS.into_iter().zip([vec![index], vec![index], vec![]]) {
            let statements = create_indexes(backend, &AUTHORS).expect("valid model");
            assert_eq!(texts(&statements), expected, "{backend:?}");
        }
    }

    #[test]
    fn a_lowered_column_is_added_to_an_older_table_only_where_the_dialect_keeps_one() {
        let email = &AUTHORS.fields[2];
        let alter = add_lowered_column(Backend::MySql, &AUTHORS, email, "authors_email_ci_key")
            .expect("MySQL keeps lowered columns");
        assert_eq!(
            alter.sql,
            "ALTER TABLE `authors` ADD COLUMN `email__lower` VARCHAR(120) AS (LOWER(`email`)) VIRTUAL, ADD CONSTRAINT `authors_email_ci_key` UNIQUE (`email__lower`)"
        );
        for backend in [Backend::Sqlite, Backend::Postgres] {
            assert!(add_lowered_column(backend, &AUTHORS, email, "authors_email_ci_key").is_none());
        }
    }
}
