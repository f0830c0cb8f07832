//! Typed columns and the expressions built from them: filters (`Post::TITLE.eq(…)`),
//! orderings (`Post::CREATED_AT.desc()`) and assignments (`Post::PUBLISHED.set(true)`).

use std::marker::PhantomData;
use std::ops::{BitAnd, BitOr, Not};

use crate::Value;
use crate::field::{Assign, FieldType, Operand};
use crate::model::{FieldMeta, Model, ModelMeta};

/// A column of model `M` holding Rust type `T`; generated as an associated constant
/// per field (`Post::TITLE: Column<Post, String>`). Comparisons only accept values
/// of the column's type.
///
/// ```standalone_crate
/// use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String, pub rating: Option<f64> }
/// let recent = Post::TITLE.startswith("Rust") & Post::RATING.gte(4.0);
/// ```
///
/// ```compile_fail
/// use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
/// let wrong = Post::TITLE.eq(5); // a String column cannot be compared with an integer
/// ```
pub struct Column<M, T> {
    index: usize,
    marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Column<M, T> {}

impl<M, T> std::fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Column").field(&self.index).finish()
    }
}

/// The comparison operators of [`Column`] lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// The text lookups of string columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextOp {
    Contains,
    IContains,
    StartsWith,
    EndsWith,
    IExact,
}

/// A boolean condition over the columns of one model (field indexes into `META.fields`).
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Compare {
        field: usize,
        op: CompareOp,
        value: Value,
    },
    In {
        field: usize,
        values: Vec<Value>,
    },
    IsNull {
        field: usize,
        is_null: bool,
    },
    Text {
        field: usize,
        op: TextOp,
        value: String,
    },
    /// `field IN (SELECT select FROM table WHERE filter IN (values))`: a
    /// to-many relation through a join table, as one semi-join (no N+1).
    InSubquery {
        field: usize,
        table: &'static ModelMeta,
        select: usize,
        filter: usize,
        values: Vec<Value>,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

impl<M: Model, T: FieldType> Column<M, T> {
    /// The column with index `index` in `M::META.fields`; used by the derive.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// let id: Column<Tag, i64> = Column::new(0);
    /// assert_eq!(id.name(), "id");
    /// ```
    #[must_use]
    pub const fn new(index: usize) -> Self {
        Self {
            index,
            marker: PhantomData,
        }
    }

    /// The field's metadata.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// assert!(Tag::ID.meta().primary_key);
    /// ```
    #[must_use]
    pub fn meta(self) -> &'static FieldMeta {
        &M::META.fields[self.index]
    }

    /// The Rust field name.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// assert_eq!(Tag::ID.name(), "id");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        self.meta().name
    }

    pub(crate) fn index(self) -> usize {
        self.index
    }

    fn compare(self, op: CompareOp, value: impl Operand<T>) -> Filter<M> {
        Filter::new(Expr::Compare {
            field: self.index,
            op,
            value: value.into_value(),
        })
    }

    /// `column = value` (Django `field=value`). Comparing with `NULL` uses
    /// [`is_null`](Column::is_null) instead.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
    /// let hello = Post::TITLE.eq("hello");
    /// ```
    #[must_use]
    pub fn eq(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(CompareOp::Eq, value)
    }

    /// `column <> value` (Django `.exclude(field=value)`).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
    /// let others = Post::TITLE.ne("hello");
    /// ```
    #[must_use]
    pub fn ne(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(CompareOp::Ne, value)
    }

    /// `column > value` (`field__gt`).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
    /// let later = Post::ID.gt(10);
    /// ```
    #[must_use]
    pub fn gt(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(CompareOp::Gt, value)
    }

    /// `column >= value` (`field__gte`).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
    /// let from = Post::ID.gte(10);
    /// ```
    #[must_use]
    pub fn gte(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(CompareOp::Gte, value)
    }

    /// `column < value` (`field__lt`).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
    /// let before = Post::ID.lt(10);
    /// ```
    #[must_use]
    pub fn lt(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(CompareOp::Lt, value)
    }

    /// `column <= value` (`field__lte`).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
    /// let upto = Post::ID.lte(10);
    /// ```
    #[must_use]
    pub fn lte(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(CompareOp::Lte, value)
    }

    /// `column IN (…)` (`field__in`). An empty list matches nothing.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
    /// let some = Post::ID.is_in([1, 2, 3]);
    /// ```
    #[must_use]
    pub fn is_in<V: Operand<T>>(self, values: impl IntoIterator<Item = V>) -> Filter<M> {
        let values = values.into_iter().map(Operand::into_value).collect();
        Filter::new(Expr::In {
            field: self.index,
            values,
        })
    }

    /// `column ASC`.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
    /// let oldest_first = Post::objects().order_by(Post::ID.asc());
    /// ```
    #[must_use]
    pub fn asc(self) -> Order<M> {
        Order {
            field: self.index,
            descending: false,
            marker: PhantomData,
        }
    }

    /// `column DESC`.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64 }
    /// let newest_first = Post::objects().order_by(Post::ID.desc());
    /// ```
    #[must_use]
    pub fn desc(self) -> Order<M> {
        Order {
            field: self.index,
            descending: true,
            marker: PhantomData,
        }
    }

    /// `SET column = value`, for [`QuerySet::update`](crate::QuerySet::update).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub published: bool }
    /// let publish = Post::PUBLISHED.set(true);
    /// ```
    #[must_use]
    pub fn set(self, value: impl Assign<T>) -> Assignment<M> {
        Assignment {
            field: self.index,
            value: value.into_assigned(),
            marker: PhantomData,
        }
    }
}

impl<M: Model, T: FieldType> Column<M, Option<T>> {
    /// `column IS NULL` (`is_null(true)`) or `IS NOT NULL` (`is_null(false)`);
    /// only optional fields have it.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub rating: Option<f64> }
    /// let unrated = Post::RATING.is_null(true);
    /// ```
    #[must_use]
    pub fn is_null(self, is_null: bool) -> Filter<M> {
        Filter::new(Expr::IsNull {
            field: self.index,
            is_null,
        })
    }
}

/// A field type that holds text. Its columns get the string lookups (`contains`,
/// `icontains`, `startswith`, `endswith`, `iexact`), and its fields accept the text
/// options `max_length`, `email`, `url`, `normalize` and `case_insensitive`, which
/// `#[derive(Model)]` checks through this trait, so a `type Slug = String;` alias
/// qualifies like `String` itself.
///
/// Implemented for `String` and for `Option<T>` of every text type. A newtype
/// whose [`FieldType::to_value`] gives [`Value::Text`](crate::Value::Text) opts in
/// with an empty impl:
///
/// ```
/// use aksara::prelude::*;
/// use aksara::{FieldType, Result, Row, SqlType, TextColumn, Value};
///
/// #[derive(Debug, Clone)]
/// pub struct Slug(String);
///
/// impl FieldType for Slug {
///     const SQL_TYPE: SqlType = SqlType::Text;
///     fn to_value(&self) -> Value {
///         self.0.to_value()
///     }
///     fn from_value(value: Value) -> Result<Self> {
///         String::from_value(value).map(Slug)
///     }
///     fn decode_nullable(row: &Row, index: usize) -> Result<Option<Self>> {
///         Ok(String::decode_nullable(row, index)?.map(Slug))
///     }
/// }
///
/// impl TextColumn for Slug {}
///
/// #[derive(Model, Debug, Clone)]
/// pub struct Page {
///     #[field(primary_key)]
///     pub id: i64,
///     #[field(unique, max_length = 50)]
///     pub slug: Slug,
/// }
///
/// let drafts = Page::SLUG.startswith("draft-");
/// assert_eq!(Page::META.field_by_name("slug").unwrap().max_length, Some(50));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not hold text",
    label = "not a text type",
    note = "`max_length`, `email`, `url`, `normalize`, `case_insensitive` and the string lookups (`contains`, `startswith`, …) apply to text fields",
    note = "use `String` or `Option<String>`; a newtype whose `FieldType::to_value` gives `Value::Text` opts in with `impl aksara::TextColumn for MyType {{}}`"
)]
pub trait TextColumn {}
impl TextColumn for String {}
impl<T: TextColumn> TextColumn for Option<T> {}

impl<M: Model, T: FieldType + TextColumn> Column<M, T> {
    fn text(self, op: TextOp, value: &str) -> Filter<M> {
        Filter::new(Expr::Text {
            field: self.index,
            op,
            value: value.to_owned(),
        })
    }

    /// Case-sensitive substring (`field__contains`).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
    /// let rusty = Post::TITLE.contains("Rust");
    /// ```
    #[must_use]
    pub fn contains(self, value: &str) -> Filter<M> {
        self.text(TextOp::Contains, value)
    }

    /// Case-insensitive substring (`field__icontains`).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
    /// let rusty = Post::TITLE.icontains("rust");
    /// ```
    #[must_use]
    pub fn icontains(self, value: &str) -> Filter<M> {
        self.text(TextOp::IContains, value)
    }

    /// Case-sensitive prefix (`field__startswith`).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
    /// let how_tos = Post::TITLE.startswith("How");
    /// ```
    #[must_use]
    pub fn startswith(self, value: &str) -> Filter<M> {
        self.text(TextOp::StartsWith, value)
    }

    /// Case-sensitive suffix (`field__endswith`).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
    /// let questions = Post::TITLE.endswith("?");
    /// ```
    #[must_use]
    pub fn endswith(self, value: &str) -> Filter<M> {
        self.text(TextOp::EndsWith, value)
    }

    /// Case-insensitive equality (`field__iexact`).
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
    /// let hello = Post::TITLE.iexact("HELLO");
    /// ```
    #[must_use]
    pub fn iexact(self, value: &str) -> Filter<M> {
        self.text(TextOp::IExact, value)
    }
}

/// A condition over rows of `M`; combine with `&`, `|` and `!`.
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String, pub published: bool }
/// let visible = Post::PUBLISHED.eq(true) & !(Post::TITLE.startswith("Draft") | Post::ID.lt(10));
/// ```
pub struct Filter<M> {
    pub(crate) expr: Expr,
    marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Filter<M> {
    fn clone(&self) -> Self {
        Self::new(self.expr.clone())
    }
}

impl<M> std::fmt::Debug for Filter<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.expr.fmt(f)
    }
}

impl<M> Filter<M> {
    pub(crate) fn new(expr: Expr) -> Self {
        Self {
            expr,
            marker: PhantomData,
        }
    }
}

impl<M> BitAnd for Filter<M> {
    type Output = Filter<M>;
    fn bitand(self, rhs: Self) -> Self {
        Self::new(Expr::And(Box::new(self.expr), Box::new(rhs.expr)))
    }
}

impl<M> BitOr for Filter<M> {
    type Output = Filter<M>;
    fn bitor(self, rhs: Self) -> Self {
        Self::new(Expr::Or(Box::new(self.expr), Box::new(rhs.expr)))
    }
}

impl<M> Not for Filter<M> {
    type Output = Filter<M>;
    fn not(self) -> Self {
        Self::new(Expr::Not(Box::new(self.expr)))
    }
}

/// An `ORDER BY` term; a single one or an array of them goes to
/// [`QuerySet::order_by`](crate::QuerySet::order_by).
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String }
/// let sorted = Post::objects().order_by([Post::TITLE.asc(), Post::ID.desc()]);
/// ```
pub struct Order<M> {
    pub(crate) field: usize,
    pub(crate) descending: bool,
    marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Order<M> {
    fn clone(&self) -> Self {
        Self {
            field: self.field,
            descending: self.descending,
            marker: PhantomData,
        }
    }
}

impl<M> std::fmt::Debug for Order<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Order")
            .field("field", &self.field)
            .field("descending", &self.descending)
            .finish()
    }
}

impl<M> IntoIterator for Order<M> {
    type Item = Order<M>;
    type IntoIter = std::iter::Once<Order<M>>;
    fn into_iter(self) -> Self::IntoIter {
        std::iter::once(self)
    }
}

/// A `SET column = value` term; a single one or an array of them goes to
/// [`QuerySet::update`](crate::QuerySet::update).
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Post { #[field(primary_key)] pub id: i64, pub title: String, pub published: bool }
/// let changes = [Post::PUBLISHED.set(true), Post::TITLE.set("Final")];
/// ```
pub struct Assignment<M> {
    pub(crate) field: usize,
    pub(crate) value: Value,
    marker: PhantomData<fn() -> M>,
}

impl<M> std::fmt::Debug for Assignment<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assignment")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl<M> IntoIterator for Assignment<M> {
    type Item = Assignment<M>;
    type IntoIter = std::iter::Once<Assignment<M>>;
    fn into_iter(self) -> Self::IntoIter {
        std::iter::once(self)
    }
}
