//! The reverse side of a foreign key: [`Column::reverse`] (`author`'s posts as
//! a query set), [`Related<C>`] (the field that holds them once prefetched) and
//! [`ReverseForeignKey`] (what `prefetch_related` takes for them).

use std::collections::HashMap;
use std::fmt;

use super::{Key, PrefetchRelated};
use crate::db::{Row, Statement};
use crate::field::ForeignKey;
use crate::model::Model;
use crate::query::{Column, Expr, QuerySet};
use crate::sql::select::Select;
use crate::{Backend, Result, Value, sql};

impl<C: Model, P: Model> Column<C, ForeignKey<P>> {
    /// The rows of `C` whose key points at `parent` (Django's `author.post_set`);
    /// `#[field(related_name = "posts")]` generates `author.posts()` for it.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64 }
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub author: ForeignKey<Author> }
    /// # let jane = Author { id: 1 };
    /// let hers: QuerySet<Post> = Post::AUTHOR.reverse(&jane);
    /// ```
    #[must_use]
    pub fn reverse(self, parent: &P) -> QuerySet<C> {
        C::objects().filter(self.eq(parent))
    }

    /// This reverse relation for
    /// [`prefetch_related`](crate::QuerySet::prefetch_related), loaded into the
    /// [`Related<C>`] field that `field` reaches.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # use aksara::Related;
    /// #[derive(Model, Debug, Clone)]
    /// pub struct Author {
    ///     #[field(primary_key)] pub id: i64,
    ///     #[field(skip)] pub posts: Related<Post>,
    /// }
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub author: ForeignKey<Author> }
    /// let authors = Author::objects().prefetch_related(Post::AUTHOR.prefetch_as(|a| &mut a.posts));
    /// ```
    #[must_use]
    pub fn prefetch_as(self, field: fn(&mut P) -> &mut Related<C>) -> ReverseForeignKey<C, P> {
        ReverseForeignKey {
            column: self.index(),
            field,
        }
    }
}

impl<C: Model, P: Model> Column<C, Option<ForeignKey<P>>> {
    /// The rows of `C` whose optional key points at `parent`; as
    /// [`Column::<C, ForeignKey<P>>::reverse`](Column::reverse).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64 }
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub editor: Option<ForeignKey<Author>> }
    /// # let jane = Author { id: 1 };
    /// let edited: QuerySet<Post> = Post::EDITOR.reverse(&jane);
    /// ```
    #[must_use]
    pub fn reverse(self, parent: &P) -> QuerySet<C> {
        C::objects().filter(self.eq(parent))
    }

    /// This reverse relation for `prefetch_related`; as the non-optional form.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # use aksara::Related;
    /// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64, #[field(skip)] pub edited: Related<Post> }
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub editor: Option<ForeignKey<Author>> }
    /// let authors = Author::objects().prefetch_related(Post::EDITOR.prefetch_as(|a| &mut a.edited));
    /// ```
    #[must_use]
    pub fn prefetch_as(self, field: fn(&mut P) -> &mut Related<C>) -> ReverseForeignKey<C, P> {
        ReverseForeignKey {
            column: self.index(),
            field,
        }
    }
}

/// The rows of `C` that point at an instance, once
/// [`prefetch_related`](crate::QuerySet::prefetch_related) loaded them: a
/// `#[field(skip)]` field of the parent (`pub posts: Related<Post>`).
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
/// let posts = aksara::Related::<Post>::default();
/// assert!(posts.get().is_none());
/// ```
pub struct Related<C> {
    loaded: Option<Vec<C>>,
}

impl<C> Related<C> {
    /// The related rows, when prefetched (`None` otherwise).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
    /// assert!(aksara::Related::<Post>::default().get().is_none());
    /// ```
    #[must_use]
    pub fn get(&self) -> Option<&[C]> {
        self.loaded.as_deref()
    }

    /// The related rows by value (`None` when not prefetched).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
    /// assert!(aksara::Related::<Post>::default().into_inner().is_none());
    /// ```
    #[must_use]
    pub fn into_inner(self) -> Option<Vec<C>> {
        self.loaded
    }
}

impl<C> Default for Related<C> {
    fn default() -> Self {
        Self { loaded: None }
    }
}

impl<C: Clone> Clone for Related<C> {
    fn clone(&self) -> Self {
        Self {
            loaded: self.loaded.clone(),
        }
    }
}

impl<C: fmt::Debug> fmt::Debug for Related<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Related")
            .field("loaded", &self.loaded)
            .finish()
    }
}

impl<C: serde::Serialize> serde::Serialize for Related<C> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.loaded.serialize(serializer)
    }
}

/// A reverse foreign key for `prefetch_related`, from
/// [`Column::prefetch_as`]: the rows of `C` pointing at each `P`, loaded with
/// one `WHERE key IN (…)` query.
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # use aksara::Related;
/// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64, #[field(skip)] pub posts: Related<Post> }
/// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub author: ForeignKey<Author> }
/// let relation: aksara::ReverseForeignKey<Post, Author> = Post::AUTHOR.prefetch_as(|a| &mut a.posts);
/// ```
pub struct ReverseForeignKey<C, P> {
    column: usize,
    field: fn(&mut P) -> &mut Related<C>,
}

impl<C, P> fmt::Debug for ReverseForeignKey<C, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReverseForeignKey")
            .field("column", &self.column)
            .finish_non_exhaustive()
    }
}

impl<C: Model, P: Model> PrefetchRelated<P> for ReverseForeignKey<C, P> {
    fn statement(&self, backend: Backend, keys: &[Value]) -> Statement {
        let filter = Expr::In {
            field: self.column,
            values: keys.to_vec(),
        };
        let order = [(C::META.primary_key, false)];
        sql::select::select(
            backend,
            &Select {
                model: C::META,
                filter: Some(&filter),
                order: &order,
                limit: None,
                offset: None,
                joins: &[],
            },
        )
    }

    fn attach(&self, parents: &mut [P], rows: &[Row]) -> Result<()> {
        let index: HashMap<Key, usize> = parents
            .iter()
            .enumerate()
            .map(|(i, parent)| {
                (
                    Key::from(&crate::FieldType::to_value(parent.primary_key())),
                    i,
                )
            })
            .collect();
        let mut groups: Vec<Vec<C>> = parents.iter().map(|_| Vec::new()).collect();
        for row in rows {
            let child = C::from_row(row, 0)?;
            let key = child.to_values().swap_remove(self.column);
            if let Some(&i) = index.get(&Key::from(&key)) {
                groups[i].push(child);
            }
        }
        for (parent, group) in parents.iter_mut().zip(groups) {
            (self.field)(parent).loaded = Some(group);
        }
        Ok(())
    }
}
