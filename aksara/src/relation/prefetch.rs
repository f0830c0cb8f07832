//! [`PrefetchRelated`]: what `QuerySet::prefetch_related` accepts, and how a
//! query set runs it — one query per relation, whatever the number of parents.

use std::sync::Arc;

use crate::db::{Executor, Row, Statement};
use crate::field::FieldType as _;
use crate::model::Model;
use crate::{Backend, Result, Value};

/// A to-many relation of `M` that
/// [`prefetch_related`](crate::QuerySet::prefetch_related) can load: a
/// many-to-many constant ([`ManyToManyField`](crate::ManyToManyField),
/// `Post::TAGS`) or a reverse foreign key
/// ([`ReverseForeignKey`](crate::ReverseForeignKey),
/// `Post::AUTHOR.prefetch_as(|author| &mut author.posts)`).
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
/// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub tags: ManyToMany<Tag> }
/// fn takes<R: aksara::PrefetchRelated<Post>>(_: R) {}
/// takes(Post::TAGS);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a to-many relation of `{M}`",
    label = "prefetch_related needs a many-to-many field or a reverse foreign key",
    note = "pass a `ManyToMany` field's constant (`Post::TAGS`) or a reverse foreign key (`Post::AUTHOR.prefetch_as(|author| &mut author.posts)`); a `ForeignKey` column itself goes to `select_related`"
)]
pub trait PrefetchRelated<M>: Send + Sync + 'static {
    /// The one query that loads the related rows of every parent in `keys`.
    #[doc(hidden)]
    fn statement(&self, backend: Backend, keys: &[Value]) -> Statement;

    /// Hands each parent its rows out of `rows` (every parent gets a list,
    /// empty when nothing is related).
    ///
    /// # Errors
    /// [`Error::Decode`](crate::Error::Decode) when a row does not fit.
    #[doc(hidden)]
    fn attach(&self, parents: &mut [M], rows: &[Row]) -> Result<()>;
}

/// The relations a query set prefetches.
pub(crate) struct Prefetch<M>(pub(crate) Vec<Arc<dyn PrefetchRelated<M>>>);

impl<M> Clone for Prefetch<M> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<M: Model> Prefetch<M> {
    /// Loads every relation into `parents`: one query each, none without parents.
    pub(crate) async fn run<E: Executor + ?Sized>(&self, db: &E, parents: &mut [M]) -> Result<()> {
        if self.0.is_empty() || parents.is_empty() {
            return Ok(());
        }
        let mut keys: Vec<Value> = parents
            .iter()
            .map(|parent| parent.primary_key().to_value())
            .collect();
        keys.dedup();
        for relation in &self.0 {
            let rows = db
                .fetch_all(relation.statement(db.backend(), &keys))
                .await?;
            relation.attach(parents, &rows)?;
        }
        Ok(())
    }
}
