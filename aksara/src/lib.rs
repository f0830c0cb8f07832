//! # Aksara: declarative data models over sqlx
//!
//! Declare a struct, derive [`Model`], and get typed columns, a query manager, a
//! validated create builder, relations and schema creation on SQLite (embedded,
//! the default), PostgreSQL and MySQL/MariaDB.
//!
//! ```standalone_crate
//! use aksara::prelude::*;
//!
//! #[derive(Model, Debug, Clone)]
//! #[model(table = "authors")]
//! pub struct Author {
//!     #[field(primary_key)]
//!     pub id: i64,
//!     #[field(max_length = 100)]
//!     pub name: String,
//! }
//!
//! #[derive(Model, Debug, Clone)]
//! #[model(table = "articles")]
//! pub struct Article {
//!     #[field(primary_key)]
//!     pub id: Uuid,
//!     #[field(max_length = 200)]
//!     pub title: String,
//!     pub author: ForeignKey<Author>,
//!     #[field(default = false)]
//!     pub published: bool,
//!     #[field(auto_now_add)]
//!     pub created_at: DateTime<Utc>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> aksara::Result<()> {
//! let db = Db::connect("sqlite::memory:").await?;
//! db.migrate().await?;
//!
//! let jane = Author::objects().create().name("Jane").exec(&db).await?;
//! Article::objects().create().title("Hello").author(&jane).exec(&db).await?;
//!
//! let articles = Article::objects()
//!     .filter(Article::TITLE.icontains("hell") & Article::PUBLISHED.eq(false))
//!     .select_related(Article::AUTHOR)
//!     .order_by(Article::CREATED_AT.desc())
//!     .all(&db)
//!     .await?;
//! assert_eq!(articles[0].author.get().unwrap().name, "Jane");
//! # Ok(())
//! # }
//! ```
//!
//! For the web, [`Aksara`] builds the application over an `axum::Router` — the
//! database reachable from every handler, JSON errors ([`ApiError`]), graceful
//! shutdown — and [`Settings`] loads typed settings from `AKSARA_*` environment
//! variables and `aksara.toml`: see the [`web`] and [`settings`] modules. The web
//! part is the default `web` cargo feature; `default-features = false` leaves the
//! model runtime without axum.
//!
//! The [`guide`] walks through every feature, a page per topic; the modules and
//! items below document each piece.

// Generated code names `::aksara::…`; this makes that path work inside the crate too.
extern crate self as aksara;

mod db;
mod error;
mod field;
mod migrate;
mod model;
mod query;
mod relation;
pub mod settings;
mod sql;
mod value;
#[cfg(feature = "web")]
pub mod web;

#[doc(hidden)]
pub mod __private;

pub use db::{Backend, Db, DbOptions, ExecResult, Executor, Row, Statement, Transaction};
pub use error::{Error, Result, ValidationErrors};
pub use field::{Assign, AutoNow, FieldType, ForeignKey, Json, Operand, RelationField};
pub use model::changes;
pub use model::{
    Create, CreateBuilder, FieldMeta, Model, ModelInstance, ModelMeta, ModelRegistration, OnDelete,
    SlotRegistration, registered_models, slot_model,
};
pub use query::{Assignment, Column, Filter, Manager, Order, QuerySet, TextColumn};
pub use relation::{
    ManyToMany, ManyToManyField, PrefetchRelated, Related, RelatedSet, ReverseForeignKey,
};
pub use settings::{SecretKey, Settings, SettingsError};
pub use value::{Deferred, DeferredValue, SqlType, Value};
#[cfg(feature = "web")]
pub use web::{Aksara, ApiError, ServeError};

#[doc = include_str!("../docs/derive_model.md")]
#[doc(inline)]
pub use aksara_macros::Model;

/// The guide: one page per topic, every example compiled as a doctest. The
/// pages are the Markdown files in `aksara/docs/`; `aksara_auth::guide`
/// continues with users, sessions and the security notes.
pub mod guide {
    #[doc = include_str!("../docs/models.md")]
    pub mod models {}
    #[doc = include_str!("../docs/database.md")]
    pub mod database {}
    #[doc = include_str!("../docs/queries.md")]
    pub mod queries {}
    #[doc = include_str!("../docs/relations.md")]
    pub mod relations {}
    #[doc = include_str!("../docs/settings.md")]
    pub mod settings {}
    #[cfg(feature = "web")]
    #[doc = include_str!("../docs/web.md")]
    pub mod web {}
    #[doc = include_str!("../docs/design.md")]
    pub mod design {}
}

/// The axum this crate builds on, so handlers and the app agree on one version.
#[cfg(feature = "web")]
pub use axum;
pub use chrono;
pub use uuid;

/// Everything a module that declares or queries models needs:
/// `use aksara::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "web")]
    pub use crate::web::{Form, Path, Query};
    #[cfg(feature = "web")]
    pub use crate::{Aksara, ApiError};
    pub use crate::{
        Backend, Column, Db, Error, Executor, Filter, ForeignKey, Json, ManyToMany, Model,
        ModelInstance, QuerySet, Related, Settings, Transaction, Value,
    };
    pub use chrono::{DateTime, NaiveDate, Utc};
    pub use uuid::Uuid;
}
