//! The [`Model`] trait that `#[derive(Model)]` implements, and the constant metadata
//! ([`ModelMeta`], [`FieldMeta`]) that the query builder and migrations read.

pub mod changes;
mod create;
mod instance;
pub use instance::ModelInstance;
mod registry;
pub(crate) mod validate;

pub use create::{Create, CreateBuilder};
pub(crate) use registry::check_slots;
pub use registry::{ModelRegistration, SlotRegistration, registered_models, slot_model};

use chrono::{DateTime, Utc};

use crate::db::Row;
use crate::field::FieldType;
use crate::query::Manager;
use crate::{Result, SqlType, Value};

/// A struct stored as rows of one table. Implemented by `#[derive(Model)]`; the
/// methods are called by the runtime, not by application code.
///
/// ```standalone_crate
/// use aksara::prelude::*;
///
/// #[derive(Model, Debug, Clone)]
/// #[model(table = "tags")]
/// pub struct Tag {
///     #[field(primary_key)]
///     pub id: i64,
///     #[field(unique, max_length = 50)]
///     pub name: String,
/// }
///
/// assert_eq!(<Tag as Model>::META.table, "tags");
/// assert_eq!(Tag::NAME.name(), "name");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an Aksara model",
    label = "not a model",
    note = "add `#[derive(Model)]` to `{Self}`"
)]
pub trait Model: Sized + Send + Sync + Unpin + 'static {
    /// The primary key's type (`i64` auto-increments, `Uuid` is generated).
    type PrimaryKey: FieldType + Clone + PartialEq + std::fmt::Debug;
    /// The generated create builder (`<Model>Create`), with one setter per field.
    type Create: CreateBuilder<Self>;
    /// Table, columns and constraints.
    const META: &'static ModelMeta;

    /// Reads one instance from `row`, starting at column `offset`.
    ///
    /// # Errors
    /// [`Error::Decode`](crate::Error::Decode) when a column does not fit its field.
    fn from_row(row: &Row, offset: usize) -> Result<Self>;

    /// Builds an instance from one value per persisted field, in `META.fields` order.
    ///
    /// # Errors
    /// [`Error::Decode`](crate::Error::Decode) when a value does not fit its field.
    fn from_values(values: Vec<Value>) -> Result<Self>;

    /// One value per persisted field, in `META.fields` order.
    fn to_values(&self) -> Vec<Value>;

    /// The primary key.
    fn primary_key(&self) -> &Self::PrimaryKey;

    /// Replaces the primary key (after an auto-increment insert).
    fn set_primary_key(&mut self, key: Self::PrimaryKey);

    /// The `#[field(default = …)]` value of field `index`, if it has one.
    fn default_value(index: usize) -> Option<Value>;

    /// The value at creation of field `index` if it is `auto_now` or
    /// `auto_now_add`: `now` as that field's type builds it ([`AutoNow::at`](crate::AutoNow::at)).
    fn auto_now_value(index: usize, now: DateTime<Utc>) -> Option<Value>;

    /// Sets every `auto_now` field to `now` ([`AutoNow::at`](crate::AutoNow::at)).
    fn touch_auto_now(&mut self, now: DateTime<Utc>);

    /// Decodes the related instance of relation field `index` from `row` at `offset`
    /// and keeps it in that field (`select_related`).
    ///
    /// # Errors
    /// [`Error::Decode`](crate::Error::Decode) when the joined columns do not fit.
    fn attach_related(&mut self, index: usize, row: &Row, offset: usize) -> Result<()>;

    /// The query manager, also generated as an inherent `objects()` so it needs no import.
    #[must_use]
    fn objects() -> Manager<Self> {
        Manager::new()
    }
}

/// Everything the runtime knows about a model, built as a constant by the derive.
///
/// ```
/// use aksara::ModelMeta;
/// static EMPTY: ModelMeta = ModelMeta {
///     name: "Empty", table: "empty", fields: &[], primary_key: 0,
///     unique_together: &[], indexes: &[],
/// };
/// assert!(EMPTY.field_by_name("id").is_none());
/// ```
#[derive(Debug)]
pub struct ModelMeta {
    /// The struct's name.
    pub name: &'static str,
    /// The table's name.
    pub table: &'static str,
    /// The persisted fields, in column order (`skip` fields are absent).
    pub fields: &'static [FieldMeta],
    /// Index of the primary key in `fields`.
    pub primary_key: usize,
    /// Sets of field names that are unique together.
    pub unique_together: &'static [&'static [&'static str]],
    /// Sets of field names to index together.
    pub indexes: &'static [&'static [&'static str]],
}

impl ModelMeta {
    /// The primary key's metadata.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// assert_eq!(<Tag as Model>::META.primary_key().column, "id");
    /// ```
    #[must_use]
    pub fn primary_key(&self) -> &FieldMeta {
        &self.fields[self.primary_key]
    }

    /// The field called `name` (the Rust name, not the column).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// assert!(<Tag as Model>::META.field_by_name("id").is_some());
    /// ```
    #[must_use]
    pub fn field_by_name(&self, name: &str) -> Option<&FieldMeta> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// The field stored in `column`.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// assert!(<Tag as Model>::META.field_by_column("id").is_some());
    /// ```
    #[must_use]
    pub fn field_by_column(&self, column: &str) -> Option<&FieldMeta> {
        self.fields.iter().find(|field| field.column == column)
    }
}

/// What to do with rows that reference a deleted row.
///
/// ```
/// assert_eq!(aksara::OnDelete::default(), aksara::OnDelete::Cascade);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDelete {
    /// Delete them too (the default, as in Django's `CASCADE`).
    #[default]
    Cascade,
    /// Set their foreign key to `NULL` (the field must be `Option<ForeignKey<_>>`).
    SetNull,
    /// Refuse the delete while they exist.
    Restrict,
}

/// One persisted field.
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64, #[field(max_length = 5)] pub name: String }
/// let name = <Tag as Model>::META.field_by_name("name").unwrap();
/// assert_eq!(name.max_length, Some(5));
/// ```
#[derive(Debug)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each flag is an independent field option"
)]
pub struct FieldMeta {
    /// The Rust field name.
    pub name: &'static str,
    /// The column name (`column = "…"`, `<name>_id` for foreign keys, else the name).
    pub column: &'static str,
    /// How the value is stored.
    pub sql_type: SqlType,
    /// `Option<T>`: the column accepts `NULL`.
    pub nullable: bool,
    /// `#[field(primary_key)]`.
    pub primary_key: bool,
    /// An `i64` primary key: the database assigns it.
    pub auto_increment: bool,
    /// `#[field(unique)]`.
    pub unique: bool,
    /// `#[field(unique, case_insensitive)]`: unique regardless of case, enforced by
    /// an index on the lower-cased text; [`iexact`](crate::Column::iexact) lookups
    /// use that index.
    pub case_insensitive: bool,
    /// `#[field(index)]` (foreign keys are indexed too).
    pub index: bool,
    /// `#[field(max_length = N)]`.
    pub max_length: Option<u32>,
    /// `#[field(default = …)]`.
    pub has_default: bool,
    /// `#[field(auto_now_add)]`: set at creation.
    pub auto_now_add: bool,
    /// `#[field(auto_now)]`: set at creation and at every `save`.
    pub auto_now: bool,
    /// `#[field(email)]`: validated as an email address on write.
    pub email: bool,
    /// `#[field(url)]`: validated as an http(s) URL on write.
    pub url: bool,
    /// For foreign keys, the referenced model.
    pub references: Option<fn() -> &'static ModelMeta>,
    /// For foreign keys, the `on_delete` rule.
    pub on_delete: OnDelete,
    /// `#[field(normalize = path)]`: rewrites text before validation and every
    /// write (for instance lower-casing an email's domain).
    pub normalize: Option<fn(&str) -> String>,
}

impl FieldMeta {
    /// A field of the given name, column and storage, with no option set; the
    /// derive starts from it and sets the options it parsed.
    ///
    /// ```
    /// let field = aksara::FieldMeta::new("title", "title", aksara::SqlType::Text);
    /// assert!(!field.unique);
    /// ```
    #[must_use]
    pub const fn new(name: &'static str, column: &'static str, sql_type: SqlType) -> Self {
        Self {
            name,
            column,
            sql_type,
            nullable: false,
            primary_key: false,
            auto_increment: false,
            unique: false,
            case_insensitive: false,
            index: false,
            max_length: None,
            has_default: false,
            auto_now_add: false,
            auto_now: false,
            email: false,
            url: false,
            references: None,
            on_delete: OnDelete::Cascade,
            normalize: None,
        }
    }

    /// True when a create must be given a value for this field: not optional, no
    /// default, not set automatically.
    ///
    /// ```
    /// assert!(aksara::FieldMeta::new("title", "title", aksara::SqlType::Text).is_required());
    /// ```
    #[must_use]
    pub const fn is_required(&self) -> bool {
        !(self.nullable
            || self.has_default
            || self.auto_now
            || self.auto_now_add
            || (self.primary_key && matches!(self.sql_type, SqlType::Uuid | SqlType::I64)))
    }
}
