//! [`ModelInstance`]: `save`, `delete` and `refresh` on loaded instances.

use std::future::Future;

use chrono::Utc;

use super::changes::{self, Change};
use super::{Model, validate};
use crate::db::Executor;
use crate::field::FieldType as _;
use crate::query::Column;
use crate::{Result, ValidationErrors, Value, sql};

/// Methods on instances of every model (in the prelude).
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64, pub name: String }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
/// let mut tag = Tag::objects().create().name("rust").exec(&db).await?;
/// tag.name = "Rust".into();
/// tag.save(&db).await?;
/// tag.refresh(&db).await?;
/// assert_eq!(tag.name, "Rust");
/// tag.delete(&db).await?;
/// # Ok(()) }
/// ```
pub trait ModelInstance: Model {
    /// Writes the instance: `UPDATE` by primary key, or `INSERT` when no row has
    /// that key yet (an `i64` key of 0 always inserts and receives its new key).
    /// `auto_now` fields are refreshed first; fields are validated.
    ///
    /// # Errors
    /// [`Error::Validation`](crate::Error::Validation), [`Error::Unique`](crate::Error::Unique),
    /// [`Error::ForeignKey`](crate::Error::ForeignKey) or a database error.
    fn save<E: Executor + ?Sized>(&mut self, db: &E) -> impl Future<Output = Result<()>> + Send;

    /// Deletes the instance's row; returns whether a row was deleted.
    ///
    /// # Errors
    /// [`Error::ForeignKey`](crate::Error::ForeignKey) when a restricting reference
    /// blocks it, or a database error.
    fn delete<E: Executor + ?Sized>(&self, db: &E) -> impl Future<Output = Result<bool>> + Send;

    /// Reloads every field from the database.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when the row is gone, or a database error.
    fn refresh<E: Executor + ?Sized>(&mut self, db: &E) -> impl Future<Output = Result<()>> + Send;
}

fn primary_key_column<M: Model>() -> Column<M, M::PrimaryKey> {
    Column::new(M::META.primary_key)
}

impl<M: Model> ModelInstance for M {
    async fn save<E: Executor + ?Sized>(&mut self, db: &E) -> Result<()> {
        let meta = M::META;
        self.touch_auto_now(Utc::now());
        let mut values = self.to_values();
        crate::value::resolve_all(values.iter_mut()).await?;
        for (field, value) in meta.fields.iter().zip(values.iter_mut()) {
            validate::normalize(field, value);
        }
        let mut errors = ValidationErrors::default();
        for (field, value) in meta.fields.iter().zip(&values) {
            validate::field(field, value, &mut errors);
        }
        errors.into_result()?;
        let pk = meta.primary_key;
        let unsaved_auto_key = meta.primary_key().auto_increment && values[pk] == Value::I64(0);
        if !unsaved_auto_key {
            match sql::update::update_by_key(db.backend(), meta, &values) {
                Some(statement) => {
                    if db.execute(statement).await?.rows_affected > 0 {
                        changes::notify(meta.table, Change::Row(&values[pk]));
                        return Ok(());
                    }
                }
                // Only a key: the row exists if its key does.
                None => {
                    if M::objects()
                        .filter(primary_key_column::<M>().eq(self.primary_key().clone()))
                        .exists(db)
                        .await?
                    {
                        return Ok(());
                    }
                }
            }
        }
        let inserted: M = super::create::insert_values(db, values).await?;
        self.set_primary_key(inserted.primary_key().clone());
        // A row inserted under a key a listener has seen deleted: tell it too.
        changes::notify(meta.table, Change::Row(&inserted.primary_key().to_value()));
        Ok(())
    }

    async fn delete<E: Executor + ?Sized>(&self, db: &E) -> Result<bool> {
        let deleted = M::objects()
            .filter(primary_key_column::<M>().eq(self.primary_key().clone()))
            .delete(db)
            .await?;
        Ok(deleted > 0)
    }

    async fn refresh<E: Executor + ?Sized>(&mut self, db: &E) -> Result<()> {
        *self = M::objects()
            .get(db, primary_key_column::<M>().eq(self.primary_key().clone()))
            .await?;
        Ok(())
    }
}
