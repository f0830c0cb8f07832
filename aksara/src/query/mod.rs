//! Query sets: `Post::objects().filter(…).order_by(…).all(&db)`.
//!
//! A [`QuerySet`] is a plain value describing a query; nothing runs until a terminal
//! method (`all`, `first`, `get`, `count`, `exists`, `update`, `delete`) is awaited
//! with an [`Executor`]. Its SQL is rendered by [`crate::sql::select`],
//! [`crate::sql::update`] and [`crate::sql::delete`] from the query set's shape.

mod expr;

pub use expr::{Assignment, Column, Filter, Order, TextColumn};
pub(crate) use expr::{CompareOp, Expr, TextOp};

use std::marker::PhantomData;

use crate::db::{Executor, Statement};
use crate::field::{FieldType as _, RelationField};
use crate::model::{Create, CreateBuilder, Model, validate};
use crate::relation::{Prefetch, PrefetchRelated};
use crate::sql::select::{Join, MAX_JOINS, Select};
use crate::{Backend, Error, Result, ValidationErrors, sql};

/// The query manager returned by `Model::objects()`: an unfiltered [`QuerySet`].
pub type Manager<M> = QuerySet<M>;

/// A lazy query over the rows of `M`.
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String, pub published: bool }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// db.migrate().await?;
/// Post::objects().create().title("Hello").published(true).exec(&db).await?;
/// let published = Post::objects()
///     .filter(Post::PUBLISHED.eq(true))
///     .order_by(Post::TITLE.asc())
///     .limit(10)
///     .all(&db)
///     .await?;
/// assert_eq!(published.len(), 1);
/// # Ok(()) }
/// ```
pub struct QuerySet<M> {
    filter: Option<Expr>,
    order: Vec<(usize, bool)>,
    limit: Option<u64>,
    offset: Option<u64>,
    related: Vec<Join>,
    prefetch: Prefetch<M>,
    marker: PhantomData<fn() -> M>,
}

impl<M> Clone for QuerySet<M> {
    fn clone(&self) -> Self {
        Self {
            filter: self.filter.clone(),
            order: self.order.clone(),
            limit: self.limit,
            offset: self.offset,
            related: self.related.clone(),
            prefetch: self.prefetch.clone(),
            marker: PhantomData,
        }
    }
}

impl<M> std::fmt::Debug for QuerySet<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuerySet")
            .field("filter", &self.filter)
            .field("order", &self.order)
            .field("limit", &self.limit)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl<M: Model> Default for QuerySet<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> QuerySet<M> {
    /// A query over every row of `M`; `Model::objects()` returns this.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// let everything = QuerySet::<Tag>::new();
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            filter: None,
            order: Vec::new(),
            limit: None,
            offset: None,
            related: Vec::new(),
            prefetch: Prefetch(Vec::new()),
            marker: PhantomData,
        }
    }

    /// Keeps the rows matching `filter` (ANDed with earlier filters).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
    /// let hello = Post::objects().filter(Post::TITLE.eq("hello"));
    /// ```
    #[must_use]
    pub fn filter(mut self, filter: Filter<M>) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(existing) => Expr::And(Box::new(existing), Box::new(filter.expr)),
            None => filter.expr,
        });
        self
    }

    /// Drops the rows matching `filter`.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
    /// let not_hello = Post::objects().exclude(Post::TITLE.eq("hello"));
    /// ```
    #[must_use]
    pub fn exclude(self, filter: Filter<M>) -> Self {
        self.filter(!filter)
    }

    /// Sorts by one [`Order`] or an array of them (appended to earlier orderings).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
    /// let sorted = Post::objects().order_by([Post::TITLE.asc(), Post::ID.desc()]);
    /// ```
    #[must_use]
    pub fn order_by(mut self, order: impl IntoIterator<Item = Order<M>>) -> Self {
        self.order
            .extend(order.into_iter().map(|term| (term.field, term.descending)));
        self
    }

    /// At most `limit` rows.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
    /// let page = Post::objects().order_by(Post::ID.asc()).limit(20).offset(40);
    /// ```
    #[must_use]
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Skips the first `offset` rows.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
    /// let rest = Post::objects().order_by(Post::ID.asc()).offset(10);
    /// ```
    #[must_use]
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Loads the related row of a foreign key in the same query (one JOIN, no N+1);
    /// read it with `instance.field.get()`.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Author { #[field(primary_key)] pub id: i64, pub name: String }
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub author: ForeignKey<Author> }
    /// let with_authors = Post::objects().select_related(Post::AUTHOR);
    /// ```
    #[must_use]
    pub fn select_related<F: RelationField>(mut self, column: Column<M, F>) -> Self {
        let field = column.index();
        if !self.related.iter().any(|related| related.field == field)
            && self.related.len() < MAX_JOINS
        {
            self.related.push(Join {
                field,
                target: F::target(),
                nullable: F::NULLABLE,
            });
        }
        self
    }

    /// Loads a to-many relation of every row with one extra query
    /// (`… WHERE key IN (…)`), whatever the number of rows: a many-to-many
    /// field's constant (`Post::TAGS`, read with `post.tags.get()`) or a reverse
    /// foreign key (`Post::AUTHOR.prefetch_as(|author| &mut author.posts)`, read
    /// with `author.posts.get()`). Applies to `all`, `first` and `get`.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String, pub tags: ManyToMany<Tag> }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// Post::objects().create().title("Hello").exec(&db).await?;
    /// let posts = Post::objects().prefetch_related(Post::TAGS).all(&db).await?; // two queries
    /// assert!(posts[0].tags.get().unwrap().is_empty()); // loaded: no tags
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn prefetch_related(mut self, relation: impl PrefetchRelated<M>) -> Self {
        self.prefetch.0.push(std::sync::Arc::new(relation));
        self
    }

    /// The `SELECT` this query set runs on `backend` (for logging and tests).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] #[model(table = "tags")] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// let statement = Tag::objects().filter(Tag::ID.eq(3)).to_sql(Backend::Sqlite);
    /// assert_eq!(statement.sql(), r#"SELECT "id" FROM "tags" WHERE "id" = ?"#);
    /// ```
    #[must_use]
    pub fn to_sql(&self, backend: Backend) -> Statement {
        self.select_statement(backend, self.limit)
    }

    fn select_statement(&self, backend: Backend, limit: Option<u64>) -> Statement {
        sql::select::select(backend, &self.shape(limit))
    }

    /// This query set's shape for the renderers, with `limit` in place of its own.
    fn shape(&self, limit: Option<u64>) -> Select<'_> {
        Select {
            model: M::META,
            filter: self.filter.as_ref(),
            order: &self.order,
            limit,
            offset: self.offset,
            joins: &self.related,
        }
    }

    /// How the database would run [`all`](Self::all), as its own `EXPLAIN` tells
    /// (Django's `QuerySet.explain()`): SQLite's `EXPLAIN QUERY PLAN` details,
    /// PostgreSQL's plan lines, MySQL's `EXPLAIN FORMAT=JSON`. For checking that a
    /// lookup uses an index.
    ///
    /// # Errors
    /// A database error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] #[model(table = "tags")] pub struct Tag { #[field(primary_key)] pub id: i64, #[field(unique)] pub name: String }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// let plan = Tag::objects().filter(Tag::NAME.eq("rust")).explain(&db).await?;
    /// assert!(plan.contains("INDEX"), "{plan}"); // SQLite: the unique constraint's autoindex
    /// # Ok(()) }
    /// ```
    pub async fn explain<E: Executor + ?Sized>(&self, db: &E) -> Result<String> {
        let backend = db.backend();
        let statement = sql::select::explain(backend, &self.shape(self.limit));
        let (_, column) = backend.dialect().explain();
        let rows = db.fetch_all(statement).await?;
        let lines = rows
            .iter()
            .map(|row| String::decode(row, column))
            .collect::<Result<Vec<_>>>()?;
        Ok(lines.join("\n"))
    }

    fn decode(&self, row: &crate::db::Row) -> Result<M> {
        let mut instance = M::from_row(row, 0)?;
        let mut offset = M::META.fields.len();
        for related in &self.related {
            instance.attach_related(related.field, row, offset)?;
            offset += related.target.fields.len();
        }
        Ok(instance)
    }

    /// Every matching row.
    ///
    /// # Errors
    /// A database or decode error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// let tags: Vec<Tag> = Tag::objects().all(&db).await?;
    /// # Ok(()) }
    /// ```
    pub async fn all<E: Executor + ?Sized>(&self, db: &E) -> Result<Vec<M>> {
        let rows = db
            .fetch_all(self.select_statement(db.backend(), self.limit))
            .await?;
        let mut instances = rows
            .iter()
            .map(|row| self.decode(row))
            .collect::<Result<Vec<_>>>()?;
        self.prefetch.run(db, &mut instances).await?;
        Ok(instances)
    }

    /// The first matching row in the query's order (by primary key when unordered).
    ///
    /// # Errors
    /// A database or decode error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// assert!(Tag::objects().first(&db).await?.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn first<E: Executor + ?Sized>(&self, db: &E) -> Result<Option<M>> {
        let ordered;
        let query = if self.order.is_empty() {
            ordered = self.clone().order_by_primary_key();
            &ordered
        } else {
            self
        };
        let row = db
            .fetch_optional(query.select_statement(db.backend(), Some(1)))
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut instance = [query.decode(&row)?];
        self.prefetch.run(db, &mut instance).await?;
        let [instance] = instance;
        Ok(Some(instance))
    }

    fn order_by_primary_key(mut self) -> Self {
        self.order.push((M::META.primary_key, false));
        self
    }

    /// Exactly one row matching this query and `filter`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when none matches, [`Error::MultipleObjectsReturned`] when
    /// several do, or a database error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64, pub name: String }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// Tag::objects().create().name("rust").exec(&db).await?;
    /// let rust = Tag::objects().get(&db, Tag::NAME.eq("rust")).await?;
    /// assert!(matches!(
    ///     Tag::objects().get(&db, Tag::NAME.eq("go")).await,
    ///     Err(aksara::Error::NotFound { .. })
    /// ));
    /// # Ok(()) }
    /// ```
    pub async fn get<E: Executor + ?Sized>(&self, db: &E, filter: Filter<M>) -> Result<M> {
        let query = self.clone().filter(filter);
        let rows = db
            .fetch_all(query.select_statement(db.backend(), Some(2)))
            .await?;
        match rows.as_slice() {
            [] => Err(Error::NotFound {
                model: M::META.name,
            }),
            [row] => {
                let mut instance = [query.decode(row)?];
                self.prefetch.run(db, &mut instance).await?;
                let [instance] = instance;
                Ok(instance)
            }
            _ => Err(Error::MultipleObjectsReturned {
                model: M::META.name,
            }),
        }
    }

    /// The number of matching rows.
    ///
    /// # Errors
    /// A database error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// assert_eq!(Tag::objects().count(&db).await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn count<E: Executor + ?Sized>(&self, db: &E) -> Result<u64> {
        let statement = sql::select::count(db.backend(), &self.shape(self.limit));
        let row = db.fetch_optional(statement).await?;
        row.map_or(Ok(0), |row| row.count())
    }

    /// Whether any row matches.
    ///
    /// # Errors
    /// A database error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// assert!(!Tag::objects().exists(&db).await?);
    /// # Ok(()) }
    /// ```
    pub async fn exists<E: Executor + ?Sized>(&self, db: &E) -> Result<bool> {
        let statement = sql::select::exists(db.backend(), &self.shape(self.limit));
        Ok(db.fetch_optional(statement).await?.is_some())
    }

    fn refuse_slice(&self, operation: &str) -> Result<()> {
        if self.limit.is_some() || self.offset.is_some() {
            return Err(Error::InvalidQuery(format!(
                "cannot {operation} a sliced query set: drop limit()/offset() and narrow it with filter()"
            )));
        }
        Ok(())
    }

    /// Sets columns on every matching row in one `UPDATE`; returns how many rows
    /// matched. Values are validated like a create (`max_length`, `email`, `url`).
    ///
    /// # Errors
    /// [`Error::Validation`], [`Error::Unique`], [`Error::InvalidQuery`] on a sliced
    /// query set, or a database error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub published: bool }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// let changed = Post::objects()
    ///     .filter(Post::PUBLISHED.eq(false))
    ///     .update(&db, Post::PUBLISHED.set(true))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn update<E: Executor + ?Sized>(
        &self,
        db: &E,
        assignments: impl IntoIterator<Item = Assignment<M>>,
    ) -> Result<u64> {
        self.refuse_slice("update")?;
        let meta = M::META;
        let mut errors = ValidationErrors::default();
        let mut update = sql::update::Update::new(db.backend(), meta);
        for mut assignment in assignments {
            assignment.value = assignment.value.resolved().await?;
            let field = &meta.fields[assignment.field];
            validate::normalize(field, &mut assignment.value);
            validate::field(field, &assignment.value, &mut errors);
            update.set(assignment.field, assignment.value);
        }
        errors.into_result()?;
        let Some(statement) = update.finish(self.filter.as_ref()) else {
            return Ok(0);
        };
        let changed = db.execute(statement).await?.rows_affected;
        self.notify_changed(changed);
        Ok(changed)
    }

    /// Tells the [change listeners](crate::changes) which rows a write touched:
    /// the one row when the filter is a primary-key equality, else the table.
    fn notify_changed(&self, changed: u64) {
        if changed == 0 {
            return;
        }
        let table = M::META.table;
        match &self.filter {
            Some(Expr::Compare {
                field,
                op: CompareOp::Eq,
                value,
            }) if *field == M::META.primary_key => {
                crate::changes::notify(table, crate::changes::Change::Row(value));
            }
            _ => crate::changes::notify(table, crate::changes::Change::Rows),
        }
    }

    /// Deletes every matching row; returns how many.
    ///
    /// # Errors
    /// [`Error::ForeignKey`] when an `on_delete = "restrict"` reference blocks it,
    /// [`Error::InvalidQuery`] on a sliced query set, or a database error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// let removed = Tag::objects().filter(Tag::ID.gt(100)).delete(&db).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete<E: Executor + ?Sized>(&self, db: &E) -> Result<u64> {
        self.refuse_slice("delete")?;
        let statement = sql::delete::delete(db.backend(), M::META, self.filter.as_ref());
        let deleted = db.execute(statement).await?.rows_affected;
        self.notify_changed(deleted);
        Ok(deleted)
    }

    /// A create builder with one setter per field; `.exec(&db)` validates and inserts.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64, pub name: String }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// let tag = Tag::objects().create().name("rust").exec(&db).await?;
    /// assert_eq!(tag.id, 1);
    /// # Ok(()) }
    /// ```
    pub fn create(&self) -> M::Create {
        M::Create::from_create(Create::new())
    }

    /// The row matching `lookup`, or a new one created from the lookup's equalities
    /// plus `defaults`; the flag says whether it was created. Safe under concurrent
    /// callers: the loser of a unique-constraint race gets the winner's row.
    ///
    /// # Errors
    /// [`Error::Validation`] when the new row is incomplete,
    /// [`Error::MultipleObjectsReturned`], or a database error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64, #[field(unique)] pub name: String, pub uses: i64 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// let (tag, created) = Tag::objects().get_or_create(&db, Tag::NAME.eq("rust"), |new| new.uses(1)).await?;
    /// assert!(created);
    /// let (again, created) = Tag::objects().get_or_create(&db, Tag::NAME.eq("rust"), |new| new.uses(1)).await?;
    /// assert!(!created && again.id == tag.id);
    /// # Ok(()) }
    /// ```
    pub async fn get_or_create<E: Executor + ?Sized>(
        &self,
        db: &E,
        lookup: Filter<M>,
        defaults: impl FnOnce(M::Create) -> M::Create,
    ) -> Result<(M, bool)> {
        match self.get(db, lookup.clone()).await {
            Ok(found) => return Ok((found, false)),
            Err(Error::NotFound { .. }) => {}
            Err(other) => return Err(other),
        }
        let mut create = Create::<M>::new();
        create.set_equalities(&lookup.expr);
        let create = defaults(M::Create::from_create(create)).into_create();
        match create.exec(db).await {
            Ok(created) => Ok((created, true)),
            // Another caller inserted the same row between our read and our write.
            Err(Error::Unique { .. }) => Ok((self.get(db, lookup).await?, false)),
            Err(other) => Err(other),
        }
    }

    /// Adds one to `counter` in the row that `lookup` names, in one atomic
    /// statement, and returns the row as it is stored afterwards (a fixed-window
    /// counter: login throttling, quotas). With no such row, one is inserted from
    /// the lookup's equalities, `counter` = 1 and `defaults`; a stored row for
    /// which `reset_when` holds (its window has passed) is replaced by that new
    /// row. Concurrent callers never lose a hit and never meet a unique-key error:
    /// the database serialises them on the row.
    ///
    /// `lookup` is an equality on a unique key (the primary key, a `unique`
    /// field or a `unique_together` set), the conflict target; `reset_when` names
    /// one column. Call it on the manager itself, `Model::objects()`.
    ///
    /// One statement: `INSERT … ON CONFLICT (key) DO UPDATE … RETURNING` on
    /// PostgreSQL and SQLite; on MySQL and MariaDB, `INSERT … ON DUPLICATE KEY
    /// UPDATE` and a `SELECT` of the row in one transaction (within the caller's
    /// when `db` is a [`Transaction`](crate::Transaction)), the row locked
    /// between the two. The database's sequence advances on every call, insert or
    /// not, as with any upsert.
    ///
    /// # Errors
    /// [`Error::InvalidQuery`] for a filtered or sliced query set, a lookup that
    /// is not an equality on a unique key (or is on a case-insensitive one), or a
    /// `reset_when` naming more than one column; [`Error::Validation`] when the
    /// new row is incomplete; or a database error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// #[derive(Model, Debug, Clone)]
    /// pub struct Quota {
    ///     #[field(primary_key)] pub id: i64,
    ///     #[field(unique, max_length = 64)] pub name: String,
    ///     pub used: i64,
    ///     pub resets_at: DateTime<Utc>,
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// let hit = async || {
    ///     let now = Utc::now();
    ///     Quota::objects()
    ///         .increment_or_create(
    ///             &db,
    ///             Quota::NAME.eq("api:jane"),
    ///             Quota::USED,
    ///             Quota::RESETS_AT.lte(now),
    ///             |new| new.resets_at(now + chrono::Duration::hours(1)),
    ///         )
    ///         .await
    /// };
    /// assert_eq!(hit().await?.used, 1); // inserted
    /// assert_eq!(hit().await?.used, 2); // counted
    /// # Ok(()) }
    /// ```
    pub async fn increment_or_create<E: Executor + ?Sized>(
        &self,
        db: &E,
        lookup: Filter<M>,
        counter: Column<M, i64>,
        reset_when: Filter<M>,
        defaults: impl FnOnce(M::Create) -> M::Create,
    ) -> Result<M> {
        if self.filter.is_some() || self.limit.is_some() || self.offset.is_some() {
            return Err(Error::InvalidQuery(
                "increment_or_create works on the manager itself: call it on `Model::objects()` and name the row with `lookup`".into(),
            ));
        }
        let key = unique_key::<M>(&lookup.expr)?;
        let reset_field = single_field(&reset_when.expr).ok_or_else(|| {
            Error::InvalidQuery(
                "increment_or_create: `reset_when` must name exactly one column, such as `Model::EXPIRES_AT.lte(now)`".into(),
            )
        })?;
        let mut create = Create::<M>::new();
        create.set_equalities(&lookup.expr);
        create.set(counter.index(), crate::Value::I64(1));
        let values = defaults(M::Create::from_create(create))
            .into_create()
            .into_values()
            .await?;
        let backend = db.backend();
        let statement = sql::upsert::increment(
            backend,
            &sql::upsert::Increment {
                model: M::META,
                values: &values,
                key: &key,
                counter: counter.index(),
                reset_when: &reset_when.expr,
                reset_field,
            },
        );
        let row = if backend.dialect().has_returning() {
            db.fetch_optional(statement).await?
        } else {
            let read = Self::new().filter(lookup).select_statement(backend, None);
            db.write_then_read(statement, read).await?
        };
        let row = row.ok_or_else(|| Error::Decode {
            column: M::META.fields[counter.index()].column.into(),
            message: "the counting upsert gave no row back".into(),
        })?;
        crate::changes::notify(M::META.table, crate::changes::Change::Rows);
        M::from_row(&row, 0)
    }

    /// Inserts many rows with as few statements as the backend allows and returns
    /// them. Every row is validated before any is written.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the row index and field, [`Error::Unique`], or a
    /// database error.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64, pub name: String }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?; db.migrate().await?;
    /// let tags = Tag::objects()
    ///     .bulk_create(&db, ["a", "b", "c"].map(|name| Tag::objects().create().name(name)))
    ///     .await?;
    /// assert_eq!(tags.len(), 3);
    /// # Ok(()) }
    /// ```
    pub async fn bulk_create<E: Executor + ?Sized>(
        &self,
        db: &E,
        rows: impl IntoIterator<Item = M::Create>,
    ) -> Result<Vec<M>> {
        Create::bulk_exec(
            db,
            rows.into_iter().map(CreateBuilder::into_create).collect(),
        )
        .await
    }
}

/// The fields of the unique key `lookup` is an equality on, sorted; refuses any
/// other lookup, since the database finds the conflicting row by that key alone.
fn unique_key<M: Model>(lookup: &Expr) -> Result<Vec<usize>> {
    fn equalities(expr: &Expr, fields: &mut Vec<usize>) -> bool {
        match expr {
            Expr::Compare {
                field,
                op: CompareOp::Eq,
                ..
            } => {
                fields.push(*field);
                true
            }
            Expr::And(left, right) => equalities(left, fields) && equalities(right, fields),
            _ => false,
        }
    }
    let meta = M::META;
    let mut fields = Vec::new();
    let refuse = |why: &str| {
        Err(Error::InvalidQuery(format!(
            "increment_or_create on {}: {why}",
            meta.name
        )))
    };
    if !equalities(lookup, &mut fields) {
        return refuse(
            "the lookup must be `=` comparisons joined by `&`, such as `Model::KEY.eq(key)`",
        );
    }
    fields.sort_unstable();
    fields.dedup();
    let single = match fields.as_slice() {
        [field] => Some(&meta.fields[*field]),
        _ => None,
    };
    if single.is_some_and(|field| field.case_insensitive) {
        return refuse(
            "the lookup's field is unique regardless of case, which no conflict target can name; use a field that is `unique` as written",
        );
    }
    let is_key = single.is_some_and(|field| field.primary_key || field.unique)
        || meta.unique_together.iter().any(|set| {
            let mut together: Vec<usize> = set
                .iter()
                .filter_map(|name| meta.fields.iter().position(|field| field.name == *name))
                .collect();
            together.sort_unstable();
            together == fields
        });
    if !is_key {
        return refuse(
            "the lookup must name a unique key (the primary key, a `unique` field or a `unique_together` set), by which the database finds the row",
        );
    }
    Ok(fields)
}

/// The one field `expr` names, if it names exactly one.
fn single_field(expr: &Expr) -> Option<usize> {
    fn visit(expr: &Expr, found: &mut Option<usize>) -> bool {
        let mut one = |field: usize| match found {
            Some(seen) => *seen == field,
            None => {
                *found = Some(field);
                true
            }
        };
        match expr {
            Expr::Compare { field, .. }
            | Expr::In { field, .. }
            | Expr::IsNull { field, .. }
            | Expr::Text { field, .. }
            | Expr::InSubquery { field, .. } => one(*field),
            Expr::And(left, right) | Expr::Or(left, right) => {
                visit(left, found) && visit(right, found)
            }
            Expr::Not(inner) => visit(inner, found),
        }
    }
    let mut found = None;
    visit(expr, &mut found).then_some(found).flatten()
}
