//! Schema creation: `db.migrate()` creates the tables, unique constraints, indexes
//! and foreign keys of every registered model, in dependency order, idempotently.
//!
//! Constraint names are deterministic (`<table>_<columns>_key`, `_fkey`, `_idx`,
//! `<table>_pkey`, as PostgreSQL names them by default), which is how constraint
//! violations are mapped back to model fields on every backend.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::{Db, Executor as _, Statement, mysql, postgres, sqlite};
use crate::model::{FieldMeta, ModelMeta, OnDelete, registered_models};
use crate::{Backend, Error, FieldType as _, Result, Value};

/// What a named constraint enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConstraintKind {
    PrimaryKey,
    Unique,
    /// Unique regardless of case: an index on the lower-cased text.
    UniqueCaseInsensitive,
    ForeignKey,
}

/// A named constraint over some columns of a table.
#[derive(Debug, Clone)]
pub(crate) struct Constraint {
    pub(crate) name: String,
    pub(crate) columns: Vec<String>,
    pub(crate) kind: ConstraintKind,
}

/// Identifier length limits: 63 bytes on PostgreSQL, 64 on MySQL.
const MAX_IDENTIFIER: usize = 63;

fn constraint_name(table: &str, columns: &[&str], suffix: &str) -> String {
    let name = format!("{table}_{}_{suffix}", columns.join("_"));
    if name.len() <= MAX_IDENTIFIER {
        return name;
    }
    // Too long: keep a readable prefix and a stable hash of the whole name (FNV-1a).
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut prefix: String = name.chars().take(MAX_IDENTIFIER - 17).collect();
    while prefix.len() > MAX_IDENTIFIER - 17 {
        prefix.pop();
    }
    format!("{prefix}_{hash:016x}")
}

fn columns_of<'a>(meta: &'a ModelMeta, field_names: &[&str]) -> Result<Vec<&'a str>> {
    field_names
        .iter()
        .map(|name| {
            meta.field_by_name(name)
                .map(|field| field.column)
                .ok_or_else(|| {
                    Error::Schema(format!(
                        "{} lists unknown field `{name}` in unique_together or indexes",
                        meta.name
                    ))
                })
        })
        .collect()
}

/// The primary-key, unique and foreign-key constraints of `meta`.
pub(crate) fn constraints(meta: &ModelMeta) -> Vec<Constraint> {
    let mut all = vec![Constraint {
        name: format!("{}_pkey", meta.table),
        columns: vec![meta.primary_key().column.to_owned()],
        kind: ConstraintKind::PrimaryKey,
    }];
    for field in meta.fields {
        if field.unique && !field.primary_key {
            // A distinct name for the case-insensitive index: a table made before
            // fields could be case-insensitive already has `<table>_<column>_key`,
            // and `CREATE INDEX IF NOT EXISTS` would then silently do nothing.
            let (suffix, kind) = if field.case_insensitive {
                ("ci_key", ConstraintKind::UniqueCaseInsensitive)
            } else {
                ("key", ConstraintKind::Unique)
            };
            all.push(Constraint {
                name: constraint_name(meta.table, &[field.column], suffix),
                columns: vec![field.column.to_owned()],
                kind,
            });
        }
        if field.references.is_some() {
            all.push(Constraint {
                name: constraint_name(meta.table, &[field.column], "fkey"),
                columns: vec![field.column.to_owned()],
                kind: ConstraintKind::ForeignKey,
            });
        }
    }
    for set in meta.unique_together {
        if let Ok(columns) = columns_of(meta, set) {
            all.push(Constraint {
                name: constraint_name(meta.table, &columns, "key"),
                columns: columns.iter().map(|c| (*c).to_owned()).collect(),
                kind: ConstraintKind::Unique,
            });
        }
    }
    all
}

/// The non-unique indexes of `meta`: `index` fields, foreign keys, `indexes = [...]`.
fn indexes(meta: &'static ModelMeta) -> Result<Vec<(String, Vec<&'static str>)>> {
    let mut all = Vec::new();
    for field in meta.fields {
        if (field.index || field.references.is_some()) && !field.unique && !field.primary_key {
            all.push((
                constraint_name(meta.table, &[field.column], "idx"),
                vec![field.column],
            ));
        }
    }
    for set in meta.indexes {
        let columns = columns_of(meta, set)?;
        all.push((constraint_name(meta.table, &columns, "idx"), columns));
    }
    Ok(all)
}

fn quoted(backend: Backend, ident: &str) -> String {
    let mut out = String::new();
    backend.quote(ident, &mut out);
    out
}

fn quoted_list(backend: Backend, idents: &[impl AsRef<str>]) -> String {
    idents
        .iter()
        .map(|ident| quoted(backend, ident.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a text column takes part in a key (MySQL cannot index unbounded text).
pub(crate) fn is_keyed(meta: &ModelMeta, field: &FieldMeta) -> bool {
    field.primary_key
        || field.unique
        || field.index
        || field.references.is_some()
        || meta
            .unique_together
            .iter()
            .chain(meta.indexes)
            .any(|set| set.contains(&field.name))
}

fn column_definition(backend: Backend, meta: &ModelMeta, field: &FieldMeta) -> String {
    let name = quoted(backend, field.column);
    if field.primary_key && field.auto_increment {
        return match backend {
            Backend::Sqlite => format!("{name} INTEGER PRIMARY KEY AUTOINCREMENT"),
            Backend::Postgres => {
                format!("{name} BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
            }
            Backend::MySql => format!("{name} BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"),
        };
    }
    let keyed = is_keyed(meta, field);
    let column_type = match backend {
        Backend::Sqlite => sqlite::column_type(field).to_owned(),
        Backend::Postgres => postgres::column_type(field),
        Backend::MySql => mysql::column_type(field, keyed),
    };
    let mut definition = format!("{name} {column_type}");
    if !field.nullable {
        definition.push_str(" NOT NULL");
    }
    if field.primary_key {
        definition.push_str(" PRIMARY KEY");
    }
    definition
}

/// MySQL's definition of the generated column that holds `field` lower-cased,
/// which the case-insensitive unique constraint covers (MariaDB has no indexes
/// on expressions).
pub(crate) fn mysql_lowered_column(meta: &ModelMeta, field: &FieldMeta) -> String {
    let column_type = mysql::column_type(field, is_keyed(meta, field));
    format!(
        "{} {column_type} AS (LOWER({})) VIRTUAL",
        quoted(Backend::MySql, &mysql::lowered_column(field.column)),
        quoted(Backend::MySql, field.column),
    )
}

/// The statements that create `meta`'s table and indexes on `backend`.
fn table_statements(backend: Backend, meta: &'static ModelMeta) -> Result<Vec<String>> {
    let mut parts: Vec<String> = meta
        .fields
        .iter()
        .map(|field| column_definition(backend, meta, field))
        .collect();
    for constraint in constraints(meta) {
        match constraint.kind {
            ConstraintKind::PrimaryKey => {}
            ConstraintKind::Unique => parts.push(format!(
                "CONSTRAINT {} UNIQUE ({})",
                quoted(backend, &constraint.name),
                quoted_list(backend, &constraint.columns)
            )),
            ConstraintKind::UniqueCaseInsensitive if backend == Backend::MySql => {
                let field = meta
                    .field_by_column(&constraint.columns[0])
                    .expect("constraint built from this field");
                parts.push(mysql_lowered_column(meta, field));
                parts.push(format!(
                    "CONSTRAINT {} UNIQUE ({})",
                    quoted(backend, &constraint.name),
                    quoted(backend, &mysql::lowered_column(field.column))
                ));
            }
            // An index on an expression, created after the table.
            ConstraintKind::UniqueCaseInsensitive => {}
            ConstraintKind::ForeignKey => {
                let field = meta
                    .field_by_column(&constraint.columns[0])
                    .expect("constraint built from this field");
                let target = (field.references.expect("foreign keys reference a model"))();
                let on_delete = match field.on_delete {
                    OnDelete::Cascade => "CASCADE",
                    OnDelete::SetNull => "SET NULL",
                    OnDelete::Restrict => "RESTRICT",
                };
                parts.push(format!(
                    "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {on_delete}",
                    quoted(backend, &constraint.name),
                    quoted(backend, field.column),
                    quoted(backend, target.table),
                    quoted(backend, target.primary_key().column),
                ));
            }
        }
    }
    let index_list = indexes(meta)?;
    if backend == Backend::MySql {
        // MySQL has no CREATE INDEX IF NOT EXISTS: declare indexes with the table.
        for (name, columns) in &index_list {
            parts.push(format!(
                "INDEX {} ({})",
                quoted(backend, name),
                quoted_list(backend, columns)
            ));
        }
    }
    let table_options = if backend == Backend::MySql {
        // Binary collation: `=` and UNIQUE compare exactly, as on PostgreSQL and SQLite.
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    } else {
        ""
    };
    let mut statements = vec![format!(
        "CREATE TABLE IF NOT EXISTS {} ({}){table_options}",
        quoted(backend, meta.table),
        parts.join(", ")
    )];
    if backend != Backend::MySql {
        for (name, columns) in &index_list {
            statements.push(format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
                quoted(backend, name),
                quoted(backend, meta.table),
                quoted_list(backend, columns)
            ));
        }
        for constraint in constraints(meta) {
            if constraint.kind == ConstraintKind::UniqueCaseInsensitive {
                statements.push(format!(
                    "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} (LOWER({}))",
                    quoted(backend, &constraint.name),
                    quoted(backend, meta.table),
                    quoted(backend, &constraint.columns[0])
                ));
            }
        }
    }
    Ok(statements)
}

/// Orders models so that every referenced table comes before the tables that
/// reference it.
fn dependency_order(models: &[&'static ModelMeta]) -> Result<Vec<&'static ModelMeta>> {
    let mut by_table: BTreeMap<&str, &'static ModelMeta> = BTreeMap::new();
    for meta in models {
        if let Some(other) = by_table.insert(meta.table, meta) {
            return Err(Error::Schema(format!(
                "models `{}` and `{}` both use table `{}`: give one of them #[model(table = \"…\")]",
                other.name, meta.name, meta.table
            )));
        }
    }
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(models.len());
    while ordered.len() < models.len() {
        let ready: Vec<&'static ModelMeta> = models
            .iter()
            .filter(|meta| !done.contains(meta.table))
            .filter(|meta| {
                meta.fields
                    .iter()
                    .filter_map(|field| field.references)
                    .all(|target| {
                        let target = target();
                        target.table == meta.table
                            || done.contains(target.table)
                            || !by_table.contains_key(target.table)
                    })
            })
            .copied()
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = models
                .iter()
                .filter(|m| !done.contains(m.table))
                .map(|m| m.name)
                .collect();
            return Err(Error::Schema(format!(
                "foreign keys form a cycle between {}: make one of them Option<ForeignKey<…>> and create it in a later migration",
                stuck.join(", ")
            )));
        }
        for meta in ready {
            done.insert(meta.table);
            ordered.push(meta);
        }
    }
    Ok(ordered)
}

/// Every statement `migrate` runs for `models` on `backend`, in order.
pub(crate) fn schema_statements(
    backend: Backend,
    models: &[&'static ModelMeta],
) -> Result<Vec<String>> {
    let mut statements = Vec::new();
    for meta in dependency_order(models)? {
        statements.extend(table_statements(backend, meta)?);
    }
    Ok(statements)
}

impl Db {
    /// Creates the tables, constraints and indexes of every model in the program
    /// (each `#[derive(Model)]` registers itself), referenced tables first. Running
    /// it again changes nothing; it does not alter tables that already exist.
    ///
    /// # Errors
    /// [`Error::Schema`] when two models claim one table or foreign keys form a
    /// cycle, or a database error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] #[model(table = "tags")] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// let db = Db::connect("sqlite::memory:").await?;
    /// db.migrate().await?;
    /// db.migrate().await?; // idempotent
    /// assert_eq!(Tag::objects().count(&db).await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn migrate(&self) -> Result<()> {
        crate::model::check_slots()?;
        let models: Vec<_> = registered_models().collect();
        let statements = self.schema_sql_for(&models)?;
        let existing = self.existing_tables(&models).await?;
        for statement in statements {
            self.execute_raw(&statement).await?;
        }
        if self.backend() == Backend::MySql {
            for meta in &models {
                if existing.contains(meta.table) {
                    self.add_mysql_lowered_columns(meta).await?;
                }
            }
        }
        let created: Vec<&str> = models
            .iter()
            .map(|meta| meta.table)
            .filter(|table| !existing.contains(table))
            .collect();
        if created.is_empty() {
            tracing::info!(
                target: "aksara::migrate",
                models = models.len(),
                "schema is up to date: every table existed (existing tables are not altered)"
            );
        } else {
            tracing::info!(
                target: "aksara::migrate",
                created = %created.join(", "),
                existing = models.len() - created.len(),
                "created {} of {} tables",
                created.len(),
                models.len()
            );
        }
        Ok(())
    }

    /// Which of the tables of `models` exist already.
    async fn existing_tables(
        &self,
        models: &[&'static ModelMeta],
    ) -> Result<BTreeSet<&'static str>> {
        let Some(first) = models.first() else {
            return Ok(BTreeSet::new());
        };
        let sql = match self.backend() {
            Backend::Sqlite => sqlite::EXISTING_TABLES,
            Backend::Postgres => postgres::EXISTING_TABLES,
            Backend::MySql => mysql::EXISTING_TABLES,
        };
        let rows = self
            .fetch_all(Statement::new(sql.to_owned(), Vec::new(), first))
            .await?;
        let mut names = BTreeSet::new();
        for row in &rows {
            names.insert(String::decode(row, 0)?);
        }
        Ok(models
            .iter()
            .map(|meta| meta.table)
            .filter(|table| names.contains(*table))
            .collect())
    }

    /// Adds the generated lower-case columns (and their unique constraints) of
    /// case-insensitive fields to a MySQL table made before they existed.
    async fn add_mysql_lowered_columns(&self, meta: &'static ModelMeta) -> Result<()> {
        for constraint in constraints(meta) {
            if constraint.kind != ConstraintKind::UniqueCaseInsensitive {
                continue;
            }
            let field = meta
                .field_by_column(&constraint.columns[0])
                .expect("constraint built from this field");
            let lowered = mysql::lowered_column(field.column);
            let present = self
                .fetch_optional(Statement::new(
                    mysql::COLUMN_EXISTS.to_owned(),
                    vec![
                        Value::Text(meta.table.to_owned()),
                        Value::Text(lowered.clone()),
                    ],
                    meta,
                ))
                .await?
                .map_or(Ok(0), |row| row.count())?;
            if present == 0 {
                tracing::info!(target: "aksara::migrate", table = meta.table, column = %lowered, "adding the lower-case column of a case-insensitive unique field");
                self.execute_raw(&format!(
                    "ALTER TABLE {} ADD COLUMN {}, ADD CONSTRAINT {} UNIQUE ({})",
                    quoted(Backend::MySql, meta.table),
                    mysql_lowered_column(meta, field),
                    quoted(Backend::MySql, &constraint.name),
                    quoted(Backend::MySql, &lowered),
                ))
                .await?;
            }
        }
        Ok(())
    }

    /// The statements [`migrate`](Db::migrate) would run, for review.
    ///
    /// # Errors
    /// As [`migrate`](Db::migrate), without touching the database.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] #[model(table = "tags")] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// let db = Db::connect("sqlite::memory:").await?;
    /// assert!(db.schema_sql()?.iter().any(|sql| sql.contains("\"tags\"")));
    /// # Ok(()) }
    /// ```
    pub fn schema_sql(&self) -> Result<Vec<String>> {
        self.schema_sql_for(&registered_models().collect::<Vec<_>>())
    }

    fn schema_sql_for(&self, models: &[&'static ModelMeta]) -> Result<Vec<String>> {
        schema_statements(self.backend(), models)
    }
}

#[cfg(test)]
mod tests {
    use super::constraint_name;

    #[test]
    fn long_constraint_names_are_shortened_stably() {
        let long = constraint_name(&"t".repeat(60), &["column_one", "column_two"], "key");
        assert_eq!(long.len(), 63);
        assert_eq!(
            long,
            constraint_name(&"t".repeat(60), &["column_one", "column_two"], "key")
        );
        assert_eq!(constraint_name("posts", &["slug"], "key"), "posts_slug_key");
    }
}
