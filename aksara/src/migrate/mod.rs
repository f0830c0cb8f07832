//! Schema creation: `db.migrate()` creates the tables, unique constraints, indexes
//! and foreign keys of every registered model, in dependency order, idempotently.
//!
//! This module decides what the schema is: which constraints and indexes a model
//! has, their names, the order tables are created in. How each statement is
//! spelled on each backend is [`crate::sql::table`]'s.
//!
//! Constraint names are deterministic (`<table>_<columns>_key`, `_fkey`, `_idx`,
//! `<table>_pkey`, as PostgreSQL names them by default), which is how constraint
//! violations are mapped back to model fields on every backend.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::{Db, Executor as _, Statement};
use crate::model::{FieldMeta, ModelMeta, registered_models};
use crate::{Backend, Error, FieldType as _, Result, Value, sql};

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
pub(crate) fn indexes(meta: &'static ModelMeta) -> Result<Vec<(String, Vec<&'static str>)>> {
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
        statements.push(sql::table::create_table(backend, meta)?.sql);
        statements.extend(
            sql::table::create_indexes(backend, meta)?
                .into_iter()
                .map(|statement| statement.sql),
        );
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
        for meta in &models {
            if existing.contains(meta.table) {
                self.add_lowered_columns(meta).await?;
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
        let sql = self.backend().dialect().existing_tables();
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
    /// case-insensitive fields to a table made before they existed, on dialects
    /// that keep such columns (MySQL).
    async fn add_lowered_columns(&self, meta: &'static ModelMeta) -> Result<()> {
        let backend = self.backend();
        for constraint in constraints(meta) {
            if constraint.kind != ConstraintKind::UniqueCaseInsensitive {
                continue;
            }
            let field = meta
                .field_by_column(&constraint.columns[0])
                .expect("constraint built from this field");
            let Some(lowered) = backend.dialect().lowered_column(field.column) else {
                continue;
            };
            let present = self
                .fetch_optional(Statement::new(
                    backend.dialect().column_exists().to_owned(),
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
                if let Some(alter) =
                    sql::table::add_lowered_column(backend, meta, field, &constraint.name)
                {
                    self.execute_raw(&alter.sql).await?;
                }
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
