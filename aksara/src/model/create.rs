//! The runtime behind the generated create builders: defaults, generated keys,
//! `auto_now(_add)`, validation of every field, and running the `INSERT` that
//! [`crate::sql::insert`] renders.

use std::marker::PhantomData;

use chrono::Utc;
use uuid::Uuid;

use super::{Model, validate};
use crate::db::Executor;
use crate::query::{CompareOp, Expr};
use crate::{Error, FieldType, Result, SqlType, ValidationErrors, Value, sql};

/// The values of a row being created, by field index. Generated builders
/// (`PostCreate`) wrap it and add one typed setter per field.
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64, pub name: String }
/// let mut create = aksara::Create::<Tag>::new();
/// create.set(1, Value::Text("rust".into()));
/// ```
pub struct Create<M> {
    values: Vec<Option<Value>>,
    marker: PhantomData<fn() -> M>,
}

impl<M> std::fmt::Debug for Create<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets (password hashes): show only which fields are set.
        let set: Vec<usize> = self
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_some())
            .map(|(i, _)| i)
            .collect();
        f.debug_struct("Create").field("fields_set", &set).finish()
    }
}

/// Implemented by each generated `<Model>Create` builder so the runtime can hand
/// builders to user closures (`get_or_create`) and take them back.
pub trait CreateBuilder<M>: Sized {
    /// Wraps the runtime values.
    fn from_create(create: Create<M>) -> Self;
    /// Unwraps the runtime values.
    fn into_create(self) -> Create<M>;
}

impl<M: Model> Default for Create<M> {
    fn default() -> Self {
        Self::new()
    }
}

/// A row ready for `INSERT`: one value per field, the auto-increment key left out.
struct PreparedRow {
    values: Vec<Value>,
}

impl<M: Model> Create<M> {
    /// No field set yet.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// let create = aksara::Create::<Tag>::new();
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            values: vec![None; M::META.fields.len()],
            marker: PhantomData,
        }
    }

    /// Sets field `index` (in `M::META.fields`) to `value`.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// let mut create = aksara::Create::<Tag>::new();
    /// create.set(0, Value::I64(7));
    /// ```
    pub fn set(&mut self, index: usize, value: Value) {
        if let Some(slot) = self.values.get_mut(index) {
            *slot = Some(value);
        }
    }

    /// Copies the `field = value` terms of an AND-only lookup (Django's
    /// `get_or_create(**kwargs)` does the same).
    pub(crate) fn set_equalities(&mut self, expr: &Expr) {
        match expr {
            Expr::Compare {
                field,
                op: CompareOp::Eq,
                value,
            } => self.set(*field, value.clone()),
            Expr::And(left, right) => {
                self.set_equalities(left);
                self.set_equalities(right);
            }
            _ => {}
        }
    }

    /// Fills defaults and automatic values, then validates every field.
    fn prepare(
        self,
        errors: &mut ValidationErrors,
        label: &dyn Fn(&str) -> String,
    ) -> Option<PreparedRow> {
        let meta = M::META;
        let now = Utc::now();
        let mut values = Vec::with_capacity(meta.fields.len());
        let mut ok = true;
        for (index, (field, value)) in meta.fields.iter().zip(self.values).enumerate() {
            let value = match value {
                Some(value) => value,
                None if field.primary_key && field.auto_increment => Value::I64(0),
                None if field.primary_key && field.sql_type == SqlType::Uuid => {
                    Value::Uuid(Uuid::new_v4())
                }
                None if field.auto_now || field.auto_now_add => {
                    M::auto_now_value(index, now).unwrap_or(Value::Null(field.sql_type))
                }
                None if field.has_default => {
                    M::default_value(index).unwrap_or(Value::Null(field.sql_type))
                }
                None if field.nullable => Value::Null(field.sql_type),
                None => {
                    errors.add(label(field.name), "this field is required");
                    ok = false;
                    continue;
                }
            };
            let mut value = value;
            validate::normalize(field, &mut value);
            let before = errors.fields().count();
            let mut field_errors = ValidationErrors::default();
            validate::field(field, &value, &mut field_errors);
            for name in field_errors.fields() {
                for message in field_errors.get(name).unwrap_or_default() {
                    errors.add(label(name), message.clone());
                }
            }
            ok &= errors.fields().count() == before;
            values.push(value);
        }
        ok.then_some(PreparedRow { values })
    }

    /// Validates, inserts and returns the new instance.
    ///
    /// # Errors
    /// [`Error::Validation`] naming every missing or invalid field,
    /// [`Error::Unique`], [`Error::ForeignKey`], or a database error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64, pub name: String }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// let missing_name = aksara::Create::<Tag>::new().exec(&db).await;
    /// assert!(matches!(missing_name, Err(aksara::Error::Validation(_))));
    /// # Ok(()) }
    /// ```
    pub async fn exec<E: Executor + ?Sized>(self, db: &E) -> Result<M> {
        let values = self.into_values().await?;
        insert_values::<M, E>(db, values).await
    }

    /// The row this create would insert, one value per field, validated.
    pub(crate) async fn into_values(mut self) -> Result<Vec<Value>> {
        crate::value::resolve_all(self.values.iter_mut().flatten()).await?;
        let mut errors = ValidationErrors::default();
        match self.prepare(&mut errors, &str::to_owned) {
            Some(row) => Ok(row.values),
            None => Err(Error::Validation(errors)),
        }
    }

    /// Validates every row, then inserts them all.
    pub(crate) async fn bulk_exec<E: Executor + ?Sized>(db: &E, rows: Vec<Self>) -> Result<Vec<M>> {
        let mut errors = ValidationErrors::default();
        let mut prepared = Vec::with_capacity(rows.len());
        for (i, mut row) in rows.into_iter().enumerate() {
            crate::value::resolve_all(row.values.iter_mut().flatten()).await?;
            if let Some(row) = row.prepare(&mut errors, &|field| format!("{i}.{field}")) {
                prepared.push(row.values);
            }
        }
        errors.into_result()?;
        let meta = M::META;
        let backend = db.backend();
        let auto_key = meta.primary_key().auto_increment;
        let mut created = Vec::with_capacity(prepared.len());
        // Without RETURNING, the keys of a multi-row insert are unknown: insert
        // those rows one by one.
        if auto_key && !sql::insert::returns_keys(backend, 2) {
            for values in prepared {
                created.push(insert_values::<M, E>(db, values).await?);
            }
            return Ok(created);
        }
        // Stay well under every backend's parameter limit (SQLite: 32766, MySQL: 65535).
        let per_statement = (30_000 / meta.fields.len().max(1)).max(1);
        let mut remaining = prepared.into_iter().peekable();
        while remaining.peek().is_some() {
            let mut chunk: Vec<Vec<Value>> = remaining.by_ref().take(per_statement).collect();
            if chunk.len() == 1 {
                // A single row's key may come back without RETURNING (SQLite).
                let values = chunk.pop().expect("one row");
                created.push(insert_values::<M, E>(db, values).await?);
                continue;
            }
            let statement = sql::insert::insert(backend, meta, &chunk);
            let keys: Vec<Value> = if auto_key {
                let rows = db.fetch_all(statement).await?;
                rows.iter()
                    .map(|row| i64::decode(row, 0).map(Value::I64))
                    .collect::<Result<_>>()?
            } else {
                db.execute(statement).await?;
                Vec::new()
            };
            for (i, mut values) in chunk.into_iter().enumerate() {
                if let Some(key) = keys.get(i) {
                    values[meta.primary_key] = key.clone();
                }
                created.push(M::from_values(values)?);
            }
        }
        Ok(created)
    }
}

pub(super) async fn insert_values<M: Model, E: Executor + ?Sized>(
    db: &E,
    mut values: Vec<Value>,
) -> Result<M> {
    let meta = M::META;
    let backend = db.backend();
    let pk = meta.primary_key;
    let auto_key = sql::insert::generates_key(meta, &values);
    let statement = sql::insert::insert(backend, meta, std::slice::from_ref(&values));
    if auto_key && sql::insert::returns_keys(backend, 1) {
        let row = db
            .fetch_optional(statement)
            .await?
            .ok_or_else(|| Error::Decode {
                column: meta.primary_key().column.into(),
                message: "INSERT … RETURNING gave no row".into(),
            })?;
        values[pk] = Value::I64(i64::decode(&row, 0)?);
    } else {
        let done = db.execute(statement).await?;
        if auto_key {
            values[pk] = Value::I64(done.last_insert_id.ok_or_else(|| Error::Decode {
                column: meta.primary_key().column.into(),
                message: "the database reported no inserted id".into(),
            })?);
        }
    }
    M::from_values(values)
}
