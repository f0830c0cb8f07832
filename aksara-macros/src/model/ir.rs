//! The validated model: what `expand` turns into tokens. Everything here has been
//! checked; spans are kept (in identifiers and types) so that generated code that
//! still fails to compile, such as a missing `FieldType` impl, points at the user's
//! tokens.

use syn::{Expr, Ident, Path, Type, Visibility};

pub(crate) use crate::types::{Scalar, TypeKind};

/// A struct deriving `Model`.
pub(crate) struct Model {
    /// The struct's name.
    pub(crate) ident: Ident,
    /// The struct's visibility (also that of `objects()`, the create builder and
    /// its setters).
    pub(crate) vis: Visibility,
    /// The runtime crate: `::aksara`, or `#[model(crate = "...")]`.
    pub(crate) runtime: Path,
    /// The table's name.
    pub(crate) table: String,
    /// Every field, in declaration order, skipped ones included.
    pub(crate) fields: Vec<Field>,
    /// Index of the primary key among the persisted fields; `None` only when
    /// validation failed.
    pub(crate) primary_key: Option<usize>,
    /// `unique_together`, as Rust field names.
    pub(crate) unique_together: Vec<Vec<String>>,
    /// `indexes`, as Rust field names.
    pub(crate) indexes: Vec<Vec<String>>,
}

impl Model {
    /// The persisted fields with their column, in `META.fields` order.
    pub(crate) fn columns(&self) -> impl Iterator<Item = (&Field, &Column)> {
        self.fields.iter().filter_map(|field| match &field.storage {
            Storage::Column(column) => Some((field, &**column)),
            Storage::Skipped | Storage::ManyToMany(_) => None,
        })
    }

    /// The many-to-many fields with their join table.
    pub(crate) fn many_to_many(&self) -> impl Iterator<Item = (&Field, &ManyToMany)> {
        self.fields.iter().filter_map(|field| match &field.storage {
            Storage::ManyToMany(relation) => Some((field, &**relation)),
            _ => None,
        })
    }
}

/// One field of the struct.
pub(crate) struct Field {
    /// The field's name.
    pub(crate) ident: Ident,
    /// The field's visibility (also that of its column constant).
    pub(crate) vis: Visibility,
    /// The field's type, as written; for `Option<T>` the `Option<…>` tokens carry
    /// the spans of `T`, so errors about the stored type are reported under `T`.
    pub(crate) ty: Type,
    /// What the type was recognised as; `None` for skipped fields and for
    /// unsupported types (then validation failed).
    pub(crate) kind: Option<TypeKind>,
    /// Whether and how the field is stored.
    pub(crate) storage: Storage,
    /// `related_name = "posts"` of a relation, as a method name spanned at the
    /// literal, with the related model's type: the reverse accessor generated on it.
    pub(crate) related_name: Option<(Ident, Type)>,
}

/// Whether a field is stored.
pub(crate) enum Storage {
    /// `#[field(skip)]`: filled with `Default::default()` when read.
    Skipped,
    /// Stored in a column.
    Column(Box<Column>),
    /// `ManyToMany<M>`: rows of a join table, filled with `Default::default()`
    /// when read.
    ManyToMany(Box<ManyToMany>),
}

/// A many-to-many field's join table.
pub(crate) struct ManyToMany {
    /// The Rust field name, without `r#`.
    pub(crate) name: String,
    /// The related model's type, as written.
    pub(crate) target: Type,
    /// `through_table = "…"`, when given.
    pub(crate) through_table: Option<String>,
}

/// The column of a persisted field.
#[expect(clippy::struct_excessive_bools, reason = "one flag per field option")]
pub(crate) struct Column {
    /// Position in `META.fields`.
    pub(crate) index: usize,
    /// The Rust field name, without `r#`.
    pub(crate) name: String,
    /// The column's name.
    pub(crate) column: String,
    /// `primary_key`.
    pub(crate) primary_key: bool,
    /// `unique`.
    pub(crate) unique: bool,
    /// `case_insensitive` (with `unique`).
    pub(crate) case_insensitive: bool,
    /// `index`, or a foreign key.
    pub(crate) indexed: bool,
    /// `max_length = N`.
    pub(crate) max_length: Option<u32>,
    /// `default = <expr>`.
    pub(crate) default: Option<Expr>,
    /// `auto_now_add`.
    pub(crate) auto_now_add: bool,
    /// `auto_now`.
    pub(crate) auto_now: bool,
    /// `email`.
    pub(crate) email: bool,
    /// `url`.
    pub(crate) url: bool,
    /// `normalize = path`: the function applied to text before validation.
    pub(crate) normalize: Option<Expr>,
    /// The `on_delete` rule of a foreign key (`None` for other fields).
    pub(crate) on_delete: Option<OnDelete>,
}

impl Column {
    /// Whether a text option (`max_length`, `email`, `url`, `normalize`,
    /// `case_insensitive`) is set, so the field's type must hold text.
    pub(crate) fn has_text_option(&self) -> bool {
        self.max_length.is_some()
            || self.email
            || self.url
            || self.normalize.is_some()
            || self.case_insensitive
    }
}

/// `on_delete` of a foreign key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum OnDelete {
    /// `"cascade"` (the default).
    Cascade,
    /// `"set_null"`.
    SetNull,
    /// `"restrict"`.
    Restrict,
}
