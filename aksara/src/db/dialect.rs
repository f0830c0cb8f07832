//! [`Dialect`]: every way the SQL of one backend differs from the others, asked by
//! the renderers of [`crate::sql`] and by error mapping. Each backend implements it
//! in its own file (`sqlite.rs`, `postgres.rs`, `mysql.rs`), so "how does MySQL
//! differ?" is answered by reading `mysql.rs`. Default methods are the plain SQL
//! that a backend keeps unless its file says otherwise.

use sqlx::error::{DatabaseError, ErrorKind};

use crate::model::{FieldMeta, ModelMeta};

/// How one backend spells SQL. Implemented by `sqlite::Sqlite`,
/// `postgres::Postgres` and `mysql::MySql`; reached through
/// [`Backend::dialect`](super::Backend::dialect).
pub(crate) trait Dialect: Sync {
    /// Appends `ident` quoted (standard SQL: `"name"`, doubling inner quotes).
    fn quote_identifier(&self, ident: &str, out: &mut String) {
        quote_with('"', ident, out);
    }

    /// Appends the placeholder of the `n`-th (1-based) parameter (`?` by default).
    fn placeholder(&self, _n: usize, out: &mut String) {
        out.push('?');
    }

    /// How `contains`, `startswith` and `endswith` (case-sensitive) or `icontains`
    /// (case-insensitive) compare a column with a pattern.
    fn pattern_match(&self, case_insensitive: bool) -> PatternMatch;

    /// What stands for "every row" before an `OFFSET` given without a limit, for
    /// dialects whose `OFFSET` needs a `LIMIT` in front (standard SQL: nothing).
    fn limit_for_offset_only(&self) -> Option<&'static str> {
        None
    }

    /// What `QuerySet::explain` puts before a `SELECT`, and the column of the
    /// answer that describes each step.
    fn explain(&self) -> (&'static str, usize);

    /// Whether the driver reports the key a single-row insert generated
    /// (`last_insert_id`), so that insert needs no `RETURNING`.
    fn reports_last_insert_id(&self) -> bool;

    /// Whether `INSERT … RETURNING` exists (standard since SQLite 3.35).
    fn has_returning(&self) -> bool {
        true
    }

    /// How an insert that meets the row holding its key updates that row instead.
    fn upsert(&self) -> Upsert {
        Upsert::OnConflict
    }

    /// The generated column that holds `column` lower-cased for a case-insensitive
    /// unique field, for dialects that cannot index `LOWER(column)` itself; `None`
    /// (the default) indexes the expression.
    fn lowered_column(&self, _column: &str) -> Option<String> {
        None
    }

    /// What surrounds the expression of a generated column after its type.
    fn generated_column(&self) -> (&'static str, &'static str) {
        (" GENERATED ALWAYS AS (", ") VIRTUAL")
    }

    /// The type and constraints of an auto-increment integer primary key.
    fn auto_increment_primary_key(&self) -> &'static str;

    /// Appends the column type of `field`; `keyed` when the column takes part in a
    /// key or an index.
    fn column_type(&self, field: &FieldMeta, keyed: bool, out: &mut String);

    /// Whether `CREATE INDEX IF NOT EXISTS` exists; without it indexes are declared
    /// inside `CREATE TABLE`.
    fn has_create_index_if_not_exists(&self) -> bool {
        true
    }

    /// What follows the column list of `CREATE TABLE` (nothing by default).
    fn table_options(&self) -> &'static str {
        ""
    }

    /// A query whose rows name every table that exists.
    fn existing_tables(&self) -> &'static str;

    /// A query counting the columns named by its second parameter in the table
    /// named by its first (0 or 1).
    fn column_exists(&self) -> &'static str;

    /// The columns of `model` behind the constraint a driver error names.
    fn constraint_columns(
        &self,
        error: &dyn DatabaseError,
        model: &'static ModelMeta,
    ) -> Vec<String>;

    /// What kind of constraint refused a write (as the driver says by default).
    fn error_kind(&self, error: &dyn DatabaseError) -> ErrorKind {
        error.kind()
    }
}

/// How a dialect writes `column <operator> pattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PatternMatch {
    /// The pattern uses `GLOB` wildcards (`*`, character classes) rather than
    /// `LIKE`'s (`%`, `_`, backslash escapes).
    pub(crate) glob: bool,
    /// Both sides are wrapped in `LOWER(…)`.
    pub(crate) lower: bool,
    /// Between the column and the pattern, with its spaces (` LIKE `).
    pub(crate) operator: &'static str,
    /// After the pattern: the `ESCAPE` clause where backslash is not the default.
    pub(crate) escape: &'static str,
}

/// How a dialect writes "insert this row, or update the one that has its key".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upsert {
    /// `INSERT INTO t AS t0 … ON CONFLICT (key) DO UPDATE SET c = …`: the stored
    /// row is `t0.c`, the proposed one `excluded.c`, and every assignment sees the
    /// stored row as it was (PostgreSQL; SQLite since 3.24).
    OnConflict,
    /// `INSERT INTO t … ON DUPLICATE KEY UPDATE c = …`: the stored row is `c`, the
    /// proposed one `VALUES(c)`, and assignments run left to right, each seeing
    /// the ones before it (MySQL, MariaDB). A conflict on any unique key of the
    /// table triggers it.
    OnDuplicateKey,
}

/// Appends `ident` between `quote`s, doubling any `quote` inside it.
pub(crate) fn quote_with(quote: char, ident: &str, out: &mut String) {
    out.push(quote);
    for ch in ident.chars() {
        if ch == quote {
            out.push(quote);
        }
        out.push(ch);
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use crate::db::{Executor as _, Statement};
    use crate::model::ModelMeta;
    use crate::{Db, FieldType as _, Value};

    static PROBE: ModelMeta = ModelMeta {
        name: "Probe",
        table: "probe",
        fields: &[],
        primary_key: 0,
        unique_together: &[],
        indexes: &[],
    };

    /// The catalog queries each dialect spells itself run on SQLite, and on
    /// PostgreSQL and MySQL when their test URLs are set (only MySQL asks
    /// `column_exists` today; the others must not be wrong the day they do).
    #[tokio::test]
    async fn catalog_queries_run_on_every_configured_backend() {
        let mut urls = vec!["sqlite::memory:".to_owned()];
        urls.extend(
            ["AKSARA_TEST_POSTGRES_URL", "AKSARA_TEST_MYSQL_URL"]
                .into_iter()
                .filter_map(|name| std::env::var(name).ok()),
        );
        let table = format!("aksara_catalog_probe_{}", std::process::id());
        for url in urls {
            let db = Db::connect(&url).await.expect("connect");
            let dialect = db.backend().dialect();
            db.execute_raw(&format!("CREATE TABLE {table} (probe INTEGER)"))
                .await
                .expect("create the probe table");
            let column_count = async |column: &str| {
                let args = vec![Value::Text(table.clone()), Value::Text(column.into())];
                db.fetch_optional(Statement::new(dialect.column_exists().into(), args, &PROBE))
                    .await
                    .expect("column_exists")
                    .map_or(Ok(0), |row| row.count())
                    .expect("a count")
            };
            let present = column_count("probe").await;
            let absent = column_count("absent").await;
            let tables = db
                .fetch_all(Statement::new(
                    dialect.existing_tables().into(),
                    Vec::new(),
                    &PROBE,
                ))
                .await
                .expect("existing_tables");
            let names: Vec<String> = tables
                .iter()
                .map(|row| String::decode(row, 0).expect("a table name"))
                .collect();
            db.execute_raw(&format!("DROP TABLE {table}"))
                .await
                .expect("drop the probe table");
            let backend = db.backend();
            assert_eq!((present, absent), (1, 0), "{backend:?}: column_exists");
            assert!(
                names.contains(&table),
                "{backend:?}: existing_tables {names:?}"
            );
        }
    }
}
