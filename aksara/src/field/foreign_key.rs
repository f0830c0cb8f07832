//! [`ForeignKey<M>`]: a reference to another model's row, loaded lazily or by
//! `select_related`.

use std::fmt;

use super::FieldType;
use crate::db::{Executor, Row};
use crate::model::{Model, ModelMeta};
use crate::{Result, SqlType, Value};

/// A field that points at a row of `M` (column `<field>_id`).
///
/// The key is always there; the related instance is there after
/// [`select_related`](crate::QuerySet::select_related) or
/// [`fetch`](ForeignKey::fetch).
///
/// ```standalone_crate
/// use aksara::prelude::*;
///
/// #[derive(Model, Debug, Clone)]
/// pub struct Author { #[field(primary_key)] pub id: i64, pub name: String }
///
/// let fk: ForeignKey<Author> = ForeignKey::from_key(7);
/// assert_eq!(*fk.key(), 7);
/// assert!(fk.get().is_none());
/// ```
pub struct ForeignKey<M: Model> {
    key: M::PrimaryKey,
    loaded: Option<Box<M>>,
}

impl<M: Model> ForeignKey<M> {
    /// A reference to the row with primary key `key`, not loaded.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64 }
    /// let fk = ForeignKey::<Author>::from_key(1);
    /// assert_eq!(*fk.key(), 1);
    /// ```
    #[must_use]
    pub fn from_key(key: M::PrimaryKey) -> Self {
        Self { key, loaded: None }
    }

    /// The referenced row's primary key.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64 }
    /// assert_eq!(*ForeignKey::<Author>::from_key(3).key(), 3);
    /// ```
    #[must_use]
    pub fn key(&self) -> &M::PrimaryKey {
        &self.key
    }

    /// The related instance, if `select_related` or `fetch` loaded it.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64 }
    /// assert!(ForeignKey::<Author>::from_key(3).get().is_none());
    /// ```
    #[must_use]
    pub fn get(&self) -> Option<&M> {
        self.loaded.as_deref()
    }

    /// Loads the related instance (one query, skipped when already loaded) and keeps it.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when the row is gone, or a database error.
    ///
    /// ```no_run,standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64 }
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub author: ForeignKey<Author> }
    /// # async fn demo(db: &Db, mut post: Post) -> aksara::Result<()> {
    /// let author: &Author = post.author.fetch(db).await?;
    /// # Ok(()) }
    /// ```
    pub async fn fetch<E: Executor + ?Sized>(&mut self, db: &E) -> Result<&M> {
        if self.loaded.is_none() {
            let pk = crate::query::Column::<M, M::PrimaryKey>::new(M::META.primary_key);
            let instance = M::objects().get(db, pk.eq(self.key.clone())).await?;
            self.loaded = Some(Box::new(instance));
        }
        Ok(self.loaded.as_deref().expect("loaded just above"))
    }

    /// The loaded related row by value, without cloning it (`None` when neither
    /// `select_related` nor `fetch` loaded it).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64 }
    /// let mut fk = ForeignKey::<Author>::from_key(1);
    /// assert!(fk.clone().into_inner().is_none());
    /// fk.set(Author { id: 2 });
    /// let author: Author = fk.into_inner().unwrap();
    /// assert_eq!(author.id, 2);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> Option<M> {
        self.loaded.map(|boxed| *boxed)
    }

    /// Keeps `instance` as the loaded related row (and takes its key).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64 }
    /// let mut fk = ForeignKey::<Author>::from_key(1);
    /// fk.set(Author { id: 2 });
    /// assert_eq!(fk.get().unwrap().id, 2);
    /// ```
    pub fn set(&mut self, instance: M) {
        self.key = instance.primary_key().clone();
        self.loaded = Some(Box::new(instance));
    }
}

impl<M: Model> From<&M> for ForeignKey<M> {
    fn from(instance: &M) -> Self {
        Self::from_key(instance.primary_key().clone())
    }
}

impl<M: Model + Clone> Clone for ForeignKey<M> {
    fn clone(&self) -> Self {
        Self {
            key: self.key.clone(),
            loaded: self.loaded.clone(),
        }
    }
}

impl<M: Model> PartialEq for ForeignKey<M> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<M: Model> fmt::Debug for ForeignKey<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignKey")
            .field("model", &M::META.name)
            .field("key", &self.key)
            .field("loaded", &self.loaded.is_some())
            .finish()
    }
}

impl<M: Model> serde::Serialize for ForeignKey<M>
where
    M::PrimaryKey: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.key.serialize(serializer)
    }
}

impl<M: Model> FieldType for ForeignKey<M> {
    const SQL_TYPE: SqlType = <M::PrimaryKey as FieldType>::SQL_TYPE;
    const REFERENCES: Option<fn() -> &'static ModelMeta> = Some(meta_of::<M>);

    fn to_value(&self) -> Value {
        self.key.to_value()
    }

    fn from_value(value: Value) -> Result<Self> {
        M::PrimaryKey::from_value(value).map(Self::from_key)
    }

    fn decode_nullable(row: &Row, index: usize) -> Result<Option<Self>> {
        Ok(M::PrimaryKey::decode_nullable(row, index)?.map(Self::from_key))
    }
}

fn meta_of<M: Model>() -> &'static ModelMeta {
    M::META
}

impl<M: Model> crate::Operand<ForeignKey<M>> for &M {
    fn into_value(self) -> Value {
        self.primary_key().to_value()
    }
}

impl<M: Model> crate::Operand<Option<ForeignKey<M>>> for &M {
    fn into_value(self) -> Value {
        self.primary_key().to_value()
    }
}

impl<M: Model> crate::Operand<ForeignKey<M>> for &ForeignKey<M> {
    fn into_value(self) -> Value {
        self.key.to_value()
    }
}

/// A field type that `select_related` can follow: `ForeignKey<M>` and
/// `Option<ForeignKey<M>>`.
///
/// ```standalone_crate
/// use aksara::prelude::*;
/// use aksara::RelationField;
/// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64 }
/// assert_eq!(<ForeignKey<Author> as RelationField>::target().table, "author");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a relation",
    label = "select_related needs a `ForeignKey<M>` column",
    note = "pass a column whose field is `ForeignKey<M>` or `Option<ForeignKey<M>>`"
)]
pub trait RelationField: FieldType {
    /// The referenced model's metadata.
    fn target() -> &'static ModelMeta;

    /// Decodes the related instance from `row` at `offset` and keeps it.
    ///
    /// # Errors
    /// [`Error::Decode`](crate::Error::Decode) when the joined columns do not fit.
    fn attach(&mut self, row: &Row, offset: usize) -> Result<()>;
}

impl<M: Model> RelationField for ForeignKey<M> {
    fn target() -> &'static ModelMeta {
        M::META
    }

    fn attach(&mut self, row: &Row, offset: usize) -> Result<()> {
        self.loaded = Some(Box::new(M::from_row(row, offset)?));
        Ok(())
    }
}

impl<M: Model> RelationField for Option<ForeignKey<M>> {
    fn target() -> &'static ModelMeta {
        M::META
    }

    fn attach(&mut self, row: &Row, offset: usize) -> Result<()> {
        // A NULL key joined nothing (LEFT JOIN): there is nothing to decode.
        match self {
            Some(fk) => fk.attach(row, offset),
            None => Ok(()),
        }
    }
}
